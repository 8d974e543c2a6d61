/* mod_ticket_db.c: statements through mod_dbd's pooled connections.
 *
 * We take the PGconn under mod_dbd's handle and use libpq directly:
 * SQLSTATEs, real NULLs, and our own prepared statements. Each statement
 * (an mt_statement, named in its declaration) is prepared once per
 * database session. What a session has prepared is kept with the
 * connection (userdata of its pool, so it dies with the connection) and
 * forgotten when the session changes (a reset, ours or mod_dbd's: a new
 * backend PID); a statement the server no longer knows (26000) is prepared
 * anew and run once more. A connection that died while idle in the pool
 * (PostgreSQL restarted) is noticed before the statement is sent, reset,
 * and the statement runs on the fresh session, so users never see it.
 * A connection lost during a statement is retried only for statements that
 * are safe to repeat (MT_DB_REPEATABLE); writes answer 503 and rely on
 * their own guards. A session on a node that takes no writes (a standby,
 * or a primary made read-only by its operator: a failover or switchover
 * under way) is reset, which with target_session_attrs=read-write finds
 * the node that does, and its statement runs there once: it wrote
 * nothing, whatever it is; with no such node, 503. */
#include <poll.h>
#include <apr_atomic.h>
#include <apr_hash.h>
#include <apr_optional.h>
#include <apr_strings.h>
#include "mod_ticket_private.h"

#define SESSION_KEY "mod_ticket:session"

/* What one database session has prepared. Only the thread that holds the
 * connection touches it, so it needs no lock. */
typedef struct {
    int backend_pid;
    apr_hash_t *prepared;       /* statement name -> the statement */
} session_state;

/* Named prepared statements live in the database session. A pooler in
 * transaction mode (PgBouncer 1.18) runs each transaction on whichever
 * server session is free, where they are unknown: there the operator says
 * `TicketPreparedStatements Off`, and every statement goes unnamed (parsed
 * and planned at each run, in the same round trip). This is the one place
 * that decides. */
static int use_named_statements(const server_rec *s)
{
    return mt_conf_prepared_statements(s);
}

static session_state *session_of(ap_dbd_t *dbd, PGconn *c)
{
    session_state *st = NULL;

    apr_pool_userdata_get((void **)&st, SESSION_KEY, dbd->pool);
    if (!st) {
        st = apr_pcalloc(dbd->pool, sizeof(*st));
        st->prepared = apr_hash_make(dbd->pool);
        apr_pool_userdata_setn(st, SESSION_KEY, apr_pool_cleanup_null, dbd->pool);
    }
    if (st->backend_pid != PQbackendPID(c)) {
        apr_hash_clear(st->prepared);       /* a new session knows nothing */
        st->backend_pid = PQbackendPID(c);
    }
    return st;
}

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
    static volatile apr_uint64_t last;

    mt_metrics_database_seen(0);    /* every outage a request or job meets */
    if (!mt_log_due(&last)) {
        return;
    }
    ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s,
                 TKLOG(010) "database unavailable (%s): %s; answering 503 "
                 "until it is back (logged at most every 10 s)", what,
                 detail ? detail : "no connection");
}

/* A statement that ran out of time (statement_timeout, lock_timeout):
 * the database is there, busy or locked, so not "unavailable". The
 * answer is 503 all the same: the request may be tried again. */
static int sqlstate_is_timeout(const char *state)
{
    return state && (strcmp(state, "57014") == 0        /* query_canceled */
                     || strcmp(state, "55P03") == 0);   /* lock_not_available */
}

/* A failure of ours to explain (a statement's error, a timeout): each
 * kind logged at most every 10 s per process, with the number of its
 * kind left out meanwhile (a storm of timeouts hides no error). */
typedef struct {
    volatile apr_uint64_t last;
    volatile apr_uint32_t left_out;
} failure_log;

