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

static void s_quote(peers_t *ps, peer_t *p, double bid, double ask, int64_t now)
{
    double mid = bid > 0 && ask > 0 ? (bid + ask) / 2 : 0;
    ps->quotes++;
    p->heard_mono = now;
    if (mid <= 0) return;
    if (p->ref_mid <= 0) p->ref_mid = mid; /* first sight: nothing moved yet */
    if (mid != p->mid) p->moves++;
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
        if (p->moves >= PEERS_MOVES) return 1;
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
    const int64_t S = 1000000000LL;
    T_CHECK(!peers_moved(&ps, 0)); /* no peers: no evidence */
    T_CHECK(peers_quote_msg(&ps, "quote.kraken.BTC-USD", "{\"bid\":97000.1,\"ask\":97000.2}", strlen("{\"bid\":97000.1,\"ask\":97000.2}"), S) == 0);
    T_CHECK(peers_quote_msg(&ps, "quote.coinbase.BTC-USD", "{\"bid\":\"97000.00\",\"ask\":\"97000.01\",\"bid_size\":1}", strlen("{\"bid\":\"97000.00\",\"ask\":\"97000.01\",\"bid_size\":1}"), S) == 0);
    T_CHECK(peers_quote_msg(&ps, "quote.x.BTC-USD", "{\"bid\":true}", strlen("{\"bid\":true}"), S) < 0);
    T_CHECK(peers_quote_msg(&ps, "quote.x.BTC-USD", "[1]", strlen("[1]"), S) < 0);
    T_CHECK(peers_quote_msg(&ps, "quotex", "{}", strlen("{}"), S) < 0);
    T_CHECK(ps.n == 2 && ps.bad == 3);
    peers_mark(&ps, 2 * S);
    /* a small move, twice: not enough */
    peers_quote(&ps, "kraken", 97000.2, 97000.3, 3 * S);
    peers_quote(&ps, "kraken", 97000.1, 97000.2, 3 * S);
    T_CHECK(!peers_moved(&ps, 3 * S));
    /* a third touch change: the market is moving */
    peers_quote(&ps, "kraken", 97000.3, 97000.4, 3 * S);
    T_CHECK(peers_moved(&ps, 3 * S));
    /* ... but not from a peer last heard long ago */
    T_CHECK(!peers_moved(&ps, 9 * S));
    /* our data: start over; one jump of 2.5 bp is enough */
    peers_mark(&ps, 10 * S);
    T_CHECK(!peers_moved(&ps, 10 * S));
    peers_quote(&ps, "coinbase", 97024.0, 97024.5, 11 * S);
    T_CHECK(peers_moved(&ps, 11 * S));
    T_CHECK(peers_fresh(&ps, 11 * S) == 1);
    /* an empty side is heard but moves nothing */
    peers_mark(&ps, 12 * S);
    peers_quote(&ps, "coinbase", 0, 97024.5, 12 * S);
    T_CHECK(!peers_moved(&ps, 12 * S));
    return 0;
}
