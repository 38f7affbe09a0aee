/* log: one line per event, levels tested before the arguments are evaluated.
 * Under systemd (JOURNAL_STREAM set) lines carry sd-daemon "<N>" priorities so
 * journald keeps the level; elsewhere a UTC timestamp and the program name. */
#ifndef TB_LOG_H
#define TB_LOG_H

#include <stdint.h>

enum { LOG_LVL_CRIT = 2, LOG_LVL_ERR = 3, LOG_LVL_WARN = 4, LOG_LVL_NOTICE = 5,
       LOG_LVL_INFO = 6, LOG_LVL_DEBUG = 7 };

extern int log_level;

/* Set the program name shown in each line and the level (LOG_LVL_*). */
void log_init(const char *name, int level);

/* Emit one line at LEVEL; with_errno appends ": strerror(errno)". */
void log_emit(int level, int with_errno, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Rate limiter: at most `burst` lines per `window_s` seconds per call site;
 * the number suppressed is reported on the next line let through. */
typedef struct {
    int64_t window_start_ns;
    int n;
    unsigned long suppressed;
} log_rl_t;
int log_rl_allow(log_rl_t *rl, unsigned long *suppressed_out);

#define log_debug(...)                                                                   \
    do { if (log_level >= LOG_LVL_DEBUG) log_emit(LOG_LVL_DEBUG, 0, __VA_ARGS__); } while (0)
#define log_info(...)                                                                    \
    do { if (log_level >= LOG_LVL_INFO) log_emit(LOG_LVL_INFO, 0, __VA_ARGS__); } while (0)
#define log_notice(...)                                                                  \
    do { if (log_level >= LOG_LVL_NOTICE) log_emit(LOG_LVL_NOTICE, 0, __VA_ARGS__); } while (0)
/* log_warn appends strerror(errno); log_warnx does not. */
#define log_warn(...)                                                                    \
    do { if (log_level >= LOG_LVL_WARN) log_emit(LOG_LVL_WARN, 1, __VA_ARGS__); } while (0)
#define log_warnx(...)                                                                   \
    do { if (log_level >= LOG_LVL_WARN) log_emit(LOG_LVL_WARN, 0, __VA_ARGS__); } while (0)
#define log_crit(...) log_emit(LOG_LVL_CRIT, 0, __VA_ARGS__)

/* Rate-limited warning: at most 5 lines per 10 s from this call site. */
#define log_warnx_rl(...)                                                                \
    do {                                                                                 \
        static log_rl_t rl_;                                                             \
        unsigned long sup_;                                                              \
        if (log_level >= LOG_LVL_WARN && log_rl_allow(&rl_, &sup_)) {                    \
            if (sup_) log_emit(LOG_LVL_WARN, 0, "(%lu similar lines suppressed)", sup_); \
            log_emit(LOG_LVL_WARN, 0, __VA_ARGS__);                                      \
        }                                                                                \
    } while (0)

/* fatal/fatalx: log at CRIT and exit with CODE (64 config, 69 dependency, 70 internal). */
void fatal(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));
void fatalx(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));

int log_test(void);

#endif
