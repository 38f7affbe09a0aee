/* httpd: the small HTTP server of tickbus-metrics, libmicrohttpd in its
 * external epoll mode so it lives inside the program's one zmq_poll loop (no
 * thread): poll httpd_fd() for input, call httpd_run() when it is readable or
 * httpd_timeout_ms() has passed. GET /metrics answers with the text the
 * render callback returns; anything else gets a short index or 404/405. */
#ifndef TB_HTTPD_H
#define TB_HTTPD_H

#include <stddef.h>

/* Return a malloc'ed body (caller of the callback frees it) and its length. */
typedef char *(httpd_render_fn)(void *arg, size_t *len);

typedef struct httpd httpd_t;

/* Listen on LISTEN ("127.0.0.1:9464", "[::1]:9464", "localhost:0" = any free
 * port). NULL on a bad address or when the port cannot be bound (logged). */
httpd_t *httpd_new(const char *listen, httpd_render_fn *render, void *arg);
void httpd_destroy(httpd_t **h);
/* Parse LISTEN without binding: 0 if usable, -1 (WHY set) otherwise. */
int httpd_check_listen(const char *listen, const char **why);
int httpd_fd(const httpd_t *h);           /* epoll fd to poll for POLLIN */
long httpd_timeout_ms(const httpd_t *h);  /* -1: no deadline */
void httpd_run(httpd_t *h);               /* do all pending work, never blocks */
int httpd_port(const httpd_t *h);         /* the port actually bound */
unsigned long httpd_requests(const httpd_t *h);

int httpd_test(void);

#endif
