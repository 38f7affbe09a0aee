/* curve: CURVE and ZAP for tcp:// bus endpoints (see curve.h).
 *
 * Why our own ZAP handler and not czmq's zauth: zauth binds inproc://zeromq.zap.01 in czmq's own
 * context, which our sockets (lib/bus's context) never ask, and it keeps no count of whom it
 * refused. The handler here is one thread that answers ZAP requests against the allow-file and
 * reads the socket monitors of every socket that uses tcp, so the hb can say how many peers were
 * admitted and refused, and why. */
#include "curve.h"
#include "log.h"
#include "opts.h"
#include "prog.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#define CURVE_MON_MAX 16
#define CURVE_FILE_MAX (1 << 20)

enum { ROLE_SERVER, ROLE_CLIENT };

static struct {
    pthread_mutex_t mu;
    pthread_t th;
    int running;
    atomic_int stop;
    void *zap;                      /* REP on inproc://zeromq.zap.01, the thread's */
    void *watched[CURVE_MON_MAX];   /* the sockets monitored (never dereferenced) */
    void *mon[CURVE_MON_MAX];       /* their monitor PAIRs, the thread's */
    int role[CURVE_MON_MAX];
    int nmon;
    int used;                       /* any tcp endpoint prepared */
    atomic_int insecure_used; /* read by the thread too */
    int have_me;
    curve_pair_t me;
    /* the allow-file, the thread's once it runs */
    strlist_t allow;
    struct stat allow_st;
    atomic_ullong peers, refused_key, refused_protocol, out_ok, out_failed, disconnects;
} S = {.mu = PTHREAD_MUTEX_INITIALIZER};

/* ---- key text ---- */

static int s_z85_ok(const char *k, size_t len)
{
    uint8_t raw[32];
    char tmp[CURVE_Z85_LEN + 1];
    if (len != CURVE_Z85_LEN) return 0;
    memcpy(tmp, k, len);
    tmp[len] = '\0';
    return zmq_z85_decode(raw, tmp) != NULL;
}

static int s_starts(const char *p, const char *end, const char *word)
{
    size_t k = strlen(word);
    return (size_t)(end - p) >= k && !memcmp(p, word, k);
}

/* `NAME = "KEY"` at P (after leading blanks): the key's start, or NULL. */
static const char *s_named(const char *p, const char *end, const char *name)
{
    size_t k = strlen(name);
    if ((size_t)(end - p) < k || memcmp(p, name, k)) return NULL;
    p += k;
    while (p < end && (*p == ' ' || *p == '\t')) p++;
    if (p >= end || *p++ != '=') return NULL;
    while (p < end && (*p == ' ' || *p == '\t')) p++;
    if (p >= end || *p != '"') return NULL;
    return p + 1;
}

int curve_parse(const char *text, size_t len, int bare, strlist_t *keys,
                char sec[CURVE_Z85_LEN + 1], char *why, size_t n)
{
    int count = 0, lineno = 0;
    const char *p = text, *end = text + len;
    if (sec) sec[0] = '\0';
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol) eol = end;
        lineno++;
        const char *q = p;
        while (q < eol && (*q == ' ' || *q == '\t' || *q == '\r')) q++;
        const char *e = eol;
        while (e > q && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r')) e--;
        const char *kp, *kq = NULL;
        int is_sec = 0;
        if ((kp = s_named(q, e, "public-key")) || (is_sec = 1, kp = s_named(q, e, "secret-key"))) {
            kq = memchr(kp, '"', (size_t)(e - kp));
            if (!kq || !s_z85_ok(kp, (size_t)(kq - kp))) {
                snprintf(why, n, "line %d: %s is not 40 Z85 characters of a 32-byte key", lineno,
                         is_sec ? "secret-key" : "public-key");
                return -1;
            }
        } else if (bare && e - q >= CURVE_Z85_LEN &&
                   (e - q == CURVE_Z85_LEN || q[CURVE_Z85_LEN] == ' ' || q[CURVE_Z85_LEN] == '\t') &&
                   s_z85_ok(q, CURVE_Z85_LEN)) {
            kp = q; /* a bare key, perhaps followed by a name */
            kq = q + CURVE_Z85_LEN;
            is_sec = 0;
        } else if (q == e || *q == '#' || !bare || s_starts(q, e, "metadata") ||
                   s_starts(q, e, "curve") || memchr(q, '=', (size_t)(e - q))) {
            p = eol + 1; /* a comment, a blank line, a zcert section or property */
            continue;
        } else {
            snprintf(why, n, "line %d: '%.*s' is not a public key (40 Z85 characters)", lineno,
                     (int)(e - q > 60 ? 60 : e - q), q);
            return -1;
        }
        if (is_sec) {
            if (sec) {
                memcpy(sec, kp, CURVE_Z85_LEN);
                sec[CURVE_Z85_LEN] = '\0';
            }
        } else {
            if (keys) {
                char k[CURVE_Z85_LEN + 1];
                memcpy(k, kp, CURVE_Z85_LEN);
                k[CURVE_Z85_LEN] = '\0';
                if (!strlist_has(keys, k)) strlist_add(keys, k);
            }
            count++;
        }
        p = eol + 1;
    }
    return count;
}

