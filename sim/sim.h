/*
 * sim.h - the simulator: scenarios, ground truth, radar emulation, scoring.
 *
 * A scenario (JSON, docs/scenario.md) names a site, its zones, radars with
 * their performance and targets with their routes.  The truth moves the
 * targets in the site's local frame, deterministically from the seed, and
 * finds every true crossing of a border line.  The radar emulation turns the
 * truth into the detection messages the engine reads (one batch per radar per
 * scan, the "json" sensor format).  Scoring matches the engine's alerts
 * against the true crossings (docs/scorecard.md).
 *
 * Everything here is single-threaded (the frame and zones are not
 * thread-safe) except the alert parsing and formatting functions, which are
 * pure and may run on the MQTT thread.
 */
#ifndef BF_SIM_H
#define BF_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "core/bf_detection.h"
#include "core/bf_diag.h"
#include "core/bf_time.h"

struct bf_coverage;
struct bf_geo_frame;
struct bf_geo_zones;
struct bf_json_doc;

/* ---- random numbers --------------------------------------------------- */

/*
 * xoshiro256** seeded through splitmix64.  A generator is a stream: the same
 * (seed, stream) always gives the same sequence, and different streams are
 * independent, so adding a radar does not change what another radar draws.
 */
struct bf_sim_rng {
    uint64_t s[4];
    bool have_spare;     /* Box-Muller's second value is cached */
    double spare;
};

void bf_sim_rng_seed(struct bf_sim_rng *r, uint64_t seed, uint64_t stream);
uint64_t bf_sim_rng_next(struct bf_sim_rng *r);
double bf_sim_rng_uniform(struct bf_sim_rng *r);              /* [0, 1) */
double bf_sim_rng_gauss(struct bf_sim_rng *r);                /* N(0, 1) */
unsigned bf_sim_rng_poisson(struct bf_sim_rng *r, double mean);

/* ---- scenario --------------------------------------------------------- */

enum bf_sim_motion {
    BF_SIM_MOTION_ROUTE = 0,      /* waypoints, speeds, pauses; vanishes after the last */
    BF_SIM_MOTION_RANDOM_WALK,    /* random points in a disc about home, for ever */
};

struct bf_sim_radar {
    const char *id;               /* [A-Za-z0-9_.-]+, used in the topic */
    double lat_deg, lon_deg;
    double e_m, n_m;              /* position in the local frame */
    double gamma_rad;             /* grid convergence at the radar (bf_geo_convergence) */
    double range_m;
    double scan_period_s;
    double phase_s;               /* first scan at phase_s, then every scan_period_s */
    double pd;                    /* detection probability of a target (or merged group) in range */
    double sigma_range_m;
    double sigma_bearing_deg;
    double clutter_per_scan;      /* mean of the Poisson number of false plots per scan */
    double resolution_m;          /* targets closer than this merge into one plot */
    double classify_p;            /* a plot's class hint names the true class with this
                                   * probability; 0: the radar sends no class hints */
    /* "asterix": send the plots as ASTERIX CAT048 over UDP instead of JSON over MQTT */
    bool asterix;
    const char *asterix_host;     /* default "127.0.0.1" */
    int asterix_port;
    int asterix_sac, asterix_sic;
    /* Pd by class and range (bf_sim_radar_pd, sim/features.c); the
     * three fields below count only when pd_shaped (set by the scenario
     * loader), so a radar built by hand keeps its flat "pd" */
    bool pd_shaped;
    double pd_class[BF_CLASS_COUNT];   /* near Pd per enum bf_class ("pd_by_class", else pd) */
    double pd_near_range_m;       /* Pd is flat out to here ("pd_near_range_m", default range_m) */
    double pd_far;                /* ... then falls linearly to this at range_m (default pd) */
    double height_m;              /* antenna above the ground, for terrain line of sight; default 10 */
};

struct bf_sim_waypoint {
    double lat_deg, lon_deg;
    double e_m, n_m;
    double pause_s;               /* wait here on arrival */
};

struct bf_sim_target {
    const char *id;
    const char *cls;              /* a bf_class name: "person", "vehicle", "animal", ... */
    const char *group;            /* NULL: not in a group */
    double start_s;               /* appears at this simulated time */
    enum bf_sim_motion motion;
    /* route */
    struct bf_sim_waypoint *wp;
    size_t n_wp;
    double *leg_speed_mps;        /* n_wp - 1 legs */
    /* random walk */
    double home_lat_deg, home_lon_deg, home_e_m, home_n_m;
    double radius_m;
    double speed_mps;
    double walk_pause_s;          /* wait at each random point */
    /* bound to a road or to water (sim/features.c) */
    const char *road;             /* "road": a route built along that road; NULL: none */
    double road_from_m, road_to_m;
    const char *water;            /* "water": every waypoint inside that polygon; NULL: none */
};

struct bf_sim_scenario {
    char *path;                   /* the file (or name) it came from */
    const char *site;
    const char *description;      /* "" if none */
    double origin_lat_deg, origin_lon_deg;
    const char *crs;              /* "aeqd" or a PROJ CRS */
    char *zones_path;             /* resolved relative to the scenario's folder */
    bf_time_us start_us;          /* event time of simulated second 0 */
    double duration_s;
    uint64_t seed;
    double time_scale;            /* simulated seconds per wall second; 0: as fast as possible */
    bool exercise;
    struct bf_sim_radar *radars;
    size_t n_radars;
    struct bf_sim_target *targets;
    size_t n_targets;
    struct bf_geo_frame *frame;   /* owned */
    struct bf_geo_zones *zones;   /* owned */
    struct bf_json_doc *doc;      /* owns the strings above */
    const cJSON *expect;          /* "expect": the expected outcome (sim/expect.c), or NULL */
    struct bf_sim_features *features;   /* roads, water, events (owned), or NULL */
    /* emulated ground sensors and cameras (sim/scenario_sensors.c; owned) */
    struct bf_sim_ground_sensor *ground_sensors;
    size_t n_ground_sensors;
    struct bf_sim_camera *cameras;
    size_t n_cameras;
    /* response units (sim/units.c; owned) */
    struct bf_sim_unit *units;
    size_t n_units;
    /* terrain and the sensors' regions (sim/terrain.c, docs/coverage.md; owned) */
    const char *dem;              /* "terrain.dem" as written, or NULL: no terrain */
    char *dem_path;               /* ... resolved against the scenario's folder */
    double target_height_m;       /* "terrain.target_height_m", default 1.5 */
    double terrain_cell_m;        /* "terrain.cell_m", default 25 */
    struct bf_coverage *coverage; /* radars 0..n_radars-1, then the cameras; always built */
};

/*
 * Load and validate a scenario file: parse (every error reported through diag
 * with file:line:col, JSON path and what was expected; unknown keys are
 * errors), then build the frame, load the zones and project every position.
 * Returns 0, or BF_EPARSE / BF_EIO / BF_EINVAL with *out NULL.
 */
int bf_sim_scenario_load(const char *path, struct bf_sim_scenario **out, struct bf_diag *diag);

