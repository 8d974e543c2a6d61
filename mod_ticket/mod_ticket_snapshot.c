/* mod_ticket_snapshot.c: this host's copy of the queue_state row, in
 * shared memory, so that a waiting poll needs no database.
 *
 * Writers are the admission job and any request that read queue_state
 * (entry, a poll that went to the database). Every field is a 64-bit
 * atomic: head only ever grows (compare-and-swap), the counters take the
 * newest refresh. A reader may see head and counters from two refreshes;
 * both are true of the recent past, which is all a poll promises. The
 * lists (gaps: numbers that never were entries; the earliest expiry
 * times; the pre-queue's shuffle) are read whole or not at all: a sequence lock (odd while
 * written), so that a poll never subtracts a gap twice or half; a reader
 * that cannot get a whole copy uses none (positions then count the gap's
 * numbers, as before it was known; etaSeconds lacks the expiry bound). The
 * segment is kept across graceful restarts (retained data, process pool),
 * so a restart never sends positions back. */
#include <apr_atomic.h>
#include <apr_shm.h>
#include <apr_thread_proc.h>
#include "mod_ticket_private.h"

#define LIST_READ_TRIES 100

typedef struct {
    volatile apr_uint64_t head;
    volatile apr_uint64_t waiting;
    volatile apr_uint64_t newest;       /* the highest number seen drawn */
    volatile apr_uint64_t admitted_last_minute;
    volatile apr_uint64_t in_service;
    volatile apr_uint64_t refreshed_at;
    volatile apr_uint64_t heartbeat;
    volatile apr_uint64_t serving;      /* the handler has run: 1 */
    volatile apr_uint64_t health_at;    /* when readiness was last asked */
    volatile apr_uint64_t health_ok;    /* and its answer: 1 ready */
    volatile apr_uint64_t early_ends;
    volatile apr_uint64_t job_next_at;  /* the admission job's next turn */
    volatile apr_uint64_t job_failures; /* its failed runs in a row */
    volatile apr_uint64_t job_down_since; /* the first of them */
    volatile apr_uint64_t lists_version; /* odd while the lists are written */
    volatile apr_uint64_t ngaps;
    volatile apr_uint64_t gaps[TK_QUEUE_MAX_GAPS][2];
    volatile apr_uint64_t nexpiries;
    volatile apr_uint64_t expiries[TK_QUEUE_MAX_EXPIRIES][2];
    /* the pre-queue's shuffle: start, base, size, done; the key */
    volatile apr_uint64_t shuffle[4];
    volatile apr_uint64_t shuffle_key[TK_SHUFFLE_KEY_BYTES / 8];
} mt_shared;

typedef struct {
    apr_shm_t *shm;
} mt_retained;

static mt_shared *shared;

apr_status_t mt_snapshot_attach(apr_pool_t *pconf, server_rec *s)
{
    const char *key = "mod_ticket.snapshot";
    mt_retained *kept = ap_retained_data_get(key);
    apr_status_t rv;

    (void)pconf;
    if (!kept) {
        kept = ap_retained_data_create(key, sizeof(*kept));
    }
    /* a module of another layout (an upgrade, then a graceful restart)
     * starts afresh */
    if (!kept->shm || apr_shm_size_get(kept->shm) != sizeof(mt_shared)) {
        /* anonymous: inherited by every child forked from now on */
        rv = apr_shm_create(&kept->shm, sizeof(mt_shared), NULL,
                            s->process->pool);
        if (rv != APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_EMERG, rv, s,
                         TKLOG(001) "cannot create the queue snapshot's "
                         "shared memory (%" APR_SIZE_T_FMT " bytes)",
                         sizeof(mt_shared));
            kept->shm = NULL;
            return rv;
        }
        memset(apr_shm_baseaddr_get(kept->shm), 0, sizeof(mt_shared));
    }
    shared = apr_shm_baseaddr_get(kept->shm);
    return APR_SUCCESS;
}

/* n pairs from shared memory (n at most max). */
static int read_pairs(volatile apr_uint64_t (*from)[2], apr_uint64_t n,
                      int64_t (*to)[2], int max)
{
    int i, count = n < (apr_uint64_t)max ? (int)n : max;

    for (i = 0; i < count; ++i) {
        to[i][0] = (int64_t)apr_atomic_read64(&from[i][0]);
        to[i][1] = (int64_t)apr_atomic_read64(&from[i][1]);
    }
    return count;
}