/* The keys of the file open on FD (PATH names it in WHY; closed here), as curve_parse with
 * BARE, KEYS and SEC. The text is wiped before it is freed: a key file holds a secret. Returns
 * the number of public keys, or -1 with WHY. */
static int s_read_keys(int fd, const char *path, int bare, strlist_t *keys,
                       char sec[CURVE_Z85_LEN + 1], char *why, size_t n)
{
    char *buf = xmalloc(CURVE_FILE_MAX + 1);
    size_t k = 0;
    int c = -1;
    for (;;) {
        ssize_t r = read(fd, buf + k, CURVE_FILE_MAX - k);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
            snprintf(why, n, "cannot read %s: %s", path, strerror(errno));
            goto out;
        }
        if (r == 0) break;
        k += (size_t)r;
        if (k == CURVE_FILE_MAX) {
            snprintf(why, n, "%s is larger than %d bytes: not a key file", path, CURVE_FILE_MAX);
            goto out;
        }
    }
    char sub[200];
    c = curve_parse(buf, k, bare, keys, sec, sub, sizeof sub);
    if (c < 0) snprintf(why, n, "%s: %s", path, sub);
out:
    close(fd);
    explicit_bzero(buf, k);
    free(buf);
    return c;
}

int curve_load_pair(const char *path, curve_pair_t *k, char *why, size_t n)
{
    int perm;
    int fd = util_open_secret(path, "CURVE key file", &perm, why, n);
    if (fd < 0) return -1;
    strlist_t pubs = {0};
    int c = s_read_keys(fd, path, 0, &pubs, k->sec, why, n), rc = -1;
    char derived[CURVE_Z85_LEN + 1];
    if (c >= 0 && (c != 1 || !k->sec[0]))
        snprintf(why, n, "CURVE key file %s holds %d public and %d secret keys, not one pair "
                 "(tickbus keygen writes one)", path, c, k->sec[0] ? 1 : 0);
    /* the pair must belong together: derive the public key from the secret one */
    else if (c == 1 && (zmq_curve_public(derived, k->sec) < 0 || strcmp(derived, pubs.v[0])))
        snprintf(why, n, "CURVE key file %s: its public key does not belong to its secret key",
                 path);
    else if (c == 1) {
        memcpy(k->pub, pubs.v[0], CURVE_Z85_LEN + 1);
        rc = 0;
    }
    strlist_clear(&pubs);
    if (rc < 0) memset(k->sec, 0, sizeof k->sec);
    return rc;
}

int curve_load_public(const char *arg, char out[CURVE_Z85_LEN + 1], char *why, size_t n)
{
    /* a file first: a path can be 40 characters of the Z85 alphabet too
     * (/tmp/tickbus-it-mdIwdE/keys/b/host-a.pub is one) */
    struct stat st;
    int is_file = stat(arg, &st) == 0 && S_ISREG(st.st_mode);
    if (!is_file && strlen(arg) == CURVE_Z85_LEN && s_z85_ok(arg, CURVE_Z85_LEN)) {
        memcpy(out, arg, CURVE_Z85_LEN + 1);
        return 0;
    }
    char sub[400];
    int fd = util_open_file(arg, "public key file", sub, sizeof sub);
    if (fd < 0) {
        snprintf(why, n, "'%s' is neither a public key (40 Z85 characters) nor a key file: %s",
                 arg, sub);
        return -1;
    }
    strlist_t pubs = {0};
    int c = s_read_keys(fd, arg, 1, &pubs, NULL, why, n), rc = -1;
    if (c >= 0 && c != 1) snprintf(why, n, "%s holds %d public keys, not one", arg, c);
    if (c == 1) {
        memcpy(out, pubs.v[0], CURVE_Z85_LEN + 1);
        rc = 0;
    }
    strlist_clear(&pubs);
    return rc;
}

