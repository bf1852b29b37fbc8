/*
 * test_imm.c - the motion models and the filter layer: the coordinated-turn
 * prediction against numbers worked out by hand (a quarter turn), its limit
 * omega -> 0 (the CV model) and its consistency over cut-up intervals; the
 * IMM Markov chain; process noise by class; the IMM mode probabilities on a
 * target that drives straight, turns left at the CT rate and drives straight
 * again, with its position error in the turn against a CV-only filter; and
 * the PDA update against the single-detection update and a hand-computed
 * two-detection case.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "bf_test.h"
#include "core/bf_error.h"
#include "tracks/tracks.h"
#include "tracks_fixture.h"

#define DEG (M_PI / 180.0)

/* POSITION at (e, n) with variance var on each axis. */
#define fx_pos_var(e, n, var) fx_pos_det((e), (n), (var), 0, (var))

/* ---- helpers ----------------------------------------------------------- */

static double max_abs_diff(const double *a, const double *b, size_t n)
{
    double m = 0;
    for (size_t i = 0; i < n; i++)
        m = fmax(m, fabs(a[i] - b[i]));
    return m;
}

/* A zeroed track with a uniform class vector and its filter started at (x0, P0). */
static void track_start(struct bf_track *tr, const double x0[4], const double P0[16],
                        const struct bf_tracker_params *p)
{
    memset(tr, 0, sizeof *tr);
    for (int c = 0; c < BF_CLASS_COUNT; c++)
        tr->class_p[c] = 1.0f / BF_CLASS_COUNT;
    bf_filter_init(tr, x0, P0, p);
}

/* ---- coordinated turn --------------------------------------------------- */

/*
 * Quarter turn: omega = pi/2 rad/s, T = 1 s, so s = 1, c = 0,
 * a = sin/w = 2/pi, b = (1-c)/w = 2/pi.  x = (0, 0, 10, 0) (east at 10 m/s)
 * ends at (10 a, 10 b, 0, 10) = (20/pi, 20/pi, 0, 10): a quarter circle of
 * radius 10/w = 20/pi to the left, heading north.
 * P = I, q = 0: F F' = | 1+a^2+b^2  0          b   a |
 *                      | 0          1+a^2+b^2 -a   b |
 *                      | b         -a          1   0 |
 *                      | a          b          0   1 |   with 1+a^2+b^2 = 1 + 8/pi^2.
 * P = 0, q_accel = 1: Q_ee = (2 - 4/pi) 4/pi^2 = 0.2945449182,
 * Q_e,ve = 4/pi^2 = 0.4052847346, Q_e,vn = -Q_n,ve = (1 - 2/pi) 2/pi = 0.2313350378,
 * Q_vv = 1.
 */
