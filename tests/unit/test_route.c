/* test_route.c: unit tests of tk_route: the matcher, on the API's own
 * table (tk_api_routes) and on small tables of its own. */
#include <string.h>

#include "unit.h"
#include "tk_route.h"

/* The API's own table (tk_api_routes), under short names. */
enum {
    R_QUEUE_ENTER = TK_API_QUEUES_ENTER,
    R_QUEUE_POLL = TK_API_QUEUES_POLL,
    R_HEALTH = TK_API_HEALTH,
    R_SEATS = TK_API_SEATS,
    R_HOLD = TK_API_HOLD,
    R_CONCERTS = TK_API_CONCERTS,
    R_DATES = TK_API_DATES,
    R_CHARGE = TK_API_CHARGE,
    R_ACCOUNT = TK_API_HISTORY,
    R_PAY = TK_API_PAY,
};

static tk_route_rc find(void **state, const char *path, const char *method,
                        tk_route_match *m)
{
    return tk_api_route_find(*state, path, method, m);
}

static void assert_found(void **state, const char *path, const char *method,
                         int id, tk_route_match *m)
{
    tk_route_rc rc = find(state, path, method, m);
    if (rc != TK_ROUTE_FOUND) {
        fail_msg("%s %s: rc %d, want FOUND", method, path, (int)rc);
    }
    assert_int_equal(m->id, id);
    assert_null(m->allow);
}

static void test_found_literal(void **state)
{
    tk_route_match m;
    assert_found(state, "/queues", "POST", R_QUEUE_ENTER, &m);
    assert_int_equal(m.nparams, 0);
    assert_found(state, "/queues", "GET", R_QUEUE_POLL, &m);
    assert_int_equal(m.nparams, 0);
    assert_found(state, "/health", "GET", R_HEALTH, &m);
    assert_int_equal(m.nparams, 0);
    assert_found(state, "/concerts", "GET", R_CONCERTS, &m);
    assert_found(state, "/payments/charges", "PATCH", R_CHARGE, &m);
    assert_found(state, "/payments/pays", "POST", R_PAY, &m);
}

static void test_found_params(void **state)
{
    tk_route_match m;

    assert_found(state, "/concerts/12/dates/2026-11-24/seats", "GET", R_SEATS, &m);
    assert_int_equal(m.nparams, 2);
    assert_string_equal(tk_route_param(&m, "concertId"), "12");
    assert_string_equal(tk_route_param(&m, "date"), "2026-11-24");

    assert_found(state, "/concerts/7/schedules/33/seats/1024/ticket", "POST",
                 R_HOLD, &m);
    assert_int_equal(m.nparams, 3);
    assert_string_equal(tk_route_param(&m, "concertId"), "7");
    assert_string_equal(tk_route_param(&m, "scheduleId"), "33");
    assert_string_equal(tk_route_param(&m, "seatId"), "1024");

    /* the matcher does not judge values: that is the handler's 400 */
    assert_found(state, "/concerts/abc/dates", "GET", R_DATES, &m);
    assert_int_equal(m.nparams, 1);
    assert_string_equal(tk_route_param(&m, "concertId"), "abc");

    assert_found(state, "/payments/5/accounts", "GET", R_ACCOUNT, &m);
    assert_string_equal(tk_route_param(&m, "userId"), "5");
    /* "charges" is no user id: the literal route comes first */
    assert_found(state, "/payments/charges", "PATCH", R_CHARGE, &m);
    assert_int_equal(m.nparams, 0);
}

static void test_param_unknown_name(void **state)
{
    tk_route_match m;
    assert_found(state, "/concerts/12/dates/2026-11-24/seats", "GET", R_SEATS, &m);
    assert_null(tk_route_param(&m, "seatId"));
    assert_null(tk_route_param(&m, "concertid"));   /* case-sensitive */
    assert_null(tk_route_param(&m, ":concertId"));
    assert_null(tk_route_param(&m, ""));
    assert_null(tk_route_param(&m, "concert"));
    assert_found(state, "/queues", "GET", R_QUEUE_POLL, &m);
    assert_null(tk_route_param(&m, "concertId"));
}

static void test_head_matches_get(void **state)
{
    tk_route_match m;
    assert_found(state, "/health", "HEAD", R_HEALTH, &m);
    assert_found(state, "/queues", "HEAD", R_QUEUE_POLL, &m);
    assert_found(state, "/concerts/3/dates/2026-01-02/seats", "HEAD", R_SEATS, &m);
    assert_string_equal(tk_route_param(&m, "concertId"), "3");
    assert_string_equal(tk_route_param(&m, "date"), "2026-01-02");
}

