/* bus: ZeroMQ PUB/SUB with the tickbus envelope (see bus.h). Used by every
 * program: feeds and the aggregator publish, the aggregator, sinks, tap and
 * the watchdog subscribe. */
#include "bus.h"
#include "prog.h"
#include "clock.h"
#include "curve.h"
#include "log.h"
#include "opts.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#ifndef SCHED_BATCH
#define SCHED_BATCH 3 /* <sched.h> defines it only with _GNU_SOURCE */
#endif

static void *s_ctx;

void *bus_ctx(void)
{
    if (!s_ctx) {
        s_ctx = zmq_ctx_new();
        if (!s_ctx) fatal(EX_SOFTWARE, "zmq_ctx_new");
        /* The I/O thread runs SCHED_BATCH: woken by a zmq_send, it does not
         * preempt the publishing thread (which would cost a context switch per
         * message when both share a core) but drains what was queued when that
         * thread next waits in poll, or when bus_yield finds 64 messages queued
         * (wsconn_run calls it once a loop turn, so a feed at saturation does not
         * hold its messages back). */
        if (!getenv("TICKBUS_ZMQ_NOBATCH"))
            zmq_ctx_set(s_ctx, ZMQ_THREAD_SCHED_POLICY, SCHED_BATCH);
    }
    return s_ctx;
}

void bus_ctx_term(void)
{
    curve_stop();
    if (s_ctx) zmq_ctx_term(s_ctx);
    s_ctx = NULL;
}

/* ZMTP heartbeats and quick reconnects on every bus socket: without them a
 * subscriber stays attached to a hung publisher forever
 * (docs/CONTRACT.md, 'The bus'). */
void bus_sockopts(void *z)
{
    int ivl = 1000, timeout = 3000, ttl = 3000, rec = 100, recmax = 1000, linger = 200;
    zmq_setsockopt(z, ZMQ_HEARTBEAT_IVL, &ivl, sizeof ivl);
    zmq_setsockopt(z, ZMQ_HEARTBEAT_TIMEOUT, &timeout, sizeof timeout);
    zmq_setsockopt(z, ZMQ_HEARTBEAT_TTL, &ttl, sizeof ttl);
    zmq_setsockopt(z, ZMQ_RECONNECT_IVL, &rec, sizeof rec);
    zmq_setsockopt(z, ZMQ_RECONNECT_IVL_MAX, &recmax, sizeof recmax);
    zmq_setsockopt(z, ZMQ_LINGER, &linger, sizeof linger);
}

int bus_bind(void *z, const char *endpoint, const char *what)
{
    if (curve_bind_prep(z, endpoint) < 0) return -1;
    if (zmq_bind(z, endpoint) < 0) {
        log_warnx("%s: cannot bind %s: %s", what, endpoint, zmq_strerror(zmq_errno()));
        return -1;
    }
    return 0;
}

int bus_connect(void *z, const char *endpoint, const char *what)
{
    char addr[BUS_EP_MAX];
    if (curve_connect_prep(z, endpoint, addr, sizeof addr) < 0) return -1;
    if (zmq_connect(z, addr) < 0) {
        log_warnx("%s: cannot connect to %s: %s", what, addr, zmq_strerror(zmq_errno()));
        return -1;
    }
    return 0;
}

int bus_tcp_next(const char *ep, int delta, char *out, size_t n)
{
    if (strncmp(ep, "tcp://", 6)) return -1;
    const char *hash = strchr(ep, '#');
    size_t alen = hash ? (size_t)(hash - ep) : strlen(ep);
    const char *colon = NULL;
    for (const char *p = ep; p < ep + alen; p++)
        if (*p == ':') colon = p;
    if (!colon || colon < ep + 6) return -1;
    char *e;
    long port = strtol(colon + 1, &e, 10);
    if (e != ep + alen || port <= 0 || port + delta > 65535) return -1;
    int k = snprintf(out, n, "%.*s:%ld%s", (int)(colon - ep), ep, port + delta, hash ? hash : "");
    return k < 0 || (size_t)k >= n ? -1 : 0;
}

