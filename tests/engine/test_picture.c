/*
 * test_picture.c - the track picture's entries (bf_engine_track_json) and the
 * heading rule every output shares.
 *
 * Headings are degrees clockwise from TRUE north in [0, 360) as printed.  The
 * local frame's north is grid north, which differs from true north by the
 * grid convergence: in a UTM frame at 3.5 degrees of longitude from the
 * central meridian and 46.8 N it is about 2.5 degrees.  The picture, CoT and
 * the alerts must all say the same true heading; here the truth is taken from
 * geography itself: the azimuth of the ellipsoid from the track's position to
 * where its velocity takes it one second later.  Then: rounding never
 * prints 360, a radar test target is marked ("test": true, CoT remarks and
 * detail element) or left out of the picture by configuration, and
 * engine.test_tracks is parsed with its default.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "alerts/alerts.h"
#include "cot/cot.h"
#include "bf_test.h"
#include "core/bf_diag.h"
#include "core/bf_error.h"
#include "engine/config.h"
#include "engine/engine.h"
#include "geo/geo.h"

#define DEG (M_PI / 180.0)

static struct bf_geo_frame *utm;   /* EPSG:32632, origin 46.8 N 12.5 E: 3.5 deg east of 9 E */

static int setup(void)
{
    char err[256];
    return bf_geo_frame_create(46.8, 12.5, "EPSG:32632", &utm, err, sizeof err) == 0 ? 0 : -1;
}

static int teardown(void)
{
    bf_geo_frame_destroy(utm);
    return 0;
}

static void make_track(struct bf_track *t, double e, double n, double vx, double vy)
{
    memset(t, 0, sizeof *t);
    t->id = 42;
    t->status = BF_TRACK_CONFIRMED;
    t->t_us = INT64_C(1772330400000000);
    t->first_us = t->t_us;
    t->x[0] = e;
    t->x[1] = n;
    t->x[2] = vx;
    t->x[3] = vy;
    t->P[0] = t->P[5] = 25.0;
    t->P[10] = t->P[15] = 1.0;
    for (int k = 0; k < BF_CLASS_COUNT; k++)
        t->class_p[k] = 1.0f / BF_CLASS_COUNT;
    t->class_p[BF_CLASS_PERSON] = 0.7f;
    t->n_hits = 9;
    t->sensors = 1;
}

/*
 * Azimuth from (lat1, lon1) to a point a few metres away (lat2, lon2), degrees
 * clockwise from true north in [0, 360), on the WGS84 ellipsoid: the
 * displacement in metres east (N cos(lat) dlon) and north (M dlat), M and N
 * the meridian and prime-vertical radii of curvature.
 */
static double azimuth_deg(double lat1, double lon1, double lat2, double lon2)
{
    const double a = 6378137.0, e2 = 0.00669437999014;
    double phi = 0.5 * (lat1 + lat2) * DEG, w = 1.0 - e2 * sin(phi) * sin(phi);
    double m = a * (1.0 - e2) / (w * sqrt(w)), n = a / sqrt(w);
    double de = (lon2 - lon1) * DEG * n * cos(phi), dn = (lat2 - lat1) * DEG * m;
    double az = atan2(de, dn) / DEG;
    return az < 0 ? az + 360.0 : az;
}

static double num(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    CU_ASSERT_TRUE_FATAL(cJSON_IsNumber(v));
    return v->valuedouble;
}

/* Angular difference a - b folded into (-180, 180]. */
static double ang_diff(double a, double b)
{
    double d = fmod(a - b, 360.0);
    if (d <= -180.0)
        d += 360.0;
    if (d > 180.0)
        d -= 360.0;
    return d;
}

static double cot_course(const struct bf_track *t)
{
    struct bf_cot_params p;
    bf_cot_params_default(&p);
    const char *ids[] = {"radar-a"};
    char buf[BF_COT_EVENT_MAX];
    int n = bf_cot_track(t, "it", utm, ids, 1, &p, buf, sizeof buf);
    CU_ASSERT_TRUE_FATAL(n > 0);
    const char *c = strstr(buf, "course=\"");
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    return atof(c + 8);
}

