/* test_holds.c: endpoints 3-6 (concert list, dates, seats, seat hold)
 * against a real Apache and PostgreSQL: races for seats, hold expiry, the
 * per-user hold limit, and every error answer with the order of checks.
 *
 * One database with 1,500 admitted users serves three hosts that differ
 * only in their hold settings (default, TicketHoldTTL 2,
 * TicketMaxHoldsPerUser 2); a second database with TicketCapacity 1 holds a
 * waiting token. Each test uses its own concert, seats and users:
 *   users    1..200   the 20-seat race        concert 1, schedule 11
 *          201..400   200 x 5 on one seat     concert 1, schedule 12, seat 1201
 *          401..1400  1000 x 1 on one seat    concert 1, schedule 12, seat 1202
 *         1401, 1402  hold expiry             concert 2
 *         1403        the same user again     concert 8
 *         1404..1406  TicketMaxHoldsPerUser   concert 3 (schedule 31)
 *         1410..1413  errors and lookups      concerts 4-7, 9
 *         1420..1428  TicketMaxHoldsPerUser   concert 3 (schedule 32)
 *         1498        token of a deleted queue entry
 *         1499        owner of booked seats (SQL only) */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "harness.h"

#define DB "itest_holds"
#define DB_WAIT "itest_holds_wait"
#define USERS 1500

#define MSG_TOKEN "해당 서비스를 이용하실 수 없습니다."
#define MSG_CONCERT "해당 콘서트 정보를 찾을 수 없습니다."
#define MSG_TAKEN "이미 선택된 좌석입니다."
#define MSG_LIMIT "더 이상 좌석을 선택할 수 없습니다."
#define MSG_FORBIDDEN "권한이 없습니다."
#define MSG_BAD "잘못된 요청입니다."

#define USER_A 1401
#define USER_B 1402
#define USER_REPEAT 1403
#define USER_U 1404
#define USER_V 1405
#define USER_W 1406
#define USER_E 1410         /* a normal admitted user for the error cases */
#define USER_X 1411         /* its token is made to expire */
#define USER_SOLD 1412
#define USER_OTHER 1413
#define USER_GONE 1498      /* its queue entry is deleted */
#define USER_LIM0 1420      /* 1420..1428: more users at the hold limit */

static th_httpd httpd;          /* TicketHoldTTL 300, 4 holds per user */
static th_httpd httpd_ttl;      /* TicketHoldTTL 2 */
static th_httpd httpd_lim;      /* TicketMaxHoldsPerUser 2 */
static th_httpd httpd_wait;     /* DB_WAIT, TicketCapacity 1 */
static PGconn *db;
static char tok[USERS + 1][128];
static char wait_tok[128];      /* user 2 of DB_WAIT, waiting */
static char d10[16], d11[16], d12[16], d14[16], dpast[16], dpast2[16], dtoday[16];

/* ---- helpers ---- */

/* Each thread's keep-alive connection: thousands of requests without a
 * TIME_WAIT socket each. */
static __thread th_client *client;

static int http(th_resp *r, const th_httpd *h, const char *method, const char *path,
                const char *authorization, const char *body)
{
    if (!client) {
        client = th_client_new();
    }
    if (th_client_http_auth(client, r, h->port, method, path, authorization, body) != 0) {
        r->status = -1;
        return -1;
    }
    return 0;
}

static int http_token(th_resp *r, const th_httpd *h, const char *method,
                      const char *path, const char *token, const char *body)
{
    char auth[600];

    if (token) {
        snprintf(auth, sizeof(auth), "Bearer %s", token);
    }
    return http(r, h, method, path, token ? auth : NULL, body);
}

static void client_done(void)
{
    th_client_free(client);
    client = NULL;
}

static void db_text(char *out, size_t outsz, const char *fmt, ...)
{
    char sql[2048];
    PGresult *res;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(sql, sizeof(sql), fmt, ap);
    va_end(ap);
    res = PQexec(db, sql);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        fail_msg("SQL failed: %s\n%s", sql, PQresultErrorMessage(res));
    }
    snprintf(out, outsz, "%s", PQntuples(res) > 0 && !PQgetisnull(res, 0, 0)
                               ? PQgetvalue(res, 0, 0) : "");
    PQclear(res);
}

static void hold_body(th_resp *r, const th_httpd *h, long long concert,
                      long long schedule, long long seat, const char *token,
                      const char *body)
{
    char path[256];

    snprintf(path, sizeof(path), "/concerts/%lld/schedules/%lld/seats/%lld/ticket",
             concert, schedule, seat);
    http_token(r, h, "POST", path, token, body);
}

/* user holds the seat with its own token and userId */
static void hold(th_resp *r, const th_httpd *h, long long concert,
                 long long schedule, long long seat, long long user)
{
    char body[64];

    snprintf(body, sizeof(body), "{\"userId\": %lld}", user);
    hold_body(r, h, concert, schedule, seat, tok[user], body);
}

static void get(th_resp *r, const th_httpd *h, const char *path, const char *token)
{
    http_token(r, h, "GET", path, token, NULL);
}

static json_object *arr(const th_resp *r, const char *key)
{
    json_object *v = NULL;

    if (!r->json || !json_object_object_get_ex(r->json, key, &v)
        || !json_object_is_type(v, json_type_array)) {
        fail_msg("no array \"%s\" in %s", key, r->body);
    }
    return v;
}

static long long obj_int(json_object *o, const char *key)
{
    json_object *v = NULL;
    if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int)) {
        fail_msg("no integer \"%s\" in %s", key, json_object_to_json_string(o));
    }
    return (long long)json_object_get_int64(v);
}

static const char *obj_str(json_object *o, const char *key)
{
    json_object *v = NULL;
    if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string)) {
        fail_msg("no string \"%s\" in %s", key, json_object_to_json_string(o));
    }
    return json_object_get_string(v);
}

/* 1 when seat is in the free-seat list of the concert's date */
static int seat_listed(const th_httpd *h, long long concert, const char *date,
                       long long seat, const char *token)
{
    char path[200];
    json_object *list;
    th_resp r;
    size_t i;
    int found = 0;

    snprintf(path, sizeof(path), "/concerts/%lld/dates/%s/seats", concert, date);
    get(&r, h, path, token);
    if (r.status != 200) {
        fail_msg("GET %s: %ld %s", path, r.status, r.body);
    }
    list = arr(&r, "availableSeats");
    for (i = 0; i < json_object_array_length(list); ++i) {
        if (obj_int(json_object_array_get_idx(list, i), "seatId") == seat) {
            found = 1;
        }
    }
    th_resp_free(&r);
    return found;
}

/* availableSeats of schedule in GET /concerts/:id/dates, 0 when absent */
static long long dates_free(const th_httpd *h, long long concert,
                            long long schedule, const char *token)
{
    char path[100];
    json_object *list;
    long long n = 0;
    th_resp r;
    size_t i;

    snprintf(path, sizeof(path), "/concerts/%lld/dates", concert);
    get(&r, h, path, token);
    if (r.status != 200) {
        fail_msg("GET %s: %ld %s", path, r.status, r.body);
    }
    list = arr(&r, "schedules");
    for (i = 0; i < json_object_array_length(list); ++i) {
        json_object *s = json_object_array_get_idx(list, i);
        if (obj_int(s, "scheduleId") == schedule) {
            n = obj_int(s, "availableSeats");
        }
    }
    th_resp_free(&r);
    return n;
}

/* the "available" flag of concert in GET /concerts; fails if absent */
static int concert_available(long long concert, const char *token)
{
    json_object *list, *v;
    th_resp r;
    size_t i;
    int found = -1;

    get(&r, &httpd, "/concerts", token);
    assert_int_equal(r.status, 200);
    list = arr(&r, "concerts");
    for (i = 0; i < json_object_array_length(list); ++i) {
        json_object *c = json_object_array_get_idx(list, i);
        if (obj_int(c, "concertId") == concert) {
            assert_true(json_object_object_get_ex(c, "available", &v));
            assert_true(json_object_is_type(v, json_type_boolean));
            found = json_object_get_boolean(v);
        }
    }
    th_resp_free(&r);
    if (found < 0) {
        fail_msg("concert %lld not listed", concert);
    }
    return found;
}

