/* gaps: turns what bus_sub_recv reports (lost seq, new epoch) and jumps in the
 * tick's own time into gap records (see gaps.h). Used by sink-jsonl and
 * sink-postgres, so the file and the table explain the same seconds. */
#include "gaps.h"
#include "clock.h"
#include "jw.h"
#include "record.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GAPS_MAX_SRC 64

typedef struct {
    char src[64];
    int64_t last_pub; /* ts_pub of the last message seen from it */
    int ticks;        /* it publishes ticks: its losses are settled at the next tick */
    uint64_t lost;    /* pending (tick source only) */
    int restarted;
    int64_t restart_from, restart_to;
} s_src_t;

struct gaps {
    char by[64];
    gaps_emit_fn *emit;
    void *arg;
    int64_t last_tick; /* ns of the newest tick second, -1 none */
    int resumed;
    s_src_t src[GAPS_MAX_SRC];
    int nsrc;
    uint64_t count;
    jw_t w;
};

gaps_t *gaps_new(const char *by, gaps_emit_fn *emit, void *arg)
{
    gaps_t *g = xcalloc(1, sizeof *g);
    snprintf(g->by, sizeof g->by, "%s", by);
    g->emit = emit;
    g->arg = arg;
    g->last_tick = -1;
    jw_init(&g->w, 512);
    return g;
}

void gaps_destroy(gaps_t **gp)
{
    if (!gp || !*gp) return;
    jw_free(&(*gp)->w);
    free(*gp);
    *gp = NULL;
}

void gaps_resume(gaps_t *g, int64_t last_tick_ns)
{
    if (last_tick_ns < 0) return;
    g->last_tick = last_tick_ns;
    g->resumed = 1;
}

uint64_t gaps_count(const gaps_t *g) { return g->count; }

static s_src_t *s_find(gaps_t *g, const char *src)
{
    for (int i = 0; i < g->nsrc; i++)
        if (!strcmp(g->src[i].src, src)) return &g->src[i];
    s_src_t *e;
    if (g->nsrc < GAPS_MAX_SRC) e = &g->src[g->nsrc++];
    else { /* reuse the one silent longest */
        e = &g->src[0];
        for (int i = 1; i < g->nsrc; i++)
            if (g->src[i].last_pub < e->last_pub) e = &g->src[i];
    }
    memset(e, 0, sizeof *e);
    snprintf(e->src, sizeof e->src, "%s", src);
    return e;
}

/* One record. SECONDS > 0: FROM..TO are whole missing seconds (inclusive),
 * printed as seconds; otherwise FROM/TO are instants, printed with ms. */
static void s_emit(gaps_t *g, const char *reason, const char *src, int64_t from, int64_t to,
                   int64_t seconds, uint64_t lost, int whole)
{
    char f[40], t[40];
    if (whole) {
        clock_fmt_iso(from, f, sizeof f);
        clock_fmt_iso(to, t, sizeof t);
    } else {
        clock_fmt_iso_ms(from, f, sizeof f);
        clock_fmt_iso_ms(to, t, sizeof t);
    }
    jw_t *w = &g->w;
    jw_reset(w);
    jw_obj(w);
    jw_kstr(w, "type", "gap");
    jw_kstr(w, "ts", f);
    jw_kstr(w, "from", f);
    jw_kstr(w, "to", t);
    jw_kint(w, "seconds", seconds);
    jw_kstr(w, "reason", reason);
    jw_kstr(w, "src", src);
    jw_kuint(w, "lost", lost);
    jw_kstr(w, "by", g->by);
    jw_kint(w, "ts_rec", clock_real_ns());
    jw_obj_end(w);
    g->count++;
    g->emit(w->buf, w->len, from, g->arg);
}

