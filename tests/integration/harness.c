/* harness.c: see harness.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <curl/curl.h>
#include "harness.h"

const char *th_env(const char *name)
{
    const char *v = getenv(name);
    if (!v || !*v) {
        fail_msg("environment variable %s is not set (run via scripts/itest.sh)", name);
    }
    return v;
}

/* ---- database ---- */

static PGconn *connect_db(const char *db)
{
    char conninfo[256];
    PGconn *c;

    snprintf(conninfo, sizeof(conninfo),
             "host=%s port=%s dbname=%s user=postgres connect_timeout=5 options=-cclient_min_messages=warning",
             th_env("PGHOST"), th_env("TK_PGPORT"), db);
    c = PQconnectdb(conninfo);
    if (PQstatus(c) != CONNECTION_OK) {
        fail_msg("cannot connect to %s: %s", db, PQerrorMessage(c));
    }
    return c;
}

PGconn *th_db_connect(const char *db)
{
    return connect_db(db);
}

static PGresult *vexec(PGconn *c, const char *fmt, va_list ap)
{
    char sql[4096];
    PGresult *res;

    vsnprintf(sql, sizeof(sql), fmt, ap);
    res = PQexec(c, sql);
    if (PQresultStatus(res) != PGRES_COMMAND_OK
        && PQresultStatus(res) != PGRES_TUPLES_OK) {
        fail_msg("SQL failed: %s\n%s", sql, PQresultErrorMessage(res));
    }
    return res;
}

void th_db_exec(PGconn *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    PQclear(vexec(c, fmt, ap));
    va_end(ap);
}

long long th_db_scalar(PGconn *c, const char *fmt, ...)
{
    va_list ap;
    PGresult *res;
    long long v;

    va_start(ap, fmt);
    res = vexec(c, fmt, ap);
    va_end(ap);
    v = PQntuples(res) > 0 && !PQgetisnull(res, 0, 0)
        ? atoll(PQgetvalue(res, 0, 0)) : -1;
    PQclear(res);
    return v;
}

void th_db_text(PGconn *c, char *out, size_t n, const char *fmt, ...)
{
    va_list ap;
    PGresult *res;

    va_start(ap, fmt);
    res = vexec(c, fmt, ap);
    va_end(ap);
    snprintf(out, n, "%s", PQntuples(res) > 0 && !PQgetisnull(res, 0, 0)
                           ? PQgetvalue(res, 0, 0) : "");
    PQclear(res);
}

/* A new database db (of template, or empty), as scripts/lib.sh's
 * db_create makes one: owned by ticket_owner, only ticket may connect. */
static void create_db(const char *db, const char *template)
{
    PGconn *c = connect_db("postgres");

    th_db_exec(c, "DROP DATABASE IF EXISTS %s WITH (FORCE)", db);
    th_db_exec(c, "CREATE DATABASE %s TEMPLATE %s OWNER ticket_owner", db, template);
    th_db_exec(c, "REVOKE ALL ON DATABASE %s FROM PUBLIC", db);
    th_db_exec(c, "GRANT CONNECT ON DATABASE %s TO ticket", db);
    PQfinish(c);
}

void th_db_create(const char *db, int users)
{
    PGconn *c;

    create_db(db, "ticket_template");
    c = connect_db(db);
    th_db_exec(c, "INSERT INTO users (user_id, user_name) SELECT g, 'user' || g"
                  "  FROM generate_series(1, %d) g", users);
    /* users made later (RemoteUser mode, first sight) get the next ids */
    th_db_exec(c, "SELECT setval(pg_get_serial_sequence('users', 'user_id'),"
                  " greatest(%d, 1))", users);
    th_db_exec(c, "INSERT INTO accounts (user_id) SELECT user_id FROM users");
    PQfinish(c);
}

long long th_app_statements(PGconn *c, const char *db)
{
    return th_db_scalar(c,
        "SELECT coalesce(sum(calls), 0) FROM pg_stat_statements s"
        "  JOIN pg_database d ON d.oid = s.dbid"
        " WHERE d.datname = '%s' AND s.userid = 'ticket'::regrole"
        "   AND s.query NOT LIKE '%%ticket_admit%%'", db);
}

void th_db_create_bare(const char *db)
{
    create_db(db, "template1");
}

