/* mod_ticket.c: the module record and its hooks. The work is elsewhere:
 * directives in mod_ticket_config.c, the handler and its routes in
 * mod_ticket_handler.c, one file per API resource, the admission job in
 * mod_ticket_admission.c, the operators' metrics and server-status section
 * in mod_ticket_metrics.c and mod_ticket_status.c, and the httpd-free core
 * in tk_*.c.
 *
 * The module is set up when the main server has a TicketSecretFile: then
 * it requires mod_dbd, and post_config creates the queue snapshot and
 * the admission job. Without one it stays idle, and the handler refuses
 * (logged) wherever "SetHandler ticket" sends it a request, however the
 * handler was set (<Location>, AddHandler, .htaccess, RewriteRule [H=]). */
#define MT_MODULE_FILE
#include <apr_optional.h>
#include <apr_optional_hooks.h>
#include <http_core.h>
#include <http_main.h>
#include <mpm_common.h>
#include <mod_status.h>
#include "mod_ticket_private.h"

/* Set by this generation's post_config once everything is in place;
 * inherited by the children. */
static int ready;

int mt_module_ready(void)
{
    return ready;
}

/* Cross-directive checks; unlike post_config this runs for -t too. */
static int ticket_check_config(apr_pool_t *pconf, apr_pool_t *plog,
                               apr_pool_t *ptemp, server_rec *s)
{
    const char *missing;

    (void)pconf; (void)plog; (void)ptemp;
    if (!mt_server_conf_of(s)->secret) {
        return OK;      /* idle */
    }
    if (!APR_RETRIEVE_OPTIONAL_FN(ap_dbd_acquire)) {
        ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_CRIT, 0, s,
                     TKLOG(003) "mod_ticket requires mod_dbd (a2enmod dbd)");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    if ((missing = mt_admission_check()) != NULL) {
        ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_CRIT, 0, s,
                     TKLOG(021) "%s", missing);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    return OK;
}

static int ticket_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                              apr_pool_t *ptemp, server_rec *s)
{
    int rv;

    (void)plog; (void)ptemp;
    ready = 0;
    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG
        || !mt_server_conf_of(s)->secret) {
        return OK;
    }
    mt_api_roots_index(pconf, s);
    mt_db_post_config();
    if (mt_snapshot_attach(pconf, s) != APR_SUCCESS
        || mt_metrics_attach(s) != APR_SUCCESS
        || mt_lookup_attach(s) != APR_SUCCESS) {
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    rv = mt_admission_post_config(pconf, s);
    ready = rv == OK;
    if (ready) {
        mt_identity_post_config(s);
        ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s,
                     TKLOG(006) "set up: TicketCapacity %" APR_INT64_T_FMT
                     ", TicketServiceTTL %" APR_INT64_T_FMT " s, TicketIdentity %s,"
                     " TicketPreparedStatements %s; the API answers wherever"
                     " 'SetHandler ticket' applies",
                     (apr_int64_t)mt_conf_number(s, TK_CONF_CAPACITY),
                     (apr_int64_t)mt_conf_number(s, TK_CONF_SERVICE_TTL),
                     mt_conf_identity(s) == TK_IDENTITY_REMOTE_USER ? "RemoteUser" : "Body",
                     mt_conf_prepared_statements(s) ? "On" : "Off");
    }
    return rv;
}

static int ticket_monitor(apr_pool_t *p, server_rec *s)
{
    return ready ? mt_admission_monitor(p, s) : DECLINED;
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
    ap_hook_handler(mt_metrics_handler, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_log_transaction(mt_metrics_log_transaction, NULL, NULL,
                            APR_HOOK_MIDDLE);
    /* mod_status's section, by name: no link to mod_status */
    APR_OPTIONAL_HOOK(ap, status_hook, mt_status_hook, NULL, NULL,
                      APR_HOOK_MIDDLE);
    mt_identity_register_hooks();
}

AP_DECLARE_MODULE(ticket) = {
    STANDARD20_MODULE_STUFF,
    NULL,
    NULL,
    mt_create_server_conf,
    mt_merge_server_conf,
    mt_directives,
    ticket_register_hooks,
    0
};
