/*
 * test_cot.c - Cursor-on-Target for real: a private mosquitto, the borderfuse
 * engine as a process with a "cot" section sending UDP to a socket of this
 * test (unicast on loopback) and TCP to a listener of this test standing in
 * for a TAK server, and this test as a sensor publishing JSON detections of
 * a person walking south across the straight border (tests/data/straight,
 * our side south) - an exercise, so every event must carry opex="e".
 *
 * Asserted, on events parsed with GLib's GMarkup against docs/cot.md: a track
 * event (uid, type a-u-G, how m-f, opex, stale = time + stale_s, position
 * near the truth at the event's time, ce, course, speed) and an INCURSION
 * alert event (uid = the id of the alert on MQTT, type b-l, link to the
 * track's uid, stale = time + resolve_after_s, the MQTT explanation in the
 * remarks) on UDP and the same alert on the TCP stream; our response unit
 * (dispatch on, a units message as the gps plugin publishes it) as a friendly
 * a-f-G-U-C event; the status counters; and the config errors of a bad "cot"
 * section.
 */
#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <glib.h>

#include "bf_test.h"
#include "mqtt/mqtt.h"
#include "core/bf_time.h"
#include "it_util.h"

#define SITE "itcot"
#define ROOT "borderfuse/" SITE "/"
#define MAX_EVENTS 4096
#define STALE_S 4.0
#define LON 8.17
#define LAT0 46.8005            /* 55 m north of the line */
#define SPEED 1.5               /* m/s, due south */
#define M_PER_DEG_LAT 111195.0  /* near enough at 46.8 N for a 30 m tolerance */

/* What arrives as CoT: events by transport. */
struct sink {
    pthread_mutex_t lock;
    char *udp[MAX_EVENTS];
    int n_udp;
    char *tcp[MAX_EVENTS];
    int n_tcp;
    GString *stream;        /* TCP bytes not yet split into events */
    bool tcp_accepted;
};

static struct sink sink = {.lock = PTHREAD_MUTEX_INITIALIZER};
static struct it_collector *centre;   /* MQTT: alerts, status */
static volatile int stop_rx;
static int udp_fd = -1, listen_fd = -1;

/* Split complete events ("...</event>") off the TCP stream. */
static void split_stream(struct sink *s)
{
    for (;;) {
        char *end = strstr(s->stream->str, "</event>");
        if (!end)
            return;
        size_t n = (size_t)(end - s->stream->str) + strlen("</event>");
        if (s->n_tcp < MAX_EVENTS)
            s->tcp[s->n_tcp++] = g_strndup(s->stream->str, n);
        g_string_erase(s->stream, 0, (gssize)n);
    }
}

/* The receiving side: UDP datagrams, the TAK-server listener and its one connection. */
static void *rx_thread(void *arg)
{
    (void)arg;
    int conn = -1;
    char buf[65536];
    while (!stop_rx) {
        struct pollfd p[3] = {{.fd = udp_fd, .events = POLLIN}, {.fd = listen_fd, .events = POLLIN},
                              {.fd = conn, .events = POLLIN}};
        if (poll(p, conn >= 0 ? 3 : 2, 50) <= 0)
            continue;
        if (p[0].revents & POLLIN) {
            ssize_t n = recv(udp_fd, buf, sizeof buf - 1, 0);
            if (n > 0) {
                pthread_mutex_lock(&sink.lock);
                if (sink.n_udp < MAX_EVENTS)
                    sink.udp[sink.n_udp++] = g_strndup(buf, (gsize)n);
                pthread_mutex_unlock(&sink.lock);
            }
        }
        if ((p[1].revents & POLLIN) && conn < 0) {
            conn = accept(listen_fd, NULL, NULL);
            pthread_mutex_lock(&sink.lock);
            sink.tcp_accepted = conn >= 0;
            pthread_mutex_unlock(&sink.lock);
        }
        if (conn >= 0 && (p[2].revents & (POLLIN | POLLHUP))) {
            ssize_t n = recv(conn, buf, sizeof buf, 0);
            if (n <= 0) {
                close(conn);
                conn = -1;
                continue;
            }
            pthread_mutex_lock(&sink.lock);
            g_string_append_len(sink.stream, buf, n);
            split_stream(&sink);
            pthread_mutex_unlock(&sink.lock);
        }
    }
    if (conn >= 0)
        close(conn);
    return NULL;
}

