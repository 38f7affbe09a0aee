/* hb: heartbeat publisher and systemd notification for every program (see
 * hb.h). The watchdog program reads what this writes. */
#include "hb.h"
#include "curve.h"
#include "clock.h"
#include "log.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

struct hb {
    bus_pub_t *pub;
    hb_detail_fn *detail;
    void *arg;
    char topic[80];
    const char *state;
    const char *blocked;
    uint64_t progress, progress_at_ping;
    int64_t start_mono, last_pub_mono, last_move_mono;
    jw_t w;
};

hb_t *hb_new(bus_pub_t *pub, hb_detail_fn *detail, void *arg)
{
    hb_t *h = xcalloc(1, sizeof *h);
    h->pub = pub;
    h->detail = detail;
    h->arg = arg;
    snprintf(h->topic, sizeof h->topic, "hb.%s", bus_pub_name(pub));
    h->state = "ok";
    h->start_mono = h->last_move_mono = clock_mono_ns();
    jw_init(&h->w, 1024);
    return h;
}

void hb_destroy(hb_t **hp)
{
    if (!hp || !*hp) return;
    sd_notify(0, "STOPPING=1");
    jw_free(&(*hp)->w);
    free(*hp);
    *hp = NULL;
}

void hb_progress(hb_t *h, uint64_t n)
{
    if (!n) return;
    h->progress += n;
    h->last_move_mono = clock_mono_ns();
}


void hb_state(hb_t *h, const char *state) { h->state = state; }

void hb_blocked(hb_t *h, const char *reason) { h->blocked = reason; }

void hb_ready(hb_t *h, const char *status)
{
    (void)h;
    sd_notifyf(0, "READY=1\nSTATUS=%s\nMAINPID=%d", status ? status : "running", (int)getpid());
}

double hb_idle_s(const hb_t *h)
{
    return (double)(clock_mono_ns() - h->last_move_mono) / NS_PER_S;
}

/* Write the hb payload fragment into W. */
static void s_write(hb_t *h, jw_t *w)
{
    jw_fragment(w);
    jw_kint(w, "pid", (int64_t)getpid());
    jw_kint(w, "up_s", (clock_mono_ns() - h->start_mono) / NS_PER_S);
    jw_kstr(w, "state", h->state);
    jw_kuint(w, "progress", h->progress);
    jw_kdbl(w, "idle_s", hb_idle_s(h), 1);
    jw_kuint(w, "pub_drops", bus_pub_drops(h->pub));
    curve_hb(w);
    if (h->blocked) jw_kstr(w, "blocked", h->blocked);
    if (h->detail) h->detail(w, h->arg);
}

int hb_tick(hb_t *h)
{
    int64_t now = clock_mono_ns();
    if (h->last_pub_mono && now - h->last_pub_mono < NS_PER_S) return 0;
    h->last_pub_mono = now;
    s_write(h, &h->w);
    bus_pub_send(h->pub, h->topic, h->w.buf, h->w.len, clock_real_ns(), -1);
    /* alive and useful, or alive and waiting on the outside world */
    if (h->progress != h->progress_at_ping || h->blocked) {
        h->progress_at_ping = h->progress;
        sd_notify(0, "WATCHDOG=1");
    }
    return 1;
}

static void s_test_detail(jw_t *w, void *arg)
{
    jw_kint(w, "reconnects", *(int *)arg);
}

int hb_test(void)
{
    int rc = 0, rec = 3;
    char dir[] = "/tmp/tickbus-hbtest-XXXXXX", ep[BUS_EP_MAX];
    if (!mkdtemp(dir)) return -1;
    bus_endpoint(dir, "hbtest", ep, sizeof ep);
    bus_pub_t *p = bus_pub_new("hbtest", ep, 0);
    if (!p) return -1;
    hb_t *h = hb_new(p, s_test_detail, &rec);
    hb_progress(h, 5);
    hb_state(h, "degraded");
    jw_t w;
    jw_init(&w, 64);
    s_write(h, &w);
    hb_blocked(h, "disk");
    jw_t wb;
    jw_init(&wb, 64);
    s_write(h, &wb);
    if (!strstr(wb.buf, "\"blocked\":\"disk\"")) rc = -1;
    hb_blocked(h, NULL);
    s_write(h, &wb);
    if (strstr(wb.buf, "blocked")) rc = -1;
    jw_free(&wb);
    if (!strstr(w.buf, "\"state\":\"degraded\"") || !strstr(w.buf, "\"progress\":5") ||
        !strstr(w.buf, "\"reconnects\":3") || !strstr(w.buf, "\"pid\":")) {
        fprintf(stderr, "hb_test: payload %s\n", w.buf);
        rc = -1;
    }
    if (hb_tick(h) != 1 || hb_tick(h) != 0) rc = -1; /* once a second, not more */
    jw_free(&w);
    hb_destroy(&h);
    bus_pub_destroy(&p);
    char path[600];
    snprintf(path, sizeof path, "%s/hbtest.pub", dir);
    unlink(path);
    rmdir(dir);
    return rc;
}
