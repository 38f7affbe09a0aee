/* tick: the aggregator's state and record assembly (see tick.h, docs/RECORD.md). Messages are
 * read with jtok into exact fixed point (BTC prices and sizes at 1e-8, Kalshi prices at 1e-4 $,
 * Kalshi sizes at 1e-2); the record is written with jw. Nothing here reads a clock: the caller
 * passes the second and the instant the state is taken at. */
#include "tick.h"
#include "aggcfg.h"
#include "clock.h"
#include "jtok.h"
#include "log.h"
#include "util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PX8 100000000LL /* BTC prices, sizes, strikes, the index: 1e-8 */
#define KPX 10000LL     /* Kalshi prices: 1e-4 $ */
#define IDX 10          /* index values (official BRTI and averages): 1e-10, as feed-kalshi */
#define VENUES_MAX TICK_VENUES_MAX
#define LEVELS_MAX 1000 /* per side of a venue book; deeper levels are dropped (counted) */
#define MARKETS_MAX 32
#define KLEVELS_MAX 1000 /* per side of a Kalshi book: every 0.1-cent price from 0.1 to 99.9 */
#define RING 512 /* seconds of official/proxy history kept for settlement windows */
/* Largest price or size accepted from a book (fixed point): a sum over every level of a
 * side (LEVELS_MAX, KLEVELS_MAX <= 1000) stays below 1e18, inside int64. A venue's sizes are
 * never summed here (the RTI takes them as doubles), so they go up to what int64 holds: a
 * DOGE level of 1e7 coins (1e15 at 1e-8) or more is real. */
#define TICK_VAL_MAX 1000000000000000LL
#define TICK_VENUE_SZ_MAX INT64_MAX
/* An index value's own time more than this far from its arrival is refused (bad). */
#define INDEX_BEHIND_NS (3600 * NS_PER_S)
#define INDEX_AHEAD_NS (300 * NS_PER_S)

typedef struct {
    int64_t px, sz;
} lvl_t;

typedef struct {
    char name[TICK_VENUE_NAME];
    int expected; /* one of --venues: listed from the start, needed for state "ok" */
    int has_quote, q_has_bid, q_has_ask;
    int64_t q_bid, q_ask, q_rx, q_ex;
    int has_book, book_valid, nb, na;
    lvl_t *bids, *asks;
    int64_t b_rx, b_ex;
    uint64_t msgs, dropped_levels;
} venue_t;

typedef struct {
    int used;
    char ticker[80], status[32], result[16];
    int64_t open_ns, close_ns, exp_ns; /* -1: unknown */
    int has_strike, has_expval;
    int64_t strike, expval; /* 1e-8 */
    int64_t mk_rx;
    int has_book, book_valid, ny, nn;
    lvl_t yes[KLEVELS_MAX], no[KLEVELS_MAX]; /* px 1e-4 $, sz 1e-2, best first */
    int has_yes_ask, has_no_ask;
    int64_t yes_ask_msg, no_ask_msg;
    int64_t book_rx, book_pub;
    int has_last, has_vol, has_oi;
    int64_t last, vol, oi, tk_rx;
    /* event bookkeeping */
    int opened, strike_sent, frozen, settled;
    int64_t strike_sent_val, settled_s;
    int n_off, n_proxy;
    double avg_off, avg_proxy;
    int64_t win_from, win_to; /* the settlement window, whole seconds, both included */
} market_t;

typedef struct {
    int64_t sec;
    double v;
} sample_t;

/* A venue as the tick sees it: its touch (from the newer of quote and book), ages, health. */
typedef struct {
    int ok, has_bid, has_ask, has_lag;
    int64_t bid, ask, age_ns, lag_ns, last_rx;
    const char *reason;
} vview_t;

/* The view of one second (s_view): what the events and the record read, computed once. */
typedef struct {
    int64_t ts_s, now;
    vview_t vv[VENUES_MAX];
    int nok;                                      /* venues ok */
    int expected_ok;                              /* every expected venue is ok */
    rti_venue_t rv[VENUES_MAX], mv[VENUES_MAX];   /* RTI input (books), median input (touches) */
    rti_level_t top[VENUES_MAX][2];               /* the touches mv points to */
    int nrv, nmv;
    rti_result_t res; /* the RTI's result, its borrowed parts valid until the next s_view */
    int rti_ok;
    const char *rti_why;     /* why no RTI value */
    double rti_v, med;       /* RTI (rounded) and median of mids; NAN when none */
    int off_fresh;           /* the official value is recent enough to be the price */
    double off_v, proxy, brti; /* official, the proxy (RTI or median), the tick's price; NAN */
    const char *src;         /* "official", "rti", "median", NULL */
    const char *state;       /* "ok", "degraded", "down" */
} view_t;

struct tick {
    tick_cfg_t cfg;
    tick_event_fn *emit;
    void *arg;
    venue_t venue[VENUES_MAX];
    int nvenue;
    market_t market[MARKETS_MAX];
    int has_official;
    int64_t official, official_rx, official_sec;
    int has_avg60, has_kavg;
    int64_t avg60, kavg, kavg_end_s; /* Kalshi's 60 s average and its settlement-window average */
    int64_t kavg_from_s, kavg_to_s;  /* that window from its own fields, seconds included (0: none) */
    sample_t off_ring[RING], proxy_ring[RING];
    rti_state_t *rti;
    rti_level_t *lv; /* scratch for rti input */
    jtok_t d;
    jw_t ev;
    uint64_t lost_since_tick, late_since_tick;
    tick_stats_t st;
    int64_t last_ts;
    const char *state;
    view_t view; /* the last second's */
    char no_index[64]; /* health.reasons.brti_official without any: "no index.brti message" */
};

/* The venues of the Go collector's top-level mid fields, in its order: these fields stay as they
 * are whatever --venues says (docs/RECORD.md, 'The Go collector's fields'); other venues are
 * only in `venues`. */
static const char *const s_legacy_venues[] = {"coinbase", "kraken", "bitstamp"};

/* A venue name: 1 to TICK_VENUE_NAME - 1 of [a-z0-9-]. */
static int s_venue_name_ok(const char *p, size_t n)
{
    return n > 0 && n < TICK_VENUE_NAME && strspn(p, "abcdefghijklmnopqrstuvwxyz0123456789-") >= n;
}

int tick_cfg_venues(tick_cfg_t *c, const char *list)
{
    char v[TICK_VENUES_MAX][TICK_VENUE_NAME];
    int n = 0;
    for (const char *p = list ? list : ""; n == 0 || *p; n++) {
        size_t k = strcspn(p, ",");
        if (n == TICK_VENUES_MAX || !s_venue_name_ok(p, k)) return -1;
        memcpy(v[n], p, k);
        v[n][k] = '\0';
        for (int j = 0; j < n; j++)
            if (!strcmp(v[j], v[n])) return -1;
        p += k;
        if (*p == ',' && !*++p) return -1; /* a trailing ',' */
    }
    memcpy(c->expected, v, sizeof v);
    c->n_expected = n;
    return 0;
}

void tick_cfg_series(tick_cfg_t *c, const series_t *s)
{
    snprintf(c->series, sizeof c->series, "%s", s->ticker);
    snprintf(c->pair, sizeof c->pair, "%s", s->pair);
    series_index_topic(s, c->index_topic, sizeof c->index_topic);
    snprintf(c->market_prefix, sizeof c->market_prefix, "%s-", s->ticker);
}

void tick_cfg_default(tick_cfg_t *c)
{
    aggcfg_t *a = aggcfg_new(); /* the option table's defaults, the only ones */
    *c = a->tick;
    aggcfg_destroy(&a);
}

static venue_t *s_venue(tick_t *t, const char *name, size_t n)
{
    for (int i = 0; i < t->nvenue; i++)
        if (strlen(t->venue[i].name) == n && !memcmp(t->venue[i].name, name, n))
            return &t->venue[i];
    if (t->nvenue == VENUES_MAX || n == 0 || n >= sizeof t->venue[0].name) return NULL;
    venue_t *v = &t->venue[t->nvenue++];
    memcpy(v->name, name, n);
    v->name[n] = '\0';
    v->bids = xcalloc(LEVELS_MAX, sizeof *v->bids);
    v->asks = xcalloc(LEVELS_MAX, sizeof *v->asks);
    return v;
}

tick_t *tick_new(const tick_cfg_t *cfg, tick_event_fn *emit, void *arg)
{
    tick_t *t = xcalloc(1, sizeof *t);
    t->cfg = *cfg;
    t->emit = emit;
    t->arg = arg;
    for (int i = 0; i < cfg->n_expected; i++) {
        venue_t *v = s_venue(t, cfg->expected[i], strlen(cfg->expected[i]));
        if (v) v->expected = 1;
    }
    t->rti = rti_state_new();
    t->lv = xcalloc(2 * LEVELS_MAX, sizeof *t->lv);
    jtok_init(&t->d);
    jw_init(&t->ev, 1024);
    for (int i = 0; i < RING; i++) t->off_ring[i].sec = t->proxy_ring[i].sec = -1;
    t->last_ts = -1;
    snprintf(t->no_index, sizeof t->no_index, "no %s message", cfg->index_topic);
    return t;
}

void tick_destroy(tick_t **p)
{
    if (!p || !*p) return;
    tick_t *t = *p;
    for (int i = 0; i < t->nvenue; i++) {
        free(t->venue[i].bids);
        free(t->venue[i].asks);
    }
    rti_state_destroy(&t->rti);
    free(t->lv);
    jtok_free(&t->d);
    jw_free(&t->ev);
    free(t);
    *p = NULL;
}

const tick_stats_t *tick_stats(const tick_t *t) { return &t->st; }

const char *tick_state(const tick_t *t) { return t->state ? t->state : "ok"; }

/* ---- reading ---- */

/* First of KEYS present and not null in object OBJ, or -1. */
static int s_get_any(const jtok_t *d, int obj, const char *const *keys)
{
    for (; *keys; keys++) {
        int i = jtok_get(d, obj, *keys);
        if (i >= 0 && !jtok_is_null(d, i)) return i;
    }
    return -1;
}

/* A time as an ISO-8601 string or a number of s/ms/us/ns since the epoch (number or numeric
 * string), into ns. */
static int s_time(const jtok_t *d, int i, int64_t *ns)
{
    int ty = jtok_type(d, i);
    if (ty != JSMN_STRING && ty != JSMN_PRIMITIVE) return -1;
    size_t len;
    const char *p = jtok_text(d, i, &len);
    int64_t v;
    if (num_parse_fixed(p, len, 0, &v) == 0) {
        int64_t unit = v > 100000000000000000LL ? 1 : v > 100000000000000LL ? 1000
                       : v > 100000000000LL     ? NS_PER_MS : NS_PER_S;
        return v <= 0 ? -1 : clock_from_units(v, unit, ns); /* never past CLOCK_MAX_NS */
    }
    if (ty != JSMN_STRING) return -1;
    return clock_parse_iso(p, len, ns);
}

static int s_bool_false(const jtok_t *d, int i)
{
    return jtok_type(d, i) == JSMN_PRIMITIVE && jtok_eq(d, i, "false");
}

/* Read a ladder [[px,sz],..] at token ARR into OUT (at most MAX), prices at PSCALE, sizes at
 * SSCALE up to SZMAX; levels with size 0 are dropped. Returns the count, or -1 if malformed;
 * *dropped counts levels beyond MAX. */
static int s_ladder(const jtok_t *d, int arr, int pscale, int sscale, int64_t szmax, lvl_t *out,
                    int max, uint64_t *dropped)
{
    if (jtok_type(d, arr) != JSMN_ARRAY) return -1;
    int n = jtok_size(d, arr), k = 0, i = arr + 1;
    for (int e = 0; e < n; e++) {
        if (jtok_type(d, i) != JSMN_ARRAY || jtok_size(d, i) < 2) return -1;
        int64_t px, sz;
        if (jtok_fixed(d, i + 1, pscale, &px) < 0 ||
            jtok_fixed(d, jtok_skip(d, i + 1), sscale, &sz) < 0 || px <= 0 || sz < 0 ||
            px > TICK_VAL_MAX || sz > szmax)
            return -1;
        if (sz > 0) {
            if (k < max) out[k++] = (lvl_t){px, sz};
            else if (dropped) (*dropped)++;
        }
        i = jtok_skip(d, i);
    }
    return k;
}

