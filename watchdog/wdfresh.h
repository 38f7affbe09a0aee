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

typedef struct {
    int found;          /* 1 if some file matched */
    int matched;        /* how many matched */
    char path[4096];    /* the newest one */
    int64_t mtime_ns;
} wdfresh_file_t;

typedef enum {
    WDFRESH_FRESH,      /* newest file modified within max-age */
    WDFRESH_STALE,      /* newest file older than max-age */
    WDFRESH_MISSING_OK, /* no file yet, but within the grace at the start of a UTC day */
    WDFRESH_MISSING     /* no file at all: stale */
} wdfresh_verdict_t;

/* Find the newest regular file matching PATTERN (glob(3)). Returns 0 (F->found
 * says whether one matched), or -1 if the pattern could not be read (logged). */
int wdfresh_newest(const char *pattern, wdfresh_file_t *f);
/* Judge F at NOW_NS (realtime): AGE_S gets the file's age (or seconds into
 * the UTC day when missing). DAY_GRACE_S: a missing file within that many
 * seconds after 00:00 UTC is not stale. */
wdfresh_verdict_t wdfresh_judge(const wdfresh_file_t *f, int64_t now_ns, double max_age_s,
                                double day_grace_s, double *age_s);
const char *wdfresh_verdict_str(wdfresh_verdict_t v);

/* The oneshot over the files matching PATTERN: check O (no --restart-unit or a
 * bad --now exits 64 naming it, opts_die); with CHECK_ONLY (--check) stop
 * there. Else judge the newest file, log the verdict, and restart O->unit
 * through R when it is stale or missing. Returns the exit code: 0 (fresh,
 * restarted, or not restarted because the unit is inactive), EX_UNAVAILABLE
 * (the glob could not be read, or the restart failed: a crit line). */
int wdfresh_check(const char *pattern, const wdfresh_opts_t *o, wdrestart_t *r, int check_only);

int wdfresh_test(void);

#endif
