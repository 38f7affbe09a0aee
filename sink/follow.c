/* follow: ordered, deduplicated reading from the aggregators with catch-up (see follow.h).
 * Per source: a DEALER to its history, the newest (epoch, seq) handled, and while a request is
 * out, the reply so far and the live messages held back. Everything delivered passes one
 * filter (s_filter) into the out queue. */
#include "follow.h"
#include "clock.h"
#include "catchup.h"
#include "log.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#define FOLLOW_MAX_SRC 8
#define FOLLOW_HELD_MAX 20000 /* live messages held per source while a request is out */
#define FOLLOW_IDS 4096       /* event contents remembered */
#define FOLLOW_SECS 4096      /* tick seconds remembered for backfill (> any backfill window) */

typedef struct {
    bus_msg_t m;
    char *topic, *body; /* owned; m points into them */
} s_item_t;

typedef struct {
    s_item_t *v;
    size_t head, n, cap;
} s_queue_t;

typedef struct {
    char src[64];
    char ep[BUS_EP_MAX];
    void *z;
    int catching;
    int64_t deadline; /* mono ns */
    uint64_t req_seq; /* the seq asked after (same epoch) */
    char epoch[24];   /* the newest (epoch, seq) handled from this source */
    uint64_t seq;
    int answered; /* it answered a request once */
    int restarted; /* a new epoch seen live: the next message handed on says so */
    int backfill;  /* follow_catch_up's request: its entries may be older than live ones */
    int64_t asked_s; /* the after_s of the request out */
    s_queue_t reply, held;
} s_src_t;

struct follow {
    bus_sub_t *sub;
    int timeout_ms;
    int no_fetch; /* timeout 0: sources known (to dedupe), nothing asked */
    int64_t last_tick_s; /* newest tick second delivered, -1 none */
    s_src_t src[FOLLOW_MAX_SRC];
    int nsrc;
    s_queue_t out;
    s_item_t cur;
    uint64_t ids[FOLLOW_IDS];
    size_t nids, idpos;
    /* the newest envelope per src among the lines the reader has (follow_seen), for the
     * sources added after */
    struct {
        char src[64], epoch[24];
        uint64_t seq;
    } had[FOLLOW_MAX_SRC];
    int nhad;
    int64_t backfill_s;        /* follow_backfill: older seconds may still be written */
    int64_t unreach_from, unreach_to; /* follow_take_unreachable, -1 none */
    int64_t secs[FOLLOW_SECS]; /* second s written iff secs[s % FOLLOW_SECS] == s */
    follow_stats_t st;
};

/* ---- queues of owned messages ---- */

static void s_item_free(s_item_t *it)
{
    free(it->topic);
    free(it->body);
    it->topic = it->body = NULL;
}

static void s_push(s_queue_t *q, s_item_t *it) /* takes IT's buffers */
{
    if (q->n == q->cap) ring_grow(&q->v, sizeof *q->v, &q->cap, &q->head, q->n, 64);
    q->v[(q->head + q->n++) % q->cap] = *it;
    it->topic = it->body = NULL;
}

static int s_pop(s_queue_t *q, s_item_t *it)
{
    if (!q->n) return 0;
    *it = q->v[q->head];
    q->head = (q->head + 1) % q->cap;
    q->n--;
    return 1;
}

static void s_queue_free(s_queue_t *q)
{
    s_item_t it;
    while (s_pop(q, &it)) s_item_free(&it);
    free(q->v);
    memset(q, 0, sizeof *q);
}

static void s_copy(s_item_t *it, const bus_msg_t *m)
{
    it->m = *m;
    it->topic = xstrndup(m->topic, m->topic_len);
    it->body = xstrndup(m->body, m->body_len);
    it->m.topic = it->topic;
    it->m.body = it->body;
}

/* ---- content identity of events ---- */

static uint64_t s_hash(const char *p, size_t n)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)p[i]) * 1099511628211ULL;
    return h;
}

