/* test_lookup_cache.c: the lookups' copy (TicketLookupCacheMs) against
 * real Apache hosts on one PostgreSQL database (the sale of
 * harness_sale.c):
 *
 *   - the copy answers exactly what the database answers;
 *   - in steady state, lookups cost at most 0.01 statements each
 *     (pg_stat_statements);
 *   - a hold through host A shows on A at once and on B within
 *     TicketLookupCacheMs; a seat a stale list shows free is SEAT_TAKEN
 *     (holds are decided by the database), and the refusal drops B's list;
 *   - a token a payment ended through A browses on B at most
 *     TicketLookupCacheMs longer, and is refused at once by holds and
 *     payments on B, and by everything on A;
 *   - readers racing this host's holds never see a torn or an older list;
 *   - TicketLookupCacheMs 0 is the database for every lookup, at once;
 *   - the copy survives a graceful restart;
 *   - beyond its bounds the database answers.
 *
 * Hosts: A and B with TicketLookupCacheMs 2000 (a clear window), D with
 * the default (500), O with 0. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "harness.h"

#define DB "itest_lookup_cache"
#define WINDOW_MS 2000
#define SLACK_MS 700            /* a refresh, a loaded machine */
#define USERS 19
#define MSG_TOKEN "해당 서비스를 이용하실 수 없습니다."
#define MSG_TICKET "해당 티켓 정보를 찾을 수 없습니다."
#define MSG_TAKEN "이미 선택된 좌석입니다."

#define KNOBS_WINDOW "CAPACITY=50 LOOKUP_CACHE_MS=2000"

static th_httpd host_a, host_b, host_d, host_o;
static PGconn *db;
static th_token tok[USERS + 1];
static char d10[16], d11[16], d12[16], d14[16], dpast[16], dtoday[16];

static int setup(void **state)
{
    th_httpd *const all[] = {&host_a, &host_b, &host_d, &host_o};
    int u, h;
    (void)state;

    db = th_sale_create(DB, TH_SALE_OWNER);
    th_sale_date(db, 10, d10);
    th_sale_date(db, 11, d11);
    th_sale_date(db, 12, d12);
    th_sale_date(db, 14, d14);
    th_sale_date(db, -1, dpast);
    th_sale_date(db, 0, dtoday);
    th_httpd_start(&host_a, DB, KNOBS_WINDOW, NULL);
    th_httpd_start(&host_b, DB, KNOBS_WINDOW, NULL);
    th_httpd_start(&host_d, DB, "CAPACITY=50", NULL);
    th_httpd_start(&host_o, DB, "CAPACITY=50 LOOKUP_CACHE_MS=0", NULL);
    th_admit_many(host_a.port, 1, USERS, &tok[1]);
    for (h = 1; h < 4; ++h) {
        for (u = 1; u <= USERS; ++u) {
            assert_true(th_wait_status(all[h]->port, tok[u], "service", 15));
        }
    }
    return 0;
}

static int teardown(void **state)
{
    th_httpd *const hosts[] = {&host_a, &host_b, &host_d, &host_o, NULL};
    (void)state;
    th_suite_stop_all(hosts, &db, NULL);
    return 0;
}

/* ---- helpers ---- */

static long long ms_since(const struct timespec *t0)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (t.tv_sec - t0->tv_sec) * 1000LL + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

static void sleep_ms(long ms)
{
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
}

static void get(th_resp *r, int port, const char *path, const char *token)
{
    assert_int_equal(th_client_http(th_thread_client(), r, port, "GET", path, token,
                                     NULL), 0);
}

static long get_status(int port, const char *path, const char *token)
{
    th_resp r;
    long status;

    get(&r, port, path, token);
    status = r.status;
    th_resp_free(&r);
    return status;
}

/* user holds seat (concert, schedule) through port: the answer's status */
static long hold(int port, long long concert, long long schedule, long long seat,
                 int user)
{
    char body[64];
    th_resp r;
    long status;

    snprintf(body, sizeof(body), "{\"userId\": %d}", user);
    th_hold(&r, port, concert, schedule, seat, tok[user], body);
    status = r.status;
    th_resp_free(&r);
    return status;
}

