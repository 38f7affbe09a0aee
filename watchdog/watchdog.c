/* watchdog: the bus row of docs/CONTRACT.md, 'Healing layers'. A daemon that
 * follows hb.<name> of every program it is told about (--unit NAME=UNIT) and
 * restarts the unit of one whose hb goes missing or whose progress freezes,
 * through systemd (sd-bus RestartUnit) or a command, rate-limited per unit;
 * each restart is an event.restart on its own PUB. The output row (the data
 * file's freshness) is tickbus-freshness; `watchdog --check-file` still runs
 * that oneshot for this release, with a warning, for units that call it. */
#include "prog.h"
#include "bus.h"
#include "clock.h"
#include "hb.h"
#include "jtok.h"
#include "jw.h"
#include "log.h"
#include "opts.h"
#include "wdfresh.h"
#include "wdrestart.h"
#include "wdwatch.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

static strlist_t o_units, o_deadlines;
static double o_hb_timeout, o_grace, o_interval;
static double o_feed_deadline, o_agg_deadline, o_sink_deadline, o_other_deadline;
static wdrestart_opts_t o_restart;
static long o_storm_max;
static double o_storm_window, o_storm_backoff, o_storm_backoff_max;
static char *o_check_file;
static wdfresh_opts_t o_fresh;

static const opt_t s_opts[] = {
    {"unit", OPT_LIST, &o_units, NULL, 1, 0, NULL,
     "watch program NAME (its hb.NAME) run as systemd unit UNIT: NAME=UNIT (repeatable; the "
     "environment takes a space-separated list)", 0},
    {"hb-timeout", OPT_DBL, &o_hb_timeout, "5", 0.5, 3600, NULL,
     "restart a program whose hb is missing this many seconds", 0},
    {"deadline", OPT_LIST, &o_deadlines, NULL, 1, 0, NULL,
     "progress deadline of one program, NAME=SECONDS (0: not judged; repeatable)", 0},
    {"feed-deadline", OPT_DBL, &o_feed_deadline, "60", 0, 86400, NULL,
     "progress deadline of feed-* programs (0: not judged)", 0},
    {"aggregator-deadline", OPT_DBL, &o_agg_deadline, "5", 0, 86400, NULL,
     "progress deadline of aggregator* programs", 0},
    {"sink-deadline", OPT_DBL, &o_sink_deadline, "10", 0, 86400, NULL,
     "progress deadline of sink-* programs", 0},
    {"other-deadline", OPT_DBL, &o_other_deadline, "0", 0, 86400, NULL,
     "progress deadline of programs with other names", 0},
    {"grace", OPT_DBL, &o_grace, "10", 0, 3600, NULL,
     "seconds after start and after a restart before a unit is judged again", 0},
    {"interval", OPT_DBL, &o_interval, "0.5", 0.05, 10, NULL, "seconds between checks", 0},
    WDRESTART_OPTS(o_restart),
    {"storm-max", OPT_INT, &o_storm_max, "5", 1, WDWATCH_STORM_CAP, NULL,
     "restarts of one unit allowed per --storm-window before event.restart_storm", 0},
    {"storm-window", OPT_DBL, &o_storm_window, "300", 1, 86400, NULL, "seconds", 0},
    {"storm-backoff", OPT_DBL, &o_storm_backoff, "60", 1, 86400, NULL,
     "seconds restarts are held off after a storm (doubles each storm)", 0},
    {"storm-backoff-max", OPT_DBL, &o_storm_backoff_max, "1800", 1, 86400, NULL,
     "upper bound of the hold-off", 0},
    {"check-file", OPT_STR, &o_check_file, NULL, 1, 0, NULL,
     "deprecated, use tickbus-freshness (same options): oneshot: glob of the data files (quote "
     "it); restart --restart-unit if the newest is stale",
     0},
    WDFRESH_OPTS(o_fresh),
    {NULL, 0, NULL, NULL, 0, 0, NULL, NULL, 0},
};


/* --- daemon: hb watch --- */

typedef struct {
    wdwatch_t *watch;
    wdrestart_t *backend;
    bus_pub_t *pub;
    jw_t w;
    jtok_t tok;
} s_ctx_t;

static double s_default_deadline(const char *name)
{
    for (int i = 0; i < o_deadlines.n; i++) {
        const char *d = o_deadlines.v[i], *eq = strchr(d, '=');
        if (eq && (size_t)(eq - d) == strlen(name) && !strncmp(d, name, (size_t)(eq - d))) {
            char *end;
            double s = strtod(eq + 1, &end);
            if (end == eq + 1 || *end || s < 0) opts_die("deadline", d, "expected NAME=SECONDS");
            return s;
        }
    }
    if (!strncmp(name, "feed-", 5)) return o_feed_deadline;
    if (!strncmp(name, "aggregator", 10)) return o_agg_deadline;
    if (!strncmp(name, "sink-", 5)) return o_sink_deadline;
    return o_other_deadline;
}

