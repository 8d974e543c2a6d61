/* mod_ticket_lookup_copy.c: what the lookups answer from in this host's
 * copy (TicketLookupCacheMs): the catalogue (concerts, and the bookable
 * schedules with their free seats: endpoints 3 and 4) and the seat lists
 * of dates (endpoint 5).
 *
 * A request that finds its part due (about to be older than
 * TicketLookupCacheMs, or changed through this host since) and gets the
 * claim refreshes it with one statement and answers from the new copy;
 * the others answer from the copy they have while it is young enough,
 * and ask the database (today's statement) when it is not. A copy keeps
 * the end of every live hold and the start of every schedule as instants,
 * so that a hold that ends or a schedule that starts shows at that moment
 * without a statement. */
#include <apr_strings.h>
#include "mod_ticket_lookup.h"

#define SEAT_MASK (MT_SEAT_SLOTS - 1)
#define SEAT_ROOM_STEP 64

/* Concerts (kind 1) and bookable schedules (kind 2) with their free
 * seats and the earliest end of a live hold; durations from now(). The
 * counts come from ticket_free_seats() (sql/functions/35_seat_counts.sql),
 * a row per schedule, and seats' holds only of schedules written or with
 * a hold ended since their last fold: O(schedules), whatever the seats. */
static const mt_statement CATALOGUE = {"tk_lookup_catalogue",
    "SELECT 1 AS kind, c.concert_id AS id, c.concert_id, c.title,"
    "       NULL::bigint AS day_num, NULL::bigint AS starts_in_us,"
    "       NULL::bigint AS free_seats, NULL::bigint AS free_in_us"
    "  FROM concerts c"
    " UNION ALL "
    "SELECT 2, s.schedule_id, s.concert_id, NULL,"
    "       to_char(s.concert_date, 'YYYYMMDD')::bigint,"
    "       (extract(epoch FROM s.starts_at - now()) * 1000000)::bigint,"
    "       f.free_seats, (extract(epoch FROM f.next_end - now()) * 1000000)::bigint"
    "  FROM ticket_free_seats() f"
    "  JOIN schedules s ON s.schedule_id = f.schedule_id"
    " ORDER BY 1, 3, 5", 0, MT_DB_REPEATABLE};

/* The schedule of a concert ($1) on a date ($2) and its unsold seats, by
 * number; no row: no such schedule. */
static const mt_statement SEATS = {"tk_lookup_seats",
    "SELECT sc.schedule_id,"
    "       (extract(epoch FROM sc.starts_at - now()) * 1000000)::bigint AS starts_in_us,"
    "       st.seat_id, st.seat_num, st.price,"
    "       (extract(epoch FROM st.hold_until - now()) * 1000000)::bigint AS free_in_us"
    "  FROM schedules sc"
    "  LEFT JOIN seats st ON st.schedule_id = sc.schedule_id"
    "       AND st.booked_ticket_id IS NULL"
    " WHERE sc.concert_id = $1::bigint AND sc.concert_date = $2::date"
    " ORDER BY st.seat_num", 2, MT_DB_REPEATABLE};

/* ---- the catalogue ---- */

typedef struct {
    mt_catalogue_head head;
    tk_lookup_concert *concerts;
    tk_lookup_schedule *schedules;
    char *titles;
} staged_catalogue;

static int kind_count(const PGresult *res, const char *kind)
{
    int i, n = 0;

    for (i = 0; i < PQntuples(res); ++i) {
        n += strcmp(PQgetvalue(res, i, 0), kind) == 0;
    }
    return n;
}

static void stage_schedule(const PGresult *res, int row, apr_time_t after,
                           tk_lookup_schedule *s)
{
    s->schedule_id = mt_db_int64(res, row, 1);
    s->concert_id = mt_db_int64(res, row, 2);
    s->day = mt_db_int64(res, row, 4);
    s->starts_at = tk_lookup_end(after, mt_db_int64(res, row, 5));
    s->free = mt_db_int64(res, row, 6);
    s->next_free_at = mt_db_is_null(res, row, 7) ? TK_LOOKUP_NEVER
                      : tk_lookup_end(after, mt_db_int64(res, row, 7));
}

