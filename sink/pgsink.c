/* pgsink: batched, reconnecting PostgreSQL writer for sink-postgres (see
 * pgsink.h). libpq's asynchronous calls only (PQconnectStartParams/PQconnectPoll,
 * PQsendQuery*, PQconsumeInput/PQisBusy, PQflush on a non-blocking connection):
 * the loop is never held by the server. One statement at a time, driven by a
 * small state machine in pgsink_service. A batch is one INSERT statement (its
 * own transaction) whose one parameter is a JSON array of the batch's rows. The
 * statements below name the tables @tick@ and @event@: the series' own
 * (pgsink_cfg_t.suffix) once filled in. */
#include "pgsink.h"
#include "clock.h"
#include "jw.h"
#include "log.h"
#include "util.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

static const char *s_schema =
    "CREATE TABLE IF NOT EXISTS @tick@ ("
    " ts timestamptz NOT NULL, type text NOT NULL, brti numeric, coinbase numeric,"
    " kraken numeric, bitstamp numeric, markets jsonb,"
    " src text NOT NULL, epoch text NOT NULL, seq bigint NOT NULL, rec jsonb NOT NULL,"
    " inserted_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (src, epoch, seq));"
    "CREATE INDEX IF NOT EXISTS @tick@_ts ON @tick@ (ts);"
    "CREATE TABLE IF NOT EXISTS @event@ ("
    " ts timestamptz, topic text NOT NULL, type text,"
    " src text NOT NULL, epoch text NOT NULL, seq bigint NOT NULL, rec jsonb NOT NULL,"
    " inserted_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (src, epoch, seq));"
    "CREATE INDEX IF NOT EXISTS @event@_ts ON @event@ (ts);";

/* $1: [{"t":topic,"s":src,"e":epoch,"q":seq,"r":record}, ...]; ticks to table tick, the rest to
 * event; one statement, so one transaction; a retried batch is harmless (ON CONFLICT). */
static const char *s_ins_batch =
    "WITH x AS (SELECT e->>'t' AS topic, e->>'s' AS src, e->>'e' AS epoch, (e->>'q')::bigint AS seq,"
    " e->'r' AS r FROM jsonb_array_elements($1::jsonb) e),"
    " t AS (INSERT INTO @tick@ (ts, type, brti, coinbase, kraken, bitstamp, markets, src, epoch, seq, rec)"
    "  SELECT (r->>'ts')::timestamptz, coalesce(r->>'type', 'tick'), (r->>'brti')::numeric,"
    "  (r->>'coinbase')::numeric, (r->>'kraken')::numeric, (r->>'bitstamp')::numeric,"
    "  r->'markets', src, epoch, seq, r FROM x WHERE topic = 'tick' ON CONFLICT DO NOTHING RETURNING 1),"
    " v AS (INSERT INTO @event@ (ts, topic, type, src, epoch, seq, rec)"
    "  SELECT coalesce((r->>'ts')::timestamptz, to_timestamp((r->>'ts_pub')::numeric / 1e9)),"
    "  topic, r->>'type', src, epoch, seq, r FROM x WHERE topic <> 'tick' ON CONFLICT DO NOTHING"
    "  RETURNING 1)"
    " SELECT (SELECT count(*) FROM t), (SELECT count(*) FROM v)";

/* The coverage record of a closed UTC day ($1 'YYYY-MM-DD'), computed from the tables as
 * sink-jsonl computes it from its file (docs/SINKS.md, Records), written once per day. $2 the
 * sink's name, $3/$4 its epoch and a seq of its own. */
