/*
 * engine_coverage.c - the sensors' coverage in the engine (docs/coverage.md).
 *
 * The tracker asks each sensor's Pd at a track's position before it counts
 * a miss, so a camera looking the other way, a radar behind a ridge or past
 * its sectors, takes nothing from a track it could not have seen.  Here the
 * configuration becomes a struct bf_coverage (geo/coverage.h) once at
 * start - after the frame, before the tracker, which borrows it through
 * struct bf_tracker_sensor.pd_at/pd_ctx - and the coverage is published,
 * retained, on borderfuse/<site>/coverage for displays.  A cue turns the
 * camera's wedge (engine_dispatch.c); a platform's fix moves a mobile
 * sensor's region (engine.c, with the tracker's).
 *
 * The kind of region follows the sensor's type: a "camera" with its pose
 * (options heading_deg and hfov_deg) is a wedge; every other sensor a disc
 * of range_m, cut to its "sectors_deg" when given.  Inside, Pd is the
 * sensor's coverage "pd" or "pd_by_range", else the tracker's "pd".
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/bf_error.h"
#include "core/bf_log.h"
#include "engine/engine_int.h"
#include "geo/coverage.h"

/* Arc step of the published outlines, degrees. */
#define COVERAGE_STEP_DEG 2.0

void bf_eng_coverage_sensor(const struct bf_engine *e, const struct sensor_slot *s,
                            struct bf_coverage_sensor *out)
{
    const struct bf_sensor_cfg *sc = s->sc;
    const struct bf_sensor_coverage_cfg *cv = &sc->coverage;
    bool wedge = !isnan(cv->heading_deg) && !isnan(cv->hfov_deg);
    *out = (struct bf_coverage_sensor){
        .id = sc->id, .kind = sc->type,
        .shape = wedge ? BF_COVERAGE_WEDGE : BF_COVERAGE_DISC,
        .lat_deg = sc->lat_deg, .lon_deg = sc->lon_deg, .e_m = s->scfg.e_m, .n_m = s->scfg.n_m,
        .height_m = sc->height_m, .range_m = sc->range_m, .min_range_m = cv->min_range_m,
        .heading_deg = wedge ? cv->heading_deg : 0, .hfov_deg = wedge ? cv->hfov_deg : 0,
        .n_sectors = wedge ? 0 : cv->n_sectors,
        .pd = cv->pd > 0 ? cv->pd : e->cfg->tracker.pd,
        .n_pd_points = cv->n_pd_points,
        .moving = sc->platform != NULL,
    };
    memcpy(out->sectors_deg, cv->sectors_deg, sizeof out->sectors_deg);
    memcpy(out->pd_by_range, cv->pd_by_range, sizeof out->pd_by_range);
}

int bf_eng_open_coverage(struct bf_engine *e, struct bf_tracker_sensor *ts)
{
    const struct bf_config *c = e->cfg;
    size_t ns = bf_eng_sensor_count(e);   /* at start every index below has its sensor */
    struct bf_coverage_sensor *cs = calloc(ns ? ns : 1, sizeof *cs);
    if (!cs)
        return BF_ENOMEM;
    for (size_t i = 0; i < ns; i++)
        bf_eng_coverage_sensor(e, bf_eng_sensor(e, i), &cs[i]);
    struct bf_coverage_params p = {
        .dem_path = c->terrain.dem_path, .target_height_m = c->terrain.target_height_m,
        .cell_m = c->terrain.cell_m,
    };
    char err[512] = "";
    int rc = bf_coverage_create(&p, cs, ns, e->frame, &e->coverage, err, sizeof err);
    free(cs);
    if (rc < 0) {
        BF_LOGE(ENGINE_LOG, "coverage: %s", err);
        return rc;
    }
    for (size_t i = 0; i < ns; i++) {
        ts[i].pd_at = bf_coverage_pd_at;
        ts[i].pd_ctx = e->coverage;
    }
    if (c->terrain.dem_path)
        BF_LOGI(ENGINE_LOG, "coverage: terrain from %s (cells of %.0f m, targets %.1f m tall)",
                c->terrain.dem_path, c->terrain.cell_m, c->terrain.target_height_m);
    return 0;
}

void bf_eng_close_coverage(struct bf_engine *e)
{
    bf_coverage_destroy(e->coverage);
    e->coverage = NULL;
}

/*
 * borderfuse/<site>/coverage, retained, QoS 1: every sensor's region as a
 * GeoJSON FeatureCollection (docs/coverage.md, "Topic"), with the site.
 */
void bf_eng_publish_coverage(struct bf_engine *e)
{
    if (!e->mqtt_out || !e->coverage)
        return;
    cJSON *root = bf_coverage_to_geojson(e->coverage, e->frame, COVERAGE_STEP_DEG);
    if (!root) {
        BF_LOGW(ENGINE_LOG, "coverage: cannot format the regions (not published)");
        return;
    }
    cJSON_AddStringToObject(root, "site", e->cfg->site);
    char topic[200];
    snprintf(topic, sizeof topic, "borderfuse/%s/coverage", e->cfg->site);
    char *txt = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    if (txt) {
        bf_mqtt_publish(e->mqtt_out, topic, txt, strlen(txt), 1, true);
        free(txt);
    }
}
