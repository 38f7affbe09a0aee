/* jtok: zero-copy JSON reading for venue frames and bus messages (see
 * jtok.h), into jsmn's token layout. */
#include "jtok.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

/* The tokenizer: a strict JSON (RFC 8259) reader producing jsmn's token
 * layout, linear in the frame whatever its shape. jsmn itself finds the
 * container a ']' closes by walking parent links up from the last token, so a
 * frame N arrays deep costs N^2/2 steps (4 s for 200 KB); here the open
 * containers are a stack, nesting is limited to JTOK_MAX_DEPTH, and the token
 * array grows in place instead of re-parsing from the start. Strings must be
 * valid UTF-8 with valid escapes and no control characters; numbers and
 * literals follow the JSON grammar exactly. */
static int s_fail(jtok_t *d, int err)
{
    d->n = 0;
    d->err = err;
    return -1;
}

static int s_new(jtok_t *d, jsmntype_t ty, size_t start, int parent)
{
    if (d->n == d->cap) {
        if (d->cap >= JTOK_MAX_TOKENS) return -1;
        d->cap *= 2;
        d->t = xrealloc(d->t, (size_t)d->cap * sizeof *d->t);
    }
    jsmntok_t *t = &d->t[d->n];
    t->type = ty;
    t->start = (int)start;
    t->end = -1;
    t->size = 0;
    t->parent = parent;
    return d->n++;
}

/* Length of the UTF-8 sequence at P (at most N bytes), 0 if invalid
 * (overlong forms, surrogates and code points past U+10FFFF included). */
static size_t s_utf8_len(const unsigned char *p, size_t n)
{
    unsigned c = p[0];
    if (c < 0x80) return 1;
    if (c < 0xc2 || c > 0xf4) return 0;
    size_t k = c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
    if (n < k) return 0;
    for (size_t j = 1; j < k; j++)
        if ((p[j] & 0xc0) != 0x80) return 0;
    if (c == 0xe0 && p[1] < 0xa0) return 0; /* overlong */
    if (c == 0xed && p[1] > 0x9f) return 0; /* surrogate */
    if (c == 0xf0 && p[1] < 0x90) return 0; /* overlong */
    if (c == 0xf4 && p[1] > 0x8f) return 0; /* > U+10FFFF */
    return k;
}

/* 1 if S[0..N) is valid UTF-8 (no overlong forms, surrogates or > U+10FFFF). */
static int s_utf8_valid(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        if (p[i] < 0x80) {
            i++;
            continue;
        }
        size_t k = s_utf8_len(p + i, n - i);
        if (!k) return 0;
        i += k;
    }
    return 1;
}

static int s_hex(char c)
{
    return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
}

/* The string whose opening quote is at *I: on success *I is past the closing quote. */
static int s_string(const char *js, size_t len, size_t *i)
{
    const unsigned char *p = (const unsigned char *)js;
    size_t j = *i + 1;
    for (;;) {
        if (j >= len) return -1;
        unsigned c = p[j];
        if (c == '"') break;
        if (c == '\\') {
            if (j + 1 >= len) return -1;
            char e = js[j + 1];
            if (e == 'u') {
                if (j + 5 >= len || !s_hex(js[j + 2]) || !s_hex(js[j + 3]) || !s_hex(js[j + 4]) ||
                    !s_hex(js[j + 5]))
                    return -1;
                j += 6;
            } else if (e && strchr("\"\\/bfnrt", e)) {
                j += 2;
            } else {
                return -1;
            }
        } else if (c < 0x20) {
            return -1;
        } else if (c < 0x80) {
            j++;
        } else {
            size_t k = s_utf8_len(p + j, len - j);
            if (!k) return -1;
            j += k;
        }
    }
    *i = j + 1;
    return 0;
}

static int s_digit(const char *js, size_t len, size_t j)
{
    return j < len && js[j] >= '0' && js[j] <= '9';
}

static int s_number(const char *js, size_t len, size_t *i)
{
    size_t j = *i;
    if (js[j] == '-') j++;
    if (!s_digit(js, len, j)) return -1;
    if (js[j] == '0') j++;
    else
        while (s_digit(js, len, j)) j++;
    if (j < len && js[j] == '.') {
        j++;
        if (!s_digit(js, len, j)) return -1;
        while (s_digit(js, len, j)) j++;
    }
    if (j < len && (js[j] == 'e' || js[j] == 'E')) {
        j++;
        if (j < len && (js[j] == '+' || js[j] == '-')) j++;
        if (!s_digit(js, len, j)) return -1;
        while (s_digit(js, len, j)) j++;
    }
    *i = j;
    return 0;
}

