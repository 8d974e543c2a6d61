/* mod_bench_probe.c: the benchmark's C1 and C2 ceilings, built and loaded
 * only by `make bench`. Its handlers run one statement on a connection of
 * mod_dbd's pool, through libpq as mod_ticket does, and answer a small
 * JSON body: one HTTP request through Apache and mod_dbd to one database
 * round trip, with no work of the API. "bench-probe" (C1) runs SELECT 1;
 * "bench-probe-update" (C2, the honest ceiling of a write endpoint) runs
 * one single-row UPDATE of a random row of bench_counter (100,000 rows)
 * and its commit (autocommit, synchronous, as the API's writes). (GET
 * /health?db=1 is no such ceiling: its readiness answer is kept for a
 * second.) */
#include <stdint.h>
#include <apr_dbd.h>
#include <apr_strings.h>
#include <apr_optional.h>
#include <httpd.h>
#include <http_config.h>
#include <http_protocol.h>
#include <mod_dbd.h>
#include <libpq-fe.h>

static APR_OPTIONAL_FN_TYPE(ap_dbd_acquire) *acquire;

#define COUNTER_ROWS 100000

/* A random row of bench_counter, from a per-thread xorshift seeded by the
 * thread's first request (no lock, no system call per request). */
static const char *random_row(request_rec *r)
{
    static __thread uint64_t state;

    if (!state) {
        state = (uint64_t)r->request_time ^ (uint64_t)(uintptr_t)r
                ^ UINT64_C(0x9E3779B97F4A7C15);
    }
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return apr_psprintf(r->pool, "%d", (int)(state % COUNTER_ROWS) + 1);
}

static int probe_handler(request_rec *r)
{
    const char *row = NULL;
    ap_dbd_t *dbd;
    PGresult *res;
    int ok;

    if (!r->handler || (strcmp(r->handler, "bench-probe") != 0
                        && strcmp(r->handler, "bench-probe-update") != 0)) {
        return DECLINED;
    }
    if (!acquire || !(dbd = acquire(r))) {
        return HTTP_SERVICE_UNAVAILABLE;
    }
    if (strcmp(r->handler, "bench-probe") == 0) {
        res = PQexecParams(apr_dbd_native_handle(dbd->driver, dbd->handle),
                           "SELECT 1", 0, NULL, NULL, NULL, NULL, 0);
        ok = PQresultStatus(res) == PGRES_TUPLES_OK;
    }
    else {
        row = random_row(r);
        res = PQexecParams(apr_dbd_native_handle(dbd->driver, dbd->handle),
                           "UPDATE bench_counter SET n = n + 1 WHERE id = $1::integer",
                           1, NULL, &row, NULL, NULL, 0);
        ok = PQresultStatus(res) == PGRES_COMMAND_OK && strcmp(PQcmdTuples(res), "1") == 0;
    }
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
