/*
 * scenario.c - reading a simulation scenario (docs/scenario.md).
 *
 * A scenario is written by hand by exercise staff, so its mistakes must be
 * explained the way a compiler explains them: every error at once, each with
 * file:line:col, the JSON path and what was expected; an unknown key is an
 * error (with a "did you mean"), because a misspelt "pasue_s" silently
 * ignored would change the exercise.  Parsing is done on the located JSON
 * document (core/bf_json.h); only when the text is free of errors are the
 * frame built, the zones loaded and every position projected to the local
 * frame, so the truth and the radar emulation work in metres.
 *
 * The scenario owns its JSON document (all strings are borrowed from it), its
 * frame and its zones.
 */
#include "sim/sim.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/bf_detection.h"
#include "core/bf_error.h"
#include "core/bf_json.h"
#include "geo/geo.h"

#define DEFAULT_START "2026-03-01T02:00:00Z"

/* Parsing context: the doc and diag every getter needs. */
struct ctx {
    const struct bf_json_doc *doc;
    struct bf_diag *diag;
    unsigned errors_at_start;
    const struct bf_sim_scenario *s;   /* origin and frame, for positions */
};

static bool ctx_failed(const struct ctx *c)
{
    return c->diag->n_errors != c->errors_at_start;
}

bool bf_sim_is_topic_id(const char *s, bool dot)
{
    if (!s || !*s)
        return false;
    for (const char *p = s; *p; p++) {
        char ch = *p;
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                  ch == '_' || ch == '-' || (dot && ch == '.');
        if (!ok)
            return false;
    }
    return true;
}

/* Great-circle distance in km between two WGS84 points (a sphere is close enough here). */
static double dist_km(double lat1, double lon1, double lat2, double lon2)
{
    const double r = 6371.0088, d = M_PI / 180.0;
    double dp = (lat2 - lat1) * d, dl = (lon2 - lon1) * d;
    double h = sin(dp / 2) * sin(dp / 2) + cos(lat1 * d) * cos(lat2 * d) * sin(dl / 2) * sin(dl / 2);
    return 2.0 * r * asin(sqrt(h < 1.0 ? h : 1.0));
}

/*
 * (lat, lon) read from node: refuse it when it is far from the origin and
 * would be near it the other way round (a [lon, lat] written for [lat, lon]).
 */
static int check_not_swapped(const struct bf_json_doc *doc, struct bf_diag *diag,
                             const cJSON *node, const struct bf_sim_scenario *s, double lat,
                             double lon, const char *form)
{
    if (!s || fabs(lon) > 90.0)
        return 0;
    double d = dist_km(s->origin_lat_deg, s->origin_lon_deg, lat, lon);
    double dsw = dist_km(s->origin_lat_deg, s->origin_lon_deg, lon, lat);
    if (d <= BF_SIM_SWAP_KM || dsw > BF_SIM_SWAP_KM)
        return 0;
    bf_json_errorf(doc, diag, node,
                   "ambiguous position: read as %s (latitude %g, longitude %g) it is %.0f km from "
                   "the origin, read the other way round %.0f km. Scenario positions are "
                   "[lat, lon], latitude first (zones GeoJSON alone is [lon, lat]); or write "
                   "{\"lat\": .., \"lon\": ..} or {\"e_m\": .., \"n_m\": ..}",
                   form, lat, lon, d, dsw);
    return BF_EPARSE;
}

/* {"e_m": .., "n_m": ..} of obj through s's frame into lat/lon; reported on failure. */
static int en_to_latlon(const struct bf_json_doc *doc, struct bf_diag *diag, const cJSON *obj,
                        const struct bf_sim_scenario *s, double *lat, double *lon)
{
    double e = 0, n = 0;
    int rc = bf_json_get_number(doc, diag, obj, "e_m", true, -1e7, 1e7, &e);
    rc |= bf_json_get_number(doc, diag, obj, "n_m", true, -1e7, 1e7, &n);
    if (rc != 0)
        return BF_EPARSE;
    if (!s || !s->frame)
        return BF_EPARSE;   /* the origin or frame is wrong: reported there */
    if (bf_geo_to_wgs84(s->frame, e, n, lat, lon) < 0) {
        bf_json_errorf(doc, diag, obj, "cannot place %g m east, %g m north of the origin in the "
                       "scenario's frame", e, n);
        return BF_EPARSE;
    }
    return 0;
}

