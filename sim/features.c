/*
 * features.c - the parts of a scenario that make it look like a real border:
 * radar Pd that depends on the target's class and range, vehicles that keep
 * to a road, boats that keep to the water, and scripted events (a sensor
 * going down and coming back, weather, a broker outage).
 *
 * The problem: a hand-written route for a vehicle never quite follows the
 * road, and a boat drawn by hand ends up on land; the simulator should take
 * the road's own polyline and refuse a boat route that leaves its water.  A
 * road-bound target is turned, once the frame exists, into an ordinary route
 * (the stretch of the polyline between from_m and to_m, at one speed), so
 * the truth and everything downstream treat it like any route.  The water
 * check is an even-odd point-in-polygon test on local coordinates: every
 * waypoint must be inside (the legs between them are the author's care, as
 * the docs say).
 *
 * Parsing follows scenario.c: every mistake reported at once through the
 * diagnostics, with file:line:col and the JSON path; unknown keys refused.
 * The event queries live in events.c.
 */
#include "sim/sim.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/bf_error.h"
#include "core/bf_json.h"
#include "geo/geo.h"

/* ---- Pd by class and range ------------------------------------------------ */

double bf_sim_radar_pd(const struct bf_sim_radar *r, int cls, double range_m)
{
    if (!r->pd_shaped)
        return range_m <= r->range_m ? r->pd : 0.0;
    double near = (cls >= 0 && cls < BF_CLASS_COUNT) ? r->pd_class[cls] : r->pd;
    if (!(range_m <= r->range_m))
        return 0.0;
    if (range_m <= r->pd_near_range_m || r->pd_near_range_m >= r->range_m)
        return near;
    double far = r->pd > 0 ? near * r->pd_far / r->pd : near;
    double f = (range_m - r->pd_near_range_m) / (r->range_m - r->pd_near_range_m);
    return near + (far - near) * f;
}

void bf_sim_features_parse_radar(const struct bf_json_doc *doc, struct bf_diag *diag,
                                 const cJSON *node, struct bf_sim_radar *r)
{
    r->pd_shaped = true;
    for (int k = 0; k < BF_CLASS_COUNT; k++)
        r->pd_class[k] = r->pd;
    r->pd_near_range_m = r->range_m;
    r->pd_far = r->pd;
    const cJSON *byc = NULL;
    if (bf_json_get_object(doc, diag, node, "pd_by_class", false, &byc) == 0 && byc) {
        const char *classes[BF_CLASS_COUNT + 1];
        for (int k = 0; k < BF_CLASS_COUNT; k++)
            classes[k] = bf_class_names[k];
        classes[BF_CLASS_COUNT] = NULL;
        bf_json_check_keys(doc, diag, byc, classes);
        for (int k = 0; k < BF_CLASS_COUNT; k++)
            bf_json_get_number(doc, diag, byc, bf_class_names[k], false, 0, 1, &r->pd_class[k]);
    }
    bool have_near = cJSON_GetObjectItemCaseSensitive(node, "pd_near_range_m") != NULL;
    bool have_far = cJSON_GetObjectItemCaseSensitive(node, "pd_far") != NULL;
    if (have_far && !have_near)
        r->pd_near_range_m = 0;   /* a fall-off over the whole range */
    if (bf_json_get_number(doc, diag, node, "pd_near_range_m", false, 0, 1e6,
                           &r->pd_near_range_m) == 0 &&
        have_near && !(r->pd_near_range_m < r->range_m))
        bf_json_errorf(doc, diag, cJSON_GetObjectItemCaseSensitive(node, "pd_near_range_m"),
                       "expected a range below range_m (%g m) where the fall-off starts, got %g",
                       r->range_m, r->pd_near_range_m);
    if (bf_json_get_number(doc, diag, node, "pd_far", false, 0, 1, &r->pd_far) == 0 && have_far &&
        r->pd_far > r->pd)
        bf_json_errorf(doc, diag, cJSON_GetObjectItemCaseSensitive(node, "pd_far"),
                       "expected the Pd at range_m to be at most \"pd\" (%g), got %g", r->pd,
                       r->pd_far);
}

