/* hbfake: a stand-in program for the watchdog tests. It publishes hb.NAME
 * through lib/hb like every real program, makes progress --rate times a
 * second, and misbehaves on request: SIGUSR1 toggles frozen progress, SIGUSR2
 * toggles silence (no hb on the bus, yet still WATCHDOG=1 to systemd, so only
 * the bus watchdog can notice). SIGSTOP makes it hang for real. */
#include "bus.h"
#include "clock.h"
#include "hb.h"
#include "log.h"
#include "opts.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <time.h>

static double o_rate;
static int o_frozen, o_silent;
static volatile sig_atomic_t s_stop, s_freeze_toggle, s_silence_toggle;

static const opt_t s_opts[] = {
    {"rate", OPT_DBL, &o_rate, "10", 0.1, 1000, NULL, "progress steps per second", 0},
    {"frozen", OPT_BOOL, &o_frozen, "0", 1, 0, NULL, "start with progress frozen", 0},
    {"silent", OPT_BOOL, &o_silent, "0", 1, 0, NULL, "start without publishing hb", 0},
    {NULL, 0, NULL, NULL, 0, 0, NULL, NULL, 0},
};

static void s_on_signal(int sig)
{
    if (sig == SIGUSR1) s_freeze_toggle = 1;
    else if (sig == SIGUSR2) s_silence_toggle = 1;
    else s_stop = 1;
}

int main(int argc, char **argv)
{
    opts_parse("hbfake", "Publish hb.NAME like a tickbus program; SIGUSR1 freezes progress, "
               "SIGUSR2 stops the hb.", s_opts, argc, argv, NULL);
    char ep[BUS_EP_MAX];
    if (bus_pub_endpoint(opts_common.bus, opts_common.pub, opts_common.name, ep, sizeof ep) < 0)
        return 69;
    if (opts_common.check) return 0;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = s_on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGUSR2, &sa, NULL);
    bus_pub_t *p = bus_pub_new(opts_common.name, ep, 0);
    if (!p) return 69;
    hb_t *h = hb_new(p, NULL, NULL);
    hb_ready(h, "hbfake running");
    log_info("hbfake up on %s frozen=%d silent=%d", ep, o_frozen, o_silent);
    int64_t step = (int64_t)(NS_PER_S / o_rate), next = clock_mono_ns();
    while (!s_stop) {
        if (s_freeze_toggle) {
            s_freeze_toggle = 0;
            o_frozen = !o_frozen;
            log_info("progress %s", o_frozen ? "frozen" : "moving");
        }
        if (s_silence_toggle) {
            s_silence_toggle = 0;
            o_silent = !o_silent;
            log_info("hb %s", o_silent ? "silenced" : "resumed");
        }
        int64_t now = clock_mono_ns();
        while (now >= next) {
            if (!o_frozen) hb_progress(h, 1);
            next += step;
        }
        if (!o_silent) hb_tick(h);
        else if (!o_frozen) sd_notify(0, "WATCHDOG=1");
        struct timespec ts = {0, 50 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    hb_destroy(&h);
    bus_pub_destroy(&p);
    bus_ctx_term();
    return 0;
}
