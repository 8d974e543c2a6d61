/* fuzz_body.c: the request bodies of endpoints 1 and 6 to 9 (strict JSON,
 * then their fields: userId, ticketId, amount). A body the strict reader
 * takes is one json-c also reads to the end, its text is strict again, and
 * each field reads the same from it. */
#include <json-c/json.h>
#include "fuzz.h"
#include "tk_json.h"

static const char *const FIELDS[] = {"userId", "ticketId", "amount"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_object *obj = tk_json_parse_object((const char *)data, size), *again;
    const char *text;
    size_t len, i;
    int64_t a, b;

    if (!obj) {
        return 0;
    }
    text = tk_json_text(obj, &len);
    FUZZ_ASSERT(tk_json_is_strict(text, len));
    again = tk_json_parse_object(text, len);
    FUZZ_ASSERT(again != NULL);
    for (i = 0; i < sizeof(FIELDS) / sizeof(FIELDS[0]); ++i) {
        tk_field_rc ra = tk_json_get_id(obj, FIELDS[i], &a);
        tk_field_rc rb = tk_json_get_id(again, FIELDS[i], &b);
        FUZZ_ASSERT(ra == rb && (ra != TK_FIELD_OK || (a == b && a > 0)));
        ra = tk_json_get_amount(obj, FIELDS[i], &a);
        rb = tk_json_get_amount(again, FIELDS[i], &b);
        FUZZ_ASSERT(ra == rb && (ra != TK_FIELD_OK || a == b));
    }
    json_object_put(again);
    json_object_put(obj);
    return 0;
}
