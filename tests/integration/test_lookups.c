/* test_lookups.c: endpoints 3-5 (concert list, dates, seats) against a
 * real Apache and PostgreSQL: their answers in order, sold-out and past
 * schedules, and every error answer with the order of checks. Seat holds
 * (endpoint 6) are in test_holds.c, on the same sale (harness_sale.c).
 *
 * Two hosts serve the sale (without the lookups' copy,
 * TicketLookupCacheMs 0); a second database with TicketCapacity 1 holds
 * a waiting token. Users 1-5 are admitted; the seats the tests hold or book
 * are of concert 5 (and schedule 44, booked by the sale itself). */
#include <stdio.h>
#include <string.h>
#include "harness.h"

#define DB "itest_lookups"
#define DB_WAIT "itest_lookups_wait"

#define MSG_TOKEN "해당 서비스를 이용하실 수 없습니다."
#define MSG_CONCERT "해당 콘서트 정보를 찾을 수 없습니다."
#define MSG_TAKEN "이미 선택된 좌석입니다."
#define MSG_BAD "잘못된 요청입니다."

#define USER_E 1            /* a normal admitted user for the error cases */
#define USER_X 2            /* its token is made to expire */
#define USER_SOLD 3
#define USER_OTHER 4
#define USER_GONE 5         /* its queue entry is deleted */
#define USERS 5

static th_httpd httpd, httpd2;  /* two hosts of the sale */
static th_httpd httpd_wait;     /* DB_WAIT, TicketCapacity 1 */
static PGconn *db;
static th_token tok[USERS + 1];
static char wait_tok[128];      /* user 2 of DB_WAIT, waiting */
static char d10[16], d11[16], d12[16], d14[16], dpast[16], dpast2[16], dtoday[16];

static int setup(void **state)
{
    int u;
    (void)state;

    db = th_sale_create(DB, TH_SALE_OWNER);
    th_sale_date(db, 10, d10);
    th_sale_date(db, 11, d11);
    th_sale_date(db, 12, d12);
    th_sale_date(db, 14, d14);
    th_sale_date(db, -1, dpast);
    th_sale_date(db, -2, dpast2);
    th_sale_date(db, 0, dtoday);
    /* without the lookups' copy: these tests change the database behind
     * the module's back (a booking, a token deleted or expired in SQL) and
     * expect the next answer to show it; test_lookup_cache.c has the copy */
    th_httpd_start(&httpd, DB, "CAPACITY=10 LOOKUP_CACHE_MS=0", NULL);
    th_httpd_start(&httpd2, DB, "CAPACITY=10 LOOKUP_CACHE_MS=0", NULL);
    th_admit_many(httpd.port, 1, USERS, &tok[1]);
    /* the second host's snapshot has seen the admissions */
    for (u = 1; u <= USERS; ++u) {
        assert_true(th_wait_status(httpd2.port, tok[u], "service", 15));
    }
    th_waiting_sale_start(&httpd_wait, DB_WAIT, wait_tok);
    return 0;
}

static int teardown(void **state)
{
    th_httpd *const hosts[] = {&httpd, &httpd2, &httpd_wait, NULL};
    (void)state;
    th_suite_stop_all(hosts, &db, NULL);
    return 0;
}

/* ---- helpers ---- */

static int get(th_resp *r, const char *path, const char *token)
{
    return th_client_http(th_thread_client(), r, httpd.port, "GET", path, token, NULL);
}

/* user holds the seat with its own token and userId */
static int hold(th_resp *r, long long concert, long long schedule, long long seat,
                long long user)
{
    char body[64];

    snprintf(body, sizeof(body), "{\"userId\": %lld}", user);
    return th_hold(r, httpd.port, concert, schedule, seat, tok[user], body);
}

/* the "available" flag of concert in GET /concerts; fails if absent */
static int concert_available(long long concert, const char *token)
{
    json_object *list, *v;
    th_resp r;
    size_t i;
    int found = -1;

    get(&r, "/concerts", token);
    assert_int_equal(r.status, 200);
    list = th_array(&r, "concerts");
    for (i = 0; i < json_object_array_length(list); ++i) {
        json_object *c = json_object_array_get_idx(list, i);
        if (th_obj_int(c, "concertId") == concert) {
            assert_true(json_object_object_get_ex(c, "available", &v));
            assert_true(json_object_is_type(v, json_type_boolean));
            found = json_object_get_boolean(v);
        }
    }
    th_resp_free(&r);
    if (found < 0) {
        fail_msg("concert %lld not listed", concert);
    }
    return found;
}

/* GET /concerts/:concert/dates: 200 with empty lists */
static void expect_no_dates(long long concert, const char *token)
{
    char path[100];
    th_resp r;

    snprintf(path, sizeof(path), "/concerts/%lld/dates", concert);
    get(&r, path, token);
    assert_int_equal(r.status, 200);
    assert_int_equal(json_object_array_length(th_array(&r, "availableDates")), 0);
    assert_int_equal(json_object_array_length(th_array(&r, "schedules")), 0);
    th_resp_free(&r);
}

