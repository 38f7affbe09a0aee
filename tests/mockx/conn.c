/* conn: mockx's lws protocol callback. Owns each connection's output queue
 * (drained only in SERVER_WRITEABLE, one frame per callback, so a slow reader
 * is flow-controlled and never buffered without bound), reassembles client
 * frames, runs the script directives, and the per-connection timers. */
#include "mx.h"
#include "mx_world.h"

#include "clock.h"
#include "log.h"
#include "util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <ctype.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

mx_conn_t *mx_conns;
mx_cfg_t mx;
const char *const mx_venue_names[MX_NVENUES] = {"coinbase", "kraken",  "bitstamp",
                                                "kalshi",   "gemini", "cryptocom"};

static const mx_venue_ops_t *const s_ops[MX_NVENUES] = {
    &mx_coinbase_ops, &mx_kraken_ops, &mx_bitstamp_ops,
    &mx_kalshi_ops,   &mx_gemini_ops, &mx_cryptocom_ops};

#define QMAX_BYTES (1u << 20) /* world generation pauses above this */
#define MX_MAXFAULTS 1024      /* --fault occurrences, the repeating form counted out */

typedef struct {
    mx_conn_t *c;
    char *body; /* HTTP response body */
    size_t blen, boff; /* its length, and how much of it was written */
    int venue;
} pss_t;

/* ---- output ---- */

static void s_enqueue(mx_conn_t *c, const void *s, size_t n, int wp)
{
    if (c->closing || c->close_code || c->sstate == MX_S_STALL) return;
    mx_frame_t *f = xmalloc(sizeof *f + LWS_PRE + n);
    f->next = NULL;
    f->len = n;
    f->wp = wp;
    memcpy(f->buf + LWS_PRE, s, n);
    if (c->qt) c->qt->next = f;
    else c->qh = f;
    c->qt = f;
    c->qbytes += n;
    c->qn++;
    lws_callback_on_writable(c->wsi);
}

void mx_send(mx_conn_t *c, const char *s, size_t n)
{
    s_enqueue(c, s, n, LWS_WRITE_TEXT);
    c->last_tx_ns = clock_mono_ns();
}
void mx_send_jw(mx_conn_t *c, const jw_t *w) { mx_send(c, w->buf, w->len); }
void mx_send_ping(mx_conn_t *c, const char *payload)
{
    s_enqueue(c, payload, strlen(payload), LWS_WRITE_PING);
}

static void s_free_queue(mx_conn_t *c)
{
    while (c->qh) {
        mx_frame_t *f = c->qh;
        c->qh = f->next;
        free(f);
    }
    c->qt = NULL;
    c->qbytes = 0;
    c->qn = 0;
}

void mx_drop(mx_conn_t *c)
{
    if (c->closing) return;
    c->closing = 1;
    s_free_queue(c);
    mx_log_event(c->venue, c->num, "drop");
    /* no close frame, no TLS close_notify: the peer just sees TCP end */
    shutdown(lws_get_socket_fd(c->wsi), SHUT_RDWR);
    lws_callback_on_writable(c->wsi);
}

void mx_close(mx_conn_t *c, int status, const char *reason)
{
    if (c->closing || c->close_code) return;
    s_free_queue(c);
    c->close_code = status;
    c->close_reason = reason;
    lws_callback_on_writable(c->wsi);
}

static void s_cancel_timers(mx_conn_t *c)
{
    lws_sul_cancel(&c->sul_script);
    lws_sul_cancel(&c->sul_hb);
    lws_sul_cancel(&c->sul_ping);
    lws_sul_cancel(&c->sul_world);
}

void mx_stall(mx_conn_t *c)
{
    if (c->sstate == MX_S_STALL) return;
    c->sstate = MX_S_STALL;
    s_cancel_timers(c);
    /* not reading means pings are not answered either */
    lws_rx_flow_control(c->wsi, 0);
    mx_log_event(c->venue, c->num, "stall");
}

