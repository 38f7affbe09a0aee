/* aggregator: subscribes to the feeds and publishes, once per UTC second, the tick record
 * (docs/CONTRACT.md, 'The tick record') on topic `tick`, plus event.* records (market_open,
 * strike_set, settlement, gap). docs/RECORD.md describes the records. The steps: options into
 * the config (aggcfg), the bus, then the clock loop (boundary) around the tick state (tick). */
#include "prog.h"
#include "aggcfg.h"
#include "boundary.h"
#include "bus.h"
#include "hb.h"
#include "log.h"
#include "opts.h"

#include <signal.h>


/* The publish endpoint into EP and the default upstreams (the feeds, or `replay` under --clock
 * replay) into opts_common.sub. Returns 0 or the exit code. */
static int s_endpoints(const aggcfg_t *cfg, char *ep, size_t n)
{
    static const char *const feeds[] = {"feed-coinbase", "feed-kraken", "feed-bitstamp",
                                        "feed-kalshi", NULL};
    static const char *const replayer[] = {"replay", NULL};
    char dir[400];
    if (bus_dir(opts_common.bus, dir, sizeof dir) < 0) return EX_UNAVAILABLE;
    if (bus_pub_endpoint(opts_common.bus, opts_common.pub, opts_common.name, ep, n) < 0) return EX_USAGE;
    int replay = cfg->clock == AGGCFG_CLOCK_REPLAY;
    return bus_default_subs(&opts_common.sub, dir, replay ? replayer : feeds) < 0 ? 64 : 0;
}

int main(int argc, char **argv)
{
    aggcfg_t *cfg = aggcfg_new();
    aggcfg_parse(cfg, argc, argv);
    char ep[BUS_EP_MAX];
    int rc = s_endpoints(cfg, ep, sizeof ep);
    if (rc) return rc;
    aggcfg_log(cfg);
    if (opts_common.check) return 0;

    prog_signals(PROG_SIG_RESTART);
    bus_pub_t *pub = bus_pub_new(opts_common.name, ep, (int)cfg->hwm);
    if (!pub) return EX_UNAVAILABLE;
    bus_sub_t *sub = bus_sub_new();
    for (int i = 0; i < opts_common.sub.n; i++)
        if (bus_sub_connect(sub, opts_common.sub.v[i]) < 0) return EX_USAGE;
    boundary_bus_t bb = {sub, pub, &prog_stop};
    boundary_t *b = boundary_new(&cfg->tick, boundary_io_bus(&bb), cfg->stall_s);
    int replay = cfg->clock == AGGCFG_CLOCK_REPLAY;
    hb_t *hb = hb_new(pub, replay ? boundary_hb_replay : boundary_hb_detail, b);
    hb_ready(hb, "ticking");
    log_info("publishing on %s, %d upstreams", ep, opts_common.sub.n);
    rc = replay ? boundary_run_replay(b, hb, &prog_stop) : boundary_run(b, hb, &prog_stop);

    hb_destroy(&hb);
    boundary_destroy(&b);
    bus_sub_destroy(&sub);
    bus_pub_destroy(&pub);
    bus_ctx_term();
    aggcfg_destroy(&cfg);
    return rc;
}
