/*
 * updater.c - the measurement models: fold one detection into a predicted
 * track state (Kalman update), say how well it fits (innovation, Mahalanobis
 * distance) for gating, and, inversely, where one detection alone puts the
 * target (for the initiator).  docs/measurements.md derives every model.
 *
 * The problem: each sensor measures the target differently.  A POSITION
 * detection measures (e, n) directly, so the linear Kalman filter is exact.
 * A radar measures range and bearing (and sometimes the range rate), a camera
 * the bearing (and sometimes the elevation) from where it stands; that is
 * nonlinear in the state, so the extended Kalman filter linearises h(x) about
 * the predicted state.  A ground sensor only says "something within R metres
 * of me"; that is taken as a position pseudo-measurement.  Bearings are
 * clockwise from grid north, bearing = atan2(dx_east, dy_north), and bearing
 * innovations are wrapped to (-pi, pi] so a track at 359.5 deg and a
 * detection at 0.5 deg differ by +1 deg, not -359 deg.
 *
 * With dx = e - sensor_e, dy = n - sensor_n, r = |(dx, dy)| (the sensor
 * position is the detection's own, so a moving sensor is just a detection
 * with another sensor position):
 *
 *   POSITION       h = (e, n)                       H = | 1 0 0 0 |
 *                                                       | 0 1 0 0 |
 *   RANGE_BEARING  h = (r, atan2(dx, dy) [, (dx ve + dy vn) / r])
 *                  H = | dx/r                   dy/r                   0     0    |
 *                      | dy/r^2                -dx/r^2                 0     0    |
 *                      | dy(ve dy - vn dx)/r^3  dx(vn dx - ve dy)/r^3  dx/r  dy/r |
 *                  (third row, range rate positive receding, with BF_DET_F_RADIAL;
 *                  the sensor's own velocity is taken as zero: a moving sensor's
 *                  plugin reports ground-referenced radial speed)
 *   BEARING        h = (atan2(dx, dy) [, atan2(-height, r)])
 *                  H = | dy/r^2                -dx/r^2                 0 0 |
 *                      | height dx/(r q)        height dy/(r q)        0 0 |,  q = r^2 + height^2
 *                  (second row, elevation, with BF_DET_F_ELEVATION: a camera
 *                  sensor_height_m above flat ground looking at a target on it)
 *   PRESENCE       h = (e, n), z = (sensor_e, sensor_n), R = (radius/2)^2 I:
 *                  a uniform disc of that radius has exactly this mean and
 *                  covariance (moment matching).
 *
 * The covariance update uses the Joseph form P = (I-KH) P (I-KH)' + K R K',
 * which stays positive semi-definite under rounding, and is then made exactly
 * symmetric; POSITION, the hot path, uses the closed form P - K H P (equal
 * for the optimal gain), symmetrised and checked for a positive diagonal.  Bad input (unknown kind, non-finite values, a target at the
 * sensor, a singular S) is refused with BF_EINVAL and leaves the state alone.
 */
#include <math.h>
#include <string.h>

#include "core/bf_error.h"
#include "tracks/tracks.h"
#include "tracks/tracks_int.h"

/* z[0..dim) finite, the dim x dim block of R finite with a positive diagonal. */
static bool z_and_r_ok(const struct bf_detection *d, int dim)
{
    for (int i = 0; i < dim; i++) {
        if (!isfinite(d->z[i]))
            return false;
        for (int j = 0; j < dim; j++) {
            if (!isfinite(d->R[i][j]))
                return false;
        }
        if (!(d->R[i][i] > 0))
            return false;
    }
    return true;
}

/*
 * Check detection d for any measurement model: the kind is one of the four,
 * z and R are usable, the sensor position (and, for an elevation, the sensor
 * height) is finite and meaningful.  Returns the dimension of the model's
 * innovation (PRESENCE: 2), or BF_EINVAL.
 */
