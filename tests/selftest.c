/* selftest: runs every module's self-test (CZMQ style), all or one by name:
 * selftest [--strict] [NAME...]. Fixtures are read from $TICKBUS_FIXTURES or
 * tests/fixtures.
 *
 * To register a test: add X(module) to SELFTESTS below (for int module_test(void)).
 * Do not #include module headers here: the tests are declared weak and the
 * runner is linked with the whole library, so a module that is not in the tree
 * yet is reported "missing" instead of breaking the build; --strict (used by
 * make test) counts a missing module as a failure. */
#include "bus.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SELFTESTS(X)                                                                       \
    X(log) X(prog) X(clock) X(opts) X(jw) X(jtok) X(bus) X(hb) X(book) X(wsconn) X(framerec) X(feed)           \
    X(kalshi_auth) X(kalshi_book) X(kalshi_ws) X(kalshi_market) X(aggcfg) X(tick) X(boundary) X(record) X(gaps) X(jsonl)          \
    X(wdwatch) X(wdfresh) X(wdrestart) X(mstate) X(httpd) X(mx_world) X(mx_kalshi)

#define DECLARE(m) int m##_test(void) __attribute__((weak));
SELFTESTS(DECLARE)
int rti_test(const char *fixtures_dir) __attribute__((weak));

static const char *s_fixtures;
static int s_rti(void) { return rti_test ? rti_test(s_fixtures) : -2; }

#define ENTRY(m) {#m, m##_test},
static const struct {
    const char *name;
    int (*fn)(void);
} s_tests[] = {SELFTESTS(ENTRY){"rti", NULL}};

int main(int argc, char **argv)
{
    s_fixtures = getenv("TICKBUS_FIXTURES");
    if (!s_fixtures) s_fixtures = "tests/fixtures";
    log_init("selftest", LOG_LVL_WARN);
    int strict = argc > 1 && !strcmp(argv[1], "--strict");
    int first = 1 + strict, named = argc > first;
    int passed = 0, failed = 0, missing = 0;
    for (size_t i = 0; i < sizeof s_tests / sizeof s_tests[0]; i++) {
        int want = !named;
        for (int a = first; a < argc; a++)
            if (!strcmp(argv[a], s_tests[i].name)) want = 1;
        if (!want) continue;
        int (*fn)(void) = s_tests[i].fn;
        if (!strcmp(s_tests[i].name, "rti")) fn = rti_test ? s_rti : NULL;
        if (!fn) {
            printf("%-12s missing (module not in this build)\n", s_tests[i].name);
            missing++;
            continue;
        }
        int rc = fn();
        log_init("selftest", LOG_LVL_WARN); /* a test may have re-initialised the log */
        printf("%-12s %s\n", s_tests[i].name, rc == 0 ? "ok" : "FAIL");
        if (rc == 0) passed++;
        else failed++;
    }
    bus_ctx_term();
    if (strict) failed += missing;
    printf("selftest: %d passed, %d failed%s\n", passed, failed,
           missing ? (strict ? " (missing modules count as failures)" : " (some missing)") : "");
    return failed ? 1 : 0;
}