/* ---- the copy answers what the database answers ---- */

static int same_paths(char paths[][100])
{
    const char *const dates[] = {d10, d11, d12, d14, dpast, dtoday, "2099-01-01"};
    const long long concerts[] = {1, 4, 5, 6, 7, 9, 999};
    size_t c, d;
    int n = 0;

    snprintf(paths[n++], 100, "/concerts");
    for (c = 0; c < sizeof(concerts) / sizeof(concerts[0]); ++c) {
        snprintf(paths[n++], 100, "/concerts/%lld/dates", concerts[c]);
        for (d = 0; d < sizeof(dates) / sizeof(dates[0]); ++d) {
            snprintf(paths[n++], 100, "/concerts/%lld/dates/%s/seats", concerts[c], dates[d]);
        }
    }
    return n;
}

/* Every lookup of the sale, first and second time on D (the copy filled,
 * then read), answers byte for byte what O (the database) answers. */
static void test_copy_answers_as_the_database(void **state)
{
    static char paths[64][100];
    th_resp want, got;
    int i, n = same_paths(paths), round;
    (void)state;

    for (round = 0; round < 2; ++round) {
        for (i = 0; i < n; ++i) {
            get(&want, host_o.port, paths[i], tok[1]);
            get(&got, host_d.port, paths[i], tok[2]);
            if (got.status != want.status || strcmp(got.body, want.body) != 0) {
                fail_msg("%s: the copy answered %ld %s, the database %ld %s", paths[i],
                         got.status, got.body, want.status, want.body);
            }
            th_resp_free(&want);
            th_resp_free(&got);
        }
    }
    print_message("%d lookups answered alike, twice\n", n);
}

/* ---- steady state: next to no statement ---- */

#define READERS 4
#define READS 1500

static void *read_lookups(void *arg)
{
    static const char *const fmt[] = {"/concerts", "/concerts/9/dates",
                                      "/concerts/9/dates/%s/seats"};
    const char *token = tok[3 + (int)(intptr_t)arg];
    char path[100];
    th_resp r;
    int i;

    for (i = 0; i < READS; ++i) {
        snprintf(path, sizeof(path), fmt[i % 3], d10);
        if (th_client_http(th_thread_client(), &r, host_d.port, "GET", path, token,
                           NULL) != 0 || r.status != 200) {
            return (void *)1;
        }
        th_resp_free(&r);
    }
    th_thread_client_done();
    return NULL;
}

static void test_steady_state_statements(void **state)
{
    pthread_t t[READERS];
    struct timespec t0;
    long long before, after, ms;
    void *failed;
    double per;
    intptr_t i;
    (void)state;

    /* the copies of this test's lookups exist (and the tokens are known) */
    for (i = 0; i < READERS; ++i) {
        pthread_create(&t[i], NULL, read_lookups, (void *)i);
        pthread_join(t[i], NULL);
    }
    before = th_app_statements(db, DB);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (i = 0; i < READERS; ++i) {
        pthread_create(&t[i], NULL, read_lookups, (void *)i);
    }
    for (i = 0; i < READERS; ++i) {
        pthread_join(t[i], &failed);
        assert_null(failed);
    }
    ms = ms_since(&t0);
    after = th_app_statements(db, DB);
    per = (double)(after - before) / (READERS * READS);
    print_message("%d lookups in %lld ms (%.0f/s, TicketLookupCacheMs 500): %lld "
                  "statements, %.4f per lookup\n", READERS * READS, ms,
                  READERS * READS * 1000.0 / (double)(ms ? ms : 1), after - before, per);
    assert_true(per <= 0.01);
}

/* ---- holds: here at once, there within the window ---- */

/* A hold through A: gone from A's list and count at once; B listed it
 * before and drops it within TicketLookupCacheMs. */
