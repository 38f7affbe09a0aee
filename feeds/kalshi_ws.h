/* kalshi_ws: the Kalshi websocket protocol session of feed-kalshi, free of
 * any socket: frames in (kalshi_ws_on_frame), command texts out (the send
 * callback), bus messages out (the emit callback). It tracks command ids and
 * their 10 s reply deadline, sids and per-sid seq, one book per followed
 * market (snapshot + deltas, resync by get_snapshot then resubscribe), and
 * normalizes ticker, trade and cfbenchmarks_value frames. */
#ifndef TB_KALSHI_WS_H
#define TB_KALSHI_WS_H

#include "kalshi_book.h"

#include <stddef.h>
#include <stdint.h>

#define KALSHI_CMD_DEADLINE_NS (10LL * 1000000000LL)

/* Publish TOPIC with payload fragment BODY (bus_pub_send's contract). */
typedef void(kalshi_emit_fn)(void *arg, const char *topic, const char *body, size_t len,
                             int64_t ts_rx, int64_t ts_ex);
/* Queue one text frame for the websocket. */
typedef void(kalshi_send_fn)(void *arg, const char *text, size_t len);
/* A market_lifecycle_v2 frame for a market of our series (a hint: REST is the
 * authority). FLOOR_STRIKE is the raw text or NULL. */
typedef void(kalshi_lifecycle_fn)(void *arg, const char *ticker, const char *event_type,
                                  const char *floor_strike);

/* event.KIND (gap, resync) with REASON and EXTRA, a member fragment
 * ("\"ticker\":\"T\",\"sid\":3"): the program hands it to wsconn_event, so
 * the hb's gaps/resyncs counters (summed by tickbus-metrics) include them. */
typedef void(kalshi_event_fn)(void *arg, const char *kind, const char *reason, const char *extra,
                              size_t len, int64_t ts_rx);

/* The reply to the probe PROBE_ID (kalshi_ws_probe) arrived. */
typedef void(kalshi_probe_fn)(void *arg, unsigned probe_id);

typedef struct {
    kalshi_emit_fn *emit;
    kalshi_send_fn *send;
    kalshi_lifecycle_fn *lifecycle; /* may be NULL */
    void *arg;
    kalshi_event_fn *event; /* may be NULL: then emitted as event.KIND {venue,ticker,reason,..} */
    kalshi_probe_fn *probe_answered; /* may be NULL */
} kalshi_ws_cb_t;

typedef struct {
    uint64_t frames, data_msgs, snapshots, deltas, tickers, trades, brti, lifecycle;
    uint64_t gaps, resyncs, resubscribes, bad, unknown, errors, late, cmd_timeouts, stale;
    uint64_t books_published;
    uint64_t foreign_sid;   /* book frames on a sid not carrying the market (dropped) */
    uint64_t market_deletes, list_requests;
    uint64_t bad_trade_ids;     /* trades dropped: trade_id not a valid id (jtok_id) */
    uint64_t trades_without_id; /* trades published without "id" (no trade_id) */
    uint64_t index_unasked;     /* cfbenchmarks_value frames for an index nobody asked for */
    uint64_t indexlists, index_missing; /* indexlist replies; configured ids absent from them */
} kalshi_ws_stats_t;

#define KALSHI_INDEX_MAX 16

typedef struct kalshi_ws kalshi_ws_t;

/* SERIES (one ticker, or several separated by commas) filters market_lifecycle_v2:
 * a market is of a series when its ticker's prefix before the first '-' is one of
 * them. USE_YES_PRICE is sent explicitly with every orderbook subscription.
 * STALE_S: an active market without book or ticker data for that long gets a
 * snapshot request (0 disables). */
kalshi_ws_t *kalshi_ws_new(const kalshi_ws_cb_t *cb, const char *series, int use_yes_price,
                           double stale_s);
void kalshi_ws_destroy(kalshi_ws_t **s);

/* Relay index ID (cfbenchmarks_value) on bus TOPIC; call before connecting. The
 * subscription's index_ids lists every one added (none added: BRTI on index.brti).
 * A value for an id not added is counted (index_unasked) and dropped. 0, or -1
 * when KALSHI_INDEX_MAX ids are already there or ID/TOPIC do not fit. */
int kalshi_ws_index(kalshi_ws_t *s, const char *id, const char *topic);
/* The I-th relayed index: its id and the values published; NULL past the end. */
const char *kalshi_ws_index_at(const kalshi_ws_t *s, int i, uint64_t *values);

/* Follow TICKER (subscribe now if connected). ACTIVE: the market is open, so
 * data staleness applies to it. */
void kalshi_ws_follow(kalshi_ws_t *s, const char *ticker, int active);
void kalshi_ws_unfollow(kalshi_ws_t *s, const char *ticker);
int kalshi_ws_following(const kalshi_ws_t *s, const char *ticker);
int kalshi_ws_markets(const kalshi_ws_t *s);

/* The connection opened: forget sids, invalidate books, subscribe everything. */
void kalshi_ws_connected(kalshi_ws_t *s, int64_t now_mono);
/* The connection is gone: books invalid until their next snapshot. */
void kalshi_ws_disconnected(kalshi_ws_t *s, int64_t ts_rx);

/* An application-level probe of a silent connection (docs/FEEDS.md, 'Telling
 * quiet from dead'): a list_subscriptions command, whose reply (ok or error,
 * matched by its command id) calls probe_answered with PROBE_ID; a list
 * already in flight answers it too. 1 sent, 0 not connected. */
int kalshi_ws_probe(kalshi_ws_t *s, unsigned probe_id, int64_t now_mono);

/* Handle one complete text frame. Returns 1 for market data, 0 for control
 * frames, -1 for a frame that could not be used (counted, logged rate-limited). */
int kalshi_ws_on_frame(kalshi_ws_t *s, const char *text, size_t len, int64_t ts_rx,
                       int64_t now_mono);

/* Timers (call every ~100 ms): publishes changed books (at most 10/s each) and
 * every book at least once a second, requests snapshots for stale markets.
 * Returns -1 when a command missed its 10 s reply deadline: the caller must
 * drop the connection. */
int kalshi_ws_tick(kalshi_ws_t *s, int64_t now_mono, int64_t now_real);

const kalshi_ws_stats_t *kalshi_ws_stats(const kalshi_ws_t *s);
const kalshi_book_t *kalshi_ws_book(const kalshi_ws_t *s, const char *ticker);

int kalshi_ws_test(void);

#endif