static void test_ct_quarter_turn(void)
{
    const double w = M_PI / 2, a = 2 / M_PI;
    double x[4] = {0, 0, 10, 0}, P[16], xo[4], Po[16];
    fx_diag4(P, 1, 1, 1, 1);
    bf_predict_ct(x, P, 1.0, w, 0.0, xo, Po);
    BF_ASSERT_NEAR(xo[0], 20 / M_PI, 1e-12);
    BF_ASSERT_NEAR(xo[1], 20 / M_PI, 1e-12);
    BF_ASSERT_NEAR(xo[2], 0, 1e-12);
    BF_ASSERT_NEAR(xo[3], 10, 1e-12);
    const double want[16] = {
        1 + 8 / (M_PI * M_PI), 0, a, a,
        0, 1 + 8 / (M_PI * M_PI), -a, a,
        a, -a, 1, 0,
        a, a, 0, 1,
    };
    CU_ASSERT(max_abs_diff(Po, want, 16) < 1e-12);

    /* right turn: mirror image */
    bf_predict_ct(x, P, 1.0, -w, 0.0, xo, Po);
    BF_ASSERT_NEAR(xo[0], 20 / M_PI, 1e-12);
    BF_ASSERT_NEAR(xo[1], -20 / M_PI, 1e-12);
    BF_ASSERT_NEAR(xo[3], -10, 1e-12);

    double Z[16] = {0};
    bf_predict_ct(x, Z, 1.0, w, 1.0, xo, Po);
    BF_ASSERT_NEAR(Po[0 * 4 + 0], 0.2945449182, 1e-9);
    BF_ASSERT_NEAR(Po[1 * 4 + 1], 0.2945449182, 1e-9);
    BF_ASSERT_NEAR(Po[0 * 4 + 2], 0.4052847346, 1e-9);
    BF_ASSERT_NEAR(Po[1 * 4 + 3], 0.4052847346, 1e-9);
    BF_ASSERT_NEAR(Po[0 * 4 + 3], 0.2313350378, 1e-9);
    BF_ASSERT_NEAR(Po[1 * 4 + 2], -0.2313350378, 1e-9);
    BF_ASSERT_NEAR(Po[2 * 4 + 2], 1.0, 1e-12);
    BF_ASSERT_NEAR(Po[0 * 4 + 1], 0.0, 1e-15);
    BF_ASSERT_NEAR(Po[2 * 4 + 3], 0.0, 1e-15);
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++)
            CU_ASSERT_EQUAL(Po[i * 4 + j], Po[j * 4 + i]);

    /* in place */
    double xi[4] = {0, 0, 10, 0}, Pi[16];
    fx_diag4(Pi, 1, 1, 1, 1);
    bf_predict_ct(xi, Pi, 1.0, w, 0.0, xi, Pi);
    CU_ASSERT(max_abs_diff(Pi, want, 16) < 1e-12);
    BF_ASSERT_NEAR(xi[0], 20 / M_PI, 1e-12);
}

/* omega = 0 (and tiny) is the CV model; either side of the series switch agree. */
static void test_ct_limit_is_cv(void)
{
    double x[4] = {100, -50, 7, -3}, P[16];
    fx_diag4(P, 30, 20, 4, 5);
    P[0 * 4 + 2] = P[2 * 4 + 0] = 2;
    P[1 * 4 + 3] = P[3 * 4 + 1] = -1;
    double xc[4], Pc[16], xt[4], Pt[16];
    bf_predict_cv(x, P, 2.5, 0.7, xc, Pc);
    bf_predict_ct(x, P, 2.5, 0.0, 0.7, xt, Pt);
    CU_ASSERT(max_abs_diff(xc, xt, 4) < 1e-12);
    CU_ASSERT(max_abs_diff(Pc, Pt, 16) < 1e-12);
    bf_predict_ct(x, P, 2.5, 1e-9, 0.7, xt, Pt);
    CU_ASSERT(max_abs_diff(xc, xt, 4) < 1e-6);
    CU_ASSERT(max_abs_diff(Pc, Pt, 16) < 1e-6);
    /* |wT| = 0.00999 (series) against 0.01001 (closed form): smooth */
    double xa[4], Pa[16], xb[4], Pb[16];
    bf_predict_ct(x, P, 1.0, 0.00999, 0.7, xa, Pa);
    bf_predict_ct(x, P, 1.0, 0.01001, 0.7, xb, Pb);
    CU_ASSERT(max_abs_diff(xa, xb, 4) < 1e-3);
    CU_ASSERT(max_abs_diff(Pa, Pb, 16) < 1e-3);
    CU_ASSERT(max_abs_diff(Pa, Pb, 16) > 0);
    /* negative dt adds the noise of |dt|: back and forth grows P */
    bf_predict_ct(x, P, 3.0, 0.2, 0.5, xa, Pa);
    bf_predict_ct(xa, Pa, -3.0, 0.2, 0.5, xb, Pb);
    CU_ASSERT(max_abs_diff(x, xb, 4) < 1e-9);
    for (int i = 0; i < 4; i++)
        CU_ASSERT(Pb[i * 4 + i] > P[i * 4 + i]);
}

