/* testpub: a minimal publisher for the bus integration tests: publishes
 * --count numbered messages on --topic, optionally bursting past a small
 * --hwm, with a first and a last message sent apart so tests can account
 * for every message. */
#include "bus.h"
#include "clock.h"
#include "jw.h"
#include "log.h"
#include "opts.h"

#include <stdio.h>
#include <time.h>

static long o_count, o_hwm, o_delay_ms, o_gap_ms;
static char *o_topic;

static const opt_t s_opts[] = {
    {"count", OPT_INT, &o_count, "10", 1, 1e9, NULL, "messages to publish", 0},
    {"hwm", OPT_INT, &o_hwm, "0", 0, 1e9, NULL, "send high-water mark (0: default)", 0},
    {"delay-ms", OPT_INT, &o_delay_ms, "1500", 0, 60000, NULL, "wait before publishing", 0},
    {"gap-ms", OPT_INT, &o_gap_ms, "0", 0, 60000, NULL,
     "pause between messages (0: burst, with the first and last sent apart)", 0},
    {"topic", OPT_STR, &o_topic, "test.msg", 1, 0, NULL, "topic", 0},
    {NULL, 0, NULL, NULL, 0, 0, NULL, NULL, 0},
};

static void s_sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

int main(int argc, char **argv)
{
    opts_parse("testpub", "Publish numbered test messages.", s_opts, argc, argv, NULL);
    char ep[BUS_EP_MAX];
    if (bus_pub_endpoint(opts_common.bus, opts_common.pub, opts_common.name, ep, sizeof ep) < 0)
        return 69;
    bus_pub_t *p = bus_pub_new(opts_common.name, ep, (int)o_hwm);
    if (!p) return 69;
    s_sleep_ms(o_delay_ms);
    jw_t w;
    jw_init(&w, 256);
    for (long i = 1; i <= o_count; i++) {
        jw_fragment(&w);
        jw_kint(&w, "i", i);
        jw_kstr(&w, "text", "quote \" backslash \\ tab \t end");
        bus_pub_send(p, o_topic, w.buf, w.len, clock_real_ns(), -1);
        if (o_gap_ms) s_sleep_ms(o_gap_ms);
        else if (i == 1 || i == o_count - 1) s_sleep_ms(300);
    }
    s_sleep_ms(500); /* let the I/O thread flush before closing */
    fprintf(stderr, "testpub: sent=%ld epoch=%s\n", o_count, bus_pub_epoch(p));
    jw_free(&w);
    bus_pub_destroy(&p);
    bus_ctx_term();
    return 0;
}
