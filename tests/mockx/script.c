/* script: mockx's script files (docs/MOCKX.md, 'Script mode'). Each line is a
 * frame sent verbatim or a {"mockx":...} directive; the names are the ones test
 * scenarios use. */
#include "mx.h"

#include "log.h"
#include "util.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const s_ack_marks[MX_NVENUES] = {
    [MX_COINBASE] = "\"channel\":\"subscriptions\"",
    [MX_KRAKEN] = "\"method\":\"subscribe\"",
    [MX_BITSTAMP] = "\"bts:subscription_succeeded\"",
    [MX_KALSHI] = "\"type\":\"subscribed\"",
    [MX_GEMINI] = NULL, /* v2 acknowledges nothing: mockx never answers a subscribe */
    [MX_CRYPTOCOM] = "\"code\":0,\"channel\":\"", /* the bare ack, not data (id -1, "result") */
};

static void s_bad(const char *path, int lineno, const char *why)
{
    fprintf(stderr, "mockx: --script: %s line %d: %s\n", path, lineno, why);
    exit(64);
}

mx_script_t *mx_script_load(int venue, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "mockx: --script: cannot open '%s'\n", path);
        exit(64);
    }
    mx_script_t *sc = xcalloc(1, sizeof *sc);
    sc->path = xstrdup(path);
    int cap = 0, lineno = 0;
    char *line = NULL;
    size_t lcap = 0;
    ssize_t len;
    while ((len = getline(&line, &lcap, f)) >= 0) {
        lineno++;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = '\0';
        if (len == 0) continue;
        if (sc->n == cap) {
            cap = cap ? 2 * cap : 64;
            sc->v = xrealloc(sc->v, (size_t)cap * sizeof *sc->v);
        }
        mx_line_t *l = &sc->v[sc->n];
        memset(l, 0, sizeof *l);
        l->kind = MX_L_FRAME;
        json_t *j = NULL;
        if (strstr(line, "\"mockx\"")) j = json_loadb(line, (size_t)len, 0, NULL);
        json_t *d = j && json_is_object(j) ? json_object_get(j, "mockx") : NULL;
        if (d) {
            const char *name = json_string_value(d);
            if (!name) s_bad(path, lineno, "\"mockx\" must name a directive");
            if (!strcmp(name, "await_subscribe")) l->kind = MX_L_AWAIT_SUB;
            else if (!strcmp(name, "sleep")) {
                l->kind = MX_L_SLEEP;
                json_t *ms = json_object_get(j, "ms");
                if (!json_is_number(ms) || json_number_value(ms) < 0)
                    s_bad(path, lineno, "sleep needs \"ms\" >= 0");
                l->n = (long)json_number_value(ms);
            } else if (!strcmp(name, "stall")) l->kind = MX_L_STALL;
            else if (!strcmp(name, "mute")) l->kind = MX_L_MUTE;
            else if (!strcmp(name, "close")) l->kind = MX_L_CLOSE;
            else if (!strcmp(name, "raw")) {
                l->kind = MX_L_RAW;
                json_t *t = json_object_get(j, "text");
                if (!json_is_string(t)) s_bad(path, lineno, "raw needs \"text\"");
                l->text = xstrndup(json_string_value(t), json_string_length(t));
                l->len = json_string_length(t);
            } else if (!strcmp(name, "big")) {
                l->kind = MX_L_BIG;
                json_t *b = json_object_get(j, "bytes");
                if (!json_is_integer(b) || json_integer_value(b) < 32 ||
                    json_integer_value(b) > 512L * 1024 * 1024)
                    s_bad(path, lineno, "big needs \"bytes\" between 32 and 512 MiB");
                l->n = (long)json_integer_value(b);
            } else if (!strcmp(name, "hang_handshake")) {
                if (sc->n != 0) s_bad(path, lineno, "hang_handshake must be the first line");
                l->kind = MX_L_HANG;
            } else {
                s_bad(path, lineno, "unknown directive");
            }
        } else {
            l->text = xstrndup(line, (size_t)len);
            l->len = (size_t)len;
            if (s_ack_marks[venue] && strstr(line, s_ack_marks[venue])) sc->owns_acks = 1;
        }
        json_decref(j);
        sc->n++;
    }
    free(line);
    fclose(f);
    log_info("script venue=%s file=%s lines=%d acks_from_script=%d", mx_venue_names[venue], path,
             sc->n, sc->owns_acks);
    return sc;
}

void mx_script_destroy(mx_script_t **p)
{
    if (!p || !*p) return;
    mx_script_t *sc = *p;
    for (int i = 0; i < sc->n; i++) free(sc->v[i].text);
    free(sc->v);
    free(sc->path);
    free(sc);
    *p = NULL;
}
