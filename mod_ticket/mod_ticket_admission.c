/* mod_ticket_admission.c: the admission job and its supervision.
 *
 * Every TicketAdvanceInterval the job admits the oldest waiting tokens up
 * to TicketCapacity, within the operator's controls (ticket_admit() in
 * sql/ does it in one transaction, serialised across hosts by an advisory
 * lock) and refreshes this host's snapshot. Every child process runs a
 * watchdog thread that takes this host's turn when it is due (a lease in
 * shared memory), so a child that dies, is retired or is replaced by a
 * graceful restart leaves the job to its siblings within an interval
 * (mod_watchdog's singleton would sleep 10 s on such a handover). While
 * the database is down the turns back off, up to JOB_BACKOFF_MAX. The
 * monitor hook runs in the parent, which has no mod_dbd connection, so it
 * only watches the job's heartbeat (written on success) and warns when it
 * goes stale. */
#include <apr_atomic.h>
#include <apr_optional.h>
#include <apr_strings.h>
#include <mod_watchdog.h>
#include "mod_ticket_private.h"

#define WATCHDOG_NAME "_ticket_admission_"

#define ADMIT_PARAMS 7

static const mt_statement ADMIT = {"tk_admit",
    "SELECT a.admitted, (a.queue).*"
    "  FROM ticket_admit($1::integer, $2::integer, $3::boolean, $4::integer,"
    "                    $5::integer, $6::integer, $7::timestamptz) a",
    ADMIT_PARAMS, MT_DB_REPEATABLE};

/* This host's settings: every run passes them, so a graceful restart
 * that changes one takes effect at the next run, and nothing else moves */
static void admit_params(apr_pool_t *p, server_rec *s, const char **params)
{
    params[0] = mt_conf_param(p, s, TK_CONF_CAPACITY);
    params[1] = mt_conf_param(p, s, TK_CONF_SERVICE_TTL);
    params[2] = mt_conf_queue_mode(s) == TK_QUEUE_PAUSED ? "true" : "false";
    params[3] = mt_conf_param(p, s, TK_CONF_ADMIT_RATE);
    params[4] = mt_conf_param(p, s, TK_CONF_ADVANCE_INTERVAL);
    params[5] = mt_conf_param(p, s, TK_CONF_CLAIM_TIMEOUT);
    params[6] = mt_conf_sale_start(s);      /* NULL: no pre-queue */
}

/* The run before this one had other controls: another host (or this one
 * before a graceful restart) is configured otherwise, and admission
 * follows whichever runs. Logged at most every 10 s per process. */
static void report_other_controls(server_rec *s, const PGresult *res)
{
    static volatile apr_uint64_t last;
    const char *other = mt_result_text(res, "other_controls");
    apr_pool_t *p;
    const char *params[ADMIT_PARAMS];

    if (!other || !mt_log_due(&last)) {
        return;
    }
    apr_pool_create(&p, NULL);
    admit_params(p, s, params);
    ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s,
                 TKLOG(028) "admission runs of this database disagree: this "
                 "host runs with TicketCapacity %s, TicketAdmitRate %s, "
                 "TicketClaimTimeout %s, TicketQueue %s, TicketSaleStart %s; "
                 "the run before had %s (every host of one database needs "
                 "the same; a rolling restart shows this for a moment)",
                 params[0], params[3], params[5],
                 tk_queue_mode_name(mt_conf_queue_mode(s)),
                 params[6] ? params[6] : "unset", other);
    apr_pool_destroy(p);
}

/* Refreshes this host's snapshot from ticket_admit()'s answer. */
static void apply_admission(server_rec *s, const PGresult *res)
{
    mt_snapshot_merge_result(res);
    report_other_controls(s, res);
    mt_metrics_admitted(mt_db_int64(res, 0, PQfnumber(res, "admitted")));
    ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, s,
                 TKLOG(020) "admitted %s; head %s, waiting %s, in service %s",
                 mt_result_text(res, "admitted"), mt_result_text(res, "head"),
                 mt_result_text(res, "waiting"),
                 mt_result_text(res, "in_service"));
}

/* One run of the job, on a connection of its own: MT_DB_OK, or why not. */
static mt_db_rc admit_once(server_rec *s, apr_pool_t *p)
{
    const char *params[ADMIT_PARAMS];
    PGresult *res;
    ap_dbd_t *dbd;
    mt_db_rc rc;

    if (!mt_dbd_open || !(dbd = mt_dbd_open(p, s))) {
        mt_metrics_database_seen(0);
        return MT_DB_DOWN;
    }
    admit_params(p, s, params);
    res = mt_db_run_on(p, s, dbd, &ADMIT, params, &rc);
    if (res) {
        static int told;
        if (!told) {            /* once per process: where the sale is */
            told = 1;
            ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s,
                         TKLOG(007) "the admission job runs on %s",
                         mt_db_target(p, dbd));
        }
        apply_admission(s, res);
    }
    mt_dbd_close(s, dbd);
    return rc;
}