int bus_dir(const char *opt, char *out, size_t n)
{
    const char *e;
    int k;
    if (opt && *opt) k = snprintf(out, n, "%s", opt);
    else if ((e = getenv("TICKBUS_BUS")) && *e) k = snprintf(out, n, "%s", e);
    else if ((e = getenv("RUNTIME_DIRECTORY")) && *e) {
        size_t len = strcspn(e, ":"); /* several directories are ':'-separated */
        k = snprintf(out, n, "%.*s", (int)len, e);
    } else if ((e = getenv("XDG_RUNTIME_DIR")) && *e) k = snprintf(out, n, "%s/tickbus", e);
    else k = snprintf(out, n, "/tmp/tickbus-%u", (unsigned)getuid());
    if (k < 0 || (size_t)k >= n) {
        log_warnx("bus directory path too long: %s", out);
        return -1;
    }
    if (mkdir(out, 0700) < 0 && errno != EEXIST) {
        log_warn("cannot create bus directory %s", out);
        return -1;
    }
    struct stat st;
    if (lstat(out, &st) < 0) {
        log_warn("cannot stat bus directory %s", out);
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        log_warnx("bus directory %s is not a directory", out);
        return -1;
    }
    /* an existing directory is used only if it is already ours alone: another
     * user's, or a shared one (/tmp's 1777, a 0755), is refused, never chmod'ed
     * (it is not ours to change); one we just made is 0700 (umask only clears) */
    char why[160];
    if (st.st_uid != getuid())
        snprintf(why, sizeof why, "the directory is owned by uid %u, not by us (uid %u)",
                 (unsigned)st.st_uid, (unsigned)getuid());
    else if (st.st_mode & 077)
        snprintf(why, sizeof why,
                 "the directory has mode %04o: a bus directory must be ours alone (mode 0700: "
                 "chmod 700 it if it is ours, or name a new path and it is created 0700)",
                 (unsigned)(st.st_mode & 07777));
    else
        return 0;
    opts_die("bus", out, why);
    return -1;
}

int bus_endpoint(const char *dir, const char *name, char *out, size_t n)
{
    int k = snprintf(out, n, "ipc://%s/%s.pub", dir, name);
    /* sun_path holds 107 bytes; "ipc://" is 6 more */
    if (k < 0 || (size_t)k >= n || k - 6 > 107) {
        log_warnx("endpoint for %s in %s is too long for an ipc socket", name, dir);
        return -1;
    }
    return 0;
}

int bus_hist_endpoint(const char *pub, char *out, size_t n)
{
    size_t k = strlen(pub);
    if (strncmp(pub, "ipc://", 6) || k < 10 || strcmp(pub + k - 4, ".pub") || k + 2 > n) return -1;
    snprintf(out, n, "%.*s.hist", (int)(k - 4), pub);
    return 0;
}

int bus_pub_endpoint(const char *busdir_opt, const char *pub_opt, const char *name, char *out,
                     size_t n)
{
    if (pub_opt && *pub_opt) {
        if ((size_t)snprintf(out, n, "%s", pub_opt) >= n) return -1;
        return 0;
    }
    char dir[400];
    if (bus_dir(busdir_opt, dir, sizeof dir) < 0) return -1;
    return bus_endpoint(dir, name, out, n);
}

#define BUS_PRE_MAX 128

int bus_default_subs(strlist_t *sub, const char *dir, const char *const *names)
{
    if (sub->n) return 0;
    for (; *names; names++) {
        char ep[BUS_EP_MAX];
        if (bus_endpoint(dir, *names, ep, sizeof ep) < 0) return -1;
        strlist_add(sub, ep);
    }
    return 0;
}

struct bus_pub {
    void *z;
    char name[64];
    char epoch[17];
    char endpoint[BUS_EP_MAX];
    uint64_t seq, drops;
    char pre[BUS_PRE_MAX]; /* {"src":"NAME","epoch":"EPOCH","seq": */
    size_t pre_len;
    bus_pub_observe_fn *observe;
    void *observe_arg;
};

