/* fuzz_route.c: the router with its path parameters. Input: base, uri and
 * method separated by newlines. A found route names a real route, every
 * parameter value is a whole non-empty segment of the uri, and 405's
 * Allow lists only methods of the table. Then the handlers' readers of
 * those values (IDs, dates, the history limit and the health query). */
#include <string.h>
#include "fuzz.h"
#include "tk_parse.h"
#include "tk_route.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p = fuzz_pool();
    char *base, *uri, *method, *query;
    tk_route_match m;
    tk_route_rc rc;
    int64_t id;
    int y, mo, d, limit, i;
    const char *v;
    size_t len;

    base = fuzz_text(p, data, size, '\n', &uri);
    if (!uri) {
        return 0;
    }
    uri = fuzz_text(p, (const uint8_t *)uri, strlen(uri), '\n', &method);
    if (!method) {
        method = "GET";
    }
    query = strchr(uri, '?');
    if (query) {
        *query++ = '\0';
    }
    rc = tk_api_route_under(p, *base ? base : NULL, uri, method, &m);
    if (rc == TK_ROUTE_FOUND) {
        FUZZ_ASSERT(m.id >= 0 && m.id < TK_API__COUNT);
        for (i = 0; i < m.nparams; ++i) {
            FUZZ_ASSERT(m.values[i][0] != '\0' && !strchr(m.values[i], '/'));
            FUZZ_ASSERT(strstr(uri, m.values[i]) != NULL);
            (void)tk_parse_id(m.values[i], &id);
            (void)tk_parse_date(m.values[i], &y, &mo, &d);
        }
    }
    else if (rc == TK_ROUTE_NO_METHOD) {
        FUZZ_ASSERT(m.allow && *m.allow);
    }
    (void)tk_parse_limit(query, 20, 100, &limit);
    FUZZ_ASSERT(!query || tk_parse_limit(query, 20, 100, &limit) != TK_PARSE_OK
                || (limit >= 1 && limit <= 100));
    (void)tk_query_param(query, "db", &v, &len);
    return 0;
}