enum { W_VALUE, W_VALUE_OR_CLOSE, W_KEY, W_KEY_OR_CLOSE, W_COLON, W_NEXT, W_END };

/* One scalar value at d->js[*i] (a string, a number, true, false or null) as
 * a token under PARENT; *i moves past it. 0, or the JTOK_E* error. */
static int s_scalar(jtok_t *d, size_t *i, int parent)
{
    const char *js = d->js;
    size_t len = d->len, st = *i;
    char c = js[st];
    jsmntype_t ty = JSMN_PRIMITIVE;
    int bad;
    if (c == '"') {
        ty = JSMN_STRING;
        bad = s_string(js, len, i);
    } else if (c == '-' || (c >= '0' && c <= '9')) {
        bad = s_number(js, len, i);
    } else {
        const char *lit = c == 't' ? "true" : c == 'f' ? "false" : c == 'n' ? "null" : "";
        size_t n = strlen(lit);
        bad = !n || len - st < n || memcmp(js + st, lit, n);
        *i += n;
    }
    if (bad) return JTOK_ESYNTAX;
    int k = s_new(d, ty, ty == JSMN_STRING ? st + 1 : st, parent);
    if (k < 0) return JTOK_ETOKENS;
    d->t[k].end = (int)(ty == JSMN_STRING ? *i - 1 : *i);
    return 0;
}

int jtok_parse(jtok_t *d, const char *js, size_t len)
{
    d->js = js;
    d->len = len;
    d->n = 0;
    d->err = 0;
    if (len >= (size_t)INT32_MAX) return s_fail(d, JTOK_ESIZE);
    int stack[JTOK_MAX_DEPTH];
    int depth = 0, key = -1, state = W_VALUE;
    size_t i = 0;
    while (i < len) {
        char c = js[i];
        if (c == ' ' || c == '\n' || c == '\r' || c == '\t') {
            i++;
            continue;
        }
        int top = depth ? stack[depth - 1] : -1;
        switch (state) {
        case W_END:
            return s_fail(d, JTOK_ESYNTAX); /* trailing data */
        case W_COLON:
            if (c != ':') return s_fail(d, JTOK_ESYNTAX);
            i++;
            state = W_VALUE;
            continue;
        case W_NEXT:
            if (c == ',') {
                i++;
                state = d->t[top].type == JSMN_OBJECT ? W_KEY : W_VALUE;
                continue;
            }
            break; /* a close bracket, below */
        case W_KEY_OR_CLOSE:
            if (c == '}') break;
            /* fall through */
        case W_KEY: {
            size_t st = i;
            if (c != '"' || s_string(js, len, &i)) return s_fail(d, JTOK_ESYNTAX);
            key = s_new(d, JSMN_STRING, st + 1, top);
            if (key < 0) return s_fail(d, JTOK_ETOKENS);
            d->t[key].end = (int)i - 1;
            d->t[top].size++;
            state = W_COLON;
            continue;
        }
        case W_VALUE_OR_CLOSE:
            if (c == ']') break;
            /* fall through */
        case W_VALUE: {
            int parent = top < 0 ? -1 : d->t[top].type == JSMN_OBJECT ? key : top;
            if (parent < 0 && c != '{' && c != '[') return s_fail(d, JTOK_ESYNTAX);
            if (c == '{' || c == '[') {
                if (depth == JTOK_MAX_DEPTH) return s_fail(d, JTOK_EDEPTH);
                int k = s_new(d, c == '{' ? JSMN_OBJECT : JSMN_ARRAY, i, parent);
                if (k < 0) return s_fail(d, JTOK_ETOKENS);
                stack[depth++] = k;
                i++;
                state = c == '{' ? W_KEY_OR_CLOSE : W_VALUE_OR_CLOSE;
            } else {
                int e = s_scalar(d, &i, parent);
                if (e) return s_fail(d, e);
                state = W_NEXT;
            }
            if (parent >= 0 && d->t[parent].type == JSMN_STRING) d->t[parent].size = 1;
            else if (parent >= 0) d->t[parent].size++;
            continue;
        }
        }
        /* close the innermost container */
        if (c != (d->t[top].type == JSMN_OBJECT ? '}' : ']')) return s_fail(d, JTOK_ESYNTAX);
        d->t[top].end = (int)++i;
        depth--;
        state = depth ? W_NEXT : W_END;
    }
    if (state != W_END) return s_fail(d, JTOK_ESYNTAX); /* empty or truncated */
    return d->n;
}

