/*
 * test_updaters.c - every measurement model (tracks/updater.c) against
 * numbers worked out by hand in the comments: the position update, the
 * range/bearing innovation and Jacobian from a sensor away from the origin,
 * the radial-speed row, bearing-only wrap at north and at +-180 deg, the
 * camera's elevation with a known height, the presence pseudo-measurement,
 * where one detection puts a new track (bf_meas_locate) and the detections
 * that cannot start one (BF_ENOTSUP).  The analytic Jacobians are also
 * checked against central differences of h(x).
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "bf_test.h"
#include "core/bf_error.h"
#include "tracks/tracks.h"
#include "tracks_fixture.h"

#define DEG (M_PI / 180.0)

/* ---- helpers ----------------------------------------------------------- */

/* ---- POSITION ---------------------------------------------------------- */

/*
 * x = (10, 20, 1, -1), P = | 9  0 2 0 |, R = diag(9, 16), z = (16, 12).
 *                          | 0 16 0 0 |
 *                          | 2  0 4 0 |
 *                          | 0  0 0 4 |
 * nu = (6, -8); S = P_pos + R = diag(18, 32); d2 = 36/18 + 64/32 = 4.
 * K = P H' S^-1: e row (9/18, 0) = (0.5, 0); n row (0, 16/32) = (0, 0.5);
 *               ve row (2/18, 0) = (1/9, 0); vn row 0.
 * x' = (10 + 3, 20 - 4, 1 + 6/9, -1) = (13, 16, 5/3, -1).
 * P' = P - K S K' (= Joseph form for the optimal K):
 *   ee = 9 - 81/18 = 4.5;  nn = 16 - 256/32 = 8;  e,ve = 2 - 9*2/18 = 1;
 *   ve,ve = 4 - 4/18 = 34/9;  vn,vn = 4;  all other off-diagonals 0.
 */
static void test_position(void)
{
    double x[4] = {10, 20, 1, -1};
    double P[16] = {9, 0, 2, 0, 0, 16, 0, 0, 2, 0, 4, 0, 0, 0, 0, 4};
    struct bf_detection d = fx_det(BF_MEAS_POSITION, 0, 0);
    d.z[0] = 16;
    d.z[1] = 12;
    d.R[0][0] = 9;
    d.R[1][1] = 16;

    double nu[3], S[9], H[12], R[9];
    int dim = 0;
    CU_ASSERT_EQUAL_FATAL(bf_innovation_h(x, P, &d, nu, S, H, R, &dim), 0);
    CU_ASSERT_EQUAL(dim, 2);
    BF_ASSERT_NEAR(nu[0], 6, 1e-12);
    BF_ASSERT_NEAR(nu[1], -8, 1e-12);
    BF_ASSERT_NEAR(S[0], 18, 1e-12);
    BF_ASSERT_NEAR(S[1], 0, 1e-12);
    BF_ASSERT_NEAR(S[3], 32, 1e-12);
    const double Hw[8] = {1, 0, 0, 0, 0, 1, 0, 0};
    for (int i = 0; i < 8; i++)
        BF_ASSERT_NEAR(H[i], Hw[i], 0);
    BF_ASSERT_NEAR(R[0], 9, 0);
    BF_ASSERT_NEAR(R[3], 16, 0);
    BF_ASSERT_NEAR(bf_mahalanobis2(nu, S, dim), 4.0, 1e-12);

    CU_ASSERT_EQUAL_FATAL(bf_update(x, P, &d), 0);
    BF_ASSERT_NEAR(x[0], 13, 1e-12);
    BF_ASSERT_NEAR(x[1], 16, 1e-12);
    BF_ASSERT_NEAR(x[2], 5.0 / 3, 1e-12);
    BF_ASSERT_NEAR(x[3], -1, 1e-12);
    const double Pw[16] = {4.5, 0, 1, 0, 0, 8, 0, 0, 1, 0, 34.0 / 9, 0, 0, 0, 0, 4};
    for (int i = 0; i < 16; i++)
        BF_ASSERT_NEAR(P[i], Pw[i], 1e-12);
}

/* ---- RANGE_BEARING ----------------------------------------------------- */

