/* mod_ticket_concerts.c: the lookups, endpoints 3-5 (service token).
 *
 * Each is one statement: the token's gate joined to the lookup, so a
 * refused token costs one indexed read and an admitted one no extra round
 * trip. Reads judge holds at now(), the statement's start. */
#include "mod_ticket_private.h"
#include "tk_parse.h"

/* One row per concert; one row of NULLs when the gate is shut or there is
 * no concert. */
static const mt_statement CONCERTS = {"tk_concerts",
    "SELECT g.status, c.concert_id, c.title,"
    "       EXISTS (SELECT 1 FROM schedules s JOIN seats st"
    "                 ON st.schedule_id = s.schedule_id"
    "                WHERE s.concert_id = c.concert_id AND s.starts_at > now()"
    "                  AND ticket_seat_is_free(st.booked_ticket_id,"
    "                                          st.hold_until, now())) AS available"
    "  FROM " MT_GATE_SQL
    "  LEFT JOIN concerts c ON g.status = 'service'"
    " ORDER BY c.concert_id", 2, MT_DB_REPEATABLE};

/* One row per bookable schedule of the concert, in date order; each
 * schedule's free seats counted on its own (an index range per schedule,
 * whatever the plan thinks of the concert). */
static const mt_statement DATES = {"tk_dates",
    "SELECT g.status,"
    "       EXISTS (SELECT 1 FROM concerts WHERE concert_id = $3::bigint) AS known,"
    "       d.schedule_id, to_char(d.concert_date, 'YYYY-MM-DD') AS date, d.free"
    "  FROM " MT_GATE_SQL
    "  LEFT JOIN LATERAL ("
    "       SELECT s.schedule_id, s.concert_date, f.free"
    "         FROM schedules s"
    "        CROSS JOIN LATERAL (SELECT count(*) AS free FROM seats st"
    "                 WHERE st.schedule_id = s.schedule_id"
    "                   AND ticket_seat_is_free(st.booked_ticket_id,"
    "                                           st.hold_until, now())) f"
    "        WHERE g.status = 'service' AND s.concert_id = $3::bigint"
    "          AND s.starts_at > now() AND f.free > 0) d ON true"
    " ORDER BY d.concert_date", 3, MT_DB_REPEATABLE};

/* The schedule of that concert and date, if bookable, with its free seats
 * in seat-number order. */
static const mt_statement SEATS = {"tk_seats",
    "SELECT g.status, sc.schedule_id, st.seat_id, st.seat_num, st.price"
    "  FROM " MT_GATE_SQL
    "  LEFT JOIN schedules sc ON g.status = 'service'"
    "       AND sc.concert_id = $3::bigint AND sc.concert_date = $4::date"
    "       AND sc.starts_at > now()"
    "  LEFT JOIN seats st ON st.schedule_id = sc.schedule_id"
    "       AND ticket_seat_is_free(st.booked_ticket_id, st.hold_until, now())"
    " ORDER BY st.seat_num", 4, MT_DB_REPEATABLE};

static const mt_field CONCERT_FIELDS[] = {
    {"concertId", "concert_id", MT_INT},
    {"title", "title", MT_TEXT},
    {"available", "available", MT_BOOL},
    {NULL}
};

static const mt_field SCHEDULE_FIELDS[] = {
    {"scheduleId", "schedule_id", MT_INT},
    {"date", "date", MT_TEXT},
    {"availableSeats", "free", MT_INT},
    {NULL}
};

static const mt_field SEATS_SCHEDULE[] = {
    {"scheduleId", "schedule_id", MT_INT},
    {NULL}
};

static const mt_field SEAT_FIELDS[] = {
    {"seatId", "seat_id", MT_INT},
    {"seatNum", "seat_num", MT_INT},
    {"price", "price", MT_INT},
    {NULL}
};

/* Runs a gated lookup whose input passed the gate: the result, or NULL
 * after answering (token refused, database). */
static PGresult *lookup(request_rec *r, mt_gate *g, const mt_statement *stmt)
{
    PGresult *res;
    mt_db_rc rc;

    if (!(res = mt_db_run(r, stmt, g->params, &rc))) {
        g->done = mt_reply_db_error(r, rc);
        return NULL;
    }
    return mt_gate_refused(r, g, mt_result_text(res, "status")) ? NULL : res;
}

int mt_concerts_list(request_rec *r, const tk_route_match *m)
{
    json_object *body;
    PGresult *res;
    mt_gate g;

    (void)m;
    if (!mt_gate_pass(r, &MT_GATE_SERVICE, TK_E_NONE, 0, &g)
        || !(res = lookup(r, &g, &CONCERTS))) {
        return g.done;
    }
    body = json_object_new_object();
    json_object_object_add(body, "concerts",
                           mt_json_rows(res, "concert_id", CONCERT_FIELDS));
    return mt_reply_json(r, HTTP_OK, body);
}

int mt_concerts_dates(request_rec *r, const tk_route_match *m)
{
    const char *concert = tk_route_param(m, "concertId");
    json_object *body;
    int64_t id;
    PGresult *res;
    mt_gate g;

    if (!mt_gate_pass(r, &MT_GATE_SERVICE,
                      tk_parse_id(concert, &id) == TK_PARSE_OK
                      ? TK_E_NONE : TK_E_BAD_REQUEST, 0, &g)) {
        return g.done;
    }
    g.params[2] = concert;
    if (!(res = lookup(r, &g, &DATES))) {
        return g.done;
    }
    if (!mt_result_true(res, "known")) {
        return mt_reply_error(r, TK_E_CONCERT_NOT_FOUND);
    }
    body = json_object_new_object();
    json_object_object_add(body, "availableDates", mt_json_texts(res, "date"));
    json_object_object_add(body, "schedules",
                           mt_json_rows(res, "schedule_id", SCHEDULE_FIELDS));
    return mt_reply_json(r, HTTP_OK, body);
}

int mt_concerts_seats(request_rec *r, const tk_route_match *m)
{
    const char *concert = tk_route_param(m, "concertId");
    const char *date = tk_route_param(m, "date");
    json_object *body;
    int64_t id;
    int year, month, day;
    PGresult *res;
    mt_gate g;

    if (!mt_gate_pass(r, &MT_GATE_SERVICE,
                      tk_parse_id(concert, &id) == TK_PARSE_OK
                      && tk_parse_date(date, &year, &month, &day) == TK_PARSE_OK
                      ? TK_E_NONE : TK_E_BAD_REQUEST, 0, &g)) {
        return g.done;
    }
    g.params[2] = concert;
    g.params[3] = date;
    if (!(res = lookup(r, &g, &SEATS))) {
        return g.done;
    }
    if (mt_result_null(res, "schedule_id")) {
        return mt_reply_error(r, TK_E_CONCERT_NOT_FOUND);
    }
    body = mt_json_row(NULL, res, 0, SEATS_SCHEDULE);
    json_object_object_add(body, "date", json_object_new_string(date));
    json_object_object_add(body, "availableSeats",
                           mt_json_rows(res, "seat_id", SEAT_FIELDS));
    return mt_reply_json(r, HTTP_OK, body);
}
