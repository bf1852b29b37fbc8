/*
 * cause.c - which true target an alert was about.
 *
 * The scorer matches INCURSION alerts to true crossings; an alert that
 * matches none is false, but an operator (and a trainer) wants to know what
 * raised it: the vehicle on the border road, the deer at the fence, clutter.
 * The truth is deterministic, so it is replayed here (without radars) to the
 * first_time of each alert in time order, and the alert is blamed on the
 * nearest target then within the match radius.
 */
#include "sim/sim.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/bf_error.h"
#include "geo/geo.h"

static const struct bf_sim_scored_alert *g_sort_al;   /* qsort has no context argument */

static int cmp_first(const void *a, const void *b)
{
    const struct bf_sim_scored_alert *x = &g_sort_al[*(const size_t *)a];
    const struct bf_sim_scored_alert *y = &g_sort_al[*(const size_t *)b];
    if (x->first_us != y->first_us)
        return x->first_us < y->first_us ? -1 : 1;
    return strcmp(x->id, y->id);
}

static const char *key_of(const struct bf_sim_target *t) { return t->group ? t->group : t->id; }

/* Fill cause[] for every scored INCURSION / APPROACH (others -1). */
static int find_causes(const struct bf_sim_scenario *s, const struct bf_sim_scored_alert *al,
                       size_t n_al, double radius_m, int *cause)
{
    size_t *order = malloc((n_al ? n_al : 1) * sizeof *order);
    if (!order)
        return BF_ENOMEM;
    size_t n = 0;
    for (size_t i = 0; i < n_al; i++) {
        cause[i] = -1;
        if (al[i].reported && al[i].kind != BF_SIM_ALERT_OTHER)
            order[n++] = i;
    }
    g_sort_al = al;
    qsort(order, n, sizeof *order, cmp_first);
    struct bf_sim_truth *tr = NULL;
    int rc = bf_sim_truth_create(s, 0, &tr);
    for (size_t k = 0; rc == 0 && k < n; k++) {
        const struct bf_sim_scored_alert *a = &al[order[k]];
        double t_s = bf_time_to_s(a->first_us - s->start_us);
        if (!(t_s > 0))
            t_s = 0;
        if (t_s > s->duration_s)
            t_s = s->duration_s;   /* clamped times still grow along order[] */
        double e, nn;
        if (bf_geo_to_local(s->frame, a->lat_deg, a->lon_deg, &e, &nn) < 0)
            continue;   /* a position the frame cannot take: no cause */
        rc = bf_sim_truth_advance(tr, t_s);
        if (rc < 0)
            break;
        const struct bf_sim_target_pos *p = bf_sim_truth_positions(tr);
        double best = radius_m;
        for (size_t i = 0; i < s->n_targets; i++) {
            if (!p[i].active)
                continue;
            double d = hypot(p[i].e_m - e, p[i].n_m - nn);
            if (d <= best) {
                best = d;
                cause[order[k]] = (int)i;
            }
        }
    }
    bf_sim_truth_destroy(tr);
    free(order);
    return rc < 0 ? rc : 0;
}

int bf_sim_score_targets(struct bf_sim_score *sc, const struct bf_sim_scenario *s,
                         const struct bf_sim_crossing *cr, size_t n_cr,
                         const struct bf_sim_scored_alert *al, size_t n_al, double radius_m)
{
    free(sc->cause);
    free(sc->targets);
    sc->targets = NULL;
    sc->n_targets = 0;
    sc->quiet_incursions = 0;
    sc->cause = malloc((n_al ? n_al : 1) * sizeof *sc->cause);
    sc->targets = calloc(s->n_targets ? s->n_targets : 1, sizeof *sc->targets);
    /* verdict index of every target */
    size_t *vi = malloc((s->n_targets ? s->n_targets : 1) * sizeof *vi);
    if (!sc->cause || !sc->targets || !vi) {
        free(vi);
        return BF_ENOMEM;
    }
    for (size_t i = 0; i < s->n_targets; i++) {
        const char *key = key_of(&s->targets[i]);
        size_t v = 0;
        while (v < sc->n_targets && strcmp(sc->targets[v].key, key) != 0)
            v++;
        if (v == sc->n_targets) {
            sc->targets[v] = (struct bf_sim_target_verdict){
                .key = key, .cls = s->targets[i].cls, .is_group = s->targets[i].group != NULL};
            for (size_t c = 0; c < n_cr; c++)
                if (strcmp(cr[c].key, key) == 0 && bf_sim_crossing_owes_alert(&cr[c]))
                    sc->targets[v].crossed = true;   /* an animal's crossing owes none */
            sc->n_targets++;
        }
        sc->targets[v].members++;
        vi[i] = v;
    }
    int rc = find_causes(s, al, n_al, radius_m, sc->cause);
    for (size_t i = 0; rc == 0 && i < n_al; i++) {
        if (sc->cause[i] < 0)
            continue;
        sc->cause[i] = (int)vi[sc->cause[i]];   /* target index -> verdict index */
        struct bf_sim_target_verdict *v = &sc->targets[sc->cause[i]];
        if (al[i].kind == BF_SIM_ALERT_INCURSION) {
            v->incursions++;
            if (!v->crossed)
                sc->quiet_incursions++;
        } else if (al[i].kind == BF_SIM_ALERT_APPROACH) {
            v->approaches++;
        }
    }
    free(vi);
    return rc;
}
