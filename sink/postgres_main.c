/* sink-postgres: the same tick and event.* records as sink-jsonl, into
 * PostgreSQL (tables tick and event), with the same gap records. Heartbeat
 * "progress" counts committed rows. One series per process (--series: the
 * aggregators, the name and the tables default to that series': tick_x and
 * event_x but for KXBTC15M). The database work is in pgsink.c. */
#include "prog.h"
#include "bus.h"
#include "clock.h"
#include "gaps.h"
#include "hb.h"
#include "log.h"
#include "opts.h"
#include "pgsink.h"
#include "record.h"
#include "upstream.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <zmq.h>

static char *o_dsn;
static long o_buffer, o_batch, o_max_ahead, o_max_behind;
static double o_batch_s, o_backoff_max, o_stop_s;
static strlist_t o_topic;

static const opt_t s_opts[] = {
    UPSTREAM_SERIES_OPT_ENTRY("sink-postgres",
                              "the tables (tick_x and event_x; tick and event for KXBTC15M)"),
    {"dsn", OPT_STR, &o_dsn, "", 0, 0, NULL,
     "libpq connection string or postgresql:// URI (default: the PG* environment)", OPT_SECRET},
    {"buffer", OPT_INT, &o_buffer, "100000", 1, 1e8, NULL,
     "records kept in memory while the server is away; beyond, dropped and a gap record says so", 0},
    {"batch", OPT_INT, &o_batch, "500", 1, 100000, NULL, "rows per transaction at most", 0},
    {"batch-s", OPT_DBL, &o_batch_s, "0.2", 0, 60, NULL, "commit a partial batch after S seconds", 0},
    {"backoff-max", OPT_DBL, &o_backoff_max, "30", 0.1, 3600, NULL, "reconnect backoff cap, seconds", 0},
    {"stop-s", OPT_DBL, &o_stop_s, "5", 0, 600, NULL, "on SIGTERM, try this long to commit what is queued", 0},
    {"topic", OPT_LIST, &o_topic, NULL, 1, 0, NULL,
     "record topics starting with this prefix (repeatable; default: tick and event.)", 0},
    RECORD_GATE_OPT_ENTRIES(o_max_ahead, o_max_behind),
    UPSTREAM_OPT_ENTRIES,
    {NULL, 0, NULL, NULL, 0, 0, NULL, NULL, 0},
};

typedef struct {
    record_gate_t gate; /* the same check as sink-jsonl's (record.c) */
    pgsink_t *pg;
    upstream_t up;
    bus_pub_t *pub;
    gaps_t *gaps;
    uint64_t own_seq;
    jtok_t tok;
    int64_t day; /* UTC day of the newest tick inserted (or in the table at start), -1 none */
} s_ctx_t;

/* Gap records are the sink's own: keyed by its name, epoch and a counter. */
static void s_emit_gap(const char *json, size_t len, int64_t ts_ns, void *arg)
{
    s_ctx_t *c = arg;
    pgsink_add(c->pg, "gap", json, len, bus_pub_name(c->pub), bus_pub_epoch(c->pub), ++c->own_seq,
               ts_ns);
}

static void s_detail(jw_t *w, void *arg)
{
    s_ctx_t *c = arg;
    const pgsink_stats_t *st = pgsink_stats(c->pg);
    jw_kbool(w, "connected", st->connected);
    jw_kuint(w, "queued", st->queued);
    jw_kuint(w, "committed", st->committed);
    jw_kuint(w, "batches", st->batches);
    jw_kuint(w, "dropped", st->dropped);
    jw_kuint(w, "rejected", st->rejected);
    jw_kuint(w, "invalid", c->gate.invalid);
    jw_kuint(w, "quarantined", c->gate.quarantined);
    jw_kuint(w, "connects", st->reconnects);
    jw_kuint(w, "connect_failures", st->connect_failures);
    if (st->last_error[0]) jw_kstr(w, "last_error", st->last_error);
    else jw_knull(w, "last_error");
    jw_kuint(w, "gap_records", gaps_count(c->gaps));
    upstream_hb(w, &c->up);
}

/* Tick time TS_NS is inserted: a later UTC day than the newest closes that one (its coverage
 * record, computed by the server). */
static void s_day(s_ctx_t *c, int64_t ts_ns)
{
    int64_t day = record_day(ts_ns);
    if (c->day >= 0 && day > c->day) {
        char d[16];
        record_day_fmt(c->day, d, sizeof d);
        pgsink_coverage(c->pg, d, bus_pub_name(c->pub), bus_pub_epoch(c->pub), ++c->own_seq);
    }
    if (day > c->day) c->day = day;
}

/* One message: the gap accounting sees it; a record topic is inserted unless refused (invalid,
 * or dated far from our clock: counted and logged there; a refused tick is no tick for the gap
 * accounting, as in sink-jsonl) or already inserted (follow_fresh: the other aggregator's copy
 * of a tick second, a record fetched twice). */
