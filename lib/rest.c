/* rest: the asynchronous HTTPS GET client (see rest.h).
 * Requests wait in a small queue while a 429 backoff runs; one at a time per
 * (kind, tag) so that polling cannot pile up behind a slow server. */
#include "rest.h"
#include "clock.h"
#include "log.h"
#include "util.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REST_TIMEOUT_MS 10000L
#define REST_MAX_PAGES 10
#define REST_MAX_BODY (8u << 20)

typedef struct s_req {
    struct s_req *next;
    CURL *easy;
    char *path;   /* as submitted, without the cursor */
    char tag[96];
    int kind, paged, pages, tries;
    char *body;
    size_t len;
    json_t *acc;  /* merged first page when paging */
    struct curl_slist *hdrs;
    int64_t not_before; /* mono ns */
} s_req_t;

struct rest {
    char *base;
    char base_path[128]; /* "/trade-api/v2": signed prefix */
    char *ca_file;
    char name[32];
    rest_sign_fn *sign;
    void *sign_arg;
    rest_cb *cb;
    void *arg;
    CURLM *multi;
    s_req_t *queue;   /* waiting */
    s_req_t *active;  /* in curl */
    int nactive;
    int backoff_n;
    int64_t backoff_until;
    rest_stats_t st;
};

void rest_global(int init)
{
    if (init) curl_global_init(CURL_GLOBAL_DEFAULT);
    else curl_global_cleanup();
}

rest_t *rest_new(const char *name, const char *base_url, const char *ca_file, rest_sign_fn *sign,
                 void *sign_arg, rest_cb *cb, void *arg)
{
    if (strncmp(base_url, "https://", 8)) return NULL;
    rest_t *r = xcalloc(1, sizeof *r);
    r->base = xstrdup(base_url);
    size_t bl = strlen(r->base);
    while (bl > 8 && r->base[bl - 1] == '/') r->base[--bl] = 0;
    const char *p = strchr(r->base + 8, '/');
    snprintf(r->base_path, sizeof r->base_path, "%s", p ? p : "");
    r->ca_file = ca_file && *ca_file ? xstrdup(ca_file) : NULL;
    snprintf(r->name, sizeof r->name, "%s", name);
    r->sign = sign;
    r->sign_arg = sign_arg;
    r->cb = cb;
    r->arg = arg;
    r->multi = curl_multi_init();
    return r;
}

static void s_req_free(s_req_t *q)
{
    if (q->easy) curl_easy_cleanup(q->easy);
    curl_slist_free_all(q->hdrs);
    json_decref(q->acc);
    free(q->body);
    free(q->path);
    free(q);
}

void rest_destroy(rest_t **rp)
{
    if (!rp || !*rp) return;
    rest_t *r = *rp;
    for (s_req_t *q = r->active, *n; q; q = n) {
        n = q->next;
        curl_multi_remove_handle(r->multi, q->easy);
        s_req_free(q);
    }
    for (s_req_t *q = r->queue, *n; q; q = n) {
        n = q->next;
        s_req_free(q);
    }
    curl_multi_cleanup(r->multi);
    free(r->base);
    free(r->ca_file);
    free(r);
    *rp = NULL;
}

const rest_stats_t *rest_stats(const rest_t *r) { return &r->st; }

int rest_get(rest_t *r, const char *path, int kind, const char *tag, int paged)
{
    const s_req_t *lists[2] = {r->queue, r->active};
    for (int i = 0; i < 2; i++)
        for (const s_req_t *q = lists[i]; q; q = q->next)
            if (q->kind == kind && !strcmp(q->tag, tag ? tag : "")) return -1;
    s_req_t *q = xcalloc(1, sizeof *q);
    q->path = xstrdup(path);
    snprintf(q->tag, sizeof q->tag, "%s", tag ? tag : "");
    q->kind = kind;
    q->paged = paged;
    s_req_t **pp = &r->queue;
    while (*pp) pp = &(*pp)->next;
    *pp = q;
    return 0;
}

static size_t s_write(char *ptr, size_t size, size_t nmemb, void *ud)
{
    s_req_t *q = ud;
    size_t n = size * nmemb;
    if (q->len + n > REST_MAX_BODY) return 0;
    q->body = xrealloc(q->body, q->len + n + 1);
    memcpy(q->body + q->len, ptr, n);
    q->len += n;
    q->body[q->len] = 0;
    return n;
}

static void s_start(rest_t *r, s_req_t *q, const char *cursor)
{
    char url[2048];
    const char *sep = strchr(q->path, '?') ? "&" : "?";
    if (cursor) {
        char *esc = curl_easy_escape(NULL, cursor, 0);
        snprintf(url, sizeof url, "%s%s%scursor=%s", r->base, q->path, sep, esc ? esc : "");
        curl_free(esc);
    } else {
        snprintf(url, sizeof url, "%s%s", r->base, q->path);
    }
    if (q->easy) curl_easy_cleanup(q->easy);
    curl_slist_free_all(q->hdrs);
    q->hdrs = NULL;
    free(q->body);
    q->body = NULL;
    q->len = 0;
    CURL *e = q->easy = curl_easy_init();
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, REST_TIMEOUT_MS);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, REST_TIMEOUT_MS);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, s_write);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, q);
    curl_easy_setopt(e, CURLOPT_PRIVATE, q);
    char ua[64];
    snprintf(ua, sizeof ua, "tickbus-feed-%s/" TB_VERSION, r->name);
    curl_easy_setopt(e, CURLOPT_USERAGENT, ua);
    curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "https");
    if (r->ca_file) {
        /* An extra anchor next to the system store: verification stays on. */
        curl_easy_setopt(e, CURLOPT_CAINFO, r->ca_file);
    }
    q->hdrs = curl_slist_append(q->hdrs, "Accept: application/json");
    if (r->sign) {
        char path[1024], lines[2048];
        size_t pl = strcspn(q->path, "?");
        snprintf(path, sizeof path, "%s%.*s", r->base_path, (int)pl, q->path);
        if (r->sign(r->sign_arg, "GET", path, lines, sizeof lines) == 0)
            for (char *l = lines, *nl; *l; l = nl + 1) {
                if (!(nl = strchr(l, '\n'))) break;
                *nl = 0;
                q->hdrs = curl_slist_append(q->hdrs, l);
            }
    }
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, q->hdrs);
    curl_multi_add_handle(r->multi, e);
    q->next = r->active;
    r->active = q;
    r->nactive++;
    r->st.requests++;
}

