/* mod_ticket_health.c: GET /health (endpoint 10): liveness without the
 * database, or with one trivial query when asked (?db=1). */
#include "mod_ticket_private.h"
#include "tk_parse.h"

static const mt_statement PING = {"tk_ping", "SELECT 1", 0, MT_DB_REPEATABLE};

/* 1 when the query string asks for the database check, 0 when not, -1
 * when it is malformed (db= with a value other than 0 or 1). */
static int wants_db(const char *args)
{
    const char *v;
    size_t len;

    if (!tk_query_param(args, "db", &v, &len)) {
        return 0;
    }
    return len == 1 && (*v == '0' || *v == '1') ? *v == '1' : -1;
}

int mt_health(request_rec *r, const tk_route_match *m)
{
    json_object *body;
    int db = wants_db(r->args);
    mt_db_rc rc;

    (void)m;
    if (db < 0) {
        return mt_reply_error(r, TK_E_BAD_REQUEST);
    }
    if (db && !mt_db_run(r, &PING, NULL, &rc)) {
        return mt_reply_db_error(r, rc);
    }
    body = json_object_new_object();
    json_object_object_add(body, "status", json_object_new_string("ok"));
    return mt_reply_json(r, HTTP_OK, body);
}
