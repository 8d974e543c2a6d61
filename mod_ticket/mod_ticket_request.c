/* mod_ticket_request.c: reading requests: where the API lives in the URI,
 * the body within its limit, the JSON object in it, the queue token. */
#include <apr_hash.h>
#include <apr_strings.h>
#include <http_core.h>
#include "mod_ticket_private.h"
#include "tk_json.h"
#include "tk_parse.h"

/* Where the API lives: the <Location> that says "SetHandler ticket".
 * Core keeps a SetHandler as an expression in the section's own
 * configuration, and a request's merged configuration carries the pointer
 * of the last section that set one. So post_config indexes the literal
 * <Location> sections (no regex, no wildcard) of every server by that
 * pointer, and a request finds the section that gave it its handler,
 * whatever other sections (a <Location /api/health>, a site-wide
 * <Location />) merged after it. */
static apr_hash_t *api_roots;   /* expr_handler pointer -> path */

void mt_api_roots_index(apr_pool_t *pconf, server_rec *s)
{
    api_roots = apr_hash_make(pconf);
    for (; s; s = s->next) {
        const core_server_config *sc = ap_get_core_module_config(s->module_config);
        int i;

        for (i = 0; sc->sec_url && i < sc->sec_url->nelts; ++i) {
            ap_conf_vector_t *v = APR_ARRAY_IDX(sc->sec_url, i, ap_conf_vector_t *);
            const core_dir_config *d = ap_get_core_module_config(v);

            if (d->expr_handler && d->d && d->d[0] == '/' && !d->r
                && !d->d_is_fnmatch) {
                apr_hash_set(api_roots, apr_pmemdup(pconf, &d->expr_handler,
                                                    sizeof(d->expr_handler)),
                             sizeof(d->expr_handler), d->d);
            }
        }
    }
}

/* The roots this process has said it serves (a handler's expression can
 * only be read with a request, so a location is named at its first). */
#define ANNOUNCED_MAX 16
static const char *volatile announced[ANNOUNCED_MAX];

void mt_api_announce(request_rec *r, const char *base)
{
    int i;

    for (i = 0; base && i < ANNOUNCED_MAX; ++i) {
        if (announced[i] == base) {
            return;
        }
        if (!announced[i] && apr_atomic_casptr((volatile void **)&announced[i],
                                               (void *)base, NULL) == NULL) {
            ap_log_rerror(APLOG_MARK, APLOG_NOTICE, 0, r,
                          TKLOG(008) "serving the API at %s (%s, first request "
                          "there in this process)", base,
                          r->server->server_hostname ? r->server->server_hostname : "*");
            return;
        }
    }
}

const char *mt_api_base(request_rec *r)
{
    const core_dir_config *d = ap_get_core_module_config(r->per_dir_config);

    if (!api_roots || !d || !d->expr_handler) {
        return NULL;
    }
    return apr_hash_get(api_roots, &d->expr_handler, sizeof(d->expr_handler));
}

int mt_body_too_large(request_rec *r)
{
    apr_off_t max = (apr_off_t)mt_conf_number(r->server, TK_CONF_MAX_BODY_BYTES);
    const char *cl = apr_table_get(r->headers_in, "Content-Length");
    apr_off_t declared;
    char *end;

    return cl && apr_strtoff(&declared, cl, &end, 10) == APR_SUCCESS
           && *end == '\0' && declared > max;
}

/* The body, at most TicketMaxBodyBytes: Content-Length was checked by the
 * handler; the running total is checked while reading (chunked bodies
 * have no length). */
int mt_read_body(request_rec *r, const char **buf, apr_size_t *len,
                 tk_error_id *err)
{
    apr_off_t max = (apr_off_t)mt_conf_number(r->server, TK_CONF_MAX_BODY_BYTES);
    char *data, chunk[HUGE_STRING_LEN];
    apr_size_t have = 0;
    long n;

    if (ap_setup_client_block(r, REQUEST_CHUNKED_DECHUNK) != OK) {
        *err = TK_E_BAD_REQUEST;
        return HTTP_BAD_REQUEST;
    }
    data = apr_palloc(r->pool, (apr_size_t)max + 1);
    if (ap_should_client_block(r)) {
        while ((n = ap_get_client_block(r, chunk, sizeof(chunk))) > 0) {
            if ((apr_off_t)(have + (apr_size_t)n) > max) {
                *err = TK_E_PAYLOAD_TOO_LARGE;
                return HTTP_REQUEST_ENTITY_TOO_LARGE;
            }
            memcpy(data + have, chunk, (apr_size_t)n);
            have += (apr_size_t)n;
        }
        if (n < 0) {
            *err = TK_E_BAD_REQUEST;
            return HTTP_BAD_REQUEST;
        }
    }
    data[have] = '\0';
    *buf = data;
    *len = have;
    return OK;
}

tk_error_id mt_read_json(request_rec *r, json_object **body)
{
    const char *buf;
    apr_size_t len;
    tk_error_id err;

    *body = NULL;
    if (mt_read_body(r, &buf, &len, &err) != OK) {
        return err;
    }
    if (!(*body = tk_json_parse_object(buf, len))) {
        return TK_E_BAD_REQUEST;
    }
    mt_json_owned_by(r->pool, *body);
    return TK_E_NONE;
}

const char *mt_caller(request_rec *r)
{
    if (mt_conf_identity(r->server) != TK_IDENTITY_REMOTE_USER) {
        return NULL;
    }
    return r->user && tk_parse_user_name(r->user) == TK_PARSE_OK ? r->user : NULL;
}

/* Queue-Token wins over Authorization, which belongs to the site's own
 * authentication in RemoteUser mode. */
int mt_request_token(request_rec *r, tk_token *t)
{
    const mt_server_conf *c = mt_server_conf_of(r->server);
    const char *header = apr_table_get(r->headers_in, "Queue-Token");
    char text[TK_TOKEN_MAX_LEN];

    if (!header && mt_conf_identity(r->server) == TK_IDENTITY_BODY) {
        header = apr_table_get(r->headers_in, "Authorization");
    }
    return c->secret
           && tk_token_from_authorization(header, text, sizeof(text))
           && tk_token_decode_for(c->secret, c->secret_len, text,
                                  mt_caller(r), t);
}

char *mt_token_text(request_rec *r, const tk_token *t)
{
    const mt_server_conf *c = mt_server_conf_of(r->server);
    char *text = apr_palloc(r->pool, TK_TOKEN_MAX_LEN);

    if (!c->secret || tk_token_encode_for(c->secret, c->secret_len, t,
                                          mt_caller(r), text,
                                          TK_TOKEN_MAX_LEN) != 0) {
        return NULL;
    }
    return text;
}

const char *mt_i64_text(apr_pool_t *p, int64_t v)
{
    return apr_psprintf(p, "%" APR_INT64_T_FMT, (apr_int64_t)v);
}
