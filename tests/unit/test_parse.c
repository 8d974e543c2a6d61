/* test_parse.c: unit tests of tk_parse (IDs, amounts, bounded integers,
 * dates). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <stdio.h>
#include <setjmp.h>
#include <cmocka.h>

#include "tk_parse.h"

#define SENTINEL INT64_C(-777)

static void assert_id_ok(const char *s, int64_t want)
{
    int64_t v = SENTINEL;
    if (tk_parse_id(s, &v) != TK_PARSE_OK) {
        fail_msg("tk_parse_id(\"%s\") refused a valid id", s);
    }
    assert_int_equal(v, want);
}

static void assert_id_malformed(const char *s)
{
    int64_t v = SENTINEL;
    tk_parse_rc rc = tk_parse_id(s, &v);
    if (rc != TK_PARSE_MALFORMED) {
        fail_msg("tk_parse_id(\"%s\") = %d, want MALFORMED", s ? s : "(null)",
                 (int)rc);
    }
    assert_int_equal(v, SENTINEL);
}

static void test_id_valid(void **state)
{
    (void)state;
    assert_id_ok("1", 1);
    assert_id_ok("7", 7);
    assert_id_ok("10", 10);
    assert_id_ok("1234567890", INT64_C(1234567890));
    assert_id_ok("9223372036854775807", INT64_MAX);
    assert_id_ok("9223372036854775806", INT64_MAX - 1);
}

static void test_id_malformed(void **state)
{
    static const char *bad[] = {
        "0", "00", "01", "007", "-1", "-0", "+1", " 1", "1 ", "\t1", "1\n",
        "1.0", "1.", ".1", "1e3", "1E3", "0x1", "", "9223372036854775808",
        "9223372036854775809", "18446744073709551616",
        "99999999999999999999999999", "12a", "a12", "1_000", "1,000", "-",
        "--1", "１",
    };
    size_t i;
    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); ++i) {
        assert_id_malformed(bad[i]);
    }
    assert_id_malformed(NULL);
}

static void assert_amount_ok(const char *s, int64_t want)
{
    int64_t v = SENTINEL;
    if (tk_parse_amount(s, &v) != TK_PARSE_OK) {
        fail_msg("tk_parse_amount(\"%s\") refused a valid amount", s);
    }
    assert_int_equal(v, want);
}

static void test_amount_valid(void **state)
{
    (void)state;
    assert_amount_ok("1", 1);
    assert_amount_ok("5000", 5000);
    assert_amount_ok("0", 0);
    assert_amount_ok("-0", 0);
    assert_amount_ok("-1", -1);
    assert_amount_ok("-5000", -5000);
    assert_amount_ok("9223372036854775807", INT64_MAX);
    assert_amount_ok("-9223372036854775807", -INT64_MAX);
}

static void test_amount_malformed(void **state)
{
    static const char *bad[] = {
        "", "-", "--1", "+1", "+", " 1", "1 ", "- 1", "1-", "01", "-01", "00",
        "1.5", "1e3", "abc", "12a", "9223372036854775808",
        "-9223372036854775808", "-9223372036854775809",
        "18446744073709551616", "99999999999999999999999",
    };
    size_t i;
    int64_t v;
    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); ++i) {
        v = SENTINEL;
        if (tk_parse_amount(bad[i], &v) != TK_PARSE_MALFORMED) {
            fail_msg("tk_parse_amount(\"%s\") not MALFORMED", bad[i]);
        }
        assert_int_equal(v, SENTINEL);
    }
    assert_int_equal(tk_parse_amount(NULL, &v), TK_PARSE_MALFORMED);
}

static void assert_bounded(const char *s, int64_t min, int64_t max,
                           tk_parse_rc want, int64_t want_v)
{
    int64_t v = SENTINEL;
    tk_parse_rc rc = tk_parse_bounded(s, min, max, &v);
    if (rc != want) {
        fail_msg("tk_parse_bounded(\"%s\", %lld, %lld) = %d, want %d",
                 s ? s : "(null)", (long long)min, (long long)max, (int)rc,
                 (int)want);
    }
    assert_int_equal(v, want == TK_PARSE_OK ? want_v : SENTINEL);
}

static void test_bounded_in_range(void **state)
{
    (void)state;
    assert_bounded("1", 1, 100, TK_PARSE_OK, 1);
    assert_bounded("100", 1, 100, TK_PARSE_OK, 100);
    assert_bounded("50", 1, 100, TK_PARSE_OK, 50);
    assert_bounded("0", 0, 0, TK_PARSE_OK, 0);
    assert_bounded("-7", -10, -5, TK_PARSE_OK, -7);
    assert_bounded("-10", -10, -5, TK_PARSE_OK, -10);
    assert_bounded("-5", -10, -5, TK_PARSE_OK, -5);
    assert_bounded("0", -1, 1, TK_PARSE_OK, 0);
    assert_bounded("-0", -1, 1, TK_PARSE_OK, 0);
    assert_bounded("9223372036854775807", 1, INT64_MAX, TK_PARSE_OK, INT64_MAX);
    assert_bounded("-9223372036854775807", INT64_MIN, 0, TK_PARSE_OK,
                   -INT64_MAX);
}

static void test_bounded_range(void **state)
{
    (void)state;
    /* syntax fine, value outside [min, max]: RANGE */
    assert_bounded("0", 1, 100, TK_PARSE_RANGE, 0);
    assert_bounded("101", 1, 100, TK_PARSE_RANGE, 0);
    assert_bounded("-1", 1, 100, TK_PARSE_RANGE, 0);
    assert_bounded("-11", -10, -5, TK_PARSE_RANGE, 0);
    assert_bounded("-4", -10, -5, TK_PARSE_RANGE, 0);
    assert_bounded("4", -10, -5, TK_PARSE_RANGE, 0);
    assert_bounded("1000001", 1, 1000000, TK_PARSE_RANGE, 0);
    /* an integer past 64 bits is still an integer: RANGE, not MALFORMED */
    assert_bounded("9223372036854775808", 1, INT64_MAX, TK_PARSE_RANGE, 0);
    assert_bounded("99999999999999999999999", 1, 100, TK_PARSE_RANGE, 0);
    assert_bounded("-99999999999999999999999", -100, 100, TK_PARSE_RANGE, 0);
}