/* ---- script ---- */

static void s_script_run(mx_conn_t *c);

static void s_sul_script(lws_sorted_usec_list_t *sul)
{
    mx_conn_t *c = lws_container_of(sul, mx_conn_t, sul_script);
    if (c->sstate == MX_S_SLEEP) {
        c->sstate = MX_S_RUN;
        s_script_run(c);
    }
}

static void s_big(mx_conn_t *c, long n)
{
    static const char head[] = "{\"mockx\":\"big\",\"pad\":\"";
    char *b = xmalloc((size_t)n);
    size_t h = sizeof head - 1;
    memcpy(b, head, h);
    memset(b + h, 'x', (size_t)n - h - 2);
    memcpy(b + n - 2, "\"}", 2);
    mx_send(c, b, (size_t)n);
    free(b);
}

static void s_script_run(mx_conn_t *c)
{
    const mx_script_t *sc = c->script;
    while (sc && c->sstate == MX_S_RUN && !c->closing && c->line < sc->n) {
        const mx_line_t *l = &sc->v[c->line];
        switch (l->kind) {
        case MX_L_FRAME:
        case MX_L_RAW:
            mx_send(c, l->text, l->len);
            if (c->venue == MX_KALSHI && c->k) mx_kalshi_scripted(c, l->text, l->len);
            break;
        case MX_L_BIG:
            s_big(c, l->n);
            break;
        case MX_L_AWAIT_SUB:
            if (c->subs_rx <= c->subs_used) {
                c->sstate = MX_S_WAIT_SUB;
                return;
            }
            c->subs_used++;
            break;
        case MX_L_SLEEP:
            c->sstate = MX_S_SLEEP;
            c->line++;
            lws_sul_schedule(mx.ctx, 0, &c->sul_script, s_sul_script, l->n * 1000);
            return;
        case MX_L_STALL:
            c->line++;
            mx_stall(c);
            return;
        case MX_L_MUTE:
            c->line++;
            c->sstate = MX_S_MUTE;
            mx_log_event(c->venue, c->num, "mute");
            return;
        case MX_L_CLOSE:
            c->line++;
            /* after what is queued has gone out */
            c->sstate = MX_S_DONE;
            c->fault = -1;
            lws_callback_on_writable(c->wsi);
            return;
        case MX_L_HANG:
            break;
        }
        c->line++;
    }
    if (sc && c->sstate == MX_S_RUN && c->line >= sc->n) c->sstate = MX_S_DONE;
}

void mx_note_subscribe(mx_conn_t *c)
{
    c->subs_rx++;
    if (c->sstate == MX_S_WAIT_SUB) {
        c->sstate = MX_S_RUN;
        s_script_run(c);
    }
}

/* ---- timers ---- */

static void s_sul_hb(lws_sorted_usec_list_t *sul)
{
    mx_conn_t *c = lws_container_of(sul, mx_conn_t, sul_hb);
    if (c->sstate == MX_S_STALL || c->closing) return;
    /* in script mode the venue's own heartbeats start once the script has
     * ended or muted, so scripted sequences stay exactly as written */
    if (mx.world || c->sstate == MX_S_MUTE || c->sstate == MX_S_DONE)
        if (s_ops[c->venue]->heartbeat) s_ops[c->venue]->heartbeat(c);
    lws_sul_schedule(mx.ctx, 0, &c->sul_hb, s_sul_hb, LWS_US_PER_SEC);
}

static void s_sul_ping(lws_sorted_usec_list_t *sul)
{
    mx_conn_t *c = lws_container_of(sul, mx_conn_t, sul_ping);
    if (c->sstate == MX_S_STALL || c->closing || c->close_code) return;
    const mx_venue_ops_t *ops = s_ops[c->venue];
    ops->keepalive(c);
    lws_sul_schedule(mx.ctx, 0, &c->sul_ping, s_sul_ping, (lws_usec_t)(*ops->keepalive_s * 1e6));
}

