/* rti: re-computes CF Benchmarks' Real Time Index (BRTI) from the venues' order books, as we read
 * the public methodology (docs/RTI.md), plus the median-of-mids proxy of the old Go collector.
 * The aggregator calls rti_compute() once per tick; rti_test() checks it against the worked
 * vectors in tests/fixtures/brti/. Pure computation: no I/O outside the self-test. */
#include "rti.h"

#include <assert.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Tolerances of the reference implementation: a cumulative size "reaches" v within VOL_EPS, and
 * midSV <= D is tested with SV_EPS of slack, so ulp noise cannot move v_T. */
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
    while (n < need) n *= 2;
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
        for (; j > 0 && a[j - 1] > x; j--) a[j] = a[j - 1];
        a[j] = x;
    }
    return n % 2 ? a[n / 2] : (a[n / 2 - 1] + a[n / 2]) / 2;
}

static int s_params_ok(const rti_params_t *p)
{
    return isfinite(p->spacing) && p->spacing > 0 && isfinite(p->deviation) && p->deviation >= 0
           && isfinite(p->lambda_factor) && p->lambda_factor > 0 && !isnan(p->stale_s)
           && isfinite(p->ped) && p->ped >= 0 && isfinite(p->ped_reinclude)
           && p->ped_reinclude >= 0
           && (p->ped_ref == RTI_PED_MEDIAN_ALL || p->ped_ref == RTI_PED_MEDIAN_OTHERS)
           && isfinite(p->cap_band) && p->cap_band >= 0 && p->cap_min_per_side >= 0
           && isfinite(p->cap_trim) && p->cap_trim >= 0 && p->cap_trim < 0.5
           && !isnan(p->cap_k_sigma) && p->cap_k_sigma >= 0 && p->cap_ddof >= 0
           && p->decimals >= 0 && p->decimals <= 9
           && (p->fallback == RTI_FALLBACK_NONE || p->fallback == RTI_FALLBACK_TOP_MID)
           && p->max_grid_points >= 1;
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
            while (i < mid && j < hi) tmp[k++] = s_before(&e[j], &e[i], desc) ? e[j++] : e[i++];
            while (i < mid) tmp[k++] = e[i++];
            while (j < hi) tmp[k++] = e[j++];
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
    while (inside < n && (desc ? e[inside].price >= limit : e[inside].price <= limit)) inside++;
    if (inside >= p->cap_min_per_side) return inside;
    /* extend outward to the minimum, never truncate below what lies in the band */
    return p->cap_min_per_side < n ? p->cap_min_per_side : n;
}

