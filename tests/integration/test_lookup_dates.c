/* test_lookup_dates.c: the dates' free seats in the lookups' copy come
 * from the seat counts (sql/012_seat_counts.sql,
 * sql/functions/35_seat_counts.sql), not from counting every seat:
 *
 *   - ticket_free_seats() counts what counting every seat counts, while
 *     writes of every kind (holds, bookings, new, deleted and moved seats,
 *     schedules that start) race the folds, and at every fold's mark;
 *   - a database of the version before (011) migrates with its counts;
 *   - GET /concerts/:id/dates from the copy stays exact (as the database
 *     answers, and as counting the seats says) through holds here and
 *     through another host, a hold's end by the clock, a payment and a
 *     catalogue load;
 *   - with 120,000 seats, 50,000 of them held, the dates cost at most
 *     0.01 statements each in steady state, and the catalogue's statement
 *     reads a few blocks per schedule, not the seats' (counting them read
 *     about 2,500 a call here).
 *
 * Hosts: D with the copy (TicketLookupCacheMs 500, the default), O with
 * none (the database; its holds last 3 s). No assertion on time: where
 * another host's write must show, the test waits longer than
 * TicketLookupCacheMs, past which no copy answers. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "harness.h"
#include "../text_util.h"

#define DB "itest_lookup_dates"
#define DB_OLD "itest_lookup_dates_old"
#define USERS 12
#define BIG_SCHEDULES 40
#define BIG_SEATS 3000              /* each: 120,000 in all */
#define BIG_HELD 1250               /* each: 50,000 in all */
#define OLD_HOLD_S 3                /* O's TicketHoldTTL */

static th_httpd host_d, host_o;
static PGconn *db;
static th_token tok[USERS + 1];
static char d10[16], d11[16];

/* Concert 1: schedules 11 and 12 (seats 1101-1140, 1201-1240, section A),
 * starting at 19:00 UTC of their dates, as a catalogue file can say;
 * concert 2: 40 schedules of 3,000 seats, the first 1,250 of each held
 * for an hour (by SQL: no ticket); concert 3: 10 schedules of 100 seats
 * that the racing writes use. */
static void insert_sale(void)
{
    th_db_exec(db, "INSERT INTO concerts (concert_id, title) VALUES"
                   " (1, 'Small Hall'), (2, 'Big Arena'), (3, 'Race Track')");
    th_db_exec(db, "INSERT INTO schedules (schedule_id, concert_id, concert_date, starts_at,"
                   "                       time_zone)"
                   " SELECT 10 + k, 1, current_date + 9 + k,"
                   "        (current_date + 9 + k + time '19:00') AT TIME ZONE 'UTC', 'UTC'"
                   "   FROM generate_series(1, 2) k"
                   " UNION ALL SELECT 2000 + k, 2, current_date + 20 + k,"
                   "        now() + (20 + k) * interval '1 day', NULL"
                   "   FROM generate_series(1, %d) k"
                   " UNION ALL SELECT 300 + k, 3, current_date + 10 + k,"
                   "        now() + (10 + k) * interval '1 day', NULL"
                   "   FROM generate_series(1, 10) k", BIG_SCHEDULES);
    th_db_exec(db, "INSERT INTO seats (seat_id, schedule_id, seat_num, price, section)"
                   " SELECT s * 100 + n, s, n, 10000, 'A'"
                   "   FROM generate_series(11, 12) s, generate_series(1, 40) n"
                   " UNION ALL SELECT s * 10000 + n, s, n, 20000, NULL"
                   "   FROM generate_series(2001, 2000 + %d) s, generate_series(1, %d) n"
                   " UNION ALL SELECT s * 1000 + n, s, n, 30000, NULL"
                   "   FROM generate_series(301, 310) s, generate_series(1, 100) n",
               BIG_SCHEDULES, BIG_SEATS);
    th_db_exec(db, "UPDATE seats SET hold_until = now() + interval '1 hour'"
                   " WHERE schedule_id > 2000 AND seat_num <= %d", BIG_HELD);
    th_db_exec(db, "ANALYZE seats");
}

