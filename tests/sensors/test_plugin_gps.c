/*
 * test_plugin_gps.c - the "gps" plugin against a real gpsd fed by gpsfake.
 *
 * tests/data/gps/line.nmea (scripts/gps-nmea-line.py) is a vehicle driving a
 * straight line, course 060, 10 m/s, 2 fixes a second for 30 s, then 4 epochs
 * without a fix.  The test reads the log itself for the expected values and
 * checks every fix the plugin reports against the sentence of the same time.
 *
 * How gpsfake is run (each choice matters):
 *   timeout -k 3 40 gpsfake -1 -q -P <port> -c 0.05 line.nmea
 *   - gpsfake starts its own gpsd (it must be on PATH: /usr/sbin is added)
 *     on <port> and feeds it through a pty; gpsd probes the pty first and
 *     drops about a second of sentences, so the test matches fixes by time
 *     and does not expect the first ones;
 *   - -1: the log is played once; afterwards gpsfake just waits (it never
 *     exits by itself while a client is connected), so the test kills it;
 *   - -c 0.04: 40 ms between sentences, the 128 sentences take about 5 s;
 *   - timeout -k 3 puts gpsfake and its gpsd in one process group (killed
 *     as a group here) and bounds a gpsfake that hangs;
 *   - TMPDIR points at the test's temporary directory, where gpsfake keeps
 *     its control socket.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cjson/cJSON.h>

#include "bf_test.h"
#include "core/bf_error.h"
#include "core/bf_time.h"
#include "fake_host.h"
#include "integration/it_util.h"
#include "sensors/sensor.h"

#define LOG_REL "tests/data/gps/line.nmea"
#define MAX_EPOCHS 256
#define KNOT_MPS (1852.0 / 3600.0)

/* ---- the expected values, read from the NMEA log ---------------------------- */

struct epoch {
    bf_time_us t_us;
    double lat, lon, speed_mps, track_deg;
};

static struct epoch epochs[MAX_EPOCHS];
static size_t n_epochs;
static bool checksums_ok = true;

static double nmea_deg(const char *v, const char *hemi, int deg_digits)
{
    char d[4] = {0};
    memcpy(d, v, (size_t)deg_digits);
    double deg = atof(d) + atof(v + deg_digits) / 60.0;
    return (hemi[0] == 'S' || hemi[0] == 'W') ? -deg : deg;
}

static bool checksum_ok(const char *line)
{
    const char *star = strchr(line, '*');
    if (line[0] != '$' || !star)
        return false;
    unsigned c = 0;
    for (const char *p = line + 1; p < star; p++)
        c ^= (unsigned char)*p;
    return strtoul(star + 1, NULL, 16) == c;
}

/* Every $GPRMC with status A becomes an epoch; every sentence's checksum is checked. */
static int load_log(void)
{
    FILE *f = fopen(bf_test_src(LOG_REL), "r");
    if (!f)
        return -1;
    char line[256];
    while (fgets(line, sizeof line, f)) {
        if (line[0] != '$')
            continue;
        checksums_ok = checksums_ok && checksum_ok(line);
        if (strncmp(line, "$GPRMC,", 7) != 0)
            continue;
        char *field[16] = {0};
        size_t n = 0;
        for (char *p = line, *q; p && n < 16; p = q) {
            q = strchr(p, ',');
            if (q)
                *q++ = '\0';
            field[n++] = p;
        }
        if (n < 10 || field[2][0] != 'A' || n_epochs == MAX_EPOCHS)
            continue;
        struct tm tm = {0};
        tm.tm_hour = (field[1][0] - '0') * 10 + (field[1][1] - '0');
        tm.tm_min = (field[1][2] - '0') * 10 + (field[1][3] - '0');
        double sec = atof(field[1] + 4);
        tm.tm_mday = (field[9][0] - '0') * 10 + (field[9][1] - '0');
        tm.tm_mon = (field[9][2] - '0') * 10 + (field[9][3] - '0') - 1;
        tm.tm_year = 100 + (field[9][4] - '0') * 10 + (field[9][5] - '0');
        struct epoch *e = &epochs[n_epochs++];
        e->t_us = (bf_time_us)timegm(&tm) * BF_US_PER_S + bf_time_from_s(sec);
        e->lat = nmea_deg(field[3], field[4], 2);
        e->lon = nmea_deg(field[5], field[6], 3);
        e->speed_mps = atof(field[7]) * KNOT_MPS;
        e->track_deg = atof(field[8]);
    }
    fclose(f);
    return 0;
}

