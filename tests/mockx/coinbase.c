/* coinbase: Coinbase Advanced Trade market data as mockx serves it: one
 * subscribe per channel with its product_ids (BTC-USD, ETH-USD, SOL-USD,
 * DOGE-USD: every asset of the world), cumulative `subscriptions` acks, the
 * envelope with one sequence_num per connection over every channel and
 * product, l2_data / market_trades / ticker / heartbeats per product. */
#include "mx.h"
#include "mx_world.h"

#include "clock.h"
#include "util.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { CB_L2 = 1, CB_TICKER = 2, CB_TRADES = 4, CB_HB = 8, CB_STATUS = 16, CB_TBATCH = 32,
       CB_CANDLES = 64 };
static const struct {
    const char *name;
    unsigned bit;
    int needs_product;
} s_chan[] = {
    {"level2", CB_L2, 1},        {"ticker", CB_TICKER, 1}, {"market_trades", CB_TRADES, 1},
    {"heartbeats", CB_HB, 0},    {"status", CB_STATUS, 1}, {"ticker_batch", CB_TBATCH, 1},
    {"candles", CB_CANDLES, 1},
};

static jw_t s_w;

/* "ETH-USD" */
static const char *s_product(int a)
{
    static char p[MX_ASSETS][16];
    snprintf(p[a], sizeof p[a], "%s-USD", mx_asset_name(a));
    return p[a];
}

/* Continue sequence_num after whatever the script already sent. */
static void s_sync_seq(mx_conn_t *c)
{
    if (!c->script) return;
    for (; c->scan_line < c->line && c->scan_line < c->script->n; c->scan_line++) {
        const char *t = c->script->v[c->scan_line].text;
        const char *p = t ? strstr(t, "\"sequence_num\":") : NULL;
        if (p) {
            long long v = strtoll(p + 15, NULL, 10);
            if (v + 1 > c->cb_seq) c->cb_seq = v + 1;
        }
    }
}

static void s_env(mx_conn_t *c, const char *channel)
{
    char ts[48];
    s_sync_seq(c);
    if (c->fault == MX_F_GAP) {
        c->fault = 0;
        c->cb_seq++; /* one sequence number never sent */
    }
    if (!s_w.buf) jw_init(&s_w, 1 << 16);
    jw_reset(&s_w);
    jw_obj(&s_w);
    jw_kstr(&s_w, "channel", channel);
    jw_kstr(&s_w, "client_id", "");
    mx_iso_ns(mx_now_ns(), ts, sizeof ts);
    jw_kstr(&s_w, "timestamp", ts);
    jw_kint(&s_w, "sequence_num", c->cb_seq++);
    jw_key(&s_w, "events");
    jw_arr(&s_w);
}

static void s_env_end(mx_conn_t *c)
{
    jw_arr_end(&s_w);
    jw_obj_end(&s_w);
    mx_send_jw(c, &s_w);
}

static void s_ack(mx_conn_t *c)
{
    s_env(c, "subscriptions");
    jw_obj(&s_w);
    jw_key(&s_w, "subscriptions");
    jw_obj(&s_w);
    for (size_t i = 0; i < ARRAY_LEN(s_chan); i++) {
        if (!(c->subs & s_chan[i].bit)) continue;
        jw_key(&s_w, s_chan[i].name);
        jw_arr(&s_w);
        if (!s_chan[i].needs_product) jw_str(&s_w, "heartbeats");
        else
            for (int a = 0; a < MX_ASSETS; a++)
                if (c->asubs[a] & s_chan[i].bit) jw_str(&s_w, s_product(a));
        jw_arr_end(&s_w);
    }
    jw_obj_end(&s_w);
    jw_obj_end(&s_w);
    s_env_end(c);
}

static void s_error(mx_conn_t *c, const char *msg)
{
    jw_t w;
    jw_init(&w, 256);
    jw_obj(&w);
    jw_kstr(&w, "type", "error");
    jw_kstr(&w, "message", msg);
    jw_obj_end(&w);
    mx_send_jw(c, &w);
    jw_free(&w);
}

