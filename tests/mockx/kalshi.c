/* kalshi: Kalshi's Trade API as mockx serves it. The WS upgrade at
 * /trade-api/ws/v2 checks the KALSHI-ACCESS-* signature (RSA-PSS SHA-256,
 * salt 32) and answers 401 otherwise; the command set (subscribe, unsubscribe,
 * update_subscription, list_subscriptions) with the documented replies and
 * error codes; and, in world mode, a series per asset of the world (KXBTC15M,
 * KXETH15M, KXSOL15M, KXDOGE15M) whose markets roll every --window-s with
 * lifecycle frames and moving yes/no books, and cfbenchmarks_value relaying each
 * asset's index (BRTI, ETHUSD_RTI, ...) once a second, with indexlist. */
#include "mx.h"
#include "mx_world.h"

#include "clock.h"
#include "log.h"
#include "util.h"

#include <ctype.h>
#include <jansson.h>
#include <math.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- channels and subscriptions ---- */

enum { K_BOOK, K_TICKER, K_TRADE, K_LIFE, K_CFB, K_OTHER };
static const struct {
    const char *name;
    int ch, has_seq, needs_market;
} s_chan[] = {
    {"orderbook_delta", K_BOOK, 1, 1},     {"ticker", K_TICKER, 0, 0},
    {"trade", K_TRADE, 1, 0},              {"market_lifecycle_v2", K_LIFE, 1, 0},
    {"cfbenchmarks_value", K_CFB, 1, 0},   {"cfbenchmarks_value_5hz", K_OTHER, 0, 0},
    {"fill", K_OTHER, 0, 0},               {"market_positions", K_OTHER, 0, 0},
    {"communications", K_OTHER, 0, 0},     {"order_group_updates", K_OTHER, 0, 0},
    {"user_orders", K_OTHER, 0, 0},        {"multivariate_market_lifecycle", K_OTHER, 1, 0},
};

typedef struct {
    int sid, ci; /* index into s_chan */
    int64_t seq;
    strlist_t tickers; /* empty = all markets */
    int dead;
} ksub_t;

struct mx_kalshi_conn {
    ksub_t subs[64];
    int nsubs, next_sid;
};

/* ---- markets (world mode) ---- */

enum { M_INIT, M_ACTIVE, M_CLOSED, M_DETERMINED, M_FINALIZED };
static const char *const s_mstatus[] = {"initialized", "active", "closed", "determined",
                                        "finalized"};

typedef struct {
    int64_t px, sz; /* 1e-4 $, 1e-2 contracts */
} klvl_t;

typedef struct {
    char ticker[48], event[40], id[40];
    int asset; /* of the world (mx_world.h): its series, index and price */
    int64_t open_s, close_s, created_ns, updated_ns, settled_ns;
    int status;
    double strike, expv;
    int has_strike, result; /* result: 1 yes 0 no */
    klvl_t lv[2][64];       /* [0] yes bids, [1] no bids, ascending price */
    int n[2];
    int64_t last_px, last_sz, volume, oi;
    int64_t prev_yes_bid, prev_yes_ask;
} kmkt_t;

#define KMAX 96
static kmkt_t s_m[KMAX];
static int s_nm;
static uint64_t s_rng[MX_ASSETS]; /* one stream per series: BTC's is the one it always had */

/* Asset A's series ticker ("KXBTC15M") and index id ("BRTI", "ETHUSD_RTI"). */
static const char *s_series(int a)
{
    static char b[MX_ASSETS][24];
    snprintf(b[a], sizeof b[a], "KX%s15M", mx_asset_name(a));
    return b[a];
}

static const char *s_index_id(int a)
{
    static char b[MX_ASSETS][24];
    if (a == 0) return "BRTI";
    snprintf(b[a], sizeof b[a], "%sUSD_RTI", mx_asset_name(a));
    return b[a];
}

static const char *s_title(int a)
{
    static char b[MX_ASSETS][48];
    snprintf(b[a], sizeof b[a], "%s price up in next 15 mins?", mx_asset_name(a));
    return b[a];
}

/* A strike or settlement value of asset A as exact JSON (its index's decimals). */
static void s_kprice(jw_t *w, const char *k, int a, double v)
{
    int d = mx_asset_decimals(a);
    jw_kfixed(w, k, (int64_t)llround(v * pow(10, d)), d, d);
}

static int s_index_find(const char *id)
{
    for (int a = 0; a < MX_ASSETS; a++)
        if (!strcmp(s_index_id(a), id)) return a;
    return -1;
}

/* V rounded to asset A's index decimals (strikes and settlement values are printed so). */
static double s_round_a(int a, double v)
{
    double f = pow(10, mx_asset_decimals(a));
    return round(v * f) / f;
}
static int64_t s_life_seq_unused;
static jw_t s_w;

static jw_t *s_begin(void)
{
    if (!s_w.buf) jw_init(&s_w, 1 << 14);
    jw_reset(&s_w);
    return &s_w;
}

static char *s_dollars(char *b, int64_t v) { return mx_fix(b, v, 4); }
static char *s_fp(char *b, int64_t v) { return mx_fix(b, v, 2); }

/* ---- US Eastern time for tickers (America/New_York rules since 2007) ---- */

static int64_t s_days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* unix time of the Nth Sunday of month M in year Y at HH:00 UTC */
static int64_t s_nth_sunday(int y, int m, int nth, int hour_utc)
{
    int64_t d1 = s_days_from_civil(y, m, 1);
    int wd = (int)((d1 + 4) % 7); /* 1970-01-01 was a Thursday; 0 = Sunday */
    if (wd < 0) wd += 7;
    int64_t first_sun = d1 + (7 - wd) % 7;
    return (first_sun + 7 * (nth - 1)) * 86400 + hour_utc * 3600;
}

static void s_eastern(int64_t t, struct tm *out)
{
    struct tm u;
    time_t tt = (time_t)t;
    gmtime_r(&tt, &u);
    int y = u.tm_year + 1900;
    /* EDT from the 2nd Sunday of March 02:00 EST (07:00Z) to the 1st Sunday of
     * November 02:00 EDT (06:00Z) */
    int64_t start = s_nth_sunday(y, 3, 2, 7), end = s_nth_sunday(y, 11, 1, 6);
    int off = (t >= start && t < end) ? -4 : -5;
    tt = (time_t)(t + off * 3600);
    gmtime_r(&tt, out);
}

