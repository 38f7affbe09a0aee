/* mx: the internals shared by mockx's modules (tests/mockx/): one connection
 * type with an output queue drained only in WRITEABLE, the venue table, the
 * script, the world and the request log. Single-threaded around one lws loop. */
#ifndef MX_H
#define MX_H

#include <libwebsockets.h>
#include <openssl/evp.h>
#include <stddef.h>
#include <stdint.h>

#include "jw.h"

enum { MX_COINBASE, MX_KRAKEN, MX_BITSTAMP, MX_KALSHI, MX_GEMINI, MX_CRYPTOCOM, MX_NVENUES };

/* ---- script (script.c) ---- */
enum {
    MX_L_FRAME,     /* send text as one text frame */
    MX_L_AWAIT_SUB, /* wait for the client's next subscribe */
    MX_L_SLEEP,     /* ms */
    MX_L_STALL,
    MX_L_MUTE,
    MX_L_CLOSE,
    MX_L_RAW,       /* text */
    MX_L_BIG,       /* n bytes */
    MX_L_HANG,      /* hang_handshake (first line only) */
};

typedef struct {
    int kind;
    long n;     /* ms or bytes */
    char *text; /* frame or raw text */
    size_t len;
} mx_line_t;

typedef struct {
    char *path;
    mx_line_t *v;
    int n;
    int owns_acks; /* the file contains the venue's subscribe acks: do not generate them */
} mx_script_t;

/* Load FILE for VENUE; exits 64 naming the file and line on a bad directive. */
mx_script_t *mx_script_load(int venue, const char *path);
void mx_script_destroy(mx_script_t **p);

/* ---- the output queue and connection (conn.c) ---- */
typedef struct mx_frame {
    struct mx_frame *next;
    size_t len;
    int wp; /* LWS_WRITE_TEXT / LWS_WRITE_PING */
    unsigned char buf[];
} mx_frame_t;

typedef struct mx_kalshi_conn mx_kalshi_conn_t;
#define MX_CONN_ASSETS 4 /* = MX_ASSETS (mx_world.h) */
typedef struct mx_vbook mx_vbook_t;

typedef struct mx_conn {
    struct mx_conn *next; /* all live WS connections */
    int venue, num;
    struct lws *wsi;
    mx_frame_t *qh, *qt;
    size_t qbytes;
    int qn;
    char *rx;
    size_t rxlen, rxcap;
    int closing;
    /* script */
    const mx_script_t *script;
    int line;
    int sstate; /* MX_S_* */
    long subs_rx, subs_used;
    lws_sorted_usec_list_t sul_script, sul_hb, sul_ping, sul_world;
    int64_t last_tx_ns;
    /* venue state */
    unsigned subs; /* bit per channel, venue specific */
    int64_t cb_seq;  /* Coinbase sequence_num: the next to send */
    long hb_counter;
    int depth;       /* book depth subscribed (Kraken, Crypto.com) */
    int64_t trade_id;
    int scan_line;   /* script lines scanned for sequence numbers */
    int tk_pending;  /* a ticker is due (after a trade / bbo change) */
    int snap_pending;
    /* world */
    mx_vbook_t *book; /* BTC's (asset 0) */
    /* several assets on one connection (mx_world.h, MX_ASSETS): each one's book (ab[0] is
     * book), its channel bits (venue specific, as subs) and the next one a world message
     * is about (round robin over those subscribed) */
    mx_vbook_t *ab[MX_CONN_ASSETS];
    unsigned asubs[MX_CONN_ASSETS];
    int arr_next;
    int64_t a_u[MX_CONN_ASSETS], a_last_book_ns[MX_CONN_ASSETS]; /* Crypto.com's book_u and
                                                                   last_book_ns of asset 1.. */
    int64_t w_start_ns;
    uint64_t w_sent, w_skipped;
    uint64_t rng;
    /* --activity live|night: the next arrival (seconds since start, monotonic) and the
     * messages left in the current burst; a generator of its own, so the books' draws
     * (rng) do not depend on the arrival times */
    double w_next_s;
    int w_burst;
    uint64_t arr_rng;
    int64_t book_u;     /* Crypto.com: u of the last book message (sent, or lost to a gap fault) */
    int64_t last_book_ns; /* Crypto.com: mono time of the last book message (idle deltas) */
    int64_t hb_id;      /* Crypto.com: id of the last public/heartbeat sent */
    int hb_unanswered;  /* Crypto.com: heartbeats sent since the last matching answer */
    int close_code;     /* close with this status (a close frame) once WRITEABLE; 0: no */
    const char *close_reason; /* static text */
    int fault; /* pending fault kind, MX_F_* */
    /* Kraken gap fault: the book the client holds while changes are withheld (kraken.c) */
    struct mx_gap_model *gap;
    int muted; /* world mute fault: no market data until the next subscribe */
    double quiet_until; /* world quiet fault: no market at all until then (mx_since_start) */
    mx_kalshi_conn_t *k;
} mx_conn_t;

