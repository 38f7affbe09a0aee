/* aggregator: subscribes to the feeds and publishes, once per UTC second, the tick record
 * (docs/CONTRACT.md, 'The tick record') on topic `tick`, plus event.* records (market_open,
 * strike_set, settlement, gap). One loop: receive bus messages until the next second boundary on
 * the realtime clock, take the state as of the boundary, write the tick. docs/RECORD.md describes
 * the records. */
#include "aggcfg.h"
#include "bus.h"
#include "clock.h"
#include "hb.h"
#include "jtok.h"
#include "jw.h"
#include "log.h"
#include "opts.h"
#include "tick.h"
#include "util.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static volatile sig_atomic_t s_stop;
static void s_on_signal(int sig)
{
    (void)sig;
    s_stop = 1;
}

/* Emission lag of the last ticks, for the heartbeat (and docs/PERFORMANCE.md). */
#define LAGS 4096
static int64_t s_lag[LAGS];
static uint64_t s_nlag;
static int64_t s_lag_max;

static int s_cmp64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static void s_hb_detail(jw_t *w, void *arg)
{
    tick_hb_detail(w, arg);
    int n = s_nlag < LAGS ? (int)s_nlag : LAGS;
    static int64_t sorted[LAGS];
    memcpy(sorted, s_lag, (size_t)n * sizeof *sorted);
    qsort(sorted, (size_t)n, sizeof *sorted, s_cmp64);
    jw_key(w, "lag_us");
    jw_obj(w);
    jw_kint(w, "n", n);
    if (n) {
        jw_kint(w, "p50", sorted[n / 2] / 1000);
        jw_kint(w, "p99", sorted[(n * 99) / 100] / 1000);
        jw_kint(w, "max", s_lag_max / 1000);
        jw_kint(w, "last", s_lag[(s_nlag - 1) % LAGS] / 1000);
    }
    jw_obj_end(w);
}

/* After the process was stopped for longer than the bus heartbeat timeout, subscribers have
 * dropped their connections and are reconnecting: what is published right away would be lost
 * to them. So the gap event and the late tick are held in this outbox for up to a second. */
#define OUTBOX 8
static struct {
    char topic[64];
    char *body;
    size_t len;
    int64_t ts_rx;
} s_out[OUTBOX];
static int s_nout, s_holding;

static void s_publish(bus_pub_t *pub, const char *topic, const char *body, size_t len,
                      int64_t ts_rx)
{
    if (!s_holding || s_nout == OUTBOX) {
        bus_pub_send(pub, topic, body, len, ts_rx, -1);
        return;
    }
    snprintf(s_out[s_nout].topic, sizeof s_out[s_nout].topic, "%s", topic);
    s_out[s_nout].body = xstrndup(body, len);
    s_out[s_nout].len = len;
    s_out[s_nout].ts_rx = ts_rx;
    s_nout++;
}

static void s_flush(bus_pub_t *pub)
{
    for (int i = 0; i < s_nout; i++) {
        bus_pub_send(pub, s_out[i].topic, s_out[i].body, s_out[i].len, s_out[i].ts_rx, -1);
        free(s_out[i].body);
    }
    s_nout = 0;
    s_holding = 0;
}

/* --clock replay: "now" is the replayed messages' original publication time (-1: real clock). */
static int64_t s_replay_now = -1;

static void s_emit_event(const char *topic, const char *body, size_t len, void *arg)
{
    s_publish(arg, topic, body, len, s_replay_now >= 0 ? s_replay_now : clock_real_ns());
}

/* Messages received after the boundary (ts_pub >= it), held until the tick of that boundary is
 * out; receiving goes on meanwhile, so a message published before the boundary that arrives
 * behind a held one (another feed) still makes this tick. */
typedef struct {
    bus_msg_t m;
    char *topic, *body;
    size_t tcap, bcap;
} s_held_t;
static s_held_t *s_held;
static int s_nheld, s_held_cap;

static void s_hold(const bus_msg_t *m)
{
    if (s_nheld == s_held_cap) {
        s_held_cap = s_held_cap ? 2 * s_held_cap : 8;
        s_held = xrealloc(s_held, (size_t)s_held_cap * sizeof *s_held);
        memset(s_held + s_nheld, 0, (size_t)(s_held_cap - s_nheld) * sizeof *s_held);
    }
    s_held_t *p = &s_held[s_nheld++];
    if (p->tcap < m->topic_len + 1) p->topic = xrealloc(p->topic, p->tcap = m->topic_len + 1);
    if (p->bcap < m->body_len + 1) p->body = xrealloc(p->body, p->bcap = m->body_len + 1);
    memcpy(p->topic, m->topic, m->topic_len + 1);
    memcpy(p->body, m->body, m->body_len + 1);
    p->m = *m;
    p->m.topic = p->topic;
    p->m.body = p->body;
}

/* Apply the held messages in arrival order. */
static void s_apply_held(tick_t *tk)
{
    for (int i = 0; i < s_nheld; i++) tick_on_msg(tk, &s_held[i].m);
    s_nheld = 0;
}

