/* jtok: jsmn-based zero-copy JSON reading for venue frames and bus messages
 * (see jtok.h). This file holds jsmn's implementation for the whole build. */
#define JSMN_PARENT_LINKS /* as in jtok.h: the token layout must agree */
#define JSMN_STRICT
#include <jsmn.h>

#include "jtok.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JTOK_MAX_TOKENS (1 << 20)

void jtok_init(jtok_t *d)
{
    memset(d, 0, sizeof *d);
    d->cap = 256;
    d->t = xmalloc((size_t)d->cap * sizeof *d->t);
}

void jtok_free(jtok_t *d)
{
    free(d->t);
    memset(d, 0, sizeof *d);
}

int jtok_parse(jtok_t *d, const char *js, size_t len)
{
    d->js = js;
    d->len = len;
    d->n = 0;
    for (;;) {
        jsmn_parser p;
        jsmn_init(&p);
        int r = jsmn_parse(&p, js, len, d->t, (unsigned)d->cap);
        if (r == JSMN_ERROR_NOMEM) {
            if (d->cap >= JTOK_MAX_TOKENS) return -1;
            d->cap *= 2;
            d->t = xrealloc(d->t, (size_t)d->cap * sizeof *d->t);
            continue;
        }
        if (r <= 0) return -1;
        /* jsmn accepts some non-JSON (bare words in non-strict mode, trailing
         * data); require one top-level container spanning the input. */
        if (d->t[0].type != JSMN_OBJECT && d->t[0].type != JSMN_ARRAY) return -1;
        size_t end = (size_t)d->t[0].end;
        while (end < len && (js[end] == ' ' || js[end] == '\n' || js[end] == '\r' ||
                             js[end] == '\t'))
            end++;
        if (end != len) return -1;
        d->n = r;
        return r;
    }
}

int jtok_skip(const jtok_t *d, int i)
{
    int pending = 1;
    while (pending > 0 && i < d->n) {
        const jsmntok_t *t = &d->t[i];
        pending--;
        if (t->type == JSMN_OBJECT) pending += 2 * t->size;
        else if (t->type == JSMN_ARRAY) pending += t->size;
        i++;
    }
    return i;
}

int jtok_type(const jtok_t *d, int i)
{
    return i >= 0 && i < d->n ? (int)d->t[i].type : 0;
}

int jtok_size(const jtok_t *d, int i)
{
    if (i < 0 || i >= d->n) return -1;
    if (d->t[i].type != JSMN_OBJECT && d->t[i].type != JSMN_ARRAY) return -1;
    return d->t[i].size;
}

const char *jtok_text(const jtok_t *d, int i, size_t *len)
{
    if (i < 0 || i >= d->n) {
        *len = 0;
        return "";
    }
    *len = (size_t)(d->t[i].end - d->t[i].start);
    return d->js + d->t[i].start;
}

int jtok_eq(const jtok_t *d, int i, const char *s)
{
    if (i < 0 || i >= d->n) return 0;
    if (d->t[i].type != JSMN_STRING && d->t[i].type != JSMN_PRIMITIVE) return 0;
    size_t n;
    const char *p = jtok_text(d, i, &n);
    return strlen(s) == n && !memcmp(p, s, n);
}

int jtok_is_null(const jtok_t *d, int i)
{
    return jtok_type(d, i) == JSMN_PRIMITIVE && jtok_eq(d, i, "null");
}

int jtok_get(const jtok_t *d, int obj, const char *key)
{
    if (jtok_type(d, obj) != JSMN_OBJECT) return -1;
    int members = d->t[obj].size, i = obj + 1;
    for (int m = 0; m < members && i < d->n; m++) {
        if (d->t[i].type == JSMN_STRING && jtok_eq(d, i, key)) return i + 1 < d->n ? i + 1 : -1;
        i = jtok_skip(d, i + 1);
    }
    return -1;
}

int jtok_str(const jtok_t *d, int i, char *buf, size_t n)
{
    if (jtok_type(d, i) != JSMN_STRING || n == 0) return -1;
    size_t len, k = 0;
    const char *p = jtok_text(d, i, &len);
    for (size_t j = 0; j < len && k + 1 < n; j++) {
        if (p[j] == '\\' && j + 1 < len && (p[j + 1] == '"' || p[j + 1] == '\\' || p[j + 1] == '/'))
            j++;
        buf[k++] = p[j];
    }
    buf[k] = '\0';
    return 0;
}

