/* tk_config.c: directive value checks (tk_config.h). */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
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

const char *tk_conf_read_queue_mode(apr_pool_t *p, const char *arg, int *mode)
{
    static const char *const names[] = {"Open", "Paused", "Closed"};
    int i;

    for (i = 0; i < 3; ++i) {
        if (strcasecmp(arg, names[i]) == 0) {
            *mode = i;      /* tk_queue_mode's order */
            return NULL;
        }
    }
    return apr_psprintf(p, "TicketQueue: '%s' is not Open, Paused or Closed",
                        arg);
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

/* Why the open file fd cannot hold the secret, or NULL: it must be a
 * regular file of root's (or of the user who starts httpd), which no one
 * else may read or write. */
static const char *unsafe_secret(apr_pool_t *p, const char *path, int fd)
{
    struct stat st;

    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        return apr_psprintf(p, "TicketSecretFile: '%s' is not a regular file",
                            path);
    }
    if (st.st_uid != 0 && st.st_uid != geteuid()) {
        return apr_psprintf(p, "TicketSecretFile: '%s' belongs to uid %ld; it "
                            "must belong to root (or the user who starts httpd)",
                            path, (long)st.st_uid);
    }
    if (st.st_mode & 077) {
        return apr_psprintf(p, "TicketSecretFile: '%s' has mode %04o; no one "
                            "but its owner may read or write it (chmod 600)",
                            path, (unsigned)(st.st_mode & 07777));
    }
    return NULL;
}

const char *tk_conf_read_secret(apr_pool_t *p, const char *path,
                                const unsigned char **secret, size_t *len)
{
    char *buf = apr_palloc(p, SECRET_READ_MAX);
    const char *err;
    size_t n = 0;
    ssize_t got;
    int fd;

    /* non-blocking: a FIFO planted there must not hang the start */
    fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
        return apr_psprintf(p, "TicketSecretFile: cannot open '%s': %s", path,
                            strerror(errno));
    }
    if ((err = unsafe_secret(p, path, fd)) != NULL) {
        close(fd);
        return err;
    }
    while (n < SECRET_READ_MAX
           && ((got = read(fd, buf + n, SECRET_READ_MAX - n)) > 0
               || (got < 0 && errno == EINTR))) {
        n += got > 0 ? (size_t)got : 0;
    }
    close(fd);
    if (got < 0) {
        return apr_psprintf(p, "TicketSecretFile: cannot read '%s': %s", path,
                            strerror(errno));
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
