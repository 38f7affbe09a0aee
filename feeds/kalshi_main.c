/* feed-kalshi: follows the KXBTC15M markets (or every series of --series) on
 * Kalshi. REST (lib/rest) discovers each series' markets and reads strikes
 * and settlements; one table per series (kalshi_market) decides from the
 * markets' own times what to follow; one websocket (lib/wsconn + kalshi_ws)
 * keeps the books, tickers and trades of every series and relays each series'
 * official index. Without a key it polls the public REST endpoints. */
#include "prog.h"
#include "bus.h"
#include "clock.h"
#include "hb.h"
#include "jtok.h"
#include "jw.h"
#include "kalshi_auth.h"
#include "kalshi_book.h"
#include "kalshi_market.h"
#include "rest.h"
#include "kalshi_ws.h"
#include "log.h"
#include "opts.h"
#include "series.h"
#include "util.h"
#include "wsconn.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PROG "feed-kalshi"

enum { K_LIST = 1, K_MARKET, K_POLL_MARKET, K_POLL_BOOK };

static char *o_ws_url, *o_rest_url, *o_ca, *o_series, *o_key_id, *o_key_file, *o_env, *o_record;
static int o_yes_price;
static double o_stale, o_presub, o_grace, o_auth_backoff, o_poll_s;
static wsconn_opts_t s_wo; /* the connection-layer options (WSCONN_OPT_ENTRIES) */

static const opt_t s_opts[] = {
    {"ws-url", OPT_STR, &o_ws_url, NULL, 1, 0, NULL,
     "websocket URL (default: Kalshi prod, or demo with --env demo)", 0},
    {"rest-url", OPT_STR, &o_rest_url, NULL, 1, 0, NULL,
     "REST base URL ending in /trade-api/v2 (default: Kalshi prod, or demo)", 0},
    {"env", OPT_STR, &o_env, "prod", 1, 0, "KALSHI_ENV", "prod or demo (default URLs)", 0},
    {"ca-file", OPT_STR, &o_ca, NULL, 1, 0, NULL,
     "extra trust anchor (PEM) besides the system CAs; verification stays on", 0},
    {"series", OPT_STR, &o_series, SERIES_DEFAULT, 1, 0, "SERIES_TICKER",
     "series to follow, separated by commas (docs/SERIES.md)", 0},
    {"key-id", OPT_STR, &o_key_id, NULL, 1, 0, "KALSHI_API_KEY_ID", "API key id", OPT_SECRET},
    {"key-file", OPT_STR, &o_key_file, NULL, 1, 0, "KALSHI_PRIV_KEY_PATH",
     "RSA private key (PEM, PKCS#1 or PKCS#8), mode 0600", 0},
    {"use-yes-price", OPT_BOOL, &o_yes_price, "0", 1, 0, NULL,
     "ask for NO levels at YES prices (use_yes_price, always sent explicitly)", 0},
    {"stale-after", OPT_DBL, &o_stale, "15", 0.5, 3600, NULL,
     "an open market without book/ticker data this long (s) gets a snapshot request", 0},
    {"presubscribe", OPT_DBL, &o_presub, "60", 0, 3600, NULL,
     "follow the next market this long (s) before it opens", 0},
    {"grace", OPT_DBL, &o_grace, "20", 0, 3600, NULL,
     "keep following a market this long (s) after its close", 0},
    {"poll-interval", OPT_DBL, &o_poll_s, "1", 0.2, 60, NULL,
     "no-key mode: REST market + orderbook poll period (s)", 0},
    WSCONN_OPT_ENTRIES(s_wo),
    {"auth-backoff", OPT_DBL, &o_auth_backoff, "60", 0.1, 3600, NULL,
     "wait at least this long (s) after a 401/403 on the upgrade", 0},
    FRAMEREC_OPT_ENTRY(o_record),
    {NULL, 0, NULL, NULL, 0, 0, NULL, NULL, 0},
};

typedef struct app app_t;

/* One followed series: its definition and its market table (the table's callbacks
 * get this as their arg). */
typedef struct {
    app_t *a;
    const series_t *s;
    kmkt_table_t *mk;
} ser_t;

struct app {
    series_set_t set;
    ser_t ser[SERIES_MAX];
    int nser;
    bus_pub_t *pub;
    hb_t *hb;
    wsconn_t *c;
    kalshi_ws_t *ws;
    rest_t *rest;
    kalshi_auth_t *auth;
    framerec_t *rec; /* --record, or NULL */
    jw_t w;
    char topic[128];
    int nokey;
    uint64_t rest_errors, auth_failures, rest_msgs, list_ok, rest_other_series;
    int last_http;
    int64_t last_poll_mono, last_rest_data_mono;
};

