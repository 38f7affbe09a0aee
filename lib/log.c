/* log: the one logging path of every tickbus program (see log.h).
 * Lines go to stderr whole, with one write(2), so concurrent programs sharing
 * a journal or a terminal never interleave within a line. */
#include "log.h"
#include "clock.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int log_level = LOG_LVL_INFO;
static char s_name[64] = "tickbus";
static int s_journal = -1;

void log_init(const char *name, int level)
{
    if (name) snprintf(s_name, sizeof s_name, "%s", name);
    log_level = level;
    s_journal = getenv("JOURNAL_STREAM") != NULL;
}

static const char *s_lvlname(int level)
{
    switch (level) {
    case LOG_LVL_CRIT: return "crit";
    case LOG_LVL_ERR: return "error";
    case LOG_LVL_WARN: return "warn";
    case LOG_LVL_NOTICE: return "notice";
    case LOG_LVL_INFO: return "info";
    default: return "debug";
    }
}

__attribute__((format(printf, 3, 0))) static void s_vemit(int level, int with_errno, const char *fmt,
                                                         va_list ap)
{
    int saved = errno;
    char line[2048];
    size_t n = 0;
    if (s_journal < 0) s_journal = getenv("JOURNAL_STREAM") != NULL;
    if (s_journal) {
        n = (size_t)snprintf(line, sizeof line, "<%d>", level);
    } else {
        char ts[40];
        clock_fmt_iso_ms(clock_real_ns(), ts, sizeof ts);
        n = (size_t)snprintf(line, sizeof line, "%s %s[%d] %s: ", ts, s_name, (int)getpid(),
                             s_lvlname(level));
    }
    if (n < sizeof line) {
        int k = vsnprintf(line + n, sizeof line - n, fmt, ap);
        if (k > 0) n += (size_t)k;
    }
    if (with_errno && n < sizeof line) {
        int k = snprintf(line + n, sizeof line - n, ": %s", strerror(saved));
        if (k > 0) n += (size_t)k;
    }
    if (n > sizeof line - 2) n = sizeof line - 2;
    line[n++] = '\n';
    ssize_t w = write(STDERR_FILENO, line, n);
    (void)w;
    errno = saved;
}

void log_emit(int level, int with_errno, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    s_vemit(level, with_errno, fmt, ap);
    va_end(ap);
}

int log_rl_allow(log_rl_t *rl, unsigned long *suppressed_out)
{
    int64_t now = clock_mono_ns();
    *suppressed_out = 0;
    if (rl->window_start_ns == 0 || now - rl->window_start_ns >= 10 * NS_PER_S) {
        *suppressed_out = rl->suppressed;
        rl->window_start_ns = now;
        rl->n = 0;
        rl->suppressed = 0;
    }
    if (rl->n < 5) {
        rl->n++;
        return 1;
    }
    rl->suppressed++;
    return 0;
}

void fatal(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    s_vemit(LOG_LVL_CRIT, 1, fmt, ap);
    va_end(ap);
    exit(code);
}

void fatalx(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    s_vemit(LOG_LVL_CRIT, 0, fmt, ap);
    va_end(ap);
    exit(code);
}

int log_test(void)
{
    log_rl_t rl = {0};
    unsigned long sup;
    int allowed = 0;
    for (int i = 0; i < 20; i++) allowed += log_rl_allow(&rl, &sup);
    if (allowed != 5 || rl.suppressed != 15) {
        fprintf(stderr, "log_test: rate limiter allowed %d of 20, want 5\n", allowed);
        return -1;
    }
    rl.window_start_ns -= 11 * NS_PER_S;
    if (!log_rl_allow(&rl, &sup) || sup != 15) {
        fprintf(stderr, "log_test: new window should report 15 suppressed, got %lu\n", sup);
        return -1;
    }
    return 0;
}