int bf_sim_position_keys(const struct bf_json_doc *doc, struct bf_diag *diag, const cJSON *obj,
                         const struct bf_sim_scenario *s, double *lat_deg, double *lon_deg)
{
    bool ll = cJSON_GetObjectItemCaseSensitive(obj, "lat") ||
              cJSON_GetObjectItemCaseSensitive(obj, "lon");
    bool en = cJSON_GetObjectItemCaseSensitive(obj, "e_m") ||
              cJSON_GetObjectItemCaseSensitive(obj, "n_m");
    if (ll && en) {
        bf_json_errorf(doc, diag, obj, "give the position once: \"lat\"/\"lon\" (degrees) or "
                       "\"e_m\"/\"n_m\" (metres from the origin), not both");
        return BF_EPARSE;
    }
    if (en)
        return en_to_latlon(doc, diag, obj, s, lat_deg, lon_deg);
    if (!ll) {
        bf_json_errorf(doc, diag, obj, "missing the position: \"lat\" and \"lon\" (degrees) or "
                       "\"e_m\" and \"n_m\" (metres east and north of the origin)");
        return BF_EPARSE;
    }
    int rc = bf_json_get_number(doc, diag, obj, "lat", true, -90, 90, lat_deg);
    rc |= bf_json_get_number(doc, diag, obj, "lon", true, -180, 180, lon_deg);
    if (rc != 0)
        return BF_EPARSE;
    return check_not_swapped(doc, diag, obj, s, *lat_deg, *lon_deg, "\"lat\"/\"lon\"");
}

int bf_sim_position_parse(const struct bf_json_doc *doc, struct bf_diag *diag, const cJSON *node,
                          const struct bf_sim_scenario *s, double *lat_deg, double *lon_deg)
{
    char what[96];
    if (cJSON_IsObject(node)) {
        static const char *const keys[] = {"lat", "lon", "e_m", "n_m", NULL};
        bf_json_check_keys(doc, diag, node, keys);
        return bf_sim_position_keys(doc, diag, node, s, lat_deg, lon_deg);
    }
    if (!cJSON_IsArray(node) || cJSON_GetArraySize(node) != 2 ||
        !cJSON_IsNumber(cJSON_GetArrayItem(node, 0)) || !cJSON_IsNumber(cJSON_GetArrayItem(node, 1))) {
        bf_json_describe(node, what, sizeof what);
        bf_json_errorf(doc, diag, node, "expected a position: [lat, lon] in degrees, "
                       "{\"lat\": .., \"lon\": ..} or {\"e_m\": .., \"n_m\": ..} (metres from the "
                       "origin), got %s", what);
        return BF_EPARSE;
    }
    const cJSON *a = cJSON_GetArrayItem(node, 0), *b = cJSON_GetArrayItem(node, 1);
    double la = a->valuedouble, lo = b->valuedouble;
    if (fabs(la) > 90.0 && fabs(la) <= 180.0 && fabs(lo) <= 90.0 &&
        (!s || dist_km(s->origin_lat_deg, s->origin_lon_deg, lo, la) <= BF_SIM_SWAP_KM)) {
        bf_json_errorf(doc, diag, node, "[%g, %g] reads as [lon, lat] (GeoJSON's order): scenario "
                       "positions are [lat, lon], latitude first; or write {\"lat\": .., "
                       "\"lon\": ..}", la, lo);
        return BF_EPARSE;
    }
    int rc = 0;
    if (!(la >= -90.0 && la <= 90.0)) {
        bf_json_errorf(doc, diag, a, "expected a latitude in [-90, 90] degrees, got %g", la);
        rc = BF_EPARSE;
    }
    if (!(lo >= -180.0 && lo <= 180.0)) {
        bf_json_errorf(doc, diag, b, "expected a longitude in [-180, 180] degrees, got %g", lo);
        rc = BF_EPARSE;
    }
    *lat_deg = la;
    *lon_deg = lo;
    if (rc != 0)
        return rc;
    return check_not_swapped(doc, diag, node, s, la, lo, "[lat, lon]");
}

/* A position of this scenario at node (bf_sim_position_parse). */
static int get_latlon_node(struct ctx *c, const cJSON *node, double *lat, double *lon)
{
    return bf_sim_position_parse(c->doc, c->diag, node, c->s, lat, lon);
}

/*
 * Build the frame from origin and frame as soon as they are read, so that
 * every later position may be given in metres from the origin.  A frame that
 * cannot be built is reported here once.
 */