static app_t A;

static int64_t s_now_real(void) { return clock_real_ns(); }

/* ---- publishing ---- */

static void s_emit(void *arg, const char *topic, const char *body, size_t len, int64_t ts_rx,
                   int64_t ts_ex)
{
    app_t *a = arg;
    bus_pub_send(a->pub, topic, body, len, ts_rx, ts_ex);
}

/* A decimal text as an exact JSON number, or null. */
static void s_kdec(jw_t *w, const char *k, const char *txt, int scale, int mindec)
{
    int64_t v;
    if (txt && *txt && num_parse_fixed(txt, strlen(txt), scale, &v) == 0)
        jw_kfixed(w, k, v, scale, mindec);
    else
        jw_knull(w, k);
}

static void s_kstr_or_null(jw_t *w, const char *k, const char *s)
{
    if (s && *s) jw_kstr(w, k, s);
    else jw_knull(w, k);
}

static void s_market_fields(jw_t *w, const kmkt_info_t *m)
{
    jw_kstr(w, "ticker", m->ticker);
    s_kstr_or_null(w, "event_ticker", m->event_ticker);
    s_kstr_or_null(w, "status", m->status);
    s_kstr_or_null(w, "open_time", m->open_time);
    s_kstr_or_null(w, "close_time", m->close_time);
    s_kstr_or_null(w, "expected_expiration_time", m->exp_time);
    s_kdec(w, "floor_strike", m->floor_strike, 8, 2);
    s_kstr_or_null(w, "strike_type", m->strike_type);
    s_kstr_or_null(w, "result", m->result);
    s_kdec(w, "expiration_value", m->expiration_value, 8, 2);
    s_kstr_or_null(w, "settlement_ts", m->settlement_time);
}

static void s_mk_publish(void *arg, const kmkt_info_t *m)
{
    ser_t *sr = arg;
    app_t *a = sr->a;
    jw_reset(&a->w);
    jw_fragment(&a->w);
    s_market_fields(&a->w, m);
    jw_kstr(&a->w, "series", sr->s->ticker);
    jw_kstr(&a->w, "source", "rest");
    snprintf(a->topic, sizeof a->topic, "kalshi.market.%s", m->ticker);
    bus_pub_send(a->pub, a->topic, a->w.buf, a->w.len, s_now_real(), -1);
}

static void s_mk_event(void *arg, const char *kind, const kmkt_info_t *m, const char *reason)
{
    app_t *a = ((ser_t *)arg)->a;
    jw_reset(&a->w);
    jw_fragment(&a->w);
    jw_kstr(&a->w, "venue", "kalshi");
    jw_kstr(&a->w, "reason", reason);
    if (strcmp(reason, "no_open_market")) {
        s_market_fields(&a->w, m);
    } else {
        jw_kstr(&a->w, "series", m->ticker);
    }
    int64_t ts_ex = -1;
    if (!strcmp(kind, "settlement") && m->floor_strike[0] && m->expiration_value[0]) {
        int64_t s, e;
        if (num_parse_fixed(m->floor_strike, strlen(m->floor_strike), 8, &s) == 0 &&
            num_parse_fixed(m->expiration_value, strlen(m->expiration_value), 8, &e) == 0) {
            const char *want = e >= s ? "yes" : "no"; /* greater_or_equal: a tie is YES */
            jw_kbool(&a->w, "result_consistent", !strcmp(want, m->result));
        }
        ts_ex = m->settlement_ns;
        log_info("kalshi: settlement ticker=%s strike=%s expiration_value=%s result=%s", m->ticker,
                 m->floor_strike, m->expiration_value, m->result);
    } else if (!strcmp(kind, "market_open")) {
        ts_ex = m->open_ns;
        log_info("kalshi: market open ticker=%s close=%s (%s)", m->ticker, m->close_time, reason);
    } else if (!strcmp(kind, "strike_set")) {
        log_info("kalshi: strike ticker=%s floor_strike=%s", m->ticker, m->floor_strike);
    }
    snprintf(a->topic, sizeof a->topic, "event.%s", kind);
    bus_pub_send(a->pub, a->topic, a->w.buf, a->w.len, s_now_real(), ts_ex);
}

static void s_mk_follow(void *arg, const char *ticker, int active)
{
    app_t *a = ((ser_t *)arg)->a;
    if (a->ws) kalshi_ws_follow(a->ws, ticker, active);
    log_info("kalshi: following ticker=%s active=%d", ticker, active);
}

