/* kalshi_market: the market table of feed-kalshi (see kalshi_market.h). All
 * schedules come from each market's open_time/close_time as REST reports
 * them; a clock boundary is used only to notice that no market is open. */
#include "kalshi_market.h"
#include "clock.h"
#include "log.h"
#include "util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define QUARTER_NS (900LL * NS_PER_S)
#define MAX_UPCOMING 2
#define REPUBLISH_NS NS_PER_S /* every tracked market's full state at least this often */

typedef struct {
    kmkt_info_t i;
    int followed, active;
    int open_announced, strike_announced, settle_announced;
    int64_t next_refresh;
    int64_t last_pub; /* realtime ns of the last kalshi.market publish (state, not deltas) */
} s_ent_t;

struct kmkt_table {
    kmkt_cb_t cb;
    char series[32];
    int64_t presub_ns, grace_ns, phase_ns;
    s_ent_t *e;
    int n, cap;
    int64_t start, next_discover, last_close, alarm_boundary;
    int alarm;
    kmkt_stats_t st;
};

/* ---- parsing ---- */

static void s_cpy(char *dst, size_t n, json_t *v)
{
    const char *s = json_string_value(v);
    snprintf(dst, n, "%s", s ? s : "");
}

/* A JSON number as the shortest decimal text that reads back the same. */
static void s_num(char *dst, size_t n, json_t *v)
{
    dst[0] = 0;
    if (json_is_string(v)) {
        s_cpy(dst, n, v);
        return;
    }
    if (json_is_integer(v)) {
        snprintf(dst, n, "%lld", (long long)json_integer_value(v));
        return;
    }
    if (!json_is_real(v)) return;
    double d = json_real_value(v);
    for (int p = 0; p <= 10; p++) {
        snprintf(dst, n, "%.*f", p, d);
        if (strtod(dst, NULL) == d) return;
    }
}

static int64_t s_time(char *dst, size_t n, json_t *v)
{
    int64_t ns;
    s_cpy(dst, n, v);
    if (!dst[0] || clock_parse_iso(dst, strlen(dst), &ns) < 0) return -1;
    return ns;
}

int kmkt_parse(json_t *o, kmkt_info_t *m)
{
    memset(m, 0, sizeof *m);
    if (!json_is_object(o)) return -1;
    s_cpy(m->ticker, sizeof m->ticker, json_object_get(o, "ticker"));
    s_cpy(m->event_ticker, sizeof m->event_ticker, json_object_get(o, "event_ticker"));
    s_cpy(m->status, sizeof m->status, json_object_get(o, "status"));
    s_cpy(m->result, sizeof m->result, json_object_get(o, "result"));
    s_cpy(m->strike_type, sizeof m->strike_type, json_object_get(o, "strike_type"));
    m->open_ns = s_time(m->open_time, sizeof m->open_time, json_object_get(o, "open_time"));
    m->close_ns = s_time(m->close_time, sizeof m->close_time, json_object_get(o, "close_time"));
    m->exp_ns = s_time(m->exp_time, sizeof m->exp_time,
                       json_object_get(o, "expected_expiration_time"));
    m->settlement_ns = s_time(m->settlement_time, sizeof m->settlement_time,
                              json_object_get(o, "settlement_ts"));
    s_num(m->floor_strike, sizeof m->floor_strike, json_object_get(o, "floor_strike"));
    s_num(m->expiration_value, sizeof m->expiration_value,
          json_object_get(o, "expiration_value"));
    s_cpy(m->yes_bid, sizeof m->yes_bid, json_object_get(o, "yes_bid_dollars"));
    s_cpy(m->yes_ask, sizeof m->yes_ask, json_object_get(o, "yes_ask_dollars"));
    s_cpy(m->no_bid, sizeof m->no_bid, json_object_get(o, "no_bid_dollars"));
    s_cpy(m->no_ask, sizeof m->no_ask, json_object_get(o, "no_ask_dollars"));
    s_cpy(m->last_price, sizeof m->last_price, json_object_get(o, "last_price_dollars"));
    s_cpy(m->yes_bid_size, sizeof m->yes_bid_size, json_object_get(o, "yes_bid_size_fp"));
    s_cpy(m->yes_ask_size, sizeof m->yes_ask_size, json_object_get(o, "yes_ask_size_fp"));
    s_cpy(m->volume, sizeof m->volume, json_object_get(o, "volume_fp"));
    s_cpy(m->open_interest, sizeof m->open_interest, json_object_get(o, "open_interest_fp"));
    if (!m->ticker[0] || m->open_ns < 0 || m->close_ns < 0 || m->close_ns <= m->open_ns)
        return -1;
    return 0;
}

