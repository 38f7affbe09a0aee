/* wsconn: the one websocket client connection every feed uses (the connection
 * and data rows of docs/CONTRACT.md, 'Healing layers'): libwebsockets over TLS
 * with verification on, a handshake limit, websocket ping/pong validity, a "no
 * frame" dead timer, a market-data timer (resubscribe, then reconnect),
 * reconnects with exponential backoff and full jitter that never give up, and
 * the process-level "no progress" exit 75. Each event is logged once, counted
 * for the heartbeat and published as event.<kind>. Venue-neutral: the caller
 * supplies the URL, extra upgrade headers and callbacks; one connection (one
 * lws context) per wsconn, driven by wsconn_run() on the calling thread. */
#ifndef TB_WSCONN_H
#define TB_WSCONN_H

#include "bus.h"
#include "framerec.h"
#include "hb.h"
#include "jw.h"
#include "opts.h"

#include <stddef.h>
#include <stdint.h>

typedef struct wsconn wsconn_t;

/* The data-path probes that may come in a row (the bucket's size): half an hour's budget,
 * at least this many. A venue's natural long silences cluster in its quiet spells (mockx's
 * live world at 50 msgs/s: 12-54 an hour on average, all in the spells), which a bucket
 * of 3 could not cover. */
#define DATA_PROBE_BURST_MIN 3.0

/* What on_message says a complete message was (drives timers and counters). */
enum {
    WSCONN_MSG_DATA = 0,   /* market data: progress, re-arms the data timer */
    WSCONN_MSG_CTRL = 1,   /* venue heartbeat, ack, pong: proves only that the peer is alive */
    WSCONN_MSG_IGNORED = 2,/* unknown type or channel: counted, ignored */
    WSCONN_MSG_BAD = 3,    /* unparseable or invalid: counted (bad_frames), ignored */
    WSCONN_MSG_AUX = 4     /* market data that is not the book (a trade, a ticker): counted
                            * as data and as progress, and proves the path like a probe's
                            * answer, but the book's data timer and silence go on */
};

