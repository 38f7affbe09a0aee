/* rti: re-computes CF Benchmarks' Real Time Index (BRTI) from the venues' order books, as we read
 * the public methodology (docs/RTI.md), plus the median-of-mids proxy of the old Go collector.
 * The aggregator calls rti_compute() once per tick; rti_test() checks it against the worked
 * vectors in tests/fixtures/brti/. Pure computation: no I/O outside the self-test. */
#include "rti.h"
#include "tick.h" /* the self-test checks the fixture against tick_cfg_default() */

#include <assert.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Tolerances of the reference implementation: a cumulative size "reaches" v within VOL_EPS grid
 * steps (VOL_EPS units of the asset at BTC's spacing 1; relative, so that a series whose sizes
 * are 1e5 times larger, DOGE's, gets the same slack against ulp noise), and midSV <= D is tested
 * with SV_EPS of slack, so ulp noise cannot move v_T. */
#define VOL_EPS 1e-9
#define SV_EPS 1e-15
/* Bound on the levels of one call, so sizes of the scratch buffers cannot overflow. */
#define LEVELS_MAX (1 << 24)

struct rti_state {
    char flagged[RTI_VENUES_MAX][RTI_NAME_MAX];
    int n_flagged;
    rti_entry_t *asks, *bids, *tmp; /* consolidated book and the merge-sort buffer */
    size_t entries_cap;
    double *sample;
    size_t sample_cap;
    rti_point_t *curve;
    size_t curve_cap;
};

/* What steps 1-2 make of one venue. */
typedef struct {
    rti_status_t status;
    int n_bids, n_asks;
    double age, best_bid, best_ask;
} s_screen_t;

static void *s_grow(void *buf, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap) return buf;
    size_t n = *cap ? *cap : 64;
    while (n < need)
        n *= 2;
    void *p = realloc(buf, n * elem);
    if (!p) {
        fprintf(stderr, "rti: out of memory allocating %zu bytes\n", n * elem);
        abort();
    }
    *cap = n;
    return p;
}

static int s_level_ok(const rti_level_t *l)
{
    return isfinite(l->price) && l->price > 0 && isfinite(l->size) && l->size > 0;
}

static const char *s_name(const char *name)
{
    return name ? name : "";
}

static int s_name_cmp(const char *a, const char *b)
{
    return strncmp(s_name(a), s_name(b), RTI_NAME_MAX - 1);
}

/* Steps 1 and 2: delayed data, then erroneous books (empty side, crossed or locked). */
static s_screen_t s_screen(const rti_params_t *p, const rti_venue_t *v, double now_s)
{
    s_screen_t s = {RTI_VENUE_OK, 0, 0, now_s - v->time_s, NAN, NAN};
    for (int i = 0; v->bids && i < v->n_bids; i++)
        if (s_level_ok(&v->bids[i])) {
            if (!s.n_bids++ || v->bids[i].price > s.best_bid) s.best_bid = v->bids[i].price;
        }
    for (int i = 0; v->asks && i < v->n_asks; i++)
        if (s_level_ok(&v->asks[i])) {
            if (!s.n_asks++ || v->asks[i].price < s.best_ask) s.best_ask = v->asks[i].price;
        }
    if (!isfinite(s.age) || !(s.age < p->stale_s)) {
        s.status = RTI_VENUE_STALE;
        s.best_bid = s.best_ask = NAN;
    } else if (!s.n_bids || !s.n_asks)
        s.status = RTI_VENUE_EMPTY;
    else if (s.best_bid >= s.best_ask)
        s.status = RTI_VENUE_CROSSED;
    return s;
}

/* Median of a[0..n-1], n >= 1, sorting a in place (n is at most RTI_VENUES_MAX). */
static double s_median(double *a, int n)
{
    for (int i = 1; i < n; i++) {
        double x = a[i];
        int j = i;
        for (; j > 0 && a[j - 1] > x; j--)
            a[j] = a[j - 1];
        a[j] = x;
    }
    return n % 2 ? a[n / 2] : (a[n / 2 - 1] + a[n / 2]) / 2;
}

static int s_params_ok(const rti_params_t *p)
{
    return isfinite(p->spacing) && p->spacing > 0 && isfinite(p->deviation) && p->deviation >= 0 &&
           isfinite(p->lambda_factor) && p->lambda_factor > 0 && !isnan(p->stale_s) &&
           isfinite(p->ped) && p->ped >= 0 && isfinite(p->ped_reinclude) && p->ped_reinclude >= 0 &&
           (p->ped_ref == RTI_PED_MEDIAN_ALL || p->ped_ref == RTI_PED_MEDIAN_OTHERS) &&
           isfinite(p->cap_band) && p->cap_band >= 0 && p->cap_min_per_side >= 0 &&
           isfinite(p->cap_trim) && p->cap_trim >= 0 && p->cap_trim < 0.5 &&
           !isnan(p->cap_k_sigma) && p->cap_k_sigma >= 0 && p->cap_ddof >= 0 && p->decimals >= 0 &&
           p->decimals <= 9 &&
           (p->fallback == RTI_FALLBACK_NONE || p->fallback == RTI_FALLBACK_TOP_MID) &&
           p->max_grid_points >= 1;
}

/* Stable merge sort of the consolidated book by price (ascending for asks, descending for bids);
 * entries come in venue-name then level order, so equal prices keep that order. */
static int s_before(const rti_entry_t *a, const rti_entry_t *b, int desc)
{
    return desc ? a->price > b->price : a->price < b->price;
}

static void s_sort_entries(rti_entry_t *e, rti_entry_t *tmp, int n, int desc)
{
    for (int w = 1; w < n; w *= 2) {
        for (int lo = 0; lo < n; lo += 2 * w) {
            int mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
            int i = lo, j = mid, k = lo;
            while (i < mid && j < hi)
                tmp[k++] = s_before(&e[j], &e[i], desc) ? e[j++] : e[i++];
            while (i < mid)
                tmp[k++] = e[i++];
            while (j < hi)
                tmp[k++] = e[j++];
        }
        memcpy(e, tmp, (size_t)n * sizeof *e);
    }
}

static int s_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Number of leading entries (from the touch) in one side's cap sample. */
static int s_sample_count(const rti_entry_t *e, int n, int desc, const rti_params_t *p)
{
    double limit = desc ? e[0].price * (1 - p->cap_band) : e[0].price * (1 + p->cap_band);
    int inside = 0;
    while (inside < n && (desc ? e[inside].price >= limit : e[inside].price <= limit))
        inside++;
    if (inside >= p->cap_min_per_side) return inside;
    /* extend outward to the minimum, never truncate below what lies in the band */
    return p->cap_min_per_side < n ? (int)p->cap_min_per_side : n;
}

