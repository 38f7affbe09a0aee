/* kalshireplay: drive feed-kalshi's socket-free protocol code (kalshi_ws.h)
 * from a file of frames, one a line, plain or "TS_RX<TAB>FRAME" as
 * feed-kalshi --record writes, and print what it publishes, as feedreplay
 * does for the exchange feeds: "topic ts_ex {body}" (kalshi.book.* only when
 * its content changed, without the wall-clock age_ms), the commands the
 * session sends ("sent {..}"), lifecycle hints, then "stats ..." and one
 * "final TICKER {book}" line per market.
 *
 * A recording holds only what the server sent, so the replies carry the ids
 * of the commands of the live session. The tool follows a market when a reply
 * to its subscription arrives (the market is the one the first data frame on
 * that sid names, found by a first pass over the file; for an `ok` on a shared
 * sid, a listed market not followed yet) and rewrites the reply's id to the
 * id of the command the replayed session sent for it; the lifecycle and BRTI
 * subscriptions likewise. A `subscribed` reusing a sid already subscribed
 * starts a new connection (Kalshi numbers sids per connection).
 * Session time advances 1 s a frame (books publish after each frame; stale
 * checks off); command deadlines are not enforced.
 * Usage: kalshireplay FILE [SERIES] (SERIES: the series list as feed-kalshi's --series,
 * default KXBTC15M: the market_lifecycle_v2 filter and the indices relayed, each on its
 * topic as the feed publishes it) */
#define _GNU_SOURCE /* memmem */
#include "clock.h"
#include "framerec.h"
#include "jtok.h"
#include "jw.h"
#include "kalshi_ws.h"
#include "log.h"
#include "series.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAXT 256 /* markets, command ids and sids the tool remembers */

/* A small table: text key -> integer, or text key -> text (ticker). */
typedef struct {
    char k[64], t[64];
    int64_t v;
} s_kv_t;

typedef struct {
    s_kv_t e[MAXT];
    int n;
} s_map_t;

static s_kv_t *s_get(s_map_t *m, const char *k)
{
    for (int i = 0; i < m->n; i++)
        if (!strcmp(m->e[i].k, k)) return &m->e[i];
    return NULL;
}

static s_kv_t *s_put(s_map_t *m, const char *k)
{
    s_kv_t *e = s_get(m, k);
    if (e) return e;
    if (m->n == MAXT) m->n = 0; /* forget the oldest: a long recording reuses the table */
    e = &m->e[m->n++];
    memset(e, 0, sizeof *e);
    snprintf(e->k, sizeof e->k, "%s", k);
    return e;
}

static const char *s_num(int64_t a)
{
    static char k[4][32];
    static int i;
    i = (i + 1) % 4;
    snprintf(k[i], sizeof k[i], "%lld", (long long)a);
    return k[i];
}

static struct {
    kalshi_ws_t *ws;
    jtok_t tok, stok; /* frames; the commands the session sends (while a frame is read) */
    s_map_t sub_id;    /* ticker -> id of the subscribe the replayed session sent */
    s_map_t last_book; /* topic -> hash of the last printed body */
    s_map_t id_ticker; /* recorded subscribe id -> market (first pass) */
    s_map_t sid_conn;  /* sids subscribed on the current connection */
    int64_t life_id, brti_id, now;
    uint64_t rewritten, unmapped, connections;
} R;

static uint64_t s_hash(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
    return h;
}

static void s_emit(void *arg, const char *topic, const char *body, size_t len, int64_t ts_rx,
                   int64_t ts_ex)
{
    (void)arg;
    (void)ts_rx;
    if (strncmp(topic, "kalshi.book.", 12)) {
        printf("%s %lld {%.*s}\n", topic, (long long)ts_ex, (int)len, body);
        return;
    }
    /* the book without its wall-clock "age_ms", printed when it changed */
    const char *a = memmem(body, len, ",\"age_ms\":", 10);
    size_t cut = a ? (size_t)(a - body) : len, rest = cut;
    if (a)
        for (rest = cut + 1; rest < len && body[rest] != ','; rest++) {}
    uint64_t h = (s_hash(body, cut) * 31 + s_hash(body + rest, len - rest)) ^ (uint64_t)ts_ex;
    s_kv_t *e = s_put(&R.last_book, topic);
    if (e->v == (int64_t)h) return;
    e->v = (int64_t)h;
    printf("%s %lld {%.*s%.*s}\n", topic, (long long)ts_ex, (int)cut, body, (int)(len - rest),
           body + rest);
}

