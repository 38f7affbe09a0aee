/* feedbench: a feed's CPU cost alone, without the network and without mockx as
 * the bottleneck. Loads a JSONL corpus (one websocket message a line, as
 * tests/tools/feedcorpus.sh captures from `mockx --world --rate max`, or the
 * fixtures) into memory and pushes it, in a loop, through the same path the
 * feed uses: the venue parser, lib/book, the integrity checks and publishing
 * (feeds/feed.c: quote.* on every touch change, book.* from the 100 ms tick,
 * trade.*, event.*), one clock_real_ns() per message for ts_rx as wsconn does.
 * Each wrap of the corpus is treated as a fresh connection (feed_on_open), so
 * the Coinbase sequence and the Kraken subscription start again cleanly.
 * Output goes to a counting sink, or with --pub ENDPOINT to a real bus PUB
 * (envelope, ZeroMQ) as in the program.
 * Usage: feedbench VENUE FILE [--seconds S] [--loops N] [--depth D] [--pub EP]
 *   --loops N: exactly N passes (repeatable instruction counts: callgrind),
 *   otherwise passes for S seconds (default 3) after 0.5 s of warm-up.
 * Each pass has two phases: from the simulated connect to the first valid book
 * (acks and the snapshot: once per connection in real life; its mean wall
 * time is first_book_us) and the steady stream after it, which is what msgs,
 * msgs_per_s and cpu_us_per_msg count (CPU = getrusage user+sys of the whole
 * process over those phases; wall-clock rates suffer from a loaded machine,
 * CPU per message much less). Prints one line:
 *   feedbench venue=V msgs=N data=N wall_s=X cpu_s=X msgs_per_s=X
 *   cpu_us_per_msg=X passes=N first_book_us=X quotes=N books=N trades=N
 *   events=N bad=N valid=0|1 bytes_out=N
 * Exit 0, 1 if a bad frame was seen or the book was not valid at the end, 64
 * usage, 66 unreadable file, 69 bus error. */
#include "bus.h"
#include "clock.h"
#include "feed.h"
#include "log.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

typedef struct {
    const char *p;
    size_t n;
} msg_t;

static uint64_t s_quotes, s_books, s_trades, s_events, s_bytes;
static bus_pub_t *s_pub;

static int s_out(void *arg, const char *topic, const char *body, size_t len, int64_t ts_rx,
                 int64_t ts_ex)
{
    (void)arg;
    switch (topic[0]) {
    case 'q': s_quotes++; break;
    case 'b': s_books++; break;
    case 't': s_trades++; break;
    default: s_events++; break;
    }
    s_bytes += len;
    return s_pub ? bus_pub_send(s_pub, topic, body, len, ts_rx, ts_ex) : 0;
}

static double s_cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static void s_usage(void)
{
    fprintf(stderr, "usage: feedbench coinbase|kraken|bitstamp FILE [--seconds S] [--loops N] "
                    "[--depth D] [--pub ENDPOINT]\n");
    exit(64);
}