/* Step 5: the dynamic order size cap over the near-touch sizes of both sides. */
static void s_cap(const rti_params_t *p, rti_state_t *st, rti_result_t *out)
{
    int na = s_sample_count(out->asks, out->n_ask_entries, 0, p);
    int nb = s_sample_count(out->bids, out->n_bid_entries, 1, p);
    int n = na + nb;
    double *S = st->sample = s_grow(st->sample, &st->sample_cap, (size_t)n, sizeof *S);
    for (int i = 0; i < na; i++)
        S[i] = out->asks[i].size;
    for (int i = 0; i < nb; i++)
        S[na + i] = out->bids[i].size;
    qsort(S, (size_t)n, sizeof *S, s_cmp_double);

    int k = (int)floor(p->cap_trim * n);
    int lo = n - 2 * k > 0 ? k : 0, hi = n - 2 * k > 0 ? n - k : n;
    double sum = 0;
    for (int i = lo; i < hi; i++)
        sum += S[i];
    double tmean = sum / (hi - lo);
    double wsum = 0, ss = 0;
    for (int i = 0; i < n; i++)
        wsum += i < k ? S[k] : i >= n - k ? S[n - k - 1] : S[i];
    double wmean = wsum / n;
    for (int i = 0; i < n; i++) {
        double d = (i < k ? S[k] : i >= n - k ? S[n - k - 1] : S[i]) - wmean;
        ss += d * d;
    }
    double wsd = n > p->cap_ddof ? sqrt(ss / (n - p->cap_ddof)) : 0.0;

    out->cap_n_ask = na;
    out->cap_n_bid = nb;
    out->cap_n = n;
    out->cap_k = k;
    out->cap_trimmed_mean = tmean;
    out->cap_wins_mean = wmean;
    out->cap_wins_sd = wsd;
    out->cap = p->cap_enable ? (isinf(p->cap_k_sigma) ? INFINITY : tmean + p->cap_k_sigma * wsd)
                             : INFINITY;
}

/* Advance one side's walk to the first entry whose cumulative size reaches v (within EPS). */
static int s_reach(const rti_entry_t *e, int n, int *i, double *cum, double v, int strict,
                   double eps)
{
    while (strict ? !(*cum > v + eps) : !(*cum >= v - eps)) {
        if (++*i >= n) return 0;
        *cum += e[*i].size;
    }
    return 1;
}

/* Steps 6-9: curves on the grid, utilized depth, exponential weights, the index. */
static int s_index(const rti_params_t *p, rti_state_t *st, rti_result_t *out)
{
    const rti_entry_t *A = out->asks, *B = out->bids;
    int na = out->n_ask_entries, nb = out->n_bid_entries;
    double s = p->spacing;

    double g = floor(fmin(out->depth_ask, out->depth_bid) / s + VOL_EPS);
    int bounded = !(g <= p->max_grid_points);
    out->grid_points = bounded ? (int)p->max_grid_points : (int)g;

    int ia = 0, ib = 0, rows = 0, last_in = -1;
    double ca = A[0].size, cb = B[0].size;
    for (int i = 1; i <= out->grid_points; i++) {
        double v = i * s;
        if (!s_reach(A, na, &ia, &ca, v, p->pv_strict, VOL_EPS * s) ||
            !s_reach(B, nb, &ib, &cb, v, p->pv_strict, VOL_EPS * s))
            break;
        st->curve = s_grow(st->curve, &st->curve_cap, (size_t)rows + 1, sizeof *st->curve);
        rti_point_t *r = &st->curve[rows++];
        r->v = v;
        r->ask_pv = A[ia].price;
        r->bid_pv = B[ib].price;
        r->mid_pv = (r->ask_pv + r->bid_pv) / 2;
        r->mid_sv = r->ask_pv / r->mid_pv - 1;
        r->weight = 0;
        /* midSV = (a-b)/(a+b) is non-decreasing in v, even on a crossed book: stop at the breach */
        if (!(r->mid_sv <= p->deviation + SV_EPS)) break;
        last_in = rows - 1;
    }
    out->curve = st->curve;
    out->curve_n = rows;
    if (bounded && last_in == rows - 1 && rows == out->grid_points) out->degraded = 1;

    if (rows == 0 || last_in < 0) {
        if (p->fallback == RTI_FALLBACK_TOP_MID) {
            out->degraded = 1;
            out->value = out->top_mid;
            return 0;
        }
        if (rows == 0) {
            out->reason = "insufficient depth";
            return -1;
        }
        last_in = 0; /* midSV(s) > D: the reference keeps v_T = s */
        out->degraded = 1;
    }

    out->v_T = st->curve[last_in].v;
    out->lambda = 1.0 / (p->lambda_factor * out->v_T);
    double lam = out->lambda, nf = p->grid_from_zero ? lam : 0.0;
    for (int i = 0; i <= last_in; i++) {
        st->curve[i].weight = lam * exp(-lam * st->curve[i].v);
        nf += st->curve[i].weight;
    }
    out->nf = nf;
    double value = 0;
    if (p->grid_from_zero) {
        out->weight0 = lam / nf;
        value += out->weight0 * out->top_mid;
    }
    for (int i = 0; i <= last_in; i++) {
        st->curve[i].weight /= nf;
        value += st->curve[i].weight * st->curve[i].mid_pv;
    }
    out->value = value;
    return 0;
}

rti_state_t *rti_state_new(void)
{
    rti_state_t *st = calloc(1, sizeof *st);
    if (!st) {
        fprintf(stderr, "rti: out of memory allocating %zu bytes\n", sizeof *st);
        abort();
    }
    return st;
}

void rti_state_destroy(rti_state_t **p)
{
    if (!p || !*p) return;
    rti_state_t *st = *p;
    free(st->asks);
    free(st->bids);
    free(st->tmp);
    free(st->sample);
    free(st->curve);
    free(st);
    *p = NULL;
}

/* Whether venue NAME is flagged potentially erroneous in the state: 1 or 0. */
static int s_flagged(const rti_state_t *st, const char *name)
{
    assert(st);
    for (int i = 0; i < st->n_flagged; i++)
        if (!s_name_cmp(st->flagged[i], name)) return 1;
    return 0;
}

/* Set or clear the flag of venue NAME (the step-3 hysteresis; the self-test restores states
 * with it). Returns 0, or -1 when RTI_VENUES_MAX venues are already flagged. */
static int s_set_flagged(rti_state_t *st, const char *name, int flagged)
{
    assert(st);
    for (int i = 0; i < st->n_flagged; i++)
        if (!s_name_cmp(st->flagged[i], name)) {
            if (!flagged) memmove(st->flagged[i], st->flagged[--st->n_flagged], RTI_NAME_MAX);
            return 0;
        }
    if (!flagged) return 0;
    if (st->n_flagged == RTI_VENUES_MAX) return -1;
    snprintf(st->flagged[st->n_flagged++], RTI_NAME_MAX, "%s", s_name(name));
    return 0;
}

const char *rti_status_name(rti_status_t s)
{
    switch (s) {
    case RTI_VENUE_OK:
        return "ok";
    case RTI_VENUE_STALE:
        return "stale";
    case RTI_VENUE_EMPTY:
        return "empty";
    case RTI_VENUE_CROSSED:
        return "crossed";
    case RTI_VENUE_ERRONEOUS:
        return "erroneous";
    }
    return "?";
}

double rti_median_mid(const rti_params_t *p, const rti_venue_t *venues, int n, double now_s)
{
    assert(p);
    double mids[RTI_VENUES_MAX];
    int m = 0;
    if (!venues || n < 1 || n > RTI_VENUES_MAX) return NAN;
    for (int i = 0; i < n; i++) {
        s_screen_t s = s_screen(p, &venues[i], now_s);
        if (s.status == RTI_VENUE_OK) mids[m++] = (s.best_bid + s.best_ask) / 2;
    }
    return m ? s_median(mids, m) : NAN;
}

/* Steps 1-2: each venue's status, touch and mid into OUT; the venues passing them (CAND, their
 * MIDS, *NC of them) and the median of those mids. Returns the candidates' levels (the larger
 * side of each): the size of the consolidated book. */
