/* test_payments.c: endpoints 7-9 (charge, history, pay) against a real
 * Apache and PostgreSQL: concurrent charges, duplicate payments and
 * idempotency keys, payments racing hold expiry and other users' holds,
 * the ledger invariant after a mixed run, the acceptance flow,
 * and every error answer of the three endpoints. Each finding is checked
 * in the database afterwards.
 *
 * Three hosts, each on its own database: "main" (default limits and hold
 * time), "ttl" (TicketHoldTTL 1) and "lim" (TicketMaxCharge 100000,
 * TicketMaxBalance 150000). The acceptance flow starts its own hosts. */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "harness.h"

#define DB_MAIN "itest_payments"
#define DB_TTL "itest_payments_ttl"
#define DB_LIM "itest_payments_lim"
#define DB_FLOW "itest_payments_flow"

#define MSG_BAD "잘못된 요청입니다."
#define MSG_USER "해당 유저 정보를 찾을 수 없습니다."
#define MSG_TICKET "해당 티켓 정보를 찾을 수 없습니다."
#define MSG_FORBIDDEN "권한이 없습니다."
#define MSG_AMOUNT "충전할 수 없는 금액입니다."
#define MSG_ACCOUNT "조회할 수 없는 잔액입니다."
#define MSG_HOLD_EXPIRED "임시 점유 시간이 만료되었습니다."
#define MSG_INSUFFICIENT "잔액이 부족합니다. 충전 후 다시 시도해 주세요."
#define MSG_KEY_REUSED "다른 요청에 이미 사용된 요청 키입니다."
#define MSG_SEAT_TAKEN "이미 선택된 좌석입니다."

#define CONCERT 1
#define SCHEDULE 1
#define TITLE "Payments Live"
#define NO_TICKET 987654321LL

static th_httpd main_h, ttl_h, lim_h;
static th_httpd flow_j, flow_p;     /* the acceptance flow's own hosts */
static PGconn *mdb, *tdb, *ldb;

/* fn(&answer, args...) answers 200 with the body first, to the byte: a
 * replay of the request that answered first. */
#define EXPECT_REPLAY(first, fn, ...) \
    do { \
        th_resp answer_; \
        fn(&answer_, __VA_ARGS__); \
        assert_int_equal(answer_.status, 200); \
        assert_string_equal(answer_.body, first); \
        th_resp_free(&answer_); \
    } while (0)

/* ---- fixtures ---- */

/* One concert, one future schedule, seats 1..n (seat_id = seat_num) with
 * prices 10,000..16,000. */
static void seed(PGconn *c, int seats)
{
    th_db_exec(c, "INSERT INTO concerts (concert_id, title) VALUES (%d, '%s')",
               CONCERT, TITLE);
    th_db_exec(c, "INSERT INTO schedules (schedule_id, concert_id, concert_date, starts_at)"
                  " VALUES (%d, %d, current_date + 10, now() + interval '10 days')",
               SCHEDULE, CONCERT);
    th_db_exec(c, "INSERT INTO seats (seat_id, schedule_id, seat_num, price)"
                  " SELECT g, %d, g, 1000 * (10 + g %% 7) FROM generate_series(1, %d) g",
               SCHEDULE, seats);
}

static int setup(void **state)
{
    (void)state;
    th_db_create(DB_MAIN, 300);
    th_db_create(DB_TTL, 100);
    th_db_create(DB_LIM, 20);
    mdb = th_db_connect(DB_MAIN);
    tdb = th_db_connect(DB_TTL);
    ldb = th_db_connect(DB_LIM);
    seed(mdb, 400);
    seed(tdb, 100);
    seed(ldb, 20);
    th_httpd_start(&main_h, DB_MAIN, "CAPACITY=1000 ADVANCE_INTERVAL=1", NULL);
    th_httpd_start(&ttl_h, DB_TTL, "CAPACITY=1000 ADVANCE_INTERVAL=1 HOLD_TTL=1", NULL);
    th_httpd_start(&lim_h, DB_LIM, "CAPACITY=1000 ADVANCE_INTERVAL=1",
                   "TicketMaxCharge 100000\nTicketMaxBalance 150000");
    return 0;
}

static int teardown(void **state)
{
    /* the flow's own hosts too: a failed flow test leaves them running */
    th_httpd *const hosts[] = {&main_h, &ttl_h, &lim_h, &flow_j, &flow_p, NULL};
    (void)state;
    PQfinish(tdb);
    PQfinish(ldb);
    th_suite_stop_all(hosts, &mdb, NULL);
    return 0;
}

/* ---- requests ---- */

static void hold(th_resp *r, int port, const char *token, long long user, long long seat)
{
    char path[160], body[64];
    snprintf(path, sizeof(path), "/concerts/%d/schedules/%d/seats/%lld/ticket",
             CONCERT, SCHEDULE, seat);
    snprintf(body, sizeof(body), "{\"userId\": %lld}", user);
    th_http(r, port, "POST", path, token, body);
}

/* A hold that must succeed: its ticket id (and price). */
static long long hold_ok(int port, const char *token, long long user, long long seat,
                         long long *price)
{
    th_resp r;
    long long id;

    hold(&r, port, token, user, seat);
    if (r.status != 200) {
        fail_msg("hold of seat %lld by user %lld: %ld %s", seat, user, r.status, r.body);
    }
    id = th_int(&r, "ticketId");
    if (price) {
        *price = th_int(&r, "price");
    }
    assert_true(id > 0);
    assert_string_equal(th_str(&r, "seatStatus"), "temp");
    th_resp_free(&r);
    return id;
}

/* PATCH /payments/charges; amount is JSON text, key the Idempotency-Key
 * value ("" sends the header empty) or NULL. */
static void charge(th_resp *r, int port, const char *token, long long user,
                   const char *amount, const char *key)
{
    char body[256], header[256];
    const char *headers[2] = {header, NULL};

    snprintf(body, sizeof(body), "{\"userId\": %lld, \"amount\": %s}", user, amount);
    if (key) {
        snprintf(header, sizeof(header), *key ? "Idempotency-Key: %s" : "Idempotency-Key;",
                 key);
    }
    th_http_headers(r, port, "PATCH", "/payments/charges", token,
                    key ? headers : NULL, body);
}

/* A charge that must succeed: the balance after it. */
static long long charge_ok(int port, const char *token, long long user, long long amount)
{
    char text[32];
    th_resp r;
    long long point;

    snprintf(text, sizeof(text), "%lld", amount);
    charge(&r, port, token, user, text, NULL);
    if (r.status != 200) {
        fail_msg("charge of %lld by user %lld: %ld %s", amount, user, r.status, r.body);
    }
    assert_int_equal(th_int(&r, "amount"), amount);
    point = th_int(&r, "point");
    th_resp_free(&r);
    return point;
}

/* PATCH /payments/charges with the body as is. */
static void charge_body(th_resp *r, int port, const char *token, const char *body)
{
    th_http(r, port, "PATCH", "/payments/charges", token, body);
}

/* POST /payments/pays with the body as is. */
static void pay_body(th_resp *r, int port, const char *token, const char *body)
{
    th_http(r, port, "POST", "/payments/pays", token, body);
}

static void pay(th_resp *r, int port, const char *token, long long user, long long ticket)
{
    char body[128];
    snprintf(body, sizeof(body), "{\"ticketId\": %lld, \"userId\": %lld}", ticket, user);
    pay_body(r, port, token, body);
}

static void history(th_resp *r, int port, const char *token, long long user,
                    const char *query)
{
    char path[256];
    snprintf(path, sizeof(path), "/payments/%lld/accounts%s", user, query ? query : "");
    th_http(r, port, "GET", path, token, NULL);
}

static size_t history_length(const th_resp *r)
{
    return json_object_array_length(th_array(r, "history"));
}

static void assert_entry(const th_resp *r, size_t i, const char *type,
                         long long amount, long long point)
{
    json_object *e = json_object_array_get_idx(th_array(r, "history"), i), *v;
    const char *date;

    if (!e) {
        fail_msg("no history entry %zu in %s", i, r->body);
    }
    assert_true(json_object_object_get_ex(e, "type", &v));
    assert_string_equal(json_object_get_string(v), type);
    assert_true(json_object_object_get_ex(e, "amount", &v));
    assert_int_equal(json_object_get_int64(v), amount);
    assert_true(json_object_object_get_ex(e, "point", &v));
    assert_int_equal(json_object_get_int64(v), point);
    assert_true(json_object_object_get_ex(e, "regDate", &v));
    date = json_object_get_string(v);
    assert_int_equal(strlen(date), 20);
    assert_true(date[10] == 'T' && date[19] == 'Z');
}

/* Copies text into dst (n bytes), cut short if it must be. */
static void keep(char *dst, size_t n, const char *text)
{
    size_t len = strlen(text);
    if (len >= n) {
        len = n - 1;
    }
    memcpy(dst, text, len);
    dst[len] = '\0';
}

/* th_assert_error on an answer kept as status and body text. */
static void assert_error_text(long status, const char *body, long want,
                              const char *code, const char *message)
{
    th_resp r;

    memset(&r, 0, sizeof(r));
    r.status = status;
    keep(r.body, sizeof(r.body), body);
    snprintf(r.content_type, sizeof(r.content_type), "application/json");
    r.json = json_tokener_parse(body);
    th_assert_error(&r, want, code, message);
    th_resp_free(&r);
}

static long long balance(PGconn *c, long long user)
{
    return th_db_scalar(c, "SELECT balance FROM accounts WHERE user_id = %lld", user);
}

