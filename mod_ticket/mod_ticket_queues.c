/* mod_ticket_queues.c: POST /queues (enter) and GET /queues (poll),
 * endpoints 1 and 2.
 *
 * A waiting poll is answered from the token (its number) and this host's
 * snapshot of the queue, with no database statement. Only a token that
 * the snapshot may show admitted, or a host with no snapshot yet, reads
 * the database. */
#include <apr_strings.h>
#include "mod_ticket_private.h"
#include "tk_json.h"

#define MSG_ADMITTED "입장이 허용되었습니다."
#define MSG_EXPIRED "사용시간이 만료되었습니다."

static const char ENTER_SQL[] =
    "SELECT result, token_seq, token_state, q_head, q_waiting,"
    "       q_admitted_last_minute, q_in_service, q_advanced_us"
    "  FROM ticket_enter($1::bigint, $2::boolean)";

static const char TOKEN_SQL[] =
    "SELECT t.state,"
    "       t.state = 'service' AND t.expires_at > clock_timestamp(),"
    "       to_char(t.expires_at AT TIME ZONE 'UTC',"
    "               'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
    "       ceil(extract(epoch FROM t.expires_at - clock_timestamp()))::bigint,"
    "       q.head, q.waiting, q.admitted_last_minute, q.in_service,"
    "       (extract(epoch FROM q.advanced_at) * 1000000)::bigint"
    "  FROM queue_tokens t CROSS JOIN queue_state q"
    " WHERE t.seq = $1::bigint AND t.user_id = $2::bigint";

/* queue_state columns of a result, from column col on. */
static void view_from_row(const PGresult *res, int col, tk_queue_view *v)
{
    v->head = mt_db_int64(res, 0, col);
    v->waiting = mt_db_int64(res, 0, col + 1);
    v->admitted_last_minute = mt_db_int64(res, 0, col + 2);
    v->in_service = mt_db_int64(res, 0, col + 3);
    v->refreshed_at = mt_db_int64(res, 0, col + 4);
}

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

/* The answer for a waiting token. */
static json_object *waiting_body(request_rec *r, const char *user_token,
                                 int64_t seq, const tk_queue_view *v)
{
    json_object *body = new_body(user_token);
    int64_t position = tk_queue_position(seq, v->head);
    int64_t free_slots = mt_conf_number(r->server, TK_CONF_CAPACITY) - v->in_service;
    int64_t eta;

    if (position < 1) {
        position = 1;   /* admitted meanwhile: next in line at worst */
    }
    eta = tk_queue_eta_seconds(position, v->admitted_last_minute);
    json_object_object_add(body, "tokenStatus", json_object_new_string("wait"));
    json_object_object_add(body, "position", mt_json_i64(position));
    json_object_object_add(body, "waitingCount",
                           mt_json_i64(tk_queue_waiting_count(v->waiting, position)));
    json_object_object_add(body, "etaSeconds",
                           eta == TK_ETA_UNKNOWN ? NULL : mt_json_i64(eta));
    json_object_object_add(body, "pollAfterMs",
                           mt_json_i64(tk_queue_poll_after_ms(
                               tk_queue_behind_free_slots(position, free_slots), eta)));
    json_object_object_add(body, "message", json_object_new_string(
        apr_psprintf(r->pool, "현재 대기열은 %" APR_INT64_T_FMT "명입니다.",
                     (apr_int64_t)position)));
    return body;
}

