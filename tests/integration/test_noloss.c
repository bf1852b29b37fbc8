/*
 * test_noloss.c - alerts are never lost (docs/alerts.md, "Delivery"): a
 * private mosquitto with persistence (autosave_interval 1), the engine as a
 * process fed JSON detections of many tracks crossing the border with
 * update_min_interval_s 0 (thousands of alerts), and a persistent subscriber
 * (clean session false, QoS 1, fixed client id) playing the situation centre.
 *
 *  (a) in the middle of the run the broker is SIGKILLed and started again on
 *      the same port with the same persistence file;
 *  (b) in another run the engine is SIGKILLed and started again on the same
 *      journal.
 *
 * Asserted at the end: every (id, seq) of the journal reached the
 * subscriber; a (seq) received twice carries the same id and the same bytes.
 * The figures (journaled, received, duplicates, resent, time to recover)
 * are printed.  Also: overload (the outbox with a client whose buffer holds
 * 20 messages: refused publishes are sent again from the journal), and a
 * control run of (a) with resend_window_s 0 whose losses are printed.
 */
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "bf_test.h"
#include "alerts/alerts_int.h"
#include "delivery/delivery_int.h"
#include "mqtt/mqtt.h"
#include "core/bf_time.h"
#include "it_util.h"

#define SITE "itnl"
#define TOPIC_DET "borderfuse/" SITE "/sensors/radar/detections"
#define TOPIC_ALERTS "borderfuse/" SITE "/alerts"
#define N_TRACKS 100
#define N_SCANS 60
#define MAX_SEQ 200000

/* What the centre received, by seq. */
struct got {
    char id[40];
    uint64_t hash;
    uint32_t count;
    bf_time_us first_us;   /* monotonic time of the first copy */
};

struct centre {
    pthread_mutex_t lock;
    struct got *by_seq;     /* MAX_SEQ */
    uint64_t received, duplicates, mismatched, unreadable;
};

static struct centre centre = {.lock = PTHREAD_MUTEX_INITIALIZER};
static struct it_collector *statuses;   /* the engine's status messages */

/* A figure of the latest status's alerts.outbox, or NAN. */
static double outbox_figure(const char *key)
{
    cJSON *st = it_collector_json(statuses, "borderfuse/" SITE "/status", -1);
    const cJSON *al = cJSON_GetObjectItemCaseSensitive(st, "alerts");
    const cJSON *ob = cJSON_GetObjectItemCaseSensitive(al, "outbox");
    double v = it_jnum(ob, key);
    cJSON_Delete(st);
    return v;
}

static uint64_t fnv1a(const void *p, size_t n)
{
    const unsigned char *b = p;
    uint64_t h = UINT64_C(1469598103934665603);
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * UINT64_C(1099511628211);
    return h;
}

static void on_alert(void *ctx, const char *topic, const void *payload, size_t len)
{
    (void)topic;
    struct centre *c = ctx;
    cJSON *a = cJSON_ParseWithLength(payload, len);
    double seq = it_jnum(a, "seq");
    const char *id = it_jstr(a, "id");
    pthread_mutex_lock(&c->lock);
    c->received++;
    if (!(seq >= 1 && seq < MAX_SEQ) || !id[0]) {
        c->unreadable++;
    } else {
        struct got *g = &c->by_seq[(size_t)seq];
        uint64_t h = fnv1a(payload, len);
        if (g->count == 0) {
            snprintf(g->id, sizeof g->id, "%s", id);
            g->hash = h;
            g->first_us = bf_clock_monotonic(NULL);
        } else {
            c->duplicates++;
            if (strcmp(g->id, id) != 0 || g->hash != h)
                c->mismatched++;
        }
        g->count++;
    }
    pthread_mutex_unlock(&c->lock);
    cJSON_Delete(a);
}

/*
 * The journal's (seq, id) pairs: how many lines, how many the centre lacks,
 * and (last_us) when the latest first copy of a line with seq <= upto arrived.
 */
