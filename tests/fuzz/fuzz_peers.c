/* fuzz_peers: libFuzzer target for the reading of the other feeds' quote.*
 * messages (feeds/peers.c), which every exchange feed runs on every quote of
 * the others. The first line of the input is the topic, each further line a body;
 * the evidence is then asked for, so the arithmetic on what was read runs too. */
#include "peers.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* each input starts from nothing, so a finding reproduces from its file alone;
     * the input's lines after the first are several quotes in a row */
    peers_t ps;
    peers_init(&ps);
    const uint8_t *nl = memchr(data, '\n', size);
    size_t tlen = nl ? (size_t)(nl - data) : 0;
    char *topic = malloc(tlen + 1); /* the topic is a C string on the bus too */
    memcpy(topic, data, tlen);
    topic[tlen] = '\0';
    int64_t now = 1000000000;
    for (const uint8_t *p = nl ? nl + 1 : data, *end = data + size; p <= end;) {
        const uint8_t *e = memchr(p, '\n', (size_t)(end - p));
        size_t len = e ? (size_t)(e - p) : (size_t)(end - p);
        char *body = malloc(len ? len : 1); /* exact size, no NUL: ASan sees any overread */
        memcpy(body, p, len);
        now += 100000000; /* 100 ms a quote */
        if (len && body[0] == '#') peers_mark(&ps, now);
        peers_quote_msg(&ps, tlen ? topic : "quote.kraken.BTC-USD", body, len, now);
        (void)peers_moved(&ps, now);
        (void)peers_fresh(&ps, now);
        free(body);
        if (!e) break;
        p = e + 1;
    }
    free(topic);
    return 0;
}
