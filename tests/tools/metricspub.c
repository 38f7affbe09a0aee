/* metricspub: a stand-in pipeline for the tickbus-metrics tests. Publishes
 * hb.NAME through lib/hb (with reconnects/gaps/resyncs detail members), and
 * optionally a tick (docs/RECORD.md) per UTC second (official BRTI, RTI and
 * median a known number of bps apart, venue ages) and event.restart records, so
 * a test knows exactly which values a scrape must show. */
#include "bus.h"
#include "clock.h"
#include "hb.h"
#include "jw.h"
#include "log.h"
#include "opts.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static long o_reconnects, o_restarts, o_venue_age_ms;
static double o_seconds, o_rti_bps, o_median_bps;
static int o_ticks;
static char *o_restart_name;
static volatile sig_atomic_t s_stop;

static const opt_t s_opts[] = {
    {"seconds", OPT_DBL, &o_seconds, "0", 0, 86400, NULL, "run this long (0: until stopped)", 0},
    {"reconnects", OPT_INT, &o_reconnects, "0", 0, 1e9, NULL, "hb detail: reconnects", 0},
    {"ticks", OPT_BOOL, &o_ticks, "0", 1, 0, NULL, "publish a tick every UTC second", 0},
    {"rti-bps", OPT_DBL, &o_rti_bps, "1.5", -1e4, 1e4, NULL, "brti_rti above official, bps", 0},
    {"median-bps", OPT_DBL, &o_median_bps, "-4", -1e4, 1e4, NULL, "brti_median vs official, bps", 0},
    {"venue-age-ms", OPT_INT, &o_venue_age_ms, "40", 0, 1e9, NULL, "venues.kraken.age_ms", 0},
    {"restart-name", OPT_STR, &o_restart_name, NULL, 1, 0, NULL,
     "publish --restarts event.restart records naming this program", 0},
    {"restarts", OPT_INT, &o_restarts, "1", 0, 1000, NULL, "how many event.restart", 0},
    {NULL, 0, NULL, NULL, 0, 0, NULL, NULL, 0},
};

static void s_on_signal(int sig)
{
    (void)sig;
    s_stop = 1;
}

static void s_detail(jw_t *w, void *arg)
{
    (void)arg;
    jw_kbool(w, "connected", 1);
    jw_kint(w, "last_data_age_ms", 25);
    jw_kint(w, "reconnects", o_reconnects);
    jw_kint(w, "gaps", 2);
    jw_kint(w, "resyncs", 1);
}

static void s_tick(bus_pub_t *p, jw_t *w, int64_t sec)
{
    char iso[40];
    double off = 100000 + (double)(sec % 60);
    jw_fragment(w);
    jw_kstr(w, "type", "tick");
    jw_kstr(w, "ts", clock_fmt_iso(sec * NS_PER_S, iso, sizeof iso));
    jw_kdbl(w, "brti", off, 2);
    jw_kstr(w, "brti_src", "official");
    jw_kdbl(w, "brti_official", off, 2);
    jw_kint(w, "brti_official_age_ms", 300);
    jw_kdbl(w, "brti_rti", off * (1 + o_rti_bps / 1e4), 6);
    jw_kdbl(w, "brti_median", off * (1 + o_median_bps / 1e4), 6);
    jw_key(w, "venues");
    jw_obj(w);
    static const char *const v[] = {"coinbase", "kraken", "bitstamp", "gemini", "cryptocom"};
    for (int i = 0; i < (int)ARRAY_LEN(v); i++) {
        jw_key(w, v[i]);
        jw_obj(w);
        jw_kdbl(w, "bid", off - 1, 2);
        jw_kdbl(w, "ask", off + 1, 2);
        jw_kint(w, "age_ms", i == 1 ? o_venue_age_ms : 40);
        jw_kbool(w, "ok", 1);
        jw_obj_end(w);
    }
    jw_obj_end(w);
    jw_key(w, "markets");
    jw_arr(w);
    jw_obj(w);
    jw_kstr(w, "ticker", "KXBTC15M-TEST-00");
    jw_obj_end(w);
    jw_arr_end(w);
    jw_key(w, "health");
    jw_obj(w);
    jw_key(w, "stale");
    jw_arr(w);
    jw_arr_end(w);
    jw_kint(w, "gaps", 0);
    jw_kint(w, "venues_ok", (int)ARRAY_LEN(v));
    jw_kstr(w, "state", "ok");
    jw_obj_end(w);
    bus_pub_send(p, "tick", w->buf, w->len, sec * NS_PER_S, -1);
}

int main(int argc, char **argv)
{
    opts_parse("metricspub", "Publish hb, ticks and restart events for the metrics tests.",
               s_opts, argc, argv, NULL);
    char ep[BUS_EP_MAX];
    if (bus_pub_endpoint(opts_common.bus, opts_common.pub, opts_common.name, ep, sizeof ep) < 0)
        return 69;
    signal(SIGINT, s_on_signal);
    signal(SIGTERM, s_on_signal);
    bus_pub_t *p = bus_pub_new(opts_common.name, ep, 0);
    if (!p) return 69;
    hb_t *h = hb_new(p, s_detail, NULL);
    jw_t w;
    jw_init(&w, 2048);
    int64_t start = clock_mono_ns(), last_sec = clock_real_ns() / NS_PER_S;
    long restarts_sent = 0;
    while (!s_stop && (o_seconds <= 0 || clock_mono_ns() - start < (int64_t)(o_seconds * NS_PER_S))) {
        int64_t sec = clock_real_ns() / NS_PER_S;
        if (sec != last_sec) {
            last_sec = sec;
            hb_progress(h, 10);
            if (o_ticks) s_tick(p, &w, sec);
            /* one restart a second, after subscribers had a second to connect */
            if (o_restart_name && restarts_sent < o_restarts && clock_mono_ns() - start > NS_PER_S) {
                jw_fragment(&w);
                jw_kstr(&w, "unit", o_restart_name);
                jw_kstr(&w, "name", o_restart_name);
                jw_kstr(&w, "reason", "hb_missing");
                bus_pub_send(p, "event.restart", w.buf, w.len, clock_real_ns(), -1);
                restarts_sent++;
            }
        }
        hb_tick(h);
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    jw_free(&w);
    hb_destroy(&h);
    bus_pub_destroy(&p);
    bus_ctx_term();
    return 0;
}
