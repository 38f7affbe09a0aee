/* feed: the shared part of feed-coinbase, feed-kraken, feed-bitstamp, feed-gemini and
 * feed-cryptocom (see feed.h): publishing, integrity and resync, the option table and main loop,
 * and the replay mode behind the golden tests and the fuzz targets. */
#include "prog.h"
#include "feed.h"
#include "rest.h"
#include "peers.h"
#include "bus.h"
#include "clock.h"
#include "hb.h"
#include "log.h"
#include "opts.h"
#include "series.h"
#include "util.h"

#include <assert.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#define BOOK_MIN_GAP_NS (100 * NS_PER_MS) /* at most 10 book.* a second */
#define BOOK_MAX_GAP_NS NS_PER_S          /* at least one a second */

/* Book I of F for ASSET ("BTC"): its symbols, topics, decimals and state. -1 if the venue
 * cannot spell ASSET. */
static int s_book_setup(feed_t *f, int i, const char *asset)
{
    feed_book_t *b = &f->b[i];
    memset(b, 0, sizeof *b);
    b->idx = i;
    if (snprintf(b->asset, sizeof b->asset, "%s", asset) >= (int)sizeof b->asset ||
        series_venue_symbol(f->v->venue, asset, b->sym, sizeof b->sym) < 0)
        return -1;
    char pair[sizeof b->pair];
    const char *venue = f->v->venue;
    snprintf(pair, sizeof pair, "%s-USD", asset);
    memcpy(b->pair, pair, sizeof pair);
    /* BTC at the decimals the venue is known to print (as before several assets); the others
     * at the most their own text shows (feed_num) */
    int btc = !strcmp(asset, "BTC");
    b->px_dec = btc ? f->v->px_dec : 0;
    b->sz_dec = btc ? f->v->sz_dec : 0;
    snprintf(b->t_quote, sizeof b->t_quote, "quote.%s.%s", venue, pair);
    snprintf(b->t_book, sizeof b->t_book, "book.%s.%s", venue, pair);
    snprintf(b->t_trade, sizeof b->t_trade, "trade.%s.%s", venue, pair);
    b->vs = f->v->book_state_size ? xcalloc(1, f->v->book_state_size) : NULL;
    book_init(&b->book, f->depth);
    return 0;
}

static void s_books_free(feed_t *f)
{
    for (int i = 0; i < f->nb; i++) {
        book_free(&f->b[i].book);
        free(f->b[i].vs);
        f->b[i].vs = NULL;
    }
    f->nb = 0;
}

void feed_init(feed_t *f, const feed_venue_t *v, int depth, feed_out_fn *out, void *out_arg)
{
    memset(f, 0, sizeof *f);
    f->v = v;
    f->depth = depth > 0 ? depth : 100;
    f->out = out;
    f->out_arg = out_arg;
    f->resync_s = 10;
    f->venue_state = v->state_size ? xcalloc(1, v->state_size) : NULL;
    jtok_init(&f->tok);
    jw_init(&f->w, 4096);
    int rc = s_book_setup(f, 0, "BTC");
    assert(rc == 0);
    (void)rc;
    f->nb = 1;
}

int feed_set_assets(feed_t *f, const char *assets, char *err, size_t errlen)
{
    char names[FEED_BOOKS_MAX][12];
    int n = 0;
    for (const char *p = assets ? assets : ""; *p;) {
        size_t k = strcspn(p, ", ");
        if (k) {
            if (n == FEED_BOOKS_MAX || k >= sizeof names[0]) {
                snprintf(err, errlen, "more than %d assets, or a name too long, in '%s'",
                         FEED_BOOKS_MAX, assets);
                return -1;
            }
            memcpy(names[n], p, k);
            names[n][k] = 0;
            for (int j = 0; j < n; j++)
                if (!strcmp(names[j], names[n])) {
                    snprintf(err, errlen, "asset '%s' twice in '%s'", names[n], assets);
                    return -1;
                }
            n++;
        }
        p += k + (p[k] != 0);
    }
    if (!n) {
        snprintf(err, errlen, "no asset");
        return -1;
    }
    s_books_free(f);
    f->main_b = 0;
    for (int i = 0; i < n; i++) {
        if (s_book_setup(f, i, names[i]) < 0) {
            snprintf(err, errlen, "%s cannot spell asset '%s'", f->v->venue, names[i]);
            f->nb = i;
            s_books_free(f);
            s_book_setup(f, 0, "BTC");
            f->nb = 1;
            return -1;
        }
        f->nb = i + 1;
        if (!strcmp(names[i], "BTC")) f->main_b = i;
    }
    f->multi = !(n == 1 && !strcmp(names[0], "BTC"));
    return 0;
}

void feed_free(feed_t *f)
{
    s_books_free(f);
    jtok_free(&f->tok);
    jw_free(&f->w);
    free(f->venue_state);
    f->venue_state = NULL;
}

feed_book_t *feed_book_sym(feed_t *f, const char *sym, size_t n)
{
    for (int i = 0; i < f->nb; i++)
        if (strlen(f->b[i].sym) == n && !memcmp(f->b[i].sym, sym, n)) return &f->b[i];
    return NULL;
}

void feed_syms(const feed_t *f, const feed_book_t *b, const char *pre, const char *post, char *out,
               size_t n)
{
    size_t k = 0;
    out[0] = 0;
    for (int i = 0; i < f->nb; i++) {
        if (b && b != &f->b[i]) continue;
        int w = snprintf(out + k, n - k, "%s\"%s%s%s\"", k ? "," : "", pre, f->b[i].sym, post);
        if (w < 0 || (size_t)w >= n - k) break;
        k += (size_t)w;
    }
}

feed_book_t *feed_find(feed_t *f, const jtok_t *d, int tok)
{
    size_t n = 0;
    const char *s = jtok_type(d, tok) == JSMN_STRING ? jtok_text(d, tok, &n) : NULL;
    feed_book_t *b = s ? feed_book_sym(f, s, n) : NULL;
    if (!b) {
        f->n_unknown_sym++;
        log_warnx_rl("venue=%s message for symbol '%.*s' not carried: dropped", f->v->venue,
                     s && n < 40 ? (int)n : 0, s ? s : "");
    }
    return b;
}

int feed_num(feed_book_t *b, const jtok_t *d, int tok, int px, int64_t *out)
{
    if (jtok_fixed(d, tok, BOOK_SCALE, out) < 0) return -1;
    /* the decimals it is printed with: fraction digits less the exponent ("1E-8": 8) */
    size_t n;
    const char *s = jtok_text(d, tok, &n);
    int dec = 0;
    size_t i = 0;
    while (i < n && s[i] != '.' && s[i] != 'e' && s[i] != 'E') i++;
    if (i < n && s[i] == '.')
        for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++) dec++;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) dec -= atoi(s + i + 1);
    if (dec > BOOK_SCALE) dec = BOOK_SCALE;
    int *have = px ? &b->px_dec : &b->sz_dec;
    if (dec > *have) *have = dec;
    return 0;
}

void feed_probe_answered(feed_t *f, unsigned id)
{
    if (f->c) wsconn_probe_answered(f->c, id);
}

void feed_send(feed_t *f, const char *msg)
{
    if (f->c) wsconn_send(f->c, msg, strlen(msg));
    else if (f->sent) f->sent(f->sent_arg, msg);
}

int feed_tokenize(feed_t *f, const char *msg, size_t len)
{
    jtok_t *d = &f->tok;
    if (jtok_parse(d, msg, len) >= 0 && jtok_type(d, 0) == JSMN_OBJECT) return 0;
    log_warnx_rl("venue=%s bad frame: %s (%zu bytes)", f->v->venue,
                 d->err ? jtok_errstr(d) : "not a JSON object", len);
    return -1;
}

int64_t feed_time_iso(const jtok_t *d, int tok)
{
    size_t n;
    const char *s = jtok_text(d, tok, &n);
    int64_t ns;
    if (jtok_type(d, tok) != JSMN_STRING || clock_parse_iso(s, n, &ns) < 0) return -1;
    return ns;
}

/* event.KIND {venue, reason[, symbol][, from, to]}: the symbol (the bus pair) when the feed
 * carries more than BTC alone. */
static void s_event(feed_t *f, const feed_book_t *b, const char *kind, const char *reason,
                    int64_t from, int64_t to, int64_t ts_rx)
{
    char extra[160];
    int n = 0;
    if (f->multi && b)
        n = snprintf(extra, sizeof extra, "\"symbol\":\"%s\"", b->pair);
    if (from >= 0 && to >= 0)
        n += snprintf(extra + n, sizeof extra - (size_t)n, "%s\"from\":%lld,\"to\":%lld",
                      n ? "," : "", (long long)from, (long long)to);
    if (f->c) {
        wsconn_event(f->c, kind, reason, n ? extra : NULL, (size_t)n, ts_rx);
        return;
    }
    jw_t w;
    jw_init(&w, 128);
    jw_fragment(&w);
    jw_kstr(&w, "venue", f->v->venue);
    jw_kstr(&w, "reason", reason);
    if (f->multi && b) jw_kstr(&w, "symbol", b->pair);
    if (from >= 0 && to >= 0) {
        jw_kint(&w, "from", from);
        jw_kint(&w, "to", to);
    }
    char topic[64];
    snprintf(topic, sizeof topic, "event.%s", kind);
    f->out(f->out_arg, topic, w.buf, w.len, ts_rx, -1);
    jw_free(&w);
}

