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

/* What the configuration tree says about the API (read in check_config,
 * inherited by the children): whether a "SetHandler ticket" exists, the
 * <Location> paths that carry it, and whether the main server (not a
 * virtual host) names the pgsql driver. Without a SetHandler the module
 * stays idle: no job, no checks. */
static int serving_api;
static int main_server_has_pgsql;
static apr_array_header_t *api_locations;

/* The first word of a directive's arguments, quotes removed. */
static const char *first_word(apr_pool_t *p, const char *args)
{
    const char *rest = args ? args : "";
    return ap_getword_conf(p, &rest);
}

static void scan_conftree(apr_pool_t *p, const ap_directive_t *d,
                          const char *location, int in_vhost)
{
    for (; d; d = d->next) {
        const char *loc = location;
        int vhost = in_vhost || strcasecmp(d->directive, "<VirtualHost") == 0;

        if (strcasecmp(d->directive, "<Location") == 0) {
            char *w = apr_pstrdup(p, first_word(p, d->args));
            char *gt = strrchr(w, '>');
            if (gt) *gt = '\0';
            loc = (w[0] == '/') ? w : NULL;          /* "~" regex: no prefix */
        }
        else if (strcasecmp(d->directive, "<LocationMatch") == 0
                 || strcasecmp(d->directive, "<Directory") == 0
                 || strcasecmp(d->directive, "<Files") == 0) {
            loc = NULL;
        }
        else if (strcasecmp(d->directive, "SetHandler") == 0
                 && strcasecmp(first_word(p, d->args), MT_HANDLER) == 0) {
            serving_api = 1;
            if (loc) {
                APR_ARRAY_PUSH(api_locations, const char *) = loc;
            }
        }
        else if (strcasecmp(d->directive, "DBDriver") == 0 && !in_vhost
                 && strcasecmp(first_word(p, d->args), "pgsql") == 0) {
            main_server_has_pgsql = 1;
        }
        if (d->first_child) {
            scan_conftree(p, d->first_child, loc, vhost);
        }
    }
}

const char *mt_api_path(const char *uri)
{
    const char *best = NULL;
    size_t best_len = 0;
    int i;

    for (i = 0; api_locations && i < api_locations->nelts; ++i) {
        const char *loc = APR_ARRAY_IDX(api_locations, i, const char *);
        size_t n = strlen(loc);
        while (n > 0 && loc[n - 1] == '/') {
            --n;
        }
        if ((!best || n > best_len) && strncmp(uri, loc, n) == 0
            && (uri[n] == '/' || uri[n] == '\0')) {
            best = loc;
            best_len = n;
        }
    }
    if (!best || best_len == 0) {
        return uri;
    }
    return uri[best_len] ? uri + best_len : "/";
}

/* Cross-directive checks; unlike post_config this runs for -t too. */
static int ticket_check_config(apr_pool_t *pconf, apr_pool_t *plog,
                               apr_pool_t *ptemp, server_rec *s)
{
    (void)plog; (void)ptemp;
    serving_api = main_server_has_pgsql = 0;
    api_locations = apr_array_make(pconf, 2, sizeof(const char *));
    scan_conftree(pconf, ap_conftree, NULL, 0);
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
    if (!main_server_has_pgsql) {
        ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_CRIT, 0, s,
                     TKLOG(004) "mod_ticket requires 'DBDriver pgsql' and "
                     "DBDParams for its PostgreSQL database in the main "
                     "server configuration");
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

static void ticket_child_init(apr_pool_t *p, server_rec *s)
{
    (void)s;
    if (serving_api) {
        mt_db_child_init(p);
    }
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
    ap_hook_child_init(ticket_child_init, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_monitor(ticket_monitor, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_handler(mt_handler, NULL, NULL, APR_HOOK_MIDDLE);
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
