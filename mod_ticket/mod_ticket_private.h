/* mod_ticket_private.h: what the httpd glue files share. The core (tk_*)
 * never includes this. */
#ifndef MOD_TICKET_PRIVATE_H
#define MOD_TICKET_PRIVATE_H

#include <apr_atomic.h>
#include <apr_dbd.h>        /* before mod_dbd.h, which does not include it */
#include <httpd.h>
#include <http_config.h>
#include <http_log.h>
#include <http_protocol.h>
#include <mod_dbd.h>
#include <json-c/json.h>
#include <libpq-fe.h>

#include "tk_config.h"
#include "tk_errors.h"
#include "tk_lookup.h"
#include "tk_metrics.h"
#include "tk_queue.h"
#include "tk_route.h"
#include "tk_token.h"

#ifndef MT_MODULE_FILE   /* mod_ticket.c declares the module itself */
APLOG_USE_MODULE(ticket);
#endif

/* Our stable log message IDs: "TICKET<nnn>: ", one per call site; the
 * table of them is in README.md. */
#define TKLOG(n) "TICKET" #n ": "

#define MT_HANDLER "ticket"

/* A message logged at most once per `every` per process: whether it is due
 * now (and noted as logged); of threads asking at once, one wins. */
#define MT_LOG_EVERY apr_time_from_sec(10)
static inline int mt_log_due(volatile apr_uint64_t *last)
{
    apr_uint64_t now = (apr_uint64_t)apr_time_now();
    apr_uint64_t seen = apr_atomic_read64(last);

    return now - seen >= (apr_uint64_t)MT_LOG_EVERY
           && apr_atomic_cas64(last, now, seen) == seen;
}

/* ---- configuration (mod_ticket_config.c) ---- */

typedef struct {
    int64_t numbers[TK_CONF__NUMBERS];   /* MT_UNSET until configured */
    int queue_mode;                      /* MT_UNSET or a tk_queue_mode */
    int identity;                        /* MT_UNSET or a tk_identity */
    int prepared_statements;             /* MT_UNSET, 0 (Off) or 1 (On) */
    int64_t sale_start;                  /* apr_time_t, MT_UNSET: none */
    const char *sale_start_text;         /* as configured, for SQL */
    const char *secret_file;
    const unsigned char *secret;
    size_t secret_len;
} mt_server_conf;

#define MT_UNSET (-1)

extern const command_rec mt_directives[];
void *mt_create_server_conf(apr_pool_t *p, server_rec *s);
void *mt_merge_server_conf(apr_pool_t *p, void *base, void *add);

mt_server_conf *mt_server_conf_of(const server_rec *s);
int64_t mt_conf_number(const server_rec *s, tk_conf_number which);
/* The same as statement parameter text, from p. */
const char *mt_conf_param(apr_pool_t *p, const server_rec *s,
                          tk_conf_number which);
tk_queue_mode mt_conf_queue_mode(const server_rec *s);
/* TicketSaleStart as configured (RFC 3339), or NULL: no pre-queue. */
const char *mt_conf_sale_start(const server_rec *s);
/* What the configuration says about admission, for etaSeconds. */
void mt_conf_queue_rules(const server_rec *s, tk_queue_rules *rules);
tk_identity mt_conf_identity(const server_rec *s);
/* TicketPreparedStatements: named statements kept per database session. */
int mt_conf_prepared_statements(const server_rec *s);

/* ---- database (mod_ticket_db.c) ---- */

typedef enum {
    MT_DB_OK = 0,
    MT_DB_DOWN,        /* no connection, or it broke: answer 503 */
    MT_DB_FAILED       /* the statement failed: a bug or a constraint */
} mt_db_rc;

#define MT_DB_REPEATABLE 1   /* safe to run twice: retried once on a fresh connection */

/* One SQL statement, declared next to its use: prepared once per database
 * session under its name (lower case, unique in the module). Parameters
 * and results are text. */
