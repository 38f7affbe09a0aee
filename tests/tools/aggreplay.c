/* aggreplay: the aggregator's record assembly over recorded bus input, without a clock: reads
 * `tap` output lines ("TOPIC {json}"), writes a tick at every UTC second boundary the messages'
 * publication times (ts_pub) cross (tick_replay_msg, shared with aggregator --clock replay),
 * and the events, as "TOPIC {json}" lines on stdout. The golden test (t_agg_golden.sh) compares
 * this output with a committed file exactly.
 * Usage: aggreplay FILE [--method rti|median] [--venues A,B,..] */
#include "bus.h"
#include "clock.h"
#include "jw.h"
#include "log.h"
#include "tick.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void s_tick(int64_t ts_s, const jw_t *w, void *arg)
{
    (void)ts_s;
    (void)arg;
    printf("tick {%.*s}\n", (int)w->len, w->buf);
}

static void s_emit(const char *topic, const char *body, size_t len, void *arg)
{
    (void)arg;
    printf("%s {%.*s}\n", topic, (int)len, body);
}

int main(int argc, char **argv)
{
    log_init("aggreplay", LOG_LVL_WARN);
    tick_cfg_t cfg;
    tick_cfg_default(&cfg);
    int ok = argc >= 2 && argc % 2 == 0;
    for (int i = 2; ok && i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--method") && !strcmp(argv[i + 1], "median"))
            cfg.method = TICK_METHOD_MEDIAN;
        else if (!strcmp(argv[i], "--venues")) ok = tick_cfg_venues(&cfg, argv[i + 1]) == 0;
        else ok = !strcmp(argv[i], "--method") && !strcmp(argv[i + 1], "rti");
    }
    if (!ok) {
        fprintf(stderr, "usage: aggreplay FILE [--method rti|median] [--venues A,B,..]\n");
        return 64;
    }
    FILE *f = fopen(argv[1], "r");
    if (!f) {
        perror(argv[1]);
        return 66;
    }
    tick_t *t = tick_new(&cfg, s_emit, NULL);
    jw_t w;
    jw_init(&w, 16384);
    size_t cap = 0;
    char *line = NULL;
    ssize_t n;
    int64_t cur = -1;
    long bad = 0;
    while ((n = getline(&line, &cap, f)) > 0) {
        while (n && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = '\0';
        char *sp = strchr(line, ' ');
        bus_msg_t m;
        memset(&m, 0, sizeof m);
        if (!sp || bus_envelope_parse(sp + 1, (size_t)(line + n - sp - 1), &m) < 0) {
            bad++;
            continue;
        }
        *sp = '\0';
        m.topic = line;
        m.topic_len = (size_t)(sp - line);
        m.body = sp + 1;
        m.body_len = (size_t)(line + n - sp - 1);
        tick_replay_msg(t, &cur, &m, &w, s_tick, NULL);
    }
    if (cur >= 0) tick_replay_until(t, &cur, cur * NS_PER_S, &w, s_tick, NULL); /* the last second */
    if (bad) fprintf(stderr, "aggreplay: %ld unreadable lines\n", bad);
    free(line);
    fclose(f);
    jw_free(&w);
    tick_destroy(&t);
    return 0;
}
