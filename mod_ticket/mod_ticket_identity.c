/* mod_ticket_identity.c: who the caller is (TicketIdentity).
 *
 * In RemoteUser mode the site's own authentication, in the same location,
 * decides who the caller is (r->user); the gate refuses a request without
 * one (401 UNAUTHENTICATED) and tokens are bound to it (tk_token.h). When
 * Apache's authentication or authorization answers first (a "Require
 * valid-user" location), its 401 and 403 carry the API's JSON error body
 * too: set here for this request before authentication runs, with a
 * filter that gives the error page the JSON content type. In Body mode
 * the caller is whoever the body's userId names: said once at start. */
#include <apr_strings.h>
#include <http_core.h>
#include <http_request.h>
#include <util_filter.h>
#include "mod_ticket_private.h"

#define JSON_ERRORS_NOTE "mod_ticket-json-errors"
#define JSON_ERRORS_FILTER "TICKET_JSON_ERRORS"

/* Whether "SetHandler ticket" applies to the request (r->handler is only
 * set at fixups, after authentication: read core's configuration). */
static int handled_by_ticket(request_rec *r)
{
    const core_dir_config *d = ap_get_core_module_config(r->per_dir_config);
    const char *err = NULL, *handler;

    if (!d || !d->expr_handler) {
        return 0;
    }
    handler = ap_expr_str_exec(r, d->expr_handler, &err);
    return !err && handler && strcasecmp(handler, MT_HANDLER) == 0;
}

static const char *error_body(request_rec *r, tk_error_id id)
{
    const tk_error *e = tk_error_get(id);
    return apr_psprintf(r->pool, "{\"error\":\"%s\",\"code\":\"%s\"}\n",
                        e->message, e->code);
}

static int json_for_apache_errors(request_rec *r)
{
    if (!mt_module_ready() || !handled_by_ticket(r)) {
        return DECLINED;
    }
    ap_custom_response(r, HTTP_UNAUTHORIZED, error_body(r, TK_E_UNAUTHENTICATED));
    ap_custom_response(r, HTTP_FORBIDDEN, error_body(r, TK_E_FORBIDDEN));
    apr_table_setn(r->notes, JSON_ERRORS_NOTE, "1");
    return DECLINED;
}

static void insert_json_type(request_rec *r)
{
    if (apr_table_get(r->notes, JSON_ERRORS_NOTE)
        && (r->status == HTTP_UNAUTHORIZED || r->status == HTTP_FORBIDDEN)) {
        /* (err_headers_out becomes the error page's headers) */
        apr_table_setn(r->err_headers_out, "Cache-Control", "no-store");
        mt_metrics_note_error(r, r->status == HTTP_UNAUTHORIZED
                                 ? TK_E_UNAUTHENTICATED : TK_E_FORBIDDEN);
        ap_add_output_filter(JSON_ERRORS_FILTER, NULL, r, r->connection);
    }
}

/* Runs before the headers go out: ap_send_error_response sets text/html
 * after the error filters were inserted. */
static apr_status_t json_type_filter(ap_filter_t *f, apr_bucket_brigade *bb)
{
    apr_table_unset(f->r->headers_out, "Content-Language");
    ap_set_content_type(f->r, "application/json; charset=utf-8");
    ap_remove_output_filter(f);
    return ap_pass_brigade(f->next, bb);
}

void mt_identity_post_config(server_rec *s)
{
    if (mt_conf_identity(s) == TK_IDENTITY_BODY) {
        ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s,
                     TKLOG(005) "TicketIdentity Body: the caller is whoever "
                     "a request's userId names (for demos and tests); put "
                     "the API behind the site's authentication with "
                     "TicketIdentity RemoteUser for a sale");
    }
}

void mt_identity_register_hooks(void)
{
    ap_hook_header_parser(json_for_apache_errors, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_insert_error_filter(insert_json_type, NULL, NULL, APR_HOOK_MIDDLE);
    ap_register_output_filter(JSON_ERRORS_FILTER, json_type_filter, NULL,
                              AP_FTYPE_CONTENT_SET);
}
