/* wdrestart: restart backends of the watchdog (see wdrestart.h): sd-bus
 * RestartUnit(unit, "replace") on a kept-open connection, or a fork/exec of
 * /bin/sh -c with the unit shell-quoted, never through a shell-built string
 * of unquoted input. */
#include "wdrestart.h"
#include "clock.h"
#include "log.h"
#include "util.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <systemd/sd-bus.h>
#include <time.h>
#include <unistd.h>

#define WDR_MAX_CHILDREN 32

struct wdrestart {
    int is_cmd;
    int system;
    char *address;
    sd_bus *bus;
    char *cmd;
    pid_t child[WDR_MAX_CHILDREN];
    char *child_unit[WDR_MAX_CHILDREN];
    int failed; /* commands that exited non-zero since the last wdrestart_wait */
    double recent_s; /* systemd: a unit active for less than this is not restarted */
};

void wdrestart_set_recent(wdrestart_t *r, double seconds) { r->recent_s = seconds; }

static wdrestart_t *s_new_systemd(int system, const char *address)
{
    wdrestart_t *r = xcalloc(1, sizeof *r);
    r->system = system;
    if (address && *address) r->address = xstrdup(address);
    return r;
}

static wdrestart_t *s_new_cmd(const char *cmd)
{
    wdrestart_t *r = xcalloc(1, sizeof *r);
    r->is_cmd = 1;
    r->cmd = xstrdup(cmd);
    return r;
}

wdrestart_t *wdrestart_from_opts(const wdrestart_opts_t *o)
{
    if (!strcmp(o->restart, "cmd")) {
        if (!o->restart_cmd || !*o->restart_cmd)
            opts_die("restart-cmd", "", "required with --restart cmd");
        if (!strstr(o->restart_cmd, "%u"))
            opts_die("restart-cmd", o->restart_cmd, "must contain %u (the unit)");
        return s_new_cmd(o->restart_cmd);
    }
    if (strcmp(o->restart, "systemd")) opts_die("restart", o->restart, "expected systemd or cmd");
    if (o->user && o->system) opts_die("system", "1", "--user and --system exclude each other");
    return s_new_systemd(o->system, o->bus_address);
}

void wdrestart_destroy(wdrestart_t **rp)
{
    if (!rp || !*rp) return;
    wdrestart_t *r = *rp;
    if (r->bus) sd_bus_flush_close_unref(r->bus);
    for (int i = 0; i < WDR_MAX_CHILDREN; i++) free(r->child_unit[i]);
    free(r->address);
    free(r->cmd);
    free(r);
    *rp = NULL;
}

const char *wdrestart_kind(const wdrestart_t *r) { return r->is_cmd ? "cmd" : "systemd"; }

/* Append S to the growing buffer as one single-quoted shell word. */
static void s_quote(char **buf, size_t *len, size_t *cap, const char *s)
{
    size_t need = *len + 4 * strlen(s) + 3;
    if (need > *cap) {
        *cap = need * 2;
        *buf = xrealloc(*buf, *cap);
    }
    char *o = *buf + *len;
    *o++ = '\'';
    for (; *s; s++) {
        if (*s == '\'') {
            memcpy(o, "'\\''", 4);
            o += 4;
        } else {
            *o++ = *s;
        }
    }
    *o++ = '\'';
    *len = (size_t)(o - *buf);
}

/* CMD with %u/%n expanded (shell-quoted) and %% as %; caller frees. */
static char *s_expand(const char *cmd, const char *unit, const char *name)
{
    size_t cap = strlen(cmd) + 64, len = 0;
    char *buf = xmalloc(cap);
    for (const char *p = cmd; *p; p++) {
        if (p[0] == '%' && (p[1] == 'u' || p[1] == 'n')) {
            s_quote(&buf, &len, &cap, p[1] == 'u' ? unit : (name ? name : ""));
            p++;
            continue;
        }
        if (p[0] == '%' && p[1] == '%') p++;
        if (len + 2 > cap) {
            cap *= 2;
            buf = xrealloc(buf, cap);
        }
        buf[len++] = *p;
    }
    buf[len] = '\0';
    return buf;
}

