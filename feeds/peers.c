/* peers: the other venues' movement as evidence against a silent venue (see peers.h). */
#include "peers.h"

#include "jtok.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

void peers_init(peers_t *ps) { memset(ps, 0, sizeof *ps); }

static peer_t *s_find(peers_t *ps, const char *venue, size_t n)
{
    for (int i = 0; i < ps->n; i++)
        if (strlen(ps->p[i].venue) == n && !memcmp(ps->p[i].venue, venue, n)) return &ps->p[i];
    if (ps->n == PEERS_MAX || n == 0 || n >= sizeof ps->p[0].venue) return NULL;
    peer_t *p = &ps->p[ps->n++];
    memset(p, 0, sizeof *p);
    memcpy(p->venue, venue, n);
    return p;
}

/* N counted up to FROM, decayed to NOW with time constant TAU seconds. */
static double s_decay(double n, int64_t from, int64_t now, double tau)
{
    return now > from ? n * exp(-(double)(now - from) / 1e9 / tau) : n;
}

/* The decayed count of touch changes up to NOW. */
static double s_pace_n(const peer_t *p, int64_t now)
{
    return s_decay(p->pace_n, p->pace_mono, now, PEERS_TAU_S);
}

static void s_quote(peers_t *ps, peer_t *p, double bid, double ask, int64_t now)
{
    double mid = bid > 0 && ask > 0 ? (bid + ask) / 2 : 0;
    ps->quotes++;
    if (!p->first_mono) p->first_mono = now;
    p->heard_mono = now;
    if (mid <= 0) return;
    if (p->ref_mid <= 0) p->ref_mid = mid; /* first sight: nothing moved yet */
    if (mid != p->mid) {
        p->moves++;
        p->pace_n = s_pace_n(p, now) + 1;
        p->pace_mono = now;
        p->long_n = s_decay(p->long_n, p->long_mono, now, PEERS_LONG_TAU_S) + 1;
        p->long_mono = now;
    }
    p->mid = mid;
}

void peers_quote(peers_t *ps, const char *venue, double bid, double ask, int64_t now)
{
    peer_t *p = s_find(ps, venue, strlen(venue));
    if (p) s_quote(ps, p, bid, ask, now);
}

void peers_mark(peers_t *ps, int64_t now)
{
    if (!ps->own_first) ps->own_first = now;
    ps->own_n = s_decay(ps->own_n, ps->own_mono, now, PEERS_LONG_TAU_S) + 1;
    ps->own_mono = now;
    peers_restart(ps, now);
}

void peers_restart(peers_t *ps, int64_t now)
{
    ps->mark_mono = now;
    for (int i = 0; i < ps->n; i++) {
        ps->p[i].ref_mid = ps->p[i].mid;
        ps->p[i].moves = 0;
    }
}

double peers_expected(const peers_t *ps, int64_t now)
{
    if (!ps->own_first || now - ps->own_first < PEERS_LONG_LEARN_NS) return -1;
    /* both counts decayed to NOW (the same factor for both: the ratio holds) */
    double own = s_decay(ps->own_n, ps->own_mono, now, PEERS_LONG_TAU_S);
    if (own < PEERS_LONG_MIN) return -1;
    double lo[2] = {-1, -1}; /* the two smallest figures */
    int k = 0;
    for (int i = 0; i < ps->n; i++) {
        const peer_t *p = &ps->p[i];
        if (now - p->heard_mono > PEERS_FRESH_NS || now - p->first_mono < PEERS_LONG_LEARN_NS)
            continue;
        /* its changes since the mark are left out of its rate (this venue's
         * silence is not in its count either: the same window) */
        double n = s_decay(p->long_n, p->long_mono, now, PEERS_LONG_TAU_S) - p->moves;
        if (n < PEERS_LONG_MIN) continue;
        double e = p->moves * own / n;
        k++;
        if (lo[0] < 0 || e < lo[0]) {
            lo[1] = lo[0];
            lo[0] = e;
        } else if (lo[1] < 0 || e < lo[1]) {
            lo[1] = e;
        }
    }
    /* with three or more qualified peers one that changed little is outvoted */
    return k >= PEERS_OUTVOTE ? lo[1] : lo[0];
}

