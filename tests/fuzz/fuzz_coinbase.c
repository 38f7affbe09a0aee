/* fuzz_coinbase: libFuzzer target for the coinbase venue parser (feeds/coinbase.c) and
 * the book and publishing code behind it, in replay mode (no network). The
 * feed keeps its state across inputs so updates meet a built book. */
#include "feed.h"
#include "log.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int s_out(void *arg, const char *topic, const char *body, size_t len, int64_t ts_rx,
                 int64_t ts_ex)
{
    (void)arg, (void)topic, (void)body, (void)len, (void)ts_rx, (void)ts_ex;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static feed_t f;
    static int init, n;
    if (!init) {
        log_init("fuzz_coinbase", LOG_LVL_CRIT);
        feed_init(&f, &feed_coinbase, 10, s_out, NULL);
        init = 1;
    }
    if (++n % 1000 == 0) feed_on_close(&f); /* start over now and then */
    char *copy = malloc(size ? size : 1);
    memcpy(copy, data, size);
    f.v->parse(&f, copy, size, 1);
    feed_flush(&f);
    free(copy);
    return 0;
}
