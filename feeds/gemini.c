/* gemini: Gemini market data v2 (wss://api.gemini.com/v2/marketdata) for
 * feed-gemini: one l2 subscription with every carried symbol (BTCUSD, ETHUSD, ..),
 * whose first l2_updates of each symbol is its whole book (with the recent
 * trades: not re-published) and later ones absolute levels ("0" deletes),
 * trade messages with the taker's side, and a server heartbeat every ~5 s. v2 carries no sequence number and no checksum:
 * the integrity checks are the feed core's (crossed book, bad level, an update
 * before the book) and a fresh book on every (re)subscribe (docs/FEEDS.md). */
#include "feed.h"
#include "clock.h"
#include "log.h"

#include <string.h>

/* feed-gemini's state per book */
typedef struct {
    /* 1 on a fresh connection until the symbol's first l2_updates: that one is
     * the whole book even when it carries no "trades" key */
    int fresh;
} s_state_t;

/* {"type":TYPE,"subscriptions":[{"name":"l2","symbols":[B's symbol, or every book's]}]} */
static void s_l2_req(feed_t *f, const feed_book_t *b, const char *type)
{
    char syms[FEED_BOOKS_MAX * 32], m[FEED_BOOKS_MAX * 32 + 100];
    feed_syms(f, b, "", "", syms, sizeof syms);
    snprintf(m, sizeof m, "{\"type\":\"%s\",\"subscriptions\":[{\"name\":\"l2\",\"symbols\":[%s]}]}",
             type, syms);
    feed_send(f, m);
}

static void s_subscribe(feed_t *f)
{
    for (int i = 0; i < f->nb; i++) ((s_state_t *)f->b[i].vs)->fresh = 1;
    s_l2_req(f, NULL, "subscribe");
}

/* A fresh book on the same connection: unsubscribe and subscribe l2. The new
 * initial state is told from updates still in flight by its "trades" key; if
 * it never comes, the feed core reconnects (resync_timeout) and the first
 * message of the new connection is the book. */
static void s_resync(feed_t *f, feed_book_t *b)
{
    s_state_t *st = b->vs;
    st->fresh = 0;
    s_l2_req(f, b, "unsubscribe");
    s_l2_req(f, b, "subscribe");
}

/* Milliseconds since the epoch (a JSON integer) to ns, or -1. */
static int64_t s_ms(const jtok_t *d, int i)
{
    int64_t ms, ns;
    if (jtok_int(d, i, &ms) < 0 || clock_from_units(ms, NS_PER_MS, &ns) < 0) return -1;
    return ns;
}

/* One l2_updates for B. Returns 0, or -1 on a bad level (the book is then invalid). */
static int s_l2(feed_t *f, feed_book_t *b, const jtok_t *d, int64_t ts_rx)
{
    s_state_t *st = b->vs;
    int ch = jtok_get(d, 0, "changes");
    if (jtok_type(d, ch) != JSMN_ARRAY) goto bad;
    int snapshot = st->fresh || jtok_get(d, 0, "trades") >= 0;
    st->fresh = 0;
    if (snapshot) feed_snapshot_begin(f, b);
    else if (!feed_bk_ready(b)) {
        feed_invalid(f, b, "no_snapshot", -1, -1, ts_rx); /* counted as skipped when resyncing */
        return 0;
    }
    int n = jtok_size(d, ch);
    for (int k = 0, l = ch + 1; k < n; k++, l = jtok_skip(d, l)) {
        /* [side, price, quantity]: three strings (numbers accepted alike) */
        if (jtok_type(d, l) != JSMN_ARRAY || jtok_size(d, l) != 3) goto bad;
        book_side_t s;
        if (jtok_eq(d, l + 1, "buy")) s = BOOK_BID;
        else if (jtok_eq(d, l + 1, "sell")) s = BOOK_ASK;
        else goto bad;
        int64_t px, sz;
        if (feed_num(b, d, l + 2, 1, &px) < 0 || feed_num(b, d, l + 3, 0, &sz) < 0 ||
            book_set(&b->book, s, px, sz) == -2)
            goto bad;
    }
    /* l2_updates carries no time: ts_ex is null for book and quote */
    feed_book_done(f, b, snapshot, ts_rx, -1);
    return 0;
bad:
    feed_invalid(f, b, "bad_level", -1, -1, ts_rx);
    return -1;
}

static int s_trade(feed_t *f, feed_book_t *b, const jtok_t *d, int64_t ts_rx)
{
    int64_t px, sz;
    int side = jtok_get(d, 0, "side");
    /* side is the taker's (docs/FEEDS.md, 'Trade side') */
    const char *sd = jtok_eq(d, side, "buy") ? "buy" : jtok_eq(d, side, "sell") ? "sell" : NULL;
    if (!sd || feed_num(b, d, jtok_get(d, 0, "price"), 1, &px) < 0 ||
        feed_num(b, d, jtok_get(d, 0, "quantity"), 0, &sz) < 0 || px <= 0 || sz <= 0)
        return -1;
    /* event_id is an integer in every capture and in Gemini's docs example */
    return feed_trade(f, b, d, jtok_get(d, 0, "event_id"), 1, px, sz, sd, ts_rx,
                      s_ms(d, jtok_get(d, 0, "timestamp")));
}

static int s_parse(feed_t *f, const char *msg, size_t len, int64_t ts_rx)
{
    if (feed_tokenize(f, msg, len) < 0) return WSCONN_MSG_BAD;
    const jtok_t *d = &f->tok;
    int ty = jtok_get(d, 0, "type");
    if (ty < 0) /* {"result":"error","reason":"NoValidTradingPairs"} */
        return jtok_eq(d, jtok_get(d, 0, "result"), "error")
                   ? feed_error_frame(f, d, jtok_get(d, 0, "reason"))
                   : WSCONN_MSG_IGNORED;
    if (jtok_eq(d, ty, "heartbeat") || jtok_eq(d, ty, "subscription_ack")) return WSCONN_MSG_CTRL;
    int l2 = jtok_eq(d, ty, "l2_updates"), tr = jtok_eq(d, ty, "trade");
    if (!l2 && !tr) return WSCONN_MSG_IGNORED; /* auction_*, candles, other subscriptions */
    feed_book_t *b = feed_find(f, d, jtok_get(d, 0, "symbol"));
    if (!b) return WSCONN_MSG_IGNORED; /* a symbol not carried: counted and dropped */
    if (l2 ? s_l2(f, b, d, ts_rx) < 0 : s_trade(f, b, d, ts_rx) < 0) {
        log_warnx_rl("venue=gemini bad %s frame", l2 ? "l2_updates" : "trade");
        return WSCONN_MSG_BAD;
    }
    return WSCONN_MSG_DATA;
}

const feed_venue_t feed_gemini = {
    .venue = "gemini",
    .url = "wss://api.gemini.com/v2/marketdata",
    .px_dec = 2, /* BTCUSD prices carry cents ("9122.04") */
    .sz_dec = 8,
    .book_state_size = sizeof(s_state_t),
    .subscribe = s_subscribe,
    .resync = s_resync,
    .parse = s_parse,
    /* no probe: v2 answers no client request (docs/FEEDS.md); a websocket ping is used */
    .resub_snapshot = 1, /* l2 starts with the whole book */
    /* a data-path probe costs the whole book: the default budget (60 an hour) */
};
