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

static const char *const queue_modes[] = {"Open", "Paused", "Closed"};

const char *tk_queue_mode_name(tk_queue_mode mode)
{
    return queue_modes[mode];
}

const char *tk_conf_read_queue_mode(apr_pool_t *p, const char *arg, int *mode)
{
    int i;

    for (i = 0; i < 3; ++i) {
        if (strcasecmp(arg, queue_modes[i]) == 0) {
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

/* ---- TicketSaleStart: an RFC 3339 instant ---- */

/* n decimal digits at s into *out: 0, or -1 if they are not all digits. */
static int read_digits(const char *s, int n, int *out)
{
    int v = 0, i;

    for (i = 0; i < n; ++i) {
        if (s[i] < '0' || s[i] > '9') {
            return -1;
        }
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

/* Days from 1970-01-01 to y-m-d of the proleptic Gregorian calendar
 * (H. Hinnant's days_from_civil). */
static int64_t days_from_civil(int y, int m, int d)
{
    int64_t era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int days_in_month(int y, int m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

    return m == 2 && leap ? 29 : days[m - 1];
}

/* The offset at s ("Z", "+09:00", "-05:30") in seconds east: the length
 * read, or -1. */
static int read_offset(const char *s, int64_t *east)
{
    int hh, mm;

    if (*s == 'Z' || *s == 'z') {
        *east = 0;
        return 1;
    }
    if ((*s != '+' && *s != '-') || read_digits(s + 1, 2, &hh) || s[3] != ':'
        || read_digits(s + 4, 2, &mm) || hh > 23 || mm > 59) {
        return -1;
    }
    *east = (*s == '-' ? -1 : 1) * (int64_t)(hh * 3600 + mm * 60);
    return 6;
}

/* "YYYY-MM-DDThh:mm:ss[.frac](Z|±hh:mm)" into microseconds since 1970:
 * 0, or -1. */
static int read_rfc3339(const char *s, int64_t *at)
{
    int y, mo, d, h, mi, sec, n;
    int64_t us = 0, scale = 100000, east;

    if (read_digits(s, 4, &y) || s[4] != '-' || read_digits(s + 5, 2, &mo)
        || s[7] != '-' || read_digits(s + 8, 2, &d)
        || (s[10] != 'T' && s[10] != 't')
        || read_digits(s + 11, 2, &h) || s[13] != ':'
        || read_digits(s + 14, 2, &mi) || s[16] != ':'
        || read_digits(s + 17, 2, &sec)) {
        return -1;
    }
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo)
        || h > 23 || mi > 59 || sec > 59) {
        return -1;
    }
    s += 19;
    if (*s == '.') {
        for (n = 0, ++s; *s >= '0' && *s <= '9'; ++s, ++n) {
            us += scale * (*s - '0');
            scale /= 10;
        }
        if (n == 0 || n > 6) {      /* microseconds, as PostgreSQL keeps */
            return -1;
        }
    }
    if ((n = read_offset(s, &east)) < 0 || s[n] != '\0') {
        return -1;
    }
    *at = ((days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec) - east)
          * 1000000 + us;
    return *at >= 0 ? 0 : -1;
}

const char *tk_conf_read_instant(apr_pool_t *p, const char *arg, int64_t *at)
{
    int64_t v;

    if (read_rfc3339(arg, &v) != 0) {
        return apr_psprintf(p, "TicketSaleStart: '%s' is not an RFC 3339 "
                            "instant with an offset, such as "
                            "2026-12-24T20:00:00+09:00", arg);
    }
    *at = v;
    return NULL;
}
