/* wdwatch: the bus layer (docs/CONTRACT.md, 'Healing layers') as pure logic
 * with the clock passed in: per watched program, when its hb was last seen and
 * when its progress last moved; which program is due for a restart (hb missing,
 * progress frozen), the grace after a restart, and the per-unit rate limit that
 * turns a restart loop into an escalating restart_storm. Used by
 * watchdog/watchdog.c. */
#ifndef TB_WDWATCH_H
#define TB_WDWATCH_H

#include "jw.h"

#include <stdint.h>

#define WDWATCH_STORM_CAP 64

typedef struct {
    double hb_timeout_s;    /* hb missing this long: restart */
    double grace_s;         /* after start and after a restart: not judged */
    int storm_max;          /* restarts allowed per window (<= WDWATCH_STORM_CAP) */
    double storm_window_s;
    double storm_backoff_s; /* first hold-off once the window is full; doubles */
    double storm_backoff_max_s;
} wdwatch_cfg_t;

typedef enum { WDWATCH_RESTART, WDWATCH_STORM } wdwatch_kind_t;

typedef struct {
    wdwatch_kind_t kind;
    const char *name, *unit;
    const char *reason;  /* "hb_missing" or "no_progress" */
    double missing_s;    /* seconds without hb (hb_missing) */
    double idle_s;       /* seconds without progress (no_progress) */
    int64_t pid;         /* last pid seen in its hb, 0 if none */
    int restarts;        /* restarts in the current window, this one included */
    double backoff_s;    /* STORM: how long restarts are held off */
} wdwatch_action_t;

/* Called for each action; for WDWATCH_RESTART returns 0 if the restart was
 * requested, -1 if it failed (it still counts against the rate limit), or 1
 * if it was deliberately not done (the unit is stopped on purpose): then it
 * does not count, and the program is judged again after the grace. */
typedef int(wdwatch_fn)(const wdwatch_action_t *a, void *arg);

typedef struct wdwatch wdwatch_t;

wdwatch_t *wdwatch_new(const wdwatch_cfg_t *cfg, int64_t now_ns);
void wdwatch_destroy(wdwatch_t **w);
/* Watch program NAME (its hb.NAME) run as UNIT; DEADLINE_S is its progress
 * deadline (0: progress not judged). -1 if NAME is already watched. */
int wdwatch_add(wdwatch_t *w, const char *name, const char *unit, double deadline_s);
int wdwatch_count(const wdwatch_t *w);
/* Record an hb of NAME seen at NOW_NS (monotonic). IDLE_S is the program's
 * own idle_s (< 0 if absent). Returns 0, or -1 if NAME is not watched. */
int wdwatch_hb(wdwatch_t *w, const char *name, int64_t now_ns, int64_t pid, uint64_t progress,
               double idle_s);
/* NAME's last hb said it is blocked on the outside world (hb "blocked"):
 * its progress deadline does not run meanwhile; a missing hb still counts. */
int wdwatch_blocked(wdwatch_t *w, const char *name, int64_t now_ns);
/* Judge every program at NOW_NS, calling FN for each action. Returns the
 * number of restarts requested. */
int wdwatch_check(wdwatch_t *w, int64_t now_ns, wdwatch_fn *fn, void *arg);
/* Write "programs":{NAME:{unit,seen,hb_age_s,progress,idle_s,restarts,storms,held}} into W. */
void wdwatch_write(const wdwatch_t *w, jw_t *jw, int64_t now_ns);
/* Total restarts requested / storms raised. */
uint64_t wdwatch_restarts(const wdwatch_t *w);
uint64_t wdwatch_storms(const wdwatch_t *w);

int wdwatch_test(void);

#endif
