/* pgsink: the PostgreSQL side of sink-postgres (issue 7). Records wait in a
 * bounded in-memory queue and are inserted in batched transactions (a tick
 * table with typed loader columns plus the whole record as jsonb, an event
 * table); a row leaves the queue only once its COMMIT succeeded, and
 * (src, epoch, seq) keys make a retried batch harmless. When the server goes
 * away, it reconnects with exponential backoff and full jitter. Every libpq call is
 * asynchronous: the loop never waits for the server. */
#ifndef TB_PGSINK_H
#define TB_PGSINK_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    const char *dsn;      /* libpq connection string/URI; "" = the PG* environment */
    const char *name;     /* application_name */
    const char *suffix;   /* of the table names: tick SUFFIX, event SUFFIX ("", "_kxeth15m") */
    size_t max_records;   /* queue bound */
    int batch;            /* rows per transaction at most */
    double batch_s;       /* flush a partial batch after this long */
    double backoff_max_s; /* reconnect backoff cap */
} pgsink_cfg_t;

typedef struct {
    uint64_t queued, committed, batches, dropped, rejected, reconnects, connect_failures;
    int connected;
    char last_error[160];
} pgsink_stats_t;

typedef struct pgsink pgsink_t;

pgsink_t *pgsink_new(const pgsink_cfg_t *cfg);
/* Flush for at most DEADLINE_S seconds, disconnect, free. Returns the rows
 * that could not be committed. */
uint64_t pgsink_destroy(pgsink_t **p, double deadline_s);
/* Queue one record. TOPIC "tick" goes to table tick, anything else to event (with the
 * configured suffix).
 * SRC/EPOCH/SEQ identify it (the bus envelope). TS_NS is its own time (for a
 * gap record on overflow). 0, or -1 when dropped because the queue is full. */
int pgsink_add(pgsink_t *p, const char *topic, const char *json, size_t len, const char *src,
               const char *epoch, uint64_t seq, int64_t ts_ns);
/* Queue the coverage record of closed UTC day DAY ("YYYY-MM-DD"): computed by the server from
 * the tables once the rows queued before it are in, written once per day (as sink-jsonl's).
 * SRC/EPOCH/SEQ key it (the sink's own). 0, or -1 when the queue is full. */
int pgsink_coverage(pgsink_t *p, const char *day, const char *src, const char *epoch,
                    uint64_t seq);
/* Connect when due, insert what is due. Returns rows newly committed. */
uint64_t pgsink_service(pgsink_t *p);
int pgsink_wait_ms(const pgsink_t *p);
/* The newest tick the table held when first connected (to catch up from), once that was read:
 * NULL before; tick_s -1 when the table was empty. */
typedef struct {
    char src[64], epoch[24];
    uint64_t seq;
    int64_t tick_s;
} pgsink_newest_t;
const pgsink_newest_t *pgsink_newest(const pgsink_t *p);
/* After an overflow, once there is room again: dropped count, ticks among them, span. */
int pgsink_take_dropped(pgsink_t *p, uint64_t *n, uint64_t *ticks, int64_t *from, int64_t *to);
const pgsink_stats_t *pgsink_stats(const pgsink_t *p);

#endif
