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

book_level_t *book_load_begin(book_t *b, book_side_t side, int n)
{
    b->n[side] = 0;
    if (n > b->cap[side]) {
        int cap = b->cap[side] ? b->cap[side] : 256;
        while (cap < n) cap *= 2;
        free(b->lv[side]); /* the old content is discarded anyway */
        b->lv[side] = xmalloc((size_t)cap * sizeof *b->lv[side]);
        b->cap[side] = cap;
    }
    return b->lv[side];
}

/* The general path: sort by price in storage order, equal prices by arrival
 * (qsort is not stable, hence the index), and keep the last of each price. */
typedef struct {
    book_level_t l;
    int i; /* arrival order */
} s_ord_t;

static int s_cmp_bid(const void *x, const void *y)
{
    const s_ord_t *a = x, *b = y;
    if (a->l.px != b->l.px) return a->l.px < b->l.px ? -1 : 1;
    return a->i - b->i;
}
static int s_cmp_ask(const void *x, const void *y)
{
    const s_ord_t *a = x, *b = y;
    if (a->l.px != b->l.px) return a->l.px > b->l.px ? -1 : 1;
    return a->i - b->i;
}

int book_load_end(book_t *b, book_side_t side, int n)
{
    book_level_t *a = b->lv[side];
    b->n[side] = 0;
    b->dirty = 1;
    if (n <= 0) return 0;
    /* storage order: bids ascending, asks descending (best last) */
    int asc = 1, desc = 1;
    for (int i = 0; i < n; i++) {
        if (a[i].px <= 0 || a[i].sz < 0) return -2;
        if (i) {
            asc &= a[i].px > a[i - 1].px;
            desc &= a[i].px < a[i - 1].px;
        }
    }
    int stored = side == BOOK_BID ? asc : desc, reversed = side == BOOK_BID ? desc : asc;
    if (reversed && !stored) { /* best-first: reverse in place */
        for (int i = 0, j = n - 1; i < j; i++, j--) {
            book_level_t t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
        stored = 1;
    }
    int k = 0;
    if (stored) { /* distinct prices in storage order: drop the zero sizes */
        for (int i = 0; i < n; i++)
            if (a[i].sz) a[k++] = a[i];
    } else {
        s_ord_t *o = xmalloc((size_t)n * sizeof *o);
        for (int i = 0; i < n; i++) {
            o[i].l = a[i];
            o[i].i = i;
        }
        qsort(o, (size_t)n, sizeof *o, side == BOOK_BID ? s_cmp_bid : s_cmp_ask);
        for (int i = 0; i < n; i++) {
            if (i + 1 < n && o[i + 1].l.px == o[i].l.px) continue; /* a later one wins */
            if (o[i].l.sz) a[k++] = o[i].l;
        }
        free(o);
    }
    b->n[side] = k;
    return 0;
}

/* book_load_begin, copy LV, book_load_end: the self-test's way to load a side. */
static int s_load(book_t *b, book_side_t side, const book_level_t *lv, int n)
{
    book_level_t *a = book_load_begin(b, side, n);
    if (n > 0) memcpy(a, lv, (size_t)n * sizeof *lv);
    return book_load_end(b, side, n);
}

extern inline const book_level_t *book_top(const book_t *b, book_side_t side, int i);

void book_trim(book_t *b, int depth)
{
    for (int s = 0; s < 2; s++) {
        if (b->n[s] <= depth) continue;
        int drop = b->n[s] - depth;
        memmove(b->lv[s], b->lv[s] + drop, (size_t)depth * sizeof *b->lv[s]);
        b->n[s] = depth;
    }
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
    /* bulk load equals book_set of each level in order: sorted either way,
     * unsorted with duplicates and zeros, bad values */
    for (int trial = 0; trial < 400 && !rc; trial++) {
        book_t r;
        book_init(&r, 3);
        int n = trial % 40, mode = trial % 4;
        book_level_t lv[40];
        unsigned x = 2463534242u + (unsigned)trial;
        for (int i = 0; i < n; i++) {
            x ^= x << 13, x ^= x >> 17, x ^= x << 5;
            int64_t px = mode == 0 ? 1000 - i : mode == 1 ? 1000 + i : 990 + (int64_t)(x % 20);
            lv[i].px = px;
            lv[i].sz = mode == 3 && x % 5 == 0 ? 0 : 1 + (int64_t)(x % 7);
        }
        for (int side = 0; side < 2; side++) {
            book_clear(&r);
            book_clear(&b);
            for (int i = 0; i < n; i++) book_set(&r, (book_side_t)side, lv[i].px, lv[i].sz);
            b.dirty = 0;
            if (s_load(&b, (book_side_t)side, lv, n) != 0 || !b.dirty) rc = -1;
            if (book_count(&b, (book_side_t)side) != book_count(&r, (book_side_t)side)) rc = -1;
            for (int i = 0; i < book_count(&r, (book_side_t)side); i++)
                if (memcmp(book_top(&b, (book_side_t)side, i), book_top(&r, (book_side_t)side, i),
                           sizeof(book_level_t)))
                    rc = -1;
        }
        book_free(&r);
    }
    book_level_t badlv[2] = {{100, 1}, {0, 1}};
    if (s_load(&b, BOOK_ASK, badlv, 2) != -2 || book_count(&b, BOOK_ASK) != 0) rc = -1;
    book_level_t *w = book_load_begin(&b, BOOK_BID, 600); /* grows past the first capacity */
    for (int i = 0; i < 600; i++) w[i] = (book_level_t){5000 - i, 1 + i};
    if (book_load_end(&b, BOOK_BID, 600) != 0 || book_count(&b, BOOK_BID) != 600 ||
        book_top(&b, BOOK_BID, 0)->px != 5000 || book_top(&b, BOOK_BID, 599)->px != 4401)
        rc = -1;
    book_free(&b);
    if (rc) fprintf(stderr, "book_test: failed\n");
    return rc;
}
