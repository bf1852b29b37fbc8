/*
 * track.c - the track itself: the names of its lifecycle states, the tracker
 * parameters and their defaults, and the initiator that turns one detection
 * into the state of a new tentative track.
 *
 * The problem the initiator solves: a single detection gives a position but
 * no velocity.  The new state takes the measured position with the
 * measurement's own covariance (for range-bearing, converted to east/north
 * through the Jacobian of the polar-to-Cartesian map at the measurement) and
 * a zero velocity whose standard deviation, init_speed_sigma_mps, says how
 * fast targets are expected to move; the first updates then pull the
 * velocity in.  Position and velocity start uncorrelated.
 */
#include <math.h>
#include <string.h>

#include "core/bf_error.h"
#include "tracks/tracks.h"
#include "tracks/tracks_int.h"

const char *bf_track_status_name(enum bf_track_status s)
{
    switch (s) {
    case BF_TRACK_TENTATIVE: return "tentative";
    case BF_TRACK_CONFIRMED: return "confirmed";
    case BF_TRACK_COASTING: return "coasting";
    case BF_TRACK_DELETED: return "deleted";
    default: return "unknown";
    }
}

void bf_tracker_params_default(struct bf_tracker_params *p)
{
    if (!p)
        return;
    memset(p, 0, sizeof *p);
    p->q_accel_mps2 = 0.5;
    p->gate_sigma = 3.0;
    p->confirm_m = 3;
    p->confirm_n = 4;
    p->delete_misses = 5;
    p->delete_misses_tentative = 2;
    p->init_speed_sigma_mps = 5.0;
    p->max_speed_mps = 60.0;
    p->max_pos_sigma_m = 500.0;
    p->max_tracks = 10000;
    p->clutter_density = 1e-6;
    p->motion = BF_MOTION_CV;
    p->ct_turn_rate_dps = 6.0;
    p->imm_p_stay = 0.95;
    for (int c = 0; c < BF_CLASS_COUNT; c++)
        p->q_by_class[c] = 0.0;
    p->associator = BF_ASSOC_GNN;
    p->confirm = BF_CONFIRM_M_OF_N;
    p->pd = 0.9;
    p->confirm_llr = 6.9;
    p->delete_llr_drop = 6.9;
    p->max_cluster = 4096;
}

/*
 * State of a new track from detection d: POSITION gives (e, n) with the 2x2
 * R as position covariance; RANGE_BEARING gives sensor + r (sin b, cos b)
 * with covariance J R J', J = d(e,n)/d(r,b) = | sin b   r cos b |
 *                                             | cos b  -r sin b |
 * (a radial speed, if present, is not used).  Velocity 0 with variance
 * init_speed_sigma_mps^2.  Returns 0, or BF_EINVAL (bad detection, sigma not
 * finite and > 0) with x and P untouched.
 */
int bf_initiate(const struct bf_detection *d, double init_speed_sigma_mps, double x[4],
                double P[16])
{
    if (!d || !x || !P)
        return BF_EINVAL;
    if (!isfinite(init_speed_sigma_mps) || !(init_speed_sigma_mps > 0))
        return BF_EINVAL;
    if (bf_tracks_check_det(d) < 0)
        return BF_EINVAL;

    double pos[2], C[4];
    double R00 = d->R[0][0], R11 = d->R[1][1];
    double R01 = 0.5 * (d->R[0][1] + d->R[1][0]);
    if (d->kind == BF_MEAS_POSITION) {
        pos[0] = d->z[0];
        pos[1] = d->z[1];
        C[0] = R00;
        C[1] = R01;
        C[2] = R01;
        C[3] = R11;
    } else {
        double r = d->z[0], b = d->z[1];
        double sb = sin(b), cb = cos(b);
        pos[0] = d->sensor_e_m + r * sb;
        pos[1] = d->sensor_n_m + r * cb;
        double J[4] = {sb, r * cb, cb, -r * sb};
        /* JR = J R, C = JR J' */
        double JR[4] = {
            J[0] * R00 + J[1] * R01, J[0] * R01 + J[1] * R11,
            J[2] * R00 + J[3] * R01, J[2] * R01 + J[3] * R11,
        };
        C[0] = JR[0] * J[0] + JR[1] * J[1];
        C[1] = JR[0] * J[2] + JR[1] * J[3];
        C[3] = JR[2] * J[2] + JR[3] * J[3];
        C[2] = C[1];
    }
    double det = C[0] * C[3] - C[1] * C[2];
    if (!bf_tracks_finite(pos, 2) || !bf_tracks_finite(C, 4) || !(C[0] > 0) || !(C[3] > 0) ||
        !(det > 0))
        return BF_EINVAL;

    double v2 = init_speed_sigma_mps * init_speed_sigma_mps;
    x[0] = pos[0];
    x[1] = pos[1];
    x[2] = 0.0;
    x[3] = 0.0;
    memset(P, 0, 16 * sizeof *P);
    P[0 * 4 + 0] = C[0];
    P[0 * 4 + 1] = C[1];
    P[1 * 4 + 0] = C[2];
    P[1 * 4 + 1] = C[3];
    P[2 * 4 + 2] = v2;
    P[3 * 4 + 3] = v2;
    return 0;
}