static void report_failure(server_rec *s, const mt_statement *stmt,
                           const char *state, const PGresult *res)
{
    static failure_log timeouts, errors;
    int timeout = sqlstate_is_timeout(state);
    failure_log *kind = timeout ? &timeouts : &errors;

    if (!mt_log_due(&kind->last)) {
        apr_atomic_inc32(&kind->left_out);
        return;
    }
    if (timeout) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s,
                     TKLOG(027) "statement %s ran out of time (SQLSTATE %s: "
                     "statement_timeout or lock_timeout; a long lock wait?), "
                     "answered 503; %u more since the last line: %s",
                     stmt->name, state, apr_atomic_xchg32(&kind->left_out, 0),
                     PQresultErrorMessage(res));
        return;
    }
    ap_log_error(APLOG_MARK, APLOG_ERR, 0, s,
                 TKLOG(011) "statement %s failed (SQLSTATE %s); %u more "
                 "failures since the last line: %s", stmt->name,
                 state ? state : "?", apr_atomic_xchg32(&kind->left_out, 0),
                 PQresultErrorMessage(res));
}

static int sqlstate_is(const PGresult *res, const char *state)
{
    const char *got = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    return got && strcmp(got, state) == 0;
}

/* The session takes no writes (SQLSTATE 25006, read_only_sql_transaction:
 * a hot standby, or default_transaction_read_only on): its transaction
 * failed at its first write, so nothing of it was written. */
static int sqlstate_is_read_only(const char *state)
{
    return state && strcmp(state, "25006") == 0;
}

/* Prepares the statement in this session (once) and runs it. */
static PGresult *run(session_state *st, PGconn *c, const mt_statement *stmt,
                     const char *const *params)
{
    PGresult *res;
    int again;

    if (!st) {
        return PQexecParams(c, stmt->sql, stmt->nparams, NULL, params, NULL,
                            NULL, 0);
    }
    for (again = 1; ; again = 0) {
        if (!apr_hash_get(st->prepared, stmt->name, APR_HASH_KEY_STRING)) {
            res = PQprepare(c, stmt->name, stmt->sql, stmt->nparams, NULL);
            if (PQresultStatus(res) != PGRES_COMMAND_OK
                && !sqlstate_is(res, "42P05")) {        /* already there */
                return res;
            }
            PQclear(res);
            apr_hash_set(st->prepared, stmt->name, APR_HASH_KEY_STRING, stmt);
        }
        res = PQexecPrepared(c, stmt->name, stmt->nparams, params, NULL, NULL, 0);
        if (!again || !sqlstate_is(res, "26000")) {     /* unknown statement */
            return res;
        }
        PQclear(res);
        apr_hash_clear(st->prepared);
    }
}

/* The connection's libpq handle, or NULL when mod_dbd's driver is not
 * pgsql (logged: the module cannot work on another database). */
static PGconn *pg_handle(server_rec *s, ap_dbd_t *dbd)
{
    static volatile apr_uint64_t last;
    const char *driver = apr_dbd_name(dbd->driver);

    if (strcmp(driver, "pgsql") == 0) {
        return apr_dbd_native_handle(dbd->driver, dbd->handle);
    }
    if (mt_log_due(&last)) {
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, s,
                     TKLOG(004) "mod_ticket requires 'DBDriver pgsql' and "
                     "DBDParams for its PostgreSQL database (the driver here "
                     "is %s)", driver);
    }
    return NULL;
}