static long long s_steps_screen(const rti_params_t *p, rti_state_t *st, const rti_venue_t *venues,
                                int n, double now_s, rti_result_t *out, int *cand, double *mids,
                                int *nc)
{
    double tmp[RTI_VENUES_MAX];
    long long levels = 0;
    *nc = 0;
    for (int i = 0; i < n; i++) {
        s_screen_t s = s_screen(p, &venues[i], now_s);
        rti_venue_result_t *r = &out->venue[i];
        r->name = s_name(venues[i].name);
        r->status = s.status;
        r->was_flagged = s_flagged(st, r->name);
        r->n_bids = s.n_bids;
        r->n_asks = s.n_asks;
        r->age_s = s.age;
        r->best_bid = s.best_bid;
        r->best_ask = s.best_ask;
        r->mid = r->ped_ref = r->ped_dev = NAN;
        if (s.status == RTI_VENUE_OK) {
            r->mid = mids[*nc] = (s.best_bid + s.best_ask) / 2;
            cand[(*nc)++] = i;
            levels += s.n_bids > s.n_asks ? s.n_bids : s.n_asks;
        }
    }
    if (*nc) {
        memcpy(tmp, mids, (size_t)*nc * sizeof *tmp);
        out->median_mid = s_median(tmp, *nc);
    }
    return levels;
}

/* Step 3: potentially erroneous data, with hysteresis; the state's flag set is replaced by the
 * candidates excluded now. The venues kept into VALID; returns their number. */
static int s_step_ped(const rti_params_t *p, rti_state_t *st, rti_result_t *out, const int *cand,
                      const double *mids, int nc, int *valid)
{
    double tmp[RTI_VENUES_MAX];
    int nv = 0;
    st->n_flagged = 0;
    for (int c = 0; c < nc; c++) {
        rti_venue_result_t *r = &out->venue[cand[c]];
        double ref = out->median_mid;
        if (p->ped_ref == RTI_PED_MEDIAN_OTHERS) {
            int m = 0;
            for (int j = 0; j < nc; j++)
                if (j != c) tmp[m++] = mids[j];
            ref = m ? s_median(tmp, m) : mids[c];
        }
        r->ped_ref = ref;
        r->ped_dev = fabs(r->mid / ref - 1.0);
        /* written so that a NaN deviation excludes */
        int excluded =
            r->was_flagged ? !(r->ped_dev < p->ped_reinclude * p->ped) : !(r->ped_dev <= p->ped);
        if (excluded) {
            r->status = RTI_VENUE_ERRONEOUS;
            r->flagged = 1;
            s_set_flagged(st, r->name, 1);
        } else
            valid[nv++] = cand[c];
    }
    return nv;
}

/* Step 4: the consolidated book of the NV VALID venues (LEVELS at most), one entry per venue
 * level, venues in name order, into the state; its touch into OUT. */
static void s_step_book(rti_state_t *st, const rti_venue_t *venues, int *valid, int nv,
                        long long levels, rti_result_t *out)
{
    for (int i = 1; i < nv; i++) {
        int x = valid[i], j = i;
        for (; j > 0 && s_name_cmp(venues[valid[j - 1]].name, venues[x].name) > 0; j--)
            valid[j] = valid[j - 1];
        valid[j] = x;
    }
    if ((size_t)levels > st->entries_cap) {
        size_t cap = st->entries_cap;
        st->asks = s_grow(st->asks, &cap, (size_t)levels, sizeof *st->asks);
        cap = st->entries_cap;
        st->bids = s_grow(st->bids, &cap, (size_t)levels, sizeof *st->bids);
        st->tmp = s_grow(st->tmp, &st->entries_cap, (size_t)levels, sizeof *st->tmp);
    }
    int na = 0, nb = 0;
    for (int c = 0; c < nv; c++) {
        const rti_venue_t *v = &venues[valid[c]];
        for (int i = 0; i < v->n_asks; i++)
            if (s_level_ok(&v->asks[i]))
                st->asks[na++] = (rti_entry_t){v->asks[i].price, v->asks[i].size, valid[c], i, 0};
        for (int i = 0; i < v->n_bids; i++)
            if (s_level_ok(&v->bids[i]))
                st->bids[nb++] = (rti_entry_t){v->bids[i].price, v->bids[i].size, valid[c], i, 0};
    }
    s_sort_entries(st->asks, st->tmp, na, 0);
    s_sort_entries(st->bids, st->tmp, nb, 1);
    out->asks = st->asks;
    out->bids = st->bids;
    out->n_ask_entries = na;
    out->n_bid_entries = nb;
    out->best_ask = st->asks[0].price;
    out->best_bid = st->bids[0].price;
    out->top_mid = (out->best_bid + out->best_ask) / 2;
}

/* One side's N entries E capped at CAP (each capped one counted in *N_CAPPED); returns the
 * side's depth, the sum of the capped sizes. */
static double s_cap_side(rti_entry_t *e, int n, double cap, int *n_capped)
{
    double depth = 0;
    for (int i = 0; i < n; i++) {
        if (e[i].size > cap) {
            e[i].size = cap;
            e[i].capped = 1;
            (*n_capped)++;
        }
        depth += e[i].size;
    }
    return depth;
}

/* Step 5: the cap (s_cap), then every entry's size capped and the depths summed. */
static void s_step_cap(const rti_params_t *p, rti_state_t *st, rti_result_t *out)
{
    s_cap(p, st, out);
    out->depth_ask = s_cap_side(st->asks, out->n_ask_entries, out->cap, &out->n_capped);
    out->depth_bid = s_cap_side(st->bids, out->n_bid_entries, out->cap, &out->n_capped);
}

int rti_compute(const rti_params_t *p, rti_state_t *st, const rti_venue_t *venues, int n,
                double now_s, rti_result_t *out)
{
    assert(p && st && out);
    memset(out, 0, sizeof *out);
    out->value = out->value_rounded = out->median_mid = NAN;
    out->cap = out->cap_trimmed_mean = out->cap_wins_mean = out->cap_wins_sd = NAN;
    out->best_bid = out->best_ask = out->top_mid = out->v_T = out->lambda = out->nf = NAN;
    out->asks = st->asks;
    out->bids = st->bids;
    out->curve = st->curve;
    out->n_venues = n > 0 ? n : 0;
    if (!s_params_ok(p)) {
        out->reason = "bad params";
        return -1;
    }
    if (n > RTI_VENUES_MAX) {
        out->reason = "too many venues";
        out->n_venues = 0;
        return -1;
    }
    if (n < 1 || !venues) {
        out->reason = "no venue";
        out->n_venues = 0;
        return -1;
    }
    double mids[RTI_VENUES_MAX];
    int cand[RTI_VENUES_MAX], valid[RTI_VENUES_MAX], nc;
    long long levels = s_steps_screen(p, st, venues, n, now_s, out, cand, mids, &nc);
    if (levels > LEVELS_MAX) {
        out->reason = "too many levels";
        return -1;
    }
    int nv = s_step_ped(p, st, out, cand, mids, nc, valid);
    out->n_used = nv;
    if (!nv) {
        out->reason = "no valid venue";
        return -1;
    }
    if (nv < p->min_venues) out->degraded = 1;
    s_step_book(st, venues, valid, nv, levels, out);
    s_step_cap(p, st, out);
    if (s_index(p, st, out) < 0) return -1; /* steps 6-9 */
    if (!isfinite(out->value)) {
        out->value = NAN;
        out->reason = "non-finite result";
        return -1;
    }
    double scale = pow(10, (double)p->decimals);
    out->value_rounded = round(out->value * scale) / scale;
    return 0;
}

/* ---- self-test ---------------------------------------------------------------------------- */