/* Missing seconds FROM..TO (inclusive, whole seconds), one record per UTC day. */
static void s_emit_seconds(gaps_t *g, const char *reason, const char *src, int64_t from,
                           int64_t to, uint64_t lost)
{
    while (from <= to) {
        int64_t day_end = (record_day(from) + 1) * 86400 * NS_PER_S - NS_PER_S;
        int64_t end = to < day_end ? to : day_end;
        s_emit(g, reason, src, from, end, (end - from) / NS_PER_S + 1, lost, 1);
        lost = 0; /* counted once, on the first part */
        from = end + NS_PER_S;
    }
}

void gaps_observe(gaps_t *g, const bus_msg_t *m, int64_t tick_ts_ns)
{
    s_src_t *e = s_find(g, m->src);
    if (tick_ts_ns >= 0) e->ticks = 1;
    if (m->restarted) {
        if (!e->restarted) e->restart_from = e->last_pub ? e->last_pub : m->ts_pub;
        e->restarted = 1;
        e->restart_to = m->ts_pub;
    }
    e->lost += m->lost;
    if (!e->ticks) { /* not a tick source: write down at once */
        if (e->restarted) s_emit(g, "restart", e->src, e->restart_from, e->restart_to, 0, e->lost, 0);
        else if (e->lost)
            s_emit(g, "bus_loss", e->src, e->last_pub ? e->last_pub : m->ts_pub, m->ts_pub, 0,
                   e->lost, 0);
        e->restarted = 0;
        e->lost = 0;
    }
    e->last_pub = m->ts_pub;
    if (tick_ts_ns < 0) return;
    int64_t t = tick_ts_ns - tick_ts_ns % NS_PER_S;
    const char *reason = e->restarted ? "restart" : e->lost ? "bus_loss"
                         : g->resumed ? "sink_restart" : "no_tick";
    if (g->last_tick >= 0 && t > g->last_tick + NS_PER_S) {
        s_emit_seconds(g, reason, g->resumed && !e->restarted ? g->by : e->src,
                       g->last_tick + NS_PER_S, t - NS_PER_S, e->lost);
    } else if (e->restarted) {
        s_emit(g, "restart", e->src, e->restart_from, e->restart_to, 0, e->lost, 0);
    } else if (e->lost) {
        s_emit(g, "bus_loss", e->src, g->last_tick >= 0 ? g->last_tick : t, t, 0, e->lost, 0);
    } else if (g->resumed) {
        s_emit(g, "sink_restart", g->by, g->last_tick, t, 0, 0, 0);
    }
    e->restarted = 0;
    e->lost = 0;
    g->resumed = 0;
    if (t > g->last_tick) g->last_tick = t;
}

void gaps_dropped(gaps_t *g, const char *reason, int64_t from_ns, int64_t to_ns, uint64_t ticks,
                  uint64_t lost)
{
    /* "seconds": the ticks among them, so a day's coverage adds up */
    s_emit(g, reason, g->by, from_ns, to_ns, (int64_t)ticks, lost, 0);
}

void gaps_missed(gaps_t *g, const char *reason, int64_t from_ns, int64_t to_ns)
{
    from_ns -= from_ns % NS_PER_S;
    to_ns -= to_ns % NS_PER_S;
    if (from_ns <= to_ns) s_emit_seconds(g, reason, g->by, from_ns, to_ns, 0);
}

void gaps_flush(gaps_t *g)
{
    for (int i = 0; i < g->nsrc; i++) {
        s_src_t *e = &g->src[i];
        if (e->restarted) s_emit(g, "restart", e->src, e->restart_from, e->restart_to, 0, e->lost, 0);
        else if (e->lost) s_emit(g, "bus_loss", e->src, e->last_pub, e->last_pub, 0, e->lost, 0);
        e->restarted = 0;
        e->lost = 0;
    }
}

typedef struct {
    char out[4096];
    int n;
} s_sink_t;

static void s_collect(const char *json, size_t len, int64_t ts_ns, void *arg)
{
    s_sink_t *k = arg;
    (void)ts_ns;
    size_t have = strlen(k->out);
    snprintf(k->out + have, sizeof k->out - have, "%.*s\n", (int)len, json);
    k->n++;
}

