/*
 * engine_cot.c - the engine's CoT seam: the track picture, the delivered
 * alerts and our response units as Cursor-on-Target events for TAK
 * (docs/cot.md), over UDP and/or TCP (TLS optional: cot/cot_out.c).
 *
 * Live only (its back-off reads the clock): without MQTT, or with "cot"
 * off, there is no seam (e->cot NULL) and every call here is a no-op.
 * Everything is best effort, after the guaranteed paths: an event that
 * cannot be formatted is counted (format_errors in the status), one that
 * cannot be sent is counted by the output.  Engine thread only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/bf_error.h"
#include "core/bf_log.h"
#include "cot/cot.h"
#include "engine/engine_int.h"

/* The seam's own state. */
struct bf_eng_cot {
    struct bf_cot_out *out;          /* the UDP/TCP output */
    struct bf_cot_params params;     /* stale times, the alerts' type */
    char *buf;                       /* BF_COT_EVENT_MAX: one event being formatted */
    uint64_t format_errors;          /* events that could not be formatted */
};

/* The TLS key's password from the credentials file, the output opened, the password wiped. */
static int open_out(const struct bf_config *cfg, struct bf_cot_out **out, char *err, size_t len)
{
    struct bf_cot_out_options co = {
        .udp = cfg->cot.udp, .tcp = cfg->cot.tcp, .ttl = cfg->cot.ttl,
        .loopback = cfg->cot.loopback,
    };
    const struct bf_cot_tls_cfg *tc = &cfg->cot.tcp_tls;
    struct bf_mqtt_credentials cred = {0};
    struct bf_cot_tls tls = {
        .ca_file = tc->ca_file, .cert_file = tc->cert_file, .key_file = tc->key_file,
        .verify_hostname = tc->verify_hostname,
    };
    int rc = 0;
    if (tc->enabled && tc->credentials_path) {
        rc = bf_mqtt_credentials_read(tc->credentials_path, &cred, err, len);
        tls.key_password = cred.key_password;
    }
    co.tls = tc->enabled ? &tls : NULL;
    if (rc == 0)
        rc = bf_cot_out_create(&co, out, err, len);
    bf_mqtt_credentials_clear(&cred);
    return rc;
}

int bf_eng_cot_create(struct bf_engine *e)
{
    const struct bf_config *cfg = e->cfg;
    if (!cfg->cot.enabled || e->opt.no_mqtt)
        return 0;
    struct bf_eng_cot *c = calloc(1, sizeof *c);
    if (!c)
        return BF_ENOMEM;
    e->cot = c;
    bf_cot_params_default(&c->params);
    c->params.stale_s = cfg->cot.stale_s;
    c->params.alert_stale_s = e->alert_params.resolve_after_s;
    snprintf(c->params.alert_type, sizeof c->params.alert_type, "%s", cfg->cot.alert_type);
    char err[512] = "out of memory";
    c->buf = malloc(BF_COT_EVENT_MAX);
    int rc = c->buf ? open_out(cfg, &c->out, err, sizeof err) : BF_ENOMEM;
    if (rc < 0) {
        BF_LOGE(ENGINE_LOG, "cot: %s", err);
        return rc;
    }
    BF_LOGI(ENGINE_LOG, "CoT: udp %s, tcp %s%s", cfg->cot.udp ? cfg->cot.udp : "off",
            cfg->cot.tcp ? cfg->cot.tcp : "off", cfg->cot.tcp_tls.enabled ? " (TLS)" : "");
    return 0;
}

void bf_eng_cot_destroy(struct bf_engine *e)
{
    struct bf_eng_cot *c = e->cot;
    if (!c)
        return;
    bf_cot_out_destroy(c->out);
    free(c->buf);
    free(c);
    e->cot = NULL;
}

void bf_eng_cot_step(struct bf_eng_cot *c, bf_time_us now)
{
    if (c)
        bf_cot_out_poll(c->out, now);
}

/* One formatted event (n from a bf_cot_* formatter) out, or counted when it could not be. */
static void send_event(struct bf_eng_cot *c, int n, bf_time_us now)
{
    if (n > 0)
        bf_cot_out_send(c->out, c->buf, (size_t)n, now);
    else
        c->format_errors++;
}

void bf_eng_cot_alert(struct bf_engine *e, const struct bf_alert *a)
{
    struct bf_eng_cot *c = e->cot;
    if (!c || !e->cfg->cot.alerts || a->type == BF_ALERT_SYSTEM)
        return;
    int n = bf_cot_alert(a, e->cfg->site, bf_eng_sensor_ids(e), bf_eng_sensor_count(e),
                         &c->params, c->buf, BF_COT_EVENT_MAX);
    send_event(c, n, bf_clock_monotonic(NULL));
}

void bf_eng_cot_tracks(struct bf_engine *e, const struct bf_track *const *t, size_t n,
                       bf_time_us now)
{
    struct bf_eng_cot *c = e->cot;
    if (!c || !e->cfg->cot.tracks)
        return;
    for (size_t i = 0; i < n; i++) {
        if (t[i]->status != BF_TRACK_CONFIRMED && t[i]->status != BF_TRACK_COASTING)
            continue;
        if ((t[i]->flags & BF_DET_F_TEST) && e->cfg->engine.test_tracks == BF_TEST_TRACKS_OMIT)
            continue;   /* a radar test target: marked in the event, or left out (docs/cot.md) */
        int k = bf_cot_track(t[i], e->cfg->site, e->frame, bf_eng_sensor_ids(e),
                             bf_eng_sensor_count(e), &c->params, c->buf, BF_COT_EVENT_MAX);
        send_event(c, k, now);
    }
}

void bf_eng_cot_units(struct bf_engine *e, bf_time_us now)
{
    struct bf_eng_cot *c = e->cot;
    if (!c || !e->cfg->cot.units)
        return;
    const struct bf_dispatch_unit *u;
    size_t n = bf_eng_dispatch_units(e, &u);
    for (size_t i = 0; i < n; i++) {
        int k = bf_cot_unit(e->cfg->site, u[i].id, u[i].lat_deg, u[i].lon_deg, u[i].t_us,
                            &c->params, c->buf, BF_COT_EVENT_MAX);
        send_event(c, k, now);
    }
}

void bf_eng_cot_set_alert_stale(struct bf_eng_cot *c, double alert_stale_s)
{
    if (c)
        c->params.alert_stale_s = alert_stale_s;
}

void bf_eng_cot_status(const struct bf_eng_cot *c, cJSON *root)
{
    if (!c)
        return;
    struct bf_cot_out_stats cs;
    bf_cot_out_get_stats(c->out, &cs);
    cJSON *co = cJSON_AddObjectToObject(root, "cot");
    cJSON_AddNumberToObject(co, "udp_sent", (double)cs.udp_sent);
    cJSON_AddNumberToObject(co, "udp_dropped", (double)cs.udp_dropped);
    cJSON_AddBoolToObject(co, "tcp_connected", cs.tcp_connected);
    cJSON_AddNumberToObject(co, "tcp_sent", (double)cs.tcp_sent);
    cJSON_AddNumberToObject(co, "tcp_dropped", (double)cs.tcp_dropped);
    cJSON_AddNumberToObject(co, "tcp_connects", (double)cs.tcp_connects);
    cJSON_AddNumberToObject(co, "tcp_disconnects", (double)cs.tcp_disconnects);
    cJSON_AddNumberToObject(co, "tls_failures", (double)cs.tls_failures);
    cJSON_AddNumberToObject(co, "format_errors", (double)c->format_errors);
}
