/* mod_ticket_payments.c: money, endpoints 7-9: PATCH /payments/charges,
 * GET /payments/:userId/accounts, POST /payments/pays.
 *
 * ticket_charge() and ticket_pay() in sql/ decide in one transaction each;
 * this file reads the request, asks, and words the answer. The 401s of
 * these endpoints carry their own messages (MT_GATE_MONEY, MT_GATE_PAY). */
#include <apr_strings.h>
#include "mod_ticket_private.h"
#include "tk_json.h"
#include "tk_parse.h"

#define HISTORY_DEFAULT 20
#define HISTORY_MAX 100

static const mt_statement CHARGE = {"tk_charge",
    "SELECT result, user_name, amount, point, reg_date"
    "  FROM ticket_charge($1::bigint, $2::bigint, $3::bigint, $4::bigint,"
    "                     $5::bigint, $6::text)", 6, 0};

static const mt_statement HISTORY = {"tk_history",
    "SELECT g.status, u.user_name, a.balance, l.kind, l.amount, l.balance_after,"
    "       to_char(l.created_at AT TIME ZONE 'UTC',"
    "               'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS reg_date"
    "  FROM " MT_GATE_SQL
    "  LEFT JOIN users u ON ticket_token_live(g.status) AND u.user_id = $2::bigint"
    "  LEFT JOIN accounts a ON a.user_id = u.user_id"
    "  LEFT JOIN LATERAL (SELECT * FROM ledger WHERE user_id = a.user_id"
    "                      ORDER BY entry_id DESC LIMIT $3::integer) l ON true"
    " ORDER BY l.entry_id DESC", 3, MT_DB_REPEATABLE};

static const mt_statement PAY = {"tk_pay",
    "SELECT result, $3::bigint AS ticket_id, user_name, concert_title,"
    "       concert_date, seat_num, price, point, token_stat"
    "  FROM ticket_pay($1::bigint, $2::bigint, $3::bigint)", 3, 0};

static const mt_outcome CHARGE_OUTCOMES[] = {
    {"unknown_user", TK_E_USER_NOT_FOUND},
    {"invalid_amount", TK_E_INVALID_AMOUNT},
    {"key_reused", TK_E_IDEMPOTENCY_KEY_REUSED},
    {NULL, TK_E_NONE}
};

static const mt_outcome PAY_OUTCOMES[] = {
    {"ticket_not_found", TK_E_TICKET_NOT_FOUND},
    {"hold_expired", TK_E_HOLD_EXPIRED},
    {"insufficient", TK_E_INSUFFICIENT_BALANCE},
    {NULL, TK_E_NONE}
};

static const mt_field CHARGE_FIELDS[] = {
    {"userName", "user_name", MT_TEXT},
    {"amount", "amount", MT_INT},
    {"point", "point", MT_INT},
    {"accountStat", TK_MSG_CHARGED, MT_FIXED},
    {"regDate", "reg_date", MT_TEXT},
    {NULL}
};

static const mt_field ACCOUNT_FIELDS[] = {
    {"userName", "user_name", MT_TEXT},
    {"point", "balance", MT_INT},
    {NULL}
};

static const mt_field HISTORY_FIELDS[] = {
    {"type", "kind", MT_TEXT},
    {"amount", "amount", MT_INT},
    {"point", "balance_after", MT_INT},
    {"regDate", "reg_date", MT_TEXT},
    {NULL}
};

static const mt_field PAYMENT_FIELDS[] = {
    {"ticketId", "ticket_id", MT_INT},
    {"userName", "user_name", MT_TEXT},
    {"concertTitle", "concert_title", MT_TEXT},
    {"concertDate", "concert_date", MT_TEXT},
    {"concertSeat", "seat_num", MT_INT},
    {"price", "price", MT_INT},
    {"point", "point", MT_INT},
    {"stat", "booked", MT_FIXED},
    {"tokenStat", "token_stat", MT_TEXT},
    {NULL}
};

/* The JSON body's userId and one more field: an ID (id_key) or, when
 * amount is set, the amount. TK_E_NONE when both are well formed. */
static tk_error_id read_body(request_rec *r, int64_t *user, const char *id_key,
                             int64_t *id, int64_t *amount)
{
    json_object *req;
    tk_error_id err = mt_read_json(r, &req);

    if (err != TK_E_NONE) {
        return err;
    }
    if (tk_json_get_id(req, "userId", user) != TK_FIELD_OK
        || (id_key && tk_json_get_id(req, id_key, id) != TK_FIELD_OK)
        || (amount && tk_json_get_amount(req, "amount", amount) != TK_FIELD_OK)) {
        return TK_E_BAD_REQUEST;
    }
    return TK_E_NONE;
}

/* Runs a money statement and answers its refusals: the result, or NULL
 * after answering. */
