/* tk_metrics.h: the operators' metrics: their fixed label tables, and
 * their text in Prometheus's exposition format (version 0.0.4). No I/O:
 * the glue keeps the counters in shared memory, copies them into a
 * tk_metrics_counts at a scrape, and serves what tk_metrics_text makes. */
#ifndef TK_METRICS_H
#define TK_METRICS_H

#include <stdint.h>
#include <apr_pools.h>

#include "tk_errors.h"
#include "tk_route.h"

/* Endpoints: the API's routes (tk_api_route), and "other" for requests
 * the handler answered before a route was found (no route, another
 * method, the module not set up, Apache's own 401/403 there). */
#define TK_MX_OTHER TK_API__COUNT
#define TK_MX_ENDPOINTS (TK_API__COUNT + 1)

/* HTTP statuses: the ones the API answers, and "other". */
#define TK_MX_STATUSES 13

/* Outcomes: each tk_error_id (labelled by its code), success, and an
 * error answer that is not of the catalogue. */
#define TK_MX_OK TK_E__COUNT
#define TK_MX_NOT_CATALOGUED (TK_E__COUNT + 1)
#define TK_MX_OUTCOMES (TK_E__COUNT + 2)

/* Latency buckets: 1 ms to 10 s, and +Inf. */
#define TK_MX_BUCKETS 14

/* The queue states an operator may see, in the order they are printed. */
#define TK_MX_QUEUE_STATES 4
extern const char *const tk_metrics_queue_states[TK_MX_QUEUE_STATES];

typedef struct {
    uint64_t requests[TK_MX_ENDPOINTS][TK_MX_STATUSES];
    uint64_t outcomes[TK_MX_ENDPOINTS][TK_MX_OUTCOMES];
    uint64_t buckets[TK_MX_ENDPOINTS][TK_MX_BUCKETS];  /* not cumulative */
    uint64_t sum_us[TK_MX_ENDPOINTS];                  /* microseconds */
    uint64_t admitted;
    uint64_t db_unavailable;
} tk_metrics_counts;

/* What the host's snapshot and configuration say now. */
typedef struct {
    const char *queue_state;        /* one of tk_metrics_queue_states */
    int64_t capacity, in_service, waiting, admitted_last_minute;
    int64_t snapshot_age_ms;        /* -1: never refreshed */
    int64_t heartbeat_age_ms;       /* -1: the job has not run yet */
    int database_up;                /* 1 or 0, as this host last saw it */
} tk_metrics_gauges;

/* The endpoint's label ("enter", …, "other"). */
const char *tk_metrics_endpoint_name(int endpoint);
/* The slot of an HTTP status, and its label ("404", "other"). */
int tk_metrics_status_slot(int status);
const char *tk_metrics_status_label(int slot);
/* The outcome slot of an answer: the error it answered (TK_E_NONE for
 * none) and its status. */
int tk_metrics_outcome_slot(tk_error_id error, int status);
/* The bucket of a duration (microseconds): the first whose bound it does
 * not pass; the last is +Inf. */
int tk_metrics_bucket(uint64_t micros);
/* A label value with \, " and newline escaped, from p. */
const char *tk_metrics_escape(apr_pool_t *p, const char *value);
/* The whole exposition, from p: every family with its HELP and TYPE,
 * buckets cumulative, ending in a newline. */
const char *tk_metrics_text(apr_pool_t *p, const tk_metrics_counts *c,
                            const tk_metrics_gauges *g);

#endif