static void test_bounded_malformed(void **state)
{
    static const char *bad[] = {
        "", "-", "--1", "+1", " 1", "1 ", "1.0", "1.5", "1e3", "0x10", "abc",
        "12a", "a12", "1,000", "99999999999999999999999x", "- 1",
    };
    size_t i;
    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); ++i) {
        assert_bounded(bad[i], -1000, 1000, TK_PARSE_MALFORMED, 0);
    }
    assert_bounded(NULL, -1000, 1000, TK_PARSE_MALFORMED, 0);
}

static void assert_date_ok(const char *s, int y, int m, int d)
{
    int yy = -1, mm = -1, dd = -1;
    if (tk_parse_date(s, &yy, &mm, &dd) != TK_PARSE_OK) {
        fail_msg("tk_parse_date(\"%s\") refused a valid date", s);
    }
    assert_int_equal(yy, y);
    assert_int_equal(mm, m);
    assert_int_equal(dd, d);
}

static void test_date_valid(void **state)
{
    (void)state;
    assert_date_ok("2024-02-29", 2024, 2, 29);   /* leap year */
    assert_date_ok("2000-02-29", 2000, 2, 29);   /* divisible by 400 */
    assert_date_ok("2026-11-24", 2026, 11, 24);
    assert_date_ok("2026-01-01", 2026, 1, 1);
    assert_date_ok("2026-12-31", 2026, 12, 31);
    assert_date_ok("2026-01-31", 2026, 1, 31);
    assert_date_ok("2026-04-30", 2026, 4, 30);
    assert_date_ok("2023-02-28", 2023, 2, 28);
    assert_date_ok("0001-01-01", 1, 1, 1);
    assert_date_ok("9999-12-31", 9999, 12, 31);
}

