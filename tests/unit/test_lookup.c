/* test_lookup.c: unit tests of tk_lookup (the lookups' copy: seat
 * records, the catalogue's answers, dates, staleness, tokens). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>

#include "tk_lookup.h"

#define MS INT64_C(1000)
#define T0 INT64_C(1764000000000000)    /* some instant, µs */

static void test_seat_record(void **state)
{
    tk_lookup_seat s;
    (void)state;

    assert_int_equal(tk_lookup_seat_set(&s, 4101, 1, 99000, 0), 0);
    assert_int_equal(s.seat_id, 4101);
    assert_int_equal(tk_lookup_seat_num(&s), 1);
    assert_int_equal(tk_lookup_seat_price(&s), 99000);
    assert_int_equal(s.free_at, 0);
    /* the largest of each, and the smallest, come back as they were */
    assert_int_equal(tk_lookup_seat_set(&s, INT64_MAX, TK_LOOKUP_SEAT_NUM_MAX,
                                        TK_LOOKUP_PRICE_MAX, T0), 0);
    assert_int_equal(s.seat_id, INT64_MAX);
    assert_int_equal(tk_lookup_seat_num(&s), 1048575);
    assert_int_equal(tk_lookup_seat_price(&s), INT64_C(17592186044415));
    assert_int_equal(s.free_at, T0);
    assert_int_equal(tk_lookup_seat_set(&s, 1, 1, 1, -5), 0);
    assert_int_equal(tk_lookup_seat_num(&s), 1);
    assert_int_equal(tk_lookup_seat_price(&s), 1);
    assert_int_equal(s.free_at, 0);
    /* what does not fit is refused: the database answers for it */
    assert_int_equal(tk_lookup_seat_set(&s, 1, TK_LOOKUP_SEAT_NUM_MAX + 1, 1, 0), -1);
    assert_int_equal(tk_lookup_seat_set(&s, 1, 1, TK_LOOKUP_PRICE_MAX + 1, 0), -1);
    assert_int_equal(tk_lookup_seat_set(&s, 1, 0, 1, 0), -1);
    assert_int_equal(tk_lookup_seat_set(&s, 1, 1, 0, 0), -1);
    assert_int_equal(tk_lookup_seat_set(&s, 0, 1, 1, 0), -1);
    assert_int_equal(tk_lookup_seat_set(&s, 1, -1, 1, 0), -1);
}

static void test_seat_free(void **state)
{
    tk_lookup_seat s;
    (void)state;

    tk_lookup_seat_set(&s, 1, 1, 1, 0);
    assert_true(tk_lookup_seat_free(&s, T0));
    tk_lookup_seat_set(&s, 1, 1, 1, T0 + 5 * MS);        /* held 5 ms more */
    assert_false(tk_lookup_seat_free(&s, T0));
    assert_false(tk_lookup_seat_free(&s, T0 + 5 * MS - 1));
    assert_true(tk_lookup_seat_free(&s, T0 + 5 * MS));
    tk_lookup_seat_set(&s, 1, 1, 1, TK_LOOKUP_NEVER);
    assert_false(tk_lookup_seat_free(&s, INT64_MAX - 1));
}

/* concerts 1, 3, 7 (7: no schedule); concert 1 with three schedules,
 * concert 3 with one that has started */
static const tk_lookup_concert concerts[] = {
    {1, 0, 5}, {3, 5, 3}, {7, 11, 4},
};
static const char titles[] = "Alpha공연Zeta";
static tk_lookup_schedule schedules[] = {
    /* id, concert, starts, free, next_free_at, day */
    {11, 1, T0 + 100 * MS, 0, TK_LOOKUP_NEVER, 20261224},
    {12, 1, T0 + 200 * MS, 3, T0 + 50 * MS, 20261225},
    {13, 1, T0 + 300 * MS, 0, T0 + 20 * MS, 20261226},
    {31, 3, T0 - 1, 5, TK_LOOKUP_NEVER, 20261201},
};

static tk_lookup_catalogue catalogue(void)
{
    tk_lookup_catalogue c = {3, 4, concerts, schedules, titles, sizeof(titles) - 1};
    return c;
}

