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

/* Days since 1970-01-01 of NS (floor), and "YYYY-MM-DD" of a day number. */
int64_t record_day(int64_t ns);
char *record_day_fmt(int64_t day, char *buf, size_t n);
/* Parse "YYYY-MM-DD" into a day number; -1 on bad input. */
int record_day_parse(const char *s, size_t len, int64_t *day);

int record_test(void);

#endif
