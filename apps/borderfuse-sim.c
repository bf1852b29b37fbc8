/*
 * borderfuse-sim.c - play a scenario through the real chain and score it.
 *
 * The simulator is the engine's examiner: it loads a scenario, moves the
 * truth, emulates every radar scan and publishes the detections over MQTT in
 * the wire format the engine reads, paced by the wall clock (time_scale
 * simulated seconds per wall second, or as fast as possible).  Before the
 * first scan it subscribes to the engine's alerts, shows each new alert as it
 * arrives, and when the scenario is over (and late alerts have had time to
 * settle) it scores the alerts against the true crossings and prints and
 * writes the scorecard.  Exit status: 0 when the run completed (a bad score
 * is data, not an error), 3 when the scenario's "expect" was not met, 2 on
 * usage or scenario errors, 1 on broker failure.
 *
 * This file is the program's options and wiring (signals, the scenario's
 * overrides); the run itself is sim/play.c (bf_sim_play), the printout of
 * --check sim/check.c (bf_sim_check_print).
 */
#include <getopt.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/bf_error.h"
#include "core/bf_log.h"
#include "core/bf_opt.h"
#include "core/bf_time.h"
#include "sim/sim.h"

/* exit statuses: those of enum bf_sim_play_status */
#define EXIT_RUN_OK BF_SIM_PLAY_DONE
#define EXIT_USAGE BF_SIM_PLAY_ERROR
#define PROG "borderfuse-sim"

struct opts {
    const char *scenario;
    const char *mqtt_url;
    const char *credentials;
    const char *tls_ca, *tls_cert, *tls_key;   /* with an ssl:// URL; NULL: none */
    const char *truth_path;
    const char *scorecard_path;
    const char *report_dir;  /* --report DIR: report.html and plots (sim/report.c) */
    const char *start_time;
    double time_scale;       /* < 0: from the scenario */
    double duration_s;       /* < 0: from the scenario */
    double settle_s;
    double truth_period_s;
    double connect_timeout_s;
    double match_radius_m;
    double match_latency_s;
    int64_t seed;            /* < 0: from the scenario */
    bool verbose, quiet, check;
    long broker_pid;         /* --broker-pid: stopped during "broker_outage" events; 0 none */
    double camera_wait_s;    /* wait for a client on each camera's video server */
};

static volatile sig_atomic_t g_stop;   /* SIGINT/SIGTERM: finish early and score */

static void on_signal(int sig)
{
    (void)sig;
    g_stop++;
    if (g_stop > 1)
        _exit(130);
}

