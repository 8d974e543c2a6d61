/* tk_shuffle.c: the keyed permutation of tk_shuffle.h, SHA-256 from
 * OpenSSL. */
#include <string.h>
#include <openssl/evp.h>
#include "tk_shuffle.h"

/* One walk's state: the key, the half width and its mask, and the digest
 * context every round reuses. */
typedef struct {
    const unsigned char *key;
    int half;
    uint64_t mask;
    const EVP_MD *md;
    EVP_MD_CTX *ctx;
    int failed;
} feistel;

/* F(i, r): the first 8 bytes, big-endian, of SHA-256(key || byte(i) ||
 * int64 r big-endian), masked to the half width. */
static uint64_t round_f(feistel *f, int i, uint64_t r)
{
    unsigned char msg[TK_SHUFFLE_KEY_BYTES + 1 + 8], md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    uint64_t v = 0;
    int j;

    memcpy(msg, f->key, TK_SHUFFLE_KEY_BYTES);
    msg[TK_SHUFFLE_KEY_BYTES] = (unsigned char)i;
    for (j = 0; j < 8; ++j) {
        msg[TK_SHUFFLE_KEY_BYTES + 1 + j] = (unsigned char)(r >> (56 - 8 * j));
    }
    if (!EVP_DigestInit_ex(f->ctx, f->md, NULL)
        || !EVP_DigestUpdate(f->ctx, msg, sizeof(msg))
        || !EVP_DigestFinal_ex(f->ctx, md, &md_len) || md_len != 32) {
        f->failed = 1;
        return 0;
    }
    for (j = 0; j < 8; ++j) {
        v = v << 8 | md[j];
    }
    return v & f->mask;
}

/* One Feistel pass over [0, 2^(2 half)), or its inverse: L is the high
 * half, R the low one; rounds 0..5 forward, 5..0 backward. */
static uint64_t pass(feistel *f, uint64_t x, int inverse)
{
    uint64_t l = x >> f->half, r = x & f->mask, t;
    int i;

    for (i = 0; i < TK_SHUFFLE_ROUNDS; ++i) {
        if (!inverse) {
            t = r;
            r = l ^ round_f(f, i, r);
            l = t;
        }
        else {
            t = l;
            l = r ^ round_f(f, TK_SHUFFLE_ROUNDS - 1 - i, l);
            r = t;
        }
    }
    return l << f->half | r;
}

/* Cycle walking: passes from x until the value is below size. */
static int64_t walk(const unsigned char *key, int64_t size, int64_t x,
                    int inverse)
{
    feistel f = {key, 1, 0, NULL, NULL, 0};
    uint64_t v = (uint64_t)x;

    if (size < 1 || size > TK_SHUFFLE_MAX_SIZE || x < 0 || x >= size) {
        return -1;
    }
    while ((UINT64_C(1) << (2 * f.half)) < (uint64_t)size) {
        ++f.half;
    }
    f.mask = (UINT64_C(1) << f.half) - 1;
    f.md = EVP_sha256();        /* static: no fetch per call (a poll's cost) */
    f.ctx = EVP_MD_CTX_new();
    f.failed = !f.md || !f.ctx;
    do {
        v = pass(&f, v, inverse);
    } while (!f.failed && v >= (uint64_t)size);
    EVP_MD_CTX_free(f.ctx);
    return f.failed ? -1 : (int64_t)v;
}

int64_t tk_shuffle_place(const unsigned char key[TK_SHUFFLE_KEY_BYTES],
                         int64_t size, int64_t index)
{
    return walk(key, size, index, 0);
}

int64_t tk_shuffle_index(const unsigned char key[TK_SHUFFLE_KEY_BYTES],
                         int64_t size, int64_t place)
{
    return walk(key, size, place, 1);
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

int tk_shuffle_key_from_hex(const char *hex,
                            unsigned char key[TK_SHUFFLE_KEY_BYTES])
{
    unsigned char k[TK_SHUFFLE_KEY_BYTES];
    int i, hi, lo;

    if (!hex) {
        return -1;
    }
    for (i = 0; i < TK_SHUFFLE_KEY_BYTES; ++i) {
        /* (a NUL ends the text and is no digit: nothing past it is read) */
        if ((hi = hex_digit(hex[2 * i])) < 0 || (lo = hex_digit(hex[2 * i + 1])) < 0) {
            return -1;
        }
        k[i] = (unsigned char)(hi << 4 | lo);
    }
    if (hex[2 * TK_SHUFFLE_KEY_BYTES] != '\0') {
        return -1;
    }
    memcpy(key, k, sizeof(k));
    return 0;
}
