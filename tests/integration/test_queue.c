/* test_queue.c: endpoints 1, 2 and 10 against a real Apache and
 * PostgreSQL: every error answer, forged tokens, concurrent entries of one
 * user. Admission is in test_admission.c. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "harness.h"

#define DB "itest_queue"
#define MSG_QUEUE "대기열에 진입할 수 없습니다."
#define MSG_TOKEN "해당 서비스를 이용하실 수 없습니다."

TH_SUITE(DB, 50, "CAPACITY=3", NULL)

/* GET path, without a token */
static int get(th_resp *r, int port, const char *path)
{
    return th_http(r, port, "GET", path, NULL, NULL);
}

/* POST /queues with the body as is */
static int enter_body(th_resp *r, int port, const char *body)
{
    return th_http(r, port, "POST", "/queues", NULL, body);
}

/* GET /queues with the Authorization value auth (NULL for none) */
static int poll_auth(th_resp *r, int port, const char *auth)
{
    return th_http_auth(r, port, "GET", "/queues", auth, NULL);
}

static void test_health(void **state)
{
    th_resp r;
    (void)state;
    assert_int_equal(th_http(&r, httpd.port, "GET", "/health", NULL, NULL), 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(th_str(&r, "status"), "ok");
    assert_non_null(strstr(r.content_type, "application/json"));
    th_resp_free(&r);
    th_http(&r, httpd.port, "GET", "/health?db=1", NULL, NULL);
    assert_int_equal(r.status, 200);
    assert_string_equal(th_str(&r, "status"), "ok");
    th_resp_free(&r);
    TH_EXPECT_ERROR(400, "BAD_REQUEST", "잘못된 요청입니다.",
                    get, httpd.port, "/health?db=yes");
}

static void test_routes_and_methods(void **state)
{
    (void)state;
    TH_EXPECT_ERROR(404, "NOT_FOUND", TH_MSG_NO_ROUTE, get, httpd.port, "/nope");
    TH_EXPECT_ERROR(404, "NOT_FOUND", TH_MSG_NO_ROUTE, get, httpd.port, "/queues/");
    th_expect_405(httpd.port, "DELETE", "/queues", NULL, NULL, "POST, GET");
    th_expect_405(httpd.port, "POST", "/health", NULL, "{}", "GET");
}

static void test_enter_rejects_bad_bodies(void **state)
{
    static const char *const bad[] = {
        "", "{", "[]", "1", "{\"userId\": 0}", "{\"userId\": -1}",
        "{\"userId\": 1.5}", "{\"userId\": 1e2}", "{\"userId\": \"01\"}",
        "{\"userId\": \"1a\"}", "{\"userId\": true}", "{\"userId\": null}",
        "{\"userId\": {}}", "{\"user\": 1}", "{'userId': 1}",
        "{\"userId\": 99999999999999999999}", "{\"userId\": 1} x",
        /* a key twice (the last would win), U+0000 ("1\0junk" reads as 1) */
        "{\"userId\": 2, \"userId\": 1}", "{\"userId\": 1, \"\\u0075serId\": 1}",
        "{\"userId\": \"1\\u0000junk\"}", NULL};
    const char *const *b;
    (void)state;

    for (b = bad; *b; ++b) {
        TH_EXPECT_ERROR(400, "BAD_REQUEST", MSG_QUEUE, enter_body, httpd.port, *b);
    }
    TH_EXPECT_ERROR(400, "USER_NOT_FOUND", MSG_QUEUE,
                    enter_body, httpd.port, "{\"userId\": 4242}");
    assert_int_equal(th_db_scalar(db, "SELECT count(*) FROM queue_tokens"), 0);
}

static void test_body_too_large(void **state)
{
    char body[9000];
    (void)state;

    th_oversized_body(body, sizeof(body));
    TH_EXPECT_ERROR(413, "PAYLOAD_TOO_LARGE", TH_MSG_TOO_LARGE, enter_body, httpd.port, body);
    assert_int_equal(th_db_scalar(db, "SELECT count(*) FROM queue_tokens"), 0);
}

static void test_poll_rejects_bad_tokens(void **state)
{
    static const char *const bad[] = {
        "", "Bearer", "Bearer x", "1.1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "abc.def.ghi", NULL};
    const char *const *b;
    char token[128], forged[160], auth[200];
    (void)state;

    TH_EXPECT_ERROR(401, "TOKEN_INVALID", MSG_TOKEN, poll_auth, httpd.port, NULL);
    for (b = bad; *b; ++b) {
        TH_EXPECT_ERROR(401, "TOKEN_INVALID", MSG_TOKEN, poll_auth, httpd.port, *b);
    }
    /* a genuine token with its user changed is a forgery */
    assert_int_equal(th_enter(httpd.port, 40, token), 200);
    th_forge(forged, sizeof(forged), token, 41);
    snprintf(auth, sizeof(auth), "Bearer %s", forged);
    TH_EXPECT_ERROR(401, "TOKEN_INVALID", MSG_TOKEN, poll_auth, httpd.port, auth);
}

/* Many concurrent entries of one user: one live token, all answers equal. */
#define RACERS 40
static char race_tokens[RACERS][128];

static void *enter_user_7(void *arg)
{
    int i = (int)(intptr_t)arg;
    th_enter(httpd.port, 7, race_tokens[i]);
    return NULL;
}

static void test_concurrent_entry_one_token(void **state)
{
    pthread_t t[RACERS];
    int i;
    (void)state;

    th_db_exec(db, "UPDATE queue_tokens SET state = 'expire' WHERE user_id = 7");
    for (i = 0; i < RACERS; ++i) {
        pthread_create(&t[i], NULL, enter_user_7, (void *)(intptr_t)i);
    }
    for (i = 0; i < RACERS; ++i) {
        pthread_join(t[i], NULL);
    }
    for (i = 1; i < RACERS; ++i) {
        assert_string_equal(race_tokens[i], race_tokens[0]);
    }
    assert_int_equal(th_db_scalar(db, "SELECT count(*) FROM queue_tokens"
                                      " WHERE user_id = 7 AND state IN ('wait', 'service')"), 1);
}

/* TicketQueue Closed: new users are refused, a live token is still
 * handed back. A second host on the same database runs closed. */
static void test_closed_queue(void **state)
{
    th_httpd closed;
    char token[128];
    th_resp r;
    (void)state;

    assert_int_equal(th_enter(httpd.port, 8, token), 200);
    th_httpd_start(&closed, DB, "CAPACITY=3", "TicketQueue Closed");
    TH_EXPECT_ERROR(400, "QUEUE_CLOSED", MSG_QUEUE, enter_body, closed.port, "{\"userId\": 9}");
    enter_body(&r, closed.port, "{\"userId\": 8}");
    assert_int_equal(r.status, 200);
    assert_string_equal(th_str(&r, "userToken"), token);
    th_resp_free(&r);
    th_httpd_stop(&closed);
    assert_int_equal(th_errlog_unexpected(&closed, NULL), 0);
    assert_int_equal(th_db_scalar(db, "SELECT count(*) FROM queue_tokens WHERE user_id = 9"), 0);
}

/* Routes are matched relative to the <Location> that serves the API,
 * the longest one first; quoting in the configuration does not matter. */
static void test_location_prefix(void **state)
{
    th_httpd h;
    th_resp r;
    (void)state;

    /* sections that refine or wrap the API's <Location> (merged after it)
     * do not move its root */
    th_httpd_start(&h, DB, "LOCATION=/api/v1",
                   "<Location \"/other\">\n    SetHandler \"ticket\"\n</Location>\n"
                   "<Location /api/v1/health>\n    Require all granted\n</Location>\n"
                   "<Location /api/v1/queues>\n    Require all granted\n</Location>\n"
                   "<Location />\n    Require all granted\n</Location>");
    th_http(&r, h.port, "GET", "/api/v1/health", NULL, NULL);
    assert_int_equal(r.status, 200);
    assert_string_equal(th_str(&r, "status"), "ok");
    th_resp_free(&r);
    TH_EXPECT_ERROR(401, "TOKEN_INVALID", MSG_TOKEN, get, h.port, "/api/v1/queues");
    th_http(&r, h.port, "GET", "/other/health", NULL, NULL);
    assert_int_equal(r.status, 200);
    th_resp_free(&r);
    TH_EXPECT_ERROR(404, "NOT_FOUND", TH_MSG_NO_ROUTE, get, h.port, "/api/v1/health/x");
    TH_EXPECT_ERROR(404, "NOT_FOUND", TH_MSG_NO_ROUTE, get, h.port, "/api/v1/health/concerts");
    TH_EXPECT_ERROR(404, "NOT_FOUND", TH_MSG_NO_ROUTE, get, h.port, "/api/v1/queues/concerts");
    th_httpd_stop(&h);
    assert_int_equal(th_errlog_unexpected(&h, NULL), 0);
}

/* 413 comes before the token check, also where no body is read. */
static void test_body_limit_before_token(void **state)
{
    char body[9000];
    (void)state;

    memset(body, 'x', sizeof(body) - 1);
    body[sizeof(body) - 1] = '\0';
    TH_EXPECT_ERROR(413, "PAYLOAD_TOO_LARGE", TH_MSG_TOO_LARGE,
                    th_http, httpd.port, "GET", "/queues", NULL, body);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_health),
        cmocka_unit_test(test_routes_and_methods),
        cmocka_unit_test(test_enter_rejects_bad_bodies),
        cmocka_unit_test(test_body_too_large),
        cmocka_unit_test(test_poll_rejects_bad_tokens),
        cmocka_unit_test(test_concurrent_entry_one_token),
        cmocka_unit_test(test_closed_queue),
        cmocka_unit_test(test_location_prefix),
        cmocka_unit_test(test_body_limit_before_token),
    };
    return cmocka_run_group_tests_name("queue", tests, setup, teardown);
}
