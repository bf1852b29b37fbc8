/*
 * engine_reload.c - a configuration reload without a restart (SIGHUP).
 *
 * An operator who moves a zone or tightens an alert threshold should not
 * lose the picture: a restart drops every track, and the alerts of the
 * tracks it forgets go LOST.  A reload re-reads the configuration file on the
 * engine thread (the signal handler only sets a flag), runs every check the
 * engine runs at start (bf_config_load, bf_engine_check), and only then
 * applies it: the new zones and the "alerts" section go to the alerter in
 * place (bf_alerter_reconfigure), so the tracks, their zone memberships and
 * the live alerts carry on with the same ids; the retained zones and
 * coverage messages are published again and one log line says what changed.
 *
 * What a reload applies: the zones (their file, or the file re-read), the
 * "alerts" section except the journal, its fsync policy, the audit log and
 * resend_window_s, the sensors (added, removed and changed ones, by id:
 * engine_sensors.c, docs/engine.md "Reload"; the cameras among them go to
 * the cuer), log_level and log_format, engine.status_period_s (the "status"
 * task's period), zones_require_border and zones_max_distance_m (checks
 * only).  Everything else - site, origin and frame, mqtt, tracker, the rest
 * of engine, cot, cueing,
 * dispatch, operators, terrain - is built into running parts (connections,
 * the tracker's parameters) and a change to it is refused with "restart to
 * change <key>", as is a zones file that removes, reorders or re-kinds a zone
 * live alerts may name by index.  A refused reload changes nothing: the
 * reason is logged (file:line for a configuration error) and the engine runs
 * on with the configuration it had.  The sensors go first and can be undone
 * (bf_eng_sensors_plan opens what is added or changed; a later failure calls
 * bf_eng_sensors_abort); only once the alerter took the zones and rules are
 * they committed (the removed ones closed), and from there nothing fails.
 *
 * e->cfg is never swapped: the sensors' I/O threads read it.  The latest
 * reloaded configuration is kept (e->reload_cfg) for the zones file's path
 * and the next comparison; the sensors it gave borrow their settings and
 * plugin options from it, so when a later reload replaces it, it is handed
 * to bf_eng_sensors_release_config(), which frees it once no running sensor
 * borrows from it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "alerts/alerts.h"
#include "core/bf_diag.h"
#include "core/bf_error.h"
#include "core/bf_log.h"
#include "engine/config.h"
#include "engine/engine_int.h"
#include "engine/engine.h"
#include "geo/geo.h"

#define RELOAD_LOG "reload"

/* Top-level keys a reload may change; the rest must stay as they are. */
static const char *const reloadable[] = {"zones", "alerts", "sensors", "log_level",
                                         "log_format", "zones_require_border",
                                         "zones_max_distance_m", "engine", NULL};
/* Keys of "engine" a reload may change (the rest are built into the pipeline). */
static const char *const engine_reloadable[] = {"status_period_s", NULL};
/* Keys of "alerts" a reload may not change: the journal, the outbox, the audit log are open. */
static const char *const alerts_fixed[] = {"journal", "journal_fsync", "audit_log",
                                           "resend_window_s", NULL};

static bool in_list(const char *const *list, const char *k)
{
    for (size_t i = 0; list[i]; i++)
        if (strcmp(list[i], k) == 0)
            return true;
    return false;
}

/* Configuration errors in the log, in the form file:line:col: path: message. */
static void log_diag(void *ctx, const char *file, int line, int col, const char *path,
                     const char *msg)
{
    (void)ctx;
    char buf[1024];
    bf_diag_format(buf, sizeof buf, file, line, col, path, msg);
    BF_LOGE(RELOAD_LOG, "%s", buf);
}

/*
 * The first key (of both objects' keys, skip excepted) whose value differs
 * between a and b, as "key" or "key.sub" when both values are objects;
 * true and the name in what when there is one.
 */
static bool first_difference(const cJSON *a, const cJSON *b, const char *prefix,
                             const char *const *skip, bool descend, char *what, size_t len)
{
    const cJSON *sides[2] = {a, b};
    for (int s = 0; s < 2; s++) {
        const cJSON *it;
        cJSON_ArrayForEach(it, sides[s]) {
            if (!it->string || (skip && in_list(skip, it->string)))
                continue;
            const cJSON *x = cJSON_GetObjectItemCaseSensitive(a, it->string);
            const cJSON *y = cJSON_GetObjectItemCaseSensitive(b, it->string);
            if (x && y && cJSON_Compare(x, y, true))
                continue;
            char name[128];
            snprintf(name, sizeof name, "%s%s%s", prefix, prefix[0] ? "." : "", it->string);
            if (descend && cJSON_IsObject(x) && cJSON_IsObject(y) &&
                first_difference(x, y, name, NULL, false, what, len))
                return true;
            snprintf(what, len, "%s", name);
            return true;
        }
    }
    return false;
}

