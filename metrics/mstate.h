/* mstate: what tickbus-metrics knows about the pipeline, built from the bus
 * (hb.*, tick, event.*) and written out in the Prometheus text exposition
 * format (version 0.0.4). Single-threaded: the caller feeds messages and
 * renders from the same loop. */
#ifndef TB_MSTATE_H
#define TB_MSTATE_H

#include "bus.h"

#include <stddef.h>
#include <stdint.h>

typedef struct mstate mstate_t;

/* HB_TIMEOUT_S: a program whose last hb is older than this is reported down
 * (tickbus_up 0). NOW_REAL is the realtime clock (ns) at start: today's
 * coverage counts from then. */
mstate_t *mstate_new(double hb_timeout_s, int64_t now_real);
void mstate_destroy(mstate_t **p);

/* Take in one bus message; topics other than hb.*, tick and event.* are
 * ignored. NOW_MONO/NOW_REAL: the clocks at receipt (ns). Returns 0, or -1
 * for a payload that could not be read (counted, rate-limited log). */
int mstate_on_msg(mstate_t *s, const bus_msg_t *m, int64_t now_mono, int64_t now_real);

/* Copy the subscriber's own loss counters into the exposition. */
void mstate_bus_stats(mstate_t *s, const bus_sub_stats_t *st);

/* The whole exposition as a malloc'ed NUL-terminated string (caller frees);
 * *LEN gets its length. Counts the scrape. */
char *mstate_render(mstate_t *s, int64_t now_mono, int64_t now_real, size_t *len);

int mstate_test(void);

#endif