static void journal_vs_centre_upto(const char *path, uint64_t upto, uint64_t *lines,
                                   uint64_t *missing, uint64_t *wrong_id, bf_time_us *last_us)
{
    *lines = *missing = *wrong_id = 0;
    if (last_us)
        *last_us = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    pthread_mutex_lock(&centre.lock);
    while ((n = getline(&line, &cap, f)) > 0) {
        if (line[n - 1] != '\n')
            break;   /* being written */
        cJSON *a = cJSON_ParseWithLength(line, (size_t)n - 1);
        double seq = it_jnum(a, "seq");
        if (seq >= 1 && seq < MAX_SEQ) {
            (*lines)++;
            const struct got *g = &centre.by_seq[(size_t)seq];
            if (g->count == 0)
                (*missing)++;
            else if (strcmp(g->id, it_jstr(a, "id")) != 0)
                (*wrong_id)++;
            if (last_us && g->count && seq <= (double)upto && g->first_us > *last_us)
                *last_us = g->first_us;
        }
        cJSON_Delete(a);
    }
    pthread_mutex_unlock(&centre.lock);
    free(line);
    fclose(f);
}

static void journal_vs_centre(const char *path, uint64_t *lines, uint64_t *missing,
                              uint64_t *wrong_id)
{
    journal_vs_centre_upto(path, 0, lines, missing, wrong_id, NULL);
}

static void reset_centre(void)
{
    pthread_mutex_lock(&centre.lock);
    memset(centre.by_seq, 0, MAX_SEQ * sizeof *centre.by_seq);
    centre.received = centre.duplicates = centre.mismatched = centre.unreadable = 0;
    pthread_mutex_unlock(&centre.lock);
}

static uint64_t received_now(void)
{
    pthread_mutex_lock(&centre.lock);
    uint64_t r = centre.received;
    pthread_mutex_unlock(&centre.lock);
    return r;
}

/* Event time of scan 0: the wall clock at the start of a run (live sensors; retention keeps it). */
static int64_t T0_US;

/* One scan: every track at event time T0 + k s, walking south across the line at 46.80. */
static void send_scan(struct bf_mqtt *pub, int k)
{
    static char msg[N_TRACKS * 80 + 200];
    size_t at = (size_t)snprintf(msg, sizeof msg,
                                 "{\"sensor\":\"radar\",\"t_us\":%" PRId64 ",\"detections\":[",
                                 T0_US + (int64_t)k * 1000000);
    for (int i = 0; i < N_TRACKS; i++) {
        double lat = 46.8018 - k * 2.5 / 111195.0;   /* 2.5 m/s south, 200 m north at k=0 */
        double lon = 8.146 + i * 0.00098;            /* about 75 m apart, clear of farm and depot */
        at += (size_t)snprintf(msg + at, sizeof msg - at,
                               "%s{\"lat\":%.7f,\"lon\":%.7f,\"sigma_m\":3}", i ? "," : "", lat,
                               lon);
    }
    at += (size_t)snprintf(msg + at, sizeof msg - at, "]}");
    CU_ASSERT_EQUAL(bf_mqtt_publish(pub, TOPIC_DET, msg, at, 1, false), 0);
}

static void write_config(const char *conf, const char *zones, int resend_window_s)
{
    CU_ASSERT_EQUAL_FATAL(it_write_engine_config(conf, SITE, zones,
            " \"mqtt\": {\"client_id\": \"it-noloss-engine\"},\n"
            " \"sensors\": [{\"id\": \"radar\", \"type\": \"json\", \"lat\": 46.79, \"lon\": 8.20,"
            " \"range_m\": 20000, \"sigma_m\": 3}],\n"
            " \"alerts\": {\"journal\": \"journal.jsonl\", \"journal_fsync\": \"never\","
            " \"update_min_interval_s\": 0, \"resend_window_s\": %d, \"resolve_after_s\": 600},\n"
            " \"engine\": {\"reorder_window_ms\": 100, \"status_period_s\": 0.5,"
            " \"idle_flush_s\": 0.3, \"queue_capacity\": 65536}", resend_window_s), 0);
}

