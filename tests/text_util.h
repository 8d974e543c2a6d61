/* text_util.h: reading text in tests, unit and integration alike
 * (include after <cmocka.h>). */
#ifndef TK_TEXT_UTIL_H
#define TK_TEXT_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The whole file at path (from the top of the checkout), NUL-ended;
 * fails the test when it cannot be read. */
static inline char *tk_slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;

    if (!f) {
        fail_msg("cannot read %s (run from the top of the checkout)", path);
    }
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    rewind(f);
    buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

/* In Prometheus text, the value's text of a series ("name{labels}"): what
 * follows the line's name and a blank; NULL when no line has it. */
static inline const char *tk_sample_of(const char *text, const char *series)
{
    size_t n = strlen(series);
    const char *line = text;

    while (line && *line) {
        if (strncmp(line, series, n) == 0 && line[n] == ' ') {
            return line + n + 1;
        }
        line = strchr(line, '\n');
        line = line ? line + 1 : NULL;
    }
    return NULL;
}

#endif