/* One side of quote.*: price and size of level L, or nulls for an empty side. */
static void s_quote_side(feed_t *f, const feed_book_t *b, const char *px, const char *sz,
                         const book_level_t *l)
{
    if (l) {
        jw_kfixed(&f->w, px, l->px, BOOK_SCALE, b->px_dec);
        jw_kfixed(&f->w, sz, l->sz, BOOK_SCALE, b->sz_dec);
    } else {
        jw_knull(&f->w, px);
        jw_knull(&f->w, sz);
    }
}

static void s_publish_quote(feed_t *f, feed_book_t *bk, int64_t ts_rx, int64_t ts_ex)
{
    const book_level_t *b = book_top(&bk->book, BOOK_BID, 0), *a = book_top(&bk->book, BOOK_ASK, 0);
    int64_t q[4] = {b ? b->px : 0, b ? b->sz : 0, a ? a->px : 0, a ? a->sz : 0};
    if (bk->q_have && !memcmp(q, bk->q, sizeof q)) return;
    memcpy(bk->q, q, sizeof q);
    bk->q_have = 1;
    jw_t *w = &f->w;
    jw_reset(w);
    jw_fragment(w);
    s_quote_side(f, bk, "bid", "bid_size", b);
    s_quote_side(f, bk, "ask", "ask_size", a);
    f->out(f->out_arg, bk->t_quote, w->buf, w->len, ts_rx, ts_ex);
    f->n_quotes++;
    bk->n_quotes++;
}

static void s_publish_book(feed_t *f, feed_book_t *b, int64_t now_mono)
{
    jw_t *w = &f->w;
    jw_reset(w);
    jw_fragment(w);
    int valid = feed_bk_ready(b);
    for (int s = 0; s < 2; s++) {
        jw_key(w, s == BOOK_BID ? "bids" : "asks");
        jw_arr(w);
        for (int i = 0; valid && i < f->depth; i++) {
            const book_level_t *l = book_top(&b->book, (book_side_t)s, i);
            if (!l) break;
            jw_arr(w);
            jw_fixed(w, l->px, BOOK_SCALE, b->px_dec);
            jw_fixed(w, l->sz, BOOK_SCALE, b->sz_dec);
            jw_arr_end(w);
        }
        jw_arr_end(w);
    }
    jw_kbool(w, "valid", valid);
    f->out(f->out_arg, b->t_book, w->buf, w->len, b->book_ts_rx ? b->book_ts_rx : clock_real_ns(),
           valid ? b->book_ts_ex : -1);
    b->book.dirty = 0;
    b->book_pub_mono = now_mono;
    f->n_books++;
    b->n_books++;
}

int feed_bk_ready(const feed_book_t *b) { return b->book.valid && !b->resyncing; }

int feed_book_ready(const feed_t *f)
{
    for (int i = 0; i < f->nb; i++)
        if (!feed_bk_ready(&f->b[i])) return 0;
    return f->nb > 0;
}

/* The connection's health (hb state) follows the main book (BTC's): what the watchdog,
 * `tickbus status` and the aggregator read stays about BTC. */
static void s_health(feed_t *f)
{
    const feed_book_t *m = &f->b[f->main_b];
    if (f->c) wsconn_set_healthy(f->c, m->book.valid && !m->resyncing);
}

/* Mark B invalid until a fresh snapshot (the caller asks for it). */
static void s_await_snapshot(feed_book_t *b)
{
    b->book.valid = 0;
    b->book.dirty = 1;
    b->q_have = 0;
    b->resyncing = 1;
    b->resync_tries = 1;
    b->want_since = clock_mono_ns();
}

void feed_snapshot_begin(feed_t *f, feed_book_t *b)
{
    (void)f;
    book_clear(&b->book);
}

int feed_error_frame(feed_t *f, const jtok_t *d, int msg)
{
    char m[200] = "";
    jtok_str(d, msg, m, sizeof m);
    log_warnx_rl("venue=%s error frame: %s", f->v->venue, m);
    return WSCONN_MSG_CTRL;
}

static void s_invalid1(feed_t *f, feed_book_t *b, const char *reason, int64_t from, int64_t to,
                       int64_t ts_rx)
{
    if (b->resyncing) {
        f->n_skipped++;
        b->n_skipped++;
        return;
    }
    int was_valid = b->book.valid;
    s_await_snapshot(b);
    b->n_gaps++;
    b->n_resyncs++;
    s_event(f, b, "gap", reason, from, to, ts_rx);
    s_event(f, b, "resync", reason, -1, -1, ts_rx);
    if (f->c) wsconn_data_restart(f->c); /* the wait for the snapshot is not a pause of the venue */
    s_health(f);
    if (was_valid) s_publish_book(f, b, clock_mono_ns()); /* say "invalid" at once */
    f->v->resync(f, b);
}

void feed_invalid(feed_t *f, feed_book_t *b, const char *reason, int64_t from, int64_t to,
                  int64_t ts_rx)
{
    if (b) s_invalid1(f, b, reason, from, to, ts_rx);
    else
        for (int i = 0; i < f->nb; i++) s_invalid1(f, &f->b[i], reason, from, to, ts_rx);
}

void feed_book_done(feed_t *f, feed_book_t *b, int snapshot, int64_t ts_rx, int64_t ts_ex)
{
    f->n_book_msgs++;
    b->n_book_msgs++;
    if (snapshot) {
        b->book.valid = 1;
        if (b->resyncing) log_info("venue=%s%s%s resynced", f->v->venue, f->multi ? " symbol=" : "",
                                   f->multi ? b->pair : "");
        b->resyncing = 0;
        b->resync_tries = 0;
        b->want_since = 0;
        b->book.dirty = 1;
        s_health(f);
    }
    b->book_ts_rx = ts_rx;
    b->book_ts_ex = ts_ex;
    if (!b->book.valid) return;
    if (book_crossed(&b->book)) {
        const book_level_t *bi = book_top(&b->book, BOOK_BID, 0);
        const book_level_t *a = book_top(&b->book, BOOK_ASK, 0);
        log_warnx_rl("venue=%s %s crossed book bid=%lld ask=%lld", f->v->venue, b->pair,
                     (long long)bi->px, (long long)a->px);
        feed_invalid(f, b, "crossed", -1, -1, ts_rx);
        return;
    }
    if (b->resyncing) return;
    s_publish_quote(f, b, ts_rx, ts_ex);
    /* leading edge: a change after a quiet 100 ms goes out at once (the tick
     * publishes the trailing edge of a burst) */
    if (b->book.dirty && f->c) {
        int64_t now = clock_mono_ns();
        if (now - b->book_pub_mono >= BOOK_MIN_GAP_NS) s_publish_book(f, b, now);
    }
}

/* The trade id at token TOK into BUF (JTOK_ID_MAX bytes). 1 (an id), 0 (none:
 * counted), -1 (invalid: counted and logged). */
static int s_trade_id(feed_t *f, const jtok_t *d, int tok, int numeric_ok, char *buf, size_t *len)
{
    int r = jtok_id(d, tok, numeric_ok, buf, len);
    if (r == 0) f->n_trades_no_id++;
    if (r < 0) {
        f->n_bad_trade_ids++;
        static const char *const kind[] = {"undefined", "object", "array", "string", "primitive"};
        int ty = jtok_type(d, tok);
        size_t n;
        jtok_text(d, tok, &n);
        log_warnx_rl("venue=%s trade dropped: bad id (%s, %zu bytes)", f->v->venue,
                     kind[ty >= 0 && ty <= 4 ? ty : 0], n);
    }
    return r;
}

int feed_trade(feed_t *f, feed_book_t *b, const jtok_t *d, int id, int numeric_ok, int64_t px,
               int64_t sz, const char *side, int64_t ts_rx, int64_t ts_ex)
{
    char idb[JTOK_ID_MAX];
    size_t idlen = 0;
    int idr = s_trade_id(f, d, id, numeric_ok, idb, &idlen);
    if (idr < 0) return -1;
    jw_t *w = &f->w;
    jw_reset(w);
    jw_fragment(w);
    jw_kfixed(w, "px", px, BOOK_SCALE, b->px_dec);
    jw_kfixed(w, "sz", sz, BOOK_SCALE, b->sz_dec);
    jw_kstr(w, "side", side);
    if (idr) {
        jw_key(w, "id");
        jw_strn(w, idb, idlen);
    }
    f->out(f->out_arg, b->t_trade, w->buf, w->len, ts_rx, ts_ex);
    f->n_trades++;
    b->n_trades++;
    return 0;
}

void feed_flush(feed_t *f)
{
    for (int i = 0; i < f->nb; i++)
        if (f->b[i].book.dirty) s_publish_book(f, &f->b[i], clock_mono_ns());
}

void feed_on_open(feed_t *f)
{
    int64_t now = clock_mono_ns();
    for (int i = 0; i < f->nb; i++) {
        feed_book_t *b = &f->b[i];
        book_clear(&b->book);
        b->book.dirty = 0;
        b->resyncing = 0;
        b->resync_tries = 0;
        b->want_since = now;
        b->q_have = 0;
    }
    f->v->subscribe(f);
}

void feed_on_close(feed_t *f)
{
    for (int i = 0; i < f->nb; i++) {
        feed_book_t *b = &f->b[i];
        int was_valid = b->book.valid;
        book_clear(&b->book);
        b->resyncing = 0;
        b->want_since = 0;
        b->q_have = 0;
        if (was_valid) s_publish_book(f, b, clock_mono_ns());
    }
}

