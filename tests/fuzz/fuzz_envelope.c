/* fuzz_envelope: libFuzzer target for the bus envelope reader (lib/bus.c),
 * which every subscriber runs on every message. */
#include "bus.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *copy = malloc(size + 1); /* exact-size copy so ASan sees overreads */
    memcpy(copy, data, size);
    copy[size] = '\0';
    bus_msg_t m;
    bus_envelope_parse(copy, size, &m);
    free(copy);
    return 0;
}
