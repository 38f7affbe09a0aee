/* hb: the once-a-second heartbeat hb.<name> (docs/CONTRACT.md, 'Heartbeat'),
 * and the systemd side of liveness: READY=1 once bound, STATUS= lines, and
 * WATCHDOG=1 only while progress moves (so a hung or useless process is
 * restarted). */
#ifndef TB_HB_H
#define TB_HB_H

#include "bus.h"
#include "jw.h"

#include <stdint.h>

/* Writes program-specific members (per-upstream detail) into the hb object. */
typedef void(hb_detail_fn)(jw_t *w, void *arg);

typedef struct hb hb_t;

/* PUB is borrowed and must outlive the hb. DETAIL may be NULL. */
hb_t *hb_new(bus_pub_t *pub, hb_detail_fn *detail, void *arg);
void hb_destroy(hb_t **h);
/* Count N units of useful work (feed: market messages; aggregator: ticks; sink: durable lines). */
void hb_progress(hb_t *h, uint64_t n);
/* "ok", "degraded" or "down" (static strings). */
void hb_state(hb_t *h, const char *state);
/* Blocked on the outside world (e.g. "disk" full): the loop runs but no
 * progress is possible, and restarting would not help. REASON (a static
 * string, NULL to clear) is published as "blocked"; the watchdog does not
 * judge progress while it is set, and WATCHDOG=1 keeps being sent. */
void hb_blocked(hb_t *h, const char *reason);
/* Tell systemd we are ready (READY=1) with a STATUS line. No-op outside systemd. */
void hb_ready(hb_t *h, const char *status);
/* Call at least once a second: publishes hb.<name> when a second has passed
 * and pings the systemd watchdog if progress moved. Returns 1 if published. */
int hb_tick(hb_t *h);
/* Seconds since progress last moved (since start if it never did). */
double hb_idle_s(const hb_t *h);

int hb_test(void);

#endif