static const struct epoch *epoch_at(bf_time_us t)
{
    for (size_t i = 0; i < n_epochs; i++)
        if (epochs[i].t_us == t)
            return &epochs[i];
    return NULL;
}

/* ---- gpsfake + gpsd ------------------------------------------------------------ */

static char work[512];   /* this test's temporary directory */

static pid_t start_gpsfake(int port, int run)
{
    char log_path[600];
    snprintf(log_path, sizeof log_path, "%s/gpsfake-%d.log", work, run);
    return it_start_gpsfake(work, port, bf_test_src(LOG_REL), 0.04, 40, log_path);
}

/* Remove the work directory: gpsfake's logs and the control sockets it leaves behind. */
static void remove_work(void)
{
    DIR *d = opendir(work);
    if (!d)
        return;
    struct dirent *e;
    char p[800];
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(p, sizeof p, "%s/%s", work, e->d_name);
        unlink(p);
    }
    closedir(d);
    rmdir(work);
    rmdir(bf_test_tmpdir());   /* only if nothing else is in it */
}

/* The device path gpsd serves (a pty), asked with ?WATCH like any client; "" if none. */
static void gpsd_device_path(int port, char *out, size_t len)
{
    out[0] = '\0';
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        if (fd >= 0)
            close(fd);
        return;
    }
    const char *watch = "?WATCH={\"enable\":true,\"json\":true};\n";
    if (write(fd, watch, strlen(watch)) < 0) {
        close(fd);
        return;
    }
    char buf[8192];
    size_t have = 0;
    bf_time_us until = bf_clock_monotonic(NULL) + 5 * BF_US_PER_S;
    while (out[0] == '\0' && bf_clock_monotonic(NULL) < until && have < sizeof buf - 1) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 100) <= 0)
            continue;
        ssize_t n = read(fd, buf + have, sizeof buf - 1 - have);
        if (n <= 0)
            break;
        have += (size_t)n;
        buf[have] = '\0';
        const char *k = strstr(buf, "\"path\":\"");
        if (k) {
            k += 8;
            const char *e = strchr(k, '"');
            if (e && (size_t)(e - k) < len) {
                memcpy(out, k, (size_t)(e - k));
                out[e - k] = '\0';
            }
        }
    }
    close(fd);
}

/* ---- waiting on the fake host ---------------------------------------------------- */

static double health_locked(const struct fake_host *f, const char *key)
{
    double v = NAN;
    for (size_t i = 0; i < f->n_health; i++)
        if (strcmp(f->health[i].key, key) == 0)
            v = f->health[i].value;
    return v;
}

struct health_is {
    const char *key;
    double value;
    size_t min_fixes;
};

static bool pred_health(const struct fake_host *f, const void *arg)
{
    const struct health_is *h = arg;
    return f->n_fixes >= h->min_fixes && health_locked(f, h->key) == h->value;
}

static bool pred_last_fix_at(const struct fake_host *f, const void *arg)
{
    return f->n_fixes > 0 && f->fixes[f->n_fixes - 1].t_us == *(const bf_time_us *)arg;
}

static bool pred_health_at_least(const struct fake_host *f, const void *arg)
{
    const struct health_is *h = arg;
    return health_locked(f, h->key) >= h->value;
}

/* ---- opening the plugin ---------------------------------------------------------- */

static cJSON *options[8];   /* borrowed by open instances: freed after they close */
static int n_options;

static void free_options(void)
{
    while (n_options > 0)
        cJSON_Delete(options[--n_options]);
}

static int open_gps(void *state, struct fake_host *f, uint32_t index, const char *options_json)
{
    cJSON *o = options_json ? cJSON_Parse(options_json) : NULL;
    if (options_json)
        CU_ASSERT_PTR_NOT_NULL_FATAL(o);
    struct bf_sensor_config cfg = {
        .abi_version = BF_SENSOR_ABI, .site = "test", .id = "gps-test", .index = index,
        .options = o,
    };
    const struct bf_sensor_ops *ops = bf_sensor_builtin("gps");
    CU_ASSERT_PTR_NOT_NULL_FATAL(ops);
    int rc = ops->open(state, &cfg, &f->host);
    if (rc == 0 && n_options < 8)
        options[n_options++] = o;
    else
        cJSON_Delete(o);
    return rc;
}