bus_pub_t *bus_pub_new(const char *name, const char *endpoint, int hwm)
{
    bus_pub_t *p = xcalloc(1, sizeof *p);
    snprintf(p->name, sizeof p->name, "%s", name);
    snprintf(p->endpoint, sizeof p->endpoint, "%s", endpoint);
    uint64_t r = 0;
    if (getrandom(&r, sizeof r, 0) != (ssize_t)sizeof r) r = (uint64_t)clock_real_ns() ^ (uint64_t)getpid();
    snprintf(p->epoch, sizeof p->epoch, "%016llx", (unsigned long long)r);
    p->z = zmq_socket(bus_ctx(), ZMQ_PUB);
    if (!p->z) fatal(EX_SOFTWARE, "zmq_socket");
    bus_sockopts(p->z);
    if (hwm <= 0) hwm = BUS_DEFAULT_SNDHWM;
    zmq_setsockopt(p->z, ZMQ_SNDHWM, &hwm, sizeof hwm);
    int ok = bus_bind(p->z, endpoint, name) == 0;
    for (int i = 0; ok && i < opts_common.expose.n; i++)
        ok = bus_bind(p->z, opts_common.expose.v[i], "--expose") == 0;
    if (!ok) {
        zmq_close(p->z);
        free(p);
        return NULL;
    }
    p->pre_len = (size_t)snprintf(p->pre, sizeof p->pre, "{\"src\":\"%s\",\"epoch\":\"%s\",\"seq\":",
                                  p->name, p->epoch);
    log_debug("publishing on %s epoch=%s", endpoint, p->epoch);
    return p;
}

void bus_pub_destroy(bus_pub_t **pp)
{
    if (!pp || !*pp) return;
    bus_pub_t *p = *pp;
    zmq_close(p->z);
    free(p);
    *pp = NULL;
}

/* bus_yield gives the CPU away once this many messages were published since it
 * last did. Every loop turn (1) cost a process switch per message in a pipeline
 * sharing a core (10k msgs/s per venue: 14 -> 19 % of a core); never (no yield)
 * let a saturated feed hold messages for tens of ms (quote p50 7-100 ms); 64
 * kept the CPU of "never" and a latency below the default policy's. */
#define BUS_YIELD_EVERY 64
/* Messages published since the last bus_yield (all publishers of the process). */
static unsigned long s_unyielded;

void bus_yield(void)
{
    if (s_unyielded < BUS_YIELD_EVERY) return;
    s_unyielded = 0;
    sched_yield();
}

/* Decimal digits of V at P; returns the end. Two digits a step from a table. */
static char *s_u64(char *p, uint64_t v)
{
    static const char d2[] = "00010203040506070809101112131415161718192021222324252627282930313233343536"
                             "373839404142434445464748495051525354555657585960616263646566676869707172"
                             "737475767778798081828384858687888990919293949596979899";
    char t[20], *e = t + sizeof t, *q = e;
    while (v >= 100) {
        unsigned r = (unsigned)(v % 100);
        v /= 100;
        q -= 2;
        memcpy(q, d2 + 2 * r, 2);
    }
    if (v >= 10) {
        q -= 2;
        memcpy(q, d2 + 2 * v, 2);
    } else {
        *--q = (char)('0' + v);
    }
    memcpy(p, q, (size_t)(e - q));
    return p + (e - q);
}

static char *s_i64(char *p, int64_t v)
{
    if (v < 0) {
        *p++ = '-';
        return s_u64(p, (uint64_t)0 - (uint64_t)v);
    }
    return s_u64(p, (uint64_t)v);
}

#define S_LIT(p, lit) (memcpy((p), (lit), sizeof(lit) - 1), (p) + sizeof(lit) - 1)