/* ---- table ---- */

kmkt_table_t *kmkt_new(const kmkt_cb_t *cb, const char *series, double presub_s, double grace_s)
{
    kmkt_table_t *t = xcalloc(1, sizeof *t);
    t->cb = *cb;
    snprintf(t->series, sizeof t->series, "%s", series);
    t->presub_ns = (int64_t)(presub_s * 1e9);
    t->grace_ns = (int64_t)(grace_s * 1e9);
    return t;
}

void kmkt_destroy(kmkt_table_t **tp)
{
    if (!tp || !*tp) return;
    free((*tp)->e);
    free(*tp);
    *tp = NULL;
}

void kmkt_set_phase(kmkt_table_t *t, double phase_s) { t->phase_ns = (int64_t)(phase_s * 1e9); }
const char *kmkt_series(const kmkt_table_t *t) { return t->series; }
const kmkt_stats_t *kmkt_stats(const kmkt_table_t *t) { return &t->st; }
int kmkt_alarm(const kmkt_table_t *t) { return t->alarm; }

static s_ent_t *s_find(const kmkt_table_t *t, const char *ticker)
{
    for (int i = 0; i < t->n; i++)
        if (!strcmp(t->e[i].i.ticker, ticker)) return &t->e[i];
    return NULL;
}

/* The tracked market TICKER, or NULL (the self-test's view of the table). */
static const kmkt_info_t *s_get(const kmkt_table_t *t, const char *ticker)
{
    s_ent_t *e = s_find(t, ticker);
    return e ? &e->i : NULL;
}

static int s_final(const kmkt_info_t *m)
{
    return !strcmp(m->status, "closed") || !strcmp(m->status, "determined") ||
           !strcmp(m->status, "finalized") || !strcmp(m->status, "settled") ||
           !strcmp(m->status, "disputed") || !strcmp(m->status, "amended");
}

static int s_is_open(const kmkt_info_t *m, int64_t now)
{
    return m->open_ns <= now && now < m->close_ns && !s_final(m);
}

const kmkt_info_t *kmkt_current(const kmkt_table_t *t, int64_t now)
{
    for (int i = 0; i < t->n; i++)
        if (s_is_open(&t->e[i].i, now)) return &t->e[i].i;
    return NULL;
}

const kmkt_info_t *kmkt_followed(const kmkt_table_t *t, int i, int *active)
{
    for (int k = 0, c = 0; k < t->n; k++)
        if (t->e[k].followed && c++ == i) {
            if (active) *active = t->e[k].active;
            return &t->e[k].i;
        }
    return NULL;
}

static int s_changed(const kmkt_info_t *a, const kmkt_info_t *b)
{
    return strcmp(a->status, b->status) || a->open_ns != b->open_ns ||
           a->close_ns != b->close_ns || a->exp_ns != b->exp_ns ||
           strcmp(a->floor_strike, b->floor_strike) || strcmp(a->result, b->result) ||
           strcmp(a->expiration_value, b->expiration_value) ||
           a->settlement_ns != b->settlement_ns;
}

static void s_announce(kmkt_table_t *t, s_ent_t *e)
{
    if (!e->strike_announced && e->i.floor_strike[0]) {
        e->strike_announced = 1;
        t->st.strikes++;
        t->cb.event(t->cb.arg, "strike_set", &e->i, "floor_strike");
    }
    if (!e->settle_announced && e->i.result[0] && e->i.expiration_value[0]) {
        e->settle_announced = 1;
        t->st.settlements++;
        t->cb.event(t->cb.arg, "settlement", &e->i, e->i.status);
    }
}