static const char *s_coverage =
    "WITH d AS (SELECT ($1::text || 'T00:00:00Z')::timestamptz AS a,"
    "  ($1::text || 'T00:00:00Z')::timestamptz + interval '1 day' AS b),"
    " tk AS (SELECT count(*) AS n, count(DISTINCT @tick@.ts) AS covered FROM @tick@, d"
    "  WHERE @tick@.ts >= d.a AND @tick@.ts < d.b),"
    " g AS (SELECT rec->>'reason' AS reason, count(*) AS n,"
    "  sum(greatest((rec->>'seconds')::bigint, 0)) AS secs FROM @event@, d"
    "  WHERE topic = 'gap' AND @event@.ts >= d.a AND @event@.ts < d.b GROUP BY 1),"
    " mk AS (SELECT count(DISTINCT m->>'ticker') AS seen, count(DISTINCT m->>'ticker') FILTER"
    "  (WHERE coalesce(m->>'result', '') <> '' OR m->>'status' IN ('settled', 'finalized',"
    "  'determined')) AS settled FROM @tick@, d, jsonb_array_elements(coalesce(@tick@.markets,"
    "  '[]'::jsonb)) m WHERE @tick@.ts >= d.a AND @tick@.ts < d.b),"
    " ev AS (SELECT count(*) AS n FROM @event@, d WHERE @event@.ts >= d.a AND @event@.ts < d.b),"
    " gs AS (SELECT coalesce(sum(secs), 0) AS secs,"
    "  coalesce(jsonb_object_agg(reason, jsonb_build_object('n', n, 'seconds', secs)), '{}') AS o"
    "  FROM g)"
    " INSERT INTO @event@ (ts, topic, type, src, epoch, seq, rec)"
    " SELECT d.b - interval '1 second', 'coverage', 'coverage', $2::text, $3::text, $4::bigint,"
    "  jsonb_build_object('type', 'coverage', 'ts', $1::text || 'T23:59:59Z', 'date', $1::text,"
    "  'seconds', 86400, 'covered', tk.covered, 'missing', 86400 - tk.covered, 'gaps', gs.o,"
    "  'gap_seconds', gs.secs, 'unexplained', greatest(0, 86400 - tk.covered - gs.secs),"
    "  'markets_seen', mk.seen, 'markets_settled', mk.settled, 'ticks', tk.n,"
    "  'lines', tk.n + ev.n, 'by', $2::text)"
    " FROM d, tk, mk, ev, gs WHERE NOT EXISTS (SELECT 1 FROM @event@ WHERE topic = 'coverage'"
    "  AND rec->>'date' = $1::text) ON CONFLICT DO NOTHING";

/* What the table holds already (read once, after the first connect): its newest tick. */
static const char *s_newest =
    "SELECT src, epoch, seq, extract(epoch FROM ts)::bigint FROM @tick@ ORDER BY ts DESC, seq DESC"
    " LIMIT 1";

typedef struct {
    char *json, *topic, *src, *epoch;
    char seq[24];
    int tick;
} s_row_t;

/* Where the connection is: the one statement in flight says what its result means. */
typedef enum { S_DOWN, S_CONNECTING, S_SCHEMA, S_NEWEST, S_IDLE, S_BATCH, S_ROW } s_state_t;

#define PGSINK_CONNECT_S 3 /* connect and set-up must be done within this (our own deadline) */

struct pgsink {
    char *dsn, *name;
    char *sql_schema, *sql_batch, *sql_coverage, *sql_newest; /* the statements, tables named */
    char tables[96];                                           /* "tick, event" (the log's) */
    size_t max;
    int batch;
    double batch_s, backoff_max;
    pgsink_stats_t st;
    PGconn *c;
    s_state_t state;
    int64_t deadline;     /* mono ns: connect/set-up must be done by then */
    size_t inflight;      /* rows in the statement in flight (S_BATCH, S_ROW) */
    size_t rows_left;     /* S_ROW: rows of a refused batch still to try one by one */
    int newest_done;      /* the newest-tick query answered (or the table was empty) */
    pgsink_newest_t newest;
    jw_t w;
    int attempt;
    int64_t next_connect, oldest; /* mono ns */
    s_row_t *q;
    size_t head, len, cap;
    uint64_t drop_n, drop_ticks;
    int64_t drop_from, drop_to;
};