static void s_unlink_active(rest_t *r, s_req_t *q)
{
    for (s_req_t **pp = &r->active; *pp; pp = &(*pp)->next)
        if (*pp == q) {
            *pp = q->next;
            r->nactive--;
            return;
        }
}

static void s_backoff(rest_t *r)
{
    double cap = 0.5 * (double)(1 << (r->backoff_n < 6 ? r->backoff_n : 6)); /* 0.5 .. 32 s */
    if (cap > 30) cap = 30;
    r->backoff_n++;
    double d = cap * ((double)random() / (double)RAND_MAX); /* full jitter */
    if (d < 0.2) d = 0.2;
    r->st.backoff_s = d;
    r->backoff_until = clock_mono_ns() + (int64_t)(d * 1e9);
}

static void s_requeue(rest_t *r, s_req_t *q)
{
    curl_easy_cleanup(q->easy);
    q->easy = NULL;
    q->next = r->queue;
    r->queue = q;
}

static void s_done(rest_t *r, s_req_t *q, CURLcode cc)
{
    long http = 0;
    curl_easy_getinfo(q->easy, CURLINFO_RESPONSE_CODE, &http);
    curl_multi_remove_handle(r->multi, q->easy);
    s_unlink_active(r, q);
    char err[160] = "";
    if (cc != CURLE_OK) {
        snprintf(err, sizeof err, "%s", curl_easy_strerror(cc));
        http = 0;
    }
    if (http == 429 || http >= 500 || cc != CURLE_OK) {
        if (http == 429) r->st.http_429++;
        s_backoff(r);
        log_warnx_rl("%s: REST %s%s: %s, backing off %.1f s", r->name, r->base_path, q->path,
                     http == 429 ? "HTTP 429 too many requests" : http ? "server error" : err,
                     r->st.backoff_s);
        if (++q->tries <= 4 && (http == 429 || http >= 500)) {
            r->st.retries++;
            s_requeue(r, q);
            return;
        }
        r->st.errors++;
        if (!err[0]) snprintf(err, sizeof err, "HTTP %ld", http);
        r->cb(r->arg, q->kind, q->tag, http, NULL, err);
        s_req_free(q);
        return;
    }
    r->backoff_n = 0;
    r->st.backoff_s = 0;
    if (http != 200) {
        r->st.errors++;
        snprintf(err, sizeof err, "HTTP %ld", http);
        r->cb(r->arg, q->kind, q->tag, http, NULL, err);
        s_req_free(q);
        return;
    }
    json_error_t je;
    json_t *root = q->body ? json_loadb(q->body, q->len, 0, &je) : NULL;
    if (!root || !json_is_object(root)) {
        r->st.bad_json++;
        r->st.errors++;
        log_warnx_rl("%s: REST %s: unparsable body", r->name, q->path);
        json_decref(root);
        r->cb(r->arg, q->kind, q->tag, http, NULL, "bad json");
        s_req_free(q);
        return;
    }
    r->st.ok++;
    if (q->paged) {
        json_t *mk = json_object_get(root, "markets");
        if (!q->acc) q->acc = json_incref(root);
        else if (json_is_array(mk)) json_array_extend(json_object_get(q->acc, "markets"), mk);
        const char *cur = json_string_value(json_object_get(root, "cursor"));
        if (cur && *cur && json_is_array(mk) && json_array_size(mk) > 0 &&
            ++q->pages < REST_MAX_PAGES) {
            char cursor[512];
            snprintf(cursor, sizeof cursor, "%s", cur);
            json_decref(root);
            r->st.pages++;
            s_start(r, q, cursor);
            return;
        }
        json_decref(root);
        root = json_incref(q->acc);
    }
    r->cb(r->arg, q->kind, q->tag, http, root, NULL);
    json_decref(root);
    s_req_free(q);
}

void rest_poll(rest_t *r)
{
    int64_t now = clock_mono_ns();
    /* Start queued requests unless a backoff runs; at most 4 in flight. */
    while (r->queue && now >= r->backoff_until && r->nactive < 4) {
        s_req_t *q = r->queue;
        r->queue = q->next;
        s_start(r, q, NULL);
    }
    int running;
    curl_multi_perform(r->multi, &running);
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(r->multi, &left))) {
        if (m->msg != CURLMSG_DONE) continue;
        s_req_t *q = NULL;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&q);
        if (q) s_done(r, q, m->data.result);
    }
}

void rest_wait(rest_t *r, int timeout_ms)
{
    int n;
    curl_multi_poll(r->multi, NULL, 0, timeout_ms, &n);
}