/*
 * Sensor at (100, -200) (the detection's own position: a moving sensor is
 * just another sensor position), track at (700, -1000):
 * dx = 600, dy = -800, r = 1000, b = atan2(600, -800) = 143.130 deg.
 * H_r = (dx/r, dy/r) = (0.6, -0.8);  H_b = (dy/r^2, -dx/r^2) = (-8e-4, -6e-4).
 * P = diag(100, 100, 1, 1), R = diag(25, 1e-6), z = (1010, b + 0.002):
 *   nu = (10, 0.002);  S_rr = 100 (0.36 + 0.64) + 25 = 125;
 *   S_bb = 100 (64e-8 + 36e-8) + 1e-6 = 1.01e-4;
 *   S_rb = 100 (0.6 * -8e-4 + -0.8 * -6e-4) = 0;
 *   d2 = 100/125 + 4e-6/1.01e-4 = 0.8 + 0.0396039604 = 0.8396039604.
 */
static void test_range_bearing(void)
{
    double x[4] = {700, -1000, 0, 0}, P[16];
    fx_diag4(P, 100, 100, 1, 1);
    struct bf_detection d = fx_det(BF_MEAS_RANGE_BEARING, 100, -200);
    double b = atan2(600.0, -800.0);
    BF_ASSERT_NEAR(b, 143.130102354 * DEG, 1e-9);
    d.z[0] = 1010;
    d.z[1] = b + 0.002;
    d.R[0][0] = 25;
    d.R[1][1] = 1e-6;

    double nu[3], S[9], H[12], R[9];
    int dim = 0;
    CU_ASSERT_EQUAL_FATAL(bf_innovation_h(x, P, &d, nu, S, H, R, &dim), 0);
    CU_ASSERT_EQUAL(dim, 2);
    BF_ASSERT_NEAR(nu[0], 10, 1e-9);
    BF_ASSERT_NEAR(nu[1], 0.002, 1e-12);
    const double Hw[8] = {0.6, -0.8, 0, 0, -8e-4, -6e-4, 0, 0};
    for (int i = 0; i < 8; i++)
        BF_ASSERT_NEAR(H[i], Hw[i], 1e-15);
    BF_ASSERT_NEAR(S[0], 125, 1e-9);
    BF_ASSERT_NEAR(S[1], 0, 1e-12);
    BF_ASSERT_NEAR(S[3], 1.01e-4, 1e-15);
    BF_ASSERT_NEAR(bf_mahalanobis2(nu, S, dim), 0.8396039604, 1e-9);
}

/*
 * Radial speed row.  Sensor (100, 100), track (400, 500) moving (4, 0):
 * dx = 300, dy = 400, r = 500, r^3 = 1.25e8.
 *   h3 = (dx ve + dy vn)/r = 1200/500 = 2.4 (receding: positive)
 *   H3 = ( dy (ve dy - vn dx)/r^3,  dx (vn dx - ve dy)/r^3,  dx/r, dy/r )
 *      = ( 400*1600/1.25e8,        300*(-1600)/1.25e8,      0.6,  0.8 )
 *      = ( 0.00512,                -0.00384,                 0.6,  0.8 )
 * z3 = 3.0 -> nu3 = 0.6.  P = I, R33 = 0.25:
 *   S33 = 0.00512^2 + 0.00384^2 + 0.36 + 0.64 + 0.25 = 1.250040960.
 * A target moving straight at the sensor (-3, -4) has h3 = -5.
 */
static void test_radial(void)
{
    double x[4] = {400, 500, 4, 0}, P[16];
    fx_diag4(P, 1, 1, 1, 1);
    struct bf_detection d = fx_det(BF_MEAS_RANGE_BEARING, 100, 100);
    d.flags = BF_DET_F_RADIAL;
    d.z[0] = 500;
    d.z[1] = atan2(300.0, 400.0);
    d.z[2] = 3.0;
    d.R[0][0] = 25;
    d.R[1][1] = 1e-4;
    d.R[2][2] = 0.25;

    double nu[3], S[9], H[12], R[9];
    int dim = 0;
    CU_ASSERT_EQUAL_FATAL(bf_innovation_h(x, P, &d, nu, S, H, R, &dim), 0);
    CU_ASSERT_EQUAL(dim, 3);
    BF_ASSERT_NEAR(nu[2], 0.6, 1e-12);
    BF_ASSERT_NEAR(H[8], 0.00512, 1e-15);
    BF_ASSERT_NEAR(H[9], -0.00384, 1e-15);
    BF_ASSERT_NEAR(H[10], 0.6, 1e-15);
    BF_ASSERT_NEAR(H[11], 0.8, 1e-15);
    BF_ASSERT_NEAR(S[8], 1.250040960, 1e-12);
    BF_ASSERT_NEAR(R[8], 0.25, 0);

    double xin[4] = {400, 500, -3, -4};
    CU_ASSERT_EQUAL_FATAL(bf_innovation(xin, P, &d, nu, S, &dim), 0);
    BF_ASSERT_NEAR(nu[2], 3.0 - (-5.0), 1e-12);
}