void kmkt_update(kmkt_table_t *t, const kmkt_info_t *m, int64_t now)
{
    size_t sl = strlen(t->series);
    if (strncmp(m->ticker, t->series, sl) || m->ticker[sl] != '-') {
        t->st.ignored++;
        return;
    }
    s_ent_t *e = s_find(t, m->ticker);
    if (!e) {
        if (m->close_ns + 3600 * NS_PER_S < now) { t->st.ignored++; return; }
        if (m->open_ns > now) {
            /* keep only the nearest upcoming windows (REST lists a day of them) */
            int earlier = 0;
            for (int i = 0; i < t->n; i++)
                if (t->e[i].i.open_ns > now && t->e[i].i.open_ns < m->open_ns) earlier++;
            if (earlier >= MAX_UPCOMING) { t->st.ignored++; return; }
        }
        if (t->n == t->cap) {
            t->cap = t->cap ? t->cap * 2 : 8;
            t->e = xrealloc(t->e, (size_t)t->cap * sizeof *t->e);
        }
        e = &t->e[t->n++];
        memset(e, 0, sizeof *e);
        e->i = *m;
        t->st.discovered++;
        log_info("kalshi: market ticker=%s status=%s open=%s close=%s strike=%s", m->ticker,
                 m->status, m->open_time, m->close_time, m->floor_strike[0] ? m->floor_strike : "-");
        e->last_pub = now;
        t->cb.publish(t->cb.arg, &e->i);
    } else if (s_changed(&e->i, m)) {
        if (strcmp(e->i.status, m->status))
            log_info("kalshi: market ticker=%s status %s -> %s", m->ticker, e->i.status, m->status);
        e->i = *m;
        e->last_pub = now;
        t->cb.publish(t->cb.arg, &e->i);
    } else {
        e->i = *m; /* quote fields */
    }
    s_announce(t, e);
}

void kmkt_hint(kmkt_table_t *t, const char *ticker, const char *event_type, int64_t now)
{
    s_ent_t *e = s_find(t, ticker);
    if (e) {
        e->next_refresh = now;
        return;
    }
    /* created / activated for a market we do not know: discover soon */
    if (!strcmp(event_type, "activated") || !strcmp(event_type, "created")) t->next_discover = now;
}

/* Boundaries: the UTC quarter hours, and every known open/close time. */
static void s_boundaries(const kmkt_table_t *t, int64_t now, int64_t *prev, int64_t *next)
{
    *prev = now - now % QUARTER_NS;
    *next = *prev + QUARTER_NS;
    if (t->last_close > *prev && t->last_close <= now) *prev = t->last_close;
    for (int i = 0; i < t->n; i++) {
        int64_t b[2] = {t->e[i].i.open_ns, t->e[i].i.close_ns};
        for (int k = 0; k < 2; k++) {
            if (b[k] <= now && b[k] > *prev) *prev = b[k];
            if (b[k] > now && b[k] < *next) *next = b[k];
        }
    }
}

/* The discovery poll interval (s) that applies at NOW. */
static double s_poll_interval(const kmkt_table_t *t, int64_t now)
{
    int64_t prev, next;
    s_boundaries(t, now, &prev, &next);
    if (!kmkt_current(t, now)) return 3;
    if (now - prev <= 60 * NS_PER_S || next - now <= 60 * NS_PER_S) return 3;
    return 30;
}

