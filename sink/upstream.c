/* upstream: the sinks' shared input (see upstream.h). */
#include "upstream.h"
#include "curve.h"
#include "aggseries.h"
#include "log.h"
#include "prog.h"

#include <stdio.h>
#include <string.h>

strlist_t upstream_catchup_opt;
long upstream_timeout_ms;
char *upstream_series_opt;

int upstream_endpoints(upstream_t *u, const char *prog, series_t *ser)
{
    if (aggseries_load(ser, upstream_series_opt, "series") < 0) return EX_USAGE;
    aggseries_rename(ser, prog);
    char agg[96], dir[400];
    series_program(ser, "aggregator", agg, sizeof agg);
    if (bus_dir(opts_common.bus, dir, sizeof dir) < 0) return EX_UNAVAILABLE;
    if (bus_pub_endpoint(opts_common.bus, opts_common.pub, opts_common.name, u->pub_ep,
                         sizeof u->pub_ep) < 0)
        return EX_USAGE;
    for (int i = 0; i < upstream_catchup_opt.n; i++) { /* a bad value ends the start, named */
        const char *v = upstream_catchup_opt.v[i], *at = strchr(v, '@');
        if (!at || at == v || !at[1] || at - v >= 64)
            opts_die("catchup", v, "expected SRC@ENDPOINT (SRC: the publisher's --name)");
        curve_check_connect("catchup", at + 1); /* tcp: CURVE or --insecure, as --sub */
    }
    char standby[sizeof agg + 2];
    snprintf(standby, sizeof standby, "%s-b", agg);
    const char *const upstream[] = {agg, standby, NULL};
    return bus_default_subs(&opts_common.sub, dir, upstream) < 0 ? EX_USAGE : 0;
}

int upstream_connect(upstream_t *u)
{
    u->sub = bus_sub_new();
    for (int i = 0; i < opts_common.sub.n; i++)
        if (bus_sub_connect(u->sub, opts_common.sub.v[i]) < 0) return EX_USAGE;
    u->follow = follow_new(u->sub, -1, (int)upstream_timeout_ms);
    return 0;
}

void upstream_catch_up(upstream_t *u)
{
    /* with --catchup-timeout 0 the sources are still known (each second and event once from
     * the two aggregators), nothing is asked */
    int n = follow_sources(u->follow, (const char *const *)opts_common.sub.v, opts_common.sub.n,
                           (const char *const *)upstream_catchup_opt.v, upstream_catchup_opt.n);
    if (n < 0) fatalx(EX_SOFTWARE, "--catchup checked at start, refused now");
    log_info("catch-up: %d source(s)", n);
}

int upstream_recv(upstream_t *u, bus_msg_t *m, int timeout_ms)
{
    return follow_recv(u->follow, m, timeout_ms);
}

int upstream_wanted(strlist_t *topics, const char *topic)
{
    if (!topics->n) {
        strlist_add(topics, "tick");
        strlist_add(topics, "event.");
    }
    return prog_topic_any(topics, topic);
}

void upstream_hb(jw_t *w, const upstream_t *u)
{
    const bus_sub_stats_t *bs = bus_sub_stats(u->sub);
    jw_key(w, "bus");
    jw_obj(w);
    jw_kuint(w, "received", bs->received);
    jw_kuint(w, "lost", bs->lost);
    jw_kuint(w, "gaps", bs->gaps);
    jw_kuint(w, "restarts", bs->restarts);
    jw_kuint(w, "bad", bs->bad);
    jw_obj_end(w);
    const follow_stats_t *fs = follow_stats(u->follow);
    jw_key(w, "catchup");
    jw_obj(w);
    jw_kint(w, "catching", follow_catching(u->follow));
    jw_kuint(w, "requests", fs->requests);
    jw_kuint(w, "replies", fs->replies);
    jw_kuint(w, "timeouts", fs->timeouts);
    jw_kuint(w, "partial", fs->partial);
    jw_kuint(w, "fetched", fs->fetched);
    jw_kuint(w, "fetched_new", fs->fetched_new);
    jw_kuint(w, "dup_ticks", fs->dup_ticks);
    jw_kuint(w, "dup_events", fs->dup_events);
    jw_kuint(w, "dup_seq", fs->dup_seq);
    jw_kuint(w, "held_dropped", fs->held_dropped);
    jw_kuint(w, "bad_replies", fs->bad_replies);
    jw_obj_end(w);
}

void upstream_close(upstream_t *u)
{
    follow_destroy(&u->follow);
    bus_sub_destroy(&u->sub);
    strlist_clear(&upstream_catchup_opt);
}