static void s_make_ticker(kmkt_t *m)
{
    static const char *const mon[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                      "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
    struct tm e;
    const char *ser = s_series(m->asset);
    s_eastern(m->close_s, &e);
    if (mx.window_s % 60 == 0) {
        snprintf(m->event, sizeof m->event, "%s-%02d%s%02d%02d%02d", ser, e.tm_year % 100,
                 mon[e.tm_mon], e.tm_mday, e.tm_hour, e.tm_min);
        char ev[40];
        memcpy(ev, m->event, sizeof ev);
        snprintf(m->ticker, sizeof m->ticker, "%s-%02d", ev, e.tm_min);
    } else {
        /* sub-minute test windows: seconds added so tickers stay unique */
        snprintf(m->event, sizeof m->event, "%s-%02d%s%02d%02d%02d%02d", ser, e.tm_year % 100,
                 mon[e.tm_mon], e.tm_mday, e.tm_hour, e.tm_min, e.tm_sec);
        char ev[40];
        memcpy(ev, m->event, sizeof ev);
        snprintf(m->ticker, sizeof m->ticker, "%s-%02d%02d", ev, e.tm_min, e.tm_sec);
    }
    uint64_t h = (uint64_t)m->close_s * 0x9E3779B97F4A7C15ull ^ (uint64_t)mx.seed ^
                 (uint64_t)m->asset << 56; /* BTC's ids as they always were */
    uint64_t a = mx_rand(&h), b = mx_rand(&h);
    snprintf(m->id, sizeof m->id, "%08x-%04x-4%03x-%04x-%012llx", (unsigned)(a >> 32),
             (unsigned)(a >> 16) & 0xffff, (unsigned)a & 0xfff,
             0x8000 | ((unsigned)(b >> 48) & 0x3fff), (unsigned long long)(b & 0xffffffffffffull));
}

static kmkt_t *s_find(const char *ticker)
{
    for (int i = 0; i < s_nm; i++)
        if (!strcmp(s_m[i].ticker, ticker)) return &s_m[i];
    return NULL;
}

static kmkt_t *s_active(int asset)
{
    for (int i = 0; i < s_nm; i++)
        if (s_m[i].status == M_ACTIVE && s_m[i].asset == asset) return &s_m[i];
    return NULL;
}

/* ---- sending to subscribers ---- */

static int s_sub_wants(const ksub_t *s, const char *ticker)
{
    if (s->dead) return 0;
    if (s->tickers.n == 0) return 1;
    return ticker && strlist_has(&s->tickers, ticker);
}

#define KQMAX (2u << 20)

/* Start a frame for SUB: {"type":T,"sid":S[,"seq":K][,"id":I],"msg":{ */
static jw_t *s_frame(ksub_t *s, const char *type, long id)
{
    jw_t *w = s_begin();
    jw_obj(w);
    jw_kstr(w, "type", type);
    jw_kint(w, "sid", s->sid);
    if (s_chan[s->ci].has_seq) jw_kint(w, "seq", ++s->seq);
    if (id > 0) jw_kint(w, "id", id);
    jw_key(w, "msg");
    jw_obj(w);
    return w;
}

static void s_frame_end(mx_conn_t *c, jw_t *w)
{
    jw_obj_end(w);
    jw_obj_end(w);
    mx_send_jw(c, w);
}

static void s_error(mx_conn_t *c, long id, int code, const char *msg, const ksub_t *s)
{
    jw_t *w = s_begin();
    jw_obj(w);
    jw_kstr(w, "type", "error");
    if (id > 0) jw_kint(w, "id", id);
    if (s) jw_kint(w, "sid", s->sid);
    jw_key(w, "msg");
    jw_obj(w);
    jw_kint(w, "code", code);
    jw_kstr(w, "msg", msg);
    jw_obj_end(w);
    jw_obj_end(w);
    mx_send_jw(c, w);
}

/* A slow reader loses the subscription with code 25, as on the real service. */
static int s_can_send(mx_conn_t *c, ksub_t *s)
{
    if (c->sstate == MX_S_STALL || c->closing || s->dead) return 0;
    if (c->qbytes > KQMAX) {
        s->dead = 1;
        c->qbytes = 0; /* let the error itself through */
        jw_t *w = s_begin();
        jw_obj(w);
        jw_kstr(w, "type", "error");
        jw_kint(w, "sid", s->sid);
        if (s_chan[s->ci].has_seq) jw_kint(w, "seq", ++s->seq);
        jw_key(w, "msg");
        jw_obj(w);
        jw_kint(w, "code", 25);
        jw_kstr(w, "msg", "Subscription buffer overflow");
        jw_obj_end(w);
        jw_obj_end(w);
        mx_send_jw(c, w);
        return 0;
    }
    return 1;
}

static void s_levels(jw_t *w, const char *key, const kmkt_t *m, int side)
{
    char p[32], q[32];
    if (m->n[side] == 0) return; /* an empty side leaves its key out */
    jw_key(w, key);
    jw_arr(w);
    for (int i = 0; i < m->n[side]; i++) {
        jw_arr(w);
        jw_str(w, s_dollars(p, m->lv[side][i].px));
        jw_str(w, s_fp(q, m->lv[side][i].sz));
        jw_arr_end(w);
    }
    jw_arr_end(w);
}

static void s_send_snapshot(mx_conn_t *c, ksub_t *s, const kmkt_t *m, long id)
{
    if (!s_can_send(c, s)) return;
    jw_t *w = s_frame(s, "orderbook_snapshot", id);
    jw_kstr(w, "market_ticker", m->ticker);
    jw_kstr(w, "market_id", m->id);
    s_levels(w, "yes_dollars_fp", m, 0);
    s_levels(w, "no_dollars_fp", m, 1);
    s_frame_end(c, w);
}

/* best yes bid / yes ask in 1e-4 $ and their sizes */
static void s_top(const kmkt_t *m, int64_t *yb, int64_t *ybs, int64_t *ya, int64_t *yas)
{
    *yb = m->n[0] ? m->lv[0][m->n[0] - 1].px : 0;
    *ybs = m->n[0] ? m->lv[0][m->n[0] - 1].sz : 0;
    *ya = m->n[1] ? 10000 - m->lv[1][m->n[1] - 1].px : 10000;
    *yas = m->n[1] ? m->lv[1][m->n[1] - 1].sz : 0;
}

static void s_send_ticker(mx_conn_t *c, ksub_t *s, const kmkt_t *m)
{
    if (!s_can_send(c, s)) return;
    char b[48];
    int64_t yb, ybs, ya, yas, now = mx_now_ns();
    s_top(m, &yb, &ybs, &ya, &yas);
    jw_t *w = s_frame(s, "ticker", 0);
    jw_kstr(w, "market_id", m->id);
    jw_kstr(w, "market_ticker", m->ticker);
    jw_kstr(w, "price_dollars", s_dollars(b, m->last_px));
    jw_kstr(w, "yes_bid_dollars", s_dollars(b, yb));
    jw_kstr(w, "yes_ask_dollars", s_dollars(b, ya));
    jw_kstr(w, "volume_fp", s_fp(b, m->volume));
    jw_kstr(w, "open_interest_fp", s_fp(b, m->oi));
    jw_kint(w, "dollar_volume", m->volume / 200);
    jw_kint(w, "dollar_open_interest", m->oi / 200);
    jw_kstr(w, "yes_bid_size_fp", s_fp(b, ybs));
    jw_kstr(w, "yes_ask_size_fp", s_fp(b, yas));
    jw_kstr(w, "last_trade_size_fp", s_fp(b, m->last_sz));
    jw_kint(w, "ts", now / NS_PER_S);
    jw_kint(w, "ts_ms", now / NS_PER_MS);
    clock_fmt_iso_ms(now, b, sizeof b);
    jw_kstr(w, "time", b);
    s_frame_end(c, w);
}

/* ---- auth ---- */

static int s_hdr(struct lws *wsi, const char *name, char *dst, int len)
{
    char lname[64];
    size_t n = strlen(name);
    for (size_t i = 0; i <= n; i++) lname[i] = (char)tolower((unsigned char)name[i]);
    int r = lws_hdr_custom_copy(wsi, dst, len, lname, (int)n);
    if (r < 0) r = lws_hdr_custom_copy(wsi, dst, len, name, (int)n);
    return r;
}

static int s_verify(const char *ts, const char *sig_b64)
{
    unsigned char sig[1024];
    size_t bl = strlen(sig_b64);
    if (bl == 0 || bl > 1300 || bl % 4) return 0;
    int sl = EVP_DecodeBlock(sig, (const unsigned char *)sig_b64, (int)bl);
    if (sl < 0) return 0;
    if (bl >= 1 && sig_b64[bl - 1] == '=') sl--;
    if (bl >= 2 && sig_b64[bl - 2] == '=') sl--;
    char msg[128];
    int ml = snprintf(msg, sizeof msg, "%sGET/trade-api/ws/v2", ts);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    int ok = ctx && EVP_DigestVerifyInit(ctx, &pctx, EVP_sha256(), NULL, mx.kalshi_pub) == 1 &&
             EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
             EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 32) == 1 &&
             EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) == 1 &&
             EVP_DigestVerify(ctx, sig, (size_t)sl, (const unsigned char *)msg, (size_t)ml) == 1;
    EVP_MD_CTX_free(ctx);
    return ok;
}

int mx_kalshi_upgrade_ok(struct lws *wsi, int conn)
{
    char uri[256] = "";
    lws_hdr_copy(wsi, uri, sizeof uri, WSI_TOKEN_GET_URI);
    if (strcmp(uri, "/trade-api/ws/v2") != 0) {
        mx_log_http(MX_KALSHI, conn, "GET", uri, NULL, 404, -1);
        lws_return_http_status(wsi, 404, NULL);
        return 0;
    }
    if (!mx.kalshi_pub) {
        mx_log_http(MX_KALSHI, conn, "GET", uri, NULL, 101, -1);
        return 1;
    }
    char key[128] = "", ts[32] = "", sig[1400] = "";
    const char *why = NULL;
    if (s_hdr(wsi, "KALSHI-ACCESS-KEY:", key, sizeof key) <= 0 ||
        s_hdr(wsi, "KALSHI-ACCESS-TIMESTAMP:", ts, sizeof ts) <= 0 ||
        s_hdr(wsi, "KALSHI-ACCESS-SIGNATURE:", sig, sizeof sig) <= 0)
        why = "missing KALSHI-ACCESS-* header";
    if (!why) {
        char *end;
        long long t = strtoll(ts, &end, 10);
        long long now = (long long)(mx_now_ns() / NS_PER_MS);
        if (*end || end == ts) why = "bad timestamp";
        else if (llabs(now - t) > 30000) why = "timestamp skew over 30 s";
        else if (!s_verify(ts, sig)) why = "bad signature";
    }
    mx_log_http(MX_KALSHI, conn, "GET", uri, NULL, why ? 401 : 101, why ? 0 : 1);
    if (why) {
        log_info("kalshi: upgrade refused (401): %s", why);
        lws_return_http_status(wsi, 401, why);
        return 0;
    }
    return 1;
}

/* ---- WS commands ---- */

static ksub_t *s_sub(mx_conn_t *c, long sid)
{
    for (int i = 0; i < c->k->nsubs; i++)
        if (c->k->subs[i].sid == sid) return &c->k->subs[i];
    return NULL;
}

static void s_collect(json_t *params, strlist_t *out)
{
    const char *one = json_string_value(json_object_get(params, "market_ticker"));
    if (one) strlist_add(out, one);
    json_t *arr = json_object_get(params, "market_tickers"), *v;
    size_t i;
    json_array_foreach(arr, i, v) if (json_is_string(v) && !strlist_has(out, json_string_value(v)))
        strlist_add(out, json_string_value(v));
}

/* index_ids of PARAMS into OUT (["all"]: left empty, every index). The first id the world
 * does not relay, or NULL. */
