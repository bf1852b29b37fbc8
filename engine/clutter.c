/*
 * clutter.c - the clutter map: where each sensor keeps seeing things that
 * are not targets.
 *
 * Problem: a radar over a wind-blown wood, a wave field or a jammed sector
 * reports hundreds of false plots per scan in the same place, scan after
 * scan.  Each one that no track takes would start a tentative track, so a
 * dense patch of clutter fills the track pool and a real walker elsewhere
 * cannot start one (docs/engine.md, "Fairness under flood").  The configured
 * tracker.clutter_density is one number for the whole site; clutter is not
 * uniform.
 *
 * The map is a coarse grid per sensor, centred on the sensor and covering
 * its range, learnt from the detections no track took (the tracker's
 * initiation candidates): each cell holds an exponentially forgotten count
 * of them, the sensor an exponentially forgotten count of its scans, both
 * in event time with the same time constant memory_s.  Their ratio is the
 * mean number of unassociated detections per scan in that cell over the
 * last memory_s or so; divided by the cell's area it is a clutter density
 * (false detections per m^2 per scan), the unit of tracker.clutter_density.
 * A walker leaves one or two unassociated detections in a cell before his
 * track takes the rest, so he never makes it dense; a persistent patch of
 * clutter does within a few scans, and is forgotten memory_s after it
 * stops.  Decay is lazy (each cell remembers when it was last brought up to
 * date), so a scan costs one update, a detection one cell.  Pure: event time
 * only, no clock, no allocation but at create and when a sensor is set (a
 * reload: a changed or added sensor starts with an empty grid).
 */
#include <math.h>
#include <stdlib.h>

#include "core/bf_error.h"
#include "engine/ingest.h"

#define MAX_SIDE 256                 /* cells per side at most: the cell grows to fit */
#define UNLIMITED_HALF_M 20000.0     /* half-size of the grid of a sensor without a range */

struct cell {
    float v;             /* forgotten count of unassociated detections */
    bf_time_us t;        /* when v was last decayed to */
};

struct grid {
    double e0_m, n0_m;   /* south-west corner */
    double cell_m;
    uint32_t side;
    struct cell *cells;  /* side * side, row-major from the south */
    double scans;        /* forgotten count of scans */
    bf_time_us scans_t;
};

struct bf_clutter_map {
    struct grid *g;
    size_t n;
    double tau_s;
    double cell_m;
};

/* Sensor's grid: centred on it, over its range (cells grown to fit MAX_SIDE), all empty. */
static int make_grid(struct grid *g, const struct bf_clutter_sensor *sensor, double cell_m)
{
    double half = sensor->range_m > 0 && isfinite(sensor->range_m) ? sensor->range_m
                                                                    : UNLIMITED_HALF_M;
    double c = cell_m;
    if (2 * half / c > MAX_SIDE)
        c = 2 * half / MAX_SIDE;
    *g = (struct grid){.cell_m = c, .e0_m = sensor->e_m - half, .n0_m = sensor->n_m - half,
                       .scans_t = BF_TIME_NONE};
    g->side = (uint32_t)ceil(2 * half / c);
    if (g->side == 0)
        g->side = 1;
    g->cells = calloc((size_t)g->side * g->side, sizeof *g->cells);
    return g->cells ? 0 : BF_ENOMEM;
}

int bf_clutter_create(const struct bf_clutter_sensor *sensors, size_t n, double cell_m,
                      double memory_s, struct bf_clutter_map **out)
{
    *out = NULL;
    if ((n > 0 && !sensors) || !(cell_m > 0) || !(memory_s > 0))
        return BF_EINVAL;
    struct bf_clutter_map *m = calloc(1, sizeof *m);
    if (!m)
        return BF_ENOMEM;
    m->g = calloc(n ? n : 1, sizeof *m->g);
    if (!m->g) {
        free(m);
        return BF_ENOMEM;
    }
    m->n = n;
    m->tau_s = memory_s;
    m->cell_m = cell_m;
    for (size_t i = 0; i < n; i++) {
        if (make_grid(&m->g[i], &sensors[i], cell_m) < 0) {
            bf_clutter_destroy(m);
            return BF_ENOMEM;
        }
    }
    *out = m;
    return 0;
}

