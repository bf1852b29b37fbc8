/*
 * updater.c - the measurement models: fold one detection into a predicted
 * track state (Kalman update), and say how well it fits (innovation,
 * Mahalanobis distance) for gating.
 *
 * The problem: each sensor measures the target differently.  A POSITION
 * detection measures (e, n) directly, so the linear Kalman filter is exact.
 * A radar measures range and bearing (and sometimes the range rate) from
 * where it stands; that is nonlinear in the state, so the extended Kalman
 * filter linearises h(x) about the predicted state.  Bearings are clockwise
 * from grid north, bearing = atan2(dx_east, dy_north), and the bearing
 * innovation is wrapped to (-pi, pi] so a track at 359.5 deg and a detection
 * at 0.5 deg differ by +1 deg, not -359 deg.
 *
 * Range-bearing model, with dx = e - sensor_e, dy = n - sensor_n, r = |d|:
 *
 *     h(x) = ( r, atan2(dx, dy) [, (dx ve + dy vn) / r ] )
 *
 *     H = | dx/r                 dy/r                  0     0    |
 *         | dy/r^2              -dx/r^2                0     0    |
 *         | dy(ve dy - vn dx)/r^3  dx(vn dx - ve dy)/r^3  dx/r  dy/r |
 *
 * The third row (range rate, positive when the target moves away from the
 * sensor) is present when the detection has BF_DET_F_RADIAL.
 *
 * The covariance update uses the Joseph form P = (I-KH) P (I-KH)' + K R K',
 * which stays positive semi-definite under rounding, and is then made exactly
 * symmetric.  Bad input (unknown kind, non-finite values, a detection at the
 * sensor, a singular S) is refused with BF_EINVAL and leaves the state alone.
 */
#include <math.h>
#include <string.h>

#include "core/bf_error.h"
#include "tracks/tracks.h"
#include "tracks/tracks_int.h"

int bf_tracks_check_det(const struct bf_detection *d)
{
    if (!d)
        return BF_EINVAL;
    if (d->kind != BF_MEAS_POSITION && d->kind != BF_MEAS_RANGE_BEARING)
        return BF_EINVAL;
    int dim = bf_detection_dim(d);
    for (int i = 0; i < dim; i++) {
        if (!isfinite(d->z[i]))
            return BF_EINVAL;
        for (int j = 0; j < dim; j++) {
            if (!isfinite(d->R[i][j]))
                return BF_EINVAL;
        }
        if (!(d->R[i][i] > 0))
            return BF_EINVAL;
    }
    if (d->kind == BF_MEAS_RANGE_BEARING) {
        if (!isfinite(d->sensor_e_m) || !isfinite(d->sensor_n_m))
            return BF_EINVAL;
        if (!(d->z[0] > 0))
            return BF_EINVAL;
    }
    return dim;
}

/*
 * Predicted measurement zhat = h(x), Jacobian H (dim x 4, row-major) and the
 * symmetrised R (dim x dim) of detection d at state x.  Returns dim, or
 * BF_EINVAL (bad detection, non-finite x, target at the sensor).
 */
static int meas_model(const double x[4], const struct bf_detection *d, double zhat[3],
                      double H[12], double R[9])
{
    int dim = bf_tracks_check_det(d);
    if (dim < 0)
        return dim;
    if (!bf_tracks_finite(x, 4))
        return BF_EINVAL;
    memset(H, 0, 12 * sizeof *H);
    for (int i = 0; i < dim; i++) {
        for (int j = 0; j < dim; j++)
            R[i * dim + j] = 0.5 * (d->R[i][j] + d->R[j][i]);
    }
    if (d->kind == BF_MEAS_POSITION) {
        zhat[0] = x[0];
        zhat[1] = x[1];
        H[0 * 4 + 0] = 1.0;
        H[1 * 4 + 1] = 1.0;
        return dim;
    }
    double dx = x[0] - d->sensor_e_m;
    double dy = x[1] - d->sensor_n_m;
    double r2 = dx * dx + dy * dy;
    double r = sqrt(r2);
    if (!(r >= BF_TRACKS_MIN_RANGE_M))
        return BF_EINVAL;
    zhat[0] = r;
    zhat[1] = atan2(dx, dy);
    H[0 * 4 + 0] = dx / r;
    H[0 * 4 + 1] = dy / r;
    H[1 * 4 + 0] = dy / r2;
    H[1 * 4 + 1] = -dx / r2;
    if (dim == 3) {
        double ve = x[2], vn = x[3];
        double r3 = r2 * r;
        zhat[2] = (dx * ve + dy * vn) / r;
        H[2 * 4 + 0] = dy * (ve * dy - vn * dx) / r3;
        H[2 * 4 + 1] = dx * (vn * dx - ve * dy) / r3;
        H[2 * 4 + 2] = dx / r;
        H[2 * 4 + 3] = dy / r;
    }
    return dim;
}