static const char *s_index_ids(json_t *params, strlist_t *out)
{
    json_t *arr = json_object_get(params, "index_ids"), *v;
    size_t i;
    int all = 0;
    json_array_foreach(arr, i, v)
    {
        const char *id = json_string_value(v);
        if (!id) return "(not a string)";
        if (!strcmp(id, "all")) all = 1;
        else if (s_index_find(id) < 0) return id;
        else if (!strlist_has(out, id)) strlist_add(out, id);
    }
    if (all) strlist_clear(out);
    return NULL;
}

/* An unknown index id: Kalshi's error shape, code 11 (Invalid parameter). */
static void s_bad_index(mx_conn_t *c, long id, const char *bad, const ksub_t *s)
{
    char msg[128];
    snprintf(msg, sizeof msg, "Invalid parameter: unknown index id %.60s", bad);
    s_error(c, id, 11, msg, s);
}

static void s_initial(mx_conn_t *c, ksub_t *s, const strlist_t *tickers, long id, int snap_ticker)
{
    if (!mx.world) return;
    for (int i = 0; i < tickers->n; i++) {
        kmkt_t *m = s_find(tickers->v[i]);
        if (!m) continue;
        if (s_chan[s->ci].ch == K_BOOK) s_send_snapshot(c, s, m, id);
        if (s_chan[s->ci].ch == K_TICKER && snap_ticker) s_send_ticker(c, s, m);
    }
}

/* --kalshi-subs shared: the live market-filtered subscription of channel CI. */
static ksub_t *s_sub_chan(mx_conn_t *c, int ci)
{
    for (int i = 0; i < c->k->nsubs; i++)
        if (c->k->subs[i].ci == ci && c->k->subs[i].tickers.n && !c->k->subs[i].dead)
            return &c->k->subs[i];
    return NULL;
}

/* `ok` on S's sid (with seq where the channel has one) listing all its markets. */
static void s_ok_markets(mx_conn_t *c, ksub_t *s, long id)
{
    jw_t *w = s_begin();
    jw_obj(w);
    jw_kstr(w, "type", "ok");
    jw_kint(w, "id", id);
    jw_kint(w, "sid", s->sid);
    if (s_chan[s->ci].has_seq) jw_kint(w, "seq", ++s->seq);
    jw_key(w, "msg");
    jw_obj(w);
    jw_key(w, "market_tickers");
    jw_arr(w);
    for (int i = 0; i < s->tickers.n; i++) jw_str(w, s->tickers.v[i]);
    jw_arr_end(w);
    jw_obj_end(w);
    jw_obj_end(w);
    mx_send_jw(c, w);
}

/* A subscribe that adds TK to the existing subscription S (shared mode):
 * answered like add_markets, with the initial data of the new markets. */
static void s_add_markets(mx_conn_t *c, ksub_t *s, const strlist_t *tk, long id, int snap_ticker)
{
    strlist_t added = {0};
    for (int t = 0; t < tk->n; t++)
        if (!strlist_has(&s->tickers, tk->v[t])) {
            strlist_add(&s->tickers, tk->v[t]);
            strlist_add(&added, tk->v[t]);
        }
    s_ok_markets(c, s, id);
    s_initial(c, s, &added, 0, snap_ticker);
    strlist_clear(&added);
}

static void s_cmd_subscribe(mx_conn_t *c, long id, json_t *params, int reply)
{
    json_t *chans = json_object_get(params, "channels");
    if (!json_is_object(params)) return s_error(c, id, 2, "Params required", NULL);
    if (!json_is_array(chans) || json_array_size(chans) == 0)
        return s_error(c, id, 3, "Channels required", NULL);
    strlist_t tk = {0};
    s_collect(params, &tk);
    size_t i;
    json_t *v;
    int cis[16], n = 0;
    json_array_foreach(chans, i, v)
    {
        const char *name = json_string_value(v);
        size_t k;
        for (k = 0; k < ARRAY_LEN(s_chan); k++)
            if (name && !strcmp(name, s_chan[k].name)) break;
        if (k == ARRAY_LEN(s_chan)) {
            s_error(c, id, 8, "Unknown channel name", NULL);
            goto cleanup;
        }
        if (s_chan[k].needs_market && tk.n == 0) {
            s_error(c, id, 14, "Market Ticker required", NULL);
            goto cleanup;
        }
        if (s_chan[k].ch == K_CFB && !json_is_array(json_object_get(params, "index_ids"))) {
            s_error(c, id, 24, "Index ids required", NULL);
            goto cleanup;
        }
        if (s_chan[k].ch == K_CFB) {
            strlist_t ids = {0};
            const char *bad = s_index_ids(params, &ids);
            if (bad) s_bad_index(c, id, bad, NULL);
            strlist_clear(&ids);
            if (bad) goto cleanup;
        }
        if (n < 16) cis[n++] = (int)k;
    }
    int snap_ticker = json_is_true(json_object_get(params, "send_initial_snapshot"));
    for (int k = 0; k < n; k++) {
        ksub_t *old = mx.kalshi_shared && tk.n ? s_sub_chan(c, cis[k]) : NULL;
        if (old) {
            if (reply) s_add_markets(c, old, &tk, id, snap_ticker);
            else
                for (int t = 0; t < tk.n; t++)
                    if (!strlist_has(&old->tickers, tk.v[t])) strlist_add(&old->tickers, tk.v[t]);
            continue;
        }
        if (c->k->nsubs == (int)ARRAY_LEN(c->k->subs)) {
            s_error(c, id, 26, "Per-subscription market limit exceeded", NULL);
            break;
        }
        ksub_t *s = &c->k->subs[c->k->nsubs++];
        memset(s, 0, sizeof *s);
        s->sid = ++c->k->next_sid;
        s->ci = cis[k];
        if (s_chan[s->ci].ch == K_CFB) s_index_ids(params, &s->tickers); /* ids, none: all */
        else if (s_chan[s->ci].ch != K_LIFE)
            for (int t = 0; t < tk.n; t++) strlist_add(&s->tickers, tk.v[t]);
        if (!reply) continue;
        jw_t *w = s_begin();
        jw_obj(w);
        jw_kstr(w, "type", "subscribed");
        jw_kint(w, "id", id);
        jw_key(w, "msg");
        jw_obj(w);
        jw_kstr(w, "channel", s_chan[s->ci].name);
        jw_kint(w, "sid", s->sid);
        jw_obj_end(w);
        jw_obj_end(w);
        mx_send_jw(c, w);
        s_initial(c, s, &tk, 0, snap_ticker);
    }
cleanup:
    strlist_clear(&tk);
}

static void s_cmd_unsubscribe(mx_conn_t *c, long id, json_t *params)
{
    json_t *sids = json_object_get(params, "sids"), *v;
    if (!json_is_array(sids) || json_array_size(sids) == 0)
        return s_error(c, id, 4, "Sids required", NULL);
    size_t i;
    json_array_foreach(sids, i, v)
    {
        ksub_t *s = s_sub(c, (long)json_integer_value(v));
        if (!s) {
            s_error(c, id, 7, "Unknown subscription ID", NULL);
            continue;
        }
        jw_t *w = s_begin();
        jw_obj(w);
        jw_kstr(w, "type", "unsubscribed");
        jw_kint(w, "id", id);
        jw_kint(w, "sid", s->sid);
        if (s_chan[s->ci].has_seq) jw_kint(w, "seq", ++s->seq);
        jw_obj_end(w);
        mx_send_jw(c, w);
        strlist_clear(&s->tickers);
        int k = (int)(s - c->k->subs);
        memmove(s, s + 1, (size_t)(c->k->nsubs - k - 1) * sizeof *s);
        c->k->nsubs--;
    }
}

/* update_subscription on a cfbenchmarks_value sid: indexlist (the ids relayed, as a
 * cfbenchmarks_value_indexlist frame), subscribe_indices, unsubscribe_indices. */
static void s_update_indices(mx_conn_t *c, long id, ksub_t *s, const char *action,
                             json_t *params)
{
    int add = !strcmp(action, "subscribe_indices"), del = !strcmp(action, "unsubscribe_indices");
    if (!strcmp(action, "indexlist")) {
        jw_t *w = s_frame(s, "cfbenchmarks_value_indexlist", id);
        jw_key(w, "index_ids");
        jw_arr(w);
        for (int a = 0; a < MX_ASSETS; a++) jw_str(w, s_index_id(a));
        jw_arr_end(w);
        s_frame_end(c, w);
        return;
    }
    if (!add && !del) return s_error(c, id, 13, "Unsupported action", s);
    if (!json_is_array(json_object_get(params, "index_ids")))
        return s_error(c, id, 24, "Index ids required", s);
    strlist_t ids = {0};
    const char *bad = s_index_ids(params, &ids);
    if (bad) {
        strlist_clear(&ids);
        return s_bad_index(c, id, bad, s);
    }
    if (add && s->tickers.n && ids.n) {
        for (int i = 0; i < ids.n; i++)
            if (!strlist_has(&s->tickers, ids.v[i])) strlist_add(&s->tickers, ids.v[i]);
    } else if (add) {
        strlist_clear(&s->tickers); /* "all" added, or all already */
    } else {
        strlist_t keep = {0};
        if (!s->tickers.n) /* from "all": every id but those */
            for (int a = 0; a < MX_ASSETS; a++) strlist_add(&s->tickers, s_index_id(a));
        for (int i = 0; i < s->tickers.n; i++)
            if (!strlist_has(&ids, s->tickers.v[i])) strlist_add(&keep, s->tickers.v[i]);
        strlist_clear(&s->tickers);
        s->tickers = keep;
    }
    strlist_clear(&ids);
    jw_t *w = s_begin();
    jw_obj(w);
    jw_kstr(w, "type", "ok");
    jw_kint(w, "id", id);
    jw_kint(w, "sid", s->sid);
    jw_key(w, "msg");
    jw_obj(w);
    jw_obj_end(w);
    jw_obj_end(w);
    mx_send_jw(c, w);
}

