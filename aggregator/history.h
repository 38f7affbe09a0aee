/* history: the aggregator's recent output (ticks and event.* records, exactly as published,
 * envelope included), kept for a window (default 15 minutes) within a byte budget, and served
 * on a ROUTER socket next to the PUB to any reader that asks for "everything after X" (a sink
 * that starts or reconnects, `tap --since`). lib/catchup is the protocol; sink/follow is the
 * client. Each entry has a slot: a tick's own second, and for an event the
 * second of the tick being assembled when it was published (the last tick's second + 1). */
#ifndef TB_HISTORY_H
#define TB_HISTORY_H

#include "catchup.h"

#include <stddef.h>
#include <stdint.h>

typedef struct history history_t;

/* Keep entries whose slot is within WINDOW_S seconds of the newest, at most MAX_BYTES of
 * payload. EPOCH: the publisher's epoch (a request naming it may ask by seq). Never NULL. */
history_t *history_new(int64_t window_s, size_t max_bytes, const char *epoch);
void history_destroy(history_t **p);

/* bus_pub_observe_fn: every published message; keeps `tick` and `event.*`, notes the seq of
 * the others (hb) so a reply can say how far it covers. ARG is the history. */
void history_observe(const char *topic, const char *body, size_t len, uint64_t seq, void *arg);

typedef void(history_entry_fn)(const char *topic, const char *body, size_t len, void *arg);

/* Answer REQ (lib/catchup): FN for each entry in publication order, then the summary in OUT. */
void history_query(const history_t *h, const catchup_req_t *req, history_entry_fn *fn, void *arg,
                   catchup_end_t *out);

/* The ROUTER side: read every waiting request on socket Z and answer it (frames: [id]["msg"]
 * [topic][body] per entry, then [id]["end"][summary JSON]). Never blocks. */
void history_serve(history_t *h, void *z);

typedef struct {
    uint64_t entries, bytes, evicted, requests, bad_requests, served, partial;
    int64_t first_s, last_s;
} history_stats_t;
const history_stats_t *history_stats(const history_t *h);

int history_test(void);

#endif
