/* test_failover.c: the failover drill. A primary and its synchronous
 * standby (scripts/failover-clusters.sh: nodes 1 and 2, two clusters with
 * durable settings and streaming replication), and an Apache whose
 * DBDParams name both with target_session_attrs=read-write. Under a load
 * of charges, holds, payments and reads from several threads, the primary
 * crashes (pg_ctl -m immediate) and, 2 s later, the standby is promoted.
 *
 * What must hold: every answer is a 200 or a 503 UNAVAILABLE with
 * Retry-After (no 500, no other error), within the client's time limit
 * (none reaches it); writes get 200 again by themselves soon after the
 * promotion (each client repeats a write that got 503, with the same
 * Idempotency-Key, until it gets 200); every charge, hold and payment
 * that got 200 is in the new primary, nothing else is, and the money and
 * booking invariants hold there; the new primary has no
 * synchronous_standby_names (it would hang every write); a user who
 * enters after the failover is admitted by the admission job, and the
 * lookups answer. The figures (recovery time, 503s) are printed.
 *
 * Then a planned switchover back (node 1 rejoins as node 2's standby,
 * node 2 is fenced read-only, node 1 promoted), and the drill once more
 * with node 1's address a black hole after its crash (a machine gone:
 * every connection attempt waits connect_timeout there). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include "harness.h"

#define DB "itest_failover"
#define THREADS 6
#define PER_THREAD 150                  /* users (and seats) per thread, at most */
/* each drill has its users from base + 1: the buyers', then these */
#define LATE (THREADS * PER_THREAD + 1) /* enters after the failover */
#define READER (LATE + 1)               /* reads all along: seat map, balance */
#define DRILL_USERS 1000                /* users (and seats) of a drill */
#define USERS (2 * DRILL_USERS)
#define LATE_USER LATE                  /* the first drill's */
#define SWITCH_USER (READER + 1)        /* enters after the switchover */
#define CONCERT 1
#define SCHEDULE 1
/* above any answer's time: a request makes at most two connection
 * attempts (mod_dbd's check, the module's reset), each at most
 * connect_timeout (2 s) on a node that does not answer, and a statement
 * ends after 5 s (the module role's statement_timeout) */
#define CLIENT_TIMEOUT 15.0
#define RETRY_US 100000                 /* a client repeats a 503'd write after */
#define WRITE_DEADLINE 40.0             /* s: a write still not 200 fails the test */
#define OUTAGE_US 2000000               /* no primary at all, before the promotion */
#define BEFORE_S 1.5                    /* the load before the crash, s */
#define AFTER_S 2.0                     /* and after the first write 200 that follows, at
                                         * least, until every thread has made a purchase
                                         * begun after the promotion */
#define PACE_US 30000                   /* a thread's pause between purchases */
#define READ_PACE_US 20000              /* the reader's between two reads */

/* mod_dbd's own complaints while no primary answers are expected */
static const char *const allowed[] = {"[dbd:error]", NULL};

static char dir[600];                   /* the clusters' folder */
static char sock[2][700], port[2][16];  /* nodes 1 and 2, the first primary first */
static th_httpd httpd;
static PGconn *db;                      /* superuser, on the primary of the moment */
static char date[16];                   /* the schedule's date */
static char late[128];                  /* the first drill's late user's token */

/* ---- the clusters ---- */

/* scripts/failover-clusters.sh ACTION DIR [node] (start: DB): its status */
static int clusters(const char *action, int node)
{
    char cmd[2048], arg[16];

    snprintf(arg, sizeof(arg), "%d", node);
    snprintf(cmd, sizeof(cmd), "%s/scripts/failover-clusters.sh %s %s %s",
             th_env("TK_ROOT"), action, dir, !strcmp(action, "start") ? DB : node ? arg : "");
    return system(cmd);
}

/* DIR/clusters.env: P1, P2, SOCK1, SOCK2 */
static void read_env(void)
{
    char path[700], line[800];
    FILE *f;

    snprintf(path, sizeof(path), "%s/clusters.env", dir);
    f = fopen(path, "r");
    assert_non_null(f);
    while (fgets(line, sizeof(line), f)) {
        char *v = strchr(line, '=');
        if (!v) {
            continue;
        }
        *v++ = '\0';
        v[strcspn(v, "\n")] = '\0';
        if (!strcmp(line, "P1")) snprintf(port[0], sizeof(port[0]), "%s", v);
        if (!strcmp(line, "P2")) snprintf(port[1], sizeof(port[1]), "%s", v);
        if (!strcmp(line, "SOCK1")) snprintf(sock[0], sizeof(sock[0]), "%s", v);
        if (!strcmp(line, "SOCK2")) snprintf(sock[1], sizeof(sock[1]), "%s", v);
    }
    fclose(f);
    assert_true(port[0][0] && port[1][0] && sock[0][0] && sock[1][0]);
}

