/*
 * tracker.c - the tracker: turns scans of detections into tracks.
 *
 * The problem: each scan brings a sensor's detections at one event time;
 * some belong to existing tracks, some are new targets, some are clutter,
 * and tracks the sensor should have seen but did not must age.  The tracker
 * composes the parts the Stone Soup way, one scan at a time:
 *
 *   predictor     every track the sensor can see is predicted to the scan
 *                 time (tracks/predictor.c) and moved in the grid, with the
 *                 sensor's Pd where it is predicted (pd_at, O(1); without
 *                 it pd inside range_m, 0 outside); one past its max coast
 *                 (no hit for max_coast_s, by class) or whose position std
 *                 passed max_pos_sigma_m is deleted here, before it could
 *                 take a detection (an idle track never takes a far plot);
 *   hypothesiser  per detection, candidate tracks come from the spatial grid
 *                 (tracker/grid.c), then the implied-speed test and the
 *                 Mahalanobis gate d^2 < gate_sigma^2 give gated pairs;
 *   associator    tracks and detections linked by gated pairs form
 *                 independent clusters (union-find).  GNN (default): each
 *                 cluster of up to max_cluster tracks + detections is solved
 *                 exactly (sparse JV, tracker/assign.c), so one track never
 *                 takes two detections of a scan; bigger ones greedily
 *                 (counted in clusters_bounded).  JPDA: each cluster gives
 *                 the marginals beta (tracker/jpda.c) and each track the PDA
 *                 update; it hits when 1 - beta0 >= 1/2, and a detection
 *                 whose betas sum below 1/2 starts a track.  Cost of a pair: d^2; cost of a track left
 *                 without a detection: gate^2 if tentative, 2 gate^2 if
 *                 confirmed or coasting (passed to the solver as one
 *                 unassigned cost 2 gate^2, with gate^2 added to tentative
 *                 pairs).  Every gated pair beats leaving its track out, and
 *                 a confirmed track beats a tentative one for a detection
 *                 both gate (docs/tracking.md explains the choice);
 *   updater       assigned pairs update the track (tracks/updater.c);
 *   deleter       a track in the sensor's view (Pd >= 0.01) without a
 *                 detection takes a miss weighted ln(1 - Pd PG) / ln(1 - pd
 *                 PG) (1 at the configured pd, 0.16 at Pd 0.3), so a track
 *                 where the sensor sees badly is not dropped after the
 *                 misses a good region allows; weighted misses in a row, a
 *                 position std above max_pos_sigma_m or (score rule, with
 *                 the local Pd in its increments) a score delete_llr_drop
 *                 below its peak delete it;
 *   initiator     every detection left over that carries a position (not
 *                 bearing-only, not presence) starts a TENTATIVE track, which
 *                 is confirmed after confirm_m hits in its first confirm_n
 *                 opportunities (M-of-N) or when its log-likelihood-ratio
 *                 score reaches confirm_llr (score rule: + ln(PD g / lambda)
 *                 per hit, + ln(1 - PD PG) per miss; docs/tracking.md).
 *   Class evidence (hints through the sensor's confusion matrix, and a
 *   confirmed track's speed) is added to log posteriors, so a track
 *   remembers all of it (class_fuse, class_kinematic).  A confirmed track
 *   deleted goes to a small ring of lost tracks; a new track that confirms
 *   where one of them would be, moving its way, within continue_window_s,
 *   continues it (continues_id, continue_decide).
 *
 * bf_tracker_scan is the composition of these stages, each a function of its
 * own: gather (predictor), locate_all and hypothesise_all (hypothesiser),
 * associate, the associator's update (updater), manage (misses, deletion,
 * confirmation, continuation: track_hit, track_miss), initiate, then the
 * ageing sweep.  The associator (GNN: each cluster's exact assignment; JPDA:
 * each cluster's marginals) and the confirmation rule (M-of-N, score) are
 * small tables of functions (struct associator, struct confirm_rule) chosen
 * at create, not branches inside the stages.  The updater only updates the
 * filters; everything that changes the track lists (deletion, the lost
 * ring, continuation) happens in manage, in gather order.
 *
 * Data layout, for speed: the tracks live in one pool (a flat array of
 * struct bf_track, sized max_tracks at create) addressed by slot; free slots
 * are a stack; live tracks are also chained in id order so listing them is
 * O(live) and sorted.  Per-scan work touches only the tracks near the
 * sensor's coverage and, per detection, the tracks in a few grid cells:
 * nothing per detection is O(tracks), and nothing is allocated per
 * detection (scratch arrays grow to the largest scan seen, then stay).
 * Per-slot scan stamps replace clearing arrays between scans.
 *
 * Determinism: no clock, no hashing order, no addresses.  Clusters are
 * solved with rows in track id order and columns in detection index order;
 * new tracks take ids in detection index order; the changes list is sorted
 * by id.  Same scans in, same tracks out, bit for bit.
 *
 * Invariants (checked by bf_tracker_check; numbers used in its messages):
 *  (1) Every pool slot is in exactly one of: the free stack (status 0), the
 *      live list (TENTATIVE, CONFIRMED or COASTING), the list of tracks
 *      deleted by the last scan (DELETED); n_free + n_live + n_pending ==
 *      capacity.
 *  (2) The live list is doubly linked, in strictly increasing id, and every
 *      id is below next_id; track.slot is the slot's index.
 *  (3) Each live track is in exactly one grid cell: the one its position and
 *      reach map to; free and deleted slots are in none; the grid is
 *      internally consistent.
 *  (4) x and P are finite, P is exactly symmetric with a positive diagonal;
 *      t_us is not after the last scan.
 *  (5) Lifecycle counters agree with the status: CONFIRMED has miss_run 0;
 *      COASTING has miss_run >= 1 and weighted misses below delete_misses;
 *      TENTATIVE has weighted misses below delete_misses_tentative,
 *      1 <= opportunities < confirm_n
 *      and fewer than confirm_m hits (M-of-N) or a score below confirm_llr
 *      (score rule).  Under the score rule every live track's score is
 *      finite, at most its peak and within delete_llr_drop of it.
 *  (6) class_p is a probability vector (each in [0, 1], sum 1 within 1e-3);
 *      class_logp is normalised: every entry in [-CLASS_LOG_SPAN, 0].
 *  (7) The history ring is within bounds and not empty.
 *  (8) stats.live and stats.live_confirmed match the live list.
 *  (9) The changes list is in strictly increasing id, every entry points into
 *      the pool, and an entry flagged DELETED points to a DELETED track.
 */
#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/bf_error.h"
#include "core/bf_log.h"
#include "tracker/tracker.h"
#include "tracker/tracker_int.h"

#define NONE UINT32_MAX
#define LOG_TAG "tracker"

/* Euclidean pre-gate slack: a track is a candidate only within
 * REACH_SLACK * gate_sigma * (sigma_track + sigma_det) + 1 m of a detection.
 * For position measurements the true gate lies inside gate * (sigma_t +
 * sigma_d); the slack covers the linearisation of range-bearing gates. */
#define REACH_SLACK 1.25
/* Cell side = gate_sigma * max_pos_sigma_m / CELL_DIV (75 m by default): a track whose reach
 * (REACH_SLACK * gate * sigma) exceeds a cell sits in the wide cell, so cells sized for the
 * common 5-20 m track keep candidate lists short in dense scenes (measured with
 * borderfuse-bench: 10 % fewer instructions per detection at N = 10000, same tracks). */
#define CELL_DIV 20.0
/* Clusters of up to params.max_cluster tracks + detections are solved
 * exactly (sparse JV, or JPDA); larger ones (dense clutter on dense tracks)
 * greedily by increasing cost, and counted in stats.clusters_bounded. */
/* Where the clutter density divides (score, JPDA), it is at least this. */
#define MIN_CLUTTER_DENSITY 1e-12
/* JPDA: a track counts a hit when 1 - beta0 >= this; a detection starts a
 * track when the tracks' beta for it sum below this. */
#define JPDA_HIT_PROB 0.5
#define JPDA_NEW_PROB 0.5
/* Kinematic classification: exponent on the speed likelihood per hit, and
 * the largest velocity std (m/s) at which the speed is trusted. */
#define KIN_DAMP 0.25
#define KIN_MAX_VEL_SIGMA_MPS 3.0
#define KIN_KNOTS 7     /* speed knots of the kinematic class likelihoods */
/* Live tracks checked per scan by the ageing sweep (tracks outside all coverage). */
#define SWEEP_PER_SCAN 16
/* Kinematic class likelihoods are floored at this (one scan's speed evidence is bounded). */
#define CLASS_FLOOR 0.01
/* A class likelihood from hints is floored at this, so a zero in a confusion
 * matrix never sends a log posterior to -infinity. */
#define CLASS_LIK_MIN 1e-9
/* Log posteriors are kept within this of the best class (a numeric guard:
 * e^-50 ~ 2e-22; docs/tracking.md says why it does not make a track forget). */
#define CLASS_LOG_SPAN 50.0
/* Pd(x) from a sensor's pd_at below this: the track is not in that sensor's
 * view this scan (no miss, no opportunity). */
#define PD_MIN_MISS 0.01
/* A hit where pd_at says the sensor hardly sees counts with Pd at least this
 * in the score (ln(PD g / lambda) would otherwise run to -infinity). */
#define PD_MIN_HIT 0.05
/* Recently lost confirmed tracks kept for continuation. */
#define LOST_RING 64
/* Continuation is decided once the new track's velocity std is at most this (m/s). */
#define CONT_MAX_VEL_SIGMA_MPS 2.5
/* Continuation: both moving faster than this (m/s) and more than 90 degrees
 * apart in heading is a turn-back or another target, not a continuation. */
#define CONT_MIN_SPEED_MPS 1.0
/* A lost track's class counts (for continuation) when its probability is at least this. */
#define CONT_CLASS_P 0.6

/* A track taking part in this scan (predicted to the scan time). */
struct scan_trk {
    uint32_t slot;
    uint32_t det;        /* assigned detection, NONE if none */
    /* set by the associator: */
    double llr;          /* track score increment of this scan (score rule) */
    uint32_t jp_start, jp_n;   /* JPDA: the track's detections in jp_det/jp_beta */
    double beta0;        /* JPDA: probability that none of them is the target's */
    double sigma_m;      /* sqrt of the largest eigenvalue of P_pos */
    double pd;           /* Pd(x) of the sensor at the predicted position */
    double pd_hit;       /* Pd used for a hit's score increment */
    bool in_cov;         /* the sensor can see it (pd above PD_MIN_MISS): a miss counts */
    /* set by the updater: */
    uint32_t hit;        /* detection of the hit, NONE if none */
    bool moved;          /* updated without a hit (JPDA): its grid cell is due */
};

/* A confirmed track lately deleted, kept for continuation (docs/tracking.md). */
struct lost_trk {
    uint32_t id;         /* 0: empty or consumed */
    uint8_t cls;         /* most likely class, BF_CLASS_COUNT when none reaches CONT_CLASS_P */
    bf_time_us t_us;     /* time of x and P */
    bf_time_us last_hit_us, lost_us;
    double hit_e_m, hit_n_m, hit_sigma_m;   /* position and its std at the last hit */
    double x[4], P[16];
};

/* Reach of a bearing-only detection whose sensor has no coverage radius (m). */
#define UNLOCATED_REACH_M 10000.0

/*
 * A detection of this scan.  A located one (POSITION, RANGE_BEARING, BEARING
 * with elevation) has the initiator's state; an unlocated one (bearing-only,
 * presence, or located too vaguely to start a track) has only a reach circle
 * that holds every track it can gate with, and starts no track.
 */
struct scan_det {
    double x0[4];        /* initiator's state: x0[0..1] is its position (located only) */
    double P0[16];       /* initiator's covariance: P0 pos block is R in e/n (located only) */
    double sigma_m;      /* sqrt of the largest eigenvalue of that block (located only) */
    double reach_e_m, reach_n_m, reach_m;   /* reach circle (unlocated only) */
    uint32_t trk;        /* assigned scan_trk index, NONE if none */
    bool valid;
    bool located;
};

struct pair {
    uint32_t trk;        /* scan_trk index */
    uint32_t det;        /* detection index */
    double d2;           /* squared Mahalanobis distance */
    double cost;         /* assignment cost: d2, + gate^2 for a tentative track */
};

struct id_slot {
    uint32_t id, slot;
};

/* A pair as the greedy fallback sorts it. */
struct greedy_ent {
    double cost;
    uint32_t id, det, trk;
};

struct bf_tracker;

/*
 * The data associator (params.associator), chosen at create: how a cluster
 * of gated pairs is resolved, and how a track is then updated.
 */
struct associator {
    /* Before the clusters of a scan with gated pairs (NULL: nothing to do). */
    int (*begin)(struct bf_tracker *t, size_t n_det);
    /* Solve the scan's n_cl clusters (find_clusters), each through
     * cluster_open. */
    void (*clusters)(struct bf_tracker *t, const struct bf_detection *dets, uint32_t n_cl);
    /* After every cluster (NULL: nothing to do). */
    void (*end)(struct bf_tracker *t, size_t n_det);
    /* Updater: every gathered track's filter update with what it was given;
     * sets st[].hit and st[].moved. */
    void (*update)(struct bf_tracker *t, const struct bf_detection *dets);
};

/*
 * The confirmation rule (params.confirm), chosen at create: when a tentative
 * track is confirmed or given up, and the track score it keeps, if any.
 */
