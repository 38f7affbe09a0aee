/* curvebench: what the bus costs per message over ipc, plain tcp and tcp with CURVE
 * (tests/bench/curve_cost.py runs it for `make bench`). One process, one ZeroMQ context: a PUB
 * made by bus_pub_new and a SUB connected by bus_sub_connect, so CURVE runs through lib/curve
 * exactly as in the programs (this host's key pair, the allow-file, the ZAP handler), and the
 * context's I/O thread does the encryption and decryption on this process's clock.
 *
 *   curvebench ipc|tcp|curve SIZE N DIR
 *
 * SIZE payload bytes (a JSON fragment), N messages. Prints one line:
 *   curvebench transport=T size=S n=N msgs_per_s=.. cpu_ns_per_msg=.. lat_p50_us=.. lat_p99_us=..
 * Throughput: messages sent in batches of 1000, each batch received whole before the next (no
 * loss at the high-water mark); CPU: the process's CPU time (both ends, I/O thread included) per
 * message over those batches. Latency: 2000 messages one at a time, each received before the
 * next is sent (publish to delivery, one way, both ends on this machine). */
#include "bus.h"
#include "clock.h"
#include "curve.h"
#include "log.h"
#include "opts.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int64_t s_cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (int64_t)ts.tv_sec * NS_PER_S + ts.tv_nsec;
}

static int s_cmp(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* Receive until COUNT messages arrived (2 s without one: give up). */
static long s_drain(bus_sub_t *sub, long count)
{
    long got = 0;
    bus_msg_t m;
    while (got < count && bus_sub_recv(sub, &m, 2000) == 1) got++;
    return got;
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: curvebench ipc|tcp|curve SIZE N DIR\n");
        return 64;
    }
    const char *mode = argv[1], *dir = argv[4];
    long size = atol(argv[2]), n = atol(argv[3]);
    if (size < 16 || size > 1 << 20 || n < 1000) return 64;
    log_init("curvebench", LOG_LVL_WARN);
    char pub_ep[BUS_EP_MAX], sub_ep[BUS_EP_MAX + 600], key[512], allow[512], pubfile[512];
    if (!strcmp(mode, "ipc")) {
        snprintf(pub_ep, sizeof pub_ep, "ipc://%s/curvebench.pub", dir);
        snprintf(sub_ep, sizeof sub_ep, "%s", pub_ep);
    } else {
        int port = 20000 + (int)(getpid() % 20000);
        snprintf(pub_ep, sizeof pub_ep, "tcp://127.0.0.1:%d", port);
        if (!strcmp(mode, "tcp")) {
            opts_common.insecure = 1;
            snprintf(sub_ep, sizeof sub_ep, "%s", pub_ep);
        } else {
            curve_pair_t k;
            char why[600], base[400];
            snprintf(base, sizeof base, "%s/host-%d", dir, (int)getpid());
            if (curve_keygen(base, &k, why, sizeof why) < 0) {
                fprintf(stderr, "curvebench: %s\n", why);
                return 1;
            }
            snprintf(key, sizeof key, "%s.key", base);
            snprintf(pubfile, sizeof pubfile, "%s.pub", base);
            snprintf(allow, sizeof allow, "%s/allow-%d", dir, (int)getpid());
            FILE *f = fopen(allow, "w");
            if (!f) return 1;
            fprintf(f, "%s\n", k.pub);
            fclose(f);
            opts_common.curve_key = key;
            opts_common.curve_allow = allow;
            snprintf(sub_ep, sizeof sub_ep, "%s#%s", pub_ep, pubfile);
        }
    }
    bus_pub_t *pub = bus_pub_new("curvebench", pub_ep, 2 * 1000 + 10);
    bus_sub_t *sub = bus_sub_new();
    if (!pub || bus_sub_connect(sub, sub_ep) < 0) return 1;
    char *body = xmalloc((size_t)size + 1);
    memset(body, 'x', (size_t)size);
    memcpy(body, "\"p\":\"", 5);
    body[size - 1] = '"';
    body[size] = '\0';
    /* joined: the subscription has reached the publisher */
    bus_msg_t m;
    int joined = 0;
    for (int i = 0; i < 200 && !joined; i++) {
        bus_pub_send(pub, "warm", body, (size_t)size, clock_real_ns(), -1);
        joined = bus_sub_recv(sub, &m, 50) == 1;
    }
    if (!joined) {
        fprintf(stderr, "curvebench: %s: the subscriber never joined\n", mode);
        return 1;
    }
    while (bus_sub_recv(sub, &m, 100) == 1) {}
    /* throughput and CPU */
    long got = 0;
    int64_t t0 = clock_mono_ns(), c0 = s_cpu_ns();
    for (long sent = 0; sent < n;) {
        long batch = n - sent < 1000 ? n - sent : 1000;
        for (long i = 0; i < batch; i++)
            bus_pub_send(pub, "bench", body, (size_t)size, clock_real_ns(), -1);
        sent += batch;
        got += s_drain(sub, batch);
    }
    int64_t t1 = clock_mono_ns(), c1 = s_cpu_ns();
    /* latency, one at a time */
    enum { LAT_N = 2000 };
    int64_t *lat = xmalloc(LAT_N * sizeof *lat);
    int nl = 0;
    for (int i = 0; i < LAT_N; i++) {
        int64_t s = clock_mono_ns();
        bus_pub_send(pub, "lat", body, (size_t)size, clock_real_ns(), -1);
        if (bus_sub_recv(sub, &m, 2000) != 1) break;
        lat[nl++] = clock_mono_ns() - s;
    }
    qsort(lat, (size_t)nl, sizeof *lat, s_cmp);
    double secs = (double)(t1 - t0) / 1e9;
    printf("curvebench transport=%s size=%ld n=%ld got=%ld msgs_per_s=%.0f cpu_ns_per_msg=%.0f "
           "lat_p50_us=%.1f lat_p99_us=%.1f\n",
           mode, size, n, got, (double)got / secs, (double)(c1 - c0) / (double)(got ? got : 1),
           nl ? (double)lat[nl / 2] / 1e3 : -1.0, nl ? (double)lat[nl * 99 / 100] / 1e3 : -1.0);
    curve_stats_t st;
    curve_stats(&st);
    if (!strcmp(mode, "curve") && st.peers < 1) {
        fprintf(stderr, "curvebench: no CURVE handshake counted\n");
        return 1;
    }
    free(lat);
    free(body);
    bus_sub_destroy(&sub);
    bus_pub_destroy(&pub);
    bus_ctx_term();
    if (!strcmp(mode, "curve")) {
        unlink(key);
        unlink(pubfile);
        unlink(allow);
    }
    return got == n ? 0 : 1;
}
