/* tickbus: the operator's command (the Go collector's botctl).
 *   tickbus status [--wait S] [--dir DIR] [--prefix P]   every program's health, from the bus
 *   tickbus up|down|restart [UNIT]                          systemctl --user on installed units
 *   tickbus logs [UNIT] [journalctl args]                   journalctl --user for tickbus units
 *   tickbus plot DATE [...]                                 renders a day to PNG (compose/tickbus-plot)
 *   tickbus series [venues|list]                            the configured series (SERIES_TICKER)
 * status listens to hb.* for --wait seconds: state, hb age, progress rate,
 * reconnects/gaps/resyncs summed over upstreams, what sink-jsonl's hb says of
 * its file, and today's data file with its line count (read from --dir). */
#include "prog.h"
#include "bus.h"
#include "clock.h"
#include "curve.h"
#include "jtok.h"
#include "log.h"
#include "opts.h"
#include "series.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static double o_wait;
static char *o_dir, *o_prefix, *o_expect;

typedef struct {
    char name[64];
    char state[16];
    int64_t first_rx, last_rx;
    int64_t first_progress, last_progress;
    int64_t reconnects, gaps, resyncs, drops;
    int64_t pid, up_s;
    int hbs;
    /* its tcp side (lib/curve), when its hb has one: -1 otherwise */
    int64_t curve_peers, curve_refused_key, curve_refused_protocol, curve_disconnects;
    /* a JSONL sink's own account of its file, from its hb */
    char sink_day[16];
    int64_t sink_lines, sink_durable, sink_pending;
} s_prog_t;

#define MAXP 64
static s_prog_t s_progs[MAXP];
static int s_np;

static s_prog_t *s_find(const char *name)
{
    for (int i = 0; i < s_np; i++)
        if (!strcmp(s_progs[i].name, name)) return &s_progs[i];
    if (s_np == MAXP) return NULL;
    s_prog_t *p = &s_progs[s_np++];
    memset(p, 0, sizeof *p);
    snprintf(p->name, sizeof p->name, "%s", name);
    snprintf(p->state, sizeof p->state, "?");
    p->sink_lines = p->sink_durable = p->sink_pending = -1;
    p->curve_peers = -1;
    return p;
}

/* Sum counters named KEY at the top level and one object level down. */
static int64_t s_sum(const jtok_t *d, const char *key)
{
    int64_t total = 0, v;
    int members = jtok_size(d, 0), i = 1;
    for (int m = 0; m < members && i < d->n; m++) {
        int val = i + 1;
        if (jtok_eq(d, i, key) && jtok_int(d, val, &v) == 0) total += v;
        if (jtok_type(d, val) == JSMN_OBJECT) {
            int k = jtok_get(d, val, key);
            if (k >= 0 && jtok_int(d, k, &v) == 0) total += v;
        }
        i = jtok_skip(d, val);
    }
    return total;
}

static void s_take(const bus_msg_t *m, jtok_t *d)
{
    if (jtok_parse(d, m->body, m->body_len) <= 0) return;
    s_prog_t *p = s_find(m->topic + 3);
    if (!p) return;
    int64_t prog = 0, now = clock_real_ns();
    jtok_int(d, jtok_get(d, 0, "progress"), &prog);
    jtok_int(d, jtok_get(d, 0, "pid"), &p->pid);
    jtok_int(d, jtok_get(d, 0, "up_s"), &p->up_s);
    jtok_str(d, jtok_get(d, 0, "state"), p->state, sizeof p->state);
    if (!p->hbs++) {
        p->first_rx = now;
        p->first_progress = prog;
    }
    p->last_rx = now;
    p->last_progress = prog;
    p->reconnects = s_sum(d, "reconnects");
    p->gaps = s_sum(d, "gaps");
    p->resyncs = s_sum(d, "resyncs");
    p->drops = s_sum(d, "drops") + s_sum(d, "pub_drops");
    int c = jtok_get(d, 0, "curve");
    if (c >= 0) {
        jtok_int(d, jtok_get(d, c, "peers"), &p->curve_peers);
        jtok_int(d, jtok_get(d, c, "refused_key"), &p->curve_refused_key);
        jtok_int(d, jtok_get(d, c, "refused_protocol"), &p->curve_refused_protocol);
        jtok_int(d, jtok_get(d, c, "disconnects"), &p->curve_disconnects);
    }
    if (!strncmp(p->name, "sink-jsonl", 10)) {
        jtok_str(d, jtok_get(d, 0, "day"), p->sink_day, sizeof p->sink_day);
        jtok_int(d, jtok_get(d, 0, "lines"), &p->sink_lines);
        jtok_int(d, jtok_get(d, 0, "durable"), &p->sink_durable);
        jtok_int(d, jtok_get(d, 0, "pending"), &p->sink_pending);
    }
}