/* SQL with each @word@ replaced by word SUFFIX: a table (or index) of this sink's series. */
static char *s_sql(const char *sql, const char *suffix)
{
    size_t sl = strlen(suffix), n = 0;
    char *out = xmalloc(strlen(sql) * (sl + 1) + 1);
    for (const char *c = sql; *c; c++) {
        const char *e = *c == '@' ? strchr(c + 1, '@') : NULL;
        if (!e) {
            out[n++] = *c;
            continue;
        }
        memcpy(out + n, c + 1, (size_t)(e - c - 1));
        n += (size_t)(e - c - 1);
        memcpy(out + n, suffix, sl);
        n += sl;
        c = e;
    }
    out[n] = '\0';
    return out;
}

pgsink_t *pgsink_new(const pgsink_cfg_t *cfg)
{
    pgsink_t *p = xcalloc(1, sizeof *p);
    p->dsn = xstrdup(cfg->dsn ? cfg->dsn : "");
    p->name = xstrdup(cfg->name ? cfg->name : "sink-postgres");
    const char *sfx = cfg->suffix ? cfg->suffix : "";
    p->sql_schema = s_sql(s_schema, sfx);
    p->sql_batch = s_sql(s_ins_batch, sfx);
    p->sql_coverage = s_sql(s_coverage, sfx);
    p->sql_newest = s_sql(s_newest, sfx);
    snprintf(p->tables, sizeof p->tables, "tick%s, event%s", sfx, sfx);
    p->max = cfg->max_records;
    p->batch = cfg->batch;
    p->batch_s = cfg->batch_s;
    p->backoff_max = cfg->backoff_max_s;
    p->cap = p->max;
    p->q = xcalloc(p->cap, sizeof *p->q);
    jw_init(&p->w, 4096);
    p->newest.tick_s = -1;
    return p;
}

const pgsink_stats_t *pgsink_stats(const pgsink_t *p) { return &p->st; }

static void s_error(pgsink_t *p, const char *what, const char *msg)
{
    snprintf(p->st.last_error, sizeof p->st.last_error, "%s: %s", what, msg ? msg : "");
    char *nl = strchr(p->st.last_error, '\n');
    if (nl) *nl = '\0';
    log_warnx_rl("postgres: %s", p->st.last_error);
}

static void s_disconnect(pgsink_t *p, const char *why)
{
    if (p->c) {
        s_error(p, why, PQerrorMessage(p->c));
        PQfinish(p->c);
        p->c = NULL;
    }
    p->st.connected = 0;
    p->state = S_DOWN;
    p->inflight = p->rows_left = 0;
    /* full jitter: uniform in [0, min(cap, 0.5 s * 2^attempt)] */
    double cap = 0.5 * (double)(1u << (p->attempt < 16 ? p->attempt : 16));
    if (cap > p->backoff_max) cap = p->backoff_max;
    uint32_t r = 0;
    if (getrandom(&r, sizeof r, 0) != (ssize_t)sizeof r) r = (uint32_t)clock_mono_ns();
    p->next_connect = clock_mono_ns() + (int64_t)(cap * ((double)r / 4294967296.0) * NS_PER_S);
    p->attempt++;
}

static void s_quiet(void *arg, const char *msg)
{
    (void)arg;
    (void)msg; /* "relation already exists, skipping" and friends */
}

static void s_pop(pgsink_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        s_row_t *w = &p->q[p->head];
        free(w->json);
        free(w->topic);
        free(w->src);
        free(w->epoch);
        p->head = (p->head + 1) % p->cap;
        p->len--;
    }
    p->st.queued = p->len;
    p->oldest = p->len ? clock_mono_ns() : 0;
}

static void s_connect_start(pgsink_t *p)
{
    /* connect_timeout is not applied to an asynchronous connect: PGSINK_CONNECT_S is ours */
    const char *k[] = {"dbname", "application_name", NULL};
    const char *v[] = {p->dsn, p->name, NULL};
    p->c = PQconnectStartParams(k, v, 1);
    if (!p->c || PQstatus(p->c) == CONNECTION_BAD) {
        p->st.connect_failures++;
        s_disconnect(p, "connect");
        return;
    }
    p->state = S_CONNECTING;
    p->deadline = clock_mono_ns() + PGSINK_CONNECT_S * NS_PER_S;
}