enum { MX_S_RUN, MX_S_WAIT_SUB, MX_S_SLEEP, MX_S_STALL, MX_S_MUTE, MX_S_DONE };
enum { MX_F_NONE, MX_F_STALL, MX_F_CLOSE, MX_F_GAP, MX_F_BADSUM, MX_F_GARBAGE, MX_F_MUTE, MX_F_QUIET };
#define MX_QUIET_S 10.0 /* the quiet fault's length */
/* --activity: how the world's market messages arrive (mx_world.h, "activity") */
enum { MX_ACT_STEADY, MX_ACT_LIVE, MX_ACT_NIGHT };

/* Queue a text frame (copied). Never blocks; WRITEABLE drains the queue. */
void mx_send(mx_conn_t *c, const char *s, size_t n);
void mx_send_jw(mx_conn_t *c, const jw_t *w);
void mx_send_ping(mx_conn_t *c, const char *payload);
/* Drop TCP now, without a close frame. */
void mx_drop(mx_conn_t *c);
/* Close with a websocket close frame (STATUS, REASON), as a venue that hangs up does;
 * what is still queued is dropped. */
void mx_close(mx_conn_t *c, int status, const char *reason);
/* Stop reading and sending: the connection stays open, silent. */
void mx_stall(mx_conn_t *c);
/* Call when the client sent a subscribe (releases await_subscribe). */
void mx_note_subscribe(mx_conn_t *c);
extern mx_conn_t *mx_conns;

/* ---- global configuration (mockx.c) ---- */
typedef struct {
    int world;
    long seed;
    double rate; /* msgs/s per venue connection; 0 = max */
    int activity; /* MX_ACT_* */
    long window_s;
    double ping_s;
    double cryptocom_hb_s; /* Crypto.com public/heartbeat interval */
    long rest_429_every;
    char *kalshi_rest_dir;
    int kalshi_shared; /* a subscribe on a channel already subscribed: `ok` on its sid */
    struct lws_context *ctx;
    int64_t start_ns; /* CLOCK_REALTIME at start */
    int64_t start_mono_ns; /* CLOCK_MONOTONIC at the same moment */
    EVP_PKEY *kalshi_pub;
    mx_script_t **scripts[MX_NVENUES];
    int nscripts[MX_NVENUES];
    int nconn[MX_NVENUES]; /* WS connections accepted so far (numbering) */
} mx_cfg_t;
extern mx_cfg_t mx;
extern const char *const mx_venue_names[MX_NVENUES];

/* ---- request log (mxlog.c) ---- */
int mx_log_open(const char *path);
void mx_log_close(void);
void mx_log_frame(int venue, int conn, const char *s, size_t n);
void mx_log_http(int venue, int conn, const char *method, const char *path, const char *query,
                 int status, int sig /* -1 n/a, 0 bad, 1 ok */);
void mx_log_event(int venue, int conn, const char *what);

