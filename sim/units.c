/*
 * units.c - response units in a scenario: patrol vehicles and foot patrols
 * that drive or walk their route and report their position for dispatch.
 *
 * The problem: dispatch needs the positions of its own units next to the
 * incursions, and an exercise must move them.  In the field each unit's GPS
 * feeds gpsd and the engine's gps plugin publishes the unit on
 * borderfuse/<site>/units/<id> (docs/gps.md); the simulator publishes the
 * very same message on the same topic (retained, QoS 0), so the centre cannot
 * tell a simulated unit from a real one.  Units are our own: no sensor of
 * the scenario detects them (they are not targets).
 *
 *   "units": [{"id": "patrol-7", "waypoints": [[lat, lon], ...], "speed_mps": 12,
 *              "start_s": 0, "report_s": 1}]
 *
 * A unit waits at its first waypoint until start_s, then moves along the
 * waypoints at speed_mps and stays at the last one; while it stands its
 * course is unknown (null), as a GPS reports it.  Its message at time t is a
 * pure function of the scenario and t.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/bf_error.h"
#include "core/bf_json.h"
#include "geo/geo.h"
#include "sim/sim.h"

#define UNITS_MAX 256

static void parse_unit(const struct bf_json_doc *doc, struct bf_diag *diag, const cJSON *node,
                       const struct bf_sim_scenario *s, struct bf_sim_unit *u)
{
    static const char *const keys[] = {"id", "waypoints", "speed_mps", "start_s", "report_s", NULL};
    if (!cJSON_IsObject(node)) {
        bf_json_errorf(doc, diag, node, "expected a unit {\"id\": ..., \"waypoints\": [[lat, "
                       "lon], ...], \"speed_mps\": ...}");
        return;
    }
    bf_json_check_keys(doc, diag, node, keys);
    if (bf_json_get_string(doc, diag, node, "id", true, &u->id) == 0 &&
        !(bf_sim_is_topic_id(u->id, true) && strlen(u->id) <= 64))
        bf_json_errorf(doc, diag, cJSON_GetObjectItemCaseSensitive(node, "id"),
                       "expected an id of 1 to 64 letters, digits, '_', '-' or '.' (it is used in "
                       "the topic borderfuse/<site>/units/<id>), got \"%s\"", u->id);
    u->speed_mps = 0;
    bf_json_get_number(doc, diag, node, "speed_mps", false, 0, 100, &u->speed_mps);
    bf_json_get_number(doc, diag, node, "start_s", false, 0, 604800, &u->start_s);
    u->report_s = 1.0;
    bf_json_get_number(doc, diag, node, "report_s", false, 0.1, 3600, &u->report_s);
    const cJSON *wp = NULL;
    if (bf_json_get_array(doc, diag, node, "waypoints", true, &wp) != 0 || !wp)
        return;
    int n = cJSON_GetArraySize(wp);
    if (n < 1 || n > 1000) {
        bf_json_errorf(doc, diag, wp, "expected 1 to 1000 waypoints [[lat, lon], ...], got %d", n);
        return;
    }
    if (n > 1 && !(u->speed_mps > 0))
        bf_json_errorf(doc, diag, node, "a unit with a route needs \"speed_mps\" > 0");
    u->lat = calloc((size_t)n, sizeof *u->lat);
    u->lon = calloc((size_t)n, sizeof *u->lon);
    if (!u->lat || !u->lon) {
        bf_json_errorf(doc, diag, wp, "out of memory");
        return;
    }
    u->n_wp = (size_t)n;
    size_t i = 0;
    const cJSON *p;
    cJSON_ArrayForEach(p, wp)
    {
        bf_sim_position_parse(doc, diag, p, s, &u->lat[i], &u->lon[i]);   /* [lat, lon], ... */
        i++;
    }
}

