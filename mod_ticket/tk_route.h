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

/* The API's routes (openapi.yaml), numbered as tk_api_routes lists them. */
typedef enum {
    TK_API_QUEUES_ENTER = 0,    /* 1. POST /queues */
    TK_API_QUEUES_POLL,         /* 2. GET /queues */
    TK_API_CONCERTS,            /* 3. GET /concerts */
    TK_API_DATES,               /* 4 */
    TK_API_SEATS,               /* 5 */
    TK_API_HOLD,                /* 6 */
    TK_API_CHARGE,              /* 7 */
    TK_API_HISTORY,             /* 8 */
    TK_API_PAY,                 /* 9 */
    TK_API_HEALTH,              /* 10. GET /health */
    TK_API__COUNT
} tk_api_route;

extern const tk_route tk_api_routes[TK_API__COUNT];

/* tk_route_find on the API's table; m->id is a tk_api_route. */
tk_route_rc tk_api_route_find(apr_pool_t *p, const char *path,
                              const char *method, tk_route_match *m);

/* The same for a request's uri under the API's root base (the path of
 * the <Location> that serves it: "/api" routes "/api/queues" as
 * "/queues"); a uri not below base, by whole segments, has no route.
 * NULL base: uri is the API path itself. */
tk_route_rc tk_api_route_under(apr_pool_t *p, const char *base, const char *uri,
                               const char *method, tk_route_match *m);

#endif
