/* wdwatch: per-program liveness and progress judgement with a per-unit
 * restart rate limit (see wdwatch.h). No I/O and no clock of its own, so
 * its self-test can walk through minutes of time in microseconds. */
#include "wdwatch.h"
#include "clock.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char name[64];
    char unit[256];
    double deadline_s;
    int seen;               /* an hb arrived since start */
    int64_t last_hb;        /* mono ns of the last hb */
    int64_t last_move;      /* mono ns when progress last moved (from the program's idle_s) */
    int64_t last_restart;   /* mono ns, 0 never */
    int64_t pid;
    uint64_t progress;
    int64_t ring[WDWATCH_STORM_CAP]; /* times of recent restarts */
    int nring, ring_pos;
    int64_t hold_until;     /* storm: no restart before this (0: no hold) */
    double backoff_s;
    uint64_t restarts, storms;
} s_prog_t;

struct wdwatch {
    wdwatch_cfg_t cfg;
    int64_t start;
    s_prog_t *p;
    int n, cap;
    uint64_t restarts, storms;
};

wdwatch_t *wdwatch_new(const wdwatch_cfg_t *cfg, int64_t now_ns)
{
    wdwatch_t *w = xcalloc(1, sizeof *w);
    w->cfg = *cfg;
    if (w->cfg.storm_max < 1) w->cfg.storm_max = 1;
    if (w->cfg.storm_max > WDWATCH_STORM_CAP) w->cfg.storm_max = WDWATCH_STORM_CAP;
    if (w->cfg.storm_backoff_max_s < w->cfg.storm_backoff_s)
        w->cfg.storm_backoff_max_s = w->cfg.storm_backoff_s;
    w->start = now_ns;
    return w;
}

void wdwatch_destroy(wdwatch_t **wp)
{
    if (!wp || !*wp) return;
    free((*wp)->p);
    free(*wp);
    *wp = NULL;
}

static s_prog_t *s_find(wdwatch_t *w, const char *name)
{
    for (int i = 0; i < w->n; i++)
        if (!strcmp(w->p[i].name, name)) return &w->p[i];
    return NULL;
}

int wdwatch_add(wdwatch_t *w, const char *name, const char *unit, double deadline_s)
{
    if (s_find(w, name)) return -1;
    if (w->n == w->cap) {
        w->cap = w->cap ? 2 * w->cap : 8;
        w->p = xrealloc(w->p, (size_t)w->cap * sizeof *w->p);
    }
    s_prog_t *p = &w->p[w->n++];
    memset(p, 0, sizeof *p);
    snprintf(p->name, sizeof p->name, "%s", name);
    snprintf(p->unit, sizeof p->unit, "%s", unit);
    p->deadline_s = deadline_s;
    p->backoff_s = w->cfg.storm_backoff_s;
    return 0;
}

int wdwatch_count(const wdwatch_t *w) { return w->n; }

int wdwatch_hb(wdwatch_t *w, const char *name, int64_t now_ns, int64_t pid, uint64_t progress,
               double idle_s)
{
    s_prog_t *p = s_find(w, name);
    if (!p) return -1;
    int64_t idle_ns = idle_s >= 0 ? (int64_t)(idle_s * NS_PER_S) : 0;
    if (!p->seen || pid != p->pid || progress != p->progress) {
        /* first sight, a new process, or progress moved: trust the program's
         * own idle_s for when (it may have been idle for long already) */
        p->last_move = now_ns - idle_ns;
    }
    p->seen = 1;
    p->last_hb = now_ns;
    p->pid = pid;
    p->progress = progress;
    return 0;
}

int wdwatch_blocked(wdwatch_t *w, const char *name, int64_t now_ns)
{
    s_prog_t *p = s_find(w, name);
    if (!p) return -1;
    p->last_move = now_ns; /* waiting is not stalling: restarting cannot help */
    return 0;
}

