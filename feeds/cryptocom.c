/* cryptocom: Crypto.com Exchange API v1 market data
 * (wss://stream.crypto.com/exchange/v1/market) for feed-cryptocom:
 * book.<SYM>.{10|50} for every carried instrument (BTC_USD, ETH_USD, ..) as
 * SNAPSHOT_AND_UPDATE (a snapshot, then deltas whose pu must be the previous
 * message's u of the same instrument: a mismatch is a gap -> that instrument's
 * channel is resubscribed) and trade.<SYM> (the taker's side); the server's
 * public/heartbeat is answered with public/respond-heartbeat and the same id,
 * or the server disconnects. */
#include "feed.h"
#include "clock.h"
#include "log.h"

#include <stdio.h>
#include <string.h>

#define CDC_SUB_DELAY_NS NS_PER_S /* the venue pro-rates its rate limit: wait 1 s after connecting */
#define CDC_ID_TRADES 2           /* the trade subscription's request id */

/* feed-cryptocom's own state */
typedef struct {
    int depth;       /* the book channel's depth: 10 or 50 */
    int64_t sub_due; /* mono ns when the subscriptions go out (0: sent) */
} s_state_t;

/* ... and per book */
typedef struct {
    int64_t u;       /* the u of the last book message applied */
    int have_u;
} s_bstate_t;

static int s_depth(const feed_t *f) { return f->depth <= 10 ? 10 : 50; }

#define CDC_CHANS (FEED_BOOKS_MAX * 40)

/* METHOD the book channels of B (NULL: every book's) */
static void s_book_req(feed_t *f, const feed_book_t *b, const char *method, int id)
{
    char m[CDC_CHANS + 200], ch[CDC_CHANS], post[16];
    const s_state_t *st = f->venue_state;
    long long nonce = (long long)(clock_real_ns() / NS_PER_MS);
    snprintf(post, sizeof post, ".%d", st->depth);
    feed_syms(f, b, "book.", post, ch, sizeof ch);
    if (!strcmp(method, "subscribe"))
        snprintf(m, sizeof m,
                 "{\"id\":%d,\"method\":\"subscribe\",\"params\":{\"channels\":[%s],"
                 "\"book_subscription_type\":\"SNAPSHOT_AND_UPDATE\","
                 "\"book_update_frequency\":10},\"nonce\":%lld}",
                 id, ch, nonce);
    else
        snprintf(m, sizeof m,
                 "{\"id\":%d,\"method\":\"%s\",\"params\":{\"channels\":[%s]},\"nonce\":%lld}", id,
                 method, ch, nonce);
    feed_send(f, m);
}

static void s_send_subs(feed_t *f)
{
    char m[CDC_CHANS + 200], ch[CDC_CHANS];
    s_book_req(f, NULL, "subscribe", 1);
    feed_syms(f, NULL, "trade.", "", ch, sizeof ch);
    snprintf(m, sizeof m,
             "{\"id\":%d,\"method\":\"subscribe\",\"params\":{\"channels\":[%s]},\"nonce\":%lld}",
             CDC_ID_TRADES, ch, (long long)(clock_real_ns() / NS_PER_MS));
    feed_send(f, m);
}

static void s_subscribe(feed_t *f)
{
    s_state_t *st = f->venue_state;
    for (int i = 0; i < f->nb; i++) ((s_bstate_t *)f->b[i].vs)->have_u = 0;
    st->depth = s_depth(f);
    st->sub_due = clock_mono_ns() + CDC_SUB_DELAY_NS;
}

static void s_tick(feed_t *f, int64_t now)
{
    s_state_t *st = f->venue_state;
    if (!st->sub_due || now < st->sub_due) return;
    st->sub_due = 0;
    s_send_subs(f);
}

/* One instrument's book again: its book channel unsubscribed and subscribed. */
static void s_resync(feed_t *f, feed_book_t *b)
{
    s_state_t *st = f->venue_state;
    ((s_bstate_t *)b->vs)->have_u = 0;
    if (st->sub_due) return; /* not subscribed yet: the tick subscribes */
    s_book_req(f, b, "unsubscribe", 3);
    s_book_req(f, b, "subscribe", 1);
}

static int64_t s_ms(const jtok_t *d, int i)
{
    int64_t ms, ns;
    if (jtok_int(d, i, &ms) < 0 || clock_from_units(ms, NS_PER_MS, &ns) < 0) return -1;
    return ns;
}

