/*
 * tracks_int.h - internals shared by the files of tracks/ (not for other
 * modules): input checks and the small numeric helpers that the predictor,
 * the updaters and the initiator all need.
 */
#ifndef BF_TRACKS_INT_H
#define BF_TRACKS_INT_H

#include <math.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/bf_detection.h"

/* True when all n values are finite. */
static inline bool bf_tracks_finite(const double *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(v[i]))
            return false;
    }
    return true;
}

/* Average the 4x4 row-major P with its transpose, so P == P' exactly. */
static inline void bf_tracks_symmetrise4(double P[16])
{
    for (int i = 0; i < 4; i++) {
        for (int j = i + 1; j < 4; j++) {
            double m = 0.5 * (P[i * 4 + j] + P[j * 4 + i]);
            P[i * 4 + j] = m;
            P[j * 4 + i] = m;
        }
    }
}

/* Angle a wrapped to (-pi, pi]. */
static inline double bf_tracks_wrap_pi(double a)
{
    double w = remainder(a, 2.0 * M_PI);   /* [-pi, pi] */
    if (w <= -M_PI)
        w += 2.0 * M_PI;
    return w;
}

/*
 * Cholesky factor L (lower, n x n row-major, n <= 3) of symmetric A; false
 * when A is not positive definite or numerically singular (a pivot^2 below
 * 1e-14 of the largest diagonal entry).  updater.c.
 */
bool bf_tracks_cholesky(const double *A, int n, double *L);
/* Kalman gain K = P H' S^-1 (4 x dim, row-major) from H (dim x 4) and S^-1.  updater.c. */
void bf_tracks_gain(const double P[16], const double H[12], const double Sinv[9], int dim,
                    double K[12]);
/* Inverse of symmetric positive definite S (n x n, n <= 3) through it.  updater.c. */
bool bf_tracks_spd_inverse(const double *S, int n, double *Sinv);

/* Below this range (m) a range-bearing Jacobian is taken as singular. */
#define BF_TRACKS_MIN_RANGE_M 1e-3

#endif
