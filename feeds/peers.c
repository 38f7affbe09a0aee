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

/* The decayed count of touch changes up to NOW. */
static double s_pace_n(const peer_t *p, int64_t now)
{
    return p->pace_n * exp(-(double)(now - p->pace_mono) / 1e9 / PEERS_TAU_S);
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
    ps->mark_mono = now;
    for (int i = 0; i < ps->n; i++) {
        ps->p[i].ref_mid = ps->p[i].mid;
        ps->p[i].moves = 0;
    }
}

int peers_moved(const peers_t *ps, int64_t now)
{
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
    return 0;
}
