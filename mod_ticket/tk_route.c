/* tk_route.c: routing table matcher (tk_route.h). */
#include <string.h>
#include <apr_strings.h>
#include "tk_route.h"

/* Does path match pattern? Parameter values go into m when it does. */
static int match_pattern(apr_pool_t *p, const char *pattern, const char *path,
                         tk_route_match *m)
{
    const char *pp = pattern, *sp = path;

    m->nparams = 0;
    while (*pp && *sp) {
        if (*pp != '/' || *sp != '/') {
            return 0;
        }
        ++pp;
        ++sp;
        size_t plen = strcspn(pp, "/"), slen = strcspn(sp, "/");
        if (*pp == ':') {
            if (slen == 0 || m->nparams == TK_ROUTE_MAX_PARAMS) {
                return 0;
            }
            m->names[m->nparams] = apr_pstrndup(p, pp + 1, plen - 1);
            m->values[m->nparams] = apr_pstrndup(p, sp, slen);
            m->nparams++;
        }
        else if (plen != slen || strncmp(pp, sp, plen) != 0) {
            return 0;
        }
        pp += plen;
        sp += slen;
    }
    return *pp == '\0' && *sp == '\0';
}

tk_route_rc tk_route_find(apr_pool_t *p, const tk_route *table, int n,
                          const char *path, const char *method,
                          tk_route_match *m)
{
    const char *want = strcmp(method, "HEAD") == 0 ? "GET" : method;
    const char *allow = NULL;
    tk_route_match probe;
    int i;

    memset(m, 0, sizeof(*m));
    for (i = 0; i < n; ++i) {
        if (!match_pattern(p, table[i].pattern, path, &probe)) {
            continue;
        }
        if (strcmp(table[i].method, want) == 0) {
            *m = probe;
            m->id = table[i].id;
            return TK_ROUTE_FOUND;
        }
        allow = allow ? apr_pstrcat(p, allow, ", ", table[i].method, NULL)
                      : table[i].method;
    }
    if (!allow) {
        return TK_ROUTE_NO_PATH;
    }
    m->allow = allow;
    return TK_ROUTE_NO_METHOD;
}

const char *tk_route_param(const tk_route_match *m, const char *name)
{
    int i;
    for (i = 0; i < m->nparams; ++i) {
        if (strcmp(m->names[i], name) == 0) {
            return m->values[i];
        }
    }
    return NULL;
}

const tk_route tk_api_routes[TK_API__COUNT] = {
    {"POST", "/queues", TK_API_QUEUES_ENTER},
    {"GET",  "/queues", TK_API_QUEUES_POLL},
    {"GET",  "/concerts", TK_API_CONCERTS},
    {"GET",  "/concerts/:concertId/dates", TK_API_DATES},
    {"GET",  "/concerts/:concertId/dates/:date/seats", TK_API_SEATS},
    {"POST", "/concerts/:concertId/schedules/:scheduleId/seats/:seatId/ticket",
             TK_API_HOLD},
    {"PATCH", "/payments/charges", TK_API_CHARGE},
    {"GET",  "/payments/:userId/accounts", TK_API_HISTORY},
    {"POST", "/payments/pays", TK_API_PAY},
    {"GET",  "/health", TK_API_HEALTH},
};

tk_route_rc tk_api_route_find(apr_pool_t *p, const char *path,
                              const char *method, tk_route_match *m)
{
    return tk_route_find(p, tk_api_routes, TK_API__COUNT, path, method, m);
}

/* uri below the first n bytes of base (a whole path segment), or NULL. */
static const char *below(const char *base, size_t n, const char *uri)
{
    if (strncmp(uri, base, n) != 0 || (uri[n] != '/' && uri[n] != '\0')) {
        return NULL;
    }
    return uri[n] ? uri + n : "/";
}

tk_route_rc tk_api_route_under(apr_pool_t *p, const char *base, const char *uri,
                               const char *method, tk_route_match *m)
{
    size_t n = base ? strlen(base) : 0;
    const char *rest;

    while (n > 0 && base[n - 1] == '/') {
        --n;                                    /* "/api/" is "/api" */
    }
    if (!(rest = below(base ? base : "", n, uri))) {
        memset(m, 0, sizeof(*m));
        return TK_ROUTE_NO_PATH;
    }
    return tk_api_route_find(p, rest, method, m);
}
