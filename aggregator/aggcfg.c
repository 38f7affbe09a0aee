/* aggcfg: the aggregator's option table and the config struct it fills (see aggcfg.h). */
#include "aggcfg.h"
#include "aggseries.h"
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
        {"series", OPT_STR, &c->series, SERIES_DEFAULT, 1, 0, NULL,
         "the Kalshi series (docs/SERIES.md): its pair's books, its index, its own markets; the "
         "defaults of --venues, --rti-spacing, --rti-decimals and --name (aggregator-<ticker> "
         "but for KXBTC15M)", 0},
        {"venues", OPT_STR, &c->venues, NULL, 1, 0, NULL,
         "the venues expected (a,b,..; default the series' venues): listed in every tick; "
         "health.state is ok only when every one of them is ok and the official value is fresh "
         "(any other venue seen is used too)", 0},
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
        {"rti-spacing", OPT_DBL, &r->spacing, NULL, 1e-9, 1e6, NULL,
         "RTI grid spacing s in units of the asset (default the series': KXBTC15M 1)", 0},
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
        {"rti-decimals", OPT_INT, &r->decimals, NULL, 0, 8, NULL,
         "RTI rounding decimals (default the series': KXBTC15M 2)", 0},
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

/* Before the options are read: the three whose defaults are the series' unset (an explicit
 * --rti-spacing is > 0, --rti-decimals >= 0). */
static void s_unset_series_defaults(aggcfg_t *c)
{
    free(c->venues);
    c->venues = NULL;
    c->tick.rti.spacing = 0;
    c->tick.rti.decimals = -1;
}

/* Series S into C: the tick's series, and the defaults of the options left unset. */
static void s_series(aggcfg_t *c, const series_t *s)
{
    c->ser = *s;
    tick_cfg_series(&c->tick, s);
    if (!c->venues) {
        char list[SERIES_VENUES_MAX * 17] = "";
        for (int i = 0; i < s->nvenues; i++)
            snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? "," : "",
                     s->venues[i]);
        c->venues = xstrdup(list);
    }
    if (c->tick.rti.spacing <= 0) c->tick.rti.spacing = s->spacing;
    if (c->tick.rti.decimals < 0) c->tick.rti.decimals = s->decimals;
}

aggcfg_t *aggcfg_new(void)
{
    aggcfg_t *c = xcalloc(1, sizeof *c);
    s_table(c);
    opts_defaults(c->opts);
    s_unset_series_defaults(c);
    s_series(c, series_builtin(SERIES_DEFAULT)); /* the built-in one, not the environment's */
    if (tick_cfg_venues(&c->tick, c->venues) < 0) abort(); /* the default is a good list */
    return c;
}

void aggcfg_destroy(aggcfg_t **p)
{
    if (!p || !*p) return;
    free((*p)->venues);
    free((*p)->series);
    free((*p)->history_ep);
    free(*p);
    *p = NULL;
}

void aggcfg_parse(aggcfg_t *c, int argc, char **argv)
{
    s_unset_series_defaults(c);
    opts_parse("aggregator", "Write the 1 s tick record and the event records.", c->opts, argc,
               argv, NULL);
    series_t s;
    if (aggseries_load(&s, c->series, "series") < 0) return; /* opts' self-test only */
    s_series(c, &s);
    aggseries_rename(&s, "aggregator");
    if (tick_cfg_venues(&c->tick, c->venues) < 0)
        opts_die("venues", c->venues, "expected 1 to 8 distinct names of [a-z0-9-] as a,b,..");
}

void aggcfg_log(const aggcfg_t *c) { opts_log_effective("aggregator", c->opts); }

/* --series: its venues, spacing and decimals as defaults (an explicit option wins), its pair,
 * index topic and market prefix, and the default name aggregator-<ticker>. */
static int s_test_series(void)
{
    int rc = 0;
    aggcfg_t *c = aggcfg_new();
    if (c->tick.rti.spacing != 1 || c->tick.rti.decimals != 2 || strcmp(c->tick.series, "KXBTC15M") ||
        strcmp(c->tick.index_topic, "index.brti") || strcmp(c->venues, BUS_BTC_VENUES)) {
        fprintf(stderr, "aggcfg_test: KXBTC15M's defaults wrong\n");
        rc = -1;
    }
    free(opts_common.name);
    opts_common.name = NULL;
    char *argv[] = {"t", "--series", "kxdoge15m", "--rti-decimals", "4", NULL};
    aggcfg_parse(c, (int)ARRAY_LEN(argv) - 1, argv);
    if (c->tick.rti.spacing != 300000 || c->tick.rti.decimals != 4 ||
        strcmp(c->venues, "coinbase,gemini,kraken") || c->tick.n_expected != 3 ||
        strcmp(c->tick.series, "KXDOGE15M") || strcmp(c->tick.pair, "DOGE-USD") ||
        strcmp(c->tick.index_topic, "index.dogeusd_rti") ||
        strcmp(c->tick.market_prefix, "KXDOGE15M-") ||
        strcmp(opts_common.name, "aggregator-kxdoge15m")) {
        fprintf(stderr, "aggcfg_test: --series KXDOGE15M: %s %g %ld %s %s\n", c->venues,
                c->tick.rti.spacing, c->tick.rti.decimals, c->tick.index_topic, opts_common.name);
        rc = -1;
    }
    char *argv2[] = {"t", "--series", "KXDOGE15M", "--name", "agg-doge-b", "--venues", "kraken",
                     "--rti-spacing", "1000", NULL};
    aggcfg_parse(c, (int)ARRAY_LEN(argv2) - 1, argv2);
    if (c->tick.rti.spacing != 1000 || c->tick.rti.decimals != 5 || strcmp(c->venues, "kraken") ||
        strcmp(opts_common.name, "agg-doge-b")) {
        fprintf(stderr, "aggcfg_test: explicit options after --series: %s %g %ld %s\n", c->venues,
                c->tick.rti.spacing, c->tick.rti.decimals, opts_common.name);
        rc = -1;
    }
    aggcfg_destroy(&c);
    return rc;
}

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
    rc |= s_test_series();
    free(opts_common.name);
    opts_common.name = NULL;
    return rc;
}