/*
 * Wait until the journal stops growing and (need_all) the centre holds every
 * line of it, or timeout_s; returns the seconds it took, or -1.
 */
static double wait_complete(const char *journal, bool need_all, double timeout_s)
{
    bf_time_us t0 = bf_clock_monotonic(NULL);
    uint64_t last_lines = 0;
    int stable = 0;
    while (bf_time_to_s(bf_clock_monotonic(NULL) - t0) < timeout_s) {
        uint64_t lines, missing, wrong;
        journal_vs_centre(journal, &lines, &missing, &wrong);
        stable = (lines == last_lines && lines > 0) ? stable + 1 : 0;
        last_lines = lines;
        if ((missing == 0 || !need_all) && stable >= 4)
            return bf_time_to_s(bf_clock_monotonic(NULL) - t0);
        it_sleep_ms(250);
    }
    return -1;
}

/*
 * Run (a) when kill_broker, else (b).  In (a) the centre goes offline (a
 * clean disconnect: its session stays) 10 scans before the kill, so the
 * broker holds alerts it acknowledged but did not autosave yet.  control:
 * (a) with resend_window_s 0, to show what the window saves (printed only).
 */
static void run(bool kill_broker, bool control)
{
    char dir[400], conf[512], elog[512], journal[512], url[64], extra[1200];
    snprintf(dir, sizeof dir, "%s/%s", bf_test_tmpdir(), kill_broker ? "broker" : "engine");
    mkdir(dir, 0700);
    snprintf(conf, sizeof conf, "%s/engine.json", dir);
    snprintf(elog, sizeof elog, "%s/engine.log", dir);
    snprintf(journal, sizeof journal, "%s/journal.jsonl", dir);
    int port = it_free_port();
    snprintf(url, sizeof url, "tcp://127.0.0.1:%d", port);
    snprintf(extra, sizeof extra, "persistence true\nautosave_interval 1\n"
             "persistence_location %s/\nmax_inflight_messages 1000\n", dir);
    pid_t broker = it_start_mosquitto_ex(dir, port, extra);
    CU_ASSERT_TRUE_FATAL(broker > 0);
    write_config(conf, bf_test_src("tests/data/straight/zones.geojson"), control ? 0 : 10);
    reset_centre();
    T0_US = bf_clock_realtime(NULL) / 1000000 * 1000000;

    struct bf_mqtt *sub, *pub;
    struct bf_mqtt_options so = {.url = url, .client_id = "it-noloss-centre",
                                 .clean_session = false};
    CU_ASSERT_EQUAL_FATAL(bf_mqtt_create(&so, &sub), 0);
    CU_ASSERT_EQUAL(bf_mqtt_subscribe(sub, TOPIC_ALERTS, 1, on_alert, &centre), 0);
    CU_ASSERT_EQUAL_FATAL(bf_mqtt_wait_connected(sub, 5000), 0);
    struct bf_mqtt_options po = {.url = url, .client_id = "it-noloss-field", .clean_session = true};
    CU_ASSERT_EQUAL_FATAL(bf_mqtt_create(&po, &pub), 0);
    CU_ASSERT_EQUAL_FATAL(bf_mqtt_wait_connected(pub, 5000), 0);
    CU_ASSERT_EQUAL(bf_mqtt_subscribe(pub, "borderfuse/" SITE "/status", 1, it_collector_on_msg,
                                      statuses), 0);

    pid_t engine = it_start_engine(conf, url, "warn", elog);
    CU_ASSERT_TRUE_FATAL(engine > 0);
    it_sleep_ms(1500);   /* the engine subscribed; the broker autosaved the centre's session */

    bf_time_us t_start = bf_clock_monotonic(NULL);
    int k = 0;
    double recover_s = -1;
    uint64_t before_kill = 0, lines_at_kill = 0, owed_at_kill = 0;
    bf_time_us t_restart = 0;
    for (; k < N_SCANS; k++) {
        send_scan(pub, k);
        it_sleep_ms(40);
        if (kill_broker && k == N_SCANS / 2 - 10) {
            bf_mqtt_destroy(sub);   /* the centre offline; the broker queues for it */
            sub = NULL;
        }
        if (k == N_SCANS / 2) {
            before_kill = received_now();
            uint64_t w;
            journal_vs_centre(journal, &lines_at_kill, &owed_at_kill, &w);
            if (kill_broker) {
                kill(broker, SIGKILL);
                waitpid(broker, NULL, 0);
                it_sleep_ms(1000);
                broker = it_start_mosquitto_ex(dir, port, extra);
                CU_ASSERT_TRUE_FATAL(broker > 0);
                t_restart = bf_clock_monotonic(NULL);
                CU_ASSERT_EQUAL_FATAL(bf_mqtt_create(&so, &sub), 0);   /* back, same session */
                CU_ASSERT_EQUAL(bf_mqtt_subscribe(sub, TOPIC_ALERTS, 1, on_alert, &centre), 0);
            } else {
                kill(engine, SIGKILL);
                waitpid(engine, NULL, 0);
                it_sleep_ms(300);
                engine = it_start_engine(conf, url, "warn", elog);
                CU_ASSERT_TRUE_FATAL(engine > 0);
                t_restart = bf_clock_monotonic(NULL);
            }
            bf_mqtt_wait_connected(pub, 5000);
            it_sleep_ms(1000);   /* the engine's ingest connection is back */
        }
    }
    if (control)
        it_sleep_ms(1000);   /* the resends there are */
    double total_s = wait_complete(journal, !control, 25);
    {
        uint64_t a, b, c;
        bf_time_us last;
        journal_vs_centre_upto(journal, lines_at_kill, &a, &b, &c, &last);
        recover_s = last > t_restart ? bf_time_to_s(last - t_restart) : 0;
    }
    double run_s = bf_time_to_s(bf_clock_monotonic(NULL) - t_start);

    uint64_t lines, missing, wrong;
    journal_vs_centre(journal, &lines, &missing, &wrong);
    if (control) {   /* figures only: what is lost without the window depends on timing */
        printf("\n  control (broker killed, resend_window_s 0): alerts journaled %" PRIu64
               ", missing at the subscriber %" PRIu64 "\n", lines, missing);
        it_stop(engine);
        bf_mqtt_destroy(pub);
        bf_mqtt_destroy(sub);
        it_stop(broker);
        it_rm_tree(dir);
        return;
    }
    if (missing || lines < 1000)
        it_show_log(elog);
    CU_ASSERT_TRUE(lines >= 1000);   /* thousands of alerts, really */
    CU_ASSERT_EQUAL(missing, 0);
    CU_ASSERT_EQUAL(wrong, 0);
    CU_ASSERT_EQUAL(centre.mismatched, 0);
    CU_ASSERT_EQUAL(centre.unreadable, 0);
    CU_ASSERT_TRUE(total_s >= 0);

    /* the outbox's own figures, from the status and the watermark file after a clean stop */
    it_sleep_ms(700);   /* one more status */
    double resent = outbox_figure("resent"), recovered = outbox_figure("recovered");
    double refused = outbox_figure("refused"), backlog = outbox_figure("backlog");
    CU_ASSERT_EQUAL(backlog, 0);
    if (kill_broker)
        CU_ASSERT_TRUE(resent > 0);   /* the resend window after the reconnect */
    CU_ASSERT_EQUAL(it_stop(engine), 0);
    char mark_path[600];
    snprintf(mark_path, sizeof mark_path, "%s.delivered", journal);
    char *mark = bf_test_read_file(mark_path, NULL);
    cJSON *mj = mark ? cJSON_Parse(mark) : NULL;
    double delivered = it_jnum(mj, "delivered_seq");
    CU_ASSERT_EQUAL(delivered, (double)lines);   /* every line confirmed after the clean stop */
    cJSON_Delete(mj);
    free(mark);
    pthread_mutex_lock(&centre.lock);
    uint64_t received = centre.received, dups = centre.duplicates;
    pthread_mutex_unlock(&centre.lock);
    printf("\n  noloss (%s killed at scan %d): alerts journaled %" PRIu64 ", received %" PRIu64
           " (%" PRIu64 " before the kill; %" PRIu64 " of %" PRIu64 " journaled lines not yet "
           "received at the kill), duplicates %" PRIu64 " (all same id and bytes: %s), "
           "missing %" PRIu64 "; outbox%s: resent %.0f, recovered from the journal at start %.0f, "
           "refused by a full buffer %.0f; time to recover (restart -> last pre-kill line "
           "received) %.2f s; all confirmed %.2f s after the last scan; run %.1f s\n",
           kill_broker ? "broker" : "engine", N_SCANS / 2, lines, received, before_kill,
           owed_at_kill, lines_at_kill, dups, centre.mismatched ? "no" : "yes", missing,
           kill_broker ? "" : " of the restarted engine", resent, recovered, refused, recover_s,
           total_s, run_s);

    bf_mqtt_destroy(pub);
    bf_mqtt_destroy(sub);
    it_stop(broker);
    it_rm_tree(dir);
}

