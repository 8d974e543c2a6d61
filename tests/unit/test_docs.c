/* test_docs.c: the README and the annotated conf/ticket.conf keep up with
 * the code: every directive (the numeric ones from TK_CONF_NUMBER_LIST,
 * the others from the command table in mod_ticket_config.c) has its
 * README section with the right default and range and its ticket.conf
 * entry, and every TICKETnnn log ID of mod_ticket/ is in the README's
 * table of log messages. Run from the top of the checkout (make unit). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <dirent.h>
#include <cmocka.h>

#include "tk_config.h"
#include "../text_util.h"

static void expect_text(const char *doc, const char *name, const char *text)
{
    if (!strstr(doc, text)) {
        fail_msg("%s lacks: %s", name, text);
    }
}

static void test_number_directives(void **state)
{
    char *readme = tk_slurp("README.md"), *conf = tk_slurp("conf/ticket.conf");
    char line[256];
    int i;

    (void)state;
    for (i = 0; i < TK_CONF__NUMBERS; ++i) {
        const tk_conf_spec *s = tk_conf_spec_of((tk_conf_number)i);
        snprintf(line, sizeof(line), "### %s\n", s->directive);
        expect_text(readme, "README.md", line);
        snprintf(line, sizeof(line), "| Default | `%s %lld` |", s->directive,
                 (long long)s->def);
        expect_text(readme, "README.md", line);
        snprintf(line, sizeof(line), "| Range | %lld–%lld", (long long)s->min,
                 (long long)s->max);
        expect_text(readme, "README.md", line);
        snprintf(line, sizeof(line), "range %lld-%lld, default %lld",
                 (long long)s->min, (long long)s->max, (long long)s->def);
        expect_text(conf, "conf/ticket.conf", line);
    }
    free(readme);
    free(conf);
}

/* The directives of the command table that are not numbers. */
static void test_other_directives(void **state)
{
    char *readme = tk_slurp("README.md"), *conf = tk_slurp("conf/ticket.conf");
    char *src = tk_slurp("mod_ticket/mod_ticket_config.c"), *p = src;
    char line[256], name[64];
    int found = 0;

    (void)state;
    while ((p = strstr(p, "AP_INIT_")) != NULL) {
        p = strchr(p, '(');
        if (p && sscanf(p, "(\"%63[A-Za-z]\"", name) == 1) {
            snprintf(line, sizeof(line), "### %s\n", name);
            expect_text(readme, "README.md", line);
            snprintf(line, sizeof(line), "# %s ", name);
            expect_text(conf, "conf/ticket.conf", line);
            ++found;
        }
        if (!p) {
            break;
        }
    }
    assert_true(found >= 2);       /* TicketQueue, TicketSecretFile */
    free(readme);
    free(conf);
    free(src);
}

static void check_log_ids(const char *readme, const char *path, int *count)
{
    char *src = tk_slurp(path), *p = src, row[32];
    int n;

    while ((p = strstr(p, "TKLOG(")) != NULL) {
        p += strlen("TKLOG(");
        if (sscanf(p, "%3d)", &n) == 1) {
            snprintf(row, sizeof(row), "| TICKET%03d |", n);
            if (!strstr(readme, row)) {
                fail_msg("%s logs TICKET%03d, which README.md's log table lacks",
                         path, n);
            }
            ++*count;
        }
    }
    free(src);
}

static void test_log_ids(void **state)
{
    char *readme = tk_slurp("README.md"), path[512];
    DIR *d = opendir("mod_ticket");
    struct dirent *e;
    int count = 0;

    (void)state;
    assert_non_null(d);
    while ((e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        if (n > 2 && strcmp(e->d_name + n - 2, ".c") == 0) {
            snprintf(path, sizeof(path), "mod_ticket/%s", e->d_name);
            check_log_ids(readme, path, &count);
        }
    }
    closedir(d);
    assert_true(count > 10);
    free(readme);
}

/* TK_SCHEMA_VERSION, which readiness asks the database for, is the
 * latest migration of sql/. */
static void test_schema_version(void **state)
{
    DIR *d = opendir("sql");
    struct dirent *e;
    char latest[256] = "", want[256];

    (void)state;
    assert_non_null(d);
    while ((e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        if (e->d_name[0] >= '0' && e->d_name[0] <= '9' && n > 4
            && strcmp(e->d_name + n - 4, ".sql") == 0 && strcmp(e->d_name, latest) > 0) {
            snprintf(latest, sizeof(latest), "%s", e->d_name);
        }
    }
    closedir(d);
    snprintf(want, sizeof(want), "%s.sql", TK_SCHEMA_VERSION);
    if (strcmp(latest, want) != 0) {
        fail_msg("TK_SCHEMA_VERSION is %s, but the latest migration is %s",
                 TK_SCHEMA_VERSION, latest);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_number_directives),
        cmocka_unit_test(test_other_directives),
        cmocka_unit_test(test_log_ids),
        cmocka_unit_test(test_schema_version),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
