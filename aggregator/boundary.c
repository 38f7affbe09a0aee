/* boundary: the aggregator's clock loops, held messages and outbox (see boundary.h). */
#include "prog.h"
#include "boundary.h"
#include "clock.h"
#include "jtok.h"
#include "log.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#define LAGS 4096 /* emission lags kept for the heartbeat (and docs/PERFORMANCE.md) */
#define OUTBOX 8

/* A message received after the boundary (ts_pub >= it), with its own copies of topic and body. */
typedef struct {
    bus_msg_t m;
    char *topic, *body;
    size_t tcap, bcap;
} held_t;

struct boundary {
    boundary_io_t io;
    tick_t *tk;
    double stall_s;
    jw_t w;
    /* Messages received after the boundary, held until the tick of that boundary is out;
     * receiving goes on meanwhile, so a message published before the boundary that arrives
     * behind a held one (another feed) still makes this tick. */
    held_t *held;
    int nheld, held_cap;
    /* After the process was stopped for longer than the bus heartbeat timeout, subscribers have
     * dropped their connections and are reconnecting: what is published right away would be
     * lost to them. So the gap event and the late tick are held here for up to a second. */
    struct {
        char topic[64];
        char *body;
        size_t len;
        int64_t ts_rx;
    } out[OUTBOX];
    int nout, holding;
    /* the realtime loop */
    int started, warned_back;
    int64_t last_ts, last_real, last_mono;
    int64_t lag[LAGS], sorted[LAGS], lag_max;
    uint64_t nlag;
    /* the replay loop: "now" is the replayed messages' original publication time */
    int64_t replay_now, replay_next;
    uint64_t unclocked, joined_late;
    jtok_t d;
};

/* ---- publishing: directly, or into the outbox while holding ---- */

static void s_publish(boundary_t *b, const char *topic, const char *body, size_t len,
                      int64_t ts_rx)
{
    if (!b->holding || b->nout == OUTBOX) {
        b->io.send(b->io.arg, topic, body, len, ts_rx);
        return;
    }
    snprintf(b->out[b->nout].topic, sizeof b->out[b->nout].topic, "%s", topic);
    b->out[b->nout].body = xstrndup(body, len);
    b->out[b->nout].len = len;
    b->out[b->nout].ts_rx = ts_rx;
    b->nout++;
}

static void s_flush(boundary_t *b)
{
    for (int i = 0; i < b->nout; i++) {
        b->io.send(b->io.arg, b->out[i].topic, b->out[i].body, b->out[i].len, b->out[i].ts_rx);
        free(b->out[i].body);
    }
    b->nout = 0;
    b->holding = 0;
}

static void s_emit_event(const char *topic, const char *body, size_t len, void *arg)
{
    boundary_t *b = arg;
    s_publish(b, topic, body, len, b->replay_now >= 0 ? b->replay_now : b->io.real_ns(b->io.arg));
}

/* ---- held messages ---- */

static void s_hold(boundary_t *b, const bus_msg_t *m)
{
    if (b->nheld == b->held_cap) {
        b->held_cap = b->held_cap ? 2 * b->held_cap : 8;
        b->held = xrealloc(b->held, (size_t)b->held_cap * sizeof *b->held);
        memset(b->held + b->nheld, 0, (size_t)(b->held_cap - b->nheld) * sizeof *b->held);
    }
    held_t *p = &b->held[b->nheld++];
    if (p->tcap < m->topic_len + 1) p->topic = xrealloc(p->topic, p->tcap = m->topic_len + 1);
    if (p->bcap < m->body_len + 1) p->body = xrealloc(p->body, p->bcap = m->body_len + 1);
    memcpy(p->topic, m->topic, m->topic_len + 1);
    memcpy(p->body, m->body, m->body_len + 1);
    p->m = *m;
    p->m.topic = p->topic;
    p->m.body = p->body;
}

