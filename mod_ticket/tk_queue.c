/* tk_queue.c: waiting-room arithmetic (tk_queue.h). */
#include <stdlib.h>
#include <errno.h>
#include "tk_queue.h"

int64_t tk_queue_position(int64_t seq, int64_t head)
{
    return seq > head ? seq - head : 0;
}

/* The place in arrival order behind head. */
static int64_t fifo_place(const tk_queue_view *v, int64_t seq)
{
    int64_t position = tk_queue_position(seq, v->head);
    int i;

    for (i = 0; position > 0 && i < v->ngaps && i < TK_QUEUE_MAX_GAPS; ++i) {
        int64_t lo = v->gaps[i][0] > v->head ? v->gaps[i][0] : v->head + 1;
        int64_t hi = v->gaps[i][1] < seq ? v->gaps[i][1] : seq - 1;
        if (lo <= hi) {
            position -= hi - lo + 1;
        }
    }
    return position < 1 && seq > v->head ? 1 : position;
}

/* Reads "{a,b,c,d}" into pairs (at most max of them kept): the number
 * of pairs, or -1 when it is not that (or a pair is out of order and
 * ordered is set). */
static int read_pairs(const char *text, int64_t (*pairs)[2], int max, int ordered)
{
    const char *p = text;
    int64_t pair[2];
    int n = 0, k = 0;
    char *end;

    if (!p || *p++ != '{') {
        return -1;
    }
    while (*p && *p != '}') {
        errno = 0;
        pair[k] = strtoll(p, &end, 10);
        if (end == p || errno || (*end != ',' && *end != '}')
            || (*end == ',' && end[1] == '}')) {
            return -1;
        }
        p = *end == ',' ? end + 1 : end;
        if (++k == 2) {
            k = 0;
            if (ordered && pair[0] > pair[1]) {
                return -1;
            }
            if (n < max) {
                pairs[n][0] = pair[0];
                pairs[n][1] = pair[1];
                ++n;
            }
        }
    }
    return *p == '}' && p[1] == '\0' && k == 0 ? n : -1;
}

int tk_queue_read_gaps(const char *text, tk_queue_view *v)
{
    int n = read_pairs(text, v->gaps, TK_QUEUE_MAX_GAPS, 1);

    v->ngaps = n < 0 ? 0 : n;
    return n < 0 ? -1 : 0;
}

int tk_queue_read_expiries(const char *text, tk_queue_view *v)
{
    int n = read_pairs(text, v->expiries, TK_QUEUE_MAX_EXPIRIES, 0);

    v->nexpiries = n < 0 ? 0 : n;
    return n < 0 ? -1 : 0;
}

int64_t tk_queue_eta_seconds(int64_t position, int64_t admitted_last_minute)
{
    int64_t places;

    if (admitted_last_minute <= 0) {
        return TK_ETA_UNKNOWN;
    }
    if (position <= 0) {
        return 0;
    }
    /* position / (n per 60 s), rounded up; no overflow below 1.5e17 */
    if (position > INT64_MAX / 60) {
        return INT64_MAX / admitted_last_minute;
    }
    places = position * 60;
    return places / admitted_last_minute
           + (places % admitted_last_minute != 0);
}

int64_t tk_queue_poll_after_ms(int64_t position, int64_t eta_seconds)
{
    int64_t ms;

    if (eta_seconds == TK_ETA_UNKNOWN) {
        ms = position > TK_POLL_MAX_MS / 200 ? TK_POLL_MAX_MS : position * 200;
    }
    else {
        ms = eta_seconds > TK_POLL_MAX_MS ? TK_POLL_MAX_MS : eta_seconds * 250;
        /* near the front a slot can open at any moment (a payment) */
        if (position < TK_POLL_MAX_MS / 1000 && ms > position * 1000) {
            ms = position * 1000;
        }
    }
    if (ms < TK_POLL_MIN_MS) {
        return TK_POLL_MIN_MS;
    }
    return ms > TK_POLL_MAX_MS ? TK_POLL_MAX_MS : ms;
}

int64_t tk_queue_behind_free_slots(int64_t position, int64_t free_slots)
{
    return free_slots > 0 ? position - (position < free_slots ? position : free_slots)
                          : position;
}

int64_t tk_queue_waiting_count(int64_t waiting, int64_t position)
{
    return waiting > position ? waiting : position;
}

/* Seconds from now until instant at, rounded up, never below 0. */
static int64_t seconds_until(int64_t at, int64_t now)
{
    return at <= now ? 0 : (at - now + 999999) / 1000000;
}

