/* test_identity.c: TicketIdentity RemoteUser behind HTTP Basic against
 * the database (mod_authn_dbd, cached by mod_authn_socache), as `make run
 * IDENTITY=remote-user` serves it: who may enter, the userId that must be
 * the caller's, tokens bound to their caller, users made on first sight,
 * and waiting polls that still cost no database statement; and the
 * Queue-Token header in Body mode. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "harness.h"

#define DB "itest_identity"
#define DB_BODY "itest_identity_body"
#define POLLS 1000

#define MSG_LOGIN "로그인이 필요합니다."
#define MSG_SERVICE "해당 서비스를 이용하실 수 없습니다."
#define MSG_USER "해당 유저 정보를 찾을 수 없습니다."
#define MSG_QUEUE "대기열에 진입할 수 없습니다."
#define MSG_FORBIDDEN "권한이 없습니다."

/* "demo", as htpasswd -B -C 5 hashes it (sql/demo/seed.sql's) */
#define DEMO_HASH "$2y$05$25XJZ14TJZNVv4L.UoZAEOv/AsK5j/R/PPJ1s0HTIbm.W6fV/qdPK"

static th_httpd ru, body;
static PGconn *db, *body_db;

static int setup(void **state)
{
    (void)state;
    th_db_create(DB, 10);
    db = th_db_connect(DB);
    /* the demo's logins, and one for a name the users table lacks */
    th_db_exec(db, "CREATE TABLE demo_logins (user_name text PRIMARY KEY,"
                   " password_hash text NOT NULL)");
    th_db_exec(db, "INSERT INTO demo_logins SELECT user_name, '%s' FROM users",
               DEMO_HASH);
    th_db_exec(db, "INSERT INTO demo_logins SELECT 'newcomer' || g, '%s'"
                   "  FROM generate_series(1, 2) g", DEMO_HASH);
    /* mod_authn_dbd reads it as the module's role (and a refused read
     * looks like an unknown user: apr_dbd_pgsql swallows the error) */
    th_db_exec(db, "GRANT SELECT ON demo_logins TO ticket");
    th_httpd_start(&ru, DB, "IDENTITY=remote-user CAPACITY=1", NULL);
    th_suite_start(&body, &body_db, DB_BODY, 5, "CAPACITY=1");
    return 0;
}

static int teardown(void **state)
{
    /* mod_auth_basic reports each refused login at error level */
    static const char *const allowed[] = {"AH01614:", "AH01617:", "AH01618:", NULL};
    (void)state;
    th_suite_stop(&ru, &db, allowed);
    th_suite_stop(&body, &body_db, NULL);
    return 0;
}

/* A request as user:password (NULL: no credentials), with the queue token
 * in Queue-Token (or NULL). */
static void as(th_resp *r, const char *user, const char *password,
               const char *method, const char *path, const char *token,
               const char *json)
{
    char basic[160], queue[200];
    const char *headers[3] = {NULL, NULL, NULL};
    int n = 0;

    if (user) {
        snprintf(basic, sizeof(basic), "Authorization: Basic %s",
                 th_base64(user, password));
        headers[n++] = basic;
    }
    if (token) {
        snprintf(queue, sizeof(queue), "Queue-Token: %s", token);
        headers[n++] = queue;
    }
    assert_int_equal(th_http_headers(r, ru.port, method, path, NULL, headers,
                                     json), 0);
}

/* user's entry with json: its token (into out) and status */
static long enter_as(const char *user, const char *json, char *out)
{
    th_resp r;
    long status;

    as(&r, user, "demo", "POST", "/queues", NULL, json);
    status = r.status;
    if (out) {
        snprintf(out, 128, "%s", th_str(&r, "userToken") ? th_str(&r, "userToken") : "");
    }
    th_resp_free(&r);
    return status;
}

static void test_no_login(void **state)
{
    th_resp r;
    (void)state;

    /* Apache's own 401 (Require valid-user), in the API's JSON */
    as(&r, NULL, NULL, "POST", "/queues", NULL, "{}");
    th_assert_error(&r, 401, "UNAUTHENTICATED", MSG_LOGIN);
    assert_non_null(strstr(r.content_type, "application/json"));
    assert_non_null(strstr(r.www_authenticate, "Basic realm="));
    th_resp_free(&r);
    as(&r, "user3", "wrong", "POST", "/queues", NULL, "{}");
    th_assert_error(&r, 401, "UNAUTHENTICATED", MSG_LOGIN);
    assert_non_null(strstr(r.content_type, "application/json"));
    th_resp_free(&r);
    as(&r, "nobody", "demo", "GET", "/queues", NULL, NULL);
    th_assert_error(&r, 401, "UNAUTHENTICATED", MSG_LOGIN);
    th_resp_free(&r);
    /* a load balancer's probe needs no login */
    as(&r, NULL, NULL, "GET", "/health", NULL, NULL);
    assert_int_equal(r.status, 200);
    th_resp_free(&r);
}

