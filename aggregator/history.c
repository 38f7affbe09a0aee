/* history: the aggregator's recent output and the catch-up server (see history.h). A ring of
 * entries in publication order; seq and slot only grow along it, so a request's start is a
 * binary search. Memory: the payloads (about 3 KB a tick) plus 48 bytes an entry. */
#include "history.h"
#include "bus.h"
#include "clock.h"
#include "log.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

typedef struct {
    char topic[48];
    char *body;
    size_t len;
    uint64_t seq;
    int64_t slot;
} s_entry_t;

struct history {
    s_entry_t *e;
    size_t cap, head, n; /* ring: entry i is e[(head + i) % cap] */
    int64_t window_s;
    size_t max_bytes;
    char epoch[24];
    uint64_t last_seq;      /* the publisher's newest seq seen (any topic) */
    int64_t last_tick_s;    /* slot of the newest tick, -1 none */
    uint64_t evicted_seq;   /* newest seq evicted (0 none) */
    int64_t evicted_slot;   /* newest slot evicted (-1 none) */
    history_stats_t st;
};

history_t *history_new(int64_t window_s, size_t max_bytes, const char *epoch)
{
    history_t *h = xcalloc(1, sizeof *h);
    h->window_s = window_s;
    h->max_bytes = max_bytes;
    snprintf(h->epoch, sizeof h->epoch, "%s", epoch);
    h->last_tick_s = -1;
    h->evicted_slot = -1;
    h->st.first_s = h->st.last_s = -1;
    return h;
}

static s_entry_t *s_at(const history_t *h, size_t i) { return &h->e[(h->head + i) % h->cap]; }

void history_destroy(history_t **p)
{
    if (!p || !*p) return;
    history_t *h = *p;
    for (size_t i = 0; i < h->n; i++) free(s_at(h, i)->body);
    free(h->e);
    free(h);
    *p = NULL;
}

static void s_evict_one(history_t *h)
{
    s_entry_t *e = s_at(h, 0);
    h->evicted_seq = e->seq;
    h->evicted_slot = e->slot;
    h->st.bytes -= e->len;
    h->st.evicted++;
    free(e->body);
    e->body = NULL;
    h->head = (h->head + 1) % h->cap;
    h->n--;
}


void history_observe(const char *topic, const char *body, size_t len, uint64_t seq, void *arg)
{
    history_t *h = arg;
    h->last_seq = seq;
    int tick = !strcmp(topic, "tick");
    if (!tick && strncmp(topic, "event.", 6)) return;
    bus_msg_t m;
    if (bus_envelope_parse(body, len, &m) < 0) return; /* our own output: cannot happen */
    int64_t slot;
    if (tick) {
        slot = catchup_tick_s(body, len);
        if (slot < 0) slot = m.ts_rx / NS_PER_S; /* a tick's ts_rx is its second too */
        h->last_tick_s = slot;
    } else slot = (h->last_tick_s >= 0 ? h->last_tick_s : m.ts_pub / NS_PER_S) + 1;
    while (h->n && (slot - s_at(h, 0)->slot > h->window_s || h->st.bytes + len > h->max_bytes))
        s_evict_one(h);
    if (h->n == h->cap) ring_grow(&h->e, sizeof *h->e, &h->cap, &h->head, h->n, 1024);
    s_entry_t *e = s_at(h, h->n++);
    snprintf(e->topic, sizeof e->topic, "%s", topic);
    e->body = xmalloc(len);
    memcpy(e->body, body, len);
    e->len = len;
    e->seq = seq;
    e->slot = slot;
    h->st.bytes += len;
    h->st.entries = h->n;
    h->st.first_s = s_at(h, 0)->slot;
    h->st.last_s = slot;
}

/* The first entry with seq > SEQ (BY_SEQ) or slot > SLOT. */
static size_t s_start(const history_t *h, int by_seq, uint64_t seq, int64_t slot)
{
    size_t lo = 0, hi = h->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const s_entry_t *e = s_at(h, mid);
        if (by_seq ? e->seq > seq : e->slot > slot) hi = mid;
        else lo = mid + 1;
    }
    return lo;
}