void feed_on_stale(feed_t *f)
{
    /* the data timer fired: every book may be silently old; fresh snapshots replace them */
    for (int i = 0; i < f->nb; i++) s_await_snapshot(&f->b[i]);
    s_health(f);
    for (int i = 0; i < f->nb; i++) f->v->resync(f, &f->b[i]);
}

void feed_on_tick(feed_t *f, int64_t now)
{
    for (int i = 0; i < f->nb; i++) {
        feed_book_t *b = &f->b[i];
        /* another asset's book waits twice as long after each fruitless resync (at most 32 x) */
        int twice = b->resync_tries > 6 ? 5 : b->resync_tries > 1 ? b->resync_tries - 1 : 0;
        int64_t wait = (int64_t)(f->resync_s * NS_PER_S) << twice;
        if (!f->c || !wsconn_connected(f->c) || !b->want_since || now - b->want_since <= wait)
            continue;
        if (b->resync_tries == 0 || i != f->main_b) {
            /* the main book's first timeout, or any timeout of another asset's: ask again for
             * it alone (a symbol the venue refuses or stopped never reconnects the others) */
            if (b->resync_tries) {
                b->n_resync_timeouts++;
                log_warnx_rl("venue=%s %s: no snapshot %.0f s after asking: asking again",
                             f->v->venue, b->pair, (double)(now - b->want_since) / NS_PER_S);
            }
            b->resyncing = 1;
            b->resync_tries++;
            b->want_since = now;
            b->n_resyncs++;
            s_event(f, b, "resync", "no_snapshot", -1, -1, 0);
            f->v->resync(f, b);
        } else {
            b->want_since = 0;
            wsconn_reconnect(f->c, "resync_timeout");
            break;
        }
    }
    if (f->c && wsconn_connected(f->c) && f->v->tick) f->v->tick(f, now);
    for (int i = 0; i < f->nb; i++) {
        feed_book_t *b = &f->b[i];
        int64_t since = now - b->book_pub_mono;
        if ((b->book.dirty && since >= BOOK_MIN_GAP_NS) || since >= BOOK_MAX_GAP_NS)
            s_publish_book(f, b, now);
    }
}

/* Book B's state and publishing counters, its validity under VALID_KEY. */
static void s_hb_book(jw_t *w, const feed_book_t *b, const char *valid_key)
{
    jw_kbool(w, valid_key, feed_bk_ready(b));
    jw_kint(w, "bids", book_count(&b->book, BOOK_BID));
    jw_kint(w, "asks", book_count(&b->book, BOOK_ASK));
    jw_kuint(w, "quotes", b->n_quotes);
    jw_kuint(w, "books", b->n_books);
    jw_kuint(w, "trades", b->n_trades);
}

/* The feed's part of the hb detail: the main (BTC) book and the publishing counters at the
 * top level, as before several assets; then "assets": each book's own. */
static void s_hb_counters(feed_t *f, jw_t *w)
{
    s_hb_book(w, &f->b[f->main_b], "book_valid");
    jw_kuint(w, "bad_trade_ids", f->n_bad_trade_ids);
    jw_kuint(w, "trades_without_id", f->n_trades_no_id);
    jw_kuint(w, "skipped_during_resync", f->n_skipped);
    jw_kuint(w, "unknown_symbols", f->n_unknown_sym);
    jw_key(w, "assets");
    jw_obj(w);
    for (int i = 0; i < f->nb; i++) {
        const feed_book_t *b = &f->b[i];
        jw_key(w, b->pair);
        jw_obj(w);
        s_hb_book(w, b, "valid");
        jw_kuint(w, "book_msgs", b->n_book_msgs);
        /* the connection's silence timers see any book's data: this is the one book's */
        if (b->book_ts_rx)
            jw_kint(w, "last_book_age_ms", (clock_real_ns() - b->book_ts_rx) / NS_PER_MS);
        else
            jw_knull(w, "last_book_age_ms");
        jw_kuint(w, "gaps", b->n_gaps);
        jw_kuint(w, "resyncs", b->n_resyncs);
        jw_kuint(w, "resync_timeouts", b->n_resync_timeouts);
        jw_kuint(w, "skipped_during_resync", b->n_skipped);
        jw_kint(w, "px_dec", b->px_dec);
        jw_kint(w, "sz_dec", b->sz_dec);
        jw_obj_end(w);
    }
    jw_obj_end(w);
}

/* --- replay --- */

static int s_replay_out(void *arg, const char *topic, const char *body, size_t len,
                        int64_t ts_rx, int64_t ts_ex)
{
    (void)ts_rx;
    fprintf((FILE *)arg, "%s %lld {%.*s}\n", topic, (long long)ts_ex, (int)len, body);
    return 0;
}

int feed_replay(const feed_venue_t *v, FILE *in, FILE *out, int depth)
{
    return feed_replay_assets(v, NULL, in, out, depth);
}

int feed_replay_assets(const feed_venue_t *v, const char *assets, FILE *in, FILE *out, int depth)
{
    feed_t f;
    feed_init(&f, v, depth, s_replay_out, out);
    char err[160];
    if (assets && feed_set_assets(&f, assets, err, sizeof err) < 0) {
        fprintf(stderr, "feed_replay: %s\n", err);
        feed_free(&f);
        return -1;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    uint64_t counts[4] = {0};
    while ((n = getline(&line, &cap, in)) >= 0) {
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) n--;
        if (n == 0) continue;
        /* a recorded line (--record) is "TS_RX<TAB>FRAME": the frame is replayed */
        size_t len = (size_t)n;
        int64_t ts_rx;
        const char *fr = framerec_split(line, &len, &ts_rx);
        int r = v->parse(&f, fr, len, 1);
        if (r >= 0 && r < 4) counts[r]++;
        feed_flush(&f);
    }
    fprintf(out, "stats data=%llu ctrl=%llu ignored=%llu bad=%llu valid=%d",
            (unsigned long long)counts[0], (unsigned long long)counts[1],
            (unsigned long long)counts[2], (unsigned long long)counts[3], feed_book_ready(&f));
    if (f.n_checksum_ok) fprintf(out, " checksum_ok=%llu", (unsigned long long)f.n_checksum_ok);
    fputc('\n', out);
    free(line);
    feed_free(&f);
    return ferror(in) ? -1 : 0;
}

/* --- the program --- */

static char *o_url, *o_ca, *o_record, *o_peers, *o_series, *o_rest_url;
static long o_depth, o_max_msg;
static double o_stale, o_resync;
static wsconn_opts_t s_wo; /* the connection-layer options (WSCONN_OPT_ENTRIES) */

static opt_t s_opts[] = {
    /* the default is the venue's own URL: set by s_parse */
    {"url", OPT_STR, &o_url, NULL, 1, 0, NULL, "venue websocket URL (wss://)", 0},
    {"ca-file", OPT_STR, &o_ca, NULL, 1, 0, NULL,
     "extra trust anchor (PEM) besides the system CAs; verification stays on", 0},
    {"depth", OPT_INT, &o_depth, "100", 1, 1000, NULL, "levels per side in book.*", 0},
    {"series", OPT_STR, &o_series, SERIES_DEFAULT, 0, 0, "SERIES_TICKER",
     "Kalshi series followed (KXBTC15M,KXETH15M; SERIES_<TICKER> defines more: docs/SERIES.md): "
     "one book per asset they use on this venue",
     0},
    {"stale-after", OPT_DBL, &o_stale, "15", 0.2, 3600, NULL,
     "no market data this long (s): resubscribe, then reconnect", 0},
    WSCONN_OPT_ENTRIES(s_wo),
    {"resync-timeout", OPT_DBL, &o_resync, "10", 0.2, 600, NULL,
     "no snapshot this long after asking (s): reconnect", 0},
    {"max-msg", OPT_INT, &o_max_msg, "1048576", 1024, 1 << 30, NULL,
     "larger websocket messages are dropped and counted (bytes)", 0},
    FRAMEREC_OPT_ENTRY(o_record),
    {"rest-url", OPT_STR, &o_rest_url, NULL, 1, 0, NULL,
     "the venue's REST API (https://), where a silence is checked (Bitstamp's order book: "
     "docs/FEEDS.md); default the venue's own, or https:// and --url's host:port when --url "
     "is not the venue's", 0},
    {"peers", OPT_STR, &o_peers, "auto", 1, 0, NULL,
     "feeds whose quotes tell a quiet market from a muted venue: auto (the other BTC feeds), "
     "none, or venue names (kraken,bitstamp)", 0},
    {NULL, 0, NULL, NULL, 0, 0, NULL, NULL, 0},
};

/* What feed_main sets up, one per process. */
typedef struct {
    const feed_venue_t *v;
    char prog[32];       /* "feed-<venue>" */
    char assets[128];    /* the assets --series needs here: "BTC,ETH" */
    wsconn_opts_t wo;    /* the connection, from the options */
    framerec_t *rec;     /* --record, or NULL */
    bus_pub_t *pub;
    hb_t *hb;
    feed_t f;
    bus_sub_t *peer_sub; /* the other feeds' quote.* (--peers), or NULL */
    peers_t peers;
    char rest_url[300];  /* the venue's REST API, where it has a check (v->rest_check) */
    rest_t *rest;        /* its client while the data-path probe is on, or NULL */
} app_t;

static app_t A;

static int s_pub_out(void *arg, const char *topic, const char *body, size_t len, int64_t ts_rx,
                     int64_t ts_ex)
{
    return bus_pub_send(arg, topic, body, len, ts_rx, ts_ex);
}

