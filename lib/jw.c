/* jw: the JSON writer used for every bus message on the hot path (see jw.h).
 * No allocation once the buffer has grown to its working size. */
#include "jw.h"
#include "util.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void jw_init(jw_t *w, size_t cap)
{
    memset(w, 0, sizeof *w);
    w->cap = cap < 64 ? 64 : cap;
    w->buf = xmalloc(w->cap);
    w->buf[0] = '\0';
}

void jw_free(jw_t *w)
{
    free(w->buf);
    memset(w, 0, sizeof *w);
}

void jw_reset(jw_t *w)
{
    w->len = 0;
    w->depth = 0;
    w->after_key = 0;
    if (w->buf) w->buf[0] = '\0';
}

void jw_fragment(jw_t *w)
{
    jw_reset(w);
    w->depth = 1;
    w->first[0] = 1;
}

static void s_reserve(jw_t *w, size_t n)
{
    if (w->len + n + 1 <= w->cap) return;
    while (w->len + n + 1 > w->cap) w->cap *= 2;
    w->buf = xrealloc(w->buf, w->cap);
}

static void s_put(jw_t *w, const char *s, size_t n)
{
    s_reserve(w, n);
    memcpy(w->buf + w->len, s, n);
    w->len += n;
    w->buf[w->len] = '\0';
}

static void s_putc(jw_t *w, char c)
{
    s_reserve(w, 1);
    w->buf[w->len++] = c;
    w->buf[w->len] = '\0';
}

/* Called before every value or key: comma between members. */
static void s_sep(jw_t *w)
{
    if (w->after_key) {
        w->after_key = 0;
        return;
    }
    if (w->depth > 0) {
        if (!w->first[w->depth - 1]) s_putc(w, ',');
        w->first[w->depth - 1] = 0;
    }
}

static void s_open(jw_t *w, char c)
{
    s_sep(w);
    s_putc(w, c);
    assert(w->depth < JW_MAX_DEPTH);
    w->first[w->depth++] = 1;
}

void jw_obj(jw_t *w) { s_open(w, '{'); }
void jw_arr(jw_t *w) { s_open(w, '['); }

void jw_obj_end(jw_t *w)
{
    assert(w->depth > 0);
    w->depth--;
    s_putc(w, '}');
}

void jw_arr_end(jw_t *w)
{
    assert(w->depth > 0);
    w->depth--;
    s_putc(w, ']');
}

static void s_escaped(jw_t *w, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    s_reserve(w, n + 2);
    s_putc(w, '"');
    size_t start = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        s_put(w, s + start, i - start);
        start = i + 1;
        char e[7] = {'\\', 0};
        switch (c) {
        case '"': e[1] = '"'; s_put(w, e, 2); break;
        case '\\': e[1] = '\\'; s_put(w, e, 2); break;
        case '\n': e[1] = 'n'; s_put(w, e, 2); break;
        case '\r': e[1] = 'r'; s_put(w, e, 2); break;
        case '\t': e[1] = 't'; s_put(w, e, 2); break;
        default:
            e[1] = 'u'; e[2] = '0'; e[3] = '0'; e[4] = hex[c >> 4]; e[5] = hex[c & 15];
            s_put(w, e, 6);
        }
    }
    s_put(w, s + start, n - start);
    s_putc(w, '"');
}

void jw_key(jw_t *w, const char *k)
{
    s_sep(w);
    s_escaped(w, k, strlen(k));
    s_putc(w, ':');
    w->after_key = 1;
}

static void s_null(jw_t *w)
{
    s_sep(w);
    s_put(w, "null", 4);
}

void jw_strn(jw_t *w, const char *s, size_t n)
{
    s_sep(w);
    s_escaped(w, s, n);
}

void jw_str(jw_t *w, const char *s)
{
    if (!s) {
        s_null(w);
        return;
    }
    jw_strn(w, s, strlen(s));
}

void jw_int(jw_t *w, int64_t v)
{
    char b[24];
    int n = snprintf(b, sizeof b, "%lld", (long long)v);
    s_sep(w);
    s_put(w, b, (size_t)n);
}

static void s_uint(jw_t *w, uint64_t v)
{
    char b[24];
    int n = snprintf(b, sizeof b, "%llu", (unsigned long long)v);
    s_sep(w);
    s_put(w, b, (size_t)n);
}

