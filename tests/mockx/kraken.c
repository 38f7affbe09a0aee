/* kraken: Kraken WebSocket v2 as mockx serves it: status on connect, one ack
 * per symbol (BTC/USD, ETH/USD, SOL/USD, DOGE/USD: every asset of the world,
 * each with its own book), book snapshot + updates carrying the v2 CRC32 of
 * the top 10 at the pair's precision (BTC/USD: price 1 dp, qty 8 dp; the
 * others at their book's decimals), trade, ticker, heartbeat, pong. */
#include "mx.h"
#include "mx_world.h"

#include "clock.h"
#include "log.h"
#include "util.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

enum { KR_BOOK = 1, KR_TRADE = 2, KR_TICKER = 4 };

static jw_t s_w;

static jw_t *s_begin(void)
{
    if (!s_w.buf) jw_init(&s_w, 1 << 16);
    jw_reset(&s_w);
    return &s_w;
}

static void s_times(jw_t *w, int64_t t_in)
{
    char ts[48];
    mx_iso_us(t_in, ts, sizeof ts);
    jw_kstr(w, "time_in", ts);
    mx_iso_us(mx_now_ns(), ts, sizeof ts);
    jw_kstr(w, "time_out", ts);
}

static void s_reply_error(mx_conn_t *c, const char *method, const char *err, const char *symbol,
                          json_t *req_id, int64_t t_in)
{
    jw_t *w = s_begin();
    jw_obj(w);
    jw_kstr(w, "error", err);
    jw_kstr(w, "method", method ? method : "");
    jw_kbool(w, "success", 0);
    if (symbol) jw_kstr(w, "symbol", symbol);
    s_times(w, t_in);
    if (json_is_integer(req_id)) jw_kint(w, "req_id", json_integer_value(req_id));
    jw_obj_end(w);
    mx_send_jw(c, w);
}

static mx_vbook_t *s_book(mx_conn_t *c, int a) { return mx_conn_book(c, MX_KRAKEN, a); }

/* "ETH/USD" */
static const char *s_sym(int a)
{
    static char p[MX_ASSETS][16];
    snprintf(p[a], sizeof p[a], "%s/USD", mx_asset_name(a));
    return p[a];
}

static void s_levels(jw_t *w, const mx_vbook_t *b, const mx_chg_t *chg, int n, int side)
{
    jw_key(w, side ? "asks" : "bids");
    jw_arr(w);
    for (int i = 0; i < n; i++) {
        if (chg[i].side != side) continue;
        jw_obj(w);
        jw_kfixed(w, "price", chg[i].px, b->ps, b->ps);
        jw_kfixed(w, "qty", chg[i].qty, b->qs, b->qs);
        jw_obj_end(w);
    }
    jw_arr_end(w);
}

static void s_book_msg(mx_conn_t *c, int a, const char *type, const mx_chg_t *chg, int n)
{
    char ts[48];
    mx_vbook_t *b = s_book(c, a);
    uint32_t crc = mx_vbook_kraken_crc(b);
    if (c->fault == MX_F_BADSUM) {
        c->fault = 0;
        crc ^= 0x5a5a5a5au;
    }
    jw_t *w = s_begin();
    jw_obj(w);
    jw_kstr(w, "channel", "book");
    jw_kstr(w, "type", type);
    jw_key(w, "data");
    jw_arr(w);
    jw_obj(w);
    jw_kstr(w, "symbol", s_sym(a));
    s_levels(w, b, chg, n, 0);
    s_levels(w, b, chg, n, 1);
    jw_kuint(w, "checksum", crc);
    mx_iso_us(mx_now_ns(), ts, sizeof ts);
    jw_kstr(w, "timestamp", ts);
    jw_obj_end(w);
    jw_arr_end(w);
    jw_obj_end(w);
    mx_send_jw(c, w);
}

static void s_snapshot(mx_conn_t *c, int a)
{
    mx_vbook_t *b = s_book(c, a);
    mx_vbook_view_reset(b, c->depth);
    static mx_chg_t all[2000];
    int n = 0;
    for (int s = 0; s < 2; s++)
        for (int i = 0; i < b->nview[s]; i++) all[n++] = (mx_chg_t){s, b->view[s][i].px, b->view[s][i].qty};
    s_book_msg(c, a, "snapshot", all, n);
}

