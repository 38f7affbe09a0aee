/* opts: table-driven configuration for every program (see opts.h). The table
 * is the single source of --help, env names, bounds and the startup line. */
#include "prog.h"
#include "opts.h"
#include "curve.h"
#include "log.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

opts_common_t opts_common;
static const char *s_prog = "tickbus";
static int s_testing; /* opts_test: report instead of exiting */
static int s_failed;

static const opt_t s_common[] = {
    {"name", OPT_STR, &opts_common.name, NULL, 1, 0, NULL,
     "program name: hb.NAME topic, NAME.pub endpoint (default: the program's own name)", 0},
    {"bus", OPT_STR, &opts_common.bus, NULL, 1, 0, NULL,
     "bus directory (default $TICKBUS_BUS, $RUNTIME_DIRECTORY or $XDG_RUNTIME_DIR/tickbus, "
     "/tmp/tickbus-$UID)", 0},
    {"pub", OPT_STR, &opts_common.pub, NULL, 1, 0, NULL,
     "publish endpoint (default ipc://$BUS/NAME.pub; tcp://HOST:PORT allowed)", 0},
    {"sub", OPT_LIST, &opts_common.sub, NULL, 1, 0, NULL,
     "upstream endpoint to subscribe to (repeatable; default: the usual upstreams in $BUS)", 0},
    {"expose", OPT_LIST, &opts_common.expose, NULL, 1, 0, NULL,
     "also publish on this tcp://ADDR:PORT for other hosts, with CURVE (repeatable; an "
     "aggregator serves catch-up on PORT+1: docs/OPERATIONS.md, 'Two hosts')", 0},
    {"curve-key", OPT_STR, &opts_common.curve_key, NULL, 1, 0, NULL,
     "this host's CURVE key pair (tickbus keygen; mode 0600) for tcp:// endpoints", 0},
    {"curve-allow", OPT_STR, &opts_common.curve_allow, NULL, 1, 0, NULL,
     "the public keys a tcp:// publisher admits, one per line (re-read when it changes)", 0},
    {"insecure", OPT_BOOL, &opts_common.insecure, "0", 1, 0, NULL,
     "allow tcp:// without CURVE (anyone who reaches the port reads the bus; logged)", 0},
    {"check", OPT_BOOL, &opts_common.check, "0", 1, 0, NULL,
     "validate the configuration and exit", 0},
    {NULL, 0, NULL, NULL, 0, 0, NULL, NULL, 0},
};

void opts_die(const char *option, const char *value, const char *why)
{
    fprintf(stderr, "%s: --%s: bad value '%s': %s\n", s_prog, option, value ? value : "", why);
    if (s_testing) {
        s_failed = 1;
        return; /* only reached in opts_test, which never relies on noreturn */
    }
    exit(EX_USAGE);
}

/* Environment names (docs/CONTRACT.md, 'Command lines'): an option --x-y of
 * program PROG is read from TICKBUS_<PROG>_X_Y (e.g. TICKBUS_WATCHDOG_GRACE), so
 * one tickbus.env can configure every program without one program's value
 * landing in another's option of the same name. A few names are shared on
 * purpose (s_shared: the bus directory and the CA file every feed trusts) and
 * are also read as TICKBUS_<OPTION>. The old shared form TICKBUS_<OPTION> of
 * every other option is still read, after the program's own name, for one
 * release, with a warning: it sets that option in every program that has it. */
static const char *const s_shared[] = {"bus", "ca-file", "curve-key", "curve-allow", "insecure",
                                       NULL};

static int s_is_shared(const opt_t *o)
{
    for (int i = 0; s_shared[i]; i++)
        if (!strcmp(o->name, s_shared[i])) return 1;
    return 0;
}

/* TICKBUS_ + (PROG_ when PROG is given, without a leading "tickbus-") + the
 * option's name, upper case, '-' as '_'. */
static void s_envname(const char *prog, const opt_t *o, char *buf, size_t n)
{
    size_t k = (size_t)snprintf(buf, n, "TICKBUS_");
    if (prog && !strncmp(prog, "tickbus-", 8)) prog += 8;
    const char *parts[2] = {prog, o->name};
    for (int i = 0; i < 2; i++) {
        if (!parts[i]) continue;
        for (const char *p = parts[i]; *p && k + 2 < n; p++)
            buf[k++] = *p == '-' ? '_' : (char)toupper((unsigned char)*p);
        if (i == 0 && k + 2 < n) buf[k++] = '_';
    }
    buf[k] = '\0';
}

