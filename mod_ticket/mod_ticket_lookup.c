/* mod_ticket_lookup.c: this host's copy of what the lookups (endpoints
 * 3-5) read, TicketLookupCacheMs: the segment, the claims by which one
 * request refreshes what the others read, and the service tokens the gate
 * may judge without a statement.
 *
 * A token is known here once this host has asked the database about it
 * (the first lookup it makes here, or its poll here that saw it admitted):
 * the answer (ticket_token_status(), which also claims it) gives its
 * service's end, kept in a slot. From then on the token's state comes
 * from the slot while the slot was checked within TicketLookupCacheMs:
 * one statement per host and refresh asks which tokens ended since the
 * last one (a payment, a claim timeout, through any host: each moves the
 * token's expires_at to its own time, which the index on expires_at finds
 * in O(ends)), so an early end made elsewhere shows here within that time. A payment through this host that ends the token drops
 * its slot at once (its bucket's counter). An end by the clock needs no
 * statement: the slot knows the time. The database decides whatever a
 * slot does not know; holds and payments always ask it. */
#include <apr_shm.h>
#include <apr_strings.h>
#include "mod_ticket_lookup.h"
#include "tk_parse.h"

#define MT_LOOKUP_LAYOUT (UINT64_C(0x746b6c6f6f6b7570) + 2)  /* "tklookup", v2 */
#define CLAIM_LEASE apr_time_from_sec(1)
#define TOKEN_MASK (MT_TOKEN_SLOTS - 1)

mt_lookup_segment *mt_lookup_seg;

/* The token's service end, as this host's copy can judge it; the
 * statement that asks the database when it cannot ($1, $2: the token). */
static const mt_statement TOKEN = {"tk_lookup_token",
    "SELECT g.status,"
    "       (extract(epoch FROM t.expires_at - now()) * 1000000)::bigint AS ends_in_us"
    "  FROM " MT_GATE_SQL
    "  LEFT JOIN queue_tokens t ON g.status = 'service' AND t.seq = $1::bigint",
    2, MT_DB_REPEATABLE};

/* The tokens whose service ended after $1 (microseconds since 1970), by
 * the clock or early, and the database's clock (every row; seq NULL when
 * none ended): the next check asks from there. */
static const mt_statement TICK = {"tk_lookup_tick",
    "SELECT (extract(epoch FROM n.at) * 1000000)::bigint AS at, t.seq"
    "  FROM (SELECT now() AS at) n"
    "  LEFT JOIN queue_tokens t"
    "         ON t.expires_at > to_timestamp($1::bigint / 1000000.0)"
    "        AND t.expires_at <= n.at",
    1, MT_DB_REPEATABLE};

/* How far before the last check the next one asks: a write that was open
 * across the last check set expires_at to its own (earlier) clock and
 * committed after it; statement_timeout bounds how long it was open. */
#define TICK_OVERLAP apr_time_from_sec(10)
#define TICK_FIRST apr_time_from_sec(60)

typedef struct {
    apr_shm_t *shm;
} mt_lookup_retained;

/* ---- the segment ---- */

static void announce(server_rec *s, int64_t ms)
{
    ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s,
                 TKLOG(041) "lookups answer from this host's copy, at most "
                 "%" APR_INT64_T_FMT " ms old (TicketLookupCacheMs): up to %d "
                 "concerts, %d bookable schedules, %d dates with seat lists, "
                 "%d seats, %d service tokens; %" APR_SIZE_T_FMT " MB of shared "
                 "memory reserved, used as it fills", (apr_int64_t)ms,
                 TK_LOOKUP_MAX_CONCERTS, TK_LOOKUP_MAX_SCHEDULES, MT_SEAT_SLOTS,
                 TK_LOOKUP_MAX_SEATS, MT_TOKEN_SLOTS,
                 sizeof(mt_lookup_segment) >> 20);
}