static void early_frame(struct ctx *c, const cJSON *root, struct bf_sim_scenario *s)
{
    char err[256] = "";
    int rc = bf_geo_frame_create(s->origin_lat_deg, s->origin_lon_deg, s->crs, &s->frame, err,
                                 sizeof err);
    if (rc < 0) {
        const cJSON *at = cJSON_GetObjectItemCaseSensitive(root, "frame");
        bf_json_errorf(c->doc, c->diag, at ? at : cJSON_GetObjectItemCaseSensitive(root, "origin"),
                       "cannot build the local frame: %s", err[0] ? err : bf_strerror(rc));
        s->frame = NULL;
    }
}

static void parse_origin(struct ctx *c, const cJSON *root, struct bf_sim_scenario *s)
{
    const cJSON *o;
    if (bf_json_get_object(c->doc, c->diag, root, "origin", true, &o) != 0)
        return;
    if (!cJSON_IsObject(o)) {
        bf_json_errorf(c->doc, c->diag, o, "expected an object {\"lat\": .., \"lon\": ..}");
        return;
    }
    static const char *const keys[] = {"lat", "lon", NULL};
    bf_json_check_keys(c->doc, c->diag, o, keys);
    bf_json_get_number(c->doc, c->diag, o, "lat", true, -90, 90, &s->origin_lat_deg);
    bf_json_get_number(c->doc, c->diag, o, "lon", true, -180, 180, &s->origin_lon_deg);
}

static void parse_radar(struct ctx *c, const cJSON *node, size_t idx, size_t n,
                        struct bf_sim_radar *r)
{
    static const char *const keys[] = {"id", "lat", "lon", "e_m", "n_m", "range_m",
                                       "scan_period_s", "phase_s",
                                       "pd", "sigma_range_m", "sigma_bearing_deg",
                                       "clutter_per_scan", "resolution_m", "classify_p",
                                       "asterix", "pd_by_class", "pd_near_range_m", "pd_far",
                                       "height_m", NULL};
    if (!cJSON_IsObject(node)) {
        char what[96];
        bf_json_describe(node, what, sizeof what);
        bf_json_errorf(c->doc, c->diag, node, "expected a radar object, got %s", what);
        return;
    }
    bf_json_check_keys(c->doc, c->diag, node, keys);
    if (bf_json_get_string(c->doc, c->diag, node, "id", true, &r->id) == 0 &&
        !bf_sim_is_topic_id(r->id, true)) {
        bf_json_errorf(c->doc, c->diag, cJSON_GetObjectItemCaseSensitive(node, "id"),
                       "expected an id of letters, digits, '_', '-' or '.' (it is used in the MQTT "
                       "topic), got \"%s\"", r->id);
    }
    bf_sim_position_keys(c->doc, c->diag, node, c->s, &r->lat_deg, &r->lon_deg);
    bf_json_get_number(c->doc, c->diag, node, "range_m", true, 1, 1e6, &r->range_m);
    bf_json_get_number(c->doc, c->diag, node, "scan_period_s", true, 0.05, 3600, &r->scan_period_s);
    r->phase_s = r->scan_period_s > 0 ? r->scan_period_s * (double)idx / (double)n : 0.0;
    bf_json_get_number(c->doc, c->diag, node, "phase_s", false, 0, 3600, &r->phase_s);
    r->pd = 0.9;
    bf_json_get_number(c->doc, c->diag, node, "pd", false, 0, 1, &r->pd);
    r->sigma_range_m = 10.0;
    bf_json_get_number(c->doc, c->diag, node, "sigma_range_m", false, 0, 1e4, &r->sigma_range_m);
    r->sigma_bearing_deg = 0.2;
    bf_json_get_number(c->doc, c->diag, node, "sigma_bearing_deg", false, 0, 90,
                       &r->sigma_bearing_deg);
    r->clutter_per_scan = 0.0;
    bf_json_get_number(c->doc, c->diag, node, "clutter_per_scan", false, 0, 10000,
                       &r->clutter_per_scan);
    r->resolution_m = 15.0;
    bf_json_get_number(c->doc, c->diag, node, "resolution_m", false, 0, 1e4, &r->resolution_m);
    bf_sim_features_parse_radar(c->doc, c->diag, node, r);   /* Pd by class and range */
    r->height_m = 10.0;
    bf_json_get_number(c->doc, c->diag, node, "height_m", false, 0, 1000, &r->height_m);
    r->classify_p = 0.0;
    bf_json_get_number(c->doc, c->diag, node, "classify_p", false, 0, 1, &r->classify_p);
    /* "asterix": {"port": 8600, "host": "127.0.0.1", "sac": 0, "sic": 1} */
    const cJSON *ax = NULL;
    if (bf_json_get_object(c->doc, c->diag, node, "asterix", false, &ax) == 0 && ax) {
        static const char *const akeys[] = {"host", "port", "sac", "sic", NULL};
        bf_json_check_keys(c->doc, c->diag, ax, akeys);
        r->asterix = true;
        r->asterix_host = "127.0.0.1";
        bf_json_get_string(c->doc, c->diag, ax, "host", false, &r->asterix_host);
        int64_t v = 0;
        if (bf_json_get_int(c->doc, c->diag, ax, "port", true, 1, 65535, &v) == 0)
            r->asterix_port = (int)v;
        v = 0;
        if (bf_json_get_int(c->doc, c->diag, ax, "sac", true, 0, 255, &v) == 0)
            r->asterix_sac = (int)v;
        v = 0;
        if (bf_json_get_int(c->doc, c->diag, ax, "sic", true, 0, 255, &v) == 0)
            r->asterix_sic = (int)v;
    }
}

