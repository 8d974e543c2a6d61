/* test_metrics.c: the operators' pages. /metrics ("SetHandler
 * ticket-metrics") counts known requests exactly, by endpoint, status and
 * outcome, with a latency histogram whose buckets are cumulative and end
 * in +Inf equal to the count; promtool accepts it; the admission job's
 * heartbeat age is a number once it ran; a scrape makes no database
 * statement; the counters survive a graceful restart; an outage is
 * counted and shows as the database down. /server-status?auto has
 * mod_ticket's lines. The alerting rules (conf/ticket-alerts.yml) pass
 * promtool's check and its unit tests, and name only metrics and labels
 * that a scrape serves. Both pages are in the harness's configuration
 * (conf/httpd.conf.in). */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>
#include "harness.h"
#include "../text_util.h"

#define DB "itest_metrics"
#define AUTO_KEYS 7

static const char *const auto_keys[AUTO_KEYS] = {
    "TicketQueue", "TicketCapacity", "TicketInService", "TicketWaiting",
    "TicketAdmittedLastMinute", "TicketAdmissionAgeSeconds", "TicketDatabase"
};

/* mod_dbd's own complaints while the database is away are expected */
static const char *const dbd_errors[] = {"[dbd:error]", NULL};

TH_SUITE(DB, 20, "CAPACITY=1", dbd_errors)

/* ---- a page, whole (th_resp keeps 16 KB; the metrics are longer) ---- */

typedef struct {
    char *text;
    size_t len;
    long status;
    char type[128];
} page;

static size_t on_data(char *data, size_t size, size_t n, void *arg)
{
    page *pg = arg;

    pg->text = realloc(pg->text, pg->len + size * n + 1);
    assert_non_null(pg->text);
    memcpy(pg->text + pg->len, data, size * n);
    pg->len += size * n;
    pg->text[pg->len] = '\0';
    return size * n;
}

static void fetch_from(int port, page *pg, const char *method, const char *path)
{
    CURL *c = curl_easy_init();
    char url[256];
    char *type = NULL;

    memset(pg, 0, sizeof(*pg));
    pg->text = calloc(1, 1);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port, path);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_NOBODY, strcmp(method, "HEAD") == 0 ? 1L : 0L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, pg);
    assert_int_equal(curl_easy_perform(c), CURLE_OK);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &pg->status);
    curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &type);
    snprintf(pg->type, sizeof(pg->type), "%s", type ? type : "");
    curl_easy_cleanup(c);
}

static void fetch(page *pg, const char *method, const char *path)
{
    fetch_from(httpd.port, pg, method, path);
}

static char *scrape_from(int port)
{
    page pg;

    fetch_from(port, &pg, "GET", "/metrics");
    assert_int_equal(pg.status, 200);
    assert_string_equal(pg.type, "text/plain; version=0.0.4; charset=utf-8");
    return pg.text;
}

static char *scrape(void)
{
    return scrape_from(httpd.port);
}

/* The value of a series: 0 when it is not there (a counter appears at
 * its first count). */
static double value(const char *text, const char *series)
{
    const char *v = tk_sample_of(text, series);

    return v ? strtod(v, NULL) : 0;
}

/* The sum of every sample of a family (its lines that start "name{"). */
static double family_sum(const char *text, const char *name)
{
    size_t n = strlen(name);
    const char *line = text;
    double sum = 0;

    while (line && *line) {
        if (strncmp(line, name, n) == 0 && line[n] == '{') {
            sum += strtod(strchr(line, '}') + 2, NULL);
        }
        line = strchr(line, '\n');
        line = line ? line + 1 : NULL;
    }
    return sum;
}

#define REQUESTS(e, s) "ticket_requests_total{endpoint=\"" e "\",status=\"" s "\"}"
#define OUTCOMES(e, c) "ticket_outcomes_total{endpoint=\"" e "\",code=\"" c "\"}"
#define COUNT(e) "ticket_request_duration_seconds_count{endpoint=\"" e "\"}"

typedef struct {
    int port;
    double (*read)(const char *text, const char *series);   /* value, family_sum */
    const char *series;
    double want;
} series_arg;