static void s_cmd_update(mx_conn_t *c, long id, json_t *params)
{
    if (!json_is_object(params)) return s_error(c, id, 2, "Params required", NULL);
    json_t *sid = json_object_get(params, "sid"), *sids = json_object_get(params, "sids");
    long sv = -1;
    if (sid && !sids && json_is_integer(sid)) sv = (long)json_integer_value(sid);
    else if (!sid && json_is_array(sids) && json_array_size(sids) == 1)
        sv = (long)json_integer_value(json_array_get(sids, 0));
    else return s_error(c, id, 12, "Exactly one subscription ID is required", NULL);
    ksub_t *s = s_sub(c, sv);
    if (!s) return s_error(c, id, 7, "Unknown subscription ID", NULL);
    const char *action = json_string_value(json_object_get(params, "action"));
    if (!action) return s_error(c, id, 15, "Action required", NULL);
    if (s_chan[s->ci].ch == K_CFB) return s_update_indices(c, id, s, action, params);
    int add = !strcmp(action, "add_markets"), del = !strcmp(action, "delete_markets"),
        snap = !strcmp(action, "get_snapshot");
    if (!add && !del && !snap) return s_error(c, id, 13, "Unsupported action", s);
    strlist_t tk = {0};
    s_collect(params, &tk);
    if (tk.n == 0) {
        strlist_clear(&tk);
        return s_error(c, id, 14, "Market Ticker required", s);
    }
    if (snap) {
        if (s_chan[s->ci].ch != K_BOOK) s_error(c, id, 13, "Unsupported action", s);
        else
            for (int i = 0; i < tk.n; i++) {
                kmkt_t *m = mx.world ? s_find(tk.v[i]) : NULL;
                if (m) s_send_snapshot(c, s, m, id);
            }
        strlist_clear(&tk);
        return;
    }
    strlist_t keep = {0};
    if (add) {
        for (int i = 0; i < s->tickers.n; i++) strlist_add(&keep, s->tickers.v[i]);
        for (int i = 0; i < tk.n; i++)
            if (!strlist_has(&keep, tk.v[i])) strlist_add(&keep, tk.v[i]);
    } else {
        for (int i = 0; i < s->tickers.n; i++)
            if (!strlist_has(&tk, s->tickers.v[i])) strlist_add(&keep, s->tickers.v[i]);
    }
    strlist_clear(&s->tickers);
    s->tickers = keep;
    s_ok_markets(c, s, id);
    if (add) s_initial(c, s, &tk, 0, json_is_true(json_object_get(params, "send_initial_snapshot")));
    strlist_clear(&tk);
}

static void s_cmd_list(mx_conn_t *c, long id)
{
    jw_t *w = s_begin();
    jw_obj(w);
    jw_kstr(w, "type", "ok");
    jw_kint(w, "id", id);
    jw_key(w, "msg");
    jw_arr(w);
    for (int i = 0; i < c->k->nsubs; i++) {
        jw_obj(w);
        jw_kstr(w, "channel", s_chan[c->k->subs[i].ci].name);
        jw_kint(w, "sid", c->k->subs[i].sid);
        jw_obj_end(w);
    }
    jw_arr_end(w);
    jw_obj_end(w);
    mx_send_jw(c, w);
}

void mx_kalshi_scripted(mx_conn_t *c, const char *text, size_t len)
{
    json_t *j = json_loadb(text, len, 0, NULL);
    const char *ty = json_string_value(json_object_get(j, "type"));
    if (!ty || strcmp(ty, "error")) {
        json_decref(j);
        return;
    }
    json_t *code = json_object_get(json_object_get(j, "msg"), "code");
    ksub_t *s = s_sub(c, (long)json_integer_value(json_object_get(j, "sid")));
    if (s && (json_integer_value(code) == 25 || json_integer_value(code) == 10)) s->dead = 1;
    json_decref(j);
}

static void k_open(mx_conn_t *c) { c->k = xcalloc(1, sizeof *c->k); }

static void k_close(mx_conn_t *c)
{
    if (!c->k) return;
    for (int i = 0; i < c->k->nsubs; i++) strlist_clear(&c->k->subs[i].tickers);
    free(c->k);
    c->k = NULL;
}

static void k_text(mx_conn_t *c, const char *s, size_t n)
{
    json_t *j = json_loadb(s, n, 0, NULL);
    int reply = !(c->script && c->script->owns_acks);
    if (!json_is_object(j)) {
        if (reply) s_error(c, 0, 1, "Unable to process message", NULL);
        json_decref(j);
        return;
    }
    long id = (long)json_integer_value(json_object_get(j, "id"));
    const char *cmd = json_string_value(json_object_get(j, "cmd"));
    json_t *params = json_object_get(j, "params");
    if (!reply) {
        /* the script answers; still track sids for list/update replies it may not give */
        if (cmd && !strcmp(cmd, "subscribe")) s_cmd_subscribe(c, id, params, 0);
    } else if (!cmd) s_error(c, id, 5, "Unknown command", NULL);
    else if (!strcmp(cmd, "subscribe")) s_cmd_subscribe(c, id, params, 1);
    else if (!strcmp(cmd, "unsubscribe")) s_cmd_unsubscribe(c, id, params);
    else if (!strcmp(cmd, "update_subscription")) s_cmd_update(c, id, params);
    else if (!strcmp(cmd, "list_subscriptions")) s_cmd_list(c, id);
    else s_error(c, id, 5, "Unknown command", NULL);
    json_decref(j);
}

static int k_is_subscribe(const char *s, size_t n)
{
    (void)n;
    return strstr(s, "\"subscribe\"") != NULL;
}

/* Kalshi's own keep-alive: a websocket ping with payload "heartbeat" every --ping-s */
static void k_ping(mx_conn_t *c) { mx_send_ping(c, "heartbeat"); }

const mx_venue_ops_t mx_kalshi_ops = {
    .open = k_open,
    .text = k_text,
    .close = k_close,
    .is_subscribe = k_is_subscribe,
    .keepalive = k_ping,
    .keepalive_s = &mx.ping_s,
};

/* ---- world: markets, books, lifecycle, index ---- */

typedef void (*each_fn)(mx_conn_t *c, ksub_t *s, void *arg);

static void s_each(int ch, const char *ticker, each_fn fn, void *arg)
{
    for (mx_conn_t *c = mx_conns; c; c = c->next) {
        if (c->venue != MX_KALSHI || !c->k || c->closing || c->sstate == MX_S_STALL) continue;
        if (c->muted && ch != K_LIFE) continue; /* mute: market data and the index stop */
        for (int i = 0; i < c->k->nsubs; i++) {
            ksub_t *s = &c->k->subs[i];
            if (s_chan[s->ci].ch == ch && s_sub_wants(s, ticker)) fn(c, s, arg);
        }
    }
}

static void s_grid_next(int64_t *px, int dir)
{
    /* tapered_deci_cent: 0.001 below 0.10 and above 0.90, 0.01 between */
    int64_t p = *px;
    if (dir > 0) p += (p >= 1000 && p < 9000) ? 100 : 10;
    else p -= (p > 1000 && p <= 9000) ? 100 : 10;
    *px = p;
}

static double s_fair(const kmkt_t *m, int64_t now_s)
{
    if (!m->has_strike) return 0.5;
    double left = (double)(m->close_s - now_s);
    if (left < 1) left = 1;
    /* BTC's 8.6 USD per sqrt(s), scaled to the asset's price */
    double scale = m->asset ? mx_latent_a(m->asset) / mx_latent_a(0) : 1;
    double z = (mx_latent_a(m->asset) - m->strike) / (8.6 * scale * sqrt(left));
    double p = 0.5 * erfc(-z / sqrt(2.0));
    return p < 0.02 ? 0.02 : p > 0.98 ? 0.98 : p;
}

typedef struct {
    const kmkt_t *m;
    int side;
    int64_t px, delta;
} delta_arg_t;

static void s_fn_delta(mx_conn_t *c, ksub_t *s, void *arg)
{
    delta_arg_t *a = arg;
    if (!s_can_send(c, s)) return;
    char b[48];
    int64_t now = mx_now_ns();
    if (c->fault == MX_F_GAP) {
        c->fault = 0;
        s->seq++; /* one seq never sent */
    }
    if (c->fault == MX_F_GARBAGE) {
        c->fault = 0;
        mx_send_garbage(c, "{\"type\":\"orderbook_delta\",");
    }
    jw_t *w = s_frame(s, "orderbook_delta", 0);
    jw_kstr(w, "market_ticker", a->m->ticker);
    jw_kstr(w, "market_id", a->m->id);
    jw_kstr(w, "price_dollars", s_dollars(b, a->px));
    jw_kstr(w, "delta_fp", s_fp(b, a->delta));
    jw_kstr(w, "side", a->side ? "no" : "yes");
    clock_fmt_iso_ms(now, b, sizeof b);
    jw_kstr(w, "ts", b);
    jw_kint(w, "ts_ms", now / NS_PER_MS);
    s_frame_end(c, w);
}