/* Apply the held messages published before BOUND (ns), in arrival order; keep the others. */
static void s_apply_held_before(boundary_t *b, int64_t bound)
{
    int k = 0;
    for (int i = 0; i < b->nheld; i++) {
        if (b->held[i].m.ts_pub < bound) tick_on_msg(b->tk, &b->held[i].m);
        else if (k != i) {
            held_t tmp = b->held[k];
            b->held[k++] = b->held[i];
            b->held[i] = tmp;
        } else k++;
    }
    b->nheld = k;
}

/* A message received while waiting for boundary BOUND: applied, or held when published after. */
static void s_take(boundary_t *b, const bus_msg_t *m, int64_t bound)
{
    if (m->ts_pub >= bound) s_hold(b, m);
    else tick_on_msg(b->tk, m);
}

/* ---- the realtime loop ---- */

boundary_t *boundary_new(const tick_cfg_t *cfg, boundary_io_t io, double stall_s)
{
    boundary_t *b = xcalloc(1, sizeof *b);
    b->io = io;
    b->stall_s = stall_s;
    b->replay_now = b->replay_next = -1;
    b->tk = tick_new(cfg, s_emit_event, b);
    jw_init(&b->w, 16384);
    jtok_init(&b->d);
    return b;
}

void boundary_destroy(boundary_t **p)
{
    if (!p || !*p) return;
    boundary_t *b = *p;
    for (int i = 0; i < b->held_cap; i++) {
        free(b->held[i].topic);
        free(b->held[i].body);
    }
    free(b->held);
    for (int i = 0; i < b->nout; i++) free(b->out[i].body);
    tick_destroy(&b->tk);
    jw_free(&b->w);
    jtok_free(&b->d);
    free(b);
    *p = NULL;
}

tick_t *boundary_tick(boundary_t *b) { return b->tk; }

/* The boundary of second TARGET is reached at realtime NOW: take in what was published before
 * the boundary of NOW's second (held, then queued), report the seconds skipped since TARGET,
 * write the tick, and then apply what is held for the next one. */
static void s_write_second(boundary_t *b, hb_t *hb, int64_t target, int64_t now)
{
    int64_t sec = now / NS_PER_S, bound = sec * NS_PER_S;
    if (b->nheld) s_apply_held_before(b, bound); /* held while sleeping to it (or one skipped) */
    bus_msg_t m;
    for (int k = 0; k < 10000 && b->io.recv(b->io.arg, &m, 0) == 1; k++) s_take(b, &m, bound);
    if (sec > target) {
        int64_t dr = now - b->last_real, dm = b->io.mono_ns(b->io.arg) - b->last_mono;
        const char *why = llabs(dr - dm) > NS_PER_S / 2 ? "clock_step" : "stall";
        log_warnx("no tick for %lld s (%s): writing event.gap", (long long)(sec - target), why);
        b->holding = 1;
        tick_gap(b->tk, target, sec - 1, why);
    }
    tick_write(b->tk, sec, bound, &b->w);
    s_publish(b, "tick", b->w.buf, b->w.len, bound);
    if (b->holding) {
        int64_t until = b->io.real_ns(b->io.arg) + NS_PER_S;
        if (until > bound + NS_PER_S - 2 * NS_PER_MS) until = bound + NS_PER_S - 2 * NS_PER_MS;
        b->io.sleep_until(b->io.arg, until);
        s_flush(b);
    }
    int64_t lag = b->io.real_ns(b->io.arg) - bound;
    b->lag[b->nlag++ % LAGS] = lag;
    if (lag > b->lag_max) b->lag_max = lag;
    if (hb) hb_progress(hb, 1);
    b->last_ts = sec;
    b->last_real = b->io.real_ns(b->io.arg);
    b->last_mono = b->io.mono_ns(b->io.arg);
    b->warned_back = 0;
    for (int i = 0; i < b->nheld; i++) tick_on_msg(b->tk, &b->held[i].m); /* arrival order */
    b->nheld = 0;
    if (hb) hb_tick(hb);
}

