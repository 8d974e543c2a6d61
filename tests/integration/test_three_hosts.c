/* test_three_hosts.c: three Apache hosts (each its own configuration,
 * port and shared memory, each running its admission job) reach one
 * PostgreSQL through the suite's PgBouncer in transaction pooling, with
 * TicketPreparedStatements Off. Capacity and the admission rate hold
 * across them exactly; a host killed with SIGKILL in the middle of a sale
 * leaves the others admitting without a gap, loses nothing it committed,
 * and its users' tokens (waiting and in service) work on the others. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "harness.h"

#define HOSTS 3

static th_httpd host[HOSTS];
static PGconn *db;

static void start_hosts(const char *name, const char *knobs)
{
    int i;

    th_pooler(1);
    db = th_sale_create(name, TH_SALE_OWNER);
    for (i = 0; i < HOSTS; ++i) {
        th_httpd_start(&host[i], name, knobs, NULL);
    }
}

static void stop_hosts(void)
{
    th_httpd *const hosts[] = {&host[0], &host[1], &host[2], NULL};
    th_suite_stop_all(hosts, &db, NULL);
}

/* Admissions in the database, and the most made in any one second. */
static long long admitted(void)
{
    return th_db_scalar(db, "SELECT count(*) FROM queue_tokens WHERE admitted_at IS NOT NULL");
}

typedef struct {
    int host;
    long long first, step, last;
} entry_job;

static void *enter_users(void *arg)
{
    const entry_job *j = arg;
    long long u;

    for (u = j->first; u <= j->last; u += j->step) {
        assert_int_equal(th_enter(host[j->host].port, u, NULL), 200);
    }
    th_thread_client_done();
    return NULL;
}

/* Users 1..n enter, each third through one host, from three threads. */
static void enter_everywhere(long long n)
{
    pthread_t t[HOSTS];
    entry_job jobs[HOSTS];
    int i;

    for (i = 0; i < HOSTS; ++i) {
        jobs[i] = (entry_job){i, i + 1, HOSTS, n};
        pthread_create(&t[i], NULL, enter_users, &jobs[i]);
    }
    for (i = 0; i < HOSTS; ++i) {
        pthread_join(t[i], NULL);
    }
}

/* Three admission jobs share TicketCapacity 5: never more in service
 * (sampled, and at every admission instant in the database), and the
 * capacity turns over. */
static void test_capacity_across_hosts(void **state)
{
    struct timespec start, now;
    long long live, most = 0;
    (void)state;

    start_hosts("three_capacity", "CAPACITY=5 SERVICE_TTL=1 ADVANCE_INTERVAL=1");
    assert_int_equal(th_errlog_count(&host[0], "TicketPreparedStatements Off;"), 1);
    enter_everywhere(150);
    clock_gettime(CLOCK_MONOTONIC, &start);
    do {
        live = th_in_service(db, "expires_at > clock_timestamp()");
        most = live > most ? live : most;
        assert_true(live <= 5);
        usleep(20000);
        clock_gettime(CLOCK_MONOTONIC, &now);
    } while (now.tv_sec - start.tv_sec < 8);
    printf("capacity 5 on three hosts: at most %lld in service, %lld admitted in 8 s\n",
           most, admitted());
    assert_int_equal(most, 5);
    assert_true(admitted() > 3 * 5);
    assert_int_equal(th_db_scalar(db,
        "SELECT count(*) FROM queue_tokens a WHERE a.admitted_at IS NOT NULL AND"
        " (SELECT count(*) FROM queue_tokens b WHERE b.admitted_at <= a.admitted_at"
        "    AND b.expires_at > a.admitted_at) > 5"), 0);
    stop_hosts();
}

/* TicketAdmitRate 120 on each of three hosts is 120 a minute in all, not
 * 360: one run's share is 2, the allowance refills at 2 a second, so no
 * second sees more than 4 admissions and T seconds at most 2 + 2T. */
static void test_rate_across_hosts(void **state)
{
    long long n, worst;
    double span;
    (void)state;

    start_hosts("three_rate", "CAPACITY=1000 ADVANCE_INTERVAL=1 ADMIT_RATE=120");
    enter_everywhere(90);
    sleep(7);
    n = admitted();
    span = (double)th_db_scalar(db,
        "SELECT (extract(epoch FROM max(admitted_at) - min(admitted_at)) * 1000)::bigint"
        "  FROM queue_tokens") / 1000.0;
    worst = th_db_scalar(db,
        "SELECT coalesce(max((SELECT count(*) FROM queue_tokens b"
        "   WHERE b.admitted_at > a.admitted_at - interval '1 second'"
        "     AND b.admitted_at <= a.admitted_at)), 0)"
        "  FROM queue_tokens a WHERE a.admitted_at IS NOT NULL");
    printf("rate 120/min on three hosts: %lld admitted over %.2f s, at most %lld in a second\n",
           n, span, worst);
    assert_true(worst <= 4);
    assert_true(n <= 2 + 2 * span + 0.5);
    assert_true(n >= span);                 /* and it kept admitting */
    stop_hosts();
}

