/*
 * test_tracks.c - the predictor, the updaters and the initiator against
 * numbers worked out by hand, a simulated constant-velocity target the filter
 * must converge on, and the bad inputs that must be refused.
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

/* ---- predictor --------------------------------------------------------- */

/*
 * x = (1, 2, 3, 4), P = I, dt = 2, q_accel = 0.5 -> q = 0.25.
 * F P F' = | 1+dt^2  0      dt  0  |   | 5 0 2 0 |
 *          | 0      1+dt^2  0   dt | = | 0 5 0 2 |
 *          | dt     0       1   0  |   | 2 0 1 0 |
 *          | 0      dt      0   1  |   | 0 2 0 1 |
 * Q: pos q dt^3/3 = 0.25*8/3 = 0.666667; pos-vel q dt^2/2 = 0.5; vel q dt = 0.5.
 * P' = | 5.666667 0 2.5 0 | ... ; x' = (1+2*3, 2+2*4, 3, 4) = (7, 10, 3, 4).
 */
static void test_predict_hand(void)
{
    double x[4] = {1, 2, 3, 4}, P[16], xo[4], Po[16];
    fx_diag4(P, 1, 1, 1, 1);
    bf_predict_cv(x, P, 2.0, 0.5, xo, Po);
    BF_ASSERT_NEAR(xo[0], 7.0, 1e-12);
    BF_ASSERT_NEAR(xo[1], 10.0, 1e-12);
    BF_ASSERT_NEAR(xo[2], 3.0, 1e-12);
    BF_ASSERT_NEAR(xo[3], 4.0, 1e-12);
    const double want[16] = {
        5 + 2.0 / 3.0, 0, 2.5, 0,
        0, 5 + 2.0 / 3.0, 0, 2.5,
        2.5, 0, 1.5, 0,
        0, 2.5, 0, 1.5,
    };
    for (int i = 0; i < 16; i++)
        BF_ASSERT_NEAR(Po[i], want[i], 1e-12);

    /* In place gives the same; two steps of 1 s equal one step of 2 s. */
    double xi[4] = {1, 2, 3, 4}, Pi[16];
    fx_diag4(Pi, 1, 1, 1, 1);
    bf_predict_cv(xi, Pi, 1.0, 0.5, xi, Pi);
    bf_predict_cv(xi, Pi, 1.0, 0.5, xi, Pi);
    for (int i = 0; i < 4; i++)
        BF_ASSERT_NEAR(xi[i], xo[i], 1e-12);
    for (int i = 0; i < 16; i++)
        BF_ASSERT_NEAR(Pi[i], Po[i], 1e-12);

    /* dt = 0 changes nothing; a NaN dt is taken as 0. */
    bf_predict_cv(x, P, 0.0, 0.5, xo, Po);
    CU_ASSERT(memcmp(xo, x, sizeof x) == 0);
    CU_ASSERT(memcmp(Po, P, sizeof P) == 0);
    bf_predict_cv(x, P, NAN, 0.5, xo, Po);
    CU_ASSERT(memcmp(xo, x, sizeof x) == 0);
}

/* ---- POSITION update --------------------------------------------------- */

/*
 * x = (0, 0, 1, 0);  P = | 4 1 2 0 |   R = | 1 0 |   z = (2, 4)
 *                        | 1 3 0 0 |       | 0 2 |
 *                        | 2 0 2 0 |
 *                        | 0 0 0 1 |
 * nu = (2, 4);  S = P_pos + R = | 5 1 |, |S| = 24, S^-1 = | 5 -1 | / 24
 *                               | 1 5 |                   |-1  5 |
 * d2 = nu' S^-1 nu = (2*6 + 4*18)/24 = 3.5
 * K = P H' S^-1:  row e  = [4 1] S^-1 = [19  1]/24
 *                 row n  = [1 3] S^-1 = [ 2 14]/24
 *                 row ve = [2 0] S^-1 = [10 -2]/24
 *                 row vn = [0 0]      = [ 0  0]
 * x' = x + K nu = (42/24, 60/24, 1 + 12/24, 0) = (1.75, 2.5, 1.5, 0)
 * P' = P - K S K' = P - P H' S^-1 H P:
 *   P'ee = 4 - [4 1]S^-1[4 1]' = 4 - 77/24  = 19/24
 *   P'en = 1 - [4 1]S^-1[1 3]' = 1 - 22/24  =  2/24
 *   P'nn = 3 - [1 3]S^-1[1 3]' = 3 - 44/24  = 28/24
 *   P'e,ve = 2 - [4 1]S^-1[2 0]' = 2 - 38/24 = 10/24
 *   P'n,ve = 0 - [1 3]S^-1[2 0]' = -4/24
 *   P've,ve = 2 - [2 0]S^-1[2 0]' = 2 - 20/24 = 28/24
 *   rows/cols of vn unchanged (1 on its diagonal, 0 elsewhere).
 */