/* Levels [price, qty, count] (strings; numbers accepted alike) into one side.
 * qty "0" deletes. 0, or -1 on a bad level. */
static int s_levels(feed_book_t *b, const jtok_t *d, int arr, book_side_t side)
{
    if (arr < 0) return 0; /* a side may be left out */
    if (jtok_type(d, arr) != JSMN_ARRAY) return -1;
    int n = jtok_size(d, arr);
    for (int k = 0, l = arr + 1; k < n; k++, l = jtok_skip(d, l)) {
        int64_t px, sz;
        if (jtok_type(d, l) != JSMN_ARRAY || jtok_size(d, l) < 2 ||
            jtok_type(d, l + 1) == JSMN_ARRAY || jtok_type(d, l + 1) == JSMN_OBJECT ||
            feed_num(b, d, l + 1, 1, &px) < 0 ||
            feed_num(b, d, jtok_skip(d, l + 1), 0, &sz) < 0 ||
            book_set(&b->book, side, px, sz) == -2)
            return -1;
    }
    return 0;
}

/* One element of a book or book.update message's data for B. 0, or -1 (bad frame). */
static int s_book(feed_t *f, feed_book_t *b, const jtok_t *d, int e, int snapshot, int64_t ts_rx)
{
    const s_state_t *cs = f->venue_state;
    s_bstate_t *st = b->vs;
    int64_t u, pu = 0;
    if (jtok_type(d, e) != JSMN_OBJECT || jtok_int(d, jtok_get(d, e, "u"), &u) < 0 ||
        (!snapshot && jtok_int(d, jtok_get(d, e, "pu"), &pu) < 0)) {
        /* without its sequence numbers a book message cannot be applied safely */
        feed_invalid(f, b, "bad_level", -1, -1, ts_rx);
        return -1;
    }
    int lv = e;
    if (snapshot) feed_snapshot_begin(f, b);
    else {
        if (!feed_bk_ready(b)) {
            feed_invalid(f, b, "no_snapshot", -1, -1, ts_rx); /* counted as skipped when resyncing */
            return 0;
        }
        if (!st->have_u || pu != st->u) {
            log_warnx_rl("venue=cryptocom %s sequence gap: pu=%lld, last u=%lld", b->sym,
                         (long long)pu, (long long)st->u);
            feed_invalid(f, b, "sequence", -1, -1, ts_rx);
            st->have_u = 0;
            return 0;
        }
        lv = jtok_get(d, e, "update");
        if (jtok_type(d, lv) != JSMN_OBJECT) goto bad;
    }
    if (s_levels(b, d, jtok_get(d, lv, "bids"), BOOK_BID) < 0 ||
        s_levels(b, d, jtok_get(d, lv, "asks"), BOOK_ASK) < 0)
        goto bad;
    /* the server keeps the channel's depth and deletes what leaves it; trimmed
     * anyway, so a level it did not delete cannot linger */
    book_trim(&b->book, cs->depth > 0 ? cs->depth : s_depth(f));
    st->u = u;
    st->have_u = 1;
    feed_book_done(f, b, snapshot, ts_rx, s_ms(d, jtok_get(d, e, "t")));
    return 0;
bad:
    st->have_u = 0;
    feed_invalid(f, b, "bad_level", -1, -1, ts_rx);
    return -1;
}

static int s_trades(feed_t *f, feed_book_t *b, const jtok_t *d, int data, int64_t ts_rx)
{
    int n = jtok_size(d, data), rc = 0;
    for (int k = 0, t = data + 1; k < n; k++, t = jtok_skip(d, t)) {
        if (jtok_type(d, t) != JSMN_OBJECT) return -1;
        int it = jtok_get(d, t, "i");
        if (it >= 0 && !jtok_eq(d, it, b->sym)) continue;
        int64_t px, sz, ns;
        int side = jtok_get(d, t, "s");
        /* s is the taker's side (docs/FEEDS.md, 'Trade side') */
        const char *sd = jtok_eq(d, side, "BUY") || jtok_eq(d, side, "buy")     ? "buy"
                         : jtok_eq(d, side, "SELL") || jtok_eq(d, side, "sell") ? "sell"
                                                                                : NULL;
        if (!sd || feed_num(b, d, jtok_get(d, t, "p"), 1, &px) < 0 ||
            feed_num(b, d, jtok_get(d, t, "q"), 0, &sz) < 0 || px <= 0 || sz <= 0)
            return -1;
        /* tn: the trade time in ns (a string), else t in ms */
        int64_t ts_ex = jtok_int(d, jtok_get(d, t, "tn"), &ns) == 0 && ns >= 0 && ns <= CLOCK_MAX_NS
                            ? ns
                            : s_ms(d, jtok_get(d, t, "t"));
        /* d: a string in the live frames, a number in older ones: both read as ids */
        if (feed_trade(f, b, d, jtok_get(d, t, "d"), 1, px, sz, sd, ts_rx, ts_ex) < 0) rc = -1;
    }
    return rc;
}