static void s_cb_open(wsconn_t *c, void *arg)
{
    (void)c;
    /* the other venues' movement counts from now, not from before the reconnect */
    if (A.peer_sub) peers_restart(&A.peers, clock_mono_ns());
    feed_on_open(arg);
}
static int s_cb_msg(wsconn_t *c, void *arg, const char *msg, size_t len, int64_t ts_rx)
{
    (void)c;
    feed_t *f = arg;
    uint64_t books = f->n_book_msgs;
    int r = f->v->parse(f, msg, len, ts_rx);
    /* a trade or a ticker proves the path, not the book's freshness: a book
     * channel muted while trades flow is still a silence of the book */
    if (r == WSCONN_MSG_DATA && f->n_book_msgs == books) return WSCONN_MSG_AUX;
    if (r == WSCONN_MSG_DATA && A.peer_sub) peers_mark(&A.peers, clock_mono_ns());
    return r;
}
static int s_cb_probe(wsconn_t *c, void *arg, unsigned id)
{
    (void)c;
    feed_t *f = arg;
    return f->v->probe ? f->v->probe(f, id) : 0;
}
static int s_cb_evidence(wsconn_t *c, void *arg, int64_t since)
{
    (void)c;
    (void)arg;
    (void)since; /* peers_mark was called on the same data message */
    int64_t now = clock_mono_ns();
    if (!A.peer_sub || !peers_fresh(&A.peers, now)) return -1;
    return peers_moved(&A.peers, now);
}
/* The other feeds' quotes that arrived since the last tick (never blocks). */
static void s_peers_drain(app_t *a, int64_t now)
{
    bus_msg_t m;
    for (int i = 0; a->peer_sub && i < 10000 && bus_sub_recv(a->peer_sub, &m, 0) > 0; i++) {
        /* the relative mute test compares BTC-USD quotes only (docs/FEEDS.md) */
        size_t tl = strlen(m.topic);
        if (tl < 8 || strcmp(m.topic + tl - 8, ".BTC-USD")) continue;
        if (peers_quote_msg(&a->peers, m.topic, m.body, m.body_len, now) < 0)
            log_warnx_rl("venue=%s a peer's %s is not a quote: ignored", a->v->venue, m.topic);
    }
}
/* The data-path probe of a venue without resub_snapshot: ask its REST API for
 * the main book's state; the answer comes through s_rest_cb. */
static int s_cb_data_probe(wsconn_t *c, void *arg)
{
    (void)c;
    feed_t *f = arg;
    feed_book_t *b = &f->b[f->main_b];
    if (!A.rest || !feed_bk_ready(b)) return 0;
    char path[200];
    f->v->rest_path(b, path, sizeof path);
    return rest_get(A.rest, path, 0, b->sym, 0) == 0; /* -1: one already in flight */
}
static void s_rest_cb(void *arg, int kind, const char *tag, long http, json_t *root,
                      const char *err)
{
    (void)kind;
    feed_t *f = arg;
    feed_book_t *b = feed_book_sym(f, tag, strlen(tag));
    char why[300];
    if (!root || !b) {
        snprintf(why, sizeof why, "its REST API answered %s%s (HTTP %ld)",
                 err ? err : "no book", b ? "" : " for a book we do not carry", http);
        wsconn_data_probe_result(f->c, -1, why);
        return;
    }
    int r = f->v->rest_check(f, b, root, why, sizeof why);
    wsconn_data_probe_result(f->c, r, why);
}
static void s_cb_resub(wsconn_t *c, void *arg)
{
    (void)c;
    feed_on_stale(arg);
}
static void s_cb_close(wsconn_t *c, void *arg, const char *reason)
{
    (void)c;
    (void)reason;
    feed_on_close(arg);
}
static void s_cb_tick(wsconn_t *c, void *arg, int64_t now)
{
    (void)c;
    s_peers_drain(&A, now);
    if (A.rest) rest_poll(A.rest);
    feed_on_tick(arg, now);
}
static void s_cb_hb(wsconn_t *c, void *arg, jw_t *w)
{
    (void)c;
    s_hb_counters(arg, w);
    if (A.peer_sub) {
        jw_kint(w, "peers_fresh", peers_fresh(&A.peers, clock_mono_ns()));
        jw_kuint(w, "peer_quotes", A.peers.quotes);
        jw_kuint(w, "peer_bad", A.peers.bad); /* quote.* bodies that were not quotes */
        /* the relative test now: this venue's messages the others' changes
         * since its last one stand for (-1: not learned yet) */
        jw_kint(w, "peers_expect", (int64_t)floor(peers_expected(&A.peers, clock_mono_ns())));
    }
}
static void s_hb_detail(jw_t *w, void *arg)
{
    feed_t *f = arg;
    jw_key(w, f->v->venue);
    wsconn_hb_detail(f->c, w);
}

/* Options: the table, the environment and the command line (exits 64 on a bad value). */
static void s_parse(app_t *a, int argc, char **argv)
{
    char summary[128];
    snprintf(a->prog, sizeof a->prog, "feed-%s", a->v->venue);
    snprintf(summary, sizeof summary,
             "Keep the %s level-2 books of the configured series' assets and publish "
             "quote/book/trade on the bus.",
             a->v->venue);
    assert(!strcmp(s_opts[0].name, "url"));
    s_opts[0].def = a->v->url;
    /* the data-path probe's budget follows what one costs this venue (feed_venue_t) */
    static char dp_def[16];
    snprintf(dp_def, sizeof dp_def, "%d", a->v->data_probes_per_h ? a->v->data_probes_per_h : 60);
    for (opt_t *o = s_opts; o->name; o++)
        if (!strcmp(o->name, "data-probes-per-hour")) o->def = dp_def;
    opts_parse(a->prog, summary, s_opts, argc, argv, NULL);
    wsconn_opts_check(&s_wo);
}

/* --peers as venue names into WANT; exits 64 naming a bad one. */
static void s_peers_names(const app_t *a, strlist_t *want)
{
    if (!strcmp(o_peers, "none")) return;
    int autom = !strcmp(o_peers, "auto"); /* the other venues of the index */
    char name[32];
    for (const char *p = autom ? BUS_BTC_VENUES : o_peers; *p;) {
        size_t n = strcspn(p, ",");
        int ok = n > 0 && n < sizeof name && strspn(p, "abcdefghijklmnopqrstuvwxyz0123456789-") >= n;
        if (ok) {
            memcpy(name, p, n);
            name[n] = 0;
            ok = strcmp(name, a->v->venue) != 0;
        }
        p += n + (p[n] == ',');
        if (!ok && autom) continue; /* this venue itself */
        if (!ok) opts_die("peers", o_peers, "expected auto, none or other venues' names (a,b)");
        strlist_add(want, name);
    }
}

/* --series: the assets its series need on this venue into A->assets; exits 64 with the
 * library's message for a bad list or definition, or when no series uses this venue. */
static void s_assets(app_t *a)
{
    static series_set_t set;
    char err[256];
    if (series_load(&set, o_series, NULL, err, sizeof err) < 0) opts_die("series", o_series, err);
    series_venue_assets(&set, a->v->venue, a->assets, sizeof a->assets);
    if (!a->assets[0]) {
        snprintf(err, sizeof err, "no configured series uses venue %s", a->v->venue);
        opts_die("series", o_series, err);
    }
    feed_t probe;
    feed_init(&probe, a->v, 1, NULL, NULL);
    int rc = feed_set_assets(&probe, a->assets, err, sizeof err);
    feed_free(&probe);
    if (rc < 0) opts_die("series", o_series, err);
}

/* Check what parsing cannot (the URL's shape, the CA file, --record) and fill
 * the connection options; exits 64 naming the option. Logs the effective config. */
static void s_check(app_t *a)
{
    wsconn_opts_t *wo = &a->wo;
    wsconn_opts_default(wo);
    wo->venue = a->v->venue;
    wo->url = o_url;
    wo->ca_file = o_ca && *o_ca ? o_ca : NULL;
    wsconn_opts_timers(wo, &s_wo);
    wo->stale_s = o_stale;
    wo->max_msg = (size_t)o_max_msg;
    char err[256], host[256], path[512];
    int port;
    if (wsconn_parse_url(o_url, host, sizeof host, &port, path, sizeof path) < 0)
        opts_die("url", o_url, "expected wss://host[:port][/path]");
    if (wo->ca_file && wsconn_ca_check(wo->ca_file, err, sizeof err) < 0)
        opts_die("ca-file", wo->ca_file, err);
    if (s_wo.data_probe_s > 0 && s_wo.probe_s > 0 && s_wo.data_probe_s >= o_stale)
        log_warnx("venue=%s --data-probe-after %g is not shorter than --stale-after %g: the "
                  "data-path probe never comes before the data timer", a->v->venue,
                  s_wo.data_probe_s, o_stale);
    /* the REST API where a silence is checked (the venue's, or --url's host) */
    if (o_rest_url && !a->v->rest_check)
        opts_die("rest-url", o_rest_url, "this venue's silences are not checked on REST");
    if (o_rest_url && strncmp(o_rest_url, "https://", 8))
        opts_die("rest-url", o_rest_url, "expected https://host[:port][/path]");
    if (a->v->rest_check) {
        if (o_rest_url) snprintf(a->rest_url, sizeof a->rest_url, "%s", o_rest_url);
        else if (strcmp(o_url, a->v->url))
            snprintf(a->rest_url, sizeof a->rest_url, "https://%s:%d", host, port);
        else snprintf(a->rest_url, sizeof a->rest_url, "%s", a->v->rest_base);
        if (!o_rest_url) o_rest_url = a->rest_url; /* shown in the effective config */
    }
    a->rec = framerec_open_opt(o_record);
    strlist_t peers = {0};
    s_peers_names(a, &peers); /* exits 64 naming a bad --peers */
    strlist_clear(&peers);
    s_assets(a);
    /* the effective config shows the assets the series need here */
    char shown[400], *keep = o_series;
    snprintf(shown, sizeof shown, "%s (assets %s)", o_series, a->assets);
    o_series = shown;
    opts_log_effective(a->prog, s_opts);
    o_series = keep;
}