/* Old shared names seen while reading the environment, warned about once the
 * log is up (opts_parse). */
#define OPTS_OLD_MAX 16
static char s_old[OPTS_OLD_MAX][2][96];
static int s_nold;

/* Position of word V (length N) in an OPT_ENUM's list ("a|b|c"), or -1. */
static int s_enum_find(const opt_t *o, const char *v, size_t n)
{
    const char *p = o->def;
    for (int k = 0; p; k++) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (len == n && !strncmp(p, v, n)) return k;
        p = bar ? bar + 1 : NULL;
    }
    return -1;
}

/* The K-th word of an OPT_ENUM's list, as "%.*s" arguments: *LEN and the start (NULL: none). */
static const char *s_enum_word(const opt_t *o, int k, int *len)
{
    const char *p = o->def;
    for (; p && k > 0; k--) p = strchr(p, '|') ? strchr(p, '|') + 1 : NULL;
    if (!p) return NULL;
    *len = (int)strcspn(p, "|");
    return p;
}

/* OPT_INT/OPT_DBL: X (parsed from V) outside the option's bounds exits 64
 * naming the option (opts_die; 1 in opts_test, where it returns), else 0. */
static int s_out_of_bounds(const opt_t *o, const char *v, double x)
{
    if (o->min <= o->max && (x < o->min || x > o->max)) {
        char why[96];
        snprintf(why, sizeof why, "must be between %g and %g", o->min, o->max);
        opts_die(o->name, v, why);
        return 1;
    }
    return 0;
}

static int s_set(const opt_t *o, const char *v, const char *origin)
{
    char *end;
    switch (o->type) {
    case OPT_ENUM: {
        int k = s_enum_find(o, v, strlen(v));
        if (k < 0) {
            char why[160];
            snprintf(why, sizeof why, "expected one of %s", o->def);
            opts_die(o->name, v, why);
            return -1;
        }
        *(int *)o->dst = k;
        return 0;
    }
    case OPT_STR:
        free(*(char **)o->dst);
        *(char **)o->dst = xstrdup(v);
        return 0;
    case OPT_LIST: {
        strlist_t *l = o->dst;
        if (strcmp(origin, "env") == 0) {
            char *copy = xstrdup(v), *save = NULL;
            for (char *t = strtok_r(copy, ", \t", &save); t; t = strtok_r(NULL, ", \t", &save))
                strlist_add(l, t);
            free(copy);
        } else {
            strlist_add(l, v);
        }
        return 0;
    }
    case OPT_BOOL:
        if (!strcmp(v, "1") || !strcmp(v, "true") || !strcmp(v, "yes") || !strcmp(v, "on"))
            *(int *)o->dst = 1;
        else if (!strcmp(v, "0") || !strcmp(v, "false") || !strcmp(v, "no") || !strcmp(v, "off"))
            *(int *)o->dst = 0;
        else {
            opts_die(o->name, v, "expected true/false");
            return -1;
        }
        return 0;
    case OPT_INT: {
        errno = 0;
        long x = strtol(v, &end, 10);
        if (errno || end == v || *end) {
            opts_die(o->name, v, "expected an integer");
            return -1;
        }
        if (s_out_of_bounds(o, v, (double)x)) return -1;
        *(long *)o->dst = x;
        return 0;
    }
    case OPT_DBL: {
        errno = 0;
        double x = strtod(v, &end);
        if (errno || end == v || *end || !isfinite(x)) {
            opts_die(o->name, v, "expected a number");
            return -1;
        }
        if (s_out_of_bounds(o, v, (double)x)) return -1;
        *(double *)o->dst = x;
        return 0;
    }
    }
    return -1;
}

static void s_default(const opt_t *o)
{
    if (o->type == OPT_ENUM) *(int *)o->dst = 0; /* the first word */
    else if (o->def) s_set(o, o->def, "default");
}

void opts_defaults(const opt_t *tbl)
{
    for (const opt_t *o = tbl; o->name; o++) s_default(o);
}