static void s_today_file(const char *prefix)
{
    char day[16], path[1024];
    int64_t now = clock_real_ns();
    char iso[40];
    clock_fmt_iso(now, iso, sizeof iso);
    snprintf(day, sizeof day, "%.10s", iso);
    snprintf(path, sizeof path, "%s/%s-%s.jsonl", o_dir, prefix, day);
    FILE *f = fopen(path, "r");
    if (!f) {
        printf("data: %s: %s\n", path, strerror(errno));
        return;
    }
    long lines = 0;
    int c;
    while ((c = getc(f)) != EOF)
        if (c == '\n') lines++;
    fclose(f);
    printf("data: %s: %ld lines\n", path, lines);
}

/* The configured series (SERIES_TICKER and SERIES_<TICKER>); -1 after saying what is wrong. */
static int s_load_series(series_set_t *set)
{
    char err[512];
    if (series_load(set, getenv("SERIES_TICKER"), NULL, err, sizeof err) < 0) {
        fprintf(stderr, "tickbus: SERIES_TICKER: %s\n", err);
        return -1;
    }
    return 0;
}

static int s_status(void)
{
    /* the configuration first: a bad one exits before anything is allocated */
    series_set_t set;
    if (s_load_series(&set) < 0) return EX_USAGE;
    char dir[400];
    if (bus_dir(opts_common.bus, dir, sizeof dir) < 0) return EX_UNAVAILABLE;
    bus_sub_t *sub = bus_sub_new();
    for (int i = 0; i < opts_common.sub.n; i++) bus_sub_connect(sub, opts_common.sub.v[i]);
    if (!opts_common.sub.n) bus_sub_scan(sub, dir);
    bus_sub_prefix(sub, "hb.");
    jtok_t d;
    jtok_init(&d);
    int64_t end = clock_mono_ns() + (int64_t)(o_wait * NS_PER_S), last_scan = clock_mono_ns();
    for (int64_t now; (now = clock_mono_ns()) < end;) {
        if (!opts_common.sub.n && now - last_scan > NS_PER_S / 2) {
            bus_sub_scan(sub, dir);
            last_scan = now;
        }
        bus_msg_t m;
        int r = bus_sub_recv(sub, &m, 100);
        if (r < 0) break;
        if (r > 0) s_take(&m, &d);
    }
    /* programs expected but silent are down: --expect, or (auto) those the configured series
     * run (docs/SERIES.md) */
    if (!strcmp(o_expect, "auto")) {
        const char *used[SERIES_VENUES_MAX];
        char name[96];
        for (int v = 0, n = series_used_venues(&set, used, SERIES_VENUES_MAX); v < n; v++) {
            snprintf(name, sizeof name, "feed-%s", used[v]);
            s_find(name);
        }
        s_find("feed-kalshi");
        for (int i = 0; i < set.n; i++) {
            series_program(&set.s[i], "aggregator", name, sizeof name);
            s_find(name);
            series_program(&set.s[i], "sink-jsonl", name, sizeof name);
            s_find(name);
        }
        s_find("watchdog");
    } else {
        char *exp = xstrdup(o_expect), *save = NULL;
        for (char *t = strtok_r(exp, ", ", &save); t; t = strtok_r(NULL, ", ", &save)) s_find(t);
        free(exp);
    }
    int64_t now = clock_real_ns();
    int bad = 0;
    printf("%-22s %-9s %7s %9s %8s %6s %6s %7s %8s\n", "program", "state", "hb_age", "progress/s",
           "up_s", "recon", "gaps", "resyncs", "drops");
    for (int i = 0; i < s_np; i++) {
        s_prog_t *p = &s_progs[i];
        if (!p->hbs) {
            printf("%-22s %-9s %7s\n", p->name, "down", "none");
            bad++;
            continue;
        }
        double age = (double)(now - p->last_rx) / NS_PER_S;
        double span = (double)(p->last_rx - p->first_rx) / NS_PER_S;
        double rate = span > 0.5 ? (double)(p->last_progress - p->first_progress) / span : 0;
        if (strcmp(p->state, "ok")) bad++;
        printf("%-22s %-9s %6.1fs %10.1f %8lld %6lld %6lld %7lld %8lld\n", p->name, p->state, age,
               rate, (long long)p->up_s, (long long)p->reconnects, (long long)p->gaps,
               (long long)p->resyncs, (long long)p->drops);
    }
    for (int i = 0; i < s_np; i++) {
        const s_prog_t *p = &s_progs[i];
        if (p->sink_lines >= 0)
            printf("%s (its hb): day %s, %lld lines accepted and %lld durable since it "
                   "started, %lld waiting for the disk\n", p->name, p->sink_day[0] ? p->sink_day : "-",
                   (long long)p->sink_lines, (long long)p->sink_durable, (long long)p->sink_pending);
    }
    for (int i = 0; i < s_np; i++) {
        const s_prog_t *p = &s_progs[i];
        if (p->curve_peers >= 0)
            printf("%s (tcp, CURVE): %lld handshakes admitted, %lld refused for a key not in the "
                   "allow-file%s, %lld for no CURVE or a wrong server key, %lld peers lost\n",
                   p->name, (long long)p->curve_peers, (long long)p->curve_refused_key,
                   p->curve_refused_key ? " (its log names the key)" : "",
                   (long long)p->curve_refused_protocol, (long long)p->curve_disconnects);
    }
    if (strcmp(o_prefix, "auto")) s_today_file(o_prefix);
    else
        for (int i = 0; i < set.n; i++) s_today_file(set.s[i].prefix);
    jtok_free(&d);
    bus_sub_destroy(&sub);
    bus_ctx_term();
    return bad ? 1 : 0;
}