static int s_write_file(const char *path, mode_t mode, const char *text, char *why, size_t n)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0) {
        snprintf(why, n, "cannot create %s: %s%s", path, strerror(errno),
                 errno == EEXIST ? " (tickbus keygen never overwrites a key)" : "");
        return -1;
    }
    size_t len = strlen(text), k = 0;
    while (k < len) {
        ssize_t w = write(fd, text + k, len - k);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) break;
        k += (size_t)w;
    }
    int bad = k < len || fsync(fd) < 0;
    if (close(fd) < 0) bad = 1;
    if (bad) {
        snprintf(why, n, "cannot write %s: %s", path, k < len && errno == 0 ? "short write" : strerror(errno));
        unlink(path);
        return -1;
    }
    return 0;
}

int curve_keygen(const char *base, curve_pair_t *k, char *why, size_t n)
{
    char kpath[1024], ppath[1024], text[2048], stamp[32];
    if ((size_t)snprintf(kpath, sizeof kpath, "%s.key", base) >= sizeof kpath ||
        (size_t)snprintf(ppath, sizeof ppath, "%s.pub", base) >= sizeof ppath) {
        snprintf(why, n, "key path too long: %s", base);
        return -1;
    }
    if (zmq_curve_keypair(k->pub, k->sec) < 0) {
        snprintf(why, n, "this libzmq cannot make CURVE keys: %s", zmq_strerror(zmq_errno()));
        return -1;
    }
    time_t now = time(NULL);
    struct tm tm;
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
    snprintf(text, sizeof text,
             "#   tickbus keygen %s: CURVE key pair (the secret key: keep this file 0600,\n"
             "#   never copy it; give other hosts %s)\n\nmetadata\ncurve\n"
             "    public-key = \"%s\"\n    secret-key = \"%s\"\n", stamp, ppath, k->pub, k->sec);
    int rc = s_write_file(kpath, 0600, text, why, n);
    explicit_bzero(text, sizeof text);
    if (rc < 0) return -1;
    snprintf(text, sizeof text,
             "#   tickbus keygen %s: CURVE public key (list it in a publisher's allow-file, or\n"
             "#   name it after '#' in a tcp:// endpoint)\n\nmetadata\ncurve\n"
             "    public-key = \"%s\"\n", stamp, k->pub);
    if (s_write_file(ppath, 0644, text, why, n) < 0) {
        unlink(kpath);
        return -1;
    }
    return 0;
}

/* ---- the allow-file ---- */

/* The public keys of the allow-file PATH into KEYS: their count, or -1 with WHY. */
static int s_read_allow(const char *path, strlist_t *keys, char *why, size_t n)
{
    int fd = util_open_file(path, "allow-file", why, n);
    if (fd < 0) return -1;
    return s_read_keys(fd, path, 1, keys, NULL, why, n);
}

/* (Re)read the allow-file when it changed. Keeps the last good list when the new text is bad
 * or unreadable (logged): a bad edit does not cut every host off. Returns 0 when a list is in
 * force. */
static int s_allow_refresh(int first, char *why, size_t n)
{
    const char *path = opts_common.curve_allow;
    struct stat st;
    if (stat(path, &st) < 0) {
        snprintf(why, n, "--curve-allow %s: %s", path, strerror(errno));
        return first ? -1 : 0;
    }
    if (!first && st.st_mtim.tv_sec == S.allow_st.st_mtim.tv_sec &&
        st.st_mtim.tv_nsec == S.allow_st.st_mtim.tv_nsec && st.st_size == S.allow_st.st_size &&
        st.st_ino == S.allow_st.st_ino)
        return 0;
    strlist_t keys = {0};
    if (s_read_allow(path, &keys, why, n) < 0) {
        strlist_clear(&keys);
        if (!first) {
            log_warnx_rl("%s; the %d key(s) read before stay in force", why, S.allow.n);
            S.allow_st = st; /* said once per change */
        }
        return first ? -1 : 0;
    }
    strlist_clear(&S.allow);
    S.allow = keys;
    S.allow_st = st;
    log_info("curve: %d public key(s) admitted from %s", S.allow.n, path);
    return 0;
}

/* ---- the thread: ZAP requests and monitor events ---- */