static void close_gps(void *state)
{
    bf_sensor_builtin("gps")->close(state);
}

static void *new_state(void)
{
    void *s = calloc(1, bf_sensor_builtin("gps")->state_size);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    return s;
}

/* ---- tests ----------------------------------------------------------------------- */

static void test_options_refused(void)
{
    static const char *const bad[] = {
        NULL,                                                     /* no options at all */
        "{}",                                                     /* neither id nor devices */
        "{\"id\":\"truck-1\",\"hots\":\"gpsd.local\"}",           /* unknown key */
        "{\"id\":\"truck-1\",\"devices\":{\"/dev/ttyUSB0\":\"a\"}}", /* both */
        "{\"id\":\"truck 1\"}",                                   /* not an id */
        "{\"id\":\"truck/1\"}",                                   /* would split the topic */
        "{\"id\":\"truck-1\",\"port\":70000}",
        "{\"id\":\"truck-1\",\"port\":\"2947\"}",
        "{\"id\":\"truck-1\",\"host\":\"\"}",
        "{\"id\":\"truck-1\",\"publish_units\":\"yes\"}",
        "{\"id\":\"truck-1\",\"reconnect_min_s\":10,\"reconnect_max_s\":5}",
        "{\"id\":\"truck-1\",\"reconnect_min_s\":0}",
        "{\"devices\":{}}",
        "{\"devices\":{\"/dev/ttyUSB0\":7}}",
        "{\"devices\":{\"\":\"truck-1\"}}",
        "{\"devices\":{\"/dev/ttyUSB0\":\"truck-1\",\"/dev/ttyUSB0\":\"truck-2\"}}",
    };
    struct fake_host f;
    fake_host_init(&f);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        void *s = new_state();
        int rc = open_gps(s, &f, 0, bad[i]);
        if (rc != BF_EINVAL)
            fprintf(stderr, "options %s: open returned %d, expected BF_EINVAL\n",
                    bad[i] ? bad[i] : "(none)", rc);
        CU_ASSERT_EQUAL(rc, BF_EINVAL);
        close_gps(s);   /* harmless after a failed open */
        free(s);
    }
    CU_ASSERT_EQUAL(f.n_fixes, 0);
    fake_host_destroy(&f);
}

static void test_nothing_listening(void)
{
    int port = it_free_port();
    CU_ASSERT_FATAL(port > 0);
    char opts[160];
    snprintf(opts, sizeof opts,
             "{\"id\":\"truck-1\",\"port\":%d,\"reconnect_min_s\":0.1,\"reconnect_max_s\":0.4}",
             port);
    struct fake_host f;
    fake_host_init(&f);
    void *s = new_state();
    CU_ASSERT_EQUAL_FATAL(open_gps(s, &f, 2, opts), 0);   /* gpsd not up: still opens */
    /* 0.1 + 0.2 + 0.4 + 0.4 s of back-off: the fourth refusal comes after about 1.1 s */
    struct health_is four = {"connect_failures", 4, 0};
    CU_ASSERT_TRUE(fake_host_wait(&f, pred_health_at_least, &four, 4000));
    CU_ASSERT_EQUAL(fake_host_health(&f, 2, "connected"), 0);
    CU_ASSERT_EQUAL(fake_host_health(&f, 2, "fix_mode"), 0);
    CU_ASSERT_EQUAL(f.n_fixes, 0);
    bf_time_us t0 = bf_clock_monotonic(NULL);
    close_gps(s);
    double close_s = bf_time_to_s(bf_clock_monotonic(NULL) - t0);
    printf("\n  close while retrying took %.3f s\n", close_s);
    CU_ASSERT(close_s < 1.0);
    free(s);
    free_options();
    fake_host_destroy(&f);
}