struct confirm_rule {
    /* Tentative tr has earned confirmation. */
    bool (*reached)(const struct bf_tracker *t, const struct bf_track *tr);
    /* Tentative slot s can no longer be confirmed. */
    bool (*hopeless)(const struct bf_tracker *t, uint32_t s);
    /* A confirmed or coasting track's evidence fell too far (NULL: never). */
    bool (*dropped)(const struct bf_tracker *t, const struct bf_track *tr);
    /* Add this scan's increment (the associator's st.llr) to slot s's score
     * (NULL: the rule keeps no score). */
    void (*add)(struct bf_tracker *t, uint32_t s);
    /* The increments of this scan's hard hits (NULL: the rule keeps no score). */
    void (*score_hits)(struct bf_tracker *t, const struct bf_detection *dets);
};

struct bf_tracker {
    struct bf_tracker_params p;
    struct bf_tracker_sensor *sensors;
    size_t n_sensors;
    double gate2;
    double cell_m;
    uint32_t cap;

    /* track pool */
    struct bf_track *trk;      /* [cap] */
    uint8_t *opps;             /* [cap] opportunities seen while tentative */
    double *hit_sigma;         /* [cap] position std right after the last hit */
    double *miss_w;            /* [cap] Pd-weighted misses in a row (docs/tracking.md) */
    uint8_t *cont_pending;     /* [cap] confirmed, continuation not decided yet */
    double *confusion;         /* [n_sensors * K * K] class confusion matrices */
    uint8_t *absent;           /* [n_sensors] removed (bf_tracker_remove_sensor); NULL: none */
    struct lost_trk lost[LOST_RING];   /* recently lost confirmed tracks, a ring */
    uint32_t lost_next;        /* next ring entry to write */
    uint32_t *free_stack;      /* [cap] */
    uint32_t n_free;
    uint32_t *next, *prev;     /* [cap] live list in id order */
    uint32_t head, tail;
    uint32_t n_live;
    uint32_t *pending;         /* [cap] deleted by the last scan */
    uint32_t n_pending;
    uint32_t next_id;
    struct bf_grid *grid;

    /* per-slot scan state */
    uint32_t scan_no;
    uint32_t *stamp;           /* [cap] == scan_no: gathered this scan */
    uint32_t *local;           /* [cap] index in st[] when gathered */
    uint32_t *chg_stamp;       /* [cap] == scan_no: on the changes list */
    uint32_t *chg_what;        /* [cap] */

    /* changes of the last scan */
    struct id_slot *touched;   /* [cap] */
    size_t n_touched;
    struct bf_track_change *changes;   /* [cap] */
    size_t n_changes;

    /* scan scratch */
    struct scan_trk *st;       /* [cap] */
    uint32_t n_st;
    uint32_t *cand;            /* [cap] grid query results */
    struct scan_det *sd;       /* grows to the largest scan */
    size_t sd_cap;
    uint32_t *uf;              /* union-find parents, [cap + sd_cap] */
    uint32_t *node_cl;         /* cluster of a root / position of a node */
    size_t node_cap;
    struct pair *pairs;
    size_t n_pairs, pairs_cap;
    uint32_t *pair_cl;         /* cluster of each pair */
    uint32_t *pair_order;      /* pairs sorted by cluster */
    uint32_t *cl_start;        /* [n_clusters + 1] */
    size_t pscratch_cap;

    /* cluster solve, sized from max_cluster at create */
    struct bf_assign_sparse_ws *sws;
    struct bf_jpda_ws *jws;
    int *r2c;                  /* [max_cluster] */
    uint32_t *csr_start;       /* [max_cluster + 1] a cluster's pairs in compressed rows */
    struct id_slot *row_ids;   /* [max_cluster] rows sorted by track id */
    double *row_beta0;         /* [max_cluster] */
    const struct bf_detection **pda_dets;   /* [max_cluster] */
    double *pda_beta;          /* [max_cluster] */
    uint32_t *csr_col, *csr_pair, *jp_det;  /* [csr_cap] */
    struct greedy_ent *greedy;              /* [csr_cap] */
    double *csr_val, *csr_beta, *jp_beta;   /* [csr_cap] */
    size_t csr_cap;
    double *det_bsum;          /* [det_cap] JPDA: sum over tracks of beta per detection */
    uint32_t *det_best;        /* [det_cap] JPDA: the track (st index) with the largest beta */
    double *det_bmax;          /* [det_cap] JPDA: that beta */
    size_t det_cap;
    double lambda;             /* clutter density, floored */
    double llr_miss;           /* score increment of a miss: ln(1 - PD PG), 2-D gate */
    double pg2;                /* PG of the 2-D gate */
    bf_time_us min_coast_us;   /* the smallest max coast of any class (INT64_MAX: none) */
    double kin_loglik[BF_CLASS_COUNT][KIN_KNOTS];   /* KIN_DAMP ln kin_lik, floored */
    uint32_t *rows, *cols;     /* cluster members (node numbers) */
    size_t rc_cap;

    const struct associator *assoc;      /* params.associator's */
    const struct confirm_rule *rule;     /* params.confirm's */

    uint32_t sweep;            /* ageing sweep cursor: a live slot, or NONE */
    bf_time_us last_t;
    struct bf_tracker_stats stats;
};

/* ---- small helpers ------------------------------------------------------ */

/* Square root of the largest eigenvalue of the 2x2 position block of P. */
static double pos_sigma(const double P[16])
{
    double a = P[0], b = P[1], d = P[5];
    double h = 0.5 * (a - d);
    double l = 0.5 * (a + d) + sqrt(h * h + b * b);
    return l > 0 ? sqrt(l) : 0.0;
}

static bool is_wide(const struct bf_tracker *t, double sigma_m)
{
    return !(REACH_SLACK * t->p.gate_sigma * sigma_m <= t->cell_m);
}

static bool finite_n(const double *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(v[i]))
            return false;
    }
    return true;
}

static uint32_t popcount32(uint32_t v)
{
    uint32_t c = 0;
    for (; v; v &= v - 1)
        c++;
    return c;
}

/* Probability that a target's measurement (dimension dim) falls inside the
 * gate d^2 < g^2: the chi-square distribution with dim degrees of freedom. */
static double gate_prob(int dim, double g)
{
    switch (dim) {
    case 1:
        return erf(g / M_SQRT2);
    case 3:
        return erf(g / M_SQRT2) - sqrt(2.0 / M_PI) * g * exp(-0.5 * g * g);
    default:
        return 1.0 - exp(-0.5 * g * g);
    }
}

static void *grow(void *p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return p;
    size_t n = *cap ? *cap : 64;
    while (n < need)
        n *= 2;
    void *q = realloc(p, n * elem);
    if (q)
        *cap = n;
    return q;
}

/* ---- class probabilities ----------------------------------------------- */

/*
 * e^l for l in [-CLASS_LOG_SPAN, 0], to about 1e-9 relative: l log2(e) =
 * k + f with k an integer and |f| <= 1/2, 2^f by its Taylor series to degree
 * 8, 2^k put in the exponent bits.  class_p is a float, so this is ample;
 * libm's exp() cost more than the rest of a hit's class update.
 */
static double exp_span(double l)
{
    double y = l * M_LOG2E;   /* [-72.2, 0] */
    double kf = (double)(int64_t)(y - 0.5);   /* truncation of a negative: round down */
    if (y - kf > 0.5)
        kf += 1.0;
    double g = (y - kf) * M_LN2;   /* |g| <= ln2 / 2 */
    double p = 1.0 + g * (1.0 + g * (1.0 / 2 + g * (1.0 / 6 + g * (1.0 / 24 + g * (1.0 / 120 +
               g * (1.0 / 720 + g * (1.0 / 5040 + g * (1.0 / 40320))))))));
    union {
        uint64_t u;
        double d;
    } two_k = {.u = (uint64_t)((int64_t)kf + 1023) << 52};
    return p * two_k.d;
}

/* class_p from class_logp: subtract the largest, keep every class within
 * CLASS_LOG_SPAN of it, exponentiate and normalise. */
static void class_normalise(struct bf_track *tr)
{
    double mx = tr->class_logp[0];
    for (int k = 1; k < BF_CLASS_COUNT; k++)
        mx = fmax(mx, tr->class_logp[k]);
    if (!isfinite(mx))
        mx = 0;
    double e[BF_CLASS_COUNT], sum = 0;
    for (int k = 0; k < BF_CLASS_COUNT; k++) {
        double l = tr->class_logp[k] - mx;
        if (!(l >= -CLASS_LOG_SPAN))
            l = -CLASS_LOG_SPAN;   /* also a NaN */
        tr->class_logp[k] = l;
        e[k] = exp_span(l);
        sum += e[k];
    }
    for (int k = 0; k < BF_CLASS_COUNT; k++)
        tr->class_p[k] = (float)(e[k] / sum);
}

static void class_uniform(struct bf_track *tr)
{
    for (int k = 0; k < BF_CLASS_COUNT; k++) {
        tr->class_logp[k] = 0;
        tr->class_p[k] = 1.0f / BF_CLASS_COUNT;
    }
}

/*
 * Fold detection d's class hints into the track: the hints, normalised,
 * are the sensor's report q over the classes; with the sensor's confusion
 * matrix M (P(reported | true)) the likelihood of true class c is
 * sum_r M[c][r] q_r, added to the log posterior.  Unusable hints are ignored.
 */
static bool class_fuse(const struct bf_tracker *t, struct bf_track *tr, const struct bf_detection *d)
{
    if (!(d->flags & BF_DET_F_CLASS))
        return false;
    double sum_l = 0;
    for (int k = 0; k < BF_CLASS_COUNT; k++) {
        float l = d->class_lik[k];
        if (!isfinite(l) || l < 0)
            return false;   /* unusable hints: ignored */
        sum_l += l;
    }
    if (!(sum_l > 0) || !isfinite(sum_l))
        return false;
    const double *m = d->sensor_idx < t->n_sensors
                          ? &t->confusion[(size_t)d->sensor_idx * BF_CLASS_COUNT * BF_CLASS_COUNT]
                          : bf_class_confusion_default(NULL);
    double q[BF_CLASS_COUNT];
    for (int r = 0; r < BF_CLASS_COUNT; r++)
        q[r] = d->class_lik[r] / sum_l;
    for (int c = 0; c < BF_CLASS_COUNT; c++) {
        double l = 0;
        for (int r = 0; r < BF_CLASS_COUNT; r++)
            l += m[c * BF_CLASS_COUNT + r] * q[r];
        tr->class_logp[c] += log(fmax(l, CLASS_LIK_MIN));
    }
    return true;   /* class_p is due: class_normalise */
}

/*
 * Default confusion matrices: accuracy a on the diagonal, (1 - a) / 5
 * elsewhere (docs/tracking.md): generic 0.8, radar 0.5, camera 0.85, ugs 0.65.
 */
#define CONF_ROW(a, o, c)                                                          \
    (c) == 0 ? (a) : (o), (c) == 1 ? (a) : (o), (c) == 2 ? (a) : (o),              \
        (c) == 3 ? (a) : (o), (c) == 4 ? (a) : (o), (c) == 5 ? (a) : (o)
#define CONF_MATRIX(a)                                                             \
    {CONF_ROW(a, (1.0 - (a)) / 5, 0), CONF_ROW(a, (1.0 - (a)) / 5, 1),              \
     CONF_ROW(a, (1.0 - (a)) / 5, 2), CONF_ROW(a, (1.0 - (a)) / 5, 3),              \
     CONF_ROW(a, (1.0 - (a)) / 5, 4), CONF_ROW(a, (1.0 - (a)) / 5, 5)}
_Static_assert(BF_CLASS_COUNT == 6, "the default confusion matrices are written for 6 classes");
static const double conf_generic[BF_CLASS_COUNT * BF_CLASS_COUNT] = CONF_MATRIX(0.8);
static const double conf_radar[BF_CLASS_COUNT * BF_CLASS_COUNT] = CONF_MATRIX(0.5);
static const double conf_camera[BF_CLASS_COUNT * BF_CLASS_COUNT] = CONF_MATRIX(0.85);
static const double conf_ugs[BF_CLASS_COUNT * BF_CLASS_COUNT] = CONF_MATRIX(0.65);

const double *bf_class_confusion_default(const char *sensor_type)
{
    if (!sensor_type)
        return conf_generic;
    if (!strcmp(sensor_type, "asterix"))
        return conf_radar;
    if (!strcmp(sensor_type, "camera"))
        return conf_camera;
    if (!strcmp(sensor_type, "ugs"))
        return conf_ugs;
    return conf_generic;
}

bool bf_class_confusion_valid(const double *m, int *bad_row, int *bad_col)
{
    int br = -1, bc = -1;
    for (int r = 0; m && r < BF_CLASS_COUNT && br < 0; r++) {
        double sum = 0;
        for (int c = 0; c < BF_CLASS_COUNT; c++) {
            double v = m[r * BF_CLASS_COUNT + c];
            if (!(v >= 0 && v <= 1)) {
                br = r;
                bc = c;
                break;
            }
            sum += v;
        }
        if (br < 0 && !(fabs(sum - 1.0) <= 1e-6))
            br = r;
    }
    if (!m)
        br = 0;
    if (bad_row)
        *bad_row = br;
    if (bad_col)
        *bad_col = bc;
    return br < 0;
}

/*
 * Kinematic class likelihoods: speed (m/s) at the knots below, linear in
 * between, constant beyond the last (docs/tracking.md).  Rows: person,
 * vehicle, animal, vessel, aircraft, unknown.
 */