/* Exact discretisation: two steps of 0.7 s equal one of 1.4 s, noise included. */
static void test_ct_composition(void)
{
    double x[4] = {10, 20, 15, -5}, P[16];
    fx_diag4(P, 9, 16, 2, 3);
    double x1[4], P1[16], x2[4], P2[16];
    bf_predict_ct(x, P, 0.7, 0.3, 1.5, x1, P1);
    bf_predict_ct(x1, P1, 0.7, 0.3, 1.5, x1, P1);
    bf_predict_ct(x, P, 1.4, 0.3, 1.5, x2, P2);
    CU_ASSERT(max_abs_diff(x1, x2, 4) < 1e-10);
    CU_ASSERT(max_abs_diff(P1, P2, 16) < 1e-10);
    /* speed is kept */
    BF_ASSERT_NEAR(hypot(x2[2], x2[3]), hypot(15, 5), 1e-12);
}

/* ---- Markov chain, init, process noise ------------------------------- */

/*
 * p_stay(1 s) = 0.95 with 3 modes; two steps of 1 s as a matrix product:
 * stay = 0.95^2 + 2 (0.025)^2 = 0.90375, what one step of 2 s gives.
 */
static void test_imm_markov(void)
{
    BF_ASSERT_NEAR(bf_imm_p_stay(3, 0.95, 1.0), 0.95, 1e-15);
    BF_ASSERT_NEAR(bf_imm_p_stay(3, 0.95, 0.0), 1.0, 1e-15);
    BF_ASSERT_NEAR(bf_imm_p_stay(3, 0.95, 2.0), 0.90375, 1e-12);
    BF_ASSERT_NEAR(bf_imm_p_stay(3, 0.95, -2.0), 0.90375, 1e-12);
    BF_ASSERT_NEAR(bf_imm_p_stay(3, 0.95, 1e6), 1.0 / 3, 1e-12);
    /* 2 modes: stay = 0.9^2 + 0.1^2 = 0.82 over 2 s */
    BF_ASSERT_NEAR(bf_imm_p_stay(2, 0.9, 2.0), 0.82, 1e-12);
    BF_ASSERT_NEAR(bf_imm_p_stay(2, 0.5, 3.0), 0.5, 1e-15);
    BF_ASSERT_NEAR(bf_imm_p_stay(0, 0.9, 3.0), 1.0, 0);
}

static void test_filter_init(void)
{
    struct bf_tracker_params p;
    bf_tracker_params_default(&p);
    double x0[4] = {1, 2, 3, 4}, P0[16];
    fx_diag4(P0, 5, 6, 7, 8);
    struct bf_track tr;
    track_start(&tr, x0, P0, &p);
    CU_ASSERT_EQUAL(tr.n_modes, 0);
    CU_ASSERT(max_abs_diff(tr.x, x0, 4) == 0);
    CU_ASSERT(max_abs_diff(tr.P, P0, 16) == 0);
    p.motion = BF_MOTION_CT;
    track_start(&tr, x0, P0, &p);
    CU_ASSERT_EQUAL(tr.n_modes, 2);
    BF_ASSERT_NEAR(tr.mu[0], 0.5, 1e-7);
    BF_ASSERT_NEAR(tr.mu[1], 0.5, 1e-7);
    p.motion = BF_MOTION_IMM;
    track_start(&tr, x0, P0, &p);
    CU_ASSERT_EQUAL(tr.n_modes, 3);
    for (int j = 0; j < 3; j++) {
        BF_ASSERT_NEAR(tr.mu[j], 1.0 / 3, 1e-7);
        CU_ASSERT(max_abs_diff(tr.xm[j], x0, 4) == 0);
        CU_ASSERT(max_abs_diff(tr.Pm[j], P0, 16) == 0);
    }
}