static void usage(FILE *f)
{
    fprintf(f,
"usage: borderfuse-sim --scenario FILE [options]\n"
"\n"
"Play a scenario through the real chain: move the simulated targets, emulate\n"
"each radar scan and publish the detections over MQTT (one batch message per\n"
"radar per scan on borderfuse/<site>/sensors/<radar-id>/detections) or, for a\n"
"radar with \"asterix\" in the scenario, send them as ASTERIX CAT048 over UDP, show\n"
"every alert the engine raises on borderfuse/<site>/alerts as it arrives, and\n"
"at the end score the alerts against the true border crossings.  The\n"
"scenario format is in docs/scenario.md, the scorecard in docs/scorecard.md.\n"
"\n"
"options:\n"
"  --scenario FILE      the scenario (JSON); required\n"
"  --mqtt-url URL       the broker the engine listens on (default tcp://127.0.0.1:1883)\n"
"  --credentials FILE   MQTT username/password JSON, mode 600 (default: anonymous)\n"
"  --tls-ca FILE        with an ssl:// URL: the CA of the broker's certificate\n"
"                       (default: the system's); --tls-cert/--tls-key FILE: a client\n"
"                       certificate and its unencrypted key (docs/security.md)\n"
"  --time-scale X       simulated seconds per wall second; 0 = as fast as possible\n"
"                       (default: the scenario's time_scale, else 1 = real time)\n"
"  --seed N             random seed (default: the scenario's seed)\n"
"  --duration-s S       simulate S seconds instead of the scenario's duration_s\n"
"  --start-time T       event time of second 0: ISO 8601 UTC, or \"now\"\n"
"                       (default: the scenario's start_time); use \"now\" to run a\n"
"                       scenario again against an engine that is still running\n"
"  --truth FILE         write the ground truth as JSON lines (one per existing target\n"
"                       per --truth-period-s); parent folders are created\n"
"  --truth-period-s S   simulated seconds between truth lines, rounded to the 0.5 s\n"
"                       truth step; 0 = every step (default 1)\n"
"  --scorecard FILE     write the scorecard as JSON; parent folders are created\n"
"  --report DIR         also follow the engine's track pictures and write DIR/report.html\n"
"                       (summary, map, GOSPA over time, alert timeline; self-contained)\n"
"                       and the plots as DIR/map.svg, gospa.svg, alerts.svg\n"
"  --settle-s S         wall seconds to wait for late alerts after the last scan (default 5)\n"
"  --match-radius-m M   how near a crossing an alert must be first reported (default 500)\n"
"  --match-latency-s S  ... plus the crossing target's speed times S (default 30)\n"
"  --connect-timeout-s S  give up if the broker does not answer in S s (default 10)\n"
"  --verbose            also show alert updates and resolutions, and debug logs\n"
"  --quiet              no progress lines and no live alerts: only the scorecard\n"
"  --broker-pid PID     the broker's process: a \"broker_outage\" event of the scenario\n"
"                       stops it (SIGSTOP) for its duration_s of simulated time\n"
"                       (duration_s / time scale of wall time, 1 s at time scale 0),\n"
"                       then resumes it (SIGCONT); without it such events are skipped\n"
"  --camera-wait-s S    before the first scan, wait up to S wall seconds for a client\n"
"                       (the engine) on each camera's video port; 0 = do not wait\n"
"                       (default 5). Ground sensors publish their messages on\n"
"                       borderfuse/<site>/sensors/<id>/ugs, cameras serve Matroska\n"
"                       GRAY8 video on tcp://127.0.0.1:<port> (docs/scenario.md)\n"
"  --check              validate the scenario, print its targets and true crossings,\n"
"                       and warn (\"warning: ...\") about a target outside every\n"
"                       sensor's coverage (or crossing where none looks), a target\n"
"                       of expect.alerted that never crosses, a random walk whose\n"
"                       disc straddles a border line; exit 0 (valid, warnings or\n"
"                       not) or 2 (errors, each with file:line:col)\n"
"  --help               this text\n"
"\n"
"Exit status: 0 when the run completed (whatever the score, unless the scenario\n"
"says what it expects), 3 when the scenario's \"expect\" was not met (each\n"
"expectation is printed as ok or FAIL after the scorecard), 2 on usage or\n"
"scenario errors, 1 when the broker could not be reached or was lost.\n"
"\n"
"example (engine already running on the same broker):\n"
"  borderfuse-sim --scenario config/demo/scenario.json --mqtt-url tcp://127.0.0.1:1883 \\\n"
"      --truth out/demo/truth.jsonl --scorecard out/demo/scorecard.json\n");
}

