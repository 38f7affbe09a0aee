/* tickbus-metrics: subscribes to hb.*, tick and event.* on the bus and serves
 * them in the Prometheus text format on --listen (default 127.0.0.1:9464).
 * One thread, one zmq_poll loop: the bus socket and libmicrohttpd's epoll fd.
 * With no --sub it follows every *.pub in the bus directory, as tap does. */
#include "prog.h"
#include "bus.h"
#include "clock.h"
#include "hb.h"
#include "httpd.h"
#include "log.h"
#include "mstate.h"
#include "opts.h"

#include <signal.h>
#include <string.h>
#include <zmq.h>

static char *o_listen;
static double o_hb_timeout;

static const opt_t s_opts[] = {
    {"listen", OPT_STR, &o_listen, "127.0.0.1:9464", 1, 0, NULL,
     "HOST:PORT of the /metrics endpoint (keep it on loopback or a private network)", 0},
    {"hb-timeout", OPT_DBL, &o_hb_timeout, "5", 0.5, 3600, NULL,
     "a program whose hb is older than S seconds is reported down (tickbus_up 0)", 0},
    {NULL, 0, NULL, NULL, 0, 0, NULL, NULL, 0},
};

typedef struct {
    mstate_t *st;
    bus_sub_t *sub;
    hb_t *hb;
} s_ctx_t;

static char *s_render(void *arg, size_t *len)
{
    s_ctx_t *c = arg;
    mstate_bus_stats(c->st, bus_sub_stats(c->sub));
    hb_progress(c->hb, 1); /* a scrape served is useful work too */
    return mstate_render(c->st, clock_mono_ns(), clock_real_ns(), len);
}

static void s_hb_detail(jw_t *w, void *arg)
{
    s_ctx_t *c = arg;
    const bus_sub_stats_t *st = bus_sub_stats(c->sub);
    jw_kuint(w, "received", st->received);
    jw_kuint(w, "bus_lost", st->lost);
    jw_kuint(w, "bus_gaps", st->gaps);
    jw_kuint(w, "bad", st->bad);
}

int main(int argc, char **argv)
{
    opts_parse("tickbus-metrics",
               "Serve the pipeline's health (hb.*, tick, event.*) as Prometheus metrics.", s_opts,
               argc, argv, NULL);
    const char *why;
    if (httpd_check_listen(o_listen, &why) < 0) opts_die("listen", o_listen, why);
    char dir[400] = "", ep[BUS_EP_MAX];
    int scan = opts_common.sub.n == 0;
    if (scan && bus_dir(opts_common.bus, dir, sizeof dir) < 0) return EX_UNAVAILABLE;
    if (bus_pub_endpoint(opts_common.bus, opts_common.pub, opts_common.name, ep, sizeof ep) < 0)
        return EX_UNAVAILABLE;
    if (opts_common.check) return 0;
    opts_log_effective("tickbus-metrics", s_opts);
    prog_signals(PROG_SIG_RESTART);

    s_ctx_t c = {mstate_new(o_hb_timeout, clock_real_ns()), bus_sub_new(), NULL};
    bus_pub_t *pub = bus_pub_new(opts_common.name, ep, 0);
    if (!pub) return EX_UNAVAILABLE;
    c.hb = hb_new(pub, s_hb_detail, &c);
    for (int i = 0; i < opts_common.sub.n; i++)
        if (bus_sub_connect(c.sub, opts_common.sub.v[i]) < 0) return EX_USAGE;
    bus_sub_prefix(c.sub, "hb.");
    bus_sub_prefix(c.sub, "tick");
    bus_sub_prefix(c.sub, "event.");
    if (scan) bus_sub_scan(c.sub, dir);
    httpd_t *http = httpd_new(o_listen, s_render, &c);
    if (!http) return EX_UNAVAILABLE;
    log_notice("serving http://%s/metrics (port %d)", o_listen, httpd_port(http));
    hb_ready(c.hb, "serving /metrics");

    int64_t last_scan = clock_mono_ns();
    while (!prog_stop) {
        long wait = httpd_timeout_ms(http);
        if (wait < 0 || wait > 200) wait = 200; /* hb and scans at least 5 times a second */
        zmq_pollitem_t items[2] = {{bus_sub_zsock(c.sub), 0, ZMQ_POLLIN, 0},
                                   {NULL, httpd_fd(http), ZMQ_POLLIN, 0}};
        if (zmq_poll(items, 2, wait) < 0 && zmq_errno() != EINTR) {
            log_warnx("zmq_poll: %s", zmq_strerror(zmq_errno()));
            break;
        }
        bus_msg_t m;
        for (int k = 0; k < 10000 && bus_sub_recv(c.sub, &m, 0) == 1; k++) {
            if (m.lost)
                log_warnx_rl("bus gap src=%s lost=%llu before seq=%llu", m.src,
                             (unsigned long long)m.lost, (unsigned long long)m.seq);
            mstate_on_msg(c.st, &m, clock_mono_ns(), clock_real_ns());
            hb_progress(c.hb, 1);
        }
        httpd_run(http);
        int64_t now = clock_mono_ns();
        if (scan && now - last_scan >= NS_PER_S / 2) {
            bus_sub_scan(c.sub, dir);
            last_scan = now;
        }
        hb_tick(c.hb);
    }
    log_notice("stopping after %lu requests", httpd_requests(http));
    httpd_destroy(&http);
    hb_destroy(&c.hb);
    bus_pub_destroy(&pub);
    bus_sub_destroy(&c.sub);
    mstate_destroy(&c.st);
    bus_ctx_term();
    return 0;
}
