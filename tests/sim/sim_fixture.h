/*
 * sim_fixture.h - helpers shared by the simulator's test suites: scenario
 * text on the straight test border (zones_straight.geojson: a line along
 * n = 0 of the local frame from 5 km west to 5 km east of the origin
 * 46.80 N 8.20 E (vertices at e = -5000, 0, 5000 m),
 * our side north), positions from local metres, and a diagnostics collector.
 */
#ifndef SIM_FIXTURE_H
#define SIM_FIXTURE_H

#include <stddef.h>

#include "core/bf_diag.h"
#include "sim/sim.h"

#define FX_LAT0 46.80
#define FX_LON0 8.20

struct fx_diag_entry {
    int line, col;
    char path[128];
    char msg[512];
};

struct fx_diags {
    struct bf_diag diag;      /* pass &d->diag to loaders */
    size_t n;
    struct fx_diag_entry e[32];
};

void fx_diags_init(struct fx_diags *d);
/* Print the collected diagnostics (for failing tests). */
void fx_diags_dump(const struct fx_diags *d);

/* WGS84 of local (e, n) metres about the fixture origin. */
void fx_ll(double e_m, double n_m, double *lat, double *lon);
/* "[lat, lon]" of local metres, in a static rotating buffer (8 slots). */
const char *fx_pt(double e_m, double n_m);

/*
 * A scenario on the straight border with one radar at the origin (range
 * 20 km, pd 1, no noise, no clutter) unless radars is given, the targets
 * array text, and duration_s.  Returns malloc'd text.
 */
char *fx_scenario_text(const char *radars, const char *targets, double duration_s);

/* Parse text (base dir tests/sim) with diagnostics into d (may be NULL). */
int fx_parse(const char *text, struct bf_sim_scenario **out, struct fx_diags *d);

#endif