int peers_moved(const peers_t *ps, int64_t now)
{
    if (peers_expected(ps, now) >= PEERS_EXPECT) return 2;
    for (int i = 0; i < ps->n; i++) {
        const peer_t *p = &ps->p[i];
        if (now - p->heard_mono > PEERS_FRESH_NS || p->mid <= 0 || p->ref_mid <= 0) continue;
        if (fabs(p->mid - p->ref_mid) / p->ref_mid * 1e4 >= PEERS_MOVE_BP) return 1;
        /* its usual pace (changes a second) against its pace since our last data */
        if (p->moves < PEERS_MOVES || now - p->first_mono < PEERS_LEARN_NS) continue;
        double seen = (double)(now - p->first_mono) / 1e9; /* the decayed window actually watched */
        double usual = s_pace_n(p, now) / (PEERS_TAU_S * (1 - exp(-seen / PEERS_TAU_S)));
        double w = (double)(now - ps->mark_mono) / 1e9;
        if (w > 0 && p->moves >= 0.5 * usual * w) return 1;
    }
    return 0;
}

int peers_fresh(const peers_t *ps, int64_t now)
{
    int k = 0;
    for (int i = 0; i < ps->n; i++) k += now - ps->p[i].heard_mono <= PEERS_FRESH_NS;
    return k;
}

static double s_num(const jtok_t *d, int tok)
{
    int64_t v;
    if (jtok_is_null(d, tok)) return 0;
    if (jtok_fixed(d, tok, 8, &v) < 0) return -1;
    return (double)v / 1e8;
}

int peers_quote_msg(peers_t *ps, const char *topic, const char *body, size_t len, int64_t now)
{
    /* quote.VENUE.SYMBOL */
    const char *v = strncmp(topic, "quote.", 6) ? NULL : topic + 6;
    const char *dot = v ? strchr(v, '.') : NULL;
    jtok_t d;
    jtok_init(&d);
    int rc = -1;
    if (dot && jtok_parse(&d, body, len) >= 0 && jtok_type(&d, 0) == JSMN_OBJECT) {
        double bid = s_num(&d, jtok_get(&d, 0, "bid")), ask = s_num(&d, jtok_get(&d, 0, "ask"));
        peer_t *p = bid >= 0 && ask >= 0 ? s_find(ps, v, (size_t)(dot - v)) : NULL;
        if (p) {
            s_quote(ps, p, bid, ask, now);
            rc = 0;
        }
    }
    jtok_free(&d);
    if (rc) ps->bad++;
    return rc;
}