int boundary_step(boundary_t *b, hb_t *hb)
{
    if (!b->started) { /* the first tick: the next boundary */
        b->started = 1;
        b->last_ts = b->io.real_ns(b->io.arg) / NS_PER_S;
        b->last_real = b->io.real_ns(b->io.arg);
        b->last_mono = b->io.mono_ns(b->io.arg);
    }
    int64_t target = b->last_ts + 1, bound = target * NS_PER_S;
    int64_t now = b->io.real_ns(b->io.arg);
    if (now >= bound) {
        s_write_second(b, hb, target, now);
        return 0;
    }
    int64_t idle = b->io.mono_ns(b->io.arg) - b->last_mono;
    if ((double)idle > b->stall_s * NS_PER_S) {
        log_crit("no tick for %.1f s (realtime clock %s): exiting 75", (double)idle / NS_PER_S,
                 now < bound - NS_PER_S ? "stepped back" : "stuck");
        return PROG_EX_STALLED;
    }
    if (!b->warned_back && bound - now > 2 * NS_PER_S) {
        b->warned_back = 1;
        log_warnx("realtime clock stepped back %.3f s: waiting, no second is written twice",
                  (double)(bound - now - NS_PER_S) / NS_PER_S);
        if (hb) hb_state(hb, "degraded");
    }
    int64_t wait_ms = (bound - now) / NS_PER_MS;
    if (wait_ms > 200) wait_ms = 200;
    if (wait_ms < 2 || b->nheld) {
        /* under 2 ms (or holding a later message): sleep to the exact boundary */
        b->io.sleep_until(b->io.arg, bound);
        return 0;
    }
    bus_msg_t m;
    if (b->io.recv(b->io.arg, &m, (int)wait_ms - 1) == 1) s_take(b, &m, bound);
    if (hb) {
        hb_state(hb, b->warned_back ? "degraded" : tick_state(b->tk));
        hb_tick(hb);
    }
    return 0;
}

int boundary_run(boundary_t *b, hb_t *hb, volatile sig_atomic_t *stop)
{
    int rc = 0;
    while (!*stop && rc == 0) rc = boundary_step(b, hb);
    log_info("stopping: ticks=%llu lag_max_us=%lld",
             (unsigned long long)tick_stats(b->tk)->ticks, (long long)(b->lag_max / 1000));
    return rc;
}

static int s_cmp64(const void *x, const void *y)
{
    int64_t a = *(const int64_t *)x, c = *(const int64_t *)y;
    return a < c ? -1 : a > c;
}

void boundary_hb_detail(jw_t *w, void *arg)
{
    boundary_t *b = arg;
    tick_hb_detail(w, b->tk);
    int n = b->nlag < LAGS ? (int)b->nlag : LAGS;
    memcpy(b->sorted, b->lag, (size_t)n * sizeof *b->sorted);
    qsort(b->sorted, (size_t)n, sizeof *b->sorted, s_cmp64);
    jw_key(w, "lag_us");
    jw_obj(w);
    jw_kint(w, "n", n);
    if (n) {
        jw_kint(w, "p50", b->sorted[n / 2] / 1000);
        jw_kint(w, "p99", b->sorted[(n * 99) / 100] / 1000);
        jw_kint(w, "max", b->lag_max / 1000);
        jw_kint(w, "last", b->lag[(b->nlag - 1) % LAGS] / 1000);
    }
    jw_obj_end(w);
}

/* ---- the replay loop ---- */

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

static void s_replay_tick(int64_t ts_s, const jw_t *w, void *arg)
{
    boundary_t *b = arg;
    b->io.send(b->io.arg, "tick", w->buf, w->len, ts_s * NS_PER_S);
}

