/* test_json.c: unit tests of tk_json (strict RFC 8259 check, object
 * parsing, typed field readers, compact text). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>

#include "tk_json.h"

#define SENTINEL INT64_C(-777)

static int strict(const char *s)
{
    return tk_json_is_strict(s, strlen(s));
}

static void assert_strict(const char *s)
{
    if (!strict(s)) {
        fail_msg("tk_json_is_strict refused valid JSON: %s", s);
    }
}

static void assert_not_strict(const char *s)
{
    if (strict(s)) {
        fail_msg("tk_json_is_strict accepted invalid JSON: %s", s);
    }
}

/* n nested arrays around "1" when leaf, else empty: [[...[1]...]] */
static void nested_arrays(char *buf, int n, int leaf)
{
    char *p = buf;
    int i;
    for (i = 0; i < n; ++i) *p++ = '[';
    if (leaf) *p++ = '1';
    for (i = 0; i < n; ++i) *p++ = ']';
    *p = '\0';
}

/* n nested objects: {"a":{"a":...{"b":1}...}} */
static void nested_objects(char *buf, int n)
{
    char *p = buf;
    int i;
    for (i = 1; i < n; ++i) {
        memcpy(p, "{\"a\":", 5);
        p += 5;
    }
    memcpy(p, "{\"b\":1}", 7);
    p += 7;
    for (i = 1; i < n; ++i) *p++ = '}';
    *p = '\0';
}

/* ---- tk_json_is_strict ---- */

static void test_strict_accepts(void **state)
{
    static const char *good[] = {
        "{}", "[]", "{\"a\":1}", "[1,2,3]", "1", "0", "-0", "-1", "1.5",
        "-0.25", "0.0", "1e3", "1E3", "1e+3", "1E-3", "-1.5e-10", "2.5E+07",
        "true", "false", "null", "\"\"", "\"x\"",
        "{\"a\":[1,{\"b\":[true,false,null]},\"c\"],\"d\":{\"e\":{}}}",
        "[[],[[]],{},[{}]]",
        "\"\\u00e9\\uD55C\\u0001\\uffff\"",
        "\"\\ud83d\\ude00\"",
        "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"",
        "\"한국어 text / slash\"",
        "{\"msg\":\"현재 대기열은 17명입니다.\"}",
        " {} ", "\t\r\n{\"a\" : 1 , \"b\" :\n[ 1 , 2 ]\t}\r\n", "  1  ",
        "\n\"x\"\n",
        "9223372036854775807", "-9223372036854775807",
        "{\"userId\":9223372036854775807}", "[-9223372036854775807]",
        /* only integer literals are limited to int64 */
        "9223372036854775808.0", "9223372036854775808e0", "1e400",
        "-9223372036854775809.5",
    };
    size_t i;
    (void)state;
    for (i = 0; i < sizeof(good) / sizeof(good[0]); ++i) {
        assert_strict(good[i]);
    }
}

static void test_strict_rejects(void **state)
{
    static const char *bad[] = {
        "", " ", "\n",
        "NaN", "nan", "-NaN", "Infinity", "-Infinity", "inf",
        "{\"a\":NaN}", "[Infinity]",
        "'x'", "{'a':1}", "{\"a\":'b'}",
        "/* c */{}", "{}/* c */", "// c\n{}", "{}// c", "{\"a\":1 /* c */}",
        "# c\n{}",
        "{} x", "{}{}", "[] []", "1 2", "{}}", "[]]", "\"x\"x", "truex",
        "[1,]", "{\"a\":1,}", "[,1]", "{,}", "[1,,2]", "{\"a\":1,,\"b\":2}",
        "01", "-01", "00", "[01]", "{\"a\":007}", "-00.5",
        "1.", ".5", "-.5", "1e", "1e+", "1E-", "-", "+1", "1.e3", "0x10",
        "1_000",
        "\"\\x41\"", "\"\\'\"", "\"\\a\"", "\"\\u12\"", "\"\\u12G4\"",
        "\"\\uZZZZ\"", "\"\\", "\"\\\"", "\"\\u00e",
        "\"unterminated", "[1", "{", "{\"a\"", "{\"a\":", "{\"a\":1",
        "{\"a\"}", "{\"a\" 1}", "{1:2}", "{a:1}", "{\"a\":1 \"b\":2}",
        "[1 2]", "tru", "nul", "fals", "True", "NULL", "undefined",
        "9223372036854775808", "-9223372036854775809",
        "-9223372036854775808",   /* int64 min: refused too, see tk_json.c */
        "18446744073709551616", "99999999999999999999999999",
        "{\"userId\":9223372036854775808}", "[-9223372036854775809]",
        "\xef\xbb\xbf{}",         /* a byte-order mark is no white space */
        "\xc2\xa0{}",             /* nor is a no-break space */
        "\f{}", "\v{}",
    };
    size_t i;
    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); ++i) {
        assert_not_strict(bad[i]);
    }
}

