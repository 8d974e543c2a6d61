/* test_config.c: unit tests of tk_config (directive values, the README's
 * "Configuration directives"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "unit.h"
#include "tk_config.h"

#define SENTINEL INT64_C(-777)

/* The README's table, written out independently of tk_config.c. */
static const struct {
    tk_conf_number which;
    const char *directive;
    int64_t min, max, def;
} expected[] = {
    {TK_CONF_CAPACITY, "TicketCapacity", 1, 1000000, 100},
    {TK_CONF_SERVICE_TTL, "TicketServiceTTL", 1, 86400, 600},
    {TK_CONF_HOLD_TTL, "TicketHoldTTL", 1, 86400, 300},
    {TK_CONF_ADVANCE_INTERVAL, "TicketAdvanceInterval", 1, 60, 1},
    {TK_CONF_MAX_HOLDS_PER_USER, "TicketMaxHoldsPerUser", 1, 100, 4},
    {TK_CONF_MAX_CHARGE, "TicketMaxCharge", 1, INT64_C(1000000000000),
     10000000},
    {TK_CONF_MAX_BALANCE, "TicketMaxBalance", 1, INT64_C(1000000000000000),
     100000000},
    {TK_CONF_MAX_BODY_BYTES, "TicketMaxBodyBytes", 64, 1048576, 8192},
    {TK_CONF_ADMIT_RATE, "TicketAdmitRate", 0, 1000000, 0},
    {TK_CONF_CLAIM_TIMEOUT, "TicketClaimTimeout", 0, 86400, 0},
    {TK_CONF_LOOKUP_CACHE_MS, "TicketLookupCacheMs", 0, 5000, 500},
};
#define NEXPECTED (sizeof(expected) / sizeof(expected[0]))

static void test_specs_match_api(void **state)
{
    size_t i;
    const tk_conf_spec *spec;
    (void)state;
    assert_int_equal(NEXPECTED, TK_CONF__NUMBERS);
    for (i = 0; i < NEXPECTED; ++i) {
        spec = tk_conf_spec_of(expected[i].which);
        assert_non_null(spec);
        assert_string_equal(spec->directive, expected[i].directive);
        assert_int_equal(spec->min, expected[i].min);
        assert_int_equal(spec->max, expected[i].max);
        assert_int_equal(spec->def, expected[i].def);
        assert_non_null(spec->help);
        assert_true(spec->help[0] != '\0');
    }
    assert_null(tk_conf_spec_of(TK_CONF__NUMBERS));
    assert_null(tk_conf_spec_of((tk_conf_number)-1));
    assert_null(tk_conf_spec_of((tk_conf_number)1000));
}

/* The default of each directive is a value the directive accepts. */
static void test_defaults_accepted(void **state)
{
    char arg[32];
    int64_t v;
    size_t i;
    for (i = 0; i < NEXPECTED; ++i) {
        snprintf(arg, sizeof(arg), "%lld", (long long)expected[i].def);
        v = SENTINEL;
        assert_null(tk_conf_read_number(*state, expected[i].which, arg, &v));
        assert_int_equal(v, expected[i].def);
    }
}

static void assert_accepts(apr_pool_t *p, size_t i, int64_t value)
{
    char arg[32];
    int64_t v = SENTINEL;
    const char *err;
    snprintf(arg, sizeof(arg), "%lld", (long long)value);
    err = tk_conf_read_number(p, expected[i].which, arg, &v);
    if (err) {
        fail_msg("%s refused %s: %s", expected[i].directive, arg, err);
    }
    assert_int_equal(v, value);
}

/* A refusal: the message names the directive (and, per tk_config.h, its
 * range), and *out is left alone. */
static void assert_refuses(apr_pool_t *p, size_t i, const char *arg)
{
    char lo[32], hi[32];
    int64_t v = SENTINEL;
    const char *err = tk_conf_read_number(p, expected[i].which, arg, &v);
    if (!err) {
        fail_msg("%s accepted '%s' (read %lld)", expected[i].directive, arg,
                 (long long)v);
    }
    if (!strstr(err, expected[i].directive)) {
        fail_msg("message for %s '%s' does not name it: %s",
                 expected[i].directive, arg, err);
    }
    snprintf(lo, sizeof(lo), "%lld", (long long)expected[i].min);
    snprintf(hi, sizeof(hi), "%lld", (long long)expected[i].max);
    if (!strstr(err, lo) || !strstr(err, hi)) {
        fail_msg("message for %s '%s' lacks the range: %s",
                 expected[i].directive, arg, err);
    }
    assert_int_equal(v, SENTINEL);
}

