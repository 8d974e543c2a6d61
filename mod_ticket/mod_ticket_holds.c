/* mod_ticket_holds.c: POST /concerts/:concertId/schedules/:scheduleId/
 * seats/:seatId/ticket, endpoint 6: a temporary seat hold.
 *
 * ticket_hold() in sql/ decides everything in one transaction: the gate,
 * the seat belonging to the concert and schedule, the user's own live
 * hold (same ticket back), another's hold or a booking (taken), the
 * per-user limit, and the conditional UPDATE that takes the seat. */
#include "mod_ticket_private.h"
#include "tk_json.h"
#include "tk_parse.h"

static const mt_statement HOLD = {"tk_hold",
    "SELECT result, ticket_id, $2::bigint AS user_id, concert_date, seat_num,"
    "       price, hold_until"
    "  FROM ticket_hold($1::bigint, $2::bigint, $3::bigint, $4::bigint,"
    "                   $5::bigint, $6::integer, $7::integer)", 7, 0};

static const mt_outcome HOLD_OUTCOMES[] = {
    {"not_found", TK_E_CONCERT_NOT_FOUND},
    {"seat_taken", TK_E_SEAT_TAKEN},
    {"hold_limit", TK_E_HOLD_LIMIT},
    {NULL, TK_E_NONE}
};

static const mt_field TICKET_FIELDS[] = {
    {"ticketId", "ticket_id", MT_INT},
    {"userId", "user_id", MT_INT},
    {"concertDate", "concert_date", MT_TEXT},
    {"concertSeat", "seat_num", MT_INT},
    {"price", "price", MT_INT},
    {"seatStatus", "temp", MT_FIXED},
    {"holdExpiresAt", "hold_until", MT_TEXT},
    {NULL}
};

static const char *const PATH_IDS[] = {"concertId", "scheduleId", "seatId"};

/* What this host's lookups' copy drops at once after a hold: the date's
 * seats when a seat was taken here (or found taken: the list was stale),
 * the token when the database found it expired (the copy may not know
 * yet: an end through another host). */
static void hold_changed_copy(const mt_gate *g, const PGresult *res)
{
    const char *result = mt_result_text(res, "result");

    if (!result) {
        return;
    }
    if (strcmp(result, "held") == 0 || strcmp(result, "seat_taken") == 0) {
        mt_lookup_date_changed(mt_result_text(res, "concert_date"));
    }
    else if (strcmp(result, "token_expire") == 0) {
        mt_lookup_token_ended(g->token.seq);
    }
}

/* The path's IDs and the body's userId: TK_E_NONE when all are well
 * formed. */
static tk_error_id read_request(request_rec *r, const tk_route_match *m,
                                int64_t *user)
{
    json_object *req;
    tk_error_id err = mt_read_json(r, &req);
    int64_t id;
    int i;

    if (err != TK_E_NONE) {
        return err;
    }
    for (i = 0; i < 3; ++i) {
        if (tk_parse_id(tk_route_param(m, PATH_IDS[i]), &id) != TK_PARSE_OK) {
            return TK_E_BAD_REQUEST;
        }
    }
    return tk_json_get_id(req, "userId", user) == TK_FIELD_OK
           ? TK_E_NONE : TK_E_BAD_REQUEST;
}

int mt_holds_create(request_rec *r, const tk_route_match *m)
{
    int64_t user = 0;
    tk_error_id input = read_request(r, m, &user);
    PGresult *res;
    mt_db_rc rc;
    mt_gate g;
    int i;

    if (!mt_gate_pass(r, &MT_GATE_SERVICE, input, user, &g)) {
        return g.done;
    }
    for (i = 0; i < 3; ++i) {
        g.params[2 + i] = tk_route_param(m, PATH_IDS[i]);
    }
    g.params[5] = mt_conf_param(r->pool, r->server, TK_CONF_HOLD_TTL);
    g.params[6] = mt_conf_param(r->pool, r->server, TK_CONF_MAX_HOLDS_PER_USER);
    if (!(res = mt_db_run(r, &HOLD, g.params, &rc))) {
        return mt_reply_db_error(r, rc);
    }
    hold_changed_copy(&g, res);
    if (mt_reply_outcome(r, &g, mt_result_text(res, "result"), HOLD_OUTCOMES)) {
        return g.done;
    }
    return mt_reply_json(r, HTTP_OK, mt_json_row(NULL, res, 0, TICKET_FIELDS));
}
