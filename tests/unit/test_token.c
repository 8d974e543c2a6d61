/* test_token.c: unit tests of tk_token (HMAC token codec, Authorization
 * header reader). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "tk_parse.h"
#include "tk_token.h"

static const unsigned char secret[32] = {
    0x5e, 0x11, 0x8a, 0x02, 0xc3, 0x7f, 0x90, 0x4d, 0x21, 0xee, 0x38, 0x06,
    0xb4, 0x59, 0xa7, 0x1c, 0x62, 0xd8, 0x0f, 0x93, 0x4a, 0x7e, 0x15, 0xc0,
    0x88, 0x3b, 0xf6, 0x27, 0x6d, 0x9a, 0x00, 0xff,
};

/* The token text computed here, independently of tk_token.c, from the
 * format of tk_token.h: "<seq>.<user>.<base64url(HMAC-SHA256(secret,
 * "tk1:<seq>:<user>"))>" without padding. */
static void reference_token(const unsigned char *key, size_t key_len,
                            const char *seq, const char *user, const char *mseq,
                            const char *muser, char *out, size_t outsz)
{
    char msg[128];
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    unsigned char b64[80];
    int n, i;

    snprintf(msg, sizeof(msg), "tk1:%s:%s", mseq, muser);
    assert_non_null(HMAC(EVP_sha256(), key, (int)key_len,
                         (const unsigned char *)msg, strlen(msg), md, &md_len));
    assert_int_equal(md_len, 32);
    n = EVP_EncodeBlock(b64, md, (int)md_len);
    assert_int_equal(n, 44);
    for (i = 0; i < n; ++i) {
        if (b64[i] == '+') b64[i] = '-';
        else if (b64[i] == '/') b64[i] = '_';
    }
    assert_int_equal(b64[43], '=');
    b64[43] = '\0';
    snprintf(out, outsz, "%s.%s.%s", seq, user, (const char *)b64);
}

static void test_encode_matches_reference(void **state)
{
    static const struct { int64_t seq, user; const char *s, *u; } cases[] = {
        {1, 1, "1", "1"},
        {17, 42, "17", "42"},
        {123456789, 9, "123456789", "9"},
        {INT64_MAX, INT64_MAX, "9223372036854775807", "9223372036854775807"},
    };
    char got[TK_TOKEN_MAX_LEN], want[TK_TOKEN_MAX_LEN];
    size_t i;
    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); ++i) {
        tk_token t = {cases[i].seq, cases[i].user};
        assert_int_equal(tk_token_encode(secret, sizeof(secret), &t, got,
                                         sizeof(got)), 0);
        reference_token(secret, sizeof(secret), cases[i].s, cases[i].u,
                        cases[i].s, cases[i].u, want, sizeof(want));
        assert_string_equal(got, want);
        assert_true(strlen(got) < TK_TOKEN_MAX_LEN);
    }
}

static void test_round_trip(void **state)
{
    static const int64_t vals[] = {1, 2, 9, 10, 99, 1000, INT64_C(4294967296),
                                   INT64_MAX - 1, INT64_MAX};
    char text[TK_TOKEN_MAX_LEN];
    size_t i, j;
    (void)state;
    for (i = 0; i < sizeof(vals) / sizeof(vals[0]); ++i) {
        for (j = 0; j < sizeof(vals) / sizeof(vals[0]); ++j) {
            tk_token t = {vals[i], vals[j]}, back = {-1, -1};
            assert_int_equal(tk_token_encode(secret, sizeof(secret), &t, text,
                                             sizeof(text)), 0);
            assert_int_equal(tk_token_decode(secret, sizeof(secret), text,
                                             &back), 1);
            assert_int_equal(back.seq, vals[i]);
            assert_int_equal(back.user_id, vals[j]);
        }
    }
}