static int series_is(void *arg)
{
    series_arg *a = arg;
    char *text = scrape_from(a->port);
    double v = a->read(text, a->series);

    free(text);
    return v == a->want;
}

/* Waits until read(series) is want (a request is counted when it is
 * logged, just after its answer went out); fails saying what it is. */
static void wait_for_on(int port, double (*read)(const char *, const char *),
                        const char *series, double want)
{
    series_arg a = {port, read, series, want};
    char *text;

    if (!th_wait_until(series_is, &a, 15)) {
        text = scrape_from(port);
        fail_msg("%s is %g, want %g", series, read(text, series), want);
    }
}

static void wait_for(double (*read)(const char *, const char *), const char *series,
                     double want)
{
    wait_for_on(httpd.port, read, series, want);
}

static void wait_value(const char *series, double want)
{
    wait_for(value, series, want);
}

/* 3 entries, 5 polls, a 404 and a 401: exactly these are counted. */
static void test_known_requests_counted(void **state)
{
    static const struct {
        const char *series;
        double delta;
    } expected[] = {
        {REQUESTS("enter", "200"), 3}, {REQUESTS("poll", "200"), 5},
        {REQUESTS("other", "404"), 1}, {REQUESTS("concerts", "401"), 1},
        {OUTCOMES("enter", "ok"), 3}, {OUTCOMES("poll", "ok"), 5},
        {OUTCOMES("other", "NOT_FOUND"), 1}, {OUTCOMES("concerts", "TOKEN_INVALID"), 1},
        {COUNT("enter"), 3}, {COUNT("poll"), 5}, {COUNT("other"), 1}, {COUNT("concerts"), 1},
    };
    th_token tokens[3];
    char *before, *after;
    size_t i;
    (void)state;

    before = scrape();
    for (i = 0; i < 3; ++i) {
        assert_int_equal(th_enter(httpd.port, (long long)i + 1, tokens[i]), 200);
    }
    for (i = 0; i < 5; ++i) {
        th_assert_poll(httpd.port, tokens[1 + i % 2], "wait");
    }
    TH_EXPECT_ERROR(404, "NOT_FOUND", TH_MSG_NO_ROUTE, th_http, httpd.port, "GET",
                    "/nope", NULL, NULL);
    TH_EXPECT_ERROR(401, "TOKEN_INVALID", "해당 서비스를 이용하실 수 없습니다.", th_http,
                    httpd.port, "GET", "/concerts", NULL, NULL);
    wait_for(family_sum, "ticket_requests_total",
             family_sum(before, "ticket_requests_total") + 10);
    after = scrape();
    for (i = 0; i < sizeof(expected) / sizeof(expected[0]); ++i) {
        if (value(after, expected[i].series) - value(before, expected[i].series)
            != expected[i].delta) {
            fail_msg("%s went from %g to %g, want +%g", expected[i].series,
                     value(before, expected[i].series), value(after, expected[i].series),
                     expected[i].delta);
        }
    }
    /* and nothing else: not the scrapes, not the admission job */
    assert_true(family_sum(after, "ticket_outcomes_total")
                - family_sum(before, "ticket_outcomes_total") == 10);
    /* user 1 is admitted (TicketCapacity 1) by this host's job */
    wait_value("ticket_admissions_total", 1);
    free(before);
    free(after);
}

/* Every endpoint's buckets, in order: never falling, the last le="+Inf"
 * and equal to _count. */