/* The result as a catalogue record: 1, or 0 when it is beyond the bounds. */
static int stage_catalogue(apr_pool_t *p, const PGresult *res, apr_time_t after,
                           staged_catalogue *st)
{
    int nc = kind_count(res, "1"), ns = PQntuples(res) - nc, i;
    int64_t c = 0, s = 0, used = 0, len;

    if (nc > TK_LOOKUP_MAX_CONCERTS || ns > TK_LOOKUP_MAX_SCHEDULES) {
        return 0;
    }
    st->concerts = apr_palloc(p, sizeof(tk_lookup_concert) * (apr_size_t)(nc + 1));
    st->schedules = apr_palloc(p, sizeof(tk_lookup_schedule) * (apr_size_t)(ns + 1));
    st->titles = apr_palloc(p, TK_LOOKUP_TITLE_BYTES);
    for (i = 0; i < PQntuples(res); ++i) {
        if (strcmp(PQgetvalue(res, i, 0), "2") == 0) {
            stage_schedule(res, i, after, &st->schedules[s++]);
            continue;
        }
        len = PQgetlength(res, i, 3);
        if (len > TK_LOOKUP_TITLE_BYTES - used) {
            return 0;
        }
        memcpy(st->titles + used, PQgetvalue(res, i, 3), (size_t)len);
        st->concerts[c].concert_id = mt_db_int64(res, i, 1);
        st->concerts[c].title_at = (uint32_t)used;
        st->concerts[c++].title_len = (uint32_t)len;
        used += len;
    }
    st->head.nconcerts = nc;
    st->head.nschedules = ns;
    st->head.titles_len = used;
    return 1;
}

static void catalogue_install(const staged_catalogue *st, apr_time_t now)
{
    apr_uint64_t next = 1 - (apr_atomic_read64(&mt_lookup_seg->catalogue_current) & 1);
    mt_catalogue_buf *b = &mt_lookup_seg->catalogue[next];
    uint64_t held = tk_seqlock_write_begin(&b->lock, now);

    if (!held) {
        return;     /* another refresh is writing it: its copy will do */
    }
    b->head = st->head;
    if (st->head.nconcerts > 0) {
        memcpy(b->concerts, st->concerts,
               sizeof(tk_lookup_concert) * (size_t)st->head.nconcerts);
        memcpy(b->titles, st->titles, (size_t)st->head.titles_len);
    }
    if (st->head.nschedules > 0) {
        memcpy(b->schedules, st->schedules,
               sizeof(tk_lookup_schedule) * (size_t)st->head.nschedules);
    }
    if (tk_seqlock_write_end(&b->lock, held)) {
        apr_atomic_set64(&mt_lookup_seg->catalogue_current, next);
    }
}

static void catalogue_too_big(server_rec *s)
{
    static volatile apr_uint64_t last;

    if (mt_log_due(&last)) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s,
                     TKLOG(042) "the catalogue is beyond the lookups' copy (at "
                     "most %d concerts, %d bookable schedules, %d bytes of "
                     "titles): the database answers GET /concerts and its "
                     "dates (at most every 10 s per process)",
                     TK_LOOKUP_MAX_CONCERTS, TK_LOOKUP_MAX_SCHEDULES,
                     TK_LOOKUP_TITLE_BYTES);
    }
}

/* Refreshes the catalogue (the caller has the claim, made at asked): 1,
 * or 0 with *rc (MT_DB_OK: beyond the bounds). */
static int catalogue_refresh(request_rec *r, apr_time_t asked, mt_db_rc *rc)
{
    uint64_t gen = apr_atomic_read64(&mt_lookup_seg->catalogue_changed);
    staged_catalogue st;
    PGresult *res;
    apr_time_t after;
    int ok = 0;

    if ((res = mt_db_run(r, &CATALOGUE, NULL, rc)) != NULL) {
        after = apr_time_now();
        memset(&st, 0, sizeof(st));
        st.head.refreshed_at = asked;
        st.head.gen = gen;
        if (!(ok = stage_catalogue(r->pool, res, after, &st))) {
            catalogue_too_big(r->server);
            st.head.nconcerts = -1;
        }
        catalogue_install(&st, after);
    }
    mt_lookup_unclaim(&mt_lookup_seg->catalogue_asked_at, asked);
    return ok;
}

/* A whole copy of the catalogue (titles only if asked for) into cat,
 * from p: 1; -1 when the catalogue is beyond the bounds (only *h); 0
 * when there is none. */
