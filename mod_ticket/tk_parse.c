/* tk_parse.c: strict scalar readers (see tk_parse.h). */
#include <string.h>
#include "tk_parse.h"

/* Digits to a non-negative int64; MALFORMED for no digits or non-digits,
 * RANGE when past INT64_MAX. */
static tk_parse_rc parse_digits(const char *s, int64_t *out)
{
    uint64_t v = 0;
    const char *p = s;

    if (*p == '\0') {
        return TK_PARSE_MALFORMED;
    }
    for (; *p; ++p) {
        if (*p < '0' || *p > '9') {
            return TK_PARSE_MALFORMED;
        }
        if (v > ((uint64_t)INT64_MAX - (uint64_t)(*p - '0')) / 10) {
            /* keep scanning so that "99…9x" still reads as malformed */
            for (++p; *p; ++p) {
                if (*p < '0' || *p > '9') {
                    return TK_PARSE_MALFORMED;
                }
            }
            return TK_PARSE_RANGE;
        }
        v = v * 10 + (uint64_t)(*p - '0');
    }
    *out = (int64_t)v;
    return TK_PARSE_OK;
}

tk_parse_rc tk_parse_id(const char *s, int64_t *out)
{
    int64_t v;
    tk_parse_rc rc;

    if (!s || (s[0] == '0' && s[1] != '\0')) {
        return TK_PARSE_MALFORMED;
    }
    rc = parse_digits(s, &v);
    if (rc == TK_PARSE_RANGE) {
        return TK_PARSE_MALFORMED;   /* an ID past 64 bits is malformed */
    }
    if (rc != TK_PARSE_OK || v == 0) {
        return TK_PARSE_MALFORMED;
    }
    *out = v;
    return TK_PARSE_OK;
}

tk_parse_rc tk_parse_amount(const char *s, int64_t *out)
{
    int neg = 0;
    int64_t v;

    if (!s) {
        return TK_PARSE_MALFORMED;
    }
    if (*s == '-') {
        neg = 1;
        ++s;
    }
    if (s[0] == '0' && s[1] != '\0') {
        return TK_PARSE_MALFORMED;
    }
    if (parse_digits(s, &v) != TK_PARSE_OK) {
        return TK_PARSE_MALFORMED;   /* past 64 bits is malformed too */
    }
    *out = neg ? -v : v;
    return TK_PARSE_OK;
}

tk_parse_rc tk_parse_bounded(const char *s, int64_t min, int64_t max,
                             int64_t *out)
{
    int neg = 0;
    int64_t v;
    tk_parse_rc rc;

    if (!s) {
        return TK_PARSE_MALFORMED;
    }
    if (*s == '-') {
        neg = 1;
        ++s;
    }
    rc = parse_digits(s, &v);
    if (rc != TK_PARSE_OK) {
        return rc;
    }
    v = neg ? -v : v;
    if (v < min || v > max) {
        return TK_PARSE_RANGE;
    }
    *out = v;
    return TK_PARSE_OK;
}

static int two_digits(const char *s, int *out)
{
    if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9') {
        return 0;
    }
    *out = (s[0] - '0') * 10 + (s[1] - '0');
    return 1;
}

tk_parse_rc tk_parse_date(const char *s, int *year, int *month, int *day)
{
    static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int hi, lo, y, m, d, leap, max;

    if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-'
        || !two_digits(s, &hi) || !two_digits(s + 2, &lo)
        || !two_digits(s + 5, &m) || !two_digits(s + 8, &d)) {
        return TK_PARSE_MALFORMED;
    }
    y = hi * 100 + lo;
    if (y < 1 || m < 1 || m > 12 || d < 1) {
        return TK_PARSE_MALFORMED;
    }
    leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    max = mdays[m - 1] + (m == 2 && leap);
    if (d > max) {
        return TK_PARSE_MALFORMED;
    }
    *year = y;
    *month = m;
    *day = d;
    return TK_PARSE_OK;
}

tk_parse_rc tk_parse_idempotency_key(const char *s)
{
    size_t n = 0;

    if (!s) {
        return TK_PARSE_MALFORMED;
    }
    for (; s[n]; ++n) {
        if (s[n] < 0x20 || s[n] > 0x7e || n == 64) {
            return TK_PARSE_MALFORMED;
        }
    }
    return n > 0 ? TK_PARSE_OK : TK_PARSE_MALFORMED;
}

int tk_query_param(const char *args, const char *name, const char **value,
                   size_t *len)
{
    size_t n = strlen(name);
    const char *p = args;

    while (p && *p) {
        size_t item = strcspn(p, "&");
        if (item > n && strncmp(p, name, n) == 0 && p[n] == '=') {
            *value = p + n + 1;
            *len = item - n - 1;
            return 1;
        }
        if (item == n && strncmp(p, name, n) == 0) {
            *value = p + n;
            *len = 0;
            return 1;
        }
        p += item;
        if (*p == '&') {
            ++p;
        }
    }
    return 0;
}

tk_parse_rc tk_parse_limit(const char *args, int def, int max, int *out)
{
    const char *v;
    size_t len, i;
    int64_t n = 0;

    if (!tk_query_param(args, "limit", &v, &len)) {
        *out = def;
        return TK_PARSE_OK;
    }
    if (len == 0 || v[0] == '0') {
        return TK_PARSE_MALFORMED;
    }
    for (i = 0; i < len; ++i) {
        if (v[i] < '0' || v[i] > '9') {
            return TK_PARSE_MALFORMED;
        }
        if (n <= max) {             /* past max the value no longer matters */
            n = n * 10 + (v[i] - '0');
        }
    }
    *out = n > max ? max : (int)n;
    return TK_PARSE_OK;
}

/* Length of the well-formed UTF-8 sequence at p, whose lead byte is >= 0x80,
 * or 0 (RFC 3629: no overlong forms, no surrogates, nothing past U+10FFFF). */
size_t tk_utf8_len(const unsigned char *p, size_t avail)
{
    unsigned char c = p[0], lo = 0x80, hi = 0xBF;
    size_t n, i;

    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
    }
    else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        lo = c == 0xE0 ? 0xA0 : 0x80;       /* overlong */
        hi = c == 0xED ? 0x9F : 0xBF;       /* surrogates */
    }
    else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        lo = c == 0xF0 ? 0x90 : 0x80;       /* overlong */
        hi = c == 0xF4 ? 0x8F : 0xBF;       /* past U+10FFFF */
    }
    else {
        return 0;
    }
    if (avail < n || p[1] < lo || p[1] > hi) {
        return 0;
    }
    for (i = 2; i < n; ++i) {
        if (p[i] < 0x80 || p[i] > 0xBF) {
            return 0;
        }
    }
    return n;
}

tk_parse_rc tk_parse_user_name(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t len = s ? strlen(s) : 0, n;

    if (len == 0 || len > TK_USER_NAME_MAX) {
        return TK_PARSE_MALFORMED;
    }
    for (; *p; p += n) {
        n = 1;
        if (*p < 0x20 || *p == 0x7f) {
            return TK_PARSE_MALFORMED;
        }
        if (*p >= 0x80 && (n = tk_utf8_len(p, len - (size_t)(p - (const unsigned char *)s))) == 0) {
            return TK_PARSE_MALFORMED;
        }
        if (p[0] == 0xC2 && p[1] < 0xA0) {
            return TK_PARSE_MALFORMED;          /* U+0080-U+009F */
        }
    }
    return TK_PARSE_OK;
}
