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
 * Threads: the main thread runs the scenario; Paho's thread delivers alerts,
 * which are noted in the alert log under a mutex and printed.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/bf_error.h"
#include "core/bf_log.h"
#include "core/bf_opt.h"
#include "mqtt/mqtt.h"
#include "core/bf_time.h"
#include "geo/geo.h"
#include "sensors/asterix.h"
#include "sim/sim.h"

#define EXIT_RUN_OK 0
#define EXIT_BROKER 1
#define EXIT_USAGE 2
#define PROG "borderfuse-sim"
#define EXIT_EXPECT 3   /* the run went, but the scenario's expected outcome was not met */

#define PROGRESS_EVERY_S 5.0
#define ALERT_LOG_CAP 100000

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

/* State shared with the MQTT thread. */
struct alerts_ctx {
    pthread_mutex_t lock;
    struct bf_sim_alert_log log;
    bool exercise;
    bool verbose, quiet;
    atomic_bool probe_seen;
    atomic_bool malformed_reported;
    struct bf_sim_report *report;   /* --report: alerts and track pictures kept; NULL none */
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

/* Create the folders leading to path (like mkdir -p of its dirname). 0 or BF_EIO. */
static int make_parents(const char *path)
{
    char *p = strdup(path);
    if (!p)
        return BF_ENOMEM;
    for (char *s = p + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        if (mkdir(p, 0777) != 0 && errno != EEXIST) {
            fprintf(stderr, "borderfuse-sim: cannot create folder %s: %s\n", p, strerror(errno));
            free(p);
            return BF_EIO;
        }
        *s = '/';
    }
    free(p);
    return 0;
}

static void hms_of(bf_time_us t, char *buf, size_t len)
{
    char iso[BF_TIME_ISO_LEN];
    bf_time_format_iso(t, iso, sizeof iso);
    snprintf(buf, len, "%.8sZ", strlen(iso) >= 19 ? iso + 11 : "??:??:??");
}

/* --check: what the scenario will do. */
static int print_check(const struct bf_sim_scenario *s)
{
    char iso[BF_TIME_ISO_LEN];
    bf_time_format_iso(s->start_us, iso, sizeof iso);
    printf("scenario %s: site %s, %zu radars, %zu targets, %.0f s from %s, seed %llu%s\n",
           s->path, s->site, s->n_radars, s->n_targets, s->duration_s, iso,
           (unsigned long long)s->seed, s->exercise ? ", EXERCISE" : "");
    if (s->time_scale > 0)
        printf("time scale %g: about %.0f s of wall time\n", s->time_scale,
               s->duration_s / s->time_scale);
    else
        printf("time scale 0: as fast as possible\n");
    size_t nz = bf_geo_zones_count(s->zones);
    printf("zones (%s): ", s->zones_path);
    for (size_t z = 0; z < nz; z++) {
        const struct bf_zone_info *zi = bf_geo_zone_info(s->zones, z);
        printf("%s%s (%s)", z ? ", " : "", zi->id, bf_zone_kind_name(zi->kind));
    }
    printf("\n");
    for (size_t i = 0; i < s->n_radars; i++) {
        const struct bf_sim_radar *r = &s->radars[i];
        printf("radar %-12s %.5f %.5f  range %.0f m, scan %.2f s (phase %.2f), pd %.2f, "
               "sigma %.0f m / %.2f deg, clutter %.1f/scan, resolution %.0f m",
               r->id, r->lat_deg, r->lon_deg, r->range_m, r->scan_period_s, r->phase_s, r->pd,
               r->sigma_range_m, r->sigma_bearing_deg, r->clutter_per_scan, r->resolution_m);
        if (r->classify_p > 0)
            printf(", classifies %.0f%%", 100.0 * r->classify_p);
        if (r->asterix)
            printf(", ASTERIX CAT048 to %s:%d (SAC %d SIC %d)", r->asterix_host, r->asterix_port,
                   r->asterix_sac, r->asterix_sic);
        printf("\n");
    }
    for (size_t i = 0; i < s->n_targets; i++) {
        const struct bf_sim_target *t = &s->targets[i];
        if (t->motion == BF_SIM_MOTION_ROUTE) {
            double len_m = 0, dur = 0;
            for (size_t k = 0; k + 1 < t->n_wp; k++) {
                double d = hypot(t->wp[k + 1].e_m - t->wp[k].e_m, t->wp[k + 1].n_m - t->wp[k].n_m);
                len_m += d;
                dur += d / t->leg_speed_mps[k];
            }
            for (size_t k = 0; k < t->n_wp; k++)
                dur += t->wp[k].pause_s;
            printf("target %-12s %-8s %-10s start %5.0f s, route of %zu waypoints, %.0f m, "
                   "ends at %.0f s\n", t->id, t->cls, t->group ? t->group : "-", t->start_s,
                   t->n_wp, len_m, t->start_s + dur);
        } else {
            printf("target %-12s %-8s %-10s start %5.0f s, random walk within %.0f m of "
                   "%.5f %.5f at %.1f m/s\n", t->id, t->cls, t->group ? t->group : "-",
                   t->start_s, t->radius_m, t->home_lat_deg, t->home_lon_deg, t->speed_mps);
        }
    }
    bf_sim_features_print(stdout, s);   /* roads, water, Pd shapes, events */
    bf_sim_sensors_print(stdout, s);    /* ground sensors and cameras */
    if (s->dem_path)                    /* terrain (sim/terrain.c) */
        printf("terrain %s: line of sight to %.1f m above the ground, %.0f m cells\n",
               s->dem_path, s->target_height_m, s->terrain_cell_m);
    struct bf_sim_crossing *cr;
    size_t n;
    int rc = bf_sim_truth_run(s, &cr, &n);
    if (rc < 0) {
        fprintf(stderr, "borderfuse-sim: truth failed: %s\n", bf_strerror(rc));
        return EXIT_USAGE;
    }
    printf("true crossings: %zu\n", n);
    for (size_t i = 0; i < n; i++) {
        char tm[16];
        hms_of(s->start_us + bf_time_from_s(cr[i].t_s), tm, sizeof tm);
        printf("  %s %-14s (%u) at %7.1f s (%s)  %.5f %.5f  zone %s\n",
               cr[i].is_group ? "group " : "target", cr[i].key, cr[i].members, cr[i].t_s, tm,
               cr[i].lat_deg, cr[i].lon_deg, bf_geo_zone_info(s->zones, (size_t)cr[i].zone)->id);
    }
    /* warnings: the scenario runs, but may not test what its author meant */
    int w = bf_sim_check_warnings(s, cr, n, stdout);
    free(cr);
    if (w < 0) {
        fprintf(stderr, "borderfuse-sim: check failed: %s\n", bf_strerror(w));
        return EXIT_USAGE;
    }
    printf("warnings: %d\n", w);
    printf("scenario OK\n");
    return EXIT_RUN_OK;
}

/* Paho's thread: one alert message. */
static void on_alert(void *ctx, const char *topic, const void *payload, size_t len)
{
    (void)topic;
    struct alerts_ctx *ac = ctx;
    struct bf_sim_alert a;
    pthread_mutex_lock(&ac->lock);
    int rc = bf_sim_alert_log_message(&ac->log, payload, len, ac->exercise, &a);
    pthread_mutex_unlock(&ac->lock);
    if (rc == BF_EPARSE) {
        if (!atomic_exchange(&ac->malformed_reported, true) || ac->verbose)
            fprintf(stderr, "borderfuse-sim: malformed alert message ignored (%zu bytes); "
                    "further ones are only counted\n", len);
        return;
    }
    if (ac->report)
        bf_sim_report_alert(ac->report, &a);
    if (ac->quiet)
        return;
    /* A new id in full (usually NEW); its later changes briefly, with --verbose. */
    bool first = rc == 1;
    if (!first && !ac->verbose)
        return;
    char line[512];
    bf_sim_alert_format(&a, !first, line, sizeof line);
    printf("%s\n", line);
    fflush(stdout);
}

static void on_probe(void *ctx, const char *topic, const void *payload, size_t len)
{
    (void)topic;
    (void)payload;
    (void)len;
    struct alerts_ctx *ac = ctx;
    atomic_store(&ac->probe_seen, true);
}

/* Paho's thread: one track picture of the engine (--report). */
static void on_tracks(void *ctx, const char *topic, const void *payload, size_t len)
{
    (void)topic;
    bf_sim_report_picture(ctx, payload, len);   /* malformed ones are counted in the report */
}

static double mono_s(void)
{
    return bf_time_to_s(bf_clock_monotonic(NULL));
}

/* Sleep until monotonic time t_s (or a signal). */
static void sleep_until(double t_s)
{
    for (;;) {
        double left = t_s - mono_s();
        if (left <= 0 || g_stop)
            return;
        if (left > 0.25)
            left = 0.25;   /* wake up now and then for signals */
        struct timespec ts = {.tv_sec = (time_t)left, .tv_nsec = (long)((left - floor(left)) * 1e9)};
        nanosleep(&ts, NULL);
    }
}

/* Publish, waiting a little when Paho's buffer is full. */
static int publish_scan(struct bf_mqtt *m, const char *topic, const char *msg, size_t len)
{
    for (int tries = 0;; tries++) {
        int rc = bf_mqtt_publish(m, topic, msg, len, 0, false);
        if (rc != BF_EFULL || tries >= 2000)
            return rc;
        struct timespec ts = {.tv_sec = 0, .tv_nsec = 1000000L};
        nanosleep(&ts, NULL);
    }
}

struct run {
    struct bf_sim_scenario *s;
    const struct opts *o;
    struct bf_mqtt *mqtt;
    struct alerts_ctx *ac;
    struct bf_sim_truth *truth;
    struct bf_sim_radar_emu **emu;
    char **topics;
    double *next_scan_s;
    uint64_t *scan_k;
    char *msg;
    size_t msg_cap;
    int udp;                            /* ASTERIX radars: one UDP socket, -1 none */
    struct sockaddr_in *udp_dst;        /* per radar */
    struct bf_asterix_report *ax_scratch;
    uint8_t *ax_buf;
    size_t ax_cap;
    uint64_t messages, detections, publish_failed;
    int expect_failed;                  /* expectations of the scenario not met */
    double *next_unit_s;                /* per response unit: its next report */
    uint64_t unit_messages;
    /* events (sim/events.c) */
    size_t ev_next;                     /* first event not yet played */
    double *pd_factor;                  /* per target: weather factor for the next scan */
    bool outage_on;                     /* the broker is stopped (SIGSTOP) */
    double outage_end_s, outage_end_wall;
    unsigned outages_skipped;
    double wall_s;
    double sim_done_s;
    struct bf_sim_sensor_emus *emus;    /* ground sensors and cameras, or NULL */
};

static void progress(const struct run *r, double sim_s, double wall0)
{
    double wall = mono_s() - wall0;
    size_t alerts;
    pthread_mutex_lock(&r->ac->lock);
    alerts = (size_t)r->ac->log.received;
    pthread_mutex_unlock(&r->ac->lock);
    fprintf(stderr, "[sim %02d:%02d:%02d  %5.0f/%.0f s]  wall %6.1f s  x%-6.1f  detections %llu  "
            "messages %llu  alerts %zu\n", (int)(sim_s / 3600), (int)fmod(sim_s / 60, 60),
            (int)fmod(sim_s, 60), sim_s, r->s->duration_s, wall, wall > 0 ? sim_s / wall : 0.0,
            (unsigned long long)r->detections, (unsigned long long)r->messages, alerts);
    if (bf_sim_sensor_emus_count(r->emus) > 0) {
        struct bf_sim_sensor_emus_stats es;
        bf_sim_sensor_emus_stats(r->emus, &es);
        fprintf(stderr, "                              ugs messages %llu (events %llu)  camera "
                "frames %llu\n", (unsigned long long)es.ugs_messages,
                (unsigned long long)es.ugs_events, (unsigned long long)es.camera_frames);
    }
}

/* The scan just made by radar j, as ASTERIX CAT048 in one UDP datagram. */
static int send_asterix(struct run *r, size_t j, bf_time_us t_us)
{
    size_t n = 0, len = 0;
    const struct bf_sim_plot *pl = bf_sim_radar_emu_plots(r->emu[j], &n);
    int rc = bf_sim_asterix_scan(&r->s->radars[j], pl, n, t_us, r->s->exercise, r->ax_scratch,
                                 r->ax_buf, r->ax_cap, &len);
    if (rc < 0 || len == 0)
        return rc;
    ssize_t sent = sendto(r->udp, r->ax_buf, len, 0, (const struct sockaddr *)&r->udp_dst[j],
                          sizeof r->udp_dst[j]);
    return sent == (ssize_t)len ? 0 : BF_EIO;
}

/* resume a broker stopped by a "broker_outage" event (at its wall deadline). */
static void outage_end(struct run *r)
{
    if (!r->outage_on)
        return;
    sleep_until(r->outage_end_wall);
    r->outage_on = false;
    if (kill((pid_t)r->o->broker_pid, SIGCONT) != 0)
        fprintf(stderr, "borderfuse-sim: cannot resume the broker (pid %ld): %s\n",
                r->o->broker_pid, strerror(errno));
    else if (!r->o->quiet)
        printf("[sim %7.1f s] EVENT broker resumed (SIGCONT to pid %ld)\n", r->outage_end_s,
               r->o->broker_pid);
}

/* play and show the scenario's events due at simulated time t. */
static void play_events(struct run *r, double t)
{
    size_t n;
    const struct bf_sim_event *ev = bf_sim_events(r->s, &n);
    if (r->outage_on && t >= r->outage_end_s)
        outage_end(r);
    for (; r->ev_next < n && ev[r->ev_next].at_s <= t; r->ev_next++) {
        const struct bf_sim_event *e = &ev[r->ev_next];
        char what[256];
        const char *note = "";
        bf_sim_event_describe(e, what, sizeof what);
        if (e->type == BF_SIM_EVENT_BROKER_OUTAGE) {
            if (r->o->broker_pid <= 0 || r->outage_on) {
                note = r->outage_on ? " - skipped: the broker is already stopped"
                                    : " - skipped: no --broker-pid to stop";
                r->outages_skipped++;
            } else if (kill((pid_t)r->o->broker_pid, SIGSTOP) != 0) {
                fprintf(stderr, "borderfuse-sim: cannot stop the broker (pid %ld): %s\n",
                        r->o->broker_pid, strerror(errno));
                note = " - skipped: the broker could not be stopped";
                r->outages_skipped++;
            } else {
                double scale = r->s->time_scale;
                r->outage_on = true;
                r->outage_end_s = e->at_s + e->duration_s;
                r->outage_end_wall = mono_s() + (scale > 0 ? e->duration_s / scale : 1.0);
                note = " (SIGSTOP)";
            }
        }
        if (!r->o->quiet || *note == ' ')
            printf("[sim %7.1f s] EVENT %s%s\n", e->at_s, what, note);
    }
}

/*
 * Weather factors for radar j's scan at t (NULL when there is no
 * event); a target the terrain hides from the radar gets 0 (sim/terrain.c).
 */
static void weather_for_scan(struct run *r, size_t j, double t)
{
    if (!r->pd_factor)
        return;
    const struct bf_sim_target_pos *tp = bf_sim_truth_positions(r->truth);
    for (size_t i = 0; i < r->s->n_targets; i++)
        r->pd_factor[i] = !tp[i].active ? 1.0
                          : !bf_sim_radar_sees(r->s, j, tp[i].e_m, tp[i].n_m) ? 0.0
                          : bf_sim_events_pd_factor(r->s, tp[i].e_m, tp[i].n_m, t);
    bf_sim_radar_emu_set_pd_factors(r->emu[j], r->pd_factor);
}

/* publish one ground-sensor message (QoS 1), waiting a little when Paho's buffer is full. */
static int publish_ugs(void *ctx, const char *topic, const void *payload, size_t len, int qos)
{
    struct run *r = ctx;
    for (int tries = 0;; tries++) {
        int rc = bf_mqtt_publish(r->mqtt, topic, payload, len, qos, false);
        if (rc != BF_EFULL || tries >= 2000)
            return rc;
        struct timespec ts = {.tv_sec = 0, .tv_nsec = 1000000L};
        nanosleep(&ts, NULL);
    }
}

/* the ground sensors and cameras due at simulated time t (between radar scans). */
static int play_sensors(struct run *r, double t, double wall0, double *next_progress)
{
    if (r->s->time_scale > 0)
        sleep_until(wall0 + t / r->s->time_scale);
    if (g_stop)
        return 0;
    int rc = bf_sim_truth_advance(r->truth, t);
    if (rc == 0)
        rc = bf_sim_sensor_emus_step(r->emus, bf_sim_truth_positions(r->truth), r->s->n_targets, t,
                                     publish_ugs, r);
    if (rc < 0) {
        fprintf(stderr, "borderfuse-sim: ground sensors / cameras failed at %.1f s: %s\n", t,
                bf_strerror(rc));
        return rc;
    }
    r->sim_done_s = t;
    if (!r->o->quiet && mono_s() >= *next_progress) {
        progress(r, t, wall0);
        *next_progress += PROGRESS_EVERY_S;
    }
    return 0;
}

/* Response units report their position up to simulated time t (sim/units.c),
 * each on borderfuse/<site>/units/<id>, retained, as the gps plugin does. */
static void play_units(struct run *r, double t)
{
    const struct bf_sim_scenario *s = r->s;
    char topic[256], msg[512];
    for (size_t k = 0; k < s->n_units; k++) {
        while (r->next_unit_s[k] <= t) {
            double tr = r->next_unit_s[k];
            r->next_unit_s[k] += s->units[k].report_s;
            int n = bf_sim_unit_message(s, k, tr, msg, sizeof msg);
            if (n < 0)
                continue;
            snprintf(topic, sizeof topic, "borderfuse/%s/units/%s", s->site, s->units[k].id);
            if (bf_mqtt_publish(r->mqtt, topic, msg, (size_t)n, 0, true) == 0)
                r->unit_messages++;
        }
    }
}

/* The scan loop: every radar scan in time order until the end (or a signal). */
static int play(struct run *r)
{
    const struct bf_sim_scenario *s = r->s;
    double scale = s->time_scale;
    double wall0 = mono_s();
    double next_progress = wall0 + PROGRESS_EVERY_S;
    for (;;) {
        size_t j = SIZE_MAX;
        for (size_t i = 0; i < s->n_radars; i++)
            if (r->next_scan_s[i] < s->duration_s &&
                (j == SIZE_MAX || r->next_scan_s[i] < r->next_scan_s[j]))
                j = i;
        double tx = bf_sim_sensor_emus_next_s(r->emus);   /* at their own cadence */
        if (!g_stop && tx < s->duration_s && (j == SIZE_MAX || tx < r->next_scan_s[j])) {
            if (play_sensors(r, tx, wall0, &next_progress) < 0)
                return BF_EIO;
            continue;
        }
        if (j == SIZE_MAX || g_stop)
            break;
        double t = r->next_scan_s[j];
        if (scale > 0)
            sleep_until(wall0 + t / scale);
        if (g_stop)
            break;
        int rc = bf_sim_truth_advance(r->truth, t);
        if (rc < 0) {
            fprintf(stderr, "borderfuse-sim: truth failed at %.1f s: %s\n", t, bf_strerror(rc));
            return rc;
        }
        play_events(r, t);   /* events; a down radar sends nothing */
        if (bf_sim_events_sensor_down(s, s->radars[j].id, t)) {
            r->scan_k[j]++;
            r->next_scan_s[j] = s->radars[j].phase_s + (double)r->scan_k[j] * s->radars[j].scan_period_s;
            r->sim_done_s = t;
            continue;
        }
        weather_for_scan(r, j, t);
        size_t len = 0;
        struct bf_sim_radar_stats before, after;
        bf_sim_radar_emu_stats(r->emu[j], &before);
        rc = bf_sim_radar_emu_scan(r->emu[j], bf_sim_truth_positions(r->truth), s->n_targets,
                                   s->start_us + bf_time_from_s(t), s->exercise, r->msg,
                                   r->msg_cap, &len);
        if (rc < 0) {
            fprintf(stderr, "borderfuse-sim: radar %s scan failed: %s\n", s->radars[j].id,
                    bf_strerror(rc));
            return rc;
        }
        bf_sim_radar_emu_stats(r->emu[j], &after);
        if (s->radars[j].asterix)
            rc = send_asterix(r, j, s->start_us + bf_time_from_s(t));
        else
            rc = publish_scan(r->mqtt, r->topics[j], r->msg, len);
        if (rc == 0) {
            r->messages++;
            r->detections += (after.detected - before.detected) + (after.clutter - before.clutter);
        } else {
            r->publish_failed++;
        }
        r->scan_k[j]++;
        r->next_scan_s[j] = s->radars[j].phase_s + (double)r->scan_k[j] * s->radars[j].scan_period_s;
        r->sim_done_s = t;
        play_units(r, t);
        if (!r->o->quiet && mono_s() >= next_progress) {
            progress(r, t, wall0);
            next_progress += PROGRESS_EVERY_S;
        }
    }
    double end = g_stop ? r->sim_done_s : s->duration_s;
    if (!g_stop)
        play_events(r, end);
    outage_end(r);   /* never leave the broker stopped */
    int rc = bf_sim_truth_advance(r->truth, end);
    r->sim_done_s = end;
    r->wall_s = mono_s() - wall0;
    if (!r->o->quiet)
        progress(r, end, wall0);
    return rc;
}

/* Wait for the probe to come back: then the alerts subscription is active too. */
static void wait_subscribed(struct run *r, const char *probe_topic)
{
    for (int i = 0; i < 20 && !atomic_load(&r->ac->probe_seen) && !g_stop; i++) {
        bf_mqtt_publish(r->mqtt, probe_topic, "probe", 5, 0, false);
        struct timespec ts = {.tv_sec = 0, .tv_nsec = 250000000L};
        nanosleep(&ts, NULL);
    }
    if (!atomic_load(&r->ac->probe_seen))
        fprintf(stderr, "borderfuse-sim: warning: no echo from the broker on %s; alerts raised "
                "early may be missed\n", probe_topic);
}

static int score_and_report(struct run *r, FILE *truthf)
{
    const struct bf_sim_scenario *s = r->s;
    size_t n_cr;
    const struct bf_sim_crossing *cr = bf_sim_truth_crossings(r->truth, &n_cr);
    struct bf_sim_score_params sp;
    bf_sim_score_params_default(&sp);
    sp.match_radius_m = r->o->match_radius_m;
    sp.match_latency_s = r->o->match_latency_s;

    pthread_mutex_lock(&r->ac->lock);
    struct bf_sim_score sc;
    int rc = bf_sim_score_compute(cr, n_cr, s->start_us, r->ac->log.items, r->ac->log.n, &sp, &sc);
    if (rc == 0 && (rc = bf_sim_score_targets(&sc, s, cr, n_cr, r->ac->log.items, r->ac->log.n,
                                              sp.match_radius_m)) < 0)
        bf_sim_score_free(&sc);
    struct bf_sim_run_info ri = {
        .scenario = s->path, .site = s->site, .exercise = s->exercise,
        .duration_s = r->sim_done_s, .start_us = s->start_us, .seed = s->seed,
        .time_scale = s->time_scale, .wall_s = r->wall_s, .interrupted = g_stop != 0,
        .detections_sent = r->detections, .messages_sent = r->messages,
        .publish_failed = r->publish_failed, .alerts_received = r->ac->log.received,
        .malformed_alerts = r->ac->log.malformed, .exercise_mismatch = r->ac->log.exercise_mismatch,
        .broker_outages_skipped = r->outages_skipped,
    };
    if (r->emus) {
        struct bf_sim_sensor_emus_stats es;
        bf_sim_sensor_emus_stats(r->emus, &es);
        ri.ugs_messages = es.ugs_messages;
        ri.camera_frames = es.camera_frames;
        ri.publish_failed += es.publish_failed;
    }
    char *json = NULL;
    cJSON *expect = NULL;
    if (rc == 0) {
        bf_sim_scorecard_print(stdout, &ri, cr, n_cr, r->ac->log.items, &sc);
        json = bf_sim_scorecard_json(&ri, cr, n_cr, r->ac->log.items, &sc);
        expect = bf_sim_expect_check(s, cr, n_cr, r->ac->log.items, r->ac->log.n, &sc, stdout);
        r->expect_failed = expect ? (int)cJSON_GetObjectItem(expect, "failed")->valuedouble : 0;
    }
    int rrc = 0;   /* --report: the figures over time */
    if (rc == 0 && r->ac->report &&
        (rrc = bf_sim_report_finish(r->ac->report, &ri, cr, n_cr, r->ac->log.items, r->ac->log.n,
                                    &sc, &sp)) == 0)
        bf_sim_report_print(stdout, r->ac->report);
    if (json && (expect || (r->ac->report && rrc == 0))) {   /* the scorecard carries them too */
        cJSON *card = cJSON_Parse(json);
        if (card) {
            if (r->ac->report && rrc == 0)
                bf_sim_report_scorecard_add(r->ac->report, card);
            if (expect)
                cJSON_AddItemToObject(card, "expect", expect);
            expect = NULL;
            char *j2 = cJSON_Print(card);
            if (j2) {
                free(json);
                json = j2;
            }
            cJSON_Delete(card);
        }
    }
    cJSON_Delete(expect);
    pthread_mutex_unlock(&r->ac->lock);
    fflush(stdout);
    if (rc < 0) {
        fprintf(stderr, "borderfuse-sim: scoring failed: %s\n", bf_strerror(rc));
        return rc;
    }
    if (r->o->scorecard_path) {
        FILE *f = NULL;
        if (json && make_parents(r->o->scorecard_path) == 0)
            f = fopen(r->o->scorecard_path, "w");
        if (!f || fprintf(f, "%s\n", json) < 0 || fclose(f) != 0) {
            fprintf(stderr, "borderfuse-sim: cannot write the scorecard to %s: %s\n",
                    r->o->scorecard_path, strerror(errno));
            rc = BF_EIO;
        } else if (!r->o->quiet) {
            fprintf(stderr, "scorecard written to %s\n", r->o->scorecard_path);
        }
    }
    if (r->ac->report) {
        if (rrc == 0)
            rrc = bf_sim_report_write(r->ac->report, r->o->report_dir);
        if (rrc < 0) {
            fprintf(stderr, "borderfuse-sim: cannot write the report to %s: %s\n",
                    r->o->report_dir, bf_strerror(rrc));
            rc = rrc;
        } else if (!r->o->quiet) {
            fprintf(stderr, "report written to %s/report.html\n", r->o->report_dir);
        }
    }
    if (truthf && !r->o->quiet)
        fprintf(stderr, "truth written to %s\n", r->o->truth_path);
    free(json);
    bf_sim_score_free(&sc);
    return rc;
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
    if (o.time_scale >= 0)
        s->time_scale = o.time_scale;
    if (o.seed >= 0)
        s->seed = (uint64_t)o.seed;
    if (o.duration_s > 0)
        s->duration_s = o.duration_s;
    if (o.start_time) {
        if (strcmp(o.start_time, "now") == 0) {
            bf_time_us now = bf_clock_realtime(NULL);
            s->start_us = now - now % BF_US_PER_MS;
        } else if (bf_time_parse_iso(o.start_time, &s->start_us) < 0) {
            fprintf(stderr, "borderfuse-sim: --start-time: expected ISO 8601 UTC "
                    "(2026-03-01T02:00:00Z) or \"now\", got \"%s\"\n", o.start_time);
            goto out_scenario;
        }
    }
    if (o.check) {
        status = print_check(s);
        goto out_scenario;
    }

    struct alerts_ctx ac = {.exercise = s->exercise, .verbose = o.verbose, .quiet = o.quiet};
    pthread_mutex_init(&ac.lock, NULL);
    if (bf_sim_alert_log_init(&ac.log, ALERT_LOG_CAP) < 0) {
        fprintf(stderr, "borderfuse-sim: out of memory\n");
        goto out_lock;
    }
    if (o.report_dir && bf_sim_report_create(s, &ac.report) < 0) {
        fprintf(stderr, "borderfuse-sim: out of memory\n");
        goto out_log;
    }
    struct run r = {.s = s, .o = &o, .ac = &ac, .udp = -1};
    FILE *truthf = NULL;
    char *user = NULL, *pass = NULL;
    char client_id[128], alerts_topic[256], probe_topic[300];
    snprintf(client_id, sizeof client_id, "borderfuse-sim-%s-%ld", s->site, (long)getpid());
    snprintf(alerts_topic, sizeof alerts_topic, "borderfuse/%s/alerts", s->site);
    snprintf(probe_topic, sizeof probe_topic, "borderfuse/%s/sim/%s/probe", s->site, client_id);

    if (o.truth_path) {
        if (make_parents(o.truth_path) == 0)
            truthf = fopen(o.truth_path, "w");
        if (!truthf) {
            fprintf(stderr, "borderfuse-sim: cannot write the truth to %s: %s\n", o.truth_path,
                    strerror(errno));
            goto out_log;
        }
    }
    size_t nr = s->n_radars;
    r.emu = calloc(nr, sizeof *r.emu);
    r.topics = calloc(nr, sizeof *r.topics);
    r.next_scan_s = calloc(nr, sizeof *r.next_scan_s);
    r.next_unit_s = calloc(s->n_units ? s->n_units : 1, sizeof *r.next_unit_s);
    if (!r.next_unit_s)
        goto out_run;
    r.scan_k = calloc(nr, sizeof *r.scan_k);
    if (!r.emu || !r.topics || !r.next_scan_s || !r.scan_k)
        goto out_run;
    if (bf_sim_truth_create(s, 0, &r.truth) < 0)
        goto out_run;
    if (truthf)
        bf_sim_truth_record(r.truth, truthf, o.truth_period_s);
    for (size_t i = 0; i < nr; i++) {
        if (bf_sim_radar_emu_create(&s->radars[i], s->seed, i + 1, s->n_targets, &r.emu[i]) < 0)
            goto out_run;
        size_t need = bf_sim_radar_emu_msg_max(r.emu[i]);
        if (need > r.msg_cap)
            r.msg_cap = need;
        size_t tl = strlen(s->site) + strlen(s->radars[i].id) + 64;
        r.topics[i] = malloc(tl);
        if (!r.topics[i])
            goto out_run;
        snprintf(r.topics[i], tl, "borderfuse/%s/sensors/%s/detections", s->site, s->radars[i].id);
        r.next_scan_s[i] = s->radars[i].phase_s;
    }
    r.msg = malloc(r.msg_cap);
    if (!r.msg)
        goto out_run;
    char emu_err[512];   /* ground sensors and cameras (their video servers start here) */
    if (bf_sim_sensor_emus_create(s, true, &r.emus, emu_err, sizeof emu_err) < 0) {
        fprintf(stderr, "borderfuse-sim: %s\n", emu_err);
        goto out_run;
    }
    size_t n_ev;
    if ((bf_sim_events(s, &n_ev) || s->dem_path) && s->n_targets > 0 &&
        !(r.pd_factor = calloc(s->n_targets, sizeof *r.pd_factor)))
        goto out_run;   /* weather factors (and terrain) */
    if (o.broker_pid > 0 && kill((pid_t)o.broker_pid, 0) != 0) {
        fprintf(stderr, "borderfuse-sim: --broker-pid %ld: %s\n", o.broker_pid, strerror(errno));
        goto out_run;
    }
    r.udp_dst = calloc(nr, sizeof *r.udp_dst);
    if (!r.udp_dst)
        goto out_run;
    for (size_t i = 0; i < nr; i++) {
        const struct bf_sim_radar *ra = &s->radars[i];
        if (!ra->asterix)
            continue;
        if (r.udp < 0 && (r.udp = socket(AF_INET, SOCK_DGRAM, 0)) < 0) {
            fprintf(stderr, "borderfuse-sim: cannot open a UDP socket: %s\n", strerror(errno));
            goto out_run;
        }
        r.udp_dst[i].sin_family = AF_INET;
        r.udp_dst[i].sin_port = htons((uint16_t)ra->asterix_port);
        if (inet_pton(AF_INET, ra->asterix_host, &r.udp_dst[i].sin_addr) != 1) {
            fprintf(stderr, "borderfuse-sim: radar %s: \"asterix\".\"host\" must be an IPv4 "
                    "address, got \"%s\"\n", ra->id, ra->asterix_host);
            goto out_run;
        }
        /* one CAT048 record is at most ~16 octets with the items we send */
        size_t plots = s->n_targets + (size_t)(ra->clutter_per_scan * 4 + 64);
        if (plots * 16 + 64 > r.ax_cap) {
            r.ax_cap = plots * 16 + 64;
            struct bf_asterix_report *sc = realloc(r.ax_scratch, plots * sizeof *sc);
            uint8_t *b = realloc(r.ax_buf, r.ax_cap);
            if (sc)
                r.ax_scratch = sc;
            if (b)
                r.ax_buf = b;
            if (!sc || !b)
                goto out_run;
        }
    }

    if (o.credentials) {
        char err[256];
        if (bf_mqtt_read_credentials(o.credentials, &user, &pass, err, sizeof err) < 0) {
            fprintf(stderr, "borderfuse-sim: %s\n", err);
            goto out_run;
        }
    }
    struct bf_mqtt_options mo = {.url = o.mqtt_url, .client_id = client_id, .username = user,
                                 .password = pass, .clean_session = true,
                                 .tls = {.ca_file = o.tls_ca, .cert_file = o.tls_cert,
                                         .key_file = o.tls_key}};
    status = EXIT_BROKER;
    if (bf_mqtt_create(&mo, &r.mqtt) < 0) {
        fprintf(stderr, "borderfuse-sim: cannot use the broker URL %s\n", o.mqtt_url);
        goto out_run;
    }
    if (bf_mqtt_subscribe(r.mqtt, alerts_topic, 1, on_alert, &ac) < 0 ||
        bf_mqtt_subscribe(r.mqtt, probe_topic, 0, on_probe, &ac) < 0)
        goto out_run;
    char tracks_topic[256];
    snprintf(tracks_topic, sizeof tracks_topic, "borderfuse/%s/tracks", s->site);
    if (ac.report && bf_mqtt_subscribe(r.mqtt, tracks_topic, 0, on_tracks, ac.report) < 0)
        goto out_run;

    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    if (bf_mqtt_wait_connected(r.mqtt, (int)(o.connect_timeout_s * 1000)) < 0) {
        fprintf(stderr, "borderfuse-sim: the broker at %s did not answer within %.0f s\n",
                o.mqtt_url, o.connect_timeout_s);
        goto out_run;
    }
    wait_subscribed(&r, probe_topic);
    if (s->n_cameras > 0 && o.camera_wait_s > 0) {   /* let the engine connect first */
        size_t missing = bf_sim_sensor_emus_wait_clients(r.emus, o.camera_wait_s, &g_stop);
        if (missing > 0)
            fprintf(stderr, "borderfuse-sim: warning: %zu of %zu cameras have no client after "
                    "%.0f s (--camera-wait-s); frames go out anyway, a client that connects "
                    "later starts at the next frame\n", missing, s->n_cameras, o.camera_wait_s);
    }
    if (!o.quiet) {
        char iso[BF_TIME_ISO_LEN];
        bf_time_format_iso(s->start_us, iso, sizeof iso);
        fprintf(stderr, "borderfuse-sim: playing %s (site %s, %zu radars, %zu targets, %.0f s "
                "from %s) at x%g%s; alerts from %s\n", s->path, s->site, s->n_radars,
                s->n_targets, s->duration_s, iso, s->time_scale,
                s->time_scale == 0 ? " (as fast as possible)" : "", alerts_topic);
    }
    if (play(&r) < 0) {
        status = EXIT_USAGE;
        goto out_run;
    }
    if (truthf && fflush(truthf) != 0)
        fprintf(stderr, "borderfuse-sim: writing the truth failed: %s\n", strerror(errno));
    if (!o.quiet && o.settle_s > 0)
        fprintf(stderr, "borderfuse-sim: last scan sent; waiting %.0f s for late alerts\n",
                o.settle_s);
    if (!o.quiet)   /* what the ground sensors and cameras sent, rendering cost */
        bf_sim_sensor_emus_report(r.emus, stderr);
    sleep_until(mono_s() + o.settle_s);
    bool connected = bf_mqtt_is_connected(r.mqtt);
    struct bf_mqtt_stats ms;
    bf_mqtt_get_stats(r.mqtt, &ms);
    bf_mqtt_destroy(r.mqtt);   /* no alert callback after this */
    r.mqtt = NULL;
    score_and_report(&r, truthf);
    if (!connected) {
        fprintf(stderr, "borderfuse-sim: the connection to %s was lost%s; the score may be "
                "incomplete\n", o.mqtt_url, ms.reconnects ? " (it reconnected before)" : "");
        status = EXIT_BROKER;
    } else {
        status = r.expect_failed ? EXIT_EXPECT : EXIT_RUN_OK;
    }

out_run:
    outage_end(&r);
    free(r.pd_factor);
    bf_mqtt_destroy(r.mqtt);
    free(r.msg);
    if (r.udp >= 0)
        close(r.udp);
    free(r.udp_dst);
    free(r.ax_scratch);
    free(r.ax_buf);
    if (r.emu)
        for (size_t i = 0; i < nr; i++)
            bf_sim_radar_emu_destroy(r.emu[i]);
    if (r.topics)
        for (size_t i = 0; i < nr; i++)
            free(r.topics[i]);
    free(r.emu);
    free(r.topics);
    free(r.next_scan_s);
    free(r.next_unit_s);
    free(r.scan_k);
    bf_sim_truth_destroy(r.truth);
    bf_sim_sensor_emus_destroy(r.emus);   /* ends the video streams */
    if (truthf && fclose(truthf) != 0)
        fprintf(stderr, "borderfuse-sim: closing the truth file failed: %s\n", strerror(errno));
    if (pass)
        memset(pass, 0, strlen(pass));
    free(user);
    free(pass);
out_log:
    bf_sim_report_destroy(ac.report);
    bf_sim_alert_log_free(&ac.log);
out_lock:
    pthread_mutex_destroy(&ac.lock);
out_scenario:
    bf_sim_scenario_destroy(s);
    return status;
}