/* ---- shapes --------------------------------------------------------------- */

bool bf_sim_shape_contains(const struct bf_sim_shape *w, double e_m, double n_m)
{
    bool in = false;
    for (size_t i = 0, j = w->n - 1; i < w->n; j = i++) {
        double ei = w->e_m[i], ni = w->n_m[i], ej = w->e_m[j], nj = w->n_m[j];
        if ((ni > n_m) != (nj > n_m) && e_m < (ej - ei) * (n_m - ni) / (nj - ni) + ei)
            in = !in;
    }
    return in;
}

void bf_sim_road_point(const struct bf_sim_shape *road, double s_m, double *e_m, double *n_m)
{
    *e_m = road->e_m[0];
    *n_m = road->n_m[0];
    if (s_m <= 0)
        return;
    double acc = 0;
    for (size_t k = 0; k + 1 < road->n; k++) {
        double de = road->e_m[k + 1] - road->e_m[k], dn = road->n_m[k + 1] - road->n_m[k];
        double d = hypot(de, dn);
        if (d > 0 && s_m <= acc + d) {
            double f = (s_m - acc) / d;
            *e_m = road->e_m[k] + f * de;
            *n_m = road->n_m[k] + f * dn;
            return;
        }
        acc += d;
    }
    *e_m = road->e_m[road->n - 1];
    *n_m = road->n_m[road->n - 1];
}

static void shape_free(struct bf_sim_shape *sh)
{
    free(sh->lat_deg);
    free(sh->lon_deg);
    free(sh->e_m);
    free(sh->n_m);
}

void bf_sim_features_destroy(struct bf_sim_features *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->n_roads; i++)
        shape_free(&f->roads[i]);
    for (size_t i = 0; i < f->n_water; i++)
        shape_free(&f->water[i]);
    free(f->roads);
    free(f->water);
    free(f->events);
    free(f);
}

/* A position of the scenario (bf_sim_position_parse); reports and returns false unless valid. */
static bool latlon(const struct bf_json_doc *doc, struct bf_diag *diag, const cJSON *node,
                   const struct bf_sim_scenario *sc, double *lat, double *lon)
{
    return bf_sim_position_parse(doc, diag, node, sc, lat, lon) == 0;
}

/*
 * "roads" or "water": {"name": [[lat, lon], ...], ...} into *out.  min_pts:
 * 2 for a road, 3 for a polygon (whose closing vertex, if given, is dropped).
 */
static void parse_shapes(const struct bf_json_doc *doc, struct bf_diag *diag, const cJSON *root,
                         const struct bf_sim_scenario *sc, const char *key, size_t min_pts,
                         struct bf_sim_shape **out, size_t *n_out)
{
    const cJSON *obj = NULL;
    if (bf_json_get_object(doc, diag, root, key, false, &obj) != 0 || !obj)
        return;
    if (!cJSON_IsObject(obj)) {
        bf_json_errorf(doc, diag, obj, "expected an object {\"<name>\": [[lat, lon], ...], ...}");
        return;
    }
    int n = cJSON_GetArraySize(obj);
    if (n == 0)
        return;
    struct bf_sim_shape *sh = calloc((size_t)n, sizeof *sh);
    if (!sh) {
        bf_json_errorf(doc, diag, obj, "out of memory");
        return;
    }
    *out = sh;
    *n_out = (size_t)n;
    size_t i = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, obj) {
        struct bf_sim_shape *s = &sh[i++];
        s->name = it->string;
        int m = cJSON_GetArraySize(it);
        if (!cJSON_IsArray(it) || (size_t)m < min_pts) {
            char what[96];
            bf_json_describe(it, what, sizeof what);
            bf_json_errorf(doc, diag, it, "expected %s of at least %zu points [[lat, lon], ...], "
                           "got %s", min_pts == 2 ? "a polyline" : "a polygon", min_pts, what);
            continue;
        }
        s->lat_deg = calloc((size_t)m, sizeof *s->lat_deg);
        s->lon_deg = calloc((size_t)m, sizeof *s->lon_deg);
        s->e_m = calloc((size_t)m, sizeof *s->e_m);
        s->n_m = calloc((size_t)m, sizeof *s->n_m);
        if (!s->lat_deg || !s->lon_deg || !s->e_m || !s->n_m) {
            bf_json_errorf(doc, diag, it, "out of memory");
            continue;
        }
        const cJSON *p;
        cJSON_ArrayForEach(p, it) {
            if (latlon(doc, diag, p, sc, &s->lat_deg[s->n], &s->lon_deg[s->n]))
                s->n++;
        }
        if (min_pts >= 3 && s->n > 3 && s->lat_deg[0] == s->lat_deg[s->n - 1] &&
            s->lon_deg[0] == s->lon_deg[s->n - 1])
            s->n--;   /* closed ring as in GeoJSON: drop the repeat */
    }
}

