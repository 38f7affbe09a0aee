/* curve: the bus between hosts (docs/OPERATIONS.md, "Two hosts"). ipc in a 0700 directory is
 * the default on one host; a tcp:// endpoint is encrypted and authenticated with ZeroMQ's own
 * CURVE (RFC 26) and a ZAP handler (RFC 27) that admits only the public keys of an allow-file,
 * or refused unless --insecure says plain tcp is wanted.
 *
 *   key file  (tickbus keygen BASE: BASE.key, mode 0600)   public-key = "<40 Z85 chars>"
 *                                                          secret-key = "<40 Z85 chars>"
 *   public    (BASE.pub)                                   public-key = "<40 Z85 chars>"
 *   allow     one public key per line (Z85, or the public-key line of a .pub), '#' comments
 *   endpoint  tcp://HOST:PORT#KEY  to connect: KEY the server's public key (Z85) or its .pub
 *
 * The files use the layout of czmq's certificates (zcert), so zmakecert's output is read too.
 * Options (every program, lib/opts): --curve-key FILE, --curve-allow FILE, --insecure
 * (TICKBUS_CURVE_KEY, TICKBUS_CURVE_ALLOW, TICKBUS_INSECURE, shared by all programs). */
#ifndef TB_CURVE_H
#define TB_CURVE_H

#include "jw.h"
#include "util.h"

#include <stddef.h>

#define CURVE_Z85_LEN 40 /* a 32-byte key as Z85 text */

typedef struct {
    char pub[CURVE_Z85_LEN + 1], sec[CURVE_Z85_LEN + 1];
} curve_pair_t;

/* Write a new key pair: BASE.key (both keys, mode 0600) and BASE.pub (the public key, 0644).
 * Refuses to overwrite either file. 0, or -1 with WHY. */
int curve_keygen(const char *base, curve_pair_t *k, char *why, size_t n);
/* Read a key pair from PATH, refusing a file group or others may read (as the Kalshi key).
 * 0, or -1 with WHY. */
int curve_load_pair(const char *path, curve_pair_t *k, char *why, size_t n);
/* A public key given as ARG: a file holding a public-key line (tried first: a path can be 40
 * characters of the Z85 alphabet), or 40 Z85 characters. */
int curve_load_public(const char *arg, char out[CURVE_Z85_LEN + 1], char *why, size_t n);
/* The keys of the text TEXT[0..LEN) of a key or allow file: each `public-key = "K"`, each
 * `secret-key = "K"` (into SEC when not NULL) and, with BARE, each line that is only a key.
 * Appends the public ones to KEYS (may be NULL). Returns how many public keys were read, or -1
 * with WHY naming the first bad line (a key that is not 40 Z85 characters of a 32-byte key). */
int curve_parse(const char *text, size_t len, int bare, strlist_t *keys,
                char sec[CURVE_Z85_LEN + 1], char *why, size_t n);

/* Check the common options at start (lib/opts calls it): every tcp --sub names a server key
 * or --insecure is given; a tcp --pub or --expose has a loadable --curve-key and --curve-allow
 * (or --insecure); a subscriber with a server key has a --curve-key. Exits 64 naming the option
 * otherwise, before anything is allocated. */
void curve_check_opts(void);
/* The same check for one more endpoint a program connects to (OPTION names it: a sink's
 * --catchup): exits 64 when connecting would be refused. */
void curve_check_connect(const char *option, const char *endpoint);
/* Get socket Z ready to bind ENDPOINT: for tcp://, a CURVE server with this host's key pair
 * whose peers the allow-file admits (the ZAP handler and the refusal counter start on first
 * use), or plain with --insecure (logged); any other transport unchanged. 0, or -1 logged
 * (no key, no allow-file, tcp without CURVE and without --insecure). */
int curve_bind_prep(void *z, const char *endpoint);
/* Get socket Z ready to connect to ENDPOINT, and write into ADDR what to pass to zmq_connect:
 * tcp://HOST:PORT#KEY becomes a CURVE client of the server KEY with this host's key pair;
 * tcp:// without a key is refused unless --insecure; other transports connect plain. 0 or -1
 * logged. */
int curve_connect_prep(void *z, const char *endpoint, char *addr, size_t n);
/* The hb's "curve" member once any tcp endpoint is in use: {"peers":accepted handshakes,
 * "refused":N,"refused_key":N (not in the allow-file),"refused_protocol":N (no CURVE, wrong
 * server key),"connected":N,"connect_failed":N (as a client),"disconnects":N (tcp peers lost:
 * closed, or silent past the ZMTP heartbeat),"insecure":0|1}. Nothing otherwise. */
void curve_hb(jw_t *w);
/* Totals, for tests and status. */
typedef struct {
    unsigned long long peers, refused, refused_key, refused_protocol;
} curve_stats_t;
void curve_stats(curve_stats_t *st);
/* Stop the ZAP handler (before the context is terminated: bus_ctx_term). */
void curve_stop(void);

int curve_test(void);

#endif
