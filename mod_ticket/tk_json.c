/* tk_json.c: strict RFC 8259 check and typed field readers (tk_json.h). */
#include <errno.h>
#include <string.h>
#include "tk_json.h"
#include "tk_parse.h"

typedef struct {
    const char *p;
    const char *end;
    int depth;
    size_t members;     /* object members seen, duplicates included */
} scan;

static int scan_value(scan *s);

static void skip_ws(scan *s)
{
    while (s->p < s->end
           && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r')) {
        ++s->p;
    }
}

static int is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}


/* The value of 4 hex digits at p, or -1. */
static long hex4(const char *p, const char *end)
{
    long v = 0;
    int i;

    if (end - p < 4) {
        return -1;
    }
    for (i = 0; i < 4; ++i) {
        if (!is_hex(p[i])) {
            return -1;
        }
        v = v * 16 + (p[i] <= '9' ? p[i] - '0' : (p[i] | 0x20) - 'a' + 10);
    }
    return v;
}

static int scan_string(scan *s)
{
    ++s->p;                         /* opening quote */
    while (s->p < s->end) {
        unsigned char c = (unsigned char)*s->p++;
        if (c == '"') {
            return 1;
        }
        if (c < 0x20) {
            return 0;
        }
        if (c >= 0x80) {
            size_t n = tk_utf8_len((const unsigned char *)s->p - 1,
                                (size_t)(s->end - s->p) + 1);
            if (n == 0) {
                return 0;
            }
            s->p += n - 1;
            continue;
        }
        if (c == '\\') {
            if (s->p >= s->end) {
                return 0;
            }
            c = (unsigned char)*s->p++;
            if (c == 'u') {
                long u = hex4(s->p, s->end), low;
                if (u < 0 || u == 0) {
                    return 0;       /* (U+0000 ends C strings early) */
                }
                s->p += 4;
                if (u >= 0xDC00 && u <= 0xDFFF) {
                    return 0;       /* a low surrogate alone */
                }
                if (u >= 0xD800 && u <= 0xDBFF) {
                    /* a high one needs its low one, or json-c makes both
                     * U+FFFD and two different keys the same */
                    if (s->end - s->p < 6 || s->p[0] != '\\' || s->p[1] != 'u'
                        || (low = hex4(s->p + 2, s->end)) < 0xDC00 || low > 0xDFFF) {
                        return 0;
                    }
                    s->p += 6;
                }
            }
            else if (!strchr("\"\\/bfnrt", c)) {
                return 0;
            }
        }
    }
    return 0;
}

/* A number; integer literals (no fraction, no exponent) must fit int64. */
static int scan_number(scan *s)
{
    const char *digits;
    int integral = 1;
    char buf[24];
    int64_t ignored;

    if (*s->p == '-') {
        ++s->p;
    }
    digits = s->p;
    if (s->p >= s->end || *s->p < '0' || *s->p > '9') {
        return 0;
    }
    if (*s->p == '0') {
        ++s->p;
    }
    else {
        while (s->p < s->end && *s->p >= '0' && *s->p <= '9') ++s->p;
    }
    if (s->p < s->end && *s->p == '.') {
        integral = 0;
        ++s->p;
        if (s->p >= s->end || *s->p < '0' || *s->p > '9') return 0;
        while (s->p < s->end && *s->p >= '0' && *s->p <= '9') ++s->p;
    }
    if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
        integral = 0;
        ++s->p;
        if (s->p < s->end && (*s->p == '+' || *s->p == '-')) ++s->p;
        if (s->p >= s->end || *s->p < '0' || *s->p > '9') return 0;
        while (s->p < s->end && *s->p >= '0' && *s->p <= '9') ++s->p;
    }
    if (integral) {
        size_t n = (size_t)(s->p - digits);
        if (n >= sizeof(buf)) {
            return 0;
        }
        memcpy(buf, digits, n);
        buf[n] = '\0';
        /* -2^63 is representable but rejected too: no field needs it */
        if (tk_parse_amount(buf, &ignored) != TK_PARSE_OK) {
            return 0;
        }
    }
    return 1;
}

static int scan_literal(scan *s, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n) != 0) {
        return 0;
    }
    s->p += n;
    return 1;
}