static void test_deterministic(void **state)
{
    char a[TK_TOKEN_MAX_LEN], b[TK_TOKEN_MAX_LEN], c[TK_TOKEN_MAX_LEN];
    tk_token t = {17, 42}, u = {42, 17}, v = {17, 43};
    (void)state;
    assert_int_equal(tk_token_encode(secret, sizeof(secret), &t, a, sizeof(a)), 0);
    assert_int_equal(tk_token_encode(secret, sizeof(secret), &t, b, sizeof(b)), 0);
    assert_string_equal(a, b);
    /* other inputs give other macs */
    assert_int_equal(tk_token_encode(secret, sizeof(secret), &u, c, sizeof(c)), 0);
    assert_string_not_equal(strrchr(a, '.'), strrchr(c, '.'));
    assert_int_equal(tk_token_encode(secret, sizeof(secret), &v, c, sizeof(c)), 0);
    assert_string_not_equal(strrchr(a, '.'), strrchr(c, '.'));
}

static void test_other_secret(void **state)
{
    unsigned char other[32];
    char text[TK_TOKEN_MAX_LEN];
    tk_token t = {5, 6}, back = {-1, -1};
    size_t i;
    (void)state;
    assert_int_equal(tk_token_encode(secret, sizeof(secret), &t, text,
                                     sizeof(text)), 0);
    /* any single bit of the secret matters */
    for (i = 0; i < sizeof(secret) * 8; ++i) {
        memcpy(other, secret, sizeof(other));
        other[i / 8] ^= (unsigned char)(1u << (i % 8));
        assert_int_equal(tk_token_decode(other, sizeof(other), text, &back), 0);
    }
    /* as does its length */
    assert_int_equal(tk_token_decode(secret, sizeof(secret) - 1, text, &back), 0);
    assert_int_equal(back.seq, -1);
    assert_int_equal(back.user_id, -1);
    assert_int_equal(tk_token_decode(secret, sizeof(secret), text, &back), 1);
}

static void test_every_character_matters(void **state)
{
    static const char subst[] = "0123456789.-_aAzZ+/= x";
    char text[TK_TOKEN_MAX_LEN], forged[TK_TOKEN_MAX_LEN];
    tk_token t = {1234, 5678}, back;
    size_t len, i, k;
    (void)state;
    assert_int_equal(tk_token_encode(secret, sizeof(secret), &t, text,
                                     sizeof(text)), 0);
    len = strlen(text);
    for (i = 0; i < len; ++i) {
        for (k = 0; k < sizeof(subst) - 1; ++k) {
            if (subst[k] == text[i]) {
                continue;
            }
            memcpy(forged, text, len + 1);
            forged[i] = subst[k];
            if (tk_token_decode(secret, sizeof(secret), forged, &back)) {
                fail_msg("forged token accepted: %s", forged);
            }
        }
        /* the mac's last character carries only 4 bits: each of its 64
         * values but one must still be refused */
        if (i == len - 1) {
            static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                      "abcdefghijklmnopqrstuvwxyz0123456789-_";
            int accepted = 0;
            for (k = 0; k < 64; ++k) {
                memcpy(forged, text, len + 1);
                forged[i] = abc[k];
                accepted += tk_token_decode(secret, sizeof(secret), forged, &back);
            }
            assert_int_equal(accepted, 1);
        }
    }
}

static void test_truncated_and_extended(void **state)
{
    char text[TK_TOKEN_MAX_LEN], cut[TK_TOKEN_MAX_LEN + 8];
    tk_token t = {77, 88}, back = {-1, -1};
    size_t len, n;
    static const char *tails[] = {"A", "=", ".", " ", "\n", "==", ".x"};
    (void)state;
    assert_int_equal(tk_token_encode(secret, sizeof(secret), &t, text,
                                     sizeof(text)), 0);
    len = strlen(text);
    for (n = 0; n < len; ++n) {
        memcpy(cut, text, n);
        cut[n] = '\0';
        assert_int_equal(tk_token_decode(secret, sizeof(secret), cut, &back), 0);
    }
    for (n = 0; n < sizeof(tails) / sizeof(tails[0]); ++n) {
        snprintf(cut, sizeof(cut), "%s%s", text, tails[n]);
        assert_int_equal(tk_token_decode(secret, sizeof(secret), cut, &back), 0);
        snprintf(cut, sizeof(cut), "%s%s", tails[n], text);
        assert_int_equal(tk_token_decode(secret, sizeof(secret), cut, &back), 0);
    }
    assert_int_equal(back.seq, -1);
    assert_int_equal(tk_token_decode(secret, sizeof(secret), text, &back), 1);
}

