/*
 * borderfuse_bench.c - borderfuse-bench: how fast and how well the fusion
 * core tracks, on a stream of position detections.
 *
 * The problem: "a million detections a second" and "OSPA at or below 6 m"
 * must be measured the same way every time, on the tracker alone, on streams
 * anyone can regenerate.  The bench loads a detection stream (JSON lines) and
 * optionally its truth, or generates both (bench/stream.c), holds everything
 * in memory, then feeds the scans one by one to the public tracker API
 * (bf_tracker_scan) with one position sensor of unlimited range per sensor id
 * in the stream.  Only the bf_tracker_scan calls are timed (CLOCK_MONOTONIC
 * around each): their sum is the wall time, each one a scan latency.  After
 * every scan time with truth, the live CONFIRMED and COASTING tracks are
 * scored against the true positions at that time with OSPA and GOSPA
 * (sim/metrics.c) outside the timed part.  docs/bench.md describes the
 * formats, options and figures.
 *
 * With --coverage the tracker's sensors get a coverage (geo/coverage.h):
 * each a radar at the middle of the detections' extent whose disc covers
 * it, Pd falling with range, and with --coverage hills a generated hilly
 * DEM masking it, so the tracker can be measured with its pd_at callback
 * on; the cost of one bf_coverage_pd_at call is measured and printed.
 *
 * Exit status: 0 when the run completed, 2 on usage errors or unusable input,
 * 1 when the tracker failed.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "bench/stream.h"
#include "core/bf_error.h"
#include "core/bf_log.h"
#include "core/bf_opt.h"
#include "core/bf_time.h"
#include "tracker/tracker.h"
#include "geo/coverage.h"
#include "geo/geo.h"
#include "sim/sim.h"

#include <cpl_conv.h>
#include <gdal.h>
#include <ogr_srs_api.h>

#define EXIT_DONE 0
#define EXIT_FAIL 1
#define EXIT_USAGE 2
#define PROG "borderfuse-bench"

#define PROGRESS_EVERY_S 5.0
#define MAX_BAD_REPORTED 20
#define METRIC_MAX_CLUSTER 1024
#define MAX_TRACKS_CAP 4000000u

struct opts {
    const char *stream_path, *truth_path;
    const char *write_stream, *write_truth;
    bool generate, no_run, json, quiet;
    struct bf_bench_gen gen;
    double sigma_m;                   /* default sigma for stream lines without one */
    /* tracker */
    struct bf_tracker_params tp;
    bool pd_set, density_set, q_set;
    uint32_t max_tracks;              /* 0: automatic */
    /* scoring */
    double metric_c_m, metric_p;
    /* coverage: 0 none, 1 analytic radar discs, 2 the same over a generated hilly DEM */
    int coverage;
};

#define COVERAGE_LAT0 46.8   /* where the bench's square is placed for the DEM */
#define COVERAGE_LON0 8.2

static void usage(FILE *f)
{
    fprintf(f,
"usage: borderfuse-bench [options] STREAM [--truth FILE]\n"
"       borderfuse-bench --generate [generator options] [--write-stream FILE]\n"
"                        [--write-truth FILE] [--no-run] [options]\n"
"\n"
"Time the fusion core (the tracker: gating, clustering, assignment, Kalman\n"
"updates, track management) on a stream of position detections and, when the\n"
"truth is known, score its tracks with OSPA and GOSPA.  Everything is loaded\n"
"(or generated) into memory first; only the tracker calls are timed.\n"
"\n"
"input, JSON lines (docs/bench.md):\n"
"  STREAM               detections {\"t\": s, \"x\": m east, \"y\": m north}, optional\n"
"                       \"sigma\" (m) and \"sensor\" (id); equal t and sensor = one scan;\n"
"                       \"-\" reads stdin.  Bad lines are reported (file:line: reason),\n"
"                       counted and skipped; blank and '#' lines are ignored\n"
"  --truth FILE         true positions {\"t\", \"id\", \"x\", \"y\", \"vx\", \"vy\"}; scans\n"
"                       at a time the truth has are scored\n"
"  --sigma-m S          sigma of detections without \"sigma\"; with --generate the\n"
"                       generator's noise (default 10)\n"
"\n"
"generator (--generate; defaults give the N = 1000 figure of docs/bench.md):\n"
"  --targets N          targets (default 1000)\n"
"  --pd P               detection probability (default 0.9)\n"
"  --clutter C          mean clutter detections per scan, Poisson, uniform over\n"
"                       the area (default 20)\n"
"  --area-m L           side of the square area [0, L] x [0, L] (default 20000)\n"
"  --period-s T         scan period (default 1)\n"
"  --scans K            number of scans (default 200)\n"
"  --seed N             random seed; the same seed gives the same stream (default 1)\n"
"  --accel-mps2 A       white acceleration std per axis (default 0.1)\n"
"  --speed-mps MIN:MAX  initial speed, uniform (default 1:15)\n"
"  --edges bounce|wrap  at the edge a target bounces back (default) or reappears\n"
"                       on the other side\n"
"  --write-stream FILE  write the detections as JSON lines (\"-\": stdout)\n"
"  --write-truth FILE   write the truth as JSON lines\n"
"  --no-run             only write the files\n"
"\n"
"tracker (defaults: CV, GNN, gate 3 sigma, confirm 3 of 3, delete after 5 misses):\n"
"  --associator gnn|jpda    data associator\n"
"  --motion cv|ct|imm       motion model\n"
"  --confirm m-of-n|score   confirmation rule\n"
"  --confirm-m M --confirm-n N   M hits in N scans (default 3 of 3)\n"
"  --delete-misses K        delete a confirmed track after K misses in a row (default 5)\n"
"  --gate-sigma G           Mahalanobis gate in standard deviations (default 3)\n"
"  --q-mps2 Q               process noise, white acceleration std (default: the\n"
"                           generator's --accel-mps2, else 0.5)\n"
"  --tracker-pd P           Pd the tracker assumes (score, JPDA; default: the\n"
"                           generator's, else 0.9)\n"
"  --clutter-density D      false detections per m^2 per scan the tracker assumes\n"
"                           (default: the generator's, else 1e-6)\n"
"  --max-tracks N           track pool (default: enough for the stream)\n"
"  --coverage [flat|hills]  give each sensor a coverage (docs/coverage.md): a radar\n"
"                           at the middle of the detections whose disc covers them,\n"
"                           Pd by range; hills: masked by a generated hilly DEM;\n"
"                           the tracker gets its pd_at, and one call is timed\n"
"\n"
"scoring and output:\n"
"  --metric-c-m C       OSPA / GOSPA cut-off (default 100)\n"
"  --metric-p P         OSPA / GOSPA order (default 1)\n"
"  --json               end with one line of JSON: detections, wall_s,\n"
"                       detections_per_s, us_per_detection, scan_p50_ms,\n"
"                       scan_p99_ms, scan_max_ms, peak_rss_mb, confirmed_tracks,\n"
"                       ospa_mean, ospa_mean_last_half, gospa_mean (null without truth)\n"
"  --quiet              no progress lines on stderr\n"
"  --help               this text\n"
"\n"
"Exit status: 0 when the run completed, 2 on usage errors or unusable input,\n"
"1 when the tracker failed.\n"
"\n"
"examples:\n"
"  borderfuse-bench --generate --json                        # N = 1000, 200 scans\n"
"  borderfuse-bench --generate --targets 10000 --scans 100 --json\n"
"  borderfuse-bench --generate --write-stream s.jsonl --write-truth t.jsonl --no-run\n"
"  borderfuse-bench s.jsonl --truth t.jsonl\n");
}

