/* rest: an asynchronous HTTPS GET client on libcurl's multi interface, so that
 * it never blocks a websocket loop (feed-kalshi's REST API, feed-bitstamp's
 * order book for the data-path probe). 10 s total timeout per call, HTTP 429
 * (and 5xx, network errors) answered with exponential backoff and full
 * jitter, cursor paging (Kalshi's /markets), requests signed by a hook when
 * one is given. Responses are parsed with jansson. TLS verification is on. */
#ifndef TB_KALSHI_REST_H
#define TB_KALSHI_REST_H

#include <jansson.h>
#include <stdint.h>

/* ROOT: the parsed body on HTTP 200 (borrowed for the call), else NULL with
 * HTTP the status (0: transport error) and ERR a short reason. KIND and TAG
 * are what the request was submitted with. */
typedef void(rest_cb)(void *arg, int kind, const char *tag, long http, json_t *root,
                             const char *err);

typedef struct {
    uint64_t requests, ok, errors, http_429, retries, pages, bad_json;
    double backoff_s; /* current backoff (0 when none) */
} rest_stats_t;

typedef struct rest rest_t;

/* Headers for GET PATH (the URL's path, base path included, no query): up to
 * N bytes of "Name: value" lines, each ended by '\n', into OUT. 0, or -1 to
 * send the request unsigned. */
typedef int(rest_sign_fn)(void *arg, const char *method, const char *path, char *out, size_t n);

/* NAME ("kalshi", "bitstamp"): the log lines' and the User-Agent's; BASE_URL
 * "https://host[:port]/trade-api/v2"; CA_FILE an extra trust anchor or NULL
 * (verification stays on); SIGN NULL: unsigned. NULL if BASE_URL is not https. */
rest_t *rest_new(const char *name, const char *base_url, const char *ca_file, rest_sign_fn *sign,
                 void *sign_arg, rest_cb *cb, void *arg);
void rest_destroy(rest_t **r);
/* Queue GET BASE_URL + PATH (PATH starts with '/', may carry a query). With
 * PAGED, follow "cursor" for up to 10 pages, merging the "markets" arrays.
 * Returns 0, or -1 when the same KIND+TAG is already queued (not re-queued). */
int rest_get(rest_t *r, const char *path, int kind, const char *tag, int paged);
/* Make progress without blocking; completed requests call the callback. */
void rest_poll(rest_t *r);
/* Wait up to TIMEOUT_MS for socket activity (for loops without lws). */
void rest_wait(rest_t *r, int timeout_ms);
const rest_stats_t *rest_stats(const rest_t *r);

/* Global curl init/cleanup (once per process). */
void rest_global(int init);

#endif
