/*
 * sim_fixture.c - see sim_fixture.h.
 */
#include "sim_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bf_test.h"
#include "geo/geo.h"

static void collect(void *ctx, const char *file, int line, int col, const char *path,
                    const char *msg)
{
    (void)file;
    struct fx_diags *d = ctx;
    if (d->n >= sizeof d->e / sizeof d->e[0])
        return;
    struct fx_diag_entry *e = &d->e[d->n++];
    e->line = line;
    e->col = col;
    snprintf(e->path, sizeof e->path, "%s", path ? path : "");
    snprintf(e->msg, sizeof e->msg, "%s", msg ? msg : "");
}

void fx_diags_init(struct fx_diags *d)
{
    memset(d, 0, sizeof *d);
    d->diag.report = collect;
    d->diag.ctx = d;
}

void fx_diags_dump(const struct fx_diags *d)
{
    for (size_t i = 0; i < d->n; i++)
        fprintf(stderr, "  diag %zu: %d:%d: %s: %s\n", i, d->e[i].line, d->e[i].col, d->e[i].path,
                d->e[i].msg);
}

void fx_ll(double e_m, double n_m, double *lat, double *lon)
{
    struct bf_geo_frame *f;
    if (bf_geo_frame_create(FX_LAT0, FX_LON0, NULL, &f, NULL, 0) < 0 ||
        bf_geo_to_wgs84(f, e_m, n_m, lat, lon) < 0) {
        fprintf(stderr, "fixture: frame failed\n");
        abort();
    }
    bf_geo_frame_destroy(f);
}

const char *fx_pt(double e_m, double n_m)
{
    static char slots[8][64];
    static unsigned k;
    char *b = slots[k++ % 8];
    double lat, lon;
    fx_ll(e_m, n_m, &lat, &lon);
    snprintf(b, 64, "[%.9f, %.9f]", lat, lon);
    return b;
}

char *fx_scenario_text(const char *radars, const char *targets, double duration_s)
{
    const char *def_radar =
        "[{\"id\": \"r1\", \"lat\": 46.80, \"lon\": 8.20, \"range_m\": 20000, "
        "\"scan_period_s\": 1, \"pd\": 1, \"sigma_range_m\": 0, \"sigma_bearing_deg\": 0, "
        "\"clutter_per_scan\": 0, \"resolution_m\": 20}]";
    size_t n = strlen(radars ? radars : def_radar) + strlen(targets) + 512;
    char *t = malloc(n);
    if (!t)
        abort();
    snprintf(t, n,
             "{\n"
             "  \"site\": \"test\",\n"
             "  \"origin\": {\"lat\": 46.80, \"lon\": 8.20},\n"
             "  \"zones\": \"zones_straight.geojson\",\n"
             "  \"duration_s\": %g,\n"
             "  \"seed\": 42,\n"
             "  \"radars\": %s,\n"
             "  \"targets\": %s\n"
             "}\n",
             duration_s, radars ? radars : def_radar, targets);
    return t;
}

int fx_parse(const char *text, struct bf_sim_scenario **out, struct fx_diags *d)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", bf_test_src("tests/sim"));
    return bf_sim_scenario_parse(text, strlen(text), "test.json", dir, out, d ? &d->diag : NULL);
}
