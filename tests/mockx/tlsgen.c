/* tlsgen: the test CA and the server certificate mockx serves, made with the
 * OpenSSL API when --tls-dir lacks them (ca.pem, ca.key, server.pem,
 * server.key; the server cert names 127.0.0.1 and localhost, and --tls-san's names: the
 * two-host test serves hosts in network namespaces on other addresses). Files are
 * written to temporaries and renamed, so parallel mockx runs never see halves. */
#include "mx.h"

#include "log.h"

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *mx_tls_san = "";

static EVP_PKEY *s_key(void)
{
    return EVP_EC_gen("P-256");
}

static int s_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
    X509_EXTENSION *ex = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    if (!ex) return -1;
    int rc = X509_add_ext(cert, ex, -1) ? 0 : -1;
    X509_EXTENSION_free(ex);
    return rc;
}

static X509 *s_cert(EVP_PKEY *key, const char *cn, X509 *issuer, EVP_PKEY *ikey, int ca)
{
    X509 *x = X509_new();
    if (!x) return NULL;
    X509_set_version(x, 2);
    unsigned char serial[16];
    RAND_bytes(serial, sizeof serial);
    serial[0] &= 0x7f;
    BIGNUM *bn = BN_bin2bn(serial, sizeof serial, NULL);
    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x));
    BN_free(bn);
    X509_gmtime_adj(X509_getm_notBefore(x), -3600);
    X509_gmtime_adj(X509_getm_notAfter(x), 3650L * 24 * 3600);
    X509_set_pubkey(x, key);
    X509_NAME *name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"tickbus mockx", -1,
                               -1, 0);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
    X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name);
    X509 *iss = issuer ? issuer : x;
    int bad = 0;
    if (ca) {
        bad |= s_ext(x, iss, NID_basic_constraints, "critical,CA:TRUE");
        bad |= s_ext(x, iss, NID_key_usage, "critical,keyCertSign,cRLSign");
        bad |= s_ext(x, iss, NID_subject_key_identifier, "hash");
    } else {
        bad |= s_ext(x, iss, NID_basic_constraints, "critical,CA:FALSE");
        bad |= s_ext(x, iss, NID_key_usage, "critical,digitalSignature,keyEncipherment");
        bad |= s_ext(x, iss, NID_ext_key_usage, "serverAuth");
        char san[600];
        snprintf(san, sizeof san, "DNS:localhost,IP:127.0.0.1,IP:::1%s%s", *mx_tls_san ? "," : "",
                 mx_tls_san);
        bad |= s_ext(x, iss, NID_subject_alt_name, san);
        bad |= s_ext(x, iss, NID_subject_key_identifier, "hash");
        bad |= s_ext(x, iss, NID_authority_key_identifier, "keyid:always");
    }
    if (bad || !X509_sign(x, ikey ? ikey : key, EVP_sha256())) {
        X509_free(x);
        return NULL;
    }
    return x;
}

/* Write via DIR/.NAME.tmp.PID and rename. */
static int s_write(const char *dir, const char *name, X509 *x, EVP_PKEY *k)
{
    char tmp[1100], dst[1100];
    snprintf(tmp, sizeof tmp, "%s/.%s.tmp.%ld", dir, name, (long)getpid());
    snprintf(dst, sizeof dst, "%s/%s", dir, name);
    FILE *f = fopen(tmp, "w");
    if (!f) {
        log_warn("tls: cannot write %s", tmp);
        return -1;
    }
    if (k) fchmod(fileno(f), 0600);
    int ok = x ? PEM_write_X509(f, x) : PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL);
    if (fclose(f) != 0 || !ok || rename(tmp, dst) != 0) {
        unlink(tmp);
        log_warnx("tls: cannot write %s", dst);
        return -1;
    }
    return 0;
}

static int s_exists(const char *dir, const char *name)
{
    char p[1100];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return access(p, R_OK) == 0;
}

static EVP_PKEY *s_read_key(const char *dir, const char *name)
{
    char p[1100];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "r");
    if (!f) return NULL;
    EVP_PKEY *k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    fclose(f);
    return k;
}

static X509 *s_read_cert(const char *dir, const char *name)
{
    char p[1100];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "r");
    if (!f) return NULL;
    X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    return x;
}

int mx_tls_ensure(const char *dir)
{
    if (s_exists(dir, "ca.pem") && s_exists(dir, "server.pem") && s_exists(dir, "server.key"))
        return 0;
    if (mkdir(dir, 0700) != 0 && access(dir, W_OK) != 0) {
        log_warn("tls: cannot create %s", dir);
        return -1;
    }
    int rc = -1;
    EVP_PKEY *cak = NULL, *sk = NULL;
    X509 *ca = NULL, *srv = NULL;
    if (s_exists(dir, "ca.pem") && s_exists(dir, "ca.key")) {
        ca = s_read_cert(dir, "ca.pem");
        cak = s_read_key(dir, "ca.key");
    }
    if (!ca || !cak) {
        X509_free(ca);
        EVP_PKEY_free(cak);
        cak = s_key();
        ca = cak ? s_cert(cak, "tickbus mockx test CA", NULL, NULL, 1) : NULL;
        if (!ca || s_write(dir, "ca.key", NULL, cak) || s_write(dir, "ca.pem", ca, NULL))
            goto cleanup;
        log_info("tls: created test CA %s/ca.pem", dir);
    }
    sk = s_key();
    srv = sk ? s_cert(sk, "localhost", ca, cak, 0) : NULL;
    if (!srv || s_write(dir, "server.key", NULL, sk) || s_write(dir, "server.pem", srv, NULL))
        goto cleanup;
    log_info("tls: created server certificate %s/server.pem (localhost, 127.0.0.1)", dir);
    rc = 0;
cleanup:
    X509_free(ca);
    X509_free(srv);
    EVP_PKEY_free(cak);
    EVP_PKEY_free(sk);
    return rc;
}