/* One replayed message M: the ticks it makes due, then M itself. */
static void s_replay_msg(boundary_t *b, bus_msg_t *m)
{
    if (m->first && m->seq > 1) {
        b->joined_late += m->seq - 1;
        log_warnx("joined the replay late: its first %llu messages (heartbeats included) "
                  "were not received",
                  (unsigned long long)(m->seq - 1));
    }
    if (s_replay_orig(&b->d, m) < 0) {
        b->unclocked++;
        return;
    }
    b->replay_now = m->ts_pub;
    tick_replay_msg(b->tk, &b->replay_next, m, &b->w, s_replay_tick, b);
}

int boundary_run_replay(boundary_t *b, hb_t *hb, volatile sig_atomic_t *stop)
{
    while (!*stop) {
        bus_msg_t m;
        uint64_t ticks = tick_stats(b->tk)->ticks;
        if (b->io.recv(b->io.arg, &m, 200) == 1) s_replay_msg(b, &m);
        if (hb) {
            hb_progress(hb, tick_stats(b->tk)->ticks - ticks);
            hb_state(hb, tick_stats(b->tk)->ticks ? tick_state(b->tk) : "ok");
            hb_tick(hb);
        }
    }
    log_info("stopping: replay ticks=%llu", (unsigned long long)tick_stats(b->tk)->ticks);
    return 0;
}

void boundary_hb_replay(jw_t *w, void *arg)
{
    boundary_t *b = arg;
    tick_hb_detail(w, b->tk);
    jw_kuint(w, "replay_unclocked", b->unclocked);
    jw_kuint(w, "replay_joined_late", b->joined_late);
}

/* ---- the real world ---- */

static int64_t s_real_ns(void *arg)
{
    (void)arg;
    return clock_real_ns();
}

static int64_t s_mono_ns(void *arg)
{
    (void)arg;
    return clock_mono_ns();
}

static void s_sleep_until(void *arg, int64_t real_ns)
{
    boundary_bus_t *bb = arg;
    struct timespec ts = {(time_t)(real_ns / NS_PER_S), (long)(real_ns % NS_PER_S)};
    while (clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &ts, NULL) == EINTR && !*bb->stop) {}
}

/* With a socket to serve (the catch-up ROUTER): a message waiting on the SUB is taken at once
 * (one poll, as without it), the ROUTER served between messages at least every 10 ms; only
 * when the SUB is quiet do both wait in one poll. */
static int s_recv(void *arg, bus_msg_t *m, int timeout_ms)
{
    boundary_bus_t *bb = arg;
    if (!bb->serve_z) return bus_sub_recv(bb->sub, m, timeout_ms);
    int64_t now = clock_mono_ns(), deadline = now + (int64_t)timeout_ms * NS_PER_MS;
    if (now - bb->served_mono >= 10 * NS_PER_MS) {
        bb->serve(bb->serve_arg); /* never blocks */
        bb->served_mono = now;
    }
    for (;;) {
        int r = bus_sub_recv(bb->sub, m, 0);
        if (r != 0) return r;
        int64_t left = deadline - clock_mono_ns();
        if (left <= 0) return 0;
        zmq_pollitem_t it[2] = {{bus_sub_zsock(bb->sub), 0, ZMQ_POLLIN, 0},
                                {bb->serve_z, 0, ZMQ_POLLIN, 0}};
        if (zmq_poll(it, 2, (int)((left + NS_PER_MS - 1) / NS_PER_MS)) < 0) return -1;
        if (it[1].revents & ZMQ_POLLIN) {
            bb->serve(bb->serve_arg);
            bb->served_mono = clock_mono_ns();
        }
    }
}

static void s_send(void *arg, const char *topic, const char *body, size_t len, int64_t ts_rx)
{
    bus_pub_send(((boundary_bus_t *)arg)->pub, topic, body, len, ts_rx, -1);
}