/* The expiry bound: seconds until the position-th earliest expiry, by
 * the latest known rank at or below it; TK_ETA_UNKNOWN without one. */
static int64_t expiry_bound(const tk_queue_view *v, int64_t position, int64_t now)
{
    int64_t at = -1;
    int i;

    for (i = 0; i < v->nexpiries && i < TK_QUEUE_MAX_EXPIRIES; ++i) {
        if (v->expiries[i][0] <= position) {
            at = v->expiries[i][1];
        }
    }
    return at < 0 ? TK_ETA_UNKNOWN : seconds_until(at, now);
}

/* The larger of two estimates, where TK_ETA_UNKNOWN is no estimate. */
static int64_t later(int64_t a, int64_t b)
{
    if (a == TK_ETA_UNKNOWN) {
        return b;
    }
    return b == TK_ETA_UNKNOWN || a >= b ? a : b;
}

int64_t tk_queue_eta(const tk_queue_view *v, const tk_queue_rules *rules,
                     int64_t position, int64_t now)
{
    int64_t free_slots = rules->capacity - v->in_service;
    int64_t eta;

    if (rules->paused) {
        return TK_ETA_UNKNOWN;
    }
    eta = tk_queue_eta_seconds(position, v->admitted_last_minute);
    if (free_slots >= position) {
        eta = rules->interval;          /* the next advancement takes it */
    }
    if (rules->admit_rate > 0) {
        eta = later(eta, tk_queue_eta_seconds(position, rules->admit_rate));
    }
    if (free_slots <= 0 && v->early_ends_last_minute == 0) {
        eta = later(eta, expiry_bound(v, position, now));
    }
    return eta;
}

int64_t tk_queue_place(const tk_queue_view *v, int64_t seq)
{
    int64_t end = v->shuffle_base + v->shuffle_size, place;
    tk_queue_view behind;

    if (v->shuffle_size <= 0 || seq <= v->shuffle_base) {
        return fifo_place(v, seq);
    }
    if (seq <= end) {
        place = tk_shuffle_place(v->shuffle_key, v->shuffle_size,
                                 seq - v->shuffle_base - 1);
        return place >= v->shuffle_done ? place - v->shuffle_done + 1 : 0;
    }
    behind = *v;
    behind.head = v->head > end ? v->head : end;
    return (v->shuffle_done < v->shuffle_size ? v->shuffle_size - v->shuffle_done : 0)
           + fifo_place(&behind, seq);
}

int tk_queue_in_prequeue(const tk_queue_view *v, const tk_queue_rules *rules)
{
    return rules->sale_start != 0 && v->shuffle_start != rules->sale_start;
}

#define PREQUEUE_SPREAD_MIN_MS 5000
#define PREQUEUE_SPREAD_MAX_MS 25000

int64_t tk_queue_prequeue_poll_ms(int64_t until_ms, int64_t interval_ms,
                                  int64_t waiting, int64_t seq)
{
    int64_t spread = waiting / 4, ms;
    uint64_t mix = (uint64_t)seq * UINT64_C(0x9E3779B97F4A7C15);

    if (until_ms > TK_POLL_MAX_MS) {
        return TK_POLL_MAX_MS;
    }
    /* a quarter of a ms per waiting token: 100,000 spread over 25 s */
    spread = spread < PREQUEUE_SPREAD_MIN_MS ? PREQUEUE_SPREAD_MIN_MS
             : spread > PREQUEUE_SPREAD_MAX_MS ? PREQUEUE_SPREAD_MAX_MS : spread;
    ms = (until_ms > 0 ? until_ms : 0) + interval_ms
         + (int64_t)((mix >> 32) % (uint64_t)spread);
    return ms < TK_POLL_MIN_MS ? TK_POLL_MIN_MS
           : ms > TK_POLL_MAX_MS ? TK_POLL_MAX_MS : ms;
}

int64_t tk_queue_poll_within_claim(int64_t ms, const tk_queue_rules *rules)
{
    int64_t cap;

    if (rules->claim_timeout <= 0) {
        return ms;
    }
    cap = (rules->claim_timeout - rules->interval) * 1000 / 2;
    cap = cap < TK_POLL_MIN_MS ? TK_POLL_MIN_MS : cap;
    return ms < cap ? ms : cap;
}

int64_t tk_queue_waiting_now(const tk_queue_view *v)
{
    int64_t newest = v->newest > 0 ? tk_queue_place(v, v->newest) : 0;

    return newest > v->waiting ? newest : v->waiting;
}