static void test_update_position_hand(void)
{
    double x[4] = {0, 0, 1, 0};
    double P[16] = {4, 1, 2, 0, 1, 3, 0, 0, 2, 0, 2, 0, 0, 0, 0, 1};
    struct bf_detection d = fx_pos_det(2, 4, 1, 0, 2);

    double nu[3], S[9];
    int dim = 0;
    CU_ASSERT_EQUAL(bf_innovation(x, P, &d, nu, S, &dim), 0);
    CU_ASSERT_EQUAL(dim, 2);
    BF_ASSERT_NEAR(nu[0], 2.0, 1e-12);
    BF_ASSERT_NEAR(nu[1], 4.0, 1e-12);
    BF_ASSERT_NEAR(S[0], 5.0, 1e-12);
    BF_ASSERT_NEAR(S[1], 1.0, 1e-12);
    BF_ASSERT_NEAR(S[2], 1.0, 1e-12);
    BF_ASSERT_NEAR(S[3], 5.0, 1e-12);
    BF_ASSERT_NEAR(bf_mahalanobis2(nu, S, dim), 3.5, 1e-12);

    CU_ASSERT_EQUAL(bf_update(x, P, &d), 0);
    BF_ASSERT_NEAR(x[0], 1.75, 1e-12);
    BF_ASSERT_NEAR(x[1], 2.5, 1e-12);
    BF_ASSERT_NEAR(x[2], 1.5, 1e-12);
    BF_ASSERT_NEAR(x[3], 0.0, 1e-12);
    const double want[16] = {
        19.0 / 24, 2.0 / 24, 10.0 / 24, 0,
        2.0 / 24, 28.0 / 24, -4.0 / 24, 0,
        10.0 / 24, -4.0 / 24, 28.0 / 24, 0,
        0, 0, 0, 1,
    };
    for (int i = 0; i < 16; i++)
        BF_ASSERT_NEAR(P[i], want[i], 1e-12);
    for (int i = 0; i < 4; i++) {
        for (int j = 0; j < 4; j++)
            CU_ASSERT(P[i * 4 + j] == P[j * 4 + i]);   /* exactly symmetric */
    }
}

/* ---- RANGE_BEARING update ---------------------------------------------- */

/*
 * Sensor at (0, 0), track at (300, 400): r = 500, b = atan2(300, 400).
 * H_r = (dx/r, dy/r) = (0.6, 0.8);  H_b = (dy/r^2, -dx/r^2) = (0.0016, -0.0012).
 * P = diag(100, 100, 1, 1), R = diag(25, 1e-4):
 *   S_rr = 100*(0.36+0.64) + 25 = 125
 *   S_bb = 100*(0.0016^2 + 0.0012^2) + 1e-4 = 5e-4
 *   S_rb = 100*(0.6*0.0016 - 0.8*0.0012) = 0
 * z = (510, b + 0.01): nu = (10, 0.01).
 * K_pos = 100 H' S^-1: column r = (0.48, 0.64), column b = (320, -240)
 * x' = (300 + 4.8 + 3.2, 400 + 6.4 - 2.4) = (308, 404), velocity unchanged.
 * P'ee = 100 - 125*0.48^2 - 5e-4*320^2 = 100 - 28.8 - 51.2 = 20
 * P'nn = 100 - 125*0.64^2 - 5e-4*240^2 = 100 - 51.2 - 28.8 = 20
 * P'en = -125*0.48*0.64 + 5e-4*320*240 = -38.4 + 38.4 = 0
 */
