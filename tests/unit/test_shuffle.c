/* test_shuffle.c: unit tests of tk_shuffle (the pre-queue's keyed
 * permutation and its inverse, the key's hex text). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>

#include "tk_shuffle.h"

#include "../shuffle_kat.h"

static void key_of(const char *hex, unsigned char key[TK_SHUFFLE_KEY_BYTES])
{
    assert_int_equal(tk_shuffle_key_from_hex(hex, key), 0);
}

/* Keys for the statistics: splitmix64 from a seed, deterministic. */
static uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static void key_from_seed(uint64_t *s, unsigned char key[TK_SHUFFLE_KEY_BYTES])
{
    uint64_t a = splitmix64(s), b = splitmix64(s);
    int i;
    for (i = 0; i < 8; ++i) {
        key[i] = (unsigned char)(a >> (8 * i));
        key[8 + i] = (unsigned char)(b >> (8 * i));
    }
}

/* place() over [0, size) is a permutation (every place once, none out of
 * range) and index() inverts it. */
static void assert_permutation(const unsigned char *key, int64_t size)
{
    unsigned char *seen = calloc((size_t)size, 1);
    int64_t i, p;

    assert_non_null(seen);
    for (i = 0; i < size; ++i) {
        p = tk_shuffle_place(key, size, i);
        if (p < 0 || p >= size || seen[p]) {
            fail_msg("size %lld: index %lld has place %lld%s", (long long)size,
                     (long long)i, (long long)p, p >= 0 && p < size ? " twice" : "");
        }
        seen[p] = 1;
        if (tk_shuffle_index(key, size, p) != i) {
            fail_msg("size %lld: index(place(%lld)) = %lld", (long long)size,
                     (long long)i, (long long)tk_shuffle_index(key, size, p));
        }
    }
    free(seen);      /* size places, each at most once: none skipped */
}

static void test_permutation_small_sizes(void **state)
{
    static const char *const keys[] = {KEY_A, KEY_B, "ffffffffffffffffffffffffffffffff"};
    unsigned char key[TK_SHUFFLE_KEY_BYTES];
    size_t k;
    int64_t size;
    (void)state;
    for (k = 0; k < sizeof(keys) / sizeof(keys[0]); ++k) {
        key_of(keys[k], key);
        for (size = 1; size <= 300; ++size) {
            assert_permutation(key, size);
        }
    }
}

static void test_permutation_larger_sizes(void **state)
{
    static const int64_t sizes[] = {1000, 1024, 4096, 4097};
    unsigned char key[TK_SHUFFLE_KEY_BYTES];
    uint64_t seed = 7;
    size_t s;
    int k;
    (void)state;
    for (k = 0; k < 3; ++k) {
        key_from_seed(&seed, key);
        for (s = 0; s < sizeof(sizes) / sizeof(sizes[0]); ++s) {
            assert_permutation(key, sizes[s]);
        }
    }
    /* and two larger ones, whole, with one key (4^8, and no power of 2) */
    assert_permutation(key, 65536);
    assert_permutation(key, 100000);
}

/* Sizes too large to walk whole: index() inverts place() on samples, and
 * the places are in range. */
static void test_inverse_sampled(void **state)
{
    static const int64_t sizes[] = {
        INT64_C(1) << 20, (INT64_C(1) << 20) + 1, INT64_C(1000000000),
        (INT64_C(1) << 40) - 1, INT64_C(1) << 40, (INT64_C(1) << 40) + 1,
        TK_SHUFFLE_MAX_SIZE - 1, TK_SHUFFLE_MAX_SIZE,
    };
    unsigned char key[TK_SHUFFLE_KEY_BYTES];
    uint64_t seed = 11;
    size_t s;
    int j;
    (void)state;
    key_of(KEY_B, key);
    for (s = 0; s < sizeof(sizes) / sizeof(sizes[0]); ++s) {
        for (j = 0; j < 300; ++j) {
            int64_t i = j < 2 ? (j ? sizes[s] - 1 : 0)
                              : (int64_t)(splitmix64(&seed) % (uint64_t)sizes[s]);
            int64_t p = tk_shuffle_place(key, sizes[s], i);
            assert_true(p >= 0 && p < sizes[s]);
            assert_int_equal(tk_shuffle_index(key, sizes[s], p), i);
            assert_int_equal(tk_shuffle_place(key, sizes[s], tk_shuffle_index(key, sizes[s], i)), i);
        }
    }
}

