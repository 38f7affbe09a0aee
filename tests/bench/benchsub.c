/* benchsub: the bus subscriber of `make bench` (tests/bench/run.sh). It
 * connects to the given PUB endpoints and, for DURATION seconds:
 *  - on every hb.* message reads the sender's CPU time from /proc/PID/stat at
 *    once and writes "t_ns cpu_ns {hb json}" to --hb-out, so a program's CPU
 *    and its counters are sampled at the same instant;
 *  - after --skip seconds, records the bus latency (receive time - ts_pub) per
 *    topic class (quote, book, trade, tick, other) and the tick emission lag
 *    (ts_pub - the second the tick is for);
 *  - at the end prints key=value summary lines on stdout, with the messages
 *    lost as seen from per-publisher seq gaps. */
#include "bus.h"
#include "clock.h"
#include "log.h"
#include "util.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { C_QUOTE, C_BOOK, C_TRADE, C_TICK, C_OTHER, C_N };
static const char *s_cname[C_N] = {"quote", "book", "trade", "tick", "other"};

typedef struct {
    int64_t *v;
    size_t n, cap;
} vec_t;

static vec_t s_lat[C_N], s_lag;
static uint64_t s_count[C_N];
static volatile sig_atomic_t s_stop;

static void s_on_signal(int sig)
{
    (void)sig;
    s_stop = 1;
}

static void s_push(vec_t *v, int64_t x)
{
    if (v->n == v->cap) {
        v->cap = v->cap ? v->cap * 2 : 65536;
        v->v = xrealloc(v->v, v->cap * sizeof *v->v);
    }
    v->v[v->n++] = x;
}

static int s_cmp(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static void s_print(const char *what, vec_t *v)
{
    if (!v->n) {
        printf("%s n=0\n", what);
        return;
    }
    qsort(v->v, v->n, sizeof *v->v, s_cmp);
    printf("%s n=%zu p50_us=%.1f p99_us=%.1f max_us=%.1f\n", what, v->n,
           v->v[v->n / 2] / 1e3, v->v[(v->n * 99) / 100] / 1e3, v->v[v->n - 1] / 1e3);
}

/* utime+stime of PID in ns, or -1. */
static int64_t s_proc_cpu(long pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    FILE *fp = fopen(path, "r");
    if (!fp) return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, fp);
    fclose(fp);
    buf[n] = 0;
    char *p = strrchr(buf, ')');
    if (!p) return -1;
    unsigned long long ut, st;
    /* after ")": state(3) ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime */
    if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
        return -1;
    return (int64_t)((ut + st) * (1000000000ULL / (unsigned long long)sysconf(_SC_CLK_TCK)));
}

static long s_json_long(const char *body, const char *key)
{
    char k[64];
    snprintf(k, sizeof k, "\"%s\":", key);
    const char *p = strstr(body, k);
    return p ? strtol(p + strlen(k), NULL, 10) : -1;
}

static void s_usage(void)
{
    fprintf(stderr, "usage: benchsub --sub EP... [--duration S] [--skip S] [--hb-out FILE]\n");
    exit(64);
}

int main(int argc, char **argv)
{
    static const struct option lo[] = {{"sub", 1, 0, 's'},      {"duration", 1, 0, 'd'},
                                       {"skip", 1, 0, 'k'},     {"hb-out", 1, 0, 'h'},
                                       {0, 0, 0, 0}};
    double duration = 10, skip = 0;
    const char *hb_path = NULL;
    log_init("benchsub", 1);
    bus_sub_t *sub = bus_sub_new();
    int nsub = 0, c;
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (c) {
        case 's':
            if (bus_sub_connect(sub, optarg) < 0) return 64;
            nsub++;
            break;
        case 'd': duration = atof(optarg); break;
        case 'k': skip = atof(optarg); break;
        case 'h': hb_path = optarg; break;
        default: s_usage();
        }
    }
    if (!nsub) s_usage();
    FILE *hb = hb_path ? fopen(hb_path, "w") : NULL;
    if (hb_path && !hb) {
        perror(hb_path);
        return 64;
    }
    signal(SIGINT, s_on_signal);
    signal(SIGTERM, s_on_signal);
    int64_t start = clock_mono_ns(), end = start + (int64_t)(duration * 1e9);
    int64_t from = start + (int64_t)(skip * 1e9);
    bus_msg_t m;
    while (!s_stop) {
        int64_t now = clock_mono_ns();
        if (now >= end) break;
        int r = bus_sub_recv(sub, &m, 100);
        if (r < 0) break;
        if (r == 0) continue;
        int64_t t_rx = clock_real_ns();
        if (!strncmp(m.topic, "hb.", 3)) {
            long pid = s_json_long(m.body, "pid");
            int64_t cpu = pid > 0 ? s_proc_cpu(pid) : -1;
            if (hb) fprintf(hb, "%lld %lld %s\n", (long long)t_rx, (long long)cpu, m.body);
            continue;
        }
        int cl = !strncmp(m.topic, "quote.", 6)   ? C_QUOTE
                 : !strncmp(m.topic, "book.", 5)  ? C_BOOK
                 : !strncmp(m.topic, "trade.", 6) ? C_TRADE
                 : !strcmp(m.topic, "tick")       ? C_TICK
                                                  : C_OTHER;
        s_count[cl]++;
        if (clock_mono_ns() < from) continue;
        s_push(&s_lat[cl], t_rx - m.ts_pub);
        if (cl == C_TICK) {
            const char *p = strstr(m.body, "\"ts\":\"");
            int64_t sec;
            if (p && clock_parse_iso(p + 6, 20, &sec) == 0) s_push(&s_lag, m.ts_pub - sec);
        }
    }
    if (hb) fclose(hb);
    const bus_sub_stats_t *st = bus_sub_stats(sub);
    printf("bus received=%llu lost=%llu gaps=%llu restarts=%llu bad=%llu\n",
           (unsigned long long)st->received, (unsigned long long)st->lost,
           (unsigned long long)st->gaps, (unsigned long long)st->restarts,
           (unsigned long long)st->bad);
    for (int i = 0; i < C_N; i++) {
        char what[64];
        snprintf(what, sizeof what, "lat.%s count=%llu", s_cname[i],
                 (unsigned long long)s_count[i]);
        s_print(what, &s_lat[i]);
        free(s_lat[i].v);
    }
    s_print("ticklag", &s_lag);
    free(s_lag.v);
    bus_sub_destroy(&sub);
    bus_ctx_term();
    return 0;
}