static int s_cmp_desc(const void *a, const void *b)
{
    const lvl_t *x = a, *y = b;
    return x->px < y->px ? 1 : x->px > y->px ? -1 : 0;
}

static int s_on_quote(tick_t *t, const bus_msg_t *m, venue_t *v)
{
    jtok_t *d = &t->d;
    int64_t bid = 0, ask = 0;
    int ib = jtok_get(d, 0, "bid"), ia = jtok_get(d, 0, "ask");
    int hb = ib >= 0 && !jtok_is_null(d, ib), ha = ia >= 0 && !jtok_is_null(d, ia);
    if ((hb && jtok_fixed(d, ib, 8, &bid) < 0) || (ha && jtok_fixed(d, ia, 8, &ask) < 0)) return -1;
    v->has_quote = 1;
    v->q_has_bid = hb && bid > 0;
    v->q_has_ask = ha && ask > 0;
    v->q_bid = bid;
    v->q_ask = ask;
    v->q_rx = m->ts_rx;
    v->q_ex = m->ts_ex;
    return 1;
}

static int s_on_book(tick_t *t, const bus_msg_t *m, venue_t *v)
{
    jtok_t *d = &t->d;
    int ib = jtok_get(d, 0, "bids"), ia = jtok_get(d, 0, "asks");
    int nb = ib >= 0 && !jtok_is_null(d, ib)
                 ? s_ladder(d, ib, 8, 8, TICK_VENUE_SZ_MAX, v->bids, LEVELS_MAX, &v->dropped_levels)
                 : 0;
    int na = ia >= 0 && !jtok_is_null(d, ia)
                 ? s_ladder(d, ia, 8, 8, TICK_VENUE_SZ_MAX, v->asks, LEVELS_MAX, &v->dropped_levels)
                 : 0;
    v->has_book = 1;
    v->b_rx = m->ts_rx;
    v->b_ex = m->ts_ex;
    if (nb < 0 || na < 0) { /* keep the time (the feed is alive) but not the content */
        v->nb = v->na = 0;
        v->book_valid = 0;
        return -1;
    }
    v->nb = nb;
    v->na = na;
    v->book_valid = !s_bool_false(d, jtok_get(d, 0, "valid"));
    return 1;
}

static market_t *s_market(tick_t *t, const char *tk, size_t n, int create)
{
    market_t *free_slot = NULL;
    if (n == 0 || n >= sizeof t->market[0].ticker) return NULL;
    for (int i = 0; i < MARKETS_MAX; i++) {
        market_t *mk = &t->market[i];
        if (!mk->used) {
            if (!free_slot) free_slot = mk;
            continue;
        }
        if (strlen(mk->ticker) == n && !memcmp(mk->ticker, tk, n)) return mk;
    }
    if (!create) return NULL;
    if (!free_slot) { /* evict the market that closed longest ago */
        for (int i = 0; i < MARKETS_MAX; i++)
            if (!free_slot || t->market[i].close_ns < free_slot->close_ns)
                free_slot = &t->market[i];
    }
    memset(free_slot, 0, sizeof *free_slot);
    free_slot->used = 1;
    memcpy(free_slot->ticker, tk, n);
    free_slot->open_ns = free_slot->close_ns = free_slot->exp_ns = -1;
    return free_slot;
}

static int s_on_kalshi_market(tick_t *t, const bus_msg_t *m, market_t *mk)
{
    jtok_t *d = &t->d;
    static const char *const k_status[] = {"status", NULL};
    static const char *const k_open[] = {"open_time", "open_ts", NULL};
    static const char *const k_close[] = {"close_time", "close_ts", NULL};
    static const char *const k_exp[] = {"expected_expiration_time", "expected_expiration_ts",
                                        NULL};
    static const char *const k_strike[] = {"floor_strike", "strike", NULL};
    static const char *const k_result[] = {"result", NULL};
    static const char *const k_expval[] = {"expiration_value", NULL};
    int i, bad = 0;
    if ((i = s_get_any(d, 0, k_status)) >= 0) jtok_str(d, i, mk->status, sizeof mk->status);
    if ((i = s_get_any(d, 0, k_open)) >= 0 && s_time(d, i, &mk->open_ns) < 0) bad = 1;
    if ((i = s_get_any(d, 0, k_close)) >= 0 && s_time(d, i, &mk->close_ns) < 0) bad = 1;
    if ((i = s_get_any(d, 0, k_exp)) >= 0 && s_time(d, i, &mk->exp_ns) < 0) bad = 1;
    if ((i = s_get_any(d, 0, k_strike)) >= 0) {
        if (jtok_fixed(d, i, 8, &mk->strike) == 0 && mk->strike > 0) mk->has_strike = 1;
        else bad = 1;
    }
    if ((i = s_get_any(d, 0, k_result)) >= 0) jtok_str(d, i, mk->result, sizeof mk->result);
    if ((i = s_get_any(d, 0, k_expval)) >= 0) {
        size_t len;
        jtok_text(d, i, &len);
        if (len == 0) { /* "" before settlement */
        } else if (jtok_fixed(d, i, 8, &mk->expval) == 0 && mk->expval > 0) mk->has_expval = 1;
        else bad = 1;
    }
    mk->mk_rx = m->ts_rx;
    return bad ? -1 : 1;
}

static int s_on_kalshi_book(tick_t *t, const bus_msg_t *m, market_t *mk)
{
    jtok_t *d = &t->d;
    static const char *const k_yes[] = {"yes", "yes_bids", "yes_dollars", "yes_dollars_fp", NULL};
    static const char *const k_no[] = {"no", "no_bids", "no_dollars", "no_dollars_fp", NULL};
    int iy = s_get_any(d, 0, k_yes), in = s_get_any(d, 0, k_no);
    int ny = iy >= 0 ? s_ladder(d, iy, 4, 2, TICK_VAL_MAX, mk->yes, KLEVELS_MAX, NULL) : 0;
    int nn = in >= 0 ? s_ladder(d, in, 4, 2, TICK_VAL_MAX, mk->no, KLEVELS_MAX, NULL) : 0;
    mk->has_book = 1;
    mk->book_rx = m->ts_rx;
    mk->book_pub = m->ts_pub;
    if (ny < 0 || nn < 0) {
        mk->ny = mk->nn = 0;
        mk->book_valid = 0;
        return -1;
    }
    mk->ny = ny;
    mk->nn = nn;
    qsort(mk->yes, (size_t)ny, sizeof mk->yes[0], s_cmp_desc);
    qsort(mk->no, (size_t)nn, sizeof mk->no[0], s_cmp_desc);
    mk->book_valid = !s_bool_false(d, jtok_get(d, 0, "valid"));
    int i;
    mk->has_yes_ask = (i = jtok_get(d, 0, "yes_ask")) >= 0 && jtok_fixed(d, i, 4, &mk->yes_ask_msg) == 0;
    mk->has_no_ask = (i = jtok_get(d, 0, "no_ask")) >= 0 && jtok_fixed(d, i, 4, &mk->no_ask_msg) == 0;
    return 1;
}

static int s_on_kalshi_ticker(tick_t *t, const bus_msg_t *m, market_t *mk)
{
    jtok_t *d = &t->d;
    static const char *const k_last[] = {"last_price", "last_price_dollars", "price", NULL};
    static const char *const k_vol[] = {"volume", "volume_fp", NULL};
    static const char *const k_oi[] = {"open_interest", "open_interest_fp", NULL};
    int i, bad = 0;
    if ((i = s_get_any(d, 0, k_last)) >= 0) {
        if (jtok_fixed(d, i, 4, &mk->last) == 0) mk->has_last = 1;
        else bad = 1;
    }
    if ((i = s_get_any(d, 0, k_vol)) >= 0) {
        if (jtok_fixed(d, i, 2, &mk->vol) == 0) mk->has_vol = 1;
        else bad = 1;
    }
    if ((i = s_get_any(d, 0, k_oi)) >= 0) {
        if (jtok_fixed(d, i, 2, &mk->oi) == 0) mk->has_oi = 1;
        else bad = 1;
    }
    mk->tk_rx = m->ts_rx;
    return bad ? -1 : 1;
}

static int s_on_index(tick_t *t, const bus_msg_t *m)
{
    jtok_t *d = &t->d;
    static const char *const k_time[] = {"time_ms", "time", "ts_ms", NULL};
    int64_t v, at;
    int i = jtok_get(d, 0, "value");
    if (i < 0 || jtok_fixed(d, i, IDX, &v) < 0 || v <= 0) return -1;
    if ((i = s_get_any(d, 0, k_time)) < 0) at = m->ts_ex >= 0 ? m->ts_ex : m->ts_rx;
    else if (s_time(d, i, &at) < 0) at = -1; /* a time, but not one we can hold */
    if (at < 0 || !clock_near(at, m->ts_rx, INDEX_BEHIND_NS, INDEX_AHEAD_NS)) {
        log_warnx_rl("%s from %s: its time is %lld s from its arrival: refused",
                     t->cfg.index_topic, m->src,
                     (long long)((at / NS_PER_S) - (m->ts_rx / NS_PER_S)));
        return -1; /* counted as bad */
    }
    t->has_official = 1;
    t->official = v;
    t->official_rx = m->ts_rx;
    t->official_sec = at / NS_PER_S;
    sample_t *s = &t->off_ring[t->official_sec % RING];
    s->sec = t->official_sec;
    s->v = (double)v / 1e10;
    static const char *const k_avg[] = {"avg_60s", "avg_60s_value", NULL};
    i = s_get_any(d, 0, k_avg);
    if (jtok_type(d, i) == JSMN_OBJECT) i = jtok_get(d, i, "value");
    t->has_avg60 = i >= 0 && jtok_fixed(d, i, IDX, &t->avg60) == 0;
    i = jtok_get(d, 0, "settle_avg_60s");
    if (jtok_type(d, i) == JSMN_OBJECT) {
        int64_t v2, end = 0;
        int64_t start = 0;
        int iv = jtok_get(d, i, "value"), ie = jtok_get(d, i, "window_end_ms");
        int is = jtok_get(d, i, "window_start_ms");
        if (jtok_fixed(d, iv, IDX, &v2) == 0 && v2 > 0) {
            t->has_kavg = 1;
            t->kavg = v2;
            /* Kalshi's window is (close - 60 s, close]: the value at the close
             * counts. Its fields say so as [window_start_ts_ms,
             * window_end_ts_exclusive); whole seconds inside: from..to. */
            int have = jtok_int(d, ie, &end) == 0 && end > 0 && jtok_int(d, is, &start) == 0 &&
                       start > 0 && start < end;
            t->kavg_from_s = have ? (start + 999) / 1000 : 0;
            t->kavg_to_s = have ? (end - 1) / 1000 : 0;
            t->kavg_end_s = have ? t->kavg_to_s : t->official_sec;
        }
    }
    return 1;
}

static void s_event_begin(tick_t *t, const char *kind, int64_t ts_s)
{
    char iso[40];
    jw_fragment(&t->ev);
    jw_kstr(&t->ev, "type", kind);
    jw_kstr(&t->ev, "ts", clock_fmt_iso(ts_s * NS_PER_S, iso, sizeof iso));
}

static void s_event_send(tick_t *t, const char *kind)
{
    char topic[64];
    snprintf(topic, sizeof topic, "event.%s", kind);
    t->st.events++;
    if (t->emit) t->emit(topic, t->ev.buf, t->ev.len, t->arg);
}