/* n_modes 0: predict is bf_predict_cv with the track's q, update is bf_update. */
static void test_cv_path_is_plain(void)
{
    struct bf_tracker_params p;
    bf_tracker_params_default(&p);
    double x0[4] = {100, 200, 3, -4}, P0[16];
    fx_diag4(P0, 25, 25, 4, 4);
    struct bf_track tr;
    track_start(&tr, x0, P0, &p);
    double x[4], P[16];
    bf_filter_predict(&tr, 1.5, &p);
    bf_predict_cv(x0, P0, 1.5, p.q_accel_mps2, x, P);
    CU_ASSERT(max_abs_diff(tr.x, x, 4) == 0);
    CU_ASSERT(max_abs_diff(tr.P, P, 16) == 0);
    struct bf_detection d = fx_pos_var(106, 193, 16);
    CU_ASSERT_EQUAL(bf_filter_update(&tr, &d, &p), 0);
    CU_ASSERT_EQUAL(bf_update(x, P, &d), 0);
    CU_ASSERT(max_abs_diff(tr.x, x, 4) == 0);
    CU_ASSERT(max_abs_diff(tr.P, P, 16) == 0);
    /* a bad detection leaves the track alone */
    struct bf_detection bad = fx_pos_var(NAN, 0, 16);
    CU_ASSERT_EQUAL(bf_filter_update(&tr, &bad, &p), BF_EINVAL);
    CU_ASSERT(max_abs_diff(tr.x, x, 4) == 0);
}

/*
 * q_by_class: vehicle 2.0, person 0 (unset).  A track most likely a vehicle
 * predicts with q = 2; most likely a person, or undecided (the uniform
 * prior, or a tie at the top), with q_accel_mps2 = 0.5.
 */
static void test_q_by_class(void)
{
    struct bf_tracker_params p;
    bf_tracker_params_default(&p);
    p.q_by_class[BF_CLASS_VEHICLE] = 2.0;
    p.q_by_class[BF_CLASS_VESSEL] = 0.1;
    double x0[4] = {0, 0, 5, 5}, P0[16];
    fx_diag4(P0, 10, 10, 1, 1);
    struct bf_track tr;
    track_start(&tr, x0, P0, &p);
    BF_ASSERT_NEAR(bf_filter_q_accel(&tr, &p), 0.5, 0);   /* uniform: undecided */
    float veh[BF_CLASS_COUNT] = {0.1f, 0.6f, 0.1f, 0.1f, 0.05f, 0.05f};
    memcpy(tr.class_p, veh, sizeof veh);
    BF_ASSERT_NEAR(bf_filter_q_accel(&tr, &p), 2.0, 0);
    float per[BF_CLASS_COUNT] = {0.6f, 0.1f, 0.1f, 0.1f, 0.05f, 0.05f};
    memcpy(tr.class_p, per, sizeof per);
    BF_ASSERT_NEAR(bf_filter_q_accel(&tr, &p), 0.5, 0);
    float tie[BF_CLASS_COUNT] = {0.1f, 0.4f, 0.0f, 0.4f, 0.05f, 0.05f};
    memcpy(tr.class_p, tie, sizeof tie);
    BF_ASSERT_NEAR(bf_filter_q_accel(&tr, &p), 0.5, 0);
    float ves[BF_CLASS_COUNT] = {0.1f, 0.1f, 0.0f, 0.7f, 0.05f, 0.05f};
    memcpy(tr.class_p, ves, sizeof ves);
    BF_ASSERT_NEAR(bf_filter_q_accel(&tr, &p), 0.1, 0);

    /* the prediction uses it: position variance grows by q^2 dt^3 / 3 */
    memcpy(tr.class_p, veh, sizeof veh);
    bf_filter_predict(&tr, 1.0, &p);
    BF_ASSERT_NEAR(tr.P[0], 10 + 1 + 4.0 / 3, 1e-12);
    /* and in every IMM mode */
    p.motion = BF_MOTION_IMM;
    track_start(&tr, x0, P0, &p);
    memcpy(tr.class_p, veh, sizeof veh);
    bf_filter_predict(&tr, 1.0, &p);
    BF_ASSERT_NEAR(tr.Pm[0][0], 10 + 1 + 4.0 / 3, 1e-12);   /* CV mode, identical inputs */
    BF_ASSERT_NEAR(tr.Pm[0][2 * 4 + 2], 1 + 4.0, 1e-12);
    BF_ASSERT_NEAR(tr.Pm[1][2 * 4 + 2], 1 + 4.0, 1e-12);   /* CT keeps Q_vv = q T */
}

/* ---- IMM on a manoeuvring target ----------------------------------------- */