void kmkt_tick(kmkt_table_t *t, int64_t now)
{
    if (!t->start) {
        t->start = now;
        t->next_discover = now;
    }
    if (now >= t->next_discover + t->phase_ns) {
        t->cb.discover(t->cb.arg);
        /* the schedule stays on its own time; the phase only delays each poll */
        t->next_discover = now - t->phase_ns + (int64_t)(s_poll_interval(t, now) * 1e9);
    }
    int followed = 0, open = 0;
    for (int i = 0; i < t->n; i++) {
        s_ent_t *e = &t->e[i];
        kmkt_info_t *m = &e->i;
        if (m->close_ns <= now && m->close_ns > t->last_close) t->last_close = m->close_ns;
        int want = m->open_ns - t->presub_ns <= now && now < m->close_ns + t->grace_ns;
        int active = s_is_open(m, now);
        if (want && (!e->followed || e->active != active)) {
            e->followed = 1;
            e->active = active;
            t->cb.follow(t->cb.arg, m->ticker, active);
        } else if (!want && e->followed) {
            e->followed = e->active = 0;
            t->cb.unfollow(t->cb.arg, m->ticker);
        }
        if (active && !e->open_announced) {
            e->open_announced = 1;
            if (t->st.discovered > 1 || now - m->open_ns < 5 * NS_PER_S) t->st.rollovers++;
            t->cb.event(t->cb.arg, "market_open", m,
                        now - m->open_ns < 5 * NS_PER_S ? "opened" : "found_open");
            if (!m->floor_strike[0]) e->next_refresh = now;
            t->next_discover = now; /* learn the window after it */
        }
        /* re-read until the strike is set, and after the close until settled */
        int need = (m->open_ns <= now && !m->floor_strike[0] && now < m->close_ns) ||
                   (now >= m->close_ns + 2 * NS_PER_S && !e->settle_announced);
        if (need && now >= e->next_refresh) {
            t->cb.refresh(t->cb.arg, m->ticker);
            int64_t step = now < m->close_ns ? 1500 * NS_PER_MS
                           : now < m->close_ns + 120 * NS_PER_S ? 3 * NS_PER_S : 15 * NS_PER_S;
            e->next_refresh = now + step;
        }
        /* whole state, not changes (docs/CONTRACT.md, 'The bus'): a subscriber that joins late
         * learns every tracked market's times and strike within a second */
        if (now - e->last_pub >= REPUBLISH_NS || now < e->last_pub) {
            e->last_pub = now;
            t->cb.publish(t->cb.arg, m);
        }
        followed += e->followed;
        open += active;
    }
    /* forget what is settled and past the grace, or an hour old */
    for (int i = 0; i < t->n;) {
        s_ent_t *e = &t->e[i];
        if ((e->settle_announced && now >= e->i.close_ns + t->grace_ns) ||
            now > e->i.close_ns + 3600 * NS_PER_S) {
            if (e->followed) t->cb.unfollow(t->cb.arg, e->i.ticker);
            t->e[i] = t->e[--t->n];
            continue;
        }
        i++;
    }
    t->st.followed = followed;
    t->st.open = open;
    int64_t prev, next;
    s_boundaries(t, now, &prev, &next);
    int64_t since = prev > t->start ? prev : t->start;
    if (open) {
        t->alarm = 0;
    } else if (now - since > 60 * NS_PER_S && t->alarm_boundary != prev) {
        t->alarm_boundary = prev;
        t->alarm = 1;
        t->st.alarms++;
        kmkt_info_t none;
        memset(&none, 0, sizeof none);
        snprintf(none.ticker, sizeof none.ticker, "%s", t->series);
        log_warnx("kalshi: no open %s market 60 s after a window boundary (maintenance or halt?)",
                  t->series);
        t->cb.event(t->cb.arg, "gap", &none, "no_open_market");
    }
}

/* ---- self-test ---- */

typedef struct {
    char log[4096];
} s_tcap_t;

static void s_tlog(s_tcap_t *c, const char *what, const char *ticker)
{
    size_t l = strlen(c->log);
    snprintf(c->log + l, sizeof c->log - l, "%s:%s;", what, ticker);
}
static void s_t_pub(void *a, const kmkt_info_t *m) { s_tlog(a, "pub", m->ticker); }
static void s_t_event(void *a, const char *kind, const kmkt_info_t *m, const char *reason)
{
    (void)reason;
    s_tlog(a, kind, m->ticker);
}
static void s_t_follow(void *a, const char *t, int act) { s_tlog(a, act ? "follow1" : "follow0", t); }
static void s_t_unfollow(void *a, const char *t) { s_tlog(a, "unfollow", t); }
static void s_t_refresh(void *a, const char *t) { s_tlog(a, "refresh", t); }
static void s_t_discover(void *a) { s_tlog(a, "discover", ""); }

static json_t *s_load(const char *name)
{
    const char *fx = getenv("TICKBUS_FIXTURES");
    char p[512];
    snprintf(p, sizeof p, "%s/kalshi/%s", fx ? fx : "tests/fixtures", name);
    return json_load_file(p, 0, NULL);
}

static int64_t s_at(const char *iso)
{
    int64_t ns = -1;
    clock_parse_iso(iso, strlen(iso), &ns);
    return ns;
}

