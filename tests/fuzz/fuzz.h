/* fuzz.h: what the fuzz targets share. Each target is one
 * LLVMFuzzerTestOneInput over a piece of the core (no httpd): built with
 * clang's libFuzzer by `make fuzz`, and with replay.c's main (gcc, ASan,
 * UBSan) by `make test`, which runs every file of its corpus once. */
#ifndef TK_FUZZ_H
#define TK_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <apr_general.h>
#include <apr_pools.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A pool for one input, cleared before the next. */
static inline apr_pool_t *fuzz_pool(void)
{
    static apr_pool_t *p;

    if (!p) {
        if (apr_initialize() != APR_SUCCESS || apr_pool_create(&p, NULL) != APR_SUCCESS) {
            abort();
        }
    }
    apr_pool_clear(p);
    return p;
}

/* data as a NUL-terminated string (from pool p), and the rest after the
 * first separator byte sep in *rest (NULL when there is none). */
static inline char *fuzz_text(apr_pool_t *p, const uint8_t *data, size_t size,
                              char sep, char **rest)
{
    char *s = apr_palloc(p, size + 1), *cut;

    memcpy(s, data, size);
    s[size] = '\0';
    *rest = NULL;
    if (sep && (cut = memchr(s, sep, size)) != NULL) {
        *cut = '\0';
        *rest = cut + 1;
    }
    return s;
}

/* A property of the code under test that did not hold: abort, so that
 * libFuzzer keeps the input and the replay fails. */
#define FUZZ_ASSERT(cond) do { if (!(cond)) abort(); } while (0)

#endif
