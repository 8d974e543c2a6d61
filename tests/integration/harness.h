/* harness.h: integration-test harness. A real PostgreSQL (started by
 * scripts/itest.sh, reached through TK_PGPORT) and real Apache processes
 * running the built module; libcurl as the HTTP client, libpq to look at
 * the database afterwards. */
#ifndef TK_HARNESS_H
#define TK_HARNESS_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <sys/types.h>
#include <cmocka.h>
#include <json-c/json.h>
#include <libpq-fe.h>

/* ---- database ---- */

/* A new database cloned from the migrated template, with users 1..users. */
void th_db_create(const char *db, int users);
PGconn *th_db_connect(const char *db);              /* as superuser */
void th_db_exec(PGconn *c, const char *fmt, ...);
long long th_db_scalar(PGconn *c, const char *fmt, ...);
/* The first column of the first row as text into out ("" for none). */
void th_db_text(PGconn *c, char *out, size_t n, const char *fmt, ...);
/* Statements the module's role ran in database db so far (other than
 * the admission job's), by pg_stat_statements. */
long long th_app_statements(PGconn *c, const char *db);
/* An empty database as an operator makes one (owned by ticket_owner,
 * only ticket may connect): no migrations. */
void th_db_create_bare(const char *db);
/* scripts/SCRIPT 'conninfo of db, as postgres' ARG, from the checkout:
 * its exit status, and what it said (stdout and stderr) in out. */
int th_script(const char *script, const char *db, const char *arg, char *out, size_t n);
/* Kills the cluster's postmaster (SIGKILL, a crash), waits for its
 * backends to go, and starts it again (crash recovery). */
void th_pg_crash(void);
/* Stops or starts the cluster (as its owner). */
void th_pg_ctl(const char *action);

/* ---- Apache ---- */

typedef struct {
    int port;
    pid_t pid;
    char dir[512];
    char conf[640];
    char errlog[640];
    char prefix[128];           /* the API's <Location>, "" for "/" */
} th_httpd;

/* Starts Apache serving database db. knobs: "CAPACITY=3 SERVICE_TTL=2 …"
 * (see scripts/httpd-conf.sh); extra: more directives or NULL. Waits
 * until /health answers; fails the test otherwise. */
void th_httpd_start(th_httpd *h, const char *db, const char *knobs,
                    const char *extra);
void th_httpd_stop(th_httpd *h);
/* th_httpd_start that waits only until Apache answers at all (for a
 * module that refuses to serve). */
void th_httpd_launch(th_httpd *h, const char *db, const char *knobs,
                     const char *extra);
/* Apaches started from now on get these DBDParams as they are (another
 * cluster's, several hosts), not the suite's cluster's; NULL: the suite's
 * again. */
void th_dbd_params(const char *params);
/* Apache's child processes now: how many (at most max) into pids. */
int th_child_pids(const th_httpd *h, pid_t *pids, int max);
/* Sends sig to each of Apache's child processes. */
void th_signal_children(const th_httpd *h, int sig);
/* A graceful restart (apachectl -k graceful: SIGUSR1 to the parent),
 * with the configuration made anew for db from knobs and extra (db NULL:
 * as it is); returns once a child of the new generation answers
 * /server-status. */
void th_httpd_graceful(th_httpd *h, const char *db, const char *knobs,
                       const char *extra);
/* How many error-log lines contain what. */
int th_errlog_count(const th_httpd *h, const char *what);
/* "apache2 -t" of the configuration for db with extra directives: the exit
 * status, and its output in out. */
int th_httpd_configtest(const char *db, const char *knobs, const char *extra,
                        char *out, size_t outsz);
/* Number of error-log lines at level error or worse that contain none of
 * the allowed substrings (NULL-terminated list, may be NULL); prints them. */
int th_errlog_unexpected(const th_httpd *h, const char *const *allowed);

/* A suite's usual start: database db with users 1..users, a connection to
 * it in *db, and Apache serving it (knobs as th_httpd_start). */
void th_suite_start(th_httpd *h, PGconn **db, const char *name, int users,
                    const char *knobs);
/* And its end: Apache stopped, the connection closed (if any), the error
 * log free of unexpected lines (allowed as th_errlog_unexpected). */