static const double kin_speed[KIN_KNOTS] = {0, 2, 5, 10, 20, 40, 80};
static const double kin_lik[BF_CLASS_COUNT][KIN_KNOTS] = {
    {1.00, 1.00, 0.30, 0.02, 0.01, 0.01, 0.01},   /* person */
    {0.30, 0.40, 0.70, 1.00, 1.00, 0.60, 0.10},   /* vehicle */
    {1.00, 0.80, 0.60, 0.15, 0.02, 0.01, 0.01},   /* animal */
    {0.40, 0.60, 0.80, 0.80, 0.50, 0.10, 0.01},   /* vessel */
    {0.05, 0.05, 0.10, 0.20, 0.50, 1.00, 1.00},   /* aircraft */
    {0.50, 0.50, 0.50, 0.50, 0.50, 0.50, 0.50},   /* unknown */
};

/* Fold the speed of a confirmed track into its class evidence:
 * logp_k += KIN_DAMP ln lik_k(speed), the log-likelihood linear between the
 * knots.  Skipped while the velocity std exceeds KIN_MAX_VEL_SIGMA_MPS. */
static bool class_kinematic(const struct bf_tracker *t, struct bf_track *tr)
{
    const double *x = tr->x, *P = tr->P;
    double a = P[10], b = P[11], d = P[15], h = 0.5 * (a - d);
    double vvar = 0.5 * (a + d) + sqrt(h * h + b * b);
    if (!(vvar <= KIN_MAX_VEL_SIGMA_MPS * KIN_MAX_VEL_SIGMA_MPS))
        return false;
    double v = hypot(x[2], x[3]);
    if (!isfinite(v))
        return false;
    int k0 = 0;
    while (k0 < KIN_KNOTS - 2 && v > kin_speed[k0 + 1])
        k0++;
    double f = (v - kin_speed[k0]) / (kin_speed[k0 + 1] - kin_speed[k0]);
    f = fmin(1.0, fmax(0.0, f));
    for (int c = 0; c < BF_CLASS_COUNT; c++)
        tr->class_logp[c] +=
            t->kin_loglik[c][k0] + f * (t->kin_loglik[c][k0 + 1] - t->kin_loglik[c][k0]);
    return true;   /* class_p is due: class_normalise */
}

/* ---- changes ------------------------------------------------------------ */

static void mark(struct bf_tracker *t, uint32_t slot, uint32_t what)
{
    if (t->chg_stamp[slot] != t->scan_no) {
        t->chg_stamp[slot] = t->scan_no;
        t->chg_what[slot] = 0;
        t->touched[t->n_touched].id = t->trk[slot].id;
        t->touched[t->n_touched].slot = slot;
        t->n_touched++;
    }
    t->chg_what[slot] |= what;
}

/*
 * In-place heap sorts by a unique uint32 key.  qsort() is glibc's merge sort,
 * which mallocs a buffer for anything over 1 KiB: these run every scan (the
 * changes list, each cluster's rows and columns), so they must not allocate.
 * Keys are unique, so stability does not matter.
 */
#define HEAP_SORT(NAME, T, KEY)                                                    \
    static void NAME(T *v, size_t n)                                               \
    {                                                                              \
        for (size_t k = n / 2; k-- > 0;) /* heapify */                             \
            NAME##_down(v, k, n);                                                  \
        for (size_t end = n; end-- > 1;) {                                         \
            T tmp = v[0];                                                          \
            v[0] = v[end];                                                         \
            v[end] = tmp;                                                          \
            NAME##_down(v, 0, end);                                                \
        }                                                                          \
    }
#define HEAP_DOWN(NAME, T, KEY)                                                    \
    static void NAME##_down(T *v, size_t i, size_t n)                              \
    {                                                                              \
        for (;;) {                                                                 \
            size_t c = 2 * i + 1;                                                  \
            if (c >= n)                                                            \
                return;                                                            \
            if (c + 1 < n && KEY(v[c + 1]) > KEY(v[c]))                            \
                c++;                                                               \
            if (!(KEY(v[c]) > KEY(v[i])))                                          \
                return;                                                            \
            T tmp = v[i];                                                          \
            v[i] = v[c];                                                           \
            v[c] = tmp;                                                            \
            i = c;                                                                 \
        }                                                                          \
    }
#define ID_KEY(x) ((x).id)
#define U32_KEY(x) (x)
HEAP_DOWN(sort_id_slot, struct id_slot, ID_KEY)
HEAP_SORT(sort_id_slot, struct id_slot, ID_KEY)
HEAP_DOWN(sort_u32, uint32_t, U32_KEY)
HEAP_SORT(sort_u32, uint32_t, U32_KEY)

/* ---- pool and lifecycle ------------------------------------------------- */

static void live_unlink(struct bf_tracker *t, uint32_t s)
{
    uint32_t p = t->prev[s], n = t->next[s];
    if (p != NONE)
        t->next[p] = n;
    else
        t->head = n;
    if (n != NONE)
        t->prev[n] = p;
    else
        t->tail = p;
    t->next[s] = t->prev[s] = NONE;
    t->n_live--;
}

static void live_append(struct bf_tracker *t, uint32_t s)
{
    t->prev[s] = t->tail;
    t->next[s] = NONE;
    if (t->tail != NONE)
        t->next[t->tail] = s;
    else
        t->head = s;
    t->tail = s;
    t->n_live++;
}

/* Most likely class of tr and its probability (ties: the lower class). */
static int best_class(const struct bf_track *tr, float *p)
{
    int best = 0;
    for (int k = 1; k < BF_CLASS_COUNT; k++)
        if (tr->class_p[k] > tr->class_p[best])
            best = k;
    if (p)
        *p = tr->class_p[best];
    return best;
}

/* Keep a confirmed track being deleted in the ring of lost tracks. */
static void lost_push(struct bf_tracker *t, const struct bf_track *tr, uint32_t s)
{
    if (!(t->p.continue_window_s > 0) || !finite_n(tr->x, 4) || !finite_n(tr->P, 16))
        return;
    struct lost_trk *e = &t->lost[t->lost_next];
    t->lost_next = (t->lost_next + 1) % LOST_RING;
    float cp;
    int c = best_class(tr, &cp);
    const struct bf_track_point *h = &tr->hist[(tr->hist_head + tr->hist_len - 1) % BF_TRACK_HIST];
    *e = (struct lost_trk){
        .id = tr->id, .cls = (uint8_t)(cp >= CONT_CLASS_P ? c : BF_CLASS_COUNT),
        .t_us = tr->t_us, .last_hit_us = tr->last_hit_us, .lost_us = t->last_t,
        .hit_e_m = h->e_m, .hit_n_m = h->n_m, .hit_sigma_m = t->hit_sigma[s],
    };
    memcpy(e->x, tr->x, sizeof e->x);
    memcpy(e->P, tr->P, sizeof e->P);
}

static void track_delete(struct bf_tracker *t, uint32_t s)
{
    struct bf_track *tr = &t->trk[s];
    if (tr->status == BF_TRACK_CONFIRMED || tr->status == BF_TRACK_COASTING) {
        t->stats.live_confirmed--;
        lost_push(t, tr, s);
    }
    tr->status = BF_TRACK_DELETED;
    if (t->sweep == s)
        t->sweep = t->next[s];
    bf_grid_remove(t->grid, s);
    live_unlink(t, s);
    t->pending[t->n_pending++] = s;
    t->stats.deleted++;
    mark(t, s, BF_CHANGE_DELETED);
}

static void hist_push(struct bf_track *tr, bf_time_us t_us)
{
    unsigned idx;
    if (tr->hist_len < BF_TRACK_HIST) {
        idx = (unsigned)(tr->hist_head + tr->hist_len) % BF_TRACK_HIST;
        tr->hist_len++;
    } else {
        idx = tr->hist_head;
        tr->hist_head = (uint8_t)((tr->hist_head + 1) % BF_TRACK_HIST);
    }
    tr->hist[idx].t_us = t_us;
    tr->hist[idx].e_m = tr->x[0];
    tr->hist[idx].n_m = tr->x[1];
}

static const struct bf_track_point *hist_newest(const struct bf_track *tr)
{
    return &tr->hist[(tr->hist_head + tr->hist_len - 1) % BF_TRACK_HIST];
}

/* ---- confirmation rules -------------------------------------------------- */

/* M-of-N: confirm_m hits in the first confirm_n opportunities. */
static bool m_of_n_reached(const struct bf_tracker *t, const struct bf_track *tr)
{
    uint32_t window = t->p.confirm_n >= 32 ? UINT32_MAX : ((1u << t->p.confirm_n) - 1u);
    return popcount32(tr->hit_bits & window) >= t->p.confirm_m;
}

/* M-of-N: the track can no longer reach confirm_m hits inside its first
 * confirm_n opportunities. */
static bool m_of_n_hopeless(const struct bf_tracker *t, uint32_t s)
{
    uint32_t left = t->opps[s] < t->p.confirm_n ? t->p.confirm_n - t->opps[s] : 0;
    return t->trk[s].n_hits + left < t->p.confirm_m;
}

/* Score rule: the score reached confirm_llr. */
static bool score_reached(const struct bf_tracker *t, const struct bf_track *tr)
{
    return tr->score >= t->p.confirm_llr;
}

/* Score rule: the score fell delete_llr_drop below its peak (also false
 * for a non-finite score: that deletes through the other checks). */
static bool score_dropped(const struct bf_tracker *t, const struct bf_track *tr)
{
    return !isfinite(tr->score) || tr->score < tr->score_peak - t->p.delete_llr_drop;
}

/* Score rule: confirm_llr not reached in confirm_n opportunities, or the
 * score fell delete_llr_drop below its peak. */
static bool score_hopeless(const struct bf_tracker *t, uint32_t s)
{
    return t->opps[s] >= t->p.confirm_n || score_dropped(t, &t->trk[s]);
}

/* Score rule: add this scan's increment (the associator's st.llr). */
static void score_add(struct bf_tracker *t, uint32_t s)
{
    if (t->stamp[s] != t->scan_no)
        return;
    struct bf_track *tr = &t->trk[s];
    tr->score += t->st[t->local[s]].llr;
    if (tr->score > tr->score_peak)
        tr->score_peak = tr->score;
}

static void score_hits(struct bf_tracker *t, const struct bf_detection *dets);

static const struct confirm_rule rule_m_of_n = {
    .reached = m_of_n_reached,
    .hopeless = m_of_n_hopeless,
};

static const struct confirm_rule rule_score = {
    .reached = score_reached,
    .hopeless = score_hopeless,
    .dropped = score_dropped,
    .add = score_add,
    .score_hits = score_hits,
};

/* The rule deletes a confirmed or coasting track for its fallen evidence. */
static bool evidence_dropped(const struct bf_tracker *t, const struct bf_track *tr)
{
    return t->rule->dropped && t->rule->dropped(t, tr);
}

/* Confirm a tentative track the rule says has earned it. */
static void maybe_confirm(struct bf_tracker *t, uint32_t s, bf_time_us t_us)
{
    struct bf_track *tr = &t->trk[s];
    if (tr->status == BF_TRACK_TENTATIVE && t->rule->reached(t, tr)) {
        tr->status = BF_TRACK_CONFIRMED;
        tr->confirmed_us = t_us;
        t->stats.confirmed++;
        t->stats.live_confirmed++;
        t->cont_pending[s] = t->p.continue_window_s > 0;
        mark(t, s, BF_CHANGE_CONFIRMED);
    }
}

/* Fold this scan's score increment into slot s, under a rule that keeps a score. */
static void score_update(struct bf_tracker *t, uint32_t s)
{
    if (t->rule->add)
        t->rule->add(t, s);
}

/* What every hit records; returns true when the class evidence changed
 * (class_p then needs class_normalise). */
static bool common_hit(struct bf_tracker *t, uint32_t s, const struct bf_detection *d,
                       bf_time_us t_us)
{
    struct bf_track *tr = &t->trk[s];
    tr->last_hit_us = t_us;
    t->hit_sigma[s] = pos_sigma(tr->P);
    if (d->sensor_idx < 64)
        tr->sensors |= UINT64_C(1) << d->sensor_idx;
    tr->flags |= (uint16_t)(d->flags & (BF_DET_F_EXERCISE | BF_DET_F_TEST));
    bool cls = class_fuse(t, tr, d);
    hist_push(tr, t_us);
    return cls;
}

/* Max speed (m/s) of a class for the continuation gate; BF_CLASS_COUNT: unknown. */
static double class_max_speed(const struct bf_tracker *t, int cls)
{
    static const double v[BF_CLASS_COUNT] = {7.0, 50.0, 20.0, 25.0, 120.0, 0.0};
    double m = cls < BF_CLASS_COUNT && v[cls] > 0 ? v[cls] : t->p.max_speed_mps;
    return fmin(m, t->p.max_speed_mps);
}

/* Squared Mahalanobis distance of the 2-vector d under the 2x2 covariance
 * (a, b; b, c); INFINITY when not positive definite. */
static double maha2x2(double de, double dn, double a, double b, double c)
{
    double det = a * c - b * b;
    if (!(det > 0) || !(a > 0))
        return INFINITY;
    return (c * de * de - 2.0 * b * de * dn + a * dn * dn) / det;
}

/*
 * Continuation (docs/tracking.md): confirmed track s, whose velocity is now
 * known well enough, is compared once with the recently lost tracks; the
 * closest one that passes the time, class, speed, position and velocity
 * gates becomes its predecessor (continues_id), and its ring entry is
 * consumed.  Decided at most once per track.
 */
