/* cryptocom: Crypto.com Exchange v1 market data (wss://stream.crypto.com/exchange/v1/market)
 * as mockx serves it: subscribe/unsubscribe of book.<INST>.{10|50} (SNAPSHOT_AND_UPDATE:
 * a `book` snapshot, then `book.update` deltas whose pu is the previous message's u of that
 * instrument, an idle delta u = pu after 5 s without one) and trade.<INST>, for BTC_USD,
 * ETH_USD, SOL_USD and DOGE_USD (every asset of the world); a bare ack per channel; the
 * server's public/heartbeat, which the client must answer with public/respond-heartbeat and
 * the same id or be disconnected. Shapes from the live frames in tests/fixtures/live/. */
#include "mx.h"
#include "mx_world.h"

#include "clock.h"
#include "util.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#define CC_IDLE_NS (5 * NS_PER_S) /* an idle delta after this long without a book message */
#define CC_HB_MISSES 2            /* unanswered heartbeats: closed at the next one's time */

enum { CC_BOOK = 1, CC_TRADE = 2 };

/* "ETH_USD" */
static const char *s_inst(int a)
{
    static char p[MX_ASSETS][16];
    snprintf(p[a], sizeof p[a], "%s_USD", mx_asset_name(a));
    return p[a];
}

/* Asset A's u of its last book message, and that message's time */
static int64_t *s_u(mx_conn_t *c, int a) { return a ? &c->a_u[a] : &c->book_u; }
static int64_t *s_last(mx_conn_t *c, int a) { return a ? &c->a_last_book_ns[a] : &c->last_book_ns; }

/* Asset A's book (BTC's first, as before assets: its draws, then u's and the trade ids) */
static mx_vbook_t *s_vbook(mx_conn_t *c, int a)
{
    if (!c->book) {
        mx_vbook_t *b = mx_conn_book(c, MX_CRYPTOCOM, 0);
        b->view_evict = 1; /* the venue deletes what leaves the channel's depth */
        c->book_u = 338686661310464 + (int64_t)(mx_rand(&c->rng) % 1000000);
        c->trade_id = mx_now_ns() / NS_PER_MS * 1000000 + 850000;
    }
    if (a && !c->ab[a]) {
        mx_conn_book(c, MX_CRYPTOCOM, a)->view_evict = 1;
        c->a_u[a] = 338686661310464 + (int64_t)(mx_rand(&c->rng) % 1000000);
    }
    return mx_conn_book(c, MX_CRYPTOCOM, a);
}

/* A reply to request ID: {"id","method","code"[,"channel"][,"message"]} (the live acks and
 * errors: 40003 "Unknown symbol" with its channel; no channel on an unsubscribe ack). */
static void s_reply(mx_conn_t *c, json_int_t id, const char *method, int code, const char *channel,
                    const char *message)
{
    jw_t *w = mx_jw();
    jw_obj(w);
    jw_kint(w, "id", id);
    jw_kstr(w, "method", method);
    jw_kint(w, "code", code);
    if (channel) jw_kstr(w, "channel", channel);
    if (message) jw_kstr(w, "message", message);
    jw_obj_end(w);
    mx_send_jw(c, w);
}

/* The push envelope: {"id":-1,"method":"subscribe","code":0,"result":{...,"data":[ */
static jw_t *s_push(int a, const char *subscription, const char *channel, int depth)
{
    jw_t *w = mx_jw();
    jw_obj(w);
    jw_kint(w, "id", -1);
    jw_kstr(w, "method", "subscribe");
    jw_kint(w, "code", 0);
    jw_key(w, "result");
    jw_obj(w);
    jw_kstr(w, "instrument_name", s_inst(a));
    jw_kstr(w, "subscription", subscription);
    jw_kstr(w, "channel", channel);
    if (depth) jw_kint(w, "depth", depth);
    jw_key(w, "data");
    jw_arr(w);
    return w;
}