static void test_catalogue_find(void **state)
{
    tk_lookup_catalogue c = catalogue();
    const tk_lookup_schedule *s;
    const char *t;
    size_t len = 0;
    int n;
    (void)state;

    assert_int_equal(tk_lookup_concert_index(&c, 1), 0);
    assert_int_equal(tk_lookup_concert_index(&c, 3), 1);
    assert_int_equal(tk_lookup_concert_index(&c, 7), 2);
    assert_int_equal(tk_lookup_concert_index(&c, 2), -1);
    assert_int_equal(tk_lookup_concert_index(&c, 0), -1);
    assert_int_equal(tk_lookup_concert_index(&c, INT64_MAX), -1);
    t = tk_lookup_title(&c, 1, &len);
    assert_int_equal(len, 3);
    assert_memory_equal(t, "공", 3);
    t = tk_lookup_title(&c, 2, &len);
    assert_int_equal(len, 4);
    assert_memory_equal(t, "Zeta", 4);
    assert_null(tk_lookup_title(&c, 3, &len));
    assert_null(tk_lookup_title(&c, -1, &len));

    s = tk_lookup_schedules_of(&c, 1, &n);
    assert_int_equal(n, 3);
    assert_int_equal(s[0].schedule_id, 11);
    s = tk_lookup_schedules_of(&c, 3, &n);
    assert_int_equal(n, 1);
    assert_int_equal(s[0].schedule_id, 31);
    tk_lookup_schedules_of(&c, 7, &n);
    assert_int_equal(n, 0);
    tk_lookup_schedules_of(&c, 2, &n);
    assert_int_equal(n, 0);
    tk_lookup_schedules_of(&c, 99, &n);
    assert_int_equal(n, 0);

    assert_int_equal(tk_lookup_schedule_on(&c, 1, 20261225)->schedule_id, 12);
    assert_null(tk_lookup_schedule_on(&c, 1, 20261201));
    assert_null(tk_lookup_schedule_on(&c, 3, 20261224));
    assert_int_equal(tk_lookup_schedule_on(&c, 3, 20261201)->schedule_id, 31);
}

/* a title's place outside the titles is never read */
static void test_title_bounds(void **state)
{
    static const tk_lookup_concert bad[] = {{1, 10, 5}, {2, 3, 20}, {3, 0xffffffffu, 2}};
    tk_lookup_catalogue c = {3, 0, bad, NULL, "0123456789", 10};
    size_t len;
    (void)state;

    assert_null(tk_lookup_title(&c, 0, &len));
    assert_null(tk_lookup_title(&c, 1, &len));
    assert_null(tk_lookup_title(&c, 2, &len));
}

static void test_availability(void **state)
{
    tk_lookup_catalogue c = catalogue();
    (void)state;

    /* 12 has free seats until it starts */
    assert_true(tk_lookup_available(&c, 1, T0));
    assert_true(tk_lookup_available(&c, 1, T0 + 199 * MS));
    /* 13's hold ended at +20 ms: a free seat from then, until +300 ms */
    assert_true(tk_lookup_available(&c, 1, T0 + 250 * MS));
    assert_false(tk_lookup_available(&c, 1, T0 + 300 * MS));
    /* started; none; unknown */
    assert_false(tk_lookup_available(&c, 3, T0));
    assert_false(tk_lookup_available(&c, 7, T0));
    assert_false(tk_lookup_available(&c, 4, T0));
}

static void test_free_counts(void **state)
{
    tk_lookup_catalogue c = catalogue();
    (void)state;

    assert_int_equal(tk_lookup_free_now(&schedules[0], T0), 0);
    assert_int_equal(tk_lookup_free_now(&schedules[1], T0), 3);
    assert_int_equal(tk_lookup_free_now(&schedules[1], T0 + 50 * MS - 1), 3);
    assert_int_equal(tk_lookup_free_now(&schedules[1], T0 + 50 * MS), -1);
    assert_true(tk_lookup_dates_known(&c, 1, T0));
    assert_true(tk_lookup_dates_known(&c, 1, T0 + 20 * MS - 1));
    assert_false(tk_lookup_dates_known(&c, 1, T0 + 20 * MS));
    /* once 13 (and 12) have started, their counts no longer matter */
    assert_true(tk_lookup_dates_known(&c, 1, T0 + 300 * MS));
    assert_true(tk_lookup_dates_known(&c, 3, T0));
    assert_true(tk_lookup_bookable(&schedules[0], T0 + 100 * MS - 1));
    assert_false(tk_lookup_bookable(&schedules[0], T0 + 100 * MS));
}

static void test_days(void **state)
{
    char text[11];
    (void)state;

    assert_int_equal(tk_lookup_day(2026, 12, 24), 20261224);
    assert_int_equal(tk_lookup_day(1, 1, 1), 10101);
    tk_lookup_day_text(20261224, text);
    assert_string_equal(text, "2026-12-24");
    tk_lookup_day_text(tk_lookup_day(987, 3, 4), text);
    assert_string_equal(text, "0987-03-04");
    assert_true(tk_lookup_day(2026, 12, 31) < tk_lookup_day(2027, 1, 1));
}