/* "speed_mps": a number for every leg, or one number per leg. */
static void parse_leg_speeds(struct ctx *c, const cJSON *tnode, struct bf_sim_target *t)
{
    const cJSON *sp = cJSON_GetObjectItemCaseSensitive(tnode, "speed_mps");
    if (!sp) {
        bf_json_errorf(c->doc, c->diag, tnode,
                       "missing \"speed_mps\": expected metres per second, a number > 0 or an "
                       "array with one number per leg");
        return;
    }
    size_t legs = t->n_wp > 0 ? t->n_wp - 1 : 0;
    if (legs == 0)
        return;
    t->leg_speed_mps = calloc(legs, sizeof *t->leg_speed_mps);
    if (!t->leg_speed_mps) {
        bf_json_errorf(c->doc, c->diag, sp, "out of memory");
        return;
    }
    if (cJSON_IsNumber(sp)) {
        if (!(sp->valuedouble > 0 && sp->valuedouble <= 1000)) {
            bf_json_errorf(c->doc, c->diag, sp, "expected a speed in (0, 1000] m/s, got %g",
                           sp->valuedouble);
            return;
        }
        for (size_t i = 0; i < legs; i++)
            t->leg_speed_mps[i] = sp->valuedouble;
        return;
    }
    if (!cJSON_IsArray(sp) || (size_t)cJSON_GetArraySize(sp) != legs) {
        char what[96];
        bf_json_describe(sp, what, sizeof what);
        bf_json_errorf(c->doc, c->diag, sp,
                       "expected a speed > 0 in m/s or an array of %zu speeds (one per leg), got %s",
                       legs, what);
        return;
    }
    size_t i = 0;
    const cJSON *v;
    cJSON_ArrayForEach(v, sp) {
        if (!cJSON_IsNumber(v) || !(v->valuedouble > 0 && v->valuedouble <= 1000)) {
            char what[96];
            bf_json_describe(v, what, sizeof what);
            bf_json_errorf(c->doc, c->diag, v, "expected a speed in (0, 1000] m/s, got %s", what);
        } else {
            t->leg_speed_mps[i] = v->valuedouble;
        }
        i++;
    }
}

