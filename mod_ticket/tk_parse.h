/* tk_parse.h: strict readers of the scalar values the API and the
 * directives accept: IDs, amounts, dates and bounded integers. */
#ifndef TK_PARSE_H
#define TK_PARSE_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
    TK_PARSE_OK = 0,
    TK_PARSE_MALFORMED,   /* not the expected syntax */
    TK_PARSE_RANGE        /* syntax fine, value outside the allowed range */
} tk_parse_rc;

/* A positive 64-bit ID written as decimal digits only (no sign, no spaces,
 * no leading zero). */
tk_parse_rc tk_parse_id(const char *s, int64_t *out);

/* Like tk_parse_id, but a leading '-' and zero are accepted so that the
 * caller can answer "invalid amount" rather than "malformed". */
tk_parse_rc tk_parse_amount(const char *s, int64_t *out);

/* A decimal integer (optional leading '-') within [min, max]: the reader of
 * numeric directives. */
tk_parse_rc tk_parse_bounded(const char *s, int64_t min, int64_t max,
                             int64_t *out);

/* A calendar date "YYYY-MM-DD" that exists (leap years included). */
tk_parse_rc tk_parse_date(const char *s, int *year, int *month, int *day);

/* An Idempotency-Key header value: 1-64 printable ASCII characters. */
tk_parse_rc tk_parse_idempotency_key(const char *s);

/* The raw value of name=value in a query string ("a=1&limit=5"): 1 and
 * *value and *len set when present (the first one), 0 when absent. */
int tk_query_param(const char *args, const char *name, const char **value,
                   size_t *len);

/* The history limit of a query string: absent -> def; a positive integer,
 * capped at max; anything else MALFORMED. */
tk_parse_rc tk_parse_limit(const char *args, int def, int max, int *out);

/* Length of the well-formed UTF-8 sequence at p, whose lead byte is
 * >= 0x80, or 0 (RFC 3629: no overlong forms, no surrogates, nothing past
 * U+10FFFF); avail is how many bytes p has. */
size_t tk_utf8_len(const unsigned char *p, size_t avail);

/* A user name as the site's authentication gives it (r->user): 1 to
 * TK_USER_NAME_MAX bytes of UTF-8 without control characters (C0, DEL,
 * C1). Room for an OpenID Connect "sub@issuer" (sub alone may be 255). */
#define TK_USER_NAME_MAX 1024
tk_parse_rc tk_parse_user_name(const char *s);

#endif