static void test_out_of_range(void **state)
{
    static const struct { int64_t size, x; } bad[] = {
        {0, 0}, {-1, 0}, {INT64_MIN, 0}, {TK_SHUFFLE_MAX_SIZE + 1, 0}, {INT64_MAX, 0},
        {1, 1}, {1, -1}, {10, 10}, {10, -1}, {10, INT64_MAX}, {10, INT64_MIN},
        {1000, 1000}, {TK_SHUFFLE_MAX_SIZE, TK_SHUFFLE_MAX_SIZE}, {TK_SHUFFLE_MAX_SIZE, -1},
    };
    unsigned char key[TK_SHUFFLE_KEY_BYTES];
    size_t i;
    (void)state;
    key_of(KEY_A, key);
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); ++i) {
        assert_int_equal(tk_shuffle_place(key, bad[i].size, bad[i].x), -1);
        assert_int_equal(tk_shuffle_index(key, bad[i].size, bad[i].x), -1);
    }
}


static void test_known_answers(void **state)
{
    unsigned char key[TK_SHUFFLE_KEY_BYTES];
    size_t i;
    (void)state;
    for (i = 0; i < sizeof(kat) / sizeof(kat[0]); ++i) {
        key_of(kat[i].key, key);
        assert_int_equal(tk_shuffle_place(key, kat[i].size, kat[i].index), kat[i].place);
        assert_int_equal(tk_shuffle_index(key, kat[i].size, kat[i].place), kat[i].index);
    }
}

/* Spearman's rank correlation of index and place over [0, n): with no
 * ties, 1 - 6 sum d^2 / (n (n^2 - 1)). */
static double spearman(const unsigned char *key, int64_t n)
{
    double d2 = 0, d;
    int64_t i;
    for (i = 0; i < n; ++i) {
        d = (double)(tk_shuffle_place(key, n, i) - i);
        d2 += d * d;
    }
    return 1.0 - 6.0 * d2 / ((double)n * ((double)n * (double)n - 1.0));
}

static void test_no_rank_correlation(void **state)
{
    unsigned char key[TK_SHUFFLE_KEY_BYTES];
    uint64_t seed = 2024;
    double rho;
    int k;
    (void)state;
    key_of(KEY_A, key);
    rho = spearman(key, 1000);
    assert_true(rho > -0.1 && rho < 0.1);
    key_of(KEY_B, key);
    rho = spearman(key, 1000);
    assert_true(rho > -0.1 && rho < 0.1);
    for (k = 0; k < 6; ++k) {
        key_from_seed(&seed, key);
        rho = spearman(key, 1000);
        if (!(rho > -0.1 && rho < 0.1)) {
            fail_msg("key %d: rho %f", k, rho);
        }
    }
}

/* Keys one bit apart give unrelated permutations: about one index in n
 * keeps its place (a random pair of permutations agrees on 1 on average). */
static void test_keys_differ(void **state)
{
    unsigned char a[TK_SHUFFLE_KEY_BYTES], b[TK_SHUFFLE_KEY_BYTES];
    int bit, same;
    int64_t i;
    (void)state;
    key_of(KEY_A, a);
    for (bit = 0; bit < 8 * TK_SHUFFLE_KEY_BYTES; bit += 9) {
        memcpy(b, a, sizeof(a));
        b[bit / 8] ^= (unsigned char)(1u << (bit % 8));
        same = 0;
        for (i = 0; i < 1000; ++i) {
            same += tk_shuffle_place(a, 1000, i) == tk_shuffle_place(b, 1000, i);
        }
        if (same > 8) {
            fail_msg("bit %d: %d indexes of 1000 keep their place", bit, same);
        }
    }
}

/* Over many keys each order of 3 comes about equally often, and index 0 of
 * 10 lands on each place about equally often (chi-square below its
 * 0.1 % critical value: 20.52 with 5 degrees of freedom, 27.88 with 9). */
