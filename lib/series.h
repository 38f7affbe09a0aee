/* series: which Kalshi 15-minute series tickbus follows and, for each, the CF
 * Benchmarks index it settles on and the venue books that re-compute that index
 * (docs/SERIES.md). A series is configuration: SERIES_TICKER lists the tickers,
 * the built-in table below knows the ones whose index and constituents are
 * known, and SERIES_<TICKER> in the environment defines (or redefines) any
 * other: "index=XRPUSD_RTI venues=coinbase,kraken,bitstamp" plus optional
 * asset=, prefix=, spacing=, decimals=. */
#ifndef TB_SERIES_H
#define TB_SERIES_H

#include <stddef.h>

#define SERIES_MAX 16
#define SERIES_VENUES_MAX 8
#define SERIES_DEFAULT "KXBTC15M"

typedef struct {
    char ticker[32];   /* Kalshi series ticker: "KXBTC15M" */
    char asset[12];    /* base asset: "BTC" */
    char pair[16];     /* the bus's symbol: "BTC-USD" (topics quote.VENUE.PAIR, ..) */
    char index_id[32]; /* Kalshi cfbenchmarks_value index id: "BRTI" */
    char prefix[32];   /* daily file prefix: "kxbtc15m" (kxbtc15m-YYYY-MM-DD.jsonl) */
    char name[32];     /* lowercase ticker: program names and bus endpoints */
    int nvenues;
    char venues[SERIES_VENUES_MAX][16];
    double spacing;    /* RTI grid spacing s, in units of the asset */
    int decimals;      /* RTI dissemination decimals */
    const char *source; /* where the constituent list comes from */
} series_t;

typedef struct {
    series_t s[SERIES_MAX];
    int n;
} series_set_t;

/* The built-in definition of TICKER, or NULL. */
const series_t *series_builtin(const char *ticker);
/* The built-in table: *N entries. */
const series_t *series_builtins(int *n);
/* Parse DEF ("key=value" words) for TICKER into OUT, starting from BASE (the
 * built-in, may be NULL: then index= and venues= are required). 0, or -1 with
 * a message naming the bad word in ERR. */
int series_parse(series_t *out, const char *ticker, const char *def, const series_t *base,
                 char *err, size_t errlen);
/* LIST: tickers separated by commas or spaces (an empty LIST is SERIES_DEFAULT).
 * Each one's definition is GET("SERIES_<TICKER>") when set, else built in; a
 * ticker neither defines is an error naming it. GET may be NULL (getenv). */
int series_load(series_set_t *set, const char *list, const char *(*get)(const char *),
                char *err, size_t errlen);
/* The series of SET with TICKER (case-insensitive), or NULL. */
const series_t *series_find(const series_set_t *set, const char *ticker);
/* VENUE's own spelling of ASSET against USD ("ETH" -> kraken "ETH/USD",
 * bitstamp "ethusd", gemini "ETHUSD", cryptocom "ETH_USD", coinbase "ETH-USD").
 * 0, or -1 for an unknown venue or a name that does not fit. */
int series_venue_symbol(const char *venue, const char *asset, char *out, size_t n);
/* The bus topic of the official index: "index." + lowercase index id ("index.brti"). */
void series_index_topic(const series_t *s, char *out, size_t n);
/* The name of program PROG ("aggregator", "sink-jsonl") serving series S: PROG itself for
 * KXBTC15M (the names a BTC-only pipeline always had), else PROG-<lowercase ticker>. */
void series_program(const series_t *s, const char *prog, char *out, size_t n);
/* The venues the feeds know that some series of SET uses, in the feeds' order, into OUT
 * (at most MAX); their count. */
int series_used_venues(const series_set_t *set, const char **out, int max);
/* 1 when VENUE is one the feeds know. */
int series_venue_known(const char *venue);
/* The union of the assets SET needs on VENUE, as "BTC,ETH" (set order); "" if none. */
void series_venue_assets(const series_set_t *set, const char *venue, char *out, size_t n);

int series_test(void);

#endif