static void parse_route(struct ctx *c, const cJSON *node, struct bf_sim_target *t)
{
    const cJSON *wps;
    if (bf_json_get_array(c->doc, c->diag, node, "waypoints", true, &wps) != 0)
        return;
    int n = cJSON_GetArraySize(wps);
    if (n < 2) {
        bf_json_errorf(c->doc, c->diag, wps,
                       "expected at least 2 waypoints (positions: [lat, lon], ...), got %d", n);
        return;
    }
    t->wp = calloc((size_t)n, sizeof *t->wp);
    if (!t->wp) {
        bf_json_errorf(c->doc, c->diag, wps, "out of memory");
        return;
    }
    t->n_wp = (size_t)n;
    size_t i = 0;
    const cJSON *w;
    cJSON_ArrayForEach(w, wps) {
        get_latlon_node(c, w, &t->wp[i].lat_deg, &t->wp[i].lon_deg);
        i++;
    }
    parse_leg_speeds(c, node, t);

    const cJSON *ps = cJSON_GetObjectItemCaseSensitive(node, "pause_s");
    if (ps) {
        if (!cJSON_IsArray(ps) || cJSON_GetArraySize(ps) != n) {
            char what[96];
            bf_json_describe(ps, what, sizeof what);
            bf_json_errorf(c->doc, c->diag, ps,
                           "expected an array of %d pauses in seconds (one per waypoint), got %s",
                           n, what);
        } else {
            i = 0;
            const cJSON *v;
            cJSON_ArrayForEach(v, ps) {
                if (!cJSON_IsNumber(v) || !(v->valuedouble >= 0 && v->valuedouble <= 86400)) {
                    char what[96];
                    bf_json_describe(v, what, sizeof what);
                    bf_json_errorf(c->doc, c->diag, v, "expected a pause in [0, 86400] s, got %s",
                                   what);
                } else {
                    t->wp[i].pause_s = v->valuedouble;
                }
                i++;
            }
        }
    }
    static const char *const walk_only[] = {"home", "radius_m", NULL};
    for (const char *const *k = walk_only; *k; k++) {
        const cJSON *x = cJSON_GetObjectItemCaseSensitive(node, *k);
        if (x)
            bf_json_errorf(c->doc, c->diag, x, "\"%s\" is only for \"motion\": \"random_walk\"", *k);
    }
}

static void parse_walk(struct ctx *c, const cJSON *node, struct bf_sim_target *t)
{
    const cJSON *home = cJSON_GetObjectItemCaseSensitive(node, "home");
    if (!home)
        bf_json_errorf(c->doc, c->diag, node,
                       "missing \"home\": a random walk needs its centre as a position ([lat, lon], "
                       "{\"e_m\": .., \"n_m\": ..})");
    else
        get_latlon_node(c, home, &t->home_lat_deg, &t->home_lon_deg);
    bf_json_get_number(c->doc, c->diag, node, "radius_m", true, 1, 1e5, &t->radius_m);
    bf_json_get_number(c->doc, c->diag, node, "speed_mps", true, 0.01, 1000, &t->speed_mps);
    t->walk_pause_s = 0;
    bf_json_get_number(c->doc, c->diag, node, "pause_s", false, 0, 86400, &t->walk_pause_s);
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(node, "waypoints");
    if (x)
        bf_json_errorf(c->doc, c->diag, x, "\"waypoints\" are only for a route, not a random walk");
}

static void parse_target(struct ctx *c, const cJSON *node, double duration_s,
                         struct bf_sim_target *t)
{
    static const char *const keys[] = {"id", "class", "group", "start_s", "motion", "waypoints",
                                       "speed_mps", "pause_s", "home", "radius_m", "road",
                                       "from_m", "to_m", "water", NULL};
    static const char *const motions[] = {"route", "random_walk", NULL};
    const char *classes[BF_CLASS_COUNT + 1];
    for (int i = 0; i < BF_CLASS_COUNT; i++)
        classes[i] = bf_class_names[i];
    classes[BF_CLASS_COUNT] = NULL;

    if (!cJSON_IsObject(node)) {
        char what[96];
        bf_json_describe(node, what, sizeof what);
        bf_json_errorf(c->doc, c->diag, node, "expected a target object, got %s", what);
        return;
    }
    bf_json_check_keys(c->doc, c->diag, node, keys);
    bf_json_get_string(c->doc, c->diag, node, "id", true, &t->id);
    int cls = 0;
    if (bf_json_get_enum(c->doc, c->diag, node, "class", true, classes, &cls) == 0)
        t->cls = bf_class_names[cls];
    t->group = NULL;
    bf_json_get_string(c->doc, c->diag, node, "group", false, &t->group);
    t->start_s = 0;
    if (bf_json_get_number(c->doc, c->diag, node, "start_s", false, 0, 1e7, &t->start_s) == 0 &&
        duration_s > 0 && t->start_s >= duration_s)
        bf_json_errorf(c->doc, c->diag, cJSON_GetObjectItemCaseSensitive(node, "start_s"),
                       "expected a start before the end of the scenario (duration_s %g), got %g",
                       duration_s, t->start_s);
    int motion = BF_SIM_MOTION_ROUTE;
    if (bf_json_get_enum(c->doc, c->diag, node, "motion", false, motions, &motion) < 0)
        return;
    t->motion = (enum bf_sim_motion)motion;
    if (bf_sim_features_parse_target(c->doc, c->diag, node, t))
        return;   /* on a road (the route is built from it) */
    if (t->motion == BF_SIM_MOTION_ROUTE)
        parse_route(c, node, t);
    else
        parse_walk(c, node, t);
}

