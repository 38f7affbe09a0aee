/* replay: republishes a capture (sink-jsonl --topic lines: the payload with its envelope and a
 * "topic" member) on the bus, in the order and with the pacing of the original publication
 * times, scaled by --speed (or as fast as possible with --speed max). Reads .jsonl and
 * .jsonl.gz (zlib reads both). The bus stamps a new envelope (src "replay", its own epoch and
 * seq, ts_pub now); the original ts_rx/ts_ex stay the message's ts_rx/ts_ex and the rest of the
 * original envelope travels in an "orig" member (src, epoch, seq, ts_pub), which
 * `aggregator --clock replay` takes its time from. docs/SINKS.md, Replay. */
#include "prog.h"
#include "bus.h"
#include "clock.h"
#include "hb.h"
#include "jtok.h"
#include "jw.h"
#include "log.h"
#include "opts.h"
#include "util.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

static char *o_speed;
static double o_wait_s, o_reorder_s, o_end_s;
static long o_hwm;
static strlist_t o_topic;

static const opt_t s_opts[] = {
    {"speed", OPT_STR, &o_speed, "1", 1, 0, NULL,
     "pacing: X times the original (e.g. 1, 10, 0.5), or max (no waiting)", 0},
    {"wait-s", OPT_DBL, &o_wait_s, "1", 0, 3600, NULL,
     "wait this long after binding before the first message (subscribers connect)", 0},
    {"reorder-s", OPT_DBL, &o_reorder_s, "2", 0, 3600, NULL,
     "messages are republished in original ts_pub order within this window (the capture "
     "sink's arrival order may interleave publishers differently)", 0},
    {"end-s", OPT_DBL, &o_end_s, "1", 0, 3600, NULL,
     "stay this long after the last message (the bus drains, a last hb says done)", 0},
    {"hwm", OPT_INT, &o_hwm, "0", 0, 1e9, NULL, "PUB send high-water mark (0: default)", 0},
    {"topic", OPT_LIST, &o_topic, NULL, 1, 0, NULL,
     "only republish topics starting with this prefix (repeatable; default: all)", 0},
    {NULL, 0, NULL, NULL, 0, 0, NULL, NULL, 0},
};

/* One message to republish. */
typedef struct {
    int64_t key;   /* original publication time: orig.ts_pub, else ts_pub, else ts_rx (ns) */
    uint64_t ord;  /* read order: ties keep it */
    int64_t ts_rx, ts_ex;
    char *topic;
    char *body;    /* payload fragment without the envelope, "orig" first */
    size_t len;
} item_t;

/* Min-heap on (key, ord). */
typedef struct {
    item_t *v;
    int n, cap;
} heap_t;

static int s_less(const item_t *a, const item_t *b)
{
    return a->key < b->key || (a->key == b->key && a->ord < b->ord);
}