/* One fixture vector: its books as rti_venue_t, pointing into one owned array of levels. */
typedef struct {
    const char *name;
    json_t *vec; /* borrowed from the root */
    double now;
    rti_params_t params;
    rti_venue_t venue[RTI_VENUES_MAX];
    int n;
    rti_level_t *levels;
} s_vec_t;

static int s_fail(const char *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int s_fail(const char *ctx, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "rti_test: %s: ", ctx);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return -1;
}

static int s_near(double got, double want, double tol)
{
    if (isnan(got) || isnan(want)) return isnan(got) && isnan(want);
    return fabs(got - want) <= tol * fmax(1.0, fabs(want));
}

/* got against the number (or null = NaN) at key in o; relative tolerance 1e-9. */
static int s_check(const char *ctx, const char *what, double got, json_t *o, const char *key)
{
    json_t *j = json_object_get(o, key);
    if (!j) return s_fail(ctx, "fixture has no %s (%s)", key, what);
    double want = json_is_null(j) ? NAN : json_number_value(j);
    if (!json_is_null(j) && !json_is_number(j)) return s_fail(ctx, "fixture %s not a number", key);
    if (!s_near(got, want, 1e-9)) return s_fail(ctx, "%s = %.12g, want %.12g", what, got, want);
    return 0;
}

/* The defaults the aggregator runs with (its option table, aggregator/aggcfg.c). */
static void s_params_default(rti_params_t *p)
{
    tick_cfg_t c;
    tick_cfg_default(&c);
    *p = c.rti;
}

static int s_params_load(const char *ctx, json_t *jp, rti_params_t *p)
{
    const char *key;
    json_t *val;
    s_params_default(p);
    if (!json_is_object(jp)) return s_fail(ctx, "no params object");
    json_object_foreach(jp, key, val)
    {
        double x = json_number_value(val);
        const char *str = json_string_value(val);
        if (!strcmp(key, "spacing_s"))
            p->spacing = x;
        else if (!strcmp(key, "deviation_D"))
            p->deviation = x;
        else if (!strcmp(key, "lambda_factor"))
            p->lambda_factor = x;
        else if (!strcmp(key, "grid_start") && str && (!strcmp(str, "s") || !strcmp(str, "0")))
            p->grid_from_zero = !strcmp(str, "0");
        else if (!strcmp(key, "stale_threshold_s"))
            p->stale_s = x;
        else if (!strcmp(key, "ped_threshold"))
            p->ped = x;
        else if (!strcmp(key, "ped_reinclude_fraction"))
            p->ped_reinclude = x;
        else if (!strcmp(key, "ped_reference") && str && !strcmp(str, "median_all_valid"))
            p->ped_ref = RTI_PED_MEDIAN_ALL;
        else if (!strcmp(key, "ped_reference") && str && !strcmp(str, "median_others"))
            p->ped_ref = RTI_PED_MEDIAN_OTHERS;
        else if (!strcmp(key, "cap_band"))
            p->cap_band = x;
        else if (!strcmp(key, "cap_min_per_side"))
            p->cap_min_per_side = (long)x;
        else if (!strcmp(key, "cap_trim_fraction"))
            p->cap_trim = x;
        else if (!strcmp(key, "cap_k_sigma"))
            p->cap_k_sigma = x;
        else if (!strcmp(key, "cap_sd_ddof"))
            p->cap_ddof = (long)x;
        else if (!strcmp(key, "dissemination_decimals"))
            p->decimals = (long)x;
        else
            return s_fail(ctx, "unknown parameter or value: %s", key);
    }
    return 0;
}

/* Every field that the fixtures set must have its default there. */
static int s_params_default_match(const char *ctx, const rti_params_t *p)
{
    rti_params_t d;
    s_params_default(&d);
    if (p->spacing != d.spacing || p->deviation != d.deviation ||
        p->lambda_factor != d.lambda_factor || p->grid_from_zero != d.grid_from_zero ||
        p->stale_s != d.stale_s || p->ped != d.ped || p->ped_reinclude != d.ped_reinclude ||
        p->ped_ref != d.ped_ref || p->cap_band != d.cap_band ||
        p->cap_min_per_side != d.cap_min_per_side || p->cap_trim != d.cap_trim ||
        p->cap_k_sigma != d.cap_k_sigma || p->cap_ddof != d.cap_ddof || p->decimals != d.decimals)
        return s_fail(ctx, "the aggregator's default RTI parameters differ from the fixture's");
    return 0;
}

static int s_levels_load(const char *ctx, json_t *a, rti_level_t *lv, int *n)
{
    size_t i;
    json_t *l;
    *n = 0;
    if (!json_is_array(a)) return s_fail(ctx, "book side is not an array");
    json_array_foreach(a, i, l)
    {
        if (!json_is_number(json_array_get(l, 0)) || !json_is_number(json_array_get(l, 1)))
            return s_fail(ctx, "level %zu is not [price, size]", i);
        lv[*n].price = json_number_value(json_array_get(l, 0));
        lv[*n].size = json_number_value(json_array_get(l, 1));
        (*n)++;
    }
    return 0;
}

static void s_vec_free(s_vec_t *V)
{
    free(V->levels);
    V->levels = NULL;
}

static int s_vec_load(json_t *vec, s_vec_t *V)
{
    memset(V, 0, sizeof *V);
    V->vec = vec;
    V->name = json_string_value(json_object_get(vec, "name"));
    if (!V->name) V->name = "?";
    V->now = json_number_value(json_object_get(vec, "calc_time_unix_s"));
    if (s_params_load(V->name, json_object_get(vec, "params"), &V->params)) return -1;
    json_t *books = json_object_get(json_object_get(vec, "inputs"), "books");
    const char *key;
    json_t *b;
    size_t total = 0;
    if (!json_is_object(books) || json_object_size(books) > RTI_VENUES_MAX)
        return s_fail(V->name, "inputs.books missing or too large");
    json_object_foreach(books, key, b)
    {
        total += json_array_size(json_object_get(b, "bids"));
        total += json_array_size(json_object_get(b, "asks"));
    }
    V->levels = calloc(total ? total : 1, sizeof *V->levels);
    if (!V->levels) return s_fail(V->name, "out of memory");
    rti_level_t *lv = V->levels;
    json_object_foreach(books, key, b)
    {
        rti_venue_t *v = &V->venue[V->n++];
        v->name = key;
        v->time_s = json_number_value(json_object_get(b, "retrieval_time"));
        v->bids = lv;
        if (s_levels_load(V->name, json_object_get(b, "bids"), lv, &v->n_bids)) return -1;
        lv += v->n_bids;
        v->asks = lv;
        if (s_levels_load(V->name, json_object_get(b, "asks"), lv, &v->n_asks)) return -1;
        lv += v->n_asks;
    }
    return 0;
}

/* A fresh state with the vector's prior flags, then one computation. */
static int s_run(const s_vec_t *V, const rti_params_t *p, const rti_venue_t *venues, int n,
                 double now, rti_state_t *st, rti_result_t *out)
{
    size_t i;
    json_t *f;
    while (st->n_flagged)
        s_set_flagged(st, st->flagged[0], 0);
    json_array_foreach(json_object_get(V->vec, "prior_flagged"), i, f)
        s_set_flagged(st, json_string_value(f), 1);
    return rti_compute(p, st, venues, n, now, out);
}

static const rti_venue_result_t *s_venue_find(const rti_result_t *r, const char *name)
{
    for (int i = 0; i < r->n_venues; i++)
        if (!strcmp(r->venue[i].name, name)) return &r->venue[i];
    return NULL;
}

