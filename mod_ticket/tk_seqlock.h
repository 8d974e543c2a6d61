/* tk_seqlock.h: a sequence lock over a record in shared memory.
 *
 * Readers never wait and never keep a torn record: they copy the record
 * out between two reads of its lock word and keep the copy only when the
 * word was even (unlocked) and did not move. One writer at a time takes
 * the word (try-lock: a writer that finds it taken gives up, it never
 * waits); a writer that died while writing leaves the word odd, and the
 * next writer takes it over once it has been held longer than
 * TK_SEQLOCK_TAKEOVER_US, so a dead child wedges nobody (readers meanwhile
 * find no copy and ask the database).
 *
 * The word: odd while held, (the time it was taken, in ms) << 1 | 1; even
 * when free, 2 × the number of releases so far (the writes counter), so
 * that an even word never comes back and a reader cannot mistake two
 * writes for none. Built on the compiler's __atomic builtins (gcc, clang);
 * no I/O, no clock of its own (callers pass the time). */
#ifndef TK_SEQLOCK_H
#define TK_SEQLOCK_H

#include <stddef.h>
#include <stdint.h>

/* How long a holder may keep the lock before another writer takes it
 * over (a writer holds it for a memcpy; longer means it died). */
#define TK_SEQLOCK_TAKEOVER_US INT64_C(1000000)

typedef struct {
    volatile uint64_t word;
    volatile uint64_t writes;   /* releases so far */
} tk_seqlock;

/* The word at the start of a read: even, or 1 when a writer holds it
 * (no copy now). */
uint64_t tk_seqlock_read_begin(const tk_seqlock *l);

/* Whether the copy made since begin is whole (the word is still begin). */
int tk_seqlock_read_valid(const tk_seqlock *l, uint64_t begin);

/* Copies n bytes of a record under l from src to dst: 1 when the copy is
 * whole, 0 when a writer got in the way (tries times). */
int tk_seqlock_copy(const tk_seqlock *l, void *dst, const volatile void *src,
                    size_t n, int tries);

/* Takes the lock at now (microseconds, any clock that only goes forward
 * between callers): the odd word it set (pass it to release), or 0 when
 * another live writer holds it. */
uint64_t tk_seqlock_write_begin(tk_seqlock *l, int64_t now);

/* Releases the lock taken as held; 0 when it was taken over meanwhile
 * (the new holder releases it then). */
int tk_seqlock_write_end(tk_seqlock *l, uint64_t held);

#endif