int tick_on_msg(tick_t *t, const bus_msg_t *m)
{
    t->st.msgs++;
    if (m->lost) {
        t->st.bus_lost += m->lost;
        t->st.bus_gaps++;
        t->lost_since_tick += m->lost;
        s_event_begin(t, "gap", m->ts_rx / NS_PER_S);
        jw_kstr(&t->ev, "kind", "bus");
        jw_kstr(&t->ev, "from_src", m->src);
        jw_kstr(&t->ev, "from_epoch", m->epoch);
        jw_kuint(&t->ev, "lost", m->lost);
        jw_kuint(&t->ev, "before_seq", m->seq);
        jw_kstr(&t->ev, "why", "bus seq jump (subscriber fell behind or reconnected)");
        s_event_send(t, "gap");
    }
    if (m->restarted) t->st.restarts++;
    const char *tp = m->topic;
    size_t tl = m->topic_len;
    int is_quote = tl > 6 && !memcmp(tp, "quote.", 6), is_book = tl > 5 && !memcmp(tp, "book.", 5);
    int kind = 0; /* 1 market, 2 book, 3 ticker */
    const char *rest = NULL, *vn = NULL;
    size_t vl = 0;
    if (tl > 14 && !memcmp(tp, "kalshi.market.", 14)) kind = 1, rest = tp + 14;
    else if (tl > 12 && !memcmp(tp, "kalshi.book.", 12)) kind = 2, rest = tp + 12;
    else if (tl > 14 && !memcmp(tp, "kalshi.ticker.", 14)) kind = 3, rest = tp + 14;
    int is_index = tl == strlen(t->cfg.index_topic) && !memcmp(tp, t->cfg.index_topic, tl);
    if (is_quote || is_book) { /* quote.VENUE.PAIR: another pair is another series' */
        vn = tp + (is_quote ? 6 : 5);
        const char *dot = memchr(vn, '.', tl - (size_t)(vn - tp));
        size_t pl = strlen(t->cfg.pair);
        if (!dot || tl - (size_t)(dot + 1 - tp) != pl || memcmp(dot + 1, t->cfg.pair, pl))
            is_quote = is_book = 0;
        else vl = (size_t)(dot - vn);
    }
    if (kind) { /* another series' market (its ticker starts with that series' own) */
        size_t pl = strlen(t->cfg.market_prefix);
        if (tl - (size_t)(rest - tp) <= pl || memcmp(rest, t->cfg.market_prefix, pl)) kind = 0;
    }
    if (!is_quote && !is_book && !kind && !is_index) {
        t->st.ignored++;
        return 0;
    }
    if (jtok_parse(&t->d, m->body, m->body_len) < 0 || jtok_type(&t->d, 0) != JSMN_OBJECT) {
        t->st.bad++;
        log_warnx_rl("bad json topic=%s src=%s", m->topic, m->src);
        return -1;
    }
    int rc;
    if (is_quote || is_book) {
        venue_t *v = s_venue(t, vn, vl);
        if (!v) {
            t->st.ignored++;
            return 0;
        }
        v->msgs++;
        rc = is_quote ? s_on_quote(t, m, v) : s_on_book(t, m, v);
    } else if (is_index) {
        rc = s_on_index(t, m);
    } else {
        market_t *mk = s_market(t, rest, tl - (size_t)(rest - tp), 1);
        if (!mk) rc = -1;
        else if (kind == 1) rc = s_on_kalshi_market(t, m, mk);
        else if (kind == 2) rc = s_on_kalshi_book(t, m, mk);
        else rc = s_on_kalshi_ticker(t, m, mk);
    }
    if (rc < 0) {
        t->st.bad++;
        log_warnx_rl("bad message topic=%s src=%s seq=%llu", m->topic, m->src,
                     (unsigned long long)m->seq);
    }
    if (t->last_ts >= 0 && m->ts_pub < t->last_ts * NS_PER_S) {
        /* published before the last tick's boundary but arrived after that tick was written */
        t->late_since_tick++;
        t->st.late++;
    }
    return rc;
}

void tick_replay_until(tick_t *t, int64_t *next_s, int64_t now_ns, jw_t *w, tick_out_fn *out,
                       void *arg)
{
    if (*next_s < 0) {
        *next_s = now_ns / NS_PER_S + 1;
        return;
    }
    for (; now_ns >= *next_s * NS_PER_S; ++*next_s) {
        tick_write(t, *next_s, *next_s * NS_PER_S, w);
        out(*next_s, w, arg);
    }
}

int tick_replay_msg(tick_t *t, int64_t *next_s, const bus_msg_t *m, jw_t *w, tick_out_fn *out,
                    void *arg)
{
    tick_replay_until(t, next_s, m->ts_pub, w, out, arg);
    return tick_on_msg(t, m);
}

/* ---- the record ---- */

static void s_venue_view(const tick_t *t, const venue_t *v, int64_t now, vview_t *o)
{
    memset(o, 0, sizeof *o);
    o->age_ns = o->lag_ns = -1;
    if (!v->has_quote && !v->has_book) {
        o->reason = "no data";
        return;
    }
    int use_quote = v->has_quote && (!v->has_book || v->q_rx >= v->b_rx);
    o->last_rx = use_quote ? v->q_rx : v->b_rx;
    if (v->has_book && v->b_rx > o->last_rx) o->last_rx = v->b_rx;
    o->age_ns = now - o->last_rx;
    int64_t ex = use_quote ? v->q_ex : v->b_ex, rx = use_quote ? v->q_rx : v->b_rx;
    if (ex >= 0) o->has_lag = 1, o->lag_ns = rx - ex;
    if (use_quote) {
        o->has_bid = v->q_has_bid, o->bid = v->q_bid;
        o->has_ask = v->q_has_ask, o->ask = v->q_ask;
    } else {
        for (int i = 0; i < v->nb; i++)
            if (!o->has_bid || v->bids[i].px > o->bid) o->has_bid = 1, o->bid = v->bids[i].px;
        for (int i = 0; i < v->na; i++)
            if (!o->has_ask || v->asks[i].px < o->ask) o->has_ask = 1, o->ask = v->asks[i].px;
    }
    if (v->has_book && !v->book_valid && v->b_rx >= o->last_rx) o->reason = "invalid book";
    else if ((double)o->age_ns >= t->cfg.stale_s * NS_PER_S) o->reason = "stale";
    else if (!o->has_bid || !o->has_ask) o->reason = "empty side";
    else if (o->bid >= o->ask) o->reason = "crossed";
    else o->ok = 1;
}

/* Mid at 1e-9 (exact: (bid + ask) / 2 at 1e-8 needs one more digit). */
static int64_t s_mid9(const vview_t *v) { return (v->bid + v->ask) * 5; }

static void s_reason(jw_t *w, int *open, const char *field, const char *why)
{
    if (!*open) {
        jw_key(w, "reasons");
        jw_obj(w);
        *open = 1;
    }
    jw_kstr(w, field, why);
}

static double s_window_avg(const sample_t *ring, int64_t from, int64_t to, int *n)
{
    double sum = 0;
    *n = 0;
    if (to < 0) return NAN;
    if (from < 0) from = 0;
    if (to - from >= RING) from = to - RING + 1; /* the ring holds no more */
    for (int64_t s = from; s <= to; s++) {
        const sample_t *x = &ring[s % RING];
        if (x->sec == s) sum += x->v, (*n)++;
    }
    return *n ? sum / *n : NAN;
}

static void s_kdbl_or_null(jw_t *w, const char *k, double v, int prec)
{
    if (isfinite(v)) jw_kdbl(w, k, v, prec);
    else jw_knull(w, k);
}

static void s_kiso(jw_t *w, const char *k, int64_t ns)
{
    char iso[40];
    if (ns < 0) jw_knull(w, k);
    else jw_kstr(w, k, clock_fmt_iso(ns, iso, sizeof iso));
}

static int s_market_listed(const market_t *mk, int64_t ts_s)
{
    if (!mk->used) return 0;
    if (mk->open_ns >= 0) return ts_s * NS_PER_S >= mk->open_ns;
    if (!strcmp(mk->status, "active") || !strcmp(mk->status, "open")) return 1;
    /* known only from its book (feed-kalshi publishes kalshi.market on change, so a late joiner
     * may not have seen it): listed, with status "unknown" and a reason */
    return mk->mk_rx == 0 && mk->has_book;
}

/* event.settlement of MK at TS_S: the window's averages against Kalshi's expiration value
 * (FINAL: Kalshi published its result and value, else the timeout). */
static void s_settlement_event(tick_t *t, const market_t *mk, int64_t ts_s, int final)
{
    int64_t close_s = mk->close_ns / NS_PER_S;
    jw_t *w = &t->ev;
    int ro = 0;
    s_event_begin(t, "settlement", ts_s);
    jw_kstr(w, "ticker", mk->ticker);
    s_kiso(w, "close_time", mk->close_ns);
    s_kiso(w, "window_from", mk->win_from * NS_PER_S);
    s_kiso(w, "window_to", mk->win_to * NS_PER_S);
    if (mk->has_strike) jw_kfixed(w, "strike", mk->strike, 8, 0);
    else jw_knull(w, "strike");
    s_kdbl_or_null(w, "official_avg", mk->avg_off, 8);
    jw_kint(w, "official_n", mk->n_off);
    s_kdbl_or_null(w, "proxy_avg", mk->avg_proxy, 8);
    jw_kint(w, "proxy_n", mk->n_proxy);
    /* Kalshi's own running window average, if its window ended at this close */
    if (t->has_kavg && t->kavg_end_s == close_s) jw_kfixed(w, "kalshi_window_avg", t->kavg, IDX, 2);
    else jw_knull(w, "kalshi_window_avg");
    jw_kstr(w, "proxy_method", t->cfg.method == TICK_METHOD_RTI ? "rti" : "median");
    double ev = mk->has_expval ? (double)mk->expval / PX8 : NAN;
    if (mk->has_expval) jw_kfixed(w, "expiration_value", mk->expval, 8, 0);
    else jw_knull(w, "expiration_value");
    if (mk->result[0]) jw_kstr(w, "result", mk->result);
    else jw_knull(w, "result");
    jw_kstr(w, "status", mk->status);
    s_kdbl_or_null(w, "proxy_err_bps", (mk->avg_proxy - ev) / ev * 1e4, 3);
    s_kdbl_or_null(w, "official_err_bps", (mk->avg_off - ev) / ev * 1e4, 3);
    if (mk->has_strike && isfinite(mk->avg_proxy)) {
        /* what the proxy alone would have settled: greater_or_equal the strike */
        int yes = mk->avg_proxy >= (double)mk->strike / PX8;
        jw_kstr(w, "proxy_result", yes ? "yes" : "no");
    } else {
        jw_knull(w, "proxy_result");
    }
    if (!mk->has_expval) s_reason(w, &ro, "expiration_value", final ? "missing" : "timeout");
    if (!mk->result[0]) s_reason(w, &ro, "result", "not published by Kalshi in time");
    if (!mk->n_off) s_reason(w, &ro, "official_avg", "no official value in the window");
    if (!mk->n_proxy) s_reason(w, &ro, "proxy_avg", "no proxy value in the window");
    if (ro) jw_obj_end(w);
    s_event_send(t, "settlement");
}

