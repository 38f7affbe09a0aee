/* jsonl: the crash-safe daily JSONL writer behind sink-jsonl (issue 7).
 * DIR/PREFIX-YYYY-MM-DD.jsonl, one write(2) per whole line on an O_APPEND
 * descriptor, rotated at UTC midnight by the record's own time, fdatasync'd
 * every --fsync seconds. A failing disk never gets half a line: lines wait in
 * a bounded memory queue and are retried. On start a torn last line is moved
 * to .torn; closed days get a coverage record and are gzip'd through a
 * temporary file and an atomic rename, a slice at a time. */
#ifndef TB_JSONL_H
#define TB_JSONL_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    const char *dir, *prefix;
    const char *by;      /* the sink's name, written into coverage records */
    int compress;        /* gzip closed days */
    double fsync_s;      /* fdatasync period; 0: after every line */
    size_t buffer_bytes; /* memory for lines waiting on a failing disk */
    /* Records whose time is further than this from the sink's own clock are
     * quarantined (counted, logged, not written, never rotate): 0 = defaults
     * (record.h: RECORD_AHEAD_S, RECORD_BEHIND_S). */
    int64_t max_ahead_s, max_behind_s;
    int64_t (*now_ns)(void); /* the sink's clock; NULL: clock_real_ns (tests set their own) */
    /* optional: called with each line of the newest file read at start (what the sink has) */
    void (*seen)(const char *line, size_t len, void *arg);
    void *seen_arg;
} jsonl_cfg_t;


typedef struct {
    uint64_t lines;        /* accepted (written or queued) */
    uint64_t durable;      /* fdatasync'd */
    uint64_t write_errors, sync_errors, dropped, torn, compressed, compress_errors, late;
    uint64_t invalid;     /* not one JSON object of valid UTF-8 on one line: refused */
    uint64_t quarantined; /* time too far from the sink's clock: refused */
    uint64_t pending, pending_bytes;
    int last_errno;        /* of the last failed write/sync, 0 once writes succeed again */
    int64_t day;           /* current day number, -1 before the first record */
} jsonl_stats_t;

typedef struct jsonl jsonl_t;

/* Create DIR if needed, repair torn last lines of every PREFIX-*.jsonl,
 * remove temporaries of an interrupted compression, and load the newest
 * day's statistics. NULL if DIR is unusable (logged). */
jsonl_t *jsonl_new(const jsonl_cfg_t *cfg);
/* Flush what can be flushed, fdatasync, close. Returns lines still pending
 * (lost), 0 normally. */
uint64_t jsonl_destroy(jsonl_t **j);
/* Newest tick second (ns) found in the files at start, -1 if none. */
int64_t jsonl_last_tick(const jsonl_t *j);
/* Append one record (a JSON object, no newline). Returns 0 when accepted
 * (written, or queued behind a failing disk), -1 when dropped because the
 * queue is full (counted; see jsonl_take_dropped), JSONL_INVALID or
 * JSONL_FAR when refused by jsonl_check (counted, logged). */
int jsonl_write(jsonl_t *j, const char *json, size_t len);
/* What jsonl_write would refuse: record_check's gate (record.h), counted in
 * the stats' invalid/quarantined; else 0 and *TS_NS = its time (-1 if none). */
int jsonl_check(jsonl_t *j, const char *json, size_t len, int64_t *ts_ns);
enum { JSONL_INVALID = -2, JSONL_FAR = -3 }; /* RECORD_INVALID, RECORD_FAR */
/* Call from the loop: retries queued lines, fdatasyncs on schedule, and
 * compresses a slice of a closed day. Returns lines newly made durable. */
uint64_t jsonl_service(jsonl_t *j);
/* Milliseconds until jsonl_service has work (0: call again at once). */
int jsonl_wait_ms(const jsonl_t *j);
/* Once the queue has drained after drops: what was dropped (records, ticks
 * among them, time span). Returns 1 and resets, or 0. */
int jsonl_take_dropped(jsonl_t *j, uint64_t *n, uint64_t *ticks, int64_t *from, int64_t *to);
const jsonl_stats_t *jsonl_stats(const jsonl_t *j);

int jsonl_test(void);

#endif
