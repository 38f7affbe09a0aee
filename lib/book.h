/* book: the fixed-point level-2 order book every exchange feed keeps
 * (docs/FEEDS.md). Prices and sizes are int64 at BOOK_SCALE decimals; each side
 * is a sorted array with the best level at the END, so the churn near the touch
 * moves little memory. Absolute sizes, zero deletes. Used by feeds/. */
#ifndef TB_BOOK_H
#define TB_BOOK_H

#include <stddef.h>
#include <stdint.h>

#define BOOK_SCALE 8 /* 1e-8: BTC satoshis, and every venue's USD tick */

typedef struct {
    int64_t px, sz;
} book_level_t;

typedef enum { BOOK_BID = 0, BOOK_ASK = 1 } book_side_t;

typedef struct {
    book_level_t *lv[2]; /* [BOOK_BID] ascending, [BOOK_ASK] descending: best last */
    int n[2], cap[2];
    int valid;           /* 1 once a snapshot was applied and no integrity check failed */
    int watch;           /* top levels whose change sets `dirty` (the published depth) */
    int dirty;           /* a level within `watch` of the touch changed since cleared */
} book_t;

void book_init(book_t *b, int watch);
void book_free(book_t *b);
/* Empty both sides and mark the book invalid (a snapshot follows). */
void book_clear(book_t *b);
/* Set the absolute size of level PX on SIDE; SZ 0 deletes (deleting an absent
 * level is ignored: venues do that). Returns the level's rank from the touch
 * (0 = best) if the book changed, -1 if nothing changed, -2 on a bad value. */
int book_set(book_t *b, book_side_t side, int64_t px, int64_t sz);
/* Snapshot bulk load: replace SIDE with N levels in one go, O(N) when they come
 * sorted (best-first or worst-first, e.g. Bitstamp's top-100 book), O(N log N)
 * otherwise. book_load_begin empties SIDE and returns room for N levels (the
 * side's own storage, valid until the next call on B); write them in any
 * order, then book_load_end(b, side, N). The result equals book_set of each
 * level in order: for a price given twice the later size wins, size 0 leaves
 * the level absent. Returns 0, or -2 on a bad value (px <= 0 or size < 0: the
 * side is then left empty). Sets `dirty`. */
book_level_t *book_load_begin(book_t *b, book_side_t side, int n);
int book_load_end(book_t *b, book_side_t side, int n);
/* Keep only the best DEPTH levels of each side (venues that cap depth send no
 * delete for a level pushed out of scope). */
void book_trim(book_t *b, int depth);
/* Level I from the touch (0 = best), or NULL. Inline (C99: book.c holds the
 * external definition too): the feeds call it per level when printing the
 * book and computing checksums. */
inline const book_level_t *book_top(const book_t *b, book_side_t side, int i)
{
    if (i < 0 || i >= b->n[side]) return NULL;
    return &b->lv[side][b->n[side] - 1 - i];
}
static inline int book_count(const book_t *b, book_side_t side) { return b->n[side]; }
/* 1 when both sides exist and best bid >= best ask. */
int book_crossed(const book_t *b);

int book_test(void);

#endif
