/* test_metrics.c: unit tests of tk_metrics: the label tables, the bucket
 * of a duration, label escaping, and the exposition text (every family
 * with HELP and TYPE, counters ending _total, cumulative buckets ending
 * in +Inf equal to the count, one series per machine code). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "../text_util.h"
#include "tk_metrics.h"

static void test_endpoint_names(void **state)
{
    static const char *const want[TK_MX_ENDPOINTS] = {
        "enter", "poll", "concerts", "dates", "seats", "hold", "charge",
        "account", "pay", "health", "other"
    };
    int e;
    (void)state;

    assert_int_equal(TK_MX_ENDPOINTS, 11);
    for (e = 0; e < TK_MX_ENDPOINTS; ++e) {
        assert_string_equal(tk_metrics_endpoint_name(e), want[e]);
    }
    assert_string_equal(tk_metrics_endpoint_name(TK_API_HISTORY), "account");
    assert_string_equal(tk_metrics_endpoint_name(-1), "other");
    assert_string_equal(tk_metrics_endpoint_name(99), "other");
}

static void test_status_slots(void **state)
{
    static const int api[] = {200, 400, 401, 402, 403, 404, 405, 409, 413,
                              422, 500, 503};
    char text[8];
    size_t i;
    (void)state;

    for (i = 0; i < sizeof(api) / sizeof(api[0]); ++i) {
        snprintf(text, sizeof(text), "%d", api[i]);
        assert_string_equal(tk_metrics_status_label(tk_metrics_status_slot(api[i])), text);
    }
    assert_string_equal(tk_metrics_status_label(tk_metrics_status_slot(302)), "other");
    assert_string_equal(tk_metrics_status_label(tk_metrics_status_slot(0)), "other");
    assert_int_equal(tk_metrics_status_slot(418), TK_MX_STATUSES - 1);
}

static void test_outcome_slots(void **state)
{
    (void)state;
    assert_int_equal(tk_metrics_outcome_slot(TK_E_NONE, 200), TK_MX_OK);
    assert_int_equal(tk_metrics_outcome_slot(TK_E_NONE, 304), TK_MX_OK);
    assert_int_equal(tk_metrics_outcome_slot(TK_E_NONE, 500), TK_MX_NOT_CATALOGUED);
    assert_int_equal(tk_metrics_outcome_slot(TK_E_SEAT_TAKEN, 409), TK_E_SEAT_TAKEN);
    /* the error decides, whatever the status */
    assert_int_equal(tk_metrics_outcome_slot(TK_E_UNAVAILABLE, 200), TK_E_UNAVAILABLE);
}

/* A duration on a bound belongs to that bound's bucket (le: at most). */
static void test_buckets(void **state)
{
    (void)state;
    assert_int_equal(tk_metrics_bucket(0), 0);
    assert_int_equal(tk_metrics_bucket(1000), 0);
    assert_int_equal(tk_metrics_bucket(1001), 1);
    assert_int_equal(tk_metrics_bucket(2500), 1);
    assert_int_equal(tk_metrics_bucket(99999), 6);
    assert_int_equal(tk_metrics_bucket(1000000), 9);
    assert_int_equal(tk_metrics_bucket(10000000), TK_MX_BUCKETS - 2);
    assert_int_equal(tk_metrics_bucket(10000001), TK_MX_BUCKETS - 1);
    assert_int_equal(tk_metrics_bucket(UINT64_MAX), TK_MX_BUCKETS - 1);
}

