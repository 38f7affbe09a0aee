/* kalshi_ws: Kalshi websocket protocol session (see kalshi_ws.h). Per-market
 * subscriptions (one sid per channel per market, so a seq gap touches one
 * book), replies matched by command id, frames read with jtok and written
 * with jw: no DOM on the per-message path. */
#include "kalshi_ws.h"
#include "clock.h"
#include "jtok.h"
#include "log.h"
#include "util.h"

#include <jansson.h> /* the self-test's expected books only, never the per-message path */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { CH_NONE, CH_BOOK, CH_TICKER, CH_TRADE, CH_LIFECYCLE, CH_BRTI };
enum { CMD_SUB_MARKET = 1, CMD_SUB_LIFECYCLE, CMD_SUB_BRTI, CMD_SNAPSHOT, CMD_UNSUB, CMD_UPDATE,
       CMD_LIST };

/* An index relayed from cfbenchmarks_value, and its bus topic. */
typedef struct {
    char id[32], topic[48];
    uint64_t values;
    int listed; /* named by this connection's indexlist reply */
} s_idx_t;

#define TICKER_MAX 64
#define SID_MARKETS 64 /* followed markets one sid can be known to carry (<= 4 a series) */

typedef struct {
    int id, kind, acks_left;
    char ticker[TICKER_MAX];
    int64_t sent_mono;
} s_cmd_t;

/* A subscription of this connection. A market channel's sid may carry several
 * markets: Kalshi answers a subscribe on a channel already subscribed either
 * with a new sid (`subscribed`) or with `ok` on the existing sid listing all
 * its markets; MK is what the replies said, restricted to followed markets. */
typedef struct {
    int sid, chan;
    int64_t last_seq; /* 0: none seen yet */
    int nmk;
    char mk[SID_MARKETS][TICKER_MAX];
} s_sid_t;

typedef struct {
    char ticker[TICKER_MAX];
    kalshi_book_t book;
    int active;
    int sid[3];       /* book, ticker, trade */
    int sub_id;       /* pending subscribe */
    int snap_id;      /* pending get_snapshot */
    int had_snapshot; /* since the last (re)subscribe */
    int stale_tries;
    int bad_snaps;         /* unusable snapshots in a row (resubscribe backs off) */
    int64_t resub_at;      /* mono ns of a delayed resubscribe, 0 none */
    int dirty;
    int64_t last_data_mono, last_pub_mono, sub_retry_mono;
    int64_t ts_rx, ts_ex; /* of the last change */
    int64_t seq;
} s_mkt_t;

struct kalshi_ws {
    kalshi_ws_cb_t cb;
    char series[512]; /* "KXBTC15M" or "KXBTC15M,KXETH15M,..." */
    s_idx_t idx[KALSHI_INDEX_MAX];
    int nidx, idx_default; /* idx_default: BRTI alone, until kalshi_ws_index */
    int indexlist_id;      /* our indexlist request of this connection (not a deadline command) */
    /* -1: the subscription names every index. Else a subscribe naming them all was refused
     * (an id Kalshi does not relay would do it): subscribe idx[idx_try] alone, then add the
     * others the indexlist names with subscribe_indices; a refusal moves on to the next id. */
    int idx_try;
    int use_yes_price;
    int64_t stale_ns;
    int connected;
    int next_id;
    s_cmd_t *cmd;
    int ncmd, capcmd;
    s_sid_t *sids;
    int nsid, capsid;
    s_mkt_t **mkt;
    int nmkt, capmkt;
    int sid_lifecycle, sid_brti, life_pending, brti_pending, list_pending;
    unsigned probe_id; /* a probe waiting for the reply to command probe_cmd */
    int probe_cmd;
    int64_t life_retry_mono, brti_retry_mono, last_data_mono;
    jtok_t tok, tok2;
    jw_t w, cw;
    char topic[128];
    kalshi_ws_stats_t st;
    int seen_fp_snapshot, seen_plain_snapshot, seen_taker_outcome, seen_taker_side;
};

static const char *s_chan_name[] = {"", "orderbook_delta", "ticker", "trade",
                                    "market_lifecycle_v2", "cfbenchmarks_value"};

static int s_chan_of(const jtok_t *d, int t)
{
    for (int c = CH_BOOK; c <= CH_BRTI; c++)
        if (jtok_eq(d, t, s_chan_name[c])) return c;
    return CH_NONE;
}

kalshi_ws_t *kalshi_ws_new(const kalshi_ws_cb_t *cb, const char *series, int use_yes_price,
                           double stale_s)
{
    kalshi_ws_t *s = xcalloc(1, sizeof *s);
    s->cb = *cb;
    snprintf(s->series, sizeof s->series, "%s", series);
    s->use_yes_price = use_yes_price;
    s->stale_ns = (int64_t)(stale_s * 1e9);
    s->next_id = 1;
    kalshi_ws_index(s, "BRTI", "index.brti");
    s->idx_default = 1;
    s->idx_try = -1;
    jtok_init(&s->tok);
    jtok_init(&s->tok2);
    jw_init(&s->w, 4096);
    jw_init(&s->cw, 512);
    return s;
}

void kalshi_ws_destroy(kalshi_ws_t **sp)
{
    if (!sp || !*sp) return;
    kalshi_ws_t *s = *sp;
    for (int i = 0; i < s->nmkt; i++) {
        kalshi_book_free(&s->mkt[i]->book);
        free(s->mkt[i]);
    }
    free(s->mkt);
    free(s->cmd);
    free(s->sids);
    jtok_free(&s->tok);
    jtok_free(&s->tok2);
    jw_free(&s->w);
    jw_free(&s->cw);
    free(s);
    *sp = NULL;
}

const kalshi_ws_stats_t *kalshi_ws_stats(const kalshi_ws_t *s) { return &s->st; }

int kalshi_ws_index(kalshi_ws_t *s, const char *id, const char *topic)
{
    if (s->idx_default) s->nidx = s->idx_default = 0;
    if (s->nidx == KALSHI_INDEX_MAX || !*id || strlen(id) >= sizeof s->idx[0].id ||
        strlen(topic) >= sizeof s->idx[0].topic)
        return -1;
    for (int i = 0; i < s->nidx; i++)
        if (!strcmp(s->idx[i].id, id)) return 0;
    s_idx_t *x = &s->idx[s->nidx++];
    memset(x, 0, sizeof *x);
    snprintf(x->id, sizeof x->id, "%s", id);
    snprintf(x->topic, sizeof x->topic, "%s", topic);
    return 0;
}

const char *kalshi_ws_index_at(const kalshi_ws_t *s, int i, uint64_t *values)
{
    if (i < 0 || i >= s->nidx) return NULL;
    if (values) *values = s->idx[i].values;
    return s->idx[i].id;
}

static s_idx_t *s_idx(kalshi_ws_t *s, const char *id)
{
    for (int i = 0; i < s->nidx; i++)
        if (!strcmp(s->idx[i].id, id)) return &s->idx[i];
    return NULL;
}

/* 1 when TICKER's series (its prefix before the first '-') is one of ours. */
static int s_our_series(const kalshi_ws_t *s, const char *ticker)
{
    const char *dash = strchr(ticker, '-');
    if (!dash || dash == ticker) return 0;
    size_t n = (size_t)(dash - ticker);
    for (const char *p = s->series; *p;) {
        size_t l = strcspn(p, ", ");
        if (l == n && !strncmp(p, ticker, n)) return 1;
        p += l;
        p += strspn(p, ", ");
    }
    return 0;
}
int kalshi_ws_markets(const kalshi_ws_t *s) { return s->nmkt; }

static s_mkt_t *s_mkt(const kalshi_ws_t *s, const char *ticker)
{
    for (int i = 0; i < s->nmkt; i++)
        if (!strcmp(s->mkt[i]->ticker, ticker)) return s->mkt[i];
    return NULL;
}

static s_mkt_t *s_mkt_tok(const kalshi_ws_t *s, const jtok_t *d, int t)
{
    char buf[TICKER_MAX];
    if (t < 0 || jtok_str(d, t, buf, sizeof buf) < 0) return NULL;
    return s_mkt(s, buf);
}

const kalshi_book_t *kalshi_ws_book(const kalshi_ws_t *s, const char *ticker)
{
    s_mkt_t *m = s_mkt(s, ticker);
    return m ? &m->book : NULL;
}

int kalshi_ws_following(const kalshi_ws_t *s, const char *ticker) { return s_mkt(s, ticker) != NULL; }

/* ---- commands ---- */

static void s_cmd_add(kalshi_ws_t *s, int id, int kind, int acks, const char *ticker,
                      int64_t now)
{
    if (s->ncmd == s->capcmd) {
        s->capcmd = s->capcmd ? s->capcmd * 2 : 16;
        s->cmd = xrealloc(s->cmd, (size_t)s->capcmd * sizeof *s->cmd);
    }
    s_cmd_t *c = &s->cmd[s->ncmd++];
    memset(c, 0, sizeof *c);
    c->id = id;
    c->kind = kind;
    c->acks_left = acks;
    c->sent_mono = now;
    snprintf(c->ticker, sizeof c->ticker, "%s", ticker ? ticker : "");
}

static s_cmd_t *s_cmd_find(kalshi_ws_t *s, int64_t id)
{
    for (int i = 0; i < s->ncmd; i++)
        if (s->cmd[i].id == id) return &s->cmd[i];
    return NULL;
}

static void s_cmd_done(kalshi_ws_t *s, s_cmd_t *c)
{
    int i = (int)(c - s->cmd);
    s->cmd[i] = s->cmd[--s->ncmd];
}

/* Start command CMD in s->cw: {"id":N,"cmd":CMD and, with PARAMS, "params":{.
 * Returns N; s_cmd_send closes what was opened and sends it. */
static int s_cmd_begin(kalshi_ws_t *s, const char *cmd, int params)
{
    int id = s->next_id++;
    jw_reset(&s->cw);
    jw_obj(&s->cw);
    jw_kint(&s->cw, "id", id);
    jw_kstr(&s->cw, "cmd", cmd);
    if (params) {
        jw_key(&s->cw, "params");
        jw_obj(&s->cw);
    }
    return id;
}

static void s_cmd_send(kalshi_ws_t *s, int params)
{
    if (params) jw_obj_end(&s->cw);
    jw_obj_end(&s->cw);
    s->cb.send(s->cb.arg, s->cw.buf, s->cw.len);
}

static void s_sub_market(kalshi_ws_t *s, s_mkt_t *m, int64_t now)
{
    int id = s_cmd_begin(s, "subscribe", 1);
    jw_key(&s->cw, "channels");
    jw_arr(&s->cw);
    jw_str(&s->cw, "orderbook_delta");
    jw_str(&s->cw, "ticker");
    jw_str(&s->cw, "trade");
    jw_arr_end(&s->cw);
    jw_kstr(&s->cw, "market_ticker", m->ticker);
    jw_kbool(&s->cw, "send_initial_snapshot", 1);
    jw_kbool(&s->cw, "use_yes_price", s->use_yes_price);
    s_cmd_send(s, 1);
    s_cmd_add(s, id, CMD_SUB_MARKET, 3, m->ticker, now);
    m->sub_id = id;
    m->had_snapshot = 0;
    m->sid[0] = m->sid[1] = m->sid[2] = 0;
}

static void s_sub_global(kalshi_ws_t *s, int kind, int64_t now)
{
    int id = s_cmd_begin(s, "subscribe", 1);
    jw_key(&s->cw, "channels");
    jw_arr(&s->cw);
    jw_str(&s->cw, kind == CMD_SUB_BRTI ? "cfbenchmarks_value" : "market_lifecycle_v2");
    jw_arr_end(&s->cw);
    if (kind == CMD_SUB_BRTI) {
        jw_key(&s->cw, "index_ids");
        jw_arr(&s->cw);
        for (int i = 0; i < s->nidx; i++)
            if (s->idx_try < 0 || i == s->idx_try) jw_str(&s->cw, s->idx[i].id);
        jw_arr_end(&s->cw);
    }
    s_cmd_send(s, 1);
    s_cmd_add(s, id, kind, 1, NULL, now);
    if (kind == CMD_SUB_BRTI) s->brti_pending = id;
    else s->life_pending = id;
}