#define T_CHECK(c)                                                                      \
    do { if (!(c)) { fprintf(stderr, "peers_test: %s:%d: %s\n", __FILE__, __LINE__, #c); \
                     return -1; } } while (0)

/* From T for SECS seconds: this venue sends OWN messages a second, kraken
 * and bitstamp change their touch KR and BS times a second (evenly; each
 * change alternates the mid by a cent, so no move of 2 bp). Returns the end. */
static unsigned fk, fb, fg; /* each peer's mid flips by a cent on each change */
/* ... and gemini and cryptocom GC times a second each */
static int64_t s_flow4(peers_t *ps, int64_t t, double secs, double own, double kr, double bs,
                       double gc)
{
    const int64_t MS = 1000000;
    double next_o = own > 0 ? 1 / own : 1e18, next_k = kr > 0 ? 1 / kr : 1e18,
           next_b = bs > 0 ? 1 / bs : 1e18, next_g = gc > 0 ? 1 / gc : 1e18;
    for (int64_t ms = 1; ms <= (int64_t)(secs * 1000); ms++) {
        double x = (double)ms / 1000;
        int64_t now = t + ms * MS;
        if (x >= next_o) { peers_mark(ps, now); next_o += 1 / own; }
        if (x >= next_k) { fk++; peers_quote(ps, "kraken", 97000 + (fk & 1) * .01, 97000.5, now); next_k += 1 / kr; }
        if (x >= next_b) { fb++; peers_quote(ps, "bitstamp", 97000 + (fb & 1) * .01, 97000.5, now); next_b += 1 / bs; }
        if (x >= next_g) {
            fg++;
            peers_quote(ps, "gemini", 97000 + (fg & 1) * .01, 97000.5, now);
            peers_quote(ps, "cryptocom", 97000 + (fg & 1) * .01, 97000.5, now);
            next_g += 1 / gc;
        }
    }
    return t + (int64_t)(secs * 1000) * MS;
}
static int64_t s_flow(peers_t *ps, int64_t t, double secs, double own, double kr, double bs)
{
    return s_flow4(ps, t, secs, own, kr, bs, 0);
}

/* The relative test (peers_expected): the ratio holds across a quiet spell. */
static int s_test_relative(void)
{
    peers_t ps;
    peers_init(&ps);
    const int64_t S = 1000000000LL;
    int64_t t = s_flow(&ps, S, 30, 5, 10, 2);
    T_CHECK(peers_expected(&ps, t) < 0); /* 30 s watched: not learned */
    t = s_flow(&ps, t, 570, 5, 10, 2);   /* ten minutes: 5 : 10 : 2 */
    T_CHECK(peers_expected(&ps, t) >= 0 && peers_expected(&ps, t) < 1);
    /* this venue silent for 1 s while both keep their pace: 5 expected, not enough */
    int64_t m = s_flow(&ps, t, 1, 0, 10, 2);
    T_CHECK(fabs(peers_expected(&ps, m) - 5) < 0.6);
    T_CHECK(peers_moved(&ps, m) != 2);
    /* 4 s: 20 of its messages expected from each: the relative test says so */
    m = s_flow(&ps, m, 3, 0, 10, 2);
    T_CHECK(peers_expected(&ps, m) >= PEERS_EXPECT && peers_moved(&ps, m) == 2);
    /* a quiet spell at 5 %: 4 s of silence is usual for everyone (the old
     * pace rule might still fire until the 15 s pace adapts; not this one) */
    t = s_flow(&ps, m, 120, 0.25, 0.5, 0.1);
    m = s_flow(&ps, t, 4, 0, 0.5, 0.1);
    T_CHECK(peers_expected(&ps, m) < 2 && peers_moved(&ps, m) != 2);
    /* ... and 80 s of it (20 expected): the others' changes add up to the venue's share */
    m = s_flow(&ps, m, 76, 0, 0.5, 0.1);
    T_CHECK(peers_moved(&ps, m) == 2);
    /* one fresh peer that disagrees (bitstamp changes nothing but is heard) vetoes */
    t = s_flow(&ps, m, 300, 5, 10, 2);
    m = s_flow(&ps, t, 4, 0, 10, 0);
    peers_quote(&ps, "bitstamp", 97000 + (fb & 1) * .01, 97000.5, m); /* heard: its last quote again */
    T_CHECK(peers_expected(&ps, m) < PEERS_EXPECT / 4 && peers_moved(&ps, m) != 2);
    /* with three peers or more one that changed nothing is outvoted: gemini and cryptocom
     * join at kraken's pace; after ten minutes bitstamp alone stands still */
    t = s_flow4(&ps, m, 600, 5, 10, 2, 10);
    m = s_flow4(&ps, t, 4, 0, 10, 0, 10);
    peers_quote(&ps, "bitstamp", 97000 + (fb & 1) * .01, 97000.5, m); /* heard */
    T_CHECK(peers_expected(&ps, m) >= PEERS_EXPECT && peers_moved(&ps, m) == 2);
    /* two that stand still (kraken too) are not outvoted */
    t = s_flow4(&ps, m, 300, 5, 10, 2, 10);
    m = s_flow4(&ps, t, 4, 0, 0, 0, 10);
    peers_quote(&ps, "bitstamp", 97000 + (fb & 1) * .01, 97000.5, m);
    peers_quote(&ps, "kraken", 97000 + (fk & 1) * .01, 97000.5, m);
    T_CHECK(peers_expected(&ps, m) < PEERS_EXPECT / 4 && peers_moved(&ps, m) != 2);
    /* a reconnect restarts the window without counting as this venue's message */
    double own = ps.own_n;
    peers_restart(&ps, m);
    T_CHECK(ps.own_n == own && peers_expected(&ps, m) < 1);
    return 0;
}

int peers_test(void)
{
    peers_t ps;
    peers_init(&ps);
    const int64_t S = 1000000000LL, MS = S / 1000;
    T_CHECK(!peers_moved(&ps, 0)); /* no peers: no evidence */
    const char *q1 = "{\"bid\":97000.1,\"ask\":97000.2}";
    const char *q2 = "{\"bid\":\"97000.00\",\"ask\":\"97000.01\",\"bid_size\":1}";
    T_CHECK(peers_quote_msg(&ps, "quote.kraken.BTC-USD", q1, strlen(q1), S) == 0);
    T_CHECK(peers_quote_msg(&ps, "quote.coinbase.BTC-USD", q2, strlen(q2), S) == 0);
    T_CHECK(peers_quote_msg(&ps, "quote.x.BTC-USD", "{\"bid\":true}", 12, S) < 0);
    T_CHECK(peers_quote_msg(&ps, "quote.x.BTC-USD", "[1]", 3, S) < 0);
    T_CHECK(peers_quote_msg(&ps, "quotex", "{}", 2, S) < 0);
    T_CHECK(ps.n == 2 && ps.bad == 3);
    /* a minute of kraken changing its touch 10 times a second (+-0.05 USD) */
    int64_t t = S;
    for (int i = 0; i < 600; i++) {
        t += 100 * MS;
        peers_quote(&ps, "kraken", 97000.1 + (i & 1) * 0.05, 97000.2 + (i & 1) * 0.05, t);
    }
    peers_mark(&ps, t);
    /* our venue silent 1 s while kraken keeps its pace: evidence */
    for (int i = 0; i < 10; i++) peers_quote(&ps, "kraken", 97000.1 + (i & 1) * 0.05, 97000.2, t + (i + 1) * 100 * MS);
    T_CHECK(peers_moved(&ps, t + S));
    /* a burst of 4 changes, then nothing for 3 s: a tenth of its pace, no evidence */
    t += 2 * S;
    peers_mark(&ps, t);
    for (int i = 0; i < 4; i++) peers_quote(&ps, "kraken", 97000.1 + (i & 1) * 0.05, 97000.2, t + i * MS);
    T_CHECK(!peers_moved(&ps, t + 3 * S));
    /* ... unless the mid moved 2.5 bp meanwhile */
    peers_quote(&ps, "kraken", 97024.0, 97024.5, t + 3 * S);
    T_CHECK(peers_moved(&ps, t + 3 * S));
    /* a peer not heard from for over 5 s does not count */
    T_CHECK(!peers_moved(&ps, t + 9 * S));
    /* a peer watched too shortly: only a price move counts */
    int64_t u = t + 10 * S;
    peers_mark(&ps, u);
    for (int i = 0; i < 5; i++) peers_quote(&ps, "bitstamp", 97000.00 + i * 0.01, 97000.50, u + i * MS);
    T_CHECK(!peers_moved(&ps, u + S));
    peers_quote(&ps, "bitstamp", 97024.0, 97024.5, u + S);
    T_CHECK(peers_moved(&ps, u + S));
    T_CHECK(peers_fresh(&ps, u + S) == 1); /* kraken and coinbase: not heard for 5 s */
    /* an empty side is heard but moves nothing */
    peers_mark(&ps, u + 2 * S);
    peers_quote(&ps, "bitstamp", 0, 97024.5, u + 2 * S);
    T_CHECK(!peers_moved(&ps, u + 2 * S));
    return s_test_relative();
}