static void s_zap_answer(void)
{
    zmq_msg_t f[7];
    int nf = 0, more = 1;
    while (more && nf < 7) {
        zmq_msg_init(&f[nf]);
        if (zmq_msg_recv(&f[nf], S.zap, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&f[nf]);
            break;
        }
        more = zmq_msg_more(&f[nf]);
        nf++;
    }
    while (more) { /* more frames than RFC 27 has: drain them */
        zmq_msg_t x;
        zmq_msg_init(&x);
        if (zmq_msg_recv(&x, S.zap, ZMQ_DONTWAIT) < 0) more = 0;
        else more = zmq_msg_more(&x);
        zmq_msg_close(&x);
    }
    if (nf == 0) return;
    const char *status = "400", *text = "not admitted";
    char key[CURVE_Z85_LEN + 1] = "", addr[64] = "?";
    if (nf >= 7 && zmq_msg_size(&f[5]) == 5 && !memcmp(zmq_msg_data(&f[5]), "CURVE", 5) &&
        zmq_msg_size(&f[6]) == 32) {
        zmq_z85_encode(key, zmq_msg_data(&f[6]), 32);
        size_t al = zmq_msg_size(&f[3]) < sizeof addr - 1 ? zmq_msg_size(&f[3]) : sizeof addr - 1;
        memcpy(addr, zmq_msg_data(&f[3]), al);
        addr[al] = '\0';
        char why[300];
        if (s_allow_refresh(0, why, sizeof why) == 0 && strlist_has(&S.allow, key)) {
            status = "200";
            text = "OK";
        } else {
            log_warnx_rl("curve: refused %s: its key %s is not in --curve-allow %s", addr, key,
                         opts_common.curve_allow);
        }
    } else {
        text = "CURVE only";
    }
    /* reply: version, request id, status code, status text, user id, metadata */
    const void *r[6] = {"1.0", nf > 1 ? zmq_msg_data(&f[1]) : "", status, text, key, ""};
    size_t rl[6] = {3, nf > 1 ? zmq_msg_size(&f[1]) : 0, 3, strlen(text), strlen(key), 0};
    for (int i = 0; i < 6; i++)
        zmq_send(S.zap, r[i], rl[i], i < 5 ? ZMQ_SNDMORE : 0);
    for (int i = 0; i < nf; i++) zmq_msg_close(&f[i]);
}

static void s_monitor_event(void *mon, int role)
{
    zmq_msg_t ev, ep;
    zmq_msg_init(&ev);
    zmq_msg_init(&ep);
    if (zmq_msg_recv(&ev, mon, ZMQ_DONTWAIT) < 0) goto out;
    if (!zmq_msg_more(&ev) || zmq_msg_recv(&ep, mon, ZMQ_DONTWAIT) < 0) goto out;
    if (zmq_msg_size(&ev) < 6) goto out;
    uint16_t event;
    uint32_t value;
    memcpy(&event, zmq_msg_data(&ev), 2);
    memcpy(&value, (char *)zmq_msg_data(&ev) + 2, 4);
    char where[BUS_EP_MAX];
    size_t wl = zmq_msg_size(&ep) < sizeof where - 1 ? zmq_msg_size(&ep) : sizeof where - 1;
    memcpy(where, zmq_msg_data(&ep), wl);
    where[wl] = '\0';
    if (strncmp(where, "tcp://", 6)) goto out; /* ipc peers of the same socket */
    if (event == ZMQ_EVENT_DISCONNECTED) {
        /* a tcp peer gone: closed, or silent past the ZMTP heartbeat's 3 s (lib/bus) */
        atomic_fetch_add(&S.disconnects, 1);
        if (role == ROLE_CLIENT) log_warnx_rl("tcp: lost %s; reconnecting", where);
    } else if (event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) {
        atomic_fetch_add(role == ROLE_SERVER ? &S.peers : &S.out_ok, 1);
    } else if (role == ROLE_SERVER) {
        if (event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) atomic_fetch_add(&S.refused_key, 1);
        else {
            atomic_fetch_add(&S.refused_protocol, 1);
            log_warnx_rl("curve: refused a peer on %s: handshake failed (%s, 0x%x): it speaks "
                         "no CURVE or does not know this host's public key", where,
                         event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL ? "protocol" : "no detail",
                         (unsigned)value);
        }
    } else {
        atomic_fetch_add(&S.out_failed, 1);
        log_warnx_rl("curve: handshake with %s failed (%s, %u): %s", where,
                     event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH ? "not admitted" : "protocol",
                     (unsigned)value,
                     event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH
                         ? "this host's public key is not in that publisher's --curve-allow"
                         : S.insecure_used ? "the publisher wants CURVE and --insecure speaks none"
                                           : "a wrong server key after '#'");
    }
out:
    zmq_msg_close(&ev);
    zmq_msg_close(&ep);
}