/* Parse argv; returns 0, 1 for --help (done), or EXIT_USAGE. */
static int parse_args(int argc, char **argv, struct opts *o)
{
    enum { O_SCEN = 256, O_URL, O_CRED, O_TS, O_SEED, O_DUR, O_START, O_TRUTH, O_TPER, O_SCORE,
           O_SETTLE, O_RADIUS, O_CTO, O_VERB, O_QUIET, O_CHECK, O_HELP, O_CAMWAIT, O_BPID, O_REPORT,
           O_TLS_CA, O_TLS_CERT, O_TLS_KEY, O_LATENCY };
    static const struct option lo[] = {
        {"scenario", required_argument, NULL, O_SCEN},
        {"mqtt-url", required_argument, NULL, O_URL},
        {"credentials", required_argument, NULL, O_CRED},
        {"tls-ca", required_argument, NULL, O_TLS_CA},
        {"tls-cert", required_argument, NULL, O_TLS_CERT},
        {"tls-key", required_argument, NULL, O_TLS_KEY},
        {"time-scale", required_argument, NULL, O_TS},
        {"seed", required_argument, NULL, O_SEED},
        {"duration-s", required_argument, NULL, O_DUR},
        {"start-time", required_argument, NULL, O_START},
        {"truth", required_argument, NULL, O_TRUTH},
        {"truth-period-s", required_argument, NULL, O_TPER},
        {"scorecard", required_argument, NULL, O_SCORE},
        {"report", required_argument, NULL, O_REPORT},
        {"settle-s", required_argument, NULL, O_SETTLE},
        {"match-radius-m", required_argument, NULL, O_RADIUS},
        {"match-latency-s", required_argument, NULL, O_LATENCY},
        {"connect-timeout-s", required_argument, NULL, O_CTO},
        {"verbose", no_argument, NULL, O_VERB},
        {"quiet", no_argument, NULL, O_QUIET},
        {"check", no_argument, NULL, O_CHECK},
        {"help", no_argument, NULL, O_HELP},
        {"broker-pid", required_argument, NULL, O_BPID},
        {"camera-wait-s", required_argument, NULL, O_CAMWAIT},
        {NULL, 0, NULL, 0},
    };
    *o = (struct opts){.mqtt_url = "tcp://127.0.0.1:1883", .time_scale = -1, .duration_s = -1,
                       .settle_s = 5, .truth_period_s = 1, .connect_timeout_s = 10,
                       .match_radius_m = 500, .match_latency_s = 30, .seed = -1, .camera_wait_s = 5};
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        int64_t iv;
        switch (c) {
        case O_SCEN: o->scenario = optarg; break;
        case O_URL: o->mqtt_url = optarg; break;
        case O_CRED: o->credentials = optarg; break;
        case O_TLS_CA: o->tls_ca = optarg; break;
        case O_TLS_CERT: o->tls_cert = optarg; break;
        case O_TLS_KEY: o->tls_key = optarg; break;
        case O_TRUTH: o->truth_path = optarg; break;
        case O_SCORE: o->scorecard_path = optarg; break;
        case O_REPORT: o->report_dir = optarg; break;
        case O_START: o->start_time = optarg; break;
        case O_VERB: o->verbose = true; break;
        case O_QUIET: o->quiet = true; break;
        case O_CHECK: o->check = true; break;
        case O_HELP: usage(stdout); return 1;
        case O_TS:
            if (!bf_opt_double(PROG, "--time-scale", optarg, 0, 1e6, "(0 = as fast as possible)",
                               &o->time_scale))
                return EXIT_USAGE;
            break;
        case O_SEED:
            if (!bf_opt_int(PROG, "--seed", optarg, 0, INT64_MAX, NULL, &o->seed))
                return EXIT_USAGE;
            break;
        case O_DUR:
            if (!bf_opt_double(PROG, "--duration-s", optarg, 1, 7 * 86400.0, "(seconds)",
                               &o->duration_s))
                return EXIT_USAGE;
            break;
        case O_SETTLE:
            if (!bf_opt_double(PROG, "--settle-s", optarg, 0, 3600, "(seconds)", &o->settle_s))
                return EXIT_USAGE;
            break;
        case O_TPER:
            if (!bf_opt_double(PROG, "--truth-period-s", optarg, 0, 3600, "(seconds)",
                               &o->truth_period_s))
                return EXIT_USAGE;
            break;
        case O_RADIUS:
            if (!bf_opt_double(PROG, "--match-radius-m", optarg, 1, 1e5, "(metres)",
                               &o->match_radius_m))
                return EXIT_USAGE;
            break;
        case O_LATENCY:
            if (!bf_opt_double(PROG, "--match-latency-s", optarg, 0, 600, "(seconds)",
                               &o->match_latency_s))
                return EXIT_USAGE;
            break;
        case O_BPID:
            if (!bf_opt_int(PROG, "--broker-pid", optarg, 2, 4194304, "(the broker's process id)",
                            &iv))
                return EXIT_USAGE;
            o->broker_pid = (long)iv;
            break;
        case O_CAMWAIT:
            if (!bf_opt_double(PROG, "--camera-wait-s", optarg, 0, 3600, "(seconds)",
                               &o->camera_wait_s))
                return EXIT_USAGE;
            break;
        case O_CTO:
            if (!bf_opt_double(PROG, "--connect-timeout-s", optarg, 0.1, 3600, "(seconds)",
                               &o->connect_timeout_s))
                return EXIT_USAGE;
            break;
        default:
            fprintf(stderr, "borderfuse-sim: unknown or incomplete option \"%s\"; see --help\n",
                    argv[optind - 1]);
            return EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "borderfuse-sim: unexpected argument \"%s\"; see --help\n", argv[optind]);
        return EXIT_USAGE;
    }
    if (!o->scenario) {
        fprintf(stderr, "borderfuse-sim: --scenario FILE is required; see --help\n");
        return EXIT_USAGE;
    }
    return 0;
}