static void s_defaults_env(const opt_t *tbl)
{
    for (const opt_t *o = tbl; o->name; o++) {
        s_default(o);
        char own[96], old[96];
        s_envname(s_prog, o, own, sizeof own);
        s_envname(NULL, o, old, sizeof old);
        const char *v = getenv(own);
        if (!v || !*v) {
            v = getenv(old);
            if (v && *v && !s_is_shared(o) && s_nold < OPTS_OLD_MAX) {
                snprintf(s_old[s_nold][0], sizeof s_old[0][0], "%s", old);
                snprintf(s_old[s_nold][1], sizeof s_old[0][1], "%s", own);
                s_nold++;
            }
        }
        if ((!v || !*v) && o->env) v = getenv(o->env);
        if (v && *v) {
            if (o->type == OPT_LIST) strlist_clear(o->dst);
            s_set(o, v, "env");
        }
    }
}

static const opt_t *s_find(const opt_t *tbl, const char *name, size_t len)
{
    for (const opt_t *o = tbl; o->name; o++)
        if (strlen(o->name) == len && !strncmp(o->name, name, len)) return o;
    return NULL;
}

static void s_help(const char *prog, const char *summary, const opt_t *tbl)
{
    printf("usage: %s [options]\n%s\n\noptions (each also read from the environment variable "
           "shown; precedence: default < environment < command line):\n", prog, summary);
    const opt_t *tabs[2] = {tbl, s_common};
    for (int t = 0; t < 2; t++) {
        for (const opt_t *o = tabs[t]; o->name; o++) {
            char env[96], left[128];
            s_envname(s_is_shared(o) ? NULL : prog, o, env, sizeof env);
            const char *meta = o->type == OPT_BOOL ? "" : o->type == OPT_INT ? " N"
                               : o->type == OPT_DBL ? " X" : o->type == OPT_ENUM ? " WORD"
                               : " VALUE";
            snprintf(left, sizeof left, "--%s%s", o->name, meta);
            printf("  %-24s %s\n", left, o->help);
            printf("  %-24s env %s%s%s%s", "", env, s_is_shared(o) ? " (shared by all programs)" : "",
                   o->env ? " or " : "", o->env ? o->env : "");
            int dl;
            const char *dw = o->type == OPT_ENUM ? s_enum_word(o, 0, &dl) : NULL;
            if (dw) printf("; one of %s; default %.*s", o->def, dl, dw);
            else if (o->def && !(o->type == OPT_BOOL && !strcmp(o->def, "0")))
                printf("; default %s", o->def);
            if ((o->type == OPT_INT || o->type == OPT_DBL) && o->min <= o->max)
                printf("; range %g..%g", o->min, o->max);
            if (o->flags & OPT_REQUIRED) printf("; required");
            printf("\n");
        }
    }
    printf("  %-24s %s\n  %-24s %s\n  %-24s %s\n  %-24s %s\n", "-v, --verbose",
           "more log output (debug)", "-q, --quiet", "only warnings and errors", "--help",
           "this text", "--version", "print the version");
    printf("\nexit codes: 0 clean stop, 64 usage/config, 69 dependency unavailable, 70 internal, "
           "75 self-detected stall\n");
}