int th_script(const char *script, const char *db, const char *arg, char *out, size_t n)
{
    char cmd[1024];
    FILE *p;
    size_t got;

    snprintf(cmd, sizeof(cmd), "cd %s && scripts/%s 'host=%s port=%s dbname=%s user=postgres'"
             " %s 2>&1", th_env("TK_ROOT"), script, th_env("PGHOST"), th_env("TK_PGPORT"),
             db, arg ? arg : "");
    p = popen(cmd, "r");
    assert_non_null(p);
    got = fread(out, 1, n - 1, p);
    out[got] = '\0';
    return pclose(p);
}

void th_pg_crash(void)
{
    char path[600], cmd[1200];
    FILE *f;
    long pid = 0;
    int i;

    snprintf(path, sizeof(path), "%s/postmaster.pid", th_env("TK_PGDATA"));
    f = fopen(path, "r");
    assert_non_null(f);
    assert_int_equal(fscanf(f, "%ld", &pid), 1);
    fclose(f);
    assert_int_equal(kill((pid_t)pid, SIGKILL), 0);
    /* its backends notice and go (until then the old shared memory is in
     * use, and the start refuses); then the cluster recovers at start */
    snprintf(cmd, sizeof(cmd),
             "runuser -u postgres -- %s/pg_ctl -D %s -l %s/server.log -w -t 60 start"
             " >/dev/null 2>&1", th_env("TK_PG_BIN"), th_env("TK_PGDATA"),
             th_env("TK_PGDATA"));
    for (i = 0; i < 50 && system(cmd) != 0; ++i) {
        usleep(200000);
    }
    assert_true(i < 50);
}

void th_pg_ctl(const char *action)
{
    char cmd[2048];

    snprintf(cmd, sizeof(cmd),
             "runuser -u postgres -- %s/pg_ctl -D %s -l %s/server.log -w -t 60 -m fast %s"
             " >/dev/null 2>&1", th_env("TK_PG_BIN"), th_env("TK_PGDATA"),
             th_env("TK_PGDATA"), action);
    if (getuid() != 0) {
        snprintf(cmd, sizeof(cmd), "%s/pg_ctl -D %s -l %s/server.log -w -t 60 -m fast %s"
                 " >/dev/null 2>&1", th_env("TK_PG_BIN"), th_env("TK_PGDATA"),
                 th_env("TK_PGDATA"), action);
    }
    assert_int_equal(system(cmd), 0);
}

/* ---- Apache ---- */

int th_free_port(void)
{
    struct sockaddr_in a;
    socklen_t n = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0), port;

    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &n), 0);
    port = ntohs(a.sin_port);
    close(fd);
    return port;
}

/* The secret of a database: one file per database, shared by its hosts. */
static const char *secret_for(const char *db)
{
    static char path[512];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s.secret", th_env("TK_TMP"), db);
    if (access(path, R_OK) != 0) {
        char cmd[1200];
        snprintf(cmd, sizeof(cmd),
                 "umask 077 && head -c 48 /dev/urandom | base64 -w0 > %s && chmod 600 %s",
                 path, path);
        assert_int_equal(system(cmd), 0);
    }
    f = fopen(path, "r");
    assert_non_null(f);
    fclose(f);
    return path;
}

/* Whether Apaches started from here reach PostgreSQL through the suite's
 * PgBouncer (transaction pooling, TicketPreparedStatements Off): as the
 * environment says (TK_VIA_POOLER=1, itest.sh's second run of the race
 * suites) until a suite says otherwise. */
static int via_pooler = -1;
static char pooled_db[64];      /* a database an Apache reached that way */

void th_pooler(int on)
{
    via_pooler = on;
}

int th_pooled(void)
{
    if (via_pooler < 0) {
        const char *v = getenv("TK_VIA_POOLER");
        via_pooler = v && strcmp(v, "1") == 0;
    }
    return via_pooler;
}

/* DBDParams of the Apaches started from here, when not the suite's
 * cluster's (th_dbd_params). */
static char dbd_override[1024];

void th_dbd_params(const char *params)
{
    snprintf(dbd_override, sizeof(dbd_override), "%s", params ? params : "");
}

