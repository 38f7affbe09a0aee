/* framerec: the --record writer (see framerec.h). */
#include "framerec.h"
#include "log.h"
#include "opts.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct {
    uint64_t lines, bytes, errors, newlines;
} framerec_stats_t;

struct framerec {
    int fd;
    char *path;
    char *buf;
    size_t cap;
    int torn; /* a short write could not be cut back: start the next line on a new line */
    framerec_stats_t st;
};

/* Open PATH for appending (created with mode 0600). NULL with the reason in ERR. */
static framerec_t *s_open(const char *path, char *err, size_t errlen)
{
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    struct stat sb;
    if (fd >= 0 && fstat(fd, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        close(fd);
        fd = -1;
        errno = EISDIR;
    }
    if (fd < 0) {
        snprintf(err, errlen, "cannot be opened for appending: %s", strerror(errno));
        return NULL;
    }
    framerec_t *r = xcalloc(1, sizeof *r);
    r->fd = fd;
    r->path = xstrdup(path);
    r->cap = 4096;
    r->buf = xmalloc(r->cap);
    return r;
}

framerec_t *framerec_open_opt(const char *path)
{
    if (!path || !*path) return NULL;
    char err[256];
    framerec_t *r = s_open(path, err, sizeof err);
    if (!r) opts_die("record", path, err);
    log_info("recording every frame to %s", path);
    return r;
}

void framerec_close(framerec_t **rp)
{
    framerec_t *r = *rp;
    if (!r) return;
    close(r->fd);
    free(r->path);
    free(r->buf);
    free(r);
    *rp = NULL;
}

static void s_error(framerec_t *r, const char *what, int e)
{
    r->st.errors++;
    log_warnx_rl("record: %s: %s: %s (%llu write errors so far; the feed goes on)", r->path, what,
                 strerror(e), (unsigned long long)r->st.errors);
}

int framerec_write(framerec_t *r, int64_t ts_rx, const char *msg, size_t len)
{
    if (!r) return 0;
    size_t need = len + 24 + 2;
    if (need > r->cap) {
        while (r->cap < need) r->cap *= 2;
        r->buf = xrealloc(r->buf, r->cap);
    }
    char *p = r->buf;
    if (r->torn) *p++ = '\n';
    /* the timestamp: decimal digits written backwards */
    char d[24];
    int nd = 0;
    uint64_t v = ts_rx > 0 ? (uint64_t)ts_rx : 0;
    do {
        d[nd++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (nd) *p++ = d[--nd];
    *p++ = '\t';
    memcpy(p, msg, len);
    int nl = 0;
    for (char *q = p, *e = p + len; (q = memchr(q, '\n', (size_t)(e - q))); q++) *q = '\t', nl = 1;
    for (char *q = p, *e = p + len; (q = memchr(q, '\r', (size_t)(e - q))); q++) *q = '\t', nl = 1;
    r->st.newlines += (uint64_t)nl;
    p += len;
    *p++ = '\n';
    size_t n = (size_t)(p - r->buf);
    ssize_t w;
    do w = write(r->fd, r->buf, n);
    while (w < 0 && errno == EINTR);
    if (w == (ssize_t)n) {
        r->torn = 0;
        r->st.lines++;
        r->st.bytes += n;
        return 0;
    }
    if (w < 0) {
        s_error(r, "write failed", errno);
        return -1;
    }
    /* a short write (disk full): cut the partial line back off the file */
    off_t end = lseek(r->fd, 0, SEEK_END);
    if (w > 0 && !(end >= w && ftruncate(r->fd, end - w) == 0)) r->torn = 1;
    s_error(r, "short write, line dropped", ENOSPC);
    return -1;
}

const char *framerec_split(const char *line, size_t *len, int64_t *ts_rx)
{
    size_t k = 0;
    uint64_t v = 0; /* at most 19 digits: no overflow */
    while (k < *len && k < 19 && line[k] >= '0' && line[k] <= '9')
        v = v * 10 + (uint64_t)(line[k++] - '0');
    *ts_rx = 0;
    if (k == 0 || k >= *len || line[k] != '\t' || v > INT64_MAX) return line;
    *ts_rx = (int64_t)v;
    *len -= k + 1;
    return line + k + 1;
}

static const framerec_stats_t *s_stats(const framerec_t *r) { return &r->st; }

void framerec_hb(const framerec_t *r, jw_t *w)
{
    if (!r) return;
    jw_key(w, "record");
    jw_obj(w);
    jw_kstr(w, "file", r->path);
    jw_kuint(w, "lines", r->st.lines);
    jw_kuint(w, "bytes", r->st.bytes);
    jw_kuint(w, "errors", r->st.errors);
    jw_kuint(w, "newlines", r->st.newlines);
    jw_obj_end(w);
}

int framerec_test(void)
{
    int rc = 0;
    char path[] = "/tmp/tickbus-framerec-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) return -1;
    close(fd);
    unlink(path);
    char err[256];
    framerec_t *r = s_open(path, err, sizeof err);
    if (!r) return -1;
    struct stat sb;
    if (stat(path, &sb) || (sb.st_mode & 0777) & ~0600u) rc = -1;
    const char *f1 = "{\"a\":1}", *f2 = "{\n\"b\":\r\n2}";
    framerec_write(r, 1700000000123456789LL, f1, strlen(f1));
    framerec_write(r, 5, f2, strlen(f2));
    framerec_write(r, 6, "", 0);
    const framerec_stats_t *st = s_stats(r);
    if (st->lines != 3 || st->newlines != 1 || st->errors) rc = -1;
    framerec_close(&r);
    /* appends, never truncates */
    r = s_open(path, err, sizeof err);
    framerec_write(r, 7, f1, strlen(f1));
    framerec_close(&r);
    const char *want = "1700000000123456789\t{\"a\":1}\n5\t{\t\"b\":\t\t2}\n6\t\n7\t{\"a\":1}\n";
    char got[256] = {0};
    FILE *fp = fopen(path, "r");
    size_t n = fp ? fread(got, 1, sizeof got - 1, fp) : 0;
    if (fp) fclose(fp);
    if (n != strlen(want) || memcmp(got, want, n)) rc = -1;
    unlink(path);
    /* the reader: a recorded line and a plain one */
    size_t l = 22;
    int64_t ts;
    const char *fr = framerec_split("1700000000123456789\t{}", &l, &ts);
    if (l != 2 || strncmp(fr, "{}", 2) || ts != 1700000000123456789LL) rc = -1;
    l = 7;
    fr = framerec_split("{\"a\":1}", &l, &ts);
    if (l != 7 || ts != 0 || *fr != '{') rc = -1;
    /* a directory or a missing directory: refused with a reason */
    if (s_open("/tmp", err, sizeof err) || !strstr(err, "cannot be opened")) rc = -1;
    if (s_open("/nonexistent-dir/x", err, sizeof err)) rc = -1;
    /* write errors (ENOSPC) are counted, never fatal */
    r = s_open("/dev/full", err, sizeof err);
    if (r) {
        int lvl = log_level;
        log_level = 0;
        if (framerec_write(r, 1, f1, strlen(f1)) != -1 || framerec_write(r, 2, f1, 7) != -1 ||
            s_stats(r)->errors != 2 || s_stats(r)->lines)
            rc = -1;
        log_level = lvl;
        framerec_close(&r);
    }
    if (rc) fprintf(stderr, "framerec_test: failed\n");
    return rc;
}