/* Texts with a correct mac for the numbers they spell, but not in the
 * canonical form, or with numbers that are no IDs: all refused. */
static void test_seq_user_malformed(void **state)
{
    static const struct { const char *seq, *user, *mseq, *muser; } cases[] = {
        {"0", "5", "0", "5"},
        {"5", "0", "5", "0"},
        {"0", "0", "0", "0"},
        {"-1", "5", "-1", "5"},
        {"5", "-1", "5", "-1"},
        {"05", "6", "5", "6"},
        {"5", "06", "5", "6"},
        {"+5", "6", "5", "6"},
        {" 5", "6", "5", "6"},
        {"5", "6 ", "5", "6"},
        {"5a", "6", "5a", "6"},
        {"", "6", "", "6"},
        {"5", "", "5", ""},
        {"9223372036854775808", "6", "9223372036854775808", "6"},
        {"6", "9223372036854775808", "6", "9223372036854775808"},
        {"18446744073709551621", "6", "5", "6"},   /* wraps to 5 in 64 bits */
    };
    char text[TK_TOKEN_MAX_LEN * 2], good[TK_TOKEN_MAX_LEN];
    tk_token back = {-1, -1};
    size_t i;
    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); ++i) {
        reference_token(secret, sizeof(secret), cases[i].seq, cases[i].user,
                        cases[i].mseq, cases[i].muser, text, sizeof(text));
        if (tk_token_decode(secret, sizeof(secret), text, &back)) {
            fail_msg("non-canonical token accepted: %s", text);
        }
    }
    assert_int_equal(back.seq, -1);
    /* the same helper does make acceptable tokens */
    reference_token(secret, sizeof(secret), "5", "6", "5", "6", good, sizeof(good));
    assert_int_equal(tk_token_decode(secret, sizeof(secret), good, &back), 1);
    assert_int_equal(back.seq, 5);
    assert_int_equal(back.user_id, 6);
}

static void test_decode_garbage(void **state)
{
    static const char *bad[] = {
        "", ".", "..", "1.2.", "1..", ".1.", "1.2", "abc", "1.2.3.4",
        "1.2.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "Bearer 1.2.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        /* long parts, around the reader's buffer (ASan) */
        "12345678901234567890123.1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "123456789012345678901234.1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "1234567890123456789012345.1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "1.123456789012345678901234.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "00000000000000000000000000000001.1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    };
    tk_token back = {-1, -1};
    size_t i;
    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); ++i) {
        assert_int_equal(tk_token_decode(secret, sizeof(secret), bad[i], &back), 0);
    }
    assert_int_equal(tk_token_decode(secret, sizeof(secret), NULL, &back), 0);
    assert_int_equal(back.seq, -1);
    assert_int_equal(back.user_id, -1);
}

static void test_encode_refuses_non_ids(void **state)
{
    static const tk_token bad[] = {{0, 1}, {1, 0}, {0, 0}, {-1, 1}, {1, -1},
                                   {INT64_MIN, 1}, {1, INT64_MIN}};
    char text[TK_TOKEN_MAX_LEN];
    size_t i;
    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); ++i) {
        assert_int_equal(tk_token_encode(secret, sizeof(secret), &bad[i], text,
                                         sizeof(text)), -1);
    }
}

static void test_encode_buffer_size(void **state)
{
    char full[TK_TOKEN_MAX_LEN], small[TK_TOKEN_MAX_LEN];
    tk_token t = {123, 456};
    size_t len, sz;
    (void)state;
    assert_int_equal(tk_token_encode(secret, sizeof(secret), &t, full,
                                     sizeof(full)), 0);
    len = strlen(full);
    assert_int_equal(len, 3 + 1 + 3 + 1 + 43);
    for (sz = 0; sz <= len; ++sz) {
        memset(small, 'Z', sizeof(small));
        assert_int_equal(tk_token_encode(secret, sizeof(secret), &t, small, sz), -1);
        /* nothing written past the buffer */
        assert_int_equal(small[sz], 'Z');
    }
    assert_int_equal(tk_token_encode(secret, sizeof(secret), &t, small, len + 1), 0);
    assert_string_equal(small, full);
}

