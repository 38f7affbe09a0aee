/* fuzz_cryptocom: libFuzzer target for feeds/cryptocom.c and the book and publishing code
 * behind it (the harness is tests/fuzz/feed_fuzz.h). */
#define FUZZ_VENUE cryptocom
#include "feed_fuzz.h"
