/* fuzz_bitstamp_rest: libFuzzer target for feed-bitstamp's REST order-book check
 * (feeds/bitstamp.c, feed_venue_t.rest_check: the verdict on GET
 * /api/v2/order_book/<pair>/ against our own book when the socket is silent). The input is
 * the REST body, read by jansson as lib/rest does; the book it is judged against is built
 * once from a websocket frame. The verdict must be -1, 0 or 1 and its reason a string. */
#include "feed_fuzz.h" /* the feed and s_out; no FUZZ_VENUE: the harness below is ours */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static feed_t f;
    static int init;
    if (!init) {
        log_init("fuzz_bitstamp_rest", LOG_LVL_CRIT);
        feed_init(&f, &feed_bitstamp, 10, s_out, NULL);
        static const char fr[] =
            "{\"data\":{\"timestamp\":\"1700000000\",\"microtimestamp\":\"1700000000000000\","
            "\"bids\":[[\"50000.00\",\"1.5\"],[\"49999.00\",\"0.25\"],[\"49998.50\",\"2\"]],"
            "\"asks\":[[\"50001.00\",\"0.75\"],[\"50002.00\",\"1\"]]},"
            "\"channel\":\"order_book_btcusd\",\"event\":\"data\"}";
        feed_bitstamp.parse(&f, fr, sizeof fr - 1, 1);
        init = 1;
    }
    json_t *root = json_loadb((const char *)data, size, 0, NULL);
    if (!root) return 0;
    char why[300];
    why[0] = 0;
    int r = feed_bitstamp.rest_check(&f, &f.b[0], root, why, sizeof why);
    if (r < -1 || r > 1 || !memchr(why, 0, sizeof why)) abort();
    json_decref(root);
    return 0;
}
