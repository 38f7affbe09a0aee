/* fuzz_kraken: libFuzzer target for feeds/kraken.c and the book and publishing code
 * behind it (the harness is tests/fuzz/feed_fuzz.h). */
#define FUZZ_VENUE kraken
#include "feed_fuzz.h"