static void s_mk_unfollow(void *arg, const char *ticker)
{
    app_t *a = ((ser_t *)arg)->a;
    if (a->ws) kalshi_ws_unfollow(a->ws, ticker);
    log_info("kalshi: no longer following ticker=%s", ticker);
}

static void s_mk_refresh(void *arg, const char *ticker)
{
    app_t *a = ((ser_t *)arg)->a;
    char path[160];
    snprintf(path, sizeof path, "/markets/%s", ticker);
    rest_get(a->rest, path, K_MARKET, ticker, 0);
}

static void s_mk_discover(void *arg)
{
    ser_t *sr = arg;
    char path[200];
    snprintf(path, sizeof path, "/markets?series_ticker=%s&status=open&limit=100", sr->s->ticker);
    rest_get(sr->a->rest, path, K_LIST, "open", 1);
    snprintf(path, sizeof path, "/markets?series_ticker=%s&status=unopened&limit=200",
             sr->s->ticker);
    rest_get(sr->a->rest, path, K_LIST, "unopened", 1);
}

/* The table of the series TICKER belongs to (its prefix before the first '-'), or NULL. */
static kmkt_table_t *s_table_of(app_t *a, const char *ticker)
{
    size_t n = strcspn(ticker, "-");
    for (int i = 0; i < a->nser; i++)
        if (strlen(a->ser[i].s->ticker) == n && !strncmp(a->ser[i].s->ticker, ticker, n))
            return a->ser[i].mk;
    return NULL;
}

/* A REST market object M at NOW: to its series' table. */
static void s_update(app_t *a, const kmkt_info_t *m, int64_t now)
{
    kmkt_table_t *t = s_table_of(a, m->ticker);
    if (t) kmkt_update(t, m, now);
    else a->rest_other_series++;
}

/* No-key mode: a REST orderbook becomes kalshi.book.<t> (source rest). */
static void s_rest_book(app_t *a, const char *ticker, json_t *root, int64_t ts_rx)
{
    json_t *ob = json_object_get(root, "orderbook_fp");
    if (!ob) ob = json_object_get(root, "orderbook");
    if (!json_is_object(ob)) {
        a->rest_errors++;
        log_warnx_rl("kalshi: REST orderbook for %s without orderbook_fp", ticker);
        return;
    }
    kalshi_book_t b;
    kalshi_book_init(&b);
    int bad = 0;
    const char *names[2][2] = {{"yes_dollars", "yes_dollars_fp"}, {"no_dollars", "no_dollars_fp"}};
    for (int side = 0; side < 2; side++) {
        json_t *arr = json_object_get(ob, names[side][0]);
        if (!arr) arr = json_object_get(ob, names[side][1]);
        size_t i;
        json_t *lv;
        json_array_foreach(arr, i, lv) {
            const char *p = json_string_value(json_array_get(lv, 0));
            const char *s = json_string_value(json_array_get(lv, 1));
            int64_t px, sz;
            if (!p || !s || num_parse_fixed(p, strlen(p), KALSHI_PX_SCALE, &px) < 0 ||
                num_parse_fixed(s, strlen(s), KALSHI_SZ_SCALE, &sz) < 0 ||
                kalshi_book_set(&b, side, px, sz) < 0)
                bad++;
        }
    }
    b.valid = !bad && !kalshi_book_crossed(&b);
    jw_reset(&a->w);
    jw_fragment(&a->w);
    jw_kstr(&a->w, "ticker", ticker);
    kalshi_book_write(&b, &a->w, 0);
    jw_kstr(&a->w, "source", "rest");
    jw_kstr(&a->w, "note", "public REST, may be up to ~15 s old (edge cache)");
    snprintf(a->topic, sizeof a->topic, "kalshi.book.%s", ticker);
    bus_pub_send(a->pub, a->topic, a->w.buf, a->w.len, ts_rx, -1);
    kalshi_book_free(&b);
    a->rest_msgs++;
    a->last_rest_data_mono = clock_mono_ns();
    hb_progress(a->hb, 1);
}

