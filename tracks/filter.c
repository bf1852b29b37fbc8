/*
 * filter.c - the filter layer the tracker calls: one motion model (CV), or
 * an interacting multiple model (IMM) filter over constant velocity and
 * coordinated turns; single-detection and PDA/JPDA updates for both.
 *
 * The problem: a target drives straight, then turns, then drives straight
 * again.  One CV filter with enough process noise for the turn is too noisy
 * on the straight legs; with little noise it lags in the turn and can lose
 * the gate.  The IMM runs one Kalman filter per motion model ("mode") and
 * mixes them by their mode probabilities mu, which follow how well each
 * mode predicted the detections (docs/motion.md).
 *
 * Modes by tracker_params.motion:
 *   BF_MOTION_CV   n_modes 0: no mode arrays, tr->x and tr->P are the filter
 *                  (exactly the former predictor + updater, nothing more);
 *   BF_MOTION_CT   n_modes 2: {CT(+omega), CT(-omega)} - a turning pair for
 *                  targets that are always manoeuvring (CT at one known
 *                  rate cannot follow a straight leg on its own);
 *   BF_MOTION_IMM  n_modes 3: {CV, CT(+omega), CT(-omega)}.
 * omega = ct_turn_rate_dps, positive = counter-clockwise (a left turn).
 *
 * The IMM cycle is split where the tracker splits it:
 *   bf_filter_predict   mixing with the Markov matrix Pi(dt), mode-matched
 *                       prediction, predicted mode probabilities c_j;
 *   bf_filter_update    mode-matched update, mode likelihoods N(nu_j; 0, S_j),
 *                       mu_j = c_j L_j / sum;
 *   (a miss)            no update: mu stays c_j, the mixing of the next
 *                       predict starts from it.
 * Each call ends with the moment-matched combination written to tr->x and
 * tr->P, so gating, the grid and everything downstream read one estimate.
 *
 * Invariants (n_modes > 0):
 *  (1) xm[0..n_modes) and Pm[0..n_modes) are the filter; tr->x, tr->P are
 *      their combination, recomputed by every call here.  Code that changes
 *      a track's state must go through these functions.
 *  (2) mu[0..n_modes) are probabilities summing to 1 (as floats, within
 *      1e-6; read back renormalised).
 * A failed update (bad detection, singular S) changes nothing.
 */
#include <assert.h>
#include <math.h>
#include <string.h>

#include "core/bf_error.h"
#include "tracks/tracks.h"
#include "tracks/tracks_int.h"

#define LOG_2PI 1.8378770664093454836
/* bf_filter_update_pda: beta0 + sum(beta) must be 1 within this. */
#define BETA_SUM_TOL 1e-6
/* A likelihood ratio exponent is clamped to +-this (exp stays finite). */
#define MAX_LOG_RATIO 600.0

/* ---- small numeric helpers -------------------------------------------- */

/* Turn rate (rad/s) of mode i of a track with n modes; 0 for CV. */
static double mode_omega(int n_modes, int i, const struct bf_tracker_params *p)
{
    double w = p->ct_turn_rate_dps * (M_PI / 180.0);
    if (n_modes == 3) {
        if (i == 0)
            return 0.0;
        return i == 1 ? w : -w;
    }
    return i == 0 ? w : -w;
}

/* Mode probabilities as doubles, renormalised (uniform if unusable). */
static void load_mu(const struct bf_track *tr, double mu[BF_MAX_MODES])
{
    int n = tr->n_modes;
    double sum = 0;
    for (int i = 0; i < n; i++) {
        mu[i] = (isfinite(tr->mu[i]) && tr->mu[i] > 0) ? (double)tr->mu[i] : 0.0;
        sum += mu[i];
    }
    for (int i = 0; i < n; i++)
        mu[i] = sum > 0 ? mu[i] / sum : 1.0 / n;
}

static void store_mu(struct bf_track *tr, const double mu[BF_MAX_MODES])
{
    for (int i = 0; i < tr->n_modes; i++)
        tr->mu[i] = (float)mu[i];
}