static int setup(void **state)
{
    int u;
    (void)state;

    th_db_create(DB, USERS);
    db = th_db_connect(DB);
    insert_sale();
    th_db_text(db, d10, sizeof(d10), "SELECT to_char(current_date + 10, 'YYYY-MM-DD')");
    th_db_text(db, d11, sizeof(d11), "SELECT to_char(current_date + 11, 'YYYY-MM-DD')");
    th_httpd_start(&host_d, DB, "CAPACITY=50", NULL);
    th_httpd_start(&host_o, DB, "CAPACITY=50 LOOKUP_CACHE_MS=0 HOLD_TTL=3", NULL);
    th_admit_many(host_d.port, 1, USERS, &tok[1]);
    for (u = 1; u <= USERS; ++u) {
        assert_true(th_wait_status(host_o.port, tok[u], "service", 15));
    }
    return 0;
}

static int teardown(void **state)
{
    th_httpd *const hosts[] = {&host_d, &host_o, NULL};
    (void)state;
    th_suite_stop_all(hosts, &db, NULL);
    return 0;
}

/* ---- helpers ---- */

static void sleep_ms(long ms)
{
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
}

/* Longer than TicketLookupCacheMs: no copy from before answers. */
static void past_the_window(void)
{
    sleep_ms(700);
}

/* In one statement (one snapshot, one now()): the bookable schedules
 * (of the schedules SQL condition on s) where ticket_free_seats() and
 * counting the seats disagree, on the free seats or the next end of a
 * live hold, and whether it lists exactly the bookable ones. */
#define WRONG_COUNTS \
    "SELECT (SELECT count(*) FROM ticket_free_seats() f" \
    "          JOIN schedules s USING (schedule_id)" \
    "          JOIN LATERAL (SELECT count(*) FILTER (WHERE st.hold_until IS NULL" \
    "                                  OR st.hold_until <= now()) AS free," \
    "                               min(st.hold_until) FILTER (WHERE st.hold_until > now())" \
    "                                 AS next_end" \
    "                          FROM seats st WHERE st.schedule_id = f.schedule_id" \
    "                           AND st.booked_ticket_id IS NULL) b ON true" \
    "         WHERE (%s) AND (f.free_seats, f.next_end) IS DISTINCT FROM (b.free, b.next_end))" \
    "     + abs((SELECT count(*) FROM ticket_free_seats() f JOIN schedules s USING (schedule_id)" \
    "             WHERE %s)" \
    "         - (SELECT count(*) FROM schedules s WHERE s.starts_at > now() AND (%s)))"

static long long wrong_counts(PGconn *c, const char *schedules)
{
    return th_db_scalar(c, WRONG_COUNTS, schedules, schedules, schedules);
}

/* The free seats of a schedule, by counting them. */
static long long seats_free(long long schedule)
{
    return th_db_scalar(db, "SELECT count(*) FROM seats WHERE schedule_id = %lld"
                            " AND ticket_seat_is_free(booked_ticket_id, hold_until, now())",
                        schedule);
}

static void get(th_resp *r, int port, const char *path, const char *token)
{
    assert_int_equal(th_client_http(th_thread_client(), r, port, "GET", path, token,
                                     NULL), 0);
    if (r->status != 200) {
        fail_msg("GET %s: %ld %s", path, r->status, r->body);
    }
}

/* D's dates of the concert are the database's (O's), byte for byte, and
 * each count is what counting the seats says; and the counts are right
 * for every bookable schedule. */