/* The scenario's time scale, seed, duration and start time as the options say.  0 or -1. */
static int override_scenario(struct bf_sim_scenario *s, const struct opts *o)
{
    if (o->time_scale >= 0)
        s->time_scale = o->time_scale;
    if (o->seed >= 0)
        s->seed = (uint64_t)o->seed;
    if (o->duration_s > 0)
        s->duration_s = o->duration_s;
    if (!o->start_time)
        return 0;
    if (strcmp(o->start_time, "now") == 0) {
        bf_time_us now = bf_clock_realtime(NULL);
        s->start_us = now - now % BF_US_PER_MS;
    } else if (bf_time_parse_iso(o->start_time, &s->start_us) < 0) {
        fprintf(stderr, "borderfuse-sim: --start-time: expected ISO 8601 UTC "
                "(2026-03-01T02:00:00Z) or \"now\", got \"%s\"\n", o->start_time);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct opts o;
    int prc = parse_args(argc, argv, &o);
    if (prc == 1)
        return EXIT_RUN_OK;
    if (prc != 0)
        return EXIT_USAGE;
    bf_log_set_level(o.verbose ? BF_LOG_DEBUG : (o.quiet ? BF_LOG_ERROR : BF_LOG_WARN));

    struct bf_sim_scenario *s;
    if (bf_sim_scenario_load(o.scenario, &s, NULL) < 0) {
        fprintf(stderr, "borderfuse-sim: %s: scenario not valid\n", o.scenario);
        return EXIT_USAGE;
    }
    int status = EXIT_USAGE;
    if (override_scenario(s, &o) < 0) {
        status = EXIT_USAGE;
    } else if (o.check) {
        status = bf_sim_check_print(s, stdout) < 0 ? EXIT_USAGE : EXIT_RUN_OK;
    } else {
        struct sigaction sa = {.sa_handler = on_signal};
        sigemptyset(&sa.sa_mask);
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        struct bf_sim_play_options po = {
            .mqtt_url = o.mqtt_url, .credentials = o.credentials, .tls_ca = o.tls_ca,
            .tls_cert = o.tls_cert, .tls_key = o.tls_key, .truth_path = o.truth_path,
            .truth_period_s = o.truth_period_s, .scorecard_path = o.scorecard_path,
            .report_dir = o.report_dir, .settle_s = o.settle_s,
            .connect_timeout_s = o.connect_timeout_s, .match_radius_m = o.match_radius_m,
            .match_latency_s = o.match_latency_s, .camera_wait_s = o.camera_wait_s,
            .broker_pid = o.broker_pid, .verbose = o.verbose, .quiet = o.quiet, .stop = &g_stop,
        };
        status = bf_sim_play(s, &po);
    }
    bf_sim_scenario_destroy(s);
    return status;
}
