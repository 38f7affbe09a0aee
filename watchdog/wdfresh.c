/* wdfresh: newest-file freshness, the oneshot of tickbus-freshness (see
 * wdfresh.h). Only stat(2) and glob(3): no bus, no parsing, so it still works
 * when everything else is wedged. */
#include "wdfresh.h"
#include "clock.h"
#include "log.h"
#include "prog.h"

#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

/* The newest file matching the glob. */
typedef struct {
    int found;          /* 1 if some file matched */
    int matched;        /* how many matched */
    char path[4096];    /* the newest one */
    int64_t mtime_ns;
} fresh_file_t;

/* What the oneshot makes of it. */
typedef enum {
    WDFRESH_FRESH,      /* newest file modified within max-age */
    WDFRESH_STALE,      /* newest file older than max-age */
    WDFRESH_MISSING_OK, /* no file yet, but within the grace at the start of a UTC day */
    WDFRESH_MISSING     /* no file at all: stale */
} verdict_t;

static int s_globerr(const char *path, int err)
{
    log_warnx("check-file: cannot read %s: %s", path, strerror(err));
    return 0; /* keep looking elsewhere */
}

/* Find the newest regular file matching PATTERN (glob(3)). Returns 0 (F->found
 * says whether one matched), or -1 if the pattern could not be read (logged). */
static int s_newest(const char *pattern, fresh_file_t *f)
{
    memset(f, 0, sizeof *f);
    glob_t g;
    int rc = glob(pattern, 0, s_globerr, &g);
    if (rc == GLOB_NOMATCH) return 0;
    if (rc != 0) {
        log_warnx("check-file: glob '%s' failed (%s)", pattern,
                  rc == GLOB_NOSPACE ? "out of memory" : "read error");
        globfree(&g);
        return -1;
    }
    for (size_t i = 0; i < g.gl_pathc; i++) {
        struct stat st;
        if (stat(g.gl_pathv[i], &st) < 0 || !S_ISREG(st.st_mode)) continue;
        int64_t m = (int64_t)st.st_mtim.tv_sec * NS_PER_S + st.st_mtim.tv_nsec;
        f->matched++;
        if (!f->found || m > f->mtime_ns) {
            f->found = 1;
            f->mtime_ns = m;
            snprintf(f->path, sizeof f->path, "%s", g.gl_pathv[i]);
        }
    }
    globfree(&g);
    return 0;
}

/* Judge F at NOW_NS (realtime): AGE_S gets the file's age (or seconds into
 * the UTC day when missing). DAY_GRACE_S: a missing file within that many
 * seconds after 00:00 UTC is not stale. */
static verdict_t s_judge(const fresh_file_t *f, int64_t now_ns, double max_age_s,
                         double day_grace_s, double *age_s)
{
    if (f->found) {
        double age = (double)(now_ns - f->mtime_ns) / NS_PER_S;
        if (age < 0) age = 0; /* clock stepped back, or a file from the future */
        *age_s = age;
        return age > max_age_s ? WDFRESH_STALE : WDFRESH_FRESH;
    }
    int64_t into_day = now_ns % (86400 * NS_PER_S);
    *age_s = (double)into_day / NS_PER_S;
    return *age_s < day_grace_s ? WDFRESH_MISSING_OK : WDFRESH_MISSING;
}

static const char *s_verdict_str(verdict_t v)
{
    switch (v) {
    case WDFRESH_FRESH: return "fresh";
    case WDFRESH_STALE: return "stale";
    case WDFRESH_MISSING_OK: return "missing_at_day_start";
    case WDFRESH_MISSING: return "missing";
    }
    return "?";
}