static void s_emit_market_events(tick_t *t, market_t *mk, int64_t ts_s)
{
    if (!mk->opened && mk->mk_rx) {
        mk->opened = 1;
        s_event_begin(t, "market_open", ts_s);
        jw_kstr(&t->ev, "ticker", mk->ticker);
        jw_kstr(&t->ev, "status", mk->status);
        s_kiso(&t->ev, "open_time", mk->open_ns);
        s_kiso(&t->ev, "close_time", mk->close_ns);
        s_kiso(&t->ev, "expected_expiration_time", mk->exp_ns);
        if (mk->has_strike) jw_kfixed(&t->ev, "strike", mk->strike, 8, 0);
        else jw_knull(&t->ev, "strike");
        s_event_send(t, "market_open");
    }
    if (mk->has_strike && (!mk->strike_sent || mk->strike_sent_val != mk->strike)) {
        s_event_begin(t, "strike_set", ts_s);
        jw_kstr(&t->ev, "ticker", mk->ticker);
        jw_kfixed(&t->ev, "strike", mk->strike, 8, 0);
        if (mk->strike_sent) jw_kfixed(&t->ev, "previous", mk->strike_sent_val, 8, 0);
        s_kiso(&t->ev, "close_time", mk->close_ns);
        mk->strike_sent = 1;
        mk->strike_sent_val = mk->strike;
        s_event_send(t, "strike_set");
    }
    if (mk->close_ns < 0) return;
    int64_t close_s = mk->close_ns / NS_PER_S;
    if (!mk->frozen && ts_s >= close_s + t->cfg.settle_grace_s) {
        /* (close - window, close], or Kalshi's own window when its averages say */
        int64_t from = close_s - t->cfg.settle_window_s + 1, to = close_s;
        if (t->has_kavg && t->kavg_end_s == close_s && t->kavg_from_s > 0)
            from = t->kavg_from_s, to = t->kavg_to_s;
        mk->win_from = from;
        mk->win_to = to;
        mk->avg_off = s_window_avg(t->off_ring, from, to, &mk->n_off);
        mk->avg_proxy = s_window_avg(t->proxy_ring, from, to, &mk->n_proxy);
        mk->frozen = 1;
    }
    int final = mk->has_expval && mk->result[0];
    if (mk->frozen && !mk->settled && (final || ts_s >= close_s + t->cfg.settle_timeout_s)) {
        mk->settled = 1;
        mk->settled_s = ts_s;
        s_settlement_event(t, mk, ts_s, final);
    }
}

/* The Go collector's integer fields (docs/RECORD.md "Go collector's fields"): a Kalshi price
 * (1e-4 $) as whole cents rounded so that it never shows a better price than exists (a bid down,
 * an ask up), 0 when unknown; sizes (1e-2) as whole contracts rounded down. */
static int64_t s_cents_down(int64_t px) { return px / 100; }
static int64_t s_cents_up(int64_t px) { return (px + 99) / 100; }

static void s_kdollars(jw_t *w, const char *k, int has, int64_t px)
{
    if (has) jw_kfixed(w, k, px, 4, 2);
    else jw_knull(w, k);
}

/* Exact ladder, best first: [[$, contracts]], at most MAX levels. */
static void s_write_book(jw_t *w, const char *k, const lvl_t *l, int n, int max)
{
    jw_key(w, k);
    jw_arr(w);
    for (int i = 0; i < n && i < max; i++) {
        jw_arr(w);
        jw_fixed(w, l[i].px, 4, 2);
        jw_fixed(w, l[i].sz, 2, 0);
        jw_arr_end(w);
    }
    jw_arr_end(w);
}

/* The Go collector's book: bids L (best first, N) as [[cents, contracts]] ascending by price
 * (Kalshi's order, best bid last), every level; prices rounded down to the cent, levels landing
 * on the same cent merged, the merged size rounded down; levels below 1 cent or 1 contract left
 * out. Returns the levels (written under K only when W is not NULL). */
static int s_go_book(jw_t *w, const char *k, const lvl_t *l, int n)
{
    int out = 0;
    for (int i = n - 1; i >= 0;) {
        int64_t c = s_cents_down(l[i].px), sz = 0;
        for (; i >= 0 && s_cents_down(l[i].px) == c; i--) sz += l[i].sz;
        if (c < 1 || sz < 100) continue;
        if (w) {
            if (!out) {
                jw_key(w, k);
                jw_arr(w);
            }
            jw_arr(w);
            jw_int(w, c);
            jw_int(w, sz / 100);
            jw_arr_end(w);
        }
        out++;
    }
    if (w && out) jw_arr_end(w);
    return out;
}

static void s_write_market(tick_t *t, jw_t *w, market_t *mk, int64_t ts_s, int64_t now)
{
    int ro = 0;
    jw_obj(w);
    /* the Go collector's fields keep its relative order: ticker, yes_bid, yes_ask, last_price,
     * volume, open_interest, strike, secs_left, status, result, yes_book, no_book */
    jw_kstr(w, "ticker", mk->ticker);
    int64_t age = mk->has_book ? now - mk->book_rx : -1;
    /* feed-kalshi republishes an unchanged book each second with the ts_rx of its last change:
     * liveness is the publication, book_age_ms the age of the content */
    int fresh = mk->has_book && mk->book_valid &&
                (double)(now - mk->book_pub) < t->cfg.kalshi_stale_s * NS_PER_S;
    int hyb = fresh && mk->ny > 0, hnb = fresh && mk->nn > 0;
    int64_t yb = hyb ? mk->yes[0].px : 0, nb = hnb ? mk->no[0].px : 0;
    int hya = hnb || (fresh && mk->has_yes_ask), hna = hyb || (fresh && mk->has_no_ask);
    int64_t ya = hnb ? KPX - nb : mk->yes_ask_msg, na = hyb ? KPX - yb : mk->no_ask_msg;
    jw_kint(w, "yes_bid", hyb ? s_cents_down(yb) : 0);
    jw_kint(w, "yes_ask", hya ? s_cents_up(ya) : 0);
    jw_kint(w, "no_bid", hnb ? s_cents_down(nb) : 0);
    jw_kint(w, "no_ask", hna ? s_cents_up(na) : 0);
    s_kdollars(w, "yes_bid_dollars", hyb, yb);
    s_kdollars(w, "yes_ask_dollars", hya, ya);
    s_kdollars(w, "no_bid_dollars", hnb, nb);
    s_kdollars(w, "no_ask_dollars", hna, na);
    jw_kint(w, "last_price", mk->has_last ? (mk->last + 50) / 100 : 0); /* nearest cent */
    s_kdollars(w, "last_price_dollars", mk->has_last, mk->last);
    jw_kint(w, "volume", mk->has_vol ? mk->vol / 100 : 0);
    jw_kint(w, "open_interest", mk->has_oi ? mk->oi / 100 : 0);
    if (mk->has_vol) jw_kfixed(w, "volume_fp", mk->vol, 2, 0);
    else jw_knull(w, "volume_fp");
    if (mk->has_oi) jw_kfixed(w, "open_interest_fp", mk->oi, 2, 0);
    else jw_knull(w, "open_interest_fp");
    if (mk->has_strike) jw_kfixed(w, "strike", mk->strike, 8, 0); /* omitted when unknown */
    s_kiso(w, "open_time", mk->open_ns);
    s_kiso(w, "close_time", mk->close_ns);
    s_kiso(w, "expected_expiration_time", mk->exp_ns);
    int64_t to_close = mk->close_ns >= 0 ? mk->close_ns / NS_PER_S - ts_s : 0;
    int64_t left = mk->exp_ns >= 0 ? mk->exp_ns / NS_PER_S - ts_s : 0;
    if (mk->close_ns >= 0) jw_kint(w, "secs_to_close", to_close > 0 ? to_close : 0);
    else jw_knull(w, "secs_to_close");
    jw_kint(w, "secs_left", left > 0 ? left : 0); /* 0 when unknown, as the Go collector */
    if (mk->status[0]) jw_kstr(w, "status", mk->status); /* omitted when unknown */
    if (mk->result[0]) jw_kstr(w, "result", mk->result);  /* omitted until known */
    if (fresh) { /* each omitted when empty, as the Go collector */
        s_go_book(w, "yes_book", mk->yes, mk->ny);
        s_go_book(w, "no_book", mk->no, mk->nn);
    }
    jw_kbool(w, "post_close", mk->close_ns >= 0 && to_close <= 0);
    if (fresh) {
        s_write_book(w, "yes_book_dollars", mk->yes, mk->ny, t->cfg.book_levels);
        s_write_book(w, "no_book_dollars", mk->no, mk->nn, t->cfg.book_levels);
    } else {
        jw_knull(w, "yes_book_dollars");
        jw_knull(w, "no_book_dollars");
    }
    if (mk->has_book) jw_kint(w, "book_age_ms", age / NS_PER_MS);
    else jw_knull(w, "book_age_ms");
    if (mk->has_expval) jw_kfixed(w, "expiration_value", mk->expval, 8, 0);
    else jw_knull(w, "expiration_value");
    const char *bw = !mk->has_book ? "no book yet" : !mk->book_valid ? "book invalid (feed resync)"
                     : !fresh ? "book stale" : NULL;
    if (bw) s_reason(w, &ro, "book", bw);
    else if (!hyb || !hnb) s_reason(w, &ro, "book", "empty side");
    if (!mk->has_strike) s_reason(w, &ro, "strike", "not published yet");
    if (!mk->has_last) s_reason(w, &ro, "last_price", "no ticker message yet");
    if (!mk->has_vol || !mk->has_oi) s_reason(w, &ro, "volume", "no ticker message yet");
    if (!mk->mk_rx) s_reason(w, &ro, "status", "no kalshi.market message yet");
    if (mk->close_ns < 0) s_reason(w, &ro, "close_time", "unknown");
    if (mk->exp_ns < 0) s_reason(w, &ro, "secs_left", "expected_expiration_time unknown");
    if (ro) jw_obj_end(w);
    jw_obj_end(w);
}

void tick_gap(tick_t *t, int64_t from_s, int64_t to_s, const char *why)
{
    s_event_begin(t, "gap", to_s + 1);
    jw_kstr(&t->ev, "kind", "ticks");
    s_kiso(&t->ev, "from", from_s * NS_PER_S);
    s_kiso(&t->ev, "to", to_s * NS_PER_S);
    jw_kint(&t->ev, "n", to_s - from_s + 1);
    jw_key(&t->ev, "seconds");
    jw_arr(&t->ev);
    char iso[40];
    for (int64_t s = from_s; s <= to_s && s < from_s + 120; s++)
        jw_str(&t->ev, clock_fmt_iso(s * NS_PER_S, iso, sizeof iso));
    jw_arr_end(&t->ev);
    jw_kbool(&t->ev, "seconds_truncated", to_s - from_s + 1 > 120);
    jw_kstr(&t->ev, "why", why);
    s_event_send(t, "gap");
}

/* ---- the second's view: computed once, then read by the events and the record ---- */

/* The RTI input (venue books as doubles in T's scratch) and the median input (the touches of the
 * venues that are ok) of the venues' views V->vv. */
static void s_rti_input(tick_t *t, view_t *v)
{
    int lvpos = 0;
    v->nrv = v->nmv = 0;
    for (int i = 0; i < t->nvenue; i++) {
        venue_t *ve = &t->venue[i];
        if (v->nrv < RTI_VENUES_MAX && (ve->has_book || ve->expected)) {
            rti_venue_t *r = &v->rv[v->nrv++];
            memset(r, 0, sizeof *r);
            r->name = ve->name;
            r->time_s = ve->has_book ? (double)ve->b_rx / NS_PER_S : NAN;
            if (ve->has_book && ve->book_valid) {
                r->bids = &t->lv[lvpos];
                for (int k = 0; k < ve->nb && lvpos < 2 * LEVELS_MAX; k++)
                    t->lv[lvpos++] = (rti_level_t){(double)ve->bids[k].px / PX8,
                                                   (double)ve->bids[k].sz / PX8};
                r->n_bids = (int)(&t->lv[lvpos] - r->bids);
                r->asks = &t->lv[lvpos];
                for (int k = 0; k < ve->na && lvpos < 2 * LEVELS_MAX; k++)
                    t->lv[lvpos++] = (rti_level_t){(double)ve->asks[k].px / PX8,
                                                   (double)ve->asks[k].sz / PX8};
                r->n_asks = (int)(&t->lv[lvpos] - r->asks);
            }
        }
        const vview_t *x = &v->vv[i];
        if (x->ok && v->nmv < RTI_VENUES_MAX) {
            v->top[v->nmv][0] = (rti_level_t){(double)x->bid / PX8, 1};
            v->top[v->nmv][1] = (rti_level_t){(double)x->ask / PX8, 1};
            v->mv[v->nmv] = (rti_venue_t){ve->name, (double)x->last_rx / NS_PER_S,
                                          &v->top[v->nmv][0], 1, &v->top[v->nmv][1], 1};
            v->nmv++;
        }
    }
}