int main(int argc, char **argv)
{
    if (argc < 3) s_usage();
    log_init("feedbench", LOG_LVL_WARN);
    const feed_venue_t *v = !strcmp(argv[1], "coinbase")   ? &feed_coinbase
                            : !strcmp(argv[1], "kraken")   ? &feed_kraken
                            : !strcmp(argv[1], "bitstamp") ? &feed_bitstamp
                                                           : NULL;
    if (!v) s_usage();
    double seconds = 3;
    long loops = 0, depth = 100;
    const char *ep = NULL;
    for (int i = 3; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--seconds")) seconds = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--loops")) loops = atol(argv[i + 1]);
        else if (!strcmp(argv[i], "--depth")) depth = atol(argv[i + 1]);
        else if (!strcmp(argv[i], "--pub")) ep = argv[i + 1];
        else s_usage();
    }
    if ((argc - 3) % 2) s_usage();

    /* the corpus, in memory */
    FILE *in = fopen(argv[2], "r");
    if (!in) {
        perror(argv[2]);
        return 66;
    }
    char *buf = NULL;
    size_t cap = 0, len = 0, k;
    char chunk[1 << 16];
    while ((k = fread(chunk, 1, sizeof chunk, in)) > 0) {
        if (len + k + 1 > cap) {
            cap = (len + k + 1) * 2;
            buf = xrealloc(buf, cap);
        }
        memcpy(buf + len, chunk, k);
        len += k;
    }
    fclose(in);
    msg_t *m = NULL;
    size_t nm = 0, mcap = 0;
    for (size_t s = 0; s < len;) {
        char *nl = memchr(buf + s, '\n', len - s);
        size_t e = nl ? (size_t)(nl - buf) : len, t = e;
        while (t > s && buf[t - 1] == '\r') t--;
        if (t > s) {
            if (nm == mcap) {
                mcap = mcap ? mcap * 2 : 1024;
                m = xrealloc(m, mcap * sizeof *m);
            }
            m[nm].p = buf + s;
            m[nm++].n = t - s;
        }
        s = e + 1;
    }
    if (!nm) {
        fprintf(stderr, "feedbench: %s: no messages\n", argv[2]);
        return 66;
    }
    if (ep) {
        s_pub = bus_pub_new("feedbench", ep, 0);
        if (!s_pub) return 69;
    }

    static feed_t f;
    feed_init(&f, v, (int)depth, s_out, NULL);
    /* Each pass: phase A from the (simulated) connect until the first valid
     * book (acks and the snapshot, once per connection in real life), then
     * phase B, the steady stream: the throughput figures are phase B's. */
    uint64_t msgs = 0, data = 0, bad = 0, passes = 0;
    int64_t t0 = clock_mono_ns(), tick = t0, wall_b = 0, wall_a = 0;
    int64_t warm_ns = loops ? 0 : NS_PER_S / 2;
    int64_t end_ns = loops ? INT64_MAX : warm_ns + (int64_t)(seconds * NS_PER_S);
    double cpu_b = 0;
    int done = 0;
    for (long pass = 0; !done && (loops == 0 || pass < loops); pass++) {
        feed_on_open(&f); /* each pass is a fresh connection */
        int64_t ta = clock_mono_ns();
        size_t i = 0;
        for (; i < nm && !feed_book_ready(&f); i++) {
            int r = v->parse(&f, m[i].p, m[i].n, clock_real_ns());
            bad += r == WSCONN_MSG_BAD;
        }
        int64_t tb = clock_mono_ns(), now = tb;
        double cb = s_cpu_s();
        int counted = tb - t0 >= warm_ns;
        if (counted) {
            wall_a += tb - ta;
            passes++;
        }
        uint64_t n = 0, nd = 0;
        for (; i < nm; i++) {
            int r = v->parse(&f, m[i].p, m[i].n, clock_real_ns());
            n++;
            nd += r == WSCONN_MSG_DATA;
            bad += r == WSCONN_MSG_BAD;
            if ((n & 63) == 0) {
                now = clock_mono_ns();
                if (now - tick >= 100 * NS_PER_MS) { /* wsconn's 100 ms timer */
                    tick = now;
                    feed_on_tick(&f, now);
                }
                if (now - t0 >= end_ns) {
                    done = 1;
                    break;
                }
            }
        }
        now = clock_mono_ns();
        if (counted) {
            wall_b += now - tb;
            cpu_b += s_cpu_s() - cb;
            msgs += n;
            data += nd;
        }
    }
    int valid = feed_book_ready(&f);
    double ws = (double)wall_b / 1e9;
    printf("feedbench venue=%s msgs=%llu data=%llu wall_s=%.3f cpu_s=%.3f msgs_per_s=%.0f "
           "cpu_us_per_msg=%.3f passes=%llu first_book_us=%.0f quotes=%llu books=%llu "
           "trades=%llu events=%llu bad=%llu valid=%d bytes_out=%llu\n",
           v->venue, (unsigned long long)msgs, (unsigned long long)data, ws, cpu_b,
           ws > 0 ? (double)msgs / ws : 0, msgs ? cpu_b * 1e6 / (double)msgs : 0,
           (unsigned long long)passes, passes ? (double)wall_a / 1e3 / (double)passes : 0,
           (unsigned long long)s_quotes, (unsigned long long)s_books,
           (unsigned long long)s_trades, (unsigned long long)s_events, (unsigned long long)bad,
           valid, (unsigned long long)s_bytes);
    feed_free(&f);
    if (s_pub) {
        bus_pub_destroy(&s_pub);
        bus_ctx_term();
    }
    free(m);
    free(buf);
    return bad || !valid ? 1 : 0;
}