static int check_meas(const struct bf_detection *d)
{
    if (!d)
        return BF_EINVAL;
    int dim = bf_detection_dim(d);
    switch (d->kind) {
    case BF_MEAS_POSITION:
        return z_and_r_ok(d, dim) ? dim : BF_EINVAL;
    case BF_MEAS_RANGE_BEARING:
    case BF_MEAS_BEARING:
        if (!z_and_r_ok(d, dim) || !isfinite(d->sensor_e_m) || !isfinite(d->sensor_n_m))
            return BF_EINVAL;
        if (d->kind == BF_MEAS_RANGE_BEARING && !(d->z[0] > 0))
            return BF_EINVAL;
        if (d->kind == BF_MEAS_BEARING && (d->flags & BF_DET_F_ELEVATION) &&
            !(isfinite(d->sensor_height_m) && d->sensor_height_m > 0))
            return BF_EINVAL;
        return dim;
    case BF_MEAS_PRESENCE:
        if (!(isfinite(d->z[0]) && d->z[0] > 0) || !isfinite(d->sensor_e_m) ||
            !isfinite(d->sensor_n_m))
            return BF_EINVAL;
        return 2;
    default:
        return BF_EINVAL;
    }
}

/*
 * Predicted measurement zhat = h(x), the measured z it is compared with
 * (PRESENCE: the sensor position), Jacobian H (dim x 4, row-major) and the
 * symmetrised R (dim x dim) of detection d at state x.  Returns dim, or
 * BF_EINVAL (bad detection, non-finite x, target at the sensor).
 */
