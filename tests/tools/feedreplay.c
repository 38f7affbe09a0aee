/* feedreplay: run a venue's parser over a JSONL session without a network
 * (feed_replay) and print the normalized messages: golden files and debugging.
 * Usage: feedreplay coinbase|kraken|bitstamp|gemini|cryptocom FILE [DEPTH [ASSETS]]
 * (ASSETS: the assets carried, "BTC,ETH"; default BTC alone). */
#include "feed.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr,
                "usage: feedreplay coinbase|kraken|bitstamp|gemini|cryptocom FILE [DEPTH [ASSETS]]\n");
        return 64;
    }
    log_init("feedreplay", LOG_LVL_WARN);
    const feed_venue_t *v = !strcmp(argv[1], "coinbase")   ? &feed_coinbase
                            : !strcmp(argv[1], "kraken")   ? &feed_kraken
                            : !strcmp(argv[1], "bitstamp") ? &feed_bitstamp
                            : !strcmp(argv[1], "gemini")   ? &feed_gemini
                            : !strcmp(argv[1], "cryptocom") ? &feed_cryptocom
                                                           : NULL;
    if (!v) {
        fprintf(stderr, "feedreplay: unknown venue %s\n", argv[1]);
        return 64;
    }
    FILE *in = strcmp(argv[2], "-") ? fopen(argv[2], "r") : stdin;
    if (!in) {
        perror(argv[2]);
        return 66;
    }
    int rc = feed_replay_assets(v, argc > 4 ? argv[4] : NULL, in, stdout,
                                argc > 3 ? atoi(argv[3]) : 10);
    if (in != stdin) fclose(in);
    return rc ? 1 : 0;
}
