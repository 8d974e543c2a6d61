/* tk_config.h: the Ticket* directives' values: ranges, defaults, and the
 * checks their handlers run (so that "apachectl -t" names the directive). */
#ifndef TK_CONFIG_H
#define TK_CONFIG_H

#include <stdint.h>
#include <apr_pools.h>

/* The latest migration (sql/NNN_*.sql) this module needs: GET /health?db=1
 * is ready only on a database that has it (test_docs checks the name). */
#define TK_SCHEMA_VERSION "012_seat_counts"

/* The numeric directives, the one list of their names, ranges, defaults
 * and help: X(ID, "Directive", min, max, default, "help"). It makes the
 * enum, the spec table (tk_config.c) and the directives with their help
 * strings (mod_ticket_config.c); a unit test holds README.md and
 * conf/ticket.conf to it. Plain decimal literals: they are also text. */
#define TK_CONF_NUMBER_LIST(X) \
    X(CAPACITY, "TicketCapacity", 1, 1000000, 100, \
      "tokens in service at once") \
    X(SERVICE_TTL, "TicketServiceTTL", 1, 86400, 600, \
      "seconds a token stays in service") \
    X(HOLD_TTL, "TicketHoldTTL", 1, 86400, 300, \
      "seconds a seat hold lasts") \
    X(ADVANCE_INTERVAL, "TicketAdvanceInterval", 1, 60, 1, \
      "seconds between queue advancements") \
    X(MAX_HOLDS_PER_USER, "TicketMaxHoldsPerUser", 1, 100, 4, \
      "live seat holds per user") \
    X(MAX_CHARGE, "TicketMaxCharge", 1, 1000000000000, 10000000, \
      "largest single charge, won") \
    X(MAX_BALANCE, "TicketMaxBalance", 1, 1000000000000000, 100000000, \
      "largest balance, won") \
    X(MAX_BODY_BYTES, "TicketMaxBodyBytes", 64, 1048576, 8192, \
      "request body limit, bytes") \
    X(ADMIT_RATE, "TicketAdmitRate", 0, 1000000, 0, \
      "admissions per 60 seconds, spread evenly; 0: no limit") \
    X(CLAIM_TIMEOUT, "TicketClaimTimeout", 0, 86400, 0, \
      "seconds an admitted token may go unused; 0: off") \
    X(LOOKUP_CACHE_MS, "TicketLookupCacheMs", 0, 5000, 500, \
      "how old an answer of endpoints 3-5 may be, ms; 0: the database's")

#define TK_CONF_ENUM(id, name, min, max, def, help) TK_CONF_##id,
typedef enum {
    TK_CONF_NUMBER_LIST(TK_CONF_ENUM)
    TK_CONF__NUMBERS
} tk_conf_number;
#undef TK_CONF_ENUM

typedef struct {
    const char *directive;   /* "TicketCapacity" */
    int64_t min, max, def;
    const char *help;        /* one line, for the directive table */
} tk_conf_spec;

/* The spec of a numeric directive. */
const tk_conf_spec *tk_conf_spec_of(tk_conf_number which);

/* Reads arg for the directive: NULL and *out set, or an error message
 * (from p) that names the directive and its range. */
const char *tk_conf_read_number(apr_pool_t *p, tk_conf_number which,
                                const char *arg, int64_t *out);

/* What TicketQueue lets happen. */
typedef enum {
    TK_QUEUE_OPEN = 0,          /* entries taken, tokens admitted */
    TK_QUEUE_PAUSED,            /* entries taken, nobody admitted */
    TK_QUEUE_CLOSED             /* entries refused, admission goes on */
} tk_queue_mode;

/* "Open", "Paused" or "Closed", as the directive is written. */
const char *tk_queue_mode_name(tk_queue_mode mode);

/* Reads "Open"/"Paused"/"Closed" (any case) for TicketQueue: NULL and
 * *mode set, or an error message naming the directive. */
const char *tk_conf_read_queue_mode(apr_pool_t *p, const char *arg, int *mode);

/* Reads an RFC 3339 instant with an offset for TicketSaleStart
 * ("2026-12-24T20:00:00+09:00", "2026-12-24T11:00:00Z", fractions of a
 * second to the microsecond, as PostgreSQL keeps them; not before 1970): NULL and *at set (microseconds since
 * 1970, as apr_time_t), or an error message naming the directive. */
const char *tk_conf_read_instant(apr_pool_t *p, const char *arg, int64_t *at);

/* Where the caller comes from (TicketIdentity). */
typedef enum {
    TK_IDENTITY_BODY = 0,       /* the request's userId (demos, tests) */
    TK_IDENTITY_REMOTE_USER     /* r->user, from the site's authentication */
} tk_identity;

/* Reads "Body"/"RemoteUser" (any case) for TicketIdentity: NULL and *out
 * set, or an error message naming the directive. */
const char *tk_conf_read_identity(apr_pool_t *p, const char *arg, int *out);

/* Reads the token-signing secret file: NULL with *secret and *len set (from p),
 * or an error message naming TicketSecretFile (missing, unreadable, too
 * short). Surrounding white space is kept: the bytes are the secret. */
const char *tk_conf_read_secret(apr_pool_t *p, const char *path,
                                const unsigned char **secret, size_t *len);

#endif
