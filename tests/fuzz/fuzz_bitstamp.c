/* fuzz_bitstamp: libFuzzer target for feeds/bitstamp.c and the book and publishing code
 * behind it (the harness is tests/fuzz/feed_fuzz.h). */
#define FUZZ_VENUE bitstamp
#include "feed_fuzz.h"
