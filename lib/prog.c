/* prog: the parts of main every program shares (see prog.h). */
#include "prog.h"
#include "opts.h"

#include <stdio.h>
#include <string.h>

volatile sig_atomic_t prog_stop;

static void s_on_signal(int sig)
{
    (void)sig;
    prog_stop = 1;
}

void prog_signals(int mode)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = s_on_signal;
    sa.sa_flags = mode == PROG_SIG_RESTART ? SA_RESTART : 0;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sa.sa_handler = SIG_IGN;
    sa.sa_flags = 0;
    sigaction(SIGPIPE, &sa, NULL);
}

bus_pub_t *prog_pub_new(void)
{
    char ep[BUS_EP_MAX];
    if (bus_pub_endpoint(opts_common.bus, opts_common.pub, opts_common.name, ep, sizeof ep) < 0)
        return NULL;
    return bus_pub_new(opts_common.name, ep, 0);
}

int prog_topic_match(const char *topic, const char *prefix)
{
    return strncmp(topic, prefix, strlen(prefix)) == 0;
}

int prog_topic_any(const strlist_t *prefixes, const char *topic)
{
    if (!prefixes->n) return 1;
    for (int i = 0; i < prefixes->n; i++)
        if (prog_topic_match(topic, prefixes->v[i])) return 1;
    return 0;
}

int prog_test(void)
{
    int rc = 0;
    prog_stop = 0;
    prog_signals(PROG_SIG_INTERRUPT);
    raise(SIGTERM);
    if (!prog_stop) { fprintf(stderr, "prog_test: SIGTERM did not set prog_stop\n"); rc = -1; }
    prog_stop = 0;
    raise(SIGPIPE); /* ignored: the test process lives on */
    struct sigaction cur;
    sigaction(SIGINT, NULL, &cur);
    if (cur.sa_flags & SA_RESTART) { fprintf(stderr, "prog_test: INTERRUPT mode restarts\n"); rc = -1; }
    prog_signals(PROG_SIG_RESTART);
    sigaction(SIGINT, NULL, &cur);
    if (!(cur.sa_flags & SA_RESTART)) { fprintf(stderr, "prog_test: RESTART mode does not\n"); rc = -1; }
    raise(SIGINT);
    if (!prog_stop) { fprintf(stderr, "prog_test: SIGINT did not set prog_stop\n"); rc = -1; }
    prog_stop = 0;
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    if (!prog_topic_match("tick", "") || !prog_topic_match("hb.feed-kraken", "hb.") ||
        prog_topic_match("hb", "hb.")) {
        fprintf(stderr, "prog_test: topic match\n");
        rc = -1;
    }
    strlist_t l = {0};
    if (!prog_topic_any(&l, "tick")) rc = -1; /* empty: everything */
    strlist_add(&l, "event.");
    strlist_add(&l, "tick");
    if (!prog_topic_any(&l, "event.gap") || !prog_topic_any(&l, "tick") ||
        prog_topic_any(&l, "hb.x"))
        rc = -1;
    strlist_clear(&l);
    return rc;
}
