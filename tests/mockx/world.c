/* world: mockx's simulated market. A seeded random walk of the latent BTC price
 * (100 ms steps), the per-second BRTI the Kalshi side relays (latent + noise, so
 * the aggregator's proxy error is measured, not zero by construction), and
 * venue books that follow the latent price one small change at a time. */
#include "mx.h"
#include "mx_world.h"

#include "clock.h"
#include "log.h"
#include "util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

/* ---- helpers ---- */

char *mx_fix(char *buf, int64_t v, int scale)
{
    char t[48], *p = t + sizeof t;
    int neg = v < 0;
    uint64_t u = neg ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    *--p = '\0';
    for (int i = 0; i < scale; i++) {
        *--p = (char)('0' + u % 10);
        u /= 10;
    }
    if (scale > 0) *--p = '.';
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (neg) *--p = '-';
    strcpy(buf, p);
    return buf;
}

char *mx_fix_trim(char *buf, int64_t v, int scale)
{
    mx_fix(buf, v, scale);
    if (scale <= 0) return buf;
    size_t n = strlen(buf);
    while (buf[n - 1] == '0') buf[--n] = '\0';
    if (buf[n - 1] == '.') buf[n - 1] = '\0';
    return buf;
}

jw_t *mx_jw(void)
{
    static jw_t w;
    if (!w.buf) jw_init(&w, 1 << 16);
    jw_reset(&w);
    return &w;
}