static PGresult *decide(request_rec *r, mt_gate *g, const mt_statement *stmt,
                        const mt_outcome *outcomes)
{
    PGresult *res;
    mt_db_rc rc;

    if (!(res = mt_db_run(r, stmt, g->params, &rc))) {
        g->done = mt_reply_db_error(r, rc);
        return NULL;
    }
    return mt_reply_outcome(r, g, mt_result_text(res, "result"), outcomes)
           ? NULL : res;
}

int mt_payments_charge(request_rec *r, const tk_route_match *m)
{
    const char *key = apr_table_get(r->headers_in, "Idempotency-Key");
    int64_t user = 0, amount = 0;
    tk_error_id input = read_body(r, &user, NULL, NULL, &amount);
    PGresult *res;
    mt_gate g;

    (void)m;
    if (input == TK_E_NONE && key && tk_parse_idempotency_key(key) != TK_PARSE_OK) {
        input = TK_E_BAD_REQUEST;
    }
    if (!mt_gate_pass(r, &MT_GATE_MONEY, input, user, &g)) {
        return g.done;
    }
    g.params[2] = mt_i64_text(r->pool, amount);
    g.params[3] = mt_conf_param(r->pool, r->server, TK_CONF_MAX_CHARGE);
    g.params[4] = mt_conf_param(r->pool, r->server, TK_CONF_MAX_BALANCE);
    g.params[5] = key;
    if (!(res = decide(r, &g, &CHARGE, CHARGE_OUTCOMES))) {
        return g.done;
    }
    return mt_reply_json(r, HTTP_OK, mt_json_row(NULL, res, 0, CHARGE_FIELDS));
}

int mt_payments_history(request_rec *r, const tk_route_match *m)
{
    int64_t user = 0;
    int limit = 0;
    tk_error_id input =
        tk_parse_id(tk_route_param(m, "userId"), &user) == TK_PARSE_OK
        && tk_parse_limit(r->args, HISTORY_DEFAULT, HISTORY_MAX,
                          &limit) == TK_PARSE_OK ? TK_E_NONE : TK_E_BAD_REQUEST;
    json_object *body;
    PGresult *res;
    mt_db_rc rc;
    mt_gate g;

    if (!mt_gate_pass(r, &MT_GATE_MONEY, input, user, &g)) {
        return g.done;
    }
    g.params[2] = apr_itoa(r->pool, limit);
    if (!(res = mt_db_run(r, &HISTORY, g.params, &rc))) {
        return mt_reply_db_error(r, rc);
    }
    if (mt_gate_refused(r, &g, mt_result_text(res, "status"))) {
        return g.done;
    }
    if (mt_result_null(res, "user_name")) {
        return mt_reply_error(r, TK_E_USER_NOT_FOUND);
    }
    if (mt_result_null(res, "balance")) {
        return mt_reply_error(r, TK_E_ACCOUNT_NOT_FOUND);
    }
    body = mt_json_row(NULL, res, 0, ACCOUNT_FIELDS);
    json_object_object_add(body, "history", mt_json_rows(res, "kind", HISTORY_FIELDS));
    return mt_reply_json(r, HTTP_OK, body);
}

/* What this host's lookups' copy drops at once after a payment: the
 * seat's date (booked, or its hold seen ended), and the token when the
 * payment ended it (or found it expired). */
static void payment_changed_copy(const mt_gate *g, const PGresult *res)
{
    const char *result = mt_result_text(res, "result");
    const char *token = mt_result_text(res, "token_stat");

    if (!result) {
        return;
    }
    if (strcmp(result, "paid") == 0 || strcmp(result, "hold_expired") == 0) {
        mt_lookup_date_changed(mt_result_text(res, "concert_date"));
    }
    if ((strcmp(result, "paid") == 0 && token && strcmp(token, "expire") == 0)
        || strcmp(result, "token_expire") == 0) {
        mt_lookup_token_ended(g->token.seq);
    }
}

int mt_payments_pay(request_rec *r, const tk_route_match *m)
{
    int64_t user = 0, ticket = 0;
    tk_error_id input = read_body(r, &user, "ticketId", &ticket, NULL);
    PGresult *res;
    mt_db_rc rc;
    mt_gate g;

    (void)m;
    if (!mt_gate_pass(r, &MT_GATE_PAY, input, user, &g)) {
        return g.done;
    }
    g.params[2] = mt_i64_text(r->pool, ticket);
    if (!(res = mt_db_run(r, &PAY, g.params, &rc))) {
        return mt_reply_db_error(r, rc);
    }
    payment_changed_copy(&g, res);
    if (mt_reply_outcome(r, &g, mt_result_text(res, "result"), PAY_OUTCOMES)) {
        return g.done;
    }
    if (strcmp(mt_result_text(res, "result"), "paid") == 0
        && strcmp(mt_result_text(res, "token_stat"), "expire") == 0) {
        mt_admission_after_response(r); /* the slot it freed, at once */
    }
    return mt_reply_json(r, HTTP_OK, mt_json_row(NULL, res, 0, PAYMENT_FIELDS));
}
