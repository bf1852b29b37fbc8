/*
 * scenario_sensors.c - the scenario's emulated ground sensors and cameras
 * (docs/scenario.md, "Ground sensors and cameras").
 *
 * Two top-level arrays, "ground_sensors" and "cameras", read with the same
 * rules as the rest of the scenario (sim/scenario.c): every mistake at once,
 * each with file:line:col, the JSON path and what was expected; unknown keys
 * are errors.  An id names the sensor in its MQTT topic and in the events of
 * the scenario, so it must be unique among radars, ground sensors and
 * cameras.  Once the frame exists, bf_sim_sensors_prepare() projects every
 * position to the local frame, takes the grid convergence at each sensor
 * (the ground sensors' bearings are true bearings, the truth is on the grid)
 * and resolves key files against the scenario's folder.
 *
 * The arrays belong to the scenario; their strings are borrowed from its
 * JSON document except hmac_key_path, which is malloc'd here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/bf_detection.h"
#include "core/bf_error.h"
#include "core/bf_json.h"
#include "geo/geo.h"
#include "sensors/ugs.h"
#include "sim/sim.h"

_Static_assert(BF_SIM_CLASSES == BF_CLASS_COUNT, "radius_m is indexed by enum bf_class");

#define GROUND_MAX 1024
#define CAMERA_MAX 64

struct pctx {
    const struct bf_json_doc *doc;
    struct bf_diag *diag;
    const struct bf_sim_scenario *s;   /* origin and frame, for positions */
};

/* a sensor id as the engine's topics and the UGS codec take it */
static bool is_sensor_id(const char *s)
{
    return bf_sim_is_topic_id(s, true) && strlen(s) <= BF_UGS_ID_MAX;
}

static void get_id(struct pctx *c, const cJSON *node, const char **id)
{
    if (bf_json_get_string(c->doc, c->diag, node, "id", true, id) == 0 && !is_sensor_id(*id))
        bf_json_errorf(c->doc, c->diag, cJSON_GetObjectItemCaseSensitive(node, "id"),
                       "expected an id of at most %d letters, digits, '_', '-' or '.' (it is used "
                       "in the MQTT topic), got \"%s\"", BF_UGS_ID_MAX, *id);
}

/* "radius_m": {"person": 20, "vehicle": 40}: metres per class; classes not named never trigger. */
static void parse_radius(struct pctx *c, const cJSON *node, struct bf_sim_ground_sensor *g)
{
    const cJSON *o;
    if (bf_json_get_object(c->doc, c->diag, node, "radius_m", true, &o) != 0)
        return;
    if (!cJSON_IsObject(o)) {
        char what[96];
        bf_json_describe(o, what, sizeof what);
        bf_json_errorf(c->doc, c->diag, o, "expected an object of metres per class like "
                       "{\"person\": 20, \"vehicle\": 40, \"animal\": 15}, got %s", what);
        return;
    }
    const char *keys[BF_CLASS_COUNT + 1];
    for (int k = 0; k < BF_CLASS_COUNT; k++)
        keys[k] = bf_class_names[k];
    keys[BF_CLASS_COUNT] = NULL;
    bf_json_check_keys(c->doc, c->diag, o, keys);
    int named = 0;
    for (int k = 0; k < BF_CLASS_COUNT; k++) {
        g->radius_m[k] = 0;
        if (cJSON_GetObjectItemCaseSensitive(o, bf_class_names[k])) {
            bf_json_get_number(c->doc, c->diag, o, bf_class_names[k], false, 0.1, 10000,
                               &g->radius_m[k]);
            named++;
        }
    }
    if (named == 0)
        bf_json_errorf(c->doc, c->diag, o, "expected at least one class with its trigger radius, "
                       "like {\"person\": 20}");
}

