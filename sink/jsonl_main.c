/* sink-jsonl: the default sink. Subscribes to the aggregator's tick and
 * event.* records and appends them to DIR/PREFIX-YYYY-MM-DD.jsonl (the Go
 * collector's files), writes gap and coverage records, and heartbeats
 * "progress" as lines made durable. The file work is in jsonl.c. */
#include "prog.h"
#include "bus.h"
#include "clock.h"
#include "gaps.h"
#include "hb.h"
#include "jsonl.h"
#include "log.h"
#include "opts.h"
#include "record.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <zmq.h>

static char *o_dir, *o_prefix, *o_compress;
static double o_fsync;
static long o_buffer_kb, o_max_ahead, o_max_behind;
static strlist_t o_topic;

static const opt_t s_opts[] = {
    {"dir", OPT_STR, &o_dir, "data", 1, 0, "OUTPUT_DIR", "directory of the daily files", 0},
    {"prefix", OPT_STR, &o_prefix, "kxbtc15m", 1, 0, NULL, "file name prefix: PREFIX-YYYY-MM-DD.jsonl", 0},
    {"fsync", OPT_DBL, &o_fsync, "1", 0, 3600, NULL,
     "fdatasync every S seconds (0: after every line)", 0},
    {"compress", OPT_STR, &o_compress, "gzip", 1, 0, NULL, "closed days: gzip or none", 0},
    {"buffer-kb", OPT_INT, &o_buffer_kb, "65536", 4, 64.0 * 1024 * 1024, NULL,
     "memory for lines waiting while the disk fails; beyond it records are dropped and a gap "
     "record says so", 0},
    RECORD_GATE_OPT_ENTRIES(o_max_ahead, o_max_behind),
    {"topic", OPT_LIST, &o_topic, NULL, 1, 0, NULL,
     "record topics starting with this prefix (repeatable; default: tick and event.)", 0},
    {NULL, 0, NULL, NULL, 0, 0, NULL, NULL, 0},
};

typedef struct {
    jsonl_t *j;
    bus_sub_t *sub;
    gaps_t *gaps;
} s_ctx_t;

static void s_emit_gap(const char *json, size_t len, int64_t ts_ns, void *arg)
{
    s_ctx_t *c = arg;
    (void)ts_ns;
    jsonl_write(c->j, json, len);
}

static void s_detail(jw_t *w, void *arg)
{
    s_ctx_t *c = arg;
    const jsonl_stats_t *st = jsonl_stats(c->j);
    const bus_sub_stats_t *bs = bus_sub_stats(c->sub);
    char day[16] = "";
    if (st->day >= 0) record_day_fmt(st->day, day, sizeof day);
    jw_kstr(w, "day", day);
    jw_kuint(w, "lines", st->lines);
    jw_kuint(w, "durable", st->durable);
    jw_kuint(w, "pending", st->pending);
    jw_kuint(w, "pending_bytes", st->pending_bytes);
    jw_kuint(w, "write_errors", st->write_errors);
    jw_kuint(w, "sync_errors", st->sync_errors);
    if (st->last_errno) jw_kstr(w, "last_error", strerror(st->last_errno));
    else jw_knull(w, "last_error");
    jw_kuint(w, "dropped", st->dropped);
    jw_kuint(w, "torn", st->torn);
    jw_kuint(w, "compressed", st->compressed);
    jw_kuint(w, "compress_errors", st->compress_errors);
    jw_kuint(w, "late", st->late);
    jw_kuint(w, "invalid", st->invalid);
    jw_kuint(w, "quarantined", st->quarantined);
    jw_kuint(w, "gap_records", gaps_count(c->gaps));
    jw_key(w, "bus");
    jw_obj(w);
    jw_kuint(w, "received", bs->received);
    jw_kuint(w, "lost", bs->lost);
    jw_kuint(w, "gaps", bs->gaps);
    jw_kuint(w, "restarts", bs->restarts);
    jw_kuint(w, "bad", bs->bad);
    jw_obj_end(w);
}

/* Capture line (--topic given): the payload with "topic":T as its first member, so that the line
 * alone says where it was published (replay reads it back). */
static const char *s_capture_line(const bus_msg_t *m, size_t *len)
{
    static char *buf;
    static size_t cap;
    size_t need = m->body_len + 6 * m->topic_len + 16;
    if (need > cap) buf = xrealloc(buf, cap = need * 2);
    size_t n = 0;
    n += (size_t)sprintf(buf, "{\"topic\":\"");
    for (size_t i = 0; i < m->topic_len; i++) {
        unsigned char ch = (unsigned char)m->topic[i];
        if (ch == '"' || ch == '\\') buf[n++] = '\\', buf[n++] = (char)ch;
        else if (ch < 0x20) n += (size_t)sprintf(buf + n, "\\u%04x", ch);
        else buf[n++] = (char)ch;
    }
    buf[n++] = '"';
    /* the payload is an object "{...}": append its members (if any) after the topic */
    const char *b = m->body + 1, *e = m->body + m->body_len;
    while (b < e && (*b == ' ' || *b == '\t' || *b == '\n' || *b == '\r')) b++;
    if (b < e && *b != '}') buf[n++] = ',';
    memcpy(buf + n, b, (size_t)(e - b));
    n += (size_t)(e - b);
    *len = n;
    return buf;
}