static const struct bf_sim_shape *shape_find(const struct bf_sim_shape *sh, size_t n,
                                             const char *name)
{
    for (size_t i = 0; name && i < n; i++)
        if (sh[i].name && strcmp(sh[i].name, name) == 0)
            return &sh[i];
    return NULL;
}

bool bf_sim_features_parse_target(const struct bf_json_doc *doc, struct bf_diag *diag,
                                  const cJSON *node, struct bf_sim_target *t)
{
    t->water = NULL;
    bf_json_get_string(doc, diag, node, "water", false, &t->water);
    t->road = NULL;
    if (!cJSON_GetObjectItemCaseSensitive(node, "road")) {
        static const char *const road_only[] = {"from_m", "to_m", NULL};
        for (const char *const *k = road_only; *k; k++) {
            const cJSON *x = cJSON_GetObjectItemCaseSensitive(node, *k);
            if (x)
                bf_json_errorf(doc, diag, x, "\"%s\" is only for a target on a \"road\"", *k);
        }
        return false;
    }
    bf_json_get_string(doc, diag, node, "road", true, &t->road);
    t->motion = BF_SIM_MOTION_ROUTE;
    t->road_from_m = 0;
    t->road_to_m = -1;   /* the road's end, known once projected */
    bf_json_get_number(doc, diag, node, "from_m", false, 0, 1e7, &t->road_from_m);
    bf_json_get_number(doc, diag, node, "to_m", false, 0, 1e7, &t->road_to_m);
    double speed = 0;
    bf_json_get_number(doc, diag, node, "speed_mps", true, 0.01, 1000, &speed);
    t->leg_speed_mps = NULL;
    /* the route is built in bf_sim_features_prepare; one speed for every leg */
    t->speed_mps = speed;
    static const char *const not_road[] = {"waypoints", "pause_s", "home", "radius_m", "water",
                                           NULL};
    for (const char *const *k = not_road; *k; k++) {
        const cJSON *x = cJSON_GetObjectItemCaseSensitive(node, *k);
        if (x)
            bf_json_errorf(doc, diag, x, "\"%s\" cannot be used with \"road\" (the target follows "
                           "the road from from_m to to_m)", *k);
    }
    const cJSON *mo = cJSON_GetObjectItemCaseSensitive(node, "motion");
    if (cJSON_IsString(mo) && strcmp(mo->valuestring, "route") != 0)
        bf_json_errorf(doc, diag, mo, "a target on a \"road\" moves as a \"route\"");
    return true;
}

/* Is id one of the "id"s of the array root[key] (if that array exists)? */
static bool id_in(const cJSON *root, const char *key, const char *id)
{
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(root, key), *it;
    cJSON_ArrayForEach(it, arr) {
        const cJSON *x = cJSON_GetObjectItemCaseSensitive(it, "id");
        if (cJSON_IsString(x) && strcmp(x->valuestring, id) == 0)
            return true;
    }
    return false;
}

