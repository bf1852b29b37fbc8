/*
 * predictor.c - the transition model: moves a track's state and covariance
 * to a new event time under constant velocity (CV).
 *
 * The problem: detections of one target arrive from several sensors at
 * irregular times, so the filter must predict over any interval dt, and the
 * uncertainty it adds must be consistent whatever way dt is cut up (two steps
 * of 1 s must equal one of 2 s).  The discretised continuous white-noise
 * acceleration model has exactly that property: each velocity component is
 * driven by white acceleration noise of power spectral density
 * q = q_accel_mps2^2 (m^2/s^3), giving, per axis,
 *
 *     F = | 1 dt |      Q = q | dt^3/3  dt^2/2 |
 *         | 0  1 |            | dt^2/2  dt     |
 *
 * (Stone Soup's ConstantVelocity model; Bar-Shalom, Li, Kirubarajan,
 * "Estimation with Applications to Tracking and Navigation", 6.2.2).
 * State order is (e, n, ve, vn), so F couples index 0 with 2 and 1 with 3.
 */
#include <math.h>
#include <string.h>

#include "tracks/tracks.h"
#include "tracks/tracks_int.h"

/*
 * Predict (x, P) by dt_s.  x_out/P_out may alias x/P.  A non-finite dt_s or
 * q_accel_mps2 is taken as 0 (no motion, no noise); a negative dt_s moves the
 * state back but still adds the noise of |dt_s| (uncertainty never shrinks
 * by prediction).  The result is exactly symmetric.
 */
void bf_predict_cv(const double x[4], const double P[16], double dt_s, double q_accel_mps2,
                   double x_out[4], double P_out[16])
{
    double dt = isfinite(dt_s) ? dt_s : 0.0;
    double qa = isfinite(q_accel_mps2) ? q_accel_mps2 : 0.0;
    double q = qa * qa;
    double adt = fabs(dt);

    double xn[4] = {x[0] + dt * x[2], x[1] + dt * x[3], x[2], x[3]};

    /* A = F P: rows 0 and 1 gain dt times rows 2 and 3. */
    double A[16];
    for (int j = 0; j < 4; j++) {
        A[0 * 4 + j] = P[0 * 4 + j] + dt * P[2 * 4 + j];
        A[1 * 4 + j] = P[1 * 4 + j] + dt * P[3 * 4 + j];
        A[2 * 4 + j] = P[2 * 4 + j];
        A[3 * 4 + j] = P[3 * 4 + j];
    }
    /* Pn = A F': columns 0 and 1 gain dt times columns 2 and 3. */
    double Pn[16];
    for (int i = 0; i < 4; i++) {
        Pn[i * 4 + 0] = A[i * 4 + 0] + dt * A[i * 4 + 2];
        Pn[i * 4 + 1] = A[i * 4 + 1] + dt * A[i * 4 + 3];
        Pn[i * 4 + 2] = A[i * 4 + 2];
        Pn[i * 4 + 3] = A[i * 4 + 3];
    }

    double qpp = q * adt * adt * adt / 3.0;
    double qpv = q * adt * adt / 2.0;
    double qvv = q * adt;
    /* The position-velocity noise term carries the sign of dt (it is the
     * integral of (t - s) over the interval); for dt < 0 it is negated. */
    if (dt < 0)
        qpv = -qpv;
    Pn[0 * 4 + 0] += qpp;
    Pn[1 * 4 + 1] += qpp;
    Pn[0 * 4 + 2] += qpv;
    Pn[2 * 4 + 0] += qpv;
    Pn[1 * 4 + 3] += qpv;
    Pn[3 * 4 + 1] += qpv;
    Pn[2 * 4 + 2] += qvv;
    Pn[3 * 4 + 3] += qvv;

    bf_tracks_symmetrise4(Pn);
    memcpy(x_out, xn, sizeof xn);
    memcpy(P_out, Pn, sizeof Pn);
}
