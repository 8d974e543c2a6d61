/* test_dbless_poll.c: a waiting poll makes no database statement. Counted
 * with pg_stat_statements (statements of the application's role, other
 * than the admission job's) around 1,000 polls of waiting tokens. */
#include <stdio.h>
#include <string.h>
#include "harness.h"

#define DB "itest_dbless"
#define POLLS 1000

TH_SUITE(DB, 20, "CAPACITY=1", NULL)

static void test_waiting_polls_cost_no_statement(void **state)
{
    char tokens[10][128];
    long long before, after;
    th_resp r;
    int i;
    (void)state;

    for (i = 0; i < 10; ++i) {
        assert_int_equal(th_enter(httpd.port, i + 1, tokens[i]), 200);
    }
    assert_true(th_wait_in_service(db, NULL, 1, 10));
    /* one poll each first: a host may read a token once before its
     * snapshot is refreshed; what counts is the steady state */
    for (i = 1; i < 10; ++i) {
        th_http(&r, httpd.port, "GET", "/queues", tokens[i], NULL);
        th_resp_free(&r);
    }
    before = th_app_statements(db, DB);
    for (i = 0; i < POLLS; ++i) {
        th_assert_poll(httpd.port, tokens[1 + i % 9], "wait");
    }
    after = th_app_statements(db, DB);
    print_message("%d waiting polls: %lld database statements\n", POLLS, after - before);
    assert_int_equal(after - before, 0);

    /* the counter does count: an admitted token's poll reads the database */
    th_assert_poll(httpd.port, tokens[0], "service");
    assert_true(th_app_statements(db, DB) > after);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_waiting_polls_cost_no_statement),
    };
    return cmocka_run_group_tests_name("dbless_poll", tests, setup, teardown);
}