static void s_iso(int64_t ns, char *buf, size_t n, int digits)
{
    time_t s = (time_t)(ns / NS_PER_S);
    long frac = (long)(ns % NS_PER_S);
    struct tm tm;
    gmtime_r(&s, &tm);
    char f[16];
    if (digits == 6) snprintf(f, sizeof f, "%06ld", frac / 1000);
    else snprintf(f, sizeof f, "%09ld", frac);
    snprintf(buf, n, "%04d-%02d-%02dT%02d:%02d:%02d.%sZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, f);
}
void mx_iso_us(int64_t ns, char *buf, size_t n) { s_iso(ns, buf, n, 6); }
void mx_iso_ns(int64_t ns, char *buf, size_t n) { s_iso(ns, buf, n, 9); }

uint64_t mx_rand(uint64_t *s)
{
    /* splitmix64: small, seedable, good enough for a simulation */
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
double mx_urand(uint64_t *s) { return (double)(mx_rand(s) >> 11) * (1.0 / 9007199254740992.0); }
double mx_grand(uint64_t *s)
{
    double u1 = mx_urand(s), u2 = mx_urand(s);
    if (u1 < 1e-300) u1 = 1e-300;
    return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}
int64_t mx_now_ns(void) { return clock_real_ns(); }

/* ---- latent price and BRTI history ---- */

#define HIST 8192
static struct {
    uint64_t rng, seed;
    double latent;
    int64_t step_ns; /* time of the current latent value (100 ms grid) */
    double brti[HIST];
    int64_t brti_sec[HIST];
    double ago[64]; /* the latent price of the last 64 steps (6.4 s), by step number */
    int64_t last_sec;
    lws_sorted_usec_list_t sul;
    int running;
    /* the other assets (index 1..): their own walks, drawn from their own generator so
     * that BTC's path for a seed is what it always was */
    uint64_t arng;
    double alat[MX_ASSETS], aago[MX_ASSETS][64], aidx[MX_ASSETS][HIST];
    int64_t aidx_sec[MX_ASSETS][HIST];
} W;

/* The assets of the world: BTC is the walk above; each other one follows BTC's return with
 * BETA plus its own noise (IDIO, relative, per 100 ms step), from START (USD). Its index is
 * printed with DEC decimals. mockx's choices, not measured. */
static const struct {
    const char *name;
    double start, beta, idio;
    int dec;
} s_assets[MX_ASSETS] = {
    {"BTC", 97000.0, 1.0, 0.0, 2},
    {"ETH", 3500.0, 1.1, 1.5e-5, 2},
    {"SOL", 200.0, 1.2, 2.5e-5, 3},
    {"DOGE", 0.35, 1.3, 3.0e-5, 5},
};

int mx_asset_find(const char *name)
{
    for (int a = 0; a < MX_ASSETS; a++)
        if (!strcmp(s_assets[a].name, name)) return a;
    return -1;
}

const char *mx_asset_name(int a) { return a >= 0 && a < MX_ASSETS ? s_assets[a].name : "?"; }
int mx_asset_decimals(int a) { return a >= 0 && a < MX_ASSETS ? s_assets[a].dec : 2; }

void (*mx_world_tick_hook)(int64_t now_ns, int new_second);

#define STEP_NS (100 * NS_PER_MS)
/* about 50 %/year: ~$8.6 per second around 97k, i.e. sqrt(10) less per 100 ms */
#define SIGMA_STEP 2.7

static double s_noise(int64_t sec)
{
    uint64_t h = W.seed ^ ((uint64_t)sec * 0xD1B54A32D192ED03ull);
    return 0.35 * mx_grand(&h);
}

static void s_record_second(int64_t sec)
{
    int i = (int)(sec % HIST);
    W.brti[i] = round((W.latent + s_noise(sec)) * 100.0) / 100.0;
    W.brti_sec[i] = sec;
    W.last_sec = sec;
    for (int a = 1; a < MX_ASSETS; a++) {
        /* the same relative noise as BTC's index, at the asset's own precision */
        double p10 = pow(10, s_assets[a].dec);
        double v = W.alat[a] * (1 + s_noise(sec ^ (int64_t)(a * 7919)) / 97000.0);
        W.aidx[a][i] = round(v * p10) / p10;
        W.aidx_sec[a][i] = sec;
    }
}

/* ---- activity: the world's level over time (--activity) ---- */

typedef struct {
    double from, to, level; /* seconds since start */
} act_seg_t;
static struct {
    act_seg_t *v;
    int n, cap, busy; /* busy: the last segment was a busy one */
    uint64_t rng;
} A;

static double s_uniform(double lo, double hi) { return lo + (hi - lo) * mx_urand(&A.rng); }

/* Make segments until the schedule covers T. Each is logged once (info), so a run's quiet
 * spells can be read back from mockx's stderr. */
static void s_act_cover(double t)
{
    while (!A.n || A.v[A.n - 1].to <= t) {
        if (A.n == A.cap) {
            A.cap = A.cap ? 2 * A.cap : 64;
            A.v = xrealloc(A.v, (size_t)A.cap * sizeof *A.v);
        }
        double from = A.n ? A.v[A.n - 1].to : 0, len, level;
        if (mx.activity == MX_ACT_LIVE) {
            /* normal trading for a few minutes, then a quiet spell */
            int quiet = A.n % 2 == 1;
            len = quiet ? s_uniform(30, 180) : A.n == 0 ? s_uniform(60, 180) : s_uniform(90, 300);
            level = quiet ? s_uniform(0.02, 0.10) : 1.0;
        } else {
            /* night: thin trading, now and then a short busier burst */
            int busy = !A.busy && A.n > 0 && mx_urand(&A.rng) < 0.35;
            A.busy = busy;
            len = busy ? s_uniform(3, 15) : s_uniform(20, 120);
            level = busy ? s_uniform(0.3, 1.0) : s_uniform(0.02, 0.10);
        }
        A.v[A.n++] = (act_seg_t){from, from + len, level};
        log_info("activity segment from=%.1fs to=%.1fs level=%.3f", from, from + len, level);
    }
}

static const act_seg_t *s_act_seg(double t)
{
    s_act_cover(t);
    int lo = 0, hi = A.n - 1; /* the last segment with from <= t */
    while (lo < hi) {
        int mid = (lo + hi + 1) / 2;
        if (A.v[mid].from <= t) lo = mid;
        else hi = mid - 1;
    }
    return &A.v[lo];
}

double mx_activity_level(double t_s)
{
    if (mx.activity == MX_ACT_STEADY || t_s < 0) return 1.0;
    return s_act_seg(t_s)->level;
}

double mx_activity_after(double t_s, double work_s)
{
    if (t_s < 0) t_s = 0;
    if (mx.activity == MX_ACT_STEADY) return t_s + work_s;
    for (;;) {
        const act_seg_t *g = s_act_seg(t_s);
        double room = (g->to - t_s) * g->level;
        if (room >= work_s) return t_s + work_s / g->level;
        work_s -= room;
        t_s = g->to;
    }
}

double mx_since_start(void) { return (double)(clock_mono_ns() - mx.start_mono_ns) / 1e9; }

/* Advance the walk to NOW, recording every second boundary passed. */
static int s_advance(int64_t now)
{
    int new_second = 0;
    while (W.step_ns + STEP_NS <= now) {
        W.step_ns += STEP_NS;
        double sigma = SIGMA_STEP;
        /* a quiet market moves less too (steady: exactly as before) */
        if (mx.activity != MX_ACT_STEADY)
            sigma *= sqrt(mx_activity_level((double)(W.step_ns - mx.start_ns) / 1e9));
        double before = W.latent;
        W.latent += sigma * mx_grand(&W.rng);
        /* a weak pull back toward the start keeps hour-long runs in a sane range */
        W.latent += (97000.0 - W.latent) * 1e-5;
        W.ago[(W.step_ns / STEP_NS) % 64] = W.latent;
        double ret = W.latent / before - 1;
        for (int a = 1; a < MX_ASSETS; a++) {
            double idio = s_assets[a].idio * sigma / SIGMA_STEP * mx_grand(&W.arng);
            W.alat[a] *= 1 + s_assets[a].beta * ret + idio;
            W.alat[a] += (s_assets[a].start - W.alat[a]) * 1e-5;
            W.aago[a][(W.step_ns / STEP_NS) % 64] = W.alat[a];
        }
        if (W.step_ns % NS_PER_S == 0) {
            s_record_second(W.step_ns / NS_PER_S);
            new_second = 1;
        }
    }
    return new_second;
}

void mx_world_init(long seed, long window_s)
{
    memset(&W, 0, sizeof W);
    free(A.v);
    memset(&A, 0, sizeof A);
    A.rng = (uint64_t)seed * 0x9E3779B97F4A7C15ull + 0xAC7;
    W.seed = (uint64_t)seed * 0x2545F4914F6CDD1Dull + 1;
    W.rng = W.seed;
    W.latent = 97000.0 + 500.0 * (mx_urand(&W.rng) - 0.5);
    W.arng = W.seed ^ 0xA55E75ull;
    for (int a = 1; a < MX_ASSETS; a++)
        W.alat[a] = s_assets[a].start * (1 + 0.005 * (mx_urand(&W.arng) - 0.5));
    int64_t now = mx_now_ns();
    int64_t s = now / NS_PER_S;
    /* history from two windows (or at least 3 minutes) back, so the current
     * window's floor_strike (the 60 s before its open) is known at once */
    int64_t back = 2 * window_s + 180;
    if (back > HIST - 100) back = HIST - 100;
    int64_t t0 = (s / window_s) * window_s - back;
    W.step_ns = t0 * NS_PER_S;
    s_record_second(t0);
    s_advance(now);
}

double mx_latent(void) { return W.latent; }
double mx_latent_a(int a) { return a <= 0 || a >= MX_ASSETS ? W.latent : W.alat[a]; }

/* Asset A's latent price STEPS steps (100 ms each, < 64) ago; the current one if not known yet. */
static double s_latent_ago(int a, int steps)
{
    double now = mx_latent_a(a);
    if (steps <= 0 || steps >= 64) return now;
    int64_t k = ((W.step_ns / STEP_NS) - steps) % 64;
    double v = a <= 0 || a >= MX_ASSETS ? W.ago[k] : W.aago[a][k];
    return v > 0 ? v : now;
}

double mx_brti(int64_t s) { return mx_index(0, s); }

double mx_index(int a, int64_t s)
{
    int i = (int)(s % HIST);
    if (a <= 0 || a >= MX_ASSETS) {
        if (s < 0 || W.brti_sec[i] != s) return NAN;
        return W.brti[i];
    }
    if (s < 0 || W.aidx_sec[a][i] != s) return NAN;
    return W.aidx[a][i];
}

int mx_brti_avg(int64_t end, int n, double *avg) { return mx_index_avg(0, end, n, avg); }

int mx_index_avg(int a, int64_t end, int n, double *avg)
{
    double sum = 0;
    int k = 0;
    for (int64_t s = end - n + 1; s <= end; s++) { /* (end - n, end]: Kalshi's window */
        double v = mx_index(a, s);
        if (!isnan(v)) {
            sum += v;
            k++;
        }
    }
    *avg = k ? sum / k : NAN;
    return k;
}

static void s_tick(lws_sorted_usec_list_t *sul)
{
    (void)sul;
    int64_t now = mx_now_ns();
    int ns = s_advance(now);
    if (mx_world_tick_hook) mx_world_tick_hook(now, ns);
    if (W.running) {
        int64_t next = W.step_ns + STEP_NS - mx_now_ns();
        if (next < 1000 * 1000) next = 1000 * 1000;
        lws_sul_schedule(mx.ctx, 0, &W.sul, s_tick, next / 1000);
    }
}

void mx_world_start(void)
{
    W.running = 1;
    lws_sul_schedule(mx.ctx, 0, &W.sul, s_tick, 1000);
}

void mx_world_stop(void)
{
    W.running = 0;
    lws_sul_cancel(&W.sul);
    free(A.v);
    memset(&A, 0, sizeof A);
}

/* ---- venue books ---- */

/* Each venue's book follows the latent price with its own offset (bias, USD), delay (steps of
 * 100 ms: its traders see the price a little late) and noise (a slow random deviation, its
 * standard deviation in USD), all mockx's choices, not measured on the venues. */
static const struct {
    int ps, qs;
    int64_t tick, gap_max;
    double qty_mean, bias;
    int depth, delay;
    double noise_sd;
} s_vb[MX_NVENUES] = {
    [MX_COINBASE] = {2, 8, 1, 80, 0.35, 0.0, 1000, 0, 1.0},
    [MX_KRAKEN] = {1, 8, 1, 8, 0.6, 1.8, 1100, 3, 1.5},
    [MX_BITSTAMP] = {0, 8, 1, 3, 0.5, -2.5, 400, 5, 2.0},
    [MX_KALSHI] = {2, 8, 1, 10, 0.5, 0.0, 100, 0, 0.0},
    [MX_GEMINI] = {2, 8, 1, 40, 0.3, 0.9, 300, 2, 1.5},
    [MX_CRYPTOCOM] = {2, 5, 1, 20, 0.2, -0.7, 150, 1, 1.5},
};

static int64_t s_pow10(int n)
{
    int64_t p = 1;
    while (n-- > 0) p *= 10;
    return p;
}

static int64_t s_rand_qty(mx_vbook_t *b, uint64_t *rng, int idx)
{
    /* exponential size, larger further from the touch; at least one lot of 1e-5 */
    double mean = (double)b->qty_mean * (1.0 + idx / 150.0);
    double q = -log(1.0 - mx_urand(rng)) * mean;
    int64_t lot = s_pow10(b->qs - 5);
    int64_t v = (int64_t)q / lot * lot;
    return v < lot ? lot : v;
}

/* target mid in price units */
static int64_t s_target(const mx_vbook_t *b)
{
    return (int64_t)llround((s_latent_ago(b->asset, b->delay) + (b->bias + b->noise) * b->scale) *
                            (double)s_pow10(b->ps));
}

static void s_track(mx_vbook_t *b, int side, int64_t px, int64_t qty)
{
    if (!b->track) return;
    for (int i = 0; i < b->nchg; i++)
        if (b->chg[i].side == side && b->chg[i].px == px) {
            b->chg[i].qty = qty;
            return;
        }
    if (b->nchg < (int)ARRAY_LEN(b->chg)) b->chg[b->nchg++] = (mx_chg_t){side, px, qty};
}

/* better(side, a, b): a is nearer the touch than b */
static int s_better(int side, int64_t a, int64_t b) { return side == 0 ? a > b : a < b; }

static void s_set(mx_vbook_t *b, int side, int64_t px, int64_t qty)
{
    mx_lvl_t *l = b->side[side];
    int n = b->n[side], i = 0;
    while (i < n && s_better(side, l[i].px, px)) i++;
    if (i < 3) b->bbo_moved = 1;
    if (i < n && l[i].px == px) {
        if (qty > 0) l[i].qty = qty;
        else {
            memmove(l + i, l + i + 1, (size_t)(n - i - 1) * sizeof *l);
            b->n[side]--;
        }
    } else if (qty > 0) {
        if (n == MX_MAXL) return;
        memmove(l + i + 1, l + i, (size_t)(n - i) * sizeof *l);
        l[i] = (mx_lvl_t){px, qty};
        b->n[side]++;
    } else {
        return;
    }
    s_track(b, side, px, qty);
}

mx_vbook_t *mx_vbook_new(int venue, uint64_t *rng) { return mx_vbook_new_asset(venue, 0, rng); }

mx_vbook_t *mx_vbook_new_asset(int venue, int asset, uint64_t *rng)
{
    mx_vbook_t *b = xcalloc(1, sizeof *b);
    if (asset < 0 || asset >= MX_ASSETS) asset = 0;
    b->asset = asset;
    /* another asset: the BTC book's shape at its price (USD offsets times the price ratio,
     * the same relative spacing, sizes worth about as much), at the asset's decimals */
    b->scale = asset ? s_assets[asset].start / s_assets[0].start : 1.0;
    b->ps = asset ? s_assets[asset].dec : s_vb[venue].ps;
    b->qs = s_vb[venue].qs;
    b->tick = s_vb[venue].tick;
    b->gap_max = s_vb[venue].gap_max;
    if (asset) {
        double usd = (double)(s_vb[venue].gap_max * s_vb[venue].tick) / (double)s_pow10(s_vb[venue].ps);
        b->gap_max = (int64_t)llround(usd * b->scale * (double)s_pow10(b->ps));
        if (b->gap_max < 1) b->gap_max = 1;
        if (b->qs < 2) b->qs = 2;
    }
    b->qty_mean = (int64_t)(s_vb[venue].qty_mean / b->scale * (double)s_pow10(b->qs));
    b->bias = s_vb[venue].bias;
    b->depth = s_vb[venue].depth;
    b->delay = s_vb[venue].delay;
    b->noise_sd = s_vb[venue].noise_sd;
    int64_t mid = s_target(b);
    int64_t half = b->tick * (1 + (int64_t)(mx_urand(rng) * 3));
    int64_t px = mid - half;
    for (int i = 0; i < b->depth; i++) {
        b->side[0][i] = (mx_lvl_t){px, s_rand_qty(b, rng, i)};
        px -= b->tick * (1 + (int64_t)(mx_urand(rng) * (double)b->gap_max));
    }
    px = mid + half;
    if (px <= b->side[0][0].px) px = b->side[0][0].px + b->tick;
    for (int i = 0; i < b->depth; i++) {
        b->side[1][i] = (mx_lvl_t){px, s_rand_qty(b, rng, i)};
        px += b->tick * (1 + (int64_t)(mx_urand(rng) * (double)b->gap_max));
    }
    b->n[0] = b->n[1] = b->depth;
    b->last_px = mid;
    b->last_qty = b->qty_mean / 10;
    b->vol24 = 1500 + 500 * mx_urand(rng);
    return b;
}

void mx_vbook_destroy(mx_vbook_t **p)
{
    if (!p || !*p) return;
    free(*p);
    *p = NULL;
}

static int s_geo(uint64_t *rng, int n, double p)
{
    int i = 0;
    while (i < n - 1 && mx_urand(rng) > p) i++;
    return i;
}

/* The side O's touch moves toward NP (the price moved away from it): the levels a book keeps
 * between its old touch and NP are placed too, at its usual spacing (up to 50 in one message),
 * so the depth near the touch stays what it was: a book whose only new level is its touch has
 * a hole where the volume-weighted depth the index reads should be. */
static void s_fill_toward(mx_vbook_t *b, uint64_t *rng, int o, int64_t np)
{
    int64_t dir = o ? -1 : 1; /* bids fill upward, asks downward */
    int64_t px = b->n[o] ? b->side[o][0].px : np - dir * b->tick;
    int64_t lv[50];
    int k = 0;
    for (;;) {
        px += dir * b->tick * (1 + (int64_t)(mx_urand(rng) * (double)b->gap_max));
        if (k == 50 || (o ? px <= np : px >= np)) break;
        lv[k++] = px;
    }
    /* room for them: the far end gives way (a full side refuses new levels) */
    while (b->n[o] > 0 && b->n[o] + k + 1 > MX_MAXL) s_set(b, o, b->side[o][b->n[o] - 1].px, 0);
    /* the nearest ones first, so a full batch reaches NP */
    for (int i = 0; i < k; i++) s_set(b, o, lv[i], s_rand_qty(b, rng, k - i));
    s_set(b, o, np, s_rand_qty(b, rng, 0));
}

/* ADD levels placed beyond SIDE's far end at the book's usual spacing: one now and then, or
 * as many as the price's moves ate. */
static void s_refill(mx_vbook_t *b, uint64_t *rng, int side, int add)
{
    mx_lvl_t *l = b->side[side];
    for (int k = 0; k < add && b->n[side] > 0; k++) {
        int64_t px = l[b->n[side] - 1].px +
                     (side ? 1 : -1) * b->tick * (1 + (int64_t)(mx_urand(rng) * (double)b->gap_max));
        s_set(b, side, px, s_rand_qty(b, rng, b->n[side]));
    }
}

void mx_vbook_step(mx_vbook_t *b, uint64_t *rng)
{
    /* the venue's own slow deviation (AR(1), stationary sd noise_sd) */
    b->noise = 0.995 * b->noise + b->noise_sd * 0.1 * mx_grand(rng);
    int64_t m = s_target(b);
    mx_lvl_t *bid = b->side[0], *ask = b->side[1];
    /* follow the latent price: the side that crossed it gives way (several
     * levels in one message when the price jumped) */
    for (int s = 0; s < 2; s++) {
        mx_lvl_t *l = b->side[s];
        int crossed = 0;
        while (b->n[s] > 10 && crossed < 50 && (s ? l[0].px <= m : l[0].px >= m)) {
            s_set(b, s, l[0].px, 0);
            crossed++;
        }
        if (!crossed) continue;
        /* the other side moves up to the price */
        int o = !s;
        int64_t np = m + (s ? -1 : 1) * b->tick * (int64_t)(mx_urand(rng) * 2);
        if (s ? np >= l[0].px : np <= l[0].px) np = l[0].px + (s ? -1 : 1) * b->tick;
        if (s_better(o, np, b->side[o][0].px)) s_fill_toward(b, rng, o, np);
        /* new orders behind what the price ate: the side keeps its depth (a fast move through
         * a dense side would leave fewer levels than a client's depth: Crypto.com's 50) */
        if (b->n[s] < b->depth - 20) s_refill(b, rng, s, b->depth - 20 - b->n[s]);
        (void)bid;
        (void)ask;
        return;
    }
    /* keep the spread tight: the touch farther from the price moves in */
    int64_t spread_max = b->tick * (b->gap_max / 2 + 2);
    if (b->n[0] && b->n[1] && ask[0].px - bid[0].px > spread_max) {
        int s = (m - bid[0].px) > (ask[0].px - m) ? 0 : 1;
        int64_t k = b->tick * (int64_t)(mx_urand(rng) * (double)(b->gap_max / 4 + 1));
        int64_t px = s ? m + k : m - k;
        if (s == 0 && (px <= bid[0].px || px >= ask[0].px)) px = bid[0].px + b->tick;
        if (s == 1 && (px >= ask[0].px || px <= bid[0].px)) px = ask[0].px - b->tick;
        if (px > bid[0].px && px < ask[0].px) {
            s_set(b, s, px, s_rand_qty(b, rng, 0));
            return;
        }
    }
    int side = (int)(mx_rand(rng) & 1);
    mx_lvl_t *l = b->side[side];
    int n = b->n[side];
    double r = mx_urand(rng);
    if (n < b->depth - 20 || r < 0.02) {
        /* up to 50 in one message: a fill toward the price makes the next reversal eat that many */
        s_refill(b, rng, side, n < b->depth - 70 ? 50 : n < b->depth - 20 ? b->depth - 20 - n : 1);
        return;
    }
    if (n > b->depth + 20) { /* trim the far end: as many as a fill toward the price added */
        for (int k = 0; k < 50 && b->n[side] > b->depth; k++)
            s_set(b, side, l[b->n[side] - 1].px, 0);
        return;
    }
    int i = s_geo(rng, n, 0.12);
    if (r < 0.55) {
        s_set(b, side, l[i].px, s_rand_qty(b, rng, i));
    } else if (r < 0.82) {
        /* insert between i-1 and i (or improve the touch inside the spread) */
        int64_t hi = i == 0 ? b->side[!side][0].px : l[i - 1].px;
        int64_t lo = l[i].px;
        int64_t gap = (side ? lo - hi : hi - lo) / b->tick; /* ticks between */
        if (gap < 2) {
            s_set(b, side, l[i].px, s_rand_qty(b, rng, i));
            return;
        }
        int64_t k = 1 + (int64_t)(mx_urand(rng) * (double)(gap - 1));
        int64_t px = lo + (side ? -1 : 1) * k * b->tick;
        /* never let an insertion cross the latent-centred spread */
        if (side == 0 && px >= m && i == 0) px = lo;
        if (side == 1 && px <= m && i == 0) px = lo;
        s_set(b, side, px, s_rand_qty(b, rng, i));
    } else {
        if (n > 20) s_set(b, side, l[i].px, 0);
        else s_set(b, side, l[i].px, s_rand_qty(b, rng, i));
    }
}

int mx_vbook_trade(mx_vbook_t *b, uint64_t *rng, int64_t *px, int64_t *qty)
{
    int buy = (int)(mx_rand(rng) & 1);
    int side = buy ? 1 : 0; /* a taker buy lifts the ask */
    mx_lvl_t *l = &b->side[side][0];
    int64_t lot = s_pow10(b->qs - 5);
    int64_t q = (int64_t)(mx_urand(rng) * (double)l->qty * 0.6) / lot * lot;
    if (q < lot) q = lot;
    if (q > l->qty) q = l->qty;
    *px = l->px;
    *qty = q;
    b->last_px = l->px;
    b->last_qty = q;
    b->last_side = buy;
    b->vol24 += (double)q / (double)s_pow10(b->qs);
    s_set(b, side, l->px, l->qty - q);
    return buy;
}

void mx_vbook_view_reset(mx_vbook_t *b, int depth)
{
    if (depth > 1000) depth = 1000;
    b->view_depth = depth;
    for (int s = 0; s < 2; s++) {
        int n = b->n[s] < depth ? b->n[s] : depth;
        memcpy(b->view[s], b->side[s], (size_t)n * sizeof(mx_lvl_t));
        b->nview[s] = n;
    }
}

static int s_find(const mx_lvl_t *l, int n, int64_t px)
{
    for (int i = 0; i < n; i++)
        if (l[i].px == px) return i;
    return -1;
}

int mx_vbook_view_diff(mx_vbook_t *b, mx_chg_t *out, int max)
{
    int k = 0, d = b->view_depth;
    for (int s = 0; s < 2; s++) {
        int nn = b->n[s] < d ? b->n[s] : d;
        const mx_lvl_t *nv = b->side[s];
        /* deletions of levels the client holds (not ones merely pushed out, unless
         * view_evict) */
        for (int i = 0; i < b->nview[s] && k < max; i++)
            if (s_find(nv, nn, b->view[s][i].px) < 0 &&
                (b->view_evict || s_find(b->side[s], b->n[s], b->view[s][i].px) < 0))
                out[k++] = (mx_chg_t){s, b->view[s][i].px, 0};
        for (int i = 0; i < nn && k < max; i++) {
            int j = s_find(b->view[s], b->nview[s], nv[i].px);
            if (j < 0 || b->view[s][j].qty != nv[i].qty) out[k++] = (mx_chg_t){s, nv[i].px, nv[i].qty};
        }
        memcpy(b->view[s], nv, (size_t)nn * sizeof(mx_lvl_t));
        b->nview[s] = nn;
    }
    return k;
}

int mx_vbook_view_step(mx_vbook_t *b, uint64_t *rng, mx_chg_t *out, int max)
{
    int n = 0;
    for (int tries = 0; n == 0 && tries < 16; tries++) {
        b->bbo_moved = 0;
        mx_vbook_step(b, rng);
        n = mx_vbook_view_diff(b, out, max);
    }
    return n;
}

static size_t s_crc_part(char *dst, int64_t v, int scale)
{
    char t[48];
    mx_fix(t, v, scale);
    size_t k = 0;
    int lead = 1;
    for (const char *p = t; *p; p++) {
        if (*p == '.') continue;
        if (lead && *p == '0') continue;
        lead = 0;
        dst[k++] = *p;
    }
    return k;
}

uint32_t mx_vbook_kraken_crc(const mx_vbook_t *b)
{
    char buf[1024];
    size_t k = 0;
    for (int s = 1; s >= 0; s--) { /* asks first, then bids */
        int n = b->nview[s] < 10 ? b->nview[s] : 10;
        for (int i = 0; i < n; i++) {
            k += s_crc_part(buf + k, b->view[s][i].px, b->ps);
            k += s_crc_part(buf + k, b->view[s][i].qty, b->qs);
        }
    }
    return (uint32_t)crc32(0L, (const Bytef *)buf, (uInt)k);
}

void mx_send_garbage(mx_conn_t *c, const char *prefix)
{
    /* a frame cut off mid-JSON, as a broken proxy or a bug would deliver */
    char b[256];
    int n = snprintf(b, sizeof b, "%s\"events\":[{\"type\":\"upd", prefix);
    mx_send(c, b, (size_t)n);
}

/* Self-test: the Kraken v2 checksum of the fixture snapshot, exact decimals. */
int mx_world_test(void);
int mx_world_test(void)
{
    static const mx_lvl_t bids[10] = {{969999, 194895000}, {969994, 67115000}, {969989, 152889000},
                                      {969984, 167309000}, {969979, 8333000},   {969971, 84317000},
                                      {969966, 145285000}, {969961, 139662000}, {969956, 116554000},
                                      {969951, 42878000}};
    static const mx_lvl_t asks[10] = {{970000, 130425000}, {970005, 49652000}, {970010, 187107000},
                                      {970015, 179292000}, {970020, 27429000},  {970027, 202946000},
                                      {970032, 169540000}, {970037, 247395000}, {970042, 170572000},
                                      {970047, 242550000}};
    mx_vbook_t *b = xcalloc(1, sizeof *b);
    b->ps = 1;
    b->qs = 8;
    memcpy(b->view[0], bids, sizeof bids);
    memcpy(b->view[1], asks, sizeof asks);
    b->nview[0] = b->nview[1] = 10;
    uint32_t crc = mx_vbook_kraken_crc(b);
    char t[48];
    int rc = 0;
    if (crc != 3567132065u) {
        fprintf(stderr, "mx_world: kraken crc %u != 3567132065\n", crc);
        rc = -1;
    }
    if (strcmp(mx_fix(t, 97000, 8), "0.00097000") || strcmp(mx_fix(t, 9700000, 2), "97000.00")) {
        fprintf(stderr, "mx_world: mx_fix wrong: %s\n", t);
        rc = -1;
    }
    free(b);
    /* the other assets: their own walks and indices; a book of each near its price, uncrossed */
    mx_world_init(5, 900);
    for (int a = 0; a < MX_ASSETS && !rc; a++) {
        int64_t sec = mx_now_ns() / NS_PER_S - 10;
        double lat = mx_latent_a(a), ix = mx_index(a, sec);
        uint64_t rng = 42;
        mx_vbook_t *vb = mx_vbook_new_asset(MX_KRAKEN, a, &rng);
        for (int i = 0; i < 2000; i++) mx_vbook_step(vb, &rng);
        double p10 = pow(10, vb->ps), bid = (double)vb->side[0][0].px / p10,
               ask = (double)vb->side[1][0].px / p10;
        if (mx_asset_find(mx_asset_name(a)) != a || isnan(ix) || fabs(ix / lat - 1) > 0.01 ||
            !(bid < ask) || fabs((bid + ask) / 2 / lat - 1) > 0.002 || vb->n[0] < 100 ||
            vb->n[1] < 100) {
            fprintf(stderr, "mx_world: asset %s: latent %g index %g book %g/%g levels %d/%d\n",
                    mx_asset_name(a), lat, ix, bid, ask, vb->n[0], vb->n[1]);
            rc = -1;
        }
        mx_vbook_destroy(&vb);
    }
    if (!rc && (mx_asset_find("XRP") != -1 || fabs(mx_latent_a(1) / 3500 - 1) > 0.2)) rc = -1;
    return rc;
}