static void test_update_range_bearing_hand(void)
{
    double x[4] = {300, 400, 0, 0}, P[16];
    fx_diag4(P, 100, 100, 1, 1);
    double b = atan2(300.0, 400.0);
    struct bf_detection d = fx_rb_det(0, 0, 510, b + 0.01, 25, 1e-4);

    double nu[3], S[9];
    int dim = 0;
    CU_ASSERT_EQUAL(bf_innovation(x, P, &d, nu, S, &dim), 0);
    CU_ASSERT_EQUAL(dim, 2);
    BF_ASSERT_NEAR(nu[0], 10.0, 1e-9);
    BF_ASSERT_NEAR(nu[1], 0.01, 1e-12);
    BF_ASSERT_NEAR(S[0], 125.0, 1e-9);
    BF_ASSERT_NEAR(S[1], 0.0, 1e-12);
    BF_ASSERT_NEAR(S[3], 5e-4, 1e-12);
    /* d2 = 100/125 + 1e-4/5e-4 = 0.8 + 0.2 */
    BF_ASSERT_NEAR(bf_mahalanobis2(nu, S, dim), 1.0, 1e-9);

    CU_ASSERT_EQUAL(bf_update(x, P, &d), 0);
    BF_ASSERT_NEAR(x[0], 308.0, 1e-6);
    BF_ASSERT_NEAR(x[1], 404.0, 1e-6);
    BF_ASSERT_NEAR(x[2], 0.0, 1e-12);
    BF_ASSERT_NEAR(x[3], 0.0, 1e-12);
    BF_ASSERT_NEAR(P[0], 20.0, 1e-6);
    BF_ASSERT_NEAR(P[5], 20.0, 1e-6);
    BF_ASSERT_NEAR(P[1], 0.0, 1e-6);
    BF_ASSERT_NEAR(P[10], 1.0, 1e-12);
    BF_ASSERT_NEAR(P[15], 1.0, 1e-12);
}

/*
 * With a radial speed row: track at (300, 400) moving (4, -3) (tangential):
 * rr = (300*4 - 400*3)/500 = 0;
 * H_rr = (dy(ve dy - vn dx)/r^3, dx(vn dx - ve dy)/r^3, dx/r, dy/r)
 *      = (400*2500/1.25e8, 300*(-2500)/1.25e8, 0.6, 0.8) = (0.008, -0.006, 0.6, 0.8)
 * P = I, R = diag(25, 1e-4, 0.25):
 *   S_33 = 0.008^2 + 0.006^2 + 0.36 + 0.64 + 0.25 = 1.2501
 *   S_13 = 0.6*0.008 - 0.8*0.006 = 0
 *   S_23 = 0.0016*0.008 + 0.0012*0.006 = 2e-5
 *   S_11 = 1 + 25 = 26, S_22 = 0.0016^2 + 0.0012^2 + 1e-4 = 1.04e-4
 * z_rr = 0.5 -> nu_rr = 0.5.
 */
static void test_range_bearing_radial_jacobian(void)
{
    double x[4] = {300, 400, 4, -3}, P[16];
    fx_diag4(P, 1, 1, 1, 1);
    struct bf_detection d = fx_rb_det(0, 0, 500, atan2(300.0, 400.0), 25, 1e-4);
    d.flags = BF_DET_F_RADIAL;
    d.z[2] = 0.5;
    d.R[2][2] = 0.25;
    double nu[3], S[9];
    int dim = 0;
    CU_ASSERT_EQUAL(bf_innovation(x, P, &d, nu, S, &dim), 0);
    CU_ASSERT_EQUAL(dim, 3);
    BF_ASSERT_NEAR(nu[2], 0.5, 1e-12);
    BF_ASSERT_NEAR(S[0 * 3 + 0], 26.0, 1e-9);
    BF_ASSERT_NEAR(S[1 * 3 + 1], 1.04e-4, 1e-12);
    BF_ASSERT_NEAR(S[2 * 3 + 2], 1.2501, 1e-12);
    BF_ASSERT_NEAR(S[0 * 3 + 2], 0.0, 1e-12);
    BF_ASSERT_NEAR(S[1 * 3 + 2], 2e-5, 1e-15);
    BF_ASSERT_NEAR(S[2 * 3 + 1], 2e-5, 1e-15);

    /* The update moves the velocity along the radial direction (0.6, 0.8):
     * K_v = P H_rr' / S_33 restricted to velocity = (0.6, 0.8)/1.2501 (other
     * rows' contributions to velocity are 0 because P = I and H_r, H_b have
     * no velocity part), so dv ~= (0.6, 0.8) * 0.5/1.2501 up to the small
     * r/b cross terms. */
    CU_ASSERT_EQUAL(bf_update(x, P, &d), 0);
    BF_ASSERT_NEAR(x[2] - 4.0, 0.6 * 0.5 / 1.2501, 2e-3);
    BF_ASSERT_NEAR(x[3] + 3.0, 0.8 * 0.5 / 1.2501, 2e-3);
}

