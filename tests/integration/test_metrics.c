/*
 * test_metrics.c - the monitoring endpoint for real: the borderfuse engine as
 * a process with one "json" radar and "metrics" on a free loopback port,
 * started before its broker; this test as the radar (a walker crossing the
 * line), as a scraper over a plain socket, as promtool's linter and as a
 * real Prometheus server scraping the engine every second.
 *
 * The engine is started as systemd starts a Type=notify service with
 * WatchdogSec=1 (NOTIFY_SOCKET names this test's datagram socket).
 *
 * Asserted: before the broker exists /healthz turns 200 and /readyz is 503
 * (the reason names the broker), WATCHDOG=1 comes, READY=1 does not and the
 * STATUS says it waits for the broker; once a mosquitto listens on the engine's port,
 * /readyz turns 200; after the walk, /metrics is OpenMetrics (content type,
 * "# EOF" at the end, every sample line parses, every sample's family has a
 * TYPE), with 30 detections received from radar-a, none shed or late, the
 * radar up, the broker connected, a live confirmed track, one INCURSION NEW
 * among the alert changes and one INCURSION alert live, nothing owed in the
 * outbox, and a scan-duration histogram whose count is the scans counted and
 * whose buckets never decrease; unknown paths 404, POST 405; promtool check
 * metrics passes on the text format; Prometheus' own up{} is 1 for the
 * engine and it stored borderfuse_detections_received_total; at the stop,
 * STOPPING=1, and a "watching site" STATUS was sent on the way.
 */
#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "bf_test.h"
#include "mqtt/mqtt.h"
#include "core/bf_time.h"
#include "it_util.h"

#define SITE "itmetrics"
#define ROOT "borderfuse/" SITE "/"

struct http_reply {
    int status;
    char head[2048];
    char *body;   /* malloc'd, NUL-terminated; NULL when no answer */
};

/* One HTTP/1.0 request to 127.0.0.1:port; accept may be NULL. */
static struct http_reply http(int port, const char *method, const char *path, const char *accept)
{
    struct http_reply r = {.status = -1};
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return r;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct timeval tv = {.tv_sec = 5};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
        close(fd);
        return r;
    }
    char req[512];
    int n = snprintf(req, sizeof req, "%s %s HTTP/1.0\r\nHost: 127.0.0.1\r\n%s%s%s\r\n", method,
                     path, accept ? "Accept: " : "", accept ? accept : "", accept ? "\r\n" : "");
    if (write(fd, req, (size_t)n) != n) {
        close(fd);
        return r;
    }
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap + 1);
    ssize_t k;
    while (buf && (k = read(fd, buf + len, cap - len)) > 0) {
        len += (size_t)k;
        if (len == cap) {
            char *nb = realloc(buf, 2 * cap + 1);
            if (!nb)
                break;
            buf = nb;
            cap *= 2;
        }
    }
    close(fd);
    if (!buf)
        return r;
    buf[len] = '\0';
    char *sep = strstr(buf, "\r\n\r\n");
    if (sscanf(buf, "HTTP/1.%*d %d", &r.status) != 1 || !sep) {
        free(buf);
        r.status = -1;
        return r;
    }
    size_t hl = (size_t)(sep - buf);
    snprintf(r.head, sizeof r.head, "%.*s", (int)(hl < sizeof r.head ? hl : sizeof r.head - 1), buf);
    r.body = strdup(sep + 4);
    free(buf);
    return r;
}

static int status_of(int port, const char *path)
{
    struct http_reply r = http(port, "GET", path, NULL);
    free(r.body);
    return r.status;
}

/* ---- systemd's side of sd_notify: a datagram socket named by NOTIFY_SOCKET ---- */

static char notes[1 << 16];   /* every datagram received, each followed by "\n|" */
static pthread_mutex_t notes_mu = PTHREAD_MUTEX_INITIALIZER;
static volatile int notes_stop;

static int notify_socket(const char *path)
{
    int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof a.sun_path)
        return -1;
    memcpy(a.sun_path, path, strlen(path) + 1);
    unlink(path);
    struct timeval tv = {.tv_usec = 50000};
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) < 0 ||
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) < 0)
        return -1;
    return fd;
}

