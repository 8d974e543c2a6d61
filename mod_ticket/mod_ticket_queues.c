/* mod_ticket_queues.c: POST /queues (enter) and GET /queues (poll),
 * endpoints 1 and 2.
 *
 * A waiting poll is answered from the token (its number) and this host's
 * snapshot of the queue, with no database statement. Only a token that
 * the snapshot may show admitted, or a host with no snapshot yet, reads
 * the database. */
#include "mod_ticket_private.h"
#include "tk_json.h"

static const mt_statement ENTER = {"tk_enter",
    "SELECT e.result, e.user_id, e.token_seq, e.token_state, (e.queue).*"
    "  FROM ticket_enter($1::bigint, $2::text, $3::boolean) e", 3, 0};

/* (the state through the gate's function: a poll that sees service
 * claims the token, see TicketClaimTimeout; and this host's lookups'
 * copy learns it) */
static const mt_statement TOKEN = {"tk_token",
    "SELECT g.status AS state,"
    "       to_char(t.expires_at AT TIME ZONE 'UTC',"
    "               'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS expires_at,"
    "       greatest(ceil(extract(epoch FROM t.expires_at - clock_timestamp())),"
    "                0)::bigint AS remaining,"
    "       (extract(epoch FROM t.expires_at - now()) * 1000000)::bigint AS ends_in_us,"
    "       q.*"
    "  FROM " MT_GATE_SQL
    "  JOIN queue_tokens t ON t.seq = $1::bigint AND t.user_id = $2::bigint"
    " CROSS JOIN ticket_queue_view() q", 2, MT_DB_REPEATABLE};

static const mt_outcome ENTER_OUTCOMES[] = {
    {"forbidden", TK_E_FORBIDDEN},
    {"unknown_user", TK_E_QUEUE_USER_NOT_FOUND},
    {"closed", TK_E_QUEUE_CLOSED},
    {NULL, TK_E_NONE}
};

static const mt_field SERVICE_FIELDS[] = {
    {"tokenStatus", "service", MT_FIXED},
    {"expiresAt", "expires_at", MT_TEXT},
    {"remainingSeconds", "remaining", MT_INT},
    {NULL}
};

static const mt_field EXPIRED_FIELDS[] = {
    {"tokenStatus", "expire", MT_FIXED},
    {"message", TK_MSG_EXPIRED, MT_FIXED},
    {NULL}
};

/* A new reply body, starting with userToken when there is one. */
static json_object *new_body(const char *user_token)
{
    json_object *body = json_object_new_object();

    if (user_token) {
        json_object_object_add(body, "userToken",
                               json_object_new_string(user_token));
    }
    return body;
}

static json_object *message(long long position)
{
    char text[TK_MSG_WAITING_MAX];

    tk_msg_waiting(text, position);
    return json_object_new_string(text);
}

/* The answer for a waiting token before the sale's start (and until the
 * shuffle at the start is known here): no position yet, how many have
 * entered, the seconds until the start. */
static json_object *prequeue_body(const char *user_token, int64_t seq,
                                  const tk_queue_view *v, const tk_queue_rules *rules)
{
    json_object *body = new_body(user_token);
    int64_t until_ms = (rules->sale_start - apr_time_now()) / 1000;

    json_object_object_add(body, "tokenStatus", json_object_new_string("wait"));
    json_object_object_add(body, "position", NULL);
    json_object_object_add(body, "waitingCount",
                           mt_json_i64(tk_queue_waiting_count(tk_queue_waiting_now(v), 1)));
    json_object_object_add(body, "etaSeconds",
                           mt_json_i64(until_ms > 0 ? (until_ms + 999) / 1000 : 0));
    json_object_object_add(body, "pollAfterMs",
                           mt_json_i64(tk_queue_poll_within_claim(
                               tk_queue_prequeue_poll_ms(until_ms, rules->interval * 1000,
                                                         tk_queue_waiting_now(v), seq),
                               rules)));
    json_object_object_add(body, "message", json_object_new_string(TK_MSG_PREQUEUE));
    return body;
}

/* The answer for a waiting token at position (tk_queue_place's, which
 * the caller has). */
static json_object *waiting_body(request_rec *r, const char *user_token,
                                 int64_t seq, int64_t position,
                                 const tk_queue_view *v)
{
    json_object *body;
    tk_queue_rules rules;
    int64_t free_slots, eta;

    mt_conf_queue_rules(r->server, &rules);
    if (tk_queue_in_prequeue(v, &rules)) {
        return prequeue_body(user_token, seq, v, &rules);
    }
    if (position < 1) {
        position = 1;   /* admitted meanwhile: next in line at worst */
    }
    body = new_body(user_token);
    free_slots = rules.paused ? 0 : rules.capacity - v->in_service;
    eta = tk_queue_eta(v, &rules, position, apr_time_now());
    json_object_object_add(body, "tokenStatus", json_object_new_string("wait"));
    json_object_object_add(body, "position", mt_json_i64(position));
    json_object_object_add(body, "waitingCount",
                           mt_json_i64(tk_queue_waiting_count(tk_queue_waiting_now(v),
                                                              position)));
    json_object_object_add(body, "etaSeconds",
                           eta == TK_ETA_UNKNOWN ? NULL : mt_json_i64(eta));
    json_object_object_add(body, "pollAfterMs",
                           mt_json_i64(tk_queue_poll_within_claim(
                               tk_queue_poll_after_ms(
                                   tk_queue_behind_free_slots(position, free_slots), eta),
                               &rules)));
    json_object_object_add(body, "message", message(position));
    return body;
}