/* Change the size at PX on SIDE by DELTA (1e-2 contracts) and tell subscribers. */
static void s_delta(kmkt_t *m, int side, int64_t px, int64_t delta)
{
    klvl_t *l = m->lv[side];
    int n = m->n[side], i = 0;
    while (i < n && l[i].px < px) i++;
    if (i < n && l[i].px == px) {
        if (l[i].sz + delta < 0) delta = -l[i].sz;
        l[i].sz += delta;
        if (l[i].sz == 0) {
            memmove(l + i, l + i + 1, (size_t)(n - i - 1) * sizeof *l);
            m->n[side]--;
        }
    } else {
        if (delta <= 0 || n == (int)ARRAY_LEN(m->lv[0])) return;
        memmove(l + i + 1, l + i, (size_t)(n - i) * sizeof *l);
        l[i] = (klvl_t){px, delta};
        m->n[side]++;
    }
    if (delta == 0) return;
    delta_arg_t a = {m, side, px, delta};
    s_each(K_BOOK, m->ticker, s_fn_delta, &a);
}

static void s_fn_ticker(mx_conn_t *c, ksub_t *s, void *arg) { s_send_ticker(c, s, arg); }

static void s_fn_trade(mx_conn_t *c, ksub_t *s, void *arg)
{
    const kmkt_t *m = arg;
    if (!s_can_send(c, s)) return;
    char b[48];
    int64_t now = mx_now_ns();
    jw_t *w = s_frame(s, "trade", 0);
    uint64_t h = (uint64_t)m->volume ^ (uint64_t)now;
    uint64_t r1 = mx_rand(&h), r2 = mx_rand(&h);
    snprintf(b, sizeof b, "%08x-%04x-4%03x-a%03x-%012llx", (unsigned)(r1 >> 32),
             (unsigned)(r1 & 0xffff), (unsigned)(r1 >> 16) & 0xfff, (unsigned)(r2 >> 52),
             (unsigned long long)(r2 & 0xffffffffffffull));
    jw_kstr(w, "trade_id", b);
    jw_kstr(w, "market_ticker", m->ticker);
    jw_kstr(w, "yes_price_dollars", s_dollars(b, m->last_px));
    jw_kstr(w, "no_price_dollars", s_dollars(b, 10000 - m->last_px));
    jw_kstr(w, "count_fp", s_fp(b, m->last_sz));
    int yes = (int)(h & 1);
    jw_kstr(w, "taker_side", yes ? "yes" : "no");
    jw_kstr(w, "taker_outcome_side", yes ? "yes" : "no");
    jw_kstr(w, "taker_book_side", yes ? "bid" : "ask");
    jw_kbool(w, "is_block_trade", 0);
    jw_kint(w, "ts", now / NS_PER_S);
    jw_kint(w, "ts_ms", now / NS_PER_MS);
    s_frame_end(c, w);
}

static int64_t s_snap(int64_t px)
{
    if (px < 10) return 10;
    if (px > 9990) return 9990;
    return (px > 1000 && px < 9000) ? px / 100 * 100 : px / 10 * 10;
}

/* One step of a market's book toward its fair price. Both ladders are bids:
 * yes bids stay below f and no bids below 1-f, so yes + no < 1 (never crossed). */
static void s_book_step(kmkt_t *m, int64_t now_s)
{
    uint64_t *rng = &s_rng[m->asset];
    double f = s_fair(m, now_s);
    int64_t fair = (int64_t)llround(f * 10000);
    for (int side = 0; side < 2; side++) {
        int64_t sf = side ? 10000 - fair : fair;
        int n = m->n[side];
        if (n && m->lv[side][n - 1].px >= sf) {
            s_delta(m, side, m->lv[side][n - 1].px, -m->lv[side][n - 1].sz);
            return;
        }
    }
    int side = (int)(mx_rand(rng) & 1);
    klvl_t *l = m->lv[side];
    int n = m->n[side];
    int64_t sf = side ? 10000 - fair : fair;
    int64_t other = m->n[!side] ? m->lv[!side][m->n[!side] - 1].px : 0;
    int64_t cap = sf < 10000 - other ? sf : 10000 - other; /* exclusive */
    double r = mx_urand(rng);
    int64_t best = n ? l[n - 1].px : 0;
    if (n < 6 || (r < 0.25 && best < cap - 300)) {
        int64_t px = n ? best : cap - 200;
        s_grid_next(&px, n ? 1 : -1);
        px = s_snap(px);
        while (px >= cap && px > 10) {
            s_grid_next(&px, -1);
            px = s_snap(px);
        }
        if (px >= cap) return;
        s_delta(m, side, px, (int64_t)(100 * (50 + mx_urand(rng) * 2000)));
        return;
    }
    if (n > 12 && r < 0.35) { /* trim the far end */
        s_delta(m, side, l[0].px, -l[0].sz);
        return;
    }
    int i = n - 1 - (int)(mx_urand(rng) * (n < 5 ? n : 5));
    int64_t d = (int64_t)(100 * (mx_urand(rng) * 600 - 250));
    if (d == 0) d = 100;
    s_delta(m, side, l[i].px, d);
}

static void s_trade(kmkt_t *m)
{
    uint64_t *rng = &s_rng[m->asset];
    int64_t yb, ybs, ya, yas;
    s_top(m, &yb, &ybs, &ya, &yas);
    int buy_yes = (int)(mx_rand(rng) & 1);
    int side = buy_yes ? 1 : 0; /* buying yes takes the best no bid */
    if (!m->n[side]) return;
    klvl_t *top = &m->lv[side][m->n[side] - 1];
    int64_t sz = (int64_t)(mx_urand(rng) * (double)top->sz * 0.3) / 100 * 100;
    if (sz < 100) sz = top->sz < 100 ? top->sz : 100;
    m->last_px = buy_yes ? ya : yb;
    m->last_sz = sz;
    m->volume += sz;
    m->oi += sz / 2;
    s_each(K_TRADE, m->ticker, s_fn_trade, m);
    s_delta(m, side, top->px, -sz);
}

static void s_life(const kmkt_t *m, const char *event, int64_t now);

typedef struct {
    const kmkt_t *m;
    const char *event;
    int64_t now;
} life_arg_t;

static void s_fn_life(mx_conn_t *c, ksub_t *s, void *arg)
{
    life_arg_t *a = arg;
    const kmkt_t *m = a->m;
    if (!s_can_send(c, s)) return;
    char b[64];
    int64_t now_s = a->now / NS_PER_S;
    if (!strcmp(a->event, "event_lifecycle")) {
        jw_t *w = s_frame(s, "event_lifecycle", 0);
        jw_kstr(w, "event_ticker", m->event);
        jw_kint(w, "exchange_index", 0);
        jw_kstr(w, "title", s_title(m->asset));
        jw_kstr(w, "subtitle", "");
        jw_kstr(w, "collateral_return_type", "");
        jw_kstr(w, "series_ticker", s_series(m->asset));
        s_frame_end(c, w);
        return;
    }
    jw_t *w = s_frame(s, "market_lifecycle_v2", 0);
    jw_kstr(w, "market_ticker", m->ticker);
    jw_kstr(w, "event_type", a->event);
    if (!strcmp(a->event, "created")) {
        jw_kint(w, "exchange_index", 0);
        jw_kint(w, "open_ts", m->open_s);
        jw_kint(w, "close_ts", m->close_s);
        jw_kstr(w, "price_level_structure", "tapered_deci_cent");
        jw_key(w, "additional_metadata");
        jw_obj(w);
        jw_kstr(w, "name", s_title(m->asset));
        jw_kstr(w, "title", s_title(m->asset));
        jw_kstr(w, "yes_sub_title", "Target price: TBD");
        jw_kstr(w, "no_sub_title", "Target price: TBD");
        jw_kbool(w, "can_close_early", 1);
        jw_kstr(w, "event_ticker", m->event);
        jw_kint(w, "expected_expiration_ts", m->close_s + 300);
        jw_kstr(w, "strike_type", "greater_or_equal");
        jw_obj_end(w);
    } else if (!strcmp(a->event, "activated")) {
        jw_kint(w, "open_ts", m->open_s);
    } else if (!strcmp(a->event, "metadata_updated")) {
        jw_kstr(w, "strike_type", "greater_or_equal");
        s_kprice(w, "floor_strike", m->asset, m->strike);
        snprintf(b, sizeof b, "Target Price: $%.*f", mx_asset_decimals(m->asset), m->strike);
        jw_kstr(w, "yes_sub_title", b);
    } else if (!strcmp(a->event, "deactivated")) {
        jw_kbool(w, "is_deactivated", 1);
    } else if (!strcmp(a->event, "determined")) {
        jw_kint(w, "determination_ts", now_s);
        jw_kstr(w, "result", m->result ? "yes" : "no");
        jw_kstr(w, "settlement_value", m->result ? "1.0000" : "0.0000");
    } else if (!strcmp(a->event, "settled")) {
        jw_kint(w, "settled_ts", now_s);
    }
    s_frame_end(c, w);
}