static void s_add_units(wdwatch_t *watch)
{
    for (int i = 0; i < o_units.n; i++) {
        const char *u = o_units.v[i], *eq = strchr(u, '=');
        if (!eq || eq == u || !eq[1] || eq - u >= 64)
            opts_die("unit", u, "expected NAME=UNIT, e.g. feed-kraken=tickbus-feed@kraken.service");
        char name[64];
        snprintf(name, sizeof name, "%.*s", (int)(eq - u), u);
        double dl = s_default_deadline(name);
        if (wdwatch_add(watch, name, eq + 1, dl) < 0) opts_die("unit", u, "program listed twice");
        log_info("watching name=%s unit=%s progress_deadline_s=%g", name, eq + 1, dl);
    }
    for (int i = 0; i < o_deadlines.n; i++) {
        const char *d = o_deadlines.v[i], *eq = strchr(d, '=');
        if (!eq) opts_die("deadline", d, "expected NAME=SECONDS");
    }
}

/* An hb.NAME message: record pid, progress and idle_s of a watched program. */
static void s_on_hb(s_ctx_t *c, const bus_msg_t *m, int64_t now)
{
    const char *name = m->topic + 3;
    jtok_t *d = &c->tok;
    int64_t pid = 0, progress = -1;
    double idle = -1;
    int blocked = 0;
    if (jtok_parse(d, m->body, m->body_len) > 0 && jtok_type(d, 0) == JSMN_OBJECT) {
        int i;
        if ((i = jtok_get(d, 0, "pid")) >= 0) jtok_int(d, i, &pid);
        if ((i = jtok_get(d, 0, "progress")) >= 0) jtok_int(d, i, &progress);
        int64_t idle_ms;
        if ((i = jtok_get(d, 0, "idle_s")) >= 0 && jtok_fixed(d, i, 3, &idle_ms) == 0)
            idle = (double)idle_ms / 1000;
        blocked = jtok_type(d, jtok_get(d, 0, "blocked")) == JSMN_STRING;
    }
    if (progress < 0) {
        log_warnx_rl("hb.%s without a valid progress field: ignored", name);
        return;
    }
    wdwatch_hb(c->watch, name, now, pid, (uint64_t)progress, idle);
    if (blocked) wdwatch_blocked(c->watch, name, now);
}

static void s_publish(s_ctx_t *c, const char *topic)
{
    bus_pub_send(c->pub, topic, c->w.buf, c->w.len, clock_real_ns(), -1);
}

static int s_on_action(const wdwatch_action_t *a, void *arg)
{
    s_ctx_t *c = arg;
    jw_fragment(&c->w);
    jw_kstr(&c->w, "unit", a->unit);
    jw_kstr(&c->w, "name", a->name);
    if (a->kind == WDWATCH_STORM) {
        jw_kint(&c->w, "restarts", a->restarts);
        jw_kdbl(&c->w, "window_s", o_storm_window, 1);
        jw_kdbl(&c->w, "backoff_s", a->backoff_s, 1);
        s_publish(c, "event.restart_storm");
        log_crit("restart storm unit=%s name=%s restarts=%d window_s=%g: holding restarts off "
                 "for %g s; needs a person", a->unit, a->name, a->restarts, o_storm_window,
                 a->backoff_s);
        return 0;
    }
    char err[512];
    int rc = wdrestart_unit(c->backend, a->unit, a->name, err, sizeof err);
    if (rc == WDRESTART_SKIPPED) {
        log_info("not restarting unit=%s name=%s reason=%s: %s", a->unit, a->name, a->reason, err);
        return 1;
    }
    jw_kstr(&c->w, "reason", a->reason);
    if (!strcmp(a->reason, "hb_missing")) jw_kdbl(&c->w, "missing_s", a->missing_s, 1);
    else jw_kdbl(&c->w, "idle_s", a->idle_s, 1);
    if (a->pid) jw_kint(&c->w, "pid", a->pid);
    else jw_knull(&c->w, "pid");
    jw_kint(&c->w, "restarts", a->restarts);
    jw_kstr(&c->w, "backend", wdrestart_kind(c->backend));
    jw_kbool(&c->w, "ok", rc == 0);
    if (rc < 0) jw_kstr(&c->w, "error", err);
    s_publish(c, "event.restart");
    if (rc < 0)
        log_warnx("restart failed unit=%s name=%s reason=%s: %s", a->unit, a->name, a->reason,
                  err);
    else
        log_notice("restart unit=%s name=%s reason=%s %s=%.1f pid=%lld restarts_in_window=%d",
                   a->unit, a->name, a->reason,
                   !strcmp(a->reason, "hb_missing") ? "missing_s" : "idle_s",
                   !strcmp(a->reason, "hb_missing") ? a->missing_s : a->idle_s,
                   (long long)a->pid, a->restarts);
    return rc;
}

static void s_hb_detail(jw_t *w, void *arg)
{
    s_ctx_t *c = arg;
    jw_kuint(w, "restarts", wdwatch_restarts(c->watch));
    jw_kuint(w, "storms", wdwatch_storms(c->watch));
    wdwatch_write(c->watch, w, clock_mono_ns());
}