boundary_io_t boundary_io_bus(boundary_bus_t *bus)
{
    return (boundary_io_t){s_real_ns, s_mono_ns, s_sleep_until, s_recv, s_send, bus};
}

/* ---- self-test: a fake clock and bus ---- */

typedef struct {
    int64_t arrive, pub; /* ns */
    const char *topic, *fields;
} s_fake_msg_t;

typedef struct {
    int64_t real, mono;
    const s_fake_msg_t *q;
    int nq, iq;
    char body[1024];
    char sent[2048];               /* "TOPIC S[:coinbase mid][@real ms past its second];" */
    volatile sig_atomic_t *stop;   /* set when the queue is empty (replay) */
} s_fake_t;

static int64_t s_fake_real(void *arg) { return ((s_fake_t *)arg)->real; }
static int64_t s_fake_mono(void *arg) { return ((s_fake_t *)arg)->mono; }

static void s_fake_advance(s_fake_t *f, int64_t to)
{
    if (to <= f->real) return;
    f->mono += to - f->real;
    f->real = to;
}

static void s_fake_sleep(void *arg, int64_t real_ns) { s_fake_advance(arg, real_ns); }

static int s_fake_recv(void *arg, bus_msg_t *m, int timeout_ms)
{
    s_fake_t *f = arg;
    if (f->iq == f->nq || f->q[f->iq].arrive > f->real + timeout_ms * NS_PER_MS) {
        if (f->iq == f->nq && f->stop) *f->stop = 1;
        s_fake_advance(f, f->real + timeout_ms * NS_PER_MS);
        return 0;
    }
    const s_fake_msg_t *x = &f->q[f->iq++];
    s_fake_advance(f, x->arrive);
    memset(m, 0, sizeof *m);
    snprintf(f->body, sizeof f->body,
             "{\"src\":\"test\",\"epoch\":\"01\",\"seq\":%d,\"ts_rx\":%lld,\"ts_ex\":null,"
             "\"ts_pub\":%lld,%s}",
             f->iq, (long long)x->arrive, (long long)x->pub, x->fields);
    if (bus_envelope_parse(f->body, strlen(f->body), m) < 0) abort();
    m->topic = x->topic;
    m->topic_len = strlen(x->topic);
    m->body = f->body;
    m->body_len = strlen(f->body);
    return 1;
}

static void s_fake_send(void *arg, const char *topic, const char *body, size_t len, int64_t ts_rx)
{
    s_fake_t *f = arg;
    const char *p = strstr(body, "\"coinbase\":"), *why = strstr(body, "\"why\":\"");
    size_t k = strlen(f->sent);
    (void)len;
    snprintf(f->sent + k, sizeof f->sent - k, "%s%s%.*s %lld%s%.*s@%lld;", topic, why ? "/" : "",
             why ? (int)strcspn(why + 7, "\"") : 0, why ? why + 7 : "",
             (long long)(ts_rx / NS_PER_S % 100), p ? ":" : "", p ? (int)strcspn(p + 11, ",") : 0,
             p ? p + 11 : "", (long long)(f->real % NS_PER_S / NS_PER_MS));
}

static int s_test_expect(const char *what, const char *got, const char *want)
{
    if (strstr(got, want)) return 0;
    fprintf(stderr, "boundary_test: %s: want '%s' in %s\n", what, want, got);
    return -1;
}

/* Steps B until N ticks were written (at most 100 passes); returns the last step's code. */
static int s_test_ticks(boundary_t *b, uint64_t n)
{
    int rc = 0;
    for (int i = 0; i < 100 && rc == 0 && tick_stats(b->tk)->ticks < n; i++)
        rc = boundary_step(b, NULL);
    return rc;
}