/* No-key mode: the market object's quote fields become kalshi.ticker.<t>. */
static void s_rest_ticker(app_t *a, const kmkt_info_t *m, int64_t ts_rx)
{
    jw_reset(&a->w);
    jw_fragment(&a->w);
    jw_kstr(&a->w, "ticker", m->ticker);
    s_kdec(&a->w, "price", m->last_price, KALSHI_PX_SCALE, 2);
    s_kdec(&a->w, "yes_bid", m->yes_bid, KALSHI_PX_SCALE, 2);
    s_kdec(&a->w, "yes_ask", m->yes_ask, KALSHI_PX_SCALE, 2);
    s_kdec(&a->w, "yes_bid_size", m->yes_bid_size, KALSHI_SZ_SCALE, 0);
    s_kdec(&a->w, "yes_ask_size", m->yes_ask_size, KALSHI_SZ_SCALE, 0);
    s_kdec(&a->w, "volume", m->volume, KALSHI_SZ_SCALE, 0);
    s_kdec(&a->w, "open_interest", m->open_interest, KALSHI_SZ_SCALE, 0);
    jw_kstr(&a->w, "source", "rest");
    snprintf(a->topic, sizeof a->topic, "kalshi.ticker.%s", m->ticker);
    bus_pub_send(a->pub, a->topic, a->w.buf, a->w.len, ts_rx, -1);
}

static void s_rest_cb(void *arg, int kind, const char *tag, long http, json_t *root,
                      const char *err)
{
    app_t *a = arg;
    int64_t now = s_now_real();
    a->last_http = (int)http;
    if (!root) {
        a->rest_errors++;
        if (http == 401 || http == 403)
            log_warnx_rl("kalshi: REST %s answered HTTP %ld: credentials or clock problem "
                         "(check the key id, key file, environment and NTP)", tag, http);
        else
            log_warnx_rl("kalshi: REST request %s failed: %s", tag, err ? err : "?");
        return;
    }
    kmkt_info_t m;
    if (kind == K_LIST) {
        json_t *arr = json_object_get(root, "markets"), *o;
        size_t i;
        a->list_ok++;
        json_array_foreach(arr, i, o) {
            if (kmkt_parse(o, &m) == 0) s_update(a, &m, now);
            else log_warnx_rl("kalshi: market object without ticker or times ignored");
        }
    } else if (kind == K_MARKET || kind == K_POLL_MARKET) {
        if (kmkt_parse(json_object_get(root, "market"), &m) == 0) {
            s_update(a, &m, now);
            if (kind == K_POLL_MARKET) {
                s_rest_ticker(a, &m, now);
                a->rest_msgs++;
                a->last_rest_data_mono = clock_mono_ns();
                hb_progress(a->hb, 1);
            }
        } else {
            a->rest_errors++;
            log_warnx_rl("kalshi: GET /markets/%s: no usable market object", tag);
        }
    } else if (kind == K_POLL_BOOK) {
        s_rest_book(a, tag, root, now);
    }
}

/* ---- websocket glue ---- */

static void s_ws_send(void *arg, const char *text, size_t len)
{
    app_t *a = arg;
    if (a->c) wsconn_send(a->c, text, len);
}

/* gap/resync events go through wsconn: logged like every feed's, counted in the hb's gaps and
 * resyncs (which tickbus-metrics sums), published as event.KIND {venue, reason, ticker, ..} */
static void s_ws_event(void *arg, const char *kind, const char *reason, const char *extra,
                       size_t len, int64_t ts_rx)
{
    app_t *a = arg;
    if (a->c) wsconn_event(a->c, kind, reason, extra, len, ts_rx);
}

static void s_ws_lifecycle(void *arg, const char *ticker, const char *ev, const char *fs)
{
    app_t *a = arg;
    log_debug("kalshi: lifecycle ticker=%s event=%s floor_strike=%s", ticker, ev, fs ? fs : "-");
    kmkt_table_t *t = s_table_of(a, ticker);
    if (t) kmkt_hint(t, ticker, ev, s_now_real());
}

static void s_cb_headers(wsconn_t *c, void *arg)
{
    app_t *a = arg;
    kalshi_auth_hdrs_t h;
    if (kalshi_auth_headers(a->auth, -1, "GET", KALSHI_WS_SIGN_PATH, &h) < 0) {
        log_warnx_rl("kalshi: signing the upgrade failed");
        return;
    }
    wsconn_header(c, "KALSHI-ACCESS-KEY", h.key);
    wsconn_header(c, "KALSHI-ACCESS-TIMESTAMP", h.ts);
    wsconn_header(c, "KALSHI-ACCESS-SIGNATURE", h.sig);
    memset(h.sig, 0, sizeof h.sig);
}

/* REST requests signed like the upgrade (lib/rest's hook). */
static int s_rest_sign(void *arg, const char *method, const char *path, char *out, size_t n)
{
    app_t *a = arg;
    kalshi_auth_hdrs_t h;
    if (!a->auth || kalshi_auth_headers(a->auth, -1, method, path, &h) < 0) return -1;
    int k = snprintf(out, n, "KALSHI-ACCESS-KEY: %s\nKALSHI-ACCESS-TIMESTAMP: %s\n"
                             "KALSHI-ACCESS-SIGNATURE: %s\n", h.key, h.ts, h.sig);
    memset(h.sig, 0, sizeof h.sig);
    return k < 0 || (size_t)k >= n ? -1 : 0;
}