static void s_life(const kmkt_t *m, const char *event, int64_t now)
{
    life_arg_t a = {m, event, now};
    s_each(K_LIFE, NULL, s_fn_life, &a);
}

static kmkt_t *s_create(int asset, int64_t open_s, int64_t now)
{
    if (s_nm == KMAX) { /* forget the oldest finalized market */
        memmove(s_m, s_m + 1, (KMAX - 1) * sizeof *s_m);
        s_nm--;
    }
    kmkt_t *m = &s_m[s_nm++];
    memset(m, 0, sizeof *m);
    m->asset = asset;
    m->open_s = open_s;
    m->close_s = open_s + mx.window_s;
    m->status = M_INIT;
    m->created_ns = now - (int64_t)(mx.window_s * 2 + 5) * NS_PER_S;
    m->updated_ns = now;
    m->last_px = 5000;
    s_make_ticker(m);
    return m;
}

/* Asset A's settlement average: its index over (close - 60 s, close], at its decimals. */
static double s_settle_avg(int a, int64_t close_s)
{
    double avg;
    mx_index_avg(a, close_s, 60, &avg);
    return s_round_a(a, avg);
}

static void s_activate(kmkt_t *m, int64_t now)
{
    m->status = M_ACTIVE;
    m->updated_ns = now;
    /* the strike is the previous window's settlement average */
    m->strike = s_settle_avg(m->asset, m->open_s);
    m->has_strike = !isnan(m->strike);
    s_life(m, "activated", now);
    if (m->has_strike) s_life(m, "metadata_updated", now);
    int64_t s = now / NS_PER_S;
    for (int i = 0; i < 12; i++) s_book_step(m, s);
}

static int64_t s_next_second;

static void s_roll(int64_t now)
{
    int64_t s = now / NS_PER_S;
    for (int i = 0; i < s_nm; i++) {
        kmkt_t *m = &s_m[i];
        if (m->status == M_ACTIVE && s >= m->close_s) {
            m->status = M_CLOSED;
            m->updated_ns = now;
            m->expv = s_settle_avg(m->asset, m->close_s);
            m->result = m->has_strike && m->expv >= m->strike;
            /* close out the book */
            while (m->n[0]) s_delta(m, 0, m->lv[0][0].px, -m->lv[0][0].sz);
            while (m->n[1]) s_delta(m, 1, m->lv[1][0].px, -m->lv[1][0].sz);
            s_life(m, "deactivated", now);
        } else if (m->status == M_CLOSED && s >= m->close_s + 1) {
            m->status = M_DETERMINED;
            m->updated_ns = now;
            s_life(m, "determined", now);
        } else if (m->status == M_DETERMINED && s >= m->close_s + 2) {
            m->status = M_FINALIZED;
            m->updated_ns = now;
            m->settled_ns = now;
            s_life(m, "settled", now);
        }
    }
    for (int i = 0; i < s_nm; i++)
        if (s_m[i].status == M_INIT && s >= s_m[i].open_s) s_activate(&s_m[i], now);
    /* keep two windows ahead, in every series */
    for (int a = 0; a < MX_ASSETS; a++) {
        int64_t last_open = (s / mx.window_s) * mx.window_s;
        for (int i = 0; i < s_nm; i++)
            if (s_m[i].asset == a && s_m[i].open_s > last_open) last_open = s_m[i].open_s;
        while (last_open < (s / mx.window_s + 2) * mx.window_s) {
            last_open += mx.window_s;
            kmkt_t *m = s_create(a, last_open, now);
            life_arg_t la = {m, "event_lifecycle", now};
            s_each(K_LIFE, NULL, s_fn_life, &la);
            s_life(m, "created", now);
        }
    }
}

typedef struct {
    int asset;
    int64_t sec;
    double v;
} cfb_arg_t;

static void s_fn_cfb(mx_conn_t *c, ksub_t *s, void *arg)
{
    cfb_arg_t *a = arg;
    if (!s_can_send(c, s)) return;
    char data[160], b[48];
    int64_t t_ms = a->sec * 1000;
    const char *id = s_index_id(a->asset);
    jw_t *w = s_frame(s, "cfbenchmarks_value", 0);
    jw_kstr(w, "index_id", id);
    jw_kint(w, "received_at", mx_now_ns() / NS_PER_MS);
    snprintf(data, sizeof data, "{\"type\":\"value\",\"id\":\"%s\",\"time\":%lld,\"value\":\"%.*f\"}",
             id, (long long)t_ms, mx_asset_decimals(a->asset), a->v);
    jw_kstr(w, "data", data);
    double avg;
    int n = mx_index_avg(a->asset, a->sec, 60, &avg);
    jw_key(w, "avg_60s_data");
    jw_obj(w);
    snprintf(b, sizeof b, "%.8f", n ? avg : a->v);
    jw_kstr(w, "value", b);
    jw_kint(w, "window_size", n);
    /* (t - 60 s, t] as [start, end_exclusive) in ms: the value at t counts */
    jw_kint(w, "window_start_ts_ms", t_ms - 60000 + 1);
    jw_kint(w, "window_end_ts_exclusive", t_ms + 1);
    jw_obj_end(w);
    kmkt_t *m = NULL; /* the market whose window holds this second (closed at its close) */
    for (int i = 0; i < s_nm; i++) /* windows overlap when markets last < 60 s: the next close */
        if (s_m[i].asset == a->asset && a->sec > s_m[i].close_s - 60 &&
            a->sec <= s_m[i].close_s && (!m || s_m[i].close_s < m->close_s))
            m = &s_m[i];
    if (m) {
        int k = mx_index_avg(a->asset, a->sec, (int)(a->sec - (m->close_s - 60)), &avg);
        if (k > 0) {
            jw_key(w, "last_60s_windowed_average_15min");
            jw_obj(w);
            snprintf(b, sizeof b, "%.8f", avg);
            jw_kstr(w, "value", b);
            jw_kint(w, "window_size", k);
            jw_kint(w, "window_start_ts_ms", (m->close_s - 60) * 1000 + 1);
            jw_kint(w, "window_end_ts_exclusive", t_ms + 1);
            jw_obj_end(w);
        }
    }
    s_frame_end(c, w);
}

static double s_steps_per_s(void)
{
    double r = mx.rate <= 0 ? 50 : mx.rate;
    return r > 50 ? 50 : r < 1 ? 1 : r;
}

static double s_step_acc[MX_ASSETS];

/* The open market of ASSET steps its book (or trades) at the world's rate. */
static void s_steps(int asset, int64_t s)
{
    kmkt_t *m = s_active(asset);
    if (!m) return;
    double step = s_steps_per_s() / 10.0;
    if (mx.activity != MX_ACT_STEADY) step *= mx_activity_level(mx_since_start());
    s_step_acc[asset] += step;
    while (s_step_acc[asset] >= 1) {
        s_step_acc[asset] -= 1;
        int64_t yb0, ybs0, ya0, yas0, yb, ybs, ya, yas;
        s_top(m, &yb0, &ybs0, &ya0, &yas0);
        if (mx_urand(&s_rng[asset]) < 0.08) s_trade(m);
        else s_book_step(m, s);
        s_top(m, &yb, &ybs, &ya, &yas);
        if (yb != yb0 || ya != ya0 || ybs != ybs0 || yas != yas0)
            s_each(K_TICKER, m->ticker, s_fn_ticker, m);
    }
}

static void s_tick(int64_t now, int new_second)
{
    int64_t s = now / NS_PER_S;
    if (new_second || s >= s_next_second) {
        s_roll(now);
        for (int a = 0; a < MX_ASSETS; a++) { /* each index to the subscriptions that name it */
            cfb_arg_t ca = {a, s, mx_index(a, s)};
            if (!isnan(ca.v)) s_each(K_CFB, s_index_id(a), s_fn_cfb, &ca);
        }
        s_next_second = s + 1;
    }
    for (int a = 0; a < MX_ASSETS; a++) s_steps(a, s);
}

void mx_kalshi_world_start(void)
{
    s_nm = 0;
    int64_t now = mx_now_ns(), s = now / NS_PER_S;
    int64_t open = (s / mx.window_s) * mx.window_s;
    for (int a = 0; a < MX_ASSETS; a++) {
        s_rng[a] = (uint64_t)mx.seed * 31337u + 17 + (uint64_t)a * 0x9E3779B97F4A7C15ull;
        s_step_acc[a] = 0;
        kmkt_t *cur = s_create(a, open, now);
        s_activate(cur, now);
        for (int i = 1; i <= 2; i++) s_create(a, open + i * mx.window_s, now);
    }
    s_next_second = s + 1;
    mx_world_tick_hook = s_tick;
    (void)s_life_seq_unused;
}

void mx_kalshi_world_stop(void) { mx_world_tick_hook = NULL; }

/* ---- REST ---- */

