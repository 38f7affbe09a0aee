/* wsconn: one libwebsockets client connection with the connection and data rows
 * of docs/CONTRACT.md, 'Healing layers' (see wsconn.h). Used by the exchange
 * feeds and feed-kalshi. All deadlines are checked by one 100 ms timer (sul) on
 * the lws loop thread. */
#include "prog.h"
#include "wsconn.h"
#include "silence.h"
#include "clock.h"
#include "log.h"
#include "util.h"

#include <errno.h>
#include <libwebsockets.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TICK_US 100000
#define SENDQ_MAX 64
#define HDR_MAX 4096

enum { ST_DOWN, ST_CONNECTING, ST_UP };

typedef struct {
    char *buf; /* LWS_PRE headroom + message */
    size_t len;
} s_msg_t;

struct wsconn {
    wsconn_opts_t o;
    char host[256], path[512];
    int port;
    struct lws_context *ctx;
    struct lws_vhost *vh;
    struct lws *wsi;
    lws_sorted_usec_list_t sul;
    lws_retry_bo_t retry;
    uint32_t retry_ms;
    int state, in_connect, destroying, exit_code, healthy_app;
    int local_fail; /* the attempt failed before anything left this host (see s_down) */
    unsigned local_streak; /* such failures in a row: the first is an event, the rest are not */
    volatile int *stop;
    const char *kill_reason;
    int64_t kill_mono, connect_mono, up_mono, next_connect_mono, last_frame_mono,
        last_data_mono, last_progress_mono, stale_mono, start_mono, down_mono;
    int stale_stage;
    /* telling quiet from dead (s_probe_tick) */
    silence_t sil;
    int probing, ping_pending;
    int mute_stage; /* 0; 1: resubscribed after a mute; 2: after a data-path probe */
    unsigned probe_id;
    int64_t probe_mono, answer_mono, next_probe_mono, mute_mono, probe_rtt,
        quiet_hold_mono;
    double dp_tokens;  /* data-path probes allowed now (a token bucket) */
    int64_t dp_mono;   /* when dp_tokens was last refilled; 0: never (full) */
    int64_t dp_silence; /* last_data_mono of the silence last judged for one */
    int64_t dp_after;   /* the silence's length at which the next check of it may go */
    int64_t dp_pending; /* an on_data_probe check runs for the silence since this (0: none) */
    unsigned attempt;
    int64_t min_backoff; /* from on_connect_error: the next backoff is at least this (ns) */
    /* reassembly */
    char *rx;
    size_t rx_len, rx_cap;
    int rx_in_msg, rx_drop, rx_binary;
    /* send queue */
    s_msg_t q[SENDQ_MAX];
    int q_head, q_n;
    int64_t q_since;
    /* upgrade headers added in on_headers */
    char hdr[HDR_MAX];
    size_t hdr_len;
    int in_headers;
    wsconn_stats_t st;
    jw_t ew;
};

static int64_t s_ns(double s) { return (int64_t)(s * (double)NS_PER_S); }

void wsconn_opts_default(wsconn_opts_t *o)
{
    memset(o, 0, sizeof *o);
    o->handshake_s = 10;
    o->ping_s = 5;
    o->dead_s = 15;
    o->stale_s = 15;
    o->write_s = 10;
    o->backoff_min_s = 0.5;
    o->backoff_max_s = 30;
    o->healthy_s = 60;
    o->progress_s = 60;
    o->max_msg = 1 << 20;
    o->suspect_factor = 3;
    o->suspect_min_s = 0.5;
    o->probe_s = 1;
    o->data_probe_s = 2;
    o->data_probe_per_h = 60;
}

void wsconn_opts_check(const wsconn_opts_t *o)
{
    char v[32];
    snprintf(v, sizeof v, "%g", o->backoff_min_s);
    if (o->backoff_min_s > o->backoff_max_s) opts_die("backoff-min", v, "must not exceed --backoff-max");
}

void wsconn_opts_timers(wsconn_opts_t *dst, const wsconn_opts_t *src)
{
    dst->handshake_s = src->handshake_s;
    dst->ping_s = src->ping_s;
    dst->dead_s = src->dead_s;
    dst->write_s = src->write_s;
    dst->backoff_min_s = src->backoff_min_s;
    dst->backoff_max_s = src->backoff_max_s;
    dst->healthy_s = src->healthy_s;
    dst->progress_s = src->progress_s;
    dst->suspect_factor = src->suspect_factor;
    dst->suspect_min_s = src->suspect_min_s;
    dst->probe_s = src->probe_s;
    dst->data_probe_s = src->data_probe_s;
    dst->data_probe_per_h = src->data_probe_per_h;
}

int wsconn_parse_url(const char *url, char *host, size_t hostlen, int *port, char *path,
                     size_t pathlen)
{
    if (!url || strncmp(url, "wss://", 6)) return -1;
    const char *h = url + 6, *e = h;
    int v6 = *h == '[';
    if (v6) {
        e = strchr(h, ']');
        if (!e) return -1;
        h++;
    } else {
        while (*e && *e != ':' && *e != '/') e++;
    }
    size_t hl = (size_t)(e - h);
    if (hl == 0 || hl >= hostlen) return -1;
    memcpy(host, h, hl);
    host[hl] = 0;
    if (v6) e++;
    *port = 443;
    if (*e == ':') {
        char *end;
        long p = strtol(e + 1, &end, 10);
        if (end == e + 1 || p < 1 || p > 65535) return -1;
        *port = (int)p;
        e = end;
    }
    if (*e && *e != '/') return -1;
    if (snprintf(path, pathlen, "%s", *e ? e : "/") >= (int)pathlen) return -1;
    return 0;
}

static void s_lws_log(int level, const char *line)
{
    size_t n = strlen(line);
    while (n && (line[n - 1] == '\n' || line[n - 1] == '\r')) n--;
    if (level & LLL_ERR) log_warnx_rl("lws: %.*s", (int)n, line);
    else log_debug("lws: %.*s", (int)n, line);
}

static void s_q_clear(wsconn_t *c)
{
    while (c->q_n) {
        free(c->q[c->q_head].buf);
        c->q_head = (c->q_head + 1) % SENDQ_MAX;
        c->q_n--;
    }
    c->q_head = 0;
}

