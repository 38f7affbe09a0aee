/* mstate: the state behind tickbus-metrics (see mstate.h). hb payloads are
 * read generically: the lib/hb core fields become named metrics, and every
 * numeric or boolean detail member (nested objects flattened with ".")
 * becomes tickbus_hb_field{program,field}, so a new counter in any program
 * is exported without a change here. */
#include "mstate.h"
#include "clock.h"
#include "jtok.h"
#include "log.h"
#include "util.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROGS_MAX 64
#define FIELDS_MAX 96
#define FIELD_NAME 96
#define VENUES_MAX 16
#define RATE_SAMPLES 11 /* progress rate over the last ~10 hb */
#define DAY_S 86400

typedef struct {
    char name[FIELD_NAME];
    double v;
} field_t;

typedef struct {
    int64_t mono;
    double progress;
} sample_t;

typedef struct {
    char name[64];
    int seen_hb;
    int64_t last_hb_mono;
    uint64_t hbs;
    double pid, up_s, progress, idle_s, pub_drops;
    char state[16];
    sample_t ring[RATE_SAMPLES];
    int nring;
    field_t field[FIELDS_MAX];
    int nfield;
    uint64_t restarts, storms, epoch_changes;
} prog_t;

typedef struct {
    char name[32];
    double age_s, lag_s; /* NAN when null */
    int ok;
} venue_t;

/* Every series' last tick (docs/SERIES.md); the unlabeled tick metrics are KXBTC15M's. */
#define SERIES_MAXN 16
typedef struct {
    char name[32];
    uint64_t ticks;
    int64_t last_tick_mono, last_tick_ts_s;
    double brti, brti_official, brti_rti, brti_median, venues_ok, err_rti;
    char brti_src[16], state[16];
} series_st_t;
#define MAIN_SERIES "KXBTC15M"

/* Cumulative histogram over fixed upper bounds (+Inf implied). */
typedef struct {
    const double *le;
    int n;
    uint64_t count[16];
    uint64_t total;
    double sum;
} hist_t;

static const double s_err_le[] = {0.1, 0.25, 0.5, 1, 2, 5, 10, 25, 50, 100};
static const double s_lag_le[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5};

typedef struct {
    char kind[32];
    uint64_t n;
} evcount_t;

struct mstate {
    double hb_timeout_s;
    prog_t prog[PROGS_MAX];
    int nprog;
    venue_t venue[VENUES_MAX];
    int nvenue;
    evcount_t ev[32];
    int nev;
    /* tick */
    uint64_t ticks;
    int64_t last_tick_mono, last_tick_ts_s;
    double last_lag_s, brti, brti_official, brti_rti, brti_median, official_age_s;
    double err_rti, err_median, venues_ok, markets, tick_gaps;
    char brti_src[16], tick_state[16];
    hist_t lag, err[2]; /* err[0] rti, err[1] median */
    /* settlement */
    uint64_t settlements;
    double settle_err_bps, settle_official_err_bps;
    /* coverage of the current UTC day */
    int64_t day, obs_from_s;
    unsigned char seen[DAY_S / 8];
    uint64_t covered;
    series_st_t ser[SERIES_MAXN];
    int nser;
    /* self */
    uint64_t msgs, bad, scrapes;
    bus_sub_stats_t bus;
    jtok_t tok;
};

mstate_t *mstate_new(double hb_timeout_s, int64_t now_real)
{
    mstate_t *s = xcalloc(1, sizeof *s);
    s->hb_timeout_s = hb_timeout_s;
    s->lag = (hist_t){s_lag_le, (int)ARRAY_LEN(s_lag_le), {0}, 0, 0};
    for (int i = 0; i < 2; i++) s->err[i] = (hist_t){s_err_le, (int)ARRAY_LEN(s_err_le), {0}, 0, 0};
    s->last_tick_ts_s = -1;
    s->brti = s->brti_official = s->brti_rti = s->brti_median = s->official_age_s = NAN;
    s->err_rti = s->err_median = s->last_lag_s = s->settle_err_bps = NAN;
    s->settle_official_err_bps = s->venues_ok = s->markets = s->tick_gaps = NAN;
    /* a second already under way when we started is not ours to judge */
    s->obs_from_s = (now_real + NS_PER_S - 1) / NS_PER_S;
    s->day = s->obs_from_s / DAY_S;
    jtok_init(&s->tok);
    return s;
}

void mstate_destroy(mstate_t **p)
{
    if (!p || !*p) return;
    jtok_free(&(*p)->tok);
    free(*p);
    *p = NULL;
}

static void s_hist_add(hist_t *h, double v)
{
    for (int i = 0; i < h->n; i++)
        if (v <= h->le[i]) h->count[i]++;
    h->total++;
    h->sum += v;
}

/* ---- reading tokens ---- */

/* A JSON number (not null/true/false) as a double. */
static int s_num(const jtok_t *d, int i, double *v)
{
    if (i < 0 || jtok_type(d, i) != JSMN_PRIMITIVE) return -1;
    size_t n;
    const char *t = jtok_text(d, i, &n);
    if (n == 0 || n > 60 || !(t[0] == '-' || (t[0] >= '0' && t[0] <= '9'))) return -1;
    char buf[64];
    memcpy(buf, t, n);
    buf[n] = 0;
    char *end;
    double x = strtod(buf, &end);
    if (*end || !isfinite(x)) return -1;
    *v = x;
    return 0;
}

/* A number, or true/false as 1/0. */
static int s_numbool(const jtok_t *d, int i, double *v)
{
    if (jtok_type(d, i) == JSMN_PRIMITIVE && jtok_eq(d, i, "true")) return *v = 1, 0;
    if (jtok_type(d, i) == JSMN_PRIMITIVE && jtok_eq(d, i, "false")) return *v = 0, 0;
    return s_num(d, i, v);
}

static double s_get_num(const jtok_t *d, int obj, const char *key)
{
    double v;
    return s_num(d, jtok_get(d, obj, key), &v) == 0 ? v : NAN;
}

/* Metric and label names allow [a-zA-Z0-9_:]; field paths keep "." for
 * readability as label values, which may hold anything (escaped). */
static int s_name_ok(const char *p, size_t n)
{
    if (n == 0 || n >= FIELD_NAME) return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)p[i] < 0x20 || p[i] == '"' || p[i] == '\\') return 0;
    return 1;
}

static prog_t *s_prog(mstate_t *s, const char *name)
{
    for (int i = 0; i < s->nprog; i++)
        if (!strcmp(s->prog[i].name, name)) return &s->prog[i];
    if (s->nprog == PROGS_MAX || !s_name_ok(name, strlen(name)) || strlen(name) >= 64) {
        log_warnx_rl("program table full or bad program name '%.40s': not tracked", name);
        return NULL;
    }
    prog_t *p = &s->prog[s->nprog++];
    memset(p, 0, sizeof *p);
    snprintf(p->name, sizeof p->name, "%s", name);
    return p;
}