static void s_world_gen(mx_conn_t *c, uint64_t n)
{
    for (uint64_t i = 0; i < n; i++) {
        if (c->qbytes > QMAX_BYTES) {
            c->w_skipped += n - i;
            c->w_sent += n - i;
            return;
        }
        if (!s_ops[c->venue]->world_msg || !s_ops[c->venue]->world_msg(c)) {
            c->w_sent += n - i; /* nothing subscribed: do not save up a burst */
            return;
        }
        c->w_sent++;
    }
}

/* A muted connection's messages: none is sent, but the venue's market goes on where the
 * venue shows it elsewhere (world_muted: Bitstamp's REST book). */
static void s_world_muted(mx_conn_t *c, uint64_t n)
{
    c->w_sent += n;
    if (s_ops[c->venue]->world_muted)
        for (uint64_t i = 0; i < n; i++) s_ops[c->venue]->world_muted(c);
}

/* --activity steady: exactly --rate messages a second, evenly (a timer every 10 ms, or twice
 * per message interval at low rates). */
static lws_usec_t s_world_steady(mx_conn_t *c)
{
    double el = (double)(clock_mono_ns() - c->w_start_ns) / 1e9;
    double due = el * mx.rate - (double)c->w_sent;
    if (due > mx.rate) { /* never catch up more than a second's worth */
        c->w_sent += (uint64_t)(due - mx.rate);
        due = mx.rate;
    }
    if (due >= 1) {
        if (mx_since_start() < c->quiet_until) c->w_sent += (uint64_t)due; /* a quiet market */
        else if (c->muted) s_world_muted(c, (uint64_t)due); /* kept in step: no burst when it ends */
        else s_world_gen(c, (uint64_t)due);
    }
    lws_usec_t us = mx.rate >= 100 ? 10000 : (lws_usec_t)(1e6 / mx.rate / 2);
    return us < 1000 ? 1000 : us;
}

/* live/night: clusters of messages arrive as a Poisson process whose rate follows the
 * world's activity level (mx_activity_after: exact for a piecewise constant level); one
 * cluster in five is a burst of 2 or more (5 on average) 0.2-3 ms apart, the rest single
 * messages. 1.8 messages per cluster on average, so the mean is --rate at level 1. */
#define BURST_P 0.2
#define BURST_MORE 4.0 /* mean messages after a burst's first */
static void s_next_arrival(mx_conn_t *c)
{
    if (c->w_burst > 0) {
        c->w_burst--;
        c->w_next_s += (0.2 + 2.8 * mx_urand(&c->arr_rng)) / 1000.0;
        return;
    }
    double per = 1.0 + BURST_P * BURST_MORE;
    double work = -log(1.0 - mx_urand(&c->arr_rng)) * per / mx.rate;
    c->w_next_s = mx_activity_after(c->w_next_s, work);
    if (mx_urand(&c->arr_rng) < BURST_P) {
        /* 1 + geometric with mean BURST_MORE - 1 */
        c->w_burst = 1;
        double q = (BURST_MORE - 1) / BURST_MORE;
        while (c->w_burst < 100 && mx_urand(&c->arr_rng) < q) c->w_burst++;
    }
}

static lws_usec_t s_world_live(mx_conn_t *c)
{
    double now = mx_since_start();
    if (now - c->w_next_s > 1.0) c->w_next_s = now - 1.0; /* never more than a second behind */
    uint64_t n = 0;
    while (c->w_next_s <= now) {
        n++;
        s_next_arrival(c);
    }
    if (n) {
        if (now < c->quiet_until) c->w_sent += n; /* a quiet market: nothing happens */
        else if (c->muted) s_world_muted(c, n);
        else s_world_gen(c, n);
    }
    double wait = c->w_next_s - now;
    if (wait > 1.0) wait = 1.0; /* look again at least once a second */
    return wait < 0.001 ? 1000 : (lws_usec_t)(wait * 1e6);
}

