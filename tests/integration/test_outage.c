/* test_outage.c: PostgreSQL stopped and started again under a running
 * Apache: 503 JSON with Retry-After meanwhile (waiting polls and /health
 * still answer), normal answers again by themselves once it is back, a
 * restart between requests is invisible to users, and positions stay
 * true after a crash. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "harness.h"

#define DB "itest_outage"

/* mod_dbd's own complaints while the database is away are expected */
static const char *const dbd_errors[] = {"[dbd:error]", NULL};

TH_SUITE(DB, 20, "CAPACITY=1", dbd_errors)

static int db_health_ok(void *arg)
{
    th_resp r;
    int ok = th_http(&r, httpd.port, "GET", "/health?db=1", NULL, NULL) == 0
             && r.status == 200;
    (void)arg;
    th_resp_free(&r);
    return ok;
}

static void assert_unavailable(th_resp *r)
{
    th_assert_error(r, 503, "UNAVAILABLE", "잠시 후 다시 시도해 주세요.");
    assert_string_equal(r->retry_after, "2");
}

static void test_stop_and_start(void **state)
{
    char admitted[128], waiting[128];
    th_resp r;
    int i;
    (void)state;

    assert_int_equal(th_enter(httpd.port, 1, admitted), 200);
    assert_int_equal(th_enter(httpd.port, 2, waiting), 200);
    assert_true(th_wait_in_service(db, NULL, 1, 10));
    PQfinish(db);
    db = NULL;

    th_pg_ctl("stop");
    for (i = 0; i < 3; ++i) {   /* every pooled connection, not just one */
        th_http(&r, httpd.port, "POST", "/queues", NULL, "{\"userId\": 3}");
        assert_unavailable(&r);
        th_resp_free(&r);
    }
    th_http(&r, httpd.port, "GET", "/health?db=1", NULL, NULL);
    assert_unavailable(&r);
    th_resp_free(&r);
    th_http(&r, httpd.port, "GET", "/queues", admitted, NULL);
    assert_unavailable(&r);
    th_resp_free(&r);
    /* needs no database */
    th_http(&r, httpd.port, "GET", "/health", NULL, NULL);
    assert_int_equal(r.status, 200);
    th_resp_free(&r);
    th_http(&r, httpd.port, "GET", "/queues", waiting, NULL);
    assert_int_equal(r.status, 200);
    assert_string_equal(th_str(&r, "tokenStatus"), "wait");
    assert_int_equal(th_int(&r, "position"), 1);
    th_resp_free(&r);

    th_pg_ctl("start");
    assert_true(th_wait_until(db_health_ok, NULL, 15));
    assert_int_equal(th_enter(httpd.port, 3, NULL), 200);
    th_assert_poll(httpd.port, admitted, "service");
    db = th_db_connect(DB);
}

/* Connections idle in the pool die with a restart; the next requests
 * must not notice. */
static void test_restart_between_requests(void **state)
{
    th_resp r;
    int i;
    (void)state;

    for (i = 0; i < 4; ++i) {   /* fill the pools with idle connections */
        th_http(&r, httpd.port, "GET", "/health?db=1", NULL, NULL);
        th_resp_free(&r);
    }
    PQfinish(db);
    db = NULL;
    th_pg_ctl("restart");
    for (i = 0; i < 8; ++i) {
        char body[64];
        snprintf(body, sizeof(body), "{\"userId\": %d}", 4 + i);
        th_http(&r, httpd.port, "POST", "/queues", NULL, body);
        if (r.status != 200) {
            fail_msg("request %d after the restart: %ld %s", i, r.status, r.body);
        }
        th_resp_free(&r);
    }
    db = th_db_connect(DB);     /* the database is back */
}

typedef struct {
    const char *token;
    long long want;
} place_arg;

static int polls_at(void *arg)
{
    place_arg *a = arg;
    th_resp r;
    int ok = th_http(&r, httpd.port, "GET", "/queues", a->token, NULL) == 0
             && r.status == 200 && th_int(&r, "position") == a->want;
    th_resp_free(&r);
    return ok;
}

