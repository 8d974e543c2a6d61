/* mod_ticket_lookup.h: the shared-memory segment of the lookups' copy
 * (TicketLookupCacheMs), as mod_ticket_lookup.c (the segment, claims,
 * tokens) and mod_ticket_lookup_copy.c (the catalogue, the seat lists)
 * share it. The rest of the module sees mod_ticket_private.h only.
 *
 * Every record is under a tk_seqlock: readers copy it out and keep only a
 * whole copy; a writer builds its record in a pool first and holds the
 * lock for the memcpy. A copy carries when its statement was sent
 * (refreshed_at: its age) and which of this host's own writes it has seen
 * (gen: the counter of its bucket when the statement was sent; a write
 * through this host bumps the counter after its commit, so a copy from
 * before that commit no longer matches and is not used). */
#ifndef MOD_TICKET_LOOKUP_H
#define MOD_TICKET_LOOKUP_H

#include "mod_ticket_private.h"
#include "tk_lookup.h"
#include "tk_seqlock.h"

#define MT_SEAT_SLOTS 16384         /* dates whose seat lists are kept */
#define MT_TOKEN_SLOTS 65536        /* service tokens known to this host */
#define MT_PROBE 16                 /* slots looked at for one key */
#define MT_READ_TRIES 8

/* ---- the catalogue: concerts and bookable schedules, two buffers (a
 * writer fills the one readers do not use, then switches) ---- */

typedef struct {
    int64_t refreshed_at;       /* when its statement was sent; 0: never */
    uint64_t gen;               /* catalogue_changed then */
    int64_t nconcerts;          /* -1: beyond the bounds (the database) */
    int64_t nschedules, titles_len;
} mt_catalogue_head;

typedef struct {
    tk_seqlock lock;
    mt_catalogue_head head;
    tk_lookup_concert concerts[TK_LOOKUP_MAX_CONCERTS];
    tk_lookup_schedule schedules[TK_LOOKUP_MAX_SCHEDULES];
    char titles[TK_LOOKUP_TITLE_BYTES];
} mt_catalogue_buf;

/* ---- seat lists: one slot per date of a concert, its seats in the
 * arena (a region the slot keeps) ---- */

typedef struct {
    int64_t concert_id, day;    /* the date it is for; concert 0: empty */
    int64_t schedule_id;        /* 0: the concert has no schedule that day */
    int64_t starts_at;
    int64_t refreshed_at;
    uint64_t gen;               /* its date bucket's changed then */
    int64_t nseats;             /* unsold seats, by seat number */
    int64_t seats_at, seats_room;
} mt_seat_head;

typedef struct {
    tk_seqlock lock;
    mt_seat_head head;
    volatile apr_uint64_t used_at;  /* last read (the eviction's order) */
} mt_seat_slot;

/* By the date alone (this host's writes name a date, not a concert):
 * every concert's list of a date shares its bucket's counter and claim. */
typedef struct {
    volatile apr_uint64_t changed;  /* this host's writes to the date */
    volatile apr_uint64_t asked_at; /* a request refreshes it (a claim) */
} mt_date_bucket;

/* ---- service tokens this host has asked the database about ---- */

typedef struct {
    int64_t seq, user;          /* seq 0: an empty slot */
    int64_t ends_at;            /* its service's end; 0: ended */
    int64_t checked_at;         /* last found in service (statement sent) */
    uint64_t gen;               /* its bucket's token_changed then */
} mt_token_copy;

typedef struct {
    tk_seqlock lock;
    mt_token_copy t;
} mt_token_slot;

typedef struct {
    uint64_t layout;                            /* MT_LOOKUP_LAYOUT */
    volatile apr_uint64_t catalogue_current;    /* the buffer readers use */
    volatile apr_uint64_t catalogue_changed;    /* this host's writes */
    volatile apr_uint64_t catalogue_asked_at;
    volatile apr_uint64_t tick_asked_at;        /* the tokens' check */
    volatile apr_uint64_t tick_db_us;           /* the database's clock at it */
    volatile apr_uint64_t seats_used;           /* of the arena */
    mt_catalogue_buf catalogue[2];
    mt_date_bucket dates[MT_SEAT_SLOTS];
    mt_seat_slot slots[MT_SEAT_SLOTS];
    volatile apr_uint64_t token_changed[MT_TOKEN_SLOTS];
    mt_token_slot tokens[MT_TOKEN_SLOTS];
    tk_lookup_seat seats[TK_LOOKUP_MAX_SEATS];  /* the arena */
} mt_lookup_segment;

/* The bucket of a date (yyyymmdd). */
uint64_t mt_lookup_date_bucket(int64_t day);

/* This generation's segment; NULL while TicketLookupCacheMs is 0. */
extern mt_lookup_segment *mt_lookup_seg;

/* TicketLookupCacheMs in microseconds; 0: the copy is off. */
int64_t mt_lookup_max_age(const server_rec *s);

/* One request refreshes what the others read: 1 when the caller got the
 * claim (asked_at was free, or a claim older than a second: its holder
 * died or hangs); the holder gives it back with mt_lookup_unclaim. */
int mt_lookup_claim(volatile apr_uint64_t *asked_at, apr_time_t now);
void mt_lookup_unclaim(volatile apr_uint64_t *asked_at, apr_time_t claimed);

#endif
