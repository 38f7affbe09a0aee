/* bitstamp: Bitstamp websocket v2 (wss://ws.bitstamp.net) for feed-bitstamp:
 * one order_book_<pair> (every message a whole top-100 book) and one
 * live_trades_<pair> channel per carried pair (btcusd, ethusd, ..); a client
 * bts:heartbeat every 10 s, and bts:request_reconnect honoured by reconnecting.
 * A silence is checked against the REST order book (GET
 * /api/v2/order_book/<pair>/): Bitstamp sends its book only on a change, so a
 * resubscribe proves nothing in a quiet market, but a REST book that moved
 * past ours does (docs/FEEDS.md, 'Telling quiet from dead', 6). */
#include "feed.h"
#include "clock.h"
#include "log.h"

#include <math.h>

#include <stdio.h>
#include <string.h>

#define BTS_HEARTBEAT_NS (10 * NS_PER_S)
#define BTS_REST_LEVELS 10 /* levels per side compared with the REST book */

/* feed-bitstamp's own state */
typedef struct {
    int64_t ping_mono; /* the last client heartbeat (mono ns) */
} s_state_t;

/* {"event":EV,"data":{"channel":"<PREFIX><pair>"}} */
static void s_chan(feed_t *f, const char *ev, const char *prefix, const feed_book_t *b)
{
    char m[160];
    snprintf(m, sizeof m, "{\"event\":\"%s\",\"data\":{\"channel\":\"%s%s\"}}", ev, prefix, b->sym);
    feed_send(f, m);
}

/* The book of channel token CH if it is "<PREFIX><pair>": NULL when it is not such a
 * channel (*OTHER 0) or its pair is not carried (*OTHER 1: counted, logged). */
static feed_book_t *s_chan_book(feed_t *f, const jtok_t *d, int ch, const char *prefix, int *other)
{
    size_t n, k = strlen(prefix);
    const char *s = jtok_type(d, ch) == JSMN_STRING ? jtok_text(d, ch, &n) : NULL;
    *other = 0;
    if (!s || n <= k || memcmp(s, prefix, k)) return NULL;
    feed_book_t *b = feed_book_sym(f, s + k, n - k);
    if (!b) {
        *other = 1;
        f->n_unknown_sym++;
        log_warnx_rl("venue=bitstamp channel %.*s not carried: dropped", n < 60 ? (int)n : 60, s);
    }
    return b;
}

static void s_subscribe(feed_t *f)
{
    s_state_t *st = f->venue_state;
    st->ping_mono = clock_mono_ns();
    for (int i = 0; i < f->nb; i++) s_chan(f, "bts:subscribe", "order_book_", &f->b[i]);
    for (int i = 0; i < f->nb; i++) s_chan(f, "bts:subscribe", "live_trades_", &f->b[i]);
}

/* One pair's book again: its order_book channel unsubscribed and subscribed. */
static void s_resync(feed_t *f, feed_book_t *b)
{
    s_chan(f, "bts:unsubscribe", "order_book_", b);
    s_chan(f, "bts:subscribe", "order_book_", b);
}

static void s_tick(feed_t *f, int64_t now)
{
    s_state_t *st = f->venue_state;
    if (now - st->ping_mono < BTS_HEARTBEAT_NS) return;
    st->ping_mono = now;
    feed_send(f, "{\"event\":\"bts:heartbeat\"}");
}

/* A probe: the client heartbeat, answered by bts:heartbeat (no id: any
 * answer counts; it also restarts the 10 s heartbeat clock). */
static int s_probe(feed_t *f, unsigned id)
{
    (void)id;
    s_state_t *st = f->venue_state;
    st->ping_mono = clock_mono_ns();
    feed_send(f, "{\"event\":\"bts:heartbeat\"}");
    return 1;
}

static int64_t s_usec(const jtok_t *d, int i)
{
    int64_t us, ns;
    if (jtok_int(d, i, &us) < 0 || clock_from_units(us, 1000, &ns) < 0) return -1;
    return ns; /* within 1970..2200 */
}

/* One side of a whole-book message: a snapshot, bulk-loaded (bids arrive
 * best-first, asks best-first: one O(n) pass, no per-level insert). */
static int s_side(feed_book_t *b, const jtok_t *d, int arr, book_side_t side)
{
    if (jtok_type(d, arr) != JSMN_ARRAY) return -1;
    int n = jtok_size(d, arr);
    book_level_t *lv = book_load_begin(&b->book, side, n);
    for (int k = 0, l = arr + 1; k < n; k++) {
        int m = jtok_size(d, l);
        if (jtok_type(d, l) != JSMN_ARRAY || m < 2 || feed_num(b, d, l + 1, 1, &lv[k].px) < 0 ||
            feed_num(b, d, l + 2, 0, &lv[k].sz) < 0) {
            book_load_end(&b->book, side, 0);
            return -1;
        }
        /* [px, sz] of two scalars (checked by jtok_fixed) is 3 tokens */
        l = m == 2 ? l + 3 : jtok_skip(d, l);
    }
    return book_load_end(&b->book, side, n) < 0 ? -1 : 0;
}