static void parse_ground(struct pctx *c, const cJSON *node, struct bf_sim_ground_sensor *g)
{
    static const char *const keys[] = {"id", "lat", "lon", "e_m", "n_m", "type", "radius_m", "pd",
                                       "false_per_hour", "heartbeat_s", "bearing",
                                       "sigma_bearing_deg", "hmac_key_file", NULL};
    static const char *const types[] = {"seismic", "acoustic", "pir", "magnetic", NULL};
    if (!cJSON_IsObject(node)) {
        char what[96];
        bf_json_describe(node, what, sizeof what);
        bf_json_errorf(c->doc, c->diag, node, "expected a ground sensor object, got %s", what);
        return;
    }
    bf_json_check_keys(c->doc, c->diag, node, keys);
    get_id(c, node, &g->id);
    bf_sim_position_keys(c->doc, c->diag, node, c->s, &g->lat_deg, &g->lon_deg);
    int type = 0;
    if (bf_json_get_enum(c->doc, c->diag, node, "type", true, types, &type) == 0)
        g->type = bf_ugs_type_from_name(types[type]);
    parse_radius(c, node, g);
    g->pd = 0.9;
    bf_json_get_number(c->doc, c->diag, node, "pd", false, 0, 1, &g->pd);
    g->false_per_hour = 1;
    bf_json_get_number(c->doc, c->diag, node, "false_per_hour", false, 0, 3600, &g->false_per_hour);
    g->heartbeat_s = 60;
    bf_json_get_number(c->doc, c->diag, node, "heartbeat_s", false, 1, 86400, &g->heartbeat_s);
    g->bearing = false;
    bf_json_get_bool(c->doc, c->diag, node, "bearing", false, &g->bearing);
    g->sigma_bearing_deg = 5;
    const cJSON *sb = cJSON_GetObjectItemCaseSensitive(node, "sigma_bearing_deg");
    if (sb && bf_json_get_number(c->doc, c->diag, node, "sigma_bearing_deg", false, 0.01, 90,
                                 &g->sigma_bearing_deg) == 0 && !g->bearing)
        bf_json_errorf(c->doc, c->diag, sb, "\"sigma_bearing_deg\" goes with \"bearing\": true "
                       "(a sensor without bearings sends none)");
    g->hmac_key_file = NULL;
    bf_json_get_string(c->doc, c->diag, node, "hmac_key_file", false, &g->hmac_key_file);
}

static void parse_camera(struct pctx *c, const cJSON *node, struct bf_sim_camera *cam)
{
    static const char *const keys[] = {"id", "lat", "lon", "e_m", "n_m", "height_m", "heading_deg",
                                       "tilt_deg",
                                       "hfov_deg", "width", "height", "fps", "port", NULL};
    if (!cJSON_IsObject(node)) {
        char what[96];
        bf_json_describe(node, what, sizeof what);
        bf_json_errorf(c->doc, c->diag, node, "expected a camera object, got %s", what);
        return;
    }
    bf_json_check_keys(c->doc, c->diag, node, keys);
    get_id(c, node, &cam->id);
    bf_sim_position_keys(c->doc, c->diag, node, c->s, &cam->lat_deg, &cam->lon_deg);
    bf_json_get_number(c->doc, c->diag, node, "height_m", true, 0.1, 1000, &cam->height_m);
    bf_json_get_number(c->doc, c->diag, node, "heading_deg", true, -360, 360, &cam->heading_deg);
    cam->tilt_deg = 0;
    bf_json_get_number(c->doc, c->diag, node, "tilt_deg", false, -89, 89, &cam->tilt_deg);
    bf_json_get_number(c->doc, c->diag, node, "hfov_deg", true, 0.5, 170, &cam->hfov_deg);
    int64_t v = 640;
    if (bf_json_get_int(c->doc, c->diag, node, "width", false, 32, 4096, &v) == 0 && v % 4 != 0)
        bf_json_errorf(c->doc, c->diag, cJSON_GetObjectItemCaseSensitive(node, "width"),
                       "expected a width that is a multiple of 4 (GRAY8 rows are padded to 4 "
                       "bytes), got %lld", (long long)v);
    cam->width = (int)v;
    v = 360;
    bf_json_get_int(c->doc, c->diag, node, "height", false, 32, 4096, &v);
    cam->height = (int)v;
    cam->fps = 10;
    bf_json_get_number(c->doc, c->diag, node, "fps", false, 0.1, 120, &cam->fps);
    v = 0;
    if (bf_json_get_int(c->doc, c->diag, node, "port", true, 1, 65535, &v) == 0)
        cam->port = (int)v;
}

/* The first index in ids[0..n) equal to id, or -1. */
static int find_id(const char *const *ids, size_t n, const char *id)
{
    for (size_t i = 0; i < n; i++)
        if (ids[i] && id && strcmp(ids[i], id) == 0)
            return (int)i;
    return -1;
}

