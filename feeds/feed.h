/* feed: what the five exchange feeds share above lib/wsconn and lib/book: the
 * venue table, the options, one book per asset the configured series use on
 * the venue (docs/FEEDS.md, 'Several assets'), publishing quote/book/trade
 * (docs/CONTRACT.md, 'Topics'), the integrity rules per book (invalid book ->
 * event.gap + event.resync -> fresh snapshot of that symbol on the same
 * connection, reconnect if it does not come) and a replay mode used by golden
 * tests, fuzzing and tools. The venue files (coinbase.c, kraken.c, bitstamp.c,
 * gemini.c, cryptocom.c) hold only parsing, subscribing, their integrity check
 * and their own state (feed_t.venue_state, feed_book_t.vs). */
#ifndef TB_FEED_H
#define TB_FEED_H

#include "book.h"
#include "jtok.h"
#include "jw.h"
#include "wsconn.h"

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

typedef struct feed feed_t;
typedef struct feed_book feed_book_t;

#define FEED_BOOKS_MAX 8 /* assets on one connection */

typedef struct {
    const char *venue;  /* "coinbase" */
    const char *url;    /* the real endpoint */
    /* decimals the venue prints for BTC: the BTC book's (it then takes more if
     * its text shows more, feed_num); every other asset's book takes the most
     * its own prices and sizes are printed with; published numbers keep them */
    int px_dec, sz_dec;
    /* Bytes of the venue's own state (feed_t.venue_state) and of its state per
     * book (feed_book_t.vs): allocated zeroed, freed by feed_free; only the
     * venue file knows their layout. */
    size_t state_size, book_state_size;
    /* A fresh connection: reset the venue's per-connection state and queue
     * every subscription, for every book (feed_send). */
    void (*subscribe)(feed_t *f);
    /* Ask for a fresh snapshot of book B on the same connection. */
    void (*resync)(feed_t *f, feed_book_t *b);
    /* One whole message; returns WSCONN_MSG_*. Never trusts the input. */
    int (*parse)(feed_t *f, const char *msg, size_t len, int64_t ts_rx);
    /* Optional, every ~100 ms while connected (client heartbeats). */
    void (*tick)(feed_t *f, int64_t now_mono);
    /* Optional: send an application-level request the venue must answer
     * (its parser then calls feed_probe_answered with the echoed ID, or 0 if
     * the answer carries none). 1 if sent; NULL or 0: a websocket ping is the
     * probe (lib/wsconn, 'Telling quiet from dead'). */
    int (*probe)(feed_t *f, unsigned id);
    /* 1: resync's fresh subscription is answered by a snapshot at once, so a
     * resubscribe can probe the data path (lib/wsconn, data_probe_s); 0: the
     * venue sends data only on the next change (Bitstamp), where no data after
     * a resubscribe proves nothing in a quiet market. */
    int resub_snapshot;
    /* The default of --data-probes-per-hour (0: 60): what one probe costs the venue sets
     * it (a depth-limited snapshot is cheap; a whole book is not). */
    int data_probes_per_h;
    /* Optional, for a venue without resub_snapshot: a silence is checked from
     * outside the connection (wsconn on_data_probe), on the venue's REST API.
     * REST_BASE "https://www.bitstamp.net" (--rest-url; with --url elsewhere,
     * that host), REST_PATH the request for book B's state, REST_CHECK the
     * verdict on its answer ROOT: 1 the venue's book moved since B's last, 0
     * it is B's, -1 cannot tell; WHY says what was seen. */
    const char *rest_base;
    void (*rest_path)(const feed_book_t *b, char *out, size_t n);
    int (*rest_check)(feed_t *f, feed_book_t *b, const json_t *root, char *why, size_t n);
} feed_venue_t;

extern const feed_venue_t feed_coinbase, feed_kraken, feed_bitstamp;
/* issue 20: BRTI constituents not yet in --peers auto, mockx or the aggregator */
extern const feed_venue_t feed_gemini, feed_cryptocom;

