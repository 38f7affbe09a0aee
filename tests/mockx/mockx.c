/* mockx: the local exchange world every feed test, benchmark and `make demo`
 * talks to (docs/CONTRACT.md, 'mockx'; docs/MOCKX.md). Serves Coinbase Advanced Trade, Kraken
 * v2, Bitstamp v2, Gemini market data v2, Crypto.com Exchange v1 and Kalshi (WS + REST)
 * over TLS on loopback, from scripts or from a simulated market. One process, one lws loop, lws_sul timers. */
#include "mx.h"
#include "mx_world.h"

#include "clock.h"
#include "log.h"
#include "opts.h"
#include "util.h"

#include <math.h>
#include <openssl/pem.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


int mx_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len);
int mx_fault_add(int venue, int kind, double at);
void mx_faults_start(void);
void mx_faults_stop(void);
void mx_hung_close_all(void);

static char *o_tls_dir, *o_rate, *o_log, *o_pubkey, *o_tls_san;
static strlist_t o_serve, o_script, o_fault;
static int o_world;
static long o_seed, o_window, o_429;
static double o_ping, o_cdc_hb;
static char *o_ksubs;
static volatile sig_atomic_t s_stop;

static const opt_t s_opts[] = {
    {"tls-dir", OPT_STR, &o_tls_dir, NULL, 1, 0, NULL,
     "directory with ca.pem, server.pem, server.key (created if missing)", OPT_REQUIRED},
    {"tls-san", OPT_STR, &o_tls_san, "", 1, 0, NULL,
     "more names for a new server certificate, as subjectAltName entries (IP:10.77.1.1,DNS:x)",
     0},
    {"serve", OPT_LIST, &o_serve, NULL, 1, 0, NULL,
     "VENUE=HOST:PORT (coinbase, kraken, bitstamp, kalshi, gemini, cryptocom; port 0 = any), "
     "repeatable",
     OPT_REQUIRED},
    {"script", OPT_LIST, &o_script, NULL, 1, 0, NULL,
     "VENUE=FILE: script for the next connection of VENUE (repeatable; the last repeats)", 0},
    {"world", OPT_BOOL, &o_world, "0", 1, 0, NULL, "serve the simulated market", 0},
    {"seed", OPT_INT, &o_seed, "1", 0, 1e15, NULL, "world: random seed", 0},
    {"rate", OPT_STR, &o_rate, "50", 1, 0, NULL,
     "world: market messages per second per venue connection, or 'max'", 0},
    {"activity", OPT_ENUM, &mx.activity, "steady|live|night", 1, 0, NULL,
     "world: how market messages arrive: steady (exactly --rate a second, evenly), live (bursty, "
     "mean --rate, with world-wide quiet spells of 30-180 s at 2-10 % every few minutes), "
     "night (mostly 2-10 % of --rate, gaps of seconds, short busier bursts); from --seed", 0},
    {"window-s", OPT_INT, &o_window, "900", 2, 86400, NULL,
     "world: length of a Kalshi market window in seconds", 0},
    {"fault", OPT_LIST, &o_fault, NULL, 1, 0, NULL,
     "world: VENUE:KIND@SECONDS or VENUE:KIND@START+EVERYxCOUNT (COUNT times, EVERY s apart), "
     "KIND stall|close|gap|badsum|garbage|mute (repeatable, up to 1024 in all)", 0},
    {"log", OPT_STR, &o_log, NULL, 1, 0, NULL,
     "append one JSON line per client frame / HTTP request to FILE", 0},
    {"kalshi-pubkey", OPT_STR, &o_pubkey, NULL, 1, 0, NULL,
     "PEM public key that Kalshi WS signatures must verify against (unset: not checked)", 0},
    {"kalshi-rest", OPT_STR, &mx.kalshi_rest_dir, NULL, 1, 0, NULL,
     "script mode: answer Kalshi REST from the rest_*.json files in DIR", 0},
    {"rest-429-every", OPT_INT, &o_429, "0", 0, 1e9, NULL,
     "answer every Nth Kalshi REST request with 429 (0: never)", 0},
    {"kalshi-subs", OPT_STR, &o_ksubs, "new", 1, 0, NULL,
     "Kalshi: a subscribe on a market channel already subscribed gets a new sid ('new') or "
     "'ok' on the existing sid listing all its markets ('shared')", 0},
    {"ping-s", OPT_DBL, &o_ping, "10", 0.05, 3600, NULL, "Kalshi: WS ping interval", 0},
    {"cryptocom-heartbeat-s", OPT_DBL, &o_cdc_hb, "30", 0.05, 3600, NULL,
     "Crypto.com: public/heartbeat interval (30 as the venue); the connection is closed at the "
     "third heartbeat while two are unanswered", 0},
    {NULL, 0, NULL, NULL, 0, 0, NULL, NULL, 0},
};