static void *s_thread(void *arg)
{
    (void)arg;
    zmq_pollitem_t it[1 + CURVE_MON_MAX];
    int role[CURVE_MON_MAX];
    while (!atomic_load(&S.stop)) {
        pthread_mutex_lock(&S.mu);
        int n = 0;
        if (S.zap) it[n++] = (zmq_pollitem_t){S.zap, 0, ZMQ_POLLIN, 0};
        for (int i = 0; i < S.nmon; i++) {
            role[i] = S.role[i];
            it[n++] = (zmq_pollitem_t){S.mon[i], 0, ZMQ_POLLIN, 0};
        }
        int has_zap = S.zap != NULL;
        pthread_mutex_unlock(&S.mu);
        int rc = zmq_poll(it, n, 100);
        if (rc < 0) {
            if (zmq_errno() == ETERM) break;
            continue;
        }
        for (int i = 0; i < n; i++) {
            if (!(it[i].revents & ZMQ_POLLIN)) continue;
            if (has_zap && i == 0) s_zap_answer();
            else s_monitor_event(it[i].socket, role[i - has_zap]);
        }
    }
    if (S.zap) zmq_close(S.zap);
    for (int i = 0; i < S.nmon; i++) zmq_close(S.mon[i]);
    S.zap = NULL;
    S.nmon = 0;
    return NULL;
}

/* Monitor socket Z (once) and make sure the thread runs. 0 or -1 logged. */
static int s_watch(void *z, int role)
{
    pthread_mutex_lock(&S.mu);
    int rc = 0;
    for (int i = 0; i < S.nmon; i++)
        if (S.watched[i] == z) goto done;
    if (S.nmon == CURVE_MON_MAX) {
        log_warnx("curve: more than %d tcp sockets: the %dth is not monitored", CURVE_MON_MAX,
                  CURVE_MON_MAX + 1);
        goto done;
    }
    char ep[64];
    snprintf(ep, sizeof ep, "inproc://tickbus-curve-mon-%d", S.nmon);
    int events = ZMQ_EVENT_DISCONNECTED | ZMQ_EVENT_HANDSHAKE_SUCCEEDED |
                 ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL |
                 ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH;
    void *m = NULL;
    if (zmq_socket_monitor(z, ep, events) < 0 || !(m = zmq_socket(bus_ctx(), ZMQ_PAIR)) ||
        zmq_connect(m, ep) < 0) {
        log_warnx("curve: cannot monitor a tcp socket: %s", zmq_strerror(zmq_errno()));
        if (m) zmq_close(m);
        goto done;
    }
    S.watched[S.nmon] = z;
    S.role[S.nmon] = role;
    S.mon[S.nmon++] = m;
    if (!S.running) {
        atomic_store(&S.stop, 0);
        if (pthread_create(&S.th, NULL, s_thread, NULL) != 0) {
            log_warnx("curve: cannot start the ZAP thread");
            rc = -1;
            goto done;
        }
        S.running = 1;
    }
done:
    pthread_mutex_unlock(&S.mu);
    return rc;
}

static int s_need_pair(const char *endpoint)
{
    if (S.have_me) return 0;
    char why[400];
    if (!opts_common.curve_key || !*opts_common.curve_key) {
        log_warnx("%s: tcp is CURVE-protected and needs this host's key pair: give --curve-key "
                  "FILE (TICKBUS_CURVE_KEY; make one with `tickbus keygen FILE`), or --insecure "
                  "for plain tcp", endpoint);
        return -1;
    }
    if (curve_load_pair(opts_common.curve_key, &S.me, why, sizeof why) < 0) {
        log_warnx("--curve-key: %s", why);
        return -1;
    }
    S.have_me = 1;
    log_info("curve: this host's public key is %s", S.me.pub);
    return 0;
}

/* Plain tcp on Z (--insecure), said once per process. */
static int s_insecure(void *z, const char *endpoint, int role)
{
    int off = 0;
    if (!S.insecure_used)
        log_warnx("%s: %s WITHOUT CURVE (--insecure): the data is neither encrypted nor "
                  "authenticated; anyone who reaches the port can read or feed the bus", endpoint,
                  role == ROLE_SERVER ? "publishing" : "subscribing");
    S.insecure_used = 1;
    zmq_setsockopt(z, ZMQ_CURVE_SERVER, &off, sizeof off);
    return s_watch(z, role);
}

static int s_is_tcp(const char *ep) { return !strncmp(ep, "tcp://", 6); }

/* What connecting to V needs, by one rule at start (curve_check_connect) and at connect: 0
 * nothing more (ipc; tcp with --insecure), 1 CURVE with the server's key read into KEY
 * (tcp://HOST:PORT#KEY), -1 refused with WHY. */
static int s_connect_needs(const char *v, char key[CURVE_Z85_LEN + 1], char *why, size_t n)
{
    const char *hash = strchr(v, '#');
    if (!s_is_tcp(v)) {
        if (!hash) return 0;
        snprintf(why, n, "a server key after '#' is for tcp:// endpoints only");
        return -1;
    }
    if (!hash) {
        if (opts_common.insecure) return 0;
        snprintf(why, n, "tcp without CURVE is refused: name the publisher's public key, "
                         "tcp://HOST:PORT#/path/its.pub (or #KEY), or give --insecure");
        return -1;
    }
    char sub[400];
    if (curve_load_public(hash + 1, key, sub, sizeof sub) < 0) {
        snprintf(why, n, "the server key: %s", sub);
        return -1;
    }
    return 1;
}

