/* aggregator: subscribes to the feeds and publishes, once per UTC second, the tick record
 * (docs/CONTRACT.md, 'The tick record') on topic `tick`, plus event.* records (market_open,
 * strike_set, settlement, gap). docs/RECORD.md describes the records. The steps: options into
 * the config (aggcfg), the bus, then the clock loop (boundary) around the tick state (tick). */
#include "prog.h"
#include "aggcfg.h"
#include "boundary.h"
#include "bus.h"
#include "hb.h"
#include "history.h"
#include "log.h"
#include "opts.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <zmq.h>


/* The publish endpoint into EP and the default upstreams into opts_common.sub: `replay` under
 * --clock replay, else feed-V of every venue of the series and of --venues, and feed-kalshi
 * (an upstream that is not running costs nothing). Returns 0 or the exit code. */
static int s_endpoints(const aggcfg_t *cfg, char *ep, size_t n)
{
    char dir[400];
    if (bus_dir(opts_common.bus, dir, sizeof dir) < 0) return EX_UNAVAILABLE;
    if (bus_pub_endpoint(opts_common.bus, opts_common.pub, opts_common.name, ep, n) < 0) return EX_USAGE;
    strlist_t feeds = {0};
    char name[TICK_VENUE_NAME + 8];
    if (cfg->clock == AGGCFG_CLOCK_REPLAY) strlist_add(&feeds, "replay");
    else {
        const tick_cfg_t *c = &cfg->tick;
        for (int i = 0; i < cfg->ser.nvenues + c->n_expected; i++) {
            int k = i - cfg->ser.nvenues;
            snprintf(name, sizeof name, "feed-%s", k < 0 ? cfg->ser.venues[i] : c->expected[k]);
            if (!strlist_has(&feeds, name)) strlist_add(&feeds, name);
        }
        strlist_add(&feeds, "feed-kalshi");
    }
    const char *names[SERIES_VENUES_MAX + TICK_VENUES_MAX + 2] = {NULL}; /* NULL-terminated */
    for (int i = 0; i < feeds.n; i++) names[i] = feeds.v[i];
    int rc = bus_default_subs(&opts_common.sub, dir, names) < 0 ? 64 : 0;
    strlist_clear(&feeds);
    return rc;
}

/* The catch-up side (aggregator/history): keep what the PUB sends, answer on a ROUTER. */
typedef struct {
    history_t *h;
    void *z;
    boundary_t *b;
    int replay;
} s_hist_t;

static void s_serve(void *arg)
{
    s_hist_t *x = arg;
    history_serve(x->h, x->z);
}

static void s_detail(jw_t *w, void *arg)
{
    s_hist_t *x = arg;
    (x->replay ? boundary_hb_replay : boundary_hb_detail)(w, x->b);
    if (!x->h) return;
    const history_stats_t *st = history_stats(x->h);
    jw_key(w, "history");
    jw_obj(w);
    jw_kuint(w, "entries", st->entries);
    jw_kuint(w, "bytes", st->bytes);
    jw_kint(w, "first_s", st->first_s);
    jw_kuint(w, "requests", st->requests);
    jw_kuint(w, "served", st->served);
    jw_kuint(w, "partial", st->partial);
    jw_kuint(w, "bad_requests", st->bad_requests);
    jw_obj_end(w);
}

/* Bind the catch-up ROUTER next to PUB (unless --history-s 0). Returns 0 or the exit code. */
static int s_hist_open(const aggcfg_t *cfg, bus_pub_t *pub, const char *pub_ep, s_hist_t *x)
{
    char ep[BUS_EP_MAX];
    if (cfg->history_s <= 0) return 0;
    if (cfg->history_ep) snprintf(ep, sizeof ep, "%s", cfg->history_ep);
    else if (bus_hist_endpoint(pub_ep, ep, sizeof ep) < 0) {
        log_warnx("--pub %s: no catch-up endpoint to derive; give --history to serve catch-up",
                  pub_ep);
        return 0;
    }
    x->z = zmq_socket(bus_ctx(), ZMQ_ROUTER);
    bus_sockopts(x->z);
    int linger = 0;
    zmq_setsockopt(x->z, ZMQ_LINGER, &linger, sizeof linger);
    if (bus_bind(x->z, ep, "--history") < 0) return EX_UNAVAILABLE;
    for (int i = 0; i < opts_common.expose.n; i++) { /* a tcp publisher's catch-up: PORT+1 */
        char next[BUS_EP_MAX];
        if (bus_tcp_next(opts_common.expose.v[i], 1, next, sizeof next) < 0) {
            log_warnx("--expose %s: not tcp://ADDR:PORT, no catch-up served there",
                      opts_common.expose.v[i]);
            continue;
        }
        if (bus_bind(x->z, next, "catch-up (--expose PORT+1)") < 0) return EX_UNAVAILABLE;
        log_info("catch-up also on %s", next);
    }
    x->h = history_new(cfg->history_s, (size_t)cfg->history_mb << 20, bus_pub_epoch(pub));
    bus_pub_observe(pub, history_observe, x->h);
    log_info("catch-up on %s: %ld s of output, at most %ld MiB", ep, cfg->history_s,
             cfg->history_mb);
    return 0;
}

int main(int argc, char **argv)
{
    aggcfg_t *cfg = aggcfg_new();
    aggcfg_parse(cfg, argc, argv);
    char ep[BUS_EP_MAX];
    int rc = s_endpoints(cfg, ep, sizeof ep);
    if (rc) return rc;
    aggcfg_log(cfg);
    if (opts_common.check) return 0;

    prog_signals(PROG_SIG_RESTART);
    bus_pub_t *pub = bus_pub_new(opts_common.name, ep, (int)cfg->hwm);
    if (!pub) return EX_UNAVAILABLE;
    bus_sub_t *sub = bus_sub_new();
    for (int i = 0; i < opts_common.sub.n; i++)
        if (bus_sub_connect(sub, opts_common.sub.v[i]) < 0) return EX_USAGE;
    s_hist_t hist = {NULL, NULL, NULL, cfg->clock == AGGCFG_CLOCK_REPLAY};
    if ((rc = s_hist_open(cfg, pub, ep, &hist))) return rc;
    boundary_bus_t bb = {sub, pub, &prog_stop, hist.z, s_serve, &hist, 0};
    boundary_t *b = hist.b = boundary_new(&cfg->tick, boundary_io_bus(&bb), cfg->stall_s);
    int replay = hist.replay;
    hb_t *hb = hb_new(pub, s_detail, &hist);
    hb_ready(hb, "ticking");
    log_info("publishing on %s, %d upstreams", ep, opts_common.sub.n);
    rc = replay ? boundary_run_replay(b, hb, &prog_stop) : boundary_run(b, hb, &prog_stop);

    hb_destroy(&hb);
    boundary_destroy(&b);
    history_destroy(&hist.h);
    if (hist.z) zmq_close(hist.z);
    bus_sub_destroy(&sub);
    bus_pub_destroy(&pub);
    bus_ctx_term();
    aggcfg_destroy(&cfg);
    return rc;
}
