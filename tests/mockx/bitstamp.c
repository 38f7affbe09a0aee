/* bitstamp: Bitstamp WebSocket v2 as mockx serves it: bts:subscribe acks and
 * errors, per pair (btcusd, ethusd, solusd, dogeusd: every asset of the world)
 * order_book_<pair> (a full top-100 book in every message),
 * diff_order_book_<pair>, live_trades_<pair>, and the bts:heartbeat reply; and
 * the REST order book (GET /api/v2/order_book/<pair>/), which keeps moving
 * while a connection is muted. */
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
} s_chan[] = {{"order_book_", BS_BOOK}, {"live_trades_", BS_TRADES}, {"diff_order_book_", BS_DIFF}};

/* "order_book_" + "ethusd" */
static const char *s_chan_name(const char *prefix, int a)
{
    static char p[64];
    size_t k = (size_t)snprintf(p, sizeof p, "%s", prefix);
    for (const char *q = mx_asset_name(a); *q && k + 4 < sizeof p; q++)
        p[k++] = (char)(*q >= 'A' && *q <= 'Z' ? *q - 'A' + 'a' : *q);
    snprintf(p + k, sizeof p - k, "usd");
    return p;
}

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

/* Asset A's book; BTC's is made first, then the trade ids are drawn (as before assets) */
static mx_vbook_t *s_vbook(mx_conn_t *c, int a)
{
    if (!c->book) {
        mx_conn_book(c, MX_BITSTAMP, 0);
        c->trade_id = 389012340 + (int64_t)(mx_rand(&c->rng) % 100000);
    }
    return mx_conn_book(c, MX_BITSTAMP, a);
}

static void s_book(mx_conn_t *c, int a)
{
    mx_vbook_t *b = s_vbook(c, a);
    jw_t *w = s_begin();
    jw_obj(w);
    jw_key(w, "data");
    jw_obj(w);
    s_ts(w, mx_now_ns());
    s_pairs(w, "bids", b->side[0], b->n[0] < 100 ? b->n[0] : 100, b);
    s_pairs(w, "asks", b->side[1], b->n[1] < 100 ? b->n[1] : 100, b);
    jw_obj_end(w);
    jw_kstr(w, "channel", s_chan_name("order_book_", a));
    jw_kstr(w, "event", "data");
    jw_obj_end(w);
    mx_send_jw(c, w);
}

static void s_diff(mx_conn_t *c, int a)
{
    mx_vbook_t *b = s_vbook(c, a);
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
    jw_kstr(w, "channel", s_chan_name("diff_order_book_", a));
    jw_kstr(w, "event", "data");
    jw_obj_end(w);
    mx_send_jw(c, w);
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
    int a = -1;
    for (i = 0; i < ARRAY_LEN(s_chan); i++) {
        size_t k = strlen(s_chan[i].name);
        if (!chan || strncmp(chan, s_chan[i].name, k)) continue;
        a = mx_sym_asset(chan + k, "");
        if (a >= 0 && strcmp(chan, s_chan_name(s_chan[i].name, a))) a = -1; /* lowercase only */
        break;
    }
    if (i == ARRAY_LEN(s_chan) || a < 0) {
        if (reply) s_event(c, "bts:error", "", "Bad subscription string.");
        goto cleanup;
    }
    if (sub) c->asubs[a] |= s_chan[i].bit;
    else c->asubs[a] &= ~s_chan[i].bit;
    c->subs = 0;
    for (int k = 0; k < MX_ASSETS; k++) c->subs |= c->asubs[k];
    if (!reply) goto cleanup;
    s_event(c, sub ? "bts:subscription_succeeded" : "bts:unsubscription_succeeded", chan, NULL);
    if (mx.world && sub) {
        mx_vbook_t *b = s_vbook(c, a);
        if (s_chan[i].bit == BS_BOOK) s_book(c, a);
        if (s_chan[i].bit == BS_DIFF) {
            b->nchg = 0;
            b->track = 1;
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
    int a = mx_conn_next_asset(c, BS_BOOK | BS_TRADES | BS_DIFF);
    if (a < 0) return 0;
    mx_vbook_t *b = s_vbook(c, a);
    unsigned subs = c->asubs[a];
    b->track = (subs & BS_DIFF) != 0;
    if (c->fault == MX_F_GARBAGE) {
        c->fault = 0;
        mx_send_garbage(c, "{\"data\":{\"timestamp\":\"1\",");
        return 1;
    }
    if (c->fault == MX_F_BADSUM) c->fault = 0;
    double r = mx_urand(&c->rng);
    if ((subs & BS_TRADES) && (r < 0.12 || !(subs & (BS_BOOK | BS_DIFF)))) {
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
        jw_kstr(w, "channel", s_chan_name("live_trades_", a));
        jw_kstr(w, "event", "trade");
        jw_obj_end(w);
        mx_send_jw(c, w);
        /* the trade took liquidity at the touch: the book channels show the change, as
         * the venue's do (and as its REST book does at once) */
        if (subs & BS_BOOK) s_book(c, a);
        if (subs & BS_DIFF) s_diff(c, a);
        return 1;
    }
    mx_vbook_step(b, &c->rng);
    if (subs & BS_BOOK) s_book(c, a);
    if (subs & BS_DIFF) s_diff(c, a);
    return 1;
}

/* Muted: the order book moves on as it would have (trades aside), unseen on the socket. */
static void bs_world_muted(mx_conn_t *c)
{
    int a = mx_conn_next_asset(c, BS_BOOK | BS_DIFF);
    if (a < 0) return;
    mx_vbook_t *b = s_vbook(c, a);
    b->track = 0;
    mx_vbook_step(b, &c->rng);
}

int mx_bitstamp_rest(const char *path, char **body, size_t *len)
{
    static const char pre[] = "/api/v2/order_book/";
    size_t k = sizeof pre - 1, n = strlen(path);
    if (strncmp(path, pre, k)) return 404;
    char pair[24];
    size_t pl = n - k - (n > k && path[n - 1] == '/');
    if (n <= k || pl >= sizeof pair) return 404;
    memcpy(pair, path + k, pl);
    pair[pl] = 0;
    int a = mx_sym_asset(pair, "");
    if (a < 0 || strcmp(pair, s_chan_name("", a))) return 404;
    /* the venue's book: that of the newest connection that has one for the pair */
    mx_conn_t *best = NULL;
    for (mx_conn_t *c = mx_conns; c; c = c->next)
        if (c->venue == MX_BITSTAMP && !c->closing && (c->asubs[a] & (BS_BOOK | BS_DIFF)) &&
            (!best || c->num > best->num))
            best = c;
    if (!best) {
        *body = xstrdup("{\"status\":\"error\",\"reason\":\"no book yet\",\"code\":\"API0021\"}");
        *len = strlen(*body);
        return 503;
    }
    mx_vbook_t *b = s_vbook(best, a);
    jw_t *w = s_begin();
    jw_obj(w);
    s_ts(w, mx_now_ns());
    s_pairs(w, "bids", b->side[0], b->n[0], b);
    s_pairs(w, "asks", b->side[1], b->n[1], b);
    jw_obj_end(w);
    *body = xstrndup(w->buf, w->len);
    *len = w->len;
    return 200;
}

const mx_venue_ops_t mx_bitstamp_ops = {
    .text = bs_text,
    .world_msg = bs_world_msg,
    .world_muted = bs_world_muted,
    .is_subscribe = bs_is_subscribe,
};