void wsconn_event(wsconn_t *c, const char *kind, const char *reason, const char *extra,
                  size_t extra_len, int64_t ts_rx)
{
    if (!strcmp(kind, "gap")) c->st.gaps++;
    else if (!strcmp(kind, "resync")) c->st.resyncs++;
    else if (!strcmp(kind, "reconnect")) c->st.reconnects++;
    log_notice("event=%s venue=%s reason=%s%s%.*s", kind, c->o.venue, reason, extra ? " " : "",
               extra ? (int)extra_len : 0, extra ? extra : "");
    if (!c->o.pub) return;
    jw_t *w = &c->ew;
    jw_reset(w);
    jw_fragment(w);
    jw_kstr(w, "venue", c->o.venue);
    jw_kstr(w, "reason", reason);
    char topic[64];
    snprintf(topic, sizeof topic, "event.%s", kind);
    if (extra && extra_len) {
        /* EXTRA is a member fragment: append ",<extra>" to the body */
        size_t n = w->len + 1 + extra_len + 1;
        char *b = xmalloc(n);
        memcpy(b, w->buf, w->len);
        b[w->len] = ',';
        memcpy(b + w->len + 1, extra, extra_len);
        b[n - 1] = 0;
        bus_pub_send(c->o.pub, topic, b, n - 1, ts_rx ? ts_rx : clock_real_ns(), -1);
        free(b);
    } else {
        bus_pub_send(c->o.pub, topic, w->buf, w->len, ts_rx ? ts_rx : clock_real_ns(), -1);
    }
}

/* Backoff with full jitter: uniform in [0, min(max, min * 2^attempt)]. */
static int64_t s_backoff(wsconn_t *c)
{
    double cap = c->o.backoff_min_s;
    for (unsigned i = 0; i < c->attempt && cap < c->o.backoff_max_s; i++) cap *= 2;
    if (cap > c->o.backoff_max_s) cap = c->o.backoff_max_s;
    c->attempt++;
    double r = (double)arc4random() / 4294967296.0;
    return s_ns(cap * r);
}

/* A connect that failed inside lws_client_connect_via_info (no route to the venue, the network
 * down, a name that does not resolve): nothing reached the venue, so waiting longer spares it
 * nothing and only delays the return once the network is back (a host cut off for 30 s had its
 * feeds back 14-28 s after the link, the backoff having grown meanwhile). Such an attempt is
 * retried after 0.5-1 s and does not count as one of the backoff's attempts. */
#define LOCAL_RETRY_S 1.0

/* The connection is gone (or never came up): schedule the next attempt. */
static void s_down(wsconn_t *c, const char *reason)
{
    int local = c->local_fail;
    c->local_fail = 0;
    int64_t min_backoff = c->min_backoff;
    c->min_backoff = 0;
    if (c->state == ST_DOWN) return;
    int was_up = c->state == ST_UP;
    int64_t now = clock_mono_ns();
    c->state = ST_DOWN;
    c->wsi = NULL;
    c->kill_reason = NULL;
    c->rx_in_msg = c->rx_drop = 0;
    c->rx_len = 0;
    s_q_clear(c);
    c->down_mono = now;
    if (c->destroying) return;
    local = local && !was_up;
    int64_t delay = local ? s_ns(LOCAL_RETRY_S * (0.5 + 0.5 * (double)arc4random() / 4294967296.0))
                          : s_backoff(c);
    if (delay < min_backoff) delay = min_backoff;
    c->next_connect_mono = now + delay;
    if (!local) c->local_streak = 0;
    else if (c->local_streak++ > 0) { /* the same outage, said at its first attempt */
        log_debug("venue=%s connect failed locally again (%u in a row)", c->o.venue,
                  c->local_streak);
        return;
    }
    char extra[176];
    int n = snprintf(extra, sizeof extra,
                     "\"was_connected\":%s,\"attempt\":%u,\"backoff_ms\":%lld%s",
                     was_up ? "true" : "false", c->attempt, (long long)(delay / NS_PER_MS),
                     local ? ",\"local\":true" : "");
    if (was_up && c->o.on_close) c->o.on_close(c, c->o.arg, reason);
    wsconn_event(c, "reconnect", reason, extra, (size_t)n, 0);
}

static void s_kill(wsconn_t *c, const char *reason)
{
    if (c->state == ST_DOWN || c->kill_reason) return;
    c->kill_reason = reason;
    c->kill_mono = clock_mono_ns();
    if (c->wsi) lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
}

void wsconn_reconnect(wsconn_t *c, const char *reason) { s_kill(c, reason); }

static void s_connect(wsconn_t *c)
{
    struct lws_client_connect_info ci;
    memset(&ci, 0, sizeof ci);
    ci.context = c->ctx;
    ci.vhost = c->vh;
    ci.address = c->host;
    ci.port = c->port;
    ci.path = c->path;
    ci.host = c->host;
    ci.origin = c->host;
    ci.ssl_connection = LCCSCF_USE_SSL;
    ci.local_protocol_name = "tickbus-ws";
    ci.retry_and_idle_policy = &c->retry;
    int64_t now = clock_mono_ns();
    c->state = ST_CONNECTING;
    c->connect_mono = now;
    c->kill_reason = NULL;
    c->st.connects++;
    c->in_connect = 1;
    c->wsi = NULL;
    struct lws *w = lws_client_connect_via_info(&ci);
    c->in_connect = 0;
    if (c->state != ST_CONNECTING) return; /* failed inside the call */
    if (!w) {
        c->local_fail = 1; /* refused before any packet reached the venue */
        s_down(c, "connect_failed");
        return;
    }
    c->wsi = w;
}

static int s_mine(wsconn_t *c, struct lws *wsi)
{
    return c->state != ST_DOWN && (c->wsi == wsi || c->in_connect);
}

/* Market data arrived: the data and progress timers start over. */
static void s_mark_data(wsconn_t *c)
{
    int64_t now = clock_mono_ns();
    c->last_data_mono = c->last_progress_mono = now;
    c->stale_stage = 0;
    silence_data(&c->sil, now);
    /* data proves the path: a pending probe's answer no longer matters */
    c->probing = c->mute_stage = 0;
    c->next_probe_mono = 0;
    if (c->o.hb) hb_progress(c->o.hb, 1);
}