static void s_free_held(void)
{
    for (int i = 0; i < s_held_cap; i++) {
        free(s_held[i].topic);
        free(s_held[i].body);
    }
    free(s_held);
}

/* --clock replay (docs/SINKS.md, Replay): the input is `replay` republishing a capture; each
 * message carries its original envelope in "orig" (src, epoch, seq, ts_pub) and its original
 * ts_rx/ts_ex as its own. Time is the original ts_pub: the tick of second S is written once a
 * message published at or after S arrives (tick_replay_msg, as aggreplay does), so the ticks
 * hold exactly the messages published before S, with ages measured from their ts_rx. */
typedef struct {
    bus_pub_t *pub;
    hb_t *hb;
    uint64_t unclocked, joined_late;
} s_replay_t;

static void s_replay_tick(int64_t ts_s, const jw_t *w, void *arg)
{
    s_replay_t *r = arg;
    bus_pub_send(r->pub, "tick", w->buf, w->len, ts_s * NS_PER_S, -1);
    hb_progress(r->hb, 1);
}

/* The original envelope of a replayed message: M's ts_pub and src become the original ones.
 * Returns 0, or -1 when M carries none (not from replay, e.g. hb.replay). */
static int s_replay_orig(jtok_t *d, bus_msg_t *m)
{
    if (jtok_parse(d, m->body, m->body_len) < 0 || jtok_type(d, 0) != JSMN_OBJECT) return -1;
    int o = jtok_get(d, 0, "orig");
    if (o < 0 || jtok_type(d, o) != JSMN_OBJECT) return -1;
    int64_t ts;
    if (jtok_int(d, jtok_get(d, o, "ts_pub"), &ts) < 0) return -1;
    m->ts_pub = ts;
    int s = jtok_get(d, o, "src");
    if (s >= 0) jtok_str(d, s, m->src, sizeof m->src);
    return 0;
}

static void s_replay_detail(jw_t *w, void *arg)
{
    s_replay_t *r = arg;
    jw_kuint(w, "replay_unclocked", r->unclocked);
    jw_kuint(w, "replay_joined_late", r->joined_late);
}

static s_replay_t s_rp;

static void s_hb_replay(jw_t *w, void *arg)
{
    tick_hb_detail(w, arg);
    s_replay_detail(w, &s_rp);
}

static void s_run_replay(bus_sub_t *sub, tick_t *tk)
{
    jw_t w;
    jw_init(&w, 16384);
    jtok_t d;
    jtok_init(&d);
    int64_t next = -1;
    while (!s_stop) {
        bus_msg_t m;
        int got = bus_sub_recv(sub, &m, 200);
        if (got == 1) {
            if (m.first && m.seq > 1) {
                s_rp.joined_late += m.seq - 1;
                log_warnx("joined the replay late: its first %llu messages (heartbeats included) "
                          "were not received",
                          (unsigned long long)(m.seq - 1));
            }
            if (s_replay_orig(&d, &m) < 0) {
                s_rp.unclocked++;
            } else {
                s_replay_now = m.ts_pub;
                tick_replay_msg(tk, &next, &m, &w, s_replay_tick, &s_rp);
            }
        }
        hb_state(s_rp.hb, tick_stats(tk)->ticks ? tick_state(tk) : "ok");
        hb_tick(s_rp.hb);
    }
    log_info("stopping: replay ticks=%llu", (unsigned long long)tick_stats(tk)->ticks);
    jtok_free(&d);
    jw_free(&w);
}

static void s_sleep_until(int64_t real_ns)
{
    struct timespec ts = {(time_t)(real_ns / NS_PER_S), (long)(real_ns % NS_PER_S)};
    while (clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &ts, NULL) == EINTR && !s_stop) {}
}

