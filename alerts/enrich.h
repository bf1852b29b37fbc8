/*
 * enrich.h - enrichment (docs/dispatch.md, docs/cueing.md): the step between
 * the rules and delivery that adds to an alert the response units to send
 * (nearest ETA first), the interception point and the camera that looks at
 * it.  A pure step: it reads a snapshot (struct bf_enrich_view, a plain
 * struct its owner refreshes) and the alert, and writes the alert only; it
 * never calls back into the alerter, the cuer or anything that publishes.
 *
 * The snapshot holds what the step needs of the world: the units' last
 * positions, which units are assigned to which live alert (the alerter's
 * public view, followed change by change by the delivered alerts), and the
 * cameras' poses and assignments (the cuer, read only).
 */
#ifndef BF_ENRICH_H
#define BF_ENRICH_H

#include <stddef.h>

#include "alerts/alerts.h"
#include "alerts/cue.h"
#include "alerts/dispatch.h"
#include "geo/geo.h"

/* A unit an operator assigned to a live alert (ACKNOWLEDGED or LOST). */
struct bf_enrich_assignment {
    char alert_id[BF_ALERT_ID_LEN];
    char unit_id[BF_UNIT_ID_MAX];
};

struct bf_enrich_view {
    /* dispatch; params NULL: no units proposed */
    const struct bf_dispatch_params *params;
    struct bf_geo_frame *frame;                   /* borrowed */
    const struct bf_dispatch_unit *units;         /* the units' last fixes */
    size_t n_units;
    const struct bf_enrich_assignment *assigned;  /* units busy with a live alert */
    size_t n_assigned;
    struct bf_dispatch_cand *cands;               /* scratch for n_units (the step's own) */
    /* cueing; NULL: no camera */
    const struct bf_cuer *cuer;
};

/*
 * The enrichment step (a bf_alert_enrich_fn; view is a struct bf_enrich_view):
 * a's units, n_units and interception from the snapshot's units that are
 * fresh and not busy - assigned to another live alert in the snapshot, or to
 * a itself by its own current fields - and a's camera (bf_cuer_pick).
 */
void bf_enrich_alert(const void *view, struct bf_alert *a);

/*
 * Follow a delivered alert in an assignment table (assigned[0..*n), *cap
 * allocated, *v may move): its entry holds its assigned unit while it is
 * live (ACKNOWLEDGED or LOST with a unit), and goes when it is not.
 * Returns 0 or BF_ENOMEM (the table unchanged).
 */
int bf_enrich_follow(struct bf_enrich_assignment **v, size_t *n, size_t *cap,
                     const struct bf_alert *a);

#endif
