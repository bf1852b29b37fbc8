/*
 * track.c - the track itself: the names of its lifecycle states, the tracker
 * parameters and their defaults, and the initiator that turns one detection
 * into the state of a new tentative track.
 *
 * The problem the initiator solves: a single detection gives a position but
 * no velocity.  The new state takes the measured position with the
 * measurement's own covariance (bf_meas_locate: for range-bearing and
 * bearing + elevation, converted to east/north through the Jacobian of the
 * inverse measurement model at the measurement) and
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
    p->max_coast_s = 120.0;
    p->max_coast_by_class_s[BF_CLASS_VEHICLE] = 60.0;
    p->continue_window_s = 60.0;
}

/*
 * State of a new track from detection d: its position and 2x2 covariance
 * from bf_meas_locate() (the inverse measurement model in updater.c:
 * POSITION, RANGE_BEARING, BEARING with elevation and camera height), and
 * velocity 0 with variance init_speed_sigma_mps^2.  Returns 0; BF_ENOTSUP for
 * a detection that carries no position (bearing-only, presence); BF_EINVAL
 * (bad detection, sigma not finite and > 0).  x and P untouched on failure.
 */
int bf_initiate(const struct bf_detection *d, double init_speed_sigma_mps, double x[4],
                double P[16])
{
    if (!d || !x || !P)
        return BF_EINVAL;
    if (!isfinite(init_speed_sigma_mps) || !(init_speed_sigma_mps > 0))
        return BF_EINVAL;
    double pos[2], C[4];
    int rc = bf_meas_locate(d, pos, C);
    if (rc < 0)
        return rc;

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
