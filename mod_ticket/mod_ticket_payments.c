/* mod_ticket_payments.c: money, endpoints 7-9: PATCH /payments/charges,
 * GET /payments/:userId/accounts, POST /payments/pays.
 *
 * ticket_charge() and ticket_pay() in sql/ decide in one transaction each;
 * this file reads the request, asks, and words the answer. The 401s of
 * these endpoints carry their own messages (api.md). */
#include <apr_strings.h>
#include "mod_ticket_private.h"
#include "tk_json.h"
#include "tk_parse.h"

#define HISTORY_DEFAULT 20
#define HISTORY_MAX 100

static const char CHARGE_SQL[] =
    "SELECT result, user_name, amount, point, reg_date"
    "  FROM ticket_charge($1::bigint, $2::bigint, $3::bigint, $4::bigint,"
    "                     $5::bigint, $6::text)";

/* (the gate in an "OFFSET 0" subquery runs once, not once per row) */
static const char HISTORY_SQL[] =
    "SELECT g.status, u.name, a.balance, l.kind, l.amount, l.balance_after,"
    "       to_char(l.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
    "  FROM (SELECT ticket_token_status($1::bigint, $2::bigint) AS status"
    "        OFFSET 0) g"
    "  LEFT JOIN users u ON ticket_token_live(g.status) AND u.user_id = $2::bigint"
    "  LEFT JOIN accounts a ON a.user_id = u.user_id"
    "  LEFT JOIN LATERAL (SELECT * FROM ledger WHERE user_id = a.user_id"
    "                      ORDER BY entry_id DESC LIMIT $3::integer) l ON true"
    " ORDER BY l.entry_id DESC";

static const char PAY_SQL[] =
    "SELECT result, user_name, concert_title, concert_date, seat_num, price,"
    "       point, token_stat"
    "  FROM ticket_pay($1::bigint, $2::bigint, $3::bigint)";

static const mt_outcome CHARGE_OUTCOMES[] = {
    {"unknown_user", TK_E_USER_NOT_FOUND},
    {"invalid_amount", TK_E_INVALID_AMOUNT},
    {"key_reused", TK_E_IDEMPOTENCY_KEY_REUSED},
    {NULL, TK_E__COUNT}
};

static const mt_outcome PAY_OUTCOMES[] = {
    {"ticket_not_found", TK_E_TICKET_NOT_FOUND},
    {"hold_expired", TK_E_HOLD_EXPIRED},
    {"insufficient", TK_E_INSUFFICIENT_BALANCE},
    {NULL, TK_E__COUNT}
};

static const char *i64_text(apr_pool_t *p, int64_t v)
{
    return apr_psprintf(p, "%" APR_INT64_T_FMT, (apr_int64_t)v);
}

/* The token's statuses for endpoints 7 and 8: wait and service pass. */
static int live_token_error(const char *status, tk_error_id *err)
{
    if (status && (strcmp(status, "wait") == 0 || strcmp(status, "service") == 0)) {
        return 0;
    }
    return mt_gate_error(status, err);
}

/* An answer decided before the statement (400, 403): the token, looked up
 * alone, still comes first. */
static int refuse(request_rec *r, const char **params, tk_error_id id,
                  const char *denied, int live_is_enough)
{
    static const char STATUS_SQL[] =
        "SELECT ticket_token_status($1::bigint, $2::bigint)";
    tk_error_id err;
    mt_db_rc rc;
    PGresult *res = mt_db_exec(r, MT_DB_REPEATABLE, STATUS_SQL, 2, params, &rc);

    if (!res) {
        return mt_reply_db_error(r, rc);
    }
    if (live_is_enough ? live_token_error(mt_db_text(res, 0, 0), &err)
                       : mt_gate_error(mt_db_text(res, 0, 0), &err)) {
        return mt_reply_error_msg(r, err, denied);
    }
    return mt_reply_error(r, id);
}

/* The token of the request, signature checked: 0 after answering 401. */
static int read_token(request_rec *r, tk_token *t, const char **params,
                      const char *denied, int *done)
{
    if (!mt_request_token(r, t)) {
        *done = mt_reply_error_msg(r, TK_E_TOKEN_INVALID, denied);
        return 0;
    }
    params[0] = i64_text(r->pool, t->seq);
    params[1] = i64_text(r->pool, t->user_id);
    return 1;
}