/* --peers: subscribe to the other feeds' quote.* (the evidence of a moving
 * market). 0, or the exit code. */
static int s_peers_open(app_t *a)
{
    peers_init(&a->peers);
    strlist_t want = {0};
    s_peers_names(a, &want);
    if (!want.n) return 0;
    char dir[400], ep[BUS_EP_MAX], name[48];
    if (bus_dir(opts_common.bus, dir, sizeof dir) < 0) {
        strlist_clear(&want);
        return EX_UNAVAILABLE;
    }
    a->peer_sub = bus_sub_new();
    bus_sub_prefix(a->peer_sub, "quote.");
    for (int i = 0; i < want.n; i++) {
        snprintf(name, sizeof name, "feed-%s", want.v[i]);
        if (bus_endpoint(dir, name, ep, sizeof ep) < 0 || bus_sub_connect(a->peer_sub, ep) < 0)
            log_warnx("venue=%s --peers: cannot subscribe to %s", a->v->venue, name);
    }
    strlist_clear(&want);
    return 0;
}

/* The bus PUB, the feed, its hb and its connection (not connected yet).
 * 0, or the exit code. */
static int s_bind(app_t *a)
{
    a->pub = prog_pub_new();
    if (!a->pub) return EX_UNAVAILABLE;
    feed_init(&a->f, a->v, (int)o_depth, s_pub_out, a->pub);
    char err[256];
    if (feed_set_assets(&a->f, a->assets, err, sizeof err) < 0) { /* checked by s_assets */
        log_crit("venue=%s %s", a->v->venue, err);
        return EX_SOFTWARE;
    }
    a->f.resync_s = o_resync;
    a->hb = hb_new(a->pub, s_hb_detail, &a->f);
    wsconn_opts_t *wo = &a->wo;
    wo->pub = a->pub;
    wo->hb = a->hb;
    wo->record = a->rec;
    wo->arg = &a->f;
    wo->on_open = s_cb_open;
    wo->on_message = s_cb_msg;
    wo->on_resubscribe = s_cb_resub;
    wo->resub_snapshot = a->v->resub_snapshot;
    wo->on_close = s_cb_close;
    wo->on_tick = s_cb_tick;
    wo->on_hb = s_cb_hb;
    wo->on_probe = s_cb_probe;
    wo->on_evidence = s_cb_evidence;
    if (a->v->rest_check && wo->data_probe_s > 0 && wo->data_probe_per_h > 0) {
        rest_global(1);
        a->rest = rest_new(a->v->venue, a->rest_url, wo->ca_file, NULL, NULL, s_rest_cb, &a->f);
        wo->on_data_probe = s_cb_data_probe;
    }
    int rc = s_peers_open(a);
    if (rc) return rc;
    a->f.c = wsconn_new(wo, err, sizeof err);
    if (!a->f.c) {
        hb_destroy(&a->hb);
        bus_sub_destroy(&a->peer_sub);
        bus_pub_destroy(&a->pub);
        bus_ctx_term();
        opts_die("url", o_url, err);
    }
    return 0;
}

/* Connect and serve until a signal (0) or no progress (75). */
static int s_loop(app_t *a)
{
    prog_signals(PROG_SIG_RESTART);
    hb_ready(a->hb, "connecting");
    int rc = wsconn_run(a->f.c, &prog_stop);
    log_info("venue=%s stopping rc=%d", a->v->venue, rc);
    return rc;
}

static void s_cleanup(app_t *a)
{
    wsconn_destroy(&a->f.c);
    if (a->rest) {
        rest_destroy(&a->rest);
        rest_global(0);
    }
    framerec_close(&a->rec);
    feed_free(&a->f);
    hb_destroy(&a->hb);
    bus_sub_destroy(&a->peer_sub);
    bus_pub_destroy(&a->pub);
    bus_ctx_term();
}

int feed_main(const feed_venue_t *v, int argc, char **argv)
{
    app_t *a = &A;
    a->v = v;
    s_parse(a, argc, argv);
    s_check(a);
    if (opts_common.check) {
        framerec_close(&a->rec);
        return 0;
    }
    int rc = s_bind(a);
    if (rc) return rc;
    rc = s_loop(a);
    s_cleanup(a);
    return rc;
}

/* --- self-test: golden files --- */

static int s_golden(const feed_venue_t *v, const char *dir, const char *session, const char *gold)
{
    char in_path[512], gold_path[512];
    snprintf(in_path, sizeof in_path, "%s/exchanges/%s", dir, session);
    snprintf(gold_path, sizeof gold_path, "%s/exchanges/%s", dir, gold);
    FILE *in = fopen(in_path, "r");
    if (!in) {
        fprintf(stderr, "feed_test: %s: cannot open\n", in_path);
        return -1;
    }
    char *got = NULL;
    size_t gotlen = 0;
    FILE *out = open_memstream(&got, &gotlen);
    feed_replay(v, in, out, 10);
    fclose(in);
    fclose(out);
    FILE *g = fopen(gold_path, "r");
    int rc = -1;
    if (g) {
        char *want = xmalloc(gotlen + 2);
        size_t wl = fread(want, 1, gotlen + 1, g);
        fclose(g);
        rc = wl == gotlen && !memcmp(want, got, gotlen) ? 0 : -1;
        if (rc) {
            size_t i = 0, line = 1;
            for (; i < gotlen && i < wl && got[i] == want[i]; i++) line += got[i] == '\n';
            fprintf(stderr, "feed_test: first difference at line %zu: got '%.80s'\n", line,
                    got + (i > 40 ? i - 40 : 0));
        }
        free(want);
    }
    if (rc) fprintf(stderr, "feed_test: %s differs from %s (regenerate with bin/feedreplay)\n",
                    session, gold_path);
    free(got);
    return rc;
}

/* --- self-test: hostile trade ids and book frames (issue 16 item 8) --- */

typedef struct {
    char buf[4096];
    size_t len;
    int n;
} s_cap_t;

static int s_cap_out(void *arg, const char *topic, const char *body, size_t len, int64_t ts_rx,
                     int64_t ts_ex)
{
    (void)ts_rx;
    (void)ts_ex;
    s_cap_t *c = arg;
    int k = snprintf(c->buf + c->len, sizeof c->buf - c->len, "%s {%.*s}\n", topic, (int)len, body);
    if (k > 0 && (size_t)k < sizeof c->buf - c->len) c->len += (size_t)k;
    c->n++;
    return 0;
}

/* Parse MSG through V into a fresh capture; returns the parse result. */
static int s_feed1(feed_t *f, s_cap_t *c, const char *msg)
{
    c->len = 0;
    c->buf[0] = '\0';
    c->n = 0;
    return f->v->parse(f, msg, strlen(msg), 1);
}

#define T_FAIL(...)                                                                              \
    do {                                                                                         \
        fprintf(stderr, "feed_test: " __VA_ARGS__);                                              \
        fputc('\n', stderr);                                                                     \
        rc = -1;                                                                                 \
    } while (0)

