/* mod_ticket_metrics.c: this host's counters, and the "ticket-metrics"
 * handler that serves them to Prometheus.
 *
 * The counters live in a second retained anonymous shared-memory segment
 * (like the queue snapshot's, see mod_ticket_snapshot.c): every child of
 * the host adds to the same 64-bit atomics, and a graceful restart keeps
 * them; a full stop, or a module whose counters are laid out otherwise,
 * starts from zero. A request is noted as it goes (its endpoint once
 * routed, the error it answered) in its request config, and counted once
 * it is logged: by endpoint and status, by outcome, and its latency. A
 * scrape reads shared memory and the snapshot only: no database. */
#include <apr_atomic.h>
#include <apr_shm.h>
#include <apr_strings.h>
#include "mod_ticket_private.h"

typedef struct {
    volatile apr_uint64_t requests[TK_MX_ENDPOINTS][TK_MX_STATUSES];
    volatile apr_uint64_t outcomes[TK_MX_ENDPOINTS][TK_MX_OUTCOMES];
    volatile apr_uint64_t buckets[TK_MX_ENDPOINTS][TK_MX_BUCKETS];
    volatile apr_uint64_t sum_us[TK_MX_ENDPOINTS];
    volatile apr_uint64_t admitted;
    volatile apr_uint64_t db_unavailable;
    volatile apr_uint64_t db_up;            /* as last seen: 1 up, 0 not */
} mt_counters;

typedef struct {
    apr_shm_t *shm;
} mt_retained;

static mt_counters *counters;

apr_status_t mt_metrics_attach(server_rec *s)
{
    const char *key = "mod_ticket.metrics";
    mt_retained *kept = ap_retained_data_get(key);
    apr_status_t rv;

    if (!kept) {
        kept = ap_retained_data_create(key, sizeof(*kept));
    }
    /* versioned by size: another layout (an upgrade, then a graceful
     * restart) starts afresh rather than misreading the old one */
    if (!kept->shm || apr_shm_size_get(kept->shm) != sizeof(mt_counters)) {
        rv = apr_shm_create(&kept->shm, sizeof(mt_counters), NULL,
                            s->process->pool);
        if (rv != APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_EMERG, rv, s,
                         TKLOG(030) "cannot create the metrics' shared memory "
                         "(%" APR_SIZE_T_FMT " bytes)", sizeof(mt_counters));
            kept->shm = NULL;
            return rv;
        }
        memset(apr_shm_baseaddr_get(kept->shm), 0, sizeof(mt_counters));
    }
    counters = apr_shm_baseaddr_get(kept->shm);
    return APR_SUCCESS;
}

/* ---- what the rest of the module tells ---- */

void mt_metrics_admitted(int64_t n)
{
    if (counters && n > 0) {
        apr_atomic_add64(&counters->admitted, (apr_uint64_t)n);
    }
}

void mt_metrics_database_seen(int up)
{
    if (!counters) {
        return;
    }
    if (!up) {
        apr_atomic_inc64(&counters->db_unavailable);
    }
    /* read first: most statements find it as it was, and a read keeps
     * the cache line shared between the processes */
    if (apr_atomic_read64(&counters->db_up) != (apr_uint64_t)(up != 0)) {
        apr_atomic_set64(&counters->db_up, (apr_uint64_t)(up != 0));
    }
}

int mt_metrics_database_up(void)
{
    return counters && apr_atomic_read64(&counters->db_up) == 1;
}

/* The queue's state as operators read it (metrics, server-status): one
 * of tk_metrics_queue_states. The one place that names it. */
const char *mt_queue_state_name(server_rec *s)
{
    static const char *const names[] = {"open", "paused", "closed"};
    tk_queue_rules rules;
    tk_queue_view view;

    mt_conf_queue_rules(s, &rules);
    mt_snapshot_read(&view);
    if (mt_conf_queue_mode(s) == TK_QUEUE_OPEN && tk_queue_in_prequeue(&view, &rules)) {
        return "prequeue";
    }
    return names[mt_conf_queue_mode(s)];
}

/* ---- per request ---- */

typedef struct {
    int endpoint;           /* a tk_api_route, or TK_MX_OTHER */
    tk_error_id error;      /* the error answered, or TK_E_NONE */
} mt_request_note;

static mt_request_note *note_of(request_rec *r, int create)
{
    mt_request_note *n = ap_get_module_config(r->request_config,
                                              &ticket_module);

    if (!n && create) {
        n = apr_palloc(r->pool, sizeof(*n));
        n->endpoint = TK_MX_OTHER;
        n->error = TK_E_NONE;
        ap_set_module_config(r->request_config, &ticket_module, n);
    }
    return n;
}

void mt_metrics_note_endpoint(request_rec *r, int endpoint)
{
    note_of(r, 1)->endpoint = endpoint;
}

void mt_metrics_note_error(request_rec *r, tk_error_id error)
{
    note_of(r, 1)->error = error;
}

/* Whether this module answered the request: its handler or an error
 * answer noted it (*n), or "SetHandler ticket" sent it here (*n NULL:
 * refused before anything was noted). The answer is the last of an
 * internal redirect chain, as the access log has it. */
