/* tk_queue.c: waiting-room arithmetic (tk_queue.h). */
#include "tk_queue.h"

int64_t tk_queue_position(int64_t seq, int64_t head)
{
    return seq > head ? seq - head : 0;
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
