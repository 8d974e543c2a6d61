/* test_config.c: "apachectl -t" refuses every bad directive value with a
 * message naming the directive, and accepts the good configuration. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "harness.h"

#define DB "itest_config"

static int setup(void **state)
{
    (void)state;
    th_db_create(DB, 1);
    return 0;
}

static void test_good_config(void **state)
{
    char out[8192];
    (void)state;
    assert_int_equal(th_httpd_configtest(DB, NULL, NULL, out, sizeof(out)), 0);
    assert_non_null(strstr(out, "Syntax OK"));
}

static void expect_refused(const char *extra, const char *directive)
{
    char out[8192];
    int rc = th_httpd_configtest(DB, NULL, extra, out, sizeof(out));

    if (rc == 0 || !strstr(out, directive)) {
        fail_msg("'%s' was not refused naming %s (exit %d): %s", extra,
                 directive, rc, out);
    }
}

static void test_bad_numbers(void **state)
{
    static const char *const cases[][2] = {
        {"TicketCapacity -1", "TicketCapacity"},
        {"TicketCapacity 0", "TicketCapacity"},
        {"TicketCapacity 1000001", "TicketCapacity"},
        {"TicketCapacity many", "TicketCapacity"},
        {"TicketCapacity 1.5", "TicketCapacity"},
        {"TicketServiceTTL 0", "TicketServiceTTL"},
        {"TicketServiceTTL 86401", "TicketServiceTTL"},
        {"TicketHoldTTL 0", "TicketHoldTTL"},
        {"TicketAdvanceInterval 61", "TicketAdvanceInterval"},
        {"TicketMaxHoldsPerUser 101", "TicketMaxHoldsPerUser"},
        {"TicketMaxCharge 1000000000001", "TicketMaxCharge"},
        {"TicketMaxBalance 1000000000000001", "TicketMaxBalance"},
        {"TicketMaxBodyBytes 63", "TicketMaxBodyBytes"},
        {"TicketMaxBodyBytes 1048577", "TicketMaxBodyBytes"},
        {"TicketQueue Maybe", "TicketQueue"},
        {"TicketIdentity Header", "TicketIdentity"},
        {"TicketPreparedStatements Sometimes", "TicketPreparedStatements"},
        {"<Location /x>\nTicketPreparedStatements Off\n</Location>", "TicketPreparedStatements"},
        {"<Location /x>\nTicketIdentity RemoteUser\n</Location>", "TicketIdentity"},
        {"<Location /x>\nTicketCapacity 5\n</Location>", "TicketCapacity"},
    };
    size_t i;
    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); ++i) {
        expect_refused(cases[i][0], cases[i][1]);
    }
}

static void test_bad_secret_files(void **state)
{
    static const char *const cases[] = {
        "0123456789012345678901234567890",                      /* 31 bytes */
        "0123456789012345678901234567890123456789012345678",    /* others read it */
    };
    static const unsigned modes[] = {0600, 0644};
    char line[600], path[512];
    size_t i;
    FILE *f;
    (void)state;

    expect_refused("TicketSecretFile /nonexistent/ticket.secret", "TicketSecretFile");
    expect_refused("TicketSecretFile /dev/zero", "TicketSecretFile");
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); ++i) {
        snprintf(path, sizeof(path), "%s/bad-%zu.secret", th_env("TK_TMP"), i);
        f = fopen(path, "w");
        assert_non_null(f);
        fputs(cases[i], f);
        fclose(f);
        assert_int_equal(chmod(path, modes[i]), 0);
        snprintf(line, sizeof(line), "TicketSecretFile %s", path);
        expect_refused(line, "TicketSecretFile");
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_config),
        cmocka_unit_test(test_bad_numbers),
        cmocka_unit_test(test_bad_secret_files),
    };
    return cmocka_run_group_tests_name("config", tests, setup, NULL);
}