static int s_test_ids(const char *dir)
{
    int rc = 0;
    s_cap_t cap;
    feed_t f;
    char big[600], msg[1400];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';

    /* Coinbase: string ids only, unescaped once then escaped once */
    feed_init(&f, &feed_coinbase, 10, s_cap_out, &cap);
#define CB_TRADE(ID)                                                                             \
    "{\"channel\":\"market_trades\",\"timestamp\":\"2025-01-20T14:30:00Z\",\"events\":[{\"type\":"   \
    "\"update\",\"trades\":[{\"product_id\":\"BTC-USD\",\"price\":\"97000.00\",\"size\":\"0.1\","    \
    "\"side\":\"SELL\",\"time\":\"2025-01-20T14:30:00Z\"" ID "}]}]}"
    s_feed1(&f, &cap, CB_TRADE(",\"trade_id\":\"a\\\"b\\u00e9\""));
    if (!strstr(cap.buf, "\"id\":\"a\\\"b\xc3\xa9\"}")) T_FAIL("coinbase escaped id: %s", cap.buf);
    s_feed1(&f, &cap, CB_TRADE(""));
    if (cap.n != 1 || strstr(cap.buf, "\"id\"") || f.n_trades_no_id != 1)
        T_FAIL("coinbase missing id: %s", cap.buf);
    const char *cb_bad[] = {CB_TRADE(",\"trade_id\":true"), CB_TRADE(",\"trade_id\":{\"a\":1}"),
                            CB_TRADE(",\"trade_id\":123"), CB_TRADE(",\"trade_id\":\"\""),
                            CB_TRADE(",\"trade_id\":\"a\\nb\"")};
    for (size_t k = 0; k < ARRAY_LEN(cb_bad); k++)
        if (s_feed1(&f, &cap, cb_bad[k]), cap.n) T_FAIL("coinbase accepted %s", cb_bad[k]);
    snprintf(msg, sizeof msg, CB_TRADE(",\"trade_id\":\"%s\""), big);
    if (s_feed1(&f, &cap, msg), cap.n) T_FAIL("coinbase accepted a 599-byte id");
    /* invalid UTF-8: the frame is refused by jtok, nothing published */
    if (s_feed1(&f, &cap, CB_TRADE(",\"trade_id\":\"a\xc3\"")) != WSCONN_MSG_BAD || cap.n)
        T_FAIL("coinbase accepted an id of invalid UTF-8");
    if (f.n_bad_trade_ids != ARRAY_LEN(cb_bad) + 1) T_FAIL("coinbase bad ids %llu", (unsigned long long)f.n_bad_trade_ids);
    feed_free(&f);

    /* Kraken: integer ids; a book message without checksum is never applied */
    feed_init(&f, &feed_kraken, 10, s_cap_out, &cap);
#define KR_TRADE(ID)                                                                             \
    "{\"channel\":\"trade\",\"type\":\"update\",\"data\":[{\"symbol\":\"BTC/USD\",\"side\":\"buy\","    \
    "\"price\":97000.0,\"qty\":0.025,\"ord_type\":\"market\"" ID                                \
    ",\"timestamp\":\"2025-01-20T14:30:02.242133Z\"}]}"
    s_feed1(&f, &cap, KR_TRADE(",\"trade_id\":81234568"));
    if (!strstr(cap.buf, "\"id\":\"81234568\"}")) T_FAIL("kraken numeric id: %s", cap.buf);
    const char *kr_bad[] = {KR_TRADE(",\"trade_id\":true"), KR_TRADE(",\"trade_id\":-5"),
                            KR_TRADE(",\"trade_id\":[1]"), KR_TRADE(",\"trade_id\":1e3")};
    for (size_t k = 0; k < ARRAY_LEN(kr_bad); k++)
        if (s_feed1(&f, &cap, kr_bad[k]), cap.n) T_FAIL("kraken accepted %s", kr_bad[k]);
    if (f.n_bad_trade_ids != ARRAY_LEN(kr_bad)) T_FAIL("kraken bad ids");
    char path[512];
    snprintf(path, sizeof path, "%s/exchanges/kraken_v2/btcusd_session.jsonl", dir);
    FILE *in = fopen(path, "r");
    char *line = NULL;
    size_t lcap = 0;
    while (in && !feed_book_ready(&f) && getline(&line, &lcap, in) > 0) s_feed1(&f, &cap, line);
    if (in) fclose(in);
    free(line);
    if (!feed_book_ready(&f)) T_FAIL("kraken fixture gave no book");
    const char *nosum = "{\"channel\":\"book\",\"type\":\"update\",\"data\":[{\"symbol\":\"BTC/USD\","
                        "\"bids\":[{\"price\":1.0,\"qty\":5.0}],\"asks\":[],"
                        "\"timestamp\":\"2025-01-20T14:30:02.242133Z\"}]}";
    s_feed1(&f, &cap, nosum);
    if (feed_book_ready(&f) || !strstr(cap.buf, "\"reason\":\"no_checksum\""))
        T_FAIL("kraken applied an update without checksum: %s", cap.buf);
    feed_free(&f);

    /* Bitstamp: integer ids */
    feed_init(&f, &feed_bitstamp, 10, s_cap_out, &cap);
#define BS_TRADE(ID)                                                                             \
    "{\"data\":{" ID "\"amount_str\":\"0.00350000\",\"price_str\":\"97001.12\",\"type\":0,"         \
    "\"microtimestamp\":\"1737383400418211\"},\"channel\":\"live_trades_btcusd\",\"event\":\"trade\"}"
    s_feed1(&f, &cap, BS_TRADE("\"id\":389012346,"));
    if (!strstr(cap.buf, "\"id\":\"389012346\"}")) T_FAIL("bitstamp id: %s", cap.buf);
    s_feed1(&f, &cap, BS_TRADE(""));
    if (cap.n != 1 || strstr(cap.buf, "\"id\"")) T_FAIL("bitstamp missing id: %s", cap.buf);
    const char *bs_bad[] = {BS_TRADE("\"id\":true,"), BS_TRADE("\"id\":{},"), BS_TRADE("\"id\":0.5,")};
    for (size_t k = 0; k < ARRAY_LEN(bs_bad); k++)
        if (s_feed1(&f, &cap, bs_bad[k]) != WSCONN_MSG_BAD || cap.n) T_FAIL("bitstamp accepted %s", bs_bad[k]);
    if (f.n_bad_trade_ids != ARRAY_LEN(bs_bad) || f.n_trades_no_id != 1) T_FAIL("bitstamp counters");
    feed_free(&f);
    return rc;
}

/* --- self-test: Gemini and Crypto.com, hostile input and the heartbeat reply (issue 20) --- */

static void s_sent_cap(void *arg, const char *msg)
{
    s_cap_t *c = arg;
    int k = snprintf(c->buf + c->len, sizeof c->buf - c->len, "sent %s\n", msg);
    if (k > 0 && (size_t)k < sizeof c->buf - c->len) c->len += (size_t)k;
}