static int s_daemon(wdrestart_t *backend)
{
    wdrestart_set_recent(backend, o_grace);
    if (o_units.n == 0) opts_die("unit", "", "give at least one --unit NAME=UNIT (or --check-file)");
    int64_t start = clock_mono_ns();
    wdwatch_cfg_t cfg = {.hb_timeout_s = o_hb_timeout, .grace_s = o_grace,
                         .storm_max = (int)o_storm_max, .storm_window_s = o_storm_window,
                         .storm_backoff_s = o_storm_backoff,
                         .storm_backoff_max_s = o_storm_backoff_max};
    s_ctx_t c = {.backend = backend};
    c.watch = wdwatch_new(&cfg, start);
    s_add_units(c.watch);

    char dir[400] = "", ep[BUS_EP_MAX];
    int scan = opts_common.sub.n == 0;
    if ((scan && bus_dir(opts_common.bus, dir, sizeof dir) < 0) ||
        bus_pub_endpoint(opts_common.bus, opts_common.pub, opts_common.name, ep, sizeof ep) < 0)
        return EX_UNAVAILABLE;
    if (opts_common.check) {
        wdwatch_destroy(&c.watch);
        return 0;
    }
    opts_log_effective("watchdog", s_opts);
    c.pub = bus_pub_new(opts_common.name, ep, 0);
    if (!c.pub) return EX_UNAVAILABLE;
    bus_sub_t *sub = bus_sub_new();
    for (int i = 0; i < opts_common.sub.n; i++)
        if (bus_sub_connect(sub, opts_common.sub.v[i]) < 0) return EX_USAGE;
    bus_sub_prefix(sub, "hb.");
    /* Filter at the publishers too: the watchdog needs no books or ticks, and
     * its bus loss counters (then meaningless) are not reported anywhere. */
    zmq_setsockopt(bus_sub_zsock(sub), ZMQ_UNSUBSCRIBE, "", 0);
    zmq_setsockopt(bus_sub_zsock(sub), ZMQ_SUBSCRIBE, "hb.", 3);
    if (scan) bus_sub_scan(sub, dir);
    jw_init(&c.w, 512);
    jtok_init(&c.tok);
    hb_t *hb = hb_new(c.pub, s_hb_detail, &c);
    hb_ready(hb, "watching");
    log_info("watchdog ready: %d programs, backend=%s, hb_timeout_s=%g grace_s=%g",
             wdwatch_count(c.watch), wdrestart_kind(backend), o_hb_timeout, o_grace);

    int64_t interval = (int64_t)(o_interval * NS_PER_S), next_check = start + interval;
    int64_t last_scan = start;
    while (!prog_stop) {
        int64_t now = clock_mono_ns();
        if (scan && now - last_scan >= NS_PER_S) {
            bus_sub_scan(sub, dir);
            last_scan = now;
        }
        /* drain what is there, but never past the next check */
        int64_t left = next_check - now;
        int wait = left > 0 ? (int)((left + NS_PER_MS - 1) / NS_PER_MS) : 0;
        bus_msg_t m;
        int r = bus_sub_recv(sub, &m, wait);
        now = clock_mono_ns();
        if (r > 0) s_on_hb(&c, &m, now);
        else if (r < 0 && !prog_stop) {
            log_warnx_rl("bus receive failed: retrying");
            struct timespec ts = {0, 100 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
        if (now >= next_check) {
            wdwatch_check(c.watch, now, s_on_action, &c);
            hb_progress(hb, 1); /* a check completed: this is what WATCHDOG=1 vouches for */
            next_check += interval;
            if (next_check <= now) next_check = now + interval;
        }
        wdrestart_reap(backend);
        hb_tick(hb);
    }
    log_info("stopping: restarts=%llu storms=%llu",
             (unsigned long long)wdwatch_restarts(c.watch),
             (unsigned long long)wdwatch_storms(c.watch));
    hb_destroy(&hb);
    bus_sub_destroy(&sub);
    bus_pub_destroy(&c.pub);
    bus_ctx_term();
    jw_free(&c.w);
    jtok_free(&c.tok);
    wdwatch_destroy(&c.watch);
    return 0;
}

int main(int argc, char **argv)
{
    opts_parse("watchdog",
               "Restart tickbus programs whose hb stops or whose progress freezes "
               "(--unit NAME=UNIT...).\n(--check-file, the data file's freshness oneshot, is "
               "now tickbus-freshness.)",
               s_opts, argc, argv, NULL);
    wdrestart_t *backend = wdrestart_from_opts(&o_restart);
    prog_signals(PROG_SIG_INTERRUPT);
    int rc;
    if (o_check_file && *o_check_file) {
        log_warnx("--check-file is deprecated and goes in the next release: run tickbus-freshness "
                  "with the same options");
        rc = wdfresh_check(o_check_file, &o_fresh, backend, opts_common.check);
    } else {
        rc = s_daemon(backend);
    }
    wdrestart_wait(backend, 5000);
    wdrestart_destroy(&backend);
    strlist_clear(&o_units);
    strlist_clear(&o_deadlines);
    return rc;
}