int curve_bind_prep(void *z, const char *endpoint)
{
    int off = 0;
    /* options are taken at each bind: an ipc or plain endpoint bound after a CURVE one on the same
     * socket must not inherit CURVE or the ZAP domain (NULL peers would be sent to ZAP) */
    zmq_setsockopt(z, ZMQ_ZAP_DOMAIN, "", 0);
    if (!s_is_tcp(endpoint)) {
        zmq_setsockopt(z, ZMQ_CURVE_SERVER, &off, sizeof off); /* back to the NULL mechanism */
        return 0;
    }
    S.used = 1;
    if (opts_common.insecure) {
        return s_insecure(z, endpoint, ROLE_SERVER);
    }
    if (!zmq_has("curve")) {
        log_warnx("%s: this libzmq has no CURVE: use ipc, or --insecure", endpoint);
        return -1;
    }
    if (s_need_pair(endpoint) < 0) return -1;
    if (!opts_common.curve_allow || !*opts_common.curve_allow) {
        log_warnx("%s: a tcp publisher admits only the public keys of an allow-file: give "
                  "--curve-allow FILE (TICKBUS_CURVE_ALLOW)", endpoint);
        return -1;
    }
    pthread_mutex_lock(&S.mu);
    int have_zap = S.zap != NULL;
    pthread_mutex_unlock(&S.mu);
    if (!have_zap) {
        char why[400];
        if (s_allow_refresh(1, why, sizeof why) < 0) {
            log_warnx("%s", why);
            return -1;
        }
        void *zap = zmq_socket(bus_ctx(), ZMQ_REP);
        if (!zap || zmq_bind(zap, "inproc://zeromq.zap.01") < 0) {
            log_warnx("curve: cannot bind the ZAP handler: %s", zmq_strerror(zmq_errno()));
            if (zap) zmq_close(zap);
            return -1;
        }
        pthread_mutex_lock(&S.mu);
        S.zap = zap;
        pthread_mutex_unlock(&S.mu);
    }
    int one = 1;
    if (zmq_setsockopt(z, ZMQ_CURVE_SERVER, &one, sizeof one) < 0 ||
        zmq_setsockopt(z, ZMQ_CURVE_SECRETKEY, S.me.sec, CURVE_Z85_LEN) < 0 ||
        zmq_setsockopt(z, ZMQ_ZAP_DOMAIN, "tickbus", 7) < 0) {
        log_warnx("%s: CURVE options refused: %s", endpoint, zmq_strerror(zmq_errno()));
        return -1;
    }
    return s_watch(z, ROLE_SERVER);
}

int curve_connect_prep(void *z, const char *endpoint, char *addr, size_t n)
{
    const char *hash = strchr(endpoint, '#');
    size_t alen = hash ? (size_t)(hash - endpoint) : strlen(endpoint);
    if (alen >= n) {
        log_warnx("endpoint too long: %s", endpoint);
        return -1;
    }
    memcpy(addr, endpoint, alen);
    addr[alen] = '\0';
    char server[CURVE_Z85_LEN + 1], why[600];
    int need = s_connect_needs(endpoint, server, why, sizeof why);
    if (need < 0) {
        log_warnx("%s: %s", endpoint, why);
        return -1;
    }
    int off = 0;
    if (!s_is_tcp(endpoint)) {
        zmq_setsockopt(z, ZMQ_CURVE_SERVER, &off, sizeof off); /* back to the NULL mechanism */
        return 0;
    }
    S.used = 1;
    if (!need) return s_insecure(z, endpoint, ROLE_CLIENT);
    if (s_need_pair(endpoint) < 0) return -1;
    if (zmq_setsockopt(z, ZMQ_CURVE_SERVERKEY, server, CURVE_Z85_LEN) < 0 ||
        zmq_setsockopt(z, ZMQ_CURVE_PUBLICKEY, S.me.pub, CURVE_Z85_LEN) < 0 ||
        zmq_setsockopt(z, ZMQ_CURVE_SECRETKEY, S.me.sec, CURVE_Z85_LEN) < 0) {
        log_warnx("%s: CURVE options refused: %s", addr, zmq_strerror(zmq_errno()));
        return -1;
    }
    return s_watch(z, ROLE_CLIENT);
}