/* The view of second TS_S with the state as of NOW: each venue's touch and health, the RTI (its
 * hysteresis state moves), the median of mids, the official value's freshness, and which of
 * them is the tick's price. Writes nothing and emits nothing. */
static void s_view(tick_t *t, int64_t ts_s, int64_t now, view_t *v)
{
    const tick_cfg_t *c = &t->cfg;
    double now_s = (double)now / NS_PER_S;
    v->ts_s = ts_s;
    v->now = now;
    v->nok = 0;
    v->expected_ok = 1;
    for (int i = 0; i < t->nvenue; i++) {
        s_venue_view(t, &t->venue[i], now, &v->vv[i]);
        v->nok += v->vv[i].ok;
        if (t->venue[i].expected && !v->vv[i].ok) v->expected_ok = 0;
    }
    s_rti_input(t, v);
    v->rti_ok = v->nrv > 0 && rti_compute(&c->rti, t->rti, v->rv, v->nrv, now_s, &v->res) == 0;
    v->rti_why = v->nrv == 0 ? "no venue" : v->rti_ok ? NULL : v->res.reason;
    v->rti_v = v->rti_ok ? v->res.value_rounded : NAN;
    rti_params_t mp = c->rti;
    mp.stale_s = c->stale_s;
    v->med = v->nmv ? rti_median_mid(&mp, v->mv, v->nmv, now_s) : NAN;
    double official_age = t->has_official ? (double)(now - t->official_rx) / NS_PER_S : INFINITY;
    v->off_fresh = t->has_official && official_age <= c->official_max_age_s;
    v->off_v = v->off_fresh ? (double)t->official / 1e10 : NAN;
    int use_rti = c->method == TICK_METHOD_RTI && isfinite(v->rti_v);
    v->proxy = use_rti ? v->rti_v : v->med;
    v->src = v->off_fresh ? "official" : isfinite(v->proxy) ? (use_rti ? "rti" : "median") : NULL;
    v->brti = v->off_fresh ? v->off_v : v->proxy;
    v->state = v->off_fresh && v->expected_ok ? "ok"
               : isfinite(v->brti) ? "degraded" : "down";
}

/* The proxy of the view's second into the ring the settlement averages read. */
static void s_record_proxy(tick_t *t, const view_t *v)
{
    if (!isfinite(v->proxy)) return;
    sample_t *s = &t->proxy_ring[v->ts_s % RING];
    s->sec = v->ts_s;
    s->v = v->proxy;
}

/* The events due at TS_S of every listed market: market_open, strike_set, settlement. */
static void s_market_events(tick_t *t, int64_t ts_s)
{
    for (int i = 0; i < MARKETS_MAX; i++)
        if (s_market_listed(&t->market[i], ts_s)) s_emit_market_events(t, &t->market[i], ts_s);
}

/* Markets settled more than market_keep_s before TS_S leave (their settlement was reported).
 * Returns the listed markets left. */
static int s_drop_settled(tick_t *t, int64_t ts_s)
{
    int nmk = 0;
    for (int i = 0; i < MARKETS_MAX; i++) {
        market_t *mk = &t->market[i];
        if (!s_market_listed(mk, ts_s)) continue;
        if (mk->settled && ts_s - mk->settled_s > t->cfg.market_keep_s) mk->used = 0;
        else nmk++;
    }
    return nmk;
}

/* ---- the record: the view serialized ---- */

/* ts, tick_seq, the prices (brti and its source, the official value, the RTI, the median, their
 * errors) and the venues' mids in the Go collector's fields. */
static void s_write_prices(tick_t *t, const view_t *v, jw_t *w)
{
    char iso[40];
    jw_kstr(w, "type", "tick");
    jw_kstr(w, "ts", clock_fmt_iso(v->ts_s * NS_PER_S, iso, sizeof iso));
    jw_kuint(w, "tick_seq", ++t->st.ticks);
    jw_kstr(w, "series", t->cfg.series);
    if (isfinite(v->brti)) {
        if (v->off_fresh) jw_kfixed(w, "brti", t->official, IDX, 2);
        else jw_kdbl(w, "brti", v->brti, 8);
        jw_kstr(w, "brti_src", v->src);
    } else { /* the Go collector's 0 for "no price": its readers skip brti == 0 */
        jw_kint(w, "brti", 0);
        jw_knull(w, "brti_src");
    }
    if (v->off_fresh) jw_kfixed(w, "brti_official", t->official, IDX, 2);
    else jw_knull(w, "brti_official");
    if (t->has_official) jw_kint(w, "brti_official_age_ms", (v->now - t->official_rx) / NS_PER_MS);
    else jw_knull(w, "brti_official_age_ms");
    s_kdbl_or_null(w, "brti_rti", v->rti_v, (int)t->cfg.rti.decimals);
    s_kdbl_or_null(w, "brti_median", v->med, 8);
    s_kdbl_or_null(w, "rti_err_bps", (v->rti_v - v->off_v) / v->off_v * 1e4, 3);
    s_kdbl_or_null(w, "median_err_bps", (v->med - v->off_v) / v->off_v * 1e4, 3);
    if (t->has_official && t->has_avg60) jw_kfixed(w, "brti_official_avg_60s", t->avg60, IDX, 2);
    for (size_t k = 0; k < ARRAY_LEN(s_legacy_venues); k++) {
        const char *name = s_legacy_venues[k];
        int i = 0;
        while (i < t->nvenue && strcmp(t->venue[i].name, name)) i++;
        if (i < t->nvenue && v->vv[i].ok) jw_kfixed(w, name, s_mid9(&v->vv[i]), 9, 2);
        else jw_kint(w, name, 0); /* not ok or never seen: 0, as the Go collector before data */
    }
}

/* venues: each venue's touch, ages, health and RTI status. */
static void s_write_venues(const tick_t *t, const view_t *v, jw_t *w)
{
    jw_key(w, "venues");
    jw_obj(w);
    for (int i = 0; i < t->nvenue; i++) {
        const vview_t *x = &v->vv[i];
        jw_key(w, t->venue[i].name);
        jw_obj(w);
        if (x->has_bid) jw_kfixed(w, "bid", x->bid, 8, 1);
        else jw_knull(w, "bid");
        if (x->has_ask) jw_kfixed(w, "ask", x->ask, 8, 1);
        else jw_knull(w, "ask");
        if (x->age_ns >= 0) jw_kint(w, "age_ms", x->age_ns / NS_PER_MS);
        else jw_knull(w, "age_ms");
        if (x->has_lag) jw_kint(w, "lag_ms", x->lag_ns / NS_PER_MS);
        else jw_knull(w, "lag_ms");
        jw_kbool(w, "ok", x->ok);
        if (x->reason) jw_kstr(w, "reason", x->reason);
        for (int k = 0; v->rti_ok && k < v->res.n_venues; k++)
            if (!strcmp(v->res.venue[k].name, t->venue[i].name))
                jw_kstr(w, "rti", rti_status_name(v->res.venue[k].status));
        jw_obj_end(w);
    }
    jw_obj_end(w);
}

/* settle: the running averages of the next close within settle_window_s. */
static void s_write_settle(const tick_t *t, int64_t ts_s, jw_t *w)
{
    const tick_cfg_t *c = &t->cfg;
    const market_t *sw = NULL;
    for (int i = 0; i < MARKETS_MAX; i++) {
        const market_t *mk = &t->market[i];
        if (!mk->used || mk->close_ns < 0) continue;
        int64_t cs = mk->close_ns / NS_PER_S;
        if (ts_s > cs - c->settle_window_s && ts_s <= cs && (!sw || mk->close_ns < sw->close_ns))
            sw = mk;
    }
    jw_key(w, "settle");
    jw_obj(w);
    if (sw) {
        int64_t cs = sw->close_ns / NS_PER_S, to = ts_s, from = cs - c->settle_window_s + 1;
        int n_off, n_px;
        double ao = s_window_avg(t->off_ring, from, to, &n_off);
        double ap = s_window_avg(t->proxy_ring, from, to, &n_px);
        jw_kstr(w, "ticker", sw->ticker);
        s_kiso(w, "close_time", sw->close_ns);
        s_kdbl_or_null(w, "window_avg_official", ao, 8);
        s_kdbl_or_null(w, "window_avg_proxy", ap, 8);
        jw_kint(w, "n", n_px);
        jw_kint(w, "n_official", n_off);
    } else {
        jw_knull(w, "window_avg_official");
        jw_knull(w, "window_avg_proxy");
        jw_kint(w, "n", 0);
    }
    jw_obj_end(w);
}

/* health: stale sources, bus gaps, venue counts, the state and every null's reason. */
static void s_write_health(const tick_t *t, const view_t *v, int nmk, jw_t *w)
{
    int ro = 0;
    jw_key(w, "health");
    jw_obj(w);
    jw_key(w, "stale");
    jw_arr(w);
    for (int i = 0; i < t->nvenue; i++) {
        const char *r = v->vv[i].reason;
        if (r && (!strcmp(r, "stale") || !strcmp(r, "no data"))) jw_str(w, t->venue[i].name);
    }
    if (!v->off_fresh) jw_str(w, "official");
    jw_arr_end(w);
    jw_kuint(w, "gaps", t->lost_since_tick);
    jw_kuint(w, "gaps_total", t->st.bus_lost);
    if (t->late_since_tick) jw_kuint(w, "late", t->late_since_tick);
    jw_kint(w, "venues_used", v->rti_ok ? v->res.n_used : v->nok);
    jw_kint(w, "venues_ok", v->nok);
    jw_kint(w, "markets", nmk);
    jw_kbool(w, "rti_degraded", v->rti_ok && v->res.degraded);
    jw_kstr(w, "state", v->state);
    for (int i = 0; i < t->nvenue; i++)
        if (v->vv[i].reason) s_reason(w, &ro, t->venue[i].name, v->vv[i].reason);
    if (!v->off_fresh)
        s_reason(w, &ro, "brti_official", t->has_official ? "stale" : t->no_index);
    if (!v->rti_ok) s_reason(w, &ro, "brti_rti", v->rti_why);
    if (!isfinite(v->med)) s_reason(w, &ro, "brti_median", "no fresh uncrossed venue");
    if (!isfinite(v->brti)) s_reason(w, &ro, "brti", "no official value and no proxy");
    if (nmk == 0) s_reason(w, &ro, "markets", "no open Kalshi market known");
    if (ro) jw_obj_end(w);
    jw_obj_end(w);
}

/* The record of view V with NMK listed markets into W (reset first). */
static void s_write_record(tick_t *t, const view_t *v, int nmk, jw_t *w)
{
    jw_fragment(w);
    s_write_prices(t, v, w);
    s_write_venues(t, v, w);
    if (nmk) { /* omitted when empty, as the Go collector (omitempty) */
        jw_key(w, "markets");
        jw_arr(w);
        for (int i = 0; i < MARKETS_MAX; i++)
            if (s_market_listed(&t->market[i], v->ts_s))
                s_write_market(t, w, &t->market[i], v->ts_s, v->now);
        jw_arr_end(w);
    }
    s_write_settle(t, v->ts_s, w);
    s_write_health(t, v, nmk, w);
}

void tick_write(tick_t *t, int64_t ts_s, int64_t now, jw_t *w)
{
    view_t *v = &t->view;
    s_view(t, ts_s, now, v);
    s_record_proxy(t, v);
    s_market_events(t, ts_s); /* the events due now, before the record */
    int nmk = s_drop_settled(t, ts_s);
    s_write_record(t, v, nmk, w);
    t->state = v->state;
    t->lost_since_tick = t->late_since_tick = 0;
    t->last_ts = ts_s;
}