static void s_market_json(jw_t *w, const kmkt_t *m)
{
    char b[64], b2[64];
    int64_t yb, ybs, ya, yas;
    s_top(m, &yb, &ybs, &ya, &yas);
    jw_obj(w);
    jw_kstr(w, "ticker", m->ticker);
    jw_kstr(w, "event_ticker", m->event);
    jw_kstr(w, "market_type", "binary");
    jw_kstr(w, "title", s_title(m->asset));
    if (m->has_strike)
        snprintf(b2, sizeof b2, "Target Price: $%.*f", mx_asset_decimals(m->asset), m->strike);
    else snprintf(b2, sizeof b2, "Target price: TBD");
    jw_kstr(w, "yes_sub_title", b2);
    jw_kstr(w, "no_sub_title", "Target price: TBD");
    jw_kstr(w, "created_time", (mx_iso_us(m->created_ns, b, sizeof b), b));
    jw_kstr(w, "updated_time", (mx_iso_us(m->updated_ns, b, sizeof b), b));
    jw_kstr(w, "open_time", clock_fmt_iso(m->open_s * NS_PER_S, b, sizeof b));
    jw_kstr(w, "close_time", clock_fmt_iso(m->close_s * NS_PER_S, b, sizeof b));
    jw_kstr(w, "expected_expiration_time", clock_fmt_iso((m->close_s + 300) * NS_PER_S, b, sizeof b));
    jw_kstr(w, "expiration_time", clock_fmt_iso((m->close_s + 7 * 86400) * NS_PER_S, b, sizeof b));
    jw_kstr(w, "latest_expiration_time", clock_fmt_iso((m->close_s + 7 * 86400) * NS_PER_S, b, sizeof b));
    jw_kstr(w, "occurrence_datetime", clock_fmt_iso((m->close_s + 300) * NS_PER_S, b, sizeof b));
    jw_kint(w, "settlement_timer_seconds", 1);
    jw_kstr(w, "status", s_mstatus[m->status]);
    jw_kbool(w, "can_close_early", 1);
    jw_kbool(w, "fractional_trading_enabled", 1);
    jw_kint(w, "exchange_index", 0);
    jw_kstr(w, "notional_value_dollars", "1.0000");
    int open = m->status == M_ACTIVE;
    jw_kstr(w, "yes_bid_dollars", s_dollars(b, open ? yb : 0));
    jw_kstr(w, "yes_bid_size_fp", s_fp(b, open ? ybs : 0));
    jw_kstr(w, "yes_ask_dollars", s_dollars(b, open ? ya : 10000));
    jw_kstr(w, "yes_ask_size_fp", s_fp(b, open ? yas : 0));
    jw_kstr(w, "no_bid_dollars", s_dollars(b, open ? 10000 - ya : 0));
    jw_kstr(w, "no_ask_dollars", s_dollars(b, open ? 10000 - yb : 10000));
    jw_kstr(w, "last_price_dollars", s_dollars(b, m->volume ? m->last_px : 0));
    jw_kstr(w, "previous_yes_bid_dollars", "0.0000");
    jw_kstr(w, "previous_yes_ask_dollars", "0.0000");
    jw_kstr(w, "previous_price_dollars", "0.0000");
    jw_kstr(w, "volume_fp", s_fp(b, m->volume));
    jw_kstr(w, "volume_24h_fp", s_fp(b, m->volume));
    jw_kstr(w, "open_interest_fp", s_fp(b, m->oi));
    jw_kstr(w, "liquidity_dollars", "0.0000");
    int settled = m->status >= M_DETERMINED;
    jw_kstr(w, "result", settled ? (m->result ? "yes" : "no") : "");
    if (m->status >= M_CLOSED) snprintf(b, sizeof b, "%.*f", mx_asset_decimals(m->asset), m->expv);
    else b[0] = '\0';
    jw_kstr(w, "expiration_value", settled ? b : "");
    jw_kstr(w, "strike_type", "greater_or_equal");
    if (m->has_strike) s_kprice(w, "floor_strike", m->asset, m->strike);
    jw_key(w, "custom_strike");
    jw_obj(w);
    jw_kstr(w, "round_digits", "2");
    jw_obj_end(w);
    snprintf(b, sizeof b, "%s", s_index_id(m->asset));
    char rules[400];
    snprintf(rules, sizeof rules,
             "If the simple average of the sixty seconds of CF Benchmarks' %s before the close "
             "is at least the simple average of the sixty seconds of CF Benchmarks' %s before "
             "the open, then the market resolves to Yes.", b, b);
    jw_kstr(w, "rules_primary", rules);
    jw_kstr(w, "rules_secondary", "mockx simulated market");
    jw_kstr(w, "price_level_structure", "tapered_deci_cent");
    jw_key(w, "price_ranges");
    jw_raw(w,
           "[{\"start\":\"0.0000\",\"end\":\"0.1000\",\"step\":\"0.0010\"},{\"start\":\"0.1000\","
           "\"end\":\"0.9000\",\"step\":\"0.0100\"},{\"start\":\"0.9000\",\"end\":\"1.0000\","
           "\"step\":\"0.0010\"}]",
           strlen("[{\"start\":\"0.0000\",\"end\":\"0.1000\",\"step\":\"0.0010\"},{\"start\":\"0.1000\","
                  "\"end\":\"0.9000\",\"step\":\"0.0100\"},{\"start\":\"0.9000\",\"end\":\"1.0000\","
                  "\"step\":\"0.0010\"}]"));
    if (settled) {
        jw_kstr(w, "settlement_value_dollars", m->result ? "1.0000" : "0.0000");
        if (m->settled_ns) jw_kstr(w, "settlement_ts", (mx_iso_us(m->settled_ns, b, sizeof b), b));
    }
    jw_obj_end(w);
}

static int s_status_match(int st, const char *filter)
{
    if (!filter) return 1;
    if (!strcmp(filter, "open")) return st == M_ACTIVE;
    if (!strcmp(filter, "unopened")) return st == M_INIT;
    if (!strcmp(filter, "closed")) return st == M_CLOSED;
    if (!strcmp(filter, "settled")) return st == M_DETERMINED || st == M_FINALIZED;
    if (!strcmp(filter, "paused")) return 0;
    return -1;
}

static const char *s_arg(struct lws *wsi, const char *name, char *buf, int len)
{
    const char *v = lws_get_urlarg_by_name(wsi, name, buf, len);
    return v && *v ? v : NULL;
}

static char *s_dup_jw(jw_t *w, size_t *len)
{
    *len = w->len;
    return xstrndup(w->buf, w->len);
}

static char *s_err(int status, const char *code, const char *msg, size_t *len, int *st)
{
    char b[256];
    snprintf(b, sizeof b, "{\"error\":{\"code\":\"%s\",\"message\":\"%s\"}}", code, msg);
    *st = status;
    *len = strlen(b);
    return xstrdup(b);
}

static char *s_read_file(const char *name, size_t *len)
{
    char p[1200];
    snprintf(p, sizeof p, "%s/%s", mx.kalshi_rest_dir, name);
    FILE *f = fopen(p, "r");
    if (!f) return NULL;
    char *buf = NULL;
    size_t cap = 0, n = 0, r;
    do {
        if (n + 4096 > cap) buf = xrealloc(buf, cap = cap ? 2 * cap : 8192);
        r = fread(buf + n, 1, cap - n, f);
        n += r;
    } while (r > 0);
    fclose(f);
    *len = n;
    return buf;
}

/* Script-mode REST: the fixture files, verbatim where one file is the answer. */
static int s_rest_files(struct lws *wsi, const char *rel, char **body, size_t *len)
{
    char a1[128], a2[128], a3[128];
    int st = 200;
    const char *status = s_arg(wsi, "status=", a1, sizeof a1);
    const char *cursor = s_arg(wsi, "cursor=", a2, sizeof a2);
    const char *series = s_arg(wsi, "series_ticker=", a3, sizeof a3);
    if (!strcmp(rel, "/markets")) {
        if (cursor || (series && strcmp(series, "KXBTC15M"))) {
            *body = xstrdup("{\"markets\":[],\"cursor\":\"\"}");
            *len = strlen(*body);
            return 200;
        }
        const char *file = !status || !strcmp(status, "open") ? "rest_get_markets_open.json"
                           : !strcmp(status, "unopened")     ? "rest_get_markets_unopened.json"
                                                             : NULL;
        if (file) *body = s_read_file(file, len);
        if (!*body && status && (!strcmp(status, "settled") || !strcmp(status, "closed"))) {
            size_t n;
            char *one = s_read_file("rest_get_market_settled.json", &n);
            json_t *j = one ? json_loadb(one, n, 0, NULL) : NULL;
            free(one);
            json_t *mk = json_object_get(j, "market");
            if (mk) {
                json_t *out = json_pack("{s:[O],s:s}", "markets", mk, "cursor", "");
                *body = json_dumps(out, JSON_COMPACT | JSON_REAL_PRECISION(12));
                *len = strlen(*body);
                json_decref(out);
            }
            json_decref(j);
        }
        if (!*body) {
            *body = xstrdup("{\"markets\":[],\"cursor\":\"\"}");
            *len = strlen(*body);
        }
        return st;
    }
    if (!strncmp(rel, "/markets/", 9)) {
        const char *t = rel + 9, *slash = strchr(t, '/');
        if (slash && !strcmp(slash, "/orderbook")) *body = s_read_file("rest_get_orderbook.json", len);
        else if (!slash) {
            /* whichever market file names this ticker: the open one first */
            static const char *const files[] = {"rest_get_market.json", "rest_get_market_settled.json"};
            for (size_t i = 0; i < ARRAY_LEN(files) && !*body; i++) {
                size_t n;
                char *txt = s_read_file(files[i], &n);
                json_t *j = txt ? json_loadb(txt, n, 0, NULL) : NULL;
                const char *tk = json_string_value(json_object_get(json_object_get(j, "market"), "ticker"));
                if (tk && !strcmp(tk, t)) {
                    *body = txt;
                    *len = n;
                    txt = NULL;
                }
                free(txt);
                json_decref(j);
            }
        }
        if (!*body) *body = s_err(404, "not_found", "market not found", len, &st);
        return st;
    }
    if (!strncmp(rel, "/series/", 8)) {
        *body = s_read_file("rest_get_series.json", len);
        if (!*body) *body = s_err(404, "not_found", "series not found", len, &st);
        return st;
    }
    return 0;
}

