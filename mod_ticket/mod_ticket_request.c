/* mod_ticket_request.c: reading requests and writing JSON replies. Every
 * reply of the handler, errors included, is JSON. */
#include <apr_strings.h>
#include "mod_ticket_private.h"
#include "tk_json.h"

#define RETRY_AFTER_SECONDS "2"

static apr_status_t put_json(void *obj)
{
    json_object_put(obj);
    return APR_SUCCESS;
}

int mt_reply_json(request_rec *r, int status, json_object *body)
{
    size_t len = 0;
    const char *text;

    apr_pool_cleanup_register(r->pool, body, put_json, apr_pool_cleanup_null);
    text = tk_json_text(body, &len);
    r->status = status;
    ap_set_content_type(r, "application/json; charset=utf-8");
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    ap_set_content_length(r, (apr_off_t)len + 1);
    if (!r->header_only) {
        ap_rwrite(text, (int)len, r);
        ap_rputc('\n', r);
    }
    return OK;
}

int mt_reply_error(request_rec *r, tk_error_id id)
{
    return mt_reply_error_msg(r, id, NULL);
}

int mt_reply_error_msg(request_rec *r, tk_error_id id, const char *message)
{
    const tk_error *e = tk_error_get(id);
    json_object *body = json_object_new_object();

    json_object_object_add(body, "error",
                           json_object_new_string(message ? message : e->message));
    json_object_object_add(body, "code", json_object_new_string(e->code));
    if (e->status == HTTP_SERVICE_UNAVAILABLE) {
        apr_table_setn(r->err_headers_out, "Retry-After", RETRY_AFTER_SECONDS);
    }
    if (e->status == HTTP_REQUEST_ENTITY_TOO_LARGE) {
        r->connection->keepalive = AP_CONN_CLOSE;   /* the rest is unread */
    }
    return mt_reply_json(r, e->status, body);
}

int mt_reply_db_error(request_rec *r, mt_db_rc rc)
{
    return mt_reply_error(r, rc == MT_DB_DOWN ? TK_E_UNAVAILABLE : TK_E_INTERNAL);
}

int mt_reply_outcome(request_rec *r, const char *result,
                     const mt_outcome *outcomes, const char *denied, int *done)
{
    tk_error_id err;

    if (strncmp(result, "token_", 6) == 0) {
        mt_gate_error(result + 6, &err);
        *done = mt_reply_error_msg(r, err, denied);
        return 1;
    }
    for (; outcomes->result; ++outcomes) {
        if (strcmp(result, outcomes->result) == 0) {
            *done = mt_reply_error(r, outcomes->error);
            return 1;
        }
    }
    return 0;
}

json_object *mt_json_i64(int64_t v)
{
    return json_object_new_int64(v);
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

int mt_request_token(request_rec *r, tk_token *t)
{
    const mt_server_conf *c = mt_server_conf_of(r->server);
    char text[TK_TOKEN_MAX_LEN];

    return c->secret
           && tk_token_from_authorization(apr_table_get(r->headers_in,
                                                        "Authorization"),
                                          text, sizeof(text))
           && tk_token_decode(c->secret, c->secret_len, text, t);
}

char *mt_token_text(request_rec *r, const tk_token *t)
{
    const mt_server_conf *c = mt_server_conf_of(r->server);
    char *text = apr_palloc(r->pool, TK_TOKEN_MAX_LEN);

    if (!c->secret || tk_token_encode(c->secret, c->secret_len, t, text,
                                      TK_TOKEN_MAX_LEN) != 0) {
        return NULL;
    }
    return text;
}
