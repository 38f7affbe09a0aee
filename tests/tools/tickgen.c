/* tickgen: a stand-in aggregator for the sink tests. Publishes tick and event.*
 * records (docs/RECORD.md) on the aggregator's endpoint with a chosen start
 * time, pace, lost seqs (--lose), missing seconds (--skip) and epoch, so tests
 * can assert that sinks write every record and explain every gap. It builds the
 * envelope itself (not bus_pub_send) to be able to skip seqs. With --history-s it keeps and
 * serves its recent output as the aggregator does (aggregator/history), for catch-up tests. */
#include "bus.h"
#include "clock.h"
#include "history.h"
#include "jw.h"
#include "log.h"
#include "opts.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <zmq.h>

static long o_count, o_interval_ms, o_delay_ms, o_events, o_window, o_history_s;
static char *o_start, *o_epoch;
static strlist_t o_lose, o_skip;
static int o_hb, o_null_kraken;
static volatile sig_atomic_t s_stop;

static const opt_t s_opts[] = {
    {"count", OPT_INT, &o_count, "10", 0, 1e9, NULL, "ticks to publish (0: until stopped)", 0},
    {"start", OPT_STR, &o_start, NULL, 1, 0, NULL, "ts of the first tick (ISO; default now)", 0},
    {"interval-ms", OPT_INT, &o_interval_ms, "1000", 0, 60000, NULL,
     "wall time between ticks (each tick is still 1 s of record time)", 0},
    {"delay-ms", OPT_INT, &o_delay_ms, "1500", 0, 60000, NULL, "wait for subscribers first", 0},
    {"lose", OPT_LIST, &o_lose, NULL, 1, 0, NULL, "tick number whose message is lost (seq skipped)", 0},
    {"skip", OPT_LIST, &o_skip, NULL, 1, 0, NULL, "tick number whose second gets no tick", 0},
    {"events", OPT_INT, &o_events, "0", 0, 1e9, NULL, "an event.market_open every N ticks", 0},
    {"window", OPT_INT, &o_window, "900", 1, 86400, NULL, "market window in s (settlement events)", 0},
    {"epoch", OPT_STR, &o_epoch, NULL, 1, 0, NULL, "epoch (default random)", 0},
    {"hb", OPT_BOOL, &o_hb, "0", 1, 0, NULL, "also publish hb.NAME after each tick", 0},
    {"history-s", OPT_INT, &o_history_s, "0", 0, 1e9, NULL,
     "keep this many tick seconds of output and answer catch-up requests on NAME.hist", 0},
    {"null-kraken", OPT_BOOL, &o_null_kraken, "0", 1, 0, NULL, "kraken mid null (a stale venue)", 0},
    {NULL, 0, NULL, NULL, 0, 0, NULL, NULL, 0},
};

static void s_on_signal(int sig)
{
    (void)sig;
    s_stop = 1;
}

static history_t *s_hist;
static void *s_router;

/* Sleep MS, answering catch-up requests meanwhile. */
static void s_sleep_ms(long ms)
{
    if (!s_router) {
        struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
        return;
    }
    int64_t until = clock_mono_ns() + ms * NS_PER_MS;
    for (;;) {
        history_serve(s_hist, s_router);
        int64_t left = until - clock_mono_ns();
        if (left <= 0) return;
        zmq_pollitem_t it = {s_router, 0, ZMQ_POLLIN, 0};
        zmq_poll(&it, 1, (int)((left + NS_PER_MS - 1) / NS_PER_MS));
    }
}

static int s_listed(const strlist_t *l, long i)
{
    for (int k = 0; k < l->n; k++)
        if (atol(l->v[k]) == i) return 1;
    return 0;
}