/* Weighted mean and spread-of-means covariance of n Gaussians into x, P. */
static void moment_match(int n, const double w[BF_MAX_MODES], const double (*xs)[4],
                         const double (*Ps)[16], double x[4], double P[16])
{
    double xn[4] = {0, 0, 0, 0}, Pn[16];
    for (int j = 0; j < n; j++) {
        for (int a = 0; a < 4; a++)
            xn[a] += w[j] * xs[j][a];
    }
    memset(Pn, 0, sizeof Pn);
    for (int j = 0; j < n; j++) {
        double d[4];
        for (int a = 0; a < 4; a++)
            d[a] = xs[j][a] - xn[a];
        for (int a = 0; a < 4; a++) {
            for (int b = 0; b < 4; b++)
                Pn[a * 4 + b] += w[j] * (Ps[j][a * 4 + b] + d[a] * d[b]);
        }
    }
    bf_tracks_symmetrise4(Pn);
    memcpy(x, xn, sizeof xn);
    memcpy(P, Pn, sizeof Pn);
}

/* tr->x, tr->P from the modes and mu. */
static void combine(struct bf_track *tr, const double mu[BF_MAX_MODES])
{
    moment_match(tr->n_modes, mu, (const double (*)[4])tr->xm, (const double (*)[16])tr->Pm,
                 tr->x, tr->P);
}

/* log N(nu; 0, S) for dim 1..3; false when S is not positive definite. */
static bool gauss_loglik(const double nu[3], const double S[9], int dim, double *ll)
{
    double L[9], y[3], d2 = 0, logdet = 0;
    if (!bf_tracks_cholesky(S, dim, L))
        return false;
    for (int i = 0; i < dim; i++) {
        double s = nu[i];
        for (int k = 0; k < i; k++)
            s -= L[i * dim + k] * y[k];
        y[i] = s / L[i * dim + i];
        d2 += y[i] * y[i];
        logdet += 2.0 * log(L[i * dim + i]);
    }
    *ll = -0.5 * (d2 + logdet + dim * LOG_2PI);
    return isfinite(*ll);
}


/* x, P finite, P with a positive diagonal. */
static bool state_ok(const double x[4], const double P[16])
{
    if (!bf_tracks_finite(x, 4) || !bf_tracks_finite(P, 16))
        return false;
    for (int i = 0; i < 4; i++) {
        if (!(P[i * 4 + i] > 0))
            return false;
    }
    return true;
}

/* ---- process noise and the Markov chain ------------------------------- */

double bf_filter_q_accel(const struct bf_track *tr, const struct bf_tracker_params *p)
{
    int best = 0;
    bool unique = true;
    for (int c = 1; c < BF_CLASS_COUNT; c++) {
        if (tr->class_p[c] > tr->class_p[best]) {
            best = c;
            unique = true;
        } else if (tr->class_p[c] == tr->class_p[best]) {
            unique = false;
        }
    }
    double q = p->q_by_class[best];
    if (unique && isfinite(q) && q > 0)
        return q;
    return p->q_accel_mps2;
}

/*
 * Continuous-time chain, symmetric: leaving rate kappa spread evenly over
 * the other modes, so Pi(dt) = Pi(a) Pi(b) for any a + b = dt, and
 * p_stay(dt) = 1/M + (1 - 1/M) r^|dt| with r fixed by p_stay(1 s) = p1.
 */
double bf_imm_p_stay(int n_modes, double p_stay_per_s, double dt_s)
{
    if (n_modes < 2)
        return 1.0;
    double inv_m = 1.0 / n_modes;
    double r = (p_stay_per_s - inv_m) / (1.0 - inv_m);
    if (!(r > 0))
        return inv_m;
    if (r >= 1)
        return 1.0;
    double adt = isfinite(dt_s) ? fabs(dt_s) : 0.0;
    return inv_m + (1.0 - inv_m) * pow(r, adt);
}

/* ---- init and predict ------------------------------------------------- */

void bf_filter_init(struct bf_track *tr, const double x0[4], const double P0[16],
                    const struct bf_tracker_params *p)
{
    memcpy(tr->x, x0, sizeof tr->x);
    memcpy(tr->P, P0, sizeof tr->P);
    switch (p->motion) {
    case BF_MOTION_CT:
        tr->n_modes = 2;
        break;
    case BF_MOTION_IMM:
        tr->n_modes = 3;
        break;
    default:
        tr->n_modes = 0;
        return;
    }
    for (int j = 0; j < tr->n_modes; j++) {
        memcpy(tr->xm[j], x0, sizeof tr->xm[j]);
        memcpy(tr->Pm[j], P0, sizeof tr->Pm[j]);
        tr->mu[j] = 1.0f / tr->n_modes;
    }
}

