/*
 * test_platform.c - a radar on a truck, for real: gpsfake plays a truck's
 * NMEA log (tests/data/gps/line.nmea: 10 m/s on course 060) into a real
 * gpsd; the engine's gps plugin reads it through libgps and reports the
 * truck's fixes; the radar (a json sensor with "platform": "truck-1",
 * configured 1.1 km away from the road) reports range and bearing to a person
 * standing still, as seen from where the truck was at each look.  The
 * engine must place every look on the truck and track the person where the
 * person stands - from the configured position it would be a kilometre off.
 * The truck's positions are also published for dispatch on
 * borderfuse/<site>/units/truck-1.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "bf_test.h"
#include "mqtt/mqtt.h"
#include "core/bf_time.h"
#include "geo/geo.h"
#include "it_util.h"

#define SITE "borderfuse/it"
#define ORIGIN_LAT 47.10
#define ORIGIN_LON 8.50
#define TARGET_LAT 47.1030
#define TARGET_LON 8.5060
#define MAX_FIXES 128

struct fix {
    bf_time_us t;
    double lat, lon;
};

static struct fix fixes[MAX_FIXES];
static int n_fixes;

/* The GPRMC sentences with a fix: time, latitude, longitude. */
static void read_log(const char *path)
{
    FILE *f = fopen(path, "r");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    char line[256];
    while (fgets(line, sizeof line, f) && n_fixes < MAX_FIXES) {
        char hms[16], st, ns, ew, date[8];
        double la, lo;
        if (sscanf(line, "$GPRMC,%15[^,],%c,%lf,%c,%lf,%c,%*[^,],%*[^,],%6[0-9]", hms, &st, &la, &ns,
                   &lo, &ew, date) != 7 || st != 'A')
            continue;
        char iso[40];
        snprintf(iso, sizeof iso, "20%.2s-%.2s-%.2sT%.2s:%.2s:%sZ", date + 4, date + 2, date, hms,
                 hms + 2, hms + 4);
        struct fix *x = &fixes[n_fixes];
        CU_ASSERT_EQUAL_FATAL(bf_time_parse_iso(iso, &x->t), 0);
        x->lat = floor(la / 100) + fmod(la, 100) / 60;
        x->lon = floor(lo / 100) + fmod(lo, 100) / 60;
        if (ns == 'S')
            x->lat = -x->lat;
        if (ew == 'W')
            x->lon = -x->lon;
        n_fixes++;
    }
    fclose(f);
}

static struct it_collector *inbox;   /* tracks, units/truck-1, sensors/gps-1/status */

/* The latest message on SITE/rel, parsed (cJSON_Delete it), or NULL. */
static cJSON *parsed(const char *rel)
{
    char topic[128];
    snprintf(topic, sizeof topic, SITE "/%s", rel);
    return it_collector_json(inbox, topic, -1);
}

/* The gps sensor has passed on at least n fixes. */
static bool gps_messages_at_least(double n)
{
    cJSON *j = parsed("sensors/gps-1/status");
    const cJSON *m = cJSON_GetObjectItem(j, "messages");
    bool ok = cJSON_IsNumber(m) && m->valuedouble >= n;
    cJSON_Delete(j);
    return ok;
}

/* The latest track picture's confirmed track nearest the target: its distance, or INFINITY. */
static double track_miss_m(struct bf_geo_frame *frame, double te, double tn)
{
    cJSON *j = parsed("tracks");
    double best = INFINITY;
    const cJSON *t;
    cJSON_ArrayForEach(t, cJSON_GetObjectItem(j, "tracks"))
    {
        double e, n;
        if (bf_geo_to_local(frame, cJSON_GetObjectItem(t, "lat")->valuedouble,
                            cJSON_GetObjectItem(t, "lon")->valuedouble, &e, &n) == 0)
            best = fmin(best, hypot(e - te, n - tn));
    }
    cJSON_Delete(j);
    return best;
}

