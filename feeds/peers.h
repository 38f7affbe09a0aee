/* peers: what the other venues' quotes say while this feed's venue is silent
 * (docs/FEEDS.md, 'Telling quiet from dead'). BTC trades on every venue at
 * once: when this venue sends nothing while another venue's mid moved by
 * PEERS_MOVE_BP basis points, or its touch kept changing at no less than half
 * its usual pace (PEERS_MOVES changes at least; the pace is its own, learned
 * over the last 15 s or so, after 5 s of watching), the silence is not the market's. A quiet spell
 * is market-wide: the other venues slow down too, and a burst of a few
 * changes on one of them is not the pace it keeps. The feed program
 * subscribes to the other feeds' quote.* topics on the bus and feeds them in
 * here; nothing else. */
#ifndef TB_PEERS_H
#define TB_PEERS_H

#include <stddef.h>
#include <stdint.h>

#define PEERS_MAX 8
#define PEERS_MOVE_BP 2.0 /* a mid move this large (basis points) ... */
#define PEERS_MOVES 3     /* ... or this many touch changes of one peer */
#define PEERS_FRESH_NS (5 * 1000000000LL) /* a peer heard from within this counts */
#define PEERS_TAU_S 15.0   /* the usual pace: changes a second, decayed over this */
#define PEERS_LEARN_NS (5 * 1000000000LL) /* pace known after watching this long */
/* The relative test: over the long run this venue sends R data messages per
 * touch change of a peer (both counted with exp(-age/PEERS_LONG_TAU_S)); a
 * silence during which every fresh peer (all but one, of three or more)
 * changed its touch often enough that
 * this venue would have sent PEERS_EXPECT messages at that ratio is not the
 * market's, whatever the market's pace (a quiet spell slows every venue at
 * once: the ratio holds). Known after PEERS_LONG_LEARN_NS of watching both and
 * PEERS_LONG_MIN decayed messages of each. */
#define PEERS_LONG_TAU_S 300.0
#define PEERS_LONG_LEARN_NS (60 * 1000000000LL)
#define PEERS_LONG_MIN 100.0
#define PEERS_EXPECT 16.0
/* With this many peers qualified or more, the figure is the second smallest
 * (one peer that changed little is outvoted); with fewer, the smallest. */
#define PEERS_OUTVOTE 3

typedef struct {
    char venue[24];
    double mid, ref_mid; /* now, and when this venue last sent data */
    unsigned moves;      /* touch changes since then */
    int64_t heard_mono, first_mono, pace_mono;
    double pace_n;       /* touch changes, each decayed by exp(-age/PEERS_TAU_S) */
    double long_n;       /* the same decayed by exp(-age/PEERS_LONG_TAU_S) */
    int64_t long_mono;
} peer_t;

typedef struct {
    peer_t p[PEERS_MAX];
    int n;
    int64_t mark_mono; /* this venue's last data message */
    double own_n;      /* this venue's data messages, decayed by exp(-age/PEERS_LONG_TAU_S) */
    int64_t own_mono, own_first;
    uint64_t quotes, bad;
} peers_t;

void peers_init(peers_t *ps);
/* A quote of VENUE (bid/ask as doubles; <= 0 when the side is empty) at NOW. */
void peers_quote(peers_t *ps, const char *venue, double bid, double ask, int64_t now);
/* This venue sent data at NOW: movement is measured from here. */
void peers_mark(peers_t *ps, int64_t now);
/* As peers_mark, for a new connection or subscription: not one of the venue's
 * messages (its long-run count is left alone). */
void peers_restart(peers_t *ps, int64_t now);
/* Since the last peers_mark: 2 when every fresh peer whose ratio is known
 * changed its touch as often as PEERS_EXPECT of this venue's messages (the
 * relative test, see peers_expected), 1 when a peer heard from lately moved (its mid by
 * PEERS_MOVE_BP, or its touch at half its pace), 0 otherwise. */
int peers_moved(const peers_t *ps, int64_t now);
/* The relative test's figure: over the fresh peers whose ratio is known, the
 * messages this venue would have sent since the last mark at its usual ratio
 * to that peer; the least of them, or the second least when PEERS_OUTVOTE or
 * more qualify; -1 when no peer qualifies. */
double peers_expected(const peers_t *ps, int64_t now);
/* Peers heard from within PEERS_FRESH_NS of NOW. */
int peers_fresh(const peers_t *ps, int64_t now);
/* A quote.* body from the bus ({"bid":..,"ask":..}) by TOPIC "quote.VENUE.SYM";
 * 0, or -1 (counted in bad) when it is not one. */
int peers_quote_msg(peers_t *ps, const char *topic, const char *body, size_t len, int64_t now);

int peers_test(void);

#endif