static void check_histogram(const char *text, const char *endpoint)
{
    char prefix[160], series[160], last_le[16] = "";
    const char *line = text;
    double prev = 0, v;
    int buckets = 0;

    snprintf(prefix, sizeof(prefix),
             "ticket_request_duration_seconds_bucket{endpoint=\"%s\",le=\"", endpoint);
    for (; (line = strstr(line, prefix)) != NULL; line += strlen(prefix)) {
        snprintf(last_le, sizeof(last_le), "%.*s", (int)strcspn(line + strlen(prefix), "\""),
                 line + strlen(prefix));
        v = strtod(strchr(line, '}') + 2, NULL);
        if (v < prev) {
            fail_msg("%s: bucket le=%s (%g) below the one before (%g)", endpoint, last_le, v, prev);
        }
        prev = v;
        ++buckets;
    }
    assert_int_equal(buckets, 14);
    assert_string_equal(last_le, "+Inf");
    snprintf(series, sizeof(series), "ticket_request_duration_seconds_count{endpoint=\"%s\"}",
             endpoint);
    assert_true(value(text, series) == prev);
    snprintf(series, sizeof(series), "ticket_request_duration_seconds_sum{endpoint=\"%s\"} ",
             endpoint);
    assert_non_null(strstr(text, series));
}

static void test_histograms(void **state)
{
    static const char *const endpoints[] = {
        "enter", "poll", "concerts", "dates", "seats", "hold", "charge",
        "account", "pay", "health", "other", NULL
    };
    char *text = scrape();
    int i;
    (void)state;

    for (i = 0; endpoints[i]; ++i) {
        check_histogram(text, endpoints[i]);
    }
    assert_true(value(text, COUNT("poll")) >= 5);
    assert_true(value(text, "ticket_request_duration_seconds_sum{endpoint=\"poll\"}") > 0);
    free(text);
}

/* The value of "Key: " in a ?auto page ("" when absent). */
static const char *auto_value(const char *text, const char *key, char *out, size_t n)
{
    char find[64];
    const char *at;

    snprintf(find, sizeof(find), "\n%s: ", key);
    at = strstr(text, find);
    snprintf(out, n, "%.*s", at ? (int)strcspn(at + strlen(find), "\n") : 0,
             at ? at + strlen(find) : "");
    return out;
}

static int auto_waiting_is_2(void *arg)
{
    char v[32];
    page pg;
    int ok;

    (void)arg;
    fetch(&pg, "GET", "/server-status?auto");
    ok = strcmp(auto_value(pg.text, "TicketWaiting", v, sizeof(v)), "2") == 0;
    free(pg.text);
    return ok;
}

static void test_server_status(void **state)
{
    char v[64];
    page pg;
    int i;
    (void)state;

    /* users 2 and 3 of the first test wait, user 1 is in service */
    assert_true(th_wait_until(auto_waiting_is_2, NULL, 10));
    fetch(&pg, "GET", "/server-status?auto");
    assert_int_equal(pg.status, 200);
    for (i = 0; i < AUTO_KEYS; ++i) {
        if (!*auto_value(pg.text, auto_keys[i], v, sizeof(v))) {
            fail_msg("no %s line in /server-status?auto:\n%s", auto_keys[i], pg.text);
        }
    }
    assert_string_equal(auto_value(pg.text, "TicketQueue", v, sizeof(v)), "open");
    assert_string_equal(auto_value(pg.text, "TicketCapacity", v, sizeof(v)), "1");
    assert_string_equal(auto_value(pg.text, "TicketInService", v, sizeof(v)), "1");
    assert_string_equal(auto_value(pg.text, "TicketDatabase", v, sizeof(v)), "up");
    assert_true(atoi(auto_value(pg.text, "TicketAdmissionAgeSeconds", v, sizeof(v))) >= 0);
    assert_true(atoi(v) <= 5);          /* the job runs every second */
    free(pg.text);

    fetch(&pg, "GET", "/server-status");
    assert_non_null(strstr(pg.text, "<h2>mod_ticket</h2>"));
    assert_non_null(strstr(pg.text, "<tr><th>queue</th><td>open</td></tr>"));
    free(pg.text);
}

/* The first test saw this host's job admit: its heartbeat's age is a
 * number (NaN only before the first run), and young (the job runs every
 * second). */
static void test_heartbeat_age(void **state)
{
    char *text = scrape();
    const char *v = tk_sample_of(text, "ticket_admission_heartbeat_age_seconds");
    double age;
    (void)state;

    if (!v) {
        fail_msg("no ticket_admission_heartbeat_age_seconds in /metrics:\n%s", text);
    }
    age = strtod(v, NULL);
    if (!isfinite(age) || age < 0 || age > 5) {
        fail_msg("ticket_admission_heartbeat_age_seconds is %.*s, want 0 to 5",
                 (int)strcspn(v, "\n"), v);
    }
    free(text);
}