static void s_ticker(mx_conn_t *c, int a, const char *type)
{
    mx_vbook_t *b = s_book(c, a);
    jw_t *w = s_begin();
    jw_obj(w);
    jw_kstr(w, "channel", "ticker");
    jw_kstr(w, "type", type);
    jw_key(w, "data");
    jw_arr(w);
    jw_obj(w);
    jw_kstr(w, "symbol", s_sym(a));
    jw_kfixed(w, "bid", b->side[0][0].px, b->ps, b->ps);
    jw_kfixed(w, "bid_qty", b->side[0][0].qty, b->qs, b->qs);
    jw_kfixed(w, "ask", b->side[1][0].px, b->ps, b->ps);
    jw_kfixed(w, "ask_qty", b->side[1][0].qty, b->qs, b->qs);
    jw_kfixed(w, "last", b->last_px, b->ps, b->ps);
    jw_kdbl(w, "volume", b->vol24, 8);
    jw_kfixed(w, "vwap", b->last_px - 4000, b->ps, b->ps);
    jw_kfixed(w, "low", b->last_px - 19000, b->ps, b->ps);
    jw_kfixed(w, "high", b->last_px + 9000, b->ps, b->ps);
    jw_kfixed(w, "change", 13217, b->ps, b->ps);
    jw_kdbl(w, "change_pct", 1.38, 2);
    jw_obj_end(w);
    jw_arr_end(w);
    jw_obj_end(w);
    mx_send_jw(c, w);
}

static void s_trade_msg(mx_conn_t *c, int a, const char *type, int count)
{
    char ts[48];
    mx_vbook_t *b = s_book(c, a);
    jw_t *w = s_begin();
    jw_obj(w);
    jw_kstr(w, "channel", "trade");
    jw_kstr(w, "type", type);
    jw_key(w, "data");
    jw_arr(w);
    for (int i = 0; i < count; i++) {
        int64_t px = b->last_px, qty = b->last_qty;
        int buy = b->last_side;
        if (count > 1) { /* snapshot: recent trades around the last price */
            px -= i;
            buy = i & 1;
        }
        jw_obj(w);
        jw_kstr(w, "symbol", s_sym(a));
        jw_kstr(w, "side", buy ? "buy" : "sell");
        jw_kfixed(w, "price", px, b->ps, b->ps);
        jw_kfixed(w, "qty", qty, b->qs, b->qs);
        jw_kstr(w, "ord_type", (c->trade_id & 3) ? "market" : "limit");
        jw_kint(w, "trade_id", count > 1 ? c->trade_id - (count - 1 - i) : c->trade_id);
        mx_iso_us(mx_now_ns(), ts, sizeof ts);
        jw_kstr(w, "timestamp", ts);
        jw_obj_end(w);
    }
    jw_arr_end(w);
    jw_obj_end(w);
    mx_send_jw(c, w);
}

static void kr_open(mx_conn_t *c)
{
    if (!mx.world) return;
    jw_t *w = s_begin();
    jw_obj(w);
    jw_kstr(w, "channel", "status");
    jw_kstr(w, "type", "update");
    jw_key(w, "data");
    jw_arr(w);
    jw_obj(w);
    jw_kstr(w, "version", "2.0.10");
    jw_kstr(w, "system", "online");
    jw_kstr(w, "api_version", "v2");
    jw_kuint(w, "connection_id", 11963744451183453952ull + (uint64_t)c->num);
    jw_obj_end(w);
    jw_arr_end(w);
    jw_obj_end(w);
    mx_send_jw(c, w);
}