static void read_shuffle(tk_queue_view *view)
{
    apr_uint64_t word;
    int i, b;

    view->shuffle_start = (int64_t)apr_atomic_read64(&shared->shuffle[0]);
    view->shuffle_base = (int64_t)apr_atomic_read64(&shared->shuffle[1]);
    view->shuffle_size = (int64_t)apr_atomic_read64(&shared->shuffle[2]);
    view->shuffle_done = (int64_t)apr_atomic_read64(&shared->shuffle[3]);
    for (i = 0; i < TK_SHUFFLE_KEY_BYTES / 8; ++i) {
        word = apr_atomic_read64(&shared->shuffle_key[i]);
        for (b = 0; b < 8; ++b) {
            view->shuffle_key[i * 8 + b] = (unsigned char)(word >> (56 - 8 * b));
        }
    }
}

static void write_shuffle(const tk_queue_view *next)
{
    apr_uint64_t word;
    int i, b;

    apr_atomic_set64(&shared->shuffle[0], (apr_uint64_t)next->shuffle_start);
    apr_atomic_set64(&shared->shuffle[1], (apr_uint64_t)next->shuffle_base);
    apr_atomic_set64(&shared->shuffle[2], (apr_uint64_t)next->shuffle_size);
    apr_atomic_set64(&shared->shuffle[3], (apr_uint64_t)next->shuffle_done);
    for (i = 0; i < TK_SHUFFLE_KEY_BYTES / 8; ++i) {
        for (word = 0, b = 0; b < 8; ++b) {
            word = word << 8 | next->shuffle_key[i * 8 + b];
        }
        apr_atomic_set64(&shared->shuffle_key[i], word);
    }
}

static int same_shuffle(const tk_queue_view *a, const tk_queue_view *b)
{
    return a->shuffle_start == b->shuffle_start && a->shuffle_base == b->shuffle_base
           && a->shuffle_size == b->shuffle_size && a->shuffle_done == b->shuffle_done
           && memcmp(a->shuffle_key, b->shuffle_key, TK_SHUFFLE_KEY_BYTES) == 0;
}

static void read_lists(tk_queue_view *view)
{
    apr_uint64_t v;
    int tries;

    for (tries = 0; tries < LIST_READ_TRIES; ++tries) {
        if ((v = apr_atomic_read64(&shared->lists_version)) & 1) {
            apr_thread_yield();
            continue;
        }
        view->ngaps = read_pairs(shared->gaps, apr_atomic_read64(&shared->ngaps),
                                 view->gaps, TK_QUEUE_MAX_GAPS);
        view->nexpiries = read_pairs(shared->expiries,
                                     apr_atomic_read64(&shared->nexpiries),
                                     view->expiries, TK_QUEUE_MAX_EXPIRIES);
        read_shuffle(view);
        if (apr_atomic_read64(&shared->lists_version) == v) {
            return;
        }
    }
    view->ngaps = view->nexpiries = 0;
    view->shuffle_size = 0;
}

/* Takes the lists' lock: the odd version it set. The same odd version for
 * a second belongs to a writer that died (a child killed while writing):
 * taken over (a live one releases only its own version, see write_gaps). */
static apr_uint64_t lock_lists(void)
{
    apr_time_t since = 0;
    apr_uint64_t seen, held = 0;

    for (;;) {
        seen = apr_atomic_read64(&shared->lists_version);
        if (!(seen & 1)) {
            if (apr_atomic_cas64(&shared->lists_version, seen + 1, seen) == seen) {
                return seen + 1;
            }
        }
        else if (seen != held) {
            held = seen;                    /* another holder: wait anew */
            since = apr_time_now();
        }
        else if (apr_time_now() - since > apr_time_from_sec(1)
                 && apr_atomic_cas64(&shared->lists_version, seen + 2, seen) == seen) {
            return seen + 2;
        }
        apr_thread_yield();
    }
}

static int same_pairs(int n, int64_t (*a)[2], int m, const int64_t (*b)[2])
{
    int i;

    if (n != m) {
        return 0;
    }
    for (i = 0; i < n; ++i) {
        if (a[i][0] != b[i][0] || a[i][1] != b[i][1]) {
            return 0;
        }
    }
    return 1;
}

static void write_pairs(volatile apr_uint64_t *count,
                        volatile apr_uint64_t (*to)[2],
                        const int64_t (*from)[2], int n)
{
    int i;

    apr_atomic_set64(count, (apr_uint64_t)n);
    for (i = 0; i < n; ++i) {
        apr_atomic_set64(&to[i][0], (apr_uint64_t)from[i][0]);
        apr_atomic_set64(&to[i][1], (apr_uint64_t)from[i][1]);
    }
}