void history_query(const history_t *h, const catchup_req_t *req, history_entry_fn *fn, void *arg,
                   catchup_end_t *out)
{
    int by_seq = req->epoch[0] && !strcmp(req->epoch, h->epoch);
    size_t i = s_start(h, by_seq, req->seq, req->after_s);
    int max = req->max > 0 && req->max < CATCHUP_REPLY_MAX ? req->max : CATCHUP_REPLY_MAX;
    memset(out, 0, sizeof *out);
    snprintf(out->epoch, sizeof out->epoch, "%s", h->epoch);
    out->complete = by_seq ? req->seq >= h->evicted_seq : req->after_s >= h->evicted_slot;
    out->first_s = h->n ? s_at(h, 0)->slot : -1;
    for (; i < h->n && out->n < max; i++, out->n++) {
        const s_entry_t *e = s_at(h, i);
        fn(e->topic, e->body, e->len, arg);
        out->last_seq = e->seq;
    }
    out->more = i < h->n;
    /* nothing more held: the reply covers every seq published so far (the rest were hb) */
    if (!out->more) out->last_seq = h->last_seq;
}

/* ---- the ROUTER side ---- */

typedef struct {
    void *z;
    zmq_msg_t *id;
} s_reply_t;

static void s_send_id(s_reply_t *r)
{
    zmq_msg_t c;
    zmq_msg_init(&c);
    zmq_msg_copy(&c, r->id);
    if (zmq_msg_send(&c, r->z, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0) zmq_msg_close(&c);
}

static void s_send_entry(const char *topic, const char *body, size_t len, void *arg)
{
    s_reply_t *r = arg;
    s_send_id(r);
    zmq_send(r->z, "msg", 3, ZMQ_SNDMORE | ZMQ_DONTWAIT);
    zmq_send(r->z, topic, strlen(topic), ZMQ_SNDMORE | ZMQ_DONTWAIT);
    zmq_send(r->z, body, len, ZMQ_DONTWAIT);
}

/* One request read from Z (identity frame already in ID). */
static void s_answer(history_t *h, void *z, zmq_msg_t *id, const char *cmd, size_t clen,
                     const char *arg, size_t alen)
{
    s_reply_t r = {z, id};
    catchup_req_t req;
    if (clen != 5 || memcmp(cmd, "since", 5) || catchup_req_parse(arg, alen, &req) < 0) {
        h->st.bad_requests++;
        log_warnx_rl("history: bad request (%zu+%zu bytes): ignored", clen, alen);
        return;
    }
    catchup_end_t out;
    history_query(h, &req, s_send_entry, &r, &out);
    h->st.requests++;
    h->st.served += (uint64_t)out.n;
    if (!out.complete) h->st.partial++;
    char buf[256];
    size_t n = catchup_end_fmt(&out, buf, sizeof buf);
    s_send_id(&r);
    zmq_send(z, "end", 3, ZMQ_SNDMORE | ZMQ_DONTWAIT);
    zmq_send(z, buf, n, ZMQ_DONTWAIT);
}

void history_serve(history_t *h, void *z)
{
    for (int k = 0; k < 64; k++) { /* a bounded turn: the clock loop comes first */
        zmq_msg_t f[CATCHUP_FRAMES];
        int extra, nf = catchup_recv(z, f, &extra);
        if (nf < 0) return; /* nothing waiting */
        if (nf == 3 && !extra)
            s_answer(h, z, &f[0], zmq_msg_data(&f[1]), zmq_msg_size(&f[1]), zmq_msg_data(&f[2]),
                     zmq_msg_size(&f[2]));
        else {
            h->st.bad_requests++;
            log_warnx_rl("history: request of %s%d frames: ignored (want 2 after the identity)",
                         extra ? "more than " : "", nf - 1);
        }
        for (int i = 0; i < nf; i++) zmq_msg_close(&f[i]);
    }
}

const history_stats_t *history_stats(const history_t *h) { return &h->st; }

/* ---- self-test ---- */

typedef struct {
    int n;
    char last[64];
} s_got_t;

static void s_count(const char *topic, const char *body, size_t len, void *arg)
{
    s_got_t *g = arg;
    (void)body;
    (void)len;
    g->n++;
    snprintf(g->last, sizeof g->last, "%s", topic);
}

static void s_put(history_t *h, const char *topic, uint64_t seq, int64_t ts_s)
{
    char b[256], iso[32];
    clock_fmt_iso(ts_s * NS_PER_S, iso, sizeof iso);
    /* ts_rx deliberately not the second: the slot comes from the tick's own "ts" */
    int n = snprintf(b, sizeof b,
                     "{\"src\":\"aggregator\",\"epoch\":\"e1\",\"seq\":%llu,\"ts_rx\":%lld,"
                     "\"ts_ex\":null,\"ts_pub\":%lld,\"type\":\"%s\",\"ts\":\"%s\"}",
                     (unsigned long long)seq, (long long)(ts_s * NS_PER_S + 7000000),
                     (long long)(ts_s * NS_PER_S + 5000000), strcmp(topic, "tick") ? "x" : "tick",
                     iso);
    history_observe(topic, b, (size_t)n, seq, h);
}

#define T0 1795824000 /* 2026-11-28T00:00:00Z */

int history_test(void)
{
    int rc = 0;
    history_t *h = history_new(10, 1 << 20, "e1");
    uint64_t seq = 0;
    for (int64_t s = T0 + 100; s < T0 + 130; s++) {
        s_put(h, "hb.aggregator", ++seq, s);
        if (s % 5 == 0) s_put(h, "event.gap", ++seq, s);
        s_put(h, "tick", ++seq, s);
    }
    const history_stats_t *st = history_stats(h);
    /* a 10 s window: slots 119..129 held (11 ticks, the events of 120 and 125) */
    if (st->first_s != T0 + 119 || st->last_s != T0 + 129 || st->entries != 13) {
        fprintf(stderr, "history_test: window first=%lld last=%lld n=%llu\n",
                (long long)st->first_s, (long long)st->last_s, (unsigned long long)st->entries);
        rc = -1;
    }
    s_got_t g = {0, ""};
    catchup_end_t out;
    catchup_req_t req = {"", 0, T0 + 125, 0};
    history_query(h, &req, s_count, &g, &out); /* by slot: ticks 126..129 */
    if (g.n != 4 || !out.complete || out.more || out.last_seq != seq) rc = -1;
    g.n = 0;
    req.after_s = T0 + 50; /* older than held: all of it, incomplete */
    history_query(h, &req, s_count, &g, &out);
    if (g.n != 13 || out.complete) rc = -1;
    g.n = 0;
    snprintf(req.epoch, sizeof req.epoch, "e1");
    req.seq = seq - 2; /* by seq, after tick 128 (seq-1 is hb): tick 129 */
    history_query(h, &req, s_count, &g, &out);
    if (g.n != 1 || strcmp(g.last, "tick") || !out.complete) rc = -1;
    g.n = 0;
    req.seq = 0;
    req.max = 5; /* paging */
    history_query(h, &req, s_count, &g, &out);
    if (g.n != 5 || !out.more || out.complete) rc = -1;
    /* events take the slot of the tick being assembled */
    g.n = 0;
    snprintf(req.epoch, sizeof req.epoch, "other");
    req.max = 0;
    req.after_s = T0 + 124;
    history_query(h, &req, s_count, &g, &out); /* event of 125, ticks 125..129 */
    if (g.n != 6) rc = -1;
    /* the byte budget evicts too */
    history_t *small = history_new(900, 1000, "e2");
    for (int64_t s = 0; s < 20; s++) s_put(small, "tick", (uint64_t)s + 1, 1795824000 + s);
    if (history_stats(small)->bytes > 1000 || history_stats(small)->entries < 2) rc = -1;
    history_destroy(&small);
    if (rc) fprintf(stderr, "history_test: failed (n=%d)\n", g.n);
    history_destroy(&h);
    return rc;
}
