/* harness_sale.c: the sale of test_lookups.c and test_holds.c (see
 * harness.h): its concerts, schedules and seats, the lookups both read, and
 * the tokens the gate of endpoints 3-6 refuses.
 *
 *   concert                      schedule (date: today + n)      seats, price
 *   1 Race Hall                  11 (+10)                        1101-1120, 50,000
 *                                12 (+11)                        1201-1202, 70,000
 *   2 Expiry Live                21 (+10)                        2101-2105, 60,000
 *   3 Limit Show                 31 (+10)                        3101-3130, 40,000 (3105 booked)
 *                                32 (+11)                        3201-3380, 40,000
 *   4 Lookup Fest                41 (+10)                        4101-4105, 99,000..55,000,
 *                                                                seat numbers 5 3 1 4 2
 *                                42 (+12)                        4201-4203, 120,000
 *                                43 (-1, started yesterday)      4301-4302, 10,000
 *                                44 (+14)                        4401, 10,000 (booked)
 *                                45 (today, started an hour ago) 4501, 10,000
 *   5 Sold Out Night             51 (+10)                        5101-5102, 20,000
 *   6 Yesterday Once More        61 (-2)                         6101, 10,000
 *   7 No Dates Yet               -
 *   8 Encore                     81 (+10)                        8101-8104, 80,000
 *   9 Misc Jam                   91 (+10)                        9101-9110, 33,000 */
#include <stdio.h>
#include <string.h>
#include "harness.h"

void th_sale_book(PGconn *c, long long seat)
{
    th_db_exec(c, "WITH t AS (INSERT INTO tickets (seat_id, user_id, price, status,"
                  "                               hold_until, paid_at)"
                  "           SELECT seat_id, %d, price, 'booked', now(), now()"
                  "             FROM seats WHERE seat_id = %lld RETURNING ticket_id)"
                  " UPDATE seats SET booked_ticket_id = (SELECT ticket_id FROM t)"
                  "  WHERE seat_id = %lld", TH_SALE_OWNER, seat, seat);
}

void th_sale_insert(PGconn *c)
{
    th_db_exec(c, "INSERT INTO concerts (concert_id, title) VALUES"
                  " (1, 'Race Hall'), (2, 'Expiry Live'), (3, 'Limit Show'),"
                  " (4, 'Lookup Fest'), (5, 'Sold Out Night'), (6, 'Yesterday Once More'),"
                  " (7, 'No Dates Yet'), (8, 'Encore'), (9, 'Misc Jam')");
    th_db_exec(c, "INSERT INTO schedules (schedule_id, concert_id, concert_date, starts_at) VALUES"
                  " (11, 1, current_date + 10, now() + interval '10 days'),"
                  " (12, 1, current_date + 11, now() + interval '11 days'),"
                  " (21, 2, current_date + 10, now() + interval '10 days'),"
                  " (31, 3, current_date + 10, now() + interval '10 days'),"
                  " (32, 3, current_date + 11, now() + interval '11 days'),"
                  " (41, 4, current_date + 10, now() + interval '10 days'),"
                  " (42, 4, current_date + 12, now() + interval '12 days'),"
                  " (43, 4, current_date - 1, now() - interval '1 day'),"
                  " (44, 4, current_date + 14, now() + interval '14 days'),"
                  " (45, 4, current_date, now() - interval '1 hour'),"
                  " (51, 5, current_date + 10, now() + interval '10 days'),"
                  " (61, 6, current_date - 2, now() - interval '2 days'),"
                  " (81, 8, current_date + 10, now() + interval '10 days'),"
                  " (91, 9, current_date + 10, now() + interval '10 days')");
    th_db_exec(c, "INSERT INTO seats (seat_id, schedule_id, seat_num, price)"
                  " SELECT 1100 + g, 11, g, 50000 FROM generate_series(1, 20) g"
                  " UNION ALL SELECT 1200 + g, 12, g, 70000 FROM generate_series(1, 2) g"
                  " UNION ALL SELECT 2100 + g, 21, g, 60000 FROM generate_series(1, 5) g"
                  " UNION ALL SELECT 3100 + g, 31, g, 40000 FROM generate_series(1, 30) g"
                  " UNION ALL SELECT 3200 + g, 32, g, 40000 FROM generate_series(1, 180) g"
                  " UNION ALL SELECT 4200 + g, 42, g, 120000 FROM generate_series(1, 3) g"
                  " UNION ALL SELECT 4300 + g, 43, g, 10000 FROM generate_series(1, 2) g"
                  " UNION ALL SELECT 4401, 44, 1, 10000"
                  " UNION ALL SELECT 4501, 45, 1, 10000"
                  " UNION ALL SELECT 5100 + g, 51, g, 20000 FROM generate_series(1, 2) g"
                  " UNION ALL SELECT 6101, 61, 1, 10000"
                  " UNION ALL SELECT 8100 + g, 81, g, 80000 FROM generate_series(1, 4) g"
                  " UNION ALL SELECT 9100 + g, 91, g, 33000 FROM generate_series(1, 10) g");
    /* schedule 41: seat numbers not in seat_id order */
    th_db_exec(c, "INSERT INTO seats (seat_id, schedule_id, seat_num, price) VALUES"
                  " (4101, 41, 5, 99000), (4102, 41, 3, 88000), (4103, 41, 1, 77000),"
                  " (4104, 41, 4, 66000), (4105, 41, 2, 55000)");
    th_sale_book(c, 4401);      /* schedule 44 is sold out */
    th_sale_book(c, 3105);
}

