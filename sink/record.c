/* record: type, own time and markets of a record line, for sink-jsonl's
 * rotation and coverage and sink-postgres's routing (see record.h). */
#include "record.h"
#include "clock.h"
#include "log.h"

#include <stdio.h>
#include <string.h>

static int s_settled_status(const jtok_t *d, int i)
{
    return jtok_eq(d, i, "settled") || jtok_eq(d, i, "finalized") || jtok_eq(d, i, "determined");
}

static int s_has_result(const jtok_t *d, int i)
{
    size_t n;
    return jtok_type(d, i) == JSMN_STRING && jtok_text(d, i, &n) && n > 0;
}

void record_gate_init(record_gate_t *g, int64_t max_ahead_s, int64_t max_behind_s,
                      int64_t (*now_ns)(void))
{
    memset(g, 0, sizeof *g);
    g->ahead_ns = (max_ahead_s > 0 ? max_ahead_s : RECORD_AHEAD_S) * NS_PER_S;
    g->behind_ns = (max_behind_s > 0 ? max_behind_s : RECORD_BEHIND_S) * NS_PER_S;
    g->now_ns = now_ns ? now_ns : clock_real_ns;
}

int record_check(record_gate_t *g, jtok_t *d, const char *line, size_t len, record_t *r)
{
    /* jtok (under record_parse) takes only strict JSON: one object, strings
     * of valid UTF-8 without control characters, no NUL, nothing after it;
     * a raw newline between tokens is still JSON but would split the line */
    if (record_parse(d, line, len, r, NULL, NULL) < 0 || memchr(line, '\n', len) ||
        memchr(line, '\r', len)) {
        g->invalid++;
        log_warnx_rl("record refused: not one JSON object of valid UTF-8 on one line (%zu bytes)",
                     len);
        return RECORD_INVALID;
    }
    int64_t now = g->now_ns();
    if (r->ts_ns >= 0 && !clock_near(r->ts_ns, now, g->behind_ns, g->ahead_ns)) {
        char a[40], b[40];
        g->quarantined++;
        log_warnx_rl("record quarantined: its time %s is %s the sink's clock %s by more than "
                     "the window (%s)", clock_fmt_iso(r->ts_ns, a, sizeof a),
                     r->ts_ns > now ? "ahead of" : "behind", clock_fmt_iso(now, b, sizeof b),
                     r->type[0] ? r->type : "no type");
        return RECORD_FAR;
    }
    return 0;
}

int record_parse(jtok_t *d, const char *line, size_t len, record_t *r, record_market_fn *market,
                 void *arg)
{
    memset(r, 0, sizeof *r);
    r->ts_ns = -1;
    if (jtok_parse(d, line, len) < 0 || jtok_type(d, 0) != JSMN_OBJECT) return -1;
    int i = jtok_get(d, 0, "type");
    if (jtok_type(d, i) == JSMN_STRING) jtok_str(d, i, r->type, sizeof r->type);
    if (!strcmp(r->type, "gap")) {
        jtok_str(d, jtok_get(d, 0, "reason"), r->reason, sizeof r->reason);
        jtok_int(d, jtok_get(d, 0, "seconds"), &r->seconds);
    }
    i = jtok_get(d, 0, "ts");
    size_t n;
    const char *s;
    int64_t v;
    if (jtok_type(d, i) == JSMN_STRING && (s = jtok_text(d, i, &n)) &&
        clock_parse_iso(s, n, &v) == 0) {
        r->ts_ns = v;
        r->has_ts = 1;
    } else if (jtok_int(d, jtok_get(d, 0, "ts_pub"), &v) == 0 && v >= 0) {
        r->ts_ns = v;
    }
    if (!market) return 0;
    char ticker[RECORD_TICKER_MAX];
    int mk = jtok_get(d, 0, "markets");
    if (jtok_type(d, mk) == JSMN_ARRAY) {
        int k = mk + 1;
        for (int e = 0; e < d->t[mk].size && k < d->n; e++, k = jtok_skip(d, k)) {
            if (jtok_type(d, k) != JSMN_OBJECT) continue;
            if (jtok_str(d, jtok_get(d, k, "ticker"), ticker, sizeof ticker) < 0 || !*ticker)
                continue;
            int settled = s_has_result(d, jtok_get(d, k, "result")) ||
                          s_settled_status(d, jtok_get(d, k, "status"));
            market(ticker, settled, arg);
        }
    }
    i = jtok_get(d, 0, "ticker");
    if (jtok_str(d, i, ticker, sizeof ticker) == 0 && *ticker) {
        int kind = jtok_get(d, 0, "kind");
        int settled = !strcmp(r->type, "settlement") || jtok_eq(d, kind, "settlement") ||
                      s_has_result(d, jtok_get(d, 0, "result")) ||
                      s_settled_status(d, jtok_get(d, 0, "status"));
        market(ticker, settled, arg);
    }
    return 0;
}