/*
 * Truth: from (0, 0) east at 25 m/s for 40 s, a left turn at +10 deg/s for
 * 9 s (90 deg, radius 143 m, lateral acceleration 4.4 m/s^2), then north at
 * 25 m/s for 40 s.  POSITION detections every 1 s, sigma 3 m, seeded.
 * Filters: IMM {CV, CT(+10), CT(-10)} and CV alone, both q = 0.3 m/s^2.
 * A mode probability is a noisy statistic (one 3-sigma detection can tip
 * it for a scan), so the straight legs are judged by the share of settled
 * scans with mu_CV > 0.8; the turn by its first scan with mu_CT+ > 0.5 and
 * by CT+ staying above 0.5 from there to the end of the turn.
 */
#define LEG1 40
#define TURN 9
#define LEG2 40
#define SPEED 25.0
#define RATE_DPS 10.0

static void truth_at(int k, double p[2])
{
    const double v = SPEED, w = RATE_DPS * DEG;
    if (k <= LEG1) {
        p[0] = v * k;
        p[1] = 0;
        return;
    }
    double t = k - LEG1 < TURN ? k - LEG1 : TURN;
    double r = v / w;
    p[0] = v * LEG1 + r * sin(w * t);
    p[1] = r * (1 - cos(w * t));
    if (k > LEG1 + TURN)
        p[1] += v * (k - LEG1 - TURN);
}

static void test_imm_manoeuvre(void)
{
    struct bf_tracker_params p;
    bf_tracker_params_default(&p);
    p.motion = BF_MOTION_IMM;
    p.ct_turn_rate_dps = RATE_DPS;
    p.q_accel_mps2 = 0.3;
    struct bf_tracker_params pcv = p;
    pcv.motion = BF_MOTION_CV;
    uint64_t seed = 7;
    const double sig = 3.0;
    struct bf_track imm, cv;
    double tp[2];
    truth_at(0, tp);
    struct bf_detection d = fx_pos_var(tp[0] + sig * fx_rng_normal(&seed), tp[1] + sig * fx_rng_normal(&seed),
                                    sig * sig);
    double x0[4], P0[16];
    CU_ASSERT_EQUAL_FATAL(bf_initiate(&d, 30.0, x0, P0), 0);
    track_start(&imm, x0, P0, &p);
    track_start(&cv, x0, P0, &pcv);

    double se_imm_turn = 0, se_cv_turn = 0, mu_cv1 = 0, mu_cv2 = 0;
    int n_turn = 0, first_ct = -1, n1 = 0, n2 = 0, good1 = 0, good2 = 0, ct_low = 0;
    for (int k = 1; k <= LEG1 + TURN + LEG2; k++) {
        truth_at(k, tp);
        d = fx_pos_var(tp[0] + sig * fx_rng_normal(&seed), tp[1] + sig * fx_rng_normal(&seed), sig * sig);
        bf_filter_predict(&imm, 1.0, &p);
        bf_filter_predict(&cv, 1.0, &pcv);
        CU_ASSERT_EQUAL(bf_filter_update(&imm, &d, &p), 0);
        CU_ASSERT_EQUAL(bf_filter_update(&cv, &d, &pcv), 0);
        BF_ASSERT_NEAR(imm.mu[0] + imm.mu[1] + imm.mu[2], 1.0, 1e-5);
        if (k >= 10 && k <= LEG1) {
            n1++;
            good1 += imm.mu[0] > 0.8;
            mu_cv1 += imm.mu[0];
        }
        if (k > LEG1 && k <= LEG1 + TURN) {
            if (first_ct < 0 && imm.mu[1] > 0.5)
                first_ct = k - LEG1;
            if (first_ct > 0 && !(imm.mu[1] > 0.5))
                ct_low++;
            double ei = hypot(imm.x[0] - tp[0], imm.x[1] - tp[1]);
            double ec = hypot(cv.x[0] - tp[0], cv.x[1] - tp[1]);
            se_imm_turn += ei * ei;
            se_cv_turn += ec * ec;
            n_turn++;
        }
        if (k >= LEG1 + TURN + 10) {
            n2++;
            good2 += imm.mu[0] > 0.8;
            mu_cv2 += imm.mu[0];
        }
    }
    double rms_imm = sqrt(se_imm_turn / n_turn), rms_cv = sqrt(se_cv_turn / n_turn);
    printf("\n  straight: mu_CV > 0.8 in %d/%d and %d/%d settled scans (mean %.3f, %.3f); turn: "
           "CT+ > 0.5 from scan %d, below after that %d times; RMS position error in the turn: "
           "IMM %.2f m, CV %.2f m\n", good1, n1, good2, n2, mu_cv1 / n1, mu_cv2 / n2, first_ct,
           ct_low, rms_imm, rms_cv);
    CU_ASSERT(good1 >= 0.9 * n1);
    CU_ASSERT(mu_cv1 / n1 > 0.85);
    CU_ASSERT(first_ct >= 1 && first_ct <= 4);
    CU_ASSERT_EQUAL(ct_low, 0);
    CU_ASSERT(good2 >= 0.9 * n2);
    CU_ASSERT(mu_cv2 / n2 > 0.85);
    CU_ASSERT(rms_imm < 0.5 * rms_cv);
    /* the straight leg north is found */
    BF_ASSERT_NEAR(imm.x[2], 0.0, 1.0);
    BF_ASSERT_NEAR(imm.x[3], SPEED, 1.0);
}

