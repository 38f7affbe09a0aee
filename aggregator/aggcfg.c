/* aggcfg: the aggregator's option table and the config struct it fills (see aggcfg.h). */
#include "aggcfg.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* OPT_ENUM writes an int: the enums it fills must have an int's size. */
_Static_assert(sizeof(tick_method_t) == sizeof(int), "tick_method_t is not int-sized");
_Static_assert(sizeof(rti_ped_ref_t) == sizeof(int), "rti_ped_ref_t is not int-sized");
_Static_assert(sizeof(rti_fallback_t) == sizeof(int), "rti_fallback_t is not int-sized");
_Static_assert(sizeof(aggcfg_clock_t) == sizeof(int), "aggcfg_clock_t is not int-sized");

/* The table, each entry writing one field of C. The --rti-* defaults are the published values
 * or, where the public sources leave a choice open, our reading (docs/RTI.md says which). */
static void s_table(aggcfg_t *c)
{
    tick_cfg_t *t = &c->tick;
    rti_params_t *r = &c->tick.rti;
    const opt_t tbl[] = {
        {"clock", OPT_ENUM, &c->clock, "real|replay", 1, 0, NULL,
         "real: a tick at each second of the realtime clock; replay: time follows the original "
         "ts_pub of messages republished by `replay` (re-running a recorded day)", 0},
        {"method", OPT_ENUM, &t->method, "rti|median", 1, 0, NULL,
         "proxy behind the official BRTI: rti (then median) or median", 0},
        {"venues", OPT_STR, &c->venues, BUS_BTC_VENUES, 1, 0, NULL,
         "the venues expected (a,b,..): listed in every tick; health.state is ok only when every "
         "one of them is ok and the official value is fresh (any other venue seen is used too)",
         0},
        {"stale-s", OPT_DBL, &t->stale_s, "5", 0.1, 3600, NULL,
         "a venue whose last book/quote was received this long ago is stale (null + reason)", 0},
        {"official-max-age-s", OPT_DBL, &t->official_max_age_s, "2", 0.1, 3600, NULL,
         "the relayed official BRTI is used up to this age", 0},
        {"kalshi-stale-s", OPT_DBL, &t->kalshi_stale_s, "10", 0.1, 3600, NULL,
         "a Kalshi book older than this gives null prices", 0},
        {"settle-window-s", OPT_INT, &t->settle_window_s, "60", 1, 3600, NULL,
         "settlement averaging window before each close", 0},
        {"settle-grace-s", OPT_INT, &t->settle_grace_s, "3", 0, 60, NULL,
         "window averages are frozen this long after the close (late official values)", 0},
        {"settle-timeout-s", OPT_INT, &t->settle_timeout_s, "1800", 1, 86400, NULL,
         "write the settlement event without Kalshi's result this long after the close", 0},
        {"market-keep-s", OPT_INT, &t->market_keep_s, "60", 0, 86400, NULL,
         "a settled market stays in markets[] this long", 0},
        {"book-levels", OPT_INT, &t->book_levels, "10", 0, 200, NULL,
         "Kalshi levels per side in yes_book/no_book", 0},
        {"stall-s", OPT_DBL, &c->stall_s, "5", 1, 3600, NULL,
         "exit 75 when no tick was written for this long", 0},
        {"hwm", OPT_INT, &c->hwm, "0", 0, 1e9, NULL, "PUB send high-water mark (0: default)", 0},
        {"history-s", OPT_INT, &c->history_s, "900", 0, 86400, NULL,
         "keep the last S seconds of ticks and events for readers that catch up (0: none)", 0},
        {"history-mb", OPT_INT, &c->history_mb, "64", 1, 65536, NULL,
         "memory for that history, MiB (the oldest entries go first)", 0},
        {"history", OPT_STR, &c->history_ep, NULL, 1, 0, NULL,
         "catch-up endpoint (default ipc://BUS/NAME.hist; with --pub tcp:// give tcp://HOST:PORT)",
         0},
        /* uncertain: "dynamic" since methodology v16.7 */
        {"rti-spacing", OPT_DBL, &r->spacing, "1", 1e-9, 1e6, NULL,
         "RTI grid spacing s in BTC", 0},
        {"rti-deviation", OPT_DBL, &r->deviation, "0.005", 1e-9, 1, NULL,
         "RTI D: max mid spread-to-volume inside the utilized depth", 0},
        {"rti-lambda-factor", OPT_DBL, &r->lambda_factor, "0.3", 1e-9, 1e6, NULL,
         "RTI lambda = 1 / (factor * v_T)", 0},
        {"rti-grid-from-zero", OPT_BOOL, &r->grid_from_zero, "0", 1, 0, NULL,
         "RTI grid {0, s, ..} instead of {s, 2s, ..}", 0},
        {"rti-pv-strict", OPT_BOOL, &r->pv_strict, "0", 1, 0, NULL,
         "RTI price-volume where cumulative size > v (not >=)", 0},
        /* 30 before methodology v16.6 */
        {"rti-stale-s", OPT_DBL, &r->stale_s, "10", 0.001, 3600, NULL,
         "RTI L: drop a venue whose book is this old", 0},
        {"rti-ped", OPT_DBL, &r->ped, "0.05", 1e-9, 1, NULL,
         "RTI potentially-erroneous deviation from the median mid", 0},
        {"rti-ped-reinclude", OPT_DBL, &r->ped_reinclude, "0.5", 0, 1, NULL,
         "RTI: a flagged venue returns below this fraction of --rti-ped", 0},
        {"rti-ped-ref", OPT_ENUM, &r->ped_ref, "all|others", 1, 0, NULL,
         "RTI reference median: all venues or the others", 0},
        {"rti-cap", OPT_BOOL, &r->cap_enable, "1", 1, 0, NULL, "RTI dynamic order size cap", 0},
        {"rti-cap-band", OPT_DBL, &r->cap_band, "0.05", 0, 1, NULL,
         "RTI cap sample: orders within this fraction of the touch", 0},
        {"rti-cap-min-per-side", OPT_INT, &r->cap_min_per_side, "50", 1, 1e6, NULL,
         "RTI cap sample: at least this many orders per side", 0},
        {"rti-cap-trim", OPT_DBL, &r->cap_trim, "0.01", 0, 0.49, NULL,
         "RTI cap: fraction trimmed/winsorized at each end", 0},
        {"rti-cap-k-sigma", OPT_DBL, &r->cap_k_sigma, "5", 0, 1000, NULL,
         "RTI cap = trimmed mean + k * winsorized SD", 0},
        {"rti-cap-ddof", OPT_INT, &r->cap_ddof, "1", 0, 1, NULL, "RTI cap: SD divisor n - ddof",
         0},
        {"rti-decimals", OPT_INT, &r->decimals, "2", 0, 8, NULL, "RTI rounding decimals", 0},
        {"rti-fallback", OPT_ENUM, &r->fallback, "none|top-mid", 1, 0, NULL,
         "RTI on a thin or wide consolidated book: none or top-mid", 0},
        {"rti-min-venues", OPT_INT, &r->min_venues, "3", 1, 16, NULL,
         "RTI: fewer venues used than this marks the value degraded", 0},
        {"rti-max-grid-points", OPT_INT, &r->max_grid_points, "100000", 1, 1e8, NULL,
         "RTI: bound on the curve walk", 0},
        {NULL, 0, NULL, NULL, 0, 0, NULL, NULL, 0},
    };
    _Static_assert(sizeof tbl == sizeof c->opts, "AGGCFG_OPTS is not the table's length");
    memcpy(c->opts, tbl, sizeof tbl);
}