static void s_sul_world(lws_sorted_usec_list_t *sul)
{
    mx_conn_t *c = lws_container_of(sul, mx_conn_t, sul_world);
    if (c->sstate == MX_S_STALL || c->closing) return;
    lws_usec_t us = mx.activity == MX_ACT_STEADY ? s_world_steady(c) : s_world_live(c);
    lws_sul_schedule(mx.ctx, 0, &c->sul_world, s_sul_world, us);
}

/* The world mute fault (c->muted): market data stops, everything else goes on (heartbeats,
 * pings and pongs, replies to requests) until the client subscribes again or reconnects. */
static void s_unmute(mx_conn_t *c)
{
    if (!c->muted) return;
    c->muted = 0;
    mx_log_event(c->venue, c->num, "unmute");
}

/* ---- faults ---- */

typedef struct {
    int venue, kind;
    double at;
    lws_sorted_usec_list_t sul;
} fault_t;
static fault_t s_faults[MX_MAXFAULTS];
static int s_nfaults;

static void s_sul_fault(lws_sorted_usec_list_t *sul)
{
    fault_t *f = lws_container_of(sul, fault_t, sul);
    static const char *const names[] = {"",       "stall",   "close", "gap",
                                        "badsum", "garbage", "mute",  "quiet"};
    log_notice("fault venue=%s kind=%s at=%gs", mx_venue_names[f->venue], names[f->kind], f->at);
    for (mx_conn_t *c = mx_conns, *next; c; c = next) {
        next = c->next;
        if (c->venue != f->venue || c->closing) continue;
        mx_log_event(c->venue, c->num, names[f->kind]);
        if (f->kind == MX_F_STALL) mx_stall(c);
        else if (f->kind == MX_F_CLOSE) mx_drop(c);
        else if (f->kind == MX_F_MUTE) c->muted = 1;
        else if (f->kind == MX_F_QUIET) c->quiet_until = mx_since_start() + MX_QUIET_S;
        else c->fault = f->kind;
    }
}

int mx_fault_add(int venue, int kind, double at);
int mx_fault_add(int venue, int kind, double at)
{
    if (s_nfaults == (int)ARRAY_LEN(s_faults)) return -1;
    fault_t *f = &s_faults[s_nfaults++];
    memset(f, 0, sizeof *f);
    f->venue = venue;
    f->kind = kind;
    f->at = at;
    return 0;
}

void mx_faults_start(void);
void mx_faults_start(void)
{
    for (int i = 0; i < s_nfaults; i++)
        lws_sul_schedule(mx.ctx, 0, &s_faults[i].sul, s_sul_fault,
                         (lws_usec_t)(s_faults[i].at * 1e6) + 1);
}

void mx_faults_stop(void);
void mx_faults_stop(void)
{
    for (int i = 0; i < s_nfaults; i++) lws_sul_cancel(&s_faults[i].sul);
}

/* ---- hang_handshake: accepted sockets kept open, never served ---- */

static int s_hung[64];
static int s_nhung;

void mx_hung_close_all(void);
void mx_hung_close_all(void)
{
    for (int i = 0; i < s_nhung; i++) close(s_hung[i]);
    s_nhung = 0;
}

static const mx_script_t *s_next_script(int venue, int num)
{
    int ns = mx.nscripts[venue];
    if (!ns) return NULL;
    return mx.scripts[venue][num <= ns ? num - 1 : ns - 1];
}

/* ---- the callback ---- */

static int s_venue_of(struct lws *wsi)
{
    struct lws_vhost *vh = lws_get_vhost(wsi);
    int *v = vh ? lws_vhost_user(vh) : NULL;
    return v ? *v : -1;
}