void bf_filter_predict(struct bf_track *tr, double dt_s, const struct bf_tracker_params *p)
{
    double q = bf_filter_q_accel(tr, p);
    int n = tr->n_modes;
    if (n == 0 || n > BF_MAX_MODES) {
        assert(n == 0);
        bf_predict_cv(tr->x, tr->P, dt_s, q, tr->x, tr->P);
        return;
    }

    /* mixing: c_j = sum_i pi_ij mu_i, mu_i|j = pi_ij mu_i / c_j */
    double stay = bf_imm_p_stay(n, p->imm_p_stay, dt_s);
    double move = n > 1 ? (1.0 - stay) / (n - 1) : 0.0;
    double mu[BF_MAX_MODES], c[BF_MAX_MODES];
    double x0[BF_MAX_MODES][4], P0[BF_MAX_MODES][16];
    load_mu(tr, mu);
    for (int j = 0; j < n; j++) {
        double w[BF_MAX_MODES];
        c[j] = 0;
        for (int i = 0; i < n; i++) {
            w[i] = (i == j ? stay : move) * mu[i];
            c[j] += w[i];
        }
        if (c[j] > 0) {
            for (int i = 0; i < n; i++)
                w[i] /= c[j];
        } else {
            for (int i = 0; i < n; i++)
                w[i] = i == j ? 1.0 : 0.0;
        }
        moment_match(n, w, (const double (*)[4])tr->xm, (const double (*)[16])tr->Pm, x0[j],
                     P0[j]);
    }

    /* mode-matched prediction */
    for (int j = 0; j < n; j++) {
        double w = mode_omega(n, j, p);
        if (w == 0.0)
            bf_predict_cv(x0[j], P0[j], dt_s, q, tr->xm[j], tr->Pm[j]);
        else
            bf_predict_ct(x0[j], P0[j], dt_s, w, q, tr->xm[j], tr->Pm[j]);
    }
    double csum = 0;
    for (int j = 0; j < n; j++)
        csum += c[j];
    for (int j = 0; j < n; j++)
        c[j] = csum > 0 ? c[j] / csum : 1.0 / n;
    store_mu(tr, c);
    combine(tr, c);
}

/* ---- single-detection update ------------------------------------------ */

/* mu_j proportional to c_j exp(ll_j), computed without underflow. */
static void posterior_mu(int n, const double c[BF_MAX_MODES], const double ll[BF_MAX_MODES],
                         double mu[BF_MAX_MODES])
{
    double mx = -INFINITY;
    for (int j = 0; j < n; j++)
        mx = fmax(mx, ll[j]);
    if (!isfinite(mx)) {
        memcpy(mu, c, (size_t)n * sizeof *mu);
        return;
    }
    double sum = 0;
    for (int j = 0; j < n; j++) {
        mu[j] = c[j] * exp(ll[j] - mx);
        sum += mu[j];
    }
    for (int j = 0; j < n; j++)
        mu[j] = (sum > 0 && isfinite(sum)) ? mu[j] / sum : c[j];
}

int bf_filter_update(struct bf_track *tr, const struct bf_detection *d,
                     const struct bf_tracker_params *p)
{
    if (!tr || !d || !p)
        return BF_EINVAL;
    int n = tr->n_modes;
    if (n == 0)
        return bf_update(tr->x, tr->P, d);
    if (n > BF_MAX_MODES)
        return BF_EINVAL;

    double xs[BF_MAX_MODES][4], Ps[BF_MAX_MODES][16], ll[BF_MAX_MODES];
    for (int j = 0; j < n; j++) {
        double nu[3], S[9], H[12], R[9];
        int dim;
        int rc = bf_innovation_h(tr->xm[j], tr->Pm[j], d, nu, S, H, R, &dim);
        if (rc < 0)
            return rc;
        if (!gauss_loglik(nu, S, dim, &ll[j]))
            return BF_EINVAL;
        memcpy(xs[j], tr->xm[j], sizeof xs[j]);
        memcpy(Ps[j], tr->Pm[j], sizeof Ps[j]);
        rc = bf_update(xs[j], Ps[j], d);
        if (rc < 0)
            return rc;
    }
    double c[BF_MAX_MODES], mu[BF_MAX_MODES];
    load_mu(tr, c);
    posterior_mu(n, c, ll, mu);
    memcpy(tr->xm, xs, (size_t)n * sizeof xs[0]);
    memcpy(tr->Pm, Ps, (size_t)n * sizeof Ps[0]);
    store_mu(tr, mu);
    combine(tr, mu);
    return 0;
}

