/* bus: the ZeroMQ bus every program shares (docs/CONTRACT.md, 'The bus' and
 * 'The envelope'). Resolves the bus directory and endpoints, publishes
 * two-frame [topic][json] messages stamped with the envelope, and subscribes
 * while accounting for every lost message per (src, epoch). Publishing never
 * blocks. */
#ifndef TB_BUS_H
#define TB_BUS_H

#include "util.h"

#include <stddef.h>
#include <stdint.h>

#define BUS_EP_MAX 512
#define BUS_DEFAULT_SNDHWM 100000
/* The exchange venues of the index, each published by its program feed-VENUE: the aggregator's
 * default --venues and upstreams, the venues a feed's --peers auto watches (docs/FEEDS.md). */
#define BUS_BTC_VENUES "coinbase,kraken,bitstamp,gemini,cryptocom"

/* Resolve the bus directory: OPT (--bus), else $TICKBUS_BUS, else
 * $RUNTIME_DIRECTORY (already tickbus's own under systemd), else
 * $XDG_RUNTIME_DIR/tickbus, else /tmp/tickbus-$UID. Creates it mode 0700;
 * refuses a non-directory or a directory owned by another user.
 * Returns 0, or -1 after logging why. */
int bus_dir(const char *opt, char *out, size_t n);
/* "ipc://DIR/NAME.pub" into OUT; -1 if it does not fit (ipc paths are short). */
int bus_endpoint(const char *dir, const char *name, char *out, size_t n);
/* The publish endpoint of this program: --pub if given, else its default.
 * Returns 0 or -1 (logged). */
/* The catch-up endpoint next to publish endpoint PUB (aggregator/history, sink/follow):
 * ipc://DIR/NAME.pub gives ipc://DIR/NAME.hist. -1 for any other form (tcp: name it). */
int bus_hist_endpoint(const char *pub, char *out, size_t n);
int bus_pub_endpoint(const char *busdir_opt, const char *pub_opt, const char *name, char *out,
                     size_t n);

/* A subscriber's usual upstreams (--sub defaults to them: docs/CONTRACT.md,
 * 'The bus'): when SUB is empty, append ipc://DIR/NAME.pub for each NAME of the
 * NULL-terminated NAMES. Returns 0, or -1 when an endpoint does not fit
 * (logged). */
int bus_default_subs(strlist_t *sub, const char *dir, const char *const *names);

/* The process-wide ZeroMQ context (created on first use). Its I/O thread runs
 * SCHED_BATCH (see bus.c); TICKBUS_ZMQ_NOBATCH=1 in the environment keeps the
 * normal policy (for A/B measurements). */
void *bus_ctx(void);
/* Let ZeroMQ's I/O thread run now (sched_yield) if 64 or more messages were
 * published since it last did: an event loop calls it once per turn, so that a
 * publisher that never waits does not hold back its own SCHED_BATCH I/O thread. */
void bus_yield(void);
/* The options every tickbus socket gets (ZMTP heartbeats 1 s / 3 s, reconnect 100 ms backing
 * off to 1 s, linger 200 ms): for sockets made outside bus_pub/bus_sub (the catch-up ROUTER
 * and DEALERs). */
void bus_sockopts(void *z);
/* Bind or connect socket Z to ENDPOINT through lib/curve: tcp:// gets CURVE (or is refused
 * without --insecure), a connect endpoint may name the server key after '#'. WHAT names the
 * socket in the log line when it fails. 0 or -1 (logged). */
int bus_bind(void *z, const char *endpoint, const char *what);
int bus_connect(void *z, const char *endpoint, const char *what);
/* The endpoint DELTA ports after tcp://ADDR:PORT[#KEY] (the catch-up server next to a tcp
 * publisher: --expose's PORT+1), the key kept. -1 for any other form. */
int bus_tcp_next(const char *ep, int delta, char *out, size_t n);
/* Terminate the context at exit (after every socket is closed). */
void bus_ctx_term(void);

