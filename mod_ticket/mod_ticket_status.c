/* mod_ticket_status.c: a mod_ticket section in mod_status's
 * /server-status: the queue as this host sees it. Under ?auto one
 * "TicketKey: value" line each (after mod_status's own lines); otherwise
 * a small HTML table of the same facts. Nothing when the module is not
 * set up. mod_status is optional: the hook is registered by name. */
#include <apr_strings.h>
#include <mod_status.h>
#include "mod_ticket_private.h"

#define FACTS 7

typedef struct {
    const char *key;        /* ?auto: "TicketQueue" */
    const char *label;      /* HTML: "queue" */
    const char *value;
} fact;

static void facts(request_rec *r, fact *f)
{
    tk_metrics_gauges g;
    apr_pool_t *p = r->pool;

    mt_metrics_gauges(r->server, &g);
    f[0] = (fact){"TicketQueue", "queue", g.queue_state};
    f[1] = (fact){"TicketCapacity", "capacity", mt_i64_text(p, g.capacity)};
    f[2] = (fact){"TicketInService", "in service",
                  mt_i64_text(p, g.in_service)};
    f[3] = (fact){"TicketWaiting", "waiting", mt_i64_text(p, g.waiting)};
    f[4] = (fact){"TicketAdmittedLastMinute", "admitted in the last minute",
                  mt_i64_text(p, g.admitted_last_minute)};
    /* whole seconds; -1 before the first admission run this host saw */
    f[5] = (fact){"TicketAdmissionAgeSeconds",
                  "seconds since the admission run shown",
                  mt_i64_text(p, g.snapshot_age_ms < 0 ? -1
                                                       : g.snapshot_age_ms / 1000)};
    f[6] = (fact){"TicketDatabase", "database (as last seen)",
                  g.database_up ? "up" : "down"};
}

/* The HTML section: a table, or lines under ?notable. */
static void html(request_rec *r, const fact *f, int notable)
{
    int i;

    ap_rputs("<hr />\n<h2>mod_ticket</h2>\n", r);
    ap_rputs(notable ? "<p>\n" : "<table border=\"0\">\n", r);
    for (i = 0; i < FACTS; ++i) {
        const char *label = ap_escape_html(r->pool, f[i].label);
        const char *value = ap_escape_html(r->pool, f[i].value);

        if (notable) {
            ap_rprintf(r, "%s: %s<br />\n", label, value);
        }
        else {
            ap_rprintf(r, "<tr><th>%s</th><td>%s</td></tr>\n", label, value);
        }
    }
    ap_rputs(notable ? "</p>\n" : "</table>\n", r);
}

int mt_status_hook(request_rec *r, int flags)
{
    fact f[FACTS];
    int i;

    if (!mt_module_ready()) {
        return DECLINED;
    }
    facts(r, f);
    if (!(flags & AP_STATUS_SHORT)) {
        html(r, f, (flags & AP_STATUS_NOTABLE) != 0);
        return OK;
    }
    for (i = 0; i < FACTS; ++i) {
        ap_rprintf(r, "%s: %s\n", f[i].key, f[i].value);
    }
    return OK;
}