/*
 * A position of scenario s at node, one rule for every position of a scenario
 * (docs/scenario.md "Positions"):
 *   [lat, lon]                 degrees WGS84, LATITUDE FIRST (not GeoJSON's [lon, lat])
 *   {"lat": .., "lon": ..}     degrees WGS84
 *   {"e_m": .., "n_m": ..}     metres east and north of the scenario's origin, in its frame
 * into *lat_deg, *lon_deg.  Refused (reported through diag with file:line:col
 * and the JSON path; BF_EPARSE): anything else, a value out of range, and an
 * array that reads as [lon, lat] - its first number beyond +-90 while the
 * second is a latitude, or a point more than BF_SIM_SWAP_KM from the origin
 * that would be within it read the other way round.  s->frame must exist for
 * the {"e_m", "n_m"} form (the scenario loader builds it from origin and frame
 * before reading any other position).
 */
#define BF_SIM_SWAP_KM 1000.0
int bf_sim_position_parse(const struct bf_json_doc *doc, struct bf_diag *diag, const cJSON *node,
                          const struct bf_sim_scenario *s, double *lat_deg, double *lon_deg);
/*
 * The position of an object with position keys (a radar, ground sensor or
 * camera): "lat" and "lon", or "e_m" and "n_m" (not both pairs), read as
 * bf_sim_position_parse() reads the object forms.  0 or BF_EPARSE (reported).
 */
int bf_sim_position_keys(const struct bf_json_doc *doc, struct bf_diag *diag, const cJSON *obj,
                         const struct bf_sim_scenario *s, double *lat_deg, double *lon_deg);

/* Is s a non-empty string of [A-Za-z0-9_.-] (dot allowed only if dot): an id fit for a topic? */
bool bf_sim_is_topic_id(const char *s, bool dot);

/*
 * The same from text; name is used in diagnostics, base_dir resolves the
 * zones path (NULL: the current directory).
 */
int bf_sim_scenario_parse(const char *text, size_t len, const char *name, const char *base_dir,
                          struct bf_sim_scenario **out, struct bf_diag *diag);

void bf_sim_scenario_destroy(struct bf_sim_scenario *s);   /* accepts NULL */

/* Index of the target with this id, or -1. */
int bf_sim_scenario_target_find(const struct bf_sim_scenario *s, const char *id);

/* ---- truth -------------------------------------------------------------- */

/* Where a target is at the time of the last bf_sim_truth_advance(). */
struct bf_sim_target_pos {
    bool active;                  /* exists now (started and not yet vanished) */
    double e_m, n_m;
    double ve_mps, vn_mps;
    const char *cls;              /* the target's class name (borrowed from the scenario) */
};

/* One true crossing of a border line from their side onto ours. */
struct bf_sim_crossing {
    size_t target;                /* index in scenario targets (first member for a group) */
    const char *key;              /* the group name, or the target id when not in a group */
    bool is_group;
    unsigned members;             /* targets merged into it (1 unless a group) */
    int zone;                     /* border_line zone index */
    double t_s;                   /* simulated seconds since start */
    double e_m, n_m;              /* where the line was crossed (mean over members) */
    double lat_deg, lon_deg;
    double speed_mps;             /* the target's speed there (the fastest member of a merge) */
    const char *cls;              /* class of its first target (borrowed from the scenario);
                                   * NULL: unknown */
    bool at_crossing_point;       /* inside a zone of kind "crossing_point": lawful */
};

/*
 * Does crossing c owe an INCURSION?  Not an animal's (a deer over the fence
 * is a true crossing of the line but the engine must stay quiet about it),
 * nor one at an official crossing point (a car through the customs post).
 */
bool bf_sim_crossing_owes_alert(const struct bf_sim_crossing *c);

#define BF_SIM_TRUTH_STEP_S 0.5
#define BF_SIM_GROUP_WINDOW_S 60.0

struct bf_sim_truth;   /* opaque */

/*
 * Create the truth for scenario s (borrowed for the truth's life).  Targets
 * follow exact piecewise-linear trajectories; crossings are sought every
 * step_s (0: BF_SIM_TRUTH_STEP_S) of simulated time.
 */
int bf_sim_truth_create(const struct bf_sim_scenario *s, double step_s, struct bf_sim_truth **out);
void bf_sim_truth_destroy(struct bf_sim_truth *t);   /* accepts NULL */

/*
 * Record truth as JSON lines to f (borrowed; NULL stops) at every step whose
 * time is a multiple of period_s (0: every step).
 */
void bf_sim_truth_record(struct bf_sim_truth *t, FILE *f, double period_s);

/*
 * Advance to simulated time t_s (never backwards: BF_ESTATE): runs every step
 * up to t_s (crossing search, recording) and then places every target at t_s.
 * Returns 0, BF_ESTATE, or BF_EPROJ/BF_EIO from recording.
 */
int bf_sim_truth_advance(struct bf_sim_truth *t, double t_s);

/* Positions at the last advance, indexed like the scenario's targets (borrowed). */
const struct bf_sim_target_pos *bf_sim_truth_positions(const struct bf_sim_truth *t);

/*
 * The crossings found so far, members of one group (and repeated crossings of
 * one target) within BF_SIM_GROUP_WINDOW_S of the first merged into one, in
 * time order.  Borrowed until the next advance.
 */
const struct bf_sim_crossing *bf_sim_truth_crossings(struct bf_sim_truth *t, size_t *n);

/*
 * Merge raw per-target crossings (sorted by time or not) into group crossings:
 * crossings with the same key within window_s of the first of a cluster become
 * one, at the first one's time and the mean position.  out has room for n;
 * returns the number written, sorted by time.  Pure function.
 */
size_t bf_sim_crossings_merge(const struct bf_sim_crossing *raw, size_t n, double window_s,
                              struct bf_sim_crossing *out);

/*
 * Run a whole scenario's truth (no radars) and copy its crossings to a new
 * array (*out, free()), for --check and tests.  Returns 0 or BF_E*.
 */
int bf_sim_truth_run(const struct bf_sim_scenario *s, struct bf_sim_crossing **out, size_t *n);

/*
 * The warnings of `borderfuse-sim --check` (sim/check.c): a random-walk
 * target whose disc reaches over a border line, an id of expect.alerted that
 * never crosses in the truth (cr, n_cr: bf_sim_truth_run()'s crossings), a
 * crossing outside every sensor's coverage, a target never inside any
 * sensor's coverage (radar range discs, ground sensors' radius for its class,
 * cameras' horizontal field of view; sampled every simulated second).  One
 * line "warning: ..." per finding to out (NULL: none printed).  Returns the
 * number of warnings, or BF_ENOMEM / an error of the truth.
 */
int bf_sim_check_warnings(const struct bf_sim_scenario *s, const struct bf_sim_crossing *cr,
                          size_t n_cr, FILE *out);

/* ---- playing a scenario (play.c) -------------------------------------------
 * What `borderfuse-sim` does after its options: the scenario through the real
 * chain over MQTT (and UDP for ASTERIX radars), alerts shown as they arrive,
 * scored at the end (docs/scenario.md, docs/scorecard.md). */

/* How a play ended: the program's exit status. */
enum bf_sim_play_status {
    BF_SIM_PLAY_DONE = 0,     /* the run completed (whatever the score) */
    BF_SIM_PLAY_BROKER = 1,   /* the broker could not be reached or was lost */
    BF_SIM_PLAY_ERROR = 2,    /* set-up or scenario error (reported) */
    BF_SIM_PLAY_EXPECT = 3,   /* the run went, but the scenario's "expect" was not met */
};