static void write_conf(th_httpd *h, const char *db, const char *knobs,
                       const char *extra)
{
    static int serial;
    char cmd[4096], dbd[1024], directives[4096];

    if (!h->dir[0]) {           /* a new Apache; a restart keeps its folder */
        snprintf(h->dir, sizeof(h->dir), "%s/httpd-%d-%d", th_env("TK_TMP"),
                 (int)getpid(), ++serial);
        mkdir(h->dir, 0755);
    }
    snprintf(h->conf, sizeof(h->conf), "%s/httpd.conf", h->dir);
    snprintf(h->errlog, sizeof(h->errlog), "%s/error.log", h->dir);
    if (th_pooled()) {
        snprintf(pooled_db, sizeof(pooled_db), "%s", db);
    }
    snprintf(directives, sizeof(directives), "%s\n%s",
             th_pooled() ? "TicketPreparedStatements Off" : "", extra ? extra : "");
    setenv("EXTRA", directives, 1);
    /* the password in the environment, never on a command line */
    snprintf(dbd, sizeof(dbd), "host=%s port=%s dbname=%s user=ticket "
             "password=%s connect_timeout=3 application_name=mod_ticket",
             th_env("PGHOST"),      /* PgBouncer's socket is beside the cluster's */
             th_pooled() ? th_env("TK_PGB_PORT") : th_env("TK_PGPORT"), db,
             th_env("TK_DBD_PASSWORD"));
    if (dbd_override[0]) {
        snprintf(dbd, sizeof(dbd), "%s", dbd_override);
    }
    setenv("DBDPARAMS", dbd, 1);
    snprintf(cmd, sizeof(cmd),
             "umask 077 && env STATE=%s RUNDIR=%s LOGDIR=%s PORT=%d MODULE=%s SECRET=%s "
             "LOGLEVEL='warn ticket:info' %s %s/scripts/httpd-conf.sh > %s",
             h->dir, h->dir, h->dir, h->port, th_env("TK_MODULE"), secret_for(db),
             knobs ? knobs : "", th_env("TK_ROOT"), h->conf);
    assert_int_equal(system(cmd), 0);
}

static int health_ok(void *arg)
{
    th_httpd *h = arg;
    th_resp r;
    char path[200];
    int ok;

    snprintf(path, sizeof(path), "%s/health", h->prefix);
    ok = th_http(&r, h->port, "GET", path, NULL, NULL) == 0 && r.status == 200;

    th_resp_free(&r);
    return ok;
}

/* Answers at all (any status): Apache is up. */
static int answers(void *arg)
{
    th_httpd *h = arg;
    th_resp r;
    int ok = th_http(&r, h->port, "GET", "/", NULL, NULL) == 0;

    th_resp_free(&r);
    return ok;
}

static void start_until(th_httpd *h, const char *db, const char *knobs,
                        const char *extra, int (*ready)(void *), const char *what)
{
    const char *loc = knobs ? strstr(knobs, "LOCATION=") : NULL;

    memset(h, 0, sizeof(*h));
    if (loc) {
        loc += strlen("LOCATION=");
        snprintf(h->prefix, sizeof(h->prefix), "%.*s", (int)strcspn(loc, " "), loc);
    }
    h->port = th_free_port();
    write_conf(h, db, knobs, extra);
    h->pid = fork();
    assert_true(h->pid >= 0);
    if (h->pid == 0) {
        int out = open("/dev/null", O_WRONLY);
        const char *preload = getenv("TK_HTTPD_PRELOAD");
        dup2(out, STDOUT_FILENO);
        if (preload && *preload) {
            setenv("LD_PRELOAD", preload, 1);   /* the ASan-built module */
        }
        execlp("apache2", "apache2", "-f", h->conf, "-D", "FOREGROUND", (char *)NULL);
        _exit(127);
    }
    if (!th_wait_until(ready, h, 30)) {
        char cmd[1000];
        snprintf(cmd, sizeof(cmd), "cat %s >&2", h->errlog);
        if (system(cmd)) {}
        th_httpd_stop(h);       /* no Apache outlives a failed test */
        fail_msg("Apache did not answer %s on port %d", what, h->port);
    }
}

void th_httpd_start(th_httpd *h, const char *db, const char *knobs,
                    const char *extra)
{
    start_until(h, db, knobs, extra, health_ok, "/health");
}

void th_httpd_launch(th_httpd *h, const char *db, const char *knobs,
                     const char *extra)
{
    start_until(h, db, knobs, extra, answers, "at all");
}

