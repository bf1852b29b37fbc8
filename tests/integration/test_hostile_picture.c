/*
 * test_hostile_picture.c - a wrong picture of the border is refused before
 * the engine starts (docs/config.md, "Start-up checks").
 *
 * Each case writes a configuration (and its zones file) that a hurried or
 * hostile hand could produce - no zones, no border line, a border 15,000 km
 * from every sensor, a zero-area restricted zone, a zone name that is not
 * UTF-8, port 0 in the broker URL, a credentials file or a client TLS key
 * readable by others, port 0 in --mqtt-url - and runs the real program
 * twice: `borderfuse --check-config FILE` and `borderfuse --config FILE`
 * (the engine start).  Both must exit 2 and print the same reason; the
 * engine must never reach "running".  A control case with the same files
 * fixed passes --check-config.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bf_test.h"
#include "it_util.h"

static char dir[512];

static const char *tf(const char *name)
{
    static char buf[4][700];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", dir, name);
    return buf[k];
}

#define BORDER_FEATURE                                                                          \
    "{\"type\":\"Feature\",\"properties\":{\"id\":\"border\",\"name\":\"Border\","             \
    "\"kind\":\"border_line\",\"our_side\":\"right\"},\"geometry\":{\"type\":\"LineString\","  \
    "\"coordinates\":[[8.10,46.80],[8.30,46.80]]}}"

/* A zones file name.geojson holding features (comma-separated Feature objects). */
static void zones(const char *name, const char *features)
{
    char file[128];
    snprintf(file, sizeof file, "%s.geojson", name);
    CU_ASSERT_EQUAL_FATAL(it_write_file(tf(file), 0644, "{\"type\":\"FeatureCollection\","
                                        "\"features\":[%s]}\n", features), 0);
}

/* A config name.json on zones file zname.geojson, with extra root members (",\n..." or ""). */
static void config(const char *name, const char *zname, const char *extra)
{
    char file[128], zf[700];
    snprintf(file, sizeof file, "%s.json", name);
    snprintf(zf, sizeof zf, "%s/%s.geojson", dir, zname);
    CU_ASSERT_EQUAL_FATAL(it_write_engine_config(tf(file), "ithp", zf,
        " \"sensors\": [{\"id\": \"radar-a\", \"type\": \"json\", \"lat\": 46.78, \"lon\": 8.20,"
        " \"range_m\": 9000}],\n"
        " \"alerts\": {\"journal\": \"journal.jsonl\", \"journal_fsync\": \"never\"}%s", extra), 0);
}

/* Run borderfuse with args (NULL-terminated after the program); its exit status; output in out. */
static int run(char **out, const char *log, const char *a1, const char *a2, const char *a3,
               const char *a4)
{
    char *argv[] = {(char *)it_bin("apps/borderfuse"), (char *)a1, (char *)a2, (char *)a3,
                    (char *)a4, NULL};
    pid_t pid = it_spawn(argv, tf(log));
    int st = pid > 0 ? it_wait(pid, 20) : -1;
    *out = bf_test_read_file(tf(log), NULL);
    if (!*out)
        *out = strdup("");
    return st;
}

/*
 * name.json is refused by --check-config and by the engine start, exit 2 both,
 * both outputs holding every string of want (NULL-terminated); mqtt_url: an
 * --mqtt-url for the start.
 */
