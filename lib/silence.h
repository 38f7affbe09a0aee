/* silence: what a normal pause in a venue's market data looks like, learned
 * while connected (docs/FEEDS.md, 'Telling quiet from dead'). The gaps
 * between data messages go into a histogram of log-spaced buckets (8 per
 * octave, 1 ms .. ~130 s) whose old observations fade (each new gap weighs
 * 1/(1-1/SILENCE_HALF) times the one before, so about the last few thousand
 * gaps count). A silence longer than FACTOR times the 99.9th percentile of
 * the learned gaps (bounded by MIN and MAX) is unlikely under the venue's own
 * flow: the connection is then suspected and probed (lib/wsconn). Before
 * SILENCE_WARM gaps have been seen, the threshold is COLD. Pure arithmetic,
 * no clock: the caller passes times in. */
#ifndef TB_SILENCE_H
#define TB_SILENCE_H

#include <stdint.h>

#define SILENCE_NB 140   /* buckets: 8 per octave from 1 ms */
#define SILENCE_HALF 2000 /* observations for the weight of the old to halve */
#define SILENCE_WARM 50

typedef struct {
    double w[SILENCE_NB];
    double total, inc;
    uint64_t n;         /* gaps observed */
    int64_t last_ns;    /* time of the last data message, 0: none on this connection */
    double factor;      /* threshold = factor x p99.9 ... */
    int64_t min_ns, max_ns, cold_ns; /* ... within [min, max]; cold before SILENCE_WARM gaps */
    /* the last SILENCE_WIN gaps exactly: the current regime */
    int64_t win[256];
    int win_n, win_i;
} silence_t;

#define SILENCE_WIN 256

void silence_init(silence_t *s, double factor, double min_s, double max_s, double cold_s);
/* A data message at NOW (ns, monotonic): the gap since the previous one is learned. */
void silence_data(silence_t *s, int64_t now);
/* A new connection, or a resubscribe: the next data message starts a new
 * run (the gap across a reconnect or a resubscribe is not a pause of the
 * venue's). The learned histogram stays. */
void silence_restart(silence_t *s);
/* 1 when a data message came since the last silence_restart. */
int silence_running(const silence_t *s);
/* Learn one gap of G ns (silence_data's arithmetic, exposed for tests). */
void silence_learn(silence_t *s, int64_t g);
/* The gap (ns) below which a fraction Q of the learned gaps lie (the upper
 * edge of its bucket); 0 when nothing was learned. */
int64_t silence_quantile(const silence_t *s, double q);
/* 1 once SILENCE_WARM gaps were learned (before, nothing is judged unlikely). */
int silence_warm(const silence_t *s);
/* FACTOR x the learned p99.9 gap (ns), unbounded: a silence shorter than
 * this is plausible under the venue's own flow (cold: COLD). */
int64_t silence_plausible(const silence_t *s);
/* The threshold for the venue's current regime: FACTOR x the second longest
 * of the last SILENCE_WIN gaps (about their 99.5th percentile), when that is
 * shorter than silence_threshold (a busy spell after a quiet one: the
 * histogram's fading memory holds the quiet gaps' tail for many minutes, an
 * exact window forgets them after SILENCE_WIN gaps); never under MIN. */
int64_t silence_threshold_now(const silence_t *s);
/* How long a silence must last (ns) before it is suspected (silence_plausible
 * bounded by MIN and MAX). */
int64_t silence_threshold(const silence_t *s);

int silence_test(void);

#endif