static void test_entry_is_the_caller(void **state)
{
    char token[128], again[128];
    th_resp r;
    (void)state;

    assert_int_equal(enter_as("user3", "{}", token), 200);
    assert_int_equal(strncmp(token + strcspn(token, ".") , ".3.", 3), 0);
    assert_int_equal(enter_as("user3", "{\"userId\": 3}", again), 200);
    assert_string_equal(again, token);
    assert_int_equal(enter_as("user3", "{\"userId\": \"3\"}", again), 200);
    assert_string_equal(again, token);

    as(&r, "user3", "demo", "POST", "/queues", NULL, "{\"userId\": 4}");
    th_assert_error(&r, 403, "FORBIDDEN", MSG_FORBIDDEN);
    th_resp_free(&r);
    as(&r, "user3", "demo", "POST", "/queues", NULL, "{\"userId\": \"x\"}");
    th_assert_error(&r, 400, "BAD_REQUEST", MSG_QUEUE);
    th_resp_free(&r);
    as(&r, "user3", "demo", "POST", "/queues", NULL, "");
    th_assert_error(&r, 400, "BAD_REQUEST", MSG_QUEUE);
    th_resp_free(&r);
    /* user 4 was not entered by user 3's request */
    assert_int_equal(th_db_scalar(db, "SELECT count(*) FROM queue_tokens"
                                      " WHERE user_id = 4"), 0);
}

static void test_token_is_bound(void **state)
{
    char mine[128], other[128];
    th_resp r;
    (void)state;

    assert_int_equal(enter_as("user5", "{}", mine), 200);
    assert_int_equal(enter_as("user6", "{}", other), 200);
    as(&r, "user5", "demo", "GET", "/queues", mine, NULL);
    assert_int_equal(r.status, 200);
    th_resp_free(&r);

    /* user 6 with user 5's token: not genuine, on the poll and a charge */
    as(&r, "user6", "demo", "GET", "/queues", mine, NULL);
    th_assert_error(&r, 401, "TOKEN_INVALID", MSG_SERVICE);
    th_resp_free(&r);
    as(&r, "user6", "demo", "PATCH", "/payments/charges", mine,
       "{\"userId\": 6, \"amount\": 1000}");
    th_assert_error(&r, 401, "TOKEN_INVALID", MSG_USER);
    th_resp_free(&r);
    as(&r, "user6", "demo", "PATCH", "/payments/charges", mine,
       "{\"userId\": 5, \"amount\": 1000}");
    th_assert_error(&r, 401, "TOKEN_INVALID", MSG_USER);
    th_resp_free(&r);
    /* user 5 reading user 6's account with its own token */
    as(&r, "user5", "demo", "GET", "/payments/6/accounts", mine, NULL);
    th_assert_error(&r, 403, "FORBIDDEN", MSG_FORBIDDEN);
    th_resp_free(&r);
    as(&r, "user5", "demo", "GET", "/payments/5/accounts", mine, NULL);
    assert_int_equal(r.status, 200);
    assert_string_equal(th_str(&r, "userName"), "user5");
    th_resp_free(&r);
    /* and nothing was charged */
    assert_int_equal(th_db_scalar(db, "SELECT count(*) FROM ledger"), 0);
}

/* Authorization is the login's: the queue token only in Queue-Token. */
static void test_authorization_is_the_logins(void **state)
{
    char token[128], basic[160], bearer[200];
    const char *headers[] = {basic, NULL};
    th_resp r;
    (void)state;

    assert_int_equal(enter_as("user7", "{}", token), 200);
    snprintf(basic, sizeof(basic), "Authorization: Basic %s",
             th_base64("user7", "demo"));
    th_http_headers(&r, ru.port, "GET", "/queues", NULL, headers, NULL);
    th_assert_error(&r, 401, "TOKEN_INVALID", MSG_SERVICE);
    th_resp_free(&r);
    /* a bearer token where the login should be: Apache's 401 */
    snprintf(bearer, sizeof(bearer), "Authorization: Bearer %s", token);
    headers[0] = bearer;
    th_http_headers(&r, ru.port, "GET", "/queues", NULL, headers, NULL);
    th_assert_error(&r, 401, "UNAUTHENTICATED", MSG_LOGIN);
    th_resp_free(&r);
}

