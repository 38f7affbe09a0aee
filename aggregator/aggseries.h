/* aggseries: one series per aggregator process (docs/SERIES.md). The --series value checked
 * into its definition (lib/series: built in, or SERIES_<TICKER> from the environment), and the
 * program taking its series' default name (lib/series series_program: the aggregator's is what
 * its sinks take as their default upstreams; a sink's own keeps two series' sinks apart).
 * lib/series knows the series; which process serves which one is the aggregator's and its
 * sinks' concern, so it is here. Used by aggregator/aggcfg.c and sink/upstream.c (both sinks). */
#ifndef TB_AGGSERIES_H
#define TB_AGGSERIES_H

#include "series.h"

#include <stddef.h>

/* TICKER's definition into OUT. Anything but exactly one good series exits 64 with
 * "PROG: --OPTION: bad value 'TICKER': <lib/series' message>" (opts_die). 0, or -1 only where
 * opts_die returns (opts' own self-test mode). */
int aggseries_load(series_t *out, const char *ticker, const char *option);

/* After opts_parse: a program still under its own name BASE takes aggseries_name's (and the
 * log says so from then on). */
void aggseries_rename(const series_t *s, const char *base);

int aggseries_test(void);

#endif
