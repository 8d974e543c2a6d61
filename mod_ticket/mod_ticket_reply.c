/* mod_ticket_reply.c: JSON replies. Every reply of the handler, errors
 * included, is JSON; bodies are built from result rows by tables of
 * {JSON member, result column, type}. */
#include <apr_strings.h>
#include "mod_ticket_private.h"
#include "tk_json.h"

#define RETRY_AFTER_SECONDS "2"

static apr_status_t put_json(void *obj)
{
    json_object_put(obj);
    return APR_SUCCESS;
}

void mt_json_owned_by(apr_pool_t *p, json_object *obj)
{
    apr_pool_cleanup_register(p, obj, put_json, apr_pool_cleanup_null);
}

int mt_reply_json(request_rec *r, int status, json_object *body)
{
    size_t len = 0;
    const char *text;

    mt_json_owned_by(r->pool, body);
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

    mt_metrics_note_error(r, id);       /* every error answer passes here */
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

int mt_reply_outcome(request_rec *r, mt_gate *g, const char *result,
                     const mt_outcome *outcomes)
{
    if (strncmp(result, "token_", 6) == 0) {
        return mt_gate_refused(r, g, result + 6);
    }
    for (; outcomes->result; ++outcomes) {
        if (strcmp(result, outcomes->result) == 0) {
            g->done = mt_reply_error(r, outcomes->error);
            return 1;
        }
    }
    return 0;
}

json_object *mt_json_i64(int64_t v)
{
    return json_object_new_int64(v);
}

static json_object *field_value(const PGresult *res, int row,
                                const mt_field *f)
{
    int col = f->type == MT_FIXED ? -1 : PQfnumber(res, f->column);
    const char *v = col < 0 ? NULL : mt_db_text(res, row, col);

    switch (f->type) {
    case MT_FIXED:
        return json_object_new_string(f->column);
    case MT_INT:
        return v ? mt_json_i64(apr_atoi64(v)) : NULL;
    case MT_BOOL:
        return v ? json_object_new_boolean(*v == 't') : NULL;
    default:
        return v ? json_object_new_string(v) : NULL;
    }
}

json_object *mt_json_row(json_object *obj, const PGresult *res, int row,
                         const mt_field *fields)
{
    if (!obj) {
        obj = json_object_new_object();
    }
    for (; fields->key; ++fields) {
        json_object_object_add(obj, fields->key, field_value(res, row, fields));
    }
    return obj;
}

json_object *mt_json_rows(const PGresult *res, const char *present,
                          const mt_field *fields)
{
    json_object *list = json_object_new_array();
    int row, col = PQfnumber(res, present);

    for (row = 0; col >= 0 && row < PQntuples(res); ++row) {
        if (!mt_db_is_null(res, row, col)) {
            json_object_array_add(list, mt_json_row(NULL, res, row, fields));
        }
    }
    return list;
}

json_object *mt_json_texts(const PGresult *res, const char *column)
{
    json_object *list = json_object_new_array();
    int row, col = PQfnumber(res, column);

    for (row = 0; col >= 0 && row < PQntuples(res); ++row) {
        if (!mt_db_is_null(res, row, col)) {
            json_object_array_add(list,
                                  json_object_new_string(mt_db_text(res, row, col)));
        }
    }
    return list;
}

const char *mt_result_text(const PGresult *res, const char *column)
{
    int col = PQfnumber(res, column);
    return col < 0 || PQntuples(res) == 0 ? NULL : mt_db_text(res, 0, col);
}

int mt_result_null(const PGresult *res, const char *column)
{
    return mt_result_text(res, column) == NULL;
}

int mt_result_true(const PGresult *res, const char *column)
{
    const char *v = mt_result_text(res, column);
    return v && *v == 't';
}
