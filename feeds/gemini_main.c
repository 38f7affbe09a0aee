/* feed-gemini: the gemini BTC-USD feed program; everything is in feeds/feed.c
 * (shared loop, publishing, integrity) and feeds/gemini.c (the venue protocol). */
#include "feed.h"

int main(int argc, char **argv) { return feed_main(&feed_gemini, argc, argv); }