static void s_message(wsconn_t *c, int64_t ts_rx)
{
    c->st.msgs++;
    int r = c->o.on_message ? c->o.on_message(c, c->o.arg, c->rx, c->rx_len, ts_rx)
                            : WSCONN_MSG_IGNORED;
    switch (r) {
    case WSCONN_MSG_DATA:
        c->st.data_msgs++;
        s_mark_data(c);
        break;
    case WSCONN_MSG_AUX: {
        int64_t now = clock_mono_ns();
        c->st.data_msgs++;
        c->last_progress_mono = now;
        if (c->o.hb) hb_progress(c->o.hb, 1);
        if (c->probing) wsconn_probe_answered(c, c->probe_id); /* the path works */
        else c->answer_mono = now;
        break;
    }
    case WSCONN_MSG_CTRL: c->st.ctrl_msgs++; break;
    case WSCONN_MSG_BAD: c->st.bad_frames++; break;
    default: c->st.ignored++; break;
    }
}

static void s_receive(wsconn_t *c, struct lws *wsi, const char *in, size_t len)
{
    int64_t ts_rx = clock_real_ns();
    c->last_frame_mono = clock_mono_ns();
    if (!c->rx_in_msg) {
        c->rx_in_msg = 1;
        c->rx_len = 0;
        c->rx_drop = 0;
        c->rx_binary = lws_frame_is_binary(wsi);
    }
    if (!c->rx_drop) {
        if (c->rx_len + len > c->o.max_msg) {
            c->rx_drop = 1;
            c->rx_len = 0;
            c->st.oversize++;
            log_warnx_rl("venue=%s dropping a message over %zu bytes", c->o.venue, c->o.max_msg);
        } else {
            if (c->rx_len + len + 1 > c->rx_cap) {
                size_t cap = c->rx_cap ? c->rx_cap : 65536;
                while (cap < c->rx_len + len + 1) cap *= 2;
                c->rx = xrealloc(c->rx, cap);
                c->rx_cap = cap;
            }
            memcpy(c->rx + c->rx_len, in, len);
            c->rx_len += len;
            c->rx[c->rx_len] = 0;
        }
    }
    if (!lws_is_final_fragment(wsi)) return;
    c->rx_in_msg = 0;
    if (c->rx_drop) return;
    if (c->rx_binary) {
        c->st.bad_frames++;
        log_warnx_rl("venue=%s binary message ignored (%zu bytes)", c->o.venue, c->rx_len);
        return;
    }
    framerec_write(c->o.record, ts_rx, c->rx, c->rx_len);
    s_message(c, ts_rx);
}

/* Upgrade headers: the static ones, then the hook's (wsconn_header). -1 if they do not fit. */
static int s_append_headers(wsconn_t *c, unsigned char **p, size_t len)
{
    unsigned char *end = *p + len;
    c->hdr_len = 0;
    if (c->o.headers)
        for (const char *const *h = c->o.headers; *h; h++) {
            size_t n = strlen(*h);
            if (c->hdr_len + n + 2 > HDR_MAX) break;
            memcpy(c->hdr + c->hdr_len, *h, n);
            memcpy(c->hdr + c->hdr_len + n, "\r\n", 2);
            c->hdr_len += n + 2;
        }
    if (c->o.on_headers) {
        c->in_headers = 1;
        c->o.on_headers(c, c->o.arg);
        c->in_headers = 0;
    }
    if ((size_t)(end - *p) < c->hdr_len) return -1;
    memcpy(*p, c->hdr, c->hdr_len);
    *p += c->hdr_len;
    return 0;
}

static void s_established(wsconn_t *c, struct lws *wsi)
{
    c->wsi = wsi;
    c->state = ST_UP;
    c->up_mono = c->last_frame_mono = c->last_data_mono = clock_mono_ns();
    c->stale_stage = 0;
    silence_restart(&c->sil);
    c->probing = c->ping_pending = c->mute_stage = 0;
    c->next_probe_mono = c->answer_mono = 0;
    c->dp_pending = 0;
    c->healthy_app = 1;
    log_info("venue=%s connected to %s:%d%s after %.2f s", c->o.venue, c->host, c->port, c->path,
             (double)(c->up_mono - c->connect_mono) / 1e9);
    if (c->local_streak)
        log_notice("venue=%s back after %u connect attempts that failed before reaching it "
                   "(no route: the network was down)", c->o.venue, c->local_streak);
    c->local_streak = 0;
    if (c->o.on_open) c->o.on_open(c, c->o.arg);
}

/* Write the oldest queued message (one per WRITEABLE). -1 on a failed write. */
static int s_writeable(wsconn_t *c, struct lws *wsi)
{
    if (c->ping_pending) { /* a probe by websocket ping (venues without a request of their own) */
        unsigned char buf[LWS_PRE + 32];
        int n = snprintf((char *)buf + LWS_PRE, 32, "tbprobe%u", c->probe_id);
        c->ping_pending = 0;
        if (lws_write(wsi, buf + LWS_PRE, (size_t)n, LWS_WRITE_PING) < n) return -1;
        if (c->q_n) lws_callback_on_writable(wsi);
        return 0;
    }
    s_msg_t *m = &c->q[c->q_head];
    int n = lws_write(wsi, (unsigned char *)m->buf + LWS_PRE, m->len, LWS_WRITE_TEXT);
    free(m->buf);
    c->q_head = (c->q_head + 1) % SENDQ_MAX;
    c->q_n--;
    if (n < (int)m->len) {
        log_warnx_rl("venue=%s write failed", c->o.venue);
        return -1;
    }
    c->q_since = c->q_n ? clock_mono_ns() : 0;
    if (c->q_n) lws_callback_on_writable(wsi);
    return 0;
}

static void s_connect_error(wsconn_t *c, struct lws *wsi, const char *in)
{
    if (!c->kill_reason)
        log_warnx_rl("venue=%s connect to %s:%d failed: %s", c->o.venue, c->host, c->port,
                     in ? in : "?");
    c->local_fail = c->in_connect; /* failed inside the connect call: nothing was sent */
    if (c->o.on_connect_error && !c->destroying) {
        /* the upgrade's HTTP status (0 when the server sent none); the hook may ask for a
         * longer wait, which s_down applies (and reports in event.reconnect) */
        int http = wsi ? (int)lws_http_client_http_response(wsi) : 0;
        char st[16];
        if (!http && wsi && lws_hdr_copy(wsi, st, sizeof st, WSI_TOKEN_HTTP) > 0) http = atoi(st);
        double min_s = c->o.on_connect_error(c, c->o.arg, http, in ? in : "");
        if (min_s > 0) c->min_backoff = s_ns(min_s);
    }
    s_down(c, c->kill_reason ? c->kill_reason : "connect_error");
}

