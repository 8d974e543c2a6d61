/* mod_ticket_db.c: statements through mod_dbd's pooled connections.
 *
 * We take the PGconn under mod_dbd's handle and use libpq directly:
 * unlabelled PQexecParams (nothing to lose when a connection is reset),
 * SQLSTATEs, real NULLs. A connection that died while idle in the pool
 * (PostgreSQL restarted) is noticed before the statement is sent, reset,
 * and the statement runs on the fresh session, so users never see it.
 * A connection lost during a statement is retried only for statements that
 * are safe to repeat (MT_DB_REPEATABLE); writes answer 503 and rely on
 * their own guards. */
#include <poll.h>
#include <apr_optional.h>
#include <apr_strings.h>
#include "mod_ticket_private.h"

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

static PGresult *run(PGconn *c, const char *sql, int n,
                     const char *const *params)
{
    return PQexecParams(c, sql, n, NULL, params, NULL, NULL, 0);
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

PGresult *mt_db_exec(request_rec *r, int flags, const char *sql, int nparams,
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
    return mt_db_exec_on(r->pool, r->server, dbd, flags, sql, nparams,
                         params, rc);
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
