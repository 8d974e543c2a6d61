/* mod_ticket_gate.c: the service-token gate of endpoints 3-6.
 *
 * The token's signature is checked here; a token the snapshot shows
 * waiting is refused without the database; otherwise the token's state is
 * one indexed lookup (ticket_token_status() in sql/) joined into the
 * endpoint's own statement, and mt_gate_error() reads its answer. */
#include <apr_strings.h>
#include "mod_ticket_private.h"

int mt_gate_open(request_rec *r, tk_token *t, const char **params,
                 tk_error_id *err)
{
    tk_queue_view view;

    if (!mt_request_token(r, t)) {
        *err = TK_E_TOKEN_INVALID;
        return 0;
    }
    mt_snapshot_read(&view);
    if (view.refreshed_at != 0 && t->seq > view.head) {
        *err = TK_E_TOKEN_NOT_ADMITTED;   /* still waiting, by the snapshot */
        return 0;
    }
    params[0] = apr_psprintf(r->pool, "%" APR_INT64_T_FMT, (apr_int64_t)t->seq);
    params[1] = apr_psprintf(r->pool, "%" APR_INT64_T_FMT, (apr_int64_t)t->user_id);
    return 1;
}

int mt_gate_error(const char *status, tk_error_id *err)
{
    if (status && strcmp(status, "service") == 0) {
        return 0;
    }
    *err = !status || strcmp(status, "invalid") == 0 ? TK_E_TOKEN_INVALID
         : strcmp(status, "wait") == 0 ? TK_E_TOKEN_NOT_ADMITTED
         : TK_E_TOKEN_EXPIRED;
    return 1;
}

int mt_gate_alone(request_rec *r, const char **params, tk_error_id *err)
{
    static const char GATE_SQL[] =
        "SELECT ticket_token_status($1::bigint, $2::bigint)";
    mt_db_rc rc;
    PGresult *res = mt_db_exec(r, MT_DB_REPEATABLE, GATE_SQL, 2, params, &rc);

    if (!res) {
        *err = rc == MT_DB_DOWN ? TK_E_UNAVAILABLE : TK_E_INTERNAL;
        return 1;
    }
    return mt_gate_error(mt_db_text(res, 0, 0), err);
}