static void book_via_sql(long long seat)
{
    th_db_exec(db, "WITH t AS (INSERT INTO tickets (seat_id, user_id, price, status,"
                   "                               hold_until, paid_at)"
                   "           SELECT seat_id, 1499, price, 'booked', now(), now()"
                   "             FROM seats WHERE seat_id = %lld RETURNING ticket_id)"
                   " UPDATE seats SET booked_ticket_id = (SELECT ticket_id FROM t)"
                   "  WHERE seat_id = %lld", seat, seat);
}

static long long live_holds(long long user)
{
    return th_db_scalar(db, "SELECT count(*) FROM tickets t JOIN seats s"
                            "    ON s.hold_ticket_id = t.ticket_id AND s.seat_id = t.seat_id"
                            " WHERE t.user_id = %lld AND t.status = 'temp'"
                            "   AND s.hold_until > now()", user);
}

/* The seat's live hold is ticket, held by user (DB). */
static int db_holds(long long seat, long long ticket, long long user)
{
    return th_db_scalar(db, "SELECT count(*) FROM seats s JOIN tickets t"
                            "    ON t.ticket_id = s.hold_ticket_id AND t.seat_id = s.seat_id"
                            " WHERE s.seat_id = %lld AND t.ticket_id = %lld"
                            "   AND t.user_id = %lld AND t.status = 'temp'"
                            "   AND s.booked_ticket_id IS NULL"
                            "   AND s.hold_until > now() AND t.hold_until = s.hold_until",
                        seat, ticket, user) == 1;
}

/* ---- concurrent holds ---- */

typedef struct {
    long long user, concert, schedule, seat;
    long status;
    char code[32], error[128];
    long long ticket, body_user;
    char expires[40];
} attempt;

typedef struct {
    const th_httpd *h;
    attempt *a;
    int n;
    pthread_barrier_t *start;
} worker;

static void *hold_worker(void *arg)
{
    worker *w = arg;
    int i;

    pthread_barrier_wait(w->start);
    for (i = 0; i < w->n; ++i) {
        attempt *a = &w->a[i];
        th_resp r;
        hold(&r, w->h, a->concert, a->schedule, a->seat, a->user);
        a->status = r.status;
        snprintf(a->code, sizeof(a->code), "%s", th_str(&r, "code") ? th_str(&r, "code") : "");
        snprintf(a->error, sizeof(a->error), "%s", th_str(&r, "error") ? th_str(&r, "error") : "");
        a->ticket = th_int(&r, "ticketId");
        a->body_user = th_int(&r, "userId");
        snprintf(a->expires, sizeof(a->expires), "%s",
                 th_str(&r, "holdExpiresAt") ? th_str(&r, "holdExpiresAt") : "");
        th_resp_free(&r);
    }
    client_done();
    return NULL;
}

/* Runs n attempts on nthreads threads (thread t takes a contiguous share),
 * all threads starting together. */
static void run_attempts(const th_httpd *h, attempt *a, int n, int nthreads)
{
    pthread_t t[128];
    worker w[128];
    pthread_barrier_t start;
    int i, per = n / nthreads;

    assert_true(nthreads <= 128 && per * nthreads == n);
    pthread_barrier_init(&start, NULL, (unsigned)nthreads);
    for (i = 0; i < nthreads; ++i) {
        w[i].h = h;
        w[i].a = a + i * per;
        w[i].n = per;
        w[i].start = &start;
        assert_int_equal(pthread_create(&t[i], NULL, hold_worker, &w[i]), 0);
    }
    for (i = 0; i < nthreads; ++i) {
        pthread_join(t[i], NULL);
    }
    pthread_barrier_destroy(&start);
}

static void assert_conflict(const attempt *a, const char *code, const char *msg)
{
    if (a->status != 409 || strcmp(a->code, code) || strcmp(a->error, msg)) {
        fail_msg("user %lld seat %lld: expected 409 %s, got %ld %s \"%s\"",
                 a->user, a->seat, code, a->status, a->code, a->error);
    }
}

/* ---- setup ---- */

static void *enter_users(void *arg)
{
    int first = (int)(intptr_t)arg, u;
    char body[64];
    th_resp r;

    for (u = first; u <= USERS; u += 50) {
        snprintf(body, sizeof(body), "{\"userId\": %d}", u);
        http(&r, &httpd, "POST", "/queues", NULL, body);
        snprintf(tok[u], sizeof(tok[u]), "%s",
                 r.status == 200 && th_str(&r, "userToken") ? th_str(&r, "userToken") : "");
        th_resp_free(&r);
    }
    client_done();
    return NULL;
}

static int all_in_service(void *arg)
{
    (void)arg;
    return th_db_scalar(db, "SELECT count(*) FROM queue_tokens WHERE state = 'service'"
                            " AND expires_at > now()") == USERS;
}

typedef struct {
    const th_httpd *h;
    const char *token;
} poll_arg;

/* the host's snapshot shows the token admitted */
static int host_sees_service(void *arg)
{
    poll_arg *p = arg;
    th_resp r;
    int ok;

    ok = http_token(&r, p->h, "GET", "/queues", p->token, NULL) == 0
         && r.status == 200 && th_str(&r, "tokenStatus")
         && strcmp(th_str(&r, "tokenStatus"), "service") == 0;
    th_resp_free(&r);
    return ok;
}

