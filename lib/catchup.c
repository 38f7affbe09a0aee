/* catchup: the catch-up protocol's frames (see catchup.h). */
#include "catchup.h"
#include "bus.h"
#include "clock.h"
#include "jtok.h"

#include <stdio.h>
#include <string.h>

static int s_u64(const jtok_t *d, const char *key, uint64_t *v)
{
    int i = jtok_get(d, 0, key);
    int64_t x;
    if (i <= 0) return 0;
    if (jtok_int(d, i, &x) < 0 || x < 0) return -1;
    *v = (uint64_t)x;
    return 0;
}

static int s_i64(const jtok_t *d, const char *key, int64_t *v)
{
    int i = jtok_get(d, 0, key);
    if (i <= 0) return 0;
    return jtok_int(d, i, v);
}

static int s_bool(const jtok_t *d, const char *key, int *v)
{
    int i = jtok_get(d, 0, key);
    if (i <= 0) return 0;
    if (jtok_eq(d, i, "true")) *v = 1;
    else if (jtok_eq(d, i, "false")) *v = 0;
    else return -1;
    return 0;
}

static int s_epoch(const jtok_t *d, char *out, size_t n)
{
    int i = jtok_get(d, 0, "epoch");
    if (i <= 0) return 0;
    return jtok_str(d, i, out, n) < 0 ? -1 : 0;
}

static int s_open(jtok_t *d, const char *json, size_t len)
{
    jtok_init(d);
    return jtok_parse(d, json, len) < 1 || jtok_type(d, 0) != JSMN_OBJECT ? -1 : 0;
}

int catchup_req_parse(const char *json, size_t len, catchup_req_t *r)
{
    jtok_t d;
    memset(r, 0, sizeof *r);
    r->after_s = -1;
    int64_t max = 0;
    int rc = s_open(&d, json, len) || s_epoch(&d, r->epoch, sizeof r->epoch) ||
                     s_u64(&d, "seq", &r->seq) || s_i64(&d, "after_s", &r->after_s) ||
                     s_i64(&d, "max", &max) || max < 0 || max > 1000000
                 ? -1
                 : 0;
    r->max = (int)max;
    jtok_free(&d);
    return rc;
}

size_t catchup_req_fmt(const catchup_req_t *r, char *buf, size_t n)
{
    int k = snprintf(buf, n, "{\"epoch\":\"%s\",\"seq\":%llu,\"after_s\":%lld,\"max\":%d}",
                     r->epoch, (unsigned long long)r->seq, (long long)r->after_s, r->max);
    return k < 0 ? 0 : (size_t)k < n ? (size_t)k : n - 1;
}

int catchup_end_parse(const char *json, size_t len, catchup_end_t *e)
{
    jtok_t d;
    memset(e, 0, sizeof *e);
    e->first_s = -1;
    int64_t n = 0;
    int rc = s_open(&d, json, len) || s_epoch(&d, e->epoch, sizeof e->epoch) ||
                     s_i64(&d, "n", &n) || s_bool(&d, "more", &e->more) ||
                     s_bool(&d, "complete", &e->complete) || s_u64(&d, "last_seq", &e->last_seq) ||
                     s_i64(&d, "first_s", &e->first_s) || !e->epoch[0] || n < 0 || n > 1000000
                 ? -1
                 : 0;
    e->n = (int)n;
    jtok_free(&d);
    return rc;
}

size_t catchup_end_fmt(const catchup_end_t *e, char *buf, size_t n)
{
    int k = snprintf(buf, n,
                     "{\"epoch\":\"%s\",\"n\":%d,\"more\":%s,\"complete\":%s,\"last_seq\":%llu,"
                     "\"first_s\":%lld}",
                     e->epoch, e->n, e->more ? "true" : "false", e->complete ? "true" : "false",
                     (unsigned long long)e->last_seq, (long long)e->first_s);
    return k < 0 ? 0 : (size_t)k < n ? (size_t)k : n - 1;
}

int64_t catchup_tick_s(const char *body, size_t len)
{
    static const char head[] = ",\"type\":\"tick\",\"ts\":\"";
    size_t off = bus_envelope_len(body, len), h = sizeof head - 1;
    if (!off || len - off < h + 20 || memcmp(body + off, head, h)) return -1;
    const char *s = body + off + h, *q = memchr(s, '"', len - off - h);
    int64_t ns;
    if (!q || clock_parse_iso(s, (size_t)(q - s), &ns) < 0) return -1;
    return ns >= 0 ? ns / NS_PER_S : -((-ns + NS_PER_S - 1) / NS_PER_S);
}

int catchup_recv(void *z, zmq_msg_t f[CATCHUP_FRAMES], int *extra)
{
    int nf = 0, more = 1;
    *extra = 0;
    while (more) {
        zmq_msg_t x;
        zmq_msg_init(&x);
        if (zmq_msg_recv(&x, z, ZMQ_DONTWAIT) < 0) { /* nothing (more) waiting */
            zmq_msg_close(&x);
            for (int i = 0; i < nf; i++) zmq_msg_close(&f[i]);
            return -1;
        }
        more = zmq_msg_more(&x);
        if (nf < CATCHUP_FRAMES) f[nf++] = x;
        else {
            zmq_msg_close(&x);
            *extra = 1;
        }
    }
    return nf;
}

int catchup_test(void)
{
    int rc = 0;
    catchup_req_t a = {"abc", 42, 1795824000, 7}, b;
    char buf[256];
    size_t n = catchup_req_fmt(&a, buf, sizeof buf);
    if (catchup_req_parse(buf, n, &b) < 0 || strcmp(b.epoch, "abc") || b.seq != 42 ||
        b.after_s != 1795824000 || b.max != 7)
        rc = -1;
    if (catchup_req_parse("{\"seq\":-1}", 10, &b) == 0 || catchup_req_parse("[1]", 3, &b) == 0 ||
        catchup_req_parse("{\"max\":\"x\"}", 11, &b) == 0 || catchup_req_parse("{}", 2, &b) < 0 ||
        b.after_s != -1)
        rc = -1;
    catchup_end_t e = {"e1", 3, 1, 0, 99, 1795824000}, f;
    n = catchup_end_fmt(&e, buf, sizeof buf);
    if (catchup_end_parse(buf, n, &f) < 0 || strcmp(f.epoch, "e1") || f.n != 3 || !f.more ||
        f.complete || f.last_seq != 99 || f.first_s != 1795824000)
        rc = -1;
    if (catchup_end_parse("{\"n\":1}", 7, &f) == 0) rc = -1; /* no epoch */
    const char *tick = "{\"src\":\"a\",\"epoch\":\"e\",\"seq\":1,\"ts_rx\":5,\"ts_ex\":null,"
                       "\"ts_pub\":6,\"type\":\"tick\",\"ts\":\"2026-11-28T00:00:01Z\",\"x\":1}";
    const char *ev = "{\"src\":\"a\",\"epoch\":\"e\",\"seq\":1,\"ts_rx\":5,\"ts_ex\":null,"
                     "\"ts_pub\":6,\"type\":\"gap\",\"ts\":\"2026-11-28T00:00:01Z\"}";
    if (catchup_tick_s(tick, strlen(tick)) != 1795824001 || catchup_tick_s(ev, strlen(ev)) != -1 ||
        catchup_tick_s(tick, 40) != -1)
        rc = -1;
    if (rc) fprintf(stderr, "catchup_test: failed\n");
    return rc;
}
