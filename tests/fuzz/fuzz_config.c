/* fuzz_config.c: directive values: every numeric directive, TicketQueue,
 * TicketIdentity; and the other strict readers (amounts, Idempotency-Key,
 * user names). A number taken is within its directive's range; a refusal
 * names the directive. */
#include <string.h>
#include "fuzz.h"
#include "tk_config.h"
#include "tk_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p = fuzz_pool();
    char *arg, *rest;
    const char *err;
    int64_t v;
    int i, flag;

    arg = fuzz_text(p, data, size, 0, &rest);
    for (i = 0; i < TK_CONF__NUMBERS; ++i) {
        const tk_conf_spec *spec = tk_conf_spec_of((tk_conf_number)i);
        err = tk_conf_read_number(p, (tk_conf_number)i, arg, &v);
        FUZZ_ASSERT(err ? strstr(err, spec->directive) == err
                        : v >= spec->min && v <= spec->max);
    }
    err = tk_conf_read_queue_mode(p, arg, &flag);
    FUZZ_ASSERT(err ? strstr(err, "TicketQueue") == err
                    : flag >= TK_QUEUE_OPEN && flag <= TK_QUEUE_CLOSED);
    err = tk_conf_read_identity(p, arg, &flag);
    FUZZ_ASSERT(!err || strstr(err, "TicketIdentity") == err);
    if (tk_parse_amount(arg, &v) == TK_PARSE_OK && tk_parse_id(arg, &v) == TK_PARSE_OK) {
        FUZZ_ASSERT(v > 0);
    }
    if (tk_parse_idempotency_key(arg) == TK_PARSE_OK) {
        FUZZ_ASSERT(strlen(arg) >= 1 && strlen(arg) <= 64);
    }
    if (tk_parse_user_name(arg) == TK_PARSE_OK) {
        FUZZ_ASSERT(strlen(arg) >= 1 && strlen(arg) <= TK_USER_NAME_MAX);
    }
    return 0;
}