/* How often each child looks whether the job's turn is due: mod_watchdog's
 * own time slice. */
#define JOB_LOOK apr_time_from_msec(100)

/* The wait before the next try after `failures` failed runs in a row:
 * the interval, doubled per failure, at most JOB_BACKOFF_MAX (or the
 * interval, if longer). mod_dbd logs each failed connection attempt. */
#define JOB_BACKOFF_MAX apr_time_from_sec(5)

static apr_interval_time_t backoff(apr_interval_time_t interval, apr_uint64_t failures)
{
    apr_interval_time_t wait = interval;

    while (--failures > 0 && wait < JOB_BACKOFF_MAX) {
        wait *= 2;
    }
    return wait < JOB_BACKOFF_MAX ? wait
           : (interval > JOB_BACKOFF_MAX ? interval : JOB_BACKOFF_MAX);
}

/* After a run: the heartbeat and the next turn, and one line when the
 * database went away for the job and one when it is back. */
static void job_done(server_rec *s, mt_db_rc rc, apr_time_t started,
                     apr_time_t held_until, apr_interval_time_t interval)
{
    apr_time_t down_since;
    apr_uint64_t failures;

    if (rc == MT_DB_OK) {
        mt_snapshot_heartbeat(apr_time_now());
        /* half a look early: the look a few ms ahead of its time runs */
        mt_snapshot_job_next(held_until, started + interval - JOB_LOOK / 2);
        if (mt_snapshot_job_recovered(&down_since)) {
            ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s,
                         TKLOG(026) "the admission job reaches the database "
                         "again (after %" APR_TIME_T_FMT " s)",
                         apr_time_sec(apr_time_now() - down_since));
        }
        return;
    }
    failures = mt_snapshot_job_failed(started);
    mt_snapshot_job_next(held_until, apr_time_now() + backoff(interval, failures));
    if (failures == 1) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s,
                     TKLOG(025) "the admission job %s; nobody is admitted "
                     "until it can (retrying every %" APR_TIME_T_FMT
                     " s at most)", rc == MT_DB_DOWN
                     ? "cannot reach the database"
                     : "fails (its statement's error is logged as TICKET011 "
                       "or TICKET027)",
                     apr_time_sec(backoff(interval, 64)));
    }
}

/* A payment that freed a slot asks for an admission run once its own
 * answer is on its way: its request pool is destroyed after the response
 * was handed to the network (the EOR bucket), and a pre-cleanup of that
 * pool runs it on the request's connection, which is released after. So
 * the payer never waits for the queue's lock, and the next user is
 * admitted within milliseconds, not at the job's next turn.
 *
 * Payments that free slots at the same moment share admissions: one
 * request of the process runs them, again while more were asked for
 * meanwhile (at most ADMIT_RUNS_PER_REQUEST times, so that its worker is
 * not held up by a stream of payments). Asked for once more after its
 * last run, it hands over: to the next payment, or (the last of a burst)
 * to the job, woken for a turn within a look instead of its next
 * interval. Every freed slot is seen by an admission that started after
 * its payment committed, and concurrent payments do not each queue an
 * admission behind the database lock. */
#define ADMIT_RUNS_PER_REQUEST 4

static volatile apr_uint32_t admitting, admission_asked;

static apr_status_t admit_after_response(void *data)
{
    request_rec *r = data;
    const char *params[ADMIT_PARAMS];
    apr_pool_t *p;
    PGresult *res;
    mt_db_rc rc;
    int runs = 0;

    apr_atomic_set32(&admission_asked, 1);
    if (apr_atomic_cas32(&admitting, 1, 0) != 0) {
        return APR_SUCCESS;     /* the running one will see the request */
    }
    apr_pool_create(&p, r->pool);
    do {
        while (runs < ADMIT_RUNS_PER_REQUEST
               && apr_atomic_xchg32(&admission_asked, 0)) {
            ++runs;
            admit_params(p, r->server, params);
            res = mt_db_run_in(r, p, &ADMIT, params, &rc);
            if (res) {
                apply_admission(r->server, res);
            }   /* else: the job admits at its next tick */
            apr_pool_clear(p);
        }
        apr_atomic_set32(&admitting, 0);
        /* asked after our last run, and nobody took over: run again */
    } while (runs < ADMIT_RUNS_PER_REQUEST && apr_atomic_read32(&admission_asked)
             && apr_atomic_cas32(&admitting, 1, 0) == 0);
    if (apr_atomic_read32(&admission_asked) && !apr_atomic_read32(&admitting)) {
        mt_snapshot_job_wake(apr_time_now());
    }
    apr_pool_destroy(p);
    return APR_SUCCESS;
}

