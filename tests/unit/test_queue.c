/* test_queue.c: unit tests of tk_queue (waiting-room arithmetic). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>

#include "tk_queue.h"

/* openapi.yaml: pollAfterMs is within 1,000-30,000 */
static void test_poll_limits(void **state)
{
    (void)state;
    assert_int_equal(TK_POLL_MIN_MS, 1000);
    assert_int_equal(TK_POLL_MAX_MS, 30000);
    assert_int_equal(TK_ETA_UNKNOWN, -1);
}

static void test_position(void **state)
{
    (void)state;
    assert_int_equal(tk_queue_position(10, 5), 5);
    assert_int_equal(tk_queue_position(6, 5), 1);      /* next in line */
    assert_int_equal(tk_queue_position(5, 5), 0);      /* head reached it */
    assert_int_equal(tk_queue_position(4, 5), 0);      /* head passed it */
    assert_int_equal(tk_queue_position(1, 1000), 0);
    assert_int_equal(tk_queue_position(1, 0), 1);
    assert_int_equal(tk_queue_position(250, 0), 250);
    assert_int_equal(tk_queue_position(INT64_MAX, 0), INT64_MAX);
    assert_int_equal(tk_queue_position(INT64_MAX, INT64_MAX - 1), 1);
    assert_int_equal(tk_queue_position(INT64_MAX, INT64_MAX), 0);
    assert_int_equal(tk_queue_position(1, INT64_MAX), 0);
}

static void test_position_never_grows(void **state)
{
    int64_t seq = 1000, head, prev = INT64_MAX, pos;
    (void)state;
    for (head = 0; head <= 1100; ++head) {
        pos = tk_queue_position(seq, head);
        assert_true(pos <= prev);
        assert_true(pos >= 0);
        assert_int_equal(pos, head < seq ? seq - head : 0);
        prev = pos;
    }
}

static void test_eta_unknown(void **state)
{
    (void)state;
    assert_int_equal(tk_queue_eta_seconds(1, 0), TK_ETA_UNKNOWN);
    assert_int_equal(tk_queue_eta_seconds(0, 0), TK_ETA_UNKNOWN);
    assert_int_equal(tk_queue_eta_seconds(1000, 0), TK_ETA_UNKNOWN);
    assert_int_equal(tk_queue_eta_seconds(INT64_MAX, 0), TK_ETA_UNKNOWN);
    assert_int_equal(tk_queue_eta_seconds(5, -1), TK_ETA_UNKNOWN);
}

static void test_eta_examples(void **state)
{
    (void)state;
    assert_int_equal(tk_queue_eta_seconds(1, 60), 1);
    assert_int_equal(tk_queue_eta_seconds(61, 60), 61);
    assert_int_equal(tk_queue_eta_seconds(60, 60), 60);
    assert_int_equal(tk_queue_eta_seconds(1, 120), 1);     /* 0.5 s -> 1 */
    assert_int_equal(tk_queue_eta_seconds(2, 120), 1);
    assert_int_equal(tk_queue_eta_seconds(3, 120), 2);     /* 1.5 s -> 2 */
    assert_int_equal(tk_queue_eta_seconds(1, 1), 60);
    assert_int_equal(tk_queue_eta_seconds(2, 1), 120);
    assert_int_equal(tk_queue_eta_seconds(7, 3), 140);
    assert_int_equal(tk_queue_eta_seconds(100, 7), 858);   /* 857.14 */
    assert_int_equal(tk_queue_eta_seconds(12, 24), 30);
    assert_int_equal(tk_queue_eta_seconds(1, 1000000), 1);
    assert_int_equal(tk_queue_eta_seconds(0, 60), 0);
}

/* eta is the least whole number of seconds s with s * rate >= position * 60 */
static void test_eta_is_ceiling(void **state)
{
    int64_t pos, rate, eta;
    (void)state;
    for (rate = 1; rate <= 240; ++rate) {
        for (pos = 1; pos <= 2000; ++pos) {
            eta = tk_queue_eta_seconds(pos, rate);
            if (!(eta * rate >= pos * 60 && (eta - 1) * rate < pos * 60)) {
                fail_msg("eta(%lld, %lld) = %lld", (long long)pos,
                         (long long)rate, (long long)eta);
            }
        }
    }
}

