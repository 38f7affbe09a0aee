/* kalshi_rest: Kalshi's REST API for feed-kalshi, asynchronous on libcurl's
 * multi interface so that it never blocks the websocket loop. 10 s total
 * timeout per call, HTTP 429 (and 5xx, network errors) answered with
 * exponential backoff and full jitter, cursor paging for /markets, requests
 * signed when a key is configured. Responses are parsed with jansson. */
#ifndef TB_KALSHI_REST_H
#define TB_KALSHI_REST_H

#include "kalshi_auth.h"

#include <jansson.h>
#include <stdint.h>

/* ROOT: the parsed body on HTTP 200 (borrowed for the call), else NULL with
 * HTTP the status (0: transport error) and ERR a short reason. KIND and TAG
 * are what the request was submitted with. */
typedef void(kalshi_rest_cb)(void *arg, int kind, const char *tag, long http, json_t *root,
                             const char *err);

typedef struct {
    uint64_t requests, ok, errors, http_429, retries, pages, bad_json;
    double backoff_s; /* current backoff (0 when none) */
} kalshi_rest_stats_t;

typedef struct kalshi_rest kalshi_rest_t;

/* BASE_URL "https://host[:port]/trade-api/v2"; CA_FILE an extra trust anchor
 * or NULL (verification stays on); AUTH borrowed, may be NULL (unsigned). */
kalshi_rest_t *kalshi_rest_new(const char *base_url, const char *ca_file,
                               const kalshi_auth_t *auth, kalshi_rest_cb *cb, void *arg);
void kalshi_rest_destroy(kalshi_rest_t **r);
/* Queue GET BASE_URL + PATH (PATH starts with '/', may carry a query). With
 * PAGED, follow "cursor" for up to 10 pages, merging the "markets" arrays.
 * Returns 0, or -1 when the same KIND+TAG is already queued (not re-queued). */
int kalshi_rest_get(kalshi_rest_t *r, const char *path, int kind, const char *tag, int paged);
/* Make progress without blocking; completed requests call the callback. */
void kalshi_rest_poll(kalshi_rest_t *r);
/* Wait up to TIMEOUT_MS for socket activity (for loops without lws). */
void kalshi_rest_wait(kalshi_rest_t *r, int timeout_ms);
const kalshi_rest_stats_t *kalshi_rest_stats(const kalshi_rest_t *r);

/* Global curl init/cleanup (once per process). */
void kalshi_rest_global(int init);

#endif
