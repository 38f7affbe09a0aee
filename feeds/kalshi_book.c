/* kalshi_book: the two bid ladders of one Kalshi market (see kalshi_book.h).
 * Books are small (tens of levels), so a sorted array with binary search is
 * both the simplest and the fastest layout. */
#include "kalshi_book.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void kalshi_book_init(kalshi_book_t *b) { memset(b, 0, sizeof *b); }

void kalshi_book_free(kalshi_book_t *b)
{
    free(b->lv[0]);
    free(b->lv[1]);
    memset(b, 0, sizeof *b);
}

void kalshi_book_clear(kalshi_book_t *b)
{
    b->n[0] = b->n[1] = 0;
    b->valid = 0;
}

/* Index of PX on SIDE, or -(insertion point)-1. */
static int s_find(const kalshi_book_t *b, int side, int64_t px)
{
    int lo = 0, hi = b->n[side] - 1;
    const kalshi_lvl_t *l = b->lv[side];
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        if (l[mid].px == px) return mid;
        if (l[mid].px < px) lo = mid + 1;
        else hi = mid - 1;
    }
    return -lo - 1;
}

static void s_put(kalshi_book_t *b, int side, int i, int64_t px, int64_t sz)
{
    if (i >= 0) {
        if (sz == 0) {
            memmove(&b->lv[side][i], &b->lv[side][i + 1],
                    (size_t)(b->n[side] - i - 1) * sizeof(kalshi_lvl_t));
            b->n[side]--;
        } else {
            b->lv[side][i].sz = sz;
        }
        return;
    }
    if (sz == 0) return;
    i = -i - 1;
    if (b->n[side] == b->cap[side]) {
        b->cap[side] = b->cap[side] ? b->cap[side] * 2 : 32;
        b->lv[side] = xrealloc(b->lv[side], (size_t)b->cap[side] * sizeof(kalshi_lvl_t));
    }
    memmove(&b->lv[side][i + 1], &b->lv[side][i], (size_t)(b->n[side] - i) * sizeof(kalshi_lvl_t));
    b->lv[side][i].px = px;
    b->lv[side][i].sz = sz;
    b->n[side]++;
}

int kalshi_book_set(kalshi_book_t *b, int side, int64_t px, int64_t sz)
{
    if ((side != KALSHI_YES && side != KALSHI_NO) || px <= 0 || px > KALSHI_PX_ONE || sz < 0 ||
        sz > KALSHI_SZ_MAX)
        return -1;
    s_put(b, side, s_find(b, side, px), px, sz);
    return 0;
}

int kalshi_book_add(kalshi_book_t *b, int side, int64_t px, int64_t delta)
{
    if ((side != KALSHI_YES && side != KALSHI_NO) || px <= 0 || px > KALSHI_PX_ONE) return -1;
    int i = s_find(b, side, px);
    int64_t cur = i >= 0 ? b->lv[side][i].sz : 0;
    if (delta > KALSHI_SZ_MAX || delta < -KALSHI_SZ_MAX) return -1;
    int64_t nsz = cur + delta; /* both within KALSHI_SZ_MAX: no overflow */
    if (nsz < 0 || nsz > KALSHI_SZ_MAX) return -1;
    s_put(b, side, i, px, nsz);
    return 0;
}

int kalshi_book_crossed(const kalshi_book_t *b)
{
    if (!b->n[0] || !b->n[1]) return 0;
    return b->lv[0][b->n[0] - 1].px + b->lv[1][b->n[1] - 1].px >= KALSHI_PX_ONE;
}

void kalshi_book_top(const kalshi_book_t *b, kalshi_top_t *t)
{
    memset(t, 0, sizeof *t);
    if (b->n[KALSHI_YES]) {
        const kalshi_lvl_t *l = &b->lv[KALSHI_YES][b->n[KALSHI_YES] - 1];
        t->has_yes_bid = 1;
        t->yes_bid = l->px;
        t->yes_bid_sz = l->sz;
        t->no_ask = KALSHI_PX_ONE - l->px;
        t->no_ask_sz = l->sz;
    }
    if (b->n[KALSHI_NO]) {
        const kalshi_lvl_t *l = &b->lv[KALSHI_NO][b->n[KALSHI_NO] - 1];
        t->has_no_bid = 1;
        t->no_bid = l->px;
        t->no_bid_sz = l->sz;
        t->yes_ask = KALSHI_PX_ONE - l->px;
        t->yes_ask_sz = l->sz;
    }
}

static void s_kpx(jw_t *w, const char *k, int has, int64_t v, int scale, int mindec)
{
    if (has) jw_kfixed(w, k, v, scale, mindec);
    else jw_knull(w, k);
}

static void s_ladder(jw_t *w, const char *k, const kalshi_book_t *b, int side, int depth)
{
    jw_key(w, k);
    jw_arr(w);
    for (int i = b->valid ? b->n[side] - 1 : -1, c = 0; i >= 0 && (!depth || c < depth); i--, c++) {
        jw_arr(w);
        jw_fixed(w, b->lv[side][i].px, KALSHI_PX_SCALE, 2);
        jw_fixed(w, b->lv[side][i].sz, KALSHI_SZ_SCALE, 0);
        jw_arr_end(w);
    }
    jw_arr_end(w);
}