/*
 * Overload: the outbox over a real journal and a real broker with a client
 * whose buffer holds 20 messages.  Bursts of thousands of lines are refused
 * in part (BF_EFULL); the outbox sends them again from the journal until the
 * broker confirmed every one.
 */
#define OVERLOAD_LINES 3000
static void test_overload(void)
{
    char dir[400], journal[512], url[64];
    snprintf(dir, sizeof dir, "%s/overload", bf_test_tmpdir());
    mkdir(dir, 0700);
    snprintf(journal, sizeof journal, "%s/journal.jsonl", dir);
    int port = it_free_port();
    snprintf(url, sizeof url, "tcp://127.0.0.1:%d", port);
    pid_t broker = it_start_mosquitto(dir, port);
    CU_ASSERT_TRUE_FATAL(broker > 0);
    reset_centre();
    struct bf_mqtt *sub;
    struct bf_mqtt_options so = {.url = url, .client_id = "it-noloss-overload-centre",
                                 .clean_session = false};
    CU_ASSERT_EQUAL_FATAL(bf_mqtt_create(&so, &sub), 0);
    CU_ASSERT_EQUAL(bf_mqtt_subscribe(sub, "t/alerts", 1, on_alert, &centre), 0);
    CU_ASSERT_EQUAL_FATAL(bf_mqtt_wait_connected(sub, 5000), 0);
    it_sleep_ms(200);

    /* the first half is in the journal before the outbox opens: owed at start */
    uint64_t last;
    struct bf_journal *j;
    CU_ASSERT_EQUAL_FATAL(bf_journal_open(journal, BF_FSYNC_NEVER, &last, &j), 0);
    char line[256];
    for (int i = 1; i <= OVERLOAD_LINES / 2; i++) {
        int n = snprintf(line, sizeof line, "{\"id\":\"a-%d\",\"seq\":%d,\"state\":\"NEW\"}",
                         i % 97, i);
        CU_ASSERT_EQUAL(bf_journal_append(j, line, (size_t)n), 0);
    }
    struct bf_outbox *o;
    CU_ASSERT_EQUAL_FATAL(bf_outbox_open(journal, 60, &o), 0);
    struct bf_mqtt *m;
    struct bf_mqtt_options mo = {.url = url, .client_id = "it-noloss-overload",
                                 .clean_session = true, .max_buffered = 20,
                                 .on_connection = bf_outbox_on_connection,
                                 .on_acked = bf_outbox_on_acked, .ctx = o};
    CU_ASSERT_EQUAL_FATAL(bf_mqtt_create(&mo, &m), 0);
    bf_outbox_attach(o, m, "t/alerts");
    CU_ASSERT_EQUAL(bf_mqtt_wait_connected(m, 5000), 0);
    /* the second half as the engine does it: journal, then put, as fast as it goes */
    for (int i = OVERLOAD_LINES / 2 + 1; i <= OVERLOAD_LINES; i++) {
        int n = snprintf(line, sizeof line, "{\"id\":\"a-%d\",\"seq\":%d,\"state\":\"UPDATED\"}",
                         i % 97, i);
        CU_ASSERT_EQUAL(bf_journal_append(j, line, (size_t)n), 0);
        CU_ASSERT_EQUAL(bf_outbox_put(o, (uint64_t)i, line, (size_t)n), 0);
        if (i % 500 == 0)
            bf_outbox_pump(o, bf_clock_monotonic(NULL));
    }
    bf_time_us t0 = bf_clock_monotonic(NULL);
    struct bf_outbox_stats st;
    do {
        bf_outbox_pump(o, bf_clock_monotonic(NULL));
        bf_outbox_get_stats(o, &st);
        it_sleep_ms(5);
    } while (st.backlog > 0 && bf_time_to_s(bf_clock_monotonic(NULL) - t0) < 20);
    double drain_s = bf_time_to_s(bf_clock_monotonic(NULL) - t0);
    CU_ASSERT_EQUAL(st.backlog, 0);
    CU_ASSERT_EQUAL(st.delivered_seq, OVERLOAD_LINES);
    CU_ASSERT_EQUAL(st.recovered, OVERLOAD_LINES / 2);
    CU_ASSERT_TRUE(st.refused > 0);   /* the small buffer did refuse */
    CU_ASSERT_EQUAL(st.read_errors, 0);
    it_sleep_ms(300);
    uint64_t lines, missing, wrong;
    journal_vs_centre(journal, &lines, &missing, &wrong);
    CU_ASSERT_EQUAL(lines, OVERLOAD_LINES);
    CU_ASSERT_EQUAL(missing, 0);
    CU_ASSERT_EQUAL(wrong, 0);
    CU_ASSERT_EQUAL(centre.mismatched, 0);
    printf("\n  overload (client buffer 20): lines %d, refused %" PRIu64 " times, sent %" PRIu64
           ", acked %" PRIu64 ", received %" PRIu64 ", missing %" PRIu64 ", delivered seq %" PRIu64
           ", drained in %.2f s\n", OVERLOAD_LINES, st.refused, st.sent, st.acked, received_now(),
           missing, st.delivered_seq, drain_s);
    bf_mqtt_destroy(m);
    bf_outbox_close(o);
    bf_journal_close(j);
    bf_mqtt_destroy(sub);
    it_stop(broker);
    it_rm_tree(dir);
}

static void test_broker_killed(void) { run(true, false); }
static void test_engine_killed(void) { run(false, false); }
static void test_broker_killed_control(void) { run(true, true); }

static int setup(void)
{
    centre.by_seq = calloc(MAX_SEQ, sizeof *centre.by_seq);
    statuses = it_collector_new();
    return centre.by_seq && statuses ? 0 : 1;
}

static int teardown(void)
{
    free(centre.by_seq);
    it_collector_free(statuses);
    return 0;
}

static CU_TestInfo tests[] = {
    {"broker SIGKILLed and restarted: nothing missing", test_broker_killed},
    {"engine SIGKILLed and restarted: nothing missing", test_engine_killed},
    {"overload: refused publishes are sent again from the journal", test_overload},
    {"control: broker SIGKILLed without the resend window (figures)", test_broker_killed_control},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"noloss", setup, teardown, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

int main(void) { return bf_test_main(suites); }
