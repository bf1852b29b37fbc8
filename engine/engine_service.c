/*
 * engine_service.c - the engine as a service: systemd notifications and the
 * figures the monitoring endpoint shows.
 *
 * Under systemd (Type=notify, docs/deploy.md) the engine says READY=1 only
 * when it can do its job - the broker connected and every sensor plugin
 * running - so `systemctl start` returns when the site is watched, not when
 * the process exists; it sends WATCHDOG=1 from the loop (only when systemd
 * asked for it: WATCHDOG_USEC, the engine's "watchdog" task), so a loop stuck in a plugin or a disk gets
 * the process restarted; and STATUS= lines say what it is doing.  Outside
 * systemd every sd_notify() is a no-op.
 *
 * For the monitoring endpoint (engine/metrics.c) the engine thread gathers
 * its counters into a snapshot once a second (the engine's "metrics
 * snapshot" task, engine/timers.h) and hands a copy to the HTTP
 * thread, which never reads engine state.  Two figures are kept here because
 * no other part of the engine has them: the alert changes by type and state,
 * with the live alerts (an id table: an alert leaves it when resolved or
 * marked a false alarm), and the time each scan took (a histogram).
 *
 * Everything runs on the engine thread, and only in a live engine (with
 * MQTT): replays and tests read no clock and have no service.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <systemd/sd-daemon.h>

#include "core/bf_error.h"
#include "core/bf_log.h"
#include "engine/engine_int.h"
#include "engine/metrics.h"

#define LIVE_TABLE_MIN 4096

struct live_slot {
    char id[BF_ALERT_ID_LEN];   /* "" when free */
    uint8_t type, state;
};

struct bf_eng_service {
    struct bf_metrics_server *http;   /* NULL: no metrics section */
    uint64_t watchdog_us;             /* 0: systemd asked for no watchdog */
    bf_time_us started;               /* monotonic, at open */
    bool ready;                       /* READY=1 sent */
    const char *why_not;              /* the last readiness reason given to the server */
    char status[256];                 /* the last STATUS= sent */
    uint64_t changes[BF_METRICS_ALERT_TYPES][BF_METRICS_ALERT_STATES];
    uint32_t live[BF_METRICS_ALERT_TYPES][BF_METRICS_ALERT_STATES];
    struct live_slot *table;          /* open addressing, cap a power of two */
    size_t cap, used;
    uint64_t table_full;              /* live alerts the table could not hold (not counted) */
    uint64_t buckets[BF_METRICS_LATENCY_BUCKETS + 1];
    uint64_t scans_timed;
    double scan_sum_s;
    struct bf_metrics_snapshot snap;  /* built here, copied to the server */
};

int bf_eng_service_create(struct bf_engine *e)
{
    if (e->opt.no_mqtt)
        return 0;
    struct bf_eng_service *sv = calloc(1, sizeof *sv);
    if (!sv)
        return BF_ENOMEM;
    sv->cap = LIVE_TABLE_MIN;
    while (sv->cap < 4 * (size_t)e->cfg->tracker.max_tracks)
        sv->cap *= 2;
    sv->table = calloc(sv->cap, sizeof *sv->table);
    if (!sv->table) {
        free(sv);
        return BF_ENOMEM;
    }
    sv->why_not = "starting";
    sv->started = bf_clock_monotonic(NULL);
    e->service = sv;
    uint64_t usec = 0;
    if (sd_watchdog_enabled(0, &usec) > 0) {
        sv->watchdog_us = usec;
        BF_LOGI(ENGINE_LOG, "systemd watchdog: %.1f s", (double)usec / 1e6);
    }
    if (e->cfg->metrics.enabled) {
        char err[256];
        int rc = bf_metrics_server_start(e->cfg->metrics.listen, &sv->http, err, sizeof err);
        if (rc < 0) {
            BF_LOGE(ENGINE_LOG, "%s", err);
            return rc;
        }
        BF_LOGI(ENGINE_LOG, "metrics on http://%s/metrics (and /healthz, /readyz)",
                e->cfg->metrics.listen);
    }
    sd_notify(0, "STATUS=connecting to the broker");
    return 0;
}

void bf_eng_service_destroy(struct bf_engine *e)
{
    struct bf_eng_service *sv = e->service;
    if (!sv)
        return;
    sd_notify(0, "STOPPING=1\nSTATUS=stopping: delivering what the broker has not confirmed");
    bf_metrics_server_stop(sv->http);
    free(sv->table);
    free(sv);
    e->service = NULL;
}

bf_time_us bf_eng_service_now(const struct bf_engine *e)
{
    return e->service ? bf_clock_monotonic(NULL) : 0;
}