static int catalogue_copy(apr_pool_t *p, int titles, mt_catalogue_head *h,
                          tk_lookup_catalogue *cat)
{
    int tries;

    for (tries = 0; tries < MT_READ_TRIES; ++tries) {
        mt_catalogue_buf *b = &mt_lookup_seg->catalogue[
            apr_atomic_read64(&mt_lookup_seg->catalogue_current) & 1];
        uint64_t begin = tk_seqlock_read_begin(&b->lock);
        tk_lookup_concert *c;
        tk_lookup_schedule *s;
        char *t = NULL;

        if (begin & 1) {
            continue;
        }
        memcpy(h, (const void *)&b->head, sizeof(*h));
        if (h->nconcerts < 0 || h->nconcerts > TK_LOOKUP_MAX_CONCERTS
            || h->nschedules < 0 || h->nschedules > TK_LOOKUP_MAX_SCHEDULES
            || h->titles_len < 0 || h->titles_len > TK_LOOKUP_TITLE_BYTES) {
            if (tk_seqlock_read_valid(&b->lock, begin)) {
                return -1;
            }
            continue;
        }
        c = apr_palloc(p, sizeof(*c) * (apr_size_t)(h->nconcerts + 1));
        s = apr_palloc(p, sizeof(*s) * (apr_size_t)(h->nschedules + 1));
        memcpy(c, b->concerts, sizeof(*c) * (size_t)h->nconcerts);
        memcpy(s, b->schedules, sizeof(*s) * (size_t)h->nschedules);
        if (titles) {
            t = apr_palloc(p, (apr_size_t)h->titles_len + 1);
            memcpy(t, b->titles, (size_t)h->titles_len);
        }
        if (tk_seqlock_read_valid(&b->lock, begin)) {
            cat->nconcerts = (int)h->nconcerts;
            cat->nschedules = (int)h->nschedules;
            cat->concerts = c;
            cat->schedules = s;
            cat->titles = t;
            cat->titles_len = titles ? (size_t)h->titles_len : 0;
            return 1;
        }
    }
    return 0;
}

int mt_lookup_catalogue(request_rec *r, int64_t dates_of, tk_lookup_catalogue *cat,
                        mt_db_rc *rc)
{
    int64_t max_age = mt_lookup_max_age(r->server);
    mt_catalogue_head h;
    apr_time_t now;
    int round, got, current, ok;

    *rc = MT_DB_OK;
    for (round = 0; max_age > 0; ++round) {
        now = apr_time_now();
        got = catalogue_copy(r->pool, dates_of == 0, &h, cat);
        current = got != 0 && h.gen == apr_atomic_read64(&mt_lookup_seg->catalogue_changed)
                  && tk_lookup_fresh(h.refreshed_at, now, max_age);
        ok = got > 0 && current
             && (dates_of == 0 || tk_lookup_dates_known(cat, dates_of, now));
        /* (a catalogue beyond the bounds is asked again only when due) */
        if (current && !tk_lookup_due(h.refreshed_at, now, max_age) && (ok || got < 0)) {
            return ok;
        }
        if (round > 0 || !mt_lookup_claim(&mt_lookup_seg->catalogue_asked_at, now)) {
            return ok;
        }
        if (!catalogue_refresh(r, now, rc)) {
            return 0;
        }
    }
    return 0;
}

/* ---- seat lists ---- */

uint64_t mt_lookup_date_bucket(int64_t day)
{
    return tk_lookup_hash(0, day) & SEAT_MASK;
}

/* Where a date's slot is looked for: its window of MT_PROBE slots. */
static uint64_t slot_start(int64_t concert_id, int64_t day)
{
    return tk_lookup_hash(concert_id, day) & SEAT_MASK;
}

static mt_seat_slot *seat_slot(uint64_t at)
{
    return &mt_lookup_seg->slots[at & SEAT_MASK];
}

/* Whether a head copied from a slot may be the date's and its seats are
 * within the arena. */
static int head_sane(const mt_seat_head *h, int64_t concert_id, int64_t day)
{
    return h->concert_id == concert_id && h->day == day
           && h->nseats >= -1 && h->nseats <= h->seats_room && h->seats_at >= 0
           && h->seats_room <= TK_LOOKUP_MAX_SEATS - h->seats_at;
}

/* A whole copy of the slot's head and seats, from p, if it is the date's:
 * 1; -1 when the date does not fit the copy (only *h); 0 otherwise. */
static int slot_copy(apr_pool_t *p, mt_seat_slot *slot, int64_t concert_id,
                     int64_t day, mt_seat_head *h, tk_lookup_seat **seats)
{
    int tries;

    for (tries = 0; tries < MT_READ_TRIES; ++tries) {
        uint64_t begin = tk_seqlock_read_begin(&slot->lock);
        if (begin & 1) {
            continue;
        }
        memcpy(h, (const void *)&slot->head, sizeof(*h));
        if (!head_sane(h, concert_id, day)) {
            if (tk_seqlock_read_valid(&slot->lock, begin)) {
                return 0;               /* another date's */
            }
            continue;
        }
        *seats = apr_palloc(p, sizeof(tk_lookup_seat) * (apr_size_t)(h->nseats + 1));
        if (h->nseats > 0) {
            memcpy(*seats, &mt_lookup_seg->seats[h->seats_at],
                   sizeof(tk_lookup_seat) * (size_t)h->nseats);
        }
        if (tk_seqlock_read_valid(&slot->lock, begin)) {
            return h->nseats < 0 ? -1 : 1;
        }
    }
    return 0;
}