/* Publishes one bus message (bus_pub_send's signature minus the socket). */
typedef int(feed_out_fn)(void *arg, const char *topic, const char *body, size_t len,
                         int64_t ts_rx, int64_t ts_ex);

/* One asset's book on the connection: its own book, quote, publication
 * throttle, topics and integrity state (docs/FEEDS.md, 'Several assets'). */
struct feed_book {
    int idx;              /* its place in feed_t.b */
    char asset[12];       /* "ETH" */
    char pair[16];        /* the bus's symbol "ETH-USD" (topics, events) */
    char sym[24];         /* the venue's: "ETH-USD", "ETH/USD", "ethusd", "ETHUSD", "ETH_USD" */
    book_t book;
    int px_dec, sz_dec;   /* the decimals the venue prints for this symbol (feed_num) */
    char t_quote[64], t_book[64], t_trade[64];
    /* last published quote */
    int64_t q[4];
    int q_have;
    /* book publication */
    int64_t book_pub_mono, book_ts_rx, book_ts_ex;
    /* integrity */
    int resyncing;        /* a fresh snapshot was asked for */
    int resync_tries;
    int64_t want_since;   /* mono ns since when a snapshot is awaited (0: not waiting) */
    void *vs;             /* the venue's state for this book (v->book_state_size bytes) */
    /* counters (hb "assets") */
    uint64_t n_quotes, n_books, n_trades, n_book_msgs, n_gaps, n_resyncs, n_skipped;
    uint64_t n_resync_timeouts; /* asked again after --resync-timeout without a snapshot */
};

struct feed {
    const feed_venue_t *v;
    feed_book_t b[FEED_BOOKS_MAX];
    int nb;               /* books, in configuration order */
    int main_b;           /* the book the hb's top-level fields describe: BTC's, else the first */
    int multi;            /* more than BTC alone: events name the symbol */
    jtok_t tok;
    jw_t w;
    int depth;            /* published depth (--depth) */
    wsconn_t *c;          /* NULL in replay mode */
    feed_out_fn *out;
    void *out_arg;
    double resync_s;
    void *venue_state;    /* the venue's own (v->state_size bytes; NULL if 0) */
    /* replay mode (C NULL): what feed_send would have sent goes here if set
     * (the self-test checks replies such as Crypto.com's heartbeat answer) */
    void (*sent)(void *arg, const char *msg);
    void *sent_arg;
    /* counters (hb; quotes/books/trades/book_msgs over every book) */
    uint64_t n_quotes, n_books, n_trades, n_skipped, n_checksum_ok;
    uint64_t n_book_msgs; /* snapshots and updates applied (feed_book_done) */
    uint64_t n_bad_trade_ids, n_trades_no_id;
    uint64_t n_unknown_sym; /* messages for a symbol the feed does not carry */
};

/* Initialise F for venue V publishing through OUT (C may be NULL: replay),
 * carrying BTC alone. */
void feed_init(feed_t *f, const feed_venue_t *v, int depth, feed_out_fn *out, void *out_arg);
/* Carry ASSETS ("BTC,ETH": one book each, in that order) instead: before any
 * message. 0, or -1 with the reason in ERR (an empty list, too many, a name
 * the venue cannot spell). */
int feed_set_assets(feed_t *f, const char *assets, char *err, size_t errlen);
void feed_free(feed_t *f);

/* --- for the venue parsers --- */
void feed_send(feed_t *f, const char *msg);
/* Tokenize MSG into f->tok. 0, or -1 when it is not a JSON object (logged
 * rate-limited with the reason; the parser returns WSCONN_MSG_BAD). */
int feed_tokenize(feed_t *f, const char *msg, size_t len);
/* The time of an ISO-8601 string token in ns since the epoch (ts_ex), or -1
 * when TOK is absent or not such a string. */
int64_t feed_time_iso(const jtok_t *d, int tok);
/* A venue's error reply: logs its message (string token MSG, may be -1)
 * rate-limited and returns WSCONN_MSG_CTRL. */