/* Append to the change line. */
static void add_change(char *line, size_t len, const char *fmt, const char *a, const char *b)
{
    size_t n = strlen(line);
    if (n + 3 >= len)
        return;
    if (n > 0) {
        line[n++] = ',';
        line[n++] = ' ';
        line[n] = '\0';
    }
    snprintf(line + n, len - n, fmt, a, b);
}

/* "alerts.approach_time_s 120 -> 90" for every key of "alerts" that changed. */
static void alerts_changes(const cJSON *a, const cJSON *b, char *line, size_t len)
{
    const cJSON *sides[2] = {a, b};
    for (int s = 0; s < 2; s++) {
        const cJSON *it;
        cJSON_ArrayForEach(it, sides[s]) {
            if (!it->string)
                continue;
            const cJSON *x = cJSON_GetObjectItemCaseSensitive(a, it->string);
            const cJSON *y = cJSON_GetObjectItemCaseSensitive(b, it->string);
            if ((x && y && cJSON_Compare(x, y, true)) || (s == 1 && x))
                continue;   /* the same, or seen from a already */
            char *xs = x ? cJSON_PrintUnformatted(x) : NULL;
            char *ys = y ? cJSON_PrintUnformatted(y) : NULL;
            char fmt[160];
            snprintf(fmt, sizeof fmt, "alerts.%s %%s -> %%s", it->string);
            add_change(line, len, fmt, xs ? xs : "default", ys ? ys : "default");
            free(xs);
            free(ys);
        }
    }
}

/* "zones 5 -> 6 (+depot-2)": the count, the zones added after the kept ones. */
static void zones_changes(const struct bf_geo_zones *was, const struct bf_geo_zones *now,
                          char *line, size_t len)
{
    size_t n0 = bf_geo_zones_count(was), n1 = bf_geo_zones_count(now);
    char counts[64], added[256] = "";
    snprintf(counts, sizeof counts, "%zu -> %zu", n0, n1);
    for (size_t z = n0; z < n1; z++) {
        const struct bf_zone_info *zi = bf_geo_zone_info(now, z);
        size_t k = strlen(added);
        if (zi && k + 4 < sizeof added)
            snprintf(added + k, sizeof added - k, "%s+%s", k ? " " : "", zi->id);
    }
    char fmt[64];
    snprintf(fmt, sizeof fmt, "zones %%s%s%%s%s", added[0] ? " (" : "", added[0] ? ")" : "");
    add_change(line, len, fmt, counts, added);
}

