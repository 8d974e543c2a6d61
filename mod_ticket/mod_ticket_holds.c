/* mod_ticket_holds.c: POST /concerts/:concertId/schedules/:scheduleId/
 * seats/:seatId/ticket, endpoint 6: a temporary seat hold.
 *
 * ticket_hold() in sql/ decides everything in one transaction: the gate,
 * the seat belonging to the concert and schedule, the user's own live
 * hold (same ticket back), another's hold or a booking (taken), the
 * per-user limit, and the conditional UPDATE that takes the seat. */
#include <apr_strings.h>
#include "mod_ticket_private.h"
#include "tk_json.h"
#include "tk_parse.h"

static const char HOLD_SQL[] =
    "SELECT result, ticket_id, concert_date, seat_num, price, hold_until"
    "  FROM ticket_hold($1::bigint, $2::bigint, $3::bigint, $4::bigint,"
    "                   $5::bigint, $6::integer, $7::integer)";

static const mt_outcome HOLD_OUTCOMES[] = {
    {"not_found", TK_E_CONCERT_NOT_FOUND},
    {"seat_taken", TK_E_SEAT_TAKEN},
    {"hold_limit", TK_E_HOLD_LIMIT},
    {NULL, TK_E__COUNT}
};

/* Reads the body's userId and the path's IDs: 1 when all are well formed. */
static int read_request(request_rec *r, const tk_route_match *m,
                        int64_t *user, int *too_large)
{
    static const char *const ids[] = {"concertId", "scheduleId", "seatId"};
    const char *buf;
    apr_size_t len;
    tk_error_id err;
    json_object *req;
    int64_t id;
    int i, ok;

    *too_large = 0;
    if (mt_read_body(r, &buf, &len, &err) != OK) {
        *too_large = err == TK_E_PAYLOAD_TOO_LARGE;
        return 0;
    }
    for (i = 0; i < 3; ++i) {
        if (tk_parse_id(tk_route_param(m, ids[i]), &id) != TK_PARSE_OK) {
            return 0;
        }
    }
    req = tk_json_parse_object(buf, len);
    ok = req && tk_json_get_id(req, "userId", user) == TK_FIELD_OK;
    json_object_put(req);
    return ok;
}

static int reply_ticket(request_rec *r, const PGresult *res, int64_t user)
{
    json_object *body = json_object_new_object();

    json_object_object_add(body, "ticketId", mt_json_i64(mt_db_int64(res, 0, 1)));
    json_object_object_add(body, "userId", mt_json_i64(user));
    json_object_object_add(body, "concertDate",
                           json_object_new_string(mt_db_text(res, 0, 2)));
    json_object_object_add(body, "concertSeat", mt_json_i64(mt_db_int64(res, 0, 3)));
    json_object_object_add(body, "price", mt_json_i64(mt_db_int64(res, 0, 4)));
    json_object_object_add(body, "seatStatus", json_object_new_string("temp"));
    json_object_object_add(body, "holdExpiresAt",
                           json_object_new_string(mt_db_text(res, 0, 5)));
    return mt_reply_json(r, HTTP_OK, body);
}

int mt_holds_create(request_rec *r, const tk_route_match *m)
{
    const char *params[7];
    tk_token token;
    tk_error_id err;
    int64_t user;
    int too_large, done;
    PGresult *res;
    mt_db_rc rc;

    if (!mt_gate_open(r, &token, params, &err)) {
        return mt_reply_error(r, err);
    }
    if (!read_request(r, m, &user, &too_large)) {
        if (too_large) {
            return mt_reply_error(r, TK_E_PAYLOAD_TOO_LARGE);
        }
        return mt_reply_error(r, mt_gate_alone(r, params, &err) ? err : TK_E_BAD_REQUEST);
    }
    if (user != token.user_id) {
        return mt_reply_error(r, mt_gate_alone(r, params, &err) ? err : TK_E_FORBIDDEN);
    }
    params[2] = tk_route_param(m, "concertId");
    params[3] = tk_route_param(m, "scheduleId");
    params[4] = tk_route_param(m, "seatId");
    params[5] = apr_psprintf(r->pool, "%" APR_INT64_T_FMT,
                             (apr_int64_t)mt_conf_number(r->server, TK_CONF_HOLD_TTL));
    params[6] = apr_psprintf(r->pool, "%" APR_INT64_T_FMT,
                             (apr_int64_t)mt_conf_number(r->server,
                                                         TK_CONF_MAX_HOLDS_PER_USER));
    if (!(res = mt_db_exec(r, 0, HOLD_SQL, 7, params, &rc))) {
        return mt_reply_db_error(r, rc);
    }
    if (mt_reply_outcome(r, mt_db_text(res, 0, 0), HOLD_OUTCOMES, NULL, &done)) {
        return done;
    }
    return reply_ticket(r, res, user);
}