/* ---- PDA / JPDA update ------------------------------------------------ */

/*
 * PDA update of one Gaussian (x, P) in place (Bar-Shalom's PDAF):
 *   nu = sum_k beta_k nu_k
 *   x += K nu
 *   P  = beta0 P + (1 - beta0)(P - K S K') + K (sum_k beta_k nu_k nu_k' - nu nu') K'
 * K and S from the reference detection ref (the one with the largest beta):
 * the detections of one scan share the sensor and so H (and, as a rule, R).
 * Detections with beta 0 are skipped.  Returns 0, or BF_EINVAL / the
 * updater's error with x and P untouched.
 */
struct pda_in {
    const struct bf_detection *const *dets;
    const double *beta;
    size_t n;
    double beta0;
    size_t ref;
};

static int pda_one(const struct pda_in *in, double x[4], double P[16])
{
    double nu0[3], S[9], H[12], R[9], Si[9];
    int dim;
    int rc = bf_innovation_h(x, P, in->dets[in->ref], nu0, S, H, R, &dim);
    if (rc < 0)
        return rc;
    if (!bf_tracks_spd_inverse(S, dim, Si))
        return BF_EINVAL;

    /* combined innovation and spread sum_k beta_k nu_k nu_k' */
    double nu[3] = {0, 0, 0}, spread[9];
    memset(spread, 0, sizeof spread);
    for (size_t k = 0; k < in->n; k++) {
        double b = in->beta[k];
        if (!(b > 0))
            continue;
        double nk[3], Sk[9], Hk[12], Rk[9];
        int dk;
        if (k == in->ref) {
            memcpy(nk, nu0, sizeof nk);
        } else {
            rc = bf_innovation_h(x, P, in->dets[k], nk, Sk, Hk, Rk, &dk);
            if (rc < 0)
                return rc;
            if (dk != dim)
                return BF_EINVAL;
        }
        for (int a = 0; a < dim; a++) {
            nu[a] += b * nk[a];
            for (int c = 0; c < dim; c++)
                spread[a * dim + c] += b * nk[a] * nk[c];
        }
    }

    /* K = P H' S^-1 (4 x dim); M = spread - nu nu' - (1 - beta0) S */
    double K[12], M[9];
    bf_tracks_gain(P, H, Si, dim, K);
    for (int a = 0; a < dim; a++) {
        for (int c = 0; c < dim; c++)
            M[a * dim + c] = spread[a * dim + c] - nu[a] * nu[c] - (1.0 - in->beta0) * S[a * dim + c];
    }

    double xn[4], Pn[16], KM[12];
    for (int i = 0; i < 4; i++) {
        double s = 0;
        for (int k = 0; k < dim; k++)
            s += K[i * dim + k] * nu[k];
        xn[i] = x[i] + s;
    }
    for (int i = 0; i < 4; i++) {
        for (int j = 0; j < dim; j++) {
            double s = 0;
            for (int k = 0; k < dim; k++)
                s += K[i * dim + k] * M[k * dim + j];
            KM[i * dim + j] = s;
        }
    }
    for (int i = 0; i < 4; i++) {
        for (int j = 0; j < 4; j++) {
            double s = 0;
            for (int k = 0; k < dim; k++)
                s += KM[i * dim + k] * K[j * dim + k];
            Pn[i * 4 + j] = P[i * 4 + j] + s;
        }
    }
    bf_tracks_symmetrise4(Pn);
    if (!state_ok(xn, Pn))
        return BF_EINVAL;
    memcpy(x, xn, sizeof xn);
    memcpy(P, Pn, sizeof Pn);
    return 0;
}

