/* rti: re-computation of CF Benchmarks' Real Time Index (BRTI) from venue order books,
 * and the median-of-mids proxy. Pure computation: no I/O, no globals. docs/RTI.md has the
 * steps, the parameters and which of them are uncertain. */
#ifndef TB_RTI_H
#define TB_RTI_H

#define RTI_VENUES_MAX 16 /* venues per call; more is refused ("too many venues") */
#define RTI_NAME_MAX 32   /* venue names are compared on their first RTI_NAME_MAX-1 bytes */

/* Every parameter of the method. The defaults (the published values or, where the public sources
 * leave a choice open, our reading) are the aggregator's option table's (aggregator/aggcfg.c,
 * docs/RTI.md); the integers are long because that table writes them (lib/opts). */
typedef enum {
    RTI_PED_MEDIAN_ALL,    /* reference = median of all venues passing steps 1-2 (default) */
    RTI_PED_MEDIAN_OTHERS, /* reference = median of the other such venues */
} rti_ped_ref_t;

typedef enum {
    RTI_FALLBACK_NONE, /* depth < s: no value; midSV(s) > D: v_T = s (default, as the reference) */
    RTI_FALLBACK_TOP_MID, /* in both cases: the consolidated top-of-book mid, degraded */
} rti_fallback_t;

typedef struct {
    double spacing;       /* s, grid spacing in BTC (uncertain: "dynamic" since v16.7) */
    double deviation;     /* D, max midSV inside the utilized depth */
    double lambda_factor; /* lambda = 1 / (lambda_factor * v_T) */
    int grid_from_zero;   /* 0: grid {s, 2s, .., v_T} (default); 1: {0, s, .., v_T}, uncertain */
    int pv_strict;        /* 0: askPV(v) where cumulative size >= v (default); 1: where > v */
    double stale_s;       /* L: drop a venue when now - retrieval time >= L */
    double ped;           /* potentially-erroneous deviation from the reference median */
    double ped_reinclude; /* a flagged venue returns below ped_reinclude * ped */
    rti_ped_ref_t ped_ref;   /* which median (uncertain) */
    int cap_enable;          /* 1: dynamic order size cap (default); 0: no cap */
    double cap_band;         /* cap sample: orders within this fraction of the touch */
    long cap_min_per_side;   /* .. extended outward to at least this many per side */
    double cap_trim;         /* k = floor(cap_trim * n) trimmed/winsorized each end */
    double cap_k_sigma;      /* cap = trimmed mean + cap_k_sigma * winsorized SD */
    long cap_ddof;           /* SD divisor n - cap_ddof (uncertain) */
    long decimals;           /* dissemination precision (2: $0.01) */
    rti_fallback_t fallback; /* thin or wide consolidated book (uncertain) */
    long min_venues;         /* fewer venues used than this marks the result degraded */
    long max_grid_points;    /* bound on the curve walk; reaching it marks degraded */
} rti_params_t;

/* One price level. Prices in USD, sizes in BTC, as doubles: the aggregator converts its
 * fixed-point books (a double holds 1e5 USD to 1e-10 and 1e4 BTC to 1e-12). Levels may come in
 * any order; a level whose price or size is not finite and > 0 is ignored. */
typedef struct {
    double price;
    double size;
} rti_level_t;

/* One venue's book. Arrays are borrowed for the duration of the call; NULL or a count <= 0
 * means an empty side. Names must be unique within a call (they key the hysteresis state). */
typedef struct {
    const char *name; /* NULL is taken as "" */
    double time_s;    /* retrieval time, unix seconds (last applied update or snapshot) */
    const rti_level_t *bids;
    int n_bids;
    const rti_level_t *asks;
    int n_asks;
} rti_venue_t;

typedef enum {
    RTI_VENUE_OK,        /* used in the consolidated book */
    RTI_VENUE_STALE,     /* now - time_s >= stale_s, or the time is not a number */
    RTI_VENUE_EMPTY,     /* a side has no valid level */
    RTI_VENUE_CROSSED,   /* best bid >= best ask (crossed or locked) */
    RTI_VENUE_ERRONEOUS, /* potentially erroneous: too far from the reference median */
} rti_status_t;