static int s_cmd_run(wdrestart_t *r, const char *unit, const char *name, char *err, size_t n)
{
    int slot = -1;
    wdrestart_reap(r);
    for (int i = 0; i < WDR_MAX_CHILDREN && slot < 0; i++)
        if (!r->child[i]) slot = i;
    if (slot < 0) {
        snprintf(err, n, "%d restart commands still running", WDR_MAX_CHILDREN);
        return -1;
    }
    char *line = s_expand(r->cmd, unit, name);
    char *argv[] = {"sh", "-c", line, NULL};
    sigset_t all, old;
    sigfillset(&all);
    sigprocmask(SIG_SETMASK, &all, &old);
    pid_t pid = fork();
    if (pid == 0) {
        /* child: only async-signal-safe calls until exec */
        struct sigaction dfl;
        memset(&dfl, 0, sizeof dfl);
        dfl.sa_handler = SIG_DFL;
        for (int s = 1; s < NSIG; s++) sigaction(s, &dfl, NULL);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        execv("/bin/sh", argv);
        _exit(127);
    }
    int saved = errno;
    sigprocmask(SIG_SETMASK, &old, NULL);
    if (pid < 0) {
        snprintf(err, n, "fork: %s", strerror(saved));
        free(line);
        return -1;
    }
    log_debug("restart command pid=%d: %s", (int)pid, line);
    free(line);
    r->child[slot] = pid;
    free(r->child_unit[slot]);
    r->child_unit[slot] = xstrdup(unit);
    return 0;
}

int wdrestart_reap(wdrestart_t *r)
{
    int running = 0;
    for (int i = 0; i < WDR_MAX_CHILDREN; i++) {
        if (!r->child[i]) continue;
        int st;
        pid_t p = waitpid(r->child[i], &st, WNOHANG);
        if (p == 0) {
            running++;
            continue;
        }
        if (p < 0 && errno == EINTR) {
            running++;
            continue;
        }
        if (p < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
            r->failed++;
            if (p < 0) log_warn("restart command for unit=%s: waitpid", r->child_unit[i]);
            else if (WIFEXITED(st))
                log_warnx("restart command for unit=%s exited status=%d", r->child_unit[i],
                          WEXITSTATUS(st));
            else
                log_warnx("restart command for unit=%s killed by signal=%d", r->child_unit[i],
                          WTERMSIG(st));
        }
        r->child[i] = 0;
    }
    return running;
}

