/* series: the followed Kalshi series and their indices (see series.h). */
#include "series.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const s_known[] = {"coinbase", "kraken", "bitstamp", "gemini", "cryptocom"};

/* Constituents: CF Benchmarks publishes each index's constituent exchanges in its
 * methodology documents; the lists below keep the venues with free public level-2
 * websockets (LMAX Digital, Bullish and itBit/Paxos have none we can use) and say where
 * each list comes from. Spacing and decimals other than BTC's are our choice (about the
 * value of one BTC a grid step; the index's printed precision), not published values. */
static const series_t s_builtin[] = {
    {"KXBTC15M", "BTC", "BTC-USD", "BRTI", "kxbtc15m", "kxbtc15m", 5,
     {"coinbase", "kraken", "bitstamp", "gemini", "cryptocom"}, 1, 2,
     "CF Benchmarks BRTI constituents: Bitstamp, Coinbase, Gemini, itBit/Paxos, Kraken, LMAX "
     "Digital, Bullish, Crypto.com (CF Benchmarks announcements: Gemini 2019-08-30, Crypto.com "
     "2025-03-31; 2026 lists citing its constituent document); the five with public level-2 "
     "websockets"},
    {"KXETH15M", "ETH", "ETH-USD", "ETHUSD_RTI", "kxeth15m", "kxeth15m", 5,
     {"coinbase", "kraken", "bitstamp", "gemini", "cryptocom"}, 30, 2,
     "CF Benchmarks Ether-Dollar index constituents: the BRTI's framework, Bullish added from "
     "2025-07-14 (CF Benchmarks announcement); the five with public level-2 websockets, not "
     "confirmed venue by venue"},
    {"KXSOL15M", "SOL", "SOL-USD", "SOLUSD_RTI", "kxsol15m", "kxsol15m", 4,
     {"coinbase", "kraken", "gemini", "cryptocom"}, 500, 3,
     "reported for 2026 (issue 21): SOLUSD_RTI's constituents without Bitstamp; not confirmed "
     "against CF Benchmarks' constituent document"},
    {"KXDOGE15M", "DOGE", "DOGE-USD", "DOGEUSD_RTI", "kxdoge15m", "kxdoge15m", 3,
     {"coinbase", "gemini", "kraken"}, 300000, 5,
     "reported for 2026 (issue 21): DOGEUSD_RTI on Coinbase, Gemini and Kraken; not confirmed "
     "against CF Benchmarks' constituent document"},
};

const series_t *series_builtins(int *n)
{
    *n = (int)(sizeof s_builtin / sizeof s_builtin[0]);
    return s_builtin;
}

const series_t *series_builtin(const char *ticker)
{
    for (size_t i = 0; i < sizeof s_builtin / sizeof s_builtin[0]; i++)
        if (!strcasecmp(s_builtin[i].ticker, ticker)) return &s_builtin[i];
    return NULL;
}

int series_used_venues(const series_set_t *set, const char **out, int max)
{
    int k = 0;
    for (size_t v = 0; v < sizeof s_known / sizeof s_known[0] && k < max; v++)
        for (int i = 0; i < set->n; i++) {
            int on = 0;
            for (int j = 0; j < set->s[i].nvenues; j++) on |= !strcmp(set->s[i].venues[j], s_known[v]);
            if (on) {
                out[k++] = s_known[v];
                break;
            }
        }
    return k;
}

int series_venue_known(const char *venue)
{
    for (size_t i = 0; i < sizeof s_known / sizeof s_known[0]; i++)
        if (!strcmp(s_known[i], venue)) return 1;
    return 0;
}

