/* silence: the learned distribution of gaps between a venue's data messages
 * (see silence.h). */
#include "silence.h"

#include "clock.h"
#include "util.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define RESCALE 1e100

void silence_init(silence_t *s, double factor, double min_s, double max_s, double cold_s)
{
    memset(s, 0, sizeof *s);
    s->inc = 1;
    s->factor = factor;
    s->min_ns = (int64_t)(min_s * 1e9);
    s->max_ns = (int64_t)(max_s * 1e9);
    s->cold_ns = (int64_t)(cold_s * 1e9);
}

static int s_bucket(int64_t g)
{
    double ms = (double)g / 1e6;
    if (ms <= 1) return 0;
    int b = (int)(8.0 * log2(ms)) + 1;
    return b >= SILENCE_NB ? SILENCE_NB - 1 : b;
}

/* The upper edge of bucket B in ns. */
static int64_t s_edge(int b) { return (int64_t)(1e6 * exp2((double)b / 8.0)); }

void silence_learn(silence_t *s, int64_t g)
{
    if (g < 0) return;
    int b = s_bucket(g);
    s->w[b] += s->inc;
    s->total += s->inc;
    s->win[s->win_i] = g;
    s->win_i = (s->win_i + 1) % SILENCE_WIN;
    if (s->win_n < SILENCE_WIN) s->win_n++;
    s->n++;
    s->inc /= 1.0 - 1.0 / SILENCE_HALF;
    if (s->inc > RESCALE) { /* keep the weights finite: only ratios matter */
        for (int i = 0; i < SILENCE_NB; i++) s->w[i] /= s->inc;
        s->total /= s->inc;
        s->inc = 1;
    }

}

void silence_data(silence_t *s, int64_t now)
{
    if (s->last_ns && now >= s->last_ns) silence_learn(s, now - s->last_ns);
    s->last_ns = now;
}

void silence_restart(silence_t *s) { s->last_ns = 0; }
int silence_running(const silence_t *s) { return s->last_ns != 0; }

static int64_t s_quantile(const double *w, double total, double q)
{
    if (total <= 0) return 0;
    double want = q * total, cum = 0;
    for (int b = 0; b < SILENCE_NB; b++) {
        cum += w[b];
        if (cum >= want) return s_edge(b);
    }
    return s_edge(SILENCE_NB - 1);
}

int64_t silence_quantile(const silence_t *s, double q) { return s_quantile(s->w, s->total, q); }

int64_t silence_threshold_now(const silence_t *s)
{
    int64_t thr = silence_threshold(s);
    if (!silence_warm(s)) return thr;
    if (s->win_n < SILENCE_WIN) return thr;
    int64_t a = 0, b = 0; /* the longest and the second longest */
    for (int i = 0; i < SILENCE_WIN; i++) {
        if (s->win[i] > a) {
            b = a;
            a = s->win[i];
        } else if (s->win[i] > b) {
            b = s->win[i];
        }
    }
    int64_t t = (int64_t)(s->factor * (double)b);
    if (t < s->min_ns) t = s->min_ns;
    return t < thr ? t : thr;
}

int silence_warm(const silence_t *s) { return s->n >= SILENCE_WARM; }

int64_t silence_plausible(const silence_t *s)
{
    return s->n < SILENCE_WARM ? s->cold_ns
                               : (int64_t)(s->factor * (double)silence_quantile(s, 0.999));
}

int64_t silence_threshold(const silence_t *s)
{
    int64_t t = silence_plausible(s);
    if (t < s->min_ns) t = s->min_ns;
    if (t > s->max_ns) t = s->max_ns;
    return t;
}

#define T_CHECK(c)                                                                      \
    do { if (!(c)) { fprintf(stderr, "silence_test: %s:%d: %s\n", __FILE__, __LINE__, #c); \
                     return -1; } } while (0)

int silence_test(void)
{
    silence_t s;
    silence_init(&s, 2, 0.5, 15, 2);
    T_CHECK(silence_threshold(&s) == 2 * NS_PER_S); /* cold */
    /* a busy venue: gaps of 5..50 ms */
    uint64_t r = 7;
    int64_t t = NS_PER_S;
    silence_data(&s, t);
    for (int i = 0; i < 5000; i++) {
        r = r * 6364136223846793005ull + 1442695040888963407ull;
        t += (5 + (int64_t)((r >> 33) % 46)) * NS_PER_MS;
        silence_data(&s, t);
    }
    T_CHECK(s.n == 5000);
    int64_t q = silence_quantile(&s, 0.999);
    T_CHECK(q >= 50 * NS_PER_MS && q <= 60 * NS_PER_MS); /* bucket edge just above 50 ms */
    T_CHECK(silence_threshold(&s) == 500 * NS_PER_MS);   /* 2 x 55 ms < the 0.5 s floor */
    /* a quiet spell: gaps of 3 s start to count after a handful */
    for (int i = 0; i < 10; i++) {
        t += 3 * NS_PER_S;
        silence_data(&s, t);
    }
    T_CHECK(silence_threshold(&s) >= 6 * NS_PER_S);
    /* a quiet spell of a few minutes (300 gaps of 0.5-1.5 s), then a busy one:
     * the learned threshold still holds the long gaps, the threshold for now
     * follows the recent pace (5x shorter at most) */
    for (int i = 0; i < 300; i++) {
        t += (500 + (i * 37) % 1000) * NS_PER_MS;
        silence_data(&s, t);
    }
    int64_t th = silence_threshold(&s);
    for (int i = 0; i < 1000; i++) {
        t += 20 * NS_PER_MS;
        silence_data(&s, t);
    }
    T_CHECK(silence_threshold(&s) >= th / 2);
    T_CHECK(silence_threshold_now(&s) < th / 5);
    T_CHECK(silence_threshold_now(&s) == 500 * NS_PER_MS); /* 3 x 20 ms: under the floor */
    /* a reconnect: the gap across it is not learned */
    uint64_t n = s.n;
    silence_restart(&s);
    silence_data(&s, t + 100 * NS_PER_S);
    T_CHECK(s.n == n);
    /* long after: the quiet spell fades as busy gaps come again */
    t += 100 * NS_PER_S;
    for (int i = 0; i < 40000; i++) {
        t += 20 * NS_PER_MS;
        silence_data(&s, t);
    }
    T_CHECK(silence_threshold(&s) == 500 * NS_PER_MS);
    T_CHECK(isfinite(s.total) && s.total > 0);
    /* the ceiling */
    silence_init(&s, 2, 0.5, 15, 2);
    for (int i = 0; i < 100; i++) silence_learn(&s, 60 * NS_PER_S);
    T_CHECK(silence_threshold(&s) == 15 * NS_PER_S);
    T_CHECK(silence_plausible(&s) > 100 * NS_PER_S); /* 2 x the 60 s bucket's edge */
    return 0;
}