static const char *const s_core[] = {"src", "epoch", "seq", "ts_rx", "ts_ex", "ts_pub", "pid",
                                     "up_s", "state", "progress", "idle_s", "pub_drops", NULL};

static int s_is_core(const jtok_t *d, int k)
{
    for (int i = 0; s_core[i]; i++)
        if (jtok_eq(d, k, s_core[i])) return 1;
    return 0;
}

/* Collect numeric/boolean members of object OBJ under PREFIX (depth-limited). */
static void s_fields(prog_t *p, const jtok_t *d, int obj, const char *prefix, int depth)
{
    int n = jtok_size(d, obj), k = obj + 1;
    for (int m = 0; m < n && k < d->n; m++) {
        int v = k + 1;
        size_t kl;
        const char *kt = jtok_text(d, k, &kl);
        if (!(depth == 0 && s_is_core(d, k)) && jtok_type(d, k) == JSMN_STRING) {
            char name[FIELD_NAME];
            int w = snprintf(name, sizeof name, "%s%.*s", prefix, (int)kl, kt);
            double x;
            if (w > 0 && s_name_ok(name, (size_t)w)) {
                if (jtok_type(d, v) == JSMN_OBJECT && depth < 3) {
                    char sub[FIELD_NAME + 2];
                    snprintf(sub, sizeof sub, "%s.", name);
                    s_fields(p, d, v, sub, depth + 1);
                } else if (s_numbool(d, v, &x) == 0 && p->nfield < FIELDS_MAX) {
                    snprintf(p->field[p->nfield].name, FIELD_NAME, "%s", name);
                    p->field[p->nfield++].v = x;
                }
            }
        }
        k = jtok_skip(d, v);
    }
}

static int s_on_hb(mstate_t *s, const bus_msg_t *m, int64_t now_mono)
{
    jtok_t *d = &s->tok;
    const char *name = m->topic + 3;
    prog_t *p = s_prog(s, name);
    if (!p) return -1;
    double progress = s_get_num(d, 0, "progress");
    if (isnan(progress)) {
        log_warnx_rl("hb.%s without a numeric progress: ignored", name);
        return -1;
    }
    p->seen_hb = 1;
    p->hbs++;
    p->last_hb_mono = now_mono;
    p->pid = s_get_num(d, 0, "pid");
    p->up_s = s_get_num(d, 0, "up_s");
    p->idle_s = s_get_num(d, 0, "idle_s");
    p->pub_drops = s_get_num(d, 0, "pub_drops");
    int i = jtok_get(d, 0, "state");
    if (jtok_str(d, i, p->state, sizeof p->state) < 0) snprintf(p->state, sizeof p->state, "unknown");
    /* a restart (new process) starts the counter again: so does the rate window */
    if (progress < p->progress || m->restarted) p->nring = 0;
    p->progress = progress;
    if (p->nring == RATE_SAMPLES) {
        memmove(p->ring, p->ring + 1, (RATE_SAMPLES - 1) * sizeof p->ring[0]);
        p->nring--;
    }
    p->ring[p->nring++] = (sample_t){now_mono, progress};
    p->nfield = 0;
    s_fields(p, d, 0, "", 0);
    return 0;
}

static venue_t *s_venue(mstate_t *s, const char *name, size_t n)
{
    for (int i = 0; i < s->nvenue; i++)
        if (strlen(s->venue[i].name) == n && !memcmp(s->venue[i].name, name, n)) return &s->venue[i];
    if (s->nvenue == VENUES_MAX || n >= sizeof s->venue[0].name || !s_name_ok(name, n)) return NULL;
    venue_t *v = &s->venue[s->nvenue++];
    memset(v, 0, sizeof *v);
    memcpy(v->name, name, n);
    return v;
}

static void s_err(hist_t *h, double *last, double proxy, double official)
{
    if (isnan(proxy) || isnan(official) || official <= 0) {
        *last = NAN;
        return;
    }
    *last = (proxy - official) / official * 1e4;
    s_hist_add(h, fabs(*last));
}

static void s_coverage(mstate_t *s, int64_t ts_s, int64_t now_real)
{
    int64_t today = now_real / NS_PER_S / DAY_S;
    if (today != s->day) { /* midnight UTC: a new day, observed from its start */
        s->day = today;
        s->obs_from_s = today * DAY_S;
        memset(s->seen, 0, sizeof s->seen);
        s->covered = 0;
    }
    if (ts_s / DAY_S != s->day || ts_s < s->obs_from_s) return;
    int64_t k = ts_s % DAY_S;
    if (s->seen[k / 8] & (1u << (k % 8))) return;
    s->seen[k / 8] |= (unsigned char)(1u << (k % 8));
    s->covered++;
}

/* The state of series NAME (created on first sight; NULL when the table is full). */
static series_st_t *s_series(mstate_t *s, const char *name)
{
    for (int i = 0; i < s->nser; i++)
        if (!strcmp(s->ser[i].name, name)) return &s->ser[i];
    if (s->nser == SERIES_MAXN) return NULL;
    series_st_t *r = &s->ser[s->nser++];
    memset(r, 0, sizeof *r);
    snprintf(r->name, sizeof r->name, "%s", name);
    return r;
}

/* A tick's "series" ([A-Z0-9_], up to 31 bytes; absent: KXBTC15M, whose records had none)
 * into OUT; -1 when present but not such a string. */
static int s_tick_series(const jtok_t *d, char *out, size_t n)
{
    int i = jtok_get(d, 0, "series");
    if (i < 0) {
        snprintf(out, n, "%s", MAIN_SERIES);
        return 0;
    }
    if (jtok_str(d, i, out, n) < 0 || !out[0]) return -1;
    for (const char *p = out; *p; p++)
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_')) return -1;
    return 0;
}

/* A tick's brti_src (into SRC, "" when null) and its index values. */
static void s_index_fields(const jtok_t *d, char *src, size_t n, double *best, double *official,
                           double *rti, double *median)
{
    if (jtok_str(d, jtok_get(d, 0, "brti_src"), src, n) < 0) src[0] = 0;
    /* brti is 0 (the Go collector's "no price") when brti_src is null: unknown, not 0 */
    *best = src[0] ? s_get_num(d, 0, "brti") : NAN;
    *official = s_get_num(d, 0, "brti_official");
    *rti = s_get_num(d, 0, "brti_rti");
    *median = s_get_num(d, 0, "brti_median");
}