static long long position_of(const char *token)
{
    th_resp r;
    long long p;

    th_http(&r, httpd.port, "GET", "/queues", token, NULL);
    assert_int_equal(r.status, 200);
    p = th_int(&r, "position");
    th_resp_free(&r);
    return p;
}

/* A database crash makes the token sequence skip up to 32 numbers: the
 * user who enters after it is still right behind the one before it, once
 * the admission job has looked (no database statement per poll). */
static void test_crash_keeps_positions(void **state)
{
    char before[128], after[128];
    place_arg a;
    long long p, skipped;
    (void)state;

    assert_int_equal(th_enter(httpd.port, 15, before), 200);
    p = position_of(before);
    PQfinish(db);
    db = NULL;
    usleep(1000000);    /* the test cluster commits asynchronously: written */
    th_pg_crash();
    assert_true(th_wait_until(db_health_ok, NULL, 30));
    assert_int_equal(th_enter(httpd.port, 16, after), 200);
    db = th_db_connect(DB);
    skipped = th_db_scalar(db, "SELECT max(seq) - min(seq) - 1 FROM queue_tokens"
                               " WHERE user_id IN (15, 16)");
    assert_true(skipped > 0);                   /* the sequence did skip */
    a.token = after;
    a.want = p + 1;
    if (!th_wait_until(polls_at, &a, 10)) {
        fail_msg("after %lld skipped numbers, the next entry polls at %lld, not %lld",
                 skipped, position_of(after), p + 1);
    }
    assert_int_equal(position_of(before), p);
}

static int logged(void *arg)
{
    return th_errlog_count(&httpd, arg) > 0;
}

typedef struct {
    const char *what;
    int before;
} log_arg;

static int more_logged(void *arg)
{
    log_arg *a = arg;
    return th_errlog_count(&httpd, a->what) > a->before;
}

/* A database down longer than the stale-admission threshold (3 x the
 * interval + 30 s): the job says once that it cannot reach it, backs off
 * (mod_dbd's connection errors come every few seconds, not every
 * second), the parent warns that nobody is admitted (TICKET023), and one
 * line each says when the job reaches the database again and runs. */
static void test_long_outage_logged(void **state)
{
    /* (the tests before this one had outages of their own) */
    int tries, down = th_errlog_count(&httpd, "TICKET025:"),
        back = th_errlog_count(&httpd, "TICKET026:");
    (void)state;

    PQfinish(db);
    db = NULL;
    th_pg_ctl("stop");
    assert_true(th_wait_until(more_logged, &(log_arg){"TICKET025:", down}, 10));
    assert_true(th_wait_until(logged, "TICKET023:", 75));
    tries = th_errlog_count(&httpd, "AH00629");
    th_pg_ctl("start");
    assert_true(th_wait_until(more_logged, &(log_arg){"TICKET026:", back}, 15));
    assert_true(th_wait_until(logged, "TICKET024:", 30));
    /* 35 s and more of outage: a try every 5 s, from each of two sources
     * at most (the job, and mod_dbd's own pool upkeep) */
    if (tries > 25) {
        fail_msg("%d failed connection attempts logged in under a minute", tries);
    }
    printf("connection attempts logged while down: %d\n", tries);
    assert_int_equal(th_errlog_count(&httpd, "TICKET025:"), down + 1);
    assert_int_equal(th_errlog_count(&httpd, "TICKET026:"), back + 1);
    assert_int_equal(th_errlog_count(&httpd, "TICKET023:"), 1);
    db = th_db_connect(DB);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stop_and_start),
        cmocka_unit_test(test_restart_between_requests),
        cmocka_unit_test(test_crash_keeps_positions),
        cmocka_unit_test(test_long_outage_logged),
    };
    return cmocka_run_group_tests_name("outage", tests, setup, teardown);
}