/* Send SQL with NPARAMS parameters V (nonblocking); the state that awaits its result. */
static int s_send(pgsink_t *p, const char *sql, int nparams, const char *const *v, s_state_t next)
{
    int ok = nparams ? PQsendQueryParams(p->c, sql, nparams, NULL, v, NULL, NULL, 0)
                     : PQsendQuery(p->c, sql);
    if (!ok) {
        s_disconnect(p, "send");
        return -1;
    }
    p->state = next;
    return 0;
}

/* The rows [head, head + N) as the batch statement's parameter. */
static const char *s_batch_param(pgsink_t *p, size_t n)
{
    jw_t *w = &p->w;
    jw_reset(w);
    jw_arr(w);
    for (size_t i = 0; i < n; i++) {
        const s_row_t *r = &p->q[(p->head + i) % p->cap];
        jw_obj(w);
        jw_kstr(w, "t", r->topic);
        jw_kstr(w, "s", r->src);
        jw_kstr(w, "e", r->epoch);
        jw_key(w, "q");
        jw_raw(w, r->seq, strlen(r->seq));
        jw_key(w, "r");
        jw_raw(w, r->json, strlen(r->json)); /* passed the sinks' gate: one strict JSON object */
        jw_obj_end(w);
    }
    jw_arr_end(w);
    jw_raw(w, "", 1); /* NUL */
    return w->buf;
}

static int s_is_coverage(const s_row_t *r) { return !strcmp(r->topic, "coverage"); }

/* Send up to N rows from the head: a batch of records, or a coverage row alone (it is computed
 * from what the rows before it inserted, so it goes after them, in queue order). */
static void s_send_rows(pgsink_t *p, size_t n, s_state_t next)
{
    const s_row_t *h = &p->q[p->head];
    if (s_is_coverage(h)) {
        const char *v[4] = {h->json, h->src, h->epoch, h->seq};
        p->inflight = 1;
        s_send(p, p->sql_coverage, 4, v, next);
        return;
    }
    size_t k = 0;
    while (k < n && !s_is_coverage(&p->q[(p->head + k) % p->cap])) k++;
    const char *v[1] = {s_batch_param(p, k)};
    p->inflight = k;
    s_send(p, p->sql_batch, 1, v, next);
}

/* The result of the statement in flight, once all of it is in: 1 ok, 0 refused data (SQLSTATE
 * class 22 data exception or 23 integrity), -1 anything else (the connection, a shutdown...).
 * The newest-tick query's row is read into p->newest. */
static int s_result(pgsink_t *p)
{
    int rc = 1;
    PGresult *r;
    while ((r = PQgetResult(p->c))) {
        ExecStatusType st = PQresultStatus(r);
        if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
            const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
            rc = state && (!strncmp(state, "22", 2) || !strncmp(state, "23", 2)) ? 0 : -1;
        } else if (p->state == S_NEWEST && PQntuples(r) == 1) {
            snprintf(p->newest.src, sizeof p->newest.src, "%s", PQgetvalue(r, 0, 0));
            snprintf(p->newest.epoch, sizeof p->newest.epoch, "%s", PQgetvalue(r, 0, 1));
            p->newest.seq = strtoull(PQgetvalue(r, 0, 2), NULL, 10);
            p->newest.tick_s = strtoll(PQgetvalue(r, 0, 3), NULL, 10);
        }
        PQclear(r);
    }
    return rc;
}

/* The result OK of one row sent alone (S_ROW): counted, popped, the next one sent. */
static uint64_t s_row_result(pgsink_t *p, int ok)
{
    if (ok < 0) {
        s_disconnect(p, "server went away");
        return 0;
    }
    if (ok == 0) {
        p->st.rejected++;
        s_error(p, "row rejected", PQerrorMessage(p->c));
    }
    s_pop(p, 1);
    p->st.committed += (uint64_t)(ok == 1);
    if (--p->rows_left) s_send_rows(p, 1, S_ROW);
    else p->state = S_IDLE;
    return (uint64_t)(ok == 1);
}