/*
 * Every fix against the log: id, position, speed, course, altitude, times
 * increasing.  gpsd may report an epoch twice while it learns the receiver's
 * cycle: first as a 2D fix from $GPRMC, then as 3D once $GPGGA's altitude is
 * in; the second report has the same time and a higher mode.
 */
static size_t check_fixes(struct fake_host *f, size_t from, const char *id)
{
    pthread_mutex_lock(&f->mu);
    size_t matched = 0;
    bf_time_us prev = BF_TIME_NONE;
    for (size_t i = from; i < f->n_fixes; i++) {
        const struct bf_position_fix *x = &f->fixes[i];
        CU_ASSERT_STRING_EQUAL(x->id, id);
        const struct epoch *e = epoch_at(x->t_us);
        CU_ASSERT_PTR_NOT_NULL(e);
        CU_ASSERT(x->t_us > prev || (x->t_us == prev && x->mode > f->fixes[i - 1].mode));
        prev = x->t_us;
        if (!e)
            continue;
        matched++;
        BF_ASSERT_NEAR(x->lat_deg, e->lat, 1e-6);
        BF_ASSERT_NEAR(x->lon_deg, e->lon, 1e-6);
        BF_ASSERT_NEAR(x->speed_mps, e->speed_mps, 0.005);
        BF_ASSERT_NEAR(x->track_deg, e->track_deg, 0.01);
        CU_ASSERT(x->mode == 2 || x->mode == 3);
        if (x->mode == 3) {
            BF_ASSERT_NEAR(x->alt_m, 420.0, 0.01);
        } else {
            CU_ASSERT_TRUE(isnan(x->alt_m));
        }
    }
    pthread_mutex_unlock(&f->mu);
    return matched;
}

/* The units publications from index `from`: topic, flags, values, at most one per second. */
static size_t check_pubs(struct fake_host *f, size_t from, size_t *n_time_back)
{
    pthread_mutex_lock(&f->mu);
    size_t n = 0;
    bf_time_us prev = BF_TIME_NONE;
    *n_time_back = 0;
    for (size_t i = from; i < f->n_pubs; i++) {
        const struct fake_pub *p = &f->pubs[i];
        CU_ASSERT_STRING_EQUAL(p->topic, "borderfuse/test/units/truck-1");
        CU_ASSERT_EQUAL(p->qos, 0);
        CU_ASSERT_EQUAL(p->retain, 1);
        cJSON *j = cJSON_Parse(p->payload);
        CU_ASSERT_PTR_NOT_NULL(j);
        if (!j)
            continue;
        bf_time_us t = BF_TIME_NONE;
        const cJSON *tm = cJSON_GetObjectItemCaseSensitive(j, "time");
        CU_ASSERT_TRUE(cJSON_IsString(tm) && bf_time_parse_iso(tm->valuestring, &t) == 0);
        const struct epoch *e = epoch_at(t);
        CU_ASSERT_PTR_NOT_NULL(e);
        if (e) {
            n++;
            CU_ASSERT_STRING_EQUAL(cJSON_GetStringValue(cJSON_GetObjectItem(j, "id")), "truck-1");
            BF_ASSERT_NEAR(cJSON_GetNumberValue(cJSON_GetObjectItem(j, "lat")), e->lat, 1e-6);
            BF_ASSERT_NEAR(cJSON_GetNumberValue(cJSON_GetObjectItem(j, "lon")), e->lon, 1e-6);
            BF_ASSERT_NEAR(cJSON_GetNumberValue(cJSON_GetObjectItem(j, "speed_mps")),
                           e->speed_mps, 0.005);
            BF_ASSERT_NEAR(cJSON_GetNumberValue(cJSON_GetObjectItem(j, "track_deg")),
                           e->track_deg, 0.01);
            double mode = cJSON_GetNumberValue(cJSON_GetObjectItem(j, "mode"));
            CU_ASSERT(mode == 2 || mode == 3);
            if (mode == 3) {
                BF_ASSERT_NEAR(cJSON_GetNumberValue(cJSON_GetObjectItem(j, "alt_m")), 420.0, 0.01);
            } else {
                CU_ASSERT_TRUE(cJSON_IsNull(cJSON_GetObjectItem(j, "alt_m")));
            }
        }
        if (prev != BF_TIME_NONE && t < prev)
            (*n_time_back)++;   /* a replay starting over publishes at once */
        else if (prev != BF_TIME_NONE)
            CU_ASSERT(t - prev >= BF_US_PER_S);
        prev = t;
        cJSON_Delete(j);
    }
    pthread_mutex_unlock(&f->mu);
    return n;
}

