/* upstream: what sink-jsonl and sink-postgres share about their input. The series the sink
 * records (--series: its name and its upstreams follow it); the bus directory and the sink's
 * own publish endpoint (for its hb); its default upstreams, the aggregator and its standby
 * `aggregator-b` (`aggregator-x`, `aggregator-x-b` for another series: docs/SINKS.md,
 * "Two aggregators"); the SUB connected to them; and the
 * follow reader that takes each tick second once and fetches back what the bus lost. */
#ifndef TB_UPSTREAM_H
#define TB_UPSTREAM_H

#include "bus.h"
#include "follow.h"
#include "jw.h"
#include "opts.h"
#include "series.h"

typedef struct {
    char pub_ep[BUS_EP_MAX];
    bus_sub_t *sub;
    follow_t *follow;
} upstream_t;

/* The option entries both sinks take: --catchup SRC@ENDPOINT (repeatable) and
 * --catchup-timeout MS (0: no catch-up). */
extern strlist_t upstream_catchup_opt;
extern long upstream_timeout_ms;
#define UPSTREAM_OPT_ENTRIES                                                                      \
    {"catchup", OPT_LIST, &upstream_catchup_opt, NULL, 1, 0, NULL,                                \
     "fetch what the bus lost from SRC's history at ENDPOINT (repeatable; derived for every "     \
     "ipc --sub: NAME.pub -> NAME.hist)", 0},                                                      \
    {"catchup-timeout", OPT_INT, &upstream_timeout_ms, "2000", 0, 60000, NULL,                    \
     "ms to wait for a history's answer before going on without it (0: no catch-up)", 0}

/* --series TICKER, the entry both sinks take; PROG the sink's program name, WHAT (a string
 * literal) the other defaults the series sets in that sink. */
extern char *upstream_series_opt;
#define UPSTREAM_SERIES_OPT_ENTRY(prog, what)                                                     \
    {"series", OPT_STR, &upstream_series_opt, SERIES_DEFAULT, 1, 0, NULL,                         \
     "the Kalshi series (docs/SERIES.md): the defaults of --sub (its aggregator and standby: "    \
     "aggregator, aggregator-b for KXBTC15M, aggregator-x, aggregator-x-b for series X), of "     \
     "--name (" prog "-x but for KXBTC15M) and of " what, 0}

/* Before --check returns: --series into SER (a bad or unknown one exits 64 with lib/series'
 * message), the sink's name PROG renamed for it unless --name was given (sink-jsonl-kxeth15m;
 * PROG itself for KXBTC15M), and the endpoints (default subs: the series' aggregator and its
 * standby: aggregator, aggregator-b for KXBTC15M). Returns 0 or the exit code. */
int upstream_endpoints(upstream_t *u, const char *prog, series_t *ser);
/* Connect the SUB and make the follow reader (no source asked yet). 0 or the exit code. */
int upstream_connect(upstream_t *u);
/* Once the sink knows what it has (follow_seen): ask every source's history. */
void upstream_catch_up(upstream_t *u);
/* The next record to handle, as follow_recv. */
int upstream_recv(upstream_t *u, bus_msg_t *m, int timeout_ms);
/* Is TOPIC one of the record topics (prefixes) TOPICS? An empty TOPICS is first set to the
 * default: tick and event. */
int upstream_wanted(strlist_t *topics, const char *topic);
/* The hb detail's "bus" and "catchup" objects. */
void upstream_hb(jw_t *w, const upstream_t *u);
void upstream_close(upstream_t *u);

#endif
