/* kraken: Kraken spot websocket v2 (wss://ws.kraken.com/v2) for feed-kraken:
 * book (depth >= --depth), trade and ticker subscriptions, each with every
 * carried symbol in its symbol list; each symbol's book is trimmed to the depth
 * the server confirmed and its CRC32 over the top 10 levels, printed at the
 * pair's precision (BTC/USD: price 1 dp, qty 8 dp; other pairs: the decimals
 * their levels are printed with, feed_num), is checked on every snapshot and
 * update: a mismatch is a gap of that symbol -> that symbol is resubscribed. */
#include "feed.h"
#include "log.h"

#include <stdio.h>
#include <string.h>
#include <zlib.h>

/* feed-kraken's own state */
typedef struct {
    int depth; /* the book depth the server confirmed (trim + checksum); 0: none yet */
} s_state_t;

static int s_depth(const feed_t *f)
{
    static const int allowed[] = {10, 25, 100, 500, 1000};
    for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++)
        if (allowed[i] >= f->depth) return allowed[i];
    return 1000;
}

#define KRAKEN_SYMS (FEED_BOOKS_MAX * 32)

/* book for B's symbol (NULL: every book's) */
static void s_sub_book(feed_t *f, const feed_book_t *b, const char *method)
{
    char syms[KRAKEN_SYMS], m[KRAKEN_SYMS + 160];
    feed_syms(f, b, "", "", syms, sizeof syms);
    snprintf(m, sizeof m,
             "{\"method\":\"%s\",\"params\":{\"channel\":\"book\",\"symbol\":[%s],\"depth\":%d%s},"
             "\"req_id\":1}",
             method, syms, s_depth(f), strcmp(method, "subscribe") ? "" : ",\"snapshot\":true");
    feed_send(f, m);
}

static void s_subscribe(feed_t *f)
{
    s_state_t *st = f->venue_state;
    char syms[KRAKEN_SYMS], m[KRAKEN_SYMS + 160];
    st->depth = s_depth(f);
    s_sub_book(f, NULL, "subscribe");
    feed_syms(f, NULL, "", "", syms, sizeof syms);
    snprintf(m, sizeof m,
             "{\"method\":\"subscribe\",\"params\":{\"channel\":\"trade\",\"symbol\":[%s],"
             "\"snapshot\":false},\"req_id\":2}",
             syms);
    feed_send(f, m);
    snprintf(m, sizeof m,
             "{\"method\":\"subscribe\",\"params\":{\"channel\":\"ticker\",\"symbol\":[%s],"
             "\"event_trigger\":\"bbo\",\"snapshot\":true},\"req_id\":3}",
             syms);
    feed_send(f, m);
}

/* One symbol's book again: unsubscribe and subscribe book for it alone. */
static void s_resync(feed_t *f, feed_book_t *b)
{
    s_sub_book(f, b, "unsubscribe");
    s_sub_book(f, b, "subscribe");
}

/* Append V (BOOK_SCALE fixed point, >= 0) printed with DEC decimals, dot and
 * leading zeros removed: the checksum's digit string. Runs 40 times per
 * message: one division by a constant power of ten, then two digits a step. */
static char *s_digits(char *p, int64_t v, int dec)
{
    static const char pairs[] = /* "00" "01" .. "99" */
        "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
        "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
        "8081828384858687888990919293949596979899";
    uint64_t u = (uint64_t)v;
    switch (BOOK_SCALE - dec) {
    case 0: break;
    case 1: u /= 10; break;
    case 2: u /= 100; break;
    case 3: u /= 1000; break;
    case 4: u /= 10000; break;
    case 5: u /= 100000; break;
    case 6: u /= 1000000; break;
    case 7: u /= 10000000; break;
    default: u /= 100000000; break;
    }
    char tmp[24], *e = tmp + sizeof tmp, *q = e;
    while (u >= 100) {
        q -= 2;
        memcpy(q, pairs + 2 * (u % 100), 2);
        u /= 100;
    }
    if (u >= 10) {
        q -= 2;
        memcpy(q, pairs + 2 * u, 2);
    } else
        *--q = (char)('0' + u);
    memcpy(p, q, (size_t)(e - q));
    return p + (e - q);
}