static int s_in_window(s_prog_t *p, int64_t now, double window_s)
{
    int k = 0;
    for (int i = 0; i < p->nring; i++)
        if (now - p->ring[i] < (int64_t)(window_s * NS_PER_S)) k++;
    return k;
}

static double s_s(int64_t ns) { return (double)ns / NS_PER_S; }

int wdwatch_check(wdwatch_t *w, int64_t now, wdwatch_fn *fn, void *arg)
{
    int requested = 0;
    const wdwatch_cfg_t *c = &w->cfg;
    for (int i = 0; i < w->n; i++) {
        s_prog_t *p = &w->p[i];
        int64_t since = p->last_restart > w->start ? p->last_restart : w->start;
        if (now - since < (int64_t)(c->grace_s * NS_PER_S)) continue;

        wdwatch_action_t a = {.kind = WDWATCH_RESTART, .name = p->name, .unit = p->unit,
                              .pid = p->pid};
        int64_t hb_ref = p->seen && p->last_hb > since ? p->last_hb : since;
        int64_t move_ref = p->last_move > p->last_restart ? p->last_move : p->last_restart;
        if (now - hb_ref > (int64_t)(c->hb_timeout_s * NS_PER_S)) {
            a.reason = "hb_missing";
            a.missing_s = s_s(now - (p->seen ? p->last_hb : w->start));
        } else if (p->deadline_s > 0 && p->seen &&
                   now - move_ref > (int64_t)(p->deadline_s * NS_PER_S)) {
            a.reason = "no_progress";
            a.idle_s = s_s(now - p->last_move);
        } else {
            if (p->hold_until && s_in_window(p, now, c->storm_window_s) == 0) {
                p->hold_until = 0; /* healthy for a whole window: forget the storm */
                p->backoff_s = c->storm_backoff_s;
            }
            continue;
        }

        int recent = s_in_window(p, now, c->storm_window_s);
        if (recent >= c->storm_max) {
            if (p->hold_until && now < p->hold_until) continue; /* backing off */
            if (!p->hold_until) {
                a.kind = WDWATCH_STORM;
                a.restarts = recent;
                a.backoff_s = p->backoff_s;
                p->hold_until = now + (int64_t)(p->backoff_s * NS_PER_S);
                p->backoff_s *= 2;
                if (p->backoff_s > c->storm_backoff_max_s) p->backoff_s = c->storm_backoff_max_s;
                p->storms++;
                w->storms++;
                fn(&a, arg);
                continue;
            }
            p->hold_until = 0; /* hold-off over: one more try; failing again escalates */
        }
        a.restarts = recent + 1;
        p->last_restart = now;
        if (fn(&a, arg) == 1) continue; /* not restarted on purpose: not counted */
        p->ring[p->ring_pos] = now;
        p->ring_pos = (p->ring_pos + 1) % c->storm_max;
        if (p->nring < c->storm_max) p->nring++;
        p->restarts++;
        w->restarts++;
        requested++;
    }
    return requested;
}

void wdwatch_write(const wdwatch_t *w, jw_t *jw, int64_t now)
{
    jw_key(jw, "programs");
    jw_obj(jw);
    for (int i = 0; i < w->n; i++) {
        const s_prog_t *p = &w->p[i];
        jw_key(jw, p->name);
        jw_obj(jw);
        jw_kstr(jw, "unit", p->unit);
        jw_kbool(jw, "seen", p->seen);
        if (p->seen) {
            jw_kdbl(jw, "hb_age_s", s_s(now - p->last_hb), 1);
            jw_kuint(jw, "progress", p->progress);
            jw_kdbl(jw, "idle_s", s_s(now - p->last_move), 1);
            jw_kint(jw, "pid", p->pid);
        }
        jw_kuint(jw, "restarts", p->restarts);
        jw_kuint(jw, "storms", p->storms);
        jw_kbool(jw, "held", p->hold_until && now < p->hold_until);
        jw_obj_end(jw);
    }
    jw_obj_end(jw);
}

