/*
 * engine_alerts.c - the engine's alert side: what happens to an alert change
 * once the alerter has journaled it, and how long the journal keeps it.
 *
 * bf_eng_publish_alert is the alerter's sink: it hands the change to the
 * outbox (which sends it, and again until the broker confirmed it:
 * alerts/outbox.c) or, without a journal, publishes it once; then the log,
 * the test taps and CoT (best effort, after the guaranteed path).  Retention
 * (docs/retention.md) purges closed alerts older than retention_days from
 * the journal, and operator requests as old from the audit log, at start and
 * every hour.
 *
 * Every change also goes to the live snapshot (engine_live.c).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "core/bf_error.h"
#include "core/bf_log.h"
#include "engine/engine_int.h"

/* ---- alerts out -------------------------------------------------------- */

int bf_eng_publish_alert(void *ctx, const struct bf_alert *a, const char *json, size_t len)
{
    struct bf_engine *e = ctx;
    int rc = 0;
    if (e->outbox && bf_outbox_put(e->outbox, a->seq, json, len) == 0) {
        /* the outbox sends it, and again until the broker confirmed it */
    } else if (e->mqtt_out) {
        rc = bf_mqtt_publish(e->mqtt_out, e->topic_alerts, json, len, 1, false);
        if (rc < 0) {
            e->alerts_publish_failed++;
            BF_LOGE(ENGINE_LOG, "alert %s seq %llu not published (%s); it is in the journal",
                    a->id, (unsigned long long)a->seq, bf_strerror(rc));
        }
    }
    if (rc == 0)
        e->alerts_published++;
    char when[BF_TIME_ISO_LEN];
    bf_time_format_iso(a->last_us, when, sizeof when);
    BF_LOGI("alert", "%s %s %s track %u zone %s at %.5f,%.5f conf %.0f%% (%s)%s",
            bf_alert_state_name(a->state), bf_alert_type_name(a->type),
            bf_severity_name(a->severity), a->track_id, a->zone_id[0] ? a->zone_id : "-",
            a->lat_deg, a->lon_deg, a->confidence * 100.0, when, a->exercise ? " EXERCISE" : "");
    bf_eng_live_note(e->live, a, json, len);   /* the live snapshot; NULL: not kept */
    bf_eng_service_alert(e, a);   /* metrics: changes by type and state, live alerts */
    if (e->opt.alert_tap)
        e->opt.alert_tap->publish(e->opt.alert_tap->ctx, a, json, len);
    if (e->cot && e->cfg->cot.alerts && a->type != BF_ALERT_SYSTEM) {   /* best effort, after the
                                                                        * guaranteed path */
        int n = bf_cot_alert(a, e->cfg->site, e->sensor_ids, e->cfg->n_sensors, &e->cot_params,
                             e->cot_buf, BF_COT_EVENT_MAX);
        if (n > 0)
            bf_cot_out_send(e->cot, e->cot_buf, (size_t)n, bf_clock_monotonic(NULL));
        else
            e->cot_format_errors++;
    }
    return rc;
}

/*
 * Retention (docs/retention.md): closed alerts older than retention_days leave
 * the journal, and operator requests older than that the audit log (what says
 * which of the two, each only when it is open), with one cutoff.
 */
void bf_eng_purge(struct bf_engine *e, unsigned what)
{
    double days = e->alert_params.retention_days;
    if (!(days > 0))
        return;
    bf_time_us cutoff = bf_clock_realtime(NULL) - bf_time_from_s(days * 86400.0);
    struct bf_purge_stats ps;
    if ((what & ENGINE_PURGE_JOURNAL) && e->outbox &&
        bf_outbox_purge(e->outbox, e->alerter, cutoff, &ps) == 0 && ps.lines_purged > 0)
        BF_LOGI(ENGINE_LOG, "retention: %llu journal lines older than %g days purged, %llu kept",
                (unsigned long long)ps.lines_purged, days, (unsigned long long)ps.lines_kept);
    struct bf_audit *audit = bf_eng_operators_audit(e->operators);
    if ((what & ENGINE_PURGE_AUDIT) && audit) {
        int rc = bf_audit_purge(audit, cutoff, &ps);
        if (rc < 0)
            BF_LOGW(ENGINE_LOG, "retention: the audit log could not be purged (%s); tried again "
                    "in an hour", bf_strerror(rc));
        else if (ps.lines_purged > 0)
            BF_LOGI(ENGINE_LOG, "retention: %llu audit log lines older than %g days purged, "
                    "%llu kept", (unsigned long long)ps.lines_purged, days,
                    (unsigned long long)ps.lines_kept);
    }
}

void bf_eng_watch_journal(struct bf_engine *e, bool retry)
{
    /* event time: the latest released, as for a silent sensor; today's clock before any */
    bf_time_us t = bf_reorder_released(e->reorder);
    if (t == BF_TIME_NONE)
        t = bf_clock_realtime(NULL);
    e->journal_failing = bf_alerter_journal_watch(e->alerter, t, retry) > 0;
}