/* A track at bearing 359.5 deg, a detection at 0.5 deg: innovation +1 deg. */
static void test_bearing_wrap(void)
{
    double r = 1000;
    double x[4] = {r * sin(359.5 * DEG), r * cos(359.5 * DEG), 0, 0}, P[16];
    fx_diag4(P, 25, 25, 1, 1);
    struct bf_detection d = fx_rb_det(0, 0, r, 0.5 * DEG, 25, 1e-6);
    double nu[3], S[9];
    int dim;
    CU_ASSERT_EQUAL(bf_innovation(x, P, &d, nu, S, &dim), 0);
    BF_ASSERT_NEAR(nu[1], 1.0 * DEG, 1e-9);
    BF_ASSERT_NEAR(nu[0], 0.0, 1e-9);

    /* and the other way round: track at 0.5 deg, detection at 359.5 deg */
    double x2[4] = {r * sin(0.5 * DEG), r * cos(0.5 * DEG), 0, 0};
    d.z[1] = 359.5 * DEG;
    CU_ASSERT_EQUAL(bf_innovation(x2, P, &d, nu, S, &dim), 0);
    BF_ASSERT_NEAR(nu[1], -1.0 * DEG, 1e-9);

    /* The update pulls the track across north, not around the circle. */
    double P2[16];
    memcpy(P2, P, sizeof P2);
    CU_ASSERT_EQUAL(bf_update(x2, P2, &d), 0);
    CU_ASSERT(x2[0] < r * sin(0.5 * DEG));
    CU_ASSERT(fabs(x2[0]) < 20.0);
    BF_ASSERT_NEAR(x2[1], r, 1.0);
}

/*
 * A target at constant velocity, POSITION detections with sigma 5 m every
 * second from a seeded source.  After 50 updates the filter's position error
 * is inside 3 of its own standard deviations and the velocity is within
 * 0.2 m/s.  With q_accel = 0.01 the filter is close to least squares, whose
 * velocity std for 50 points at 1 s is 5*sqrt(12/50^3) ~= 0.05 m/s, so
 * 0.2 m/s is about 4 sigma (over 2000 seeds the largest error was 0.18).
 */
static void test_converges_cv(void)
{
    uint64_t seed = 12345;
    const double sigma = 5.0, ve = 3.0, vn = -1.5;
    double te = 100, tn = -200;
    struct bf_detection d = fx_pos_det(te + sigma * fx_rng_normal(&seed), tn + sigma * fx_rng_normal(&seed),
                                    sigma * sigma, 0, sigma * sigma);
    double x[4], P[16];
    CU_ASSERT_EQUAL_FATAL(bf_initiate(&d, 5.0, x, P), 0);
    for (int k = 1; k <= 50; k++) {
        te += ve;
        tn += vn;
        bf_predict_cv(x, P, 1.0, 0.01, x, P);
        d.z[0] = te + sigma * fx_rng_normal(&seed);
        d.z[1] = tn + sigma * fx_rng_normal(&seed);
        CU_ASSERT_EQUAL_FATAL(bf_update(x, P, &d), 0);
    }
    CU_ASSERT(fabs(x[0] - te) < 3 * sqrt(P[0]));
    CU_ASSERT(fabs(x[1] - tn) < 3 * sqrt(P[5]));
    CU_ASSERT(sqrt(P[0]) < sigma);            /* smoothing beats one detection */
    CU_ASSERT(fabs(x[2] - ve) < 0.2);
    CU_ASSERT(fabs(x[3] - vn) < 0.2);
    CU_ASSERT(sqrt(P[10]) < 0.2);
}