/* The values of the N keys in the object at OBJ (-1 if absent; the first of a
 * repeated key, as jtok_get), in one pass: the book message's "data" holds
 * ~600 tokens, which a jtok_get per key would walk once each. */
static void s_keys(const jtok_t *d, int obj, const char *const *keys, int *val, int n)
{
    for (int k = 0; k < n; k++) val[k] = -1;
    if (jtok_type(d, obj) != JSMN_OBJECT) return;
    int m = jtok_size(d, obj), left = n;
    for (int j = 0, i = obj + 1; left && j < m && i + 1 < d->n; j++, i = jtok_skip(d, i + 1)) {
        if (jtok_type(d, i) != JSMN_STRING) continue;
        for (int k = 0; k < n; k++)
            if (val[k] < 0 && jtok_eq(d, i, keys[k])) {
                val[k] = i + 1;
                left--;
                break;
            }
    }
}

static int s_parse(feed_t *f, const char *msg, size_t len, int64_t ts_rx)
{
    if (feed_tokenize(f, msg, len) < 0) return WSCONN_MSG_BAD;
    const jtok_t *d = &f->tok;
    static const char *const top[] = {"event", "channel", "data"};
    int tv[3];
    s_keys(d, 0, top, tv, 3);
    int ev = tv[0], ch = tv[1], data = tv[2], other;
    feed_book_t *b;
    if (jtok_eq(d, ev, "data") && ((b = s_chan_book(f, d, ch, "order_book_", &other)) || other)) {
        if (!b) return WSCONN_MSG_IGNORED;
        if (jtok_type(d, data) != JSMN_OBJECT) return WSCONN_MSG_BAD;
        static const char *const bk[] = {"microtimestamp", "bids", "asks"};
        int bv[3];
        s_keys(d, data, bk, bv, 3);
        int64_t ts_ex = s_usec(d, bv[0]);
        feed_snapshot_begin(f, b);
        if (s_side(b, d, bv[1], BOOK_BID) < 0 || s_side(b, d, bv[2], BOOK_ASK) < 0) {
            log_warnx_rl("venue=bitstamp bad order_book frame");
            feed_invalid(f, b, "bad_level", -1, -1, ts_rx);
            return WSCONN_MSG_BAD;
        }
        feed_book_done(f, b, 1, ts_rx, ts_ex);
        return WSCONN_MSG_DATA;
    }
    if (jtok_eq(d, ev, "trade") && ((b = s_chan_book(f, d, ch, "live_trades_", &other)) || other)) {
        if (!b) return WSCONN_MSG_IGNORED;
        int64_t px, sz, type;
        if (jtok_type(d, data) != JSMN_OBJECT ||
            feed_num(b, d, jtok_get(d, data, "price_str"), 1, &px) < 0 ||
            feed_num(b, d, jtok_get(d, data, "amount_str"), 0, &sz) < 0 ||
            jtok_int(d, jtok_get(d, data, "type"), &type) < 0 || (type != 0 && type != 1) ||
            px <= 0 || sz <= 0) {
            log_warnx_rl("venue=bitstamp bad trade frame");
            return WSCONN_MSG_BAD;
        }
        /* live_trades id is an integer (docs/FEEDS.md); a bad one drops the trade (counted) */
        if (feed_trade(f, b, d, jtok_get(d, data, "id"), 1, px, sz, type == 0 ? "buy" : "sell",
                       ts_rx, s_usec(d, jtok_get(d, data, "microtimestamp"))) < 0)
            return WSCONN_MSG_BAD;
        return WSCONN_MSG_DATA;
    }
    if (jtok_eq(d, ev, "bts:request_reconnect")) {
        log_info("venue=bitstamp server requested a reconnect");
        if (f->c) wsconn_reconnect(f->c, "request_reconnect");
        return WSCONN_MSG_CTRL;
    }
    if (jtok_eq(d, ev, "bts:error")) {
        char m[200] = "";
        jtok_str(d, jtok_get(d, data, "message"), m, sizeof m);
        log_warnx_rl("venue=bitstamp error frame: %s", m);
        return WSCONN_MSG_CTRL;
    }
    if (jtok_eq(d, ev, "bts:heartbeat")) {
        feed_probe_answered(f, 0);
        return WSCONN_MSG_CTRL;
    }
    if (jtok_eq(d, ev, "bts:subscription_succeeded") ||
        jtok_eq(d, ev, "bts:unsubscription_succeeded"))
        return WSCONN_MSG_CTRL;
    return WSCONN_MSG_IGNORED;
}