typedef struct {
    const char *name;       /* "tk_hold" */
    const char *sql;
    int nparams;
    int flags;              /* MT_DB_REPEATABLE or 0 */
} mt_statement;

/* Runs a statement on the request's pooled connection. The result lives
 * until r->pool is cleared; NULL and *rc when it failed (logged). */
PGresult *mt_db_run(request_rec *r, const mt_statement *stmt,
                    const char *const *params, mt_db_rc *rc);
/* The same with the result in pool p (a subpool of r->pool). */
PGresult *mt_db_run_in(request_rec *r, apr_pool_t *p, const mt_statement *stmt,
                       const char *const *params, mt_db_rc *rc);
/* The same on a connection of the caller's (the admission job's). */
PGresult *mt_db_run_on(apr_pool_t *p, server_rec *s, ap_dbd_t *dbd,
                       const mt_statement *stmt, const char *const *params,
                       mt_db_rc *rc);
const char *mt_db_text(const PGresult *res, int row, int col);
int64_t mt_db_int64(const PGresult *res, int row, int col);
int mt_db_is_null(const PGresult *res, int row, int col);
void mt_db_report_down(server_rec *s, const char *what, const char *detail);
/* Where a connection goes, for a log line: host, port, database, user
 * (never the password). */
const char *mt_db_target(apr_pool_t *p, ap_dbd_t *dbd);
/* Resolves mod_dbd's functions (post_config, before the children). */
void mt_db_post_config(void);
extern APR_OPTIONAL_FN_TYPE(ap_dbd_open) *mt_dbd_open;
extern APR_OPTIONAL_FN_TYPE(ap_dbd_close) *mt_dbd_close;

/* ---- shared-memory queue snapshot (mod_ticket_snapshot.c) ---- */

apr_status_t mt_snapshot_attach(apr_pool_t *pconf, server_rec *s);
void mt_snapshot_read(tk_queue_view *view);
void mt_snapshot_merge(const tk_queue_view *next);
/* Merges a result's queue view: the columns of the ticket_queue_view
 * type (head, waiting, admitted_last_minute, in_service, advanced_us) in
 * row 0, as "(f.queue).*" or "ticket_queue_view() q" give them. */
void mt_snapshot_merge_result(const PGresult *res);
/* GET /health?db=1's answer, at most a second old, once per host: 1 and
 * *ok when there is one; 0 when the caller is to ask the database and
 * tell mt_snapshot_set_health. */
int mt_snapshot_health(int *ok);
void mt_snapshot_set_health(int ok);
/* The handler marks that this host serves the API: until then (and
 * after a full restart) the admission job stays idle. */
void mt_snapshot_mark_serving(void);
int mt_snapshot_serving(void);
void mt_snapshot_heartbeat(apr_time_t when);
apr_time_t mt_snapshot_last_heartbeat(void);
/* The admission job's turn on this host (its children take turns): 1 when
 * it is due at now (or set further ahead than horizon: a clock that went
 * back) and the caller has it, due again at hold_until unless
 * mt_snapshot_job_next(hold_until, …) moves it after the run. */
int mt_snapshot_job_turn(apr_time_t now, apr_time_t hold_until,
                         apr_interval_time_t horizon);
void mt_snapshot_job_next(apr_time_t held_until, apr_time_t at);
/* The job's next turn at now at the latest: a child's watchdog takes it
 * within a look (a run in progress then runs once more). */
void mt_snapshot_job_wake(apr_time_t now);
/* A failed run at when: the failed runs in a row, this one included. */
apr_uint64_t mt_snapshot_job_failed(apr_time_t when);
/* A run worked: 1 (and *down_since, when the failures began) if runs had
 * failed before it, for the one caller that ends the episode. */
int mt_snapshot_job_recovered(apr_time_t *down_since);

/* ---- reading requests (mod_ticket_request.c) ---- */

