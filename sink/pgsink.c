/* pgsink: batched, reconnecting PostgreSQL writer for sink-postgres (see
 * pgsink.h). Blocking libpq calls with short timeouts, from the one loop. */
#include "pgsink.h"
#include "clock.h"
#include "log.h"
#include "util.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

static const char *s_schema =
    "CREATE TABLE IF NOT EXISTS tick ("
    " ts timestamptz NOT NULL, type text NOT NULL, brti numeric, coinbase numeric,"
    " kraken numeric, bitstamp numeric, markets jsonb,"
    " src text NOT NULL, epoch text NOT NULL, seq bigint NOT NULL, rec jsonb NOT NULL,"
    " inserted_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (src, epoch, seq));"
    "CREATE INDEX IF NOT EXISTS tick_ts ON tick (ts);"
    "CREATE TABLE IF NOT EXISTS event ("
    " ts timestamptz, topic text NOT NULL, type text,"
    " src text NOT NULL, epoch text NOT NULL, seq bigint NOT NULL, rec jsonb NOT NULL,"
    " inserted_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (src, epoch, seq));"
    "CREATE INDEX IF NOT EXISTS event_ts ON event (ts);";

static const char *s_ins_tick =
    "INSERT INTO tick (ts, type, brti, coinbase, kraken, bitstamp, markets, src, epoch, seq, rec)"
    " SELECT (r->>'ts')::timestamptz, coalesce(r->>'type', 'tick'), (r->>'brti')::numeric,"
    " (r->>'coinbase')::numeric, (r->>'kraken')::numeric, (r->>'bitstamp')::numeric,"
    " r->'markets', $2, $3, $4::bigint, r FROM (SELECT $1::jsonb AS r) s"
    " ON CONFLICT DO NOTHING";

static const char *s_ins_event =
    "INSERT INTO event (ts, topic, type, src, epoch, seq, rec)"
    " SELECT coalesce((r->>'ts')::timestamptz, to_timestamp((r->>'ts_pub')::numeric / 1e9)),"
    " $5, r->>'type', $2, $3, $4::bigint, r FROM (SELECT $1::jsonb AS r) s"
    " ON CONFLICT DO NOTHING";

typedef struct {
    char *json, *topic, *src, *epoch;
    char seq[24];
    int tick;
} s_row_t;

struct pgsink {
    char *dsn, *name;
    size_t max;
    int batch;
    double batch_s, backoff_max;
    pgsink_stats_t st;
    PGconn *c;
    int attempt;
    int64_t next_connect, oldest; /* mono ns */
    s_row_t *q;
    size_t head, len, cap;
    uint64_t drop_n, drop_ticks;
    int64_t drop_from, drop_to;
};