static void test_numbers_bounds(void **state)
{
    char arg[32];
    size_t i;
    for (i = 0; i < NEXPECTED; ++i) {
        assert_accepts(*state, i, expected[i].min);
        assert_accepts(*state, i, expected[i].max);
        assert_accepts(*state, i, expected[i].min + 1);
        assert_accepts(*state, i, expected[i].max - 1);
        assert_accepts(*state, i, (expected[i].min + expected[i].max) / 2);
        snprintf(arg, sizeof(arg), "%lld", (long long)(expected[i].min - 1));
        assert_refuses(*state, i, arg);
        snprintf(arg, sizeof(arg), "%lld", (long long)(expected[i].max + 1));
        assert_refuses(*state, i, arg);
        if (expected[i].min > 0) {
            assert_refuses(*state, i, "0");
        }
        assert_refuses(*state, i, "-1");
        assert_refuses(*state, i, "-100");
        assert_refuses(*state, i, "9223372036854775807");
        assert_refuses(*state, i, "9223372036854775808");
        assert_refuses(*state, i, "99999999999999999999999");
        assert_refuses(*state, i, "-99999999999999999999999");
    }
}

static void test_numbers_not_integers(void **state)
{
    static const char *bad[] = {
        "abc", "", " ", "-", "--1", "+1", " 1", "1 ", "1.5", "1.0", "1e3",
        "0x10", "10k", "1,000", "ten", "1_000", "\t8", "64\n",
    };
    size_t i, k;
    for (i = 0; i < NEXPECTED; ++i) {
        for (k = 0; k < sizeof(bad) / sizeof(bad[0]); ++k) {
            assert_refuses(*state, i, bad[k]);
        }
    }
}

static void test_capacity_messages(void **state)
{
    static const char *bad[] = {"-1", "abc", "0", "1000001"};
    int64_t v = SENTINEL;
    const char *err;
    size_t k;
    for (k = 0; k < sizeof(bad) / sizeof(bad[0]); ++k) {
        err = tk_conf_read_number(*state, TK_CONF_CAPACITY, bad[k], &v);
        assert_non_null(err);
        assert_non_null(strstr(err, "TicketCapacity"));
        /* the offending value is quoted back */
        assert_non_null(strstr(err, bad[k]));
    }
    assert_int_equal(v, SENTINEL);
    assert_null(tk_conf_read_number(*state, TK_CONF_CAPACITY, "1000000", &v));
    assert_int_equal(v, 1000000);
    assert_null(tk_conf_read_number(*state, TK_CONF_CAPACITY, "1", &v));
    assert_int_equal(v, 1);
}

static void test_queue_mode(void **state)
{
    static const struct {
        const char *arg;
        int mode;
    } good[] = {
        {"Open", TK_QUEUE_OPEN}, {"open", TK_QUEUE_OPEN}, {"oPeN", TK_QUEUE_OPEN},
        {"Paused", TK_QUEUE_PAUSED}, {"PAUSED", TK_QUEUE_PAUSED},
        {"paused", TK_QUEUE_PAUSED},
        {"Closed", TK_QUEUE_CLOSED}, {"closed", TK_QUEUE_CLOSED},
        {"cLoSeD", TK_QUEUE_CLOSED},
    };
    static const char *bad[] = {
        "maybe", "", " ", "Opened", "Close", "Closing", " Open", "Open ",
        "Closed\n", "1", "0", "on", "off", "true", "false", "yes", "Op en",
        "Pause", "Paused ", "Pausedd",
    };
    size_t i;
    int mode;
    const char *err;
    for (i = 0; i < sizeof(good) / sizeof(good[0]); ++i) {
        mode = -1;
        assert_null(tk_conf_read_queue_mode(*state, good[i].arg, &mode));
        assert_int_equal(mode, good[i].mode);
    }
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); ++i) {
        mode = -1;
        err = tk_conf_read_queue_mode(*state, bad[i], &mode);
        if (!err) {
            fail_msg("TicketQueue accepted '%s'", bad[i]);
        }
        assert_non_null(strstr(err, "TicketQueue"));
        assert_int_equal(mode, -1);
    }
    err = tk_conf_read_queue_mode(*state, "maybe", &mode);
    assert_non_null(strstr(err, "maybe"));
    assert_non_null(strstr(err, "Paused"));
}

