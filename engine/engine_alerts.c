/*
 * engine_alerts.c - the engine's alert seam: delivery of every alert change
 * the rules made (and enrichment filled in), and how long the journal keeps it.
 *
 * The flow is one way: rules (alerts/) -> enrichment (a pure step over the
 * dispatch seam's snapshot) -> this seam -> outputs.  bf_eng_publish_alert
 * is the alerter's sink: it appends the change to the journal
 * (delivery/journal.c), hands it to the outbox (which sends it, and again
 * until the broker confirmed it: delivery/outbox.c) or, without a journal,
 * publishes it once; then the log, the test taps, and the dispatch seam
 * (CoT through the CoT seam, the cuer, the units' assignments: best effort,
 * after the guaranteed path).  The outbox is this seam's: the engine reaches
 * it only through the functions below (the output connection's callbacks,
 * the drain at a stop, the status's figures).  Nothing here calls back into the rules while an alert is being
 * delivered.  Retention
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


#include "core/bf_error.h"
#include "core/bf_log.h"
#include "delivery/delivery.h"
#include "engine/engine_int.h"

/* The seam's own state: the journal and its health, the outbox over it. */
struct bf_eng_alerts {
    struct bf_journal *journal;         /* NULL: none (replays without --journal, tests) */
    struct bf_outbox *outbox;           /* alerts never lost (docs/alerts.md); NULL: no journal
                                         * or no MQTT */
    char topic[160];                    /* borderfuse/<site>/alerts */
    uint64_t journal_errors;            /* appends that failed: published all the same */
    bool journal_failing;               /* the SYSTEM storage alert is live */
};

/* ---- alerts out -------------------------------------------------------- */

static bool power_of_two(uint64_t n) { return n && !(n & (n - 1)); }