static void parse_event(const struct bf_json_doc *doc, struct bf_diag *diag, const cJSON *root,
                        const struct bf_sim_scenario *sc, const cJSON *node, double duration_s,
                        struct bf_sim_event *ev)
{
    static const char *const types[] = {"sensor_down", "sensor_up", "weather", "broker_outage",
                                        NULL};
    static const char *const k_sensor[] = {"at_s", "type", "sensor", NULL};
    static const char *const k_weather[] = {"at_s", "type", "duration_s", "center", "radius_m",
                                            "pd_factor", NULL};
    static const char *const k_outage[] = {"at_s", "type", "duration_s", NULL};
    if (!cJSON_IsObject(node)) {
        char what[96];
        bf_json_describe(node, what, sizeof what);
        bf_json_errorf(doc, diag, node, "expected an event object {\"at_s\": .., \"type\": ..}, "
                       "got %s", what);
        return;
    }
    if (bf_json_get_number(doc, diag, node, "at_s", true, 0, 1e7, &ev->at_s) == 0 &&
        duration_s > 0 && ev->at_s >= duration_s)
        bf_json_errorf(doc, diag, cJSON_GetObjectItemCaseSensitive(node, "at_s"),
                       "expected a time before the end of the scenario (duration_s %g), got %g",
                       duration_s, ev->at_s);
    int type = -1;
    if (bf_json_get_enum(doc, diag, node, "type", true, types, &type) != 0) {
        return;
    }
    ev->type = (enum bf_sim_event_type)type;
    switch (ev->type) {
    case BF_SIM_EVENT_SENSOR_DOWN:
    case BF_SIM_EVENT_SENSOR_UP:
        bf_json_check_keys(doc, diag, node, k_sensor);
        if (bf_json_get_string(doc, diag, node, "sensor", true, &ev->sensor) == 0 &&
            !id_in(root, "radars", ev->sensor) && !id_in(root, "ground_sensors", ev->sensor) &&
            !id_in(root, "cameras", ev->sensor))
            bf_json_errorf(doc, diag, cJSON_GetObjectItemCaseSensitive(node, "sensor"),
                           "expected the id of a radar, ground sensor or camera of this scenario, "
                           "got \"%s\"", ev->sensor);
        break;
    case BF_SIM_EVENT_WEATHER: {
        bf_json_check_keys(doc, diag, node, k_weather);
        bf_json_get_number(doc, diag, node, "duration_s", true, 0.001, 1e7, &ev->duration_s);
        const cJSON *c = cJSON_GetObjectItemCaseSensitive(node, "center");
        if (!c)
            bf_json_errorf(doc, diag, node, "missing \"center\": the weather disc's centre as "
                           "[lat, lon]");
        else
            latlon(doc, diag, c, sc, &ev->lat_deg, &ev->lon_deg);
        bf_json_get_number(doc, diag, node, "radius_m", true, 1, 1e6, &ev->radius_m);
        bf_json_get_number(doc, diag, node, "pd_factor", true, 0, 1, &ev->pd_factor);
        break;
    }
    case BF_SIM_EVENT_BROKER_OUTAGE:
        bf_json_check_keys(doc, diag, node, k_outage);
        bf_json_get_number(doc, diag, node, "duration_s", true, 0.001, 86400, &ev->duration_s);
        break;
    }
}

/* Stable sort by at_s (insertion sort: a handful of events, file order kept among ties). */
static void sort_events(struct bf_sim_event *ev, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        struct bf_sim_event x = ev[i];
        size_t j = i;
        while (j > 0 && ev[j - 1].at_s > x.at_s) {
            ev[j] = ev[j - 1];
            j--;
        }
        ev[j] = x;
    }
}

