/*
 * truth.c - where every simulated target really is, and when it really
 * crossed the border.
 *
 * The scorecard is only as good as the truth it is measured against, and two
 * runs of one scenario must be comparable, so the truth is deterministic:
 * every target follows an exact piecewise-linear trajectory in the local
 * frame, made of segments (a leg at constant speed, or a pause).  A route's
 * segments come from its waypoints; a random walk draws its next point,
 * uniformly in the disc about its home, from its own random stream (seed,
 * target index), so the walk can never leave the disc and does not depend on
 * how often anyone asks where the animal is.
 *
 * Time advances in fixed steps (0.5 s by default).  At each step every
 * target's side of every border line is taken (bf_geo_line_side); when it
 * changes from their side to ours and the path between the two samples really
 * meets the line (our own segment test against the line's vertices, so
 * walking round the end of a line is not a crossing), a crossing is recorded
 * with the time and place where the path meets the line.  Crossings of one
 * group (or repeated crossings of one target) within a minute of each other
 * count as one.
 *
 * The random number generator also lives here: xoshiro256** seeded through
 * splitmix64, Gaussian by Box-Muller, Poisson by Knuth's product method.
 */
#include "sim/sim.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/bf_error.h"
#include "geo/geo.h"

/* ---- random numbers --------------------------------------------------- */

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

static inline uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

void bf_sim_rng_seed(struct bf_sim_rng *r, uint64_t seed, uint64_t stream)
{
    uint64_t x = seed;
    uint64_t a = splitmix64(&x);
    x = a ^ (stream * UINT64_C(0xD1B54A32D192ED03));
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&x);
    r->have_spare = false;
    r->spare = 0.0;
}