void bf_eng_service_scan(struct bf_engine *e, bf_time_us t0_mono)
{
    struct bf_eng_service *sv = e->service;
    if (!sv)
        return;
    double s = bf_time_to_s(bf_clock_monotonic(NULL) - t0_mono);
    int b = 0;
    while (b < BF_METRICS_LATENCY_BUCKETS && s > bf_metrics_latency_bounds_s[b])
        b++;
    sv->buckets[b]++;
    sv->scans_timed++;
    sv->scan_sum_s += s;
}

/* ---- live alerts by type and state ------------------------------------------ */

static size_t slot_of(const struct bf_eng_service *sv, const char *id)
{
    uint64_t h = 1469598103934665603ull;   /* FNV-1a */
    for (const char *p = id; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ull;
    return (size_t)h & (sv->cap - 1);
}

static struct live_slot *live_find(struct bf_eng_service *sv, const char *id, bool *found)
{
    size_t i = slot_of(sv, id);
    for (size_t k = 0; k < sv->cap; k++, i = (i + 1) & (sv->cap - 1)) {
        if (sv->table[i].id[0] == '\0') {
            *found = false;
            return &sv->table[i];
        }
        if (strcmp(sv->table[i].id, id) == 0) {
            *found = true;
            return &sv->table[i];
        }
    }
    *found = false;
    return NULL;
}

/* Remove a slot, shifting back the entries after it that probed past it. */
static void live_remove(struct bf_eng_service *sv, struct live_slot *slot)
{
    size_t hole = (size_t)(slot - sv->table);
    size_t i = hole;
    for (;;) {
        i = (i + 1) & (sv->cap - 1);
        if (sv->table[i].id[0] == '\0')
            break;
        size_t home = slot_of(sv, sv->table[i].id);
        /* can the entry at i move to the hole? only if home is not in (hole, i] */
        bool between = hole <= i ? (home > hole && home <= i) : (home > hole || home <= i);
        if (!between) {
            sv->table[hole] = sv->table[i];
            hole = i;
        }
    }
    sv->table[hole].id[0] = '\0';
    sv->used--;
}

void bf_eng_service_alert(struct bf_engine *e, const struct bf_alert *a)
{
    struct bf_eng_service *sv = e->service;
    if (!sv || a->type <= 0 || a->type >= BF_METRICS_ALERT_TYPES || a->state <= 0 ||
        a->state >= BF_METRICS_ALERT_STATES)
        return;
    sv->changes[a->type][a->state]++;
    bool closed = a->state == BF_ALERT_RESOLVED || a->state == BF_ALERT_FALSE_ALARM;
    bool found;
    struct live_slot *s = live_find(sv, a->id, &found);
    if (found) {
        sv->live[s->type][s->state]--;
        if (closed) {
            live_remove(sv, s);
            return;
        }
    } else if (closed) {
        return;
    } else if (!s || sv->used + 1 >= sv->cap) {
        sv->table_full++;
        return;
    } else {
        snprintf(s->id, sizeof s->id, "%s", a->id);
        sv->used++;
    }
    s->type = (uint8_t)a->type;
    s->state = (uint8_t)a->state;
    sv->live[s->type][s->state]++;
}

/* ---- the loop's turn ---------------------------------------------------------- */

/* Why the engine is not ready (NULL: it is): broker, then sensors. */
static const char *not_ready(const struct bf_engine *e, bool in, bool out)
{
    if (!in || !out)
        return "the broker is not connected";
    for (size_t i = 0; i < bf_eng_sensor_count(e); i++)
        if (bf_eng_sensor(e, i) && !bf_eng_sensor(e, i)->open)
            return "a sensor plugin is not running";
    return NULL;
}

static void take_snapshot(struct bf_engine *e, struct bf_eng_service *sv, bf_time_us now,
                          bool in, bool out)
{
    struct bf_metrics_snapshot *s = &sv->snap;
    struct bf_engine_stats es;
    struct bf_tracker_stats ts;
    bf_engine_get_stats(e, &es);
    bf_tracker_get_stats(e->tracker, &ts);
    snprintf(s->site, sizeof s->site, "%s", e->cfg->site);
    s->uptime_s = bf_time_to_s(now - sv->started);
    s->ready = sv->ready;
    s->broker_in = in;
    s->broker_out = out;
    s->n_sensors = 0;   /* the sensors configured now, in index order */
    for (size_t i = 0; i < bf_eng_sensor_count(e) && s->n_sensors < BF_MAX_SENSORS; i++) {
        struct sensor_slot *ss = bf_eng_sensor(e, i);
        if (!ss)
            continue;
        struct bf_metrics_sensor *m = &s->sensors[s->n_sensors++];
        snprintf(m->id, sizeof m->id, "%s", ss->id);
        snprintf(m->type, sizeof m->type, "%s", ss->sc->type);
        m->messages = atomic_load(&ss->messages);
        m->detections = atomic_load(&ss->detections);
        m->shed = atomic_load(&ss->shed);
        m->late = ss->late;
        m->malformed = 0;
        for (int k = 0; k < BF_FAULT_KIND_COUNT; k++)
            if (k != BF_FAULT_QUEUE_FULL)
                m->malformed += atomic_load(&ss->faults[k]);
        m->open = ss->open;
        m->faulty = ss->faulty;
    }
    s->processed = es.processed;
    s->scans = es.scans;
    s->late = es.late;
    s->window_overflow = es.window_overflow;
    s->tracks_live = ts.live;
    s->tracks_live_confirmed = ts.live_confirmed;
    s->tracks_initiated = ts.initiated;
    s->tracks_confirmed = ts.confirmed;
    s->tracks_deleted = ts.deleted;
    memcpy(s->alert_changes, sv->changes, sizeof s->alert_changes);
    memcpy(s->alerts_live, sv->live, sizeof s->alerts_live);
    struct bf_outbox_stats os;
    s->journal = bf_eng_alerts_outbox(e, &os);
    if (s->journal) {
        s->outbox_backlog = os.backlog;
        s->outbox_delivered_seq = os.delivered_seq;
        s->outbox_resent = os.resent;
    }
    memcpy(s->latency_buckets, sv->buckets, sizeof s->latency_buckets);
    s->latency_count = sv->scans_timed;
    s->latency_sum_s = sv->scan_sum_s;
    bf_metrics_server_publish(sv->http, s);
}

/* STATUS= for systemctl status, sent when it changed. */
static void notify_status(struct bf_engine *e, struct bf_eng_service *sv, const char *why_not)
{
    char st[256];
    struct bf_tracker_stats ts;
    bf_tracker_get_stats(e->tracker, &ts);
    uint32_t live = 0;
    for (int t = 0; t < BF_METRICS_ALERT_TYPES; t++)
        for (int k = 0; k < BF_METRICS_ALERT_STATES; k++)
            live += sv->live[t][k];
    size_t faulty = 0;
    for (size_t i = 0; i < bf_eng_sensor_count(e); i++)
        faulty += bf_eng_sensor(e, i) && bf_eng_sensor(e, i)->faulty;
    if (why_not)
        snprintf(st, sizeof st, "STATUS=waiting: %s", why_not);
    else
        snprintf(st, sizeof st, "STATUS=watching site %s: %u tracks (%u confirmed), %u live "
                 "alerts, %zu of %zu sensors silent", e->cfg->site, ts.live, ts.live_confirmed,
                 live, faulty, bf_eng_sensors_present(e));
    if (strcmp(st, sv->status) != 0) {
        snprintf(sv->status, sizeof sv->status, "%s", st);
        sd_notify(0, st);
    }
}

/* Whether each connection is up, and why the engine is not ready (NULL: it is). */
static const char *readiness(const struct bf_engine *e, bool *in, bool *out)
{
    *in = e->mqtt_in && bf_mqtt_is_connected(e->mqtt_in);
    *out = e->mqtt_out && bf_mqtt_is_connected(e->mqtt_out);
    return not_ready(e, *in, *out);
}

void bf_eng_service_step(struct bf_engine *e, bf_time_us now)
{
    struct bf_eng_service *sv = e->service;
    if (!sv)
        return;
    bool in, out;
    const char *why = readiness(e, &in, &out);
    if (!why && !sv->ready) {
        sv->ready = true;
        sd_notify(0, "READY=1");
        BF_LOGI(ENGINE_LOG, "ready: broker connected, %zu sensor plugin%s running",
                bf_eng_sensors_present(e), bf_eng_sensors_present(e) == 1 ? "" : "s");
    }
    if (sv->http) {
        bf_metrics_server_beat(sv->http, now);
        /* ready once READY was reached, and while the broker stays connected */
        const char *shown = sv->ready ? (in && out ? NULL : "the broker is not connected") : why;
        if (shown != sv->why_not) {
            bf_metrics_server_set_ready(sv->http, shown);
            sv->why_not = shown;
        }
    }
}

bf_time_us bf_eng_service_watchdog_period(const struct bf_engine *e)
{
    return e->service ? (bf_time_us)e->service->watchdog_us / 4 : 0;
}

void bf_eng_service_watchdog(struct bf_engine *e)
{
    if (e->service && e->service->watchdog_us > 0)
        sd_notify(0, "WATCHDOG=1");
}

void bf_eng_service_snapshot(struct bf_engine *e, bf_time_us now)
{
    struct bf_eng_service *sv = e->service;
    if (!sv)
        return;
    bool in, out;
    const char *why = readiness(e, &in, &out);
    notify_status(e, sv, why);
    if (sv->http)
        take_snapshot(e, sv, now, in, out);
}
