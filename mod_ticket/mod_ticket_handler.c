/* mod_ticket_handler.c: the "ticket" handler: the API's route table
 * (tk_api_routes, in the core), then the resource function. Routes are
 * matched relative to the <Location> that serves the API (see
 * tk_api_route_under). */
#include "mod_ticket_private.h"

static mt_resource_fn *const resources[TK_API__COUNT] = {
    [TK_API_QUEUES_ENTER] = mt_queues_enter,
    [TK_API_QUEUES_POLL]  = mt_queues_poll,
    [TK_API_CONCERTS]     = mt_concerts_list,
    [TK_API_DATES]        = mt_concerts_dates,
    [TK_API_SEATS]        = mt_concerts_seats,
    [TK_API_HOLD]         = mt_holds_create,
    [TK_API_CHARGE]       = mt_payments_charge,
    [TK_API_HISTORY]      = mt_payments_history,
    [TK_API_PAY]          = mt_payments_pay,
    [TK_API_HEALTH]       = mt_health,
};

/* A request the module cannot serve: it was not set up (no
 * TicketSecretFile in the main server config). Logged at most every 10 s. */
static int refuse_unready(request_rec *r)
{
    static volatile apr_uint64_t last;

    if (mt_log_due(&last)) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      TKLOG(002) "'SetHandler ticket' applies to %s, but "
                      "mod_ticket is not set up: TicketSecretFile is "
                      "required in the main server configuration", r->uri);
    }
    return mt_reply_error(r, TK_E_INTERNAL);
}

int mt_handler(request_rec *r)
{
    tk_route_match m;
    const char *base;

    if (!r->handler || strcmp(r->handler, MT_HANDLER) != 0) {
        return DECLINED;
    }
    if (!mt_module_ready()) {
        return refuse_unready(r);
    }
    mt_snapshot_mark_serving();
    base = mt_api_base(r);
    mt_api_announce(r, base);
    switch (tk_api_route_under(r->pool, base, r->uri, r->method, &m)) {
    case TK_ROUTE_FOUND:
        mt_metrics_note_endpoint(r, m.id);
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