static void test_date_invalid(void **state)
{
    static const char *bad[] = {
        "2023-02-29",   /* not a leap year */
        "1900-02-29",   /* divisible by 100, not by 400 */
        "2024-02-30",
        "2026-13-01", "2026-00-01", "2026-01-00", "2026-01-32", "2026-04-31",
        "2026-06-31", "2026-09-31", "2026-11-31", "0000-01-01",
        "2026-1-01", "2026-01-1", "26-01-01", "02026-01-01",
        "2026-01-01x", "2026-01-01 ", " 2026-01-01", "2026-01-01T00:00:00Z",
        "2026/01/01", "2026-01/01", "20260101", "2026-0a-01", "2026-01-0a",
        "a026-01-01", "+026-01-01", "-026-01-01", "2026--1-01", "2026-01--1",
        "", "2026-01-", "-",
    };
    size_t i;
    int y = -1, m = -1, d = -1;
    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); ++i) {
        if (tk_parse_date(bad[i], &y, &m, &d) != TK_PARSE_MALFORMED) {
            fail_msg("tk_parse_date(\"%s\") accepted an invalid date", bad[i]);
        }
    }
    assert_int_equal(tk_parse_date(NULL, &y, &m, &d), TK_PARSE_MALFORMED);
    /* outputs untouched on failure */
    assert_int_equal(y, -1);
    assert_int_equal(m, -1);
    assert_int_equal(d, -1);
}

/* Every day of a leap and of a common year: the days counted per month must
 * be the calendar's. */
static void test_date_whole_years(void **state)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    static const int years[] = {2023, 2024, 2100, 2400};
    char buf[48];
    int yi, m, d, y, ok_days, leap;
    int yy, mm, dd;
    (void)state;
    for (yi = 0; yi < 4; ++yi) {
        y = years[yi];
        leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        ok_days = 0;
        for (m = 1; m <= 12; ++m) {
            for (d = 1; d <= 31; ++d) {
                snprintf(buf, sizeof(buf), "%04d-%02d-%02d", y, m, d);
                int want = d <= days[m - 1] + (m == 2 && leap);
                int got = tk_parse_date(buf, &yy, &mm, &dd) == TK_PARSE_OK;
                if (got != want) {
                    fail_msg("tk_parse_date(\"%s\") = %s", buf,
                             got ? "ok" : "refused");
                }
                ok_days += got;
            }
        }
        assert_int_equal(ok_days, leap ? 366 : 365);
    }
}

static void test_idempotency_key(void **state)
{
    char key[80];
    (void)state;
    assert_int_equal(tk_parse_idempotency_key("a"), TK_PARSE_OK);
    assert_int_equal(tk_parse_idempotency_key("order-42 retry/1"), TK_PARSE_OK);
    memset(key, 'k', 64);
    key[64] = '\0';
    assert_int_equal(tk_parse_idempotency_key(key), TK_PARSE_OK);
    key[64] = 'k';
    key[65] = '\0';
    assert_int_equal(tk_parse_idempotency_key(key), TK_PARSE_MALFORMED);
    assert_int_equal(tk_parse_idempotency_key(""), TK_PARSE_MALFORMED);
    assert_int_equal(tk_parse_idempotency_key(NULL), TK_PARSE_MALFORMED);
    assert_int_equal(tk_parse_idempotency_key("tab\there"), TK_PARSE_MALFORMED);
    assert_int_equal(tk_parse_idempotency_key("\x7f"), TK_PARSE_MALFORMED);
    assert_int_equal(tk_parse_idempotency_key("\xed\x95\x9c"), TK_PARSE_MALFORMED);
}

static void test_query_param(void **state)
{
    const char *v;
    size_t n;
    (void)state;
    assert_true(tk_query_param("limit=5", "limit", &v, &n));
    assert_int_equal(n, 1);
    assert_memory_equal(v, "5", 1);
    assert_true(tk_query_param("a=1&limit=77&limit=3", "limit", &v, &n));
    assert_int_equal(n, 2);
    assert_memory_equal(v, "77", 2);
    assert_true(tk_query_param("limit", "limit", &v, &n));
    assert_int_equal(n, 0);
    assert_true(tk_query_param("limit=", "limit", &v, &n));
    assert_int_equal(n, 0);
    assert_false(tk_query_param("limits=5", "limit", &v, &n));
    assert_false(tk_query_param("xlimit=5", "limit", &v, &n));
    assert_false(tk_query_param("", "limit", &v, &n));
    assert_false(tk_query_param(NULL, "limit", &v, &n));
}