pgsink_t *pgsink_new(const pgsink_cfg_t *cfg)
{
    pgsink_t *p = xcalloc(1, sizeof *p);
    p->dsn = xstrdup(cfg->dsn ? cfg->dsn : "");
    p->name = xstrdup(cfg->name ? cfg->name : "sink-postgres");
    p->max = cfg->max_records;
    p->batch = cfg->batch;
    p->batch_s = cfg->batch_s;
    p->backoff_max = cfg->backoff_max_s;
    p->cap = p->max;
    p->q = xcalloc(p->cap, sizeof *p->q);
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

static int s_connect(pgsink_t *p)
{
    const char *k[] = {"dbname", "connect_timeout", "application_name", NULL};
    const char *v[] = {p->dsn, "3", p->name, NULL};
    p->c = PQconnectdbParams(k, v, 1);
    if (PQstatus(p->c) != CONNECTION_OK) {
        p->st.connect_failures++;
        s_disconnect(p, "connect");
        return -1;
    }
    PQsetNoticeProcessor(p->c, s_quiet, NULL);
    PGresult *r = PQexec(p->c, s_schema);
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    if (!ok) {
        s_disconnect(p, "create tables");
        return -1;
    }
    p->st.connected = 1;
    p->st.reconnects++;
    log_info("postgres: connected (%s), tables ready", PQhost(p->c) ? PQhost(p->c) : "");
    return 0;
}

static int s_exec(pgsink_t *p, const char *sql)
{
    PGresult *r = PQexec(p->c, sql);
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    return ok ? 0 : -1;
}

/* Insert row W: 0; -1 when the server refused this row's data (SQLSTATE
 * class 22 data exception or 23 integrity); -2 for anything else (the
 * connection, a shutdown, ...: the row must be retried, never dropped). */
static int s_insert(pgsink_t *p, const s_row_t *w)
{
    const char *v[5] = {w->json, w->src, w->epoch, w->seq, w->topic};
    PGresult *r = PQexecParams(p->c, w->tick ? s_ins_tick : s_ins_event, w->tick ? 4 : 5, NULL,
                               v, NULL, NULL, 0);
    int rc = 0;
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
        rc = state && (!strncmp(state, "22", 2) || !strncmp(state, "23", 2)) ? -1 : -2;
    }
    PQclear(r);
    return rc;
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

/* One transaction of up to p->batch rows. Returns rows committed, or -1 when
 * the connection is gone (rows stay queued). */
static int64_t s_flush_batch(pgsink_t *p)
{
    size_t n = p->len < (size_t)p->batch ? p->len : (size_t)p->batch;
    if (s_exec(p, "BEGIN") < 0) goto gone;
    size_t i;
    int bad = 0;
    for (i = 0; i < n; i++)
        if ((bad = s_insert(p, &p->q[(p->head + i) % p->cap])) < 0) break;
    if (i == n && s_exec(p, "COMMIT") == 0) {
        s_pop(p, n);
        p->st.committed += n;
        p->st.batches++;
        p->attempt = 0;
        return (int64_t)n;
    }
    if (bad != -1 || PQstatus(p->c) != CONNECTION_OK) goto gone;
    /* the server refused a row's data: roll back, then one row at a time */
    s_error(p, "batch refused", PQerrorMessage(p->c));
    if (s_exec(p, "ROLLBACK") < 0) goto gone;
    int64_t done = 0;
    for (i = 0; i < n; i++) {
        int r = s_insert(p, &p->q[p->head]);
        if (r == -2) goto gone;
        if (r == 0) done++;
        else {
            p->st.rejected++;
            s_error(p, "row rejected", PQerrorMessage(p->c));
        }
        s_pop(p, 1);
        p->st.committed += (uint64_t)(r == 0);
    }
    return done;
gone:
    s_disconnect(p, "server went away");
    return -1;
}

uint64_t pgsink_service(pgsink_t *p)
{
    uint64_t before = p->st.committed;
    int64_t now = clock_mono_ns();
    if (!p->c) {
        if (now < p->next_connect) return 0;
        if (s_connect(p) < 0) return 0;
    }
    while (p->len && (p->len >= (size_t)p->batch ||
                      clock_mono_ns() - p->oldest >= (int64_t)(p->batch_s * NS_PER_S)))
        if (s_flush_batch(p) <= 0) break;
    return p->st.committed - before;
}

int pgsink_wait_ms(const pgsink_t *p)
{
    int64_t now = clock_mono_ns();
    if (!p->c && !p->len) {
        int64_t ms = (p->next_connect - now) / NS_PER_MS;
        return ms <= 0 ? 0 : ms > 1000 ? 1000 : (int)ms;
    }
    if (!p->len) return 1000;
    int64_t at = p->c ? p->oldest + (int64_t)(p->batch_s * NS_PER_S) : p->next_connect;
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
    while (p->len && clock_mono_ns() < end) {
        if (!p->c) p->next_connect = 0;
        pgsink_service(p);
        if (p->len && !p->c) {
            struct timespec ts = {0, 200 * 1000000L};
            nanosleep(&ts, NULL);
        }
    }
    uint64_t lost = p->len;
    if (lost) log_warnx("postgres: %llu records not committed before exit", (unsigned long long)lost);
    s_pop(p, p->len);
    if (p->c) PQfinish(p->c);
    free(p->q);
    free(p->dsn);
    free(p->name);
    free(p);
    *pp = NULL;
    return lost;
}
