/*
 * borderfuse.c - the engine program: load the configuration, start the
 * pipeline, run until SIGINT/SIGTERM (SIGHUP reloads the configuration:
 * docs/engine.md, "Reload"); or replay a recorded input at full speed
 * without MQTT and write the tracks and alerts it gives
 * (docs/replay.md).
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/bf_error.h"
#include "core/bf_log.h"
#include "engine/config.h"
#include "engine/engine.h"
#include "geo/geo.h"
#include "sensors/sensor.h"

static volatile int stop_requested, reload_requested;

static void on_signal(int sig)
{
    if (sig == SIGHUP)
        reload_requested = 1;   /* the engine thread reloads (docs/engine.md, "Reload") */
    else
        stop_requested = 1;
}

static void usage(FILE *f)
{
    fprintf(f,
"Usage: borderfuse --config FILE [options]\n"
"       borderfuse --check-config FILE\n"
"\n"
"borderfuse fuses radar, camera and ground-sensor detections into tracks,\n"
"holds the tracks against the border's zones and publishes incursion alerts\n"
"over MQTT on borderfuse/<site>/alerts (QoS 1), with the engine status\n"
"(retained) on borderfuse/<site>/status and the track picture on\n"
"borderfuse/<site>/tracks. Every alert is appended to the journal first and\n"
"sent again until the broker confirmed it. Operators act on alerts over\n"
"borderfuse/<site>/alerts/ack (acknowledge, assign a unit, resolve, false\n"
"alarm; answered on .../alerts/result, recorded in the audit log); cameras are\n"
"cued on borderfuse/<site>/cameras/<id>/cue; the nearest response units are\n"
"proposed in each alert; tracks and alerts can also go out as Cursor-on-Target.\n"
"Every topic: docs/engine.md.\n"
"\n"
"Options:\n"
"  -c, --config FILE        engine configuration (JSON; see docs/config.md)\n"
"      --check-config FILE  validate FILE with the checks the engine makes at\n"
"                           start (zones file, border, zones near the sensors,\n"
"                           broker URL, secret files' modes, sensor types),\n"
"                           print every problem as file:line:col: path: reason,\n"
"                           exit 0 if it is good, 2 if not\n"
"  -u, --mqtt-url URL       broker, overriding mqtt.url (tcp://HOST:PORT)\n"
"  -j, --journal PATH       alert journal, overriding alerts.journal\n"
"      --audit PATH         operator audit log, overriding alerts.audit_log\n"
"  -l, --log-level LEVEL    error, warn, info (default, or the config's) or debug\n"
"      --log-format FORMAT  text (default, or the config's log_format; without its\n"
"                           own time under systemd's journal) or json\n"
"  -x, --exercise           mark every alert as exercise\n"
"      --record FILE        record the decoded input stream to FILE (JSON lines,\n"
"                           docs/replay.md); flushed every status period and at stop\n"
"      --record-notes TEXT  the record header's \"# Notes:\" line\n"
"      --replay FILE        no MQTT: feed the recorded FILE at full speed, flush,\n"
"                           write the tracks and alerts it gives, print a summary\n"
"      --replay-out DIR     replay outputs to DIR/tracks.jsonl and DIR/alerts.jsonl\n"
"                           (default: both to stdout, the summary to stderr)\n"
"  -h, --help               this text\n"
"  -V, --version            print the version\n"
"\n"
"Sensor types built in:");
    for (const char *const *n = bf_sensor_builtin_names(); *n; n++) {
        const struct bf_sensor_ops *ops = bf_sensor_builtin(*n);
        fprintf(f, "\n  %-10s %s", *n, ops->summary);
    }
    fprintf(f,
"\n\n"
"Other sensor types load from a shared object named in the sensor's config:\n"
"  {\"type\": \"myradar\", \"plugin\": \"plugins/myradar.so\", ...} (docs/plugins.md;\n"
"  sensors/skeleton.c is the example, built as build/sensors/bf_sensor_skeleton.so).\n"
"\n"
"Example:\n"
"  borderfuse --config config/demo/borderfuse.json --mqtt-url tcp://127.0.0.1:1883\n"
"  borderfuse --config tests/data/straight/engine.json --replay tests/golden/e2e-walker.log \\\n"
"      --replay-out out/replay\n");
}

/* --check-config: the configuration loader and the engine's start-up checks
 * (bf_engine_check), the very path the engine takes before it starts. */
static int check_config(const char *path)
{
    struct bf_diag diag = {0};
    struct bf_config *cfg = NULL;
    if (bf_config_load(path, &cfg, &diag) < 0 || bf_engine_check(cfg, &diag) < 0 ||
        diag.n_errors > 0) {
        fprintf(stderr, "%s: %u problem%s found\n", path, diag.n_errors,
                diag.n_errors == 1 ? "" : "s");
        bf_config_destroy(cfg);
        return 2;
    }
    printf("%s: OK (site %s, %zu sensor%s, zones %s)\n", path, cfg->site, cfg->n_sensors,
           cfg->n_sensors == 1 ? "" : "s", cfg->zones_path);
    bf_config_destroy(cfg);
    return 0;
}