static void expect_dates_exact(long long concert)
{
    char path[64];
    th_resp copy, want;
    json_object *list;
    size_t i;

    snprintf(path, sizeof(path), "/concerts/%lld/dates", concert);
    get(&copy, host_d.port, path, tok[1]);
    get(&want, host_o.port, path, tok[1]);
    if (strcmp(copy.body, want.body) != 0) {
        fail_msg("%s: the copy answered %.600s, the database %.600s", path, copy.body,
                 want.body);
    }
    list = th_array(&copy, "schedules");
    for (i = 0; i < json_object_array_length(list); ++i) {
        json_object *s = json_object_array_get_idx(list, i);
        long long id = th_obj_int(s, "scheduleId");
        if (th_obj_int(s, "availableSeats") != seats_free(id)) {
            fail_msg("%s: schedule %lld has %lld free seats in the copy, %lld counted",
                     path, id, th_obj_int(s, "availableSeats"), seats_free(id));
        }
    }
    th_resp_free(&copy);
    th_resp_free(&want);
    assert_int_equal(wrong_counts(db, "true"), 0);
}

static long long dates_free(int port, long long concert, long long schedule)
{
    return th_dates_free(port, concert, schedule, tok[1]);
}

/* user holds seat of schedule through port: its ticket */
static long long hold(int port, int user, long long concert, long long schedule,
                      long long seat)
{
    char body[64];
    th_resp r;
    long long ticket;

    snprintf(body, sizeof(body), "{\"userId\": %d}", user);
    th_hold(&r, port, concert, schedule, seat, tok[user], body);
    if (r.status != 200) {
        fail_msg("hold of seat %lld: %ld %s", seat, r.status, r.body);
    }
    ticket = th_int(&r, "ticketId");
    th_resp_free(&r);
    return ticket;
}

static void post_ok(int port, const char *method, const char *path, const char *token,
                    const char *body)
{
    th_resp r;

    assert_int_equal(th_http(&r, port, method, path, token, body), 0);
    if (r.status != 200) {
        fail_msg("%s %s: %ld %s", method, path, r.status, r.body);
    }
    th_resp_free(&r);
}

/* ---- the counts against counting the seats, writes racing folds ---- */

#define WRITERS 4
#define WRITES 400
#define CHECK_RACE "s.concert_id = 3"

/* One random write to concert 3's seats or schedules (most to three of
 * them, so that the others are often quiet since the last fold), of the
 * kinds README's ops and the functions make, and some they do not (a
 * seat unbooked, moved, deleted), each a statement the triggers see. */