void tick_hb_detail(jw_t *w, void *arg)
{
    tick_t *t = arg;
    jw_kuint(w, "ticks", t->st.ticks);
    jw_kuint(w, "msgs", t->st.msgs);
    jw_kuint(w, "bad", t->st.bad);
    jw_kuint(w, "ignored", t->st.ignored);
    jw_kuint(w, "events", t->st.events);
    jw_kuint(w, "bus_lost", t->st.bus_lost);
    jw_kuint(w, "bus_gaps", t->st.bus_gaps);
    jw_kuint(w, "restarts", t->st.restarts);
    jw_kuint(w, "late", t->st.late);
    jw_key(w, "venues");
    jw_obj(w);
    for (int i = 0; i < t->nvenue; i++) {
        jw_key(w, t->venue[i].name);
        jw_obj(w);
        jw_kuint(w, "msgs", t->venue[i].msgs);
        jw_kuint(w, "dropped_levels", t->venue[i].dropped_levels);
        jw_obj_end(w);
    }
    jw_obj_end(w);
}

/* ---- self-test ---- */

static char s_test_ev[8192];

static void s_test_emit(const char *topic, const char *body, size_t len, void *arg)
{
    (void)arg;
    size_t k = strlen(s_test_ev);
    snprintf(s_test_ev + k, sizeof s_test_ev - k, "%s {%.*s}\n", topic, (int)len, body);
}

/* A test message (ts_rx = ts_pub = RX) into M, its payload in BODY[4096]. */
static void s_test_build(bus_msg_t *m, char *body, const char *topic, int64_t rx,
                         const char *fields)
{
    memset(m, 0, sizeof *m);
    snprintf(body, 4096,
             "{\"src\":\"test\",\"epoch\":\"01\",\"seq\":1,\"ts_rx\":%lld,\"ts_ex\":null,"
             "\"ts_pub\":%lld,%s}",
             (long long)rx, (long long)rx, fields);
    if (bus_envelope_parse(body, strlen(body), m) < 0) abort();
    m->topic = topic;
    m->topic_len = strlen(topic);
    m->body = body;
    m->body_len = strlen(body);
}

static void s_test_msg(tick_t *t, const char *topic, int64_t rx, const char *fields)
{
    char body[4096];
    bus_msg_t m;
    s_test_build(&m, body, topic, rx, fields);
    tick_on_msg(t, &m);
}

static int s_expect(const char *what, const char *hay, const char *needle, int want);

/* tick_replay_*: the ticks written, "S:coinbase-mid;" each. */
static char s_test_ticks[1024];

static void s_test_out(int64_t ts_s, const jw_t *w, void *arg)
{
    (void)arg;
    const char *p = strstr(w->buf, "\"coinbase\":");
    size_t k = strlen(s_test_ticks);
    snprintf(s_test_ticks + k, sizeof s_test_ticks - k, "%lld:%.*s;", (long long)(ts_s % 100),
             p ? (int)strcspn(p + 11, ",") : 0, p ? p + 11 : "");
}

/* Message time: a tick at each boundary the messages' ts_pub cross, holding the messages
 * published before it; a message older than the last tick written is counted late. */
static int s_test_replay(const tick_cfg_t *cfg, int64_t t0)
{
    int rc = 0;
    tick_t *t = tick_new(cfg, NULL, NULL);
    jw_t w;
    jw_init(&w, 4096);
    int64_t next = -1;
    char body[4096];
    bus_msg_t m;
    const char *q1 = "\"bid\":100,\"ask\":102", *q2 = "\"bid\":200,\"ask\":202";
    s_test_build(&m, body, "quote.coinbase.BTC-USD", t0 * NS_PER_S + 500 * NS_PER_MS, q1);
    tick_replay_msg(t, &next, &m, &w, s_test_out, NULL);  /* sets next = t0 + 1, no tick */
    s_test_build(&m, body, "quote.coinbase.BTC-USD", (t0 + 3) * NS_PER_S, q2);
    tick_replay_msg(t, &next, &m, &w, s_test_out, NULL);  /* ticks t0+1..t0+3, then applied */
    tick_replay_until(t, &next, (t0 + 4) * NS_PER_S, &w, s_test_out, NULL);
    rc |= s_expect("replay ticks", s_test_ticks, "1:101.00;2:101.00;3:101.00;4:201.00;", 1);
    rc |= next == t0 + 5 ? 0 : s_expect("replay next", "", "next", 1);
    rc |= s_expect("not late", w.buf, "\"late\"", 0);
    s_test_build(&m, body, "quote.coinbase.BTC-USD", (t0 + 3) * NS_PER_S, q1);
    tick_on_msg(t, &m); /* published before the last tick (t0+4) was written: late */
    tick_write(t, t0 + 5, (t0 + 5) * NS_PER_S, &w);
    rc |= s_expect("late", w.buf, "\"late\":1,", 1);
    tick_write(t, t0 + 6, (t0 + 6) * NS_PER_S, &w);
    rc |= s_expect("late once", w.buf, "\"late\"", 0);
    rc |= tick_stats(t)->late == 1 ? 0 : s_expect("late stat", "", "late", 1);
    jw_free(&w);
    tick_destroy(&t);
    return rc;
}

static int s_expect(const char *what, const char *hay, const char *needle, int want)
{
    if ((strstr(hay, needle) != NULL) == want) return 0;
    fprintf(stderr, "tick_test: %s: %s '%s' in %s\n", what, want ? "missing" : "unexpected",
            needle, hay);
    return -1;
}

/* The books of the first N venues of coinbase, kraken, bitstamp, gemini, cryptocom, received at
 * RX: the I-th's touch BASE + I -+ 1 (whole dollars), its mid BASE + I. */
static void s_test_books(tick_t *t, int64_t rx, int base, int n)
{
    static const char *const topics[] = {"book.coinbase.BTC-USD", "book.kraken.BTC-USD",
                                         "book.bitstamp.BTC-USD", "book.gemini.BTC-USD",
                                         "book.cryptocom.BTC-USD"};
    char f[300];
    for (int i = 0; i < n && i < (int)ARRAY_LEN(topics); i++) {
        snprintf(f, sizeof f, "\"bids\":[[%d,2],[%d,3]],\"asks\":[[%d,2],[%d,3]]", base - 1 + i,
                 base - 2 + i, base + 1 + i, base + 2 + i);
        s_test_msg(t, topics[i], rx, f);
    }
}

/* The steps of tick_write one by one: the view (computes, writes and emits nothing), the proxy
 * ring, the market events, dropping settled markets, the record from a view. */
static int s_test_steps(const tick_cfg_t *cfg, int64_t t0)
{
    int rc = 0;
    tick_t *t = tick_new(cfg, s_test_emit, NULL);
    int64_t now = t0 * NS_PER_S;
    s_test_books(t, now, 97000, 5);
    s_test_msg(t, "index.brti", now, "\"value\":97001.5,\"time\":1795867500000");
    s_test_ev[0] = '\0';
    view_t *v = &t->view;
    s_view(t, t0, now + 500 * NS_PER_MS, v);
    if (!v->off_fresh || strcmp(v->src, "official") || v->nok != 5 || !v->rti_ok ||
        !isfinite(v->med) || strcmp(v->state, "ok") || t->st.ticks || s_test_ev[0]) {
        fprintf(stderr, "tick_test: view: fresh %d src %s ok %d rti %d med %g state %s\n",
                v->off_fresh, v->src, v->nok, v->rti_ok, v->med, v->state);
        rc = -1;
    }
    s_view(t, t0 + 3, (t0 + 3) * NS_PER_S, v); /* official 3 s old: the RTI is the price */
    if (v->off_fresh || strcmp(v->src, "rti") || v->brti != v->rti_v || strcmp(v->state, "degraded")) {
        fprintf(stderr, "tick_test: view without official: src %s\n", v->src ? v->src : "null");
        rc = -1;
    }
    /* the proxy ring takes the view's proxy at its second, and nothing without one */
    int n;
    s_record_proxy(t, v);
    double avg = s_window_avg(t->proxy_ring, t0 + 3, t0 + 3, &n);
    view_t none = *v;
    none.ts_s = t0 + 4, none.proxy = NAN;
    s_record_proxy(t, &none);
    s_window_avg(t->proxy_ring, t0 + 4, t0 + 4, &n);
    if (avg != v->proxy || n != 0) {
        fprintf(stderr, "tick_test: proxy ring %g for %g, %d without a proxy\n", avg, v->proxy, n);
        rc = -1;
    }
    /* events: market_open and strike_set once each, strike_set again on a new strike */
    s_test_msg(t, "kalshi.market.KXBTC15M-STEP-00", now,
               "\"status\":\"active\",\"open_time\":\"2026-11-28T12:00:00Z\","
               "\"close_time\":\"2026-11-28T12:10:00Z\",\"floor_strike\":97000");
    s_market_events(t, t0 + 3);
    rc |= s_expect("events", s_test_ev, "event.market_open", 1);
    rc |= s_expect("events", s_test_ev, "event.strike_set", 1);
    s_test_ev[0] = '\0';
    s_market_events(t, t0 + 4);
    rc |= s_expect("events once", s_test_ev, "event.", 0);
    s_test_msg(t, "kalshi.market.KXBTC15M-STEP-00", now, "\"floor_strike\":97005");
    s_market_events(t, t0 + 5);
    rc |= s_expect("new strike", s_test_ev, "\"strike\":97005,\"previous\":97000", 1);
    /* a settled market stays market_keep_s, then leaves */
    market_t *mk = s_market(t, "KXBTC15M-STEP-00", 16, 0);
    mk->settled = 1;
    mk->settled_s = t0 + 5;
    int kept = s_drop_settled(t, t0 + 5 + cfg->market_keep_s);
    int left = s_drop_settled(t, t0 + 6 + cfg->market_keep_s);
    if (kept != 1 || left != 0 || mk->used) {
        fprintf(stderr, "tick_test: drop settled: kept %d left %d\n", kept, left);
        rc = -1;
    }
    /* the record is the view serialized: a view without prices says so */
    jw_t w;
    jw_init(&w, 4096);
    none.brti = none.rti_v = none.med = NAN, none.rti_ok = 0, none.rti_why = "test";
    none.state = "down";
    s_write_record(t, &none, 0, &w);
    rc |= s_expect("record", w.buf, "\"brti\":0,\"brti_src\":null,\"brti_official\":null", 1);
    rc |= s_expect("record", w.buf, "\"state\":\"down\"", 1);
    rc |= s_expect("record", w.buf, "\"brti_rti\":\"test\",", 1);
    rc |= s_expect("record", w.buf, "\"markets\":", 1); /* only the reason */
    rc |= s_expect("record", w.buf, "\"markets\":[", 0);

    jw_free(&w);
    tick_destroy(&t);
    return rc;
}