int th_child_pids(const th_httpd *h, pid_t *pids, int max)
{
    char cmd[100], line[32];
    FILE *f;
    int n = 0;

    snprintf(cmd, sizeof(cmd), "pgrep -P %d", (int)h->pid);
    f = popen(cmd, "r");
    assert_non_null(f);
    while (n < max && fgets(line, sizeof(line), f)) {
        pids[n++] = (pid_t)atoi(line);
    }
    pclose(f);
    return n;
}

void th_signal_children(const th_httpd *h, int sig)
{
    char cmd[200];

    snprintf(cmd, sizeof(cmd), "pkill -%d -P %d", sig, (int)h->pid);
    assert_int_equal(system(cmd), 0);
}

/* ParentServerConfigGeneration in /server-status?auto: the generation
 * of the child that answered; -1 without one. */
static long config_generation(const th_httpd *h)
{
    static const char key[] = "ParentServerConfigGeneration: ";
    const char *line;
    th_resp r;
    long gen = -1;

    if (th_http(&r, h->port, "GET", "/server-status?auto", NULL, NULL) == 0
        && r.status == 200 && (line = strstr(r.body, key)) != NULL) {
        gen = atol(line + strlen(key));
    }
    th_resp_free(&r);
    return gen;
}

typedef struct {
    const th_httpd *h;
    long before;
} generation_arg;

static int new_generation(void *arg)
{
    generation_arg *a = arg;
    return config_generation(a->h) > a->before;
}

void th_httpd_graceful(th_httpd *h, const char *db, const char *knobs,
                       const char *extra)
{
    generation_arg a = {h, config_generation(h)};

    assert_true(a.before >= 0);
    if (db) {
        write_conf(h, db, knobs, extra);        /* in the same folder */
    }
    assert_int_equal(kill(h->pid, SIGUSR1), 0);
    if (!th_wait_until(new_generation, &a, 30)) {
        fail_msg("no child of a new generation answered after a graceful restart");
    }
}

int th_errlog_count(const th_httpd *h, const char *what)
{
    char line[4096];
    FILE *f = fopen(h->errlog, "r");
    int n = 0;

    while (f && fgets(line, sizeof(line), f)) {
        n += strstr(line, what) != NULL;
    }
    if (f) {
        fclose(f);
    }
    return n;
}

/* The suite's PgBouncer logged the module's logins to database db: the
 * pooled runs did go through it. */
static int pooler_saw(const char *db)
{
    char path[512], want[128], line[1024];
    FILE *f;
    int seen = 0;

    snprintf(path, sizeof(path), "%s/pgbouncer/pgbouncer.log", th_env("TK_TMP"));
    snprintf(want, sizeof(want), "login attempt: db=%s user=ticket ", db);
    f = fopen(path, "r");
    while (f && !seen && fgets(line, sizeof(line), f)) {
        seen = strstr(line, want) != NULL;
    }
    if (f) {
        fclose(f);
    }
    if (!seen) {
        fprintf(stderr, "%s has no line with '%s'\n", path, want);
    }
    return seen;
}

void th_suite_start(th_httpd *h, PGconn **db, const char *name, int users,
                    const char *knobs)
{
    th_db_create(name, users);
    *db = th_db_connect(name);
    th_httpd_start(h, name, knobs, NULL);
}

void th_suite_stop_all(th_httpd *const *hosts, PGconn **db, const char *const *allowed)
{
    th_httpd *const *h;
    int bad = 0;

    for (h = hosts; *h; ++h) {
        th_httpd_stop(*h);
    }
    th_thread_client_done();
    if (*db) {
        PQfinish(*db);
        *db = NULL;
    }
    for (h = hosts; *h; ++h) {
        bad += th_errlog_unexpected(*h, allowed);
    }
    assert_int_equal(bad, 0);
    assert_true(!pooled_db[0] || pooler_saw(pooled_db));
}

void th_suite_stop(th_httpd *h, PGconn **db, const char *const *allowed)
{
    th_httpd *const hosts[] = {h, NULL};
    th_suite_stop_all(hosts, db, allowed);
}

void th_httpd_stop(th_httpd *h)
{
    int status, i;

    if (h->pid <= 0) {
        return;
    }
    kill(h->pid, SIGTERM);
    for (i = 0; i < 300; ++i) {
        if (waitpid(h->pid, &status, WNOHANG) == h->pid) {
            h->pid = 0;
            return;
        }
        usleep(50000);
    }
    kill(h->pid, SIGKILL);
    waitpid(h->pid, &status, 0);
    h->pid = 0;
}

