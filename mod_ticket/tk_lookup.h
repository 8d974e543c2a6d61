/* tk_lookup.h: the lookups' copy (TicketLookupCacheMs), as plain records
 * and the arithmetic on them. No I/O and no shared memory of its own:
 * mod_ticket_lookup.c keeps these records in a segment (under
 * tk_seqlock.h) and copies them out; the answers of endpoints 3-5 are
 * computed here from such a copy.
 *
 * Times are microseconds since 1970 on this host's clock (apr_time_t).
 * The database sends durations ("the hold ends in 2.5 s"), never instants,
 * and a copy turns them into instants from the moment the statement
 * returned: a copy never sees a hold end or a schedule start before the
 * database would (clocks of two machines are never compared). */
#ifndef TK_LOOKUP_H
#define TK_LOOKUP_H

#include <stddef.h>
#include <stdint.h>

/* The bounds of one host's copy; a catalogue or a schedule beyond them is
 * answered by the database. */
#define TK_LOOKUP_MAX_CONCERTS 1000
#define TK_LOOKUP_MAX_SCHEDULES 10000       /* bookable ones */
#define TK_LOOKUP_TITLE_BYTES 262144        /* all concert titles */
#define TK_LOOKUP_MAX_SEATS 5000000         /* unsold seats of listed dates */
#define TK_LOOKUP_SEAT_NUM_MAX ((INT64_C(1) << 20) - 1)
#define TK_LOOKUP_PRICE_MAX ((INT64_C(1) << 44) - 1)
#define TK_LOOKUP_NEVER INT64_MAX

/* ---- seats: one unsold seat of a schedule ---- */

typedef struct {
    int64_t seat_id;
    uint64_t num_price;     /* seat number << 44 | price */
    int64_t free_at;        /* when its live hold ends; 0: no live hold */
} tk_lookup_seat;

/* Fills *s: 0, or -1 when the number or the price does not fit (1 to
 * TK_LOOKUP_SEAT_NUM_MAX, 1 to TK_LOOKUP_PRICE_MAX), or the id is not
 * positive: such a schedule is left to the database. */
int tk_lookup_seat_set(tk_lookup_seat *s, int64_t seat_id, int64_t seat_num,
                       int64_t price, int64_t free_at);
int64_t tk_lookup_seat_num(const tk_lookup_seat *s);
int64_t tk_lookup_seat_price(const tk_lookup_seat *s);
/* Whether the seat is free at now (its hold, if any, has ended). */
int tk_lookup_seat_free(const tk_lookup_seat *s, int64_t now);

/* ---- the catalogue: concerts and their bookable schedules ---- */

typedef struct {
    int64_t concert_id;
    uint32_t title_at, title_len;   /* bytes of titles */
} tk_lookup_concert;

typedef struct {
    int64_t schedule_id, concert_id;
    int64_t starts_at;          /* bookable before it */
    int64_t free;               /* free seats at the refresh */
    int64_t next_free_at;       /* the earliest end of a live hold of its
                                 * seats: TK_LOOKUP_NEVER for none */
    int64_t day;                /* its date as yyyymmdd */
} tk_lookup_schedule;

typedef struct {
    int nconcerts, nschedules;
    const tk_lookup_concert *concerts;      /* by concert_id */
    const tk_lookup_schedule *schedules;    /* by concert_id, then day */
    const char *titles;
    size_t titles_len;
} tk_lookup_catalogue;

/* The concert's index, or -1 when the catalogue has no such concert. */
int tk_lookup_concert_index(const tk_lookup_catalogue *c, int64_t concert_id);
/* The concert's title (*len bytes, not terminated); NULL when its place
 * in titles is not within them. */
const char *tk_lookup_title(const tk_lookup_catalogue *c, int index,
                            size_t *len);
/* The concert's schedules: the first, and how many in *n (0: none). */
const tk_lookup_schedule *tk_lookup_schedules_of(const tk_lookup_catalogue *c,
                                                 int64_t concert_id, int *n);
/* The schedule of that concert and date, NULL when there is none. */
const tk_lookup_schedule *tk_lookup_schedule_on(const tk_lookup_catalogue *c,
                                                int64_t concert_id, int64_t day);
/* Whether the schedule is bookable at now (before its start). */
int tk_lookup_bookable(const tk_lookup_schedule *s, int64_t now);
/* Its free seats at now: the refresh's count, or -1 once a hold has ended
 * since (the count is no longer known: refresh). */
int64_t tk_lookup_free_now(const tk_lookup_schedule *s, int64_t now);
/* Whether some bookable schedule of the concert has a free seat at now
 * (endpoint 3's "available"). */
int tk_lookup_available(const tk_lookup_catalogue *c, int64_t concert_id,
                        int64_t now);
/* Whether endpoint 4's counts of the concert are all known at now (no
 * hold of a bookable schedule has ended since the refresh). */
int tk_lookup_dates_known(const tk_lookup_catalogue *c, int64_t concert_id,
                          int64_t now);

/* ---- dates ---- */

/* yyyymmdd of a date, and its YYYY-MM-DD text (11 bytes with the NUL). */
int64_t tk_lookup_day(int year, int month, int day);
void tk_lookup_day_text(int64_t day, char out[11]);

/* ---- staleness ---- */

/* The instant a duration the database measured ends, counted from after
 * (when its statement returned); a duration of 0 or less: 0 (over). */
int64_t tk_lookup_end(int64_t after, int64_t remaining);
/* Whether a copy refreshed at refreshed_at (the moment its statement was
 * sent; 0: never) may answer at now: at most max_age old, and not from
 * the future (a clock stepped back: refresh). */
int tk_lookup_fresh(int64_t refreshed_at, int64_t now, int64_t max_age);
/* Whether it is time to refresh it: it is not fresh now, or would not be
 * a margin from now (a quarter of max_age, at most 125 ms), so that the
 * one request that refreshes does it before the others must stop using
 * it. */
int tk_lookup_due(int64_t refreshed_at, int64_t now, int64_t max_age);

/* ---- service tokens ---- */

typedef enum {
    TK_LOOKUP_TOKEN_ASK = 0,    /* not known well enough: the database */
    TK_LOOKUP_TOKEN_SERVICE,    /* in service as of a fresh check */
    TK_LOOKUP_TOKEN_EXPIRED     /* its service has ended: for good */
} tk_lookup_token_state;

/* A token whose service ends at ends_at (0: ended), last found in service
 * at checked_at: expired once ends_at has passed (an end only ever moves
 * earlier, and never comes back); in service while the check is fresh;
 * otherwise ask. */
tk_lookup_token_state tk_lookup_token_judge(int64_t ends_at, int64_t checked_at,
                                            int64_t now, int64_t max_age);

/* ---- slots ---- */

/* A hash of two keys (splitmix64's finaliser), for slot tables. */
uint64_t tk_lookup_hash(int64_t a, int64_t b);

#endif