/* Venues and the official index: the prices, their sources and reasons as they age. */
static int s_test_prices(tick_t *t, jw_t *w, int64_t T0)
{
    int rc = 0;
    int64_t now = T0 * NS_PER_S;
    /* nothing at all: still a line, the Go collector's prices 0, the rest null with reasons */
    tick_write(t, T0, now, w);
    rc |= s_expect("empty", w->buf, "\"brti\":0,\"brti_src\":null", 1);
    rc |= s_expect("empty", w->buf, "\"coinbase\":0,\"kraken\":0,\"bitstamp\":0,", 1);
    rc |= s_expect("empty", w->buf, "\"markets\":[", 0);
    rc |= s_expect("empty", w->buf, "\"coinbase\":\"no data\"", 1);
    rc |= s_expect("empty", w->buf, "\"state\":\"down\"", 1);
    rc |= s_expect("empty", w->buf, "\"tick_seq\":1", 1);

    /* three venues, kraken crossed; official fresh */
    int64_t rx = now + 100 * NS_PER_MS;
    s_test_msg(t, "book.coinbase.BTC-USD", rx,
               "\"bids\":[[\"97034.00\",\"1.5\"],[\"97033.00\",\"2\"]],"
               "\"asks\":[[\"97035.00\",\"1\"],[\"97036.00\",\"3\"]]");
    s_test_msg(t, "book.kraken.BTC-USD", rx,
               "\"bids\":[[97040.0,1]],\"asks\":[[97039.0,1]]");
    s_test_msg(t, "quote.bitstamp.BTC-USD", rx,
               "\"bid\":97032,\"bid_size\":1,\"ask\":97034.2,\"ask_size\":1");
    s_test_msg(t, "index.brti", rx, "\"value\":97033.80,\"time\":1795867380000");
    tick_write(t, T0 + 1, (T0 + 1) * NS_PER_S, w);
    rc |= s_expect("venues", w->buf, "\"coinbase\":97034.50", 1);
    rc |= s_expect("venues", w->buf, "\"bitstamp\":97033.10", 1);
    rc |= s_expect("crossed", w->buf, "\"kraken\":0,", 1);
    rc |= s_expect("crossed", w->buf, "\"kraken\":\"crossed\"", 1);
    rc |= s_expect("official", w->buf, "\"brti\":97033.80,\"brti_src\":\"official\"", 1);
    rc |= s_expect("median", w->buf, "\"brti_median\":97033.8,", 1);
    rc |= s_expect("age", w->buf, "\"age_ms\":900", 1);

    /* official stale after 2 s: falls back to rti (books of coinbase only -> rti may fail) */
    tick_write(t, T0 + 4, (T0 + 4) * NS_PER_S, w);
    rc |= s_expect("fallback", w->buf, "\"brti_official\":null", 1);
    rc |= s_expect("fallback", w->buf, "\"brti_official\":\"stale\"", 1);
    rc |= s_expect("fallback", w->buf, "\"brti_src\":\"official\"", 0);
    /* 6 s later every venue is stale for the tick (stale_s 5); the RTI still uses coinbase's
     * book (its own L, here 8 s), then nothing */
    tick_write(t, T0 + 7, (T0 + 7) * NS_PER_S, w);
    rc |= s_expect("stale", w->buf, "\"coinbase\":\"stale\"", 1);
    rc |= s_expect("stale", w->buf, "\"stale\":[\"coinbase\",\"kraken\",\"bitstamp\",\"gemini\","
                   "\"cryptocom\",\"official\"]", 1);
    rc |= s_expect("stale", w->buf, "\"brti_src\":\"rti\"", 1);
    rc |= s_expect("stale", w->buf, "\"brti_median\":null", 1);
    tick_write(t, T0 + 9, (T0 + 9) * NS_PER_S, w);
    rc |= s_expect("all stale", w->buf, "\"brti\":0,\"brti_src\":null", 1);
    rc |= s_expect("all stale", w->buf, "\"brti_rti\":\"no valid venue\"", 1);

    return rc;
}

/* Kalshi markets: prices in cents and dollars, books, events, the settlement window. */
static int s_test_markets(tick_t *t, jw_t *w, int64_t T0)
{
    int rc = 0;
    /* a Kalshi market: open event, strike event, prices in cents and dollars */
    int64_t t1 = T0 + 10;
    s_test_msg(t, "kalshi.market.KXBTC15M-26NOV280715-15", t1 * NS_PER_S,
               "\"ticker\":\"KXBTC15M-26NOV280715-15\",\"status\":\"active\","
               "\"open_time\":\"2026-11-28T12:00:00Z\",\"close_time\":\"2026-11-28T12:03:20Z\","
               "\"expected_expiration_time\":\"2026-11-28T12:08:20Z\",\"floor_strike\":97012.47,"
               "\"result\":\"\",\"expiration_value\":\"\",\"unknown\":{\"x\":[1,2]}");
    s_test_msg(t, "kalshi.book.KXBTC15M-26NOV280715-15", t1 * NS_PER_S,
               "\"yes\":[[\"0.5100\",\"300.00\"],[\"0.5200\",\"120.00\"]],"
               "\"no\":[[0.46,80],[0.005,10]],\"valid\":true");
    s_test_msg(t, "kalshi.ticker.KXBTC15M-26NOV280715-15", t1 * NS_PER_S,
               "\"last_price\":0.53,\"volume\":1523,\"open_interest\":890");
    s_test_ev[0] = '\0';
    tick_write(t, t1, t1 * NS_PER_S + 2 * NS_PER_MS, w);
    rc |= s_expect("market", w->buf, "{\"ticker\":\"KXBTC15M-26NOV280715-15\",\"yes_bid\":52,"
                   "\"yes_ask\":54,\"no_bid\":46,\"no_ask\":48,", 1);
    rc |= s_expect("market", w->buf, "\"yes_bid_dollars\":0.52,\"yes_ask_dollars\":0.54", 1);
    /* the Go collector's books ascending in whole cents (the 0.5-cent NO bid left out), ours
     * best first and exact */
    rc |= s_expect("market", w->buf, "\"yes_book\":[[51,300],[52,120]],\"no_book\":[[46,80]],", 1);
    rc |= s_expect("market", w->buf, "\"yes_book_dollars\":[[0.52,120],[0.51,300]],"
                   "\"no_book_dollars\":[[0.46,80],[0.005,10]]", 1);
    rc |= s_expect("market", w->buf, "\"last_price\":53,", 1);
    rc |= s_expect("market", w->buf, "\"volume\":1523,\"open_interest\":890,\"volume_fp\":1523,", 1);
    rc |= s_expect("market", w->buf, "\"secs_to_close\":10,\"secs_left\":310,\"status\":\"active\","
                   "\"yes_book\"", 1);
    rc |= s_expect("market", w->buf, "\"result\"", 0);
    rc |= s_expect("market", w->buf, "\"strike\":97012.47", 1);
    rc |= s_expect("settle", w->buf, "\"settle\":{\"ticker\":\"KXBTC15M-26NOV280715-15\"", 1);
    rc |= s_expect("events", s_test_ev, "event.market_open", 1);
    rc |= s_expect("events", s_test_ev, "event.strike_set", 1);

    /* a market known only from its book is listed, without a market_open event */
    s_test_msg(t, "kalshi.book.KXBTC15M-LATE-30", t1 * NS_PER_S, "\"yes_bids\":[[0.3,1]],\"no_bids\":[]");
    s_test_ev[0] = '\0';
    tick_write(t, t1 + 1, (t1 + 1) * NS_PER_S, w);
    rc |= s_expect("late", w->buf, "\"ticker\":\"KXBTC15M-LATE-30\",\"yes_bid\":30,\"yes_ask\":0,", 1);
    rc |= s_expect("late", w->buf, "\"secs_left\":0,\"yes_book\":[[30,1]],\"post_close\"", 1);
    rc |= s_expect("late", w->buf, "\"status\":\"no kalshi.market message yet\"", 1);
    rc |= s_expect("late", s_test_ev, "event.market_open", 0);

    /* official values in the window, then close + settlement */
    char f[200];
    for (int64_t s = T0 + 12; s < T0 + 20; s++) {
        snprintf(f, sizeof f, "\"value\":97100,\"time\":%lld", (long long)s * 1000);
        s_test_msg(t, "index.brti", s * NS_PER_S, f);
        s_test_msg(t, "quote.coinbase.BTC-USD", s * NS_PER_S, "\"bid\":97099,\"ask\":97101");
        tick_write(t, s, s * NS_PER_S + NS_PER_MS, w);
    }
    rc |= s_expect("settle", w->buf, "\"window_avg_official\":97092.64444444,", 1);
    s_test_ev[0] = '\0';
    for (int64_t s = T0 + 20; s < T0 + 25; s++) tick_write(t, s, s * NS_PER_S, w);
    rc |= s_expect("post close", w->buf, "\"post_close\":true", 1);
    rc |= s_expect("no settlement yet", s_test_ev, "event.settlement", 0);
    s_test_msg(t, "kalshi.market.KXBTC15M-26NOV280715-15", (T0 + 25) * NS_PER_S,
               "\"status\":\"finalized\",\"result\":\"yes\",\"expiration_value\":\"97105.83\"");
    tick_write(t, T0 + 25, (T0 + 25) * NS_PER_S, w);
    rc |= s_expect("settlement", s_test_ev, "event.settlement", 1);
    rc |= s_expect("settlement", s_test_ev, "\"official_avg\":97092.64444444,\"official_n\":9", 1);
    rc |= s_expect("settlement", s_test_ev, "\"expiration_value\":97105.83,\"result\":\"yes\"", 1);
    rc |= s_expect("settlement", s_test_ev, "\"proxy_err_bps\":", 1);

    /* sub-cent prices and fractional sizes in the Go collector's integer fields: bids down, asks
     * up, levels on the same cent merged, sizes down; a level under 1 contract left out */
    s_test_msg(t, "kalshi.book.KXBTC15M-SUB-45", (T0 + 25) * NS_PER_S,
               "\"yes\":[[0.019,83843.38],[0.018,2161.83],[0.0175,0.5],[0.027,0.4]],"
               "\"no\":[[0.949,10.5],[0.95,2022.77],[0.941,1]]");
    s_test_msg(t, "kalshi.ticker.KXBTC15M-SUB-45", (T0 + 25) * NS_PER_S,
               "\"last_price\":0.0195,\"volume\":962044.5,\"open_interest\":0.5");
    tick_write(t, T0 + 25, (T0 + 25) * NS_PER_S, w);
    rc |= s_expect("sub-cent", w->buf, "\"ticker\":\"KXBTC15M-SUB-45\",\"yes_bid\":2,\"yes_ask\":5,"
                   "\"no_bid\":95,\"no_ask\":98,\"yes_bid_dollars\":0.027,\"yes_ask_dollars\":0.05,", 1);
    rc |= s_expect("sub-cent", w->buf, "\"last_price\":2,\"last_price_dollars\":0.0195,\"volume\":962044,"
                   "\"open_interest\":0,\"volume_fp\":962044.5,\"open_interest_fp\":0.5,", 1);
    rc |= s_expect("sub-cent", w->buf, "\"yes_book\":[[1,86005]],\"no_book\":[[94,11],[95,2022]],", 1);

    return rc;
}

/* Bad input is counted, never fatal; an index time far from its arrival is refused. */
static int s_test_bad(tick_t *t, int64_t T0)
{
    int rc = 0;
    int64_t now = T0 * NS_PER_S;
    /* bad input is counted, never fatal */
    uint64_t bad = t->st.bad;
    int lvl = log_level;
    log_level = LOG_LVL_CRIT; /* the expected warnings are not news */
    s_test_msg(t, "book.coinbase.BTC-USD", now, "\"bids\":[[\"x\",1]],\"asks\":7");
    s_test_msg(t, "kalshi.book.KXBTC15M-X", now, "\"yes\":[[1e400]]");
    /* times before 1970, past int64 ns, or far from the arrival; sizes whose sum overflows */
    int64_t off_sec = t->official_sec;
    s_test_msg(t, "index.brti", now, "\"value\":97000,\"time\":\"1969-12-31T23:57:47Z\"");
    s_test_msg(t, "index.brti", now, "\"value\":97000,\"time\":\"2400-01-01T00:00:00Z\"");
    s_test_msg(t, "index.brti", now, "\"value\":97000,\"time\":99999999999");
    s_test_msg(t, "index.brti", now, "\"value\":97000,\"time_ms\":9223372036854775");
    s_test_msg(t, "index.brti", now, "\"value\":97000,\"time\":1795860000");
    s_test_msg(t, "kalshi.book.KXBTC15M-X", now, "\"yes\":[[0.5,90000000000000000],[0.6,40000000000000000]]");
    log_level = lvl;
    if (t->official_sec != off_sec) {
        fprintf(stderr, "tick_test: index time %lld s taken\n", (long long)t->official_sec);
        rc = -1;
    }
    if (t->st.bad != bad + 8) {
        fprintf(stderr, "tick_test: bad input not counted\n");
        rc = -1;
    }

    return rc;
}

/* Two states in one process, fed different books: each view keeps its own RTI result (a
 * result shared between them would show the second state's value in the first's view). */