static void *first_entry(void *arg)
{
    char token[128];
    enter_as(arg, "{}", token);
    return NULL;
}

/* A name the users table lacks gets its user and an empty account at its
 * first entry, once, also when its first entries race. */
static void test_first_seen_name(void **state)
{
    pthread_t t[8];
    char token[128], again[128];
    th_resp r;
    int i;
    (void)state;

    /* refused (another's userId): no user made */
    assert_int_equal(enter_as("newcomer1", "{\"userId\": 1}", token), 403);
    assert_int_equal(th_db_scalar(db, "SELECT count(*) FROM users"
                                      " WHERE user_name = 'newcomer1'"), 0);
    assert_int_equal(enter_as("newcomer1", "{}", token), 200);
    assert_int_equal(th_db_scalar(db, "SELECT count(*) FROM users u JOIN accounts a"
                                      " USING (user_id) WHERE u.user_name = 'newcomer1'"
                                      "   AND a.balance = 0"), 1);
    assert_int_equal(enter_as("newcomer1", "{}", again), 200);
    assert_string_equal(again, token);
    as(&r, "newcomer1", "demo", "GET", "/queues", token, NULL);
    assert_int_equal(r.status, 200);
    th_resp_free(&r);

    for (i = 0; i < 8; ++i) {
        assert_int_equal(pthread_create(&t[i], NULL, first_entry, "newcomer2"), 0);
    }
    for (i = 0; i < 8; ++i) {
        pthread_join(t[i], NULL);
    }
    assert_int_equal(th_db_scalar(db, "SELECT count(*) FROM users"
                                      " WHERE user_name = 'newcomer2'"), 1);
    assert_int_equal(th_db_scalar(db, "SELECT count(*) FROM queue_tokens q"
                                      "  JOIN users u USING (user_id)"
                                      " WHERE u.user_name = 'newcomer2'"), 1);
}

/* With credentials on every request, a waiting poll still costs no
 * statement: the login from mod_authn_socache, the rest as in Body mode. */
static void test_waiting_polls_cost_no_statement(void **state)
{
    char token[128];
    th_resp r;
    long long before;
    int i;
    (void)state;

    assert_int_equal(enter_as("user9", "{}", token), 200);
    as(&r, "user9", "demo", "GET", "/queues", token, NULL);   /* cached now */
    assert_string_equal(th_str(&r, "tokenStatus"), "wait");
    th_resp_free(&r);
    before = th_app_statements(db, DB);
    for (i = 0; i < POLLS; ++i) {
        as(&r, "user9", "demo", "GET", "/queues", token, NULL);
        if (r.status != 200 || strcmp(th_str(&r, "tokenStatus"), "wait") != 0) {
            fail_msg("poll %d: %ld %s", i, r.status, r.body);
        }
        th_resp_free(&r);
    }
    assert_int_equal(th_app_statements(db, DB) - before, 0);
}

/* Body mode: Queue-Token is read too, and wins over Authorization. */
static void test_queue_token_in_body_mode(void **state)
{
    char token[128], queue[200];
    const char *headers[] = {queue, NULL};
    th_resp r;
    (void)state;

    assert_int_equal(th_enter(body.port, 2, token), 200);
    snprintf(queue, sizeof(queue), "Queue-Token: %s", token);
    th_http_headers(&r, body.port, "GET", "/queues", "1.1.forged", headers, NULL);
    assert_int_equal(r.status, 200);
    assert_string_equal(th_str(&r, "tokenStatus"), "wait");
    th_resp_free(&r);
    snprintf(queue, sizeof(queue), "Queue-Token: 1.1.forged");
    th_http_headers(&r, body.port, "GET", "/queues", token, headers, NULL);
    th_assert_error(&r, 401, "TOKEN_INVALID", MSG_SERVICE);
    th_resp_free(&r);
    snprintf(queue, sizeof(queue), "Queue-Token: Bearer %s", token);
    th_http_headers(&r, body.port, "GET", "/queues", NULL, headers, NULL);
    assert_int_equal(r.status, 200);
    th_resp_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_login),
        cmocka_unit_test(test_entry_is_the_caller),
        cmocka_unit_test(test_token_is_bound),
        cmocka_unit_test(test_authorization_is_the_logins),
        cmocka_unit_test(test_first_seen_name),
        cmocka_unit_test(test_waiting_polls_cost_no_statement),
        cmocka_unit_test(test_queue_token_in_body_mode),
    };
    return cmocka_run_group_tests_name("identity", tests, setup, teardown);
}