static void s_unsub(kalshi_ws_t *s, const int *sids, int n, int64_t now)
{
    int any = 0;
    for (int i = 0; i < n; i++) any |= sids[i] > 0;
    if (!any) return;
    int id = s_cmd_begin(s, "unsubscribe", 1);
    jw_key(&s->cw, "sids");
    jw_arr(&s->cw);
    int acks = 0;
    for (int i = 0; i < n; i++)
        if (sids[i] > 0) { jw_int(&s->cw, sids[i]); acks++; }
    jw_arr_end(&s->cw);
    s_cmd_send(s, 1);
    s_cmd_add(s, id, CMD_UNSUB, acks, NULL, now);
}

static void s_sid_forget(kalshi_ws_t *s, int sid)
{
    for (int i = 0; i < s->nsid; i++)
        if (s->sids[i].sid == sid) {
            s->sids[i] = s->sids[--s->nsid];
            return;
        }
}

static s_sid_t *s_sid(kalshi_ws_t *s, int64_t sid)
{
    for (int i = 0; i < s->nsid; i++)
        if (s->sids[i].sid == sid) return &s->sids[i];
    return NULL;
}

static s_sid_t *s_sid_new(kalshi_ws_t *s, int sid, int chan)
{
    s_sid_t *e = s_sid(s, sid);
    if (e) return e;
    if (s->nsid == s->capsid) {
        s->capsid = s->capsid ? s->capsid * 2 : 16;
        s->sids = xrealloc(s->sids, (size_t)s->capsid * sizeof *s->sids);
    }
    e = &s->sids[s->nsid++];
    memset(e, 0, sizeof *e);
    e->sid = sid;
    e->chan = chan;
    return e;
}

static int s_sid_has(const s_sid_t *e, const char *ticker)
{
    for (int i = 0; i < e->nmk; i++)
        if (!strcmp(e->mk[i], ticker)) return 1;
    return 0;
}

static void s_sid_add(s_sid_t *e, const char *ticker)
{
    if (s_sid_has(e, ticker) || e->nmk == SID_MARKETS || strlen(ticker) >= TICKER_MAX) return;
    snprintf(e->mk[e->nmk++], TICKER_MAX, "%s", ticker);
}

static void s_sid_del(s_sid_t *e, const char *ticker)
{
    for (int i = 0; i < e->nmk; i++)
        if (!strcmp(e->mk[i], ticker)) {
            memcpy(e->mk[i], e->mk[--e->nmk], TICKER_MAX);
            return;
        }
}

/* E's markets := the followed ones of the reply's `market_tickers` array ARR. */
static void s_sid_set(kalshi_ws_t *s, s_sid_t *e, const jtok_t *d, int arr)
{
    e->nmk = 0;
    int n = jtok_size(d, arr), t = arr + 1;
    for (int k = 0; k < n; k++, t = jtok_skip(d, t)) {
        char buf[TICKER_MAX];
        if (jtok_str(d, t, buf, sizeof buf) >= 0 && s_mkt(s, buf)) s_sid_add(e, buf);
    }
}

/* Does E carry a followed market other than EXCEPT? */
static int s_sid_live(const kalshi_ws_t *s, const s_sid_t *e, const char *except)
{
    for (int i = 0; i < e->nmk; i++)
        if (strcmp(e->mk[i], except) && s_mkt(s, e->mk[i])) return 1;
    return 0;
}

static int s_is_market_chan(int chan) { return chan == CH_BOOK || chan == CH_TICKER || chan == CH_TRADE; }

/* update_subscription {sid, market_tickers:[TICKER], action}: command KIND. */
static int s_update(kalshi_ws_t *s, int sid, const char *ticker, const char *action, int kind,
                    int64_t now)
{
    int id = s_cmd_begin(s, "update_subscription", 1);
    jw_kint(&s->cw, "sid", sid);
    jw_key(&s->cw, "market_tickers");
    jw_arr(&s->cw);
    jw_str(&s->cw, ticker);
    jw_arr_end(&s->cw);
    jw_kstr(&s->cw, "action", action);
    s_cmd_send(s, 1);
    s_cmd_add(s, id, kind, 1, ticker, now);
    return id;
}

/* delete_markets TICKER from SID (the sid carries other followed markets). */
static void s_delete_market(kalshi_ws_t *s, int sid, const char *ticker, int64_t now)
{
    s_update(s, sid, ticker, "delete_markets", CMD_UPDATE, now);
    s->st.market_deletes++;
}

/* After a refused subscribe (idx_try >= 0): the other configured ids the indexlist names
 * join the subscription by update_subscription subscribe_indices (its reply, ok or error,
 * is only logged). */
static void s_add_listed(kalshi_ws_t *s)
{
    int n = 0;
    for (int i = 0; i < s->nidx; i++) n += i != s->idx_try && s->idx[i].listed;
    if (!n || s->sid_brti <= 0) return;
    int id = s_cmd_begin(s, "update_subscription", 1);
    jw_kint(&s->cw, "sid", s->sid_brti);
    jw_kstr(&s->cw, "action", "subscribe_indices");
    jw_key(&s->cw, "index_ids");
    jw_arr(&s->cw);
    for (int i = 0; i < s->nidx; i++)
        if (i != s->idx_try && s->idx[i].listed) jw_str(&s->cw, s->idx[i].id);
    jw_arr_end(&s->cw);
    s_cmd_send(s, 1);
    log_info("kalshi: adding the %d listed index ids to the index subscription (id=%d)", n, id);
}

/* Once per connection, on the index sid: update_subscription action indexlist, which
 * asks which index ids the channel relays (docs.kalshi.com/websockets/cfbenchmarks-value).
 * Not a deadline command: an unanswered indexlist costs nothing but the log line. */
static void s_indexlist(kalshi_ws_t *s)
{
    if (s->indexlist_id || s->sid_brti <= 0) return;
    int id = s_cmd_begin(s, "update_subscription", 1);
    jw_kint(&s->cw, "sid", s->sid_brti);
    jw_kstr(&s->cw, "action", "indexlist");
    s_cmd_send(s, 1);
    s->indexlist_id = id;
}

/* The indexlist reply's list ARR (strings): logged, and every index we relay that it
 * does not name is a warning. */
static void s_on_indexlist(kalshi_ws_t *s, int arr)
{
    const jtok_t *d = &s->tok;
    char line[600] = "", id[64];
    size_t l = 0;
    int n = jtok_size(d, arr), o = arr + 1;
    s->st.indexlists++;
    for (int k = 0; k < n; k++, o = jtok_skip(d, o))
        if (jtok_str(d, o, id, sizeof id) >= 0 && l < sizeof line - 1)
            l += (size_t)snprintf(line + l, sizeof line - l, "%s%s", l ? " " : "", id);
    if (l >= sizeof line) l = sizeof line - 1;
    log_info("kalshi: cfbenchmarks_value indexlist (%d ids): %s", n, line);
    for (int i = 0; i < s->nidx; i++) {
        int found = 0;
        o = arr + 1;
        for (int k = 0; k < n && !found; k++, o = jtok_skip(d, o))
            found = jtok_eq(d, o, s->idx[i].id);
        if (!found) {
            s->st.index_missing++;
            log_warnx("kalshi: index %s is not in Kalshi's cfbenchmarks_value indexlist: "
                      "its series will have no official index", s->idx[i].id);
        }
        s->idx[i].listed = found;
    }
    if (s->idx_try >= 0) s_add_listed(s);
}

/* A reply that may carry the indexlist: MSG is the list itself or {index_ids:[..]}. */
static int s_indexlist_reply(kalshi_ws_t *s, int msg)
{
    const jtok_t *d = &s->tok;
    int arr = msg >= 0 && jtok_type(d, msg) == JSMN_OBJECT ? jtok_get(d, msg, "index_ids") : msg;
    if (arr < 0 || jtok_type(d, arr) != JSMN_ARRAY) {
        size_t l;
        const char *t = jtok_text(d, 0, &l); /* what was seen, for the next reader of the docs */
        s->st.bad++;
        log_warnx_rl("kalshi: indexlist reply without a list of index ids: %.*s",
                     (int)(l > 300 ? 300 : l), t);
        return -1;
    }
    s_on_indexlist(s, arr);
    return 0;
}

/* When in doubt about what a sid carries: list_subscriptions (one at a time). */
static void s_list_subs(kalshi_ws_t *s, int64_t now)
{
    if (s->list_pending) return;
    int id = s_cmd_begin(s, "list_subscriptions", 0);
    s_cmd_send(s, 0);
    s_cmd_add(s, id, CMD_LIST, 1, NULL, now);
    s->list_pending = id;
    s->st.list_requests++;
}

int kalshi_ws_probe(kalshi_ws_t *s, unsigned probe_id, int64_t now)
{
    if (!s->connected) return 0;
    s_list_subs(s, now); /* none if one is in flight: its reply answers */
    s->probe_id = probe_id;
    s->probe_cmd = s->list_pending;
    return 1;
}

/* A reply to command ID: the probe waiting for it is answered. */
static void s_probe_reply(kalshi_ws_t *s, int64_t id)
{
    if (!s->probe_id || id != s->probe_cmd) return;
    unsigned p = s->probe_id;
    s->probe_id = 0;
    s->probe_cmd = 0;
    if (s->cb.probe_answered) s->cb.probe_answered(s->cb.arg, p);
}

static void s_unsub(kalshi_ws_t *s, const int *sids, int n, int64_t now);
static void s_sid_forget(kalshi_ws_t *s, int sid);

/* TICKER leaves the sids that carry it (or that M maps): a sid that still
 * carries another followed market loses only this one (delete_markets); a sid
 * left with no followed market is unsubscribed. */
static void s_drop_market(kalshi_ws_t *s, const char *ticker, const int *msid, int64_t now)
{
    int cand[64], nc = 0, un[64], nu = 0;
    for (int i = 0; i < s->nsid && nc < 64; i++) {
        s_sid_t *e = &s->sids[i];
        int mapped = msid && (e->sid == msid[0] || e->sid == msid[1] || e->sid == msid[2]);
        if (s_is_market_chan(e->chan) && (mapped || s_sid_has(e, ticker))) cand[nc++] = e->sid;
    }
    for (int i = 0; i < nc; i++) {
        s_sid_t *e = s_sid(s, cand[i]);
        s_sid_del(e, ticker);
        if (s_sid_live(s, e, ticker)) {
            s_delete_market(s, e->sid, ticker, now);
        } else {
            un[nu++] = e->sid;
            s_sid_forget(s, e->sid);
        }
    }
    s_unsub(s, un, nu, now);
}

static void s_event(kalshi_ws_t *s, const char *kind, const char *ticker, const char *reason,
                    int64_t sid, int64_t expected, int64_t got, int64_t ts_rx)
{
    jw_reset(&s->w);
    jw_fragment(&s->w);
    if (!s->cb.event) {
        jw_kstr(&s->w, "venue", "kalshi");
        if (ticker && *ticker) jw_kstr(&s->w, "ticker", ticker);
        jw_kstr(&s->w, "reason", reason);
    } else if (ticker && *ticker) {
        jw_kstr(&s->w, "ticker", ticker);
    }
    if (sid > 0) jw_kint(&s->w, "sid", sid);
    if (expected >= 0) jw_kint(&s->w, "expected_seq", expected);
    if (got >= 0) jw_kint(&s->w, "got_seq", got);
    if (s->cb.event) {
        s->cb.event(s->cb.arg, kind, reason, s->w.len ? s->w.buf : NULL, s->w.len, ts_rx);
        return;
    }
    snprintf(s->topic, sizeof s->topic, "event.%s", kind);
    s->cb.emit(s->cb.arg, s->topic, s->w.buf, s->w.len, ts_rx, -1);
}

/* Drop M's subscription and subscribe again (codes 10/25, failed snapshot). */
static void s_resubscribe(kalshi_ws_t *s, s_mkt_t *m, const char *why, int64_t now, int64_t ts_rx)
{
    s->st.resubscribes++;
    s->st.resyncs++;
    log_warnx_rl("kalshi: resubscribing ticker=%s reason=%s", m->ticker, why);
    s_event(s, "resync", m->ticker, why, 0, -1, -1, ts_rx);
    s_drop_market(s, m->ticker, m->sid, now);
    m->sid[0] = m->sid[1] = m->sid[2] = 0;
    kalshi_book_clear(&m->book);
    m->dirty = 1;
    m->snap_id = 0;
    m->resub_at = 0;
    if (m->sub_id) {
        s_cmd_t *c = s_cmd_find(s, m->sub_id);
        if (c) s_cmd_done(s, c);
    }
    s_sub_market(s, m, now);
}