static void test_limit(void **state)
{
    int n = -1;
    (void)state;
    assert_int_equal(tk_parse_limit(NULL, 20, 100, &n), TK_PARSE_OK);
    assert_int_equal(n, 20);
    assert_int_equal(tk_parse_limit("other=1", 20, 100, &n), TK_PARSE_OK);
    assert_int_equal(n, 20);
    assert_int_equal(tk_parse_limit("limit=1", 20, 100, &n), TK_PARSE_OK);
    assert_int_equal(n, 1);
    assert_int_equal(tk_parse_limit("limit=100", 20, 100, &n), TK_PARSE_OK);
    assert_int_equal(n, 100);
    assert_int_equal(tk_parse_limit("limit=101", 20, 100, &n), TK_PARSE_OK);
    assert_int_equal(n, 100);
    assert_int_equal(tk_parse_limit("limit=99999999999999999999999", 20, 100, &n),
                     TK_PARSE_OK);
    assert_int_equal(n, 100);
    assert_int_equal(tk_parse_limit("limit=0", 20, 100, &n), TK_PARSE_MALFORMED);
    assert_int_equal(tk_parse_limit("limit=-1", 20, 100, &n), TK_PARSE_MALFORMED);
    assert_int_equal(tk_parse_limit("limit=abc", 20, 100, &n), TK_PARSE_MALFORMED);
    assert_int_equal(tk_parse_limit("limit=", 20, 100, &n), TK_PARSE_MALFORMED);
    assert_int_equal(tk_parse_limit("limit", 20, 100, &n), TK_PARSE_MALFORMED);
    assert_int_equal(tk_parse_limit("limit=05", 20, 100, &n), TK_PARSE_MALFORMED);
    assert_int_equal(tk_parse_limit("limit=1.5", 20, 100, &n), TK_PARSE_MALFORMED);
    assert_int_equal(tk_parse_limit("limit=000000000000000000000000001", 20, 100, &n),
                     TK_PARSE_MALFORMED);
}

static void test_user_name(void **state)
{
    static const char *const good[] = {"user3", "a", "alice@example.com",
        "홍길동", "CN=Jane Doe,O=Example", "x:y", "emoji \xf0\x9f\x8e\xab", "nbsp\xc2\xa0", NULL};
    static const char *const bad[] = {"", "a\rb", "new\nline", "\x01", "del\x7f",
        "\xc3", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xff",
        "c1\xc2\x85", "\xc2\x9f", NULL};
    char longest[TK_USER_NAME_MAX + 2];
    size_t i;
    (void)state;

    for (i = 0; good[i]; ++i) {
        assert_int_equal(tk_parse_user_name(good[i]), TK_PARSE_OK);
    }
    for (i = 0; bad[i]; ++i) {
        if (tk_parse_user_name(bad[i]) != TK_PARSE_MALFORMED) {
            fail_msg("bad user name %zu accepted", i);
        }
    }
    assert_int_equal(tk_parse_user_name(NULL), TK_PARSE_MALFORMED);
    memset(longest, 'u', TK_USER_NAME_MAX);
    longest[TK_USER_NAME_MAX] = '\0';
    assert_int_equal(tk_parse_user_name(longest), TK_PARSE_OK);
    longest[TK_USER_NAME_MAX] = 'u';
    longest[TK_USER_NAME_MAX + 1] = '\0';
    assert_int_equal(tk_parse_user_name(longest), TK_PARSE_MALFORMED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_id_valid),
        cmocka_unit_test(test_id_malformed),
        cmocka_unit_test(test_amount_valid),
        cmocka_unit_test(test_amount_malformed),
        cmocka_unit_test(test_bounded_in_range),
        cmocka_unit_test(test_bounded_range),
        cmocka_unit_test(test_bounded_malformed),
        cmocka_unit_test(test_date_valid),
        cmocka_unit_test(test_date_invalid),
        cmocka_unit_test(test_date_whole_years),
        cmocka_unit_test(test_idempotency_key),
        cmocka_unit_test(test_query_param),
        cmocka_unit_test(test_limit),
        cmocka_unit_test(test_user_name),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
