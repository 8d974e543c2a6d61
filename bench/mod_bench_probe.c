/* mod_bench_probe.c: the benchmark's C1 ceiling, built and loaded only by
 * `make bench`. Its handler ("bench-probe") runs one trivial statement
 * (SELECT 1) on a connection of mod_dbd's pool, through libpq as
 * mod_ticket does, and answers a small JSON body: one HTTP request through
 * Apache and mod_dbd to one database round trip, with no work of the API.
 * (GET /health?db=1 is no such ceiling: its readiness answer is kept for a
 * second.) */
#include <apr_dbd.h>
#include <apr_optional.h>
#include <httpd.h>
#include <http_config.h>
#include <http_protocol.h>
#include <mod_dbd.h>
#include <libpq-fe.h>

static APR_OPTIONAL_FN_TYPE(ap_dbd_acquire) *acquire;

static int probe_handler(request_rec *r)
{
    ap_dbd_t *dbd;
    PGresult *res;
    int ok;

    if (!r->handler || strcmp(r->handler, "bench-probe") != 0) {
        return DECLINED;
    }
    if (!acquire || !(dbd = acquire(r))) {
        return HTTP_SERVICE_UNAVAILABLE;
    }
    res = PQexecParams(apr_dbd_native_handle(dbd->driver, dbd->handle),
                       "SELECT 1", 0, NULL, NULL, NULL, NULL, 0);
    ok = PQresultStatus(res) == PGRES_TUPLES_OK;
    PQclear(res);
    if (!ok) {
        return HTTP_SERVICE_UNAVAILABLE;
    }
    ap_set_content_type(r, "application/json; charset=utf-8");
    ap_rputs("{\"status\":\"ok\"}\n", r);
    return OK;
}

static int probe_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                             apr_pool_t *ptemp, server_rec *s)
{
    (void)pconf; (void)plog; (void)ptemp; (void)s;
    acquire = APR_RETRIEVE_OPTIONAL_FN(ap_dbd_acquire);
    return OK;
}

static void probe_hooks(apr_pool_t *p)
{
    (void)p;
    ap_hook_post_config(probe_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_handler(probe_handler, NULL, NULL, APR_HOOK_MIDDLE);
}

AP_DECLARE_MODULE(bench_probe) = {
    STANDARD20_MODULE_STUFF, NULL, NULL, NULL, NULL, NULL, probe_hooks, 0
};