static void kr_text(mx_conn_t *c, const char *s, size_t n)
{
    int64_t t_in = mx_now_ns();
    json_t *j = json_loadb(s, n, 0, NULL);
    if (!json_is_object(j)) {
        s_reply_error(c, NULL, "Malformed request", NULL, NULL, t_in);
        json_decref(j);
        return;
    }
    const char *method = json_string_value(json_object_get(j, "method"));
    json_t *req_id = json_object_get(j, "req_id");
    json_t *params = json_object_get(j, "params");
    int reply = !(c->script && c->script->owns_acks);
    if (method && !strcmp(method, "ping")) {
        jw_t *w = s_begin();
        jw_obj(w);
        jw_kstr(w, "method", "pong");
        if (json_is_integer(req_id)) jw_kint(w, "req_id", json_integer_value(req_id));
        s_times(w, t_in);
        jw_obj_end(w);
        mx_send_jw(c, w);
        goto cleanup;
    }
    int sub = method && !strcmp(method, "subscribe");
    int unsub = method && !strcmp(method, "unsubscribe");
    if (!sub && !unsub) {
        if (reply) s_reply_error(c, method, "Method not found", NULL, req_id, t_in);
        goto cleanup;
    }
    const char *chan = json_string_value(json_object_get(params, "channel"));
    json_t *syms = json_object_get(params, "symbol");
    unsigned bit = 0;
    if (chan && !strcmp(chan, "book")) bit = KR_BOOK;
    else if (chan && !strcmp(chan, "trade")) bit = KR_TRADE;
    else if (chan && !strcmp(chan, "ticker")) bit = KR_TICKER;
    if (!json_is_object(params) || !chan) {
        if (reply) s_reply_error(c, method, "Missing params", NULL, req_id, t_in);
        goto cleanup;
    }
    if (!bit) {
        char e[128];
        snprintf(e, sizeof e, "Channel %s not supported", chan);
        if (reply) s_reply_error(c, method, e, NULL, req_id, t_in);
        goto cleanup;
    }
    long depth = 10;
    json_t *jd = json_object_get(params, "depth");
    if (jd) depth = json_is_integer(jd) ? (long)json_integer_value(jd) : -1;
    if (bit == KR_BOOK && depth != 10 && depth != 25 && depth != 100 && depth != 500 &&
        depth != 1000) {
        if (reply) s_reply_error(c, method, "Invalid depth", NULL, req_id, t_in);
        goto cleanup;
    }
    json_t *jsnap = json_object_get(params, "snapshot");
    int snap = jsnap ? json_is_true(jsnap) : 1;
    const char *trig = json_string_value(json_object_get(params, "event_trigger"));
    if (!json_is_array(syms) || json_array_size(syms) == 0) {
        if (reply) s_reply_error(c, method, "Missing symbol", NULL, req_id, t_in);
        goto cleanup;
    }
    size_t i;
    json_t *sv;
    json_array_foreach(syms, i, sv)
    {
        const char *sym = json_string_value(sv);
        int a = sym ? mx_sym_asset(sym, "/") : -1;
        if (a < 0 || strcmp(sym, s_sym(a))) {
            char e[128];
            snprintf(e, sizeof e, "Currency pair not supported %s", sym ? sym : "");
            if (reply) s_reply_error(c, method, e, sym ? sym : "", req_id, t_in);
            continue;
        }
        if (sub) {
            c->asubs[a] |= bit;
            if (bit == KR_BOOK) c->depth = (int)depth;
        } else {
            c->asubs[a] &= ~bit;
        }
        c->subs = 0;
        for (int k = 0; k < MX_ASSETS; k++) c->subs |= c->asubs[k];
        if (!reply) continue;
        jw_t *w = s_begin();
        jw_obj(w);
        jw_kstr(w, "method", method);
        jw_key(w, "result");
        jw_obj(w);
        jw_kstr(w, "channel", chan);
        if (bit == KR_BOOK) jw_kint(w, "depth", depth);
        if (bit == KR_TICKER) jw_kstr(w, "event_trigger", trig ? trig : "trades");
        if (sub) jw_kbool(w, "snapshot", snap);
        jw_kstr(w, "symbol", s_sym(a));
        jw_obj_end(w);
        jw_kbool(w, "success", 1);
        s_times(w, t_in);
        if (json_is_integer(req_id)) jw_kint(w, "req_id", json_integer_value(req_id));
        jw_obj_end(w);
        mx_send_jw(c, w);
        if (!mx.world || !sub || !snap) continue;
        s_book(c, a);
        if (bit == KR_BOOK) s_snapshot(c, a);
        else if (bit == KR_TICKER) s_ticker(c, a, "snapshot");
        else {
            if (!c->trade_id) c->trade_id = 81234560 + (int64_t)(mx_rand(&c->rng) % 100000);
            s_trade_msg(c, a, "snapshot", 10);
        }
    }
cleanup:
    json_decref(j);
}

static int kr_is_subscribe(const char *s, size_t n)
{
    (void)n;
    return strstr(s, "\"subscribe\"") != NULL;
}

/* The gap fault withholds a step's changes (applied to the book, never sent) so that
 * the next checksum exposes them. A later message can heal the client's book by chance
 * (seen: the best ask deleted and a level added at depth 10, both withheld, then the
 * best ask re-added: the client's own truncation drops the added level), so mockx
 * keeps the book the client holds and withholds every message after which the
 * client's top 10, the checksummed part, would be right again. */
struct mx_gap_model {
    const mx_vbook_t *b;
    mx_lvl_t l[2][1000];
    int n[2];
    int withheld; /* messages withheld so far */
};

/* Apply CHG to side S of M as the client does (set, delete, keep the top DEPTH). */
static void s_model_apply(struct mx_gap_model *m, const mx_chg_t *chg, int n, int depth)
{
    for (int k = 0; k < n; k++) {
        int s = chg[k].side, i = 0;
        mx_lvl_t *l = m->l[s];
        while (i < m->n[s] && (s ? l[i].px < chg[k].px : l[i].px > chg[k].px)) i++;
        int here = i < m->n[s] && l[i].px == chg[k].px;
        if (chg[k].qty == 0) {
            if (here) memmove(l + i, l + i + 1, (size_t)(m->n[s] - i - 1) * sizeof *l), m->n[s]--;
        } else if (here) {
            l[i].qty = chg[k].qty;
        } else if (i < (int)ARRAY_LEN(m->l[s])) {
            int keep = m->n[s] < (int)ARRAY_LEN(m->l[s]) ? m->n[s] : (int)ARRAY_LEN(m->l[s]) - 1;
            memmove(l + i + 1, l + i, (size_t)(keep - i) * sizeof *l);
            l[i] = (mx_lvl_t){chg[k].px, chg[k].qty};
            m->n[s] = keep + 1;
        }
    }
    for (int s = 0; s < 2; s++)
        if (m->n[s] > depth) m->n[s] = depth;
}