static void s_msg(gaps_t *g, const char *src, const char *epoch, uint64_t lost, int restarted,
                  int64_t pub_s, int64_t tick_s)
{
    bus_msg_t m;
    memset(&m, 0, sizeof m);
    snprintf(m.src, sizeof m.src, "%s", src);
    snprintf(m.epoch, sizeof m.epoch, "%s", epoch);
    m.lost = lost;
    m.restarted = restarted;
    m.ts_pub = pub_s * NS_PER_S;
    gaps_observe(g, &m, tick_s >= 0 ? tick_s * NS_PER_S : -1);
}

int gaps_test(void)
{
    int rc = 0;
    s_sink_t k = {"", 0};
    gaps_t *g = gaps_new("sink-x", s_collect, &k);
    int64_t t0 = 1795824000; /* 2026-11-28T00:00:00Z */
    s_msg(g, "aggregator", "e1", 0, 0, t0, t0);
    s_msg(g, "aggregator", "e1", 0, 0, t0 + 1, t0 + 1);
    if (k.n != 0) rc = -1;
    s_msg(g, "aggregator", "e1", 0, 0, t0 + 4, t0 + 4); /* 2 s no tick */
    if (k.n != 1 || !strstr(k.out, "\"reason\":\"no_tick\"") || !strstr(k.out, "\"seconds\":2") ||
        !strstr(k.out, "\"from\":\"2026-11-28T00:00:02Z\",\"to\":\"2026-11-28T00:00:03Z\""))
        rc = -1;
    k.out[0] = '\0';
    s_msg(g, "aggregator", "e1", 3, 0, t0 + 5, -1); /* lost hb/ticks: settled at the next tick */
    if (k.n != 1) rc = -1;
    s_msg(g, "aggregator", "e1", 0, 0, t0 + 7, t0 + 7);
    if (k.n != 2 || !strstr(k.out, "\"reason\":\"bus_loss\"") || !strstr(k.out, "\"lost\":3") ||
        !strstr(k.out, "\"seconds\":2"))
        rc = -1;
    k.out[0] = '\0';
    s_msg(g, "aggregator", "e2", 0, 1, t0 + 8, t0 + 8); /* quick restart: 0 s, still a record */
    if (k.n != 3 || !strstr(k.out, "\"reason\":\"restart\"") || !strstr(k.out, "\"seconds\":0"))
        rc = -1;
    k.out[0] = '\0';
    s_msg(g, "feed-kraken", "f1", 0, 0, t0 + 8, -1);
    s_msg(g, "feed-kraken", "f2", 0, 1, t0 + 9, -1); /* another program's restart: at once */
    if (k.n != 4 || !strstr(k.out, "\"src\":\"feed-kraken\"")) rc = -1;
    k.out[0] = '\0';
    /* across midnight: one record per day */
    s_msg(g, "aggregator", "e2", 0, 0, t0 + 86401, t0 + 86401);
    if (k.n != 6 || !strstr(k.out, "\"to\":\"2026-11-28T23:59:59Z\"") ||
        !strstr(k.out, "\"from\":\"2026-11-29T00:00:00Z\",\"to\":\"2026-11-29T00:00:00Z\"") ||
        !strstr(k.out, "\"seconds\":86391"))
        rc = -1;
    if (rc) fprintf(stderr, "gaps_test: n=%d\n%s", k.n, k.out);
    gaps_destroy(&g);
    /* resume after a sink restart */
    k.out[0] = '\0';
    k.n = 0;
    g = gaps_new("sink-x", s_collect, &k);
    gaps_resume(g, t0 * NS_PER_S);
    s_msg(g, "aggregator", "e1", 0, 0, t0 + 3, t0 + 3);
    if (k.n != 1 || !strstr(k.out, "\"reason\":\"sink_restart\"") || !strstr(k.out, "\"seconds\":2"))
        rc = -1;
    gaps_destroy(&g);
    if (rc) fprintf(stderr, "gaps_test: %s", k.out);
    return rc;
}