static void test_eta_huge_positions(void **state)
{
    static const int64_t rates[] = {1, 7, 60, 120, 6000, 1000000};
    static const int64_t positions[] = {
        INT64_C(1000000000000000), INT64_MAX / 60 - 1, INT64_MAX / 60,
        INT64_MAX / 60 + 1, INT64_MAX / 2, INT64_MAX - 1, INT64_MAX,
    };
    size_t r, i;
    int64_t eta, base;
    (void)state;
    for (r = 0; r < sizeof(rates) / sizeof(rates[0]); ++r) {
        /* 10^15 places: exact, and no overflow on the way (UBSan) */
        base = tk_queue_eta_seconds(INT64_C(1000000000000000), rates[r]);
        assert_true(base >= INT64_C(60000000000000000) / rates[r]);
        for (i = 0; i < sizeof(positions) / sizeof(positions[0]); ++i) {
            eta = tk_queue_eta_seconds(positions[i], rates[r]);
            if (eta < base) {
                fail_msg("eta(%lld, %lld) = %lld, below eta(1e15) = %lld",
                         (long long)positions[i], (long long)rates[r],
                         (long long)eta, (long long)base);
            }
            assert_int_equal(tk_queue_poll_after_ms(positions[i], eta),
                             TK_POLL_MAX_MS);
        }
    }
    /* at one a minute, a position past INT64_MAX / 60 saturates */
    assert_int_equal(tk_queue_eta_seconds(INT64_MAX, 1), INT64_MAX);
}

static void test_poll_unknown_rate(void **state)
{
    (void)state;
    assert_int_equal(tk_queue_poll_after_ms(0, TK_ETA_UNKNOWN), TK_POLL_MIN_MS);
    assert_int_equal(tk_queue_poll_after_ms(1, TK_ETA_UNKNOWN), TK_POLL_MIN_MS);
    assert_int_equal(tk_queue_poll_after_ms(5, TK_ETA_UNKNOWN), 1000);
    assert_int_equal(tk_queue_poll_after_ms(6, TK_ETA_UNKNOWN), 1200);
    assert_int_equal(tk_queue_poll_after_ms(10, TK_ETA_UNKNOWN), 2000);
    assert_int_equal(tk_queue_poll_after_ms(149, TK_ETA_UNKNOWN), 29800);
    assert_int_equal(tk_queue_poll_after_ms(150, TK_ETA_UNKNOWN), TK_POLL_MAX_MS);
    assert_int_equal(tk_queue_poll_after_ms(151, TK_ETA_UNKNOWN), TK_POLL_MAX_MS);
    assert_int_equal(tk_queue_poll_after_ms(1000000, TK_ETA_UNKNOWN),
                     TK_POLL_MAX_MS);
    assert_int_equal(tk_queue_poll_after_ms(INT64_MAX, TK_ETA_UNKNOWN),
                     TK_POLL_MAX_MS);
}

