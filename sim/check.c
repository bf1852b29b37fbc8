/*
 * check.c - what `borderfuse-sim --check` warns about (docs/scenario.md
 * "Checking a scenario").
 *
 * A scenario can be valid JSON with every value in range and still not test
 * what its author meant: a walker routed where no sensor looks, a target the
 * "expect" block says must be alerted whose route never reaches the line, an
 * animal whose random-walk disc reaches over the border so that it may cross
 * (and draw an INCURSION the scenario calls false).  These are warnings, not
 * errors: the scenario still runs.  Coverage is geometric: a radar's range
 * disc, a ground sensor's trigger radius for the target's class, a camera's
 * horizontal field of view (heading +- hfov / 2 from true north, any
 * distance); Pd, events and terrain are not considered.  The truth is sampled
 * every second of simulated time, deterministically, from the scenario alone.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/bf_detection.h"
#include "core/bf_error.h"
#include "geo/geo.h"
#include "sim/sim.h"

#define DEG (M_PI / 180.0)
#define SAMPLE_S 1.0

static int class_index(const char *cls)
{
    for (int k = 0; cls && k < BF_CLASS_COUNT; k++)
        if (strcmp(bf_class_names[k], cls) == 0)
            return k;
    return -1;
}

/* Is the point (e, n) of a target of class cls inside some sensor's coverage? */
static bool covered(const struct bf_sim_scenario *s, double e, double n, const char *cls)
{
    for (size_t i = 0; i < s->n_radars; i++) {
        const struct bf_sim_radar *r = &s->radars[i];
        if (hypot(e - r->e_m, n - r->n_m) <= r->range_m)
            return true;
    }
    int k = class_index(cls);
    for (size_t i = 0; k >= 0 && i < s->n_ground_sensors; i++) {
        const struct bf_sim_ground_sensor *g = &s->ground_sensors[i];
        if (g->radius_m[k] > 0 && hypot(e - g->e_m, n - g->n_m) <= g->radius_m[k])
            return true;
    }
    for (size_t i = 0; i < s->n_cameras; i++) {
        const struct bf_sim_camera *c = &s->cameras[i];
        double de = e - c->e_m, dn = n - c->n_m;
        if (de == 0.0 && dn == 0.0)
            continue;
        /* grid bearing = true bearing + convergence */
        double true_brg = atan2(de, dn) / DEG - c->gamma_rad / DEG;
        double off = fmod(true_brg - c->heading_deg, 360.0);
        if (off > 180.0)
            off -= 360.0;
        if (off < -180.0)
            off += 360.0;
        if (fabs(off) <= c->hfov_deg / 2)
            return true;
    }
    return false;
}

/* Does the crossing cr belong to the target or group named id? */
static bool crossing_of(const struct bf_sim_scenario *s, const struct bf_sim_crossing *cr,
                        const char *id)
{
    if (cr->key && strcmp(cr->key, id) == 0)
        return true;
    int t = bf_sim_scenario_target_find(s, id);
    return t >= 0 && s->targets[t].group && cr->key && strcmp(s->targets[t].group, cr->key) == 0;
}

