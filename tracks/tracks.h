/*
 * tracks.h - state estimation: the track, its motion model (predictor), the
 * measurement models (updaters), and the track store with its lifecycle.
 *
 * Vocabulary after Stone Soup: a predictor moves a state to a time under a
 * transition model; an updater folds a detection in through its measurement
 * model; an initiator starts tentative tracks; a deleter ends them.
 *
 * State x = (east_m, north_m, ve_mps, vn_mps) in the local frame; P its 4x4
 * covariance, row-major.
 *
 * Track lifecycle:
 *
 *        new detection, no track
 *                 |
 *                 v
 *           +-----------+  M hits in the last N opportunities   +-----------+
 *           | TENTATIVE |-------------------------------------->| CONFIRMED |<---+
 *           +-----------+                                       +-----------+    |
 *                 | misses                                   miss |      ^ hit   |
 *                 v                                               v      |       |
 *           +-----------+      delete_misses in a row        +-----------+       |
 *           |  DELETED  |<-----------------------------------|  COASTING |-------+
 *           +-----------+   or position sigma > max,         +-----------+  hit
 *                           or no hit for max_coast_s
 */
#ifndef BF_TRACKS_H
#define BF_TRACKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/bf_detection.h"
#include "core/bf_time.h"

enum bf_track_status {
    BF_TRACK_TENTATIVE = 1,
    BF_TRACK_CONFIRMED = 2,
    BF_TRACK_COASTING  = 3,
    BF_TRACK_DELETED   = 4,
};

/* "tentative", "confirmed", "coasting", "deleted" */
const char *bf_track_status_name(enum bf_track_status s);

/* Motion model of the predictor (docs/motion.md). */
enum bf_motion_model {
    BF_MOTION_CV = 0,             /* constant velocity */
    BF_MOTION_CT,                 /* coordinated turn */
    BF_MOTION_IMM,                /* interacting multiple models over CV and CT */
};

/* Data associator (docs/tracking.md). */
enum bf_associator {
    BF_ASSOC_GNN = 0,             /* global nearest neighbour, exact per cluster */
    BF_ASSOC_JPDA,                /* joint probabilistic data association */
};

/* How a tentative track is confirmed. */
enum bf_confirm_rule {
    BF_CONFIRM_M_OF_N = 0,        /* confirm_m hits in the first confirm_n opportunities */
    BF_CONFIRM_SCORE,             /* log-likelihood-ratio track score above confirm_llr */
};

#define BF_MAX_MODES 3            /* IMM modes at most */

/* Tracker parameters (parsed from the config's "tracker" section). */
struct bf_tracker_params {
    double q_accel_mps2;          /* CV process noise: white-acceleration std (m/s^2); default 0.5 */
    double gate_sigma;            /* Mahalanobis gate in standard deviations; default 3 */
    uint8_t confirm_m;            /* confirm after M hits ... default 3 */
    uint8_t confirm_n;            /* ... in the last N opportunities; default 4 */
    uint8_t delete_misses;        /* confirmed/coasting: delete after this many misses in a row; default 5 */
    uint8_t delete_misses_tentative; /* tentative: default 2 */
    double init_speed_sigma_mps;  /* velocity std of a new track; default 5 */
    double max_speed_mps;         /* gate limit on implied speed; default 60 */
    double max_pos_sigma_m;       /* delete when position std exceeds this; default 500 */
    uint32_t max_tracks;          /* track pool size; default 10000 */
    double clutter_density;       /* false detections per m^2 per scan (score, JPDA); default 1e-6 */
    /* predictor (docs/motion.md) */
    enum bf_motion_model motion;  /* default BF_MOTION_CV */
    double ct_turn_rate_dps;      /* CT / IMM turn rate magnitude, degrees per second; default 6 */
    double imm_p_stay;            /* IMM: probability of staying in a mode per second; default 0.95 */
    double q_by_class[BF_CLASS_COUNT]; /* process noise std per class (m/s^2); 0: q_accel_mps2 */
    /* associator and track management (docs/tracking.md) */
    enum bf_associator associator;/* default BF_ASSOC_GNN */
    enum bf_confirm_rule confirm; /* default BF_CONFIRM_M_OF_N */
    double pd;                    /* detection probability for scores and JPDA; default 0.9 */
    double confirm_llr;           /* BF_CONFIRM_SCORE: confirm above this score; default 6.9 (ln 1000) */
    double delete_llr_drop;       /* delete when the score falls this far below its peak; default 6.9 */
    uint32_t max_cluster;         /* tracks + detections per exact cluster solve; larger ones
                                   * are split greedily and counted; default 4096 */
    /* track end and continuation (docs/tracking.md) */
    double max_coast_s;           /* delete a track this long (event time) after its last hit,
                                   * whatever the scans say; default 120 */
    double max_coast_by_class_s[BF_CLASS_COUNT]; /* per most likely class; 0: max_coast_s.
                                   * Default vehicle 60, others 0 */
    double continue_window_s;     /* a new track may continue a confirmed track lost at most
                                   * this long before it started; 0: off; default 60 */
};