/* ---- BEARING ----------------------------------------------------------- */

/*
 * Camera at (0, 0), track 1000 m out at bearing 359 deg:
 * dx = 1000 sin 359 = -17.45240644, dy = 1000 cos 359 = 999.84769129.
 * Measured 1 deg: nu = 1 - 359 = -358 deg, wrapped +2 deg = 0.034906585.
 * H = (dy/r^2, -dx/r^2) = (9.9984769e-4, 1.7452406e-5), |H|^2 = 1/r^2 = 1e-6.
 * P = diag(100, 100, 1, 1), R = 1e-4: S = 100 * 1e-6 + 1e-4 = 2e-4.
 * K_pos = 100 H' / S = 5e5 H' = (499.92385, 8.72620);
 * x' = x + K nu = (-17.45240644 + 499.92385 * 0.034906585,
 *                  999.84769516 + 8.72620 * 0.034906585)
 *    = (-17.45240644 + 17.45063430, 999.84769516 + 0.30460195)
 *    = (-0.00177214, 1000.15229711): the track swings across north to bearing
 *    ~0 deg (half way, equal variances), not round the circle.
 * P'_ee = 100 - 100^2 H0^2 / S = 100 - 1e4 * 9.9969541e-7 / 2e-4 = 50.01523.
 */
static void test_bearing_wrap_north(void)
{
    double x[4] = {1000 * sin(359 * DEG), 1000 * cos(359 * DEG), 0, 0}, P[16];
    fx_diag4(P, 100, 100, 1, 1);
    struct bf_detection d = fx_det(BF_MEAS_BEARING, 0, 0);
    d.z[0] = 1 * DEG;
    d.R[0][0] = 1e-4;

    double nu[3], S[9], H[12], R[9];
    int dim = 0;
    CU_ASSERT_EQUAL_FATAL(bf_innovation_h(x, P, &d, nu, S, H, R, &dim), 0);
    CU_ASSERT_EQUAL(dim, 1);
    BF_ASSERT_NEAR(nu[0], 2 * DEG, 1e-12);
    BF_ASSERT_NEAR(H[0], 9.9984769e-4, 1e-11);
    BF_ASSERT_NEAR(H[1], 1.7452406e-5, 1e-12);
    BF_ASSERT_NEAR(H[2], 0, 0);
    BF_ASSERT_NEAR(H[3], 0, 0);
    BF_ASSERT_NEAR(S[0], 2e-4, 1e-15);
    /* d2 = nu^2 / S = 0.034906585^2 / 2e-4 = 6.0923484 */
    BF_ASSERT_NEAR(bf_mahalanobis2(nu, S, dim), 6.0923484, 1e-6);

    CU_ASSERT_EQUAL_FATAL(bf_update(x, P, &d), 0);
    BF_ASSERT_NEAR(x[0], -0.00177214, 1e-7);
    BF_ASSERT_NEAR(x[1], 1000.15229711, 1e-7);
    BF_ASSERT_NEAR(P[0], 50.01523, 1e-4);

    /* the other way round: predicted 1 deg, measured 359 deg -> -2 deg */
    double x2[4] = {1000 * sin(1 * DEG), 1000 * cos(1 * DEG), 0, 0};
    d.z[0] = 359 * DEG;
    CU_ASSERT_EQUAL_FATAL(bf_innovation(x2, P, &d, nu, S, &dim), 0);
    BF_ASSERT_NEAR(nu[0], -2 * DEG, 1e-12);
}

/*
 * At south, where atan2 itself wraps: predicted bearing 181 deg, which
 * atan2(dx, dy) returns as -179 deg; measured 179 deg: nu = 179 - (-179) =
 * 358 deg, wrapped -2 deg.  Predicted 179 deg, measured -179 deg (a sender's
 * signed bearing) or 181 deg: +2 deg.
 */
static void test_bearing_wrap_south(void)
{
    double P[16], nu[3], S[9];
    int dim;
    fx_diag4(P, 100, 100, 1, 1);
    struct bf_detection d = fx_det(BF_MEAS_BEARING, 50, 50);
    d.R[0][0] = 1e-4;
    double x[4] = {50 + 800 * sin(181 * DEG), 50 + 800 * cos(181 * DEG), 0, 0};
    d.z[0] = 179 * DEG;
    CU_ASSERT_EQUAL_FATAL(bf_innovation(x, P, &d, nu, S, &dim), 0);
    BF_ASSERT_NEAR(nu[0], -2 * DEG, 1e-12);

    double x2[4] = {50 + 800 * sin(179 * DEG), 50 + 800 * cos(179 * DEG), 0, 0};
    d.z[0] = -179 * DEG;
    CU_ASSERT_EQUAL_FATAL(bf_innovation(x2, P, &d, nu, S, &dim), 0);
    BF_ASSERT_NEAR(nu[0], 2 * DEG, 1e-12);
    d.z[0] = 181 * DEG;
    CU_ASSERT_EQUAL_FATAL(bf_innovation(x2, P, &d, nu, S, &dim), 0);
    BF_ASSERT_NEAR(nu[0], 2 * DEG, 1e-12);
}

