/* feed-cryptocom: the cryptocom BTC-USD feed program; everything is in feeds/feed.c
 * (shared loop, publishing, integrity) and feeds/cryptocom.c (the venue protocol). */
#include "feed.h"

int main(int argc, char **argv) { return feed_main(&feed_cryptocom, argc, argv); }