int mt_queues_enter(request_rec *r, const tk_route_match *m)
{
    const char *buf, *result, *params[2];
    apr_size_t len;
    tk_error_id err;
    json_object *req, *body;
    tk_token token;
    tk_queue_view view;
    PGresult *res;
    mt_db_rc rc;
    char *text;

    (void)m;
    if (mt_read_body(r, &buf, &len, &err) != OK) {
        return mt_reply_error(r, err == TK_E_BAD_REQUEST
                                 ? TK_E_QUEUE_BAD_REQUEST : err);
    }
    req = tk_json_parse_object(buf, len);
    if (!req || tk_json_get_id(req, "userId", &token.user_id) != TK_FIELD_OK) {
        json_object_put(req);
        return mt_reply_error(r, TK_E_QUEUE_BAD_REQUEST);
    }
    json_object_put(req);

    params[0] = apr_psprintf(r->pool, "%" APR_INT64_T_FMT, (apr_int64_t)token.user_id);
    params[1] = mt_conf_queue_open(r->server) ? "true" : "false";
    res = mt_db_exec(r, 0, ENTER_SQL, 2, params, &rc);
    if (!res) {
        return mt_reply_db_error(r, rc);
    }
    result = mt_db_text(res, 0, 0);
    if (strcmp(result, "unknown_user") == 0) {
        return mt_reply_error(r, TK_E_QUEUE_USER_NOT_FOUND);
    }
    if (strcmp(result, "closed") == 0) {
        return mt_reply_error(r, TK_E_QUEUE_CLOSED);
    }
    token.seq = mt_db_int64(res, 0, 1);
    view_from_row(res, 3, &view);
    mt_snapshot_merge(&view);
    mt_snapshot_read(&view);        /* head may be newer here than there */
    if (!(text = mt_token_text(r, &token))) {
        return mt_reply_error(r, TK_E_INTERNAL);
    }
    if (strcmp(mt_db_text(res, 0, 2), "service") == 0) {
        body = new_body(text);
        json_object_object_add(body, "tokenStatus", json_object_new_string("service"));
        json_object_object_add(body, "position", mt_json_i64(0));
        json_object_object_add(body, "waitingCount", mt_json_i64(view.waiting));
        json_object_object_add(body, "message", json_object_new_string(MSG_ADMITTED));
    }
    else {
        body = waiting_body(r, text, token.seq, &view);
    }
    return mt_reply_json(r, HTTP_OK, body);
}

static int reply_service(request_rec *r, const PGresult *res)
{
    json_object *body = json_object_new_object();
    int64_t remaining = mt_db_int64(res, 0, 3);

    json_object_object_add(body, "tokenStatus", json_object_new_string("service"));
    json_object_object_add(body, "expiresAt",
                           json_object_new_string(mt_db_text(res, 0, 2)));
    json_object_object_add(body, "remainingSeconds",
                           mt_json_i64(remaining > 0 ? remaining : 0));
    return mt_reply_json(r, HTTP_OK, body);
}

static int reply_expired(request_rec *r)
{
    json_object *body = json_object_new_object();

    json_object_object_add(body, "tokenStatus", json_object_new_string("expire"));
    json_object_object_add(body, "message", json_object_new_string(MSG_EXPIRED));
    return mt_reply_json(r, HTTP_OK, body);
}

int mt_queues_poll(request_rec *r, const tk_route_match *m)
{
    tk_token token;
    tk_queue_view view;
    const char *params[2], *state;
    PGresult *res;
    mt_db_rc rc;

    (void)m;
    if (!mt_request_token(r, &token)) {
        return mt_reply_error(r, TK_E_TOKEN_INVALID);
    }
    mt_snapshot_read(&view);
    if (view.refreshed_at != 0 && token.seq > view.head) {
        return mt_reply_json(r, HTTP_OK, waiting_body(r, NULL, token.seq, &view));
    }

    params[0] = apr_psprintf(r->pool, "%" APR_INT64_T_FMT, (apr_int64_t)token.seq);
    params[1] = apr_psprintf(r->pool, "%" APR_INT64_T_FMT, (apr_int64_t)token.user_id);
    res = mt_db_exec(r, MT_DB_REPEATABLE, TOKEN_SQL, 2, params, &rc);
    if (!res) {
        return mt_reply_db_error(r, rc);
    }
    if (PQntuples(res) == 0) {
        return mt_reply_error(r, TK_E_TOKEN_INVALID);   /* not of this database */
    }
    view_from_row(res, 4, &view);
    mt_snapshot_merge(&view);
    state = mt_db_text(res, 0, 0);
    if (strcmp(state, "wait") == 0) {
        mt_snapshot_read(&view);
        return mt_reply_json(r, HTTP_OK, waiting_body(r, NULL, token.seq, &view));
    }
    if (strcmp(mt_db_text(res, 0, 1), "t") == 0) {
        return reply_service(r, res);
    }
    return reply_expired(r);
}
