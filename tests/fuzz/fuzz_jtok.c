/* fuzz_jtok: libFuzzer target for lib/jtok (jsmn tokens, key lookup, exact
 * decimals): the reader under every venue parser. */
#include "jtok.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static jtok_t d;
    static int init;
    if (!init) {
        jtok_init(&d);
        init = 1;
    }
    char *copy = malloc(size ? size : 1);
    memcpy(copy, data, size);
    if (jtok_parse(&d, copy, size) > 0) {
        /* walk every token through every accessor */
        for (int i = 0; i < d.n; i++) {
            int64_t v;
            char buf[32];
            size_t n;
            jtok_fixed(&d, i, 8, &v);
            jtok_str(&d, i, buf, sizeof buf);
            jtok_text(&d, i, &n);
            jtok_size(&d, i);
            jtok_get(&d, i, "price");
            (void)jtok_skip(&d, i);
        }
    }
    free(copy);
    return 0;
}