/* ---- TicketSaleStart (tk_conf_read_instant) ---- */

static void test_instant(void **state)
{
    static const struct {
        const char *arg;
        int64_t at;
    } good[] = {
        {"1970-01-01T00:00:00Z", 0},
        {"2026-12-24T20:00:00+09:00", INT64_C(1798110000) * 1000000},
        {"2026-12-24T11:00:00Z", INT64_C(1798110000) * 1000000},
        {"2026-12-24t11:00:00z", INT64_C(1798110000) * 1000000},
        {"2026-12-24T06:00:00-05:00", INT64_C(1798110000) * 1000000},
        {"2026-12-24T11:00:00.25Z", INT64_C(1798110000) * 1000000 + 250000},
        {"2026-12-24T11:00:00.123456Z", INT64_C(1798110000) * 1000000 + 123456},
        {"2024-02-29T00:00:00Z", INT64_C(1709164800) * 1000000},
        {"2000-03-01T00:00:00+00:00", INT64_C(951868800) * 1000000},
        {"9999-12-31T23:59:59Z", INT64_C(253402300799) * 1000000},
    };
    static const char *bad[] = {
        "", "now", "2026-12-24", "2026-12-24T20:00:00", "2026-12-24 20:00:00Z",
        "2026-12-24T20:00Z", "2026-12-24T20:00:00+0900", "2026-12-24T20:00:00+9:00",
        "2026-12-24T20:00:00+24:00", "2026-12-24T20:00:00+09:60",
        "2026-13-01T00:00:00Z", "2026-00-01T00:00:00Z", "2026-02-29T00:00:00Z",
        "2100-02-29T00:00:00Z", "2026-04-31T00:00:00Z", "2026-12-24T24:00:00Z",
        "2026-12-24T23:60:00Z", "2026-12-24T23:59:60Z", "2026-12-24T20:00:00.Z",
        "2026-12-24T20:00:00.1234567Z", "2026-12-24T20:00:00.0000009Z",
        "1969-12-31T23:59:59Z",
        "1970-01-01T00:00:00+00:01", "2026-12-24T20:00:00Z ", " 2026-12-24T20:00:00Z",
        "2026-12-24T20:00:00Zx", "+2026-12-24T20:00:00Z", "2026-1-24T20:00:00Z",
        "2026-12-24T20:00:00+09:00:00", "１９７０-01-01T00:00:00Z",
    };
    const char *err;
    int64_t at;
    size_t i;

    for (i = 0; i < sizeof(good) / sizeof(good[0]); ++i) {
        at = -1;
        err = tk_conf_read_instant(*state, good[i].arg, &at);
        if (err) {
            fail_msg("TicketSaleStart refused '%s': %s", good[i].arg, err);
        }
        if (at != good[i].at) {
            fail_msg("'%s' read as %lld, not %lld", good[i].arg, (long long)at,
                     (long long)good[i].at);
        }
    }
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); ++i) {
        at = -1;
        err = tk_conf_read_instant(*state, bad[i], &at);
        if (!err) {
            fail_msg("TicketSaleStart accepted '%s' (%lld)", bad[i], (long long)at);
        }
        assert_non_null(strstr(err, "TicketSaleStart"));
        assert_int_equal(at, -1);
    }
}

/* ---- tk_conf_read_secret ---- */

/* A temporary file with the n bytes of data; its path goes into path. */
static void temp_file(char *path, const unsigned char *data, size_t n)
{
    int fd;
    strcpy(path, "/tmp/tk_secret_XXXXXX");
    fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, n), (ssize_t)n);
    assert_int_equal(close(fd), 0);
}

static void fill(unsigned char *buf, size_t n)
{
    size_t i;
    for (i = 0; i < n; ++i) {
        buf[i] = (unsigned char)(i * 37 + 11);
    }
}

static void test_secret_32_bytes(void **state)
{
    char path[64];
    unsigned char data[32];
    const unsigned char *secret = NULL;
    size_t len = 0;
    fill(data, sizeof(data));
    temp_file(path, data, sizeof(data));
    assert_null(tk_conf_read_secret(*state, path, &secret, &len));
    unlink(path);
    assert_int_equal(len, 32);
    assert_non_null(secret);
    assert_memory_equal(secret, data, 32);
}

