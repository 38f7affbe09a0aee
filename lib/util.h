/* util: the out-of-memory tier of error handling (abort) and tiny helpers. */
#ifndef TB_UTIL_H
#define TB_UTIL_H

#include <stddef.h>

#define TB_VERSION "0.1.0"
#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

/* A growable list of owned strings (repeatable options, endpoints). */
typedef struct {
    char **v;
    int n, cap;
} strlist_t;
void strlist_add(strlist_t *l, const char *s);
int strlist_has(const strlist_t *l, const char *s);
void strlist_clear(strlist_t *l);

#endif