void opts_parse(const char *prog, const char *summary, const opt_t *tbl, int argc, char **argv,
                strlist_t *rest)
{
    s_prog = prog;
    s_defaults_env(s_common);
    s_defaults_env(tbl);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            s_help(prog, summary, tbl);
            exit(0);
        }
        if (!strcmp(a, "--version")) {
            printf("%s %s\n", prog, TB_VERSION);
            exit(0);
        }
        if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
            opts_common.verbose++;
            continue;
        }
        if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
            opts_common.quiet++;
            continue;
        }
        if (!strcmp(a, "--")) {
            for (i++; i < argc; i++) {
                if (!rest) opts_die("", argv[i], "unexpected argument");
                strlist_add(rest, argv[i]);
            }
            break;
        }
        if (strncmp(a, "--", 2) != 0 || a[2] == '\0') {
            if (!rest || a[0] == '-') {
                fprintf(stderr, "%s: unknown or unexpected argument '%s' (see --help)\n", prog, a);
                exit(EX_USAGE);
            }
            strlist_add(rest, a);
            continue;
        }
        const char *name = a + 2, *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        const opt_t *o = s_find(tbl, name, len);
        if (!o) o = s_find(s_common, name, len);
        if (!o) {
            fprintf(stderr, "%s: unknown option '%s' (see --help)\n", prog, a);
            exit(EX_USAGE);
        }
        const char *v;
        if (eq) v = eq + 1;
        else if (o->type == OPT_BOOL) v = "1";
        else if (i + 1 < argc) v = argv[++i];
        else {
            fprintf(stderr, "%s: option --%s needs a value (see --help)\n", prog, o->name);
            exit(EX_USAGE);
        }
        s_set(o, v, "argv");
    }
    for (const opt_t *o = tbl; o->name; o++) {
        if (!(o->flags & OPT_REQUIRED)) continue;
        int empty = (o->type == OPT_STR && (!*(char **)o->dst || !**(char **)o->dst)) ||
                    (o->type == OPT_LIST && ((strlist_t *)o->dst)->n == 0);
        if (empty) opts_die(o->name, "", "required");
    }
    if (!opts_common.name || !*opts_common.name) {
        free(opts_common.name);
        opts_common.name = xstrdup(prog);
    }
    for (const char *p = opts_common.name; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_')
            opts_die("name", opts_common.name, "use letters, digits, '-' and '_' only");
    int level = LOG_LVL_INFO + opts_common.verbose - 2 * opts_common.quiet;
    if (level > LOG_LVL_DEBUG) level = LOG_LVL_DEBUG;
    if (level < LOG_LVL_WARN) level = LOG_LVL_WARN;
    log_init(opts_common.name, level);
    curve_check_opts();
    for (int i = 0; i < s_nold; i++)
        log_warnx("environment: %s is the old name shared by every program with that option "
                  "(read for one more release): use %s", s_old[i][0], s_old[i][1]);
    s_nold = 0;
}

static size_t s_fmt(const opt_t *o, char *buf, size_t n)
{
    switch (o->type) {
    case OPT_STR: {
        const char *v = *(char **)o->dst;
        if (o->flags & OPT_SECRET) v = v && *v ? "(set)" : "(unset)";
        return (size_t)snprintf(buf, n, "%s=%s", o->name, v ? v : "");
    }
    case OPT_INT: return (size_t)snprintf(buf, n, "%s=%ld", o->name, *(long *)o->dst);
    case OPT_DBL: return (size_t)snprintf(buf, n, "%s=%g", o->name, *(double *)o->dst);
    case OPT_BOOL: return (size_t)snprintf(buf, n, "%s=%d", o->name, *(int *)o->dst);
    case OPT_ENUM: {
        int len = 0;
        const char *word = s_enum_word(o, *(int *)o->dst, &len);
        return (size_t)snprintf(buf, n, "%s=%.*s", o->name, len, word ? word : "");
    }
    case OPT_LIST: {
        const strlist_t *l = o->dst;
        size_t k = (size_t)snprintf(buf, n, "%s=", o->name);
        for (int i = 0; i < l->n && k < n; i++)
            k += (size_t)snprintf(buf + k, n - k, "%s%s", i ? "," : "", l->v[i]);
        return k;
    }
    }
    return 0;
}

void opts_log_effective(const char *prog, const opt_t *tbl)
{
    char line[1600];
    size_t k = (size_t)snprintf(line, sizeof line, "%s %s effective config:", prog, TB_VERSION);
    const opt_t *tabs[2] = {tbl, s_common};
    for (int t = 0; t < 2; t++)
        for (const opt_t *o = tabs[t]; o->name && k + 2 < sizeof line; o++) {
            line[k++] = ' ';
            k += s_fmt(o, line + k, sizeof line - k);
        }
    log_info("%s", line);
}