int mx_kalshi_rest(struct lws *wsi, int conn, const char *path, char **body, size_t *len)
{
    static long nreq;
    (void)conn;
    *body = NULL;
    if (strncmp(path, "/trade-api/v2/", 14) != 0) return 404;
    const char *rel = path + 13;
    nreq++;
    if (mx.rest_429_every > 0 && nreq % mx.rest_429_every == 0) {
        *body = xstrdup("{\"error\": \"too many requests\"}");
        *len = strlen(*body);
        return 429;
    }
    int st = 200;
    if (!strcmp(rel, "/exchange/status")) {
        *body = xstrdup("{\"exchange_active\":true,\"trading_active\":true,"
                        "\"exchange_estimated_resume_time\":null}");
        *len = strlen(*body);
        return 200;
    }
    if (!mx.world) {
        if (mx.kalshi_rest_dir) {
            int r = s_rest_files(wsi, rel, body, len);
            if (r) return r;
        }
        return 404;
    }
    char a1[128], a2[128], a3[128], a4[64], a5[128];
    jw_t *w = s_begin();
    if (!strcmp(rel, "/markets")) {
        const char *status = s_arg(wsi, "status=", a1, sizeof a1);
        const char *cursor = s_arg(wsi, "cursor=", a2, sizeof a2);
        const char *series = s_arg(wsi, "series_ticker=", a3, sizeof a3);
        const char *limit_s = s_arg(wsi, "limit=", a4, sizeof a4);
        const char *event = s_arg(wsi, "event_ticker=", a5, sizeof a5);
        long limit = 100, off = 0;
        if (limit_s) {
            char *end;
            limit = strtol(limit_s, &end, 10);
            if (*end || limit < 1 || limit > 1000) {
                *body = s_err(400, "invalid_parameters", "limit must be between 1 and 1000", len, &st);
                return st;
            }
        }
        if (status && s_status_match(0, status) < 0) {
            *body = s_err(400, "invalid_parameters", "invalid status filter", len, &st);
            return st;
        }
        if (cursor) {
            /* opaque to clients: "mxc" + the offset */
            if (strncmp(cursor, "mxc", 3) != 0 || (off = strtol(cursor + 3, NULL, 10)) < 0) {
                *body = s_err(400, "invalid_parameters", "invalid cursor", len, &st);
                return st;
            }
        }
        jw_obj(w);
        jw_key(w, "markets");
        jw_arr(w);
        long seen = 0, emitted = 0;
        int more = 0;
        for (int i = 0; i < s_nm; i++) {
            const kmkt_t *m = &s_m[i];
            if (series && strcmp(series, s_series(m->asset))) continue;
            if (event && strcmp(event, m->event)) continue;
            if (s_status_match(m->status, status) != 1) continue;
            if (seen++ < off) continue;
            if (emitted == limit) {
                more = 1;
                break;
            }
            s_market_json(w, m);
            emitted++;
        }
        jw_arr_end(w);
        char cur[32] = "";
        if (more) snprintf(cur, sizeof cur, "mxc%ld", off + emitted);
        jw_kstr(w, "cursor", cur);
        jw_obj_end(w);
        *body = s_dup_jw(w, len);
        return 200;
    }
    if (!strncmp(rel, "/markets/", 9)) {
        char t[64];
        const char *p = rel + 9, *slash = strchr(p, '/');
        size_t tl = slash ? (size_t)(slash - p) : strlen(p);
        if (tl >= sizeof t) tl = sizeof t - 1;
        memcpy(t, p, tl);
        t[tl] = '\0';
        kmkt_t *m = s_find(t);
        if (!m || (slash && strcmp(slash, "/orderbook"))) {
            *body = s_err(404, "not_found", "market not found", len, &st);
            return st;
        }
        jw_obj(w);
        if (!slash) {
            jw_key(w, "market");
            s_market_json(w, m);
        } else {
            char pb[32], qb[32];
            long depth = 0;
            const char *d = s_arg(wsi, "depth=", a1, sizeof a1);
            if (d) depth = strtol(d, NULL, 10);
            jw_key(w, "orderbook_fp");
            jw_obj(w);
            for (int s = 0; s < 2; s++) {
                jw_key(w, s ? "no_dollars" : "yes_dollars");
                jw_arr(w);
                int first = depth > 0 && m->n[s] > depth ? m->n[s] - (int)depth : 0;
                for (int i = first; i < m->n[s]; i++) {
                    jw_arr(w);
                    jw_str(w, s_dollars(pb, m->lv[s][i].px));
                    jw_str(w, s_fp(qb, m->lv[s][i].sz));
                    jw_arr_end(w);
                }
                jw_arr_end(w);
            }
            jw_obj_end(w);
        }
        jw_obj_end(w);
        *body = s_dup_jw(w, len);
        return 200;
    }
    if (!strncmp(rel, "/series/", 8)) {
        int a = 0;
        while (a < MX_ASSETS && strcmp(rel + 8, s_series(a))) a++;
        if (a == MX_ASSETS) {
            *body = s_err(404, "not_found", "series not found", len, &st);
            return st;
        }
        static const char *const names[MX_ASSETS] = {"Bitcoin", "Ethereum", "Solana", "Dogecoin"};
        char b[1200];
        snprintf(b, sizeof b,
            "{\"series\":{\"ticker\":\"%s\",\"frequency\":\"fifteen_min\",\"title\":\"%s "
            "price up/down in 15 minutes (mockx)\",\"category\":\"Crypto\",\"tags\":[\"%s\"],"
            "\"settlement_sources\":[{\"name\":\"CF Benchmarks\",\"url\":\"https://www.cfbenchmarks.com/"
            "data/indices/%s\"}],\"contract_url\":\"https://assets.kalshi.com/regulatory/"
            "product-certifications/CRYPTO15M.pdf\",\"contract_terms_url\":\"https://assets.kalshi.com/"
            "contract_terms/CRYPTO15M.pdf\",\"fee_type\":\"quadratic\",\"fee_multiplier\":1,"
            "\"additional_prohibitions\":[],\"product_metadata\":null,\"last_updated_ts\":"
            "\"2026-07-01T18:05:04.527379Z\"}}", s_series(a), names[a], mx_asset_name(a), s_index_id(a));
        *body = xstrdup(b);
        *len = strlen(*body);
        return 200;
    }
    return 404;
}

/* Self-test: tickers from the close time in US Eastern, across both DST edges. */
int mx_kalshi_test(void);
int mx_kalshi_test(void)
{
    static const struct {
        int64_t close_s;
        long window;
        const char *ticker;
    } cases[] = {
        {1795868100, 900, "KXBTC15M-26NOV280715-15"}, /* 2026-11-28T12:15Z, EST */
        {1784853900, 900, "KXBTC15M-26JUL232045-45"}, /* 2026-07-24T00:45Z, EDT (real market) */
        {1782951300, 900, "KXBTC15M-26JUL012015-15"}, /* 2026-07-02T00:15Z */
        {1773554400, 900, "KXBTC15M-26MAR150200-00"}, /* 2026-03-15T06:00Z: EDT began 03-08 */
        {1772953200, 900, "KXBTC15M-26MAR080300-00"}, /* 2026-03-08T07:00Z = 03:00 EDT */
        {1772953140, 60, "KXBTC15M-26MAR080159-59"},  /* one minute earlier: still EST */
        {1793512800, 900, "KXBTC15M-26NOV010100-00"}, /* 2026-11-01T06:00Z: EST again */
        {1793512790, 10, "KXBTC15M-26NOV01015950-5950"}, /* 10 s before, EDT, sub-minute window */
    };
    long saved = mx.window_s;
    int rc = 0;
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        kmkt_t m;
        memset(&m, 0, sizeof m);
        mx.window_s = cases[i].window;
        m.close_s = cases[i].close_s;
        s_make_ticker(&m);
        if (strcmp(m.ticker, cases[i].ticker)) {
            fprintf(stderr, "mx_kalshi: close %lld: %s != %s\n", (long long)cases[i].close_s,
                    m.ticker, cases[i].ticker);
            rc = -1;
        }
    }
    mx.window_s = saved;
    return rc;
}