/* ---- answers ---- */

/* The lookups' 200 answers on concert 4 (untouched by holds). */
static void test_lookups(void **state)
{
    static const long long ids[] = {4103, 4105, 4102, 4104, 4101};
    static const long long prices[] = {77000, 55000, 88000, 66000, 99000};
    const char *t = tok[USER_E];
    json_object *list, *s;
    char path[200];
    th_resp r;
    size_t i;
    (void)state;

    get(&r, "/concerts", t);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.content_type, "application/json"));
    list = th_array(&r, "concerts");
    assert_int_equal(json_object_array_length(list), 9);
    for (i = 0; i < 9; ++i) {
        assert_int_equal(th_obj_int(json_object_array_get_idx(list, i), "concertId"),
                         (long long)i + 1);
    }
    assert_string_equal(th_obj_str(json_object_array_get_idx(list, 3), "title"), "Lookup Fest");
    th_resp_free(&r);
    assert_true(concert_available(4, t));
    assert_false(concert_available(6, t));     /* only a past schedule, its seat free */
    assert_false(concert_available(7, t));     /* no schedule */

    /* dates: future schedules with a free seat, in date order */
    get(&r, "/concerts/4/dates", t);
    assert_int_equal(r.status, 200);
    list = th_array(&r, "availableDates");
    assert_int_equal(json_object_array_length(list), 2);
    assert_string_equal(json_object_get_string(json_object_array_get_idx(list, 0)), d10);
    assert_string_equal(json_object_get_string(json_object_array_get_idx(list, 1)), d12);
    list = th_array(&r, "schedules");
    assert_int_equal(json_object_array_length(list), 2);
    s = json_object_array_get_idx(list, 0);
    assert_int_equal(th_obj_int(s, "scheduleId"), 41);
    assert_string_equal(th_obj_str(s, "date"), d10);
    assert_int_equal(th_obj_int(s, "availableSeats"), 5);
    s = json_object_array_get_idx(list, 1);
    assert_int_equal(th_obj_int(s, "scheduleId"), 42);
    assert_string_equal(th_obj_str(s, "date"), d12);
    assert_int_equal(th_obj_int(s, "availableSeats"), 3);
    th_resp_free(&r);

    /* no bookable schedule: 200, empty lists */
    expect_no_dates(6, t);
    expect_no_dates(7, t);

    /* seats in seat-number order */
    snprintf(path, sizeof(path), "/concerts/4/dates/%s/seats", d10);
    get(&r, path, t);
    assert_int_equal(r.status, 200);
    assert_int_equal(th_int(&r, "scheduleId"), 41);
    assert_string_equal(th_str(&r, "date"), d10);
    list = th_array(&r, "availableSeats");
    assert_int_equal(json_object_array_length(list), 5);
    for (i = 0; i < 5; ++i) {
        s = json_object_array_get_idx(list, i);
        assert_int_equal(th_obj_int(s, "seatNum"), (long long)i + 1);
        assert_int_equal(th_obj_int(s, "seatId"), ids[i]);
        assert_int_equal(th_obj_int(s, "price"), prices[i]);
    }
    th_resp_free(&r);

    /* a sold-out future schedule: 200 with an empty list; the booked seat
     * is SEAT_TAKEN */
    snprintf(path, sizeof(path), "/concerts/4/dates/%s/seats", d14);
    get(&r, path, t);
    assert_int_equal(r.status, 200);
    assert_int_equal(th_int(&r, "scheduleId"), 44);
    assert_string_equal(th_str(&r, "date"), d14);
    assert_int_equal(json_object_array_length(th_array(&r, "availableSeats")), 0);
    th_resp_free(&r);
    TH_EXPECT_ERROR(409, "SEAT_TAKEN", MSG_TAKEN, hold, 4, 44, 4401, USER_E);
}

/* A concert whose future seats are all held or booked: not available,
 * no dates, an empty seat list, its seats SEAT_TAKEN. */
static void test_sold_out(void **state)
{
    const char *t = tok[USER_SOLD];
    char path[200];
    th_resp r;
    (void)state;

    assert_true(concert_available(5, t));
    hold(&r, 5, 51, 5101, USER_SOLD);
    assert_int_equal(r.status, 200);
    th_resp_free(&r);
    assert_true(concert_available(5, t));
    assert_int_equal(th_dates_free(httpd.port, 5, 51, t), 1);
    /* a booked seat is not listed and cannot be held */
    th_sale_book(db, 5102);
    assert_false(concert_available(5, t));
    assert_false(concert_available(5, tok[USER_OTHER]));

    expect_no_dates(5, t);
    snprintf(path, sizeof(path), "/concerts/5/dates/%s/seats", d10);
    get(&r, path, t);
    assert_int_equal(r.status, 200);
    assert_int_equal(th_int(&r, "scheduleId"), 51);
    assert_int_equal(json_object_array_length(th_array(&r, "availableSeats")), 0);
    th_resp_free(&r);

    TH_EXPECT_ERROR(409, "SEAT_TAKEN", MSG_TAKEN, hold, 5, 51, 5102, USER_SOLD);
    TH_EXPECT_ERROR(409, "SEAT_TAKEN", MSG_TAKEN, hold, 5, 51, 5102, USER_OTHER);
    TH_EXPECT_ERROR(409, "SEAT_TAKEN", MSG_TAKEN, hold, 5, 51, 5101, USER_OTHER);
    assert_int_equal(th_db_scalar(db, "SELECT count(*) FROM tickets WHERE seat_id IN (5101, 5102)"), 2);
}

