/* mx_world: the simulated market behind mockx's world mode. One latent BTC
 * price (a seeded random walk, stepped every 100 ms) with a per-second BRTI
 * history (latent + small noise), and per-connection venue books that follow it. */
#ifndef MX_WORLD_H
#define MX_WORLD_H

#include <stdint.h>

#define MX_MAXL 1200

typedef struct {
    int64_t px, qty;
} mx_lvl_t;

typedef struct {
    int side; /* 0 bid, 1 ask */
    int64_t px, qty;
} mx_chg_t;

struct mx_vbook {
    int asset;        /* MX_ASSET_* */
    double scale;     /* its start price over BTC's: USD offsets (bias, noise) are scaled */
    int ps, qs;       /* decimals of price and qty */
    int64_t tick;     /* price step, in price units */
    int64_t gap_max;  /* max distance between levels, in ticks */
    int64_t qty_mean; /* in qty units */
    double bias;      /* USD offset from the latent price */
    int depth;        /* levels kept per side */
    int delay;        /* steps (100 ms) behind the latent price */
    double noise, noise_sd; /* its own slow deviation (USD) now, and its sd */
    mx_lvl_t side[2][MX_MAXL]; /* bids descending, asks ascending */
    int n[2];
    /* changes since the last book message (Coinbase), de-duplicated */
    mx_chg_t chg[256];
    int nchg, track;
    /* what the client was last shown (Kraken: top `view_depth`) */
    mx_lvl_t view[2][1000];
    int nview[2], view_depth;
    int view_evict; /* the view diff also deletes levels pushed out of the top D (Crypto.com) */
    int bbo_moved;
    int64_t last_px, last_qty;
    int last_side; /* 0 = taker sold, 1 = taker bought */
    double vol24;
};
typedef struct mx_vbook mx_vbook_t;

/* The assets: BTC (0, the walk every venue had before) and others that follow BTC's
 * return with their own noise, each with its own official index. */
#define MX_ASSETS 4
int mx_asset_find(const char *name); /* "ETH" -> its index, -1 if unknown */
const char *mx_asset_name(int a);
int mx_asset_decimals(int a); /* its index's decimals */
double mx_latent_a(int a);
/* Asset A's official index for unix second S; NAN if unknown (A = 0: mx_brti). */
double mx_index(int a, int64_t s);
int mx_index_avg(int a, int64_t end, int n, double *avg);
/* A book of ASSET on VENUE: the BTC book's shape scaled to the asset's price. */
mx_vbook_t *mx_vbook_new_asset(int venue, int asset, uint64_t *rng);

void mx_world_init(long seed, long window_s);
void mx_world_start(void);
void mx_world_stop(void);
double mx_latent(void);
/* BRTI for unix second S (latent + noise, rounded to cents); NAN if unknown. */
double mx_brti(int64_t s);
/* Mean of the BRTI values of seconds [end-n, end); returns how many there were. */
int mx_brti_avg(int64_t end, int n, double *avg);
/* Activity (--activity live|night; steady: always 1). The world's level at T seconds since
 * start: the fraction of --rate the venues trade at (live: 1, with quiet spells of 30-180 s
 * at 0.02-0.10 every few minutes; night: 0.02-0.10 with short busier bursts). The same
 * schedule for every venue, made from --seed. */
double mx_activity_level(double t_s);
/* The time T' >= T (seconds since start) by which the level, integrated from T, reaches
 * WORK_S (seconds at full activity): Poisson arrivals at a varying rate, exactly. */
double mx_activity_after(double t_s, double work_s);
/* Seconds since start on the monotonic clock. */
double mx_since_start(void);
/* Called by the 100 ms world tick (kalshi.c hooks in here). */
extern void (*mx_world_tick_hook)(int64_t now_ns, int new_second);

/* Venue books. */
mx_vbook_t *mx_vbook_new(int venue, uint64_t *rng);
void mx_vbook_destroy(mx_vbook_t **b);
/* One random change toward the latent price (updates chg[] when tracking). */
void mx_vbook_step(mx_vbook_t *b, uint64_t *rng);
/* A trade against the touch; returns side (1 = taker buy) and sets px/qty. */
int mx_vbook_trade(mx_vbook_t *b, uint64_t *rng, int64_t *px, int64_t *qty);
/* Kraken: the changes to bring the client's view (top D) to the book's
 * current top D; fills out[] and returns the count. Updates the view. */
int mx_vbook_view_diff(mx_vbook_t *b, mx_chg_t *out, int max);
void mx_vbook_view_reset(mx_vbook_t *b, int depth);
/* Step the book until the client's view changes (at most 16 steps); the changes as
 * mx_vbook_view_diff gives them, and their count (0: none came). bbo_moved tells whether
 * the last step touched the top 3 levels. */
int mx_vbook_view_step(mx_vbook_t *b, uint64_t *rng, mx_chg_t *out, int max);
/* Kraken v2 CRC32 over the top 10 of the view (price/qty at the book's precision). */
uint32_t mx_vbook_kraken_crc(const mx_vbook_t *b);

#endif