int th_httpd_configtest(const char *db, const char *knobs, const char *extra,
                        char *out, size_t outsz)
{
    th_httpd h;
    char cmd[2048];
    FILE *p;
    size_t n;
    int status;

    memset(&h, 0, sizeof(h));
    h.port = th_free_port();
    write_conf(&h, db, knobs, extra);
    snprintf(cmd, sizeof(cmd), "env LD_PRELOAD='%s' apache2 -t -f %s 2>&1",
             getenv("TK_HTTPD_PRELOAD") ? getenv("TK_HTTPD_PRELOAD") : "", h.conf);
    p = popen(cmd, "r");
    assert_non_null(p);
    n = fread(out, 1, outsz - 1, p);
    out[n] = '\0';
    status = pclose(p);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int th_errlog_unexpected(const th_httpd *h, const char *const *allowed)
{
    char line[4096];
    FILE *f = fopen(h->errlog, "r");
    int bad = 0;

    if (!f) {
        return 0;
    }
    while (fgets(line, sizeof(line), f)) {
        const char *const *a;
        int ok = 0;
        if (!strstr(line, ":error]") && !strstr(line, ":crit]")
            && !strstr(line, ":alert]") && !strstr(line, ":emerg]")) {
            continue;
        }
        /* httpd's event MPM, not us: a keep-alive connection racing the
         * stop of the server (AH03093, apr_pollset_add on a closed socket) */
        if (strstr(line, "AH03093:")) {
            continue;
        }
        /* through PgBouncer a race's requests queue for its few server
         * connections, as pooling means to, and every thread of a
         * process may be busy waiting (AH10159) */
        if (th_pooled() && strstr(line, "AH10159:")) {
            continue;
        }
        for (a = allowed; a && *a; ++a) {
            if (strstr(line, *a)) {
                ok = 1;
            }
        }
        if (!ok) {
            fprintf(stderr, "unexpected error-log line: %s", line);
            ++bad;
        }
    }
    fclose(f);
    return bad;
}

/* ---- HTTP ---- */

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
    th_resp *r = arg;
    size_t len = size * n, room = sizeof(r->body) - 1 - r->len;

    memcpy(r->body + r->len, data, len < room ? len : room);
    r->len += len < room ? len : room;
    r->body[r->len] = '\0';
    return len;
}

static void copy_header(char *dst, size_t dstsz, const char *line,
                        const char *name)
{
    size_t n = strlen(name);
    if (strncasecmp(line, name, n) == 0 && line[n] == ':') {
        const char *v = line + n + 1;
        while (*v == ' ') ++v;
        snprintf(dst, dstsz, "%.*s", (int)strcspn(v, "\r\n"), v);
    }
}

static size_t on_header(char *data, size_t size, size_t n, void *arg)
{
    th_resp *r = arg;
    char line[512];
    size_t len = size * n;

    snprintf(line, sizeof(line), "%.*s", (int)(len < sizeof(line) ? len : sizeof(line) - 1), data);
    copy_header(r->allow, sizeof(r->allow), line, "Allow");
    copy_header(r->retry_after, sizeof(r->retry_after), line, "Retry-After");
    copy_header(r->www_authenticate, sizeof(r->www_authenticate), line,
                "WWW-Authenticate");
    copy_header(r->content_type, sizeof(r->content_type), line, "Content-Type");
    return len;
}

static long http_timeout_ms = 30000;

void th_http_timeout(double seconds)
{
    http_timeout_ms = (long)(seconds * 1000);
}

/* One request with an optional raw Authorization value and optional extra
 * header lines (NULL-terminated, or NULL). */
static int http_request_on(CURL *own, th_resp *r, int port, const char *method,
                           const char *path, const char *authorization,
                           const char *const *extra, const char *body)
{
    CURL *c = own ? own : curl_easy_init();
    struct curl_slist *headers = NULL;
    char url[1024], auth[1024];
    CURLcode rc;

    if (own) {
        curl_easy_reset(c);     /* options only: the connection stays */
    }
    memset(r, 0, sizeof(*r));
    snprintf(r->request, sizeof(r->request), "%s %s%s%.120s%s%s%.200s%s", method, path,
             authorization ? " (Authorization: " : "", authorization ? authorization : "",
             authorization ? ")" : "", body ? " body '" : "", body ? body : "",
             body ? "'" : "");
    snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port, path);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, http_timeout_ms);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
    if (strcmp(method, "HEAD") == 0) {
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    }
    if (authorization) {
        snprintf(auth, sizeof(auth), "Authorization: %s", authorization);
        headers = curl_slist_append(headers, auth);
    }
    for (; extra && *extra; ++extra) {
        headers = curl_slist_append(headers, *extra);
    }
    if (body) {
        headers = curl_slist_append(headers, "Content-Type: application/json");
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    rc = curl_easy_perform(c);
    r->timed_out = rc == CURLE_OPERATION_TIMEDOUT;
    if (rc == CURLE_OK) {
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
        r->json = json_tokener_parse(r->body);
    }
    curl_slist_free_all(headers);
    if (!own) {
        curl_easy_cleanup(c);
    }
    return rc == CURLE_OK ? 0 : -1;
}