/*
 * log of the IMM mode likelihood ratio of mode state (xm, Pm) against the
 * combined (xc, Pc):  log( beta0 + sum_k beta_k N(nu_k^m; 0, S_k^m) / N(nu_k^c; 0, S_k^c) ).
 * Returns false on a bad innovation.
 */
static bool pda_mode_loglik(const struct pda_in *in, const double xm[4], const double Pm[16],
                            const double xc[4], const double Pc[16], double *out)
{
    /* log-sum-exp over the events {none, k = 1..n} */
    double terms_max = -INFINITY, sum = 0;
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1 && !isfinite(terms_max)) {
            *out = -INFINITY;
            return true;
        }
        if (in->beta0 > 0) {
            double t = log(in->beta0);
            if (pass == 0)
                terms_max = fmax(terms_max, t);
            else
                sum += exp(t - terms_max);
        }
        for (size_t k = 0; k < in->n; k++) {
            double b = in->beta[k];
            if (!(b > 0))
                continue;
            double nu[3], S[9], H[12], R[9], llm, llc;
            int dim;
            if (bf_innovation_h(xm, Pm, in->dets[k], nu, S, H, R, &dim) < 0 ||
                !gauss_loglik(nu, S, dim, &llm))
                return false;
            if (bf_innovation_h(xc, Pc, in->dets[k], nu, S, H, R, &dim) < 0 ||
                !gauss_loglik(nu, S, dim, &llc))
                return false;
            double r = fmax(-MAX_LOG_RATIO, fmin(MAX_LOG_RATIO, llm - llc));
            double t = log(b) + r;
            if (pass == 0)
                terms_max = fmax(terms_max, t);
            else
                sum += exp(t - terms_max);
        }
    }
    *out = terms_max + log(sum);
    return true;
}

int bf_filter_update_pda(struct bf_track *tr, const struct bf_detection *const *dets,
                         const double *beta, size_t n, double beta0,
                         const struct bf_tracker_params *p)
{
    if (!tr || !p || (n > 0 && (!dets || !beta)))
        return BF_EINVAL;
    if (!isfinite(beta0) || beta0 < 0 || beta0 > 1)
        return BF_EINVAL;
    double bsum = beta0, bmax = 0;
    size_t ref = 0;
    for (size_t k = 0; k < n; k++) {
        if (!dets[k] || !isfinite(beta[k]) || beta[k] < 0)
            return BF_EINVAL;
        if (dets[k]->kind != dets[0]->kind || bf_detection_dim(dets[k]) != bf_detection_dim(dets[0]))
            return BF_EINVAL;
        bsum += beta[k];
        if (beta[k] > bmax) {
            bmax = beta[k];
            ref = k;
        }
    }
    if (fabs(bsum - 1.0) > BETA_SUM_TOL)
        return BF_EINVAL;
    if (!(bmax > 0))
        return 0;   /* no detection can be the target's: the prediction stands */

    struct pda_in in = {.dets = dets, .beta = beta, .n = n, .beta0 = beta0, .ref = ref};
    int m = tr->n_modes;
    if (m == 0)
        return pda_one(&in, tr->x, tr->P);
    if (m > BF_MAX_MODES)
        return BF_EINVAL;

    double xs[BF_MAX_MODES][4], Ps[BF_MAX_MODES][16], ll[BF_MAX_MODES];
    for (int j = 0; j < m; j++) {
        if (!pda_mode_loglik(&in, tr->xm[j], tr->Pm[j], tr->x, tr->P, &ll[j]))
            return BF_EINVAL;
        memcpy(xs[j], tr->xm[j], sizeof xs[j]);
        memcpy(Ps[j], tr->Pm[j], sizeof Ps[j]);
        int rc = pda_one(&in, xs[j], Ps[j]);
        if (rc < 0)
            return rc;
    }
    double c[BF_MAX_MODES], mu[BF_MAX_MODES];
    load_mu(tr, c);
    posterior_mu(m, c, ll, mu);
    memcpy(tr->xm, xs, (size_t)m * sizeof xs[0]);
    memcpy(tr->Pm, Ps, (size_t)m * sizeof Ps[0]);
    store_mu(tr, mu);
    combine(tr, mu);
    return 0;
}
