/* feed_fuzz.h: the one libFuzzer harness for the exchange venue parsers
 * (feeds/<venue>.c) and the book and publishing code behind them, in replay
 * mode (no network). Each fuzz_<venue>.c defines FUZZ_VENUE and includes this; a
 * target of its own that needs only a feed and its dropped output (s_out) includes it
 * without FUZZ_VENUE.
 * The feed keeps its state across inputs so updates meet a built book; it carries
 * BTC, ETH, SOL and DOGE, so a symbol finds its own book or none. */
#include "feed.h"
#include "log.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_CAT_(a, b) a##b
#define FUZZ_CAT(a, b) FUZZ_CAT_(a, b)
#define FUZZ_STR_(a) #a
#define FUZZ_STR(a) FUZZ_STR_(a)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* the feed's output: dropped */
static int s_out(void *arg, const char *topic, const char *body, size_t len, int64_t ts_rx,
                 int64_t ts_ex)
{
    (void)arg, (void)topic, (void)body, (void)len, (void)ts_rx, (void)ts_ex;
    return 0;
}

#ifdef FUZZ_VENUE
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static feed_t f;
    static int init, n;
    if (!init) {
        log_init("fuzz_" FUZZ_STR(FUZZ_VENUE), LOG_LVL_CRIT);
        feed_init(&f, &FUZZ_CAT(feed_, FUZZ_VENUE), 10, s_out, NULL);
        /* several books, as with the four built-in series: the per-symbol paths */
        char err[160];
        if (feed_set_assets(&f, "BTC,ETH,SOL,DOGE", err, sizeof err) < 0) abort();
        init = 1;
    }
    if (++n % 1000 == 0) feed_on_close(&f); /* start over now and then */
    char *copy = malloc(size ? size : 1); /* exact size: ASan sees overreads */
    memcpy(copy, data, size);
    f.v->parse(&f, copy, size, 1);
    feed_flush(&f);
    free(copy);
    return 0;
}
#endif
