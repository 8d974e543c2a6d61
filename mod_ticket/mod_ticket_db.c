/* mod_ticket_db.c: statements through mod_dbd's pooled connections.
 *
 * We take the PGconn under mod_dbd's handle and use libpq directly:
 * SQLSTATEs, real NULLs, and our own prepared statements. Each statement
 * (a static SQL string) is prepared once per database session, named after
 * its address; a session is known by its backend PID, so a connection that
 * was reset (by us or by mod_dbd) simply prepares again, and a statement
 * the server no longer knows (26000) is prepared anew and run once more. A connection that died while idle in the pool
 * (PostgreSQL restarted) is noticed before the statement is sent, reset,
 * and the statement runs on the fresh session, so users never see it.
 * A connection lost during a statement is retried only for statements that
 * are safe to repeat (MT_DB_REPEATABLE); writes answer 503 and rely on
 * their own guards. */
#include <poll.h>
#include <apr_hash.h>
#include <apr_optional.h>
#include <apr_strings.h>
#include <apr_thread_mutex.h>
#include "mod_ticket_private.h"

/* What one database session has prepared; touched only by the thread that
 * holds the connection, looked up under a lock. */
typedef struct {
    int backend_pid;
    apr_pool_t *pool;
    apr_hash_t *prepared;       /* SQL address -> name */
} session_state;

static apr_pool_t *sessions_pool;
static apr_hash_t *sessions;    /* PGconn * -> session_state */
static apr_thread_mutex_t *sessions_lock;

void mt_db_child_init(apr_pool_t *p)
{
    apr_pool_create(&sessions_pool, p);
    sessions = apr_hash_make(sessions_pool);
    apr_thread_mutex_create(&sessions_lock, APR_THREAD_MUTEX_DEFAULT, p);
}

static session_state *session_of(PGconn *c)
{
    session_state *st;

    apr_thread_mutex_lock(sessions_lock);
    st = apr_hash_get(sessions, &c, sizeof(c));
    if (!st) {
        PGconn **key = apr_palloc(sessions_pool, sizeof(*key));
        st = apr_pcalloc(sessions_pool, sizeof(*st));
        apr_pool_create(&st->pool, sessions_pool);
        st->prepared = apr_hash_make(st->pool);
        *key = c;
        apr_hash_set(sessions, key, sizeof(*key), st);
    }
    apr_thread_mutex_unlock(sessions_lock);
    if (st->backend_pid != PQbackendPID(c)) {
        apr_hash_clear(st->prepared);       /* a new session knows nothing */
        st->backend_pid = PQbackendPID(c);
    }
    return st;
}

#define DOWN_LOG_EVERY apr_time_from_sec(10)

static apr_status_t clear_result(void *res)
{
    PQclear(res);
    return APR_SUCCESS;
}

/* An idle connection has nothing to read (we LISTEN to nothing): data or
 * EOF there means the server has ended the session (restart, termination,
 * idle timeout). A harmless message read as a goodbye costs one reconnect. */
static int idle_conn_is_dead(PGconn *c)
{
    struct pollfd pfd;

    if (PQstatus(c) != CONNECTION_OK || PQsocket(c) < 0) {
        return 1;
    }
    pfd.fd = PQsocket(c);
    pfd.events = POLLIN;
    pfd.revents = 0;
    return poll(&pfd, 1, 0) != 0;
}

/* SQLSTATE classes that mean "the database is not there for us now". */
static int sqlstate_is_outage(const char *state)
{
    return state && (strncmp(state, "08", 2) == 0      /* connection */
                     || strncmp(state, "57", 2) == 0   /* shutdown, timeout */
                     || strncmp(state, "53", 2) == 0); /* out of resources */
}

void mt_db_report_down(server_rec *s, const char *what, const char *detail)
{
    static volatile apr_time_t last;
    apr_time_t now = apr_time_now();

    if (now - last < DOWN_LOG_EVERY) {
        return;
    }
    last = now;
    ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s,
                 TKLOG(010) "database unavailable (%s): %s; answering 503 "
                 "until it is back (logged at most every 10 s)", what,
                 detail ? detail : "no connection");
}

static int sqlstate_is(const PGresult *res, const char *state)
{
    const char *got = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    return got && strcmp(got, state) == 0;
}