static const char RACE_WRITE[] =
    "CREATE FUNCTION race_write() RETURNS void LANGUAGE plpgsql AS $$\n"
    "DECLARE\n"
    "    r double precision := random();\n"
    "    v_schedule bigint := CASE WHEN random() < 0.8 THEN 301 + floor(random() * 3)::bigint\n"
    "                              ELSE 301 + floor(random() * 10)::bigint END;\n"
    "    v_seat bigint := (SELECT seat_id FROM seats WHERE schedule_id = v_schedule\n"
    "                      ORDER BY random() LIMIT 1);\n"
    "    v_ticket bigint;\n"
    "BEGIN\n"
    "    IF r < 0.35 THEN        -- a hold of a free seat, ending within 1.5 s or in an hour\n"
    "        UPDATE seats SET hold_until = clock_timestamp() + CASE WHEN random() < 0.5\n"
    "               THEN random() * interval '1.5 s' ELSE interval '1 hour' END\n"
    "         WHERE seat_id = v_seat AND booked_ticket_id IS NULL\n"
    "           AND (hold_until IS NULL OR hold_until <= clock_timestamp());\n"
    "    ELSIF r < 0.50 THEN     -- a booking, held or not\n"
    "        INSERT INTO tickets (seat_id, user_id, price, hold_until)\n"
    "        VALUES (v_seat, 1, 30000, clock_timestamp()) RETURNING ticket_id INTO v_ticket;\n"
    "        UPDATE seats SET booked_ticket_id = v_ticket, hold_until = NULL\n"
    "         WHERE seat_id = v_seat AND booked_ticket_id IS NULL;\n"
    "    ELSIF r < 0.56 THEN     -- unbooked, maybe held\n"
    "        UPDATE seats SET booked_ticket_id = NULL, hold_until = CASE\n"
    "               WHEN random() < 0.5 THEN clock_timestamp() + interval '1 s' END\n"
    "         WHERE seat_id = v_seat;\n"
    "    ELSIF r < 0.64 THEN     -- new seats: free, held, held and ended\n"
    "        INSERT INTO seats (schedule_id, seat_num, price, hold_until)\n"
    "        SELECT v_schedule, 1000 + floor(random() * 1000000)::integer, 30000, CASE\n"
    "               WHEN random() < 0.3 THEN clock_timestamp() + random() * interval '2 s'\n"
    "               WHEN random() < 0.3 THEN clock_timestamp() - interval '1 s' END\n"
    "          FROM generate_series(1, 1 + floor(random() * 5)::integer)\n"
    "        ON CONFLICT DO NOTHING;\n"
    "    ELSIF r < 0.70 THEN     -- a seat deleted\n"
    "        DELETE FROM seats st WHERE st.seat_id = v_seat\n"
    "           AND NOT EXISTS (SELECT 1 FROM tickets t WHERE t.seat_id = st.seat_id);\n"
    "    ELSIF r < 0.76 THEN     -- a seat moved to another schedule\n"
    "        UPDATE seats SET schedule_id = 301 + floor(random() * 10)::bigint,\n"
    "               seat_num = 2000000 + floor(random() * 1000000)::integer\n"
    "         WHERE seat_id = v_seat;\n"
    "    ELSIF r < 0.82 THEN     -- many holds in one statement\n"
    "        UPDATE seats SET hold_until = clock_timestamp() + random() * interval '1 s'\n"
    "         WHERE schedule_id = v_schedule AND seat_num % 7 = floor(random() * 7)::integer\n"
    "           AND booked_ticket_id IS NULL;\n"
    "    ELSIF r < 0.85 THEN     -- the schedule starts within 3 s, or started a second ago\n"
    "        UPDATE schedules SET starts_at = clock_timestamp() + (random() * 4 - 1) * interval '1 s'\n"
    "         WHERE schedule_id = v_schedule;\n"
    "    ELSE                    -- a write that changes no count\n"
    "        UPDATE seats SET price = price + 1 WHERE seat_id = v_seat;\n"
    "    END IF;\n"
    "EXCEPTION WHEN unique_violation OR foreign_key_violation OR not_null_violation\n"
    "                           OR deadlock_detected THEN\n"
    "    NULL;\n"
    "END\n"
    "$$";

static volatile int racing, writing;

static int exec_ok(PGconn *c, const char *sql)
{
    PGresult *res = PQexec(c, sql);
    int ok = PQresultStatus(res) == PGRES_COMMAND_OK || PQresultStatus(res) == PGRES_TUPLES_OK;

    if (!ok) {
        fprintf(stderr, "%s: %s", sql, PQerrorMessage(c));
    }
    PQclear(res);
    return ok;
}

static void *race_writes(void *arg)
{
    PGconn *c = th_db_connect(DB);
    intptr_t i, failed = 0;
    (void)arg;

    for (i = 0; i < WRITES && !failed; ++i) {
        /* two writes in one transaction, now and then three statements */
        failed = !exec_ok(c, i % 5 ? "SELECT race_write(); SELECT race_write()"
                                   : "BEGIN; SELECT race_write(); SELECT race_write();"
                                     " SELECT race_write(); COMMIT");
    }
    PQfinish(c);
    __atomic_sub_fetch(&writing, 1, __ATOMIC_RELEASE);
    return (void *)failed;
}

/* Folds as ticket_admit's do (one at a time, each snapshot after the one
 * before committed), one in five to a mark up to a second ahead or back. */