/*
 * Cholesky factor L (lower, row-major n x n) of the symmetric n x n A.
 * Returns false unless A is positive definite with finite entries.
 */
static bool cholesky(const double *A, int n, double *L)
{
    memset(L, 0, (size_t)(n * n) * sizeof *L);
    for (int i = 0; i < n; i++) {
        for (int j = 0; j <= i; j++) {
            double s = A[i * n + j];
            for (int k = 0; k < j; k++)
                s -= L[i * n + k] * L[j * n + k];
            if (i == j) {
                if (!(s > 0) || !isfinite(s))
                    return false;
                L[i * n + i] = sqrt(s);
            } else {
                L[i * n + j] = s / L[j * n + j];
            }
        }
    }
    /* Refuse numerically singular matrices: a pivot many orders below the
     * largest diagonal entry means S carries no information in some direction. */
    double dmax = 0;
    for (int i = 0; i < n; i++)
        dmax = fmax(dmax, A[i * n + i]);
    for (int i = 0; i < n; i++) {
        double p = L[i * n + i];
        if (p * p < 1e-14 * dmax)
            return false;
    }
    return true;
}

/* Inverse of symmetric positive definite S (n x n) through its Cholesky factor. */
static bool spd_inverse(const double *S, int n, double *Sinv)
{
    double L[9], Li[9];
    if (!cholesky(S, n, L))
        return false;
    /* Li = L^-1 (lower triangular), column by column. */
    memset(Li, 0, sizeof Li);
    for (int j = 0; j < n; j++) {
        Li[j * n + j] = 1.0 / L[j * n + j];
        for (int i = j + 1; i < n; i++) {
            double s = 0;
            for (int k = j; k < i; k++)
                s -= L[i * n + k] * Li[k * n + j];
            Li[i * n + j] = s / L[i * n + i];
        }
    }
    /* S^-1 = Li' Li */
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < n; j++) {
            double s = 0;
            for (int k = (i > j ? i : j); k < n; k++)
                s += Li[k * n + i] * Li[k * n + j];
            Sinv[i * n + j] = s;
        }
    }
    return true;
}

/*
 * Innovation and its covariance, with H and R, for the update.  Returns dim
 * or BF_EINVAL.
 */
static int innovation(const double x[4], const double P[16], const struct bf_detection *d,
                      double nu[3], double S[9], double H[12], double R[9])
{
    if (!x || !P || !d)
        return BF_EINVAL;
    if (!bf_tracks_finite(P, 16))
        return BF_EINVAL;
    double zhat[3];
    int dim = meas_model(x, d, zhat, H, R);
    if (dim < 0)
        return dim;
    for (int i = 0; i < dim; i++)
        nu[i] = d->z[i] - zhat[i];
    if (d->kind == BF_MEAS_RANGE_BEARING)
        nu[1] = bf_tracks_wrap_pi(nu[1]);

    /* HP = H P (dim x 4), S = HP H' + R */
    double HP[12];
    for (int i = 0; i < dim; i++) {
        for (int j = 0; j < 4; j++) {
            double s = 0;
            for (int k = 0; k < 4; k++)
                s += H[i * 4 + k] * P[k * 4 + j];
            HP[i * 4 + j] = s;
        }
    }
    for (int i = 0; i < dim; i++) {
        for (int j = 0; j <= i; j++) {
            double s = 0;
            for (int k = 0; k < 4; k++)
                s += HP[i * 4 + k] * H[j * 4 + k];
            s += R[i * dim + j];
            S[i * dim + j] = s;
            S[j * dim + i] = s;
        }
    }
    return dim;
}

/*
 * nu = z - h(x) (bearing wrapped), S = H P H' + R, both packed dim x dim
 * row-major in S[0 .. dim*dim).  Returns 0, or BF_EINVAL (bad kind or value).
 */
int bf_innovation(const double x[4], const double P[16], const struct bf_detection *d,
                  double nu[3], double S[9], int *dim)
{
    double H[12], R[9];
    if (!nu || !S || !dim)
        return BF_EINVAL;
    int n = innovation(x, P, d, nu, S, H, R);
    if (n < 0)
        return n;
    *dim = n;
    return 0;
}

