/* httpd: libmicrohttpd wrapped for one-thread programs (see httpd.h); used by
 * tickbus-metrics to serve /metrics. */
#include "httpd.h"
#include "log.h"
#include "util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define CT_METRICS "text/plain; version=0.0.4; charset=utf-8"

struct httpd {
    struct MHD_Daemon *d;
    httpd_render_fn *render;
    void *arg;
    int epfd, port;
    unsigned long requests;
};

static const char s_index[] =
    "tickbus-metrics: Prometheus metrics of the tickbus pipeline at /metrics\n";

/* Split "host:port" / "[v6]:port" and resolve numerically-or-by-name. */
static int s_resolve(const char *listen, struct sockaddr_storage *ss, socklen_t *sl,
                     const char **why)
{
    char host[256];
    const char *colon = strrchr(listen, ':');
    if (!colon || !colon[1]) return *why = "want HOST:PORT", -1;
    size_t hl = (size_t)(colon - listen);
    const char *h = listen;
    if (hl >= 2 && listen[0] == '[' && listen[hl - 1] == ']') h++, hl -= 2;
    if (hl == 0 || hl >= sizeof host) return *why = "empty or too long host", -1;
    memcpy(host, h, hl);
    host[hl] = 0;
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (*end || port < 0 || port > 65535) return *why = "port not in 0..65535", -1;
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    if (getaddrinfo(host, colon + 1, &hints, &res) != 0 || !res)
        return *why = "host does not resolve", -1;
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    *sl = res->ai_addrlen;
    freeaddrinfo(res);
    return 0;
}

int httpd_check_listen(const char *listen, const char **why)
{
    struct sockaddr_storage ss;
    socklen_t sl;
    return s_resolve(listen, &ss, &sl, why);
}

static void s_mhd_log(void *cls, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
static void s_mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char buf[256];
    vsnprintf(buf, sizeof buf, fmt, ap);
    buf[strcspn(buf, "\n")] = 0;
    log_warnx_rl("httpd: %s", buf);
}

static enum MHD_Result s_reply(struct MHD_Connection *c, unsigned status, const char *ctype,
                               char *body, size_t len, enum MHD_ResponseMemoryMode mode)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(len, body, mode);
    if (!r) {
        if (mode == MHD_RESPMEM_MUST_FREE) free(body);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result s_on_request(void *cls, struct MHD_Connection *c, const char *url,
                                    const char *method, const char *version,
                                    const char *upload, size_t *upload_len, void **con_cls)
{
    httpd_t *h = cls;
    (void)version;
    (void)upload;
    if (*upload_len) { /* a body we do not want: swallow it, answer at the end */
        *upload_len = 0;
        return MHD_YES;
    }
    (void)con_cls;
    h->requests++;
    if (strcmp(method, "GET") && strcmp(method, "HEAD"))
        return s_reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain", (char *)"GET only\n", 9,
                       MHD_RESPMEM_PERSISTENT);
    if (!strcmp(url, "/metrics")) {
        size_t len = 0;
        char *body = h->render(h->arg, &len);
        return s_reply(c, MHD_HTTP_OK, CT_METRICS, body, len, MHD_RESPMEM_MUST_FREE);
    }
    if (!strcmp(url, "/"))
        return s_reply(c, MHD_HTTP_OK, "text/plain", (char *)s_index, sizeof s_index - 1,
                       MHD_RESPMEM_PERSISTENT);
    return s_reply(c, MHD_HTTP_NOT_FOUND, "text/plain", (char *)"not found\n", 10,
                   MHD_RESPMEM_PERSISTENT);
}

httpd_t *httpd_new(const char *listen, httpd_render_fn *render, void *arg)
{
    struct sockaddr_storage ss;
    socklen_t sl;
    const char *why;
    if (s_resolve(listen, &ss, &sl, &why) < 0) {
        log_warnx("httpd: listen address '%s': %s", listen, why);
        return NULL;
    }
    if (MHD_is_feature_supported(MHD_FEATURE_EPOLL) != MHD_YES) {
        log_warnx("httpd: this libmicrohttpd has no epoll support");
        return NULL;
    }
    httpd_t *h = xcalloc(1, sizeof *h);
    h->render = render;
    h->arg = arg;
    unsigned flags = MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
    if (ss.ss_family == AF_INET6) flags |= MHD_USE_IPv6;
    h->d = MHD_start_daemon(flags, 0, NULL, NULL, s_on_request, h,
                            MHD_OPTION_EXTERNAL_LOGGER, s_mhd_log, NULL,
                            MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
                            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)10,
                            MHD_OPTION_CONNECTION_LIMIT, (unsigned int)64,
                            MHD_OPTION_END);
    if (!h->d) {
        log_warnx("httpd: cannot listen on %s (in use, or not a local address?)", listen);
        free(h);
        return NULL;
    }
    const union MHD_DaemonInfo *i = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_EPOLL_FD);
    h->epfd = i ? i->epoll_fd : -1;
    i = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
    h->port = i ? i->port : 0;
    if (h->epfd < 0) {
        log_warnx("httpd: no epoll fd from libmicrohttpd");
        httpd_destroy(&h);
        return NULL;
    }
    return h;
}

