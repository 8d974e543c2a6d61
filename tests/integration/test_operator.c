/* test_operator.c: the operator's controls on sale day (openapi.yaml,
 * README "Operating a sale"): TicketQueue Paused, TicketAdmitRate,
 * TicketClaimTimeout, an honest etaSeconds, and admission that never
 * pauses when a child dies or Apache restarts gracefully. Each test runs
 * its own database and Apache, and judges by the database's timestamps. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "harness.h"

static th_httpd httpd;
static PGconn *db;

static void start(const char *name, int users, const char *knobs)
{
    th_suite_start(&httpd, &db, name, users, knobs);
}

static void stop(void)
{
    th_suite_stop(&httpd, &db, NULL);
}

static long long admitted(void)
{
    return th_db_scalar(db, "SELECT count(*) FROM queue_tokens WHERE admitted_at IS NOT NULL");
}

/* Paused: entries get their places, nobody is admitted; a graceful
 * restart to Open admits them in the order they came. */
static void test_paused_then_open(void **state)
{
    static const char *knobs = "QUEUE=Paused CAPACITY=5 ADVANCE_INTERVAL=1";
    th_token tokens[8];
    th_resp r;
    int i;
    (void)state;

    start("op_paused", 8, knobs);
    for (i = 0; i < 8; ++i) {
        char body[64];
        snprintf(body, sizeof(body), "{\"userId\": %d}", i + 1);
        assert_int_equal(th_http(&r, httpd.port, "POST", "/queues", NULL, body), 0);
        assert_int_equal(r.status, 200);
        assert_string_equal(th_str(&r, "tokenStatus"), "wait");
        assert_int_equal(th_int(&r, "position"), i + 1);
        snprintf(tokens[i], sizeof(tokens[i]), "%s", th_str(&r, "userToken"));
        th_resp_free(&r);
    }
    sleep(5);                           /* five intervals */
    assert_int_equal(admitted(), 0);
    assert_int_equal(th_http(&r, httpd.port, "GET", "/queues", tokens[0], NULL), 0);
    assert_int_equal(th_int(&r, "position"), 1);
    assert_true(th_is_null(&r, "etaSeconds"));      /* no basis while paused */
    th_resp_free(&r);

    th_httpd_graceful(&httpd, "op_paused", "QUEUE=Open CAPACITY=5 ADVANCE_INTERVAL=1", NULL);
    assert_true(th_wait_in_service(db, NULL, 5, 15));
    /* the first five, no others */
    assert_int_equal(th_db_scalar(db, "SELECT count(*) FROM queue_tokens"
                                      " WHERE state = 'service' AND user_id <= 5"), 5);
    th_assert_poll(httpd.port, tokens[0], "service");
    th_assert_poll(httpd.port, tokens[5], "wait");
    stop();
}

/* The rate's two bounds, in the database: no run admits more than its
 * share, and no window of w seconds more than share + w * rate / 60. */
static void assert_rate_kept(int rate, int interval, double window)
{
    long long share = (rate * interval + 59) / 60;
    long long most = th_db_scalar(db,
        "SELECT coalesce(max(n), 0) FROM (SELECT count(*) AS n FROM queue_tokens"
        " WHERE admitted_at IS NOT NULL GROUP BY admitted_at) runs");
    long long in_window = th_db_scalar(db,
        "SELECT coalesce(max((SELECT count(*) FROM queue_tokens u"
        "  WHERE u.admitted_at >= t.admitted_at"
        "    AND u.admitted_at < t.admitted_at + make_interval(secs => %f))), 0)"
        "  FROM queue_tokens t WHERE t.admitted_at IS NOT NULL", window);
    long long bound = share + (long long)(window * rate / 60.0 + 0.999) + 1;

    if (most > share) {
        fail_msg("a run admitted %lld, more than its share %lld", most, share);
    }
    if (in_window > bound) {
        fail_msg("%lld admitted within %.0f s, more than %lld", in_window, window, bound);
    }
}