static void *race_folds(void *arg)
{
    PGconn *c = th_db_connect(DB);
    intptr_t folds = 0;
    (void)arg;

    while (__atomic_load_n(&racing, __ATOMIC_ACQUIRE)) {
        if (!exec_ok(c, "BEGIN; SELECT pg_advisory_xact_lock(120112302568556);"
                        " SELECT seat_counts_fold(clock_timestamp() + CASE WHEN random() < 0.8"
                        "        THEN interval '0' ELSE (random() * 2 - 1) * interval '1 s' END);"
                        " COMMIT")) {
            folds = -1;
            break;
        }
        ++folds;
        sleep_ms(20);
    }
    PQfinish(c);
    return (void *)folds;
}

static void test_counts_race_writes_and_folds(void **state)
{
    pthread_t w[WRITERS], f;
    PGconn *check;
    long long wrong = 0, checks = 0;
    void *got;
    intptr_t i, folds;
    (void)state;

    assert_true(exec_ok(db, RACE_WRITE));
    check = th_db_connect(DB);
    racing = 1;
    writing = WRITERS;
    pthread_create(&f, NULL, race_folds, NULL);
    for (i = 0; i < WRITERS; ++i) {
        pthread_create(&w[i], NULL, race_writes, NULL);
    }
    /* checks meanwhile: in one statement, and twice in one snapshot */
    while (__atomic_load_n(&writing, __ATOMIC_ACQUIRE) > 0) {
        wrong += wrong_counts(check, CHECK_RACE);
        th_db_exec(check, "BEGIN ISOLATION LEVEL REPEATABLE READ");
        wrong += wrong_counts(check, CHECK_RACE);
        sleep_ms(30);
        wrong += wrong_counts(check, CHECK_RACE);
        th_db_exec(check, "COMMIT");
        checks += 3;
    }
    for (i = 0; i < WRITERS; ++i) {
        pthread_join(w[i], &got);
        assert_null(got);
    }
    __atomic_store_n(&racing, 0, __ATOMIC_RELEASE);
    pthread_join(f, &got);
    folds = (intptr_t)got;
    assert_true(folds > 0);
    wrong += wrong_counts(check, CHECK_RACE);
    PQfinish(check);
    print_message("%d writers x %d transactions, %ld folds, %lld checks: %lld wrong "
                  "counts; %lld seats, %lld changes not folded\n", WRITERS, WRITES,
                  (long)folds, checks, wrong,
                  th_db_scalar(db, "SELECT count(*) FROM seats WHERE schedule_id > 300"
                                   " AND schedule_id <= 310"),
                  th_db_scalar(db, "SELECT count(*) FROM seat_count_changes"));
    assert_int_equal(wrong, 0);
    assert_int_equal(wrong_counts(db, "true"), 0);
}

/* ---- a database of the version before migrates with its counts ---- */

/* Applies sql/NNN_*.sql up to 011 as migrate.sh does, without it. */
static void migrate_to_011(PGconn *c)
{
    static const char *const versions[] = {"001_schema", "003_holds", "004_money",
        "005_queue_view", "006_identity", "007_sweep", "008_gaps", "009_catalogue",
        "010_operator", "011_prequeue", NULL};
    char path[300];
    int i;

    th_db_exec(c, "SET ROLE ticket_owner");
    th_db_exec(c, "CREATE TABLE schema_migrations (version text PRIMARY KEY,"
                  " applied_at timestamptz NOT NULL DEFAULT now())");
    for (i = 0; versions[i]; ++i) {
        char *sql;
        PGresult *res;

        snprintf(path, sizeof(path), "%s/sql/%s.sql", th_env("TK_ROOT"), versions[i]);
        sql = tk_slurp(path);
        res = PQexec(c, sql);
        if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK) {
            fail_msg("%s: %s", versions[i], PQerrorMessage(c));
        }
        PQclear(res);
        free(sql);
        th_db_exec(c, "INSERT INTO schema_migrations (version) VALUES ('%s')", versions[i]);
    }
    th_db_exec(c, "RESET ROLE");
}