struct bf_sim_play_options {
    const char *mqtt_url;                      /* the engine's broker */
    const char *credentials;                   /* MQTT username/password file, or NULL */
    const char *tls_ca, *tls_cert, *tls_key;   /* with an ssl:// URL; NULL: none */
    const char *truth_path;                    /* JSON lines of the truth, or NULL */
    double truth_period_s;                     /* simulated s between truth lines; 0 every step */
    const char *scorecard_path;                /* or NULL */
    const char *report_dir;                    /* report.html and plots (report.c), or NULL */
    double settle_s;                           /* wall s to wait for late alerts */
    double connect_timeout_s;
    double match_radius_m, match_latency_s;    /* scoring (struct bf_sim_score_params) */
    double camera_wait_s;                      /* wait for a client on each camera's server */
    long broker_pid;                           /* stopped during "broker_outage" events; 0 none */
    bool verbose, quiet;
    const volatile int *stop;                  /* non-zero: finish early and score; may be NULL */
};

/*
 * Play scenario s (its time_scale, seed, duration_s and start_us as the
 * caller left them) with options o; progress and alerts go to stderr and
 * stdout, the scorecard to stdout and o->scorecard_path.  Returns an enum
 * bf_sim_play_status.
 */
int bf_sim_play(struct bf_sim_scenario *s, const struct bf_sim_play_options *o);

/*
 * `borderfuse-sim --check` (check.c): print what s will do (radars, targets,
 * features, sensors, terrain, the true crossings) and its warnings on out,
 * ending with "scenario OK".  0, or BF_E* (reported on stderr).
 */
int bf_sim_check_print(const struct bf_sim_scenario *s, FILE *out);

/* ---- radar emulation ---------------------------------------------------- */

struct bf_sim_plot {
    double range_m, bearing_deg;  /* as sent: noisy, bearing from true north, [0, 360) */
    unsigned merged;              /* targets merged into it; 0 for clutter */
    int cls;                      /* class the hint names (enum bf_class), -1: no hint */
};

struct bf_sim_radar_stats {
    uint64_t scans;
    uint64_t looks;               /* target groups (after merging) in range at a scan */
    uint64_t detected;            /* ... of which detected */
    uint64_t clutter;             /* false plots sent */
    uint64_t clutter_shed;        /* false plots beyond the buffer (not sent) */
};

struct bf_sim_radar_emu;   /* opaque */

/*
 * An emulator for radar r (borrowed) with its own random stream (seed,
 * stream), for up to max_targets targets.  All memory is taken here.
 */
int bf_sim_radar_emu_create(const struct bf_sim_radar *r, uint64_t seed, uint64_t stream,
                            size_t max_targets, struct bf_sim_radar_emu **out);
void bf_sim_radar_emu_destroy(struct bf_sim_radar_emu *e);   /* accepts NULL */

/*
 * One scan at event time t_us over the targets (n <= max_targets; inactive
 * ones are skipped): merge, detect, add noise and clutter, and write the batch
 * message (JSON, NUL-terminated) into buf.  *out_len gets its length.
 * Returns 0, BF_EINVAL, or BF_ERANGE if buf is too small.
 */
int bf_sim_radar_emu_scan(struct bf_sim_radar_emu *e, const struct bf_sim_target_pos *tp, size_t n,
                          bf_time_us t_us, bool exercise, char *buf, size_t len, size_t *out_len);

/* Plots of the last scan, sorted by bearing (borrowed until the next scan). */
const struct bf_sim_plot *bf_sim_radar_emu_plots(const struct bf_sim_radar_emu *e, size_t *n);
/*
 * The plots of one scan as one ASTERIX CAT048 data block (sim/asterix_out.c):
 * scratch holds n reports; buf[0..cap) gets the block, *len its length (0
 * for a scan without plots: nothing to send).  Returns 0 or the encoder's
 * BF_E* (BF_EFULL: cap too small).
 */
struct bf_asterix_report;
int bf_sim_asterix_scan(const struct bf_sim_radar *r, const struct bf_sim_plot *plots, size_t n,
                        bf_time_us t_us, bool exercise, struct bf_asterix_report *scratch,
                        uint8_t *buf, size_t cap, size_t *len);

void bf_sim_radar_emu_stats(const struct bf_sim_radar_emu *e, struct bf_sim_radar_stats *out);
/* A buffer size that always holds one scan's message. */
size_t bf_sim_radar_emu_msg_max(const struct bf_sim_radar_emu *e);

/* ---- alerts and scoring ------------------------------------------------- */

#define BF_SIM_ID_MAX 64

/* What the simulator keeps of one alert message. */
struct bf_sim_alert {
    char id[BF_SIM_ID_MAX];
    uint64_t seq;
    char type[16];                /* "INCURSION", "APPROACH", ... */
    char state[16];               /* "NEW", "UPDATED", ... */
    char severity[12];
    bool exercise;
    int64_t track_id;             /* -1 if absent */
    char zone_id[BF_SIM_ID_MAX];  /* "" if none */
    char zone_name[96];
    bf_time_us first_us, time_us;
    double lat_deg, lon_deg;
    bool have_velocity;
    double speed_mps, heading_deg;
    char cls[16];                 /* "" if absent */
    double class_p, confidence;   /* NAN if absent */
    char sensors[128];            /* "radar-west, radar-east" */
    char unit[BF_SIM_ID_MAX];     /* the first unit proposed in "dispatch" ("" none) */
    double unit_eta_s;            /* its ETA to the interception point (NAN if absent) */
    char acked_by[64];            /* operator.acknowledged_by ("" nobody) */
};

/*
 * Parse one alert message (the alerts schema of the engine).  Pure.  Returns
 * 0, or BF_EPARSE when it is not JSON or id, type, state, first_time, time or
 * position is missing or malformed.
 */
int bf_sim_alert_parse(const void *payload, size_t len, struct bf_sim_alert *out);

/*
 * One line for an operator, no newline:
 *   [02:13:07Z] INCURSION  high  track 42  person 70%  State border  46.81230N 8.23450E
 *   heading 176° 1.3 m/s  (radar-west, radar-east)  conf 82%  -> patrol-7 ETA 2m10s
 * (the last part when the engine proposed a unit; "ack alice" when acknowledged).
 * brief: only time, type, state, track and zone.  Returns the length.
 */
size_t bf_sim_alert_format(const struct bf_sim_alert *a, bool brief, char *buf, size_t len);

enum bf_sim_alert_kind {
    BF_SIM_ALERT_OTHER = 0,       /* not scored (ZONE_ENTRY, LOITER, ...) */
    BF_SIM_ALERT_INCURSION,
    BF_SIM_ALERT_APPROACH,
};

/* One alert id as scored: its first report in state NEW or UPDATED. */
struct bf_sim_scored_alert {
    char id[BF_SIM_ID_MAX];
    enum bf_sim_alert_kind kind;
    bool reported;                /* a NEW or UPDATED message was seen (else only RESOLVED...) */
    bf_time_us first_us;          /* the alert's first_time */
    double lat_deg, lon_deg;      /* position in its first report */
    int64_t track_id;
    char type[16];                /* "INCURSION", "SENSOR_FAULT", ... as received */
};

/*
 * The alerts received, one entry per id (not thread-safe: the caller locks).
 * Fixed capacity; beyond it alerts are counted in dropped.
 */