int num_parse_fixed(const char *s, size_t n, int scale, int64_t *v)
{
    size_t i = 0;
    int neg = 0;
    uint64_t acc = 0;
    const uint64_t lim = (uint64_t)INT64_MAX;
    if (i < n && (s[i] == '-' || s[i] == '+')) neg = s[i++] == '-';
    size_t int_start = i;
    while (i < n && s[i] >= '0' && s[i] <= '9') i++;
    size_t int_end = i, frac_start = i, frac_end = i;
    if (i < n && s[i] == '.') {
        frac_start = ++i;
        while (i < n && s[i] >= '0' && s[i] <= '9') i++;
        frac_end = i;
    }
    if (int_end == int_start && frac_end == frac_start) return -1;
    int exp = 0;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        int eneg = 0, ed = 0;
        i++;
        if (i < n && (s[i] == '-' || s[i] == '+')) eneg = s[i++] == '-';
        for (; i < n && s[i] >= '0' && s[i] <= '9'; i++, ed++)
            if (exp < 1000) exp = exp * 10 + (s[i] - '0');
        if (ed == 0) return -1;
        if (eneg) exp = -exp;
    }
    if (i != n) return -1;
    while (frac_end > frac_start && s[frac_end - 1] == '0') frac_end--; /* 0.12300 == 0.123 */
    for (size_t k = int_start; k < int_end; k++) {
        if (acc > (lim - 9) / 10) return -1;
        acc = acc * 10 + (uint64_t)(s[k] - '0');
    }
    for (size_t k = frac_start; k < frac_end; k++) {
        if (acc > (lim - 9) / 10) return -1;
        acc = acc * 10 + (uint64_t)(s[k] - '0');
    }
    int shift = scale - (int)(frac_end - frac_start) + exp;
    for (; shift > 0; shift--) {
        if (acc > lim / 10) return -1;
        acc *= 10;
    }
    for (; shift < 0; shift++) {
        if (acc % 10) return -1; /* more precision than SCALE holds exactly */
        acc /= 10;
    }
    *v = neg ? -(int64_t)acc : (int64_t)acc;
    return 0;
}

int jtok_fixed(const jtok_t *d, int i, int scale, int64_t *v)
{
    int ty = jtok_type(d, i);
    if (ty != JSMN_STRING && ty != JSMN_PRIMITIVE) return -1;
    size_t len;
    const char *p = jtok_text(d, i, &len);
    return num_parse_fixed(p, len, scale, v);
}

int jtok_int(const jtok_t *d, int i, int64_t *v)
{
    return jtok_fixed(d, i, 0, v);
}

int jtok_test(void)
{
    jtok_t d;
    jtok_init(&d);
    const char *js = "{\"a\":{\"x\":[1,2,{\"y\":3}]},\"px\":\"97012.34\",\"q\":0.00012300,"
                     "\"n\":null,\"s\":\"q\\\"x\",\"e\":1.5e3}";
    int rc = 0;
    if (jtok_parse(&d, js, strlen(js)) <= 0) rc = -1;
    int64_t v;
    char buf[16];
    if (jtok_fixed(&d, jtok_get(&d, 0, "px"), 2, &v) || v != 9701234) rc = -1;
    if (jtok_fixed(&d, jtok_get(&d, 0, "q"), 8, &v) || v != 12300) rc = -1;
    if (jtok_fixed(&d, jtok_get(&d, 0, "px"), 1, &v) == 0) rc = -1; /* inexact */
    if (jtok_fixed(&d, jtok_get(&d, 0, "e"), 0, &v) || v != 1500) rc = -1;
    if (!jtok_is_null(&d, jtok_get(&d, 0, "n"))) rc = -1;
    if (jtok_str(&d, jtok_get(&d, 0, "s"), buf, sizeof buf) || strcmp(buf, "q\"x")) rc = -1;
    if (jtok_get(&d, 0, "y") != -1) rc = -1; /* nested keys are not top-level */
    if (jtok_size(&d, jtok_get(&d, jtok_get(&d, 0, "a"), "x")) != 3) rc = -1;
    const char *bad[] = {"{\"a\":", "{\"a\":1}}", "nope", "{\"a\":1} x", ""};
    for (size_t k = 0; k < ARRAY_LEN(bad); k++)
        if (jtok_parse(&d, bad[k], strlen(bad[k])) >= 0) {
            fprintf(stderr, "jtok_test: accepted bad input '%s'\n", bad[k]);
            rc = -1;
        }
    const char *nums[] = {"", "-", ".", "1.2.3", "1e", "99999999999999999999", "1x"};
    for (size_t k = 0; k < ARRAY_LEN(nums); k++)
        if (num_parse_fixed(nums[k], strlen(nums[k]), 2, &v) == 0) {
            fprintf(stderr, "jtok_test: accepted bad number '%s'\n", nums[k]);
            rc = -1;
        }
    if (num_parse_fixed("-0.5", 4, 4, &v) || v != -5000) rc = -1;
    jtok_free(&d);
    if (rc) fprintf(stderr, "jtok_test: failed\n");
    return rc;
}