typedef struct {
    const char *venue;     /* name in logs, events, hb ("kraken") */
    const char *url;       /* wss://host[:port]/path (ws:// is refused: TLS always) */
    const char *ca_file;   /* extra trust anchor (PEM) added to the system CAs, or NULL */
    const char *const *headers; /* NULL-terminated "Name: value" lines for the upgrade, or NULL */
    double handshake_s;    /* DNS+TCP+TLS+WS handshake limit (10) */
    double ping_s;         /* websocket ping interval (5) */
    double dead_s;         /* no frame at all for this long: drop and reconnect (15) */
    double stale_s;        /* no market data for this long: resubscribe, then reconnect (15) */
    double write_s;        /* a queued write not flushed for this long: reconnect (10) */
    double backoff_min_s;  /* first backoff cap (0.5) */
    double backoff_max_s;  /* backoff cap ceiling (30) */
    double healthy_s;      /* connected with data this long resets the backoff (60) */
    double progress_s;     /* no market data for this long despite everything: exit 75 (60) */
    /* Telling quiet from dead (docs/FEEDS.md): a data silence longer than
     * suspect_factor x the 99.9th percentile of the gaps learned on this
     * venue (lib/silence; never under suspect_min_s, 2 s until 50 gaps are
     * known, at most stale_s) is suspected, and probed (so is a silence over
     * 1 s, suspect_min_s or 4 x the median gap, whichever is longest; again
     * every second it lasts): a probe unanswered for probe_s
     * is a stall (reconnect, reason probe_timeout); a suspected silence the
     * path answered through while the other venues moved (on_evidence) is a
     * mute (resubscribe, reason mute; reconnect if no data follows within
     * max(2 s, 2 x probe_s)). The stale timer holds back (up to one more
     * stale_s) while the path answers and the other venues are quiet too or
     * the pause is usual for the venue (a quiet market). */
    double suspect_factor; /* 3 */
    double suspect_min_s;  /* 0.5 */
    double probe_s;        /* 1; 0: no probes, the dead/stale timers alone */
    /* The data-path probe (docs/FEEDS.md, 'Telling quiet from dead', 6): a
     * silence of data_probe_s that the path answered through, but that no
     * other evidence explains (a quiet spell, a thin venue), is probed by
     * resubscribing, which a venue with resub_snapshot answers with a
     * snapshot at once: none within max(2 s, 2 x probe_s) is a mute
     * (reconnect); a venue without one may check from outside instead
     * (on_data_probe, below). At most data_probe_per_h a venue an hour (a
     * token bucket of half that, at least DATA_PROBE_BURST_MIN): a quiet
     * market pays at most that many snapshots or checks. */
    double data_probe_s;     /* 2; 0: off */
    double data_probe_per_h; /* the feed's default per venue (60; Kraken, Crypto.com 600); 0: off */
    int resub_snapshot;      /* set by the feed: on_resubscribe brings a snapshot at once */
    /* Set by a feed whose venue's data never pauses long in a healthy market (Kalshi: its
     * index once a second): a silence unlikely under the learned flow that the path
     * answered through is a mute on this venue's own evidence, with no other venue to ask. */
    int own_flow_evident;
    /* A venue without resub_snapshot may instead check from outside the
     * connection whether its data moved since this connection's last (e.g. its
     * REST book, Bitstamp): 1 if the check started; its verdict comes back
     * through wsconn_data_probe_result. Checks in one silence come at
     * data_probe_s, then each time the silence has doubled, within the budget. */
    int (*on_data_probe)(wsconn_t *c, void *arg);
    size_t max_msg;        /* larger messages are dropped and counted (1 MiB) */
    bus_pub_t *pub;        /* events are published here (borrowed, may be NULL) */
    hb_t *hb;              /* ticked, fed progress and state (borrowed, may be NULL) */
    framerec_t *record;    /* --record: every complete text frame is appended here before
                            * on_message sees it, and its counters go into the hb detail
                            * (borrowed, may be NULL) */
    void *arg;             /* passed to every callback */

    /* Called while building the upgrade request: add per-connection headers
     * with wsconn_header() (e.g. a fresh signature). May be NULL. */
    void (*on_headers)(wsconn_t *c, void *arg);
    /* The websocket is up: queue the subscriptions with wsconn_send(). */
    void (*on_open)(wsconn_t *c, void *arg);
    /* One complete message (fragments reassembled; not NUL-terminated).
     * TS_RX is CLOCK_REALTIME ns of its arrival. Returns WSCONN_MSG_*. */
    int (*on_message)(wsconn_t *c, void *arg, const char *msg, size_t len, int64_t ts_rx);
    /* Market data stopped (data timer): send a fresh subscription on the same
     * connection. NULL = reconnect straight away. */
    void (*on_resubscribe)(wsconn_t *c, void *arg);
    /* The connection is gone (any reason; not called during wsconn_destroy). */
    void (*on_close)(wsconn_t *c, void *arg, const char *reason);
    /* Every ~100 ms on the loop thread (book throttling, app pings, REST polls). */
    void (*on_tick)(wsconn_t *c, void *arg, int64_t now_mono_ns);
    /* Extra members for this connection's hb detail object. May be NULL. */
    void (*on_hb)(wsconn_t *c, void *arg, jw_t *w);
    /* A connection attempt failed before the websocket was up (refused
     * upgrade, TLS or TCP error, handshake timeout). HTTP_STATUS is the
     * upgrade's HTTP status when the server sent one (401, 403, 5xx), else 0;
     * REASON is lws's text ("" if none). Returns a minimum delay in seconds
     * before the next attempt: the wait is max(normal backoff, this), and
     * event.reconnect's backoff_ms reports it; 0 keeps the normal backoff.
     * on_close is not called for such a failure (the connection was never
     * up); neither is this during wsconn_destroy. May be NULL. (feed-kalshi:
     * a 401/403 means credentials or clock, and waits --auth-backoff.) */
    double (*on_connect_error)(wsconn_t *c, void *arg, int http_status, const char *reason);
    /* Send an application-level request the venue must answer, tagged ID
     * where the venue echoes one (its answer calls wsconn_probe_answered);
     * returns 1 if sent, 0 if the venue has none (a websocket ping is sent
     * instead and its pong is the answer). May be NULL (= 0). */
    int (*on_probe)(wsconn_t *c, void *arg, unsigned id);
    /* What the other venues say about this one's silence since SINCE_MONO
     * (CLOCK_MONOTONIC ns of its last data message): 2 they sent far more
     * than this venue's usual share (a mute once the path answers, whatever
     * the venue's own flow says), 1 they moved (the silence is not the
     * market's if it is also unlikely under the venue's own flow), 0 they are
     * quiet too, -1 nobody to ask (no other venue heard from lately). May be
     * NULL (= -1): a mute is then left to the stale timer. */
    int (*on_evidence)(wsconn_t *c, void *arg, int64_t since_mono);
} wsconn_opts_t;