/* This host's key pair loads, or exit 64 naming --curve-key. */
static void s_check_pair(void)
{
    char why[600];
    curve_pair_t k;
    if (!opts_common.curve_key || !*opts_common.curve_key)
        opts_die("curve-key", "",
                 "tcp is CURVE-protected and needs this host's key pair: make one with "
                 "`tickbus keygen FILE` and give --curve-key FILE (TICKBUS_CURVE_KEY), or "
                 "--insecure for plain tcp");
    if (curve_load_pair(opts_common.curve_key, &k, why, sizeof why) < 0)
        opts_die("curve-key", opts_common.curve_key, why);
    explicit_bzero(&k, sizeof k);
}

void curve_check_connect(const char *option, const char *endpoint)
{
    char key[CURVE_Z85_LEN + 1], why[600];
    int need = s_connect_needs(endpoint, key, why, sizeof why);
    if (need < 0) opts_die(option, endpoint, why);
    if (need > 0) s_check_pair();
}

void curve_check_opts(void)
{
    for (int i = 0; i < opts_common.sub.n; i++) curve_check_connect("sub", opts_common.sub.v[i]);
    for (int i = 0; i < opts_common.expose.n; i++) {
        const char *v = opts_common.expose.v[i];
        if (!s_is_tcp(v) || strchr(v, '#'))
            opts_die("expose", v, "expected tcp://ADDR:PORT");
    }
    int tcp_pub = opts_common.pub && s_is_tcp(opts_common.pub);
    if (!(tcp_pub || opts_common.expose.n) || opts_common.insecure) return;
    s_check_pair();
    if (!opts_common.curve_allow || !*opts_common.curve_allow)
        opts_die("curve-allow", "",
                 "a tcp publisher admits only the public keys of an allow-file: give "
                 "--curve-allow FILE (TICKBUS_CURVE_ALLOW), one public key per line");
    char why[600];
    strlist_t keys = {0};
    int c = s_read_allow(opts_common.curve_allow, &keys, why, sizeof why);
    strlist_clear(&keys);
    if (c < 0) opts_die("curve-allow", opts_common.curve_allow, why);
    if (c == 0)
        log_warnx("--curve-allow %s lists no key: every peer will be refused",
                  opts_common.curve_allow);
}

void curve_stats(curve_stats_t *st)
{
    st->peers = atomic_load(&S.peers);
    st->refused_key = atomic_load(&S.refused_key);
    st->refused_protocol = atomic_load(&S.refused_protocol);
    st->refused = st->refused_key + st->refused_protocol;
}

void curve_hb(jw_t *w)
{
    if (!S.used) return;
    curve_stats_t st;
    curve_stats(&st);
    jw_key(w, "curve");
    jw_obj(w);
    jw_kuint(w, "peers", st.peers);
    jw_kuint(w, "refused", st.refused);
    jw_kuint(w, "refused_key", st.refused_key);
    jw_kuint(w, "refused_protocol", st.refused_protocol);
    jw_kuint(w, "connected", atomic_load(&S.out_ok));
    jw_kuint(w, "connect_failed", atomic_load(&S.out_failed));
    jw_kuint(w, "disconnects", atomic_load(&S.disconnects));
    jw_kint(w, "insecure", atomic_load(&S.insecure_used));
    jw_obj_end(w);
}

void curve_stop(void)
{
    pthread_mutex_lock(&S.mu);
    int running = S.running;
    S.running = 0;
    pthread_mutex_unlock(&S.mu);
    if (running) {
        atomic_store(&S.stop, 1);
        pthread_join(S.th, NULL);
    } else if (S.zap) {
        zmq_close(S.zap);
        S.zap = NULL;
    }
    strlist_clear(&S.allow);
    memset(&S.me, 0, sizeof S.me);
    S.have_me = 0;
}

/* ---- tests ---- */

