/* test_holds.c: endpoint 6 (seat hold) against a real Apache and
 * PostgreSQL: races for seats, hold expiry, the per-user hold limit, and
 * every error answer with the order of checks. The lookups (endpoints 3-5)
 * are in test_lookups.c, on the same sale (harness_sale.c).
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
 *         1410, 1411  errors                  concerts 4, 6, 9
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
#define USER_GONE 1498      /* its queue entry is deleted */
#define USER_LIM0 1420      /* 1420..1428: more users at the hold limit */

static th_httpd httpd;          /* TicketHoldTTL 300, 4 holds per user */
static th_httpd httpd_ttl;      /* TicketHoldTTL 2 */
static th_httpd httpd_lim;      /* TicketMaxHoldsPerUser 2 */
static th_httpd httpd_wait;     /* DB_WAIT, TicketCapacity 1 */
static PGconn *db;
static th_token tok[USERS + 1];
static char wait_tok[128];      /* user 2 of DB_WAIT, waiting */
static char d10[16];            /* the date of schedules 11, 21, 31, 41, 81, 91 */

/* ---- helpers ---- */

/* user holds the seat with its own token and userId; th_hold sends it on
 * the thread's keep-alive connection: thousands of requests without a
 * TIME_WAIT socket each */
static int hold(th_resp *r, const th_httpd *h, long long concert,
                long long schedule, long long seat, long long user)
{
    char body[64];

    snprintf(body, sizeof(body), "{\"userId\": %lld}", user);
    return th_hold(r, h->port, concert, schedule, seat, tok[user], body);
}

/* A hold that must succeed: its ticket id. */
static long long hold_ok(const th_httpd *h, long long concert, long long schedule,
                         long long seat, long long user)
{
    th_resp r;
    long long id;

    hold(&r, h, concert, schedule, seat, user);
    if (r.status != 200) {
        fail_msg("hold of seat %lld by user %lld: %ld %s", seat, user, r.status, r.body);
    }
    id = th_int(&r, "ticketId");
    th_resp_free(&r);
    return id;
}

static long long live_holds(long long user)
{
    return th_db_scalar(db, "SELECT count(*) FROM tickets t JOIN seats s"
                            "    ON s.hold_ticket_id = t.ticket_id AND s.seat_id = t.seat_id"
                            " WHERE t.user_id = %lld AND t.status = 'temp'"
                            "   AND s.hold_until > now()", user);
}

/* The seat's hold_until as holdExpiresAt says it (DB). */
static void hold_until_text(long long seat, char *out, size_t n)
{
    th_db_text(db, out, n, "SELECT to_char(hold_until AT TIME ZONE 'UTC',"
                           "               'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
                           "  FROM seats WHERE seat_id = %lld", seat);
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
    th_thread_client_done();
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
        th_client_http(th_thread_client(), &r, httpd.port, "POST", "/queues", NULL, body);
        snprintf(tok[u], sizeof(tok[u]), "%s",
                 r.status == 200 && th_str(&r, "userToken") ? th_str(&r, "userToken") : "");
        th_resp_free(&r);
    }
    th_thread_client_done();
    return NULL;
}