/* Fill p with the defaults above. */
void bf_tracker_params_default(struct bf_tracker_params *p);

/*
 * track changes: what happened to a track in the last scan (bit flags), as
 * reported by the tracker and read by alerts/.  (Same values as, and to
 * replace, the copies in engine/engine.h.)
 */
#define BF_CHANGE_UPDATED   0x01u  /* a detection was associated */
#define BF_CHANGE_NEW       0x02u  /* created from an unassociated detection */
#define BF_CHANGE_CONFIRMED 0x04u  /* became CONFIRMED */
#define BF_CHANGE_MISSED    0x08u  /* in coverage, no detection */
#define BF_CHANGE_DELETED   0x10u  /* deleted: the track is valid until the next scan */
#define BF_CHANGE_CONTINUES 0x20u  /* continues_id was set: this track continues a lost one */

#define BF_TRACK_HIST 16

struct bf_track_point {
    bf_time_us t_us;
    double e_m, n_m;
};

struct bf_track {
    uint32_t id;                 /* unique for the life of the engine, increasing */
    uint32_t slot;               /* index in the store's pool: stable while the track lives */
    uint8_t status;              /* enum bf_track_status */
    uint8_t miss_run;            /* misses in a row */
    uint16_t flags;              /* BF_DET_F_EXERCISE / _TEST seen in its detections */
    uint32_t hit_bits;           /* last 32 opportunities, bit 0 newest: 1 hit, 0 miss */
    uint32_t n_hits;             /* hits over the track's life */
    bf_time_us t_us;             /* time of x and P */
    bf_time_us first_us;         /* first detection */
    bf_time_us last_hit_us;      /* last associated detection */
    bf_time_us confirmed_us;     /* when confirmed, BF_TIME_NONE before */
    double x[4];                 /* e, n, ve, vn */
    double P[16];                /* row-major 4x4 */
    uint64_t sensors;            /* bit i: sensor_idx i has contributed */
    float class_p[BF_CLASS_COUNT]; /* class probabilities, sum 1 */
    double score;                /* log-likelihood-ratio track score (docs/tracking.md) */
    double score_peak;           /* its highest value so far */
    uint32_t continues_id;       /* id of the recently lost track this one continues
                                  * (gated in position, velocity, time and class), 0: none */
    uint8_t hist_len;            /* positions in hist, newest at hist[(hist_head + hist_len - 1) % N] */
    uint8_t hist_head;
    struct bf_track_point hist[BF_TRACK_HIST];
    /* class evidence: log posterior per class (up to a constant), touched on hits only;
     * class_p is its normalised exponential (docs/tracking.md, "Classification") */
    double class_logp[BF_CLASS_COUNT];
    /* cold unless motion is "ct" or "imm": last, so the CV path touches fewer cache lines */
    uint8_t n_modes;             /* IMM modes in use (0: single model, x and P only) */
    float mu[BF_MAX_MODES];      /* IMM mode probabilities */
    double xm[BF_MAX_MODES][4];  /* IMM mode states */
    double Pm[BF_MAX_MODES][16]; /* IMM mode covariances */
};

/* ---- predictor: constant velocity, coordinated turn ----------------- */

/* Predict (x, P) forward by dt_s under CV with white-acceleration std q; in place safe. */
void bf_predict_cv(const double x[4], const double P[16], double dt_s, double q_accel_mps2,
                   double x_out[4], double P_out[16]);

/*
 * Predict (x, P) by dt_s under a coordinated turn at the known turn rate
 * omega_rad_s (positive: counter-clockwise, a left turn) with the same
 * white-acceleration noise as CV; omega 0 gives the CV result.  In place safe.
 */
void bf_predict_ct(const double x[4], const double P[16], double dt_s, double omega_rad_s,
                   double q_accel_mps2, double x_out[4], double P_out[16]);

/* ---- filter (motion models, IMM) ------------------------------------- */

/*
 * What the tracker calls to move and correct a track (docs/motion.md).
 * params.motion picks the filter: BF_MOTION_CV runs CV on tr->x, tr->P
 * (n_modes 0); BF_MOTION_CT an IMM over {CT(+w), CT(-w)} (n_modes 2);
 * BF_MOTION_IMM an IMM over {CV, CT(+w), CT(-w)} (n_modes 3), w =
 * ct_turn_rate_dps.  With modes, xm/Pm/mu are the filter and every call
 * below rewrites tr->x, tr->P as their moment-matched combination: change a
 * track's state only through these functions.  None touches tr->t_us.
 */