/* 1 when S is 1..MAX-1 bytes of [A-Z0-9] (a ticker, an asset) or, with LOWER, [a-z0-9-_]. */
static int s_word(const char *s, size_t max, int lower)
{
    size_t n = strlen(s);
    if (n == 0 || n >= max) return 0;
    for (const char *p = s; *p; p++) {
        int ok = lower ? (islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '-' ||
                          *p == '_')
                       : (isupper((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '_');
        if (!ok) return 0;
    }
    return 1;
}

static void s_lower(char *dst, const char *src, size_t n)
{
    size_t i = 0;
    for (; src[i] && i + 1 < n; i++) dst[i] = (char)tolower((unsigned char)src[i]);
    dst[i] = 0;
}

static void s_upper(char *dst, const char *src, size_t n)
{
    size_t i = 0;
    for (; src[i] && i + 1 < n; i++) dst[i] = (char)toupper((unsigned char)src[i]);
    dst[i] = 0;
}

/* The asset of a ticker shaped KX<ASSET>15M, or "" */
static void s_asset_of(const char *ticker, char *out, size_t n)
{
    size_t len = strlen(ticker);
    out[0] = 0;
    if (len > 5 && !strncmp(ticker, "KX", 2) && !strcmp(ticker + len - 3, "15M") && len - 5 < n) {
        memcpy(out, ticker + 2, len - 5);
        out[len - 5] = 0;
    }
}

static int s_venues(series_t *s, const char *v, char *err, size_t errlen)
{
    char buf[256];
    if (strlen(v) >= sizeof buf) {
        snprintf(err, errlen, "venues=%.40s...: too long", v);
        return -1;
    }
    strcpy(buf, v);
    s->nvenues = 0;
    for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        if (!series_venue_known(t)) {
            snprintf(err, errlen, "venues=%s: unknown venue '%s' (known: coinbase, kraken, "
                     "bitstamp, gemini, cryptocom)", v, t);
            return -1;
        }
        for (int i = 0; i < s->nvenues; i++)
            if (!strcmp(s->venues[i], t)) {
                snprintf(err, errlen, "venues=%s: '%s' twice", v, t);
                return -1;
            }
        if (s->nvenues == SERIES_VENUES_MAX) {
            snprintf(err, errlen, "venues=%s: more than %d", v, SERIES_VENUES_MAX);
            return -1;
        }
        snprintf(s->venues[s->nvenues++], sizeof s->venues[0], "%s", t);
    }
    if (!s->nvenues) {
        snprintf(err, errlen, "venues=%s: no venue", v);
        return -1;
    }
    return 0;
}

int series_parse(series_t *out, const char *ticker, const char *def, const series_t *base,
                 char *err, size_t errlen)
{
    series_t s;
    char up[32];
    if (strlen(ticker) >= sizeof up) {
        snprintf(err, errlen, "series '%.40s': not a series ticker (such as KXETH15M)", ticker);
        return -1;
    }
    s_upper(up, ticker, sizeof up);
    if (!s_word(up, sizeof s.ticker, 0)) {
        snprintf(err, errlen, "series '%s': not a series ticker (such as KXETH15M)", ticker);
        return -1;
    }
    if (base) {
        s = *base;
    } else {
        memset(&s, 0, sizeof s);
        s_asset_of(up, s.asset, sizeof s.asset);
        s.decimals = 2;
        s.source = "SERIES_ environment variable";
    }
    snprintf(s.ticker, sizeof s.ticker, "%s", up);
    s_lower(s.name, up, sizeof s.name);
    if (!base) snprintf(s.prefix, sizeof s.prefix, "%s", s.name);
    int have_index = base != NULL, have_venues = base != NULL;
    char buf[512];
    if (strlen(def) >= sizeof buf) {
        snprintf(err, errlen, "SERIES_%s: longer than %zu bytes", up, sizeof buf - 1);
        return -1;
    }
    strcpy(buf, def);
    for (char *save = NULL, *w = strtok_r(buf, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
        char *eq = strchr(w, '=');
        if (!eq || eq == w || !eq[1]) {
            snprintf(err, errlen, "SERIES_%s: '%s' is not key=value", up, w);
            return -1;
        }
        *eq = 0;
        const char *k = w, *v = eq + 1;
        if (!strcmp(k, "index")) {
            if (!s_word(v, sizeof s.index_id, 0)) {
                snprintf(err, errlen, "SERIES_%s: index=%s: expected an index id such as "
                         "ETHUSD_RTI", up, v);
                return -1;
            }
            snprintf(s.index_id, sizeof s.index_id, "%s", v);
            have_index = 1;
        } else if (!strcmp(k, "venues")) {
            if (s_venues(&s, v, err, errlen) < 0) return -1;
            have_venues = 1;
        } else if (!strcmp(k, "asset")) {
            if (!s_word(v, sizeof s.asset, 0)) {
                snprintf(err, errlen, "SERIES_%s: asset=%s: expected an asset such as ETH", up, v);
                return -1;
            }
            snprintf(s.asset, sizeof s.asset, "%s", v);
        } else if (!strcmp(k, "prefix")) {
            if (!s_word(v, sizeof s.prefix, 1)) {
                snprintf(err, errlen, "SERIES_%s: prefix=%s: expected [a-z0-9_-], such as "
                         "kxeth15m", up, v);
                return -1;
            }
            snprintf(s.prefix, sizeof s.prefix, "%s", v);
        } else if (!strcmp(k, "spacing") || !strcmp(k, "decimals")) {
            char *end;
            errno = 0;
            double d = strtod(v, &end);
            int isdec = !strcmp(k, "decimals");
            if (errno || *end || !isfinite(d) || d < 0 || (!isdec && (d == 0 || d > 1e6)) ||
                (isdec && (d != floor(d) || d > 8))) {
                snprintf(err, errlen, "SERIES_%s: %s=%s: expected %s", up, k, v,
                         isdec ? "an integer 0-8" : "a number > 0 and <= 1e6");
                return -1;
            }
            if (isdec) s.decimals = (int)d;
            else s.spacing = d;
        } else {
            snprintf(err, errlen, "SERIES_%s: unknown key '%s' (known: index, venues, asset, "
                     "prefix, spacing, decimals)", up, k);
            return -1;
        }
    }
    if (!have_index || !have_venues || !s.asset[0]) {
        snprintf(err, errlen, "SERIES_%s: %s missing (a series tickbus does not know needs "
                 "index= and venues=%s)", up, !have_index ? "index=" : !have_venues ? "venues=" : "asset=",
                 s.asset[0] ? "" : ", and asset= unless the ticker is KX<ASSET>15M");
        return -1;
    }
    if (s.spacing <= 0) s.spacing = 1;
    snprintf(s.pair, sizeof s.pair, "%s-USD", s.asset);
    *out = s;
    return 0;
}

int series_load(series_set_t *set, const char *list, const char *(*get)(const char *), char *err,
                size_t errlen)
{
    char buf[512], var[64];
    memset(set, 0, sizeof *set);
    if (!list || !*list) list = SERIES_DEFAULT;
    if (strlen(list) >= sizeof buf) {
        snprintf(err, errlen, "series list longer than %zu bytes", sizeof buf - 1);
        return -1;
    }
    strcpy(buf, list);
    for (char *save = NULL, *t = strtok_r(buf, ", \t", &save); t; t = strtok_r(NULL, ", \t", &save)) {
        char up[32];
        if (strlen(t) >= sizeof up) {
            snprintf(err, errlen, "series '%.40s': not a series ticker (such as KXETH15M)", t);
            return -1;
        }
        s_upper(up, t, sizeof up);
        if (series_find(set, up)) {
            snprintf(err, errlen, "series %s listed twice", up);
            return -1;
        }
        if (set->n == SERIES_MAX) {
            snprintf(err, errlen, "more than %d series", SERIES_MAX);
            return -1;
        }
        snprintf(var, sizeof var, "SERIES_%s", up);
        const char *def = get ? get(var) : getenv(var);
        const series_t *b = series_builtin(up);
        if (!def && !b) {
            snprintf(err, errlen, "series %s: not built in and %s is not set (for example "
                     "%s=\"index=XRPUSD_RTI venues=coinbase,kraken\"; docs/SERIES.md)", up, var, var);
            return -1;
        }
        if (series_parse(&set->s[set->n], up, def ? def : "", b, err, errlen) < 0) return -1;
        /* two series on one file prefix or one index would mix their records */
        for (int i = 0; i < set->n; i++)
            if (!strcmp(set->s[i].prefix, set->s[set->n].prefix)) {
                snprintf(err, errlen, "series %s and %s share the file prefix %s",
                         set->s[i].ticker, up, set->s[i].prefix);
                return -1;
            }
        set->n++;
    }
    if (!set->n) {
        snprintf(err, errlen, "series list '%s' names no series", list);
        return -1;
    }
    return 0;
}

const series_t *series_find(const series_set_t *set, const char *ticker)
{
    for (int i = 0; i < set->n; i++)
        if (!strcasecmp(set->s[i].ticker, ticker)) return &set->s[i];
    return NULL;
}

int series_venue_symbol(const char *venue, const char *asset, char *out, size_t n)
{
    char lo[16];
    if (!s_word(asset, sizeof lo, 0)) return -1;
    s_lower(lo, asset, sizeof lo);
    int k;
    if (!strcmp(venue, "coinbase")) k = snprintf(out, n, "%s-USD", asset);
    else if (!strcmp(venue, "kraken")) k = snprintf(out, n, "%s/USD", asset);
    else if (!strcmp(venue, "bitstamp")) k = snprintf(out, n, "%susd", lo);
    else if (!strcmp(venue, "gemini")) k = snprintf(out, n, "%sUSD", asset);
    else if (!strcmp(venue, "cryptocom")) k = snprintf(out, n, "%s_USD", asset);
    else return -1;
    return k > 0 && (size_t)k < n ? 0 : -1;
}

void series_index_topic(const series_t *s, char *out, size_t n)
{
    char lo[32];
    s_lower(lo, s->index_id, sizeof lo);
    snprintf(out, n, "index.%s", lo);
}

void series_program(const series_t *s, const char *prog, char *out, size_t n)
{
    if (!strcmp(s->ticker, "KXBTC15M")) snprintf(out, n, "%s", prog);
    else snprintf(out, n, "%s-%s", prog, s->name);
}

void series_venue_assets(const series_set_t *set, const char *venue, char *out, size_t n)
{
    size_t k = 0;
    out[0] = 0;
    for (int i = 0; i < set->n; i++) {
        const series_t *s = &set->s[i];
        int on = 0, dup = 0;
        for (int j = 0; j < s->nvenues; j++) on |= !strcmp(s->venues[j], venue);
        for (int j = 0; j < i; j++) dup |= !strcmp(set->s[j].asset, s->asset) && on;
        if (!on || dup) continue;
        int w = snprintf(out + k, n - k, "%s%s", k ? "," : "", s->asset);
        if (w < 0 || (size_t)w >= n - k) {
            out[k] = 0;
            return;
        }
        k += (size_t)w;
    }
}

#define T_CHECK(c)                                                                       \
    do { if (!(c)) { fprintf(stderr, "series_test: %s:%d: %s\n", __FILE__, __LINE__, #c); \
                     return -1; } } while (0)

static const char *s_env_xrp(const char *name)
{
    if (!strcmp(name, "SERIES_KXXRP15M")) return "index=XRPUSD_RTI venues=coinbase,kraken,bitstamp";
    if (!strcmp(name, "SERIES_KXETH15M")) return "venues=coinbase,kraken";
    if (!strcmp(name, "SERIES_KXBAD15M")) return "index=X venues=coinbase,binance";
    return NULL;
}

int series_test(void)
{
    series_set_t set;
    char err[256], b[64];
    T_CHECK(series_load(&set, "", s_env_xrp, err, sizeof err) == 0 && set.n == 1);
    const series_t *s = &set.s[0];
    T_CHECK(!strcmp(s->ticker, "KXBTC15M") && !strcmp(s->pair, "BTC-USD") &&
            !strcmp(s->index_id, "BRTI") && !strcmp(s->prefix, "kxbtc15m") && s->nvenues == 5);
    series_index_topic(s, b, sizeof b);
    T_CHECK(!strcmp(b, "index.brti"));
    /* a list, lower case and commas or spaces; a user's own series; a redefined venue list */
    T_CHECK(series_load(&set, "KXBTC15M, kxeth15m KXXRP15M,KXSOL15M", s_env_xrp, err, sizeof err) == 0);
    T_CHECK(set.n == 4);
    s = series_find(&set, "kxxrp15m");
    T_CHECK(s && !strcmp(s->asset, "XRP") && !strcmp(s->pair, "XRP-USD") && s->nvenues == 3 &&
            !strcmp(s->prefix, "kxxrp15m") && !strcmp(s->name, "kxxrp15m"));
    series_index_topic(s, b, sizeof b);
    T_CHECK(!strcmp(b, "index.xrpusd_rti"));
    s = series_find(&set, "KXETH15M");
    T_CHECK(s && s->nvenues == 2 && !strcmp(s->index_id, "ETHUSD_RTI") && s->spacing == 30);
    series_venue_assets(&set, "kraken", b, sizeof b);
    T_CHECK(!strcmp(b, "BTC,ETH,XRP,SOL"));
    series_venue_assets(&set, "bitstamp", b, sizeof b);
    T_CHECK(!strcmp(b, "BTC,XRP")); /* ETH redefined without it, SOL has none */
    series_venue_assets(&set, "gemini", b, sizeof b);
    T_CHECK(!strcmp(b, "BTC,SOL"));
    const char *uv[8];
    T_CHECK(series_used_venues(&set, uv, 8) == 5 && !strcmp(uv[0], "coinbase") && !strcmp(uv[4], "cryptocom"));
    series_program(&set.s[0], "aggregator", b, sizeof b);
    T_CHECK(!strcmp(b, "aggregator"));
    series_program(s, "aggregator", b, sizeof b);
    T_CHECK(!strcmp(b, "aggregator-kxeth15m"));
    /* errors name what is wrong */
    T_CHECK(series_load(&set, "KXDOGE15M", s_env_xrp, err, sizeof err) == 0);
    T_CHECK(series_used_venues(&set, uv, 8) == 3 && !strcmp(uv[0], "coinbase") && !strcmp(uv[1], "kraken") &&
            !strcmp(uv[2], "gemini"));
    T_CHECK(series_load(&set, "KXFOO15M", s_env_xrp, err, sizeof err) < 0 && strstr(err, "SERIES_KXFOO15M"));
    T_CHECK(series_load(&set, "KXBAD15M", s_env_xrp, err, sizeof err) < 0 && strstr(err, "'binance'"));
    T_CHECK(series_load(&set, "KXBTC15M,kxbtc15m", s_env_xrp, err, sizeof err) < 0 && strstr(err, "twice"));
    T_CHECK(series_load(&set, "KX/15M", s_env_xrp, err, sizeof err) < 0 && strstr(err, "KX/15M"));
    series_t one;
    T_CHECK(series_parse(&one, "KXA15M", "index=A_RTI venues=kraken spacing=0", NULL, err, sizeof err) < 0 &&
            strstr(err, "spacing=0"));
    T_CHECK(series_parse(&one, "KXA15M", "index=A_RTI venues=kraken spacing=2e6", NULL, err, sizeof err) < 0);
    T_CHECK(series_parse(&one, "KXA15M", "index=A_RTI venues=kraken decimals=0", NULL, err, sizeof err) == 0 &&
            one.decimals == 0);
    T_CHECK(series_parse(&one, "KXA15M", "index=A_RTI venues=kraken color=red", NULL, err, sizeof err) < 0 &&
            strstr(err, "'color'"));
    T_CHECK(series_parse(&one, "KXA15M", "venues=kraken", NULL, err, sizeof err) < 0 && strstr(err, "index="));
    T_CHECK(series_parse(&one, "ODD", "index=O_RTI venues=kraken", NULL, err, sizeof err) < 0 &&
            strstr(err, "asset="));
    T_CHECK(series_parse(&one, "ODD", "index=O_RTI venues=kraken asset=ODD decimals=4 prefix=odd-1",
                         NULL, err, sizeof err) == 0 && one.decimals == 4 && !strcmp(one.prefix, "odd-1"));
    T_CHECK(series_parse(&one, "KXA15M", "index=A_RTI venues=kraken,kraken", NULL, err, sizeof err) < 0);
    /* venue spellings */
    const char *want[][2] = {{"coinbase", "ETH-USD"}, {"kraken", "ETH/USD"}, {"bitstamp", "ethusd"},
                             {"gemini", "ETHUSD"}, {"cryptocom", "ETH_USD"}};
    for (int i = 0; i < 5; i++)
        T_CHECK(series_venue_symbol(want[i][0], "ETH", b, sizeof b) == 0 && !strcmp(b, want[i][1]));
    T_CHECK(series_venue_symbol("binance", "ETH", b, sizeof b) < 0);
    T_CHECK(series_venue_symbol("kraken", "eth", b, sizeof b) < 0);
    /* every built-in is consistent */
    int n;
    const series_t *bi = series_builtins(&n);
    for (int i = 0; i < n; i++) {
        T_CHECK(series_parse(&one, bi[i].ticker, "", &bi[i], err, sizeof err) == 0);
        T_CHECK(!strcmp(one.pair + strlen(one.asset), "-USD") && one.source && one.nvenues > 0);
    }
    return 0;
}