static void test_end(void **state)
{
    (void)state;
    assert_int_equal(tk_lookup_end(T0, 2500 * MS), T0 + 2500 * MS);
    assert_int_equal(tk_lookup_end(T0, 0), 0);
    assert_int_equal(tk_lookup_end(T0, -1), 0);
    assert_int_equal(tk_lookup_end(T0, INT64_MAX), TK_LOOKUP_NEVER);
    assert_int_equal(tk_lookup_end(T0, INT64_MAX - T0), INT64_MAX);
}

static void test_fresh_and_due(void **state)
{
    int64_t n = 500 * MS;
    (void)state;

    assert_true(tk_lookup_fresh(T0, T0, n));
    assert_true(tk_lookup_fresh(T0, T0 + n, n));
    assert_false(tk_lookup_fresh(T0, T0 + n + 1, n));
    assert_false(tk_lookup_fresh(0, T0, n));               /* never refreshed */
    assert_false(tk_lookup_fresh(T0, T0 - 1, n));          /* clock stepped back */
    /* due a quarter of its age before it stops being fresh, at most 125 ms */
    assert_false(tk_lookup_due(T0, T0 + 375 * MS, n));
    assert_true(tk_lookup_due(T0, T0 + 375 * MS + 1, n));
    assert_false(tk_lookup_due(T0, T0 + 75 * MS, 100 * MS));
    assert_true(tk_lookup_due(T0, T0 + 75 * MS + 1, 100 * MS));
    assert_false(tk_lookup_due(T0, T0 + 30 * MS, 40 * MS));
    assert_true(tk_lookup_due(T0, T0 + 30 * MS + 1, 40 * MS));
    assert_true(tk_lookup_due(0, T0, n));
    assert_true(tk_lookup_due(T0, T0 - 1, n));
    /* at larger ages the margin stays 125 ms */
    assert_false(tk_lookup_due(T0, T0 + 1875 * MS, 2000 * MS));
    assert_true(tk_lookup_due(T0, T0 + 1875 * MS + 1, 2000 * MS));
    assert_false(tk_lookup_due(T0, T0 + 4875 * MS, 5000 * MS));
    assert_true(tk_lookup_due(T0, T0 + 4875 * MS + 1, 5000 * MS));
}

static void test_token_judge(void **state)
{
    int64_t n = 500 * MS;
    (void)state;

    /* in service while checked within max_age */
    assert_int_equal(tk_lookup_token_judge(T0 + 60000 * MS, T0, T0 + n, n),
                     TK_LOOKUP_TOKEN_SERVICE);
    assert_int_equal(tk_lookup_token_judge(T0 + 60000 * MS, T0, T0 + n + 1, n),
                     TK_LOOKUP_TOKEN_ASK);
    assert_int_equal(tk_lookup_token_judge(T0 + 60000 * MS, 0, T0, n),
                     TK_LOOKUP_TOKEN_ASK);
    assert_int_equal(tk_lookup_token_judge(T0 + 60000 * MS, T0 + 1, T0, n),
                     TK_LOOKUP_TOKEN_ASK);
    /* ended: for good, however old the check */
    assert_int_equal(tk_lookup_token_judge(T0 + 10, T0, T0 + 10, n),
                     TK_LOOKUP_TOKEN_EXPIRED);
    assert_int_equal(tk_lookup_token_judge(T0 + 10, 0, T0 + 100000 * MS, n),
                     TK_LOOKUP_TOKEN_EXPIRED);
    assert_int_equal(tk_lookup_token_judge(0, T0, T0, n), TK_LOOKUP_TOKEN_EXPIRED);
}

static void test_hash_spreads(void **state)
{
    int buckets[64] = {0}, i, most = 0;
    (void)state;

    assert_true(tk_lookup_hash(1, 20261224) != tk_lookup_hash(1, 20261225));
    assert_true(tk_lookup_hash(1, 2) != tk_lookup_hash(2, 1));
    for (i = 0; i < 6400; ++i) {
        ++buckets[tk_lookup_hash(i / 10, 20261200 + i % 10) & 63];
    }
    for (i = 0; i < 64; ++i) {
        most = buckets[i] > most ? buckets[i] : most;
    }
    assert_true(most < 160);        /* 100 expected */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seat_record),
        cmocka_unit_test(test_seat_free),
        cmocka_unit_test(test_catalogue_find),
        cmocka_unit_test(test_title_bounds),
        cmocka_unit_test(test_availability),
        cmocka_unit_test(test_free_counts),
        cmocka_unit_test(test_days),
        cmocka_unit_test(test_end),
        cmocka_unit_test(test_fresh_and_due),
        cmocka_unit_test(test_token_judge),
        cmocka_unit_test(test_hash_spreads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
