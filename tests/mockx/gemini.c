/* gemini: Gemini market data v2 (wss://api.gemini.com/v2/marketdata) as mockx
 * serves it: {"type":"subscribe","subscriptions":[{"name":"l2","symbols":["BTCUSD","ETHUSD"]}]}
 * (BTCUSD, ETHUSD, SOLUSD, DOGEUSD: every asset of the world, each its own book)
 * acknowledged by nothing; the first l2_updates of a symbol is its whole book with the last 50
 * trades ("trades") and "auction_events", later ones absolute levels ("0" deletes),
 * trade messages with the taker's side, a heartbeat every 5 s. No sequence number and
 * no checksum, as on the venue (docs/FEEDS.md; the live capture in
 * tests/fixtures/live/gemini_v2_btcgbp_cryptofeed.jsonl gives the shapes). */
#include "mx.h"
#include "mx_world.h"

#include "clock.h"
#include "util.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

/* "ETHUSD" */
static const char *s_sym(int a)
{
    static char p[MX_ASSETS][16];
    snprintf(p[a], sizeof p[a], "%sUSD", mx_asset_name(a));
    return p[a];
}
#define GM_PAST_TRADES 50 /* in the first l2_updates, newest first */
#define GM_HB_EVERY 5     /* seconds between heartbeats */

enum { GM_L2 = 1 };

/* {"result":"error","reason":REASON}: the form the feed reads (NoValidTradingPairs); the
 * other reasons are mockx's own */
static void s_error(mx_conn_t *c, const char *reason)
{
    jw_t *w = mx_jw();
    jw_obj(w);
    jw_kstr(w, "result", "error");
    jw_kstr(w, "reason", reason);
    jw_obj_end(w);
    mx_send_jw(c, w);
}

/* Asset A's book; BTC's is made first, then the trade ids are drawn (as before assets) */
static mx_vbook_t *s_vbook(mx_conn_t *c, int a)
{
    if (!c->book) {
        mx_conn_book(c, MX_GEMINI, 0);
        c->trade_id = 45465309641 + (int64_t)(mx_rand(&c->rng) % 1000000);
    }
    return mx_conn_book(c, MX_GEMINI, a);
}

/* ["buy"|"sell", price, quantity]: prices at 2 decimals, quantities without trailing
 * zeros ("0.04", "3"), as the live frames print them */
static void s_change(jw_t *w, const mx_vbook_t *b, int side, int64_t px, int64_t qty)
{
    char t[48];
    jw_arr(w);
    jw_str(w, side ? "sell" : "buy");
    jw_str(w, mx_fix(t, px, b->ps));
    jw_str(w, mx_fix_trim(t, qty, b->qs));
    jw_arr_end(w);
}

static void s_trade_obj(jw_t *w, int a, const mx_vbook_t *b, int64_t id, int64_t ms, int64_t px,
                        int64_t qty, int taker_buy)
{
    char t[48];
    jw_obj(w);
    jw_kstr(w, "type", "trade");
    jw_kstr(w, "symbol", s_sym(a));
    jw_kint(w, "event_id", id);
    jw_kint(w, "timestamp", ms);
    jw_kstr(w, "price", mx_fix(t, px, b->ps));
    jw_kstr(w, "quantity", mx_fix_trim(t, qty, b->qs));
    jw_kstr(w, "side", taker_buy ? "buy" : "sell"); /* the taker's side */
    jw_obj_end(w);
}

static jw_t *s_l2_begin(int a)
{
    jw_t *w = mx_jw();
    jw_obj(w);
    jw_kstr(w, "type", "l2_updates");
    jw_kstr(w, "symbol", s_sym(a));
    jw_key(w, "changes");
    jw_arr(w);
    return w;
}

/* The whole book, the recent trades and the (empty) auction events: what every
 * subscribe to l2 brings, the first message of a connection. */
static void s_snapshot(mx_conn_t *c, int a)
{
    mx_vbook_t *b = s_vbook(c, a);
    jw_t *w = s_l2_begin(a);
    for (int s = 0; s < 2; s++)
        for (int i = 0; i < b->n[s]; i++) s_change(w, b, s, b->side[s][i].px, b->side[s][i].qty);
    jw_arr_end(w);
    jw_key(w, "trades");
    jw_arr(w);
    int64_t ms = mx_now_ns() / NS_PER_MS;
    for (int i = 0; i < GM_PAST_TRADES; i++)
        s_trade_obj(w, a, b, c->trade_id - 2 * i, ms - 1000 * (i + 1), b->last_px + (i % 3) - 1,
                    b->last_qty, i & 1);
    jw_arr_end(w);
    jw_key(w, "auction_events");
    jw_arr(w);
    jw_arr_end(w);
    jw_obj_end(w);
    mx_send_jw(c, w);
    b->nchg = 0;
    b->track = 1;
}

