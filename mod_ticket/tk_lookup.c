/* tk_lookup.c: the lookups' copy, its records and arithmetic (tk_lookup.h). */
#include <string.h>
#include "tk_lookup.h"

#define PRICE_BITS 44
/* A refresh under load takes many times its idle time (make bench: the
 * tokens' check about 55 ms on average); started this much before the
 * copy ages out, it is done before the others must ask the database. */
#define MARGIN_MAX INT64_C(125000)      /* 125 ms */

int tk_lookup_seat_set(tk_lookup_seat *s, int64_t seat_id, int64_t seat_num,
                       int64_t price, int64_t free_at)
{
    if (seat_id < 1 || seat_num < 1 || seat_num > TK_LOOKUP_SEAT_NUM_MAX
        || price < 1 || price > TK_LOOKUP_PRICE_MAX) {
        return -1;
    }
    s->seat_id = seat_id;
    s->num_price = (uint64_t)seat_num << PRICE_BITS | (uint64_t)price;
    s->free_at = free_at > 0 ? free_at : 0;
    return 0;
}

int64_t tk_lookup_seat_num(const tk_lookup_seat *s)
{
    return (int64_t)(s->num_price >> PRICE_BITS);
}

int64_t tk_lookup_seat_price(const tk_lookup_seat *s)
{
    return (int64_t)(s->num_price & (((uint64_t)1 << PRICE_BITS) - 1));
}

int tk_lookup_seat_free(const tk_lookup_seat *s, int64_t now)
{
    return s->free_at <= now;
}

int tk_lookup_concert_index(const tk_lookup_catalogue *c, int64_t concert_id)
{
    int lo = 0, hi = c->nconcerts - 1;

    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2;
        int64_t id = c->concerts[mid].concert_id;
        if (id == concert_id) {
            return mid;
        }
        if (id < concert_id) {
            lo = mid + 1;
        }
        else {
            hi = mid - 1;
        }
    }
    return -1;
}

const char *tk_lookup_title(const tk_lookup_catalogue *c, int index, size_t *len)
{
    const tk_lookup_concert *k;

    if (index < 0 || index >= c->nconcerts) {
        return NULL;
    }
    k = &c->concerts[index];
    if ((size_t)k->title_at > c->titles_len
        || (size_t)k->title_len > c->titles_len - k->title_at) {
        return NULL;
    }
    *len = k->title_len;
    return c->titles + k->title_at;
}

/* The first schedule whose concert is not below concert_id. */
static int first_schedule_of(const tk_lookup_catalogue *c, int64_t concert_id)
{
    int lo = 0, hi = c->nschedules;

    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (c->schedules[mid].concert_id < concert_id) {
            lo = mid + 1;
        }
        else {
            hi = mid;
        }
    }
    return lo;
}

const tk_lookup_schedule *tk_lookup_schedules_of(const tk_lookup_catalogue *c,
                                                 int64_t concert_id, int *n)
{
    int first = first_schedule_of(c, concert_id), last = first;

    while (last < c->nschedules && c->schedules[last].concert_id == concert_id) {
        ++last;
    }
    *n = last - first;
    return c->schedules + first;
}

const tk_lookup_schedule *tk_lookup_schedule_on(const tk_lookup_catalogue *c,
                                                int64_t concert_id, int64_t day)
{
    int i, n;
    const tk_lookup_schedule *s = tk_lookup_schedules_of(c, concert_id, &n);

    for (i = 0; i < n; ++i) {
        if (s[i].day == day) {
            return &s[i];
        }
    }
    return NULL;
}

int tk_lookup_bookable(const tk_lookup_schedule *s, int64_t now)
{
    return now < s->starts_at;
}

int64_t tk_lookup_free_now(const tk_lookup_schedule *s, int64_t now)
{
    return s->next_free_at <= now ? -1 : s->free;
}

int tk_lookup_available(const tk_lookup_catalogue *c, int64_t concert_id,
                        int64_t now)
{
    int i, n;
    const tk_lookup_schedule *s = tk_lookup_schedules_of(c, concert_id, &n);

    for (i = 0; i < n; ++i) {
        /* a hold that ended since the refresh freed its seat */
        if (tk_lookup_bookable(&s[i], now)
            && (s[i].free > 0 || s[i].next_free_at <= now)) {
            return 1;
        }
    }
    return 0;
}

int tk_lookup_dates_known(const tk_lookup_catalogue *c, int64_t concert_id,
                          int64_t now)
{
    int i, n;
    const tk_lookup_schedule *s = tk_lookup_schedules_of(c, concert_id, &n);

    for (i = 0; i < n; ++i) {
        if (tk_lookup_bookable(&s[i], now) && tk_lookup_free_now(&s[i], now) < 0) {
            return 0;
        }
    }
    return 1;
}

int64_t tk_lookup_day(int year, int month, int day)
{
    return (int64_t)year * 10000 + month * 100 + day;
}

void tk_lookup_day_text(int64_t day, char out[11])
{
    /* digit by digit: YYYY-MM-DD of a non-negative yyyymmdd */
    static const int digit_at[8] = {0, 1, 2, 3, 5, 6, 8, 9};
    uint64_t d = day > 0 ? (uint64_t)day : 0;
    int i;

    memcpy(out, "0000-00-00", 11);
    for (i = 7; i >= 0; --i, d /= 10) {
        out[digit_at[i]] = (char)('0' + d % 10);
    }
}

int64_t tk_lookup_end(int64_t after, int64_t remaining)
{
    if (remaining <= 0) {
        return 0;
    }
    return remaining > TK_LOOKUP_NEVER - after ? TK_LOOKUP_NEVER : after + remaining;
}

int tk_lookup_fresh(int64_t refreshed_at, int64_t now, int64_t max_age)
{
    return refreshed_at > 0 && refreshed_at <= now && now - refreshed_at <= max_age;
}

int tk_lookup_due(int64_t refreshed_at, int64_t now, int64_t max_age)
{
    int64_t margin = max_age / 4 < MARGIN_MAX ? max_age / 4 : MARGIN_MAX;

    return !tk_lookup_fresh(refreshed_at, now, max_age)
           || !tk_lookup_fresh(refreshed_at, now + margin, max_age);
}

tk_lookup_token_state tk_lookup_token_judge(int64_t ends_at, int64_t checked_at,
                                            int64_t now, int64_t max_age)
{
    if (ends_at <= now) {
        return TK_LOOKUP_TOKEN_EXPIRED;
    }
    return tk_lookup_fresh(checked_at, now, max_age) ? TK_LOOKUP_TOKEN_SERVICE
                                                     : TK_LOOKUP_TOKEN_ASK;
}

uint64_t tk_lookup_hash(int64_t a, int64_t b)
{
    uint64_t z = (uint64_t)a * UINT64_C(0x9e3779b97f4a7c15) ^ (uint64_t)b;

    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}