void bf_sim_features_parse(const struct bf_json_doc *doc, struct bf_diag *diag, const cJSON *root,
                           struct bf_sim_scenario *s)
{
    if (!cJSON_IsObject(root))
        return;
    struct bf_sim_features *f = calloc(1, sizeof *f);
    if (!f) {
        bf_json_errorf(doc, diag, root, "out of memory");
        return;
    }
    s->features = f;
    parse_shapes(doc, diag, root, s, "roads", 2, &f->roads, &f->n_roads);
    parse_shapes(doc, diag, root, s, "water", 3, &f->water, &f->n_water);

    const cJSON *jt = cJSON_GetObjectItemCaseSensitive(root, "targets");
    for (size_t i = 0; i < s->n_targets; i++) {
        struct bf_sim_target *t = &s->targets[i];
        const cJSON *tn = cJSON_GetArrayItem(jt, (int)i);
        if (t->road && !shape_find(f->roads, f->n_roads, t->road))
            bf_json_errorf(doc, diag, cJSON_GetObjectItemCaseSensitive(tn, "road"),
                           "expected the name of a road in \"roads\", got \"%s\"", t->road);
        if (t->water) {
            if (!shape_find(f->water, f->n_water, t->water))
                bf_json_errorf(doc, diag, cJSON_GetObjectItemCaseSensitive(tn, "water"),
                               "expected the name of a water body in \"water\", got \"%s\"",
                               t->water);
            if (t->cls && strcmp(t->cls, "vessel") != 0)
                bf_json_errorf(doc, diag, cJSON_GetObjectItemCaseSensitive(tn, "class"),
                               "a target on \"water\" must be of class \"vessel\", got \"%s\"",
                               t->cls);
            if (t->motion != BF_SIM_MOTION_ROUTE)
                bf_json_errorf(doc, diag, cJSON_GetObjectItemCaseSensitive(tn, "water"),
                               "a boat on \"water\" follows a route of waypoints, not a random "
                               "walk");
        }
    }

    const cJSON *evs = NULL;
    if (bf_json_get_array(doc, diag, root, "events", false, &evs) != 0 || !evs)
        return;
    int n = cJSON_GetArraySize(evs);
    if (n == 0)
        return;
    f->events = calloc((size_t)n, sizeof *f->events);
    if (!f->events) {
        bf_json_errorf(doc, diag, evs, "out of memory");
        return;
    }
    f->n_events = (size_t)n;
    size_t i = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, evs) {
        f->events[i].type = (enum bf_sim_event_type)-1;
        parse_event(doc, diag, root, s, e, s->duration_s, &f->events[i]);
        i++;
    }
    sort_events(f->events, f->n_events);
}

/* Project a shape's vertices; false when one cannot be. */
static bool project_shape(struct bf_geo_frame *fr, struct bf_sim_shape *sh)
{
    sh->length_m = 0;
    for (size_t k = 0; k < sh->n; k++) {
        if (bf_geo_to_local(fr, sh->lat_deg[k], sh->lon_deg[k], &sh->e_m[k], &sh->n_m[k]) < 0)
            return false;
        if (k > 0)
            sh->length_m += hypot(sh->e_m[k] - sh->e_m[k - 1], sh->n_m[k] - sh->n_m[k - 1]);
    }
    return true;
}

