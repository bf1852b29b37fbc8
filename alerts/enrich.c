/*
 * enrich.c - the enrichment step (enrich.h): dispatch proposals and the camera
 * for an alert, from a snapshot, before delivery.
 */
#include "alerts/enrich.h"

#include <stdlib.h>
#include <string.h>

#include "core/bf_error.h"

/* What the step's busy test reads: the snapshot and the alert being enriched. */
struct busy_ctx {
    const struct bf_enrich_view *v;
    const struct bf_alert *a;
};

static bool holds_unit(const struct bf_alert *a)
{
    return (a->state == BF_ALERT_ACKNOWLEDGED || a->state == BF_ALERT_LOST) &&
           a->assigned_unit[0] != '\0';
}

/* Busy: assigned to the alert itself now, or to another live alert of the snapshot. */
static bool unit_busy(void *ctx, const char *unit_id)
{
    const struct busy_ctx *b = ctx;
    if (holds_unit(b->a) && strcmp(b->a->assigned_unit, unit_id) == 0)
        return true;
    for (size_t i = 0; i < b->v->n_assigned; i++)
        if (strcmp(b->v->assigned[i].unit_id, unit_id) == 0 &&
            strcmp(b->v->assigned[i].alert_id, b->a->id) != 0)
            return true;
    return false;
}

void bf_enrich_alert(const void *view, struct bf_alert *a)
{
    const struct bf_enrich_view *v = view;
    if (!v || !a)
        return;
    if (v->cuer)
        a->camera_idx = bf_cuer_pick(v->cuer, a);
    if (v->params) {
        struct busy_ctx b = {.v = v, .a = a};
        bf_dispatch_fill(v->params, v->frame, v->units, v->n_units, v->cands, unit_busy, &b, a);
    }
}

int bf_enrich_follow(struct bf_enrich_assignment **v, size_t *n, size_t *cap,
                     const struct bf_alert *a)
{
    size_t i = 0;
    while (i < *n && strcmp((*v)[i].alert_id, a->id) != 0)
        i++;
    if (!holds_unit(a)) {
        if (i < *n)
            (*v)[i] = (*v)[--*n];
        return 0;
    }
    if (i == *n) {
        if (*n == *cap) {
            size_t nc = *cap ? 2 * *cap : 16;
            struct bf_enrich_assignment *nv = realloc(*v, nc * sizeof *nv);
            if (!nv)
                return BF_ENOMEM;
            *v = nv;
            *cap = nc;
        }
        (*n)++;
        memcpy((*v)[i].alert_id, a->id, sizeof (*v)[i].alert_id);
    }
    memcpy((*v)[i].unit_id, a->assigned_unit, sizeof (*v)[i].unit_id);
    return 0;
}