/*
 * Camera 10 m above flat ground at (0, 0), target on the ground at (30, 40):
 * ground range g = 50, bearing atan2(30, 40) = 36.8699 deg,
 * elevation atan2(-10, 50) = -11.3099 deg.
 *   H_b  = (dy/g^2, -dx/g^2) = (40/2500, -30/2500) = (0.016, -0.012)
 *   H_el = (h dx/(g q), h dy/(g q)), q = g^2 + h^2 = 2600
 *        = (300/130000, 400/130000) = (0.0023076923, 0.0030769231)
 * z = (bearing, elevation - 0.001): nu = (0, -0.001).
 * P = diag(4, 4, 1, 1), R = diag(1e-4, 1e-6):
 *   S_bb = 4 (0.016^2 + 0.012^2) + 1e-4 = 4 * 4e-4 + 1e-4 = 1.7e-3
 *   S_ee = 4 (0.0023077^2 + 0.0030769^2) + 1e-6 = 4 * 1.4792899e-5 + 1e-6 = 6.0171598e-5
 *   S_be = 4 (0.016 * 0.0023077 - 0.012 * 0.0030769) = 4 * 0 = 0
 * The update moves the target outwards along the bearing: a lower (more
 * negative) elevation than predicted means nearer, so here (nu_el < 0) the
 * ground range shrinks: dx = K nu with K_pos = P H_el' / S_ee on that row:
 *   de = 4 * 0.0023077 * -0.001 / 6.0171598e-5 = -0.153407
 *   dn = 4 * 0.0030769 * -0.001 / 6.0171598e-5 = -0.204543
 * (0.6, 0.8) * -0.255678: 0.26 m nearer.  Check: d g/d el = h/sin^2(el) =
 * 10 * 26 = 260 m/rad, so -0.001 rad alone is -0.26 m; the prior of 2 m std
 * against 0.001 rad * 260 = 0.26 m measurement std keeps ~98.3 % of it.
 */
static void test_bearing_elevation(void)
{
    double x[4] = {30, 40, 0, 0}, P[16];
    fx_diag4(P, 4, 4, 1, 1);
    struct bf_detection d = fx_det(BF_MEAS_BEARING, 0, 0);
    d.flags = BF_DET_F_ELEVATION;
    d.sensor_height_m = 10;
    double el = atan2(-10.0, 50.0);
    BF_ASSERT_NEAR(el, -11.30993247 * DEG, 1e-9);
    d.z[0] = atan2(30.0, 40.0);
    d.z[1] = el - 0.001;
    d.R[0][0] = 1e-4;
    d.R[1][1] = 1e-6;

    double nu[3], S[9], H[12], R[9];
    int dim = 0;
    CU_ASSERT_EQUAL_FATAL(bf_innovation_h(x, P, &d, nu, S, H, R, &dim), 0);
    CU_ASSERT_EQUAL(dim, 2);
    BF_ASSERT_NEAR(nu[0], 0, 1e-12);
    BF_ASSERT_NEAR(nu[1], -0.001, 1e-12);
    const double Hw[8] = {0.016, -0.012, 0, 0, 0.0023076923, 0.0030769231, 0, 0};
    for (int i = 0; i < 8; i++)
        BF_ASSERT_NEAR(H[i], Hw[i], 1e-10);
    BF_ASSERT_NEAR(S[0], 1.7e-3, 1e-15);
    BF_ASSERT_NEAR(S[1], 0, 1e-15);
    BF_ASSERT_NEAR(S[3], 6.0171598e-5, 1e-12);

    CU_ASSERT_EQUAL_FATAL(bf_update(x, P, &d), 0);
    BF_ASSERT_NEAR(x[0], 30 - 0.153407, 1e-5);
    BF_ASSERT_NEAR(x[1], 40 - 0.204543, 1e-5);
}

/* ---- PRESENCE ---------------------------------------------------------- */