struct bf_sim_alert_log {
    struct bf_sim_scored_alert *items;
    size_t n, cap;
    uint64_t received;            /* messages parsed */
    uint64_t malformed;           /* messages that failed to parse */
    uint64_t dropped;             /* ids beyond cap */
    uint64_t exercise_mismatch;   /* exercise flag differs from the scenario's */
};

int bf_sim_alert_log_init(struct bf_sim_alert_log *log, size_t cap);
void bf_sim_alert_log_free(struct bf_sim_alert_log *log);
/*
 * Note one parsed alert.  Returns 1 if its id is new to the log, 0 if it was
 * already known, BF_EFULL if the log is full (counted in dropped).
 */
int bf_sim_alert_log_add(struct bf_sim_alert_log *log, const struct bf_sim_alert *a);

/*
 * Parse one raw alert message into *a and note it: counts received, malformed
 * (returns BF_EPARSE) and exercise_mismatch (flag differs from exercise).
 * Otherwise returns what bf_sim_alert_log_add() returns.
 */
int bf_sim_alert_log_message(struct bf_sim_alert_log *log, const void *payload, size_t len,
                             bool exercise, struct bf_sim_alert *a);

struct bf_sim_score_params {
    double match_radius_m;        /* base radius, default 500 ... */
    double match_latency_s;       /* ... plus the crossing's speed times this (30 s): a fast
                                   * vehicle has moved on by the time the alert is placed */
    double before_s;              /* alert first_time may precede the crossing by this; 120 */
    double after_s;               /* ... or follow it by this; 300 */
    double approach_radius_m;     /* an APPROACH is raised short of the line: 1000 (+ speed x
                                   * match_latency_s), for APPROACHes of no crossing's track */
    double approach_before_s;     /* APPROACH window before the crossing; 900 */
    double approach_after_s;      /* ... and after it; 60 */
};

void bf_sim_score_params_default(struct bf_sim_score_params *p);

struct bf_sim_crossing_score {
    bool owed;                    /* bf_sim_crossing_owes_alert(): not an animal's */
    double radius_m;              /* the match radius used for it */
    bool alerted;
    const char *alert_id;         /* earliest matching INCURSION (borrowed from the alerts), or NULL */
    double lag_s;                 /* alert first_time - crossing time; NAN if missed */
    unsigned matched;             /* distinct INCURSION ids attributed to this crossing */
    bool have_approach;
    double approach_lead_s;       /* crossing time - earliest own APPROACH first_time: an
                                   * APPROACH of the track of an INCURSION attributed here */
    const char *approach_id;      /* that APPROACH (borrowed), or NULL */
};

/* What each target (or group) of the scenario drew from the engine. */
struct bf_sim_target_verdict {
    const char *key;              /* the group name, or the target id (borrowed) */
    const char *cls;              /* class of its first member */
    bool is_group;
    unsigned members;
    bool crossed;                 /* the truth has a crossing for it */
    unsigned incursions;          /* INCURSION ids it caused (see bf_sim_score_targets) */
    unsigned approaches;          /* APPROACH ids it caused */
};

struct bf_sim_score {
    size_t crossings, alerted, missed, duplicates, false_alerts;   /* crossings owing an alert */
    size_t exempt_crossings;      /* crossings owing none (animals'): not in the five above */
    size_t incursion_alerts, approach_alerts, approach_unmatched;
    struct bf_sim_crossing_score *per_crossing;   /* [crossings], malloc'd */
    size_t *false_alert_idx;                      /* indexes into the alerts, malloc'd */
    size_t *unmatched_approach_idx;               /* [approach_unmatched] the same, malloc'd */
    double lag_mean_s, lag_max_s;                 /* over alerted crossings; NAN if none */
    /* filled by bf_sim_score_targets(), else NULL / 0 */
    int *cause;                                   /* per alert: index in targets, -1 none */
    struct bf_sim_target_verdict *targets;        /* one per target or group, scenario order */
    size_t n_targets;
    size_t quiet_incursions;      /* INCURSION ids caused by targets that never crossed */
};

/*
 * Score alerts against crossings (times relative to start_us).  Pure
 * function.  Each INCURSION id is attributed to at most one crossing, the
 * matching one nearest to it (time and place), and alerts only that one; a
 * crossing left without one takes a matching duplicate of another crossing
 * (see docs/scorecard.md).  Returns 0 or BF_ENOMEM;
 * free with bf_sim_score_free().
 */
int bf_sim_score_compute(const struct bf_sim_crossing *cr, size_t n_cr, bf_time_us start_us,
                         const struct bf_sim_scored_alert *al, size_t n_al,
                         const struct bf_sim_score_params *p, struct bf_sim_score *out);
void bf_sim_score_free(struct bf_sim_score *sc);

/*
 * Find each scored alert's cause and what every target drew.  The cause of
 * an INCURSION or APPROACH is the true target nearest to the alert's position
 * at its first_time, within radius_m (-1 when none is: clutter).  The truth
 * is replayed from scenario s (no radars) to place the targets.  Targets of
 * one group form one verdict.  quiet_incursions counts INCURSION ids caused
 * by targets without a crossing (the vehicle on the border road, the animal,
 * the walker who turned back).  Returns 0 or BF_ENOMEM / BF_E* from the truth.
 */
int bf_sim_score_targets(struct bf_sim_score *sc, const struct bf_sim_scenario *s,
                         const struct bf_sim_crossing *cr, size_t n_cr,
                         const struct bf_sim_scored_alert *al, size_t n_al, double radius_m);

/* Great-circle distance in metres (spherical Earth, mean radius). */
double bf_sim_distance_m(double lat1_deg, double lon1_deg, double lat2_deg, double lon2_deg);

/* Everything the scorecard reports besides the score itself. */
struct bf_sim_run_info {
    const char *scenario;
    const char *site;
    bool exercise;
    double duration_s;
    bf_time_us start_us;
    uint64_t seed;
    double time_scale;
    double wall_s;
    bool interrupted;             /* stopped early (signal): duration_s is how far it got */
    uint64_t detections_sent, messages_sent, publish_failed;
    uint64_t alerts_received, malformed_alerts, exercise_mismatch;
    unsigned broker_outages_skipped;   /* "broker_outage" events not played */
    uint64_t ugs_messages;        /* ground-sensor messages published */
    uint64_t camera_frames;       /* video frames served */
};

/*
 * The scorecard as JSON text (malloc'd, NUL-terminated; NULL on no memory).
 * Pure function.
 */
char *bf_sim_scorecard_json(const struct bf_sim_run_info *ri, const struct bf_sim_crossing *cr,
                            size_t n_cr, const struct bf_sim_scored_alert *al,
                            const struct bf_sim_score *sc);

/* The scorecard for people, printed to f. */
void bf_sim_scorecard_print(FILE *f, const struct bf_sim_run_info *ri,
                            const struct bf_sim_crossing *cr, size_t n_cr,
                            const struct bf_sim_scored_alert *al, const struct bf_sim_score *sc);

/* ---- metrics: OSPA and GOSPA (metrics.c) --------------------------------- */