int main(int argc, char **argv)
{
    aggcfg_t *cfg = aggcfg_new();
    aggcfg_parse(cfg, argc, argv);
    int replay = cfg->clock == AGGCFG_CLOCK_REPLAY;

    char dir[400], ep[BUS_EP_MAX];
    if (bus_dir(opts_common.bus, dir, sizeof dir) < 0) return 69;
    if (bus_pub_endpoint(opts_common.bus, opts_common.pub, opts_common.name, ep, sizeof ep) < 0)
        return 64;
    static const char *const feeds[] = {"feed-coinbase", "feed-kraken", "feed-bitstamp",
                                        "feed-kalshi", NULL};
    static const char *const replayer[] = {"replay", NULL};
    if (bus_default_subs(&opts_common.sub, dir, replay ? replayer : feeds) < 0) return 64;
    const strlist_t subs = opts_common.sub;
    aggcfg_log(cfg);
    if (opts_common.check) return 0;

    signal(SIGINT, s_on_signal);
    signal(SIGTERM, s_on_signal);
    signal(SIGPIPE, SIG_IGN);
    bus_pub_t *pub = bus_pub_new(opts_common.name, ep, (int)cfg->hwm);
    if (!pub) return 69;
    bus_sub_t *sub = bus_sub_new();
    for (int i = 0; i < subs.n; i++)
        if (bus_sub_connect(sub, subs.v[i]) < 0) return 64;
    tick_t *tk = tick_new(&cfg->tick, s_emit_event, pub);
    hb_t *hb = hb_new(pub, replay ? s_hb_replay : s_hb_detail, tk);
    hb_ready(hb, "ticking");
    log_info("publishing on %s, %d upstreams", ep, subs.n);
    if (replay) {
        s_rp.pub = pub;
        s_rp.hb = hb;
        s_run_replay(sub, tk);
        s_stop = 1;
    }

    jw_t w;
    jw_init(&w, 16384);
    int64_t last_ts = clock_real_ns() / NS_PER_S; /* first tick: the next boundary */
    int64_t last_real = clock_real_ns(), last_mono = clock_mono_ns();
    int rc = 0, warned_back = 0;
    while (!s_stop) {
        int64_t target = last_ts + 1, bound = target * NS_PER_S;
        int64_t now = clock_real_ns();
        if (now >= bound) {
            int64_t sec = now / NS_PER_S, b = sec * NS_PER_S;
            /* take in what was published before the boundary, hold the rest */
            if (s_nheld) { /* held while sleeping to this boundary (or one skipped over) */
                int k = 0;
                for (int i = 0; i < s_nheld; i++) {
                    if (s_held[i].m.ts_pub < b) tick_on_msg(tk, &s_held[i].m);
                    else if (k != i) {
                        s_held_t tmp = s_held[k];
                        s_held[k++] = s_held[i];
                        s_held[i] = tmp;
                    } else k++;
                }
                s_nheld = k;
            }
            bus_msg_t m;
            for (int k = 0; k < 10000 && bus_sub_recv(sub, &m, 0) == 1; k++) {
                if (m.ts_pub >= b) s_hold(&m);
                else tick_on_msg(tk, &m);
            }
            if (sec > target) {
                int64_t dr = now - last_real, dm = clock_mono_ns() - last_mono;
                const char *why = llabs(dr - dm) > NS_PER_S / 2 ? "clock_step" : "stall";
                log_warnx("no tick for %lld s (%s): writing event.gap", (long long)(sec - target),
                          why);
                s_holding = 1;
                tick_gap(tk, target, sec - 1, why);
            }
            tick_write(tk, sec, b, &w);
            s_publish(pub, "tick", w.buf, w.len, b);
            if (s_holding) {
                int64_t until = clock_real_ns() + NS_PER_S;
                if (until > b + NS_PER_S - 2 * NS_PER_MS) until = b + NS_PER_S - 2 * NS_PER_MS;
                s_sleep_until(until);
                s_flush(pub);
            }
            int64_t lag = clock_real_ns() - b;
            s_lag[s_nlag++ % LAGS] = lag;
            if (lag > s_lag_max) s_lag_max = lag;
            hb_progress(hb, 1);
            last_ts = sec;
            last_real = clock_real_ns();
            last_mono = clock_mono_ns();
            warned_back = 0;
            s_apply_held(tk);
            hb_tick(hb);
            continue;
        }
        int64_t idle = clock_mono_ns() - last_mono;
        if ((double)idle > cfg->stall_s * NS_PER_S) {
            log_crit("no tick for %.1f s (realtime clock %s): exiting 75", (double)idle / NS_PER_S,
                     now < (last_ts + 1) * NS_PER_S - NS_PER_S ? "stepped back" : "stuck");
            rc = 75;
            break;
        }
        if (!warned_back && bound - now > 2 * NS_PER_S) {
            warned_back = 1;
            log_warnx("realtime clock stepped back %.3f s: waiting, no second is written twice",
                      (double)(bound - now - NS_PER_S) / NS_PER_S);
            hb_state(hb, "degraded");
        }
        int64_t wait_ms = (bound - now) / NS_PER_MS;
        if (wait_ms > 200) wait_ms = 200;
        if (wait_ms < 2 || s_nheld) {
            s_sleep_until(bound); /* under 2 ms (or holding a later message): sleep to the exact boundary */
            continue;
        }
        bus_msg_t m;
        int got = bus_sub_recv(sub, &m, (int)wait_ms - 1);
        if (got == 1) {
            if (m.ts_pub >= bound) s_hold(&m);
            else tick_on_msg(tk, &m);
        }
        hb_state(hb, warned_back ? "degraded" : tick_state(tk));
        hb_tick(hb);
    }
    log_info("stopping: ticks=%llu lag_max_us=%lld", (unsigned long long)tick_stats(tk)->ticks,
             (long long)(s_lag_max / 1000));
    jw_free(&w);
    s_free_held();
    hb_destroy(&hb);
    tick_destroy(&tk);
    aggcfg_destroy(&cfg);
    bus_sub_destroy(&sub);
    bus_pub_destroy(&pub);
    bus_ctx_term();
    return rc;
}
