/* wdrestart: how the watchdog restarts a unit (docs/CONTRACT.md,
 * 'Healing layers'): systemd's RestartUnit over sd-bus (user or system
 * manager, or a private socket such as $XDG_RUNTIME_DIR/systemd/private), or a
 * shell command for other supervisors. Used by watchdog/watchdog.c in its loop
 * and by watchdog/freshness.c (tickbus-freshness). */
#ifndef TB_WDRESTART_H
#define TB_WDRESTART_H

#include "opts.h"

#include <stddef.h>

typedef struct wdrestart wdrestart_t;

/* The backend options, shared by the programs that restart units. */
typedef struct {
    char *restart, *restart_cmd, *bus_address;
    int user, system;
} wdrestart_opts_t;

/* The option table rows of a wdrestart_opts_t O, for a program's opt_t table. */
#define WDRESTART_OPTS(o)                                                                          \
    {"restart", OPT_STR, &(o).restart, "systemd", 1, 0, NULL, "restart backend: systemd or cmd",  \
     0},                                                                                           \
    {"restart-cmd", OPT_STR, &(o).restart_cmd, NULL, 1, 0, NULL,                                   \
     "cmd backend: shell command, %u = the unit, %n = the program name (both shell-quoted)", 0},   \
    {"user", OPT_BOOL, &(o).user, "0", 1, 0, NULL,                                                 \
     "systemd backend: the user's service manager (the default)", 0},                             \
    {"system", OPT_BOOL, &(o).system, "0", 1, 0, NULL, "systemd backend: the system manager", 0}, \
    {"bus-address", OPT_STR, &(o).bus_address, NULL, 1, 0, NULL,                                   \
     "systemd backend: sd-bus address, e.g. unix:path=$XDG_RUNTIME_DIR/systemd/private", 0}

/* The backend the parsed options O choose: systemd (the user's manager, the
 * system's with --system, or the sd-bus address --bus-address; the bus is
 * opened lazily on the first restart and reopened after a failure), or cmd
 * (--restart-cmd run by /bin/sh -c with %u replaced by the shell-quoted unit,
 * %n by the shell-quoted program name and %% by %). A bad combination (cmd
 * without a --restart-cmd holding %u, an unknown backend, --user with
 * --system) exits 64 naming the option (opts_die). */
wdrestart_t *wdrestart_from_opts(const wdrestart_opts_t *o);

void wdrestart_destroy(wdrestart_t **r);
const char *wdrestart_kind(const wdrestart_t *r); /* "systemd" or "cmd" */
/* systemd: a unit that entered the active state less than SECONDS ago (or is
 * still activating) is not restarted (WDRESTART_SKIPPED): its new process
 * gets that long to send a first hb. The watchdog passes its --grace. */
void wdrestart_set_recent(wdrestart_t *r, double seconds);

/* Ask for UNIT (program NAME, may be NULL) to be restarted. systemd: the job
 * was queued; cmd: the command was started (it runs in the background and is
 * reaped by wdrestart_reap). Returns 0, -1 with a reason in ERR, or
 * WDRESTART_SKIPPED (systemd only) when the unit is inactive, i.e. stopped on
 * purpose or never started: a person's stop is not undone; likewise when
 * it became active within the recent window (wdrestart_set_recent). A unit the
 * manager does not know (not found, masked) is an error. */
#define WDRESTART_SKIPPED 1
int wdrestart_unit(wdrestart_t *r, const char *unit, const char *name, char *err, size_t n);
/* Reap finished commands, logging a failed one. Returns how many are still running. */
int wdrestart_reap(wdrestart_t *r);
/* Wait up to TIMEOUT_MS for every command to finish (oneshot use). Returns 0
 * if all ran and exited 0, -1 otherwise (logged). */
int wdrestart_wait(wdrestart_t *r, int timeout_ms);


int wdrestart_test(void);

#endif