/* Probes of a silent connection: a command with an id (list_subscriptions)
 * rather than a websocket ping: its reply proves the command path, which
 * Kalshi serves in order with the data. */
static int s_cb_probe(wsconn_t *c, void *arg, unsigned id)
{
    (void)c;
    app_t *a = arg;
    return kalshi_ws_probe(a->ws, id, clock_mono_ns());
}
static void s_ws_probe_answered(void *arg, unsigned id)
{
    app_t *a = arg;
    if (a->c) wsconn_probe_answered(a->c, id);
}

static void s_cb_open(wsconn_t *c, void *arg)
{
    (void)c;
    app_t *a = arg;
    kalshi_ws_connected(a->ws, clock_mono_ns());
}

static int s_cb_msg(wsconn_t *c, void *arg, const char *msg, size_t len, int64_t ts_rx)
{
    (void)c;
    app_t *a = arg;
    int r = kalshi_ws_on_frame(a->ws, msg, len, ts_rx, clock_mono_ns());
    return r == 1 ? WSCONN_MSG_DATA : r == 0 ? WSCONN_MSG_CTRL : WSCONN_MSG_BAD;
}

static void s_cb_close(wsconn_t *c, void *arg, const char *reason)
{
    (void)c;
    app_t *a = arg;
    log_info("kalshi: websocket down (%s): books invalid until their next snapshot", reason);
    kalshi_ws_disconnected(a->ws, clock_real_ns());
}

static double s_cb_connect_error(wsconn_t *c, void *arg, int http, const char *reason)
{
    (void)c;
    app_t *a = arg;
    a->last_http = http;
    if (http == 401 || http == 403) {
        a->auth_failures++;
        log_warnx("kalshi: websocket upgrade refused with HTTP %d: a credentials or clock problem "
                  "(key id, key file, prod/demo environment, NTP sync); retrying in %.0f s or more",
                  http, o_auth_backoff);
        return o_auth_backoff;
    }
    (void)reason;
    return 0;
}

static int s_books_healthy(app_t *a)
{
    int active;
    const kmkt_info_t *m;
    for (int k = 0; k < a->nser; k++) {
        for (int i = 0; (m = kmkt_followed(a->ser[k].mk, i, &active)); i++) {
            if (!active) continue;
            const kalshi_book_t *b = kalshi_ws_book(a->ws, m->ticker);
            if (b && !b->valid) return 0;
        }
        if (kmkt_alarm(a->ser[k].mk)) return 0;
    }
    return 1;
}

static void s_tick_tables(app_t *a)
{
    int64_t now = s_now_real();
    for (int k = 0; k < a->nser; k++) kmkt_tick(a->ser[k].mk, now);
}

static int s_any_alarm(const app_t *a)
{
    for (int k = 0; k < a->nser; k++)
        if (kmkt_alarm(a->ser[k].mk)) return 1;
    return 0;
}

static void s_cb_tick(wsconn_t *c, void *arg, int64_t now)
{
    app_t *a = arg;
    rest_poll(a->rest);
    s_tick_tables(a);
    if (kalshi_ws_tick(a->ws, now, s_now_real()) < 0) wsconn_reconnect(c, "command_timeout");
    wsconn_set_healthy(c, s_books_healthy(a));
}