static int s_exec(const char *prog, char **args)
{
    execvp(prog, args);
    fprintf(stderr, "tickbus: cannot run %s: %s\n", prog, strerror(errno));
    return EX_UNAVAILABLE;
}

/* tickbus series: the series SERIES_TICKER (and SERIES_<TICKER>) configure, as a table; "venues":
 * the exchange venues any of them uses, one line, space-separated; "list": one line per series,
 * "TICKER AGGREGATOR SINK PREFIX INDEX_TOPIC ASSET VENUE,.." (for compose/launch.sh). */
static int s_series(const char *what)
{
    series_set_t set;
    if (s_load_series(&set) < 0) return EX_USAGE;
    if (what && !strcmp(what, "venues")) {
        const char *used[SERIES_VENUES_MAX];
        for (int v = 0, n = series_used_venues(&set, used, SERIES_VENUES_MAX); v < n; v++)
            printf("%s%s", v ? " " : "", used[v]);
        printf("\n");
        return 0;
    }
    if (what && strcmp(what, "list") != 0) {
        fprintf(stderr, "tickbus series: unknown '%s' (venues, list, or nothing for the table)\n", what);
        return EX_USAGE;
    }
    for (int i = 0; i < set.n; i++) {
        const series_t *r = &set.s[i];
        char agg[64], sink[64], topic[64];
        series_program(r, "aggregator", agg, sizeof agg);
        series_program(r, "sink-jsonl", sink, sizeof sink);
        series_index_topic(r, topic, sizeof topic);
        if (what) {
            printf("%s %s %s %s %s %s ", r->ticker, agg, sink, r->prefix, topic, r->asset);
            for (int j = 0; j < r->nvenues; j++) printf("%s%s", j ? "," : "", r->venues[j]);
            printf("\n");
            continue;
        }
        printf("%s: index %s (%s), asset %s, files %s-YYYY-MM-DD.jsonl, programs %s and %s\n  venues:",
               r->ticker, r->index_id, topic, r->asset, r->prefix, agg, sink);
        for (int j = 0; j < r->nvenues; j++) printf(" %s", r->venues[j]);
        printf("\n  spacing %g %s, %d decimals; constituents: %s\n", r->spacing, r->asset,
               r->decimals, r->source);
    }
    return 0;
}