/* Range-bearing detections converge as well (EKF over 40 scans). */
static void test_converges_range_bearing(void)
{
    uint64_t seed = 777;
    const double sr = 10.0, sb = 0.3 * DEG;
    double te = 2000, tn = 3000, ve = -4.0, vn = 2.0;
    double r0 = hypot(te, tn), b0 = atan2(te, tn);
    struct bf_detection d = fx_rb_det(0, 0, r0 + sr * fx_rng_normal(&seed), b0 + sb * fx_rng_normal(&seed),
                                   sr * sr, sb * sb);
    double x[4], P[16];
    CU_ASSERT_EQUAL_FATAL(bf_initiate(&d, 5.0, x, P), 0);
    for (int k = 1; k <= 40; k++) {
        te += ve;
        tn += vn;
        bf_predict_cv(x, P, 1.0, 0.05, x, P);
        d.z[0] = hypot(te, tn) + sr * fx_rng_normal(&seed);
        d.z[1] = fmod(atan2(te, tn) + sb * fx_rng_normal(&seed) + 2 * M_PI, 2 * M_PI);
        CU_ASSERT_EQUAL_FATAL(bf_update(x, P, &d), 0);
    }
    CU_ASSERT(fabs(x[0] - te) < 3 * sqrt(P[0]));
    CU_ASSERT(fabs(x[1] - tn) < 3 * sqrt(P[5]));
    CU_ASSERT(fabs(x[2] - ve) < 3 * sqrt(P[10]) + 0.05);
    CU_ASSERT(fabs(x[3] - vn) < 3 * sqrt(P[15]) + 0.05);
    CU_ASSERT(fabs(x[2] - ve) < 1.0);
    CU_ASSERT(fabs(x[3] - vn) < 1.0);
}

/* ---- initiator --------------------------------------------------------- */

static void test_initiate(void)
{
    double x[4], P[16];
    /* POSITION: the position and R as its covariance. */
    struct bf_detection d = fx_pos_det(10, -20, 4, 1, 9);
    CU_ASSERT_EQUAL(bf_initiate(&d, 5.0, x, P), 0);
    BF_ASSERT_NEAR(x[0], 10, 0);
    BF_ASSERT_NEAR(x[1], -20, 0);
    BF_ASSERT_NEAR(x[2], 0, 0);
    BF_ASSERT_NEAR(P[0], 4, 0);
    BF_ASSERT_NEAR(P[1], 1, 0);
    BF_ASSERT_NEAR(P[4], 1, 0);
    BF_ASSERT_NEAR(P[5], 9, 0);
    BF_ASSERT_NEAR(P[10], 25, 0);
    BF_ASSERT_NEAR(P[15], 25, 0);
    BF_ASSERT_NEAR(P[2], 0, 0);

    /* Sensor (1000, 2000), r = 500 at 90 deg (due east): (1500, 2000).
     * J = |sin b  r cos b| = |1    0| ; R = diag(100, 1e-4)
     *     |cos b -r sin b|   |0 -500|
     * P_ee = 100, P_nn = 500^2 * 1e-4 = 25, P_en = 0. */
    d = fx_rb_det(1000, 2000, 500, 90 * DEG, 100, 1e-4);
    CU_ASSERT_EQUAL(bf_initiate(&d, 2.0, x, P), 0);
    BF_ASSERT_NEAR(x[0], 1500, 1e-9);
    BF_ASSERT_NEAR(x[1], 2000, 1e-9);
    BF_ASSERT_NEAR(P[0], 100, 1e-9);
    BF_ASSERT_NEAR(P[5], 25, 1e-9);
    BF_ASSERT_NEAR(P[1], 0, 1e-9);
    BF_ASSERT_NEAR(P[10], 4, 0);

    /* r = 100 at 45 deg, R = diag(4, 1e-4), s = c = sqrt(1/2):
     * P_ee = s^2*4 + r^2 c^2 1e-4 = 2 + 0.5 = 2.5; P_nn = 2.5;
     * P_en = s c 4 - r^2 s c 1e-4 = 2 - 0.5 = 1.5. */
    d = fx_rb_det(0, 0, 100, 45 * DEG, 4, 1e-4);
    CU_ASSERT_EQUAL(bf_initiate(&d, 2.0, x, P), 0);
    BF_ASSERT_NEAR(x[0], 100 * sqrt(0.5), 1e-9);
    BF_ASSERT_NEAR(x[1], 100 * sqrt(0.5), 1e-9);
    BF_ASSERT_NEAR(P[0], 2.5, 1e-12);
    BF_ASSERT_NEAR(P[5], 2.5, 1e-12);
    BF_ASSERT_NEAR(P[1], 1.5, 1e-12);
    BF_ASSERT_NEAR(P[4], 1.5, 1e-12);
}