static void s_hb_common(app_t *a, jw_t *w)
{
    const rest_stats_t *rs = rest_stats(a->rest);
    int64_t now = s_now_real();
    kmkt_stats_t sum;
    memset(&sum, 0, sizeof sum);
    for (int k = 0; k < a->nser; k++) {
        const kmkt_stats_t *ms = kmkt_stats(a->ser[k].mk);
        sum.followed += ms->followed;
        sum.open += ms->open;
        sum.rollovers += ms->rollovers;
        sum.strikes += ms->strikes;
        sum.settlements += ms->settlements;
    }
    jw_kstr(w, "auth", a->nokey ? "none: public REST polling, data may be ~15 s old" : "key");
    jw_kint(w, "markets_tracked", sum.followed);
    jw_kint(w, "markets_open", sum.open);
    const kmkt_info_t *cur = kmkt_current(a->ser[0].mk, now); /* the first series' */
    if (cur) jw_kstr(w, "current", cur->ticker);
    else jw_knull(w, "current");
    jw_kbool(w, "no_open_market_alarm", s_any_alarm(a));
    jw_kuint(w, "rollovers", sum.rollovers);
    jw_kuint(w, "strikes", sum.strikes);
    jw_kuint(w, "settlements", sum.settlements);
    /* per series: {"KXBTC15M":{"tracked","open","current","alarm","settlements"},..} */
    jw_key(w, "series");
    jw_obj(w);
    for (int k = 0; k < a->nser; k++) {
        const kmkt_stats_t *ms = kmkt_stats(a->ser[k].mk);
        jw_key(w, a->ser[k].s->ticker);
        jw_obj(w);
        jw_kint(w, "tracked", ms->followed);
        jw_kint(w, "open", ms->open);
        cur = kmkt_current(a->ser[k].mk, now);
        if (cur) jw_kstr(w, "current", cur->ticker);
        else jw_knull(w, "current");
        jw_kbool(w, "alarm", kmkt_alarm(a->ser[k].mk));
        jw_kuint(w, "settlements", ms->settlements);
        jw_obj_end(w);
    }
    jw_obj_end(w);
    jw_kuint(w, "rest_other_series", a->rest_other_series);
    jw_kuint(w, "rest_requests", rs->requests);
    jw_kuint(w, "rest_errors", a->rest_errors);
    jw_kuint(w, "rest_429", rs->http_429);
    jw_kdbl(w, "rest_backoff_s", rs->backoff_s, 2);
    jw_kuint(w, "auth_failures", a->auth_failures);
}

static void s_cb_hb(wsconn_t *c, void *arg, jw_t *w)
{
    (void)c;
    app_t *a = arg;
    const kalshi_ws_stats_t *st = kalshi_ws_stats(a->ws);
    s_hb_common(a, w);
    jw_kuint(w, "kalshi_gaps", st->gaps);
    jw_kuint(w, "kalshi_resyncs", st->resyncs);
    jw_kuint(w, "resubscribes", st->resubscribes);
    jw_kuint(w, "cmd_timeouts", st->cmd_timeouts);
    jw_kuint(w, "foreign_sid_drops", st->foreign_sid);
    jw_kuint(w, "market_deletes", st->market_deletes);
    jw_kuint(w, "list_requests", st->list_requests);
    jw_kuint(w, "snapshots", st->snapshots);
    jw_kuint(w, "deltas", st->deltas);
    jw_kuint(w, "trades", st->trades);
    jw_kuint(w, "brti", st->brti);
    jw_kuint(w, "bad_trade_ids", st->bad_trade_ids);
    jw_kuint(w, "trades_without_id", st->trades_without_id);
    jw_kuint(w, "error_replies", st->errors);
    jw_kuint(w, "late_frames", st->late);
    jw_kuint(w, "index_unasked", st->index_unasked);
    jw_kuint(w, "indexlists", st->indexlists);
    jw_kuint(w, "index_missing", st->index_missing);
    /* values relayed per index: {"BRTI":n,..} */
    jw_key(w, "indices");
    jw_obj(w);
    uint64_t n;
    const char *id;
    for (int i = 0; (id = kalshi_ws_index_at(a->ws, i, &n)); i++) jw_kuint(w, id, n);
    jw_obj_end(w);
}

static void s_hb_detail(jw_t *w, void *arg)
{
    app_t *a = arg;
    jw_key(w, "kalshi");
    if (a->c) {
        wsconn_hb_detail(a->c, w);
        return;
    }
    jw_obj(w);
    jw_kbool(w, "connected", 0);
    jw_kstr(w, "mode", "rest_poll");
    if (a->last_rest_data_mono)
        jw_kint(w, "last_data_age_ms", (clock_mono_ns() - a->last_rest_data_mono) / NS_PER_MS);
    else
        jw_knull(w, "last_data_age_ms");
    jw_kuint(w, "rest_msgs", a->rest_msgs);
    s_hb_common(a, w);
    jw_obj_end(w);
}

/* ---- no-key mode ---- */