/* tickbus keygen BASE: this host's CURVE key pair for tcp:// endpoints (lib/curve). */
static int s_keygen(int argc, char **argv)
{
    if (argc != 3 || argv[2][0] == '-') {
        fprintf(stderr, "usage: tickbus keygen BASE   (writes BASE.key, mode 0600, and BASE.pub; "
                        "docs/OPERATIONS.md, 'Two hosts')\n");
        return EX_USAGE;
    }
    curve_pair_t k;
    char why[600];
    int rc = curve_keygen(argv[2], &k, why, sizeof why);
    explicit_bzero(k.sec, sizeof k.sec);
    if (rc < 0) {
        fprintf(stderr, "tickbus keygen: %s\n", why);
        return EX_CANTCREAT;
    }
    printf("%s.key  the key pair (secret: mode 0600; give it with --curve-key / TICKBUS_CURVE_KEY)\n"
           "%s.pub  the public key: on the other host, a line of its --curve-allow file, or\n"
           "        the KEY in tcp://THIS-HOST:PORT#KEY\n"
           "public key: %s\n", argv[2], argv[2], k.pub);
    return 0;
}

static const opt_t s_opts[] = {
    {"wait", OPT_DBL, &o_wait, "2.5", 0.5, 60, NULL, "status: seconds to listen to hb.*", 0},
    {"dir", OPT_STR, &o_dir, "data", 1, 0, "OUTPUT_DIR", "status: data directory", 0},
    {"prefix", OPT_STR, &o_prefix, "auto", 1, 0, NULL,
     "status: data file prefix (auto: each configured series')", 0},
    {"expect", OPT_STR, &o_expect, "auto", 1, 0, NULL,
     "status: programs reported down when silent (a,b,..; auto: the feeds, aggregators, sinks "
     "and watchdog the configured series run)", 0},
    {NULL, 0, NULL, NULL, 0, 0, NULL, NULL, 0},
};

int main(int argc, char **argv)
{
    const char *cmd = argc > 1 ? argv[1] : "status";
    if (!strcmp(cmd, "up") || !strcmp(cmd, "down") || !strcmp(cmd, "restart")) {
        const char *verb = !strcmp(cmd, "up") ? "start" : !strcmp(cmd, "down") ? "stop" : "restart";
        char *args[] = {"systemctl", "--user", (char *)verb,
                        argc > 2 ? argv[2] : "tickbus.target", NULL};
        return s_exec("systemctl", args);
    }
    if (!strcmp(cmd, "logs")) {
        char *args[64] = {"journalctl", "--user", "-o", "short-iso", "-u",
                          argc > 2 && argv[2][0] != '-' ? argv[2] : "tickbus*"};
        int n = 6;
        for (int i = argc > 2 && argv[2][0] != '-' ? 3 : 2; i < argc && n < 63; i++)
            args[n++] = argv[i];
        args[n] = NULL;
        return s_exec("journalctl", args);
    }
    if (!strcmp(cmd, "plot")) {
        char self[1024], script[1100];
        ssize_t k = readlink("/proc/self/exe", self, sizeof self - 1);
        if (k < 0) k = 0;
        self[k] = '\0';
        char *slash = strrchr(self, '/');
        if (slash) *slash = '\0';
        snprintf(script, sizeof script, "%s/tickbus-plot", self);
        argv[0] = script; /* the script takes "plot DATE ..." itself */
        return s_exec(script, argv);
    }
    if (!strcmp(cmd, "series")) return s_series(argc > 2 ? argv[2] : NULL);
    if (!strcmp(cmd, "keygen")) return s_keygen(argc, argv);
    if (strcmp(cmd, "status") != 0 && cmd[0] != '-') {
        fprintf(stderr, "tickbus: unknown command '%s' (status, up, down, restart, logs, plot, series, keygen)\n",
                cmd);
        return EX_USAGE;
    }
    int skip = !strcmp(cmd, "status");
    opts_parse("tickbus", "tickbus status|up|down|restart|logs|plot: the operator's command; "
               "status reads every program's hb.* from the bus.", s_opts, argc - skip,
               argv + skip, NULL);
    return s_status();
}
