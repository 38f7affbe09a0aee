/* fuzz_catchup: libFuzzer target for the catch-up protocol's readers (lib/catchup.c): the
 * request frame the aggregator's history parses from any reader, the reply summary a sink
 * parses, and the tick-second reader both apply to payloads. */
#include "bus.h"
#include "catchup.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *copy = malloc(size + 1); /* exact-size copy so ASan sees overreads */
    memcpy(copy, data, size);
    copy[size] = '\0';
    catchup_req_t r;
    catchup_end_t e;
    char buf[256];
    if (catchup_req_parse(copy, size, &r) == 0) catchup_req_fmt(&r, buf, sizeof buf);
    if (catchup_end_parse(copy, size, &e) == 0) catchup_end_fmt(&e, buf, sizeof buf);
    catchup_tick_s(copy, size);
    bus_envelope_len(copy, size);
    free(copy);
    return 0;
}
