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
/* "apache2 -t" of the configuration for db with extra directives: the exit
 * status, and its output in out. */
int th_httpd_configtest(const char *db, const char *extra, char *out,
                        size_t outsz);
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

/* ---- HTTP ---- */

typedef struct {
    long status;
    char body[16384];
    size_t len;
    char allow[128];
    char retry_after[32];
    char content_type[128];
    json_object *json;          /* parsed body, NULL if not JSON */
} th_resp;

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
const char *th_str(const th_resp *r, const char *key);   /* NULL if absent */
long long th_int(const th_resp *r, const char *key);     /* -1 if absent */
int th_has(const th_resp *r, const char *key);
int th_is_null(const th_resp *r, const char *key);

/* Asserts an error answer: status, code, and the exact message. */
void th_assert_error(const th_resp *r, long status, const char *code,
                     const char *message);

/* POST /queues for user; returns its token (static per thread copy in
 * out, at least 128 bytes) and the answer's status. */
long th_enter(int port, long long user, char *out);

/* A JSON body {"userId": 1} padded with blanks to fill buf (n - 1 bytes):
 * over the default TicketMaxBodyBytes when n > 8193. */
const char *th_oversized_body(char *buf, size_t n);

/* Polls fn(arg) every 100 ms until it returns true or seconds pass. */
int th_wait_until(int (*fn)(void *), void *arg, double seconds);

int th_free_port(void);
const char *th_env(const char *name);

#endif
