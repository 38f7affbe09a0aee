/* jtok: zero-copy reading of JSON on the per-message path, on top of jsmn
 * (docs/ARCHITECTURE.md, 'Hot path'). Tokens point into the caller's buffer;
 * numbers are read from their text into exact fixed-point integers, never
 * through a double. */
#ifndef TB_JTOK_H
#define TB_JTOK_H

/* jsmn's token layout (with parent links); the parser is jtok's own, linear
 * in the frame whatever its shape (jtok.c). */
#ifndef JSMN_PARENT_LINKS
#define JSMN_PARENT_LINKS
#endif
#define JSMN_HEADER
#include <jsmn.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    const char *js;
    size_t len;
    jsmntok_t *t;
    int n;   /* tokens parsed */
    int cap; /* tokens allocated (grows on demand, kept between messages) */
    int err; /* why the last jtok_parse failed: JTOK_E* (0 after a success) */
} jtok_t;

#define JTOK_MAX_DEPTH 64 /* nesting deeper than this is rejected (JTOK_EDEPTH) */
enum { JTOK_ESYNTAX = 1, JTOK_EDEPTH, JTOK_ETOKENS, JTOK_ESIZE };

void jtok_init(jtok_t *d);
void jtok_free(jtok_t *d);
/* Parse JS[0..LEN) (need not be NUL-terminated): one object or array, strict
 * JSON, strings valid UTF-8. Returns the token count, or -1 (reason in d->err,
 * text from jtok_errstr) for invalid or truncated JSON, nesting deeper than
 * JTOK_MAX_DEPTH, or more than 2^20 tokens. Time is linear in LEN. */
int jtok_parse(jtok_t *d, const char *js, size_t len);
const char *jtok_errstr(const jtok_t *d);

/* Index just past token I and everything nested in it. */
int jtok_skip(const jtok_t *d, int i);
/* Value token of KEY in the object at token OBJ, or -1. */
int jtok_get(const jtok_t *d, int obj, const char *key);
/* 1 if token I is a string or primitive whose text equals S. */
int jtok_eq(const jtok_t *d, int i, const char *s);
int jtok_is_null(const jtok_t *d, int i);
int jtok_type(const jtok_t *d, int i); /* JSMN_* or 0 when I is out of range */
/* Raw text of token I (no unescaping). */
const char *jtok_text(const jtok_t *d, int i, size_t *len);
/* The text of string token I, every JSON escape decoded once (\uXXXX and
 * surrogate pairs to UTF-8), into BUF, NUL-terminated, cut at the last whole UTF-8 character
 * that fits N - 1 bytes. Returns -1 (BUF "") if I is not a string or holds a
 * lone surrogate. */
int jtok_str(const jtok_t *d, int i, char *buf, size_t n);
/* An id (a venue's trade id: docs/FEEDS.md 'Trade ids'): 1..JTOK_ID_MAX bytes
 * once unescaped, valid UTF-8, no control character; a string, or when
 * NUMERIC_OK a non-negative integer (its digits). BUF holds JTOK_ID_MAX bytes.
 * Returns 1 (BUF[0..*LEN) is the id), 0 when I is absent (< 0) or null, -1
 * for anything else (true, an object, a 500 KB string, "a\u0000b", ""). */
#define JTOK_ID_MAX 64
int jtok_id(const jtok_t *d, int i, int numeric_ok, char *buf, size_t *len);
/* Exact decimal (a number, or a string holding one) as V * 10^-SCALE.
 * Returns -1 on non-numbers, overflow, or non-zero digits beyond SCALE. */
int jtok_fixed(const jtok_t *d, int i, int scale, int64_t *v);
int jtok_int(const jtok_t *d, int i, int64_t *v);
/* Count of array elements / object members of container I (-1 otherwise). */
int jtok_size(const jtok_t *d, int i);

/* Decimal text to fixed point (shared with everything that reads decimals). */
int num_parse_fixed(const char *s, size_t n, int scale, int64_t *v);

int jtok_test(void);

#endif