static void s_push_end(mx_conn_t *c, jw_t *w)
{
    jw_arr_end(w);
    jw_obj_end(w);
    jw_obj_end(w);
    mx_send_jw(c, w);
}

/* [price, qty, count] strings of one side; a deletion is ["px","0","0"] */
static void s_levels(jw_t *w, const mx_vbook_t *b, const char *key, const mx_chg_t *l, int n,
                     int side)
{
    char t[48];
    jw_key(w, key);
    jw_arr(w);
    for (int i = 0; i < n; i++) {
        if (l[i].side != side) continue;
        jw_arr(w);
        jw_str(w, mx_fix(t, l[i].px, b->ps));
        jw_str(w, mx_fix(t, l[i].qty, b->qs));
        snprintf(t, sizeof t, "%d", l[i].qty ? 1 + (int)(l[i].px % 7) : 0); /* orders at the level */
        jw_str(w, t);
        jw_arr_end(w);
    }
    jw_arr_end(w);
}

/* t, tt (ms), u[, pu], cs: cs is 0 (its algorithm is not documented; the feed does not read it) */
static void s_book_tail(jw_t *w, int64_t u, int64_t pu, int delta)
{
    int64_t ms = mx_now_ns() / NS_PER_MS;
    jw_kint(w, "t", ms);
    jw_kint(w, "tt", ms - 4);
    jw_kint(w, "u", u);
    if (delta) jw_kint(w, "pu", pu);
    jw_kint(w, "cs", 0);
    jw_obj_end(w);
}

static void s_book_sub(const mx_conn_t *c, int a, char *b, size_t n)
{
    snprintf(b, n, "book.%s.%d", s_inst(a), c->depth);
}

/* The next u of asset A: live steps are 10^4 to 10^6 */
static void s_next_u(mx_conn_t *c, int a)
{
    *s_u(c, a) += 10000 + (int64_t)(mx_rand(&c->rng) % 990000);
}

static void s_snapshot(mx_conn_t *c, int a)
{
    static mx_chg_t all[2 * 1000];
    char sub[64];
    mx_vbook_t *b = s_vbook(c, a);
    mx_vbook_view_reset(b, c->depth);
    int n = 0;
    for (int s = 0; s < 2; s++)
        for (int i = 0; i < b->nview[s]; i++) all[n++] = (mx_chg_t){s, b->view[s][i].px, b->view[s][i].qty};
    s_next_u(c, a);
    s_book_sub(c, a, sub, sizeof sub);
    jw_t *w = s_push(a, sub, "book", c->depth);
    jw_obj(w);
    s_levels(w, b, "asks", all, n, 1);
    s_levels(w, b, "bids", all, n, 0);
    s_book_tail(w, *s_u(c, a), 0, 0);
    s_push_end(c, w);
    *s_last(c, a) = clock_mono_ns();
}

/* A book.update of N changes after the one whose u was PU (an idle delta: n = 0, u = pu). */
static void s_delta(mx_conn_t *c, int a, const mx_chg_t *chg, int n, int64_t pu)
{
    char sub[64];
    mx_vbook_t *b = s_vbook(c, a);
    s_book_sub(c, a, sub, sizeof sub);
    jw_t *w = s_push(a, sub, "book.update", c->depth);
    jw_obj(w);
    jw_key(w, "update");
    jw_obj(w);
    s_levels(w, b, "asks", chg, n, 1);
    s_levels(w, b, "bids", chg, n, 0);
    jw_obj_end(w);
    s_book_tail(w, *s_u(c, a), pu, 1);
    s_push_end(c, w);
    *s_last(c, a) = clock_mono_ns();
}