/* ---- bad input --------------------------------------------------------- */

static void test_bad_input(void)
{
    double x[4] = {100, 100, 0, 0}, P[16], nu[3], S[9];
    int dim;
    fx_diag4(P, 10, 10, 1, 1);
    double x0[4], P0[16];
    memcpy(x0, x, sizeof x);
    memcpy(P0, P, sizeof P);

    struct bf_detection d = fx_pos_det(NAN, 0, 1, 0, 1);
    CU_ASSERT_EQUAL(bf_innovation(x, P, &d, nu, S, &dim), BF_EINVAL);
    CU_ASSERT_EQUAL(bf_update(x, P, &d), BF_EINVAL);
    CU_ASSERT_EQUAL(bf_initiate(&d, 5, x0, P0), BF_EINVAL);

    d = fx_pos_det(0, 0, 1, 0, 1);
    d.kind = 99;
    CU_ASSERT_EQUAL(bf_innovation(x, P, &d, nu, S, &dim), BF_EINVAL);
    CU_ASSERT_EQUAL(bf_update(x, P, &d), BF_EINVAL);
    CU_ASSERT_EQUAL(bf_initiate(&d, 5, x0, P0), BF_EINVAL);
    d.kind = BF_MEAS_BEARING;    /* bearing-only with zero variance */
    d.R[0][0] = 0;
    CU_ASSERT_EQUAL(bf_update(x, P, &d), BF_EINVAL);
    d.kind = BF_MEAS_PRESENCE;   /* presence with radius 0 */
    CU_ASSERT_EQUAL(bf_update(x, P, &d), BF_EINVAL);

    /* zero or negative variance, NaN covariance */
    d = fx_pos_det(0, 0, 0, 0, 1);
    CU_ASSERT_EQUAL(bf_update(x, P, &d), BF_EINVAL);
    d = fx_pos_det(0, 0, 1, NAN, 1);
    CU_ASSERT_EQUAL(bf_update(x, P, &d), BF_EINVAL);

    /* singular S: P_pos = 0 and R rank-deficient (perfectly correlated) */
    double Pz[16];
    fx_diag4(Pz, 0, 0, 1, 1);
    d = fx_pos_det(1, 1, 1, 1, 1);
    CU_ASSERT_EQUAL(bf_innovation(x, Pz, &d, nu, S, &dim), 0);
    CU_ASSERT(isinf(bf_mahalanobis2(nu, S, dim)));
    CU_ASSERT_EQUAL(bf_update(x, Pz, &d), BF_EINVAL);
    CU_ASSERT(isinf(bf_mahalanobis2(nu, S, 0)));
    CU_ASSERT(isinf(bf_mahalanobis2(nu, S, 4)));

    /* range-bearing: track at the sensor, NaN sensor position, range <= 0 */
    double xs[4] = {5, 5, 0, 0};
    d = fx_rb_det(5, 5, 100, 0.1, 25, 1e-4);
    CU_ASSERT_EQUAL(bf_innovation(xs, P, &d, nu, S, &dim), BF_EINVAL);
    CU_ASSERT_EQUAL(bf_update(xs, P, &d), BF_EINVAL);
    d.sensor_e_m = NAN;
    CU_ASSERT_EQUAL(bf_update(x, P, &d), BF_EINVAL);
    CU_ASSERT_EQUAL(bf_initiate(&d, 5, x0, P0), BF_EINVAL);
    d = fx_rb_det(0, 0, -3, 0.1, 25, 1e-4);
    CU_ASSERT_EQUAL(bf_initiate(&d, 5, x0, P0), BF_EINVAL);

    /* NaN in the state or covariance */
    double xn[4] = {NAN, 0, 0, 0};
    d = fx_pos_det(0, 0, 1, 0, 1);
    CU_ASSERT_EQUAL(bf_update(xn, P, &d), BF_EINVAL);
    double Pn[16];
    memcpy(Pn, P, sizeof Pn);
    Pn[3] = NAN;
    CU_ASSERT_EQUAL(bf_update(x, Pn, &d), BF_EINVAL);

    /* NULL pointers, bad initial speed sigma */
    CU_ASSERT_EQUAL(bf_update(x, P, NULL), BF_EINVAL);
    CU_ASSERT_EQUAL(bf_innovation(x, P, &d, nu, S, NULL), BF_EINVAL);
    CU_ASSERT_EQUAL(bf_initiate(NULL, 5, x0, P0), BF_EINVAL);
    CU_ASSERT_EQUAL(bf_initiate(&d, 0, x0, P0), BF_EINVAL);
    CU_ASSERT_EQUAL(bf_initiate(&d, NAN, x0, P0), BF_EINVAL);

    /* every refusal left the state alone */
    for (int i = 0; i < 4; i++)
        CU_ASSERT(x[i] == (i < 2 ? 100.0 : 0.0));
    CU_ASSERT(P[0] == 10.0 && P[5] == 10.0 && P[10] == 1.0 && P[1] == 0.0);
}