static void test_poll_known_rate(void **state)
{
    (void)state;
    /* a quarter of the eta, clamped (far from the front) */
    assert_int_equal(tk_queue_poll_after_ms(1000, 0), TK_POLL_MIN_MS);
    assert_int_equal(tk_queue_poll_after_ms(1000, 1), TK_POLL_MIN_MS);
    assert_int_equal(tk_queue_poll_after_ms(1000, 4), 1000);
    assert_int_equal(tk_queue_poll_after_ms(1000, 5), 1250);
    assert_int_equal(tk_queue_poll_after_ms(12, 30), 7500);
    assert_int_equal(tk_queue_poll_after_ms(1000, 119), 29750);
    assert_int_equal(tk_queue_poll_after_ms(1000, 120), TK_POLL_MAX_MS);
    assert_int_equal(tk_queue_poll_after_ms(1000, 121), TK_POLL_MAX_MS);
    assert_int_equal(tk_queue_poll_after_ms(1000, 30000), TK_POLL_MAX_MS);
    assert_int_equal(tk_queue_poll_after_ms(1000, 30001), TK_POLL_MAX_MS);
    assert_int_equal(tk_queue_poll_after_ms(1000, INT64_MAX), TK_POLL_MAX_MS);
    /* near the front, at most a second per place, whatever the eta */
    assert_int_equal(tk_queue_poll_after_ms(1, 5), 1000);
    assert_int_equal(tk_queue_poll_after_ms(1, 120), 1000);
    assert_int_equal(tk_queue_poll_after_ms(3, 60), 3000);
    assert_int_equal(tk_queue_poll_after_ms(29, INT64_MAX), 29000);
    assert_int_equal(tk_queue_poll_after_ms(30, INT64_MAX), TK_POLL_MAX_MS);
    /* the eta decides, not the position */
    assert_int_equal(tk_queue_poll_after_ms(100000, 8), 2000);
}

static void test_poll_monotonic(void **state)
{
    static const int64_t rates[] = {1, 3, 7, 60, 120, 1000, 100000};
    int64_t pos, ms, prev;
    size_t r;
    (void)state;
    for (r = 0; r < sizeof(rates) / sizeof(rates[0]); ++r) {
        prev = 0;
        for (pos = 0; pos <= 200000; ++pos) {
            ms = tk_queue_poll_after_ms(pos, tk_queue_eta_seconds(pos, rates[r]));
            assert_in_range(ms, TK_POLL_MIN_MS, TK_POLL_MAX_MS);
            if (ms < prev) {
                fail_msg("pollAfterMs falls from %lld to %lld at position %lld"
                         " (rate %lld)", (long long)prev, (long long)ms,
                         (long long)pos, (long long)rates[r]);
            }
            prev = ms;
        }
        /* it grows with distance: the front polls soon, the back rarely */
        assert_true(tk_queue_poll_after_ms(1, tk_queue_eta_seconds(1, rates[r]))
                    < prev);
        assert_int_equal(prev, TK_POLL_MAX_MS);
    }
    assert_int_equal(tk_queue_poll_after_ms(1, tk_queue_eta_seconds(1, 60)),
                     TK_POLL_MIN_MS);
    /* next in line polls every second even at one admission a minute */
    assert_int_equal(tk_queue_poll_after_ms(1, tk_queue_eta_seconds(1, 1)), 1000);

    prev = 0;
    for (pos = 0; pos <= 200000; ++pos) {
        ms = tk_queue_poll_after_ms(pos, TK_ETA_UNKNOWN);
        assert_in_range(ms, TK_POLL_MIN_MS, TK_POLL_MAX_MS);
        assert_true(ms >= prev);
        prev = ms;
    }
    assert_int_equal(prev, TK_POLL_MAX_MS);
}

static void test_waiting_count(void **state)
{
    int64_t w, p, c;
    (void)state;
    assert_int_equal(tk_queue_waiting_count(250, 17), 250);
    assert_int_equal(tk_queue_waiting_count(3, 17), 17);
    assert_int_equal(tk_queue_waiting_count(17, 17), 17);
    assert_int_equal(tk_queue_waiting_count(0, 1), 1);
    assert_int_equal(tk_queue_waiting_count(0, 0), 0);
    assert_int_equal(tk_queue_waiting_count(INT64_MAX, 1), INT64_MAX);
    for (w = 0; w <= 50; ++w) {
        for (p = 0; p <= 50; ++p) {
            c = tk_queue_waiting_count(w, p);
            assert_true(c >= p);
            assert_true(c >= w);
            assert_true(c == w || c == p);
        }
    }
}

