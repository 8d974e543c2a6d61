/* tk_metrics.c: the metrics' label tables and exposition text
 * (tk_metrics.h). Series are printed in the order of the tables, labels
 * in a fixed order, so that two scrapes of the same counts are the same
 * text. */
#include <stdarg.h>
#include <string.h>
#include <apr_strings.h>
#include <apr_tables.h>
#include "tk_metrics.h"

const char *const tk_metrics_queue_states[TK_MX_QUEUE_STATES] = {
    "open", "paused", "closed", "prequeue"
};

/* The endpoints as api.md names them, by tk_api_route; then "other". */
static const char *const endpoints[TK_MX_ENDPOINTS] = {
    [TK_API_QUEUES_ENTER] = "enter",
    [TK_API_QUEUES_POLL]  = "poll",
    [TK_API_CONCERTS]     = "concerts",
    [TK_API_DATES]        = "dates",
    [TK_API_SEATS]        = "seats",
    [TK_API_HOLD]         = "hold",
    [TK_API_CHARGE]       = "charge",
    [TK_API_HISTORY]      = "account",
    [TK_API_PAY]          = "pay",
    [TK_API_HEALTH]       = "health",
    [TK_MX_OTHER]         = "other",
};

static const int statuses[TK_MX_STATUSES - 1] = {
    200, 400, 401, 402, 403, 404, 405, 409, 413, 422, 500, 503
};
static const char *const status_labels[TK_MX_STATUSES] = {
    "200", "400", "401", "402", "403", "404", "405", "409", "413", "422",
    "500", "503", "other"
};

/* Bucket bounds in microseconds, and as "le" labels (seconds). */
static const uint64_t bounds_us[TK_MX_BUCKETS - 1] = {
    1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000,
    1000000, 2500000, 5000000, 10000000
};
static const char *const bucket_labels[TK_MX_BUCKETS] = {
    "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25",
    "0.5", "1", "2.5", "5", "10", "+Inf"
};

const char *tk_metrics_endpoint_name(int endpoint)
{
    return endpoint >= 0 && endpoint < TK_MX_ENDPOINTS ? endpoints[endpoint]
                                                       : endpoints[TK_MX_OTHER];
}

int tk_metrics_status_slot(int status)
{
    int i;

    for (i = 0; i < TK_MX_STATUSES - 1; ++i) {
        if (statuses[i] == status) {
            return i;
        }
    }
    return TK_MX_STATUSES - 1;
}

const char *tk_metrics_status_label(int slot)
{
    return status_labels[slot >= 0 && slot < TK_MX_STATUSES ? slot
                                                            : TK_MX_STATUSES - 1];
}

int tk_metrics_outcome_slot(tk_error_id error, int status)
{
    if ((int)error >= 0 && error < TK_E__COUNT) {
        return (int)error;
    }
    return status < 400 ? TK_MX_OK : TK_MX_NOT_CATALOGUED;
}

int tk_metrics_bucket(uint64_t micros)
{
    int i;

    for (i = 0; i < TK_MX_BUCKETS - 1 && micros > bounds_us[i]; ++i) {
    }
    return i;
}

const char *tk_metrics_escape(apr_pool_t *p, const char *value)
{
    char *out = apr_palloc(p, 2 * strlen(value) + 1), *o = out;

    for (; *value; ++value) {
        if (*value == '\\' || *value == '"') {
            *o++ = '\\';
            *o++ = *value;
        }
        else if (*value == '\n') {
            *o++ = '\\';
            *o++ = 'n';
        }
        else {
            *o++ = *value;
        }
    }
    *o = '\0';
    return out;
}

/* ---- the text ---- */

typedef struct {
    apr_pool_t *p;
    apr_array_header_t *parts;
} text;