/* The route of a road-bound target: from_m to to_m along the road. */
static int build_road_route(struct bf_geo_frame *fr, const struct bf_sim_shape *road,
                            struct bf_sim_target *t)
{
    double a = t->road_from_m, b = t->road_to_m;
    size_t n = 2;
    double acc = 0;
    for (size_t k = 1; k + 1 < road->n; k++) {   /* interior vertices strictly between */
        acc += hypot(road->e_m[k] - road->e_m[k - 1], road->n_m[k] - road->n_m[k - 1]);
        if ((acc > a && acc < b) || (acc > b && acc < a))
            n++;
    }
    t->wp = calloc(n, sizeof *t->wp);
    t->leg_speed_mps = calloc(n - 1, sizeof *t->leg_speed_mps);
    if (!t->wp || !t->leg_speed_mps)
        return BF_ENOMEM;
    t->n_wp = n;
    size_t w = 0;
    bf_sim_road_point(road, a, &t->wp[w].e_m, &t->wp[w].n_m);
    w++;
    if (a < b) {
        acc = 0;
        for (size_t k = 1; k + 1 < road->n; k++) {
            acc += hypot(road->e_m[k] - road->e_m[k - 1], road->n_m[k] - road->n_m[k - 1]);
            if (acc > a && acc < b) {
                t->wp[w].e_m = road->e_m[k];
                t->wp[w].n_m = road->n_m[k];
                w++;
            }
        }
    } else {
        acc = road->length_m;
        for (size_t k = road->n - 2; k >= 1; k--) {
            acc -= hypot(road->e_m[k + 1] - road->e_m[k], road->n_m[k + 1] - road->n_m[k]);
            if (acc > b && acc < a) {
                t->wp[w].e_m = road->e_m[k];
                t->wp[w].n_m = road->n_m[k];
                w++;
            }
        }
    }
    bf_sim_road_point(road, b, &t->wp[w].e_m, &t->wp[w].n_m);
    w++;
    t->n_wp = w;
    for (size_t k = 0; k < t->n_wp; k++)
        if (bf_geo_to_wgs84(fr, t->wp[k].e_m, t->wp[k].n_m, &t->wp[k].lat_deg,
                            &t->wp[k].lon_deg) < 0)
            return BF_EPROJ;
    for (size_t k = 0; k + 1 < t->n_wp; k++)
        t->leg_speed_mps[k] = t->speed_mps;
    return 0;
}

int bf_sim_features_prepare(struct bf_sim_scenario *s, const cJSON *root, struct bf_diag *diag)
{
    struct bf_sim_features *f = s->features;
    if (!f)
        return 0;
    const struct bf_json_doc *doc = s->doc;
    int rc = 0;
    const cJSON *jroads = cJSON_GetObjectItemCaseSensitive(root, "roads");
    const cJSON *jwater = cJSON_GetObjectItemCaseSensitive(root, "water");
    for (size_t i = 0; i < f->n_roads; i++) {
        if (!project_shape(s->frame, &f->roads[i])) {
            bf_json_errorf(doc, diag, cJSON_GetObjectItemCaseSensitive(jroads, f->roads[i].name),
                           "cannot project the road to the local frame");
            rc = BF_EPROJ;
        } else if (!(f->roads[i].length_m > 0)) {
            bf_json_errorf(doc, diag, cJSON_GetObjectItemCaseSensitive(jroads, f->roads[i].name),
                           "expected a road of non-zero length");
            rc = BF_EINVAL;
        }
    }
    for (size_t i = 0; i < f->n_water; i++)
        if (!project_shape(s->frame, &f->water[i])) {
            bf_json_errorf(doc, diag, cJSON_GetObjectItemCaseSensitive(jwater, f->water[i].name),
                           "cannot project the water polygon to the local frame");
            rc = BF_EPROJ;
        }
    const cJSON *jev = cJSON_GetObjectItemCaseSensitive(root, "events");
    for (size_t i = 0; i < f->n_events; i++) {
        struct bf_sim_event *ev = &f->events[i];
        if (ev->type == BF_SIM_EVENT_WEATHER &&
            bf_geo_to_local(s->frame, ev->lat_deg, ev->lon_deg, &ev->e_m, &ev->n_m) < 0) {
            bf_json_errorf(doc, diag, jev, "cannot project a weather centre to the local frame");
            rc = BF_EPROJ;
        }
    }
    if (rc < 0)
        return rc;
    const cJSON *jt = cJSON_GetObjectItemCaseSensitive(root, "targets");
    for (size_t i = 0; i < s->n_targets; i++) {
        struct bf_sim_target *t = &s->targets[i];
        const cJSON *tn = cJSON_GetArrayItem(jt, (int)i);
        if (t->road) {
            const struct bf_sim_shape *road = shape_find(f->roads, f->n_roads, t->road);
            if (t->road_to_m < 0)
                t->road_to_m = road->length_m;
            const char *bad = t->road_from_m > road->length_m ? "from_m"
                              : t->road_to_m > road->length_m ? "to_m"
                                                              : NULL;
            if (bad) {
                bf_json_errorf(doc, diag, cJSON_GetObjectItemCaseSensitive(tn, bad),
                               "expected a distance along road \"%s\" within [0, %.1f] m", t->road,
                               road->length_m);
                rc = BF_EINVAL;
                continue;
            }
            if (t->road_from_m == t->road_to_m) {
                bf_json_errorf(doc, diag, tn, "\"from_m\" and \"to_m\" are equal: the vehicle "
                               "would not move");
                rc = BF_EINVAL;
                continue;
            }
            int r2 = build_road_route(s->frame, road, t);
            if (r2 < 0) {
                bf_json_errorf(doc, diag, tn, "cannot build the route along road \"%s\": %s",
                               t->road, bf_strerror(r2));
                rc = r2;
            }
        }
        if (t->water) {
            const struct bf_sim_shape *w = shape_find(f->water, f->n_water, t->water);
            const cJSON *jw = cJSON_GetObjectItemCaseSensitive(tn, "waypoints");
            for (size_t k = 0; w && k < t->n_wp; k++)
                if (!bf_sim_shape_contains(w, t->wp[k].e_m, t->wp[k].n_m)) {
                    bf_json_errorf(doc, diag, cJSON_GetArrayItem(jw, (int)k),
                                   "this waypoint of the boat is not on water \"%s\"", t->water);
                    rc = BF_EINVAL;
                }
        }
    }
    return rc;
}