static void test_true_north_in_utm(void)
{
    /* a track 2 km east, 1 km north of the origin walking due GRID north at 5 m/s */
    struct bf_track t;
    make_track(&t, 2000.0, 1000.0, 0.0, 5.0);
    double lat, lon, gamma;
    CU_ASSERT_EQUAL_FATAL(bf_geo_to_wgs84(utm, t.x[0], t.x[1], &lat, &lon), 0);
    CU_ASSERT_EQUAL_FATAL(bf_geo_convergence(utm, lat, lon, &gamma), 0);
    double lat2, lon2;
    CU_ASSERT_EQUAL_FATAL(bf_geo_to_wgs84(utm, t.x[0] + t.x[2], t.x[1] + t.x[3], &lat2, &lon2), 0);
    double truth = azimuth_deg(lat, lon, lat2, lon2);
    cJSON *o = bf_engine_track_json(&t, utm, false);
    CU_ASSERT_PTR_NOT_NULL_FATAL(o);
    double hdg = num(o, "heading_deg");
    double course = cot_course(&t);
    printf("\n    UTM 32N at %.4f N %.4f E: convergence %.3f deg; grid north walker: true azimuth "
           "%.3f, picture %.1f, CoT %.1f (grid heading would print 0.0)\n",
           lat, lon, gamma / DEG, truth, hdg, course);
    CU_ASSERT_TRUE(truth > 2.0 && truth < 3.0);   /* a grid-north walker is not going true north */
    CU_ASSERT_TRUE(fabs(gamma) / DEG > 2.0);      /* grid and true north really differ here */
    BF_ASSERT_NEAR(ang_diff(hdg, truth), 0.0, 0.06);
    BF_ASSERT_NEAR(ang_diff(course, truth), 0.0, 0.06);
    BF_ASSERT_NEAR(hdg, course, 1e-9);
    CU_ASSERT_TRUE(hdg >= 0.0 && hdg < 360.0);
    BF_ASSERT_NEAR(num(o, "speed_mps"), 5.0, 0.005);
    CU_ASSERT_PTR_NULL(cJSON_GetObjectItemCaseSensitive(o, "test"));
    cJSON_Delete(o);

    /* every direction: picture = CoT = the geodesic azimuth, within the rounding */
    double worst = 0.0;
    for (int k = 0; k < 36; k++) {
        double a = k * 10.0 * DEG;
        make_track(&t, -3000.0, 2500.0, 3.0 * sin(a), 3.0 * cos(a));
        CU_ASSERT_EQUAL_FATAL(bf_geo_to_wgs84(utm, t.x[0], t.x[1], &lat, &lon), 0);
        CU_ASSERT_EQUAL_FATAL(bf_geo_to_wgs84(utm, t.x[0] + t.x[2], t.x[1] + t.x[3], &lat2, &lon2),
                              0);
        truth = azimuth_deg(lat, lon, lat2, lon2);
        o = bf_engine_track_json(&t, utm, false);
        CU_ASSERT_PTR_NOT_NULL_FATAL(o);
        hdg = num(o, "heading_deg");
        double d = fabs(ang_diff(hdg, truth));
        worst = d > worst ? d : worst;
        BF_ASSERT_NEAR(hdg, cot_course(&t), 1e-9);
        CU_ASSERT_TRUE(hdg >= 0.0 && hdg < 360.0);
        cJSON_Delete(o);
    }
    printf("    36 directions: worst |picture - geodesic azimuth| %.3f deg\n", worst);
    CU_ASSERT_TRUE(worst < 0.06);
}