int64_t record_day(int64_t ns)
{
    int64_t s = ns >= 0 ? ns / NS_PER_S : -((-ns + NS_PER_S - 1) / NS_PER_S);
    return s >= 0 ? s / 86400 : -((-s + 86399) / 86400);
}

char *record_day_fmt(int64_t day, char *buf, size_t n)
{
    char iso[32];
    clock_fmt_iso(day * 86400 * NS_PER_S, iso, sizeof iso);
    snprintf(buf, n, "%.10s", iso);
    return buf;
}

int record_day_parse(const char *s, size_t len, int64_t *day)
{
    char iso[32];
    int64_t ns;
    if (len != 10) return -1;
    snprintf(iso, sizeof iso, "%.10sT00:00:00Z", s);
    if (clock_parse_iso(iso, 20, &ns) < 0) return -1;
    *day = record_day(ns);
    char back[16];
    if (memcmp(record_day_fmt(*day, back, sizeof back), s, 10)) return -1; /* 2026-02-31 */
    return 0;
}

static void s_count(const char *ticker, int settled, void *arg)
{
    int *c = arg;
    c[0]++;
    c[1] += settled;
    (void)ticker;
}

int record_test(void)
{
    int rc = 0;
    jtok_t d;
    jtok_init(&d);
    record_t r;
    const char *tick = "{\"type\":\"tick\",\"ts\":\"2026-11-28T12:03:17Z\",\"src\":\"aggregator\","
                       "\"markets\":[{\"ticker\":\"A\",\"result\":\"\",\"status\":\"active\"},"
                       "{\"ticker\":\"B\",\"result\":\"yes\",\"yes_book\":[[1,2]]}]}";
    int c[2] = {0, 0};
    if (record_parse(&d, tick, strlen(tick), &r, s_count, c) || strcmp(r.type, "tick") ||
        !r.has_ts || c[0] != 2 || c[1] != 1) {
        fprintf(stderr, "record_test: tick parse type=%s markets=%d settled=%d\n", r.type, c[0],
                c[1]);
        rc = -1;
    }
    char buf[16];
    if (record_day(r.ts_ns) != 20785 || strcmp(record_day_fmt(20785, buf, sizeof buf), "2026-11-28"))
        rc = -1;
    int64_t day;
    if (record_day_parse("2026-11-28", 10, &day) || day != 20785) rc = -1;
    if (record_day_parse("2026-02-31", 10, &day) == 0 || record_day_parse("20x6-02-01", 10, &day) == 0)
        rc = -1;
    if (record_day(-1) != -1 || record_day(0) != 0) rc = -1;
    const char *ev = "{\"src\":\"aggregator\",\"epoch\":\"1\",\"seq\":3,\"ts_rx\":1,\"ts_ex\":null,"
                     "\"ts_pub\":1764331397000000000,\"kind\":\"settlement\",\"ticker\":\"C\"}";
    c[0] = c[1] = 0;
    if (record_parse(&d, ev, strlen(ev), &r, s_count, c) || r.has_ts ||
        r.ts_ns != 1764331397000000000LL || c[1] != 1)
        rc = -1;
    if (record_parse(&d, "{\"ts\":", 6, &r, NULL, NULL) == 0 || r.ts_ns != -1) rc = -1;
    jtok_free(&d);
    return rc;
}
