/* test_admission.c: FIFO admission up to TicketCapacity by the job
 * inside httpd, positions, and service-token expiry, on a fresh queue. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "harness.h"

#define DB "itest_admission"

TH_SUITE(DB, 50, "CAPACITY=3 SERVICE_TTL=4 ADVANCE_INTERVAL=1", NULL)

/* TicketCapacity 3, ten users in a row: the first three are admitted, the
 * others wait at positions 1..7 in arrival order. */
static void test_fifo_admission(void **state)
{
    char tokens[10][128];
    th_resp r;
    int i;
    (void)state;

    for (i = 0; i < 10; ++i) {
        char body[64];
        snprintf(body, sizeof(body), "{\"userId\": \"%d\"}", i + 1);
        th_http(&r, httpd.port, "POST", "/queues", NULL, body);
        assert_int_equal(r.status, 200);
        assert_non_null(th_str(&r, "userToken"));
        snprintf(tokens[i], sizeof(tokens[i]), "%s", th_str(&r, "userToken"));
        th_resp_free(&r);
    }
    assert_true(th_wait_in_service(db, "user_id BETWEEN 1 AND 3", 3, 10));
    assert_int_equal(th_in_service(db, NULL), 3);
    /* waitingCount comes from the host's snapshot, which the admission
     * job refreshes: entries that came after the run that admitted the
     * three count from its next run, one TicketAdvanceInterval later */
    for (i = 0; i < 30; ++i) {
        long long waiting;
        th_http(&r, httpd.port, "GET", "/queues", tokens[3], NULL);
        waiting = r.status == 200 ? th_int(&r, "waitingCount") : 0;
        th_resp_free(&r);
        if (waiting >= 7) {
            break;
        }
        usleep(100 * 1000);
    }
    for (i = 0; i < 10; ++i) {
        th_http(&r, httpd.port, "GET", "/queues", tokens[i], NULL);
        assert_int_equal(r.status, 200);
        if (i < 3) {
            assert_string_equal(th_str(&r, "tokenStatus"), "service");
            assert_non_null(th_str(&r, "expiresAt"));
            assert_in_range(th_int(&r, "remainingSeconds"), 0, 4);
        }
        else {
            char msg[64];
            assert_string_equal(th_str(&r, "tokenStatus"), "wait");
            assert_int_equal(th_int(&r, "position"), i - 2);
            assert_true(th_int(&r, "waitingCount") >= 7);
            assert_in_range(th_int(&r, "pollAfterMs"), 1000, 30000);
            assert_true(th_has(&r, "etaSeconds"));
            snprintf(msg, sizeof(msg), "현재 대기열은 %d명입니다.", i - 2);
            assert_string_equal(th_str(&r, "message"), msg);
        }
        th_resp_free(&r);
    }
    /* entering again returns the same token */
    th_http(&r, httpd.port, "POST", "/queues", NULL, "{\"userId\": 5}");
    assert_string_equal(th_str(&r, "userToken"), tokens[4]);
    assert_string_equal(th_str(&r, "tokenStatus"), "wait");
    assert_int_equal(th_int(&r, "position"), 2);
    th_resp_free(&r);
    th_http(&r, httpd.port, "POST", "/queues", NULL, "{\"userId\": 1}");
    assert_string_equal(th_str(&r, "userToken"), tokens[0]);
    assert_string_equal(th_str(&r, "tokenStatus"), "service");
    assert_int_equal(th_int(&r, "position"), 0);
    assert_string_equal(th_str(&r, "message"), "입장이 허용되었습니다.");
    th_resp_free(&r);
}

/* Service tokens end TicketServiceTTL after admission; the next three
 * waiting users take their places; an expired token never comes back, and
 * its user gets a new token on entering again. */
static void test_service_expiry(void **state)
{
    char token1[128], again[128];
    th_resp r;
    (void)state;

    assert_int_equal(th_enter(httpd.port, 1, token1), 200);
    /* user 1's token expired and the next three are admitted */
    assert_true(th_wait_in_service(db, "user_id BETWEEN 4 AND 6", 3, 15));
    th_http(&r, httpd.port, "GET", "/queues", token1, NULL);
    assert_int_equal(r.status, 200);
    assert_string_equal(th_str(&r, "tokenStatus"), "expire");
    assert_string_equal(th_str(&r, "message"), "사용시간이 만료되었습니다.");
    th_resp_free(&r);
    assert_int_equal(th_enter(httpd.port, 1, again), 200);
    assert_string_not_equal(again, token1);
    assert_int_equal(th_db_scalar(db, "SELECT count(*) FROM queue_tokens"
                                      " WHERE user_id = 1 AND state IN ('wait', 'service')"), 1);
}

/* A position never grows for a token, across admissions. */
static void test_position_never_grows(void **state)
{
    char token[128];
    long long last = 1LL << 40;
    th_resp r;
    int i;
    (void)state;

    assert_int_equal(th_enter(httpd.port, 30, token), 200);
    for (i = 0; i < 40; ++i) {
        th_http(&r, httpd.port, "GET", "/queues", token, NULL);
        assert_int_equal(r.status, 200);
        if (strcmp(th_str(&r, "tokenStatus"), "wait") == 0) {
            assert_true(th_int(&r, "position") <= last);
            last = th_int(&r, "position");
        }
        th_resp_free(&r);
        usleep(100000);
    }
}

static int someone_else_admitted(void *arg)
{
    long long *before = arg;
    return th_db_scalar(db, "SELECT count(*) FROM queue_tokens"
                            " WHERE admitted_at IS NOT NULL") > *before;
}

/* A graceful restart (log rotation does one nightly) drops no request
 * and the queue keeps moving afterwards. */
static void test_graceful_restart(void **state)
{
    char token[128];
    long long before;
    th_resp r;
    int i;
    (void)state;

    assert_int_equal(th_enter(httpd.port, 40, token), 200);
    before = th_db_scalar(db, "SELECT count(*) FROM queue_tokens WHERE admitted_at IS NOT NULL");
    assert_int_equal(kill(httpd.pid, SIGUSR1), 0);
    for (i = 0; i < 30; ++i) {
        assert_int_equal(th_http(&r, httpd.port, "GET", "/queues", token, NULL), 0);
        assert_int_equal(r.status, 200);
        th_resp_free(&r);
        usleep(50000);
    }
    assert_true(th_wait_until(someone_else_admitted, &before, 30));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fifo_admission),
        cmocka_unit_test(test_service_expiry),
        cmocka_unit_test(test_position_never_grows),
        cmocka_unit_test(test_graceful_restart),
    };
    return cmocka_run_group_tests_name("admission", tests, setup, teardown);
}
