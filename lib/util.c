/* util: allocation wrappers that abort on out-of-memory (tier 2 of the errors
 * in docs/DEVELOPING.md, 'House style') and a small string list used by option
 * parsing and subscribers. */
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void s_oom(size_t n)
{
    fprintf(stderr, "out of memory allocating %zu bytes\n", n);
    abort();
}

void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) s_oom(n);
    return p;
}

void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) s_oom(n * size);
    return p;
}

int util_open_file(const char *path, const char *what, char *why, size_t n)
{
    struct stat st;
    /* O_NONBLOCK: a FIFO or a device named by mistake must not hang the program in open(2) */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        snprintf(why, n, "cannot open %s %s: %s", what, path, strerror(errno));
        return -1;
    }
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        snprintf(why, n, "%s %s is not a regular file", what, path);
        close(fd);
        return -1;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    return fd;
}

int util_open_secret(const char *path, const char *what, int *perm, char *why, size_t n)
{
    struct stat st;
    *perm = 0;
    int fd = util_open_file(path, what, why, n);
    if (fd < 0) return -1;
    if (fstat(fd, &st) < 0 || (st.st_mode & 077)) {
        *perm = 1;
        snprintf(why, n,
                 "%s %s has mode %04o: it must not be accessible by group or others "
                 "(chmod 600 %s)", what, path, (unsigned)(st.st_mode & 07777), path);
        close(fd);
        return -1;
    }
    return fd;
}

void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) s_oom(n);
    return q;
}

char *xstrdup(const char *s)
{
    return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
    char *p = xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

void ring_grow(void *v, size_t size, size_t *cap, size_t *head, size_t n, size_t min)
{
    char **pv = v, *old = *pv;
    size_t ncap = *cap ? 2 * *cap : min;
    char *nv = xcalloc(ncap, size);
    size_t first = n && *cap - *head < n ? *cap - *head : n; /* up to the end of the array */
    if (n) {
        memcpy(nv, old + *head * size, first * size);
        memcpy(nv + first * size, old, (n - first) * size);
    }
    free(old);
    *pv = nv;
    *cap = ncap;
    *head = 0;
}

void strlist_add(strlist_t *l, const char *s)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 4;
        l->v = xrealloc(l->v, (size_t)l->cap * sizeof *l->v);
    }
    l->v[l->n++] = xstrdup(s);
}

int strlist_has(const strlist_t *l, const char *s)
{
    for (int i = 0; i < l->n; i++)
        if (!strcmp(l->v[i], s)) return 1;
    return 0;
}

void strlist_clear(strlist_t *l)
{
    for (int i = 0; i < l->n; i++) free(l->v[i]);
    free(l->v);
    l->v = NULL;
    l->n = l->cap = 0;
}

int util_test(void)
{
    int rc = 0;
    /* a full ring that wraps: slots [c d a b], head 2 -> [a b c d ...] */
    size_t cap = 4, head = 2;
    int *v = xcalloc(cap, sizeof *v);
    v[2] = 1, v[3] = 2, v[0] = 3, v[1] = 4;
    ring_grow(&v, sizeof *v, &cap, &head, 4, 16);
    if (cap != 8 || head != 0 || v[0] != 1 || v[1] != 2 || v[2] != 3 || v[3] != 4 || v[4] != 0)
        rc = -1;
    free(v);
    /* an empty one gets MIN slots */
    int *e = NULL;
    cap = 0, head = 0;
    ring_grow(&e, sizeof *e, &cap, &head, 0, 16);
    if (cap != 16 || !e) rc = -1;
    free(e);
    /* not wrapping: head 0, full */
    cap = 2, head = 0;
    int *w = xcalloc(cap, sizeof *w);
    w[0] = 7, w[1] = 8;
    ring_grow(&w, sizeof *w, &cap, &head, 2, 16);
    if (cap != 4 || w[0] != 7 || w[1] != 8) rc = -1;
    free(w);
    return rc;
}