static void test_hold_here_at_once_there_within(void **state)
{
    struct timespec t0;
    long long ms = 0, free_before;
    int stale_reads = 0;
    (void)state;

    assert_true(th_seat_listed(host_a.port, 1, d10, 1101, tok[1]));
    assert_true(th_seat_listed(host_b.port, 1, d10, 1101, tok[1]));
    free_before = th_dates_free(host_a.port, 1, 11, tok[1]);
    assert_int_equal(hold(host_a.port, 1, 11, 1101, 1), 200);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_false(th_seat_listed(host_a.port, 1, d10, 1101, tok[1]));
    assert_int_equal(th_dates_free(host_a.port, 1, 11, tok[1]), free_before - 1);
    while (th_seat_listed(host_b.port, 1, d10, 1101, tok[2])) {
        ++stale_reads;
        ms = ms_since(&t0);
        if (ms > WINDOW_MS + SLACK_MS) {
            fail_msg("B still lists the seat %lld ms after the hold", ms);
        }
        sleep_ms(20);
    }
    ms = ms_since(&t0);
    print_message("B listed the held seat for %lld ms after the hold (%d reads; "
                  "window %d ms)\n", ms, stale_reads, WINDOW_MS);
    assert_true(ms <= WINDOW_MS + SLACK_MS);
    /* the dates' counts (another part of the copy) within the window too */
    while (th_dates_free(host_b.port, 1, 11, tok[2]) != free_before - 1) {
        if (ms_since(&t0) > WINDOW_MS + SLACK_MS) {
            fail_msg("B's count of schedule 11 is still %lld", free_before);
        }
        sleep_ms(20);
    }
}

/* A seat that B's stale list shows free answers SEAT_TAKEN on B (the
 * database decides), and B's list drops it at once. */
static void test_stale_list_never_decides(void **state)
{
    long long seat;
    int tried = 0, user = 13;
    (void)state;

    for (seat = 1102; seat <= 1105; ++seat, ++user) {
        assert_true(th_seat_listed(host_b.port, 1, d10, seat, tok[2]));
        assert_int_equal(hold(host_a.port, 1, 11, seat, user), 200);
        if (!th_seat_listed(host_b.port, 1, d10, seat, tok[2])) {
            continue;           /* B refreshed just then: another seat */
        }
        ++tried;
        TH_EXPECT_ERROR(409, "SEAT_TAKEN", MSG_TAKEN, th_hold, host_b.port, 1, 11, seat,
                        tok[2], "{\"userId\": 2}");
        assert_false(th_seat_listed(host_b.port, 1, d10, seat, tok[2]));
        break;
    }
    assert_int_equal(tried, 1);
    assert_int_equal(th_db_scalar(db, "SELECT count(*) FROM tickets t JOIN seats s"
                                      " USING (seat_id) WHERE s.seat_id = %lld", seat), 1);
}

/* ---- a token ended through another host ---- */