int wdrestart_wait(wdrestart_t *r, int timeout_ms)
{
    int64_t deadline = clock_mono_ns() + (int64_t)timeout_ms * NS_PER_MS;
    while (wdrestart_reap(r) > 0) {
        if (clock_mono_ns() >= deadline) {
            for (int i = 0; i < WDR_MAX_CHILDREN; i++)
                if (r->child[i]) {
                    log_warnx("restart command for unit=%s still running after %d ms: killing it",
                              r->child_unit[i], timeout_ms);
                    kill(r->child[i], SIGKILL);
                }
            wdrestart_reap(r);
            r->failed++;
            break;
        }
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    int failed = r->failed;
    r->failed = 0;
    return failed ? -1 : 0;
}

/* The systemd manager's own socket, used when no D-Bus daemon is running. */
static int s_private(sd_bus **b, int system)
{
    char addr[600];
    const char *rt = getenv("XDG_RUNTIME_DIR");
    if (system) snprintf(addr, sizeof addr, "unix:path=/run/systemd/private");
    else if (rt && *rt) snprintf(addr, sizeof addr, "unix:path=%s/systemd/private", rt);
    else return -ENOENT;
    int rc = sd_bus_new(b);
    if (rc < 0) return rc;
    if ((rc = sd_bus_set_address(*b, addr)) < 0 || (rc = sd_bus_start(*b)) < 0) {
        *b = sd_bus_unref(*b);
        return rc;
    }
    log_debug("connected to the systemd manager at %s", addr);
    return 0;
}

static int s_open(wdrestart_t *r, char *err, size_t n)
{
    sd_bus *b = NULL;
    int rc;
    const char *what;
    if (r->address) {
        what = r->address;
        rc = sd_bus_new(&b);
        if (rc >= 0 && (rc = sd_bus_set_address(b, r->address)) >= 0) rc = sd_bus_start(b);
        if (rc < 0) b = sd_bus_unref(b);
    } else {
        what = r->system ? "the system bus" : "the user bus";
        rc = r->system ? sd_bus_open_system(&b) : sd_bus_open_user(&b);
        if (rc < 0) {
            int rc2 = s_private(&b, r->system);
            if (rc2 >= 0) rc = 0;
        }
    }
    if (rc < 0) {
        snprintf(err, n, "cannot connect to %s: %s", what, strerror(-rc));
        return -1;
    }
    sd_bus_set_method_call_timeout(b, 5 * 1000000ULL);
    r->bus = b;
    return 0;
}

/* Load UNIT and read its ActiveState into STATE. Returns 0; 1 when the
 * manager says the unit cannot be used (not found, masked, bad setting:
 * reason in ERR); or a negative errno when the connection failed. */
static int s_active_state(wdrestart_t *r, const char *unit, char *state, size_t sn,
                          uint64_t *enter_us, char *err, size_t n)
{
    sd_bus_error e = SD_BUS_ERROR_NULL;
    sd_bus_message *reply = NULL;
    const char *path;
    char *load = NULL, *st = NULL;
    int rc = sd_bus_call_method(r->bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                                "org.freedesktop.systemd1.Manager", "LoadUnit", &e, &reply, "s",
                                unit);
    if (rc >= 0) rc = sd_bus_message_read(reply, "o", &path);
    if (rc >= 0)
        rc = sd_bus_get_property_string(r->bus, "org.freedesktop.systemd1", path,
                                        "org.freedesktop.systemd1.Unit", "LoadState", &e, &load);
    if (rc >= 0)
        rc = sd_bus_get_property_string(r->bus, "org.freedesktop.systemd1", path,
                                        "org.freedesktop.systemd1.Unit", "ActiveState", &e, &st);
    *enter_us = 0;
    if (rc >= 0)
        rc = sd_bus_get_property_trivial(r->bus, "org.freedesktop.systemd1", path,
                                         "org.freedesktop.systemd1.Unit",
                                         "ActiveEnterTimestampMonotonic", &e, 't', enter_us);
    sd_bus_message_unref(reply);
    if (rc < 0 && sd_bus_error_is_set(&e)) {
        snprintf(err, n, "%s: %s", unit, e.message ? e.message : e.name);
        rc = 1;
    } else if (rc >= 0 && strcmp(load, "loaded")) {
        snprintf(err, n, "unit %s is %s", unit, load);
        rc = 1;
    } else if (rc >= 0) {
        snprintf(state, sn, "%s", st);
        rc = 0;
    }
    free(load);
    free(st);
    sd_bus_error_free(&e);
    return rc;
}

static int s_systemd_restart(wdrestart_t *r, const char *unit, char *err, size_t n)
{
    for (int attempt = 0; attempt < 2; attempt++) {
        if (!r->bus && s_open(r, err, n) < 0) return -1;
        sd_bus_error e = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        char state[32];
        uint64_t enter_us;
        int src = s_active_state(r, unit, state, sizeof state, &enter_us, err, n);
        if (src == 1) return -1;
        if (src < 0) { /* the connection broke: reconnect once */
            snprintf(err, n, "LoadUnit %s: %s", unit, strerror(-src));
            r->bus = sd_bus_flush_close_unref(r->bus);
            continue;
        }
        if (!strcmp(state, "inactive")) {
            snprintf(err, n, "unit %s is inactive (stopped on purpose or never started)", unit);
            return WDRESTART_SKIPPED;
        }
        /* A unit that is starting, or became active moments ago (a person
         * started it again, or systemd's Restart= already did), is given the
         * grace to send its first hb: the missing hb was its predecessor's. */
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts); /* systemd's *Monotonic stamps use this clock */
        uint64_t now_us = (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
        if (!strcmp(state, "activating") || !strcmp(state, "reloading") ||
            (enter_us && now_us - enter_us < (uint64_t)(r->recent_s * 1e6))) {
            snprintf(err, n, "unit %s is %s since %.1f s: judged again after the grace", unit,
                     state, enter_us ? (double)(now_us - enter_us) / 1e6 : 0.0);
            return WDRESTART_SKIPPED;
        }
        /* A unit that hit its StartLimitBurst stays failed and would ignore
         * the restart; our own per-unit rate limit governs instead. Errors
         * (e.g. the unit is not failed or not loaded) do not matter here. */
        sd_bus_call_method(r->bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                           "org.freedesktop.systemd1.Manager", "ResetFailedUnit", &e, NULL, "s",
                           unit);
        sd_bus_error_free(&e);
        int rc = sd_bus_call_method(r->bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                                    "org.freedesktop.systemd1.Manager", "RestartUnit", &e, &reply,
                                    "ss", unit, "replace");
        if (rc >= 0) {
            const char *job = NULL;
            if (sd_bus_message_read(reply, "o", &job) >= 0)
                log_debug("RestartUnit %s queued job %s", unit, job);
            sd_bus_message_unref(reply);
            sd_bus_error_free(&e);
            return 0;
        }
        int remote = sd_bus_error_is_set(&e);
        snprintf(err, n, "RestartUnit %s: %s", unit,
                 remote && e.message ? e.message : strerror(-rc));
        sd_bus_error_free(&e);
        if (remote) return -1; /* the manager said no: reconnecting will not help */
        /* the connection broke (manager restarted, socket gone): reconnect once */
        r->bus = sd_bus_flush_close_unref(r->bus);
    }
    return -1;
}

int wdrestart_unit(wdrestart_t *r, const char *unit, const char *name, char *err, size_t n)
{
    err[0] = '\0';
    return r->is_cmd ? s_cmd_run(r, unit, name, err, n) : s_systemd_restart(r, unit, err, n);
}

int wdrestart_test(void)
{
    int rc = 0;
    char *s = s_expand("echo %u %n 100%% >> f", "tickbus-feed@kraken.service", "it's");
    if (strcmp(s, "echo 'tickbus-feed@kraken.service' 'it'\\''s' 100% >> f")) {
        fprintf(stderr, "wdrestart_test: expand gave %s\n", s);
        rc = -1;
    }
    free(s);

    char dir[] = "/tmp/tickbus-wdrtest-XXXXXX", path[128], cmd[256], buf[256] = "";
    if (!mkdtemp(dir)) return -1;
    snprintf(path, sizeof path, "%s/out", dir);
    snprintf(cmd, sizeof cmd, "printf '%%s\\n' %%u >> %s", path);
    wdrestart_t *r = s_new_cmd(cmd);
    char err[256];
    /* a unit name with shell metacharacters must arrive as one literal word */
    if (wdrestart_unit(r, "a b;$(false)'x", "n", err, sizeof err) < 0 ||
        wdrestart_wait(r, 5000) < 0)
        rc = -1;
    FILE *f = fopen(path, "r");
    if (!f || !fgets(buf, sizeof buf, f) || strcmp(buf, "a b;$(false)'x\n")) {
        fprintf(stderr, "wdrestart_test: command wrote '%s'\n", buf);
        rc = -1;
    }
    if (f) fclose(f);
    wdrestart_destroy(&r);
    r = s_new_cmd("exit 3");
    int level = log_level;
    log_level = LOG_LVL_CRIT; /* the expected failure line is noise here */
    if (wdrestart_unit(r, "u", NULL, err, sizeof err) < 0 || wdrestart_wait(r, 5000) != -1)
        rc = -1; /* a failing command is reported */
    log_level = level;
    wdrestart_destroy(&r);

    /* systemd backend against a socket nobody listens on: an error, not a crash */
    char addr[200];
    snprintf(addr, sizeof addr, "unix:path=%s/nosuch", dir);
    r = s_new_systemd(0, addr);
    if (wdrestart_unit(r, "x.service", NULL, err, sizeof err) != -1 || !err[0]) rc = -1;
    wdrestart_destroy(&r);
    unlink(path);
    rmdir(dir);
    return rc;
}
