/*
 * metrics.c - the monitoring endpoint: a small HTTP server (libmicrohttpd,
 * its own polling thread) answering /metrics, /healthz and /readyz.
 *
 * A monitoring system must be able to tell that a site's engine is alive,
 * connected and keeping up, without being able to disturb it.  So the HTTP
 * thread owns nothing of the engine: it formats the latest snapshot the
 * engine thread published (copied under a mutex about once a second), reads
 * the loop's heartbeat and the readiness from atomics, and answers.  A slow
 * or hostile client costs a connection slot (16 at most, 10 s timeout), never
 * a turn of the loop.  /metrics is OpenMetrics text (what Prometheus asks
 * for; a client asking for text/plain alone gets the older Prometheus text
 * format); /healthz is 200 while the loop turned within BF_METRICS_HEALTHY_S;
 * /readyz is 200 once the engine is ready (broker connected, every sensor
 * plugin up) and while the broker stays connected, 503 with the reason
 * otherwise.
 */
#include "engine/metrics.h"

#include <netdb.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "alerts/alerts.h"
#include "cot/cot.h"
#include "core/bf_error.h"
#include "core/bf_log.h"

#define METRICS_LOG "metrics"
#define METRICS_BUF_MAX (1u << 20)

const double bf_metrics_latency_bounds_s[BF_METRICS_LATENCY_BUCKETS] = {
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0,
};

/* ---- the OpenMetrics text ------------------------------------------------ */

struct out {
    char *buf;
    size_t len, pos;
    bool over;
    bool om;   /* OpenMetrics, else the Prometheus text format 0.0.4 */
};

__attribute__((format(printf, 2, 3)))
static void put(struct out *o, const char *fmt, ...)
{
    if (o->over)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(o->buf + o->pos, o->len - o->pos, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= o->len - o->pos) {
        o->over = true;
        return;
    }
    o->pos += (size_t)n;
}

/* A label value with \\, \" and \n escaped (OpenMetrics), into buf. */
static const char *label(const char *v, char *buf, size_t len)
{
    size_t k = 0;
    for (; *v && k + 3 < len; v++) {
        if (*v == '\\' || *v == '"') {
            buf[k++] = '\\';
            buf[k++] = *v;
        } else if (*v == '\n') {
            buf[k++] = '\\';
            buf[k++] = 'n';
        } else {
            buf[k++] = *v;
        }
    }
    buf[k] = '\0';
    return buf;
}

/* A family's TYPE and HELP; in the 0.0.4 format a counter's family has its samples' _total. */
static void family(struct out *o, const char *name, const char *type, const char *help)
{
    const char *sfx = !o->om && strcmp(type, "counter") == 0 ? "_total" : "";
    if (o->om)
        put(o, "# TYPE %s %s\n# HELP %s %s\n", name, type, name, help);
    else
        put(o, "# HELP %s%s %s\n# TYPE %s%s %s\n", name, sfx, help, name, sfx, type);
}

/* One counter family with a sample per sensor; field picks the figure. */
static void per_sensor(struct out *o, const struct bf_metrics_snapshot *s, const char *name,
                       const char *help, size_t offset)
{
    family(o, name, "counter", help);
    for (size_t i = 0; i < s->n_sensors; i++) {
        char id[140];
        uint64_t v;
        memcpy(&v, (const char *)&s->sensors[i] + offset, sizeof v);
        put(o, "%s_total{sensor=\"%s\"} %llu\n", name, label(s->sensors[i].id, id, sizeof id),
            (unsigned long long)v);
    }
}

static bool live_state(int st)
{
    return st == BF_ALERT_NEW || st == BF_ALERT_UPDATED || st == BF_ALERT_ACKNOWLEDGED ||
           st == BF_ALERT_LOST;
}

bool bf_metrics_wants_openmetrics(const char *accept)
{
    return !accept || strstr(accept, "application/openmetrics-text") ||
           !strstr(accept, "text/plain");
}