/* The superuser on node 1 (the first primary) or 2, database dbname. */
static PGconn *connect_node(int node, const char *dbname)
{
    int i = node - 1;
    char conninfo[2048];
    PGconn *c;

    snprintf(conninfo, sizeof(conninfo),
             "host=%s port=%s dbname=%s user=postgres passfile=%s/pgpass connect_timeout=5"
             " options=-cclient_min_messages=warning", sock[i], port[i], dbname, dir);
    c = PQconnectdb(conninfo);
    if (PQstatus(c) != CONNECTION_OK) {
        fail_msg("cannot connect to node %d: %s", node, PQerrorMessage(c));
    }
    return c;
}

static void seed(PGconn *c)
{
    th_db_exec(c, "INSERT INTO users (user_id, user_name) SELECT g, 'user' || g"
                  "  FROM generate_series(1, %d) g", USERS);
    th_db_exec(c, "SELECT setval(pg_get_serial_sequence('users', 'user_id'), %d)", USERS);
    th_db_exec(c, "INSERT INTO accounts (user_id) SELECT user_id FROM users");
    th_db_exec(c, "INSERT INTO concerts (concert_id, title) VALUES (%d, 'Failover Live')",
               CONCERT);
    th_db_exec(c, "INSERT INTO schedules (schedule_id, concert_id, concert_date, starts_at)"
                  " VALUES (%d, %d, current_date + 10, now() + interval '10 days')",
               SCHEDULE, CONCERT);
    /* seat u is user u's, at 10,000..16,000 */
    th_db_exec(c, "INSERT INTO seats (seat_id, schedule_id, seat_num, price)"
                  " SELECT g, %d, g, 1000 * (10 + g %% 7) FROM generate_series(1, %d) g",
               SCHEDULE, USERS);
    th_db_text(c, date, sizeof(date), "SELECT to_char(current_date + 10, 'YYYY-MM-DD')");
}

/* Node 1's address answered by nobody: a socket at its path that takes
 * connections into its backlog and never reads them, as a machine that is
 * gone behind an address that does not refuse (over TCP: SYNs dropped).
 * libpq waits connect_timeout there before it tries node 2. */
static int hole = -1;
static char hole_path[800];

