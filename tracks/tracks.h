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
 *           +-----------+   or position sigma > max          +-----------+  hit
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
};

/* Fill p with the defaults above. */
void bf_tracker_params_default(struct bf_tracker_params *p);

/*
 * track changes: what happened to a track in the last scan (bit flags), as
 * reported by the tracker and read by alerts/.  (Same values as, and to
 * replace, the copies in fusion/fusion.h.)
 */
#define BF_CHANGE_UPDATED   0x01u  /* a detection was associated */
#define BF_CHANGE_NEW       0x02u  /* created from an unassociated detection */
#define BF_CHANGE_CONFIRMED 0x04u  /* became CONFIRMED */
#define BF_CHANGE_MISSED    0x08u  /* in coverage, no detection */
#define BF_CHANGE_DELETED   0x10u  /* deleted: the track is valid until the next scan */

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
    uint8_t n_modes;             /* IMM modes in use (0: single model, x and P only) */
    float mu[BF_MAX_MODES];      /* IMM mode probabilities */
    double xm[BF_MAX_MODES][4];  /* IMM mode states */
    double Pm[BF_MAX_MODES][16]; /* IMM mode covariances */
    uint8_t hist_len;            /* positions in hist, newest at hist[(hist_head + hist_len - 1) % N] */
    uint8_t hist_head;
    struct bf_track_point hist[BF_TRACK_HIST];
};

/* ---- predictor: constant velocity ----------------------------------- */

/* Predict (x, P) forward by dt_s under CV with white-acceleration std q; in place safe. */
void bf_predict_cv(const double x[4], const double P[16], double dt_s, double q_accel_mps2,
                   double x_out[4], double P_out[16]);

/* ---- updaters -------------------------------------------------------- */

/*
 * Innovation of detection d against predicted (x, P): nu = z - h(x) (angles
 * wrapped to (-pi, pi]), S = H P H' + R.  dim is bf_detection_dim(d).
 * Returns 0, or BF_EINVAL for a kind this updater cannot handle.
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
 * Kalman / EKF update of (x, P) in place with d (POSITION: linear;
 * RANGE_BEARING: EKF, bearing wrapped).  Returns 0 or BF_EINVAL.
 */
int bf_update(double x[4], double P[16], const struct bf_detection *d);

/*
 * A state for a new track from a single detection (POSITION or
 * RANGE_BEARING), zero velocity with std init_speed_sigma.
 */
int bf_initiate(const struct bf_detection *d, double init_speed_sigma_mps, double x[4], double P[16]);

#endif
