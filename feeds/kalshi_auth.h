/* kalshi_auth: the KALSHI-ACCESS-* request signature (RSA-PSS, SHA-256,
 * MGF1-SHA-256, salt 32, base64) over timestamp_ms + METHOD + path, signed
 * afresh for every websocket connect and authenticated REST call. Used by
 * feed-kalshi. The key and the signatures are never logged. */
#ifndef TB_KALSHI_AUTH_H
#define TB_KALSHI_AUTH_H

#include <stddef.h>
#include <stdint.h>

#define KALSHI_WS_SIGN_PATH "/trade-api/ws/v2"
#define KALSHI_SIG_MAX 700 /* base64 of a signature up to RSA-4096 */

typedef struct kalshi_auth kalshi_auth_t;

/* The three handshake headers, freshly signed. */
typedef struct {
    char key[128];
    char ts[24];
    char sig[KALSHI_SIG_MAX];
} kalshi_auth_hdrs_t;

enum { KALSHI_AUTH_ERR_IO = -1, KALSHI_AUTH_ERR_PERM = -2, KALSHI_AUTH_ERR_KEY = -3 };

/* Load the private key at PATH (PKCS#1 or PKCS#8 PEM) for KEY_ID. The file
 * must be a regular file not readable, writable or executable by group or
 * others. Returns the signer, or NULL with *ERR set to KALSHI_AUTH_ERR_* and a
 * message (naming the path, never the key) in WHY. */
kalshi_auth_t *kalshi_auth_new(const char *key_id, const char *path, int *err, char *why,
                               size_t whyn);
void kalshi_auth_destroy(kalshi_auth_t **a);

/* Fill H for METHOD PATH at TS_MS (the current realtime clock when TS_MS < 0). 0 or -1. */
int kalshi_auth_headers(const kalshi_auth_t *a, int64_t ts_ms, const char *method,
                        const char *path, kalshi_auth_hdrs_t *h);

int kalshi_auth_test(void);

#endif