static long long ledger_rows(PGconn *c, long long user, const char *kind)
{
    return th_db_scalar(c, "SELECT count(*) FROM ledger WHERE user_id = %lld AND kind = '%s'",
                        user, kind);
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* ---- 300 concurrent charges ---- */

#define CH_THREADS 30
#define CH_EACH 10

typedef struct {
    const char *token;
    long status[CH_EACH];
    long long point[CH_EACH];
} charge_job;

static void *charge_worker(void *arg)
{
    charge_job *j = arg;
    int i;
    for (i = 0; i < CH_EACH; ++i) {
        th_resp r;
        charge(&r, main_h.port, j->token, 1, "1000", NULL);
        j->status[i] = r.status;
        j->point[i] = th_int(&r, "point");
        th_resp_free(&r);
    }
    return NULL;
}

static int cmp_ll(const void *a, const void *b)
{
    long long x = *(const long long *)a, y = *(const long long *)b;
    return x < y ? -1 : x > y;
}

/* 300 charges of 1,000 to one user, 30 at a time: each one counted once,
 * each answer the balance just after it. Then the history of 300 rows. */
static void test_concurrent_charges(void **state)
{
    static charge_job jobs[CH_THREADS];
    long long points[CH_THREADS * CH_EACH];
    pthread_t t[CH_THREADS];
    th_token token;
    th_resp r;
    int i, k;
    (void)state;

    th_admit(main_h.port, 1, token);
    for (i = 0; i < CH_THREADS; ++i) {
        jobs[i].token = token;
        pthread_create(&t[i], NULL, charge_worker, &jobs[i]);
    }
    for (i = 0; i < CH_THREADS; ++i) {
        pthread_join(t[i], NULL);
    }
    for (i = 0; i < CH_THREADS; ++i) {
        for (k = 0; k < CH_EACH; ++k) {
            assert_int_equal(jobs[i].status[k], 200);
            points[i * CH_EACH + k] = jobs[i].point[k];
        }
    }
    qsort(points, CH_THREADS * CH_EACH, sizeof(points[0]), cmp_ll);
    for (i = 0; i < CH_THREADS * CH_EACH; ++i) {
        assert_int_equal(points[i], 1000LL * (i + 1));
    }
    assert_int_equal(balance(mdb, 1), 300000);
    assert_int_equal(ledger_rows(mdb, 1, "charge"), 300);
    assert_int_equal(th_db_scalar(mdb, "SELECT count(*) FROM ledger WHERE user_id = 1"), 300);
    assert_int_equal(th_db_scalar(mdb, "SELECT sum(amount) FROM ledger WHERE user_id = 1"), 300000);

    /* history: newest first, default 20, capped at 100 */
    history(&r, main_h.port, token, 1, NULL);
    assert_int_equal(r.status, 200);
    assert_string_equal(th_str(&r, "userName"), "user1");
    assert_int_equal(th_int(&r, "point"), 300000);
    assert_int_equal(history_length(&r), 20);
    for (i = 0; i < 20; ++i) {
        assert_entry(&r, (size_t)i, "charge", 1000, 300000 - 1000LL * i);
    }
    th_resp_free(&r);
    {
        static const struct { const char *q; size_t n; } limits[] = {
            {"?limit=1", 1}, {"?limit=7", 7}, {"?limit=20", 20}, {"?limit=100", 100},
            {"?limit=101", 100}, {"?limit=99999999999999999999", 100},
            {"?limit=5&x=1", 5}, {"?x=1", 20},
        };
        for (i = 0; i < (int)(sizeof(limits) / sizeof(limits[0])); ++i) {
            history(&r, main_h.port, token, 1, limits[i].q);
            if (r.status != 200 || history_length(&r) != limits[i].n) {
                fail_msg("%s: expected %zu entries, got %ld %.200s", limits[i].q,
                         limits[i].n, r.status, r.body);
            }
            assert_entry(&r, limits[i].n - 1, "charge", 1000,
                         300000 - 1000LL * (long long)(limits[i].n - 1));
            th_resp_free(&r);
        }
    }
    th_assert_invariants(mdb);
}

/* ---- the same request from many threads at once ---- */

#define RACERS 50             /* threads at the most */

typedef void (*send_fn)(th_resp *r, const void *job);

typedef struct {
    send_fn send;
    const void *job;
    pthread_barrier_t *go;
    long status;
    char body[1024];
} racer;

static void *racer_run(void *arg)
{
    racer *x = arg;
    th_resp r;

    pthread_barrier_wait(x->go);
    x->send(&r, x->job);
    x->status = r.status;
    keep(x->body, sizeof(x->body), r.body);
    th_resp_free(&r);
    return NULL;
}

/* send(&answer, job) from n threads at once: every answer is the first
 * one to the byte. Returns its status, its body in first (size bytes). */
static long race_same(int n, send_fn send, const void *job, char *first, size_t size)
{
    static racer x[RACERS];
    pthread_t t[RACERS];
    pthread_barrier_t go;
    int i;

    assert_true(n <= RACERS);
    pthread_barrier_init(&go, NULL, (unsigned)n);
    for (i = 0; i < n; ++i) {
        x[i].send = send;
        x[i].job = job;
        x[i].go = &go;
        pthread_create(&t[i], NULL, racer_run, &x[i]);
    }
    for (i = 0; i < n; ++i) {
        pthread_join(t[i], NULL);
    }
    pthread_barrier_destroy(&go);
    for (i = 0; i < n; ++i) {
        if (x[i].status != x[0].status || strcmp(x[i].body, x[0].body) != 0) {
            fail_msg("answer %d of %d: %ld %s (first: %ld %s)", i, n, x[i].status,
                     x[i].body, x[0].status, x[0].body);
        }
    }
    keep(first, size, x[0].body);
    return x[0].status;
}

typedef struct {
    int port;
    const char *token;
    long long user, ticket;
} pay_req;

static void send_pay(th_resp *r, const void *job)
{
    const pay_req *j = job;
    pay(r, j->port, j->token, j->user, j->ticket);
}

typedef struct {
    int port;
    const char *token;
    long long user;
    const char *amount, *key;
} charge_req;

static void send_charge(th_resp *r, const void *job)
{
    const charge_req *j = job;
    charge(r, j->port, j->token, j->user, j->amount, j->key);
}

/* ---- 50 concurrent payments of one ticket ---- */

#define PAY_THREADS 50

static void test_concurrent_payments_one_ticket(void **state)
{
    th_token token;
    char first[1024];
    long long ticket, price;
    th_resp r;
    (void)state;

    th_admit(main_h.port, 2, token);
    assert_int_equal(charge_ok(main_h.port, token, 2, 100000), 100000);
    ticket = hold_ok(main_h.port, token, 2, 2, &price);
    {
        const pay_req job = {main_h.port, token, 2, ticket};
        assert_int_equal(race_same(PAY_THREADS, send_pay, &job, first, sizeof(first)), 200);
    }
    /* the body of the one payment */
    r.json = json_tokener_parse(first);
    assert_non_null(r.json);
    assert_int_equal(th_int(&r, "ticketId"), ticket);
    assert_int_equal(th_int(&r, "price"), price);
    assert_int_equal(th_int(&r, "point"), 100000 - price);
    assert_int_equal(th_int(&r, "concertSeat"), 2);
    assert_string_equal(th_str(&r, "stat"), "booked");
    assert_string_equal(th_str(&r, "tokenStat"), "expire");
    assert_string_equal(th_str(&r, "userName"), "user2");
    assert_string_equal(th_str(&r, "concertTitle"), TITLE);
    th_resp_free(&r);

    /* one debit, one booking */
    assert_int_equal(balance(mdb, 2), 100000 - price);
    assert_int_equal(ledger_rows(mdb, 2, "pay"), 1);
    assert_int_equal(ledger_rows(mdb, 2, "charge"), 1);
    assert_int_equal(th_db_scalar(mdb, "SELECT ticket_id FROM ledger WHERE user_id = 2"
                                       " AND kind = 'pay'"), ticket);
    assert_int_equal(th_db_scalar(mdb, "SELECT booked_ticket_id FROM seats WHERE seat_id = 2"),
                     ticket);
    assert_int_equal(th_db_scalar(mdb, "SELECT count(*) FROM tickets WHERE ticket_id = %lld"
                                       " AND status = 'booked'", ticket), 1);
    assert_int_equal(th_db_scalar(mdb, "SELECT count(*) FROM tickets WHERE seat_id = 2"), 1);
    assert_int_equal(th_db_scalar(mdb, "SELECT count(*) FROM queue_tokens WHERE user_id = 2"
                                       " AND state IN ('wait', 'service')"), 0);
    th_assert_poll(main_h.port, token, "expire");

    /* one more replay, later, with the token that payment expired */
    EXPECT_REPLAY(first, pay, main_h.port, token, 2, ticket);
    assert_int_equal(ledger_rows(mdb, 2, "pay"), 1);
    assert_int_equal(balance(mdb, 2), 100000 - price);
    th_assert_invariants(mdb);
}

/* ---- two holds, two payments ---- */

static void test_two_seats_keep_token_until_last(void **state)
{
    th_token token;
    char first[1024];
    long long t1, t2, p1, p2;
    th_resp r;
    (void)state;

    th_admit(main_h.port, 3, token);
    t1 = hold_ok(main_h.port, token, 3, 3, &p1);
    t2 = hold_ok(main_h.port, token, 3, 4, &p2);
    assert_int_equal(charge_ok(main_h.port, token, 3, p1 + p2 + 1000), p1 + p2 + 1000);

    pay(&r, main_h.port, token, 3, t1);
    assert_int_equal(r.status, 200);
    assert_string_equal(th_str(&r, "tokenStat"), "service");
    assert_string_equal(th_str(&r, "stat"), "booked");
    assert_int_equal(th_int(&r, "point"), p2 + 1000);
    keep(first, sizeof(first), r.body);
    th_resp_free(&r);
    th_assert_poll(main_h.port, token, "service");
    assert_int_equal(th_db_scalar(mdb, "SELECT count(*) FROM queue_tokens WHERE user_id = 3"
                                       " AND state = 'service' AND expires_at > now()"), 1);

    pay(&r, main_h.port, token, 3, t2);
    assert_int_equal(r.status, 200);
    assert_string_equal(th_str(&r, "tokenStat"), "expire");
    assert_int_equal(th_int(&r, "point"), 1000);
    th_resp_free(&r);
    th_assert_poll(main_h.port, token, "expire");
    assert_int_equal(th_db_scalar(mdb, "SELECT count(*) FROM queue_tokens WHERE user_id = 3"
                                       " AND state IN ('wait', 'service')"), 0);

    /* the first payment's replay keeps its own tokenStat */
    EXPECT_REPLAY(first, pay, main_h.port, token, 3, t1);
    assert_int_equal(ledger_rows(mdb, 3, "pay"), 2);
    assert_int_equal(balance(mdb, 3), 1000);
    th_assert_invariants(mdb);
}

/* ---- replay ---- */

static void test_replay_after_token_expired(void **state)
{
    th_token token, again;
    char first[1024], body[128];
    long long ticket, price, rows;
    th_resp r;
    (void)state;

    th_admit(main_h.port, 4, token);
    ticket = hold_ok(main_h.port, token, 4, 5, &price);
    charge_ok(main_h.port, token, 4, price);
    pay(&r, main_h.port, token, 4, ticket);
    assert_int_equal(r.status, 200);
    assert_string_equal(th_str(&r, "tokenStat"), "expire");
    assert_int_equal(th_int(&r, "point"), 0);
    keep(first, sizeof(first), r.body);
    th_resp_free(&r);
    rows = th_db_scalar(mdb, "SELECT count(*) FROM ledger");

    /* with the token this very payment expired */
    EXPECT_REPLAY(first, pay, main_h.port, token, 4, ticket);
    /* with the user's next token (body fields as strings, too) */
    assert_int_equal(th_enter(main_h.port, 4, again), 200);
    assert_string_not_equal(again, token);
    snprintf(body, sizeof(body), "{\"ticketId\": \"%lld\", \"userId\": \"4\"}", ticket);
    EXPECT_REPLAY(first, pay_body, main_h.port, again, body);
    assert_int_equal(th_db_scalar(mdb, "SELECT count(*) FROM ledger"), rows);
    assert_int_equal(ledger_rows(mdb, 4, "pay"), 1);
    assert_int_equal(balance(mdb, 4), 0);
    /* the replay changed no token: the new one is still live */
    assert_int_equal(th_db_scalar(mdb, "SELECT count(*) FROM queue_tokens WHERE user_id = 4"
                                       " AND state IN ('wait', 'service')"), 1);
    th_assert_invariants(mdb);
}

/* ---- errors of endpoint 7 ---- */

/* A user with a genuinely expired token: admitted, paid for a seat. */
static void expired_token(int port, long long user, long long seat, char *token,
                          long long *ticket)
{
    long long price, t;
    th_resp r;

    th_admit(port, user, token);
    t = hold_ok(port, token, user, seat, &price);
    charge_ok(port, token, user, price);
    pay(&r, port, token, user, t);
    assert_int_equal(r.status, 200);
    assert_string_equal(th_str(&r, "tokenStat"), "expire");
    th_resp_free(&r);
    if (ticket) {
        *ticket = t;
    }
}

static void test_charge_errors(void **state)
{
    static const char *const malformed[] = {
        "1.5", "\"abc\"", "true", "false", "null", "99999999999999999999",
        "\"99999999999999999999\"", "-99999999999999999999", "1e3", "\"1.5\"", "\"\"",
        "\" 5\"", "\"+5\"", "[5]", "{}", "05", NULL};
    static const char *const bodies[] = {
        "{\"userId\": 5}", "{\"amount\": 1000}", "{\"userId\": 5, \"amount\": }",
        "{", "", "[]", "{\"userId\": \"abc\", \"amount\": 1000}",
        "{\"userId\": 0, \"amount\": 1000}", NULL};
    static const char *const invalid[] = {
        "0", "-5", "\"-5\"", "\"0\"", "-0", "10000001", "\"10000001\"",
        "-9223372036854775807", NULL};
    const char *const ok = "{\"userId\": 5, \"amount\": 1000}";
    const char *const *a;
    th_token token, dead;
    char forged[200], key65[80], key64[80];
    long long before;
    th_resp r;
    (void)state;

    th_admit(main_h.port, 5, token);
    expired_token(main_h.port, 6, 6, dead, NULL);
    before = th_db_scalar(mdb, "SELECT count(*) FROM ledger");

    /* 400: amount missing or not an integer; body not an object */
    for (a = malformed; *a; ++a) {
        TH_EXPECT_ERROR(400, "BAD_REQUEST", MSG_BAD, charge, main_h.port, token, 5, *a, NULL);
    }
    for (a = bodies; *a; ++a) {
        TH_EXPECT_ERROR(400, "BAD_REQUEST", MSG_BAD, charge_body, main_h.port, token, *a);
    }
    /* 400: a malformed Idempotency-Key (65 characters, empty, not ASCII) */
    memset(key65, 'k', 65);
    key65[65] = '\0';
    memset(key64, 'k', 64);
    key64[64] = '\0';
    TH_EXPECT_ERROR(400, "BAD_REQUEST", MSG_BAD, charge, main_h.port, token, 5, "1000", key65);
    TH_EXPECT_ERROR(400, "BAD_REQUEST", MSG_BAD, charge, main_h.port, token, 5, "1000", "");
    TH_EXPECT_ERROR(400, "BAD_REQUEST", MSG_BAD,
                    charge, main_h.port, token, 5, "1000", "\xed\x82\xa4");
    assert_int_equal(th_db_scalar(mdb, "SELECT count(*) FROM ledger"), before);

    /* 404: amount <= 0 or above TicketMaxCharge (default 10,000,000) */
    for (a = invalid; *a; ++a) {
        TH_EXPECT_ERROR(404, "INVALID_AMOUNT", MSG_AMOUNT, charge, main_h.port, token, 5, *a, NULL);
    }
    TH_EXPECT_ERROR(404, "INVALID_AMOUNT", MSG_AMOUNT,
                    charge, main_h.port, token, 5, "-5", "neg-key");
    assert_int_equal(th_db_scalar(mdb, "SELECT count(*) FROM ledger"), before);
    assert_int_equal(th_db_scalar(mdb, "SELECT count(*) FROM charge_requests WHERE user_id = 5"), 0);

    /* the boundaries pass: exactly TicketMaxCharge, a 64-character key */
    assert_int_equal(charge_ok(main_h.port, token, 5, 10000000), 10000000);
    charge(&r, main_h.port, token, 5, "\"1000\"", key64);
    assert_int_equal(r.status, 200);
    assert_int_equal(th_int(&r, "amount"), 1000);
    assert_int_equal(th_int(&r, "point"), 10001000);
    assert_string_equal(th_str(&r, "accountStat"), "충전완료");
    assert_string_equal(th_str(&r, "userName"), "user5");
    assert_int_equal(strlen(th_str(&r, "regDate")), 20);
    assert_non_null(strstr(r.content_type, "application/json"));
    th_resp_free(&r);

    /* 401: missing, malformed, forged or expired token; the token comes
     * before the body's syntax and the userId */
    TH_EXPECT_ERROR(401, "TOKEN_INVALID", MSG_USER, charge_body, main_h.port, NULL, ok);
    TH_EXPECT_ERROR(401, "TOKEN_INVALID", MSG_USER, charge_body, main_h.port, "x", ok);
    TH_EXPECT_ERROR(401, "TOKEN_INVALID", MSG_USER, charge_body, main_h.port, NULL, "{");
    th_forge(forged, sizeof(forged), token, 7);
    TH_EXPECT_ERROR(401, "TOKEN_INVALID", MSG_USER, charge, main_h.port, forged, 7, "1000", NULL);
    TH_EXPECT_ERROR(401, "TOKEN_INVALID", MSG_USER,
                    charge, main_h.port, forged, 7, "\"abc\"", key65);
    TH_EXPECT_ERROR(401, "TOKEN_EXPIRED", MSG_USER, charge, main_h.port, dead, 6, "1000", NULL);
    TH_EXPECT_ERROR(401, "TOKEN_EXPIRED", MSG_USER, charge, main_h.port, dead, 6, "1.5", NULL);
    TH_EXPECT_ERROR(401, "TOKEN_EXPIRED", MSG_USER, charge, main_h.port, dead, 5, "1000", NULL);

    /* 403: another user's userId (syntax comes first) */
    TH_EXPECT_ERROR(403, "FORBIDDEN", MSG_FORBIDDEN, charge, main_h.port, token, 6, "1000", NULL);
    TH_EXPECT_ERROR(403, "FORBIDDEN", MSG_FORBIDDEN, charge_body, main_h.port, token,
                    "{\"userId\": \"6\", \"amount\": 1000}");
    TH_EXPECT_ERROR(400, "BAD_REQUEST", MSG_BAD, charge, main_h.port, token, 6, "\"abc\"", NULL);

    assert_int_equal(balance(mdb, 5), 10001000);
    assert_int_equal(ledger_rows(mdb, 5, "charge"), 2);
    assert_int_equal(balance(mdb, 6), 0);
    assert_int_equal(ledger_rows(mdb, 6, "charge"), 1);
    th_assert_invariants(mdb);
}

/* ---- errors of endpoint 8 ---- */

static void test_history_errors(void **state)
{
    static const char *const bad_limits[] = {
        "?limit=0", "?limit=-1", "?limit=abc", "?limit=", "?limit", "?limit=1.5",
        "?limit=+5", "?limit=5x", NULL};
    static const char *const bad_users[] = {"abc", "0", "99999999999999999999", NULL};
    const char *const *q;
    th_token token, dead, other;
    char forged[200], path[64];
    th_resp r;
    (void)state;

    th_admit(main_h.port, 7, token);
    expired_token(main_h.port, 8, 7, dead, NULL);
    th_admit(main_h.port, 9, other);

    /* a fresh user: balance 0, empty history */
    history(&r, main_h.port, token, 7, NULL);
    assert_int_equal(r.status, 200);
    assert_string_equal(th_str(&r, "userName"), "user7");
    assert_int_equal(th_int(&r, "point"), 0);
    assert_int_equal(history_length(&r), 0);
    th_resp_free(&r);

    for (q = bad_limits; *q; ++q) {
        TH_EXPECT_ERROR(400, "BAD_REQUEST", MSG_BAD, history, main_h.port, token, 7, *q);
    }
    for (q = bad_users; *q; ++q) {
        snprintf(path, sizeof(path), "/payments/%s/accounts", *q);
        TH_EXPECT_ERROR(400, "BAD_REQUEST", MSG_BAD, th_http, main_h.port, "GET", path, token, NULL);
    }

    /* 401 first */
    TH_EXPECT_ERROR(401, "TOKEN_INVALID", MSG_USER, history, main_h.port, NULL, 7, NULL);
    th_forge(forged, sizeof(forged), token, 9);
    TH_EXPECT_ERROR(401, "TOKEN_INVALID", MSG_USER, history, main_h.port, forged, 9, NULL);
    TH_EXPECT_ERROR(401, "TOKEN_INVALID", MSG_USER, history, main_h.port, forged, 9, "?limit=abc");
    TH_EXPECT_ERROR(401, "TOKEN_EXPIRED", MSG_USER, history, main_h.port, dead, 8, NULL);
    TH_EXPECT_ERROR(401, "TOKEN_EXPIRED", MSG_USER, history, main_h.port, dead, 8, "?limit=0");

    /* 403: another user's history (syntax first) */
    TH_EXPECT_ERROR(403, "FORBIDDEN", MSG_FORBIDDEN, history, main_h.port, token, 9, NULL);
    TH_EXPECT_ERROR(400, "BAD_REQUEST", MSG_BAD, history, main_h.port, token, 9, "?limit=abc");

    /* 404: the user has no account */
    charge_ok(main_h.port, other, 9, 4000);
    th_db_exec(mdb, "DELETE FROM charge_requests WHERE user_id = 9");
    th_db_exec(mdb, "DELETE FROM ledger WHERE user_id = 9");
    th_db_exec(mdb, "DELETE FROM accounts WHERE user_id = 9");
    TH_EXPECT_ERROR(404, "ACCOUNT_NOT_FOUND", MSG_ACCOUNT, history, main_h.port, other, 9, NULL);
    TH_EXPECT_ERROR(404, "ACCOUNT_NOT_FOUND", MSG_ACCOUNT,
                    history, main_h.port, other, 9, "?limit=5");
    th_assert_invariants(mdb);
}

/* ---- errors of endpoint 9 ---- */

static void test_pay_errors(void **state)
{
    static const char *const bodies[] = {
        "{", "", "[]", "{\"userId\": 10}", "{\"ticketId\": 1}",
        "{\"ticketId\": \"abc\", \"userId\": 10}", "{\"ticketId\": 0, \"userId\": 10}",
        "{\"ticketId\": -1, \"userId\": 10}", "{\"ticketId\": 1.5, \"userId\": 10}",
        "{\"ticketId\": 99999999999999999999, \"userId\": 10}",
        "{\"ticketId\": 1, \"userId\": \"x\"}", "{\"ticketId\": null, \"userId\": 10}",
        NULL};
    const char *const *b;
    th_token token, other, dead, again;
    char forged[200], body[128];
    long long mine, theirs, paid, dead_ticket, price;
    th_resp r;
    (void)state;

    th_admit(main_h.port, 10, token);
    th_admit(main_h.port, 11, other);
    mine = hold_ok(main_h.port, token, 10, 10, &price);
    theirs = hold_ok(main_h.port, other, 11, 11, NULL);
    expired_token(main_h.port, 12, 12, dead, &paid);

    /* 400 */
    for (b = bodies; *b; ++b) {
        TH_EXPECT_ERROR(400, "BAD_REQUEST", MSG_BAD, pay_body, main_h.port, token, *b);
    }
    /* 401 TOKEN_INVALID, before the body */
    TH_EXPECT_ERROR(401, "TOKEN_INVALID", MSG_TICKET,
                    pay_body, main_h.port, NULL, "{\"ticketId\": 1, \"userId\": 10}");
    TH_EXPECT_ERROR(401, "TOKEN_INVALID", MSG_TICKET, pay_body, main_h.port, NULL, "{");
    th_forge(forged, sizeof(forged), token, 11);
    TH_EXPECT_ERROR(401, "TOKEN_INVALID", MSG_TICKET, pay, main_h.port, forged, 11, theirs);
    TH_EXPECT_ERROR(401, "TOKEN_INVALID", MSG_TICKET, pay_body, main_h.port, forged, "nope");
    /* a forged token does not replay another user's payment either */
    th_forge(forged, sizeof(forged), token, 12);
    TH_EXPECT_ERROR(401, "TOKEN_INVALID", MSG_TICKET, pay, main_h.port, forged, 12, paid);

    /* 403: another user's userId, after syntax */
    TH_EXPECT_ERROR(403, "FORBIDDEN", MSG_FORBIDDEN, pay, main_h.port, token, 11, theirs);
    TH_EXPECT_ERROR(403, "FORBIDDEN", MSG_FORBIDDEN, pay, main_h.port, token, 12, paid);
    TH_EXPECT_ERROR(400, "BAD_REQUEST", MSG_BAD,
                    pay_body, main_h.port, token, "{\"ticketId\": \"abc\", \"userId\": 11}");

    /* 401 TICKET_NOT_FOUND: unknown ticket, another user's held or paid one */
    TH_EXPECT_ERROR(401, "TICKET_NOT_FOUND", MSG_TICKET, pay, main_h.port, token, 10, NO_TICKET);
    TH_EXPECT_ERROR(401, "TICKET_NOT_FOUND", MSG_TICKET, pay, main_h.port, token, 10, theirs);
    TH_EXPECT_ERROR(401, "TICKET_NOT_FOUND", MSG_TICKET, pay, main_h.port, token, 10, paid);

    /* 401 TOKEN_EXPIRED: user 12's old token, for a new hold of its own */
    th_admit(main_h.port, 12, again);
    dead_ticket = hold_ok(main_h.port, again, 12, 13, NULL);
    charge_ok(main_h.port, again, 12, 50000);
    TH_EXPECT_ERROR(401, "TOKEN_EXPIRED", MSG_TICKET, pay, main_h.port, dead, 12, dead_ticket);
    TH_EXPECT_ERROR(401, "TOKEN_EXPIRED", MSG_TICKET, pay, main_h.port, dead, 12, NO_TICKET);
    snprintf(body, sizeof(body), "{\"ticketId\": %lld, \"userId\": 10}", mine);
    TH_EXPECT_ERROR(401, "TOKEN_EXPIRED", MSG_TICKET, pay_body, main_h.port, dead, body);
    TH_EXPECT_ERROR(401, "TOKEN_EXPIRED", MSG_TICKET, pay_body, main_h.port, dead, "{");

    /* 402: nothing changes */
    TH_EXPECT_ERROR(402, "INSUFFICIENT_BALANCE", MSG_INSUFFICIENT,
                    pay, main_h.port, token, 10, mine);
    charge_ok(main_h.port, token, 10, price - 1);
    TH_EXPECT_ERROR(402, "INSUFFICIENT_BALANCE", MSG_INSUFFICIENT,
                    pay, main_h.port, token, 10, mine);
    assert_int_equal(balance(mdb, 10), price - 1);
    assert_int_equal(ledger_rows(mdb, 10, "pay"), 0);
    assert_int_equal(th_db_scalar(mdb, "SELECT count(*) FROM tickets WHERE ticket_id = %lld"
                                       " AND status = 'temp'", mine), 1);
    assert_int_equal(th_db_scalar(mdb, "SELECT count(*) FROM seats WHERE seat_id = 10"
                                       " AND hold_ticket_id = %lld AND hold_until > now()"
                                       " AND booked_ticket_id IS NULL", mine), 1);
    th_assert_poll(main_h.port, token, "service");
    /* the hold stayed: one won more and it is paid */
    charge_ok(main_h.port, token, 10, 1);
    pay(&r, main_h.port, token, 10, mine);
    assert_int_equal(r.status, 200);
    assert_int_equal(th_int(&r, "point"), 0);
    th_resp_free(&r);
    /* user 12's held ticket is untouched by the refused attempts */
    assert_int_equal(th_db_scalar(mdb, "SELECT count(*) FROM tickets WHERE ticket_id = %lld"
                                       " AND status = 'temp'", dead_ticket), 1);
    assert_int_equal(balance(mdb, 12), 50000);
    th_assert_invariants(mdb);
}

/* ---- concurrent duplicate Idempotency-Key charges ---- */

#define KEY_THREADS 20

/* The same keyed charge from KEY_THREADS threads at once: all answers
 * alike; the status, and the body in first. */
static long run_key_race(int port, const char *token, long long user, const char *amount,
                         const char *key, char *first, size_t size)
{
    const charge_req job = {port, token, user, amount, key};
    return race_same(KEY_THREADS, send_charge, &job, first, size);
}

static void test_idempotency_key_concurrent(void **state)
{
    th_token token, other;
    char first[512];
    th_resp r;
    (void)state;

    th_admit(main_h.port, 13, token);
    th_admit(main_h.port, 14, other);
    charge_ok(main_h.port, token, 13, 500);

    assert_int_equal(run_key_race(main_h.port, token, 13, "7000", "order-13-a",
                                  first, sizeof(first)), 200);
    r.json = json_tokener_parse(first);
    assert_int_equal(th_int(&r, "amount"), 7000);
    assert_int_equal(th_int(&r, "point"), 7500);
    th_resp_free(&r);
    assert_int_equal(ledger_rows(mdb, 13, "charge"), 2);
    assert_int_equal(balance(mdb, 13), 7500);
    assert_int_equal(th_db_scalar(mdb, "SELECT count(*) FROM charge_requests WHERE user_id = 13"
                                       " AND idempotency_key = 'order-13-a' AND amount = 7000"
                                       " AND entry_id IS NOT NULL"), 1);

    /* later, the same key and amount: the first result; as a string too */
    EXPECT_REPLAY(first, charge, main_h.port, token, 13, "7000", "order-13-a");
    EXPECT_REPLAY(first, charge, main_h.port, token, 13, "\"7000\"", "order-13-a");
    /* the same key with another amount */
    TH_EXPECT_ERROR(422, "IDEMPOTENCY_KEY_REUSED", MSG_KEY_REUSED,
                    charge, main_h.port, token, 13, "8000", "order-13-a");
    TH_EXPECT_ERROR(422, "IDEMPOTENCY_KEY_REUSED", MSG_KEY_REUSED,
                    charge, main_h.port, token, 13, "6999", "order-13-a");
    assert_int_equal(ledger_rows(mdb, 13, "charge"), 2);
    assert_int_equal(balance(mdb, 13), 7500);

    /* another key charges anew; the same key of another user is its own */
    charge(&r, main_h.port, token, 13, "7000", "order-13-b");
    assert_int_equal(r.status, 200);
    assert_int_equal(th_int(&r, "point"), 14500);
    th_resp_free(&r);
    charge(&r, main_h.port, other, 14, "8000", "order-13-a");
    assert_int_equal(r.status, 200);
    assert_int_equal(th_int(&r, "point"), 8000);
    th_resp_free(&r);
    /* without a key, the same amount charges again */
    assert_int_equal(charge_ok(main_h.port, token, 13, 7000), 21500);
    /* a replay still answers the balance of its first result */
    EXPECT_REPLAY(first, charge, main_h.port, token, 13, "7000", "order-13-a");
    assert_int_equal(ledger_rows(mdb, 13, "charge"), 4);
    assert_int_equal(balance(mdb, 13), 21500);
    th_assert_invariants(mdb);
}

/* ---- TicketMaxCharge 100000, TicketMaxBalance 150000 ---- */

static void test_limits_and_failed_key(void **state)
{
    th_token tokens[4];
    char first[512];
    long status;
    th_resp r;
    (void)state;

    th_admit_many(lim_h.port, 1, 4, tokens);

    /* user 1: the charge and balance limits, exactly and one past */
    TH_EXPECT_ERROR(404, "INVALID_AMOUNT", MSG_AMOUNT,
                    charge, lim_h.port, tokens[0], 1, "100001", NULL);
    assert_int_equal(charge_ok(lim_h.port, tokens[0], 1, 100000), 100000);
    TH_EXPECT_ERROR(404, "INVALID_AMOUNT", MSG_AMOUNT,
                    charge, lim_h.port, tokens[0], 1, "50001", NULL);
    assert_int_equal(charge_ok(lim_h.port, tokens[0], 1, 50000), 150000);
    TH_EXPECT_ERROR(404, "INVALID_AMOUNT", MSG_AMOUNT, charge, lim_h.port, tokens[0], 1, "1", NULL);
    assert_int_equal(balance(ldb, 1), 150000);
    assert_int_equal(ledger_rows(ldb, 1, "charge"), 2);

    /* user 2: a key whose first attempt passed the balance limit left
     * nothing: the same key then runs anew with another amount */
    charge_ok(lim_h.port, tokens[1], 2, 100000);
    charge_ok(lim_h.port, tokens[1], 2, 40000);
    TH_EXPECT_ERROR(404, "INVALID_AMOUNT", MSG_AMOUNT,
                    charge, lim_h.port, tokens[1], 2, "20000", "retry-2");
    assert_int_equal(th_db_scalar(ldb, "SELECT count(*) FROM charge_requests WHERE user_id = 2"), 0);
    assert_int_equal(balance(ldb, 2), 140000);
    charge(&r, lim_h.port, tokens[1], 2, "10000", "retry-2");
    assert_int_equal(r.status, 200);
    assert_int_equal(th_int(&r, "point"), 150000);
    keep(first, sizeof(first), r.body);
    th_resp_free(&r);
    EXPECT_REPLAY(first, charge, lim_h.port, tokens[1], 2, "10000", "retry-2");
    TH_EXPECT_ERROR(422, "IDEMPOTENCY_KEY_REUSED", MSG_KEY_REUSED,
                    charge, lim_h.port, tokens[1], 2, "20000", "retry-2");
    assert_int_equal(balance(ldb, 2), 150000);
    assert_int_equal(ledger_rows(ldb, 2, "charge"), 3);

    /* user 3: a first attempt above TicketMaxCharge left nothing either */
    TH_EXPECT_ERROR(404, "INVALID_AMOUNT", MSG_AMOUNT,
                    charge, lim_h.port, tokens[2], 3, "100001", "big-3");
    charge(&r, lim_h.port, tokens[2], 3, "5000", "big-3");
    assert_int_equal(r.status, 200);
    assert_int_equal(th_int(&r, "point"), 5000);
    th_resp_free(&r);
    assert_int_equal(th_db_scalar(ldb, "SELECT amount FROM charge_requests WHERE user_id = 3"
                                       " AND idempotency_key = 'big-3'"), 5000);

    /* user 4: concurrent duplicates of a failing charge each run anew and
     * fail alike; no trace of the key */
    charge_ok(lim_h.port, tokens[3], 4, 100000);
    charge_ok(lim_h.port, tokens[3], 4, 50000);
    status = run_key_race(lim_h.port, tokens[3], 4, "1000", "full-4", first, sizeof(first));
    assert_error_text(status, first, 404, "INVALID_AMOUNT", MSG_AMOUNT);
    assert_int_equal(th_db_scalar(ldb, "SELECT count(*) FROM charge_requests WHERE user_id = 4"), 0);
    assert_int_equal(ledger_rows(ldb, 4, "charge"), 2);
    assert_int_equal(balance(ldb, 4), 150000);
    th_assert_invariants(ldb);
}

/* ---- payments racing hold expiry (TicketHoldTTL 1) ---- */

#define RACE_USERS 40

static const char *code_of(const th_resp *r)
{
    return th_str(r, "code") ? th_str(r, "code") : "";
}

/* What an answer said, for the main thread to check. */
typedef struct {
    long status;
    char code[40];
    long long ticket, price, point;
} answer;

typedef struct {
    const char *token;
    long long user, seat;
    unsigned seed;
    answer held, paid;         /* of its hold and of its payment */
} race_job;

/* Notes the answer r in a, and frees r. */
static void note(answer *a, th_resp *r)
{
    a->status = r->status;
    keep(a->code, sizeof(a->code), code_of(r));
    a->ticket = th_int(r, "ticketId");
    a->price = th_int(r, "price");
    a->point = th_int(r, "point");
    th_resp_free(r);
}

static void *expiry_worker(void *arg)
{
    race_job *j = arg;
    th_resp r;

    hold(&r, ttl_h.port, j->token, j->user, j->seat);
    note(&j->held, &r);
    if (j->held.status != 200) {
        return NULL;
    }
    usleep(900000 + (useconds_t)(rand_r(&j->seed) % 200001));   /* 0.9-1.1 s */
    pay(&r, ttl_h.port, j->token, j->user, j->held.ticket);
    note(&j->paid, &r);
    return NULL;
}

/* Many users each hold a seat and pay around the moment it expires: each
 * payment is either whole (debit, booking, token) or nothing. */
static void test_payment_races_hold_expiry(void **state)
{
    static race_job jobs[RACE_USERS];
    static th_token tokens[RACE_USERS];
    pthread_t t[RACE_USERS];
    int i, paid = 0;
    (void)state;

    th_admit_many(ttl_h.port, 1, RACE_USERS, tokens);
    for (i = 0; i < RACE_USERS; ++i) {
        charge_ok(ttl_h.port, tokens[i], i + 1, 20000);
        jobs[i].token = tokens[i];
        jobs[i].user = i + 1;
        jobs[i].seat = i + 1;
        jobs[i].seed = (unsigned)(i * 7919 + 17);
    }
    for (i = 0; i < RACE_USERS; ++i) {
        pthread_create(&t[i], NULL, expiry_worker, &jobs[i]);
    }
    for (i = 0; i < RACE_USERS; ++i) {
        pthread_join(t[i], NULL);
    }
    for (i = 0; i < RACE_USERS; ++i) {
        race_job *j = &jobs[i];
        assert_int_equal(j->held.status, 200);
        if (j->paid.status == 200) {
            ++paid;
            assert_int_equal(j->paid.point, 20000 - j->held.price);
            assert_int_equal(balance(tdb, j->user), 20000 - j->held.price);
            assert_int_equal(th_db_scalar(tdb, "SELECT booked_ticket_id FROM seats"
                                               " WHERE seat_id = %lld", j->seat), j->held.ticket);
            assert_int_equal(th_db_scalar(tdb, "SELECT count(*) FROM queue_tokens WHERE user_id = %lld"
                                               " AND state IN ('wait', 'service')", j->user), 0);
        }
        else {
            if (j->paid.status != 404 || strcmp(j->paid.code, "HOLD_EXPIRED") != 0) {
                fail_msg("user %lld paid: %ld %s", j->user, j->paid.status, j->paid.code);
            }
            assert_int_equal(balance(tdb, j->user), 20000);
            assert_int_equal(ledger_rows(tdb, j->user, "pay"), 0);
            assert_int_equal(th_db_scalar(tdb, "SELECT count(*) FROM seats WHERE seat_id = %lld"
                                               " AND booked_ticket_id IS NULL", j->seat), 1);
            assert_int_equal(th_db_scalar(tdb, "SELECT count(*) FROM tickets WHERE ticket_id = %lld"
                                               " AND status = 'temp'", j->held.ticket), 1);
        }
    }
    print_message("hold expiry race: %d of %d paid in time\n", paid, RACE_USERS);
    th_assert_invariants(tdb);
}

/* User A holds, waits until about the expiry, then pays while user B
 * holds the same seat: at most one of them gets the seat. */
#define PAIRS 20

typedef struct {
    race_job a, b;
    pthread_barrier_t go;
    double held_for;           /* s between A's hold answer and the race */
} pair_job;

static void *pair_a(void *arg)
{
    pair_job *p = arg;
    race_job *j = &p->a;
    double held;
    th_resp r;

    hold(&r, ttl_h.port, j->token, j->user, j->seat);
    note(&j->held, &r);
    held = now_s();
    usleep(950000 + (useconds_t)(rand_r(&j->seed) % 200001));   /* 0.95-1.15 s */
    pthread_barrier_wait(&p->go);
    p->held_for = now_s() - held;
    if (j->held.status != 200) {
        return NULL;
    }
    pay(&r, ttl_h.port, j->token, j->user, j->held.ticket);
    note(&j->paid, &r);
    return NULL;
}

static void *pair_b(void *arg)
{
    pair_job *p = arg;
    th_resp r;

    pthread_barrier_wait(&p->go);
    hold(&r, ttl_h.port, p->b.token, p->b.user, p->b.seat);
    note(&p->b.held, &r);
    return NULL;
}

static void test_payment_races_other_hold(void **state)
{
    static pair_job pairs[PAIRS];
    static th_token tokens[2 * PAIRS];
    pthread_t t[2 * PAIRS];
    int i, a_won = 0, b_won = 0;
    (void)state;

    th_admit_many(ttl_h.port, 41, 2 * PAIRS, tokens);
    for (i = 0; i < PAIRS; ++i) {
        pair_job *p = &pairs[i];
        charge_ok(ttl_h.port, tokens[i], 41 + i, 20000);
        p->a.token = tokens[i];
        p->a.user = 41 + i;
        p->a.seat = 41 + i;
        p->a.seed = (unsigned)(i * 104729 + 3);
        p->b.token = tokens[PAIRS + i];
        p->b.user = 41 + PAIRS + i;
        p->b.seat = 41 + i;
        pthread_barrier_init(&p->go, NULL, 2);
    }
    for (i = 0; i < PAIRS; ++i) {
        pthread_create(&t[2 * i], NULL, pair_a, &pairs[i]);
        pthread_create(&t[2 * i + 1], NULL, pair_b, &pairs[i]);
    }
    for (i = 0; i < 2 * PAIRS; ++i) {
        pthread_join(t[i], NULL);
    }
    for (i = 0; i < PAIRS; ++i) {
        pair_job *p = &pairs[i];
        int a_paid = p->a.paid.status == 200, b_held = p->b.held.status == 200;

        pthread_barrier_destroy(&p->go);
        assert_int_equal(p->a.held.status, 200);
        if (!a_paid && (p->a.paid.status != 404 || strcmp(p->a.paid.code, "HOLD_EXPIRED"))) {
            fail_msg("pair %d: A paid %ld %s", i, p->a.paid.status, p->a.paid.code);
        }
        if (!b_held && (p->b.held.status != 409 || strcmp(p->b.held.code, "SEAT_TAKEN"))) {
            fail_msg("pair %d: B held %ld %s", i, p->b.held.status, p->b.held.code);
        }
        if (a_paid && b_held) {
            fail_msg("pair %d: seat %lld paid by A and held by B", i, p->a.seat);
        }
        /* A's hold certainly over before the race: B must get the seat */
        if (p->held_for >= 1.05 && (a_paid || !b_held)) {
            fail_msg("pair %d: A's hold was over (%.3f s) yet A %ld, B %ld", i,
                     p->held_for, p->a.paid.status, p->b.held.status);
        }
        a_won += a_paid;
        b_won += b_held;
        if (a_paid) {
            assert_int_equal(th_db_scalar(tdb, "SELECT booked_ticket_id FROM seats"
                                               " WHERE seat_id = %lld", p->a.seat), p->a.held.ticket);
            assert_int_equal(ledger_rows(tdb, p->b.user, "pay"), 0);
            TH_EXPECT_ERROR(409, "SEAT_TAKEN", MSG_SEAT_TAKEN,
                            hold, ttl_h.port, p->b.token, p->b.user, p->b.seat);
        }
        else {
            assert_int_equal(ledger_rows(tdb, p->a.user, "pay"), 0);
            assert_int_equal(balance(tdb, p->a.user), 20000);
            /* an expired hold keeps answering so, whoever holds the seat now */
            TH_EXPECT_ERROR(404, "HOLD_EXPIRED", MSG_HOLD_EXPIRED,
                            pay, ttl_h.port, p->a.token, p->a.user, p->a.held.ticket);
            assert_int_equal(th_db_scalar(tdb, "SELECT count(*) FROM seats WHERE seat_id = %lld"
                                               " AND booked_ticket_id IS NULL", p->a.seat), 1);
        }
        if (b_held) {
            assert_true(p->b.held.ticket != p->a.held.ticket);
            assert_int_equal(th_db_scalar(tdb, "SELECT hold_ticket_id FROM seats"
                                               " WHERE seat_id = %lld", p->b.seat), p->b.held.ticket);
        }
    }
    print_message("pay vs hold race: A paid %d, B held %d of %d seats\n", a_won, b_won, PAIRS);
    th_assert_invariants(tdb);
}

/* HOLD_EXPIRED whatever the balance, and when another user holds the seat
 * meanwhile; never TICKET_NOT_FOUND for an expired hold. */
static void test_hold_expired_errors(void **state)
{
    th_token tokens[3];
    long long t81, t82, t83;
    (void)state;

    th_admit_many(ttl_h.port, 81, 3, tokens);
    t81 = hold_ok(ttl_h.port, tokens[0], 81, 61, NULL);
    t82 = hold_ok(ttl_h.port, tokens[1], 82, 62, NULL);
    charge_ok(ttl_h.port, tokens[1], 82, 50000);
    usleep(1300000);
    /* no money at all */
    TH_EXPECT_ERROR(404, "HOLD_EXPIRED", MSG_HOLD_EXPIRED, pay, ttl_h.port, tokens[0], 81, t81);
    charge_ok(ttl_h.port, tokens[0], 81, 50000);
    TH_EXPECT_ERROR(404, "HOLD_EXPIRED", MSG_HOLD_EXPIRED, pay, ttl_h.port, tokens[0], 81, t81);
    /* another user holds the seat meanwhile */
    t83 = hold_ok(ttl_h.port, tokens[2], 83, 62, NULL);
    assert_true(t83 != t82);
    TH_EXPECT_ERROR(404, "HOLD_EXPIRED", MSG_HOLD_EXPIRED, pay, ttl_h.port, tokens[1], 82, t82);
    /* the new holder of the seat cannot pay the old ticket */
    TH_EXPECT_ERROR(401, "TICKET_NOT_FOUND", MSG_TICKET, pay, ttl_h.port, tokens[2], 83, t82);
    assert_int_equal(balance(tdb, 81), 50000);
    assert_int_equal(balance(tdb, 82), 50000);
    assert_int_equal(th_db_scalar(tdb, "SELECT count(*) FROM ledger WHERE kind = 'pay'"
                                       " AND user_id IN (81, 82, 83)"), 0);
    assert_int_equal(th_db_scalar(tdb, "SELECT count(*) FROM tickets WHERE status = 'booked'"
                                       " AND seat_id IN (61, 62)"), 0);
    /* the tokens are untouched */
    th_assert_poll(ttl_h.port, tokens[0], "service");
    th_assert_poll(ttl_h.port, tokens[1], "service");
    th_assert_invariants(tdb);
}

/* ---- a hold ends when its schedule starts ---- */

static void test_hold_ends_at_schedule_start(void **state)
{
    char token[128], starts[32];
    th_resp r;
    long long t1, t2;
    (void)state;

    th_admit(main_h.port, 90, token);
    charge_ok(main_h.port, token, 90, 500000);
    /* a schedule that starts in 3 s, two seats of it */
    th_db_exec(mdb, "INSERT INTO schedules (schedule_id, concert_id, concert_date, starts_at)"
                    " VALUES (2, %d, current_date + 1, date_trunc('second', now())"
                    " + interval '3 seconds')", CONCERT);
    th_db_exec(mdb, "INSERT INTO seats (seat_id, schedule_id, seat_num, price)"
                    " VALUES (501, 2, 1, 10000), (502, 2, 2, 10000)");
    th_db_text(mdb, starts, sizeof(starts), "SELECT to_char(starts_at AT TIME ZONE 'UTC',"
               " 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') FROM schedules WHERE schedule_id = 2");
    th_hold(&r, main_h.port, CONCERT, 2, 501, token, "{\"userId\": 90}");
    assert_int_equal(r.status, 200);
    assert_string_equal(th_str(&r, "holdExpiresAt"), starts);   /* not TTL's 300 s */
    t1 = th_int(&r, "ticketId");
    th_resp_free(&r);
    th_hold(&r, main_h.port, CONCERT, 2, 502, token, "{\"userId\": 90}");
    assert_int_equal(r.status, 200);
    t2 = th_int(&r, "ticketId");
    th_resp_free(&r);
    /* as if held before holds ended at the start: past it by an hour */
    th_db_exec(mdb, "UPDATE seats SET hold_until = now() + interval '1 hour'"
                    " WHERE seat_id = 502");
    th_db_exec(mdb, "UPDATE tickets SET hold_until = now() + interval '1 hour'"
                    " WHERE ticket_id = %lld", t2);
    th_db_exec(mdb, "SELECT pg_sleep(greatest(0, extract(epoch FROM"
                    " (SELECT starts_at FROM schedules WHERE schedule_id = 2) - now())) + 0.3)");
    TH_EXPECT_ERROR(404, "HOLD_EXPIRED", MSG_HOLD_EXPIRED, pay, main_h.port, token, 90, t1);
    TH_EXPECT_ERROR(404, "HOLD_EXPIRED", MSG_HOLD_EXPIRED, pay, main_h.port, token, 90, t2);
    assert_int_equal(balance(mdb, 90), 500000);
    assert_int_equal(th_db_scalar(mdb, "SELECT count(*) FROM seats WHERE schedule_id = 2"
                                       " AND booked_ticket_id IS NOT NULL"), 0);
    th_assert_invariants(mdb);
}

/* ---- a hold racing its user's last payment ---- */

typedef struct {
    const char *token;
    long status;
    char code[32];
} slow_hold;

static void *hold_slowly(void *arg)
{
    slow_hold *h = arg;
    th_resp r;

    hold(&r, main_h.port, h->token, 92, 392);
    h->status = r.status;
    snprintf(h->code, sizeof(h->code), "%s", th_str(&r, "code") ? th_str(&r, "code") : "");
    th_resp_free(&r);
    th_thread_client_done();
    return NULL;
}

/* The hold of seat 392 is slowed down (a trigger sleeps in its seat
 * UPDATE) while the user pays for seat 391, its other hold: the payment
 * must see the new hold and keep the token, or the hold must see the
 * token ended; never a live hold with no token left to pay it. */
static void test_hold_racing_last_payment(void **state)
{
    char token[128];
    slow_hold h;
    pthread_t t;
    th_resp r;
    long long ticket;
    (void)state;

    th_admit(main_h.port, 92, token);
    charge_ok(main_h.port, token, 92, 500000);
    ticket = hold_ok(main_h.port, token, 92, 391, NULL);
    th_db_exec(mdb, "CREATE FUNCTION test_slow_hold() RETURNS trigger LANGUAGE plpgsql AS"
                    " $$ BEGIN PERFORM pg_sleep(0.8); RETURN NEW; END $$");
    th_db_exec(mdb, "CREATE TRIGGER test_slow_hold BEFORE UPDATE ON seats FOR EACH ROW"
                    " WHEN (NEW.seat_id = 392 AND NEW.hold_ticket_id IS NOT NULL)"
                    " EXECUTE FUNCTION test_slow_hold()");
    h.token = token;
    assert_int_equal(pthread_create(&t, NULL, hold_slowly, &h), 0);
    usleep(300000);             /* the hold is in its seat UPDATE now */
    pay(&r, main_h.port, token, 92, ticket);
    assert_int_equal(r.status, 200);
    pthread_join(t, NULL);
    th_db_exec(mdb, "DROP TRIGGER test_slow_hold ON seats");
    th_db_exec(mdb, "DROP FUNCTION test_slow_hold()");
    if (h.status == 200) {
        assert_string_equal(th_str(&r, "tokenStat"), "service");
        th_assert_poll(main_h.port, token, "service");
    }
    else {
        assert_string_equal(th_str(&r, "tokenStat"), "expire");
        assert_string_equal(h.code, "TOKEN_EXPIRED");
    }
    th_resp_free(&r);
    assert_int_equal(th_db_scalar(mdb,
        "SELECT count(*) FROM seats st JOIN tickets t ON t.ticket_id = st.hold_ticket_id"
        " WHERE t.user_id = 92 AND st.booked_ticket_id IS NULL AND st.hold_until > now()"
        "   AND NOT EXISTS (SELECT 1 FROM queue_tokens q WHERE q.user_id = 92"
        "                      AND q.state = 'service' AND q.expires_at > now())"), 0);
    th_assert_invariants(mdb);
}

/* ---- idempotency keys older than 24 hours are deleted ---- */

static int old_keys_gone(void *arg)
{
    (void)arg;
    return th_db_scalar(mdb, "SELECT count(*) FROM charge_requests"
                             " WHERE idempotency_key LIKE 'old-%%'") == 0;
}

static void test_old_keys_swept(void **state)
{
    (void)state;
    th_db_exec(mdb, "INSERT INTO charge_requests (user_id, idempotency_key, amount, created_at)"
                    " SELECT 93, 'old-' || g, 1000, now() - interval '25 hours'"
                    "   FROM generate_series(1, 50) g");
    th_db_exec(mdb, "INSERT INTO charge_requests (user_id, idempotency_key, amount, created_at)"
                    " VALUES (93, 'young', 1000, now() - interval '23 hours')");
    th_db_exec(mdb, "UPDATE queue_state SET keys_swept_at = '-infinity'");   /* due now */
    assert_true(th_wait_until(old_keys_gone, NULL, 10));
    assert_int_equal(th_db_scalar(mdb, "SELECT count(*) FROM charge_requests"
                                       " WHERE idempotency_key = 'young'"), 1);
}

/* ---- the ledger invariant after a mixed concurrent run ---- */

#define MIX_USERS 50
#define MIX_FIRST 201
#define MIX_SEATS 60

typedef struct {
    const char *token;
    long long user;
    unsigned seed;
    long long expect;          /* the balance by the client's books */
    char error[512];
} mix_job;

static void __attribute__((format(printf, 2, 3)))
mix_fail(mix_job *j, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(j->error, sizeof(j->error), fmt, ap);
    va_end(ap);
}

/* Notes the first failure of a worker (cmocka asserts only in the main
 * thread) and ends it. */
#define MIX_FAIL(...) do { mix_fail(j, __VA_ARGS__); return NULL; } while (0)

static void *mix_worker(void *arg)
{
    mix_job *j = arg;
    long long tickets[2], prices[2], amount;
    char key[64], text[32], body1[512], paid_body[2][1024];
    int held = 0, i, k;
    th_resp r;

    /* a charge with a key, its replay and a reuse with another amount */
    amount = 1000 * (5 + rand_r(&j->seed) % 20);
    snprintf(key, sizeof(key), "mix-%lld", j->user);
    snprintf(text, sizeof(text), "%lld", amount);
    charge(&r, main_h.port, j->token, j->user, text, key);
    if (r.status != 200) MIX_FAIL("keyed charge: %ld %s", r.status, r.body);
    keep(body1, sizeof(body1), r.body);
    th_resp_free(&r);
    j->expect += amount;
    charge(&r, main_h.port, j->token, j->user, text, key);
    if (r.status != 200 || strcmp(r.body, body1))
        MIX_FAIL("replayed charge: %ld %s vs %s", r.status, r.body, body1);
    th_resp_free(&r);
    snprintf(text, sizeof(text), "%lld", amount + 1);
    charge(&r, main_h.port, j->token, j->user, text, key);
    if (r.status != 422) MIX_FAIL("reused key: %ld %s", r.status, r.body);
    th_resp_free(&r);
    /* a plain charge */
    amount = 1000 * (1 + rand_r(&j->seed) % 10);
    snprintf(text, sizeof(text), "%lld", amount);
    charge(&r, main_h.port, j->token, j->user, text, NULL);
    if (r.status != 200) MIX_FAIL("charge: %ld %s", r.status, r.body);
    th_resp_free(&r);
    j->expect += amount;

    /* two holds from a shared pool of seats */
    for (k = 0; k < 4 && held < 2; ++k) {
        long long seat = MIX_FIRST + rand_r(&j->seed) % MIX_SEATS;
        hold(&r, main_h.port, j->token, j->user, seat);
        if (r.status == 200) {
            for (i = 0; i < held; ++i) {
                if (tickets[i] == th_int(&r, "ticketId")) break;
            }
            if (i == held) {
                tickets[held] = th_int(&r, "ticketId");
                prices[held++] = th_int(&r, "price");
            }
        }
        else if (r.status != 409 || strcmp(code_of(&r), "SEAT_TAKEN"))
            MIX_FAIL("hold of %lld: %ld %s", seat, r.status, r.body);
        th_resp_free(&r);
    }
    history(&r, main_h.port, j->token, j->user, "?limit=3");
    if (r.status != 200 || th_int(&r, "point") != j->expect)
        MIX_FAIL("history: %ld %s (expected point %lld)", r.status, r.body, j->expect);
    th_resp_free(&r);

    /* pay each hold: short of money, charge the difference and pay again */
    for (i = 0; i < held; ++i) {
        pay(&r, main_h.port, j->token, j->user, tickets[i]);
        if (r.status == 402) {
            if (j->expect >= prices[i])
                MIX_FAIL("402 with balance %lld >= %lld", j->expect, prices[i]);
            th_resp_free(&r);
            snprintf(text, sizeof(text), "%lld", prices[i] - j->expect);
            charge(&r, main_h.port, j->token, j->user, text, NULL);
            if (r.status != 200) MIX_FAIL("top-up: %ld %s", r.status, r.body);
            th_resp_free(&r);
            j->expect = prices[i];
            pay(&r, main_h.port, j->token, j->user, tickets[i]);
        }
        if (r.status != 200) MIX_FAIL("pay %lld: %ld %s", tickets[i], r.status, r.body);
        j->expect -= prices[i];
        if (th_int(&r, "point") != j->expect)
            MIX_FAIL("pay point %lld, expected %lld", th_int(&r, "point"), j->expect);
        if (strcmp(th_str(&r, "tokenStat"), i + 1 < held ? "service" : "expire"))
            MIX_FAIL("pay %d of %d: tokenStat %s", i + 1, held, th_str(&r, "tokenStat"));
        keep(paid_body[i], sizeof(paid_body[i]), r.body);
        th_resp_free(&r);
    }
    /* replays: same bodies, nothing charged */
    for (i = 0; i < held; ++i) {
        pay(&r, main_h.port, j->token, j->user, tickets[i]);
        if (r.status != 200 || strcmp(r.body, paid_body[i]))
            MIX_FAIL("replay: %ld %s vs %s", r.status, r.body, paid_body[i]);
        th_resp_free(&r);
    }
    return NULL;
}

static void test_ledger_invariant_mixed_run(void **state)
{
    static mix_job jobs[MIX_USERS];
    static th_token tokens[MIX_USERS];
    pthread_t t[MIX_USERS];
    int i;
    (void)state;

    th_admit_many(main_h.port, MIX_FIRST, MIX_USERS, tokens);
    for (i = 0; i < MIX_USERS; ++i) {
        jobs[i].token = tokens[i];
        jobs[i].user = MIX_FIRST + i;
        jobs[i].seed = (unsigned)(i * 31337 + 5);
        pthread_create(&t[i], NULL, mix_worker, &jobs[i]);
    }
    for (i = 0; i < MIX_USERS; ++i) {
        pthread_join(t[i], NULL);
    }
    for (i = 0; i < MIX_USERS; ++i) {
        if (jobs[i].error[0]) {
            fail_msg("user %lld: %s", jobs[i].user, jobs[i].error);
        }
        assert_int_equal(balance(mdb, jobs[i].user), jobs[i].expect);
        assert_int_equal(th_db_scalar(mdb, "SELECT count(*) FROM charge_requests"
                                           " WHERE user_id = %lld", jobs[i].user), 1);
    }
    print_message("mixed run: %lld seats booked\n",
                  th_db_scalar(mdb, "SELECT count(*) FROM seats WHERE seat_id BETWEEN %d AND %d"
                                    " AND booked_ticket_id IS NOT NULL",
                               MIX_FIRST, MIX_FIRST + MIX_SEATS - 1));
    th_assert_invariants(mdb);
}

/* ---- the acceptance flow ---- */

/* user enters on port and waits at position: its token into token. */
static void enter_waiting(int port, long long user, long long position, char *token)
{
    char body[64];
    th_resp r;

    snprintf(body, sizeof(body), "{\"userId\": %lld}", user);
    th_http(&r, port, "POST", "/queues", NULL, body);
    assert_int_equal(r.status, 200);
    assert_string_equal(th_str(&r, "tokenStatus"), "wait");
    assert_int_equal(th_int(&r, "position"), position);
    keep(token, sizeof(th_token), th_str(&r, "userToken"));
    th_resp_free(&r);
}

/* TicketCapacity 1 and an admission job that first runs a minute after
 * start: whatever is admitted on host P during this test was admitted by
 * the payment that freed the slot. User 1 is admitted by the job of
 * another host J on the same database, which is stopped before P starts. */
static void test_acceptance_flow(void **state)
{
    PGconn *db;
    th_token a, b, c, a2;
    char paid[1024], date[16];
    long long ticket, price, expires;
    th_resp r;
    (void)state;

    th_db_create(DB_FLOW, 5);
    db = th_db_connect(DB_FLOW);
    seed(db, 5);
    th_httpd_start(&flow_j, DB_FLOW, "CAPACITY=1 ADVANCE_INTERVAL=1", NULL);
    th_admit(flow_j.port, 1, a);
    th_httpd_stop(&flow_j);
    assert_int_equal(th_errlog_unexpected(&flow_j, NULL), 0);
    th_httpd_start(&flow_p, DB_FLOW, "CAPACITY=1 ADVANCE_INTERVAL=60", NULL);

    /* B and C wait behind A */
    enter_waiting(flow_p.port, 2, 1, b);
    assert_int_equal(th_enter(flow_p.port, 3, c), 200);
    th_assert_poll(flow_p.port, a, "service");
    th_assert_poll(flow_p.port, b, "wait");

    /* A holds a seat, cannot pay without money: nothing changes */
    th_http(&r, flow_p.port, "POST", "/concerts/1/schedules/1/seats/1/ticket", a, "{\"userId\": 1}");
    assert_int_equal(r.status, 200);
    ticket = th_int(&r, "ticketId");
    price = th_int(&r, "price");
    keep(date, sizeof(date), th_str(&r, "concertDate"));
    th_resp_free(&r);
    expires = th_db_scalar(db, "SELECT (extract(epoch FROM expires_at) * 1000000)::bigint"
                               " FROM queue_tokens WHERE user_id = 1 AND state = 'service'");
    TH_EXPECT_ERROR(402, "INSUFFICIENT_BALANCE", MSG_INSUFFICIENT, pay, flow_p.port, a, 1, ticket);
    assert_int_equal(balance(db, 1), 0);
    assert_int_equal(th_db_scalar(db, "SELECT count(*) FROM ledger"), 0);
    assert_int_equal(th_db_scalar(db, "SELECT count(*) FROM tickets WHERE ticket_id = %lld"
                                      " AND status = 'temp'", ticket), 1);
    assert_int_equal(th_db_scalar(db, "SELECT hold_ticket_id FROM seats WHERE seat_id = 1"
                                      " AND hold_until > now() AND booked_ticket_id IS NULL"),
                     ticket);
    assert_int_equal(th_db_scalar(db, "SELECT (extract(epoch FROM expires_at) * 1000000)::bigint"
                                      " FROM queue_tokens WHERE user_id = 1 AND state = 'service'"),
                     expires);
    th_assert_poll(flow_p.port, a, "service");
    th_assert_poll(flow_p.port, b, "wait");

    /* A charges, pays: booked, token over, B admitted right after */
    charge(&r, flow_p.port, a, 1, "20000", NULL);
    assert_int_equal(r.status, 200);
    assert_string_equal(th_str(&r, "userName"), "user1");
    assert_int_equal(th_int(&r, "amount"), 20000);
    assert_int_equal(th_int(&r, "point"), 20000);
    assert_string_equal(th_str(&r, "accountStat"), "충전완료");
    th_resp_free(&r);
    pay(&r, flow_p.port, a, 1, ticket);
    assert_int_equal(r.status, 200);
    assert_int_equal(th_int(&r, "ticketId"), ticket);
    assert_string_equal(th_str(&r, "userName"), "user1");
    assert_string_equal(th_str(&r, "concertTitle"), TITLE);
    assert_string_equal(th_str(&r, "concertDate"), date);
    assert_int_equal(th_int(&r, "concertSeat"), 1);
    assert_int_equal(th_int(&r, "price"), price);
    assert_int_equal(th_int(&r, "point"), 20000 - price);
    assert_string_equal(th_str(&r, "stat"), "booked");
    assert_string_equal(th_str(&r, "tokenStat"), "expire");
    keep(paid, sizeof(paid), r.body);
    th_resp_free(&r);
    /* the admission runs once the payment's answer is sent: B's poll sees
     * it within milliseconds, long before the job's next turn (a minute
     * here: only the payment can have admitted B) */
    assert_true(th_wait_status(flow_p.port, b, "service", 0.5));
    th_assert_poll(flow_p.port, a, "expire");
    th_http(&r, flow_p.port, "GET", "/queues", c, NULL);
    assert_int_equal(r.status, 200);
    assert_string_equal(th_str(&r, "tokenStatus"), "wait");
    assert_int_equal(th_int(&r, "position"), 1);
    th_resp_free(&r);
    assert_int_equal(balance(db, 1), 20000 - price);
    assert_int_equal(th_db_scalar(db, "SELECT booked_ticket_id FROM seats WHERE seat_id = 1"),
                     ticket);
    assert_int_equal(th_db_scalar(db, "SELECT count(*) FROM queue_tokens WHERE state = 'service'"
                                      " AND user_id = 2"), 1);

    /* the replay, with the expired token; the expired token is refused
     * everywhere else */
    EXPECT_REPLAY(paid, pay, flow_p.port, a, 1, ticket);
    TH_EXPECT_ERROR(401, "TOKEN_EXPIRED", MSG_USER, charge, flow_p.port, a, 1, "1000", NULL);
    TH_EXPECT_ERROR(401, "TOKEN_EXPIRED", MSG_USER, history, flow_p.port, a, 1, NULL);
    TH_EXPECT_ERROR(401, "TOKEN_EXPIRED", MSG_TICKET, pay, flow_p.port, a, 1, NO_TICKET);

    /* A enters again: a new token, waiting behind C; its history */
    enter_waiting(flow_p.port, 1, 2, a2);
    assert_string_not_equal(a2, a);
    history(&r, flow_p.port, a2, 1, NULL);
    assert_int_equal(r.status, 200);
    assert_string_equal(th_str(&r, "userName"), "user1");
    assert_int_equal(th_int(&r, "point"), 20000 - price);
    assert_int_equal(history_length(&r), 2);
    assert_entry(&r, 0, "pay", price, 20000 - price);
    assert_entry(&r, 1, "charge", 20000, 20000);
    th_resp_free(&r);
    EXPECT_REPLAY(paid, pay, flow_p.port, a2, 1, ticket);

    /* C, waiting: may charge and read its account, not pay */
    charge(&r, flow_p.port, c, 3, "3000", NULL);
    assert_int_equal(r.status, 200);
    assert_int_equal(th_int(&r, "point"), 3000);
    th_resp_free(&r);
    history(&r, flow_p.port, c, 3, NULL);
    assert_int_equal(r.status, 200);
    assert_int_equal(history_length(&r), 1);
    assert_entry(&r, 0, "charge", 3000, 3000);
    th_resp_free(&r);
    TH_EXPECT_ERROR(401, "TOKEN_NOT_ADMITTED", MSG_TICKET, pay, flow_p.port, c, 3, NO_TICKET);
    TH_EXPECT_ERROR(401, "TOKEN_NOT_ADMITTED", MSG_TICKET, pay, flow_p.port, c, 3, ticket);
    TH_EXPECT_ERROR(401, "TOKEN_NOT_ADMITTED", MSG_TICKET, pay_body, flow_p.port, c, "{");
    TH_EXPECT_ERROR(403, "FORBIDDEN", MSG_FORBIDDEN, charge, flow_p.port, c, 1, "3000", NULL);
    /* B, in service: A's ticket is not B's */
    TH_EXPECT_ERROR(401, "TICKET_NOT_FOUND", MSG_TICKET, pay, flow_p.port, b, 2, ticket);
    TH_EXPECT_ERROR(403, "FORBIDDEN", MSG_FORBIDDEN, pay, flow_p.port, b, 1, ticket);
    th_assert_poll(flow_p.port, c, "wait");
    th_assert_poll(flow_p.port, a2, "wait");

    assert_int_equal(ledger_rows(db, 1, "pay"), 1);
    assert_int_equal(ledger_rows(db, 1, "charge"), 1);
    th_assert_invariants(db);
    th_httpd_stop(&flow_p);
    PQfinish(db);
    assert_int_equal(th_errlog_unexpected(&flow_p, NULL), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_acceptance_flow),
        cmocka_unit_test(test_concurrent_charges),
        cmocka_unit_test(test_concurrent_payments_one_ticket),
        cmocka_unit_test(test_two_seats_keep_token_until_last),
        cmocka_unit_test(test_replay_after_token_expired),
        cmocka_unit_test(test_charge_errors),
        cmocka_unit_test(test_history_errors),
        cmocka_unit_test(test_pay_errors),
        cmocka_unit_test(test_idempotency_key_concurrent),
        cmocka_unit_test(test_limits_and_failed_key),
        cmocka_unit_test(test_payment_races_hold_expiry),
        cmocka_unit_test(test_payment_races_other_hold),
        cmocka_unit_test(test_hold_expired_errors),
        cmocka_unit_test(test_hold_ends_at_schedule_start),
        cmocka_unit_test(test_hold_racing_last_payment),
        cmocka_unit_test(test_old_keys_swept),
        cmocka_unit_test(test_ledger_invariant_mixed_run),
    };
    return cmocka_run_group_tests_name("payments", tests, setup, teardown);
}