void bf_sim_units_parse(const struct bf_json_doc *doc, struct bf_diag *diag, const cJSON *root,
                        struct bf_sim_scenario *s)
{
    const cJSON *arr = NULL;
    if (bf_json_get_array(doc, diag, root, "units", false, &arr) != 0 || !arr)
        return;
    int n = cJSON_GetArraySize(arr);
    if (n > UNITS_MAX) {
        bf_json_errorf(doc, diag, arr, "expected at most %d units, got %d", UNITS_MAX, n);
        return;
    }
    if (n == 0)
        return;
    s->units = calloc((size_t)n, sizeof *s->units);
    if (!s->units) {
        bf_json_errorf(doc, diag, arr, "out of memory");
        return;
    }
    s->n_units = (size_t)n;
    size_t i = 0;
    const cJSON *u;
    cJSON_ArrayForEach(u, arr)
    {
        parse_unit(doc, diag, u, s, &s->units[i]);
        for (size_t j = 0; j < i && s->units[i].id; j++)
            if (s->units[j].id && strcmp(s->units[j].id, s->units[i].id) == 0)
                bf_json_errorf(doc, diag, cJSON_GetObjectItemCaseSensitive(u, "id"),
                               "duplicate unit id \"%s\"", s->units[i].id);
        i++;
    }
}

void bf_sim_units_free(struct bf_sim_scenario *s)
{
    for (size_t i = 0; i < s->n_units; i++) {
        free(s->units[i].lat);
        free(s->units[i].lon);
    }
    free(s->units);
    s->units = NULL;
    s->n_units = 0;
}

int bf_sim_unit_at(const struct bf_sim_scenario *s, size_t k, double t_s, double *lat,
                   double *lon, double *speed_mps, double *track_deg)
{
    if (!s || k >= s->n_units || !s->frame)
        return BF_EINVAL;
    const struct bf_sim_unit *u = &s->units[k];
    double d = u->n_wp > 1 && t_s > u->start_s ? (t_s - u->start_s) * u->speed_mps : 0.0;
    *lat = u->lat[0];
    *lon = u->lon[0];
    *speed_mps = 0;
    *track_deg = NAN;
    if (!(d > 0))
        return 0;   /* not left yet (or a post): no course */
    for (size_t i = 0; i + 1 < u->n_wp; i++) {
        double ae, an, be, bn;
        if (bf_geo_to_local(s->frame, u->lat[i], u->lon[i], &ae, &an) < 0 ||
            bf_geo_to_local(s->frame, u->lat[i + 1], u->lon[i + 1], &be, &bn) < 0)
            return BF_EPROJ;
        double len = hypot(be - ae, bn - an);
        if (d <= len) {
            double w = len > 0 ? d / len : 0;
            *speed_mps = t_s > u->start_s ? u->speed_mps : 0;
            int rc = bf_geo_to_wgs84(s->frame, ae + w * (be - ae), an + w * (bn - an), lat, lon);
            if (rc < 0)
                return rc;
            /* a GPS course is from true north: the leg's grid direction turned by the
             * convergence here; rounded as sent (2 decimals), so never 360.00 */
            double ve, vn;
            bf_geo_true_velocity(s->frame, *lat, *lon, be - ae, bn - an, &ve, &vn);
            *track_deg = bf_geo_heading_deg(ve, vn, 2);
            return 0;
        }
        d -= len;
        *lat = u->lat[i + 1];   /* past this leg: at least at its end */
        *lon = u->lon[i + 1];
    }
    return 0;   /* at the last waypoint, stopped: no course */
}

int bf_sim_unit_message(const struct bf_sim_scenario *s, size_t k, double t_s, char *buf,
                        size_t len)
{
    double lat, lon, v, trk;
    int rc = bf_sim_unit_at(s, k, t_s, &lat, &lon, &v, &trk);
    if (rc < 0)
        return rc;
    char when[BF_TIME_ISO_LEN], track[32];
    bf_time_format_iso(s->start_us + bf_time_from_s(t_s), when, sizeof when);
    if (isfinite(trk))
        snprintf(track, sizeof track, "%.2f", trk);
    else
        snprintf(track, sizeof track, "null");
    int n = snprintf(buf, len,
                     "{\"id\":\"%s\",\"time\":\"%s\",\"lat\":%.8f,\"lon\":%.8f,\"alt_m\":null,"
                     "\"speed_mps\":%.3f,\"track_deg\":%s,\"mode\":2%s}",
                     s->units[k].id, when, lat, lon, v, track, s->exercise ? ",\"exercise\":true" : "");
    return n < 0 || (size_t)n >= len ? BF_ERANGE : n;
}