/* CRC32 of the top 10 asks (ascending) then bids (descending) of B. */
static uint32_t s_checksum(const feed_book_t *b)
{
    char buf[1024], *p = buf;
    for (int s = BOOK_ASK; s >= BOOK_BID; s--)
        for (int i = 0; i < 10; i++) {
            const book_level_t *l = book_top(&b->book, (book_side_t)s, i);
            if (!l) break;
            p = s_digits(p, l->px, b->px_dec);
            p = s_digits(p, l->sz, b->sz_dec);
        }
    return (uint32_t)crc32(0L, (const Bytef *)buf, (uInt)(p - buf));
}

static int s_levels(feed_book_t *b, const jtok_t *d, int arr, book_side_t side)
{
    if (arr < 0) return 0;
    if (jtok_type(d, arr) != JSMN_ARRAY) return -1;
    int n = jtok_size(d, arr);
    for (int k = 0, l = arr + 1; k < n; k++, l = jtok_skip(d, l)) {
        int64_t px, sz;
        /* price/qty: JSON numbers on the wire, strings in Kraken's own docs
         * example: both read exactly from their text (docs/FEEDS.md) */
        if (feed_num(b, d, jtok_get(d, l, "price"), 1, &px) < 0 ||
            feed_num(b, d, jtok_get(d, l, "qty"), 0, &sz) < 0 ||
            book_set(&b->book, side, px, sz) == -2)
            return -1;
    }
    return 0;
}

static int s_book(feed_t *f, const jtok_t *d, int snapshot, int64_t ts_rx)
{
    const s_state_t *st = f->venue_state;
    int data = jtok_get(d, 0, "data");
    if (jtok_type(d, data) != JSMN_ARRAY) return -1;
    int n = jtok_size(d, data);
    for (int k = 0, e = data + 1; k < n; k++, e = jtok_skip(d, e)) {
        feed_book_t *b = feed_find(f, d, jtok_get(d, e, "symbol"));
        if (!b) continue; /* a symbol not carried: counted and dropped */
        if (snapshot) feed_snapshot_begin(f, b);
        else if (!feed_bk_ready(b)) {
            feed_invalid(f, b, "no_snapshot", -1, -1, ts_rx);
            continue;
        }
        if (s_levels(b, d, jtok_get(d, e, "bids"), BOOK_BID) < 0 ||
            s_levels(b, d, jtok_get(d, e, "asks"), BOOK_ASK) < 0) {
            feed_invalid(f, b, "bad_level", -1, -1, ts_rx);
            return -1;
        }
        book_trim(&b->book, st->depth > 0 ? st->depth : s_depth(f));
        /* v2 sends a checksum with every snapshot and update: a book message
         * without a readable one is never applied unchecked (resync) */
        int ct = jtok_get(d, e, "checksum");
        int64_t want;
        if (jtok_int(d, ct, &want) < 0) {
            log_warnx_rl("venue=kraken %s book %s without a checksum: resync", b->sym,
                         snapshot ? "snapshot" : "update");
            feed_invalid(f, b, "no_checksum", -1, -1, ts_rx);
            return -1;
        }
        uint32_t got = s_checksum(b);
        if ((int64_t)got != want) {
            log_warnx_rl("venue=kraken %s checksum mismatch want=%lld got=%u", b->sym,
                         (long long)want, got);
            feed_invalid(f, b, "checksum", -1, -1, ts_rx);
            continue;
        }
        f->n_checksum_ok++;
        feed_book_done(f, b, snapshot, ts_rx, feed_time_iso(d, jtok_get(d, e, "timestamp")));
    }
    return 0;
}

static int s_trades(feed_t *f, const jtok_t *d, int64_t ts_rx)
{
    int data = jtok_get(d, 0, "data");
    if (jtok_type(d, data) != JSMN_ARRAY) return -1;
    int n = jtok_size(d, data);
    for (int k = 0, t = data + 1; k < n; k++, t = jtok_skip(d, t)) {
        feed_book_t *b = feed_find(f, d, jtok_get(d, t, "symbol"));
        if (!b) continue; /* a symbol not carried: counted and dropped */
        int64_t px, sz;
        int side = jtok_get(d, t, "side"), id = jtok_get(d, t, "trade_id");
        const char *sd = jtok_eq(d, side, "buy") ? "buy" : jtok_eq(d, side, "sell") ? "sell" : NULL;
        if (!sd || feed_num(b, d, jtok_get(d, t, "price"), 1, &px) < 0 ||
            feed_num(b, d, jtok_get(d, t, "qty"), 0, &sz) < 0 || px <= 0 || sz <= 0)
            return -1;
        /* v2 trade_id is an integer (Kraken's spot websocket reference, docs/FEEDS.md);
         * a bad one drops the trade (counted), the frame's other trades go out */
        feed_trade(f, b, d, id, 1, px, sz, sd, ts_rx,
                   feed_time_iso(d, jtok_get(d, t, "timestamp")));
    }
    return 0;
}