static void test_scrapes_cost_no_statement(void **state)
{
    long long before = th_app_statements(db, DB);
    page pg;
    int i;
    (void)state;

    for (i = 0; i < 20; ++i) {
        free(scrape());
        fetch(&pg, "GET", i % 2 ? "/server-status?auto" : "/server-status");
        free(pg.text);
    }
    assert_int_equal(th_app_statements(db, DB) - before, 0);
}

/* Runs promtool (Debian's prometheus, unpacked by scripts/deps.sh) with
 * args; the start of what it printed (stdout and stderr) into out: its
 * exit status, as pclose tells it. */
static int promtool(const char *args, char *out, size_t size)
{
    char cmd[1200], rest[512];
    FILE *f;
    size_t n;

    snprintf(cmd, sizeof(cmd), "%s %s 2>&1", th_env("TK_PROMTOOL"), args);
    f = popen(cmd, "r");
    assert_non_null(f);
    n = fread(out, 1, size - 1, f);
    out[n] = '\0';
    while (fread(rest, 1, sizeof(rest), f) > 0) {
        /* (the rest: a full pipe would hold promtool up) */
    }
    return pclose(f);
}

/* promtool's own check of a scrape: silent and 0. */
static void test_promtool_accepts(void **state)
{
    char path[512], args[600], out[4096];
    char *text = scrape();
    FILE *f;
    int status;
    (void)state;

    snprintf(path, sizeof(path), "%s/metrics.txt", th_env("TK_TMP"));
    f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    snprintf(args, sizeof(args), "check metrics < %s", path);
    status = promtool(args, out, sizeof(out));
    if (status != 0 || *out) {
        fail_msg("promtool check metrics (exit %d): %s", status, out);
    }
    free(text);
}

/* ---- the alerting rules (conf/ticket-alerts.yml) ---- */

#define RULES "conf/ticket-alerts.yml"
#define RULES_TESTS "tests/alerts/ticket-alerts.test.yml"

/* promtool's check of the rules, and its unit tests of them (which make
 * each alert fire where it should, after its "for", and nowhere else). */
static void test_alert_rules_valid(void **state)
{
    char args[1024], out[8192];
    int status;
    (void)state;

    snprintf(args, sizeof(args), "check rules %s/" RULES, th_env("TK_ROOT"));
    if ((status = promtool(args, out, sizeof(out))) != 0) {
        fail_msg("promtool check rules " RULES " (exit %d): %s", status, out);
    }
    snprintf(args, sizeof(args), "test rules %s/" RULES_TESTS, th_env("TK_ROOT"));
    if ((status = promtool(args, out, sizeof(out))) != 0) {
        fail_msg("promtool test rules " RULES_TESTS " (exit %d): %s", status, out);
    }
}

/* The rules' expressions, each ended by a newline: what follows "expr:"
 * on its line, or the lines indented under "expr: |" (or ">"). Counts
 * them, and the "- alert:" lines, to hold the two to each other. */
static char *expressions(const char *yaml, int *exprs, int *alerts)
{
    char *out = calloc(1, strlen(yaml) + 2), *o = out;
    const char *line, *end, *at;
    int indent, block = -1;     /* the indent of "expr: |", in its block */

    *exprs = *alerts = 0;
    for (line = yaml; *line; line = *end ? end + 1 : end) {
        end = line + strcspn(line, "\n");
        at = line + strspn(line, " ");
        indent = (int)(at - line);
        if (block >= 0 && (at == end || indent > block)) {
            o += sprintf(o, "%.*s\n", (int)(end - at), at);
            continue;
        }
        block = -1;
        *alerts += strncmp(at, "- alert:", 8) == 0;
        if (strncmp(at, "expr:", 5) == 0) {
            ++*exprs;
            at += 5 + strspn(at + 5, " ");
            if (*at == '|' || *at == '>') {
                block = indent;
            }
            else {
                o += sprintf(o, "%.*s\n", (int)(end - at), at);
            }
        }
    }
    return out;
}