static void insert_sale(void)
{
    th_db_exec(db, "INSERT INTO concerts (concert_id, title) VALUES"
                   " (1, 'Race Hall'), (2, 'Expiry Live'), (3, 'Limit Show'),"
                   " (4, 'Lookup Fest'), (5, 'Sold Out Night'), (6, 'Yesterday Once More'),"
                   " (7, 'No Dates Yet'), (8, 'Encore'), (9, 'Misc Jam')");
    th_db_exec(db, "INSERT INTO schedules (schedule_id, concert_id, concert_date, starts_at) VALUES"
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
    th_db_exec(db, "INSERT INTO seats (seat_id, schedule_id, seat_num, price)"
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
    th_db_exec(db, "INSERT INTO seats (seat_id, schedule_id, seat_num, price) VALUES"
                   " (4101, 41, 5, 99000), (4102, 41, 3, 88000), (4103, 41, 1, 77000),"
                   " (4104, 41, 4, 66000), (4105, 41, 2, 55000)");
    book_via_sql(4401);     /* schedule 44 is sold out */
    book_via_sql(3105);
    db_text(d10, sizeof(d10), "SELECT to_char(current_date + 10, 'YYYY-MM-DD')");
    db_text(d11, sizeof(d11), "SELECT to_char(current_date + 11, 'YYYY-MM-DD')");
    db_text(d12, sizeof(d12), "SELECT to_char(current_date + 12, 'YYYY-MM-DD')");
    db_text(d14, sizeof(d14), "SELECT to_char(current_date + 14, 'YYYY-MM-DD')");
    db_text(dpast, sizeof(dpast), "SELECT to_char(current_date - 1, 'YYYY-MM-DD')");
    db_text(dpast2, sizeof(dpast2), "SELECT to_char(current_date - 2, 'YYYY-MM-DD')");
    db_text(dtoday, sizeof(dtoday), "SELECT to_char(current_date, 'YYYY-MM-DD')");
}

static int setup(void **state)
{
    pthread_t t[50];
    char last[16];
    poll_arg p;
    int i;
    PGconn *w;
    (void)state;

    th_db_create(DB, USERS);
    db = th_db_connect(DB);
    insert_sale();
    th_httpd_start(&httpd, DB, "CAPACITY=1500 HOLD_TTL=300", NULL);
    th_httpd_start(&httpd_ttl, DB, "CAPACITY=1500 HOLD_TTL=2", NULL);
    th_httpd_start(&httpd_lim, DB, "CAPACITY=1500 HOLD_TTL=300",
                   "TicketMaxHoldsPerUser 2");
    for (i = 0; i < 50; ++i) {
        pthread_create(&t[i], NULL, enter_users, (void *)(intptr_t)(i + 1));
    }
    for (i = 0; i < 50; ++i) {
        pthread_join(t[i], NULL);
    }
    for (i = 1; i <= USERS; ++i) {
        if (!tok[i][0]) {
            fail_msg("user %d could not enter the queue", i);
        }
    }
    assert_true(th_wait_until(all_in_service, NULL, 30));
    /* every host's snapshot has seen the last admission */
    db_text(last, sizeof(last), "SELECT user_id FROM queue_tokens ORDER BY seq DESC LIMIT 1");
    p.token = tok[atoi(last)];
    p.h = &httpd;
    assert_true(th_wait_until(host_sees_service, &p, 15));
    p.h = &httpd_ttl;
    assert_true(th_wait_until(host_sees_service, &p, 15));
    p.h = &httpd_lim;
    assert_true(th_wait_until(host_sees_service, &p, 15));

    /* a second sale with room for one: its user 2 waits */
    th_db_create(DB_WAIT, 5);
    th_httpd_start(&httpd_wait, DB_WAIT, "CAPACITY=1", NULL);
    assert_int_equal(th_enter(httpd_wait.port, 1, NULL), 200);
    assert_int_equal(th_enter(httpd_wait.port, 2, wait_tok), 200);
    w = th_db_connect(DB_WAIT);
    assert_int_equal(th_db_scalar(w, "SELECT count(*) FROM queue_tokens"
                                     " WHERE user_id = 2 AND state = 'wait'"), 1);
    PQfinish(w);
    return 0;
}

static int teardown(void **state)
{
    int bad = 0;
    (void)state;
    th_httpd_stop(&httpd);
    th_httpd_stop(&httpd_ttl);
    th_httpd_stop(&httpd_lim);
    th_httpd_stop(&httpd_wait);
    client_done();
    PQfinish(db);
    bad += th_errlog_unexpected(&httpd, NULL);
    bad += th_errlog_unexpected(&httpd_ttl, NULL);
    bad += th_errlog_unexpected(&httpd_lim, NULL);
    bad += th_errlog_unexpected(&httpd_wait, NULL);
    assert_int_equal(bad, 0);
    return 0;
}

/* ---- races ---- */

/* 200 users, two attempts each on 20 seats (400 attempts, 20 per seat):
 * exactly one holder per seat, every answer 200 or 409. */
static void test_race_twenty_seats(void **state)
{
    static attempt a[400];
    int i, won = 0, taken = 0, limit = 0;
    (void)state;

    for (i = 0; i < 400; ++i) {
        long long user = 1 + i % 200, k = i / 200;
        a[i].user = user;
        a[i].concert = 1;
        a[i].schedule = 11;
        a[i].seat = 1101 + (user + k * 10) % 20;   /* a user's two seats differ */
    }
    run_attempts(&httpd, a, 400, 50);
    for (i = 0; i < 400; ++i) {
        if (a[i].status == 200) {
            ++won;
            assert_int_equal(a[i].body_user, a[i].user);
            assert_true(a[i].ticket > 0);
            if (!db_holds(a[i].seat, a[i].ticket, a[i].user)) {
                fail_msg("seat %lld: answer said ticket %lld of user %lld, the DB disagrees",
                         a[i].seat, a[i].ticket, a[i].user);
            }
        }
        else if (strcmp(a[i].code, "HOLD_LIMIT") == 0) {
            assert_conflict(&a[i], "HOLD_LIMIT", MSG_LIMIT);
            ++limit;
        }
        else {
            assert_conflict(&a[i], "SEAT_TAKEN", MSG_TAKEN);
            ++taken;
        }
    }
    print_message("20 seats: %d held, %d SEAT_TAKEN, %d HOLD_LIMIT\n", won, taken, limit);
    assert_int_equal(won, 20);
    assert_int_equal(th_db_scalar(db, "SELECT count(*) FROM seats WHERE schedule_id = 11"
                                      " AND hold_ticket_id IS NOT NULL AND hold_until > now()"), 20);
    assert_int_equal(th_db_scalar(db, "SELECT count(DISTINCT s.seat_id) FROM seats s"
                                      "  JOIN tickets t ON t.ticket_id = s.hold_ticket_id"
                                      "   AND t.seat_id = s.seat_id AND t.status = 'temp'"
                                      " WHERE s.schedule_id = 11 AND s.hold_until > now()"), 20);
    /* losers left no ticket behind: one ticket per seat */
    assert_int_equal(th_db_scalar(db, "SELECT count(*) FROM tickets t JOIN seats s"
                                      " USING (seat_id) WHERE s.schedule_id = 11"), 20);
    /* nothing left for anyone */
    assert_false(seat_listed(&httpd, 1, d10, 1101, tok[1]));
    assert_int_equal(dates_free(&httpd, 1, 11, tok[1]), 0);
}

/* 1,000 concurrent attempts on one seat, twice: 200 users x 5 attempts,
 * and 1,000 users x 1 attempt (50 threads x 20 requests). */
static void test_race_one_seat(void **state)
{
    static attempt a[1000];
    long long winner = 0, ticket = 0;
    char expires[40] = "";
    int i, won = 0;
    (void)state;

    /* 200 users, 5 attempts each, spread over different threads */
    for (i = 0; i < 1000; ++i) {
        a[i].user = 201 + i % 200;
        a[i].concert = 1;
        a[i].schedule = 12;
        a[i].seat = 1201;
    }
    run_attempts(&httpd, a, 1000, 50);
    for (i = 0; i < 1000; ++i) {
        if (a[i].status == 200) {
            if (!winner) {
                winner = a[i].user;
                ticket = a[i].ticket;
                snprintf(expires, sizeof(expires), "%s", a[i].expires);
            }
            if (a[i].user != winner) {
                fail_msg("seat 1201 answered 200 to users %lld and %lld", winner, a[i].user);
            }
            assert_int_equal(a[i].ticket, ticket);
            assert_string_equal(a[i].expires, expires);
            assert_int_equal(a[i].body_user, winner);
            ++won;
        }
    }
    assert_true(winner != 0);
    /* the winner's every attempt is the same ticket; everyone else lost */
    assert_int_equal(won, 5);
    for (i = 0; i < 1000; ++i) {
        if (a[i].user != winner) {
            assert_conflict(&a[i], "SEAT_TAKEN", MSG_TAKEN);
        }
    }
    assert_true(db_holds(1201, ticket, winner));
    assert_int_equal(th_db_scalar(db, "SELECT count(*) FROM tickets WHERE seat_id = 1201"), 1);

    /* 1,000 different users, one attempt each */
    memset(a, 0, sizeof(a));
    for (i = 0; i < 1000; ++i) {
        a[i].user = 401 + i;
        a[i].concert = 1;
        a[i].schedule = 12;
        a[i].seat = 1202;
    }
    run_attempts(&httpd, a, 1000, 50);
    winner = 0;
    won = 0;
    for (i = 0; i < 1000; ++i) {
        if (a[i].status == 200) {
            winner = a[i].user;
            ticket = a[i].ticket;
            assert_int_equal(a[i].body_user, winner);
            ++won;
        }
        else {
            assert_conflict(&a[i], "SEAT_TAKEN", MSG_TAKEN);
        }
    }
    assert_int_equal(won, 1);
    assert_true(db_holds(1202, ticket, winner));
    assert_int_equal(th_db_scalar(db, "SELECT count(*) FROM tickets WHERE seat_id = 1202"), 1);
}

/* ---- expiry ---- */

typedef struct {
    long long seat;
    const char *token;
} listed_arg;

static int seat_2_listed(void *arg)
{
    listed_arg *l = arg;
    return seat_listed(&httpd, 2, d10, l->seat, l->token);
}

/* TicketHoldTTL 2: the seat comes back by itself; the next hold of it (by
 * anyone, its former holder too) is a new ticket. */
static void test_hold_expires(void **state)
{
    long long a1, a2, a3, b1;
    char expected[40];
    listed_arg l = {2101, tok[USER_B]};
    th_resp r;
    (void)state;

    assert_int_equal(dates_free(&httpd, 2, 21, tok[USER_A]), 5);
    assert_true(seat_listed(&httpd, 2, d10, 2101, tok[USER_A]));

    hold(&r, &httpd_ttl, 2, 21, 2101, USER_A);
    assert_int_equal(r.status, 200);
    a1 = th_int(&r, "ticketId");
    assert_true(a1 > 0);
    db_text(expected, sizeof(expected),
            "SELECT to_char(hold_until AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
            "  FROM seats WHERE seat_id = 2101");
    assert_string_equal(th_str(&r, "holdExpiresAt"), expected);
    th_resp_free(&r);
    /* the hold lasts TicketHoldTTL from its creation */
    assert_int_equal(th_db_scalar(db, "SELECT count(*) FROM tickets WHERE ticket_id = %lld"
                                      " AND hold_until - created_at BETWEEN interval '1 second'"
                                      " AND interval '2 seconds'", a1), 1);

    hold(&r, &httpd, 2, 21, 2101, USER_B);
    th_assert_error(&r, 409, "SEAT_TAKEN", MSG_TAKEN);
    th_resp_free(&r);
    assert_false(seat_listed(&httpd, 2, d10, 2101, tok[USER_B]));
    assert_int_equal(dates_free(&httpd, 2, 21, tok[USER_B]), 4);

    /* the former holder's second seat, to hold again after expiry */
    hold(&r, &httpd_ttl, 2, 21, 2102, USER_A);
    assert_int_equal(r.status, 200);
    a2 = th_int(&r, "ticketId");
    th_resp_free(&r);
    assert_int_equal(dates_free(&httpd, 2, 21, tok[USER_B]), 3);

    assert_true(th_wait_until(seat_2_listed, &l, 15));
    l.seat = 2102;
    assert_true(th_wait_until(seat_2_listed, &l, 15));
    assert_int_equal(dates_free(&httpd, 2, 21, tok[USER_B]), 5);

    hold(&r, &httpd, 2, 21, 2101, USER_B);
    assert_int_equal(r.status, 200);
    b1 = th_int(&r, "ticketId");
    assert_true(b1 > 0);
    assert_true(b1 != a1);
    assert_int_equal(th_int(&r, "userId"), USER_B);
    th_resp_free(&r);
    assert_true(db_holds(2101, b1, USER_B));

    hold(&r, &httpd, 2, 21, 2101, USER_A);
    th_assert_error(&r, 409, "SEAT_TAKEN", MSG_TAKEN);
    th_resp_free(&r);
    hold(&r, &httpd_ttl, 2, 21, 2101, USER_A);
    th_assert_error(&r, 409, "SEAT_TAKEN", MSG_TAKEN);
    th_resp_free(&r);

    /* the former holder again: a new ticket */
    hold(&r, &httpd, 2, 21, 2102, USER_A);
    assert_int_equal(r.status, 200);
    a3 = th_int(&r, "ticketId");
    assert_true(a3 != a2);
    th_resp_free(&r);
    assert_true(db_holds(2102, a3, USER_A));
    /* the expired tickets keep their rows */
    assert_int_equal(th_db_scalar(db, "SELECT count(*) FROM tickets"
                                      " WHERE ticket_id IN (%lld, %lld)", a1, a2), 2);
    assert_int_equal(th_db_scalar(db, "SELECT count(*) FROM tickets WHERE seat_id = 2101"), 2);
    assert_int_equal(dates_free(&httpd, 2, 21, tok[USER_B]), 3);
}

/* ---- the same user again ---- */

typedef struct {
    long long seat, ticket;
    char expires[40];
    long status;
} repeat_res;

static pthread_barrier_t repeat_start;

static void *repeat_worker(void *arg)
{
    repeat_res *x = arg;
    th_resp r;

    pthread_barrier_wait(&repeat_start);
    hold(&r, &httpd, 8, 81, x->seat, USER_REPEAT);
    x->status = r.status;
    x->ticket = th_int(&r, "ticketId");
    snprintf(x->expires, sizeof(x->expires), "%s",
             th_str(&r, "holdExpiresAt") ? th_str(&r, "holdExpiresAt") : "");
    th_resp_free(&r);
    client_done();
    return NULL;
}

static void test_same_user_same_ticket(void **state)
{
    char until1[64], until2[64], body[64];
    repeat_res x[30];
    pthread_t t[30];
    long long ticket;
    char expires[40];
    th_resp r;
    int i;
    (void)state;

    hold(&r, &httpd, 8, 81, 8101, USER_REPEAT);
    assert_int_equal(r.status, 200);
    ticket = th_int(&r, "ticketId");
    snprintf(expires, sizeof(expires), "%s", th_str(&r, "holdExpiresAt"));
    th_resp_free(&r);
    db_text(until1, sizeof(until1), "SELECT hold_until FROM seats WHERE seat_id = 8101");

    usleep(1100000);    /* a renewed expiry would show in the seconds */
    hold(&r, &httpd, 8, 81, 8101, USER_REPEAT);
    assert_int_equal(r.status, 200);
    assert_int_equal(th_int(&r, "ticketId"), ticket);
    assert_string_equal(th_str(&r, "holdExpiresAt"), expires);
    assert_int_equal(th_int(&r, "userId"), USER_REPEAT);
    assert_int_equal(th_int(&r, "concertSeat"), 1);
    assert_string_equal(th_str(&r, "seatStatus"), "temp");
    th_resp_free(&r);
    /* userId as a string of digits: the same */
    snprintf(body, sizeof(body), "{\"userId\": \"%d\"}", USER_REPEAT);
    hold_body(&r, &httpd, 8, 81, 8101, tok[USER_REPEAT], body);
    assert_int_equal(r.status, 200);
    assert_int_equal(th_int(&r, "ticketId"), ticket);
    assert_string_equal(th_str(&r, "holdExpiresAt"), expires);
    th_resp_free(&r);
    db_text(until2, sizeof(until2), "SELECT hold_until FROM seats WHERE seat_id = 8101");
    assert_string_equal(until1, until2);
    assert_int_equal(th_db_scalar(db, "SELECT count(*) FROM tickets WHERE seat_id = 8101"), 1);

    /* thirty at once by the same user on three seats (ten each): one
     * ticket per seat, all answers for a seat equal */
    pthread_barrier_init(&repeat_start, NULL, 30);
    for (i = 0; i < 30; ++i) {
        x[i].seat = 8102 + i % 3;
        pthread_create(&t[i], NULL, repeat_worker, &x[i]);
    }
    for (i = 0; i < 30; ++i) {
        pthread_join(t[i], NULL);
    }
    pthread_barrier_destroy(&repeat_start);
    for (i = 0; i < 30; ++i) {
        if (x[i].status != 200) {
            fail_msg("seat %lld, the same user at once: got %ld", x[i].seat, x[i].status);
        }
        assert_int_equal(x[i].ticket, x[i % 3].ticket);
        assert_string_equal(x[i].expires, x[i % 3].expires);
    }
    for (i = 0; i < 3; ++i) {
        assert_int_equal(th_db_scalar(db, "SELECT count(*) FROM tickets WHERE seat_id = %lld",
                                      x[i].seat), 1);
        assert_true(db_holds(x[i].seat, x[i].ticket, USER_REPEAT));
    }
}

/* ---- TicketMaxHoldsPerUser 2 ---- */

static void test_hold_limit(void **state)
{
    static attempt a[200];
    long long t1;
    th_resp r;
    int i, won = 0;
    (void)state;

    hold(&r, &httpd_lim, 3, 31, 3103, USER_V);
    assert_int_equal(r.status, 200);
    th_resp_free(&r);

    hold(&r, &httpd_lim, 3, 31, 3101, USER_U);
    assert_int_equal(r.status, 200);
    t1 = th_int(&r, "ticketId");
    th_resp_free(&r);
    hold(&r, &httpd_lim, 3, 31, 3102, USER_U);
    assert_int_equal(r.status, 200);
    th_resp_free(&r);
    /* at the limit: a free seat is HOLD_LIMIT … */
    hold(&r, &httpd_lim, 3, 31, 3104, USER_U);
    th_assert_error(&r, 409, "HOLD_LIMIT", MSG_LIMIT);
    th_resp_free(&r);
    /* … an own seat is the same ticket … */
    hold(&r, &httpd_lim, 3, 31, 3101, USER_U);
    assert_int_equal(r.status, 200);
    assert_int_equal(th_int(&r, "ticketId"), t1);
    th_resp_free(&r);
    /* … a seat held by another or booked is SEAT_TAKEN … */
    hold(&r, &httpd_lim, 3, 31, 3103, USER_U);
    th_assert_error(&r, 409, "SEAT_TAKEN", MSG_TAKEN);
    th_resp_free(&r);
    hold(&r, &httpd_lim, 3, 31, 3105, USER_U);
    th_assert_error(&r, 409, "SEAT_TAKEN", MSG_TAKEN);
    th_resp_free(&r);
    /* … and no such seat is 404 */
    hold(&r, &httpd_lim, 3, 31, 3199, USER_U);
    th_assert_error(&r, 404, "CONCERT_NOT_FOUND", MSG_CONCERT);
    th_resp_free(&r);
    assert_int_equal(live_holds(USER_U), 2);
    assert_int_equal(th_db_scalar(db, "SELECT count(*) FROM tickets WHERE seat_id = 3104"), 0);

    /* an expired hold does not count */
    th_db_exec(db, "UPDATE seats SET hold_until = now() - interval '1 second' WHERE seat_id = 3102");
    th_db_exec(db, "UPDATE tickets SET hold_until = now() - interval '1 second' WHERE seat_id = 3102");
    hold(&r, &httpd_lim, 3, 31, 3104, USER_U);
    assert_int_equal(r.status, 200);
    th_resp_free(&r);
    hold(&r, &httpd_lim, 3, 31, 3106, USER_U);
    th_assert_error(&r, 409, "HOLD_LIMIT", MSG_LIMIT);
    th_resp_free(&r);
    assert_int_equal(live_holds(USER_U), 2);

    /* one user, 20 concurrent holds on 20 seats: exactly 2; and nine more
     * users doing the same at the same time, on seats of their own. 100
     * threads make two attempts each: W's twenty all in the first round. */
    for (i = 0; i < 200; ++i) {
        attempt *x = &a[i < 100 ? 2 * i : 2 * (i - 100) + 1];
        x->user = i < 20 ? USER_W : USER_LIM0 + i % 9;
        x->concert = 3;
        x->schedule = i < 20 ? 31 : 32;
        x->seat = i < 20 ? 3111 + i : 3200 + (i - 19);
    }
    run_attempts(&httpd_lim, a, 200, 100);
    for (i = 0; i < 200; ++i) {
        if (a[i].status == 200) {
            assert_int_equal(a[i].body_user, a[i].user);
            assert_true(db_holds(a[i].seat, a[i].ticket, a[i].user));
            ++won;
        }
        else {
            assert_conflict(&a[i], "HOLD_LIMIT", MSG_LIMIT);
        }
    }
    assert_int_equal(won, 2 * 10);
    assert_int_equal(live_holds(USER_W), 2);
    assert_int_equal(th_db_scalar(db, "SELECT count(*) FROM tickets WHERE user_id = %d", USER_W), 2);
    for (i = 0; i < 9; ++i) {
        assert_int_equal(live_holds(USER_LIM0 + i), 2);
        assert_int_equal(th_db_scalar(db, "SELECT count(*) FROM tickets WHERE user_id = %d",
                                      USER_LIM0 + i), 2);
    }
}

/* ---- errors ---- */

static void expire_token(long long user)
{
    th_db_exec(db, "UPDATE queue_tokens SET expires_at = now() - interval '1 second'"
                   " WHERE user_id = %lld AND state = 'service'", user);
}

typedef struct {
    const char *method;
    char path[200];
    char body[100];
} req;

/* A request of each of the four endpoints, well formed. */
static int good_requests(req *q, long long user)
{
    int n = 0;
    q[n] = (req){"GET", "/concerts", ""};
    ++n;
    q[n] = (req){"GET", "/concerts/4/dates", ""};
    ++n;
    q[n].method = "GET";
    snprintf(q[n].path, sizeof(q[n].path), "/concerts/4/dates/%s/seats", d10);
    q[n].body[0] = '\0';
    ++n;
    q[n].method = "POST";
    snprintf(q[n].path, sizeof(q[n].path), "/concerts/9/schedules/91/seats/9110/ticket");
    snprintf(q[n].body, sizeof(q[n].body), "{\"userId\": %lld}", user);
    ++n;
    return n;
}

/* Malformed path parameters and bodies: 400 with a good token. */
static int bad_requests(req *q, long long user)
{
    static const char *const bad_ids[] = {"abc", "0", "-1", "01", "1.5", "+1", "1e3",
                                          "99999999999999999999", NULL};
    static const char *const bad_dates[] = {"2026-13-01", "2026-1-1", "2026-02-30",
                                            "2026-00-10", "20261201", "abc",
                                            "2026-12-1x", "0000-01-01", NULL};
    static const char *const bad_bodies[] = {
        "", "{}", "{\"userId\": \"x\"}", "[1]", "{\"userId\": 0}", "{\"userId\": -5}",
        "{\"userId\": 1.5}", "{\"userId\": null}", "{\"userId\": true}", "{",
        "null", "{\"user\": 1}", "{\"userId\": \"01\"}", "{\"userId\": 1} x",
        "{\"userId\": 9223372036854775808}", "{\"userId\": \"9223372036854775808\"}",
        "{\"userId\": 1e3}", "{\"userId\": [1]}", NULL};
    const char *const *b;
    int n = 0;

    for (b = bad_ids; *b; ++b) {
        q[n].method = "GET";
        snprintf(q[n].path, sizeof(q[n].path), "/concerts/%s/dates", *b);
        q[n++].body[0] = '\0';
        q[n].method = "GET";
        snprintf(q[n].path, sizeof(q[n].path), "/concerts/%s/dates/%s/seats", *b, d10);
        q[n++].body[0] = '\0';
        q[n].method = "POST";
        snprintf(q[n].path, sizeof(q[n].path), "/concerts/%s/schedules/91/seats/9110/ticket", *b);
        snprintf(q[n++].body, sizeof(q[0].body), "{\"userId\": %lld}", user);
        q[n].method = "POST";
        snprintf(q[n].path, sizeof(q[n].path), "/concerts/9/schedules/%s/seats/9110/ticket", *b);
        snprintf(q[n++].body, sizeof(q[0].body), "{\"userId\": %lld}", user);
        q[n].method = "POST";
        snprintf(q[n].path, sizeof(q[n].path), "/concerts/9/schedules/91/seats/%s/ticket", *b);
        snprintf(q[n++].body, sizeof(q[0].body), "{\"userId\": %lld}", user);
    }
    for (b = bad_dates; *b; ++b) {
        q[n].method = "GET";
        snprintf(q[n].path, sizeof(q[n].path), "/concerts/4/dates/%s/seats", *b);
        q[n++].body[0] = '\0';
    }
    for (b = bad_bodies; *b; ++b) {
        q[n].method = "POST";
        snprintf(q[n].path, sizeof(q[n].path), "/concerts/9/schedules/91/seats/9110/ticket");
        snprintf(q[n++].body, sizeof(q[0].body), "%s", *b);
    }
    /* malformed path and another user's userId: 400 comes before 403 */
    q[n].method = "POST";
    snprintf(q[n].path, sizeof(q[n].path), "/concerts/abc/schedules/91/seats/9110/ticket");
    snprintf(q[n++].body, sizeof(q[0].body), "{\"userId\": 1}");
    return n;
}

static void send_req(th_resp *r, const th_httpd *h, const req *q, const char *auth)
{
    http(r, h, q->method, q->path, auth, strcmp(q->method, "POST") == 0 ? q->body : NULL);
}

static void expect(const th_resp *r, const req *q, const char *who, long status,
                   const char *code, const char *msg)
{
    if (r->status != status || !th_str(r, "code") || strcmp(th_str(r, "code"), code)
        || !th_str(r, "error") || strcmp(th_str(r, "error"), msg)) {
        fail_msg("%s %s body '%s' (%s): expected %ld %s, got %ld %s", q->method, q->path,
                 q->body, who, status, code, r->status, r->body);
    }
}

typedef struct {
    const th_httpd *h;
    const char *auth;       /* the Authorization header, NULL for none */
    const char *code;
} tcase;

/* 401 on each endpoint for every kind of unusable token, also where the
 * path or body is malformed (the token is checked first). */
static void test_token_errors(void **state)
{
    static req good[4], bad[200];
    char auth[600], forged_user[200], forged_seq[200], other_secret[200];
    const char *dot;
    th_resp r;
    int ngood, nbad, i;
    tcase cases[16];
    int ncases = 0, c;
    (void)state;

    ngood = good_requests(good, USER_X);
    nbad = bad_requests(bad, USER_X);
    assert_true(nbad <= 200);

    /* the tokens */
    dot = strchr(tok[USER_E], '.');
    snprintf(forged_user, sizeof(forged_user), "Bearer %.*s.%d.%s", (int)(dot - tok[USER_E]),
             tok[USER_E], USER_E + 1, strrchr(tok[USER_E], '.') + 1);
    snprintf(forged_seq, sizeof(forged_seq), "Bearer 1%s", tok[USER_E]);
    snprintf(other_secret, sizeof(other_secret), "Bearer %s", wait_tok);
    /* a genuine token whose queue entry no longer exists */
    th_db_exec(db, "DELETE FROM queue_tokens WHERE user_id = %d", USER_GONE);

    cases[ncases++] = (tcase){&httpd, NULL, "TOKEN_INVALID"};
    cases[ncases++] = (tcase){&httpd, "", "TOKEN_INVALID"};
    cases[ncases++] = (tcase){&httpd, "Bearer", "TOKEN_INVALID"};
    cases[ncases++] = (tcase){&httpd, "Bearer x", "TOKEN_INVALID"};
    cases[ncases++] = (tcase){&httpd, "abc.def.ghi", "TOKEN_INVALID"};
    cases[ncases++] = (tcase){&httpd, "Basic dXNlcjpwYXNz", "TOKEN_INVALID"};
    cases[ncases++] = (tcase){&httpd, forged_user, "TOKEN_INVALID"};
    cases[ncases++] = (tcase){&httpd, forged_seq, "TOKEN_INVALID"};
    cases[ncases++] = (tcase){&httpd, other_secret, "TOKEN_INVALID"};
    snprintf(auth, sizeof(auth), "Bearer %s", tok[USER_GONE]);
    cases[ncases++] = (tcase){&httpd, auth, "TOKEN_INVALID"};
    cases[ncases++] = (tcase){&httpd_wait, other_secret + 7, "TOKEN_NOT_ADMITTED"};
    cases[ncases++] = (tcase){&httpd_wait, other_secret, "TOKEN_NOT_ADMITTED"};

    /* before expiry the token works (raw, without "Bearer") */
    http(&r, &httpd, "GET", "/concerts", tok[USER_X], NULL);
    assert_int_equal(r.status, 200);
    th_resp_free(&r);
    expire_token(USER_X);
    {
        static char expired[200];
        snprintf(expired, sizeof(expired), "Bearer %s", tok[USER_X]);
        cases[ncases++] = (tcase){&httpd, expired, "TOKEN_EXPIRED"};
        cases[ncases++] = (tcase){&httpd_lim, expired, "TOKEN_EXPIRED"};
        cases[ncases++] = (tcase){&httpd, tok[USER_X], "TOKEN_EXPIRED"};
    }

    for (c = 0; c < ncases; ++c) {
        for (i = 0; i < ngood; ++i) {
            send_req(&r, cases[c].h, &good[i], cases[c].auth);
            expect(&r, &good[i], cases[c].code, 401, cases[c].code, MSG_TOKEN);
            th_resp_free(&r);
        }
        for (i = 0; i < nbad; ++i) {
            send_req(&r, cases[c].h, &bad[i], cases[c].auth);
            expect(&r, &bad[i], cases[c].code, 401, cases[c].code, MSG_TOKEN);
            th_resp_free(&r);
        }
    }
    /* another user's userId with an expired token: 401, not 403 */
    snprintf(auth, sizeof(auth), "{\"userId\": %d}", USER_E);
    hold_body(&r, &httpd, 9, 91, 9110, tok[USER_X], auth);
    th_assert_error(&r, 401, "TOKEN_EXPIRED", MSG_TOKEN);
    th_resp_free(&r);
    /* nobody took seat 9110 on the way */
    assert_int_equal(th_db_scalar(db, "SELECT count(*) FROM tickets WHERE seat_id = 9110"), 0);
    assert_int_equal(th_db_scalar(db, "SELECT count(*) FROM seats WHERE seat_id = 9110"
                                      " AND hold_ticket_id IS NULL"), 1);
}

/* 400 for malformed path parameters and bodies with a good token */
static void test_bad_requests(void **state)
{
    static req bad[200];
    th_resp r;
    int nbad, i;
    (void)state;

    nbad = bad_requests(bad, USER_E);
    for (i = 0; i < nbad; ++i) {
        http_token(&r, &httpd, bad[i].method, bad[i].path, tok[USER_E],
                   strcmp(bad[i].method, "POST") == 0 ? bad[i].body : NULL);
        expect(&r, &bad[i], "good token", 400, "BAD_REQUEST", MSG_BAD);
        assert_non_null(strstr(r.content_type, "application/json"));
        th_resp_free(&r);
    }
    assert_int_equal(th_db_scalar(db, "SELECT count(*) FROM tickets WHERE seat_id = 9110"), 0);
}

/* 403 for another user's userId, before existence (404) */
static void test_forbidden(void **state)
{
    th_resp r;
    (void)state;

    hold_body(&r, &httpd, 9, 91, 9109, tok[USER_E], "{\"userId\": 1}");
    th_assert_error(&r, 403, "FORBIDDEN", MSG_FORBIDDEN);
    th_resp_free(&r);
    hold_body(&r, &httpd, 9, 91, 9109, tok[USER_E], "{\"userId\": \"1\"}");
    th_assert_error(&r, 403, "FORBIDDEN", MSG_FORBIDDEN);
    th_resp_free(&r);
    /* a user that does not exist, and a seat that does not exist */
    hold_body(&r, &httpd, 9, 91, 9109, tok[USER_E], "{\"userId\": 999999}");
    th_assert_error(&r, 403, "FORBIDDEN", MSG_FORBIDDEN);
    th_resp_free(&r);
    hold_body(&r, &httpd, 999, 999, 999, tok[USER_E], "{\"userId\": 1}");
    th_assert_error(&r, 403, "FORBIDDEN", MSG_FORBIDDEN);
    th_resp_free(&r);
    /* a seat held by the other user: still 403 */
    hold_body(&r, &httpd, 1, 11, 1101, tok[USER_E], "{\"userId\": 1}");
    th_assert_error(&r, 403, "FORBIDDEN", MSG_FORBIDDEN);
    th_resp_free(&r);
    assert_int_equal(th_db_scalar(db, "SELECT count(*) FROM tickets WHERE seat_id = 9109"), 0);
}

/* A normal hold's answer; ticketId in the body is ignored. */
static void test_hold_answer(void **state)
{
    char body[100], expected[40];
    long long t;
    th_resp r;
    (void)state;

    snprintf(body, sizeof(body), "{\"userId\": %d, \"ticketId\": 987654321}", USER_E);
    hold_body(&r, &httpd, 9, 91, 9103, tok[USER_E], body);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.content_type, "application/json"));
    t = th_int(&r, "ticketId");
    assert_true(t > 0);
    assert_true(t != 987654321);
    assert_int_equal(th_int(&r, "userId"), USER_E);
    assert_string_equal(th_str(&r, "concertDate"), d10);
    assert_int_equal(th_int(&r, "concertSeat"), 3);
    assert_int_equal(th_int(&r, "price"), 33000);
    assert_string_equal(th_str(&r, "seatStatus"), "temp");
    db_text(expected, sizeof(expected),
            "SELECT to_char(hold_until AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
            "  FROM seats WHERE seat_id = 9103");
    assert_string_equal(th_str(&r, "holdExpiresAt"), expected);
    th_resp_free(&r);
    assert_true(db_holds(9103, t, USER_E));
    assert_int_equal(th_db_scalar(db, "SELECT count(*) FROM tickets WHERE ticket_id = 987654321"), 0);
    assert_int_equal(th_db_scalar(db, "SELECT count(*) FROM tickets WHERE ticket_id = %lld"
                                      " AND hold_until - created_at BETWEEN interval '299 seconds'"
                                      " AND interval '300 seconds' AND price = 33000", t), 1);
    assert_false(seat_listed(&httpd, 9, d10, 9103, tok[USER_E]));
    assert_true(seat_listed(&httpd, 9, d10, 9104, tok[USER_E]));

    /* ticketId as a string, userId as a string, another key order */
    snprintf(body, sizeof(body), "{\"ticketId\": \"5\", \"userId\": \"%d\"}", USER_E);
    hold_body(&r, &httpd, 9, 91, 9104, tok[USER_E], body);
    assert_int_equal(r.status, 200);
    assert_true(db_holds(9104, th_int(&r, "ticketId"), USER_E));
    th_resp_free(&r);

    /* the raw token (no "Bearer") works too */
    http(&r, &httpd, "POST", "/concerts/9/schedules/91/seats/9104/ticket", tok[USER_E], body);
    assert_int_equal(r.status, 200);
    th_resp_free(&r);
}

