/* mod_ticket_concerts.c: the lookups, endpoints 3-5 (service token).
 *
 * With TicketLookupCacheMs (not 0), each answers from this host's copy
 * (mod_ticket_lookup*.c): the token judged from what the host knows, the
 * answer computed from a copy at most that old (tk_lookup.c), with no
 * statement. Where the copy cannot answer (off, beyond its bounds, or no
 * copy young enough while another request refreshes it), each is one
 * statement: the token's gate joined to the lookup, so a refused token
 * costs one indexed read and an admitted one no extra round trip. Reads
 * judge holds at now(), the statement's start; the concert list's free
 * seats come from the seat counts (ticket_free_seats(), O(schedules), as
 * the copy counts them), a concert's dates and seat lists from its seats.
 * Both give the same JSON. */
#include "mod_ticket_private.h"
#include "tk_parse.h"

/* One row per concert; one row of NULLs when the gate is shut or there is
 * no concert. (A concert with no free seat was a pass over its seats:
 * slow for a big sold-out concert.) */
static const mt_statement CONCERTS = {"tk_concerts",
    "SELECT g.status, c.concert_id, c.title,"
    "       c.concert_id IN (SELECT s.concert_id FROM ticket_free_seats() f"
    "                          JOIN schedules s ON s.schedule_id = f.schedule_id"
    "                         WHERE f.free_seats > 0) AS available"
    "  FROM " MT_GATE_SQL
    "  LEFT JOIN concerts c ON g.status = 'service'"
    " ORDER BY c.concert_id", 2, MT_DB_REPEATABLE};

/* One row per bookable schedule of the concert, in date order; each
 * schedule's free seats counted on its own (an index range per schedule,
 * whatever the plan thinks of the concert). (Counting the seats is
 * O(the concert's seats); the seat counts cost about 0.4 ms more for a
 * concert of 100 seats, and make bench's dates are of one.) */
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

/* An answer from the copy: 1 and *done when answered; 0 when the
 * database must answer (*rc: unless it was found unavailable). */
typedef int copy_answer(request_rec *r, const void *arg, int *done, mt_db_rc *rc);

/* Answers from the copy when it can (the token too): 1 and g->done. */
static int answered_from_copy(request_rec *r, mt_gate *g, copy_answer *answer,
                              const void *arg)
{
    mt_db_rc rc = MT_DB_OK;

    switch (mt_lookup_gate(r, g)) {
    case MT_LOOKUP_DONE:
        return 1;
    case MT_LOOKUP_PASS:
        if (answer(r, arg, &g->done, &rc)) {
            return 1;
        }
        if (rc != MT_DB_OK) {
            g->done = mt_reply_db_error(r, rc);
            return 1;
        }
        return 0;
    default:
        return 0;
    }
}

static int concerts_from_copy(request_rec *r, const void *arg, int *done,
                              mt_db_rc *rc)
{
    json_object *list, *c, *body;
    tk_lookup_catalogue cat;
    apr_time_t now;
    const char *title;
    size_t len;
    int i;

    (void)arg;
    if (!mt_lookup_catalogue(r, 0, &cat, rc)) {
        return 0;
    }
    now = apr_time_now();
    list = json_object_new_array();
    for (i = 0; i < cat.nconcerts; ++i) {
        if (!(title = tk_lookup_title(&cat, i, &len))) {
            json_object_put(list);
            return 0;
        }
        c = json_object_new_object();
        json_object_object_add(c, "concertId", mt_json_i64(cat.concerts[i].concert_id));
        json_object_object_add(c, "title", json_object_new_string_len(title, (int)len));
        json_object_object_add(c, "available", json_object_new_boolean(
            tk_lookup_available(&cat, cat.concerts[i].concert_id, now)));
        json_object_array_add(list, c);
    }
    body = json_object_new_object();
    json_object_object_add(body, "concerts", list);
    *done = mt_reply_json(r, HTTP_OK, body);
    return 1;
}