/* 1: the top 10 of M equals what the client is now shown (B's view). */
static int s_model_top_equal(const struct mx_gap_model *m, const mx_vbook_t *b)
{
    for (int s = 0; s < 2; s++) {
        int nm = m->n[s] < 10 ? m->n[s] : 10, nv = b->nview[s] < 10 ? b->nview[s] : 10;
        if (nm != nv || memcmp(m->l[s], b->view[s], (size_t)nm * sizeof(mx_lvl_t)) != 0) return 0;
    }
    return 1;
}

/* Called with the fault pending, before a step of book B. */
static void s_gap_begin(mx_conn_t *c, const mx_vbook_t *b)
{
    if (c->gap) return;
    c->gap = xcalloc(1, sizeof *c->gap);
    c->gap->b = b;
    for (int s = 0; s < 2; s++) {
        c->gap->n[s] = b->nview[s];
        memcpy(c->gap->l[s], b->view[s], (size_t)b->nview[s] * sizeof(mx_lvl_t));
    }
}

/* After the step (CHG, N changes; B's view is what the client would be shown).
 * 1: withhold this message; 0: send it (the fault is over once one is sent). */
static int s_gap_withhold(mx_conn_t *c, const mx_vbook_t *b, const mx_chg_t *chg, int n)
{
    struct mx_gap_model *m = c->gap;
    if (!m || m->b != b || n == 0) return 0; /* no visible change: wait for one */
    struct mx_gap_model *t = xmalloc(sizeof *t);
    memcpy(t, m, sizeof *t);
    s_model_apply(t, chg, n, b->view_depth);
    int heals = s_model_top_equal(t, b);
    free(t);
    if (heals || m->withheld == 0) { /* the first always; the model stays: never sent */
        m->withheld++;
        return 1;
    }
    log_info("gap venue=kraken conn=%d withheld=%d (the client's top 10 is now wrong)", c->num,
             m->withheld);
    c->fault = 0;
    free(c->gap);
    c->gap = NULL;
    return 0;
}

static int kr_world_msg(mx_conn_t *c)
{
    int a = mx_conn_next_asset(c, KR_BOOK | KR_TRADE | KR_TICKER);
    if (a < 0) return 0;
    mx_vbook_t *b = s_book(c, a);
    unsigned subs = c->asubs[a];
    if (c->fault == MX_F_GARBAGE) {
        c->fault = 0;
        mx_send_garbage(c, "{\"channel\":\"book\",\"type\":\"update\",");
        return 1;
    }
    if (c->tk_pending && (subs & KR_TICKER)) {
        c->tk_pending = 0;
        s_ticker(c, a, "update");
        return 1;
    }
    double r = mx_urand(&c->rng);
    if ((subs & KR_TRADE) && (r < 0.1 || !(subs & KR_BOOK))) {
        int64_t px, qty;
        mx_vbook_trade(b, &c->rng, &px, &qty);
        c->trade_id++;
        s_trade_msg(c, a, "update", 1);
        c->tk_pending = 1;
        return 1;
    }
    if (!(subs & KR_BOOK)) {
        mx_vbook_step(b, &c->rng);
        s_ticker(c, a, "update");
        return 1;
    }
    if (b->view_depth == 0) mx_vbook_view_reset(b, c->depth);
    static mx_chg_t chg[2048];
    if (c->fault == MX_F_GAP) s_gap_begin(c, b);
    int n = mx_vbook_view_step(b, &c->rng, chg, (int)ARRAY_LEN(chg));
    if (c->fault == MX_F_GAP && s_gap_withhold(c, b, chg, n)) return 1;
    if (n) s_book_msg(c, a, "update", chg, n);
    if (b->bbo_moved) c->tk_pending = 1;
    return 1;
}

static void kr_heartbeat(mx_conn_t *c)
{
    if (!c->subs) return;
    if (clock_mono_ns() - c->last_tx_ns < NS_PER_S - 50 * NS_PER_MS) return;
    mx_send(c, "{\"channel\":\"heartbeat\"}", 23);
}

const mx_venue_ops_t mx_kraken_ops = {
    .open = kr_open,
    .text = kr_text,
    .world_msg = kr_world_msg,
    .heartbeat = kr_heartbeat,
    .is_subscribe = kr_is_subscribe,
};