void th_suite_stop(th_httpd *h, PGconn **db, const char *const *allowed);
/* The same for several hosts (a NULL-terminated list), all stopped before
 * their logs are read; also frees the thread's keep-alive client. */
void th_suite_stop_all(th_httpd *const *hosts, PGconn **db, const char *const *allowed);

/* The suite of one database and one Apache, as most tests run: declares
 * `static th_httpd httpd; static PGconn *db;` and the group's setup and
 * teardown, th_suite_start(…, name, users, knobs) and
 * th_suite_stop(…, allowed). */
#define TH_SUITE(name, users, knobs, allowed) \
    static th_httpd httpd; \
    static PGconn *db; \
    static int setup(void **state) \
    { \
        (void)state; \
        th_suite_start(&httpd, &db, name, users, knobs); \
        return 0; \
    } \
    static int teardown(void **state) \
    { \
        (void)state; \
        th_suite_stop(&httpd, &db, allowed); \
        return 0; \
    }

/* ---- HTTP ---- */

typedef struct {
    long status;
    char body[16384];
    size_t len;
    char allow[128];
    char retry_after[32];
    char www_authenticate[256];
    char content_type[128];
    json_object *json;          /* parsed body, NULL if not JSON */
    char request[512];          /* what was asked, for failure messages */
    int timed_out;              /* no answer within th_http_timeout */
} th_resp;

/* Every request's time limit from now on (30 s unless set): a request
 * that reaches it returns -1 with timed_out set. */
void th_http_timeout(double seconds);

/* One request; token (or NULL) goes into "Authorization: Bearer …",
 * body (or NULL) is sent as is. Returns 0 when an answer came. */
int th_http(th_resp *r, int port, const char *method, const char *path,
            const char *token, const char *body);
/* The same with a raw Authorization header value (or NULL for none). */
int th_http_auth(th_resp *r, int port, const char *method, const char *path,
                 const char *authorization, const char *body);
/* th_http with extra request header lines ("Name: value", or "Name;" for
 * an empty value), a NULL-terminated list or NULL. */
int th_http_headers(th_resp *r, int port, const char *method, const char *path,
                    const char *token, const char *const *headers,
                    const char *body);
void th_resp_free(th_resp *r);

/* A client that keeps its connection open between requests (HTTP
 * keep-alive), for one thread at a time: many requests without a new TCP
 * connection (and a TIME_WAIT socket) each. Answers as th_http and
 * th_http_auth give them. */
typedef struct th_client th_client;
th_client *th_client_new(void);
void th_client_free(th_client *c);
int th_client_http(th_client *c, th_resp *r, int port, const char *method,
                   const char *path, const char *token, const char *body);
int th_client_http_auth(th_client *c, th_resp *r, int port, const char *method,
                        const char *path, const char *authorization,
                        const char *body);
/* th_client_http with extra request header lines, as th_http_headers. */
int th_client_http_headers(th_client *c, th_resp *r, int port, const char *method,
                           const char *path, const char *token,
                           const char *const *headers, const char *body);
const char *th_str(const th_resp *r, const char *key);   /* NULL if absent */
long long th_int(const th_resp *r, const char *key);     /* -1 if absent */
int th_has(const th_resp *r, const char *key);
int th_is_null(const th_resp *r, const char *key);

/* The calling thread's keep-alive client, made at its first use: for
 * threads that send thousands of requests. A thread that used it frees it
 * with th_thread_client_done before it ends. */
th_client *th_thread_client(void);
void th_thread_client_done(void);

/* The array key of the answer; fails the test if there is none. */
json_object *th_array(const th_resp *r, const char *key);
/* Members of a JSON object; fail the test if absent or of another type. */
long long th_obj_int(json_object *o, const char *key);
const char *th_obj_str(json_object *o, const char *key);

/* ---- expected errors ---- */

/* Asserts an error answer: status, code, the exact message, and a JSON
 * content type. A failure names the request and the caller's line. */
#define th_assert_error(r, status, code, message) \
    th_assert_error_at(__FILE__, __LINE__, r, status, code, message)
