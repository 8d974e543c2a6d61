/* fuzz_token.c: the token headers (Authorization, Queue-Token: raw or
 * "Bearer …") and the token codec, unbound and bound to a caller. Input:
 * header value, newline, caller name. A token that decodes encodes back
 * to the same text; nothing forged decodes (the MAC is checked). */
#include <string.h>
#include "fuzz.h"
#include "tk_parse.h"
#include "tk_token.h"

static const unsigned char SECRET[] = "fuzz-secret-fuzz-secret-fuzz-secret!";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p = fuzz_pool();
    char *header, *caller, text[TK_TOKEN_MAX_LEN], again[TK_TOKEN_MAX_LEN];
    const char *callers[2];
    tk_token t;
    int i;

    header = fuzz_text(p, data, size, '\n', &caller);
    callers[0] = NULL;
    callers[1] = caller;
    if (!tk_token_from_authorization(header, text, sizeof(text))) {
        return 0;
    }
    for (i = 0; i < 2; ++i) {
        if (tk_token_decode_for(SECRET, sizeof(SECRET) - 1, text, callers[i], &t)) {
            /* only a token made with the secret decodes: inputs cannot be */
            FUZZ_ASSERT(tk_token_encode_for(SECRET, sizeof(SECRET) - 1, &t, callers[i],
                                            again, sizeof(again)) == 0);
            FUZZ_ASSERT(strcmp(again, text) == 0);
        }
    }
    /* and what an input's numbers make decodes back, for that caller only */
    if (tk_parse_id(header, &t.seq) == TK_PARSE_OK) {
        t.user_id = t.seq;
        if (tk_token_encode_for(SECRET, sizeof(SECRET) - 1, &t, caller, again,
                                sizeof(again)) == 0) {
            tk_token back;
            FUZZ_ASSERT(tk_token_decode_for(SECRET, sizeof(SECRET) - 1, again, caller, &back));
            FUZZ_ASSERT(back.seq == t.seq && back.user_id == t.user_id);
            FUZZ_ASSERT(!caller || !tk_token_decode(SECRET, sizeof(SECRET) - 1, again, &back));
        }
    }
    return 0;
}
