/* test_prequeue.c: TicketSaleStart (openapi.yaml, README "TicketSaleStart").
 * 1,000 users enter before the start, in an order unlike their user ids,
 * through two hosts of one database; before the start every poll answers
 * without a position, with the countdown; at the start they are put in
 * one random order, the same on both hosts, that the admission follows
 * and that the module's C core (tk_shuffle) predicts from the database's
 * key; those who enter after the start wait behind all of them; and no
 * waiting poll makes a database statement, before or after. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "harness.h"
#include "tk_shuffle.h"

#define DB "itest_prequeue"
#define EARLY 1000              /* entrants before the start */
#define LATE 5                  /* after it */
#define CAPACITY 10
#define LEAD 12                 /* seconds from the start of the test to the sale's */

static th_httpd a, b;
static PGconn *db;
static th_token tokens[EARLY + LATE + 1];      /* by user id */
static long long seqs[EARLY + LATE + 1];
static time_t sale_start;

static int setup(void **state)
{
    char knobs[256], start[32];
    (void)state;

    th_db_create(DB, EARLY + LATE);
    db = th_db_connect(DB);
    sale_start = time(NULL) + LEAD;
    strftime(start, sizeof(start), "%Y-%m-%dT%H:%M:%SZ", gmtime(&sale_start));
    snprintf(knobs, sizeof(knobs), "CAPACITY=%d SERVICE_TTL=600 ADVANCE_INTERVAL=1 "
             "SALE_START=%s", CAPACITY, start);
    th_httpd_start(&a, DB, knobs, NULL);
    th_httpd_start(&b, DB, knobs, NULL);
    return 0;
}

static int teardown(void **state)
{
    th_httpd *const hosts[] = {&a, &b, NULL};
    (void)state;
    th_suite_stop_all(hosts, &db, NULL);
    return 0;
}

/* The pre-queue's answer: no position, how many entered, the countdown. */
static void assert_prequeue_answer(const th_resp *r)
{
    long long eta = th_int(r, "etaSeconds");

    assert_int_equal(r->status, 200);
    assert_string_equal(th_str(r, "tokenStatus"), "wait");
    assert_true(th_has(r, "position") && th_is_null(r, "position"));
    assert_true(th_int(r, "waitingCount") >= 1);
    if (eta < 0 || eta > LEAD) {
        fail_msg("etaSeconds %lld before a start at most %d s away", eta, LEAD);
    }
    assert_true(th_int(r, "pollAfterMs") >= 1000 && th_int(r, "pollAfterMs") <= 30000);
    assert_string_equal(th_str(r, "message"), "판매 시작 전입니다.");
}

static void enter(int user)
{
    th_resp r;
    char body[64];

    snprintf(body, sizeof(body), "{\"userId\": %d}", user);
    assert_int_equal(th_http(&r, user % 2 ? a.port : b.port, "POST", "/queues", NULL, body), 0);
    if (user <= EARLY) {
        assert_prequeue_answer(&r);
    }
    snprintf(tokens[user], sizeof(tokens[user]), "%s", th_str(&r, "userToken"));
    th_resp_free(&r);
}