/*
 * Ground sensor at (0, 0), radius 200 m: z_eff = (0, 0), R = (200/2)^2 I =
 * 1e4 I.  Track at (500, 0) with P = diag(1e4, 1e4, 1, 1) (100 m std):
 *   nu = (0 - 500, 0 - 0) = (-500, 0), S = 2e4 I, d2 = 250000/2e4 = 12.5;
 *   K_pos = 1e4/2e4 = 0.5 I;  x' = (250, 0);  P'_pos = 5000 I (std 70.7 m);
 *   velocity untouched (no correlation).
 * The wide covariance shrinks toward the sensor.
 */
static void test_presence(void)
{
    double x[4] = {500, 0, 1, 2}, P[16];
    fx_diag4(P, 1e4, 1e4, 1, 1);
    struct bf_detection d = fx_det(BF_MEAS_PRESENCE, 0, 0);
    d.z[0] = 200;

    double nu[3], S[9], H[12], R[9];
    int dim = 0;
    CU_ASSERT_EQUAL_FATAL(bf_innovation_h(x, P, &d, nu, S, H, R, &dim), 0);
    CU_ASSERT_EQUAL(dim, 2);
    BF_ASSERT_NEAR(nu[0], -500, 1e-12);
    BF_ASSERT_NEAR(nu[1], 0, 1e-12);
    BF_ASSERT_NEAR(R[0], 1e4, 0);
    BF_ASSERT_NEAR(R[1], 0, 0);
    BF_ASSERT_NEAR(R[3], 1e4, 0);
    BF_ASSERT_NEAR(S[0], 2e4, 1e-9);
    BF_ASSERT_NEAR(S[3], 2e4, 1e-9);
    BF_ASSERT_NEAR(bf_mahalanobis2(nu, S, dim), 12.5, 1e-12);

    CU_ASSERT_EQUAL_FATAL(bf_update(x, P, &d), 0);
    BF_ASSERT_NEAR(x[0], 250, 1e-9);
    BF_ASSERT_NEAR(x[1], 0, 1e-9);
    BF_ASSERT_NEAR(x[2], 1, 1e-12);
    BF_ASSERT_NEAR(x[3], 2, 1e-12);
    BF_ASSERT_NEAR(P[0], 5000, 1e-9);
    BF_ASSERT_NEAR(P[5], 5000, 1e-9);
    BF_ASSERT_NEAR(P[1], 0, 1e-9);
    BF_ASSERT_NEAR(P[10], 1, 1e-12);
}

/* ---- Jacobians against central differences ----------------------------- */

/* Numerical dh/dx_k from nu(x - eps e_k) - nu(x + eps e_k) = h(x+) - h(x-). */
static void check_jacobian(const double x0[4], const struct bf_detection *d)
{
    double P[16], nu[3], S[9], H[12], R[9];
    int dim = 0;
    fx_diag4(P, 1, 1, 1, 1);
    CU_ASSERT_EQUAL_FATAL(bf_innovation_h(x0, P, d, nu, S, H, R, &dim), 0);
    for (int k = 0; k < 4; k++) {
        double xp[4], xm[4], np[3], nm[3];
        memcpy(xp, x0, sizeof xp);
        memcpy(xm, x0, sizeof xm);
        double eps = 1e-4 * fmax(1.0, fabs(x0[k]));
        xp[k] += eps;
        xm[k] -= eps;
        int dp, dm;
        CU_ASSERT_EQUAL_FATAL(bf_innovation(xp, P, d, np, S, &dp), 0);
        CU_ASSERT_EQUAL_FATAL(bf_innovation(xm, P, d, nm, S, &dm), 0);
        for (int i = 0; i < dim; i++) {
            double num = (nm[i] - np[i]) / (2 * eps);
            BF_ASSERT_NEAR(H[i * 4 + k], num, 1e-7 * fmax(1.0, fabs(num)));
        }
    }
}

static void test_jacobians_numeric(void)
{
    const double x[4] = {-1234.5, 2345.25, 3.5, -7.25};
    struct bf_detection d = fx_det(BF_MEAS_RANGE_BEARING, 210, -75);
    d.flags = BF_DET_F_RADIAL;
    d.z[0] = 2000;
    d.z[1] = 5.5;
    d.R[0][0] = d.R[1][1] = d.R[2][2] = 1;
    check_jacobian(x, &d);

    d = fx_det(BF_MEAS_BEARING, 210, -75);
    d.flags = BF_DET_F_ELEVATION;
    d.sensor_height_m = 35;
    d.z[0] = 5.5;
    d.z[1] = -0.02;
    d.R[0][0] = d.R[1][1] = 1e-4;
    check_jacobian(x, &d);

    d = fx_det(BF_MEAS_PRESENCE, 210, -75);
    d.z[0] = 300;
    check_jacobian(x, &d);
}