static int s_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                      size_t len)
{
    wsconn_t *c = lws_context_user(lws_get_context(wsi));
    if (!c || (c->destroying && reason != LWS_CALLBACK_OPENSSL_LOAD_EXTRA_CLIENT_VERIFY_CERTS))
        return c ? 0 : lws_callback_http_dummy(wsi, reason, user, in, len);
    switch (reason) {
    case LWS_CALLBACK_OPENSSL_LOAD_EXTRA_CLIENT_VERIFY_CERTS:
        /* an extra trust anchor, on top of the system store lws loaded */
        if (c->o.ca_file && !SSL_CTX_load_verify_locations((SSL_CTX *)user, c->o.ca_file, NULL))
            log_warnx("venue=%s cannot load --ca-file %s", c->o.venue, c->o.ca_file);
        return 0;
    case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
        return s_mine(c, wsi) ? s_append_headers(c, in, len) : 0;
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
        if (s_mine(c, wsi)) s_established(c, wsi);
        return 0;
    case LWS_CALLBACK_CLIENT_RECEIVE:
        if (!s_mine(c, wsi) || c->state != ST_UP) return 0;
        s_receive(c, wsi, in, len);
        return 0;
    case LWS_CALLBACK_CLIENT_RECEIVE_PONG:
        if (s_mine(c, wsi)) {
            c->last_frame_mono = clock_mono_ns();
            char want[32];
            int n = snprintf(want, sizeof want, "tbprobe%u", c->probe_id);
            if (in && len == (size_t)n && !memcmp(in, want, len))
                wsconn_probe_answered(c, c->probe_id);
        }
        return 0;
    case LWS_CALLBACK_CLIENT_WRITEABLE:
        if (!s_mine(c, wsi) || c->state != ST_UP || (!c->q_n && !c->ping_pending)) return 0;
        return s_writeable(c, wsi);
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
        if (s_mine(c, wsi)) s_connect_error(c, wsi, in);
        return 0;
    case LWS_CALLBACK_CLIENT_CLOSED:
        if (!s_mine(c, wsi)) return 0;
        if (!c->kill_reason) log_warnx_rl("venue=%s connection closed by peer", c->o.venue);
        s_down(c, c->kill_reason ? c->kill_reason : "closed");
        return 0;
    default: break;
    }
    return lws_callback_http_dummy(wsi, reason, user, in, len);
}