/* Reads the socket as systemd does, at once (a full socket would block the sender). */
static void *notes_reader(void *arg)
{
    int fd = *(int *)arg;
    char buf[1024];
    while (!notes_stop) {
        ssize_t n = recv(fd, buf, sizeof buf - 1, 0);
        if (n <= 0)
            continue;
        buf[n] = '\0';
        pthread_mutex_lock(&notes_mu);
        size_t l = strlen(notes);
        snprintf(notes + l, sizeof notes - l, "%s\n|", buf);
        pthread_mutex_unlock(&notes_mu);
    }
    return NULL;
}

static int notes_count(const char *what)
{
    int k = 0;
    pthread_mutex_lock(&notes_mu);
    for (const char *p = notes; (p = strstr(p, what)) != NULL; p += strlen(what))
        k++;
    pthread_mutex_unlock(&notes_mu);
    return k;
}

/* The value of the sample line that starts with prefix (name and labels) in text; NAN if none. */
static double sample(const char *text, const char *prefix)
{
    size_t pl = strlen(prefix);
    for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
        if (strncmp(l, prefix, pl) == 0 && l[pl] == ' ')
            return strtod(l + pl + 1, NULL);
    return NAN;
}

/*
 * Every line is a comment (# TYPE / # HELP / # EOF) or "name[{labels}] value"; every sample's
 * family has a TYPE line before it.  Returns the number of bad lines (printed), counts samples.
 */
static int check_syntax(const char *text, int *samples)
{
    int bad = 0;
    *samples = 0;
    char *copy = strdup(text);
    char types[200][96];
    int nt = 0;
    for (char *l = strtok(copy, "\n"); l; l = strtok(NULL, "\n")) {
        if (strncmp(l, "# TYPE ", 7) == 0) {
            if (nt < 200)
                sscanf(l + 7, "%95s", types[nt++]);
            continue;
        }
        if (strncmp(l, "# HELP ", 7) == 0 || strcmp(l, "# EOF") == 0)
            continue;
        char name[128];
        size_t nl = strspn(l, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_:");
        const char *rest = l + nl;
        if (*rest == '{') {
            const char *close = strstr(rest, "} ");
            rest = close ? close + 1 : NULL;
        }
        char *end = NULL;
        if (rest && *rest == ' ')
            strtod(rest + 1, &end);
        bool typed = false;
        snprintf(name, sizeof name, "%.*s", (int)nl, l);
        for (int i = 0; i < nt && !typed; i++)
            typed = strncmp(name, types[i], strlen(types[i])) == 0;
        if (nl == 0 || !rest || !end || *end != '\0' || !typed) {
            fprintf(stderr, "bad line: %s\n", l);
            bad++;
        }
        (*samples)++;
    }
    free(copy);
    return bad;
}

static bool scraped_incursion(int mport, double timeout_s)
{
    bf_time_us until = bf_clock_monotonic(NULL) + bf_time_from_s(timeout_s);
    do {
        struct http_reply r = http(mport, "GET", "/metrics", NULL);
        double v = r.body ? sample(r.body, "borderfuse_alert_changes_total{type=\"INCURSION\","
                                           "state=\"NEW\"}") : NAN;
        double owed = r.body ? sample(r.body, "borderfuse_outbox_backlog_lines") : NAN;
        free(r.body);
        if (v == 1 && owed == 0)
            return true;
        it_sleep_ms(200);
    } while (bf_clock_monotonic(NULL) < until);
    return false;
}

/* promtool check metrics on text (stdin); -1 when promtool is absent. */
static int promtool(const char *text, const char *log)
{
    if (system("command -v promtool >/dev/null 2>&1") != 0)
        return -1;
    char cmd[600];
    snprintf(cmd, sizeof cmd, "promtool check metrics > %s 2>&1", log);
    FILE *p = popen(cmd, "w");
    if (!p)
        return -2;
    fputs(text, p);
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -2;
}

/* Prometheus' answer to query q as text (malloc'd), or NULL. */
static char *prom_query(int pport, const char *q)
{
    char path[256];
    snprintf(path, sizeof path, "/api/v1/query?query=%s", q);
    struct http_reply r = http(pport, "GET", path, NULL);
    if (r.status != 200) {
        free(r.body);
        return NULL;
    }
    return r.body;
}

/* The first result's value of a Prometheus instant-query answer; NAN if none. */
static double prom_value(const char *answer)
{
    cJSON *j = cJSON_Parse(answer);
    const cJSON *res = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(j, "data"), "result");
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(res, 0), "value");
    const cJSON *s = cJSON_GetArrayItem(v, 1);
    double out = cJSON_IsString(s) ? strtod(s->valuestring, NULL) : NAN;
    cJSON_Delete(j);
    return out;
}