/* Notes that the slot was read now (for the eviction's order): at most
 * once a second, so that readers do not all write one cache line. */
static void touch(mt_seat_slot *slot)
{
    apr_time_t now = apr_time_now();

    if (now - (apr_time_t)apr_atomic_read64(&slot->used_at) > apr_time_from_sec(1)) {
        apr_atomic_set64(&slot->used_at, (apr_uint64_t)now);
    }
}

/* A copy of the date's slot, as slot_copy. */
static int seats_copy(apr_pool_t *p, int64_t concert_id, int64_t day,
                      mt_seat_head *h, tk_lookup_seat **seats)
{
    uint64_t at = slot_start(concert_id, day);
    int i, got;

    for (i = 0; i < MT_PROBE; ++i) {
        mt_seat_slot *slot = seat_slot(at + i);
        if ((got = slot_copy(p, slot, concert_id, day, h, seats)) != 0) {
            touch(slot);
            return got;
        }
    }
    return 0;
}

/* The slot for a date: the one it has, else an empty one, else the one
 * of its window read longest ago; NULL when all are being written. */
static mt_seat_slot *seats_place(int64_t concert_id, int64_t day)
{
    uint64_t at = slot_start(concert_id, day);
    mt_seat_slot *empty = NULL, *oldest = NULL;
    mt_seat_head h;
    int i;

    for (i = 0; i < MT_PROBE; ++i) {
        mt_seat_slot *slot = seat_slot(at + i);
        if (!tk_seqlock_copy(&slot->lock, &h, &slot->head, sizeof(h), MT_READ_TRIES)) {
            continue;
        }
        if (h.concert_id == concert_id && h.day == day) {
            return slot;
        }
        if (!empty && h.concert_id == 0) {
            empty = slot;
        }
        if (!oldest || apr_atomic_read64(&slot->used_at) < apr_atomic_read64(&oldest->used_at)) {
            oldest = slot;
        }
    }
    return empty ? empty : oldest;
}

static void seats_too_many(server_rec *s, int64_t concert_id, int64_t day)
{
    static volatile apr_uint64_t last;
    char date[11];

    if (mt_log_due(&last)) {
        tk_lookup_day_text(day, date);
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s,
                     TKLOG(043) "the seats of concert %" APR_INT64_T_FMT " on %s "
                     "do not fit the lookups' copy (at most %d seats in all; seat "
                     "numbers up to %" APR_INT64_T_FMT ", prices up to %"
                     APR_INT64_T_FMT "): the database answers for them (at "
                     "most every 10 s per process)", (apr_int64_t)concert_id, date,
                     TK_LOOKUP_MAX_SEATS, (apr_int64_t)TK_LOOKUP_SEAT_NUM_MAX,
                     (apr_int64_t)TK_LOOKUP_PRICE_MAX);
    }
}

/* Room for n seats in the slot (which the caller holds): its own region,
 * or a new one from the arena; 0 when the arena is spent. */
static int seats_room(mt_seat_slot *slot, int64_t n)
{
    int64_t room = (n + SEAT_ROOM_STEP - 1) / SEAT_ROOM_STEP * SEAT_ROOM_STEP;
    int64_t at;

    if (n <= slot->head.seats_room) {
        return 1;
    }
    at = (int64_t)apr_atomic_add64(&mt_lookup_seg->seats_used, (apr_uint64_t)room);
    if (at < 0 || room > TK_LOOKUP_MAX_SEATS - at) {
        return 0;
    }
    slot->head.seats_at = at;
    slot->head.seats_room = room;
    return 1;
}

/* Puts the date's copy (h, and its seats unless h->nseats is -1: it does
 * not fit) into its slot; 0 when it did not fit. */