/* Indexes the literal <Location> sections that set a handler (post_config). */
void mt_api_roots_index(apr_pool_t *pconf, server_rec *s);
/* Logs, once per process, that the API answers at this root. */
void mt_api_announce(request_rec *r, const char *base);
/* The path of the <Location> whose "SetHandler ticket" applies to the
 * request: the API's root (tk_api_route_under); NULL when the handler came
 * from elsewhere (a regex or wildcard <Location>, AddHandler, .htaccess). */
const char *mt_api_base(request_rec *r);
/* Whether Content-Length already says the body is over TicketMaxBodyBytes. */
int mt_body_too_large(request_rec *r);
/* Reads the body within TicketMaxBodyBytes: OK, or the error to answer. */
int mt_read_body(request_rec *r, const char **buf, apr_size_t *len,
                 tk_error_id *err);
/* The request's JSON body as an object (freed with r->pool): TK_E_NONE,
 * or the error (413, or 400 for anything but a JSON object). */
tk_error_id mt_read_json(request_rec *r, json_object **body);
/* In RemoteUser mode the caller's user name (r->user, when it is one);
 * NULL in Body mode or without one. */
const char *mt_caller(request_rec *r);
/* The request's genuine queue token (Queue-Token, or in Body mode also
 * Authorization), bound to the caller in RemoteUser mode; or 0. */
int mt_request_token(request_rec *r, tk_token *t);
char *mt_token_text(request_rec *r, const tk_token *t);
const char *mt_i64_text(apr_pool_t *p, int64_t v);

/* ---- the token gate (mod_ticket_gate.c) ---- */

typedef enum {
    MT_NEED_NONE = 0,       /* endpoint 1: no token */
    MT_NEED_GENUINE,        /* 2: one this server signed, in any state */
    MT_NEED_LIVE,           /* 7, 8: waiting or in service */
    MT_NEED_SERVICE         /* 3-6, 9: in service */
} mt_token_need;

typedef struct {
    mt_token_need need;
    int replay_first;       /* 9: the statement recognises a replay before
                             * it judges the token (any genuine one) */
    const char *denied;     /* the endpoint's 401 message, or NULL */
} mt_gate_rule;

extern const mt_gate_rule MT_GATE_ENTER, MT_GATE_POLL, MT_GATE_SERVICE,
                          MT_GATE_MONEY, MT_GATE_PAY;

/* The token's state as a statement's own column, joined to what it reads:
 * "SELECT g.status, … FROM " MT_GATE_SQL " LEFT JOIN …". Gated statements
 * take the token as $1 (seq) and $2 (user), the gate's params[0..1]. The
 * planner runs it once, not once per row, because of the OFFSET 0. */
#define MT_GATE_SQL \
    "(SELECT ticket_token_status($1::bigint, $2::bigint) AS status OFFSET 0) g"
#define MT_GATE_PARAMS_MAX 8

typedef struct {
    const mt_gate_rule *rule;
    tk_token token;
    const char *params[MT_GATE_PARAMS_MAX]; /* $1, $2: the token; then the
                                             * endpoint's */
    int done;               /* the handler's return value once answered */
} mt_gate;

/* The order of checks (openapi.yaml) up to the endpoint's statement: body
 * size, the token, the syntax of body and path (input: TK_E_NONE or the
 * error reading them gave), and the userId they name (user; 0 for none)
 * against the token's. The token's state decides before syntax and
 * userId: when those fail, it is read from the database first. 1: go on
 * to the statement; 0: answered (return g->done). */
int mt_gate_pass(request_rec *r, const mt_gate_rule *rule, tk_error_id input,
                 int64_t user, mt_gate *g);
/* After the statement: 1 and answered (g->done) when the token's state
 * (ticket_token_status()'s word) does not pass the rule. */
int mt_gate_refused(request_rec *r, mt_gate *g, const char *status);

/* ---- the lookups' copy (mod_ticket_lookup.c, mod_ticket_lookup_copy.c) ---- */