int feed_error_frame(feed_t *f, const jtok_t *d, int msg);
/* The book whose venue symbol is the string token TOK of D. An unknown or
 * missing symbol returns NULL, counted (unknown_symbols) and logged
 * rate-limited: the caller drops that part of the message. */
feed_book_t *feed_find(feed_t *f, const jtok_t *d, int tok);
/* The book of venue symbol SYM (exact), or NULL (not counted). */
feed_book_t *feed_book_sym(feed_t *f, const char *sym, size_t n);
/* The venue symbols of every book (B NULL) or of B alone, each as "PRE<sym>POST" in
 * double quotes, separated by commas, into OUT: ["\"BTC-USD\",\"ETH-USD\""]. */
void feed_syms(const feed_t *f, const feed_book_t *b, const char *pre, const char *post, char *out,
               size_t n);
/* A price (PX=1) or size (0) of book B from token TOK, exactly (jtok_fixed at
 * BOOK_SCALE); the decimals it is printed with raise B's px_dec/sz_dec. 0 or -1. */
int feed_num(feed_book_t *b, const jtok_t *d, int tok, int px, int64_t *out);
/* Begin a snapshot of B: its book is emptied. */
void feed_snapshot_begin(feed_t *f, feed_book_t *b);
/* After a snapshot (SNAPSHOT=1) or an update was applied to B: checks the
 * book, publishes the quote if the touch moved, and remembers the timestamps. */
void feed_book_done(feed_t *f, feed_book_t *b, int snapshot, int64_t ts_rx, int64_t ts_ex);
/* 1 when updates may be applied to B (a snapshot is in and no resync is
 * pending). An update arriving otherwise is reported through feed_invalid by
 * the caller only when no resync is pending (else it is skipped and counted). */
int feed_bk_ready(const feed_book_t *b);
/* 1 when every book is ready. */
int feed_book_ready(const feed_t *f);
/* Integrity failure of B (NULL: of every book, e.g. a per-connection sequence
 * gap that cannot be told to one symbol): mark it invalid, publish event.gap
 * {reason[, symbol], from, to} (FROM/TO < 0 omitted) and event.resync, and ask
 * for a fresh snapshot of it. */
void feed_invalid(feed_t *f, feed_book_t *b, const char *reason, int64_t from, int64_t to,
                  int64_t ts_rx);
/* One trade at PX for SZ, SIDE "buy"/"sell" (the taker's). Its id is token ID
 * of D, read by jtok_id's rules (numbers only where the venue's ids are
 * numbers: NUMERIC_OK): none (absent or null) publishes the trade without
 * "id" (counted in trades_without_id); an invalid one drops the trade (counted
 * in bad_trade_ids, logged) and returns -1. Else 0. */
int feed_trade(feed_t *f, feed_book_t *b, const jtok_t *d, int id, int numeric_ok, int64_t px,
               int64_t sz, const char *side, int64_t ts_rx, int64_t ts_ex);
/* The venue answered probe ID (0: any). A no-op in replay mode. */
void feed_probe_answered(feed_t *f, unsigned id);
/* Publish book.* now if it changed (replay mode calls this after every message). */
void feed_flush(feed_t *f);

/* --- connection glue --- */
void feed_on_open(feed_t *f);
void feed_on_close(feed_t *f);
void feed_on_stale(feed_t *f);
void feed_on_tick(feed_t *f, int64_t now_mono);

/* Replay a JSONL session (one message per line) through V's parser, writing
 * "topic ts_ex body" lines for every message published (no envelope) and a
 * final "stats" line. Returns 0, or -1 if IN could not be read. */
int feed_replay(const feed_venue_t *v, FILE *in, FILE *out, int depth);
/* The same carrying ASSETS ("BTC,ETH"; NULL: BTC). -1 also for a bad list. */
int feed_replay_assets(const feed_venue_t *v, const char *assets, FILE *in, FILE *out, int depth);

/* The whole program: options, bus, hb, wsconn, loop. Returns the exit code. */
int feed_main(const feed_venue_t *v, int argc, char **argv);

int feed_test(void);

#endif