const char *jtok_errstr(const jtok_t *d)
{
    switch (d->err) {
    case JTOK_EDEPTH: return "nested too deep";
    case JTOK_ETOKENS: return "too many tokens";
    case JTOK_ESIZE: return "too large";
    case JTOK_ESYNTAX: return "not valid JSON";
    default: return "ok";
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

static unsigned s_hex4(const char *p)
{
    unsigned v = 0;
    for (int k = 0; k < 4; k++) {
        char c = p[k];
        v = v * 16 + (unsigned)(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
    }
    return v;
}

/* The one string decoder: every JSON escape decoded once. A result longer than
 * CAP fails, or with TRUNCATE is cut at the last whole UTF-8 character that fits. */
static int s_unescape(const jtok_t *d, int i, char *buf, size_t cap, size_t *outlen, int truncate)
{
    if (jtok_type(d, i) != JSMN_STRING) return -1;
    size_t len, k = 0;
    const char *p = jtok_text(d, i, &len);
    for (size_t j = 0; j < len; j++) {
        char tmp[4];
        size_t m = 1;
        tmp[0] = p[j];
        if ((unsigned char)p[j] >= 0x80) { /* a raw UTF-8 character moves whole */
            m = s_utf8_len((const unsigned char *)p + j, len - j);
            if (m == 0) return -1; /* the parser refuses these; a token made elsewhere */
            memcpy(tmp, p + j, m);
            j += m - 1;
        } else if (p[j] == '\\') { /* the parser checked the escape's form */
            char e = p[++j];
            switch (e) {
            case 'b': tmp[0] = '\b'; break;
            case 'f': tmp[0] = '\f'; break;
            case 'n': tmp[0] = '\n'; break;
            case 'r': tmp[0] = '\r'; break;
            case 't': tmp[0] = '\t'; break;
            case 'u': {
                unsigned cp = s_hex4(p + j + 1);
                j += 4;
                if (cp >= 0xdc00 && cp <= 0xdfff) return -1; /* lone low surrogate */
                if (cp >= 0xd800 && cp <= 0xdbff) {          /* needs its low half */
                    if (j + 6 >= len || p[j + 1] != '\\' || p[j + 2] != 'u') return -1;
                    unsigned lo = s_hex4(p + j + 3);
                    if (lo < 0xdc00 || lo > 0xdfff) return -1;
                    cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                    j += 6;
                }
                if (cp < 0x80) tmp[0] = (char)cp;
                else if (cp < 0x800) {
                    tmp[0] = (char)(0xc0 | cp >> 6);
                    tmp[1] = (char)(0x80 | (cp & 0x3f));
                    m = 2;
                } else if (cp < 0x10000) {
                    tmp[0] = (char)(0xe0 | cp >> 12);
                    tmp[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
                    tmp[2] = (char)(0x80 | (cp & 0x3f));
                    m = 3;
                } else {
                    tmp[0] = (char)(0xf0 | cp >> 18);
                    tmp[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
                    tmp[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
                    tmp[3] = (char)(0x80 | (cp & 0x3f));
                    m = 4;
                }
                break;
            }
            default: tmp[0] = e; /* \" \\ \/ */
            }
        }
        if (k + m > cap) {
            if (!truncate) return -1;
            break; /* tmp holds one whole character: the cut is on a boundary */
        }
        memcpy(buf + k, tmp, m);
        k += m;
    }
    *outlen = k;
    return 0;
}

int jtok_str(const jtok_t *d, int i, char *buf, size_t n)
{
    size_t k = 0;
    if (n == 0) return -1;
    int rc = s_unescape(d, i, buf, n - 1, &k, 1);
    buf[rc == 0 ? k : 0] = '\0';
    return rc;
}

int jtok_id(const jtok_t *d, int i, int numeric_ok, char *buf, size_t *len)
{
    int ty = jtok_type(d, i);
    if (i < 0 || jtok_is_null(d, i)) return 0;
    if (ty == JSMN_PRIMITIVE) {
        /* a number: only a non-negative integer, where the venue's ids are numbers */
        size_t n;
        const char *p = jtok_text(d, i, &n);
        if (!numeric_ok || n == 0 || n > JTOK_ID_MAX) return -1;
        for (size_t k = 0; k < n; k++)
            if (p[k] < '0' || p[k] > '9') return -1;
        memcpy(buf, p, n);
        *len = n;
        return 1;
    }
    if (ty != JSMN_STRING || s_unescape(d, i, buf, JTOK_ID_MAX, len, 0) < 0 || *len == 0)
        return -1;
    for (size_t k = 0; k < *len; k++) /* control characters (and NUL) are not in ids */
        if ((unsigned char)buf[k] < 0x20 || buf[k] == 0x7f) return -1;
    return s_utf8_valid(buf, *len) ? 1 : -1;
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

static double s_cpu_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* A frame of LEN bytes: "[" GROUP "," GROUP ... "]" padded with spaces, where
 * GROUP is DEPTH nested arrays around a 1 (DEPTH 0: a flat array of 1s). */
static char *s_shape(size_t len, int depth)
{
    char *s = xmalloc(len + 1);
    size_t k = 0, group = 2 * (size_t)depth + 2;
    s[k++] = '[';
    while (k + group + 1 < len) {
        for (int j = 0; j < depth; j++) s[k++] = '[';
        s[k++] = '1';
        for (int j = 0; j < depth; j++) s[k++] = ']';
        s[k++] = ',';
    }
    if (s[k - 1] == ',') k--;
    s[k++] = ']';
    while (k < len) s[k++] = ' ';
    s[k] = '\0';
    return s;
}

/* Parse time is linear in the frame whatever its shape: 1 MiB of nested
 * arrays costs about what 1 MiB of a flat array does, and 200 KB nested
 * 100000 deep is rejected at once (jsmn's close-bracket walk made both
 * quadratic in the depth: 4 s for the latter). */
static int s_test_shapes(jtok_t *d)
{
    int rc = 0;
    size_t mib = 1 << 20, deep = 100000;
    char *js = xmalloc(2 * deep + 1);
    memset(js, '[', deep);
    memset(js + deep, ']', deep);
    double t0 = s_cpu_ms();
    int r = jtok_parse(d, js, 2 * deep);
    double ms = s_cpu_ms() - t0;
    if (r >= 0 || ms > 50) {
        fprintf(stderr, "jtok_test: 100000-deep arrays: rc %d in %.1f ms (want rejected, < 50 ms)\n",
                r, ms);
        rc = -1;
    }
    free(js);
    double best[2] = {1e9, 1e9};
    for (int rep = 0; rep < 3; rep++)
        for (int k = 0; k < 2; k++) {
            js = s_shape(mib, k ? 32 : 0);
            t0 = s_cpu_ms();
            r = jtok_parse(d, js, mib);
            ms = s_cpu_ms() - t0;
            if (ms < best[k]) best[k] = ms;
            if (r <= 0) {
                fprintf(stderr, "jtok_test: 1 MiB %s frame rejected\n", k ? "nested" : "flat");
                rc = -1;
            }
            free(js);
        }
    if (best[1] > 3 * best[0] + 5) {
        fprintf(stderr, "jtok_test: 1 MiB nested 32 deep %.1f ms vs flat %.1f ms\n", best[1], best[0]);
        rc = -1;
    }
    return rc;
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
    { /* jtok_str decodes every escape (it kept \n and \u as written) and cuts on a
       * character boundary: "a\u00e9" needs 3 bytes, 2 fit in a 3-byte buffer */
        jtok_t e;
        jtok_init(&e);
        char b3[3], b9[9];
        const char *jv = "[\"a\\n\\u00e9\",\"a\xc3\xa9\",\"\\udc00\"]";
        if (jtok_parse(&e, jv, strlen(jv)) < 0 || jtok_str(&e, 1, b9, sizeof b9) ||
            strcmp(b9, "a\n\xc3\xa9") || jtok_str(&e, 2, b3, sizeof b3) || strcmp(b3, "a") ||
            jtok_str(&e, 3, b9, sizeof b9) != -1 || b9[0]) {
            fprintf(stderr, "jtok_test: jtok_str decoding/truncation wrong\n");
            rc = -1;
        }
        jtok_free(&e);
    }
    if (jtok_get(&d, 0, "y") != -1) rc = -1; /* nested keys are not top-level */
    if (jtok_size(&d, jtok_get(&d, jtok_get(&d, 0, "a"), "x")) != 3) rc = -1;
    const char *bad[] = {"{\"a\":", "{\"a\":1}}", "nope", "{\"a\":1} x", "", "[1 2]",
                         "{\"a\":1,}", "[1,]", "[tru]", "[01]", "[1.]", "[-]", "{\"a\"}", "{1:2}",
                         "[\"\\x\"]", "[\"\\u12\"]", "[\"\x01\"]", "[\"\xc3\"]", "[\"\xc0\xaf\"]",
                         "[\"\xed\xa0\x80\"]", "[\"\xf4\x90\x80\x80\"]", "[\xc3\xa9]", "[1]]", "[}",
                         "{\"a\":1]", "1", "\"x\"", "[nul]", "[1e]", "[1,,2]", "{,}", "[:1]"};
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
    const char *good = " [\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\\u00e9\\n\", -0.5e+3, true, false, null, {}, [], "
                       "{\"k\":[0]}] ";
    if (jtok_parse(&d, good, strlen(good)) != 12 || d.err || jtok_size(&d, 0) != 8 ||
        d.t[9].parent != 8 || d.t[9].size != 1 || d.t[10].parent != 9 || d.t[6].parent != 0 ||
        jtok_skip(&d, 1) != 2 || jtok_skip(&d, 8) != 12 || jtok_get(&d, 8, "k") != 10) {
        fprintf(stderr, "jtok_test: valid frame misread (%d tokens)\n", d.n);
        rc = -1;
    }
    char depth[2 * JTOK_MAX_DEPTH + 3];
    memset(depth, '[', JTOK_MAX_DEPTH);
    memset(depth + JTOK_MAX_DEPTH, ']', JTOK_MAX_DEPTH);
    if (jtok_parse(&d, depth, 2 * JTOK_MAX_DEPTH) != JTOK_MAX_DEPTH) rc = -1;
    memset(depth, '[', JTOK_MAX_DEPTH + 1);
    memset(depth + JTOK_MAX_DEPTH + 1, ']', JTOK_MAX_DEPTH + 1);
    if (jtok_parse(&d, depth, 2 * JTOK_MAX_DEPTH + 2) != -1 || d.err != JTOK_EDEPTH) rc = -1;
    if (s_test_shapes(&d)) rc = -1;
    /* ids (issue 16 item 8): unescaped once, bounded, valid UTF-8, typed */
    {
        static const struct { const char *js; int num_ok, want; const char *id; } ids[] = {
            {"{\"i\":\"a\\\"b\\\\c\\/d\"}", 0, 1, "a\"b\\c/d"},
            {"{\"i\":\"\\u00e9\\ud83d\\ude00x\"}", 0, 1, "\xc3\xa9\xf0\x9f\x98\x80x"},
            {"{\"i\":81234568}", 1, 1, "81234568"},
            {"{\"i\":81234568}", 0, -1, NULL},
            {"{\"i\":-1}", 1, -1, NULL},
            {"{\"i\":1.5}", 1, -1, NULL},
            {"{\"i\":true}", 1, -1, NULL},
            {"{\"i\":{\"a\":1}}", 1, -1, NULL},
            {"{\"i\":[\"x\"]}", 1, -1, NULL},
            {"{\"i\":\"\"}", 0, -1, NULL},
            {"{\"i\":\"a\\nb\"}", 0, -1, NULL},
            {"{\"i\":\"a\\u0000b\"}", 0, -1, NULL},
            {"{\"i\":\"\\ud800x\"}", 0, -1, NULL},
            {"{\"i\":\"\\udc00\"}", 0, -1, NULL},
            {"{\"i\":\"0123456789012345678901234567890123456789012345678901234567890123\"}", 0, 1,
             "0123456789012345678901234567890123456789012345678901234567890123"},
            {"{\"i\":\"01234567890123456789012345678901234567890123456789012345678901234\"}", 0, -1,
             NULL},
            {"{\"i\":null}", 1, 0, NULL},
            {"{\"j\":\"x\"}", 1, 0, NULL},
        };
        for (size_t k = 0; k < ARRAY_LEN(ids); k++) {
            char id[JTOK_ID_MAX];
            size_t n = 0;
            int r = jtok_parse(&d, ids[k].js, strlen(ids[k].js)) < 0
                        ? -9
                        : jtok_id(&d, jtok_get(&d, 0, "i"), ids[k].num_ok, id, &n);
            if (r != ids[k].want ||
                (r == 1 && (n != strlen(ids[k].id) || memcmp(id, ids[k].id, n)))) {
                fprintf(stderr, "jtok_test: id %s -> %d '%.*s'\n", ids[k].js, r, (int)n, id);
                rc = -1;
            }
        }
    }
    jtok_free(&d);
    if (rc) fprintf(stderr, "jtok_test: failed\n");
    return rc;
}