int bf_metrics_format(const struct bf_metrics_snapshot *s, bool openmetrics, char *buf, size_t len)
{
    struct out o = {.buf = buf, .len = len, .om = openmetrics};
    char site[140];
    label(s->site, site, sizeof site);
    family(&o, "borderfuse_build_info", "gauge", "the engine's version and site (always 1)");
    put(&o, "borderfuse_build_info{site=\"%s\",version=\"%s\"} 1\n", site, BF_VERSION_STRING);
    family(&o, "borderfuse_uptime_seconds", "gauge", "time since the engine started");
    put(&o, "borderfuse_uptime_seconds %.3f\n", s->uptime_s);
    family(&o, "borderfuse_ready", "gauge",
           "1 once the broker was connected and every sensor plugin was up (READY)");
    put(&o, "borderfuse_ready %d\n", s->ready ? 1 : 0);
    family(&o, "borderfuse_broker_connected", "gauge",
           "1 while the MQTT connection is up: ingest (sensors, operators) and output (alerts)");
    put(&o, "borderfuse_broker_connected{connection=\"ingest\"} %d\n", s->broker_in ? 1 : 0);
    put(&o, "borderfuse_broker_connected{connection=\"output\"} %d\n", s->broker_out ? 1 : 0);

    per_sensor(&o, s, "borderfuse_sensor_messages", "good messages from the sensor",
               offsetof(struct bf_metrics_sensor, messages));
    per_sensor(&o, s, "borderfuse_sensor_malformed_messages",
               "messages from the sensor that were refused (malformed, bad signature, ...)",
               offsetof(struct bf_metrics_sensor, malformed));
    per_sensor(&o, s, "borderfuse_detections_received",
               "detections accepted into the ingest queue",
               offsetof(struct bf_metrics_sensor, detections));
    per_sensor(&o, s, "borderfuse_detections_shed", "detections refused: the ingest queue was full",
               offsetof(struct bf_metrics_sensor, shed));
    per_sensor(&o, s, "borderfuse_detections_late",
               "detections older than the reorder window, dropped",
               offsetof(struct bf_metrics_sensor, late));
    family(&o, "borderfuse_sensor_up", "gauge",
           "1 while the sensor's plugin runs and the sensor is not silent (SENSOR_FAULT)");
    for (size_t i = 0; i < s->n_sensors; i++) {
        char id[140], ty[80];
        put(&o, "borderfuse_sensor_up{sensor=\"%s\",type=\"%s\"} %d\n",
            label(s->sensors[i].id, id, sizeof id), label(s->sensors[i].type, ty, sizeof ty),
            s->sensors[i].open && !s->sensors[i].faulty ? 1 : 0);
    }
    family(&o, "borderfuse_sensor_faulty", "gauge",
           "1 while the sensor is silent beyond its heartbeat timeout");
    for (size_t i = 0; i < s->n_sensors; i++) {
        char id[140];
        put(&o, "borderfuse_sensor_faulty{sensor=\"%s\"} %d\n",
            label(s->sensors[i].id, id, sizeof id), s->sensors[i].faulty ? 1 : 0);
    }

    family(&o, "borderfuse_detections_processed", "counter",
           "detections released to the tracker in event-time order");
    put(&o, "borderfuse_detections_processed_total %llu\n", (unsigned long long)s->processed);
    family(&o, "borderfuse_scans", "counter", "scans the tracker processed");
    put(&o, "borderfuse_scans_total %llu\n", (unsigned long long)s->scans);
    family(&o, "borderfuse_reorder_overflow_detections", "counter",
           "detections forced out of a full reorder window early");
    put(&o, "borderfuse_reorder_overflow_detections_total %llu\n",
        (unsigned long long)s->window_overflow);

    family(&o, "borderfuse_tracks_live", "gauge", "tracks not deleted");
    put(&o, "borderfuse_tracks_live %u\n", s->tracks_live);
    family(&o, "borderfuse_tracks_live_confirmed", "gauge", "tracks confirmed or coasting");
    put(&o, "borderfuse_tracks_live_confirmed %u\n", s->tracks_live_confirmed);
    family(&o, "borderfuse_tracks_initiated", "counter", "tentative tracks started");
    put(&o, "borderfuse_tracks_initiated_total %llu\n", (unsigned long long)s->tracks_initiated);
    family(&o, "borderfuse_tracks_confirmed", "counter", "tracks confirmed");
    put(&o, "borderfuse_tracks_confirmed_total %llu\n", (unsigned long long)s->tracks_confirmed);
    family(&o, "borderfuse_tracks_deleted", "counter", "tracks deleted");
    put(&o, "borderfuse_tracks_deleted_total %llu\n", (unsigned long long)s->tracks_deleted);

    family(&o, "borderfuse_alert_changes", "counter",
           "alert changes published, by alert type and the state they took");
    for (int t = 1; t < BF_METRICS_ALERT_TYPES; t++)
        for (int st = 1; st < BF_METRICS_ALERT_STATES; st++)
            put(&o, "borderfuse_alert_changes_total{type=\"%s\",state=\"%s\"} %llu\n",
                bf_alert_type_name((enum bf_alert_type)t),
                bf_alert_state_name((enum bf_alert_state)st),
                (unsigned long long)s->alert_changes[t][st]);
    family(&o, "borderfuse_alerts_live", "gauge",
           "alerts open now (not resolved, not a false alarm), by type and state");
    for (int t = 1; t < BF_METRICS_ALERT_TYPES; t++)
        for (int st = 1; st < BF_METRICS_ALERT_STATES; st++)
            if (live_state(st))
                put(&o, "borderfuse_alerts_live{type=\"%s\",state=\"%s\"} %u\n",
                    bf_alert_type_name((enum bf_alert_type)t),
                    bf_alert_state_name((enum bf_alert_state)st), s->alerts_live[t][st]);

    if (s->journal) {
        family(&o, "borderfuse_outbox_backlog_lines", "gauge",
               "alert lines of the journal the broker has not confirmed yet (owed)");
        put(&o, "borderfuse_outbox_backlog_lines %llu\n", (unsigned long long)s->outbox_backlog);
        family(&o, "borderfuse_outbox_delivered_seq", "gauge",
               "every journaled alert change up to this seq was confirmed by the broker");
        put(&o, "borderfuse_outbox_delivered_seq %llu\n",
            (unsigned long long)s->outbox_delivered_seq);
        family(&o, "borderfuse_outbox_resent", "counter",
               "alert changes sent again (reconnects, refusals, the start)");
        put(&o, "borderfuse_outbox_resent_total %llu\n", (unsigned long long)s->outbox_resent);
    }

    family(&o, "borderfuse_scan_duration_seconds", "histogram",
           "engine time per scan: tracker, geofences, alert rules, journal");
    uint64_t cum = 0;
    for (int b = 0; b < BF_METRICS_LATENCY_BUCKETS; b++) {
        cum += s->latency_buckets[b];
        put(&o, "borderfuse_scan_duration_seconds_bucket{le=\"%g\"} %llu\n",
            bf_metrics_latency_bounds_s[b], (unsigned long long)cum);
    }
    put(&o, "borderfuse_scan_duration_seconds_bucket{le=\"+Inf\"} %llu\n",
        (unsigned long long)s->latency_count);
    put(&o, "borderfuse_scan_duration_seconds_count %llu\n", (unsigned long long)s->latency_count);
    put(&o, "borderfuse_scan_duration_seconds_sum %.9f\n", s->latency_sum_s);
    if (o.om)
        put(&o, "# EOF\n");
    return o.over ? BF_ERANGE : (int)o.pos;
}

