/*
 * radar.c - a ground-surveillance radar, emulated well enough to exercise
 * the tracker: what the engine would receive from one radar scan.
 *
 * The problem: the tracker must be tested against the faults of a real radar,
 * not against the truth.  Each scan therefore (1) sees only targets within
 * range; (2) cannot separate targets closer to each other than its
 * resolution: they merge (single linkage) into one plot at their centroid,
 * which is why a group walking together gives one plot; (3) detects each
 * plot with probability pd (by class and range, times the weather's
 * factor: bf_sim_radar_pd, bf_sim_radar_emu_set_pd_factors); (4) measures range and bearing with Gaussian
 * noise, the bearing clockwise from TRUE north (the local frame's grid
 * bearing minus the grid convergence at the radar, the exact inverse of what
 * the engine's decoder does); (5) adds a Poisson number of false plots
 * uniform over the coverage disc.  The plots are sorted by bearing, as a
 * rotating antenna reports them, and written as one batch message in the
 * "json" sensor format (one "t" for the whole scan).
 *
 * Every draw comes from the emulator's own random stream, so a scan is a pure
 * function of (seed, stream, scan history, truth): same inputs, same bytes.
 * All memory is taken at creation; a scan allocates nothing.
 */
#include "sim/sim.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "core/bf_detection.h"
#include "core/bf_error.h"

/* Bytes of one detection in the message, with room to spare. */
#define DET_TEXT_MAX 256   /* one plot with its class hint */

struct bf_sim_radar_emu {
    const struct bf_sim_radar *r;
    struct bf_sim_rng rng;
    size_t max_targets;
    size_t max_clutter;
    size_t *in_range;          /* target indexes in range this scan */
    size_t *parent;            /* union-find over in_range positions */
    double *sum_e, *sum_n;     /* per cluster root */
    unsigned *count;
    double *pd_max, *f_sum;    /* per cluster root: best member Pd, sum of weather factors */
    const double *pd_factor;   /* per target, borrowed; NULL: 1 */
    struct bf_sim_plot *plots; /* max_targets + max_clutter */
    size_t n_plots;
    struct bf_sim_radar_stats st;
};

int bf_sim_radar_emu_create(const struct bf_sim_radar *r, uint64_t seed, uint64_t stream,
                            size_t max_targets, struct bf_sim_radar_emu **out)
{
    *out = NULL;
    if (!r)
        return BF_EINVAL;
    struct bf_sim_radar_emu *e = calloc(1, sizeof *e);
    if (!e)
        return BF_ENOMEM;
    e->r = r;
    bf_sim_rng_seed(&e->rng, seed, stream);
    e->max_targets = max_targets;
    double lam = r->clutter_per_scan;
    e->max_clutter = (size_t)ceil(lam + 6.0 * sqrt(lam) + 10.0);
    size_t nt = max_targets ? max_targets : 1;
    e->in_range = calloc(nt, sizeof *e->in_range);
    e->parent = calloc(nt, sizeof *e->parent);
    e->sum_e = calloc(nt, sizeof *e->sum_e);
    e->sum_n = calloc(nt, sizeof *e->sum_n);
    e->count = calloc(nt, sizeof *e->count);
    e->pd_max = calloc(nt, sizeof *e->pd_max);
    e->f_sum = calloc(nt, sizeof *e->f_sum);
    e->plots = calloc(max_targets + e->max_clutter, sizeof *e->plots);
    if (!e->in_range || !e->parent || !e->sum_e || !e->sum_n || !e->count || !e->plots || !e->pd_max ||
        !e->f_sum) {
        bf_sim_radar_emu_destroy(e);
        return BF_ENOMEM;
    }
    *out = e;
    return 0;
}

void bf_sim_radar_emu_destroy(struct bf_sim_radar_emu *e)
{
    if (!e)
        return;
    free(e->in_range);
    free(e->parent);
    free(e->sum_e);
    free(e->sum_n);
    free(e->count);
    free(e->pd_max);
    free(e->f_sum);
    free(e->plots);
    free(e);
}

size_t bf_sim_radar_emu_msg_max(const struct bf_sim_radar_emu *e)
{
    return 256 + strlen(e->r->id) + DET_TEXT_MAX * (e->max_targets + e->max_clutter);
}

static size_t uf_find(size_t *parent, size_t i)
{
    while (parent[i] != i) {
        parent[i] = parent[parent[i]];
        i = parent[i];
    }
    return i;
}