static void test_heading_rounding(void)
{
    BF_ASSERT_NEAR(bf_geo_angle_round(359.96, 1), 0.0, 0.0);
    BF_ASSERT_NEAR(bf_geo_angle_round(359.94, 1), 359.9, 1e-9);
    BF_ASSERT_NEAR(bf_geo_angle_round(359.5, 0), 0.0, 0.0);
    BF_ASSERT_NEAR(bf_geo_angle_round(-0.01, 1), 0.0, 0.0);
    CU_ASSERT_FALSE(signbit(bf_geo_angle_round(-0.01, 1)));
    BF_ASSERT_NEAR(bf_geo_angle_round(-90.0, 1), 270.0, 1e-9);
    BF_ASSERT_NEAR(bf_geo_angle_round(725.0, 0), 5.0, 1e-9);
    CU_ASSERT_TRUE(isnan(bf_geo_angle_round(NAN, 1)));
    BF_ASSERT_NEAR(bf_geo_heading_deg(0.0, 0.0, 1), 0.0, 0.0);
    BF_ASSERT_NEAR(bf_geo_heading_deg(1.0, 0.0, 1), 90.0, 1e-9);
    BF_ASSERT_NEAR(bf_geo_heading_deg(0.0, -1.0, 1), 180.0, 1e-9);

    /* a track whose TRUE heading is 359.96 deg: the picture and CoT say 0.0, never 360.0 */
    struct bf_track t;
    make_track(&t, 2000.0, 1000.0, 0.0, 1.0);
    double lat, lon, gamma;
    CU_ASSERT_EQUAL_FATAL(bf_geo_to_wgs84(utm, t.x[0], t.x[1], &lat, &lon), 0);
    CU_ASSERT_EQUAL_FATAL(bf_geo_convergence(utm, lat, lon, &gamma), 0);
    double grid = -0.04 * DEG + gamma;   /* true = grid - gamma = -0.04 deg */
    t.x[2] = 4.0 * sin(grid);
    t.x[3] = 4.0 * cos(grid);
    cJSON *o = bf_engine_track_json(&t, utm, false);
    CU_ASSERT_PTR_NOT_NULL_FATAL(o);
    char *txt = cJSON_PrintUnformatted(o);
    CU_ASSERT_PTR_NOT_NULL_FATAL(txt);
    printf("\n    true heading 359.96 deg -> %s\n", strstr(txt, "\"heading_deg\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(txt, "\"heading_deg\":0,"));
    CU_ASSERT_PTR_NULL(strstr(txt, "360"));
    free(txt);
    cJSON_Delete(o);
    BF_ASSERT_NEAR(cot_course(&t), 0.0, 0.0);

    /* the alert JSON too: an alert heading 359.96 deg says 0.0 */
    struct bf_alert a;
    memset(&a, 0, sizeof a);
    a.first_us = a.last_us = t.t_us;
    a.crossing_us = BF_TIME_NONE;
    a.heading_deg = 359.96;
    a.speed_mps = 4.0;
    char js[8192];
    int n = bf_alert_to_json(&a, "it", NULL, 0, js, sizeof js);
    CU_ASSERT_TRUE_FATAL(n > 0);
    cJSON *j = cJSON_Parse(js);
    CU_ASSERT_PTR_NOT_NULL_FATAL(j);
    const cJSON *h = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "velocity"),
                                                      "heading_deg");
    CU_ASSERT_TRUE_FATAL(cJSON_IsNumber(h));
    BF_ASSERT_NEAR(h->valuedouble, 0.0, 0.0);
    CU_ASSERT_PTR_NOT_NULL(strstr(js, "\"heading_deg\":0.0"));
    cJSON_Delete(j);
}