void th_assert_error_at(const char *file, int line, const th_resp *r,
                        long status, const char *code, const char *message);

/* One line per expected error: fn(&answer, args...) is sent, the answer
 * asserted as th_assert_error does, and freed. fn is any request function
 * whose first parameter is the th_resp *, e.g.
 *     TH_EXPECT_ERROR(403, "FORBIDDEN", MSG_FORBIDDEN,
 *                     th_http, port, "GET", "/payments/9/accounts", token, NULL); */
#define TH_EXPECT_ERROR(status, code, message, fn, ...) \
    do { \
        th_resp th_answer_; \
        fn(&th_answer_, __VA_ARGS__); \
        th_assert_error(&th_answer_, status, code, message); \
        th_resp_free(&th_answer_); \
    } while (0)

/* The answers of every route: no such route, a method it does not take,
 * a body over TicketMaxBodyBytes. */
#define TH_MSG_NO_ROUTE "요청한 경로를 찾을 수 없습니다."
#define TH_MSG_METHOD "허용되지 않는 메서드입니다."
#define TH_MSG_TOO_LARGE "요청 본문이 너무 큽니다."

/* method on path (token and body NULL for none): 405 METHOD_NOT_ALLOWED
 * and the methods the route takes in Allow. */
#define th_expect_405(port, method, path, token, body, allow) \
    th_expect_405_at(__FILE__, __LINE__, port, method, path, token, body, allow)
void th_expect_405_at(const char *file, int line, int port, const char *method,
                      const char *path, const char *token, const char *body,
                      const char *allow);

/* A request of a table: its body is sent with POST, PUT and PATCH. */
typedef struct {
    const char *method;
    char path[200];
    char body[100];
} th_req;