/* One subscriptions entry: {"name":"l2","symbols":["BTCUSD",..]}; the assets it names (a
 * bit each), 0 if it is not such an entry (the error sent). */
static unsigned s_sub_ok(mx_conn_t *c, json_t *e)
{
    const char *name = json_string_value(json_object_get(e, "name"));
    json_t *syms = json_object_get(e, "symbols"), *sv;
    if (!name || strcmp(name, "l2")) {
        s_error(c, "InvalidSubscriptionName");
        return 0;
    }
    size_t i;
    int ok = json_is_array(syms) && json_array_size(syms) > 0;
    unsigned want = 0;
    json_array_foreach(syms, i, sv)
    {
        const char *sym = json_string_value(sv);
        int a = sym ? mx_sym_asset(sym, "") : -1;
        if (a < 0 || strcmp(sym, s_sym(a))) ok = 0;
        else want |= 1u << a;
    }
    if (!ok) s_error(c, "NoValidTradingPairs");
    return ok ? want : 0;
}

static void gm_text(mx_conn_t *c, const char *s, size_t n)
{
    json_t *j = json_loadb(s, n, 0, NULL);
    const char *type = json_string_value(json_object_get(j, "type"));
    json_t *subs = json_object_get(j, "subscriptions"), *e;
    int sub = type && !strcmp(type, "subscribe"), unsub = type && !strcmp(type, "unsubscribe");
    if (!json_is_object(j)) s_error(c, "InvalidJson");
    else if ((!sub && !unsub) || !json_is_array(subs)) s_error(c, "InvalidRequest");
    else {
        size_t i;
        json_array_foreach(subs, i, e)
        {
            unsigned want = s_sub_ok(c, e);
            for (int a = 0; a < MX_ASSETS; a++) {
                if (!(want & (1u << a))) continue;
                if (unsub) {
                    c->asubs[a] &= ~(unsigned)GM_L2;
                    continue;
                }
                c->asubs[a] |= GM_L2;
                /* every subscribe brings the whole book again (script mode: the script's) */
                if (mx.world) s_snapshot(c, a);
            }
            c->subs = 0;
            for (int a = 0; a < MX_ASSETS; a++) c->subs |= c->asubs[a];
        }
    }
    json_decref(j);
}

static int gm_is_subscribe(const char *s, size_t n)
{
    (void)n;
    return strstr(s, "\"subscribe\"") != NULL;
}

static int gm_world_msg(mx_conn_t *c)
{
    int a = mx_conn_next_asset(c, GM_L2);
    if (a < 0) return 0;
    mx_vbook_t *b = s_vbook(c, a);
    if (c->fault == MX_F_GARBAGE) {
        c->fault = 0;
        mx_send_garbage(c, "{\"type\":\"l2_updates\",\"symbol\":\"BTCUSD\",");
        return 1;
    }
    if (c->fault == MX_F_BADSUM) c->fault = 0; /* no checksum on this venue */
    jw_t *w;
    if (mx_urand(&c->rng) < 0.1) {
        /* the trade's change to the touch goes out with the next l2_updates */
        int64_t px, qty;
        int buy = mx_vbook_trade(b, &c->rng, &px, &qty);
        c->trade_id += 1 + (int64_t)(mx_rand(&c->rng) % 40); /* event ids are shared with orders */
        w = mx_jw();
        s_trade_obj(w, a, b, c->trade_id, mx_now_ns() / NS_PER_MS, px, qty, buy);
        mx_send_jw(c, w);
        return 1;
    }
    for (int tries = 0; b->nchg == 0 && tries < 8; tries++) mx_vbook_step(b, &c->rng);
    w = s_l2_begin(a);
    for (int i = 0; i < b->nchg; i++) s_change(w, b, b->chg[i].side, b->chg[i].px, b->chg[i].qty);
    jw_arr_end(w);
    jw_obj_end(w);
    mx_send_jw(c, w);
    b->nchg = 0;
    return 1;
}

/* {"type":"heartbeat","timestamp":MS} every 5 s once subscribed (live: ~5 s apart) */
static void gm_heartbeat(mx_conn_t *c)
{
    if (!c->subs || ++c->hb_counter % GM_HB_EVERY) return;
    jw_t *w = mx_jw();
    jw_obj(w);
    jw_kstr(w, "type", "heartbeat");
    jw_kint(w, "timestamp", mx_now_ns() / NS_PER_MS);
    jw_obj_end(w);
    mx_send_jw(c, w);
}

const mx_venue_ops_t mx_gemini_ops = {
    .text = gm_text,
    .world_msg = gm_world_msg,
    .heartbeat = gm_heartbeat,
    .is_subscribe = gm_is_subscribe,
};
