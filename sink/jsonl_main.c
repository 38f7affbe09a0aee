/* sink-jsonl: the default sink. Subscribes to the aggregator's tick and
 * event.* records and appends them to DIR/PREFIX-YYYY-MM-DD.jsonl (the Go
 * collector's files), writes gap and coverage records, and heartbeats
 * "progress" as lines made durable. One series per process (--series: the
 * prefix, the aggregators and the name default to that series'). The file
 * work is in jsonl.c. */
#include "prog.h"
#include "bus.h"
#include "clock.h"
#include "gaps.h"
#include "hb.h"
#include "jsonl.h"
#include "log.h"
#include "opts.h"
#include "record.h"
#include "upstream.h"

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
    UPSTREAM_SERIES_OPT_ENTRY("sink-jsonl", "--prefix"),
    {"prefix", OPT_STR, &o_prefix, NULL, 1, 0, NULL,
     "file name prefix: PREFIX-YYYY-MM-DD.jsonl (default the series': kxbtc15m)", 0},
    {"fsync", OPT_DBL, &o_fsync, "1", 0, 3600, NULL,
     "fdatasync every S seconds (0: after every line)", 0},
    {"compress", OPT_STR, &o_compress, "gzip", 1, 0, NULL, "closed days: gzip or none", 0},
    {"buffer-kb", OPT_INT, &o_buffer_kb, "65536", 4, 64.0 * 1024 * 1024, NULL,
     "memory for lines waiting while the disk fails; beyond it records are dropped and a gap "
     "record says so", 0},
    RECORD_GATE_OPT_ENTRIES(o_max_ahead, o_max_behind),
    UPSTREAM_OPT_ENTRIES,
    {"topic", OPT_LIST, &o_topic, NULL, 1, 0, NULL,
     "record topics starting with this prefix (repeatable; default: tick and event.)", 0},
    {NULL, 0, NULL, NULL, 0, 0, NULL, NULL, 0},
};

typedef struct {
    jsonl_t *j;
    upstream_t up;
    gaps_t *gaps;
    jtok_t tok;
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
    upstream_hb(w, &c->up);
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

/* One message: the gap accounting sees it; a record topic is written unless refused (invalid,
 * or dated far from our clock: counted there) or already written (follow_fresh: the other
 * aggregator's copy of a tick second, an event fetched twice). A refused tick is no tick for the
 * gap accounting: it must not write days of gap records. */
static void s_handle(s_ctx_t *c, const bus_msg_t *m, int capture)
{
    int want = upstream_wanted(&o_topic, m->topic), tick = !strcmp(m->topic, "tick");
    int64_t tick_ts = -1, ts;
    record_t rec;
    int refused = tick && jsonl_check(c->j, m->body, m->body_len, &ts) != 0;
    if (tick && !refused && record_parse(&c->tok, m->body, m->body_len, &rec, NULL, NULL) == 0 &&
        rec.has_ts)
        tick_ts = rec.ts_ns;
    gaps_observe(c->gaps, m, tick_ts);
    if (refused || !want || !follow_fresh(c->up.follow, m)) return;
    if (capture && m->body_len >= 2 && m->body[0] == '{') {
        size_t n;
        const char *line = s_capture_line(m, &n);
        jsonl_write(c->j, line, n);
    } else {
        jsonl_write(c->j, m->body, m->body_len);
    }
}

static void s_seen(const char *line, size_t len, void *arg) { follow_seen(arg, line, len); }

int main(int argc, char **argv)
{
    opts_parse("sink-jsonl", "Append tick and event records to daily JSONL files.", s_opts, argc,
               argv, NULL);
    if (strcmp(o_compress, "gzip") && strcmp(o_compress, "none"))
        opts_die("compress", o_compress, "expected gzip or none");
    int capture = o_topic.n > 0; /* lines name their topic */
    s_ctx_t c = {0};
    series_t ser;
    int rc = upstream_endpoints(&c.up, "sink-jsonl", &ser);
    if (rc) return rc;
    if (!o_prefix) o_prefix = xstrdup(ser.prefix);
    opts_log_effective("sink-jsonl", s_opts);
    if (opts_common.check) return 0;

    prog_signals(PROG_SIG_INTERRUPT);

    if ((rc = upstream_connect(&c.up))) return rc;
    jsonl_cfg_t cfg = {o_dir, o_prefix, opts_common.name, !strcmp(o_compress, "gzip"), o_fsync,
                       (size_t)o_buffer_kb << 10, o_max_ahead, o_max_behind, NULL,
                       s_seen, c.up.follow};
    c.j = jsonl_new(&cfg);
    if (!c.j) return EX_UNAVAILABLE;
    bus_pub_t *pub = bus_pub_new(opts_common.name, c.up.pub_ep, 0);
    if (!pub) return EX_UNAVAILABLE;
    hb_t *hb = hb_new(pub, s_detail, &c);
    c.gaps = gaps_new(opts_common.name, s_emit_gap, &c);
    gaps_resume(c.gaps, jsonl_last_tick(c.j));
    upstream_catch_up(&c.up);
    hb_ready(hb, "writing");
    log_info("writing %s/%s-YYYY-MM-DD.jsonl from %d upstream(s)", o_dir, o_prefix,
             opts_common.sub.n);

    jtok_init(&c.tok);
    while (!prog_stop) {
        int wait = jsonl_wait_ms(c.j);
        bus_msg_t m;
        int r = upstream_recv(&c.up, &m, wait);
        if (r < 0 && !prog_stop && zmq_errno() != EINTR) {
            log_warnx("bus receive failed: %s", zmq_strerror(zmq_errno()));
            break;
        }
        if (r == 1) s_handle(&c, &m, capture);
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
    jtok_free(&c.tok);
    gaps_destroy(&c.gaps);
    upstream_close(&c.up);
    hb_destroy(&hb);
    bus_pub_destroy(&pub);
    bus_ctx_term();
    strlist_clear(&o_topic);
    return lost ? 70 : 0;
}