/* ---- options -------------------------------------------------------------- */

/* Parse argv; returns 0, 1 for --help (done), or EXIT_USAGE. */
static int parse_args(int argc, char **argv, struct opts *o)
{
    enum { O_TRUTH = 256, O_SIGMA, O_GEN, O_TARGETS, O_PD, O_CLUTTER, O_AREA, O_PERIOD, O_SCANS,
           O_SEED, O_ACCEL, O_SPEED, O_EDGES, O_WSTREAM, O_WTRUTH, O_NORUN, O_ASSOC, O_MOTION,
           O_CONFIRM, O_CM, O_CN, O_DELETE, O_GATE, O_Q, O_TPD, O_DENSITY, O_MAXT, O_MC, O_MP,
           O_JSON, O_QUIET, O_HELP, O_COVERAGE };
    static const struct option lo[] = {
        {"truth", required_argument, NULL, O_TRUTH},
        {"sigma-m", required_argument, NULL, O_SIGMA},
        {"generate", no_argument, NULL, O_GEN},
        {"targets", required_argument, NULL, O_TARGETS},
        {"pd", required_argument, NULL, O_PD},
        {"clutter", required_argument, NULL, O_CLUTTER},
        {"area-m", required_argument, NULL, O_AREA},
        {"period-s", required_argument, NULL, O_PERIOD},
        {"scans", required_argument, NULL, O_SCANS},
        {"seed", required_argument, NULL, O_SEED},
        {"accel-mps2", required_argument, NULL, O_ACCEL},
        {"speed-mps", required_argument, NULL, O_SPEED},
        {"edges", required_argument, NULL, O_EDGES},
        {"write-stream", required_argument, NULL, O_WSTREAM},
        {"write-truth", required_argument, NULL, O_WTRUTH},
        {"no-run", no_argument, NULL, O_NORUN},
        {"associator", required_argument, NULL, O_ASSOC},
        {"motion", required_argument, NULL, O_MOTION},
        {"confirm", required_argument, NULL, O_CONFIRM},
        {"confirm-m", required_argument, NULL, O_CM},
        {"confirm-n", required_argument, NULL, O_CN},
        {"delete-misses", required_argument, NULL, O_DELETE},
        {"gate-sigma", required_argument, NULL, O_GATE},
        {"q-mps2", required_argument, NULL, O_Q},
        {"tracker-pd", required_argument, NULL, O_TPD},
        {"clutter-density", required_argument, NULL, O_DENSITY},
        {"max-tracks", required_argument, NULL, O_MAXT},
        {"metric-c-m", required_argument, NULL, O_MC},
        {"metric-p", required_argument, NULL, O_MP},
        {"json", no_argument, NULL, O_JSON},
        {"coverage", optional_argument, NULL, O_COVERAGE},
        {"quiet", no_argument, NULL, O_QUIET},
        {"help", no_argument, NULL, O_HELP},
        {NULL, 0, NULL, 0},
    };
    static const char *const assoc_names[] = {"gnn", "jpda", NULL};
    static const char *const motion_names[] = {"cv", "ct", "imm", NULL};
    static const char *const confirm_names[] = {"m-of-n", "score", NULL};
    static const char *const edge_names[] = {"bounce", "wrap", NULL};
    static const char *const coverage_names[] = {"flat", "hills", NULL};

    memset(o, 0, sizeof *o);
    bf_bench_gen_default(&o->gen);
    o->sigma_m = o->gen.sigma_m;
    o->metric_c_m = 100;
    o->metric_p = 1;
    /* the bench's tracker: the defaults with the settings made explicit */
    bf_tracker_params_default(&o->tp);
    o->tp.motion = BF_MOTION_CV;
    o->tp.associator = BF_ASSOC_GNN;
    o->tp.confirm = BF_CONFIRM_M_OF_N;
    o->tp.gate_sigma = 3;
    o->tp.confirm_m = 3;
    o->tp.confirm_n = 3;
    o->tp.delete_misses = 5;

    int c, idx;
    int64_t u;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (c) {
        case O_TRUTH: o->truth_path = optarg; break;
        case O_GEN: o->generate = true; break;
        case O_WSTREAM: o->write_stream = optarg; break;
        case O_WTRUTH: o->write_truth = optarg; break;
        case O_NORUN: o->no_run = true; break;
        case O_JSON: o->json = true; break;
        case O_QUIET: o->quiet = true; break;
        case O_HELP: usage(stdout); return 1;
        case O_SIGMA:
            if (!bf_opt_double(PROG, "--sigma-m", optarg, 1e-3, 1e5, "(metres)", &o->sigma_m))
                return EXIT_USAGE;
            o->gen.sigma_m = o->sigma_m;
            break;
        case O_TARGETS:
            if (!bf_opt_int(PROG, "--targets", optarg, 0, 1e6, NULL, &u))
                return EXIT_USAGE;
            o->gen.targets = (uint32_t)u;
            break;
        case O_PD:
            if (!bf_opt_double(PROG, "--pd", optarg, 0, 1, "(a probability)", &o->gen.pd))
                return EXIT_USAGE;
            break;
        case O_CLUTTER:
            if (!bf_opt_double(PROG, "--clutter", optarg, 0, 1e6, "(a mean number of detections)", &o->gen.clutter))
                return EXIT_USAGE;
            break;
        case O_AREA:
            if (!bf_opt_double(PROG, "--area-m", optarg, 1, 1e7, "(metres)", &o->gen.area_m))
                return EXIT_USAGE;
            break;
        case O_PERIOD:
            if (!bf_opt_double(PROG, "--period-s", optarg, 1e-3, 3600, "(seconds)", &o->gen.period_s))
                return EXIT_USAGE;
            break;
        case O_SCANS:
            if (!bf_opt_int(PROG, "--scans", optarg, 1, 1e7, NULL, &u))
                return EXIT_USAGE;
            o->gen.scans = (uint32_t)u;
            break;
        case O_SEED:
            if (!bf_opt_int(PROG, "--seed", optarg, 0, INT64_MAX, NULL, &u))
                return EXIT_USAGE;
            o->gen.seed = u;
            break;
        case O_ACCEL:
            if (!bf_opt_double(PROG, "--accel-mps2", optarg, 0, 100, "(m/s^2)", &o->gen.accel_mps2))
                return EXIT_USAGE;
            break;
        case O_SPEED:
            if (!bf_opt_pair(PROG, "--speed-mps", optarg, "MIN:MAX", 0, 1e4, true, "(m/s)",
                             &o->gen.speed_min_mps, &o->gen.speed_max_mps))
                return EXIT_USAGE;
            break;
        case O_EDGES:
            if (!bf_opt_choice(PROG, "--edges", optarg, edge_names, &idx))
                return EXIT_USAGE;
            o->gen.wrap = idx == 1;
            break;
        case O_ASSOC:
            if (!bf_opt_choice(PROG, "--associator", optarg, assoc_names, &idx))
                return EXIT_USAGE;
            o->tp.associator = idx == 0 ? BF_ASSOC_GNN : BF_ASSOC_JPDA;
            break;
        case O_MOTION:
            if (!bf_opt_choice(PROG, "--motion", optarg, motion_names, &idx))
                return EXIT_USAGE;
            o->tp.motion = idx == 0 ? BF_MOTION_CV : idx == 1 ? BF_MOTION_CT : BF_MOTION_IMM;
            break;
        case O_CONFIRM:
            if (!bf_opt_choice(PROG, "--confirm", optarg, confirm_names, &idx))
                return EXIT_USAGE;
            o->tp.confirm = idx == 0 ? BF_CONFIRM_M_OF_N : BF_CONFIRM_SCORE;
            break;
        case O_CM:
            if (!bf_opt_int(PROG, "--confirm-m", optarg, 1, 32, NULL, &u))
                return EXIT_USAGE;
            o->tp.confirm_m = (uint8_t)u;
            break;
        case O_CN:
            if (!bf_opt_int(PROG, "--confirm-n", optarg, 1, 32, NULL, &u))
                return EXIT_USAGE;
            o->tp.confirm_n = (uint8_t)u;
            break;
        case O_DELETE:
            if (!bf_opt_int(PROG, "--delete-misses", optarg, 1, 255, NULL, &u))
                return EXIT_USAGE;
            o->tp.delete_misses = (uint8_t)u;
            break;
        case O_GATE:
            if (!bf_opt_double(PROG, "--gate-sigma", optarg, 1, 10, "(standard deviations)", &o->tp.gate_sigma))
                return EXIT_USAGE;
            break;
        case O_COVERAGE:
            idx = 0;   /* --coverage alone: flat */
            if (optarg && !bf_opt_choice(PROG, "--coverage", optarg, coverage_names, &idx))
                return EXIT_USAGE;
            o->coverage = idx + 1;
            break;
        case O_Q:
            if (!bf_opt_double(PROG, "--q-mps2", optarg, 1e-6, 100, "(m/s^2)", &o->tp.q_accel_mps2))
                return EXIT_USAGE;
            o->q_set = true;
            break;
        case O_TPD:
            if (!bf_opt_double(PROG, "--tracker-pd", optarg, 0.01, 1, "(a probability)", &o->tp.pd))
                return EXIT_USAGE;
            o->pd_set = true;
            break;
        case O_DENSITY:
            if (!bf_opt_double(PROG, "--clutter-density", optarg, 0, 1, "(a density)", &o->tp.clutter_density))
                return EXIT_USAGE;
            o->density_set = true;
            break;
        case O_MAXT:
            if (!bf_opt_int(PROG, "--max-tracks", optarg, 1, MAX_TRACKS_CAP, NULL, &u))
                return EXIT_USAGE;
            o->max_tracks = (uint32_t)u;
            break;
        case O_MC:
            if (!bf_opt_double(PROG, "--metric-c-m", optarg, 1e-3, 1e7, "(metres)", &o->metric_c_m))
                return EXIT_USAGE;
            break;
        case O_MP:
            if (!bf_opt_double(PROG, "--metric-p", optarg, 1, 100, "(an order)", &o->metric_p))
                return EXIT_USAGE;
            break;
        default:
            fprintf(stderr, "borderfuse-bench: unknown or incomplete option \"%s\"; see --help\n",
                    argv[optind - 1]);
            return EXIT_USAGE;
        }
    }
    if (optind < argc)
        o->stream_path = argv[optind++];
    if (optind < argc) {
        fprintf(stderr, "borderfuse-bench: unexpected argument \"%s\"; see --help\n", argv[optind]);
        return EXIT_USAGE;
    }
    if (o->generate == (o->stream_path != NULL)) {
        fprintf(stderr, "borderfuse-bench: give either a STREAM file or --generate; see --help\n");
        return EXIT_USAGE;
    }
    if (o->generate && o->truth_path) {
        fprintf(stderr, "borderfuse-bench: --truth is for a STREAM file (--generate makes its "
                "own truth)\n");
        return EXIT_USAGE;
    }
    if (!o->generate && (o->write_stream || o->write_truth || o->no_run)) {
        fprintf(stderr, "borderfuse-bench: --write-stream, --write-truth and --no-run go with "
                "--generate\n");
        return EXIT_USAGE;
    }
    if (o->tp.confirm_m > o->tp.confirm_n) {
        fprintf(stderr, "borderfuse-bench: --confirm-m (%u) must not exceed --confirm-n (%u)\n",
                o->tp.confirm_m, o->tp.confirm_n);
        return EXIT_USAGE;
    }
    if (o->generate && o->gen.targets == 0 && o->gen.clutter == 0) {
        fprintf(stderr, "borderfuse-bench: nothing to generate: --targets and --clutter are 0\n");
        return EXIT_USAGE;
    }
    /* generated streams: the tracker is told the truth's models (q, Pd, clutter density) */
    if (o->generate && !o->q_set)
        o->tp.q_accel_mps2 = o->gen.accel_mps2 > 1e-3 ? o->gen.accel_mps2 : 1e-3;
    if (o->generate && !o->pd_set)
        o->tp.pd = o->gen.pd > 0.01 ? o->gen.pd : 0.01;
    if (o->generate && !o->density_set)
        o->tp.clutter_density = o->gen.clutter / (o->gen.area_m * o->gen.area_m);
    return 0;
}