int bf_clutter_set_sensor(struct bf_clutter_map *m, uint32_t sensor,
                          const struct bf_clutter_sensor *s)
{
    if (!m || !s || sensor >= BF_REORDER_MAX_SENSORS)
        return BF_EINVAL;
    if (sensor >= m->n) {
        struct grid *ng = realloc(m->g, ((size_t)sensor + 1) * sizeof *ng);
        if (!ng)
            return BF_ENOMEM;
        m->g = ng;
        for (size_t i = m->n; i <= sensor; i++)   /* indices skipped over: no grid */
            m->g[i] = (struct grid){.scans_t = BF_TIME_NONE};
        m->n = (size_t)sensor + 1;
    }
    struct grid g;
    if (make_grid(&g, s, m->cell_m) < 0)
        return BF_ENOMEM;
    free(m->g[sensor].cells);
    m->g[sensor] = g;
    return 0;
}

void bf_clutter_remove_sensor(struct bf_clutter_map *m, uint32_t sensor)
{
    if (!m || sensor >= m->n)
        return;
    free(m->g[sensor].cells);
    m->g[sensor] = (struct grid){.scans_t = BF_TIME_NONE};
}

void bf_clutter_destroy(struct bf_clutter_map *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n; i++)
        free(m->g[i].cells);
    free(m->g);
    free(m);
}

/* exp(-(t - since) / tau): how much of a count made at since is left at t. */
static double keep(const struct bf_clutter_map *m, bf_time_us since, bf_time_us t)
{
    if (since == BF_TIME_NONE || t <= since)
        return 1.0;
    return exp(-bf_time_to_s(t - since) / m->tau_s);
}

static struct cell *cell_at(const struct bf_clutter_map *m, uint32_t sensor, double e_m,
                            double n_m, const struct grid **gp)
{
    if (sensor >= m->n || !isfinite(e_m) || !isfinite(n_m))
        return NULL;
    const struct grid *g = &m->g[sensor];
    if (!g->cells)
        return NULL;   /* a removed sensor */
    double x = (e_m - g->e0_m) / g->cell_m, y = (n_m - g->n0_m) / g->cell_m;
    if (!(x >= 0 && y >= 0 && x < g->side && y < g->side))
        return NULL;
    *gp = g;
    return &g->cells[(size_t)y * g->side + (size_t)x];
}

void bf_clutter_scan(struct bf_clutter_map *m, uint32_t sensor, bf_time_us t_us)
{
    if (sensor >= m->n)
        return;
    struct grid *g = &m->g[sensor];
    g->scans = g->scans * keep(m, g->scans_t, t_us) + 1.0;
    if (g->scans_t == BF_TIME_NONE || t_us > g->scans_t)
        g->scans_t = t_us;
}

void bf_clutter_add(struct bf_clutter_map *m, uint32_t sensor, bf_time_us t_us, double e_m,
                    double n_m)
{
    const struct grid *g;
    struct cell *c = cell_at(m, sensor, e_m, n_m, &g);
    if (!c)
        return;
    bf_time_us since = c->v > 0 ? c->t : BF_TIME_NONE;
    c->v = (float)(c->v * keep(m, since, t_us) + 1.0);
    if (since == BF_TIME_NONE || t_us > c->t)
        c->t = t_us;
}

double bf_clutter_density(const struct bf_clutter_map *m, uint32_t sensor, bf_time_us t_us,
                          double e_m, double n_m)
{
    const struct grid *g;
    const struct cell *c = cell_at(m, sensor, e_m, n_m, &g);
    if (!c || c->v <= 0 || g->scans <= 0)
        return 0.0;
    double v = c->v * keep(m, c->t, t_us);
    if (v < BF_CLUTTER_MIN_EVIDENCE)
        return 0.0;
    double scans = g->scans * keep(m, g->scans_t, t_us);
    if (scans < 1.0)
        scans = 1.0;   /* a sensor that stopped scanning: counts per scan, not per nothing */
    return v / scans / (g->cell_m * g->cell_m);
}