static void s_trade(mx_conn_t *c, int a)
{
    char t[48], ch[32];
    int64_t px, qty, now = mx_now_ns();
    mx_vbook_t *b = s_vbook(c, a);
    int buy = mx_vbook_trade(b, &c->rng, &px, &qty);
    snprintf(ch, sizeof ch, "trade.%s", s_inst(a));
    jw_t *w = s_push(a, ch, "trade", 0);
    jw_obj(w);
    snprintf(t, sizeof t, "%lld", (long long)++c->trade_id);
    jw_kstr(w, "d", t);
    jw_kint(w, "t", now / NS_PER_MS);
    snprintf(t, sizeof t, "%lld", (long long)now);
    jw_kstr(w, "tn", t);
    jw_kstr(w, "p", mx_fix(t, px, b->ps));
    jw_kstr(w, "q", mx_fix(t, qty, b->qs));
    jw_kstr(w, "s", buy ? "BUY" : "SELL"); /* the taker's side */
    jw_kstr(w, "i", s_inst(a));
    jw_kstr(w, "m", "4611686018731788404");
    jw_obj_end(w);
    s_push_end(c, w);
}

/* One channel of a subscribe/unsubscribe: its bit, asset and (book) depth; 0 if unknown
 * (an instrument not in the world included). */
static unsigned s_channel(const char *ch, int *asset, int *depth)
{
    char inst[24];
    const char *p = !strncmp(ch, "trade.", 6) ? ch + 6 : !strncmp(ch, "book.", 5) ? ch + 5 : NULL;
    if (!p) return 0;
    size_t k = strcspn(p, ".");
    if (k >= sizeof inst) return 0;
    memcpy(inst, p, k);
    inst[k] = 0;
    int a = mx_sym_asset(inst, "_");
    if (a < 0 || strcmp(inst, s_inst(a))) return 0;
    *asset = a;
    if (ch[0] == 't') return p[k] ? 0 : CC_TRADE;
    if (!strcmp(p + k, ".10")) *depth = 10;
    else if (!strcmp(p + k, ".50")) *depth = 50;
    else return 0;
    return CC_BOOK;
}

static void s_subscribe(mx_conn_t *c, json_int_t id, const char *method, json_t *channels, int reply)
{
    int sub = !strcmp(method, "subscribe");
    size_t i;
    json_t *cv;
    if (!json_is_array(channels) || json_array_size(channels) == 0) {
        if (reply) s_reply(c, id, method, 10004, NULL, "BAD_REQUEST");
        return;
    }
    json_array_foreach(channels, i, cv)
    {
        const char *ch = json_string_value(cv);
        int depth = 0, a = 0;
        unsigned bit = ch ? s_channel(ch, &a, &depth) : 0;
        if (!bit) {
            if (reply) s_reply(c, id, method, 40003, ch ? ch : "", "Unknown symbol");
            continue;
        }
        if (!sub) c->asubs[a] &= ~bit;
        else c->asubs[a] |= bit;
        c->subs = 0;
        for (int k = 0; k < MX_ASSETS; k++) c->subs |= c->asubs[k];
        if (!sub) continue;
        if (depth) c->depth = depth;
        if (!reply) continue;
        s_reply(c, id, method, 0, ch, NULL);
        if (mx.world && bit == CC_BOOK) s_snapshot(c, a);
    }
    if (!sub && reply) s_reply(c, id, method, 0, NULL, NULL);
}

static void cc_text(mx_conn_t *c, const char *s, size_t n)
{
    json_t *j = json_loadb(s, n, 0, NULL);
    json_t *jid = json_object_get(j, "id");
    json_int_t id = json_is_integer(jid) ? json_integer_value(jid) : -1;
    const char *method = json_string_value(json_object_get(j, "method"));
    int reply = !(c->script && c->script->owns_acks);
    if (!json_is_object(j) || !method) s_reply(c, id, method ? method : "", 10004, NULL, "BAD_REQUEST");
    else if (!strcmp(method, "public/respond-heartbeat")) {
        /* only the id of the last heartbeat answers it; no reply, as on the venue */
        if (json_is_integer(jid) && id == c->hb_id) c->hb_unanswered = 0;
    } else if (!strcmp(method, "subscribe") || !strcmp(method, "unsubscribe"))
        s_subscribe(c, id, method, json_object_get(json_object_get(j, "params"), "channels"), reply);
    else if (reply)
        s_reply(c, id, method, 10004, NULL, "BAD_REQUEST");
    json_decref(j);
}

