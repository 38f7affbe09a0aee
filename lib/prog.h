/* prog: what every program's main shares (docs/CONTRACT.md, 'Command lines'):
 * the stop flag set by SIGINT/SIGTERM, SIGPIPE ignored, the exit codes,
 * named as in sysexits.h, and binding the program's bus PUB socket. */
#ifndef TB_PROG_H
#define TB_PROG_H

#include "bus.h"

#include <signal.h>
#include <sysexits.h>

/* Exit codes: 0 clean stop, EX_USAGE (64) usage or configuration, EX_UNAVAILABLE
 * (69) something needed is unavailable (bus, socket, file, manager),
 * EX_SOFTWARE (70) internal error, PROG_EX_STALLED (75, EX_TEMPFAIL) the
 * program found itself stalled (systemd restarts it). */
#define PROG_EX_STALLED EX_TEMPFAIL

/* Non-zero once SIGINT or SIGTERM arrived. */
extern volatile sig_atomic_t prog_stop;

/* Install the handlers: SIGINT/SIGTERM set prog_stop; SIGPIPE is ignored (a
 * closed socket is an error return, never a death). PROG_SIG_RESTART keeps
 * interrupted system calls restarting (what signal(2) gives: the program polls
 * prog_stop on its own timer); PROG_SIG_INTERRUPT lets a signal end a blocking
 * poll or sleep at once (EINTR), for loops that block longer. */
enum { PROG_SIG_RESTART, PROG_SIG_INTERRUPT };
void prog_signals(int mode);

/* Does TOPIC start with PREFIX? (ZeroMQ's subscription rule, for filtering
 * the topics a program receives; "" matches everything.) */
int prog_topic_match(const char *topic, const char *prefix);
/* Does TOPIC start with any of PREFIXES? An empty list matches everything. */
int prog_topic_any(const strlist_t *prefixes, const char *topic);

/* Bind the program's PUB socket where the common options say (--bus, --pub,
 * --name; bus_pub_endpoint, then bus_pub_new at the default high-water mark).
 * NULL when the bus directory or the endpoint is unusable (logged by lib/bus):
 * main then exits EX_UNAVAILABLE. The caller owns the socket (bus_pub_destroy). */
bus_pub_t *prog_pub_new(void);

int prog_test(void);

#endif