static int setup(void **state)
{
    pthread_t t[50];
    char last[16];
    int i;
    (void)state;

    db = th_sale_create(DB, USERS);
    th_sale_date(db, 10, d10);
    /* without the lookups' copy: a hold through one host is looked at
     * through another at once here (test_lookup_cache.c has the copy) */
    th_httpd_start(&httpd, DB, "CAPACITY=1500 HOLD_TTL=300 LOOKUP_CACHE_MS=0", NULL);
    th_httpd_start(&httpd_ttl, DB, "CAPACITY=1500 HOLD_TTL=2 LOOKUP_CACHE_MS=0", NULL);
    th_httpd_start(&httpd_lim, DB, "CAPACITY=1500 HOLD_TTL=300 LOOKUP_CACHE_MS=0",
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
    assert_true(th_wait_in_service(db, "expires_at > now()", USERS, 30));
    /* every host's snapshot has seen the last admission */
    th_db_text(db, last, sizeof(last),
               "SELECT user_id FROM queue_tokens ORDER BY seq DESC LIMIT 1");
    assert_true(th_wait_status(httpd.port, tok[atoi(last)], "service", 15));
    assert_true(th_wait_status(httpd_ttl.port, tok[atoi(last)], "service", 15));
    assert_true(th_wait_status(httpd_lim.port, tok[atoi(last)], "service", 15));

    /* a second sale with room for one: its user 2 waits */
    th_waiting_sale_start(&httpd_wait, DB_WAIT, wait_tok);
    return 0;
}

static int teardown(void **state)
{
    th_httpd *const hosts[] = {&httpd, &httpd_ttl, &httpd_lim, &httpd_wait, NULL};
    (void)state;
    th_suite_stop_all(hosts, &db, NULL);
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
    assert_false(th_seat_listed(httpd.port, 1, d10, 1101, tok[1]));
    assert_int_equal(th_dates_free(httpd.port, 1, 11, tok[1]), 0);
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
    return th_seat_listed(httpd.port, 2, d10, l->seat, l->token);
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

    assert_int_equal(th_dates_free(httpd.port, 2, 21, tok[USER_A]), 5);
    assert_true(th_seat_listed(httpd.port, 2, d10, 2101, tok[USER_A]));

    hold(&r, &httpd_ttl, 2, 21, 2101, USER_A);
    assert_int_equal(r.status, 200);
    a1 = th_int(&r, "ticketId");
    assert_true(a1 > 0);
    hold_until_text(2101, expected, sizeof(expected));
    assert_string_equal(th_str(&r, "holdExpiresAt"), expected);
    th_resp_free(&r);
    /* the hold lasts TicketHoldTTL from its creation */
    assert_int_equal(th_db_scalar(db, "SELECT count(*) FROM tickets WHERE ticket_id = %lld"
                                      " AND hold_until - created_at BETWEEN interval '1 second'"
                                      " AND interval '2 seconds'", a1), 1);

    TH_EXPECT_ERROR(409, "SEAT_TAKEN", MSG_TAKEN, hold, &httpd, 2, 21, 2101, USER_B);
    assert_false(th_seat_listed(httpd.port, 2, d10, 2101, tok[USER_B]));
    assert_int_equal(th_dates_free(httpd.port, 2, 21, tok[USER_B]), 4);

    /* the former holder's second seat, to hold again after expiry */
    a2 = hold_ok(&httpd_ttl, 2, 21, 2102, USER_A);
    assert_int_equal(th_dates_free(httpd.port, 2, 21, tok[USER_B]), 3);

    assert_true(th_wait_until(seat_2_listed, &l, 15));
    l.seat = 2102;
    assert_true(th_wait_until(seat_2_listed, &l, 15));
    assert_int_equal(th_dates_free(httpd.port, 2, 21, tok[USER_B]), 5);

    hold(&r, &httpd, 2, 21, 2101, USER_B);
    assert_int_equal(r.status, 200);
    b1 = th_int(&r, "ticketId");
    assert_true(b1 > 0);
    assert_true(b1 != a1);
    assert_int_equal(th_int(&r, "userId"), USER_B);
    th_resp_free(&r);
    assert_true(db_holds(2101, b1, USER_B));

    TH_EXPECT_ERROR(409, "SEAT_TAKEN", MSG_TAKEN, hold, &httpd, 2, 21, 2101, USER_A);
    TH_EXPECT_ERROR(409, "SEAT_TAKEN", MSG_TAKEN, hold, &httpd_ttl, 2, 21, 2101, USER_A);

    /* the former holder again: a new ticket */
    a3 = hold_ok(&httpd, 2, 21, 2102, USER_A);
    assert_true(a3 != a2);
    assert_true(db_holds(2102, a3, USER_A));
    /* the expired tickets keep their rows */
    assert_int_equal(th_db_scalar(db, "SELECT count(*) FROM tickets"
                                      " WHERE ticket_id IN (%lld, %lld)", a1, a2), 2);
    assert_int_equal(th_db_scalar(db, "SELECT count(*) FROM tickets WHERE seat_id = 2101"), 2);
    assert_int_equal(th_dates_free(httpd.port, 2, 21, tok[USER_B]), 3);
}

/* ---- the same user again ---- */

static void test_same_user_same_ticket(void **state)
{
    char until1[64], until2[64], body[64];
    attempt x[30];
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
    th_db_text(db, until1, sizeof(until1), "SELECT hold_until FROM seats WHERE seat_id = 8101");

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
    th_hold(&r, httpd.port, 8, 81, 8101, tok[USER_REPEAT], body);
    assert_int_equal(r.status, 200);
    assert_int_equal(th_int(&r, "ticketId"), ticket);
    assert_string_equal(th_str(&r, "holdExpiresAt"), expires);
    th_resp_free(&r);
    th_db_text(db, until2, sizeof(until2), "SELECT hold_until FROM seats WHERE seat_id = 8101");
    assert_string_equal(until1, until2);
    assert_int_equal(th_db_scalar(db, "SELECT count(*) FROM tickets WHERE seat_id = 8101"), 1);

    /* thirty at once by the same user on three seats (ten each): one
     * ticket per seat, all answers for a seat equal */
    memset(x, 0, sizeof(x));
    for (i = 0; i < 30; ++i) {
        x[i].user = USER_REPEAT;
        x[i].concert = 8;
        x[i].schedule = 81;
        x[i].seat = 8102 + i % 3;
    }
    run_attempts(&httpd, x, 30, 30);
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
    int i, won = 0;
    (void)state;

    hold_ok(&httpd_lim, 3, 31, 3103, USER_V);
    t1 = hold_ok(&httpd_lim, 3, 31, 3101, USER_U);
    hold_ok(&httpd_lim, 3, 31, 3102, USER_U);
    /* at the limit: a free seat is HOLD_LIMIT … */
    TH_EXPECT_ERROR(409, "HOLD_LIMIT", MSG_LIMIT, hold, &httpd_lim, 3, 31, 3104, USER_U);
    /* … an own seat is the same ticket … */
    assert_int_equal(hold_ok(&httpd_lim, 3, 31, 3101, USER_U), t1);
    /* … a seat held by another or booked is SEAT_TAKEN … */
    TH_EXPECT_ERROR(409, "SEAT_TAKEN", MSG_TAKEN, hold, &httpd_lim, 3, 31, 3103, USER_U);
    TH_EXPECT_ERROR(409, "SEAT_TAKEN", MSG_TAKEN, hold, &httpd_lim, 3, 31, 3105, USER_U);
    /* … and no such seat is 404 */
    TH_EXPECT_ERROR(404, "CONCERT_NOT_FOUND", MSG_CONCERT, hold, &httpd_lim, 3, 31, 3199, USER_U);
    assert_int_equal(live_holds(USER_U), 2);
    assert_int_equal(th_db_scalar(db, "SELECT count(*) FROM tickets WHERE seat_id = 3104"), 0);

    /* an expired hold does not count */
    th_db_exec(db, "UPDATE seats SET hold_until = now() - interval '1 second' WHERE seat_id = 3102");
    th_db_exec(db, "UPDATE tickets SET hold_until = now() - interval '1 second' WHERE seat_id = 3102");
    hold_ok(&httpd_lim, 3, 31, 3104, USER_U);
    TH_EXPECT_ERROR(409, "HOLD_LIMIT", MSG_LIMIT, hold, &httpd_lim, 3, 31, 3106, USER_U);
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

/* A hold on seat 9110 by user, well formed. */
static int good_requests(th_req *q, long long user)
{
    char body[64];

    snprintf(body, sizeof(body), "{\"userId\": %lld}", user);
    th_req_set(&q[0], "POST", body, "/concerts/9/schedules/91/seats/9110/ticket");
    return 1;
}

/* Malformed path parameters and bodies: 400 with a good token. */
static int bad_requests(th_req *q, long long user)
{
    static const char *const bad_bodies[] = {
        "", "{}", "{\"userId\": \"x\"}", "[1]", "{\"userId\": 0}", "{\"userId\": -5}",
        "{\"userId\": 1.5}", "{\"userId\": null}", "{\"userId\": true}", "{",
        "null", "{\"user\": 1}", "{\"userId\": \"01\"}", "{\"userId\": 1} x",
        "{\"userId\": 9223372036854775808}", "{\"userId\": \"9223372036854775808\"}",
        "{\"userId\": 1e3}", "{\"userId\": [1]}", NULL};
    const char *const *b;
    char body[64];
    int n = 0;

    snprintf(body, sizeof(body), "{\"userId\": %lld}", user);
    for (b = th_bad_ids; *b; ++b) {
        th_req_set(&q[n++], "POST", body, "/concerts/%s/schedules/91/seats/9110/ticket", *b);
        th_req_set(&q[n++], "POST", body, "/concerts/9/schedules/%s/seats/9110/ticket", *b);
        th_req_set(&q[n++], "POST", body, "/concerts/9/schedules/91/seats/%s/ticket", *b);
    }
    for (b = bad_bodies; *b; ++b) {
        th_req_set(&q[n++], "POST", *b, "/concerts/9/schedules/91/seats/9110/ticket");
    }
    /* malformed path and another user's userId: 400 comes before 403 */
    th_req_set(&q[n++], "POST", "{\"userId\": 1}", "/concerts/abc/schedules/91/seats/9110/ticket");
    return n;
}

/* 401 for every kind of unusable token, also where the path or body is
 * malformed (the token is checked first). */
static void test_token_errors(void **state)
{
    static th_req q[100];
    const th_gate gate = {db, httpd.port, httpd_lim.port, tok, USER_E, USER_GONE, USER_X,
                          httpd_wait.port, wait_tok};
    char body[64];
    int n = good_requests(q, USER_X);
    (void)state;

    th_expect_gate_errors(&gate, q, n + bad_requests(q + n, USER_X), MSG_TOKEN);
    /* another user's userId with an expired token: 401, not 403 */
    snprintf(body, sizeof(body), "{\"userId\": %d}", USER_E);
    TH_EXPECT_ERROR(401, "TOKEN_EXPIRED", MSG_TOKEN,
                    th_hold, httpd.port, 9, 91, 9110, tok[USER_X], body);
    /* nobody took seat 9110 on the way */
    assert_int_equal(th_db_scalar(db, "SELECT count(*) FROM tickets WHERE seat_id = 9110"), 0);
    assert_int_equal(th_db_scalar(db, "SELECT count(*) FROM seats WHERE seat_id = 9110"
                                      " AND hold_ticket_id IS NULL"), 1);
}

/* 400 for malformed path parameters and bodies with a good token */
static void test_bad_requests(void **state)
{
    static th_req bad[100];
    (void)state;

    th_expect_req_errors(httpd.port, bad, bad_requests(bad, USER_E), tok[USER_E],
                         400, "BAD_REQUEST", MSG_BAD);
    assert_int_equal(th_db_scalar(db, "SELECT count(*) FROM tickets WHERE seat_id = 9110"), 0);
}

/* 403 for another user's userId, before existence (404) */
static void test_forbidden(void **state)
{
    const char *t = tok[USER_E];
    (void)state;

    TH_EXPECT_ERROR(403, "FORBIDDEN", MSG_FORBIDDEN,
                    th_hold, httpd.port, 9, 91, 9109, t, "{\"userId\": 1}");
    TH_EXPECT_ERROR(403, "FORBIDDEN", MSG_FORBIDDEN,
                    th_hold, httpd.port, 9, 91, 9109, t, "{\"userId\": \"1\"}");
    /* a user that does not exist, and a seat that does not exist */
    TH_EXPECT_ERROR(403, "FORBIDDEN", MSG_FORBIDDEN,
                    th_hold, httpd.port, 9, 91, 9109, t, "{\"userId\": 999999}");
    TH_EXPECT_ERROR(403, "FORBIDDEN", MSG_FORBIDDEN,
                    th_hold, httpd.port, 999, 999, 999, t, "{\"userId\": 1}");
    /* a seat held by the other user: still 403 */
    TH_EXPECT_ERROR(403, "FORBIDDEN", MSG_FORBIDDEN,
                    th_hold, httpd.port, 1, 11, 1101, t, "{\"userId\": 1}");
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
    th_hold(&r, httpd.port, 9, 91, 9103, tok[USER_E], body);
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
    hold_until_text(9103, expected, sizeof(expected));
    assert_string_equal(th_str(&r, "holdExpiresAt"), expected);
    th_resp_free(&r);
    assert_true(db_holds(9103, t, USER_E));
    assert_int_equal(th_db_scalar(db, "SELECT count(*) FROM tickets WHERE ticket_id = 987654321"), 0);
    assert_int_equal(th_db_scalar(db, "SELECT count(*) FROM tickets WHERE ticket_id = %lld"
                                      " AND hold_until - created_at BETWEEN interval '299 seconds'"
                                      " AND interval '300 seconds' AND price = 33000", t), 1);
    assert_false(th_seat_listed(httpd.port, 9, d10, 9103, tok[USER_E]));
    assert_true(th_seat_listed(httpd.port, 9, d10, 9104, tok[USER_E]));

    /* ticketId as a string, userId as a string, another key order */
    snprintf(body, sizeof(body), "{\"ticketId\": \"5\", \"userId\": \"%d\"}", USER_E);
    th_hold(&r, httpd.port, 9, 91, 9104, tok[USER_E], body);
    assert_int_equal(r.status, 200);
    assert_true(db_holds(9104, th_int(&r, "ticketId"), USER_E));
    th_resp_free(&r);

    /* the raw token (no "Bearer") works too */
    th_client_http_auth(th_thread_client(), &r, httpd.port, "POST",
                        "/concerts/9/schedules/91/seats/9104/ticket", tok[USER_E], body);
    assert_int_equal(r.status, 200);
    th_resp_free(&r);
}

/* 404 CONCERT_NOT_FOUND: a seat of another schedule, a schedule of another
 * concert, an unknown seat, schedule or concert; schedules that have
 * started */
static void test_not_found(void **state)
{
    static const long long seats[][3] = {   /* concert, schedule, seat */
        {4, 41, 4201}, {1, 41, 4101},
        {4, 41, 999999}, {4, 999, 4101}, {999, 41, 4101},
        {4, 43, 4301},                      /* started yesterday */
        {4, 45, 4501},                      /* started an hour ago */
        {6, 61, 6101},                      /* two days ago */
        {9223372036854775807LL, 9223372036854775807LL, 9223372036854775807LL},
    };
    size_t i;
    (void)state;

    for (i = 0; i < sizeof(seats) / sizeof(seats[0]); ++i) {
        TH_EXPECT_ERROR(404, "CONCERT_NOT_FOUND", MSG_CONCERT,
                        hold, &httpd, seats[i][0], seats[i][1], seats[i][2], USER_E);
    }
    assert_int_equal(th_db_scalar(db, "SELECT count(*) FROM tickets t JOIN seats s USING (seat_id)"
                                      " WHERE s.schedule_id IN (41, 42, 43, 45, 61)"), 0);
}

/* The route and method of endpoint 6 come before the token. */
static void test_routes_and_methods(void **state)
{
    static const char *const missing[] = {
        "/concerts/1/schedules/1/seats/1", "/concerts/1/schedules/1/seats/1/ticket/x", NULL};
    const char *const *m;
    (void)state;

    th_expect_405(httpd.port, "GET", "/concerts/1/schedules/11/seats/1101/ticket", NULL, NULL,
                  "POST");
    for (m = missing; *m; ++m) {
        TH_EXPECT_ERROR(404, "NOT_FOUND", TH_MSG_NO_ROUTE,
                        th_http, httpd.port, "GET", *m, tok[USER_E], NULL);
    }
}

/* 413 comes before the token */
static void test_body_too_large(void **state)
{
    char body[9000];
    (void)state;

    th_oversized_body(body, sizeof(body));
    TH_EXPECT_ERROR(413, "PAYLOAD_TOO_LARGE", TH_MSG_TOO_LARGE,
                    th_hold, httpd.port, 9, 91, 9108, NULL, body);
    TH_EXPECT_ERROR(413, "PAYLOAD_TOO_LARGE", TH_MSG_TOO_LARGE,
                    th_hold, httpd.port, 9, 91, 9108, tok[USER_E], body);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_not_found),
        cmocka_unit_test(test_token_errors),
        cmocka_unit_test(test_bad_requests),
        cmocka_unit_test(test_forbidden),
        cmocka_unit_test(test_hold_answer),
        cmocka_unit_test(test_body_too_large),
        cmocka_unit_test(test_routes_and_methods),
        cmocka_unit_test(test_same_user_same_ticket),
        cmocka_unit_test(test_hold_limit),
        cmocka_unit_test(test_hold_expires),
        cmocka_unit_test(test_race_twenty_seats),
        cmocka_unit_test(test_race_one_seat),
    };
    return cmocka_run_group_tests_name("holds", tests, setup, teardown);
}