static double wrap360(double deg)
{
    deg = fmod(deg, 360.0);
    if (deg < 0)
        deg += 360.0;
    if (deg >= 360.0)
        deg = 0.0;
    return deg;
}

static int cmp_plot(const void *a, const void *b)
{
    const struct bf_sim_plot *x = a, *y = b;
    if (x->bearing_deg != y->bearing_deg)
        return x->bearing_deg < y->bearing_deg ? -1 : 1;
    if (x->range_m != y->range_m)
        return x->range_m < y->range_m ? -1 : 1;
    return 0;
}

/* Append formatted text at *pos; false once it no longer fits. */
static bool put(char *buf, size_t len, size_t *pos, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static bool put(char *buf, size_t len, size_t *pos, const char *fmt, ...)
{
    if (*pos >= len)
        return false;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf + *pos, len - *pos, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= len - *pos) {
        *pos = len;
        return false;
    }
    *pos += (size_t)n;
    return true;
}

static int class_index(const char *name)
{
    for (int k = 0; name && k < BF_CLASS_COUNT; k++)
        if (strcmp(name, bf_class_names[k]) == 0)
            return k;
    return BF_CLASS_UNKNOWN;
}

/*
 * The class the radar's classifier names for a plot of true class truth (-1
 * for clutter): the truth with probability classify_p, else one of person /
 * vehicle / animal other than the truth; clutter names one of the three.  -1
 * when the radar does not classify.  Draws only when it classifies, so a
 * radar without classify_p sees the same random stream as before.
 */
static int classify(struct bf_sim_radar_emu *e, int truth)
{
    static const int guess[] = {BF_CLASS_PERSON, BF_CLASS_VEHICLE, BF_CLASS_ANIMAL};
    if (!(e->r->classify_p > 0))
        return -1;
    double u = bf_sim_rng_uniform(&e->rng), v = bf_sim_rng_uniform(&e->rng);
    if (truth >= 0 && u < e->r->classify_p)
        return truth;
    int others[3], n = 0;
    for (int k = 0; k < 3; k++)
        if (guess[k] != truth)
            others[n++] = guess[k];
    int pick = (int)(v * n);
    return others[pick < n ? pick : n - 1];
}

/* The truth part of a scan: merge, detect, measure. */
static void scan_targets(struct bf_sim_radar_emu *e, const struct bf_sim_target_pos *tp, size_t n)
{
    const struct bf_sim_radar *r = e->r;
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (!tp[i].active)
            continue;
        if (hypot(tp[i].e_m - r->e_m, tp[i].n_m - r->n_m) <= r->range_m)
            e->in_range[m++] = i;
    }
    for (size_t a = 0; a < m; a++) {
        e->parent[a] = a;
        e->sum_e[a] = e->sum_n[a] = 0;
        e->count[a] = 0;
        e->pd_max[a] = e->f_sum[a] = 0;
    }
    for (size_t a = 0; a < m; a++) {
        const struct bf_sim_target_pos *pa = &tp[e->in_range[a]];
        for (size_t b = a + 1; b < m; b++) {
            const struct bf_sim_target_pos *pb = &tp[e->in_range[b]];
            if (hypot(pa->e_m - pb->e_m, pa->n_m - pb->n_m) < r->resolution_m) {
                size_t ra = uf_find(e->parent, a), rb = uf_find(e->parent, b);
                if (ra != rb)   /* the smaller index stays the root: deterministic order */
                    e->parent[ra > rb ? ra : rb] = ra < rb ? ra : rb;
            }
        }
    }
    for (size_t a = 0; a < m; a++) {
        size_t root = uf_find(e->parent, a);
        e->sum_e[root] += tp[e->in_range[a]].e_m;
        e->sum_n[root] += tp[e->in_range[a]].n_m;
        e->count[root]++;
        e->f_sum[root] += e->pd_factor ? e->pd_factor[e->in_range[a]] : 1.0;
    }
    /* a merged plot is as visible as its most visible member, at the centroid's range */
    for (size_t a = 0; a < m; a++) {
        size_t root = uf_find(e->parent, a);
        double rng = hypot(e->sum_e[root] / e->count[root] - r->e_m,
                           e->sum_n[root] / e->count[root] - r->n_m);
        double p = bf_sim_radar_pd(r, class_index(tp[e->in_range[a]].cls), rng);
        if (p > e->pd_max[root])
            e->pd_max[root] = p;
    }
    for (size_t a = 0; a < m; a++) {
        if (e->count[a] == 0)
            continue;   /* not a root */
        e->st.looks++;
        double ce = e->sum_e[a] / e->count[a], cn = e->sum_n[a] / e->count[a];
        double u = bf_sim_rng_uniform(&e->rng);
        double g_r = bf_sim_rng_gauss(&e->rng), g_b = bf_sim_rng_gauss(&e->rng);
        if (u >= e->pd_max[a] * (e->f_sum[a] / e->count[a]))
            continue;
        e->st.detected++;
        double de = ce - r->e_m, dn = cn - r->n_m;
        double range = hypot(de, dn) + r->sigma_range_m * g_r;
        double grid_deg = atan2(de, dn) * 180.0 / M_PI;
        double true_deg = grid_deg - r->gamma_rad * 180.0 / M_PI;
        e->plots[e->n_plots++] = (struct bf_sim_plot){
            .range_m = range < 0 ? 0 : range,
            .bearing_deg = wrap360(true_deg + r->sigma_bearing_deg * g_b),
            .merged = e->count[a],
            .cls = classify(e, class_index(tp[e->in_range[a]].cls)),
        };
    }
}

