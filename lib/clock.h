/* clock: realtime and monotonic nanoseconds, ISO-8601 UTC formatting, and
 * sleeping to an absolute UTC second boundary (never a drifting interval). */
#ifndef TB_CLOCK_H
#define TB_CLOCK_H

#include <stddef.h>
#include <stdint.h>

#define NS_PER_S 1000000000LL
#define NS_PER_MS 1000000LL

int64_t clock_real_ns(void); /* CLOCK_REALTIME */
int64_t clock_mono_ns(void); /* CLOCK_MONOTONIC */


/* Format ns since the epoch as "2026-11-28T12:03:17Z" / "...17.123Z".
 * Returns BUF. */
char *clock_fmt_iso(int64_t ns, char *buf, size_t n);
char *clock_fmt_iso_ms(int64_t ns, char *buf, size_t n);

/* Parse "YYYY-MM-DDTHH:MM:SS[.fff][Z|+00:00]" (UTC) into ns; -1 on bad input
 * and on years outside 1970..2199 (every result is within CLOCK_MAX_NS). */
int clock_parse_iso(const char *s, size_t len, int64_t *ns_out);

/* Times read from outside (venue frames, bus messages) are checked with these
 * before any arithmetic: a valid time lies in [0, CLOCK_MAX_NS], so adding or
 * subtracting any duration below ~60 years cannot overflow int64. */
#define CLOCK_MAX_S 7258118400LL /* 2200-01-01T00:00:00Z */
#define CLOCK_MAX_NS (CLOCK_MAX_S * NS_PER_S)
/* V units of UNIT ns since the epoch (UNIT: 1, 1000, NS_PER_MS, NS_PER_S) into
 * *NS; -1 (and *NS untouched) unless 0 <= V * UNIT <= CLOCK_MAX_NS. */
int clock_from_units(int64_t v, int64_t unit, int64_t *ns);
/* 1 if NS lies in [NOW - BEHIND, NOW + AHEAD] (BEHIND, AHEAD >= 0; any NS, NOW). */
int clock_near(int64_t ns, int64_t now, int64_t behind, int64_t ahead);

int clock_test(void);

#endif