/* Whether a sample of the scrape is of metric name (NULL: any) and has
 * pair in its label set: 'label="' (the label) or 'label="value"'. */
static int served(const char *scrape, const char *name, const char *pair)
{
    size_t n = name ? strlen(name) : 0;
    const char *line, *end, *hit;
    char first[160], next[160];

    snprintf(first, sizeof(first), "{%s", pair ? pair : "");
    snprintf(next, sizeof(next), ",%s", pair ? pair : "");
    for (line = scrape; *line; line = *end ? end + 1 : end) {
        end = line + strcspn(line, "\n");
        if (*line == '#' || (name && (strncmp(line, name, n) != 0
                                      || (line[n] != ' ' && line[n] != '{')))) {
            continue;
        }
        if (!pair || ((hit = strstr(line, first)) && hit < end)
            || ((hit = strstr(line, next)) && hit < end)) {
            return 1;
        }
    }
    return 0;
}

static size_t ident_len(const char *p)
{
    size_t n = 0;

    while (isalnum((unsigned char)p[n]) || p[n] == '_' || p[n] == ':') {
        ++n;
    }
    return n;
}

/* A quoted string at p: past its closing quote. */
static const char *past_string(const char *p)
{
    for (++p; *p && *p != '"'; ++p) {
        if (*p == '\\' && p[1]) {
            ++p;
        }
    }
    return *p ? p + 1 : p;
}

/* The matchers of name's selector at p ('{a="x",b=~"y"}'): each label is
 * one that name's samples have, and each value matched with = is one
 * they show. Past the selector. */
static const char *check_selector(const char *p, const char *name, const char *scrape)
{
    char pair[160];
    const char *value;
    size_t n;

    for (++p; *(p += strspn(p, " ,\n")) && *p != '}';) {
        n = ident_len(p);
        assert_true(n > 0);
        snprintf(pair, sizeof(pair), "%.*s=\"", (int)n, p);
        if (!served(scrape, name, pair)) {
            fail_msg(RULES " selects %s by label %.*s, which it does not have",
                     name, (int)n, p);
        }
        value = strchr(p + n, '"');
        assert_non_null(value);
        if (value[-1] == '=' && value[-2] != '!' && value[-2] != '=') {
            snprintf(pair, sizeof(pair), "%.*s=%.*s", (int)n, p,
                     (int)(past_string(value) - value), value);
            if (!served(scrape, name, pair)) {
                fail_msg(RULES " selects %s{%s}, which /metrics does not serve",
                         name, pair);
            }
        }
        p = past_string(value);
    }
    return *p ? p + 1 : p;
}

/* The labels of "by", "without", "on" or "ignoring" at p ('(a, b)'):
 * each is one that some sample has. Past the list. */
static const char *check_label_list(const char *p, const char *scrape)
{
    char pair[160];
    size_t n;

    if (*(p += strspn(p, " \n")) != '(') {
        return p;
    }
    for (++p; *(p += strspn(p, " ,\n")) && *p != ')'; p += n) {
        n = ident_len(p);
        assert_true(n > 0);
        snprintf(pair, sizeof(pair), "%.*s=\"", (int)n, p);
        if (!served(scrape, NULL, pair)) {
            fail_msg(RULES " groups or matches by %.*s, a label no sample has",
                     (int)n, p);
        }
    }
    return *p ? p + 1 : p;
}

static int is_grouping(const char *word)
{
    return strcmp(word, "by") == 0 || strcmp(word, "without") == 0
           || strcmp(word, "on") == 0 || strcmp(word, "ignoring") == 0;
}

/* Every metric the expressions name is served, with the labels they
 * use; how many metric names they have, and whether the heartbeat's is
 * one. */