/* The JSON body's userId and, when amount_key is set, that amount. */
static tk_error_id read_body(request_rec *r, const char *id_key, int64_t *id,
                             int64_t *user, int64_t *amount)
{
    const char *buf;
    apr_size_t len;
    tk_error_id err;
    json_object *req;
    int ok;

    if (mt_read_body(r, &buf, &len, &err) != OK) {
        return err;
    }
    req = tk_json_parse_object(buf, len);
    ok = req && tk_json_get_id(req, "userId", user) == TK_FIELD_OK
         && (!id_key || tk_json_get_id(req, id_key, id) == TK_FIELD_OK)
         && (!amount || tk_json_get_amount(req, "amount", amount) == TK_FIELD_OK);
    json_object_put(req);
    return ok ? TK_E__COUNT : TK_E_BAD_REQUEST;
}

int mt_payments_charge(request_rec *r, const tk_route_match *m)
{
    const char *params[6], *key = apr_table_get(r->headers_in, "Idempotency-Key");
    int64_t user, amount;
    tk_token token;
    tk_error_id err;
    json_object *body;
    PGresult *res;
    mt_db_rc rc;
    int done;

    (void)m;
    if (!read_token(r, &token, params, TK_MSG_USER_DENIED, &done)) {
        return done;
    }
    err = read_body(r, NULL, NULL, &user, &amount);
    if (err == TK_E__COUNT && key && tk_parse_idempotency_key(key) != TK_PARSE_OK) {
        err = TK_E_BAD_REQUEST;
    }
    if (err == TK_E_PAYLOAD_TOO_LARGE) {
        return mt_reply_error(r, err);
    }
    if (err != TK_E__COUNT || user != token.user_id) {
        return refuse(r, params, err != TK_E__COUNT ? err : TK_E_FORBIDDEN,
                      TK_MSG_USER_DENIED, 1);
    }
    params[2] = i64_text(r->pool, amount);
    params[3] = i64_text(r->pool, mt_conf_number(r->server, TK_CONF_MAX_CHARGE));
    params[4] = i64_text(r->pool, mt_conf_number(r->server, TK_CONF_MAX_BALANCE));
    params[5] = key;
    if (!(res = mt_db_exec(r, 0, CHARGE_SQL, 6, params, &rc))) {
        return mt_reply_db_error(r, rc);
    }
    if (mt_reply_outcome(r, mt_db_text(res, 0, 0), CHARGE_OUTCOMES,
                         TK_MSG_USER_DENIED, &done)) {
        return done;
    }
    body = json_object_new_object();
    json_object_object_add(body, "userName", json_object_new_string(mt_db_text(res, 0, 1)));
    json_object_object_add(body, "amount", mt_json_i64(mt_db_int64(res, 0, 2)));
    json_object_object_add(body, "point", mt_json_i64(mt_db_int64(res, 0, 3)));
    json_object_object_add(body, "accountStat", json_object_new_string("충전완료"));
    json_object_object_add(body, "regDate", json_object_new_string(mt_db_text(res, 0, 4)));
    return mt_reply_json(r, HTTP_OK, body);
}