/*
 * Track accuracy at one instant: the distance between a set of estimated
 * points (track positions) and the set of true points, both in the local
 * frame, with cut-off c (metres) and order p >= 1.
 *
 *   OSPA  (Schuhmacher, Vo, Vo 2008): with m <= n points in the smaller and
 *         larger set,  ( (min over assignments of the m points of
 *         sum min(d, c)^p  +  c^p (n - m)) / n )^(1/p);  0 when both are
 *         empty, c when one is.
 *   GOSPA (Rahmathullah, Garcia-Fernandez, Svensson 2017), alpha = 2:
 *         ( min over partial assignments of  sum d^p over assigned pairs
 *         + c^p / 2 per point left unassigned )^(1/p),  assigned pairs at
 *         d < c.  Its parts, p-th powers that add up to gospa^p: localisation
 *         (sum d^p), missed (c^p / 2 per true point unassigned), false
 *         (c^p / 2 per estimate unassigned).
 *
 * Both come from one optimal assignment (bf_assign_solve in tracker/, exact),
 * solved per independent cluster of points linked by distances below c.
 */

struct bf_sim_xy {
    double e_m, n_m;
};

struct bf_sim_metric {
    double ospa;                  /* metres */
    double gospa;                 /* metres (for p = 1: a sum of metres) */
    double gospa_loc;             /* sum of d^p over assigned pairs */
    double gospa_missed;          /* c^p / 2 * n_missed */
    double gospa_false;           /* c^p / 2 * n_false */
    size_t n_assigned;            /* pairs at distance < c */
    size_t n_missed;              /* true points left unassigned */
    size_t n_false;               /* estimates left unassigned */
};

struct bf_sim_metric_ws;   /* opaque: all the memory a computation needs */

/*
 * A workspace for sets of up to max_points points each, solving clusters
 * (points linked by distances below c) of up to max_cluster points of each
 * set (0: min(max_points, 256)); the cluster matrix takes 8 max_cluster^2
 * bytes.  *out NULL on failure (BF_EINVAL for max_points 0 or above 2^24,
 * BF_ENOMEM).
 */
int bf_sim_metric_ws_create(size_t max_points, size_t max_cluster, struct bf_sim_metric_ws **out);
void bf_sim_metric_ws_destroy(struct bf_sim_metric_ws *ws);   /* accepts NULL */

/*
 * OSPA and GOSPA (alpha = 2) between est[n_est] and truth[n_truth]
 * (borrowed; either may be NULL when its count is 0) with cut-off c_m > 0
 * and order p >= 1 (both finite).  Fills *out.  Symmetric in the two sets
 * except that missed and false swap.  Does not allocate.
 * Returns 0; BF_EINVAL for bad arguments or a non-finite coordinate;
 * BF_EFULL when a set exceeds max_points or a cluster exceeds max_cluster
 * (*out is then zeroed with NAN distances).
 */
int bf_sim_metric_compute(struct bf_sim_metric_ws *ws, const struct bf_sim_xy *est, size_t n_est,
                          const struct bf_sim_xy *truth, size_t n_truth, double c_m, double p,
                          struct bf_sim_metric *out);

/* Running average of per-scan values: zero-initialise, then add each scan. */
struct bf_sim_metric_avg {
    uint64_t scans;
    double ospa, gospa, gospa_loc, gospa_missed, gospa_false;   /* sums */
    double n_assigned, n_missed, n_false;                       /* sums */
};

void bf_sim_metric_avg_add(struct bf_sim_metric_avg *a, const struct bf_sim_metric *m);

/*
 * The means over the scans added: distances and parts into *out, counts as
 * means rounded to the nearest integer.  Returns the number of scans; with 0,
 * *out has NAN distances and zero counts.
 */
uint64_t bf_sim_metric_avg_mean(const struct bf_sim_metric_avg *a, struct bf_sim_metric *out);

/* ---- expected outcome (expect.c) --------------------------------------------
 * Lead's part: a scenario's "expect" object, validated at load and checked
 * after the run (docs/scenario.md, "Expected outcome"). */

struct bf_json_doc;
/* Report every problem of "expect" through diag (targets/groups must exist). */
void bf_sim_expect_validate(const struct bf_json_doc *doc, struct bf_diag *diag,
                            const cJSON *expect, const struct bf_sim_scenario *s);

/*
 * Check s->expect against the run: prints one line per expectation to out
 * (may be NULL) and returns {"failed": n, "results": [{"met", "what"}...]}
 * (cJSON_Delete it), or NULL when the scenario expects nothing.
 */
cJSON *bf_sim_expect_check(const struct bf_sim_scenario *s, const struct bf_sim_crossing *cr,
                           size_t n_cr, const struct bf_sim_scored_alert *al, size_t n_al,
                           const struct bf_sim_score *sc, FILE *out);

/* ---- roads, water, events, Pd by class and range -------------------
 * (sim/features.c, sim/events.c; docs/scenario.md "Roads, water and events") */

/* A named road (polyline) or water body (polygon) of the scenario. */
struct bf_sim_shape {
    const char *name;             /* borrowed from the scenario's document */
    size_t n;                     /* vertices (a polygon is not closed: last != first) */
    double *lat_deg, *lon_deg;    /* [n] */
    double *e_m, *n_m;            /* [n] in the local frame */
    double length_m;              /* a road's length along the polyline */
};

enum bf_sim_event_type {
    BF_SIM_EVENT_SENSOR_DOWN = 0, /* the sensor sends nothing from at_s ... */
    BF_SIM_EVENT_SENSOR_UP,       /* ... until this event for the same sensor */
    BF_SIM_EVENT_WEATHER,         /* radar Pd times pd_factor inside a disc for duration_s */
    BF_SIM_EVENT_BROKER_OUTAGE,   /* the broker is stopped for duration_s (--broker-pid) */
};

struct bf_sim_event {
    enum bf_sim_event_type type;
    double at_s;                  /* simulated seconds since the start */
    double duration_s;            /* weather, broker_outage */
    const char *sensor;           /* sensor_down / sensor_up: a radar, ground sensor or camera id */
    double lat_deg, lon_deg;      /* weather: centre of the disc */
    double e_m, n_m;
    double radius_m;
    double pd_factor;             /* weather: 0 ... 1 */
};

struct bf_sim_features {
    struct bf_sim_shape *roads;
    size_t n_roads;
    struct bf_sim_shape *water;
    size_t n_water;
    struct bf_sim_event *events;  /* sorted by at_s, file order among equal times */
    size_t n_events;
};

/*
 * Scenario hooks (called from scenario.c).  The parse functions report every
 * problem through diag with file:line:col and the JSON path:
 *  - bf_sim_features_parse_radar: "pd_by_class", "pd_near_range_m", "pd_far"
 *    of radar node into r (after r->pd and r->range_m are read);
 *  - bf_sim_features_parse_target: "road" (then it reads the whole motion:
 *    returns true) and "water" of target node; false when the route or walk
 *    is still to be read;
 *  - bf_sim_features_parse: top-level "roads", "water", "events", and the
 *    names targets and events refer to (after radars and targets are read).
 * bf_sim_features_prepare, once the frame exists, projects the shapes and
 * weather centres, builds each road-bound target's route and checks each
 * boat's waypoints against its water; returns 0 or BF_EINVAL / BF_EPROJ /
 * BF_ENOMEM (reported).
 */
void bf_sim_features_parse_radar(const struct bf_json_doc *doc, struct bf_diag *diag,
                                 const cJSON *node, struct bf_sim_radar *r);
bool bf_sim_features_parse_target(const struct bf_json_doc *doc, struct bf_diag *diag,
                                  const cJSON *node, struct bf_sim_target *t);
void bf_sim_features_parse(const struct bf_json_doc *doc, struct bf_diag *diag, const cJSON *root,
                           struct bf_sim_scenario *s);