/* This host's copy of what endpoints 3-5 read, at most TicketLookupCacheMs
 * old: created (or found again after a graceful restart) in post_config
 * unless TicketLookupCacheMs is 0, when every lookup asks the database. */
apr_status_t mt_lookup_attach(server_rec *s);

/* What the copy makes of a service token that passed mt_gate_pass. */
typedef enum {
    MT_LOOKUP_ASK = 0,      /* the copy is off: the endpoint's statement judges */
    MT_LOOKUP_PASS,         /* in service */
    MT_LOOKUP_DONE          /* answered (g->done): refused, or 503 */
} mt_lookup_verdict;

/* The token's state from the copy; when the copy does not know it (or
 * not recently enough), from the database (one statement, which also
 * claims the token), and the copy learns it. */
mt_lookup_verdict mt_lookup_gate(request_rec *r, mt_gate *g);

/* A statement elsewhere that reads a token's state (a poll) teaches the
 * copy: mt_lookup_token_ask before it, mt_lookup_token_answer after it
 * with ticket_token_status()'s word and the microseconds until its
 * service ends, as the database counts them from now(). */
typedef struct {
    int64_t seq, user;
    apr_time_t asked_at;
    uint64_t gen;
} mt_token_ask;
void mt_lookup_token_ask(const tk_token *t, mt_token_ask *a);
void mt_lookup_token_answer(server_rec *s, const mt_token_ask *a,
                            const char *status, const char *ends_in_us);

/* A copy of the catalogue (titles too when dates_of is 0; else the
 * counts of that concert's dates must be known) from r->pool: 1; 0 when
 * the copy cannot answer (the database must; *rc says whether it was
 * found unavailable meanwhile: answer that). */
int mt_lookup_catalogue(request_rec *r, int64_t dates_of, tk_lookup_catalogue *cat,
                        mt_db_rc *rc);

/* A copy of the seat list of a concert's date (yyyymmdd), as above. */
typedef struct {
    int64_t schedule_id;        /* 0: the concert has no schedule that day */
    int64_t starts_at;
    int nseats;
    tk_lookup_seat *seats;      /* its unsold seats, by number */
} mt_seat_copy;
int mt_lookup_seats(request_rec *r, int64_t concert_id, int64_t day,
                    mt_seat_copy *copy, mt_db_rc *rc);

/* This host changed seats of a date (a hold, a payment, a hold's end
 * seen: date is the result's YYYY-MM-DD; the module's role cannot read
 * which concert a ticket is of, so every concert's list of that date
 * goes), or ended a token (a payment): the copy of it is dropped at once. */
void mt_lookup_date_changed(const char *date);
void mt_lookup_token_ended(int64_t seq);

/* ---- replies (mod_ticket_reply.c) ---- */

/* Puts obj when p is cleared. */
void mt_json_owned_by(apr_pool_t *p, json_object *obj);
int mt_reply_json(request_rec *r, int status, json_object *body);
int mt_reply_error(request_rec *r, tk_error_id id);
/* The same with the endpoint's own message (the 401s of endpoints 7-9). */
int mt_reply_error_msg(request_rec *r, tk_error_id id, const char *message);
int mt_reply_db_error(request_rec *r, mt_db_rc rc);

/* What a result word of the sql/ functions means when it is not success. */
typedef struct {
    const char *result;             /* "seat_taken"; NULL ends a list */
    tk_error_id error;
} mt_outcome;
/* Answers the error a function's result names: "token_<status>" (judged
 * by the gate) or one of outcomes. 1 when answered (g->done), 0 when the
 * result is none of them (success). */
int mt_reply_outcome(request_rec *r, mt_gate *g, const char *result,
                     const mt_outcome *outcomes);

