/*
 * terrain.c - the scenario's terrain and its sensors' regions.
 *
 * The problem: a scenario about a ridge that hides an approach from a
 * radar tests nothing if the simulated radar sees through the ridge.  So
 * the emulation applies the same line of sight the engine uses
 * (geo/coverage.h, docs/coverage.md): with a "terrain" key naming a DEM,
 * a radar (antenna height_m above the ground) and a camera (its mast
 * height) see a target only when the sight line to a point
 * target_height_m above its ground clears the terrain.  The coverage is
 * built for every scenario (without a DEM it is analytic and costs
 * nothing); the report draws each sensor's region from it.
 *
 * Index: radars 0 .. n_radars - 1, then the cameras.  Every region has a
 * Pd of 1: the emulators keep their own Pd models, the coverage only says
 * where terrain hides.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/bf_error.h"
#include "core/bf_json.h"
#include "geo/coverage.h"
#include "geo/geo.h"
#include "sim/sim.h"

void bf_sim_terrain_parse(const struct bf_json_doc *doc, struct bf_diag *diag, const cJSON *root,
                          struct bf_sim_scenario *s)
{
    static const char *const keys[] = {"dem", "target_height_m", "cell_m", NULL};
    struct bf_coverage_params d;
    bf_coverage_params_default(&d);
    s->target_height_m = d.target_height_m;
    s->terrain_cell_m = d.cell_m;
    const cJSON *o = NULL;
    if (bf_json_get_object(doc, diag, root, "terrain", false, &o) != 0 || !o)
        return;
    bf_json_check_keys(doc, diag, o, keys);
    bf_json_get_string(doc, diag, o, "dem", true, &s->dem);
    bf_json_get_number(doc, diag, o, "target_height_m", false, 0, 100, &s->target_height_m);
    bf_json_get_number(doc, diag, o, "cell_m", false, 1, 1000, &s->terrain_cell_m);
}

int bf_sim_terrain_prepare(struct bf_sim_scenario *s, const cJSON *root, struct bf_diag *diag,
                           const char *base_dir)
{
    size_t n = s->n_radars + s->n_cameras;
    if (n > 64) {
        bf_json_errorf(s->doc, diag, root, "at most 64 radars and cameras together, got %zu", n);
        return BF_EINVAL;
    }
    if (s->dem) {
        size_t nd = base_dir ? strlen(base_dir) : 0;
        if (s->dem[0] == '/' || nd == 0) {
            s->dem_path = strdup(s->dem);
        } else if ((s->dem_path = malloc(nd + strlen(s->dem) + 2)) != NULL) {
            sprintf(s->dem_path, "%s/%s", base_dir, s->dem);
        }
        if (!s->dem_path)
            return BF_ENOMEM;
    }
    struct bf_coverage_sensor *cs = calloc(n ? n : 1, sizeof *cs);
    if (!cs)
        return BF_ENOMEM;
    for (size_t j = 0; j < s->n_radars; j++) {
        const struct bf_sim_radar *r = &s->radars[j];
        cs[j] = (struct bf_coverage_sensor){
            .id = r->id, .kind = "radar", .shape = BF_COVERAGE_DISC, .lat_deg = r->lat_deg,
            .lon_deg = r->lon_deg, .e_m = r->e_m, .n_m = r->n_m, .height_m = r->height_m,
            .range_m = r->range_m, .pd = 1,
        };
    }
    for (size_t i = 0; i < s->n_cameras; i++) {
        const struct bf_sim_camera *c = &s->cameras[i];
        cs[s->n_radars + i] = (struct bf_coverage_sensor){
            .id = c->id, .kind = "camera", .shape = BF_COVERAGE_WEDGE, .lat_deg = c->lat_deg,
            .lon_deg = c->lon_deg, .e_m = c->e_m, .n_m = c->n_m, .height_m = c->height_m,
            .range_m = BF_SIM_CAMERA_COVERAGE_M, .heading_deg = c->heading_deg,
            .hfov_deg = c->hfov_deg, .pd = 1,
        };
    }
    struct bf_coverage_params p = {
        .dem_path = s->dem_path, .target_height_m = s->target_height_m,
        .cell_m = s->terrain_cell_m,
    };
    char err[512] = "";
    int rc = bf_coverage_create(&p, cs, n, s->frame, &s->coverage, err, sizeof err);
    free(cs);
    if (rc < 0) {
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(root, "terrain");
        bf_json_errorf(s->doc, diag, t ? cJSON_GetObjectItemCaseSensitive(t, "dem") : root,
                       "terrain: %s", err[0] ? err : bf_strerror(rc));
    }
    return rc;
}

void bf_sim_terrain_destroy(struct bf_sim_scenario *s)
{
    bf_coverage_destroy(s->coverage);
    s->coverage = NULL;
    free(s->dem_path);
    s->dem_path = NULL;
}

bool bf_sim_radar_sees(const struct bf_sim_scenario *s, size_t j, double e_m, double n_m)
{
    if (!s->coverage || j >= s->n_radars)
        return true;
    return bf_coverage_terrain_visible(s->coverage, (uint32_t)j, e_m, n_m);
}

bool bf_sim_camera_sees(const struct bf_sim_scenario *s, size_t i, double e_m, double n_m)
{
    if (!s->coverage || i >= s->n_cameras)
        return true;
    return bf_coverage_terrain_visible(s->coverage, (uint32_t)(s->n_radars + i), e_m, n_m);
}