static int s_test_issue20(void)
{
    int rc = 0;
    s_cap_t cap;
    feed_t f;

    /* Gemini: an update before the book is a gap; a bad side, a negative
     * size, a short level or a number id where none fits invalidate or drop */
    feed_init(&f, &feed_gemini, 10, s_cap_out, &cap);
#define GM_L2(CH, EXTRA) "{\"type\":\"l2_updates\",\"symbol\":\"BTCUSD\",\"changes\":[" CH "]" EXTRA "}"
    /* a fresh feed in replay mode was never subscribed: the first frame needs "trades" */
    s_feed1(&f, &cap, GM_L2("[\"buy\",\"97000.00\",\"1\"]", ""));
    if (!strstr(cap.buf, "\"reason\":\"no_snapshot\"")) T_FAIL("gemini update before a book: %s", cap.buf);
    f.b[0].resyncing = 0;
    s_feed1(&f, &cap, GM_L2("[\"buy\",\"97000.00\",\"1\"],[\"sell\",\"97000.01\",\"2\"]", ",\"trades\":[]"));
    if (!feed_book_ready(&f) || !strstr(cap.buf, "\"bid\":97000.00,")) T_FAIL("gemini book: %s", cap.buf);
    const char *gm_bad[] = {GM_L2("[\"bid\",\"1.00\",\"1\"]", ""), GM_L2("[\"buy\",\"1.00\",\"-1\"]", ""),
                            GM_L2("[\"buy\",\"1.00\"]", ""), GM_L2("[\"buy\",[\"1.00\"],\"1\"]", ""),
                            GM_L2("{\"buy\":1}", ""), "{\"type\":\"l2_updates\",\"symbol\":\"BTCUSD\",\"changes\":7}"};
    for (size_t k = 0; k < ARRAY_LEN(gm_bad); k++) {
        f.b[0].resyncing = 0;
        f.b[0].book.valid = 1;
        if (s_feed1(&f, &cap, gm_bad[k]) != WSCONN_MSG_BAD || feed_book_ready(&f) ||
            !strstr(cap.buf, "\"reason\":\"bad_level\""))
            T_FAIL("gemini accepted %s: %s", gm_bad[k], cap.buf);
    }
    /* a crossing update: the core flags it */
    s_feed1(&f, &cap, GM_L2("[\"buy\",\"97000.00\",\"1\"],[\"sell\",\"97000.01\",\"2\"]", ",\"trades\":[]"));
    s_feed1(&f, &cap, GM_L2("[\"buy\",\"97000.01\",\"1\"]", ""));
    if (feed_book_ready(&f) || !strstr(cap.buf, "\"reason\":\"crossed\"")) T_FAIL("gemini crossed: %s", cap.buf);
#define GM_TRADE(ID) "{\"type\":\"trade\",\"symbol\":\"BTCUSD\"" ID ",\"timestamp\":1624493681030,\"price\":\"97000.00\",\"quantity\":\"0.1\",\"side\":\"sell\"}"
    s_feed1(&f, &cap, GM_TRADE(",\"event_id\":45465842999"));
    if (!strstr(cap.buf, "\"side\":\"sell\",\"id\":\"45465842999\"}")) T_FAIL("gemini trade: %s", cap.buf);
    const char *gm_tbad[] = {GM_TRADE(",\"event_id\":true"), GM_TRADE(",\"event_id\":-1"),
                             "{\"type\":\"trade\",\"symbol\":\"BTCUSD\",\"price\":\"1\",\"quantity\":\"1\",\"side\":\"taker\"}",
                             "{\"type\":\"trade\",\"symbol\":\"BTCUSD\",\"price\":\"0\",\"quantity\":\"1\",\"side\":\"buy\"}"};
    for (size_t k = 0; k < ARRAY_LEN(gm_tbad); k++)
        if (s_feed1(&f, &cap, gm_tbad[k]) != WSCONN_MSG_BAD || cap.n) T_FAIL("gemini accepted %s", gm_tbad[k]);
    /* another symbol's trade and book are not ours */
    if (s_feed1(&f, &cap, "{\"type\":\"trade\",\"symbol\":\"ETHUSD\",\"price\":\"1\",\"quantity\":\"1\",\"side\":\"buy\"}") !=
            WSCONN_MSG_IGNORED || cap.n)
        T_FAIL("gemini published another symbol");
    feed_free(&f);

    /* Crypto.com: the heartbeat is answered with its id; a delta needs a
     * book and the previous u; hostile levels and ids */
    feed_init(&f, &feed_cryptocom, 10, s_cap_out, &cap);
    f.sent = s_sent_cap;
    f.sent_arg = &cap;
    if (s_feed1(&f, &cap, "{\"id\":1782032467342,\"method\":\"public/heartbeat\",\"code\":0}") != WSCONN_MSG_CTRL ||
        strcmp(cap.buf, "sent {\"id\":1782032467342,\"method\":\"public/respond-heartbeat\"}\n"))
        T_FAIL("cryptocom heartbeat reply: %s", cap.buf);
    if (s_feed1(&f, &cap, "{\"id\":\"x\",\"method\":\"public/heartbeat\",\"code\":0}") != WSCONN_MSG_BAD ||
        strstr(cap.buf, "sent"))
        T_FAIL("cryptocom answered a heartbeat without an id: %s", cap.buf);
#define CD_MSG(CH, DATA) "{\"id\":-1,\"method\":\"subscribe\",\"code\":0,\"result\":{\"instrument_name\":\"BTC_USD\",\"channel\":\"" CH "\",\"data\":[" DATA "]}}"
#define CD_SNAP CD_MSG("book", "{\"asks\":[[\"63962.65\",\"0.23532\",\"4\"]],\"bids\":[[\"63962.64\",\"0.27217\",\"8\"]],\"t\":1782032455315,\"u\":100}")
#define CD_UPD(PU, LV) CD_MSG("book.update", "{\"update\":{\"asks\":[],\"bids\":[" LV "]},\"t\":1782032455316,\"u\":200,\"pu\":" PU "}")
    s_feed1(&f, &cap, CD_UPD("100", ""));
    if (!strstr(cap.buf, "\"reason\":\"no_snapshot\"")) T_FAIL("cryptocom update before a book: %s", cap.buf);
    f.b[0].resyncing = 0;
    s_feed1(&f, &cap, CD_SNAP);
    if (!feed_book_ready(&f)) T_FAIL("cryptocom snapshot: %s", cap.buf);
    s_feed1(&f, &cap, CD_UPD("99", ""));
    if (feed_book_ready(&f) || !strstr(cap.buf, "event.gap {\"venue\":\"cryptocom\",\"reason\":\"sequence\"}") ||
        !strstr(cap.buf, "event.resync"))
        T_FAIL("cryptocom pu mismatch: %s", cap.buf);
    const char *cd_bad[] = {CD_UPD("100", "[\"1.00\",\"-1\",\"1\"]"), CD_UPD("100", "[\"1.00\"]"),
                            CD_UPD("100", "\"1.00\""), CD_UPD("100", "[[\"1\"],\"1\",\"1\"]"),
                            CD_UPD("100", "[\"1e400\",\"1\",\"1\"]"),
                            CD_MSG("book.update", "{\"update\":{\"bids\":[]},\"u\":200}"),
                            CD_MSG("book.update", "{\"update\":7,\"u\":200,\"pu\":100}")};
    for (size_t k = 0; k < ARRAY_LEN(cd_bad); k++) {
        f.b[0].resyncing = 0;
        s_feed1(&f, &cap, CD_SNAP);
        if (s_feed1(&f, &cap, cd_bad[k]) != WSCONN_MSG_BAD || feed_book_ready(&f))
            T_FAIL("cryptocom accepted %s: %s", cd_bad[k], cap.buf);
    }
#define CD_TRADE(ID) CD_MSG("trade", "{" ID "\"t\":1782032437671,\"p\":\"63958.47\",\"q\":\"0.04333\",\"s\":\"SELL\",\"i\":\"BTC_USD\"}")
    s_feed1(&f, &cap, CD_TRADE("\"d\":2006341810221954784,"));
    if (!strstr(cap.buf, "\"side\":\"sell\",\"id\":\"2006341810221954784\"}")) T_FAIL("cryptocom numeric id: %s", cap.buf);
    uint64_t bad0 = f.n_bad_trade_ids;
    const char *cd_tbad[] = {CD_TRADE("\"d\":true,"), CD_TRADE("\"d\":\"\","), CD_TRADE("\"d\":-3,")};
    for (size_t k = 0; k < ARRAY_LEN(cd_tbad); k++)
        if (s_feed1(&f, &cap, cd_tbad[k]), cap.n) T_FAIL("cryptocom accepted %s", cd_tbad[k]);
    if (f.n_bad_trade_ids != bad0 + ARRAY_LEN(cd_tbad)) T_FAIL("cryptocom bad ids");
    /* the reply to our trade subscribe (id 2) may be history: not published */
    if (s_feed1(&f, &cap, "{\"id\":2,\"method\":\"subscribe\",\"code\":0,\"result\":{\"instrument_name\":\"BTC_USD\","
                          "\"channel\":\"trade\",\"data\":[{\"d\":\"1\",\"t\":1,\"p\":\"1\",\"q\":\"1\",\"s\":\"BUY\"}]}}") !=
            WSCONN_MSG_CTRL || cap.n)
        T_FAIL("cryptocom published the trade subscribe reply: %s", cap.buf);
    feed_free(&f);
    return rc;
}

/* --- self-test: Bitstamp's REST check of a silence (data-path probe) --- */

static void s_rest_levels(char *o, size_t n, int bid0_qty_cents, int levels, int numbers)
{
    size_t k = 0;
    for (int side = 0; side < 2; side++) {
        k += (size_t)snprintf(o + k, n - k, "%s\"%s\":[", side ? "," : "", side ? "asks" : "bids");
        for (int i = 0; i < levels; i++) {
            int px = side ? 50010 + i : 50000 - i, q = !side && !i ? bid0_qty_cents : 100 + i;
            k += (size_t)snprintf(o + k, n - k, numbers ? "%s[%d.0,%d.%02d]" : "%s[\"%d.00\",\"%d.%02d\"]",
                                  i ? "," : "", px, q / 100, q % 100);
        }
        k += (size_t)snprintf(o + k, n - k, "]");
    }
}

/* The verdict on REST body JSON for a book built from the frame with 12 levels a side
 * at microtimestamp 1700000000000000: 1, 0, -1, or -9 when the body is not JSON. */
static int s_rest_verdict(const char *json, char *why, size_t n)
{
    feed_t f;
    feed_init(&f, &feed_bitstamp, 10, s_cap_out, &(s_cap_t){0});
    char fr[4096], lv[3000];
    s_rest_levels(lv, sizeof lv, 150, 12, 0);
    snprintf(fr, sizeof fr, "{\"data\":{\"timestamp\":\"1700000000\",\"microtimestamp\":"
             "\"1700000000000000\",%s},\"channel\":\"order_book_btcusd\",\"event\":\"data\"}", lv);
    feed_bitstamp.parse(&f, fr, strlen(fr), 1);
    json_t *root = json_loads(json, 0, NULL);
    int r = root ? feed_bitstamp.rest_check(&f, &f.b[0], root, why, n) : -9;
    json_decref(root);
    feed_free(&f);
    return r;
}

static int s_test_rest_check(void)
{
    static const struct {
        const char *ts; /* the microtimestamp member, or "" */
        int bid0, levels, numbers, want;
        const char *what;
    } cases[] = {
        {"\"microtimestamp\":\"1700000002000000\",", 150, 12, 0, 0, "the same book, newer"},
        {"\"microtimestamp\":\"1700000002000000\",", 150, 40, 0, 0, "the same top 10, more levels"},
        {"\"microtimestamp\":1700000002000000,", 150, 12, 1, 0, "numbers for text"},
        {"\"microtimestamp\":\"1700000002000000\",", 151, 12, 0, 1, "the best bid's size moved"},
        {"\"microtimestamp\":\"1700000002000000\",", 150, 5, 0, 1, "fewer levels than ours"},
        {"\"microtimestamp\":\"1699999999000000\",", 151, 12, 0, -1, "moved, but older than ours"},
        {"", 151, 12, 0, -1, "moved, no microtimestamp"},
        {"", 150, 12, 0, 0, "the same, no microtimestamp"},
    };
    int rc = 0;
    char body[4000], lv[3500], why[300];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        s_rest_levels(lv, sizeof lv, cases[i].bid0, cases[i].levels, cases[i].numbers);
        snprintf(body, sizeof body, "{\"timestamp\":\"1700000002\",%s%s}", cases[i].ts, lv);
        int r = s_rest_verdict(body, why, sizeof why);
        if (r != cases[i].want) {
            fprintf(stderr, "feed_test: REST check, %s: %d, want %d (%s)\n", cases[i].what, r,
                    cases[i].want, why);
            rc = -1;
        }
    }
    static const char *const bad[] = {
        "{\"microtimestamp\":\"1700000002000000\",\"bids\":{},\"asks\":[]}",
        "{\"microtimestamp\":\"1700000002000000\",\"bids\":[[\"x\",\"1\"]],\"asks\":[]}",
        "{\"microtimestamp\":\"1700000002000000\",\"bids\":[[\"1\"]],\"asks\":[]}",
        "{\"status\":\"error\",\"reason\":\"Not found\"}",
        "{\"microtimestamp\":\"-5\",\"bids\":[],\"asks\":[]}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int r = s_rest_verdict(bad[i], why, sizeof why);
        if (r != -1) {
            fprintf(stderr, "feed_test: REST check of %s: %d, want -1 (%s)\n", bad[i], r, why);
            rc = -1;
        }
    }
    return rc;
}

/* --- self-test: several assets on one connection (issue 21) --- */