/* Fill O with the defaults above (venue, url and callbacks left NULL). */
void wsconn_opts_default(wsconn_opts_t *o);

/* The connection-layer options (docs/CONTRACT.md, 'Healing layers';
 * docs/FEEDS.md, 'Healing'), written once for the option table (lib/opts) of
 * every websocket program: entries that fill the timer fields of the
 * wsconn_opts_t O, with wsconn_opts_default's values as defaults. After
 * opts_parse, wsconn_opts_check validates them and wsconn_opts_timers copies
 * them into the options a connection is made with. */
#define WSCONN_OPT_ENTRIES(o)                                                                  \
    {"handshake-timeout", OPT_DBL, &(o).handshake_s, "10", 0.2, 600, NULL,                    \
     "DNS+TCP+TLS+WS handshake limit (s)", 0},                                                \
    {"ping-interval", OPT_DBL, &(o).ping_s, "5", 0.2, 600, NULL, "websocket ping interval (s)", \
     0},                                                                                       \
    {"dead-after", OPT_DBL, &(o).dead_s, "15", 0.2, 3600, NULL,                               \
     "no frame at all this long (s): reconnect", 0},                                           \
    {"write-timeout", OPT_DBL, &(o).write_s, "10", 0.2, 600, NULL,                            \
     "queued write not flushed this long (s): reconnect", 0},                                  \
    {"backoff-min", OPT_DBL, &(o).backoff_min_s, "0.5", 0.01, 600, NULL,                      \
     "first reconnect backoff cap (s)", 0},                                                    \
    {"backoff-max", OPT_DBL, &(o).backoff_max_s, "30", 0.01, 3600, NULL,                      \
     "reconnect backoff ceiling (s)", 0},                                                      \
    {"healthy-after", OPT_DBL, &(o).healthy_s, "60", 0.1, 3600, NULL,                         \
     "healthy this long (s) resets the backoff", 0},                                           \
    {"progress-deadline", OPT_DBL, &(o).progress_s, "60", 1, 86400, NULL,                     \
     "no market data this long (s) despite reconnects: exit 75", 0},                          \
    {"suspect-factor", OPT_DBL, &(o).suspect_factor, "3", 1, 1000, NULL,                      \
     "probe a data silence this many times the learned 99.9th percentile gap", 0},             \
    {"suspect-min", OPT_DBL, &(o).suspect_min_s, "0.5", 0.05, 3600, NULL,                     \
     "never probe a data silence shorter than this (s)", 0},                                   \
    {"probe-timeout", OPT_DBL, &(o).probe_s, "1", 0, 600, NULL,                               \
     "a probe unanswered this long (s) is a stall: reconnect; 0: no probes", 0},              \
    {"data-probe-after", OPT_DBL, &(o).data_probe_s, "2", 0, 3600, NULL,                      \
     "probe the data path after a silence this long (s) the path answered through: "          \
     "resubscribe (a snapshot must come), or Bitstamp's REST book check; 0: off", 0},         \
    {"data-probes-per-hour", OPT_DBL, &(o).data_probe_per_h, "60", 0, 36000, NULL,            \
     "at most this many such probes an hour (half of them may come at once); 0: off", 0}
