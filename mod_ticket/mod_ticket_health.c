/* mod_ticket_health.c: GET /health (endpoint 10): liveness without the
 * database; readiness (?db=1): the database answers and has the schema
 * this module needs (its latest migration), found out at most once a
 * second per host. */
#include "mod_ticket_private.h"
#include "tk_parse.h"

static const mt_statement HAS_MIGRATIONS = {"tk_has_migrations",
    "SELECT to_regclass('public.schema_migrations') IS NOT NULL AS known",
    0, MT_DB_REPEATABLE};
/* (prepared only once the table is known to be there) */
static const mt_statement HAS_SCHEMA = {"tk_has_schema",
    "SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = $1) AS ready",
    1, MT_DB_REPEATABLE};

/* Whether the database answers and has TK_SCHEMA_VERSION (logged when
 * it answers without it). */
static int database_ready(request_rec *r)
{
    static volatile apr_uint64_t last;
    const char *params[1] = {TK_SCHEMA_VERSION};
    PGresult *res;
    mt_db_rc rc;
    int ready;

    if (!(res = mt_db_run(r, &HAS_MIGRATIONS, NULL, &rc))) {
        return 0;
    }
    ready = mt_result_true(res, "known")
            && (res = mt_db_run(r, &HAS_SCHEMA, params, &rc)) != NULL
            && mt_result_true(res, "ready");
    if (!ready && res && mt_log_due(&last)) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                      TKLOG(012) "the database lacks migration %s, which this "
                      "module needs: not ready (make migrate, or "
                      "scripts/migrate.sh)", TK_SCHEMA_VERSION);
    }
    return ready;
}

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
    int db = wants_db(r->args), ready;

    (void)m;
    if (db < 0) {
        return mt_reply_error(r, TK_E_BAD_REQUEST);
    }
    if (db) {
        if (!mt_snapshot_health(&ready)) {
            mt_snapshot_set_health(ready = database_ready(r));
        }
        if (!ready) {
            return mt_reply_error(r, TK_E_UNAVAILABLE);
        }
    }
    body = json_object_new_object();
    json_object_object_add(body, "status", json_object_new_string("ok"));
    return mt_reply_json(r, HTTP_OK, body);
}
