/* fuzz_coinbase: libFuzzer target for feeds/coinbase.c and the book and publishing code
 * behind it (the harness is tests/fuzz/feed_fuzz.h). */
#define FUZZ_VENUE coinbase
#include "feed_fuzz.h"
