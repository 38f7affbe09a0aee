/* tap: print any bus topic live, one "topic json" line per message.
 * With no --sub it connects to every *.pub in the bus directory, and to ones
 * that appear later. Lost messages are reported on stderr as they are seen.
 * --since first prints the aggregators' ticks and events of the last seconds
 * from their history (sink/follow, as a sink catches up), then goes on live. */
#include "prog.h"
#include "bus.h"
#include "clock.h"
#include "follow.h"
#include "log.h"
#include "opts.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static long o_count;
static double o_timeout;
static int o_json;
static char *o_since;

static const opt_t s_opts[] = {
    {"count", OPT_INT, &o_count, "0", 0, 1e12, NULL, "exit after N messages (0: no limit)", 0},
    {"timeout", OPT_DBL, &o_timeout, "0", 0, 1e9, NULL,
     "exit after S seconds; exit 1 if by then no message (or fewer than --count) arrived", 0},
    {"json", OPT_BOOL, &o_json, "0", 1, 0, NULL, "print only the JSON payload (for jq)", 0},
    {"since", OPT_STR, &o_since, NULL, 1, 0, NULL,
     "first the aggregators' ticks and events after this time (ISO, or N: N seconds ago) "
     "from their history, then live; each tick second once", 0},
    {NULL, 0, NULL, NULL, 0, 0, NULL, NULL, 0},
};

/* --since as a tick second (ns), or exit 64 naming it. */
static int64_t s_since_ns(const char *v)
{
    char *end;
    long n = strtol(v, &end, 10);
    if (*v && !*end && n >= 0) return (clock_real_ns() / NS_PER_S - n) * NS_PER_S;
    int64_t ns;
    if (clock_parse_iso(v, strlen(v), &ns) < 0) opts_die("since", v, "expected ISO time or seconds");
    return ns;
}

/* --since: read through follow, asking the aggregators (their ipc endpoints in DIR, or those of
 * --sub) for what came after SINCE_NS. */
static follow_t *s_follow(bus_sub_t *sub, const char *dir, int64_t since_ns)
{
    follow_t *f = follow_new(sub, since_ns - NS_PER_S, 2000);
    char eps[2][BUS_EP_MAX];
    const char *v[2] = {eps[0], eps[1]};
    int n = 0;
    if (opts_common.sub.n) {
        follow_sources(f, (const char *const *)opts_common.sub.v, opts_common.sub.n, NULL, 0);
        return f;
    }
    if (bus_endpoint(dir, "aggregator", eps[0], sizeof eps[0]) == 0) n++;
    if (bus_endpoint(dir, "aggregator-b", eps[n], sizeof eps[n]) == 0) n++;
    follow_sources(f, v, n, NULL, 0);
    return f;
}

int main(int argc, char **argv)
{
    strlist_t prefixes = {0};
    opts_parse("tap", "Print bus messages live: tap [options] [TOPIC-PREFIX...]", s_opts, argc,
               argv, &prefixes);
    char dir[400] = "";
    int scan = opts_common.sub.n == 0;
    if ((scan || o_since) && bus_dir(opts_common.bus, dir, sizeof dir) < 0) return EX_UNAVAILABLE;
    int64_t since = o_since ? s_since_ns(o_since) : -1;
    if (opts_common.check) return 0;
    prog_signals(PROG_SIG_RESTART);
    setvbuf(stdout, NULL, _IOLBF, 0);

    bus_sub_t *sub = bus_sub_new();
    for (int i = 0; i < opts_common.sub.n; i++)
        if (bus_sub_connect(sub, opts_common.sub.v[i]) < 0) return EX_USAGE;
    for (int i = 0; i < prefixes.n; i++) bus_sub_prefix(sub, prefixes.v[i]);
    if (scan) bus_sub_scan(sub, dir);
    follow_t *f = o_since ? s_follow(sub, dir, since) : NULL;

    int64_t start = clock_mono_ns(), last_scan = start;
    int64_t deadline = o_timeout > 0 ? start + (int64_t)(o_timeout * NS_PER_S) : 0;
    long printed = 0;
    int rc = 0;
    while (!prog_stop && (o_count == 0 || printed < o_count)) {
        int64_t now = clock_mono_ns();
        if (deadline && now >= deadline) break;
        if (scan && now - last_scan >= NS_PER_S / 2) {
            bus_sub_scan(sub, dir);
            last_scan = now;
        }
        int wait = 200;
        if (deadline && (deadline - now) / NS_PER_MS < wait) wait = (int)((deadline - now) / NS_PER_MS);
        bus_msg_t m;
        int r = f ? follow_recv(f, &m, wait) : bus_sub_recv(sub, &m, wait);
        if (r < 0) break;
        if (r == 0 || (f && !prog_topic_any(&prefixes, m.topic))) continue;
        if (m.lost)
            fprintf(stderr, "tap: gap src=%s epoch=%s lost=%llu before seq=%llu\n", m.src, m.epoch,
                    (unsigned long long)m.lost, (unsigned long long)m.seq);
        if (m.restarted)
            fprintf(stderr, "tap: restart src=%s new epoch=%s (not a gap)\n", m.src, m.epoch);
        if (o_json) printf("%s\n", m.body);
        else printf("%s %s\n", m.topic, m.body);
        if (ferror(stdout)) break; /* the reader went away (EPIPE: SIGPIPE is ignored) */
        printed++;
    }
    const bus_sub_stats_t *st = bus_sub_stats(sub);
    fprintf(stderr, "tap: printed=%ld received=%llu lost=%llu gaps=%llu restarts=%llu bad=%llu\n",
            printed, (unsigned long long)st->received, (unsigned long long)st->lost,
            (unsigned long long)st->gaps, (unsigned long long)st->restarts,
            (unsigned long long)st->bad);
    if (!prog_stop && deadline && (printed == 0 || (o_count && printed < o_count))) {
        fprintf(stderr, "tap: timeout: %s after %.1f s (%ld of %ld wanted)\n",
                printed ? "too few messages" : "no message", o_timeout, printed, o_count);
        rc = 1;
    }
    follow_destroy(&f);
    bus_sub_destroy(&sub);
    bus_ctx_term();
    strlist_clear(&prefixes);
    return rc;
}
