/*
 * test_metrics.c - the metrics endpoint's text (engine/metrics.c), pure: a
 * snapshot formatted as OpenMetrics and as the Prometheus text format 0.0.4,
 * the content negotiation, escaping, and a buffer too small.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bf_test.h"
#include "core/bf_error.h"
#include "engine/metrics.h"

static struct bf_metrics_snapshot *snapshot(void)
{
    struct bf_metrics_snapshot *s = calloc(1, sizeof *s);
    snprintf(s->site, sizeof s->site, "north");
    s->ready = s->broker_in = s->broker_out = true;
    s->n_sensors = 2;
    snprintf(s->sensors[0].id, sizeof s->sensors[0].id, "radar-1");
    snprintf(s->sensors[0].type, sizeof s->sensors[0].type, "asterix");
    s->sensors[0].detections = 1200;
    s->sensors[0].shed = 3;
    s->sensors[0].late = 7;
    s->sensors[0].open = true;
    snprintf(s->sensors[1].id, sizeof s->sensors[1].id, "ugs\"x");   /* escaped in labels */
    snprintf(s->sensors[1].type, sizeof s->sensors[1].type, "ugs");
    s->sensors[1].open = true;
    s->sensors[1].faulty = true;
    s->tracks_live = 12;
    s->tracks_live_confirmed = 4;
    s->alert_changes[1][1] = 2;   /* INCURSION NEW */
    s->alerts_live[1][3] = 1;     /* INCURSION ACKNOWLEDGED */
    s->journal = true;
    s->outbox_backlog = 5;
    s->latency_buckets[0] = 10;
    s->latency_buckets[3] = 5;
    s->latency_buckets[BF_METRICS_LATENCY_BUCKETS] = 1;   /* +Inf */
    s->latency_count = 16;
    s->latency_sum_s = 2.5;
    return s;
}

static void test_openmetrics(void)
{
    struct bf_metrics_snapshot *s = snapshot();
    size_t cap = 64 * 1024;
    char *buf = malloc(cap);
    int n = bf_metrics_format(s, true, buf, cap);
    CU_ASSERT_TRUE_FATAL(n > 0);
    CU_ASSERT_EQUAL((size_t)n, strlen(buf));
    CU_ASSERT_STRING_EQUAL(buf + n - 6, "# EOF\n");
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "# TYPE borderfuse_detections_received counter\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "borderfuse_detections_received_total{sensor=\"radar-1\"} 1200\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "borderfuse_detections_shed_total{sensor=\"radar-1\"} 3\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "borderfuse_detections_late_total{sensor=\"radar-1\"} 7\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "borderfuse_sensor_up{sensor=\"radar-1\",type=\"asterix\"} 1\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "borderfuse_sensor_up{sensor=\"ugs\\\"x\",type=\"ugs\"} 0\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "borderfuse_sensor_faulty{sensor=\"ugs\\\"x\"} 1\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "borderfuse_tracks_live 12\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "borderfuse_tracks_live_confirmed 4\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "borderfuse_alert_changes_total{type=\"INCURSION\",state=\"NEW\"} 2\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "borderfuse_alerts_live{type=\"INCURSION\",state=\"ACKNOWLEDGED\"} 1\n"));
    CU_ASSERT_PTR_NULL(strstr(buf, "borderfuse_alerts_live{type=\"INCURSION\",state=\"RESOLVED\"}"));
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "borderfuse_outbox_backlog_lines 5\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "borderfuse_broker_connected{connection=\"output\"} 1\n"));
    /* cumulative buckets: 10 up to 100 us, 15 from 1 ms on, 16 at +Inf */
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "borderfuse_scan_duration_seconds_bucket{le=\"0.0001\"} 10\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "borderfuse_scan_duration_seconds_bucket{le=\"0.0005\"} 10\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "borderfuse_scan_duration_seconds_bucket{le=\"0.001\"} 15\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "borderfuse_scan_duration_seconds_bucket{le=\"1\"} 15\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "borderfuse_scan_duration_seconds_bucket{le=\"+Inf\"} 16\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "borderfuse_scan_duration_seconds_count 16\n"));
    /* no journal: no outbox families */
    s->journal = false;
    CU_ASSERT_TRUE(bf_metrics_format(s, true, buf, cap) > 0);
    CU_ASSERT_PTR_NULL(strstr(buf, "borderfuse_outbox_"));
    /* too small */
    CU_ASSERT_EQUAL(bf_metrics_format(s, true, buf, 100), BF_ERANGE);
    printf("\n  OpenMetrics text: %d bytes for 2 sensors\n", n);
    free(buf);
    free(s);
}

static void test_text_format(void)
{
    struct bf_metrics_snapshot *s = snapshot();
    size_t cap = 64 * 1024;
    char *buf = malloc(cap);
    int n = bf_metrics_format(s, false, buf, cap);
    CU_ASSERT_TRUE_FATAL(n > 0);
    CU_ASSERT_PTR_NULL(strstr(buf, "# EOF"));
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "# HELP borderfuse_detections_received_total "));
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "# TYPE borderfuse_detections_received_total counter\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "# TYPE borderfuse_tracks_live gauge\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "# TYPE borderfuse_scan_duration_seconds histogram\n"));
    free(buf);
    free(s);
}

static void test_negotiation(void)
{
    CU_ASSERT_TRUE(bf_metrics_wants_openmetrics(NULL));
    CU_ASSERT_TRUE(bf_metrics_wants_openmetrics("*/*"));
    CU_ASSERT_TRUE(bf_metrics_wants_openmetrics(
        "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;"
        "q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"));   /* Prometheus 2.42 */
    CU_ASSERT_FALSE(bf_metrics_wants_openmetrics("text/plain;version=0.0.4"));
    CU_ASSERT_FALSE(bf_metrics_wants_openmetrics("text/plain"));
}

static CU_TestInfo tests[] = {
    {"OpenMetrics text of a snapshot", test_openmetrics},
    {"Prometheus text format 0.0.4", test_text_format},
    {"Accept header negotiation", test_negotiation},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"fusion/metrics", NULL, NULL, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

int main(void)
{
    return bf_test_main(suites);
}