int opts_test(void)
{
    long n = 0;
    double x = 0;
    char *s = NULL, *key = NULL;
    strlist_t l = {0};
    const opt_t tbl[] = {
        {"depth", OPT_INT, &n, "100", 1, 1000, NULL, "levels", 0},
        {"stale-after", OPT_DBL, &x, "15", 0.1, 3600, NULL, "seconds", 0},
        {"url", OPT_STR, &s, "wss://x", 1, 0, "GO_URL", "url", 0},
        {"key-id", OPT_STR, &key, NULL, 1, 0, NULL, "key", OPT_SECRET},
        {"topic", OPT_LIST, &l, NULL, 1, 0, NULL, "topics", 0},
        {NULL, 0, NULL, NULL, 0, 0, NULL, NULL, 0},
    };
    /* the program's own name beats the old shared one; the old one is read,
     * with a warning; argv beats both; the Go collector's name comes last */
    setenv("TICKBUS_OPTS_TEST_STALE_AFTER", "7.5", 1);
    setenv("TICKBUS_STALE_AFTER", "9", 1);
    setenv("TICKBUS_DEPTH", "30", 1);
    setenv("GO_URL", "wss://env", 1);
    char *argv[] = {"t", "--depth", "25", "--topic=a", "--topic", "b", "--key-id", "sekrit", NULL};
    opts_parse("opts-test", "test", tbl, 8, argv, NULL);
    int rc = 0;
    if (n != 25 || x != 7.5 || strcmp(s, "wss://env") || l.n != 2 || strcmp(l.v[1], "b")) {
        fprintf(stderr, "opts_test: precedence wrong: depth=%ld stale=%g url=%s\n", n, x, s);
        rc = -1;
    }
    unsetenv("TICKBUS_OPTS_TEST_STALE_AFTER");
    char *argv2[] = {"t", NULL};
    opts_parse("opts-test", "test", tbl, 1, argv2, NULL);
    if (x != 9 || n != 30) {
        fprintf(stderr, "opts_test: old shared name not read: stale=%g depth=%ld\n", x, n);
        rc = -1;
    }
    unsetenv("TICKBUS_STALE_AFTER");
    unsetenv("TICKBUS_DEPTH");
    unsetenv("GO_URL");
    char env[96];
    s_envname("sink-jsonl", &tbl[1], env, sizeof env);
    char env2[96];
    s_envname("tickbus-metrics", &tbl[1], env2, sizeof env2);
    if (strcmp(env, "TICKBUS_SINK_JSONL_STALE_AFTER") ||
        strcmp(env2, "TICKBUS_METRICS_STALE_AFTER")) {
        fprintf(stderr, "opts_test: env name %s\n", env);
        rc = -1;
    }
    char buf[128];
    s_fmt(&tbl[3], buf, sizeof buf);
    if (strstr(buf, "sekrit")) {
        fprintf(stderr, "opts_test: secret printed\n");
        rc = -1;
    }
    s_testing = 1;
    s_failed = 0;
    s_set(&tbl[0], "5000", "argv");
    if (!s_failed) {
        fprintf(stderr, "opts_test: out-of-range depth accepted\n");
        rc = -1;
    }
    s_failed = 0;
    s_set(&tbl[1], "abc", "argv");
    if (!s_failed) rc = -1;
    s_testing = 0;

    /* OPT_ENUM: the word's position in the list, the first word by default, from the
     * environment or the command line; any other word refused at parse time */
    int mode = -1;
    const opt_t etbl[] = {
        {"clock", OPT_ENUM, &mode, "real|replay|step", 1, 0, NULL, "clock", 0},
        {NULL, 0, NULL, NULL, 0, 0, NULL, NULL, 0},
    };
    opts_defaults(etbl);
    int m0 = mode;
    char *argv3[] = {"t", "--clock", "step", NULL};
    opts_parse("opts-test", "test", etbl, 3, argv3, NULL);
    int m2 = mode;
    setenv("TICKBUS_OPTS_TEST_CLOCK", "replay", 1);
    opts_parse("opts-test", "test", etbl, 1, argv2, NULL);
    unsetenv("TICKBUS_OPTS_TEST_CLOCK");
    s_fmt(&etbl[0], buf, sizeof buf);
    if (m0 != 0 || m2 != 2 || mode != 1 || strcmp(buf, "clock=replay")) {
        fprintf(stderr, "opts_test: enum default %d, argv %d, env %d, shown %s\n", m0, m2, mode,
                buf);
        rc = -1;
    }
    s_testing = 1;
    const char *badw[] = {"rep", "", "real|replay", "REAL"};
    for (size_t i = 0; i < ARRAY_LEN(badw); i++) {
        s_failed = 0;
        s_set(&etbl[0], badw[i], "argv");
        if (!s_failed || mode != 1) {
            fprintf(stderr, "opts_test: enum word '%s' accepted\n", badw[i]);
            rc = -1;
        }
    }
    s_testing = 0;
    free(s);
    free(key);
    strlist_clear(&l);
    free(opts_common.name);
    opts_common.name = NULL;
    return rc;
}
