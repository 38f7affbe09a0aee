/* jw: a small JSON writer for the per-message path (docs/ARCHITECTURE.md,
 * 'Hot path'): appends to a caller-owned growable buffer, inserts commas itself,
 * escapes strings, and prints fixed-point numbers exactly at their scale
 * (9701234 @2 -> 97012.34). */
#ifndef TB_JW_H
#define TB_JW_H

#include <stddef.h>
#include <stdint.h>

#define JW_MAX_DEPTH 16

typedef struct {
    char *buf;
    size_t len, cap;
    int depth;
    unsigned char first[JW_MAX_DEPTH]; /* 1 until the container got its first member */
    int after_key;
} jw_t;

void jw_init(jw_t *w, size_t cap);  /* allocates; jw_free releases */
void jw_free(jw_t *w);
void jw_reset(jw_t *w);             /* empty the buffer, keep the memory */
/* Start a fragment that continues an object already open elsewhere (bus
 * payload bodies are a tail of key/value pairs): behaves as inside an object. */
void jw_fragment(jw_t *w);

void jw_obj(jw_t *w);
void jw_obj_end(jw_t *w);
void jw_arr(jw_t *w);
void jw_arr_end(jw_t *w);
void jw_key(jw_t *w, const char *k);
void jw_str(jw_t *w, const char *s);
void jw_strn(jw_t *w, const char *s, size_t n);
void jw_int(jw_t *w, int64_t v);
/* Fixed point: V / 10^SCALE printed exactly, trailing zeros trimmed down to MINDEC decimals. */
void jw_fixed(jw_t *w, int64_t v, int scale, int mindec);
/* Raw JSON text inserted as one value (caller guarantees validity). */
void jw_raw(jw_t *w, const char *s, size_t n);

/* key + value shorthands */
void jw_kstr(jw_t *w, const char *k, const char *s);
void jw_kint(jw_t *w, const char *k, int64_t v);
void jw_kuint(jw_t *w, const char *k, uint64_t v);
void jw_kbool(jw_t *w, const char *k, int v);
void jw_knull(jw_t *w, const char *k);
void jw_kdbl(jw_t *w, const char *k, double v, int prec);
void jw_kfixed(jw_t *w, const char *k, int64_t v, int scale, int mindec);

int jw_test(void);

#endif