apr_status_t mt_lookup_attach(server_rec *s)
{
    const char *key = "mod_ticket.lookup";
    int64_t ms = mt_conf_number(s, TK_CONF_LOOKUP_CACHE_MS);
    mt_lookup_retained *kept = ap_retained_data_get(key);
    apr_status_t rv;

    mt_lookup_seg = NULL;
    if (ms == 0) {
        return APR_SUCCESS;     /* every lookup asks the database */
    }
    if (!kept) {
        kept = ap_retained_data_create(key, sizeof(*kept));
    }
    /* kept across graceful restarts (retained data, the process pool);
     * another layout (an upgrade) starts afresh. A new anonymous mapping
     * is zeros: no memset, which would make all of it resident. */
    if (!kept->shm || apr_shm_size_get(kept->shm) != sizeof(mt_lookup_segment)
        || ((mt_lookup_segment *)apr_shm_baseaddr_get(kept->shm))->layout
           != MT_LOOKUP_LAYOUT) {
        rv = apr_shm_create(&kept->shm, sizeof(mt_lookup_segment), NULL,
                            s->process->pool);
        if (rv != APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_EMERG, rv, s,
                         TKLOG(040) "cannot create the lookups' shared memory "
                         "(%" APR_SIZE_T_FMT " bytes, TicketLookupCacheMs); "
                         "TicketLookupCacheMs 0 does without it",
                         sizeof(mt_lookup_segment));
            kept->shm = NULL;
            return rv;
        }
        ((mt_lookup_segment *)apr_shm_baseaddr_get(kept->shm))->layout =
            MT_LOOKUP_LAYOUT;
    }
    mt_lookup_seg = apr_shm_baseaddr_get(kept->shm);
    announce(s, ms);
    return APR_SUCCESS;
}

int64_t mt_lookup_max_age(const server_rec *s)
{
    return mt_lookup_seg ? mt_conf_number(s, TK_CONF_LOOKUP_CACHE_MS) * 1000 : 0;
}

int mt_lookup_claim(volatile apr_uint64_t *asked_at, apr_time_t now)
{
    apr_uint64_t seen = apr_atomic_read64(asked_at);

    if (seen != 0 && (apr_time_t)seen <= now && now - (apr_time_t)seen < CLAIM_LEASE) {
        return 0;               /* another request is at it */
    }
    return apr_atomic_cas64(asked_at, (apr_uint64_t)now, seen) == seen;
}

void mt_lookup_unclaim(volatile apr_uint64_t *asked_at, apr_time_t claimed)
{
    apr_atomic_cas64(asked_at, 0, (apr_uint64_t)claimed);
}

/* ---- this host's writes ---- */

void mt_lookup_date_changed(const char *date)
{
    int year, month, day;

    if (!mt_lookup_seg || !date
        || tk_parse_date(date, &year, &month, &day) != TK_PARSE_OK) {
        return;
    }
    apr_atomic_inc64(&mt_lookup_seg->dates[mt_lookup_date_bucket(
        tk_lookup_day(year, month, day))].changed);
    apr_atomic_inc64(&mt_lookup_seg->catalogue_changed);
}

static uint64_t token_bucket(int64_t seq)
{
    return tk_lookup_hash(seq, 0) & TOKEN_MASK;
}

void mt_lookup_token_ended(int64_t seq)
{
    if (mt_lookup_seg) {
        apr_atomic_inc64(&mt_lookup_seg->token_changed[token_bucket(seq)]);
    }
}

/* ---- token slots ---- */

static mt_token_slot *token_slot(uint64_t at)
{
    return &mt_lookup_seg->tokens[at & TOKEN_MASK];
}

/* A whole copy of the slot that holds seq: 1, or 0 when none does. */
static int token_find(int64_t seq, mt_token_copy *copy)
{
    uint64_t h = token_bucket(seq);
    int i;

    for (i = 0; i < MT_PROBE; ++i) {
        mt_token_slot *slot = token_slot(h + i);
        if (tk_seqlock_copy(&slot->lock, copy, &slot->t, sizeof(*copy), MT_READ_TRIES)
            && copy->seq == seq) {
            return 1;
        }
    }
    return 0;
}

/* The slot to keep seq in: the one that has it, else the first empty or
 * ended one of its window; NULL when all are in use. */