/* Step 5: the dynamic order size cap over the near-touch sizes of both sides. */
static void s_cap(const rti_params_t *p, rti_state_t *st, rti_result_t *out)
{
    int na = s_sample_count(out->asks, out->n_ask_entries, 0, p);
    int nb = s_sample_count(out->bids, out->n_bid_entries, 1, p);
    int n = na + nb;
    double *S = st->sample = s_grow(st->sample, &st->sample_cap, (size_t)n, sizeof *S);
    for (int i = 0; i < na; i++) S[i] = out->asks[i].size;
    for (int i = 0; i < nb; i++) S[na + i] = out->bids[i].size;
    qsort(S, (size_t)n, sizeof *S, s_cmp_double);

    int k = (int)floor(p->cap_trim * n);
    int lo = n - 2 * k > 0 ? k : 0, hi = n - 2 * k > 0 ? n - k : n;
    double sum = 0;
    for (int i = lo; i < hi; i++) sum += S[i];
    double tmean = sum / (hi - lo);
    double wsum = 0, ss = 0;
    for (int i = 0; i < n; i++) wsum += i < k ? S[k] : i >= n - k ? S[n - k - 1] : S[i];
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

/* Advance one side's walk to the first entry whose cumulative size reaches v. */
static int s_reach(const rti_entry_t *e, int n, int *i, double *cum, double v, int strict)
{
    while (strict ? !(*cum > v + VOL_EPS) : !(*cum >= v - VOL_EPS)) {
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
    out->grid_points = bounded ? p->max_grid_points : (int)g;

    int ia = 0, ib = 0, rows = 0, last_in = -1;
    double ca = A[0].size, cb = B[0].size;
    for (int i = 1; i <= out->grid_points; i++) {
        double v = i * s;
        if (!s_reach(A, na, &ia, &ca, v, p->pv_strict) || !s_reach(B, nb, &ib, &cb, v, p->pv_strict))
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

void rti_params_default(rti_params_t *p)
{
    *p = (rti_params_t){
        .spacing = 1.0,
        .deviation = 0.005,
        .lambda_factor = 0.3,
        .grid_from_zero = 0,
        .pv_strict = 0,
        .stale_s = 10.0,
        .ped = 0.05,
        .ped_reinclude = 0.5,
        .ped_ref = RTI_PED_MEDIAN_ALL,
        .cap_enable = 1,
        .cap_band = 0.05,
        .cap_min_per_side = 50,
        .cap_trim = 0.01,
        .cap_k_sigma = 5.0,
        .cap_ddof = 1,
        .decimals = 2,
        .fallback = RTI_FALLBACK_NONE,
        .min_venues = 3,
        .max_grid_points = 100000,
    };
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

int rti_state_flagged(const rti_state_t *st, const char *name)
{
    assert(st);
    for (int i = 0; i < st->n_flagged; i++)
        if (!s_name_cmp(st->flagged[i], name)) return 1;
    return 0;
}

int rti_state_set_flagged(rti_state_t *st, const char *name, int flagged)
{
    assert(st);
    for (int i = 0; i < st->n_flagged; i++)
        if (!s_name_cmp(st->flagged[i], name)) {
            if (!flagged) memcpy(st->flagged[i], st->flagged[--st->n_flagged], RTI_NAME_MAX);
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
    case RTI_VENUE_OK: return "ok";
    case RTI_VENUE_STALE: return "stale";
    case RTI_VENUE_EMPTY: return "empty";
    case RTI_VENUE_CROSSED: return "crossed";
    case RTI_VENUE_ERRONEOUS: return "erroneous";
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

    /* steps 1-2 */
    double mids[RTI_VENUES_MAX], tmp[RTI_VENUES_MAX];
    int cand[RTI_VENUES_MAX], nc = 0;
    long long levels = 0;
    for (int i = 0; i < n; i++) {
        s_screen_t s = s_screen(p, &venues[i], now_s);
        rti_venue_result_t *r = &out->venue[i];
        r->name = s_name(venues[i].name);
        r->status = s.status;
        r->was_flagged = rti_state_flagged(st, r->name);
        r->n_bids = s.n_bids;
        r->n_asks = s.n_asks;
        r->age_s = s.age;
        r->best_bid = s.best_bid;
        r->best_ask = s.best_ask;
        r->mid = r->ped_ref = r->ped_dev = NAN;
        if (s.status == RTI_VENUE_OK) {
            r->mid = mids[nc] = (s.best_bid + s.best_ask) / 2;
            cand[nc++] = i;
            levels += s.n_bids > s.n_asks ? s.n_bids : s.n_asks;
        }
    }
    if (levels > LEVELS_MAX) {
        out->reason = "too many levels";
        return -1;
    }
    if (nc) {
        memcpy(tmp, mids, (size_t)nc * sizeof *tmp);
        out->median_mid = s_median(tmp, nc);
    }

    /* step 3: potentially erroneous data, with hysteresis; the flag set is replaced */
    int valid[RTI_VENUES_MAX], nv = 0;
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
        int excluded = r->was_flagged ? !(r->ped_dev < p->ped_reinclude * p->ped)
                                      : !(r->ped_dev <= p->ped);
        if (excluded) {
            r->status = RTI_VENUE_ERRONEOUS;
            r->flagged = 1;
            rti_state_set_flagged(st, r->name, 1);
        } else
            valid[nv++] = cand[c];
    }
    out->n_used = nv;
    if (!nv) {
        out->reason = "no valid venue";
        return -1;
    }
    if (nv < p->min_venues) out->degraded = 1;

    /* step 4: consolidated book, one entry per venue level, venues in name order */
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

    /* step 5: cap every entry */
    s_cap(p, st, out);
    out->depth_ask = out->depth_bid = 0;
    for (int i = 0; i < na; i++) {
        if (st->asks[i].size > out->cap) {
            st->asks[i].size = out->cap;
            st->asks[i].capped = 1;
            out->n_capped++;
        }
        out->depth_ask += st->asks[i].size;
    }
    for (int i = 0; i < nb; i++) {
        if (st->bids[i].size > out->cap) {
            st->bids[i].size = out->cap;
            st->bids[i].capped = 1;
            out->n_capped++;
        }
        out->depth_bid += st->bids[i].size;
    }

    /* steps 6-9 */
    if (s_index(p, st, out) < 0) return -1;
    if (!isfinite(out->value)) {
        out->value = NAN;
        out->reason = "non-finite result";
        return -1;
    }
    double scale = pow(10, p->decimals);
    out->value_rounded = round(out->value * scale) / scale;
    return 0;
}