static void test_test_targets(void)
{
    struct bf_track t;
    make_track(&t, 100.0, 200.0, 1.0, 1.0);
    t.flags = BF_DET_F_TEST;
    cJSON *o = bf_engine_track_json(&t, utm, false);
    CU_ASSERT_PTR_NOT_NULL_FATAL(o);
    CU_ASSERT_TRUE(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "test")));
    cJSON_Delete(o);
    CU_ASSERT_PTR_NULL(bf_engine_track_json(&t, utm, true));   /* "omit" */
    t.flags = 0;
    o = bf_engine_track_json(&t, utm, true);                   /* "omit" keeps real tracks */
    CU_ASSERT_PTR_NOT_NULL(o);
    cJSON_Delete(o);
    t.status = BF_TRACK_TENTATIVE;
    CU_ASSERT_PTR_NULL(bf_engine_track_json(&t, utm, false));

    /* CoT: the remarks say so, the callsign carries TEST, a detail element of its own */
    make_track(&t, 100.0, 200.0, 1.0, 1.0);
    t.flags = BF_DET_F_TEST;
    struct bf_cot_params p;
    bf_cot_params_default(&p);
    const char *ids[] = {"radar-a"};
    char buf[BF_COT_EVENT_MAX];
    int n = bf_cot_track(&t, "it", utm, ids, 1, &p, buf, sizeof buf);
    CU_ASSERT_TRUE_FATAL(n > 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "<remarks>TEST TARGET"));
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "callsign=\"T42 person TEST\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, " test=\"true\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "<__borderfuse_test/>"));
    t.flags = 0;
    n = bf_cot_track(&t, "it", utm, ids, 1, &p, buf, sizeof buf);
    CU_ASSERT_TRUE_FATAL(n > 0);
    CU_ASSERT_PTR_NULL(strstr(buf, "TEST"));
    CU_ASSERT_PTR_NULL(strstr(buf, "__borderfuse_test"));
}

/* Load a configuration whose "engine" section is engine (NULL: none); 0 or the error. */
static int load_cfg(const char *engine, struct bf_config **cfg, unsigned *errors)
{
    char path[1024], zones[1024];
    snprintf(zones, sizeof zones, "%s/z.geojson", bf_test_tmpdir());
    FILE *f = fopen(zones, "w");
    CU_ASSERT_FATAL(f != NULL);
    fputs("{\"type\": \"FeatureCollection\", \"features\": []}\n", f);
    fclose(f);
    snprintf(path, sizeof path, "%s/picture.json", bf_test_tmpdir());
    f = fopen(path, "w");
    CU_ASSERT_FATAL(f != NULL);
    fprintf(f,
            "{\"site\": \"it\", \"origin\": {\"lat\": 46.8, \"lon\": 8.2}, \"zones\": \"z.geojson\",\n"
            " \"sensors\": [{\"id\": \"r\", \"type\": \"json\", \"lat\": 46.8, \"lon\": 8.2, "
            "\"range_m\": 1000}]%s%s}\n",
            engine ? ",\n \"engine\": " : "", engine ? engine : "");
    fclose(f);
    struct bf_diag diag = {0};
    *cfg = NULL;
    int rc = bf_config_load(path, cfg, &diag);
    *errors = diag.n_errors;
    return rc;
}

static void test_config_key(void)
{
    struct bf_config *cfg = NULL;
    unsigned errors = 0;
    CU_ASSERT_EQUAL_FATAL(load_cfg(NULL, &cfg, &errors), 0);
    CU_ASSERT_EQUAL(cfg->engine.test_tracks, BF_TEST_TRACKS_MARK);
    bf_config_destroy(cfg);
    CU_ASSERT_EQUAL_FATAL(load_cfg("{\"test_tracks\": \"omit\"}", &cfg, &errors), 0);
    CU_ASSERT_EQUAL(cfg->engine.test_tracks, BF_TEST_TRACKS_OMIT);
    bf_config_destroy(cfg);
    CU_ASSERT_EQUAL_FATAL(load_cfg("{\"test_tracks\": \"mark\"}", &cfg, &errors), 0);
    CU_ASSERT_EQUAL(cfg->engine.test_tracks, BF_TEST_TRACKS_MARK);
    bf_config_destroy(cfg);
    CU_ASSERT_TRUE(load_cfg("{\"test_tracks\": \"hide\"}", &cfg, &errors) < 0);
    CU_ASSERT_TRUE(errors >= 1);
    bf_config_destroy(cfg);
}

static CU_TestInfo picture_tests[] = {
    {"heading from true north in a UTM frame (printed)", test_true_north_in_utm},
    {"headings in [0, 360) as printed", test_heading_rounding},
    {"radar test targets: marked or omitted; CoT marks", test_test_targets},
    {"engine.test_tracks: mark (default) | omit", test_config_key},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"fusion/picture", setup, teardown, NULL, NULL, picture_tests},
    CU_SUITE_INFO_NULL,
};

int main(void)
{
    return bf_test_main(suites);
}
