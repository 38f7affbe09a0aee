/* kalshi_auth: RSA-PSS request signing for Kalshi (see kalshi_auth.h), with
 * OpenSSL EVP. feed-kalshi signs its websocket upgrade with it on every
 * connect; tests verify what it produces with the public key. */
#include "kalshi_auth.h"
#include "clock.h"
#include "log.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct kalshi_auth {
    char *key_id;
    EVP_PKEY *pkey;
};

/* OpenSSL asks this for an encrypted key's passphrase: never a prompt (the
 * default callback reads the terminal and a service would hang), only a note
 * that one was wanted. */
static int s_no_passphrase(char *buf, int size, int rwflag, void *asked)
{
    (void)buf;
    (void)size;
    (void)rwflag;
    *(int *)asked = 1;
    return -1;
}

kalshi_auth_t *kalshi_auth_new(const char *key_id, const char *path, int *err, char *why,
                               size_t whyn)
{
    int e = KALSHI_AUTH_ERR_IO;
    FILE *f = NULL;
    EVP_PKEY *pkey = NULL;
    int perm;
    int fd = util_open_secret(path, "key file", &perm, why, whyn);
    if (fd < 0) {
        if (perm) e = KALSHI_AUTH_ERR_PERM;
        goto fail;
    }
    f = fdopen(fd, "r");
    if (!f) {
        close(fd);
        snprintf(why, whyn, "cannot read key file %s", path);
        goto fail;
    }
    /* PEM_read_PrivateKey accepts PKCS#8 and traditional PKCS#1 PEM alike. */
    int asked = 0;
    pkey = PEM_read_PrivateKey(f, NULL, s_no_passphrase, &asked);
    fclose(f);
    ERR_clear_error();
    if (!pkey && asked) {
        e = KALSHI_AUTH_ERR_KEY;
        snprintf(why, whyn,
                 "key file %s is passphrase-protected: feed-kalshi never asks for a passphrase; "
                 "store the key decrypted with mode 0600 (openssl pkey -in %s -out PLAIN.pem)",
                 path, path);
        goto fail;
    }
    if (!pkey || EVP_PKEY_base_id(pkey) != EVP_PKEY_RSA) {
        e = KALSHI_AUTH_ERR_KEY;
        snprintf(why, whyn, "key file %s holds no RSA private key in PEM form", path);
        EVP_PKEY_free(pkey);
        goto fail;
    }
    kalshi_auth_t *a = xcalloc(1, sizeof *a);
    a->key_id = xstrdup(key_id ? key_id : "");
    a->pkey = pkey;
    if (err) *err = 0;
    return a;
fail:
    if (err) *err = e;
    return NULL;
}

void kalshi_auth_destroy(kalshi_auth_t **ap)
{
    if (!ap || !*ap) return;
    EVP_PKEY_free((*ap)->pkey);
    free((*ap)->key_id);
    free(*ap);
    *ap = NULL;
}

static int s_pss(EVP_PKEY_CTX *pctx)
{
    return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) > 0 &&
           EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) > 0 &&
           EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) > 0;
}

/* Sign TS_MS + METHOD + PATH (PATH without a query string: it is cut at '?')
 * into OUT as base64. Returns the length, or -1. */
static int s_sign(const kalshi_auth_t *a, int64_t ts_ms, const char *method, const char *path,
                     char *out, size_t n)
{
    char msg[1200];
    size_t plen = strcspn(path, "?");
    int ml = snprintf(msg, sizeof msg, "%lld%s%.*s", (long long)ts_ms, method, (int)plen, path);
    if (ml < 0 || (size_t)ml >= sizeof msg) return -1;
    unsigned char sig[1024];
    size_t siglen = sizeof sig;
    int rc = -1;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    if (!md) return -1;
    if (EVP_DigestSignInit(md, &pctx, EVP_sha256(), NULL, a->pkey) <= 0 || !s_pss(pctx) ||
        EVP_DigestSign(md, sig, &siglen, (const unsigned char *)msg, (size_t)ml) <= 0)
        goto out;
    if (n < 4 * ((siglen + 2) / 3) + 1) goto out;
    rc = EVP_EncodeBlock((unsigned char *)out, sig, (int)siglen);
out:
    OPENSSL_cleanse(sig, sizeof sig);
    EVP_MD_CTX_free(md);
    ERR_clear_error();
    return rc;
}

