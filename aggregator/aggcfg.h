/* aggcfg: the aggregator's settings in one struct, filled by its option table (--help, the
 * TICKBUS_AGGREGATOR_* variables, bounds, the effective-config line: lib/opts). The table's
 * default strings are the only place the defaults are written: tick_cfg_default() and the RTI
 * self-test read them from here; but for --venues, --rti-spacing and --rti-decimals, whose
 * defaults are the --series' own (lib/series, docs/SERIES.md). Used by aggregator.c; no I/O
 * besides opts' own. */
#ifndef TB_AGGCFG_H
#define TB_AGGCFG_H

#include "opts.h"
#include "series.h"
#include "tick.h"

/* --clock, in the order of its words (OPT_ENUM writes the position) */
typedef enum { AGGCFG_CLOCK_REAL, AGGCFG_CLOCK_REPLAY } aggcfg_clock_t;

#define AGGCFG_OPTS 37 /* options in the table, its terminator included */

typedef struct {
    tick_cfg_t tick;      /* the record assembly, the RTI parameters among them */
    aggcfg_clock_t clock; /* real: the realtime clock's seconds; replay: the replayed ts_pub */
    double stall_s;       /* exit 75 after this long without a tick */
    long hwm;             /* PUB send high-water mark, 0: the bus default */
    long history_s;       /* keep this many seconds of output for catch-up (aggregator/history) */
    long history_mb;      /* ... within this many MiB */
    char *history_ep;     /* the catch-up ROUTER's endpoint; NULL: ipc://$BUS/NAME.hist */
    char *venues;         /* --venues as given (default the series'); parsed into tick.expected */
    char *series;         /* --series as given */
    series_t ser;         /* its definition */
    opt_t opts[AGGCFG_OPTS]; /* the option table, pointing into this struct */
} aggcfg_t;

/* A config holding the defaults. Never NULL (aborts on out of memory). */
aggcfg_t *aggcfg_new(void);
void aggcfg_destroy(aggcfg_t **p);

/* The environment, then ARGV, into C (opts_parse: --help and --version exit 0, a bad value
 * exits 64 naming the option; so does a bad --venues list or --series). The series gives the
 * defaults of --venues, --rti-spacing, --rti-decimals and --name (aggseries_name). */
void aggcfg_parse(aggcfg_t *c, int argc, char **argv);

/* The "effective config" log line. */
void aggcfg_log(const aggcfg_t *c);

int aggcfg_test(void);

#endif