static void test_gpsfake_fixes_loss_and_return(void)
{
    CU_ASSERT_EQUAL_FATAL(load_log(), 0);
    CU_ASSERT_TRUE(checksums_ok);
    CU_ASSERT_EQUAL_FATAL(n_epochs, 60);
    const struct epoch *last = &epochs[n_epochs - 1];

    snprintf(work, sizeof work, "%s/gps", bf_test_tmpdir());
    mkdir(work, 0755);
    int port = it_free_port();
    CU_ASSERT_FATAL(port > 0);
    char opts[256];

    /* A: the whole gpsd is truck-1; opened before gpsd is up */
    struct fake_host fa, fb, fc;
    fake_host_init(&fa);
    fake_host_init(&fb);
    fake_host_init(&fc);
    void *a = new_state(), *b = new_state(), *c = new_state();
    snprintf(opts, sizeof opts,
             "{\"id\":\"truck-1\",\"host\":\"localhost\",\"port\":%d,"
             "\"reconnect_min_s\":0.1,\"reconnect_max_s\":0.5}", port);
    CU_ASSERT_EQUAL_FATAL(open_gps(a, &fa, 0, opts), 0);

    bf_time_us t_start = bf_clock_monotonic(NULL);
    pid_t fake = start_gpsfake(port, 1);
    CU_ASSERT_FATAL(fake > 0);
    CU_ASSERT_FATAL(it_wait_port(port, 5.0));

    /* B maps gpsd's device to truck-2, C lists only a device gpsd does not have */
    char dev[128];
    gpsd_device_path(port, dev, sizeof dev);
    printf("\n  gpsd serves %s\n", dev);
    CU_ASSERT_FATAL(dev[0] == '/');
    snprintf(opts, sizeof opts, "{\"port\":%d,\"devices\":{\"%s\":\"truck-2\","
             "\"/dev/ttyUSB9\":\"truck-3\"},\"publish_units\":false}", port, dev);
    CU_ASSERT_EQUAL_FATAL(open_gps(b, &fb, 1, opts), 0);
    snprintf(opts, sizeof opts, "{\"port\":%d,\"devices\":{\"/dev/ttyUSB9\":\"truck-3\"}}",
             port);
    CU_ASSERT_EQUAL_FATAL(open_gps(c, &fc, 2, opts), 0);

    /* the log ends with epochs without a fix: fix_mode 1 marks its end */
    struct health_is end = {"fix_mode", 1, 1};
    CU_ASSERT_TRUE_FATAL(fake_host_wait(&fa, pred_health, &end, 15000));
    /* B's "fix_mode" stays 0: the worst of its devices, and truck-3 never reported */
    CU_ASSERT_TRUE(fake_host_wait(&fb, pred_last_fix_at, &last->t_us, 2000));
    printf("  first run: %zu fixes in %.1f s\n", fa.n_fixes,
           bf_time_to_s(bf_clock_monotonic(NULL) - t_start));

    size_t n1 = fa.n_fixes;
    CU_ASSERT(n1 >= 30);                       /* gpsd drops about a second's worth */
    CU_ASSERT_EQUAL(check_fixes(&fa, 0, "truck-1"), n1);
    CU_ASSERT_EQUAL(fa.fixes[n1 - 1].t_us, last->t_us);
    CU_ASSERT_EQUAL(fa.good, n1);
    CU_ASSERT_EQUAL(fa.last_good_t, last->t_us);
    for (int k = 0; k < BF_FAULT_KIND_COUNT; k++)
        CU_ASSERT_EQUAL(fa.faults[k], 0);   /* gpsd's JSON is well formed */
    CU_ASSERT_EQUAL(fake_host_health(&fa, 0, "connected"), 1);
    size_t back = 0, p1 = fa.n_pubs;
    CU_ASSERT_EQUAL(check_pubs(&fa, 0, &back), p1);
    CU_ASSERT_EQUAL(back, 0);
    /* 2 fixes a second, one publication per second of fix time (floor(span) + 1 if none
       was skipped; gpsd skipping an epoch can cost one) */
    double span_s = bf_time_to_s(fa.fixes[n1 - 1].t_us - fa.fixes[0].t_us);
    CU_ASSERT(p1 <= (size_t)span_s + 1 && p1 + 2 >= (size_t)span_s);
    printf("  units publications: %zu for %zu fixes over %.1f s\n", p1, n1, span_s);

    CU_ASSERT(fb.n_fixes >= 20);
    CU_ASSERT_EQUAL(check_fixes(&fb, 0, "truck-2"), fb.n_fixes);
    CU_ASSERT_EQUAL(fb.n_pubs, 0);              /* publish_units false */
    CU_ASSERT_EQUAL(fc.n_fixes, 0);
    CU_ASSERT_EQUAL(fc.good, 0);
    CU_ASSERT(fake_host_health(&fc, 2, "ignored_fixes") >= 20);
    CU_ASSERT_EQUAL(fake_host_health(&fc, 2, "fix_mode"), 0);   /* truck-3 never heard */

    /* gpsd goes away: reported, not fatal */
    it_stop_group(fake);
    struct health_is down = {"connected", 0, 0};
    CU_ASSERT_TRUE(fake_host_wait(&fa, pred_health, &down, 3000));
    CU_ASSERT_TRUE(fake_host_wait(&fb, pred_health, &down, 3000));
    CU_ASSERT_EQUAL(fake_host_health(&fa, 0, "fix_mode"), 0);
    it_sleep_ms(600);   /* a few refused reconnections */
    CU_ASSERT_EQUAL(fa.n_fixes, n1);
    CU_ASSERT(fake_host_health(&fa, 0, "connect_failures") >= 1);

    /* and comes back on the same port: the same drive again */
    t_start = bf_clock_monotonic(NULL);
    fake = start_gpsfake(port, 2);
    CU_ASSERT_FATAL(fake > 0);
    struct health_is again = {"fix_mode", 1, n1 + 20};
    CU_ASSERT_TRUE(fake_host_wait(&fa, pred_health, &again, 15000));
    printf("  second run: %zu fixes in %.1f s\n", fa.n_fixes - n1,
           bf_time_to_s(bf_clock_monotonic(NULL) - t_start));
    CU_ASSERT_EQUAL(fake_host_health(&fa, 0, "connected"), 1);
    CU_ASSERT_EQUAL(check_fixes(&fa, n1, "truck-1"), fa.n_fixes - n1);
    CU_ASSERT_EQUAL(fa.fixes[fa.n_fixes - 1].t_us, last->t_us);
    CU_ASSERT(check_pubs(&fa, 0, &back) > p1);
    CU_ASSERT_EQUAL(back, 1);                   /* time went back: published at once */

    bf_time_us t0 = bf_clock_monotonic(NULL);
    close_gps(a);
    close_gps(b);
    close_gps(c);
    double close_s = bf_time_to_s(bf_clock_monotonic(NULL) - t0);
    printf("  closing three connected instances took %.3f s\n", close_s);
    CU_ASSERT(close_s < 1.5);
    it_stop_group(fake);

    free(a);
    free(b);
    free(c);
    free_options();
    fake_host_destroy(&fa);
    fake_host_destroy(&fb);
    fake_host_destroy(&fc);
    if (CU_get_number_of_failures() == 0)
        remove_work();   /* kept for a look after a failure */
}

static CU_TestInfo gps_tests[] = {
    {"bad options are refused at open", test_options_refused},
    {"open with no gpsd succeeds and keeps retrying", test_nothing_listening},
    {"gpsd+gpsfake: fixes, units, loss and return", test_gpsfake_fixes_loss_and_return},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"plugin gps", NULL, NULL, NULL, NULL, gps_tests},
    CU_SUITE_INFO_NULL,
};

int main(void)
{
    /* gpsfake runs gpsd by name; Debian installs it in /usr/sbin */
    const char *path = getenv("PATH");
    char buf[4096];
    snprintf(buf, sizeof buf, "%s:/usr/sbin:/usr/local/sbin", path ? path : "/usr/bin:/bin");
    setenv("PATH", buf, 1);
    return bf_test_main(suites);
}
