/*
 * test_tracker.c - the tracker end to end on scripted scans: lifecycle scan
 * numbers (M-of-N confirmation, coasting, deletion), crossing targets that
 * must keep their ids, clutter that must never confirm, the changes list,
 * determinism, the pool limit, gating rules and bad input; the invariants
 * are checked after every scan.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "bf_test.h"
#include "core/bf_error.h"
#include "tracker/tracker.h"
#include "tracker/tracker_int.h"

#define DEG (M_PI / 180.0)
#define S_US(s) ((bf_time_us)((s) * 1e6))
#define MAXD 64

static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static double rng_unit(uint64_t *s)
{
    return ((double)(rng_next(s) >> 11) + 0.5) / 9007199254740992.0;
}

static double rng_normal(uint64_t *s)
{
    double u1 = rng_unit(s), u2 = rng_unit(s);
    return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

static struct bf_detection pos_det(uint32_t sensor, bf_time_us t, double e, double n, double sigma)
{
    struct bf_detection d;
    memset(&d, 0, sizeof d);
    d.t_us = t;
    d.sensor_idx = sensor;
    d.kind = BF_MEAS_POSITION;
    d.z[0] = e;
    d.z[1] = n;
    d.R[0][0] = sigma * sigma;
    d.R[1][1] = sigma * sigma;
    return d;
}

static struct bf_detection rb_det(uint32_t sensor, bf_time_us t, double se, double sn, double e,
                                  double n, double sr, double sb, uint64_t *seed)
{
    struct bf_detection d;
    memset(&d, 0, sizeof d);
    d.t_us = t;
    d.sensor_idx = sensor;
    d.kind = BF_MEAS_RANGE_BEARING;
    d.sensor_e_m = se;
    d.sensor_n_m = sn;
    d.z[0] = hypot(e - se, n - sn) + sr * rng_normal(seed);
    d.z[1] = fmod(atan2(e - se, n - sn) + sb * rng_normal(seed) + 4 * M_PI, 2 * M_PI);
    d.R[0][0] = sr * sr;
    d.R[1][1] = sb * sb;
    return d;
}

static struct bf_tracker *make(const struct bf_tracker_params *p, const struct bf_tracker_sensor *s,
                               size_t n)
{
    struct bf_tracker *t = NULL;
    CU_ASSERT_EQUAL(bf_tracker_create(p, s, n, &t), 0);
    return t;
}

static const struct bf_tracker_sensor unlimited[2] = {{.e_m = 0, .n_m = 0, .range_m = 0}, {.e_m = 0, .n_m = 0, .range_m = 0}};

/* The change entry for track id, or NULL. */
static const struct bf_track_change *change_of(const struct bf_tracker *t, uint32_t id)
{
    const struct bf_track_change *c;
    size_t n = bf_tracker_changes(t, &c);
    for (size_t i = 0; i < n; i++) {
        if (c[i].track->id == id)
            return &c[i];
    }
    return NULL;
}

static uint32_t what_of(const struct bf_tracker *t, uint32_t id)
{
    const struct bf_track_change *c = change_of(t, id);
    return c ? c->what : 0;
}

/* One scan of POSITION detections at the given points; checks invariants. */
static int scan_pts(struct bf_tracker *t, uint32_t sensor, double ts, const double (*pts)[2],
                    size_t n)
{
    struct bf_detection d[MAXD];
    memset(d, 0, sizeof d);   /* n may be 0: an empty scan (and -O3 cannot tell) */
    for (size_t i = 0; i < n && i < MAXD; i++)
        d[i] = pos_det(sensor, S_US(ts), pts[i][0], pts[i][1], 5.0);
    int rc = bf_tracker_scan(t, sensor, S_US(ts), d, n);
    CU_ASSERT(bf_tracker_check(t));
    return rc;
}

/* ---- lifecycle ----------------------------------------------------------- */

/*
 * Defaults: confirm 3 of 4, delete after 5 misses (confirmed) or 2
 * (tentative).  A walker at 1 m/s seen on scans 1-3, then nothing:
 *   scan 1 NEW (tentative), 2 UPDATED, 3 UPDATED|CONFIRMED,
 *   scan 4 MISSED -> COASTING, 5-7 MISSED, 8 MISSED|DELETED (5th miss),
 *   scan 9: the deleted track is gone from the changes and from the pool.
 */