static int cc_is_subscribe(const char *s, size_t n)
{
    (void)n;
    return strstr(s, "\"subscribe\"") != NULL;
}

static int cc_world_msg(mx_conn_t *c)
{
    static mx_chg_t chg[2 * 1000];
    int a = mx_conn_next_asset(c, CC_BOOK | CC_TRADE);
    if (a < 0) return 0;
    mx_vbook_t *b = s_vbook(c, a);
    unsigned subs = c->asubs[a];
    if (c->fault == MX_F_GARBAGE) {
        c->fault = 0;
        mx_send_garbage(c, "{\"id\":-1,\"method\":\"subscribe\",\"code\":0,");
        return 1;
    }
    if (c->fault == MX_F_BADSUM) c->fault = 0; /* cs is not checked by anyone */
    if ((subs & CC_TRADE) && (mx_urand(&c->rng) < 0.1 || !(subs & CC_BOOK))) {
        s_trade(c, a);
        return 1;
    }
    if (b->view_depth == 0) mx_vbook_view_reset(b, c->depth);
    int n = mx_vbook_view_step(b, &c->rng, chg, (int)ARRAY_LEN(chg));
    if (!n) return 1;
    int64_t pu = *s_u(c, a);
    s_next_u(c, a);
    if (c->fault == MX_F_GAP) {
        /* applied and numbered but never sent: the next delta's pu is a u the client never saw */
        c->fault = 0;
        return 1;
    }
    s_delta(c, a, chg, n, pu);
    return 1;
}

/* Once a second: the idle delta (u = pu, no levels) after 5 s without a book message, as
 * the venue sends on a quiet book (world mode only, and not while muted). */
static void cc_heartbeat(mx_conn_t *c)
{
    if (!mx.world || c->muted) return;
    for (int a = 0; a < MX_ASSETS; a++)
        if ((c->asubs[a] & CC_BOOK) && (a ? c->ab[a] : c->book) &&
            clock_mono_ns() - *s_last(c, a) >= CC_IDLE_NS)
            s_delta(c, a, NULL, 0, *s_u(c, a));
}

/* public/heartbeat {"id":MS,"method":"public/heartbeat","code":0} every
 * --cryptocom-heartbeat-s; with CC_HB_MISSES still unanswered the connection is closed
 * instead (code 1000, logged `heartbeat_timeout`), as the venue does. Script mode: only
 * once the script has ended or muted, so scripted sequences are never interleaved. */
static void cc_keepalive(mx_conn_t *c)
{
    if (!mx.world && c->sstate != MX_S_MUTE && c->sstate != MX_S_DONE) return;
    if (c->hb_unanswered >= CC_HB_MISSES) {
        mx_log_event(c->venue, c->num, "heartbeat_timeout");
        mx_close(c, LWS_CLOSE_STATUS_NORMAL, "heartbeat not answered");
        return;
    }
    int64_t id = mx_now_ns() / NS_PER_MS;
    c->hb_id = id > c->hb_id ? id : c->hb_id + 1;
    c->hb_unanswered++;
    char m[96];
    int k = snprintf(m, sizeof m, "{\"id\":%lld,\"method\":\"public/heartbeat\",\"code\":0}",
                     (long long)c->hb_id);
    mx_send(c, m, (size_t)k);
}

const mx_venue_ops_t mx_cryptocom_ops = {
    .text = cc_text,
    .world_msg = cc_world_msg,
    .heartbeat = cc_heartbeat,
    .is_subscribe = cc_is_subscribe,
    .keepalive = cc_keepalive,
    .keepalive_s = &mx.cryptocom_hb_s,
};
