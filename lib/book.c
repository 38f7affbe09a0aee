/* book: fixed-point L2 book (see book.h). Sorted arrays, best level last,
 * binary search by price; the feeds apply venue snapshots and updates here. */
#include "book.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void book_init(book_t *b, int watch)
{
    memset(b, 0, sizeof *b);
    b->watch = watch > 0 ? watch : 1;
}

void book_free(book_t *b)
{
    free(b->lv[0]);
    free(b->lv[1]);
    memset(b, 0, sizeof *b);
}

void book_clear(book_t *b)
{
    b->n[0] = b->n[1] = 0;
    b->valid = 0;
    b->dirty = 1;
}

/* Index of the first element not "better-sorted-before" PX: arrays are in
 * storage order (bids ascending, asks descending); returns the insertion point. */
static int s_find(const book_t *b, book_side_t side, int64_t px, int *found)
{
    const book_level_t *a = b->lv[side];
    int lo = 0, hi = b->n[side];
    /* fast path: updates mostly hit the touch, which is the end of the array */
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        int64_t m = a[mid].px;
        int before = side == BOOK_BID ? m < px : m > px;
        if (before) lo = mid + 1;
        else hi = mid;
    }
    *found = lo < b->n[side] && a[lo].px == px;
    return lo;
}

int book_set(book_t *b, book_side_t side, int64_t px, int64_t sz)
{
    if (px <= 0 || sz < 0) return -2;
    int found, i = s_find(b, side, px, &found);
    book_level_t *a = b->lv[side];
    int n = b->n[side];
    int rank;
    if (found) {
        rank = n - 1 - i;
        if (sz == 0) {
            memmove(&a[i], &a[i + 1], (size_t)(n - i - 1) * sizeof *a);
            b->n[side]--;
        } else {
            if (a[i].sz == sz) return -1;
            a[i].sz = sz;
        }
    } else {
        if (sz == 0) return -1;
        if (n == b->cap[side]) {
            b->cap[side] = b->cap[side] ? b->cap[side] * 2 : 256;
            b->lv[side] = xrealloc(b->lv[side], (size_t)b->cap[side] * sizeof *a);
            a = b->lv[side];
        }
        memmove(&a[i + 1], &a[i], (size_t)(n - i) * sizeof *a);
        a[i].px = px;
        a[i].sz = sz;
        b->n[side]++;
        rank = n - i;
    }
    if (rank < b->watch) b->dirty = 1;
    return rank;
}

void book_trim(book_t *b, int depth)
{
    for (int s = 0; s < 2; s++) {
        if (b->n[s] <= depth) continue;
        int drop = b->n[s] - depth;
        memmove(b->lv[s], b->lv[s] + drop, (size_t)depth * sizeof *b->lv[s]);
        b->n[s] = depth;
    }
}

const book_level_t *book_top(const book_t *b, book_side_t side, int i)
{
    if (i < 0 || i >= b->n[side]) return NULL;
    return &b->lv[side][b->n[side] - 1 - i];
}

int book_crossed(const book_t *b)
{
    const book_level_t *bb = book_top(b, BOOK_BID, 0), *ba = book_top(b, BOOK_ASK, 0);
    return bb && ba && bb->px >= ba->px;
}

int book_test(void)
{
    book_t b;
    int rc = 0;
    book_init(&b, 2);
    /* bids 100,99,98 ; asks 101,102 */
    book_set(&b, BOOK_BID, 99, 5);
    book_set(&b, BOOK_BID, 100, 1);
    book_set(&b, BOOK_BID, 98, 7);
    book_set(&b, BOOK_ASK, 102, 3);
    if (book_set(&b, BOOK_ASK, 101, 2) != 0) rc = -1;
    if (book_top(&b, BOOK_BID, 0)->px != 100 || book_top(&b, BOOK_BID, 2)->px != 98) rc = -1;
    if (book_top(&b, BOOK_ASK, 0)->px != 101 || book_top(&b, BOOK_ASK, 1)->px != 102) rc = -1;
    if (book_top(&b, BOOK_ASK, 2) != NULL) rc = -1;
    if (book_crossed(&b)) rc = -1;
    b.dirty = 0;
    if (book_set(&b, BOOK_BID, 98, 8) != 2 || b.dirty) rc = -1; /* beyond watch */
    if (book_set(&b, BOOK_BID, 99, 5) != -1) rc = -1;           /* no change */
    if (book_set(&b, BOOK_BID, 97, 0) != -1) rc = -1;           /* absent delete */
    if (book_set(&b, BOOK_BID, 100, 0) != 0 || !b.dirty) rc = -1;
    if (book_top(&b, BOOK_BID, 0)->px != 99 || book_count(&b, BOOK_BID) != 2) rc = -1;
    if (book_set(&b, BOOK_BID, -1, 1) != -2) rc = -1;
    book_set(&b, BOOK_BID, 101, 1);
    if (!book_crossed(&b)) rc = -1;
    book_trim(&b, 1);
    if (book_count(&b, BOOK_BID) != 1 || book_top(&b, BOOK_BID, 0)->px != 101 ||
        book_top(&b, BOOK_ASK, 0)->px != 101)
        rc = -1;
    /* many levels: stays sorted */
    book_clear(&b);
    for (int i = 0; i < 5000; i++) book_set(&b, BOOK_ASK, 1000 + (i * 7919) % 5000, 1 + i);
    for (int i = 1; i < book_count(&b, BOOK_ASK); i++)
        if (book_top(&b, BOOK_ASK, i)->px <= book_top(&b, BOOK_ASK, i - 1)->px) rc = -1;
    if (book_count(&b, BOOK_ASK) != 5000 || b.valid) rc = -1;
    book_free(&b);
    if (rc) fprintf(stderr, "book_test: failed\n");
    return rc;
}