static void test_uniform_over_keys(void **state)
{
    enum { KEYS = 6000 };
    unsigned char key[TK_SHUFFLE_KEY_BYTES];
    long orders[9] = {0}, places[10] = {0};
    uint64_t seed = 99;
    double chi3 = 0, chi10 = 0, e3 = KEYS / 6.0, e10 = KEYS / 10.0;
    int k, o;
    (void)state;
    for (k = 0; k < KEYS; ++k) {
        key_from_seed(&seed, key);
        /* the order as a number: 3 place(0) + place(1) (place(2) follows) */
        ++orders[3 * tk_shuffle_place(key, 3, 0) + tk_shuffle_place(key, 3, 1)];
        ++places[tk_shuffle_place(key, 10, 0)];
    }
    for (o = 0; o < 9; ++o) {
        if (o / 3 == o % 3) {
            assert_int_equal(orders[o], 0);     /* two indexes, one place */
            continue;
        }
        chi3 += (orders[o] - e3) * (orders[o] - e3) / e3;
    }
    for (o = 0; o < 10; ++o) {
        chi10 += (places[o] - e10) * (places[o] - e10) / e10;
    }
    if (chi3 >= 20.52 || chi10 >= 27.88) {
        fail_msg("chi-square: orders of 3 %f, places of 10 %f", chi3, chi10);
    }
}

static void test_key_from_hex(void **state)
{
    static const unsigned char want[TK_SHUFFLE_KEY_BYTES] = {
        0x5e, 0x11, 0x8a, 0x02, 0xc3, 0x7f, 0x90, 0x4d,
        0x21, 0xee, 0x38, 0x06, 0xb4, 0x59, 0xa7, 0x1c,
    };
    static const char *const bad[] = {
        "", "5e118a02c37f904d21ee3806b459a71",          /* 31 */
        "5e118a02c37f904d21ee3806b459a71c0",            /* 33 */
        "5e118a02c37f904d21ee3806b459a71c00",
        "5e118a02c37f904d21ee3806b459a7 c", "5e118a02c37f904d21ee3806b459a71g",
        "0x5e118a02c37f904d21ee3806b459a7", " 5e118a02c37f904d21ee3806b459a71c",
        "5e118a02c37f904d21ee3806b459a71c ", "\\x5e118a02c37f904d21ee3806b459a71c",
        "5e118a02-c37f-904d-21ee-3806b459a71c",
    };
    unsigned char key[TK_SHUFFLE_KEY_BYTES], before[TK_SHUFFLE_KEY_BYTES];
    size_t i;
    (void)state;
    assert_int_equal(tk_shuffle_key_from_hex(KEY_B, key), 0);
    assert_memory_equal(key, want, sizeof(want));
    memset(key, 0, sizeof(key));
    assert_int_equal(tk_shuffle_key_from_hex("5E118A02C37F904D21EE3806B459A71C", key), 0);
    assert_memory_equal(key, want, sizeof(want));
    memset(key, 0, sizeof(key));
    assert_int_equal(tk_shuffle_key_from_hex("5e118A02c37F904d21EE3806b459a71C", key), 0);
    assert_memory_equal(key, want, sizeof(want));
    memset(before, 0xa5, sizeof(before));
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); ++i) {
        memcpy(key, before, sizeof(key));
        if (tk_shuffle_key_from_hex(bad[i], key) != -1) {
            fail_msg("accepted \"%s\"", bad[i]);
        }
        assert_memory_equal(key, before, sizeof(key));
    }
    assert_int_equal(tk_shuffle_key_from_hex(NULL, key), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_permutation_small_sizes),
        cmocka_unit_test(test_permutation_larger_sizes),
        cmocka_unit_test(test_inverse_sampled),
        cmocka_unit_test(test_out_of_range),
        cmocka_unit_test(test_known_answers),
        cmocka_unit_test(test_no_rank_correlation),
        cmocka_unit_test(test_keys_differ),
        cmocka_unit_test(test_uniform_over_keys),
        cmocka_unit_test(test_key_from_hex),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