static void continue_decide(struct bf_tracker *t, uint32_t s, bf_time_us t_us)
{
    struct bf_track *tr = &t->trk[s];
    double win = t->p.continue_window_s;
    if (bf_time_to_s(t_us - tr->first_us) > win) {
        t->cont_pending[s] = 0;   /* too late to say: it stays a new track */
        return;
    }
    const double *P = tr->P;
    {
        double a = P[10], b = P[11], d = P[15], h = 0.5 * (a - d);
        double vvar = 0.5 * (a + d) + sqrt(h * h + b * b);
        if (!(vvar <= CONT_MAX_VEL_SIGMA_MPS * CONT_MAX_VEL_SIGMA_MPS))
            return;   /* velocity not known yet: decide on a later hit */
    }
    t->cont_pending[s] = 0;
    float cp;
    int cls = best_class(tr, &cp);
    if (cp < CONT_CLASS_P)
        cls = BF_CLASS_COUNT;
    double g2 = t->gate2, best = INFINITY;
    int best_i = -1;
    for (int i = 0; i < LOST_RING; i++) {
        const struct lost_trk *e = &t->lost[i];
        if (e->id == 0 || e->id == tr->id)
            continue;
        /* time: started after the lost track's last hit, within the window of its loss */
        if (tr->first_us < e->last_hit_us || bf_time_to_s(tr->first_us - e->lost_us) > win)
            continue;
        /* class: both confident and different is incompatible */
        if (cls < BF_CLASS_COUNT && e->cls < BF_CLASS_COUNT && cls != e->cls)
            continue;
        /* speed: no faster than the lost track's class allows since its last hit */
        double dt_hit = bf_time_to_s(t_us - e->last_hit_us);
        double reach = class_max_speed(t, e->cls) * dt_hit +
                       t->p.gate_sigma * (e->hit_sigma_m + pos_sigma(P));
        if (!(hypot(tr->x[0] - e->hit_e_m, tr->x[1] - e->hit_n_m) <= reach))
            continue;
        /* position and velocity against the lost track predicted to now */
        double q = e->cls < BF_CLASS_COUNT && t->p.q_by_class[e->cls] > 0
                       ? t->p.q_by_class[e->cls]
                       : t->p.q_accel_mps2;
        double xp[4], Pp[16];
        bf_predict_cv(e->x, e->P, bf_time_to_s(t_us - e->t_us), q, xp, Pp);
        double d2p = maha2x2(tr->x[0] - xp[0], tr->x[1] - xp[1], Pp[0] + P[0], Pp[1] + P[1],
                             Pp[5] + P[5]);
        double d2v = maha2x2(tr->x[2] - xp[2], tr->x[3] - xp[3], Pp[10] + P[10],
                             Pp[11] + P[11], Pp[15] + P[15]);
        if (!(d2p < g2) || !(d2v < g2))
            continue;
        /* heading: not against the lost track's (the velocity gate alone lets a walker
         * turn round over a long gap) */
        double vl = hypot(xp[2], xp[3]), vn = hypot(tr->x[2], tr->x[3]);
        if (vl > CONT_MIN_SPEED_MPS && vn > CONT_MIN_SPEED_MPS &&
            xp[2] * tr->x[2] + xp[3] * tr->x[3] < 0)
            continue;
        if (d2p + d2v < best) {
            best = d2p + d2v;
            best_i = i;
        }
    }
    if (best_i < 0)
        return;
    tr->continues_id = t->lost[best_i].id;
    t->lost[best_i].id = 0;   /* consumed: at most one successor */
    t->stats.continued++;
    mark(t, s, BF_CHANGE_CONTINUES);
}

static void track_hit(struct bf_tracker *t, uint32_t s, const struct bf_detection *d,
                      bf_time_us t_us)
{
    struct bf_track *tr = &t->trk[s];
    /* a tentative track's hit where the sensor has no view (Pd(x) < PD_MIN_MISS) is no
     * opportunity: it moves the track but counts nothing toward confirmation (clutter
     * behind a hill must not confirm a track that no miss can end) */
    bool counts = tr->status != BF_TRACK_TENTATIVE || t->stamp[s] != t->scan_no ||
                  t->st[t->local[s]].in_cov;
    if (counts) {
        tr->hit_bits = (tr->hit_bits << 1) | 1u;
        tr->n_hits++;
    }
    tr->miss_run = 0;
    t->miss_w[s] = 0;
    if (counts)
        score_update(t, s);
    bool cls = common_hit(t, s, d, t_us);
    t->stats.associated++;
    mark(t, s, BF_CHANGE_UPDATED);
    bf_grid_move(t->grid, s, tr->x[0], tr->x[1], is_wide(t, pos_sigma(tr->P)));
    if (tr->status == BF_TRACK_COASTING)
        tr->status = BF_TRACK_CONFIRMED;
    if (tr->status == BF_TRACK_TENTATIVE && counts) {
        if (t->opps[s] < UINT8_MAX)
            t->opps[s]++;
        maybe_confirm(t, s, t_us);
        if (tr->status == BF_TRACK_TENTATIVE && t->rule->hopeless(t, s))
            track_delete(t, s);
    } else if (evidence_dropped(t, tr)) {
        track_delete(t, s);
    }
    if (tr->status == BF_TRACK_CONFIRMED && class_kinematic(t, tr))
        cls = true;
    if (cls)
        class_normalise(tr);
    if (tr->status == BF_TRACK_CONFIRMED && t->cont_pending[s])
        continue_decide(t, s, t_us);
}

/* Weight of a miss where the sensor's Pd is pd: ln(1 - pd PG) / ln(1 - PD PG),
 * 1 at the configured pd (docs/tracking.md, "Pd(x)"). */
static double miss_weight(const struct bf_tracker *t, double pd)
{
    if (pd == t->p.pd)
        return 1.0;
    return log(1.0 - pd * t->pg2) / t->llr_miss;
}

/* Weighted misses reach n (exact sums of 1 at the configured pd; a hair of
 * slack for the weighted ones). */
static bool misses_reach(double miss_w, unsigned n)
{
    return miss_w >= (double)n - 1e-9;
}

static void track_miss(struct bf_tracker *t, uint32_t s, double pd, bf_time_us t_us)
{
    struct bf_track *tr = &t->trk[s];
    tr->hit_bits <<= 1;
    if (tr->miss_run < UINT8_MAX)
        tr->miss_run++;
    t->miss_w[s] += miss_weight(t, pd);
    score_update(t, s);
    mark(t, s, BF_CHANGE_MISSED);
    switch (tr->status) {
    case BF_TRACK_TENTATIVE:
        if (t->opps[s] < UINT8_MAX)
            t->opps[s]++;
        if (misses_reach(t->miss_w[s], t->p.delete_misses_tentative) || t->rule->hopeless(t, s))
            track_delete(t, s);
        else {   /* JPDA's soft association can carry a score over confirm_llr without a
                  * hard hit: confirmed, and coasting, since this scan missed it */
            maybe_confirm(t, s, t_us);
            if (tr->status == BF_TRACK_CONFIRMED)
                tr->status = BF_TRACK_COASTING;
        }
        break;
    case BF_TRACK_CONFIRMED:
        tr->status = BF_TRACK_COASTING;
        /* fall through */
    case BF_TRACK_COASTING:
        if (misses_reach(t->miss_w[s], t->p.delete_misses) || evidence_dropped(t, tr))
            track_delete(t, s);
        break;
    default:
        break;
    }
}

/* Start a tentative track from detection j.  Returns false when the pool is full. */
static bool track_new(struct bf_tracker *t, const struct bf_detection *d, const struct scan_det *sd,
                      bf_time_us t_us)
{
    if (t->n_free == 0)
        return false;
    uint32_t s = t->free_stack[--t->n_free];
    struct bf_track *tr = &t->trk[s];
    memset(tr, 0, sizeof *tr);
    tr->id = t->next_id++;
    tr->slot = s;
    tr->status = BF_TRACK_TENTATIVE;
    tr->hit_bits = 1;
    tr->n_hits = 1;
    tr->t_us = t_us;
    tr->first_us = t_us;
    tr->confirmed_us = BF_TIME_NONE;
    bf_filter_init(tr, sd->x0, sd->P0, &t->p);
    class_uniform(tr);
    t->miss_w[s] = 0;
    t->cont_pending[s] = 0;
    if (common_hit(t, s, d, t_us))
        class_normalise(tr);
    t->opps[s] = 1;
    live_append(t, s);
    bf_grid_insert(t->grid, s, tr->x[0], tr->x[1], is_wide(t, pos_sigma(tr->P)));
    t->stats.initiated++;
    mark(t, s, BF_CHANGE_NEW);
    maybe_confirm(t, s, t_us);
    if (tr->status == BF_TRACK_TENTATIVE && t->rule->hopeless(t, s))
        track_delete(t, s);
    return true;
}

/* ---- create / destroy --------------------------------------------------- */

static const struct associator *associator_for(enum bf_associator a);

static bool coast_by_class_ok(const struct bf_tracker_params *p)
{
    for (int c = 0; c < BF_CLASS_COUNT; c++)
        if (!isfinite(p->max_coast_by_class_s[c]) || p->max_coast_by_class_s[c] < 0)
            return false;
    return true;
}

static bool params_ok(const struct bf_tracker_params *p)
{
    return isfinite(p->q_accel_mps2) && p->q_accel_mps2 >= 0 && isfinite(p->gate_sigma) &&
           p->gate_sigma > 0 && p->confirm_m >= 1 && p->confirm_n >= p->confirm_m &&
           p->confirm_n <= 32 && p->delete_misses >= 1 && p->delete_misses_tentative >= 1 &&
           isfinite(p->init_speed_sigma_mps) && p->init_speed_sigma_mps > 0 &&
           isfinite(p->max_speed_mps) && p->max_speed_mps > 0 && isfinite(p->max_pos_sigma_m) &&
           p->max_pos_sigma_m > 0 && p->max_tracks >= 1 && p->max_tracks <= (1u << 24) &&
           isfinite(p->clutter_density) && p->clutter_density >= 0 &&
           (p->associator == BF_ASSOC_GNN || p->associator == BF_ASSOC_JPDA) &&
           (p->confirm == BF_CONFIRM_M_OF_N || p->confirm == BF_CONFIRM_SCORE) && p->pd > 0 &&
           p->pd <= 1 && isfinite(p->confirm_llr) && p->confirm_llr > 0 &&
           isfinite(p->delete_llr_drop) && p->delete_llr_drop > 0 && p->max_cluster >= 2 &&
           p->max_cluster <= (1u << 24) && isfinite(p->max_coast_s) && p->max_coast_s >= 0 &&
           isfinite(p->continue_window_s) && p->continue_window_s >= 0 && coast_by_class_ok(p);
}

int bf_tracker_create(const struct bf_tracker_params *p, const struct bf_tracker_sensor *sensors,
                      size_t n_sensors, struct bf_tracker **out)
{
    if (!out)
        return BF_EINVAL;
    *out = NULL;
    if (!p || !params_ok(p) || (n_sensors > 0 && !sensors))
        return BF_EINVAL;
    for (size_t i = 0; i < n_sensors; i++) {
        if (!isfinite(sensors[i].e_m) || !isfinite(sensors[i].n_m) || isnan(sensors[i].range_m))
            return BF_EINVAL;
        if (sensors[i].class_confusion &&
            !bf_class_confusion_valid(sensors[i].class_confusion, NULL, NULL))
            return BF_EINVAL;
    }
    struct bf_tracker *t = calloc(1, sizeof *t);
    if (!t)
        return BF_ENOMEM;
    t->p = *p;
    t->gate2 = p->gate_sigma * p->gate_sigma;
    t->cell_m = fmax(p->gate_sigma * p->max_pos_sigma_m / CELL_DIV, 1.0);
    t->cap = p->max_tracks;
    t->head = t->tail = NONE;
    t->sweep = NONE;
    t->next_id = 1;
    t->last_t = BF_TIME_NONE;
    size_t cap = t->cap;
    if (n_sensors > 0) {
        t->sensors = malloc(n_sensors * sizeof *t->sensors);
        if (!t->sensors)
            goto out_free;
        memcpy(t->sensors, sensors, n_sensors * sizeof *t->sensors);
        size_t kk = BF_CLASS_COUNT * BF_CLASS_COUNT;
        t->confusion = malloc(n_sensors * kk * sizeof *t->confusion);
        if (!t->confusion)
            goto out_free;
        for (size_t i = 0; i < n_sensors; i++) {
            const double *m = sensors[i].class_confusion ? sensors[i].class_confusion
                                                         : bf_class_confusion_default(NULL);
            memcpy(&t->confusion[i * kk], m, kk * sizeof *m);
            t->sensors[i].class_confusion = &t->confusion[i * kk];
        }
    }
    t->n_sensors = n_sensors;
    t->trk = calloc(cap, sizeof *t->trk);
    t->opps = calloc(cap, sizeof *t->opps);
    t->hit_sigma = calloc(cap, sizeof *t->hit_sigma);
    t->miss_w = calloc(cap, sizeof *t->miss_w);
    t->cont_pending = calloc(cap, sizeof *t->cont_pending);
    t->free_stack = malloc(cap * sizeof *t->free_stack);
    t->next = malloc(cap * sizeof *t->next);
    t->prev = malloc(cap * sizeof *t->prev);
    t->pending = malloc(cap * sizeof *t->pending);
    t->stamp = calloc(cap, sizeof *t->stamp);
    t->local = calloc(cap, sizeof *t->local);
    t->chg_stamp = calloc(cap, sizeof *t->chg_stamp);
    t->chg_what = calloc(cap, sizeof *t->chg_what);
    t->touched = malloc(cap * sizeof *t->touched);
    t->changes = malloc(cap * sizeof *t->changes);
    t->st = malloc(cap * sizeof *t->st);
    t->cand = malloc(cap * sizeof *t->cand);
    size_t mc = p->max_cluster;
    t->r2c = malloc(mc * sizeof *t->r2c);
    t->csr_start = malloc((mc + 1) * sizeof *t->csr_start);
    t->row_ids = malloc(mc * sizeof *t->row_ids);
    t->row_beta0 = malloc(mc * sizeof *t->row_beta0);
    t->pda_dets = malloc(mc * sizeof *t->pda_dets);
    t->pda_beta = malloc(mc * sizeof *t->pda_beta);
    if (!t->trk || !t->opps || !t->hit_sigma || !t->miss_w || !t->cont_pending || !t->free_stack || !t->next || !t->prev ||
        !t->pending || !t->stamp || !t->local || !t->chg_stamp || !t->chg_what ||
        !t->touched || !t->changes || !t->st || !t->cand || !t->r2c || !t->csr_start ||
        !t->row_ids || !t->row_beta0 || !t->pda_dets || !t->pda_beta)
        goto out_free;
    if (bf_grid_create(t->p.max_tracks, t->cell_m, &t->grid) != 0)
        goto out_free;
    if (bf_assign_sparse_ws_create(mc, mc, &t->sws) != 0)
        goto out_free;
    if (p->associator == BF_ASSOC_JPDA && bf_jpda_ws_create(mc, mc, &t->jws) != 0)
        goto out_free;
    t->assoc = associator_for(p->associator);
    t->rule = p->confirm == BF_CONFIRM_SCORE ? &rule_score : &rule_m_of_n;
    t->lambda = fmax(p->clutter_density, MIN_CLUTTER_DENSITY);
    t->pg2 = gate_prob(2, p->gate_sigma);
    t->min_coast_us = INT64_MAX;
    for (int c = 0; c < BF_CLASS_COUNT; c++) {
        double v = p->max_coast_by_class_s[c] > 0 ? p->max_coast_by_class_s[c] : p->max_coast_s;
        if (v > 0 && v * 1e6 < (double)t->min_coast_us)
            t->min_coast_us = (bf_time_us)(v * 1e6);
    }
    t->llr_miss = log(1.0 - p->pd * t->pg2);
    for (int c = 0; c < BF_CLASS_COUNT; c++)
        for (int k = 0; k < KIN_KNOTS; k++)
            t->kin_loglik[c][k] = KIN_DAMP * log(fmax(kin_lik[c][k], CLASS_FLOOR));
    /* the free stack pops slot 0 first */
    for (uint32_t k = 0; k < t->cap; k++) {
        t->free_stack[k] = t->cap - 1 - k;
        t->next[k] = t->prev[k] = NONE;
    }
    t->n_free = t->cap;
    *out = t;
    return 0;

out_free:
    bf_tracker_destroy(t);
    return BF_ENOMEM;
}