static void test_names_defaults(void)
{
    CU_ASSERT_STRING_EQUAL(bf_track_status_name(BF_TRACK_TENTATIVE), "tentative");
    CU_ASSERT_STRING_EQUAL(bf_track_status_name(BF_TRACK_CONFIRMED), "confirmed");
    CU_ASSERT_STRING_EQUAL(bf_track_status_name(BF_TRACK_COASTING), "coasting");
    CU_ASSERT_STRING_EQUAL(bf_track_status_name(BF_TRACK_DELETED), "deleted");
    CU_ASSERT_STRING_EQUAL(bf_track_status_name((enum bf_track_status)0), "unknown");

    struct bf_tracker_params p;
    memset(&p, 0xff, sizeof p);
    bf_tracker_params_default(&p);
    BF_ASSERT_NEAR(p.q_accel_mps2, 0.5, 0);
    BF_ASSERT_NEAR(p.gate_sigma, 3, 0);
    CU_ASSERT_EQUAL(p.confirm_m, 3);
    CU_ASSERT_EQUAL(p.confirm_n, 4);
    CU_ASSERT_EQUAL(p.delete_misses, 5);
    CU_ASSERT_EQUAL(p.delete_misses_tentative, 2);
    BF_ASSERT_NEAR(p.init_speed_sigma_mps, 5, 0);
    BF_ASSERT_NEAR(p.max_speed_mps, 60, 0);
    BF_ASSERT_NEAR(p.max_pos_sigma_m, 500, 0);
    CU_ASSERT_EQUAL(p.max_tracks, 10000);
    BF_ASSERT_NEAR(p.clutter_density, 1e-6, 0);
}

static CU_TestInfo predictor_tests[] = {
    {"CV predict, dt = 2, by hand", test_predict_hand},
    CU_TEST_INFO_NULL,
};

static CU_TestInfo updater_tests[] = {
    {"POSITION update, by hand", test_update_position_hand},
    {"RANGE_BEARING update, by hand", test_update_range_bearing_hand},
    {"RANGE_BEARING radial row Jacobian", test_range_bearing_radial_jacobian},
    {"bearing innovation wraps at north", test_bearing_wrap},
    {"converges on a CV target (position)", test_converges_cv},
    {"converges on a CV target (range-bearing)", test_converges_range_bearing},
    {"bad input is refused", test_bad_input},
    CU_TEST_INFO_NULL,
};

static CU_TestInfo track_tests[] = {
    {"initiate from position and range-bearing", test_initiate},
    {"status names and parameter defaults", test_names_defaults},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"predictor", NULL, NULL, NULL, NULL, predictor_tests},
    {"updater", NULL, NULL, NULL, NULL, updater_tests},
    {"track", NULL, NULL, NULL, NULL, track_tests},
    CU_SUITE_INFO_NULL,
};

int main(void)
{
    return bf_test_main(suites);
}