static void refused(const char *name, const char *const *want, const char *mqtt_url)
{
    char file[128], log1[128], log2[128];
    snprintf(file, sizeof file, "%s.json", name);
    snprintf(log1, sizeof log1, "%s.check.log", name);
    snprintf(log2, sizeof log2, "%s.start.log", name);
    char *check = NULL, *start = NULL;
    int rc_check = mqtt_url ? 2 : run(&check, log1, "--check-config", tf(file), NULL, NULL);
    int rc_start = run(&start, log2, "--config", tf(file), mqtt_url ? "--mqtt-url" : NULL,
                       mqtt_url);
    if (!check)
        check = strdup(start);
    CU_ASSERT_EQUAL(rc_check, 2);
    CU_ASSERT_EQUAL(rc_start, 2);
    bool all = true;
    for (const char *const *w = want; *w; w++) {
        bool in_check = strstr(check, *w) != NULL, in_start = strstr(start, *w) != NULL;
        CU_ASSERT_TRUE(in_check);
        CU_ASSERT_TRUE(in_start);
        all = all && in_check && in_start;
    }
    CU_ASSERT_PTR_NULL(strstr(start, "running:"));
    const char *first = strchr(start, '\n');
    printf("\n  %s: exit %d / %d: %.*s", name, rc_check, rc_start,
           first ? (int)(first - start) : (int)strlen(start), start);
    if (!all || rc_check != 2 || rc_start != 2)
        fprintf(stderr, "\n--- %s --check-config ---\n%s\n--- %s start ---\n%s\n", name, check,
                name, start);
    free(check);
    free(start);
}

static int suite_init(void)
{
    snprintf(dir, sizeof dir, "%s/picture", bf_test_tmpdir());
    mkdir(bf_test_tmpdir(), 0700);
    return mkdir(dir, 0700) == 0 ? 0 : 1;
}

static int suite_clean(void)
{
    it_rm_tree(dir);
    rmdir(bf_test_tmpdir());
    return 0;
}

static void test_control(void)
{
    zones("good", BORDER_FEATURE);
    config("good", "good", "");
    char *out = NULL;
    CU_ASSERT_EQUAL(run(&out, "good.log", "--check-config", tf("good.json"), NULL, NULL), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "good.json: OK"));
    free(out);
}

static void test_no_zones(void)
{
    zones("empty", "");
    config("empty", "empty", "");
    refused("empty", (const char *const[]){"zones: the zones file", "has no zones at all",
                                           "zones_require_border", NULL}, NULL);
}

static void test_no_border(void)
{
    zones("noborder", "{\"type\":\"Feature\",\"properties\":{\"id\":\"depot\",\"kind\":\"restricted\"},"
          "\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[8.25,46.785],[8.26,46.785],"
          "[8.26,46.79],[8.25,46.79],[8.25,46.785]]]}}");
    config("noborder", "noborder", "");
    refused("noborder", (const char *const[]){"has no border_line zone",
                                              "no INCURSION can ever be raised", NULL}, NULL);
    /* explicitly allowed: an engine that only watches areas */
    config("noborder-ok", "noborder", ",\n \"zones_require_border\": false");
    char *out = NULL;
    CU_ASSERT_EQUAL(run(&out, "noborder-ok.log", "--check-config", tf("noborder-ok.json"), NULL,
                        NULL), 0);
    free(out);
}

static void test_far_border(void)
{
    zones("far", "{\"type\":\"Feature\",\"properties\":{\"id\":\"border\",\"kind\":\"border_line\","
          "\"our_side\":\"right\"},\"geometry\":{\"type\":\"LineString\","
          "\"coordinates\":[[-120.10,-30.80],[-120.30,-30.80]]}}");
    config("far", "far", "");
    refused("far", (const char *const[]){"zone \"border\" (border_line, features[0]",
                                         "km from the nearest sensor (radar-a)",
                                         "more than zones_max_distance_m (50.0 km)", NULL}, NULL);
}

static void test_zero_area(void)
{
    zones("flat", BORDER_FEATURE ",{\"type\":\"Feature\",\"properties\":{\"id\":\"flat\","
          "\"kind\":\"restricted\"},\"geometry\":{\"type\":\"Polygon\",\"coordinates\":"
          "[[[8.25,46.785],[8.26,46.785],[8.27,46.785],[8.25,46.785]]]}}");
    config("flat", "flat", "");
    refused("flat", (const char *const[]){"features[1].geometry: zone \"flat\": the polygon has",
                                          "area", "corners are repeated or on one line", NULL},
            NULL);
}

