/* mod_ticket_handler.c: the "ticket" handler: route table, then the
 * resource function. Routes are matched relative to the <Location>. */
#include <apr_strings.h>
#include "mod_ticket_private.h"

extern module AP_MODULE_DECLARE_DATA ticket_module;

enum { ROUTE_QUEUES_ENTER, ROUTE_QUEUES_POLL, ROUTE_HEALTH };

static const tk_route routes[] = {
    {"POST", "/queues", ROUTE_QUEUES_ENTER},
    {"GET",  "/queues", ROUTE_QUEUES_POLL},
    {"GET",  "/health", ROUTE_HEALTH},
};

static mt_resource_fn *const resources[] = {
    [ROUTE_QUEUES_ENTER] = mt_queues_enter,
    [ROUTE_QUEUES_POLL]  = mt_queues_poll,
    [ROUTE_HEALTH]       = mt_health,
};

/* r->uri without the <Location> prefix ("/api/queues" -> "/queues"). */
static const char *relative_path(request_rec *r)
{
    const mt_dir_conf *d = ap_get_module_config(r->per_dir_config,
                                                &ticket_module);
    const char *loc = d ? d->location : NULL;
    size_t n;

    if (!loc || loc[0] != '/') {
        return r->uri;
    }
    n = strlen(loc);
    while (n > 0 && loc[n - 1] == '/') {
        --n;
    }
    if (strncmp(r->uri, loc, n) != 0 || (r->uri[n] != '/' && r->uri[n] != '\0')) {
        return r->uri;
    }
    return r->uri[n] ? r->uri + n : "/";
}

int mt_handler(request_rec *r)
{
    tk_route_match m;

    if (!r->handler || strcmp(r->handler, MT_HANDLER) != 0) {
        return DECLINED;
    }
    switch (tk_route_find(r->pool, routes, (int)(sizeof(routes) / sizeof(routes[0])),
                          relative_path(r), r->method, &m)) {
    case TK_ROUTE_FOUND:
        return resources[m.id](r, &m);
    case TK_ROUTE_NO_METHOD:
        apr_table_setn(r->err_headers_out, "Allow", m.allow);
        return mt_reply_error(r, TK_E_METHOD_NOT_ALLOWED);
    default:
        return mt_reply_error(r, TK_E_NOT_FOUND);
    }
}
