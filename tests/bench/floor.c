/* floor: the parse-only floor of `make bench`. Reads a corpus of venue
 * messages (one a line, captured by feedpipe --dump from mockx) and, in
 * alternation, times on the CPU clock (CLOCK_PROCESS_CPUTIME_ID):
 *   jansson  json_loadb + json_decref of each message (a DOM parse, nothing else)
 *   ours     the feed's own per-message path without I/O: jsmn parse, exact
 *            fixed-point numbers, book update, checksum/sequence check and the
 *            quote/trade body formatted (the bus send is not included)
 * Prints "floor rep=N jansson_ns=X ours_ns=Y" per repetition.
 * `floor shapes [REPS]`: jtok_parse alone on 1 MiB frames of different shapes
 * (flat array, arrays nested 32 deep, objects nested 32 deep, 512K arrays
 * deep), best of REPS: "shape name=S bytes=N tokens=T ns=X". */
#include "feed.h"
#include "jtok.h"
#include "log.h"
#include "util.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int64_t s_cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int s_discard(void *arg, const char *topic, const char *body, size_t len, int64_t ts_rx,
                     int64_t ts_ex)
{
    (void)arg, (void)topic, (void)body, (void)len, (void)ts_rx, (void)ts_ex;
    return 0;
}

/* 1 MiB: "[" GROUP "," GROUP ... "]", GROUP being DEPTH arrays (or objects
 * {"k":...}) around a 1; DEPTH < 0: one nest of 512K arrays. */
static char *s_shape(size_t len, int depth, int obj)
{
    char *s = xmalloc(len + 1);
    size_t k = 0;
    if (depth < 0) {
        memset(s, '[', len / 2);
        memset(s + len / 2, ']', len - len / 2);
        return s;
    }
    size_t group = (size_t)depth * (obj ? 6 : 2) + 2;
    s[k++] = '[';
    while (k + group + 1 < len) {
        for (int j = 0; j < depth; j++) k += (size_t)sprintf(s + k, obj ? "{\"k\":" : "[");
        s[k++] = '1';
        for (int j = 0; j < depth; j++) s[k++] = obj ? '}' : ']';
        s[k++] = ',';
    }
    if (s[k - 1] == ',') k--;
    s[k++] = ']';
    while (k < len) s[k++] = ' ';
    return s;
}

static int s_shapes(int reps)
{
    static const struct {
        const char *name;
        int depth, obj;
    } shapes[] = {{"flat", 0, 0}, {"arrays32", 32, 0}, {"objects32", 32, 1}, {"deep512k", -1, 0}};
    size_t len = 1 << 20;
    jtok_t d;
    jtok_init(&d);
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        char *js = s_shape(len, shapes[i].depth, shapes[i].obj);
        int64_t best = INT64_MAX;
        int n = 0;
        for (int r = 0; r < reps; r++) {
            int64_t t0 = s_cpu_ns();
            n = jtok_parse(&d, js, len);
            int64_t t = s_cpu_ns() - t0;
            if (t < best) best = t;
        }
        printf("shape name=%s bytes=%zu tokens=%d ns=%lld\n", shapes[i].name, len, n,
               (long long)best);
        free(js);
    }
    jtok_free(&d);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "shapes")) return s_shapes(argc > 2 ? atoi(argv[2]) : 5);
    if (argc < 3) {
        fprintf(stderr, "usage: floor kraken|coinbase CORPUS [REPS]\n");
        return 64;
    }
    const feed_venue_t *v = !strcmp(argv[1], "kraken") ? &feed_kraken : &feed_coinbase;
    int reps = argc > 3 ? atoi(argv[3]) : 5;
    log_init("floor", LOG_LVL_CRIT);
    FILE *fp = fopen(argv[2], "r");
    if (!fp) {
        perror(argv[2]);
        return 64;
    }
    char **msg = NULL;
    size_t *len = NULL, n = 0, cap = 0, bytes = 0;
    char *line = NULL;
    size_t lcap = 0;
    ssize_t k;
    while ((k = getline(&line, &lcap, fp)) > 0) {
        while (k > 0 && line[k - 1] == '\n') k--;
        if (!k) continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 4096;
            msg = xrealloc(msg, cap * sizeof *msg);
            len = xrealloc(len, cap * sizeof *len);
        }
        msg[n] = xstrndup(line, (size_t)k);
        len[n++] = (size_t)k;
        bytes += (size_t)k;
    }
    free(line);
    fclose(fp);
    if (!n) {
        fprintf(stderr, "floor: %s: empty corpus\n", argv[2]);
        return 65;
    }
    printf("corpus venue=%s msgs=%zu mean_bytes=%.0f\n", v->venue, n, (double)bytes / n);
    for (int r = 0; r < reps; r++) {
        int64_t t0 = s_cpu_ns();
        size_t bad = 0;
        for (size_t i = 0; i < n; i++) {
            json_t *j = json_loadb(msg[i], len[i], 0, NULL);
            if (!j) bad++;
            json_decref(j);
        }
        int64_t t1 = s_cpu_ns();
        feed_t f;
        feed_init(&f, v, 100, s_discard, NULL);
        for (size_t i = 0; i < n; i++) v->parse(&f, msg[i], len[i], 1);
        int64_t t2 = s_cpu_ns();
        printf("floor rep=%d jansson_ns=%.1f ours_ns=%.1f jansson_bad=%zu quotes=%llu "
               "checksums_ok=%llu\n",
               r, (double)(t1 - t0) / n, (double)(t2 - t1) / n, bad,
               (unsigned long long)f.n_quotes, (unsigned long long)f.n_checksum_ok);
        feed_free(&f);
    }
    for (size_t i = 0; i < n; i++) free(msg[i]);
    free(msg);
    free(len);
    return 0;
}
