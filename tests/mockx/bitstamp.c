/* bitstamp: Bitstamp WebSocket v2 as mockx serves it: bts:subscribe acks and
 * errors, order_book_btcusd (a full top-100 book in every message),
 * diff_order_book_btcusd, live_trades_btcusd, and the bts:heartbeat reply. */
#include "mx.h"
#include "mx_world.h"

#include "clock.h"
#include "util.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

enum { BS_BOOK = 1, BS_TRADES = 2, BS_DIFF = 4 };
static const struct {
    const char *name;
    unsigned bit;
} s_chan[] = {{"order_book_btcusd", BS_BOOK},
              {"live_trades_btcusd", BS_TRADES},
              {"diff_order_book_btcusd", BS_DIFF}};

static jw_t s_w;

static jw_t *s_begin(void)
{
    if (!s_w.buf) jw_init(&s_w, 1 << 15);
    jw_reset(&s_w);
    return &s_w;
}

static void s_event(mx_conn_t *c, const char *event, const char *channel, const char *msg)
{
    jw_t *w = s_begin();
    jw_obj(w);
    jw_kstr(w, "event", event);
    jw_kstr(w, "channel", channel);
    jw_key(w, "data");
    jw_obj(w);
    if (!strcmp(event, "bts:error")) {
        jw_knull(w, "code");
        jw_kstr(w, "message", msg);
    } else if (!strcmp(event, "bts:heartbeat")) {
        jw_kstr(w, "status", "success");
    }
    jw_obj_end(w);
    jw_obj_end(w);
    mx_send_jw(c, w);
}

static void s_ts(jw_t *w, int64_t ns)
{
    char b[32];
    snprintf(b, sizeof b, "%lld", (long long)(ns / NS_PER_S));
    jw_kstr(w, "timestamp", b);
    snprintf(b, sizeof b, "%lld", (long long)(ns / 1000));
    jw_kstr(w, "microtimestamp", b);
}

static void s_pairs(jw_t *w, const char *key, const mx_lvl_t *l, int n, const mx_vbook_t *b)
{
    char p[48], q[48];
    jw_key(w, key);
    jw_arr(w);
    for (int i = 0; i < n; i++) {
        jw_arr(w);
        jw_str(w, mx_fix(p, l[i].px, b->ps));
        jw_str(w, mx_fix(q, l[i].qty, b->qs));
        jw_arr_end(w);
    }
    jw_arr_end(w);
}

static void s_book(mx_conn_t *c)
{
    mx_vbook_t *b = c->book;
    jw_t *w = s_begin();
    jw_obj(w);
    jw_key(w, "data");
    jw_obj(w);
    s_ts(w, mx_now_ns());
    s_pairs(w, "bids", b->side[0], b->n[0] < 100 ? b->n[0] : 100, b);
    s_pairs(w, "asks", b->side[1], b->n[1] < 100 ? b->n[1] : 100, b);
    jw_obj_end(w);
    jw_kstr(w, "channel", "order_book_btcusd");
    jw_kstr(w, "event", "data");
    jw_obj_end(w);
    mx_send_jw(c, w);
}

static void s_diff(mx_conn_t *c)
{
    mx_vbook_t *b = c->book;
    mx_lvl_t l[2][256];
    int n[2] = {0, 0};
    for (int i = 0; i < b->nchg; i++) {
        int s = b->chg[i].side;
        l[s][n[s]++] = (mx_lvl_t){b->chg[i].px, b->chg[i].qty};
    }
    b->nchg = 0;
    jw_t *w = s_begin();
    jw_obj(w);
    jw_key(w, "data");
    jw_obj(w);
    s_ts(w, mx_now_ns());
    s_pairs(w, "bids", l[0], n[0], b);
    s_pairs(w, "asks", l[1], n[1], b);
    jw_obj_end(w);
    jw_kstr(w, "channel", "diff_order_book_btcusd");
    jw_kstr(w, "event", "data");
    jw_obj_end(w);
    mx_send_jw(c, w);
}

static void s_ensure_book(mx_conn_t *c)
{
    if (!c->book) {
        c->book = mx_vbook_new(MX_BITSTAMP, &c->rng);
        c->trade_id = 389012340 + (int64_t)(mx_rand(&c->rng) % 100000);
    }
}