static int dates_from_copy(request_rec *r, const void *arg, int *done,
                           mt_db_rc *rc)
{
    int64_t concert = *(const int64_t *)arg, free_seats;
    json_object *dates, *list, *s, *body;
    const tk_lookup_schedule *sc;
    tk_lookup_catalogue cat;
    apr_time_t now;
    char date[11];
    int i, n;

    if (!mt_lookup_catalogue(r, concert, &cat, rc)) {
        return 0;
    }
    if (tk_lookup_concert_index(&cat, concert) < 0) {
        *done = mt_reply_error(r, TK_E_CONCERT_NOT_FOUND);
        return 1;
    }
    now = apr_time_now();
    dates = json_object_new_array();
    list = json_object_new_array();
    sc = tk_lookup_schedules_of(&cat, concert, &n);
    for (i = 0; i < n; ++i) {
        if (!tk_lookup_bookable(&sc[i], now) || (free_seats = tk_lookup_free_now(&sc[i], now)) <= 0) {
            continue;
        }
        tk_lookup_day_text(sc[i].day, date);
        json_object_array_add(dates, json_object_new_string(date));
        s = json_object_new_object();
        json_object_object_add(s, "scheduleId", mt_json_i64(sc[i].schedule_id));
        json_object_object_add(s, "date", json_object_new_string(date));
        json_object_object_add(s, "availableSeats", mt_json_i64(free_seats));
        json_object_array_add(list, s);
    }
    body = json_object_new_object();
    json_object_object_add(body, "availableDates", dates);
    json_object_object_add(body, "schedules", list);
    *done = mt_reply_json(r, HTTP_OK, body);
    return 1;
}

/* Endpoint 5's request: the concert, its date as yyyymmdd and as sent. */
typedef struct {
    int64_t concert, day;
    const char *date;
} seats_request;

static json_object *free_seats(const mt_seat_copy *copy, apr_time_t now)
{
    json_object *list = json_object_new_array(), *s;
    int i;

    for (i = 0; i < copy->nseats; ++i) {
        if (!tk_lookup_seat_free(&copy->seats[i], now)) {
            continue;
        }
        s = json_object_new_object();
        json_object_object_add(s, "seatId", mt_json_i64(copy->seats[i].seat_id));
        json_object_object_add(s, "seatNum", mt_json_i64(tk_lookup_seat_num(&copy->seats[i])));
        json_object_object_add(s, "price", mt_json_i64(tk_lookup_seat_price(&copy->seats[i])));
        json_object_array_add(list, s);
    }
    return list;
}

static int seats_from_copy(request_rec *r, const void *arg, int *done,
                           mt_db_rc *rc)
{
    const seats_request *q = arg;
    json_object *body;
    mt_seat_copy copy;
    apr_time_t now;

    if (!mt_lookup_seats(r, q->concert, q->day, &copy, rc)) {
        return 0;
    }
    now = apr_time_now();
    if (copy.schedule_id == 0 || now >= copy.starts_at) {
        *done = mt_reply_error(r, TK_E_CONCERT_NOT_FOUND);
        return 1;
    }
    body = json_object_new_object();
    json_object_object_add(body, "scheduleId", mt_json_i64(copy.schedule_id));
    json_object_object_add(body, "date", json_object_new_string(q->date));
    json_object_object_add(body, "availableSeats", free_seats(&copy, now));
    *done = mt_reply_json(r, HTTP_OK, body);
    return 1;
}

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
        || answered_from_copy(r, &g, concerts_from_copy, NULL)
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
                      ? TK_E_NONE : TK_E_BAD_REQUEST, 0, &g)
        || answered_from_copy(r, &g, dates_from_copy, &id)) {
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
    seats_request q = {0, 0, date};
    int year, month, day;
    PGresult *res;
    mt_gate g;

    if (!mt_gate_pass(r, &MT_GATE_SERVICE,
                      tk_parse_id(concert, &q.concert) == TK_PARSE_OK
                      && tk_parse_date(date, &year, &month, &day) == TK_PARSE_OK
                      ? TK_E_NONE : TK_E_BAD_REQUEST, 0, &g)) {
        return g.done;
    }
    q.day = tk_lookup_day(year, month, day);
    if (answered_from_copy(r, &g, seats_from_copy, &q)) {
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