static void test_behind_free_slots(void **state)
{
    (void)state;
    assert_int_equal(tk_queue_behind_free_slots(1, 200), 0);
    assert_int_equal(tk_queue_behind_free_slots(200, 200), 0);
    assert_int_equal(tk_queue_behind_free_slots(201, 200), 1);
    assert_int_equal(tk_queue_behind_free_slots(5000, 200), 4800);
    assert_int_equal(tk_queue_behind_free_slots(7, 0), 7);
    assert_int_equal(tk_queue_behind_free_slots(7, -3), 7);   /* over capacity */
    /* the next poll of those about to be admitted comes soon */
    assert_int_equal(tk_queue_poll_after_ms(tk_queue_behind_free_slots(150, 200),
                                            TK_ETA_UNKNOWN), TK_POLL_MIN_MS);
}

/* Numbers that never were entries (a sequence's skip after a crash) are
 * not counted ahead of a token. */
static void test_place_skips_gaps(void **state)
{
    tk_queue_view v = {0};
    (void)state;

    v.head = 4;
    assert_int_equal(tk_queue_place(&v, 38), 34);             /* no gaps known */
    v.ngaps = 1;
    v.gaps[0][0] = 6;                                        /* 6..37 skipped */
    v.gaps[0][1] = 37;
    assert_int_equal(tk_queue_place(&v, 5), 1);
    assert_int_equal(tk_queue_place(&v, 38), 2);
    assert_int_equal(tk_queue_place(&v, 39), 3);
    v.ngaps = 2;
    v.gaps[1][0] = 40;                                       /* and 40 */
    v.gaps[1][1] = 40;
    assert_int_equal(tk_queue_place(&v, 41), 4);
    /* a gap partly at or below head counts only above it */
    v.head = 20;
    assert_int_equal(tk_queue_place(&v, 38), 1);
    assert_int_equal(tk_queue_place(&v, 41), 3);
    /* passed by head: 0 as before */
    assert_int_equal(tk_queue_place(&v, 20), 0);
    /* gaps never make a waiting token vanish */
    v.head = 0;
    v.ngaps = 1;
    v.gaps[0][0] = 1;
    v.gaps[0][1] = 100;
    assert_int_equal(tk_queue_place(&v, 50), 1);
}

static void test_read_gaps(void **state)
{
    tk_queue_view v;
    char many[400];
    int i, n = 0;
    (void)state;

    assert_int_equal(tk_queue_read_gaps("{}", &v), 0);
    assert_int_equal(v.ngaps, 0);
    assert_int_equal(tk_queue_read_gaps("{2,32,40,44}", &v), 0);
    assert_int_equal(v.ngaps, 2);
    assert_int_equal(v.gaps[0][0], 2);
    assert_int_equal(v.gaps[0][1], 32);
    assert_int_equal(v.gaps[1][0], 40);
    assert_int_equal(v.gaps[1][1], 44);
    assert_int_equal(tk_queue_read_gaps("{9223372036854775806,9223372036854775807}", &v), 0);
    assert_int_equal(v.gaps[0][1], INT64_MAX);
    static const char *const bad[] = {NULL, "", "{", "{1}", "{1,2,3}", "{2,1}",
        "{1,2}x", "{a,b}", "{1,,2}", "[1,2]", "{1,2,}", "{99999999999999999999,1}"};
    for (i = 0; i < (int)(sizeof(bad) / sizeof(bad[0])); ++i) {
        if (tk_queue_read_gaps(bad[i], &v) != -1 || v.ngaps != 0) {
            fail_msg("gaps '%s' accepted", bad[i] ? bad[i] : "(null)");
        }
    }
    n += snprintf(many + n, sizeof(many) - (size_t)n, "{");
    for (i = 0; i < TK_QUEUE_MAX_GAPS + 3; ++i) {
        n += snprintf(many + n, sizeof(many) - (size_t)n, "%s%d,%d", i ? "," : "",
                      10 * i, 10 * i + 5);
    }
    snprintf(many + n, sizeof(many) - (size_t)n, "}");
    assert_int_equal(tk_queue_read_gaps(many, &v), 0);
    assert_int_equal(v.ngaps, TK_QUEUE_MAX_GAPS);
}

/* ---- etaSeconds (tk_queue_eta) ---- */

#define SEC 1000000LL