void bf_tracker_destroy(struct bf_tracker *t)
{
    if (!t)
        return;
    bf_assign_sparse_ws_destroy(t->sws);
    bf_jpda_ws_destroy(t->jws);
    bf_grid_destroy(t->grid);
    free(t->sensors);
    free(t->trk);
    free(t->opps);
    free(t->hit_sigma);
    free(t->miss_w);
    free(t->cont_pending);
    free(t->confusion);
    free(t->absent);
    free(t->free_stack);
    free(t->next);
    free(t->prev);
    free(t->pending);
    free(t->stamp);
    free(t->local);
    free(t->chg_stamp);
    free(t->chg_what);
    free(t->touched);
    free(t->changes);
    free(t->st);
    free(t->cand);
    free(t->sd);
    free(t->uf);
    free(t->node_cl);
    free(t->pairs);
    free(t->pair_cl);
    free(t->pair_order);
    free(t->cl_start);
    free(t->r2c);
    free(t->csr_start);
    free(t->row_ids);
    free(t->row_beta0);
    free(t->pda_dets);
    free(t->pda_beta);
    free(t->csr_col);
    free(t->greedy);
    free(t->csr_pair);
    free(t->jp_det);
    free(t->csr_val);
    free(t->csr_beta);
    free(t->jp_beta);
    free(t->det_bsum);
    free(t->det_best);
    free(t->det_bmax);
    free(t->rows);
    free(t->cols);
    free(t);
}

/* ---- scan stages -------------------------------------------------------- */

/* Grow the per-detection scratch for a scan of n detections. */
static int reserve_scan(struct bf_tracker *t, size_t n)
{
    if (n > t->sd_cap) {
        size_t c = t->sd_cap;
        struct scan_det *sd = grow(t->sd, &c, n, sizeof *sd);
        if (!sd)
            return BF_ENOMEM;
        t->sd = sd;
        t->sd_cap = c;
    }
    size_t need = (size_t)t->cap + t->sd_cap;
    if (need > t->node_cap) {
        size_t c1 = t->node_cap, c2 = t->node_cap, c3 = t->rc_cap, c4 = t->rc_cap;
        uint32_t *uf = grow(t->uf, &c1, need, sizeof *uf);
        if (uf)
            t->uf = uf;
        uint32_t *nc = grow(t->node_cl, &c2, need, sizeof *nc);
        if (nc)
            t->node_cl = nc;
        uint32_t *rows = grow(t->rows, &c3, need, sizeof *rows);
        if (rows)
            t->rows = rows;
        uint32_t *cols = grow(t->cols, &c4, need, sizeof *cols);
        if (cols)
            t->cols = cols;
        if (!uf || !nc || !rows || !cols)
            return BF_ENOMEM;
        t->node_cap = c1 < c2 ? c1 : c2;
        t->rc_cap = c3 < c4 ? c3 : c4;
    }
    return 0;
}

static int add_pair(struct bf_tracker *t, uint32_t k, uint32_t j, double d2)
{
    if (t->n_pairs == t->pairs_cap) {
        size_t c = t->pairs_cap;
        struct pair *p = grow(t->pairs, &c, t->n_pairs + 1, sizeof *p);
        if (!p)
            return BF_ENOMEM;
        t->pairs = p;
        t->pairs_cap = c;
    }
    t->pairs[t->n_pairs].trk = k;
    t->pairs[t->n_pairs].det = j;
    t->pairs[t->n_pairs].d2 = d2;
    t->pairs[t->n_pairs].cost =
        d2 + (t->trk[t->st[k].slot].status == BF_TRACK_TENTATIVE ? t->gate2 : 0.0);
    t->n_pairs++;
    return 0;
}

int bf_tracker_set_sensor(struct bf_tracker *t, uint32_t sensor_idx,
                          const struct bf_tracker_sensor *s)
{
    if (!t || !s || sensor_idx >= 64 || !isfinite(s->e_m) || !isfinite(s->n_m) ||
        isnan(s->range_m) ||
        (s->class_confusion && !bf_class_confusion_valid(s->class_confusion, NULL, NULL)))
        return BF_EINVAL;
    size_t kk = BF_CLASS_COUNT * BF_CLASS_COUNT, n = t->n_sensors;
    if (sensor_idx >= n || !t->absent) {
        size_t m = sensor_idx >= n ? (size_t)sensor_idx + 1 : n;
        struct bf_tracker_sensor *ns = realloc(t->sensors, m * sizeof *ns);
        if (!ns)
            return BF_ENOMEM;
        t->sensors = ns;
        double *nc = realloc(t->confusion, m * kk * sizeof *nc);
        if (!nc)
            return BF_ENOMEM;
        t->confusion = nc;
        for (size_t i = 0; i < n; i++)   /* the matrices may have moved */
            t->sensors[i].class_confusion = &nc[i * kk];
        bool had = t->absent != NULL;
        uint8_t *na = realloc(t->absent, m);
        if (!na)
            return BF_ENOMEM;
        t->absent = na;
        if (!had)
            memset(na, 0, n);
        for (size_t i = n; i < m; i++) {   /* indices skipped over: absent until set */
            t->sensors[i] = (struct bf_tracker_sensor){.class_confusion = &nc[i * kk]};
            memcpy(&nc[i * kk], bf_class_confusion_default(NULL), kk * sizeof *nc);
            na[i] = 1;
        }
        t->n_sensors = m;
    }
    const double *cm = s->class_confusion ? s->class_confusion : bf_class_confusion_default(NULL);
    memcpy(&t->confusion[sensor_idx * kk], cm, kk * sizeof *cm);
    t->sensors[sensor_idx] = *s;
    t->sensors[sensor_idx].class_confusion = &t->confusion[sensor_idx * kk];
    t->absent[sensor_idx] = 0;
    return 0;
}

int bf_tracker_remove_sensor(struct bf_tracker *t, uint32_t sensor_idx)
{
    if (!t || sensor_idx >= t->n_sensors)
        return BF_EINVAL;
    if (!t->absent) {
        t->absent = calloc(t->n_sensors, 1);
        if (!t->absent)
            return BF_ENOMEM;
    }
    t->absent[sensor_idx] = 1;
    return 0;
}

bool bf_tracker_sensor_in_use(const struct bf_tracker *t, uint32_t sensor_idx)
{
    if (!t || sensor_idx >= 64)
        return false;
    for (uint32_t s = t->head; s != NONE; s = t->next[s])
        if (t->trk[s].sensors & (UINT64_C(1) << sensor_idx))
            return true;
    return false;
}

int bf_tracker_move_sensor(struct bf_tracker *t, uint32_t sensor_idx, double e_m, double n_m)
{
    if (!t || sensor_idx >= t->n_sensors || !isfinite(e_m) || !isfinite(n_m))
        return BF_EINVAL;
    t->sensors[sensor_idx].e_m = e_m;
    t->sensors[sensor_idx].n_m = n_m;
    return 0;
}

/* max_coast_s of tr's most likely class (0: no limit). */
static double max_coast_of(const struct bf_tracker *t, const struct bf_track *tr)
{
    double v = t->p.max_coast_by_class_s[best_class(tr, NULL)];
    return v > 0 ? v : t->p.max_coast_s;
}

/* tr has had no hit for longer than its max coast at t_us. */
static bool coast_expired(const struct bf_tracker *t, const struct bf_track *tr, bf_time_us t_us)
{
    if (t_us - tr->last_hit_us <= t->min_coast_us)
        return false;   /* within every class's limit: no need to find its class */
    double mc = max_coast_of(t, tr);
    return mc > 0 && bf_time_to_s(t_us - tr->last_hit_us) > mc;
}

/*
 * Pd(x) of sensor sen (index idx) at (e, n): its pd_at, clamped to [0, 1]
 * (NaN: 0); without one, params.pd inside range_m and 0 outside.
 */
static double sensor_pd(const struct bf_tracker *t, const struct bf_tracker_sensor *sen,
                        uint32_t idx, double e, double n)
{
    if (sen->pd_at) {
        double pd = sen->pd_at(sen->pd_ctx, idx, e, n);
        if (!(pd > 0))
            return 0.0;
        return pd < 1.0 ? pd : 1.0;
    }
    if (sen->range_m > 0 && isfinite(sen->range_m) &&
        !(hypot(e - sen->e_m, n - sen->n_m) <= sen->range_m))
        return 0.0;
    return t->p.pd;
}

/*
 * Predict slot s to t_us, move it in the grid, and add it to st[] with the
 * sensor's Pd where it is predicted.  A track past its max coast, or whose
 * predicted position std passed max_pos_sigma_m, is deleted here instead:
 * it can take no detection.
 */
static void gather_one(struct bf_tracker *t, uint32_t s, const struct bf_tracker_sensor *sen,
                       uint32_t sensor_idx, bf_time_us t_us)
{
    struct bf_track *tr = &t->trk[s];
    if (coast_expired(t, tr, t_us)) {
        t->stats.coast_expired++;
        track_delete(t, s);
        return;
    }
    if (tr->t_us < t_us) {
        bf_filter_predict(tr, bf_time_to_s(t_us - tr->t_us), &t->p);
        tr->t_us = t_us;
    }
    struct scan_trk *k = &t->st[t->n_st];
    k->sigma_m = pos_sigma(tr->P);
    if (!(k->sigma_m <= t->p.max_pos_sigma_m) || !finite_n(tr->x, 4)) {
        track_delete(t, s);
        return;
    }
    k->slot = s;
    k->det = NONE;
    k->pd = sensor_pd(t, sen, sensor_idx, tr->x[0], tr->x[1]);
    if (sen->pd_at) {
        k->in_cov = k->pd >= PD_MIN_MISS;
        k->pd_hit = fmax(k->pd, PD_MIN_HIT);
    } else {
        k->in_cov = k->pd > 0;
        k->pd_hit = t->p.pd;
    }
    bf_grid_move(t->grid, s, tr->x[0], tr->x[1], is_wide(t, k->sigma_m));
    t->stamp[s] = t->scan_no;
    t->local[s] = t->n_st++;
}

/* Predictor stage: every live track the sensor might see. */
static void gather(struct bf_tracker *t, const struct bf_tracker_sensor *sen, uint32_t sensor_idx,
                   bf_time_us t_us)
{
    t->n_st = 0;
    if (!(sen->range_m > 0) || !isfinite(sen->range_m)) {
        for (uint32_t s = t->head, nx; s != NONE; s = nx) {
            nx = t->next[s];   /* gather_one may delete s */
            gather_one(t, s, sen, sensor_idx, t_us);
        }
        return;
    }
    size_t n = bf_grid_query(t->grid, sen->e_m, sen->n_m, sen->range_m + 2.0 * t->cell_m,
                             t->cand, t->cap);
    assert(n <= t->cap);
    for (size_t i = 0; i < n; i++)
        gather_one(t, t->cand[i], sen, sensor_idx, t_us);
}

/*
 * Detection j as the initiator sees it: its position and spread; one without
 * a position (bearing-only, presence) gets a reach circle around its sensor
 * instead and will start no track.  A detection of another sensor or time,
 * or one the initiator refuses, is counted bad and left invalid.
 */