int bf_sim_check_warnings(const struct bf_sim_scenario *s, const struct bf_sim_crossing *cr,
                          size_t n_cr, FILE *out)
{
    if (!s)
        return BF_EINVAL;
    int warnings = 0;
    /* 1. random walks whose disc reaches over a border line */
    size_t nz = bf_geo_zones_count(s->zones);
    for (size_t i = 0; i < s->n_targets; i++) {
        const struct bf_sim_target *t = &s->targets[i];
        if (t->motion != BF_SIM_MOTION_RANDOM_WALK)
            continue;
        for (size_t z = 0; z < nz; z++) {
            const struct bf_zone_info *zi = bf_geo_zone_info(s->zones, z);
            if (zi->kind != BF_ZONE_BORDER_LINE)
                continue;
            double d = bf_geo_zone_distance(s->zones, z, t->home_e_m, t->home_n_m);
            if (isfinite(d) && d < t->radius_m) {
                if (out)
                    fprintf(out, "warning: target %s: its random-walk disc (%.0f m about %.5f "
                            "%.5f) straddles border line %s (its centre is %.0f m from the "
                            "line): it may cross\n", t->id, t->radius_m, t->home_lat_deg,
                            t->home_lon_deg, zi->id, d);
                warnings++;
            }
        }
    }
    /* 2. targets the expect block says must be alerted that never cross */
    const cJSON *alerted = s->expect ? cJSON_GetObjectItemCaseSensitive(s->expect, "alerted")
                                     : NULL;
    const cJSON *a;
    cJSON_ArrayForEach(a, alerted) {
        if (!cJSON_IsString(a))
            continue;
        bool found = false;
        for (size_t k = 0; k < n_cr && !found; k++)
            found = crossing_of(s, &cr[k], a->valuestring);
        if (!found) {
            if (out)
                fprintf(out, "warning: expect.alerted names %s, which never crosses a border line "
                        "in the truth: that expectation cannot be met\n", a->valuestring);
            warnings++;
        }
    }
    /* 3. crossings where nothing looks */
    for (size_t k = 0; k < n_cr; k++) {
        const char *cls = cr[k].target < s->n_targets ? s->targets[cr[k].target].cls : NULL;
        if (!covered(s, cr[k].e_m, cr[k].n_m, cls)) {
            if (out)
                fprintf(out, "warning: %s %s crosses at %.1f s (%.5f %.5f) outside every "
                        "sensor's coverage\n", cr[k].is_group ? "group" : "target", cr[k].key,
                        cr[k].t_s, cr[k].lat_deg, cr[k].lon_deg);
            warnings++;
        }
    }
    /* 4. targets that are never inside any sensor's coverage */
    if (s->n_targets == 0)
        return warnings;
    struct bf_sim_truth *tr = NULL;
    int rc = bf_sim_truth_create(s, 0, &tr);
    if (rc < 0)
        return rc;
    size_t *active = calloc(s->n_targets, sizeof *active);
    size_t *seen = calloc(s->n_targets, sizeof *seen);
    if (!active || !seen) {
        free(active);
        free(seen);
        bf_sim_truth_destroy(tr);
        return BF_ENOMEM;
    }
    for (double t_s = 0; t_s <= s->duration_s && rc == 0; t_s += SAMPLE_S) {
        rc = bf_sim_truth_advance(tr, t_s);
        const struct bf_sim_target_pos *p = bf_sim_truth_positions(tr);
        for (size_t i = 0; rc == 0 && i < s->n_targets; i++) {
            if (!p[i].active)
                continue;
            active[i]++;
            if (covered(s, p[i].e_m, p[i].n_m, s->targets[i].cls))
                seen[i]++;
        }
    }
    for (size_t i = 0; rc == 0 && i < s->n_targets; i++) {
        if (active[i] > 0 && seen[i] == 0) {
            if (out)
                fprintf(out, "warning: target %s is outside every sensor's coverage for its "
                        "whole life (%zu s): nothing can see it\n", s->targets[i].id, active[i]);
            warnings++;
        }
    }
    free(active);
    free(seen);
    bf_sim_truth_destroy(tr);
    return rc < 0 ? rc : warnings;
}

/* ---- the printout of --check --------------------------------------------- */

/* "02:14:05Z" of t. */
static void hms_of(bf_time_us t, char *buf, size_t len)
{
    char iso[BF_TIME_ISO_LEN];
    bf_time_format_iso(t, iso, sizeof iso);
    snprintf(buf, len, "%.8sZ", strlen(iso) >= 19 ? iso + 11 : "??:??:??");
}