/* ---- initiation -------------------------------------------------------- */

/*
 * Camera 10 m up at (1000, 2000), bearing 36.8699 deg (sin 0.6, cos 0.8),
 * elevation atan2(-10, 50): ground range g = 10 / tan(11.3099 deg) = 50,
 * position (1000 + 30, 2000 + 40).
 * dg/del = h / sin^2(el) = 10 / (100/2600) = 260.
 * J = | g cos b   sin b dg | = |  40  156 |,  R = diag(1e-4, 1e-6):
 *     |-g sin b   cos b dg |   | -30  208 |
 *   C_ee = 1600e-4 + 156^2 1e-6 = 0.16 + 0.024336 = 0.184336
 *   C_nn =  900e-4 + 208^2 1e-6 = 0.09 + 0.043264 = 0.133264
 *   C_en = -1200e-4 + 156*208 1e-6 = -0.12 + 0.032448 = -0.087552
 * And a 45 deg look-down from 20 m puts the target 20 m out.
 */
static void test_locate_bearing_elevation(void)
{
    struct bf_detection d = fx_det(BF_MEAS_BEARING, 1000, 2000);
    d.flags = BF_DET_F_ELEVATION;
    d.sensor_height_m = 10;
    d.z[0] = atan2(0.6, 0.8);
    d.z[1] = atan2(-10.0, 50.0);
    d.R[0][0] = 1e-4;
    d.R[1][1] = 1e-6;
    double pos[2], C[4];
    CU_ASSERT_EQUAL_FATAL(bf_meas_locate(&d, pos, C), 0);
    BF_ASSERT_NEAR(pos[0], 1030, 1e-9);
    BF_ASSERT_NEAR(pos[1], 2040, 1e-9);
    BF_ASSERT_NEAR(C[0], 0.184336, 1e-12);
    BF_ASSERT_NEAR(C[3], 0.133264, 1e-12);
    BF_ASSERT_NEAR(C[1], -0.087552, 1e-12);
    BF_ASSERT_NEAR(C[2], -0.087552, 1e-12);

    d.sensor_height_m = 20;
    d.z[0] = 90 * DEG;
    d.z[1] = -45 * DEG;
    CU_ASSERT_EQUAL_FATAL(bf_meas_locate(&d, pos, C), 0);
    BF_ASSERT_NEAR(pos[0], 1020, 1e-9);
    BF_ASSERT_NEAR(pos[1], 2000, 1e-9);
}

/*
 * POSITION: pos = z, C = R.  RANGE_BEARING from (1000, 2000), r = 500 at
 * 90 deg: (1500, 2000), J = | sin b  r cos b | = | 1    0 |, R = diag(100, 1e-4):
 *                           | cos b -r sin b |   | 0 -500 |
 * C = diag(100, 25); bf_initiate gives the same position block.
 */
static void test_locate_position_range_bearing(void)
{
    double pos[2], C[4], x[4], P[16];
    struct bf_detection d = fx_det(BF_MEAS_POSITION, NAN, NAN);   /* sensor unused */
    d.z[0] = 10;
    d.z[1] = -20;
    d.R[0][0] = 4;
    d.R[0][1] = d.R[1][0] = 1;
    d.R[1][1] = 9;
    CU_ASSERT_EQUAL_FATAL(bf_meas_locate(&d, pos, C), 0);
    BF_ASSERT_NEAR(pos[0], 10, 0);
    BF_ASSERT_NEAR(pos[1], -20, 0);
    BF_ASSERT_NEAR(C[0], 4, 0);
    BF_ASSERT_NEAR(C[1], 1, 0);
    BF_ASSERT_NEAR(C[2], 1, 0);
    BF_ASSERT_NEAR(C[3], 9, 0);

    d = fx_det(BF_MEAS_RANGE_BEARING, 1000, 2000);
    d.z[0] = 500;
    d.z[1] = 90 * DEG;
    d.R[0][0] = 100;
    d.R[1][1] = 1e-4;
    CU_ASSERT_EQUAL_FATAL(bf_meas_locate(&d, pos, C), 0);
    BF_ASSERT_NEAR(pos[0], 1500, 1e-9);
    BF_ASSERT_NEAR(pos[1], 2000, 1e-9);
    BF_ASSERT_NEAR(C[0], 100, 1e-9);
    BF_ASSERT_NEAR(C[3], 25, 1e-9);
    BF_ASSERT_NEAR(C[1], 0, 1e-9);
    CU_ASSERT_EQUAL_FATAL(bf_initiate(&d, 2.0, x, P), 0);
    CU_ASSERT(x[0] == pos[0] && x[1] == pos[1]);
    CU_ASSERT(P[0] == C[0] && P[1] == C[1] && P[4] == C[2] && P[5] == C[3]);
    BF_ASSERT_NEAR(P[10], 4, 0);
}

