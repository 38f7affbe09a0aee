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

/* Sleep until the realtime clock reaches the next whole second after now
 * (absolute TIMER_ABSTIME sleep, restarted on EINTR unless *stop becomes
 * non-zero). Returns the second reached, in unix seconds, or -1 if stopped. */
int64_t clock_sleep_next_second(volatile int *stop);

/* Format ns since the epoch as "2026-11-28T12:03:17Z" / "...17.123Z".
 * Returns BUF. */
char *clock_fmt_iso(int64_t ns, char *buf, size_t n);
char *clock_fmt_iso_ms(int64_t ns, char *buf, size_t n);

/* Parse "YYYY-MM-DDTHH:MM:SS[.fff][Z|+00:00]" (UTC) into ns; -1 on bad input. */
int clock_parse_iso(const char *s, size_t len, int64_t *ns_out);

int clock_test(void);

#endif
