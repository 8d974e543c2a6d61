/* tk_seqlock.c: the sequence lock (tk_seqlock.h). */
#include <string.h>
#include "tk_seqlock.h"

/* The odd word of a lock taken at now. */
static uint64_t held_word(int64_t now)
{
    return ((uint64_t)(now > 0 ? now : 0) / 1000) << 1 | 1;
}

uint64_t tk_seqlock_read_begin(const tk_seqlock *l)
{
    uint64_t w = __atomic_load_n(&l->word, __ATOMIC_ACQUIRE);

    return (w & 1) ? 1 : w;
}

int tk_seqlock_read_valid(const tk_seqlock *l, uint64_t begin)
{
    /* the copy's loads come before the second look at the word */
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    return !(begin & 1) && __atomic_load_n(&l->word, __ATOMIC_RELAXED) == begin;
}

int tk_seqlock_copy(const tk_seqlock *l, void *dst, const volatile void *src,
                    size_t n, int tries)
{
    uint64_t begin;

    while (tries-- > 0) {
        if ((begin = tk_seqlock_read_begin(l)) & 1) {
            continue;
        }
        /* (a racing writer may change src under memcpy: the copy is then
         * thrown away, never used) */
        memcpy(dst, (const void *)src, n);
        if (tk_seqlock_read_valid(l, begin)) {
            return 1;
        }
    }
    return 0;
}

uint64_t tk_seqlock_write_begin(tk_seqlock *l, int64_t now)
{
    uint64_t w = __atomic_load_n(&l->word, __ATOMIC_ACQUIRE);
    uint64_t mine = held_word(now);

    if (w & 1) {
        /* held: by a live writer for a moment, or by one that died */
        int64_t since = (int64_t)(w >> 1) * 1000;
        if (now - since <= TK_SEQLOCK_TAKEOVER_US) {
            return 0;
        }
    }
    if (!__atomic_compare_exchange_n(&l->word, &w, mine, 0, __ATOMIC_ACQ_REL,
                                      __ATOMIC_RELAXED)) {
        return 0;       /* another writer was faster */
    }
    /* the record's stores come after the odd word */
    __atomic_thread_fence(__ATOMIC_RELEASE);
    return mine;
}

int tk_seqlock_write_end(tk_seqlock *l, uint64_t held)
{
    uint64_t next = (__atomic_add_fetch(&l->writes, 1, __ATOMIC_RELAXED)) << 1;

    return __atomic_compare_exchange_n(&l->word, &held, next, 0, __ATOMIC_RELEASE,
                                       __ATOMIC_RELAXED);
}