static void run_prometheus(const char *tmp, int mport)
{
    if (system("command -v prometheus >/dev/null 2>&1") != 0) {
        printf("\n  SKIPPED the Prometheus scrape: no prometheus binary (scripts/bootstrap.sh "
               "installs the prometheus package)\n");
        return;
    }
    int pport = it_free_port();
    char conf[512], tsdb[512], plog[512], listen[64];
    snprintf(conf, sizeof conf, "%s/prometheus.yml", tmp);
    snprintf(tsdb, sizeof tsdb, "--storage.tsdb.path=%s/tsdb", tmp);
    snprintf(plog, sizeof plog, "%s/prometheus.log", tmp);
    snprintf(listen, sizeof listen, "--web.listen-address=127.0.0.1:%d", pport);
    CU_ASSERT_EQUAL_FATAL(it_write_file(conf, 0644,
        "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
        "scrape_configs:\n  - job_name: borderfuse\n    static_configs:\n"
        "      - targets: ['127.0.0.1:%d']\n", mport), 0);
    char cf[600];
    snprintf(cf, sizeof cf, "--config.file=%s", conf);
    char bin[] = "/usr/bin/prometheus";
    char *argv[] = {bin, cf, tsdb, listen, "--storage.tsdb.retention.time=1h", NULL};
    if (access(bin, X_OK) != 0) {
        printf("\n  SKIPPED the Prometheus scrape: prometheus is not %s\n", bin);
        return;
    }
    bf_time_us t0 = bf_clock_monotonic(NULL);
    pid_t prom = it_spawn(argv, plog);
    CU_ASSERT_TRUE_FATAL(prom > 0);
    double up = NAN, received = NAN;
    while (bf_clock_monotonic(NULL) - t0 < 25 * BF_US_PER_S) {
        it_sleep_ms(500);
        char *a = prom_query(pport, "up");
        up = a ? prom_value(a) : NAN;
        free(a);
        a = prom_query(pport, "borderfuse_detections_received_total");
        received = a ? prom_value(a) : NAN;
        free(a);
        if (up == 1 && received == 30)
            break;
    }
    printf("\n  prometheus on 127.0.0.1:%d: up = %g, borderfuse_detections_received_total = %g "
           "after %.1f s\n", pport, up, received, bf_time_to_s(bf_clock_monotonic(NULL) - t0));
    CU_ASSERT_EQUAL(up, 1);
    CU_ASSERT_EQUAL(received, 30);
    it_stop(prom);
    if (up != 1)
        it_show_log(plog);
}