static void s_ticker(int64_t close_s, char *out, size_t n)
{
    static const char *mon[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
    time_t t = (time_t)close_s;
    struct tm tm;
    gmtime_r(&t, &tm);
    snprintf(out, n, "KXBTC15M-%02d%s%02d%02d%02d-%02d", tm.tm_year % 100, mon[tm.tm_mon],
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_min % 60);
}

static void s_raw(jw_t *w, const char *json) { jw_raw(w, json, strlen(json)); }

static void s_venue(jw_t *w, const char *name, int64_t mid)
{
    jw_key(w, name);
    jw_obj(w);
    jw_kfixed(w, "bid", mid - 50, 2, 1);
    jw_kfixed(w, "ask", mid + 50, 2, 1);
    jw_kint(w, "age_ms", 40);
    jw_kbool(w, "ok", 1);
    jw_obj_end(w);
}

static void s_tick(jw_t *w, long i, int64_t ts_s)
{
    char ts[32], tk[48], ot[32], ct[32];
    clock_fmt_iso(ts_s * NS_PER_S, ts, sizeof ts);
    int64_t px = 9700000 + (i * 37) % 5000; /* cents */
    int64_t close_s = ts_s - ts_s % o_window + o_window;
    s_ticker(close_s, tk, sizeof tk);
    clock_fmt_iso((close_s - o_window) * NS_PER_S, ot, sizeof ot);
    clock_fmt_iso(close_s * NS_PER_S, ct, sizeof ct);
    jw_kstr(w, "type", "tick");
    jw_kstr(w, "ts", ts);
    jw_kfixed(w, "brti", px, 2, 2);
    jw_kstr(w, "brti_src", "official");
    jw_kfixed(w, "brti_official", px, 2, 2);
    jw_kfixed(w, "brti_rti", px + 3, 2, 2);
    jw_knull(w, "brti_median");
    jw_kfixed(w, "coinbase", px + 10, 2, 2);
    if (o_null_kraken) jw_knull(w, "kraken");
    else jw_kfixed(w, "kraken", px - 10, 2, 2);
    jw_kfixed(w, "bitstamp", px + 5, 2, 2);
    jw_key(w, "venues");
    jw_obj(w);
    s_venue(w, "coinbase", px + 10);
    s_venue(w, "kraken", px - 10);
    s_venue(w, "bitstamp", px + 5);
    jw_obj_end(w);
    jw_key(w, "markets");
    jw_arr(w);
    jw_obj(w);
    jw_kstr(w, "ticker", tk);
    jw_kstr(w, "status", "active");
    jw_kfixed(w, "strike", 9701247, 2, 2);
    jw_kint(w, "yes_bid", 52);
    jw_kint(w, "yes_ask", 54);
    jw_kint(w, "no_bid", 46);
    jw_kint(w, "no_ask", 48);
    jw_kfixed(w, "yes_bid_dollars", 52, 2, 2);
    jw_kfixed(w, "yes_ask_dollars", 54, 2, 2);
    jw_kint(w, "last_price", 53);
    jw_kint(w, "volume", 1500 + i);
    jw_kint(w, "open_interest", 890);
    jw_kstr(w, "open_time", ot);
    jw_kstr(w, "close_time", ct);
    jw_kint(w, "secs_to_close", close_s - ts_s);
    jw_kint(w, "secs_left", close_s - ts_s + 300);
    jw_key(w, "yes_book");
    s_raw(w, "[[51,300],[52,120]]"); /* the Go collector's order: ascending, best bid last */
    jw_key(w, "no_book");
    s_raw(w, "[[46,80]]");
    jw_kint(w, "book_age_ms", 210); /* result omitted until known, as the aggregator */
    jw_obj_end(w);
    jw_arr_end(w);
    jw_key(w, "settle");
    s_raw(w, "{\"window_avg_official\":null,\"window_avg_proxy\":null,\"n\":0}");
    jw_key(w, "health");
    s_raw(w, "{\"stale\":[],\"gaps\":0,\"venues_used\":3}");
}

int main(int argc, char **argv)
{
    opts_parse("tickgen", "Publish test ticks as the aggregator would.", s_opts, argc, argv, NULL);
    char ep[BUS_EP_MAX], epoch[24];
    if (bus_pub_endpoint(opts_common.bus, opts_common.pub, opts_common.name, ep, sizeof ep) < 0)
        return 69;
    int64_t start_s = clock_real_ns() / NS_PER_S, ns;
    if (o_start) {
        if (clock_parse_iso(o_start, strlen(o_start), &ns) < 0) opts_die("start", o_start, "not ISO");
        start_s = ns / NS_PER_S;
    }
    uint64_t r = 0;
    if (getrandom(&r, sizeof r, 0) != (ssize_t)sizeof r) r = (uint64_t)clock_real_ns();
    snprintf(epoch, sizeof epoch, "%s", o_epoch ? o_epoch : "");
    if (!o_epoch) snprintf(epoch, sizeof epoch, "%016llx", (unsigned long long)r);
    signal(SIGTERM, s_on_signal);
    signal(SIGINT, s_on_signal);
    void *z = zmq_socket(bus_ctx(), ZMQ_PUB);
    int hwm = 1000000, linger = 2000;
    zmq_setsockopt(z, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt(z, ZMQ_LINGER, &linger, sizeof linger);
    if (zmq_bind(z, ep) < 0) {
        log_warnx("cannot bind %s: %s", ep, zmq_strerror(zmq_errno()));
        return 69;
    }
    if (o_history_s > 0) {
        char hep[BUS_EP_MAX];
        if (bus_hist_endpoint(ep, hep, sizeof hep) < 0) opts_die("history-s", "", "needs an ipc bus");
        s_router = zmq_socket(bus_ctx(), ZMQ_ROUTER);
        zmq_setsockopt(s_router, ZMQ_LINGER, &linger, sizeof linger);
        if (zmq_bind(s_router, hep) < 0) {
            log_warnx("cannot bind %s: %s", hep, zmq_strerror(zmq_errno()));
            return 69;
        }
        s_hist = history_new(o_history_s, 256u << 20, epoch);
    }
    s_sleep_ms(o_delay_ms);
    jw_t w;
    jw_init(&w, 4096);
    uint64_t seq = 0, sent = 0, drops = 0;
    char *msg = NULL;
    size_t cap = 0;
    int64_t ts_s = start_s;
    for (long i = 1; !s_stop && (o_count == 0 || i <= o_count); i++, ts_s++) {
        if (s_listed(&o_skip, i)) continue; /* no tick for this second */
        for (int part = 0; part < 3; part++) {
            const char *topic;
            jw_fragment(&w);
            char head[256];
            int64_t now = clock_real_ns();
            if (part == 0) {
                topic = "tick";
                s_tick(&w, i, ts_s);
            } else if (part == 1) {
                if (!o_events || i % o_events) continue;
                char tk[48];
                s_ticker(ts_s - ts_s % o_window + o_window, tk, sizeof tk);
                topic = "event.market_open";
                jw_kstr(&w, "type", "market_open");
                jw_kstr(&w, "ticker", tk);
                jw_kint(&w, "i", i);
            } else {
                if (!o_hb) continue;
                topic = "hb.tickgen";
                jw_kint(&w, "pid", 1);
                jw_kstr(&w, "state", "ok");
                jw_kint(&w, "progress", i);
            }
            seq++;
            int k = snprintf(head, sizeof head,
                             "{\"src\":\"%s\",\"epoch\":\"%s\",\"seq\":%llu,\"ts_rx\":%lld,"
                             "\"ts_ex\":null,\"ts_pub\":%lld,",
                             opts_common.name, epoch, (unsigned long long)seq, (long long)now,
                             (long long)now);
            size_t n = (size_t)k + w.len + 1;
            if (n > cap) {
                cap = n * 2;
                msg = realloc(msg, cap);
                if (!msg) return 70;
            }
            memcpy(msg, head, (size_t)k);
            memcpy(msg + k, w.buf, w.len);
            msg[n - 1] = '}';
            if (s_hist) history_observe(topic, msg, n, seq, s_hist);
            if (part == 0 && s_listed(&o_lose, i)) continue; /* lost on the way (kept above) */
            if (zmq_send(z, topic, strlen(topic), ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
                zmq_send(z, msg, n, ZMQ_DONTWAIT) < 0)
                drops++;
            else if (part == 0)
                sent++;
        }
        if (o_interval_ms || s_router) s_sleep_ms(o_interval_ms);
    }
    s_sleep_ms(500); /* let the I/O thread flush */
    fprintf(stderr, "tickgen: ticks=%llu seq=%llu drops=%llu epoch=%s last_ts=%lld\n",
            (unsigned long long)sent, (unsigned long long)seq, (unsigned long long)drops, epoch,
            (long long)(ts_s - 1));
    free(msg);
    jw_free(&w);
    history_destroy(&s_hist);
    if (s_router) zmq_close(s_router);
    zmq_close(z);
    bus_ctx_term();
    return 0;
}
