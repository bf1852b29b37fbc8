/*
 * test_startup.c - the start-up checks the engine and `borderfuse
 * --check-config` share (bf_config_load then bf_engine_check): the
 * "operators" section, the broker URL, the border and the zones' distance
 * to the sensors, the modes of the secret files.  Each case writes a small
 * configuration and zones file into the test's temporary directory and
 * asserts on the messages, which name the file, the line and the fix.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bf_test.h"
#include "core/bf_error.h"
#include "engine/config.h"
#include "engine/engine.h"

#define MAX_MSGS 8

static struct {
    int n;
    char msg[MAX_MSGS][1024];
} col;
static struct bf_diag diag;

static void collect(void *ctx, const char *file, int line, int col_, const char *path,
                    const char *msg)
{
    (void)ctx;
    if (col.n < MAX_MSGS)
        bf_diag_format(col.msg[col.n], sizeof col.msg[0], file, line, col_, path, msg);
    col.n++;
}

static void reset(void)
{
    memset(&col, 0, sizeof col);
    diag = (struct bf_diag){.report = collect};
}

/* Did any message hold every one of the strings? */
static bool said(const char *a, const char *b)
{
    for (int i = 0; i < col.n && i < MAX_MSGS; i++)
        if (strstr(col.msg[i], a) && (!b || strstr(col.msg[i], b)))
            return true;
    for (int i = 0; i < col.n && i < MAX_MSGS; i++)
        printf("\n    [%d] %s", i, col.msg[i]);
    return false;
}

static const char *tmp(const char *name)
{
    static char buf[4][1024];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", bf_test_tmpdir(), name);
    return buf[k];
}

static void write_file(const char *name, int mode, const char *text)
{
    FILE *f = fopen(tmp(name), "w");
    CU_ASSERT_FATAL(f != NULL);
    fputs(text, f);
    fclose(f);
    CU_ASSERT_EQUAL(chmod(tmp(name), (mode_t)mode), 0);
}

#define BORDER "{\"type\":\"Feature\",\"properties\":{\"id\":\"border\",\"kind\":\"border_line\"," \
               "\"our_side\":\"right\"},\"geometry\":{\"type\":\"LineString\",\"coordinates\":"  \
               "[[8.10,46.80],[8.30,46.80]]}}"
#define DEPOT  "{\"type\":\"Feature\",\"properties\":{\"id\":\"depot\",\"kind\":\"restricted\"}," \
               "\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[8.25,46.785],[8.26,46.785]," \
               "[8.26,46.79],[8.25,46.79],[8.25,46.785]]]}}"

/* cfg.json over zones.geojson holding features, with extra root members; loaded and
 * checked.  Returns the number of errors (the config is destroyed). */
static unsigned check(const char *features, const char *extra)
{
    char z[4096], c[4096];
    snprintf(z, sizeof z, "{\"type\":\"FeatureCollection\",\"features\":[%s]}\n", features);
    write_file("zones.geojson", 0644, z);
    snprintf(c, sizeof c,
             "{\"site\": \"t\", \"origin\": {\"lat\": 46.80, \"lon\": 8.20},\n"
             " \"zones\": \"zones.geojson\",\n"
             " \"sensors\": [{\"id\": \"radar-a\", \"type\": \"json\", \"lat\": 46.78, \"lon\": 8.20},\n"
             "             {\"id\": \"ugs-1\", \"type\": \"json\", \"lat\": 46.79, \"lon\": 8.25}]%s}\n",
             extra);
    write_file("cfg.json", 0644, c);
    reset();
    struct bf_config *cfg = NULL;
    if (bf_config_load(tmp("cfg.json"), &cfg, &diag) == 0)
        bf_engine_check(cfg, &diag);
    bf_config_destroy(cfg);
    return diag.n_errors;
}

static void test_control(void)
{
    CU_ASSERT_EQUAL(check(BORDER "," DEPOT, ""), 0);
}

