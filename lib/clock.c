/* clock: time helpers shared by every program (see clock.h). The aggregator's
 * once-a-second tick and every age in a heartbeat come from here. */
#include "clock.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

int64_t clock_real_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * NS_PER_S + ts.tv_nsec;
}

int64_t clock_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * NS_PER_S + ts.tv_nsec;
}

char *clock_fmt_iso(int64_t ns, char *buf, size_t n)
{
    time_t t = (time_t)(ns / NS_PER_S);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

char *clock_fmt_iso_ms(int64_t ns, char *buf, size_t n)
{
    time_t t = (time_t)(ns / NS_PER_S);
    struct tm tm;
    char tmp[32];
    gmtime_r(&t, &tm);
    strftime(tmp, sizeof tmp, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf, n, "%s.%03dZ", tmp, (int)((ns % NS_PER_S) / NS_PER_MS));
    return buf;
}

static int s_digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

int clock_parse_iso(const char *s, size_t len, int64_t *ns_out)
{
    int Y, M, D, h, m, sec;
    if (len < 19 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != ' ') ||
        s[13] != ':' || s[16] != ':')
        return -1;
    if (s_digits(s, 4, &Y) || s_digits(s + 5, 2, &M) || s_digits(s + 8, 2, &D) ||
        s_digits(s + 11, 2, &h) || s_digits(s + 14, 2, &m) || s_digits(s + 17, 2, &sec))
        return -1;
    if (M < 1 || M > 12 || D < 1 || D > 31 || h > 23 || m > 59 || sec > 60) return -1;
    if (Y < 1970 || Y >= 2200) return -1; /* ns of year 2262 overflow int64 */
    size_t i = 19;
    int64_t frac = 0;
    if (i < len && s[i] == '.') {
        int64_t scale = NS_PER_S;
        for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
            if (scale > 1) {
                scale /= 10;
                frac += (s[i] - '0') * scale;
            }
        }
    }
    if (i < len) {
        if (s[i] == 'Z') i++;
        else if (len - i == 6 && (s[i] == '+' || s[i] == '-') && !memcmp(s + i + 1, "00:00", 5))
            i += 6;
        else return -1;
    }
    if (i != len) return -1;
    /* days from civil (Howard Hinnant's algorithm), no timegm/TZ dependence */
    int y = Y - (M <= 2);
    int era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (unsigned)((153 * (M + (M > 2 ? -3 : 9)) + 2) / 5 + D - 1);
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    int64_t days = (int64_t)era * 146097 + (int64_t)doe - 719468;
    *ns_out = ((days * 86400) + h * 3600 + m * 60 + sec) * NS_PER_S + frac;
    return 0;
}

int clock_from_units(int64_t v, int64_t unit, int64_t *ns)
{
    if (unit <= 0 || v < 0 || v > CLOCK_MAX_NS / unit) return -1;
    *ns = v * unit;
    return 0;
}

int clock_near(int64_t ns, int64_t now, int64_t behind, int64_t ahead)
{
    /* the difference of two int64 always fits a uint64 */
    if (ns <= now) return (uint64_t)now - (uint64_t)ns <= (uint64_t)behind;
    return (uint64_t)ns - (uint64_t)now <= (uint64_t)ahead;
}

int clock_test(void)
{
    char buf[40];
    int64_t ns;
    if (clock_parse_iso("2026-11-28T12:03:17Z", 20, &ns) || ns != 1795867397LL * NS_PER_S) {
        fprintf(stderr, "clock_test: parse gave %lld\n", (long long)ns);
        return -1;
    }
    clock_fmt_iso(ns, buf, sizeof buf);
    if (strcmp(buf, "2026-11-28T12:03:17Z")) {
        fprintf(stderr, "clock_test: fmt gave %s\n", buf);
        return -1;
    }
    const char *frac = "2026-01-01T00:00:00.250+00:00";
    if (clock_parse_iso(frac, strlen(frac), &ns) || ns != 1767225600LL * NS_PER_S + 250 * NS_PER_MS) {
        fprintf(stderr, "clock_test: fractional parse failed\n");
        return -1;
    }
    if (clock_parse_iso("2026-13-01T00:00:00Z", 20, &ns) == 0 ||
        clock_parse_iso("garbage", 7, &ns) == 0) {
        fprintf(stderr, "clock_test: accepted bad input\n");
        return -1;
    }
    /* years a parsed time could not hold (2262 overflows int64 ns) or that no
     * venue sends are rejected, not wrapped */
    const char *far[] = {"2262-04-12T00:00:00Z", "9999-12-31T23:59:59Z", "2200-01-01T00:00:00Z",
                         "1969-12-31T23:59:59Z", "0000-01-01T00:00:00Z"};
    for (size_t k = 0; k < sizeof far / sizeof far[0]; k++)
        if (clock_parse_iso(far[k], strlen(far[k]), &ns) == 0) {
            fprintf(stderr, "clock_test: accepted %s as %lld\n", far[k], (long long)ns);
            return -1;
        }
    if (clock_parse_iso("2199-12-31T23:59:59Z", 20, &ns) || ns != CLOCK_MAX_NS - NS_PER_S) return -1;
    if (clock_from_units(INT64_MAX, NS_PER_MS, &ns) == 0 || clock_from_units(-1, 1, &ns) == 0 ||
        clock_from_units(CLOCK_MAX_S + 1, NS_PER_S, &ns) == 0 ||
        clock_from_units(1795867397123LL, NS_PER_MS, &ns) || ns != 1795867397123LL * NS_PER_MS)
        return -1;
    if (!clock_near(5, 10, 5, 0) || clock_near(4, 10, 5, 0) || !clock_near(12, 10, 0, 2) ||
        clock_near(INT64_MIN, INT64_MAX, INT64_MAX, 0) || clock_near(INT64_MAX, INT64_MIN, 0, 5) ||
        clock_near(INT64_MIN, 0, INT64_MAX, 0))
        return -1;
    int64_t a = clock_mono_ns(), b = clock_mono_ns();
    if (b < a) return -1;
    return 0;
}
