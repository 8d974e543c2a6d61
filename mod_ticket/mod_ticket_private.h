/* mod_ticket_private.h: what the httpd glue files share. The core (tk_*)
 * never includes this. */
#ifndef MOD_TICKET_PRIVATE_H
#define MOD_TICKET_PRIVATE_H

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

/* ---- configuration (mod_ticket_config.c) ---- */

typedef struct {
    int64_t numbers[TK_CONF__NUMBERS];   /* MT_UNSET until configured */
    int queue_open;                      /* MT_UNSET, 0 or 1 */
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
int mt_conf_queue_open(const server_rec *s);

/* ---- shared-memory queue snapshot (mod_ticket_snapshot.c) ---- */

apr_status_t mt_snapshot_attach(apr_pool_t *pconf, server_rec *s);
void mt_snapshot_read(tk_queue_view *view);
void mt_snapshot_merge(const tk_queue_view *next);
void mt_snapshot_heartbeat(apr_time_t when);
apr_time_t mt_snapshot_last_heartbeat(void);

/* ---- database (mod_ticket_db.c) ---- */

typedef enum {
    MT_DB_OK = 0,
    MT_DB_DOWN,        /* no connection, or it broke: answer 503 */
    MT_DB_FAILED       /* the statement failed: a bug or a constraint */
} mt_db_rc;

#define MT_DB_REPEATABLE 1   /* safe to run twice: retried once on a fresh connection */

/* Runs one statement (text parameters, text results) on the request's
 * pooled connection. The result lives until r->pool is cleared. */
PGresult *mt_db_exec(request_rec *r, int flags, const char *sql, int nparams,
                     const char *const *params, mt_db_rc *rc);
/* The same with the result in pool p (a subpool of r->pool). */
PGresult *mt_db_exec_in(request_rec *r, apr_pool_t *p, int flags,
                        const char *sql, int nparams,
                        const char *const *params, mt_db_rc *rc);
/* The same on a connection of the caller's (the admission job's). */
PGresult *mt_db_exec_on(apr_pool_t *p, server_rec *s, ap_dbd_t *dbd, int flags,
                        const char *sql, int nparams,
                        const char *const *params, mt_db_rc *rc);
const char *mt_db_text(const PGresult *res, int row, int col);
int64_t mt_db_int64(const PGresult *res, int row, int col);
int mt_db_is_null(const PGresult *res, int row, int col);
void mt_db_report_down(server_rec *s, const char *what, const char *detail);
void mt_db_child_init(apr_pool_t *p);

/* ---- requests and replies (mod_ticket_request.c) ---- */

int mt_reply_json(request_rec *r, int status, json_object *body);
int mt_reply_error(request_rec *r, tk_error_id id);
/* The same with the endpoint's own message (the 401s of endpoints 7-9). */
int mt_reply_error_msg(request_rec *r, tk_error_id id, const char *message);
int mt_reply_db_error(request_rec *r, mt_db_rc rc);
/* Whether Content-Length already says the body is over TicketMaxBodyBytes. */
int mt_body_too_large(request_rec *r);
/* What a result text of the sql/ functions means when it is not success. */
typedef struct {
    const char *result;             /* "seat_taken"; NULL ends a list */
    tk_error_id error;
} mt_outcome;
/* Answers the error a function's result names: "token_<status>" (the
 * gate's, with the endpoint's 401 message denied, NULL for the default)
 * or one of outcomes; *done is the handler's return value then. 0 when
 * the result is none of them (success). */
int mt_reply_outcome(request_rec *r, const char *result,
                     const mt_outcome *outcomes, const char *denied, int *done);
/* Reads the body within TicketMaxBodyBytes: OK, or the error to answer. */
int mt_read_body(request_rec *r, const char **buf, apr_size_t *len,
                 tk_error_id *err);
/* The request's genuine queue token, or 0. */
int mt_request_token(request_rec *r, tk_token *t);
char *mt_token_text(request_rec *r, const tk_token *t);
json_object *mt_json_i64(int64_t v);

/* ---- service-token gate (mod_ticket_gate.c) ---- */

/* Checks the token's signature and the snapshot: 1 with params[0..1] set
 * (seq, user, for the endpoint's statement), or 0 and *err. */
int mt_gate_open(request_rec *r, tk_token *t, const char **params,
                 tk_error_id *err);
/* 1 and *err when ticket_token_status() said anything but 'service'. */
int mt_gate_error(const char *status, tk_error_id *err);
/* The gate's lookup on its own (for answers decided before the endpoint's
 * statement, e.g. malformed input): 1 and *err unless in service. */
int mt_gate_alone(request_rec *r, const char **params, tk_error_id *err);

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

int mt_admission_post_config(apr_pool_t *pconf, server_rec *s);
int mt_admission_monitor(apr_pool_t *p, server_rec *s);
/* Admits at once on the request's connection (a payment freed a slot). */
void mt_admission_now(request_rec *r);

/* ---- handler (mod_ticket_handler.c) and module (mod_ticket.c) ---- */

int mt_handler(request_rec *r);
/* uri relative to the longest <Location> that serves the API. */
const char *mt_api_path(const char *uri);

#endif