/* public/heartbeat {id N}: answered at once with the same id. */
static int s_heartbeat(feed_t *f, const jtok_t *d)
{
    int64_t id;
    if (jtok_int(d, jtok_get(d, 0, "id"), &id) < 0 || id < 0) {
        log_warnx_rl("venue=cryptocom heartbeat without a usable id: not answered");
        return WSCONN_MSG_BAD;
    }
    char m[96];
    snprintf(m, sizeof m, "{\"id\":%lld,\"method\":\"public/respond-heartbeat\"}", (long long)id);
    feed_send(f, m);
    return WSCONN_MSG_CTRL;
}

static int s_parse(feed_t *f, const char *msg, size_t len, int64_t ts_rx)
{
    if (feed_tokenize(f, msg, len) < 0) return WSCONN_MSG_BAD;
    const jtok_t *d = &f->tok;
    int method = jtok_get(d, 0, "method");
    if (jtok_eq(d, method, "public/heartbeat")) return s_heartbeat(f, d);
    int code = jtok_get(d, 0, "code");
    if (code >= 0 && !jtok_eq(d, code, "0")) /* 40003 "Unknown symbol", 40107 ... */
        return feed_error_frame(f, d, jtok_get(d, 0, "message"));
    int r = jtok_get(d, 0, "result");
    if (r < 0) return method >= 0 ? WSCONN_MSG_CTRL : WSCONN_MSG_IGNORED; /* bare acks */
    if (jtok_type(d, r) != JSMN_OBJECT) return WSCONN_MSG_BAD;
    int ch = jtok_get(d, r, "channel");
    int book = jtok_eq(d, ch, "book"), upd = jtok_eq(d, ch, "book.update");
    int tr = jtok_eq(d, ch, "trade");
    if (!book && !upd && !tr) return WSCONN_MSG_IGNORED;
    feed_book_t *b = feed_find(f, d, jtok_get(d, r, "instrument_name"));
    if (!b) return WSCONN_MSG_IGNORED; /* an instrument not carried: counted and dropped */
    int data = jtok_get(d, r, "data");
    if (data < 0) return WSCONN_MSG_CTRL; /* a subscribe reply without data */
    if (jtok_type(d, data) != JSMN_ARRAY) return WSCONN_MSG_BAD;
    int rc = 0;
    if (tr) {
        /* data in the reply to our subscribe request (id 2, not -1) may be
         * trades from before this connection: not published */
        int64_t id;
        if (jtok_int(d, jtok_get(d, 0, "id"), &id) == 0 && id == CDC_ID_TRADES)
            return WSCONN_MSG_CTRL;
        rc = s_trades(f, b, d, data, ts_rx);
    } else {
        int n = jtok_size(d, data);
        for (int k = 0, e = data + 1; k < n && !rc; k++, e = jtok_skip(d, e))
            rc = s_book(f, b, d, e, book, ts_rx);
    }
    if (rc) {
        log_warnx_rl("venue=cryptocom bad %s frame", tr ? "trade" : book ? "book" : "book.update");
        return WSCONN_MSG_BAD;
    }
    return WSCONN_MSG_DATA;
}

const feed_venue_t feed_cryptocom = {
    .venue = "cryptocom",
    .url = "wss://stream.crypto.com/exchange/v1/market",
    .px_dec = 2, /* BTC_USD: "63962.65" */
    .sz_dec = 5, /* BTC_USD: "0.23532" */
    .state_size = sizeof(s_state_t),
    .book_state_size = sizeof(s_bstate_t),
    .subscribe = s_subscribe,
    .resync = s_resync,
    .parse = s_parse,
    .tick = s_tick,
    /* no probe: no client request that the market socket answers is documented
     * (docs/FEEDS.md); a websocket ping is used */
    .resub_snapshot = 1, /* SNAPSHOT_AND_UPDATE starts with a snapshot */
    /* a data-path probe costs the top --depth levels (10-100 a side, a few KB) */
    .data_probes_per_h = 600,
};
