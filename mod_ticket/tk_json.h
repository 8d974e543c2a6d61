/* tk_json.h: strict JSON request bodies on top of json-c.
 *
 * json-c alone accepts NaN, single quotes, comments and silently saturates
 * integers past 64 bits, so a body is first checked against RFC 8259 here
 * (with integer literals limited to int64) and only then handed to json-c. */
#ifndef TK_JSON_H
#define TK_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

#define TK_JSON_MAX_DEPTH 16

/* 1 if buf[0..len) is one RFC 8259 JSON value (with surrounding white
 * space), nested at most TK_JSON_MAX_DEPTH deep, whose integer literals fit
 * int64 and whose strings are well-formed UTF-8 without U+0000; 0
 * otherwise. */
int tk_json_is_strict(const char *buf, size_t len);

/* The JSON object in buf, or NULL when buf is not a strict JSON object or
 * an object in it has a key twice (at any depth, however the keys are
 * escaped). The caller owns the result (json_object_put). */
json_object *tk_json_parse_object(const char *buf, size_t len);

typedef enum {
    TK_FIELD_OK = 0,
    TK_FIELD_MISSING,     /* no such key, or null */
    TK_FIELD_MALFORMED    /* wrong type or syntax */
} tk_field_rc;

/* An ID field: a positive int64 as a JSON integer or a string of digits. */
tk_field_rc tk_json_get_id(json_object *obj, const char *key, int64_t *out);

/* An amount field: like an ID, but zero and negative values are read (so
 * that the caller can tell an invalid amount from a malformed one). */
tk_field_rc tk_json_get_amount(json_object *obj, const char *key,
                               int64_t *out);

/* Compact UTF-8 text of obj, owned by obj ("/" not escaped). */
const char *tk_json_text(json_object *obj, size_t *len);

#endif