static int http_request(th_resp *r, int port, const char *method,
                        const char *path, const char *authorization,
                        const char *const *extra, const char *body)
{
    return http_request_on(NULL, r, port, method, path, authorization, extra, body);
}

struct th_client {
    CURL *curl;
};

th_client *th_client_new(void)
{
    th_client *c = calloc(1, sizeof(*c));

    assert_non_null(c);
    c->curl = curl_easy_init();
    assert_non_null(c->curl);
    return c;
}

void th_client_free(th_client *c)
{
    if (c) {
        curl_easy_cleanup(c->curl);
        free(c);
    }
}

int th_client_http_auth(th_client *c, th_resp *r, int port, const char *method,
                        const char *path, const char *authorization,
                        const char *body)
{
    return http_request_on(c->curl, r, port, method, path, authorization, NULL, body);
}

int th_client_http(th_client *c, th_resp *r, int port, const char *method,
                   const char *path, const char *token, const char *body)
{
    char auth[600];

    if (token) {
        snprintf(auth, sizeof(auth), "Bearer %s", token);
    }
    return th_client_http_auth(c, r, port, method, path, token ? auth : NULL, body);
}

int th_client_http_headers(th_client *c, th_resp *r, int port, const char *method,
                           const char *path, const char *token,
                           const char *const *headers, const char *body)
{
    char auth[600];

    if (token) {
        snprintf(auth, sizeof(auth), "Bearer %s", token);
    }
    return http_request_on(c->curl, r, port, method, path, token ? auth : NULL, headers,
                           body);
}

static __thread th_client *thread_client;

th_client *th_thread_client(void)
{
    if (!thread_client) {
        thread_client = th_client_new();
    }
    return thread_client;
}

void th_thread_client_done(void)
{
    th_client_free(thread_client);
    thread_client = NULL;
}

int th_http_auth(th_resp *r, int port, const char *method, const char *path,
                 const char *authorization, const char *body)
{
    return http_request(r, port, method, path, authorization, NULL, body);
}

int th_http_headers(th_resp *r, int port, const char *method, const char *path,
                    const char *token, const char *const *headers,
                    const char *body)
{
    char auth[600];

    if (token) {
        snprintf(auth, sizeof(auth), "Bearer %s", token);
    }
    return http_request(r, port, method, path, token ? auth : NULL, headers, body);
}

int th_http(th_resp *r, int port, const char *method, const char *path,
            const char *token, const char *body)
{
    char auth[600];

    if (token) {
        snprintf(auth, sizeof(auth), "Bearer %s", token);
    }
    return th_http_auth(r, port, method, path, token ? auth : NULL, body);
}

void th_resp_free(th_resp *r)
{
    if (r->json) {
        json_object_put(r->json);
        r->json = NULL;
    }
}

static json_object *field(const th_resp *r, const char *key)
{
    json_object *v = NULL;
    if (!r->json || !json_object_object_get_ex(r->json, key, &v)) {
        return NULL;
    }
    return v;
}

const char *th_str(const th_resp *r, const char *key)
{
    json_object *v = field(r, key);
    return v && json_object_is_type(v, json_type_string)
           ? json_object_get_string(v) : NULL;
}

long long th_int(const th_resp *r, const char *key)
{
    json_object *v = field(r, key);
    return v && json_object_is_type(v, json_type_int)
           ? (long long)json_object_get_int64(v) : -1;
}

int th_has(const th_resp *r, const char *key)
{
    return r->json && json_object_object_get_ex(r->json, key, NULL);
}

int th_is_null(const th_resp *r, const char *key)
{
    json_object *v = (json_object *)1;
    return r->json && json_object_object_get_ex(r->json, key, &v) && v == NULL;
}

