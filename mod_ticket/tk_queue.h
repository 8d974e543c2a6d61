/* tk_queue.h: waiting-room arithmetic, shared by entry, poll and the
 * admission job. No I/O.
 *
 * Tokens are numbered by a database sequence. Admission is FIFO and fenced
 * against entries (sql/), so every waiting token has seq > head, where head
 * is the highest number no longer waiting. position = seq - head is then
 * "waiting tokens ahead + 1", counting at most a few numbers of entries that
 * failed, and it never grows for a token because head never shrinks. */
#ifndef TK_QUEUE_H
#define TK_QUEUE_H

#include <stdint.h>
#include "tk_shuffle.h"

#define TK_POLL_MIN_MS 1000
#define TK_POLL_MAX_MS 30000
#define TK_ETA_UNKNOWN (-1)

#define TK_QUEUE_MAX_GAPS 8
#define TK_QUEUE_MAX_EXPIRIES 15

/* A host's view of the queue (the database's queue_state row). */
typedef struct {
    int64_t head;                 /* highest seq that is no longer waiting */
    int64_t waiting;              /* tokens waiting, as of the refresh */
    int64_t newest;               /* the highest number this host saw drawn */
    int64_t admitted_last_minute; /* admissions in the minute before it */
    int64_t in_service;           /* live service tokens at the refresh */
    int64_t refreshed_at;         /* apr_time_t of the refresh, 0 = never */
    /* numbers above head that never were entries (the sequence skips up
     * to 32 after a database crash): [lo, hi] each, the largest few */
    int ngaps;
    int64_t gaps[TK_QUEUE_MAX_GAPS][2];
    /* services that ended before their time (payments, claim timeouts)
     * in the minute before the refresh */
    int64_t early_ends_last_minute;
    /* the earliest expiry times of the tokens in service: [rank, apr_time_t]
     * each, ranks ascending (1-8, 16, 32, ... 1024) */
    int nexpiries;
    int64_t expiries[TK_QUEUE_MAX_EXPIRIES][2];
    /* the pre-queue's shuffle (TicketSaleStart): the numbers base + 1 ..
     * base + size wait in the order tk_shuffle_place gives them under
     * key, ahead of everyone behind; done places are passed */
    int64_t shuffle_start;      /* the start it is for (apr_time_t), 0: none */
    unsigned char shuffle_key[TK_SHUFFLE_KEY_BYTES];
    int64_t shuffle_base, shuffle_size, shuffle_done;
} tk_queue_view;

/* What the host's configuration says about admission, for etaSeconds. */
typedef struct {
    int paused;                 /* TicketQueue Paused: nobody is admitted */
    int64_t capacity;           /* TicketCapacity */
    int64_t admit_rate;         /* TicketAdmitRate, 0: no limit */
    int64_t interval;           /* TicketAdvanceInterval, seconds */
    int64_t sale_start;         /* TicketSaleStart (apr_time_t), 0: none */
    int64_t claim_timeout;      /* TicketClaimTimeout, seconds, 0: off */
} tk_queue_rules;

/* Position of a waiting token (>= 1), or 0 when head has passed it (the
 * token may have been admitted: ask the database). */
int64_t tk_queue_position(int64_t seq, int64_t head);

/* The same, not counting the view's gaps between head and seq: the
 * waiting tokens ahead plus one (and a few numbers of failed entries);
 * in the shuffled pre-queue, its place among those not yet passed, and
 * behind it, the places left there plus the place in arrival order. 0:
 * perhaps admitted (ask the database). */
int64_t tk_queue_place(const tk_queue_view *v, int64_t seq);

/* Whether waiting tokens are in the pre-queue: a sale start is set and
 * the shuffle for it is not in the view yet (before the start, and until
 * the first admission after it has shuffled). */
int tk_queue_in_prequeue(const tk_queue_view *v, const tk_queue_rules *rules);

/* pollAfterMs in the pre-queue, until_ms before the start: at most the
 * longest poll while the start is far; else after the start, one
 * interval (the shuffle) and a share of a spread that grows with the
 * crowd (waiting), at least 5 s: each token's own (by seq), so that the
 * first polls after the start do not come at once. */
int64_t tk_queue_prequeue_poll_ms(int64_t until_ms, int64_t interval_ms,
                                  int64_t waiting, int64_t seq);

/* Reads the gaps of a queue_state row, PostgreSQL's text of a bigint[]
 * of lo, hi pairs ("{2,32,40,44}"), into v: 0, or -1 (and no gaps) when
 * it is not that. More than TK_QUEUE_MAX_GAPS pairs keep the first. */
int tk_queue_read_gaps(const char *text, tk_queue_view *v);

/* Reads the expiries of a queue_state row ("{1,1764000000000000,2,…}",
 * rank and microseconds since 1970 in pairs) into v, as
 * tk_queue_read_gaps does. */
int tk_queue_read_expiries(const char *text, tk_queue_view *v);

/* Seconds until admission at the measured rate, rounded up, or
 * TK_ETA_UNKNOWN while nobody was admitted in the last minute. */
int64_t tk_queue_eta_seconds(int64_t position, int64_t admitted_last_minute);

/* etaSeconds (openapi.yaml) of a token at position, at instant now
 * (apr_time_t): the measured rate's estimate, but never sooner than the
 * rate limit allows, nor, with capacity full and no service ended early
 * in the last minute, than the position-th earliest expiry (the latest
 * known rank at or below it); one interval with a free slot for it;
 * TK_ETA_UNKNOWN while paused or with no basis. */
int64_t tk_queue_eta(const tk_queue_view *v, const tk_queue_rules *rules,
                     int64_t position, int64_t now);

/* When to poll next: a quarter of the ETA but at most a second per place
 * (or 200 ms per place while the rate is unknown), within
 * [TK_POLL_MIN_MS, TK_POLL_MAX_MS]. */
int64_t tk_queue_poll_after_ms(int64_t position, int64_t eta_seconds);

/* pollAfterMs ms, no longer than TicketClaimTimeout allows: a token
 * admitted right after a poll must poll again (and be seen admitted,
 * another host an interval later) before its claim runs out, so at most
 * half of what the claim timeout leaves after an interval. */
int64_t tk_queue_poll_within_claim(int64_t ms, const tk_queue_rules *rules);

/* The places ahead once the free service slots are filled: the position
 * to time the next poll by (0 or less: admitted at the next advancement). */
int64_t tk_queue_behind_free_slots(int64_t position, int64_t free_slots);

/* Tokens waiting now as far as this host knows: the refresh's count, or
 * more if entries through this host drew numbers since (the newest one's
 * place counts everyone ahead of it). */
int64_t tk_queue_waiting_now(const tk_queue_view *v);

/* The waiting count to report with a position: never below it. */
int64_t tk_queue_waiting_count(int64_t waiting, int64_t position);

#endif