/* Exit 64 naming the option when the timers are inconsistent. */
void wsconn_opts_check(const wsconn_opts_t *o);
/* Copy the fields WSCONN_OPT_ENTRIES fills from SRC into DST. */
void wsconn_opts_timers(wsconn_opts_t *dst, const wsconn_opts_t *src);

/* Validate options (URL shape, CA file readable, bounds) and create the lws
 * context. Does not connect yet. NULL on error, with the reason logged and
 * copied to ERR (for opts_die). O is copied; its strings must outlive C. */
wsconn_t *wsconn_new(const wsconn_opts_t *o, char *err, size_t errlen);
void wsconn_destroy(wsconn_t **c);

/* Connect and service the loop until *STOP becomes non-zero (returns 0) or
 * no progress was made for progress_s (returns 75). */
int wsconn_run(wsconn_t *c, volatile int *stop);

/* Queue a text message; sent in order from the WRITEABLE callback. Dropped
 * (returns -1) when not connected. */
int wsconn_send(wsconn_t *c, const char *msg, size_t len);
/* Add "NAME: VALUE" to the upgrade request; only inside on_headers. */
int wsconn_header(wsconn_t *c, const char *name, const char *value);

/* Drop the connection and reconnect after backoff (e.g. bts:request_reconnect
 * or a resync that did not come). REASON is a static string. */
void wsconn_reconnect(wsconn_t *c, const char *reason);

/* Log once, count and publish event.KIND {venue, reason, EXTRA...}. KIND
 * "gap", "resync" and "reconnect" have hb counters. EXTRA is a JSON member
 * fragment ("\"from\":5,\"to\":7") or NULL. TS_RX ns or 0 for now. */
void wsconn_event(wsconn_t *c, const char *kind, const char *reason, const char *extra,
                  size_t extra_len, int64_t ts_rx);
/* The venue answered probe ID (0: an answer that carries no id, matches
 * any). Called by the parser that recognises the answer. */
void wsconn_probe_answered(wsconn_t *c, unsigned id);

/* The verdict of an on_data_probe check: MOVED 1, the venue's data moved
 * since this connection's last (a mute: resubscribe, reconnect if no data
 * follows within max(2 s, 2 x probe_s)); 0, it did not (a quiet market); -1,
 * the check could not tell (WHY is logged). Ignored when data came, or the
 * connection changed, while the check ran. */
void wsconn_data_probe_result(wsconn_t *c, int moved, const char *why);

/* The application asked for its data again (a resync after a gap): the
 * silence until it comes is not the venue's flow (not learned). */
void wsconn_data_restart(wsconn_t *c);

/* The application's view of its data: 0 marks the hb state "degraded" while
 * connected (e.g. book invalid), 1 restores it. */
void wsconn_set_healthy(wsconn_t *c, int healthy);

int wsconn_connected(const wsconn_t *c);

typedef struct {
    uint64_t msgs, data_msgs, ctrl_msgs, ignored, bad_frames, oversize;
    uint64_t connects, reconnects, handshake_timeouts, stalls, stale, resubscribes;
    uint64_t gaps, resyncs, write_timeouts;
    uint64_t probes, probe_answers, probe_timeouts, mutes, quiet_holds;
    uint64_t data_probes, data_probe_skips;
    uint64_t data_checks, data_check_quiet, data_check_moved, data_check_failed;
} wsconn_stats_t;
const wsconn_stats_t *wsconn_stats(const wsconn_t *c);
/* Write this connection's hb detail object ("connected", "last_data_age_ms",
 * counters, then on_hb's members) as a value into W. */
void wsconn_hb_detail(wsconn_t *c, jw_t *w);

/* Parse wss://host[:port][/path] (exposed for tests). 0 or -1. */
/* Check at start-up that PATH (--ca-file) holds PEM CA certificates that
 * OpenSSL reads: at least one certificate, and no block it cannot parse.
 * Returns 0, or -1 with the reason in ERR (for opts_die: exit 64 naming the
 * option). wsconn_new makes the same check. */
int wsconn_ca_check(const char *path, char *err, size_t errlen);
int wsconn_parse_url(const char *url, char *host, size_t hostlen, int *port, char *path,
                     size_t pathlen);

int wsconn_test(void);

#endif