/* BF_MOTION_CT: the turning pair picks the side the target turns to. */
static void test_ct_pair_side(void)
{
    struct bf_tracker_params p;
    bf_tracker_params_default(&p);
    p.motion = BF_MOTION_CT;
    p.ct_turn_rate_dps = 10;
    /* a right turn at -10 deg/s, 15 m/s, from (0, 0) heading east */
    const double w = -10 * DEG, v = 15, r = v / w;
    double x0[4] = {0, 0, v, 0}, P0[16];
    fx_diag4(P0, 25, 25, 4, 4);
    struct bf_track tr;
    track_start(&tr, x0, P0, &p);
    uint64_t seed = 3;
    for (int k = 1; k <= 12; k++) {
        double e = r * sin(w * k), n = r * (1 - cos(w * k));
        struct bf_detection d = fx_pos_var(e + 3 * fx_rng_normal(&seed), n + 3 * fx_rng_normal(&seed), 9);
        bf_filter_predict(&tr, 1.0, &p);
        CU_ASSERT_EQUAL(bf_filter_update(&tr, &d, &p), 0);
    }
    CU_ASSERT(tr.mu[1] > 0.9);   /* CT(-omega) */
    BF_ASSERT_NEAR(tr.x[2], v * cos(w * 12), 2.0);
    BF_ASSERT_NEAR(tr.x[3], v * sin(w * 12), 2.0);
}

/* ---- PDA ----------------------------------------------------------------- */

/* One detection, beta1 = 1: the same as bf_filter_update, for CV and IMM, position and radar. */
static void test_pda_single_equals_update(void)
{
    static const enum bf_motion_model models[] = {BF_MOTION_CV, BF_MOTION_CT, BF_MOTION_IMM};
    for (size_t mi = 0; mi < 3; mi++) {
        for (int kind = 0; kind < 2; kind++) {
            struct bf_tracker_params p;
            bf_tracker_params_default(&p);
            p.motion = models[mi];
            double x0[4] = {1000, 2000, 8, -6}, P0[16];
            fx_diag4(P0, 100, 80, 9, 16);
            P0[0 * 4 + 2] = P0[2 * 4 + 0] = 5;
            struct bf_track a, b;
            track_start(&a, x0, P0, &p);
            bf_filter_predict(&a, 2.0, &p);
            b = a;
            struct bf_detection d = kind == 0 ? fx_pos_var(1030, 1982, 25)
                                              : fx_rb_det(0, 0, hypot(1030, 1982), atan2(1030, 1982),
                                                       25, 0.2 * DEG * 0.2 * DEG);
            const struct bf_detection *dp = &d;
            double beta = 1.0;
            CU_ASSERT_EQUAL(bf_filter_update(&a, &d, &p), 0);
            CU_ASSERT_EQUAL(bf_filter_update_pda(&b, &dp, &beta, 1, 0.0, &p), 0);
            CU_ASSERT(max_abs_diff(a.x, b.x, 4) < 1e-9);
            CU_ASSERT(max_abs_diff(a.P, b.P, 16) < 1e-9);
            for (int j = 0; j < a.n_modes; j++) {
                CU_ASSERT(max_abs_diff(a.xm[j], b.xm[j], 4) < 1e-9);
                CU_ASSERT(max_abs_diff(a.Pm[j], b.Pm[j], 16) < 1e-9);
                BF_ASSERT_NEAR(a.mu[j], b.mu[j], 1e-6);
            }
        }
    }
}