static void s_publish_book(kalshi_ws_t *s, s_mkt_t *m, int64_t now);

/* The book of M is out of sync: invalidate it and ask for a snapshot. */
static void s_resync(kalshi_ws_t *s, s_mkt_t *m, const char *why, int64_t now, int64_t ts_rx)
{
    int was_valid = m->book.valid;
    m->book.valid = 0;
    m->dirty = 1;
    if (was_valid) s_publish_book(s, m, now); /* say so at once, not at the next throttle slot */
    if (m->snap_id || (m->sub_id && !m->had_snapshot)) return; /* a snapshot is coming */
    if (m->sid[0] <= 0) {
        s_resubscribe(s, m, why, now, ts_rx);
        return;
    }
    s->st.resyncs++;
    m->snap_id = s_update(s, m->sid[0], m->ticker, "get_snapshot", CMD_SNAPSHOT, now);
    log_info("kalshi: resync ticker=%s reason=%s was_valid=%d action=get_snapshot", m->ticker,
             why, was_valid);
    s_event(s, "resync", m->ticker, why, m->sid[0], -1, -1, ts_rx);
}

void kalshi_ws_follow(kalshi_ws_t *s, const char *ticker, int active)
{
    s_mkt_t *m = s_mkt(s, ticker);
    if (m) {
        if (active && !m->active) m->last_data_mono = clock_mono_ns();
        m->active = active;
        return;
    }
    if (strlen(ticker) >= TICKER_MAX) return;
    if (s->nmkt == s->capmkt) {
        s->capmkt = s->capmkt ? s->capmkt * 2 : 8;
        s->mkt = xrealloc(s->mkt, (size_t)s->capmkt * sizeof *s->mkt);
    }
    m = xcalloc(1, sizeof *m);
    snprintf(m->ticker, sizeof m->ticker, "%s", ticker);
    kalshi_book_init(&m->book);
    m->active = active;
    m->last_data_mono = clock_mono_ns();
    s->mkt[s->nmkt++] = m;
    if (s->connected) s_sub_market(s, m, clock_mono_ns());
}

void kalshi_ws_unfollow(kalshi_ws_t *s, const char *ticker)
{
    for (int i = 0; i < s->nmkt; i++) {
        s_mkt_t *m = s->mkt[i];
        if (strcmp(m->ticker, ticker)) continue;
        int msid[3] = {m->sid[0], m->sid[1], m->sid[2]};
        char t[TICKER_MAX];
        snprintf(t, sizeof t, "%s", m->ticker);
        kalshi_book_free(&m->book);
        free(m);
        s->mkt[i] = s->mkt[--s->nmkt];
        /* after the removal, so that the ticker no longer counts as live */
        if (s->connected) s_drop_market(s, t, msid, clock_mono_ns());
        /* A subscribe still in flight is answered later; the ticker is then
         * dropped from the sids of the reply because it is no longer followed. */
        return;
    }
}

/* A connection began (CONNECTED 1) or ended: no command is pending and no sid
 * is known (Kalshi numbers sids per connection). */
static void s_session_reset(kalshi_ws_t *s, int connected)
{
    s->connected = connected;
    s->ncmd = 0;
    s->nsid = 0;
    s->sid_lifecycle = s->sid_brti = s->life_pending = s->brti_pending = s->list_pending = 0;
    s->indexlist_id = 0;
    s->probe_id = 0;
    s->probe_cmd = 0;
}

void kalshi_ws_connected(kalshi_ws_t *s, int64_t now)
{
    s_session_reset(s, 1);
    for (int i = 0; i < s->nmkt; i++) {
        s_mkt_t *m = s->mkt[i];
        kalshi_book_clear(&m->book);
        m->dirty = 1;
        m->snap_id = 0;
        m->resub_at = 0;
        m->stale_tries = 0;
        m->last_data_mono = now;
        s_sub_market(s, m, now);
    }
    s_sub_global(s, CMD_SUB_LIFECYCLE, now);
    s_sub_global(s, CMD_SUB_BRTI, now);
}

void kalshi_ws_disconnected(kalshi_ws_t *s, int64_t ts_rx)
{
    s_session_reset(s, 0);
    for (int i = 0; i < s->nmkt; i++) {
        s_mkt_t *m = s->mkt[i];
        if (m->book.valid) m->ts_rx = ts_rx;
        kalshi_book_clear(&m->book);
        m->dirty = 1;
        m->sub_id = m->snap_id = 0;
        m->sid[0] = m->sid[1] = m->sid[2] = 0;
    }
}

/* ---- frames ---- */

/* Check SEQ on SID. Returns 1 on a gap (logged, counted), 0 otherwise. A
 * RESET (snapshot) restarts the count; control frames only move it forward. */
static int s_seq(kalshi_ws_t *s, int64_t sid, int64_t seq, int mode, int64_t *expected)
{
    s_sid_t *e = s_sid(s, sid);
    if (!e || seq <= 0) return 0;
    int gap = 0;
    if (mode == 0 && e->last_seq > 0 && seq - 1 != e->last_seq) { /* seq > 0: no overflow */
        gap = 1;
        if (expected) *expected = e->last_seq < INT64_MAX ? e->last_seq + 1 : INT64_MAX;
    }
    if (mode == 2 && seq <= e->last_seq) return 0;
    e->last_seq = seq;
    return gap;
}

static void s_book_levels(kalshi_ws_t *s, s_mkt_t *m, const jtok_t *d, int arr, int side,
                          int *bad)
{
    if (arr < 0) return;
    if (jtok_type(d, arr) != JSMN_ARRAY) { (*bad)++; return; }
    int n = jtok_size(d, arr), i = arr + 1;
    for (int k = 0; k < n; k++, i = jtok_skip(d, i)) {
        int64_t px, sz;
        if (jtok_type(d, i) != JSMN_ARRAY || jtok_size(d, i) < 2 ||
            jtok_fixed(d, i + 1, KALSHI_PX_SCALE, &px) < 0 ||
            jtok_fixed(d, jtok_skip(d, i + 1), KALSHI_SZ_SCALE, &sz) < 0 || sz < 0) {
            (*bad)++;
            continue;
        }
        if (side == KALSHI_NO && s->use_yes_price) px = KALSHI_PX_ONE - px;
        if (kalshi_book_set(&m->book, side, px, sz) < 0) (*bad)++;
    }
}

/* Book data on a sid we do not hold (never subscribed, or already dropped:
 * a late frame after an unsubscribe or a code-25 resubscribe), or on a sid
 * that does not carry its market: never applied, counted, logged. */
static int s_foreign(kalshi_ws_t *s, const char *what, int64_t sid, int64_t seq, const s_mkt_t *m)
{
    s->st.foreign_sid++;
    log_warnx_rl("kalshi: %s on sid=%lld seq=%lld ticker=%s not carried by that sid: dropped",
                 what, (long long)sid, (long long)seq, m ? m->ticker : "?");
    return 0;
}

/* E carries M's book: the replies put M on E, or E is M's book sid. */
static int s_carries(const s_sid_t *e, const s_mkt_t *m)
{
    return e->chan == CH_BOOK && (m->sid[0] == e->sid || s_sid_has(e, m->ticker));
}

static int s_on_snapshot(kalshi_ws_t *s, int msg, int64_t sid, int64_t seq, int64_t id,
                         int64_t ts_rx, int64_t now)
{
    const jtok_t *d = &s->tok;
    s_mkt_t *m = s_mkt_tok(s, d, jtok_get(d, msg, "market_ticker"));
    s_sid_t *e = s_sid(s, sid);
    if (!e) return s_foreign(s, "orderbook_snapshot", sid, seq, m);
    s_seq(s, sid, seq, 1, NULL);
    if (!m) { s->st.late++; return 0; }
    if (!s_carries(e, m)) return s_foreign(s, "orderbook_snapshot", sid, seq, m);
    s->st.snapshots++;
    /* Any snapshot resets the book, whatever id it carries (the id and seq of
     * a get_snapshot reply are not documented): it also answers our request. */
    if (id > 0) {
        s_cmd_t *c = s_cmd_find(s, id);
        if (c && c->kind == CMD_SNAPSHOT) s_cmd_done(s, c);
    }
    if (m->snap_id) {
        s_cmd_t *c = s_cmd_find(s, m->snap_id);
        if (c) s_cmd_done(s, c);
        m->snap_id = 0;
    }
    if (m->sid[0] <= 0) m->sid[0] = (int)sid;
    kalshi_book_clear(&m->book);
    int bad = 0;
    int y = jtok_get(d, msg, "yes_dollars_fp"), n = jtok_get(d, msg, "no_dollars_fp");
    int y2 = jtok_get(d, msg, "yes_dollars"), n2 = jtok_get(d, msg, "no_dollars");
    if ((y >= 0 || n >= 0) && !s->seen_fp_snapshot++)
        log_info("kalshi: snapshot sides named yes_dollars_fp/no_dollars_fp (spec form)");
    if ((y2 >= 0 || n2 >= 0) && !s->seen_plain_snapshot++)
        log_info("kalshi: snapshot sides named yes_dollars/no_dollars (REST form)");
    s_book_levels(s, m, d, y >= 0 ? y : y2, KALSHI_YES, &bad);
    s_book_levels(s, m, d, n >= 0 ? n : n2, KALSHI_NO, &bad);
    m->had_snapshot = 1;
    m->dirty = 1;
    m->ts_rx = ts_rx;
    m->ts_ex = -1;
    m->seq = seq;
    m->last_data_mono = now;
    m->stale_tries = 0;
    if (bad || kalshi_book_crossed(&m->book)) {
        s->st.bad++;
        log_warnx_rl("kalshi: unusable snapshot ticker=%s bad_levels=%d crossed=%d", m->ticker,
                     bad, kalshi_book_crossed(&m->book));
        /* resubscribe after a pause that doubles (1 s .. 16 s): a server that
         * keeps sending a broken book must not get a tight resubscribe loop */
        m->book.valid = 0;
        int k = m->bad_snaps < 4 ? m->bad_snaps : 4;
        m->bad_snaps++;
        m->resub_at = now + ((int64_t)1 << k) * NS_PER_S;
        s_event(s, "gap", m->ticker, bad ? "bad_snapshot" : "crossed_snapshot", sid, -1, seq, ts_rx);
        return 1;
    }
    m->bad_snaps = 0;
    m->resub_at = 0; /* a good snapshot cancels the retry a bad one scheduled */
    m->book.valid = 1;
    return 1;
}

/* A venue time in ms into ns; -1 when absent, negative or past CLOCK_MAX_NS. */
static int64_t s_ms_ns(int64_t ms)
{
    int64_t ns;
    return clock_from_units(ms, NS_PER_MS, &ns) == 0 ? ns : -1;
}