/* Without a key: poll the public REST endpoints until a signal (0) or no progress (75). */
static int s_run_nokey(app_t *a)
{
    hb_ready(a->hb, "polling public REST (no key)");
    log_warnx("kalshi: no API key configured: polling the public REST market and orderbook "
              "endpoints every %.1f s (no websocket, no official BRTI; data may be ~15 s old)",
              o_poll_s);
    while (!prog_stop) {
        rest_wait(a->rest, 50);
        rest_poll(a->rest);
        int64_t now = clock_mono_ns();
        s_tick_tables(a);
        int due = now - a->last_poll_mono >= (int64_t)(o_poll_s * 1e9);
        if (due) a->last_poll_mono = now;
        for (int k = 0; due && k < a->nser; k++) {
            int active;
            const kmkt_info_t *m;
            for (int i = 0; (m = kmkt_followed(a->ser[k].mk, i, &active)); i++) {
                char path[200];
                snprintf(path, sizeof path, "/markets/%s", m->ticker);
                rest_get(a->rest, path, K_POLL_MARKET, m->ticker, 0);
                snprintf(path, sizeof path, "/markets/%s/orderbook", m->ticker);
                rest_get(a->rest, path, K_POLL_BOOK, m->ticker, 0);
            }
        }
        hb_state(a->hb, !a->last_rest_data_mono ? "down"
                        : s_any_alarm(a) || now - a->last_rest_data_mono > 15 * NS_PER_S
                            ? "degraded" : "ok");
        hb_tick(a->hb);
        if (hb_idle_s(a->hb) > s_wo.progress_s) {
            log_crit("kalshi: no REST data for %.0f s: exiting 75", s_wo.progress_s);
            return PROG_EX_STALLED;
        }
    }
    return 0;
}

/* ---- main's steps ---- */

/* Options: the table, the environment and the command line (exits 64 on a bad value). */
static void s_parse(int argc, char **argv)
{
    opts_parse(PROG, "Follow Kalshi's 15-minute crypto markets: books, strikes, settlements, "
               "official indices.",
               s_opts, argc, argv, NULL);
    wsconn_opts_check(&s_wo);
}

/* Check what parsing cannot and fill in the environment's URLs; exits 64 naming
 * the option. Reads the key (no key: REST polling), opens --record, logs the
 * effective config. Returns 0, or the exit code. */
static int s_check(app_t *a)
{
    int demo = 0;
    if (!strcmp(o_env, "demo")) demo = 1;
    else if (strcmp(o_env, "prod")) opts_die("env", o_env, "expected prod or demo");
    if (!o_ws_url || !*o_ws_url)
        o_ws_url = xstrdup(demo ? "wss://demo-api.kalshi.co/trade-api/ws/v2"
                                : "wss://api.elections.kalshi.com/trade-api/ws/v2");
    if (!o_rest_url || !*o_rest_url)
        o_rest_url = xstrdup(demo ? "https://demo-api.kalshi.co/trade-api/v2"
                                  : "https://api.elections.kalshi.com/trade-api/v2");
    if (strncmp(o_rest_url, "https://", 8)) opts_die("rest-url", o_rest_url, "expected https://...");
    char host[256], path[512];
    int port;
    if (wsconn_parse_url(o_ws_url, host, sizeof host, &port, path, sizeof path) < 0)
        opts_die("ws-url", o_ws_url, "expected wss://host[:port][/path]");
    char serr[300];
    if (series_load(&a->set, o_series, NULL, serr, sizeof serr) < 0) opts_die("series", o_series, serr);
    for (int k = 0; k < a->set.n; k++)
        if (strpbrk(a->set.s[k].ticker, "/&?%#") || strlen(a->set.s[k].ticker) > 24)
            opts_die("series", a->set.s[k].ticker, "expected a series ticker such as KXBTC15M");
    char caerr[200];
    if (o_ca && *o_ca && wsconn_ca_check(o_ca, caerr, sizeof caerr) < 0)
        opts_die("ca-file", o_ca, caerr);
    int have_id = o_key_id && *o_key_id, have_file = o_key_file && *o_key_file;
    if (have_id != have_file)
        opts_die(have_id ? "key-file" : "key-id", "",
                 "--key-id and --key-file (KALSHI_API_KEY_ID, KALSHI_PRIV_KEY_PATH) go together");
    a->nokey = !have_id;
    if (!a->nokey) {
        int err;
        char why[600];
        a->auth = kalshi_auth_new(o_key_id, o_key_file, &err, why, sizeof why);
        if (!a->auth) {
            fprintf(stderr, PROG ": --key-file: %s\n", why);
            log_crit("%s", why);
            return EX_USAGE;
        }
    }
    a->rec = framerec_open_opt(o_record);
    if (a->rec && a->nokey)
        log_warnx("kalshi: --record: no websocket without a key, so no frame will be recorded");
    opts_log_effective(PROG, s_opts);
    return 0;
}