/* A statement's result is in (state S_SCHEMA .. S_ROW): act on it. */
static uint64_t s_done(pgsink_t *p)
{
    int ok = s_result(p);
    size_t n = p->inflight;
    p->inflight = 0;
    switch (p->state) {
    case S_SCHEMA:
        if (ok < 1) {
            s_disconnect(p, "create tables");
            return 0;
        }
        p->st.connected = 1;
        p->st.reconnects++;
        log_info("postgres: connected (%s), tables ready (%s)", PQhost(p->c) ? PQhost(p->c) : "",
                 p->tables);
        if (!p->newest_done) s_send(p, p->sql_newest, 0, NULL, S_NEWEST);
        else p->state = S_IDLE;
        return 0;
    case S_NEWEST:
        if (ok < 1) {
            s_disconnect(p, "read the newest tick");
            return 0;
        }
        p->newest_done = 1;
        p->state = S_IDLE;
        return 0;
    case S_BATCH:
        /* a coverage row the server cannot compute (whatever the error, the connection being
         * fine) is dropped and logged, never retried forever ahead of the data */
        if (ok < 0 && n == 1 && s_is_coverage(&p->q[p->head]) && PQstatus(p->c) == CONNECTION_OK)
            ok = 0;
        if (ok == 1) {
            s_pop(p, n);
            p->st.committed += n;
            p->st.batches++;
            p->attempt = 0;
            p->state = S_IDLE;
            return n;
        }
        if (ok < 0) {
            s_disconnect(p, "server went away");
            return 0;
        }
        /* the server refused a row's data: the batch again one row at a time (a coverage row
         * is one row already) */
        s_error(p, "batch refused", PQerrorMessage(p->c));
        p->rows_left = n;
        if (n == 1) return s_row_result(p, 0); /* that row was the refused one */
        s_send_rows(p, 1, S_ROW);
        return 0;
    case S_ROW:
        return s_row_result(p, ok);
    default:
        return 0;
    }
}

/* One step of the connection; never waits. Returns rows newly committed. */
static uint64_t s_step(pgsink_t *p)
{
    int64_t now = clock_mono_ns();
    switch (p->state) {
    case S_DOWN:
        if (now >= p->next_connect) s_connect_start(p);
        return 0;
    case S_CONNECTING: {
        PostgresPollingStatusType ps = PQconnectPoll(p->c);
        if (ps == PGRES_POLLING_FAILED) {
            p->st.connect_failures++;
            s_disconnect(p, "connect");
        } else if (ps == PGRES_POLLING_OK) {
            PQsetnonblocking(p->c, 1);
            PQsetNoticeProcessor(p->c, s_quiet, NULL);
            s_send(p, p->sql_schema, 0, NULL, S_SCHEMA);
        } else if (now > p->deadline) {
            p->st.connect_failures++;
            s_disconnect(p, "connect timed out");
        }
        return 0;
    }
    case S_IDLE:
        if (p->len && (p->len >= (size_t)p->batch ||
                       now - p->oldest >= (int64_t)(p->batch_s * NS_PER_S)))
            s_send_rows(p, p->len < (size_t)p->batch ? p->len : (size_t)p->batch, S_BATCH);
        return 0;
    default: /* a statement in flight */
        if (PQflush(p->c) < 0 || !PQconsumeInput(p->c)) {
            s_disconnect(p, "server went away");
            return 0;
        }
        if (PQisBusy(p->c)) {
            if (p->state <= S_NEWEST && now > p->deadline) s_disconnect(p, "set-up timed out");
            return 0;
        }
        return s_done(p);
    }
}

uint64_t pgsink_service(pgsink_t *p)
{
    uint64_t n = 0;
    for (int k = 0; k < 8; k++) { /* a few steps a turn: connect, set up, send, read */
        s_state_t before = p->state;
        n += s_step(p);
        if (p->state == before) break;
    }
    return n;
}

const pgsink_newest_t *pgsink_newest(const pgsink_t *p)
{
    return p->newest_done ? &p->newest : NULL;
}