/* --- the REST check of a silence --- */

static void s_rest_path(const feed_book_t *b, char *out, size_t n)
{
    snprintf(out, n, "/api/v2/order_book/%s/", b->sym);
}

/* A price or amount of the REST book: a decimal string (as Bitstamp prints
 * them) or a JSON number; 0 or -1. */
static int s_rest_num(const json_t *v, int64_t *out)
{
    char buf[64];
    const char *t = NULL;
    if (json_is_string(v)) t = json_string_value(v);
    else if (json_is_integer(v)) {
        snprintf(buf, sizeof buf, "%lld", (long long)json_integer_value(v));
        t = buf;
    } else if (json_is_real(v)) {
        snprintf(buf, sizeof buf, "%.8f", json_real_value(v));
        t = buf;
    }
    return t ? num_parse_fixed(t, strlen(t), BOOK_SCALE, out) : -1;
}

/* "microtimestamp" (µs, a string or a number) in ns since the epoch, or -1. */
static int64_t s_rest_ts(const json_t *root)
{
    const json_t *v = json_object_get(root, "microtimestamp");
    int64_t us = -1, ns;
    if (json_is_integer(v)) us = json_integer_value(v);
    else if (json_is_string(v) && num_parse_fixed(json_string_value(v), json_string_length(v), 0,
                                                  &us) < 0)
        us = -1;
    if (us < 0 || clock_from_units(us, 1000, &ns) < 0) return -1;
    return ns;
}

/* The first of the top BTS_REST_LEVELS levels of SIDE where the REST book's
 * array ARR differs from B's: its index, -1 when they agree, -2 when ARR is
 * not a book side (an array of [price, amount]). */
static int s_rest_side(const feed_book_t *b, const json_t *arr, book_side_t side)
{
    if (!json_is_array(arr)) return -2;
    size_t n = json_array_size(arr);
    for (int i = 0; i < BTS_REST_LEVELS; i++) {
        const book_level_t *l = book_top(&b->book, side, i);
        if ((size_t)i >= n) return l ? i : -1;
        const json_t *e = json_array_get(arr, (size_t)i);
        int64_t px, sz;
        if (!json_is_array(e) || json_array_size(e) < 2 ||
            s_rest_num(json_array_get(e, 0), &px) < 0 || s_rest_num(json_array_get(e, 1), &sz) < 0)
            return -2;
        if (!l || l->px != px || l->sz != sz) return i;
    }
    return -1;
}

/* The verdict on the REST book ROOT for B's silence (feed_venue_t.rest_check). */
static int s_rest_check(feed_t *f, feed_book_t *b, const json_t *root, char *why, size_t n)
{
    (void)f;
    int64_t ts = s_rest_ts(root);
    int db = s_rest_side(b, json_object_get(root, "bids"), BOOK_BID);
    int da = s_rest_side(b, json_object_get(root, "asks"), BOOK_ASK);
    if (db == -2 || da == -2) {
        snprintf(why, n, "its REST order book for %s is not a book (bids/asks of [price, amount])",
                 b->sym);
        return -1;
    }
    double age = ts > 0 && b->book_ts_ex > 0 ? (double)(ts - b->book_ts_ex) / 1e9 : NAN;
    if (db == -1 && da == -1) {
        snprintf(why, n, "its REST order book (%+.1f s from our last) is ours", age);
        return 0;
    }
    const char *side = db >= 0 ? "bid" : "ask";
    int lvl = db >= 0 ? db : da;
    if (ts < 0) {
        snprintf(why, n, "its REST order book differs at %s level %d but has no microtimestamp",
                 side, lvl);
        return -1;
    }
    if (b->book_ts_ex > 0 && ts <= b->book_ts_ex) {
        snprintf(why, n, "its REST order book is older than ours (%+.3f s) and differs at %s "
                 "level %d", age, side, lvl);
        return -1;
    }
    snprintf(why, n, "its REST order book (%+.1f s from our last) moved (%s level %d)", age,
             side, lvl);
    return 1;
}

const feed_venue_t feed_bitstamp = {
    .venue = "bitstamp",
    .url = "wss://ws.bitstamp.net",
    .px_dec = 2, /* the venue prints cents ("31524.50"): published with them */
    .sz_dec = 8,
    .state_size = sizeof(s_state_t),
    .subscribe = s_subscribe,
    .resync = s_resync,
    .parse = s_parse,
    .tick = s_tick,
    .probe = s_probe,
    .rest_base = "https://www.bitstamp.net",
    .rest_path = s_rest_path,
    .rest_check = s_rest_check,
};