int bus_pub_send(bus_pub_t *p, const char *topic, const char *body, size_t len, int64_t ts_rx,
                 int64_t ts_ex)
{
    /* the envelope: a constant prefix made once, then four integers */
    char env[BUS_PRE_MAX + 96], *e = env;
    memcpy(e, p->pre, p->pre_len);
    e += p->pre_len;
    e = s_u64(e, ++p->seq);
    e = S_LIT(e, ",\"ts_rx\":");
    e = s_i64(e, ts_rx);
    e = S_LIT(e, ",\"ts_ex\":");
    if (ts_ex < 0) e = S_LIT(e, "null");
    else e = s_i64(e, ts_ex);
    e = S_LIT(e, ",\"ts_pub\":");
    e = s_i64(e, clock_real_ns());
    if (len) *e++ = ',';
    size_t elen = (size_t)(e - env);
    /* one zmq_msg for the payload, written in place (no staging copy) */
    zmq_msg_t m;
    if (zmq_msg_init_size(&m, elen + len + 1) < 0) {
        p->drops++;
        return -1;
    }
    char *d = zmq_msg_data(&m);
    memcpy(d, env, elen);
    if (len) memcpy(d + elen, body, len);
    d[elen + len] = '}';
    if (p->observe) p->observe(topic, d, elen + len + 1, p->seq, p->observe_arg);
    if (zmq_send(p->z, topic, strlen(topic), ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0) {
        zmq_msg_close(&m);
        p->drops++;
        return -1;
    }
    if (zmq_msg_send(&m, p->z, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close(&m);
        p->drops++;
        return -1;
    }
    s_unyielded++;
    return 0;
}

void bus_pub_observe(bus_pub_t *p, bus_pub_observe_fn *fn, void *arg)
{
    p->observe = fn;
    p->observe_arg = arg;
}

const char *bus_pub_epoch(const bus_pub_t *p) { return p->epoch; }
const char *bus_pub_name(const bus_pub_t *p) { return p->name; }
uint64_t bus_pub_drops(const bus_pub_t *p) { return p->drops; }

/* --- subscriber --- */

typedef struct {
    char src[64];
    char epoch[24];
    uint64_t last_seq;
    int64_t last_seen;
} s_source_t;

#define BUS_MAX_SOURCES 256

struct bus_sub {
    void *z;
    strlist_t endpoints;
    strlist_t prefixes;
    s_source_t src[BUS_MAX_SOURCES];
    int nsrc;
    int64_t tick;
    zmq_msg_t topic, body;
    char *tbuf, *bbuf; /* NUL-terminated copies handed to the caller */
    size_t tcap, bcap;
    bus_sub_stats_t st;
};

bus_sub_t *bus_sub_new(void)
{
    bus_sub_t *s = xcalloc(1, sizeof *s);
    s->z = zmq_socket(bus_ctx(), ZMQ_SUB);
    if (!s->z) fatal(EX_SOFTWARE, "zmq_socket");
    bus_sockopts(s->z);
    int hwm = BUS_DEFAULT_SNDHWM;
    zmq_setsockopt(s->z, ZMQ_RCVHWM, &hwm, sizeof hwm);
    zmq_setsockopt(s->z, ZMQ_SUBSCRIBE, "", 0);
    zmq_msg_init(&s->topic);
    zmq_msg_init(&s->body);
    return s;
}

void bus_sub_destroy(bus_sub_t **sp)
{
    if (!sp || !*sp) return;
    bus_sub_t *s = *sp;
    zmq_msg_close(&s->topic);
    zmq_msg_close(&s->body);
    zmq_close(s->z);
    strlist_clear(&s->endpoints);
    strlist_clear(&s->prefixes);
    free(s->tbuf);
    free(s->bbuf);
    free(s);
    *sp = NULL;
}

int bus_sub_connect(bus_sub_t *s, const char *endpoint)
{
    if (strlist_has(&s->endpoints, endpoint)) return 0;
    if (bus_connect(s->z, endpoint, "subscriber") < 0) return -1;
    strlist_add(&s->endpoints, endpoint);
    log_debug("subscribed to %s", endpoint);
    return 0;
}

int bus_sub_scan(bus_sub_t *s, const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return 0;
    int added = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (n < 5 || strcmp(e->d_name + n - 4, ".pub")) continue;
        char ep[BUS_EP_MAX];
        if (snprintf(ep, sizeof ep, "ipc://%s/%s", dir, e->d_name) >= (int)sizeof ep) continue;
        if (strlist_has(&s->endpoints, ep)) continue;
        if (bus_sub_connect(s, ep) == 0) added++;
    }
    closedir(d);
    return added;
}

void bus_sub_prefix(bus_sub_t *s, const char *prefix)
{
    strlist_add(&s->prefixes, prefix);
}

void *bus_sub_zsock(bus_sub_t *s) { return s->z; }
const bus_sub_stats_t *bus_sub_stats(const bus_sub_t *s) { return &s->st; }

/* Expect `"KEY":` at *P; advance past it. */
static int s_key(const char **p, const char *end, const char *key)
{
    size_t k = strlen(key);
    if ((size_t)(end - *p) < k + 3 || (*p)[0] != '"' || memcmp(*p + 1, key, k) ||
        (*p)[k + 1] != '"' || (*p)[k + 2] != ':')
        return -1;
    *p += k + 3;
    return 0;
}

static int s_strval(const char **p, const char *end, char *out, size_t n)
{
    if (*p >= end || **p != '"') return -1;
    const char *q = *p + 1;
    size_t k = 0;
    while (q < end && *q != '"') {
        if (*q == '\\' || (unsigned char)*q < 0x20 || k + 1 >= n) return -1;
        out[k++] = *q++;
    }
    if (q >= end || k == 0) return -1;
    out[k] = '\0';
    *p = q + 1;
    return 0;
}

static int s_intval(const char **p, const char *end, int64_t *v, int allow_null)
{
    if (allow_null && end - *p >= 4 && !memcmp(*p, "null", 4)) {
        *v = -1;
        *p += 4;
        return 0;
    }
    const char *q = *p;
    uint64_t acc = 0;
    while (q < end && *q >= '0' && *q <= '9') {
        if (acc > (uint64_t)INT64_MAX / 10) return -1;
        acc = acc * 10 + (uint64_t)(*q++ - '0');
    }
    if (q == *p) return -1;
    *v = (int64_t)acc;
    *p = q;
    return 0;
}

static int s_comma(const char **p, const char *end)
{
    if (*p >= end || (**p != ',' && **p != '}')) return -1;
    if (**p == ',') (*p)++;
    return 0;
}

/* The envelope of BODY into M (src, epoch, seq, ts_*); the offset past ts_pub's value, or 0. */
static size_t s_envelope(const char *body, size_t len, bus_msg_t *m)
{
    const char *p = body, *end = body + len;
    int64_t seq;
    if (len < 2 || *p++ != '{') return 0;
    if (s_key(&p, end, "src") || s_strval(&p, end, m->src, sizeof m->src) || s_comma(&p, end) ||
        s_key(&p, end, "epoch") || s_strval(&p, end, m->epoch, sizeof m->epoch) ||
        s_comma(&p, end) || s_key(&p, end, "seq") || s_intval(&p, end, &seq, 0) ||
        s_comma(&p, end) || s_key(&p, end, "ts_rx") || s_intval(&p, end, &m->ts_rx, 0) ||
        s_comma(&p, end) || s_key(&p, end, "ts_ex") || s_intval(&p, end, &m->ts_ex, 1) ||
        s_comma(&p, end) || s_key(&p, end, "ts_pub") || s_intval(&p, end, &m->ts_pub, 0) ||
        (p >= end || (*p != ',' && *p != '}')))
        return 0;
    if (end[-1] != '}') return 0;
    m->seq = (uint64_t)seq;
    return (size_t)(p - body);
}

int bus_envelope_parse(const char *body, size_t len, bus_msg_t *m)
{
    return s_envelope(body, len, m) ? 0 : -1;
}

size_t bus_envelope_len(const char *body, size_t len)
{
    bus_msg_t m;
    return s_envelope(body, len, &m);
}

static int s_matches(const bus_sub_t *s, const char *topic, size_t n)
{
    if (s->prefixes.n == 0) return 1;
    for (int i = 0; i < s->prefixes.n; i++) {
        size_t k = strlen(s->prefixes.v[i]);
        if (k <= n && !memcmp(topic, s->prefixes.v[i], k)) return 1;
    }
    return 0;
}

/* A seq further than this past the last one of its (src, epoch) is no loss
 * (1e9 messages: hours at any rate we publish) but a forged or broken message. */
#define BUS_LOSS_MAX 1000000000ULL

/* Account for M's (src, epoch, seq): fills lost/first/restarted. -1 (nothing
 * accounted) for a seq jump past BUS_LOSS_MAX: the caller drops the message. */
static int s_account(bus_sub_t *s, bus_msg_t *m)
{
    s_source_t *hit = NULL, *same_src = NULL;
    s->tick++;
    for (int i = 0; i < s->nsrc; i++) {
        s_source_t *e = &s->src[i];
        if (strcmp(e->src, m->src)) continue;
        if (!strcmp(e->epoch, m->epoch)) {
            hit = e;
            break;
        }
        if (!same_src || e->last_seen > same_src->last_seen) same_src = e;
    }
    m->lost = 0;
    m->first = 0;
    m->restarted = 0;
    if (hit) {
        if (m->seq > hit->last_seq && m->seq - hit->last_seq > BUS_LOSS_MAX) return -1;
        if (m->seq > hit->last_seq + 1) {
            m->lost = m->seq - hit->last_seq - 1;
            s->st.lost += m->lost;
            s->st.gaps++;
        }
        if (m->seq > hit->last_seq) hit->last_seq = m->seq;
        hit->last_seen = s->tick;
        return 0;
    }
    if (same_src) {
        m->restarted = 1;
        s->st.restarts++;
    } else {
        m->first = 1;
    }
    /* new (src, epoch): take a free slot or the least recently seen one */
    s_source_t *slot;
    if (s->nsrc < BUS_MAX_SOURCES) slot = &s->src[s->nsrc++];
    else {
        slot = &s->src[0];
        for (int i = 1; i < s->nsrc; i++)
            if (s->src[i].last_seen < slot->last_seen) slot = &s->src[i];
    }
    snprintf(slot->src, sizeof slot->src, "%s", m->src);
    snprintf(slot->epoch, sizeof slot->epoch, "%s", m->epoch);
    slot->last_seq = m->seq;
    slot->last_seen = s->tick;
    return 0;
}

int bus_sub_recv(bus_sub_t *s, bus_msg_t *m, int timeout_ms)
{
    int64_t deadline = timeout_ms >= 0 ? clock_mono_ns() + (int64_t)timeout_ms * NS_PER_MS : 0;
    for (;;) {
        int wait = -1;
        if (timeout_ms >= 0) {
            int64_t left = deadline - clock_mono_ns();
            wait = left > 0 ? (int)((left + NS_PER_MS - 1) / NS_PER_MS) : 0;
        }
        zmq_pollitem_t it = {s->z, 0, ZMQ_POLLIN, 0};
        int rc = zmq_poll(&it, 1, wait);
        if (rc < 0) return -1;
        if (rc == 0) return 0;
        if (zmq_msg_recv(&s->topic, s->z, ZMQ_DONTWAIT) < 0) {
            if (zmq_errno() == EAGAIN) continue;
            return -1;
        }
        if (!zmq_msg_more(&s->topic)) {
            s->st.bad++;
            continue;
        }
        if (zmq_msg_recv(&s->body, s->z, ZMQ_DONTWAIT) < 0) return -1;
        while (zmq_msg_more(&s->body)) { /* tolerate extra frames: drain them */
            s->st.bad++;
            if (zmq_msg_recv(&s->body, s->z, ZMQ_DONTWAIT) < 0) return -1;
        }
        /* make both frames NUL-terminated copies for the caller */
        size_t tn = zmq_msg_size(&s->topic), bn = zmq_msg_size(&s->body);
        if (tn + 1 > s->tcap) {
            s->tcap = tn + 64;
            s->tbuf = xrealloc(s->tbuf, s->tcap);
        }
        if (bn + 1 > s->bcap) {
            s->bcap = bn + 1024;
            s->bbuf = xrealloc(s->bbuf, s->bcap);
        }
        char *tbuf = s->tbuf, *bbuf = s->bbuf;
        memcpy(tbuf, zmq_msg_data(&s->topic), tn);
        tbuf[tn] = '\0';
        memcpy(bbuf, zmq_msg_data(&s->body), bn);
        bbuf[bn] = '\0';
        if (bus_envelope_parse(bbuf, bn, m) < 0) {
            s->st.bad++;
            log_warnx_rl("bus: message without a valid envelope on topic %.*s (dropped)",
                         (int)(tn > 64 ? 64 : tn), tbuf);
            continue;
        }
        s->st.received++;
        if (s_account(s, m) < 0) {
            s->st.bad++;
            log_warnx_rl("bus: src=%s epoch=%s jumped to seq %llu: dropped (not counted as loss)",
                         m->src, m->epoch, (unsigned long long)m->seq);
            continue;
        }
        if (!s_matches(s, tbuf, tn)) continue;
        m->topic = tbuf;
        m->topic_len = tn;
        m->body = bbuf;
        m->body_len = bn;
        return 1;
    }
}

int bus_test(void)
{
    int rc = 0;
    bus_msg_t m;
    const char *good = "{\"src\":\"feed-kraken\",\"epoch\":\"00ff\",\"seq\":7,\"ts_rx\":5,"
                       "\"ts_ex\":null,\"ts_pub\":9,\"bid\":1}";
    if (bus_envelope_parse(good, strlen(good), &m) || m.seq != 7 || m.ts_ex != -1 ||
        strcmp(m.src, "feed-kraken") || m.ts_pub != 9) {
        fprintf(stderr, "bus_test: envelope parse failed\n");
        rc = -1;
    }
    const char *bad[] = {"{}", "{\"src\":\"a\"}", "{\"src\":\"\",\"epoch\":\"1\",\"seq\":1}",
                         ("{\"src\":\"a\",\"epoch\":\"1\",\"seq\":-1,\"ts_rx\":1,\"ts_ex\":1,"
                          "\"ts_pub\":1}")};
    for (size_t i = 0; i < ARRAY_LEN(bad); i++)
        if (bus_envelope_parse(bad[i], strlen(bad[i]), &m) == 0) {
            fprintf(stderr, "bus_test: accepted bad envelope %s\n", bad[i]);
            rc = -1;
        }
    /* sequence accounting: gap, restart, interleaved publishers */
    bus_sub_t *s = xcalloc(1, sizeof *s);
    struct { const char *src, *ep; uint64_t seq, lost; int first, restarted; } steps[] = {
        {"a", "e1", 5, 0, 1, 0},  {"a", "e1", 6, 0, 0, 0}, {"a", "e1", 10, 3, 0, 0},
        {"b", "f1", 1, 0, 1, 0},  {"a", "e2", 1, 0, 0, 1}, {"a", "e2", 2, 0, 0, 0},
        {"b", "f1", 3, 1, 0, 0},
    };
    for (size_t i = 0; i < ARRAY_LEN(steps); i++) {
        snprintf(m.src, sizeof m.src, "%s", steps[i].src);
        snprintf(m.epoch, sizeof m.epoch, "%s", steps[i].ep);
        m.seq = steps[i].seq;
        s_account(s, &m);
        if (m.lost != steps[i].lost || m.first != steps[i].first ||
            m.restarted != steps[i].restarted) {
            fprintf(stderr, "bus_test: step %zu: lost=%llu first=%d restarted=%d\n", i,
                    (unsigned long long)m.lost, m.first, m.restarted);
            rc = -1;
        }
    }
    if (s->st.lost != 4 || s->st.gaps != 2 || s->st.restarts != 1) rc = -1;
    /* a forged seq far ahead is refused, not 9.2e18 lost messages */
    snprintf(m.src, sizeof m.src, "b");
    snprintf(m.epoch, sizeof m.epoch, "f1");
    m.seq = (uint64_t)INT64_MAX;
    if (s_account(s, &m) != -1 || s->st.lost != 4) rc = -1;
    m.seq = 4;
    if (s_account(s, &m) != 0 || m.lost != 0 || s->st.lost != 4) rc = -1;
    free(s);
    /* the envelope's integer formatter against printf */
    const int64_t iv[] = {0, 1, 9, 10, 99, 100, 101, 999, 1000, 123456789, 1795860697718866010LL,
                          -1, -10, -1795860697718866010LL, INT64_MAX, INT64_MIN};
    for (size_t i = 0; i < ARRAY_LEN(iv); i++) {
        char a[32], b[32];
        *s_i64(a, iv[i]) = 0;
        snprintf(b, sizeof b, "%lld", (long long)iv[i]);
        if (strcmp(a, b)) {
            fprintf(stderr, "bus_test: integer %s printed as %s\n", b, a);
            rc = -1;
        }
    }
    {
        char a[32];
        *s_u64(a, UINT64_MAX) = 0;
        if (strcmp(a, "18446744073709551615")) rc = -1;
    }
    /* a published message as a subscriber sees it: two frames, the envelope, the body */
    bus_pub_t *pub = bus_pub_new("feed-test", "inproc://bus_test", 0);
    void *sub = zmq_socket(bus_ctx(), ZMQ_SUB);
    int got = 0;
    if (pub && sub && zmq_connect(sub, "inproc://bus_test") == 0 &&
        zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "quote.", 6) == 0) {
        int tmo = 20;
        zmq_setsockopt(sub, ZMQ_RCVTIMEO, &tmo, sizeof tmo);
        for (int i = 0; i < 100 && !got; i++) { /* until the subscription has arrived */
            bus_pub_send(pub, "quote.x.BTC-USD", "\"bid\":1.5", 9, 5, i % 2 ? 7 : -1);
            char t[64], b[512];
            int tn = zmq_recv(sub, t, sizeof t - 1, 0);
            if (tn < 0) continue;
            int bn = zmq_recv(sub, b, sizeof b - 1, 0);
            if (bn < 0) continue;
            t[tn] = b[bn] = 0;
            got = 1;
            char want[256];
            snprintf(want, sizeof want, "{\"src\":\"feed-test\",\"epoch\":\"%s\",\"seq\":%d,\"ts_rx\":5,"
                     "\"ts_ex\":%s,\"ts_pub\":", bus_pub_epoch(pub), i + 1, i % 2 ? "7" : "null");
            bus_msg_t pm;
            if (strcmp(t, "quote.x.BTC-USD") || strncmp(b, want, strlen(want)) ||
                bn < 11 || strcmp(b + bn - 11, ",\"bid\":1.5}") ||
                bus_envelope_parse(b, (size_t)bn, &pm) || pm.seq != (uint64_t)i + 1 ||
                pm.ts_pub <= 0) {
                fprintf(stderr, "bus_test: published %s %s\n", t, b);
                rc = -1;
            }
        }
    }
    if (!got) {
        fprintf(stderr, "bus_test: inproc publish not received\n");
        rc = -1;
    }
    if (sub) zmq_close(sub);
    bus_pub_destroy(&pub);
    char ep[BUS_EP_MAX];
    if (bus_endpoint("/run/user/1000/tickbus", "feed-kraken", ep, sizeof ep) ||
        strcmp(ep, "ipc:///run/user/1000/tickbus/feed-kraken.pub"))
        rc = -1;
    strlist_t subs = {0};
    const char *const up[] = {"feed-kraken", "feed-kalshi", NULL};
    if (bus_default_subs(&subs, "/b", up) || subs.n != 2 || strcmp(subs.v[1], "ipc:///b/feed-kalshi.pub"))
        rc = -1;
    if (bus_default_subs(&subs, "/c", up) || subs.n != 2) rc = -1; /* given --sub wins */
    strlist_clear(&subs);
    return rc;
}
