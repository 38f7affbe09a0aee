/* feedsim: plays feed messages onto the bus for the aggregator's integration tests, as a feed
 * would publish them (its own PUB, the envelope, its own name: run it as --name feed-kraken and
 * the aggregator's default --sub finds it). A script line is `TOPIC {json object}`, or a
 * directive: `#sleep MS`, `#loop` (with --loop, replay from here after the last line),
 * `# text` (comment). In a line, @T+N@ becomes the ISO time of second T0+N (T0 = --t0, default
 * the start second), @MS+N@ its unix ms, and @NOWMS@ the unix ms of the current second. */
#include "bus.h"
#include "clock.h"
#include "log.h"
#include "opts.h"
#include "util.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static char *o_script;
static int o_loop;
static long o_t0, o_delay_ms;
static volatile sig_atomic_t s_stop;

static const opt_t s_opts[] = {
    {"script", OPT_STR, &o_script, NULL, 1, 0, NULL, "script file (TOPIC JSON lines)", OPT_REQUIRED},
    {"loop", OPT_BOOL, &o_loop, "0", 1, 0, NULL, "replay from the #loop line until killed", 0},
    {"t0", OPT_INT, &o_t0, "0", 0, 1e11, NULL, "base second of @T+N@ (0: the start second)", 0},
    {"delay-ms", OPT_INT, &o_delay_ms, "300", 0, 60000, NULL, "wait before the first line", 0},
    {NULL, 0, NULL, NULL, 0, 0, NULL, NULL, 0},
};

static void s_on_signal(int sig)
{
    (void)sig;
    s_stop = 1;
}

static void s_sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (!s_stop && nanosleep(&ts, &ts) != 0) {}
}

/* Expand the placeholders of IN into OUT. */
static void s_expand(const char *in, char *out, size_t n, int64_t t0)
{
    size_t k = 0;
    while (*in && k + 40 < n) {
        long long off = 0;
        int used = 0;
        char iso[40];
        if (sscanf(in, "@T%lld@%n", &off, &used) == 1 && used > 0) {
            k += (size_t)snprintf(out + k, n - k, "%s",
                                  clock_fmt_iso((t0 + off) * NS_PER_S, iso, sizeof iso));
        } else if (sscanf(in, "@MS%lld@%n", &off, &used) == 1 && used > 0) {
            k += (size_t)snprintf(out + k, n - k, "%lld", (long long)((t0 + off) * 1000));
        } else if (!strncmp(in, "@NOWMS@", 7)) {
            used = 7;
            k += (size_t)snprintf(out + k, n - k, "%lld",
                                  (long long)(clock_real_ns() / NS_PER_S * 1000));
        } else {
            out[k++] = *in;
            used = 1;
        }
        in += used;
    }
    out[k] = '\0';
}

int main(int argc, char **argv)
{
    opts_parse("feedsim", "Play feed messages from a script onto the bus.", s_opts, argc, argv,
               NULL);
    FILE *f = fopen(o_script, "r");
    if (!f) fatal(64, "--script %s", o_script);
    strlist_t lines = {0};
    char buf[65536], line[70000];
    int loop_at = 0;
    while (fgets(buf, sizeof buf, f)) {
        buf[strcspn(buf, "\r\n")] = '\0';
        if (!buf[0]) continue;
        if (!strcmp(buf, "#loop")) loop_at = lines.n;
        else if (buf[0] == '#' && strncmp(buf, "#sleep ", 7)) continue;
        else strlist_add(&lines, buf);
    }
    fclose(f);
    if (opts_common.check) return 0;
    char ep[BUS_EP_MAX];
    if (bus_pub_endpoint(opts_common.bus, opts_common.pub, opts_common.name, ep, sizeof ep) < 0)
        return 69;
    bus_pub_t *p = bus_pub_new(opts_common.name, ep, 0);
    if (!p) return 69;
    signal(SIGINT, s_on_signal);
    signal(SIGTERM, s_on_signal);
    int64_t t0 = o_t0 ? o_t0 : clock_real_ns() / NS_PER_S;
    s_sleep_ms(o_delay_ms);
    long sent = 0;
    for (int i = 0; !s_stop && i < lines.n;) {
        const char *l = lines.v[i];
        if (!strncmp(l, "#sleep ", 7)) {
            s_sleep_ms(atol(l + 7));
        } else {
            s_expand(l, line, sizeof line, t0);
            char *sp = strchr(line, ' ');
            char *ob = sp ? strchr(sp, '{') : NULL, *cb = ob ? strrchr(ob, '}') : NULL;
            if (!sp || !ob || !cb) fatalx(64, "--script %s: bad line: %s", o_script, l);
            *sp = '\0';
            ob++;
            while (*ob == ' ') ob++;
            int64_t now = clock_real_ns();
            bus_pub_send(p, line, ob, (size_t)(cb - ob), now, -1);
            sent++;
        }
        if (++i == lines.n && o_loop) i = loop_at;
    }
    s_sleep_ms(300); /* let the I/O thread flush before closing */
    fprintf(stderr, "feedsim: sent=%ld epoch=%s\n", sent, bus_pub_epoch(p));
    bus_pub_destroy(&p);
    bus_ctx_term();
    strlist_clear(&lines);
    return 0;
}