static void full_house(tk_queue_view *v, tk_queue_rules *rules)
{
    memset(v, 0, sizeof(*v));
    memset(rules, 0, sizeof(*rules));
    rules->capacity = 1;
    rules->interval = 1;
    v->in_service = 1;
}

/* api.md: capacity full, nobody paying: the expiry of the token in
 * service bounds the wait, whatever the rate of the minute before says */
static void test_eta_bounded_by_expiry(void **state)
{
    tk_queue_view v;
    tk_queue_rules rules;
    (void)state;

    full_house(&v, &rules);
    assert_int_equal(tk_queue_read_expiries("{1,1600000000}", &v), 0);
    assert_int_equal(tk_queue_eta(&v, &rules, 1, 1000 * SEC), 600);
    v.admitted_last_minute = 60;            /* a busy minute before */
    assert_int_equal(tk_queue_eta(&v, &rules, 1, 1000 * SEC), 600);
    assert_int_equal(tk_queue_eta(&v, &rules, 1, 1600 * SEC - 1), 1);
    assert_int_equal(tk_queue_eta(&v, &rules, 1, 1700 * SEC), 1); /* rate: 1 s */
    /* a payment in the last minute: slots free early, the rate stands */
    v.early_ends_last_minute = 1;
    assert_int_equal(tk_queue_eta(&v, &rules, 1, 1000 * SEC), 1);
}

static void test_eta_rank(void **state)
{
    tk_queue_view v;
    tk_queue_rules rules;
    (void)state;

    full_house(&v, &rules);
    rules.capacity = v.in_service = 100;
    assert_int_equal(tk_queue_read_expiries("{1,10000000,2,20000000,8,80000000,"
                                            "16,160000000}", &v), 0);
    assert_int_equal(tk_queue_eta(&v, &rules, 1, 0), 10);
    assert_int_equal(tk_queue_eta(&v, &rules, 2, 0), 20);
    assert_int_equal(tk_queue_eta(&v, &rules, 7, 0), 20);    /* known below */
    assert_int_equal(tk_queue_eta(&v, &rules, 15, 0), 80);
    assert_int_equal(tk_queue_eta(&v, &rules, 500, 0), 160);
    v.nexpiries = 0;                                         /* no basis */
    assert_int_equal(tk_queue_eta(&v, &rules, 1, 0), TK_ETA_UNKNOWN);
}

static void test_eta_paused_and_free(void **state)
{
    tk_queue_view v;
    tk_queue_rules rules;
    (void)state;

    full_house(&v, &rules);
    rules.capacity = 10;
    v.in_service = 4;
    rules.interval = 2;
    assert_int_equal(tk_queue_eta(&v, &rules, 6, 0), 2);     /* a free slot */
    assert_int_equal(tk_queue_eta(&v, &rules, 7, 0), TK_ETA_UNKNOWN);
    v.admitted_last_minute = 30;
    assert_int_equal(tk_queue_eta(&v, &rules, 7, 0), 14);
    rules.paused = 1;
    assert_int_equal(tk_queue_eta(&v, &rules, 1, 0), TK_ETA_UNKNOWN);
}

/* TicketAdmitRate: never sooner than the limit allows */
static void test_eta_rate_limit(void **state)
{
    tk_queue_view v;
    tk_queue_rules rules;
    (void)state;

    full_house(&v, &rules);
    rules.capacity = 1000;
    v.in_service = 0;
    rules.admit_rate = 60;
    assert_int_equal(tk_queue_eta(&v, &rules, 30, 0), 30);
    v.admitted_last_minute = 600;           /* measured faster than allowed */
    assert_int_equal(tk_queue_eta(&v, &rules, 1200, 0), 1200);
}