json_object *th_array(const th_resp *r, const char *key)
{
    json_object *v = field(r, key);

    if (!v || !json_object_is_type(v, json_type_array)) {
        fail_msg("no array \"%s\" in %s", key, r->body);
    }
    return v;
}

long long th_obj_int(json_object *o, const char *key)
{
    json_object *v = NULL;

    if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int)) {
        fail_msg("no integer \"%s\" in %s", key, json_object_to_json_string(o));
    }
    return (long long)json_object_get_int64(v);
}

const char *th_obj_str(json_object *o, const char *key)
{
    json_object *v = NULL;

    if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string)) {
        fail_msg("no string \"%s\" in %s", key, json_object_to_json_string(o));
    }
    return json_object_get_string(v);
}

/* ---- expected errors ---- */

void th_assert_error_at(const char *file, int line, const th_resp *r,
                        long status, const char *code, const char *message)
{
    if (r->status != status || !th_str(r, "code") || strcmp(th_str(r, "code"), code)
        || !th_str(r, "error") || strcmp(th_str(r, "error"), message)) {
        print_error("%s: expected %ld %s \"%s\", got %ld %s\n", r->request, status,
                    code, message, r->status, r->body);
        _fail(file, line);
    }
    if (!strstr(r->content_type, "application/json")) {
        print_error("%s: %ld %s with Content-Type \"%s\"\n", r->request, r->status,
                    code, r->content_type);
        _fail(file, line);
    }
}

void th_expect_405_at(const char *file, int line, int port, const char *method,
                      const char *path, const char *token, const char *body,
                      const char *allow)
{
    th_resp r;

    th_http(&r, port, method, path, token, body);
    th_assert_error_at(file, line, &r, 405, "METHOD_NOT_ALLOWED", TH_MSG_METHOD);
    if (strcmp(r.allow, allow) != 0) {
        print_error("%s: Allow \"%s\", expected \"%s\"\n", r.request, r.allow, allow);
        th_resp_free(&r);
        _fail(file, line);
    }
    th_resp_free(&r);
}

/* 1 when a request of method carries its body */
static int has_body(const char *method)
{
    return !strcmp(method, "POST") || !strcmp(method, "PUT") || !strcmp(method, "PATCH");
}

void th_req_set(th_req *q, const char *method, const char *body, const char *fmt, ...)
{
    va_list ap;

    q->method = method;
    va_start(ap, fmt);
    vsnprintf(q->path, sizeof(q->path), fmt, ap);
    va_end(ap);
    snprintf(q->body, sizeof(q->body), "%s", body ? body : "");
}

void th_expect_req_errors_auth_at(const char *file, int line, int port, const th_req *q,
                                  int n, const char *auth, long status, const char *code,
                                  const char *message)
{
    int i;

    for (i = 0; i < n; ++i) {
        th_resp r;
        th_client_http_auth(th_thread_client(), &r, port, q[i].method, q[i].path, auth,
                            has_body(q[i].method) ? q[i].body : NULL);
        th_assert_error_at(file, line, &r, status, code, message);
        th_resp_free(&r);
    }
}

void th_expect_req_errors_at(const char *file, int line, int port, const th_req *q, int n,
                             const char *token, long status, const char *code,
                             const char *message)
{
    char auth[600];

    if (token) {
        snprintf(auth, sizeof(auth), "Bearer %s", token);
    }
    th_expect_req_errors_auth_at(file, line, port, q, n, token ? auth : NULL, status, code,
                                 message);
}

/* ---- the queue ---- */

long th_enter(int port, long long user, char *out)
{
    th_resp r;
    char body[64];
    long status;

    snprintf(body, sizeof(body), "{\"userId\": %lld}", user);
    if (th_http(&r, port, "POST", "/queues", NULL, body) != 0) {
        return -1;
    }
    status = r.status;
    if (out) {
        snprintf(out, 128, "%s", th_str(&r, "userToken") ? th_str(&r, "userToken") : "");
    }
    th_resp_free(&r);
    return status;
}

void th_forge(char *out, size_t n, const char *token, long long user)
{
    snprintf(out, n, "%.*s.%lld.%s", (int)strcspn(token, "."), token, user,
             strrchr(token, '.') + 1);
}