static void test_escape(void **state)
{
    apr_pool_t *p = *state;

    assert_string_equal(tk_metrics_escape(p, "plain"), "plain");
    assert_string_equal(tk_metrics_escape(p, ""), "");
    assert_string_equal(tk_metrics_escape(p, "a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    assert_string_equal(tk_metrics_escape(p, "\n\n"), "\\n\\n");
}

/* ---- the text ---- */

static tk_metrics_gauges gauges(void)
{
    tk_metrics_gauges g = {.queue_state = "open", .capacity = 100, .in_service = 7,
                           .waiting = 250, .admitted_last_minute = 42,
                           .snapshot_age_ms = 1500, .heartbeat_age_ms = 250,
                           .database_up = 1};
    return g;
}

static int occurrences(const char *text, const char *what)
{
    int n = 0;

    for (; (text = strstr(text, what)) != NULL; ++text) {
        ++n;
    }
    return n;
}

static void assert_value(const char *text, const char *series, const char *want)
{
    const char *v = tk_sample_of(text, series);
    size_t n = strlen(want);

    if (!v || strncmp(v, want, n) != 0 || v[n] != '\n') {
        fail_msg("%s: want %s, got %.20s", series, want, v ? v : "(none)");
    }
}

/* Every sample line belongs to a family announced with HELP then TYPE;
 * counters end _total; the text ends in a newline. */
static void assert_well_formed(const char *text)
{
    char family[128] = "", type[16] = "", name[128];
    const char *line;

    assert_true(strlen(text) > 0 && text[strlen(text) - 1] == '\n');
    for (line = text; *line; line = strchr(line, '\n') + 1) {
        if (strncmp(line, "# HELP ", 7) == 0) {
            assert_int_equal(sscanf(line + 7, "%127s", family), 1);
            type[0] = '\0';
        }
        else if (strncmp(line, "# TYPE ", 7) == 0) {
            assert_int_equal(sscanf(line + 7, "%127s %15s", name, type), 2);
            assert_string_equal(name, family);      /* HELP came first */
            assert_true(strncmp(family, "ticket_", 7) == 0);
            if (strcmp(type, "counter") == 0) {
                assert_string_equal(family + strlen(family) - 6, "_total");
            }
        }
        else {
            assert_int_equal(sscanf(line, "%127[a-z_]", name), 1);
            assert_true(type[0] != '\0');
            assert_true(strncmp(name, family, strlen(family)) == 0);
        }
    }
}

static void test_text_of_nothing(void **state)
{
    tk_metrics_counts *c = calloc(1, sizeof(*c));
    tk_metrics_gauges g = gauges();
    const char *text;

    g.snapshot_age_ms = -1;
    g.heartbeat_age_ms = -1;
    g.database_up = 0;
    text = tk_metrics_text(*state, c, &g);
    assert_well_formed(text);
    /* no requests: no request series, but every endpoint's histogram */
    assert_null(strstr(text, "ticket_requests_total{"));
    assert_null(strstr(text, "ticket_outcomes_total{"));
    assert_value(text, "ticket_request_duration_seconds_bucket{endpoint=\"other\",le=\"+Inf\"}", "0");
    assert_value(text, "ticket_request_duration_seconds_count{endpoint=\"enter\"}", "0");
    assert_value(text, "ticket_request_duration_seconds_sum{endpoint=\"enter\"}", "0.000000");
    assert_value(text, "ticket_queue_snapshot_age_seconds", "NaN");
    assert_value(text, "ticket_admission_heartbeat_age_seconds", "NaN");
    assert_value(text, "ticket_database_up", "0");
    assert_value(text, "ticket_admissions_total", "0");
    free(c);
}

static void test_text_counts(void **state)
{
    tk_metrics_counts *c = calloc(1, sizeof(*c));
    tk_metrics_gauges g = gauges();
    const char *text;

    c->requests[TK_API_QUEUES_ENTER][tk_metrics_status_slot(200)] = 3;
    c->requests[TK_MX_OTHER][tk_metrics_status_slot(404)] = 1;
    c->requests[TK_API_PAY][tk_metrics_status_slot(418)] = 2;
    c->outcomes[TK_API_QUEUES_ENTER][TK_MX_OK] = 3;
    c->outcomes[TK_API_QUEUES_ENTER][TK_E_BAD_REQUEST] = 1;
    c->outcomes[TK_API_QUEUES_ENTER][TK_E_QUEUE_BAD_REQUEST] = 4;
    c->outcomes[TK_API_PAY][TK_MX_NOT_CATALOGUED] = 2;
    c->admitted = 12;
    c->db_unavailable = 5;
    text = tk_metrics_text(*state, c, &g);
    assert_well_formed(text);
    assert_value(text, "ticket_requests_total{endpoint=\"enter\",status=\"200\"}", "3");
    assert_value(text, "ticket_requests_total{endpoint=\"other\",status=\"404\"}", "1");
    assert_value(text, "ticket_requests_total{endpoint=\"pay\",status=\"other\"}", "2");
    assert_null(tk_sample_of(text, "ticket_requests_total{endpoint=\"poll\",status=\"200\"}"));
    assert_value(text, "ticket_outcomes_total{endpoint=\"enter\",code=\"ok\"}", "3");
    /* the two ids of BAD_REQUEST are one series */
    assert_value(text, "ticket_outcomes_total{endpoint=\"enter\",code=\"BAD_REQUEST\"}", "5");
    assert_int_equal(occurrences(text, "{endpoint=\"enter\",code=\"BAD_REQUEST\"}"), 1);
    assert_value(text, "ticket_outcomes_total{endpoint=\"pay\",code=\"other\"}", "2");
    assert_value(text, "ticket_admissions_total", "12");
    assert_value(text, "ticket_database_unavailable_total", "5");
    assert_value(text, "ticket_database_up", "1");
    free(c);
}

static void test_text_histogram(void **state)
{
    static const char *const les[TK_MX_BUCKETS] = {
        "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25",
        "0.5", "1", "2.5", "5", "10", "+Inf"
    };
    tk_metrics_counts *c = calloc(1, sizeof(*c));
    tk_metrics_gauges g = gauges();
    char series[160];
    long long prev = 0, v;
    const char *text;
    int b;

    c->buckets[TK_API_HOLD][tk_metrics_bucket(800)] += 2;         /* 1 ms */
    c->buckets[TK_API_HOLD][tk_metrics_bucket(30000)] += 1;       /* 50 ms */
    c->buckets[TK_API_HOLD][tk_metrics_bucket(60000000)] += 1;    /* +Inf */
    c->sum_us[TK_API_HOLD] = 1600 + 30000 + 60000000;
    text = tk_metrics_text(*state, c, &g);
    assert_well_formed(text);
    for (b = 0; b < TK_MX_BUCKETS; ++b) {
        snprintf(series, sizeof(series),
                 "ticket_request_duration_seconds_bucket{endpoint=\"hold\",le=\"%s\"}", les[b]);
        assert_non_null(tk_sample_of(text, series));
        v = atoll(tk_sample_of(text, series));
        assert_true(v >= prev);                                  /* cumulative */
        prev = v;
    }
    assert_value(text, "ticket_request_duration_seconds_bucket{endpoint=\"hold\",le=\"0.001\"}", "2");
    assert_value(text, "ticket_request_duration_seconds_bucket{endpoint=\"hold\",le=\"0.025\"}", "2");
    assert_value(text, "ticket_request_duration_seconds_bucket{endpoint=\"hold\",le=\"0.05\"}", "3");
    assert_value(text, "ticket_request_duration_seconds_bucket{endpoint=\"hold\",le=\"10\"}", "3");
    assert_value(text, "ticket_request_duration_seconds_bucket{endpoint=\"hold\",le=\"+Inf\"}", "4");
    assert_value(text, "ticket_request_duration_seconds_count{endpoint=\"hold\"}", "4");
    assert_value(text, "ticket_request_duration_seconds_sum{endpoint=\"hold\"}", "60.031600");
    /* the last bucket of an endpoint's histogram is +Inf, then sum and count */
    assert_non_null(strstr(text, "{endpoint=\"hold\",le=\"+Inf\"} 4\n"
                                 "ticket_request_duration_seconds_sum{endpoint=\"hold\"} 60.031600\n"
                                 "ticket_request_duration_seconds_count{endpoint=\"hold\"} 4\n"));
    free(c);
}

static void test_text_queue(void **state)
{
    tk_metrics_counts *c = calloc(1, sizeof(*c));
    tk_metrics_gauges g = gauges();
    const char *text;

    g.queue_state = "closed";
    text = tk_metrics_text(*state, c, &g);
    assert_value(text, "ticket_queue_capacity", "100");
    assert_value(text, "ticket_queue_in_service", "7");
    assert_value(text, "ticket_queue_waiting", "250");
    assert_value(text, "ticket_queue_admitted_last_minute", "42");
    assert_value(text, "ticket_queue_snapshot_age_seconds", "1.500");
    assert_value(text, "ticket_admission_heartbeat_age_seconds", "0.250");
    assert_value(text, "ticket_queue_state{state=\"open\"}", "0");
    assert_value(text, "ticket_queue_state{state=\"paused\"}", "0");
    assert_value(text, "ticket_queue_state{state=\"closed\"}", "1");
    assert_value(text, "ticket_queue_state{state=\"prequeue\"}", "0");
    free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_endpoint_names),
        cmocka_unit_test(test_status_slots),
        cmocka_unit_test(test_outcome_slots),
        cmocka_unit_test(test_buckets),
        cmocka_unit_test(test_escape),
        cmocka_unit_test(test_text_of_nothing),
        cmocka_unit_test(test_text_counts),
        cmocka_unit_test(test_text_histogram),
        cmocka_unit_test(test_text_queue),
    };
    return cmocka_run_group_tests_name("metrics", tests, unit_pool_setup, unit_pool_teardown);
}