static void test_operators(void)
{
    struct bf_config *cfg = NULL;
    CU_ASSERT_EQUAL(check(BORDER, ",\n \"operators\": {\"names\": [\"alice\", \"Jos\\u00e9\"], "
                          "\"require_topic_name\": true}"), 0);
    /* loaded again to look at the values */
    reset();
    CU_ASSERT_EQUAL_FATAL(bf_config_load(tmp("cfg.json"), &cfg, &diag), 0);
    CU_ASSERT_EQUAL(cfg->operators.n_names, 2);
    CU_ASSERT_STRING_EQUAL(cfg->operators.names[0], "alice");
    CU_ASSERT_STRING_EQUAL(cfg->operators.names[1], "Jos\xc3\xa9");
    CU_ASSERT_TRUE(cfg->operators.require_topic_name);
    bf_config_destroy(cfg);
    /* defaults */
    CU_ASSERT_EQUAL(check(BORDER, ""), 0);
    reset();
    CU_ASSERT_EQUAL_FATAL(bf_config_load(tmp("cfg.json"), &cfg, &diag), 0);
    CU_ASSERT_EQUAL(cfg->operators.n_names, 0);
    CU_ASSERT_FALSE(cfg->operators.require_topic_name);
    CU_ASSERT_TRUE(cfg->zones_require_border);
    CU_ASSERT_EQUAL(cfg->zones_max_distance_m, 50000.0);
    bf_config_destroy(cfg);

    CU_ASSERT_EQUAL(check(BORDER, ",\n \"operators\": {\"names\": [\"alice\", \"ugs-1\"]}"), 1);
    CU_ASSERT_TRUE(said("cfg.json:5:", "operators.names[1]: operator \"ugs-1\" has a sensor's id"));
    CU_ASSERT_EQUAL(check(BORDER, ",\n \"operators\": {\"names\": []}"), 1);
    CU_ASSERT_TRUE(said("operators.names: an empty list would let nobody act", NULL));
    CU_ASSERT_EQUAL(check(BORDER, ",\n \"operators\": {\"names\": [\"a/b\", 3, \"bob\", \"bob\"]}"), 3);
    CU_ASSERT_TRUE(said("operators.names[0]: expected an operator name", "got a string \"a/b\""));
    CU_ASSERT_TRUE(said("operators.names[1]: expected an operator name", "got 3"));
    CU_ASSERT_TRUE(said("operators.names[3]: operator \"bob\" is listed twice", NULL));
    CU_ASSERT_EQUAL(check(BORDER, ",\n \"operators\": {\"name\": [\"bob\"]}"), 1);
    CU_ASSERT_TRUE(said("operators", "\"name\""));
}

