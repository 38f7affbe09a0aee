/* selftest: runs every module's self-test (CZMQ style), all or one by name:
 * selftest [--strict] [NAME...]. Each test reads its fixtures from
 * $TICKBUS_FIXTURES or tests/fixtures itself.
 *
 * To register a test: add {"module", module_test} to s_tests below, its header
 * to the includes (int module_test(void), declared next to the module's other
 * functions). The table names every test by its real prototype, so a module
 * missing from the build is a link error. --strict (make test) is accepted for
 * compatibility: with nothing optional left it changes nothing. */
#include "aggcfg.h"
#include "aggseries.h"
#include "book.h"
#include "boundary.h"
#include "bus.h"
#include "curve.h"
#include "catchup.h"
#include "clock.h"
#include "feed.h"
#include "follow.h"
#include "framerec.h"
#include "gaps.h"
#include "hb.h"
#include "history.h"
#include "httpd.h"
#include "jsonl.h"
#include "jtok.h"
#include "jw.h"
#include "kalshi_auth.h"
#include "kalshi_book.h"
#include "kalshi_market.h"
#include "kalshi_ws.h"
#include "log.h"
#include "mstate.h"
#include "opts.h"
#include "peers.h"
#include "prog.h"
#include "record.h"
#include "rti.h"
#include "series.h"
#include "silence.h"
#include "tick.h"
#include "util.h"
#include "wdfresh.h"
#include "wdrestart.h"
#include "wdwatch.h"
#include "wsconn.h"

#include <stdio.h>
#include <string.h>

/* The test world's (mockx) tests have no header of their own: their files
 * declare them the same way. */
int mx_world_test(void);
int mx_kalshi_test(void);

static const struct {
    const char *name;
    int (*fn)(void);
} s_tests[] = {
    {"util", util_test},
    {"log", log_test},
    {"prog", prog_test},
    {"clock", clock_test},
    {"opts", opts_test},
    {"series", series_test},
    {"jw", jw_test},
    {"jtok", jtok_test},
    {"bus", bus_test},
    {"curve", curve_test},
    {"catchup", catchup_test},
    {"hb", hb_test},
    {"book", book_test},
    {"silence", silence_test},
    {"peers", peers_test},
    {"wsconn", wsconn_test},
    {"framerec", framerec_test},
    {"feed", feed_test},
    {"kalshi_auth", kalshi_auth_test},
    {"kalshi_book", kalshi_book_test},
    {"kalshi_ws", kalshi_ws_test},
    {"kalshi_market", kalshi_market_test},
    {"aggcfg", aggcfg_test},
    {"aggseries", aggseries_test},
    {"tick", tick_test},
    {"boundary", boundary_test},
    {"history", history_test},
    {"record", record_test},
    {"gaps", gaps_test},
    {"follow", follow_test},
    {"jsonl", jsonl_test},
    {"wdwatch", wdwatch_test},
    {"wdfresh", wdfresh_test},
    {"wdrestart", wdrestart_test},
    {"mstate", mstate_test},
    {"httpd", httpd_test},
    {"mx_world", mx_world_test},
    {"mx_kalshi", mx_kalshi_test},
    {"rti", rti_test},
};

int main(int argc, char **argv)
{
    log_init("selftest", LOG_LVL_WARN);
    int strict = argc > 1 && !strcmp(argv[1], "--strict");
    int first = 1 + strict, named = argc > first;
    int passed = 0, failed = 0;
    for (size_t i = 0; i < sizeof s_tests / sizeof s_tests[0]; i++) {
        int want = !named;
        for (int a = first; a < argc; a++)
            if (!strcmp(argv[a], s_tests[i].name)) want = 1;
        if (!want) continue;
        int rc = s_tests[i].fn();
        log_init("selftest", LOG_LVL_WARN); /* a test may have re-initialised the log */
        printf("%-12s %s\n", s_tests[i].name, rc == 0 ? "ok" : "FAIL");
        if (rc == 0) passed++;
        else failed++;
    }
    bus_ctx_term();
    printf("selftest: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
