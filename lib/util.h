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

/* A full ring buffer grows: *V holds N elements of SIZE bytes, the first at *HEAD of *CAP
 * slots (wrapping); it becomes twice as large (MIN slots when empty), the elements in order
 * from slot 0 (*HEAD = 0). V is the address of the array pointer. The sinks' queues and the
 * aggregator's history are such rings. */
void ring_grow(void *v, size_t size, size_t *cap, size_t *head, size_t n, size_t min);

/* A growable list of owned strings (repeatable options, endpoints). */
typedef struct {
    char **v;
    int n, cap;
} strlist_t;
void strlist_add(strlist_t *l, const char *s);
int strlist_has(const strlist_t *l, const char *s);
void strlist_clear(strlist_t *l);

/* Open PATH read-only if it is a regular file (never blocking in open: a FIFO is refused, not
 * waited on). The fd, or -1 with WHY naming WHAT and PATH. */
int util_open_file(const char *path, const char *what, char *why, size_t n);
/* Open PATH read-only if it is a regular file that neither group nor others may access: a
 * secret (the Kalshi key, a CURVE secret key). The fd, or -1 with WHY filled (naming PATH, and
 * saying `chmod 600` when the mode is what is wrong: then *PERM is 1, else 0). */
int util_open_secret(const char *path, const char *what, int *perm, char *why, size_t n);

int util_test(void);

#endif