static int meas_model(const double x[4], const struct bf_detection *d, double z[3],
                      double zhat[3], double H[12], double R[9])
{
    int dim = check_meas(d);
    if (dim < 0)
        return dim;
    if (!bf_tracks_finite(x, 4))
        return BF_EINVAL;
    memset(H, 0, 12 * sizeof *H);
    for (int i = 0; i < dim; i++) {
        z[i] = d->z[i];
        for (int j = 0; j < dim; j++)
            R[i * dim + j] = 0.5 * (d->R[i][j] + d->R[j][i]);
    }
    if (d->kind == BF_MEAS_POSITION || d->kind == BF_MEAS_PRESENCE) {
        zhat[0] = x[0];
        zhat[1] = x[1];
        H[0 * 4 + 0] = 1.0;
        H[1 * 4 + 1] = 1.0;
        if (d->kind == BF_MEAS_PRESENCE) {
            double v = 0.25 * d->z[0] * d->z[0];   /* (radius / 2)^2 */
            z[0] = d->sensor_e_m;
            z[1] = d->sensor_n_m;
            R[0] = v;
            R[1] = 0.0;
            R[2] = 0.0;
            R[3] = v;
        }
        return dim;
    }
    double dx = x[0] - d->sensor_e_m;
    double dy = x[1] - d->sensor_n_m;
    double r2 = dx * dx + dy * dy;
    double r = sqrt(r2);
    if (!(r >= BF_TRACKS_MIN_RANGE_M))
        return BF_EINVAL;
    if (d->kind == BF_MEAS_BEARING) {
        zhat[0] = atan2(dx, dy);
        H[0 * 4 + 0] = dy / r2;
        H[0 * 4 + 1] = -dx / r2;
        if (dim == 2) {
            double hgt = d->sensor_height_m;
            double q = r2 + hgt * hgt;
            zhat[1] = atan2(-hgt, r);
            H[1 * 4 + 0] = hgt * dx / (r * q);
            H[1 * 4 + 1] = hgt * dy / (r * q);
        }
        return dim;
    }
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
bool bf_tracks_cholesky(const double *A, int n, double *L)
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
bool bf_tracks_spd_inverse(const double *S, int n, double *Sinv)
{
    double L[9], Li[9];
    if (!bf_tracks_cholesky(S, n, L))
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
    double z[3], zhat[3];
    int dim = meas_model(x, d, z, zhat, H, R);
    if (dim < 0)
        return dim;
    for (int i = 0; i < dim; i++)
        nu[i] = z[i] - zhat[i];
    if (d->kind == BF_MEAS_RANGE_BEARING)
        nu[1] = bf_tracks_wrap_pi(nu[1]);
    else if (d->kind == BF_MEAS_BEARING)
        nu[0] = bf_tracks_wrap_pi(nu[0]);

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

/* bf_innovation, also giving H (dim x 4) and R (dim x dim). */
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

/* nu' S^-1 nu for dim in 1..3; INFINITY when S is not positive definite. */
double bf_mahalanobis2(const double nu[3], const double S[9], int dim)
{
    if (!nu || !S || dim < 1 || dim > 3)
        return INFINITY;
    if (dim == 2) {   /* the common case (position), in closed form */
        double a = S[0], b = S[1], c = S[3], det = a * c - b * b;
        if (!(a > 0 && det > 0))
            return INFINITY;
        double d2 = (c * nu[0] * nu[0] - 2.0 * b * nu[0] * nu[1] + a * nu[1] * nu[1]) / det;
        return isfinite(d2) ? d2 : INFINITY;
    }
    double L[9];
    if (!bf_tracks_cholesky(S, dim, L))
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
 * Kalman (POSITION, PRESENCE) or extended Kalman (RANGE_BEARING, BEARING)
 * update of (x, P) in place.  Returns 0, or BF_EINVAL with x and P untouched.
 */
/*
 * POSITION in closed form, the hot path of a radar picture: H = [I 0], so
 * S = P_pos + R, K = P[:, 0..1] S^-1, x += K nu and P -= K (H P), which for
 * the optimal gain equals the Joseph form; then made symmetric.
 */
static int update_position(double x[4], double P[16], const struct bf_detection *d)
{
    if (!x || !P || !z_and_r_ok(d, 2) || !bf_tracks_finite(x, 4) || !bf_tracks_finite(P, 16))
        return BF_EINVAL;
    double r01 = 0.5 * (d->R[0][1] + d->R[1][0]);
    double s00 = P[0] + d->R[0][0], s01 = 0.5 * (P[1] + P[4]) + r01, s11 = P[5] + d->R[1][1];
    double det = s00 * s11 - s01 * s01;
    if (!(s00 > 0 && det > 0))
        return BF_EINVAL;
    double i00 = s11 / det, i01 = -s01 / det, i11 = s00 / det;
    double nu0 = d->z[0] - x[0], nu1 = d->z[1] - x[1];
    double K[4][2], xn[4], Pn[16];
    for (int i = 0; i < 4; i++) {
        K[i][0] = P[i * 4 + 0] * i00 + P[i * 4 + 1] * i01;
        K[i][1] = P[i * 4 + 0] * i01 + P[i * 4 + 1] * i11;
        xn[i] = x[i] + K[i][0] * nu0 + K[i][1] * nu1;
    }
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++)
            Pn[i * 4 + j] = P[i * 4 + j] - (K[i][0] * P[j] + K[i][1] * P[4 + j]);
    bf_tracks_symmetrise4(Pn);
    if (!bf_tracks_finite(xn, 4) || !bf_tracks_finite(Pn, 16))
        return BF_EINVAL;
    for (int i = 0; i < 4; i++)
        if (!(Pn[i * 4 + i] > 0))
            return BF_EINVAL;
    memcpy(x, xn, sizeof xn);
    memcpy(P, Pn, sizeof Pn);
    return 0;
}

void bf_tracks_gain(const double P[16], const double H[12], const double Sinv[9], int dim,
                    double K[12])
{
    double PHt[12];
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
}

int bf_update(double x[4], double P[16], const struct bf_detection *d)
{
    if (d && d->kind == BF_MEAS_POSITION)
        return update_position(x, P, d);
    double nu[3], S[9], H[12], R[9], Sinv[9];
    int dim = innovation(x, P, d, nu, S, H, R);
    if (dim < 0)
        return dim;
    if (!bf_tracks_spd_inverse(S, dim, Sinv))
        return BF_EINVAL;

    double K[12];
    bf_tracks_gain(P, H, Sinv, dim, K);

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

/*
 * C = J A J' for 2x2 J (row-major) and symmetric A given as (a00, a01, a11);
 * C comes out exactly symmetric.
 */
static void sandwich2(const double J[4], double a00, double a01, double a11, double C[4])
{
    double JA[4] = {
        J[0] * a00 + J[1] * a01, J[0] * a01 + J[1] * a11,
        J[2] * a00 + J[3] * a01, J[2] * a01 + J[3] * a11,
    };
    C[0] = JA[0] * J[0] + JA[1] * J[1];
    C[1] = JA[0] * J[2] + JA[1] * J[3];
    C[3] = JA[2] * J[2] + JA[3] * J[3];
    C[2] = C[1];
}

/*
 * Where detection d alone puts the target: pos = (e, n) and its 2x2
 * covariance C (row-major), by the inverse of the measurement model and the
 * Jacobian J of that inverse, C = J R J':
 *   POSITION       pos = z, C = R;
 *   RANGE_BEARING  pos = sensor + r (sin b, cos b),
 *                  J = d(e,n)/d(r,b) = | sin b   r cos b |  (radial speed unused);
 *                                      | cos b  -r sin b |
 *   BEARING with elevation el < 0 and height h > 0: ground range
 *                  g = h / tan(-el), pos = sensor + g (sin b, cos b),
 *                  dg/del = h / sin^2(el),
 *                  J = d(e,n)/d(b,el) = | g cos b   sin b h/sin^2 el |
 *                                       |-g sin b   cos b h/sin^2 el |.
 * BEARING without elevation (a ray, no range), BEARING with el >= 0 (at or
 * above the horizon: the ray never meets the ground) and PRESENCE (a disc)
 * carry no position: BF_ENOTSUP.  Bad detections: BF_EINVAL.  pos and C are
 * written only on success.
 */
int bf_meas_locate(const struct bf_detection *d, double pos[2], double C[4])
{
    if (!d || !pos || !C)
        return BF_EINVAL;
    if (check_meas(d) < 0)
        return BF_EINVAL;
    double p[2], c[4];
    double R00 = d->R[0][0], R11 = d->R[1][1];
    double R01 = 0.5 * (d->R[0][1] + d->R[1][0]);
    switch (d->kind) {
    case BF_MEAS_POSITION:
        p[0] = d->z[0];
        p[1] = d->z[1];
        c[0] = R00;
        c[1] = R01;
        c[2] = R01;
        c[3] = R11;
        break;
    case BF_MEAS_RANGE_BEARING: {
        double r = d->z[0], b = d->z[1];
        double sb = sin(b), cb = cos(b);
        p[0] = d->sensor_e_m + r * sb;
        p[1] = d->sensor_n_m + r * cb;
        double J[4] = {sb, r * cb, cb, -r * sb};
        sandwich2(J, R00, R01, R11, c);
        break;
    }
    case BF_MEAS_BEARING: {
        if (!(d->flags & BF_DET_F_ELEVATION) || !(d->z[1] < 0))
            return BF_ENOTSUP;
        double b = d->z[0], el = d->z[1], h = d->sensor_height_m;
        double sb = sin(b), cb = cos(b), se = sin(el);
        double g = h / tan(-el);
        double dg = h / (se * se);
        p[0] = d->sensor_e_m + g * sb;
        p[1] = d->sensor_n_m + g * cb;
        double J[4] = {g * cb, sb * dg, -g * sb, cb * dg};
        sandwich2(J, R00, R01, R11, c);
        break;
    }
    default:   /* PRESENCE */
        return BF_ENOTSUP;
    }
    double det = c[0] * c[3] - c[1] * c[2];
    if (!bf_tracks_finite(p, 2) || !bf_tracks_finite(c, 4) || !(c[0] > 0) || !(c[3] > 0) ||
        !(det > 0))
        return BF_EINVAL;
    memcpy(pos, p, sizeof p);
    memcpy(C, c, sizeof c);
    return 0;
}
