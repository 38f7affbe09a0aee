/* fuzz_gemini: libFuzzer target for feeds/gemini.c and the book and publishing code
 * behind it (the harness is tests/fuzz/feed_fuzz.h). */
#define FUZZ_VENUE gemini
#include "feed_fuzz.h"
