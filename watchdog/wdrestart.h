/* wdrestart: how the watchdog restarts a unit (docs/CONTRACT.md,
 * 'Healing layers'): systemd's RestartUnit over sd-bus (user or system
 * manager, or a private socket such as $XDG_RUNTIME_DIR/systemd/private), or a
 * shell command for other supervisors. Used by watchdog/watchdog.c, in its loop
 * and in --check-file. */
#ifndef TB_WDRESTART_H
#define TB_WDRESTART_H

#include <stddef.h>

typedef struct wdrestart wdrestart_t;

/* systemd backend. SYSTEM selects the system manager (else the user's);
 * ADDRESS (may be NULL) is an sd-bus address that overrides both. The bus is
 * opened lazily on the first restart and reopened after a failure. */
wdrestart_t *wdrestart_new_systemd(int system, const char *address);
/* cmd backend: CMD is run by /bin/sh -c with %u replaced by the shell-quoted
 * unit, %n by the shell-quoted program name and %% by %. */
wdrestart_t *wdrestart_new_cmd(const char *cmd);
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

/* CMD with %u/%n expanded as above; caller frees. */
char *wdrestart_expand(const char *cmd, const char *unit, const char *name);

int wdrestart_test(void);

#endif
