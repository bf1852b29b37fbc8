/*
 * engine_alerts.c - the engine's alert seam: delivery of every alert change
 * the rules made (and enrichment filled in), and how long the journal keeps it.
 *
 * The flow is one way: rules (alerts/) -> enrichment (a pure step over the
 * dispatch seam's snapshot) -> this seam -> outputs.  bf_eng_publish_alert
 * is the alerter's sink: it appends the change to the journal
 * (delivery/journal.c), hands it to the outbox (which sends it, and again
 * until the broker confirmed it: delivery/outbox.c) or, without a journal,
 * publishes it once; then the log, the test taps, and the dispatch/CoT seam
 * (CoT, the cuer, the units' assignments: best effort, after the guaranteed
 * path).  Nothing here calls back into the rules while an alert is being
 * delivered.  Retention
 * (docs/retention.md) purges closed alerts older than retention_days from
 * the journal, and operator requests as old from the audit log, at start and
 * every hour.
 *
 * Alerts are not retained on alerts (each message is one change), so a
 * display that connects late would see an alert only at its next change.
 * The live snapshot fixes that: the sink keeps the latest JSON of every live
 * alert (NEW, UPDATED, ACKNOWLEDGED, LOST; a RESOLVED or FALSE_ALARM drops it), and
 * the engine publishes them together, retained, on alerts/live at most once
 * a second when something changed (and at start: empty, which also replaces
 * the snapshot a previous run left).  The snapshot is a convenience for
 * displays; the journal and alerts stay the record.
 *
 * Invariants of the live set (engine thread only):
 *  (1) n_live <= live_cap; live[0 .. n_live) hold distinct ids, each the
 *      latest change the sink saw of an alert whose state is live;
 *  (2) live_dirty is set whenever (1)'s set or one of its JSONs changed after
 *      the last snapshot was published.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "core/bf_error.h"
#include "core/bf_log.h"
#include "delivery/delivery.h"
#include "engine/engine_int.h"

/* The seam's own state: the journal and its health, retention's clock. */
struct eng_alerts {
    struct bf_journal *journal;         /* NULL: none (replays without --journal, tests) */
    uint64_t journal_errors;            /* appends that failed: published all the same */
    bf_time_us last_journal_retry;      /* a failing journal is retried about once a second */
    bool journal_failing;               /* the SYSTEM storage alert is live */
    bf_time_us last_purge_wall;         /* retention (docs/retention.md), monotonic */
};

#define LIVE_MAX 500                    /* alerts in one snapshot; the rest are counted */
#define LIVE_PERIOD_US BF_US_PER_S      /* at most one snapshot a second */

/* One live alert: its latest change, as published. */
struct live_alert {
    char id[BF_ALERT_ID_LEN];
    uint64_t seq;
    enum bf_severity severity;
    bf_time_us first_us;
    char *json;                         /* NUL-terminated, owned; cap bytes */
    size_t len, cap;
};

static void live_note(struct bf_engine *e, const struct bf_alert *a, const char *json,
                      size_t len);

/* ---- alerts out -------------------------------------------------------- */

static bool power_of_two(uint64_t n) { return n && !(n & (n - 1)); }

