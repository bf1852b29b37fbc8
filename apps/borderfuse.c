/*
 * borderfuse.c - the engine program: load the configuration, start the
 * pipeline, run until SIGINT/SIGTERM.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/bf_error.h"
#include "core/bf_log.h"
#include "fusion/config.h"
#include "fusion/fusion.h"
#include "geo/geo.h"
#include "sensors/sensor.h"

static volatile int stop_requested;

static void on_signal(int sig)
{
    (void)sig;
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
"borderfuse/<site>/tracks. Every alert is appended to the journal first.\n"
"\n"
"Options:\n"
"  -c, --config FILE        engine configuration (JSON; see docs/config.md)\n"
"      --check-config FILE  validate FILE (and its zones file, sensor types),\n"
"                           print every problem as file:line:col: path: reason,\n"
"                           exit 0 if it is good, 2 if not\n"
"  -u, --mqtt-url URL       broker, overriding mqtt.url (tcp://HOST:PORT)\n"
"  -j, --journal PATH       alert journal, overriding alerts.journal\n"
"  -l, --log-level LEVEL    error, warn, info (default, or the config's) or debug\n"
"  -x, --exercise           mark every alert as exercise\n"
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
"Example:\n"
"  borderfuse --config config/demo/borderfuse.json --mqtt-url tcp://127.0.0.1:1883\n");
}

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

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},
        {"check-config", required_argument, NULL, 'C'},
        {"mqtt-url", required_argument, NULL, 'u'},
        {"journal", required_argument, NULL, 'j'},
        {"log-level", required_argument, NULL, 'l'},
        {"exercise", no_argument, NULL, 'x'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    const char *config_path = NULL, *log_level = NULL;
    struct bf_engine_options opt = {0};
    int c;
    while ((c = getopt_long(argc, argv, "c:u:j:l:xhV", longopts, NULL)) != -1) {
        switch (c) {
        case 'c': config_path = optarg; break;
        case 'C': return check_config(optarg);
        case 'u': opt.mqtt_url = optarg; break;
        case 'j': opt.journal_path = optarg; break;
        case 'l': log_level = optarg; break;
        case 'x': opt.exercise = true; break;
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

    struct bf_diag diag = {0};
    struct bf_config *cfg = NULL;
    if (bf_config_load(config_path, &cfg, &diag) < 0) {
        fprintf(stderr, "borderfuse: %s: %u problem%s; fix them and try again "
                "(borderfuse --check-config %s)\n", config_path, diag.n_errors,
                diag.n_errors == 1 ? "" : "s", config_path);
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

    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

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
