/* test_catalogue.c: the first sale as README's ops section walks it, on
 * a bare database of a password-protected role: Apache serving
 * <Location /api> is not ready (503) until `make migrate`
 * (scripts/migrate.sh) has run, then ready, and a second migrate applies
 * nothing; `make catalogue` (scripts/catalogue.sh) refuses bad files
 * naming the field or line (a date that is not its start's local date, a
 * seat in two sections, JSON that does not parse) and loads nothing, then
 * loads the example of conf/ (2 concerts, 3 schedules of 100 seats in
 * price sections), which shows in the API and sells; loading again changes
 * nothing, and a price change of a sold seat is refused, naming it. */
#include <stdio.h>
#include <string.h>
#include "harness.h"

#define DB "itest_catalogue"

static th_httpd httpd;
static PGconn *db;

static int setup(void **state)
{
    (void)state;
    th_db_create_bare(DB);
    db = th_db_connect(DB);
    th_httpd_start(&httpd, DB, "LOCATION=/api CAPACITY=10", NULL);
    return 0;
}

static int teardown(void **state)
{
    /* the admission job's statements fail until the schema is there */
    static const char *const allowed[] = {"TICKET011:", NULL};
    (void)state;
    th_suite_stop(&httpd, &db, allowed);
    return 0;
}

static int load(const char *file, char *out, size_t n)
{
    return th_script("catalogue.sh", DB, file, out, n);
}

static long ready_status(void)
{
    th_resp r;
    long status = th_http(&r, httpd.port, "GET", "/api/health?db=1", NULL, NULL) == 0
                  ? r.status : -1;
    th_resp_free(&r);
    return status;
}

static int ready(void *arg)
{
    (void)arg;
    return ready_status() == 200;
}

static void test_ready_once_migrated(void **state)
{
    char out[4096];
    (void)state;

    assert_int_equal(ready_status(), 503);
    assert_true(th_errlog_count(&httpd, "TICKET012:") >= 1);
    assert_int_equal(th_script("migrate.sh", DB, NULL, out, sizeof(out)), 0);
    if (!strstr(out, "applied 001_schema")) {
        fail_msg("the first migrate said: %s", out);
    }
    assert_true(th_wait_until(ready, NULL, 5));
    assert_int_equal(th_script("migrate.sh", DB, NULL, out, sizeof(out)), 0);
    if (!strstr(out, "nothing to apply")) {
        fail_msg("the second migrate said: %s", out);
    }
    th_db_exec(db, "INSERT INTO users (user_id, user_name) VALUES (1, 'fan1')");
    th_db_exec(db, "INSERT INTO accounts (user_id) VALUES (1)");
}

static void expect_refused(const char *file, const char *names)
{
    char out[4096];

    if (load(file, out, sizeof(out)) == 0 || !strstr(out, names)
        || !strstr(out, "was not loaded")) {
        fail_msg("%s was not refused naming %s: %s", file, names, out);
    }
}

static long long count(const char *table)
{
    return th_db_scalar(db, "SELECT count(*) FROM %s", table);
}

/* POST /api/queues for user 1, then its polls until it is admitted. */
static int admitted(void *arg)
{
    th_resp r;
    int ok = th_http(&r, httpd.port, "GET", "/api/queues", arg, NULL) == 0
             && th_str(&r, "tokenStatus") && strcmp(th_str(&r, "tokenStatus"), "service") == 0;
    th_resp_free(&r);
    return ok;
}

static void enter_and_wait(char *token)
{
    th_resp r;

    th_http(&r, httpd.port, "POST", "/api/queues", NULL, "{\"userId\": 1}");
    assert_int_equal(r.status, 200);
    snprintf(token, 128, "%s", th_str(&r, "userToken"));
    th_resp_free(&r);
    assert_true(th_wait_until(admitted, token, 15));
}

