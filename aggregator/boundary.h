/* boundary: when the aggregator writes a second. With the realtime clock (boundary_run): receive
 * bus messages until the next UTC second boundary, hold those published at or after it, write the
 * tick as of the boundary, report skipped seconds as a gap, and after a stall keep the gap and
 * the late tick in an outbox for up to a second (subscribers are reconnecting). With replayed
 * input (boundary_run_replay): the messages' original ts_pub is the clock. Owns the tick state
 * (aggregator/tick); clocks, sleeping, receiving and sending go through boundary_io_t, so the
 * self-test drives it with a fake clock and bus. Used by aggregator.c. */
#ifndef TB_BOUNDARY_H
#define TB_BOUNDARY_H

#include "bus.h"
#include "hb.h"
#include "jw.h"
#include "tick.h"

#include <signal.h>
#include <stdint.h>

/* The outside world. ARG is passed to each. */
typedef struct {
    int64_t (*real_ns)(void *arg); /* realtime clock, ns since the epoch */
    int64_t (*mono_ns)(void *arg); /* monotonic clock, ns */
    void (*sleep_until)(void *arg, int64_t real_ns); /* may return early (a stop signal) */
    int (*recv)(void *arg, bus_msg_t *m, int timeout_ms); /* 1: a message in M, else 0 or -1 */
    void (*send)(void *arg, const char *topic, const char *body, size_t len, int64_t ts_rx);
    void *arg;
} boundary_io_t;

/* The real world: clock_real_ns/clock_mono_ns, SUB and PUB (borrowed); a sleep ends early once
 * *STOP is set. */
typedef struct {
    bus_sub_t *sub;
    bus_pub_t *pub;
    volatile sig_atomic_t *stop;
    /* optional: another socket the loop serves while it waits for messages (the catch-up
     * ROUTER); SERVE(SERVE_ARG) is called when it is readable and must not block */
    void *serve_z;
    void (*serve)(void *serve_arg);
    void *serve_arg;
    int64_t served_mono; /* when it was last served (the loop's, set to 0) */
} boundary_bus_t;
boundary_io_t boundary_io_bus(boundary_bus_t *bus);

typedef struct boundary boundary_t;

/* A boundary keeping the tick state of CFG (copied), talking through IO (copied; its arg
 * borrowed). STALL_S: the realtime loop gives up after this long without a tick. Never NULL. */
boundary_t *boundary_new(const tick_cfg_t *cfg, boundary_io_t io, double stall_s);
void boundary_destroy(boundary_t **p);

/* The realtime loop until *STOP is set: returns 0, or 75 when no tick was written for stall_s
 * (the realtime clock stuck or stepped back). HB (may be NULL) gets progress (a tick) and state. */
int boundary_run(boundary_t *b, hb_t *hb, volatile sig_atomic_t *stop);

/* One pass of that loop: write the tick when the boundary is reached, else wait for a message
 * (at most 200 ms) or sleep to the boundary. Returns 0, or 75 as boundary_run. */
int boundary_step(boundary_t *b, hb_t *hb);

/* The replay loop until *STOP is set (docs/SINKS.md, Replay): each message carries its original
 * envelope in "orig"; the tick of second S is written once a message published at or after S
 * arrives. Returns 0. */
int boundary_run_replay(boundary_t *b, hb_t *hb, volatile sig_atomic_t *stop);

/* Heartbeat detail (hb_detail_fn, ARG the boundary): the tick state's counters plus the emission
 * lag of the last ticks (realtime loop) or the replay counters (replay loop). */
void boundary_hb_detail(jw_t *w, void *arg);
void boundary_hb_replay(jw_t *w, void *arg);

/* The tick state (borrowed). */
tick_t *boundary_tick(boundary_t *b);

int boundary_test(void);

#endif