/* SIGKILL to a host's parent and every child: nothing answers there from
 * that instant, and nothing of it runs a statement any more. */
static void kill_host(th_httpd *h)
{
    int status;

    kill(h->pid, SIGSTOP);      /* no new child while they die */
    th_signal_children(h, SIGKILL);
    kill(h->pid, SIGKILL);
    waitpid(h->pid, &status, 0);
    h->pid = 0;
}

/* The queue's seq of a token "seq.user.mac". */
static long long token_seq(const char *token)
{
    return atoll(token);
}

static void test_host_killed(void **state)
{
    th_token tok[8];
    th_resp r;
    char body[128];
    long long ticket, u;
    double gap;
    const int a = 0, c = 2;        /* host C is killed; A carries on */
    const char *charge_hdr[] = {"Idempotency-Key: three-hosts-1", NULL};
    (void)state;

    start_hosts("three_killed", "CAPACITY=1 SERVICE_TTL=3 ADVANCE_INTERVAL=1");
    /* user 1 through C first, admitted there; users 2-7 across the hosts */
    assert_int_equal(th_enter(host[c].port, 1, tok[1]), 200);
    assert_true(th_wait_status(host[c].port, tok[1], "service", 5));
    for (u = 2; u <= 7; ++u) {
        assert_int_equal(th_enter(host[u % HOSTS].port, u, tok[u]), 200);
    }
    /* through C: a hold and a charge, committed */
    snprintf(body, sizeof(body), "{\"userId\": 1}");
    assert_int_equal(th_hold(&r, host[c].port, 1, 11, 1101, tok[1], body), 0);
    assert_int_equal(r.status, 200);
    ticket = th_int(&r, "ticketId");
    th_resp_free(&r);
    th_http_headers(&r, host[c].port, "PATCH", "/payments/charges", tok[1], charge_hdr,
                    "{\"userId\": 1, \"amount\": 80000}");
    assert_int_equal(r.status, 200);
    th_resp_free(&r);

    kill_host(&host[c]);

    /* C's service token on A: the balance C charged, and the payment */
    th_http(&r, host[a].port, "GET", "/payments/1/accounts", tok[1], NULL);
    assert_int_equal(r.status, 200);
    assert_int_equal(th_int(&r, "point"), 80000);
    th_resp_free(&r);
    snprintf(body, sizeof(body), "{\"ticketId\": %lld, \"userId\": 1}", ticket);
    th_http(&r, host[a].port, "POST", "/payments/pays", tok[1], body);
    assert_int_equal(r.status, 200);
    assert_string_equal(th_str(&r, "stat"), "booked");
    th_resp_free(&r);
    /* the users who entered through C (3, 6) wait on A and get their turn */
    for (u = 3; u <= 6; u += 3) {
        assert_true(th_wait_status(host[a].port, tok[u], "wait|service", 1));
    }
    assert_true(th_wait_status(host[a].port, tok[6], "service|expire", 25));
    assert_true(th_wait_status(host[1].port, tok[3], "service|expire", 1));

    /* every token C handed out, its hold, charge and the payment are there */
    for (u = 1; u <= 7; ++u) {
        assert_int_equal(th_db_scalar(db, "SELECT count(*) FROM queue_tokens"
                                          " WHERE seq = %lld AND user_id = %lld",
                                      token_seq(tok[u]), u), 1);
    }
    assert_int_equal(th_db_scalar(db, "SELECT count(*) FROM ledger WHERE user_id = 1"
                                      " AND kind = 'charge' AND amount = 80000"), 1);
    assert_int_equal(th_db_scalar(db, "SELECT count(*) FROM seats WHERE seat_id = 1101"
                                      " AND booked_ticket_id = %lld", ticket), 1);
    assert_int_equal(th_db_scalar(db, "SELECT balance FROM accounts WHERE user_id = 1"),
                     80000 - 50000);
    /* from each slot freeing (the previous token's end) to the next admission */
    gap = (double)th_db_scalar(db,
        "SELECT max(extract(epoch FROM t.admitted_at - p.expires_at) * 1000)::bigint"
        "  FROM queue_tokens t JOIN queue_tokens p ON p.seq = t.seq - 1"
        " WHERE t.admitted_at IS NOT NULL") / 1000.0;
    printf("host C killed: %lld admitted, longest free slot %.2f s\n", admitted(), gap);
    if (gap > 2.0) {
        fail_msg("a slot stayed free %.2f s (more than two intervals)", gap);
    }
    stop_hosts();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_capacity_across_hosts),
        cmocka_unit_test(test_rate_across_hosts),
        cmocka_unit_test(test_host_killed),
    };
    return cmocka_run_group_tests_name("three hosts through PgBouncer", tests, NULL, NULL);
}