/* nu' S^-1 nu for dim in 1..3; INFINITY when S is not positive definite. */
int bf_innovation_h(const double x[4], const double P[16], const struct bf_detection *d,
                    double nu[3], double S[9], double H[12], double R[9], int *dim)
{
    if (!nu || !S || !H || !R || !dim)
        return BF_EINVAL;
    int n = innovation(x, P, d, nu, S, H, R);
    if (n < 0)
        return n;
    *dim = n;
    return 0;
}

double bf_mahalanobis2(const double nu[3], const double S[9], int dim)
{
    if (!nu || !S || dim < 1 || dim > 3)
        return INFINITY;
    double L[9];
    if (!cholesky(S, dim, L))
        return INFINITY;
    /* Solve L y = nu; d2 = y'y. */
    double y[3], d2 = 0;
    for (int i = 0; i < dim; i++) {
        double s = nu[i];
        for (int k = 0; k < i; k++)
            s -= L[i * dim + k] * y[k];
        y[i] = s / L[i * dim + i];
        d2 += y[i] * y[i];
    }
    return isfinite(d2) ? d2 : INFINITY;
}

/*
 * Kalman (POSITION) or extended Kalman (RANGE_BEARING) update of (x, P) in
 * place.  Returns 0, or BF_EINVAL with x and P untouched.
 */
int bf_update(double x[4], double P[16], const struct bf_detection *d)
{
    double nu[3], S[9], H[12], R[9], Sinv[9];
    int dim = innovation(x, P, d, nu, S, H, R);
    if (dim < 0)
        return dim;
    if (!spd_inverse(S, dim, Sinv))
        return BF_EINVAL;

    /* K = P H' S^-1 (4 x dim) */
    double PHt[12], K[12];
    for (int i = 0; i < 4; i++) {
        for (int j = 0; j < dim; j++) {
            double s = 0;
            for (int k = 0; k < 4; k++)
                s += P[i * 4 + k] * H[j * 4 + k];
            PHt[i * dim + j] = s;
        }
    }
    for (int i = 0; i < 4; i++) {
        for (int j = 0; j < dim; j++) {
            double s = 0;
            for (int k = 0; k < dim; k++)
                s += PHt[i * dim + k] * Sinv[k * dim + j];
            K[i * dim + j] = s;
        }
    }

    double xn[4];
    for (int i = 0; i < 4; i++) {
        double s = 0;
        for (int k = 0; k < dim; k++)
            s += K[i * dim + k] * nu[k];
        xn[i] = x[i] + s;
    }

    /* Joseph form: A = I - K H; P = A P A' + K R K'. */
    double A[16], AP[16], Pn[16], KR[12];
    for (int i = 0; i < 4; i++) {
        for (int j = 0; j < 4; j++) {
            double s = (i == j) ? 1.0 : 0.0;
            for (int k = 0; k < dim; k++)
                s -= K[i * dim + k] * H[k * 4 + j];
            A[i * 4 + j] = s;
        }
    }
    for (int i = 0; i < 4; i++) {
        for (int j = 0; j < 4; j++) {
            double s = 0;
            for (int k = 0; k < 4; k++)
                s += A[i * 4 + k] * P[k * 4 + j];
            AP[i * 4 + j] = s;
        }
    }
    for (int i = 0; i < 4; i++) {
        for (int j = 0; j < dim; j++) {
            double s = 0;
            for (int k = 0; k < dim; k++)
                s += K[i * dim + k] * R[k * dim + j];
            KR[i * dim + j] = s;
        }
    }
    for (int i = 0; i < 4; i++) {
        for (int j = 0; j < 4; j++) {
            double s = 0;
            for (int k = 0; k < 4; k++)
                s += AP[i * 4 + k] * A[j * 4 + k];
            for (int k = 0; k < dim; k++)
                s += KR[i * dim + k] * K[j * dim + k];
            Pn[i * 4 + j] = s;
        }
    }
    bf_tracks_symmetrise4(Pn);
    if (!bf_tracks_finite(xn, 4) || !bf_tracks_finite(Pn, 16))
        return BF_EINVAL;
    for (int i = 0; i < 4; i++) {
        if (!(Pn[i * 4 + i] > 0))
            return BF_EINVAL;
    }
    memcpy(x, xn, sizeof xn);
    memcpy(P, Pn, sizeof Pn);
    return 0;
}