static int s_on_delta(kalshi_ws_t *s, int msg, int64_t sid, int64_t seq, int64_t ts_rx,
                      int64_t now)
{
    const jtok_t *d = &s->tok;
    int64_t expected = -1;
    s_mkt_t *m = s_mkt_tok(s, d, jtok_get(d, msg, "market_ticker"));
    s_sid_t *e = s_sid(s, sid);
    if (!e) return s_foreign(s, "orderbook_delta", sid, seq, m); /* never ours, or dropped */
    int gap = s_seq(s, sid, seq, 0, &expected);
    if (gap) {
        s->st.gaps++;
        log_warnx_rl("kalshi: seq gap sid=%lld expected=%lld got=%lld",
                     (long long)sid, (long long)expected, (long long)seq);
        s_event(s, "gap", m ? m->ticker : "", "seq_gap", sid, expected, seq, ts_rx);
        /* Every market on this sid is out of sync. */
        for (int i = 0; i < s->nmkt; i++)
            if (s->mkt[i]->sid[0] == sid) s_resync(s, s->mkt[i], "seq_gap", now, ts_rx);
        return 1;
    }
    if (!m) { s->st.late++; return 0; }
    if (!s_carries(e, m)) return s_foreign(s, "orderbook_delta", sid, seq, m);
    s->st.deltas++;
    m->last_data_mono = now;
    m->stale_tries = 0;
    if (!m->book.valid) {
        if (!m->had_snapshot && !m->sub_id && !m->snap_id) { /* nothing coming: resync */
            s->st.gaps++;
            s_event(s, "gap", m->ticker, "delta_before_snapshot", sid, -1, seq, ts_rx);
            s_resync(s, m, "delta_before_snapshot", now, ts_rx);
        }
        return 1; /* dropped until the snapshot arrives */
    }
    int side = -1;
    int st = jtok_get(d, msg, "side");
    if (jtok_eq(d, st, "yes")) side = KALSHI_YES;
    else if (jtok_eq(d, st, "no")) side = KALSHI_NO;
    int64_t px, delta, tsms;
    if (side < 0 || jtok_fixed(d, jtok_get(d, msg, "price_dollars"), KALSHI_PX_SCALE, &px) < 0 ||
        jtok_fixed(d, jtok_get(d, msg, "delta_fp"), KALSHI_SZ_SCALE, &delta) < 0) {
        s->st.bad++;
        log_warnx_rl("kalshi: malformed orderbook_delta ticker=%s", m->ticker);
        s_resync(s, m, "malformed_delta", now, ts_rx);
        return -1;
    }
    if (side == KALSHI_NO && s->use_yes_price) px = KALSHI_PX_ONE - px;
    if (kalshi_book_add(&m->book, side, px, delta) < 0) {
        s->st.bad++;
        log_warnx_rl("kalshi: delta makes a negative level ticker=%s", m->ticker);
        s_resync(s, m, "negative_level", now, ts_rx);
        return 1;
    }
    if (kalshi_book_crossed(&m->book)) {
        s->st.bad++;
        log_warnx_rl("kalshi: crossed book ticker=%s", m->ticker);
        s_resync(s, m, "crossed_book", now, ts_rx);
        return 1;
    }
    m->dirty = 1;
    m->ts_rx = ts_rx;
    m->seq = seq;
    m->ts_ex = jtok_int(d, jtok_get(d, msg, "ts_ms"), &tsms) == 0 ? s_ms_ns(tsms) : -1;
    return 1;
}

/* Key K: the fixed-point value of token T, or null when absent or malformed. */
static void s_kfix(kalshi_ws_t *s, const char *k, int t, int scale, int mindec)
{
    int64_t v;
    if (t >= 0 && jtok_fixed(&s->tok, t, scale, &v) == 0) jw_kfixed(&s->w, k, v, scale, mindec);
    else jw_knull(&s->w, k);
}

/* Key K: string token T unescaped once (jw escapes it once), or null when
 * absent, not a string, or not a short valid UTF-8 text (jtok_id's rules). */
static void s_kcopy_str(kalshi_ws_t *s, const char *k, int t)
{
    char buf[JTOK_ID_MAX];
    size_t n;
    if (jtok_type(&s->tok, t) == JSMN_STRING && jtok_id(&s->tok, t, 0, buf, &n) == 1) {
        jw_key(&s->w, k);
        jw_strn(&s->w, buf, n);
    } else
        jw_knull(&s->w, k);
}

static int64_t s_ts_ex(const jtok_t *d, int msg)
{
    int64_t v, ns;
    if (jtok_int(d, jtok_get(d, msg, "ts_ms"), &v) == 0) return s_ms_ns(v);
    if (jtok_int(d, jtok_get(d, msg, "ts"), &v) == 0)
        return clock_from_units(v, NS_PER_S, &ns) == 0 ? ns : -1;
    return -1;
}

static int s_on_ticker(kalshi_ws_t *s, int msg, int64_t ts_rx, int64_t now)
{
    const jtok_t *d = &s->tok;
    s_mkt_t *m = s_mkt_tok(s, d, jtok_get(d, msg, "market_ticker"));
    if (!m) { s->st.late++; return 0; }
    s->st.tickers++;
    m->last_data_mono = now;
    jw_reset(&s->w);
    jw_fragment(&s->w);
    jw_kstr(&s->w, "ticker", m->ticker);
    s_kfix(s, "price", jtok_get(d, msg, "price_dollars"), KALSHI_PX_SCALE, 2);
    s_kfix(s, "yes_bid", jtok_get(d, msg, "yes_bid_dollars"), KALSHI_PX_SCALE, 2);
    s_kfix(s, "yes_ask", jtok_get(d, msg, "yes_ask_dollars"), KALSHI_PX_SCALE, 2);
    s_kfix(s, "yes_bid_size", jtok_get(d, msg, "yes_bid_size_fp"), KALSHI_SZ_SCALE, 0);
    s_kfix(s, "yes_ask_size", jtok_get(d, msg, "yes_ask_size_fp"), KALSHI_SZ_SCALE, 0);
    s_kfix(s, "last_trade_size", jtok_get(d, msg, "last_trade_size_fp"), KALSHI_SZ_SCALE, 0);
    s_kfix(s, "volume", jtok_get(d, msg, "volume_fp"), KALSHI_SZ_SCALE, 0);
    s_kfix(s, "open_interest", jtok_get(d, msg, "open_interest_fp"), KALSHI_SZ_SCALE, 0);
    s_kfix(s, "dollar_volume", jtok_get(d, msg, "dollar_volume"), 0, 0);
    s_kfix(s, "dollar_open_interest", jtok_get(d, msg, "dollar_open_interest"), 0, 0);
    jw_kstr(&s->w, "source", "ws");
    snprintf(s->topic, sizeof s->topic, "kalshi.ticker.%s", m->ticker);
    s->cb.emit(s->cb.arg, s->topic, s->w.buf, s->w.len, ts_rx, s_ts_ex(d, msg));
    return 1;
}

/* Seq check of a channel whose lost messages need no resync (trades, index,
 * lifecycle): a gap is counted and published as event.gap REASON. */
static void s_seq_gap(kalshi_ws_t *s, int64_t sid, int64_t seq, const char *reason, int64_t ts_rx)
{
    int64_t expected = -1;
    if (s_seq(s, sid, seq, 0, &expected)) {
        s->st.gaps++;
        s_event(s, "gap", "", reason, sid, expected, seq, ts_rx);
    }
}

static int s_on_trade(kalshi_ws_t *s, int msg, int64_t sid, int64_t seq, int64_t ts_rx)
{
    const jtok_t *d = &s->tok;
    s_seq_gap(s, sid, seq, "trade_seq_gap", ts_rx);
    s_mkt_t *m = s_mkt_tok(s, d, jtok_get(d, msg, "market_ticker"));
    if (!m) { s->st.late++; return 0; }
    /* trade_id is a string (Kalshi's Trade model): one of jtok_id's ids, or
     * the trade is dropped and counted; none: published without "id" */
    char id[JTOK_ID_MAX];
    size_t idlen = 0;
    int idt = jtok_get(d, msg, "trade_id"), idr = jtok_id(d, idt, 0, id, &idlen);
    if (idr < 0) {
        s->st.bad_trade_ids++;
        log_warnx_rl("kalshi: trade dropped: bad trade_id ticker=%s", m->ticker);
        return -1;
    }
    if (idr == 0) s->st.trades_without_id++;
    s->st.trades++;
    jw_reset(&s->w);
    jw_fragment(&s->w);
    jw_kstr(&s->w, "ticker", m->ticker);
    if (idr) {
        jw_key(&s->w, "id");
        jw_strn(&s->w, id, idlen);
    }
    s_kfix(s, "yes_price", jtok_get(d, msg, "yes_price_dollars"), KALSHI_PX_SCALE, 2);
    s_kfix(s, "no_price", jtok_get(d, msg, "no_price_dollars"), KALSHI_PX_SCALE, 2);
    s_kfix(s, "count", jtok_get(d, msg, "count_fp"), KALSHI_SZ_SCALE, 0);
    int tos = jtok_get(d, msg, "taker_outcome_side");
    if (tos >= 0) {
        if (!s->seen_taker_outcome++) log_info("kalshi: trades carry taker_outcome_side");
    } else {
        tos = jtok_get(d, msg, "taker_side");
        if (tos >= 0 && !s->seen_taker_side++)
            log_info("kalshi: trades carry only the deprecated taker_side");
    }
    s_kcopy_str(s, "taker_outcome_side", tos);
    s_kcopy_str(s, "taker_book_side", jtok_get(d, msg, "taker_book_side"));
    jw_kint(&s->w, "seq", seq);
    snprintf(s->topic, sizeof s->topic, "kalshi.trade.%s", m->ticker);
    s->cb.emit(s->cb.arg, s->topic, s->w.buf, s->w.len, ts_rx, s_ts_ex(d, msg));
    return 1;
}

/* An average object {value, window_size, window_start_ts_ms, window_end_ts_exclusive}. */
static void s_brti_avg(kalshi_ws_t *s, const char *k, int o)
{
    const jtok_t *d = &s->tok;
    if (o < 0 || jtok_type(d, o) != JSMN_OBJECT) {
        jw_knull(&s->w, k);
        return;
    }
    jw_key(&s->w, k);
    jw_obj(&s->w);
    s_kfix(s, "value", jtok_get(d, o, "value"), 10, 2);
    s_kfix(s, "window_size", jtok_get(d, o, "window_size"), 0, 0);
    s_kfix(s, "window_start_ms", jtok_get(d, o, "window_start_ts_ms"), 0, 0);
    s_kfix(s, "window_end_ms", jtok_get(d, o, "window_end_ts_exclusive"), 0, 0);
    jw_obj_end(&s->w);
}

static int s_on_brti(kalshi_ws_t *s, int msg, int64_t sid, int64_t seq, int64_t ts_rx)
{
    const jtok_t *d = &s->tok;
    s_seq_gap(s, sid, seq, "brti_seq_gap", ts_rx);
    /* `data` is CF Benchmarks' own JSON, carried as a string: parse it again. */
    char inner[1024];
    int64_t value = 0, tms = -1, recv = -1;
    int have_value = 0;
    int dt = jtok_get(d, msg, "data");
    if (dt >= 0 && jtok_type(d, dt) == JSMN_OBJECT) {
        /* tolerate an already-decoded object */
        size_t l;
        const char *p = jtok_text(d, dt, &l);
        if (l < sizeof inner) { memcpy(inner, p, l); inner[l] = 0; }
        else inner[0] = 0;
    } else if (dt < 0 || jtok_str(d, dt, inner, sizeof inner) < 0) {
        inner[0] = 0;
    }
    if (inner[0] && jtok_parse(&s->tok2, inner, strlen(inner)) > 0 &&
        jtok_type(&s->tok2, 0) == JSMN_OBJECT) {
        have_value = jtok_fixed(&s->tok2, jtok_get(&s->tok2, 0, "value"), 10, &value) == 0;
        if (jtok_int(&s->tok2, jtok_get(&s->tok2, 0, "time"), &tms) < 0) tms = -1;
    }
    jtok_int(d, jtok_get(d, msg, "received_at"), &recv);
    if (s_ms_ns(tms) < 0) tms = -1; /* a venue time past 2200 is no time */
    if (s_ms_ns(recv) < 0) recv = -1;
    if (!have_value) {
        s->st.bad++;
        log_warnx_rl("kalshi: cfbenchmarks_value frame without a usable data.value");
        return -1;
    }
    char id[32] = "BRTI";
    jtok_str(d, jtok_get(d, msg, "index_id"), id, sizeof id);
    s_idx_t *x = s_idx(s, id);
    if (!x) {
        s->st.index_unasked++;
        log_warnx_rl("kalshi: cfbenchmarks_value for index_id=%s, which we did not ask for: "
                     "dropped", id);
        return 0;
    }
    s->st.brti++;
    x->values++;
    jw_reset(&s->w);
    jw_fragment(&s->w);
    jw_kstr(&s->w, "index", id);
    jw_kfixed(&s->w, "value", value, 10, 2);
    jw_kstr(&s->w, "src", "kalshi");
    if (tms >= 0) jw_kint(&s->w, "time_ms", tms);
    else jw_knull(&s->w, "time_ms");
    if (recv >= 0) jw_kint(&s->w, "received_at_ms", recv);
    else jw_knull(&s->w, "received_at_ms");
    s_brti_avg(s, "avg_60s", jtok_get(d, msg, "avg_60s_data"));
    s_brti_avg(s, "settle_avg_60s", jtok_get(d, msg, "last_60s_windowed_average_15min"));
    s->cb.emit(s->cb.arg, x->topic, s->w.buf, s->w.len, ts_rx,
               tms >= 0 ? s_ms_ns(tms) : s_ms_ns(recv));
    return 1;
}