/* TicketAdmitRate 600 with capacity to spare: ten a second, spread. */
static void test_admit_rate(void **state)
{
    long long n;
    int i;
    (void)state;

    start("op_rate", 200, "CAPACITY=1000 ADMIT_RATE=600 ADVANCE_INTERVAL=1");
    for (i = 1; i <= 200; ++i) {
        assert_int_equal(th_enter(httpd.port, i, NULL), 200);
    }
    sleep(5);
    n = admitted();
    if (n < 30 || n > 200) {
        fail_msg("%lld admitted in about 5 s at 10 a second", n);
    }
    assert_rate_kept(600, 1, 1.0);
    assert_rate_kept(600, 1, 3.0);
    /* in arrival order */
    assert_int_equal(th_db_scalar(db, "SELECT count(*) FROM queue_tokens w, queue_tokens a"
                                      " WHERE w.state = 'wait' AND a.admitted_at IS NOT NULL"
                                      "   AND a.seq > w.seq"), 0);
    stop();
}

/* At most TicketAdmitRate in any 60 s, whatever the allowance says:
 * ticket_admit() itself, as the job calls it. */
static void test_rate_minute_cap(void **state)
{
    int i;
    (void)state;

    th_db_create("op_minute", 20);
    db = th_db_connect("op_minute");
    for (i = 1; i <= 20; ++i) {
        th_db_exec(db, "SELECT ticket_enter(%d, NULL, true)", i);
    }
    /* rate 6 a minute, interval 60: a run's share is all 6 */
    assert_int_equal(th_db_scalar(db, "SELECT admitted FROM ticket_admit(1000, 600, false, 6, 60, 0, NULL)"), 6);
    assert_int_equal(th_db_scalar(db, "SELECT admitted FROM ticket_admit(1000, 600, false, 6, 60, 0, NULL)"), 0);
    /* an allowance that would let more through: the minute's count holds */
    th_db_exec(db, "UPDATE queue_state SET rate_allowance = 100, rate_refilled_at = now()");
    assert_int_equal(th_db_scalar(db, "SELECT admitted FROM ticket_admit(1000, 600, false, 6, 60, 0, NULL)"), 0);
    /* paused admits nobody, rate or not */
    assert_int_equal(th_db_scalar(db, "SELECT admitted FROM ticket_admit(1000, 600, true, 0, 1, 0, NULL)"), 0);
    /* a minute later the same rate admits again */
    th_db_exec(db, "UPDATE queue_tokens SET admitted_at = admitted_at - interval '61 s',"
                   " expires_at = expires_at - interval '61 s' WHERE admitted_at IS NOT NULL");
    th_db_exec(db, "UPDATE queue_state SET recounted_at = '-infinity'");
    assert_int_equal(th_db_scalar(db, "SELECT admitted FROM ticket_admit(1000, 600, false, 6, 60, 0, NULL)"), 6);
    PQfinish(db);
    db = NULL;
}

/* Two hosts of one database: capacity and rate hold across them. */
static void test_two_hosts(void **state)
{
    static const char *knobs = "CAPACITY=15 ADMIT_RATE=600 ADVANCE_INTERVAL=1";
    th_httpd other;
    th_httpd *const hosts[] = {&httpd, &other, NULL};
    int i;
    (void)state;

    start("op_hosts", 100, knobs);
    th_httpd_start(&other, "op_hosts", knobs, NULL);
    for (i = 1; i <= 100; ++i) {
        assert_int_equal(th_enter(i % 2 ? httpd.port : other.port, i, NULL), 200);
    }
    assert_true(th_wait_in_service(db, NULL, 15, 15));
    sleep(3);                           /* both jobs keep running */
    assert_int_equal(admitted(), 15);
    assert_rate_kept(600, 1, 1.0);
    th_suite_stop_all(hosts, &db, NULL);
}

/* TicketClaimTimeout 3: an admitted token nobody uses gives its slot to
 * the next one; one that polled and saw service keeps its full time. */
static void test_claim_timeout(void **state)
{
    th_token tokens[4];
    int i;
    (void)state;

    start("op_claim", 4, "CAPACITY=2 CLAIM_TIMEOUT=3 SERVICE_TTL=600 ADVANCE_INTERVAL=1");
    for (i = 0; i < 4; ++i) {
        assert_int_equal(th_enter(httpd.port, i + 1, tokens[i]), 200);
    }
    assert_true(th_wait_status(httpd.port, tokens[0], "service", 10));
    /* user 2's slot goes to user 3, then user 3's (unused too) to user 4 */
    assert_true(th_wait_in_service(db, "user_id = 4", 1, 15));
    assert_int_equal(th_db_scalar(db, "SELECT count(*) FROM queue_tokens WHERE user_id IN (2, 3)"
                                      " AND state = 'expire' AND claimed_at IS NULL"
                                      " AND expires_at - admitted_at BETWEEN interval '3 s'"
                                      "                                  AND interval '5 s'"), 2);
    assert_int_equal(th_db_scalar(db, "SELECT count(*) FROM queue_tokens WHERE user_id = 1"
                                      " AND state = 'service' AND claimed_at IS NOT NULL"
                                      " AND expires_at - admitted_at = interval '600 s'"), 1);
    th_assert_poll(httpd.port, tokens[1], "expire");
    /* a request to a service endpoint claims too */
    th_resp r;
    assert_int_equal(th_http(&r, httpd.port, "GET", "/concerts", tokens[3], NULL), 0);
    assert_int_equal(r.status, 200);
    th_resp_free(&r);
    assert_int_equal(th_db_scalar(db, "SELECT count(*) FROM queue_tokens WHERE user_id = 4"
                                      " AND claimed_at IS NOT NULL"), 1);
    sleep(4);
    assert_int_equal(th_in_service(db, "user_id IN (1, 4)"), 2);
    stop();
}