static void s_on_signal(int sig)
{
    (void)sig;
    s_stop = 1;
    if (mx.ctx) lws_cancel_service(mx.ctx);
}

static int s_venue(const char *s, size_t n)
{
    for (int v = 0; v < MX_NVENUES; v++)
        if (strlen(mx_venue_names[v]) == n && !strncmp(s, mx_venue_names[v], n)) return v;
    return -1;
}

/* One --fault value: VENUE:KIND@SECONDS or VENUE:KIND@START+EVERYxCOUNT; exits 64 naming it. */
static void s_fault(const char *a)
{
    static const char *const kinds[] = {"",        "stall", "close", "gap",
                                        "badsum",  "garbage", "mute", "quiet"};
    const char *colon = strchr(a, ':'), *at = strchr(a, '@');
    int v = colon ? s_venue(a, (size_t)(colon - a)) : -1, kind = -1;
    if (v < 0 || !at || at < colon)
        opts_die("fault", a, "expected VENUE:KIND@SECONDS or VENUE:KIND@START+EVERYxCOUNT");
    for (int k = 1; k < (int)ARRAY_LEN(kinds); k++)
        if (strlen(kinds[k]) == (size_t)(at - colon - 1) &&
            !strncmp(colon + 1, kinds[k], (size_t)(at - colon - 1)))
            kind = k;
    if (kind < 0) opts_die("fault", a, "KIND is stall|close|gap|badsum|garbage|mute|quiet");
    if (v == MX_GEMINI && kind == MX_F_GAP)
        opts_die("fault", a, "gemini (market data v2) has no sequence number: no gap to make");
    char *end;
    double secs = strtod(at + 1, &end), every = 0;
    long count = 1;
    if (*end == '+') {
        every = strtod(end + 1, &end);
        if (*end != 'x' || !isfinite(every) || every <= 0)
            opts_die("fault", a, "expected START+EVERYxCOUNT with EVERY > 0");
        count = strtol(end + 1, &end, 10);
        if (count < 1 || count > 100000) opts_die("fault", a, "COUNT is 1..100000");
    }
    if (*end || !isfinite(secs) || secs < 0 || secs > 1e7)
        opts_die("fault", a, "SECONDS (or START) is a number >= 0");
    for (long k = 0; k < count; k++)
        if (mx_fault_add(v, kind, secs + (double)k * every) < 0)
            opts_die("fault", a, "too many faults (1024 in all)");
}

static void s_lws_log(int level, const char *line)
{
    size_t n = strlen(line);
    while (n && line[n - 1] == '\n') n--;
    if (level & LLL_ERR) log_warnx("lws: %.*s", (int)n, line);
    else log_debug("lws: %.*s", (int)n, line);
}