int bf_eng_publish_alert(void *ctx, const struct bf_alert *a, const char *json, size_t len)
{
    struct bf_engine *e = ctx;
    struct eng_alerts *s = e->alerts_seam;
    int rc = 0;
    if (s && s->journal && bf_journal_append(s->journal, json, len) < 0) {
        /* Published anyway: the operator must see an incursion even with a full
         * disk; the gap is counted in status and logged (docs/alerts.md). */
        s->journal_errors++;
        if (power_of_two(s->journal_errors))
            BF_LOGE("alerts", "journal append failed (%" PRIu64 " so far); alert %s seq %" PRIu64
                    " published without its journal line", s->journal_errors, a->id, a->seq);
    }
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
    if (e->live_on)
        live_note(e, a, json, len);
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
void bf_eng_purge(struct bf_engine *e, bf_time_us now_mono, unsigned what)
{
    struct eng_alerts *s = e->alerts_seam;
    s->last_purge_wall = now_mono;
    double days = e->alert_params.retention_days;
    if (!(days > 0))
        return;
    bf_time_us cutoff = bf_clock_realtime(NULL) - bf_time_from_s(days * 86400.0);
    struct bf_purge_stats ps;
    if ((what & ENGINE_PURGE_JOURNAL) && e->outbox &&
        bf_outbox_purge(e->outbox, s->journal, cutoff, alert_live, e->alerter, &ps) == 0 &&
        ps.lines_purged > 0)
        BF_LOGI(ENGINE_LOG, "retention: %llu journal lines older than %g days purged, %llu kept",
                (unsigned long long)ps.lines_purged, days, (unsigned long long)ps.lines_kept);
    if ((what & ENGINE_PURGE_AUDIT) && e->audit) {
        int rc = bf_audit_purge(e->audit, cutoff, &ps);
        if (rc < 0)
            BF_LOGW(ENGINE_LOG, "retention: the audit log could not be purged (%s); tried again "
                    "in an hour", bf_strerror(rc));
        else if (ps.lines_purged > 0)
            BF_LOGI(ENGINE_LOG, "retention: %llu audit log lines older than %g days purged, "
                    "%llu kept", (unsigned long long)ps.lines_purged, days,
                    (unsigned long long)ps.lines_kept);
    }
}

/* ---- the live snapshot (alerts/live) ---------------------------------------- */

static bool live_state(enum bf_alert_state st)
{
    return st == BF_ALERT_NEW || st == BF_ALERT_UPDATED || st == BF_ALERT_ACKNOWLEDGED ||
           st == BF_ALERT_LOST;   /* LOST stays on the map until resolved or reacquired */
}

/* The sink saw a change: keep its JSON while the alert is live, forget it when closed. */
static void live_note(struct bf_engine *e, const struct bf_alert *a, const char *json,
                      size_t len)
{
    size_t i = 0;
    while (i < e->n_live && strcmp(e->live[i].id, a->id) != 0)
        i++;
    if (!live_state(a->state)) {
        if (i < e->n_live) {   /* swap the last one in; the order is made per snapshot */
            struct live_alert gone = e->live[i];
            e->live[i] = e->live[--e->n_live];
            e->live[e->n_live] = gone;   /* keeps its buffer for the next alert */
            e->live_dirty = true;
        }
        return;
    }
    if (i == e->n_live && e->n_live == e->live_cap) {
        size_t cap = e->live_cap ? 2 * e->live_cap : 64;
        struct live_alert *v = realloc(e->live, cap * sizeof *v);
        if (v)
            e->live = v;
        const struct live_alert **o = v ? realloc(e->live_order, cap * sizeof *o) : NULL;
        if (o)
            e->live_order = o;
        if (!v || !o)
            goto out_nomem;
        memset(v + e->live_cap, 0, (cap - e->live_cap) * sizeof *v);
        e->live_cap = cap;
    }
    struct live_alert *l = &e->live[i];
    if (len + 1 > l->cap) {
        size_t cap = len + 1 > 2 * l->cap ? len + 1 : 2 * l->cap;
        char *j = realloc(l->json, cap);
        if (!j)
            goto out_nomem;
        l->json = j;
        l->cap = cap;
    }
    memcpy(l->json, json, len);
    l->json[len] = '\0';
    l->len = len;
    snprintf(l->id, sizeof l->id, "%s", a->id);
    l->seq = a->seq;
    l->severity = a->severity;
    l->first_us = a->first_us;
    if (i == e->n_live)
        e->n_live++;
    e->live_dirty = true;
    return;

out_nomem:
    if (e->live_nomem++ == 0)
        BF_LOGE(ENGINE_LOG, "out of memory: alert %s is missing from %s (the alert itself is "
                "journaled and published)", a->id, e->topic_live);
}

/* The snapshot's order: most severe first, then the oldest, then by id (a total order). */
static int live_cmp(const void *pa, const void *pb)
{
    const struct live_alert *a = *(const struct live_alert *const *)pa;
    const struct live_alert *b = *(const struct live_alert *const *)pb;
    if (a->severity != b->severity)
        return a->severity > b->severity ? -1 : 1;
    if (a->first_us != b->first_us)
        return a->first_us < b->first_us ? -1 : 1;
    return strcmp(a->id, b->id);
}

void bf_eng_live_open(struct bf_engine *e)
{
    snprintf(e->topic_live, sizeof e->topic_live, "borderfuse/%s/alerts/live", e->cfg->site);
    e->live_on = true;
    bf_eng_live_publish(e, bf_clock_monotonic(NULL), true);
}

/*
 * {"site", "time" (wall), "seq" (the highest seq included, 0 when none),
 *  "alerts": [the alerts' JSON, verbatim, in live_cmp order], "left_out": n}
 */
void bf_eng_live_publish(struct bf_engine *e, bf_time_us now_mono, bool force)
{
    if (!e->live_on || !e->mqtt_out || (!force && (!e->live_dirty ||
                                                  now_mono - e->live_wall < LIVE_PERIOD_US)))
        return;
    e->live_wall = now_mono;
    size_t n = e->n_live < LIVE_MAX ? e->n_live : LIVE_MAX;
    for (size_t i = 0; i < e->n_live; i++)
        e->live_order[i] = &e->live[i];
    if (e->n_live > 1)
        qsort(e->live_order, e->n_live, sizeof *e->live_order, live_cmp);
    uint64_t seq = 0;
    size_t need = 1024;   /* the head and the tail */
    for (size_t i = 0; i < n; i++) {
        need += e->live_order[i]->len + 1;
        if (e->live_order[i]->seq > seq)
            seq = e->live_order[i]->seq;
    }
    /* the head through cJSON: the site is written as JSON wants it */
    char ts[BF_TIME_ISO_LEN];
    bf_time_format_iso(bf_clock_realtime(NULL), ts, sizeof ts);
    cJSON *head = cJSON_CreateObject();
    cJSON_AddStringToObject(head, "site", e->cfg->site);
    cJSON_AddStringToObject(head, "time", ts);
    cJSON_AddNumberToObject(head, "seq", (double)seq);
    char *htxt = cJSON_PrintUnformatted(head);
    cJSON_Delete(head);
    size_t hlen = htxt ? strlen(htxt) : 0;
    need += hlen;
    if (htxt && need > e->live_buf_cap) {
        char *b = realloc(e->live_buf, need);
        if (b) {
            e->live_buf = b;
            e->live_buf_cap = need;
        }
    }
    if (!htxt || need > e->live_buf_cap) {
        free(htxt);
        if (e->live_nomem++ == 0)
            BF_LOGE(ENGINE_LOG, "out of memory: %s not published", e->topic_live);
        return;   /* still dirty: tried again in a second */
    }
    char *p = e->live_buf;
    memcpy(p, htxt, hlen - 1);   /* without its closing brace */
    p += hlen - 1;
    free(htxt);
    p += sprintf(p, ",\"alerts\":[");
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            *p++ = ',';
        memcpy(p, e->live_order[i]->json, e->live_order[i]->len);
        p += e->live_order[i]->len;
    }
    p += sprintf(p, "],\"left_out\":%zu}", e->n_live - n);
    int rc = bf_mqtt_publish(e->mqtt_out, e->topic_live, e->live_buf, (size_t)(p - e->live_buf),
                             1, true);
    if (rc < 0) {
        uint64_t f = ++e->live_failed;
        if ((f & (f - 1)) == 0)   /* the 1st, 2nd, 4th, ... failure */
            BF_LOGW(ENGINE_LOG, "%s not published (%s; %" PRIu64 " so far): sent again in a "
                    "second", e->topic_live, bf_strerror(rc), f);
        return;   /* still dirty */
    }
    e->live_published++;
    e->live_dirty = false;
    uint64_t k = n < e->n_live ? ++e->live_truncated : 0;
    if (k > 0 && (k & (k - 1)) == 0)   /* the 1st, 2nd, 4th, ... cut snapshot */
        BF_LOGW(ENGINE_LOG, "%s holds the first %d of %zu live alerts (\"left_out\": %zu)",
                e->topic_live, LIVE_MAX, e->n_live, e->n_live - n);
}