static void s_tok_str(const jtok_t *d, int t, char *out, size_t n)
{
    size_t l = 0;
    const char *s = t >= 0 && jtok_type(d, t) == JSMN_STRING ? jtok_text(d, t, &l) : "";
    snprintf(out, n, "%.*s", (int)(l < n - 1 ? l : n - 1), s);
}

/* Remember the ids of the subscriptions the session sends. */
static void s_send(void *arg, const char *text, size_t len)
{
    (void)arg;
    printf("sent %.*s\n", (int)len, text);
    jtok_t *d = &R.stok;
    int64_t id;
    if (jtok_parse(d, text, len) <= 0 || jtok_int(d, jtok_get(d, 0, "id"), &id) < 0 ||
        !jtok_eq(d, jtok_get(d, 0, "cmd"), "subscribe"))
        return;
    int p = jtok_get(d, 0, "params"), ch = jtok_get(d, p, "channels");
    char tk[64];
    s_tok_str(d, jtok_get(d, p, "market_ticker"), tk, sizeof tk);
    if (*tk) s_put(&R.sub_id, tk)->v = id;
    else if (ch >= 0 && jtok_size(d, ch) > 0 && jtok_eq(d, ch + 1, "cfbenchmarks_value")) R.brti_id = id;
    else if (ch >= 0 && jtok_size(d, ch) > 0 && jtok_eq(d, ch + 1, "market_lifecycle_v2")) R.life_id = id;
}

static void s_lifecycle(void *arg, const char *ticker, const char *ev, const char *fs)
{
    (void)arg;
    printf("lifecycle %s %s %s\n", ticker, ev, fs ? fs : "-");
}

static const char *s_line(const char *line, ssize_t *n, int64_t *ts_rx)
{
    while (*n > 0 && (line[*n - 1] == '\n' || line[*n - 1] == '\r')) (*n)--;
    size_t len = (size_t)*n;
    const char *fr = framerec_split(line, &len, ts_rx);
    *n = (ssize_t)len;
    return fr;
}

static int s_is_data(const jtok_t *d, int ty)
{
    return jtok_eq(d, ty, "orderbook_snapshot") || jtok_eq(d, ty, "orderbook_delta") ||
           jtok_eq(d, ty, "ticker") || jtok_eq(d, ty, "trade");
}

/* First pass: recorded subscribe id -> the market the first data frame on its sid names. */
static void s_prescan(FILE *in)
{
    s_map_t pending; /* sid -> recorded id awaiting the sid's first data frame */
    pending.n = 0;
    char *line = NULL, tk[64];
    size_t cap = 0;
    ssize_t n;
    int64_t ts;
    jtok_t *d = &R.tok;
    while ((n = getline(&line, &cap, in)) >= 0) {
        const char *fr = s_line(line, &n, &ts);
        if (n <= 0 || jtok_parse(d, fr, (size_t)n) <= 0) continue;
        int ty = jtok_get(d, 0, "type"), msg = jtok_get(d, 0, "msg");
        int64_t id = 0, sid = 0;
        jtok_int(d, jtok_get(d, 0, "id"), &id);
        jtok_int(d, jtok_get(d, 0, "sid"), &sid);
        if (jtok_eq(d, ty, "subscribed") && jtok_int(d, jtok_get(d, msg, "sid"), &sid) == 0) {
            s_put(&pending, s_num(sid))->v = id;
        } else if (s_is_data(d, ty)) {
            s_kv_t *p = s_get(&pending, s_num(sid));
            if (!p || p->v <= 0) continue;
            s_tok_str(d, jtok_get(d, msg, "market_ticker"), tk, sizeof tk);
            if (*tk && !s_get(&R.id_ticker, s_num(p->v)))
                snprintf(s_put(&R.id_ticker, s_num(p->v))->t, 64, "%s", tk);
            p->v = 0;
        }
    }
    free(line);
}