static void locate_one(struct bf_tracker *t, const struct bf_tracker_sensor *sen,
                       uint32_t sensor_idx, bf_time_us t_us, const struct bf_detection *d,
                       struct scan_det *sd)
{
    sd->trk = NONE;
    sd->located = false;
    sd->valid = false;
    if (d->sensor_idx != sensor_idx || d->t_us != t_us) {
        t->stats.bad_detections++;
        return;
    }
    /* where the detection puts the target (bf_meas_locate through the
     * initiator); BF_ENOTSUP: it carries no position */
    int lrc = bf_initiate(d, t->p.init_speed_sigma_mps, sd->x0, sd->P0);
    if (lrc == 0) {
        sd->sigma_m = pos_sigma(sd->P0);
        /* a bearing located too vaguely (elevation near the horizon):
         * a track from it would be deleted at once, so it is unlocated */
        sd->located = d->kind != BF_MEAS_BEARING || sd->sigma_m <= t->p.max_pos_sigma_m;
    } else if (lrc != BF_ENOTSUP) {
        t->stats.bad_detections++;
        return;
    }
    sd->valid = true;
    if (sd->located)
        return;
    t->stats.unlocated++;
    sd->reach_e_m = d->sensor_e_m;
    sd->reach_n_m = d->sensor_n_m;
    if (d->kind == BF_MEAS_PRESENCE) {
        /* the pseudo-measurement has std radius/2 per axis */
        sd->reach_m = REACH_SLACK * t->p.gate_sigma * 0.5 * d->z[0] + 1.0;
    } else {
        sd->reach_m = sen->range_m > 0 && isfinite(sen->range_m) ? sen->range_m
                                                                 : UNLOCATED_REACH_M;
    }
    /* bf_meas_locate checked the sensor position and radius of these kinds */
    assert(isfinite(sd->reach_e_m) && isfinite(sd->reach_n_m) && isfinite(sd->reach_m));
}

/* The scan's detections located, in sd[]. */
static void locate_all(struct bf_tracker *t, const struct bf_tracker_sensor *sen,
                       uint32_t sensor_idx, bf_time_us t_us, const struct bf_detection *dets,
                       size_t n)
{
    for (size_t j = 0; j < n; j++)
        locate_one(t, sen, sensor_idx, t_us, &dets[j], &t->sd[j]);
}