/* The bus PUB, the hb, the REST client and the market table. 0, or the exit code. */
static int s_bind(app_t *a)
{
    a->pub = prog_pub_new();
    if (!a->pub) return EX_UNAVAILABLE;
    srandom((unsigned)(clock_real_ns() ^ getpid()));
    rest_global(1);
    jw_init(&a->w, 4096);
    a->hb = hb_new(a->pub, s_hb_detail, a);
    a->rest = rest_new("kalshi", o_rest_url, o_ca && *o_ca ? o_ca : NULL, s_rest_sign, a, s_rest_cb,
                       a);
    a->nser = a->set.n;
    for (int k = 0; k < a->nser; k++) {
        ser_t *sr = &a->ser[k];
        sr->a = a;
        sr->s = &a->set.s[k];
        kmkt_cb_t mcb = {s_mk_publish, s_mk_event, s_mk_follow, s_mk_unfollow, s_mk_refresh,
                         s_mk_discover, sr};
        sr->mk = kmkt_new(&mcb, sr->s->ticker, o_presub, o_grace);
        /* staggered over the 3 s poll interval: the series' REST polls never come together */
        kmkt_set_phase(sr->mk, 3.0 * k / a->nser);
    }
    return 0;
}

/* With a key: the websocket session until a signal (0) or no progress (75). */
static int s_run_ws(app_t *a)
{
    kalshi_ws_cb_t wcb = {s_emit, s_ws_send, s_ws_lifecycle, a, s_ws_event, s_ws_probe_answered};
    char list[SERIES_MAX * 33] = "";
    size_t l = 0;
    for (int k = 0; k < a->nser; k++)
        l += (size_t)snprintf(list + l, sizeof list - l, "%s%s", k ? "," : "", a->ser[k].s->ticker);
    a->ws = kalshi_ws_new(&wcb, list, o_yes_price, o_stale);
    for (int k = 0; k < a->nser; k++) {
        char topic[64];
        series_index_topic(a->ser[k].s, topic, sizeof topic);
        if (kalshi_ws_index(a->ws, a->ser[k].s->index_id, topic) < 0)
            log_warnx("kalshi: index %s of %s not relayed (too many indices or too long a name)",
                      a->ser[k].s->index_id, a->ser[k].s->ticker);
    }
    wsconn_opts_t wo;
    wsconn_opts_default(&wo);
    wo.venue = "kalshi";
    wo.url = o_ws_url;
    wo.ca_file = o_ca && *o_ca ? o_ca : NULL;
    wsconn_opts_timers(&wo, &s_wo);
    wo.stale_s = 15;
    wo.pub = a->pub;
    wo.hb = a->hb;
    wo.record = a->rec;
    wo.arg = a;
    wo.on_headers = s_cb_headers;
    wo.on_open = s_cb_open;
    wo.on_message = s_cb_msg;
    wo.on_resubscribe = NULL; /* all data stopped (BRTI ticks every second): reconnect */
    /* the index ticks every second whatever the market: a silence far past the learned gaps,
     * the command path answering, is a mute without another venue to ask (docs/KALSHI.md) */
    wo.own_flow_evident = 1;
    wo.on_close = s_cb_close;
    wo.on_tick = s_cb_tick;
    wo.on_hb = s_cb_hb;
    wo.on_connect_error = s_cb_connect_error;
    wo.on_probe = s_cb_probe;
    char err[256];
    a->c = wsconn_new(&wo, err, sizeof err);
    if (!a->c) opts_die("ws-url", o_ws_url, err);
    hb_ready(a->hb, "connecting");
    int rc = wsconn_run(a->c, &prog_stop);
    wsconn_destroy(&a->c);
    kalshi_ws_destroy(&a->ws);
    return rc;
}

static void s_cleanup(app_t *a)
{
    for (int k = 0; k < a->nser; k++) kmkt_destroy(&a->ser[k].mk);
    rest_destroy(&a->rest);
    rest_global(0);
    kalshi_auth_destroy(&a->auth);
    hb_destroy(&a->hb);
    jw_free(&a->w);
    bus_pub_destroy(&a->pub);
    bus_ctx_term();
}

int main(int argc, char **argv)
{
    app_t *a = &A;
    s_parse(argc, argv);
    int rc = s_check(a);
    if (rc) return rc;
    if (opts_common.check) {
        kalshi_auth_destroy(&a->auth);
        framerec_close(&a->rec);
        return 0;
    }
    rc = s_bind(a);
    if (rc) return rc;
    prog_signals(PROG_SIG_RESTART);
    rc = a->nokey ? s_run_nokey(a) : s_run_ws(a);
    framerec_close(&a->rec);
    log_info("kalshi: stopping rc=%d", rc);
    s_cleanup(a);
    return rc;
}