static int answered_here(request_rec *r, request_rec *last,
                         mt_request_note **n)
{
    if (!(*n = note_of(last, 0))) {
        *n = note_of(r, 0);
    }
    return *n || (last->handler && strcmp(last->handler, MT_HANDLER) == 0);
}

/* Counts the request once it is logged: by endpoint and status, by
 * outcome, and its time since the request line was read. */
int mt_metrics_log_transaction(request_rec *r)
{
    apr_time_t took = apr_time_now() - r->request_time;
    request_rec *last = r;
    mt_request_note *n;
    int e, status;

    while (last->next) {
        last = last->next;
    }
    if (!counters || !answered_here(r, last, &n)) {
        return DECLINED;
    }
    e = n ? n->endpoint : TK_MX_OTHER;
    status = tk_metrics_status_slot(last->status);
    took = took > 0 ? took : 0;
    apr_atomic_inc64(&counters->requests[e][status]);
    apr_atomic_inc64(&counters->outcomes[e][tk_metrics_outcome_slot(
                         n ? n->error : TK_E_NONE, last->status)]);
    apr_atomic_inc64(&counters->buckets[e][tk_metrics_bucket((uint64_t)took)]);
    apr_atomic_add64(&counters->sum_us[e], (apr_uint64_t)took);
    return DECLINED;
}

/* ---- the scrape ---- */

/* Milliseconds since `when`, 0 if that is ahead of this host's clock;
 * -1 for 0 (never). */
static int64_t age_ms(apr_time_t when)
{
    apr_time_t age = apr_time_now() - when;

    return when == 0 ? -1 : age > 0 ? (int64_t)apr_time_as_msec(age) : 0;
}

void mt_metrics_gauges(server_rec *s, tk_metrics_gauges *g)
{
    tk_queue_view view;

    mt_snapshot_read(&view);
    g->queue_state = mt_queue_state_name(s);
    g->capacity = mt_conf_number(s, TK_CONF_CAPACITY);
    g->in_service = view.in_service;
    g->waiting = view.waiting;
    g->admitted_last_minute = view.admitted_last_minute;
    /* (the refresh is by the database's clock, which may be ahead) */
    g->snapshot_age_ms = age_ms((apr_time_t)view.refreshed_at);
    /* this host's job only, by this host's clock: a refresh by a request
     * or another host's admission does not hide a job that stopped */
    g->heartbeat_age_ms = age_ms(mt_snapshot_last_heartbeat());
    g->database_up = mt_metrics_database_up();
}

static void read_counters(tk_metrics_counts *c)
{
    int e, i;

    for (e = 0; e < TK_MX_ENDPOINTS; ++e) {
        for (i = 0; i < TK_MX_STATUSES; ++i) {
            c->requests[e][i] = apr_atomic_read64(&counters->requests[e][i]);
        }
        for (i = 0; i < TK_MX_OUTCOMES; ++i) {
            c->outcomes[e][i] = apr_atomic_read64(&counters->outcomes[e][i]);
        }
        for (i = 0; i < TK_MX_BUCKETS; ++i) {
            c->buckets[e][i] = apr_atomic_read64(&counters->buckets[e][i]);
        }
        c->sum_us[e] = apr_atomic_read64(&counters->sum_us[e]);
    }
    c->admitted = apr_atomic_read64(&counters->admitted);
    c->db_unavailable = apr_atomic_read64(&counters->db_unavailable);
}

static int reply_text(request_rec *r, int status, const char *type,
                      const char *text)
{
    apr_size_t len = strlen(text);

    r->status = status;
    ap_set_content_type(r, type);
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    ap_set_content_length(r, (apr_off_t)len);
    if (!r->header_only) {
        ap_rwrite(text, (int)len, r);
    }
    return OK;
}

/* The module is not set up (no TicketSecretFile): nothing to serve.
 * Logged at most every 10 s. */
static int metrics_unready(request_rec *r)
{
    static volatile apr_uint64_t last;

    if (mt_log_due(&last)) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      TKLOG(031) "'SetHandler %s' applies to %s, but mod_ticket "
                      "is not set up: TicketSecretFile is required in the main "
                      "server configuration", MT_METRICS_HANDLER, r->uri);
    }
    return reply_text(r, HTTP_SERVICE_UNAVAILABLE, "text/plain; charset=utf-8",
                      "mod_ticket is not set up\n");
}

int mt_metrics_handler(request_rec *r)
{
    tk_metrics_counts *c;
    tk_metrics_gauges g;

    if (!r->handler || strcmp(r->handler, MT_METRICS_HANDLER) != 0) {
        return DECLINED;
    }
    if (!mt_module_ready() || !counters) {
        return metrics_unready(r);
    }
    if (r->method_number != M_GET) {        /* (HEAD is M_GET too) */
        apr_table_setn(r->headers_out, "Allow", "GET, HEAD");
        return reply_text(r, HTTP_METHOD_NOT_ALLOWED,
                          "text/plain; charset=utf-8", "GET or HEAD only\n");
    }
    c = apr_palloc(r->pool, sizeof(*c));
    read_counters(c);
    mt_metrics_gauges(r->server, &g);
    return reply_text(r, HTTP_OK, "text/plain; version=0.0.4; charset=utf-8",
                      tk_metrics_text(r->pool, c, &g));
}