void kalshi_book_write(const kalshi_book_t *b, jw_t *w, int depth)
{
    /* an invalid book is published empty, as the exchange feeds publish theirs
     * (docs/KALSHI.md): its levels are stale or untrusted, never shown */
    kalshi_top_t t;
    if (b->valid) kalshi_book_top(b, &t);
    else memset(&t, 0, sizeof t);
    jw_kbool(w, "valid", b->valid);
    s_kpx(w, "yes_bid", t.has_yes_bid, t.yes_bid, KALSHI_PX_SCALE, 2);
    s_kpx(w, "yes_bid_size", t.has_yes_bid, t.yes_bid_sz, KALSHI_SZ_SCALE, 0);
    s_kpx(w, "yes_ask", t.has_no_bid, t.yes_ask, KALSHI_PX_SCALE, 2);
    s_kpx(w, "yes_ask_size", t.has_no_bid, t.yes_ask_sz, KALSHI_SZ_SCALE, 0);
    s_kpx(w, "no_bid", t.has_no_bid, t.no_bid, KALSHI_PX_SCALE, 2);
    s_kpx(w, "no_bid_size", t.has_no_bid, t.no_bid_sz, KALSHI_SZ_SCALE, 0);
    s_kpx(w, "no_ask", t.has_yes_bid, t.no_ask, KALSHI_PX_SCALE, 2);
    s_kpx(w, "no_ask_size", t.has_yes_bid, t.no_ask_sz, KALSHI_SZ_SCALE, 0);
    s_ladder(w, "yes_bids", b, KALSHI_YES, depth);
    s_ladder(w, "no_bids", b, KALSHI_NO, depth);
}

/* ---- self-test ---- */

#define T_CHECK(c)                                                                      \
    do { if (!(c)) { fprintf(stderr, "kalshi_book_test: %s:%d: %s\n", __FILE__, __LINE__, #c); \
                     goto done; } } while (0)

int kalshi_book_test(void)
{
    int ok = -1;
    kalshi_book_t b;
    kalshi_book_init(&b);
    jw_t w;
    jw_init(&w, 256);
    kalshi_top_t t;
    T_CHECK(kalshi_book_set(&b, KALSHI_YES, 5300, 120000) == 0);
    T_CHECK(kalshi_book_set(&b, KALSHI_YES, 5200, 85000) == 0);
    T_CHECK(kalshi_book_set(&b, KALSHI_YES, 350, 250000) == 0);
    T_CHECK(kalshi_book_set(&b, KALSHI_NO, 4500, 110000) == 0);
    T_CHECK(kalshi_book_set(&b, KALSHI_NO, 0, 1) == -1);
    /* 9e16 + 4e16 contracts (in 1e-2) overflowed int64; sizes are capped */
    T_CHECK(kalshi_book_set(&b, KALSHI_NO, 100, 9000000000000000000LL) == -1);
    T_CHECK(kalshi_book_set(&b, KALSHI_NO, 100, KALSHI_SZ_MAX) == 0);
    T_CHECK(kalshi_book_add(&b, KALSHI_NO, 100, 1) == -1);
    T_CHECK(kalshi_book_add(&b, KALSHI_NO, 100, INT64_MAX) == -1);
    T_CHECK(kalshi_book_add(&b, KALSHI_NO, 100, -KALSHI_SZ_MAX) == 0);
    T_CHECK(kalshi_book_set(&b, KALSHI_NO, 10001, 1) == -1);
    T_CHECK(b.n[0] == 3 && b.lv[0][0].px == 350 && b.lv[0][2].px == 5300);
    kalshi_book_top(&b, &t);
    T_CHECK(t.yes_bid == 5300 && t.yes_ask == 5500 && t.yes_ask_sz == 110000 && t.no_ask == 4700);
    T_CHECK(kalshi_book_add(&b, KALSHI_YES, 5300, -120000) == 0 && b.n[0] == 2);
    T_CHECK(kalshi_book_add(&b, KALSHI_YES, 5200, -85001) == -1 && b.n[0] == 2);
    T_CHECK(kalshi_book_add(&b, KALSHI_NO, 4400, 100) == 0 && b.n[1] == 2);
    T_CHECK(!kalshi_book_crossed(&b));
    T_CHECK(kalshi_book_add(&b, KALSHI_YES, 5500, 100) == 0 && kalshi_book_crossed(&b));
    b.valid = 1;
    jw_fragment(&w);
    kalshi_book_write(&b, &w, 2);
    T_CHECK(strstr(w.buf, "\"yes_bids\":[[0.55,1],[0.52,850]]") != NULL);
    T_CHECK(strstr(w.buf, "\"no_bids\":[[0.45,1100],[0.44,1]]") != NULL);
    /* invalid: published empty, like the exchange feeds (issue 16) */
    b.valid = 0;
    jw_reset(&w);
    jw_fragment(&w);
    kalshi_book_write(&b, &w, 2);
    T_CHECK(!strcmp(w.buf, "\"valid\":false,\"yes_bid\":null,\"yes_bid_size\":null,"
                           "\"yes_ask\":null,\"yes_ask_size\":null,\"no_bid\":null,"
                           "\"no_bid_size\":null,\"no_ask\":null,\"no_ask_size\":null,"
                           "\"yes_bids\":[],\"no_bids\":[]"));
    kalshi_book_clear(&b);
    T_CHECK(!b.valid && !b.n[0] && !b.n[1]);
    ok = 0;
done:
    jw_free(&w);
    kalshi_book_free(&b);
    return ok;
}