/* 404 CONCERT_NOT_FOUND on endpoints 4-6 */
static void test_not_found(void **state)
{
    char path[200];
    const char *t = tok[USER_E];
    th_resp r;
    (void)state;

    get(&r, &httpd, "/concerts/999/dates", t);
    th_assert_error(&r, 404, "CONCERT_NOT_FOUND", MSG_CONCERT);
    th_resp_free(&r);
    get(&r, &httpd, "/concerts/9223372036854775807/dates", t);
    th_assert_error(&r, 404, "CONCERT_NOT_FOUND", MSG_CONCERT);
    th_resp_free(&r);

    /* seats: unknown concert, a date with no schedule (of this concert),
     * schedules that have started */
    snprintf(path, sizeof(path), "/concerts/999/dates/%s/seats", d10);
    get(&r, &httpd, path, t);
    th_assert_error(&r, 404, "CONCERT_NOT_FOUND", MSG_CONCERT);
    th_resp_free(&r);
    snprintf(path, sizeof(path), "/concerts/4/dates/%s/seats", d11);   /* concert 1's date */
    get(&r, &httpd, path, t);
    th_assert_error(&r, 404, "CONCERT_NOT_FOUND", MSG_CONCERT);
    th_resp_free(&r);
    get(&r, &httpd, "/concerts/4/dates/2099-01-01/seats", t);
    th_assert_error(&r, 404, "CONCERT_NOT_FOUND", MSG_CONCERT);
    th_resp_free(&r);
    snprintf(path, sizeof(path), "/concerts/4/dates/%s/seats", dpast);
    get(&r, &httpd, path, t);
    th_assert_error(&r, 404, "CONCERT_NOT_FOUND", MSG_CONCERT);
    th_resp_free(&r);
    snprintf(path, sizeof(path), "/concerts/4/dates/%s/seats", dtoday);  /* started an hour ago */
    get(&r, &httpd, path, t);
    th_assert_error(&r, 404, "CONCERT_NOT_FOUND", MSG_CONCERT);
    th_resp_free(&r);
    snprintf(path, sizeof(path), "/concerts/6/dates/%s/seats", dpast2);
    get(&r, &httpd, path, t);
    th_assert_error(&r, 404, "CONCERT_NOT_FOUND", MSG_CONCERT);
    th_resp_free(&r);

    /* holds: seat of another schedule, schedule of another concert,
     * unknown seat, schedule, concert; started schedules */
    hold(&r, &httpd, 4, 41, 4201, USER_E);
    th_assert_error(&r, 404, "CONCERT_NOT_FOUND", MSG_CONCERT);
    th_resp_free(&r);
    hold(&r, &httpd, 1, 41, 4101, USER_E);
    th_assert_error(&r, 404, "CONCERT_NOT_FOUND", MSG_CONCERT);
    th_resp_free(&r);
    hold(&r, &httpd, 4, 41, 999999, USER_E);
    th_assert_error(&r, 404, "CONCERT_NOT_FOUND", MSG_CONCERT);
    th_resp_free(&r);
    hold(&r, &httpd, 4, 999, 4101, USER_E);
    th_assert_error(&r, 404, "CONCERT_NOT_FOUND", MSG_CONCERT);
    th_resp_free(&r);
    hold(&r, &httpd, 999, 41, 4101, USER_E);
    th_assert_error(&r, 404, "CONCERT_NOT_FOUND", MSG_CONCERT);
    th_resp_free(&r);
    hold(&r, &httpd, 4, 43, 4301, USER_E);
    th_assert_error(&r, 404, "CONCERT_NOT_FOUND", MSG_CONCERT);
    th_resp_free(&r);
    hold(&r, &httpd, 4, 45, 4501, USER_E);
    th_assert_error(&r, 404, "CONCERT_NOT_FOUND", MSG_CONCERT);
    th_resp_free(&r);
    hold(&r, &httpd, 6, 61, 6101, USER_E);
    th_assert_error(&r, 404, "CONCERT_NOT_FOUND", MSG_CONCERT);
    th_resp_free(&r);
    hold(&r, &httpd, 9223372036854775807LL, 9223372036854775807LL, 9223372036854775807LL, USER_E);
    th_assert_error(&r, 404, "CONCERT_NOT_FOUND", MSG_CONCERT);
    th_resp_free(&r);
    snprintf(path, sizeof(path), "/concerts/9223372036854775807/dates/%s/seats", d10);
    get(&r, &httpd, path, t);
    th_assert_error(&r, 404, "CONCERT_NOT_FOUND", MSG_CONCERT);
    th_resp_free(&r);
    assert_int_equal(th_db_scalar(db, "SELECT count(*) FROM tickets t JOIN seats s USING (seat_id)"
                                      " WHERE s.schedule_id IN (41, 42, 43, 45, 61)"), 0);
}

