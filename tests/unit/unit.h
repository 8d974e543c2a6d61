/* unit.h: what several unit tests share: cmocka, and an APR pool as the
 * group's state (for the core functions that allocate from one). */
#ifndef TK_UNIT_H
#define TK_UNIT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <apr_general.h>
#include <apr_pools.h>

static inline int unit_pool_setup(void **state)
{
    apr_pool_t *p;
    if (apr_initialize() != APR_SUCCESS || apr_pool_create(&p, NULL) != APR_SUCCESS) {
        return -1;
    }
    *state = p;
    return 0;
}

static inline int unit_pool_teardown(void **state)
{
    apr_pool_destroy(*state);
    apr_terminate();
    return 0;
}

#endif