static void s_level(const mx_vbook_t *bk, int side, int64_t px, int64_t qty, const char *ts)
{
    char b[48];
    jw_obj(&s_w);
    jw_kstr(&s_w, "side", side ? "offer" : "bid");
    jw_kstr(&s_w, "event_time", ts);
    jw_kstr(&s_w, "price_level", mx_fix(b, px, bk->ps));
    jw_kstr(&s_w, "new_quantity", mx_fix(b, qty, bk->qs));
    jw_obj_end(&s_w);
}

static mx_vbook_t *s_book(mx_conn_t *c, int a) { return mx_conn_book(c, MX_COINBASE, a); }

static void s_snapshot(mx_conn_t *c, int a)
{
    char ts[48];
    mx_vbook_t *b = s_book(c, a);
    mx_iso_us(mx_now_ns(), ts, sizeof ts);
    s_env(c, "l2_data");
    jw_obj(&s_w);
    jw_kstr(&s_w, "type", "snapshot");
    jw_kstr(&s_w, "product_id", s_product(a));
    jw_key(&s_w, "updates");
    jw_arr(&s_w);
    for (int s = 0; s < 2; s++)
        for (int i = 0; i < b->n[s]; i++) s_level(b, s, b->side[s][i].px, b->side[s][i].qty, ts);
    jw_arr_end(&s_w);
    jw_obj_end(&s_w);
    s_env_end(c);
    b->nchg = 0;
    b->track = 1;
}

static void s_trade_obj(mx_conn_t *c, int a, int64_t id, int taker_buy, int64_t px, int64_t qty,
                        const char *ts)
{
    char b[48];
    const mx_vbook_t *bk = s_book(c, a);
    jw_obj(&s_w);
    snprintf(b, sizeof b, "%lld", (long long)id);
    jw_kstr(&s_w, "trade_id", b);
    jw_kstr(&s_w, "product_id", s_product(a));
    jw_kstr(&s_w, "price", mx_fix(b, px, bk->ps));
    jw_kstr(&s_w, "size", mx_fix(b, qty, bk->qs));
    jw_kstr(&s_w, "side", taker_buy ? "SELL" : "BUY"); /* the maker's side, as the venue sends it */
    jw_kstr(&s_w, "time", ts);
    jw_obj_end(&s_w);
}

static void s_trades_snapshot(mx_conn_t *c, int a)
{
    char ts[48];
    mx_vbook_t *bk = s_book(c, a);
    if (!c->trade_id) c->trade_id = 700000000 + (int64_t)(mx_rand(&c->rng) % 1000000);
    mx_iso_us(mx_now_ns() - NS_PER_S, ts, sizeof ts);
    s_env(c, "market_trades");
    jw_obj(&s_w);
    jw_kstr(&s_w, "type", "snapshot");
    jw_key(&s_w, "trades");
    jw_arr(&s_w);
    for (int i = 0; i < 10; i++)
        s_trade_obj(c, a, c->trade_id - i, i & 1, bk->last_px - i, bk->last_qty, ts);
    jw_arr_end(&s_w);
    jw_obj_end(&s_w);
    s_env_end(c);
}