/* The lookups' 200 answers on concert 4 (untouched by holds). */
static void test_lookups(void **state)
{
    static const long long ids[] = {4103, 4105, 4102, 4104, 4101};
    static const long long prices[] = {77000, 55000, 88000, 66000, 99000};
    const char *t = tok[USER_E];
    json_object *list, *s;
    char path[200];
    th_resp r;
    size_t i;
    (void)state;

    get(&r, &httpd, "/concerts", t);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.content_type, "application/json"));
    list = arr(&r, "concerts");
    assert_int_equal(json_object_array_length(list), 9);
    for (i = 0; i < 9; ++i) {
        assert_int_equal(obj_int(json_object_array_get_idx(list, i), "concertId"), (long long)i + 1);
    }
    assert_string_equal(obj_str(json_object_array_get_idx(list, 3), "title"), "Lookup Fest");
    th_resp_free(&r);
    assert_true(concert_available(4, t));
    assert_false(concert_available(6, t));     /* only a past schedule, its seat free */
    assert_false(concert_available(7, t));     /* no schedule */

    /* dates: future schedules with a free seat, in date order */
    get(&r, &httpd, "/concerts/4/dates", t);
    assert_int_equal(r.status, 200);
    list = arr(&r, "availableDates");
    assert_int_equal(json_object_array_length(list), 2);
    assert_string_equal(json_object_get_string(json_object_array_get_idx(list, 0)), d10);
    assert_string_equal(json_object_get_string(json_object_array_get_idx(list, 1)), d12);
    list = arr(&r, "schedules");
    assert_int_equal(json_object_array_length(list), 2);
    s = json_object_array_get_idx(list, 0);
    assert_int_equal(obj_int(s, "scheduleId"), 41);
    assert_string_equal(obj_str(s, "date"), d10);
    assert_int_equal(obj_int(s, "availableSeats"), 5);
    s = json_object_array_get_idx(list, 1);
    assert_int_equal(obj_int(s, "scheduleId"), 42);
    assert_string_equal(obj_str(s, "date"), d12);
    assert_int_equal(obj_int(s, "availableSeats"), 3);
    th_resp_free(&r);

    /* no bookable schedule: 200, empty lists */
    get(&r, &httpd, "/concerts/6/dates", t);
    assert_int_equal(r.status, 200);
    assert_int_equal(json_object_array_length(arr(&r, "availableDates")), 0);
    assert_int_equal(json_object_array_length(arr(&r, "schedules")), 0);
    th_resp_free(&r);
    get(&r, &httpd, "/concerts/7/dates", t);
    assert_int_equal(r.status, 200);
    assert_int_equal(json_object_array_length(arr(&r, "availableDates")), 0);
    assert_int_equal(json_object_array_length(arr(&r, "schedules")), 0);
    th_resp_free(&r);

    /* seats in seat-number order */
    snprintf(path, sizeof(path), "/concerts/4/dates/%s/seats", d10);
    get(&r, &httpd, path, t);
    assert_int_equal(r.status, 200);
    assert_int_equal(th_int(&r, "scheduleId"), 41);
    assert_string_equal(th_str(&r, "date"), d10);
    list = arr(&r, "availableSeats");
    assert_int_equal(json_object_array_length(list), 5);
    for (i = 0; i < 5; ++i) {
        s = json_object_array_get_idx(list, i);
        assert_int_equal(obj_int(s, "seatNum"), (long long)i + 1);
        assert_int_equal(obj_int(s, "seatId"), ids[i]);
        assert_int_equal(obj_int(s, "price"), prices[i]);
    }
    th_resp_free(&r);

    /* a sold-out future schedule: 200 with an empty list; the booked seat
     * is SEAT_TAKEN */
    snprintf(path, sizeof(path), "/concerts/4/dates/%s/seats", d14);
    get(&r, &httpd, path, t);
    assert_int_equal(r.status, 200);
    assert_int_equal(th_int(&r, "scheduleId"), 44);
    assert_string_equal(th_str(&r, "date"), d14);
    assert_int_equal(json_object_array_length(arr(&r, "availableSeats")), 0);
    th_resp_free(&r);
    hold(&r, &httpd, 4, 44, 4401, USER_E);
    th_assert_error(&r, 409, "SEAT_TAKEN", MSG_TAKEN);
    th_resp_free(&r);
}

