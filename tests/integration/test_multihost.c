/* test_multihost.c: two Apache hosts on one database, each running its
 * own admission job: together they never have more than TicketCapacity
 * tokens in service, and both show an admission within an interval. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "harness.h"

#define DB "itest_multihost"
#define CAPACITY 5
#define USERS 120

static th_httpd host[2];
static PGconn *db;
static volatile int done;

/* short service time: admissions keep happening during the test */
#define KNOBS "CAPACITY=5 SERVICE_TTL=1 ADVANCE_INTERVAL=1"

static int setup(void **state)
{
    (void)state;
    th_suite_start(&host[0], &db, DB, USERS, KNOBS);
    th_httpd_start(&host[1], DB, KNOBS, NULL);
    return 0;
}

static int teardown(void **state)
{
    th_httpd *const hosts[] = {&host[0], &host[1], NULL};
    (void)state;
    th_suite_stop_all(hosts, &db, NULL);
    return 0;
}

static void *enter_range(void *arg)
{
    int first = (int)(intptr_t)arg, u;
    for (u = first; u <= USERS; u += 4) {
        th_enter(host[u % 2].port, u, NULL);
    }
    return NULL;
}

static void test_capacity_never_exceeded(void **state)
{
    pthread_t t[4];
    long long live, most = 0, admitted;
    int i, samples = 0;
    struct timespec start, now;
    (void)state;

    for (i = 0; i < 4; ++i) {
        pthread_create(&t[i], NULL, enter_range, (void *)(intptr_t)(i + 1));
    }
    clock_gettime(CLOCK_MONOTONIC, &start);
    do {
        live = th_in_service(db, "expires_at > clock_timestamp()");
        if (live > most) most = live;
        assert_true(live <= CAPACITY);
        ++samples;
        usleep(20000);
        clock_gettime(CLOCK_MONOTONIC, &now);
    } while (now.tv_sec - start.tv_sec < 10);
    for (i = 0; i < 4; ++i) {
        pthread_join(t[i], NULL);
    }
    admitted = th_db_scalar(db, "SELECT count(*) FROM queue_tokens WHERE admitted_at IS NOT NULL");
    print_message("%d samples, at most %lld in service, %lld admitted in all\n",
                  samples, most, admitted);
    assert_int_equal(most, CAPACITY);       /* the capacity was used… */
    assert_true(admitted > 2 * CAPACITY);   /* …and turned over */
    /* no two admissions overlap beyond capacity at any admission instant */
    assert_int_equal(th_db_scalar(db,
        "SELECT count(*) FROM queue_tokens a WHERE a.admitted_at IS NOT NULL AND"
        " (SELECT count(*) FROM queue_tokens b WHERE b.admitted_at <= a.admitted_at"
        "    AND b.expires_at > a.admitted_at) > %d", CAPACITY), 0);
}

/* A token entered on one host is seen admitted (in service, or expired
 * already) on both. */
static void test_both_hosts_see_admission(void **state)
{
    char token[128];
    (void)state;

    assert_int_equal(th_enter(host[0].port, USERS, token), 200);
    assert_true(th_wait_status(host[0].port, token, "service|expire", 15));
    assert_true(th_wait_status(host[1].port, token, "service|expire", 3));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_capacity_never_exceeded),
        cmocka_unit_test(test_both_hosts_see_admission),
    };
    return cmocka_run_group_tests_name("multihost", tests, setup, teardown);
}
