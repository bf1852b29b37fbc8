/*
 * jpda.c - the JPDA data associator's marginals: for one cluster of tracks
 * and the detections they gate, the probability beta_ij that detection j
 * is track i's and beta_i0 that none is.
 *
 * The problem: a joint association event theta assigns each track at most
 * one of its gated detections, each detection to at most one track; the
 * detections left over are clutter (Poisson, spatial density lambda).  With
 * detection probability PD, gate probability PG and g_ij = N(nu_ij; 0, S_ij)
 * (Bar-Shalom, Daum and Huang, "The probabilistic data association filter",
 * IEEE CSM 2009, eq. 39 up to a constant):
 *
 *   P(theta) ~ prod_{i assigned j} (PD g_ij / lambda)
 *            * prod_{i missed}     (1 - PD PG)
 *
 *   beta_ij = sum of P(theta) over theta with (i, j),
 *   beta_i0 = sum of P(theta) over theta that miss i     (normalised).
 *
 * Exact: depth-first enumeration of the feasible events, tracks in row
 * order, a track's options in its pair order, miss first.  Each row's
 * weights are divided by the row's largest weight first (every event takes
 * exactly one option per row, so that scales all events alike) to keep the
 * products in range.  The number of events is bounded by
 * prod_i (1 + gated_i); when that bound exceeds BF_JPDA_MAX_EVENTS the
 * cluster is solved by Fitzgerald's cheap JPDA (R. J. Fitzgerald,
 * "Development of practical PDA logic for multitarget tracking by
 * microprocessor", ACC 1986) in the form
 *
 *   G_ij = PD g_ij / lambda,  T_i = sum_j G_ij,  S_j = sum_i G_ij,
 *   B = 1 - PD PG,
 *   beta_ij = G_ij / (T_i + S_j - G_ij + B),   beta_i0 = 1 - sum_j beta_ij,
 *
 * which is exact for a single track (the PDA weights) and never gives a
 * track more than probability 1.  Deterministic: a fixed order of
 * operations, no allocation per call (the workspace is sized at create).
 */
#include <math.h>
#include <stdlib.h>

#include "core/bf_error.h"
#include "tracker/tracker_int.h"

struct bf_jpda_ws {
    size_t max_rows, max_cols;
    double *scale;            /* [max_rows] a row's largest weight */
    double *tsum;             /* [max_rows] cheap JPDA: T_i */
    double *csum;             /* [max_cols] cheap JPDA: S_j */
    unsigned char *used;      /* [max_cols] column taken on the current branch */
    uint32_t *act;            /* [max_rows] rows with at least one pair */
    uint32_t *choice;         /* [max_rows] pair chosen per active row, UINT32_MAX: miss */
};

/* The enumeration's read-only inputs and its accumulators. */
struct enum_ctx {
    struct bf_jpda_ws *ws;
    const uint32_t *row_start, *col;
    const double *lik;
    double miss_w;            /* 1 - PD PG, before the row scale */
    double pd_over_lambda;
    double *beta, *beta0;     /* accumulators, then the outputs */
    size_t n_act;
    double total;
};

int bf_jpda_ws_create(size_t max_rows, size_t max_cols, struct bf_jpda_ws **out)
{
    if (!out)
        return BF_EINVAL;
    *out = NULL;
    if (max_rows == 0 || max_cols == 0 || max_rows > (1u << 24) || max_cols > (1u << 24))
        return BF_EINVAL;
    struct bf_jpda_ws *ws = calloc(1, sizeof *ws);
    if (!ws)
        return BF_ENOMEM;
    ws->max_rows = max_rows;
    ws->max_cols = max_cols;
    ws->scale = malloc(max_rows * sizeof *ws->scale);
    ws->tsum = malloc(max_rows * sizeof *ws->tsum);
    ws->csum = malloc(max_cols * sizeof *ws->csum);
    ws->used = calloc(max_cols, 1);
    ws->act = malloc(max_rows * sizeof *ws->act);
    ws->choice = malloc(max_rows * sizeof *ws->choice);
    if (!ws->scale || !ws->tsum || !ws->csum || !ws->used || !ws->act || !ws->choice) {
        bf_jpda_ws_destroy(ws);
        return BF_ENOMEM;
    }
    *out = ws;
    return 0;
}

void bf_jpda_ws_destroy(struct bf_jpda_ws *ws)
{
    if (!ws)
        return;
    free(ws->scale);
    free(ws->tsum);
    free(ws->csum);
    free(ws->used);
    free(ws->act);
    free(ws->choice);
    free(ws);
}

/* Event weight of pair e of row i, scaled. */
static inline double pair_w(const struct enum_ctx *c, uint32_t i, uint32_t e)
{
    return c->pd_over_lambda * c->lik[e] / c->ws->scale[i];
}