/*
 * beta0 = 1: no detection is the target's, x and P stay the prediction
 * (P = beta0 P + 0); the single update would have shrunk P.  Mode
 * probabilities stay as predicted (every mode's likelihood is beta0).
 */
static void test_pda_beta0_one(void)
{
    struct bf_tracker_params p;
    bf_tracker_params_default(&p);
    p.motion = BF_MOTION_IMM;
    double x0[4] = {0, 0, 10, 0}, P0[16];
    fx_diag4(P0, 50, 50, 9, 9);
    struct bf_track tr;
    track_start(&tr, x0, P0, &p);
    bf_filter_predict(&tr, 1.0, &p);
    struct bf_track before = tr;
    struct bf_detection d = fx_pos_var(13, 1, 25);
    const struct bf_detection *dp = &d;
    double beta = 0.0;
    CU_ASSERT_EQUAL(bf_filter_update_pda(&tr, &dp, &beta, 1, 1.0, &p), 0);
    CU_ASSERT(max_abs_diff(tr.x, before.x, 4) == 0);
    CU_ASSERT(max_abs_diff(tr.P, before.P, 16) == 0);
    CU_ASSERT(memcmp(tr.mu, before.mu, sizeof tr.mu) == 0);
    struct bf_track upd = before;
    CU_ASSERT_EQUAL(bf_filter_update(&upd, &d, &p), 0);
    CU_ASSERT(tr.P[0] > upd.P[0] + 10);
}

/*
 * Two detections, hand-computed.  x = 0, P = diag(2, 2, 1, 1), R = 2 I:
 * S = 4 I, K = [0.5 I; 0].  z1 = (2, 0) beta 0.5, z2 = (0, 4) beta 0.25,
 * beta0 = 0.25.  nu = 0.5 (2, 0) + 0.25 (0, 4) = (1, 1); x = (0.5, 0.5, 0, 0).
 * P_pos = 0.25 * 2 I + 0.75 * (2 - 1) I + K (sum b nu nu' - nu nu') K'
 *       = 1.25 I + 0.25 [[2-1, -1], [-1, 4-1]] = [[1.5, -0.25], [-0.25, 2]],
 * velocity block unchanged.
 */
