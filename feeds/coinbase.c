/* coinbase: Coinbase Advanced Trade (wss://advanced-trade-ws.coinbase.com)
 * for feed-coinbase: one subscribe per channel (level2, market_trades, ticker,
 * heartbeats) with every carried product in product_ids, l2_data
 * snapshot/update with bid/offer sides per product_id, and the per-connection
 * sequence_num (one counter over every channel and product: the live capture
 * counts 0..23 across BTC-USD and ETH-USD), whose every jump is a gap that no
 * product can be told from: every book is resynced. */
#include "feed.h"
#include "log.h"

#include <string.h>

/* {"type":TYPE,"product_ids":[the products of B, or every book's],"channel":CH} */
static void s_send_sub(feed_t *f, const feed_book_t *b, const char *type, const char *ch)
{
    char ids[FEED_BOOKS_MAX * 32], m[FEED_BOOKS_MAX * 32 + 128];
    feed_syms(f, b, "", "", ids, sizeof ids);
    snprintf(m, sizeof m, "{\"type\":\"%s\",\"product_ids\":[%s],\"channel\":\"%s\"}", type,
             ids, ch);
    feed_send(f, m);
}

/* feed-coinbase's own state: sequence_num is per connection */
typedef struct {
    int64_t seq; /* the last sequence_num seen */
    int have_seq;
} s_state_t;

static void s_subscribe(feed_t *f)
{
    s_state_t *st = f->venue_state;
    st->have_seq = 0;
    feed_send(f, "{\"type\":\"subscribe\",\"channel\":\"heartbeats\"}");
    s_send_sub(f, NULL, "subscribe", "level2");
    s_send_sub(f, NULL, "subscribe", "market_trades");
    s_send_sub(f, NULL, "subscribe", "ticker");
}

/* One product's book again: unsubscribe and subscribe level2 for it alone (the others'
 * subscriptions stay; the new subscribe brings that product's snapshot). */
static void s_resync(feed_t *f, feed_book_t *b)
{
    s_send_sub(f, b, "unsubscribe", "level2");
    s_send_sub(f, b, "subscribe", "level2");
}

/* One l2_data event. Returns 0, or -1 on a bad level (the book is then invalid). */
static int s_l2_event(feed_t *f, const jtok_t *d, int ev, int64_t ts_rx, int64_t ts_ex)
{
    int ty = jtok_get(d, ev, "type");
    int snapshot = jtok_eq(d, ty, "snapshot");
    if (!snapshot && !jtok_eq(d, ty, "update")) return 0;
    feed_book_t *bk = feed_find(f, d, jtok_get(d, ev, "product_id"));
    if (!bk) return 0; /* a product not carried: counted and dropped */
    int ups = jtok_get(d, ev, "updates");
    if (jtok_type(d, ups) != JSMN_ARRAY) return -1;
    if (snapshot) feed_snapshot_begin(f, bk);
    else if (!feed_bk_ready(bk)) {
        /* counted as skipped when resyncing */
        feed_invalid(f, bk, "no_snapshot", -1, -1, ts_rx);
        return 0;
    }
    int n = jtok_size(d, ups);
    for (int k = 0, u = ups + 1; k < n; k++, u = jtok_skip(d, u)) {
        int side = jtok_get(d, u, "side");
        book_side_t s;
        if (jtok_eq(d, side, "bid")) s = BOOK_BID;
        else if (jtok_eq(d, side, "offer") || jtok_eq(d, side, "ask")) s = BOOK_ASK;
        else goto bad;
        int64_t px, sz;
        if (feed_num(bk, d, jtok_get(d, u, "price_level"), 1, &px) < 0 ||
            feed_num(bk, d, jtok_get(d, u, "new_quantity"), 0, &sz) < 0 ||
            book_set(&bk->book, s, px, sz) == -2)
            goto bad;
    }
    feed_book_done(f, bk, snapshot, ts_rx, ts_ex);
    return 0;
bad:
    feed_invalid(f, bk, "bad_level", -1, -1, ts_rx);
    return -1;
}