static const struct lws_protocols s_protocols[] = {
    {"mockx", mx_callback, 64, 0, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

static void s_tick(lws_sorted_usec_list_t *sul);
static lws_sorted_usec_list_t s_sul;
static void s_tick(lws_sorted_usec_list_t *sul)
{
    /* keeps lws_service returning so a signal is seen promptly */
    lws_sul_schedule(mx.ctx, 0, sul, s_tick, 200 * 1000);
}

int main(int argc, char **argv)
{
    opts_parse("mockx",
               "The local exchange world: mockx --tls-dir DIR --serve VENUE=HOST:PORT... "
               "[--script VENUE=FILE...] [--world [--activity steady|live|night] ...] [--log FILE]",
               s_opts, argc, argv, NULL);
    mx.world = o_world;
    /* the test suites run every Kalshi test under both behaviours through this */
    const char *ks = getenv("MOCKX_KALSHI_SUBS");
    if (ks && *ks && !strcmp(o_ksubs, "new")) {
        free(o_ksubs);
        o_ksubs = xstrdup(ks);
    }
    if (strcmp(o_ksubs, "new") && strcmp(o_ksubs, "shared"))
        opts_die("kalshi-subs", o_ksubs, "expected new or shared");
    mx.kalshi_shared = !strcmp(o_ksubs, "shared");
    mx.seed = o_seed;
    mx.window_s = o_window;
    mx.ping_s = o_ping;
    mx.cryptocom_hb_s = o_cdc_hb;
    mx.rest_429_every = o_429;
    mx.start_ns = clock_real_ns();
    mx.start_mono_ns = clock_mono_ns();
    if (!strcmp(o_rate, "max")) mx.rate = 0;
    else {
        char *end;
        mx.rate = strtod(o_rate, &end);
        if (*end || mx.rate <= 0 || mx.rate > 1e6) opts_die("rate", o_rate, "expected N > 0 or 'max'");
    }
    if (mx.activity != MX_ACT_STEADY && mx.rate <= 0)
        opts_die("activity", mx.activity == MX_ACT_LIVE ? "live" : "night",
                 "needs a number for --rate, not 'max'");

    static struct {
        int venue, port;
        char host[64];
    } srv[16]; /* static: lws keeps pointers into it (iface) */
    int nsrv = 0;
    for (int i = 0; i < o_serve.n; i++) {
        const char *a = o_serve.v[i], *eq = strchr(a, '='), *colon = eq ? strrchr(eq, ':') : NULL;
        int v = eq ? s_venue(a, (size_t)(eq - a)) : -1;
        if (v < 0 || !colon || nsrv == (int)ARRAY_LEN(srv))
            opts_die("serve", a,
                     "expected VENUE=HOST:PORT with VENUE "
                     "coinbase|kraken|bitstamp|kalshi|gemini|cryptocom");
        char *end;
        long port = strtol(colon + 1, &end, 10);
        if (*end || port < 0 || port > 65535) opts_die("serve", a, "bad port");
        size_t hl = (size_t)(colon - eq - 1);
        if (hl == 0 || hl >= sizeof srv[0].host) opts_die("serve", a, "bad host");
        srv[nsrv].venue = v;
        srv[nsrv].port = (int)port;
        memcpy(srv[nsrv].host, eq + 1, hl);
        srv[nsrv].host[hl] = '\0';
        if (!strcmp(srv[nsrv].host, "localhost")) strcpy(srv[nsrv].host, "127.0.0.1");
        nsrv++;
    }
    for (int i = 0; i < o_script.n; i++) {
        const char *a = o_script.v[i], *eq = strchr(a, '=');
        int v = eq ? s_venue(a, (size_t)(eq - a)) : -1;
        if (v < 0 || !eq[1]) opts_die("script", a, "expected VENUE=FILE");
        mx.scripts[v] = xrealloc(mx.scripts[v], (size_t)(mx.nscripts[v] + 1) * sizeof(void *));
        mx.scripts[v][mx.nscripts[v]++] = mx_script_load(v, eq + 1);
    }
    for (int i = 0; i < o_fault.n; i++) s_fault(o_fault.v[i]);
    if (o_pubkey) {
        FILE *f = fopen(o_pubkey, "r");
        if (f) {
            mx.kalshi_pub = PEM_read_PUBKEY(f, NULL, NULL, NULL);
            fclose(f);
        }
        if (!mx.kalshi_pub) opts_die("kalshi-pubkey", o_pubkey, "not a readable PEM public key");
    }
    if (mx.kalshi_rest_dir && access(mx.kalshi_rest_dir, R_OK | X_OK) != 0)
        opts_die("kalshi-rest", mx.kalshi_rest_dir, "not a readable directory");
    if (opts_common.check) return 0;
    opts_log_effective("mockx", s_opts);

    mx_tls_san = o_tls_san ? o_tls_san : "";
    if (mx_tls_ensure(o_tls_dir) < 0) fatalx(69, "tls: cannot prepare %s", o_tls_dir);
    if (o_log && mx_log_open(o_log) < 0) fatal(64, "--log: cannot open '%s'", o_log);
    signal(SIGINT, s_on_signal);
    signal(SIGTERM, s_on_signal);
    signal(SIGPIPE, SIG_IGN);
    setvbuf(stdout, NULL, _IOLBF, 0);
    lws_set_log_level(LLL_ERR | (log_level >= LOG_LVL_DEBUG ? LLL_WARN | LLL_NOTICE : 0), s_lws_log);

    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS | LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    info.port = CONTEXT_PORT_NO_LISTEN;
    mx.ctx = lws_create_context(&info);
    if (!mx.ctx) fatalx(69, "lws: cannot create context");

    char cert[1100], key[1100];
    snprintf(cert, sizeof cert, "%s/server.pem", o_tls_dir);
    snprintf(key, sizeof key, "%s/server.key", o_tls_dir);
    static int venue_of[16];
    int ports[16];
    static char names[16][32]; /* lws keeps the vhost name pointer */
    for (int i = 0; i < nsrv; i++) {
        char *name = names[i];
        snprintf(name, sizeof names[i], "%s-%d", mx_venue_names[srv[i].venue], i);
        memset(&info, 0, sizeof info);
        info.vhost_name = name;
        info.port = srv[i].port;
        info.iface = srv[i].host;
        info.protocols = s_protocols;
        info.ssl_cert_filepath = cert;
        info.ssl_private_key_filepath = key;
        info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
        venue_of[i] = srv[i].venue;
        info.user = &venue_of[i];
        info.timeout_secs = 30;
        struct lws_vhost *vh = lws_create_vhost(mx.ctx, &info);
        if (!vh) fatalx(69, "cannot listen on %s:%d for %s", srv[i].host, srv[i].port,
                        mx_venue_names[srv[i].venue]);
        ports[i] = lws_get_vhost_listen_port(vh);
    }
    if (mx.world) {
        mx_world_init(mx.seed, mx.window_s);
        mx_kalshi_world_start();
        mx_world_start();
    }
    mx_faults_start();
    lws_sul_schedule(mx.ctx, 0, &s_sul, s_tick, 200 * 1000);
    for (int i = 0; i < nsrv; i++) printf("%s=%d\n", mx_venue_names[srv[i].venue], ports[i]);
    fflush(stdout);
    log_info("listening world=%d rate=%s", mx.world, o_rate);

    while (!s_stop)
        if (lws_service(mx.ctx, 0) < 0) break;

    log_info("stopping");
    lws_sul_cancel(&s_sul);
    mx_faults_stop();
    if (mx.world) {
        mx_world_stop();
        mx_kalshi_world_stop();
    }
    lws_context_destroy(mx.ctx);
    mx_hung_close_all();
    for (int v = 0; v < MX_NVENUES; v++) {
        for (int i = 0; i < mx.nscripts[v]; i++) mx_script_destroy(&mx.scripts[v][i]);
        free(mx.scripts[v]);
    }
    EVP_PKEY_free(mx.kalshi_pub);
    mx_log_close();
    free(o_tls_dir);
    free(o_tls_san);
    free(o_rate);
    free(o_log);
    free(o_ksubs);
    free(o_pubkey);
    free(mx.kalshi_rest_dir);
    strlist_clear(&o_serve);
    strlist_clear(&o_script);
    strlist_clear(&o_fault);
    return 0;
}
