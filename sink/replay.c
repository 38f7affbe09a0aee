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

/* The envelope members of a capture line, in the order the bus writes them. */
enum { ENV_TOPIC, ENV_SRC, ENV_EPOCH, ENV_SEQ, ENV_TS_RX, ENV_TS_EX, ENV_TS_PUB, ENV_ORIG, ENV_N };

/* First pass over D's top-level members: AT[j] gets the key token of envelope member j, each at
 * its first occurrence (the bus writes it first; a payload may repeat a name, e.g. index.brti's
 * own "src", which then stays in the body), or -1. */
static void s_find_envelope(const jtok_t *d, int at[ENV_N])
{
    static const char *env[ENV_N] = {"topic", "src",   "epoch",  "seq",
                                     "ts_rx", "ts_ex", "ts_pub", "orig"};
    for (int j = 0; j < ENV_N; j++) at[j] = -1;
    int n = jtok_size(d, 0), k = 1;
    for (int m = 0; m < n; m++) {
        for (int j = 0; j < ENV_N; j++)
            if (at[j] < 0 && jtok_eq(d, k, env[j])) {
                at[j] = k;
                break;
            }
        k = jtok_skip(d, k + 1);
    }
}

/* The times of the envelope AT into IT (key, ts_rx, ts_ex); *TS_PUB gets ts_pub or -1. Returns 0,
 * or -1 with *WHY set. */
static int s_read_times(const jtok_t *d, const int at[ENV_N], item_t *it, int64_t *ts_pub,
                        const char **why)
{
    int64_t ts_rx = -1, ts_ex = -1, orig_pub = -1;
    *ts_pub = -1;
    if (at[ENV_TS_RX] >= 0 && jtok_int(d, at[ENV_TS_RX] + 1, &ts_rx) < 0)
        return *why = "bad ts_rx", -1;
    if (at[ENV_TS_EX] >= 0 && !jtok_is_null(d, at[ENV_TS_EX] + 1) &&
        jtok_int(d, at[ENV_TS_EX] + 1, &ts_ex) < 0)
        return *why = "bad ts_ex", -1;
    if (at[ENV_TS_PUB] >= 0 && jtok_int(d, at[ENV_TS_PUB] + 1, ts_pub) < 0)
        return *why = "bad ts_pub", -1;
    if (at[ENV_ORIG] >= 0) {
        int v = at[ENV_ORIG] + 1;
        if (jtok_type(d, v) != JSMN_OBJECT || jtok_int(d, jtok_get(d, v, "ts_pub"), &orig_pub) < 0)
            return *why = "bad orig", -1;
    }
    it->key = orig_pub >= 0 ? orig_pub : *ts_pub >= 0 ? *ts_pub : ts_rx;
    if (it->key < 0) return *why = "no ts_pub or ts_rx", -1;
    it->ts_rx = ts_rx >= 0 ? ts_rx : it->key;
    it->ts_ex = ts_ex;
    return 0;
}

/* The "orig" member into W: the line's own (a capture of a replay), else built from its src,
 * epoch, seq and TS_PUB (the original publication time KEY when the line has none). */