/* Capacity full, the one in service not paying: the wait is at least
 * the service time it has left, however fast the last minute was. */
static void test_eta_bounded_by_service_left(void **state)
{
    char first[128], second[128];
    long long eta, left;
    th_resp r;
    (void)state;

    start("op_eta", 2, "CAPACITY=1 SERVICE_TTL=60 ADVANCE_INTERVAL=1");
    assert_int_equal(th_enter(httpd.port, 1, first), 200);
    assert_true(th_wait_in_service(db, NULL, 1, 10));
    assert_int_equal(th_enter(httpd.port, 2, second), 200);
    sleep(3);                           /* the expiry ranks are refreshed */
    assert_int_equal(th_http(&r, httpd.port, "GET", "/queues", second, NULL), 0);
    assert_int_equal(r.status, 200);
    eta = th_int(&r, "etaSeconds");
    th_resp_free(&r);
    left = th_db_scalar(db, "SELECT floor(extract(epoch FROM expires_at - clock_timestamp()))"
                            "  FROM queue_tokens WHERE user_id = 1");
    if (eta < left || eta > 60) {
        fail_msg("etaSeconds %lld with %lld s of service left", eta, left);
    }
    stop();
}

/* Admission never pauses: with one slot turning over every second, a
 * child killed (twice: each in turn) and a graceful restart leave no gap
 * between a slot freeing and the next admission longer than two
 * intervals (mod_watchdog's singleton left ten seconds). */
static void test_admission_never_pauses(void **state)
{
    static const char *knobs = "CAPACITY=1 SERVICE_TTL=1 ADVANCE_INTERVAL=1";
    pid_t pids[8];
    double gap;
    int i;
    (void)state;

    start("op_heal", 16, knobs);
    for (i = 1; i <= 16; ++i) {
        assert_int_equal(th_enter(httpd.port, i, NULL), 200);
    }
    for (i = 0; i < 3; ++i) {
        sleep(3);
        if (i == 1) {
            th_httpd_graceful(&httpd, "op_heal", knobs, NULL);
            continue;
        }
        assert_true(th_child_pids(&httpd, pids, 8) >= 1);
        assert_int_equal(kill(pids[i == 0 ? 0 : th_child_pids(&httpd, pids, 8) - 1],
                              SIGKILL), 0);
    }
    sleep(4);
    assert_true(admitted() >= 8);
    /* from each slot freeing (the previous token's end) to the next admission */
    gap = (double)th_db_scalar(db,
        "SELECT max(extract(epoch FROM t.admitted_at - p.expires_at) * 1000)::bigint"
        "  FROM queue_tokens t JOIN queue_tokens p ON p.seq = t.seq - 1"
        " WHERE t.admitted_at IS NOT NULL") / 1000.0;
    if (gap > 2.0) {
        fail_msg("a slot stayed free %.2f s (more than two intervals)", gap);
    }
    printf("longest free slot: %.2f s\n", gap);
    static const char *const allowed[] = {"AH00052", NULL};  /* the killed children */
    th_suite_stop(&httpd, &db, allowed);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_paused_then_open),
        cmocka_unit_test(test_admit_rate),
        cmocka_unit_test(test_rate_minute_cap),
        cmocka_unit_test(test_two_hosts),
        cmocka_unit_test(test_claim_timeout),
        cmocka_unit_test(test_eta_bounded_by_service_left),
        cmocka_unit_test(test_admission_never_pauses),
    };
    return cmocka_run_group_tests_name("operator", tests, NULL, NULL);
}