int bf_sim_features_prepare(struct bf_sim_scenario *s, const cJSON *root, struct bf_diag *diag);
void bf_sim_features_destroy(struct bf_sim_features *f);   /* accepts NULL */

/*
 * A radar's probability of detecting a target of class cls (enum bf_class;
 * out of range: "pd") at range_m: pd_class[cls] out to pd_near_range_m, then
 * falling linearly to pd_class[cls] * pd_far / pd at range_m (0 beyond).
 */
double bf_sim_radar_pd(const struct bf_sim_radar *r, int cls, double range_m);

/* Is the point (local frame) inside the water polygon w?  (even-odd rule) */
bool bf_sim_shape_contains(const struct bf_sim_shape *w, double e_m, double n_m);

/* The point s_m metres along road (clamped to its ends), local frame. */
void bf_sim_road_point(const struct bf_sim_shape *road, double s_m, double *e_m, double *n_m);

/* Is the sensor with this id down at simulated time t_s (sensor_down/up events)? */
bool bf_sim_events_sensor_down(const struct bf_sim_scenario *s, const char *sensor_id, double t_s);

/* The product of the pd_factor of every weather event over (e, n) at t_s; 1 if none. */
double bf_sim_events_pd_factor(const struct bf_sim_scenario *s, double e_m, double n_m, double t_s);

/* The events, sorted by time (borrowed; NULL and 0 when none). */
const struct bf_sim_event *bf_sim_events(const struct bf_sim_scenario *s, size_t *n);

/* One line for a person, no newline: "radar-east down", "weather: Pd x0.30 within ...". */
size_t bf_sim_event_describe(const struct bf_sim_event *ev, char *buf, size_t len);

/* --check: the roads, water bodies and events, one line each. */
void bf_sim_features_print(FILE *f, const struct bf_sim_scenario *s);

/*
 * Weather for the next scan of radar emulator e: factor[i] multiplies the
 * Pd of target i (borrowed until the next call; NULL: 1 for every target).
 * A merged plot takes the mean factor of its members.
 */
void bf_sim_radar_emu_set_pd_factors(struct bf_sim_radar_emu *e, const double *factor);

/* ---- scoring over time and the human report (report.c, report_svg.c) ----
 * docs/scorecard.md "Track accuracy over time" and "The report".  The
 * simulator subscribes to the engine's track pictures and keeps them with
 * every alert; after the run it replays the truth at a fixed step, scores
 * each picture with OSPA/GOSPA and writes the report. */

#define BF_SIM_REPORT_C_M 100.0            /* OSPA/GOSPA cut-off */
#define BF_SIM_REPORT_P 1.0                /* ... order (GOSPA alpha = 2) */
#define BF_SIM_REPORT_CONFIRM_RADIUS_M 50.0   /* a track this near a target has found it */
#define BF_SIM_REPORT_TRUTH_STEP_S 1.0     /* truth history step (interpolated between) */
#define BF_SIM_REPORT_MAX_TRACKS 4000000   /* track entries kept over all pictures */
#define BF_SIM_REPORT_MAX_ALERTS 200000    /* alert ids kept */

/* Per target of the scenario: how soon a confirmed track found it. */
struct bf_sim_report_target {
    const char *id;               /* borrowed from the scenario */
    const char *group;            /* NULL: not in a group */
    double appeared_s;            /* first truth sample where it exists; NAN: never */
    double confirmed_s;           /* first picture with a track within 50 m of it; NAN: never */
    double ttfc_s;                /* confirmed_s - appeared_s; NAN: never found */
};

/* Per sensor named in the alerts' "sensors": the alert ids naming it. */
struct bf_sim_report_sensor {
    const char *id;               /* borrowed from the report */
    unsigned alerts, incursions, approaches;
};

/* Nuisance alerts (false INCURSION, APPROACH matching no crossing) of one type and cause. */
struct bf_sim_report_nuisance {
    const char *type;             /* "INCURSION" or "APPROACH" */
    const char *cause;            /* a target or group key, or "clutter" */
    unsigned count;
};

struct bf_sim_report_summary {
    size_t pictures;              /* pictures kept */
    size_t pictures_scored;       /* ... inside the run's time span: scored */
    uint64_t pictures_malformed, pictures_dropped, tracks_dropped, alerts_dropped;
    bool picture_sensors;         /* the pictures name contributing sensors (today: never) */
    struct bf_sim_metric mean;    /* over scored pictures; NAN distances when none */
    double false_alerts_per_hour; /* false INCURSION ids per simulated hour; NAN for 0 s */
    size_t nuisance_total;
    const struct bf_sim_report_target *targets;   /* [n_targets], scenario order */
    size_t n_targets;
    const struct bf_sim_report_sensor *sensors;   /* [n_sensors], by id */
    size_t n_sensors;
    const struct bf_sim_report_nuisance *nuisance;   /* [n_nuisance], by type then cause */
    size_t n_nuisance;
    const double *t_s;            /* [n_series] scored pictures: time since start ... */
    const struct bf_sim_metric *metric;   /* ... and OSPA/GOSPA then */
    size_t n_series;
};

struct bf_sim_report;   /* opaque */

/* A report for scenario s (borrowed for the report's life).  *out NULL on failure. */
int bf_sim_report_create(const struct bf_sim_scenario *s, struct bf_sim_report **out);
void bf_sim_report_destroy(struct bf_sim_report *r);   /* accepts NULL */

/*
 * Keep one track picture (the JSON of publish_tracks() in engine/engine.c).
 * Thread-safe (any thread, e.g. the MQTT callback).  Returns 0, BF_EPARSE
 * (counted: not JSON, no valid "time" or "tracks"; entries without a numeric
 * id, lat and lon are skipped and counted), BF_EFULL (counted: beyond
 * BF_SIM_REPORT_MAX_TRACKS), BF_ESTATE after finish.
 */
int bf_sim_report_picture(struct bf_sim_report *r, const void *payload, size_t len);

/*
 * Note one parsed alert message (bf_sim_alert_parse): its id's first_time,
 * the first position reported, and every sensor named.  Thread-safe.
 * Returns 0, BF_EFULL (counted), BF_ESTATE after finish, BF_ENOMEM.
 */
int bf_sim_report_alert(struct bf_sim_report *r, const struct bf_sim_alert *a);

/*
 * After the run, on the thread that owns the scenario (the frame is not
 * thread-safe): replay the truth, score every picture, time to first
 * confirmed track, false alerts per hour (ri->duration_s), nuisance alerts
 * by cause (sc->cause from bf_sim_score_targets, or all "clutter" without
 * it), contribution per sensor.  Everything it needs is copied.  Returns 0,
 * BF_ESTATE when called twice, BF_ENOMEM or a truth error.
 */
int bf_sim_report_finish(struct bf_sim_report *r, const struct bf_sim_run_info *ri,
                         const struct bf_sim_crossing *cr, size_t n_cr,
                         const struct bf_sim_scored_alert *al, size_t n_al,
                         const struct bf_sim_score *sc, const struct bf_sim_score_params *p);

/* The figures (borrowed from r); NULL before finish. */
const struct bf_sim_report_summary *bf_sim_report_summary(const struct bf_sim_report *r);

/* Append the report's members to a scorecard object (docs/scorecard.md). 0 or BF_E*. */
int bf_sim_report_scorecard_add(const struct bf_sim_report *r, cJSON *card);