static void s_push(heap_t *h, const item_t *it)
{
    if (h->n == h->cap) h->v = xrealloc(h->v, (size_t)(h->cap = h->cap ? 2 * h->cap : 256) * sizeof *h->v);
    int i = h->n++;
    while (i > 0 && s_less(it, &h->v[(i - 1) / 2])) {
        h->v[i] = h->v[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h->v[i] = *it;
}

static item_t s_pop(heap_t *h)
{
    item_t top = h->v[0], last = h->v[--h->n];
    int i = 0;
    for (;;) {
        int c = 2 * i + 1;
        if (c >= h->n) break;
        if (c + 1 < h->n && s_less(&h->v[c + 1], &h->v[c])) c++;
        if (!s_less(&h->v[c], &last)) break;
        h->v[i] = h->v[c];
        i = c;
    }
    if (h->n) h->v[i] = last;
    return top;
}

/* Counters for hb.replay. */
static struct {
    uint64_t lines, sent, skipped, filtered, bad, dropped, files_bad;
    int file;   /* index of the file being read */
    int done;
    int64_t pos;    /* original time of the last message sent, ns */
    int64_t behind; /* how late the last message went out against its schedule, ns */
} s_st = {.pos = -1};
static strlist_t s_files;

static void s_detail(jw_t *w, void *arg)
{
    (void)arg;
    char iso[40];
    jw_kint(w, "files", s_files.n);
    jw_kstr(w, "file", s_st.file < s_files.n ? s_files.v[s_st.file] : "");
    jw_kuint(w, "lines", s_st.lines);
    jw_kuint(w, "sent", s_st.sent);
    jw_kuint(w, "skipped", s_st.skipped);
    jw_kuint(w, "filtered", s_st.filtered);
    jw_kuint(w, "bad", s_st.bad);
    jw_kuint(w, "dropped", s_st.dropped);
    jw_kuint(w, "files_bad", s_st.files_bad);
    jw_kstr(w, "speed", o_speed);
    if (s_st.pos >= 0) jw_kstr(w, "pos", clock_fmt_iso_ms(s_st.pos, iso, sizeof iso));
    else jw_knull(w, "pos");
    jw_kint(w, "behind_ms", s_st.behind / NS_PER_MS);
    jw_kbool(w, "done", s_st.done);
}

static int s_wanted(const char *topic)
{
    if (!o_topic.n) return 1;
    for (int i = 0; i < o_topic.n; i++)
        if (prog_topic_match(topic, o_topic.v[i])) return 1;
    return 0;
}

/* A growable byte buffer (the body being rebuilt). */
typedef struct {
    char *buf;
    size_t len, cap;
} sbuf_t;

static void s_put(sbuf_t *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        while (b->len + n + 1 > b->cap) b->cap = b->cap ? 2 * b->cap : 65536;
        b->buf = xrealloc(b->buf, b->cap);
    }
    memcpy(b->buf + b->len, s, n);
    b->len += n;
    b->buf[b->len] = '\0';
}

/* Append the raw text of member KEY:VALUE (tokens K, K+1) to W, comma first unless empty. */
static void s_raw_member(sbuf_t *w, const jtok_t *d, int k)
{
    const jsmntok_t *kt = &d->t[k], *vt = &d->t[k + 1];
    int from = kt->start - 1; /* the key's opening quote */
    int to = vt->end + (vt->type == JSMN_STRING ? 1 : 0);
    if (w->len) s_put(w, ",", 1);
    s_put(w, d->js + from, (size_t)(to - from));
}

/* Read one capture line into IT. Returns 1, 0 for a line to skip without complaint (a record
 * the sink wrote itself: gap, coverage: no "topic"), 2 when filtered out by --topic, or -1
 * (bad) with *WHY set. */
static int s_parse(jtok_t *d, sbuf_t *w, const char *line, size_t len, item_t *it, const char **why)
{
    *why = "not a JSON object";
    if (jtok_parse(d, line, len) < 0 || jtok_type(d, 0) != JSMN_OBJECT) return -1;
    int tp = jtok_get(d, 0, "topic");
    if (tp < 0) return 0;
    char topic[256];
    *why = "bad topic";
    if (jtok_type(d, tp) != JSMN_STRING || jtok_str(d, tp, topic, sizeof topic) < 0 ||
        !topic[0] || strlen(topic) != (size_t)(d->t[tp].end - d->t[tp].start))
        return -1;
    if (!s_wanted(topic)) return 2;
    int64_t ts_pub = -1, ts_rx = -1, ts_ex = -1, orig_pub = -1;
    int i_src = -1, i_epoch = -1, i_seq = -1, i_orig = -1;
    int n = jtok_size(d, 0), k = 1;
    w->len = 0;
    /* first pass: the envelope, each key at its first occurrence (the bus writes it first; a
     * payload may repeat a name, e.g. index.brti's own "src", which then stays in the body) */
    unsigned seen = 0; /* bit per envelope key taken */
    static const char *env[] = {"topic", "src", "epoch", "seq", "ts_rx", "ts_ex", "ts_pub", "orig"};
    int env_at[8];
    for (int j = 0; j < 8; j++) env_at[j] = -1;
    for (int m = 0; m < n; m++) {
        for (int j = 0; j < 8; j++)
            if (!(seen & (1u << j)) && jtok_eq(d, k, env[j])) {
                seen |= 1u << j;
                env_at[j] = k;
                break;
            }
        k = jtok_skip(d, k + 1);
    }
    i_src = env_at[1] >= 0 ? env_at[1] + 1 : -1;
    i_epoch = env_at[2] >= 0 ? env_at[2] + 1 : -1;
    i_seq = env_at[3] >= 0 ? env_at[3] + 1 : -1;
    if (env_at[4] >= 0 && jtok_int(d, env_at[4] + 1, &ts_rx) < 0) return *why = "bad ts_rx", -1;
    if (env_at[5] >= 0 && !jtok_is_null(d, env_at[5] + 1) && jtok_int(d, env_at[5] + 1, &ts_ex) < 0)
        return *why = "bad ts_ex", -1;
    if (env_at[6] >= 0 && jtok_int(d, env_at[6] + 1, &ts_pub) < 0) return *why = "bad ts_pub", -1;
    if ((i_orig = env_at[7]) >= 0) {
        int v = i_orig + 1;
        if (jtok_type(d, v) != JSMN_OBJECT || jtok_int(d, jtok_get(d, v, "ts_pub"), &orig_pub) < 0)
            return *why = "bad orig", -1;
    }
    it->key = orig_pub >= 0 ? orig_pub : ts_pub >= 0 ? ts_pub : ts_rx;
    if (it->key < 0) return *why = "no ts_pub or ts_rx", -1;
    it->ts_rx = ts_rx >= 0 ? ts_rx : it->key;
    it->ts_ex = ts_ex;
    /* the original envelope, unless the line already carries one (a capture of a replay) */
    if (i_orig >= 0) {
        s_raw_member(w, d, i_orig);
    } else {
        s_put(w, "\"orig\":{", 8);
        int first = 1;
        const char *names[] = {"src", "epoch", "seq"};
        int idx[] = {i_src, i_epoch, i_seq};
        for (int j = 0; j < 3; j++) {
            if (idx[j] < 0) continue;
            if (!first) s_put(w, ",", 1);
            first = 0;
            const jsmntok_t *t = &d->t[idx[j]];
            int q = t->type == JSMN_STRING;
            s_put(w, "\"", 1);
            s_put(w, names[j], strlen(names[j]));
            s_put(w, "\":", 2);
            s_put(w, line + t->start - q, (size_t)(t->end - t->start + 2 * q));
        }
        char num[48];
        int nn = snprintf(num, sizeof num, "%s\"ts_pub\":%lld}", first ? "" : ",",
                          (long long)(ts_pub >= 0 ? ts_pub : it->key));
        s_put(w, num, (size_t)nn);
    }
    /* second pass: every other member, verbatim */
    k = 1;
    for (int m = 0; m < n; m++) {
        int is_env = 0;
        for (int j = 0; j < 8; j++) is_env |= env_at[j] == k;
        if (!is_env) s_raw_member(w, d, k);
        k = jtok_skip(d, k + 1);
    }
    it->topic = xstrdup(topic);
    it->body = xstrndup(w->buf, w->len);
    it->len = w->len;
    return 1;
}

/* Line reader over the files in turn. */
typedef struct {
    gzFile gz;
    char *buf;
    size_t cap;
    uint64_t lineno;
} reader_t;

/* Next line (without '\n') into R->buf; returns its length, or -1 at the end of all files. */
static ssize_t s_read_line(reader_t *r, int *partial)
{
    for (;;) {
        if (!r->gz) {
            if (s_st.file >= s_files.n) return -1;
            r->gz = gzopen(s_files.v[s_st.file], "rb");
            r->lineno = 0;
            if (!r->gz) {
                log_warn("cannot open %s", s_files.v[s_st.file]);
                s_st.files_bad++;
                s_st.file++;
                continue;
            }
            gzbuffer(r->gz, 256 * 1024);
            log_info("reading %s", s_files.v[s_st.file]);
        }
        size_t n = 0;
        for (;;) {
            if (r->cap - n < 2) r->buf = xrealloc(r->buf, r->cap = r->cap ? 2 * r->cap : 65536);
            if (!gzgets(r->gz, r->buf + n, (int)(r->cap - n))) break;
            n += strlen(r->buf + n);
            if (n && r->buf[n - 1] == '\n') break;
        }
        int err;
        const char *msg = gzerror(r->gz, &err);
        if (err != Z_OK && err != Z_BUF_ERROR) {
            log_warnx("%s: read error after line %llu: %s", s_files.v[s_st.file],
                      (unsigned long long)r->lineno, msg);
            s_st.files_bad++;
        }
        if (n == 0 || (err != Z_OK && err != Z_BUF_ERROR)) {
            gzclose(r->gz);
            r->gz = NULL;
            s_st.file++;
            continue;
        }
        r->lineno++;
        *partial = r->buf[n - 1] != '\n';
        if (!*partial) r->buf[--n] = '\0';
        return (ssize_t)n;
    }
}

static void s_sleep_ns(int64_t ns)
{
    struct timespec ts = {(time_t)(ns / NS_PER_S), (long)(ns % NS_PER_S)};
    nanosleep(&ts, NULL);
}

/* Serve the heartbeat while waiting until monotonic time UNTIL. */
static void s_wait_until(hb_t *hb, int64_t until)
{
    for (int64_t now; !prog_stop && (now = clock_mono_ns()) < until;) {
        int64_t d = until - now;
        s_sleep_ns(d > 100 * NS_PER_MS ? 100 * NS_PER_MS : d);
        hb_tick(hb);
    }
}

int main(int argc, char **argv)
{
    opts_parse("replay", "Republish captured bus messages (sink-jsonl --topic files) with their "
               "original pacing: replay FILE... [--speed X|max]", s_opts, argc, argv, &s_files);
    double speed = 0;
    if (strcmp(o_speed, "max")) {
        char *end;
        speed = strtod(o_speed, &end);
        if (*end || !(speed > 0) || speed > 1e9) opts_die("speed", o_speed, "expected X > 0 or max");
    }
    if (!s_files.n) opts_die("FILE", "", "at least one capture file (.jsonl or .jsonl.gz)");
    char ep[BUS_EP_MAX];
    if (bus_pub_endpoint(opts_common.bus, opts_common.pub, opts_common.name, ep, sizeof ep) < 0)
        return EX_USAGE;
    opts_log_effective("replay", s_opts);
    if (opts_common.check) return 0;

    prog_signals(PROG_SIG_INTERRUPT);
    bus_pub_t *pub = bus_pub_new(opts_common.name, ep, (int)o_hwm);
    if (!pub) return EX_UNAVAILABLE;
    hb_t *hb = hb_new(pub, s_detail, NULL);
    hb_ready(hb, "replaying");
    log_info("publishing on %s: %d file(s), speed %s", ep, s_files.n, o_speed);
    s_wait_until(hb, clock_mono_ns() + (int64_t)(o_wait_s * NS_PER_S));

    jtok_t d;
    jtok_init(&d);
    sbuf_t w = {0};
    heap_t h = {0};
    reader_t r = {0};
    uint64_t ord = 0;
    int eof = 0;
    int64_t max_key = INT64_MIN, t0 = -1, w0 = 0, reorder = (int64_t)(o_reorder_s * NS_PER_S);
    while (!prog_stop) {
        /* read ahead until the earliest message is REORDER older than the newest read */
        while (!eof && (!h.n || max_key - h.v[0].key < reorder)) {
            int partial = 0;
            ssize_t n = s_read_line(&r, &partial);
            if (n < 0) {
                eof = 1;
                break;
            }
            s_st.lines++;
            if (n == 0) continue;
            item_t it = {.ord = ord++};
            const char *why = NULL;
            int k = partial ? (why = "torn last line", -1) : s_parse(&d, &w, r.buf, (size_t)n, &it, &why);
            if (k < 0) {
                s_st.bad++;
                log_warnx_rl("%s:%llu: bad line skipped (%s)", s_files.v[s_st.file],
                             (unsigned long long)r.lineno, why);
            } else if (k == 0) {
                s_st.skipped++;
            } else if (k == 2) {
                s_st.filtered++;
            } else {
                if (it.key > max_key) max_key = it.key;
                s_push(&h, &it);
            }
        }
        if (!h.n) break;
        item_t it = s_pop(&h);
        if (speed > 0) {
            if (t0 < 0) t0 = it.key, w0 = clock_mono_ns();
            int64_t due = w0 + (int64_t)((double)(it.key - t0) / speed);
            s_wait_until(hb, due);
            int64_t late = clock_mono_ns() - due;
            s_st.behind = late > 0 ? late : 0;
        }
        if (!prog_stop) {
            if (bus_pub_send(pub, it.topic, it.body, it.len, it.ts_rx, it.ts_ex) < 0) s_st.dropped++;
            else s_st.sent++;
            s_st.pos = it.key;
            hb_progress(hb, 1);
        }
        free(it.topic);
        free(it.body);
        hb_tick(hb);
    }
    s_st.done = !prog_stop;
    log_info("%s: %llu lines, %llu sent, %llu skipped (sink records), %llu filtered, %llu bad, "
             "%llu dropped, %llu unreadable files", prog_stop ? "stopped" : "done",
             (unsigned long long)s_st.lines, (unsigned long long)s_st.sent,
             (unsigned long long)s_st.skipped, (unsigned long long)s_st.filtered,
             (unsigned long long)s_st.bad, (unsigned long long)s_st.dropped,
             (unsigned long long)s_st.files_bad);
    hb_state(hb, s_st.dropped || s_st.files_bad ? "degraded" : "ok");
    s_wait_until(hb, clock_mono_ns() + (int64_t)(o_end_s * NS_PER_S));
    while (h.n) {
        item_t it = s_pop(&h);
        free(it.topic);
        free(it.body);
    }
    free(h.v);
    if (r.gz) gzclose(r.gz);
    free(r.buf);
    free(w.buf);
    jtok_free(&d);
    hb_destroy(&hb);
    bus_pub_destroy(&pub);
    bus_ctx_term();
    strlist_clear(&s_files);
    strlist_clear(&o_topic);
    return s_st.files_bad ? 66 : 0;
}