static void s_write_orig(sbuf_t *w, const jtok_t *d, const char *line, const int at[ENV_N],
                         int64_t ts_pub, int64_t key)
{
    if (at[ENV_ORIG] >= 0) {
        s_raw_member(w, d, at[ENV_ORIG]);
        return;
    }
    s_put(w, "\"orig\":{", 8);
    int first = 1;
    static const char *names[] = {"src", "epoch", "seq"};
    const int idx[] = {at[ENV_SRC], at[ENV_EPOCH], at[ENV_SEQ]};
    for (int j = 0; j < 3; j++) {
        if (idx[j] < 0) continue;
        if (!first) s_put(w, ",", 1);
        first = 0;
        const jsmntok_t *t = &d->t[idx[j] + 1];
        int q = t->type == JSMN_STRING;
        s_put(w, "\"", 1);
        s_put(w, names[j], strlen(names[j]));
        s_put(w, "\":", 2);
        s_put(w, line + t->start - q, (size_t)(t->end - t->start + 2 * q));
    }
    char num[48];
    int nn = snprintf(num, sizeof num, "%s\"ts_pub\":%lld}", first ? "" : ",",
                      (long long)(ts_pub >= 0 ? ts_pub : key));
    s_put(w, num, (size_t)nn);
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
    if (!prog_topic_any(&o_topic, topic)) return 2;
    int at[ENV_N];
    int64_t ts_pub;
    s_find_envelope(d, at);
    if (s_read_times(d, at, it, &ts_pub, why) < 0) return -1;
    w->len = 0;
    s_write_orig(w, d, line, at, ts_pub, it->key);
    /* second pass: every other member, verbatim */
    int n = jtok_size(d, 0), k = 1;
    for (int m = 0; m < n; m++) {
        int is_env = 0;
        for (int j = 0; j < ENV_N; j++) is_env |= at[j] == k;
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

/* What is read and not yet sent: the capture's lines, parsed into a heap on original time. */
typedef struct {
    reader_t r;
    jtok_t d;
    sbuf_t w;
    heap_t h;
    uint64_t ord;
    int eof;
    int64_t max_key;
} source_t;

/* Read ahead until the earliest message held is REORDER older than the newest read, or the
 * files end; counts each line in s_st. */
static void s_read_ahead(source_t *src, int64_t reorder)
{
    while (!src->eof && (!src->h.n || src->max_key - src->h.v[0].key < reorder)) {
        int partial = 0;
        ssize_t n = s_read_line(&src->r, &partial);
        if (n < 0) {
            src->eof = 1;
            break;
        }
        s_st.lines++;
        if (n == 0) continue;
        item_t it = {.ord = src->ord++};
        const char *why = NULL;
        int k = partial ? (why = "torn last line", -1)
                        : s_parse(&src->d, &src->w, src->r.buf, (size_t)n, &it, &why);
        if (k < 0) {
            s_st.bad++;
            log_warnx_rl("%s:%llu: bad line skipped (%s)", s_files.v[s_st.file],
                         (unsigned long long)src->r.lineno, why);
        } else if (k == 0) {
            s_st.skipped++;
        } else if (k == 2) {
            s_st.filtered++;
        } else {
            if (it.key > src->max_key) src->max_key = it.key;
            s_push(&src->h, &it);
        }
    }
}

static void s_item_free(item_t *it)
{
    free(it->topic);
    free(it->body);
}

static void s_source_free(source_t *src)
{
    while (src->h.n) {
        item_t it = s_pop(&src->h);
        s_item_free(&it);
    }
    free(src->h.v);
    if (src->r.gz) gzclose(src->r.gz);
    free(src->r.buf);
    free(src->w.buf);
    jtok_free(&src->d);
}

/* Pacing: the first message sent sets the origin; each later one is due SPEED times faster
 * than the original gap (0: no waiting). */
typedef struct {
    double speed;
    int64_t t0, w0; /* original time and monotonic time of the first message */
} pace_t;

/* Wait until IT is due (serving the hb), then publish it unless stopped meanwhile. */
static void s_send(bus_pub_t *pub, hb_t *hb, pace_t *pc, const item_t *it)
{
    if (pc->speed > 0) {
        if (pc->t0 < 0) pc->t0 = it->key, pc->w0 = clock_mono_ns();
        int64_t due = pc->w0 + (int64_t)((double)(it->key - pc->t0) / pc->speed);
        s_wait_until(hb, due);
        int64_t late = clock_mono_ns() - due;
        s_st.behind = late > 0 ? late : 0;
    }
    if (prog_stop) return;
    if (bus_pub_send(pub, it->topic, it->body, it->len, it->ts_rx, it->ts_ex) < 0) s_st.dropped++;
    else s_st.sent++;
    s_st.pos = it->key;
    hb_progress(hb, 1);
}

/* --speed: X > 0, or max (returned as 0). */
static double s_speed(void)
{
    if (!strcmp(o_speed, "max")) return 0;
    char *end;
    double speed = strtod(o_speed, &end);
    if (*end || !(speed > 0) || speed > 1e9) opts_die("speed", o_speed, "expected X > 0 or max");
    return speed;
}

static void s_log_done(void)
{
    log_info("%s: %llu lines, %llu sent, %llu skipped (sink records), %llu filtered, %llu bad, "
             "%llu dropped, %llu unreadable files", prog_stop ? "stopped" : "done",
             (unsigned long long)s_st.lines, (unsigned long long)s_st.sent,
             (unsigned long long)s_st.skipped, (unsigned long long)s_st.filtered,
             (unsigned long long)s_st.bad, (unsigned long long)s_st.dropped,
             (unsigned long long)s_st.files_bad);
}

int main(int argc, char **argv)
{
    opts_parse("replay", "Republish captured bus messages (sink-jsonl --topic files) with their "
               "original pacing: replay FILE... [--speed X|max]", s_opts, argc, argv, &s_files);
    pace_t pc = {.speed = s_speed(), .t0 = -1};
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

    source_t src = {.max_key = INT64_MIN};
    jtok_init(&src.d);
    int64_t reorder = (int64_t)(o_reorder_s * NS_PER_S);
    while (!prog_stop) {
        s_read_ahead(&src, reorder);
        if (!src.h.n) break;
        item_t it = s_pop(&src.h);
        s_send(pub, hb, &pc, &it);
        s_item_free(&it);
        hb_tick(hb);
    }
    s_st.done = !prog_stop;
    s_log_done();
    hb_state(hb, s_st.dropped || s_st.files_bad ? "degraded" : "ok");
    s_wait_until(hb, clock_mono_ns() + (int64_t)(o_end_s * NS_PER_S));
    s_source_free(&src);
    hb_destroy(&hb);
    bus_pub_destroy(&pub);
    bus_ctx_term();
    strlist_clear(&s_files);
    strlist_clear(&o_topic);
    return s_st.files_bad ? EX_NOINPUT : 0;
}