/* The figures for people, a few lines to f. */
void bf_sim_report_print(FILE *f, const struct bf_sim_report *r);

/*
 * Write dir/report.html (self-contained: inline SVG, no scripts, no external
 * resources) and dir/map.svg, dir/gospa.svg, dir/alerts.svg (dir is created
 * with its parents).  Returns 0, BF_ESTATE before finish, BF_EIO, BF_ENOMEM.
 */
int bf_sim_report_write(const struct bf_sim_report *r, const char *dir);

/* ---- emulated ground sensors and cameras ----------------------------
 * (sim/scenario_sensors.c, sim/ugs_emu.c, sim/camera_emu.c, sim/sensor_emus.c;
 * docs/scenario.md "Ground sensors and cameras") */

#define BF_SIM_CLASSES 6             /* = BF_CLASS_COUNT (core/bf_detection.h) */
#define BF_SIM_STREAM_UGS 0x10000u   /* random stream of ground sensor i: this + i */
#define BF_SIM_STREAM_CAMERA 0x20000u   /* ... of camera i (image noise): this + i */
#define BF_SIM_UGS_HOLDOFF_S 5.0     /* one target triggers a sensor at most once per 5 s */

struct bf_sim_ground_sensor {
    const char *id;               /* [A-Za-z0-9_.-]+, unique among all sensors */
    double lat_deg, lon_deg;
    double e_m, n_m;              /* local frame */
    double gamma_rad;             /* grid convergence at the sensor (bearings are true) */
    int type;                     /* enum bf_ugs_type (sensors/ugs.h) */
    double radius_m[BF_SIM_CLASSES];   /* per enum bf_class; 0: that class never triggers */
    double pd;                    /* trigger probability per second within the radius */
    double false_per_hour;        /* rate of the Poisson false triggers */
    double heartbeat_s;
    bool bearing;                 /* events carry a bearing (an acoustic array) */
    double sigma_bearing_deg;     /* its noise; sent in every event */
    const char *hmac_key_file;    /* as written, or NULL: unsigned messages */
    char *hmac_key_path;          /* resolved against the scenario's folder (owned) */
};

struct bf_sim_camera {
    const char *id;
    double lat_deg, lon_deg;
    double e_m, n_m;
    double gamma_rad;             /* grid convergence at the camera */
    double height_m, heading_deg, tilt_deg, hfov_deg;   /* pose, as the camera plugin's */
    int width, height;            /* frame size (width a multiple of 4) */
    double fps;                   /* frames per simulated second */
    int port;                     /* TCP port of its video server on 127.0.0.1 */
};

/*
 * Scenario hooks (called from scenario.c): bf_sim_sensors_parse reads the
 * top-level "ground_sensors" and "cameras" (after radars), reporting every
 * problem through diag; bf_sim_sensors_prepare, once the frame exists,
 * projects their positions and resolves key files against base_dir (NULL:
 * the current folder); returns 0, BF_EPROJ (reported) or BF_ENOMEM.
 * bf_sim_sensors_destroy frees what they allocated.
 */
void bf_sim_sensors_parse(const struct bf_json_doc *doc, struct bf_diag *diag, const cJSON *root,
                          struct bf_sim_scenario *s);
int bf_sim_sensors_prepare(struct bf_sim_scenario *s, const cJSON *root, struct bf_diag *diag,
                           const char *base_dir);
void bf_sim_sensors_destroy(struct bf_sim_scenario *s);
/* --check: the ground sensors and cameras, one line each. */
void bf_sim_sensors_print(FILE *f, const struct bf_sim_scenario *s);

/* ---- one ground sensor (ugs_emu.c) ---- */

struct bf_sim_ugs_stats {
    uint64_t events;              /* event messages made (true + false) */
    uint64_t true_events;         /* triggered by a target */
    uint64_t false_events;        /* Poisson false triggers */
    uint64_t heartbeats;
    uint64_t messages;            /* all messages made */
    uint64_t shed;                /* false triggers beyond the per-step bound (not sent) */
    double down_s;                /* simulated seconds spent down (scenario events) */
    double battery_pct;           /* in the last heartbeat */
};

struct bf_sim_ugs_emu;   /* opaque */

/*
 * An emulator of ground sensor idx of scenario s (borrowed for its life),
 * with its own random stream (seed, BF_SIM_STREAM_UGS + idx).  Reads the
 * sensor's key file when it has one.  0, BF_EIO / BF_EINVAL (the key file;
 * err says why) or BF_ENOMEM; *out NULL on failure.
 */
int bf_sim_ugs_emu_create(const struct bf_sim_scenario *s, size_t idx, uint64_t seed,
                          struct bf_sim_ugs_emu **out, char *err, size_t errlen);
void bf_sim_ugs_emu_destroy(struct bf_sim_ugs_emu *e);   /* accepts NULL */

/*
 * Run the sensor from its previous step to simulated time t_s (> the
 * previous; the first call covers [0, t_s]) over the targets tp[0..n)
 * (n <= the scenario's targets): triggers, false triggers and heartbeats,
 * each encoded as the bytes the sensor sends (sensors/ugs.h), signed when it
 * has a key, counters increasing, in time order.  Nothing while the sensor is
 * down (bf_sim_events_sensor_down); a heartbeat as soon as it is up again.
 * Returns the number of messages made (read them with
 * bf_sim_ugs_emu_message), or BF_EINVAL / BF_ESTATE (t_s not after the
 * previous step).
 */
int bf_sim_ugs_emu_step(struct bf_sim_ugs_emu *e, const struct bf_sim_target_pos *tp, size_t n,
                        double t_s);
/* Message i of the last step (NUL-terminated; borrowed until the next step), or NULL. */
const char *bf_sim_ugs_emu_message(const struct bf_sim_ugs_emu *e, size_t i, size_t *len);
/* "borderfuse/<site>/sensors/<id>/ugs" */
const char *bf_sim_ugs_emu_topic(const struct bf_sim_ugs_emu *e);
void bf_sim_ugs_emu_stats(const struct bf_sim_ugs_emu *e, struct bf_sim_ugs_stats *out);

/* ---- one camera (camera_emu.c) ---- */

/* Where a target was drawn in the last frame (input pixel coordinates). */
struct bf_sim_camera_blob {
    size_t target;                /* index in the scenario's targets */
    int x0, y0, x1, y1;           /* the box drawn, inclusive, clipped to the image */
    double u_foot, v_foot;        /* the foot point projected (continuous image coordinates) */
    double range_m;               /* ground range from the camera */
};

struct bf_sim_camera_stats {
    uint64_t frames;              /* rendered */
    uint64_t pushed;              /* handed to the video server */
    uint64_t push_failed;
    uint64_t blobs;               /* targets drawn, summed over frames */
    double render_ms_sum, render_ms_max;   /* wall time spent rendering */
};

struct bf_sim_camera_emu;   /* opaque */

/*
 * An emulator of camera idx of scenario s (borrowed): the renderer (the
 * ground texture for its pose is drawn here, once) with noise from stream
 * (seed, BF_SIM_STREAM_CAMERA + idx).  No video server yet (see _serve).
 * 0, BF_EINVAL or BF_ENOMEM.
 */
int bf_sim_camera_emu_create(const struct bf_sim_scenario *s, size_t idx, uint64_t seed,
                             struct bf_sim_camera_emu **out);