static int check_expressions(const char *text, const char *scrape, int *heartbeat)
{
    const char *p = text;
    char word[128];
    int names = 0;
    size_t n;

    while (*p) {
        if (*p == '"') {
            p = past_string(p);
            continue;
        }
        if (!(n = ident_len(p)) || isdigit((unsigned char)*p)) {
            p += n ? n : 1;
            continue;
        }
        snprintf(word, sizeof(word), "%.*s", (int)n, p);
        p += n;
        if (strncmp(word, "ticket_", 7) == 0) {
            if (!served(scrape, word, NULL)) {
                fail_msg(RULES " uses %s, which /metrics does not serve", word);
            }
            *heartbeat |= strcmp(word, "ticket_admission_heartbeat_age_seconds") == 0;
            ++names;
            if (*p == '{') {
                p = check_selector(p, word, scrape);
            }
        }
        else if (is_grouping(word)) {
            p = check_label_list(p, scrape);
        }
    }
    return names;
}

/* A renamed metric or label breaks the rules without promtool noticing:
 * hold every name in their expressions to a real scrape. */
static void test_alert_rules_match_metrics(void **state)
{
    char path[512], *yaml, *text, *scraped = scrape();
    int exprs, alerts, heartbeat = 0;
    (void)state;

    snprintf(path, sizeof(path), "%s/" RULES, th_env("TK_ROOT"));
    yaml = tk_slurp(path);
    text = expressions(yaml, &exprs, &alerts);
    assert_true(alerts >= 4);
    assert_int_equal(exprs, alerts);            /* every rule's was read */
    assert_true(check_expressions(text, scraped, &heartbeat) >= alerts);
    assert_true(heartbeat);
    free(yaml);
    free(text);
    free(scraped);
}

static void test_methods(void **state)
{
    th_resp r;
    page pg;
    (void)state;

    th_http(&r, httpd.port, "POST", "/metrics", NULL, "{}");
    assert_int_equal(r.status, 405);
    assert_string_equal(r.allow, "GET, HEAD");
    th_resp_free(&r);
    th_http(&r, httpd.port, "DELETE", "/metrics", NULL, NULL);
    assert_int_equal(r.status, 405);
    th_resp_free(&r);
    fetch(&pg, "HEAD", "/metrics");
    assert_int_equal(pg.status, 200);
    assert_int_equal(pg.len, 0);
    assert_string_equal(pg.type, "text/plain; version=0.0.4; charset=utf-8");
    free(pg.text);
}

/* The counters are the host's, not a generation's: a graceful restart
 * (log rotation does one nightly) keeps them, and counting goes on. */
static void test_graceful_restart_keeps_counters(void **state)
{
    char *before = scrape(), *after;
    double entries = value(before, REQUESTS("enter", "200"));
    (void)state;

    assert_true(entries >= 3);
    th_httpd_graceful(&httpd, NULL, NULL, NULL);
    after = scrape();
    assert_true(value(after, REQUESTS("enter", "200")) == entries);
    assert_true(value(after, COUNT("poll")) == value(before, COUNT("poll")));
    assert_true(value(after, "ticket_admissions_total")
                >= value(before, "ticket_admissions_total"));
    assert_int_equal(th_enter(httpd.port, 4, NULL), 200);
    wait_value(REQUESTS("enter", "200"), entries + 1);
    free(before);
    free(after);
}

static int auto_database_is_down(void *arg)
{
    char v[32];
    page pg;
    int ok;

    (void)arg;
    fetch(&pg, "GET", "/server-status?auto");
    ok = strcmp(auto_value(pg.text, "TicketDatabase", v, sizeof(v)), "down") == 0;
    free(pg.text);
    return ok;
}

/* PostgreSQL stopped: the entry's 503 is counted, the database shows down
 * (metrics and server-status), and up again once it is back. */
static void test_outage_counted(void **state)
{
    char *before, *after;
    th_resp r;
    (void)state;

    PQfinish(db);
    db = NULL;
    before = scrape();
    th_pg_ctl("stop");
    th_http(&r, httpd.port, "POST", "/queues", NULL, "{\"userId\": 5}");
    th_assert_error(&r, 503, "UNAVAILABLE", "잠시 후 다시 시도해 주세요.");
    th_resp_free(&r);
    wait_value(REQUESTS("enter", "503"), value(before, REQUESTS("enter", "503")) + 1);
    after = scrape();
    assert_true(value(after, OUTCOMES("enter", "UNAVAILABLE"))
                == value(before, OUTCOMES("enter", "UNAVAILABLE")) + 1);
    assert_true(value(after, "ticket_database_unavailable_total")
                > value(before, "ticket_database_unavailable_total"));
    assert_true(value(after, "ticket_database_up") == 0);
    assert_true(th_wait_until(auto_database_is_down, NULL, 5));
    th_pg_ctl("start");
    db = th_db_connect(DB);
    wait_value("ticket_database_up", 1);       /* the job's next statement */
    free(before);
    free(after);
}