void bf_eng_live_close(struct bf_engine *e)
{
    for (size_t i = 0; i < e->live_cap; i++)
        free(e->live[i].json);
    free(e->live);
    free(e->live_order);
    free(e->live_buf);
    e->live = NULL;
    e->live_order = NULL;
    e->live_buf = NULL;
    e->n_live = e->live_cap = e->live_buf_cap = 0;
    e->live_on = false;
}

/* The journal's health to the SYSTEM storage alert, about once a second a retry. */
static void watch_journal(struct bf_engine *e, struct eng_alerts *s, bf_time_us now_mono)
{
    bool retry = now_mono - s->last_journal_retry >= BF_US_PER_S;
    if (retry)
        s->last_journal_retry = now_mono;
    /* event time: the latest released, as for a silent sensor; today's clock before any */
    bf_time_us t = bf_reorder_released(e->reorder);
    if (t == BF_TIME_NONE)
        t = bf_clock_realtime(NULL);
    s->journal_failing = bf_journal_watch(s->journal, e->alerter, t, retry) > 0;
}

/* ---- the seam: create, step, destroy ------------------------------------------------ */

int bf_eng_alerts_create(struct bf_engine *e)
{
    struct eng_alerts *s = calloc(1, sizeof *s);
    if (!s)
        return BF_ENOMEM;
    e->alerts_seam = s;
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
    rc = bf_outbox_open(path, e->alert_params.resend_window_s, &e->outbox);
    if (rc < 0) {
        BF_LOGE(ENGINE_LOG, "alerts: cannot open the outbox over %s (%s)", path, bf_strerror(rc));
        return rc;
    }
    bf_eng_purge(e, bf_clock_monotonic(NULL), ENGINE_PURGE_JOURNAL);
    return 0;
}

void bf_eng_alerts_step(struct bf_engine *e, bf_time_us now_mono, bool live)
{
    struct eng_alerts *s = e->alerts_seam;
    if (live)
        watch_journal(e, s, now_mono);
    if (e->outbox)
        bf_outbox_pump(e->outbox, now_mono);
    if ((e->outbox || e->audit) && now_mono - s->last_purge_wall >= 3600 * BF_US_PER_S)
        bf_eng_purge(e, now_mono, ENGINE_PURGE_JOURNAL | ENGINE_PURGE_AUDIT);
}

bool bf_eng_alerts_journal(const struct bf_engine *e, struct bf_journal_stats *js, bool *failing,
                           uint64_t *append_errors)
{
    const struct eng_alerts *s = e->alerts_seam;
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
    struct eng_alerts *s = e->alerts_seam;
    if (!s)
        return;
    bf_journal_close(s->journal);   /* after the alerter: nothing is appended any more */
    free(s);
    e->alerts_seam = NULL;
}