static void pay_through_a(int user, long long seat)
{
    char body[128];
    th_resp r;
    long long ticket;

    snprintf(body, sizeof(body), "{\"userId\": %d}", user);
    th_hold(&r, host_a.port, 8, 81, seat, tok[user], body);
    assert_int_equal(r.status, 200);
    ticket = th_int(&r, "ticketId");
    th_resp_free(&r);
    snprintf(body, sizeof(body), "{\"userId\": %d, \"amount\": 80000}", user);
    assert_int_equal(th_http(&r, host_a.port, "PATCH", "/payments/charges", tok[user], body), 0);
    assert_int_equal(r.status, 200);
    th_resp_free(&r);
    snprintf(body, sizeof(body), "{\"userId\": %d, \"ticketId\": %lld}", user, ticket);
    assert_int_equal(th_http(&r, host_a.port, "POST", "/payments/pays", tok[user], body), 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(th_str(&r, "tokenStat"), "expire");
    th_resp_free(&r);
}

/* A payment through A ends user 17's token: A refuses it at once; B lets
 * it browse, at most TicketLookupCacheMs longer. */
static void test_token_ended_elsewhere_browses_briefly(void **state)
{
    struct timespec t0;
    long long ms;
    th_resp r;
    int browsed = 0;
    (void)state;

    assert_int_equal(get_status(host_b.port, "/concerts", tok[17]), 200);
    pay_through_a(17, 8101);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    TH_EXPECT_ERROR(401, "TOKEN_EXPIRED", MSG_TOKEN, get, host_a.port, "/concerts", tok[17]);
    for (;;) {
        get(&r, host_b.port, "/concerts", tok[17]);
        ms = ms_since(&t0);
        if (r.status != 200) {
            break;
        }
        th_resp_free(&r);
        ++browsed;
        if (ms > WINDOW_MS + SLACK_MS) {
            fail_msg("B let the ended token browse %lld ms", ms);
        }
        sleep_ms(20);
    }
    th_assert_error(&r, 401, "TOKEN_EXPIRED", MSG_TOKEN);
    th_resp_free(&r);
    print_message("B let the ended token browse %lld ms longer (%d lookups; window "
                  "%d ms)\n", ms, browsed, WINDOW_MS);
    /* for good, on every host */
    TH_EXPECT_ERROR(401, "TOKEN_EXPIRED", MSG_TOKEN, get, host_b.port, "/concerts/8/dates",
                    tok[17]);
    TH_EXPECT_ERROR(401, "TOKEN_EXPIRED", MSG_TOKEN, get, host_d.port, "/concerts", tok[17]);
}

/* User 18's token, ended by a payment through A, while B may still let it
 * browse: a hold and a payment through B are refused at once (the
 * database decides them), and the refusal teaches B's copy. */
static void test_token_ended_elsewhere_never_holds_or_pays(void **state)
{
    long before;
    (void)state;

    assert_int_equal(get_status(host_b.port, "/concerts/8/dates", tok[18]), 200);
    pay_through_a(18, 8102);
    before = get_status(host_b.port, "/concerts/8/dates", tok[18]);
    TH_EXPECT_ERROR(401, "TOKEN_EXPIRED", MSG_TOKEN, th_hold, host_b.port, 8, 81, 8103,
                    tok[18], "{\"userId\": 18}");
    TH_EXPECT_ERROR(401, "TOKEN_EXPIRED", MSG_TICKET, th_http, host_b.port, "POST",
                    "/payments/pays", tok[18], "{\"userId\": 18, \"ticketId\": 999999}");
    TH_EXPECT_ERROR(401, "TOKEN_EXPIRED", MSG_TOKEN, get, host_b.port, "/concerts/8/dates",
                    tok[18]);
    print_message("right after the payment through A, B's lookup answered %ld; its "
                  "hold and payment 401\n", before);
    assert_int_equal(th_db_scalar(db, "SELECT count(*) FROM tickets WHERE seat_id = 8103"), 0);
}

/* A token whose queue entry is deleted behind the module's back (no
 * normal operation does that): the copy checks ends, not deletions, so
 * lookups may go on until the end it knows; a hold is decided by the
 * database, and refused at once. */
static void test_token_gone(void **state)
{
    (void)state;

    assert_int_equal(get_status(host_d.port, "/concerts", tok[19]), 200);
    th_db_exec(db, "DELETE FROM queue_tokens WHERE user_id = 19");
    TH_EXPECT_ERROR(401, "TOKEN_INVALID", MSG_TOKEN, th_hold, host_d.port, 8, 81, 8104,
                    tok[19], "{\"userId\": 19}");
    assert_int_equal(th_db_scalar(db, "SELECT count(*) FROM tickets t JOIN users u"
                                      " USING (user_id) WHERE u.user_id = 19"), 0);
}

/* ---- readers racing writes ---- */

#define RACE_READERS 3
static volatile int racing;

/* Reads schedule 32's list until the holds are done: every answer sorted,
 * of that schedule's seats, and never longer than the one before (holds
 * only take seats, and this host drops its copy at each). */
static void *race_read(void *arg)
{
    const char *token = tok[6 + (int)(intptr_t)arg];
    char path[100];
    size_t i, n, last = (size_t)-1;
    long long prev;
    json_object *list;
    th_resp r;
    int bad = 0;
    intptr_t reads = 0;

    snprintf(path, sizeof(path), "/concerts/3/dates/%s/seats", d11);
    while (__atomic_load_n(&racing, __ATOMIC_ACQUIRE) && !bad) {
        if (th_client_http(th_thread_client(), &r, host_d.port, "GET", path, token, NULL) != 0
            || r.status != 200 || !json_object_object_get_ex(r.json, "availableSeats", &list)) {
            bad = 1;
            break;
        }
        n = json_object_array_length(list);
        for (i = 0, prev = 0; i < n; ++i) {
            json_object *s = json_object_array_get_idx(list, i);
            long long num = th_obj_int(s, "seatNum");
            bad |= num <= prev || th_obj_int(s, "seatId") != 3200 + num;
            prev = num;
        }
        bad |= n > last;
        last = n;
        ++reads;
        th_resp_free(&r);
    }
    th_thread_client_done();
    return (void *)(bad ? -1 : reads);
}

static void test_readers_race_holds(void **state)
{
    pthread_t t[RACE_READERS];
    void *got;
    long long seat, reads = 0;
    intptr_t i;
    int user, held = 0;
    (void)state;

    racing = 1;
    for (i = 0; i < RACE_READERS; ++i) {
        pthread_create(&t[i], NULL, race_read, (void *)i);
    }
    for (user = 9, seat = 3201; user <= 12; ++user) {
        for (i = 0; i < 4; ++i, seat += 7) {
            held += hold(host_d.port, 3, 32, seat, user) == 200;
        }
    }
    __atomic_store_n(&racing, 0, __ATOMIC_RELEASE);
    for (i = 0; i < RACE_READERS; ++i) {
        pthread_join(t[i], &got);
        assert_true((intptr_t)got >= 0);
        reads += (intptr_t)got;
    }
    assert_int_equal(held, 16);     /* users 9-12, 4 holds each */
    print_message("%lld seat lists read, each whole and sorted, none longer than "
                  "the one before, during %d holds\n", reads, held);
    for (seat = 3201; seat < 3201 + 7 * held; seat += 7) {
        assert_false(th_seat_listed(host_d.port, 3, d11, seat, tok[9]));
    }
}

/* ---- TicketLookupCacheMs 0 ---- */

/* O asks the database for every lookup, and shows a change made behind
 * the module's back at once; without the copy, no shared memory for it. */
static void test_off_is_the_database(void **state)
{
    long long before, after;
    char path[100];
    int i;
    (void)state;

    snprintf(path, sizeof(path), "/concerts/9/dates/%s/seats", d10);
    before = th_app_statements(db, DB);
    for (i = 0; i < 30; ++i) {
        assert_int_equal(get_status(host_o.port, path, tok[4]), 200);
    }
    after = th_app_statements(db, DB);
    assert_true(after - before >= 30);
    assert_true(th_seat_listed(host_o.port, 9, d10, 9110, tok[4]));
    th_sale_book(db, 9110);
    assert_false(th_seat_listed(host_o.port, 9, d10, 9110, tok[4]));
    assert_int_equal(th_errlog_count(&host_o, "TICKET041"), 0);
    assert_int_equal(th_errlog_count(&host_d, "TICKET041"), 1);
}

/* ---- graceful restarts ---- */

/* The copy is kept across a graceful restart (retained shared memory):
 * right after one, A answers from what it had, with no statement, as
 * long as that is young enough (the restart makes A's
 * TicketLookupCacheMs 5000, so that a slow restart still leaves time). */
static void test_graceful_restart_keeps_copy(void **state)
{
    const char *fmt[] = {"/concerts", "/concerts/9/dates", "/concerts/9/dates/%s/seats"};
    char path[100];
    struct timespec t0;
    long long before, ms;
    int i;
    (void)state;

    for (i = 0; i < 3; ++i) {
        snprintf(path, sizeof(path), fmt[i], d10);
        assert_int_equal(get_status(host_a.port, path, tok[2]), 200);
    }
    clock_gettime(CLOCK_MONOTONIC, &t0);
    th_httpd_graceful(&host_a, DB, "CAPACITY=50 LOOKUP_CACHE_MS=5000", NULL);
    th_thread_client_done();            /* a new connection, to a new child */
    before = th_app_statements(db, DB);
    for (i = 0; i < 3; ++i) {
        snprintf(path, sizeof(path), fmt[i], d10);
        assert_int_equal(get_status(host_a.port, path, tok[2]), 200);
    }
    ms = ms_since(&t0);
    print_message("%lld statements for 3 lookups %lld ms after the copy was last "
                  "used, across a graceful restart\n", th_app_statements(db, DB) - before, ms);
    if (ms < 3500) {
        assert_int_equal(th_app_statements(db, DB) - before, 0);
    }
    assert_int_equal(th_errlog_count(&host_a, "TICKET041"), 2);
}

/* ---- beyond the bounds ---- */

/* D and O answer alike, 3 times over (D asking the database). */
static void expect_same(const char *path)
{
    th_resp want, got;
    int i;

    for (i = 0; i < 3; ++i) {
        get(&want, host_o.port, path, tok[1]);
        get(&got, host_d.port, path, tok[2]);
        if (got.status != want.status || strcmp(got.body, want.body) != 0) {
            fail_msg("%s: D answered %ld %.300s, the database %ld %.300s", path,
                     got.status, got.body, want.status, want.body);
        }
        th_resp_free(&want);
        th_resp_free(&got);
    }
}

/* A seat whose price a seat record cannot hold, and a catalogue of more
 * than 1,000 concerts: the database answers them, never a wrong copy
 * (and the warnings say so). */
static void test_beyond_bounds_is_the_database(void **state)
{
    char path[100];
    (void)state;

    th_db_exec(db, "INSERT INTO schedules (schedule_id, concert_id, concert_date, starts_at)"
                   " VALUES (71, 7, current_date + 10, now() + interval '10 days')");
    th_db_exec(db, "INSERT INTO seats (seat_id, schedule_id, seat_num, price) VALUES"
                   " (7101, 71, 1, 17592186044416), (7102, 71, 2, 1000)");
    snprintf(path, sizeof(path), "/concerts/7/dates/%s/seats", d10);
    sleep_ms(600);                      /* older than D's 500 ms, any copy of it */
    expect_same(path);
    assert_true(th_errlog_count(&host_d, "TICKET043") >= 1);

    th_db_exec(db, "INSERT INTO concerts (concert_id, title)"
                   " SELECT 1000 + g, 'Concert ' || g FROM generate_series(1, 1000) g");
    sleep_ms(600);
    expect_same("/concerts");
    expect_same("/concerts/9/dates");
    expect_same("/concerts/1999/dates");
    assert_true(th_errlog_count(&host_d, "TICKET042") >= 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_copy_answers_as_the_database),
        cmocka_unit_test(test_steady_state_statements),
        cmocka_unit_test(test_hold_here_at_once_there_within),
        cmocka_unit_test(test_stale_list_never_decides),
        cmocka_unit_test(test_token_ended_elsewhere_browses_briefly),
        cmocka_unit_test(test_token_ended_elsewhere_never_holds_or_pays),
        cmocka_unit_test(test_token_gone),
        cmocka_unit_test(test_readers_race_holds),
        cmocka_unit_test(test_off_is_the_database),
        cmocka_unit_test(test_graceful_restart_keeps_copy),
        cmocka_unit_test(test_beyond_bounds_is_the_database),
    };
    return cmocka_run_group_tests_name("lookup_cache", tests, setup, teardown);
}