static const struct lws_protocols s_protocols[] = {
    {"tickbus-ws", s_callback, 0, 65536, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

/* ---- telling quiet from dead ---- */

#define PROBE_QUIET_NS NS_PER_S /* a silence this long is probed if 4 x the median gap is shorter */

static int64_t s_mute_wait(const wsconn_t *c)
{
    int64_t w = 2 * s_ns(c->o.probe_s);
    return w < 2 * NS_PER_S ? 2 * NS_PER_S : w;
}

static void s_probe_send(wsconn_t *c, int64_t now, int64_t quiet, int64_t thr)
{
    c->probe_id++;
    if (!c->probe_id) c->probe_id = 1;
    c->probing = 1;
    c->probe_mono = now;
    c->st.probes++;
    log_debug("venue=%s no data for %.2f s (threshold %.2f s): probe %u", c->o.venue,
              (double)quiet / 1e9, (double)thr / 1e9, c->probe_id);
    if (!(c->o.on_probe && c->o.on_probe(c, c->o.arg, c->probe_id))) {
        c->ping_pending = 1;
        if (c->wsi) lws_callback_on_writable(c->wsi);
    }
}

/* Ask for the data again on this connection (event.resync REASON), or
 * reconnect without a way to; the silence that ends with it is not the
 * venue's flow (not learned). */
static void s_resubscribe(wsconn_t *c, const char *reason)
{
    silence_restart(&c->sil);
    if (c->o.on_resubscribe) {
        c->st.resubscribes++;
        wsconn_event(c, "resync", reason, NULL, 0, 0);
        c->o.on_resubscribe(c, c->o.arg);
    } else {
        s_kill(c, reason);
    }
}

/* The path answers but the data stopped while the other venues moved: the
 * venue muted this connection. Resubscribe (or reconnect without a way to). */
static void s_mute(wsconn_t *c, int64_t now, int64_t quiet, int ev)
{
    c->st.mutes++;
    c->mute_stage = 1;
    c->mute_mono = now;
    log_warnx_rl("venue=%s no data for %.1f s while the path answers and %s: muted, %s",
                 c->o.venue, (double)quiet / 1e9,
                 ev == 2   ? "the other venues sent many times this venue's usual share"
                 : ev == 3 ? "this venue's data never pauses this long"
                           : "the other venues moved",
                 c->o.on_resubscribe ? "resubscribing" : "reconnecting");
    s_resubscribe(c, "mute");
}

/* The bucket of data-path probes, refilled at data_probe_per_h; 1 if one may go now. */
static int s_dp_take(wsconn_t *c, int64_t now)
{
    double cap = c->o.data_probe_per_h / 2;
    if (cap < DATA_PROBE_BURST_MIN) cap = DATA_PROBE_BURST_MIN;
    if (!c->dp_mono) c->dp_tokens = cap;
    else c->dp_tokens += (double)(now - c->dp_mono) / 1e9 * c->o.data_probe_per_h / 3600.0;
    if (c->dp_tokens > cap) c->dp_tokens = cap;
    c->dp_mono = now;
    if (c->dp_tokens < 1) return 0;
    c->dp_tokens -= 1;
    return 1;
}

/* A silence the path answered through and nothing explains: ask for the data
 * again; a venue with resub_snapshot sends a snapshot at once, so none within
 * s_mute_wait is a mute (s_probe_tick's mute stage reconnects). */
static void s_data_probe(wsconn_t *c, int64_t now, int64_t quiet)
{
    c->st.data_probes++;
    c->mute_stage = 2;
    c->mute_mono = now;
    log_info("venue=%s no data for %.1f s while the path answers: resubscribing, %s must "
             "come within %.1f s", c->o.venue, (double)quiet / 1e9,
             c->o.resub_snapshot ? "a snapshot" : "data", (double)s_mute_wait(c) / 1e9);
    s_resubscribe(c, "data_probe");
}

void wsconn_data_probe_result(wsconn_t *c, int moved, const char *why)
{
    if (!c || !c->dp_pending) return;
    int64_t since = c->dp_pending, now = clock_mono_ns();
    c->dp_pending = 0;
    /* data came, or the connection changed, while the check ran: it is moot */
    if (c->state != ST_UP || c->kill_reason || since != c->last_data_mono || c->mute_stage) return;
    int64_t quiet = now - c->last_data_mono;
    if (moved > 0) {
        c->st.data_check_moved++;
        log_warnx_rl("venue=%s no data for %.1f s, but %s: muted", c->o.venue,
                     (double)quiet / 1e9, why ? why : "the venue's data moved");
        s_data_probe(c, now, quiet);
    } else if (moved == 0) {
        c->st.data_check_quiet++;
        log_debug("venue=%s no data for %.1f s and %s: a quiet market", c->o.venue,
                  (double)quiet / 1e9, why ? why : "the venue's data did not move");
    } else {
        c->st.data_check_failed++;
        log_warnx_rl("venue=%s data-path check after %.1f s of silence told nothing: %s",
                     c->o.venue, (double)quiet / 1e9, why ? why : "?");
    }
}

void wsconn_data_restart(wsconn_t *c)
{
    if (c) silence_restart(&c->sil);
}

void wsconn_probe_answered(wsconn_t *c, unsigned id)
{
    if (!c || !c->probing || (id && id != c->probe_id)) return;
    int64_t now = clock_mono_ns();
    c->probing = 0;
    c->st.probe_answers++;
    c->probe_rtt = now - c->probe_mono;
    c->answer_mono = now;
    /* a quiet market: ask again in a second (one small request a second of
     * silence at most; none while data flows) */
    c->next_probe_mono = now + NS_PER_S;
}

static int s_evidence(wsconn_t *c)
{
    return c->o.on_evidence ? c->o.on_evidence(c, c->o.arg, c->last_data_mono) : -1;
}

/* A quiet market, not a dead venue: the path answered a probe within the
 * last 5 s of this silence, and the other venues are quiet too or the
 * silence is still plausible under this venue's own flow (a thin venue's
 * usual pauses; the threshold capped at the stale timer's value does not
 * say so). The stale timer then holds back (counted once per silence in
 * quiet_holds), for one more stale time at most and never in its second
 * stage. Nobody to ask (no other venue heard from): the timer acts. */
static int s_quiet_market(wsconn_t *c, int64_t now)
{
    /* bounded: after twice the stale time the timer acts whatever the market
     * (a muted thin venue is resubscribed at 2 x --stale-after, well before
     * --progress-deadline ends the process) */
    if (c->o.probe_s <= 0 || c->answer_mono <= c->last_data_mono ||
        now - c->answer_mono > 5 * NS_PER_S || now - c->last_data_mono >= 2 * s_ns(c->o.stale_s))
        return 0;
    int ev = s_evidence(c);
    if (ev < 0 || ev > 1 || (ev > 0 && now - c->last_data_mono >= silence_plausible(&c->sil)))
        return 0;
    if (c->quiet_hold_mono != c->last_data_mono) {
        c->quiet_hold_mono = c->last_data_mono;
        c->st.quiet_holds++;
        log_info("venue=%s no data for %.0f s, but the path answers and %s: a quiet market, "
                 "not resubscribing", c->o.venue, (double)(now - c->last_data_mono) / 1e9,
                 ev ? "such pauses are usual here" : "the other venues are quiet too");
    }
    return 1;
}

/* Every tick while up: probe a suspicious silence, judge the answer. 1 when
 * the connection was killed. */
static int s_probe_tick(wsconn_t *c, int64_t now)
{
    if (c->o.probe_s <= 0) return 0;
    int64_t quiet = now - c->last_data_mono;
    if (c->mute_stage) {
        if (now - c->mute_mono <= s_mute_wait(c)) return 0;
        /* a data-path probe that no data answered was a mute after all: counted as one */
        if (c->mute_stage == 2) c->st.mutes++;
        log_warnx_rl("venue=%s no data %.1f s after resubscribing: reconnecting", c->o.venue,
                     (double)(now - c->mute_mono) / 1e9);
        s_kill(c, "mute");
        return 1;
    }
    if (c->probing) {
        if (now - c->probe_mono <= s_ns(c->o.probe_s)) return 0;
        c->st.probe_timeouts++;
        c->probing = 0;
        log_warnx_rl("venue=%s probe unanswered after %.1f s (no data for %.1f s): stalled",
                     c->o.venue, c->o.probe_s, (double)quiet / 1e9);
        s_kill(c, "probe_timeout");
        return 1;
    }
    int64_t thr = silence_threshold(&c->sil);
    /* probe at the threshold, and in a quiet market (a high threshold) earlier:
     * after 1 s (or --suspect-min) or 4 x the median gap, whichever is longer,
     * so a dead path is found about as fast as in a busy one while a venue's
     * ordinary pauses (Kalshi's 1 s index ticks) are not probed */
    int64_t probe_at = thr, cap = 4 * silence_quantile(&c->sil, 0.5);
    if (cap < PROBE_QUIET_NS) cap = PROBE_QUIET_NS;
    if (cap < s_ns(c->o.suspect_min_s)) cap = s_ns(c->o.suspect_min_s);
    if (probe_at > cap) probe_at = cap;
    /* a mute: data flowed on this connection (not while subscribing), then a
     * silence unlikely under the venue's own (learned) flow, the path proved
     * alive after the silence became suspect (a probe's answer, or a trade
     * while the book is silent: not a frame that was on its way before a
     * stall), and the others moved meanwhile (a threshold at the stale
     * timer's value is the stale timer's business); or, whatever this
     * venue's own flow says, the others sent far more than this venue's
     * usual share (evidence 2: the relative test, which a quiet spell does not
     * fool: it slows every venue at once) */
    int64_t thr_now = silence_threshold_now(&c->sil);
    if (silence_running(&c->sil) && c->answer_mono >= c->last_data_mono + probe_at) {
        int ev = s_evidence(c);
        /* nobody to ask, but this venue's data never pauses long (own_flow_evident) */
        if (ev < 0 && c->o.own_flow_evident) ev = 3;
        if (ev == 2 || ((ev == 1 || ev == 3) && quiet >= thr_now && thr < s_ns(c->o.stale_s) &&
                        silence_warm(&c->sil))) {
            s_mute(c, now, quiet, ev);
            return 0;
        }
    }
    /* the data-path probe: the path answered within this silence, which has lasted
     * data_probe_s, and the rules above did not call it a mute (the other venues are
     * quiet too, or nobody to ask): a resubscribe answered by a snapshot, or a check
     * from outside (on_data_probe); one when the silence reaches data_probe_s, another
     * each time it has doubled (a resubscribe ends the silence or the connection, so
     * it makes one), within the budget */
    int dp_way = c->o.resub_snapshot && c->o.on_resubscribe ? 1 : c->o.on_data_probe ? 2 : 0;
    if (dp_way && c->o.data_probe_s > 0 && c->o.data_probe_per_h > 0 && !c->dp_pending &&
        silence_running(&c->sil) && silence_warm(&c->sil) &&
        c->answer_mono >= c->last_data_mono + probe_at) {
        if (c->dp_silence != c->last_data_mono) {
            c->dp_silence = c->last_data_mono;
            c->dp_after = s_ns(c->o.data_probe_s);
        }
        if (quiet >= c->dp_after) {
            c->dp_after = 2 * quiet;
            if (!s_dp_take(c, now)) {
                c->st.data_probe_skips++;
                log_debug("venue=%s no data for %.1f s: data-path probe budget spent (%g an hour)",
                          c->o.venue, (double)quiet / 1e9, c->o.data_probe_per_h);
            } else if (dp_way == 1) {
                s_data_probe(c, now, quiet);
                return 0;
            } else if (c->o.on_data_probe(c, c->o.arg)) {
                c->st.data_checks++;
                c->dp_pending = c->last_data_mono;
            } else {
                c->dp_tokens += 1; /* not sent (the book resyncing, a check in flight) */
            }
        }
    }
    if (quiet >= probe_at && now >= c->next_probe_mono) s_probe_send(c, now, quiet, thr);
    return 0;
}

static void s_state(wsconn_t *c)
{
    if (!c->o.hb) return;
    if (c->state != ST_UP) hb_state(c->o.hb, "down");
    else if (!c->healthy_app || c->stale_stage || c->mute_stage) hb_state(c->o.hb, "degraded");
    else hb_state(c->o.hb, "ok");
}

static void s_tick(lws_sorted_usec_list_t *sul)
{
    wsconn_t *c = lws_container_of(sul, wsconn_t, sul);
    int64_t now = clock_mono_ns();
    if (c->stop && *c->stop) {
        lws_cancel_service(c->ctx);
        return;
    }
    switch (c->state) {
    case ST_DOWN:
        if (now >= c->next_connect_mono) s_connect(c);
        break;
    case ST_CONNECTING:
        if (c->kill_reason) break;
        if (now - c->connect_mono > s_ns(c->o.handshake_s)) {
            c->st.handshake_timeouts++;
            log_warnx_rl("venue=%s handshake not done after %.1f s: abandoned", c->o.venue,
                         c->o.handshake_s);
            s_kill(c, "handshake_timeout");
        }
        break;
    case ST_UP:
        if (c->kill_reason) break;
        if (now - c->last_frame_mono > s_ns(c->o.dead_s)) {
            c->st.stalls++;
            log_warnx_rl("venue=%s no frame for %.1f s: dead", c->o.venue, c->o.dead_s);
            s_kill(c, "dead");
        } else if (c->q_n && c->q_since && now - c->q_since > s_ns(c->o.write_s)) {
            c->st.write_timeouts++;
            s_kill(c, "write_timeout");
        } else if (s_probe_tick(c, now)) {
            /* killed: a stall or a mute that resubscribing did not mend */
        } else if (!c->stale_stage && now - c->last_data_mono > s_ns(c->o.stale_s) &&
                   !s_quiet_market(c, now)) {
            c->st.stale++;
            c->stale_stage = 1;
            c->stale_mono = now;
            s_resubscribe(c, "stale");
        } else if (c->stale_stage && now - c->stale_mono > s_ns(c->o.stale_s)) {
            s_kill(c, "stale");
        } else if (c->attempt && now - c->up_mono > s_ns(c->o.healthy_s) &&
                   now - c->last_data_mono < s_ns(c->o.stale_s)) {
            c->attempt = 0; /* healthy long enough: the backoff starts over */
        }
        break;
    }
    /* a kill that produced no callback (should not happen): forget the wsi */
    if (c->kill_reason && now - c->kill_mono > 5 * NS_PER_S) {
        log_warnx("venue=%s connection did not close after kill; abandoning it", c->o.venue);
        s_down(c, c->kill_reason);
    }
    if (c->o.on_tick) c->o.on_tick(c, c->o.arg, now);
    s_state(c);
    if (c->o.hb) hb_tick(c->o.hb);
    if (now - c->last_progress_mono > s_ns(c->o.progress_s)) {
        log_crit("venue=%s no market data for %.0f s despite reconnects: exiting 75", c->o.venue,
                 c->o.progress_s);
        c->exit_code = PROG_EX_STALLED;
        lws_cancel_service(c->ctx);
        return;
    }
    lws_sul_schedule(c->ctx, 0, &c->sul, s_tick, TICK_US);
}

int wsconn_ca_check(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "cannot be read: %s", strerror(errno));
        return -1;
    }
    /* every PEM block must parse; at least one must be a certificate */
    STACK_OF(X509_INFO) *inf = PEM_X509_INFO_read(f, NULL, NULL, NULL);
    fclose(f);
    int certs = 0;
    for (int i = 0; inf && i < sk_X509_INFO_num(inf); i++)
        if (sk_X509_INFO_value(inf, i)->x509) certs++;
    sk_X509_INFO_pop_free(inf, X509_INFO_free);
    unsigned long e = ERR_peek_last_error();
    ERR_clear_error();
    if (!inf || (e && ERR_GET_REASON(e) != PEM_R_NO_START_LINE)) {
        snprintf(err, errlen, "is not a PEM file of CA certificates (OpenSSL could not read it)");
        return -1;
    }
    if (certs == 0) {
        snprintf(err, errlen, "holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
        return -1;
    }
    return 0;
}

wsconn_t *wsconn_new(const wsconn_opts_t *o, char *err, size_t errlen)
{
    wsconn_t *c = xcalloc(1, sizeof *c);
    c->o = *o;
    if (!c->o.venue) c->o.venue = "ws";
    if (wsconn_parse_url(o->url, c->host, sizeof c->host, &c->port, c->path, sizeof c->path) < 0) {
        snprintf(err, errlen, "expected wss://host[:port][/path]");
        goto fail;
    }
    if (o->ca_file && wsconn_ca_check(o->ca_file, err, errlen) < 0) goto fail;
    if (o->handshake_s <= 0 || o->dead_s <= 0 || o->stale_s <= 0 || o->max_msg < 64 ||
        o->backoff_min_s <= 0 || o->backoff_max_s < o->backoff_min_s) {
        snprintf(err, errlen, "bad timing options");
        goto fail;
    }
    lws_set_log_level(LLL_ERR | (log_level >= LOG_LVL_DEBUG ? LLL_WARN | LLL_NOTICE : 0),
                      s_lws_log);
    c->retry_ms = 1000;
    c->retry.retry_ms_table = &c->retry_ms;
    c->retry.retry_ms_table_count = 1;
    c->retry.conceal_count = 0;
    c->retry.secs_since_valid_ping = (uint16_t)(o->ping_s < 1 ? 1 : o->ping_s + 0.5);
    /* lws's own hangup is only a backstop: the dead timer (any frame, pongs
     * included) fires first, so the event says why */
    c->retry.secs_since_valid_hangup = (uint16_t)(o->dead_s * 2 + 2 > 65000 ? 65000 : o->dead_s * 2 + 2);
    if (c->retry.secs_since_valid_hangup <= c->retry.secs_since_valid_ping)
        c->retry.secs_since_valid_hangup = (uint16_t)(c->retry.secs_since_valid_ping + 1);

    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = s_protocols;
    info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    info.user = c;
    info.gid = (gid_t)-1;
    info.uid = (uid_t)-1;
    /* our own handshake limit fires first; these are lws's per-stage backstops */
    info.timeout_secs = (unsigned)(o->handshake_s + 2);
    info.connect_timeout_secs = (unsigned)(o->handshake_s + 2);
    c->ctx = lws_create_context(&info);
    if (!c->ctx) {
        snprintf(err, errlen, "lws_create_context failed");
        goto fail;
    }
    c->vh = lws_get_vhost_by_name(c->ctx, "default");
    jw_init(&c->ew, 256);
    silence_init(&c->sil, o->suspect_factor > 0 ? o->suspect_factor : 3,
                 o->suspect_min_s > 0 ? o->suspect_min_s : 0.5, o->stale_s, 2);
    c->start_mono = c->last_progress_mono = clock_mono_ns();
    c->healthy_app = 1;
    return c;
fail:
    log_warnx("venue=%s: %s", c->o.venue, err);
    free(c);
    return NULL;
}

void wsconn_destroy(wsconn_t **cp)
{
    if (!cp || !*cp) return;
    wsconn_t *c = *cp;
    c->destroying = 1;
    lws_sul_cancel(&c->sul);
    lws_context_destroy(c->ctx);
    s_q_clear(c);
    free(c->rx);
    jw_free(&c->ew);
    free(c);
    *cp = NULL;
}

int wsconn_run(wsconn_t *c, volatile int *stop)
{
    c->stop = stop;
    c->last_progress_mono = clock_mono_ns();
    s_connect(c);
    lws_sul_schedule(c->ctx, 0, &c->sul, s_tick, TICK_US);
    while (!*stop && !c->exit_code) {
        if (lws_service(c->ctx, 0) < 0) break;
        bus_yield(); /* a busy feed lets its ZeroMQ I/O thread send (see bus_ctx) */
    }
    return c->exit_code;
}

int wsconn_send(wsconn_t *c, const char *msg, size_t len)
{
    if (c->state != ST_UP || !c->wsi) return -1;
    if (c->q_n == SENDQ_MAX) {
        log_warnx_rl("venue=%s send queue full", c->o.venue);
        return -1;
    }
    s_msg_t *m = &c->q[(c->q_head + c->q_n) % SENDQ_MAX];
    m->buf = xmalloc(LWS_PRE + len + 1);
    memcpy(m->buf + LWS_PRE, msg, len);
    m->len = len;
    if (!c->q_n) c->q_since = clock_mono_ns();
    c->q_n++;
    lws_callback_on_writable(c->wsi);
    return 0;
}

int wsconn_header(wsconn_t *c, const char *name, const char *value)
{
    if (!c->in_headers) return -1;
    int n = snprintf(c->hdr + c->hdr_len, HDR_MAX - c->hdr_len, "%s: %s\r\n", name, value);
    if (n < 0 || (size_t)n >= HDR_MAX - c->hdr_len) return -1;
    c->hdr_len += (size_t)n;
    return 0;
}

void wsconn_set_healthy(wsconn_t *c, int healthy) { c->healthy_app = healthy; }
int wsconn_connected(const wsconn_t *c) { return c->state == ST_UP; }
const wsconn_stats_t *wsconn_stats(const wsconn_t *c) { return &c->st; }

void wsconn_hb_detail(wsconn_t *c, jw_t *w)
{
    int64_t now = clock_mono_ns();
    jw_obj(w);
    jw_kbool(w, "connected", c->state == ST_UP);
    if (c->state == ST_UP) jw_kint(w, "last_data_age_ms", (now - c->last_data_mono) / NS_PER_MS);
    else jw_knull(w, "last_data_age_ms");
    jw_kuint(w, "reconnects", c->st.reconnects);
    jw_kuint(w, "gaps", c->st.gaps);
    jw_kuint(w, "resyncs", c->st.resyncs);
    jw_kuint(w, "drops", c->o.pub ? bus_pub_drops(c->o.pub) : 0);
    jw_kuint(w, "bad_frames", c->st.bad_frames);
    jw_kuint(w, "oversize_frames", c->st.oversize);
    jw_kuint(w, "ignored", c->st.ignored);
    jw_kuint(w, "msgs", c->st.msgs);
    jw_kuint(w, "data_msgs", c->st.data_msgs);
    jw_kuint(w, "connects", c->st.connects);
    jw_kuint(w, "handshake_timeouts", c->st.handshake_timeouts);
    jw_kuint(w, "dead", c->st.stalls);
    jw_kuint(w, "stale", c->st.stale);
    jw_kuint(w, "write_timeouts", c->st.write_timeouts);
    jw_kuint(w, "probes", c->st.probes);
    jw_kuint(w, "probe_answers", c->st.probe_answers);
    jw_kuint(w, "probe_timeouts", c->st.probe_timeouts);
    jw_kuint(w, "mutes", c->st.mutes);
    jw_kuint(w, "quiet_holds", c->st.quiet_holds);
    jw_kuint(w, "data_probes", c->st.data_probes);
    jw_kuint(w, "data_probe_skips", c->st.data_probe_skips);
    if (c->o.on_data_probe) {
        jw_kuint(w, "data_checks", c->st.data_checks);
        jw_kuint(w, "data_check_quiet", c->st.data_check_quiet);
        jw_kuint(w, "data_check_moved", c->st.data_check_moved);
        jw_kuint(w, "data_check_failed", c->st.data_check_failed);
    }
    jw_kint(w, "suspect_ms", silence_threshold(&c->sil) / NS_PER_MS);
    jw_kint(w, "suspect_now_ms", silence_threshold_now(&c->sil) / NS_PER_MS);
    jw_kuint(w, "gaps_learned", c->sil.n);
    jw_kint(w, "gap_p999_ms", silence_quantile(&c->sil, 0.999) / NS_PER_MS);
    jw_kint(w, "probe_rtt_ms", c->probe_rtt / NS_PER_MS);
    framerec_hb(c->o.record, w);
    if (c->o.on_hb) c->o.on_hb(c, c->o.arg, w);
    jw_obj_end(w);
}

int wsconn_test(void)
{
    char h[64], p[64];
    int port, rc = 0;
    if (wsconn_parse_url("wss://ws.kraken.com/v2", h, sizeof h, &port, p, sizeof p) ||
        strcmp(h, "ws.kraken.com") || port != 443 || strcmp(p, "/v2"))
        rc = -1;
    if (wsconn_parse_url("wss://127.0.0.1:8443", h, sizeof h, &port, p, sizeof p) ||
        strcmp(h, "127.0.0.1") || port != 8443 || strcmp(p, "/"))
        rc = -1;
    if (wsconn_parse_url("wss://[::1]:9/x?y=1", h, sizeof h, &port, p, sizeof p) ||
        strcmp(h, "::1") || port != 9 || strcmp(p, "/x?y=1"))
        rc = -1;
    if (!wsconn_parse_url("ws://a", h, sizeof h, &port, p, sizeof p) ||
        !wsconn_parse_url("wss://a:0/", h, sizeof h, &port, p, sizeof p) ||
        !wsconn_parse_url("wss://:5/", h, sizeof h, &port, p, sizeof p))
        rc = -1;
    /* backoff: full jitter under a cap that doubles up to the maximum */
    wsconn_t c;
    memset(&c, 0, sizeof c);
    c.o.backoff_min_s = 0.5;
    c.o.backoff_max_s = 30;
    for (int i = 0; i < 12; i++) {
        double cap = 0.5 * (double)(1u << i);
        if (cap > 30) cap = 30;
        int64_t d = s_backoff(&c);
        if (d < 0 || d > s_ns(cap)) rc = -1;
    }
    /* a minimum from on_connect_error lengthens the next backoff once */
    c.o.venue = "test";
    c.state = ST_CONNECTING;
    c.min_backoff = s_ns(60);
    s_down(&c, "connect_error");
    if (c.next_connect_mono - c.down_mono != s_ns(60) || c.min_backoff) rc = -1;
    c.state = ST_CONNECTING;
    s_down(&c, "connect_error");
    if (c.next_connect_mono - c.down_mono > s_ns(30)) rc = -1;
    /* a local failure (nothing sent) is retried within 1 s and leaves the attempts alone */
    unsigned att = c.attempt;
    c.state = ST_CONNECTING;
    c.local_fail = 1;
    s_down(&c, "connect_failed");
    int64_t d = c.next_connect_mono - c.down_mono;
    if (d < s_ns(LOCAL_RETRY_S / 2) || d > s_ns(LOCAL_RETRY_S) || c.attempt != att || c.local_fail)
        rc = -1;
    /* a second one in a row is not another event */
    uint64_t recon = c.st.reconnects;
    c.state = ST_CONNECTING;
    c.local_fail = 1;
    s_down(&c, "connect_failed");
    if (c.st.reconnects != recon || c.local_streak != 2) rc = -1;
    /* ... but not after a connection was up */
    c.state = ST_UP;
    c.local_fail = 1;
    s_down(&c, "closed");
    if (c.attempt != att + 1) rc = -1;
    /* the data-path probe's budget: at 60 an hour 30 at once, then one a minute, never
     * more than 30 saved up; at 2 an hour, 3 at once */
    c.o.data_probe_per_h = 60;
    c.dp_mono = 0;
    int64_t t = NS_PER_S;
    int got = 0;
    for (int i = 0; i < 40; i++) got += s_dp_take(&c, t);
    if (got != 30) rc = -1;
    if (s_dp_take(&c, t + 59 * NS_PER_S) || !s_dp_take(&c, t + 61 * NS_PER_S)) rc = -1;
    t += 3600 * NS_PER_S; /* an hour of quiet saves up 30, not 60 */
    got = 0;
    for (int i = 0; i < 70; i++) got += s_dp_take(&c, t);
    if (got != 30) rc = -1;
    c.o.data_probe_per_h = 2;
    c.dp_mono = 0;
    got = 0;
    for (int i = 0; i < 5; i++) got += s_dp_take(&c, t);
    if (got != 3) rc = -1;
    if (rc) fprintf(stderr, "wsconn_test: failed\n");
    return rc;
}