static void s_conn_open(struct lws *wsi, pss_t *pss, int venue)
{
    mx_conn_t *c = xcalloc(1, sizeof *c);
    c->venue = venue;
    c->num = ++mx.nconn[venue];
    c->wsi = wsi;
    c->script = s_next_script(venue, c->num);
    c->sstate = MX_S_RUN;
    c->rng = (uint64_t)mx.seed * 1000003u + (uint64_t)venue * 7919u + (uint64_t)c->num;
    c->last_tx_ns = clock_mono_ns();
    c->next = mx_conns;
    mx_conns = c;
    pss->c = c;
    mx_log_event(venue, c->num, "open");
    log_info("open venue=%s conn=%d script=%s", mx_venue_names[venue], c->num,
             c->script ? c->script->path : "-");
    if (s_ops[venue]->open) s_ops[venue]->open(c);
    lws_sul_schedule(mx.ctx, 0, &c->sul_hb, s_sul_hb, LWS_US_PER_SEC);
    if (s_ops[venue]->keepalive)
        lws_sul_schedule(mx.ctx, 0, &c->sul_ping, s_sul_ping,
                         (lws_usec_t)(*s_ops[venue]->keepalive_s * 1e6));
    if (mx.world) {
        c->w_start_ns = clock_mono_ns();
        c->arr_rng = (uint64_t)mx.seed * 0xD6E8FEB86659FD93ull + (uint64_t)venue * 104729u +
                     (uint64_t)c->num * 15485863u;
        c->w_next_s = mx_since_start();
        if (mx.rate > 0 && venue != MX_KALSHI)
            lws_sul_schedule(mx.ctx, 0, &c->sul_world, s_sul_world, 1000);
    } else {
        s_script_run(c);
    }
}

static void s_conn_close(pss_t *pss)
{
    mx_conn_t *c = pss->c;
    if (!c) return;
    pss->c = NULL;
    mx_log_event(c->venue, c->num, "close");
    log_info("close venue=%s conn=%d", mx_venue_names[c->venue], c->num);
    s_cancel_timers(c);
    if (s_ops[c->venue]->close) s_ops[c->venue]->close(c);
    for (mx_conn_t **p = &mx_conns; *p; p = &(*p)->next)
        if (*p == c) {
            *p = c->next;
            break;
        }
    s_free_queue(c);
    mx_vbook_destroy(&c->book);
    for (int a = 1; a < MX_CONN_ASSETS; a++) mx_vbook_destroy(&c->ab[a]);
    free(c->rx);
    free(c->gap);
    free(c);
}

static int s_writeable(mx_conn_t *c)
{
    if (c->closing) return -1;
    if (c->close_code) {
        /* mx_close: the close frame with its status and reason, then the end */
        mx_log_event(c->venue, c->num, "close_frame");
        lws_close_reason(c->wsi, (enum lws_close_status)c->close_code,
                         (unsigned char *)(uintptr_t)c->close_reason, strlen(c->close_reason));
        c->closing = 1;
        return -1;
    }
    if (!c->qh && mx.world && mx.rate <= 0 && c->venue != MX_KALSHI && c->sstate != MX_S_STALL &&
        !c->muted) {
        /* --rate max: make the next message only when the client took the last */
        if (s_ops[c->venue]->world_msg && s_ops[c->venue]->world_msg(c)) c->w_sent++;
    }
    mx_frame_t *f = c->qh;
    if (!f) {
        if (c->fault == -1) { /* scripted close, queue drained */
            c->fault = 0;
            mx_drop(c);
        }
        return 0;
    }
    c->qh = f->next;
    if (!c->qh) c->qt = NULL;
    c->qbytes -= f->len;
    c->qn--;
    int n = lws_write(c->wsi, f->buf + LWS_PRE, f->len, (enum lws_write_protocol)f->wp);
    free(f);
    if (n < 0) return -1;
    if (c->qh || (mx.world && mx.rate <= 0 && !c->muted) || c->fault == -1)
        lws_callback_on_writable(c->wsi);
    return 0;
}