/* Seats free, held (live, ended), booked, in schedules bookable and
 * started, at 011; then make migrate: every count right at once. */
static void test_migration_counts_what_there_is(void **state)
{
    PGconn *old;
    char out[4096];
    (void)state;

    th_db_create_bare(DB_OLD);
    old = th_db_connect(DB_OLD);
    migrate_to_011(old);
    th_db_exec(old, "INSERT INTO users (user_id, user_name) VALUES (1, 'one')");
    th_db_exec(old, "INSERT INTO concerts (concert_id, title) VALUES (1, 'Before')");
    th_db_exec(old, "INSERT INTO schedules (schedule_id, concert_id, concert_date, starts_at)"
                    " SELECT 10 + k, 1, current_date + k, now() + k * interval '1 day'"
                    "   FROM generate_series(-1, 4) k");
    th_db_exec(old, "INSERT INTO seats (schedule_id, seat_num, price, hold_until)"
                    " SELECT s, n, 1000, CASE n %% 4 WHEN 1 THEN now() + interval '1 hour'"
                    "                    WHEN 2 THEN now() - interval '1 minute' END"
                    "   FROM generate_series(9, 13) s, generate_series(1, 50) n");
    th_db_exec(old, "WITH t AS (INSERT INTO tickets (seat_id, user_id, price, status, hold_until)"
                    "           SELECT seat_id, 1, price, 'booked', now() FROM seats"
                    "            WHERE seat_num %% 5 = 0 RETURNING ticket_id, seat_id)"
                    " UPDATE seats st SET booked_ticket_id = t.ticket_id, hold_until = NULL"
                    "   FROM t WHERE st.seat_id = t.seat_id");
    assert_int_equal(th_script("migrate.sh", DB_OLD, NULL, out, sizeof(out)), 0);
    if (!strstr(out, "applied 012_seat_counts")) {
        fail_msg("migrate said: %s", out);
    }
    assert_int_equal(wrong_counts(old, "true"), 0);
    /* (schedule 14 has no seat; 9 and 10 started: counted too) */
    assert_int_equal(th_db_scalar(old, "SELECT count(*) FROM seat_counts"), 6);
    /* 50 seats: 10 sold, 10 held for an hour, 30 free (10 of them held
     * a minute ago) */
    assert_int_equal(th_db_scalar(old, "SELECT free_seats FROM seat_counts"
                                       " WHERE schedule_id = 11"), 30);
    assert_int_equal(th_db_scalar(old, "SELECT count(*) FROM seat_count_changes"), 0);
    PQfinish(old);
}

/* ---- the dates from the copy ---- */

/* Holds through D show in D's counts at once, exactly; a hold through O
 * once the window has passed (while the database still has it live). */
static void test_dates_exact_through_holds(void **state)
{
    long long before = seats_free(11), seat, free_seats;
    (void)state;

    expect_dates_exact(1);
    for (seat = 1101; seat <= 1103; ++seat) {
        hold(host_d.port, 2, 1, 11, seat);
        assert_int_equal(dates_free(host_d.port, 1, 11), before - (seat - 1100));
    }
    expect_dates_exact(1);
    hold(host_o.port, 3, 1, 12, 1201);      /* ends in 3 s: the next test's */
    past_the_window();
    free_seats = dates_free(host_d.port, 1, 12);
    if (th_db_scalar(db, "SELECT count(*) FROM seats WHERE seat_id = 1201"
                         " AND hold_until > now()") == 1) {
        assert_int_equal(free_seats, 39);
    }
    else {
        print_message("O's hold ended before D was asked (a slow machine)\n");
    }
}