uint64_t bf_sim_rng_next(struct bf_sim_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double bf_sim_rng_uniform(struct bf_sim_rng *r)
{
    return (double)(bf_sim_rng_next(r) >> 11) * 0x1.0p-53;
}

double bf_sim_rng_gauss(struct bf_sim_rng *r)
{
    if (r->have_spare) {
        r->have_spare = false;
        return r->spare;
    }
    double u1 = 1.0 - bf_sim_rng_uniform(r);   /* (0, 1]: log is finite */
    double u2 = bf_sim_rng_uniform(r);
    double rad = sqrt(-2.0 * log(u1));
    r->spare = rad * sin(2.0 * M_PI * u2);
    r->have_spare = true;
    return rad * cos(2.0 * M_PI * u2);
}

unsigned bf_sim_rng_poisson(struct bf_sim_rng *r, double mean)
{
    unsigned total = 0;
    /* A sum of Poisson variables is Poisson: keep each part small enough for Knuth. */
    while (mean > 0) {
        double m = mean > 30.0 ? 30.0 : mean;
        mean -= m;
        double limit = exp(-m), p = 1.0;
        unsigned k = 0;
        for (;;) {
            p *= bf_sim_rng_uniform(r);
            if (p <= limit)
                break;
            k++;
        }
        total += k;
    }
    return total;
}

/* ---- trajectories ------------------------------------------------------- */

/* A piece of trajectory: from (e0,n0) at t0 to (e1,n1) at t1, straight, constant speed. */
struct seg {
    double t0, t1;
    double e0, n0, e1, n1;
};

/* Per-line crossing memory of one target. */
struct side_mem {
    int side;        /* last definite side: +1 ours, -1 theirs, 0 not yet known */
    double e_m, n_m; /* where it was seen */
    double t_s;
};

struct tgt {
    struct seg seg;
    size_t seg_idx;        /* route: even 2k = pause at waypoint k, odd 2k+1 = leg k -> k+1 */
    bool ended;
    struct bf_sim_rng rng; /* random walk */
};

struct bf_sim_truth {
    const struct bf_sim_scenario *s;
    double step_s;
    uint64_t step_k;               /* next step to run is step_k * step_s */
    double now_s;
    struct tgt *tg;
    struct bf_sim_target_pos *pos;
    size_t *lines;                 /* border_line zone indexes */
    size_t n_lines;
    struct side_mem *mem;          /* [target * n_lines + line] */
    struct bf_sim_crossing *raw;   /* per-target crossings */
    size_t n_raw, cap_raw;
    struct bf_sim_crossing *merged;
    size_t n_merged;
    bool merged_dirty;
    FILE *rec;
    uint64_t rec_every;            /* record every this many steps */
};

/* Random-walk stream numbers start here, radars use small numbers. */
#define WALK_STREAM_BASE UINT64_C(0x1000)

static void route_first(const struct bf_sim_target *t, struct tgt *g)
{
    g->seg_idx = 0;
    g->seg = (struct seg){.t0 = t->start_s, .t1 = t->start_s + t->wp[0].pause_s,
                          .e0 = t->wp[0].e_m, .n0 = t->wp[0].n_m,
                          .e1 = t->wp[0].e_m, .n1 = t->wp[0].n_m};
}

/* Next route segment after g->seg; false when the route is over. */
static bool route_next(const struct bf_sim_target *t, struct tgt *g)
{
    size_t k = g->seg_idx + 1;
    if (k > 2 * (t->n_wp - 1))
        return false;
    double t0 = g->seg.t1;
    if (k % 2 == 1) {
        size_t leg = k / 2;
        const struct bf_sim_waypoint *a = &t->wp[leg], *b = &t->wp[leg + 1];
        double d = hypot(b->e_m - a->e_m, b->n_m - a->n_m);
        g->seg = (struct seg){.t0 = t0, .t1 = t0 + d / t->leg_speed_mps[leg],
                              .e0 = a->e_m, .n0 = a->n_m, .e1 = b->e_m, .n1 = b->n_m};
    } else {
        const struct bf_sim_waypoint *w = &t->wp[k / 2];
        g->seg = (struct seg){.t0 = t0, .t1 = t0 + w->pause_s,
                              .e0 = w->e_m, .n0 = w->n_m, .e1 = w->e_m, .n1 = w->n_m};
    }
    g->seg_idx = k;
    return true;
}

static void walk_first(const struct bf_sim_target *t, struct tgt *g)
{
    g->seg_idx = 0;
    g->seg = (struct seg){.t0 = t->start_s, .t1 = t->start_s, .e0 = t->home_e_m,
                          .n0 = t->home_n_m, .e1 = t->home_e_m, .n1 = t->home_n_m};
}

/* Random walk: alternate a leg to a uniform point of the disc and a pause. */
static bool walk_next(const struct bf_sim_target *t, struct tgt *g)
{
    double t0 = g->seg.t1;
    double e = g->seg.e1, n = g->seg.n1;
    g->seg_idx++;
    if (g->seg_idx % 2 == 1) {
        double r = t->radius_m * sqrt(bf_sim_rng_uniform(&g->rng));
        double a = 2.0 * M_PI * bf_sim_rng_uniform(&g->rng);
        double e1 = t->home_e_m + r * sin(a), n1 = t->home_n_m + r * cos(a);
        double d = hypot(e1 - e, n1 - n);
        g->seg = (struct seg){.t0 = t0, .t1 = t0 + d / t->speed_mps, .e0 = e, .n0 = n,
                              .e1 = e1, .n1 = n1};
    } else {
        g->seg = (struct seg){.t0 = t0, .t1 = t0 + t->walk_pause_s, .e0 = e, .n0 = n,
                              .e1 = e, .n1 = n};
    }
    return true;
}

/*
 * Place target i at t_s (t_s never decreases between calls for one target).
 * Returns whether it exists then.
 */
static bool target_at(struct bf_sim_truth *tr, size_t i, double t_s, struct bf_sim_target_pos *p)
{
    const struct bf_sim_target *t = &tr->s->targets[i];
    struct tgt *g = &tr->tg[i];
    *p = (struct bf_sim_target_pos){0};
    if (t_s < t->start_s || g->ended)
        return false;
    unsigned guard = 0;
    while (t_s > g->seg.t1) {
        bool more = t->motion == BF_SIM_MOTION_ROUTE ? route_next(t, g) : walk_next(t, g);
        if (!more) {
            g->ended = true;
            return false;
        }
        /* A random walk whose legs are all tiny could spin: give up after many. */
        if (++guard > 1000000) {
            g->ended = true;
            return false;
        }
    }
    double dt = g->seg.t1 - g->seg.t0;
    double f = dt > 0 ? (t_s - g->seg.t0) / dt : 1.0;
    if (f < 0)
        f = 0;
    p->active = true;
    p->e_m = g->seg.e0 + f * (g->seg.e1 - g->seg.e0);
    p->n_m = g->seg.n0 + f * (g->seg.n1 - g->seg.n0);
    if (dt > 0) {
        p->ve_mps = (g->seg.e1 - g->seg.e0) / dt;
        p->vn_mps = (g->seg.n1 - g->seg.n0) / dt;
    }
    return true;
}

/* ---- crossings ------------------------------------------------------------ */

/*
 * Smallest fraction s in [0,1] along p0->p1 where it meets the polyline xy
 * (nv vertices); false when it does not meet it.
 */
static bool first_hit(double e0, double n0, double e1, double n1, const double *xy, size_t nv,
                      double *s_out)
{
    double best = 2.0;
    double dx = e1 - e0, dy = n1 - n0;
    for (size_t k = 0; k + 1 < nv; k++) {
        double ax = xy[2 * k], ay = xy[2 * k + 1];
        double bx = xy[2 * k + 2], by = xy[2 * k + 3];
        double ux = bx - ax, uy = by - ay;
        double den = dx * uy - dy * ux;
        if (fabs(den) < 1e-12)
            continue;   /* parallel: the neighbouring segments decide */
        double wx = ax - e0, wy = ay - n0;
        double s = (wx * uy - wy * ux) / den;    /* along the path */
        double u = (wx * dy - wy * dx) / den;    /* along the line segment */
        if (s >= -1e-9 && s <= 1 + 1e-9 && u >= -1e-9 && u <= 1 + 1e-9 && s < best)
            best = s;
    }
    if (best > 1.5)
        return false;
    *s_out = best < 0 ? 0 : (best > 1 ? 1 : best);
    return true;
}

static int add_raw(struct bf_sim_truth *tr, const struct bf_sim_crossing *c)
{
    if (tr->n_raw == tr->cap_raw) {
        size_t ncap = tr->cap_raw ? tr->cap_raw * 2 : 16;
        struct bf_sim_crossing *n = realloc(tr->raw, ncap * sizeof *n);
        if (!n)
            return BF_ENOMEM;
        tr->raw = n;
        tr->cap_raw = ncap;
    }
    tr->raw[tr->n_raw++] = *c;
    tr->merged_dirty = true;
    return 0;
}

/*
 * Is (e, n) inside a zone of kind "crossing_point" (an official crossing, where crossing the
 * line is lawful)?  By the kind's name, so that this holds whichever zone kinds geo/ knows.
 */
static bool at_crossing_point(const struct bf_sim_truth *tr, double e_m, double n_m)
{
    struct bf_geo_zones *z = tr->s->zones;
    size_t nz = bf_geo_zones_count(z);
    for (size_t k = 0; k < nz; k++) {
        const struct bf_zone_info *zi = bf_geo_zone_info(z, k);
        const char *kind = zi ? bf_zone_kind_name(zi->kind) : NULL;
        if (kind && strcmp(kind, "crossing_point") == 0 && bf_geo_zone_contains(z, k, e_m, n_m))
            return true;
    }
    return false;
}

static int check_crossings(struct bf_sim_truth *tr, size_t i, double t_s,
                           const struct bf_sim_target_pos *p)
{
    const struct bf_sim_target *t = &tr->s->targets[i];
    for (size_t li = 0; li < tr->n_lines; li++) {
        size_t zi = tr->lines[li];
        int side = bf_geo_line_side(tr->s->zones, zi, p->e_m, p->n_m);
        if (side == 0)
            continue;   /* on the line: the next definite side decides */
        struct side_mem *m = &tr->mem[i * tr->n_lines + li];
        if (m->side == -1 && side == +1) {
            const double *xy;
            size_t nv = bf_geo_line_vertices(tr->s->zones, zi, &xy);
            double s;
            if (first_hit(m->e_m, m->n_m, p->e_m, p->n_m, xy, nv, &s)) {
                struct bf_sim_crossing c = {
                    .target = i, .key = t->group ? t->group : t->id, .is_group = t->group != NULL,
                    .members = 1, .zone = (int)zi, .t_s = m->t_s + s * (t_s - m->t_s),
                    .e_m = m->e_m + s * (p->e_m - m->e_m), .n_m = m->n_m + s * (p->n_m - m->n_m),
                    .speed_mps = hypot(p->ve_mps, p->vn_mps), .cls = t->cls,
                };
                c.at_crossing_point = at_crossing_point(tr, c.e_m, c.n_m);
                if (bf_geo_to_wgs84(tr->s->frame, c.e_m, c.n_m, &c.lat_deg, &c.lon_deg) < 0)
                    return BF_EPROJ;
                int rc = add_raw(tr, &c);
                if (rc < 0)
                    return rc;
            }
        }
        m->side = side;
        m->e_m = p->e_m;
        m->n_m = p->n_m;
        m->t_s = t_s;
    }
    return 0;
}

static int cmp_crossing_time(const void *a, const void *b)
{
    const struct bf_sim_crossing *x = a, *y = b;
    if (x->t_s != y->t_s)
        return x->t_s < y->t_s ? -1 : 1;
    if (x->target != y->target)
        return x->target < y->target ? -1 : 1;
    return 0;
}

size_t bf_sim_crossings_merge(const struct bf_sim_crossing *raw, size_t n, double window_s,
                              struct bf_sim_crossing *out)
{
    if (n == 0)
        return 0;
    /* Sort a copy in out's space from the end: sort in place in out, then compact. */
    memcpy(out, raw, n * sizeof *out);
    qsort(out, n, sizeof *out, cmp_crossing_time);
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        struct bf_sim_crossing c = out[i];
        size_t j;
        for (j = 0; j < m; j++)
            if (strcmp(out[j].key, c.key) == 0 && c.t_s - out[j].t_s <= window_s)
                break;
        if (j < m) {
            /* Running means: out[j] holds the mean of its members so far. */
            double k = (double)out[j].members;
            out[j].e_m = (out[j].e_m * k + c.e_m) / (k + 1);
            out[j].n_m = (out[j].n_m * k + c.n_m) / (k + 1);
            out[j].lat_deg = (out[j].lat_deg * k + c.lat_deg) / (k + 1);
            out[j].lon_deg = (out[j].lon_deg * k + c.lon_deg) / (k + 1);
            out[j].members++;
            if (c.speed_mps > out[j].speed_mps)
                out[j].speed_mps = c.speed_mps;
        } else {
            out[m++] = c;   /* m <= i: never overwrites an unread element */
        }
    }
    return m;
}