/* ---- the server ------------------------------------------------------------ */

struct bf_metrics_server {
    struct MHD_Daemon *d;
    struct sockaddr_storage addr;
    pthread_mutex_t mu;
    struct bf_metrics_snapshot snap;   /* under mu */
    bool have_snap;                    /* under mu */
    _Atomic bf_time_us beat;
    _Atomic(const char *) why_not_ready;
};

static enum MHD_Result answer(struct MHD_Connection *c, unsigned status, const char *type,
                              char *body, size_t len, enum MHD_ResponseMemoryMode mode)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(len, body, mode);
    if (!r) {
        if (mode == MHD_RESPMEM_MUST_FREE)
            free(body);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    enum MHD_Result rc = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return rc;
}

static enum MHD_Result text(struct MHD_Connection *c, unsigned status, const char *msg)
{
    return answer(c, status, "text/plain; charset=utf-8", (char *)msg, strlen(msg),
                  MHD_RESPMEM_MUST_COPY);
}

static enum MHD_Result serve_metrics(struct bf_metrics_server *s, struct MHD_Connection *c)
{
    bool om = bf_metrics_wants_openmetrics(
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT));
    struct bf_metrics_snapshot *snap = malloc(sizeof *snap);
    if (!snap)
        return text(c, MHD_HTTP_SERVICE_UNAVAILABLE, "out of memory\n");
    pthread_mutex_lock(&s->mu);
    bool have = s->have_snap;
    if (have)
        *snap = s->snap;
    pthread_mutex_unlock(&s->mu);
    if (!have) {
        free(snap);
        return text(c, MHD_HTTP_SERVICE_UNAVAILABLE, "starting: no figures yet\n");
    }
    for (size_t cap = 64 * 1024; cap <= METRICS_BUF_MAX; cap *= 2) {
        char *buf = malloc(cap);
        if (!buf)
            break;
        int n = bf_metrics_format(snap, om, buf, cap);
        if (n >= 0) {
            free(snap);
            return answer(c, MHD_HTTP_OK, om ? BF_METRICS_CONTENT_TYPE : BF_METRICS_CONTENT_TYPE_TEXT,
                          buf, (size_t)n, MHD_RESPMEM_MUST_FREE);
        }
        free(buf);
    }
    free(snap);
    return text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "the figures did not fit\n");
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    (void)version;
    (void)upload_data;
    (void)con_cls;
    struct bf_metrics_server *s = cls;
    if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
        return text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET\n");
    if (*upload_data_size != 0)
        return MHD_NO;
    if (strcmp(url, "/metrics") == 0)
        return serve_metrics(s, c);
    if (strcmp(url, "/healthz") == 0) {
        bf_time_us beat = atomic_load(&s->beat);
        bf_time_us age = bf_clock_monotonic(NULL) - beat;
        if (beat != 0 && age <= BF_METRICS_HEALTHY_S * BF_US_PER_S)
            return text(c, MHD_HTTP_OK, "ok\n");
        char msg[128];
        if (beat == 0)
            snprintf(msg, sizeof msg, "stalled: the engine loop has not turned yet\n");
        else
            snprintf(msg, sizeof msg, "stalled: the engine loop last turned %.1f s ago\n",
                     bf_time_to_s(age));
        return text(c, MHD_HTTP_SERVICE_UNAVAILABLE, msg);
    }
    if (strcmp(url, "/readyz") == 0) {
        const char *why = atomic_load(&s->why_not_ready);
        if (!why)
            return text(c, MHD_HTTP_OK, "ready\n");
        char msg[160];
        snprintf(msg, sizeof msg, "not ready: %s\n", why);
        return text(c, MHD_HTTP_SERVICE_UNAVAILABLE, msg);
    }
    return text(c, MHD_HTTP_NOT_FOUND, "not found: try /metrics, /healthz or /readyz\n");
}

