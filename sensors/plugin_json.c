/*
 * plugin_json.c - the "json" sensor plugin: detections as JSON over MQTT.
 *
 * Any sensor or analytics box that can publish JSON feeds borderfuse through
 * this plugin: it subscribes to borderfuse/<site>/sensors/<id>/detections on
 * the engine's ingest connection, decodes each message with the pure codec
 * (detjson.c) and hands the detections to the engine.  A malformed message is
 * refused whole, counted by kind for the sensor and logged once per kind by
 * the host; nothing else is lost.
 *
 * Options ("options" in the sensor's config): none; an options object with
 * any key is refused at open (sensors/options.h) so a typo is not silently
 * ignored.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/bf_error.h"
#include "core/bf_log.h"
#include "geo/geo.h"
#include "sensors/options.h"
#include "sensors/sensor.h"
#include "sensors/sensors_int.h"

struct json_state {
    struct bf_sensor_host *host;
    struct bf_detjson_ctx ctx;
    struct bf_geo_frame *frame;      /* our own clone: used on Paho's thread */
    uint32_t seq;
    char id[65];
    struct bf_detection *buf;        /* BF_DETJSON_MAX_BATCH, allocated at open */
};

static void json_on_message(void *state, const char *topic, const void *payload, size_t len)
{
    (void)topic;
    struct json_state *s = state;
    struct bf_detjson_error err;
    int n = bf_detjson_decode(&s->ctx, payload, len, s->seq, s->buf, BF_DETJSON_MAX_BATCH, &err);
    if (n < 0) {
        bf_sensor_fault(s->host, s->ctx.sensor_idx, err.kind, err.detail);
        return;
    }
    s->seq += (uint32_t)n;
    bf_time_us rx = bf_clock_realtime(NULL);   /* receipt stamp: latency only */
    bf_time_us last = BF_TIME_NONE;
    for (int i = 0; i < n; i++) {
        s->buf[i].rx_us = rx;
        if (s->buf[i].t_us > last)
            last = s->buf[i].t_us;
        bf_sensor_emit(s->host, &s->buf[i]);   /* BF_EFULL is counted by the host */
    }
    bf_sensor_good(s->host, s->ctx.sensor_idx, last);
}

static int json_open(void *state, const struct bf_sensor_config *cfg, struct bf_sensor_host *host)
{
    struct json_state *s = state;
    static const struct bf_sensor_opts no_options = {"json", "docs/detections.md", NULL, 0};
    if (bf_sensor_opts_read(cfg, &no_options, NULL) < 0)
        return BF_EINVAL;
    s->host = host;
    snprintf(s->id, sizeof s->id, "%s", cfg->id);
    int rc = bf_geo_frame_clone(cfg->frame, &s->frame);
    if (rc < 0)
        return rc;
    s->buf = calloc(BF_DETJSON_MAX_BATCH, sizeof *s->buf);
    if (!s->buf) {
        rc = BF_ENOMEM;
        goto out_frame;
    }
    double gamma = 0;
    rc = bf_geo_convergence(s->frame, cfg->lat_deg, cfg->lon_deg, &gamma);
    if (rc < 0)
        goto out_buf;
    s->ctx = (struct bf_detjson_ctx){
        .sensor_id = s->id,
        .sensor_idx = cfg->index,
        .sensor_lat_deg = cfg->lat_deg,
        .sensor_lon_deg = cfg->lon_deg,
        .sensor_e_m = cfg->e_m,
        .sensor_n_m = cfg->n_m,
        .convergence_rad = gamma,
        .sigma_m = cfg->sigma_m,
        .sigma_range_m = cfg->sigma_range_m,
        .sigma_bearing_deg = cfg->sigma_bearing_deg,
        .sensor_height_m = cfg->height_m,
        .frame = s->frame,
    };
    char topic[256];
    snprintf(topic, sizeof topic, "borderfuse/%s/sensors/%s/detections", cfg->site, cfg->id);
    rc = bf_sensor_subscribe(host, topic, json_on_message, s);
    if (rc < 0)
        goto out_buf;
    BF_LOGI("sensor", "%s: listening for JSON detections on %s", cfg->id, topic);
    return 0;

out_buf:
    free(s->buf);
    s->buf = NULL;
out_frame:
    bf_geo_frame_destroy(s->frame);
    s->frame = NULL;
    return rc;
}

static void json_close(void *state)
{
    struct json_state *s = state;
    free(s->buf);
    s->buf = NULL;
    bf_geo_frame_destroy(s->frame);
    s->frame = NULL;
}

const struct bf_sensor_ops bf_sensor_json_ops = {
    .abi_version = BF_SENSOR_ABI,
    .name = "json",
    .summary = "detections as JSON over MQTT on borderfuse/<site>/sensors/<id>/detections",
    .state_size = sizeof(struct json_state),
    .open = json_open,
    .close = json_close,
};