static void put(text *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void put(text *t, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    APR_ARRAY_PUSH(t->parts, const char *) = apr_pvsprintf(t->p, fmt, ap);
    va_end(ap);
}

static void family(text *t, const char *name, const char *type, const char *help)
{
    put(t, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A label set: {k1="v1"} or {k1="v1",k2="v2"} (k2 NULL for one). */
static const char *labels(text *t, const char *k1, const char *v1,
                          const char *k2, const char *v2)
{
    const char *one = apr_psprintf(t->p, "%s=\"%s\"", k1,
                                   tk_metrics_escape(t->p, v1));

    return k2 ? apr_psprintf(t->p, "{%s,%s=\"%s\"}", one, k2,
                             tk_metrics_escape(t->p, v2))
              : apr_psprintf(t->p, "{%s}", one);
}

/* One line: the name, its label set (or NULL), the value. */
static void sample(text *t, const char *name, const char *set, const char *value)
{
    put(t, "%s%s %s\n", name, set ? set : "", value);
}

static const char *u64(text *t, uint64_t v)
{
    return apr_psprintf(t->p, "%" APR_UINT64_T_FMT, (apr_uint64_t)v);
}

/* Requests by endpoint and status: the pairs that happened. */
static void requests(text *t, const tk_metrics_counts *c)
{
    int e, s;

    family(t, "ticket_requests_total", "counter",
           "Requests the ticket handler answered, by endpoint and HTTP status.");
    for (e = 0; e < TK_MX_ENDPOINTS; ++e) {
        for (s = 0; s < TK_MX_STATUSES; ++s) {
            if (c->requests[e][s]) {
                sample(t, "ticket_requests_total",
                       labels(t, "endpoint", endpoints[e], "status",
                              status_labels[s]),
                       u64(t, c->requests[e][s]));
            }
        }
    }
}

/* An endpoint's count of one machine code: errors that share a code (the
 * 400s of endpoint 1 and the others) are one series. 0 when error is not
 * the first of its code (its count went with the first). */
static uint64_t code_count(const tk_metrics_counts *c, int e, int error)
{
    const char *code = tk_error_get((tk_error_id)error)->code;
    uint64_t n = 0;
    int i;

    for (i = 0; i < TK_E__COUNT; ++i) {
        if (strcmp(tk_error_get((tk_error_id)i)->code, code) == 0) {
            if (i < error) {
                return 0;
            }
            n += c->outcomes[e][i];
        }
    }
    return n;
}

static void outcomes(text *t, const tk_metrics_counts *c)
{
    int e, o;

    family(t, "ticket_outcomes_total", "counter",
           "Answers by endpoint and outcome: the error code answered, ok, "
           "or other (an error that is not the API's).");
    for (e = 0; e < TK_MX_ENDPOINTS; ++e) {
        for (o = 0; o < TK_MX_OUTCOMES; ++o) {
            uint64_t n = o < TK_E__COUNT ? code_count(c, e, o)
                                         : c->outcomes[e][o];
            const char *code = o == TK_MX_OK ? "ok" : o == TK_MX_NOT_CATALOGUED
                               ? "other" : tk_error_get((tk_error_id)o)->code;
            if (n) {
                sample(t, "ticket_outcomes_total",
                       labels(t, "endpoint", endpoints[e], "code", code),
                       u64(t, n));
            }
        }
    }
}

/* Latency of every endpoint (all of them, also before their first
 * request): cumulative buckets, +Inf equal to the count. */
static void latency(text *t, const tk_metrics_counts *c)
{
    int e, b;

    family(t, "ticket_request_duration_seconds", "histogram",
           "Seconds from reading the request to logging it, by endpoint.");
    for (e = 0; e < TK_MX_ENDPOINTS; ++e) {
        const char *endpoint = labels(t, "endpoint", endpoints[e], NULL, NULL);
        uint64_t total = 0;

        for (b = 0; b < TK_MX_BUCKETS; ++b) {
            total += c->buckets[e][b];
            sample(t, "ticket_request_duration_seconds_bucket",
                   labels(t, "endpoint", endpoints[e], "le", bucket_labels[b]),
                   u64(t, total));
        }
        sample(t, "ticket_request_duration_seconds_sum", endpoint,
               apr_psprintf(t->p, "%" APR_UINT64_T_FMT ".%06" APR_UINT64_T_FMT,
                            (apr_uint64_t)(c->sum_us[e] / 1000000),
                            (apr_uint64_t)(c->sum_us[e] % 1000000)));
        sample(t, "ticket_request_duration_seconds_count", endpoint,
               u64(t, total));
    }
}

/* A family of one sample without labels. */
static void single(text *t, const char *name, const char *type, const char *help,
                   const char *value)
{
    family(t, name, type, help);
    sample(t, name, NULL, value);
}

static const char *i64(text *t, int64_t v)
{
    return apr_psprintf(t->p, "%" APR_INT64_T_FMT, (apr_int64_t)v);
}

/* An age in milliseconds as seconds; NaN for -1 (nothing to be old
 * yet: a 0 would look fresh, and a large number would page someone). */
static const char *age(text *t, int64_t ms)
{
    return ms < 0 ? "NaN"
           : apr_psprintf(t->p, "%" APR_INT64_T_FMT ".%03" APR_INT64_T_FMT,
                          (apr_int64_t)(ms / 1000), (apr_int64_t)(ms % 1000));
}

static void queue(text *t, const tk_metrics_gauges *g)
{
    int i;

    single(t, "ticket_queue_capacity", "gauge",
           "TicketCapacity: tokens in service at once.", i64(t, g->capacity));
    single(t, "ticket_queue_in_service", "gauge",
           "Tokens in service, as of this host's snapshot.",
           i64(t, g->in_service));
    single(t, "ticket_queue_waiting", "gauge",
           "Tokens waiting, as of this host's snapshot.", i64(t, g->waiting));
    single(t, "ticket_queue_admitted_last_minute", "gauge",
           "Admissions in the minute before this host's snapshot.",
           i64(t, g->admitted_last_minute));
    single(t, "ticket_queue_snapshot_age_seconds", "gauge",
           "Seconds since the admission run this host's snapshot shows "
           "(NaN: none yet since a full start).",
           age(t, g->snapshot_age_ms));
    family(t, "ticket_queue_state", "gauge",
           "1 for the state the queue is in, else 0.");
    for (i = 0; i < TK_MX_QUEUE_STATES; ++i) {
        sample(t, "ticket_queue_state",
               labels(t, "state", tk_metrics_queue_states[i], NULL, NULL),
               strcmp(g->queue_state, tk_metrics_queue_states[i]) ? "0" : "1");
    }
}

const char *tk_metrics_text(apr_pool_t *p, const tk_metrics_counts *c,
                            const tk_metrics_gauges *g)
{
    text t = {p, apr_array_make(p, 512, sizeof(const char *))};

    requests(&t, c);
    outcomes(&t, c);
    latency(&t, c);
    single(&t, "ticket_admissions_total", "counter",
           "Tokens this host admitted to service (its admission job, "
           "and right after payments).",
           u64(&t, c->admitted));
    single(&t, "ticket_database_unavailable_total", "counter",
           "Times a request or the admission job found the database "
           "unavailable.",
           u64(&t, c->db_unavailable));
    single(&t, "ticket_database_up", "gauge",
           "1 when this host's last statement reached the database; 0 when it "
           "found it unavailable, or before its first statement.",
           g->database_up ? "1" : "0");
    single(&t, "ticket_admission_heartbeat_age_seconds", "gauge",
           "Seconds since this host's admission job last ran successfully "
           "(NaN: not yet since a full start).",
           age(&t, g->heartbeat_age_ms));
    queue(&t, g);
    return apr_array_pstrcat(p, t.parts, 0);
}