static void scan_clutter(struct bf_sim_radar_emu *e)
{
    const struct bf_sim_radar *r = e->r;
    unsigned k = bf_sim_rng_poisson(&e->rng, r->clutter_per_scan);
    for (unsigned i = 0; i < k; i++) {
        double rr = r->range_m * sqrt(bf_sim_rng_uniform(&e->rng));
        double b = 360.0 * bf_sim_rng_uniform(&e->rng);
        if (i >= e->max_clutter) {
            e->st.clutter_shed++;
            continue;
        }
        e->plots[e->n_plots++] =
            (struct bf_sim_plot){.range_m = rr, .bearing_deg = wrap360(b), .cls = classify(e, -1)};
        e->st.clutter++;
    }
}

int bf_sim_radar_emu_scan(struct bf_sim_radar_emu *e, const struct bf_sim_target_pos *tp, size_t n,
                          bf_time_us t_us, bool exercise, char *buf, size_t len, size_t *out_len)
{
    if (!e || n > e->max_targets || (n > 0 && !tp) || !buf || len == 0)
        return BF_EINVAL;
    e->n_plots = 0;
    e->st.scans++;
    scan_targets(e, tp, n);
    scan_clutter(e);
    qsort(e->plots, e->n_plots, sizeof *e->plots, cmp_plot);

    char iso[BF_TIME_ISO_LEN];
    int rc = bf_time_format_iso(t_us, iso, sizeof iso);
    if (rc < 0)
        return rc;
    size_t pos = 0;
    bool ok = put(buf, len, &pos, "{\"sensor\":\"%s\",\"t\":\"%s\",%s\"detections\":[", e->r->id,
                  iso, exercise ? "\"exercise\":true," : "");
    for (size_t i = 0; ok && i < e->n_plots; i++) {
        const struct bf_sim_plot *pl = &e->plots[i];
        ok = put(buf, len, &pos,
                 "%s{\"range_m\":%.1f,\"bearing_deg\":%.3f,\"sigma_range_m\":%g,"
                 "\"sigma_bearing_deg\":%g",
                 i ? "," : "", pl->range_m, pl->bearing_deg, e->r->sigma_range_m,
                 e->r->sigma_bearing_deg);
        /* the hint: the named class 0.6, the other five share 0.4 */
        if (ok && pl->cls >= 0) {
            ok = put(buf, len, &pos, ",\"class\":{");
            for (int k = 0; ok && k < BF_CLASS_COUNT; k++)
                ok = put(buf, len, &pos, "%s\"%s\":%.2f", k ? "," : "", bf_class_names[k],
                         k == pl->cls ? 0.6 : 0.08);
            ok = ok && put(buf, len, &pos, "}");
        }
        ok = ok && put(buf, len, &pos, "}");
    }
    ok = ok && put(buf, len, &pos, "]}");
    if (!ok) {
        buf[0] = '\0';
        return BF_ERANGE;
    }
    if (out_len)
        *out_len = pos;
    return 0;
}

const struct bf_sim_plot *bf_sim_radar_emu_plots(const struct bf_sim_radar_emu *e, size_t *n)
{
    *n = e->n_plots;
    return e->plots;
}

void bf_sim_radar_emu_stats(const struct bf_sim_radar_emu *e, struct bf_sim_radar_stats *out)
{
    *out = e->st;
}

void bf_sim_radar_emu_set_pd_factors(struct bf_sim_radar_emu *e, const double *factor)
{
    e->pd_factor = factor;
}