static void test_pda_two_detections(void)
{
    struct bf_tracker_params p;
    bf_tracker_params_default(&p);
    double x0[4] = {0, 0, 0, 0}, P0[16];
    fx_diag4(P0, 2, 2, 1, 1);
    struct bf_track tr;
    track_start(&tr, x0, P0, &p);
    struct bf_detection d1 = fx_pos_var(2, 0, 2), d2 = fx_pos_var(0, 4, 2);
    const struct bf_detection *dets[2] = {&d1, &d2};
    double beta[2] = {0.5, 0.25};
    CU_ASSERT_EQUAL(bf_filter_update_pda(&tr, dets, beta, 2, 0.25, &p), 0);
    const double wx[4] = {0.5, 0.5, 0, 0};
    const double wP[16] = {1.5, -0.25, 0, 0, -0.25, 2, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1};
    CU_ASSERT(max_abs_diff(tr.x, wx, 4) < 1e-12);
    CU_ASSERT(max_abs_diff(tr.P, wP, 16) < 1e-12);

    /* bad calls change nothing */
    struct bf_track before = tr;
    struct bf_detection r = fx_rb_det(0, 0, 100, 0.1, 25, 1e-4);
    const struct bf_detection *mixed[2] = {&d1, &r};
    CU_ASSERT_EQUAL(bf_filter_update_pda(&tr, mixed, beta, 2, 0.25, &p), BF_EINVAL);
    double badsum[2] = {0.5, 0.5};
    CU_ASSERT_EQUAL(bf_filter_update_pda(&tr, dets, badsum, 2, 0.25, &p), BF_EINVAL);
    double negative[2] = {1.0, -0.25};
    CU_ASSERT_EQUAL(bf_filter_update_pda(&tr, dets, negative, 2, 0.25, &p), BF_EINVAL);
    CU_ASSERT_EQUAL(bf_filter_update_pda(&tr, dets, beta, 2, NAN, &p), BF_EINVAL);
    CU_ASSERT_EQUAL(bf_filter_update_pda(&tr, NULL, beta, 2, 0.25, &p), BF_EINVAL);
    CU_ASSERT(memcmp(&tr, &before, sizeof tr) == 0);
    /* no detections at all: the prediction stands */
    CU_ASSERT_EQUAL(bf_filter_update_pda(&tr, NULL, NULL, 0, 1.0, &p), 0);
    CU_ASSERT(memcmp(&tr, &before, sizeof tr) == 0);
}

/*
 * IMM-PDA mode probabilities: a detection where the CT(+) mode predicts it
 * raises that mode, and with beta1 = 0.5 less than with beta1 = 1.
 */
static void test_pda_imm_modes(void)
{
    struct bf_tracker_params p;
    bf_tracker_params_default(&p);
    p.motion = BF_MOTION_IMM;
    p.ct_turn_rate_dps = 20;
    double x0[4] = {0, 0, 20, 0}, P0[16];
    fx_diag4(P0, 4, 4, 0.25, 0.25);
    struct bf_track tr;
    track_start(&tr, x0, P0, &p);
    bf_filter_predict(&tr, 2.0, &p);
    struct bf_track half = tr, full = tr;
    struct bf_detection d = fx_pos_var(tr.xm[1][0], tr.xm[1][1], 4);   /* where CT(+) says */
    const struct bf_detection *dp = &d;
    double b1 = 1.0, bh = 0.5;
    CU_ASSERT_EQUAL(bf_filter_update_pda(&full, &dp, &b1, 1, 0.0, &p), 0);
    CU_ASSERT_EQUAL(bf_filter_update_pda(&half, &dp, &bh, 1, 0.5, &p), 0);
    CU_ASSERT(full.mu[1] > tr.mu[1]);
    CU_ASSERT(half.mu[1] > tr.mu[1]);
    CU_ASSERT(full.mu[1] > half.mu[1]);
    CU_ASSERT(full.mu[1] > 0.9);
    BF_ASSERT_NEAR(half.mu[0] + half.mu[1] + half.mu[2], 1.0, 1e-6);
}

static CU_TestInfo motion_tests[] = {
    {"CT quarter turn by hand", test_ct_quarter_turn},
    {"CT at omega 0 is CV", test_ct_limit_is_cv},
    {"CT exact over cut-up intervals", test_ct_composition},
    CU_TEST_INFO_NULL,
};

static CU_TestInfo filter_tests[] = {
    {"IMM Markov chain", test_imm_markov},
    {"filter init per model", test_filter_init},
    {"CV path is predict_cv + update", test_cv_path_is_plain},
    {"process noise by class", test_q_by_class},
    {"IMM mode probabilities on a manoeuvre", test_imm_manoeuvre},
    {"CT pair picks the turn side", test_ct_pair_side},
    {"PDA with one sure detection = update", test_pda_single_equals_update},
    {"PDA with beta0 = 1", test_pda_beta0_one},
    {"PDA two detections by hand", test_pda_two_detections},
    {"IMM-PDA mode probabilities", test_pda_imm_modes},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"motion", NULL, NULL, NULL, NULL, motion_tests},
    {"filter", NULL, NULL, NULL, NULL, filter_tests},
    CU_SUITE_INFO_NULL,
};

int main(void)
{
    return bf_test_main(suites);
}