/* ---- errors ---- */

/* GET of the path made from fmt and date: 404 CONCERT_NOT_FOUND */
static void expect_not_found(const char *fmt, const char *date)
{
    char path[200];

    snprintf(path, sizeof(path), fmt, date);
    TH_EXPECT_ERROR(404, "CONCERT_NOT_FOUND", MSG_CONCERT, get, path, tok[USER_E]);
}

/* 404 CONCERT_NOT_FOUND on endpoints 4 and 5 */
static void test_not_found(void **state)
{
    (void)state;

    expect_not_found("/concerts/999/dates", NULL);
    expect_not_found("/concerts/9223372036854775807/dates", NULL);
    /* seats: unknown concert, a date with no schedule (of this concert),
     * schedules that have started */
    expect_not_found("/concerts/999/dates/%s/seats", d10);
    expect_not_found("/concerts/4/dates/%s/seats", d11);        /* concert 1's date */
    expect_not_found("/concerts/4/dates/2099-01-01/seats", NULL);
    expect_not_found("/concerts/4/dates/%s/seats", dpast);
    expect_not_found("/concerts/4/dates/%s/seats", dtoday);     /* started an hour ago */
    expect_not_found("/concerts/6/dates/%s/seats", dpast2);
    expect_not_found("/concerts/9223372036854775807/dates/%s/seats", d10);
}

/* A request of each of the three endpoints, well formed. */
static int good_requests(th_req *q)
{
    th_req_set(&q[0], "GET", NULL, "/concerts");
    th_req_set(&q[1], "GET", NULL, "/concerts/4/dates");
    th_req_set(&q[2], "GET", NULL, "/concerts/4/dates/%s/seats", d10);
    return 3;
}

/* Malformed path parameters: 400 with a good token. */
static int bad_requests(th_req *q)
{
    static const char *const bad_dates[] = {"2026-13-01", "2026-1-1", "2026-02-30",
                                            "2026-00-10", "20261201", "abc",
                                            "2026-12-1x", "0000-01-01", NULL};
    const char *const *b;
    int n = 0;

    for (b = th_bad_ids; *b; ++b) {
        th_req_set(&q[n++], "GET", NULL, "/concerts/%s/dates", *b);
        th_req_set(&q[n++], "GET", NULL, "/concerts/%s/dates/%s/seats", *b, d10);
    }
    for (b = bad_dates; *b; ++b) {
        th_req_set(&q[n++], "GET", NULL, "/concerts/4/dates/%s/seats", *b);
    }
    return n;
}

/* 401 on each endpoint for every kind of unusable token, also where the
 * path is malformed (the token is checked first). */
static void test_token_errors(void **state)
{
    static th_req q[100];
    const th_gate gate = {db, httpd.port, httpd2.port, tok, USER_E, USER_GONE, USER_X,
                          httpd_wait.port, wait_tok};
    int n = good_requests(q);
    (void)state;

    th_expect_gate_errors(&gate, q, n + bad_requests(q + n), MSG_TOKEN);
}

/* 400 for malformed path parameters with a good token */
static void test_bad_requests(void **state)
{
    static th_req bad[100];
    (void)state;

    th_expect_req_errors(httpd.port, bad, bad_requests(bad), tok[USER_E],
                         400, "BAD_REQUEST", MSG_BAD);
}

/* Routes and methods of endpoints 3-5 come before the token. */
static void test_routes_and_methods(void **state)
{
    static const char *const missing[] = {
        "/concerts/", "/concerts/1", "/concerts/1/dates/", "/concerts/1/date",
        "/concerts/1/dates/2026-12-24", "/concerts/1/dates/2026-12-24/seats/1", NULL};
    const char *const *m;
    (void)state;

    th_expect_405(httpd.port, "POST", "/concerts", NULL, "{}", "GET");
    th_expect_405(httpd.port, "DELETE", "/concerts/1/dates", tok[USER_E], NULL, "GET");
    th_expect_405(httpd.port, "PUT", "/concerts/1/dates/2026-12-24/seats", NULL, "{}", "GET");
    for (m = missing; *m; ++m) {
        TH_EXPECT_ERROR(404, "NOT_FOUND", TH_MSG_NO_ROUTE, get, *m, tok[USER_E]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lookups),
        cmocka_unit_test(test_not_found),
        cmocka_unit_test(test_token_errors),
        cmocka_unit_test(test_bad_requests),
        cmocka_unit_test(test_routes_and_methods),
        cmocka_unit_test(test_sold_out),
    };
    return cmocka_run_group_tests_name("lookups", tests, setup, teardown);
}
