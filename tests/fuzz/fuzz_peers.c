/* fuzz_peers: libFuzzer target for the reading of the other feeds' quote.*
 * messages (feeds/peers.c), which every exchange feed runs on every quote of
 * the others. The first line of the input is the topic, the rest the body;
 * the evidence is then asked for, so the arithmetic on what was read runs too. */
#include "peers.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static peers_t ps;
    static int64_t now;
    if (!now) peers_init(&ps);
    char *copy = malloc(size + 1); /* exact-size copy so ASan sees overreads */
    memcpy(copy, data, size);
    copy[size] = '\0';
    char *nl = memchr(copy, '\n', size);
    const char *topic = "quote.kraken.BTC-USD", *body = copy;
    size_t len = size;
    if (nl) {
        *nl = '\0';
        topic = copy;
        body = nl + 1;
        len = size - (size_t)(nl + 1 - copy);
    }
    now += 100000000; /* 100 ms a message */
    if (size && data[0] == '#') peers_mark(&ps, now);
    peers_quote_msg(&ps, topic, body, len, now);
    (void)peers_moved(&ps, now);
    (void)peers_fresh(&ps, now);
    free(copy);
    return 0;
}