/* What cannot start a track says so (BF_ENOTSUP); broken input is BF_EINVAL. */
static void test_locate_refusals(void)
{
    double pos[2] = {7, 7}, C[4] = {7, 7, 7, 7};
    struct bf_detection d = fx_det(BF_MEAS_BEARING, 0, 0);
    d.z[0] = 1.0;
    d.R[0][0] = 1e-4;
    CU_ASSERT_EQUAL(bf_meas_locate(&d, pos, C), BF_ENOTSUP);     /* a ray, no range */

    d.flags = BF_DET_F_ELEVATION;
    d.sensor_height_m = 10;
    d.z[1] = 0.0;
    d.R[1][1] = 1e-6;
    CU_ASSERT_EQUAL(bf_meas_locate(&d, pos, C), BF_ENOTSUP);     /* on the horizon */
    d.z[1] = 0.05;
    CU_ASSERT_EQUAL(bf_meas_locate(&d, pos, C), BF_ENOTSUP);     /* looking up */
    d.z[1] = -0.05;
    d.sensor_height_m = 0;
    CU_ASSERT_EQUAL(bf_meas_locate(&d, pos, C), BF_EINVAL);      /* elevation, no height */
    d.sensor_height_m = NAN;
    CU_ASSERT_EQUAL(bf_meas_locate(&d, pos, C), BF_EINVAL);
    d.sensor_height_m = 10;
    d.R[1][1] = 0;
    CU_ASSERT_EQUAL(bf_meas_locate(&d, pos, C), BF_EINVAL);      /* zero variance */

    d = fx_det(BF_MEAS_PRESENCE, 0, 0);
    d.z[0] = 50;
    CU_ASSERT_EQUAL(bf_meas_locate(&d, pos, C), BF_ENOTSUP);     /* a disc */
    d.z[0] = 0;
    CU_ASSERT_EQUAL(bf_meas_locate(&d, pos, C), BF_EINVAL);      /* no radius */
    d.z[0] = 50;
    d.sensor_n_m = INFINITY;
    CU_ASSERT_EQUAL(bf_meas_locate(&d, pos, C), BF_EINVAL);

    d = fx_det(99, 0, 0);
    CU_ASSERT_EQUAL(bf_meas_locate(&d, pos, C), BF_EINVAL);
    CU_ASSERT_EQUAL(bf_meas_locate(NULL, pos, C), BF_EINVAL);
    d = fx_det(BF_MEAS_PRESENCE, 0, 0);
    d.z[0] = 50;
    CU_ASSERT_EQUAL(bf_meas_locate(&d, NULL, C), BF_EINVAL);

    /* nothing written on refusal */
    CU_ASSERT(pos[0] == 7 && pos[1] == 7 && C[0] == 7 && C[3] == 7);
    CU_ASSERT_STRING_NOT_EQUAL(bf_strerror(BF_ENOTSUP), bf_strerror(-999));
}

/* ---- bad input to the new models --------------------------------------- */

static void test_bad_input(void)
{
    double x[4] = {100, 100, 0, 0}, P[16], nu[3], S[9];
    int dim;
    fx_diag4(P, 10, 10, 1, 1);

    /* bearing from a sensor sitting on the track: no Jacobian */
    struct bf_detection d = fx_det(BF_MEAS_BEARING, 100, 100);
    d.z[0] = 0.5;
    d.R[0][0] = 1e-4;
    CU_ASSERT_EQUAL(bf_innovation(x, P, &d, nu, S, &dim), BF_EINVAL);
    CU_ASSERT_EQUAL(bf_update(x, P, &d), BF_EINVAL);
    /* non-finite bearing, non-finite sensor position */
    d = fx_det(BF_MEAS_BEARING, 0, 0);
    d.z[0] = NAN;
    d.R[0][0] = 1e-4;
    CU_ASSERT_EQUAL(bf_update(x, P, &d), BF_EINVAL);
    d.z[0] = 0.5;
    d.sensor_e_m = NAN;
    CU_ASSERT_EQUAL(bf_update(x, P, &d), BF_EINVAL);
    /* elevation without a height */
    d = fx_det(BF_MEAS_BEARING, 0, 0);
    d.flags = BF_DET_F_ELEVATION;
    d.z[0] = 0.5;
    d.z[1] = -0.1;
    d.R[0][0] = d.R[1][1] = 1e-4;
    CU_ASSERT_EQUAL(bf_update(x, P, &d), BF_EINVAL);
    d.sensor_height_m = -5;
    CU_ASSERT_EQUAL(bf_update(x, P, &d), BF_EINVAL);
    d.sensor_height_m = 5;
    d.R[0][1] = NAN;
    CU_ASSERT_EQUAL(bf_update(x, P, &d), BF_EINVAL);
    /* presence: radius <= 0 or not finite */
    d = fx_det(BF_MEAS_PRESENCE, 0, 0);
    d.z[0] = -1;
    CU_ASSERT_EQUAL(bf_update(x, P, &d), BF_EINVAL);
    d.z[0] = INFINITY;
    CU_ASSERT_EQUAL(bf_update(x, P, &d), BF_EINVAL);

    /* every refusal left the state alone */
    CU_ASSERT(x[0] == 100 && x[1] == 100 && x[2] == 0 && x[3] == 0);
    CU_ASSERT(P[0] == 10 && P[5] == 10 && P[10] == 1 && P[1] == 0);
}

