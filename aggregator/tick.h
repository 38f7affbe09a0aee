/* tick: the aggregator's state (venue books and quotes, Kalshi markets, the official index) fed
 * from bus messages, and the assembly of the once-a-second tick record and the event records
 * (docs/CONTRACT.md, 'The tick record'; docs/RECORD.md is the field-by-field schema). No I/O: the
 * caller receives messages, keeps time and publishes what this module writes. */
#ifndef TB_TICK_H
#define TB_TICK_H

#include "bus.h"
#include "jw.h"
#include "rti.h"
#include "series.h"

#include <stdint.h>

typedef enum { TICK_METHOD_RTI, TICK_METHOD_MEDIAN } tick_method_t; /* --method's word order */

#define TICK_VENUES_MAX 8 /* venues one state follows, the expected ones and any other seen */
#define TICK_VENUE_NAME 32 /* a venue name's size, its terminator included */

/* The settings (aggregator/aggcfg.c's option table fills them and holds their defaults; the
 * integers are long because lib/opts writes OPT_INT as long). */
typedef struct {
    tick_method_t method;     /* proxy behind the official value: rti (then median) or median */
    double stale_s;           /* a venue whose last book/quote is this old is stale */
    double official_max_age_s;/* the relayed official BRTI is used up to this age */
    double kalshi_stale_s;    /* a Kalshi book older than this is stale (null prices) */
    long settle_window_s;     /* settlement average window before a close */
    long settle_grace_s;      /* close + grace: the window averages are frozen */
    long settle_timeout_s;    /* close + timeout without Kalshi's result: settle with nulls */
    long market_keep_s;       /* a settled market stays in markets[] this long */
    long book_levels;         /* Kalshi book levels written per side in *_book_dollars */
    int n_expected;           /* --venues: listed in every tick from the start; state "ok" */
    char expected[TICK_VENUES_MAX][TICK_VENUE_NAME]; /* ... needs every one of them ok */
    rti_params_t rti;
    /* the series (docs/SERIES.md, tick_cfg_series): the only messages read are its pair's
     * quote/book topics, its index topic and its own Kalshi markets */
    char series[32];       /* "KXBTC15M": the record's `series` */
    char pair[16];         /* "BTC-USD": quote.V.PAIR, book.V.PAIR */
    char index_topic[48];  /* "index.brti" */
    char market_prefix[40]; /* "KXBTC15M-": kalshi.{market,book,ticker}.<market ticker> */
} tick_cfg_t;

/* Called for each event record: TOPIC ("event.gap", ...) and a payload fragment (no braces). */
typedef void(tick_event_fn)(const char *topic, const char *body, size_t len, void *arg);

typedef struct tick tick_t;

/* Defaults of every tick_cfg_t field: the aggregator's option table's (aggcfg). */
void tick_cfg_default(tick_cfg_t *c);

/* The series S into C: its ticker, pair, index topic and market prefix (not its venues or RTI
 * parameters: those are options whose defaults come from the series, aggregator/aggcfg.c). */
void tick_cfg_series(tick_cfg_t *c, const series_t *s);

/* The expected venues of C from LIST, names of [a-z0-9-] separated by ',' (1 to
 * TICK_VENUES_MAX, distinct). Returns 0, or -1 leaving C unchanged. */
int tick_cfg_venues(tick_cfg_t *c, const char *list);

/* A new state with config CFG (copied). EMIT receives events (may be NULL). Never NULL. */
tick_t *tick_new(const tick_cfg_t *cfg, tick_event_fn *emit, void *arg);
void tick_destroy(tick_t **p);

/* Apply one bus message (any topic; unknown ones are ignored). Returns 1 if it changed state,
 * 0 if ignored, -1 if malformed (counted, logged rate-limited). */
int tick_on_msg(tick_t *t, const bus_msg_t *m);

/* Message time instead of a clock (offline replay: aggreplay, aggregator --clock replay): the
 * messages' own publication times (ts_pub) drive the ticks. *NEXT_S is the next second to write
 * (start with -1: the first call only sets it to the second after NOW_NS). Writes the tick of
 * every second boundary <= NOW_NS not written yet, each passed to OUT (record in W). */
typedef void(tick_out_fn)(int64_t ts_s, const jw_t *w, void *arg);
void tick_replay_until(tick_t *t, int64_t *next_s, int64_t now_ns, jw_t *w, tick_out_fn *out,
                       void *arg);
/* tick_replay_until(M->ts_pub), then tick_on_msg(M): M counts from the next tick on. */
int tick_replay_msg(tick_t *t, int64_t *next_s, const bus_msg_t *m, jw_t *w, tick_out_fn *out,
                    void *arg);

/* Write the tick record of UTC second TS_S as a payload fragment into W (reset first), with the
 * state as of NOW_NS (ages are measured to it), and emit the events due at this second. In steps
 * (tick.c, each unit-tested): the second's view (venues, RTI, median, official, the price and its
 * source), the proxy into the settlement ring, the market events, settled markets dropped, the
 * view serialized. The view lives in T: two tick_t in one process share nothing. */
void tick_write(tick_t *t, int64_t ts_s, int64_t now_ns, jw_t *w);

/* Report seconds FROM_S..TO_S (inclusive) that got no tick, and why ("stall", "clock_step"). */
void tick_gap(tick_t *t, int64_t from_s, int64_t to_s, const char *why);

/* "ok", "degraded" or "down" as in the last tick's health.state (static string). */
const char *tick_state(const tick_t *t);

/* Counters for the heartbeat. */
typedef struct {
    uint64_t ticks, msgs, bad, ignored, events, bus_lost, bus_gaps, restarts;
    uint64_t late; /* messages published before the last tick's boundary, received after it */
} tick_stats_t;
const tick_stats_t *tick_stats(const tick_t *t);
/* Heartbeat detail: per-venue and Kalshi ages, counters (an hb_detail_fn). */
void tick_hb_detail(jw_t *w, void *arg);

int tick_test(void);

#endif