static void write_lists(const tk_queue_view *next)
{
    tk_queue_view now;
    apr_uint64_t version;
    int ngaps = next->ngaps < TK_QUEUE_MAX_GAPS ? next->ngaps : TK_QUEUE_MAX_GAPS;
    int nexp = next->nexpiries < TK_QUEUE_MAX_EXPIRIES ? next->nexpiries
                                                       : TK_QUEUE_MAX_EXPIRIES;

    read_lists(&now);
    if (same_pairs(now.ngaps, now.gaps, ngaps, next->gaps)
        && same_pairs(now.nexpiries, now.expiries, nexp, next->expiries)
        && same_shuffle(&now, next)) {
        return;                 /* most refreshes: readers are not disturbed */
    }
    version = lock_lists();
    write_pairs(&shared->ngaps, shared->gaps, next->gaps, ngaps);
    write_pairs(&shared->nexpiries, shared->expiries, next->expiries, nexp);
    write_shuffle(next);
    /* only if nobody took the lock over meanwhile (then theirs stands) */
    apr_atomic_cas64(&shared->lists_version, version + 1, version);
}

void mt_snapshot_read(tk_queue_view *view)
{
    if (!shared) {
        memset(view, 0, sizeof(*view));
        return;
    }
    view->head = (int64_t)apr_atomic_read64(&shared->head);
    view->waiting = (int64_t)apr_atomic_read64(&shared->waiting);
    view->newest = (int64_t)apr_atomic_read64(&shared->newest);
    view->admitted_last_minute =
        (int64_t)apr_atomic_read64(&shared->admitted_last_minute);
    view->in_service = (int64_t)apr_atomic_read64(&shared->in_service);
    view->refreshed_at = (int64_t)apr_atomic_read64(&shared->refreshed_at);
    view->early_ends_last_minute = (int64_t)apr_atomic_read64(&shared->early_ends);
    read_lists(view);
}

/* *field becomes value if that is larger (whoever saw the larger one). */
static void raise_to(volatile apr_uint64_t *field, int64_t value)
{
    apr_uint64_t seen = apr_atomic_read64(field);

    while ((apr_uint64_t)value > seen) {
        apr_uint64_t was = apr_atomic_cas64(field, (apr_uint64_t)value, seen);
        if (was == seen) {
            break;
        }
        seen = was;
    }
}

void mt_snapshot_merge(const tk_queue_view *next)
{
    if (!shared) {
        return;
    }
    /* head and the newest number: the largest value anyone has seen */
    raise_to(&shared->head, next->head);
    raise_to(&shared->newest, next->newest);
    if ((apr_uint64_t)next->refreshed_at >= apr_atomic_read64(&shared->refreshed_at)) {
        apr_atomic_set64(&shared->waiting, (apr_uint64_t)next->waiting);
        apr_atomic_set64(&shared->admitted_last_minute,
                         (apr_uint64_t)next->admitted_last_minute);
        apr_atomic_set64(&shared->in_service, (apr_uint64_t)next->in_service);
        apr_atomic_set64(&shared->early_ends,
                         (apr_uint64_t)next->early_ends_last_minute);
        apr_atomic_set64(&shared->refreshed_at, (apr_uint64_t)next->refreshed_at);
        write_lists(next);
    }
}

/* One queue-view column of row 0, by name, into *field; a column the
 * statement lacks (a session that prepared it before a migration added
 * the column) leaves the field as it was. */
static void take_column(const PGresult *res, const char *column, int64_t *field)
{
    int col = PQfnumber(res, column);

    if (col >= 0) {
        *field = mt_db_int64(res, 0, col);
    }
}

static void take_shuffle(const PGresult *res, tk_queue_view *view)
{
    tk_queue_view read = *view;

    if (PQfnumber(res, "shuffle_key") < 0) {
        return;
    }
    take_column(res, "shuffle_start_us", &read.shuffle_start);
    take_column(res, "shuffle_base", &read.shuffle_base);
    take_column(res, "shuffle_size", &read.shuffle_size);
    take_column(res, "shuffle_done", &read.shuffle_done);
    if (read.shuffle_size > 0
        && tk_shuffle_key_from_hex(mt_result_text(res, "shuffle_key"),
                                   read.shuffle_key) != 0) {
        return;         /* unreadable: the snapshot's stays */
    }
    *view = read;
}