static void s_handle(s_ctx_t *c, const bus_msg_t *m)
{
    record_t rec;
    int is_tick = !strcmp(m->topic, "tick"), want = upstream_wanted(&o_topic, m->topic);
    int refused = (want || is_tick) &&
                  record_check(&c->gate, &c->tok, m->body, m->body_len, &rec) != 0;
    gaps_observe(c->gaps, m, is_tick && !refused && rec.has_ts ? rec.ts_ns : -1);
    if (!want || refused || !follow_fresh(c->up.follow, m)) return;
    if (is_tick && !rec.has_ts)
        log_warnx_rl("tick without a valid ts (seq=%llu): not inserted", (unsigned long long)m->seq);
    else if (pgsink_add(c->pg, m->topic, m->body, m->body_len, m->src, m->epoch, m->seq,
                        rec.ts_ns) == 0 && is_tick)
        s_day(c, rec.ts_ns);
}

/* Once the database said what its newest tick is, fetch what came after it from the
 * aggregators' history. 1 when done (answered), else 0. */
static int s_resume(s_ctx_t *c)
{
    const pgsink_newest_t *nw = pgsink_newest(c->pg);
    if (!nw) return 0;
    if (nw->tick_s >= 0) {
        log_info("postgres: newest tick in the table %lld (by %s)", (long long)nw->tick_s, nw->src);
        int64_t live = c->day;
        c->day = record_day(nw->tick_s * NS_PER_S);
        if (live > c->day) s_day(c, live * 86400 * NS_PER_S); /* a day left behind: close it */
        else c->day = live > c->day ? live : c->day;
        if (upstream_timeout_ms > 0) follow_catch_up(c->up.follow, nw->tick_s);
    }
    return 1;
}

int main(int argc, char **argv)
{
    opts_parse("sink-postgres", "Insert tick and event records into PostgreSQL.", s_opts, argc,
               argv, NULL);
    s_ctx_t c = {0};
    c.day = -1;
    series_t ser;
    int rc = upstream_endpoints(&c.up, "sink-postgres", &ser);
    if (rc) return rc;
    /* KXBTC15M keeps the tables it always had; any other series has its own pair */
    char suffix[40] = "";
    if (strcmp(ser.ticker, "KXBTC15M")) snprintf(suffix, sizeof suffix, "_%s", ser.name);
    opts_log_effective("sink-postgres", s_opts);
    if (opts_common.check) return 0;

    prog_signals(PROG_SIG_INTERRUPT);

    pgsink_cfg_t cfg = {o_dsn, opts_common.name, suffix, (size_t)o_buffer, (int)o_batch,
                        o_batch_s, o_backoff_max};
    record_gate_init(&c.gate, o_max_ahead, o_max_behind, NULL);
    c.pg = pgsink_new(&cfg);
    c.pub = bus_pub_new(opts_common.name, c.up.pub_ep, 0);
    if (!c.pub) return EX_UNAVAILABLE;
    hb_t *hb = hb_new(c.pub, s_detail, &c);
    c.gaps = gaps_new(opts_common.name, s_emit_gap, &c);
    if ((rc = upstream_connect(&c.up))) return rc;
    /* live records are taken at once; what came between the table's newest tick and them is
     * fetched from the aggregators' history once the database has said what that is */
    follow_backfill(c.up.follow, 3600);
    upstream_catch_up(&c.up);
    int resumed = 0;
    hb_ready(hb, "inserting");

    jtok_init(&c.tok);
    while (!prog_stop) {
        bus_msg_t m;
        int r = upstream_recv(&c.up, &m, pgsink_wait_ms(c.pg));
        if (r < 0 && !prog_stop && zmq_errno() != EINTR) {
            log_warnx("bus receive failed: %s", zmq_strerror(zmq_errno()));
            break;
        }
        if (r == 1) s_handle(&c, &m);
        hb_progress(hb, pgsink_service(c.pg));
        if (!resumed) resumed = s_resume(&c);
        int64_t ufrom, uto; /* seconds no history held any more: written down */
        if (follow_take_unreachable(c.up.follow, 0, &ufrom, &uto))
            gaps_missed(c.gaps, "sink_restart", ufrom * NS_PER_S, uto * NS_PER_S);
        uint64_t n, ticks;
        int64_t from, to;
        if (pgsink_take_dropped(c.pg, &n, &ticks, &from, &to))
            gaps_dropped(c.gaps, "buffer", from, to, ticks, n);
        const pgsink_stats_t *st = pgsink_stats(c.pg);
        hb_state(hb, st->connected ? "ok" : st->queued ? "degraded" : "down");
        hb_tick(hb);
    }
    int64_t ufrom, uto;
    if (follow_take_unreachable(c.up.follow, 1, &ufrom, &uto)) /* a source still answering */
        gaps_missed(c.gaps, "sink_restart", ufrom * NS_PER_S, uto * NS_PER_S);
    log_info("stopping: committing what is queued (up to %.0f s)", o_stop_s);
    gaps_flush(c.gaps);
    uint64_t lost = pgsink_destroy(&c.pg, o_stop_s);
    jtok_free(&c.tok);
    gaps_destroy(&c.gaps);
    upstream_close(&c.up);
    hb_destroy(&hb);
    bus_pub_destroy(&c.pub);
    bus_ctx_term();
    strlist_clear(&o_topic);
    return lost ? 70 : 0;
}