static void s_rx(mx_conn_t *c, const char *in, size_t len, struct lws *wsi)
{
    if (c->rxlen + len + 1 > c->rxcap) {
        while (c->rxlen + len + 1 > c->rxcap) c->rxcap = c->rxcap ? 2 * c->rxcap : 4096;
        c->rx = xrealloc(c->rx, c->rxcap);
    }
    memcpy(c->rx + c->rxlen, in, len);
    c->rxlen += len;
    if (!lws_is_final_fragment(wsi) || lws_remaining_packet_payload(wsi)) return;
    c->rx[c->rxlen] = '\0';
    size_t n = c->rxlen;
    c->rxlen = 0;
    mx_log_frame(c->venue, c->num, c->rx, n);
    if (c->sstate == MX_S_STALL || c->closing) return;
    const mx_venue_ops_t *ops = s_ops[c->venue];
    int sub = ops->is_subscribe && ops->is_subscribe(c->rx, n);
    if (sub) s_unmute(c); /* before the reply, so its snapshot is the fresh start */
    if (ops->text) ops->text(c, c->rx, n); /* the ack goes out before what the script releases */
    if (sub) mx_note_subscribe(c);
}

static int s_http(struct lws *wsi, pss_t *pss, int venue, const char *uri)
{
    static int nreq[MX_NVENUES];
    int req = ++nreq[venue];
    char query[512] = "";
    int qlen = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_URI_ARGS);
    if (qlen > 0 && qlen < (int)sizeof query) {
        /* rebuild "a=1&b=2" from lws's fragments */
        char frag[256];
        size_t k = 0;
        for (int i = 0; lws_hdr_copy_fragment(wsi, frag, sizeof frag, WSI_TOKEN_HTTP_URI_ARGS, i) >= 0;
             i++) {
            int w = snprintf(query + k, sizeof query - k, "%s%s", k ? "&" : "", frag);
            if (w < 0 || (size_t)w >= sizeof query - k) break;
            k += (size_t)w;
        }
    }
    int status = 404;
    char *body = NULL;
    size_t blen = 0;
    if (venue == MX_KALSHI) status = mx_kalshi_rest(wsi, req, uri, &body, &blen);
    else if (venue == MX_BITSTAMP) status = mx_bitstamp_rest(uri, &body, &blen);
    if (!body) {
        body = xstrdup(status == 404 ? "{\"error\":{\"code\":\"not_found\",\"message\":\"not found\"}}"
                                     : "{}");
        blen = strlen(body);
    }
    mx_log_http(venue, req, "GET", uri, query, status, -1);
    unsigned char hdr[LWS_PRE + 1024], *start = hdr + LWS_PRE, *p = start, *end = hdr + sizeof hdr - 1;
    if (lws_add_http_common_headers(wsi, (unsigned int)status, "application/json", blen, &p, end) ||
        lws_finalize_write_http_header(wsi, start, &p, end)) {
        free(body);
        return 1;
    }
    pss->body = body;
    pss->blen = blen;
    pss->boff = 0;
    lws_callback_on_writable(wsi);
    return 0;
}