static void test_urls(void)
{
    static const struct {
        const char *url;
        const char *why;   /* NULL: accepted */
    } cases[] = {
        {"tcp://127.0.0.1:1883", NULL},
        {"ssl://broker.example:8883", NULL},
        {"tcp://broker.example", NULL},
        {"ws://broker.example:9001/mqtt", NULL},
        {"tcp://[::1]:1883", NULL},
        {"tcp://127.0.0.1:0", "has port \"0\""},
        {"tcp://127.0.0.1:65536", "has port \"65536\""},
        {"tcp://127.0.0.1:", "has port \"\""},
        {"tcp://127.0.0.1:18x3", "has port \"18x3\""},
        {"ws://host:0/mqtt", "has port \"0\""},
        {"tcp://[::1]:0", "has port \"0\""},
        {"tcp://[::1", "does not close it"},
        {"tcp://", "expected a broker URL"},
        {"tcp://:1883", "expected a broker URL"},
        {"http://host:80", "expected a broker URL"},
        {"tcp://user:pw@host:1883", "holds a '@'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char err[512] = "x";
        int rc = bf_config_check_mqtt_url(cases[i].url, err, sizeof err);
        CU_ASSERT_EQUAL(rc, cases[i].why ? BF_EINVAL : 0);
        if (cases[i].why) {
            CU_ASSERT_PTR_NOT_NULL(strstr(err, cases[i].why));
        } else {
            CU_ASSERT_STRING_EQUAL(err, "");
        }
        if ((rc == 0) != (cases[i].why == NULL) || (cases[i].why && !strstr(err, cases[i].why)))
            printf("\n    %s: %d %s", cases[i].url, rc, err);
    }
    CU_ASSERT_EQUAL(check(BORDER, ",\n \"mqtt\": {\"url\": \"tcp://127.0.0.1:0\"}"), 1);
    CU_ASSERT_TRUE(said("cfg.json:5:", "mqtt.url: the broker URL \"tcp://127.0.0.1:0\" has port"));
}

static void test_border_required(void)
{
    CU_ASSERT_EQUAL(check("", ""), 1);
    CU_ASSERT_TRUE(said("cfg.json:2:", "zones: the zones file"));
    CU_ASSERT_TRUE(said("has no zones at all", NULL));
    CU_ASSERT_EQUAL(check(DEPOT, ""), 1);
    CU_ASSERT_TRUE(said("has no border_line zone", "\"zones_require_border\": false"));
    CU_ASSERT_EQUAL(check(DEPOT, ",\n \"zones_require_border\": false"), 0);
    CU_ASSERT_EQUAL(check("", ",\n \"zones_require_border\": false"), 0);
    CU_ASSERT_EQUAL(check(BORDER, ",\n \"zones_require_border\": \"no\""), 1);
}

static void test_distance(void)
{
    /* a border about 7,600 km away: Thailand for a Swiss site */
    const char *far = "{\"type\":\"Feature\",\"properties\":{\"id\":\"far\",\"kind\":\"border_line\","
                      "\"our_side\":\"right\"},\"geometry\":{\"type\":\"LineString\",\"coordinates\":"
                      "[[100.0,20.0],[100.1,20.0]]}}";
    char both[2048];
    snprintf(both, sizeof both, BORDER ",%s", far);
    CU_ASSERT_EQUAL(check(both, ""), 1);
    CU_ASSERT_TRUE(said("zone \"far\" (border_line, features[1] of", "km from the nearest sensor"));
    CU_ASSERT_TRUE(said("more than zones_max_distance_m (50.0 km)", "raise \"zones_max_distance_m\""));
    /* the distance as a figure, parsed from the message */
    const char *is = col.n > 0 ? strstr(col.msg[0], ") is ") : NULL;
    double km = is ? strtod(is + 5, NULL) : 0;
    printf("\n  figure: border 'far' %.1f km from the nearest sensor\n", km);
    CU_ASSERT_TRUE(km > 7000 && km < 9000);
    CU_ASSERT_EQUAL(check(both, ",\n \"zones_max_distance_m\": 1e7"), 0);
    /* the border passes 1.1 km north of ugs-1 (2.2 km of radar-a); the depot touches ugs-1:
     * a 1 km limit refuses the border alone and names the nearest sensor */
    CU_ASSERT_EQUAL(check(BORDER "," DEPOT, ",\n \"zones_max_distance_m\": 1000"), 1);
    CU_ASSERT_TRUE(said("zone \"border\" (border_line, features[0]", "is 1.1 km from the nearest "
                        "sensor (ugs-1), more than zones_max_distance_m (1.0 km)"));
    CU_ASSERT_EQUAL(check(BORDER, ",\n \"zones_max_distance_m\": 0"), 1);
    CU_ASSERT_TRUE(said("zones_max_distance_m: expected a number > 0", NULL));
}

static void test_secret_modes(void)
{
    write_file("cred.json", 0640, "{\"username\": \"u\", \"password\": \"secret-pw\"}\n");
    CU_ASSERT_EQUAL(check(BORDER, ",\n \"mqtt\": {\"credentials\": \"cred.json\"}"), 1);
    CU_ASSERT_TRUE(said("mqtt.credentials: credentials file", "(mode 640): run chmod 600"));
    CU_ASSERT_FALSE(said("secret-pw", NULL));
    chmod(tmp("cred.json"), 0600);
    CU_ASSERT_EQUAL(check(BORDER, ",\n \"mqtt\": {\"credentials\": \"cred.json\"}"), 0);
    /* read as the engine reads it: a wrong shape is refused here too */
    write_file("cred.json", 0600, "{\"username\": \"u\"}\n");
    CU_ASSERT_EQUAL(check(BORDER, ",\n \"mqtt\": {\"credentials\": \"cred.json\"}"), 1);
    CU_ASSERT_TRUE(said("mqtt.credentials: credentials file", "expected {\"username\""));

    write_file("c.crt", 0644, "x\n");
    write_file("c.key", 0644, "x\n");
    const char *tls = ",\n \"mqtt\": {\"url\": \"ssl://h:8883\", \"tls\": {\"cert_file\": \"c.crt\", "
                      "\"key_file\": \"c.key\"}}";
    CU_ASSERT_EQUAL(check(BORDER, tls), 1);
    CU_ASSERT_TRUE(said("mqtt.tls.key_file: the client key file", "(mode 644): run chmod 600"));
    chmod(tmp("c.key"), 0600);
    CU_ASSERT_EQUAL(check(BORDER, tls), 0);
    /* without key_file the key is in cert_file, which is then the secret */
    const char *combined = ",\n \"mqtt\": {\"url\": \"ssl://h:8883\", \"tls\": {\"cert_file\": "
                           "\"c.crt\"}}";
    CU_ASSERT_EQUAL(check(BORDER, combined), 1);
    CU_ASSERT_TRUE(said("mqtt.tls.cert_file: the client certificate file (which holds its key)",
                        NULL));
}

static CU_TestInfo tests[] = {
    {"control: a good configuration passes", test_control},
    {"operators section", test_operators},
    {"broker URLs: scheme, host, port 1..65535", test_urls},
    {"a border line is required unless allowed", test_border_required},
    {"zones within zones_max_distance_m of a sensor", test_distance},
    {"credentials file and client key readable by others", test_secret_modes},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"fusion/startup", NULL, NULL, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

int main(void) { return bf_test_main(suites); }