static int s_test_assets(void)
{
    int rc = 0;
    s_cap_t cap;
    feed_t f;
    char err[160];
    feed_init(&f, &feed_cryptocom, 10, s_cap_out, &cap);
    if (feed_set_assets(&f, "", err, sizeof err) == 0 || feed_set_assets(&f, "BTC,ETH,SOL,DOGE,A,B,C,D,E", err, sizeof err) == 0 ||
        feed_set_assets(&f, "BTC,eth", err, sizeof err) == 0 || feed_set_assets(&f, "ETH,BTC,ETH", err, sizeof err) == 0 || f.nb != 1 || strcmp(f.b[0].pair, "BTC-USD"))
        T_FAIL("cryptocom: a bad asset list was taken");
    if (feed_set_assets(&f, "ETH,BTC,DOGE", err, sizeof err) < 0 || f.nb != 3 || f.main_b != 1 ||
        strcmp(f.b[2].sym, "DOGE_USD") || strcmp(f.b[0].t_quote, "quote.cryptocom.ETH-USD"))
        T_FAIL("cryptocom: assets ETH,BTC,DOGE: %s", err);
    /* the subscriptions name every instrument */
    f.sent = s_sent_cap;
    f.sent_arg = &cap;
    cap.len = 0;
    f.v->subscribe(&f);
    f.v->tick(&f, clock_mono_ns() + 2 * NS_PER_S);
    if (!strstr(cap.buf, "\"channels\":[\"book.ETH_USD.10\",\"book.BTC_USD.10\",\"book.DOGE_USD.10\"]") ||
        !strstr(cap.buf, "\"channels\":[\"trade.ETH_USD\",\"trade.BTC_USD\",\"trade.DOGE_USD\"]"))
        T_FAIL("cryptocom subscribe: %s", cap.buf);
#define CA_MSG(I, CH, DATA) "{\"id\":-1,\"method\":\"subscribe\",\"code\":0,\"result\":{\"instrument_name\":\"" I "\",\"channel\":\"" CH "\",\"data\":[" DATA "]}}"
#define CA_SNAP(I, B, A) CA_MSG(I, "book", "{\"asks\":[[\"" A "\",\"1\",\"1\"]],\"bids\":[[\"" B "\",\"2\",\"1\"]],\"t\":1,\"u\":100}")
    s_feed1(&f, &cap, CA_SNAP("BTC_USD", "97000.00", "97000.01"));
    s_feed1(&f, &cap, CA_SNAP("ETH_USD", "3500.10", "3500.20"));
    /* DOGE printed with 5 decimals: published with them, read exactly */
    s_feed1(&f, &cap, CA_SNAP("DOGE_USD", "0.35301", "0.35310"));
    if (!strstr(cap.buf, "quote.cryptocom.DOGE-USD {\"bid\":0.35301,\"bid_size\":2,\"ask\":0.35310,\"ask_size\":1}"))
        T_FAIL("cryptocom DOGE decimals: %s", cap.buf);
    if (!feed_book_ready(&f)) T_FAIL("cryptocom: three snapshots, not every book ready");
    /* ETH's pu breaks: ETH alone invalid, the event names it, its channel alone resubscribed */
    s_feed1(&f, &cap, CA_MSG("ETH_USD", "book.update", "{\"update\":{\"asks\":[],\"bids\":[]},\"t\":2,\"u\":300,\"pu\":99}"));
    if (feed_bk_ready(&f.b[0]) || !feed_bk_ready(&f.b[1]) || !feed_bk_ready(&f.b[2]) ||
        !strstr(cap.buf, "event.gap {\"venue\":\"cryptocom\",\"reason\":\"sequence\",\"symbol\":\"ETH-USD\"}") ||
        !strstr(cap.buf, "\"channels\":[\"book.ETH_USD.10\"]") || strstr(cap.buf, "book.BTC_USD"))
        T_FAIL("cryptocom: an ETH gap: %s", cap.buf);
    /* BTC goes on: its chain is its own */
    s_feed1(&f, &cap, CA_MSG("BTC_USD", "book.update", "{\"update\":{\"asks\":[],\"bids\":[[\"97000.00\",\"3\",\"1\"]]},\"t\":2,\"u\":200,\"pu\":100}"));
    if (!strstr(cap.buf, "quote.cryptocom.BTC-USD {\"bid\":97000.00,\"bid_size\":3.00000,"))
        T_FAIL("cryptocom: BTC after ETH's gap: %s", cap.buf);
    /* another instrument: counted, dropped */
    uint64_t unk = f.n_unknown_sym;
    if (s_feed1(&f, &cap, CA_SNAP("SOL_USD", "200.000", "200.010")) != WSCONN_MSG_IGNORED || cap.n ||
        f.n_unknown_sym != unk + 1)
        T_FAIL("cryptocom: SOL_USD not carried but taken: %s", cap.buf);
    feed_free(&f);

    /* Coinbase: sequence_num is per connection: a jump resyncs every product, each alone */
    feed_init(&f, &feed_coinbase, 10, s_cap_out, &cap);
    f.sent = s_sent_cap;
    f.sent_arg = &cap;
    if (feed_set_assets(&f, "BTC,ETH", err, sizeof err) < 0) T_FAIL("coinbase: %s", err);
    cap.len = 0;
    f.v->subscribe(&f);
    if (!strstr(cap.buf, "{\"type\":\"subscribe\",\"product_ids\":[\"BTC-USD\",\"ETH-USD\"],\"channel\":\"level2\"}"))
        T_FAIL("coinbase subscribe: %s", cap.buf);
#define CB_SNAP(SEQ, P, B, A) "{\"channel\":\"l2_data\",\"timestamp\":\"2026-09-30T02:39:53.67Z\",\"sequence_num\":" SEQ ",\"events\":[{\"type\":\"snapshot\",\"product_id\":\"" P "\",\"updates\":[{\"side\":\"bid\",\"price_level\":\"" B "\",\"new_quantity\":\"1\"},{\"side\":\"offer\",\"price_level\":\"" A "\",\"new_quantity\":\"1\"}]}]}"
    s_feed1(&f, &cap, CB_SNAP("0", "BTC-USD", "97000.00", "97000.01"));
    s_feed1(&f, &cap, CB_SNAP("1", "ETH-USD", "3500.00", "3500.01"));
    if (!feed_book_ready(&f)) T_FAIL("coinbase: two snapshots, not both books ready");
    s_feed1(&f, &cap, CB_SNAP("3", "DOGE-USD", "0.35", "0.36"));
    if (feed_bk_ready(&f.b[0]) || feed_bk_ready(&f.b[1]) ||
        !strstr(cap.buf, "\"symbol\":\"BTC-USD\",\"from\":2,\"to\":2") ||
        !strstr(cap.buf, "\"symbol\":\"ETH-USD\",\"from\":2,\"to\":2") ||
        !strstr(cap.buf, "sent {\"type\":\"unsubscribe\",\"product_ids\":[\"ETH-USD\"],\"channel\":\"level2\"}"))
        T_FAIL("coinbase: a per-connection gap: %s", cap.buf);
    feed_free(&f);
    return rc;
}

/* --peers auto: the other four venues of the index, in BUS_BTC_VENUES' order; a list as given. */
static int s_test_peers(void)
{
    int rc = 0;
    app_t a = {.v = &feed_gemini};
    strlist_t want = {0};
    char *keep = o_peers;
    o_peers = "auto";
    s_peers_names(&a, &want);
    if (want.n != 4 || strcmp(want.v[0], "coinbase") || strcmp(want.v[2], "bitstamp") ||
        strcmp(want.v[3], "cryptocom"))
        T_FAIL("peers auto for gemini: %d names", want.n);
    strlist_clear(&want);
    a.v = &feed_cryptocom;
    o_peers = "kraken,gemini";
    s_peers_names(&a, &want);
    if (want.n != 2 || strcmp(want.v[1], "gemini")) T_FAIL("peers list: %d names", want.n);
    strlist_clear(&want);
    o_peers = keep;
    return rc;
}

int feed_test(void)
{
    const char *dir = getenv("TICKBUS_FIXTURES");
    if (!dir) dir = "tests/fixtures";
    int rc = s_test_ids(dir);
    rc |= s_golden(&feed_coinbase, dir, "coinbase_advanced/btcusd_session.jsonl", "coinbase.golden");
    rc |= s_golden(&feed_kraken, dir, "kraken_v2/btcusd_session.jsonl", "kraken.golden");
    rc |= s_golden(&feed_bitstamp, dir, "bitstamp/btcusd_session.jsonl", "bitstamp.golden");
    rc |= s_golden(&feed_kraken, dir, "kraken_v2/bad_checksum.jsonl", "kraken_bad_checksum.golden");
    /* Kraken's docs example sends price/qty as strings: same book, same checksums */
    rc |= s_golden(&feed_kraken, dir, "kraken_v2/string_numbers.jsonl", "kraken.golden");
    rc |= s_golden(&feed_coinbase, dir, "coinbase_advanced/seq_gap.jsonl", "coinbase_seq_gap.golden");
    rc |= s_golden(&feed_gemini, dir, "gemini_v2/btcusd_session.jsonl", "gemini.golden");
    rc |= s_golden(&feed_cryptocom, dir, "cryptocom/btcusd_session.jsonl", "cryptocom.golden");
    rc |= s_golden(&feed_cryptocom, dir, "cryptocom/gap.jsonl", "cryptocom_gap.golden");
    rc |= s_test_issue20();
    rc |= s_test_peers();
    rc |= s_test_assets();
    rc |= s_test_rest_check();
    return rc;
}