static int s_on_lifecycle(kalshi_ws_t *s, int msg, int64_t sid, int64_t seq, int64_t ts_rx)
{
    const jtok_t *d = &s->tok;
    s_seq_gap(s, sid, seq, "lifecycle_seq_gap", ts_rx);
    char ticker[TICKER_MAX], ev[48], fs[48];
    if (jtok_str(d, jtok_get(d, msg, "market_ticker"), ticker, sizeof ticker) < 0) return 0;
    if (!s_our_series(s, ticker)) return 0;
    s->st.lifecycle++;
    if (jtok_str(d, jtok_get(d, msg, "event_type"), ev, sizeof ev) < 0) ev[0] = 0;
    int f = jtok_get(d, msg, "floor_strike");
    size_t fl = 0;
    const char *fp = f >= 0 && !jtok_is_null(d, f) ? jtok_text(d, f, &fl) : NULL;
    if (fp && fl < sizeof fs) { memcpy(fs, fp, fl); fs[fl] = 0; }
    else fp = NULL;
    if (s->cb.lifecycle) s->cb.lifecycle(s->cb.arg, ticker, ev, fp ? fs : NULL);
    return 0;
}

/* M's data on channel E->chan comes on E->sid; the subscribe is complete when
 * all three channels are known. */
static void s_map(s_mkt_t *m, const s_sid_t *e)
{
    if (e->chan == CH_BOOK) m->sid[0] = e->sid;
    else if (e->chan == CH_TICKER) m->sid[1] = e->sid;
    else if (e->chan == CH_TRADE) m->sid[2] = e->sid;
    if (m->sid[0] && m->sid[1] && m->sid[2]) m->sub_id = 0;
}

static void s_on_subscribed(kalshi_ws_t *s, int64_t id, int msg, int64_t now)
{
    const jtok_t *d = &s->tok;
    int64_t sid;
    int chan = s_chan_of(d, jtok_get(d, msg, "channel"));
    if (jtok_int(d, jtok_get(d, msg, "sid"), &sid) < 0 || sid <= 0 || sid > INT32_MAX) {
        s->st.bad++;
        return;
    }
    s_cmd_t *c = s_cmd_find(s, id);
    if (!c) {
        log_debug("kalshi: subscribed ack for a dropped command id=%lld sid=%lld: unsubscribing",
                  (long long)id, (long long)sid);
        int one = (int)sid;
        s_unsub(s, &one, 1, now);
        return;
    }
    char ticker[TICKER_MAX];
    snprintf(ticker, sizeof ticker, "%s", c->ticker);
    int kind = c->kind;
    if (--c->acks_left <= 0) s_cmd_done(s, c);
    s_sid_t *e = s_sid_new(s, (int)sid, chan);
    e->chan = chan;
    if (ticker[0] && s_mkt(s, ticker)) s_sid_add(e, ticker);
    if (kind == CMD_SUB_LIFECYCLE) { s->sid_lifecycle = (int)sid; s->life_pending = 0; return; }
    if (kind == CMD_SUB_BRTI) {
        s->sid_brti = (int)sid;
        s->brti_pending = 0;
        s_indexlist(s);
        return;
    }
    s_mkt_t *m = s_mkt(s, ticker);
    if (!m || m->sub_id != id) {
        /* not followed any more (rolled over while the ack was in flight) */
        int one = (int)sid;
        s_sid_forget(s, (int)sid);
        s_unsub(s, &one, 1, now);
        return;
    }
    s_map(m, e);
}

/* `ok` answering our subscribe of a market (ID, ticker in C) on SID: Kalshi
 * added the market to a sid it already had and lists all its markets. */
static void s_on_sub_ok(kalshi_ws_t *s, s_cmd_t *c, int64_t sid, int mt, int64_t now)
{
    const jtok_t *d = &s->tok;
    char ticker[TICKER_MAX];
    snprintf(ticker, sizeof ticker, "%s", c->ticker);
    int id = c->id;
    if (--c->acks_left <= 0) s_cmd_done(s, c);
    s_sid_t *e = sid > 0 && sid <= INT32_MAX ? s_sid(s, sid) : NULL;
    if (!e && sid > 0 && sid <= INT32_MAX) e = s_sid_new(s, (int)sid, CH_NONE);
    if (e && mt >= 0 && jtok_type(d, mt) == JSMN_ARRAY) s_sid_set(s, e, d, mt);
    s_mkt_t *m = s_mkt(s, ticker);
    if (e && (!m || m->sub_id != id)) { /* rolled over while the reply was in flight */
        if (!s_sid_live(s, e, ticker)) {
            int one = e->sid;
            s_sid_forget(s, e->sid);
            s_unsub(s, &one, 1, now);
        } else {
            s_sid_del(e, ticker);
            s_delete_market(s, e->sid, ticker, now);
        }
        return;
    }
    if (!e || e->chan == CH_NONE || mt < 0) {
        /* which channel, or whether it carries the market, is not said: ask */
        log_info("kalshi: ok for subscribe id=%d ticker=%s sid=%lld without %s: "
                 "list_subscriptions", id, ticker, (long long)sid,
                 !e ? "a sid" : mt < 0 ? "market_tickers" : "a known channel");
        if (e && mt < 0) s_sid_add(e, ticker);
        s_list_subs(s, now);
        return;
    }
    if (!s_sid_has(e, ticker)) {
        log_warnx_rl("kalshi: ok for subscribe ticker=%s on sid=%d does not list it", ticker,
                     e->sid);
        return; /* staleness of the market's own data resubscribes it */
    }
    s_map(m, e);
}

/* The list_subscriptions reply: an array of {channel, sid[, market_tickers]}. */
static void s_on_list(kalshi_ws_t *s, int arr)
{
    const jtok_t *d = &s->tok;
    int n = jtok_size(d, arr), o = arr + 1;
    for (int k = 0; k < n; k++, o = jtok_skip(d, o)) {
        int64_t sid;
        if (jtok_type(d, o) != JSMN_OBJECT || jtok_int(d, jtok_get(d, o, "sid"), &sid) < 0 ||
            sid <= 0 || sid > INT32_MAX)
            continue;
        int chan = s_chan_of(d, jtok_get(d, o, "channel"));
        s_sid_t *e = s_sid(s, sid);
        if (!e) {
            if (!s_is_market_chan(chan)) continue;
            e = s_sid_new(s, (int)sid, chan);
        }
        if (chan != CH_NONE) e->chan = chan;
        int mt = jtok_get(d, o, "market_tickers");
        if (mt >= 0 && jtok_type(d, mt) == JSMN_ARRAY) s_sid_set(s, e, d, mt);
    }
    for (int i = 0; i < s->nmkt; i++)
        for (int k = 0; k < s->nsid; k++)
            if (s_is_market_chan(s->sids[k].chan) && s_sid_has(&s->sids[k], s->mkt[i]->ticker))
                s_map(s->mkt[i], &s->sids[k]);
}

static void s_on_ok(kalshi_ws_t *s, int64_t id, int64_t sid, int msg, int64_t now)
{
    const jtok_t *d = &s->tok;
    if (id > 0 && id == s->indexlist_id) { /* the list answered as a plain ok */
        s_indexlist_reply(s, msg);
        return;
    }
    s_cmd_t *c = s_cmd_find(s, id);
    if (msg >= 0 && jtok_type(d, msg) == JSMN_ARRAY) { /* list_subscriptions */
        if (c && c->kind == CMD_LIST) {
            s_cmd_done(s, c);
            s->list_pending = 0;
        }
        s_on_list(s, msg);
        return;
    }
    int mt = msg >= 0 && jtok_type(d, msg) == JSMN_OBJECT ? jtok_get(d, msg, "market_tickers") : -1;
    if (c && c->kind == CMD_SUB_MARKET) {
        s_on_sub_ok(s, c, sid, mt, now);
        return;
    }
    s_sid_t *e = sid > 0 ? s_sid(s, sid) : NULL;
    if (e && mt >= 0 && jtok_type(d, mt) == JSMN_ARRAY) s_sid_set(s, e, d, mt);
    if (!c || c->kind == CMD_SNAPSHOT) return;
    if ((c->kind == CMD_SUB_LIFECYCLE || c->kind == CMD_SUB_BRTI) && sid > 0 && sid <= INT32_MAX) {
        /* an existing sid again: it is the subscription */
        s_sid_new(s, (int)sid, c->kind == CMD_SUB_BRTI ? CH_BRTI : CH_LIFECYCLE);
        if (c->kind == CMD_SUB_BRTI) { s->sid_brti = (int)sid; s->brti_pending = 0; }
        else { s->sid_lifecycle = (int)sid; s->life_pending = 0; }
    }
    s_cmd_done(s, c);
    s_indexlist(s);
}

static void s_on_error(kalshi_ws_t *s, int64_t id, int64_t sid, int msg, int64_t ts_rx,
                       int64_t now)
{
    const jtok_t *d = &s->tok;
    int64_t code = -1;
    char text[160] = "";
    jtok_int(d, jtok_get(d, msg, "code"), &code);
    jtok_str(d, jtok_get(d, msg, "msg"), text, sizeof text);
    s->st.errors++;
    log_warnx_rl("kalshi: error reply id=%lld sid=%lld code=%lld msg=\"%s\"%s", (long long)id,
                 (long long)sid, (long long)code, text,
                 code == 9 ? " (authentication required: check the key id and key file)"
                 : (code == 26 || code == 27) ? " (limit hit: slowing down)" : "");
    if (id > 0 && id == s->indexlist_id) {
        log_warnx("kalshi: indexlist refused (code=%lld \"%s\"): the relayed index ids are "
                  "not known", (long long)code, text);
        return;
    }
    s_cmd_t *c = id > 0 ? s_cmd_find(s, id) : NULL;
    if (c) {
        int kind = c->kind;
        char ticker[TICKER_MAX];
        snprintf(ticker, sizeof ticker, "%s", c->ticker);
        s_cmd_done(s, c);
        s_mkt_t *m = ticker[0] ? s_mkt(s, ticker) : NULL;
        if (kind == CMD_SNAPSHOT && m) {
            m->snap_id = 0;
            s_resubscribe(s, m, "get_snapshot_failed", now, ts_rx);
        } else if (kind == CMD_SUB_MARKET && m && m->sub_id == id) {
            m->sub_id = 0;  /* retried by the tick after a pause */
            m->sub_retry_mono = now + 5 * NS_PER_S;
        } else if (kind == CMD_SUB_LIFECYCLE) {
            s->life_pending = 0;
            s->life_retry_mono = now + 30 * NS_PER_S;
        } else if (kind == CMD_SUB_BRTI) {
            s->brti_pending = 0;
            s->brti_retry_mono = now + 30 * NS_PER_S;
            if (s->nidx > 1) {
                /* one id Kalshi does not relay must not cost the others: one at a time, each
                 * at once, then the list again after 30 s */
                if (++s->idx_try >= s->nidx) s->idx_try = 0; /* all tried: 30 s */
                else s->brti_retry_mono = now;
                log_warnx("kalshi: the index subscription was refused: subscribing %s alone%s, "
                          "then the ids the indexlist names", s->idx[s->idx_try].id,
                          s->brti_retry_mono == now ? "" : " in 30 s");
            }
        } else if (kind == CMD_LIST) {
            s->list_pending = 0;
        }
        return;
    }
    if ((code == 10 || code == 25) && sid > 0) {
        /* terminal for that subscription: recreate it */
        s_sid_t *e = s_sid(s, sid);
        int chan = e ? e->chan : CH_NONE;
        s_sid_forget(s, (int)sid);
        if ((int)sid == s->sid_brti || chan == CH_BRTI) {
            s->sid_brti = 0;
            s_sub_global(s, CMD_SUB_BRTI, now);
            return;
        }
        if ((int)sid == s->sid_lifecycle || chan == CH_LIFECYCLE) {
            s->sid_lifecycle = 0;
            s_sub_global(s, CMD_SUB_LIFECYCLE, now);
            return;
        }
        /* every market the sid carried (a sid may carry several) */
        for (int i = 0; i < s->nmkt; i++) {
            s_mkt_t *m = s->mkt[i];
            int hit = 0;
            for (int k = 0; k < 3; k++)
                if (m->sid[k] == sid) { m->sid[k] = 0; hit = 1; }
            if (hit)
                s_resubscribe(s, m, code == 25 ? "buffer_overflow" : "channel_error", now, ts_rx);
        }
    }
}