typedef struct {
    const char *name; /* borrowed from the input venue */
    rti_status_t status;
    int was_flagged;                /* flagged potentially erroneous before this call */
    int flagged;                    /* .. and after it (status == RTI_VENUE_ERRONEOUS) */
    int n_bids, n_asks;             /* valid levels kept */
    double age_s;                   /* now - time_s */
    double best_bid, best_ask, mid; /* NAN when not computed (stale, empty; mid also crossed) */
    double ped_ref, ped_dev;        /* reference median and |mid/ref - 1|; NAN when not reached */
} rti_venue_result_t;

/* One entry of the consolidated book: one level of one venue, not merged with equal prices. */
typedef struct {
    double price;
    double size; /* after the cap */
    int venue;   /* index into the input venues */
    int level;   /* index into that venue's bids or asks */
    int capped;  /* the original size was above the cap */
} rti_entry_t;

/* One grid point of the price-volume curves. */
typedef struct {
    double v, ask_pv, bid_pv, mid_pv, mid_sv;
    double weight; /* normalised weight in the index; 0 beyond v_T */
} rti_point_t;

typedef struct {
    double value;         /* full precision; NAN when rti_compute returns -1 */
    double value_rounded; /* rounded to params.decimals (half away from zero) */
    const char *reason;   /* static string when rti_compute returns -1, else NULL */
    int degraded;         /* fewer than min_venues used, a fallback used, or the grid bound hit */
    int n_venues;         /* venues given */
    int n_used;           /* venues in the consolidated book */
    double median_mid;    /* rti_median_mid() of the same input; NAN if none */
    /* dynamic order size cap */
    int cap_n_ask, cap_n_bid, cap_n, cap_k, n_capped;
    double cap_trimmed_mean, cap_wins_mean, cap_wins_sd;
    double cap; /* INFINITY when cap_enable is 0 */
    /* consolidated book and curves */
    double best_bid, best_ask, top_mid; /* consolidated touch, before the cap */
    double depth_ask, depth_bid;        /* total capped sizes */
    int grid_points;                    /* floor(min(depth_ask, depth_bid) / s), bounded */
    double v_T, lambda, nf;
    double weight0; /* weight of the v = 0 point (grid_from_zero), else 0 */
    /* Borrowed from the state, valid until the next rti_compute() with it: the consolidated book
     * (asks ascending, bids descending) and the curve up to the first point past v_T. */
    const rti_entry_t *asks, *bids;
    int n_ask_entries, n_bid_entries;
    const rti_point_t *curve;
    int curve_n;
    rti_venue_result_t venue[RTI_VENUES_MAX]; /* in input order, n_venues of them */
} rti_result_t;

/* Hysteresis state (which venues are flagged potentially erroneous) plus scratch buffers,
 * so that a steady-state call does not allocate. */
typedef struct rti_state rti_state_t;

/* Create an empty state (no venue flagged). Aborts on out of memory. Never NULL. */
rti_state_t *rti_state_new(void);

/* Free the state and set *p to NULL. Accepts NULL and *p == NULL. */
void rti_state_destroy(rti_state_t **p);

/* Compute the index at time now_s (unix seconds) from n venues. Fills *out (per-venue results
 * in input order and the intermediates) and replaces the state's flag set with the venues
 * excluded as potentially erroneous in this call; a flagged venue absent from the input or
 * dropped by an earlier step loses its flag. Returns 0, or -1 when no value can be computed
 * and out->reason says why: "bad params", "too many venues", "no venue", "too many levels"
 * (over 2^24 on a side) leave the state untouched; "no valid venue", "insufficient depth",
 * "non-finite result" come after the flag update. */
int rti_compute(const rti_params_t *p, rti_state_t *st, const rti_venue_t *venues, int n,
                double now_s, rti_result_t *out);

/* The simple proxy of the old Go collector: the median of the mids of the venues that are
 * fresh (age < p->stale_s) and have both sides and an uncrossed touch. Uses only p->stale_s.
 * Returns NAN when there is none or n is outside 1..RTI_VENUES_MAX. */
double rti_median_mid(const rti_params_t *p, const rti_venue_t *venues, int n, double now_s);

/* Short name of a status: "ok", "stale", "empty", "crossed", "erroneous". */
const char *rti_status_name(rti_status_t s);

/* Self-test: checks every vector of $TICKBUS_FIXTURES/brti/worked-example.json (default
 * tests/fixtures; its params must be the aggregator's defaults; statuses,
 * exclusions, cap, curves, v_T, weights, index, the alternative readings) and robustness cases.
 * Returns 0, or -1 after printing one line to stderr saying what failed. */
int rti_test(void);

#endif