static int s_on_tick(mstate_t *s, const bus_msg_t *m, int64_t now_mono, int64_t now_real)
{
    jtok_t *d = &s->tok;
    int i = jtok_get(d, 0, "ts");
    size_t n;
    const char *t = jtok_text(d, i, &n);
    int64_t ts_ns;
    char sname[32];
    if (jtok_type(d, i) != JSMN_STRING || clock_parse_iso(t, n, &ts_ns) < 0) {
        log_warnx_rl("tick without a valid ts from src=%s: ignored", m->src);
        return -1;
    }
    if (s_tick_series(d, sname, sizeof sname) < 0) {
        log_warnx_rl("tick with a bad series from src=%s: ignored", m->src);
        return -1;
    }
    series_st_t *r = s_series(s, sname);
    if (r) {
        char st[16] = "";
        r->ticks++;
        r->last_tick_mono = now_mono;
        r->last_tick_ts_s = ts_ns / NS_PER_S;
        s_index_fields(d, r->brti_src, sizeof r->brti_src, &r->brti, &r->brti_official,
                       &r->brti_rti, &r->brti_median);
        r->err_rti = r->brti_rti > 0 && r->brti_official > 0
                         ? (r->brti_rti - r->brti_official) / r->brti_official * 1e4 : NAN;
        int h = jtok_get(d, 0, "health");
        r->venues_ok = jtok_type(d, h) == JSMN_OBJECT ? s_get_num(d, h, "venues_ok") : NAN;
        if (jtok_type(d, h) == JSMN_OBJECT) jtok_str(d, jtok_get(d, h, "state"), st, sizeof st);
        snprintf(r->state, sizeof r->state, "%s", st);
    }
    if (strcmp(sname, MAIN_SERIES)) return 0; /* the unlabeled metrics are KXBTC15M's */
    s->ticks++;
    s->last_tick_mono = now_mono;
    s->last_tick_ts_s = ts_ns / NS_PER_S;
    if (m->ts_pub > 0) {
        s->last_lag_s = (double)(m->ts_pub - ts_ns) / NS_PER_S;
        s_hist_add(&s->lag, s->last_lag_s);
    }
    s_index_fields(d, s->brti_src, sizeof s->brti_src, &s->brti, &s->brti_official, &s->brti_rti,
                   &s->brti_median);
    s->official_age_s = s_get_num(d, 0, "brti_official_age_ms") / 1000;
    s_err(&s->err[0], &s->err_rti, s->brti_rti, s->brti_official);
    s_err(&s->err[1], &s->err_median, s->brti_median, s->brti_official);
    int vs = jtok_get(d, 0, "venues");
    if (jtok_type(d, vs) == JSMN_OBJECT) {
        int nv = jtok_size(d, vs), k = vs + 1;
        for (int j = 0; j < nv && k < d->n; j++) {
            const char *vn = jtok_text(d, k, &n);
            venue_t *v = jtok_type(d, k) == JSMN_STRING ? s_venue(s, vn, n) : NULL;
            if (v && jtok_type(d, k + 1) == JSMN_OBJECT) {
                v->age_s = s_get_num(d, k + 1, "age_ms") / 1000;
                v->lag_s = s_get_num(d, k + 1, "lag_ms") / 1000;
                v->ok = jtok_eq(d, jtok_get(d, k + 1, "ok"), "true");
            }
            k = jtok_skip(d, k + 1);
        }
    }
    int h = jtok_get(d, 0, "health");
    s->tick_state[0] = 0;
    s->venues_ok = s->tick_gaps = NAN;
    if (jtok_type(d, h) == JSMN_OBJECT) {
        s->venues_ok = s_get_num(d, h, "venues_ok");
        if (isnan(s->venues_ok)) s->venues_ok = s_get_num(d, h, "venues_used");
        s->tick_gaps = s_get_num(d, h, "gaps");
        if (jtok_str(d, jtok_get(d, h, "state"), s->tick_state, sizeof s->tick_state) < 0)
            s->tick_state[0] = 0;
    }
    int mk = jtok_get(d, 0, "markets");
    s->markets = jtok_type(d, mk) == JSMN_ARRAY ? jtok_size(d, mk) : NAN;
    s_coverage(s, s->last_tick_ts_s, now_real);
    return 0;
}

static int s_on_event(mstate_t *s, const bus_msg_t *m)
{
    jtok_t *d = &s->tok;
    const char *kind = m->topic + 6;
    if (!s_name_ok(kind, strlen(kind)) || strlen(kind) >= sizeof s->ev[0].kind) {
        log_warnx_rl("event with a bad kind from src=%s: ignored", m->src);
        return -1;
    }
    int e = 0;
    while (e < s->nev && strcmp(s->ev[e].kind, kind)) e++;
    if (e == s->nev && s->nev < (int)ARRAY_LEN(s->ev)) snprintf(s->ev[s->nev++].kind, 32, "%s", kind);
    if (e < s->nev) s->ev[e].n++;
    if (!strcmp(kind, "restart") || !strcmp(kind, "restart_storm")) {
        char name[64];
        if (jtok_str(d, jtok_get(d, 0, "name"), name, sizeof name) < 0 &&
            jtok_str(d, jtok_get(d, 0, "unit"), name, sizeof name) < 0) {
            log_warnx_rl("event.%s from src=%s names no program", kind, m->src);
            return -1;
        }
        prog_t *p = s_prog(s, name);
        if (!p) return -1;
        if (kind[7]) p->storms++;
        else p->restarts++;
    } else if (!strcmp(kind, "settlement")) {
        /* the settlement metrics are KXBTC15M's: another series' market is counted only */
        char tk[64];
        if (jtok_str(d, jtok_get(d, 0, "ticker"), tk, sizeof tk) == 0 &&
            strncmp(tk, MAIN_SERIES "-", sizeof MAIN_SERIES))
            return 0;
        s->settlements++;
        s->settle_err_bps = s_get_num(d, 0, "proxy_err_bps");
        s->settle_official_err_bps = s_get_num(d, 0, "official_err_bps");
    }
    return 0;
}

int mstate_on_msg(mstate_t *s, const bus_msg_t *m, int64_t now_mono, int64_t now_real)
{
    int is_hb = m->topic_len > 3 && !memcmp(m->topic, "hb.", 3);
    int is_tick = m->topic_len == 4 && !memcmp(m->topic, "tick", 4);
    int is_ev = m->topic_len > 6 && !memcmp(m->topic, "event.", 6);
    if (m->restarted && m->src[0]) {
        prog_t *p = s_prog(s, m->src);
        if (p) p->epoch_changes++;
    }
    if (!is_hb && !is_tick && !is_ev) return 0;
    s->msgs++;
    if (jtok_parse(&s->tok, m->body, m->body_len) <= 0 || jtok_type(&s->tok, 0) != JSMN_OBJECT) {
        s->bad++;
        log_warnx_rl("unreadable payload topic=%s src=%s seq=%llu", m->topic, m->src,
                     (unsigned long long)m->seq);
        return -1;
    }
    int rc = is_hb ? s_on_hb(s, m, now_mono) : is_tick ? s_on_tick(s, m, now_mono, now_real)
                                                      : s_on_event(s, m);
    if (rc < 0) s->bad++;
    return rc;
}