static int s_trades_event(feed_t *f, const jtok_t *d, int ev, int64_t ts_rx)
{
    /* the snapshot repeats trades from before this connection: not re-published */
    if (!jtok_eq(d, jtok_get(d, ev, "type"), "update")) return 0;
    int tr = jtok_get(d, ev, "trades");
    if (jtok_type(d, tr) != JSMN_ARRAY) return -1;
    int n = jtok_size(d, tr);
    for (int k = 0, t = tr + 1; k < n; k++, t = jtok_skip(d, t)) {
        feed_book_t *bk = feed_find(f, d, jtok_get(d, t, "product_id"));
        if (!bk) continue; /* a product not carried: counted and dropped */
        int64_t px, sz;
        int side = jtok_get(d, t, "side"), id = jtok_get(d, t, "trade_id");
        /* market_trades `side` is the MAKER's side (a SELL lifts the best offer):
         * published as the taker's, like every other venue (docs/FEEDS.md) */
        const char *sd = jtok_eq(d, side, "BUY") || jtok_eq(d, side, "buy")     ? "sell"
                         : jtok_eq(d, side, "SELL") || jtok_eq(d, side, "sell") ? "buy"
                                                                                : NULL;
        if (!sd || feed_num(bk, d, jtok_get(d, t, "price"), 1, &px) < 0 ||
            feed_num(bk, d, jtok_get(d, t, "size"), 0, &sz) < 0 || px <= 0 || sz <= 0)
            return -1;
        /* trade_id is a string in Coinbase's market_trades schema (docs/FEEDS.md); a bad
         * one drops the trade (counted), the frame's other trades go out */
        feed_trade(f, bk, d, id, 0, px, sz, sd, ts_rx, feed_time_iso(d, jtok_get(d, t, "time")));
    }
    return 0;
}

static int s_parse(feed_t *f, const char *msg, size_t len, int64_t ts_rx)
{
    if (feed_tokenize(f, msg, len) < 0) return WSCONN_MSG_BAD;
    const jtok_t *d = &f->tok;
    s_state_t *st = f->venue_state;
    int seqt = jtok_get(d, 0, "sequence_num");
    int64_t seq;
    if (seqt >= 0) {
        if (jtok_int(d, seqt, &seq) < 0) return WSCONN_MSG_BAD;
        if (st->have_seq && seq != st->seq + 1) {
            log_warnx_rl("venue=coinbase sequence gap expected=%lld got=%lld",
                         (long long)(st->seq + 1), (long long)seq);
            /* per connection: the lost frame may have been any product's */
            if (seq > st->seq + 1) feed_invalid(f, NULL, "sequence", st->seq + 1, seq - 1, ts_rx);
            else feed_invalid(f, NULL, "sequence_backwards", seq, st->seq, ts_rx);
        }
        st->seq = seq;
        st->have_seq = 1;
    }
    int ch = jtok_get(d, 0, "channel");
    int evs = jtok_get(d, 0, "events");
    if (ch < 0) {
        if (jtok_eq(d, jtok_get(d, 0, "type"), "error")) {
            char m[200] = "";
            jtok_str(d, jtok_get(d, 0, "message"), m, sizeof m);
            log_warnx_rl("venue=coinbase error frame: %s", m);
            return WSCONN_MSG_CTRL;
        }
        return WSCONN_MSG_IGNORED;
    }
    if (jtok_eq(d, ch, "heartbeats") || jtok_eq(d, ch, "subscriptions")) return WSCONN_MSG_CTRL;
    int is_l2 = jtok_eq(d, ch, "l2_data"), is_tr = jtok_eq(d, ch, "market_trades");
    if (!is_l2 && !is_tr && !jtok_eq(d, ch, "ticker")) return WSCONN_MSG_IGNORED;
    if (jtok_type(d, evs) != JSMN_ARRAY) return WSCONN_MSG_BAD;
    int64_t ts_ex = feed_time_iso(d, jtok_get(d, 0, "timestamp"));
    int n = jtok_size(d, evs), rc = 0;
    for (int k = 0, e = evs + 1; k < n; k++, e = jtok_skip(d, e)) {
        if (jtok_type(d, e) != JSMN_OBJECT) return WSCONN_MSG_BAD;
        if (is_l2) rc |= s_l2_event(f, d, e, ts_rx, ts_ex);
        else if (is_tr) rc |= s_trades_event(f, d, e, ts_rx);
    }
    if (rc) log_warnx_rl("venue=coinbase bad %s frame", is_l2 ? "l2_data" : "market_trades");
    return rc ? WSCONN_MSG_BAD : WSCONN_MSG_DATA;
}

const feed_venue_t feed_coinbase = {
    .venue = "coinbase",
    .url = "wss://advanced-trade-ws.coinbase.com",
    .px_dec = 2,
    .sz_dec = 8,
    .state_size = sizeof(s_state_t),
    .subscribe = s_subscribe,
    .resync = s_resync,
    .parse = s_parse,
    .resub_snapshot = 1, /* level2 starts with a snapshot */
    /* a data-path probe costs the whole book: the default budget (60 an hour) */
};