static void bs_text(mx_conn_t *c, const char *s, size_t n)
{
    json_t *j = json_loadb(s, n, 0, NULL);
    const char *ev = json_string_value(json_object_get(j, "event"));
    int reply = !(c->script && c->script->owns_acks);
    if (!json_is_object(j) || !ev) {
        s_event(c, "bts:error", "", "Incorrect JSON format.");
        goto cleanup;
    }
    if (!strcmp(ev, "bts:heartbeat")) {
        s_event(c, "bts:heartbeat", "", NULL);
        goto cleanup;
    }
    int sub = !strcmp(ev, "bts:subscribe"), unsub = !strcmp(ev, "bts:unsubscribe");
    if (!sub && !unsub) {
        if (reply) s_event(c, "bts:error", "", "Bad event.");
        goto cleanup;
    }
    const char *chan = json_string_value(json_object_get(json_object_get(j, "data"), "channel"));
    size_t i;
    for (i = 0; i < ARRAY_LEN(s_chan); i++)
        if (chan && !strcmp(chan, s_chan[i].name)) break;
    if (i == ARRAY_LEN(s_chan)) {
        if (reply) s_event(c, "bts:error", "", "Bad subscription string.");
        goto cleanup;
    }
    if (sub) c->subs |= s_chan[i].bit;
    else c->subs &= ~s_chan[i].bit;
    if (!reply) goto cleanup;
    s_event(c, sub ? "bts:subscription_succeeded" : "bts:unsubscription_succeeded", chan, NULL);
    if (mx.world && sub) {
        s_ensure_book(c);
        if (s_chan[i].bit == BS_BOOK) s_book(c);
        if (s_chan[i].bit == BS_DIFF) {
            c->book->nchg = 0;
            c->book->track = 1;
        }
    }
cleanup:
    json_decref(j);
}

static int bs_is_subscribe(const char *s, size_t n)
{
    (void)n;
    return strstr(s, "\"bts:subscribe\"") != NULL;
}

static int bs_world_msg(mx_conn_t *c)
{
    if (!(c->subs & (BS_BOOK | BS_TRADES | BS_DIFF))) return 0;
    s_ensure_book(c);
    mx_vbook_t *b = c->book;
    b->track = (c->subs & BS_DIFF) != 0;
    if (c->fault == MX_F_GARBAGE) {
        c->fault = 0;
        mx_send_garbage(c, "{\"data\":{\"timestamp\":\"1\",");
        return 1;
    }
    if (c->fault == MX_F_BADSUM) c->fault = 0;
    double r = mx_urand(&c->rng);
    if ((c->subs & BS_TRADES) && (r < 0.12 || !(c->subs & (BS_BOOK | BS_DIFF)))) {
        int64_t px, qty;
        int buy = mx_vbook_trade(b, &c->rng, &px, &qty);
        if (c->fault == MX_F_GAP) {
            c->fault = 0;
            c->trade_id++; /* a trade id never seen */
        }
        int64_t id = ++c->trade_id, now = mx_now_ns();
        char p[48], q[48];
        jw_t *w = s_begin();
        jw_obj(w);
        jw_key(w, "data");
        jw_obj(w);
        jw_kint(w, "id", id);
        jw_kstr(w, "timestamp", (snprintf(p, sizeof p, "%lld", (long long)(now / NS_PER_S)), p));
        jw_kfixed(w, "amount", qty, b->qs, 1);
        jw_kstr(w, "amount_str", mx_fix(q, qty, b->qs));
        jw_kfixed(w, "price", px, b->ps, 0);
        jw_kstr(w, "price_str", mx_fix(p, px, b->ps));
        jw_kint(w, "type", buy ? 0 : 1);
        snprintf(p, sizeof p, "%lld", (long long)(now / 1000));
        jw_kstr(w, "microtimestamp", p);
        /* the taker's order is the newer one (larger id), as on the venue */
        jw_kint(w, "buy_order_id", 1830000000000000LL + id * 3 + (buy ? 1 : 0));
        jw_kint(w, "sell_order_id", 1830000000000000LL + id * 3 + (buy ? 0 : 1));
        jw_obj_end(w);
        jw_kstr(w, "channel", "live_trades_btcusd");
        jw_kstr(w, "event", "trade");
        jw_obj_end(w);
        mx_send_jw(c, w);
        return 1;
    }
    mx_vbook_step(b, &c->rng);
    if (c->subs & BS_BOOK) s_book(c);
    if (c->subs & BS_DIFF) s_diff(c);
    return 1;
}

const mx_venue_ops_t mx_bitstamp_ops = {
    .text = bs_text,
    .world_msg = bs_world_msg,
    .is_subscribe = bs_is_subscribe,
};