/* The reference's status strings. */
static const char *s_status_ref(rti_status_t s)
{
    switch (s) {
    case RTI_VENUE_OK:
        return "included";
    case RTI_VENUE_STALE:
        return "excluded_delayed";
    case RTI_VENUE_EMPTY:
        return "excluded_erroneous_empty_side";
    case RTI_VENUE_CROSSED:
        return "excluded_erroneous_crossed";
    case RTI_VENUE_ERRONEOUS:
        return "excluded_potentially_erroneous";
    }
    return "?";
}

static int s_check_venues(const s_vec_t *V, const rti_result_t *r, const rti_state_t *st)
{
    json_t *in = json_object_get(V->vec, "intermediate");
    json_t *ex = json_object_get(in, "exchanges"), *e, *j;
    const char *name;
    char ctx[160];
    size_t i;
    if (json_object_size(ex) != (size_t)r->n_venues)
        return s_fail(V->name, "%d venues, fixture has %zu", r->n_venues, json_object_size(ex));
    json_object_foreach(ex, name, e)
    {
        const rti_venue_result_t *v = s_venue_find(r, name);
        snprintf(ctx, sizeof ctx, "%s/%s", V->name, name);
        if (!v) return s_fail(ctx, "venue missing from the result");
        const char *want = json_string_value(json_object_get(e, "status"));
        if (!want || strcmp(want, s_status_ref(v->status)))
            return s_fail(ctx, "status %s, want %s", s_status_ref(v->status), want ? want : "?");
        if (s_check(ctx, "age", v->age_s, e, "age_s")) return -1;
        if (json_object_get(e, "best_bid") && s_check(ctx, "best bid", v->best_bid, e, "best_bid"))
            return -1;
        if (json_object_get(e, "best_ask") && s_check(ctx, "best ask", v->best_ask, e, "best_ask"))
            return -1;
        if (json_object_get(e, "mid") && s_check(ctx, "mid", v->mid, e, "mid")) return -1;
        if (json_object_get(e, "ped_reference_mid") &&
            s_check(ctx, "PED reference", v->ped_ref, e, "ped_reference_mid"))
            return -1;
        if (json_object_get(e, "ped_deviation") &&
            s_check(ctx, "PED deviation", v->ped_dev, e, "ped_deviation"))
            return -1;
        if ((j = json_object_get(e, "previously_flagged")) && json_is_true(j) != v->was_flagged)
            return s_fail(ctx, "previously flagged %d", v->was_flagged);
    }
    /* the exclusion vectors */
    int n_valid = 0;
    json_array_foreach(json_object_get(in, "valid_exchanges"), i, j)
    {
        const rti_venue_result_t *v = s_venue_find(r, json_string_value(j));
        if (!v || v->status != RTI_VENUE_OK)
            return s_fail(V->name, "%s should be valid", json_string_value(j));
        n_valid++;
    }
    if (n_valid != r->n_used) return s_fail(V->name, "%d venues used, want %d", r->n_used, n_valid);
    int n_flag = 0;
    json_array_foreach(json_object_get(in, "flagged_after"), i, j)
    {
        if (!s_flagged(st, json_string_value(j)))
            return s_fail(V->name, "%s should be flagged after", json_string_value(j));
        n_flag++;
    }
    if (n_flag != st->n_flagged)
        return s_fail(V->name, "%d venues flagged after, want %d", st->n_flagged, n_flag);
    return 0;
}

static int s_check_book(const s_vec_t *V, const rti_result_t *r, const char *side,
                        const rti_entry_t *e, int n)
{
    json_t *cb = json_object_get(json_object_get(V->vec, "intermediate"), "consolidated_book");
    json_t *a = json_object_get(cb, side), *x;
    char ctx[160];
    size_t i;
    if (json_array_size(a) != (size_t)n)
        return s_fail(V->name, "%d %s entries, want %zu", n, side, json_array_size(a));
    json_array_foreach(a, i, x)
    {
        snprintf(ctx, sizeof ctx, "%s/%s[%zu]", V->name, side, i);
        if (s_check(ctx, "price", e[i].price, x, "price")) return -1;
        if (s_check(ctx, "capped size", e[i].size, x, "size_capped")) return -1;
        const char *ven = json_string_value(json_object_get(x, "exchange"));
        if (!ven || strcmp(ven, r->venue[e[i].venue].name))
            return s_fail(ctx, "venue %s, want %s", r->venue[e[i].venue].name, ven ? ven : "?");
        if (json_is_true(json_object_get(x, "was_capped")) != e[i].capped)
            return s_fail(ctx, "capped %d", e[i].capped);
    }
    return 0;
}

static int s_check_intermediates(const s_vec_t *V, const rti_result_t *r)
{
    json_t *in = json_object_get(V->vec, "intermediate"), *x;
    json_t *cap = json_object_get(in, "order_size_cap");
    json_t *cb = json_object_get(in, "consolidated_book");
    json_t *depth = json_object_get(in, "curve_total_depth");
    json_t *curve = json_object_get(in, "curve"), *weights = json_object_get(in, "weights");
    char ctx[160];
    size_t i;

    if (s_check(V->name, "cap sample asks", r->cap_n_ask, cap, "n_ask_sample") ||
        s_check(V->name, "cap sample bids", r->cap_n_bid, cap, "n_bid_sample") ||
        s_check(V->name, "cap n", r->cap_n, cap, "n") ||
        s_check(V->name, "cap k", r->cap_k, cap, "k") ||
        s_check(V->name, "trimmed mean", r->cap_trimmed_mean, cap, "trimmed_mean") ||
        s_check(V->name, "winsorized mean", r->cap_wins_mean, cap, "winsorized_mean") ||
        s_check(V->name, "winsorized SD", r->cap_wins_sd, cap, "winsorized_sd") ||
        s_check(V->name, "cap", r->cap, cap, "cap"))
        return -1;
    if (s_check(V->name, "best bid", r->best_bid, cb, "best_bid") ||
        s_check(V->name, "best ask", r->best_ask, cb, "best_ask") ||
        s_check_book(V, r, "asks", r->asks, r->n_ask_entries) ||
        s_check_book(V, r, "bids", r->bids, r->n_bid_entries))
        return -1;
    if (s_check(V->name, "ask depth", r->depth_ask, depth, "ask") ||
        s_check(V->name, "bid depth", r->depth_bid, depth, "bid") ||
        s_check(V->name, "grid points", r->grid_points, depth, "grid_points"))
        return -1;

    /* our walk stops at the first point past v_T; the fixture lists the whole grid */
    int n_in = 0;
    json_array_foreach(curve, i, x) n_in += json_is_true(json_object_get(x, "in_utilized_depth"));
    int want_n = n_in + 1 < (int)json_array_size(curve) ? n_in + 1 : (int)json_array_size(curve);
    if (r->curve_n != want_n)
        return s_fail(V->name, "%d curve points, want %d", r->curve_n, want_n);
    for (int k = 0; k < r->curve_n; k++) {
        const rti_point_t *pt = &r->curve[k];
        x = json_array_get(curve, (size_t)k);
        snprintf(ctx, sizeof ctx, "%s/curve[%d]", V->name, k);
        if (s_check(ctx, "v", pt->v, x, "v") || s_check(ctx, "askPV", pt->ask_pv, x, "askPV") ||
            s_check(ctx, "bidPV", pt->bid_pv, x, "bidPV") ||
            s_check(ctx, "midPV", pt->mid_pv, x, "midPV") ||
            s_check(ctx, "midSV", pt->mid_sv, x, "midSV"))
            return -1;
        if ((k < n_in) != json_is_true(json_object_get(x, "in_utilized_depth")))
            return s_fail(ctx, "utilized depth disagrees");
    }
    if ((int)json_array_size(weights) != n_in)
        return s_fail(V->name, "fixture has %zu weights for %d points", json_array_size(weights),
                      n_in);
    json_array_foreach(weights, i, x)
    {
        snprintf(ctx, sizeof ctx, "%s/weight[%zu]", V->name, i);
        if (s_check(ctx, "v", r->curve[i].v, x, "v") ||
            s_check(ctx, "midPV", r->curve[i].mid_pv, x, "midPV") ||
            s_check(ctx, "weight", r->curve[i].weight, x, "weight"))
            return -1;
    }
    if (s_check(V->name, "v_T", r->v_T, in, "utilized_depth_v_T") ||
        s_check(V->name, "lambda", r->lambda, in, "lambda") ||
        s_check(V->name, "NF", r->nf, in, "normalisation_NF"))
        return -1;
    return 0;
}