static int bound(int type, int *port)
{
    int fd = socket(AF_INET, type, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t l = sizeof a;
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) < 0 ||
        getsockname(fd, (struct sockaddr *)&a, &l) < 0)
        return -1;
    *port = ntohs(a.sin_port);
    return fd;
}

/* ---- an event parsed: attributes of each element, text of remarks ------------ */

struct ev {
    GHashTable *attrs[8];   /* event, point, contact, track, link, remarks, __borderfuse, detail */
    GString *remarks;
    int cur;
};

static const char *const names[] = {"event", "point", "contact", "track", "link", "remarks",
                                    "__borderfuse", "detail"};

static void ev_start(GMarkupParseContext *c, const gchar *name, const gchar **an, const gchar **av,
                     gpointer data, GError **e)
{
    (void)c;
    (void)e;
    struct ev *v = data;
    v->cur = -1;
    for (int i = 0; i < 8; i++) {
        if (strcmp(name, names[i]) == 0 && !v->attrs[i]) {
            v->attrs[i] = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
            for (int k = 0; an[k]; k++)
                g_hash_table_insert(v->attrs[i], g_strdup(an[k]), g_strdup(av[k]));
            v->cur = i;
        }
    }
}

static void ev_text(GMarkupParseContext *c, const gchar *t, gsize len, gpointer data, GError **e)
{
    (void)c;
    (void)e;
    struct ev *v = data;
    if (v->cur == 5)
        g_string_append_len(v->remarks, t, (gssize)len);
}

static void ev_end(GMarkupParseContext *c, const gchar *name, gpointer data, GError **e)
{
    (void)c;
    (void)name;
    (void)e;
    ((struct ev *)data)->cur = -1;
}

static const GMarkupParser ev_parser = {.start_element = ev_start, .end_element = ev_end,
                                        .text = ev_text};

static void ev_free(struct ev *v)
{
    for (int i = 0; i < 8; i++)
        if (v->attrs[i])
            g_hash_table_destroy(v->attrs[i]);
    if (v->remarks)
        g_string_free(v->remarks, TRUE);
    memset(v, 0, sizeof *v);
}

static bool ev_parse(const char *xml, struct ev *v)
{
    memset(v, 0, sizeof *v);
    v->remarks = g_string_new("");
    GMarkupParseContext *c = g_markup_parse_context_new(&ev_parser, 0, v, NULL);
    GError *err = NULL;
    bool ok = g_markup_parse_context_parse(c, xml, -1, &err) &&
              g_markup_parse_context_end_parse(c, &err);
    if (!ok) {
        fprintf(stderr, "\n  not XML (%s): %s\n", err ? err->message : "?", xml);
        g_clear_error(&err);
    }
    g_markup_parse_context_free(c);
    return ok && v->attrs[0];
}

static const char *A(const struct ev *v, const char *el, const char *name)
{
    for (int i = 0; i < 8; i++) {
        if (strcmp(names[i], el) == 0 && v->attrs[i]) {
            const char *s = g_hash_table_lookup(v->attrs[i], name);
            return s ? s : "";
        }
    }
    return "";
}

static double AN(const struct ev *v, const char *el, const char *name)
{
    const char *s = A(v, el, name);
    char *end;
    double x = strtod(s, &end);
    return (*s && *end == '\0') ? x : NAN;
}

static bf_time_us AT(const struct ev *v, const char *name)
{
    bf_time_us t = BF_TIME_NONE;
    bf_time_parse_iso(A(v, "event", name), &t);
    return t;
}