/* ---- tk_token_from_authorization ---- */

static void assert_auth(const char *header, const char *want)
{
    char out[TK_TOKEN_MAX_LEN];
    const char *got = tk_token_from_authorization(header, out, sizeof(out));
    if (want == NULL) {
        if (got != NULL) {
            fail_msg("from_authorization(\"%s\") = \"%s\", want NULL",
                     header ? header : "(null)", got);
        }
        return;
    }
    if (got == NULL) {
        fail_msg("from_authorization(\"%s\") = NULL, want \"%s\"", header, want);
    }
    assert_ptr_equal(got, out);
    assert_string_equal(got, want);
}

static void test_auth(void **state)
{
    (void)state;
    assert_auth("1.2.abc", "1.2.abc");
    assert_auth("Bearer 1.2.abc", "1.2.abc");
    assert_auth("bearer 1.2.abc", "1.2.abc");
    assert_auth("BEARER 1.2.abc", "1.2.abc");
    assert_auth("BeArEr 1.2.abc", "1.2.abc");
    assert_auth("Bearer    1.2.abc", "1.2.abc");
    assert_auth("Bearer\t1.2.abc", "1.2.abc");
    assert_auth("  \tBearer \t 1.2.abc \t ", "1.2.abc");
    assert_auth("   1.2.abc   ", "1.2.abc");
    assert_auth("\t1.2.abc\t", "1.2.abc");
    /* "Bearer" glued to the token is no scheme */
    assert_auth("Bearer1.2.abc", "Bearer1.2.abc");
    /* no token at all */
    assert_auth("Bearer", NULL);
    assert_auth("bearer", NULL);
    assert_auth("Bearer ", NULL);
    assert_auth("Bearer \t ", NULL);
    assert_auth("  Bearer  ", NULL);
    assert_auth("", NULL);
    assert_auth("   ", NULL);
    assert_auth("\t", NULL);
    assert_auth(NULL, NULL);
}

static void test_auth_buffer(void **state)
{
    char out[8];
    (void)state;
    /* 7 characters fit in 8 bytes, 8 do not */
    assert_non_null(tk_token_from_authorization("1234567", out, sizeof(out)));
    assert_string_equal(out, "1234567");
    assert_non_null(tk_token_from_authorization("Bearer 1234567  ", out,
                                                sizeof(out)));
    assert_string_equal(out, "1234567");
    assert_null(tk_token_from_authorization("12345678", out, sizeof(out)));
    assert_null(tk_token_from_authorization("Bearer 12345678", out, sizeof(out)));
    assert_null(tk_token_from_authorization("x", out, 1));
    assert_null(tk_token_from_authorization("x", out, 0));
}

static void test_auth_then_decode(void **state)
{
    char text[TK_TOKEN_MAX_LEN], header[TK_TOKEN_MAX_LEN + 16];
    char out[TK_TOKEN_MAX_LEN];
    tk_token t = {INT64_MAX, INT64_MAX}, back;
    (void)state;
    assert_int_equal(tk_token_encode(secret, sizeof(secret), &t, text,
                                     sizeof(text)), 0);
    snprintf(header, sizeof(header), "Bearer %s", text);
    assert_non_null(tk_token_from_authorization(header, out, sizeof(out)));
    assert_int_equal(tk_token_decode(secret, sizeof(secret), out, &back), 1);
    assert_int_equal(back.seq, INT64_MAX);
    assert_int_equal(back.user_id, INT64_MAX);
}

/* A token bound to its caller: the reference MAC over
 * "tk2:<seq>:<user>:<name>", and genuine only for that caller. */