static int seats_install(const mt_seat_head *h, const tk_lookup_seat *seats,
                         apr_time_t now)
{
    mt_seat_slot *slot = seats_place(h->concert_id, h->day);
    uint64_t held = slot ? tk_seqlock_write_begin(&slot->lock, now) : 0;
    int fits = h->nseats >= 0;

    if (!held) {
        return fits;    /* others are writing there: their copies will do */
    }
    fits = fits && seats_room(slot, h->nseats);
    if (fits) {
        memcpy(&mt_lookup_seg->seats[slot->head.seats_at], seats,
               sizeof(tk_lookup_seat) * (size_t)h->nseats);
    }
    slot->head.concert_id = h->concert_id;
    slot->head.day = h->day;
    slot->head.schedule_id = h->schedule_id;
    slot->head.starts_at = h->starts_at;
    slot->head.refreshed_at = h->refreshed_at;
    slot->head.gen = h->gen;
    /* (one that does not fit is remembered as such, and asked again
     * only when due) */
    slot->head.nseats = fits ? h->nseats : -1;
    apr_atomic_set64(&slot->used_at, (apr_uint64_t)now);
    tk_seqlock_write_end(&slot->lock, held);
    return fits;
}

/* The result as the date's seats into h and seats (h->nseats -1 when a
 * seat does not fit a record). */
static void seats_stage(apr_pool_t *p, const PGresult *res, apr_time_t after,
                        mt_seat_head *h, tk_lookup_seat **seats)
{
    int i, n = PQntuples(res);

    *seats = apr_palloc(p, sizeof(tk_lookup_seat) * (apr_size_t)(n + 1));
    h->nseats = 0;
    if (n > 0) {
        h->schedule_id = mt_db_int64(res, 0, 0);
        h->starts_at = tk_lookup_end(after, mt_db_int64(res, 0, 1));
    }
    for (i = 0; i < n && !mt_db_is_null(res, i, 2); ++i) {
        if (h->nseats >= TK_LOOKUP_MAX_SEATS
            || tk_lookup_seat_set(&(*seats)[h->nseats++], mt_db_int64(res, i, 2),
                                  mt_db_int64(res, i, 3), mt_db_int64(res, i, 4),
                                  tk_lookup_end(after, mt_db_int64(res, i, 5))) != 0) {
            h->nseats = -1;
            return;
        }
    }
}

/* Refreshes the date's seats (the caller has the claim of its bucket,
 * made at asked): 1, or 0 with *rc (MT_DB_OK: it does not fit). */
static int seats_refresh(request_rec *r, int64_t concert_id, int64_t day,
                         apr_time_t asked, mt_db_rc *rc)
{
    mt_date_bucket *b = &mt_lookup_seg->dates[mt_lookup_date_bucket(day)];
    mt_seat_head h;
    const char *params[2];
    tk_lookup_seat *seats;
    char date[11];
    PGresult *res;
    apr_time_t after;
    int ok = 0;

    memset(&h, 0, sizeof(h));
    h.concert_id = concert_id;
    h.day = day;
    h.refreshed_at = asked;
    h.gen = apr_atomic_read64(&b->changed);
    tk_lookup_day_text(day, date);
    params[0] = mt_i64_text(r->pool, concert_id);
    params[1] = date;
    if ((res = mt_db_run(r, &SEATS, params, rc)) != NULL) {
        after = apr_time_now();
        seats_stage(r->pool, res, after, &h, &seats);
        if (!(ok = seats_install(&h, seats, after))) {
            seats_too_many(r->server, concert_id, day);
        }
    }
    mt_lookup_unclaim(&b->asked_at, asked);
    return ok;
}

int mt_lookup_seats(request_rec *r, int64_t concert_id, int64_t day,
                    mt_seat_copy *copy, mt_db_rc *rc)
{
    int64_t max_age = mt_lookup_max_age(r->server);
    mt_date_bucket *b;
    mt_seat_head h;
    apr_time_t now;
    int round, got, current, ok = 0;

    *rc = MT_DB_OK;
    for (round = 0; max_age > 0; ++round) {
        b = &mt_lookup_seg->dates[mt_lookup_date_bucket(day)];
        now = apr_time_now();
        got = seats_copy(r->pool, concert_id, day, &h, &copy->seats);
        current = got != 0 && h.gen == apr_atomic_read64(&b->changed)
                  && tk_lookup_fresh(h.refreshed_at, now, max_age);
        ok = got > 0 && current;
        if ((current && !tk_lookup_due(h.refreshed_at, now, max_age))
            || round > 0 || !mt_lookup_claim(&b->asked_at, now)) {
            break;
        }
        if (!seats_refresh(r, concert_id, day, now, rc)) {
            return 0;
        }
    }
    if (!ok) {
        return 0;
    }
    copy->schedule_id = h.schedule_id;
    copy->starts_at = h.starts_at;
    copy->nseats = (int)h.nseats;
    return 1;
}