void mstate_bus_stats(mstate_t *s, const bus_sub_stats_t *st) { s->bus = *st; }

/* ---- exposition ---- */

typedef struct {
    char *b;
    size_t len, cap;
} out_t;

static void s_printf(out_t *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void s_printf(out_t *o, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(o->b + o->len, o->cap - o->len, fmt, ap);
        va_end(ap);
        if (n < 0) return;
        if ((size_t)n < o->cap - o->len) {
            o->len += (size_t)n;
            return;
        }
        o->cap = o->cap * 2 + (size_t)n;
        o->b = xrealloc(o->b, o->cap);
    }
}

static void s_family(out_t *o, const char *name, const char *type, const char *help)
{
    s_printf(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Sample value: integers exactly, others with full precision, NaN as such. */
static void s_val(out_t *o, double v)
{
    if (isnan(v)) s_printf(o, " NaN\n");
    else if (v == floor(v) && fabs(v) < 1e15) s_printf(o, " %.0f\n", v);
    else s_printf(o, " %.10g\n", v);
}

/* Names reaching here passed s_name_ok (no quote, backslash or control). */
static void s_sample(out_t *o, const char *name, const char *labels, double v)
{
    s_printf(o, "%s%s%s%s", name, labels[0] ? "{" : "", labels, labels[0] ? "}" : "");
    s_val(o, v);
}

static void s_hist(out_t *o, const char *name, const char *label, const hist_t *h)
{
    for (int i = 0; i < h->n; i++)
        s_printf(o, "%s_bucket{%s%sle=\"%g\"} %llu\n", name, label, label[0] ? "," : "", h->le[i],
                 (unsigned long long)h->count[i]);
    s_printf(o, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", name, label, label[0] ? "," : "",
             (unsigned long long)h->total);
    s_printf(o, "%s_sum%s%s%s", name, label[0] ? "{" : "", label, label[0] ? "}" : "");
    s_val(o, h->sum);
    s_printf(o, "%s_count%s%s%s %llu\n", name, label[0] ? "{" : "", label, label[0] ? "}" : "",
             (unsigned long long)h->total);
}

static double s_rate(const prog_t *p)
{
    if (p->nring < 2) return NAN;
    const sample_t *a = &p->ring[0], *b = &p->ring[p->nring - 1];
    double dt = (double)(b->mono - a->mono) / NS_PER_S;
    return dt > 0 ? (b->progress - a->progress) / dt : NAN;
}

typedef double(prog_get_fn)(const prog_t *p, int *have);

/* Sum of the fields whose last path component is one of NAMES: feeds nest
 * their connection counters under the venue ("kraken.reconnects"), sinks
 * under "bus", the aggregator keeps "bus_gaps" at the top. */
static double g_field(const prog_t *p, int *have, const char *const *names)
{
    double sum = 0;
    *have = 0;
    for (int k = 0; k < p->nfield; k++) {
        const char *leaf = strrchr(p->field[k].name, '.');
        leaf = leaf ? leaf + 1 : p->field[k].name;
        for (int i = 0; names[i]; i++)
            if (!strcmp(leaf, names[i])) {
                sum += p->field[k].v;
                *have = 1;
            }
    }
    return sum;
}

static double g_reconnects(const prog_t *p, int *have)
{
    static const char *const k[] = {"reconnects", NULL};
    return g_field(p, have, k);
}
static double g_gaps(const prog_t *p, int *have)
{
    static const char *const k[] = {"gaps", "bus_gaps", NULL};
    return g_field(p, have, k);
}
static double g_resyncs(const prog_t *p, int *have)
{
    static const char *const k[] = {"resyncs", NULL};
    return g_field(p, have, k);
}
static double g_drops(const prog_t *p, int *have)
{
    *have = p->seen_hb && !isnan(p->pub_drops);
    return p->pub_drops;
}
static double g_progress(const prog_t *p, int *have) { return *have = p->seen_hb, p->progress; }
static double g_rate(const prog_t *p, int *have)
{
    double r = s_rate(p);
    return *have = p->seen_hb && !isnan(r), r;
}
static double g_idle(const prog_t *p, int *have)
{
    return *have = p->seen_hb && !isnan(p->idle_s), p->idle_s;
}
static double g_uptime(const prog_t *p, int *have)
{
    return *have = p->seen_hb && !isnan(p->up_s), p->up_s;
}
static double g_pid(const prog_t *p, int *have) { return *have = p->seen_hb && !isnan(p->pid), p->pid; }
static double g_hbs(const prog_t *p, int *have) { return *have = p->seen_hb, (double)p->hbs; }
static double g_restarts(const prog_t *p, int *have) { return *have = 1, (double)p->restarts; }
static double g_storms(const prog_t *p, int *have) { return *have = 1, (double)p->storms; }
static double g_epochs(const prog_t *p, int *have) { return *have = 1, (double)p->epoch_changes; }

static void s_per_prog(out_t *o, const mstate_t *s, const char *name, const char *type,
                       const char *help, prog_get_fn *fn)
{
    int any = 0;
    for (int i = 0; i < s->nprog; i++) {
        int have = 0;
        double v = fn(&s->prog[i], &have);
        if (!have) continue;
        if (!any) s_family(o, name, type, help);
        any = 1;
        char l[96];
        snprintf(l, sizeof l, "program=\"%s\"", s->prog[i].name);
        s_sample(o, name, l, v);
    }
}

/* A family of one unlabelled sample. */
static void s_single(out_t *o, const char *name, const char *type, const char *help, double v)
{
    s_family(o, name, type, help);
    s_sample(o, name, "", v);
}

/* Every program seen: up, hb age and reported state (for programs with an hb), the per-program
 * counters, and every numeric member of the last hb. */
static void s_render_programs(out_t *o, const mstate_t *s, int64_t now_mono)
{
    char l[256];
    s_family(o, "tickbus_up", "gauge", "1 if the program's hb arrived within --hb-timeout, else 0");
    for (int i = 0; i < s->nprog; i++) {
        const prog_t *p = &s->prog[i];
        if (!p->seen_hb) continue;
        double age = (double)(now_mono - p->last_hb_mono) / NS_PER_S;
        snprintf(l, sizeof l, "program=\"%s\"", p->name);
        s_sample(o, "tickbus_up", l, age <= s->hb_timeout_s);
    }
    s_family(o, "tickbus_hb_age_seconds", "gauge", "seconds since the program's last hb");
    for (int i = 0; i < s->nprog; i++) {
        const prog_t *p = &s->prog[i];
        if (!p->seen_hb) continue;
        snprintf(l, sizeof l, "program=\"%s\"", p->name);
        s_sample(o, "tickbus_hb_age_seconds", l, (double)(now_mono - p->last_hb_mono) / NS_PER_S);
    }
    s_family(o, "tickbus_state", "gauge",
             "1 for the state the program reports (ok, degraded, down)");
    for (int i = 0; i < s->nprog; i++) {
        const prog_t *p = &s->prog[i];
        if (!p->seen_hb) continue;
        static const char *const st[] = {"ok", "degraded", "down"};
        for (size_t k = 0; k < ARRAY_LEN(st); k++) {
            snprintf(l, sizeof l, "program=\"%s\",state=\"%s\"", p->name, st[k]);
            s_sample(o, "tickbus_state", l, !strcmp(p->state, st[k]));
        }
    }
    s_per_prog(o, s, "tickbus_progress_total", "counter",
               "useful work done (hb progress; restarts at 0 with the process)", g_progress);
    s_per_prog(o, s, "tickbus_progress_rate", "gauge",
               "progress per second over the last ~10 hb", g_rate);
    s_per_prog(o, s, "tickbus_idle_seconds", "gauge", "seconds since progress last moved", g_idle);
    s_per_prog(o, s, "tickbus_uptime_seconds", "gauge", "process uptime (hb up_s)", g_uptime);
    s_per_prog(o, s, "tickbus_pid", "gauge", "process id (hb pid)", g_pid);
    s_per_prog(o, s, "tickbus_hb_received_total", "counter", "hb messages received", g_hbs);
    s_per_prog(o, s, "tickbus_reconnects_total", "counter",
               "upstream reconnects (hb reconnects)", g_reconnects);
    s_per_prog(o, s, "tickbus_gaps_total", "counter",
               "sequence gaps detected (hb gaps or bus_gaps)", g_gaps);
    s_per_prog(o, s, "tickbus_resyncs_total", "counter", "book resyncs (hb resyncs)", g_resyncs);
    s_per_prog(o, s, "tickbus_drops_total", "counter",
               "messages dropped at the publisher's high-water mark (hb pub_drops)", g_drops);
    s_per_prog(o, s, "tickbus_restarts_total", "counter",
               "restarts by the watchdog (event.restart)", g_restarts);
    s_per_prog(o, s, "tickbus_restart_storms_total", "counter",
               "restart storms declared by the watchdog (event.restart_storm)", g_storms);
    s_per_prog(o, s, "tickbus_epoch_changes_total", "counter",
               "new process epochs seen on the bus (any restart, by whoever)", g_epochs);
    s_family(o, "tickbus_hb_field", "gauge",
             "every numeric or boolean detail member of the program's last hb");
    for (int i = 0; i < s->nprog; i++) {
        const prog_t *p = &s->prog[i];
        for (int k = 0; k < p->nfield; k++) {
            snprintf(l, sizeof l, "program=\"%s\",field=\"%s\"", p->name, p->field[k].name);
            s_sample(o, "tickbus_hb_field", l, p->field[k].v);
        }
    }
}

static void s_render_events(out_t *o, const mstate_t *s)
{
    char l[256];
    s_family(o, "tickbus_events_total", "counter", "event.* messages seen, by kind");
    for (int i = 0; i < s->nev; i++) {
        snprintf(l, sizeof l, "kind=\"%s\"", s->ev[i].kind);
        s_sample(o, "tickbus_events_total", l, (double)s->ev[i].n);
    }
}

/* The last tick: its age, time and lag, the index values and their source, the proxies' error. */
static void s_render_tick(out_t *o, const mstate_t *s, int64_t now_mono)
{
    char l[256];
    s_single(o, "tickbus_ticks_total", "counter", "tick records seen", (double)s->ticks);
    s_single(o, "tickbus_tick_age_seconds", "gauge",
             "seconds since the last tick arrived (NaN before the first)",
             s->ticks ? (double)(now_mono - s->last_tick_mono) / NS_PER_S : NAN);
    s_single(o, "tickbus_tick_last_timestamp_seconds", "gauge", "ts of the last tick (unix s)",
             s->ticks ? (double)s->last_tick_ts_s : NAN);
    s_single(o, "tickbus_tick_last_lag_seconds", "gauge",
             "ts_pub of the last tick minus its second", s->last_lag_s);
    s_family(o, "tickbus_tick_lag_seconds", "histogram", "ts_pub of each tick minus its second");
    s_hist(o, "tickbus_tick_lag_seconds", "", &s->lag);
    s_family(o, "tickbus_brti", "gauge", "index values of the last tick, by source");
    s_sample(o, "tickbus_brti", "src=\"best\"", s->brti);
    s_sample(o, "tickbus_brti", "src=\"official\"", s->brti_official);
    s_sample(o, "tickbus_brti", "src=\"rti\"", s->brti_rti);
    s_sample(o, "tickbus_brti", "src=\"median\"", s->brti_median);
    s_family(o, "tickbus_brti_src", "gauge", "1 for the source of the last tick's brti");
    static const char *const srcs[] = {"official", "rti", "median"};
    for (size_t k = 0; k < ARRAY_LEN(srcs); k++) {
        snprintf(l, sizeof l, "src=\"%s\"", srcs[k]);
        s_sample(o, "tickbus_brti_src", l, s->ticks && !strcmp(s->brti_src, srcs[k]));
    }
    s_single(o, "tickbus_brti_official_age_seconds", "gauge",
             "age of the official BRTI value at the last tick", s->official_age_s);
    s_family(o, "tickbus_proxy_error_bps", "gauge",
             "last tick's proxy minus official BRTI, in basis points of official");
    s_sample(o, "tickbus_proxy_error_bps", "proxy=\"rti\"", s->err_rti);
    s_sample(o, "tickbus_proxy_error_bps", "proxy=\"median\"", s->err_median);
    s_family(o, "tickbus_proxy_abs_error_bps", "histogram",
             "|proxy - official BRTI| per tick, in basis points of official");
    s_hist(o, "tickbus_proxy_abs_error_bps", "proxy=\"rti\"", &s->err[0]);
    s_hist(o, "tickbus_proxy_abs_error_bps", "proxy=\"median\"", &s->err[1]);
}

typedef double(venue_get_fn)(const venue_t *v);
static double g_venue_age(const venue_t *v) { return v->age_s; }
static double g_venue_lag(const venue_t *v) { return v->lag_s; }
static double g_venue_ok(const venue_t *v) { return v->ok; }

/* One gauge family with a sample per venue of the last tick. */
static void s_per_venue(out_t *o, const mstate_t *s, const char *name, const char *help,
                        venue_get_fn *fn)
{
    char l[256];
    s_family(o, name, "gauge", help);
    for (int i = 0; i < s->nvenue; i++) {
        snprintf(l, sizeof l, "venue=\"%s\"", s->venue[i].name);
        s_sample(o, name, l, fn(&s->venue[i]));
    }
}

/* The last tick's venues, health and markets. */
static void s_render_venues(out_t *o, const mstate_t *s)
{
    char l[256];
    s_per_venue(o, s, "tickbus_venue_data_age_seconds",
                "age of each venue's data at the last tick (tick venues.<v>.age_ms)", g_venue_age);
    s_per_venue(o, s, "tickbus_venue_lag_seconds",
                "exchange-to-receipt lag of each venue at the last tick (venues.<v>.lag_ms)",
                g_venue_lag);
    s_per_venue(o, s, "tickbus_venue_ok", "1 if the venue was usable at the last tick",
                g_venue_ok);
    s_family(o, "tickbus_tick_state", "gauge", "1 for the last tick's health.state");
    static const char *const tst[] = {"ok", "degraded", "down"};
    for (size_t k = 0; k < ARRAY_LEN(tst); k++) {
        snprintf(l, sizeof l, "state=\"%s\"", tst[k]);
        s_sample(o, "tickbus_tick_state", l, !strcmp(s->tick_state, tst[k]));
    }
    s_single(o, "tickbus_tick_venues_ok", "gauge", "venues usable at the last tick", s->venues_ok);
    s_single(o, "tickbus_tick_markets", "gauge", "Kalshi markets in the last tick", s->markets);
}

static void s_render_settlements(out_t *o, const mstate_t *s)
{
    s_single(o, "tickbus_settlements_total", "counter", "event.settlement records seen",
             (double)s->settlements);
    s_family(o, "tickbus_settlement_error_bps", "gauge",
             "last settlement: window average minus Kalshi's expiration_value, in bps");
    s_sample(o, "tickbus_settlement_error_bps", "src=\"proxy\"", s->settle_err_bps);
    s_sample(o, "tickbus_settlement_error_bps", "src=\"official\"", s->settle_official_err_bps);
}

/* Every series' last tick, labeled by series (KXBTC15M's too). */
static void s_render_series(out_t *o, const mstate_t *s, int64_t now_mono)
{
    char l[256];
    s_family(o, "tickbus_series_ticks_total", "counter", "tick records seen, by series");
    for (int i = 0; i < s->nser; i++) {
        snprintf(l, sizeof l, "series=\"%s\"", s->ser[i].name);
        s_sample(o, "tickbus_series_ticks_total", l, (double)s->ser[i].ticks);
    }
    s_family(o, "tickbus_series_tick_age_seconds", "gauge",
             "seconds since the series' last tick arrived");
    for (int i = 0; i < s->nser; i++) {
        snprintf(l, sizeof l, "series=\"%s\"", s->ser[i].name);
        s_sample(o, "tickbus_series_tick_age_seconds", l,
                 (double)(now_mono - s->ser[i].last_tick_mono) / NS_PER_S);
    }
    s_family(o, "tickbus_series_index", "gauge",
             "the series' index at its last tick, by source (best: its brti field)");
    for (int i = 0; i < s->nser; i++) {
        const series_st_t *r = &s->ser[i];
        const char *src[] = {"best", "official", "rti", "median"};
        double v[] = {r->brti, r->brti_official, r->brti_rti, r->brti_median};
        for (int k = 0; k < 4; k++) {
            snprintf(l, sizeof l, "series=\"%s\",src=\"%s\"", r->name, src[k]);
            s_sample(o, "tickbus_series_index", l, v[k]);
        }
    }
    s_family(o, "tickbus_series_proxy_error_bps", "gauge",
             "the series' last tick: RTI proxy minus official, in basis points of official");
    for (int i = 0; i < s->nser; i++) {
        snprintf(l, sizeof l, "series=\"%s\"", s->ser[i].name);
        s_sample(o, "tickbus_series_proxy_error_bps", l, s->ser[i].err_rti);
    }
    s_family(o, "tickbus_series_venues_ok", "gauge", "venues usable at the series' last tick");
    for (int i = 0; i < s->nser; i++) {
        snprintf(l, sizeof l, "series=\"%s\"", s->ser[i].name);
        s_sample(o, "tickbus_series_venues_ok", l, s->ser[i].venues_ok);
    }
    s_family(o, "tickbus_series_tick_state", "gauge", "1 for the series' last health.state");
    static const char *const tst[] = {"ok", "degraded", "down"};
    for (int i = 0; i < s->nser; i++)
        for (size_t k = 0; k < ARRAY_LEN(tst); k++) {
            snprintf(l, sizeof l, "series=\"%s\",state=\"%s\"", s->ser[i].name, tst[k]);
            s_sample(o, "tickbus_series_tick_state", l, !strcmp(s->ser[i].state, tst[k]));
        }
}

/* Today's coverage: distinct seconds with a tick over the seconds observed, as of NOW_REAL. */
static void s_render_coverage(out_t *o, mstate_t *s, int64_t now_real)
{
    /* roll the day over even when no tick came to do it */
    int64_t now_s = now_real / NS_PER_S;
    if (now_s / DAY_S != s->day) s_coverage(s, -1, now_real);
    /* a second's tick is due half a second after it starts: judge only those
     * seconds, and leave out ticks of seconds not yet due (arrived early) */
    int64_t due_s = (now_real - NS_PER_S / 2) / NS_PER_S;
    double elapsed = (double)(due_s - s->obs_from_s + 1);
    uint64_t covered = s->covered;
    for (int64_t k = due_s + 1; k <= now_s; k++) {
        int64_t b = k - s->day * DAY_S;
        if (b >= 0 && b < DAY_S && k >= s->obs_from_s && (s->seen[b / 8] & (1u << (b % 8))))
            covered--;
    }
    if (elapsed < 0) elapsed = 0;
    s_single(o, "tickbus_coverage_ticks_today", "gauge",
             "distinct seconds of the current UTC day with a tick, since observed",
             (double)covered);
    s_single(o, "tickbus_coverage_seconds_today", "gauge",
             "seconds of the current UTC day observed (since midnight or since start)", elapsed);
    s_single(o, "tickbus_coverage_ratio_today", "gauge",
             "ticks seen / seconds observed today (capped at 1; NaN before a second passed)",
             elapsed > 0 ? fmin(1.0, (double)covered / elapsed) : NAN);
}

/* tickbus-metrics' own counters. */
static void s_render_self(out_t *o, const mstate_t *s)
{
    s_single(o, "tickbus_metrics_messages_total", "counter", "hb/tick/event messages read",
             (double)s->msgs);
    s_single(o, "tickbus_metrics_bad_total", "counter", "messages that could not be read",
             (double)s->bad);
    s_single(o, "tickbus_metrics_bus_lost_total", "counter",
             "bus messages lost before reaching tickbus-metrics (seq jumps)", (double)s->bus.lost);
    s_single(o, "tickbus_metrics_scrapes_total", "counter", "scrapes served, this one included",
             (double)s->scrapes);
}

char *mstate_render(mstate_t *s, int64_t now_mono, int64_t now_real, size_t *len)
{
    out_t o = {xmalloc(16384), 0, 16384};
    s->scrapes++;
    s_render_programs(&o, s, now_mono);
    s_render_events(&o, s);
    s_render_tick(&o, s, now_mono);
    s_render_venues(&o, s);
    s_render_settlements(&o, s);
    s_render_series(&o, s, now_mono);
    s_render_coverage(&o, s, now_real);
    s_render_self(&o, s);
    *len = o.len;
    return o.b;
}

/* ---- self-test ---- */

static void s_test_msg(mstate_t *s, const char *topic, const char *src, int64_t ts_pub,
                       const char *fields, int64_t mono, int64_t real)
{
    char body[4096];
    bus_msg_t m;
    memset(&m, 0, sizeof m);
    snprintf(body, sizeof body,
             "{\"src\":\"%s\",\"epoch\":\"01\",\"seq\":1,\"ts_rx\":%lld,\"ts_ex\":null,"
             "\"ts_pub\":%lld%s%s}",
             src, (long long)ts_pub, (long long)ts_pub, fields[0] ? "," : "", fields);
    if (bus_envelope_parse(body, strlen(body), &m) < 0) {
        fprintf(stderr, "mstate_test: bad envelope %s\n", body);
        abort();
    }
    m.topic = topic;
    m.topic_len = strlen(topic);
    m.body = body;
    m.body_len = strlen(body);
    mstate_on_msg(s, &m, mono, real);
}

static int s_expect(const char *text, const char *needle, int want)
{
    if ((strstr(text, needle) != NULL) == want) return 0;
    fprintf(stderr, "mstate_test: %s '%s'\n", want ? "missing" : "unexpected", needle);
    return -1;
}

int mstate_test(void)
{
    int rc = 0;
    int64_t day0 = (int64_t)20000 * DAY_S * NS_PER_S; /* a midnight UTC */
    int64_t real = day0 + 3600 * NS_PER_S, mono = 1000 * NS_PER_S;
    mstate_t *s = mstate_new(5, real - NS_PER_S / 2); /* observing from real's second */
    char tsbuf[40], f[1024];

    s_test_msg(s, "hb.feed-kraken", "feed-kraken", real,
               "\"pid\":42,\"up_s\":10,\"state\":\"ok\",\"progress\":100,\"idle_s\":0.1,"
               "\"pub_drops\":2,\"connected\":true,\"last_data_age_ms\":40,\"reconnects\":3,"
               "\"gaps\":1,\"resyncs\":4,\"note\":\"text is skipped\",\"arr\":[1,2]",
               mono, real);
    s_test_msg(s, "hb.feed-kraken", "feed-kraken", real + 2 * NS_PER_S,
               "\"pid\":42,\"up_s\":12,\"state\":\"degraded\",\"progress\":120,\"idle_s\":0.1,"
               "\"pub_drops\":2,\"connected\":false,\"last_data_age_ms\":null,\"reconnects\":4,"
               "\"gaps\":1,\"resyncs\":4,\"kraken\":{\"reconnects\":5,\"gaps\":1}",
               mono + 2 * NS_PER_S, real + 2 * NS_PER_S);
    s_test_msg(s, "hb.aggregator", "aggregator", real,
               "\"pid\":43,\"up_s\":10,\"state\":\"ok\",\"progress\":9,\"idle_s\":0,"
               "\"pub_drops\":0,\"bus_gaps\":6,\"venues\":{\"kraken\":{\"msgs\":7}}",
               mono, real);
    /* ticks for seconds 3600 and 3601 of the day (3601 twice), lag 5 ms */
    for (int k = 0; k < 3; k++) {
        int64_t ts = day0 + (3600 + (k ? 1 : 0)) * NS_PER_S;
        snprintf(f, sizeof f,
                 "\"type\":\"tick\",\"ts\":\"%s\",\"brti\":100000,\"brti_src\":\"official\","
                 "\"brti_official\":100000,\"brti_official_age_ms\":300,\"brti_rti\":100002,"
                 "\"brti_median\":99990,\"venues\":{\"coinbase\":{\"bid\":1,\"ask\":2,"
                 "\"age_ms\":40,\"lag_ms\":12,\"ok\":true},\"kraken\":{\"bid\":null,\"age_ms\":null,"
                 "\"ok\":false}},\"markets\":[{\"ticker\":\"A\"},{\"ticker\":\"B\"}],"
                 "\"health\":{\"stale\":[\"kraken\"],\"gaps\":0,\"venues_ok\":1,\"state\":\"degraded\"}",
                 clock_fmt_iso(ts, tsbuf, sizeof tsbuf));
        s_test_msg(s, "tick", "aggregator", ts + 5 * NS_PER_MS, f, mono + 2 * NS_PER_S,
                   real + 2 * NS_PER_S);
    }
    s_test_msg(s, "event.restart", "watchdog", real,
               "\"unit\":\"tickbus-feed-kraken.service\",\"name\":\"feed-kraken\",\"reason\":\"hb_missing\"",
               mono, real);
    s_test_msg(s, "event.settlement", "aggregator", real, "\"proxy_err_bps\":-1.5,"
               "\"official_err_bps\":0.25", mono, real);
    s_test_msg(s, "event.gap", "aggregator", real, "\"kind\":\"ticks\"", mono, real);
    /* another series' tick and settlement: in the series metrics only */
    snprintf(f, sizeof f,
             "\"type\":\"tick\",\"series\":\"KXETH15M\",\"ts\":\"%s\",\"brti\":3500.5,"
             "\"brti_src\":\"official\",\"brti_official\":3500.5,\"brti_rti\":3500.85,"
             "\"brti_median\":3500.1,\"health\":{\"venues_ok\":4,\"state\":\"ok\"}",
             clock_fmt_iso(day0 + 3601 * NS_PER_S, tsbuf, sizeof tsbuf));
    s_test_msg(s, "tick", "aggregator-kxeth15m", day0 + 3601 * NS_PER_S, f, mono + 2 * NS_PER_S,
               real + 2 * NS_PER_S);
    s_test_msg(s, "event.settlement", "aggregator-kxeth15m", real,
               "\"ticker\":\"KXETH15M-26DEC040230-30\",\"proxy_err_bps\":9,\"official_err_bps\":9",
               mono, real);
    s_test_msg(s, "tick", "aggregator-x", real, "\"ts\":\"2026-12-04T00:00:00Z\",\"series\":\"a b\"",
               mono, real);
    /* hostile input: none of it may crash or count as data */
    s_test_msg(s, "hb.bad", "bad", real, "\"progress\":\"many\"", mono, real);
    s_test_msg(s, "tick", "aggregator", real, "\"ts\":\"yesterday\"", mono, real);
    s_test_msg(s, "event.restart", "watchdog", real, "\"reason\":\"x\"", mono, real);
    s_test_msg(s, "quote.kraken.BTC-USD", "feed-kraken", real, "\"bid\":1", mono, real);

    size_t len;
    char *t = mstate_render(s, mono + 3 * NS_PER_S, real + 3 * NS_PER_S, &len);
    static const char *const want[] = {
        "tickbus_up{program=\"feed-kraken\"} 1\n",
        "tickbus_up{program=\"aggregator\"} 1\n",
        "tickbus_state{program=\"feed-kraken\",state=\"degraded\"} 1\n",
        "tickbus_progress_total{program=\"feed-kraken\"} 120\n",
        "tickbus_progress_rate{program=\"feed-kraken\"} 10\n",
        "tickbus_reconnects_total{program=\"feed-kraken\"} 9\n",
        "tickbus_gaps_total{program=\"feed-kraken\"} 2\n",
        "tickbus_hb_field{program=\"feed-kraken\",field=\"kraken.reconnects\"} 5\n",
        "tickbus_gaps_total{program=\"aggregator\"} 6\n",
        "tickbus_resyncs_total{program=\"feed-kraken\"} 4\n",
        "tickbus_drops_total{program=\"feed-kraken\"} 2\n",
        "tickbus_restarts_total{program=\"feed-kraken\"} 1\n",
        "tickbus_hb_field{program=\"feed-kraken\",field=\"connected\"} 0\n",
        "tickbus_hb_field{program=\"aggregator\",field=\"venues.kraken.msgs\"} 7\n",
        "tickbus_events_total{kind=\"gap\"} 1\n",
        "tickbus_ticks_total 3\n",
        "tickbus_tick_last_lag_seconds 0.005\n",
        "tickbus_tick_lag_seconds_bucket{le=\"0.005\"} 3\n",
        "tickbus_tick_lag_seconds_bucket{le=\"0.0025\"} 0\n",
        "tickbus_brti{src=\"official\"} 100000\n",
        "tickbus_brti_src{src=\"official\"} 1\n",
        "tickbus_brti_official_age_seconds 0.3\n",
        "tickbus_proxy_error_bps{proxy=\"rti\"} 0.2\n",
        "tickbus_proxy_error_bps{proxy=\"median\"} -1\n",
        "tickbus_proxy_abs_error_bps_bucket{proxy=\"rti\",le=\"0.1\"} 0\n",
        "tickbus_proxy_abs_error_bps_bucket{proxy=\"rti\",le=\"0.25\"} 3\n",
        "tickbus_proxy_abs_error_bps_bucket{proxy=\"median\",le=\"1\"} 3\n",
        "tickbus_proxy_abs_error_bps_count{proxy=\"median\"} 3\n",
        "tickbus_venue_data_age_seconds{venue=\"coinbase\"} 0.04\n",
        "tickbus_venue_data_age_seconds{venue=\"kraken\"} NaN\n",
        "tickbus_venue_ok{venue=\"kraken\"} 0\n",
        "tickbus_tick_state{state=\"degraded\"} 1\n",
        "tickbus_tick_markets 2\n",
        "tickbus_settlement_error_bps{src=\"proxy\"} -1.5\n",
        "tickbus_coverage_ticks_today 2\n",
        "tickbus_coverage_seconds_today 3\n",
        "tickbus_metrics_bad_total 4\n",
        "tickbus_series_ticks_total{series=\"KXBTC15M\"} 3\n",
        "tickbus_series_ticks_total{series=\"KXETH15M\"} 1\n",
        "tickbus_series_index{series=\"KXETH15M\",src=\"official\"} 3500.5\n",
        "tickbus_series_index{series=\"KXBTC15M\",src=\"best\"} 100000\n",
        "tickbus_series_proxy_error_bps{series=\"KXETH15M\"} 0.9998",
        "tickbus_series_venues_ok{series=\"KXETH15M\"} 4\n",
        "tickbus_series_tick_state{series=\"KXETH15M\",state=\"ok\"} 1\n",
        "tickbus_series_tick_state{series=\"KXBTC15M\",state=\"degraded\"} 1\n",
    };
    for (size_t i = 0; i < ARRAY_LEN(want); i++) rc |= s_expect(t, want[i], 1);
    rc |= s_expect(t, "field=\"last_data_age_ms\"", 0); /* null now: not exported */
    rc |= s_expect(t, "field=\"note\"", 0);
    rc |= s_expect(t, "program=\"bad\"} 1", 0);
    free(t);
    /* a tick that arrives before its second is due is not yet counted */
    snprintf(f, sizeof f, "\"ts\":\"%s\"", clock_fmt_iso(day0 + 3603 * NS_PER_S, tsbuf, sizeof tsbuf));
    s_test_msg(s, "tick", "aggregator", day0 + 3603 * NS_PER_S, f, mono + 3 * NS_PER_S,
               real + 3 * NS_PER_S);
    t = mstate_render(s, mono + 3 * NS_PER_S, real + 3 * NS_PER_S + NS_PER_S / 10, &len);
    rc |= s_expect(t, "tickbus_coverage_ticks_today 2\n", 1);
    rc |= s_expect(t, "tickbus_coverage_seconds_today 3\n", 1);
    free(t);
    /* 10 s later nobody beat: down; and a restart (progress back to 0) resets the rate */
    s_test_msg(s, "hb.aggregator", "aggregator", real, "\"progress\":0,\"state\":\"ok\"",
               mono + 12 * NS_PER_S, real + 12 * NS_PER_S);
    t = mstate_render(s, mono + 12 * NS_PER_S, real + 12 * NS_PER_S, &len);
    rc |= s_expect(t, "tickbus_up{program=\"feed-kraken\"} 0\n", 1);
    rc |= s_expect(t, "tickbus_up{program=\"aggregator\"} 1\n", 1);
    rc |= s_expect(t, "tickbus_progress_rate{program=\"aggregator\"}", 0);
    rc |= s_expect(t, "tickbus_metrics_scrapes_total 3\n", 1);
    rc |= s_expect(t, "tickbus_coverage_ticks_today 3\n", 1);
    rc |= s_expect(t, "tickbus_coverage_seconds_today 12\n", 1);
    free(t);
    /* the next UTC day starts empty */
    t = mstate_render(s, mono, day0 + (DAY_S + 10) * NS_PER_S, &len);
    rc |= s_expect(t, "tickbus_coverage_ticks_today 0\n", 1);
    rc |= s_expect(t, "tickbus_coverage_seconds_today 10\n", 1);
    free(t);
    mstate_destroy(&s);
    return rc;
}