uint64_t wdwatch_restarts(const wdwatch_t *w) { return w->restarts; }
uint64_t wdwatch_storms(const wdwatch_t *w) { return w->storms; }

/* --- self-test --- */

typedef struct {
    int restarts, storms;
    char last_reason[32];
    double last_backoff;
} s_rec_t;

static int s_rec(const wdwatch_action_t *a, void *arg)
{
    s_rec_t *r = arg;
    if (a->kind == WDWATCH_STORM) {
        r->storms++;
        r->last_backoff = a->backoff_s;
    } else {
        r->restarts++;
        snprintf(r->last_reason, sizeof r->last_reason, "%s", a->reason);
    }
    return 0;
}

static int s_skip(const wdwatch_action_t *a, void *arg)
{
    if (a->kind == WDWATCH_RESTART) ++*(int *)arg;
    return 1;
}

#define S(x) ((int64_t)((x) * NS_PER_S))

int wdwatch_test(void)
{
    int rc = 0;
    wdwatch_cfg_t cfg = {.hb_timeout_s = 5, .grace_s = 10, .storm_max = 3,
                         .storm_window_s = 300, .storm_backoff_s = 60,
                         .storm_backoff_max_s = 600};
    int64_t t0 = S(1000);
    wdwatch_t *w = wdwatch_new(&cfg, t0);
    s_rec_t r = {0};
    if (wdwatch_add(w, "aggregator", "agg.service", 5) || !wdwatch_add(w, "aggregator", "x", 1))
        rc = -1;
    wdwatch_add(w, "feed-kraken", "feed.service", 60);

    /* healthy beats with moving progress: nothing happens */
    uint64_t prog = 0;
    int64_t t;
    for (t = t0; t < t0 + S(30); t += S(1)) {
        wdwatch_hb(w, "aggregator", t, 10, ++prog, 0.1);
        wdwatch_hb(w, "feed-kraken", t, 11, prog, 0.2);
        wdwatch_check(w, t, s_rec, &r);
    }
    if (r.restarts || r.storms) rc = -1;

    /* aggregator progress freezes: restarted after its 5 s deadline, once */
    int64_t freeze = t;
    for (; t < freeze + S(8); t += S(1)) {
        wdwatch_hb(w, "aggregator", t, 10, prog, (double)(t - freeze) / NS_PER_S);
        wdwatch_hb(w, "feed-kraken", t, 11, prog + (uint64_t)t, 0.2);
        wdwatch_check(w, t, s_rec, &r);
    }
    if (r.restarts != 1 || strcmp(r.last_reason, "no_progress")) {
        fprintf(stderr, "wdwatch_test: freeze gave %d restarts (%s)\n", r.restarts, r.last_reason);
        rc = -1;
    }
    /* within the grace nothing more, even with no hb at all */
    int64_t restart_at = freeze + S(5);
    for (; t < restart_at + S(9); t += S(1)) {
        wdwatch_hb(w, "feed-kraken", t, 11, prog + (uint64_t)t, 0.2);
        wdwatch_check(w, t, s_rec, &r);
    }
    if (r.restarts != 1) rc = -1;
    /* new process beats and progresses: healthy again */
    for (; t < restart_at + S(20); t += S(1)) {
        wdwatch_hb(w, "aggregator", t, 12, ++prog, 0.1);
        wdwatch_hb(w, "feed-kraken", t, 11, prog, 0.1);
        wdwatch_check(w, t, s_rec, &r);
    }
    if (r.restarts != 1) rc = -1;

    /* hb stops: restarted after hb_timeout (+grace between attempts); after
     * storm_max restarts in the window a storm is raised and restarts held off */
    int64_t stop = t;
    for (; t < stop + S(50); t += S(1)) {
        wdwatch_hb(w, "feed-kraken", t, 11, prog + (uint64_t)t, 0.1);
        wdwatch_check(w, t, s_rec, &r);
    }
    if (strcmp(r.last_reason, "hb_missing") || r.restarts != 3 || r.storms != 1 ||
        r.last_backoff != 60) {
        fprintf(stderr, "wdwatch_test: hb stop gave restarts=%d storms=%d reason=%s\n",
                r.restarts, r.storms, r.last_reason);
        rc = -1;
    }
    /* after the hold-off one more try, then a storm with a doubled back-off */
    for (; t < stop + S(200); t += S(1)) {
        wdwatch_hb(w, "feed-kraken", t, 11, prog + (uint64_t)t, 0.1);
        wdwatch_check(w, t, s_rec, &r);
    }
    if (r.restarts != 4 || r.storms != 2 || r.last_backoff != 120) {
        fprintf(stderr, "wdwatch_test: escalation gave restarts=%d storms=%d backoff=%g\n",
                r.restarts, r.storms, r.last_backoff);
        rc = -1;
    }
    /* the healthy feed was never touched */
    jw_t jw;
    jw_init(&jw, 256);
    jw_fragment(&jw);
    wdwatch_write(w, &jw, t);
    if (!strstr(jw.buf, "\"feed-kraken\":{\"unit\":\"feed.service\",\"seen\":true") ||
        !strstr(jw.buf, "\"restarts\":0,\"storms\":0")) {
        fprintf(stderr, "wdwatch_test: %s\n", jw.buf);
        rc = -1;
    }
    jw_free(&jw);
    if (wdwatch_restarts(w) != 4 || wdwatch_storms(w) != 2) rc = -1;
    wdwatch_destroy(&w);

    /* a program never seen is restarted once the start grace and hb timeout pass */
    w = wdwatch_new(&cfg, t0);
    wdwatch_add(w, "sink-jsonl", "sink.service", 10);
    memset(&r, 0, sizeof r);
    for (t = t0; t <= t0 + S(16); t += S(1)) wdwatch_check(w, t, s_rec, &r);
    if (r.restarts != 1 || strcmp(r.last_reason, "hb_missing")) rc = -1;
    wdwatch_destroy(&w);

    /* skipped restarts (unit stopped on purpose) are retried after the grace
     * and never make a storm */
    w = wdwatch_new(&cfg, t0);
    wdwatch_add(w, "sink-jsonl", "sink.service", 10);
    int calls = 0;
    for (t = t0; t <= t0 + S(300); t += S(1)) wdwatch_check(w, t, s_skip, &calls);
    if (calls < 15 || calls > 30 || wdwatch_restarts(w) || wdwatch_storms(w)) {
        fprintf(stderr, "wdwatch_test: skipped %d times, restarts=%llu storms=%llu\n", calls,
                (unsigned long long)wdwatch_restarts(w), (unsigned long long)wdwatch_storms(w));
        rc = -1;
    }
    wdwatch_destroy(&w);

    /* blocked on the outside world (a full disk): beating without progress
     * for a minute is not restarted; once it stops saying so, its deadline runs */
    w = wdwatch_new(&cfg, t0);
    wdwatch_add(w, "sink-jsonl", "sink.service", 10);
    memset(&r, 0, sizeof r);
    for (t = t0; t <= t0 + S(60); t += S(1)) {
        wdwatch_hb(w, "sink-jsonl", t, 12, 7, (double)(t - t0) / NS_PER_S);
        wdwatch_blocked(w, "sink-jsonl", t);
        wdwatch_check(w, t, s_rec, &r);
    }
    if (r.restarts) rc = -1;
    for (; t <= t0 + S(75); t += S(1)) {
        wdwatch_hb(w, "sink-jsonl", t, 12, 7, (double)(t - t0) / NS_PER_S);
        wdwatch_check(w, t, s_rec, &r);
    }
    if (r.restarts != 1 || strcmp(r.last_reason, "no_progress")) {
        fprintf(stderr, "wdwatch_test: blocked then unblocked: %d restarts\n", r.restarts);
        rc = -1;
    }
    wdwatch_destroy(&w);
    return rc;
}