static void assert_no_path(void **state, const char *path, const char *method)
{
    tk_route_match m;
    tk_route_rc rc = find(state, path, method, &m);
    if (rc != TK_ROUTE_NO_PATH) {
        fail_msg("%s %s: rc %d, want NO_PATH", method, path, (int)rc);
    }
    assert_null(m.allow);
}

static void test_no_path(void **state)
{
    static const char *paths[] = {
        "", "/", "//", "/nope", "/queue", "/queuesx", "/Queues", "/QUEUES",
        "/queues/", "/health/", "/queues//", "//queues", "/queues/1",
        "/health/x", "queues", "/concerts/", "/concerts/1/dates/",
        "/concerts/12/dates/2026-11-24/seats/",
        "/concerts/12/dates/2026-11-24/seats/extra",
        "/concerts/12/dates/2026-11-24",
        "/concerts/12/dates//seats", "/concerts//dates/2026-11-24/seats",
        "/concerts//dates", "/concerts/1/2/dates",
        "/concerts/7/schedules/33/seats/1024",
        "/concerts/7/schedules/33/seats/1024/ticket/",
        "/concerts/7/schedules/33/seats/1024/ticket/x",
        "/concerts/7/schedules//seats/1024/ticket",
        "/concerts/7/schedules/33/seats//ticket",
        "/concerts/7/schedules/33/seat/1024/ticket",
        "/payments//accounts", "/payments/accounts", "/health?db=1",
    };
    size_t i;
    for (i = 0; i < sizeof(paths) / sizeof(paths[0]); ++i) {
        assert_no_path(state, paths[i], "GET");
        assert_no_path(state, paths[i], "POST");
    }
}

static void assert_no_method(void **state, const char *path, const char *method,
                             const char *allow)
{
    tk_route_match m;
    tk_route_rc rc = find(state, path, method, &m);
    if (rc != TK_ROUTE_NO_METHOD) {
        fail_msg("%s %s: rc %d, want NO_METHOD", method, path, (int)rc);
    }
    assert_non_null(m.allow);
    assert_string_equal(m.allow, allow);
}

static void test_no_method(void **state)
{
    assert_no_method(state, "/queues", "DELETE", "POST, GET");
    assert_no_method(state, "/queues", "PUT", "POST, GET");
    assert_no_method(state, "/queues", "PATCH", "POST, GET");
    assert_no_method(state, "/queues", "get", "POST, GET");  /* case matters */
    assert_no_method(state, "/health", "POST", "GET");
    assert_no_method(state, "/concerts/1/dates/2026-11-24/seats", "POST", "GET");
    assert_no_method(state, "/concerts/1/schedules/2/seats/3/ticket", "GET", "POST");
    /* HEAD is GET: a POST-only path refuses it */
    assert_no_method(state, "/concerts/1/schedules/2/seats/3/ticket", "HEAD", "POST");
    assert_no_method(state, "/payments/charges", "POST", "PATCH");
    assert_no_method(state, "/payments/9/accounts", "DELETE", "GET");
}

static void test_allow_table_order(void **state)
{
    /* another table: the allow string follows table order, not a sort */
    static const tk_route t2[] = {
        {"PATCH", "/x/:id", 1},
        {"GET", "/y", 2},
        {"DELETE", "/x/:id", 3},
        {"GET", "/x/:id", 4},
    };
    tk_route_match m;
    assert_int_equal(tk_route_find(*state, t2, 4, "/x/1", "POST", &m),
                     TK_ROUTE_NO_METHOD);
    assert_string_equal(m.allow, "PATCH, DELETE, GET");
    assert_int_equal(tk_route_find(*state, t2, 4, "/x/1", "DELETE", &m),
                     TK_ROUTE_FOUND);
    assert_int_equal(m.id, 3);
    assert_string_equal(tk_route_param(&m, "id"), "1");
    assert_int_equal(tk_route_find(*state, t2, 4, "/x/1", "HEAD", &m),
                     TK_ROUTE_FOUND);
    assert_int_equal(m.id, 4);
    /* an empty table has no paths */
    assert_int_equal(tk_route_find(*state, t2, 0, "/x/1", "GET", &m),
                     TK_ROUTE_NO_PATH);
}

static void test_match_reset(void **state)
{
    tk_route_match m;
    /* a FOUND after a NO_METHOD leaves no stale allow, and the reverse */
    assert_no_method(state, "/queues", "DELETE", "POST, GET");
    assert_found(state, "/concerts/1/dates", "GET", R_DATES, &m);
    assert_int_equal(find(state, "/health", "POST", &m), TK_ROUTE_NO_METHOD);
    assert_int_equal(m.nparams, 0);
    assert_null(tk_route_param(&m, "concertId"));
}

