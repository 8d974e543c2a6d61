/* tk_config.c: directive value checks (tk_config.h). */
#include <apr_file_io.h>
#include <apr_strings.h>
#include <strings.h>
#include "tk_config.h"
#include "tk_parse.h"
#include "tk_token.h"

#define SECRET_READ_MAX 4096

#define SPEC(id, name, min, max, def, help) \
    [TK_CONF_##id] = {name, min, max, def, help},
static const tk_conf_spec specs[TK_CONF__NUMBERS] = {
    TK_CONF_NUMBER_LIST(SPEC)
};
#undef SPEC

const tk_conf_spec *tk_conf_spec_of(tk_conf_number which)
{
    return (int)which >= 0 && which < TK_CONF__NUMBERS ? &specs[which] : NULL;
}

const char *tk_conf_read_number(apr_pool_t *p, tk_conf_number which,
                                const char *arg, int64_t *out)
{
    const tk_conf_spec *spec = tk_conf_spec_of(which);

    switch (tk_parse_bounded(arg, spec->min, spec->max, out)) {
    case TK_PARSE_OK:
        return NULL;
    case TK_PARSE_RANGE:
        return apr_psprintf(p, "%s: '%s' is out of range (%" APR_INT64_T_FMT
                            "-%" APR_INT64_T_FMT ")", spec->directive, arg,
                            (apr_int64_t)spec->min, (apr_int64_t)spec->max);
    default:
        return apr_psprintf(p, "%s: '%s' is not an integer (%" APR_INT64_T_FMT
                            "-%" APR_INT64_T_FMT ")", spec->directive, arg,
                            (apr_int64_t)spec->min, (apr_int64_t)spec->max);
    }
}

const char *tk_conf_read_queue_state(apr_pool_t *p, const char *arg, int *open)
{
    if (strcasecmp(arg, "Open") == 0) {
        *open = 1;
    }
    else if (strcasecmp(arg, "Closed") == 0) {
        *open = 0;
    }
    else {
        return apr_psprintf(p, "TicketQueue: '%s' is neither Open nor Closed",
                            arg);
    }
    return NULL;
}

const char *tk_conf_read_identity(apr_pool_t *p, const char *arg, int *out)
{
    if (strcasecmp(arg, "Body") == 0) {
        *out = TK_IDENTITY_BODY;
    }
    else if (strcasecmp(arg, "RemoteUser") == 0) {
        *out = TK_IDENTITY_REMOTE_USER;
    }
    else {
        return apr_psprintf(p, "TicketIdentity: '%s' is neither Body nor "
                            "RemoteUser", arg);
    }
    return NULL;
}

const char *tk_conf_read_secret(apr_pool_t *p, const char *path,
                                const unsigned char **secret, size_t *len)
{
    apr_file_t *f;
    apr_status_t rv;
    char *buf = apr_palloc(p, SECRET_READ_MAX);
    apr_size_t n = SECRET_READ_MAX;
    char err[120];

    rv = apr_file_open(&f, path, APR_FOPEN_READ | APR_FOPEN_BINARY, 0, p);
    if (rv != APR_SUCCESS) {
        return apr_psprintf(p, "TicketSecretFile: cannot open '%s': %s", path,
                            apr_strerror(rv, err, sizeof(err)));
    }
    rv = apr_file_read_full(f, buf, n, &n);
    apr_file_close(f);
    if (rv != APR_SUCCESS && rv != APR_EOF) {
        return apr_psprintf(p, "TicketSecretFile: cannot read '%s': %s", path,
                            apr_strerror(rv, err, sizeof(err)));
    }
    if (n < TK_SECRET_MIN_BYTES) {
        return apr_psprintf(p, "TicketSecretFile: '%s' holds %" APR_SIZE_T_FMT
                            " bytes; the secret needs at least %d random bytes",
                            path, n, TK_SECRET_MIN_BYTES);
    }
    *secret = (const unsigned char *)buf;
    *len = n;
    return NULL;
}