int mt_payments_history(request_rec *r, const tk_route_match *m)
{
    const char *params[3];
    int64_t user;
    int limit, i, done;
    tk_token token;
    tk_error_id err;
    json_object *body, *history;
    PGresult *res;
    mt_db_rc rc;

    if (!read_token(r, &token, params, TK_MSG_USER_DENIED, &done)) {
        return done;
    }
    if (tk_parse_id(tk_route_param(m, "userId"), &user) != TK_PARSE_OK
        || tk_parse_limit(r->args, HISTORY_DEFAULT, HISTORY_MAX, &limit) != TK_PARSE_OK) {
        return refuse(r, params, TK_E_BAD_REQUEST, TK_MSG_USER_DENIED, 1);
    }
    if (user != token.user_id) {
        return refuse(r, params, TK_E_FORBIDDEN, TK_MSG_USER_DENIED, 1);
    }
    params[2] = apr_itoa(r->pool, limit);
    if (!(res = mt_db_exec(r, MT_DB_REPEATABLE, HISTORY_SQL, 3, params, &rc))) {
        return mt_reply_db_error(r, rc);
    }
    if (live_token_error(mt_db_text(res, 0, 0), &err)) {
        return mt_reply_error_msg(r, err, TK_MSG_USER_DENIED);
    }
    if (mt_db_is_null(res, 0, 1)) {
        return mt_reply_error(r, TK_E_USER_NOT_FOUND);
    }
    if (mt_db_is_null(res, 0, 2)) {
        return mt_reply_error(r, TK_E_ACCOUNT_NOT_FOUND);
    }
    history = json_object_new_array();
    for (i = 0; i < PQntuples(res); ++i) {
        json_object *e;
        if (mt_db_is_null(res, i, 3)) {
            continue;
        }
        e = json_object_new_object();
        json_object_object_add(e, "type", json_object_new_string(mt_db_text(res, i, 3)));
        json_object_object_add(e, "amount", mt_json_i64(mt_db_int64(res, i, 4)));
        json_object_object_add(e, "point", mt_json_i64(mt_db_int64(res, i, 5)));
        json_object_object_add(e, "regDate", json_object_new_string(mt_db_text(res, i, 6)));
        json_object_array_add(history, e);
    }
    body = json_object_new_object();
    json_object_object_add(body, "userName", json_object_new_string(mt_db_text(res, 0, 1)));
    json_object_object_add(body, "point", mt_json_i64(mt_db_int64(res, 0, 2)));
    json_object_object_add(body, "history", history);
    return mt_reply_json(r, HTTP_OK, body);
}

static int reply_payment(request_rec *r, const PGresult *res, int64_t ticket)
{
    json_object *body = json_object_new_object();

    json_object_object_add(body, "ticketId", mt_json_i64(ticket));
    json_object_object_add(body, "userName", json_object_new_string(mt_db_text(res, 0, 1)));
    json_object_object_add(body, "concertTitle", json_object_new_string(mt_db_text(res, 0, 2)));
    json_object_object_add(body, "concertDate", json_object_new_string(mt_db_text(res, 0, 3)));
    json_object_object_add(body, "concertSeat", mt_json_i64(mt_db_int64(res, 0, 4)));
    json_object_object_add(body, "price", mt_json_i64(mt_db_int64(res, 0, 5)));
    json_object_object_add(body, "point", mt_json_i64(mt_db_int64(res, 0, 6)));
    json_object_object_add(body, "stat", json_object_new_string("booked"));
    json_object_object_add(body, "tokenStat", json_object_new_string(mt_db_text(res, 0, 7)));
    return mt_reply_json(r, HTTP_OK, body);
}

int mt_payments_pay(request_rec *r, const tk_route_match *m)
{
    const char *params[3], *result;
    int64_t user, ticket;
    tk_token token;
    tk_error_id err;
    PGresult *res;
    mt_db_rc rc;
    int done;

    (void)m;
    if (!read_token(r, &token, params, TK_MSG_TICKET_DENIED, &done)) {
        return done;
    }
    err = read_body(r, "ticketId", &ticket, &user, NULL);
    if (err == TK_E_PAYLOAD_TOO_LARGE) {
        return mt_reply_error(r, err);
    }
    if (err != TK_E__COUNT || user != token.user_id) {
        return refuse(r, params, err != TK_E__COUNT ? err : TK_E_FORBIDDEN,
                      TK_MSG_TICKET_DENIED, 0);
    }
    params[2] = i64_text(r->pool, ticket);
    if (!(res = mt_db_exec(r, 0, PAY_SQL, 3, params, &rc))) {
        return mt_reply_db_error(r, rc);
    }
    result = mt_db_text(res, 0, 0);
    if (mt_reply_outcome(r, result, PAY_OUTCOMES, TK_MSG_TICKET_DENIED, &done)) {
        return done;
    }
    if (strcmp(result, "paid") == 0 && strcmp(mt_db_text(res, 0, 7), "expire") == 0) {
        mt_admission_now(r);    /* the slot this payment freed, at once */
    }
    return reply_payment(r, res, ticket);
}