/* Report duplicate ids in an array of objects with an "id" member. */
static void check_unique_ids(struct ctx *c, const cJSON *arr, const char *what)
{
    int i = 0;
    const cJSON *a;
    cJSON_ArrayForEach(a, arr) {
        const cJSON *ida = cJSON_GetObjectItemCaseSensitive(a, "id");
        if (cJSON_IsString(ida)) {
            int j = 0;
            const cJSON *b;
            cJSON_ArrayForEach(b, arr) {
                if (j >= i)
                    break;
                const cJSON *idb = cJSON_GetObjectItemCaseSensitive(b, "id");
                if (cJSON_IsString(idb) && strcmp(ida->valuestring, idb->valuestring) == 0) {
                    bf_json_errorf(c->doc, c->diag, ida, "duplicate %s id \"%s\" (also %ss[%d])",
                                   what, ida->valuestring, what, j);
                    break;
                }
                j++;
            }
        }
        i++;
    }
}

static void parse_top(struct ctx *c, const cJSON *root, struct bf_sim_scenario *s,
                      const char **zones_rel)
{
    static const char *const keys[] = {"site", "description", "origin", "frame", "zones",
                                       "start_time", "duration_s", "seed", "time_scale",
                                       "exercise", "radars", "targets", "expect", "roads",
                                       "water", "events", "ground_sensors", "cameras", "units",
                                       "terrain", NULL};
    if (!cJSON_IsObject(root)) {
        bf_json_errorf(c->doc, c->diag, root, "expected a scenario object {\"site\": ...}");
        return;
    }
    bf_json_check_keys(c->doc, c->diag, root, keys);
    if (bf_json_get_string(c->doc, c->diag, root, "site", true, &s->site) == 0 &&
        !bf_sim_is_topic_id(s->site, false))
        bf_json_errorf(c->doc, c->diag, cJSON_GetObjectItemCaseSensitive(root, "site"),
                       "expected a site name of letters, digits, '_' or '-' (it is used in MQTT "
                       "topics), got \"%s\"", s->site);
    s->description = "";
    bf_json_get_string(c->doc, c->diag, root, "description", false, &s->description);
    unsigned before = c->diag->n_errors;
    parse_origin(c, root, s);
    s->crs = "aeqd";
    bf_json_get_string(c->doc, c->diag, root, "frame", false, &s->crs);
    if (c->diag->n_errors == before)
        early_frame(c, root, s);
    bf_json_get_string(c->doc, c->diag, root, "zones", true, zones_rel);

    const char *start = DEFAULT_START;
    bf_json_get_string(c->doc, c->diag, root, "start_time", false, &start);
    if (bf_time_parse_iso(start, &s->start_us) < 0)
        bf_json_errorf(c->doc, c->diag, cJSON_GetObjectItemCaseSensitive(root, "start_time"),
                       "expected an ISO 8601 UTC time like \"%s\", got \"%s\"", DEFAULT_START,
                       start);
    s->duration_s = 0;
    bf_json_get_number(c->doc, c->diag, root, "duration_s", true, 1, 7 * 86400.0, &s->duration_s);
    int64_t seed = 1;
    bf_json_get_int(c->doc, c->diag, root, "seed", false, 0, INT64_C(9007199254740992), &seed);
    s->seed = (uint64_t)seed;
    s->time_scale = 1.0;
    bf_json_get_number(c->doc, c->diag, root, "time_scale", false, 0, 1e6, &s->time_scale);
    s->exercise = false;
    bf_json_get_bool(c->doc, c->diag, root, "exercise", false, &s->exercise);

    const cJSON *radars;
    if (bf_json_get_array(c->doc, c->diag, root, "radars", true, &radars) == 0) {
        int n = cJSON_GetArraySize(radars);
        if (n < 1) {
            bf_json_errorf(c->doc, c->diag, radars, "expected at least one radar");
        } else if (n > 64) {
            bf_json_errorf(c->doc, c->diag, radars, "expected at most 64 radars, got %d", n);
        } else {
            s->radars = calloc((size_t)n, sizeof *s->radars);
            if (!s->radars) {
                bf_json_errorf(c->doc, c->diag, radars, "out of memory");
            } else {
                s->n_radars = (size_t)n;
                size_t i = 0;
                const cJSON *r;
                cJSON_ArrayForEach(r, radars) {
                    parse_radar(c, r, i, s->n_radars, &s->radars[i]);
                    i++;
                }
                check_unique_ids(c, radars, "radar");
            }
        }
    }
    const cJSON *targets;
    if (bf_json_get_array(c->doc, c->diag, root, "targets", true, &targets) == 0) {
        int n = cJSON_GetArraySize(targets);
        if (n > 0) {
            s->targets = calloc((size_t)n, sizeof *s->targets);
            if (!s->targets) {
                bf_json_errorf(c->doc, c->diag, targets, "out of memory");
                return;
            }
            s->n_targets = (size_t)n;
            size_t i = 0;
            const cJSON *t;
            cJSON_ArrayForEach(t, targets) {
                parse_target(c, t, s->duration_s, &s->targets[i]);
                i++;
            }
            check_unique_ids(c, targets, "target");
        }
    }
    bf_sim_sensors_parse(c->doc, c->diag, root, s);   /* ground sensors, cameras */
    bf_sim_features_parse(c->doc, c->diag, root, s);   /* roads, water, events */
    bf_sim_units_parse(c->doc, c->diag, root, s);      /* response units (units.c) */
    bf_sim_terrain_parse(c->doc, c->diag, root, s);    /* terrain (terrain.c) */
}

