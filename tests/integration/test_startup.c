/* test_startup.c: what the module refuses, at start and after: no mod_dbd
 * (TICKET003, apachectl -t fails), no TicketSecretFile (the handler answers
 * 500 and logs TICKET002, Apache itself starts), a DBDriver that is not
 * pgsql (TICKET004), and the parent's warning when the admission job has
 * stopped running (TICKET023) and its notice when it runs again
 * (TICKET024). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "harness.h"

#define DB "itest_startup"

static int setup(void **state)
{
    (void)state;
    th_db_create(DB, 1);
    return 0;
}

static void test_no_mod_dbd(void **state)
{
    char out[8192];
    (void)state;

    if (th_httpd_configtest(DB, "WITHOUT_DBD=1", NULL, out, sizeof(out)) == 0
        || !strstr(out, "TICKET003")) {
        fail_msg("a module without mod_dbd was not refused: %s", out);
    }
    /* without the secret the module is idle and needs nothing */
    assert_int_equal(th_httpd_configtest(DB, "WITHOUT_DBD=1 SECRET=", NULL, out,
                                         sizeof(out)), 0);
}

/* An Apache that starts but whose module refuses to serve: 500 INTERNAL
 * to an entry, not ready to a load balancer, and the log line why. */
static void expect_refusal(const char *knobs, const char *extra, const char *id)
{
    const char *const allowed[] = {id, NULL};
    th_httpd h;
    th_resp r;

    th_httpd_launch(&h, DB, knobs, extra);
    th_http(&r, h.port, "POST", "/queues", NULL, "{\"userId\": 1}");
    th_assert_error(&r, 500, "INTERNAL", "잠시 후 다시 시도해 주세요.");
    th_resp_free(&r);
    th_http(&r, h.port, "GET", "/health?db=1", NULL, NULL);    /* not ready */
    assert_true(r.status == 500 || r.status == 503);
    th_resp_free(&r);
    assert_true(th_errlog_count(&h, id) >= 1);
    th_httpd_stop(&h);
    assert_int_equal(th_errlog_unexpected(&h, allowed), 0);
}

static void test_no_secret(void **state)
{
    (void)state;
    expect_refusal("SECRET=", NULL, "TICKET002:");
}

static void test_not_pgsql(void **state)
{
    (void)state;
    /* the last DBDriver wins: sqlite3, with a database of its own */
    expect_refusal(NULL, "DBDriver sqlite3\nDBDParams \":memory:\"", "TICKET004:");
}

/* A migration that fails stops the run with a non-zero exit, saying which,
 * and leaves nothing of itself. */
static void test_failed_migration(void **state)
{
    char out[4096];
    PGconn *c;
    (void)state;

    th_db_create_bare("itest_clash");
    c = th_db_connect("itest_clash");
    th_db_exec(c, "CREATE TABLE concerts (x int)");     /* 001 makes its own */
    assert_int_not_equal(th_script("migrate.sh", "itest_clash", NULL, out, sizeof(out)), 0);
    if (!strstr(out, "001_schema failed") || !strstr(out, "already exists")) {
        fail_msg("a failed migrate said: %s", out);
    }
    assert_int_equal(th_db_scalar(c, "SELECT count(*) FROM schema_migrations"), 0);
    assert_int_equal(th_db_scalar(c, "SELECT count(*) FROM pg_tables WHERE tablename = 'users'"), 0);
    PQfinish(c);
}

typedef struct {
    th_httpd *h;
    const char *what;
} log_arg;

static int logged(void *arg)
{
    log_arg *a = arg;
    return th_errlog_count(a->h, a->what) > 0;
}

/* Every child stopped (SIGSTOP): the job's heartbeat goes stale, and the
 * parent (monitor hook, about every 10 s) warns once; continued, it says
 * the job runs again. About a minute: the warning waits for
 * 3 x TicketAdvanceInterval + 30 s. */
static void test_stale_admission_warned(void **state)
{
    th_httpd h;
    log_arg warn = {&h, "TICKET023:"}, again = {&h, "TICKET024:"};
    (void)state;

    th_httpd_start(&h, DB, "ADVANCE_INTERVAL=1", NULL);
    th_signal_children(&h, SIGSTOP);
    if (!th_wait_until(logged, &warn, 75)) {
        th_signal_children(&h, SIGCONT);
        th_httpd_stop(&h);
        fail_msg("no TICKET023 while the admission job was stopped");
    }
    th_signal_children(&h, SIGCONT);
    assert_true(th_wait_until(logged, &again, 30));
    assert_int_equal(th_errlog_count(&h, "TICKET023:"), 1);
    th_httpd_stop(&h);
    /* a connection being made when the children stopped ran out of its
     * connect_timeout meanwhile (mod_dbd's AH00629, then AH02655) */
    static const char *const allowed[] = {"failed: timeout expired", "AH02655", NULL};
    assert_int_equal(th_errlog_unexpected(&h, allowed), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_mod_dbd),
        cmocka_unit_test(test_no_secret),
        cmocka_unit_test(test_not_pgsql),
        cmocka_unit_test(test_failed_migration),
        cmocka_unit_test(test_stale_admission_warned),
    };
    return cmocka_run_group_tests_name("startup", tests, setup, NULL);
}