/* 1 if the content ID was delivered before, else remember it and 0. */
static int s_seen_id(follow_t *f, uint64_t id)
{
    for (size_t i = 0; i < f->nids; i++)
        if (f->ids[i] == id) return 1;
    f->ids[f->idpos] = id;
    f->idpos = (f->idpos + 1) % FOLLOW_IDS;
    if (f->nids < FOLLOW_IDS) f->nids++;
    return 0;
}

static uint64_t s_content_id(const char *body, size_t len)
{
    size_t off = bus_envelope_len(body, len);
    return s_hash(body + off, len - off);
}

/* The second of tick M: its record's "ts" (the envelope's ts_rx when that is missing). */
static int64_t s_tick_s(const bus_msg_t *m)
{
    int64_t s = catchup_tick_s(m->body, m->body_len);
    return s >= 0 ? s : m->ts_rx / NS_PER_S;
}

/* ---- sources ---- */

static s_src_t *s_find(follow_t *f, const char *src)
{
    for (int i = 0; i < f->nsrc; i++)
        if (!strcmp(f->src[i].src, src)) return &f->src[i];
    return NULL;
}

static void s_close(s_src_t *u)
{
    if (u->z) zmq_close(u->z);
    u->z = NULL;
}

static int s_connect(s_src_t *u)
{
    u->z = zmq_socket(bus_ctx(), ZMQ_DEALER);
    bus_sockopts(u->z); /* a source that is not running costs a connect a second, not ten */
    int linger = 0, hwm = 100000;
    zmq_setsockopt(u->z, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(u->z, ZMQ_RCVHWM, &hwm, sizeof hwm);
    if (bus_connect(u->z, u->ep, "catch-up") < 0) {
        log_warnx("catch-up %s at %s: not asked", u->src, u->ep);
        s_close(u);
        return -1;
    }
    return 0;
}

/* Ask U's history: after tick second AFTER_S, or (a live source, and every next page) after
 * EPOCH/SEQ when EPOCH is that process's. */
static void s_request_at(follow_t *f, s_src_t *u, int64_t after_s, const char *epoch,
                         uint64_t seq)
{
    catchup_req_t req = {"", seq, after_s, 0};
    snprintf(req.epoch, sizeof req.epoch, "%s", epoch);
    if (!u->catching) {
        u->asked_s = after_s;
        u->req_seq = seq; /* where the first page of this catch-up starts */
    }
    char buf[256];
    size_t n = catchup_req_fmt(&req, buf, sizeof buf);
    if (f->no_fetch || (!u->z && s_connect(u) < 0)) return;
    if (zmq_send(u->z, "since", 5, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
        zmq_send(u->z, buf, n, ZMQ_DONTWAIT) < 0) {
        log_warnx_rl("catch-up %s: request not sent: %s", u->src, zmq_strerror(zmq_errno()));
        return;
    }
    f->st.requests++;
    if (!u->catching) log_info("catch-up from %s: everything after %s", u->src, buf);
    u->catching = 1;
    u->deadline = clock_mono_ns() + (int64_t)f->timeout_ms * NS_PER_MS;
}

static void s_request_after(follow_t *f, s_src_t *u, int64_t after_s)
{
    s_request_at(f, u, after_s, u->backfill ? "" : u->epoch, u->seq);
}

static void s_request(follow_t *f, s_src_t *u) { s_request_after(f, u, f->last_tick_s); }

/* ---- the transport filter: each message of a source once, in order ---- */

static void s_deliver(follow_t *f, s_item_t *it) { s_push(&f->out, it); }

/* Handle IT from source U (NULL: a source without history); FETCHED: it came from a history. */
static void s_filter(follow_t *f, s_src_t *u, s_item_t *it, int fetched)
{
    bus_msg_t *m = &it->m;
    if (u && fetched && u->backfill) {
        /* older than what came live: not by seq; follow_fresh and the table's keys decide */
    } else if (u) {
        if (!strcmp(u->epoch, m->epoch) && m->seq <= u->seq) {
            f->st.dup_seq++;
            s_item_free(it);
            return;
        }
        snprintf(u->epoch, sizeof u->epoch, "%s", m->epoch);
        u->seq = m->seq;
        /* the restart stays on the record (a gap record) even when the live message that
         * showed it was fetched first and its live copy dropped */
        if (u->restarted) m->restarted = 1;
        u->restarted = 0;
    }
    if (fetched) f->st.fetched_new++;
    s_deliver(f, it);
}

int follow_fresh(follow_t *f, const bus_msg_t *m)
{
    if (!strcmp(m->topic, "tick")) {
        int64_t s = s_tick_s(m);
        int64_t *slot = &f->secs[(uint64_t)s % FOLLOW_SECS];
        if (s <= f->last_tick_s &&
            (!f->backfill_s || s <= f->last_tick_s - f->backfill_s || *slot == s)) {
            f->st.dup_ticks++;
            return 0;
        }
        *slot = s;
        if (s > f->last_tick_s) f->last_tick_s = s;
    } else if (!strncmp(m->topic, "event.", 6) && s_find(f, m->src)) {
        /* two aggregators' copies of one event; a feed's events (capture) are all kept */
        if (s_seen_id(f, s_content_id(m->body, m->body_len))) {
            f->st.dup_events++;
            return 0;
        }
    }
    return 1;
}

/* A live message from a source that is not catching up. */
static void s_live(follow_t *f, s_src_t *u, s_item_t *it)
{
    const bus_msg_t *m = &it->m;
    int hole = m->lost || m->restarted;
    if (!strcmp(m->topic, "tick") && f->last_tick_s >= 0 && s_tick_s(m) > f->last_tick_s + 1)
        hole = 1;
    if (u && hole && u->seq && !f->no_fetch) { /* a source we had before: fetch what is missing */
        if (m->restarted) { /* a new process: ask by tick second */
            u->epoch[0] = '\0';
            u->restarted = 1;
        }
        s_push(&u->held, it);
        f->st.held++;
        s_request(f, u);
        return;
    }
    s_filter(f, u, it, 0);
}

/* The request of U is over (answered, or given up): deliver what was held. COVERED: the reply
 * was complete, so a lost count of the held messages is no longer a loss. */
static void s_release(follow_t *f, s_src_t *u, int covered)
{
    u->catching = 0;
    u->backfill = 0;
    s_item_t it;
    while (s_pop(&u->held, &it)) {
        if (covered && it.m.lost && !strcmp(it.m.epoch, u->epoch) && it.m.seq - it.m.lost > u->req_seq)
            it.m.lost = 0;
        s_filter(f, u, &it, 0);
    }
}

static int s_end(follow_t *f, s_src_t *u, const char *json, size_t len)
{
    catchup_end_t e;
    if (catchup_end_parse(json, len, &e) < 0) return -1;
    f->st.replies++;
    u->answered = 1;
    s_item_t it;
    while (s_pop(&u->reply, &it)) s_filter(f, u, &it, 1);
    /* the reply covers the publisher's messages up to last_seq (the rest were heartbeats) */
    if (!u->backfill && (!strcmp(u->epoch, e.epoch) || !u->epoch[0])) {
        snprintf(u->epoch, sizeof u->epoch, "%s", e.epoch);
        if (e.last_seq > u->seq) u->seq = e.last_seq;
    }
    if (!e.complete && u->backfill && e.first_s > u->asked_s + 1 && u->asked_s >= 0) {
        /* what the reader asked for but this history no longer holds; of several sources the
         * narrowest such span (what none of them held) */
        int64_t from = u->asked_s + 1, to = e.first_s - 1;
        if (f->unreach_from < 0 || to < f->unreach_to) {
            f->unreach_from = from;
            f->unreach_to = to;
        }
    }
    if (!e.complete) {
        f->st.partial++;
        log_warnx_rl("catch-up from %s: its history does not reach back far enough (gap records "
                     "name what is missing)", u->src);
    }
    if (e.more && e.n > 0) { /* the next page: after the last entry sent, by seq there */
        s_request_at(f, u, u->asked_s, e.epoch, e.last_seq);
        return 0;
    }
    s_release(f, u, e.complete);
    return 0;
}

/* Read what U's DEALER has. */
static void s_read(follow_t *f, s_src_t *u)
{
    for (;;) {
        zmq_msg_t fr[CATCHUP_FRAMES];
        int extra, nf = catchup_recv(u->z, fr, &extra);
        if (nf < 0) return;
        if (extra) { /* more frames than any reply has */
            f->st.bad_replies++;
            for (int k = 0; k < nf; k++) zmq_msg_close(&fr[k]);
            continue;
        }
        const char *kind = zmq_msg_data(&fr[0]);
        size_t kn = zmq_msg_size(&fr[0]);
        if (nf == 3 && kn == 3 && !memcmp(kind, "msg", 3)) {
            bus_msg_t m;
            memset(&m, 0, sizeof m);
            s_item_t it;
            it.topic = xstrndup(zmq_msg_data(&fr[1]), zmq_msg_size(&fr[1]));
            it.body = xstrndup(zmq_msg_data(&fr[2]), zmq_msg_size(&fr[2]));
            /* one page at most, of this source's own messages: anything else is a broken or
             * foreign peer, counted and dropped, never queued without bound */
            if (bus_envelope_parse(it.body, zmq_msg_size(&fr[2]), &m) == 0 && u->catching &&
                !strcmp(m.src, u->src) && u->reply.n < CATCHUP_REPLY_MAX) {
                m.topic = it.topic;
                m.topic_len = zmq_msg_size(&fr[1]);
                m.body = it.body;
                m.body_len = zmq_msg_size(&fr[2]);
                it.m = m;
                f->st.fetched++;
                s_push(&u->reply, &it);
            } else {
                f->st.bad_replies++;
                log_warnx_rl("catch-up from %s: reply entry refused (not its own, malformed, "
                             "or beyond a page)", u->src);
                s_item_free(&it);
            }
        } else if (nf == 2 && kn == 3 && !memcmp(kind, "end", 3) && u->catching) {
            if (s_end(f, u, zmq_msg_data(&fr[1]), zmq_msg_size(&fr[1])) < 0) {
                f->st.bad_replies++;
                log_warnx_rl("catch-up from %s: bad reply summary", u->src);
            }
        } else {
            f->st.bad_replies++;
        }
        for (int k = 0; k < nf; k++) zmq_msg_close(&fr[k]);
    }
}

/* A request that got no answer in time: the source may be hung or gone. Go on without it; a
 * late answer must not come in later, so the socket is made anew. */
static void s_timeouts(follow_t *f)
{
    int64_t now = clock_mono_ns();
    for (int i = 0; i < f->nsrc; i++) {
        s_src_t *u = &f->src[i];
        if (!u->catching || now < u->deadline) continue;
        f->st.timeouts++;
        if (u->answered)
            log_warnx_rl("catch-up from %s: no answer in %d ms: going on without it", u->src,
                         f->timeout_ms);
        else /* never heard of (a standby that is not running): not worth a warning */
            log_info("catch-up from %s: no answer in %d ms (not running?)", u->src, f->timeout_ms);
        s_close(u);
        s_queue_free(&u->reply);
        s_release(f, u, 0);
    }
}

/* ---- public ---- */

follow_t *follow_new(bus_sub_t *sub, int64_t last_tick_ns, int timeout_ms)
{
    follow_t *f = xcalloc(1, sizeof *f);
    f->sub = sub;
    f->timeout_ms = timeout_ms > 0 ? timeout_ms : 2000;
    f->no_fetch = timeout_ms <= 0;
    f->last_tick_s = last_tick_ns >= 0 ? last_tick_ns / NS_PER_S : -1;
    f->unreach_from = f->unreach_to = -1;
    return f;
}

void follow_destroy(follow_t **p)
{
    if (!p || !*p) return;
    follow_t *f = *p;
    for (int i = 0; i < f->nsrc; i++) {
        s_close(&f->src[i]);
        s_queue_free(&f->src[i].reply);
        s_queue_free(&f->src[i].held);
    }
    s_queue_free(&f->out);
    s_item_free(&f->cur);
    free(f);
    *p = NULL;
}

int follow_source(follow_t *f, const char *src, const char *endpoint)
{
    if (f->nsrc == FOLLOW_MAX_SRC || s_find(f, src)) return -1;
    s_src_t *u = &f->src[f->nsrc];
    memset(u, 0, sizeof *u);
    snprintf(u->src, sizeof u->src, "%s", src);
    snprintf(u->ep, sizeof u->ep, "%s", endpoint);
    if (!f->no_fetch && s_connect(u) < 0) return -1;
    f->nsrc++;
    for (int i = 0; i < f->nhad; i++)
        if (!strcmp(f->had[i].src, src)) { /* ask by seq if it is still the same process */
            snprintf(u->epoch, sizeof u->epoch, "%s", f->had[i].epoch);
            u->seq = f->had[i].seq;
        }
    /* a reader that has a past asks for what came after it; a new one starts from now */
    if (f->last_tick_s >= 0) s_request(f, u);
    else u->seq = 0;
    return 0;
}

int follow_sources(follow_t *f, const char *const *subs, int nsubs, const char *const *extra,
                   int nextra)
{
    for (int i = 0; i < nsubs; i++) {
        char ep[BUS_EP_MAX], name[64];
        if (bus_hist_endpoint(subs[i], ep, sizeof ep) < 0) continue;
        const char *b = strrchr(subs[i], '/') + 1;
        snprintf(name, sizeof name, "%.*s", (int)(strlen(b) - 4), b);
        follow_source(f, name, ep);
    }
    for (int i = 0; i < nextra; i++) {
        const char *at = strchr(extra[i], '@');
        if (!at || at == extra[i] || !at[1] || (size_t)(at - extra[i]) >= 64) {
            log_warnx("--catchup %s: expected SRC@ENDPOINT", extra[i]);
            return -1;
        }
        char name[64];
        snprintf(name, sizeof name, "%.*s", (int)(at - extra[i]), extra[i]);
        follow_source(f, name, at + 1);
    }
    return f->nsrc;
}

void follow_seen(follow_t *f, const char *line, size_t len)
{
    bus_msg_t m;
    if (bus_envelope_parse(line, len, &m) < 0) return; /* the sink's own records */
    int64_t t = catchup_tick_s(line, len);
    if (t >= 0) {
        if (t > f->last_tick_s) f->last_tick_s = t;
    } else {
        s_seen_id(f, s_content_id(line, len));
    }
    int i;
    for (i = 0; i < f->nhad && strcmp(f->had[i].src, m.src); i++) {}
    if (i == f->nhad) {
        if (f->nhad == FOLLOW_MAX_SRC) return;
        f->nhad++;
        snprintf(f->had[i].src, sizeof f->had[i].src, "%s", m.src);
    }
    snprintf(f->had[i].epoch, sizeof f->had[i].epoch, "%s", m.epoch); /* lines are in order */
    f->had[i].seq = m.seq;
}

void follow_backfill(follow_t *f, int64_t window_s)
{
    f->backfill_s = window_s < FOLLOW_SECS - 1 ? window_s : FOLLOW_SECS - 1;
}

void follow_catch_up(follow_t *f, int64_t after_s)
{
    for (int i = 0; i < f->nsrc; i++) {
        s_src_t *u = &f->src[i];
        if (u->catching) continue;
        u->backfill = 1; /* by tick second, whatever it sent live since */
        s_request_after(f, u, after_s);
    }
}

int follow_take_unreachable(follow_t *f, int force, int64_t *from_s, int64_t *to_s)
{
    for (int i = 0; i < f->nsrc && !force; i++)
        if (f->src[i].catching) return 0; /* wait for every source's answer */
    if (f->unreach_from < 0) return 0;
    *from_s = f->unreach_from;
    *to_s = f->unreach_to;
    f->unreach_from = f->unreach_to = -1;
    return 1;
}

int follow_recv(follow_t *f, bus_msg_t *m, int timeout_ms)
{
    int64_t deadline = clock_mono_ns() + (int64_t)(timeout_ms > 0 ? timeout_ms : 0) * NS_PER_MS;
    for (;;) {
        s_item_free(&f->cur);
        if (s_pop(&f->out, &f->cur)) {
            *m = f->cur.m;
            return 1;
        }
        zmq_pollitem_t it[1 + FOLLOW_MAX_SRC];
        int n = 0;
        it[n++] = (zmq_pollitem_t){bus_sub_zsock(f->sub), 0, ZMQ_POLLIN, 0};
        int64_t until = deadline;
        for (int i = 0; i < f->nsrc; i++) {
            s_src_t *u = &f->src[i];
            it[n++] = (zmq_pollitem_t){u->z, 0, ZMQ_POLLIN, 0};
            if (u->catching && u->deadline < until) until = u->deadline;
        }
        int64_t left = until - clock_mono_ns();
        int wait = left > 0 ? (int)((left + NS_PER_MS - 1) / NS_PER_MS) : 0;
        int rc = zmq_poll(it, n, wait);
        if (rc < 0) return -1;
        for (int i = 0; i < f->nsrc; i++)
            if (f->src[i].z && (it[1 + i].revents & ZMQ_POLLIN)) s_read(f, &f->src[i]);
        if (it[0].revents & ZMQ_POLLIN) {
            bus_msg_t lm;
            int r = bus_sub_recv(f->sub, &lm, 0);
            if (r < 0) return -1;
            if (r == 1) {
                s_item_t x;
                s_copy(&x, &lm);
                s_src_t *u = s_find(f, lm.src);
                if (u && u->catching) {
                    if (u->held.n >= FOLLOW_HELD_MAX) { /* bounded: the oldest goes */
                        s_item_t old;
                        s_pop(&u->held, &old);
                        s_item_free(&old);
                        f->st.held_dropped++;
                    }
                    s_push(&u->held, &x);
                    f->st.held++;
                } else {
                    s_live(f, u, &x);
                }
            }
        }
        s_timeouts(f);
        if (f->out.n) continue;
        if (clock_mono_ns() >= deadline) return 0;
    }
}

const follow_stats_t *follow_stats(const follow_t *f) { return &f->st; }

int follow_catching(const follow_t *f)
{
    int n = 0;
    for (int i = 0; i < f->nsrc; i++) n += f->src[i].catching;
    return n;
}

/* ---- self-test: two aggregators' histories on inproc ROUTERs, a live PUB ---- */

#include "history.h" /* the server side, to talk to */

typedef struct {
    bus_pub_t *pub;
    history_t *h;
    void *router;
} s_agg_t;

static void s_agg_open(s_agg_t *a, const char *name, const char *pub_ep, const char *hist_ep)
{
    a->pub = bus_pub_new(name, pub_ep, 0);
    a->h = history_new(900, 1 << 20, bus_pub_epoch(a->pub));
    bus_pub_observe(a->pub, history_observe, a->h);
    a->router = zmq_socket(bus_ctx(), ZMQ_ROUTER);
    zmq_bind(a->router, hist_ep);
}

static void s_agg_close(s_agg_t *a)
{
    zmq_close(a->router);
    history_destroy(&a->h);
    bus_pub_destroy(&a->pub);
}

/* A tick of second S (before a reader connects, only the history keeps it). */
static void s_agg_tick(s_agg_t *a, int64_t s)
{
    char b[128], iso[32];
    int n = snprintf(b, sizeof b, "\"type\":\"tick\",\"ts\":\"%s\"",
                     clock_fmt_iso(s * NS_PER_S, iso, sizeof iso));
    bus_pub_send(a->pub, "tick", b, (size_t)n, s * NS_PER_S + 3000000, -1);
}

/* Receive until TIMEOUT_MS of quiet, serving both histories; the tick seconds in GOT. */
static int s_drain(follow_t *f, s_agg_t *a, s_agg_t *b, int64_t *got, int max)
{
    int n = 0;
    for (int idle = 0; idle < 30;) {
        if (a) history_serve(a->h, a->router);
        if (b) history_serve(b->h, b->router);
        bus_msg_t m;
        int r = follow_recv(f, &m, 10);
        if (r == 1) {
            idle = 0;
            if (follow_fresh(f, &m) && !strcmp(m.topic, "tick") && n < max)
                got[n++] = m.ts_rx / NS_PER_S;
        } else idle++;
    }
    return n;
}

int follow_test(void)
{
    int rc = 0;
    s_agg_t a, b;
    s_agg_open(&a, "aggregator", "inproc://ft-a.pub", "inproc://ft-a.hist");
    s_agg_open(&b, "aggregator-b", "inproc://ft-b.pub", "inproc://ft-b.hist");
    /* ticks 100..104 published before any reader: only the histories have them */
    for (int64_t s = 100; s < 105; s++) {
        s_agg_tick(&a, s);
        s_agg_tick(&b, s);
    }
    bus_sub_t *sub = bus_sub_new();
    bus_sub_connect(sub, "inproc://ft-a.pub");
    bus_sub_connect(sub, "inproc://ft-b.pub");
    follow_t *f = follow_new(sub, -1, 500);
    /* the reader has up to 101 (its file said so) */
    char line[256], iso[32];
    snprintf(line, sizeof line,
             "{\"src\":\"aggregator\",\"epoch\":\"x\",\"seq\":1,\"ts_rx\":1,\"ts_ex\":null,"
             "\"ts_pub\":1,\"type\":\"tick\",\"ts\":\"%s\"}",
             clock_fmt_iso(101 * NS_PER_S, iso, sizeof iso));
    follow_seen(f, line, strlen(line));
    follow_source(f, "aggregator", "inproc://ft-a.hist");
    follow_source(f, "aggregator-b", "inproc://ft-b.hist");
    zmq_sleep(0); /* let the subscriptions settle */
    int64_t got[64];
    int n = s_drain(f, &a, &b, got, 64);
    /* caught up: 102, 103, 104 once each, though both aggregators have them */
    if (n != 3 || got[0] != 102 || got[2] != 104) {
        fprintf(stderr, "follow_test: catch-up gave %d ticks (first %lld)\n", n,
                n ? (long long)got[0] : -1LL);
        rc = -1;
    }
    const follow_stats_t *st = follow_stats(f);
    if (st->dup_ticks != 3 || st->fetched_new != 6) {
        fprintf(stderr, "follow_test: dup_ticks=%llu fetched_new=%llu\n",
                (unsigned long long)st->dup_ticks, (unsigned long long)st->fetched_new);
        rc = -1;
    }
    /* live: both publish 105..107; each second once */
    for (int64_t s = 105; s < 108; s++) {
        s_agg_tick(&a, s);
        s_agg_tick(&b, s);
    }
    n = s_drain(f, &a, &b, got, 64);
    if (n != 3 || got[0] != 105 || got[2] != 107) {
        fprintf(stderr, "follow_test: live gave %d ticks\n", n);
        rc = -1;
    }
    /* the same event from both: once; a different one: kept */
    const char *ek = "\"type\":\"settlement\",\"ticker\":\"K\"";
    const char *el = "\"type\":\"settlement\",\"ticker\":\"L\"";
    bus_pub_send(a.pub, "event.settlement", ek, strlen(ek), 108 * NS_PER_S, -1);
    bus_pub_send(b.pub, "event.settlement", ek, strlen(ek), 108 * NS_PER_S, -1);
    bus_pub_send(b.pub, "event.settlement", el, strlen(el), 108 * NS_PER_S, -1);
    s_drain(f, &a, &b, got, 64);
    if (follow_stats(f)->dup_events != 1) {
        fprintf(stderr, "follow_test: dup_events=%llu\n",
                (unsigned long long)follow_stats(f)->dup_events);
        rc = -1;
    }
    /* aggregator A goes quiet (hung): B's ticks carry on, nothing waits on A */
    for (int64_t s = 108; s < 111; s++) s_agg_tick(&b, s);
    n = s_drain(f, NULL, &b, got, 64);
    if (n != 3 || got[0] != 108) {
        fprintf(stderr, "follow_test: standby gave %d ticks\n", n);
        rc = -1;
    }
    /* the same event content twice: once from the aggregators, twice from a feed (capture) */
#define S_ENV "{\"src\":\"%s\",\"epoch\":\"%s\",\"seq\":%d,\"ts_rx\":1,\"ts_ex\":null," \
              "\"ts_pub\":2,\"type\":\"reconnect\",\"why\":\"x\"}"
    const char *who[4] = {"aggregator", "aggregator-b", "feed-kraken", "feed-kraken"};
    int fresh[4];
    for (int i = 0; i < 4; i++) {
        char body[256];
        bus_msg_t em;
        memset(&em, 0, sizeof em);
        em.body_len = (size_t)snprintf(body, sizeof body, S_ENV, who[i], i ? "e2" : "e1", 900 + i);
        em.body = body;
        em.topic = "event.reconnect";
        em.topic_len = strlen(em.topic);
        snprintf(em.src, sizeof em.src, "%s", who[i]);
        fresh[i] = follow_fresh(f, &em);
    }
    if (fresh[0] != 1 || fresh[1] != 0 || fresh[2] != 1 || fresh[3] != 1) {
        fprintf(stderr, "follow_test: event dedupe %d %d %d %d\n", fresh[0], fresh[1], fresh[2],
                fresh[3]);
        rc = -1;
    }
    /* a hostile history: 300 entries of another src, then "end" claiming more with none sent;
     * counted and dropped, nothing queued, no endless paging */
    void *evil = zmq_socket(bus_ctx(), ZMQ_ROUTER);
    zmq_bind(evil, "inproc://ft-evil.hist");
    follow_source(f, "evil", "inproc://ft-evil.hist");
    uint64_t bad0 = follow_stats(f)->bad_replies, fetched0 = follow_stats(f)->fetched;
    zmq_msg_t id;
    zmq_msg_init(&id);
    char req[512];
    zmq_pollitem_t pi = {evil, 0, ZMQ_POLLIN, 0};
    if (zmq_poll(&pi, 1, 2000) == 1 && zmq_msg_recv(&id, evil, 0) >= 0) {
        int more = zmq_msg_more(&id);
        size_t ml = sizeof more;
        while (more && zmq_recv(evil, req, sizeof req, 0) >= 0) /* the request's frames */
            zmq_getsockopt(evil, ZMQ_RCVMORE, &more, &ml);
        const char *foreign = "{\"src\":\"intruder\",\"epoch\":\"x\",\"seq\":1,\"ts_rx\":1,"
                              "\"ts_ex\":null,\"ts_pub\":2,\"type\":\"tick\"}";
        for (int i = 0; i < 300; i++) {
            zmq_send(evil, zmq_msg_data(&id), zmq_msg_size(&id), ZMQ_SNDMORE);
            zmq_send(evil, "msg", 3, ZMQ_SNDMORE);
            zmq_send(evil, "tick", 4, ZMQ_SNDMORE);
            zmq_send(evil, foreign, strlen(foreign), 0);
        }
        const char *end = "{\"epoch\":\"x\",\"n\":0,\"more\":true,\"complete\":true,"
                          "\"last_seq\":1,\"first_s\":-1}";
        zmq_send(evil, zmq_msg_data(&id), zmq_msg_size(&id), ZMQ_SNDMORE);
        zmq_send(evil, "end", 3, ZMQ_SNDMORE);
        zmq_send(evil, end, strlen(end), 0);
    }
    zmq_msg_close(&id);
    s_drain(f, NULL, NULL, got, 64);
    if (follow_stats(f)->bad_replies - bad0 != 300 || follow_stats(f)->fetched != fetched0 ||
        follow_catching(f) != 0) {
        fprintf(stderr, "follow_test: hostile reply: bad %llu fetched %llu catching %d\n",
                (unsigned long long)(follow_stats(f)->bad_replies - bad0),
                (unsigned long long)(follow_stats(f)->fetched - fetched0), follow_catching(f));
        rc = -1;
    }
    zmq_close(evil);
    follow_destroy(&f);
    bus_sub_destroy(&sub);
    s_agg_close(&a);
    s_agg_close(&b);
    return rc;
}