/* ---- recording ---------------------------------------------------------- */

/* Write s as a JSON string. */
static void put_json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p < 0x20)
            fprintf(f, "\\u%04x", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

static int record(struct bf_sim_truth *tr, size_t i, double t_s, const struct bf_sim_target_pos *p)
{
    const struct bf_sim_target *t = &tr->s->targets[i];
    double lat, lon;
    if (bf_geo_to_wgs84(tr->s->frame, p->e_m, p->n_m, &lat, &lon) < 0)
        return BF_EPROJ;
    char iso[BF_TIME_ISO_LEN];
    bf_time_format_iso(tr->s->start_us + bf_time_from_s(t_s), iso, sizeof iso);
    FILE *f = tr->rec;
    fprintf(f, "{\"t\": \"%s\", \"t_s\": %.3f, \"id\": ", iso, t_s);
    put_json_string(f, t->id);
    fputs(", \"group\": ", f);
    if (t->group)
        put_json_string(f, t->group);
    else
        fputs("null", f);
    fprintf(f, ", \"class\": \"%s\", \"lat\": %.7f, \"lon\": %.7f, \"e_m\": %.2f, \"n_m\": %.2f, "
            "\"ve_mps\": %.3f, \"vn_mps\": %.3f}\n", t->cls, lat, lon, p->e_m, p->n_m,
            p->ve_mps, p->vn_mps);
    return ferror(f) ? BF_EIO : 0;
}

/* ---- the truth -------------------------------------------------------------- */

int bf_sim_truth_create(const struct bf_sim_scenario *s, double step_s, struct bf_sim_truth **out)
{
    *out = NULL;
    if (!s || step_s < 0)
        return BF_EINVAL;
    struct bf_sim_truth *tr = calloc(1, sizeof *tr);
    if (!tr)
        return BF_ENOMEM;
    tr->s = s;
    tr->step_s = step_s > 0 ? step_s : BF_SIM_TRUTH_STEP_S;
    size_t nt = s->n_targets ? s->n_targets : 1;
    tr->tg = calloc(nt, sizeof *tr->tg);
    tr->pos = calloc(nt, sizeof *tr->pos);
    size_t nz = s->zones ? bf_geo_zones_count(s->zones) : 0;
    tr->lines = calloc(nz ? nz : 1, sizeof *tr->lines);
    if (!tr->tg || !tr->pos || !tr->lines)
        goto out_free;
    for (size_t z = 0; z < nz; z++)
        if (bf_geo_zone_info(s->zones, z)->kind == BF_ZONE_BORDER_LINE)
            tr->lines[tr->n_lines++] = z;
    tr->mem = calloc(nt * (tr->n_lines ? tr->n_lines : 1), sizeof *tr->mem);
    if (!tr->mem)
        goto out_free;
    for (size_t i = 0; i < s->n_targets; i++) {
        const struct bf_sim_target *t = &s->targets[i];
        if (t->motion == BF_SIM_MOTION_ROUTE) {
            route_first(t, &tr->tg[i]);
        } else {
            bf_sim_rng_seed(&tr->tg[i].rng, s->seed, WALK_STREAM_BASE + i);
            walk_first(t, &tr->tg[i]);
        }
    }
    tr->rec_every = 1;
    *out = tr;
    return 0;

out_free:
    bf_sim_truth_destroy(tr);
    return BF_ENOMEM;
}

void bf_sim_truth_destroy(struct bf_sim_truth *tr)
{
    if (!tr)
        return;
    free(tr->tg);
    free(tr->pos);
    free(tr->lines);
    free(tr->mem);
    free(tr->raw);
    free(tr->merged);
    free(tr);
}

void bf_sim_truth_record(struct bf_sim_truth *tr, FILE *f, double period_s)
{
    tr->rec = f;
    double k = period_s > 0 ? floor(period_s / tr->step_s + 0.5) : 1.0;
    tr->rec_every = k >= 1 ? (uint64_t)k : 1;
}

int bf_sim_truth_advance(struct bf_sim_truth *tr, double t_s)
{
    if (t_s < tr->now_s - 1e-9)
        return BF_ESTATE;
    const struct bf_sim_scenario *s = tr->s;
    for (;;) {
        double ts = (double)tr->step_k * tr->step_s;
        if (ts > t_s + 1e-9)
            break;
        bool rec = tr->rec && tr->step_k % tr->rec_every == 0;
        for (size_t i = 0; i < s->n_targets; i++) {
            struct bf_sim_target_pos p;
            if (!target_at(tr, i, ts, &p))
                continue;
            int rc = check_crossings(tr, i, ts, &p);
            if (rc == 0 && rec)
                rc = record(tr, i, ts, &p);
            if (rc < 0)
                return rc;
        }
        tr->step_k++;
    }
    for (size_t i = 0; i < s->n_targets; i++) {
        target_at(tr, i, t_s, &tr->pos[i]);
        tr->pos[i].cls = s->targets[i].cls;
    }
    tr->now_s = t_s;
    return 0;
}

const struct bf_sim_target_pos *bf_sim_truth_positions(const struct bf_sim_truth *tr)
{
    return tr->pos;
}

const struct bf_sim_crossing *bf_sim_truth_crossings(struct bf_sim_truth *tr, size_t *n)
{
    if (tr->merged_dirty) {
        struct bf_sim_crossing *m = realloc(tr->merged, (tr->n_raw ? tr->n_raw : 1) * sizeof *m);
        if (!m) {
            *n = tr->n_merged;   /* the previous view, still valid */
            return tr->merged;
        }
        tr->merged = m;
        tr->n_merged = bf_sim_crossings_merge(tr->raw, tr->n_raw, BF_SIM_GROUP_WINDOW_S, m);
        tr->merged_dirty = false;
    }
    *n = tr->n_merged;
    return tr->merged;
}

int bf_sim_truth_run(const struct bf_sim_scenario *s, struct bf_sim_crossing **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    struct bf_sim_truth *tr;
    int rc = bf_sim_truth_create(s, 0, &tr);
    if (rc < 0)
        return rc;
    rc = bf_sim_truth_advance(tr, s->duration_s);
    if (rc == 0) {
        size_t m;
        const struct bf_sim_crossing *c = bf_sim_truth_crossings(tr, &m);
        if (m > 0) {
            *out = malloc(m * sizeof **out);
            if (!*out) {
                rc = BF_ENOMEM;
            } else {
                memcpy(*out, c, m * sizeof **out);
                *n = m;
            }
        }
    }
    bf_sim_truth_destroy(tr);
    return rc;
}