static long long position_on(const th_httpd *h, int user)
{
    th_resp r;
    long long p;

    assert_int_equal(th_http(&r, h->port, "GET", "/queues", tokens[user], NULL), 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(th_str(&r, "tokenStatus"), "wait");
    p = th_int(&r, "position");
    th_resp_free(&r);
    return p;
}

static int shuffled(void *arg)
{
    (void)arg;
    return th_db_scalar(db, "SELECT shuffle_size FROM queue_state") > 0
           && th_in_service(db, NULL) == CAPACITY;
}

/* The values of v[0..n) (distinct) replaced by their ranks, 1..n. */
static void to_ranks(long long *v, int n)
{
    static long long copy[EARLY];
    int i, j;

    memcpy(copy, v, sizeof(*v) * (size_t)n);
    for (i = 0; i < n; ++i) {
        long long below = 0;
        for (j = 0; j < n; ++j) {
            below += copy[j] < copy[i];
        }
        v[i] = below + 1;
    }
}

/* Spearman's rank correlation of x and y (ranks 1..n each, no ties). */
static double spearman(const long long *rx, const long long *ry, int n)
{
    double d2 = 0;
    int i;

    for (i = 0; i < n; ++i) {
        d2 += (double)(rx[i] - ry[i]) * (double)(rx[i] - ry[i]);
    }
    return 1.0 - 6.0 * d2 / ((double)n * ((double)n * n - 1));
}

static void test_prequeue_shuffled(void **state)
{
    static long long place_of[EARLY + 1], arrival_rank[EARLY], user_rank[EARLY],
                     pos_rank[EARLY];
    static char seen[EARLY + 1];
    unsigned char key[TK_SHUFFLE_KEY_BYTES];
    char hex[64];
    long long before, base, p;
    int k, user, n = 0;
    double rho_arrival, rho_user;
    (void)state;

    /* enter in an order unlike the ids: k * 379 mod 1000 */
    for (k = 0; k < EARLY; ++k) {
        enter((int)((k * 379LL) % EARLY) + 1);
    }
    assert_true(time(NULL) < sale_start - 1);   /* (the test is not too slow) */
    before = th_app_statements(db, DB);
    for (user = 1; user <= EARLY; user += 37) {
        th_resp r;
        assert_int_equal(th_http(&r, user % 3 ? a.port : b.port, "GET", "/queues",
                                 tokens[user], NULL), 0);
        assert_prequeue_answer(&r);
        th_resp_free(&r);
    }
    assert_int_equal(th_db_scalar(db, "SELECT count(*) FROM queue_tokens WHERE admitted_at IS NOT NULL"), 0);

    while (time(NULL) <= sale_start) {
        usleep(200000);
    }
    assert_true(th_wait_until(shuffled, NULL, 15));
    for (user = EARLY + 1; user <= EARLY + LATE; ++user) {
        enter(user);
    }
    sleep(2);                   /* both hosts' snapshots carry the shuffle */

    /* the database's key and base: the C core predicts every place */
    th_db_text(db, hex, sizeof(hex), "SELECT encode(shuffle_key, 'hex') FROM queue_state");
    assert_int_equal(tk_shuffle_key_from_hex(hex, key), 0);
    base = th_db_scalar(db, "SELECT shuffle_base FROM queue_state");
    assert_int_equal(th_db_scalar(db, "SELECT shuffle_size FROM queue_state"), EARLY);
    for (user = 1; user <= EARLY + LATE; ++user) {
        seqs[user] = th_db_scalar(db, "SELECT seq FROM queue_tokens WHERE user_id = %d", user);
    }
    for (user = 1; user <= EARLY; ++user) {
        place_of[user] = tk_shuffle_place(key, EARLY, seqs[user] - base - 1);
        assert_true(place_of[user] >= 0);
        /* the first CAPACITY places are the ones admitted */
        assert_int_equal(th_db_scalar(db, "SELECT count(*) FROM queue_tokens"
                                          " WHERE user_id = %d AND state = 'service'", user),
                         place_of[user] < CAPACITY);
    }
    before = th_app_statements(db, DB);
    before = before < 0 ? 0 : before;
    memset(seen, 0, sizeof(seen));
    for (user = 1; user <= EARLY; ++user) {
        if (place_of[user] < CAPACITY) {
            continue;
        }
        p = position_on(&a, user);
        assert_int_equal(p, place_of[user] - CAPACITY + 1);
        assert_int_equal(position_on(&b, user), p);     /* the same on both hosts */
        assert_true(p >= 1 && p <= EARLY - CAPACITY && !seen[p]);
        seen[p] = 1;
        arrival_rank[n] = seqs[user];
        user_rank[n] = user;
        pos_rank[n] = p;
        ++n;
    }
    assert_int_equal(n, EARLY - CAPACITY);          /* no place twice, none skipped */
    for (user = EARLY + 1; user <= EARLY + LATE; ++user) {
        assert_int_equal(position_on(&a, user), EARLY - CAPACITY + (user - EARLY));
    }
    assert_int_equal(th_app_statements(db, DB), before);    /* 0 per waiting poll */

    to_ranks(arrival_rank, n);
    to_ranks(user_rank, n);
    rho_arrival = spearman(arrival_rank, pos_rank, n);
    rho_user = spearman(user_rank, pos_rank, n);
    printf("rank correlation with arrival %.3f, with user id %.3f (n = %d)\n",
           rho_arrival, rho_user, n);
    assert_true(fabs(rho_arrival) < 0.1 && fabs(rho_user) < 0.1);

    /* the next ten admitted are the next ten places */
    th_db_exec(db, "UPDATE queue_tokens SET expires_at = clock_timestamp()"
                   " WHERE state = 'service'");
    assert_true(th_wait_in_service(db, "admitted_at > clock_timestamp() - interval '20 s'"
                                       " AND expires_at > clock_timestamp()", CAPACITY, 15));
    for (user = 1; user <= EARLY; ++user) {
        if (place_of[user] >= CAPACITY && place_of[user] < 2 * CAPACITY) {
            assert_int_equal(th_db_scalar(db, "SELECT count(*) FROM queue_tokens"
                                              " WHERE user_id = %d AND state = 'service'"
                                              "   AND expires_at > clock_timestamp()", user), 1);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prequeue_shuffled),
    };
    return cmocka_run_group_tests_name("prequeue", tests, setup, teardown);
}