int bf_eng_publish_alert(void *ctx, const struct bf_alert *a, const char *json, size_t len)
{
    struct bf_engine *e = ctx;
    struct bf_eng_alerts *s = e->alerts_seam;
    int rc = 0;
    if (s && s->journal && bf_journal_append(s->journal, json, len) < 0) {
        /* Published anyway: the operator must see an incursion even with a full
         * disk; the gap is counted in status and logged (docs/alerts.md). */
        s->journal_errors++;
        if (power_of_two(s->journal_errors))
            BF_LOGE("alerts", "journal append failed (%" PRIu64 " so far); alert %s seq %" PRIu64
                    " published without its journal line", s->journal_errors, a->id, a->seq);
    }
    if (s && s->outbox && bf_outbox_put(s->outbox, a->seq, json, len) == 0) {
        /* the outbox sends it, and again until the broker confirmed it */
    } else if (e->mqtt_out && s) {
        rc = bf_mqtt_publish(e->mqtt_out, s->topic, json, len, 1, false);
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
    bf_eng_dispatch_delivered(e, a);   /* CoT, the cuer, assignments: after the guaranteed path */
    return rc;
}

static bool alert_live(void *ctx, const char *alert_id)
{
    return bf_alerter_is_live(ctx, alert_id);   /* the alerter's public view */
}

/*
 * Retention (docs/retention.md): closed alerts older than retention_days leave
 * the journal, and operator requests older than that the audit log (what says
 * which of the two, each only when it is open), with one cutoff.
 */
void bf_eng_purge(struct bf_engine *e, unsigned what)
{
    struct bf_eng_alerts *s = e->alerts_seam;
    double days = e->alert_params.retention_days;
    if (!(days > 0))
        return;
    bf_time_us cutoff = bf_clock_realtime(NULL) - bf_time_from_s(days * 86400.0);
    struct bf_purge_stats ps;
    if ((what & ENGINE_PURGE_JOURNAL) && s->outbox &&
        bf_outbox_purge(s->outbox, s->journal, cutoff, alert_live, e->alerter, &ps) == 0 &&
        ps.lines_purged > 0)
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

/*
 * The journal's health to the SYSTEM storage alert; with retry (the engine's
 * "journal retry" task, once a second) a failing journal is tried again first.
 */
void bf_eng_alerts_watch_journal(struct bf_engine *e, bool retry)
{
    struct bf_eng_alerts *s = e->alerts_seam;
    if (!s)
        return;
    /* event time: the latest released, as for a silent sensor; today's clock before any */
    bf_time_us t = bf_reorder_released(e->reorder);
    if (t == BF_TIME_NONE)
        t = bf_clock_realtime(NULL);
    s->journal_failing = bf_journal_watch(s->journal, e->alerter, t, retry) > 0;
}

/* ---- the seam: create, step, destroy ------------------------------------------------ */

int bf_eng_alerts_create(struct bf_engine *e)
{
    struct bf_eng_alerts *s = calloc(1, sizeof *s);
    if (!s)
        return BF_ENOMEM;
    e->alerts_seam = s;
    snprintf(s->topic, sizeof s->topic, "borderfuse/%s/alerts", e->cfg->site);
    const char *path = e->alert_params.journal_path;
    if (!path)
        return 0;
    uint64_t last = 0;
    int rc = bf_journal_open(path, e->alert_params.journal_fsync, &last, &s->journal);
    if (rc < 0) {
        BF_LOGE(ENGINE_LOG, "alerts: cannot open the journal %s (%s)", path, bf_strerror(rc));
        return rc;
    }
    bf_alerter_continue_after(e->alerter, last);
    BF_LOGI("alerts", "journal %s: continuing after seq %" PRIu64, path, last);
    if (e->opt.no_mqtt)
        return 0;
    /* the outbox over the journal: it alone keeps what the broker has not confirmed */
    rc = bf_outbox_open(path, e->alert_params.resend_window_s, &s->outbox);
    if (rc < 0) {
        BF_LOGE(ENGINE_LOG, "alerts: cannot open the outbox over %s (%s)", path, bf_strerror(rc));
        return rc;
    }
    bf_eng_purge(e, ENGINE_PURGE_JOURNAL);
    return 0;
}

void bf_eng_alerts_step(struct bf_engine *e, bf_time_us now_mono, bool live)
{
    struct bf_eng_alerts *s = e->alerts_seam;
    if (live)
        bf_eng_alerts_watch_journal(e, false);
    if (s && s->outbox)
        bf_outbox_pump(s->outbox, now_mono);
}

void bf_eng_alerts_mqtt_options(const struct bf_engine *e, struct bf_mqtt_options *o)
{
    const struct bf_eng_alerts *s = e->alerts_seam;
    if (!s || !s->outbox)
        return;
    /* clean session kept: Paho 1.3.12 resending its own in-flight messages
     * of a persistent session after a reconnect reads freed memory (ASan,
     * tests/integration/test_noloss.c); the outbox resends them anyway.
     * No Paho file persistence: the journal is the outbox, and Paho's files
     * on a full disk crashed the engine (docs/alerts.md, Delivery) */
    o->clean_session = true;
    o->persist_dir = NULL;
    o->on_connection = bf_outbox_on_connection;
    o->on_acked = bf_outbox_on_acked;
    o->ctx = s->outbox;
}

void bf_eng_alerts_attach(struct bf_engine *e, struct bf_mqtt *out)
{
    struct bf_eng_alerts *s = e->alerts_seam;
    if (s && s->outbox)
        bf_outbox_attach(s->outbox, out, s->topic);
}

void bf_eng_alerts_drain(struct bf_engine *e, bool up)
{
    struct bf_eng_alerts *s = e->alerts_seam;
    if (!s || !s->outbox)
        return;
    struct bf_outbox_stats os;
    bf_outbox_get_stats(s->outbox, &os);
    if (up ? bf_outbox_drain(s->outbox, 2000) < 0 : os.backlog > 0)
        BF_LOGW(ENGINE_LOG, "stopping with alerts not yet confirmed by the broker; they are "
                "sent again on the next start");
}

void bf_eng_alerts_close_outbox(struct bf_engine *e)
{
    struct bf_eng_alerts *s = e->alerts_seam;
    if (!s)
        return;
    bf_outbox_close(s->outbox);
    s->outbox = NULL;
}

bool bf_eng_alerts_outbox(const struct bf_engine *e, struct bf_outbox_stats *os)
{
    const struct bf_eng_alerts *s = e->alerts_seam;
    if (!s || !s->outbox)
        return false;
    if (os)
        bf_outbox_get_stats(s->outbox, os);
    return true;
}

bool bf_eng_alerts_journal(const struct bf_engine *e, struct bf_journal_stats *js, bool *failing,
                           uint64_t *append_errors)
{
    const struct bf_eng_alerts *s = e->alerts_seam;
    memset(js, 0, sizeof *js);
    *failing = s && s->journal_failing;
    *append_errors = s ? s->journal_errors : 0;
    if (!s || !s->journal)
        return false;
    bf_journal_get_stats(s->journal, js);
    return true;
}

void bf_eng_alerts_destroy(struct bf_engine *e)
{
    struct bf_eng_alerts *s = e->alerts_seam;
    if (!s)
        return;
    bf_outbox_close(s->outbox);     /* closed already unless the engine never went live */
    bf_journal_close(s->journal);   /* after the alerter: nothing is appended any more */
    free(s);
    e->alerts_seam = NULL;
}