/* The first event in list[0..n) whose __borderfuse kind and (for alerts) alert_type match. */
static bool find_event(char **list, int n, const char *kind, const char *alert_type, struct ev *out)
{
    for (int i = 0; i < n; i++) {
        struct ev v;
        if (!ev_parse(list[i], &v)) {
            ev_free(&v);
            continue;
        }
        if (strcmp(A(&v, "__borderfuse", "kind"), kind) == 0 &&
            (!alert_type || strcmp(A(&v, "__borderfuse", "alert_type"), alert_type) == 0) &&
            (strcmp(kind, "alert") != 0 || strcmp(A(&v, "__borderfuse", "state"), "NEW") == 0)) {
            *out = v;
            return true;
        }
        ev_free(&v);
    }
    return false;
}

/* A status whose "cot" figures reached what arrived (n[0] by UDP, n[1] by TCP). */
static bool cot_counted(const cJSON *st, const void *arg)
{
    const int *n = arg;
    const cJSON *co = cJSON_GetObjectItem(st, "cot");
    return it_jnum(co, "udp_sent") >= n[0] && it_jnum(co, "tcp_sent") >= n[1];
}

static void test_cot_chain(void)
{
    const char *tmp = bf_test_tmpdir();
    sink.stream = g_string_new("");
    int uport = 0, tport = 0;   /* set by the socket helpers on success */
    udp_fd = bound(SOCK_DGRAM, &uport);
    listen_fd = bound(SOCK_STREAM, &tport);
    CU_ASSERT_TRUE_FATAL(udp_fd >= 0 && listen_fd >= 0);
    int rcvbuf = 4 << 20;
    setsockopt(udp_fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    CU_ASSERT_EQUAL_FATAL(listen(listen_fd, 4), 0);
    pthread_t rx;
    CU_ASSERT_EQUAL_FATAL(pthread_create(&rx, NULL, rx_thread, NULL), 0);

    int port = it_free_port();
    pid_t broker = it_start_mosquitto(tmp, port);
    CU_ASSERT_TRUE_FATAL(broker > 0);
    char url[64], conf[512], elog[512];
    snprintf(url, sizeof url, "tcp://127.0.0.1:%d", port);
    snprintf(conf, sizeof conf, "%s/engine.json", tmp);
    snprintf(elog, sizeof elog, "%s/engine.log", tmp);
    const char *zones = bf_test_src("tests/data/straight/zones.geojson");
    CU_ASSERT_EQUAL_FATAL(it_write_engine_config(conf, SITE, zones,
            " \"sensors\": [{\"id\": \"radar-a\", \"type\": \"json\", \"lat\": 46.79, \"lon\": 8.17,"
            " \"range_m\": 5000, \"sigma_m\": 5}],\n"
            " \"alerts\": {\"journal\": \"journal.jsonl\", \"journal_fsync\": \"never\"},\n"
            " \"dispatch\": {\"enabled\": true},\n"
            " \"engine\": {\"reorder_window_ms\": 200, \"status_period_s\": 0.25,"
            " \"idle_flush_s\": 0.3},\n"
            " \"cot\": {\"udp\": \"127.0.0.1:%d\", \"tcp\": \"127.0.0.1:%d\", \"stale_s\": %g}",
            uport, tport, STALE_S), 0);

    centre = it_collector_new();
    CU_ASSERT_PTR_NOT_NULL_FATAL(centre);
    struct bf_mqtt *sub, *pub;
    struct bf_mqtt_options so = {.url = url, .client_id = "it-cot-centre", .clean_session = true};
    CU_ASSERT_EQUAL_FATAL(bf_mqtt_create(&so, &sub), 0);
    CU_ASSERT_EQUAL(bf_mqtt_subscribe(sub, ROOT "status", 1, it_collector_on_msg, centre), 0);
    CU_ASSERT_EQUAL(bf_mqtt_subscribe(sub, ROOT "alerts", 1, it_collector_on_msg, centre), 0);
    CU_ASSERT_EQUAL_FATAL(bf_mqtt_wait_connected(sub, 5000), 0);

    pid_t engine = it_start_engine(conf, url, "info", elog);
    CU_ASSERT_TRUE_FATAL(engine > 0);
    bool ready = false;
    for (int i = 0; i < 200 && !ready; i++) {   /* online, and connected to our "TAK server" */
        pthread_mutex_lock(&sink.lock);
        ready = sink.tcp_accepted;
        pthread_mutex_unlock(&sink.lock);
        ready = ready && it_collector_wait(centre, ROOT "status", "\"online\"", 0);
        if (!ready)
            it_sleep_ms(50);
    }
    if (!ready)
        it_show_log(elog);
    CU_ASSERT_TRUE_FATAL(ready);
    it_sleep_ms(300);   /* the engine's subscription lands */

    /* ---- a person walks south across the line: one scan a second, 80 s ---- */
    struct bf_mqtt_options po = {.url = url, .client_id = "it-cot-radar", .clean_session = true};
    CU_ASSERT_EQUAL_FATAL(bf_mqtt_create(&po, &pub), 0);
    CU_ASSERT_EQUAL_FATAL(bf_mqtt_wait_connected(pub, 5000), 0);
    bf_time_us t0 = (bf_clock_realtime(NULL) / BF_US_PER_S - 100) * BF_US_PER_S;
    char unit_t[BF_TIME_ISO_LEN], unit_msg[256];   /* our patrol, as the gps plugin reports it */
    bf_time_format_iso(t0 + 50 * BF_US_PER_S, unit_t, sizeof unit_t);
    snprintf(unit_msg, sizeof unit_msg, "{\"id\":\"patrol-1\",\"time\":\"%s\",\"lat\":46.7901234,"
             "\"lon\":8.1801234,\"alt_m\":null,\"speed_mps\":0,\"track_deg\":null,\"mode\":3}",
             unit_t);
    CU_ASSERT_EQUAL(bf_mqtt_publish(pub, ROOT "units/patrol-1", unit_msg, strlen(unit_msg), 1,
                                    true), 0);
    struct it_walker w = {.pub = pub, .topic = ROOT "sensors/radar-a/detections",
                          .sensor = "radar-a", .t0_us = t0, .lat0 = LAT0, .lon = LON,
                          .speed_mps = SPEED, .m_per_deg = M_PER_DEG_LAT, .exercise = true,
                          .pause_every = 10, .pause_ms = 100};   /* a few track pictures on the way */
    CU_ASSERT_EQUAL(it_publish_walker(&w, 0, 80), 0);
    CU_ASSERT_EQUAL(bf_mqtt_flush(pub, 5000), 0);

    /* ---- wait for the INCURSION on MQTT, then its CoT on UDP and TCP ---- */
    struct it_alert_want want = {.type = "INCURSION", .state = "NEW"};
    cJSON *alert = it_collector_wait_json(centre, ROOT "alerts", it_match_alert, &want, 10);
    CU_ASSERT_PTR_NOT_NULL_FATAL(alert);
    struct ev trk = {0}, alu = {0}, alt = {0}, unit = {0};
    bool have_trk = false, have_alu = false, have_alt = false, have_unit = false;
    for (int i = 0; i < 100 && !(have_trk && have_alu && have_alt && have_unit); i++) {
        it_sleep_ms(50);
        pthread_mutex_lock(&sink.lock);
        if (!have_trk)
            have_trk = find_event(sink.udp, sink.n_udp, "track", NULL, &trk);
        if (!have_alu)
            have_alu = find_event(sink.udp, sink.n_udp, "alert", "INCURSION", &alu);
        if (!have_alt)
            have_alt = find_event(sink.tcp, sink.n_tcp, "alert", "INCURSION", &alt);
        if (!have_unit)
            have_unit = find_event(sink.udp, sink.n_udp, "unit", NULL, &unit);
        pthread_mutex_unlock(&sink.lock);
    }
    CU_ASSERT_TRUE(have_trk);
    CU_ASSERT_TRUE(have_alu);
    CU_ASSERT_TRUE(have_alt);
    CU_ASSERT_TRUE(have_unit);
    double track_id = it_jnum(alert, "track_id");
    char track_uid[128];
    snprintf(track_uid, sizeof track_uid, "borderfuse." SITE ".track.%.0f", track_id);

    if (have_trk) {   /* the track picture */
        CU_ASSERT_STRING_EQUAL(A(&trk, "event", "version"), "2.0");
        CU_ASSERT_STRING_EQUAL(A(&trk, "event", "uid"), track_uid);
        CU_ASSERT_STRING_EQUAL(A(&trk, "event", "type"), "a-u-G");
        CU_ASSERT_STRING_EQUAL(A(&trk, "event", "how"), "m-f");
        CU_ASSERT_STRING_EQUAL(A(&trk, "event", "opex"), "e");
        bf_time_us tm = AT(&trk, "time");
        CU_ASSERT_EQUAL(AT(&trk, "start"), tm);
        CU_ASSERT_TRUE(tm < AT(&trk, "stale"));
        CU_ASSERT_EQUAL(AT(&trk, "stale") - tm, bf_time_from_s(STALE_S));
        CU_ASSERT_TRUE(tm >= t0 && tm <= t0 + 80 * BF_US_PER_S);
        double truth = LAT0 - SPEED * bf_time_to_s(tm - t0) / M_PER_DEG_LAT;
        double lat = AN(&trk, "point", "lat"), lon = AN(&trk, "point", "lon");
        CU_ASSERT_TRUE(fabs(lat - truth) * M_PER_DEG_LAT < 30);
        CU_ASSERT_TRUE(fabs(lon - LON) * M_PER_DEG_LAT * cos(46.8 * M_PI / 180) < 30);
        double ce = AN(&trk, "point", "ce");
        CU_ASSERT_TRUE(ce > 0 && ce < 50);
        CU_ASSERT_STRING_EQUAL(A(&trk, "point", "hae"), "9999999.0");
        double course = AN(&trk, "track", "course"), speed = AN(&trk, "track", "speed");
        CU_ASSERT_TRUE(fabs(course - 180.0) < 25);
        CU_ASSERT_TRUE(fabs(speed - SPEED) < 0.6);
        CU_ASSERT_STRING_EQUAL(A(&trk, "__borderfuse", "class"), "person");
        CU_ASSERT_STRING_EQUAL(A(&trk, "__borderfuse", "sensors"), "radar-a");
        CU_ASSERT_STRING_EQUAL(A(&trk, "__borderfuse", "exercise"), "true");
        printf("\n  track event: %s at %.7f,%.7f (truth %.7f) ce %.1f m course %.1f speed %.2f\n",
               A(&trk, "event", "uid"), lat, lon, truth, ce, course, speed);
    }
    struct ev *alv[2] = {&alu, &alt};
    bool have[2] = {have_alu, have_alt};
    for (int k = 0; k < 2; k++) {   /* the alert, by UDP and by TCP */
        if (!have[k])
            continue;
        struct ev *v = alv[k];
        CU_ASSERT_STRING_EQUAL(A(v, "event", "uid"), it_jstr(alert, "id"));
        CU_ASSERT_STRING_EQUAL(A(v, "event", "type"), "b-l");
        CU_ASSERT_STRING_EQUAL(A(v, "event", "how"), "m-f");
        CU_ASSERT_STRING_EQUAL(A(v, "event", "opex"), "e");
        bf_time_us tm = AT(v, "time"), when = BF_TIME_NONE;
        CU_ASSERT_EQUAL(bf_time_parse_iso(it_jstr(alert, "time"), &when), 0);
        CU_ASSERT_EQUAL(tm, when);
        CU_ASSERT_EQUAL(AT(v, "stale") - tm, bf_time_from_s(120));   /* alerts.resolve_after_s */
        const cJSON *pos = cJSON_GetObjectItem(alert, "position");
        BF_ASSERT_NEAR(AN(v, "point", "lat"), it_jnum(pos, "lat"), 1e-7);
        BF_ASSERT_NEAR(AN(v, "point", "lon"), it_jnum(pos, "lon"), 1e-7);
        CU_ASSERT_STRING_EQUAL(A(v, "link", "uid"), track_uid);
        CU_ASSERT_STRING_EQUAL(A(v, "link", "type"), "a-u-G");
        CU_ASSERT_STRING_EQUAL(A(v, "link", "relation"), "p-p");
        CU_ASSERT_PTR_NOT_NULL(strstr(v->remarks->str, it_jstr(alert, "explanation")));
        CU_ASSERT_PTR_NOT_NULL(strstr(v->remarks->str, "crossed Test border onto our side"));
        CU_ASSERT_STRING_EQUAL(A(v, "__borderfuse", "state"), "NEW");
        CU_ASSERT_STRING_EQUAL(A(v, "__borderfuse", "severity"), it_jstr(alert, "severity"));
        CU_ASSERT_STRING_EQUAL(A(v, "__borderfuse", "zone_id"), "border");
        CU_ASSERT_STRING_EQUAL(A(v, "__borderfuse", "exercise"), "true");
        CU_ASSERT_EQUAL(AN(v, "__borderfuse", "seq"), it_jnum(alert, "seq"));
    }
    if (have_unit) {   /* our own unit: declared friendly, its GPS position */
        CU_ASSERT_STRING_EQUAL(A(&unit, "event", "uid"), "borderfuse." SITE ".unit.patrol-1");
        CU_ASSERT_STRING_EQUAL(A(&unit, "event", "type"), "a-f-G-U-C");
        CU_ASSERT_STRING_EQUAL(A(&unit, "event", "how"), "m-g");
        CU_ASSERT_STRING_EQUAL(A(&unit, "event", "opex"), "");
        CU_ASSERT_EQUAL(AT(&unit, "time"), t0 + 50 * BF_US_PER_S);
        CU_ASSERT_EQUAL(AT(&unit, "stale") - AT(&unit, "time"), bf_time_from_s(STALE_S));
        BF_ASSERT_NEAR(AN(&unit, "point", "lat"), 46.7901234, 1e-7);
        BF_ASSERT_NEAR(AN(&unit, "point", "lon"), 8.1801234, 1e-7);
        CU_ASSERT_STRING_EQUAL(A(&unit, "contact", "callsign"), "patrol-1");
    }
    ev_free(&unit);
    ev_free(&trk);
    ev_free(&alu);
    ev_free(&alt);
    cJSON_Delete(alert);

    /* ---- the status counts what was sent (at least what arrived so far; it lags by up to
     * one status period while units keep going out) ---- */
    pthread_mutex_lock(&sink.lock);
    int n_udp = sink.n_udp, n_tcp = sink.n_tcp;
    pthread_mutex_unlock(&sink.lock);
    int sent[2] = {n_udp, n_tcp};
    cJSON *st = it_collector_wait_latest(centre, ROOT "status", cot_counted, sent, 3);
    const cJSON *co = cJSON_GetObjectItem(st, "cot");
    CU_ASSERT_PTR_NOT_NULL(co);
    CU_ASSERT_TRUE(cJSON_IsTrue(cJSON_GetObjectItem(co, "tcp_connected")));
    CU_ASSERT_TRUE(it_jnum(co, "udp_sent") >= n_udp && n_udp > 0);
    CU_ASSERT_EQUAL(it_jnum(co, "udp_dropped"), 0);
    CU_ASSERT_TRUE(it_jnum(co, "tcp_sent") >= n_tcp && n_tcp > 0);
    CU_ASSERT_EQUAL(it_jnum(co, "tcp_dropped"), 0);
    CU_ASSERT_EQUAL(it_jnum(co, "format_errors"), 0);
    printf("  events received: %d by UDP, %d by TCP\n", n_udp, n_tcp);
    cJSON_Delete(st);

    bf_mqtt_destroy(pub);
    CU_ASSERT_EQUAL(it_stop(engine), 0);
    bf_mqtt_destroy(sub);
    it_stop(broker);
    stop_rx = 1;
    pthread_join(rx, NULL);
    close(udp_fd);
    close(listen_fd);
    it_rm_tree(tmp);
    it_collector_free(centre);
    centre = NULL;
    pthread_mutex_lock(&sink.lock);
    for (int i = 0; i < sink.n_udp; i++)
        g_free(sink.udp[i]);
    for (int i = 0; i < sink.n_tcp; i++)
        g_free(sink.tcp[i]);
    g_string_free(sink.stream, TRUE);
    pthread_mutex_unlock(&sink.lock);
}

/* Run borderfuse --check-config on a config with this "cot" section; its output (malloc'd). */
static char *check_config(const char *cot, int *status)
{
    const char *tmp = bf_test_tmpdir();
    char conf[512], out[512];
    snprintf(conf, sizeof conf, "%s/cot-check.json", tmp);
    snprintf(out, sizeof out, "%s/cot-check.log", tmp);
    FILE *f = fopen(conf, "w");
    if (!f)
        return NULL;
    fprintf(f,
            "{\"site\": \"x\", \"origin\": {\"lat\": 46.8, \"lon\": 8.2}, \"zones\": \"%s\",\n"
            " \"sensors\": [{\"id\": \"r\", \"type\": \"json\", \"lat\": 46.8, \"lon\": 8.2}],\n"
            " \"cot\": %s}\n",
            bf_test_src("tests/data/straight/zones.geojson"), cot);
    fclose(f);
    char *argv[] = {(char *)it_bin("apps/borderfuse"), "--check-config", conf, NULL};
    pid_t p = it_spawn(argv, out);
    *status = p > 0 ? it_wait(p, 20) : -1;
    char *txt = bf_test_read_file(out, NULL);
    unlink(conf);
    unlink(out);
    return txt;
}

static void test_cot_config(void)
{
    int st = -1;
    char *o = check_config("{\"udp\": \"239.2.3.1\", \"tcp\": 8087, \"ttl\": 300, "
                           "\"stale_s\": 0.5, \"alert_type\": \"b l\", \"loopbak\": true}", &st);
    CU_ASSERT_PTR_NOT_NULL_FATAL(o);
    CU_ASSERT_NOT_EQUAL(st, 0);
    static const char *const want[] = {
        "cot.loopbak: unknown key \"loopbak\"; did you mean \"loopback\"?",
        "cot.udp: expected \"host:port\"",
        "got a string \"239.2.3.1\"",
        "cot.tcp: expected \"host:port\"",
        "cot.ttl: expected an integer between 0 and 255 (multicast hops), got 300",
        "cot.stale_s: expected a number between 1 and 86400",
        "cot.alert_type: expected a CoT type such as \"b-l\"",
        "6 problems found",
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        CU_ASSERT_PTR_NOT_NULL(strstr(o, want[i]));
        if (!strstr(o, want[i]))
            fprintf(stderr, "\n  missing \"%s\" in:\n%s\n", want[i], o);
    }
    CU_ASSERT_PTR_NULL(strstr(o, "both"));
    free(o);
    o = check_config("{\"udp\": null}", &st);
    CU_ASSERT_PTR_NOT_NULL_FATAL(o);
    CU_ASSERT_NOT_EQUAL(st, 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(o, "cot: both \"udp\" and \"tcp\" are null"));
    free(o);
    o = check_config("{\"udp\": null, \"tcp\": \"[::1]:8087\", \"ttl\": 0, \"loopback\": false, "
                     "\"tracks\": false, \"stale_s\": 1, \"alert_type\": \"b-m-p-s-m\"}", &st);
    CU_ASSERT_EQUAL(st, 0);
    if (st != 0)
        fprintf(stderr, "\n%s\n", o ? o : "(no output)");
    free(o);
}

static CU_TestInfo tests[] = {
    {"the cot section: every mistake reported", test_cot_config},   /* first: the chain
                                                                       * removes the temp dir */
    {"detections -> engine -> CoT over UDP and TCP, parsed as XML", test_cot_chain},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"integration/cot", NULL, NULL, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    return bf_test_main(suites);
}