/* A concert whose future seats are all held or booked: not available,
 * no dates, an empty seat list, its seats SEAT_TAKEN. */
static void test_sold_out(void **state)
{
    const char *t = tok[USER_SOLD];
    char path[200];
    th_resp r;
    (void)state;

    assert_true(concert_available(5, t));
    hold(&r, &httpd, 5, 51, 5101, USER_SOLD);
    assert_int_equal(r.status, 200);
    th_resp_free(&r);
    assert_true(concert_available(5, t));
    assert_int_equal(dates_free(&httpd, 5, 51, t), 1);
    /* a booked seat is not listed and cannot be held */
    book_via_sql(5102);
    assert_false(concert_available(5, t));
    assert_false(concert_available(5, tok[USER_OTHER]));

    get(&r, &httpd, "/concerts/5/dates", t);
    assert_int_equal(r.status, 200);
    assert_int_equal(json_object_array_length(arr(&r, "availableDates")), 0);
    assert_int_equal(json_object_array_length(arr(&r, "schedules")), 0);
    th_resp_free(&r);
    snprintf(path, sizeof(path), "/concerts/5/dates/%s/seats", d10);
    get(&r, &httpd, path, t);
    assert_int_equal(r.status, 200);
    assert_int_equal(th_int(&r, "scheduleId"), 51);
    assert_int_equal(json_object_array_length(arr(&r, "availableSeats")), 0);
    th_resp_free(&r);

    hold(&r, &httpd, 5, 51, 5102, USER_SOLD);
    th_assert_error(&r, 409, "SEAT_TAKEN", MSG_TAKEN);
    th_resp_free(&r);
    hold(&r, &httpd, 5, 51, 5102, USER_OTHER);
    th_assert_error(&r, 409, "SEAT_TAKEN", MSG_TAKEN);
    th_resp_free(&r);
    hold(&r, &httpd, 5, 51, 5101, USER_OTHER);
    th_assert_error(&r, 409, "SEAT_TAKEN", MSG_TAKEN);
    th_resp_free(&r);
    assert_int_equal(th_db_scalar(db, "SELECT count(*) FROM tickets WHERE seat_id IN (5101, 5102)"), 2);
}