static void test_strict_control_characters(void **state)
{
    char buf[8];
    int c;
    (void)state;
    /* every unescaped control character inside a string is refused */
    for (c = 0; c < 0x20; ++c) {
        buf[0] = '"';
        buf[1] = 'a';
        buf[2] = (char)c;
        buf[3] = 'b';
        buf[4] = '"';
        if (tk_json_is_strict(buf, 5)) {
            fail_msg("unescaped control character 0x%02x accepted", c);
        }
    }
    /* DEL is not a control character for JSON */
    assert_true(tk_json_is_strict("\"a\x7f" "b\"", 5));
    /* a NUL after the value is trailing garbage */
    assert_false(tk_json_is_strict("{}\0", 3));
    assert_false(tk_json_is_strict("\0{}", 3));
}

static void test_strict_respects_len(void **state)
{
    (void)state;
    assert_true(tk_json_is_strict("{}garbage", 2));
    assert_false(tk_json_is_strict("{}garbage", 3));
    assert_false(tk_json_is_strict("{\"a\":1}", 6));
    assert_true(tk_json_is_strict("123", 2));
    assert_false(tk_json_is_strict("\"ab\"", 3));
    assert_false(tk_json_is_strict("{}", 0));
    assert_false(tk_json_is_strict(NULL, 0));
    assert_false(tk_json_is_strict(NULL, 5));
}

static void test_strict_depth(void **state)
{
    char buf[512];
    int d;
    (void)state;
    for (d = 1; d <= TK_JSON_MAX_DEPTH; ++d) {
        nested_arrays(buf, d, 0);
        assert_strict(buf);
        nested_arrays(buf, d, 1);
        assert_strict(buf);
        nested_objects(buf, d);
        assert_strict(buf);
    }
    for (d = TK_JSON_MAX_DEPTH + 1; d <= TK_JSON_MAX_DEPTH + 3; ++d) {
        nested_arrays(buf, d, 0);
        assert_not_strict(buf);
        nested_arrays(buf, d, 1);
        assert_not_strict(buf);
        nested_objects(buf, d);
        assert_not_strict(buf);
    }
    /* depth counts nesting, not the number of containers */
    strcpy(buf, "[");
    for (d = 0; d < 100; ++d) strcat(buf, "[],");
    strcat(buf, "{}]");
    assert_strict(buf);
}

/* Well-formed UTF-8, at the edges of each sequence length. */
static const char *const utf8_good[] = {
    "\x7f", "\xc2\x80", "\xc3\xa9", "\xdf\xbf", "\xe0\xa0\x80",
    "\xed\x9f\xbf", "\xee\x80\x80", "\xef\xbf\xbf", "\xea\xb0\x80",
    "\xed\x95\x9c", "\xf0\x90\x80\x80", "\xf0\x9f\x98\x80",
    "\xf4\x8f\xbf\xbf",
};

/* Ill-formed UTF-8. */
static const char *const utf8_bad[] = {
    "\x80", "\xbf", "\xff", "\xfe", "\xc3", "\xc3\x28", "\xc3\xc3",
    "\xc0\xaf", "\xc1\xbf",                 /* overlong 2-byte */
    "\xe0\x80\xaf", "\xe0\x9f\xbf",         /* overlong 3-byte */
    "\xed\xa0\x80", "\xed\xbf\xbf",         /* UTF-16 surrogates */
    "\xf0\x80\x80\xaf", "\xf0\x8f\xbf\xbf", /* overlong 4-byte */
    "\xf4\x90\x80\x80", "\xf5\x80\x80\x80", /* past U+10FFFF */
    "\xf8\x88\x80\x80\x80", "\xfc\x84\x80\x80\x80\x80",
    "\xe2\x82", "\xf0\x9f\x98",             /* truncated */
    "\xe2\x28\xa1", "\xf0\x9f\x28\x80", "\xf0\x9f\x98\x28",
};