static void s_bool(jw_t *w, int v)
{
    s_sep(w);
    if (v) s_put(w, "true", 4);
    else s_put(w, "false", 5);
}

void jw_raw(jw_t *w, const char *s, size_t n)
{
    s_sep(w);
    s_put(w, s, n);
}

/* A double printed with up to PREC decimals, trailing zeros removed; NaN/inf
 * become null (JSON has no such numbers). */
static void s_dbl(jw_t *w, double v, int prec)
{
    if (!isfinite(v)) {
        s_null(w);
        return;
    }
    char b[64];
    int n = snprintf(b, sizeof b, "%.*f", prec, v);
    if (prec > 0) {
        while (n > 0 && b[n - 1] == '0') n--;
        if (n > 0 && b[n - 1] == '.') n--;
    }
    if (n == 2 && b[0] == '-' && b[1] == '0') { b[0] = '0'; n = 1; }
    s_sep(w);
    s_put(w, b, (size_t)n);
}

void jw_fixed(jw_t *w, int64_t v, int scale, int mindec)
{
    char b[48], *p = b + sizeof b;
    int neg = v < 0;
    uint64_t u = neg ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    int dec = scale;
    /* drop trailing zeros of the fraction down to MINDEC decimals */
    while (dec > mindec && u % 10 == 0 && dec > 0) {
        u /= 10;
        dec--;
    }
    for (int i = 0; i < dec; i++) {
        *--p = (char)('0' + u % 10);
        u /= 10;
    }
    if (dec > 0) *--p = '.';
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (neg) *--p = '-';
    s_sep(w);
    s_put(w, p, (size_t)(b + sizeof b - p));
}

void jw_kstr(jw_t *w, const char *k, const char *s) { jw_key(w, k); jw_str(w, s); }
void jw_kint(jw_t *w, const char *k, int64_t v) { jw_key(w, k); jw_int(w, v); }
void jw_kuint(jw_t *w, const char *k, uint64_t v) { jw_key(w, k); s_uint(w, v); }
void jw_kbool(jw_t *w, const char *k, int v) { jw_key(w, k); s_bool(w, v); }
void jw_knull(jw_t *w, const char *k) { jw_key(w, k); s_null(w); }
void jw_kdbl(jw_t *w, const char *k, double v, int prec) { jw_key(w, k); s_dbl(w, v, prec); }
void jw_kfixed(jw_t *w, const char *k, int64_t v, int scale, int mindec)
{
    jw_key(w, k);
    jw_fixed(w, v, scale, mindec);
}

int jw_test(void)
{
    jw_t w;
    jw_init(&w, 8);
    jw_obj(&w);
    jw_kstr(&w, "s", "a\"b\\c\n\x01");
    jw_kfixed(&w, "px", 9701234, 2, 0);
    jw_kfixed(&w, "k", 5400, 4, 0);
    jw_kfixed(&w, "z", 0, 8, 0);
    jw_kfixed(&w, "neg", -5, 3, 0);
    jw_kfixed(&w, "b", 1230000, 4, 1);
    jw_key(&w, "arr");
    jw_arr(&w);
    jw_arr(&w);
    jw_int(&w, 1);
    jw_int(&w, -2);
    jw_arr_end(&w);
    s_null(&w);
    jw_arr_end(&w);
    jw_kdbl(&w, "d", 97012.34, 8);
    jw_kdbl(&w, "nan", NAN, 2);
    jw_kbool(&w, "t", 1);
    jw_obj_end(&w);
    const char *want = "{\"s\":\"a\\\"b\\\\c\\n\\u0001\",\"px\":97012.34,\"k\":0.54,\"z\":0,"
                       "\"neg\":-0.005,\"b\":123.0,\"arr\":[[1,-2],null],\"d\":97012.34,"
                       "\"nan\":null,\"t\":true}";
    int rc = strcmp(w.buf, want) ? -1 : 0;
    if (rc) fprintf(stderr, "jw_test: got  %s\n         want %s\n", w.buf, want);
    jw_fragment(&w);
    jw_kint(&w, "a", 1);
    jw_kint(&w, "b", 2);
    if (strcmp(w.buf, "\"a\":1,\"b\":2")) {
        fprintf(stderr, "jw_test: fragment gave %s\n", w.buf);
        rc = -1;
    }
    jw_free(&w);
    return rc;
}
