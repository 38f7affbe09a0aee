/* fuzz_curve: libFuzzer target for the CURVE key and allow-file reader (lib/curve.c), which
 * every publisher on tcp runs on its allow-file whenever that file changes. */
#include "curve.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *copy = malloc(size ? size : 1); /* no NUL: the reader must stay within LEN */
    memcpy(copy, data, size);
    strlist_t keys = {0};
    char sec[CURVE_Z85_LEN + 1], why[256];
    for (int bare = 0; bare < 2; bare++) curve_parse(copy, size, bare, &keys, sec, why, sizeof why);
    strlist_clear(&keys);
    free(copy);
    return 0;
}