/* The index against an expected value (null: no value): to 1e-6 $ and to the cent. */
static int s_check_value(const char *ctx, int rc, const rti_result_t *r, json_t *want,
                         json_t *want_rounded)
{
    if (json_is_null(want)) {
        if (rc != -1 || !r->reason || !isnan(r->value))
            return s_fail(ctx, "got %.6f, want no value", r->value);
        return 0;
    }
    if (rc != 0) return s_fail(ctx, "no value (%s), want %.6f", r->reason, json_number_value(want));
    double w = json_number_value(want);
    if (!(fabs(r->value - w) <= 1e-6)) return s_fail(ctx, "index %.9f, want %.9f", r->value, w);
    double wr = want_rounded ? json_number_value(want_rounded) : round(w * 100) / 100;
    if (!(fabs(r->value_rounded - wr) < 0.001))
        return s_fail(ctx, "rounded index %.2f, want %.2f", r->value_rounded, wr);
    return 0;
}

/* The readings the fixtures give under sensitivity_other_interpretations, plus pv_strict and a
 * huge cap multiplier, which must not change anything on these vectors. */
static int s_check_alternatives(const s_vec_t *V, rti_state_t *st, rti_result_t *r)
{
    json_t *alt = json_object_get(V->vec, "sensitivity_other_interpretations"), *want;
    const char *key;
    char ctx[160];
    rti_params_t p;
    if (!json_is_object(alt) || !json_object_size(alt))
        return s_fail(V->name, "no sensitivity_other_interpretations");
    json_object_foreach(alt, key, want)
    {
        p = V->params;
        if (!strcmp(key, "grid_start_0"))
            p.grid_from_zero = 1;
        else if (!strcmp(key, "ped_reference_median_others"))
            p.ped_ref = RTI_PED_MEDIAN_OTHERS;
        else if (!strcmp(key, "stale_threshold_30s"))
            p.stale_s = 30.0;
        else if (!strcmp(key, "no_cap"))
            p.cap_enable = 0;
        else
            return s_fail(V->name, "alternative %s not implemented", key);
        snprintf(ctx, sizeof ctx, "%s/%s", V->name, key);
        int rc = s_run(V, &p, V->venue, V->n, V->now, st, r);
        if (s_check_value(ctx, rc, r, want, NULL)) return -1;
        if (!strcmp(key, "no_cap")) {
            p.cap_enable = 1;
            p.cap_k_sigma = 1e9; /* how the reference expresses "no cap" */
            rc = s_run(V, &p, V->venue, V->n, V->now, st, r);
            if (s_check_value(ctx, rc, r, want, NULL)) return -1;
        }
    }
    json_t *out = json_object_get(V->vec, "output");
    p = V->params;
    p.pv_strict = 1; /* no grid point lies within 0.011 BTC of a level boundary */
    snprintf(ctx, sizeof ctx, "%s/pv_strict", V->name);
    int rc = s_run(V, &p, V->venue, V->n, V->now, st, r);
    return s_check_value(ctx, rc, r, json_object_get(out, "index"),
                         json_object_get(out, "index_rounded"));
}

static int s_check_vector(const s_vec_t *V, rti_state_t *st, rti_result_t *r)
{
    json_t *out = json_object_get(V->vec, "output"), *ex, *e;
    json_t *want = json_object_get(out, "index"), *want_r = json_object_get(out, "index_rounded");
    const char *name;
    char ctx[160];
    if (!want || !want_r) return s_fail(V->name, "no output.index");
    if (s_params_default_match(V->name, &V->params)) return -1;

    int rc = s_run(V, &V->params, V->venue, V->n, V->now, st, r);
    if (s_check_value(V->name, rc, r, want, want_r) || s_check_venues(V, r, st)) return -1;
    if (rc == 0 && s_check_intermediates(V, r)) return -1;

    /* the median proxy: median of the fixture's mids (fresh, uncrossed venues) */
    double mids[RTI_VENUES_MAX];
    int m = 0;
    ex = json_object_get(json_object_get(V->vec, "intermediate"), "exchanges");
    json_object_foreach(ex, name, e)
    {
        if (json_is_number(json_object_get(e, "mid")) && m < RTI_VENUES_MAX)
            mids[m++] = json_number_value(json_object_get(e, "mid"));
    }
    double med = m ? s_median(mids, m) : NAN;
    if (!s_near(r->median_mid, med, 1e-12) ||
        !s_near(rti_median_mid(&V->params, V->venue, V->n, V->now), med, 1e-12))
        return s_fail(V->name, "median mid %.6f, want %.6f", r->median_mid, med);
    json_t *sp = json_object_get(V->vec, "simple_proxies_same_valid_exchanges");
    if (rc == 0 && s_check(V->name, "consolidated top mid", r->top_mid, sp, "consolidated_top_mid"))
        return -1;

    /* the next tick, same books, state carried over: the same exclusions and value */
    if (rc == 0) {
        int flagged = st->n_flagged;
        double v = r->value;
        snprintf(ctx, sizeof ctx, "%s/second tick", V->name);
        if (rti_compute(&V->params, st, V->venue, V->n, V->now, r) != 0 || r->value != v ||
            st->n_flagged != flagged)
            return s_fail(ctx, "result or flags changed with the carried state");
    }
    return s_check_alternatives(V, st, r);
}

/* Cases the fixtures do not cover, built from vector v1's books (value v1). Over 80 lines on
 * purpose: the cases of docs/RTI.md's list ("It also checks cases the vectors do not cover") in
 * its order, and they run in sequence on one set of venues, parameters and flags, each case
 * starting from what the one before left (the locked book's one-level venue is the thin book's,
 * the PED case's two venues are the ties case's), so they are one function. */