static void test_confirm_and_delete(void)
{
    struct bf_tracker_params p;
    bf_tracker_params_default(&p);
    struct bf_tracker *t = make(&p, unlimited, 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    double pt[1][2];

    for (int k = 1; k <= 3; k++) {
        pt[0][0] = 100.0 + k;
        pt[0][1] = 200.0;
        CU_ASSERT_EQUAL(scan_pts(t, 0, k, pt, 1), 0);
        const struct bf_track *tr;
        CU_ASSERT_EQUAL(bf_tracker_tracks(t, &tr, 1), 1);
        CU_ASSERT_EQUAL(tr->id, 1);
        if (k < 3) {
            CU_ASSERT_EQUAL(tr->status, BF_TRACK_TENTATIVE);
            CU_ASSERT_EQUAL(what_of(t, 1), k == 1 ? BF_CHANGE_NEW : BF_CHANGE_UPDATED);
        } else {
            CU_ASSERT_EQUAL(tr->status, BF_TRACK_CONFIRMED);
            CU_ASSERT_EQUAL(what_of(t, 1), BF_CHANGE_UPDATED | BF_CHANGE_CONFIRMED);
            CU_ASSERT_EQUAL(tr->confirmed_us, S_US(3));
            CU_ASSERT_EQUAL(tr->n_hits, 3);
            CU_ASSERT_EQUAL(tr->hit_bits & 0xF, 0x7);
            CU_ASSERT_EQUAL(tr->hist_len, 3);
            BF_ASSERT_NEAR(tr->hist[2].e_m, tr->x[0], 0);
            CU_ASSERT_EQUAL(tr->first_us, S_US(1));
            CU_ASSERT_EQUAL(tr->last_hit_us, S_US(3));
        }
    }
    for (int k = 4; k <= 8; k++) {
        CU_ASSERT_EQUAL(scan_pts(t, 0, k, NULL, 0), 0);
        const struct bf_track_change *c = change_of(t, 1);
        CU_ASSERT_PTR_NOT_NULL_FATAL(c);
        CU_ASSERT_EQUAL(c->track->miss_run, k - 3);
        if (k < 8) {
            CU_ASSERT_EQUAL(c->what, BF_CHANGE_MISSED);
            CU_ASSERT_EQUAL(c->track->status, BF_TRACK_COASTING);
            CU_ASSERT_EQUAL(bf_tracker_tracks(t, NULL, 0), 1);
        } else {
            CU_ASSERT_EQUAL(c->what, BF_CHANGE_MISSED | BF_CHANGE_DELETED);
            CU_ASSERT_EQUAL(c->track->status, BF_TRACK_DELETED);
            CU_ASSERT_EQUAL(c->track->id, 1);     /* still readable this scan */
            CU_ASSERT_EQUAL(bf_tracker_tracks(t, NULL, 0), 0);
        }
    }
    CU_ASSERT_EQUAL(scan_pts(t, 0, 9, NULL, 0), 0);
    CU_ASSERT_EQUAL(bf_tracker_changes(t, NULL), 0);

    /* The slot is reused, the id is not. */
    pt[0][0] = -500;
    pt[0][1] = 0;
    CU_ASSERT_EQUAL(scan_pts(t, 0, 10, pt, 1), 0);
    const struct bf_track *tr;
    CU_ASSERT_EQUAL(bf_tracker_tracks(t, &tr, 1), 1);
    CU_ASSERT_EQUAL(tr->id, 2);
    CU_ASSERT_EQUAL(tr->slot, 0);

    struct bf_tracker_stats st;
    bf_tracker_get_stats(t, &st);
    CU_ASSERT_EQUAL(st.scans, 10);
    CU_ASSERT_EQUAL(st.detections, 4);
    CU_ASSERT_EQUAL(st.initiated, 2);
    CU_ASSERT_EQUAL(st.associated, 2);
    CU_ASSERT_EQUAL(st.confirmed, 1);
    CU_ASSERT_EQUAL(st.deleted, 1);
    CU_ASSERT_EQUAL(st.live, 1);
    CU_ASSERT_EQUAL(st.live_confirmed, 0);
    bf_tracker_destroy(t);
}

/* Hit, miss, hit, hit: 3 of 4 confirms on scan 4.  Hit, miss, miss: the
 * tentative track dies on scan 3.  Hit, miss, hit, miss: it can no longer
 * make 3 of its first 4, and dies on scan 4. */
static void test_m_of_n_patterns(void)
{
    struct bf_tracker_params p;
    bf_tracker_params_default(&p);
    static const int pattern[3][4] = {{1, 0, 1, 1}, {1, 0, 0, -1}, {1, 0, 1, 0}};
    static const int confirm_at[3] = {4, 0, 0};
    static const int delete_at[3] = {0, 3, 4};
    for (int c = 0; c < 3; c++) {
        struct bf_tracker *t = make(&p, unlimited, 1);
        CU_ASSERT_PTR_NOT_NULL_FATAL(t);
        int confirmed = 0, deleted = 0;
        for (int k = 1; k <= 4; k++) {
            if (pattern[c][k - 1] < 0)
                break;
            double pt[1][2] = {{1000.0, 1000.0 + 0.5 * k}};
            CU_ASSERT_EQUAL(scan_pts(t, 0, k, pt, pattern[c][k - 1] ? 1 : 0), 0);
            uint32_t w = what_of(t, 1);
            if (w & BF_CHANGE_CONFIRMED)
                confirmed = k;
            if (w & BF_CHANGE_DELETED)
                deleted = k;
        }
        CU_ASSERT_EQUAL(confirmed, confirm_at[c]);
        CU_ASSERT_EQUAL(deleted, delete_at[c]);
        bf_tracker_destroy(t);
    }
}

/* ---- crossing targets ---------------------------------------------------- */

/*
 * A radar at (0, -2000) sees two vehicles whose paths cross at 44 degrees:
 * A from (-300, -120) at (10, 4) m/s, B from (-300, 120) at (10, -4) m/s;
 * they close in at 8 m/s, meet at (0, 0) at t = 30 s and part again, so for
 * several scans both detections fall in both gates.  Detections come in a
 * shuffled order.  Exactly two tracks are ever confirmed: id 1
 * follows A and id 2 follows B throughout.  A detection that falls outside
 * its track's gate may start a tentative track, which must never confirm.
 * The gate is 4 sigma: with the default 3 about 1% of good detections fall
 * outside it, and ~3% of runs (over 500 seeds) lose a track while it is
 * being initiated.  At 4 sigma, 0.4% of runs do, and 1.2% swap the two ids
 * at the crossing: global nearest neighbour's known limit (JPDA/MHT later).
 * The seed below is one of the other 98%; a broken associator fails it.
 */
static void run_crossing(struct bf_tracker *t, uint64_t seed, bool check_ids)
{
    const double se = 0, sn = -2000;
    for (int k = 0; k <= 60; k++) {
        double ts = 1000.0 + k;
        double a[2] = {-300 + 10.0 * k, -120 + 4.0 * k};
        double b[2] = {-300 + 10.0 * k, 120 - 4.0 * k};
        struct bf_detection d[2];
        bool swap = k > 0 && (rng_next(&seed) & 1);
        d[swap ? 1 : 0] = rb_det(0, S_US(ts), se, sn, a[0], a[1], 5.0, 0.1 * DEG, &seed);
        d[swap ? 0 : 1] = rb_det(0, S_US(ts), se, sn, b[0], b[1], 5.0, 0.1 * DEG, &seed);
        CU_ASSERT_EQUAL(bf_tracker_scan(t, 0, S_US(ts), d, 2), 0);
        CU_ASSERT(bf_tracker_check(t));
        if (!check_ids)
            continue;
        const struct bf_track *all[8], *tr[2];
        size_t n = bf_tracker_tracks(t, all, 8), n_conf = 0;
        CU_ASSERT(n >= 2 && n <= 4);
        CU_ASSERT_EQUAL(all[0]->id, 1);
        CU_ASSERT_EQUAL(all[1]->id, 2);
        for (size_t i = 0; i < n && i < 8; i++) {
            if (all[i]->status != BF_TRACK_TENTATIVE && n_conf < 2)
                tr[n_conf++] = all[i];
            else if (all[i]->status != BF_TRACK_TENTATIVE)
                n_conf++;
        }
        if (k < 2)
            continue;
        CU_ASSERT_EQUAL(n_conf, 2);
        if (n_conf != 2)
            continue;
        CU_ASSERT_EQUAL(tr[0]->id, 1);
        CU_ASSERT_EQUAL(tr[1]->id, 2);
        if (k >= 5) {
            CU_ASSERT(hypot(tr[0]->x[0] - a[0], tr[0]->x[1] - a[1]) < 15.0);
            CU_ASSERT(hypot(tr[1]->x[0] - b[0], tr[1]->x[1] - b[1]) < 15.0);
        }
    }
}

static void test_crossing(void)
{
    struct bf_tracker_params p;
    bf_tracker_params_default(&p);
    p.init_speed_sigma_mps = 15;   /* vehicles, not walkers */
    p.gate_sigma = 4;
    struct bf_tracker_sensor radar = {.e_m = 0, .n_m = -2000, .range_m = 8000};
    struct bf_tracker *t = make(&p, &radar, 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    run_crossing(t, 42, true);
    const struct bf_track *tr[2];
    CU_ASSERT_EQUAL_FATAL(bf_tracker_tracks(t, tr, 2), 2);
    BF_ASSERT_NEAR(tr[0]->x[2], 10.0, 1.0);
    BF_ASSERT_NEAR(tr[0]->x[3], 4.0, 1.0);
    BF_ASSERT_NEAR(tr[1]->x[2], 10.0, 1.0);
    BF_ASSERT_NEAR(tr[1]->x[3], -4.0, 1.0);
    CU_ASSERT(tr[0]->n_hits >= 58 && tr[0]->n_hits <= 61);
    CU_ASSERT(tr[1]->n_hits >= 58 && tr[1]->n_hits <= 61);
    struct bf_tracker_stats st;
    bf_tracker_get_stats(t, &st);
    CU_ASSERT(st.initiated >= 2 && st.initiated <= 6);
    CU_ASSERT_EQUAL(st.confirmed, 2);
    CU_ASSERT(st.max_cluster >= 4);      /* the two gates did overlap at the crossing */
    CU_ASSERT_EQUAL(st.bad_detections, 0);
    bf_tracker_destroy(t);
}

/* ---- clutter ------------------------------------------------------------ */

/* 5 false detections per scan over 20 km x 20 km (1.25e-8 per m^2), 300
 * scans: tracks start and die, none is ever confirmed. */
static void test_clutter_never_confirms(void)
{
    struct bf_tracker_params p;
    bf_tracker_params_default(&p);
    struct bf_tracker *t = make(&p, unlimited, 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    uint64_t seed = 7;
    double pts[5][2];
    for (int k = 1; k <= 300; k++) {
        for (int i = 0; i < 5; i++) {
            pts[i][0] = -10000 + 20000 * rng_unit(&seed);
            pts[i][1] = -10000 + 20000 * rng_unit(&seed);
        }
        CU_ASSERT_EQUAL(scan_pts(t, 0, k, pts, 5), 0);
        const struct bf_track_change *c;
        size_t n = bf_tracker_changes(t, &c);
        for (size_t i = 0; i < n; i++)
            CU_ASSERT_EQUAL(c[i].what & BF_CHANGE_CONFIRMED, 0);
    }
    struct bf_tracker_stats st;
    bf_tracker_get_stats(t, &st);
    CU_ASSERT_EQUAL(st.confirmed, 0);
    CU_ASSERT_EQUAL(st.live_confirmed, 0);
    CU_ASSERT(st.initiated >= 1490);      /* practically every detection */
    CU_ASSERT(st.live <= 15);             /* each lives at most 3 scans */
    CU_ASSERT_EQUAL(st.initiated, st.deleted + st.live);
    bf_tracker_destroy(t);
}

/* ---- changes list ---------------------------------------------------------- */

/* Several tracks in one scan: changes come in ascending id with the right
 * flags; a scan's two detections near one track update it once and start a
 * second track with the other. */
static void test_changes_list(void)
{
    struct bf_tracker_params p;
    bf_tracker_params_default(&p);
    struct bf_tracker *t = make(&p, unlimited, 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    /* three tracks, far apart: ids follow the detection order */
    double s1[3][2] = {{3000, 0}, {0, 3000}, {-3000, 0}};
    CU_ASSERT_EQUAL(scan_pts(t, 0, 1, s1, 3), 0);
    const struct bf_track_change *c;
    CU_ASSERT_EQUAL_FATAL(bf_tracker_changes(t, &c), 3);
    for (int i = 0; i < 3; i++) {
        CU_ASSERT_EQUAL(c[i].track->id, (uint32_t)i + 1);
        CU_ASSERT_EQUAL(c[i].what, BF_CHANGE_NEW);
        BF_ASSERT_NEAR(c[i].track->x[0], s1[i][0], 0);
    }
    /* scan 2: track 3 seen, track 1 seen, track 2 missed, plus a new one */
    double s2[3][2] = {{-3000, 1}, {500, 500}, {3001, 0}};
    CU_ASSERT_EQUAL(scan_pts(t, 0, 2, s2, 3), 0);
    CU_ASSERT_EQUAL_FATAL(bf_tracker_changes(t, &c), 4);
    CU_ASSERT_EQUAL(c[0].track->id, 1);
    CU_ASSERT_EQUAL(c[0].what, BF_CHANGE_UPDATED);
    CU_ASSERT_EQUAL(c[1].track->id, 2);
    CU_ASSERT_EQUAL(c[1].what, BF_CHANGE_MISSED);
    CU_ASSERT_EQUAL(c[2].track->id, 3);
    CU_ASSERT_EQUAL(c[2].what, BF_CHANGE_UPDATED);
    CU_ASSERT_EQUAL(c[3].track->id, 4);
    CU_ASSERT_EQUAL(c[3].what, BF_CHANGE_NEW);

    /* scan 3: two detections 4 m either side of track 1 -- both gate, the
     * nearer (2 m) wins, the other starts track 5. */
    double s3[2][2] = {{3005, 0}, {3001, 0}};
    CU_ASSERT_EQUAL(scan_pts(t, 0, 3, s3, 2), 0);
    CU_ASSERT_EQUAL(what_of(t, 1), BF_CHANGE_UPDATED | BF_CHANGE_CONFIRMED);
    CU_ASSERT_EQUAL(what_of(t, 5), BF_CHANGE_NEW);
    const struct bf_track_change *c5 = change_of(t, 5);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c5);
    BF_ASSERT_NEAR(c5->track->x[0], 3005, 0);
    struct bf_tracker_stats st;
    bf_tracker_get_stats(t, &st);
    CU_ASSERT(st.gated_pairs >= 4);
    CU_ASSERT_EQUAL(st.associated, 3);
    bf_tracker_destroy(t);
}

/*
 * The trap that greedy nearest neighbour falls into.  Confirmed tracks T1 at
 * (0, 0) and T2 at (10, 0); detections d1 at (4.5, 0) and d2 at (-6, 0).
 * Greedy gives d1 to T1 (its nearest), then T2 has nothing in its gate and
 * d2 starts a new track.  The exact solution pairs T1-d2 and T2-d1.
 */
static void test_assignment_beats_greedy(void)
{
    struct bf_tracker_params p;
    bf_tracker_params_default(&p);
    struct bf_tracker *t = make(&p, unlimited, 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    struct bf_detection d[2];
    for (int k = 1; k <= 10; k++) {
        d[0] = pos_det(0, S_US(k), 0, 0, 2);
        d[1] = pos_det(0, S_US(k), 10, 0, 2);
        CU_ASSERT_EQUAL_FATAL(bf_tracker_scan(t, 0, S_US(k), d, 2), 0);
    }
    const struct bf_track *tr[2];
    CU_ASSERT_EQUAL_FATAL(bf_tracker_tracks(t, tr, 2), 2);
    d[0] = pos_det(0, S_US(11), 4.5, 0, 2);
    d[1] = pos_det(0, S_US(11), -6, 0, 2);

    /* The premise, on the states predicted to t = 11 s. */
    double g2 = p.gate_sigma * p.gate_sigma, d2[2][2];
    for (int i = 0; i < 2; i++) {
        double x[4], P[16], nu[3], S[9];
        int dim;
        bf_predict_cv(tr[i]->x, tr[i]->P, 1.0, p.q_accel_mps2, x, P);
        for (int j = 0; j < 2; j++) {
            CU_ASSERT_EQUAL(bf_innovation(x, P, &d[j], nu, S, &dim), 0);
            d2[i][j] = bf_mahalanobis2(nu, S, dim);
        }
    }
    CU_ASSERT(d2[0][0] < d2[0][1] && d2[0][1] < g2);   /* T1: d1 nearer, d2 in gate */
    CU_ASSERT(d2[1][0] < g2 && d2[1][1] >= g2);        /* T2: only d1 */

    CU_ASSERT_EQUAL(bf_tracker_scan(t, 0, S_US(11), d, 2), 0);
    CU_ASSERT(bf_tracker_check(t));
    CU_ASSERT_EQUAL(bf_tracker_tracks(t, tr, 2), 2);   /* no new track */
    CU_ASSERT_EQUAL(what_of(t, 1), BF_CHANGE_UPDATED);
    CU_ASSERT_EQUAL(what_of(t, 2), BF_CHANGE_UPDATED);
    CU_ASSERT(tr[0]->x[0] < -1.0);                     /* pulled towards -6 */
    CU_ASSERT(tr[1]->x[0] < 9.0 && tr[1]->x[0] > 4.5); /* pulled towards 4.5 */
    bf_tracker_destroy(t);
}

/* Class hints, flags and the sensor mask fold in as documented. */
static void test_class_flags_sensors(void)
{
    struct bf_tracker_params p;
    bf_tracker_params_default(&p);
    struct bf_tracker *t = make(&p, unlimited, 2);
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    struct bf_detection d = pos_det(0, S_US(1), 10, 10, 5);
    CU_ASSERT_EQUAL(bf_tracker_scan(t, 0, S_US(1), &d, 1), 0);
    const struct bf_track *tr;
    CU_ASSERT_EQUAL_FATAL(bf_tracker_tracks(t, &tr, 1), 1);
    for (int k = 0; k < BF_CLASS_COUNT; k++)
        BF_ASSERT_NEAR(tr->class_p[k], 1.0 / 6, 1e-6);   /* uniform without hints */
    CU_ASSERT_EQUAL(tr->sensors, 1u);
    CU_ASSERT_EQUAL(tr->flags, 0);

    /*
     * Hints person 0.8, animal 0.2 from sensor 1 (an exercise detection), no
     * confusion matrix given: the generic one (0.8 on the diagonal, 0.04
     * elsewhere).  Likelihood of true class c = sum_r M[c][r] q_r: person
     * 0.8 * 0.8 + 0.2 * 0.04 = 0.648, animal 0.8 * 0.04 + 0.2 * 0.8 = 0.192,
     * others 0.04; times the uniform prior, normalised (sum 1).
     */
    d = pos_det(1, S_US(2), 10, 11, 5);
    d.flags = BF_DET_F_CLASS | BF_DET_F_EXERCISE;
    d.class_lik[BF_CLASS_PERSON] = 0.8f;
    d.class_lik[BF_CLASS_ANIMAL] = 0.2f;
    CU_ASSERT_EQUAL(bf_tracker_scan(t, 1, S_US(2), &d, 1), 0);
    CU_ASSERT(bf_tracker_check(t));
    CU_ASSERT_EQUAL_FATAL(bf_tracker_tracks(t, &tr, 1), 1);
    BF_ASSERT_NEAR(tr->class_p[BF_CLASS_PERSON], 0.648, 1e-6);
    BF_ASSERT_NEAR(tr->class_p[BF_CLASS_ANIMAL], 0.192, 1e-6);
    BF_ASSERT_NEAR(tr->class_p[BF_CLASS_VEHICLE], 0.04, 1e-6);
    CU_ASSERT_EQUAL(tr->sensors, 3u);
    CU_ASSERT_EQUAL(tr->flags, BF_DET_F_EXERCISE);

    /* a TEST detection adds its flag; flags only accumulate */
    d = pos_det(0, S_US(3), 10, 12, 5);
    d.flags = BF_DET_F_TEST;
    CU_ASSERT_EQUAL(bf_tracker_scan(t, 0, S_US(3), &d, 1), 0);
    CU_ASSERT_EQUAL_FATAL(bf_tracker_tracks(t, &tr, 1), 1);
    CU_ASSERT_EQUAL(tr->flags, BF_DET_F_EXERCISE | BF_DET_F_TEST);
    CU_ASSERT_EQUAL(tr->n_hits, 3);
    bf_tracker_destroy(t);
}

/* ---- determinism --------------------------------------------------------- */

static void feed_mixed(struct bf_tracker *t)
{
    run_crossing(t, 5, false);
    uint64_t seed = 11;
    double pts[8][2];
    for (int k = 0; k < 40; k++) {
        for (int i = 0; i < 8; i++) {
            pts[i][0] = -2000 + 4000 * rng_unit(&seed);
            pts[i][1] = -2000 + 4000 * rng_unit(&seed);
        }
        /* a slow target among the clutter, seen from sensor 1 */
        pts[0][0] = 50 + 1.0 * k + rng_normal(&seed);
        pts[0][1] = 80 + rng_normal(&seed);
        CU_ASSERT_EQUAL(scan_pts(t, k & 1, 1100.0 + k, pts, 8), 0);
    }
}

static void test_determinism(void)
{
    struct bf_tracker_params p;
    bf_tracker_params_default(&p);
    struct bf_tracker_sensor sens[2] = {{.e_m = 0, .n_m = -2000, .range_m = 8000}, {.e_m = 500, .n_m = 500, .range_m = 0}};
    struct bf_tracker *a = make(&p, sens, 2), *b = make(&p, sens, 2);
    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    feed_mixed(a);
    feed_mixed(b);
    const struct bf_track *ta[256], *tb[256];
    size_t na = bf_tracker_tracks(a, ta, 256), nb = bf_tracker_tracks(b, tb, 256);
    CU_ASSERT_EQUAL_FATAL(na, nb);
    CU_ASSERT(na >= 3);
    for (size_t i = 0; i < na; i++) {
        CU_ASSERT_EQUAL(ta[i]->id, tb[i]->id);
        CU_ASSERT(memcmp(ta[i]->x, tb[i]->x, sizeof ta[i]->x) == 0);
        CU_ASSERT(memcmp(ta[i]->P, tb[i]->P, sizeof ta[i]->P) == 0);
        CU_ASSERT_EQUAL(ta[i]->status, tb[i]->status);
        CU_ASSERT_EQUAL(ta[i]->hit_bits, tb[i]->hit_bits);
    }
    const struct bf_track_change *ca, *cb;
    size_t nca = bf_tracker_changes(a, &ca), ncb = bf_tracker_changes(b, &cb);
    CU_ASSERT_EQUAL_FATAL(nca, ncb);
    for (size_t i = 0; i < nca; i++) {
        CU_ASSERT_EQUAL(ca[i].track->id, cb[i].track->id);
        CU_ASSERT_EQUAL(ca[i].what, cb[i].what);
    }
    struct bf_tracker_stats sa, sb;
    bf_tracker_get_stats(a, &sa);
    bf_tracker_get_stats(b, &sb);
    CU_ASSERT(memcmp(&sa, &sb, sizeof sa) == 0);
    /* the slow target is confirmed and followed */
    bool found = false;
    for (size_t i = 0; i < na; i++) {
        if (ta[i]->status == BF_TRACK_CONFIRMED && hypot(ta[i]->x[0] - 89, ta[i]->x[1] - 80) < 10)
            found = true;
    }
    CU_ASSERT(found);
    bf_tracker_destroy(a);
    bf_tracker_destroy(b);
}

/* ---- limits and gates ------------------------------------------------------ */

static void test_pool_full(void)
{
    struct bf_tracker_params p;
    bf_tracker_params_default(&p);
    p.max_tracks = 2;
    struct bf_tracker *t = make(&p, unlimited, 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    double pts[3][2] = {{0, 0}, {5000, 0}, {0, 5000}};
    CU_ASSERT_EQUAL(scan_pts(t, 0, 1, pts, 3), 0);
    struct bf_tracker_stats st;
    bf_tracker_get_stats(t, &st);
    CU_ASSERT_EQUAL(st.pool_full, 1);
    CU_ASSERT_EQUAL(st.live, 2);
    CU_ASSERT_EQUAL(st.initiated, 2);
    CU_ASSERT_EQUAL(bf_tracker_changes(t, NULL), 2);
    /* again: the two tracks update, the third detection is shed again */
    CU_ASSERT_EQUAL(scan_pts(t, 0, 2, pts, 3), 0);
    bf_tracker_get_stats(t, &st);
    CU_ASSERT_EQUAL(st.pool_full, 2);
    CU_ASSERT_EQUAL(st.associated, 2);
    CU_ASSERT_EQUAL(st.live, 2);
    bf_tracker_destroy(t);
}

/* A target moving 50 m in 1 s when max_speed is 10 m/s is refused by the
 * implied-speed test (tolerance 3 * (5 + 5) m), even though the Mahalanobis
 * gate of a track with a 100 m/s velocity std would take it; 30 m is fine. */
static void test_speed_gate(void)
{
    struct bf_tracker_params p;
    bf_tracker_params_default(&p);
    p.init_speed_sigma_mps = 100;
    p.max_speed_mps = 10;
    struct bf_tracker *t = make(&p, unlimited, 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    double a[1][2] = {{0, 0}}, b[1][2] = {{50, 0}};
    CU_ASSERT_EQUAL(scan_pts(t, 0, 1, a, 1), 0);
    CU_ASSERT_EQUAL(scan_pts(t, 0, 2, b, 1), 0);
    CU_ASSERT_EQUAL(what_of(t, 1), BF_CHANGE_MISSED);
    CU_ASSERT_EQUAL(what_of(t, 2), BF_CHANGE_NEW);

    struct bf_tracker *u = make(&p, unlimited, 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(u);
    double c[1][2] = {{30, 0}};
    CU_ASSERT_EQUAL(scan_pts(u, 0, 1, a, 1), 0);
    CU_ASSERT_EQUAL(scan_pts(u, 0, 2, c, 1), 0);
    CU_ASSERT_EQUAL(what_of(u, 1), BF_CHANGE_UPDATED);
    CU_ASSERT_EQUAL(bf_tracker_changes(u, NULL), 1);
    bf_tracker_destroy(t);
    bf_tracker_destroy(u);
}

/* A sensor only misses tracks inside its coverage; a track nobody covers
 * dies when its predicted position std passes max_pos_sigma_m. */
static void test_coverage_and_sigma(void)
{
    struct bf_tracker_params p;
    bf_tracker_params_default(&p);
    p.max_pos_sigma_m = 50;
    struct bf_tracker_sensor sens[2] = {{.e_m = 0, .n_m = 0, .range_m = 0}, {.e_m = 0, .n_m = 0, .range_m = 1000}};
    struct bf_tracker *t = make(&p, sens, 2);
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    double far[1][2] = {{5000, 0}};
    for (int k = 1; k <= 3; k++) {
        far[0][1] = k;
        CU_ASSERT_EQUAL(scan_pts(t, 0, k, far, 1), 0);
    }
    CU_ASSERT_EQUAL(what_of(t, 1), BF_CHANGE_UPDATED | BF_CHANGE_CONFIRMED);
    /* sensor 1 (1 km range) sees nothing, for a few seconds: no miss */
    for (int k = 4; k <= 6; k++) {
        CU_ASSERT_EQUAL(scan_pts(t, 1, k, NULL, 0), 0);
        CU_ASSERT_EQUAL(bf_tracker_changes(t, NULL), 0);
    }
    const struct bf_track *tr;
    CU_ASSERT_EQUAL_FATAL(bf_tracker_tracks(t, &tr, 1), 1);
    CU_ASSERT_EQUAL(tr->status, BF_TRACK_CONFIRMED);
    CU_ASSERT_EQUAL(tr->miss_run, 0);
    /* 200 s later its predicted std is far above 50 m: deleted without a miss */
    CU_ASSERT_EQUAL(scan_pts(t, 1, 206, NULL, 0), 0);
    CU_ASSERT_EQUAL(what_of(t, 1), BF_CHANGE_DELETED);
    CU_ASSERT_EQUAL(bf_tracker_tracks(t, NULL, 0), 0);
    bf_tracker_destroy(t);
}

/* ---- bad input ------------------------------------------------------------- */

static void test_bad_input(void)
{
    struct bf_tracker_params p;
    bf_tracker_params_default(&p);
    struct bf_tracker *t = (struct bf_tracker *)&p;
    struct bf_tracker_params q = p;
    q.confirm_m = 5;   /* M > N */
    CU_ASSERT_EQUAL(bf_tracker_create(&q, unlimited, 1, &t), BF_EINVAL);
    CU_ASSERT_PTR_NULL(t);
    q = p;
    q.gate_sigma = NAN;
    CU_ASSERT_EQUAL(bf_tracker_create(&q, unlimited, 1, &t), BF_EINVAL);
    q = p;
    q.max_tracks = 0;
    CU_ASSERT_EQUAL(bf_tracker_create(&q, unlimited, 1, &t), BF_EINVAL);
    CU_ASSERT_EQUAL(bf_tracker_create(NULL, unlimited, 1, &t), BF_EINVAL);
    bf_tracker_destroy(NULL);

    t = make(&p, unlimited, 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    struct bf_detection d[5];
    d[0] = pos_det(0, S_US(1), NAN, 0, 5);        /* NaN */
    d[1] = pos_det(0, S_US(1), 0, 0, 5);
    d[1].kind = 99;                               /* no such measurement kind */
    d[2] = pos_det(3, S_US(1), 0, 0, 5);          /* wrong sensor */
    d[3] = pos_det(0, S_US(2), 0, 0, 5);          /* wrong time */
    d[4] = pos_det(0, S_US(1), 100, 100, 0);      /* zero variance */
    CU_ASSERT_EQUAL(bf_tracker_scan(t, 0, S_US(1), d, 5), 0);
    CU_ASSERT(bf_tracker_check(t));
    struct bf_tracker_stats st;
    bf_tracker_get_stats(t, &st);
    CU_ASSERT_EQUAL(st.bad_detections, 5);
    CU_ASSERT_EQUAL(st.live, 0);

    CU_ASSERT_EQUAL(bf_tracker_scan(t, 1, S_US(2), NULL, 0), BF_EINVAL);   /* no sensor 1 */
    CU_ASSERT_EQUAL(bf_tracker_scan(t, 0, S_US(2), NULL, 3), BF_EINVAL);
    CU_ASSERT_EQUAL(bf_tracker_scan(t, 0, S_US(0), NULL, 0), BF_EINVAL);   /* back in time */
    CU_ASSERT_EQUAL(bf_tracker_scan(NULL, 0, S_US(2), NULL, 0), BF_EINVAL);
    bf_tracker_get_stats(t, &st);
    CU_ASSERT_EQUAL(st.scans, 1);
    bf_tracker_destroy(t);
}

/* ---- grid ------------------------------------------------------------------ */

/*
 * Random inserts, moves and removes (some wide, some at NaN) against a plain
 * model; after every operation the grid checks itself, and queries return
 * exactly the items whose cell overlaps the square, plus the wide ones.
 */
static void test_grid_random(void)
{
    enum { N = 200 };
    const double cell = 10.0;
    struct bf_grid *g;
    CU_ASSERT_EQUAL_FATAL(bf_grid_create(N, cell, &g), 0);
    bool present[N] = {false}, wide[N] = {false};
    double pe[N], pn[N];
    uint64_t seed = 3;
    uint32_t out[N];
    int n_queries = 0;
    for (int op = 0; op < 6000; op++) {
        uint32_t i = (uint32_t)(rng_next(&seed) % N);
        double e = -100 + 200 * rng_unit(&seed), n = -100 + 200 * rng_unit(&seed);
        bool w = rng_unit(&seed) < 0.05;
        if (rng_unit(&seed) < 0.01)
            e = NAN;   /* goes to the wide cell */
        int what = (int)(rng_next(&seed) % 3);
        if (!present[i]) {
            CU_ASSERT_EQUAL(bf_grid_move(g, i, e, n, w), BF_EINVAL);
            CU_ASSERT_EQUAL(bf_grid_insert(g, i, e, n, w), 0);
            present[i] = true;
        } else if (what == 0) {
            bf_grid_remove(g, i);
            present[i] = false;
        } else {
            CU_ASSERT_EQUAL(bf_grid_insert(g, i, e, n, w), BF_EINVAL);
            CU_ASSERT_EQUAL(bf_grid_move(g, i, e, n, w), 0);
        }
        if (present[i]) {
            pe[i] = e;
            pn[i] = n;
            wide[i] = w || !isfinite(e);
            CU_ASSERT(bf_grid_at(g, i, e, n, w));
        }
        if (op % 25 != 0)
            continue;
        CU_ASSERT_FATAL(bf_grid_check(g));
        double qe = -120 + 240 * rng_unit(&seed), qn = -120 + 240 * rng_unit(&seed);
        double r = (op % 100 == 0) ? 500.0 : 30 * rng_unit(&seed);
        size_t got = bf_grid_query(g, qe, qn, r, out, N);
        bool in[N] = {false};
        for (size_t k = 0; k < got && k < N; k++) {
            CU_ASSERT(out[k] < N && !in[out[k]]);   /* no duplicates */
            if (out[k] < N)
                in[out[k]] = true;
        }
        size_t want = 0;
        for (uint32_t k = 0; k < N; k++) {
            bool expect = false;
            if (present[k]) {
                if (wide[k]) {
                    expect = true;
                } else {
                    double cx = floor(pe[k] / cell), cy = floor(pn[k] / cell);
                    expect = cx >= floor((qe - r) / cell) && cx <= floor((qe + r) / cell) &&
                             cy >= floor((qn - r) / cell) && cy <= floor((qn + r) / cell);
                }
            }
            want += expect;
            CU_ASSERT_EQUAL(in[k], expect);
        }
        CU_ASSERT_EQUAL(got, want);
        n_queries++;
    }
    uint32_t n_present = 0;
    for (uint32_t k = 0; k < N; k++)
        n_present += present[k];
    CU_ASSERT_EQUAL(bf_grid_count(g), n_present);
    CU_ASSERT_EQUAL(bf_grid_query(g, 0, 0, INFINITY, out, N), n_present);
    CU_ASSERT_EQUAL(n_queries, 240);
    bf_grid_destroy(g);
    bf_grid_destroy(NULL);
    g = (struct bf_grid *)&seed;
    CU_ASSERT_EQUAL(bf_grid_create(0, 1.0, &g), BF_EINVAL);
    CU_ASSERT_PTR_NULL(g);
    CU_ASSERT_EQUAL(bf_grid_create(10, NAN, &g), BF_EINVAL);
}

/*
 * Multi-sensor, measurement-level fusion with detections that carry no
 * position.  Sensor 0 reports positions (unlimited coverage); sensor 1 is a
 * camera at (0, -1000) with 5 km coverage reporting bearings only (0.3 deg
 * std); sensor 2 a ground sensor at (20, 60) reporting presence within 100 m.
 * A walker at (k, 0), 1 m/s east, is confirmed by three position scans
 * (3 of 4).  Scan 4: the camera sees it (bearing atan2(4, 1000)) and a second
 * object at bearing 200 deg where no track is: the track is UPDATED by the
 * bearing (sensor bit 1 set, not missed), the other bearing starts no track,
 * and both are counted unlocated, not bad.  Scan 5: the ground sensor's
 * presence gates with the track (distance ~57 m: d2 ~ 4*57^2/100^2 = 1.3 < 9)
 * and updates it.  Scan 6: positions again: the same track, no new ones.
 * The camera bearing pins the east coordinate: after it, the track's east
 * std is below what the position updates alone gave.
 */
static void test_unlocated_update(void)
{
    struct bf_tracker_params p;
    bf_tracker_params_default(&p);
    const struct bf_tracker_sensor sens[3] = {{.e_m = 0, .n_m = 0, .range_m = 0}, {.e_m = 0, .n_m = -1000, .range_m = 5000}, {.e_m = 20, .n_m = 60, .range_m = 500}};
    struct bf_tracker *t = make(&p, sens, 3);
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    double pt[1][2];
    for (int k = 1; k <= 3; k++) {
        pt[0][0] = k;
        pt[0][1] = 0;
        CU_ASSERT_EQUAL_FATAL(scan_pts(t, 0, k, pt, 1), 0);
    }
    const struct bf_track *tr;
    CU_ASSERT_EQUAL_FATAL(bf_tracker_tracks(t, &tr, 1), 1);
    CU_ASSERT_EQUAL_FATAL(tr->status, BF_TRACK_CONFIRMED);
    double sig_e_before;

    /* scan 4: the camera */
    struct bf_detection d[2];
    for (int i = 0; i < 2; i++) {
        memset(&d[i], 0, sizeof d[i]);
        d[i].t_us = S_US(4);
        d[i].sensor_idx = 1;
        d[i].kind = BF_MEAS_BEARING;
        d[i].sensor_e_m = 0;
        d[i].sensor_n_m = -1000;
        d[i].R[0][0] = pow(0.3 * DEG, 2);
    }
    d[0].z[0] = atan2(4.0, 1000.0);
    d[1].z[0] = 200 * DEG;
    {
        /* the track's east std predicted to scan 4, for comparison */
        double x[4], P[16];
        bf_predict_cv(tr->x, tr->P, 1.0, p.q_accel_mps2, x, P);
        sig_e_before = sqrt(P[0]);
    }
    CU_ASSERT_EQUAL_FATAL(bf_tracker_scan(t, 1, S_US(4), d, 2), 0);
    CU_ASSERT(bf_tracker_check(t));
    CU_ASSERT_EQUAL(bf_tracker_tracks(t, &tr, 1), 1);
    CU_ASSERT_EQUAL(tr->id, 1);
    CU_ASSERT_EQUAL(what_of(t, 1), BF_CHANGE_UPDATED);
    CU_ASSERT(tr->sensors & 2u);
    CU_ASSERT_EQUAL(tr->status, BF_TRACK_CONFIRMED);
    CU_ASSERT(sqrt(tr->P[0]) < 0.8 * sig_e_before);
    BF_ASSERT_NEAR(tr->x[0], 4.0, 3.0);
    struct bf_tracker_stats st;
    bf_tracker_get_stats(t, &st);
    CU_ASSERT_EQUAL(st.unlocated, 2);
    CU_ASSERT_EQUAL(st.bad_detections, 0);
    CU_ASSERT_EQUAL(st.initiated, 1);
    CU_ASSERT_EQUAL(st.associated, 3);

    /* scan 5: the ground sensor */
    struct bf_detection g;
    memset(&g, 0, sizeof g);
    g.t_us = S_US(5);
    g.sensor_idx = 2;
    g.kind = BF_MEAS_PRESENCE;
    g.sensor_e_m = 20;
    g.sensor_n_m = 60;
    g.z[0] = 100;
    CU_ASSERT_EQUAL_FATAL(bf_tracker_scan(t, 2, S_US(5), &g, 1), 0);
    CU_ASSERT(bf_tracker_check(t));
    CU_ASSERT_EQUAL(what_of(t, 1), BF_CHANGE_UPDATED);
    CU_ASSERT(tr->sensors & 4u);
    bf_tracker_get_stats(t, &st);
    CU_ASSERT_EQUAL(st.unlocated, 3);
    CU_ASSERT_EQUAL(st.bad_detections, 0);
    CU_ASSERT_EQUAL(st.associated, 4);

    /* scan 6: positions again; still one track */
    pt[0][0] = 6;
    pt[0][1] = 0;
    CU_ASSERT_EQUAL_FATAL(scan_pts(t, 0, 6, pt, 1), 0);
    CU_ASSERT_EQUAL(what_of(t, 1), BF_CHANGE_UPDATED);
    bf_tracker_get_stats(t, &st);
    CU_ASSERT_EQUAL(st.initiated, 1);
    CU_ASSERT_EQUAL(st.live, 1);
    CU_ASSERT_EQUAL(st.bad_detections, 0);
    bf_tracker_destroy(t);
}

/* ---- motion models -------------------------------------------------------- */

/*
 * A vehicle at 20 m/s drives east for 20 s, turns 90 deg left at
 * TURN_DPS deg/s, and drives north for 20 s; POSITION detections every 1 s,
 * sigma 5 m, no clutter.  Returns the tracks started; *held is true when
 * track 1 is confirmed at the end and took every detection after its
 * confirmation.
 */
#define TURN_DPS 20.0

static uint64_t run_turn(enum bf_motion_model motion, bool *held, double *rms_turn)
{
    struct bf_tracker_params p;
    bf_tracker_params_default(&p);
    p.motion = motion;
    p.ct_turn_rate_dps = TURN_DPS;
    p.init_speed_sigma_mps = 25;
    struct bf_tracker *t = make(&p, unlimited, 1);
    *held = false;
    if (!t)
        return 0;
    const double v = 20, w = TURN_DPS * DEG, r = v / w;
    const int leg = 20, turn = (int)lround(90.0 / TURN_DPS);
    uint64_t seed = 11;
    double se = 0;
    int n_turn = 0;
    bool took_all = true;
    for (int k = 0; k <= 2 * leg + turn; k++) {
        double e, n;
        if (k <= leg) {
            e = v * k;
            n = 0;
        } else {
            double tt = fmin(k - leg, 90.0 / TURN_DPS);
            e = v * leg + r * sin(w * tt);
            n = r * (1 - cos(w * tt));
            if (k - leg > 90.0 / TURN_DPS)
                n += v * (k - leg - 90.0 / TURN_DPS);
        }
        struct bf_detection d = pos_det(0, S_US(k), e + 5 * rng_normal(&seed), n + 5 * rng_normal(&seed), 5);
        CU_ASSERT_EQUAL(bf_tracker_scan(t, 0, S_US(k), &d, 1), 0);
        CU_ASSERT(bf_tracker_check(t));
        const struct bf_track *tr[4];
        size_t nt = bf_tracker_tracks(t, tr, 4);
        if (k >= 3 && !(nt >= 1 && tr[0]->id == 1 && (what_of(t, 1) & BF_CHANGE_UPDATED)))
            took_all = false;
        if (k > leg && k <= leg + turn + 2 && nt >= 1 && tr[0]->id == 1) {
            double err = hypot(tr[0]->x[0] - e, tr[0]->x[1] - n);
            se += err * err;
            n_turn++;
        }
    }
    const struct bf_track *tr[4];
    size_t nt = bf_tracker_tracks(t, tr, 4);
    *held = took_all && nt >= 1 && tr[0]->id == 1 && tr[0]->status == BF_TRACK_CONFIRMED;
    *rms_turn = n_turn ? sqrt(se / n_turn) : INFINITY;
    struct bf_tracker_stats st;
    bf_tracker_get_stats(t, &st);
    bf_tracker_destroy(t);
    return st.initiated;
}

static void test_turn_held_by_imm(void)
{
    bool held_imm = false, held_cv = false;
    double rms_imm, rms_cv;
    uint64_t n_imm = run_turn(BF_MOTION_IMM, &held_imm, &rms_imm);
    uint64_t n_cv = run_turn(BF_MOTION_CV, &held_cv, &rms_cv);
    printf("\n  90 deg turn at %.0f deg/s: IMM %s (%llu tracks started, RMS %.1f m in the turn), "
           "CV alone %s (%llu tracks started, RMS %.1f m)\n", TURN_DPS,
           held_imm ? "holds one track" : "LOSES the track", (unsigned long long)n_imm, rms_imm,
           held_cv ? "holds one track" : "loses the track", (unsigned long long)n_cv, rms_cv);
    CU_ASSERT(held_imm);
    CU_ASSERT_EQUAL(n_imm, 1);
    CU_ASSERT(rms_imm < 15.0);
}

#define JPDA_CROSS_MAX_FAILS 20
/* ---- associators, track score, bounded clusters, kinematic class ------- */

/*
 * Two targets cross at a shallow angle (paths at +-0.8 m/s across 10 m/s,
 * 9 degrees) in clutter (8 false detections a scan in a 1 km square, sigma
 * 10 m, Pd 1): per seed, the confirmed tracks nearest A and B at scan 10
 * must be the ones nearest them (within 40 m) at scan 60.  Returns the runs
 * that failed that (a swap or a lost track) over n_seeds.
 */
static int crossing_failures(enum bf_associator assoc, int n_seeds)
{
    int fails = 0;
    for (int sd = 0; sd < n_seeds; sd++) {
        struct bf_tracker_params p;
        bf_tracker_params_default(&p);
        p.associator = assoc;
        p.init_speed_sigma_mps = 15;
        p.clutter_density = 8e-6;
        struct bf_tracker *t = make(&p, unlimited, 1);
        CU_ASSERT_PTR_NOT_NULL_FATAL(t);
        uint64_t seed = 1000 + (uint64_t)sd;
        uint32_t id_a = 0, id_b = 0;
        bool ok = true;
        for (int k = 0; k <= 60; k++) {
            double a[2] = {-300 + 10.0 * k, -24 + 0.8 * k};
            double b[2] = {-300 + 10.0 * k, 24 - 0.8 * k};
            double pts[10][2];
            pts[0][0] = a[0] + 10 * rng_normal(&seed);
            pts[0][1] = a[1] + 10 * rng_normal(&seed);
            pts[1][0] = b[0] + 10 * rng_normal(&seed);
            pts[1][1] = b[1] + 10 * rng_normal(&seed);
            for (int c = 2; c < 10; c++) {
                pts[c][0] = a[0] - 500 + 1000 * rng_unit(&seed);
                pts[c][1] = -500 + 1000 * rng_unit(&seed);
            }
            struct bf_detection d[10];
            for (int i = 0; i < 10; i++)
                d[i] = pos_det(0, S_US(k), pts[i][0], pts[i][1], 10.0);
            CU_ASSERT_EQUAL(bf_tracker_scan(t, 0, S_US(k), d, 10), 0);
            if (k != 10 && k != 60)
                continue;
            const struct bf_track *all[256];
            size_t n = bf_tracker_tracks(t, all, 256);
            uint32_t near_a = 0, near_b = 0;
            double da = 40, db = 40;
            for (size_t i = 0; i < n && i < 256; i++) {
                if (all[i]->status == BF_TRACK_TENTATIVE)
                    continue;
                double ea = hypot(all[i]->x[0] - a[0], all[i]->x[1] - a[1]);
                double eb = hypot(all[i]->x[0] - b[0], all[i]->x[1] - b[1]);
                if (ea < da) {
                    da = ea;
                    near_a = all[i]->id;
                }
                if (eb < db) {
                    db = eb;
                    near_b = all[i]->id;
                }
            }
            if (k == 10) {
                id_a = near_a;
                id_b = near_b;
            } else {
                ok = id_a != 0 && id_b != 0 && id_a != id_b && near_a == id_a && near_b == id_b;
            }
        }
        CU_ASSERT(bf_tracker_check(t));
        fails += !ok;
        bf_tracker_destroy(t);
    }
    return fails;
}

static void test_jpda_crossing(void)
{
    int gnn = crossing_failures(BF_ASSOC_GNN, 60);
    int jpda = crossing_failures(BF_ASSOC_JPDA, 60);
    printf("\n    crossing failures over 60 runs: GNN %d, JPDA %d ", gnn, jpda);
    CU_ASSERT(jpda < gnn);
    CU_ASSERT(jpda <= JPDA_CROSS_MAX_FAILS);   /* 14 of 60 when written; GNN 25 */
}

/*
 * Track score (defaults: Pd 0.9, clutter 1e-6 /m^2, confirm at 6.9).  A
 * still, noise-free target measured with sigma 5 m: the track starts at
 * score 0; its second detection has d^2 = 0 and S = (25 + 25 + 0.25/3 + 25) I
 * (position 25 + velocity 25 x 1 s^2 + CV noise q^2/3, plus R), so the
 * score becomes ln(0.9 / (2 pi 75.0833...) / 1e-6) = 7.55 >= 6.9: confirmed
 * on scan 2, where 3-of-4 confirms on scan 3.
 */
static void test_score_confirms_faster(void)
{
    struct bf_tracker_params p;
    bf_tracker_params_default(&p);
    int confirmed_at[2] = {0, 0};
    for (int rule = 0; rule < 2; rule++) {
        p.confirm = rule ? BF_CONFIRM_SCORE : BF_CONFIRM_M_OF_N;
        struct bf_tracker *t = make(&p, unlimited, 1);
        CU_ASSERT_PTR_NOT_NULL_FATAL(t);
        const double pt[1][2] = {{100, 200}};
        for (int k = 1; k <= 4; k++) {
            CU_ASSERT_EQUAL(scan_pts(t, 0, k, pt, 1), 0);
            if (confirmed_at[rule] == 0 && (what_of(t, 1) & BF_CHANGE_CONFIRMED))
                confirmed_at[rule] = k;
            const struct bf_track *tr;
            CU_ASSERT_EQUAL_FATAL(bf_tracker_tracks(t, &tr, 1), 1);
            if (rule == 1 && k == 1)
                BF_ASSERT_NEAR(tr->score, 0.0, 0);
            if (rule == 1 && k == 2) {
                double S = 25 + 25 + 0.25 / 3 + 25;
                BF_ASSERT_NEAR(tr->score, log(0.9 / (2 * M_PI * S) / 1e-6), 1e-9);
                BF_ASSERT_NEAR(tr->score, 7.553, 1e-3);
                BF_ASSERT_NEAR(tr->score_peak, tr->score, 0);
            }
        }
        bf_tracker_destroy(t);
    }
    CU_ASSERT_EQUAL(confirmed_at[0], 3);
    CU_ASSERT_EQUAL(confirmed_at[1], 2);

    /* the score drop deletes: a confirmed track missed 3 times loses
     * 3 ln(1 - 0.9 x 0.989) = -6.62 ... and 4 times -8.83 < -6.9 */
    p.confirm = BF_CONFIRM_SCORE;
    struct bf_tracker *t = make(&p, unlimited, 1);
    const double pt[1][2] = {{100, 200}};
    for (int k = 1; k <= 5; k++)
        CU_ASSERT_EQUAL(scan_pts(t, 0, k, pt, 1), 0);
    for (int k = 6; k <= 9; k++) {
        CU_ASSERT_EQUAL(scan_pts(t, 0, k, NULL, 0), 0);
        CU_ASSERT_EQUAL(bf_tracker_tracks(t, NULL, 0), k < 9 ? 1u : 0u);
    }
    CU_ASSERT((what_of(t, 1) & BF_CHANGE_DELETED) != 0);
    bf_tracker_destroy(t);
}

/* Pure clutter at exactly the default density (one false detection a scan
 * in a 1 km square = 1e-6 /m^2) under the score rule over 300 scans: no
 * track is confirmed (expected false confirmations: about 0.1). */
static void test_score_clutter(void)
{
    struct bf_tracker_params p;
    bf_tracker_params_default(&p);
    p.confirm = BF_CONFIRM_SCORE;
    struct bf_tracker *t = make(&p, unlimited, 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    uint64_t seed = 77;
    for (int k = 1; k <= 300; k++) {
        double pt[1][2] = {{1000 * rng_unit(&seed), 1000 * rng_unit(&seed)}};
        CU_ASSERT_EQUAL(scan_pts(t, 0, k, pt, 1), 0);
    }
    struct bf_tracker_stats st;
    bf_tracker_get_stats(t, &st);
    CU_ASSERT_EQUAL(st.confirmed, 0);
    CU_ASSERT(st.initiated >= 290);
    CU_ASSERT_EQUAL(st.initiated, st.deleted + st.live);
    bf_tracker_destroy(t);
}

/* JPDA with the score rule: a tentative track's soft association on a scan
 * with no hard hit can carry its score over confirm_llr (the JPDA increment
 * is positive when a detection probably was its own); the track is then
 * confirmed on that scan, and coasting, since no detection was its hard hit:
 * no tentative track ever holds a confirming score (the invariants, checked
 * after every scan by scan_pts).  Three walkers 6 m apart, each seen with
 * probability 0.6, among clutter about them. */
static void test_jpda_score_confirms_on_soft_hit(void)
{
    struct bf_tracker_params p;
    bf_tracker_params_default(&p);
    p.associator = BF_ASSOC_JPDA;
    p.confirm = BF_CONFIRM_SCORE;
    struct bf_tracker *t = make(&p, unlimited, 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    uint64_t seed = 11;
    for (int k = 1; k <= 240; k++) {
        double pt[8][2];
        size_t n = 0;
        for (int w = 0; w < 3; w++) {
            if (rng_unit(&seed) < 0.6) {
                pt[n][0] = 100.0 + 1.5 * k + 5.0 * (rng_unit(&seed) - 0.5);
                pt[n][1] = 100.0 + 6.0 * w + 5.0 * (rng_unit(&seed) - 0.5);
                n++;
            }
        }
        for (int c = 0; c < 4; c++, n++) {   /* clutter about the walkers */
            pt[n][0] = 100.0 + 1.5 * k + 60.0 * (rng_unit(&seed) - 0.5);
            pt[n][1] = 110.0 + 60.0 * (rng_unit(&seed) - 0.5);
        }
        CU_ASSERT_EQUAL(scan_pts(t, 0, k, (const double (*)[2])pt, n), 0);
    }
    struct bf_tracker_stats st;
    bf_tracker_get_stats(t, &st);
    CU_ASSERT(st.confirmed >= 3);
    CU_ASSERT_EQUAL(st.initiated, st.deleted + st.live);
    bf_tracker_destroy(t);
}

/* 3000 detections in a 100 m square on two scans: the second scan's tracks
 * and detections form one cluster of ~6000 > max_cluster (4096): bounded,
 * counted, solved greedily; the scan returns and the invariants hold.
 * Under both associators (JPDA falls back to the same greedy pairs). */
static void test_dense_cluster_bounded(void)
{
    enum { N = 3000 };
    struct bf_tracker_params p;
    bf_tracker_params_default(&p);
    for (int assoc = 0; assoc < 2; assoc++) {
        p.associator = assoc ? BF_ASSOC_JPDA : BF_ASSOC_GNN;
        struct bf_tracker *t = make(&p, unlimited, 1);
        CU_ASSERT_PTR_NOT_NULL_FATAL(t);
        static struct bf_detection d[N];
        uint64_t seed = 5;
        for (int k = 1; k <= 2; k++) {
            for (int i = 0; i < N; i++)
                d[i] = pos_det(0, S_US(k), 100 * rng_unit(&seed), 100 * rng_unit(&seed), 5.0);
            CU_ASSERT_EQUAL(bf_tracker_scan(t, 0, S_US(k), d, N), 0);
            CU_ASSERT(bf_tracker_check(t));
        }
        struct bf_tracker_stats st;
        bf_tracker_get_stats(t, &st);
        CU_ASSERT_EQUAL(st.clusters_bounded, 1);
        CU_ASSERT(st.max_cluster > 4096);
        /* every detection of scan 2 updated a track or started one; greedy
         * paired 2930 of them (some detections' gated tracks were all taken) */
        CU_ASSERT(st.associated >= 2900 && st.associated < N);
        CU_ASSERT_EQUAL(st.associated + st.initiated, 2 * N);
        CU_ASSERT_EQUAL(st.live, st.initiated);
        bf_tracker_destroy(t);
    }
}

/* Kinematic classification: a target at 20 m/s (no class hints) ends with
 * vehicle the likeliest class and person below 0.02; a walker at 1 m/s has
 * person and animal above vehicle; the same 20 m/s target with a radar hint
 * of (person 0.9, vehicle 0.1) each scan stays person: the damped speed
 * likelihood (at most 100^0.25 = 3.2 per scan) does not overrule a 9:1 hint. */
static void test_kinematic_class(void)
{
    struct bf_tracker_params p;
    bf_tracker_params_default(&p);
    p.init_speed_sigma_mps = 15;
    for (int c = 0; c < 3; c++) {
        struct bf_tracker *t = make(&p, unlimited, 1);
        CU_ASSERT_PTR_NOT_NULL_FATAL(t);
        uint64_t seed = 11;
        double v = c == 1 ? 1.0 : 20.0;
        for (int k = 1; k <= 20; k++) {
            struct bf_detection d = pos_det(0, S_US(k), v * k + 5 * rng_normal(&seed),
                                            5 * rng_normal(&seed), 5.0);
            if (c == 2) {
                d.flags |= BF_DET_F_CLASS;
                d.class_lik[BF_CLASS_PERSON] = 0.9f;
                d.class_lik[BF_CLASS_VEHICLE] = 0.1f;
            }
            CU_ASSERT_EQUAL(bf_tracker_scan(t, 0, S_US(k), &d, 1), 0);
            CU_ASSERT(bf_tracker_check(t));
        }
        const struct bf_track *tr;
        CU_ASSERT_EQUAL_FATAL(bf_tracker_tracks(t, &tr, 1), 1);
        const float *cp = tr->class_p;
        if (c == 0) {
            for (int k = 0; k < BF_CLASS_COUNT; k++) {
                if (k != BF_CLASS_VEHICLE)
                    CU_ASSERT(cp[BF_CLASS_VEHICLE] > cp[k]);
            }
            CU_ASSERT(cp[BF_CLASS_PERSON] < 0.02f);
        } else if (c == 1) {
            CU_ASSERT(cp[BF_CLASS_PERSON] > cp[BF_CLASS_VEHICLE]);
            CU_ASSERT(cp[BF_CLASS_ANIMAL] > cp[BF_CLASS_VEHICLE]);
            CU_ASSERT(cp[BF_CLASS_AIRCRAFT] < 0.02f);
        } else {
            CU_ASSERT(cp[BF_CLASS_PERSON] > cp[BF_CLASS_VEHICLE]);
        }
        bf_tracker_destroy(t);
    }
}

/* ---- Pd(x), max coast, continuation, classification that remembers ------ */

/* Synthetic coverage for the tests: ctx points at the Pd to return. */
static double pd_const(const void *ctx, uint32_t sensor_idx, double e_m, double n_m)
{
    (void)sensor_idx;
    (void)e_m;
    (void)n_m;
    return *(const double *)ctx;
}

/* A camera looking north: Pd 0.8 for n > 0, 0 elsewhere. */
static double pd_north_only(const void *ctx, uint32_t sensor_idx, double e_m, double n_m)
{
    (void)ctx;
    (void)sensor_idx;
    (void)e_m;
    return n_m > 0 ? 0.8 : 0.0;
}

/*
 * One walker (1.5 m/s east, sigma 5 m) seen with probability pd_true on each
 * of n_scans 1 s scans (seeded misses), no clutter.  Returns the number of
 * fragments: confirmed tracks that took a detection of the walker.
 */
static int walker_fragments(const struct bf_tracker_params *p, const struct bf_tracker_sensor *sen,
                            double pd_true, int n_scans, uint64_t seed)
{
    struct bf_tracker *t = make(p, sen, 1);
    if (!t)
        return -1;
    uint32_t seen[256];
    int n_seen = 0;

    for (int k = 1; k <= n_scans; k++) {
        struct bf_detection d = pos_det(0, S_US(k), 1.5 * k + 5 * rng_normal(&seed),
                                        5 * rng_normal(&seed), 5.0);
        bool hit = rng_unit(&seed) < pd_true;
        CU_ASSERT_EQUAL(bf_tracker_scan(t, 0, S_US(k), &d, hit ? 1 : 0), 0);
        CU_ASSERT(bf_tracker_check(t));
        const struct bf_track_change *c;
        size_t n = bf_tracker_changes(t, &c);
        for (size_t i = 0; i < n; i++) {
            const struct bf_track *tr = c[i].track;
            if (!(c[i].what & BF_CHANGE_UPDATED) || tr->status == BF_TRACK_TENTATIVE ||
                tr->status == BF_TRACK_DELETED)
                continue;
            bool known = false;
            for (int q = 0; q < n_seen; q++)
                known = known || seen[q] == tr->id;
            if (!known && n_seen < 256)
                seen[n_seen++] = tr->id;
        }
    }
    bf_tracker_destroy(t);
    return n_seen;
}

/*
 * A walker at Pd 0.3 over 1200 scans: misses counted as at Pd 0.9 (no
 * pd_at) break its track into fragments; with pd_at saying 0.3 one track
 * holds it (GNN, M-of-N and the score rule).  The score rule runs with the
 * deletion drop that five misses at the design Pd give (11, as M-of-N's
 * delete_misses 5): the default 6.9 allows a false deletion per about a
 * thousand scans at any Pd, which a 1200-scan run would meet.  JPDA: a
 * detection just outside the gate can start a rival track that shares the
 * target's detections and takes it over (an association effect, not a Pd
 * one), so there it is at most two a run, and far fewer than without Pd(x).
 */
static void test_pd_low_holds_track(void)
{
    static const double pd03 = 0.3;
    const struct bf_tracker_sensor old_sen = {.range_m = 0};
    const struct bf_tracker_sensor new_sen = {.range_m = 0, .pd_at = pd_const, .pd_ctx = &pd03};
    for (int cfg = 0; cfg < 3; cfg++) {
        struct bf_tracker_params p;
        bf_tracker_params_default(&p);
        p.max_coast_s = 0;   /* misses decide here, not the coast limit */
        p.max_coast_by_class_s[BF_CLASS_VEHICLE] = 0;
        if (cfg == 1) {
            p.confirm = BF_CONFIRM_SCORE;
            p.delete_llr_drop = 11;
        }
        if (cfg == 2)
            p.associator = BF_ASSOC_JPDA;
        int old_f = 0, new_f = 0;
        for (uint64_t seed = 1; seed <= 3; seed++) {
            int o = walker_fragments(&p, &old_sen, 0.3, 1200, seed);
            int n = walker_fragments(&p, &new_sen, 0.3, 1200, seed);
            CU_ASSERT(cfg == 2 ? n >= 1 && n <= 2 : n == 1);
            old_f += o;
            new_f += n;
        }
        printf("\n    Pd 0.3 walker, 3 x 1200 scans, %s/%s: fragments %d without Pd(x), %d with ",
               cfg == 1 ? "score" : "m_of_n", cfg == 2 ? "jpda" : "gnn", old_f, new_f);
        CU_ASSERT(old_f >= 3 * 10);
        CU_ASSERT(cfg == 2 ? new_f * 10 <= old_f : new_f == 3);
    }
}

/*
 * A sensor whose Pd is 0 where the target is takes no miss and changes
 * nothing: a track seen by a radar alone confirms on the same scan, with the
 * same changes and state, whether or not a camera looking the other way
 * scans empty frames between the radar's scans.
 */
static void test_pd_blind_sensor(void)
{
    struct bf_tracker_params p;
    bf_tracker_params_default(&p);
    const struct bf_tracker_sensor sen[2] = {
        {.range_m = 0},
        {.range_m = 5000, .pd_at = pd_north_only},
    };
    double conf_t[2] = {0, 0};
    double x_end[2][4];
    size_t n_changes[2] = {0, 0};
    for (int with_cam = 0; with_cam < 2; with_cam++) {
        struct bf_tracker *t = make(&p, sen, 2);
        CU_ASSERT_PTR_NOT_NULL_FATAL(t);
        uint64_t seed = 5;
        for (int k = 1; k <= 12; k++) {
            const struct bf_track_change *c;
            if (with_cam && k > 1) {   /* an empty camera frame half a second before */
                CU_ASSERT_EQUAL(bf_tracker_scan(t, 1, S_US(k - 0.5), NULL, 0), 0);
                CU_ASSERT(bf_tracker_check(t));
                CU_ASSERT_EQUAL(bf_tracker_changes(t, &c), 0);   /* no miss, nothing */
            }
            /* south of the camera: it cannot see there */
            struct bf_detection d = pos_det(0, S_US(k), 100 + 1.2 * k + 5 * rng_normal(&seed),
                                            -300 + 5 * rng_normal(&seed), 5.0);
            CU_ASSERT_EQUAL(bf_tracker_scan(t, 0, S_US(k), &d, 1), 0);
            CU_ASSERT(bf_tracker_check(t));
            size_t n = bf_tracker_changes(t, &c);
            n_changes[with_cam] += n;
            for (size_t i = 0; i < n; i++) {
                if (c[i].what & BF_CHANGE_CONFIRMED)
                    conf_t[with_cam] = k;
            }
        }
        const struct bf_track *tr;
        CU_ASSERT_EQUAL_FATAL(bf_tracker_tracks(t, &tr, 1), 1);
        CU_ASSERT_EQUAL(tr->id, 1);
        CU_ASSERT_EQUAL(tr->miss_run, 0);
        CU_ASSERT_EQUAL(tr->hit_bits & 0xfff, 0xfff);
        memcpy(x_end[with_cam], tr->x, sizeof x_end[0]);
        bf_tracker_destroy(t);
    }
    CU_ASSERT_EQUAL(conf_t[0], 3);
    CU_ASSERT_EQUAL(conf_t[1], conf_t[0]);
    CU_ASSERT_EQUAL(n_changes[1], n_changes[0]);
    for (int i = 0; i < 4; i++)
        BF_ASSERT_NEAR(x_end[1][i], x_end[0][i], 1e-6);   /* two half predictions = one */
}

/* Clutter at the design density (1e-6 per m^2 a scan) never confirms, at
 * Pd(x) 0.3 or 0.95, under M-of-N and the score rule. */
static void test_pd_clutter_never_confirms(void)
{
    static const double pds[2] = {0.3, 0.95};
    for (int rule = 0; rule < 2; rule++) {
        for (int i = 0; i < 2; i++) {
            struct bf_tracker_params p;
            bf_tracker_params_default(&p);
            if (rule)
                p.confirm = BF_CONFIRM_SCORE;
            const struct bf_tracker_sensor sen = {.range_m = 0, .pd_at = pd_const,
                                                  .pd_ctx = &pds[i]};
            struct bf_tracker *t = make(&p, &sen, 1);
            CU_ASSERT_PTR_NOT_NULL_FATAL(t);
            uint64_t seed = 99 + (uint64_t)i;
            double pts[16][2];
            for (int k = 1; k <= 500; k++) {
                /* 4 km x 4 km at 1e-6 per m^2: 16 a scan */
                for (int j = 0; j < 16; j++) {
                    pts[j][0] = -2000 + 4000 * rng_unit(&seed);
                    pts[j][1] = -2000 + 4000 * rng_unit(&seed);
                }
                CU_ASSERT_EQUAL(scan_pts(t, 0, k, pts, 16), 0);
            }
            struct bf_tracker_stats st;
            bf_tracker_get_stats(t, &st);
            CU_ASSERT_EQUAL(st.confirmed, 0);
            CU_ASSERT(st.initiated >= 7000);   /* most detections start one */
            CU_ASSERT(st.live <= 16 * 5);
            bf_tracker_destroy(t);
        }
    }
}

/* Feed a confirmed track at (e, n) moving ve east for scans t0..t1 of sensor 0. */
static void walk(struct bf_tracker *t, int t0, int t1, double e0, double n0, double ve,
                 uint64_t *seed, uint32_t flags, const float *hint)
{
    for (int k = t0; k <= t1; k++) {
        struct bf_detection d = pos_det(0, S_US(k), e0 + ve * (k - t0) + 3 * rng_normal(seed),
                                        n0 + 3 * rng_normal(seed), 3.0);
        d.flags |= flags;
        if (hint)
            memcpy(d.class_lik, hint, sizeof d.class_lik);
        CU_ASSERT_EQUAL(bf_tracker_scan(t, 0, S_US(k), &d, 1), 0);
        CU_ASSERT(bf_tracker_check(t));
    }
}

/*
 * Max coast: a confirmed track no sensor can see (pd_at 0: no misses) is
 * deleted max_coast_s after its last hit (120 s for a person or an unknown,
 * 60 s for a vehicle); a plot 220 km away hours later starts a new track
 * and never updates the idle one, even with the position-std limit lifted.
 */
static void test_max_coast(void)
{
    static const double zero = 0.0, one = 0.9;
    for (int cls = 0; cls < 2; cls++) {
        struct bf_tracker_params p;
        bf_tracker_params_default(&p);
        const struct bf_tracker_sensor sen[2] = {{.range_m = 0},
                                                 {.range_m = 0, .pd_at = pd_const, .pd_ctx = &zero}};
        struct bf_tracker *t = make(&p, sen, 2);
        CU_ASSERT_PTR_NOT_NULL_FATAL(t);
        uint64_t seed = 3;
        float hint[BF_CLASS_COUNT] = {0};
        hint[cls ? BF_CLASS_VEHICLE : BF_CLASS_PERSON] = 1.0f;
        walk(t, 1, 10, 0, 0, 1.0, &seed, BF_DET_F_CLASS, hint);
        const struct bf_track *tr;
        CU_ASSERT_EQUAL_FATAL(bf_tracker_tracks(t, &tr, 1), 1);
        uint32_t id = tr->id;
        double limit = cls ? 60.0 : 120.0;
        double deleted_at = -1;
        for (int k = 11; k <= 200 && deleted_at < 0; k++) {
            CU_ASSERT_EQUAL(bf_tracker_scan(t, 1, S_US(k), NULL, 0), 0);
            CU_ASSERT(bf_tracker_check(t));
            uint32_t w = what_of(t, id);
            CU_ASSERT_EQUAL(w & BF_CHANGE_MISSED, 0);
            if (w & BF_CHANGE_DELETED)
                deleted_at = k;
        }
        CU_ASSERT_EQUAL(deleted_at, 10 + limit + 1);   /* first scan past the limit */
        struct bf_tracker_stats st;
        bf_tracker_get_stats(t, &st);
        CU_ASSERT_EQUAL(st.coast_expired, 1);
        bf_tracker_destroy(t);
    }

    /* the 220 km case: the idle track must not take the far plot */
    for (int lift = 0; lift < 3; lift++) {
        struct bf_tracker_params p;
        bf_tracker_params_default(&p);
        if (lift >= 1)
            p.max_pos_sigma_m = 1e9;   /* only the coast limit guards */
        if (lift == 2)
            p.max_coast_s = 0;         /* and without it, the sigma guard */
        if (lift == 2)
            p.max_pos_sigma_m = 500;
        const struct bf_tracker_sensor sen[2] = {{.range_m = 0},
                                                 {.range_m = 0, .pd_at = pd_const, .pd_ctx = &one}};
        struct bf_tracker *t = make(&p, sen, 2);
        CU_ASSERT_PTR_NOT_NULL_FATAL(t);
        uint64_t seed = 4;
        walk(t, 1, 10, 0, 0, 1.0, &seed, 0, NULL);
        const struct bf_track *tr;
        CU_ASSERT_EQUAL_FATAL(bf_tracker_tracks(t, &tr, 1), 1);
        uint32_t id = tr->id;
        /* hours later (event time), one plot 220 km away from another sensor */
        double far_t = 10 + 3 * 3600.0;
        struct bf_detection d = pos_det(1, S_US(far_t), 220000, 0, 10.0);
        CU_ASSERT_EQUAL(bf_tracker_scan(t, 1, S_US(far_t), &d, 1), 0);
        CU_ASSERT(bf_tracker_check(t));
        CU_ASSERT(what_of(t, id) & BF_CHANGE_DELETED);
        CU_ASSERT_EQUAL(what_of(t, id) & BF_CHANGE_UPDATED, 0);
        CU_ASSERT_EQUAL_FATAL(bf_tracker_tracks(t, &tr, 1), 1);
        CU_ASSERT(tr->id != id);
        CU_ASSERT_EQUAL(tr->status, BF_TRACK_TENTATIVE);
        /* a huge gap (11 days) is handled the same */
        struct bf_detection d2 = pos_det(1, S_US(far_t + 1e6), 220001, 0, 10.0);
        CU_ASSERT_EQUAL(bf_tracker_scan(t, 1, S_US(far_t + 1e6), &d2, 1), 0);
        CU_ASSERT(bf_tracker_check(t));
        bf_tracker_destroy(t);
    }
}

/*
 * No view, no confirmation: a plot every 2 s, 3 m apart, where the sensor's
 * Pd(x) is 0 (clutter behind a hill: no miss can end the track) keep one
 * tentative track moving (its hits not counted) but never confirm it, under
 * M-of-N and the score rule; the same plots where Pd(x) is 0.9 confirm it by
 * the third.
 */
static void test_no_view_never_confirms(void)
{
    static const double zero = 0.0, high = 0.9;
    for (int rule = 0; rule < 2; rule++) {
        for (int view = 0; view < 2; view++) {
            struct bf_tracker_params p;
            bf_tracker_params_default(&p);
            if (rule)
                p.confirm = BF_CONFIRM_SCORE;
            const struct bf_tracker_sensor sen = {.range_m = 0, .pd_at = pd_const,
                                                  .pd_ctx = view ? &high : &zero};
            struct bf_tracker *t = make(&p, &sen, 1);
            CU_ASSERT_PTR_NOT_NULL_FATAL(t);
            uint32_t confirmed_at = 0;
            for (uint32_t k = 0; k < 6 && !confirmed_at; k++) {
                struct bf_detection d = pos_det(0, S_US(2.0 * k), 3.0 * k, 0.0, 10.0);
                CU_ASSERT_EQUAL(bf_tracker_scan(t, 0, S_US(2.0 * k), &d, 1), 0);
                CU_ASSERT(bf_tracker_check(t));
                const struct bf_track *tr;
                CU_ASSERT_EQUAL_FATAL(bf_tracker_tracks(t, &tr, 1), 1);
                CU_ASSERT(fabs(tr->x[0] - 3.0 * k) < 10.0);   /* one track takes every plot */
                CU_ASSERT_EQUAL(tr->n_hits, view ? k + 1 : 1);
                if (tr->status != BF_TRACK_TENTATIVE && !confirmed_at)
                    confirmed_at = k + 1;
            }
            if (view) {
                CU_ASSERT(confirmed_at >= 2 && confirmed_at <= 3);
            } else {
                CU_ASSERT_EQUAL(confirmed_at, 0);
            }
            bf_tracker_destroy(t);
        }
    }
}

/*
 * Continuation: a walker at 3 m/s east is tracked, lost in a gap (deleted by
 * misses) and restarted 20 s after its last hit ahead along its path: the
 * new track continues the lost one (continues_id, BF_CHANGE_CONTINUES once).
 * Restarted 600 m off its path, or walking back west, it does not; clutter
 * near the lost position meanwhile neither confirms nor takes the entry.
 */
static void test_continuation(void)
{
    for (int var = 0; var < 4; var++) {
        struct bf_tracker_params p;
        bf_tracker_params_default(&p);
        struct bf_tracker *t = make(&p, unlimited, 1);
        CU_ASSERT_PTR_NOT_NULL_FATAL(t);
        uint64_t seed = 21 + (uint64_t)var;
        walk(t, 1, 30, 0, 0, 3.0, &seed, 0, NULL);
        const struct bf_track *tr;
        CU_ASSERT_EQUAL_FATAL(bf_tracker_tracks(t, &tr, 1), 1);
        uint32_t lost_id = tr->id;
        CU_ASSERT_EQUAL(tr->status, BF_TRACK_CONFIRMED);
        /* the gap: empty scans (clutter near the lost position in variant 3) */
        uint64_t cseed = 77;
        for (int k = 31; k <= 49; k++) {
            double pts[1][2] = {{87 + 3.0 * k - 300 + 600 * rng_unit(&cseed),
                                 -300 + 600 * rng_unit(&cseed)}};
            CU_ASSERT_EQUAL(scan_pts(t, 0, k, pts, var == 3 ? 1 : 0), 0);
        }
        CU_ASSERT(bf_tracker_tracks(t, NULL, 0) <= 2);
        struct bf_tracker_stats st;
        bf_tracker_get_stats(t, &st);
        CU_ASSERT_EQUAL(st.live_confirmed, 0);   /* lost, and clutter never confirmed */
        /* the restart, 20 s after the last hit */
        double e0 = 3.0 * (50 - 1), n0 = var == 1 ? 600 : 0, ve = var == 2 ? -3.0 : 3.0;
        uint32_t cont = 0, new_id = 0;
        int n_flag = 0, flag_k = 0;
        for (int k = 50; k <= 75; k++) {
            struct bf_detection d = pos_det(0, S_US(k), e0 + ve * (k - 50) + 3 * rng_normal(&seed),
                                            n0 + 3 * rng_normal(&seed), 3.0);
            CU_ASSERT_EQUAL(bf_tracker_scan(t, 0, S_US(k), &d, 1), 0);
            CU_ASSERT(bf_tracker_check(t));
            const struct bf_track_change *c;
            size_t n = bf_tracker_changes(t, &c);
            for (size_t i = 0; i < n; i++) {
                if (c[i].what & BF_CHANGE_CONTINUES) {
                    n_flag++;
                    flag_k = k;
                    cont = c[i].track->continues_id;
                    new_id = c[i].track->id;
                    CU_ASSERT(c[i].track->status == BF_TRACK_CONFIRMED);
                }
            }
        }
        bf_tracker_get_stats(t, &st);
        printf("\n    continuation variant %d: continues %u (lost %u), new track %u, on its "
               "scan %d ", var, cont, lost_id, new_id, flag_k ? flag_k - 50 + 1 : 0);
        if (var == 0 || var == 3) {
            CU_ASSERT_EQUAL(n_flag, 1);
            CU_ASSERT_EQUAL(cont, lost_id);
            CU_ASSERT_EQUAL(st.continued, 1);
            CU_ASSERT(flag_k >= 52 && flag_k <= 56);   /* at confirmation or a few scans on */
        } else {
            CU_ASSERT_EQUAL(n_flag, 0);
            CU_ASSERT_EQUAL(st.continued, 0);
        }
        bf_tracker_destroy(t);
    }
}

/* The live track with the most hits (the target's, beside a stray tentative one). */
static const struct bf_track *main_track(const struct bf_tracker *t)
{
    const struct bf_track *tr[8];
    size_t n = bf_tracker_tracks(t, tr, 8);
    const struct bf_track *best = NULL;
    for (size_t i = 0; i < n && i < 8; i++)
        if (!best || tr[i]->n_hits > best->n_hits)
            best = tr[i];
    return best;
}

/* Hints as the simulator's radar gives them: the named class 0.6, others 0.08. */
static void sim_hint(float *h, int cls)
{
    for (int k = 0; k < BF_CLASS_COUNT; k++)
        h[k] = k == cls ? 0.6f : 0.08f;
}

/*
 * Classification that remembers: an animal hinted animal on 90% of its
 * updates and person on 10% (seeded) reaches P(animal) > 0.95 within 50
 * updates and is never called person once animal led; one person hint after
 * 50 animal ones does not flip it; a stream that switches (30 animal, then
 * person) does switch, after about as many person hints as animal ones.
 */
static void test_class_remembers(void)
{
    struct bf_tracker_params p;
    bf_tracker_params_default(&p);
    for (int stream = 0; stream < 2; stream++) {
        struct bf_tracker *t = make(&p, unlimited, 1);
        CU_ASSERT_PTR_NOT_NULL_FATAL(t);
        uint64_t seed = 1234, hs = 55;
        bool animal_led = false;
        int flips_to_person = 0, switched_at = 0;
        double min_animal_after50 = 1.0;
        for (int k = 1; k <= 100; k++) {
            int cls;
            if (stream == 0)
                cls = rng_unit(&hs) < 0.9 ? BF_CLASS_ANIMAL : BF_CLASS_PERSON;
            else
                cls = k <= 30 ? BF_CLASS_ANIMAL : BF_CLASS_PERSON;
            float h[BF_CLASS_COUNT];
            sim_hint(h, cls);
            walk(t, k, k, 0.8 * k, 0, 0.0, &seed, BF_DET_F_CLASS, h);
            const struct bf_track *tr = main_track(t);
            CU_ASSERT_PTR_NOT_NULL_FATAL(tr);
            const float *cp = tr->class_p;
            int best = 0;
            for (int c = 1; c < BF_CLASS_COUNT; c++)
                if (cp[c] > cp[best])
                    best = c;
            if (best == BF_CLASS_ANIMAL)
                animal_led = true;
            else if (animal_led && best == BF_CLASS_PERSON) {
                flips_to_person++;
                if (!switched_at)
                    switched_at = k;
            }
            if (k >= 50 && cp[BF_CLASS_ANIMAL] < min_animal_after50)
                min_animal_after50 = cp[BF_CLASS_ANIMAL];
        }
        if (stream == 0) {
            printf("\n    90%% animal hints: min P(animal) over updates 50-100 %.6f, flips to "
                   "person %d ", min_animal_after50, flips_to_person);
            CU_ASSERT(min_animal_after50 > 0.95);
            CU_ASSERT_EQUAL(flips_to_person, 0);
        } else {
            printf("\n    30 animal then person: switched at update %d ", switched_at);
            CU_ASSERT(switched_at > 40 && switched_at < 80);
        }
        bf_tracker_destroy(t);
    }

    /* one person hint after 50 animal hints */
    struct bf_tracker *t = make(&p, unlimited, 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    uint64_t seed = 9;
    float ha[BF_CLASS_COUNT], hp[BF_CLASS_COUNT];
    sim_hint(ha, BF_CLASS_ANIMAL);
    sim_hint(hp, BF_CLASS_PERSON);
    walk(t, 1, 50, 0, 0, 0.5, &seed, BF_DET_F_CLASS, ha);
    walk(t, 51, 51, 25, 0, 0.5, &seed, BF_DET_F_CLASS, hp);
    const struct bf_track *tr = main_track(t);
    CU_ASSERT_PTR_NOT_NULL_FATAL(tr);
    CU_ASSERT(tr->n_hits >= 45);
    CU_ASSERT(tr->class_p[BF_CLASS_ANIMAL] > 0.999f);
    bf_tracker_destroy(t);
}

/*
 * Confusion matrices: validation (entries in [0, 1], rows summing to 1);
 * bf_tracker_create refuses a bad one; a sensor's own matrix is the one its
 * hints go through; the defaults by sensor type.
 */
static void test_class_confusion(void)
{
    double m[BF_CLASS_COUNT * BF_CLASS_COUNT];
    memcpy(m, bf_class_confusion_default("camera"), sizeof m);
    int r = -2, c = -2;
    CU_ASSERT(bf_class_confusion_valid(m, &r, &c));
    CU_ASSERT_EQUAL(r, -1);
    BF_ASSERT_NEAR(m[0], 0.85, 1e-12);
    BF_ASSERT_NEAR(bf_class_confusion_default("asterix")[7], 0.5, 1e-12);
    BF_ASSERT_NEAR(bf_class_confusion_default("ugs")[14], 0.65, 1e-12);
    BF_ASSERT_NEAR(bf_class_confusion_default("json")[0], 0.8, 1e-12);
    CU_ASSERT_PTR_EQUAL(bf_class_confusion_default(NULL), bf_class_confusion_default("json"));
    m[2 * BF_CLASS_COUNT + 3] += 0.01;   /* row 2 sums to 1.01 */
    CU_ASSERT_FALSE(bf_class_confusion_valid(m, &r, &c));
    CU_ASSERT_EQUAL(r, 2);
    CU_ASSERT_EQUAL(c, -1);
    m[2 * BF_CLASS_COUNT + 3] -= 0.01;
    m[4 * BF_CLASS_COUNT + 1] = -0.1;
    CU_ASSERT_FALSE(bf_class_confusion_valid(m, &r, &c));
    CU_ASSERT_EQUAL(r, 4);
    CU_ASSERT_EQUAL(c, 1);
    CU_ASSERT_FALSE(bf_class_confusion_valid(NULL, &r, &c));

    struct bf_tracker_params p;
    bf_tracker_params_default(&p);
    struct bf_tracker_sensor sen = {.range_m = 0, .class_confusion = m};
    struct bf_tracker *t = NULL;
    CU_ASSERT_EQUAL(bf_tracker_create(&p, &sen, 1, &t), BF_EINVAL);
    CU_ASSERT_PTR_NULL(t);

    /* an identity matrix: a hard hint rules the other classes out (to e^-50, the span) */
    for (int i = 0; i < BF_CLASS_COUNT * BF_CLASS_COUNT; i++)
        m[i] = i % (BF_CLASS_COUNT + 1) == 0 ? 1.0 : 0.0;
    t = make(&p, &sen, 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    m[0] = 0.5;   /* copied at create: later edits do not matter */
    struct bf_detection d = pos_det(0, S_US(1), 0, 0, 5);
    d.flags = BF_DET_F_CLASS;
    d.class_lik[BF_CLASS_VESSEL] = 1.0f;
    CU_ASSERT_EQUAL(bf_tracker_scan(t, 0, S_US(1), &d, 1), 0);
    CU_ASSERT(bf_tracker_check(t));
    const struct bf_track *tr;
    CU_ASSERT_EQUAL_FATAL(bf_tracker_tracks(t, &tr, 1), 1);
    CU_ASSERT(tr->class_p[BF_CLASS_VESSEL] > 0.999999f);
    CU_ASSERT(tr->class_p[BF_CLASS_PERSON] < 2e-9f);   /* the likelihood floor, 1e-9 */
    bf_tracker_destroy(t);
}

static CU_TestInfo tracker_tests[] = {
    {"confirm after M of N, coast, delete", test_confirm_and_delete},
    {"M-of-N hit patterns", test_m_of_n_patterns},
    {"two crossing targets keep their ids", test_crossing},
    {"clutter never confirms", test_clutter_never_confirms},
    {"changes list order and flags", test_changes_list},
    {"exact assignment beats greedy", test_assignment_beats_greedy},
    {"class, flags and sensors", test_class_flags_sensors},
    {"determinism", test_determinism},
    {"pool full sheds and counts", test_pool_full},
    {"implied speed gate", test_speed_gate},
    {"coverage and position sigma", test_coverage_and_sigma},
    {"bad input", test_bad_input},
    {"IMM holds a turning target", test_turn_held_by_imm},
    {"bearing-only and presence update, never start tracks", test_unlocated_update},
    {"JPDA holds crossing targets in clutter at least as well as GNN", test_jpda_crossing},
    {"track score confirms faster, deletes on a score drop", test_score_confirms_faster},
    {"track score never confirms clutter at the default density", test_score_clutter},
    {"JPDA with the score rule confirms on a soft hit", test_jpda_score_confirms_on_soft_hit},
    {"a pathological dense cluster is bounded and counted", test_dense_cluster_bounded},
    {"kinematic classification", test_kinematic_class},
    {"Pd(x) 0.3: one track where Pd 0.9 misses break it", test_pd_low_holds_track},
    {"a sensor blind at the target takes no miss", test_pd_blind_sensor},
    {"clutter never confirms at any Pd(x)", test_pd_clutter_never_confirms},
    {"max coast by class; an idle track never takes a far plot", test_max_coast},
    {"a tentative track where the sensor has no view never confirms", test_no_view_never_confirms},
    {"track continuation after a gap", test_continuation},
    {"classification remembers, and still switches", test_class_remembers},
    {"class confusion matrices", test_class_confusion},
    CU_TEST_INFO_NULL,
};

static CU_TestInfo grid_tests[] = {
    {"random operations against a model", test_grid_random},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"tracker", NULL, NULL, NULL, NULL, tracker_tests},
    {"grid", NULL, NULL, NULL, NULL, grid_tests},
    CU_SUITE_INFO_NULL,
};

int main(void)
{
    return bf_test_main(suites);
}