int bf_sim_check_print(const struct bf_sim_scenario *s, FILE *out)
{
    char iso[BF_TIME_ISO_LEN];
    bf_time_format_iso(s->start_us, iso, sizeof iso);
    fprintf(out, "scenario %s: site %s, %zu radars, %zu targets, %.0f s from %s, seed %llu%s\n",
                 s->path, s->site, s->n_radars, s->n_targets, s->duration_s, iso,
                 (unsigned long long)s->seed, s->exercise ? ", EXERCISE" : "");
    if (s->time_scale > 0)
        fprintf(out, "time scale %g: about %.0f s of wall time\n", s->time_scale,
                     s->duration_s / s->time_scale);
    else
        fprintf(out, "time scale 0: as fast as possible\n");
    size_t nz = bf_geo_zones_count(s->zones);
    fprintf(out, "zones (%s): ", s->zones_path);
    for (size_t z = 0; z < nz; z++) {
        const struct bf_zone_info *zi = bf_geo_zone_info(s->zones, z);
        fprintf(out, "%s%s (%s)", z ? ", " : "", zi->id, bf_zone_kind_name(zi->kind));
    }
    fprintf(out, "\n");
    for (size_t i = 0; i < s->n_radars; i++) {
        const struct bf_sim_radar *r = &s->radars[i];
        fprintf(out, "radar %-12s %.5f %.5f  range %.0f m, scan %.2f s (phase %.2f), pd %.2f, "
                     "sigma %.0f m / %.2f deg, clutter %.1f/scan, resolution %.0f m",
                     r->id, r->lat_deg, r->lon_deg, r->range_m, r->scan_period_s, r->phase_s, r->pd,
                     r->sigma_range_m, r->sigma_bearing_deg, r->clutter_per_scan, r->resolution_m);
        if (r->classify_p > 0)
            fprintf(out, ", classifies %.0f%%", 100.0 * r->classify_p);
        if (r->asterix)
            fprintf(out, ", ASTERIX CAT048 to %s:%d (SAC %d SIC %d)", r->asterix_host,
                    r->asterix_port, r->asterix_sac, r->asterix_sic);
        fprintf(out, "\n");
    }
    for (size_t i = 0; i < s->n_targets; i++) {
        const struct bf_sim_target *t = &s->targets[i];
        if (t->motion == BF_SIM_MOTION_ROUTE) {
            double len_m = 0, dur = 0;
            for (size_t k = 0; k + 1 < t->n_wp; k++) {
                double d = hypot(t->wp[k + 1].e_m - t->wp[k].e_m, t->wp[k + 1].n_m - t->wp[k].n_m);
                len_m += d;
                dur += d / t->leg_speed_mps[k];
            }
            for (size_t k = 0; k < t->n_wp; k++)
                dur += t->wp[k].pause_s;
            fprintf(out, "target %-12s %-8s %-10s start %5.0f s, route of %zu waypoints, %.0f m, "
                         "ends at %.0f s\n", t->id, t->cls, t->group ? t->group : "-", t->start_s,
                         t->n_wp, len_m, t->start_s + dur);
        } else {
            fprintf(out, "target %-12s %-8s %-10s start %5.0f s, random walk within %.0f m of "
                         "%.5f %.5f at %.1f m/s\n", t->id, t->cls, t->group ? t->group : "-",
                         t->start_s, t->radius_m, t->home_lat_deg, t->home_lon_deg, t->speed_mps);
        }
    }
    bf_sim_features_print(out, s);   /* roads, water, Pd shapes, events */
    bf_sim_sensors_print(out, s);    /* ground sensors and cameras */
    if (s->dem_path)                    /* terrain (sim/terrain.c) */
        fprintf(out, "terrain %s: line of sight to %.1f m above the ground, %.0f m cells\n",
                     s->dem_path, s->target_height_m, s->terrain_cell_m);
    struct bf_sim_crossing *cr;
    size_t n;
    int rc = bf_sim_truth_run(s, &cr, &n);
    if (rc < 0) {
        fprintf(stderr, "borderfuse-sim: truth failed: %s\n", bf_strerror(rc));
        return rc;
    }
    fprintf(out, "true crossings: %zu\n", n);
    for (size_t i = 0; i < n; i++) {
        char tm[16];
        hms_of(s->start_us + bf_time_from_s(cr[i].t_s), tm, sizeof tm);
        fprintf(out, "  %s %-14s (%u) at %7.1f s (%s)  %.5f %.5f  zone %s\n",
                     cr[i].is_group ? "group " : "target", cr[i].key, cr[i].members, cr[i].t_s, tm,
                     cr[i].lat_deg, cr[i].lon_deg,
                     bf_geo_zone_info(s->zones, (size_t)cr[i].zone)->id);
    }
    /* warnings: the scenario runs, but may not test what its author meant */
    int w = bf_sim_check_warnings(s, cr, n, out);
    free(cr);
    if (w < 0) {
        fprintf(stderr, "borderfuse-sim: check failed: %s\n", bf_strerror(w));
        return w;
    }
    fprintf(out, "warnings: %d\n", w);
    fprintf(out, "scenario OK\n");
    return 0;
}