/* Ids unique among radars, ground sensors and cameras; camera ports unique. */
static void check_ids(struct pctx *c, const cJSON *jg, const cJSON *jc,
                      const struct bf_sim_scenario *s)
{
    size_t n = s->n_radars + s->n_ground_sensors + s->n_cameras;
    const char **ids = calloc(n ? n : 1, sizeof *ids);
    if (!ids)
        return;
    size_t k = 0;
    for (size_t i = 0; i < s->n_radars; i++)
        ids[k++] = s->radars[i].id;
    for (size_t i = 0; i < s->n_ground_sensors; i++, k++) {
        const char *id = s->ground_sensors[i].id;
        int j = find_id(ids, k, id);
        if (j >= 0)
            bf_json_errorf(c->doc, c->diag,
                           cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(jg, (int)i), "id"),
                           "duplicate sensor id \"%s\" (also %s[%zu]): each sensor needs its own "
                           "topic", id, (size_t)j < s->n_radars ? "radars" : "ground_sensors",
                           (size_t)j < s->n_radars ? (size_t)j : (size_t)j - s->n_radars);
        ids[k] = id;
    }
    for (size_t i = 0; i < s->n_cameras; i++, k++) {
        const char *id = s->cameras[i].id;
        int j = find_id(ids, k, id);
        const cJSON *node = cJSON_GetArrayItem(jc, (int)i);
        if (j >= 0) {
            size_t nr = s->n_radars, ng = s->n_ground_sensors;
            const char *where = (size_t)j < nr ? "radars" : (size_t)j < nr + ng ? "ground_sensors"
                                                                                : "cameras";
            size_t at = (size_t)j < nr ? (size_t)j : (size_t)j < nr + ng ? (size_t)j - nr
                                                                          : (size_t)j - nr - ng;
            bf_json_errorf(c->doc, c->diag, cJSON_GetObjectItemCaseSensitive(node, "id"),
                           "duplicate sensor id \"%s\" (also %s[%zu]): each sensor needs its own "
                           "id", id, where, at);
        }
        ids[k] = id;
        for (size_t q = 0; q < i; q++)
            if (s->cameras[q].port == s->cameras[i].port && s->cameras[i].port > 0) {
                bf_json_errorf(c->doc, c->diag, cJSON_GetObjectItemCaseSensitive(node, "port"),
                               "port %d is already cameras[%zu]'s: each camera serves its video "
                               "on its own port", s->cameras[i].port, q);
                break;
            }
    }
    free(ids);
}

void bf_sim_sensors_parse(const struct bf_json_doc *doc, struct bf_diag *diag, const cJSON *root,
                          struct bf_sim_scenario *s)
{
    struct pctx c = {.doc = doc, .diag = diag, .s = s};
    const cJSON *jg = NULL, *jc = NULL;
    if (bf_json_get_array(doc, diag, root, "ground_sensors", false, &jg) == 0 && jg) {
        int n = cJSON_GetArraySize(jg);
        if (n > GROUND_MAX) {
            bf_json_errorf(doc, diag, jg, "expected at most %d ground sensors, got %d", GROUND_MAX,
                           n);
        } else if (n > 0) {
            s->ground_sensors = calloc((size_t)n, sizeof *s->ground_sensors);
            if (!s->ground_sensors) {
                bf_json_errorf(doc, diag, jg, "out of memory");
                return;
            }
            s->n_ground_sensors = (size_t)n;
            size_t i = 0;
            const cJSON *g;
            cJSON_ArrayForEach(g, jg)
                parse_ground(&c, g, &s->ground_sensors[i++]);
        }
    }
    if (bf_json_get_array(doc, diag, root, "cameras", false, &jc) == 0 && jc) {
        int n = cJSON_GetArraySize(jc);
        if (n > CAMERA_MAX) {
            bf_json_errorf(doc, diag, jc, "expected at most %d cameras, got %d", CAMERA_MAX, n);
        } else if (n > 0) {
            s->cameras = calloc((size_t)n, sizeof *s->cameras);
            if (!s->cameras) {
                bf_json_errorf(doc, diag, jc, "out of memory");
                return;
            }
            s->n_cameras = (size_t)n;
            size_t i = 0;
            const cJSON *cam;
            cJSON_ArrayForEach(cam, jc)
                parse_camera(&c, cam, &s->cameras[i++]);
        }
    }
    check_ids(&c, jg, jc, s);
}