int mx_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len);
int mx_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
    pss_t *pss = user;
    int venue;
    switch (reason) {
    case LWS_CALLBACK_FILTER_NETWORK_CONNECTION: {
        venue = s_venue_of(wsi);
        if (venue < 0) break;
        const mx_script_t *sc = s_next_script(venue, mx.nconn[venue] + 1);
        if (sc && sc->n > 0 && sc->v[0].kind == MX_L_HANG && s_nhung < (int)ARRAY_LEN(s_hung)) {
            int fd = (int)(intptr_t)in;
            int num = ++mx.nconn[venue];
            /* lws closes its descriptor; our duplicate keeps the TCP
             * connection open and the TLS handshake unanswered */
            s_hung[s_nhung++] = dup(fd);
            mx_log_event(venue, num, "hang_handshake");
            log_info("hang_handshake venue=%s conn=%d", mx_venue_names[venue], num);
            return 1;
        }
        break;
    }
    case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
        venue = s_venue_of(wsi);
        if (venue == MX_KALSHI && strcmp((const char *)in, "websocket") == 0)
            return mx_kalshi_upgrade_ok(wsi, mx.nconn[MX_KALSHI] + 1) ? 0 : 1;
        break;
    case LWS_CALLBACK_HTTP:
        venue = s_venue_of(wsi);
        if (venue < 0) return -1;
        pss->venue = venue;
        return s_http(wsi, pss, venue, (const char *)in);
    case LWS_CALLBACK_HTTP_WRITEABLE:
        if (!pss || !pss->body) break;
        {
            /* in pieces of at most 16 KiB, one per WRITEABLE: lws_write of a large body
             * writes part of it and keeps the rest, which completing the transaction at
             * once would cut off (Bitstamp's REST book is ~60 KB) */
            size_t left = pss->blen - pss->boff, k = left < 16384 ? left : 16384;
            int last = k == left;
            unsigned char *b = xmalloc(LWS_PRE + k + 1);
            memcpy(b + LWS_PRE, pss->body + pss->boff, k);
            int n = lws_write(wsi, b + LWS_PRE, k, last ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP);
            free(b);
            if (n < 0) return -1;
            pss->boff += k;
            if (!last) {
                lws_callback_on_writable(wsi);
                break;
            }
            free(pss->body);
            pss->body = NULL;
            pss->boff = 0;
            if (lws_http_transaction_completed(wsi)) return -1;
        }
        break;
    case LWS_CALLBACK_CLOSED_HTTP:
    case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
        if (pss) {
            free(pss->body);
            pss->body = NULL;
        }
        break;
    case LWS_CALLBACK_ESTABLISHED:
        venue = s_venue_of(wsi);
        if (venue < 0) return -1;
        memset(pss, 0, sizeof *pss);
        s_conn_open(wsi, pss, venue);
        break;
    case LWS_CALLBACK_RECEIVE:
        if (pss && pss->c) s_rx(pss->c, in, len, wsi);
        break;
    case LWS_CALLBACK_SERVER_WRITEABLE:
        if (pss && pss->c) return s_writeable(pss->c);
        break;
    case LWS_CALLBACK_CLOSED:
        if (pss) s_conn_close(pss);
        break;
    default:
        break;
    }
    return 0;
}

mx_vbook_t *mx_conn_book(mx_conn_t *c, int venue, int a)
{
    if (a <= 0 || a >= MX_CONN_ASSETS) {
        if (!c->book) c->book = mx_vbook_new(venue, &c->rng);
        return c->book;
    }
    if (!c->ab[a]) c->ab[a] = mx_vbook_new_asset(venue, a, &c->rng);
    return c->ab[a];
}

int mx_conn_next_asset(mx_conn_t *c, unsigned mask)
{
    for (int k = 0; k < MX_CONN_ASSETS; k++) {
        int a = (c->arr_next + k) % MX_CONN_ASSETS;
        if (c->asubs[a] & mask) {
            c->arr_next = (a + 1) % MX_CONN_ASSETS;
            return a;
        }
    }
    return -1;
}

int mx_sym_asset(const char *sym, const char *sep)
{
    char base[16];
    size_t n = strlen(sym), q = strlen(sep) + 3; /* base, SEP, "USD" */
    if (n <= q || n - q >= sizeof base || strcasecmp(sym + n - 3, "usd") ||
        strncasecmp(sym + n - q, sep, strlen(sep)))
        return -1;
    for (size_t i = 0; i < n - q; i++) base[i] = (char)toupper((unsigned char)sym[i]);
    base[n - q] = 0;
    return mx_asset_find(base);
}