int bf_metrics_server_start(const char *listen, struct bf_metrics_server **out, char *err,
                            size_t errlen)
{
    *out = NULL;
    char host[256], port_s[16];
    int port;
    if (!listen || bf_cot_parse_hostport(listen, host, sizeof host, &port) < 0) {
        snprintf(err, errlen, "metrics.listen: expected \"host:port\", got \"%s\"",
                 listen ? listen : "(null)");
        return BF_EINVAL;
    }
    snprintf(port_s, sizeof port_s, "%d", port);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    struct addrinfo *ai = NULL;
    int grc = getaddrinfo(host, port_s, &hints, &ai);
    if (grc != 0 || !ai) {
        snprintf(err, errlen, "metrics.listen %s: %s", listen, gai_strerror(grc));
        return BF_EINVAL;
    }
    struct bf_metrics_server *s = calloc(1, sizeof *s);
    if (!s) {
        freeaddrinfo(ai);
        snprintf(err, errlen, "out of memory");
        return BF_ENOMEM;
    }
    memcpy(&s->addr, ai->ai_addr, ai->ai_addrlen);
    bool v6 = ai->ai_family == AF_INET6;
    freeaddrinfo(ai);
    pthread_mutex_init(&s->mu, NULL);
    atomic_store(&s->why_not_ready, "starting");
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
    if (v6)
        flags |= MHD_USE_IPv6;
    s->d = MHD_start_daemon(flags, (uint16_t)port, NULL, NULL, on_request, s,
                            MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&s->addr,
                            MHD_OPTION_CONNECTION_LIMIT, (unsigned)16,
                            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10,
                            MHD_OPTION_END);
    if (!s->d) {
        snprintf(err, errlen, "metrics: cannot listen on %s (in use, or not an address of "
                 "this machine)", listen);
        pthread_mutex_destroy(&s->mu);
        free(s);
        return BF_EIO;
    }
    *out = s;
    return 0;
}

void bf_metrics_server_stop(struct bf_metrics_server *s)
{
    if (!s)
        return;
    MHD_stop_daemon(s->d);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

void bf_metrics_server_publish(struct bf_metrics_server *s, const struct bf_metrics_snapshot *snap)
{
    pthread_mutex_lock(&s->mu);
    s->snap = *snap;
    s->have_snap = true;
    pthread_mutex_unlock(&s->mu);
}

void bf_metrics_server_beat(struct bf_metrics_server *s, bf_time_us now_mono)
{
    atomic_store(&s->beat, now_mono);
}

void bf_metrics_server_set_ready(struct bf_metrics_server *s, const char *why_not)
{
    atomic_store(&s->why_not_ready, why_not);
}
