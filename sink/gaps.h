/* gaps: "gaps as data" for the sinks (issue 7). Watches every bus message a
 * sink receives (all topics, so hb.* restarts count) and turns a lost seq, a
 * missing second between ticks, a restart of a program, or the sink's own
 * downtime into one {"type":"gap",...} record, split at UTC midnight so each
 * day's file explains its own seconds. */
#ifndef TB_GAPS_H
#define TB_GAPS_H

#include "bus.h"

#include <stddef.h>
#include <stdint.h>

/* Receives each gap record: a whole JSON object (no newline) whose "ts" is
 * TS_NS, and how many seconds of ticks it explains. */
typedef void(gaps_emit_fn)(const char *json, size_t len, int64_t ts_ns, void *arg);

typedef struct gaps gaps_t;

/* BY: the sink's name, written into each record. */
gaps_t *gaps_new(const char *by, gaps_emit_fn *emit, void *arg);
void gaps_destroy(gaps_t **g);
/* The sink restarted: LAST_TICK_NS is the newest tick it had recorded. The
 * first tick received then yields a "sink_restart" record (even with no
 * second missing: a restart is always written down). */
void gaps_resume(gaps_t *g, int64_t last_tick_ns);
/* Observe message M before it is recorded. TICK_TS_NS is the tick's own
 * second (ns) when M is a tick, else -1. Emits what M reveals. */
void gaps_observe(gaps_t *g, const bus_msg_t *m, int64_t tick_ts_ns);
/* A gap the sink made itself (REASON "disk" or "buffer"): records with times
 * FROM_NS..TO_NS were dropped, TICKS of them ticks, LOST in all. */
void gaps_dropped(gaps_t *g, const char *reason, int64_t from_ns, int64_t to_ns, uint64_t ticks,
                  uint64_t lost);
/* Whole tick seconds FROM_NS..TO_NS (inclusive) the sink could not get (REASON, e.g.
 * "sink_restart" when a history no longer held them): one record per UTC day. */
void gaps_missed(gaps_t *g, const char *reason, int64_t from_ns, int64_t to_ns);
/* Emit what is still pending (a loss or restart of the tick source not yet
 * closed by a tick): call at shutdown. */
void gaps_flush(gaps_t *g);
uint64_t gaps_count(const gaps_t *g);

int gaps_test(void);

#endif
