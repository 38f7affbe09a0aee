/* selftest: runs every module's self-test (CZMQ style), all or one by name:
 * selftest [NAME...]. Fixtures are read from $TICKBUS_FIXTURES or tests/fixtures. */
#include "book.h"
#include "feed.h"
#include "wsconn.h"
#include "bus.h"
#include "clock.h"
#include "hb.h"
#include "jtok.h"
#include "jw.h"
#include "kalshi_auth.h"
#include "kalshi_book.h"
#include "kalshi_ws.h"
#include "log.h"
#include "opts.h"
#include "tick.h"
#include "rti.h"
#include "gaps.h"
#include "jsonl.h"
#include "record.h"
#include "wdfresh.h"
#include "wdrestart.h"
#include "wdwatch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *s_fixtures;

static int s_log(void) { return log_test(); }
static int s_clock(void) { return clock_test(); }
static int s_opts(void) { return opts_test(); }
static int s_jw(void) { return jw_test(); }
static int s_jtok(void) { return jtok_test(); }
static int s_bus(void) { return bus_test(); }
static int s_hb(void) { return hb_test(); }
static int s_tick(void) { return tick_test(); }
static int s_rti(void) { return rti_test(s_fixtures); }
static int s_kalshi_auth(void) { return kalshi_auth_test(); }
static int s_kalshi_book(void) { return kalshi_book_test(); }
static int s_kalshi_ws(void) { return kalshi_ws_test(); }

static const struct {
    const char *name;
    int (*fn)(void);
} s_tests[] = {
    {"log", s_log}, {"clock", s_clock}, {"opts", s_opts}, {"jw", s_jw},
    {"jtok", s_jtok}, {"bus", s_bus}, {"hb", s_hb}, {"rti", s_rti},
    {"kalshi_auth", s_kalshi_auth}, {"kalshi_book", s_kalshi_book}, {"kalshi_ws", s_kalshi_ws},
    {"record", record_test}, {"gaps", gaps_test}, {"jsonl", jsonl_test},
    {"book", book_test},
    {"wsconn", wsconn_test}, {"feed", feed_test},
    {"tick", s_tick},
    {"wdwatch", wdwatch_test}, {"wdfresh", wdfresh_test}, {"wdrestart", wdrestart_test},
};

int main(int argc, char **argv)
{
    s_fixtures = getenv("TICKBUS_FIXTURES");
    if (!s_fixtures) s_fixtures = "tests/fixtures";
    log_init("selftest", LOG_LVL_WARN);
    int passed = 0, failed = 0;
    for (size_t i = 0; i < sizeof s_tests / sizeof s_tests[0]; i++) {
        int want = argc < 2;
        for (int a = 1; a < argc; a++)
            if (!strcmp(argv[a], s_tests[i].name)) want = 1;
        if (!want) continue;
        int rc = s_tests[i].fn();
        printf("%-12s %s\n", s_tests[i].name, rc == 0 ? "ok" : "FAIL");
        if (rc == 0) passed++;
        else failed++;
    }
    bus_ctx_term();
    printf("selftest: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