/* The session's id for a market's subscription: follows the market first. */
static int64_t s_market_id(const char *tk)
{
    if (!kalshi_ws_following(R.ws, tk)) kalshi_ws_follow(R.ws, tk, 1);
    s_kv_t *e = s_get(&R.sub_id, tk);
    return e ? e->v : 0;
}

/* Map a recorded reply's id to the replayed session's command; 0: leave it. */
static int64_t s_translate(const jtok_t *d, int ty, int msg, int64_t id)
{
    char ch[64], tk[64];
    s_tok_str(d, jtok_get(d, msg, "channel"), ch, sizeof ch);
    if (jtok_eq(d, ty, "subscribed")) {
        int64_t sid = 0;
        jtok_int(d, jtok_get(d, msg, "sid"), &sid);
        if (s_get(&R.sid_conn, s_num(sid))) { /* a sid again: a new connection */
            kalshi_ws_disconnected(R.ws, 0);
            R.sid_conn.n = 0;
            R.connections++;
            kalshi_ws_connected(R.ws, R.now);
        }
        s_put(&R.sid_conn, s_num(sid));
        if (!strcmp(ch, "market_lifecycle_v2")) return R.life_id;
        if (!strcmp(ch, "cfbenchmarks_value")) return R.brti_id;
        s_kv_t *e = s_get(&R.id_ticker, s_num(id));
        return e ? s_market_id(e->t) : 0;
    }
    /* ok on a shared sid: a listed market not followed yet was the one subscribed */
    int mt = msg >= 0 && jtok_type(d, msg) == JSMN_OBJECT ? jtok_get(d, msg, "market_tickers") : -1;
    if (!jtok_eq(d, ty, "ok") || mt < 0 || jtok_type(d, mt) != JSMN_ARRAY) return 0;
    int n = jtok_size(d, mt), t = mt + 1;
    for (int k = 0; k < n; k++, t = jtok_skip(d, t)) {
        s_tok_str(d, t, tk, sizeof tk);
        if (*tk && !kalshi_ws_following(R.ws, tk)) return s_market_id(tk);
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: kalshireplay FILE [SERIES]\n");
        return 64;
    }
    log_init("kalshireplay", LOG_LVL_WARN);
    series_set_t set;
    char serr[300];
    if (series_load(&set, argc > 2 ? argv[2] : "", NULL, serr, sizeof serr) < 0) {
        fprintf(stderr, "kalshireplay: %s\n", serr);
        return 64;
    }
    FILE *in = strcmp(argv[1], "-") ? fopen(argv[1], "r") : NULL;
    if (!in) {
        fprintf(stderr, "kalshireplay: %s: cannot be read (a file, not stdin: read twice)\n", argv[1]);
        return 66;
    }
    jtok_init(&R.tok);
    jtok_init(&R.stok);
    s_prescan(in);
    rewind(in);
    kalshi_ws_cb_t cb = {s_emit, s_send, s_lifecycle, NULL, NULL, NULL};
    R.ws = kalshi_ws_new(&cb, argc > 2 ? argv[2] : SERIES_DEFAULT, 0, 0);
    for (int k = 0; k < set.n; k++) {
        char topic[64];
        series_index_topic(&set.s[k], topic, sizeof topic);
        kalshi_ws_index(R.ws, set.s[k].index_id, topic);
    }
    R.now = NS_PER_S;
    R.connections = 1;
    kalshi_ws_connected(R.ws, R.now);
    char *line = NULL, *buf = NULL;
    size_t cap = 0, bcap = 0;
    ssize_t n;
    uint64_t counts[3] = {0}; /* data, control, bad */
    jtok_t *d = &R.tok;
    while ((n = getline(&line, &cap, in)) >= 0) {
        int64_t ts_rx;
        const char *fr = s_line(line, &n, &ts_rx);
        if (n <= 0) continue;
        R.now += NS_PER_S;
        size_t len = (size_t)n;
        /* a reply to a subscription: its id becomes the replayed session's */
        if (jtok_parse(d, fr, len) > 0 && jtok_type(d, 0) == JSMN_OBJECT) {
            int ty = jtok_get(d, 0, "type"), it = jtok_get(d, 0, "id");
            int64_t id;
            if (it >= 0 && jtok_int(d, it, &id) == 0 && !s_is_data(d, ty)) {
                int64_t to = s_translate(d, ty, jtok_get(d, 0, "msg"), id);
                size_t il;
                const char *ip = jtok_text(d, it, &il);
                if (to > 0) {
                    const char *num = s_num(to);
                    size_t nl = strlen(num), off = (size_t)(ip - fr);
                    if (bcap < len + 32) buf = xrealloc(buf, bcap = len + 32);
                    memcpy(buf, fr, off);
                    memcpy(buf + off, num, nl);
                    memcpy(buf + off + nl, fr + off + il, len - off - il);
                    len = len - il + nl;
                    fr = buf;
                    R.rewritten++;
                } else if (jtok_eq(d, ty, "subscribed")) {
                    R.unmapped++;
                }
            }
        }
        int r = kalshi_ws_on_frame(R.ws, fr, len, ts_rx > 0 ? ts_rx : R.now, R.now);
        counts[r == 1 ? 0 : r == 0 ? 1 : 2]++;
        /* books that changed; command deadlines ignored (the recorded session
         * answered its own commands): their warnings silenced */
        int lvl = log_level;
        log_level = LOG_LVL_ERR;
        kalshi_ws_tick(R.ws, R.now, ts_rx);
        log_level = lvl;
    }
    const kalshi_ws_stats_t *st = kalshi_ws_stats(R.ws);
    printf("stats frames=%llu data=%llu ctrl=%llu bad=%llu unknown=%llu snapshots=%llu "
           "deltas=%llu tickers=%llu trades=%llu brti=%llu lifecycle=%llu gaps=%llu resyncs=%llu "
           "foreign_sid=%llu late=%llu errors=%llu connections=%llu ids_rewritten=%llu "
           "subscribed_unmapped=%llu markets=%d\n",
           (unsigned long long)st->frames, (unsigned long long)counts[0],
           (unsigned long long)counts[1], (unsigned long long)counts[2],
           (unsigned long long)st->unknown, (unsigned long long)st->snapshots,
           (unsigned long long)st->deltas, (unsigned long long)st->tickers,
           (unsigned long long)st->trades, (unsigned long long)st->brti,
           (unsigned long long)st->lifecycle, (unsigned long long)st->gaps,
           (unsigned long long)st->resyncs, (unsigned long long)st->foreign_sid,
           (unsigned long long)st->late, (unsigned long long)st->errors,
           (unsigned long long)R.connections, (unsigned long long)R.rewritten,
           (unsigned long long)R.unmapped, kalshi_ws_markets(R.ws));
    jw_t w;
    jw_init(&w, 4096);
    for (int i = 0; i < R.sub_id.n; i++) {
        const kalshi_book_t *b = kalshi_ws_book(R.ws, R.sub_id.e[i].k);
        if (!b) continue;
        jw_reset(&w);
        jw_fragment(&w);
        kalshi_book_write(b, &w, 0);
        printf("final %s {%.*s}\n", R.sub_id.e[i].k, (int)w.len, w.buf);
    }
    jw_free(&w);
    kalshi_ws_destroy(&R.ws);
    jtok_free(&R.tok);
    jtok_free(&R.stok);
    free(line);
    free(buf);
    int err = ferror(in);
    fclose(in);
    return err ? 1 : 0;
}