void bf_sim_features_print(FILE *out, const struct bf_sim_scenario *s)
{
    const struct bf_sim_features *f = s->features;
    if (!f)
        return;
    for (size_t i = 0; i < f->n_roads; i++)
        fprintf(out, "road  %-12s %zu vertices, %.0f m\n", f->roads[i].name, f->roads[i].n,
                f->roads[i].length_m);
    for (size_t i = 0; i < f->n_water; i++)
        fprintf(out, "water %-12s polygon of %zu vertices\n", f->water[i].name, f->water[i].n);
    for (size_t i = 0; i < s->n_targets; i++) {
        const struct bf_sim_target *t = &s->targets[i];
        if (t->road)
            fprintf(out, "target %-12s on road %s from %.0f m to %.0f m at %.1f m/s\n", t->id,
                    t->road, t->road_from_m, t->road_to_m, t->speed_mps);
        if (t->water)
            fprintf(out, "target %-12s on water %s (every waypoint checked)\n", t->id, t->water);
    }
    for (size_t i = 0; i < s->n_radars; i++) {
        const struct bf_sim_radar *r = &s->radars[i];
        bool by_class = false;
        for (int k = 0; k < BF_CLASS_COUNT; k++)
            by_class |= r->pd_class[k] != r->pd;
        if (!by_class && r->pd_far == r->pd)
            continue;
        fprintf(out, "radar %-12s Pd", r->id);
        for (int k = 0; k < BF_CLASS_COUNT; k++)
            if (r->pd_class[k] != r->pd)
                fprintf(out, " %s %.2f,", bf_class_names[k], r->pd_class[k]);
        fprintf(out, " others %.2f", r->pd);
        if (r->pd_far != r->pd)
            fprintf(out, "; flat to %.0f m, then falling to x%.2f at %.0f m", r->pd_near_range_m,
                    r->pd > 0 ? r->pd_far / r->pd : 1.0, r->range_m);
        fprintf(out, "\n");
    }
    if (f->n_events)
        fprintf(out, "events: %zu\n", f->n_events);
    for (size_t i = 0; i < f->n_events; i++) {
        char line[256];
        bf_sim_event_describe(&f->events[i], line, sizeof line);
        fprintf(out, "  at %7.1f s  %s\n", f->events[i].at_s, line);
    }
}