/* Hypothesiser stage: gated pairs for detection j. */
static int hypothesise(struct bf_tracker *t, const struct bf_detection *d, uint32_t j,
                       bf_time_us t_us)
{
    const struct scan_det *sd = &t->sd[j];
    double g = t->p.gate_sigma;
    double pe, pn, qr;   /* centre and radius of the grid query */
    if (sd->located) {
        pe = sd->x0[0];
        pn = sd->x0[1];
        qr = REACH_SLACK * g * sd->sigma_m + 1.0;
    } else {
        pe = sd->reach_e_m;
        pn = sd->reach_n_m;
        qr = sd->reach_m;
    }
    size_t n = bf_grid_query(t->grid, pe, pn, t->cell_m + qr, t->cand, t->cap);
    assert(n <= t->cap);
    for (size_t i = 0; i < n; i++) {
        uint32_t s = t->cand[i];
        if (t->stamp[s] != t->scan_no)
            continue;   /* not predicted this scan: too far from the coverage */
        uint32_t k = t->local[s];
        const struct bf_track *tr = &t->trk[s];
        double dist = hypot(pe - tr->x[0], pn - tr->x[1]);
        if (!sd->located) {
            /* the reach circle, widened by the track's own spread; no
             * implied-speed test: the detection has no position */
            if (!(dist <= sd->reach_m + REACH_SLACK * g * t->st[k].sigma_m))
                continue;
        } else {
            double sig = t->st[k].sigma_m + sd->sigma_m;
            if (!(dist <= REACH_SLACK * g * sig + 1.0))
                continue;
            /* implied speed from the last hit, with the uncertainty of that
             * position and of the detection as tolerance */
            const struct bf_track_point *h = hist_newest(tr);
            double dt_hit = bf_time_to_s(t_us - h->t_us);
            double tol = g * (t->hit_sigma[s] + sd->sigma_m);
            if (!(hypot(pe - h->e_m, pn - h->n_m) <= t->p.max_speed_mps * dt_hit + tol))
                continue;
        }
        double nu[3], S[9];
        int dim;
        if (bf_innovation(tr->x, tr->P, d, nu, S, &dim) != 0)
            continue;
        double d2 = bf_mahalanobis2(nu, S, dim);
        if (!(d2 < t->gate2))
            continue;
        int rc = add_pair(t, k, j, d2);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* Hypothesiser stage: the gated pairs of every valid detection. */
static int hypothesise_all(struct bf_tracker *t, const struct bf_detection *dets, size_t n,
                           bf_time_us t_us)
{
    t->n_pairs = 0;
    for (size_t j = 0; j < n; j++) {
        if (!t->sd[j].valid)
            continue;
        int rc = hypothesise(t, &dets[j], (uint32_t)j, t_us);
        if (rc < 0)
            return rc;
    }
    t->stats.gated_pairs += t->n_pairs;
    return 0;
}

static uint32_t uf_find(uint32_t *uf, uint32_t a)
{
    while (uf[a] != a) {
        uf[a] = uf[uf[a]];
        a = uf[a];
    }
    return a;
}

static void uf_union(uint32_t *uf, uint32_t a, uint32_t b)
{
    a = uf_find(uf, a);
    b = uf_find(uf, b);
    if (a < b)
        uf[b] = a;
    else if (b < a)
        uf[a] = b;
}


static int cmp_greedy(const void *a, const void *b)
{
    const struct greedy_ent *x = a, *y = b;
    if (x->cost != y->cost)
        return x->cost < y->cost ? -1 : 1;
    if (x->id != y->id)
        return x->id < y->id ? -1 : 1;
    return (x->det > y->det) - (x->det < y->det);
}

/* Greedy fallback for an oversized cluster (or a failed exact solve):
 * pairs by increasing cost, ties by track id then detection index, each
 * taken when both ends are still free.  O(n log n). */
static void solve_greedy(struct bf_tracker *t, const uint32_t *idx, size_t n)
{
    struct greedy_ent *g = t->greedy;
    for (size_t i = 0; i < n; i++) {
        const struct pair *p = &t->pairs[idx[i]];
        g[i].cost = p->cost;
        g[i].id = t->trk[t->st[p->trk].slot].id;
        g[i].det = p->det;
        g[i].trk = p->trk;
    }
    qsort(g, n, sizeof *g, cmp_greedy);
    for (size_t i = 0; i < n; i++) {
        if (t->st[g[i].trk].det != NONE || t->sd[g[i].det].trk != NONE)
            continue;
        t->st[g[i].trk].det = g[i].det;
        t->sd[g[i].det].trk = g[i].trk;
    }
}

/* ln N(nu; 0, S) of detection d against track slot s (predicted); false if
 * the innovation cannot be formed.  *dim gets the measurement dimension. */
static bool log_lik(const struct bf_tracker *t, uint32_t s, const struct bf_detection *d,
                    double *ll, int *dim)
{
    const struct bf_track *tr = &t->trk[s];
    double nu[3], S[9];
    if (bf_innovation(tr->x, tr->P, d, nu, S, dim) != 0)
        return false;
    int n = *dim;
    double det;
    if (n == 1)
        det = S[0];
    else if (n == 2)
        det = S[0] * S[3] - S[1] * S[2];
    else
        det = S[0] * (S[4] * S[8] - S[5] * S[7]) - S[1] * (S[3] * S[8] - S[5] * S[6]) +
              S[2] * (S[3] * S[7] - S[4] * S[6]);
    double d2 = bf_mahalanobis2(nu, S, n);
    if (!(det > 0) || !isfinite(d2))
        return false;
    *ll = -0.5 * d2 - 0.5 * n * log(2.0 * M_PI) - 0.5 * log(det);
    return isfinite(*ll);
}

/* Grow the associator's per-pair scratch (grow once to the largest scan). */
static int reserve_assoc(struct bf_tracker *t)
{
    if (t->n_pairs > t->csr_cap) {
        size_t c[6] = {t->csr_cap, t->csr_cap, t->csr_cap, t->csr_cap, t->csr_cap, t->csr_cap};
        uint32_t *a = grow(t->csr_col, &c[0], t->n_pairs, sizeof *a);
        if (a)
            t->csr_col = a;
        uint32_t *b = grow(t->csr_pair, &c[1], t->n_pairs, sizeof *b);
        if (b)
            t->csr_pair = b;
        uint32_t *e = grow(t->jp_det, &c[2], t->n_pairs, sizeof *e);
        if (e)
            t->jp_det = e;
        double *f = grow(t->csr_val, &c[3], t->n_pairs, sizeof *f);
        if (f)
            t->csr_val = f;
        double *g = grow(t->csr_beta, &c[4], t->n_pairs, sizeof *g);
        if (g)
            t->csr_beta = g;
        double *h = grow(t->jp_beta, &c[5], t->n_pairs, sizeof *h);
        if (h)
            t->jp_beta = h;
        size_t c6 = t->csr_cap;
        struct greedy_ent *ge = grow(t->greedy, &c6, t->n_pairs, sizeof *ge);
        if (ge)
            t->greedy = ge;
        if (!a || !b || !e || !f || !g || !h || !ge)
            return BF_ENOMEM;
        size_t m = c6;
        for (int i = 0; i < 6; i++)
            m = c[i] < m ? c[i] : m;
        t->csr_cap = m;
    }
    return 0;
}

/*
 * A cluster of nr tracks (rows[], st indices in track id order) and nc
 * detections (cols[], in detection order) of at most max_cluster, in
 * compressed rows (csr_start, csr_col, csr_val the costs, csr_pair the pair
 * numbers); idx[np] are its pairs.
 */
struct cluster {
    const uint32_t *idx;
    size_t np, nr, nc;
};

/*
 * One cluster's exact assignment (sparse JV) of its compressed rows, a
 * track left out costing 2 gate^2; greedily when the solver refuses
 * (counted in clusters_bounded).
 */
static inline void solve_exact(struct bf_tracker *t, const struct cluster *cl)
{
    int rc = bf_assign_solve_sparse(t->sws, cl->nr, cl->nc, t->csr_start, t->csr_col, t->csr_val,
                                    2.0 * t->gate2, t->r2c, NULL);
    if (rc != 0) {
        t->stats.clusters_bounded++;
        solve_greedy(t, cl->idx, cl->np);
        return;
    }
    for (size_t r = 0; r < cl->nr; r++) {
        if (t->r2c[r] < 0)
            continue;
        uint32_t k = t->rows[r], j = t->cols[t->r2c[r]];
        t->st[k].det = j;
        t->sd[j].trk = k;
    }
}

/* JPDA, before the clusters: the per-detection sums and best tracks, grown
 * once to the largest scan and cleared. */
static int jpda_begin(struct bf_tracker *t, size_t n_det)
{
    if (n_det > t->det_cap) {
        size_t c1 = t->det_cap, c2 = t->det_cap, c3 = t->det_cap;
        double *a = grow(t->det_bsum, &c1, n_det, sizeof *a);
        if (a)
            t->det_bsum = a;
        uint32_t *b = grow(t->det_best, &c2, n_det, sizeof *b);
        if (b)
            t->det_best = b;
        double *m = grow(t->det_bmax, &c3, n_det, sizeof *m);
        if (m)
            t->det_bmax = m;
        if (!a || !b || !m)
            return BF_ENOMEM;
        t->det_cap = c1 < c2 ? (c1 < c3 ? c1 : c3) : (c2 < c3 ? c2 : c3);
    }
    for (size_t j = 0; j < n_det; j++) {
        t->det_bsum[j] = 0;
        t->det_best[j] = NONE;
    }
    return 0;
}

/*
 * One cluster under JPDA: likelihoods of its pairs (rows in csr form), the
 * marginals, and per track its detections and weights in jp_det/jp_beta
 * from *jp; per detection the sum of its betas and the track holding the
 * largest.  Score increment per track: ln(1 - PD PG + sum_j PD g_ij / lambda).
 */
static int solve_jpda(struct bf_tracker *t, const struct bf_detection *dets, size_t nr, size_t nc,
                      size_t *jp)
{
    int dim = 2;
    for (size_t r = 0; r < nr; r++) {
        uint32_t k = t->rows[r];
        for (uint32_t e = t->csr_start[r]; e < t->csr_start[r + 1]; e++) {
            uint32_t j = t->cols[t->csr_col[e]];
            double ll;
            int dm;
            t->csr_val[e] = log_lik(t, t->st[k].slot, &dets[j], &ll, &dm) ? exp(ll) : 0.0;
            if (t->csr_val[e] > 0)
                dim = dm;
        }
    }
    double pg = gate_prob(dim, t->p.gate_sigma);
    /* Pd(x): the solver takes one pd; a row whose track has its own Pd p_i is
     * rescaled so that its options keep the ratios p_i g / lambda : (1 - p_i PG)
     * (every joint event takes one option per row, so a row's common factor
     * cancels in the marginals) */
    double pd = t->p.pd, base = pd / (1.0 - pd * pg);
    for (size_t r = 0; r < nr; r++) {
        const struct scan_trk *st = &t->st[t->rows[r]];
        double pi = st->pd_hit;
        if (pi == pd)
            continue;
        double f = (pi / (1.0 - pi * pg)) / base;
        for (uint32_t e = t->csr_start[r]; e < t->csr_start[r + 1]; e++)
            t->csr_val[e] *= f;
    }
    bool exact;
    int rc = bf_jpda_solve(t->jws, nr, nc, t->csr_start, t->csr_col, t->csr_val, t->lambda,
                           t->p.pd, pg, t->csr_beta, t->row_beta0, &exact);
    if (rc < 0)
        return rc;
    if (!exact)
        t->stats.jpda_approx++;
    for (size_t r = 0; r < nr; r++) {
        struct scan_trk *st = &t->st[t->rows[r]];
        st->jp_start = (uint32_t)*jp;
        st->jp_n = 0;
        st->beta0 = t->row_beta0[r];
        double pi = st->pd_hit;
        double f = pi == pd ? 1.0 : (pi / (1.0 - pi * pg)) / base;
        double ratio = 1.0 - pi * pg;
        for (uint32_t e = t->csr_start[r]; e < t->csr_start[r + 1]; e++) {
            uint32_t j = t->cols[t->csr_col[e]];
            ratio += pi * (t->csr_val[e] / f) / t->lambda;   /* pi g / lambda */
            double b = t->csr_beta[e];
            if (!(b > 0))
                continue;   /* bf_filter_update_pda needs only the weighted ones */
            t->jp_det[*jp] = j;
            t->jp_beta[*jp] = b;
            (*jp)++;
            st->jp_n++;
            t->det_bsum[j] += b;
            if (t->det_best[j] == NONE || b > t->det_bmax[j]) {
                t->det_best[j] = t->rows[r];
                t->det_bmax[j] = b;
            }
        }
        st->llr = log(ratio);
    }
    return 0;
}

/* JPDA, after the clusters: a detection belongs to a track (starts none)
 * when its betas sum to JPDA_NEW_PROB or more; it is then marked with the
 * likeliest track. */
static void jpda_end(struct bf_tracker *t, size_t n_det)
{
    for (size_t j = 0; j < n_det; j++) {
        if (t->det_best[j] == NONE || t->sd[j].trk != NONE || t->det_bsum[j] < JPDA_NEW_PROB)
            continue;
        t->sd[j].trk = t->det_best[j];
    }
}

/* Score rule: the increments of the hard hits, ln(PD g / lambda). */
static void score_hits(struct bf_tracker *t, const struct bf_detection *dets)
{
    for (uint32_t k = 0; k < t->n_st; k++) {
        struct scan_trk *st = &t->st[k];
        double ll;
        int dim;
        if (st->det != NONE && log_lik(t, st->slot, &dets[st->det], &ll, &dim))
            st->llr = log(st->pd_hit) + ll - log(t->lambda);
    }
}

/* Grow the per-pair cluster scratch (grow once to the largest scan). */
static int reserve_clusters(struct bf_tracker *t)
{
    if (t->n_pairs <= t->pscratch_cap)
        return 0;
    size_t c1 = t->pscratch_cap, c2 = t->pscratch_cap, c3 = t->pscratch_cap;
    uint32_t *a = grow(t->pair_cl, &c1, t->n_pairs + 1, sizeof *a);
    if (a)
        t->pair_cl = a;
    uint32_t *b = grow(t->pair_order, &c2, t->n_pairs + 1, sizeof *b);
    if (b)
        t->pair_order = b;
    uint32_t *c = grow(t->cl_start, &c3, t->n_pairs + 2, sizeof *c);
    if (c)
        t->cl_start = c;
    if (!a || !b || !c)
        return BF_ENOMEM;
    size_t m = c1 < c2 ? c1 : c2;
    t->pscratch_cap = (m < c3 ? m : c3) - 1;
    return 0;
}

/*
 * The independent clusters of this scan's pairs: union-find over tracks and
 * detections, clusters numbered in order of their first pair, the pairs
 * sorted by cluster (stable) into pair_order with cluster c's from
 * cl_start[c].  Returns the number of clusters.  Leaves node_cl[] NONE for
 * every node.
 */
static uint32_t find_clusters(struct bf_tracker *t, size_t n_det)
{
    size_t n_nodes = t->n_st + n_det;
    uint32_t *uf = t->uf, *ncl = t->node_cl;
    for (size_t i = 0; i < n_nodes; i++) {
        uf[i] = (uint32_t)i;
        ncl[i] = NONE;
    }
    for (size_t q = 0; q < t->n_pairs; q++)
        uf_union(uf, t->pairs[q].trk, t->n_st + t->pairs[q].det);

    /* Number the clusters in order of their first pair. */
    uint32_t n_cl = 0;
    for (size_t q = 0; q < t->n_pairs; q++) {
        uint32_t r = uf_find(uf, t->pairs[q].trk);
        if (ncl[r] == NONE)
            ncl[r] = n_cl++;
        t->pair_cl[q] = ncl[r];
    }
    /* Counting sort of the pairs by cluster (stable). */
    uint32_t *start = t->cl_start;
    for (uint32_t c = 0; c <= n_cl; c++)
        start[c] = 0;
    for (size_t q = 0; q < t->n_pairs; q++)
        start[t->pair_cl[q] + 1]++;
    for (uint32_t c = 0; c < n_cl; c++)
        start[c + 1] += start[c];
    for (size_t q = 0; q < t->n_pairs; q++)
        t->pair_order[start[t->pair_cl[q]]++] = (uint32_t)q;
    for (uint32_t c = n_cl; c > 0; c--)
        start[c] = start[c - 1];
    start[0] = 0;

    /* node_cl[] is reused by the clusters as "position of a node in its cluster". */
    for (size_t i = 0; i < n_nodes; i++)
        ncl[i] = NONE;
    return n_cl;
}

/* A cluster's tracks (rows[], as st indices) and detections (cols[]) in
 * order of first appearance among its pairs idx[np]. */
static void cluster_members(struct bf_tracker *t, const uint32_t *idx, size_t np, size_t *nr,
                            size_t *nc)
{
    uint32_t *ncl = t->node_cl;
    *nr = *nc = 0;
    for (size_t q = 0; q < np; q++) {
        const struct pair *p = &t->pairs[idx[q]];
        if (ncl[p->trk] == NONE) {
            ncl[p->trk] = 0;
            t->rows[(*nr)++] = p->trk;
        }
        uint32_t dn = (uint32_t)(t->n_st + p->det);
        if (ncl[dn] == NONE) {
            ncl[dn] = 0;
            t->cols[(*nc)++] = p->det;
        }
    }
}

/* A cluster in compressed rows: rows in track id order, columns in detection
 * order, each row's pairs in pair order (detection order); csr_val the
 * costs, csr_pair the pair numbers. */
static void cluster_csr(struct bf_tracker *t, const uint32_t *idx, size_t np, size_t nr, size_t nc)
{
    uint32_t *ncl = t->node_cl;
    for (size_t r = 0; r < nr; r++) {
        t->row_ids[r].id = t->trk[t->st[t->rows[r]].slot].id;
        t->row_ids[r].slot = t->rows[r];
    }
    sort_id_slot(t->row_ids, nr);
    for (size_t r = 0; r < nr; r++) {
        t->rows[r] = t->row_ids[r].slot;
        ncl[t->rows[r]] = (uint32_t)r;
    }
    sort_u32(t->cols, nc);
    for (size_t k = 0; k < nc; k++)
        ncl[t->n_st + t->cols[k]] = (uint32_t)k;
    for (size_t r = 0; r <= nr; r++)
        t->csr_start[r] = 0;
    for (size_t q = 0; q < np; q++)
        t->csr_start[ncl[t->pairs[idx[q]].trk] + 1]++;
    for (size_t r = 0; r < nr; r++)
        t->csr_start[r + 1] += t->csr_start[r];
    for (size_t q = 0; q < np; q++) {
        const struct pair *p = &t->pairs[idx[q]];
        uint32_t e = t->csr_start[ncl[p->trk]]++;
        t->csr_col[e] = ncl[t->n_st + p->det];
        t->csr_val[e] = p->cost;
        t->csr_pair[e] = idx[q];
    }
    for (size_t r = nr; r > 0; r--)
        t->csr_start[r] = t->csr_start[r - 1];
    t->csr_start[0] = 0;
}

/* Cluster c of find_clusters, its members and compressed rows in *cl;
 * false when it is over max_cluster tracks + detections and was solved
 * greedily instead (counted in clusters_bounded). */
static inline bool cluster_open(struct bf_tracker *t, uint32_t c, struct cluster *cl)
{
    cl->idx = &t->pair_order[t->cl_start[c]];
    cl->np = t->cl_start[c + 1] - t->cl_start[c];
    cluster_members(t, cl->idx, cl->np, &cl->nr, &cl->nc);
    size_t size = cl->nr + cl->nc;
    if (size > t->stats.max_cluster)
        t->stats.max_cluster = size;
    if (size > t->p.max_cluster) {
        t->stats.clusters_bounded++;
        solve_greedy(t, cl->idx, cl->np);
        return false;
    }
    cluster_csr(t, cl->idx, cl->np, cl->nr, cl->nc);
    return true;
}

/* GNN: every cluster's exact assignment. */
static void gnn_clusters(struct bf_tracker *t, const struct bf_detection *dets, uint32_t n_cl)
{
    (void)dets;   /* the costs are in the pairs */
    struct cluster cl;
    for (uint32_t c = 0; c < n_cl; c++) {
        if (cluster_open(t, c, &cl))
            solve_exact(t, &cl);
    }
}

/* JPDA: every cluster's marginals; one whose marginals the solver refuses
 * (a likelihood out of range) gets hard weights: the exact assignment. */
static void jpda_clusters(struct bf_tracker *t, const struct bf_detection *dets, uint32_t n_cl)
{
    size_t jp = 0;   /* next free entry of jp_det / jp_beta */
    struct cluster cl;
    for (uint32_t c = 0; c < n_cl; c++) {
        if (!cluster_open(t, c, &cl) || solve_jpda(t, dets, cl.nr, cl.nc, &jp) == 0)
            continue;
        for (size_t q = 0; q < cl.np; q++)
            t->csr_val[q] = t->pairs[t->csr_pair[q]].cost;
        for (size_t r = 0; r < cl.nr; r++) {
            t->st[t->rows[r]].jp_n = 0;
            t->st[t->rows[r]].beta0 = 1.0;
        }
        solve_exact(t, &cl);
    }
}

/*
 * Associator stage: clusters by union-find; each cluster of up to
 * max_cluster tracks + detections is solved by the associator (sparse JV
 * for GNN, the JPDA marginals for JPDA), larger ones greedily (counted).
 * Fills st[].det and sd[].trk (GNN; under JPDA sd[].trk marks a detection
 * that is some track's with probability >= JPDA_NEW_PROB), st[].llr (score
 * rule) and the JPDA weights.
 */
static int associate(struct bf_tracker *t, const struct bf_detection *dets, size_t n_det)
{
    for (uint32_t k = 0; k < t->n_st; k++) {
        double pd = t->st[k].pd;
        t->st[k].llr = pd == t->p.pd || !t->st[k].in_cov ? t->llr_miss : log(1.0 - pd * t->pg2);
        t->st[k].jp_start = 0;
        t->st[k].jp_n = 0;
        t->st[k].beta0 = 1.0;
    }
    if (t->n_pairs == 0)
        return 0;
    int rc = reserve_assoc(t);
    if (rc == 0 && t->assoc->begin)
        rc = t->assoc->begin(t, n_det);
    if (rc == 0)
        rc = reserve_clusters(t);
    if (rc < 0)
        return rc;
    uint32_t n_cl = find_clusters(t, n_det);
    t->stats.clusters += n_cl;
    t->assoc->clusters(t, dets, n_cl);
    if (t->rule->score_hits)
        t->rule->score_hits(t, dets);
    if (t->assoc->end)
        t->assoc->end(t, n_det);
    return 0;
}

/* ---- updater ------------------------------------------------------------ */

/* GNN updater: the assigned detection updates the track (Kalman / extended
 * Kalman); one the filter refuses is counted bad and starts no track. */
static void update_hard(struct bf_tracker *t, struct scan_trk *st, const struct bf_detection *dets)
{
    st->hit = NONE;
    st->moved = false;
    if (st->det == NONE)
        return;
    if (bf_filter_update(&t->trk[st->slot], &dets[st->det], &t->p) == 0) {
        st->hit = st->det;
    } else {
        t->stats.bad_detections++;
        t->sd[st->det].valid = false;
    }
}

/* JPDA updater: the PDA update with the cluster's marginals; a hit, with the
 * likeliest detection, when some detection is the target's with probability
 * >= JPDA_HIT_PROB.  A track of a cluster solved with hard weights (greedy,
 * or the marginals refused) takes the GNN update. */
static void update_pda(struct bf_tracker *t, struct scan_trk *st, const struct bf_detection *dets)
{
    if (st->jp_n == 0) {
        update_hard(t, st, dets);
        return;
    }
    st->hit = NONE;
    st->moved = false;
    struct bf_track *tr = &t->trk[st->slot];
    uint32_t best = st->jp_start;
    for (uint32_t q = 0; q < st->jp_n; q++) {
        t->pda_dets[q] = &dets[t->jp_det[st->jp_start + q]];
        t->pda_beta[q] = t->jp_beta[st->jp_start + q];
        if (t->jp_beta[st->jp_start + q] > t->jp_beta[best])
            best = st->jp_start + q;
    }
    const struct bf_detection *bd = &dets[t->jp_det[best]];
    int urc = bf_filter_update_pda(tr, t->pda_dets, t->pda_beta, st->jp_n, st->beta0, &t->p);
    if (urc != 0)   /* mixed kinds in the gate: the likeliest detection alone */
        urc = bf_filter_update(tr, bd, &t->p);
    if (urc != 0)
        t->stats.bad_detections++;
    else if (1.0 - st->beta0 >= JPDA_HIT_PROB)
        st->hit = t->jp_det[best];
    else
        st->moved = true;
}

/* Updater stage, GNN; the tracks are independent of each other and of the
 * track management that follows. */
static void update_gnn(struct bf_tracker *t, const struct bf_detection *dets)
{
    for (uint32_t k = 0; k < t->n_st; k++)
        update_hard(t, &t->st[k], dets);
}

/* Updater stage, JPDA. */
static void update_jpda(struct bf_tracker *t, const struct bf_detection *dets)
{
    for (uint32_t k = 0; k < t->n_st; k++)
        update_pda(t, &t->st[k], dets);
}

static const struct associator assoc_gnn = {
    .clusters = gnn_clusters,
    .update = update_gnn,
};

static const struct associator assoc_jpda = {
    .begin = jpda_begin,
    .clusters = jpda_clusters,
    .end = jpda_end,
    .update = update_jpda,
};

static const struct associator *associator_for(enum bf_associator a)
{
    return a == BF_ASSOC_JPDA ? &assoc_jpda : &assoc_gnn;
}

/*
 * Track management stage, tracks in gather order: a hit is recorded (and
 * may confirm the track, decide its continuation, or delete it under the
 * confirmation rule); a track in coverage without one takes a miss (and may
 * be deleted); a track whose state is no longer finite or whose position
 * std passed max_pos_sigma_m is deleted.
 */
static void manage(struct bf_tracker *t, const struct bf_detection *dets, bf_time_us t_us)
{
    for (uint32_t k = 0; k < t->n_st; k++) {
        const struct scan_trk *st = &t->st[k];
        uint32_t s = st->slot;
        struct bf_track *tr = &t->trk[s];
        if (st->hit != NONE) {
            track_hit(t, s, &dets[st->hit], t_us);
        } else {
            if (st->moved)
                bf_grid_move(t->grid, s, tr->x[0], tr->x[1], is_wide(t, pos_sigma(tr->P)));
            if (st->in_cov)
                track_miss(t, s, st->pd, t_us);
        }
        if (tr->status == BF_TRACK_DELETED)
            continue;
        if (!finite_n(tr->x, 4) || !finite_n(tr->P, 16) ||
            !(pos_sigma(tr->P) <= t->p.max_pos_sigma_m))
            track_delete(t, s);
    }
}

/* Initiator stage, in detection order so ids follow it: every valid located
 * detection that no track took starts a tentative track, unless the
 * sensor's clutter map or budget refuses it (clutter_at: tracker.h). */
static void initiate(struct bf_tracker *t, const struct bf_tracker_sensor *sen, uint32_t sensor_idx,
                     const struct bf_detection *dets, size_t n, bf_time_us t_us)
{
    for (size_t j = 0; j < n; j++) {
        const struct scan_det *sd = &t->sd[j];
        if (!sd->valid || !sd->located || sd->trk != NONE)
            continue;
        if (sen->clutter_at &&
            !(sen->clutter_at(sen->clutter_ctx, sensor_idx, sd->x0[0], sd->x0[1]) <=
              sen->clutter_init_max))
            continue;
        if (!track_new(t, &dets[j], sd, t_us))
            t->stats.pool_full++;
    }
}

/* Ageing sweep: a few live tracks per scan, round the live list, so that
 * tracks outside every sensor's coverage (never gathered, never missed)
 * still die when their position std predicted to the scan time passes
 * max_pos_sigma_m. */
static void sweep(struct bf_tracker *t, bf_time_us t_us)
{
    for (int i = 0; i < SWEEP_PER_SCAN; i++) {
        if (t->sweep == NONE)
            t->sweep = t->head;
        if (t->sweep == NONE)
            return;
        uint32_t s = t->sweep;
        t->sweep = t->next[s];
        struct bf_track *tr = &t->trk[s];
        if (t->stamp[s] == t->scan_no)
            continue;   /* gathered: already checked this scan */
        if (coast_expired(t, tr, t_us)) {
            t->stats.coast_expired++;
            track_delete(t, s);
            continue;
        }
        double x[4], P[16];
        bf_predict_cv(tr->x, tr->P, bf_time_to_s(t_us - tr->t_us), bf_filter_q_accel(tr, &t->p), x,
                      P);
        if (!(pos_sigma(P) <= t->p.max_pos_sigma_m))
            track_delete(t, s);
    }
}

static void release_pending(struct bf_tracker *t)
{
    for (uint32_t i = 0; i < t->n_pending; i++) {
        uint32_t s = t->pending[i];
        memset(&t->trk[s], 0, sizeof t->trk[s]);
        t->opps[s] = 0;
        t->miss_w[s] = 0;
        t->cont_pending[s] = 0;
        t->free_stack[t->n_free++] = s;
    }
    t->n_pending = 0;
}

static void next_scan_no(struct bf_tracker *t)
{
    if (++t->scan_no == 0) {
        memset(t->stamp, 0, (size_t)t->cap * sizeof *t->stamp);
        memset(t->chg_stamp, 0, (size_t)t->cap * sizeof *t->chg_stamp);
        t->scan_no = 1;
    }
}

/* A new scan: the tracks deleted by the last one go back to the pool; a new
 * change list. */
static void begin_scan(struct bf_tracker *t, bf_time_us t_us, size_t n)
{
    release_pending(t);
    t->n_touched = 0;
    t->n_changes = 0;
    next_scan_no(t);
    t->last_t = t_us;
    t->stats.scans++;
    t->stats.detections += n;
}

/* The scan's changes, in ascending track id. */
static void list_changes(struct bf_tracker *t)
{
    sort_id_slot(t->touched, t->n_touched);
    for (size_t i = 0; i < t->n_touched; i++) {
        uint32_t s = t->touched[i].slot;
        t->changes[i].track = &t->trk[s];
        t->changes[i].what = t->chg_what[s];
    }
    t->n_changes = t->n_touched;
    t->stats.live = t->n_live;
}

int bf_tracker_scan(struct bf_tracker *t, uint32_t sensor_idx, bf_time_us t_us,
                    const struct bf_detection *dets, size_t n)
{
    if (!t || sensor_idx >= t->n_sensors || (t->absent && t->absent[sensor_idx]) ||
        (n > 0 && !dets) || t_us == BF_TIME_NONE)
        return BF_EINVAL;
    if (t->last_t != BF_TIME_NONE && t_us < t->last_t)
        return BF_EINVAL;
    int rc = reserve_scan(t, n);
    if (rc < 0)
        return rc;
    begin_scan(t, t_us, n);
    const struct bf_tracker_sensor *sen = &t->sensors[sensor_idx];

    gather(t, sen, sensor_idx, t_us);                  /* predictor */
    locate_all(t, sen, sensor_idx, t_us, dets, n);
    rc = hypothesise_all(t, dets, n, t_us);            /* hypothesiser */
    if (rc == 0)
        rc = associate(t, dets, n);                    /* associator */
    if (rc == 0) {
        t->assoc->update(t, dets);                     /* updater */
        manage(t, dets, t_us);                         /* misses, confirmation, deletion, continuation */
        initiate(t, sen, sensor_idx, dets, n, t_us);   /* initiator */
        sweep(t, t_us);                                /* tracks outside every coverage */
    }
    list_changes(t);
    return rc;
}

/* ---- read-out ----------------------------------------------------------- */

size_t bf_tracker_changes(const struct bf_tracker *t, const struct bf_track_change **out)
{
    if (!t) {
        if (out)
            *out = NULL;
        return 0;
    }
    if (out)
        *out = t->changes;
    return t->n_changes;
}

size_t bf_tracker_tracks(const struct bf_tracker *t, const struct bf_track **out, size_t max)
{
    if (!t)
        return 0;
    size_t n = 0;
    for (uint32_t s = t->head; s != NONE; s = t->next[s]) {
        if (out && n < max)
            out[n] = &t->trk[s];
        n++;
    }
    return n;
}

void bf_tracker_get_stats(const struct bf_tracker *t, struct bf_tracker_stats *out)
{
    if (!out)
        return;
    if (!t) {
        memset(out, 0, sizeof *out);
        return;
    }
    *out = t->stats;
    out->live = t->n_live;
}

/* ---- invariants --------------------------------------------------------- */

#define CHECK(num, cond)                                                      \
    do {                                                                      \
        if (!(cond)) {                                                        \
            BF_LOGE(LOG_TAG, "invariant (%d) broken: %s", (num), #cond);      \
            ok = false;                                                       \
            goto done;                                                        \
        }                                                                     \
    } while (0)

bool bf_tracker_check(const struct bf_tracker *t)
{
    bool ok = true;
    if (!t)
        return false;
    uint32_t cap = t->cap;

    /* (1) slot partition */
    CHECK(1, t->n_free + t->n_live + t->n_pending == cap);
    for (uint32_t i = 0; i < t->n_free; i++) {
        uint32_t s = t->free_stack[i];
        CHECK(1, s < cap && t->trk[s].status == 0);
    }
    for (uint32_t i = 0; i < t->n_pending; i++) {
        uint32_t s = t->pending[i];
        CHECK(1, s < cap && t->trk[s].status == BF_TRACK_DELETED);
    }
    {
        uint32_t n_free = 0, n_live = 0, n_del = 0;
        for (uint32_t s = 0; s < cap; s++) {
            uint8_t st = t->trk[s].status;
            if (st == 0)
                n_free++;
            else if (st == BF_TRACK_DELETED)
                n_del++;
            else if (st == BF_TRACK_TENTATIVE || st == BF_TRACK_CONFIRMED ||
                     st == BF_TRACK_COASTING)
                n_live++;
            else
                CHECK(1, !"status out of range");
        }
        CHECK(1, n_free == t->n_free && n_live == t->n_live && n_del == t->n_pending);
    }

    /* (2) live list */
    {
        uint32_t n = 0, prev = NONE, last_id = 0, n_conf = 0;
        for (uint32_t s = t->head; s != NONE; s = t->next[s]) {
            CHECK(2, s < cap && t->prev[s] == prev);
            CHECK(2, n++ < cap);
            const struct bf_track *tr = &t->trk[s];
            CHECK(2, tr->slot == s);
            CHECK(2, tr->id > last_id && tr->id < t->next_id);
            CHECK(1, tr->status == BF_TRACK_TENTATIVE || tr->status == BF_TRACK_CONFIRMED ||
                         tr->status == BF_TRACK_COASTING);
            last_id = tr->id;
            prev = s;

            /* (3) grid */
            CHECK(3, bf_grid_at(t->grid, s, tr->x[0], tr->x[1], is_wide(t, pos_sigma(tr->P))));

            /* (4) state */
            CHECK(4, finite_n(tr->x, 4) && finite_n(tr->P, 16));
            for (int i = 0; i < 4; i++) {
                CHECK(4, tr->P[i * 4 + i] > 0);
                for (int j = 0; j < 4; j++)
                    CHECK(4, tr->P[i * 4 + j] == tr->P[j * 4 + i]);
            }
            CHECK(4, t->last_t == BF_TIME_NONE || tr->t_us <= t->last_t);

            /* (5) lifecycle */
            switch (tr->status) {
            case BF_TRACK_CONFIRMED:
                CHECK(5, tr->miss_run == 0);
                n_conf++;
                break;
            case BF_TRACK_COASTING:
                CHECK(5, tr->miss_run >= 1 && !misses_reach(t->miss_w[s], t->p.delete_misses));
                n_conf++;
                break;
            default:
                CHECK(5, !misses_reach(t->miss_w[s], t->p.delete_misses_tentative));
                CHECK(5, t->opps[s] >= 1 && t->opps[s] < t->p.confirm_n);
                if (t->p.confirm == BF_CONFIRM_SCORE)
                    CHECK(5, tr->n_hits >= 1 && tr->score < t->p.confirm_llr);
                else
                    CHECK(5, tr->n_hits >= 1 && tr->n_hits < t->p.confirm_m);
                break;
            }
            if (t->p.confirm == BF_CONFIRM_SCORE)
                CHECK(5, isfinite(tr->score) && tr->score <= tr->score_peak &&
                             tr->score >= tr->score_peak - t->p.delete_llr_drop);

            /* (6) class probabilities */
            double sum = 0;
            for (int k = 0; k < BF_CLASS_COUNT; k++) {
                CHECK(6, tr->class_p[k] >= 0 && tr->class_p[k] <= 1);
                sum += tr->class_p[k];
            }
            CHECK(6, fabs(sum - 1.0) < 1e-3);
            for (int k = 0; k < BF_CLASS_COUNT; k++)
                CHECK(6, tr->class_logp[k] <= 0 && tr->class_logp[k] >= -CLASS_LOG_SPAN);

            /* (7) history */
            CHECK(7, tr->hist_len >= 1 && tr->hist_len <= BF_TRACK_HIST &&
                         tr->hist_head < BF_TRACK_HIST);
        }
        CHECK(2, prev == t->tail && n == t->n_live);
        /* (8) */
        CHECK(8, t->stats.live == t->n_live && t->stats.live_confirmed == n_conf);
    }
    /* every live track is in the grid, so the count leaves room for no other slot */
    CHECK(3, bf_grid_count(t->grid) == t->n_live);
    CHECK(3, bf_grid_check(t->grid));

    /* (9) changes */
    for (size_t i = 0; i < t->n_changes; i++) {
        const struct bf_track *tr = t->changes[i].track;
        CHECK(9, tr >= t->trk && tr < t->trk + cap);
        CHECK(9, i == 0 || t->changes[i - 1].track->id < tr->id);
        CHECK(9, !(t->changes[i].what & BF_CHANGE_DELETED) || tr->status == BF_TRACK_DELETED);
        CHECK(9, t->changes[i].what != 0);
    }

done:
#ifndef NDEBUG
    assert(ok);
#endif
    return ok;
}
