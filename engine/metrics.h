/*
 * metrics.h - the engine's monitoring endpoint (docs/deploy.md, "Watch the
 * metrics"): /metrics in the OpenMetrics text format, /healthz and /readyz,
 * served over HTTP by libmicrohttpd on its own thread.
 *
 * The HTTP thread never touches the engine: the engine thread fills a
 * struct bf_metrics_snapshot from its own state (about once a second) and
 * hands a copy over with bf_metrics_server_publish(); the handler formats the
 * latest copy.  The loop's heartbeat and the readiness are atomics.
 */
#ifndef BF_METRICS_H
#define BF_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/bf_time.h"
#include "engine/config.h"

/* Upper bounds (seconds) of the scan-duration histogram's buckets; +Inf is implied. */
#define BF_METRICS_LATENCY_BUCKETS 12
extern const double bf_metrics_latency_bounds_s[BF_METRICS_LATENCY_BUCKETS];

#define BF_METRICS_ALERT_TYPES 8    /* enum bf_alert_type values 1..7, index 0 unused */
#define BF_METRICS_ALERT_STATES 7   /* enum bf_alert_state values 1..6, index 0 unused */

struct bf_metrics_sensor {
    char id[65];
    char type[33];
    uint64_t messages;      /* good messages */
    uint64_t detections;    /* detections accepted into the ingest queue */
    uint64_t shed;          /* detections refused: ingest queue full */
    uint64_t late;          /* detections older than the reorder window, dropped */
    uint64_t malformed;     /* messages refused (every fault kind but a full queue) */
    bool open;              /* its plugin is running */
    bool faulty;            /* silent beyond its heartbeat timeout */
};

/* What the endpoint shows; filled by the engine thread, copied whole. */
struct bf_metrics_snapshot {
    char site[65];
    double uptime_s;
    bool ready;                       /* READY reached: broker connected, every sensor up */
    bool broker_in, broker_out;       /* ingest and output connections up now */
    size_t n_sensors;
    struct bf_metrics_sensor sensors[BF_MAX_SENSORS];
    uint64_t processed, scans, late, window_overflow;
    uint32_t tracks_live, tracks_live_confirmed;
    uint64_t tracks_initiated, tracks_confirmed, tracks_deleted;
    uint64_t alert_changes[BF_METRICS_ALERT_TYPES][BF_METRICS_ALERT_STATES];
    uint32_t alerts_live[BF_METRICS_ALERT_TYPES][BF_METRICS_ALERT_STATES];
    bool journal;                     /* an outbox over a journal exists */
    uint64_t outbox_backlog;          /* journal lines the broker has not confirmed */
    uint64_t outbox_delivered_seq, outbox_resent;
    uint64_t latency_buckets[BF_METRICS_LATENCY_BUCKETS + 1];   /* not cumulative; last: +Inf */
    uint64_t latency_count;
    double latency_sum_s;
};

/*
 * The snapshot into buf (len bytes, NUL-terminated): with openmetrics, the
 * OpenMetrics text format ending with "# EOF\n" (BF_METRICS_CONTENT_TYPE);
 * else the older Prometheus text format 0.0.4 (BF_METRICS_CONTENT_TYPE_TEXT:
 * counters' families named with their _total suffix, no "# EOF"), for
 * clients that ask for text/plain and no OpenMetrics, such as the linter of
 * promtool.  Pure.  Returns the length, or BF_ERANGE when it did not fit.
 */
int bf_metrics_format(const struct bf_metrics_snapshot *s, bool openmetrics, char *buf, size_t len);

#define BF_METRICS_CONTENT_TYPE "application/openmetrics-text; version=1.0.0; charset=utf-8"
#define BF_METRICS_CONTENT_TYPE_TEXT "text/plain; version=0.0.4; charset=utf-8"

/*
 * Which format an HTTP Accept header asks for: OpenMetrics unless it names
 * text/plain and no application/openmetrics-text (NULL: OpenMetrics).  Pure.
 */
bool bf_metrics_wants_openmetrics(const char *accept);

/* /healthz answers 200 while the loop's last turn is at most this old. */
#define BF_METRICS_HEALTHY_S 5

struct bf_metrics_server;   /* opaque */

/*
 * Listen on listen ("host:port", IPv6 as "[addr]:port"; the config's
 * metrics.listen) and serve from a thread of its own.  0, or BF_EINVAL (a bad
 * address) / BF_EIO (cannot bind) with the reason in err; *out NULL then.
 */
int bf_metrics_server_start(const char *listen, struct bf_metrics_server **out, char *err,
                            size_t errlen);
/* Stop serving and free; accepts NULL.  No handler runs after it returns. */
void bf_metrics_server_stop(struct bf_metrics_server *s);
/* Replace the snapshot shown (copied under the server's lock; any thread). */
void bf_metrics_server_publish(struct bf_metrics_server *s, const struct bf_metrics_snapshot *snap);
/* The loop turned at monotonic time now_mono (atomic; /healthz). */
void bf_metrics_server_beat(struct bf_metrics_server *s, bf_time_us now_mono);
/* Readiness for /readyz: why is NULL when ready, else the reason (a static string). */
void bf_metrics_server_set_ready(struct bf_metrics_server *s, const char *why_not);

#endif
