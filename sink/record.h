/* record: what the sinks need to know about one record line (a tick, an
 * event, or a gap/coverage record the sinks write themselves): its type, its
 * own time, and the Kalshi markets it mentions. Read with jtok, never a DOM. */
#ifndef TB_RECORD_H
#define TB_RECORD_H

#include "jtok.h"

#include <stddef.h>
#include <stdint.h>

#define RECORD_TICKER_MAX 64

typedef struct {
    char type[24];    /* "tick", "gap", "coverage", ... or "" when absent */
    int64_t ts_ns;    /* the record's own time: "ts" (ISO), else ts_pub, else -1 */
    int has_ts;       /* 1 when "ts" was an ISO string */
    char reason[24];  /* gap records: "reason" and "seconds" */
    int64_t seconds;
} record_t;

/* Called for each market mentioned: markets[].ticker of a tick, or the
 * top-level "ticker" of an event. SETTLED is 1 when the record says the market
 * has a result (non-empty "result", status settled/finalized/determined, or a
 * settlement event). */
typedef void(record_market_fn)(const char *ticker, int settled, void *arg);

/* Parse the JSON object LINE[0..LEN) with the caller's tokenizer D. Fills R;
 * calls MARKET (may be NULL) per market. Returns 0, or -1 if LINE is not a
 * JSON object. */
int record_parse(jtok_t *d, const char *line, size_t len, record_t *r, record_market_fn *market,
                 void *arg);

/* The sinks' gate (docs/SINKS.md 'What is written'), the one check sink-jsonl
 * and sink-postgres make before a record goes anywhere: RECORD_INVALID unless
 * LINE is one strict JSON object (jtok: valid UTF-8, no control character or
 * NUL, nothing after it) with no raw CR/LF between its tokens; RECORD_FAR when
 * its own time ("ts", else ts_pub) is more than max_ahead after or max_behind
 * before the sink's clock. Counts and logs (rate-limited) each refusal. */
#define RECORD_AHEAD_S 600          /* 10 minutes */
#define RECORD_BEHIND_S (26 * 3600) /* yesterday's midnight from anywhere in today */
enum { RECORD_INVALID = -2, RECORD_FAR = -3 };
typedef struct {
    int64_t ahead_ns, behind_ns;
    int64_t (*now_ns)(void); /* the sink's clock */
    uint64_t invalid, quarantined;
} record_gate_t;
/* MAX_*_S <= 0: the defaults; NOW_NS NULL: clock_real_ns. */
void record_gate_init(record_gate_t *g, int64_t max_ahead_s, int64_t max_behind_s,
                      int64_t (*now_ns)(void));
/* 0 (R filled by record_parse), RECORD_INVALID or RECORD_FAR. */
int record_check(record_gate_t *g, jtok_t *d, const char *line, size_t len, record_t *r);
/* The gate's two options, the same in both sinks (long variables, seconds). */
#define RECORD_GATE_OPT_ENTRIES(ahead, behind)                                                   \
    {"max-ahead", OPT_INT, &(ahead), "600", 1, 7 * 86400, NULL,                                  \
     "records dated more than S seconds after the sink's clock are quarantined (counted, not "  \
     "written, never rotate a file or make gap records)", 0},                                    \
    {"max-behind", OPT_INT, &(behind), "93600", 1, 365 * 86400, NULL,                            \
     "records dated more than S seconds before the sink's clock are quarantined", 0}

/* Days since 1970-01-01 of NS (floor), and "YYYY-MM-DD" of a day number. */
int64_t record_day(int64_t ns);
char *record_day_fmt(int64_t day, char *buf, size_t n);
/* Parse "YYYY-MM-DD" into a day number; -1 on bad input. */
int record_day_parse(const char *s, size_t len, int64_t *day);

int record_test(void);

#endif