aggcfg_t *aggcfg_new(void)
{
    aggcfg_t *c = xcalloc(1, sizeof *c);
    s_table(c);
    opts_defaults(c->opts);
    if (tick_cfg_venues(&c->tick, c->venues) < 0) abort(); /* the default is a good list */
    return c;
}

void aggcfg_destroy(aggcfg_t **p)
{
    if (!p || !*p) return;
    free((*p)->venues);
    free((*p)->history_ep);
    free(*p);
    *p = NULL;
}

void aggcfg_parse(aggcfg_t *c, int argc, char **argv)
{
    opts_parse("aggregator", "Write the 1 s tick record and the event records.", c->opts, argc,
               argv, NULL);
    if (tick_cfg_venues(&c->tick, c->venues) < 0)
        opts_die("venues", c->venues, "expected 1 to 8 distinct names of [a-z0-9-] as a,b,..");
}

void aggcfg_log(const aggcfg_t *c) { opts_log_effective("aggregator", c->opts); }

/* Every option writes inside the struct; the enum words land on their enum constants; the
 * defaults are the first words and pass the RTI's own parameter check. */
int aggcfg_test(void)
{
    int rc = 0;
    aggcfg_t *c = aggcfg_new();
    for (const opt_t *o = c->opts; o->name; o++) {
        const char *dst = o->dst, *base = (const char *)c;
        if (dst < base || dst >= (const char *)c->opts) {
            fprintf(stderr, "aggcfg_test: --%s writes outside the config\n", o->name);
            rc = -1;
        }
    }
    if (c->clock != AGGCFG_CLOCK_REAL || c->tick.method != TICK_METHOD_RTI ||
        c->tick.rti.ped_ref != RTI_PED_MEDIAN_ALL || c->tick.rti.fallback != RTI_FALLBACK_NONE ||
        c->tick.rti.cap_enable != 1 || c->tick.rti.pv_strict != 0 || c->tick.n_expected != 5) {
        fprintf(stderr, "aggcfg_test: enum/bool defaults wrong\n");
        rc = -1;
    }
    rti_state_t *st = rti_state_new();
    rti_result_t *res = xcalloc(1, sizeof *res);
    rti_level_t bid = {100, 1}, ask = {101, 1};
    rti_venue_t v = {"a", 1000, &bid, 1, &ask, 1};
    rti_compute(&c->tick.rti, st, &v, 1, 1000, res);
    if (res->reason && !strcmp(res->reason, "bad params")) {
        fprintf(stderr, "aggcfg_test: the default RTI parameters are refused\n");
        rc = -1;
    }
    char *argv[] = {"t", "--clock", "replay", "--method=median", "--rti-ped-ref", "others",
                    "--rti-fallback", "top-mid", "--rti-decimals", "4", "--settle-window-s",
                    "30", "--rti-cap=false", "--stall-s", "7.5", "--hwm", "9", "--venues",
                    "kraken,gemini", NULL};
    aggcfg_parse(c, (int)ARRAY_LEN(argv) - 1, argv);
    if (c->clock != AGGCFG_CLOCK_REPLAY || c->tick.method != TICK_METHOD_MEDIAN ||
        c->tick.rti.ped_ref != RTI_PED_MEDIAN_OTHERS ||
        c->tick.rti.fallback != RTI_FALLBACK_TOP_MID || c->tick.rti.decimals != 4 ||
        c->tick.settle_window_s != 30 || c->tick.rti.cap_enable != 0 || c->stall_s != 7.5 ||
        c->hwm != 9 || c->tick.stale_s != 5 || c->tick.n_expected != 2 ||
        strcmp(c->tick.expected[1], "gemini")) {
        fprintf(stderr, "aggcfg_test: parsed values wrong\n");
        rc = -1;
    }
    free(res);
    rti_state_destroy(&st);
    aggcfg_destroy(&c);
    free(opts_common.name);
    opts_common.name = NULL;
    return rc;
}