static void test_strict_utf8(void **state)
{
    char buf[64];
    size_t i;
    (void)state;
    for (i = 0; i < sizeof(utf8_good) / sizeof(utf8_good[0]); ++i) {
        snprintf(buf, sizeof(buf), "\"a%sb\"", utf8_good[i]);
        assert_strict(buf);
    }
    for (i = 0; i < sizeof(utf8_bad) / sizeof(utf8_bad[0]); ++i) {
        snprintf(buf, sizeof(buf), "\"a%sb\"", utf8_bad[i]);
        assert_not_strict(buf);
        snprintf(buf, sizeof(buf), "\"a%s\"", utf8_bad[i]);
        assert_not_strict(buf);
    }
    /* a truncated sequence at the very end of the buffer */
    assert_false(tk_json_is_strict("\"\xed\x95\x9c\"", 3));
    /* bytes above 0x7f outside strings */
    assert_not_strict("\xc3\xa9");
    assert_not_strict("[\xc3\xa9]");
}

/* Every proper prefix of a document, in a heap buffer of exactly its
 * length, is refused without a read past the buffer (ASan). */
static void test_strict_prefixes(void **state)
{
    static const char doc[] =
        "{\"a\":[1,-2.5e+3,true,false,null,\"\\u00e9\\n\"],"
        "\"\xed\x95\x9c\":\"\xf0\x9f\x98\x80\xc3\xa9\xe2\x82\xac\","
        "\"b\":{\"c\":{}}}";
    size_t n, len = strlen(doc);
    char *buf;
    (void)state;
    assert_strict(doc);
    for (n = 0; n < len; ++n) {
        buf = malloc(n ? n : 1);
        assert_non_null(buf);
        memcpy(buf, doc, n);
        if (tk_json_is_strict(buf, n)) {
            fail_msg("prefix of %zu bytes accepted", n);
        }
        free(buf);
    }
}

/* ---- tk_json_parse_object ---- */

static json_object *parse(const char *s)
{
    return tk_json_parse_object(s, strlen(s));
}

static void test_parse_object_ok(void **state)
{
    json_object *o, *v;
    (void)state;

    o = parse("{}");
    assert_non_null(o);
    assert_true(json_object_is_type(o, json_type_object));
    assert_int_equal(json_object_object_length(o), 0);
    json_object_put(o);

    o = parse(" \t{\"userId\": 7, \"name\": \"\\uD55C\xea\xb5\xad\"}\r\n");
    assert_non_null(o);
    assert_true(json_object_object_get_ex(o, "userId", &v));
    assert_int_equal(json_object_get_int64(v), 7);
    assert_true(json_object_object_get_ex(o, "name", &v));
    assert_string_equal(json_object_get_string(v), "\xed\x95\x9c\xea\xb5\xad");
    json_object_put(o);

    o = parse("{\"a\":{\"b\":[1,2,{\"c\":null}]}}");
    assert_non_null(o);
    json_object_put(o);

    o = parse("{\"big\":9223372036854775807}");
    assert_non_null(o);
    assert_true(json_object_object_get_ex(o, "big", &v));
    assert_int_equal(json_object_get_int64(v), INT64_MAX);
    json_object_put(o);
}

/* Every text of bad[0..n) is refused by tk_json_parse_object. */
static void assert_all_refused(const char *const *bad, size_t n, const char *why)
{
    size_t i;
    json_object *o;

    for (i = 0; i < n; ++i) {
        if ((o = parse(bad[i])) != NULL) {
            json_object_put(o);
            fail_msg("tk_json_parse_object accepted %s: %s", why, bad[i]);
        }
    }
}
#define ASSERT_ALL_REFUSED(bad, why) \
    assert_all_refused(bad, sizeof(bad) / sizeof(bad[0]), why)

/* A key twice, at any depth and however it is escaped, and U+0000 in a
 * key or a string: not strict (the last duplicate would win, and "1\0junk"
 * would read as "1"). */
