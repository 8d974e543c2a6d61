/* test_shuffle_sql.c: the pre-queue's permutation in SQL
 * (sql/functions/15_shuffle.sql) is the one in C (mod_ticket/tk_shuffle.c),
 * bit for bit: a waiting poll computes a place in C, the admission admits
 * by place in SQL. Keys come from the database as hex text, as the module
 * reads them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "harness.h"
#include "tk_shuffle.h"

#define DB "itest_shuffle"
#include "../shuffle_kat.h"
/* 16 bytes from 244 strongly random bits (core PostgreSQL, no pgcrypto) */
#define NEW_KEY "SELECT encode(substr(sha256(uuid_send(gen_random_uuid())" \
                " || uuid_send(gen_random_uuid())), 1, 16), 'hex')"

static PGconn *db;

static int setup(void **state)
{
    (void)state;
    th_db_create(DB, 1);
    db = th_db_connect(DB);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    PQfinish(db);
    return 0;
}

/* splitmix64: the sampled indexes */
static uint64_t next_rand(uint64_t *s)
{
    uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

/* For each x of xs[0..n): SQL's ticket_shuffle_place(key, size, x) and
 * ticket_shuffle_index(key, size, x) are C's. */
static void assert_sql_is_c(const char *hex, int64_t size, const int64_t *xs, int n)
{
    unsigned char key[TK_SHUFFLE_KEY_BYTES];
    size_t cap = (size_t)n * 22 + 3, len = 0;
    char *arr = malloc(cap), sz[24];
    const char *params[3];
    PGresult *res;
    int i;

    assert_non_null(arr);
    assert_int_equal(tk_shuffle_key_from_hex(hex, key), 0);
    arr[len++] = '{';
    for (i = 0; i < n; ++i) {
        len += (size_t)snprintf(arr + len, cap - len, "%s%lld", i ? "," : "", (long long)xs[i]);
    }
    snprintf(arr + len, cap - len, "}");
    snprintf(sz, sizeof(sz), "%lld", (long long)size);
    params[0] = hex;
    params[1] = sz;
    params[2] = arr;
    res = PQexecParams(db,
        "SELECT ticket_shuffle_place(k, $2::bigint, x), ticket_shuffle_index(k, $2::bigint, x)"
        "  FROM (SELECT decode($1, 'hex') AS k) c,"
        "       unnest($3::bigint[]) WITH ORDINALITY AS u(x, o) ORDER BY o",
        3, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != n) {
        fail_msg("size %lld: %s", (long long)size, PQresultErrorMessage(res));
    }
    for (i = 0; i < n; ++i) {
        long long p = atoll(PQgetvalue(res, i, 0)), x = atoll(PQgetvalue(res, i, 1));
        if (p != tk_shuffle_place(key, size, xs[i]) || x != tk_shuffle_index(key, size, xs[i])) {
            fail_msg("key %s, size %lld, %lld: SQL place %lld index %lld, C %lld %lld",
                     hex, (long long)size, (long long)xs[i], p, x,
                     (long long)tk_shuffle_place(key, size, xs[i]),
                     (long long)tk_shuffle_index(key, size, xs[i]));
        }
    }
    PQclear(res);
    free(arr);
}

/* Every index of small sizes (and both neighbours out of range); samples
 * of larger ones, their ends included. */
static void test_sql_equals_c(void **state)
{
    static const int64_t sizes[] = {
        1, 2, 3, 4, 7, 16, 17, 1000, 65537,
        (INT64_C(1) << 40) - 3, INT64_C(1) << 40, (INT64_C(1) << 40) + 7,
        TK_SHUFFLE_MAX_SIZE,
    };
    char keys[5][40] = {KEY_A, KEY_B};
    int64_t *xs = malloc(1002 * sizeof(*xs));
    uint64_t seed = 42;
    size_t k, s;
    int n;
    (void)state;
    assert_non_null(xs);
    for (k = 2; k < 5; ++k) {
        th_db_text(db, keys[k], sizeof(keys[k]), NEW_KEY);
        assert_int_equal(strlen(keys[k]), 32);
    }
    for (k = 0; k < 5; ++k) {
        for (s = 0; s < sizeof(sizes) / sizeof(sizes[0]); ++s) {
            int64_t size = sizes[s];
            n = 0;
            xs[n++] = -1;
            xs[n++] = size;
            if (size <= 1000) {
                for (int64_t i = 0; i < size; ++i) xs[n++] = i;
            }
            else {
                xs[n++] = 0;
                xs[n++] = size - 1;
                while (n < 300) xs[n++] = (int64_t)(next_rand(&seed) % (uint64_t)size);
            }
            assert_sql_is_c(keys[k], size, xs, n);
        }
    }
    free(xs);
}

/* The known answers (tests/shuffle_kat.h), in SQL. */
static void test_known_answers(void **state)
{
    size_t i;
    (void)state;
    for (i = 0; i < sizeof(kat) / sizeof(kat[0]); ++i) {
        assert_int_equal(th_db_scalar(db, "SELECT ticket_shuffle_place(decode('%s', 'hex'), %lld, %lld)",
                                      kat[i].key, (long long)kat[i].size, (long long)kat[i].index),
                         kat[i].place);
        assert_int_equal(th_db_scalar(db, "SELECT ticket_shuffle_index(decode('%s', 'hex'), %lld, %lld)",
                                      kat[i].key, (long long)kat[i].size, (long long)kat[i].place),
                         kat[i].index);
    }
}

/* -1 out of range, NULL for NULL, an error for a key not of 16 bytes. */
static void test_edges(void **state)
{
    static const char *const minus_one[] = {
        "0, 0", "-1, 0", "1, 1", "1, -1", "10, 10", "10, -1",
        "4611686018427387905, 0", "9223372036854775807, 0",
        "4611686018427387904, 4611686018427387904",
    };
    char sql[200];
    PGresult *res;
    size_t i;
    (void)state;
    for (i = 0; i < sizeof(minus_one) / sizeof(minus_one[0]); ++i) {
        assert_int_equal(th_db_scalar(db, "SELECT ticket_shuffle_place('\\x" KEY_A "', %s)",
                                      minus_one[i]), -1);
        assert_int_equal(th_db_scalar(db, "SELECT ticket_shuffle_index('\\x" KEY_A "', %s)",
                                      minus_one[i]), -1);
    }
    assert_int_equal(th_db_scalar(db, "SELECT count(*) FROM (VALUES"
        " (ticket_shuffle_place(NULL, 10, 1)), (ticket_shuffle_place('\\x" KEY_A "', NULL, 1)),"
        " (ticket_shuffle_index('\\x" KEY_A "', 10, NULL))) v(x) WHERE x IS NULL"), 3);
    snprintf(sql, sizeof(sql), "SELECT ticket_shuffle_place('\\x%.30s', 10, 1)", KEY_A);
    res = PQexec(db, sql);
    assert_int_equal(PQresultStatus(res), PGRES_FATAL_ERROR);
    assert_string_equal(PQresultErrorField(res, PG_DIAG_SQLSTATE), "22023");
    PQclear(res);
}

/* Not a test: what 1,000 ticket_shuffle_index calls cost in SQL (the
 * admission's work for 1,000 places). */
static void test_sql_timing(void **state)
{
    static const int64_t sizes[] = {1000, 1000000, (INT64_C(1) << 20) + 1, INT64_C(1) << 40};
    struct timespec t0, t1;
    size_t s;
    (void)state;
    th_db_scalar(db, "SELECT ticket_shuffle_index('\\x" KEY_B "', 10, 1)");   /* warm */
    for (s = 0; s < sizeof(sizes) / sizeof(sizes[0]); ++s) {
        clock_gettime(CLOCK_MONOTONIC, &t0);
        th_db_scalar(db, "SELECT sum(ticket_shuffle_index('\\x" KEY_B "', %lld, g))"
                         "  FROM generate_series(0, 999) g", (long long)sizes[s]);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        printf("ticket_shuffle_index, 1000 calls, size %lld: %.1f ms\n", (long long)sizes[s],
               (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_answers),
        cmocka_unit_test(test_sql_equals_c),
        cmocka_unit_test(test_edges),
        cmocka_unit_test(test_sql_timing),
    };
    return cmocka_run_group_tests_name("shuffle_sql", tests, setup, teardown);
}