static int hold_ended(void *arg)
{
    return th_db_scalar(db, "SELECT count(*) FROM seats WHERE seat_id = %lld"
                            " AND hold_until <= now()", *(long long *)arg) == 1;
}

static int marked_after_hold(void *arg)
{
    return th_db_scalar(db, "SELECT count(*) FROM seat_counts c JOIN seats st"
                            "  USING (schedule_id) WHERE st.seat_id = %lld"
                            "   AND c.marked_at > st.hold_until", *(long long *)arg) == 1;
}

static int folded(void *arg)
{
    return th_db_scalar(db, "SELECT count(*) FROM seat_count_changes"
                            " WHERE schedule_id = %lld", *(long long *)arg) == 0;
}

/* O's hold of seat 1201 ends by the clock: nothing is written, and D's
 * count gives the seat back, exactly; before a fold has moved the
 * schedule's mark past the hold's end, and after. (D counts a hold to an
 * end it measured from when its statement returned, never before the
 * database: the test looks past the window.) */
static void test_dates_exact_through_a_hold_ending(void **state)
{
    long long seat = 1201;
    (void)state;

    assert_true(th_wait_until(hold_ended, &seat, OLD_HOLD_S + 10));
    past_the_window();
    assert_int_equal(dates_free(host_d.port, 1, 12), 40);
    expect_dates_exact(1);
    assert_true(th_wait_until(marked_after_hold, &seat, 15));
    assert_int_equal(dates_free(host_d.port, 1, 12), 40);
    expect_dates_exact(1);
}

/* A seat held and paid for through D stays out of D's count (sold, not
 * held), exactly. */
static void test_dates_exact_through_a_payment(void **state)
{
    long long before = seats_free(12), ticket, schedule = 12;
    char body[128];
    (void)state;

    ticket = hold(host_d.port, 4, 1, 12, 1210);
    assert_int_equal(dates_free(host_d.port, 1, 12), before - 1);
    post_ok(host_d.port, "PATCH", "/payments/charges", tok[4],
            "{\"userId\": 4, \"amount\": 10000}");
    snprintf(body, sizeof(body), "{\"userId\": 4, \"ticketId\": %lld}", ticket);
    post_ok(host_d.port, "POST", "/payments/pays", tok[4], body);
    assert_int_equal(th_db_scalar(db, "SELECT count(*) FROM seats WHERE seat_id = 1210"
                                      " AND booked_ticket_id = %lld", ticket), 1);
    assert_int_equal(dates_free(host_d.port, 1, 12), before - 1);
    expect_dates_exact(1);
    assert_true(th_wait_until(folded, &schedule, 15));
    assert_int_equal(dates_free(host_d.port, 1, 12), before - 1);
    expect_dates_exact(1);
}

/* make catalogue adds seats 41-60 to schedule 11 (whose held seats stay
 * as they are) and a schedule 13: D's dates count them once the window
 * has passed, exactly. */
static void test_dates_exact_through_a_catalogue_load(void **state)
{
    char file[600], d12[16], out[4096];
    long long before = seats_free(11);
    FILE *f;
    (void)state;

    th_db_text(db, d12, sizeof(d12), "SELECT to_char(current_date + 12, 'YYYY-MM-DD')");
    snprintf(file, sizeof(file), "%s/lookup-dates.json", th_env("TK_TMP"));
    f = fopen(file, "w");
    assert_non_null(f);
    fprintf(f, "{\"concerts\": [{\"concertId\": 1, \"title\": \"Small Hall\", \"schedules\": [\n"
               "  {\"scheduleId\": 11, \"date\": \"%s\", \"startsAt\": \"%sT19:00:00Z\",\n"
               "   \"timeZone\": \"UTC\", \"sections\": [\n"
               "     {\"name\": \"A\", \"price\": 10000, \"seats\": [1, 60]}]},\n"
               "  {\"scheduleId\": 13, \"date\": \"%s\", \"startsAt\": \"%sT19:00:00Z\",\n"
               "   \"timeZone\": \"UTC\", \"sections\": [\n"
               "     {\"name\": \"A\", \"price\": 10000, \"seats\": [1, 30]}]}]}]}\n",
            d10, d10, d12, d12);
    fclose(f);
    assert_int_equal(dates_free(host_d.port, 1, 13), 0);
    if (th_script("catalogue.sh", DB, file, out, sizeof(out)) != 0) {
        fail_msg("the catalogue was not loaded: %s", out);
    }
    past_the_window();
    assert_int_equal(dates_free(host_d.port, 1, 11), before + 20);
    assert_int_equal(dates_free(host_d.port, 1, 13), 30);
    expect_dates_exact(1);
}

