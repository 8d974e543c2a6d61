/* mod_ticket_handler.c: the "ticket" handler: route table, then the
 * resource function. Routes are matched relative to the <Location>. */
#include <apr_strings.h>
#include "mod_ticket_private.h"

enum {
    ROUTE_QUEUES_ENTER, ROUTE_QUEUES_POLL, ROUTE_CONCERTS, ROUTE_DATES,
    ROUTE_SEATS, ROUTE_HOLD, ROUTE_CHARGE, ROUTE_HISTORY, ROUTE_PAY,
    ROUTE_HEALTH
};

static const tk_route routes[] = {
    {"POST", "/queues", ROUTE_QUEUES_ENTER},
    {"GET",  "/queues", ROUTE_QUEUES_POLL},
    {"GET",  "/concerts", ROUTE_CONCERTS},
    {"GET",  "/concerts/:concertId/dates", ROUTE_DATES},
    {"GET",  "/concerts/:concertId/dates/:date/seats", ROUTE_SEATS},
    {"POST", "/concerts/:concertId/schedules/:scheduleId/seats/:seatId/ticket",
             ROUTE_HOLD},
    {"PATCH", "/payments/charges", ROUTE_CHARGE},
    {"GET",  "/payments/:userId/accounts", ROUTE_HISTORY},
    {"POST", "/payments/pays", ROUTE_PAY},
    {"GET",  "/health", ROUTE_HEALTH},
};

static mt_resource_fn *const resources[] = {
    [ROUTE_QUEUES_ENTER] = mt_queues_enter,
    [ROUTE_QUEUES_POLL]  = mt_queues_poll,
    [ROUTE_CONCERTS]     = mt_concerts_list,
    [ROUTE_DATES]        = mt_concerts_dates,
    [ROUTE_SEATS]        = mt_concerts_seats,
    [ROUTE_HOLD]         = mt_holds_create,
    [ROUTE_CHARGE]       = mt_payments_charge,
    [ROUTE_HISTORY]      = mt_payments_history,
    [ROUTE_PAY]          = mt_payments_pay,
    [ROUTE_HEALTH]       = mt_health,
};

int mt_handler(request_rec *r)
{
    tk_route_match m;

    if (!r->handler || strcmp(r->handler, MT_HANDLER) != 0) {
        return DECLINED;
    }
    switch (tk_route_find(r->pool, routes, (int)(sizeof(routes) / sizeof(routes[0])),
                          mt_api_path(r->uri), r->method, &m)) {
    case TK_ROUTE_FOUND:
        if (mt_body_too_large(r)) {     /* before the token, for every route */
            return mt_reply_error(r, TK_E_PAYLOAD_TOO_LARGE);
        }
        return resources[m.id](r, &m);
    case TK_ROUTE_NO_METHOD:
        apr_table_setn(r->err_headers_out, "Allow", m.allow);
        return mt_reply_error(r, TK_E_METHOD_NOT_ALLOWED);
    default:
        return mt_reply_error(r, TK_E_NOT_FOUND);
    }
}