PGresult *mt_db_run_on(apr_pool_t *p, server_rec *s, ap_dbd_t *dbd,
                       const mt_statement *stmt, const char *const *params,
                       mt_db_rc *rc)
{
    PGconn *c = pg_handle(s, dbd);
    session_state *st;
    PGresult *res;
    int tries = (stmt->flags & MT_DB_REPEATABLE) ? 2 : 1, moved = 0;
    const char *state;

    if (!c) {
        *rc = MT_DB_FAILED;
        return NULL;
    }
    if (idle_conn_is_dead(c)) {
        PQreset(c);     /* nothing was sent yet: a fresh session is safe */
    }
    for (;;) {
        if (PQstatus(c) != CONNECTION_OK) {
            mt_db_report_down(s, "connect", PQerrorMessage(c));
            *rc = MT_DB_DOWN;
            return NULL;
        }
        st = use_named_statements(s) ? session_of(dbd, c) : NULL;
        res = run(st, c, stmt, params);
        if (PQresultStatus(res) == PGRES_TUPLES_OK
            || PQresultStatus(res) == PGRES_COMMAND_OK) {
            apr_pool_cleanup_register(p, res, clear_result,
                                      apr_pool_cleanup_null);
            mt_metrics_database_seen(1);
            *rc = MT_DB_OK;
            return res;
        }
        if (PQstatus(c) != CONNECTION_OK && --tries > 0) {
            PQclear(res);
            PQreset(c);
            continue;
        }
        /* on a node that takes no writes: a new session, once (nothing was
         * written), which lands on the one that does, if any */
        if (!moved && PQstatus(c) == CONNECTION_OK
            && sqlstate_is_read_only(PQresultErrorField(res, PG_DIAG_SQLSTATE))) {
            moved = 1;
            PQclear(res);
            PQreset(c);
            continue;
        }
        break;
    }
    state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    if (PQstatus(c) == CONNECTION_OK && sqlstate_is_timeout(state)) {
        report_failure(s, stmt, state, res);
        *rc = MT_DB_DOWN;
    }
    else if (PQstatus(c) != CONNECTION_OK || sqlstate_is_outage(state)
             || sqlstate_is_read_only(state)) {
        mt_db_report_down(s, state ? state : "connection lost",
                          PQresultErrorMessage(res));
        *rc = MT_DB_DOWN;
    }
    else {
        report_failure(s, stmt, state, res);
        *rc = MT_DB_FAILED;
    }
    PQclear(res);
    return NULL;
}

static APR_OPTIONAL_FN_TYPE(ap_dbd_acquire) *dbd_acquire;
APR_OPTIONAL_FN_TYPE(ap_dbd_open) *mt_dbd_open;
APR_OPTIONAL_FN_TYPE(ap_dbd_close) *mt_dbd_close;

void mt_db_post_config(void)
{
    dbd_acquire = APR_RETRIEVE_OPTIONAL_FN(ap_dbd_acquire);
    mt_dbd_open = APR_RETRIEVE_OPTIONAL_FN(ap_dbd_open);
    mt_dbd_close = APR_RETRIEVE_OPTIONAL_FN(ap_dbd_close);
}

PGresult *mt_db_run_in(request_rec *r, apr_pool_t *p, const mt_statement *stmt,
                       const char *const *params, mt_db_rc *rc)
{
    ap_dbd_t *dbd = dbd_acquire ? dbd_acquire(r) : NULL;

    if (!dbd) {
        mt_db_report_down(r->server, "acquire", NULL);
        *rc = MT_DB_DOWN;
        return NULL;
    }
    return mt_db_run_on(p, r->server, dbd, stmt, params, rc);
}

PGresult *mt_db_run(request_rec *r, const mt_statement *stmt,
                    const char *const *params, mt_db_rc *rc)
{
    return mt_db_run_in(r, r->pool, stmt, params, rc);
}

const char *mt_db_target(apr_pool_t *p, ap_dbd_t *dbd)
{
    PGconn *c = strcmp(apr_dbd_name(dbd->driver), "pgsql") == 0
                ? apr_dbd_native_handle(dbd->driver, dbd->handle) : NULL;

    if (!c) {
        return "a database that is not PostgreSQL";
    }
    return apr_psprintf(p, "host=%s port=%s dbname=%s user=%s", PQhost(c),
                        PQport(c), PQdb(c), PQuser(c));
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
