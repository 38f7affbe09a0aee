/* wdfresh: the output layer (docs/CONTRACT.md, 'Healing layers'), independent
 * of the bus: is the newest data file (by mtime) matching a glob fresh enough?
 * Used by `watchdog --check-file`, run every 60 s by tickbus-freshness.timer. */
#ifndef TB_WDFRESH_H
#define TB_WDFRESH_H

#include <stdint.h>

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

int wdfresh_test(void);

#endif