/* Fills q: method, body (NULL for none) and the path made from fmt. */
void th_req_set(th_req *q, const char *method, const char *body,
                const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Sends each request of q[0..n) to port with token (NULL for none) on
 * the thread's keep-alive client and asserts that each answers the error;
 * th_expect_req_errors_auth_at: with the Authorization value auth. */
#define th_expect_req_errors(port, q, n, token, status, code, message) \
    th_expect_req_errors_at(__FILE__, __LINE__, port, q, n, token, status, code, message)
void th_expect_req_errors_at(const char *file, int line, int port, const th_req *q, int n,
                             const char *token, long status, const char *code,
                             const char *message);
void th_expect_req_errors_auth_at(const char *file, int line, int port, const th_req *q,
                                  int n, const char *auth, long status, const char *code,
                                  const char *message);

/* ---- the queue ---- */

typedef char th_token[128];

/* POST /queues for user; returns its token (static per thread copy in
 * out, at least 128 bytes) and the answer's status. */
long th_enter(int port, long long user, char *out);

/* A genuine token "seq.user.mac" with its user changed: a forgery. */
void th_forge(char *out, size_t n, const char *token, long long user);

/* Polls the token on port (GET /queues) every 100 ms until its
 * tokenStatus is want, at most seconds; 1 when it was. want may name
 * several, separated by '|': "service|expire" is admitted. */
int th_wait_status(int port, const char *token, const char *want, double seconds);

/* Asserts the token's tokenStatus at its next poll (200), without waiting. */
#define th_assert_poll(port, token, want) \
    th_assert_poll_at(__FILE__, __LINE__, port, token, want)
void th_assert_poll_at(const char *file, int line, int port, const char *token,
                       const char *want);

/* Enters users first..first+n-1 on port (each must get 200), then waits
 * (30 s at most) until every token polls as in service; th_admit: one. */
void th_admit_many(int port, long long first, int n, th_token *tokens);
void th_admit(int port, long long user, char *token);

/* Tokens in service in the database: state 'service', and the SQL
 * condition and_where if not NULL ("user_id BETWEEN 1 AND 3"). */
long long th_in_service(PGconn *c, const char *and_where);
/* Waits until th_in_service(c, and_where) is n, at most seconds; 1 when
 * it was. */
int th_wait_in_service(PGconn *c, const char *and_where, long long n,
                       double seconds);

/* A JSON body {"userId": 1} padded with blanks to fill buf (n - 1 bytes):
 * over the default TicketMaxBodyBytes when n > 8193. */
const char *th_oversized_body(char *buf, size_t n);

/* Polls fn(arg) every 100 ms until it returns true or seconds pass. */
int th_wait_until(int (*fn)(void *), void *arg, double seconds);

/* base64 of "user:password", for "Authorization: Basic …" (per thread). */
const char *th_base64(const char *user, const char *password);

int th_free_port(void);
const char *th_env(const char *name);

/* Apaches started after th_pooler(1) reach the database through the
 * suite's PgBouncer in transaction pooling (TK_PGB_PORT), with
 * TicketPreparedStatements Off; th_pooler(0): directly. Until a suite
 * says, TK_VIA_POOLER=1 in the environment decides. */
void th_pooler(int on);
int th_pooled(void);

/* ---- money (harness_money.c) ---- */

/* The money and booking invariants, for every user and seat: each
 * balance is its charges less its payments and never negative, the
 * ledger's balance_after chain holds, every seat is booked at most once,
 * and every booking has exactly one debit of its price, paid while its
 * hold was live. */
void th_assert_invariants(PGconn *c);

/* ---- the sale of test_lookups.c and test_holds.c (harness_sale.c) ---- */

/* The user who owns the sale's booked seats: a database for the sale has
 * at least this many users. */
#define TH_SALE_OWNER 1499

/* Concerts 1-9 with their schedules and seats (harness_sale.c has the
 * map); seats 4401 (all of schedule 44) and 3105 booked. */
void th_sale_insert(PGconn *c);
/* A new database db with users 1..users (at least TH_SALE_OWNER) and the
 * sale; a connection to it. */
PGconn *th_sale_create(const char *db, int users);
/* The date current_date + days as the API writes it (YYYY-MM-DD). */
void th_sale_date(PGconn *c, int days, char out[16]);
/* Books seat for TH_SALE_OWNER, in SQL only. */
void th_sale_book(PGconn *c, long long seat);

/* Malformed values of an id in a path (NULL-terminated). */
extern const char *const th_bad_ids[];

/* POST /concerts/:concert/schedules/:schedule/seats/:seat/ticket with
 * token (NULL for none) and body, on the thread's keep-alive client. */
int th_hold(th_resp *r, int port, long long concert, long long schedule,
            long long seat, const char *token, const char *body);

/* 1 when seat is in GET /concerts/:concert/dates/:date/seats. */
int th_seat_listed(int port, long long concert, const char *date,
                   long long seat, const char *token);
/* availableSeats of schedule in GET /concerts/:concert/dates, 0 when
 * the schedule is not listed. */
long long th_dates_free(int port, long long concert, long long schedule,
                        const char *token);

/* Another sale: database db (users 1-5), served by h with TicketCapacity
 * 1, its tokens signed with another secret. Its user 1 is admitted, its
 * user 2 waits; user 2's token goes into waiting. */
void th_waiting_sale_start(th_httpd *h, const char *db, char *waiting);

/* The tokens the gate of endpoints 3-6 refuses with 401, and where. */
typedef struct {
    PGconn *db;                 /* the sale's database */
    int port, port2;            /* two of its hosts */
    const th_token *tok;        /* the tokens in service, by user */
    long long good;             /* a user whose token is forged (into good + 1's) */
    long long gone;             /* a user whose queue entry is deleted here */
    long long expiring;         /* a user whose token is expired here */
    int waiting_port;           /* th_waiting_sale_start's host … */
    const char *waiting;        /* … and its waiting token */
} th_gate;

/* Sends each request of q[0..n) with every token the gate refuses: none,
 * malformed ones, one forged from g->good's (another user, another seq),
 * g->waiting (another secret), g->gone's once its queue entry is deleted,
 * g->waiting on its own host (raw and as Bearer), and g->expiring's once
 * it is expired (after a GET /concerts has shown that it works), as Bearer
 * on port and port2, raw on port. Each answers 401 with its code
 * (TOKEN_INVALID, TOKEN_NOT_ADMITTED, TOKEN_EXPIRED) and message. */
void th_expect_gate_errors(const th_gate *g, const th_req *q, int n, const char *message);

#endif