/* ---- steady state: 120,000 seats, 50,000 held ---- */

#define READERS 4
#define READS 1500

static void *read_dates(void *arg)
{
    const char *token = tok[5 + (int)(intptr_t)arg];
    th_resp r;
    int i;

    for (i = 0; i < READS; ++i) {
        if (th_client_http(th_thread_client(), &r, host_d.port, "GET", "/concerts/2/dates",
                           token, NULL) != 0 || r.status != 200) {
            return (void *)1;
        }
        th_resp_free(&r);
    }
    th_thread_client_done();
    return NULL;
}

static void test_steady_state_statements_with_many_seats(void **state)
{
    pthread_t t[READERS];
    long long before, after, blocks, bookable;
    void *failed;
    double per;
    intptr_t i;
    (void)state;

    assert_int_equal(th_db_scalar(db, "SELECT count(*) FROM seats s JOIN schedules USING"
                                      " (schedule_id) WHERE concert_id = 2"),
                     BIG_SCHEDULES * BIG_SEATS);
    expect_dates_exact(2);
    /* the tokens known, the copy there */
    for (i = 0; i < READERS; ++i) {
        pthread_create(&t[i], NULL, read_dates, (void *)i);
        pthread_join(t[i], NULL);
    }
    before = th_app_statements(db, DB);
    for (i = 0; i < READERS; ++i) {
        pthread_create(&t[i], NULL, read_dates, (void *)i);
    }
    for (i = 0; i < READERS; ++i) {
        pthread_join(t[i], &failed);
        assert_null(failed);
    }
    after = th_app_statements(db, DB);
    per = (double)(after - before) / (READERS * READS);
    print_message("%d GET /concerts/2/dates (%d schedules, %d seats, %d held): %lld "
                  "statements, %.4f per request\n", READERS * READS, BIG_SCHEDULES,
                  BIG_SCHEDULES * BIG_SEATS, BIG_SCHEDULES * BIG_HELD, after - before, per);
    blocks = th_db_scalar(db, "SELECT sum(shared_blks_hit + shared_blks_read) / sum(calls)"
                              "  FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid"
                              " WHERE d.datname = '%s' AND s.userid = 'ticket'::regrole"
                              "   AND s.query LIKE '%%AS kind%%'", DB);
    bookable = th_db_scalar(db, "SELECT count(*) FROM schedules WHERE starts_at > now()");
    print_message("the catalogue's statement: %lld blocks a call, for %lld bookable "
                  "schedules\n", blocks, bookable);
    assert_true(per <= 0.01);
    assert_true(blocks <= 10 * bookable);
    expect_dates_exact(2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dates_exact_through_holds),
        cmocka_unit_test(test_dates_exact_through_a_hold_ending),
        cmocka_unit_test(test_dates_exact_through_a_payment),
        cmocka_unit_test(test_dates_exact_through_a_catalogue_load),
        cmocka_unit_test(test_steady_state_statements_with_many_seats),
        cmocka_unit_test(test_counts_race_writes_and_folds),
        cmocka_unit_test(test_migration_counts_what_there_is),
    };
    return cmocka_run_group_tests_name("lookup_dates", tests, setup, teardown);
}