static void test_parse_object_duplicates_and_nul(void **state)
{
    static const char *const bad[] = {
        "{\"userId\": 1, \"userId\": 2}",
        "{\"userId\": 1, \"\\u0075serId\": 2}",
        "{\"a\": {\"b\": 1, \"b\": 1}}",
        "{\"a\": [{\"x\": 1}, {\"y\": 1, \"y\": 2}]}",
        "{\"a\": {\"c\": 1}, \"a\": {\"c\": 1}}",
        "{\"userId\": \"1\\u0000junk\"}",
        "{\"user\\u0000Id\": 1}",
        "{\"\\u0000\": 1}",
        /* lone surrogates: json-c reads either as U+FFFD, keys collide */
        "{\"\\ud800\": 1}", "{\"\\udc00\": 1}", "{\"a\\ud83dx\": 1}",
        "{\"a\": \"\\ud83d\\u0041\"}", "{\"a\": \"\\ude00\\ud83d\"}",
    };
    static const char *const good[] = {
        "{\"a\": 1, \"b\": 1}",
        "{\"a\": {\"a\": {\"a\": 1}}}",
        "{\"a\": [{\"x\": 1}, {\"x\": 2}]}",
        "{\"a\": \"\\u0001\\u0100\"}",
        "{\"a\": \"\\ud83d\\ude00\", \"b\": \"\\uD83D\\uDE00\"}",
    };
    size_t i;
    json_object *o;
    (void)state;

    ASSERT_ALL_REFUSED(bad, "a key twice or U+0000");
    for (i = 0; i < sizeof(good) / sizeof(good[0]); ++i) {
        o = parse(good[i]);
        if (!o) {
            fail_msg("refused: %s", good[i]);
        }
        json_object_put(o);
    }
    assert_false(tk_json_is_strict("\"\\u0000\"", 8));
}

static void test_parse_object_not_object(void **state)
{
    static const char *const bad[] = {
        "[1]", "[]", "1", "0", "-1", "1.5", "\"x\"", "\"\"", "true", "false",
        "null", " [ {} ] ", "  7\n",
    };
    (void)state;
    ASSERT_ALL_REFUSED(bad, "a non-object");
}

static void test_parse_object_invalid(void **state)
{
    static const char *const bad[] = {
        "", "{", "{\"a\":1", "{\"a\":1}x", "{\"a\":1}{}", "{'a':1}",
        "{\"a\":NaN}", "{\"a\":1,}", "{\"a\":01}", "{/*c*/}",
        "{\"a\":9223372036854775808}", "{\"a\":-9223372036854775809}",
        "{\"a\":\"\\q\"}",
    };
    json_object *o;
    (void)state;
    ASSERT_ALL_REFUSED(bad, "invalid JSON");
    assert_null(tk_json_parse_object(NULL, 0));
    assert_null(tk_json_parse_object("{}", 1));
    o = tk_json_parse_object("{}xyz", 2);
    assert_non_null(o);
    json_object_put(o);
}

static void test_parse_object_utf8(void **state)
{
    char buf[64];
    size_t i;
    json_object *o, *v;
    (void)state;
    for (i = 0; i < sizeof(utf8_good) / sizeof(utf8_good[0]); ++i) {
        snprintf(buf, sizeof(buf), "{\"s\":\"%s\"}", utf8_good[i]);
        o = parse(buf);
        if (!o) {
            fail_msg("valid UTF-8 refused: %s", buf);
        }
        assert_true(json_object_object_get_ex(o, "s", &v));
        assert_string_equal(json_object_get_string(v), utf8_good[i]);
        json_object_put(o);
    }
    for (i = 0; i < sizeof(utf8_bad) / sizeof(utf8_bad[0]); ++i) {
        snprintf(buf, sizeof(buf), "{\"s\":\"a%sb\"}", utf8_bad[i]);
        o = parse(buf);
        if (o) {
            json_object_put(o);
            fail_msg("invalid UTF-8 in a value accepted (case %zu)", i);
        }
        snprintf(buf, sizeof(buf), "{\"k%s\":1}", utf8_bad[i]);
        o = parse(buf);
        if (o) {
            json_object_put(o);
            fail_msg("invalid UTF-8 in a key accepted (case %zu)", i);
        }
    }
}

static void test_parse_object_depth(void **state)
{
    char buf[512];
    json_object *o;
    (void)state;
    nested_objects(buf, TK_JSON_MAX_DEPTH);
    o = parse(buf);
    assert_non_null(o);
    json_object_put(o);
    /* an object around arrays, TK_JSON_MAX_DEPTH deep with a scalar leaf */
    strcpy(buf, "{\"a\":");
    nested_arrays(buf + strlen(buf), TK_JSON_MAX_DEPTH - 1, 1);
    strcat(buf, "}");
    o = parse(buf);
    assert_non_null(o);
    json_object_put(o);

    nested_objects(buf, TK_JSON_MAX_DEPTH + 1);
    assert_null(parse(buf));
    strcpy(buf, "{\"a\":");
    nested_arrays(buf + strlen(buf), TK_JSON_MAX_DEPTH, 1);
    strcat(buf, "}");
    assert_null(parse(buf));
}