static int s_check_robustness(const s_vec_t *V, rti_state_t *st, rti_result_t *r, double v1)
{
    const char *ctx = "robustness";
    rti_params_t p = V->params;
    rti_venue_t ven[RTI_VENUES_MAX + 1];
    rti_level_t lv[RTI_VENUES_MAX][2][16];
    int n = V->n;

    /* venues and levels in reverse order; junk levels that must be ignored */
    static const rti_level_t junk[] = {{NAN, 1},      {-1, 1},           {0, 1},
                                       {100000, 0},   {100000, -2},      {100000, NAN},
                                       {INFINITY, 1}, {100000, INFINITY}};
    int nj = (int)(sizeof junk / sizeof junk[0]);
    for (int i = 0; i < n; i++) {
        const rti_venue_t *src = &V->venue[n - 1 - i];
        ven[i] = *src;
        if (src->n_bids + nj > 16 || src->n_asks + nj > 16) return s_fail(ctx, "book too deep");
        for (int k = 0; k < src->n_bids; k++)
            lv[i][0][k] = src->bids[src->n_bids - 1 - k];
        for (int k = 0; k < src->n_asks; k++)
            lv[i][1][k] = src->asks[src->n_asks - 1 - k];
        for (int k = 0; k < nj; k++)
            lv[i][0][src->n_bids + k] = lv[i][1][src->n_asks + k] = junk[k];
        ven[i].bids = lv[i][0];
        ven[i].n_bids = src->n_bids + nj;
        ven[i].asks = lv[i][1];
        ven[i].n_asks = src->n_asks + nj;
    }
    while (st->n_flagged)
        s_set_flagged(st, st->flagged[0], 0);
    if (rti_compute(&p, st, ven, n, V->now, r) != 0 || !s_near(r->value, v1, 1e-12))
        return s_fail(ctx, "reordered books with junk levels: %.6f, want %.6f", r->value, v1);

    /* every venue flagged before, all within 2.5 %: all come back */
    for (int i = 0; i < n; i++)
        s_set_flagged(st, V->venue[i].name, 1);
    if (rti_compute(&p, st, V->venue, n, V->now, r) != 0 || !s_near(r->value, v1, 1e-12) ||
        st->n_flagged)
        return s_fail(ctx, "re-inclusion of flagged venues failed");

    /* refusals leave the flags alone */
    s_set_flagged(st, "kraken", 1);
    if (rti_compute(&p, st, V->venue, 0, V->now, r) != -1 || strcmp(r->reason, "no venue") ||
        rti_compute(&p, st, NULL, 3, V->now, r) != -1)
        return s_fail(ctx, "no venue accepted");
    for (int i = 0; i <= RTI_VENUES_MAX; i++)
        ven[i] = V->venue[i % n];
    if (rti_compute(&p, st, ven, RTI_VENUES_MAX + 1, V->now, r) != -1 ||
        strcmp(r->reason, "too many venues"))
        return s_fail(ctx, "too many venues accepted");
    rti_params_t bad = p;
    bad.spacing = 0;
    if (rti_compute(&bad, st, V->venue, n, V->now, r) != -1 || strcmp(r->reason, "bad params") ||
        !s_flagged(st, "kraken"))
        return s_fail(ctx, "bad params accepted or flags changed");
    bad = p;
    bad.lambda_factor = NAN;
    if (rti_compute(&bad, st, V->venue, n, V->now, r) != -1)
        return s_fail(ctx, "NaN lambda factor accepted");

    /* everything stale (also a NaN clock) */
    double nows[] = {V->now + 1000, NAN, INFINITY};
    for (int i = 0; i < 3; i++) {
        if (rti_compute(&p, st, V->venue, n, nows[i], r) != -1 ||
            strcmp(r->reason, "no valid venue") || !isnan(r->value) ||
            r->venue[0].status != RTI_VENUE_STALE ||
            !isnan(rti_median_mid(&p, V->venue, n, nows[i])))
            return s_fail(ctx, "stale books gave a value");
    }

    /* an empty side, and a locked book */
    for (int i = 0; i < n; i++)
        ven[i] = V->venue[i];
    ven[0].n_asks = 0;
    ven[1].asks = NULL;
    if (rti_compute(&p, st, ven, n, V->now, r) != 0 || r->venue[0].status != RTI_VENUE_EMPTY ||
        r->venue[1].status != RTI_VENUE_EMPTY || r->n_used != n - 2 || !r->degraded)
        return s_fail(ctx, "empty sides not excluded");
    rti_level_t locked[2] = {{100000, 1}, {100000, 1}};
    ven[0] = V->venue[0];
    ven[0].bids = &locked[0];
    ven[0].n_bids = 1;
    ven[0].asks = &locked[1];
    ven[0].n_asks = 1;
    if (rti_compute(&p, st, ven, 1, V->now, r) != -1 || r->venue[0].status != RTI_VENUE_CROSSED)
        return s_fail(ctx, "locked book not excluded");

    /* thinner than one spacing step: no value, or the top mid with the fallback */
    rti_level_t thin[2] = {{99990, 0.5}, {100010, 0.4}};
    ven[0].bids = &thin[0];
    ven[0].asks = &thin[1];
    if (rti_compute(&p, st, ven, 1, V->now, r) != -1 || strcmp(r->reason, "insufficient depth"))
        return s_fail(ctx, "thin book gave a value");
    p.fallback = RTI_FALLBACK_TOP_MID;
    if (rti_compute(&p, st, ven, 1, V->now, r) != 0 || r->value != 100000 || !r->degraded)
        return s_fail(ctx, "thin book fallback: %.6f", r->value);
    p.fallback = RTI_FALLBACK_NONE;

    /* the PED reference: with two venues 6 % apart, each is 3 % off the median of all but 6 %
     * off the other one */
    rti_level_t two[4] = {{97000, 1}, {97010, 1}, {103000, 1}, {103010, 1}};
    ven[0].bids = &two[0];
    ven[0].asks = &two[1];
    ven[1] = ven[0];
    ven[1].name = "other";
    ven[1].bids = &two[2];
    ven[1].asks = &two[3];
    if (rti_compute(&p, st, ven, 2, V->now, r) != 0 || r->n_used != 2)
        return s_fail(ctx, "median_all: two venues 3 %% off the median excluded");
    p.ped_ref = RTI_PED_MEDIAN_OTHERS;
    if (rti_compute(&p, st, ven, 2, V->now, r) != -1 || st->n_flagged != 2 ||
        !s_near(r->venue[0].ped_ref, 103005, 1e-12))
        return s_fail(ctx, "median_others: two venues 6 %% apart not both flagged");
    p.ped_ref = RTI_PED_MEDIAN_ALL;

    /* equal prices across venues: entries in venue-name order, whatever the input order */
    ven[0].name = "b";
    ven[1] = ven[0];
    ven[1].name = "a";
    if (rti_compute(&p, st, ven, 2, V->now, r) != 0 || r->asks[0].venue != 1 ||
        r->bids[1].venue != 0)
        return s_fail(ctx, "ties not in venue-name order");

    /* cap sample: all 60 orders per side inside the band (never truncated to 50), and one
     * outlier among 119 unit orders: k = 1, trimmed mean 1, winsorized SD 0, so the cap is 1 */
    rti_level_t bids60[60], asks60[60], asks70[70];
    for (int k = 0; k < 60; k++) {
        bids60[k] = (rti_level_t){99999 - k, 1};
        asks60[k] = (rti_level_t){100001 + k, k ? 1 : 1000};
    }
    for (int k = 0; k < 70; k++) /* 10 near the touch, 60 at +20 % */
        asks70[k] = (rti_level_t){100001 + k + (k >= 10 ? 20000 : 0), 1};
    ven[0].bids = bids60;
    ven[0].n_bids = 60;
    ven[0].asks = asks60;
    ven[0].n_asks = 60;
    if (rti_compute(&p, st, ven, 1, V->now, r) != 0 || r->cap_n_ask != 60 || r->cap_n_bid != 60 ||
        r->cap_k != 1 || r->cap != 1.0 || r->n_capped != 1 || !r->asks[0].capped)
        return s_fail(ctx, "cap over 120 orders: n %d+%d k %d cap %g", r->cap_n_ask, r->cap_n_bid,
                      r->cap_k, r->cap);
    /* only 10 asks in the band: the sample extends outward to 50 */
    ven[0].asks = asks70;
    ven[0].n_asks = 70;
    if (rti_compute(&p, st, ven, 1, V->now, r) != 0 || r->cap_n_ask != 50 || r->cap_n_bid != 60 ||
        r->cap_k != 1)
        return s_fail(ctx, "cap sample extension: n %d+%d", r->cap_n_ask, r->cap_n_bid);

    /* cumulative size exactly on a grid point: >= takes that level, pv_strict the next one */
    rti_level_t exact[4] = {{99990, 1}, {99980, 5}, {100010, 1}, {100020, 5}};
    ven[0].bids = &exact[0];
    ven[0].n_bids = 2;
    ven[0].asks = &exact[2];
    ven[0].n_asks = 2;
    if (rti_compute(&p, st, ven, 1, V->now, r) != 0 || r->curve[0].ask_pv != 100010)
        return s_fail(ctx, "askPV(1) with cum >= v");
    p.pv_strict = 1;
    if (rti_compute(&p, st, ven, 1, V->now, r) != 0 || r->curve[0].ask_pv != 100020)
        return s_fail(ctx, "askPV(1) with cum > v");
    return 0;
}