static void s_ticker(mx_conn_t *c, int a, const char *type)
{
    char b[48];
    mx_vbook_t *k = s_book(c, a);
    s_env(c, "ticker");
    jw_obj(&s_w);
    jw_kstr(&s_w, "type", type);
    jw_key(&s_w, "tickers");
    jw_arr(&s_w);
    jw_obj(&s_w);
    jw_kstr(&s_w, "type", "ticker");
    jw_kstr(&s_w, "product_id", s_product(a));
    jw_kstr(&s_w, "price", mx_fix(b, k->last_px, k->ps));
    snprintf(b, sizeof b, "%.8f", k->vol24);
    jw_kstr(&s_w, "volume_24_h", b);
    jw_kstr(&s_w, "low_24_h", mx_fix(b, k->last_px - 150000, k->ps));
    jw_kstr(&s_w, "high_24_h", mx_fix(b, k->last_px + 120000, k->ps));
    jw_kstr(&s_w, "low_52_w", "49000.00");
    jw_kstr(&s_w, "high_52_w", "126000.00");
    jw_kstr(&s_w, "price_percent_chg_24_h", "1.2345");
    jw_kstr(&s_w, "best_bid", mx_fix(b, k->side[0][0].px, k->ps));
    jw_kstr(&s_w, "best_bid_quantity", mx_fix(b, k->side[0][0].qty, k->qs));
    jw_kstr(&s_w, "best_ask", mx_fix(b, k->side[1][0].px, k->ps));
    jw_kstr(&s_w, "best_ask_quantity", mx_fix(b, k->side[1][0].qty, k->qs));
    jw_obj_end(&s_w);
    jw_arr_end(&s_w);
    jw_obj_end(&s_w);
    s_env_end(c);
}

static void cb_text(mx_conn_t *c, const char *s, size_t n)
{
    json_t *j = json_loadb(s, n, 0, NULL);
    if (!json_is_object(j)) {
        s_error(c, "failed to parse message");
        json_decref(j);
        return;
    }
    const char *type = json_string_value(json_object_get(j, "type"));
    const char *chan = json_string_value(json_object_get(j, "channel"));
    json_t *prods = json_object_get(j, "product_ids");
    int sub = type && !strcmp(type, "subscribe"), unsub = type && !strcmp(type, "unsubscribe");
    int reply = !(c->script && c->script->owns_acks);
    char msg[256];
    if (!sub && !unsub) {
        if (reply) s_error(c, "message type must be subscribe or unsubscribe");
        goto cleanup;
    }
    size_t ci;
    for (ci = 0; ci < ARRAY_LEN(s_chan); ci++)
        if (chan && !strcmp(chan, s_chan[ci].name)) break;
    if (ci == ARRAY_LEN(s_chan)) {
        snprintf(msg, sizeof msg, "Failed to subscribe: channel '%s' is not supported",
                 chan ? chan : "");
        if (reply) s_error(c, msg);
        goto cleanup;
    }
    unsigned want = 0; /* the assets named */
    if (s_chan[ci].needs_product) {
        if (!json_is_array(prods) || json_array_size(prods) == 0) {
            snprintf(msg, sizeof msg, "Failed to subscribe: channel '%s' needs product_ids", chan);
            if (reply) s_error(c, msg);
            goto cleanup;
        }
        size_t i;
        json_t *p;
        json_array_foreach(prods, i, p)
        {
            const char *ps = json_string_value(p);
            int a = ps && !strcmp(ps, "BTC-USDC") ? 0 : ps ? mx_sym_asset(ps, "-") : -1;
            if (a < 0 || (ps && strncmp(ps, mx_asset_name(a), strlen(mx_asset_name(a))))) {
                snprintf(msg, sizeof msg, "Failed to subscribe: product '%s' not found",
                         ps ? ps : "");
                if (reply) s_error(c, msg);
                goto cleanup;
            }
            want |= 1u << a;
        }
    }
    unsigned bit = s_chan[ci].bit, had[MX_ASSETS];
    for (int a = 0; a < MX_ASSETS; a++) {
        had[a] = c->asubs[a] & bit;
        if (!(want & (1u << a))) continue;
        if (sub) c->asubs[a] |= bit;
        else c->asubs[a] &= ~bit;
    }
    if (sub) c->subs |= bit;
    else if (s_chan[ci].needs_product) {
        c->subs &= ~bit;
        for (int a = 0; a < MX_ASSETS; a++)
            if (c->asubs[a] & bit) c->subs |= bit; /* another product still has it */
    } else
        c->subs &= ~bit;
    if (!reply) goto cleanup;
    s_ack(c);
    if (!mx.world || !sub) goto cleanup;
    for (int a = 0; a < MX_ASSETS; a++) {
        if (!(want & (1u << a))) continue;
        if (bit == CB_L2) s_snapshot(c, a);
        else if (bit == CB_TRADES && !had[a]) s_trades_snapshot(c, a);
        else if (bit == CB_TICKER) s_ticker(c, a, "snapshot");
    }
cleanup:
    json_decref(j);
}

