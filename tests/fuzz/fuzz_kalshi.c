/* fuzz_kalshi: libFuzzer target for feed-kalshi's websocket frame handling
 * (feeds/kalshi_ws.c: reply matching, seq tracking, the book, ticker/trade/
 * cfbenchmarks normalization of two indices, indexlist replies, the lifecycle filter
 * of two series). The session keeps its state across inputs so
 * deltas meet a built book; now and then it reconnects and starts over. */
#include "clock.h"
#include "kalshi_ws.h"
#include "log.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void s_emit(void *arg, const char *topic, const char *body, size_t len, int64_t ts_rx,
                   int64_t ts_ex)
{
    (void)arg, (void)topic, (void)body, (void)len, (void)ts_rx, (void)ts_ex;
}

static void s_send(void *arg, const char *text, size_t len) { (void)arg, (void)text, (void)len; }

static const char *s_boot[] = {
    "{\"type\":\"subscribed\",\"id\":1,\"msg\":{\"channel\":\"orderbook_delta\",\"sid\":1}}",
    "{\"type\":\"subscribed\",\"id\":1,\"msg\":{\"channel\":\"ticker\",\"sid\":2}}",
    "{\"type\":\"subscribed\",\"id\":1,\"msg\":{\"channel\":\"trade\",\"sid\":3}}",
    "{\"type\":\"orderbook_snapshot\",\"sid\":1,\"seq\":1,\"msg\":{\"market_ticker\":"
    "\"KXBTC15M-26NOV280715-15\",\"yes_dollars_fp\":[[\"0.5200\",\"100.00\"]],"
    "\"no_dollars_fp\":[[\"0.4500\",\"80.00\"]]}}",
    /* the index subscription (command 4): the session then asks indexlist (command 5) */
    "{\"type\":\"subscribed\",\"id\":4,\"msg\":{\"channel\":\"cfbenchmarks_value\",\"sid\":5}}",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static kalshi_ws_t *s;
    static int n;
    int64_t now = clock_mono_ns();
    if (!s) {
        log_init("fuzz_kalshi", LOG_LVL_CRIT);
        kalshi_ws_cb_t cb = {s_emit, s_send, NULL, NULL};
        s = kalshi_ws_new(&cb, "KXBTC15M,KXETH15M", 0, 15);
        kalshi_ws_index(s, "BRTI", "index.brti");
        kalshi_ws_index(s, "ETHUSD_RTI", "index.ethusd_rti");
        kalshi_ws_follow(s, "KXBTC15M-26NOV280715-15", 1);
        kalshi_ws_follow(s, "KXBTC15M-26NOV280730-30", 0);
    }
    if (n++ % 500 == 0) {
        kalshi_ws_disconnected(s, 1);
        kalshi_ws_connected(s, now);
        for (size_t i = 0; i < sizeof s_boot / sizeof s_boot[0]; i++)
            kalshi_ws_on_frame(s, s_boot[i], strlen(s_boot[i]), 1, now);
    }
    char *copy = malloc(size ? size : 1);
    memcpy(copy, data, size);
    kalshi_ws_on_frame(s, copy, size, 1, now);
    if (n % 50 == 0) kalshi_ws_tick(s, now + (int64_t)(n % 7) * NS_PER_S, 1);
    free(copy);
    return 0;
}