int kalshi_ws_on_frame(kalshi_ws_t *s, const char *text, size_t len, int64_t ts_rx,
                       int64_t now)
{
    jtok_t *d = &s->tok;
    s->st.frames++;
    if (jtok_parse(d, text, len) <= 0 || jtok_type(d, 0) != JSMN_OBJECT) {
        s->st.bad++;
        log_warnx_rl("kalshi: unparsable frame len=%zu", len);
        return -1;
    }
    int ty = jtok_get(d, 0, "type"), msg = jtok_get(d, 0, "msg");
    int64_t sid = 0, seq = 0, id = 0;
    jtok_int(d, jtok_get(d, 0, "sid"), &sid);
    jtok_int(d, jtok_get(d, 0, "seq"), &seq);
    jtok_int(d, jtok_get(d, 0, "id"), &id);
    if (ty < 0) {
        s->st.bad++;
        log_warnx_rl("kalshi: frame without type");
        return -1;
    }
    int is_obj = msg >= 0 && jtok_type(d, msg) == JSMN_OBJECT;
    int r = 0;
    if (jtok_eq(d, ty, "orderbook_delta") && is_obj) r = s_on_delta(s, msg, sid, seq, ts_rx, now);
    else if (jtok_eq(d, ty, "orderbook_snapshot") && is_obj)
        r = s_on_snapshot(s, msg, sid, seq, id, ts_rx, now);
    else if (jtok_eq(d, ty, "ticker") && is_obj) r = s_on_ticker(s, msg, ts_rx, now);
    else if (jtok_eq(d, ty, "trade") && is_obj) r = s_on_trade(s, msg, sid, seq, ts_rx);
    else if (jtok_eq(d, ty, "cfbenchmarks_value") && is_obj) r = s_on_brti(s, msg, sid, seq, ts_rx);
    else if (jtok_eq(d, ty, "market_lifecycle_v2") && is_obj)
        r = s_on_lifecycle(s, msg, sid, seq, ts_rx);
    else if (jtok_eq(d, ty, "cfbenchmarks_value_indexlist")) {
        s_seq(s, sid, seq, 2, NULL);
        r = s_indexlist_reply(s, msg);
    }
    else if (jtok_eq(d, ty, "event_lifecycle") || jtok_eq(d, ty, "event_fee_update")) {
        s_seq(s, sid, seq, 2, NULL);
    } else if (jtok_eq(d, ty, "subscribed") && is_obj) {
        s_on_subscribed(s, id, msg, now);
    } else if (jtok_eq(d, ty, "unsubscribed")) {
        s_sid_forget(s, (int)sid);
        s_cmd_t *c = s_cmd_find(s, id);
        if (c && --c->acks_left <= 0) s_cmd_done(s, c);
    } else if (jtok_eq(d, ty, "ok")) {
        s_seq(s, sid, seq, 2, NULL);
        s_on_ok(s, id, sid, msg, now);
        s_probe_reply(s, id);
    } else if (jtok_eq(d, ty, "error")) {
        s_seq(s, sid, seq, 2, NULL);
        s_on_error(s, id, sid, is_obj ? msg : -1, ts_rx, now);
        s_probe_reply(s, id);
    } else {
        size_t tl;
        const char *tt = jtok_text(d, ty, &tl);
        s->st.unknown++;
        log_warnx_rl("kalshi: unknown frame type '%.*s'", (int)(tl > 40 ? 40 : tl), tt);
        return -1;
    }
    if (r == 1) {
        s->st.data_msgs++;
        s->last_data_mono = now;
    }
    return r;
}

/* ---- timers ---- */

static void s_publish_book(kalshi_ws_t *s, s_mkt_t *m, int64_t now)
{
    jw_reset(&s->w);
    jw_fragment(&s->w);
    jw_kstr(&s->w, "ticker", m->ticker);
    kalshi_book_write(&m->book, &s->w, 0);
    jw_kint(&s->w, "seq", m->seq);
    jw_kstr(&s->w, "source", "ws");
    jw_kint(&s->w, "age_ms", m->ts_rx > 0 ? (clock_real_ns() - m->ts_rx) / NS_PER_MS : -1);
    snprintf(s->topic, sizeof s->topic, "kalshi.book.%s", m->ticker);
    s->cb.emit(s->cb.arg, s->topic, s->w.buf, s->w.len, m->ts_rx > 0 ? m->ts_rx : clock_real_ns(),
               m->book.valid ? m->ts_ex : -1);
    s->st.books_published++;
    m->dirty = 0;
    m->last_pub_mono = now;
}

int kalshi_ws_tick(kalshi_ws_t *s, int64_t now, int64_t now_real)
{
    (void)now_real;
    for (int i = 0; i < s->nmkt; i++) {
        s_mkt_t *m = s->mkt[i];
        int64_t since = now - m->last_pub_mono;
        if ((m->dirty && since >= 100 * NS_PER_MS) || since >= NS_PER_S) s_publish_book(s, m, now);
    }
    if (!s->connected) return 0;
    for (int i = 0; i < s->ncmd; i++)
        if (now - s->cmd[i].sent_mono > KALSHI_CMD_DEADLINE_NS) {
            s->st.cmd_timeouts++;
            log_warnx("kalshi: command id=%d got no reply within 10 s: dropping the connection",
                      s->cmd[i].id);
            return -1;
        }
    for (int i = 0; i < s->nmkt; i++) {
        s_mkt_t *m = s->mkt[i];
        if (m->resub_at && now >= m->resub_at) {
            m->resub_at = 0;
            s_resubscribe(s, m, "bad_snapshot_retry", now, clock_real_ns());
            continue;
        }
        if (!m->sub_id && m->sid[0] <= 0 && m->sub_retry_mono && now >= m->sub_retry_mono) {
            m->sub_retry_mono = 0;
            s_sub_market(s, m, now);
            continue;
        }
        /* judged from the market's own data alone, whatever the state of its
         * subscribe or snapshot requests */
        if (s->stale_ns > 0 && m->active && now - m->last_data_mono > s->stale_ns) {
            int64_t real = clock_real_ns();
            s->st.stale++;
            m->last_data_mono = now;
            log_warnx_rl("kalshi: no data for ticker=%s for %.0f s (sub_pending=%d "
                         "snapshot_pending=%d)", m->ticker, (double)s->stale_ns / 1e9,
                         m->sub_id != 0, m->snap_id != 0);
            s_event(s, "gap", m->ticker, "stale", m->sid[0], -1, -1, real);
            if (m->stale_tries++ == 0 && m->sid[0] > 0 && !m->sub_id && !m->snap_id)
                s_resync(s, m, "stale", now, real);
            else {
                int was_valid = m->book.valid;
                s_resubscribe(s, m, "stale", now, real);
                if (was_valid) s_publish_book(s, m, now);
            }
        }
    }
    if (!s->sid_lifecycle && !s->life_pending && s->life_retry_mono && now >= s->life_retry_mono) {
        s->life_retry_mono = 0;
        s_sub_global(s, CMD_SUB_LIFECYCLE, now);
    }
    if (!s->sid_brti && !s->brti_pending && s->brti_retry_mono && now >= s->brti_retry_mono) {
        s->brti_retry_mono = 0;
        s_sub_global(s, CMD_SUB_BRTI, now);
    }
    return 0;
}

/* ---- self-test: replay the fixture sessions ---- */

typedef struct {
    char sent[16][512];
    int nsent;
    char last_book[4096];
    int nbook, ngap, nresync, nbrti, nticker, ntrade;
    char last_brti[1024];
    char last_trade[1024];
    unsigned probe_answered;
    int nindex, nlife;          /* index.* messages; lifecycle hints */
    char last_index_topic[64];
} s_cap_t;

static void s_t_emit(void *arg, const char *topic, const char *body, size_t len, int64_t ts_rx,
                     int64_t ts_ex)
{
    (void)ts_rx; (void)ts_ex;
    s_cap_t *c = arg;
    if (!strncmp(topic, "kalshi.book.", 12)) {
        c->nbook++;
        snprintf(c->last_book, sizeof c->last_book, "%.*s", (int)len, body);
    } else if (!strcmp(topic, "event.gap")) c->ngap++;
    else if (!strcmp(topic, "event.resync")) c->nresync++;
    else if (!strcmp(topic, "index.brti")) {
        c->nbrti++;
        snprintf(c->last_brti, sizeof c->last_brti, "%.*s", (int)len, body);
    }
    if (!strncmp(topic, "index.", 6)) {
        c->nindex++;
        snprintf(c->last_index_topic, sizeof c->last_index_topic, "%s", topic);
    } else if (!strncmp(topic, "kalshi.ticker.", 14)) c->nticker++;
    else if (!strncmp(topic, "kalshi.trade.", 13)) {
        c->ntrade++;
        snprintf(c->last_trade, sizeof c->last_trade, "%.*s", (int)len, body);
    }
}

static void s_t_send(void *arg, const char *text, size_t len)
{
    s_cap_t *c = arg;
    if (c->nsent < 16) snprintf(c->sent[c->nsent++], 512, "%.*s", (int)len, text);
}

static void s_t_probe(void *arg, unsigned id) { ((s_cap_t *)arg)->probe_answered = id; }
static void s_t_life(void *arg, const char *ticker, const char *ev, const char *fs)
{
    (void)ticker, (void)ev, (void)fs;
    ((s_cap_t *)arg)->nlife++;
}

static int s_replay(kalshi_ws_t *s, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    char line[16384];
    int64_t now = clock_mono_ns();
    while (fgets(line, sizeof line, f)) {
        size_t l = strlen(line);
        while (l && (line[l - 1] == '\n' || line[l - 1] == '\r')) line[--l] = 0;
        if (l) kalshi_ws_on_frame(s, line, l, clock_real_ns(), now);
    }
    fclose(f);
    return 0;
}

/* Compare SIDE of B with the [[px,sz],..] array ARR of the expected file. */
static int s_same_side(const kalshi_book_t *b, int side, json_t *arr)
{
    if (!json_is_array(arr) || (int)json_array_size(arr) != b->n[side]) return 0;
    for (int i = 0; i < b->n[side]; i++) {
        json_t *lv = json_array_get(arr, (size_t)i);
        const char *ps = json_string_value(json_array_get(lv, 0));
        const char *ss = json_string_value(json_array_get(lv, 1));
        int64_t px, sz;
        if (!ps || !ss || num_parse_fixed(ps, strlen(ps), KALSHI_PX_SCALE, &px) < 0 ||
            num_parse_fixed(ss, strlen(ss), KALSHI_SZ_SCALE, &sz) < 0)
            return 0;
        if (b->lv[side][i].px != px || b->lv[side][i].sz != sz) return 0;
    }
    return 1;
}

