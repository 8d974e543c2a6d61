/* tk_queue.c: waiting-room arithmetic (tk_queue.h). */
#include <stdlib.h>
#include <errno.h>
#include "tk_queue.h"

int64_t tk_queue_position(int64_t seq, int64_t head)
{
    return seq > head ? seq - head : 0;
}

int64_t tk_queue_place(const tk_queue_view *v, int64_t seq)
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

int tk_queue_read_gaps(const char *text, tk_queue_view *v)
{
    const char *p = text;
    int64_t pair[2];
    int n = 0, k = 0;
    char *end;

    v->ngaps = 0;
    if (!p || *p++ != '{') {
        return -1;
    }
    while (*p && *p != '}') {
        errno = 0;
        pair[k] = strtoll(p, &end, 10);
        if (end == p || errno || (*end != ',' && *end != '}')
            || (*end == ',' && end[1] == '}')) {
            v->ngaps = 0;
            return -1;
        }
        p = *end == ',' ? end + 1 : end;
        if (++k == 2) {
            k = 0;
            if (pair[0] > pair[1]) {
                v->ngaps = 0;
                return -1;
            }
            if (n < TK_QUEUE_MAX_GAPS) {
                v->gaps[n][0] = pair[0];
                v->gaps[n][1] = pair[1];
                v->ngaps = ++n;
            }
        }
    }
    if (*p != '}' || p[1] != '\0' || k != 0) {
        v->ngaps = 0;
        return -1;
    }
    return 0;
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