int pgsink_wait_ms(const pgsink_t *p)
{
    int64_t now = clock_mono_ns();
    /* connecting or a statement in flight: look again soon (the loop polls the bus, not the
     * server's socket; 5 ms costs nothing measurable and bounds the added latency) */
    if (p->state != S_DOWN && p->state != S_IDLE) return 5;
    if (!p->c && !p->len) {
        int64_t ms = (p->next_connect - now) / NS_PER_MS;
        return ms <= 0 ? 0 : ms > 1000 ? 1000 : (int)ms;
    }
    if (!p->len) return 1000;
    int64_t at = p->c ? p->oldest + (int64_t)(p->batch_s * NS_PER_S) : p->next_connect;
    if (!p->c && at > now && (at - now) / NS_PER_MS < 1) return 1;
    if (p->c && p->len >= (size_t)p->batch) return 0;
    if (at <= now) return 0;
    int64_t ms = (at - now + NS_PER_MS - 1) / NS_PER_MS;
    return ms > 1000 ? 1000 : (int)ms;
}

int pgsink_add(pgsink_t *p, const char *topic, const char *json, size_t len, const char *src,
               const char *epoch, uint64_t seq, int64_t ts_ns)
{
    int tick = !strcmp(topic, "tick");
    if (p->len >= p->max) {
        p->st.dropped++;
        if (!p->drop_n || ts_ns < p->drop_from) p->drop_from = ts_ns;
        if (ts_ns > p->drop_to) p->drop_to = ts_ns;
        p->drop_n++;
        p->drop_ticks += (uint64_t)tick;
        log_warnx_rl("postgres: queue full (%zu records): record dropped, a gap record will say so",
                     p->max);
        return -1;
    }
    s_row_t *w = &p->q[(p->head + p->len) % p->cap];
    w->json = xstrndup(json, len);
    w->topic = xstrdup(topic);
    w->src = xstrdup(src);
    w->epoch = xstrdup(epoch);
    snprintf(w->seq, sizeof w->seq, "%llu", (unsigned long long)seq);
    w->tick = tick;
    if (!p->len) p->oldest = clock_mono_ns();
    p->len++;
    p->st.queued = p->len;
    return 0;
}

int pgsink_coverage(pgsink_t *p, const char *day, const char *src, const char *epoch,
                    uint64_t seq)
{
    return pgsink_add(p, "coverage", day, strlen(day), src, epoch, seq, -1);
}

int pgsink_take_dropped(pgsink_t *p, uint64_t *n, uint64_t *ticks, int64_t *from, int64_t *to)
{
    if (!p->drop_n || p->len >= p->max) return 0;
    *n = p->drop_n;
    *ticks = p->drop_ticks;
    *from = p->drop_from;
    *to = p->drop_to;
    p->drop_n = p->drop_ticks = 0;
    p->drop_from = p->drop_to = 0;
    return 1;
}

uint64_t pgsink_destroy(pgsink_t **pp, double deadline_s)
{
    if (!pp || !*pp) return 0;
    pgsink_t *p = *pp;
    int64_t end = clock_mono_ns() + (int64_t)(deadline_s * NS_PER_S);
    p->batch_s = 0;
    while ((p->len || p->inflight) && clock_mono_ns() < end) {
        if (!p->c && clock_mono_ns() + 200 * NS_PER_MS < p->next_connect) p->next_connect = 0;
        pgsink_service(p);
        struct timespec ts = {0, 2 * 1000000L}; /* exiting: nothing else to serve */
        nanosleep(&ts, NULL);
    }
    uint64_t lost = p->len;
    if (lost) log_warnx("postgres: %llu records not committed before exit", (unsigned long long)lost);
    s_pop(p, p->len);
    if (p->c) PQfinish(p->c);
    jw_free(&p->w);
    free(p->q);
    free(p->dsn);
    free(p->name);
    free(p->sql_schema);
    free(p->sql_batch);
    free(p->sql_coverage);
    free(p->sql_newest);
    free(p);
    *pp = NULL;
    return lost;
}