/* dir/rel, or rel itself when it is absolute or dir is empty. malloc'd. */
static char *resolve_path(const char *dir, const char *rel)
{
    size_t nd = dir ? strlen(dir) : 0;
    size_t nr = strlen(rel);
    if (rel[0] == '/' || nd == 0)
        return strdup(rel);
    char *p = malloc(nd + 1 + nr + 1);
    if (!p)
        return NULL;
    memcpy(p, dir, nd);
    p[nd] = '/';
    memcpy(p + nd + 1, rel, nr + 1);
    return p;
}

/* Build the frame, load the zones and project every position. */
static int prepare_geometry(struct bf_sim_scenario *s, const cJSON *root, struct bf_diag *diag,
                            const struct bf_json_doc *doc)
{
    if (!s->frame)
        return BF_EPROJ;   /* built (or reported) as soon as origin and frame were read */
    int rc = bf_geo_zones_load(s->zones_path, s->frame, NULL, &s->zones, diag);
    if (rc < 0) {
        bf_json_errorf(doc, diag, cJSON_GetObjectItemCaseSensitive(root, "zones"),
                       "cannot load the zones from %s: %s", s->zones_path, bf_strerror(rc));
        return rc;
    }
    const cJSON *jr = cJSON_GetObjectItemCaseSensitive(root, "radars");
    for (size_t i = 0; i < s->n_radars; i++) {
        struct bf_sim_radar *r = &s->radars[i];
        if (bf_geo_to_local(s->frame, r->lat_deg, r->lon_deg, &r->e_m, &r->n_m) < 0 ||
            bf_geo_convergence(s->frame, r->lat_deg, r->lon_deg, &r->gamma_rad) < 0) {
            bf_json_errorf(doc, diag, cJSON_GetArrayItem(jr, (int)i),
                           "cannot project the radar position to the local frame");
            rc = BF_EPROJ;
        }
    }
    const cJSON *jt = cJSON_GetObjectItemCaseSensitive(root, "targets");
    for (size_t i = 0; i < s->n_targets; i++) {
        struct bf_sim_target *t = &s->targets[i];
        bool ok = true;
        for (size_t k = 0; k < t->n_wp; k++)
            ok &= bf_geo_to_local(s->frame, t->wp[k].lat_deg, t->wp[k].lon_deg, &t->wp[k].e_m,
                                  &t->wp[k].n_m) == 0;
        if (t->motion == BF_SIM_MOTION_RANDOM_WALK)
            ok &= bf_geo_to_local(s->frame, t->home_lat_deg, t->home_lon_deg, &t->home_e_m,
                                  &t->home_n_m) == 0;
        if (!ok) {
            bf_json_errorf(doc, diag, cJSON_GetArrayItem(jt, (int)i),
                           "cannot project the target's positions to the local frame");
            rc = BF_EPROJ;
        }
    }
    return rc;
}