static void test_radar_on_a_truck_with_gpsd(void)
{
    read_log(bf_test_src("tests/data/gps/line.nmea"));
    CU_ASSERT_FATAL(n_fixes >= 40);
    const char *tmp = bf_test_tmpdir();
    int port = it_free_port(), gps_port = it_free_port();
    while (gps_port == port)
        gps_port = it_free_port();
    pid_t broker = it_start_mosquitto(tmp, port);
    CU_ASSERT_TRUE_FATAL(broker > 0);
    char url[64], cfg[512], elog[512], glog[512], journal[512];
    snprintf(url, sizeof url, "tcp://127.0.0.1:%d", port);
    snprintf(cfg, sizeof cfg, "%s/truck.json", tmp);
    snprintf(elog, sizeof elog, "%s/engine.log", tmp);
    snprintf(glog, sizeof glog, "%s/gpsfake.log", tmp);
    snprintf(journal, sizeof journal, "%s/journal.jsonl", tmp);
    FILE *f = fopen(cfg, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fprintf(f,
            "{\"site\": \"it\", \"origin\": {\"lat\": %.2f, \"lon\": %.2f},\n"
            " \"zones\": \"%s\",\n"
            " \"sensors\": [\n"
            "  {\"id\": \"gps-1\", \"type\": \"gps\", \"lat\": 47.10, \"lon\": 8.50,\n"
            "   \"options\": {\"port\": %d, \"id\": \"truck-1\", \"reconnect_min_s\": 0.2}},\n"
            "  {\"id\": \"radar-t\", \"type\": \"json\", \"lat\": 47.09, \"lon\": 8.50,\n"
            "   \"range_m\": 3000, \"platform\": \"truck-1\", \"sigma_range_m\": 5,\n"
            "   \"sigma_bearing_deg\": 0.2}],\n"
            " \"alerts\": {\"journal_fsync\": \"never\"},\n"
            " \"engine\": {\"status_period_s\": 0.3, \"idle_flush_s\": 0.3}}\n",
            ORIGIN_LAT, ORIGIN_LON, bf_test_src("tests/data/straight/zones.geojson"), gps_port);
    fclose(f);

    inbox = it_collector_new();
    CU_ASSERT_PTR_NOT_NULL_FATAL(inbox);
    struct bf_mqtt *sub;
    struct bf_mqtt_options so = {.url = url, .client_id = "it-centre", .clean_session = true};
    CU_ASSERT_EQUAL_FATAL(bf_mqtt_create(&so, &sub), 0);
    CU_ASSERT_EQUAL(bf_mqtt_subscribe(sub, SITE "/tracks", 0, it_collector_on_msg, inbox), 0);
    CU_ASSERT_EQUAL(bf_mqtt_subscribe(sub, SITE "/units/truck-1", 0, it_collector_on_msg, inbox), 0);
    CU_ASSERT_EQUAL(bf_mqtt_subscribe(sub, SITE "/sensors/gps-1/status", 0, it_collector_on_msg,
                                      inbox), 0);
    CU_ASSERT_EQUAL_FATAL(bf_mqtt_wait_connected(sub, 5000), 0);

    /* the engine first (its gps plugin retries until gpsd is up), then the truck */
    char *argv[] = {(char *)it_bin("apps/borderfuse"), "--config", cfg, "--mqtt-url", url,
                    "--journal", journal, NULL};
    pid_t engine = it_spawn(argv, elog);
    CU_ASSERT_TRUE_FATAL(engine > 0);
    pid_t fake = it_start_gpsfake(tmp, gps_port, bf_test_src("tests/data/gps/line.nmea"), 0.04,
                                  60, glog);
    CU_ASSERT_TRUE_FATAL(fake > 0);
    /* gpsd drops the first second or so while it probes: most of the 60 fixes arrive */
    bool fed = false;
    for (int i = 0; i < 300 && !fed; i++) {
        fed = gps_messages_at_least(35);
        it_sleep_ms(100);
    }
    CU_ASSERT_TRUE_FATAL(fed);
    it_sleep_ms(1500);   /* the rest of the log */
    cJSON *unit = parsed("units/truck-1");
    CU_ASSERT_PTR_NOT_NULL_FATAL(unit);
    CU_ASSERT(fabs(cJSON_GetObjectItem(unit, "lat")->valuedouble - fixes[n_fixes - 1].lat) < 1e-3);
    cJSON_Delete(unit);

    /* the radar looks 0.25 s after each of the later fixes, from where the truck was */
    struct bf_geo_frame *frame = NULL;
    char err[256];
    CU_ASSERT_EQUAL_FATAL(bf_geo_frame_create(ORIGIN_LAT, ORIGIN_LON, NULL, &frame, err, sizeof err),
                          0);
    double te, tn;
    CU_ASSERT_EQUAL_FATAL(bf_geo_to_local(frame, TARGET_LAT, TARGET_LON, &te, &tn), 0);
    struct bf_mqtt *pub;
    struct bf_mqtt_options po = {.url = url, .client_id = "it-radar", .clean_session = true};
    CU_ASSERT_EQUAL_FATAL(bf_mqtt_create(&po, &pub), 0);
    CU_ASSERT_EQUAL_FATAL(bf_mqtt_wait_connected(pub, 5000), 0);
    int looks = 0;
    for (int k = n_fixes / 3; k + 1 < n_fixes; k++) {
        double ae, an, be, bn;
        CU_ASSERT_EQUAL(bf_geo_to_local(frame, fixes[k].lat, fixes[k].lon, &ae, &an), 0);
        CU_ASSERT_EQUAL(bf_geo_to_local(frame, fixes[k + 1].lat, fixes[k + 1].lon, &be, &bn), 0);
        bf_time_us t = fixes[k].t + (fixes[k + 1].t - fixes[k].t) / 4;
        double w = (double)(t - fixes[k].t) / (double)(fixes[k + 1].t - fixes[k].t);
        double se = ae + w * (be - ae), sn = an + w * (bn - an);
        double range = hypot(te - se, tn - sn);
        double brg = fmod(atan2(te - se, tn - sn) * 180.0 / M_PI + 360.0, 360.0);
        char iso[BF_TIME_ISO_LEN], msg[256];
        bf_time_format_iso(t, iso, sizeof iso);
        snprintf(msg, sizeof msg,
                 "{\"sensor\": \"radar-t\", \"t\": \"%s\", \"detections\": "
                 "[{\"range_m\": %.2f, \"bearing_deg\": %.4f}]}", iso, range, brg);
        CU_ASSERT_EQUAL(bf_mqtt_publish(pub, SITE "/sensors/radar-t/detections", msg, strlen(msg),
                                        1, false), 0);
        looks++;
    }
    CU_ASSERT(looks >= 20);
    double miss = INFINITY;
    for (int i = 0; i < 100 && !(miss < 10); i++) {
        it_sleep_ms(100);
        miss = track_miss_m(frame, te, tn);
    }
    printf("\n  %d looks from the moving truck; the track is %.1f m from the person\n", looks, miss);
    CU_ASSERT(miss < 10.0);

    CU_ASSERT_EQUAL(it_stop(engine), 0);
    it_stop_group(fake);
    bf_mqtt_destroy(pub);
    bf_mqtt_destroy(sub);
    it_stop(broker);
    bf_geo_frame_destroy(frame);
    it_collector_free(inbox);
    inbox = NULL;
}

static CU_TestInfo tests[] = {
    {"a radar on a truck, placed from gpsd's fixes", test_radar_on_a_truck_with_gpsd},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"platform", NULL, NULL, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

int main(void) { return bf_test_main(suites); }