#define T_CHECK(c)                                                                                 \
    do {                                                                                           \
        if (!(c)) {                                                                                \
            fprintf(stderr, "curve_test:%d: %s\n", __LINE__, #c);                                  \
            rc = -1;                                                                               \
        }                                                                                          \
    } while (0)

int curve_test(void)
{
    int rc = 0;
    char why[600], dir[] = "/tmp/tickbus-curve-test-XXXXXX", base[64], path[96];
    if (!mkdtemp(dir)) return -1;
    snprintf(base, sizeof base, "%s/h", dir);
    curve_pair_t k, r;
    /* keygen writes a pair that loads back, and never overwrites it */
    T_CHECK(curve_keygen(base, &k, why, sizeof why) == 0);
    T_CHECK(curve_keygen(base, &r, why, sizeof why) < 0 && strstr(why, "never overwrites"));
    snprintf(path, sizeof path, "%s.key", base);
    struct stat st;
    T_CHECK(stat(path, &st) == 0 && (st.st_mode & 077) == 0);
    T_CHECK(curve_load_pair(path, &r, why, sizeof why) == 0 && !strcmp(r.pub, k.pub) &&
            !strcmp(r.sec, k.sec));
    /* a key file others may read is refused with the mode and chmod 600 */
    chmod(path, 0640);
    T_CHECK(curve_load_pair(path, &r, why, sizeof why) < 0 && strstr(why, "chmod 600"));
    chmod(path, 0600);
    /* the .pub names the same public key; a Z85 argument is taken as a key */
    char pub[CURVE_Z85_LEN + 1];
    snprintf(path, sizeof path, "%s.pub", base);
    T_CHECK(curve_load_public(path, pub, why, sizeof why) == 0 && !strcmp(pub, k.pub));
    T_CHECK(curve_load_public(k.pub, pub, why, sizeof why) == 0 && !strcmp(pub, k.pub));
    T_CHECK(curve_load_public("tooshort", pub, why, sizeof why) < 0 && strstr(why, "neither"));
    snprintf(path, sizeof path, "%s/fifo", dir);
    T_CHECK(mkfifo(path, 0600) == 0);
    T_CHECK(curve_load_public(path, pub, why, sizeof why) < 0 && strstr(why, "not a regular"));
    unlink(path);
    /* a path of 40 Z85 characters is a file, not a key */
    char p40[64];
    snprintf(p40, sizeof p40, "%s/", dir);
    while (strlen(p40) < CURVE_Z85_LEN) strcat(p40, "x");
    T_CHECK(s_z85_ok(p40, strlen(p40)));
    snprintf(path, sizeof path, "%s.pub", base);
    T_CHECK(link(path, p40) == 0);
    T_CHECK(curve_load_public(p40, pub, why, sizeof why) == 0 && !strcmp(pub, k.pub));
    unlink(p40);
    T_CHECK(curve_load_pair(path, &r, why, sizeof why) < 0); /* a .pub is no pair */
    /* a pair whose halves do not belong together is refused */
    snprintf(path, sizeof path, "%s/mixed.key", dir);
    FILE *f = fopen(path, "w");
    if (f) {
        curve_pair_t o;
        zmq_curve_keypair(o.pub, o.sec);
        fprintf(f, "curve\n    public-key = \"%s\"\n    secret-key = \"%s\"\n", k.pub, o.sec);
        fclose(f);
        chmod(path, 0600);
    }
    T_CHECK(curve_load_pair(path, &r, why, sizeof why) < 0 && strstr(why, "does not belong"));
    unlink(path);
    /* allow-file text: bare keys (with a name), zcert lines, comments; a bad line is named */
    strlist_t keys = {0};
    char text[512];
    snprintf(text, sizeof text, "# hosts\n%s host-a\n\n  public-key = \"%s\"\n%s\n", k.pub,
             pub, k.pub);
    T_CHECK(curve_parse(text, strlen(text), 1, &keys, NULL, why, sizeof why) == 3 && keys.n == 1);
    strlist_clear(&keys);
    T_CHECK(curve_parse("x\n", 2, 1, &keys, NULL, why, sizeof why) < 0 && strstr(why, "line 1"));
    T_CHECK(curve_parse("public-key = \"short\"\n", 21, 1, &keys, NULL, why, sizeof why) < 0);
    T_CHECK(curve_parse("meta", 4, 1, &keys, NULL, why, sizeof why) < 0);
    strlist_clear(&keys);
    /* PORT+1 next to a tcp endpoint, the key kept; not for other transports */
    char ep[BUS_EP_MAX];
    T_CHECK(bus_tcp_next("tcp://10.0.0.2:7101#/k/a.pub", 1, ep, sizeof ep) == 0 &&
            !strcmp(ep, "tcp://10.0.0.2:7102#/k/a.pub"));
    T_CHECK(bus_tcp_next("tcp://[::1]:7101", 1, ep, sizeof ep) == 0 &&
            !strcmp(ep, "tcp://[::1]:7102"));
    T_CHECK(bus_tcp_next("ipc:///x/a.pub", 1, ep, sizeof ep) < 0);
    T_CHECK(bus_tcp_next("tcp://h:65535", 1, ep, sizeof ep) < 0);
    T_CHECK(bus_tcp_next("tcp://h:x", 1, ep, sizeof ep) < 0);
    snprintf(path, sizeof path, "%s.key", base);
    unlink(path);
    snprintf(path, sizeof path, "%s.pub", base);
    unlink(path);
    rmdir(dir);
    return rc;
}
