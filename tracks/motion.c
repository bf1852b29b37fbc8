/*
 * motion.c - the coordinated-turn (CT) transition model at a known turn
 * rate, beside the constant-velocity one of predictor.c.
 *
 * The problem: a target that turns at a steady rate leaves a CV filter
 * lagging outside the curve, and the gate may lose it.  Keeping the turn
 * rate omega (rad/s, positive = counter-clockwise seen from above, i.e. a
 * left turn: east velocity turning toward north) as a KNOWN parameter rather
 * than a state component keeps the state 4-D (e, n, ve, vn), so every
 * updater works unchanged and the model stays linear; the interacting
 * multiple model filter (filter.c) then weighs CV against CT(+omega) and
 * CT(-omega).
 *
 * Exact discretisation over an interval T, with s = sin(omega T),
 * c = cos(omega T) (Bar-Shalom, Li, Kirubarajan 11.7.1):
 *
 *     F = | 1  0   s/w      -(1-c)/w |
 *         | 0  1  (1-c)/w    s/w     |
 *         | 0  0   c        -s       |
 *         | 0  0   s         c       |
 *
 * Process noise: the same continuous white acceleration as the CV model
 * (power spectral density q = q_accel^2 on each axis), integrated exactly
 * through the turning dynamics, Q = q int_0^T F(u) G G' F(u)' du with
 * G = [0 0; 0 0; 1 0; 0 1]:
 *
 *     Q_ee = Q_nn = q (2T - 2s/w) / w^2      Q_vv (both) = q T
 *     Q_e,ve = Q_n,vn = q (1-c) / w^2        Q_e,vn = -Q_n,ve = q (T - s/w) / w
 *     Q_e,n = Q_ve,vn = 0
 *
 * As omega -> 0 these tend to the CV model's F and Q (T^3/3, T^2/2, T), and
 * below |omega T| < 1e-2 they are evaluated by their Taylor series, so
 * omega = 0 gives exactly the CV numbers.  For T < 0 the state moves back by
 * F(T) and the noise added is -Q(T) (the noise of the interval |T|, with the
 * odd terms changing sign the way predictor.c's position-velocity term does).
 */
#include <math.h>
#include <string.h>

#include "tracks/tracks.h"
#include "tracks/tracks_int.h"

/* Below this |omega T| the trigonometric ratios come from their series. */
#define SERIES_WT 1e-2

/*
 * The ratios the model needs for w = omega, T = dt:
 *   a = sin(wT)/w, b = (1 - cos(wT))/w, qpp = (2T - 2 sin(wT)/w)/w^2,
 *   qpv = (1 - cos(wT))/w^2, qx = (T - sin(wT)/w)/w.
 */
struct ct_terms {
    double c, s, a, b, qpp, qpv, qx;
};

static void ct_terms(double w, double T, struct ct_terms *k)
{
    double wt = w * T;
    k->c = cos(wt);
    k->s = sin(wt);
    if (fabs(wt) < SERIES_WT) {
        double T2 = T * T, T3 = T2 * T;
        /* Taylor series to the (wT)^4 relative term: error below 1e-14 relative. */
        k->a = T * (1.0 - wt * wt / 6.0 + wt * wt * wt * wt / 120.0);
        k->b = w * T2 * (0.5 - wt * wt / 24.0 + wt * wt * wt * wt / 720.0);
        k->qpp = T3 * (1.0 / 3.0 - wt * wt / 60.0 + wt * wt * wt * wt / 2520.0);
        k->qpv = T2 * (0.5 - wt * wt / 24.0 + wt * wt * wt * wt / 720.0);
        k->qx = w * T3 * (1.0 / 6.0 - wt * wt / 120.0 + wt * wt * wt * wt / 5040.0);
        return;
    }
    k->a = k->s / w;
    k->b = (1.0 - k->c) / w;
    k->qpp = (2.0 * T - 2.0 * k->a) / (w * w);
    k->qpv = (1.0 - k->c) / (w * w);
    k->qx = (T - k->a) / w;
}

/*
 * Predict (x, P) by dt_s under CT at turn rate omega_rad_s with white-
 * acceleration std q_accel_mps2.  x_out/P_out may alias x/P.  Non-finite
 * dt_s, omega_rad_s or q_accel_mps2 are taken as 0 (as in bf_predict_cv).
 * The result is exactly symmetric.
 */
void bf_predict_ct(const double x[4], const double P[16], double dt_s, double omega_rad_s,
                   double q_accel_mps2, double x_out[4], double P_out[16])
{
    double T = isfinite(dt_s) ? dt_s : 0.0;
    double w = isfinite(omega_rad_s) ? omega_rad_s : 0.0;
    double qa = isfinite(q_accel_mps2) ? q_accel_mps2 : 0.0;
    double q = qa * qa;
    struct ct_terms k;
    ct_terms(w, T, &k);

    const double F[16] = {
        1, 0, k.a, -k.b,
        0, 1, k.b, k.a,
        0, 0, k.c, -k.s,
        0, 0, k.s, k.c,
    };
    double xn[4];
    for (int i = 0; i < 4; i++) {
        double sum = 0;
        for (int j = 0; j < 4; j++)
            sum += F[i * 4 + j] * x[j];
        xn[i] = sum;
    }
    double A[16], Pn[16];
    for (int i = 0; i < 4; i++) {
        for (int j = 0; j < 4; j++) {
            double sum = 0;
            for (int m = 0; m < 4; m++)
                sum += F[i * 4 + m] * P[m * 4 + j];
            A[i * 4 + j] = sum;
        }
    }
    for (int i = 0; i < 4; i++) {
        for (int j = 0; j < 4; j++) {
            double sum = 0;
            for (int m = 0; m < 4; m++)
                sum += A[i * 4 + m] * F[j * 4 + m];
            Pn[i * 4 + j] = sum;
        }
    }

    /* Q of the interval, signed so that a negative T adds the noise of |T|. */
    double sg = T < 0 ? -q : q;
    double qpp = sg * k.qpp, qpv = sg * k.qpv, qx = sg * k.qx, qvv = sg * T;
    Pn[0 * 4 + 0] += qpp;
    Pn[1 * 4 + 1] += qpp;
    Pn[2 * 4 + 2] += qvv;
    Pn[3 * 4 + 3] += qvv;
    Pn[0 * 4 + 2] += qpv;
    Pn[2 * 4 + 0] += qpv;
    Pn[1 * 4 + 3] += qpv;
    Pn[3 * 4 + 1] += qpv;
    Pn[0 * 4 + 3] += qx;
    Pn[3 * 4 + 0] += qx;
    Pn[1 * 4 + 2] -= qx;
    Pn[2 * 4 + 1] -= qx;

    bf_tracks_symmetrise4(Pn);
    memcpy(x_out, xn, sizeof xn);
    memcpy(P_out, Pn, sizeof Pn);
}