void httpd_destroy(httpd_t **hp)
{
    if (!hp || !*hp) return;
    if ((*hp)->d) MHD_stop_daemon((*hp)->d);
    free(*hp);
    *hp = NULL;
}

int httpd_fd(const httpd_t *h) { return h->epfd; }
int httpd_port(const httpd_t *h) { return h->port; }
unsigned long httpd_requests(const httpd_t *h) { return h->requests; }

long httpd_timeout_ms(const httpd_t *h)
{
    MHD_UNSIGNED_LONG_LONG t;
    if (MHD_get_timeout(h->d, &t) != MHD_YES) return -1;
    return t > 60000 ? 60000 : (long)t;
}

void httpd_run(httpd_t *h) { MHD_run(h->d); }

/* ---- self-test: real requests over loopback TCP ---- */

static char *s_test_render(void *arg, size_t *len)
{
    (void)arg;
    char *b = xstrdup("test_metric 1\n");
    *len = strlen(b);
    return b;
}

/* Send REQ to PORT and collect the reply while driving H. */
static int s_test_get(httpd_t *h, const char *req, char *out, size_t n)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)h->port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        if (fd >= 0) close(fd);
        return -1;
    }
    if (write(fd, req, strlen(req)) != (ssize_t)strlen(req)) {
        close(fd);
        return -1;
    }
    size_t got = 0;
    for (int k = 0; k < 200; k++) { /* at most ~2 s */
        struct pollfd p[2] = {{h->epfd, POLLIN, 0}, {fd, POLLIN, 0}};
        poll(p, 2, 10);
        httpd_run(h);
        if (p[1].revents) {
            ssize_t r = read(fd, out + got, n - 1 - got);
            if (r <= 0) break;
            got += (size_t)r;
        }
    }
    out[got] = 0;
    close(fd);
    return (int)got;
}

int httpd_test(void)
{
    int rc = 0;
    const char *why;
    if (httpd_check_listen("127.0.0.1", &why) == 0 || httpd_check_listen("1.2.3.4:70000", &why) == 0 ||
        httpd_check_listen("[::1]:9464", &why) != 0 || httpd_check_listen("localhost:0", &why) != 0) {
        fprintf(stderr, "httpd_test: listen address checks\n");
        rc = -1;
    }
    httpd_t *h = httpd_new("127.0.0.1:0", s_test_render, NULL);
    if (!h || h->port <= 0) return -1;
    char buf[4096];
    if (s_test_get(h, "GET /metrics HTTP/1.0\r\n\r\n", buf, sizeof buf) <= 0 ||
        !strstr(buf, " 200 ") || !strstr(buf, "version=0.0.4") ||
        !strstr(buf, "\r\n\r\ntest_metric 1\n")) {
        fprintf(stderr, "httpd_test: /metrics answer: %s\n", buf);
        rc = -1;
    }
    if (s_test_get(h, "GET /nope HTTP/1.0\r\n\r\n", buf, sizeof buf) <= 0 || !strstr(buf, " 404 ")) {
        fprintf(stderr, "httpd_test: /nope answer: %s\n", buf);
        rc = -1;
    }
    if (s_test_get(h, "DELETE /metrics HTTP/1.0\r\n\r\n", buf, sizeof buf) <= 0 ||
        !strstr(buf, " 405 ")) {
        fprintf(stderr, "httpd_test: DELETE answer: %s\n", buf);
        rc = -1;
    }
    if (h->requests != 3) rc = -1;
    /* the same port twice cannot work */
    char again[64];
    snprintf(again, sizeof again, "127.0.0.1:%d", h->port);
    int save = log_level;
    log_level = 0;
    httpd_t *h2 = httpd_new(again, s_test_render, NULL);
    log_level = save;
    if (h2) {
        fprintf(stderr, "httpd_test: bound %s twice\n", again);
        httpd_destroy(&h2);
        rc = -1;
    }
    httpd_destroy(&h);
    return rc;
}