/* ---- tk_json_get_id / tk_json_get_amount ---- */

static const char fields[] =
    "{\"int\":5, \"str\":\"42\", \"null\":null, \"neg\":-3, \"zero\":0,"
    " \"negzero\":-0, \"zs\":\"0\", \"negs\":\"-3\", \"float\":1.0,"
    " \"frac\":1.5, \"exp\":1e3, \"true\":true, \"false\":false,"
    " \"obj\":{}, \"objid\":{\"id\":1}, \"arr\":[1], \"lz\":\"01\","
    " \"sp\":\" 1\", \"sp2\":\"1 \", \"plus\":\"+1\", \"empty\":\"\","
    " \"word\":\"abc\", \"hex\":\"0x10\", \"sfrac\":\"1.0\", \"sexp\":\"1e3\","
    " \"max\":9223372036854775807, \"maxs\":\"9223372036854775807\","
    " \"over\":\"9223372036854775808\", \"min\":-9223372036854775807,"
    " \"mins\":\"-9223372036854775807\", \"dash\":\"-\", \"dd\":\"--1\","
    " \"negzs\":\"-0\", \"neglz\":\"-01\", \"big\":12345678901234}";

static json_object *fields_obj(void)
{
    json_object *o = tk_json_parse_object(fields, strlen(fields));
    if (!o) {
        fail_msg("the fields fixture does not parse");
    }
    return o;
}

static void assert_id(json_object *o, const char *key, tk_field_rc want,
                      int64_t want_v)
{
    int64_t v = SENTINEL;
    tk_field_rc rc = tk_json_get_id(o, key, &v);
    if (rc != want) {
        fail_msg("tk_json_get_id(\"%s\") = %d, want %d", key, (int)rc, (int)want);
    }
    assert_int_equal(v, want == TK_FIELD_OK ? want_v : SENTINEL);
}

static void assert_amount(json_object *o, const char *key, tk_field_rc want,
                          int64_t want_v)
{
    int64_t v = SENTINEL;
    tk_field_rc rc = tk_json_get_amount(o, key, &v);
    if (rc != want) {
        fail_msg("tk_json_get_amount(\"%s\") = %d, want %d", key, (int)rc,
                 (int)want);
    }
    assert_int_equal(v, want == TK_FIELD_OK ? want_v : SENTINEL);
}

static void test_get_id(void **state)
{
    static const char *malformed[] = {
        "neg", "zero", "negzero", "zs", "negs", "float", "frac", "exp", "true",
        "false", "obj", "objid", "arr", "lz", "sp", "sp2", "plus", "empty",
        "word", "hex", "sfrac", "sexp", "over", "min", "mins", "dash", "dd",
        "negzs", "neglz",
    };
    size_t i;
    json_object *o = fields_obj();
    (void)state;

    assert_id(o, "int", TK_FIELD_OK, 5);
    assert_id(o, "str", TK_FIELD_OK, 42);
    assert_id(o, "big", TK_FIELD_OK, INT64_C(12345678901234));
    assert_id(o, "max", TK_FIELD_OK, INT64_MAX);
    assert_id(o, "maxs", TK_FIELD_OK, INT64_MAX);
    assert_id(o, "missing", TK_FIELD_MISSING, 0);
    assert_id(o, "null", TK_FIELD_MISSING, 0);
    assert_id(o, "Int", TK_FIELD_MISSING, 0);    /* keys are case-sensitive */
    for (i = 0; i < sizeof(malformed) / sizeof(malformed[0]); ++i) {
        assert_id(o, malformed[i], TK_FIELD_MALFORMED, 0);
    }
    json_object_put(o);
}

static void test_get_amount(void **state)
{
    static const char *malformed[] = {
        "float", "frac", "exp", "true", "false", "obj", "objid", "arr", "lz",
        "sp", "sp2", "plus", "empty", "word", "hex", "sfrac", "sexp", "over",
        "dash", "dd", "neglz",
    };
    size_t i;
    json_object *o = fields_obj();
    (void)state;

    assert_amount(o, "int", TK_FIELD_OK, 5);
    assert_amount(o, "str", TK_FIELD_OK, 42);
    assert_amount(o, "neg", TK_FIELD_OK, -3);
    assert_amount(o, "zero", TK_FIELD_OK, 0);
    assert_amount(o, "negzero", TK_FIELD_OK, 0);
    assert_amount(o, "zs", TK_FIELD_OK, 0);
    assert_amount(o, "negs", TK_FIELD_OK, -3);
    assert_amount(o, "negzs", TK_FIELD_OK, 0);
    assert_amount(o, "max", TK_FIELD_OK, INT64_MAX);
    assert_amount(o, "maxs", TK_FIELD_OK, INT64_MAX);
    assert_amount(o, "min", TK_FIELD_OK, -INT64_MAX);
    assert_amount(o, "mins", TK_FIELD_OK, -INT64_MAX);
    assert_amount(o, "missing", TK_FIELD_MISSING, 0);
    assert_amount(o, "null", TK_FIELD_MISSING, 0);
    for (i = 0; i < sizeof(malformed) / sizeof(malformed[0]); ++i) {
        assert_amount(o, malformed[i], TK_FIELD_MALFORMED, 0);
    }
    json_object_put(o);
}