/* ---- TLS material (tlsgen.c) ---- */
/* Ensure DIR holds ca.pem, server.pem, server.key (creating them); 0 or -1. A new server
 * certificate also names MX_TLS_SAN (subjectAltName entries "IP:10.77.1.1,DNS:x", or ""). */
extern const char *mx_tls_san;
int mx_tls_ensure(const char *dir);

/* ---- venues (coinbase.c kraken.c bitstamp.c kalshi.c gemini.c cryptocom.c) ---- */
typedef struct {
    void (*open)(mx_conn_t *c);
    void (*text)(mx_conn_t *c, const char *s, size_t n);
    /* one world market message; 0 if nothing to send (not subscribed) */
    int (*world_msg)(mx_conn_t *c);
    /* optional: what the market does in place of a world message while the connection is
     * muted (the venue's own book goes on; Bitstamp shows it on REST) */
    void (*world_muted)(mx_conn_t *c);
    void (*heartbeat)(mx_conn_t *c); /* once a second while not stalled */
    void (*close)(mx_conn_t *c);
    int (*is_subscribe)(const char *s, size_t n);
    /* the venue's own keep-alive, every *keepalive_s seconds from the open while not
     * stalled, in script mode too (Kalshi: a websocket ping; Crypto.com: public/heartbeat) */
    void (*keepalive)(mx_conn_t *c);
    const double *keepalive_s;
} mx_venue_ops_t;
extern const mx_venue_ops_t mx_coinbase_ops, mx_kraken_ops, mx_bitstamp_ops, mx_kalshi_ops,
    mx_gemini_ops, mx_cryptocom_ops;

/* Bitstamp HTTP side (bitstamp.c): GET /api/v2/order_book/<pair>/, the book of the
 * newest connection subscribed to it. The HTTP status; *BODY malloc'd or NULL. */
int mx_bitstamp_rest(const char *path, char **body, size_t *len);

/* Kalshi HTTP side (kalshi.c). */
int mx_kalshi_upgrade_ok(struct lws *wsi, int conn); /* 1 ok, 0 = answered 401 */
int mx_kalshi_rest(struct lws *wsi, int conn, const char *path, char **body, size_t *len);
void mx_kalshi_world_start(void);
/* A scripted Kalshi frame went out: an error 10/25 on a sid ends that sid. */
void mx_kalshi_scripted(mx_conn_t *c, const char *text, size_t len);
void mx_kalshi_world_stop(void);

/* ---- several assets on one connection (conn.c) ---- */
/* Asset A's book on C (created for VENUE at first use; A = 0 is c->book). */
mx_vbook_t *mx_conn_book(mx_conn_t *c, int venue, int a);
/* The next asset (round robin) whose channel bits in c->asubs meet MASK; -1 if none. */
int mx_conn_next_asset(mx_conn_t *c, unsigned mask);
/* The asset a venue symbol names: its base before the quote ("ETH-USD", "eth/usd", "ethusd",
 * "ETHUSD", "ETH_USD" with QUOTE "USD"); -1 for an unknown one. */
int mx_sym_asset(const char *sym, const char *sep);

/* ---- helpers (world.c) ---- */
void mx_send_garbage(mx_conn_t *c, const char *prefix);

char *mx_fix(char *buf, int64_t v, int scale); /* "97000.10" at scale 2: exact */
char *mx_fix_trim(char *buf, int64_t v, int scale); /* without trailing zeros: "0.04", "3" */
/* The frame being built, emptied: one buffer for every venue (single-threaded, and each
 * frame is queued, copied, before the next one is begun). */
jw_t *mx_jw(void);
void mx_iso_us(int64_t ns, char *buf, size_t n);  /* 2025-01-20T14:30:00.031000Z */
void mx_iso_ns(int64_t ns, char *buf, size_t n);  /* ... .031000512Z */
uint64_t mx_rand(uint64_t *s);
double mx_urand(uint64_t *s); /* [0,1) */
double mx_grand(uint64_t *s); /* N(0,1) */
int64_t mx_now_ns(void);

#endif