static void test_metrics_endpoint(void)
{
    const char *tmp = bf_test_tmpdir();
    int port = it_free_port(), mport = it_free_port();
    char url[64], conf[512], elog[512];
    snprintf(url, sizeof url, "tcp://127.0.0.1:%d", port);
    snprintf(conf, sizeof conf, "%s/engine.json", tmp);
    snprintf(elog, sizeof elog, "%s/engine.log", tmp);
    const char *zones = bf_test_src("tests/data/straight/zones.geojson");
    CU_ASSERT_EQUAL_FATAL(it_write_engine_config(conf, SITE, zones,
            " \"sensors\": [{\"id\": \"radar-a\", \"type\": \"json\", \"lat\": 46.78, \"lon\": 8.20,"
            " \"range_m\": 9000, \"sigma_m\": 5}],\n"
            " \"alerts\": {\"journal\": \"journal.jsonl\", \"journal_fsync\": \"never\"},\n"
            " \"engine\": {\"reorder_window_ms\": 200, \"status_period_s\": 0.5,"
            " \"idle_flush_s\": 0.3},\n"
            " \"metrics\": {\"listen\": \"127.0.0.1:%d\"}", mport), 0);

    /* ---- the engine before its broker: alive, not ready ---- */
    char npath[512];
    snprintf(npath, sizeof npath, "%s/notify.sock", tmp);
    int nfd = notify_socket(npath);
    CU_ASSERT_TRUE_FATAL(nfd >= 0);
    notes[0] = '\0';
    notes_stop = 0;
    pthread_t reader;
    CU_ASSERT_EQUAL_FATAL(pthread_create(&reader, NULL, notes_reader, &nfd), 0);
    setenv("NOTIFY_SOCKET", npath, 1);     /* as systemd starts a Type=notify service */
    setenv("WATCHDOG_USEC", "1000000", 1); /* WatchdogSec=1 */
    pid_t engine = it_start_engine(conf, url, "info", elog);
    unsetenv("NOTIFY_SOCKET");
    unsetenv("WATCHDOG_USEC");
    CU_ASSERT_TRUE_FATAL(engine > 0);
    CU_ASSERT_TRUE_FATAL(it_wait_port(mport, 15));
    /* the endpoint opens at the end of the start; the loop's first turn follows (a turn can
     * take seconds while the client retries a broker that is not there) */
    bf_time_us t_h = bf_clock_monotonic(NULL);
    int hs = 0;
    while ((hs = status_of(mport, "/healthz")) != 200 &&
           bf_clock_monotonic(NULL) - t_h < 15 * BF_US_PER_S)
        it_sleep_ms(100);
    CU_ASSERT_EQUAL(hs, 200);
    struct http_reply nr = http(mport, "GET", "/readyz", NULL);
    CU_ASSERT_EQUAL(nr.status, 503);
    CU_ASSERT_TRUE(nr.body && strstr(nr.body, "broker") != NULL);
    printf("\n  before the broker: /readyz %d %s", nr.status, nr.body ? nr.body : "");
    free(nr.body);
    it_sleep_ms(1200);
    CU_ASSERT_EQUAL(notes_count("READY=1"), 0);
    CU_ASSERT_TRUE(notes_count("WATCHDOG=1") >= 1);
    CU_ASSERT_TRUE(notes_count("STATUS=waiting: the broker is not connected") == 1);
    printf("  before the broker: %d WATCHDOG=1, READY=1 %d times\n", notes_count("WATCHDOG=1"),
           notes_count("READY=1"));

    /* ---- the broker comes: ready ---- */
    pid_t broker = it_start_mosquitto(tmp, port);
    CU_ASSERT_TRUE_FATAL(broker > 0);
    bf_time_us t0 = bf_clock_monotonic(NULL);
    int rs = 0;
    while ((rs = status_of(mport, "/readyz")) != 200 &&
           bf_clock_monotonic(NULL) - t0 < 25 * BF_US_PER_S)
        it_sleep_ms(100);
    printf("  /readyz %d %.1f s after the broker started\n", rs,
           bf_time_to_s(bf_clock_monotonic(NULL) - t0));
    CU_ASSERT_EQUAL_FATAL(rs, 200);
    CU_ASSERT_EQUAL(notes_count("READY=1"), 1);
    /* a loop that turns feeds the watchdog every quarter of WatchdogSec (1 s) */
    int wd0 = notes_count("WATCHDOG=1");
    it_sleep_ms(2000);
    int wd = notes_count("WATCHDOG=1") - wd0;
    printf("  WATCHDOG=1 %d times in 2 s with the broker up (at most every 250 ms: 8)\n", wd);
    CU_ASSERT_TRUE(wd >= 4 && wd <= 9);

    /* ---- a walker crosses, seen by radar-a ---- */
    struct bf_mqtt *pub;
    struct bf_mqtt_options po = {.url = url, .client_id = "it-metrics-radar", .clean_session = true};
    CU_ASSERT_EQUAL_FATAL(bf_mqtt_create(&po, &pub), 0);
    CU_ASSERT_EQUAL_FATAL(bf_mqtt_wait_connected(pub, 5000), 0);
    it_sleep_ms(300);   /* the engine's subscriptions land */
    struct it_walker walker = {
        .pub = pub, .topic = ROOT "sensors/radar-a/detections", .sensor = "radar-a",
        .lat0 = 46.80, .north0_m = 30.0, .lon = 8.205, .speed_mps = 2.0, .m_per_deg = 111200.0,
        .t0_us = (bf_clock_realtime(NULL) / BF_US_PER_S - 120) * BF_US_PER_S};
    CU_ASSERT_EQUAL(it_publish_walker(&walker, 0, 30), 0);
    CU_ASSERT_EQUAL(bf_mqtt_flush(pub, 5000), 0);
    CU_ASSERT_TRUE(scraped_incursion(mport, 15));
    it_sleep_ms(1200);   /* one more snapshot after the idle flush */

    /* ---- /metrics ---- */
    struct http_reply m = http(mport, "GET", "/metrics", NULL);
    CU_ASSERT_EQUAL_FATAL(m.status, 200);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m.body);
    CU_ASSERT_PTR_NOT_NULL(strstr(m.head, "Content-Type: application/openmetrics-text; "
                                          "version=1.0.0; charset=utf-8"));
    size_t bl = strlen(m.body);
    CU_ASSERT_TRUE(bl > 6 && strcmp(m.body + bl - 6, "# EOF\n") == 0);
    int samples = 0;
    CU_ASSERT_EQUAL(check_syntax(m.body, &samples), 0);
    const char *b = m.body;
    double recv = sample(b, "borderfuse_detections_received_total{sensor=\"radar-a\"}");
    double scans = sample(b, "borderfuse_scans_total");
    double hcount = sample(b, "borderfuse_scan_duration_seconds_count");
    double hsum = sample(b, "borderfuse_scan_duration_seconds_sum");
    double inf = sample(b, "borderfuse_scan_duration_seconds_bucket{le=\"+Inf\"}");
    double live_new = sample(b, "borderfuse_alerts_live{type=\"INCURSION\",state=\"NEW\"}");
    double live_upd = sample(b, "borderfuse_alerts_live{type=\"INCURSION\",state=\"UPDATED\"}");
    printf("  /metrics: %zu bytes, %d samples; received %g, processed %g, scans %g, tracks live %g "
           "(confirmed %g), scan time mean %.1f us over %g scans\n", bl, samples, recv,
           sample(b, "borderfuse_detections_processed_total"), scans,
           sample(b, "borderfuse_tracks_live"), sample(b, "borderfuse_tracks_live_confirmed"),
           hcount > 0 ? hsum / hcount * 1e6 : 0.0, hcount);
    CU_ASSERT_EQUAL(recv, 30);
    CU_ASSERT_EQUAL(sample(b, "borderfuse_sensor_messages_total{sensor=\"radar-a\"}"), 30);
    CU_ASSERT_EQUAL(sample(b, "borderfuse_detections_shed_total{sensor=\"radar-a\"}"), 0);
    CU_ASSERT_EQUAL(sample(b, "borderfuse_detections_late_total{sensor=\"radar-a\"}"), 0);
    CU_ASSERT_EQUAL(sample(b, "borderfuse_sensor_malformed_messages_total{sensor=\"radar-a\"}"), 0);
    CU_ASSERT_EQUAL(sample(b, "borderfuse_detections_processed_total"), 30);
    CU_ASSERT_EQUAL(sample(b, "borderfuse_sensor_up{sensor=\"radar-a\",type=\"json\"}"), 1);
    CU_ASSERT_EQUAL(sample(b, "borderfuse_sensor_faulty{sensor=\"radar-a\"}"), 0);
    CU_ASSERT_EQUAL(sample(b, "borderfuse_broker_connected{connection=\"ingest\"}"), 1);
    CU_ASSERT_EQUAL(sample(b, "borderfuse_broker_connected{connection=\"output\"}"), 1);
    CU_ASSERT_EQUAL(sample(b, "borderfuse_ready"), 1);
    CU_ASSERT_TRUE(sample(b, "borderfuse_tracks_live_confirmed") >= 1);
    CU_ASSERT_TRUE(sample(b, "borderfuse_tracks_confirmed_total") >= 1);
    CU_ASSERT_EQUAL(sample(b, "borderfuse_alert_changes_total{type=\"INCURSION\",state=\"NEW\"}"), 1);
    CU_ASSERT_EQUAL(sample(b, "borderfuse_alert_changes_total{type=\"LOITER\",state=\"RESOLVED\"}"), 0);
    CU_ASSERT_EQUAL(live_new + live_upd, 1);
    CU_ASSERT_EQUAL(sample(b, "borderfuse_outbox_backlog_lines"), 0);
    CU_ASSERT_TRUE(sample(b, "borderfuse_outbox_delivered_seq") >= 1);
    CU_ASSERT_TRUE(sample(b, "borderfuse_uptime_seconds") > 0);
    CU_ASSERT_EQUAL(scans, 30);
    CU_ASSERT_EQUAL(hcount, scans);
    CU_ASSERT_EQUAL(inf, hcount);
    CU_ASSERT_TRUE(hsum > 0 && hsum < 30);
    double prev = 0;
    static const char *const les[] = {"0.0001", "0.00025", "0.0005", "0.001", "0.0025", "0.005",
                                      "0.01", "0.025", "0.05", "0.1", "0.25", "1", "+Inf"};
    for (size_t i = 0; i < sizeof les / sizeof les[0]; i++) {
        char pre[96];
        snprintf(pre, sizeof pre, "borderfuse_scan_duration_seconds_bucket{le=\"%s\"}", les[i]);
        double v = sample(b, pre);
        CU_ASSERT_TRUE(v >= prev);   /* cumulative; NAN (missing) fails too */
        prev = v;
    }
    free(m.body);

    /* ---- the other paths ---- */
    CU_ASSERT_EQUAL(status_of(mport, "/healthz"), 200);
    CU_ASSERT_EQUAL(status_of(mport, "/readyz"), 200);
    CU_ASSERT_EQUAL(status_of(mport, "/nothing"), 404);
    struct http_reply post = http(mport, "POST", "/metrics", NULL);
    CU_ASSERT_EQUAL(post.status, 405);
    free(post.body);

    /* ---- promtool's linter, on the text format it reads ---- */
    struct http_reply t = http(mport, "GET", "/metrics", "text/plain;version=0.0.4");
    CU_ASSERT_EQUAL_FATAL(t.status, 200);
    CU_ASSERT_PTR_NOT_NULL(strstr(t.head, "Content-Type: text/plain; version=0.0.4"));
    CU_ASSERT_PTR_NULL(t.body ? strstr(t.body, "# EOF") : "missing");
    char plog[512];
    snprintf(plog, sizeof plog, "%s/promtool.log", tmp);
    int prc = t.body ? promtool(t.body, plog) : -2;
    if (prc == -1) {
        printf("  SKIPPED promtool check metrics: no promtool (scripts/bootstrap.sh installs the "
               "prometheus package)\n");
    } else {
        printf("  promtool check metrics: exit %d\n", prc);
        CU_ASSERT_EQUAL(prc, 0);
        if (prc != 0)
            it_show_log(plog);
    }
    free(t.body);

    /* ---- a real Prometheus scraping it every second ---- */
    run_prometheus(tmp, mport);

    bf_mqtt_destroy(pub);
    int erc = it_stop(engine);
    CU_ASSERT_EQUAL(erc, 0);
    if (erc != 0)
        it_show_log(elog);
    notes_stop = 1;
    pthread_join(reader, NULL);
    close(nfd);
    CU_ASSERT_EQUAL(notes_count("READY=1"), 1);
    CU_ASSERT_EQUAL(notes_count("STOPPING=1"), 1);
    CU_ASSERT_TRUE(notes_count("STATUS=watching site " SITE ": ") >= 1);
    printf("  sd_notify: %d datagrams in all, %d WATCHDOG=1\n", notes_count("\n|"),
           notes_count("WATCHDOG=1"));
    it_stop(broker);
    it_rm_tree(tmp);
}

static CU_TestInfo tests[] = {
    {"metrics endpoint: readiness, OpenMetrics figures, promtool, a Prometheus scrape",
     test_metrics_endpoint},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"integration/metrics", NULL, NULL, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    return bf_test_main(suites);
}