/* Start the filter of tr at (x0, P0) (tr->x, tr->P and, per params.motion, the modes). */
void bf_filter_init(struct bf_track *tr, const double x0[4], const double P0[16],
                    const struct bf_tracker_params *p);

/* Predict tr by dt_s (IMM: mixing, mode-matched prediction, predicted mode probabilities). */
void bf_filter_predict(struct bf_track *tr, double dt_s, const struct bf_tracker_params *p);

/*
 * Update tr with detection d (IMM: per mode through bf_update, mode
 * probabilities from N(nu_j; 0, S_j)).  Returns 0, or BF_EINVAL (or the
 * updater's error) with tr unchanged.
 */
int bf_filter_update(struct bf_track *tr, const struct bf_detection *d,
                     const struct bf_tracker_params *p);

/*
 * PDA / JPDA update with n detections of one scan (same kind and dimension,
 * else BF_EINVAL), beta[k] the probability that dets[k] is the target's and
 * beta0 that none is (all >= 0, beta0 + sum beta = 1 within 1e-6, else
 * BF_EINVAL).  Bar-Shalom's PDAF per mode; IMM mode likelihoods
 * beta0 + sum_k beta_k N(nu_jk; 0, S_jk) / N(nu_k; 0, S_k) (combined state
 * in the denominator).  Borrows dets and beta for the call only.  Returns 0,
 * or an error with tr unchanged.
 */
int bf_filter_update_pda(struct bf_track *tr, const struct bf_detection *const *dets,
                         const double *beta, size_t n, double beta0,
                         const struct bf_tracker_params *p);

/*
 * Process noise std (m/s^2) for tr: q_by_class[c] of its most likely class
 * c when that class is strictly the most likely and the entry is > 0, else
 * q_accel_mps2.
 */
double bf_filter_q_accel(const struct bf_track *tr, const struct bf_tracker_params *p);

/*
 * IMM Markov chain: probability of staying in a mode over |dt_s| with
 * n_modes modes, p_stay_per_s that over one second; switching probability
 * (1 - p_stay) / (n_modes - 1) to each other mode.
 */
double bf_imm_p_stay(int n_modes, double p_stay_per_s, double dt_s);

/* ---- updaters -------------------------------------------------------- */

/*
 * The measurement models (docs/measurements.md): POSITION (linear),
 * RANGE_BEARING [+ radial speed] and BEARING [+ elevation, with
 * sensor_height_m] (EKF), PRESENCE (position pseudo-measurement at the
 * sensor with covariance (radius/2)^2 I).
 *
 * Innovation of detection d against predicted (x, P): nu = z - h(x) (bearings
 * wrapped to (-pi, pi]), S = H P H' + R.  dim is bf_detection_dim(d), except
 * PRESENCE: 2 (nu = sensor position - (e, n)).  Returns 0, or BF_EINVAL for a
 * bad detection, state or geometry (target at the sensor).
 */
int bf_innovation(const double x[4], const double P[16], const struct bf_detection *d,
                  double nu[3], double S[9], int *dim);

/*
 * The same, also giving the measurement Jacobian H (dim x 4, row-major, at
 * x) and the measurement covariance R (dim x dim) used: what a PDA/JPDA or
 * IMM update needs beyond the innovation.
 */
int bf_innovation_h(const double x[4], const double P[16], const struct bf_detection *d,
                    double nu[3], double S[9], double H[12], double R[9], int *dim);

/* Squared Mahalanobis distance nu' S^-1 nu; INFINITY if S is singular. */
double bf_mahalanobis2(const double nu[3], const double S[9], int dim);

/*
 * Kalman / EKF update of (x, P) in place with d (POSITION, PRESENCE: linear;
 * RANGE_BEARING, BEARING: EKF, bearing wrapped; Joseph form).  Returns 0, or
 * BF_EINVAL with x and P untouched.
 */
int bf_update(double x[4], double P[16], const struct bf_detection *d);

/*
 * Where detection d alone puts the target (the inverse measurement model, for
 * initiators and gating): pos = (e, n) and its 2x2 covariance C, row-major.
 * POSITION, RANGE_BEARING and BEARING with elevation below the horizon and
 * sensor_height_m > 0 locate; BEARING otherwise and PRESENCE carry no
 * position: BF_ENOTSUP.  Bad detection: BF_EINVAL.  Outputs written only on 0.
 */
int bf_meas_locate(const struct bf_detection *d, double pos[2], double C[4]);

/*
 * A state for a new track from a single detection (POSITION or
 * RANGE_BEARING), zero velocity with std init_speed_sigma.
 */
int bf_initiate(const struct bf_detection *d, double init_speed_sigma_mps, double x[4], double P[16]);

#endif