typedef struct bus_pub bus_pub_t;

/* Bind a PUB socket on ENDPOINT for program NAME, with send high-water mark
 * HWM (0 = BUS_DEFAULT_SNDHWM), and on every --expose endpoint (tcp, CURVE). Picks a random
 * 64-bit epoch. NULL on failure (logged). */
bus_pub_t *bus_pub_new(const char *name, const char *endpoint, int hwm);
void bus_pub_destroy(bus_pub_t **p);
/* Publish TOPIC with payload BODY: a fragment of JSON object members
 * ("\"bid\":1.5,..." or empty) that the envelope is prepended to. TS_RX/TS_EX
 * are ns; TS_EX < 0 prints null. Never blocks: returns 0, or -1 when the
 * message was dropped (counted). */
int bus_pub_send(bus_pub_t *p, const char *topic, const char *body, size_t len, int64_t ts_rx,
                 int64_t ts_ex);
/* Called with every message bus_pub_send builds, dropped or not: TOPIC and the whole payload
 * (envelope included, BODY[0..LEN), not NUL-terminated) as readers get it, and its seq. The
 * aggregator keeps its recent output this way (aggregator/history). */
typedef void(bus_pub_observe_fn)(const char *topic, const char *body, size_t len, uint64_t seq,
                                 void *arg);
void bus_pub_observe(bus_pub_t *p, bus_pub_observe_fn *fn, void *arg);
const char *bus_pub_epoch(const bus_pub_t *p);
const char *bus_pub_name(const bus_pub_t *p);
uint64_t bus_pub_drops(const bus_pub_t *p);

typedef struct {
    const char *topic; /* NUL-terminated, valid until the next recv */
    size_t topic_len;
    const char *body;  /* the whole JSON payload, envelope included, NUL-terminated */
    size_t body_len;
    char src[64];
    char epoch[24];
    uint64_t seq;
    int64_t ts_rx, ts_ex, ts_pub; /* ts_ex -1 when null */
    uint64_t lost;    /* messages of this (src, epoch) lost just before this one */
    int first;        /* first message seen from this src */
    int restarted;    /* src seen before under another epoch: a restart, not a gap */
} bus_msg_t;

typedef struct {
    uint64_t received, lost, gaps, restarts, bad;
} bus_sub_stats_t;

typedef struct bus_sub bus_sub_t;

bus_sub_t *bus_sub_new(void);
void bus_sub_destroy(bus_sub_t **s);
/* Connect to ENDPOINT (once; repeated endpoints are ignored). 0 or -1 (logged). */
int bus_sub_connect(bus_sub_t *s, const char *endpoint);
/* Connect to every DIR/ *.pub not connected yet. Returns how many were added. */
int bus_sub_scan(bus_sub_t *s, const char *dir);
/* Only deliver topics starting with PREFIX (repeatable; none = all). The
 * socket still receives everything so per-publisher seq accounting stays exact. */
void bus_sub_prefix(bus_sub_t *s, const char *prefix);
/* Wait up to TIMEOUT_MS (-1 forever, 0 poll) for the next matching message.
 * Returns 1 with *M filled, 0 on timeout, -1 on interruption or error. */
int bus_sub_recv(bus_sub_t *s, bus_msg_t *m, int timeout_ms);
void *bus_sub_zsock(bus_sub_t *s);
const bus_sub_stats_t *bus_sub_stats(const bus_sub_t *s);

/* Read the envelope from a payload (used by bus_sub_recv; exposed for tests
 * and fuzzing). Returns 0 or -1 when the envelope is missing or malformed. */
int bus_envelope_parse(const char *body, size_t len, bus_msg_t *m);
/* Where the payload's own members start: the offset just past the envelope's ts_pub value
 * (at the ',' or '}' that follows it), or 0 when BODY has no valid envelope. Two copies of one
 * record from different publishers are the same past this point. */
size_t bus_envelope_len(const char *body, size_t len);

int bus_test(void);

#endif