/* Routes and methods of endpoints 3-6 come before the token. */
static void test_routes_and_methods(void **state)
{
    static const char *const missing[] = {
        "/concerts/", "/concerts/1", "/concerts/1/dates/", "/concerts/1/date",
        "/concerts/1/dates/2026-12-24", "/concerts/1/dates/2026-12-24/seats/1",
        "/concerts/1/schedules/1/seats/1", "/concerts/1/schedules/1/seats/1/ticket/x", NULL};
    const char *const *m;
    th_resp r;
    (void)state;

    http_token(&r, &httpd, "POST", "/concerts", NULL, "{}");
    th_assert_error(&r, 405, "METHOD_NOT_ALLOWED", "허용되지 않는 메서드입니다.");
    assert_string_equal(r.allow, "GET");
    th_resp_free(&r);
    http_token(&r, &httpd, "DELETE", "/concerts/1/dates", tok[USER_E], NULL);
    th_assert_error(&r, 405, "METHOD_NOT_ALLOWED", "허용되지 않는 메서드입니다.");
    assert_string_equal(r.allow, "GET");
    th_resp_free(&r);
    http_token(&r, &httpd, "PUT", "/concerts/1/dates/2026-12-24/seats", NULL, "{}");
    th_assert_error(&r, 405, "METHOD_NOT_ALLOWED", "허용되지 않는 메서드입니다.");
    assert_string_equal(r.allow, "GET");
    th_resp_free(&r);
    http_token(&r, &httpd, "GET", "/concerts/1/schedules/11/seats/1101/ticket", NULL, NULL);
    th_assert_error(&r, 405, "METHOD_NOT_ALLOWED", "허용되지 않는 메서드입니다.");
    assert_string_equal(r.allow, "POST");
    th_resp_free(&r);
    for (m = missing; *m; ++m) {
        http_token(&r, &httpd, "GET", *m, tok[USER_E], NULL);
        th_assert_error(&r, 404, "NOT_FOUND", "요청한 경로를 찾을 수 없습니다.");
        th_resp_free(&r);
    }
}