void mt_admission_after_response(request_rec *r)
{
    apr_pool_pre_cleanup_register(r->pool, r, admit_after_response);
}

static apr_status_t admission_tick(int state, void *data, apr_pool_t *ptemp)
{
    server_rec *s = data;
    apr_interval_time_t interval = apr_time_from_sec(
        mt_conf_number(s, TK_CONF_ADVANCE_INTERVAL));
    apr_time_t now = apr_time_now(), hold = now + interval;

    /* STARTING may come before mod_dbd's child_init made the pool; until
     * the handler has served a request, the host does not serve the API
     * (the database may not even be configured yet). A child that takes
     * the turn and dies holds it for one interval at most; a turn due
     * further ahead than any we set (the clock stepped back, a shorter
     * interval after a restart) is taken as due. */
    if (state == AP_WATCHDOG_STATE_RUNNING && mt_snapshot_serving()
        && mt_snapshot_job_turn(now, hold, (interval > JOB_BACKOFF_MAX
                                            ? interval : JOB_BACKOFF_MAX) + JOB_LOOK)) {
        job_done(s, admit_once(s, ptemp), now, hold, interval);
    }
    return APR_SUCCESS;     /* anything else would stop the job for good */
}

const char *mt_admission_check(void)
{
    return APR_RETRIEVE_OPTIONAL_FN(ap_watchdog_get_instance)
           && APR_RETRIEVE_OPTIONAL_FN(ap_watchdog_register_callback)
           ? NULL : "mod_watchdog is required for the admission job "
                    "(LoadModule watchdog_module, if not built in)";
}

/* When this generation's post_config ran (in the parent). */
static apr_time_t generation_started;

/* A claim timeout that polls cannot keep: an admitted token is seen by
 * another host an interval later, and polls come at least a second
 * apart, so a shorter one can end the slot of a user who polls as told. */
static void check_claim_timeout(server_rec *s)
{
    int64_t claim = mt_conf_number(s, TK_CONF_CLAIM_TIMEOUT);
    int64_t least = 2 * mt_conf_number(s, TK_CONF_ADVANCE_INTERVAL) + 2;

    if (claim > 0 && claim < least) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s,
                     TKLOG(029) "TicketClaimTimeout %" APR_INT64_T_FMT " s is "
                     "shorter than 2 x TicketAdvanceInterval + 2 s (%"
                     APR_INT64_T_FMT " s): users who poll as told may lose "
                     "their slot", (apr_int64_t)claim, (apr_int64_t)least);
    }
}

int mt_admission_post_config(apr_pool_t *pconf, server_rec *s)
{
    APR_OPTIONAL_FN_TYPE(ap_watchdog_get_instance) *get_instance;
    APR_OPTIONAL_FN_TYPE(ap_watchdog_register_callback) *register_callback;
    ap_watchdog_t *wd;
    apr_status_t rv;

    generation_started = apr_time_now();
    check_claim_timeout(s);
    get_instance = APR_RETRIEVE_OPTIONAL_FN(ap_watchdog_get_instance);
    register_callback = APR_RETRIEVE_OPTIONAL_FN(ap_watchdog_register_callback);
    /* not a singleton: one in every child, taking turns (see above) */
    rv = get_instance(&wd, WATCHDOG_NAME, 0, 0, pconf);
    if (rv == APR_SUCCESS) {
        /* each child looks for the turn every JOB_LOOK (one atomic read):
         * a new child (a graceful restart) takes it at once, and one left
         * by a child that died within an interval and a look */
        rv = register_callback(wd, JOB_LOOK, s, admission_tick);
    }
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s,
                     TKLOG(022) "cannot start the admission job");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    return OK;
}

/* Parent side, about every 10 s: warn once per episode when the job has
 * not run for a while (children stuck, watchdog mutex trouble). */
int mt_admission_monitor(apr_pool_t *p, server_rec *s)
{
    static int warned;
    apr_time_t beat = mt_snapshot_last_heartbeat();
    apr_interval_time_t limit = apr_time_from_sec(
        3 * mt_conf_number(s, TK_CONF_ADVANCE_INTERVAL) + 30);

    (void)p;
    if (!mt_snapshot_serving()) {
        return DECLINED;    /* idle: the API has answered nothing yet */
    }
    /* a job that has not run in this generation yet counts from its start */
    if (beat < generation_started) {
        beat = generation_started;
    }
    if (apr_time_now() - beat > limit) {
        if (!warned) {
            ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s,
                         TKLOG(023) "the admission job last ran %" APR_TIME_T_FMT
                         " s ago; waiting users are not being admitted",
                         apr_time_sec(apr_time_now() - beat));
            warned = 1;
        }
    }
    else if (warned) {
        ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s,
                     TKLOG(024) "the admission job runs again");
        warned = 0;
    }
    return DECLINED;
}