int boundary_test(void)
{
    const int64_t T0 = 1795867380LL * NS_PER_S, MS = NS_PER_MS;
    const char *Q = "quote.coinbase.BTC-USD";
    int rc = 0, lvl = log_level;
    log_level = LOG_LVL_CRIT; /* the gap and clock warnings are expected */
    tick_cfg_t cfg;
    tick_cfg_default(&cfg);
    cfg.stale_s = 3600;

    /* held: published after the boundary (the publisher's clock ahead), it waits for the next
     * tick; published before, it makes this tick even when it arrives behind a held one */
    const s_fake_msg_t q[] = {
        {T0 + 200 * MS, T0 + 200 * MS, Q, "\"bid\":100,\"ask\":102"},
        {T0 + 999 * MS, T0 + 1001 * MS, Q, "\"bid\":200,\"ask\":202"},
        {T0 + 999 * MS + MS / 2, T0 + 998 * MS, Q, "\"bid\":300,\"ask\":302"},
    };
    s_fake_t f = {.real = T0 + 100 * MS, .mono = 1000 * NS_PER_S, .q = q, .nq = 3};
    boundary_io_t io = {s_fake_real, s_fake_mono, s_fake_sleep, s_fake_recv, s_fake_send, &f};
    boundary_t *b = boundary_new(&cfg, io, 2.0);
    rc |= s_test_ticks(b, 2);
    rc |= s_test_expect("held", f.sent, "tick 81:301.00@0;tick 82:201.00@0;");

    /* stopped 3.5 s: the skipped seconds as a stall gap, then the tick, both from the outbox
     * just before the next second (subscribers reconnect meanwhile) */
    f.sent[0] = '\0';
    s_fake_advance(&f, f.real + 3500 * MS);
    rc |= s_test_ticks(b, 3);
    rc |= s_test_expect("stall", f.sent, "event.gap/stall 85@998;tick 85:201.00@998;");
    /* the realtime clock stepped 3 s forward, the monotonic one did not: a clock step */
    f.sent[0] = '\0';
    f.real += 3 * NS_PER_S;
    rc |= s_test_ticks(b, 4);
    rc |= s_test_expect("clock step", f.sent, "event.gap/clock_step 88@998;tick 88:");
    /* stepped back 10 s: no second written twice; exit 75 once stall_s (2 s) passed */
    f.sent[0] = '\0';
    f.real -= 10 * NS_PER_S;
    int code = s_test_ticks(b, 5);
    if (code != 75 || f.sent[0] || tick_stats(b->tk)->ticks != 4) {
        fprintf(stderr, "boundary_test: stepped back: rc %d, sent %s\n", code, f.sent);
        rc = -1;
    }
    jw_t w;
    jw_init(&w, 4096);
    jw_fragment(&w);
    boundary_hb_detail(&w, b);
    rc |= s_test_expect("lag", w.buf, "\"lag_us\":{\"n\":4,");
    boundary_destroy(&b);

    /* replay: the original ts_pub is the clock; a message without "orig" is counted */
    const s_fake_msg_t rq[] = {
        {T0, T0, "hb.replay", "\"pid\":1"},
        {T0, T0, Q, "\"orig\":{\"ts_pub\":1795867380500000000,\"src\":\"x\"},\"bid\":1,\"ask\":3"},
        {T0, T0, Q, "\"orig\":{\"ts_pub\":1795867382200000000,\"src\":\"x\"},\"bid\":5,\"ask\":7"},
    };
    volatile sig_atomic_t stop = 0;
    s_fake_t rf = {.real = T0, .mono = 0, .q = rq, .nq = 3, .stop = &stop};
    io.arg = &rf;
    b = boundary_new(&cfg, io, 2.0);
    boundary_run_replay(b, NULL, &stop);
    rc |= s_test_expect("replay", rf.sent, "tick 81:2.00@0;tick 82:2.00@0;");
    jw_fragment(&w);
    boundary_hb_replay(&w, b);
    rc |= s_test_expect("replay", w.buf, "\"replay_unclocked\":1,");
    boundary_destroy(&b);
    jw_free(&w);
    log_level = lvl;
    return rc ? -1 : 0;
}