int kalshi_auth_headers(const kalshi_auth_t *a, int64_t ts_ms, const char *method,
                        const char *path, kalshi_auth_hdrs_t *h)
{
    if (ts_ms < 0) ts_ms = clock_real_ns() / NS_PER_MS;
    snprintf(h->key, sizeof h->key, "%s", a->key_id);
    snprintf(h->ts, sizeof h->ts, "%lld", (long long)ts_ms);
    return s_sign(a, ts_ms, method, path, h->sig, sizeof h->sig) < 0 ? -1 : 0;
}

/* Verify a base64 signature with a public key PEM file (the self-test; mirrors
 * the server's check). Returns 1 valid, 0 invalid, -1 error. */
static int s_verify_pem(const char *pub_path, const char *msg, const char *sig_b64)
{
    FILE *f = fopen(pub_path, "r");
    if (!f) return -1;
    EVP_PKEY *pub = PEM_read_PUBKEY(f, NULL, NULL, NULL);
    fclose(f);
    if (!pub) return -1;
    size_t bl = strlen(sig_b64);
    unsigned char *sig = xmalloc(bl + 4);
    int sl = EVP_DecodeBlock(sig, (const unsigned char *)sig_b64, (int)bl);
    int rc = -1;
    if (sl > 0) {
        while (bl > 0 && sig_b64[bl - 1] == '=') { bl--; sl--; } /* DecodeBlock keeps pad bytes */
        EVP_MD_CTX *md = EVP_MD_CTX_new();
        EVP_PKEY_CTX *pctx = NULL;
        if (md && EVP_DigestVerifyInit(md, &pctx, EVP_sha256(), NULL, pub) > 0 && s_pss(pctx))
            rc = EVP_DigestVerify(md, sig, (size_t)sl, (const unsigned char *)msg, strlen(msg)) == 1;
        EVP_MD_CTX_free(md);
    }
    free(sig);
    EVP_PKEY_free(pub);
    ERR_clear_error();
    return rc;
}

/* ---- self-test ---- */

static int s_copy_mode(const char *src, const char *dst, mode_t mode)
{
    FILE *in = fopen(src, "rb");
    if (!in) return -1;
    unlink(dst);
    int fd = open(dst, O_WRONLY | O_CREAT | O_EXCL, mode);
    if (fd < 0) { fclose(in); return -1; }
    fchmod(fd, mode);
    char buf[4096];
    size_t r;
    while ((r = fread(buf, 1, sizeof buf, in)) > 0)
        if (write(fd, buf, r) != (ssize_t)r) break;
    fclose(in);
    close(fd);
    return 0;
}

