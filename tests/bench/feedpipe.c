/* feedpipe: tickbus's own feed code (feeds/feed.c + the venue parser +
 * lib/wsconn) with the bus replaced by a pipe, for `make bench`: it writes
 * "topic json\n" lines with the bus envelope to stdout, one write(2) per input
 * message that produced output, exactly as the Go peer does (Debian has no Go
 * ZeroMQ binding). With --dump FILE it also writes the first --dump-n raw
 * messages to FILE, one a line: the corpus of the parse-only floor (floor.c).
 * Once a second it prints to stderr
 *   stats t_ns=N msgs=N cpu_ns=N quotes=N books=N trades=N resyncs=N bad=N */
#include "clock.h"
#include "feed.h"
#include "log.h"
#include "util.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

static char s_buf[1 << 20];
static size_t s_len;
static uint64_t s_seq, s_msgs;
static char s_src[32], s_epoch[24];
static FILE *s_dump;
static long s_dump_left;
static feed_t s_f;
static int64_t s_stats_next;
static volatile int s_stop;

static void s_on_signal(int sig)
{
    (void)sig;
    s_stop = 1;
}

static void s_flush(void)
{
    size_t off = 0;
    while (off < s_len) {
        ssize_t k = write(1, s_buf + off, s_len - off);
        if (k <= 0) {
            s_stop = 1; /* the reader is gone */
            break;
        }
        off += (size_t)k;
    }
    s_len = 0;
}

static int s_out(void *arg, const char *topic, const char *body, size_t len, int64_t ts_rx,
                 int64_t ts_ex)
{
    (void)arg;
    if (s_len + len + 512 > sizeof s_buf) s_flush();
    if (len + 512 > sizeof s_buf) return -1;
    char ex[24];
    if (ts_ex < 0) memcpy(ex, "null", 5);
    else snprintf(ex, sizeof ex, "%lld", (long long)ts_ex);
    int k = snprintf(s_buf + s_len, sizeof s_buf - s_len,
                     "%s {\"src\":\"%s\",\"epoch\":\"%s\",\"seq\":%llu,\"ts_rx\":%lld,\"ts_ex\":%s,"
                     "\"ts_pub\":%lld%s",
                     topic, s_src, s_epoch, (unsigned long long)++s_seq, (long long)ts_rx, ex,
                     (long long)clock_real_ns(), len ? "," : "");
    s_len += (size_t)k;
    memcpy(s_buf + s_len, body, len);
    s_len += len;
    s_buf[s_len++] = '}';
    s_buf[s_len++] = '\n';
    return 0;
}

static void s_stats(wsconn_t *c)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    int64_t cpu = (int64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * NS_PER_S +
                  (int64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000;
    const wsconn_stats_t *st = wsconn_stats(c);
    fprintf(stderr,
            "stats t_ns=%lld msgs=%llu cpu_ns=%lld quotes=%llu books=%llu trades=%llu "
            "resyncs=%llu bad=%llu\n",
            (long long)clock_real_ns(), (unsigned long long)s_msgs, (long long)cpu,
            (unsigned long long)s_f.n_quotes, (unsigned long long)s_f.n_books,
            (unsigned long long)s_f.n_trades, (unsigned long long)st->resyncs,
            (unsigned long long)st->bad_frames);
}

static void s_cb_open(wsconn_t *c, void *arg)
{
    (void)c;
    feed_on_open(arg);
}

static int s_cb_msg(wsconn_t *c, void *arg, const char *msg, size_t len, int64_t ts_rx)
{
    (void)c;
    feed_t *f = arg;
    s_msgs++;
    if (s_dump && s_dump_left > 0) {
        fwrite(msg, 1, len, s_dump);
        fputc('\n', s_dump);
        if (--s_dump_left == 0) fflush(s_dump);
    }
    int r = f->v->parse(f, msg, len, ts_rx);
    if (s_len) s_flush();
    return r;
}

static void s_cb_resub(wsconn_t *c, void *arg)
{
    (void)c;
    feed_on_stale(arg);
}

static void s_cb_close(wsconn_t *c, void *arg, const char *reason)
{
    (void)c;
    (void)reason;
    feed_on_close(arg);
    if (s_len) s_flush();
}

static void s_cb_tick(wsconn_t *c, void *arg, int64_t now)
{
    feed_on_tick(arg, now);
    if (s_len) s_flush();
    if (now >= s_stats_next) {
        s_stats(c);
        s_stats_next = now + NS_PER_S;
    }
}

int main(int argc, char **argv)
{
    static const struct option lo[] = {{"venue", 1, 0, 'v'}, {"url", 1, 0, 'u'},
                                       {"ca-file", 1, 0, 'c'}, {"depth", 1, 0, 'd'},
                                       {"dump", 1, 0, 'D'}, {"dump-n", 1, 0, 'n'},
                                       {0, 0, 0, 0}};
    const char *venue = NULL, *url = NULL, *ca = NULL, *dump = NULL;
    int depth = 100, ch;
    s_dump_left = 100000;
    while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (ch) {
        case 'v': venue = optarg; break;
        case 'u': url = optarg; break;
        case 'c': ca = optarg; break;
        case 'd': depth = atoi(optarg); break;
        case 'D': dump = optarg; break;
        case 'n': s_dump_left = atol(optarg); break;
        default: goto usage;
        }
    }
    const feed_venue_t *v = venue && !strcmp(venue, "kraken")     ? &feed_kraken
                            : venue && !strcmp(venue, "coinbase") ? &feed_coinbase
                                                                  : NULL;
    if (!v || !url) goto usage;
    log_init("feedpipe", LOG_LVL_NOTICE);
    if (dump && !(s_dump = fopen(dump, "w"))) {
        perror(dump);
        return 64;
    }
    snprintf(s_src, sizeof s_src, "feedpipe-%s", v->venue);
    snprintf(s_epoch, sizeof s_epoch, "%016llx",
             (unsigned long long)(clock_real_ns() ^ ((int64_t)getpid() << 32)));
    feed_init(&s_f, v, depth, s_out, NULL);
    wsconn_opts_t wo;
    wsconn_opts_default(&wo);
    wo.venue = v->venue;
    wo.url = url;
    wo.ca_file = ca;
    wo.arg = &s_f;
    wo.on_open = s_cb_open;
    wo.on_message = s_cb_msg;
    wo.on_resubscribe = s_cb_resub;
    wo.on_close = s_cb_close;
    wo.on_tick = s_cb_tick;
    char err[256];
    s_f.c = wsconn_new(&wo, err, sizeof err);
    if (!s_f.c) {
        fprintf(stderr, "feedpipe: %s\n", err);
        return 64;
    }
    signal(SIGINT, s_on_signal);
    signal(SIGTERM, s_on_signal);
    signal(SIGPIPE, SIG_IGN);
    int rc = wsconn_run(s_f.c, &s_stop);
    s_stats(s_f.c);
    wsconn_destroy(&s_f.c);
    feed_free(&s_f);
    if (s_dump) fclose(s_dump);
    return rc;
usage:
    fprintf(stderr, "usage: feedpipe --venue kraken|coinbase --url WSS --ca-file PEM "
                    "[--depth N] [--dump FILE [--dump-n N]]\n");
    return 64;
}