static int scan_container(scan *s, char close, int is_object)
{
    if (++s->depth > TK_JSON_MAX_DEPTH) {
        return 0;
    }
    ++s->p;
    skip_ws(s);
    if (s->p < s->end && *s->p == close) {
        ++s->p;
        --s->depth;
        return 1;
    }
    for (;;) {
        if (is_object) {
            skip_ws(s);
            if (s->p >= s->end || *s->p != '"' || !scan_string(s)) return 0;
            ++s->members;
            skip_ws(s);
            if (s->p >= s->end || *s->p != ':') return 0;
            ++s->p;
        }
        if (!scan_value(s)) {
            return 0;
        }
        skip_ws(s);
        if (s->p >= s->end) {
            return 0;
        }
        if (*s->p == close) {
            ++s->p;
            --s->depth;
            return 1;
        }
        if (*s->p != ',') {
            return 0;
        }
        ++s->p;
    }
}

static int scan_value(scan *s)
{
    skip_ws(s);
    if (s->p >= s->end) {
        return 0;
    }
    switch (*s->p) {
    case '{': return scan_container(s, '}', 1);
    case '[': return scan_container(s, ']', 0);
    case '"': return scan_string(s);
    case 't': return scan_literal(s, "true");
    case 'f': return scan_literal(s, "false");
    case 'n': return scan_literal(s, "null");
    default:  return scan_number(s);
    }
}

static int scan_all(const char *buf, size_t len, size_t *members)
{
    scan s = {buf, buf + len, 0, 0};

    if (!buf || !scan_value(&s)) {
        return 0;
    }
    skip_ws(&s);
    *members = s.members;
    return s.p == s.end;
}

int tk_json_is_strict(const char *buf, size_t len)
{
    size_t members;
    return scan_all(buf, len, &members);
}

/* Object members in the tree: json-c keeps the last of duplicate keys, so
 * fewer than the text had means a key came twice. */
static size_t count_members(json_object *v)
{
    size_t n = 0, i;

    if (json_object_is_type(v, json_type_object)) {
        json_object_object_foreach(v, key, member) {
            (void)key;
            n += 1 + count_members(member);
        }
    }
    else if (json_object_is_type(v, json_type_array)) {
        for (i = 0; i < json_object_array_length(v); ++i) {
            n += count_members(json_object_array_get_idx(v, i));
        }
    }
    return n;
}

json_object *tk_json_parse_object(const char *buf, size_t len)
{
    json_tokener *tok;
    json_object *obj;
    size_t members;

    if (len > (size_t)INT32_MAX - 1 || !scan_all(buf, len, &members)) {
        return NULL;
    }
    tok = json_tokener_new_ex(TK_JSON_MAX_DEPTH + 1);
    if (!tok) {
        return NULL;
    }
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    obj = json_tokener_parse_ex(tok, buf, (int)len);
    if (obj && (json_tokener_get_error(tok) != json_tokener_success
                || json_tokener_get_parse_end(tok) != len
                || !json_object_is_type(obj, json_type_object)
                || count_members(obj) != members)) {
        json_object_put(obj);
        obj = NULL;
    }
    if (!obj && json_tokener_get_error(tok) == json_tokener_continue) {
        obj = NULL;     /* a bare number needs its end; never an object */
    }
    json_tokener_free(tok);
    return obj;
}

/* Reads an integer-or-digit-string field with the given string reader. */
static tk_field_rc get_integer(json_object *obj, const char *key, int64_t *out,
                               tk_parse_rc (*read)(const char *, int64_t *),
                               int allow_non_positive)
{
    json_object *v;
    int64_t n;

    if (!json_object_object_get_ex(obj, key, &v) || v == NULL) {
        return TK_FIELD_MISSING;
    }
    if (json_object_is_type(v, json_type_string)) {
        return read(json_object_get_string(v), out) == TK_PARSE_OK
               ? TK_FIELD_OK : TK_FIELD_MALFORMED;
    }
    if (!json_object_is_type(v, json_type_int)) {
        return TK_FIELD_MALFORMED;
    }
    errno = 0;
    n = json_object_get_int64(v);
    /* integers past int64 were refused by the strict check already */
    if (errno != 0 || (!allow_non_positive && n <= 0)) {
        return TK_FIELD_MALFORMED;
    }
    *out = n;
    return TK_FIELD_OK;
}

tk_field_rc tk_json_get_id(json_object *obj, const char *key, int64_t *out)
{
    return get_integer(obj, key, out, tk_parse_id, 0);
}

tk_field_rc tk_json_get_amount(json_object *obj, const char *key, int64_t *out)
{
    return get_integer(obj, key, out, tk_parse_amount, 1);
}

const char *tk_json_text(json_object *obj, size_t *len)
{
    return json_object_to_json_string_length(
        obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, len);
}