/* ---- consistency -------------------------------------------------------- */

/*
 * EKF consistency of the camera model: a target at 50 m (bearing 0.5 deg std,
 * elevation 0.2 deg std, height 8 m) initiated from its first look and updated
 * by 9 more of a static target; over 400 seeded runs the mean normalised
 * estimation error squared of the position, (x - truth)' P^-1 (x - truth),
 * must be near its degrees of freedom, 2 (chi-square mean; 400 runs give a
 * standard error of 2/sqrt(400) = 0.1, so [1.6, 2.5] is a wide band that a
 * linearisation error of a few tens of percent would still leave).
 */
static void test_camera_consistency(void)
{
    uint64_t seed = 4242;
    const double h = 8, se = 0.5 * DEG, sl = 0.2 * DEG;
    const double te = 30, tn = -40;   /* truth, camera at the origin */
    double nees = 0;
    const int runs = 400;
    for (int k = 0; k < runs; k++) {
        struct bf_detection d = fx_det(BF_MEAS_BEARING, 0, 0);
        d.flags = BF_DET_F_ELEVATION;
        d.sensor_height_m = h;
        d.R[0][0] = se * se;
        d.R[1][1] = sl * sl;
        double x[4] = {0}, P[16];
        for (int i = 0; i < 10; i++) {
            d.z[0] = atan2(te, tn) + se * fx_rng_normal(&seed);
            d.z[1] = atan2(-h, hypot(te, tn)) + sl * fx_rng_normal(&seed);
            if (i == 0) {
                double pos[2], C[4];
                CU_ASSERT_EQUAL_FATAL(bf_meas_locate(&d, pos, C), 0);
                fx_diag4(P, 0, 0, 1e-6, 1e-6);   /* static target, known */
                x[0] = pos[0];
                x[1] = pos[1];
                P[0] = C[0];
                P[1] = P[4] = C[1];
                P[5] = C[3];
            } else {
                CU_ASSERT_EQUAL_FATAL(bf_update(x, P, &d), 0);
            }
        }
        double ex = x[0] - te, ey = x[1] - tn;
        double det2 = P[0] * P[5] - P[1] * P[4];
        nees += (P[5] * ex * ex - 2 * P[1] * ex * ey + P[0] * ey * ey) / det2;
    }
    nees /= runs;
    CU_ASSERT(nees > 1.6 && nees < 2.5);
}

static CU_TestInfo tests[] = {
    {"POSITION update, by hand", test_position},
    {"RANGE_BEARING innovation and Jacobian, by hand", test_range_bearing},
    {"radial speed h and Jacobian, by hand", test_radial},
    {"bearing-only wraps across north", test_bearing_wrap_north},
    {"bearing-only wraps across south (+-180)", test_bearing_wrap_south},
    {"bearing + elevation with camera height, by hand", test_bearing_elevation},
    {"presence shrinks toward the sensor, by hand", test_presence},
    {"Jacobians match central differences", test_jacobians_numeric},
    {"locate: bearing + elevation gives range", test_locate_bearing_elevation},
    {"locate: position and range-bearing", test_locate_position_range_bearing},
    {"locate: BF_ENOTSUP and BF_EINVAL", test_locate_refusals},
    {"bad input to the new models", test_bad_input},
    {"camera EKF is consistent (NEES)", test_camera_consistency},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"updaters", NULL, NULL, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

int main(void)
{
    return bf_test_main(suites);
}
