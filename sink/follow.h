/* follow: what a sink (or `tap --since`) reads from one or more aggregators, in writing order,
 * each tick second once, nothing it already has, and what the bus lost fetched back from the
 * aggregators' recent output (aggregator/history, docs/CONTRACT.md "Catch-up"). It wraps the
 * reader's bus_sub_t: the reader calls follow_recv instead of bus_sub_recv.
 *
 * - At start, and whenever a source's stream shows a hole (a lost seq, a new epoch, a tick
 *   second skipped), it asks that source's history for everything after what the reader has,
 *   holds the source's live messages meanwhile, and delivers the reply, then the held ones.
 * - follow_fresh: a tick is written only if its second is newer than the newest written (the
 *   first aggregator to deliver a second wins; the others' copies are duplicates). An event is
 *   written once per content (the payload after the envelope) among the sources' events (a
 *   feed's events in a capture are all kept): two aggregators that saw the same thing write
 *   the same event, and it is kept once; when they disagree both are kept, each naming its
 *   writer in `src`.
 * - A history's reply is taken only as one page (at most CATCHUP_REPLY_MAX entries) of that
 *   source's own messages; anything else is counted (bad_replies), logged and dropped.
 * - A message whose lost seq was fetched back is delivered with lost = 0, so the gap records
 *   (sink/gaps) speak only of what is really missing. */
#ifndef TB_FOLLOW_H
#define TB_FOLLOW_H

#include "bus.h"

#include <stddef.h>
#include <stdint.h>

typedef struct follow follow_t;

/* Reads SUB (borrowed, connected by the caller). LAST_TICK_NS: the newest tick second the
 * reader already has (-1 none). TIMEOUT_MS: how long a history may take to answer before the
 * held messages go on without it; <= 0: never ask (sources still count for follow_fresh).
 * Never NULL. */
follow_t *follow_new(bus_sub_t *sub, int64_t last_tick_ns, int timeout_ms);
void follow_destroy(follow_t **p);

/* A source to catch up from: messages whose src is SRC, history at ENDPOINT (a DEALER connects;
 * the first request goes out at once). -1 if ENDPOINT cannot be connected (logged). */
int follow_source(follow_t *f, const char *src, const char *endpoint);

/* The sources of the reader's subscriptions SUBS (strings like ipc://DIR/NAME.pub) whose
 * catch-up endpoint can be derived (bus_hist_endpoint); "SRC@ENDPOINT" items of EXTRA as
 * given. Returns how many sources, or -1 on a malformed EXTRA item (logged). */
int follow_sources(follow_t *f, const char *const *subs, int nsubs, const char *const *extra,
                   int nextra);

/* A record the reader already has (a line of its newest file, at start): its tick second and
 * event content count as delivered. */
void follow_seen(follow_t *f, const char *line, size_t len);

/* The next message to handle, in order (M's pointers valid until the next call): 1, or 0 when
 * none came within TIMEOUT_MS, or -1 as bus_sub_recv. A message of a source already handled
 * (same epoch, seq not newer: a live copy of a fetched one) is dropped here. */
int follow_recv(follow_t *f, bus_msg_t *m, int timeout_ms);

/* Is M new content, to be written? 0 for a tick whose second is not newer than the newest
 * written, or an event whose content was written; else 1 (and it counts as written). Call it
 * for records that passed the reader's own checks, so a refused one never hides a good one. */
int follow_fresh(follow_t *f, const bus_msg_t *m);

/* For a reader that learns what it has only later (sink-postgres, once the database answers):
 * ticks up to WINDOW_S seconds older than the newest written may still be written if their
 * second was not (rows have no order; a file has, so sink-jsonl never calls this). */
void follow_backfill(follow_t *f, int64_t window_s);
/* Ask every source now for everything after tick second AFTER_S, by tick second (what it
 * sent live meanwhile comes again: follow_fresh and the reader's keys drop it). */
void follow_catch_up(follow_t *f, int64_t after_s);

/* After follow_catch_up: the tick seconds FROM..TO (inclusive) a history no longer held (the
 * reader was away longer than it keeps), once every source has answered or timed out (at once
 * with FORCE, e.g. at exit); 0 when none. */
int follow_take_unreachable(follow_t *f, int force, int64_t *from_s, int64_t *to_s);

typedef struct {
    uint64_t requests, replies, timeouts, partial, bad_replies;
    uint64_t fetched;     /* messages that came from a history */
    uint64_t fetched_new; /* of those, handed on (not already handled from the live stream) */
    uint64_t dup_ticks;   /* tick seconds already delivered (from another aggregator, or again) */
    uint64_t dup_events;  /* event contents already delivered */
    uint64_t dup_seq;     /* messages already delivered by seq (live copy of a fetched one) */
    uint64_t held, held_dropped;
} follow_stats_t;
const follow_stats_t *follow_stats(const follow_t *f);
/* How many sources are waiting on a history now. */
int follow_catching(const follow_t *f);

int follow_test(void);

#endif