static void black_hole(int on)
{
    struct sockaddr_un a;

    if (!on) {
        if (hole >= 0) {
            close(hole);
            unlink(hole_path);
            hole = -1;
        }
        return;
    }
    memset(&a, 0, sizeof(a));
    a.sun_family = AF_UNIX;
    snprintf(hole_path, sizeof(hole_path), "%s/.s.PGSQL.%s", sock[0], port[0]);
    assert_true(strlen(hole_path) < sizeof(a.sun_path));
    memcpy(a.sun_path, hole_path, strlen(hole_path) + 1);
    unlink(hole_path);
    hole = socket(AF_UNIX, SOCK_STREAM, 0);
    assert_true(hole >= 0);
    assert_int_equal(bind(hole, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(chmod(hole_path, 0777), 0);     /* Apache's children connect */
    assert_int_equal(listen(hole, 4096), 0);
}

/* ---- the load ---- */

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* writes, then reads: the seat map (from this host's copy while it is
 * fresh) and the balance (from the database) */
typedef enum { OP_CHARGE, OP_HOLD, OP_PAY, OP_LOOKUP, OP_BALANCE, OPS } op_kind;
#define IS_WRITE(op) ((op) < OP_LOOKUP)

#define MAX_503 4000

typedef struct {
    long long first_user;
    th_token tok[PER_THREAD];
    /* every 200 of a write, as the client saw it */
    struct { long long user, amount, point; char key[32]; } charge[PER_THREAD];
    struct { long long user, seat, ticket; } hold[PER_THREAD];
    struct { long long user, ticket, price, point; } pay[PER_THREAD];
    int charges, holds, pays;
    long ok[OPS], unavailable[OPS];
    long interrupted;                   /* writes that got a 503 before their 200 */
    long writes_after;                  /* write 200s asked after the promotion */
    long purchases_after;               /* purchases begun after the promotion */
    int out_of_users;
    double at_503[MAX_503];             /* when each 503 came */
    int n503;
    double first_write_ok;              /* the first write 200 asked after the crash */
    double slowest;                     /* the slowest answer, s */
    char bad[1024];                     /* the first answer that must not be */
} worker;

static worker workers[THREADS], reader;
static pthread_barrier_t ready;
static volatile int stop;
static volatile double crashed_at;      /* 0 until the primary is stopped */
static volatile double promoted_at;     /* 0 until the standby is promoted */
static volatile long writes_ok;         /* 200s of writes, all threads */
static volatile int finished;           /* threads done */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static volatile double first_write_ok;  /* all threads: the earliest */

/* One request on the thread's keep-alive client: its status, or -1 (a
 * timeout or no answer, noted as bad, as is any status but 200 and 503). */
static long ask(worker *w, op_kind op, th_resp *r, const char *method, const char *path,
                const char *token, const char *const *headers, const char *body)
{
    double t0 = now_s(), t1;
    int rc = th_client_http_headers(th_thread_client(), r, httpd.port, method, path,
                                    token, headers, body);

    t1 = now_s();
    if (t1 - t0 > w->slowest) {
        w->slowest = t1 - t0;
    }
    if (rc != 0) {
        if (!w->bad[0]) {
            snprintf(w->bad, sizeof(w->bad), "%s: %s after %.1f s", r->request,
                     r->timed_out ? "the client's time limit" : "no answer", t1 - t0);
        }
        return -1;
    }
    if (r->status == 200) {
        w->ok[op]++;
        if (IS_WRITE(op)) {
            __sync_fetch_and_add(&writes_ok, 1);
            w->writes_after += promoted_at > 0 && t0 > promoted_at;
            if (crashed_at > 0 && t0 > crashed_at && w->first_write_ok == 0) {
                w->first_write_ok = t1;
                pthread_mutex_lock(&lock);
                if (first_write_ok == 0 || t1 < first_write_ok) {
                    first_write_ok = t1;
                }
                pthread_mutex_unlock(&lock);
            }
        }
    }
    else if (r->status == 503 && th_str(r, "code") && !strcmp(th_str(r, "code"), "UNAVAILABLE")
             && !strcmp(r->retry_after, "2")) {
        w->unavailable[op]++;
        if (w->n503 < MAX_503) {
            w->at_503[w->n503++] = t1;
        }
    }
    else if (!w->bad[0]) {
        snprintf(w->bad, sizeof(w->bad), "%s: %ld (Retry-After '%.31s') %.300s", r->request,
                 r->status, r->retry_after, r->body);
    }
    return r->status;
}

/* A write, repeated after each 503 as a client would (the same request:
 * the same Idempotency-Key) until it answers 200: 1, with the answer in
 * r; 0 when it did not (noted as bad). */
static int write_until_ok(worker *w, op_kind op, th_resp *r, const char *method,
                          const char *path, const char *token,
                          const char *const *headers, const char *body)
{
    double until = now_s() + WRITE_DEADLINE;
    long status;

    for (int tries = 1; ; ++tries) {
        status = ask(w, op, r, method, path, token, headers, body);
        if (status == 200) {
            w->interrupted += tries > 1;
            return 1;
        }
        th_resp_free(r);
        if (status != 503 || now_s() > until) {
            if (!w->bad[0]) {
                snprintf(w->bad, sizeof(w->bad), "%s %s: no 200 within %.0f s",
                         method, path, WRITE_DEADLINE);
            }
            return 0;
        }
        usleep(RETRY_US);
    }
}

/* One user's purchase: charge the seat's price (with an Idempotency-Key),
 * hold the seat, look at the seat map, pay. */
static int purchase(worker *w, int k)
{
    long long user = w->first_user + k, seat = user, price = 1000 * (10 + seat % 7);
    int after = promoted_at > 0;
    const char *token = w->tok[k];
    char path[200], body[200], header[80];
    const char *headers[2] = {header, NULL};
    th_resp r;

    snprintf(w->charge[w->charges].key, sizeof(w->charge[0].key), "failover-%lld", user);
    snprintf(header, sizeof(header), "Idempotency-Key: %s", w->charge[w->charges].key);
    snprintf(body, sizeof(body), "{\"userId\": %lld, \"amount\": %lld}", user, price);
    if (!write_until_ok(w, OP_CHARGE, &r, "PATCH", "/payments/charges", token, headers, body)) {
        return 0;
    }
    w->charge[w->charges].user = user;
    w->charge[w->charges].amount = th_int(&r, "amount");
    w->charge[w->charges].point = th_int(&r, "point");
    w->charges++;
    th_resp_free(&r);

    snprintf(path, sizeof(path), "/concerts/%d/schedules/%d/seats/%lld/ticket",
             CONCERT, SCHEDULE, seat);
    snprintf(body, sizeof(body), "{\"userId\": %lld}", user);
    if (!write_until_ok(w, OP_HOLD, &r, "POST", path, token, NULL, body)) {
        return 0;
    }
    w->hold[w->holds].user = user;
    w->hold[w->holds].seat = seat;
    w->hold[w->holds].ticket = th_int(&r, "ticketId");
    w->holds++;
    th_resp_free(&r);

    snprintf(path, sizeof(path), "/concerts/%d/dates/%s/seats", CONCERT, date);
    ask(w, OP_LOOKUP, &r, "GET", path, token, NULL, NULL);
    th_resp_free(&r);

    snprintf(body, sizeof(body), "{\"ticketId\": %lld, \"userId\": %lld}",
             w->hold[w->holds - 1].ticket, user);
    if (!write_until_ok(w, OP_PAY, &r, "POST", "/payments/pays", token, NULL, body)) {
        return 0;
    }
    w->pay[w->pays].user = user;
    w->pay[w->pays].ticket = th_int(&r, "ticketId");
    w->pay[w->pays].price = th_int(&r, "price");
    w->pay[w->pays].point = th_int(&r, "point");
    w->pays++;
    th_resp_free(&r);
    w->purchases_after += after;
    return 1;
}

static void *work(void *arg)
{
    worker *w = arg;
    int k, admitted = 1;

    for (k = 0; k < PER_THREAD; ++k) {
        if (th_enter(httpd.port, w->first_user + k, w->tok[k]) != 200) {
            admitted = 0;
        }
    }
    for (k = 0; k < PER_THREAD && admitted; ++k) {
        admitted = th_wait_status(httpd.port, w->tok[k], "service", 30);
    }
    if (!admitted) {
        snprintf(w->bad, sizeof(w->bad), "users %lld.. were not all admitted before the load",
                 w->first_user);
    }
    pthread_barrier_wait(&ready);
    for (k = 0; k < PER_THREAD && admitted && !stop && !w->bad[0]; ++k) {
        purchase(w, k);
        usleep(PACE_US);
    }
    w->out_of_users = k == PER_THREAD;
    __sync_fetch_and_add(&finished, 1);
    th_thread_client_done();
    return NULL;
}

/* The reader: the seat map and its balance, every READ_PACE_US, until the
 * end of the load. */
static void *read_all_along(void *arg)
{
    worker *w = arg;
    char seats[200], balance[200];
    int admitted;

    snprintf(seats, sizeof(seats), "/concerts/%d/dates/%s/seats", CONCERT, date);
    snprintf(balance, sizeof(balance), "/payments/%lld/accounts", w->first_user);
    admitted = th_enter(httpd.port, w->first_user, w->tok[0]) == 200
               && th_wait_status(httpd.port, w->tok[0], "service", 30);
    if (!admitted) {
        snprintf(w->bad, sizeof(w->bad), "the reader was not admitted before the load");
    }
    pthread_barrier_wait(&ready);
    while (admitted && !stop && !w->bad[0]) {
        th_resp r;
        ask(w, OP_LOOKUP, &r, "GET", seats, w->tok[0], NULL, NULL);
        th_resp_free(&r);
        ask(w, OP_BALANCE, &r, "GET", balance, w->tok[0], NULL, NULL);
        th_resp_free(&r);
        usleep(READ_PACE_US);
    }
    th_thread_client_done();
    return NULL;
}

/* ---- the checks in the new primary ---- */

static void check_recorded(PGconn *c, long *charges, long *holds, long *pays)
{
    int t, i;

    *charges = *holds = *pays = 0;
    for (t = 0; t < THREADS; ++t) {
        worker *w = &workers[t];
        for (i = 0; i < w->charges; ++i) {
            if (th_db_scalar(c, "SELECT count(*) FROM charge_requests k"
                                "  JOIN ledger l ON l.entry_id = k.entry_id"
                                " WHERE k.user_id = %lld AND k.idempotency_key = '%s'"
                                "   AND k.amount = %lld AND l.kind = 'charge'"
                                "   AND l.amount = %lld AND l.balance_after = %lld",
                             w->charge[i].user, w->charge[i].key, w->charge[i].amount,
                             w->charge[i].amount, w->charge[i].point) != 1) {
                fail_msg("lost: the charge of %lld to user %lld (key %s, point %lld)",
                         w->charge[i].amount, w->charge[i].user, w->charge[i].key,
                         w->charge[i].point);
            }
        }
        for (i = 0; i < w->holds; ++i) {
            if (th_db_scalar(c, "SELECT count(*) FROM tickets WHERE ticket_id = %lld"
                                " AND seat_id = %lld AND user_id = %lld",
                             w->hold[i].ticket, w->hold[i].seat, w->hold[i].user) != 1) {
                fail_msg("lost: ticket %lld (user %lld's hold of seat %lld)",
                         w->hold[i].ticket, w->hold[i].user, w->hold[i].seat);
            }
        }
        for (i = 0; i < w->pays; ++i) {
            if (th_db_scalar(c, "SELECT count(*) FROM tickets t"
                                "  JOIN seats s ON s.booked_ticket_id = t.ticket_id"
                                "  JOIN ledger l ON l.ticket_id = t.ticket_id"
                                " WHERE t.ticket_id = %lld AND t.user_id = %lld"
                                "   AND t.status = 'booked' AND l.kind = 'pay'"
                                "   AND l.amount = %lld AND l.balance_after = %lld",
                             w->pay[i].ticket, w->pay[i].user, w->pay[i].price,
                             w->pay[i].point) != 1) {
                fail_msg("lost: the payment of ticket %lld by user %lld (%lld, point %lld)",
                         w->pay[i].ticket, w->pay[i].user, w->pay[i].price, w->pay[i].point);
            }
        }
        *charges += w->charges;
        *holds += w->holds;
        *pays += w->pays;
    }
}

/* Every thread made a purchase begun after the promotion (or has no user
 * left). */
static int all_bought_after(void)
{
    for (int t = 0; t < THREADS; ++t) {
        if (!workers[t].purchases_after && !workers[t].out_of_users) {
            return 0;
        }
    }
    return 1;
}

static int count_logged(const char *what)
{
    return th_errlog_count(&httpd, what);
}

/* The drill: its users from base + 1; node `crashed`, the primary, crashes
 * (and with hole its address becomes a black hole), node `promoted`, its
 * synchronous standby, is promoted OUTAGE_US later. what names it in the
 * figures printed. The late user's token goes into late_token. */
static void drill(const char *what, int base, int crashed, int promoted, int hole_after,
                  char *late_token)
{
    pthread_t threads[THREADS + 1];
    long ok[OPS] = {0}, unavailable[OPS] = {0}, charges, holds, pays, n503 = 0, late503 = 0,
         interrupted = 0, writes_after = 0;
    double start, crash_at, promote_at, last503 = 0, first503 = 0, slowest, until,
           wait_start, admitted_after, recovery, read503[2] = {0, 0};
    int t, i, o, jobs_down = count_logged("TICKET025:"), jobs_back = count_logged("TICKET026:");
    char text[256];
    th_resp r;

    /* the drill's premises: the standby is synchronous and has no sync names */
    assert_int_equal(th_db_scalar(db, "SELECT count(*) FROM pg_stat_replication"
                                      " WHERE sync_state = 'sync' AND state = 'streaming'"), 1);
    {
        PGconn *standby = connect_node(promoted, DB);
        th_db_text(standby, text, sizeof(text), "SHOW synchronous_standby_names");
        assert_string_equal(text, "");
        assert_int_equal(th_db_scalar(standby, "SELECT pg_is_in_recovery()::int"), 1);
        PQfinish(standby);
    }

    memset(workers, 0, sizeof(workers));
    memset(&reader, 0, sizeof(reader));
    stop = finished = 0;
    writes_ok = 0;
    crashed_at = promoted_at = first_write_ok = 0;
    pthread_barrier_init(&ready, NULL, THREADS + 2);
    for (t = 0; t < THREADS; ++t) {
        workers[t].first_user = base + 1 + (long long)t * PER_THREAD;
        pthread_create(&threads[t], NULL, work, &workers[t]);
    }
    reader.first_user = base + READER;
    pthread_create(&threads[THREADS], NULL, read_all_along, &reader);
    pthread_barrier_wait(&ready);
    start = now_s();
    /* the load runs a while; then the primary goes, and for OUTAGE_US no
     * node takes writes; then the standby is promoted */
    while ((writes_ok < 60 || now_s() - start < BEFORE_S) && now_s() - start < 20) {
        usleep(50000);
    }
    PQfinish(db);
    db = NULL;
    crash_at = now_s();
    assert_int_equal(clusters("crash", crashed), 0);
    crashed_at = now_s();       /* from here on no node takes writes */
    if (hole_after) {
        black_hole(1);
    }
    usleep(OUTAGE_US);
    promote_at = now_s();
    assert_int_equal(clusters("promote", promoted), 0);
    promoted_at = now_s();
    /* the load goes on until writes pass again, and AFTER_S more */
    while (first_write_ok == 0 && now_s() - promoted_at < 20) {
        usleep(50000);
    }
    until = now_s() + AFTER_S;
    while ((now_s() < until || !all_bought_after()) && finished < THREADS
           && now_s() - promoted_at < 30) {
        usleep(50000);
    }
    stop = 1;
    for (t = 0; t <= THREADS; ++t) {
        pthread_join(threads[t], NULL);
    }
    pthread_barrier_destroy(&ready);
    black_hole(0);
    if (reader.bad[0]) {
        fail_msg("the reader: %s", reader.bad);
    }
    for (i = 0; i < reader.n503; ++i) {
        read503[0] = read503[0] == 0 || reader.at_503[i] < read503[0] ? reader.at_503[i]
                                                                      : read503[0];
        read503[1] = reader.at_503[i] > read503[1] ? reader.at_503[i] : read503[1];
    }
    slowest = reader.slowest;
    for (t = 0; t < THREADS; ++t) {
        worker *w = &workers[t];
        if (w->bad[0]) {
            fail_msg("thread %d: %s", t, w->bad);
        }
        for (o = 0; o < OPS; ++o) {
            ok[o] += w->ok[o];
            unavailable[o] += w->unavailable[o];
        }
        for (i = 0; i < w->n503; ++i) {
            n503++;
            late503 += first_write_ok > 0 && w->at_503[i] > first_write_ok;
            last503 = w->at_503[i] > last503 ? w->at_503[i] : last503;
            first503 = first503 == 0 || w->at_503[i] < first503 ? w->at_503[i] : first503;
        }
        interrupted += w->interrupted;
        writes_after += w->writes_after;
        slowest = w->slowest > slowest ? w->slowest : slowest;
    }
    if (first_write_ok == 0) {
        fail_msg("no write answered 200 in the 20 s after the promotion");
    }
    recovery = first_write_ok - promote_at;

    /* the new primary: read-write, no synchronous_standby_names, and every
     * write that answered 200 in it (and nothing more of the drill's users) */
    db = connect_node(promoted, DB);
    assert_int_equal(th_db_scalar(db, "SELECT pg_is_in_recovery()::int"), 0);
    th_db_text(db, text, sizeof(text), "SHOW synchronous_standby_names");
    assert_string_equal(text, "");
    check_recorded(db, &charges, &holds, &pays);
#define MINE "user_id BETWEEN %d AND %d", base + 1, base + DRILL_USERS
    assert_int_equal(th_db_scalar(db, "SELECT count(*) FROM ledger WHERE kind = 'charge' AND "
                                      MINE), charges);
    assert_int_equal(th_db_scalar(db, "SELECT count(*) FROM ledger WHERE kind = 'pay' AND "
                                      MINE), pays);
    assert_int_equal(th_db_scalar(db, "SELECT count(*) FROM tickets WHERE " MINE), holds);
    assert_int_equal(th_db_scalar(db, "SELECT count(*) FROM tickets WHERE status = 'booked'"
                                      " AND " MINE), pays);
#undef MINE
    th_assert_invariants(db);

    /* the admission job works on the new primary: a user who enters now
     * is admitted (nobody pays any more, so only the job admits), and the
     * lookups answer that user */
    wait_start = now_s();
    assert_int_equal(th_enter(httpd.port, base + LATE, late_token), 200);
    if (!th_wait_status(httpd.port, late_token, "service", 15)) {
        fail_msg("user %d, who entered after the failover, was not admitted in 15 s",
                 base + LATE);
    }
    admitted_after = now_s() - wait_start;
    assert_int_equal(th_db_scalar(db, "SELECT count(*) FROM queue_tokens"
                                      " WHERE user_id = %d AND state = 'service'", base + LATE), 1);
    th_http(&r, httpd.port, "GET", "/concerts", late_token, NULL);
    assert_int_equal(r.status, 200);
    th_resp_free(&r);
    snprintf(text, sizeof(text), "/concerts/%d/dates/%s/seats", CONCERT, date);
    th_http(&r, httpd.port, "GET", text, late_token, NULL);
    assert_int_equal(r.status, 200);
    th_resp_free(&r);
    th_http(&r, httpd.port, "GET", "/health?db=1", NULL, NULL);
    assert_int_equal(r.status, 200);
    th_resp_free(&r);
    snprintf(text, sizeof(text), "/payments/%lld/accounts", reader.first_user);
    th_http(&r, httpd.port, "GET", text, reader.tok[0], NULL);
    assert_int_equal(r.status, 200);
    th_resp_free(&r);

    printf("%s: pg_ctl stopped the primary in %.2f s; %.1f s with no primary; pg_ctl"
           " promote took %.2f s; the first write 200 came %.2f s after promote began\n",
           what, crashed_at - crash_at, promote_at - crashed_at, promoted_at - promote_at,
           recovery);
    printf("%s: the buyers got %ld answers 503 (charge %ld, hold %ld, pay %ld, seat map %ld;"
           " they repeat a write every %d ms), from %.2f s after the crash began to %.2f s"
           " after promote began, %ld after the first write 200; %ld writes needed a"
           " repeat\n", what, n503, unavailable[OP_CHARGE], unavailable[OP_HOLD],
           unavailable[OP_PAY], unavailable[OP_LOOKUP], RETRY_US / 1000,
           n503 ? first503 - crash_at : 0, n503 ? last503 - promote_at : 0, late503,
           interrupted);
    printf("%s: %ld write answers 200 (charge %ld, hold %ld, pay %ld), %ld of writes asked"
           " after the promotion; in the new primary %ld charges, %ld holds, %ld payments:"
           " 0 lost, none more; slowest answer %.2f s (client limit %.0f s)\n", what,
           ok[OP_CHARGE] + ok[OP_HOLD] + ok[OP_PAY], ok[OP_CHARGE], ok[OP_HOLD], ok[OP_PAY],
           writes_after, charges, holds, pays, slowest, CLIENT_TIMEOUT);
    printf("%s: reads every %d ms: seat map %ld x 200, %ld x 503; balance %ld x 200,"
           " %ld x 503; 503s from %.2f s after the crash began to %.2f s after promote"
           " began\n", what, READ_PACE_US / 1000, reader.ok[OP_LOOKUP],
           reader.unavailable[OP_LOOKUP], reader.ok[OP_BALANCE],
           reader.unavailable[OP_BALANCE], reader.n503 ? read503[0] - crash_at : 0,
           reader.n503 ? read503[1] - promote_at : 0);
    printf("%s: a user who entered afterwards was admitted in %.1f s; the admission job"
           " logged TICKET025 %d and TICKET026 %d times; load %.1f s\n", what, admitted_after,
           count_logged("TICKET025:") - jobs_down, count_logged("TICKET026:") - jobs_back,
           now_s() - start);
    /* the drill means something only if the failover met the load, which
     * went on after it */
    assert_true(n503 > 0);
    for (t = 0; t < THREADS; ++t) {
        if (!workers[t].purchases_after && !workers[t].out_of_users) {
            fail_msg("thread %d made no purchase after the promotion", t);
        }
    }
    if (recovery > 10) {
        fail_msg("writes answered 200 only %.1f s after the promotion began", recovery);
    }
    /* the job met the outage (with a black hole its attempts may last
     * until the promotion, and succeed) and said when it was over */
    assert_true(hole_after || count_logged("TICKET025:") > jobs_down);
    assert_int_equal(count_logged("TICKET026:") - jobs_back, count_logged("TICKET025:") - jobs_down);
}

/* ---- the suite ---- */

static int setup(void **state)
{
    char path[700], params[1024];
    FILE *f;
    (void)state;

    th_pooler(0);       /* the pooler is in front of the suite's cluster, not these */
    snprintf(dir, sizeof(dir), "%s/failover", th_env("TK_TMP"));
    if (clusters("start", 0) != 0) {
        fail_msg("scripts/failover-clusters.sh start %s failed", dir);
    }
    read_env();
    db = connect_node(1, DB);
    seed(db);
    snprintf(path, sizeof(path), "%s/dbd-params", dir);
    f = fopen(path, "r");
    assert_non_null(f);
    assert_non_null(fgets(params, sizeof(params), f));
    fclose(f);
    params[strcspn(params, "\n")] = '\0';
    assert_non_null(strstr(params, "target_session_attrs=read-write"));
    th_dbd_params(params);
    th_http_timeout(CLIENT_TIMEOUT);
    th_httpd_start(&httpd, DB, "CAPACITY=3000 ADVANCE_INTERVAL=1", NULL);   /* all at once */
    th_dbd_params(NULL);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    stop = 1;                   /* a drill that failed midway: its threads end */
    black_hole(0);
    th_httpd_stop(&httpd);
    if (db) {
        PQfinish(db);
        db = NULL;
    }
    /* before the log check, which may fail (itest.sh removes the folder
     * after a pass, and halts the clusters of a suite that died) */
    clusters("halt", 0);
    th_suite_stop(&httpd, &db, allowed);
    return 0;
}

static void test_failover_under_load(void **state)
{
    (void)state;
    drill("failover", 0, 1, 2, 0, late);
}

/* A new session of node i has default_transaction_read_only on. */
static int read_only_for_new_sessions(void *arg)
{
    PGconn *fresh = connect_node(*(int *)arg, DB);
    char text[16];

    th_db_text(fresh, text, sizeof(text), "SHOW default_transaction_read_only");
    PQfinish(fresh);
    return strcmp(text, "on") == 0;
}

/* The switchover back, planned: node 1, which crashed, comes back as the
 * synchronous standby of node 2 (a new copy: failover-clusters.sh rejoin),
 * and the operator fences node 2, the primary, read-only
 * (default_transaction_read_only and a reload: its sessions refuse every
 * write, SQLSTATE 25006) until node 1 is promoted. Meanwhile users get 503
 * with Retry-After, as when the primary is gone (the module answered 500
 * to 25006 before); once node 1 is promoted, the next write answers 200
 * at once, on node 1: a session on the fenced node is reset and lands on
 * the node that takes writes. */
static void test_switchover(void **state)
{
    const char *headers[] = {"Idempotency-Key: switchover", NULL};
    char body[100], text[64], token[128];
    int node2 = 2, i;
    PGconn *old;
    th_resp r;
    (void)state;

    assert_true(late[0]);       /* the drill's late user, in service */
    assert_int_equal(clusters("rejoin", 1), 0);
    assert_int_equal(th_db_scalar(db, "SELECT count(*) FROM pg_stat_replication"
                                      " WHERE sync_state = 'sync' AND state = 'streaming'"), 1);
    th_db_exec(db, "SET default_transaction_read_only = off");      /* not this session */
    th_db_exec(db, "ALTER SYSTEM SET default_transaction_read_only = on");
    th_db_exec(db, "SELECT pg_reload_conf()");
    assert_true(th_wait_until(read_only_for_new_sessions, &node2, 10));

    snprintf(body, sizeof(body), "{\"userId\": %d, \"amount\": 1000}", LATE_USER);
    for (i = 0; i < 3; ++i) {   /* more than one pooled session */
        th_http_headers(&r, httpd.port, "PATCH", "/payments/charges", late, headers, body);
        th_assert_error(&r, 503, "UNAVAILABLE", "잠시 후 다시 시도해 주세요.");
        assert_string_equal(r.retry_after, "2");
        th_resp_free(&r);
    }
    snprintf(text, sizeof(text), "{\"userId\": %d}", SWITCH_USER);
    th_http(&r, httpd.port, "POST", "/queues", NULL, text);
    th_assert_error(&r, 503, "UNAVAILABLE", "잠시 후 다시 시도해 주세요.");
    th_resp_free(&r);

    assert_int_equal(clusters("promote", 1), 0);
    th_http_headers(&r, httpd.port, "PATCH", "/payments/charges", late, headers, body);
    if (r.status != 200) {
        fail_msg("the first charge after node 1's promotion: %ld %s", r.status, r.body);
    }
    th_resp_free(&r);
    assert_int_equal(th_enter(httpd.port, SWITCH_USER, token), 200);

    old = db;
    db = connect_node(1, DB);
    assert_int_equal(th_db_scalar(db, "SELECT pg_is_in_recovery()::int"), 0);
    th_db_text(db, text, sizeof(text), "SHOW synchronous_standby_names");
    assert_string_equal(text, "");
    assert_int_equal(th_db_scalar(db, "SELECT count(*) FROM charge_requests k"
                                      "  JOIN ledger l ON l.entry_id = k.entry_id"
                                      " WHERE k.user_id = %d AND k.idempotency_key = 'switchover'"
                                      "   AND l.amount = 1000", LATE_USER), 1);
    assert_int_equal(th_db_scalar(db, "SELECT count(*) FROM ledger WHERE user_id = %d",
                                  LATE_USER), 1);
    assert_int_equal(th_db_scalar(old, "SELECT count(*) FROM ledger WHERE user_id = %d",
                                  LATE_USER), 0);       /* nothing on the fenced node */
    PQfinish(old);
    th_assert_invariants(db);
    /* and the job admits on node 1 */
    if (!th_wait_status(httpd.port, token, "service", 15)) {
        fail_msg("user %d, who entered after the switchover, was not admitted in 15 s",
                 SWITCH_USER);
    }
}

/* The drill again, node 1 the primary and node 2 (the fenced old one,
 * stopped, a new copy) its synchronous standby, and after its crash node
 * 1's address a black hole, as when its machine is gone: each connection
 * attempt waits connect_timeout (2 s, libpq's least) there before it tries
 * node 2, also after node 2's promotion, and mod_dbd makes a process's new
 * connections one at a time. */
static void test_failover_black_hole(void **state)
{
    char token[128];
    (void)state;

    assert_int_equal(clusters("crash", 2), 0);
    assert_int_equal(clusters("rejoin", 2), 0);
    drill("failover, node 1 a black hole", DRILL_USERS, 1, 2, 1, token);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_failover_under_load),
        cmocka_unit_test(test_switchover),
        cmocka_unit_test(test_failover_black_hole),
    };
    return cmocka_run_group_tests_name("failover", tests, setup, teardown);
}
