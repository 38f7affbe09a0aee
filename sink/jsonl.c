/* jsonl: daily JSONL files that survive kill -9, power loss and full disks
 * (see jsonl.h). Used by sink-jsonl; the file format is the Go collector's. */
#define _GNU_SOURCE /* fallocate */
#include "jsonl.h"
#include "clock.h"
#include "jw.h"
#include "log.h"
#include "record.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define JSONL_RESERVE (256 * 1024)
#define JSONL_SLICE (256 * 1024)
#define JSONL_MAX_REASONS 12
#define JSONL_MAX_MARKETS 1024

/* What a day's file holds, for its coverage record. */
typedef struct {
    int64_t day;
    uint8_t covered[86400 / 8];
    uint64_t lines, ticks, covered_n;
    struct {
        char reason[24];
        uint64_t n, seconds;
    } gap[JSONL_MAX_REASONS];
    int ngap;
    struct {
        char t[RECORD_TICKER_MAX];
        int settled;
    } *mk;
    int nmk, capmk;
    int has_coverage; /* the last line is a coverage record */
    int64_t last_tick;
} s_day_t;

typedef struct {
    char *s;
    size_t n;
    int64_t day;
} s_pend_t;

typedef struct {
    int active;
    int64_t day;
    int src_fd;
    gzFile gz;
    char src[512], tmp[520], dst[520];
} s_job_t;

struct jsonl {
    char *dir, *prefix, *by;
    int compress;
    double fsync_s;
    size_t buffer_bytes;
    record_gate_t gate; /* the sinks' one check (record.c) */
    int64_t (*now_ns)(void);
    void (*seen)(const char *line, size_t len, void *arg);
    void *seen_arg;
    jsonl_stats_t st;

    int fd;
    int64_t fd_day;
    off_t size, reserved;
    int no_falloc;
    uint64_t unsynced;
    int64_t last_sync;

    s_day_t cur;        /* stats of st.day (or of the newest file before the first record) */
    int64_t last_tick;  /* found at start */

    s_pend_t *q;
    size_t qhead, qlen, qcap;
    int64_t retry_at, retry_ms;

    uint64_t drop_n, drop_ticks;
    int64_t drop_from, drop_to;

    int64_t *closed; /* days waiting for compression */
    int nclosed;
    s_job_t job;
    int64_t job_retry_at;

    jtok_t tok;
    jw_t w;
    char *lb;
    size_t lbcap;
};

/* --- paths --- */

static void s_path(const jsonl_t *j, int64_t day, const char *suffix, char *out, size_t n)
{
    char d[16];
    snprintf(out, n, "%s/%s-%s.jsonl%s", j->dir, j->prefix, record_day_fmt(day, d, sizeof d),
             suffix);
}

/* "PREFIX-YYYY-MM-DD.jsonl" + SUFFIX -> day, or -1. */
static int64_t s_name_day(const jsonl_t *j, const char *name, const char *suffix)
{
    size_t pl = strlen(j->prefix), nl = strlen(name), sl = strlen(suffix);
    if (nl != pl + 1 + 10 + 6 + sl || strncmp(name, j->prefix, pl) || name[pl] != '-' ||
        memcmp(name + pl + 11, ".jsonl", 6) || strcmp(name + pl + 17, suffix))
        return -1;
    int64_t day;
    if (record_day_parse(name + pl + 1, 10, &day) < 0) return -1;
    return day;
}