/* Without TicketSecretFile the module is idle: /metrics answers 503
 * (logged, TICKET031) and server-status has no mod_ticket section. */
static void test_idle_module(void **state)
{
    const char *const allowed[] = {"TICKET031:", "TICKET002:", NULL};
    th_httpd h;
    th_resp m, st;
    (void)state;

    th_httpd_launch(&h, DB, "SECRET=", NULL);
    th_http(&m, h.port, "GET", "/metrics", NULL, NULL);
    th_http(&st, h.port, "GET", "/server-status?auto", NULL, NULL);
    th_httpd_stop(&h);          /* first: no Apache outlives a failure */
    assert_int_equal(m.status, 503);
    assert_int_equal(st.status, 200);
    assert_null(strstr(st.body, "Ticket"));
    th_resp_free(&m);
    th_resp_free(&st);
    assert_int_equal(th_errlog_count(&h, "TICKET031:"), 1);
    assert_int_equal(th_errlog_unexpected(&h, allowed), 0);
}

/* In RemoteUser mode Apache's own 401 (no login) carries the API's
 * UNAUTHENTICATED and is counted so, as "other"; the operators' pages
 * need no login (they come after the API's sections). */
static void test_remote_user_refusal(void **state)
{
    /* mod_auth_basic reports refused logins at error level */
    static const char *const allowed[] = {"AH01614:", "AH01617:", "AH01618:", NULL};
    series_arg requests = {0, value, REQUESTS("other", "401"), 1};
    series_arg outcomes = {0, value, OUTCOMES("other", "UNAUTHENTICATED"), 1};
    int counted;
    th_httpd h;
    th_resp r;
    page pg;
    (void)state;

    th_db_exec(db, "CREATE TABLE demo_logins (user_name text PRIMARY KEY,"
                   " password_hash text NOT NULL)");
    th_db_exec(db, "GRANT SELECT ON demo_logins TO ticket");
    th_httpd_start(&h, DB, "IDENTITY=remote-user", NULL);
    th_http(&r, h.port, "POST", "/queues", NULL, "{}");
    requests.port = outcomes.port = h.port;
    counted = th_wait_until(series_is, &requests, 15)
              && th_wait_until(series_is, &outcomes, 15);
    fetch_from(h.port, &pg, "GET", "/server-status?auto");
    th_httpd_stop(&h);          /* first: no Apache outlives a failure */
    th_assert_error(&r, 401, "UNAUTHENTICATED", "로그인이 필요합니다.");
    th_resp_free(&r);
    assert_true(counted);
    assert_int_equal(pg.status, 200);
    assert_non_null(strstr(pg.text, "\nTicketQueue: open\n"));
    free(pg.text);
    assert_int_equal(th_errlog_unexpected(&h, allowed), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_requests_counted),
        cmocka_unit_test(test_histograms),
        cmocka_unit_test(test_server_status),
        cmocka_unit_test(test_heartbeat_age),
        cmocka_unit_test(test_scrapes_cost_no_statement),
        cmocka_unit_test(test_promtool_accepts),
        cmocka_unit_test(test_alert_rules_valid),
        cmocka_unit_test(test_alert_rules_match_metrics),
        cmocka_unit_test(test_methods),
        cmocka_unit_test(test_graceful_restart_keeps_counters),
        cmocka_unit_test(test_outage_counted),
        cmocka_unit_test(test_idle_module),
        cmocka_unit_test(test_remote_user_refusal),
    };
    return cmocka_run_group_tests_name("metrics", tests, setup, teardown);
}