static mt_token_slot *token_place(int64_t seq, apr_time_t now)
{
    uint64_t h = token_bucket(seq);
    mt_token_slot *free_slot = NULL;
    mt_token_copy c;
    int i;

    for (i = 0; i < MT_PROBE; ++i) {
        mt_token_slot *slot = token_slot(h + i);
        if (!tk_seqlock_copy(&slot->lock, &c, &slot->t, sizeof(c), MT_READ_TRIES)) {
            continue;
        }
        if (c.seq == seq) {
            return slot;
        }
        if (!free_slot && (c.seq == 0 || c.ends_at <= now)) {
            free_slot = slot;
        }
    }
    return free_slot;
}

static void token_keep(server_rec *s, const mt_token_copy *t, apr_time_t now)
{
    static volatile apr_uint64_t last;
    mt_token_slot *slot = token_place(t->seq, now);
    uint64_t held;

    if (!slot) {
        if (mt_log_due(&last)) {
            ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s,
                         TKLOG(044) "the lookups' copy has no room for more "
                         "service tokens near token %" APR_INT64_T_FMT " (%d "
                         "in all): such tokens are judged by the database "
                         "(at most every 10 s per process)",
                         (apr_int64_t)t->seq, MT_TOKEN_SLOTS);
        }
        return;
    }
    if ((held = tk_seqlock_write_begin(&slot->lock, now)) != 0) {
        slot->t = *t;
        tk_seqlock_write_end(&slot->lock, held);
    }
}

void mt_lookup_token_ask(const tk_token *t, mt_token_ask *a)
{
    a->seq = t->seq;
    a->user = t->user_id;
    a->asked_at = apr_time_now();
    a->gen = mt_lookup_seg
             ? apr_atomic_read64(&mt_lookup_seg->token_changed[token_bucket(t->seq)]) : 0;
}

void mt_lookup_token_answer(server_rec *s, const mt_token_ask *a,
                            const char *status, const char *ends_in_us)
{
    apr_time_t after = apr_time_now();
    mt_token_copy t = {a->seq, a->user, 0, a->asked_at, a->gen};

    if (!mt_lookup_seg || !status) {
        return;
    }
    if (strcmp(status, "service") == 0 && ends_in_us) {
        /* from when the answer came: never before the database's end */
        t.ends_at = tk_lookup_end(after, apr_atoi64(ends_in_us));
    }
    else if (strcmp(status, "expire") != 0) {
        return;                 /* waiting, or unknown: not kept */
    }
    token_keep(s, &t, after);
}

/* ---- the check of the known tokens (one statement) ---- */