void bf_sim_camera_emu_destroy(struct bf_sim_camera_emu *e);   /* accepts NULL; stops the server */

/*
 * Render the frame at simulated time t_s of targets tp[0..n): the ground,
 * noise, and every active target in view as a blob of its class's size,
 * nearest drawn last.  Returns the number of targets drawn (their boxes:
 * bf_sim_camera_emu_blobs).
 */
int bf_sim_camera_emu_render(struct bf_sim_camera_emu *e, const struct bf_sim_target_pos *tp,
                             size_t n, double t_s);
/* The last frame, width x height GRAY8 rows without padding (borrowed). */
const uint8_t *bf_sim_camera_emu_image(const struct bf_sim_camera_emu *e);
const struct bf_sim_camera_blob *bf_sim_camera_emu_blobs(const struct bf_sim_camera_emu *e,
                                                         size_t *n);
/* The pinhole pose the frames are drawn with (sensors/camera_pose.h; borrowed). */
struct bf_camera_pose;
const struct bf_camera_pose *bf_sim_camera_emu_pose(const struct bf_sim_camera_emu *e);

/*
 * Start the video server: GStreamer appsrc ! GRAY8 caps ! matroskamux
 * streamable=true ! tcpserversink on 127.0.0.1:port (new clients start at the
 * next frame).  0, or BF_EIO with err saying why (GStreamer's message).
 */
int bf_sim_camera_emu_serve(struct bf_sim_camera_emu *e, char *err, size_t errlen);
/* Push the last frame with PTS t_s (simulated seconds since the start).  0 or BF_EIO. */
int bf_sim_camera_emu_push(struct bf_sim_camera_emu *e, double t_s);
/* Clients connected to the video server now (0 without a server). */
unsigned bf_sim_camera_emu_clients(const struct bf_sim_camera_emu *e);
void bf_sim_camera_emu_stats(const struct bf_sim_camera_emu *e, struct bf_sim_camera_stats *out);

/* ---- all of them, for borderfuse-sim (sensor_emus.c) ---- */

/* Send one message: 0 or a negative BF_E* (counted as failed). */
typedef int (*bf_sim_publish_fn)(void *ctx, const char *topic, const void *payload, size_t len,
                                 int qos);

struct bf_sim_sensor_emus;   /* opaque */

struct bf_sim_sensor_emus_stats {
    uint64_t ugs_messages, ugs_events, ugs_heartbeats;
    uint64_t camera_frames;       /* frames pushed to the video servers */
    uint64_t camera_frames_down;  /* frames not made because their camera was down */
    uint64_t publish_failed;      /* ground-sensor publishes and frame pushes that failed */
};

/*
 * Emulators for every ground sensor and camera of s (borrowed); with serve,
 * each camera's video server is started.  0, or a BF_E* with err saying
 * which sensor failed and why; *out NULL on failure (nothing left running).
 */
int bf_sim_sensor_emus_create(const struct bf_sim_scenario *s, bool serve,
                              struct bf_sim_sensor_emus **out, char *err, size_t errlen);
void bf_sim_sensor_emus_destroy(struct bf_sim_sensor_emus *x);   /* accepts NULL */
/* Ground sensors and cameras in it. */
size_t bf_sim_sensor_emus_count(const struct bf_sim_sensor_emus *x);
/* The next simulated time something is due: a truth step for the ground
 * sensors, a frame for a camera; INFINITY when there is nothing to run. */
double bf_sim_sensor_emus_next_s(const struct bf_sim_sensor_emus *x);
/*
 * Run everything due at t_s (= bf_sim_sensor_emus_next_s(); the truth
 * advanced to t_s, its positions tp[0..n)): ground sensors step and their
 * messages go out through publish at QoS 1; cameras render and push a frame
 * (none while down).  Returns 0 or the first BF_E* of an emulator.
 */
int bf_sim_sensor_emus_step(struct bf_sim_sensor_emus *x, const struct bf_sim_target_pos *tp,
                            size_t n, double t_s, bf_sim_publish_fn publish, void *ctx);
/*
 * Wait up to timeout_s of wall time for a client on every camera's video
 * server (stop, when given, ends the wait early once it is non-zero).
 * Returns the number of cameras still without a client.
 */
size_t bf_sim_sensor_emus_wait_clients(const struct bf_sim_sensor_emus *x, double timeout_s,
                                       const volatile int *stop);
void bf_sim_sensor_emus_stats(const struct bf_sim_sensor_emus *x,
                              struct bf_sim_sensor_emus_stats *out);
/* One line per emulator: what it sent, and each camera's rendering cost. */
void bf_sim_sensor_emus_report(const struct bf_sim_sensor_emus *x, FILE *f);

/* ---- response units (units.c) -----------------------------------------------
 * Our own patrols: they move along their waypoints and report their position
 * on borderfuse/<site>/units/<id> in the gps plugin's message (docs/gps.md);
 * no sensor of the scenario detects them. */

struct bf_sim_unit {
    const char *id;               /* borrowed from the scenario's doc */
    double *lat, *lon;            /* [n_wp] waypoints, degrees */
    size_t n_wp;
    double speed_mps;             /* along the route; 0 for a unit that stays */
    double start_s;               /* leaves its first waypoint at this simulated time */
    double report_s;              /* a position message every report_s of simulated time */
};

struct bf_json_doc;
void bf_sim_units_parse(const struct bf_json_doc *doc, struct bf_diag *diag, const cJSON *root,
                        struct bf_sim_scenario *s);
void bf_sim_units_free(struct bf_sim_scenario *s);

/* Where unit k is at simulated time t_s: WGS84, speed, course (NAN when it never moved). */
int bf_sim_unit_at(const struct bf_sim_scenario *s, size_t k, double t_s, double *lat,
                   double *lon, double *speed_mps, double *track_deg);

/* Its message at t_s (docs/gps.md, "exercise": true in an exercise): length or BF_E*. */
int bf_sim_unit_message(const struct bf_sim_scenario *s, size_t k, double t_s, char *buf,
                        size_t len);

/* ---- terrain (terrain.c) -----------------------------------------------------
 * docs/scenario.md "Terrain": a DEM hides targets from the radars and cameras
 * (line of sight, the same geo/coverage.h the engine uses), and each
 * sensor's region is drawn in the report. */

#define BF_SIM_CAMERA_COVERAGE_M 5000.0   /* a camera's region in the report and LOS */

/* The top-level "terrain" (called from scenario.c after the sensors). */
void bf_sim_terrain_parse(const struct bf_json_doc *doc, struct bf_diag *diag, const cJSON *root,
                          struct bf_sim_scenario *s);
/*
 * Once every sensor is placed: build s->coverage (radars, then cameras),
 * reading the DEM resolved against base_dir.  0, or a BF_E* reported
 * through diag at "terrain".
 */
int bf_sim_terrain_prepare(struct bf_sim_scenario *s, const cJSON *root, struct bf_diag *diag,
                           const char *base_dir);
void bf_sim_terrain_destroy(struct bf_sim_scenario *s);
/* Does terrain leave radar j / camera i a line of sight to (e_m, n_m)?  true without a DEM. */
bool bf_sim_radar_sees(const struct bf_sim_scenario *s, size_t j, double e_m, double n_m);
bool bf_sim_camera_sees(const struct bf_sim_scenario *s, size_t i, double e_m, double n_m);

#endif