/* A reply member read from a result column. */
typedef enum { MT_INT, MT_TEXT, MT_BOOL, MT_FIXED } mt_field_type;
typedef struct {
    const char *key;        /* JSON member; NULL ends a list */
    const char *column;     /* result column (MT_FIXED: the text itself) */
    mt_field_type type;
} mt_field;

/* Adds the fields of one result row to obj (a new object when NULL). */
json_object *mt_json_row(json_object *obj, const PGresult *res, int row,
                         const mt_field *fields);
/* An array of the rows whose column `present` is not NULL (outer joins
 * give one row of NULLs for none). */
json_object *mt_json_rows(const PGresult *res, const char *present,
                          const mt_field *fields);
/* An array of a column's values that are not NULL, as strings. */
json_object *mt_json_texts(const PGresult *res, const char *column);
/* Whether the result's column is NULL in row 0, or 't'; its text. */
int mt_result_null(const PGresult *res, const char *column);
int mt_result_true(const PGresult *res, const char *column);
const char *mt_result_text(const PGresult *res, const char *column);
json_object *mt_json_i64(int64_t v);

/* ---- resources (one file each) ---- */

typedef int mt_resource_fn(request_rec *r, const tk_route_match *m);
mt_resource_fn mt_queues_enter;
mt_resource_fn mt_queues_poll;
mt_resource_fn mt_health;
mt_resource_fn mt_concerts_list;
mt_resource_fn mt_concerts_dates;
mt_resource_fn mt_concerts_seats;
mt_resource_fn mt_holds_create;
mt_resource_fn mt_payments_charge;
mt_resource_fn mt_payments_history;
mt_resource_fn mt_payments_pay;

/* ---- admission job (mod_ticket_admission.c) ---- */

/* Checks what the job needs (mod_watchdog); NULL or the error. */
const char *mt_admission_check(void);
int mt_admission_post_config(apr_pool_t *pconf, server_rec *s);
int mt_admission_monitor(apr_pool_t *p, server_rec *s);
/* Admits on the request's connection once its answer is sent (a payment
 * freed a slot): the payer does not wait for the queue's lock. */
void mt_admission_after_response(request_rec *r);

/* ---- identity (mod_ticket_identity.c) ---- */

/* Logs, once at start, where the caller comes from in Body mode. */
void mt_identity_post_config(server_rec *s);
/* JSON bodies for Apache's own 401 and 403 where the API is served. */
void mt_identity_register_hooks(void);

/* ---- metrics (mod_ticket_metrics.c), server-status (mod_ticket_status.c) ---- */

#define MT_METRICS_HANDLER "ticket-metrics"

/* The counters' shared memory, kept across graceful restarts. */
apr_status_t mt_metrics_attach(server_rec *s);
/* A request's endpoint once routed (a tk_api_route; unrouted ones count
 * as "other"), and the error it answered (mt_reply_error_msg). */
void mt_metrics_note_endpoint(request_rec *r, int endpoint);
void mt_metrics_note_error(request_rec *r, tk_error_id error);
/* Admissions that ticket_admit() made from this host. */
void mt_metrics_admitted(int64_t n);
/* A statement reached the database (1), or found it unavailable (0:
 * counted); mt_metrics_database_up tells the last (0 before any). */
void mt_metrics_database_seen(int up);
int mt_metrics_database_up(void);
/* "open", "paused", "closed" or "prequeue" (tk_metrics_queue_states). */
const char *mt_queue_state_name(server_rec *s);
/* The queue's facts as operators read them (tk_metrics.h). */
void mt_metrics_gauges(server_rec *s, tk_metrics_gauges *g);
int mt_metrics_log_transaction(request_rec *r);
int mt_metrics_handler(request_rec *r);
int mt_status_hook(request_rec *r, int flags);

/* ---- handler (mod_ticket_handler.c) and module (mod_ticket.c) ---- */

int mt_handler(request_rec *r);
/* Whether this generation's post_config set the module up (snapshot,
 * admission job); the handler refuses to serve until it has. */
int mt_module_ready(void);

#endif
