/* mod_ticket.c: the module record and its hooks. The work is elsewhere:
 * directives in mod_ticket_config.c, the handler and its routes in
 * mod_ticket_handler.c, one file per API resource, the admission job in
 * mod_ticket_admission.c, and the httpd-free core in tk_*.c. */
#define MT_MODULE_FILE
#include <apr_optional.h>
#include <apr_strings.h>
#include <http_core.h>
#include <http_main.h>
#include <mpm_common.h>
#include "mod_ticket_private.h"

/* Whether this configuration serves the API (a "SetHandler ticket");
 * without it the module stays idle: no job, no checks. */
static int serving_api;

/* Does the configuration tree hold "<name> <arg>" anywhere? */
static int conftree_has(const ap_directive_t *d, const char *name,
                        const char *arg)
{
    for (; d; d = d->next) {
        if (strcasecmp(d->directive, name) == 0
            && (!arg || (d->args && strcasecmp(d->args, arg) == 0))) {
            return 1;
        }
        if (d->first_child && conftree_has(d->first_child, name, arg)) {
            return 1;
        }
    }
    return 0;
}

/* Cross-directive checks; unlike post_config this runs for -t too. */
static int ticket_check_config(apr_pool_t *pconf, apr_pool_t *plog,
                               apr_pool_t *ptemp, server_rec *s)
{
    (void)pconf; (void)plog; (void)ptemp;
    serving_api = conftree_has(ap_conftree, "SetHandler", MT_HANDLER);
    if (!serving_api) {
        return OK;
    }
    if (!mt_server_conf_of(s)->secret) {
        ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_CRIT, 0, s,
                     TKLOG(002) "TicketSecretFile is required where "
                     "'SetHandler ticket' is used");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    if (!APR_RETRIEVE_OPTIONAL_FN(ap_dbd_acquire)) {
        ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_CRIT, 0, s,
                     TKLOG(003) "mod_ticket requires mod_dbd (a2enmod dbd)");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    if (!conftree_has(ap_conftree, "DBDriver", "pgsql")) {
        ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_CRIT, 0, s,
                     TKLOG(004) "mod_ticket requires 'DBDriver pgsql' and "
                     "DBDParams for its PostgreSQL database");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    return OK;
}

static int ticket_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                              apr_pool_t *ptemp, server_rec *s)
{
    (void)plog; (void)ptemp;
    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG
        || !serving_api) {
        return OK;
    }
    if (mt_snapshot_attach(pconf, s) != APR_SUCCESS) {
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    return mt_admission_post_config(pconf, s);
}

static int ticket_monitor(apr_pool_t *p, server_rec *s)
{
    return serving_api ? mt_admission_monitor(p, s) : DECLINED;
}

static void ticket_register_hooks(apr_pool_t *p)
{
    /* the watchdog callback must be registered before mod_watchdog's
     * post_config starts the watchdog threads */
    static const char *const before_watchdog[] = {"mod_watchdog.c", NULL};

    (void)p;
    ap_hook_check_config(ticket_check_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_config(ticket_post_config, NULL, before_watchdog,
                        APR_HOOK_LAST);
    ap_hook_monitor(ticket_monitor, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_handler(mt_handler, NULL, NULL, APR_HOOK_MIDDLE);
}

AP_DECLARE_MODULE(ticket) = {
    STANDARD20_MODULE_STUFF,
    mt_create_dir_conf,
    NULL,
    mt_create_server_conf,
    mt_merge_server_conf,
    mt_directives,
    ticket_register_hooks,
    0
};