/* ---- replay ---------------------------------------------------------------- */

struct replay_out {
    FILE *tracks, *alerts;
    uint64_t track_lines, alert_lines;
    bool failed;
};

static int on_alert(void *ctx, const struct bf_alert *a, const char *json, size_t len)
{
    (void)a;
    struct replay_out *o = ctx;
    if (fwrite(json, 1, len, o->alerts) != len || fputc('\n', o->alerts) == EOF)
        o->failed = true;
    o->alert_lines++;
    return 0;
}

static void on_scan(void *ctx, uint32_t sensor_idx, bf_time_us t_us,
                    const struct bf_track_change *ch, size_t n)
{
    struct replay_out *o = ctx;
    char line[1024];
    for (size_t i = 0; i < n; i++) {
        int len = bf_track_change_format(ch[i].track, ch[i].what, sensor_idx, t_us, line,
                                         sizeof line);
        if (len < 0 || fwrite(line, 1, (size_t)len, o->tracks) != (size_t)len)
            o->failed = true;
        o->track_lines++;
    }
}

static FILE *open_out(const char *dir, const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f)
        fprintf(stderr, "borderfuse: %s: %s\n", path, strerror(errno));
    return f;
}

/* Replay a record through an engine without MQTT. 0, 1 (bad input or I/O), 2 (usage). */
static int replay(const struct bf_config *cfg, struct bf_engine_options opt, const char *path,
                  const char *out_dir)
{
    struct replay_out o = {.tracks = stdout, .alerts = stdout};
    if (out_dir) {
        if (mkdir(out_dir, 0777) < 0 && errno != EEXIST) {
            fprintf(stderr, "borderfuse: --replay-out %s: %s\n", out_dir, strerror(errno));
            return 2;
        }
        o.tracks = open_out(out_dir, "tracks.jsonl");
        o.alerts = open_out(out_dir, "alerts.jsonl");
        if (!o.tracks || !o.alerts) {
            if (o.tracks)
                fclose(o.tracks);
            if (o.alerts)
                fclose(o.alerts);
            return 1;
        }
    }
    FILE *summary = out_dir ? stdout : stderr;
    char err[512];
    struct bf_record_reader *rd = NULL;
    int rc = bf_record_reader_open(path, cfg, &rd, err, sizeof err);
    if (rc < 0) {
        fprintf(stderr, "borderfuse: --replay: %s\n", err);
        rc = 1;
        goto out_close;
    }
    struct bf_alert_sink sink = {.publish = on_alert, .ctx = &o};
    struct bf_track_tap tap = {.scan = on_scan, .ctx = &o};
    opt.no_mqtt = true;
    opt.no_journal = true;   /* the alerts file has the journal's lines */
    opt.alert_tap = &sink;
    opt.track_tap = &tap;
    struct bf_engine *e = NULL;
    rc = bf_engine_create(cfg, &opt, &e);
    if (rc < 0) {
        fprintf(stderr, "borderfuse: cannot start: %s (see the log above)\n", bf_strerror(rc));
        rc = 1;
        goto out_close;
    }
    /* The wall clock times the replay; it steers nothing (the engine reads none here). */
    bf_time_us t0 = bf_clock_monotonic(NULL);
    size_t chunk = cfg->engine.queue_capacity, queued = 0;
    uint64_t read = 0, markers = 0;
    struct bf_detection d;
    while ((rc = bf_record_reader_next(rd, &d, err, sizeof err)) > 0) {
        if (queued == chunk) {   /* never more than the queue holds: nothing is shed */
            bf_engine_step(e, 0, false);
            queued = 0;
        }
        bf_engine_feed(e, &d);
        queued++;
        read++;
        markers += d.kind == BF_MEAS_SCAN;
    }
    if (rc < 0)
        fprintf(stderr, "borderfuse: --replay: %s:%s\n", path, err);
    bf_engine_step(e, 0, true);
    double wall_s = bf_time_to_s(bf_clock_monotonic(NULL) - t0);
    struct bf_engine_stats st;
    bf_engine_get_stats(e, &st);
    struct bf_tracker_stats ts;
    bf_tracker_get_stats(bf_engine_tracker(e), &ts);
    bf_engine_destroy(e);
    if (fflush(o.tracks) != 0 || fflush(o.alerts) != 0)
        o.failed = true;
    fprintf(summary, "replay %s: %llu detections (+%llu scan markers), %llu processed, %llu late, "
            "%llu scans, %llu tracks initiated, %llu confirmed, %llu track lines, "
            "%llu alert changes; %.3f s wall, %.0f detections/s\n", path,
            (unsigned long long)(read - markers), (unsigned long long)markers,
            (unsigned long long)st.processed, (unsigned long long)st.late,
            (unsigned long long)st.scans, (unsigned long long)ts.initiated,
            (unsigned long long)ts.confirmed, (unsigned long long)o.track_lines,
            (unsigned long long)o.alert_lines, wall_s,
            wall_s > 0 ? (double)(read - markers) / wall_s : 0.0);
    if (o.failed)
        fprintf(stderr, "borderfuse: --replay: writing the outputs failed\n");
    rc = (rc < 0 || o.failed) ? 1 : 0;

out_close:
    bf_record_reader_close(rd);
    if (out_dir) {
        if (o.tracks && fclose(o.tracks) != 0)
            rc = 1;
        if (o.alerts && fclose(o.alerts) != 0)
            rc = 1;
    }
    return rc;
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},
        {"check-config", required_argument, NULL, 'C'},
        {"mqtt-url", required_argument, NULL, 'u'},
        {"journal", required_argument, NULL, 'j'},
        {"audit", required_argument, NULL, 'A'},
        {"log-level", required_argument, NULL, 'l'},
        {"log-format", required_argument, NULL, 'F'},
        {"exercise", no_argument, NULL, 'x'},
        {"record", required_argument, NULL, 'R'},
        {"record-notes", required_argument, NULL, 'N'},
        {"replay", required_argument, NULL, 'P'},
        {"replay-out", required_argument, NULL, 'O'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    const char *config_path = NULL, *log_level = NULL, *log_format = NULL, *replay_path = NULL, *replay_out = NULL;
    struct bf_engine_options opt = {0};
    int c;
    while ((c = getopt_long(argc, argv, "c:u:j:l:xhV", longopts, NULL)) != -1) {
        switch (c) {
        case 'c': config_path = optarg; break;
        case 'C': return check_config(optarg);
        case 'u': opt.mqtt_url = optarg; break;
        case 'j': opt.journal_path = optarg; break;
        case 'A': opt.audit_path = optarg; break;
        case 'l': log_level = optarg; break;
        case 'F': log_format = optarg; break;
        case 'x': opt.exercise = true; break;
        case 'R': opt.record_path = optarg; break;
        case 'N': opt.record_notes = optarg; break;
        case 'P': replay_path = optarg; break;
        case 'O': replay_out = optarg; break;
        case 'h': usage(stdout); return 0;
        case 'V': printf("borderfuse 0.1.0 (sensor ABI %d)\n", BF_SENSOR_ABI); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (!config_path || optind != argc) {
        fprintf(stderr, "borderfuse: %s\n\n", config_path ? "unexpected argument" :
                "--config FILE is required");
        usage(stderr);
        return 2;
    }

    /* the same checks as --check-config, every one of them, before anything starts */
    struct bf_diag diag = {0};
    struct bf_config *cfg = NULL;
    if (bf_config_load(config_path, &cfg, &diag) < 0 || bf_engine_check(cfg, &diag) < 0 ||
        diag.n_errors > 0) {
        fprintf(stderr, "borderfuse: %s: %u problem%s; fix them and try again "
                "(borderfuse --check-config %s)\n", config_path, diag.n_errors,
                diag.n_errors == 1 ? "" : "s", config_path);
        bf_config_destroy(cfg);
        return 2;
    }
    char why[512];
    if (opt.mqtt_url && bf_config_check_mqtt_url(opt.mqtt_url, why, sizeof why) < 0) {
        fprintf(stderr, "borderfuse: --mqtt-url: %s\n", why);
        bf_config_destroy(cfg);
        return 2;
    }
    enum bf_log_level level = cfg->log_level;
    if (log_level && bf_log_level_parse(log_level, &level) < 0) {
        fprintf(stderr, "borderfuse: --log-level: expected error, warn, info or debug, got %s\n",
                log_level);
        bf_config_destroy(cfg);
        return 2;
    }
    bf_log_set_level(level);
    enum bf_log_format format = cfg->log_format;
    if (log_format && bf_log_format_parse(log_format, &format) < 0) {
        fprintf(stderr, "borderfuse: --log-format: expected text or json, got %s\n", log_format);
        bf_config_destroy(cfg);
        return 2;
    }
    bf_log_set_format(format);
    if (replay_out && !replay_path) {
        fprintf(stderr, "borderfuse: --replay-out needs --replay FILE\n");
        bf_config_destroy(cfg);
        return 2;
    }
    if (replay_path) {
        int rrc = replay(cfg, opt, replay_path, replay_out);
        bf_config_destroy(cfg);
        return rrc;
    }

    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    opt.reload = &reload_requested;

    struct bf_engine *engine = NULL;
    int rc = bf_engine_create(cfg, &opt, &engine);
    if (rc < 0) {
        fprintf(stderr, "borderfuse: cannot start: %s (see the log above)\n", bf_strerror(rc));
        bf_config_destroy(cfg);
        return 1;
    }
    bf_engine_run(engine, &stop_requested);
    struct bf_engine_stats st;
    bf_engine_get_stats(engine, &st);
    BF_LOGI("engine", "done: %llu detections received, %llu processed, %llu late, %llu shed, "
            "%llu malformed messages, %llu alert changes published",
            (unsigned long long)st.received, (unsigned long long)st.processed,
            (unsigned long long)st.late, (unsigned long long)st.shed,
            (unsigned long long)st.malformed, (unsigned long long)st.alerts_published);
    bf_engine_destroy(engine);
    bf_config_destroy(cfg);
    return 0;
}