/* dir/rel, or rel itself when it is absolute or dir is empty. malloc'd. */
static char *resolve(const char *dir, const char *rel)
{
    size_t nd = dir ? strlen(dir) : 0, nr = strlen(rel);
    if (rel[0] == '/' || nd == 0)
        return strdup(rel);
    char *p = malloc(nd + nr + 2);
    if (!p)
        return NULL;
    memcpy(p, dir, nd);
    p[nd] = '/';
    memcpy(p + nd + 1, rel, nr + 1);
    return p;
}

int bf_sim_sensors_prepare(struct bf_sim_scenario *s, const cJSON *root, struct bf_diag *diag,
                           const char *base_dir)
{
    int rc = 0;
    const cJSON *jg = cJSON_GetObjectItemCaseSensitive(root, "ground_sensors");
    for (size_t i = 0; i < s->n_ground_sensors; i++) {
        struct bf_sim_ground_sensor *g = &s->ground_sensors[i];
        if (bf_geo_to_local(s->frame, g->lat_deg, g->lon_deg, &g->e_m, &g->n_m) < 0 ||
            bf_geo_convergence(s->frame, g->lat_deg, g->lon_deg, &g->gamma_rad) < 0) {
            bf_json_errorf(s->doc, diag, cJSON_GetArrayItem(jg, (int)i),
                           "cannot project the ground sensor's position to the local frame");
            rc = BF_EPROJ;
        }
        if (g->hmac_key_file && !g->hmac_key_path) {
            g->hmac_key_path = resolve(base_dir, g->hmac_key_file);
            if (!g->hmac_key_path)
                return BF_ENOMEM;
        }
    }
    const cJSON *jc = cJSON_GetObjectItemCaseSensitive(root, "cameras");
    for (size_t i = 0; i < s->n_cameras; i++) {
        struct bf_sim_camera *cam = &s->cameras[i];
        if (bf_geo_to_local(s->frame, cam->lat_deg, cam->lon_deg, &cam->e_m, &cam->n_m) < 0 ||
            bf_geo_convergence(s->frame, cam->lat_deg, cam->lon_deg, &cam->gamma_rad) < 0) {
            bf_json_errorf(s->doc, diag, cJSON_GetArrayItem(jc, (int)i),
                           "cannot project the camera's position to the local frame");
            rc = BF_EPROJ;
        }
    }
    return rc;
}

void bf_sim_sensors_destroy(struct bf_sim_scenario *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n_ground_sensors; i++)
        free(s->ground_sensors[i].hmac_key_path);
    free(s->ground_sensors);
    free(s->cameras);
    s->ground_sensors = NULL;
    s->cameras = NULL;
    s->n_ground_sensors = s->n_cameras = 0;
}

void bf_sim_sensors_print(FILE *f, const struct bf_sim_scenario *s)
{
    for (size_t i = 0; i < s->n_ground_sensors; i++) {
        const struct bf_sim_ground_sensor *g = &s->ground_sensors[i];
        fprintf(f, "ground sensor %-12s %.5f %.5f  %s, pd %.2f/s within", g->id, g->lat_deg,
                g->lon_deg, bf_ugs_type_name((enum bf_ugs_type)g->type), g->pd);
        for (int k = 0; k < BF_CLASS_COUNT; k++)
            if (g->radius_m[k] > 0)
                fprintf(f, " %s %.0f m", bf_class_names[k], g->radius_m[k]);
        fprintf(f, ", %.1f false/h, heartbeat %.0f s", g->false_per_hour, g->heartbeat_s);
        if (g->bearing)
            fprintf(f, ", bearings (sigma %.1f deg)", g->sigma_bearing_deg);
        if (g->hmac_key_file)
            fprintf(f, ", signed (%s)", g->hmac_key_path ? g->hmac_key_path : g->hmac_key_file);
        fprintf(f, "\n");
    }
    for (size_t i = 0; i < s->n_cameras; i++) {
        const struct bf_sim_camera *c = &s->cameras[i];
        fprintf(f, "camera %-12s %.5f %.5f  %.1f m up, heading %.1f deg, tilt %.1f deg, hfov "
                "%.1f deg, %dx%d at %g fps, video on tcp://127.0.0.1:%d\n", c->id, c->lat_deg,
                c->lon_deg, c->height_m, c->heading_deg, c->tilt_deg, c->hfov_deg, c->width,
                c->height, c->fps, c->port);
    }
}