static void test_bad_utf8(void)
{
    /* "Gr\xe9nze": Latin-1 é, as a GIS export in the wrong encoding writes it */
    zones("latin1", "{\"type\":\"Feature\",\"properties\":{\"id\":\"border\",\"name\":\"Gr\xe9nze\","
          "\"kind\":\"border_line\",\"our_side\":\"right\"},\"geometry\":{\"type\":\"LineString\","
          "\"coordinates\":[[8.10,46.80],[8.30,46.80]]}}");
    config("latin1", "latin1", "");
    refused("latin1", (const char *const[]){"features[0].properties.name: zone \"border\"",
                                            "holds bytes that are not UTF-8 at byte 2",
                                            "save the file as UTF-8", NULL}, NULL);
}

static void test_port_zero(void)
{
    zones("port", BORDER_FEATURE);
    config("port", "port", ",\n \"mqtt\": {\"url\": \"tcp://127.0.0.1:0\"}");
    refused("port", (const char *const[]){"mqtt.url: the broker URL \"tcp://127.0.0.1:0\" has port "
                                          "\"0\": expected a port between 1 and 65535", NULL},
            NULL);
    config("port-cli", "port", "");
    refused("port-cli", (const char *const[]){"--mqtt-url: the broker URL \"tcp://127.0.0.1:0\" "
                                              "has port \"0\"", NULL}, "tcp://127.0.0.1:0");
}

static void test_secret_modes(void)
{
    zones("secret", BORDER_FEATURE);
    CU_ASSERT_EQUAL_FATAL(it_write_file(tf("mqtt-credentials.json"), 0644,
                                        "{\"username\": \"borderfuse\", \"password\": \"s3cret\"}\n"), 0);
    config("cred", "secret", ",\n \"mqtt\": {\"credentials\": \"mqtt-credentials.json\"}");
    refused("cred", (const char *const[]){"mqtt.credentials: credentials file",
                                          "is readable by group or others (mode 644): run chmod 600",
                                          NULL}, NULL);
    CU_ASSERT_EQUAL_FATAL(it_write_file(tf("client.crt"), 0644, "not checked here\n"), 0);
    CU_ASSERT_EQUAL_FATAL(it_write_file(tf("client.key"), 0604, "not checked here\n"), 0);
    config("key", "secret", ",\n \"mqtt\": {\"url\": \"ssl://127.0.0.1:8883\", \"tls\": "
           "{\"cert_file\": \"client.crt\", \"key_file\": \"client.key\"}}");
    refused("key", (const char *const[]){"mqtt.tls.key_file: the client key file",
                                         "is readable by group or others (mode 604): run chmod 600",
                                         NULL}, NULL);
    /* the secret never reaches the output */
    char *out = bf_test_read_file(tf("cred.check.log"), NULL);
    char *out2 = bf_test_read_file(tf("cred.start.log"), NULL);
    CU_ASSERT_PTR_NOT_NULL(out);
    CU_ASSERT_PTR_NULL(out ? strstr(out, "s3cret") : NULL);
    CU_ASSERT_PTR_NULL(out2 ? strstr(out2, "s3cret") : NULL);
    free(out);
    free(out2);
    /* fixed: both pass the checks */
    CU_ASSERT_EQUAL(chmod(tf("mqtt-credentials.json"), 0600), 0);
    CU_ASSERT_EQUAL(chmod(tf("client.key"), 0600), 0);
    CU_ASSERT_EQUAL(run(&out, "cred-ok.log", "--check-config", tf("cred.json"), NULL, NULL), 0);
    free(out);
    CU_ASSERT_EQUAL(run(&out, "key-ok.log", "--check-config", tf("key.json"), NULL, NULL), 0);
    free(out);
}

static CU_TestInfo tests[] = {
    {"control: a good picture passes --check-config", test_control},
    {"no zones at all: refused", test_no_zones},
    {"no border line: refused unless zones_require_border is false", test_no_border},
    {"a border 15,000 km from every sensor: refused with the distance", test_far_border},
    {"a zero-area restricted zone: refused", test_zero_area},
    {"a zone name that is not UTF-8: refused", test_bad_utf8},
    {"port 0 in mqtt.url and in --mqtt-url: refused", test_port_zero},
    {"credentials file and TLS key readable by others: refused", test_secret_modes},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"integration/hostile_picture", suite_init, suite_clean, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    return bf_test_main(suites);
}
