/* wdfresh: the output layer (docs/CONTRACT.md, 'Healing layers'), independent
 * of the bus: is the newest data file (by mtime) matching a glob fresh enough,
 * and if not, restart a unit. The oneshot of tickbus-freshness
 * (watchdog/freshness.c), run every 60 s by tickbus-freshness.timer, and of the
 * deprecated `watchdog --check-file`. */
#ifndef TB_WDFRESH_H
#define TB_WDFRESH_H

#include "opts.h"
#include "wdrestart.h"

#include <stdint.h>

/* The oneshot's options besides the glob (--check-file) and the restart backend. */
typedef struct {
    double max_age_s, day_grace_s;
    char *unit; /* --restart-unit */
    char *now;  /* --now ISO, for tests; NULL: the realtime clock */
} wdfresh_opts_t;

/* The option table rows of a wdfresh_opts_t O, for a program's opt_t table. */
#define WDFRESH_OPTS(o)                                                                            \
    {"max-age", OPT_DBL, &(o).max_age_s, "120", 1, 86400, NULL,                                    \
     "check-file: seconds since the newest file was modified before it is stale", 0},              \
    {"restart-unit", OPT_STR, &(o).unit, NULL, 1, 0, NULL,                                         \
     "check-file: unit to restart when stale (e.g. tickbus.target)", 0},                           \
    {"day-grace", OPT_DBL, &(o).day_grace_s, "300", 0, 86400, NULL,                                \
     "check-file: a missing file within this many seconds after 00:00 UTC is not stale", 0},       \
    {"now", OPT_STR, &(o).now, NULL, 1, 0, NULL,                                                   \
     "check-file: judge as if it were this UTC time (YYYY-MM-DDTHH:MM:SSZ; for tests)", 0}

/* The oneshot over the files matching PATTERN: check O (no --restart-unit or a
 * bad --now exits 64 naming it, opts_die); with CHECK_ONLY (--check) stop
 * there. Else judge the newest file, log the verdict, and restart O->unit
 * through R when it is stale or missing. Returns the exit code: 0 (fresh,
 * restarted, or not restarted because the unit is inactive), EX_UNAVAILABLE
 * (the glob could not be read, or the restart failed: a crit line). */
int wdfresh_check(const char *pattern, const wdfresh_opts_t *o, wdrestart_t *r, int check_only);

int wdfresh_test(void);

#endif
