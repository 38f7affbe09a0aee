/* mxlog: mockx's --log file, one JSON line per client frame, HTTP request and
 * connection event, flushed at once so tests can assert on what a feed sent. */
#include "mx.h"

#include "clock.h"
#include "jw.h"
#include "log.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

static FILE *s_f;
static jw_t s_w;

int mx_log_open(const char *path)
{
    s_f = fopen(path, "a");
    if (!s_f) return -1;
    jw_init(&s_w, 1024);
    return 0;
}

void mx_log_close(void)
{
    if (s_f) fclose(s_f);
    s_f = NULL;
    jw_free(&s_w);
}

static void s_head(int venue, int conn, const char *kind)
{
    char ts[40];
    int64_t now = clock_real_ns();
    jw_reset(&s_w);
    jw_obj(&s_w);
    jw_kstr(&s_w, "t", clock_fmt_iso_ms(now, ts, sizeof ts));
    jw_kint(&s_w, "ts_ms", now / NS_PER_MS);
    jw_kstr(&s_w, "venue", mx_venue_names[venue]);
    jw_kint(&s_w, "conn", conn);
    jw_kstr(&s_w, "kind", kind);
}

static void s_tail(void)
{
    jw_obj_end(&s_w);
    fwrite(s_w.buf, 1, s_w.len, s_f);
    fputc('\n', s_f);
    fflush(s_f);
}

void mx_log_frame(int venue, int conn, const char *s, size_t n)
{
    if (!s_f) return;
    s_head(venue, conn, "frame");
    jw_kint(&s_w, "len", (int64_t)n);
    jw_key(&s_w, "text");
    jw_strn(&s_w, s, n);
    /* a JSON frame also goes in as it was sent, so tests can match it unescaped */
    json_t *j = json_loadb(s, n, 0, NULL);
    if (j && (json_is_object(j) || json_is_array(j)) && !memchr(s, '\n', n)) {
        jw_key(&s_w, "json");
        jw_raw(&s_w, s, n);
    }
    json_decref(j);
    s_tail();
}

void mx_log_http(int venue, int conn, const char *method, const char *path, const char *query,
                 int status, int sig)
{
    if (!s_f) return;
    s_head(venue, conn, "http");
    jw_kstr(&s_w, "method", method);
    jw_kstr(&s_w, "path", path);
    if (query && *query) jw_kstr(&s_w, "query", query);
    jw_kint(&s_w, "status", status);
    if (sig >= 0) jw_kbool(&s_w, "sig_ok", sig);
    s_tail();
}

void mx_log_event(int venue, int conn, const char *what)
{
    if (!s_f) return;
    s_head(venue, conn, what);
    s_tail();
}