static void s_sync_dir(const jsonl_t *j)
{
    int fd = open(j->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return;
    if (fsync(fd) < 0) log_warn("fsync %s", j->dir);
    close(fd);
}

/* --- day statistics --- */

static void s_day_reset(s_day_t *d, int64_t day)
{
    void *mk = d->mk;
    int cap = d->capmk;
    memset(d, 0, sizeof *d);
    d->mk = mk;
    d->capmk = cap;
    d->day = day;
    d->last_tick = -1;
}

static void s_day_market(const char *ticker, int settled, void *arg)
{
    s_day_t *d = arg;
    for (int i = 0; i < d->nmk; i++)
        if (!strcmp(d->mk[i].t, ticker)) {
            d->mk[i].settled |= settled;
            return;
        }
    if (d->nmk >= JSONL_MAX_MARKETS) return;
    if (d->nmk == d->capmk) {
        d->capmk = d->capmk ? d->capmk * 2 : 64;
        d->mk = xrealloc(d->mk, (size_t)d->capmk * sizeof *d->mk);
    }
    snprintf(d->mk[d->nmk].t, sizeof d->mk[d->nmk].t, "%s", ticker);
    d->mk[d->nmk++].settled = settled;
}

/* Account one line of day D's file (R already parsed). */
static void s_day_add(s_day_t *d, const record_t *r)
{
    d->lines++;
    d->has_coverage = !strcmp(r->type, "coverage");
    if (!strcmp(r->type, "tick") && r->ts_ns >= 0) {
        d->ticks++;
        if (record_day(r->ts_ns) == d->day) {
            int64_t sec = (r->ts_ns / NS_PER_S) % 86400;
            if (!(d->covered[sec / 8] & (1u << (sec % 8)))) {
                d->covered[sec / 8] |= (uint8_t)(1u << (sec % 8));
                d->covered_n++;
            }
        }
        int64_t t = r->ts_ns - r->ts_ns % NS_PER_S;
        if (t > d->last_tick) d->last_tick = t;
    } else if (!strcmp(r->type, "gap") && r->reason[0]) {
        int i;
        for (i = 0; i < d->ngap; i++)
            if (!strcmp(d->gap[i].reason, r->reason)) break;
        if (i == d->ngap) {
            if (d->ngap == JSONL_MAX_REASONS) i = JSONL_MAX_REASONS - 1; /* lump the rest */
            else snprintf(d->gap[d->ngap++].reason, sizeof d->gap[0].reason, "%s", r->reason);
        }
        d->gap[i].n++;
        if (r->seconds > 0) d->gap[i].seconds += (uint64_t)r->seconds;
    }
}

/* Read a whole day's file into D (after a restart). */
static void s_day_scan(jsonl_t *j, const char *path, s_day_t *d)
{
    FILE *f = fopen(path, "re");
    if (!f) return;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    record_t r;
    while ((n = getline(&line, &cap, f)) > 0) {
        if (line[n - 1] == '\n') n--;
        if (j->seen) j->seen(line, (size_t)n, j->seen_arg);
        if (record_parse(&j->tok, line, (size_t)n, &r, s_day_market, d) < 0) {
            memset(&r, 0, sizeof r);
            r.ts_ns = -1;
        }
        s_day_add(d, &r);
    }
    free(line);
    fclose(f);
}

/* The coverage record of D into J->w. */
static void s_coverage(jsonl_t *j, const s_day_t *d)
{
    char date[16], ts[40];
    record_day_fmt(d->day, date, sizeof date);
    snprintf(ts, sizeof ts, "%sT23:59:59Z", date);
    uint64_t explained = 0, settled = 0;
    jw_t *w = &j->w;
    jw_reset(w);
    jw_obj(w);
    jw_kstr(w, "type", "coverage");
    jw_kstr(w, "ts", ts);
    jw_kstr(w, "date", date);
    jw_kint(w, "seconds", 86400);
    jw_kuint(w, "covered", d->covered_n);
    jw_kuint(w, "missing", 86400 - d->covered_n);
    jw_key(w, "gaps");
    jw_obj(w);
    for (int i = 0; i < d->ngap; i++) {
        jw_key(w, d->gap[i].reason);
        jw_obj(w);
        jw_kuint(w, "n", d->gap[i].n);
        jw_kuint(w, "seconds", d->gap[i].seconds);
        jw_obj_end(w);
        explained += d->gap[i].seconds;
    }
    jw_obj_end(w);
    jw_kuint(w, "gap_seconds", explained);
    uint64_t missing = 86400 - d->covered_n;
    jw_kuint(w, "unexplained", explained >= missing ? 0 : missing - explained);
    for (int i = 0; i < d->nmk; i++) settled += (uint64_t)d->mk[i].settled;
    jw_kint(w, "markets_seen", d->nmk);
    jw_kuint(w, "markets_settled", settled);
    jw_kuint(w, "ticks", d->ticks);
    jw_kuint(w, "lines", d->lines);
    jw_kstr(w, "by", j->by);
    jw_obj_end(w);
}

/* --- the append-only file --- */

/* A last line without its newline (power loss, or a write we could not
 * undo) is moved to PATH.torn, one fragment a line, and cut off. */
static int s_repair_torn(jsonl_t *j, const char *path)
{
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0) return errno == ENOENT ? 0 : -1;
    struct stat st;
    char buf[65536];
    int rc = -1;
    if (fstat(fd, &st) < 0) goto out;
    if (st.st_size == 0) { rc = 0; goto out; }
    if (pread(fd, buf, 1, st.st_size - 1) != 1) goto out;
    if (buf[0] == '\n') { rc = 0; goto out; }
    off_t pos = st.st_size, nl = -1;
    while (pos > 0 && nl < 0) {
        size_t n = pos < (off_t)sizeof buf ? (size_t)pos : sizeof buf;
        pos -= (off_t)n;
        if (pread(fd, buf, n, pos) != (ssize_t)n) goto out;
        for (size_t i = n; i-- > 0;)
            if (buf[i] == '\n') { nl = pos + (off_t)i; break; }
    }
    off_t keep = nl + 1;
    char tpath[600];
    snprintf(tpath, sizeof tpath, "%s.torn", path);
    int tfd = open(tpath, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (tfd < 0) { log_warn("cannot open %s", tpath); goto out; }
    for (off_t off = keep; off < st.st_size;) {
        size_t n = st.st_size - off < (off_t)sizeof buf ? (size_t)(st.st_size - off) : sizeof buf;
        if (pread(fd, buf, n, off) != (ssize_t)n || write(tfd, buf, n) != (ssize_t)n) {
            log_warn("cannot copy the torn line of %s to %s", path, tpath);
            close(tfd);
            goto out;
        }
        off += (off_t)n;
    }
    if (write(tfd, "\n", 1) != 1 || fdatasync(tfd) < 0) {
        log_warn("cannot save the torn line to %s", tpath);
        close(tfd);
        goto out;
    }
    close(tfd);
    if (ftruncate(fd, keep) < 0 || fdatasync(fd) < 0) { log_warn("cannot cut %s", path); goto out; }
    j->st.torn++;
    log_warnx("torn last line: %lld bytes moved from %s to %s", (long long)(st.st_size - keep),
              path, tpath);
    rc = 0;
out:
    close(fd);
    return rc;
}

static int s_sync(jsonl_t *j)
{
    if (j->fd < 0 || !j->unsynced) return 0;
    if (fdatasync(j->fd) < 0) {
        j->st.sync_errors++;
        j->st.last_errno = errno;
        log_warnx_rl("fdatasync day file: %s (retrying)", strerror(errno));
        return -1;
    }
    j->st.durable += j->unsynced;
    j->unsynced = 0;
    j->last_sync = clock_mono_ns();
    return 0;
}

static void s_close_fd(jsonl_t *j)
{
    if (j->fd < 0) return;
    s_sync(j);
    close(j->fd);
    j->fd = -1;
    j->unsynced = 0; /* close() does not make them durable; counted lost by nobody: see docs */
}

static int s_open_day(jsonl_t *j, int64_t day)
{
    if (j->fd >= 0 && j->fd_day == day) return 0;
    if (j->fd >= 0 && s_sync(j) < 0) return -1; /* keep the old fd until its lines are safe */
    s_close_fd(j);
    char path[512];
    s_path(j, day, "", path, sizeof path);
    if (s_repair_torn(j, path) < 0) return -1;
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return -1;
    struct stat st;
    if (fstat(fd, &st) < 0) { close(fd); return -1; }
    if (st.st_size == 0) s_sync_dir(j);
    j->fd = fd;
    j->fd_day = day;
    j->size = st.st_size;
    j->reserved = 0;
    return 0;
}

/* Reserve blocks ahead so the write cannot fail half-way for lack of space. */
static int s_reserve(jsonl_t *j, size_t len)
{
    if (j->no_falloc || j->size + (off_t)len <= j->reserved) return 0;
    if (fallocate(j->fd, FALLOC_FL_KEEP_SIZE, j->size, JSONL_RESERVE) == 0) {
        j->reserved = j->size + JSONL_RESERVE;
        return 0;
    }
    if (errno == EOPNOTSUPP || errno == ENOSYS) {
        j->no_falloc = 1;
        return 0;
    }
    if (errno == ENOSPC && fallocate(j->fd, FALLOC_FL_KEEP_SIZE, j->size, (off_t)len) == 0) {
        j->reserved = j->size + (off_t)len;
        return 0;
    }
    return -1;
}

/* One whole line with one write(2), or nothing. 0, or -1 with errno. */
static int s_write_now(jsonl_t *j, int64_t day, const char *s, size_t n)
{
    if (s_open_day(j, day) < 0 || s_reserve(j, n) < 0) return -1;
    ssize_t k = write(j->fd, s, n);
    if (k == (ssize_t)n) {
        j->size += (off_t)n;
        j->unsynced++;
        if (j->fsync_s <= 0) s_sync(j);
        return 0;
    }
    int e = k < 0 ? errno : ENOSPC;
    if (k > 0 && ftruncate(j->fd, j->size) < 0) {
        /* cannot undo: close; the next open moves the fragment to .torn */
        log_warn("cannot undo a partial write of %zd bytes", k);
        close(j->fd);
        j->fd = -1;
    }
    errno = e;
    return -1;
}

static void s_push(jsonl_t *j, int64_t day, const char *s, size_t n)
{
    if (j->qlen == j->qcap) ring_grow(&j->q, sizeof *j->q, &j->qcap, &j->qhead, j->qlen, 256);
    s_pend_t *p = &j->q[(j->qhead + j->qlen++) % j->qcap];
    p->s = xmalloc(n);
    memcpy(p->s, s, n);
    p->n = n;
    p->day = day;
    j->st.pending = j->qlen;
    j->st.pending_bytes += n;
}

static void s_write_error(jsonl_t *j, int e)
{
    j->st.write_errors++;
    j->st.last_errno = e;
    log_warnx_rl("write to %s failed: %s (line kept in memory, retrying; pending=%llu)", j->dir,
                 strerror(e), (unsigned long long)j->qlen);
    if (!j->retry_ms) j->retry_ms = 200;
    j->retry_at = clock_mono_ns() + j->retry_ms * NS_PER_MS;
    if (j->retry_ms < 5000) j->retry_ms *= 2;
}

/* Write the queue out in order; stops at the first failure. */
static void s_drain(jsonl_t *j)
{
    while (j->qlen) {
        s_pend_t *p = &j->q[j->qhead];
        if (s_write_now(j, p->day, p->s, p->n) < 0) {
            s_write_error(j, errno);
            return;
        }
        j->st.pending_bytes -= p->n;
        free(p->s);
        j->qhead = (j->qhead + 1) % j->qcap;
        j->qlen--;
        j->st.pending = j->qlen;
    }
    if (j->retry_ms) log_info("disk writable again: queue written");
    j->retry_ms = 0;
    j->st.last_errno = 0;
}

/* Out to DAY's file: now, or queued behind earlier lines. */
static int s_out(jsonl_t *j, int64_t day, const char *s, size_t n)
{
    if (!j->qlen) {
        if (s_write_now(j, day, s, n) == 0) return 0;
        s_write_error(j, errno);
    } else if (j->st.pending_bytes + n > j->buffer_bytes) {
        return -1;
    }
    s_push(j, day, s, n);
    return 0;
}

static int s_out_json(jsonl_t *j, int64_t day, const char *json, size_t len)
{
    if (len + 1 > j->lbcap) {
        j->lbcap = len + 1024;
        j->lb = xrealloc(j->lb, j->lbcap);
    }
    memcpy(j->lb, json, len);
    j->lb[len] = '\n';
    return s_out(j, day, j->lb, len + 1);
}

/* --- closing and compressing days --- */

static void s_want_compress(jsonl_t *j, int64_t day)
{
    if (!j->compress) return;
    for (int i = 0; i < j->nclosed; i++)
        if (j->closed[i] == day) return;
    j->closed = xrealloc(j->closed, (size_t)(j->nclosed + 1) * sizeof *j->closed);
    j->closed[j->nclosed++] = day;
}

/* Close day D whose statistics are in S: coverage record (once), then gzip. */
static void s_close_day(jsonl_t *j, s_day_t *s)
{
    if (!s->has_coverage && s->lines) {
        s_coverage(j, s);
        record_t r;
        if (record_parse(&j->tok, j->w.buf, j->w.len, &r, NULL, NULL) == 0) s_day_add(s, &r);
        if (s_out_json(j, s->day, j->w.buf, j->w.len) < 0) j->st.dropped++;
        else j->st.lines++;
        char date[16];
        log_info("day %s closed: covered=%llu ticks=%llu markets=%d",
                 record_day_fmt(s->day, date, sizeof date), (unsigned long long)s->covered_n,
                 (unsigned long long)s->ticks, s->nmk);
    }
    s_want_compress(j, s->day);
}

static int s_gz_covers(const char *gzpath, const char *src);

/* Every PREFIX-*.jsonl older than BEFORE (left by a crash, or by a stop across
 * midnight): close it the same way. */
static void s_close_older(jsonl_t *j, int64_t before)
{
    DIR *dp = opendir(j->dir);
    if (!dp) return;
    struct dirent *e;
    int64_t *days = NULL;
    int n = 0;
    while ((e = readdir(dp))) {
        int64_t day = s_name_day(j, e->d_name, "");
        if (day < 0 || day >= before) continue;
        days = xrealloc(days, (size_t)(n + 1) * sizeof *days);
        days[n++] = day;
    }
    closedir(dp);
    s_day_t d;
    memset(&d, 0, sizeof d);
    for (int i = 0; i < n; i++) {
        char path[512], gz[520];
        s_path(j, days[i], "", path, sizeof path);
        s_path(j, days[i], ".gz", gz, sizeof gz);
        if (access(gz, F_OK) == 0 && s_gz_covers(gz, path)) {
            unlink(path);
            s_sync_dir(j);
            log_info("%s already in %s (finished an interrupted compression)", path, gz);
            continue;
        }
        s_day_reset(&d, days[i]);
        s_day_scan(j, path, &d);
        s_close_day(j, &d);
    }
    free(d.mk);
    free(days);
}

static void s_job_fail(jsonl_t *j, const char *what)
{
    s_job_t *b = &j->job;
    log_warn("compress %s: %s (kept uncompressed; retry in 60 s)", b->src, what);
    j->st.compress_errors++;
    if (b->gz) gzclose(b->gz);
    if (b->src_fd >= 0) close(b->src_fd);
    unlink(b->tmp);
    memset(b, 0, sizeof *b);
    b->src_fd = -1;
    j->job_retry_at = clock_mono_ns() + 60 * NS_PER_S;
}

/* 1 if the decompressed GZ ends with the bytes of SRC: an earlier run renamed
 * the .gz into place but died before removing the .jsonl. */
static int s_gz_covers(const char *gzpath, const char *src)
{
    struct stat st;
    if (stat(src, &st) < 0) return 0;
    gzFile g = gzopen(gzpath, "rb");
    if (!g) return 0;
    char buf[65536], sb[65536];
    uint64_t total = 0;
    int k;
    while ((k = gzread(g, buf, sizeof buf)) > 0) total += (uint64_t)k;
    if (k < 0 || total < (uint64_t)st.st_size) { gzclose(g); return 0; }
    gzrewind(g);
    uint64_t skip = total - (uint64_t)st.st_size;
    while (skip > 0 && (k = gzread(g, buf, skip < sizeof buf ? (unsigned)skip : sizeof buf)) > 0)
        skip -= (uint64_t)k;
    FILE *f = fopen(src, "re");
    int same = f != NULL;
    while (same && (k = gzread(g, buf, sizeof buf)) > 0)
        if (fread(sb, 1, (size_t)k, f) != (size_t)k || memcmp(buf, sb, (size_t)k)) same = 0;
    if (f) fclose(f);
    gzclose(g);
    return same;
}

static void s_job_start(jsonl_t *j, int64_t day)
{
    s_job_t *b = &j->job;
    memset(b, 0, sizeof *b);
    b->src_fd = -1;
    b->day = day;
    s_path(j, day, "", b->src, sizeof b->src);
    s_path(j, day, ".gz", b->dst, sizeof b->dst);
    s_path(j, day, ".gz.tmp", b->tmp, sizeof b->tmp);
    if (access(b->src, F_OK) < 0) return; /* already done */
    if (access(b->dst, F_OK) == 0 && s_gz_covers(b->dst, b->src)) {
        unlink(b->src);
        s_sync_dir(j);
        log_info("compress: %s already in %s (finished an interrupted compression)", b->src, b->dst);
        return;
    }
    b->src_fd = open(b->src, O_RDONLY | O_CLOEXEC);
    int tfd = open(b->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (b->src_fd < 0 || tfd < 0) {
        if (tfd >= 0) close(tfd);
        s_job_fail(j, strerror(errno));
        return;
    }
    /* records arriving for a day already compressed (a replay): a new gzip member */
    int old = open(b->dst, O_RDONLY | O_CLOEXEC);
    if (old >= 0) {
        char buf[65536];
        ssize_t k;
        while ((k = read(old, buf, sizeof buf)) > 0)
            if (write(tfd, buf, (size_t)k) != k) { k = -1; break; }
        close(old);
        if (k < 0) { close(tfd); s_job_fail(j, "copy of the existing .gz failed"); return; }
    }
    b->gz = gzdopen(tfd, "wb6");
    if (!b->gz) { close(tfd); s_job_fail(j, "gzdopen"); return; }
    b->active = 1;
}

/* One slice of compression work. */
static void s_job_step(jsonl_t *j)
{
    s_job_t *b = &j->job;
    static char buf[JSONL_SLICE];
    ssize_t k = read(b->src_fd, buf, sizeof buf);
    if (k < 0) { s_job_fail(j, strerror(errno)); return; }
    if (k > 0) {
        if (gzwrite(b->gz, buf, (unsigned)k) != (int)k) s_job_fail(j, "gzwrite failed");
        return;
    }
    int zr = gzclose(b->gz);
    b->gz = NULL;
    if (zr != Z_OK) { s_job_fail(j, "gzclose failed"); return; }
    int tfd = open(b->tmp, O_RDONLY | O_CLOEXEC);
    if (tfd < 0 || fsync(tfd) < 0) {
        if (tfd >= 0) close(tfd);
        s_job_fail(j, "fsync of the temporary file failed");
        return;
    }
    close(tfd);
    if (rename(b->tmp, b->dst) < 0) { s_job_fail(j, strerror(errno)); return; }
    s_sync_dir(j);
    unlink(b->src);
    s_sync_dir(j);
    close(b->src_fd);
    j->st.compressed++;
    log_info("compressed %s", b->dst);
    memset(b, 0, sizeof *b);
    b->src_fd = -1;
}

static int s_job_ready(const jsonl_t *j)
{
    return j->compress && (j->job.active || (j->nclosed && !j->qlen &&
                                             clock_mono_ns() >= j->job_retry_at));
}

static void s_compress_work(jsonl_t *j)
{
    if (!s_job_ready(j)) return;
    if (!j->job.active) {
        int64_t day = j->closed[0];
        memmove(j->closed, j->closed + 1, (size_t)(j->nclosed - 1) * sizeof *j->closed);
        j->nclosed--;
        if (day == j->st.day) return; /* reopened by late records: never compress the open day */
        if (j->fd >= 0 && j->fd_day == day) { /* its last lines must be durable first */
            if (s_sync(j) < 0) {
                s_want_compress(j, day);
                return;
            }
            s_close_fd(j);
        }
        s_job_start(j, day);
        if (!j->job.active && j->job_retry_at > clock_mono_ns()) s_want_compress(j, day);
        return;
    }
    int64_t day = j->job.day;
    s_job_step(j);
    if (!j->job.active && j->job_retry_at > clock_mono_ns() && access(j->job.src, F_OK) != 0)
        s_want_compress(j, day);
}

/* --- public --- */

jsonl_t *jsonl_new(const jsonl_cfg_t *cfg)
{
    if (mkdir(cfg->dir, 0755) < 0 && errno != EEXIST) {
        log_warn("cannot create %s", cfg->dir);
        return NULL;
    }
    DIR *dp = opendir(cfg->dir);
    if (!dp) {
        log_warn("cannot open %s", cfg->dir);
        return NULL;
    }
    jsonl_t *j = xcalloc(1, sizeof *j);
    j->dir = xstrdup(cfg->dir);
    record_gate_init(&j->gate, cfg->max_ahead_s, cfg->max_behind_s, cfg->now_ns);
    j->now_ns = j->gate.now_ns;
    j->prefix = xstrdup(cfg->prefix);
    j->by = xstrdup(cfg->by ? cfg->by : "sink-jsonl");
    j->compress = cfg->compress;
    j->fsync_s = cfg->fsync_s;
    j->buffer_bytes = cfg->buffer_bytes;
    j->seen = cfg->seen;
    j->seen_arg = cfg->seen_arg;
    j->fd = -1;
    j->st.day = -1;
    j->last_tick = -1;
    j->job.src_fd = -1;
    j->last_sync = clock_mono_ns();
    jtok_init(&j->tok);
    jw_init(&j->w, 1024);
    s_day_reset(&j->cur, -1);
    struct dirent *e;
    int64_t newest = -1;
    while ((e = readdir(dp))) {
        char path[600];
        snprintf(path, sizeof path, "%s/%s", j->dir, e->d_name);
        int64_t day = s_name_day(j, e->d_name, "");
        if (day >= 0) {
            s_repair_torn(j, path);
            if (day > newest) newest = day;
        } else if (s_name_day(j, e->d_name, ".gz.tmp") >= 0) {
            log_info("removing %s (an interrupted compression; the .jsonl is intact)", path);
            unlink(path);
        }
    }
    closedir(dp);
    if (newest >= 0) {
        char path[512];
        s_path(j, newest, "", path, sizeof path);
        s_day_reset(&j->cur, newest);
        s_day_scan(j, path, &j->cur);
        j->last_tick = j->cur.last_tick;
    }
    j->seen = NULL; /* only the start's scan tells the sink what it has */
    return j;
}

int64_t jsonl_last_tick(const jsonl_t *j) { return j->last_tick; }
const jsonl_stats_t *jsonl_stats(const jsonl_t *j) { return &j->st; }

int jsonl_check(jsonl_t *j, const char *json, size_t len, int64_t *ts_ns)
{
    record_t r;
    int bad = record_check(&j->gate, &j->tok, json, len, &r);
    j->st.invalid = j->gate.invalid;
    j->st.quarantined = j->gate.quarantined;
    if (bad) return bad;
    *ts_ns = r.ts_ns;
    return 0;
}

int jsonl_write(jsonl_t *j, const char *json, size_t len)
{
    record_t r;
    s_day_t *d = &j->cur;
    int64_t ts;
    int bad = jsonl_check(j, json, len, &ts);
    if (bad) return bad;
    record_parse(&j->tok, json, len, &r, NULL, NULL);
    int64_t day = r.ts_ns >= 0 ? record_day(r.ts_ns) : j->st.day >= 0 ? j->st.day
                                                     : record_day(j->now_ns());
    if (j->st.day < 0) { /* first record: which day are we in? */
        if (d->day >= 0 && day > d->day) s_close_day(j, d);
        if (d->day != day && !(d->day > day)) {
            s_day_reset(d, day);
            char path[512];
            s_path(j, day, "", path, sizeof path);
            s_day_scan(j, path, d); /* a day reopened (replay) */
        }
        if (d->day > day) day = d->day;
        j->st.day = day;
        s_close_older(j, day);
    } else if (day > j->st.day) { /* midnight, by the record's own time */
        s_close_day(j, d);
        s_day_reset(d, day);
        j->st.day = day;
        s_close_older(j, day);
    } else if (day < j->st.day) {
        j->st.late++; /* days never go back: a late record joins the open day */
        day = j->st.day;
    }
    if (s_out_json(j, day, json, len) < 0) {
        j->st.dropped++;
        if (!j->drop_n || r.ts_ns < j->drop_from) j->drop_from = r.ts_ns;
        if (r.ts_ns > j->drop_to) j->drop_to = r.ts_ns;
        j->drop_n++;
        if (!strcmp(r.type, "tick")) j->drop_ticks++;
        log_warnx_rl("queue full (%zu bytes): record dropped, a gap record will say so",
                     j->buffer_bytes);
        return -1;
    }
    j->st.lines++;
    /* markets only now: the tokens were reused by the rotation's scans */
    record_parse(&j->tok, json, len, &r, s_day_market, d);
    s_day_add(d, &r);
    return 0;
}

int jsonl_take_dropped(jsonl_t *j, uint64_t *n, uint64_t *ticks, int64_t *from, int64_t *to)
{
    if (!j->drop_n || j->qlen) return 0;
    *n = j->drop_n;
    *ticks = j->drop_ticks;
    *from = j->drop_from;
    *to = j->drop_to;
    j->drop_n = j->drop_ticks = 0;
    j->drop_from = j->drop_to = 0;
    return 1;
}

uint64_t jsonl_service(jsonl_t *j)
{
    uint64_t before = j->st.durable;
    int64_t now = clock_mono_ns();
    if (j->qlen && now >= j->retry_at) s_drain(j);
    if (j->unsynced && (j->fsync_s <= 0 || now - j->last_sync >= (int64_t)(j->fsync_s * NS_PER_S)))
        s_sync(j);
    s_compress_work(j);
    return j->st.durable - before;
}

int jsonl_wait_ms(const jsonl_t *j)
{
    if (s_job_ready(j)) return 0;
    int64_t now = clock_mono_ns(), at = INT64_MAX;
    if (j->qlen) at = j->retry_at;
    if (j->unsynced) {
        int64_t s = j->last_sync + (int64_t)(j->fsync_s * NS_PER_S);
        if (s < at) at = s;
    }
    if (j->compress && j->nclosed && j->job_retry_at > now && j->job_retry_at < at)
        at = j->job_retry_at;
    if (at == INT64_MAX) return 1000;
    if (at <= now) return 0;
    int64_t ms = (at - now + NS_PER_MS - 1) / NS_PER_MS;
    return ms > 1000 ? 1000 : (int)ms;
}

uint64_t jsonl_destroy(jsonl_t **jp)
{
    if (!jp || !*jp) return 0;
    jsonl_t *j = *jp;
    if (j->qlen) s_drain(j);
    s_sync(j);
    uint64_t lost = j->qlen;
    if (lost) log_warnx("%llu lines could not be written before exit", (unsigned long long)lost);
    if (j->job.active) { /* the .jsonl is intact; the next start compresses it */
        if (j->job.gz) gzclose(j->job.gz);
        if (j->job.src_fd >= 0) close(j->job.src_fd);
        unlink(j->job.tmp);
    }
    if (j->fd >= 0) close(j->fd);
    for (size_t i = 0; i < j->qlen; i++) free(j->q[(j->qhead + i) % j->qcap].s);
    free(j->q);
    free(j->closed);
    free(j->cur.mk);
    jtok_free(&j->tok);
    jw_free(&j->w);
    free(j->lb);
    free(j->dir);
    free(j->prefix);
    free(j->by);
    free(j);
    *jp = NULL;
    return lost;
}

/* --- self-test --- */

static int s_count_lines(const char *path, const char *needle)
{
    gzFile g = gzopen(path, "rb");
    if (!g) return -1;
    char line[8192];
    int n = 0;
    while (gzgets(g, line, sizeof line))
        if (!needle || strstr(line, needle)) n++;
    gzclose(g);
    return n;
}

static int64_t s_test_now(void) { return 1795824000LL * NS_PER_S; } /* 2026-11-28T00:00:00Z */

int jsonl_test(void)
{
    int rc = 0;
    char dir[] = "/tmp/tickbus-jsonltest-XXXXXX", path[600], cmd[700];
    if (!mkdtemp(dir)) return -1;
    /* a torn line left by a "power loss" */
    snprintf(path, sizeof path, "%s/t-2026-11-27.jsonl", dir);
    FILE *f = fopen(path, "w");
    if (!f) return -1;
    fprintf(f, "{\"type\":\"tick\",\"ts\":\"2026-11-27T23:59:58Z\"}\n{\"type\":\"tick\",\"ts\":\"2026-1");
    fclose(f);
    jsonl_cfg_t cfg = {dir, "t", "selftest", 1, 1, 1 << 20, 0, 0, s_test_now, NULL, NULL};
    jsonl_t *j = jsonl_new(&cfg);
    if (!j || j->st.torn != 1 || jsonl_last_tick(j) != 1795823998LL * NS_PER_S) {
        fprintf(stderr, "jsonl_test: torn line not repaired\n");
        rc = -1;
    }
    if (s_count_lines(path, NULL) != 1) rc = -1;
    snprintf(path, sizeof path, "%s/t-2026-11-27.jsonl.torn", dir);
    if (s_count_lines(path, "2026-1") != 1) rc = -1;
    /* ticks across midnight: the 27th is closed (coverage) and gzip'd */
    const char *lines[] = {
        "{\"type\":\"tick\",\"ts\":\"2026-11-27T23:59:59Z\",\"markets\":[{\"ticker\":\"K1\",\"result\":\"yes\"}]}",
        "{\"type\":\"tick\",\"ts\":\"2026-11-28T00:00:00Z\",\"markets\":[{\"ticker\":\"K2\",\"result\":\"\"}]}",
        "{\"type\":\"gap\",\"ts\":\"2026-11-28T00:00:01Z\",\"reason\":\"no_tick\",\"seconds\":2}",
        "{\"type\":\"tick\",\"ts\":\"2026-11-28T00:00:03Z\"}",
        "{\"type\":\"tick\",\"ts\":\"2026-11-27T23:59:59Z\"}", /* late: joins the open day */
    };
    for (size_t i = 0; i < ARRAY_LEN(lines); i++)
        if (jsonl_write(j, lines[i], strlen(lines[i])) < 0) rc = -1;
    for (int i = 0; i < 100 && j->st.compressed < 1; i++) jsonl_service(j);
    snprintf(path, sizeof path, "%s/t-2026-11-27.jsonl.gz", dir);
    if (j->st.compressed != 1 || s_count_lines(path, NULL) != 3 ||
        s_count_lines(path, "\"covered\":2,") != 1 || s_count_lines(path, "\"markets_settled\":1") != 1) {
        fprintf(stderr, "jsonl_test: day not closed/compressed (compressed=%llu)\n",
                (unsigned long long)j->st.compressed);
        rc = -1;
    }
    snprintf(path, sizeof path, "%s/t-2026-11-27.jsonl", dir);
    if (access(path, F_OK) == 0) rc = -1;
    if (j->st.late != 1) rc = -1;
    /* hostile records: refused and counted, never a line, never a rotation */
    static const char *const refused[] = {
        "{\"type\":\"tick\",\"ts\":\"2026-11-28T00:00:04Z\",\n\"x\":1}",   /* raw newline */
        "{\"type\":\"tick\",\"ts\":\"2026-11-28T00:00:04Z\",\"x\":\"a\nb\"}", /* in a string */
        "{\"type\":\"tick\",\"ts\":\"2026-11-28T00:00:04Z\",\"x\":\"\xc3\x28\"}", /* bad UTF-8 */
        "{\"type\":\"tick\",\"ts\":\"2026-11-28T00:00:04Z\"} trailing",
        "[1,2]",
        "{\"type\":\"event\",\"ts\":\"2100-01-01T00:00:00Z\"}", /* far ahead */
        "{\"type\":\"tick\",\"ts\":\"2099-01-01T00:00:00Z\"}",
        "{\"type\":\"tick\",\"ts\":\"2001-01-01T00:00:00Z\"}", /* far behind */
        "{\"type\":\"tick\",\"ts\":\"2026-11-28T00:11:00Z\"}", /* 11 min ahead */
    };
    for (size_t i = 0; i < ARRAY_LEN(refused); i++)
        if (jsonl_write(j, refused[i], strlen(refused[i])) >= 0) {
            fprintf(stderr, "jsonl_test: wrote hostile record %zu\n", i);
            rc = -1;
        }
    char nul[] = "{\"type\":\"tick\",\"ts\":\"2026-11-28T00:00:04Z\"}";
    nul[3] = '\0';
    if (jsonl_write(j, nul, sizeof nul - 1) >= 0) rc = -1;
    if (j->st.invalid != 6 || j->st.quarantined != 4 || j->st.day != record_day(s_test_now())) {
        fprintf(stderr, "jsonl_test: invalid=%llu quarantined=%llu\n",
                (unsigned long long)j->st.invalid, (unsigned long long)j->st.quarantined);
        rc = -1;
    }
    jsonl_destroy(&j);
    snprintf(path, sizeof path, "%s/t-2026-11-28.jsonl", dir);
    if (s_count_lines(path, NULL) != 4) rc = -1;
    /* restart: the day's statistics are read back from the file */
    j = jsonl_new(&cfg);
    if (!j || j->cur.covered_n != 2 || j->cur.ngap != 1 || j->cur.gap[0].seconds != 2 ||
        jsonl_last_tick(j) != 1795824003LL * NS_PER_S)
        rc = -1;
    jsonl_destroy(&j);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) rc = -1;
    if (rc) fprintf(stderr, "jsonl_test: failed (dir %s)\n", dir);
    return rc;
}