static int s_test_two_states(const tick_cfg_t *cfg, int64_t t0)
{
    int rc = 0;
    int64_t now = t0 * NS_PER_S;
    tick_t *t = tick_new(cfg, NULL, NULL);
    s_test_books(t, now, 97000, 3);
    tick_t *u = tick_new(cfg, NULL, NULL);
    s_test_books(u, now, 50000, 3);
    s_view(t, t0 + 3, (t0 + 3) * NS_PER_S, &t->view);
    double tv = t->view.res.value;
    s_view(u, t0 + 3, (t0 + 3) * NS_PER_S, &u->view);
    if (t->view.res.value != tv || fabs(tv - 97001) > 5 || fabs(u->view.res.value - 50001) > 5 ||
        t->view.res.n_used != 3) {
        fprintf(stderr, "tick_test: two states: %g (was %g) and %g\n", t->view.res.value, tv,
                u->view.res.value);
        rc = -1;
    }
    /* and the same record as a state alone in the process */
    tick_t *alone = tick_new(cfg, NULL, NULL);
    s_test_books(alone, now, 97000, 3);
    jw_t a, b;
    jw_init(&a, 4096);
    jw_init(&b, 4096);
    tick_write(alone, t0 + 4, (t0 + 4) * NS_PER_S, &a);
    tick_write(u, t0 + 4, (t0 + 4) * NS_PER_S, &b);
    tick_write(t, t0 + 4, (t0 + 4) * NS_PER_S, &b);
    if (a.len != b.len || memcmp(a.buf, b.buf, a.len) || !strstr(a.buf, "\"brti_rti\":97001")) {
        fprintf(stderr, "tick_test: two states: %s\nalone: %s\n", b.buf, a.buf);
        rc = -1;
    }
    jw_free(&a);
    jw_free(&b);
    tick_destroy(&alone);
    tick_destroy(&u);
    tick_destroy(&t);
    return rc;
}

/* Books of coinbase, kraken and bitstamp and a fresh official value at T0, the tick of T0 half a
 * second later into W: three venues ok, and STATE. */
static int s_test_three(tick_t *t, int64_t t0, jw_t *w, const char *state)
{
    s_test_books(t, t0 * NS_PER_S, 97000, 3);
    s_test_msg(t, "index.brti", t0 * NS_PER_S, "\"value\":97001.5,\"time\":1795867500000");
    tick_write(t, t0, t0 * NS_PER_S + 500 * NS_PER_MS, w);
    return s_expect("three ok", w->buf, "\"venues_ok\":3,", 1) | s_expect("state", w->buf, state, 1);
}

/* --venues: the expected venues are listed from the first tick on and state "ok" waits for
 * every one of them; a venue not expected is used once seen, never waited for; the Go
 * collector's top-level fields are coinbase, kraken and bitstamp whatever the list says. */
static int s_test_expected(const tick_cfg_t *cfg, int64_t t0)
{
    int rc = 0;
    int64_t now = t0 * NS_PER_S, at = now + 500 * NS_PER_MS;
    jw_t w;
    jw_init(&w, 8192);
    tick_t *t = tick_new(cfg, NULL, NULL); /* the default: the five */
    tick_write(t, t0 - 1, now, &w);
    rc |= s_expect("five listed", w.buf, "\"bitstamp\":0,\"venues\":{\"coinbase\":{", 1);
    rc |= s_expect("five listed", w.buf, "\"gemini\":{\"bid\":null,", 1);
    rc |= s_expect("five listed", w.buf, "\"cryptocom\":\"no data\"", 1);
    rc |= s_test_three(t, t0, &w, "\"state\":\"degraded\"");
    s_test_books(t, now, 97000, 5);
    tick_write(t, t0 + 1, at, &w);
    rc |= s_expect("five", w.buf, "\"venues_used\":5,\"venues_ok\":5,", 1);
    rc |= s_expect("five", w.buf, "\"state\":\"ok\"", 1);
    rc |= s_expect("five", w.buf, "\"kraken\":97001.00,\"bitstamp\":97002.00,\"venues\":{", 1);
    rc |= s_expect("five", w.buf, "\"cryptocom\":{\"bid\":97003.0,\"ask\":97005.0,", 1);
    tick_destroy(&t);

    tick_cfg_t c = *cfg; /* a user running three feeds */
    rc |= tick_cfg_venues(&c, "coinbase,kraken,bitstamp");
    t = tick_new(&c, NULL, NULL);
    tick_write(t, t0 - 1, now, &w);
    rc |= s_expect("three listed", w.buf, "\"gemini\"", 0);
    rc |= s_test_three(t, t0, &w, "\"state\":\"ok\"");
    s_test_books(t, now, 97000, 4); /* gemini seen: used, not needed */
    tick_write(t, t0 + 1, at, &w);
    rc |= s_expect("one more", w.buf, "\"venues_used\":4,\"venues_ok\":4,", 1);
    rc |= s_expect("one more", w.buf, "\"gemini\":{\"bid\":97002.0,", 1);
    tick_destroy(&t);

    rc |= tick_cfg_venues(&c, "kraken,gemini"); /* the legacy fields without their venues */
    t = tick_new(&c, NULL, NULL);
    tick_write(t, t0, now, &w);
    rc |= s_expect("legacy", w.buf, "\"coinbase\":0,\"kraken\":0,\"bitstamp\":0,\"venues\":"
                   "{\"kraken\":{", 1);
    rc |= s_expect("legacy", w.buf, "\"coinbase\":{", 0);
    tick_destroy(&t);
    jw_free(&w);

    static const char *const bad[] = {"", ",", "a,", ",a", "a,,b", "a,a", "Kraken", "a b",
                                      "a,b,c,d,e,f,g,h,i", "a234567890123456789012345678901b"};
    for (size_t i = 0; i < ARRAY_LEN(bad); i++)
        if (tick_cfg_venues(&c, bad[i]) == 0 || c.n_expected != 2) {
            fprintf(stderr, "tick_test: --venues '%s' taken\n", bad[i]);
            rc = -1;
        }
    return rc ? -1 : 0;
}

/* Another series (KXDOGE15M: DOGE near 0.35 USD, RTI spacing 300000 DOGE, 5 decimals): its
 * pair's books, its index and its markets make the record, which says its series; BTC's books on
 * the same venues, index.brti and KXBTC15M's markets are ignored (counted, not bad). Each venue's
 * book is symmetric around 0.3501234, so the RTI is that mid, printed at 5 decimals; BTC's
 * spacing (1) would hit the grid bound (rti_degraded) and its decimals print 0.35. */
static int s_test_series(int64_t t0)
{
    int rc = 0;
    tick_cfg_t c;
    tick_cfg_default(&c);
    const series_t *doge = series_builtin("KXDOGE15M");
    tick_cfg_series(&c, doge);
    c.rti.spacing = doge->spacing;
    c.rti.decimals = doge->decimals;
    rc |= tick_cfg_venues(&c, "coinbase,gemini,kraken");
    tick_t *t = tick_new(&c, NULL, NULL);
    int64_t now = t0 * NS_PER_S;
    static const char *const venues[] = {"coinbase", "gemini", "kraken"};
    char topic[64], f[4096];
    for (size_t v = 0; v < ARRAY_LEN(venues); v++) {
        size_t k = (size_t)snprintf(f, sizeof f, "\"bids\":[");
        for (int side = 0; side < 2; side++) {
            for (int i = 0; i < 30; i++) /* 0.3501234 -/+ (0.0000034 + i * 0.00001) */
                k += (size_t)snprintf(f + k, sizeof f - k, "%s[\"%.7f\",\"100000\"]", i ? "," : "",
                                      0.3501234 + (side ? 1 : -1) * (0.0000034 + i * 0.00001));
            k += (size_t)snprintf(f + k, sizeof f - k, side ? "]" : "],\"asks\":[");
        }
        snprintf(topic, sizeof topic, "book.%s.DOGE-USD", venues[v]);
        s_test_msg(t, topic, now, f);
        snprintf(topic, sizeof topic, "book.%s.BTC-USD", venues[v]);
        s_test_msg(t, topic, now, "\"bids\":[[97000,1]],\"asks\":[[97001,1]]");
    }
    uint64_t ignored = t->st.ignored, bad = t->st.bad;
    s_test_msg(t, "quote.coinbase.BTC-USD", now, "\"bid\":97000,\"ask\":97001");
    s_test_msg(t, "quote.coinbase.DOGE-USDT", now, "\"bid\":9,\"ask\":10");
    s_test_msg(t, "index.brti", now, "\"value\":97000.5,\"time\":1795867500000");
    s_test_msg(t, "kalshi.market.KXBTC15M-26DEC040230-30", now, "\"floor_strike\":97000");
    s_test_msg(t, "kalshi.book.KXDOGE15MX-26DEC040230-30", now, "\"yes\":[[0.5,1]]");
    if (t->st.ignored != ignored + 5 || t->st.bad != bad) {
        fprintf(stderr, "tick_test: series: other series' messages not ignored (%llu, bad %llu)\n",
                (unsigned long long)(t->st.ignored - ignored), (unsigned long long)t->st.bad);
        rc = -1;
    }
    s_test_msg(t, "index.dogeusd_rti", now, "\"value\":0.35013,\"time\":1795867500000");
    s_test_msg(t, "kalshi.market.KXDOGE15M-26DEC040230-30", now,
               "\"status\":\"active\",\"floor_strike\":0.35012,"
               "\"open_time\":\"2026-11-28T12:00:00Z\",\"close_time\":\"2026-11-28T12:15:00Z\"");
    jw_t w;
    jw_init(&w, 8192);
    tick_write(t, t0, now + 500 * NS_PER_MS, &w);
    static const char *const want[] = {
        "\"tick_seq\":1,\"series\":\"KXDOGE15M\",",
        "\"brti\":0.35013,\"brti_src\":\"official\"",
        "\"brti_rti\":0.35012,",
        "\"brti_median\":0.3501234,",
        "\"coinbase\":0.3501234,\"kraken\":0.3501234,\"bitstamp\":0,",
        "\"gemini\":{\"bid\":0.35012,\"ask\":0.3501268,",
        "\"rti_degraded\":false,",
        "\"venues_used\":3,\"venues_ok\":3,\"markets\":1,",
        "{\"ticker\":\"KXDOGE15M-26DEC040230-30\",",
        "\"strike\":0.35012,",
    };
    for (size_t i = 0; i < ARRAY_LEN(want); i++) rc |= s_expect("series", w.buf, want[i], 1);
    rc |= s_expect("series", w.buf, "KXBTC15M", 0);
    rc |= s_expect("series", w.buf, "97000", 0);
    if (fabs(t->view.res.value - 0.3501234) > 1e-12 || t->view.res.grid_points != 30) {
        fprintf(stderr, "tick_test: series: RTI %.10f over %d grid points\n", t->view.res.value,
                t->view.res.grid_points);
        rc = -1;
    }
    /* a level of 50 million DOGE (5e15 at 1e-8) is a book, not bad input */
    s_test_msg(t, "book.kraken.DOGE-USD", now,
               "\"bids\":[[0.35,\"50000000\"]],\"asks\":[[0.36,\"1000\"]]");
    if (t->st.bad != bad) {
        fprintf(stderr, "tick_test: series: a 50M DOGE level refused\n");
        rc = -1;
    }
    jw_free(&w);
    tick_destroy(&t);
    return rc ? -1 : 0;
}

int tick_test(void)
{
    int rc = 0;
    tick_cfg_t cfg;
    tick_cfg_default(&cfg);
    cfg.rti.stale_s = 8;
    tick_t *t = tick_new(&cfg, s_test_emit, NULL);
    jw_t w;
    jw_init(&w, 4096);
    const int64_t T0 = 1795867380LL; /* 2026-11-28T12:03:00Z */
    rc |= s_test_prices(t, &w, T0);
    rc |= s_test_markets(t, &w, T0);
    rc |= s_test_bad(t, T0);
    s_test_ev[0] = '\0';
    tick_gap(t, T0 + 26, T0 + 28, "stall");
    rc |= s_expect("gap", s_test_ev, "\"n\":3,\"seconds\":[\"2026-11-28T12:03:26Z\"", 1);
    jw_free(&w);
    tick_destroy(&t);
    rc |= s_test_replay(&cfg, 1795867400LL);
    rc |= s_test_steps(&cfg, 1795867500LL);
    rc |= s_test_two_states(&cfg, 1795867500LL);
    rc |= s_test_expected(&cfg, 1795867500LL);
    rc |= s_test_series(1795867500LL);
    return rc ? -1 : 0;
}