/* 413 comes before the token */
static void test_body_too_large(void **state)
{
    char body[9000];
    th_resp r;
    (void)state;

    th_oversized_body(body, sizeof(body));
    hold_body(&r, &httpd, 9, 91, 9108, NULL, body);
    th_assert_error(&r, 413, "PAYLOAD_TOO_LARGE", "요청 본문이 너무 큽니다.");
    th_resp_free(&r);
    hold_body(&r, &httpd, 9, 91, 9108, tok[USER_E], body);
    th_assert_error(&r, 413, "PAYLOAD_TOO_LARGE", "요청 본문이 너무 큽니다.");
    th_resp_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lookups),
        cmocka_unit_test(test_not_found),
        cmocka_unit_test(test_token_errors),
        cmocka_unit_test(test_bad_requests),
        cmocka_unit_test(test_forbidden),
        cmocka_unit_test(test_hold_answer),
        cmocka_unit_test(test_body_too_large),
        cmocka_unit_test(test_routes_and_methods),
        cmocka_unit_test(test_sold_out),
        cmocka_unit_test(test_same_user_same_ticket),
        cmocka_unit_test(test_hold_limit),
        cmocka_unit_test(test_hold_expires),
        cmocka_unit_test(test_race_twenty_seats),
        cmocka_unit_test(test_race_one_seat),
    };
    return cmocka_run_group_tests_name("holds", tests, setup, teardown);
}