static unsigned long long s_rand(unsigned long long *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

static double s_uni(unsigned long long *x)
{
    return (double)(s_rand(x) >> 11) / 9007199254740992.0;
}

/* Random parameters: the uncertain readings and the cap's minimum sample, drawn from X. */
static void s_random_params(unsigned long long *x, rti_params_t *p)
{
    s_params_default(p);
    p->grid_from_zero = s_rand(x) % 2;
    p->ped_ref = s_rand(x) % 2 ? RTI_PED_MEDIAN_ALL : RTI_PED_MEDIAN_OTHERS;
    p->fallback = s_rand(x) % 2 ? RTI_FALLBACK_NONE : RTI_FALLBACK_TOP_MID;
    p->cap_min_per_side = (long)(s_rand(x) % 8);
}

/* NL levels of one side (ASK or bid) around MID into LV: 1 % deep, one in three of them hostile
 * (NaN, negative, zero, huge or tiny price or size, infinite size, crossed). */
static void s_random_side(unsigned long long *x, double mid, int ask, rti_level_t *lv, int nl)
{
    for (int k = 0; k < nl; k++) {
        double px = mid * (1 + (ask ? 1 : -1) * (1e-5 + s_uni(x) * 0.01));
        double sz = s_uni(x) * 5;
        switch (s_rand(x) % 24) {
        case 0:
            px = NAN;
            break;
        case 1:
            sz = -sz;
            break;
        case 2:
            sz = 0;
            break;
        case 3:
            sz = 1e300;
            break;
        case 4:
            px = 1e300;
            break;
        case 5:
            sz = 1e-300;
            break;
        case 6:
            px = 1e-300;
            break;
        case 7:
            sz = INFINITY;
            break;
        case 8:
            px = mid * (ask ? 0.999 : 1.001);
            break; /* crossed */
        }
        lv[k] = (rti_level_t){px, sz};
    }
}

/* 1 to 5 random venues into VEN (levels in LV), retrieved up to 12 s before t = 1000; returns
 * how many. */
static int s_random_venues(unsigned long long *x, rti_venue_t *ven, rti_level_t lv[5][2][12])
{
    static const char *names[] = {"a", "b", "c", "d", "e"};
    int n = 1 + (int)(s_rand(x) % 5);
    for (int i = 0; i < n; i++) {
        ven[i].name = names[i];
        ven[i].time_s = 1000 - s_uni(x) * 12;
        /* venues mostly within 1 % of each other, some 10 % off; 1 % deep books */
        double mid = 100000 * (1 + (s_uni(x) - 0.5) * (s_rand(x) % 4 ? 0.02 : 0.2));
        for (int s = 0; s < 2; s++) {
            int nl = (int)(s_rand(x) % 12);
            s_random_side(x, mid, s, lv[i][s], nl);
            if (s) {
                ven[i].asks = lv[i][s];
                ven[i].n_asks = nl;
            } else {
                ven[i].bids = lv[i][s];
                ven[i].n_bids = nl;
            }
        }
    }
    return n;
}

/* Iteration IT's result: a refusal must say why and give no value; a value must lie within the
 * prices of the entries used. Returns 0, or -1 (printed). */
static int s_check_random_result(int it, int rc, const rti_result_t *r)
{
    if (rc == -1) {
        if (!r->reason || !isnan(r->value)) return s_fail("random", "failure without a reason");
        return 0;
    }
    double lo = INFINITY, hi = -INFINITY;
    for (int i = 0; i < r->n_ask_entries; i++) {
        lo = fmin(lo, r->asks[i].price);
        hi = fmax(hi, r->asks[i].price);
    }
    for (int i = 0; i < r->n_bid_entries; i++) {
        lo = fmin(lo, r->bids[i].price);
        hi = fmax(hi, r->bids[i].price);
    }
    if (rc != 0 || !isfinite(r->value) || r->value < lo * (1 - 1e-12) ||
        r->value > hi * (1 + 1e-12))
        return s_fail("random", "iteration %d: value %.6f outside [%g, %g]", it, r->value, lo,
                      hi);
    return 0;
}

/* Random books with hostile values: no crash, and a value inside the prices used. */
static int s_check_random(rti_state_t *st, rti_result_t *r)
{
    unsigned long long x = 88172645463325252ULL;
    rti_venue_t ven[5];
    rti_level_t lv[5][2][12];
    for (int it = 0; it < 3000; it++) {
        rti_params_t p;
        s_random_params(&x, &p);
        int n = s_random_venues(&x, ven, lv);
        int rc = rti_compute(&p, st, ven, n, 1000, r);
        if (s_check_random_result(it, rc, r)) return -1;
    }
    return 0;
}

int rti_test(void)
{
    const char *fixtures_dir = getenv("TICKBUS_FIXTURES");
    if (!fixtures_dir) fixtures_dir = "tests/fixtures";
    char path[4096];
    json_error_t jerr;
    rti_state_t *st = rti_state_new();
    rti_result_t *r = malloc(sizeof *r);
    s_vec_t V = {0};
    json_t *root = NULL, *vec;
    size_t i;
    int rc = -1;
    double v1 = NAN;

    if (!r) goto cleanup;
    if (snprintf(path, sizeof path, "%s/brti/worked-example.json", fixtures_dir) >=
        (int)sizeof path) {
        s_fail("load", "path too long");
        goto cleanup;
    }
    root = json_load_file(path, 0, &jerr);
    if (!root) {
        s_fail("load", "%s: %s (line %d)", path, jerr.text, jerr.line);
        goto cleanup;
    }
    json_t *vectors = json_object_get(root, "vectors");
    if (json_array_size(vectors) < 4) {
        s_fail("load", "%s: expected at least 4 vectors", path);
        goto cleanup;
    }
    json_array_foreach(vectors, i, vec)
    {
        if (s_vec_load(vec, &V) || s_check_vector(&V, st, r)) goto cleanup;
        if (i == 0) {
            v1 = json_number_value(json_object_get(json_object_get(vec, "output"), "index"));
            if (s_check_robustness(&V, st, r, v1)) goto cleanup;
        }
        s_vec_free(&V);
    }
    if (s_check_random(st, r)) goto cleanup;
    rc = 0;
cleanup:
    s_vec_free(&V);
    json_decref(root);
    free(r);
    rti_state_destroy(&st);
    return rc;
}
