/* kalshi_market: feed-kalshi's table of KXBTC15M markets and the decisions
 * made from the markets' own times (never from tickers built from the clock):
 * which markets to follow (the open one, the next one pre-subscribed before it
 * opens, the closed one for a short grace), when to poll discovery (every few
 * seconds around boundaries, 30 s otherwise), when to re-read a market for its
 * strike and its settlement, and when to raise the "no open market" alarm.
 * Pure logic over injected time; the program wires REST, websocket and bus. */
#ifndef TB_KALSHI_MARKET_H
#define TB_KALSHI_MARKET_H

#include <jansson.h>
#include <stdint.h>

#define KMKT_TICKER_MAX 64

/* One REST Market object, reduced to what the feed uses. Text fields are as
 * sent ("" when absent); times are ns since the epoch (-1 when absent). */
typedef struct {
    char ticker[KMKT_TICKER_MAX], event_ticker[KMKT_TICKER_MAX];
    char status[20], result[16], strike_type[24];
    char open_time[40], close_time[40], exp_time[40], settlement_time[40];
    int64_t open_ns, close_ns, exp_ns, settlement_ns;
    char floor_strike[32];     /* exact text, "" when not set yet */
    char expiration_value[32]; /* "" when not final */
    /* top of book and activity, for the no-key REST mode */
    char yes_bid[16], yes_ask[16], no_bid[16], no_ask[16], last_price[16];
    char yes_bid_size[24], yes_ask_size[24], volume[24], open_interest[24];
} kmkt_info_t;

/* Fill OUT from a REST Market object. -1 when ticker or times are missing. */
int kmkt_parse(json_t *obj, kmkt_info_t *out);

typedef struct {
    void (*publish)(void *arg, const kmkt_info_t *m);                /* kalshi.market.<t> */
    void (*event)(void *arg, const char *kind, const kmkt_info_t *m, const char *reason);
    void (*follow)(void *arg, const char *ticker, int active);
    void (*unfollow)(void *arg, const char *ticker);
    void (*refresh)(void *arg, const char *ticker);                  /* GET /markets/{t} */
    void (*discover)(void *arg);                                     /* GET /markets lists */
    void *arg;
} kmkt_cb_t;

typedef struct {
    uint64_t discovered, rollovers, strikes, settlements, alarms, ignored;
    int followed, open; /* current counts */
} kmkt_stats_t;

typedef struct kmkt_table kmkt_table_t;

/* SERIES: only its markets are accepted. PRESUB_S: follow the next market
 * this long before its open. GRACE_S: keep following after the close. */
kmkt_table_t *kmkt_new(const kmkt_cb_t *cb, const char *series, double presub_s, double grace_s);
void kmkt_destroy(kmkt_table_t **t);
/* Delay this table's discovery polls by PHASE_S after each time they fall due, from
 * the first kmkt_tick on: feed-kalshi gives each series its own phase, so the
 * series' REST polls are staggered, not sent in a burst. */
void kmkt_set_phase(kmkt_table_t *t, double phase_s);
const char *kmkt_series(const kmkt_table_t *t);

/* A market object from REST at NOW (realtime ns): added or updated;
 * publishes on change, raises strike_set / settlement once. */
void kmkt_update(kmkt_table_t *t, const kmkt_info_t *m, int64_t now);
/* A lifecycle hint from the websocket: re-read the market soon. */
void kmkt_hint(kmkt_table_t *t, const char *ticker, const char *event_type, int64_t now);
/* Drive everything time-based; call every ~100 ms. Also republishes every
 * tracked market's full state when it was last published 1 s or more ago. */
void kmkt_tick(kmkt_table_t *t, int64_t now);
/* The open market at NOW (open <= now < close), or NULL. */
const kmkt_info_t *kmkt_current(const kmkt_table_t *t, int64_t now);
/* Followed tickers, for REST polling in no-key mode: I-th or NULL. */
const kmkt_info_t *kmkt_followed(const kmkt_table_t *t, int i, int *active);
const kmkt_stats_t *kmkt_stats(const kmkt_table_t *t);
int kmkt_alarm(const kmkt_table_t *t); /* 1 while no open market past a boundary */

int kalshi_market_test(void);

#endif