#define T_CHECK(c)                                                                      \
    do { if (!(c)) { fprintf(stderr, "kalshi_auth_test: %s:%d: %s\n", __FILE__, __LINE__, #c); \
                     goto done; } } while (0)

int kalshi_auth_test(void)
{
    const char *fx = getenv("TICKBUS_FIXTURES");
    if (!fx) fx = "tests/fixtures";
    char p8[512], p1[512], pub[512], tmp[64], why[512];
    snprintf(p8, sizeof p8, "%s/kalshi/test-key.pem", fx);
    snprintf(p1, sizeof p1, "%s/kalshi/test-key.pkcs1.pem", fx);
    snprintf(pub, sizeof pub, "%s/kalshi/test-key.pub.pem", fx);
    snprintf(tmp, sizeof tmp, "/tmp/kalshi-auth-test-%d.pem", (int)getpid());
    int ok = -1, err = 0;
    kalshi_auth_t *a = NULL;

    /* A group/other readable key is refused with the permission error. */
    T_CHECK(s_copy_mode(p8, tmp, 0644) == 0);
    a = kalshi_auth_new("k", tmp, &err, why, sizeof why);
    T_CHECK(!a && err == KALSHI_AUTH_ERR_PERM && strstr(why, "group or others"));
    /* A missing file is an I/O error; a non-key is a key error. */
    T_CHECK(!kalshi_auth_new("k", "/nonexistent/key.pem", &err, why, sizeof why) &&
            err == KALSHI_AUTH_ERR_IO);
    T_CHECK(s_copy_mode(pub, tmp, 0600) == 0);
    T_CHECK(!kalshi_auth_new("k", tmp, &err, why, sizeof why) && err == KALSHI_AUTH_ERR_KEY);
    /* A passphrase-protected key: refused at once, saying so, never a prompt. */
    {
        FILE *in = fopen(p8, "r"), *out;
        EVP_PKEY *k = in ? PEM_read_PrivateKey(in, NULL, NULL, NULL) : NULL;
        if (in) fclose(in);
        T_CHECK(k);
        unlink(tmp);
        int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0600);
        out = fd >= 0 ? fdopen(fd, "w") : NULL;
        int w = out && PEM_write_PrivateKey(out, k, EVP_aes_256_cbc(), (unsigned char *)"x", 1,
                                            NULL, NULL);
        if (out) fclose(out);
        EVP_PKEY_free(k);
        T_CHECK(w);
        T_CHECK(!kalshi_auth_new("k", tmp, &err, why, sizeof why) && err == KALSHI_AUTH_ERR_KEY &&
                strstr(why, "passphrase-protected"));
    }

    const char *files[2] = {p8, p1};
    for (int i = 0; i < 2; i++) {
        T_CHECK(s_copy_mode(files[i], tmp, 0600) == 0);
        a = kalshi_auth_new("00000000-0000-4000-8000-000000000000", tmp, &err, why, sizeof why);
        T_CHECK(a && err == 0);
        /* signature_example.json: the WS handshake at ts 1795867380000. */
        kalshi_auth_hdrs_t h;
        T_CHECK(kalshi_auth_headers(a, 1795867380000LL, "GET", KALSHI_WS_SIGN_PATH, &h) == 0);
        T_CHECK(!strcmp(h.ts, "1795867380000"));
        T_CHECK(!strcmp(h.key, "00000000-0000-4000-8000-000000000000"));
        T_CHECK(strlen(h.sig) == 344 && !strchr(h.sig, '\n'));
        T_CHECK(s_verify_pem(pub, "1795867380000GET/trade-api/ws/v2", h.sig) == 1);
        T_CHECK(s_verify_pem(pub, "1795867380001GET/trade-api/ws/v2", h.sig) == 0);
        /* The stored example signature (made by the fixture's author) verifies too. */
        T_CHECK(s_verify_pem(
                    pub, "1795867380000GET/trade-api/ws/v2",
                    "amLt3RHzKW0ovkU55M58M3q63gDRDiiAhzsbQgK6xcY9s0kMAkpbcbj+m7bXE/pgHUWA8WW/teR/"
                    "SV/fn/hWQOBzJRpg5prEs3nsDxyaDKtiO9yy+hBn8OzoZZIVlqWF4+AjhWpN5Bi6EMBpLPII4NTJw1n+"
                    "bQrIfuo2qOJ326r5KdTWGFnWNgXo0edG1X+bjoRhxFvMjOZ1VYz6ggquFq7IhJkqMc2fzqbA6ovRl7p"
                    "vZUfkX/CueJ+fAoB/TrkMBy9ZHb+vTjhgj+Fj+BIBC1r4l5ECE+NvU4s22JHU/SFQyXEj91sicnsmTs4"
                    "LtP6xdNGaeFKgOfBkKjnVil8qWw==") == 1);
        /* REST: the query string is not signed. */
        char sig[KALSHI_SIG_MAX];
        T_CHECK(s_sign(a, 1795867381250LL, "GET",
                                 "/trade-api/v2/markets?series_ticker=KXBTC15M&status=open", sig,
                                 sizeof sig) > 0);
        T_CHECK(s_verify_pem(pub, "1795867381250GET/trade-api/v2/markets", sig) == 1);
        kalshi_auth_destroy(&a);
        T_CHECK(a == NULL);
    }
    ok = 0;
done:
    kalshi_auth_destroy(&a);
    unlink(tmp);
    return ok;
}