/* ---- the run --------------------------------------------------------------- */

struct results {
    uint64_t detections, scans;
    double wall_s, loop_s;            /* tracker calls only; the whole loop */
    double p50_ms, p99_ms, max_ms;
    double rss_before_mb, peak_rss_mb;
    uint32_t max_tracks;
    struct bf_tracker_stats st;
    bool scored;
    uint64_t scored_times, unscored_times;
    struct bf_sim_metric mean, mean_last_half;
    int coverage;                     /* as opts.coverage */
    double pd_at_ns;                  /* one bf_coverage_pd_at call; NAN without coverage */
    double coverage_build_s;          /* bf_coverage_create (DEM read, rasters) */
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double peak_rss_mb(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return NAN;
    return (double)ru.ru_maxrss / 1024.0;   /* Linux: kilobytes */
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted v[n] (n > 0). */
static double percentile(const double *v, size_t n, double q)
{
    size_t k = (size_t)ceil(q * (double)n);
    return v[k ? k - 1 : 0];
}

/* Tracks every time of the stream could leave alive: a track needs a detection of its own
 * within its last delete_misses + 1 scans. */
static uint32_t auto_max_tracks(const struct bf_bench_stream *s, const struct bf_tracker_params *p)
{
    size_t max_per_time = 0;
    for (size_t i = 0; i < s->n_scans;) {
        size_t j = i, n = 0;
        for (; j < s->n_scans && s->scans[j].t_s == s->scans[i].t_s; j++)
            n += s->scans[j].n;
        max_per_time = n > max_per_time ? n : max_per_time;
        i = j;
    }
    unsigned keep = (p->delete_misses > p->delete_misses_tentative ? p->delete_misses
                                                                   : p->delete_misses_tentative);
    double need = (double)(keep + 2) * (double)max_per_time + 1024;
    if (need < p->max_tracks)
        need = p->max_tracks;
    return need > MAX_TRACKS_CAP ? MAX_TRACKS_CAP : (uint32_t)need;
}

static void fill_detections(const struct bf_bench_stream *s, const struct bf_bench_scan *sc,
                            bf_time_us t_us, uint32_t *seq, struct bf_detection *out)
{
    for (size_t i = 0; i < sc->n; i++) {
        const struct bf_bench_det *d = &s->det[sc->first + i];
        double var = (double)d->sigma_m * (double)d->sigma_m;
        out[i] = (struct bf_detection){
            .t_us = t_us, .rx_us = t_us, .sensor_idx = sc->sensor, .seq = seq[sc->sensor]++,
            .kind = BF_MEAS_POSITION, .z = {d->x_m, d->y_m, 0},
            .R = {{var, 0, 0}, {0, var, 0}, {0, 0, 0}}};
    }
}

struct scorer {
    struct bf_sim_metric_ws *ws;
    const struct bf_track **tracks;
    struct bf_sim_xy *est, *tru;
    size_t max_tracks, max_truth;
    size_t next_time;                 /* first truth time not yet passed */
    struct bf_sim_metric_avg all, last_half;
    uint64_t unscored;
};

/* Score the confirmed tracks at time t_s against the truth at t_s, if the truth has it. */
static void score_time(struct scorer *sc, const struct bf_bench_stream *s,
                       const struct bf_tracker *t, double t_s, bf_time_us t_us, bool last_half,
                       double c_m, double p)
{
    while (sc->next_time < s->n_times && bf_time_from_s(s->times[sc->next_time].t_s) < t_us)
        sc->next_time++;
    if (sc->next_time >= s->n_times || bf_time_from_s(s->times[sc->next_time].t_s) != t_us)
        return;
    const struct bf_bench_truth_time *tt = &s->times[sc->next_time++];
    for (size_t i = 0; i < tt->n; i++)
        sc->tru[i] = s->truth[tt->first + i].p;
    size_t nt = bf_tracker_tracks(t, sc->tracks, sc->max_tracks), ne = 0;
    if (nt > sc->max_tracks)
        nt = sc->max_tracks;
    for (size_t i = 0; i < nt; i++) {
        const struct bf_track *k = sc->tracks[i];
        if (k->status != BF_TRACK_CONFIRMED && k->status != BF_TRACK_COASTING)
            continue;
        double dt = t_s - bf_time_to_s(k->t_us);   /* 0 unless the track was not predicted */
        sc->est[ne++] = (struct bf_sim_xy){k->x[0] + k->x[2] * dt, k->x[1] + k->x[3] * dt};
    }
    struct bf_sim_metric m;
    if (bf_sim_metric_compute(sc->ws, sc->est, ne, sc->tru, tt->n, c_m, p, &m) < 0) {
        sc->unscored++;
        return;
    }
    bf_sim_metric_avg_add(&sc->all, &m);
    if (last_half)
        bf_sim_metric_avg_add(&sc->last_half, &m);
}

static void progress(const struct opts *o, size_t k, size_t n, uint64_t dets, double tracker_s,
                     double *last_s, double start_s)
{
    double now = now_s();
    if (o->quiet || now - *last_s < PROGRESS_EVERY_S)
        return;
    *last_s = now;
    fprintf(stderr, "borderfuse-bench: scan %zu/%zu (%.0f%%), %llu detections, %.1f s in the "
            "tracker, %.1f s elapsed\n", k, n, 100.0 * (double)k / (double)n,
            (unsigned long long)dets, tracker_s, now - start_s);
}

/* ---- coverage (--coverage) ---------------------------------------------------- */

/*
 * A hilly DEM over the local square [e0, e1] x [n0, n1] about the bench's
 * origin, written as a GeoTIFF in WGS84 (30 m pixels): rolling hills up to
 * 80 m, deterministic.  0 or -1.
 */
static int write_hills_dem(const char *path, struct bf_geo_frame *f, double e0, double e1,
                           double n0, double n1)
{
    double lat_a, lon_a, lat_b, lon_b;
    if (bf_geo_to_wgs84(f, e0, n0, &lat_a, &lon_a) < 0 || bf_geo_to_wgs84(f, e1, n1, &lat_b, &lon_b) < 0)
        return -1;
    double dlat = 30.0 / 111132.0, dlon = 30.0 / (111320.0 * cos(COVERAGE_LAT0 * M_PI / 180));
    int w = (int)ceil((lon_b - lon_a) / dlon) + 2, h = (int)ceil((lat_b - lat_a) / dlat) + 2;
    float *z = malloc((size_t)w * (size_t)h * sizeof *z);
    if (!z)
        return -1;
    for (int j = 0; j < h; j++) {
        for (int i = 0; i < w; i++) {
            double e = e0 + (i - 0.5) * 30, n = n1 - (j - 0.5) * 30;   /* near enough */
            z[(size_t)j * (size_t)w + (size_t)i] =
                (float)(300 + 40 * sin(e / 1700.0) * cos(n / 2300.0) + 40 * sin((e + n) / 3100.0));
        }
    }
    GDALAllRegister();
    GDALDatasetH ds = GDALCreate(GDALGetDriverByName("GTiff"), path, w, h, 1, GDT_Float32, NULL);
    int rc = -1;
    if (ds) {
        double gt[6] = {lon_a - dlon, dlon, 0, lat_b + dlat, 0, -dlat};
        GDALSetGeoTransform(ds, gt);
        OGRSpatialReferenceH srs = OSRNewSpatialReference(NULL);
        char *wkt = NULL;
        if (OSRImportFromEPSG(srs, 4326) == OGRERR_NONE && OSRExportToWkt(srs, &wkt) == OGRERR_NONE)
            GDALSetProjection(ds, wkt);
        CPLFree(wkt);
        OSRDestroySpatialReference(srs);
        rc = GDALRasterIO(GDALGetRasterBand(ds, 1), GF_Write, 0, 0, w, h, z, w, h, GDT_Float32, 0,
                          0) == CE_None ? 0 : -1;
        GDALClose(ds);
    }
    free(z);
    return rc;
}

/*
 * The sensors' coverage: every sensor a radar at the middle of the
 * detections' extent, its range reaching the corners, Pd 0.95 to half of it
 * then down to 0.6; with hills, masked by the DEM.  0 or -1 (printed).
 */
static int make_coverage(const struct opts *o, const struct bf_bench_stream *s,
                         struct bf_coverage **cov, struct results *r)
{
    double e0 = INFINITY, e1 = -INFINITY, n0 = INFINITY, n1 = -INFINITY;
    for (size_t i = 0; i < s->n_det; i++) {
        e0 = fmin(e0, s->det[i].x_m);
        e1 = fmax(e1, s->det[i].x_m);
        n0 = fmin(n0, s->det[i].y_m);
        n1 = fmax(n1, s->det[i].y_m);
    }
    if (!(e0 <= e1))
        e0 = n0 = 0, e1 = n1 = 1000;
    double ce = (e0 + e1) / 2, cn = (n0 + n1) / 2;
    double range = fmax(hypot(e1 - e0, n1 - n0) / 2 + 1, 100);
    struct bf_geo_frame *f = NULL;
    char err[512] = "", dem[] = "/tmp/borderfuse-bench-hills-XXXXXX.tif";
    if (bf_geo_frame_create(COVERAGE_LAT0, COVERAGE_LON0, NULL, &f, err, sizeof err) < 0) {
        fprintf(stderr, "borderfuse-bench: coverage: %s\n", err);
        return -1;
    }
    struct bf_coverage_params p;
    bf_coverage_params_default(&p);
    if (o->coverage == 2) {
        int fd = mkstemps(dem, 4);
        if (fd < 0 || (close(fd), write_hills_dem(dem, f, ce - range, ce + range, cn - range,
                                                   cn + range)) < 0) {
            fprintf(stderr, "borderfuse-bench: coverage: cannot write the DEM %s\n", dem);
            if (fd >= 0)
                unlink(dem);
            bf_geo_frame_destroy(f);
            return -1;
        }
        p.dem_path = dem;
        p.cell_m = fmax(25, 2 * range / 2000);   /* at most 2000 cells a side */
    }
    struct bf_coverage_sensor cs[BF_BENCH_MAX_SENSORS];
    for (size_t i = 0; i < s->n_sensors; i++) {
        double lat, lon;
        bf_geo_to_wgs84(f, ce, cn, &lat, &lon);
        cs[i] = (struct bf_coverage_sensor){
            .id = "bench", .kind = "radar", .shape = BF_COVERAGE_DISC, .lat_deg = lat,
            .lon_deg = lon, .e_m = ce, .n_m = cn, .height_m = 10, .range_m = range,
            .n_pd_points = 2, .pd_by_range = {{range / 2, 0.95}, {range, 0.6}},
        };
    }
    double t0 = now_s();
    int rc = bf_coverage_create(&p, cs, s->n_sensors, f, cov, err, sizeof err);
    r->coverage_build_s = now_s() - t0;
    if (p.dem_path)
        unlink(dem);
    bf_geo_frame_destroy(f);
    if (rc < 0) {
        fprintf(stderr, "borderfuse-bench: coverage: %s\n", err);
        return -1;
    }
    /* one query, timed over the detections' positions */
    size_t nq = 2000000, nd = s->n_det ? s->n_det : 1;
    double sum = 0;
    t0 = now_s();
    for (size_t k = 0; k < nq; k++) {
        const struct bf_bench_det *d = s->n_det ? &s->det[k % nd] : NULL;
        sum += bf_coverage_pd_at(*cov, (uint32_t)(k % s->n_sensors), d ? d->x_m : ce,
                                 d ? d->y_m : cn);
    }
    r->pd_at_ns = (now_s() - t0) * 1e9 / (double)nq;
    if (!(sum >= 0))
        r->pd_at_ns = NAN;
    return 0;
}

static int run(const struct opts *o, const struct bf_bench_stream *s, struct results *r)
{
    int rc = EXIT_FAIL;
    memset(r, 0, sizeof *r);
    struct bf_tracker_params tp = o->tp;
    tp.max_tracks = o->max_tracks ? o->max_tracks : auto_max_tracks(s, &tp);
    r->max_tracks = tp.max_tracks;

    size_t max_scan = 1, max_truth = 1;
    for (size_t i = 0; i < s->n_scans; i++)
        max_scan = s->scans[i].n > max_scan ? s->scans[i].n : max_scan;
    for (size_t i = 0; i < s->n_times; i++)
        max_truth = s->times[i].n > max_truth ? s->times[i].n : max_truth;

    struct bf_tracker_sensor sensors[BF_BENCH_MAX_SENSORS];
    for (size_t i = 0; i < s->n_sensors; i++)
        sensors[i] = (struct bf_tracker_sensor){.e_m = 0, .n_m = 0, .range_m = 0};
    struct bf_coverage *cov = NULL;
    r->coverage = o->coverage;
    r->pd_at_ns = NAN;
    if (o->coverage) {
        if (make_coverage(o, s, &cov, r) < 0)
            return EXIT_FAIL;
        for (size_t i = 0; i < s->n_sensors; i++)
            sensors[i] = (struct bf_tracker_sensor){
                .e_m = 0, .n_m = 0, .range_m = 0, .pd_at = bf_coverage_pd_at, .pd_ctx = cov,
            };
    }
    struct bf_tracker *t = NULL;
    struct scorer sc = {.max_tracks = tp.max_tracks, .max_truth = max_truth};
    struct bf_detection *dets = malloc(max_scan * sizeof *dets);
    double *lat_ms = malloc((s->n_scans ? s->n_scans : 1) * sizeof *lat_ms);
    uint32_t seq[BF_BENCH_MAX_SENSORS] = {0};
    bool scoring = s->have_truth && s->n_times > 0;
    if (!dets || !lat_ms) {
        fprintf(stderr, "borderfuse-bench: out of memory\n");
        goto out_free;
    }
    if (scoring) {
        size_t maxp = tp.max_tracks > max_truth ? tp.max_tracks : max_truth;
        sc.tracks = malloc(tp.max_tracks * sizeof *sc.tracks);
        sc.est = malloc(tp.max_tracks * sizeof *sc.est);
        sc.tru = malloc(max_truth * sizeof *sc.tru);
        if (!sc.tracks || !sc.est || !sc.tru ||
            bf_sim_metric_ws_create(maxp, METRIC_MAX_CLUSTER, &sc.ws) < 0) {
            fprintf(stderr, "borderfuse-bench: out of memory for scoring\n");
            goto out_free;
        }
    }
    r->rss_before_mb = peak_rss_mb();
    int e = bf_tracker_create(&tp, sensors, s->n_sensors, &t);
    if (e < 0) {
        fprintf(stderr, "borderfuse-bench: cannot create the tracker: %s\n", bf_strerror(e));
        goto out_free;
    }

    /* the second half: scans from the middle scan time on */
    double half_t = s->n_scans ? s->scans[s->n_scans / 2].t_s : 0;
    double start = now_s(), last_progress = start;
    for (size_t k = 0; k < s->n_scans; k++) {
        const struct bf_bench_scan *scan = &s->scans[k];
        bf_time_us t_us = bf_time_from_s(scan->t_s);
        fill_detections(s, scan, t_us, seq, dets);
        double t0 = now_s();
        e = bf_tracker_scan(t, scan->sensor, t_us, dets, scan->n);
        double t1 = now_s();
        if (e < 0) {
            fprintf(stderr, "borderfuse-bench: scan %zu (t %.6f s): tracker error: %s\n", k,
                    scan->t_s, bf_strerror(e));
            goto out_free;
        }
        lat_ms[k] = (t1 - t0) * 1e3;
        r->wall_s += t1 - t0;
        r->detections += scan->n;
        bool time_done = k + 1 == s->n_scans || s->scans[k + 1].t_s != scan->t_s;
        if (scoring && time_done)
            score_time(&sc, s, t, scan->t_s, t_us, scan->t_s >= half_t, o->metric_c_m,
                       o->metric_p);
        progress(o, k + 1, s->n_scans, r->detections, r->wall_s, &last_progress, start);
    }
    r->loop_s = now_s() - start;
    r->scans = s->n_scans;
    r->peak_rss_mb = peak_rss_mb();
    bf_tracker_get_stats(t, &r->st);
    if (s->n_scans) {
        qsort(lat_ms, s->n_scans, sizeof *lat_ms, cmp_double);
        r->p50_ms = percentile(lat_ms, s->n_scans, 0.50);
        r->p99_ms = percentile(lat_ms, s->n_scans, 0.99);
        r->max_ms = lat_ms[s->n_scans - 1];
    }
    r->scored = scoring && sc.all.scans > 0;
    r->scored_times = sc.all.scans;
    r->unscored_times = sc.unscored;
    bf_sim_metric_avg_mean(&sc.all, &r->mean);
    bf_sim_metric_avg_mean(&sc.last_half, &r->mean_last_half);
    rc = EXIT_DONE;

out_free:
    bf_tracker_destroy(t);
    bf_coverage_destroy(cov);   /* after the tracker: it borrows it */
    bf_sim_metric_ws_destroy(sc.ws);
    free(sc.tracks);
    free(sc.est);
    free(sc.tru);
    free(dets);
    free(lat_ms);
    return rc;
}

/* ---- output ------------------------------------------------------------------- */

static const char *assoc_name(enum bf_associator a) { return a == BF_ASSOC_JPDA ? "JPDA" : "GNN"; }

static const char *motion_name(enum bf_motion_model m)
{
    return m == BF_MOTION_CT ? "CT" : m == BF_MOTION_IMM ? "IMM" : "CV";
}

static void print_human(const struct opts *o, const struct bf_bench_stream *s,
                        const struct results *r)
{
    const struct bf_tracker_params *p = &o->tp;
    printf("borderfuse-bench: %llu detections in %llu scans, %zu sensor%s",
           (unsigned long long)r->detections, (unsigned long long)r->scans, s->n_sensors,
           s->n_sensors == 1 ? "" : "s");
    if (s->bad_lines)
        printf(", %llu bad lines skipped", (unsigned long long)s->bad_lines);
    printf("\n");
    printf("tracker: %s, %s, gate %g sigma, confirm ", motion_name(p->motion),
           assoc_name(p->associator), p->gate_sigma);
    if (p->confirm == BF_CONFIRM_SCORE)
        printf("by score (llr %g)", p->confirm_llr);
    else
        printf("%u of %u", p->confirm_m, p->confirm_n);
    printf(", delete after %u misses, q %g m/s^2, pool %u tracks\n", p->delete_misses,
           p->q_accel_mps2, r->max_tracks);
    double dps = r->wall_s > 0 ? (double)r->detections / r->wall_s : 0;
    double us = r->detections ? r->wall_s * 1e6 / (double)r->detections : 0;
    printf("tracking: %.3f s in the tracker (%.3f s loop with scoring), %.0f detections/s, "
           "%.3f us/detection\n", r->wall_s, r->loop_s, dps, us);
    printf("per scan: p50 %.3f ms, p99 %.3f ms, max %.3f ms\n", r->p50_ms, r->p99_ms, r->max_ms);
    printf("peak RSS: %.1f MB (%.1f MB before the tracker was created)\n", r->peak_rss_mb,
           r->rss_before_mb);
    if (r->coverage)
        printf("coverage: %s, built in %.3f s; bf_coverage_pd_at %.1f ns per call\n",
               r->coverage == 2 ? "radar discs over a hilly DEM (terrain rasters)"
                                : "radar discs, Pd by range (analytic)",
               r->coverage_build_s, r->pd_at_ns);
    printf("tracks at the end: %u confirmed or coasting, %u live; started %llu, confirmed %llu, "
           "deleted %llu; largest cluster %llu; shed (pool full) %llu\n", r->st.live_confirmed,
           r->st.live, (unsigned long long)r->st.initiated, (unsigned long long)r->st.confirmed,
           (unsigned long long)r->st.deleted, (unsigned long long)r->st.max_cluster,
           (unsigned long long)r->st.pool_full);
    if (!r->scored) {
        printf("accuracy: no truth%s\n", s->have_truth ? " at the scan times" : "");
        return;
    }
    printf("accuracy over %llu scan times (c %g m, p %g):\n", (unsigned long long)r->scored_times,
           o->metric_c_m, o->metric_p);
    printf("  OSPA  mean %.3f m, second half %.3f m\n", r->mean.ospa, r->mean_last_half.ospa);
    printf("  GOSPA mean %.3f (localisation %.3f, missed %.3f, false %.3f; per scan %zu "
           "assigned, %zu missed, %zu false)\n", r->mean.gospa, r->mean.gospa_loc,
           r->mean.gospa_missed, r->mean.gospa_false, r->mean.n_assigned, r->mean.n_missed,
           r->mean.n_false);
    if (r->unscored_times)
        printf("  %llu scan times not scored (a cluster of more than %d points)\n",
               (unsigned long long)r->unscored_times, METRIC_MAX_CLUSTER);
}

static void json_num(const char *key, double v, const char *fmt, bool last)
{
    printf("\"%s\":", key);
    if (isfinite(v))
        printf(fmt, v);
    else
        printf("null");
    printf(last ? "}\n" : ",");
}

static void print_json(const struct results *r)
{
    double dps = r->wall_s > 0 ? (double)r->detections / r->wall_s : NAN;
    double us = r->detections ? r->wall_s * 1e6 / (double)r->detections : NAN;
    printf("{\"detections\":%llu,", (unsigned long long)r->detections);
    json_num("wall_s", r->wall_s, "%.6f", false);
    json_num("detections_per_s", dps, "%.0f", false);
    json_num("us_per_detection", us, "%.4f", false);
    json_num("scan_p50_ms", r->p50_ms, "%.4f", false);
    json_num("scan_p99_ms", r->p99_ms, "%.4f", false);
    json_num("scan_max_ms", r->max_ms, "%.4f", false);
    json_num("peak_rss_mb", r->peak_rss_mb, "%.1f", false);
    printf("\"confirmed_tracks\":%u,", r->st.live_confirmed);
    if (r->coverage) {   /* only with --coverage: the line keeps its keys otherwise */
        printf("\"coverage\":\"%s\",", r->coverage == 2 ? "hills" : "flat");
        json_num("pd_at_ns", r->pd_at_ns, "%.2f", false);
    }
    json_num("ospa_mean", r->scored ? r->mean.ospa : NAN, "%.4f", false);
    json_num("ospa_mean_last_half", r->scored ? r->mean_last_half.ospa : NAN, "%.4f", false);
    json_num("gospa_mean", r->scored ? r->mean.gospa : NAN, "%.4f", true);
}

/* ---- main ----------------------------------------------------------------------- */

int main(int argc, char **argv)
{
    struct opts o;
    int rc = parse_args(argc, argv, &o);
    if (rc == 1)
        return EXIT_DONE;
    if (rc)
        return rc;
    bf_log_set_level(BF_LOG_WARN);

    struct bf_bench_stream s = {0};
    if (o.generate) {
        int e = bf_bench_stream_generate(&s, &o.gen);
        if (e < 0) {
            fprintf(stderr, "borderfuse-bench: cannot generate the stream: %s\n", bf_strerror(e));
            bf_bench_stream_free(&s);
            return e == BF_EINVAL ? EXIT_USAGE : EXIT_FAIL;
        }
        if ((o.write_stream && bf_bench_stream_write_dets(&s, o.write_stream, stderr) < 0) ||
            (o.write_truth && bf_bench_stream_write_truth(&s, o.write_truth, stderr) < 0)) {
            bf_bench_stream_free(&s);
            return EXIT_FAIL;
        }
        if (o.no_run) {
            if (!o.quiet)
                fprintf(stderr, "borderfuse-bench: wrote %zu detections in %zu scans, %zu truth "
                        "points\n", s.n_det, s.n_scans, s.n_truth);
            bf_bench_stream_free(&s);
            return EXIT_DONE;
        }
    } else {
        int e = bf_bench_stream_read_dets(&s, o.stream_path, o.sigma_m, stderr, MAX_BAD_REPORTED);
        if (e == 0 && o.truth_path)
            e = bf_bench_stream_read_truth(&s, o.truth_path, stderr, MAX_BAD_REPORTED);
        if (e == 0)
            e = bf_bench_stream_finish(&s);
        if (e < 0 || s.n_det == 0) {
            if (e == 0)
                fprintf(stderr, "borderfuse-bench: %s: no detections\n", o.stream_path);
            else if (e == BF_ENOMEM)
                fprintf(stderr, "borderfuse-bench: out of memory reading the input\n");
            bf_bench_stream_free(&s);
            return EXIT_USAGE;
        }
    }

    struct results r;
    rc = run(&o, &s, &r);
    if (rc == EXIT_DONE) {
        print_human(&o, &s, &r);
        if (o.json)
            print_json(&r);
    }
    bf_bench_stream_free(&s);
    return rc;
}