static void test_secret_keeps_every_byte(void **state)
{
    /* white space, NUL and newline bytes are part of the secret */
    static const unsigned char data[40] =
        " \n\t\0secret-secret-secret-secret-\0\r\n \t\n";
    char path[64];
    const unsigned char *secret = NULL;
    size_t len = 0;
    temp_file(path, data, sizeof(data));
    assert_null(tk_conf_read_secret(*state, path, &secret, &len));
    unlink(path);
    assert_int_equal(len, sizeof(data));
    assert_memory_equal(secret, data, sizeof(data));
}

static void test_secret_larger(void **state)
{
    char path[64];
    unsigned char data[1000];
    const unsigned char *secret = NULL;
    size_t len = 0;
    fill(data, sizeof(data));
    temp_file(path, data, sizeof(data));
    assert_null(tk_conf_read_secret(*state, path, &secret, &len));
    unlink(path);
    assert_int_equal(len, sizeof(data));
    assert_memory_equal(secret, data, sizeof(data));
}

static void assert_secret_refused(apr_pool_t *p, const char *path)
{
    const unsigned char *secret = NULL;
    size_t len = 12345;
    const char *err = tk_conf_read_secret(p, path, &secret, &len);
    if (!err) {
        fail_msg("secret file %s accepted", path);
    }
    if (!strstr(err, "TicketSecretFile")) {
        fail_msg("message does not name TicketSecretFile: %s", err);
    }
    assert_non_null(strstr(err, path));
    assert_null(secret);
    assert_int_equal(len, 12345);
}

static void test_secret_31_bytes(void **state)
{
    char path[64];
    unsigned char data[31];
    fill(data, sizeof(data));
    temp_file(path, data, sizeof(data));
    assert_secret_refused(*state, path);
    unlink(path);
}

static void test_secret_empty(void **state)
{
    char path[64];
    temp_file(path, (const unsigned char *)"", 0);
    assert_secret_refused(*state, path);
    unlink(path);
}

static void test_secret_missing(void **state)
{
    char path[64];
    unsigned char data[32];
    fill(data, sizeof(data));
    temp_file(path, data, sizeof(data));
    unlink(path);           /* a name that surely does not exist now */
    assert_secret_refused(*state, path);
    assert_secret_refused(*state, "/tmp/no/such/dir/tk_secret");
}

/* Only a regular file of root's (or ours) that no one else may read or
 * write: not a device, a FIFO (which must not hang the start), a file
 * others can read or write, or another user's. */
static void test_secret_unsafe_files(void **state)
{
    unsigned char data[48];
    char path[64], dir[64], fifo[80];
    (void)state;

    fill(data, sizeof(data));
    assert_secret_refused(*state, "/dev/zero");
    assert_secret_refused(*state, "/dev/urandom");
    temp_file(path, data, sizeof(data));
    assert_int_equal(chmod(path, 0644), 0);
    assert_secret_refused(*state, path);
    assert_int_equal(chmod(path, 0620), 0);
    assert_secret_refused(*state, path);
    assert_int_equal(chmod(path, 0604), 0);
    assert_secret_refused(*state, path);
    assert_int_equal(chmod(path, 0400), 0);
    {
        const unsigned char *secret = NULL;
        size_t len = 0;
        assert_null(tk_conf_read_secret(*state, path, &secret, &len));
        assert_int_equal(len, sizeof(data));
    }
    if (geteuid() == 0) {
        assert_int_equal(chown(path, 65534, 65534), 0);     /* nobody's */
        assert_secret_refused(*state, path);
    }
    unlink(path);
    strcpy(dir, "/tmp/tk_secret_dir_XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    assert_secret_refused(*state, fifo);
    unlink(fifo);
    rmdir(dir);
}

static void test_secret_directory(void **state)
{
    assert_secret_refused(*state, "/tmp");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_specs_match_api),
        cmocka_unit_test(test_defaults_accepted),
        cmocka_unit_test(test_numbers_bounds),
        cmocka_unit_test(test_numbers_not_integers),
        cmocka_unit_test(test_capacity_messages),
        cmocka_unit_test(test_queue_mode),
        cmocka_unit_test(test_instant),
        cmocka_unit_test(test_secret_32_bytes),
        cmocka_unit_test(test_secret_keeps_every_byte),
        cmocka_unit_test(test_secret_larger),
        cmocka_unit_test(test_secret_31_bytes),
        cmocka_unit_test(test_secret_empty),
        cmocka_unit_test(test_secret_missing),
        cmocka_unit_test(test_secret_directory),
        cmocka_unit_test(test_secret_unsafe_files),
    };
    return cmocka_run_group_tests(tests, unit_pool_setup, unit_pool_teardown);
}