/* The answer for a token admitted at entry. */
static json_object *admitted_body(const char *user_token, const tk_queue_view *v)
{
    json_object *body = new_body(user_token);

    json_object_object_add(body, "tokenStatus", json_object_new_string("service"));
    json_object_object_add(body, "position", mt_json_i64(0));
    json_object_object_add(body, "waitingCount", mt_json_i64(tk_queue_waiting_now(v)));
    json_object_object_add(body, "message", json_object_new_string(TK_MSG_ADMITTED));
    return body;
}

/* The body's userId: required in Body mode, optional (but the caller's)
 * in RemoteUser mode. TK_E_NONE, or endpoint 1's error. */
static tk_error_id read_entry(request_rec *r, int64_t *user)
{
    json_object *req;
    tk_error_id err = mt_read_json(r, &req);
    tk_field_rc rc;

    *user = 0;
    if (err != TK_E_NONE) {
        return err == TK_E_BAD_REQUEST ? TK_E_QUEUE_BAD_REQUEST : err;
    }
    rc = tk_json_get_id(req, "userId", user);
    return rc == TK_FIELD_OK || (rc == TK_FIELD_MISSING && mt_caller(r))
           ? TK_E_NONE : TK_E_QUEUE_BAD_REQUEST;
}

int mt_queues_enter(request_rec *r, const tk_route_match *m)
{
    int64_t user;
    tk_error_id input = read_entry(r, &user);
    tk_queue_view view;
    tk_token token;
    const char *params[3];
    PGresult *res;
    mt_db_rc rc;
    mt_gate g;
    char *text;

    (void)m;
    if (!mt_gate_pass(r, &MT_GATE_ENTER, input, 0, &g)) {
        return g.done;
    }
    params[0] = user ? mt_i64_text(r->pool, user) : NULL;
    params[1] = mt_caller(r);
    params[2] = mt_conf_queue_mode(r->server) != TK_QUEUE_CLOSED ? "true" : "false";
    if (!(res = mt_db_run(r, &ENTER, params, &rc))) {
        return mt_reply_db_error(r, rc);
    }
    if (mt_reply_outcome(r, &g, mt_result_text(res, "result"), ENTER_OUTCOMES)) {
        return g.done;
    }
    token.user_id = mt_db_int64(res, 0, PQfnumber(res, "user_id"));
    token.seq = mt_db_int64(res, 0, PQfnumber(res, "token_seq"));
    mt_snapshot_merge_result(res);
    mt_snapshot_read(&view);        /* head may be newer here than there */
    if (!(text = mt_token_text(r, &token))) {
        return mt_reply_error(r, TK_E_INTERNAL);
    }
    return mt_reply_json(r, HTTP_OK,
                         strcmp(mt_result_text(res, "token_state"), "service") == 0
                         ? admitted_body(text, &view)
                         : waiting_body(r, text, token.seq,
                                        tk_queue_place(&view, token.seq), &view));
}

int mt_queues_poll(request_rec *r, const tk_route_match *m)
{
    mt_token_ask ask;
    tk_queue_view view;
    const char *state;
    int64_t position;
    PGresult *res;
    mt_db_rc rc;
    mt_gate g;

    (void)m;
    if (!mt_gate_pass(r, &MT_GATE_POLL, TK_E_NONE, 0, &g)) {
        return g.done;
    }
    mt_snapshot_read(&view);
    position = view.refreshed_at != 0 ? tk_queue_place(&view, g.token.seq) : 0;
    if (position > 0) {
        return mt_reply_json(r, HTTP_OK,
                             waiting_body(r, NULL, g.token.seq, position, &view));
    }
    mt_lookup_token_ask(&g.token, &ask);
    if (!(res = mt_db_run(r, &TOKEN, g.params, &rc))) {
        return mt_reply_db_error(r, rc);
    }
    if (PQntuples(res) == 0) {
        return mt_reply_error(r, TK_E_TOKEN_INVALID);   /* not of this database */
    }
    mt_snapshot_merge_result(res);
    state = mt_result_text(res, "state");
    mt_lookup_token_answer(r->server, &ask, state, mt_result_text(res, "ends_in_us"));
    if (strcmp(state, "wait") == 0) {
        mt_snapshot_read(&view);
        return mt_reply_json(r, HTTP_OK,
                             waiting_body(r, NULL, g.token.seq,
                                          tk_queue_place(&view, g.token.seq), &view));
    }
    if (strcmp(state, "service") == 0) {
        return mt_reply_json(r, HTTP_OK, mt_json_row(NULL, res, 0, SERVICE_FIELDS));
    }
    return mt_reply_json(r, HTTP_OK, mt_json_row(NULL, res, 0, EXPIRED_FIELDS));
}