/* ---- tk_json_text ---- */

static void test_text(void **state)
{
    json_object *o = json_object_new_object();
    const char *text;
    size_t len = 0;
    static const char want[] =
        "{\"url\":\"/concerts/1/dates\",\"message\":\"현재 대기열은 17명입니다.\","
        "\"n\":17,\"neg\":-5,\"ok\":true,\"none\":null,\"arr\":[1,\"a/b\"]}";
    json_object *arr = json_object_new_array();
    (void)state;

    json_object_object_add(o, "url", json_object_new_string("/concerts/1/dates"));
    json_object_object_add(o, "message",
                           json_object_new_string("현재 대기열은 17명입니다."));
    json_object_object_add(o, "n", json_object_new_int64(17));
    json_object_object_add(o, "neg", json_object_new_int64(-5));
    json_object_object_add(o, "ok", json_object_new_boolean(1));
    json_object_object_add(o, "none", NULL);
    json_object_array_add(arr, json_object_new_int64(1));
    json_object_array_add(arr, json_object_new_string("a/b"));
    json_object_object_add(o, "arr", arr);

    text = tk_json_text(o, &len);
    assert_non_null(text);
    assert_string_equal(text, want);
    assert_int_equal(len, strlen(want));
    assert_null(strstr(text, "\\/"));
    assert_null(strstr(text, "\\u"));
    /* the compact text is itself strict JSON */
    assert_true(tk_json_is_strict(text, len));
    json_object_put(o);
}

static void test_text_escapes(void **state)
{
    json_object *o = json_object_new_object();
    const char *text;
    size_t len = 0;
    (void)state;

    json_object_object_add(o, "s", json_object_new_string("q\"b\\n\nt\t\x01/"));
    text = tk_json_text(o, &len);
    assert_string_equal(text, "{\"s\":\"q\\\"b\\\\n\\nt\\t\\u0001/\"}");
    assert_int_equal(len, strlen(text));
    assert_true(tk_json_is_strict(text, len));
    json_object_put(o);
}

static void test_text_round_trip(void **state)
{
    static const char in[] =
        " { \"userId\" : 12 , \"title\" : \"\\uc544\\uc774\\uc720 \\/ IU\" ,"
        " \"list\" : [ 1 , 2.5 , false ] } ";
    json_object *o, *again;
    const char *text;
    size_t len;
    (void)state;

    o = tk_json_parse_object(in, strlen(in));
    assert_non_null(o);
    text = tk_json_text(o, &len);
    assert_string_equal(text,
        "{\"userId\":12,\"title\":\"아이유 / IU\",\"list\":[1,2.5,false]}");
    again = tk_json_parse_object(text, len);
    assert_non_null(again);
    assert_true(json_object_equal(o, again));
    json_object_put(again);
    json_object_put(o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strict_accepts),
        cmocka_unit_test(test_strict_rejects),
        cmocka_unit_test(test_strict_control_characters),
        cmocka_unit_test(test_strict_respects_len),
        cmocka_unit_test(test_strict_depth),
        cmocka_unit_test(test_strict_utf8),
        cmocka_unit_test(test_strict_prefixes),
        cmocka_unit_test(test_parse_object_ok),
        cmocka_unit_test(test_parse_object_duplicates_and_nul),
        cmocka_unit_test(test_parse_object_not_object),
        cmocka_unit_test(test_parse_object_invalid),
        cmocka_unit_test(test_parse_object_utf8),
        cmocka_unit_test(test_parse_object_depth),
        cmocka_unit_test(test_get_id),
        cmocka_unit_test(test_get_amount),
        cmocka_unit_test(test_text),
        cmocka_unit_test(test_text_escapes),
        cmocka_unit_test(test_text_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