/* The token's tokenStatus into out ("" if the poll was no 200 with one). */
static const char *token_status(int port, const char *token, char *out, size_t n,
                                th_resp *r)
{
    int ok = th_http(r, port, "GET", "/queues", token, NULL) == 0 && r->status == 200
             && th_str(r, "tokenStatus");

    snprintf(out, n, "%s", ok ? th_str(r, "tokenStatus") : "");
    return out;
}

/* 1 when status is one of the '|'-separated names in want. */
static int status_is(const char *status, const char *want)
{
    size_t len = strlen(status);

    while (len > 0) {
        size_t k = strcspn(want, "|");
        if (k == len && strncmp(want, status, len) == 0) {
            return 1;
        }
        if (!want[k]) {
            return 0;
        }
        want += k + 1;
    }
    return 0;
}

typedef struct {
    int port;
    const char *token, *want;
} status_arg;

static int polls_as(void *arg)
{
    status_arg *a = arg;
    char status[32];
    th_resp r;

    token_status(a->port, a->token, status, sizeof(status), &r);
    th_resp_free(&r);
    return status_is(status, a->want);
}

int th_wait_status(int port, const char *token, const char *want, double seconds)
{
    status_arg a = {port, token, want};
    return th_wait_until(polls_as, &a, seconds);
}

void th_assert_poll_at(const char *file, int line, int port, const char *token,
                       const char *want)
{
    char status[32];
    th_resp r;

    if (!status_is(token_status(port, token, status, sizeof(status), &r), want)) {
        print_error("poll: expected %s, got %ld %s\n", want, r.status, r.body);
        th_resp_free(&r);
        _fail(file, line);
    }
    th_resp_free(&r);
}

void th_admit_many(int port, long long first, int n, th_token *tokens)
{
    int i;

    for (i = 0; i < n; ++i) {
        assert_int_equal(th_enter(port, first + i, tokens[i]), 200);
    }
    for (i = 0; i < n; ++i) {
        if (!th_wait_status(port, tokens[i], "service", 30)) {
            fail_msg("token %s never polled as service", tokens[i]);
        }
    }
}

void th_admit(int port, long long user, char *token)
{
    th_admit_many(port, user, 1, (th_token *)token);
}

long long th_in_service(PGconn *c, const char *and_where)
{
    return th_db_scalar(c, "SELECT count(*) FROM queue_tokens WHERE state = 'service'%s%s",
                        and_where ? " AND " : "", and_where ? and_where : "");
}

typedef struct {
    PGconn *c;
    const char *and_where;
    long long n;
} in_service_arg;

static int in_service_is(void *arg)
{
    in_service_arg *a = arg;
    return th_in_service(a->c, a->and_where) == a->n;
}

int th_wait_in_service(PGconn *c, const char *and_where, long long n, double seconds)
{
    in_service_arg a = {c, and_where, n};
    return th_wait_until(in_service_is, &a, seconds);
}

const char *th_oversized_body(char *buf, size_t n)
{
    memset(buf, ' ', n - 1);
    buf[n - 1] = '\0';
    memcpy(buf, "{\"userId\": 1", 12);
    buf[n - 2] = '}';
    return buf;
}

int th_wait_until(int (*fn)(void *), void *arg, double seconds)
{
    struct timespec start, now;

    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        if (fn(arg)) {
            return 1;
        }
        clock_gettime(CLOCK_MONOTONIC, &now);
        if ((double)(now.tv_sec - start.tv_sec)
            + (double)(now.tv_nsec - start.tv_nsec) / 1e9 > seconds) {
            return 0;
        }
        usleep(100000);
    }
}

const char *th_base64(const char *user, const char *password)
{
    static const char abc[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    static __thread char out[200];
    char in[140];
    size_t n = (size_t)snprintf(in, sizeof(in), "%s:%s", user, password), i, o = 0;

    assert_true(n < sizeof(in));
    for (i = 0; i < n; i += 3) {
        unsigned v = (unsigned char)in[i] << 16
                     | (i + 1 < n ? (unsigned char)in[i + 1] << 8 : 0)
                     | (i + 2 < n ? (unsigned char)in[i + 2] : 0);
        out[o++] = abc[v >> 18 & 63];
        out[o++] = abc[v >> 12 & 63];
        out[o++] = i + 1 < n ? abc[v >> 6 & 63] : '=';
        out[o++] = i + 2 < n ? abc[v & 63] : '=';
    }
    out[o] = '\0';
    return out;
}