void mt_snapshot_merge_result(const PGresult *res)
{
    tk_queue_view view;

    mt_snapshot_read(&view);    /* what the result lacks stays as it is */
    take_column(res, "head", &view.head);
    take_column(res, "waiting", &view.waiting);
    take_column(res, "token_seq", &view.newest);    /* an entry's */
    take_column(res, "admitted_last_minute", &view.admitted_last_minute);
    take_column(res, "in_service", &view.in_service);
    take_column(res, "advanced_us", &view.refreshed_at);
    take_column(res, "early_ends_last_minute", &view.early_ends_last_minute);
    if (PQfnumber(res, "gaps") >= 0) {
        tk_queue_read_gaps(mt_result_text(res, "gaps"), &view);
    }
    if (PQfnumber(res, "expiries") >= 0) {
        tk_queue_read_expiries(mt_result_text(res, "expiries"), &view);
    }
    take_shuffle(res, &view);
    mt_snapshot_merge(&view);
}

int mt_snapshot_health(int *ok)
{
    apr_uint64_t now = (apr_uint64_t)apr_time_now(), at;

    if (!shared) {
        return 0;
    }
    at = apr_atomic_read64(&shared->health_at);
    if (at != 0 && now - at < (apr_uint64_t)apr_time_from_sec(1)) {
        *ok = (int)apr_atomic_read64(&shared->health_ok);
        return 1;
    }
    /* one request of the host asks; the others take what it last found */
    if (at != 0 && apr_atomic_cas64(&shared->health_at, now, at) != at) {
        *ok = (int)apr_atomic_read64(&shared->health_ok);
        return 1;
    }
    return 0;
}

void mt_snapshot_set_health(int ok)
{
    if (shared) {
        apr_atomic_set64(&shared->health_ok, (apr_uint64_t)(ok != 0));
        apr_atomic_set64(&shared->health_at, (apr_uint64_t)apr_time_now());
    }
}

void mt_snapshot_mark_serving(void)
{
    if (shared && !apr_atomic_read64(&shared->serving)) {
        apr_atomic_set64(&shared->serving, 1);
    }
}

int mt_snapshot_serving(void)
{
    return shared && apr_atomic_read64(&shared->serving) != 0;
}

void mt_snapshot_heartbeat(apr_time_t when)
{
    if (shared) {
        apr_atomic_set64(&shared->heartbeat, (apr_uint64_t)when);
    }
}

apr_time_t mt_snapshot_last_heartbeat(void)
{
    return shared ? (apr_time_t)apr_atomic_read64(&shared->heartbeat) : 0;
}

int mt_snapshot_job_turn(apr_time_t now, apr_time_t hold_until,
                         apr_interval_time_t horizon)
{
    apr_uint64_t next;

    if (!shared) {
        return 0;
    }
    next = apr_atomic_read64(&shared->job_next_at);
    return ((apr_uint64_t)now >= next || next > (apr_uint64_t)(now + horizon))
           && apr_atomic_cas64(&shared->job_next_at, (apr_uint64_t)hold_until,
                               next) == next;
}

void mt_snapshot_job_next(apr_time_t held_until, apr_time_t at)
{
    /* only the turn this run holds: one that outlived it leaves the
     * next holder's alone */
    if (shared) {
        apr_atomic_cas64(&shared->job_next_at, (apr_uint64_t)at,
                         (apr_uint64_t)held_until);
    }
}

void mt_snapshot_job_wake(apr_time_t now)
{
    apr_uint64_t next;

    while (shared && (next = apr_atomic_read64(&shared->job_next_at)) > (apr_uint64_t)now
           && apr_atomic_cas64(&shared->job_next_at, (apr_uint64_t)now, next) != next) {
        /* moved meanwhile: look again */
    }
}

apr_uint64_t mt_snapshot_job_failed(apr_time_t when)
{
    apr_uint64_t failures;

    if (!shared) {
        return 0;
    }
    failures = apr_atomic_inc64(&shared->job_failures) + 1;
    if (failures == 1) {
        apr_atomic_set64(&shared->job_down_since, (apr_uint64_t)when);
    }
    return failures;
}

int mt_snapshot_job_recovered(apr_time_t *down_since)
{
    if (!shared || apr_atomic_read64(&shared->job_failures) == 0) {
        return 0;
    }
    *down_since = (apr_time_t)apr_atomic_read64(&shared->job_down_since);
    return apr_atomic_xchg64(&shared->job_failures, 0) != 0;
}