static int cmp_seq(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Notes in slot i, if it still holds seq, what the check found: ended
 * (for good), or in service at checked. */
static void tick_note(int i, int64_t seq, int ended, apr_time_t checked)
{
    mt_token_slot *slot = token_slot((uint64_t)i);
    uint64_t held = tk_seqlock_write_begin(&slot->lock, apr_time_now());

    if (!held) {
        return;
    }
    if (slot->t.seq == seq) {
        if (ended) {
            slot->t.ends_at = 0;
        }
        else if (slot->t.checked_at < checked) {
            slot->t.checked_at = checked;
        }
    }
    tk_seqlock_write_end(&slot->lock, held);
}

/* The ended tokens of the check's answer, sorted; the database's clock
 * into *db_us. */
static int64_t *tick_ended(apr_pool_t *p, const PGresult *res, int *n,
                           int64_t *db_us)
{
    int64_t *ended = apr_palloc(p, sizeof(*ended) * (apr_size_t)(PQntuples(res) + 1));
    int i;

    *n = 0;
    *db_us = PQntuples(res) > 0 ? mt_db_int64(res, 0, 0) : 0;
    for (i = 0; i < PQntuples(res); ++i) {
        if (!mt_db_is_null(res, i, 1)) {
            ended[(*n)++] = mt_db_int64(res, i, 1);
        }
    }
    qsort(ended, (size_t)*n, sizeof(*ended), cmp_seq);
    return ended;
}

/* Checks every token this host knows in service (the caller has the
 * claim, made at asked): one statement, whatever their number. */
static void tick(request_rec *r, apr_time_t asked)
{
    apr_uint64_t last = apr_atomic_read64(&mt_lookup_seg->tick_db_us);
    const char *params[1];
    int64_t *ended, db_us;
    int i, n;
    PGresult *res;
    mt_db_rc rc;
    mt_token_copy c;

    params[0] = apr_psprintf(r->pool, "%" APR_INT64_T_FMT, (apr_int64_t)(last
                             ? (int64_t)last - TICK_OVERLAP : asked - TICK_FIRST));
    if ((res = mt_db_run(r, &TICK, params, &rc)) != NULL) {
        ended = tick_ended(r->pool, res, &n, &db_us);
        for (i = 0; i < MT_TOKEN_SLOTS; ++i) {
            mt_token_slot *slot = token_slot((uint64_t)i);
            if (tk_seqlock_copy(&slot->lock, &c, &slot->t, sizeof(c), MT_READ_TRIES)
                && c.seq != 0 && c.ends_at > asked) {
                tick_note(i, c.seq, bsearch(&c.seq, ended, (size_t)n, sizeof(*ended),
                                            cmp_seq) != NULL, asked);
            }
        }
        if (db_us > 0) {
            apr_atomic_set64(&mt_lookup_seg->tick_db_us, (apr_uint64_t)db_us);
        }
    }
    mt_lookup_unclaim(&mt_lookup_seg->tick_asked_at, asked);
}

/* ---- the gate ---- */

/* The token as the copy knows it (copy->seq 0: not at all, or not since
 * a write through this host). */
static tk_lookup_token_state judge(const tk_token *t, apr_time_t now,
                                   int64_t max_age, mt_token_copy *copy)
{
    if (!token_find(t->seq, copy) || copy->user != t->user_id
        || copy->gen != apr_atomic_read64(&mt_lookup_seg->token_changed[token_bucket(t->seq)])) {
        copy->seq = 0;
        return TK_LOOKUP_TOKEN_ASK;
    }
    return tk_lookup_token_judge(copy->ends_at, copy->checked_at, now, max_age);
}

/* The database judges the token (and claims it); the answer is kept. */
static mt_lookup_verdict ask_database(request_rec *r, mt_gate *g)
{
    const char *status;
    mt_token_ask ask;
    PGresult *res;
    mt_db_rc rc;

    mt_lookup_token_ask(&g->token, &ask);
    if (!(res = mt_db_run(r, &TOKEN, g->params, &rc))) {
        g->done = mt_reply_db_error(r, rc);
        return MT_LOOKUP_DONE;
    }
    status = mt_db_text(res, 0, 0);
    mt_lookup_token_answer(r->server, &ask, status, mt_db_text(res, 0, 1));
    return mt_gate_refused(r, g, status) ? MT_LOOKUP_DONE : MT_LOOKUP_PASS;
}

mt_lookup_verdict mt_lookup_gate(request_rec *r, mt_gate *g)
{
    int64_t max_age = mt_lookup_max_age(r->server);
    apr_time_t now = apr_time_now();
    tk_lookup_token_state state;
    mt_token_copy copy;

    if (!max_age) {
        return MT_LOOKUP_ASK;
    }
    state = judge(&g->token, now, max_age, &copy);
    if (state != TK_LOOKUP_TOKEN_EXPIRED && copy.seq != 0
        && tk_lookup_due(copy.checked_at, now, max_age)
        && mt_lookup_claim(&mt_lookup_seg->tick_asked_at, now)) {
        tick(r, now);
        state = judge(&g->token, apr_time_now(), max_age, &copy);
    }
    switch (state) {
    case TK_LOOKUP_TOKEN_EXPIRED:
        mt_gate_refused(r, g, "expire");
        return MT_LOOKUP_DONE;
    case TK_LOOKUP_TOKEN_SERVICE:
        return MT_LOOKUP_PASS;
    default:
        return ask_database(r, g);
    }
}
