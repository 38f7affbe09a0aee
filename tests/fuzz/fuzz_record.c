/* fuzz_record: libFuzzer target for record_parse (sink-jsonl and
 * sink-postgres read every record, and every line of a day file after a
 * restart, through it) and record_day_parse (file names). */
#include "record.h"

#include <stddef.h>
#include <stdint.h>

static void s_market(const char *ticker, int settled, void *arg)
{
    (void)ticker;
    *(int *)arg += 1 + settled;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static jtok_t d;
    static int init;
    if (!init) {
        jtok_init(&d);
        init = 1;
    }
    record_t r;
    int n = 0;
    record_parse(&d, (const char *)data, size, &r, s_market, &n);
    int64_t day;
    if (record_day_parse((const char *)data, size, &day) == 0) {
        char buf[16];
        record_day_fmt(day, buf, sizeof buf);
    }
    return 0;
}