static void test_read_expiries(void **state)
{
    tk_queue_view v;
    char many[1024];
    size_t n = 0;
    int i;
    (void)state;

    assert_int_equal(tk_queue_read_expiries("{}", &v), 0);
    assert_int_equal(v.nexpiries, 0);
    assert_int_equal(tk_queue_read_expiries("{1,1764600000000000,2,1764600001000000}", &v), 0);
    assert_int_equal(v.nexpiries, 2);
    assert_true(v.expiries[1][0] == 2 && v.expiries[1][1] == 1764600001000000LL);
    assert_int_equal(tk_queue_read_expiries("{1,2,3}", &v), -1);
    assert_int_equal(v.nexpiries, 0);
    assert_int_equal(tk_queue_read_expiries(NULL, &v), -1);
    n += (size_t)snprintf(many, sizeof(many), "{");
    for (i = 1; i <= 20; ++i) {
        n += (size_t)snprintf(many + n, sizeof(many) - n, "%s%d,%d", i > 1 ? "," : "", i, i * 10);
    }
    snprintf(many + n, sizeof(many) - n, "}");
    assert_int_equal(tk_queue_read_expiries(many, &v), 0);
    assert_int_equal(v.nexpiries, TK_QUEUE_MAX_EXPIRIES);
}

/* ---- the shuffled pre-queue ---- */

static void shuffled(tk_queue_view *v, int64_t base, int64_t size, int64_t done)
{
    int i;

    memset(v, 0, sizeof(*v));
    for (i = 0; i < TK_SHUFFLE_KEY_BYTES; ++i) {
        v->shuffle_key[i] = (unsigned char)(i * 7 + 3);
    }
    v->shuffle_start = 1;
    v->shuffle_base = base;
    v->shuffle_size = size;
    v->shuffle_done = done;
    v->head = base;
}

/* Inside: the places left, each once; behind: the places left first. */
static void test_place_shuffled(void **state)
{
    tk_queue_view v;
    static char seen[1001];
    int64_t seq, p;
    (void)state;

    shuffled(&v, 100, 1000, 0);
    memset(seen, 0, sizeof(seen));
    for (seq = 101; seq <= 1100; ++seq) {
        p = tk_queue_place(&v, seq);
        assert_true(p >= 1 && p <= 1000);
        assert_int_equal(seen[p], 0);
        seen[p] = 1;
        assert_int_equal(p, tk_shuffle_place(v.shuffle_key, 1000, seq - 101) + 1);
    }
    assert_int_equal(tk_queue_place(&v, 1101), 1001);      /* right behind */
    assert_int_equal(tk_queue_place(&v, 1105), 1005);
    assert_int_equal(tk_queue_place(&v, 100), 0);          /* before it */
    /* 400 places passed: those are (perhaps) admitted, the rest move up */
    v.shuffle_done = 400;
    v.head = 150;                       /* the lowest still waiting, less one */
    for (seq = 101; seq <= 1100; ++seq) {
        int64_t place = tk_shuffle_place(v.shuffle_key, 1000, seq - 101);
        p = tk_queue_place(&v, seq);
        assert_int_equal(p, place >= 400 ? place - 400 + 1 : 0);
    }
    assert_int_equal(tk_queue_place(&v, 1101), 601);
    /* all passed: arrival order again */
    v.shuffle_done = 1000;
    v.head = 1100;
    assert_int_equal(tk_queue_place(&v, 1101), 1);
    assert_int_equal(tk_queue_place(&v, 777), 0);
}

static void test_prequeue(void **state)
{
    tk_queue_view v;
    tk_queue_rules rules;
    (void)state;

    memset(&v, 0, sizeof(v));
    memset(&rules, 0, sizeof(rules));
    assert_false(tk_queue_in_prequeue(&v, &rules));        /* no start */
    rules.sale_start = 5000000;
    assert_true(tk_queue_in_prequeue(&v, &rules));         /* not shuffled */
    v.shuffle_start = 4000000;                             /* an older one */
    assert_true(tk_queue_in_prequeue(&v, &rules));
    v.shuffle_start = 5000000;
    assert_false(tk_queue_in_prequeue(&v, &rules));
}