int bf_sim_scenario_parse(const char *text, size_t len, const char *name, const char *base_dir,
                          struct bf_sim_scenario **out, struct bf_diag *diag)
{
    *out = NULL;
    struct bf_diag local = {0};
    if (!diag)
        diag = &local;
    struct bf_sim_scenario *s = calloc(1, sizeof *s);
    if (!s)
        return BF_ENOMEM;
    s->path = strdup(name ? name : "scenario");
    if (!s->path) {
        free(s);
        return BF_ENOMEM;
    }
    int rc = bf_json_doc_parse(text, len, s->path, &s->doc, diag);
    if (rc < 0)
        goto out_destroy;
    struct ctx c = {.doc = s->doc, .diag = diag, .errors_at_start = diag->n_errors, .s = s};
    const cJSON *root = bf_json_doc_root(s->doc);
    const char *zones_rel = NULL;
    parse_top(&c, root, s, &zones_rel);
    /* the expected outcome names targets and groups: checked once they are known */
    s->expect = cJSON_GetObjectItemCaseSensitive(root, "expect");
    if (s->expect)
        bf_sim_expect_validate(s->doc, diag, s->expect, s);
    if (ctx_failed(&c)) {
        rc = BF_EPARSE;
        goto out_destroy;
    }
    s->zones_path = resolve_path(base_dir, zones_rel);
    if (!s->zones_path) {
        rc = BF_ENOMEM;
        goto out_destroy;
    }
    rc = prepare_geometry(s, root, diag, s->doc);
    if (rc == 0 && !ctx_failed(&c))
        rc = bf_sim_features_prepare(s, root, diag);   /* roads, water */
    if (rc == 0 && !ctx_failed(&c))
        rc = bf_sim_sensors_prepare(s, root, diag, base_dir);   /* sensor positions */
    if (rc == 0 && !ctx_failed(&c))
        rc = bf_sim_terrain_prepare(s, root, diag, base_dir);   /* regions, line of sight */
    if (rc < 0 || ctx_failed(&c)) {
        rc = rc < 0 ? rc : BF_EINVAL;
        goto out_destroy;
    }
    *out = s;
    return 0;

out_destroy:
    bf_sim_scenario_destroy(s);
    return rc;
}

int bf_sim_scenario_load(const char *path, struct bf_sim_scenario **out, struct bf_diag *diag)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) {
        bf_diag_errorf(diag, path, 0, 0, NULL, "cannot open the scenario file: %s",
                       strerror(errno));
        return BF_EIO;
    }
    char *text = NULL;
    size_t len = 0, cap = 0;
    int rc = 0;
    for (;;) {
        if (len + 4096 > cap) {
            size_t ncap = cap ? cap * 2 : 65536;
            char *nt = realloc(text, ncap);
            if (!nt) {
                rc = BF_ENOMEM;
                goto out_close;
            }
            text = nt;
            cap = ncap;
        }
        size_t got = fread(text + len, 1, cap - len, f);
        len += got;
        if (got == 0)
            break;
    }
    if (ferror(f)) {
        bf_diag_errorf(diag, path, 0, 0, NULL, "cannot read the scenario file");
        rc = BF_EIO;
        goto out_close;
    }
    /* The folder of the file resolves relative paths inside it. */
    char *dir = strdup(path);
    if (!dir) {
        rc = BF_ENOMEM;
        goto out_close;
    }
    char *slash = strrchr(dir, '/');
    if (slash)
        slash[slash == dir ? 1 : 0] = '\0';
    else
        dir[0] = '\0';
    rc = bf_sim_scenario_parse(text, len, path, dir, out, diag);
    free(dir);
out_close:
    fclose(f);
    free(text);
    return rc;
}

void bf_sim_scenario_destroy(struct bf_sim_scenario *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n_targets; i++) {
        free(s->targets[i].wp);
        free(s->targets[i].leg_speed_mps);
    }
    free(s->targets);
    free(s->radars);
    bf_sim_features_destroy(s->features);
    bf_sim_sensors_destroy(s);
    bf_sim_units_free(s);
    bf_sim_terrain_destroy(s);
    bf_geo_zones_destroy(s->zones);
    bf_geo_frame_destroy(s->frame);
    bf_json_doc_destroy(s->doc);
    free(s->zones_path);
    free(s->path);
    free(s);
}

int bf_sim_scenario_target_find(const struct bf_sim_scenario *s, const char *id)
{
    for (size_t i = 0; i < s->n_targets; i++)
        if (s->targets[i].id && strcmp(s->targets[i].id, id) == 0)
            return (int)i;
    return -1;
}