const char *const th_bad_ids[] = {"abc", "0", "-1", "01", "1.5", "+1", "1e3",
                                  "99999999999999999999", NULL};

int th_hold(th_resp *r, int port, long long concert, long long schedule,
            long long seat, const char *token, const char *body)
{
    char path[256];

    snprintf(path, sizeof(path), "/concerts/%lld/schedules/%lld/seats/%lld/ticket",
             concert, schedule, seat);
    return th_client_http(th_thread_client(), r, port, "POST", path, token, body);
}

PGconn *th_sale_create(const char *db, int users)
{
    PGconn *c;

    th_db_create(db, users);
    c = th_db_connect(db);
    th_sale_insert(c);
    return c;
}

void th_sale_date(PGconn *c, int days, char out[16])
{
    th_db_text(c, out, 16, "SELECT to_char(current_date + %d, 'YYYY-MM-DD')", days);
}

/* GET path with token on the thread's keep-alive client: must be 200. */
static void get_ok(th_resp *r, int port, const char *path, const char *token)
{
    th_client_http(th_thread_client(), r, port, "GET", path, token, NULL);
    if (r->status != 200) {
        fail_msg("GET %s: %ld %s", path, r->status, r->body);
    }
}

int th_seat_listed(int port, long long concert, const char *date, long long seat,
                   const char *token)
{
    char path[200];
    json_object *list;
    th_resp r;
    size_t i;
    int found = 0;

    snprintf(path, sizeof(path), "/concerts/%lld/dates/%s/seats", concert, date);
    get_ok(&r, port, path, token);
    list = th_array(&r, "availableSeats");
    for (i = 0; i < json_object_array_length(list); ++i) {
        if (th_obj_int(json_object_array_get_idx(list, i), "seatId") == seat) {
            found = 1;
        }
    }
    th_resp_free(&r);
    return found;
}

long long th_dates_free(int port, long long concert, long long schedule,
                        const char *token)
{
    char path[100];
    json_object *list;
    long long n = 0;
    th_resp r;
    size_t i;

    snprintf(path, sizeof(path), "/concerts/%lld/dates", concert);
    get_ok(&r, port, path, token);
    list = th_array(&r, "schedules");
    for (i = 0; i < json_object_array_length(list); ++i) {
        json_object *s = json_object_array_get_idx(list, i);
        if (th_obj_int(s, "scheduleId") == schedule) {
            n = th_obj_int(s, "availableSeats");
        }
    }
    th_resp_free(&r);
    return n;
}