#undef T_CHECK
#define T_CHECK(c)                                                                      \
    do { if (!(c)) { fprintf(stderr, "kalshi_ws_test: %s:%d: %s\n", __FILE__, __LINE__, #c); \
                     goto done; } } while (0)

#define T_FRAME(...)                                                                       \
    do { char f_[1024]; snprintf(f_, sizeof f_, __VA_ARGS__);                                   \
         kalshi_ws_on_frame(s, f_, strlen(f_), clock_real_ns(), t0); } while (0)

/* Several series (issue 21): one subscription names every index; each value on its own
 * topic; a value for an id nobody asked for is counted and dropped; indexlist is sent once
 * the index sid is known and a configured id its reply lacks is counted; the lifecycle
 * filter takes the markets of every series and only those. */
static int s_t_indices(s_cap_t *cap)
{
    int ok = -1;
    uint64_t n = 0;
    memset(cap, 0, sizeof *cap);
    kalshi_ws_cb_t cb = {s_t_emit, s_t_send, s_t_life, cap, NULL, NULL};
    kalshi_ws_t *s = kalshi_ws_new(&cb, "KXBTC15M,KXETH15M", 0, 0);
    int64_t t0 = clock_mono_ns();
    T_CHECK(kalshi_ws_index(s, "BRTI", "index.brti") == 0);
    T_CHECK(kalshi_ws_index(s, "ETHUSD_RTI", "index.ethusd_rti") == 0);
    kalshi_ws_connected(s, t0);
    T_CHECK(cap->nsent == 2 && strstr(cap->sent[1], "\"index_ids\":[\"BRTI\",\"ETHUSD_RTI\"]"));
    T_FRAME("{\"type\":\"subscribed\",\"id\":2,\"msg\":{\"channel\":\"cfbenchmarks_value\",\"sid\":1}}");
    T_CHECK(cap->nsent == 3 && strstr(cap->sent[2], "\"action\":\"indexlist\"") &&
            strstr(cap->sent[2], "\"sid\":1"));
#define T_CFB(seq, id)                                                                       \
    T_FRAME("{\"type\":\"cfbenchmarks_value\",\"sid\":1,\"seq\":%d,\"msg\":{\"index_id\":\"%s\","       \
            "\"received_at\":1796000000500,\"data\":\"{\\\"type\\\":\\\"value\\\",\\\"id\\\":\\\"%s\\\","  \
            "\\\"time\\\":1796000000000,\\\"value\\\":\\\"3500.12\\\"}\"}}", seq, id, id)
    T_CFB(1, "ETHUSD_RTI");
    T_CHECK(cap->nindex == 1 && !strcmp(cap->last_index_topic, "index.ethusd_rti"));
    T_CFB(2, "DOGEUSD_RTI");
    T_CHECK(cap->nindex == 1 && kalshi_ws_stats(s)->index_unasked == 1);
    T_CFB(3, "BRTI");
    T_CHECK(cap->nindex == 2 && cap->nbrti == 1);
#undef T_CFB
    T_CHECK(kalshi_ws_index_at(s, 1, &n) && n == 1 && !kalshi_ws_index_at(s, 2, NULL));
    T_FRAME("{\"type\":\"cfbenchmarks_value_indexlist\",\"id\":3,\"sid\":1,\"seq\":4,"
            "\"msg\":{\"index_ids\":[\"BRTI\",\"SOLUSD_RTI\"]}}");
    T_CHECK(kalshi_ws_stats(s)->indexlists == 1 && kalshi_ws_stats(s)->index_missing == 1);
    T_CHECK(kalshi_ws_stats(s)->gaps == 0 && cap->nsent == 3); /* one indexlist */
    /* a reply of another shape: counted bad and logged as seen, nothing else */
    T_FRAME("{\"type\":\"cfbenchmarks_value_indexlist\",\"id\":3,\"sid\":1,\"seq\":5,"
            "\"msg\":{\"indices\":[\"BRTI\"]}}");
    T_CHECK(kalshi_ws_stats(s)->bad == 1 && kalshi_ws_stats(s)->indexlists == 1);
    T_FRAME("{\"type\":\"market_lifecycle_v2\",\"sid\":2,\"seq\":1,\"msg\":{\"market_ticker\":"
            "\"KXETH15M-26NOV280715-15\",\"event_type\":\"activated\"}}");
    T_FRAME("{\"type\":\"market_lifecycle_v2\",\"sid\":2,\"seq\":2,\"msg\":{\"market_ticker\":"
            "\"KXETH15MX-26NOV280715-15\",\"event_type\":\"activated\"}}");
    T_FRAME("{\"type\":\"market_lifecycle_v2\",\"sid\":2,\"seq\":3,\"msg\":{\"market_ticker\":"
            "\"KXSOL15M-26NOV280715-15\",\"event_type\":\"activated\"}}");
    T_CHECK(cap->nlife == 1);
    /* a subscribe naming an id Kalshi refuses: the first id alone at once, then the others
     * the indexlist names join it; the one it does not name is counted missing */
    kalshi_ws_destroy(&s);
    memset(cap, 0, sizeof *cap);
    s = kalshi_ws_new(&cb, "KXBTC15M,KXETH15M,KXXRP15M", 0, 0);
    kalshi_ws_index(s, "BRTI", "index.brti");
    kalshi_ws_index(s, "ETHUSD_RTI", "index.ethusd_rti");
    kalshi_ws_index(s, "XRPUSD_RTI", "index.xrpusd_rti");
    kalshi_ws_connected(s, t0);
    T_CHECK(strstr(cap->sent[1], "[\"BRTI\",\"ETHUSD_RTI\",\"XRPUSD_RTI\"]"));
    T_FRAME("{\"type\":\"error\",\"id\":2,\"msg\":{\"code\":11,\"msg\":\"unknown index id\"}}");
    T_CHECK(kalshi_ws_tick(s, t0, clock_real_ns()) == 0 && cap->nsent == 3);
    T_CHECK(strstr(cap->sent[2], "\"index_ids\":[\"BRTI\"]"));
    T_FRAME("{\"type\":\"subscribed\",\"id\":3,\"msg\":{\"channel\":\"cfbenchmarks_value\",\"sid\":1}}");
    T_CHECK(cap->nsent == 4 && strstr(cap->sent[3], "indexlist"));
    T_FRAME("{\"type\":\"ok\",\"id\":4,\"sid\":1,\"msg\":{\"index_ids\":[\"BRTI\",\"ETHUSD_RTI\"]}}");
    T_CHECK(cap->nsent == 5 && strstr(cap->sent[4], "\"action\":\"subscribe_indices\"") &&
            strstr(cap->sent[4], "\"index_ids\":[\"ETHUSD_RTI\"]"));
    T_CHECK(kalshi_ws_stats(s)->index_missing == 1 && kalshi_ws_stats(s)->indexlists == 1);
    ok = 0;
done:
    kalshi_ws_destroy(&s);
    return ok;
}

static int s_t_shared(s_cap_t *cap)
{
    const char *A = "KXBTC15M-26NOV280715-15", *B = "KXBTC15M-26NOV280730-30",
               *C = "KXBTC15M-26NOV280745-45";
    const char *chans[] = {"orderbook_delta", "ticker", "trade"};
    int ok = -1, ndel = 0, nunsub = 0;
    memset(cap, 0, sizeof *cap);
    kalshi_ws_cb_t cb = {s_t_emit, s_t_send, NULL, cap, NULL, s_t_probe};
    kalshi_ws_t *s = kalshi_ws_new(&cb, "KXBTC15M", 0, 1);
    int64_t t0 = clock_mono_ns();
    kalshi_ws_follow(s, A, 1);
    kalshi_ws_connected(s, t0);
    for (int k = 0; k < 3; k++)
        T_FRAME("{\"type\":\"subscribed\",\"id\":1,\"msg\":{\"channel\":\"%s\",\"sid\":%d}}",
                chans[k], k + 1);
    T_FRAME("{\"type\":\"orderbook_snapshot\",\"sid\":1,\"seq\":1,\"msg\":{\"market_ticker\":"
            "\"%s\",\"yes_dollars_fp\":[[\"0.5000\",\"10.00\"]],\"no_dollars_fp\":[[\"0.4000\","
            "\"5.00\"]]}}", A);
    kalshi_ws_follow(s, B, 0); /* subscribe id 4 */
    T_CHECK(cap->nsent == 4 && strstr(cap->sent[3], B));
    for (int k = 0; k < 3; k++)
        T_FRAME("{\"type\":\"ok\",\"id\":4,\"sid\":%d,\"seq\":2,\"msg\":{\"market_tickers\":"
                "[\"%s\",\"%s\"]}}", k + 1, A, B);
    T_FRAME("{\"type\":\"orderbook_snapshot\",\"sid\":1,\"seq\":3,\"msg\":{\"market_ticker\":"
            "\"%s\",\"yes_dollars_fp\":[[\"0.5000\",\"10.00\"]],\"no_dollars_fp\":[[\"0.4000\","
            "\"5.00\"]]}}", B);
    T_CHECK(kalshi_ws_book(s, B)->valid);
    kalshi_ws_unfollow(s, A); /* rollover */
    for (int i = 4; i < cap->nsent; i++) {
        ndel += strstr(cap->sent[i], "\"delete_markets\"") && strstr(cap->sent[i], A) != NULL;
        nunsub += strstr(cap->sent[i], "\"unsubscribe\"") != NULL;
    }
    T_CHECK(ndel == 3 && nunsub == 0);
    T_CHECK(kalshi_ws_stats(s)->market_deletes == 3);
    /* B's deltas on the shared sid still apply */
    T_FRAME("{\"type\":\"orderbook_delta\",\"sid\":1,\"seq\":4,\"msg\":{\"market_ticker\":\"%s\","
            "\"price_dollars\":\"0.5000\",\"delta_fp\":\"2.00\",\"side\":\"yes\"}}", B);
    T_CHECK(kalshi_ws_book(s, B)->lv[KALSHI_YES][0].sz == 1200);
    /* a delta on a sid never subscribed: dropped, counted */
    T_FRAME("{\"type\":\"orderbook_delta\",\"sid\":77,\"seq\":9,\"msg\":{\"market_ticker\":\"%s\","
            "\"price_dollars\":\"0.5000\",\"delta_fp\":\"5.00\",\"side\":\"yes\"}}", B);
    T_CHECK(kalshi_ws_book(s, B)->lv[KALSHI_YES][0].sz == 1200 && kalshi_ws_book(s, B)->valid);
    T_CHECK(kalshi_ws_stats(s)->foreign_sid == 1);
    /* code 25 drops sid 1: B is resubscribed; a late delta on sid 1 is dropped */
    T_FRAME("{\"type\":\"error\",\"sid\":1,\"seq\":5,\"msg\":{\"code\":25,\"msg\":\"overflow\"}}");
    T_FRAME("{\"type\":\"orderbook_snapshot\",\"sid\":1,\"seq\":6,\"msg\":{\"market_ticker\":"
            "\"%s\",\"yes_dollars_fp\":[[\"0.5000\",\"10.00\"]]}}", B);
    T_FRAME("{\"type\":\"orderbook_delta\",\"sid\":1,\"seq\":7,\"msg\":{\"market_ticker\":\"%s\","
            "\"price_dollars\":\"0.5000\",\"delta_fp\":\"5.00\",\"side\":\"yes\"}}", B);
    T_CHECK(!kalshi_ws_book(s, B)->valid && kalshi_ws_book(s, B)->n[KALSHI_YES] == 0);
    T_CHECK(kalshi_ws_stats(s)->foreign_sid == 3);
    /* C's subscribe is never answered: C is active, so 1 s without data of
     * its own is stale (event.gap reason stale), before the 10 s deadline */
    int ngap = cap->ngap;
    kalshi_ws_follow(s, C, 1);
    T_CHECK(kalshi_ws_tick(s, clock_mono_ns() + 2 * NS_PER_S, clock_real_ns()) == 0);
    T_CHECK(cap->ngap > ngap && kalshi_ws_stats(s)->stale >= 1);
    /* a probe is a list_subscriptions command: another command's reply does
     * not answer it, its own does (an error reply too: the path answered) */
    int n0 = cap->nsent;
    T_CHECK(kalshi_ws_probe(s, 7, t0) == 1 && cap->nsent == n0 + 1 &&
            strstr(cap->sent[n0], "\"cmd\":\"list_subscriptions\""));
    int pid = atoi(strstr(cap->sent[n0], "\"id\":") + 5);
    T_FRAME("{\"type\":\"ok\",\"id\":%d,\"msg\":{}}", pid - 1);
    T_CHECK(cap->probe_answered == 0);
    T_FRAME("{\"type\":\"ok\",\"id\":%d,\"msg\":[{\"channel\":\"ticker\",\"sid\":2}]}", pid);
    T_CHECK(cap->probe_answered == 7);
    T_CHECK(kalshi_ws_probe(s, 8, t0) == 1);
    pid = atoi(strstr(cap->sent[cap->nsent - 1], "\"id\":") + 5);
    T_FRAME("{\"type\":\"error\",\"id\":%d,\"msg\":{\"code\":8,\"msg\":\"Unknown command\"}}", pid);
    T_CHECK(cap->probe_answered == 8);
    kalshi_ws_disconnected(s, clock_real_ns());
    T_CHECK(kalshi_ws_probe(s, 9, t0) == 0);
    ok = 0;
done:
    kalshi_ws_destroy(&s);
    return ok;
}

int kalshi_ws_test(void)
{
    const char *fx = getenv("TICKBUS_FIXTURES");
    if (!fx) fx = "tests/fixtures";
    char path[512];
    int ok = -1;
    const char *T1 = "KXBTC15M-26NOV280715-15";
    s_cap_t *cap = xcalloc(1, sizeof *cap);
    kalshi_ws_cb_t cb = {s_t_emit, s_t_send, NULL, cap, NULL, NULL};
    kalshi_ws_t *s = kalshi_ws_new(&cb, "KXBTC15M", 0, 0);
    json_t *exp = NULL;
    const kalshi_book_t *b;

    /* 1. The recorded session rebuilds the expected book. */
    kalshi_ws_follow(s, T1, 1);
    kalshi_ws_connected(s, clock_mono_ns());
    T_CHECK(cap->nsent == 3);
    T_CHECK(strstr(cap->sent[0], "\"id\":1,\"cmd\":\"subscribe\"") &&
            strstr(cap->sent[0], "\"use_yes_price\":false") &&
            strstr(cap->sent[0], "\"market_ticker\":\"KXBTC15M-26NOV280715-15\""));
    T_CHECK(strstr(cap->sent[1], "market_lifecycle_v2"));
    T_CHECK(strstr(cap->sent[2], "cfbenchmarks_value") && strstr(cap->sent[2], "BRTI"));
    snprintf(path, sizeof path, "%s/kalshi/ws_session_kxbtc15m.jsonl", fx);
    T_CHECK(s_replay(s, path) == 0);
    snprintf(path, sizeof path, "%s/kalshi/ws_session_kxbtc15m.expected_book.json", fx);
    exp = json_load_file(path, 0, NULL);
    T_CHECK(exp);
    b = kalshi_ws_book(s, T1);
    T_CHECK(b && b->valid);
    T_CHECK(s_same_side(b, KALSHI_YES, json_object_get(exp, "yes_dollars_fp")));
    T_CHECK(s_same_side(b, KALSHI_NO, json_object_get(exp, "no_dollars_fp")));
    const kalshi_ws_stats_t *st = kalshi_ws_stats(s);
    T_CHECK(st->frames == 34 && st->snapshots == 1 && st->deltas == 20 && st->tickers == 7 &&
            st->trades == 3 && st->gaps == 0 && st->bad == 0);
    T_CHECK(cap->nticker == 7 && cap->ntrade == 3);
    kalshi_top_t top;
    kalshi_book_top(b, &top);
    T_CHECK(top.yes_bid == 5600 && top.yes_bid_sz == 50000 && top.yes_ask == 5700 &&
            top.yes_ask_sz == 200000 && top.no_bid == 4300 && top.no_ask == 4400);
    T_CHECK(kalshi_ws_tick(s, clock_mono_ns() + 2 * NS_PER_S, clock_real_ns()) == 0);
    T_CHECK(cap->nbook == 1 && strstr(cap->last_book, "\"valid\":true") &&
            strstr(cap->last_book, "\"yes_ask\":0.57,\"yes_ask_size\":2000"));
    /* The lifecycle and BRTI subscriptions were never answered in this
     * fixture: past the 10 s deadline the connection must be dropped. */
    T_CHECK(kalshi_ws_tick(s, clock_mono_ns() + 5 * NS_PER_S, clock_real_ns()) == 0);
    T_CHECK(kalshi_ws_tick(s, clock_mono_ns() + 11 * NS_PER_S, clock_real_ns()) == -1);

    /* 2. BRTI frames: value, the 60 s averages, and the settlement average. */
    snprintf(path, sizeof path, "%s/kalshi/ws_cfbenchmarks_value.jsonl", fx);
    T_CHECK(s_replay(s, path) == 0);
    T_CHECK(cap->nbrti == 3);
    T_CHECK(strstr(cap->last_brti, "\"value\":97110.88"));
    T_CHECK(strstr(cap->last_brti, "\"avg_60s\":{\"value\":97102.61183333,\"window_size\":60"));
    T_CHECK(strstr(cap->last_brti, "\"settle_avg_60s\":{\"value\":97104.17928571"));
    kalshi_ws_destroy(&s);

    /* 3. A seq gap: invalid at seq 5, get_snapshot sent, the reply resets the book. */
    memset(cap, 0, sizeof *cap);
    s = kalshi_ws_new(&cb, "KXBTC15M", 0, 0);
    kalshi_ws_follow(s, T1, 1);
    kalshi_ws_connected(s, clock_mono_ns());
    snprintf(path, sizeof path, "%s/kalshi/ws_seq_gap.jsonl", fx);
    T_CHECK(s_replay(s, path) == 0);
    st = kalshi_ws_stats(s);
    T_CHECK(st->gaps == 1 && st->resyncs == 1 && cap->ngap == 1 && cap->nresync == 1);
    T_CHECK(cap->nsent == 4 && strstr(cap->sent[3], "\"action\":\"get_snapshot\"") &&
            strstr(cap->sent[3], "\"sid\":1"));
    b = kalshi_ws_book(s, T1);
    T_CHECK(b->valid && b->n[0] == 1 && b->lv[0][0].px == 5300 && b->lv[0][0].sz == 7500);
    T_CHECK(b->n[1] == 2 && b->lv[1][1].px == 4500 && b->lv[1][1].sz == 5000);
    /* Error 25 on the book's sid recreates the subscription. */
    const char *e25 = "{\"type\":\"error\",\"sid\":1,\"seq\":30,\"msg\":{\"code\":25,"
                      "\"msg\":\"Subscription buffer overflow\"}}";
    kalshi_ws_on_frame(s, e25, strlen(e25), clock_real_ns(), clock_mono_ns());
    T_CHECK(!kalshi_ws_book(s, T1)->valid && st->resubscribes == 1);
    T_CHECK(strstr(cap->sent[cap->nsent - 1], "\"cmd\":\"subscribe\"") &&
            strstr(cap->sent[cap->nsent - 1], T1));
    /* A negative level and a crossed book invalidate too; garbage is counted. */
    kalshi_ws_destroy(&s);
    memset(cap, 0, sizeof *cap);
    s = kalshi_ws_new(&cb, "KXBTC15M", 1, 0);
    kalshi_ws_follow(s, T1, 1);
    kalshi_ws_connected(s, clock_mono_ns());
    const char *fr[] = {
        "{\"type\":\"subscribed\",\"id\":1,\"msg\":{\"channel\":\"orderbook_delta\",\"sid\":7}}",
        "{\"type\":\"orderbook_snapshot\",\"sid\":7,\"seq\":1,\"msg\":{\"market_ticker\":"
        "\"KXBTC15M-26NOV280715-15\",\"yes_dollars_fp\":[[\"0.5200\",\"10.00\"]],"
        "\"no_dollars_fp\":[[\"0.5500\",\"5.00\"]]}}",
        "{\"type\":\"orderbook_delta\",\"sid\":7,\"seq\":2,\"msg\":{\"market_ticker\":"
        "\"KXBTC15M-26NOV280715-15\",\"price_dollars\":\"0.5200\",\"delta_fp\":\"-11.00\","
        "\"side\":\"yes\"}}",
        "not json", "{\"type\":\"mystery\"}",
    };
    for (size_t i = 0; i < ARRAY_LEN(fr); i++)
        kalshi_ws_on_frame(s, fr[i], strlen(fr[i]), clock_real_ns(), clock_mono_ns());
    b = kalshi_ws_book(s, T1);
    /* use_yes_price: the NO level at yes-price 0.55 is a NO bid at 0.45 */
    T_CHECK(!b->valid && b->n[1] == 1 && b->lv[1][0].px == 4500);
    T_CHECK(strstr(cap->sent[cap->nsent - 1], "get_snapshot"));
    T_CHECK(kalshi_ws_stats(s)->bad == 2 && kalshi_ws_stats(s)->unknown == 1);
    kalshi_ws_destroy(&s);

    /* 4. Kalshi answers a subscribe on a channel already subscribed with `ok`
     * on the existing sid listing its markets: B joins A's sids; A's rollover
     * removes A with delete_markets (never unsubscribes B's sids); book data
     * on a sid never subscribed, or dropped, is not applied; a market whose
     * subscribe is never answered is still judged stale from its own data. */
    if (s_t_shared(cap) < 0) goto done;
    if (s_t_indices(cap) < 0) goto done;

    /* 5. Trade ids (issue 16 item 8): unescaped once, escaped once; missing:
     * published without "id" and counted; not a string, "", over 64 bytes or
     * a control character: dropped and counted. */
    kalshi_ws_destroy(&s);
    memset(cap, 0, sizeof *cap);
    s = kalshi_ws_new(&cb, "KXBTC15M", 0, 0);
    kalshi_ws_follow(s, T1, 1);
    kalshi_ws_connected(s, clock_mono_ns());
    {
        char big[600], fr5[1024];
        memset(big, 'x', sizeof big - 1);
        big[0] = '"';
        big[sizeof big - 2] = '"';
        big[sizeof big - 1] = 0;
        const char *ids[] = {"\"a\\\"b\\u00e9\"", NULL, "true", "{\"a\":1}", "12", "\"\"",
                             "\"a\\u0000\"", big};
        for (size_t i = 0; i < ARRAY_LEN(ids); i++) {
            snprintf(fr5, sizeof fr5,
                     "{\"type\":\"trade\",\"sid\":3,\"seq\":%zu,\"msg\":{%s%s%s\"market_ticker\":"
                     "\"KXBTC15M-26NOV280715-15\",\"yes_price_dollars\":\"0.5500\","
                     "\"no_price_dollars\":\"0.4500\",\"count_fp\":\"250.00\","
                     "\"taker_outcome_side\":\"yes\",\"ts_ms\":1795867380910}}",
                     i + 1, ids[i] ? "\"trade_id\":" : "", ids[i] ? ids[i] : "", ids[i] ? "," : "");
            kalshi_ws_on_frame(s, fr5, strlen(fr5), clock_real_ns(), clock_mono_ns());
            if (i == 0)
                T_CHECK(cap->ntrade == 1 && strstr(cap->last_trade, "\"id\":\"a\\\"b\xc3\xa9\","));
            if (i == 1) T_CHECK(cap->ntrade == 2 && !strstr(cap->last_trade, "\"id\""));
        }
        size_t nbad = ARRAY_LEN(ids) - 2;
        st = kalshi_ws_stats(s);
        T_CHECK(cap->ntrade == 2 && st->bad_trade_ids == nbad &&
                st->trades_without_id == 1);
    }

    /* 6. A crossed snapshot schedules a resubscribe in 1 s; a good snapshot
     * before then cancels it (issue 16): nothing fires 3 s later. */
    kalshi_ws_destroy(&s);
    memset(cap, 0, sizeof *cap);
    s = kalshi_ws_new(&cb, "KXBTC15M", 0, 0);
    kalshi_ws_follow(s, T1, 1);
    int64_t t6 = clock_mono_ns();
    kalshi_ws_connected(s, t6);
    {
        const char *fr6[] = {
            "{\"type\":\"subscribed\",\"id\":1,\"msg\":{\"channel\":\"orderbook_delta\",\"sid\":7}}",
            "{\"type\":\"orderbook_snapshot\",\"sid\":7,\"seq\":1,\"msg\":{\"market_ticker\":"
            "\"KXBTC15M-26NOV280715-15\",\"yes_dollars_fp\":[[\"0.6000\",\"10.00\"]],"
            "\"no_dollars_fp\":[[\"0.5000\",\"5.00\"]]}}",
            "{\"type\":\"orderbook_snapshot\",\"sid\":7,\"seq\":2,\"msg\":{\"market_ticker\":"
            "\"KXBTC15M-26NOV280715-15\",\"yes_dollars_fp\":[[\"0.5200\",\"10.00\"]],"
            "\"no_dollars_fp\":[[\"0.4500\",\"5.00\"]]}}",
        };
        for (size_t i = 0; i < ARRAY_LEN(fr6); i++) {
            kalshi_ws_on_frame(s, fr6[i], strlen(fr6[i]), clock_real_ns(), t6);
            if (i == 1) T_CHECK(!kalshi_ws_book(s, T1)->valid);
        }
        T_CHECK(kalshi_ws_book(s, T1)->valid);
        int nsent = cap->nsent;
        kalshi_ws_tick(s, t6 + 3 * NS_PER_S, clock_real_ns());
        T_CHECK(kalshi_ws_stats(s)->resubscribes == 0 && cap->nsent == nsent &&
                kalshi_ws_book(s, T1)->valid);
    }
    ok = 0;
done:
    json_decref(exp);
    kalshi_ws_destroy(&s);
    free(cap);
    return ok;
}