static void test_bound_to_caller(void **state)
{
    static const char *const callers[] = {"user3", "a:b", "홍길동", "x y", NULL};
    tk_token t = {42, 3}, back;
    char text[TK_TOKEN_MAX_LEN], plain[TK_TOKEN_MAX_LEN], want[TK_TOKEN_MAX_LEN];
    char msg[128];
    unsigned char md[EVP_MAX_MD_SIZE], b64[80];
    unsigned int md_len = 0;
    size_t i, j;
    (void)state;

    assert_int_equal(tk_token_encode_for(secret, sizeof(secret), &t, "user3",
                                         text, sizeof(text)), 0);
    snprintf(msg, sizeof(msg), "tk2:42:3:user3");
    assert_non_null(HMAC(EVP_sha256(), secret, sizeof(secret),
                         (const unsigned char *)msg, strlen(msg), md, &md_len));
    EVP_EncodeBlock(b64, md, (int)md_len);
    for (i = 0; b64[i]; ++i) {
        b64[i] = b64[i] == '+' ? '-' : b64[i] == '/' ? '_' : b64[i];
    }
    b64[43] = '\0';
    snprintf(want, sizeof(want), "42.3.%s", b64);
    assert_string_equal(text, want);

    assert_int_equal(tk_token_encode(secret, sizeof(secret), &t, plain,
                                     sizeof(plain)), 0);
    assert_string_not_equal(text, plain);
    for (i = 0; callers[i]; ++i) {
        assert_int_equal(tk_token_encode_for(secret, sizeof(secret), &t,
                                             callers[i], text, sizeof(text)), 0);
        for (j = 0; callers[j]; ++j) {
            assert_int_equal(tk_token_decode_for(secret, sizeof(secret), text,
                                                 callers[j], &back), i == j);
        }
        /* bound is not unbound, and the reverse */
        assert_int_equal(tk_token_decode(secret, sizeof(secret), text, &back), 0);
        assert_int_equal(tk_token_decode_for(secret, sizeof(secret), plain,
                                             callers[i], &back), 0);
    }
    /* "user3" as caller of user 42's token is not user "3" of token 42:user */
    t.user_id = 4;
    assert_int_equal(tk_token_encode_for(secret, sizeof(secret), &t, "2:user3",
                                         text, sizeof(text)), 0);
    assert_int_equal(tk_token_decode_for(secret, sizeof(secret), text, "user3",
                                         &back), 0);
}

/* A name that is no user name (tk_parse_user_name) binds no token. */
static void test_bound_to_bad_caller(void **state)
{
    static const char *const bad[] = {"", "a\nb", "tab\there", "\x7f",
                                      "\xff\xfe", "\xed\xa0\x80", NULL};
    tk_token t = {1, 1}, back;
    char text[TK_TOKEN_MAX_LEN], good[TK_TOKEN_MAX_LEN], longest[TK_USER_NAME_MAX + 2];
    size_t i;
    (void)state;

    assert_int_equal(tk_token_encode_for(secret, sizeof(secret), &t, "ok",
                                         good, sizeof(good)), 0);
    for (i = 0; bad[i]; ++i) {
        assert_int_equal(tk_token_encode_for(secret, sizeof(secret), &t, bad[i],
                                             text, sizeof(text)), -1);
        assert_int_equal(tk_token_decode_for(secret, sizeof(secret), good,
                                             bad[i], &back), 0);
    }
    memset(longest, 'n', TK_USER_NAME_MAX);
    longest[TK_USER_NAME_MAX] = '\0';
    assert_int_equal(tk_token_encode_for(secret, sizeof(secret), &t, longest,
                                         text, sizeof(text)), 0);
    assert_int_equal(tk_token_decode_for(secret, sizeof(secret), text, longest,
                                         &back), 1);
    longest[TK_USER_NAME_MAX] = 'n';
    longest[TK_USER_NAME_MAX + 1] = '\0';
    assert_int_equal(tk_token_encode_for(secret, sizeof(secret), &t, longest,
                                         text, sizeof(text)), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encode_matches_reference),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_other_secret),
        cmocka_unit_test(test_every_character_matters),
        cmocka_unit_test(test_truncated_and_extended),
        cmocka_unit_test(test_seq_user_malformed),
        cmocka_unit_test(test_decode_garbage),
        cmocka_unit_test(test_encode_refuses_non_ids),
        cmocka_unit_test(test_encode_buffer_size),
        cmocka_unit_test(test_auth),
        cmocka_unit_test(test_auth_buffer),
        cmocka_unit_test(test_auth_then_decode),
        cmocka_unit_test(test_bound_to_caller),
        cmocka_unit_test(test_bound_to_bad_caller),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