/* Prepares sql in this session (once) and runs it. */
static PGresult *run(PGconn *c, const char *sql, int n,
                     const char *const *params)
{
    session_state *st = sessions ? session_of(c) : NULL;
    const char *name;
    PGresult *res;
    int again;

    if (!st) {          /* no child_init (cannot happen in httpd) */
        return PQexecParams(c, sql, n, NULL, params, NULL, NULL, 0);
    }
    for (again = 1; ; again = 0) {
        name = apr_hash_get(st->prepared, &sql, sizeof(sql));
        if (!name) {
            name = apr_psprintf(st->pool, "tk_%pp", (void *)sql);
            res = PQprepare(c, name, sql, n, NULL);
            if (PQresultStatus(res) != PGRES_COMMAND_OK
                && !sqlstate_is(res, "42P05")) {        /* already there */
                return res;
            }
            PQclear(res);
            apr_hash_set(st->prepared, apr_pmemdup(st->pool, &sql, sizeof(sql)),
                         sizeof(sql), name);
        }
        res = PQexecPrepared(c, name, n, params, NULL, NULL, 0);
        if (!again || !sqlstate_is(res, "26000")) {     /* unknown statement */
            return res;
        }
        PQclear(res);
        apr_hash_clear(st->prepared);
    }
}

PGresult *mt_db_exec_on(apr_pool_t *p, server_rec *s, ap_dbd_t *dbd, int flags,
                        const char *sql, int nparams,
                        const char *const *params, mt_db_rc *rc)
{
    PGconn *c = apr_dbd_native_handle(dbd->driver, dbd->handle);
    PGresult *res;
    int tries = (flags & MT_DB_REPEATABLE) ? 2 : 1;
    const char *state;

    if (idle_conn_is_dead(c)) {
        PQreset(c);     /* nothing was sent yet: a fresh session is safe */
    }
    for (;;) {
        if (PQstatus(c) != CONNECTION_OK) {
            mt_db_report_down(s, "connect", PQerrorMessage(c));
            *rc = MT_DB_DOWN;
            return NULL;
        }
        res = run(c, sql, nparams, params);
        if (PQresultStatus(res) == PGRES_TUPLES_OK
            || PQresultStatus(res) == PGRES_COMMAND_OK) {
            apr_pool_cleanup_register(p, res, clear_result,
                                      apr_pool_cleanup_null);
            *rc = MT_DB_OK;
            return res;
        }
        if (PQstatus(c) != CONNECTION_OK && --tries > 0) {
            PQclear(res);
            PQreset(c);
            continue;
        }
        break;
    }
    state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    if (PQstatus(c) != CONNECTION_OK || sqlstate_is_outage(state)) {
        mt_db_report_down(s, state ? state : "connection lost",
                          PQresultErrorMessage(res));
        *rc = MT_DB_DOWN;
    }
    else {
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, s,
                     TKLOG(011) "statement failed (SQLSTATE %s): %s",
                     state ? state : "?", PQresultErrorMessage(res));
        *rc = MT_DB_FAILED;
    }
    PQclear(res);
    return NULL;
}

PGresult *mt_db_exec_in(request_rec *r, apr_pool_t *p, int flags,
                        const char *sql, int nparams,
                        const char *const *params, mt_db_rc *rc)
{
    static APR_OPTIONAL_FN_TYPE(ap_dbd_acquire) *acquire;
    ap_dbd_t *dbd;

    if (!acquire) {
        acquire = APR_RETRIEVE_OPTIONAL_FN(ap_dbd_acquire);
    }
    dbd = acquire ? acquire(r) : NULL;
    if (!dbd) {
        mt_db_report_down(r->server, "acquire", NULL);
        *rc = MT_DB_DOWN;
        return NULL;
    }
    return mt_db_exec_on(p, r->server, dbd, flags, sql, nparams, params, rc);
}

PGresult *mt_db_exec(request_rec *r, int flags, const char *sql, int nparams,
                     const char *const *params, mt_db_rc *rc)
{
    return mt_db_exec_in(r, r->pool, flags, sql, nparams, params, rc);
}

const char *mt_db_text(const PGresult *res, int row, int col)
{
    return PQgetisnull(res, row, col) ? NULL : PQgetvalue(res, row, col);
}

int64_t mt_db_int64(const PGresult *res, int row, int col)
{
    const char *v = mt_db_text(res, row, col);
    return v ? (int64_t)apr_atoi64(v) : 0;
}

int mt_db_is_null(const PGresult *res, int row, int col)
{
    return PQgetisnull(res, row, col);
}
