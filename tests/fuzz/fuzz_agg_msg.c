/* fuzz_agg_msg: libFuzzer target for the aggregator's message reader and record writer
 * (aggregator/tick.c). Input: a topic line, then the payload. Every input is applied to one
 * long-lived state, and a tick record is written after each, so bad books, markets and index
 * values meet the record assembly and the RTI call. */
#include "clock.h"
#include "jw.h"
#include "log.h"
#include "tick.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void s_emit(const char *topic, const char *body, size_t len, void *arg)
{
    (void)topic, (void)body, (void)len, (void)arg;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static tick_t *t;
    static jw_t w;
    static int64_t sec = 1795867380;
    if (!t) {
        tick_cfg_t cfg;
        log_init("fuzz", LOG_LVL_CRIT);
        tick_cfg_default(&cfg);
        t = tick_new(&cfg, s_emit, NULL);
        jw_init(&w, 4096);
    }
    const uint8_t *nl = memchr(data, '\n', size);
    if (!nl) return 0;
    size_t tl = (size_t)(nl - data), bl = size - tl - 1;
    char *topic = malloc(tl + 1), *body = malloc(bl + 1); /* exact sizes: ASan sees overreads */
    memcpy(topic, data, tl);
    topic[tl] = '\0';
    memcpy(body, nl + 1, bl);
    body[bl] = '\0';
    bus_msg_t m;
    memset(&m, 0, sizeof m);
    m.topic = topic;
    m.topic_len = strlen(topic);
    m.body = body;
    m.body_len = bl;
    m.ts_rx = m.ts_pub = sec * NS_PER_S + 1;
    m.ts_ex = -1;
    m.lost = size % 7 == 0;
    tick_on_msg(t, &m);
    sec++;
    tick_write(t, sec, sec * NS_PER_S, &w);
    free(topic);
    free(body);
    return 0;
}