void th_waiting_sale_start(th_httpd *h, const char *db, char *waiting)
{
    PGconn *c;

    th_db_create(db, 5);
    th_httpd_start(h, db, "CAPACITY=1", NULL);
    assert_int_equal(th_enter(h->port, 1, NULL), 200);
    assert_int_equal(th_enter(h->port, 2, waiting), 200);
    c = th_db_connect(db);
    assert_int_equal(th_db_scalar(c, "SELECT count(*) FROM queue_tokens"
                                     " WHERE user_id = 2 AND state = 'wait'"), 1);
    PQfinish(c);
}

/* A token the gate refuses: shown to port, as the Authorization value
 * auth (NULL for none), it earns a 401 with code. */
typedef struct {
    int port;
    const char *auth;
    const char *code;
    char text[200];             /* where auth is made */
} token_case;

#define TOKEN_CASES 15

/* The next case: on port, Authorization fmt (NULL for none), code. */
static token_case *token_case_set(token_case *c, int port, const char *code,
                                  const char *fmt, const char *token)
{
    c->port = port;
    c->code = code;
    c->auth = NULL;
    if (fmt) {
        snprintf(c->text, sizeof(c->text), fmt, token);
        c->auth = c->text;
    }
    return c + 1;
}

/* The cases of th_expect_gate_errors, in cases[TOKEN_CASES]. */
static void token_cases(const th_gate *g, token_case *cases)
{
    static const char *const malformed[] = {
        "", "Bearer", "Bearer x", "abc.def.ghi", "Basic dXNlcjpwYXNz", NULL};
    const char *const *m;
    const char *good = g->tok[g->good], *expiring = g->tok[g->expiring];
    char forged[160];
    token_case *c = cases;
    th_resp r;

    c = token_case_set(c, g->port, "TOKEN_INVALID", NULL, NULL);
    for (m = malformed; *m; ++m) {
        c = token_case_set(c, g->port, "TOKEN_INVALID", "%s", *m);
    }
    th_forge(forged, sizeof(forged), good, g->good + 1);
    c = token_case_set(c, g->port, "TOKEN_INVALID", "Bearer %s", forged);
    c = token_case_set(c, g->port, "TOKEN_INVALID", "Bearer 1%s", good);      /* another seq */
    c = token_case_set(c, g->port, "TOKEN_INVALID", "Bearer %s", g->waiting); /* another secret */
    /* a genuine token whose queue entry no longer exists */
    th_db_exec(g->db, "DELETE FROM queue_tokens WHERE user_id = %lld", g->gone);
    c = token_case_set(c, g->port, "TOKEN_INVALID", "Bearer %s", g->tok[g->gone]);
    /* on its own host, the waiting token, raw and as Bearer */
    c = token_case_set(c, g->waiting_port, "TOKEN_NOT_ADMITTED", "%s", g->waiting);
    c = token_case_set(c, g->waiting_port, "TOKEN_NOT_ADMITTED", "Bearer %s", g->waiting);

    /* before expiry the token works (raw, without "Bearer") */
    th_client_http_auth(th_thread_client(), &r, g->port, "GET", "/concerts", expiring, NULL);
    assert_int_equal(r.status, 200);
    th_resp_free(&r);
    th_db_exec(g->db, "UPDATE queue_tokens SET expires_at = now() - interval '1 second'"
                      " WHERE user_id = %lld AND state = 'service'", g->expiring);
    c = token_case_set(c, g->port, "TOKEN_EXPIRED", "Bearer %s", expiring);
    c = token_case_set(c, g->port2, "TOKEN_EXPIRED", "Bearer %s", expiring);
    c = token_case_set(c, g->port, "TOKEN_EXPIRED", "%s", expiring);
    assert_int_equal(c - cases, TOKEN_CASES);
}

void th_expect_gate_errors(const th_gate *g, const th_req *q, int n, const char *message)
{
    static token_case cases[TOKEN_CASES];
    int c;

    token_cases(g, cases);
    for (c = 0; c < TOKEN_CASES; ++c) {
        th_expect_req_errors_auth_at(__FILE__, __LINE__, cases[c].port, q, n, cases[c].auth,
                                     401, cases[c].code, message);
    }
}