int bf_engine_reload(struct bf_engine *e, const char *path)
{
    if (!e)
        return BF_EINVAL;
    const struct bf_config *cur = e->reload_cfg ? e->reload_cfg : e->cfg;
    if (!path)
        path = e->cfg->path;
    BF_LOGI(RELOAD_LOG, "reading %s", path);
    struct bf_diag diag = {.report = log_diag};
    struct bf_config *nc = NULL;
    if (bf_config_load(path, &nc, &diag) < 0 || bf_engine_check(nc, &diag) < 0 ||
        diag.n_errors > 0) {
        BF_LOGE(RELOAD_LOG, "%s: %u problem%s (above): refused, the configuration in use is "
                "kept", path, diag.n_errors, diag.n_errors == 1 ? "" : "s");
        bf_config_destroy(nc);
        e->reloads_refused++;
        return BF_EINVAL;
    }
    const cJSON *r0 = bf_json_doc_root(cur->doc), *r1 = bf_json_doc_root(nc->doc);
    char what[160];
    int rc = BF_EINVAL;
    struct bf_geo_zones *zones = NULL;
    struct bf_eng_sensor_plan *plan = NULL;
    if (first_difference(r0, r1, "", reloadable, true, what, sizeof what)) {
        BF_LOGE(RELOAD_LOG, "%s: %s changed: a reload cannot apply it, restart to change %s "
                "(refused, the configuration in use is kept)", path, what, what);
        goto refused;
    }
    if (first_difference(cJSON_GetObjectItemCaseSensitive(r0, "engine"),
                         cJSON_GetObjectItemCaseSensitive(r1, "engine"), "engine",
                         engine_reloadable, false, what, sizeof what)) {
        BF_LOGE(RELOAD_LOG, "%s: %s changed: a reload cannot apply it, restart to change %s "
                "(refused, the configuration in use is kept)", path, what, what);
        goto refused;
    }
    /* the keys of "alerts" that are open files and the outbox */
    for (size_t i = 0; alerts_fixed[i]; i++) {
        const cJSON *x = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(r0, "alerts"), alerts_fixed[i]);
        const cJSON *y = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(r1, "alerts"), alerts_fixed[i]);
        if ((x || y) && !(x && y && cJSON_Compare(x, y, true))) {
            BF_LOGE(RELOAD_LOG, "%s: alerts.%s changed: a reload cannot apply it, restart to "
                    "change alerts.%s (refused, the configuration in use is kept)", path,
                    alerts_fixed[i], alerts_fixed[i]);
            goto refused;
        }
    }
    struct bf_diag zd = {.report = log_diag};
    rc = bf_geo_zones_load(nc->zones_path, e->frame, NULL, &zones, &zd);
    if (rc < 0) {
        BF_LOGE(RELOAD_LOG, "%s: the zones file %s cannot be loaded: refused, the configuration "
                "in use is kept", path, nc->zones_path);
        goto refused;
    }
    struct bf_alert_params p = nc->alerts;
    /* what the alerter and the outbox opened stays: journal, fsync, audit log, resend */
    p.journal_path = e->alert_params.journal_path;
    p.journal_fsync = e->alert_params.journal_fsync;
    p.audit_path = e->alert_params.audit_path;
    p.resend_window_s = e->alert_params.resend_window_s;
    if (e->opt.exercise)
        p.exercise = true;
    char err[512];
    /* the sensors: the added and changed ones opened (undone on any failure below) */
    rc = bf_eng_sensors_plan(e, nc, &plan, err, sizeof err);
    if (rc < 0) {
        BF_LOGE(RELOAD_LOG, "%s: %s (refused, the sensors in use are kept)", path, err);
        goto refused;
    }
    rc = bf_alerter_reconfigure(e->alerter, &p, zones, err, sizeof err);
    if (rc < 0) {
        BF_LOGE(RELOAD_LOG, "%s: %s (refused, the configuration in use is kept)", path, err);
        bf_eng_sensors_abort(e, plan);
        goto refused;
    }

    /* applied: from here on nothing fails */
    char line[1024] = "";
    bool sensors_changed = plan != NULL;
    zones_changes(e->zones, zones, line, sizeof line);
    alerts_changes(cJSON_GetObjectItemCaseSensitive(r0, "alerts"),
                   cJSON_GetObjectItemCaseSensitive(r1, "alerts"), line, sizeof line);
    if (cur->log_level != nc->log_level) {
        bf_log_set_level(nc->log_level);
        const cJSON *x = cJSON_GetObjectItemCaseSensitive(r0, "log_level");
        const cJSON *y = cJSON_GetObjectItemCaseSensitive(r1, "log_level");
        add_change(line, sizeof line, "log_level %s -> %s",
                   cJSON_IsString(x) ? x->valuestring : "default",
                   cJSON_IsString(y) ? y->valuestring : "default");
    }
    if (cur->log_format != nc->log_format) {
        bf_log_set_format(nc->log_format);
        add_change(line, sizeof line, "log_format %s -> %s",
                   cur->log_format == BF_LOG_FORMAT_JSON ? "json" : "text",
                   nc->log_format == BF_LOG_FORMAT_JSON ? "json" : "text");
    }
    if (cur->engine.status_period_s != nc->engine.status_period_s) {   /* the "status" task */
        bf_eng_timers_set_period(e->timers, e->status_task,
                                 bf_time_from_s(nc->engine.status_period_s));
        char was[32], now[32];
        snprintf(was, sizeof was, "%g", cur->engine.status_period_s);
        snprintf(now, sizeof now, "%g", nc->engine.status_period_s);
        add_change(line, sizeof line, "engine.status_period_s %s -> %s", was, now);
    }
    bf_eng_sensors_commit(e, plan, line, sizeof line);   /* "sensors +b -c ~d" */
    if (sensors_changed)   /* the cuer follows the cameras: "cameras +b -c ~d" */
        bf_eng_dispatch_sensors(e, line, sizeof line);
    bf_geo_zones_destroy(e->zones);   /* the alerter borrows the new ones now */
    e->zones = zones;
    e->alert_params = p;
    bf_eng_cot_set_alert_stale(e->cot, p.resolve_after_s);
    bf_eng_sensors_release_config(e, e->reload_cfg);   /* kept while a sensor borrows it */
    e->reload_cfg = nc;
    e->reloads++;
    bf_eng_publish_zones(e);
    bf_eng_publish_coverage(e);
    if (sensors_changed)
        bf_eng_publish_status(e, "online");
    BF_LOGI(RELOAD_LOG, "reload: %s", line);
    return 0;

refused:
    bf_geo_zones_destroy(zones);
    bf_config_destroy(nc);
    e->reloads_refused++;
    return BF_EINVAL;
}
