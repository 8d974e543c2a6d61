/* test_roles.c: least privilege in the database. The module's role
 * (ticket) reads what the lookups, the poll and the history read and runs
 * the functions, and nothing more: no write of its own, no other table;
 * every function that names a table has its search_path pinned, and the
 * ones that write run as their owner. */
#include <stdio.h>
#include <string.h>
#include "harness.h"

#define DB "itest_roles"

static PGconn *owner_db, *app;

static int setup(void **state)
{
    char conninfo[512];
    (void)state;
    th_db_create(DB, 3);
    owner_db = th_db_connect(DB);
    snprintf(conninfo, sizeof(conninfo),
             "host=%s port=%s dbname=%s user=ticket password=%s connect_timeout=5",
             th_env("PGHOST"), th_env("TK_PGPORT"), DB, th_env("TK_DBD_PASSWORD"));
    app = PQconnectdb(conninfo);
    if (PQstatus(app) != CONNECTION_OK) {
        fail_msg("ticket cannot connect: %s", PQerrorMessage(app));
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    PQfinish(app);
    PQfinish(owner_db);
    return 0;
}

/* The SQLSTATE of sql run as the module's role ("" when it succeeded). */
static const char *as_app(const char *sql)
{
    static char state[8];
    PGresult *res = PQexec(app, sql);
    const char *s = PQresultErrorField(res, PG_DIAG_SQLSTATE);

    snprintf(state, sizeof(state), "%s", s ? s : "");
    PQclear(res);
    return state;
}

static void test_module_role_writes_nothing_itself(void **state)
{
    static const char *const refused[] = {
        "INSERT INTO users (user_name) VALUES ('mallory')",
        "UPDATE accounts SET balance = 1000000 WHERE user_id = 1",
        "DELETE FROM ledger",
        "INSERT INTO ledger (user_id, kind, amount, balance_after) VALUES (1, 'charge', 5, 5)",
        "UPDATE seats SET booked_ticket_id = NULL",
        "UPDATE queue_tokens SET state = 'service'",
        "UPDATE queue_state SET head = 0",
        "SELECT * FROM tickets",
        "SELECT * FROM charge_requests",
        "INSERT INTO schema_migrations (version) VALUES ('999_mine')",
        "CREATE TABLE mine (x int)",
        "CREATE TEMP TABLE mine (x int)",
        "SELECT nextval(pg_get_serial_sequence('tickets', 'ticket_id'))",
        "SELECT * FROM catalogue_load('{\"concerts\": []}')",
        /* the seat counts: written by the owner's triggers and folds only,
         * read through seat_free_now */
        "SELECT * FROM seat_counts",
        "SELECT * FROM seat_count_changes",
        "UPDATE seat_counts SET free_seats = 1000",
        "INSERT INTO seat_count_changes (schedule_id, delta) VALUES (1, 1000)",
        "DELETE FROM seat_count_changes",
        "UPDATE seat_counts_fold SET folded_at = now()",
        "SELECT seat_counts_fold(now())",
        "SELECT seat_counts_fold_due()",
    };
    size_t i;
    (void)state;

    for (i = 0; i < sizeof(refused) / sizeof(refused[0]); ++i) {
        const char *s = as_app(refused[i]);
        if (strcmp(s, "42501") != 0) {
            fail_msg("the module's role may: %s (SQLSTATE '%s')", refused[i], s);
        }
    }
    /* what it needs */
    assert_string_equal(as_app("SELECT count(*) FROM concerts, schedules, seats"), "");
    assert_string_equal(as_app("SELECT * FROM users, accounts, ledger LIMIT 1"), "");
    assert_string_equal(as_app("SELECT * FROM queue_tokens, queue_state LIMIT 1"), "");
    assert_string_equal(as_app("SELECT version FROM schema_migrations"), "");   /* readiness */
    assert_string_equal(as_app("SELECT * FROM ticket_free_seats()"), "");      /* lookups */
    assert_string_equal(as_app("SELECT * FROM ticket_enter(1, NULL, true)"), "");
    assert_int_equal(th_db_scalar(owner_db, "SELECT count(*) FROM queue_tokens"
                                            " WHERE user_id = 1"), 1);
}

static void test_functions_pinned(void **state)
{
    (void)state;
    /* every function of ours that names a table pins its search_path:
     * by a SET clause, or (the readers of every lookup, which run as
     * their caller) by naming each table with its schema */
    assert_int_equal(th_db_scalar(owner_db,
        "SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
        " WHERE n.nspname = 'public' AND p.proname LIKE 'ticket\\_%%'"
        "   AND p.proname NOT IN ('ticket_seat_is_free', 'ticket_token_live',"
        "                         'ticket_gap_pairs')"
        "   AND NOT coalesce(p.proconfig @> ARRAY['search_path=public, pg_temp'], false)"
        "   AND NOT (NOT p.prosecdef AND p.prosrc !~ '(FROM|JOIN)\\s+(?!public\\.)[a-z_]+\\s')"), 0);
    assert_int_equal(th_db_scalar(owner_db,
        "SELECT count(*) FROM pg_proc WHERE proname IN ('ticket_token_status',"
        " 'ticket_queue_view') AND NOT prosecdef"
        " AND prosrc ~ 'public\\.(queue_tokens|queue_state)'"), 2);
    /* the writers run as their owner, which owns every table */
    assert_int_equal(th_db_scalar(owner_db,
        "SELECT count(*) FROM pg_proc WHERE proname IN ('ticket_enter', 'ticket_admit',"
        " 'ticket_hold', 'ticket_charge', 'ticket_pay', 'ticket_user_named')"
        " AND prosecdef AND proowner = 'ticket_owner'::regrole"), 6);
    assert_int_equal(th_db_scalar(owner_db,
        "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
        " AND tableowner <> 'ticket_owner'"), 0);
    /* and nobody else may call them, nor the seat counts' upkeep */
    assert_int_equal(th_db_scalar(owner_db,
        "SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
        " WHERE n.nspname = 'public'"
        "   AND (p.proname LIKE 'ticket\\_%%' OR p.proname LIKE 'seat\\_counts\\_%%')"
        "   AND has_function_privilege('public', p.oid, 'EXECUTE')"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_module_role_writes_nothing_itself),
        cmocka_unit_test(test_functions_pinned),
    };
    return cmocka_run_group_tests_name("roles", tests, setup, teardown);
}
