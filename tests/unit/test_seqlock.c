/* test_seqlock.c: unit tests of tk_seqlock: readers racing writers never
 * keep a torn record; a writer that died holding the lock wedges neither
 * readers nor, after the takeover time, writers. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <pthread.h>
#include <time.h>
#include <setjmp.h>
#include <cmocka.h>

#include "tk_seqlock.h"

#define WORDS 512               /* a record of 4 KB */
#define WRITES 20000
#define READERS 3

static struct {
    tk_seqlock lock;
    volatile uint64_t record[WORDS];
} shared;

static volatile int writing;

static int64_t now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Writes record i: every word i, one at a time (a torn copy mixes two). */
static void *writer(void *arg)
{
    uint64_t i, held;
    int w;

    (void)arg;
    for (i = 1; i <= WRITES; ++i) {
        while (!(held = tk_seqlock_write_begin(&shared.lock, now_us()))) {
        }
        for (w = 0; w < WORDS; ++w) {
            shared.record[w] = i;
        }
        assert_true(tk_seqlock_write_end(&shared.lock, held));
    }
    __atomic_store_n(&writing, 0, __ATOMIC_RELEASE);
    return NULL;
}

/* Copies until the writer is done: every whole copy has one value. */
static void *reader(void *arg)
{
    static uint64_t copy[READERS][WORDS];
    uint64_t *mine = copy[(intptr_t)arg], last = 0;
    long whole = 0, torn = 0;
    int w;

    while (__atomic_load_n(&writing, __ATOMIC_ACQUIRE)) {
        if (!tk_seqlock_copy(&shared.lock, mine, shared.record, sizeof(copy[0]), 1)) {
            continue;
        }
        ++whole;
        for (w = 1; w < WORDS; ++w) {
            torn += mine[w] != mine[0];
        }
        /* and never older than a copy before it */
        torn += mine[0] < last;
        last = mine[0];
    }
    return (void *)(intptr_t)(torn ? -1 : whole);
}

static void test_readers_never_keep_a_torn_copy(void **state)
{
    pthread_t wt, rt[READERS];
    void *got;
    long whole = 0;
    intptr_t i;
    (void)state;

    memset(&shared, 0, sizeof(shared));
    writing = 1;
    for (i = 0; i < READERS; ++i) {
        assert_int_equal(pthread_create(&rt[i], NULL, reader, (void *)i), 0);
    }
    assert_int_equal(pthread_create(&wt, NULL, writer, NULL), 0);
    pthread_join(wt, NULL);
    for (i = 0; i < READERS; ++i) {
        pthread_join(rt[i], &got);
        assert_true((intptr_t)got >= 0);
        whole += (intptr_t)got;
    }
    print_message("%d writes, %ld whole copies, none torn\n", WRITES, whole);
    /* the final record is whole and the newest */
    assert_int_equal(shared.record[0], WRITES);
    assert_int_equal(shared.record[WORDS - 1], WRITES);
}

static void test_one_writer_at_a_time(void **state)
{
    tk_seqlock l;
    uint64_t a, b;
    int64_t t = INT64_C(1764000000000000);
    (void)state;

    memset(&l, 0, sizeof(l));
    assert_int_equal(tk_seqlock_read_begin(&l), 0);     /* a new record */
    a = tk_seqlock_write_begin(&l, t);
    assert_true(a & 1);
    assert_int_equal(tk_seqlock_read_begin(&l), 1);     /* held: no copy */
    assert_int_equal(tk_seqlock_write_begin(&l, t + 1000), 0);
    assert_true(tk_seqlock_write_end(&l, a));
    b = tk_seqlock_read_begin(&l);
    assert_true(b != 0 && !(b & 1));
    assert_true(tk_seqlock_read_valid(&l, b));
    /* a write since begin makes the copy not whole, also a write that
     * ends where it started from (the even word never comes back) */
    a = tk_seqlock_write_begin(&l, t + 2000);
    assert_false(tk_seqlock_read_valid(&l, b));
    assert_true(tk_seqlock_write_end(&l, a));
    assert_false(tk_seqlock_read_valid(&l, b));
    assert_false(tk_seqlock_read_valid(&l, 1));
}

/* A writer that died holding the lock: readers get no copy (and do not
 * wait), writers are refused for the takeover time, then one takes over;
 * the dead writer's release (had it lived on) no longer releases. */
static void test_dead_writer_is_taken_over(void **state)
{
    tk_seqlock l;
    uint64_t dead, next;
    int64_t t = INT64_C(1764000000000000);
    uint64_t src[4] = {1, 2, 3, 4}, dst[4];
    (void)state;

    memset(&l, 0, sizeof(l));
    dead = tk_seqlock_write_begin(&l, t);
    assert_true(dead != 0);
    assert_false(tk_seqlock_copy(&l, dst, src, sizeof(src), 100));
    assert_int_equal(tk_seqlock_write_begin(&l, t + TK_SEQLOCK_TAKEOVER_US), 0);
    next = tk_seqlock_write_begin(&l, t + TK_SEQLOCK_TAKEOVER_US + 1000);
    assert_true(next != 0 && next != dead);
    assert_false(tk_seqlock_write_end(&l, dead));
    assert_false(tk_seqlock_copy(&l, dst, src, sizeof(src), 1));
    assert_true(tk_seqlock_write_end(&l, next));
    assert_true(tk_seqlock_copy(&l, dst, src, sizeof(src), 1));
    assert_memory_equal(dst, src, sizeof(src));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_writer_at_a_time),
        cmocka_unit_test(test_dead_writer_is_taken_over),
        cmocka_unit_test(test_readers_never_keep_a_torn_copy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