static int s_wanted(const char *topic, size_t n)
{
    for (int i = 0; i < o_topic.n; i++) {
        size_t k = strlen(o_topic.v[i]);
        if (k <= n && !memcmp(topic, o_topic.v[i], k)) return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    opts_parse("sink-jsonl", "Append tick and event records to daily JSONL files.", s_opts, argc,
               argv, NULL);
    if (strcmp(o_compress, "gzip") && strcmp(o_compress, "none"))
        opts_die("compress", o_compress, "expected gzip or none");
    int capture = o_topic.n > 0; /* lines name their topic */
    if (!o_topic.n) {
        strlist_add(&o_topic, "tick");
        strlist_add(&o_topic, "event.");
    }
    char dir[400], pub_ep[BUS_EP_MAX];
    if (bus_dir(opts_common.bus, dir, sizeof dir) < 0) return EX_UNAVAILABLE;
    if (bus_pub_endpoint(opts_common.bus, opts_common.pub, opts_common.name, pub_ep,
                         sizeof pub_ep) < 0)
        return EX_USAGE;
    static const char *const upstream[] = {"aggregator", NULL};
    if (bus_default_subs(&opts_common.sub, dir, upstream) < 0) return EX_USAGE;
    opts_log_effective("sink-jsonl", s_opts);
    if (opts_common.check) return 0;

    prog_signals(PROG_SIG_INTERRUPT);

    s_ctx_t c = {0};
    jsonl_cfg_t cfg = {o_dir, o_prefix, opts_common.name, !strcmp(o_compress, "gzip"), o_fsync,
                       (size_t)o_buffer_kb << 10, o_max_ahead, o_max_behind, NULL};
    c.j = jsonl_new(&cfg);
    if (!c.j) return EX_UNAVAILABLE;
    bus_pub_t *pub = bus_pub_new(opts_common.name, pub_ep, 0);
    if (!pub) return EX_UNAVAILABLE;
    hb_t *hb = hb_new(pub, s_detail, &c);
    c.gaps = gaps_new(opts_common.name, s_emit_gap, &c);
    gaps_resume(c.gaps, jsonl_last_tick(c.j));
    c.sub = bus_sub_new();
    for (int i = 0; i < opts_common.sub.n; i++)
        if (bus_sub_connect(c.sub, opts_common.sub.v[i]) < 0) return EX_USAGE;
    hb_ready(hb, "writing");
    log_info("writing %s/%s-YYYY-MM-DD.jsonl from %d upstream(s)", o_dir, o_prefix,
             opts_common.sub.n);

    jtok_t tok;
    jtok_init(&tok);
    while (!prog_stop) {
        int wait = jsonl_wait_ms(c.j);
        bus_msg_t m;
        int r = bus_sub_recv(c.sub, &m, wait);
        if (r < 0 && !prog_stop && zmq_errno() != EINTR) {
            log_warnx("bus receive failed: %s", zmq_strerror(zmq_errno()));
            break;
        }
        if (r == 1) {
            int want = s_wanted(m.topic, m.topic_len);
            int64_t tick_ts = -1, ts;
            record_t rec;
            /* a tick refused (invalid, or dated far from our clock) is no tick for the
             * gap accounting: it must not write days of gap records (counted, logged) */
            int refused = 0;
            if (!strcmp(m.topic, "tick")) {
                refused = jsonl_check(c.j, m.body, m.body_len, &ts) != 0; /* counted there */
                if (!refused && record_parse(&tok, m.body, m.body_len, &rec, NULL, NULL) == 0 &&
                    rec.has_ts)
                    tick_ts = rec.ts_ns;
            }
            gaps_observe(c.gaps, &m, tick_ts);
            if (refused) {
                /* not written */
            } else if (want && capture && m.body_len >= 2 && m.body[0] == '{') {
                size_t n;
                const char *line = s_capture_line(&m, &n);
                jsonl_write(c.j, line, n);
            } else if (want) {
                jsonl_write(c.j, m.body, m.body_len);
            }
        }
        hb_progress(hb, jsonl_service(c.j));
        uint64_t n, ticks;
        int64_t from, to;
        if (jsonl_take_dropped(c.j, &n, &ticks, &from, &to))
            gaps_dropped(c.gaps, "disk", from, to, ticks, n);
        const jsonl_stats_t *st = jsonl_stats(c.j);
        hb_state(hb, st->pending ? (hb_idle_s(hb) > 10 ? "down" : "degraded") : "ok");
        /* lines wait in memory for the disk: a restart would only lose them */
        hb_blocked(hb, st->pending ? "disk" : NULL);
        hb_tick(hb);
    }
    log_info("stopping: flushing");
    gaps_flush(c.gaps);
    uint64_t lost = jsonl_destroy(&c.j);
    jtok_free(&tok);
    gaps_destroy(&c.gaps);
    bus_sub_destroy(&c.sub);
    hb_destroy(&hb);
    bus_pub_destroy(&pub);
    bus_ctx_term();
    strlist_clear(&o_topic);
    return lost ? 70 : 0;
}