static void test_prequeue_poll(void **state)
{
    int64_t seq, ms, lo = INT64_MAX, hi = 0;
    (void)state;

    assert_int_equal(tk_queue_prequeue_poll_ms(600000, 1000, 10, 1), TK_POLL_MAX_MS);
    /* after the start: an interval and a share of at least 5 s */
    for (seq = 1; seq <= 1000; ++seq) {
        ms = tk_queue_prequeue_poll_ms(0, 1000, 1000, seq);
        assert_true(ms >= 1000 && ms < 6000);
        lo = ms < lo ? ms : lo;
        hi = ms > hi ? ms : hi;
        assert_int_equal(ms, tk_queue_prequeue_poll_ms(0, 1000, 1000, seq));
    }
    assert_true(hi - lo > 4000);                           /* spread out */
    /* 20 s before: not before the start */
    for (seq = 1; seq <= 1000; ++seq) {
        ms = tk_queue_prequeue_poll_ms(20000, 1000, 1000, seq);
        assert_true(ms >= 21000 && ms <= TK_POLL_MAX_MS);
    }
    /* 100,000 waiting: spread over 25 s */
    for (lo = INT64_MAX, hi = 0, seq = 1; seq <= 1000; ++seq) {
        ms = tk_queue_prequeue_poll_ms(-3000, 1000, 100000, seq);
        lo = ms < lo ? ms : lo;
        hi = ms > hi ? ms : hi;
    }
    assert_true(hi - lo > 20000);
}

/* TicketClaimTimeout: nobody is told to poll later than the claim allows */
static void test_poll_within_claim(void **state)
{
    tk_queue_rules rules;
    (void)state;

    memset(&rules, 0, sizeof(rules));
    rules.interval = 1;
    assert_int_equal(tk_queue_poll_within_claim(30000, &rules), 30000);  /* off */
    rules.claim_timeout = 21;
    assert_int_equal(tk_queue_poll_within_claim(30000, &rules), 10000);
    assert_int_equal(tk_queue_poll_within_claim(4000, &rules), 4000);
    rules.claim_timeout = 2;
    assert_int_equal(tk_queue_poll_within_claim(30000, &rules), TK_POLL_MIN_MS);
}

/* Entries through this host count at once, not at the next refresh. */
static void test_waiting_now(void **state)
{
    tk_queue_view v;
    (void)state;

    memset(&v, 0, sizeof(v));
    v.head = 10;
    v.waiting = 2;                          /* as of the last run */
    assert_int_equal(tk_queue_waiting_now(&v), 2);
    v.newest = 19;                          /* then 7 more entered here */
    assert_int_equal(tk_queue_waiting_now(&v), 9);
    v.newest = 5;                           /* older than head: no news */
    assert_int_equal(tk_queue_waiting_now(&v), 2);
    v.waiting = 40;                         /* others entered elsewhere */
    v.newest = 19;
    assert_int_equal(tk_queue_waiting_now(&v), 40);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_place_skips_gaps),
        cmocka_unit_test(test_read_gaps),
        cmocka_unit_test(test_behind_free_slots),
        cmocka_unit_test(test_poll_limits),
        cmocka_unit_test(test_position),
        cmocka_unit_test(test_position_never_grows),
        cmocka_unit_test(test_eta_unknown),
        cmocka_unit_test(test_eta_examples),
        cmocka_unit_test(test_eta_is_ceiling),
        cmocka_unit_test(test_eta_huge_positions),
        cmocka_unit_test(test_poll_unknown_rate),
        cmocka_unit_test(test_poll_known_rate),
        cmocka_unit_test(test_poll_monotonic),
        cmocka_unit_test(test_waiting_count),
        cmocka_unit_test(test_eta_bounded_by_expiry),
        cmocka_unit_test(test_eta_rank),
        cmocka_unit_test(test_eta_paused_and_free),
        cmocka_unit_test(test_eta_rate_limit),
        cmocka_unit_test(test_read_expiries),
        cmocka_unit_test(test_place_shuffled),
        cmocka_unit_test(test_prequeue),
        cmocka_unit_test(test_prequeue_poll),
        cmocka_unit_test(test_poll_within_claim),
        cmocka_unit_test(test_waiting_now),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