static void test_bad_files_load_nothing(void **state)
{
    (void)state;
    expect_refused("tests/catalogue/bad-date.json", "concerts[0].schedules[1].date");
    expect_refused("tests/catalogue/bad-date.json", "not the date of startsAt");
    expect_refused("tests/catalogue/dup-seat.json",
                   "concerts[1].schedules[0].sections[1].seats");
    expect_refused("tests/catalogue/not-json.json", "line 4");
    assert_int_equal(count("concerts"), 0);
    assert_int_equal(count("schedules"), 0);
    assert_int_equal(count("seats"), 0);
}

static void test_example_loads_and_sells(void **state)
{
    char out[4096], token[128], path[200];
    th_resp r;
    long long seat;
    (void)state;

    assert_int_equal(load("conf/catalogue.example.json", out, sizeof(out)), 0);
    if (!strstr(out, "2 concerts, 3 schedules and 300 seats")) {
        fail_msg("the example loaded as: %s", out);
    }
    assert_int_equal(th_db_scalar(db, "SELECT count(DISTINCT section) FROM seats"
                                      " WHERE schedule_id = 1"), 3);
    assert_int_equal(th_db_scalar(db, "SELECT count(*) FROM schedules WHERE schedule_id = 3"
                                      " AND concert_date = '2031-12-31'"), 1);

    enter_and_wait(token);
    th_http(&r, httpd.port, "GET", "/api/concerts", token, NULL);
    assert_int_equal(r.status, 200);
    assert_int_equal(json_object_array_length(th_array(&r, "concerts")), 2);
    th_resp_free(&r);
    th_http(&r, httpd.port, "GET", "/api/concerts/1/dates", token, NULL);
    assert_int_equal(json_object_array_length(th_array(&r, "availableDates")), 2);
    th_resp_free(&r);
    th_http(&r, httpd.port, "GET", "/api/concerts/1/dates/2031-12-24/seats", token, NULL);
    assert_int_equal(json_object_array_length(th_array(&r, "availableSeats")), 100);
    th_resp_free(&r);

    seat = th_db_scalar(db, "SELECT seat_id FROM seats WHERE schedule_id = 1 AND seat_num = 5");
    snprintf(path, sizeof(path), "/api/concerts/1/schedules/1/seats/%lld/ticket", seat);
    th_http(&r, httpd.port, "POST", path, token, "{\"userId\": 1}");
    assert_int_equal(r.status, 200);
    assert_int_equal(th_int(&r, "price"), 165000);
    snprintf(path, sizeof(path), "{\"ticketId\": %lld, \"userId\": 1}", th_int(&r, "ticketId"));
    th_resp_free(&r);
    th_http(&r, httpd.port, "PATCH", "/api/payments/charges", token,
            "{\"userId\": 1, \"amount\": 200000}");
    assert_int_equal(r.status, 200);
    th_resp_free(&r);
    th_http(&r, httpd.port, "POST", "/api/payments/pays", token, path);
    assert_int_equal(r.status, 200);
    assert_string_equal(th_str(&r, "stat"), "booked");
    th_resp_free(&r);
}

static void test_loading_again(void **state)
{
    char out[4096];
    (void)state;

    assert_int_equal(load("conf/catalogue.example.json", out, sizeof(out)), 0);
    if (!strstr(out, "0 concerts, 0 schedules and 0 seats")) {
        fail_msg("loading again changed: %s", out);
    }
    /* VIP dearer: seat 5 of schedule 1 is sold, so nothing changes */
    expect_refused("tests/catalogue/vip-dearer.json", "concerts[0].schedules[0]: seat 5 (sold)");
    assert_int_equal(th_db_scalar(db, "SELECT count(*) FROM seats WHERE schedule_id = 1"
                                      " AND section = 'VIP' AND price = 165000"), 20);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ready_once_migrated),
        cmocka_unit_test(test_bad_files_load_nothing),
        cmocka_unit_test(test_example_loads_and_sells),
        cmocka_unit_test(test_loading_again),
    };
    return cmocka_run_group_tests_name("catalogue", tests, setup, teardown);
}