/* Enumerate the options of active row k onwards, w the product so far. */
static void enumerate(struct enum_ctx *c, size_t k, double w)
{
    struct bf_jpda_ws *ws = c->ws;
    if (k == c->n_act) {
        c->total += w;
        for (size_t a = 0; a < c->n_act; a++) {
            uint32_t e = ws->choice[a];
            if (e == UINT32_MAX)
                c->beta0[ws->act[a]] += w;
            else
                c->beta[e] += w;
        }
        return;
    }
    uint32_t i = ws->act[k];
    ws->choice[k] = UINT32_MAX;
    enumerate(c, k + 1, w * (c->miss_w / ws->scale[i]));
    for (uint32_t e = c->row_start[i]; e < c->row_start[i + 1]; e++) {
        uint32_t j = c->col[e];
        if (ws->used[j] || !(c->lik[e] > 0))
            continue;
        ws->used[j] = 1;
        ws->choice[k] = e;
        enumerate(c, k + 1, w * pair_w(c, i, e));
        ws->used[j] = 0;
    }
}

int bf_jpda_solve(struct bf_jpda_ws *ws, size_t rows, size_t cols, const uint32_t *row_start,
                  const uint32_t *col, const double *lik, double clutter_density, double pd,
                  double pg, double *beta, double *beta0, bool *exact)
{
    if (!ws || !exact || (rows > 0 && (!row_start || !beta0)))
        return BF_EINVAL;
    if (!(clutter_density > 0) || !isfinite(clutter_density) || !(pd > 0) || pd > 1 ||
        !(pg > 0) || pg > 1 || !(pd * pg < 1))
        return BF_EINVAL;
    if (rows > ws->max_rows || cols > ws->max_cols)
        return BF_EFULL;
    *exact = true;
    if (rows == 0)
        return 0;
    size_t np = row_start[rows];
    if (row_start[0] != 0 || (np > 0 && (!col || !lik || !beta)))
        return BF_EINVAL;
    for (size_t i = 0; i < rows; i++) {
        if (row_start[i + 1] < row_start[i])
            return BF_EINVAL;
    }
    for (size_t e = 0; e < np; e++) {
        if (col[e] >= cols || !(lik[e] >= 0) || !isfinite(lik[e]))
            return BF_EINVAL;
    }

    const double miss_w = 1.0 - pd * pg;
    const double pdl = pd / clutter_density;

    /* the bound on the number of events, and the row scales */
    double bound = 1;
    size_t n_act = 0;
    for (size_t i = 0; i < rows; i++) {
        size_t deg = row_start[i + 1] - row_start[i];
        double mx = miss_w;
        for (uint32_t e = row_start[i]; e < row_start[i + 1]; e++)
            mx = fmax(mx, pdl * lik[e]);
        if (!isfinite(mx))
            return BF_EINVAL;   /* lik / lambda overflows */
        ws->scale[i] = mx;
        beta0[i] = 0;
        if (deg > 0) {
            ws->act[n_act++] = (uint32_t)i;
            bound *= (double)(deg + 1);
        }
    }
    for (size_t e = 0; e < np; e++)
        beta[e] = 0;

    if (bound <= BF_JPDA_MAX_EVENTS) {
        struct enum_ctx c = {.ws = ws, .row_start = row_start, .col = col, .lik = lik,
                             .miss_w = miss_w, .pd_over_lambda = pdl, .beta = beta,
                             .beta0 = beta0, .n_act = n_act, .total = 0};
        for (size_t j = 0; j < cols; j++)
            ws->used[j] = 0;
        enumerate(&c, 0, 1.0);
        /* the all-miss event has weight prod (miss_w / scale) > 0 */
        if (!(c.total > 0) || !isfinite(c.total))
            return BF_EINVAL;
        for (size_t e = 0; e < np; e++)
            beta[e] /= c.total;
        for (size_t i = 0; i < rows; i++) {
            if (row_start[i + 1] == row_start[i])
                beta0[i] = 1.0;
            else
                beta0[i] /= c.total;
        }
        return 0;
    }

    /* cheap JPDA */
    *exact = false;
    for (size_t j = 0; j < cols; j++)
        ws->csum[j] = 0;
    for (size_t i = 0; i < rows; i++) {
        double s = 0;
        for (uint32_t e = row_start[i]; e < row_start[i + 1]; e++) {
            double g = pdl * lik[e];
            s += g;
            ws->csum[col[e]] += g;
        }
        ws->tsum[i] = s;
    }
    for (size_t i = 0; i < rows; i++) {
        double s = 0;
        for (uint32_t e = row_start[i]; e < row_start[i + 1]; e++) {
            double g = pdl * lik[e];
            double den = ws->tsum[i] + ws->csum[col[e]] - g + miss_w;
            beta[e] = g > 0 ? g / den : 0.0;
            s += beta[e];
        }
        beta0[i] = fmax(0.0, 1.0 - s);
    }
    return 0;
}
