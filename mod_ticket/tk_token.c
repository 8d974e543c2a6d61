/* tk_token.c: token codec (tk_token.h), HMAC-SHA256 from OpenSSL. */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include "tk_parse.h"
#include "tk_token.h"

#define MAC_LEN 32
#define MAC_B64_LEN 43

static void base64url(const unsigned char *in, size_t n, char *out)
{
    static const char abc[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t i;
    unsigned v;

    for (i = 0; i + 2 < n; i += 3) {
        v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8 | in[i + 2];
        *out++ = abc[v >> 18 & 63];
        *out++ = abc[v >> 12 & 63];
        *out++ = abc[v >> 6 & 63];
        *out++ = abc[v & 63];
    }
    if (n - i == 2) {
        v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8;
        *out++ = abc[v >> 18 & 63];
        *out++ = abc[v >> 12 & 63];
        *out++ = abc[v >> 6 & 63];
    }
    else if (n - i == 1) {
        v = (unsigned)in[i] << 16;
        *out++ = abc[v >> 18 & 63];
        *out++ = abc[v >> 12 & 63];
    }
    *out = '\0';
}

/* base64url(HMAC(secret, message)) into mac (MAC_B64_LEN+1); the message
 * is "tk1:<seq>:<user>", or "tk2:<seq>:<user>:<caller>" for a token bound
 * to the caller (the digits end at the colon, so the caller cannot be
 * confused with them). */
static int make_mac(const unsigned char *secret, size_t secret_len,
                    const tk_token *t, const char *caller, char *mac)
{
    char msg[64 + TK_USER_NAME_MAX + 1];
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    int n;

    if (caller && tk_parse_user_name(caller) != TK_PARSE_OK) {
        return -1;
    }
    n = caller ? snprintf(msg, sizeof(msg), "tk2:%lld:%lld:%s", (long long)t->seq,
                          (long long)t->user_id, caller)
               : snprintf(msg, sizeof(msg), "tk1:%lld:%lld", (long long)t->seq,
                          (long long)t->user_id);
    if (n < 0 || (size_t)n >= sizeof(msg)
        || !HMAC(EVP_sha256(), secret, (int)secret_len,
                 (const unsigned char *)msg, (size_t)n, md, &md_len)
        || md_len != MAC_LEN) {
        return -1;
    }
    base64url(md, MAC_LEN, mac);
    return 0;
}

int tk_token_encode(const unsigned char *secret, size_t secret_len,
                    const tk_token *t, char *out, size_t outsz)
{
    return tk_token_encode_for(secret, secret_len, t, NULL, out, outsz);
}

int tk_token_encode_for(const unsigned char *secret, size_t secret_len,
                        const tk_token *t, const char *caller, char *out,
                        size_t outsz)
{
    char mac[MAC_B64_LEN + 1];
    int n;

    if (t->seq <= 0 || t->user_id <= 0
        || make_mac(secret, secret_len, t, caller, mac)) {
        return -1;
    }
    n = snprintf(out, outsz, "%lld.%lld.%s",
                 (long long)t->seq, (long long)t->user_id, mac);
    return (n < 0 || (size_t)n >= outsz) ? -1 : 0;
}

/* Reads one "<digits>." part of text into *v; returns the rest or NULL. */
static const char *read_part(const char *text, int64_t *v)
{
    char buf[24];
    const char *dot = strchr(text, '.');
    size_t n = dot ? (size_t)(dot - text) : 0;

    if (!dot || n == 0 || n >= sizeof(buf)) {
        return NULL;
    }
    memcpy(buf, text, n);
    buf[n] = '\0';
    return tk_parse_id(buf, v) == TK_PARSE_OK ? dot + 1 : NULL;
}

int tk_token_decode(const unsigned char *secret, size_t secret_len,
                    const char *text, tk_token *t)
{
    return tk_token_decode_for(secret, secret_len, text, NULL, t);
}

int tk_token_decode_for(const unsigned char *secret, size_t secret_len,
                        const char *text, const char *caller, tk_token *t)
{
    tk_token got;
    char mac[MAC_B64_LEN + 1];
    const char *rest;

    if (!text || !(rest = read_part(text, &got.seq))
        || !(rest = read_part(rest, &got.user_id))
        || strlen(rest) != MAC_B64_LEN
        || make_mac(secret, secret_len, &got, caller, mac)
        || CRYPTO_memcmp(mac, rest, MAC_B64_LEN) != 0) {
        return 0;
    }
    *t = got;
    return 1;
}

const char *tk_token_from_authorization(const char *header, char *out,
                                        size_t outsz)
{
    const char *s = header, *e;
    size_t n;

    if (!s) {
        return NULL;
    }
    while (*s == ' ' || *s == '\t') ++s;
    if (strncasecmp(s, "Bearer", 6) == 0
        && (s[6] == ' ' || s[6] == '\t' || s[6] == '\0')) {
        s += 6;
        while (*s == ' ' || *s == '\t') ++s;
    }
    e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t')) --e;
    n = (size_t)(e - s);
    if (n == 0 || n >= outsz) {
        return NULL;
    }
    memcpy(out, s, n);
    out[n] = '\0';
    return out;
}
