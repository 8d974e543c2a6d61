/* tk_route.h: the routing table matcher. Patterns are literal segments and
 * ":name" parameters ("/concerts/:concertId/dates"). */
#ifndef TK_ROUTE_H
#define TK_ROUTE_H

#include <apr_pools.h>

#define TK_ROUTE_MAX_PARAMS 4

typedef struct {
    const char *method;     /* "GET", "POST", "PATCH", … */
    const char *pattern;
    int id;                 /* the caller's route number */
} tk_route;

typedef struct {
    int id;
    int nparams;
    const char *names[TK_ROUTE_MAX_PARAMS];
    const char *values[TK_ROUTE_MAX_PARAMS];
    const char *allow;      /* methods of the path, for 405 ("GET, POST") */
} tk_route_match;

typedef enum {
    TK_ROUTE_FOUND = 0,
    TK_ROUTE_NO_PATH,       /* 404 */
    TK_ROUTE_NO_METHOD      /* 405, m->allow is set */
} tk_route_rc;

/* Matches path (relative to the handler's Location, starting with "/") and
 * method against the table. HEAD matches GET routes. */
tk_route_rc tk_route_find(apr_pool_t *p, const tk_route *table, int n,
                          const char *path, const char *method,
                          tk_route_match *m);

/* The value of a path parameter of a match, or NULL. */
const char *tk_route_param(const tk_route_match *m, const char *name);

#endif