int wdfresh_check(const char *pattern, const wdfresh_opts_t *o, wdrestart_t *r, int check_only)
{
    if (!o->unit || !*o->unit) opts_die("restart-unit", "", "required with --check-file");
    int64_t now = clock_real_ns();
    if (o->now && clock_parse_iso(o->now, strlen(o->now), &now) < 0)
        opts_die("now", o->now, "expected YYYY-MM-DDTHH:MM:SSZ");
    if (check_only) return 0;
    fresh_file_t f;
    if (s_newest(pattern, &f) < 0) return EX_UNAVAILABLE;
    double age;
    verdict_t v = s_judge(&f, now, o->max_age_s, o->day_grace_s, &age);
    if (v == WDFRESH_FRESH || v == WDFRESH_MISSING_OK) {
        if (f.found)
            log_info("check-file: fresh file=%s age_s=%.1f max_age_s=%g", f.path, age,
                     o->max_age_s);
        else
            log_info("check-file: no file matches '%s' yet, %.0f s into the UTC day (grace %g s)",
                     pattern, age, o->day_grace_s);
        return 0;
    }
    if (v == WDFRESH_STALE)
        log_warnx("check-file: stale file=%s age_s=%.1f max_age_s=%g: restarting unit=%s", f.path,
                  age, o->max_age_s, o->unit);
    else
        log_warnx("check-file: no file matches '%s': restarting unit=%s", pattern, o->unit);
    char err[512];
    int rc = wdrestart_unit(r, o->unit, "freshness", err, sizeof err);
    if (rc == WDRESTART_SKIPPED) {
        log_notice("check-file: not restarting: %s", err);
        return 0;
    }
    if (rc < 0 || wdrestart_wait(r, 30000) < 0) {
        log_crit("check-file: restart of unit=%s failed: %s", o->unit,
                 err[0] ? err : "command failed");
        return EX_UNAVAILABLE;
    }
    log_notice("check-file: restart of unit=%s requested backend=%s verdict=%s", o->unit,
               wdrestart_kind(r), s_verdict_str(v));
    return 0;
}

static int s_touch(const char *path, int64_t mtime_s)
{
    FILE *fp = fopen(path, "w");
    if (!fp) return -1;
    fclose(fp);
    struct timeval tv[2] = {{mtime_s, 0}, {mtime_s, 0}};
    return utimes(path, tv);
}

int wdfresh_test(void)
{
    int rc = 0;
    char dir[] = "/tmp/tickbus-wdftest-XXXXXX", pat[128], a[128], b[128], c[128];
    if (!mkdtemp(dir)) return -1;
    snprintf(pat, sizeof pat, "%s/kx-*.jsonl", dir);
    snprintf(a, sizeof a, "%s/kx-2026-01-01.jsonl", dir);
    snprintf(b, sizeof b, "%s/kx-2026-01-02.jsonl", dir);
    snprintf(c, sizeof c, "%s/other-2026-01-03.jsonl", dir);
    fresh_file_t f;
    double age;
    int64_t day = 1767312000LL; /* 2026-01-02T00:00:00Z */

    if (s_newest(pat, &f) < 0 || f.found) rc = -1;
    if (s_judge(&f, (day + 120) * NS_PER_S, 120, 300, &age) != WDFRESH_MISSING_OK) rc = -1;
    if (s_judge(&f, (day + 301) * NS_PER_S, 120, 300, &age) != WDFRESH_MISSING) rc = -1;

    /* newest by mtime, not by name; files of other prefixes do not count */
    if (s_touch(a, day + 1000) < 0 || s_touch(b, day + 900) < 0 || s_touch(c, day + 2000) < 0)
        rc = -1;
    if (s_newest(pat, &f) < 0 || !f.found || f.matched != 2 || strcmp(f.path, a)) {
        fprintf(stderr, "wdfresh_test: newest %s of %d\n", f.path, f.matched);
        rc = -1;
    }
    if (s_judge(&f, (day + 1100) * NS_PER_S, 120, 300, &age) != WDFRESH_FRESH ||
        age < 99.9 || age > 100.1)
        rc = -1;
    if (s_judge(&f, (day + 1121) * NS_PER_S, 120, 300, &age) != WDFRESH_STALE) rc = -1;
    /* an old file at the start of a day is stale: the grace is only for a missing one */
    if (s_judge(&f, (day + 86400 + 10) * NS_PER_S, 120, 300, &age) != WDFRESH_STALE) rc = -1;
    unlink(a);
    unlink(b);
    unlink(c);
    rmdir(dir);
    return rc;
}
