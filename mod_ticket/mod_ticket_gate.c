/* mod_ticket_gate.c: the order of checks every endpoint follows
 * (openapi.yaml): body size, the token, the syntax of body and path, the
 * userId named against the token's, then the endpoint's statement.
 *
 * The token's signature is checked here; a token the snapshot shows
 * waiting is refused without the database where only service will do.
 * Otherwise the token's state is one indexed lookup (ticket_token_status()
 * in sql/) that the endpoint joins into its own statement (MT_GATE_SQL),
 * so an admitted token costs no extra round trip; only a request refused
 * before its statement (400, 403) reads the token's state on its own,
 * because the token decides first. */
#include <http_core.h>
#include <http_request.h>
#include "mod_ticket_private.h"

const mt_gate_rule MT_GATE_ENTER = {MT_NEED_NONE, 0, NULL};
const mt_gate_rule MT_GATE_POLL = {MT_NEED_GENUINE, 0, NULL};
const mt_gate_rule MT_GATE_SERVICE = {MT_NEED_SERVICE, 0, NULL};
const mt_gate_rule MT_GATE_MONEY = {MT_NEED_LIVE, 0, TK_MSG_USER_DENIED};
const mt_gate_rule MT_GATE_PAY = {MT_NEED_SERVICE, 1, TK_MSG_TICKET_DENIED};

static const mt_statement TOKEN_STATUS = {
    "tk_token_status", "SELECT g.status FROM " MT_GATE_SQL, 2, MT_DB_REPEATABLE
};

/* ticket_token_status()'s words, as refusals */
static const mt_outcome REFUSALS[] = {
    {"wait", TK_E_TOKEN_NOT_ADMITTED},
    {"expire", TK_E_TOKEN_EXPIRED},
    {"invalid", TK_E_TOKEN_INVALID},
    {NULL, TK_E_NONE}
};

/* What the rule makes of a token state: TK_E_NONE when it passes. */
static tk_error_id judge(const mt_gate_rule *rule, const char *status)
{
    const mt_outcome *o;

    if (status && (strcmp(status, "service") == 0
                   || (rule->need == MT_NEED_LIVE && strcmp(status, "wait") == 0))) {
        return TK_E_NONE;
    }
    for (o = REFUSALS; status && o->result; ++o) {
        if (strcmp(status, o->result) == 0) {
            return o->error;
        }
    }
    return TK_E_TOKEN_INVALID;
}

/* Answers err; a refused token in the endpoint's own words. */
static int answer(request_rec *r, mt_gate *g, tk_error_id err)
{
    int token = err == TK_E_TOKEN_INVALID || err == TK_E_TOKEN_EXPIRED
                || err == TK_E_TOKEN_NOT_ADMITTED;

    g->done = mt_reply_error_msg(r, err, token ? g->rule->denied : NULL);
    return 0;
}

/* 401 UNAUTHENTICATED: RemoteUser mode, and the site's authentication
 * let the request through without a user (or with a name that cannot be
 * one). Where the location's AuthType is Basic, with its challenge. */
static int unauthenticated(request_rec *r, mt_gate *g)
{
    const char *type = ap_auth_type(r);

    if (type && strcasecmp(type, "Basic") == 0) {
        ap_note_auth_failure(r);
    }
    return answer(r, g, TK_E_UNAUTHENTICATED);
}

/* An answer decided before the statement (400, 403): the token, looked up
 * on its own, still comes first. */
static int refuse_after_token(request_rec *r, mt_gate *g, tk_error_id err)
{
    tk_error_id refusal;
    PGresult *res;
    mt_db_rc rc;

    if (g->rule->need < MT_NEED_LIVE) {
        return answer(r, g, err);       /* the signature was all there was */
    }
    if (!(res = mt_db_run(r, &TOKEN_STATUS, g->params, &rc))) {
        g->done = mt_reply_db_error(r, rc);
        return 0;
    }
    refusal = judge(g->rule, mt_db_text(res, 0, 0));
    return answer(r, g, refusal != TK_E_NONE ? refusal : err);
}

int mt_gate_pass(request_rec *r, const mt_gate_rule *rule, tk_error_id input,
                 int64_t user, mt_gate *g)
{
    tk_queue_view view;

    memset(g, 0, sizeof(*g));
    g->rule = rule;
    if (input == TK_E_PAYLOAD_TOO_LARGE) {
        return answer(r, g, input);
    }
    if (mt_conf_identity(r->server) == TK_IDENTITY_REMOTE_USER && !mt_caller(r)) {
        return unauthenticated(r, g);
    }
    if (rule->need != MT_NEED_NONE) {
        if (!mt_request_token(r, &g->token)) {
            return answer(r, g, TK_E_TOKEN_INVALID);
        }
        mt_snapshot_read(&view);
        if (rule->need == MT_NEED_SERVICE && !rule->replay_first
            && view.refreshed_at != 0 && tk_queue_place(&view, g->token.seq) > 0) {
            return answer(r, g, TK_E_TOKEN_NOT_ADMITTED);
        }
        g->params[0] = mt_i64_text(r->pool, g->token.seq);
        g->params[1] = mt_i64_text(r->pool, g->token.user_id);
    }
    if (input != TK_E_NONE) {
        return refuse_after_token(r, g, input);
    }
    if (user != 0 && user != g->token.user_id) {
        return refuse_after_token(r, g, TK_E_FORBIDDEN);
    }
    return 1;
}

int mt_gate_refused(request_rec *r, mt_gate *g, const char *status)
{
    tk_error_id refusal = judge(g->rule, status);

    if (refusal == TK_E_NONE) {
        return 0;
    }
    answer(r, g, refusal);
    return 1;
}