/* A probe: {"method":"ping","req_id":N}, answered by a pong echoing N (the
 * subscriptions use req_id 1..3: probes are numbered above KRAKEN_PROBE_BASE). */
#define KRAKEN_PROBE_BASE 1000000LL
static int s_probe(feed_t *f, unsigned id)
{
    char m[80];
    snprintf(m, sizeof m, "{\"method\":\"ping\",\"req_id\":%lld}", KRAKEN_PROBE_BASE + id);
    feed_send(f, m);
    return 1;
}

static int s_method(feed_t *f, const jtok_t *d)
{
    s_state_t *st = f->venue_state;
    int m = jtok_get(d, 0, "method");
    int ok = jtok_get(d, 0, "success");
    int64_t rid;
    if (jtok_int(d, jtok_get(d, 0, "req_id"), &rid) == 0 && rid > KRAKEN_PROBE_BASE &&
        rid <= KRAKEN_PROBE_BASE + 0xffffffffLL) {
        /* the answer to a probe (s_probe), a pong or even a refusal: the path works */
        feed_probe_answered(f, (unsigned)(rid - KRAKEN_PROBE_BASE));
        if (jtok_eq(d, ok, "false")) log_warnx_rl("venue=kraken ping refused (answered all the same)");
        return WSCONN_MSG_CTRL;
    }
    if (jtok_eq(d, ok, "false")) {
        char e[200] = "";
        jtok_str(d, jtok_get(d, 0, "error"), e, sizeof e);
        log_warnx_rl("venue=kraken request refused: %s", e);
        return WSCONN_MSG_CTRL;
    }
    if (jtok_eq(d, m, "pong")) return WSCONN_MSG_CTRL; /* a pong without our req_id */
    if (jtok_eq(d, m, "subscribe")) {
        int r = jtok_get(d, 0, "result");
        int64_t depth;
        if (jtok_eq(d, jtok_get(d, r, "channel"), "book") &&
            jtok_int(d, jtok_get(d, r, "depth"), &depth) == 0 && depth > 0 && depth <= 1000)
            st->depth = (int)depth;
    }
    return WSCONN_MSG_CTRL;
}

static int s_parse(feed_t *f, const char *msg, size_t len, int64_t ts_rx)
{
    if (feed_tokenize(f, msg, len) < 0) return WSCONN_MSG_BAD;
    const jtok_t *d = &f->tok;
    int ch = jtok_get(d, 0, "channel");
    if (ch < 0) return jtok_get(d, 0, "method") >= 0 ? s_method(f, d) : WSCONN_MSG_IGNORED;
    if (jtok_eq(d, ch, "heartbeat") || jtok_eq(d, ch, "status")) return WSCONN_MSG_CTRL;
    int ty = jtok_get(d, 0, "type");
    if (jtok_eq(d, ch, "book")) {
        int snap = jtok_eq(d, ty, "snapshot");
        if (!snap && !jtok_eq(d, ty, "update")) return WSCONN_MSG_IGNORED;
        if (s_book(f, d, snap, ts_rx) < 0) {
            log_warnx_rl("venue=kraken bad book frame");
            return WSCONN_MSG_BAD;
        }
        return WSCONN_MSG_DATA;
    }
    if (jtok_eq(d, ch, "trade")) {
        if (s_trades(f, d, ts_rx) < 0) {
            log_warnx_rl("venue=kraken bad trade frame");
            return WSCONN_MSG_BAD;
        }
        return WSCONN_MSG_DATA;
    }
    if (jtok_eq(d, ch, "ticker")) return WSCONN_MSG_DATA;
    return WSCONN_MSG_IGNORED;
}

const feed_venue_t feed_kraken = {
    .venue = "kraken",
    .url = "wss://ws.kraken.com/v2",
    .px_dec = 1,
    .sz_dec = 8,
    .state_size = sizeof(s_state_t),
    .subscribe = s_subscribe,
    .resync = s_resync,
    .parse = s_parse,
    .probe = s_probe,
    .resub_snapshot = 1, /* the book subscription asks for "snapshot":true */
    /* a data-path probe costs the top --depth levels (10-100 a side, a few KB) */
    .data_probes_per_h = 600,
};