static void test_max_params(void **state)
{
    static const tk_route t3[] = {
        {"GET", "/:a/:b/:c/:d", 1},
        {"GET", "/:a/:b/:c/:d/:e", 2},
    };
    tk_route_match m;
    assert_int_equal(tk_route_find(*state, t3, 2, "/1/2/3/4", "GET", &m),
                     TK_ROUTE_FOUND);
    assert_int_equal(m.id, 1);
    assert_int_equal(m.nparams, TK_ROUTE_MAX_PARAMS);
    assert_string_equal(tk_route_param(&m, "a"), "1");
    assert_string_equal(tk_route_param(&m, "d"), "4");
    /* a pattern with more parameters than fit never matches */
    assert_int_equal(tk_route_find(*state, t3, 2, "/1/2/3/4/5", "GET", &m),
                     TK_ROUTE_NO_PATH);
}

/* The API's root is the <Location> that serves it. */
static void test_route_under(void **state)
{
    static const struct {
        const char *base, *uri, *method;
        tk_route_rc rc;
        int id;
    } cases[] = {
        {NULL, "/queues", "GET", TK_ROUTE_FOUND, R_QUEUE_POLL},
        {"/", "/queues", "POST", TK_ROUTE_FOUND, R_QUEUE_ENTER},
        {"/api", "/api/queues", "GET", TK_ROUTE_FOUND, R_QUEUE_POLL},
        {"/api/", "/api/queues", "GET", TK_ROUTE_FOUND, R_QUEUE_POLL},
        {"/api", "/api/health", "GET", TK_ROUTE_FOUND, R_HEALTH},
        {"/a/b/c", "/a/b/c/payments/7/accounts", "GET", TK_ROUTE_FOUND, R_ACCOUNT},
        {"/api", "/api/health", "DELETE", TK_ROUTE_NO_METHOD, -1},
        {"/api", "/api", "GET", TK_ROUTE_NO_PATH, -1},
        {"/api", "/api/", "GET", TK_ROUTE_NO_PATH, -1},
        {"/api", "/api/nope", "GET", TK_ROUTE_NO_PATH, -1},
        /* no second root below the first */
        {"/api", "/api/health/payments/pays", "POST", TK_ROUTE_NO_PATH, -1},
        {"/api", "/api/queues/concerts", "GET", TK_ROUTE_NO_PATH, -1},
        /* whole segments only */
        {"/ap", "/api/queues", "GET", TK_ROUTE_NO_PATH, -1},
        {"/api", "/apiqueues", "GET", TK_ROUTE_NO_PATH, -1},
        {"/api", "/apiary/queues", "GET", TK_ROUTE_NO_PATH, -1},
        /* not under the root */
        {"/api", "/queues", "GET", TK_ROUTE_NO_PATH, -1},
    };
    tk_route_match m;
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); ++i) {
        tk_route_rc rc = tk_api_route_under(*state, cases[i].base, cases[i].uri,
                                            cases[i].method, &m);
        if (rc != cases[i].rc || (rc == TK_ROUTE_FOUND && m.id != cases[i].id)) {
            fail_msg("%s under %s: rc %d id %d, want rc %d id %d", cases[i].uri,
                     cases[i].base ? cases[i].base : "(none)", (int)rc, m.id,
                     (int)cases[i].rc, cases[i].id);
        }
    }
    assert_int_equal(tk_api_route_under(*state, "/api", "/api/concerts/7/dates",
                                        "GET", &m), TK_ROUTE_FOUND);
    assert_string_equal(tk_route_param(&m, "concertId"), "7");
}

/* The table lists each route once, at its own number. */
static void test_api_table(void **state)
{
    int i, j;
    (void)state;
    for (i = 0; i < TK_API__COUNT; ++i) {
        assert_int_equal(tk_api_routes[i].id, i);
        for (j = i + 1; j < TK_API__COUNT; ++j) {
            assert_false(strcmp(tk_api_routes[i].method, tk_api_routes[j].method) == 0
                         && strcmp(tk_api_routes[i].pattern, tk_api_routes[j].pattern) == 0);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_found_literal),
        cmocka_unit_test(test_found_params),
        cmocka_unit_test(test_param_unknown_name),
        cmocka_unit_test(test_head_matches_get),
        cmocka_unit_test(test_no_path),
        cmocka_unit_test(test_no_method),
        cmocka_unit_test(test_allow_table_order),
        cmocka_unit_test(test_match_reset),
        cmocka_unit_test(test_max_params),
        cmocka_unit_test(test_route_under),
        cmocka_unit_test(test_api_table),
    };
    return cmocka_run_group_tests(tests, unit_pool_setup, unit_pool_teardown);
}
