/* kraken: Kraken spot websocket v2 (wss://ws.kraken.com/v2) for feed-kraken:
 * book (depth >= --depth), trade and ticker subscriptions; the book is trimmed
 * to the depth the server confirmed and its CRC32 over the top 10 levels,
 * printed at the pair's precision (price 1 dp, qty 8 dp), is checked on every
 * snapshot and update: a mismatch is a gap -> resync. */
#include "feed.h"
#include "log.h"

#include <stdio.h>
#include <string.h>
#include <zlib.h>

#define KRAKEN_SYM "BTC/USD"

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

static void s_sub_book(feed_t *f, const char *method)
{
    char m[200];
    snprintf(m, sizeof m,
             "{\"method\":\"%s\",\"params\":{\"channel\":\"book\",\"symbol\":[\"" KRAKEN_SYM
             "\"],\"depth\":%d%s},\"req_id\":1}",
             method, s_depth(f), strcmp(method, "subscribe") ? "" : ",\"snapshot\":true");
    feed_send(f, m);
}

static void s_subscribe(feed_t *f)
{
    s_state_t *st = f->venue_state;
    st->depth = s_depth(f);
    s_sub_book(f, "subscribe");
    feed_send(f, "{\"method\":\"subscribe\",\"params\":{\"channel\":\"trade\",\"symbol\":[\"" KRAKEN_SYM
                 "\"],\"snapshot\":false},\"req_id\":2}");
    feed_send(f, "{\"method\":\"subscribe\",\"params\":{\"channel\":\"ticker\",\"symbol\":[\"" KRAKEN_SYM
                 "\"],\"event_trigger\":\"bbo\",\"snapshot\":true},\"req_id\":3}");
}

static void s_resync(feed_t *f)
{
    s_sub_book(f, "unsubscribe");
    s_sub_book(f, "subscribe");
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

/* CRC32 of the top 10 asks (ascending) then bids (descending). */
static uint32_t s_checksum(const feed_t *f)
{
    char buf[1024], *p = buf;
    for (int s = BOOK_ASK; s >= BOOK_BID; s--)
        for (int i = 0; i < 10; i++) {
            const book_level_t *l = book_top(&f->book, (book_side_t)s, i);
            if (!l) break;
            p = s_digits(p, l->px, f->v->px_dec);
            p = s_digits(p, l->sz, f->v->sz_dec);
        }
    return (uint32_t)crc32(0L, (const Bytef *)buf, (uInt)(p - buf));
}

static int s_levels(feed_t *f, const jtok_t *d, int arr, book_side_t side)
{
    if (arr < 0) return 0;
    if (jtok_type(d, arr) != JSMN_ARRAY) return -1;
    int n = jtok_size(d, arr);
    for (int k = 0, l = arr + 1; k < n; k++, l = jtok_skip(d, l)) {
        int64_t px, sz;
        /* price/qty: JSON numbers on the wire, strings in Kraken's own docs
         * example: both read exactly from their text (docs/FEEDS.md) */
        if (jtok_fixed(d, jtok_get(d, l, "price"), BOOK_SCALE, &px) < 0 ||
            jtok_fixed(d, jtok_get(d, l, "qty"), BOOK_SCALE, &sz) < 0 ||
            book_set(&f->book, side, px, sz) == -2)
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
        if (!jtok_eq(d, jtok_get(d, e, "symbol"), KRAKEN_SYM)) continue;
        if (snapshot) feed_snapshot_begin(f);
        else if (!feed_book_ready(f)) {
            feed_invalid(f, "no_snapshot", -1, -1, ts_rx);
            continue;
        }
        if (s_levels(f, d, jtok_get(d, e, "bids"), BOOK_BID) < 0 ||
            s_levels(f, d, jtok_get(d, e, "asks"), BOOK_ASK) < 0) {
            feed_invalid(f, "bad_level", -1, -1, ts_rx);
            return -1;
        }
        book_trim(&f->book, st->depth > 0 ? st->depth : s_depth(f));
        /* v2 sends a checksum with every snapshot and update: a book message
         * without a readable one is never applied unchecked (resync) */
        int ct = jtok_get(d, e, "checksum");
        int64_t want;
        if (jtok_int(d, ct, &want) < 0) {
            log_warnx_rl("venue=kraken book %s without a checksum: resync",
                         snapshot ? "snapshot" : "update");
            feed_invalid(f, "no_checksum", -1, -1, ts_rx);
            return -1;
        }
        uint32_t got = s_checksum(f);
        if ((int64_t)got != want) {
            log_warnx_rl("venue=kraken checksum mismatch want=%lld got=%u", (long long)want, got);
            feed_invalid(f, "checksum", -1, -1, ts_rx);
            continue;
        }
        f->n_checksum_ok++;
        feed_book_done(f, snapshot, ts_rx, feed_time_iso(d, jtok_get(d, e, "timestamp")));
    }
    return 0;
}

static int s_trades(feed_t *f, const jtok_t *d, int64_t ts_rx)
{
    int data = jtok_get(d, 0, "data");
    if (jtok_type(d, data) != JSMN_ARRAY) return -1;
    int n = jtok_size(d, data);
    for (int k = 0, t = data + 1; k < n; k++, t = jtok_skip(d, t)) {
        if (!jtok_eq(d, jtok_get(d, t, "symbol"), KRAKEN_SYM)) continue;
        int64_t px, sz;
        int side = jtok_get(d, t, "side"), id = jtok_get(d, t, "trade_id");
        const char *sd = jtok_eq(d, side, "buy") ? "buy" : jtok_eq(d, side, "sell") ? "sell" : NULL;
        if (!sd || jtok_fixed(d, jtok_get(d, t, "price"), BOOK_SCALE, &px) < 0 ||
            jtok_fixed(d, jtok_get(d, t, "qty"), BOOK_SCALE, &sz) < 0 || px <= 0 || sz <= 0)
            return -1;
        /* v2 trade_id is an integer (Kraken's spot websocket reference, docs/FEEDS.md);
         * a bad one drops the trade (counted), the frame's other trades go out */
        feed_trade(f, d, id, 1, px, sz, sd, ts_rx, feed_time_iso(d, jtok_get(d, t, "timestamp")));
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
};
