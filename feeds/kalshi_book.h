/* kalshi_book: one Kalshi market's order book as two bid ladders (YES bids
 * and NO bids, both kept at their own leg's price) in exact fixed point:
 * prices in 1e-4 $, sizes in 1e-2 contracts. Asks are derived as complements
 * (yes_ask = 1 - best NO bid). Used by kalshi_ws (websocket snapshots and
 * deltas) and by feed-kalshi's REST fallback. */
#ifndef TB_KALSHI_BOOK_H
#define TB_KALSHI_BOOK_H

#include "jw.h"

#include <stdint.h>

#define KALSHI_PX_SCALE 4   /* prices: 1e-4 $ */
#define KALSHI_SZ_SCALE 2   /* sizes: 1e-2 contracts */
#define KALSHI_PX_ONE 10000 /* 1.0000 $ */
/* Largest size a level may hold (1e12 contracts): a sum over every level of a
 * side (at most KALSHI_PX_ONE prices) stays within 1e18, inside int64. Larger
 * snapshot sizes, deltas and results are refused (-1: the book is out of sync). */
#define KALSHI_SZ_MAX 100000000000000LL

enum { KALSHI_YES = 0, KALSHI_NO = 1 };

typedef struct {
    int64_t px, sz;
} kalshi_lvl_t;

typedef struct {
    kalshi_lvl_t *lv[2]; /* ascending price, sizes > 0 */
    int n[2], cap[2];
    int valid;           /* a snapshot was applied and nothing since broke it */
} kalshi_book_t;

typedef struct {
    int has_yes_bid, has_no_bid;
    int64_t yes_bid, yes_bid_sz, no_bid, no_bid_sz;
    int64_t yes_ask, yes_ask_sz, no_ask, no_ask_sz; /* derived; valid when the opposite bid exists */
} kalshi_top_t;

void kalshi_book_init(kalshi_book_t *b);
void kalshi_book_free(kalshi_book_t *b);
/* Empty both ladders and mark the book invalid. */
void kalshi_book_clear(kalshi_book_t *b);
/* Set the size at PX on SIDE (snapshot levels): SZ 0 removes. -1 when PX is
 * outside (0, 1] $ or SZ is outside [0, KALSHI_SZ_MAX]. */
int kalshi_book_set(kalshi_book_t *b, int side, int64_t px, int64_t sz);
/* Add the signed DELTA at PX on SIDE; a level reaching 0 is removed. Returns
 * -1 (book unchanged) when PX is out of range or the size would go negative
 * or past KALSHI_SZ_MAX: the caller is out of sync. */
int kalshi_book_add(kalshi_book_t *b, int side, int64_t px, int64_t delta);
/* 1 when the best YES bid + best NO bid >= 1 $ (impossible in a real book). */
int kalshi_book_crossed(const kalshi_book_t *b);
void kalshi_book_top(const kalshi_book_t *b, kalshi_top_t *t);
/* Members of a kalshi.book payload: valid, top of book, and both ladders
 * best-first as [[px,sz],..] (at most DEPTH levels each, 0 = all). */
void kalshi_book_write(const kalshi_book_t *b, jw_t *w, int depth);

int kalshi_book_test(void);

#endif