#define T_CHECK(c)                                                                      \
    do { if (!(c)) { fprintf(stderr, "kalshi_market_test: %s:%d: %s\n  log: %s\n", __FILE__, \
                             __LINE__, #c, cap.log); goto done; } } while (0)
#define T_HAS(s) (strstr(cap.log, s) != NULL)

int kalshi_market_test(void)
{
    int ok = -1;
    s_tcap_t cap = {""};
    kmkt_cb_t cb = {s_t_pub, s_t_event, s_t_follow, s_t_unfollow, s_t_refresh, s_t_discover, &cap};
    kmkt_table_t *t = kmkt_new(&cb, "KXBTC15M", 60, 20);
    json_t *jo = s_load("rest_get_markets_open.json"), *ju = s_load("rest_get_markets_unopened.json");
    json_t *js = s_load("rest_get_market_settled.json"), *jm = s_load("rest_get_market.json");
    kmkt_info_t mo, mu, ms, mm;
    const char *T1 = "KXBTC15M-26NOV280715-15", *T2 = "KXBTC15M-26NOV280730-30";
    T_CHECK(jo && ju && js && jm);
    T_CHECK(kmkt_parse(json_array_get(json_object_get(jo, "markets"), 0), &mo) == 0);
    T_CHECK(kmkt_parse(json_array_get(json_object_get(ju, "markets"), 0), &mu) == 0);
    T_CHECK(kmkt_parse(json_object_get(js, "market"), &ms) == 0);
    T_CHECK(kmkt_parse(json_object_get(jm, "market"), &mm) == 0);
    T_CHECK(!strcmp(mo.ticker, T1) && !strcmp(mo.status, "active"));
    T_CHECK(!strcmp(mo.floor_strike, "97012.47") && mo.expiration_value[0] == 0);
    T_CHECK(mo.open_ns == s_at("2026-11-28T12:00:00Z") && mo.close_ns == s_at("2026-11-28T12:15:00Z"));
    T_CHECK(!strcmp(mu.ticker, T2) && !strcmp(mu.status, "initialized") && !mu.floor_strike[0]);
    T_CHECK(!strcmp(ms.result, "yes") && !strcmp(ms.expiration_value, "97105.83") &&
            ms.settlement_ns > ms.close_ns);
    T_CHECK(!strcmp(mo.yes_bid, "0.5400") && !strcmp(mo.volume, "48211.37"));

    int64_t now = s_at("2026-11-28T12:05:00Z");
    kmkt_tick(t, now);
    T_CHECK(T_HAS("discover:;"));
    kmkt_update(t, &mo, now);
    kmkt_update(t, &mu, now);
    T_CHECK(T_HAS("pub:KXBTC15M-26NOV280715-15;strike_set:KXBTC15M-26NOV280715-15;"));
    T_CHECK(T_HAS("pub:KXBTC15M-26NOV280730-30;") && !T_HAS("strike_set:KXBTC15M-26NOV280730-30"));
    cap.log[0] = 0;
    kmkt_tick(t, now + NS_PER_S);
    T_CHECK(T_HAS("follow1:KXBTC15M-26NOV280715-15;market_open:KXBTC15M-26NOV280715-15;"));
    T_CHECK(!T_HAS("follow0:KXBTC15M-26NOV280730-30") && !T_HAS("follow1:KXBTC15M-26NOV280730-30"));
    /* state, not deltas: both tracked markets republished 1 s after their last publish, not
     * sooner */
    T_CHECK(T_HAS("pub:KXBTC15M-26NOV280715-15;") && T_HAS("pub:KXBTC15M-26NOV280730-30;"));
    cap.log[0] = 0;
    kmkt_tick(t, now + 1500 * NS_PER_MS);
    T_CHECK(!T_HAS("pub:"));
    kmkt_tick(t, now + 2 * NS_PER_S);
    T_CHECK(T_HAS("pub:KXBTC15M-26NOV280715-15;") && T_HAS("pub:KXBTC15M-26NOV280730-30;"));
    cap.log[0] = 0;
    kmkt_update(t, &mo, now + 2500 * NS_PER_MS); /* unchanged: no publish, and no republish */
    kmkt_tick(t, now + 2900 * NS_PER_MS);        /* before a second has passed */
    T_CHECK(!T_HAS("pub:"));
    T_CHECK(s_poll_interval(t, now) == 30);
    T_CHECK(s_poll_interval(t, s_at("2026-11-28T12:14:30Z")) == 3);
    /* the next window is pre-subscribed 60 s before its open */
    cap.log[0] = 0;
    kmkt_tick(t, s_at("2026-11-28T12:14:10Z"));
    T_CHECK(T_HAS("follow0:KXBTC15M-26NOV280730-30;"));
    /* rollover at the close time, from the markets' own times */
    cap.log[0] = 0;
    kmkt_tick(t, s_at("2026-11-28T12:15:00Z"));
    T_CHECK(T_HAS("follow1:KXBTC15M-26NOV280730-30;market_open:KXBTC15M-26NOV280730-30;"));
    T_CHECK(kmkt_current(t, s_at("2026-11-28T12:15:00Z")) &&
            !strcmp(kmkt_current(t, s_at("2026-11-28T12:15:00Z"))->ticker, T2));
    T_CHECK(T_HAS("follow0:KXBTC15M-26NOV280715-15;")); /* still followed in its grace */
    /* the strike of the new window is re-read at once, then every 1.5 s */
    T_CHECK(T_HAS("refresh:KXBTC15M-26NOV280730-30;"));
    cap.log[0] = 0;
    kmkt_tick(t, s_at("2026-11-28T12:15:01Z"));
    T_CHECK(!T_HAS("refresh:KXBTC15M-26NOV280730-30;"));
    kmkt_tick(t, s_at("2026-11-28T12:15:02Z"));
    T_CHECK(T_HAS("refresh:KXBTC15M-26NOV280730-30;"));
    /* settlement: re-read after the close until result and expiration_value are final */
    T_CHECK(T_HAS("refresh:KXBTC15M-26NOV280715-15;")); /* close + 2 s */
    cap.log[0] = 0;
    kmkt_tick(t, s_at("2026-11-28T12:15:03Z"));
    T_CHECK(!T_HAS("refresh:KXBTC15M-26NOV280715-15;")); /* then every 3 s */
    kmkt_update(t, &ms, s_at("2026-11-28T12:15:07Z"));
    T_CHECK(T_HAS("pub:KXBTC15M-26NOV280715-15;settlement:KXBTC15M-26NOV280715-15;"));
    cap.log[0] = 0;
    kmkt_tick(t, s_at("2026-11-28T12:15:21Z"));
    T_CHECK(T_HAS("unfollow:KXBTC15M-26NOV280715-15;") && !s_get(t, T1));
    /* strike arrives for the new window */
    strcpy(mu.floor_strike, "97105.83");
    strcpy(mu.status, "active");
    cap.log[0] = 0;
    kmkt_update(t, &mu, s_at("2026-11-28T12:15:04Z"));
    T_CHECK(T_HAS("pub:KXBTC15M-26NOV280730-30;strike_set:KXBTC15M-26NOV280730-30;"));
    /* nothing opens after 12:30: one alarm, 60 s after the boundary */
    cap.log[0] = 0;
    kmkt_tick(t, s_at("2026-11-28T12:30:30Z"));
    T_CHECK(!T_HAS("gap:"));
    kmkt_tick(t, s_at("2026-11-28T12:31:01Z"));
    kmkt_tick(t, s_at("2026-11-28T12:31:02Z"));
    T_CHECK(T_HAS("gap:KXBTC15M;") && kmkt_alarm(t) && kmkt_stats(t)->alarms == 1);
    /* other series are ignored */
    strcpy(mm.ticker, "KXETH15M-26NOV280715-15");
    kmkt_update(t, &mm, now);
    T_CHECK(kmkt_stats(t)->ignored == 1);
    /* a phase delays each discovery poll by itself and never accumulates (no market: every
     * 3 s, so 0.75, 3.75, 6.75 s after the first tick) */
    kmkt_destroy(&t);
    t = kmkt_new(&cb, "KXETH15M", 60, 20);
    kmkt_set_phase(t, 0.75);
    cap.log[0] = 0;
    kmkt_tick(t, now);
    kmkt_tick(t, now + 700 * NS_PER_MS);
    T_CHECK(!T_HAS("discover:"));
    kmkt_tick(t, now + 750 * NS_PER_MS);
    T_CHECK(T_HAS("discover:"));
    cap.log[0] = 0;
    kmkt_tick(t, now + 3700 * NS_PER_MS);
    T_CHECK(!T_HAS("discover:"));
    kmkt_tick(t, now + 3750 * NS_PER_MS);
    T_CHECK(T_HAS("discover:"));
    cap.log[0] = 0;
    kmkt_tick(t, now + 6700 * NS_PER_MS);
    T_CHECK(!T_HAS("discover:"));
    kmkt_tick(t, now + 6750 * NS_PER_MS);
    T_CHECK(T_HAS("discover:") && !strcmp(kmkt_series(t), "KXETH15M"));
    ok = 0;
done:
    json_decref(jo); json_decref(ju); json_decref(js); json_decref(jm);
    kmkt_destroy(&t);
    return ok;
}
