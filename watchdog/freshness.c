/* tickbus-freshness: the output row of docs/CONTRACT.md, 'Healing layers'. A
 * oneshot, independent of the bus: restart a unit (tickbus.target) when the
 * newest data file matching --check-file has not been modified for --max-age
 * seconds. Run every 60 s by compose/tickbus-freshness.timer; the check itself
 * is wdfresh's, the restart wdrestart's (docs/WATCHDOG.md). */
#include "prog.h"
#include "opts.h"
#include "wdfresh.h"
#include "wdrestart.h"

static char *o_check_file;
static wdfresh_opts_t o_fresh;
static wdrestart_opts_t o_restart;

static const opt_t s_opts[] = {
    {"check-file", OPT_STR, &o_check_file, NULL, 1, 0, NULL,
     "glob of the data files (quote it); restart --restart-unit if the newest is stale",
     OPT_REQUIRED},
    WDFRESH_OPTS(o_fresh),
    WDRESTART_OPTS(o_restart),
    {NULL, 0, NULL, NULL, 0, 0, NULL, NULL, 0},
};

int main(int argc, char **argv)
{
    opts_parse("tickbus-freshness",
               "Restart a unit when the newest data file is stale (oneshot, for a timer).", s_opts,
               argc, argv, NULL);
    wdrestart_t *backend = wdrestart_from_opts(&o_restart);
    prog_signals(PROG_SIG_INTERRUPT);
    int rc = wdfresh_check(o_check_file, &o_fresh, backend, opts_common.check);
    wdrestart_wait(backend, 5000);
    wdrestart_destroy(&backend);
    return rc;
}