static int cb_is_subscribe(const char *s, size_t n)
{
    (void)n;
    return strstr(s, "\"subscribe\"") != NULL;
}

static int cb_world_msg(mx_conn_t *c)
{
    int a = mx_conn_next_asset(c, CB_L2 | CB_TRADES | CB_TICKER);
    if (a < 0) return 0;
    mx_vbook_t *b = s_book(c, a);
    unsigned subs = c->asubs[a];
    if (!(subs & CB_L2)) b->track = 0;
    if (c->fault == MX_F_GARBAGE) {
        c->fault = 0;
        mx_send_garbage(c, "{\"channel\":\"l2_data\",");
        return 1;
    }
    if (c->fault == MX_F_BADSUM) c->fault = 0; /* no checksum on this venue */
    char ts[48];
    mx_iso_us(mx_now_ns(), ts, sizeof ts);
    if (c->tk_pending && (subs & CB_TICKER)) {
        c->tk_pending = 0;
        s_ticker(c, a, "update");
        return 1;
    }
    double r = mx_urand(&c->rng);
    if ((subs & CB_TRADES) && (r < 0.1 || !(subs & CB_L2))) {
        int64_t px, qty;
        int buy = mx_vbook_trade(b, &c->rng, &px, &qty);
        s_env(c, "market_trades");
        jw_obj(&s_w);
        jw_kstr(&s_w, "type", "update");
        jw_key(&s_w, "trades");
        jw_arr(&s_w);
        s_trade_obj(c, a, ++c->trade_id, buy, px, qty, ts);
        jw_arr_end(&s_w);
        jw_obj_end(&s_w);
        s_env_end(c);
        c->tk_pending = 1;
        return 1;
    }
    if (!(subs & CB_L2)) {
        c->tk_pending = 1;
        s_ticker(c, a, "update");
        return 1;
    }
    for (int tries = 0; b->nchg == 0 && tries < 8; tries++) mx_vbook_step(b, &c->rng);
    s_env(c, "l2_data");
    jw_obj(&s_w);
    jw_kstr(&s_w, "type", "update");
    jw_kstr(&s_w, "product_id", s_product(a));
    jw_key(&s_w, "updates");
    jw_arr(&s_w);
    for (int i = 0; i < b->nchg; i++) s_level(b, b->chg[i].side, b->chg[i].px, b->chg[i].qty, ts);
    jw_arr_end(&s_w);
    jw_obj_end(&s_w);
    s_env_end(c);
    b->nchg = 0;
    return 1;
}

static void cb_heartbeat(mx_conn_t *c)
{
    if (!(c->subs & CB_HB)) return;
    int64_t now = mx_now_ns();
    char ts[96], iso[48];
    mx_iso_ns(now, iso, sizeof iso);
    /* "2023-06-23 20:31:56.121961769 +0000 UTC m=+91717.525857105" */
    snprintf(ts, sizeof ts, "%.10s %.18s +0000 UTC m=+%.9f", iso, iso + 11,
             (double)(now - mx.start_ns) / 1e9);
    s_env(c, "heartbeats");
    jw_obj(&s_w);
    jw_kstr(&s_w, "current_time", ts);
    jw_kint(&s_w, "heartbeat_counter", ++c->hb_counter);
    jw_obj_end(&s_w);
    s_env_end(c);
}

const mx_venue_ops_t mx_coinbase_ops = {
    .text = cb_text,
    .world_msg = cb_world_msg,
    .heartbeat = cb_heartbeat,
    .is_subscribe = cb_is_subscribe,
};
