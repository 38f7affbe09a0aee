/* catchup: the cost of catch-up for `make bench`. Fills an aggregator history
 * (aggregator/history) with WINDOW seconds of ticks (a real tick record from
 * tests/fixtures/agg/world-bus.expected, its second rewritten) and an event every
 * 30 s, then times a reader (sink/follow) fetching all of it over ipc, page by
 * page, as a sink that was away for the whole window does. Prints
 *   catchup window_s=W entries=N bytes=B rss_kb=K fill_ms=F serve_ms=S got=G
 * for each of REPS fetches (best and median are taken by bench.py). */
#include "bus.h"
#include "clock.h"
#include "follow.h"
#include "history.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

static long s_rss_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "VmRSS:", 6)) kb = atol(line + 6);
    if (f) fclose(f);
    return kb;
}

/* The first tick record of the fixture as a fragment, cut around its "ts" value: the part
 * before it, and in *AFTER the part after it. */
static char *s_template(const char *path, char **after)
{
    FILE *f = fopen(path, "r");
    if (!f) return NULL;
    char *line = NULL, *out = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, f) > 0) {
        if (strncmp(line, "tick {", 6)) continue;
        char *body = line + 6, *ts = strstr(body, "\"ts\":\"");
        if (!ts) continue;
        ts += 6;
        char *end = strchr(ts, '"');
        size_t n = strlen(body);
        if (body[n - 1] == '\n') body[--n] = '\0';
        if (n && body[n - 1] == '}') body[--n] = '\0'; /* a fragment for bus_pub_send */
        out = strndup(body, (size_t)(ts - body));
        *after = strdup(end);
        break;
    }
    free(line);
    fclose(f);
    return out;
}

int main(int argc, char **argv)
{
    int window = argc > 1 ? atoi(argv[1]) : 900, reps = argc > 2 ? atoi(argv[2]) : 5;
    const char *fixture = argc > 3 ? argv[3] : "tests/fixtures/agg/world-bus.expected";
    log_init("catchup", LOG_LVL_WARN);
    char *after = NULL, *tpl = s_template(fixture, &after);
    if (!tpl) {
        fprintf(stderr, "catchup: no tick in %s\n", fixture);
        return 1;
    }
    char dir[] = "/tmp/tickbus-bench-catchup-XXXXXX", pub_ep[256], hist_ep[256];
    if (!mkdtemp(dir)) return 1;
    snprintf(pub_ep, sizeof pub_ep, "ipc://%s/aggregator.pub", dir);
    snprintf(hist_ep, sizeof hist_ep, "ipc://%s/aggregator.hist", dir);
    long rss0 = s_rss_kb();
    bus_pub_t *pub = bus_pub_new("aggregator", pub_ep, 0);
    history_t *h = history_new(window, (size_t)1 << 30, bus_pub_epoch(pub));
    bus_pub_observe(pub, history_observe, h);
    void *router = zmq_socket(bus_ctx(), ZMQ_ROUTER);
    zmq_bind(router, hist_ep);
    int64_t t0 = 1795824000, c0 = clock_mono_ns();
    char body[16384], iso[32];
    for (int64_t s = t0; s < t0 + window; s++) {
        int n = snprintf(body, sizeof body, "%s%s%s", tpl,
                         clock_fmt_iso(s * NS_PER_S, iso, sizeof iso), after);
        bus_pub_send(pub, "tick", body, (size_t)n, s * NS_PER_S, -1);
        if (s % 30 == 0) {
            n = snprintf(body, sizeof body, "\"type\":\"market_open\",\"ts\":\"%s\",\"ticker\":\"K\"", iso);
            bus_pub_send(pub, "event.market_open", body, (size_t)n, s * NS_PER_S, -1);
        }
    }
    double fill_ms = (double)(clock_mono_ns() - c0) / 1e6;
    const history_stats_t *st = history_stats(h);
    long rss = s_rss_kb() - rss0;
    for (int r = 0; r < reps; r++) {
        bus_sub_t *sub = bus_sub_new();
        follow_t *f = follow_new(sub, (t0 - 1) * NS_PER_S, 10000);
        follow_source(f, "aggregator", hist_ep);
        int64_t a = clock_mono_ns();
        long got = 0;
        while (got < (long)st->entries) {
            history_serve(h, router);
            bus_msg_t m;
            int k = follow_recv(f, &m, 1);
            if (k == 1) got++;
            if (clock_mono_ns() - a > 30 * NS_PER_S) break;
        }
        double serve_ms = (double)(clock_mono_ns() - a) / 1e6;
        printf("catchup window_s=%d entries=%llu bytes=%llu rss_kb=%ld fill_ms=%.1f serve_ms=%.1f "
               "got=%ld\n", window, (unsigned long long)st->entries, (unsigned long long)st->bytes,
               rss, fill_ms, serve_ms, got);
        follow_destroy(&f);
        bus_sub_destroy(&sub);
    }
    zmq_close(router);
    history_destroy(&h);
    bus_pub_destroy(&pub);
    bus_ctx_term();
    free(tpl);
    free(after);
    char sock[300];
    snprintf(sock, sizeof sock, "%s/aggregator.pub", dir);
    unlink(sock);
    snprintf(sock, sizeof sock, "%s/aggregator.hist", dir);
    unlink(sock);
    rmdir(dir);
    return 0;
}
