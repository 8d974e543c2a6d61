/* tk_config.h: the Ticket* directives' values: ranges, defaults, and the
 * checks their handlers run (so that "apachectl -t" names the directive). */
#ifndef TK_CONFIG_H
#define TK_CONFIG_H

#include <stdint.h>
#include <apr_pools.h>

typedef enum {
    TK_CONF_CAPACITY = 0,
    TK_CONF_SERVICE_TTL,
    TK_CONF_HOLD_TTL,
    TK_CONF_ADVANCE_INTERVAL,
    TK_CONF_MAX_HOLDS_PER_USER,
    TK_CONF_MAX_CHARGE,
    TK_CONF_MAX_BALANCE,
    TK_CONF_MAX_BODY_BYTES,
    TK_CONF__NUMBERS
} tk_conf_number;

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

/* Reads "Open"/"Closed" (any case) for TicketQueue: NULL and *open set,
 * or an error message naming the directive. */
const char *tk_conf_read_queue_state(apr_pool_t *p, const char *arg, int *open);

/* Reads the token-signing secret file: NULL with *secret and *len set (from p),
 * or an error message naming TicketSecretFile (missing, unreadable, too
 * short). Surrounding white space is kept: the bytes are the secret. */
const char *tk_conf_read_secret(apr_pool_t *p, const char *path,
                                const unsigned char **secret, size_t *len);

#endif
