/*
 * report_svg.c - the report's plots, written by hand as SVG.
 *
 * Three figures of 900 x 600 px, each a standalone SVG document that the
 * page also embeds inline: the map (zones, true trails, confirmed track
 * trails, alert positions, scale bar, north arrow; equal scale in x and y),
 * GOSPA over time with its parts and OSPA, and the alert timeline (a lane
 * per alert type, true crossings as vertical lines).  Every series differs
 * by colour and by line style or marker shape, text is at least 12 px, and
 * each figure has a legend.  Elements carry a class naming what they are
 * (truth, track, alert-<TYPE>, legend, crossing...) so tests can count them.
 *
 * No dependency: the output is plain text, numbers rounded to 0.1 px;
 * anything drawn outside a plot area is clipped to it.
 */
#include "sim/report_int.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "geo/coverage.h"

#define W 900
#define H 600
#define FONT "font-family=\"DejaVu Sans, Arial, sans-serif\""

/* ---- text ------------------------------------------------------------------ */

void bf_rep_printf(struct rep_buf *b, const char *fmt, ...)
{
    if (b->oom)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        size_t room = b->cap - b->n;
        int n = vsnprintf(b->p ? b->p + b->n : NULL, b->p ? room : 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->oom = true;
            return;
        }
        if (b->p && (size_t)n < room) {
            b->n += (size_t)n;
            return;
        }
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->n + (size_t)n + 1)
            cap *= 2;
        char *q = realloc(b->p, cap);
        if (!q) {
            b->oom = true;
            return;
        }
        b->p = q;
        b->cap = cap;
    }
}

void bf_rep_escape(struct rep_buf *b, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&': bf_rep_printf(b, "&amp;"); break;
        case '<': bf_rep_printf(b, "&lt;"); break;
        case '>': bf_rep_printf(b, "&gt;"); break;
        case '"': bf_rep_printf(b, "&quot;"); break;
        case '\'': bf_rep_printf(b, "&#39;"); break;
        default: bf_rep_printf(b, "%c", *s); break;
        }
    }
}

static char *finish_doc(struct rep_buf *b)
{
    bf_rep_printf(b, "</svg>\n");
    if (b->oom) {
        free(b->p);
        return NULL;
    }
    return b->p;
}

static void open_doc(struct rep_buf *b, const char *title)
{
    bf_rep_printf(b, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
               "viewBox=\"0 0 %d %d\" " FONT " font-size=\"13\">\n", W, H, W, H);
    bf_rep_printf(b, "<title>");
    bf_rep_escape(b, title);
    bf_rep_printf(b, "</title>\n<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n",
               W, H);
}

static void text(struct rep_buf *b, double x, double y, const char *anchor, int size,
                 const char *extra, const char *s)
{
    bf_rep_printf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" font-size=\"%d\"%s%s>", x, y,
               anchor, size, extra ? " " : "", extra ? extra : "");
    bf_rep_escape(b, s);
    bf_rep_printf(b, "</text>\n");
}

/* ---- markers and styles ---------------------------------------------------- */

enum shape { SH_TRIANGLE, SH_DIAMOND, SH_SQUARE, SH_CIRCLE, SH_CROSS, SH_STAR, SH_TRIANGLE_DOWN };

struct alert_style {
    const char *type;
    const char *colour;
    enum shape shape;
};

static const struct alert_style alert_styles[] = {
    {"INCURSION", "#d62728", SH_TRIANGLE},
    {"APPROACH", "#ff7f0e", SH_DIAMOND},
    {"ZONE_ENTRY", "#9467bd", SH_SQUARE},
    {"LOITER", "#8c564b", SH_CIRCLE},
    {"SENSOR_FAULT", "#555555", SH_CROSS},
};
static const struct alert_style other_style = {"other", "#17becf", SH_STAR};

static const struct alert_style *style_of(const char *type)
{
    for (size_t i = 0; i < sizeof alert_styles / sizeof alert_styles[0]; i++)
        if (strcmp(alert_styles[i].type, type) == 0)
            return &alert_styles[i];
    return &other_style;
}

/* A marker of shape sh centred on (x, y), size r (about the radius). */
static void marker(struct rep_buf *b, enum shape sh, double x, double y, double r,
                   const char *fill, const char *stroke, const char *cls)
{
    bf_rep_printf(b, "<path class=\"%s\" fill=\"%s\" stroke=\"%s\" stroke-width=\"1.5\" d=\"", cls,
               fill, stroke);
    switch (sh) {
    case SH_TRIANGLE:
        bf_rep_printf(b, "M%.1f %.1fL%.1f %.1fL%.1f %.1fZ", x, y - r * 1.15, x + r, y + r * 0.75,
                   x - r, y + r * 0.75);
        break;
    case SH_TRIANGLE_DOWN:
        bf_rep_printf(b, "M%.1f %.1fL%.1f %.1fL%.1f %.1fZ", x, y + r * 1.15, x + r, y - r * 0.75,
                   x - r, y - r * 0.75);
        break;
    case SH_DIAMOND:
        bf_rep_printf(b, "M%.1f %.1fL%.1f %.1fL%.1f %.1fL%.1f %.1fZ", x, y - r * 1.2, x + r, y, x,
                   y + r * 1.2, x - r, y);
        break;
    case SH_SQUARE:
        bf_rep_printf(b, "M%.1f %.1fh%.1fv%.1fh%.1fZ", x - r * 0.85, y - r * 0.85, r * 1.7, r * 1.7,
                   -r * 1.7);
        break;
    case SH_CIRCLE:
        bf_rep_printf(b, "M%.1f %.1fa%.1f %.1f 0 1 0 %.1f 0a%.1f %.1f 0 1 0 %.1f 0Z", x - r, y, r, r,
                   2 * r, r, r, -2 * r);
        break;
    case SH_CROSS:
        bf_rep_printf(b, "M%.1f %.1fL%.1f %.1fM%.1f %.1fL%.1f %.1f", x - r, y - r, x + r, y + r,
                   x - r, y + r, x + r, y - r);
        break;
    case SH_STAR:
        for (int k = 0; k < 10; k++) {
            double a = -M_PI / 2 + k * M_PI / 5, rr = k % 2 ? r * 0.45 : r * 1.2;
            bf_rep_printf(b, "%c%.1f %.1f", k ? 'L' : 'M', x + rr * cos(a), y + rr * sin(a));
        }
        bf_rep_printf(b, "Z");
        break;
    }
    bf_rep_printf(b, "\"/>\n");
}

/* A cross is drawn with its stroke only: give it the colour as stroke, thicker. */
static void alert_marker(struct rep_buf *b, const struct alert_style *st, double x, double y,
                         double r, bool hollow, bool legend)
{
    char cls[40];
    snprintf(cls, sizeof cls, "%s-%s", legend ? "legend-marker" : "alert", st->type);
    if (st->shape == SH_CROSS)
        marker(b, st->shape, x, y, r, "none", st->colour, cls);
    else
        marker(b, st->shape, x, y, r, hollow ? "#ffffff" : st->colour,
               hollow ? st->colour : "#000000", cls);
}

/* One legend row at (x, y): a sample line (dash, width) or nothing, and a label. */
static void legend_line(struct rep_buf *b, double x, double y, const char *colour, double width,
                        const char *dash, const char *label)
{
    bf_rep_printf(b, "<g class=\"legend\"><line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
               "stroke=\"%s\" stroke-width=\"%.1f\"%s%s%s/>", x, y, x + 34, y, colour, width,
               dash ? " stroke-dasharray=\"" : "", dash ? dash : "", dash ? "\"" : "");
    text(b, x + 42, y + 4.5, "start", 13, NULL, label);
    bf_rep_printf(b, "</g>\n");
}

static void legend_box(struct rep_buf *b, double x, double y, double w, double h)
{
    bf_rep_printf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#ffffff\" "
               "fill-opacity=\"0.92\" stroke=\"#444444\"/>\n", x, y, w, h);
    text(b, x + 10, y + 18, "start", 14, "font-weight=\"bold\"", "Legend");
}

/* A "nice" step (1, 2, 5 x 10^k) giving about n intervals over span. */
static double nice_step(double span, int n)
{
    if (!(span > 0))
        return 1;
    double raw = span / n, p = pow(10, floor(log10(raw))), f = raw / p;
    return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * p;
}

/* ---- the map ------------------------------------------------------------------ */

struct view {
    double px0, py0, pw, ph;      /* plot area */
    double e0, n0, scale;         /* screen x = px0 + ox + (e - e0) scale ... */
    double ox, oy;
};

static double sx(const struct view *v, double e) { return v->px0 + v->ox + (e - v->e0) * v->scale; }
static double sy(const struct view *v, double n)
{
    return v->py0 + v->ph - v->oy - (n - v->n0) * v->scale;
}

struct bounds {
    double e0, e1, n0, n1;
    bool any;
};

static void bounds_add(struct bounds *bd, double e, double n)
{
    if (!isfinite(e) || !isfinite(n))
        return;
    if (!bd->any) {
        *bd = (struct bounds){e, e, n, n, true};
        return;
    }
    bd->e0 = fmin(bd->e0, e);
    bd->e1 = fmax(bd->e1, e);
    bd->n0 = fmin(bd->n0, n);
    bd->n1 = fmax(bd->n1, n);
}

/*
 * A polyline through the points, skipping those less than 1.5 px from the
 * last one kept (the trail stays the same to the eye, the file small).
 */
struct poly {
    struct rep_buf *b;
    const struct view *v;
    size_t pts;
    double lx, ly;
    const char *attrs;
};

static void poly_point(struct poly *p, double e, double n)
{
    double x = sx(p->v, e), y = sy(p->v, n);
    if (p->pts > 0 && hypot(x - p->lx, y - p->ly) < 1.5)
        return;
    bf_rep_printf(p->b, "%s%.1f,%.1f", p->pts ? " " : "", x, y);
    p->pts++;
    p->lx = x;
    p->ly = y;
}

static void poly_open(struct poly *p, struct rep_buf *b, const struct view *v, const char *attrs)
{
    *p = (struct poly){.b = b, .v = v, .attrs = attrs};
    bf_rep_printf(b, "<polyline %s points=\"", attrs);
}

static void poly_close(struct poly *p, double e, double n)
{
    double x = sx(p->v, e), y = sy(p->v, n);
    if (p->pts < 2 || hypot(x - p->lx, y - p->ly) > 0)
        bf_rep_printf(p->b, "%s%.1f,%.1f", p->pts ? " " : "", x, y);
    bf_rep_printf(p->b, "\"/>\n");
}

/* Fill and outline of a sensor's region in the map (docs/coverage.md). */
#define COVERAGE_RADAR_FILL "fill=\"#9ecae1\" fill-opacity=\"0.3\""
#define COVERAGE_RADAR_LINE "stroke=\"#3182bd\" stroke-width=\"0.8\" stroke-opacity=\"0.6\""
#define COVERAGE_CAMERA_FILL "fill=\"#fdd0a2\" fill-opacity=\"0.4\""
#define COVERAGE_CAMERA_LINE "stroke=\"#e6550d\" stroke-width=\"0.8\" stroke-opacity=\"0.6\""

/*
 * Sensor k of the scenario's coverage (radars, then cameras) as one path of
 * its outline rings, even-odd filled (holes: min range); terrain-masked
 * regions come as strips by bearing with their hidden stretches left out.
 */
static void coverage_path(struct rep_buf *b, const struct view *v, const struct bf_coverage *c,
                          uint32_t k, const char *fill, const char *line)
{
    struct bf_coverage_outline ol;
    if (bf_coverage_outline(c, k, 2.0, &ol) < 0 || ol.n_rings == 0) {
        bf_coverage_outline_free(&ol);
        return;
    }
    /* the strips of a terrain-masked region are not outlined one by one */
    bf_rep_printf(b, "<path class=\"coverage\" fill-rule=\"evenodd\" %s %s d=\"", fill,
               ol.n_rings > 2 ? "stroke=\"none\"" : line);
    for (size_t r = 0; r < ol.n_rings; r++) {
        const struct bf_coverage_ring *g = &ol.rings[r];
        for (size_t i = 0; i + 1 < g->n; i++)   /* the closing point: Z */
            bf_rep_printf(b, "%c%.1f %.1f", i ? 'L' : 'M', sx(v, g->xy[2 * i]), sy(v, g->xy[2 * i + 1]));
        bf_rep_printf(b, "Z");
    }
    bf_rep_printf(b, "\"/>\n");
    bf_coverage_outline_free(&ol);
}

struct label_spot {
    double x, y;
};

/* Place a label near (x, y) where it does not overlap one already placed; false if none. */
static bool place_label(struct label_spot *spots, size_t *n, size_t cap, double *x, double *y)
{
    static const double dy[] = {0, 15, -15, 30, -30};
    for (size_t k = 0; k < sizeof dy / sizeof dy[0]; k++) {
        double yy = *y + dy[k];
        bool clash = false;
        for (size_t i = 0; i < *n && !clash; i++)
            clash = fabs(spots[i].y - yy) < 14 && fabs(spots[i].x - *x) < 70;
        if (!clash) {
            if (*n < cap)
                spots[(*n)++] = (struct label_spot){*x, yy};
            *y = yy;
            return true;
        }
    }
    return false;
}

static int cmp_track(const void *a, const void *b)
{
    const struct rep_track *x = *(const struct rep_track *const *)a;
    const struct rep_track *y = *(const struct rep_track *const *)b;
    if (x->id != y->id)
        return x->id < y->id ? -1 : 1;
    return x->pic < y->pic ? -1 : x->pic > y->pic;
}

/* One legend entry of the map. */
enum lg_kind { LG_LINE, LG_RECT, LG_MARKER, LG_RADAR };

struct lg_entry {
    enum lg_kind kind;
    const char *colour, *dash, *style;   /* line colour / dash, rect style */
    double width;
    const struct alert_style *st;
    char label[48];
};

static void legend_entry(struct rep_buf *b, const struct lg_entry *e, double x, double y)
{
    bf_rep_printf(b, "<g class=\"legend\">");
    switch (e->kind) {
    case LG_LINE:
        bf_rep_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                   "stroke-width=\"%.1f\"%s%s%s/>", x, y, x + 34, y, e->colour, e->width,
                   e->dash ? " stroke-dasharray=\"" : "", e->dash ? e->dash : "",
                   e->dash ? "\"" : "");
        break;
    case LG_RECT:
        bf_rep_printf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"34\" height=\"12\" %s/>", x, y - 6,
                   e->style);
        break;
    case LG_MARKER:
        alert_marker(b, e->st, x + 17, y, 7, false, true);
        break;
    case LG_RADAR:
        bf_rep_printf(b, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"6\" fill=\"#ffffff\" stroke=\"#000000\" "
                   "stroke-width=\"2\"/><path d=\"M%.1f %.1fh12M%.1f %.1fv12\" stroke=\"#000000\" "
                   "stroke-width=\"2\"/>", x + 17, y, x + 11, y, x + 17, y - 6);
        break;
    }
    text(b, x + 42, y + 4.5, "start", 13, NULL, e->label);
    bf_rep_printf(b, "</g>\n");
}

/* Distance from (e, n) to the polyline sh. */
static double seg_dist(const struct bf_sim_report *r, const struct rep_shape *sh, double e, double n)
{
    double best = INFINITY;
    for (size_t i = sh->first; i + 1 < sh->first + sh->n; i++) {
        double ax = r->zpe[i], ay = r->zpn[i], bx = r->zpe[i + 1] - ax, by = r->zpn[i + 1] - ay;
        double l2 = bx * bx + by * by, t = l2 > 0 ? ((e - ax) * bx + (n - ay) * by) / l2 : 0;
        t = t < 0 ? 0 : t > 1 ? 1 : t;
        best = fmin(best, hypot(e - ax - t * bx, n - ay - t * by));
    }
    return best;
}

/*
 * Where to write "OUR SIDE" along border line sh: the midpoint of the
 * segment farthest from every true position (so the label covers no trail),
 * among up to 64 segments spread along the line and inside the view.
 */
static size_t side_label_segment(const struct bf_sim_report *r, const struct rep_shape *sh,
                                 const struct view *v)
{
    size_t nseg = sh->n - 1, best = sh->first + nseg / 2, stride = nseg / 64 + 1;
    size_t cells = r->n_steps * r->s->n_targets, tstride = cells / 20000 + 1;
    double best_d = -1;
    for (size_t k = 0; k < nseg; k += stride) {
        size_t i = sh->first + k;
        double me = (r->zpe[i] + r->zpe[i + 1]) / 2, mn = (r->zpn[i] + r->zpn[i + 1]) / 2;
        double x = sx(v, me), y = sy(v, mn);
        if (x < v->px0 + 80 || x > v->px0 + v->pw - 80 || y < v->py0 + 40 ||
            y > v->py0 + v->ph - 40)
            continue;
        /* the line must be straight enough here: both sides clear of it for 90 px */
        double len = hypot(r->zpe[i + 1] - r->zpe[i], r->zpn[i + 1] - r->zpn[i]);
        if (!(len > 0))
            continue;
        double off = 90 / v->scale, ne = -(r->zpn[i + 1] - r->zpn[i]) / len * off,
               nn = (r->zpe[i + 1] - r->zpe[i]) / len * off;
        if (seg_dist(r, sh, me + ne, mn + nn) < 0.999 * off ||
            seg_dist(r, sh, me - ne, mn - nn) < 0.999 * off)
            continue;
        double d = INFINITY;
        for (size_t c = 0; c < cells; c += tstride)
            if (!isnan(r->te[c]))
                d = fmin(d, hypot(r->te[c] - me, r->tn[c] - mn));
        for (size_t a = 0; a < r->n_alerts; a++)
            if (r->alerts[a].located)
                d = fmin(d, hypot(r->alerts[a].e_m - me, r->alerts[a].n_m - mn));
        if (d > best_d) {
            best_d = d;
            best = i;
        }
    }
    return best;
}

#define MAX_TRUTH_LABELS 60
#define MAP_LEGEND_COLS 3
#define MAP_LEGEND_MAX 16

/* The zone kinds drawn as areas, and their style. */
static const char *const kinds[] = {"buffer", "restricted", "no_alert"};
static const char *const kind_style[] = {
    "fill=\"none\" stroke=\"#777777\" stroke-width=\"1.5\" stroke-dasharray=\"8 4\"",
    "fill=\"#f4c7c3\" fill-opacity=\"0.5\" stroke=\"#a61c00\" stroke-width=\"1.5\" "
    "stroke-dasharray=\"3 3\"",
    "fill=\"#d9ead3\" fill-opacity=\"0.5\" stroke=\"#38761d\" stroke-width=\"1.5\" "
    "stroke-dasharray=\"1 3\"",
};

/* Is plot point (x, y) outside the map's frame? */
static bool beyond(const struct view *v, double x, double y)
{
    return x < v->px0 || x > v->px0 + v->pw || y < v->py0 || y > v->py0 + v->ph;
}

/* The legend's rows: the zone kinds and alert types drawn, the trails, the sensors. */
static size_t map_legend(const struct bf_sim_report *r, struct lg_entry lg[MAP_LEGEND_MAX])
{
    const struct bf_sim_scenario *s = r->s;
    /* which zone kinds and alert types are drawn: the legend's rows */
    enum { N_STYLES = sizeof alert_styles / sizeof alert_styles[0] };
    bool have_kind[3] = {false}, have_border = false, type_seen[N_STYLES + 1] = {false};
    for (size_t z = 0; z < r->n_shapes; z++) {
        int k = 0;
        while (k < 3 && strcmp(r->shapes[z].kind, kinds[k]) != 0)
            k++;
        if (strcmp(r->shapes[z].kind, "border_line") == 0)
            have_border = true;
        else
            have_kind[k < 3 ? k : 0] = true;
    }
    for (size_t i = 0; i < r->n_alerts; i++) {
        if (!r->alerts[i].located)
            continue;
        const struct alert_style *st = style_of(r->alerts[i].type);
        type_seen[st == &other_style ? N_STYLES : (size_t)(st - alert_styles)] = true;
    }
    size_t nlg = 0;
    if (have_border)
        lg[nlg++] = (struct lg_entry){.kind = LG_LINE, .colour = "#000000", .width = 4,
                                      .label = "border line"};
    for (int k = 0; k < 3; k++)
        if (have_kind[k]) {
            lg[nlg] = (struct lg_entry){.kind = LG_RECT, .style = kind_style[k]};
            snprintf(lg[nlg++].label, sizeof lg[0].label, "%s zone", kinds[k]);
        }
    lg[nlg++] = (struct lg_entry){.kind = LG_LINE, .colour = "#2ca02c", .width = 1.5,
                                  .label = "true trail (target id)"};
    lg[nlg++] = (struct lg_entry){.kind = LG_LINE, .colour = "#1f77b4", .width = 2.5,
                                  .dash = "6 3", .label = "confirmed track trail"};
    for (size_t k = 0; k <= N_STYLES; k++)
        if (type_seen[k]) {
            lg[nlg] = (struct lg_entry){.kind = LG_MARKER,
                                        .st = k < N_STYLES ? &alert_styles[k] : &other_style};
            snprintf(lg[nlg++].label, sizeof lg[0].label, "%s alert",
                     k < N_STYLES ? alert_styles[k].type : "other");
        }
    if (s->n_radars)
        lg[nlg++] = (struct lg_entry){.kind = LG_RADAR, .label = "radar"};
    if (s->coverage && s->n_radars)
        lg[nlg++] = (struct lg_entry){.kind = LG_RECT,
                                      .style = COVERAGE_RADAR_FILL " " COVERAGE_RADAR_LINE,
                                      .label = "radar coverage"};
    if (s->coverage && s->n_cameras)
        lg[nlg++] = (struct lg_entry){.kind = LG_RECT,
                                      .style = COVERAGE_CAMERA_FILL " " COVERAGE_CAMERA_LINE,
                                      .label = "camera view"};
    return nlg;
}

/* The plot's view of the zones, truth and radars, leaving lg_h below it; *height the SVG's. */
static struct view map_view(const struct bf_sim_report *r, double lg_h, int *height)
{
    const struct bf_sim_scenario *s = r->s;
    size_t nt = s->n_targets;
    /* what to show: zones, truth, radars (tracks and alerts far outside are clipped) */
    struct bounds bd = {0};
    for (size_t i = 0; i < r->n_zpt; i++)
        bounds_add(&bd, r->zpe[i], r->zpn[i]);
    for (size_t k = 0; k < r->n_steps * nt; k++)
        bounds_add(&bd, r->te[k], r->tn[k]);
    for (size_t i = 0; i < s->n_radars; i++)
        bounds_add(&bd, s->radars[i].e_m, s->radars[i].n_m);
    if (!bd.any)
        bd = (struct bounds){-1000, 1000, -1000, 1000, true};
    double de = fmax(bd.e1 - bd.e0, 200) * 1.06, dn = fmax(bd.n1 - bd.n0, 200) * 1.12;
    double ce = (bd.e0 + bd.e1) / 2, cn = (bd.n0 + bd.n1) / 2;
    /* the full width; as tall as the data needs at that scale, within 260 .. 600 total */
    struct view v = {.px0 = 12, .py0 = 40, .pw = W - 24};
    double ph_max = H - 40 - 12 - lg_h - 12;
    v.scale = fmin(v.pw / de, ph_max / dn);
    v.ph = fmin(fmax(dn * v.scale, 260), ph_max);
    v.scale = fmin(v.pw / de, v.ph / dn);
    v.e0 = ce - v.pw / v.scale / 2;
    v.n0 = cn - v.ph / v.scale / 2;
    *height = (int)ceil(v.py0 + v.ph + 12 + lg_h + 12);

    return v;
}

/* The sensors' regions, under everything (terrain shadows left out). */
static void map_coverage(struct rep_buf *b, const struct view *v, const struct bf_sim_report *r)
{
    const struct bf_sim_scenario *s = r->s;
    if (s->coverage) {
        for (size_t i = 0; i < s->n_radars; i++)
            coverage_path(b, v, s->coverage, (uint32_t)i, COVERAGE_RADAR_FILL,
                          COVERAGE_RADAR_LINE);
        for (size_t i = 0; i < s->n_cameras; i++)
            coverage_path(b, v, s->coverage, (uint32_t)(s->n_radars + i),
                          COVERAGE_CAMERA_FILL, COVERAGE_CAMERA_LINE);
    }
}

/* Zones: other kinds first, border lines on top. */
static void map_zones(struct rep_buf *b, const struct view *v, const struct bf_sim_report *r)
{
    for (int pass = 0; pass < 2; pass++) {
        for (size_t z = 0; z < r->n_shapes; z++) {
            const struct rep_shape *sh = &r->shapes[z];
            bool border = strcmp(sh->kind, "border_line") == 0;
            if (border != (pass == 1))
                continue;
            int k = 0;
            while (k < 3 && strcmp(sh->kind, kinds[k]) != 0)
                k++;
            bf_rep_printf(b, "<%s class=\"zone zone-%s\" %s points=\"", sh->line ? "polyline" : "polygon",
                       border ? "border" : (k < 3 ? kinds[k] : "other"),
                       border ? "fill=\"none\" stroke=\"#000000\" stroke-width=\"4\" "
                                "stroke-linejoin=\"round\""
                              : kind_style[k < 3 ? k : 0]);
            for (size_t i = 0; i < sh->n; i++)
                bf_rep_printf(b, "%s%.1f,%.1f", i ? " " : "", sx(v, r->zpe[sh->first + i]),
                           sy(v, r->zpn[sh->first + i]));
            bf_rep_printf(b, "\"/>\n");
        }
    }
}

/* The radars, a cross in a circle with their id. */
static void map_radars(struct rep_buf *b, const struct view *v, const struct bf_sim_report *r)
{
    const struct bf_sim_scenario *s = r->s;
    for (size_t i = 0; i < s->n_radars; i++) {
        double x = sx(v, s->radars[i].e_m), y = sy(v, s->radars[i].n_m);
        bf_rep_printf(b, "<g class=\"radar\"><circle cx=\"%.1f\" cy=\"%.1f\" r=\"7\" fill=\"#ffffff\" "
                   "stroke=\"#000000\" stroke-width=\"2\"/><path d=\"M%.1f %.1fh14M%.1f %.1fv14\" "
                   "stroke=\"#000000\" stroke-width=\"2\"/></g>\n", x, y, x - 7, y, x, y - 7);
        text(b, x + 10, y - 8, "start", 12, "font-style=\"italic\"", s->radars[i].id);
    }
}

/* Confirmed track trails, dashed blue, from the pictures (under the truth). */
static void map_tracks(struct rep_buf *b, const struct view *v, const struct bf_sim_report *r)
{
    size_t nk = 0;
    const struct rep_track **tk = malloc((r->n_trk + 1) * sizeof *tk);
    if (!tk) {
        b->oom = true;
    } else {
        for (size_t j = 0; j < r->n_trk; j++)
            if (!isnan(r->trk[j].e_m) && r->pics[r->trk[j].pic].scored)
                tk[nk++] = &r->trk[j];
        qsort(tk, nk, sizeof *tk, cmp_track);
    }
    for (size_t j = 0; j < nk;) {
        size_t e = j;
        while (e < nk && tk[e]->id == tk[j]->id)
            e++;
        double x0 = sx(v, tk[j]->e_m), y0 = sy(v, tk[j]->n_m);
        if (e - j == 1 && beyond(v, x0, y0)) {
            j = e;   /* a one-picture track beyond the map */
            continue;
        }
        if (e - j == 1) {
            bf_rep_printf(b, "<circle class=\"track\" cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"none\" "
                       "stroke=\"#1f77b4\" stroke-width=\"1.5\"/>\n", sx(v, tk[j]->e_m),
                       sy(v, tk[j]->n_m));
        } else {
            struct poly p;
            poly_open(&p, b, v, "class=\"track\" fill=\"none\" stroke=\"#1f77b4\" "
                      "stroke-width=\"2.5\" stroke-dasharray=\"6 3\"");
            const struct rep_track *const *it = tk + j, *const *last = tk + e - 1;
            for (; it < last; it++)
                poly_point(&p, (*it)->e_m, (*it)->n_m);
            poly_close(&p, (*last)->e_m, (*last)->n_m);
        }
        j = e;
    }
    free(tk);
}

/* Truth trails, thin solid green, labelled at their end (a group once, by its name). */
static void map_truth(struct rep_buf *b, const struct view *v, const struct bf_sim_report *r)
{
    const struct bf_sim_scenario *s = r->s;
    size_t nt = s->n_targets;
    struct label_spot spots[MAX_TRUTH_LABELS + 8];
    size_t n_spots = 0, n_labels = 0;
    for (size_t i = 0; i < nt; i++) {
        struct poly p;
        bool open = false;
        double le = NAN, ln = NAN;
        for (size_t k = 0; k < r->n_steps; k++) {
            double e = r->te[k * nt + i], n = r->tn[k * nt + i];
            if (isnan(e)) {
                if (open)
                    poly_close(&p, le, ln);
                open = false;
                continue;
            }
            if (!open) {
                char attrs[160];
                snprintf(attrs, sizeof attrs, "class=\"truth\" data-target=\"%zu\" fill=\"none\" "
                         "stroke=\"#2ca02c\" stroke-width=\"1.5\"", i);
                poly_open(&p, b, v, attrs);
                open = true;
            }
            poly_point(&p, e, n);
            le = e;
            ln = n;
        }
        if (open)
            poly_close(&p, le, ln);
        const char *g = s->targets[i].group;
        bool first_of_group = true;
        for (size_t j = 0; g && j < i && first_of_group; j++)
            first_of_group = !s->targets[j].group || strcmp(s->targets[j].group, g) != 0;
        if (!isnan(le) && first_of_group && n_labels < MAX_TRUTH_LABELS) {
            double x = sx(v, le) + 6, y = sy(v, ln) + 4;
            if (place_label(spots, &n_spots, MAX_TRUTH_LABELS, &x, &y)) {
                text(b, x, y, "start", 12, "class=\"truth-label\" fill=\"#1b5e20\" "
                     "stroke=\"#ffffff\" stroke-width=\"3\" paint-order=\"stroke\"",
                     g ? g : s->targets[i].id);
                n_labels++;
            }
        }
    }
}

/* Alert positions; those beyond the map are counted (returned), not drawn. */
static size_t map_alerts(struct rep_buf *b, const struct view *v, const struct bf_sim_report *r)
{
    size_t outside = 0;
    for (size_t i = 0; i < r->n_alerts; i++) {
        const struct rep_alert *a = &r->alerts[i];
        if (!a->located)
            continue;
        double x = sx(v, a->e_m), y = sy(v, a->n_m);
        if (beyond(v, x, y))
            outside++;
        else
            alert_marker(b, style_of(a->type), x, y, 7, false, false);
    }

    return outside;
}

/* Our side / their side of each border line, where the line is clear of trails. */
static void map_sides(struct rep_buf *b, const struct view *v, const struct bf_sim_report *r)
{
    for (size_t z = 0; z < r->n_shapes; z++) {
        const struct rep_shape *sh = &r->shapes[z];
        if (strcmp(sh->kind, "border_line") != 0 || sh->n < 2)
            continue;
        size_t m = side_label_segment(r, sh, v);
        double e1 = r->zpe[m], n1 = r->zpn[m], e2 = r->zpe[m + 1], n2 = r->zpn[m + 1];
        double len = hypot(e2 - e1, n2 - n1);
        if (!(len > 0))
            continue;
        double le = -(n2 - n1) / len, ln = (e2 - e1) / len;   /* left normal */
        if (!sh->our_left) {
            le = -le;
            ln = -ln;
        }
        double x = sx(v, (e1 + e2) / 2), y = sy(v, (n1 + n2) / 2);
        text(b, x + le * 26, y - ln * 26 + 5, "middle", 15, "class=\"side-label\" "
             "font-weight=\"bold\" fill=\"#000000\" stroke=\"#ffffff\" stroke-width=\"4\" "
             "paint-order=\"stroke\"", "OUR SIDE");
        text(b, x - le * 26, y + ln * 26 + 5, "middle", 13, "class=\"side-label\" "
             "fill=\"#444444\" stroke=\"#ffffff\" stroke-width=\"4\" paint-order=\"stroke\"",
             "their side");
        double lx = sx(v, r->zpe[sh->first]), ly = sy(v, r->zpn[sh->first]);
        text(b, fmax(lx, v->px0) + 4, ly - 10, "start", 13, "font-weight=\"bold\" "
             "stroke=\"#ffffff\" stroke-width=\"4\" paint-order=\"stroke\"",
             sh->name[0] ? sh->name : sh->id);
    }
}

/* The north arrow (the local frame's north is up), top right, and the scale bar: a nice
 * length near a fifth of the plot, bottom left. */
static void map_north_and_scale(struct rep_buf *b, const struct view *v)
{
    double nx = v->px0 + v->pw - 28, ny = v->py0 + 10;
    bf_rep_printf(b, "<g class=\"north\"><path d=\"M%.1f %.1fL%.1f %.1fL%.1f %.1fL%.1f %.1fZ\" "
               "fill=\"#000000\"/>", nx, ny + 22, nx + 9, ny + 50, nx, ny + 43, nx - 9, ny + 50);
    text(b, nx, ny + 18, "middle", 16, "font-weight=\"bold\"", "N");
    bf_rep_printf(b, "</g>\n");

    /* scale bar: a nice length near a fifth of the plot, bottom left */
    double want_m = v->pw / 5 / v->scale, step = nice_step(want_m, 1);
    if (step > want_m * 1.6)
        step /= 2;
    double bar = step * v->scale, bx = v->px0 + 20, by = v->py0 + v->ph - 20;
    bf_rep_printf(b, "<g class=\"scale-bar\"><rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
               "height=\"32\" fill=\"#ffffff\" fill-opacity=\"0.85\"/>", bx - 8, by - 20,
               bar + 30);
    bf_rep_printf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"6\" fill=\"#000000\"/>"
               "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"6\" fill=\"#ffffff\" "
               "stroke=\"#000000\"/>", bx, by, bar / 2, bx + bar / 2, by, bar / 2);
    char lab[40];
    if (step >= 1000)
        snprintf(lab, sizeof lab, "%g km", step / 1000);
    else
        snprintf(lab, sizeof lab, "%g m", step);
    text(b, bx, by - 5, "start", 12, NULL, "0");
    text(b, bx + bar, by - 5, "middle", 12, NULL, lab);
    bf_rep_printf(b, "</g>\n");
}

/* The legend below the map, in columns. */
static void map_legend_box(struct rep_buf *b, const struct view *v, const struct lg_entry *lg,
                           size_t nlg, double lg_h)
{
    size_t lg_rows = (nlg + MAP_LEGEND_COLS - 1) / MAP_LEGEND_COLS;
    double ly = v->py0 + v->ph + 12;
    bf_rep_printf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#ffffff\" "
               "stroke=\"#444444\"/>\n", v->px0, ly, v->pw, lg_h);
    text(b, v->px0 + 10, ly + 18, "start", 14, "font-weight=\"bold\"", "Legend");
    for (size_t k = 0; k < nlg; k++)
        legend_entry(b, &lg[k], v->px0 + 12 + (double)(k / lg_rows) * (v->pw / MAP_LEGEND_COLS),
                     ly + 40 + (double)(k % lg_rows) * 22);
}

char *bf_rep_svg_map(const struct bf_sim_report *r)
{
    const struct bf_sim_scenario *s = r->s;
    struct rep_buf b = {0};
    char title[200];
    snprintf(title, sizeof title, "Map of site %s: truth, confirmed tracks and alerts", s->site);
    struct lg_entry lg[MAP_LEGEND_MAX];
    size_t nlg = map_legend(r, lg);
    size_t lg_rows = (nlg + MAP_LEGEND_COLS - 1) / MAP_LEGEND_COLS;
    double lg_h = 34 + (double)lg_rows * 22;
    int height;
    struct view v = map_view(r, lg_h, &height);

    bf_rep_printf(&b, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
               "viewBox=\"0 0 %d %d\" " FONT " font-size=\"13\">\n", W, height, W, height);
    bf_rep_printf(&b, "<title>");
    bf_rep_escape(&b, title);
    bf_rep_printf(&b, "</title>\n<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n",
               W, height);
    text(&b, 20, 26, "start", 17, "font-weight=\"bold\"", title);
    bf_rep_printf(&b, "<defs><clipPath id=\"map-clip\"><rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
               "height=\"%.1f\"/></clipPath></defs>\n", v.px0, v.py0, v.pw, v.ph);
    bf_rep_printf(&b, "<rect class=\"frame\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
               "fill=\"#f7f7f2\" stroke=\"#333333\"/>\n", v.px0, v.py0, v.pw, v.ph);
    bf_rep_printf(&b, "<g clip-path=\"url(#map-clip)\">\n");

    map_coverage(&b, &v, r);
    map_zones(&b, &v, r);
    map_radars(&b, &v, r);
    map_tracks(&b, &v, r);
    map_truth(&b, &v, r);
    size_t outside = map_alerts(&b, &v, r);
    map_sides(&b, &v, r);
    bf_rep_printf(&b, "</g>\n");

    if (outside) {
        char l[64];
        snprintf(l, sizeof l, "%zu alert%s beyond the map", outside, outside > 1 ? "s" : "");
        text(&b, v.px0 + v.pw - 10, v.py0 + v.ph - 10, "end", 13, "class=\"outside\"", l);
    }

    map_north_and_scale(&b, &v);
    map_legend_box(&b, &v, lg, nlg, lg_h);
    return finish_doc(&b);
}

/* ---- axes for the time plots ------------------------------------------------------ */

struct axes {
    double px0, py0, pw, ph;
    double t0, t1, y0, y1;
};

static double ax_x(const struct axes *a, double t) { return a->px0 + (t - a->t0) / (a->t1 - a->t0) * a->pw; }
static double ax_y(const struct axes *a, double v) { return a->py0 + a->ph - (v - a->y0) / (a->y1 - a->y0) * a->ph; }

/* The time axis at the bottom: ticks, labels, title. */
static void time_axis(struct rep_buf *b, const struct axes *a)
{
    double step = nice_step(a->t1 - a->t0, 8);
    double yb = a->py0 + a->ph;
    bf_rep_printf(b, "<g class=\"axis-x\"><line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
               "stroke=\"#000000\"/>\n", a->px0, yb, a->px0 + a->pw, yb);
    for (double t = ceil(a->t0 / step) * step; t <= a->t1 + 1e-9; t += step) {
        double x = ax_x(a, t);
        bf_rep_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#000000\"/>",
                   x, yb, x, yb + 6);
        char l[32];
        snprintf(l, sizeof l, "%g", t);
        text(b, x, yb + 21, "middle", 13, "class=\"tick\"", l);
    }
    text(b, a->px0 + a->pw / 2, yb + 44, "middle", 14, NULL, "simulated time since start [s]");
    bf_rep_printf(b, "</g>\n");
}

char *bf_rep_svg_gospa(const struct bf_sim_report *r)
{
    const struct bf_sim_report_summary *sm = &r->sum;
    struct rep_buf b = {0};
    open_doc(&b, "Track accuracy over time: GOSPA and its parts, OSPA");
    text(&b, 20, 26, "start", 17, "font-weight=\"bold\"",
         "Track accuracy over time: GOSPA and its parts, OSPA");
    text(&b, 20, 46, "start", 13, "fill=\"#333333\"",
         "confirmed tracks vs. targets existing at each picture's time; c = 100 m, p = 1, "
         "alpha = 2");
    struct axes a = {.px0 = 78, .py0 = 62, .pw = 590, .ph = 468, .t0 = 0,
                     .t1 = r->ri.duration_s > 0 ? r->ri.duration_s : 1, .y0 = 0, .y1 = 0};
    double ymax = 0;
    for (size_t i = 0; i < sm->n_series; i++)
        ymax = fmax(ymax, fmax(sm->metric[i].gospa, sm->metric[i].ospa));
    if (!(ymax > 0))
        ymax = BF_SIM_REPORT_C_M;
    double ystep = nice_step(ymax, 6);
    a.y1 = ceil(ymax * 1.05 / ystep) * ystep;
    bf_rep_printf(&b, "<rect class=\"frame\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
               "fill=\"#fbfbfb\" stroke=\"#333333\"/>\n", a.px0, a.py0, a.pw, a.ph);
    /* y axis with grid */
    bf_rep_printf(&b, "<g class=\"axis-y\">\n");
    for (double yv = 0; yv <= a.y1 + 1e-9; yv += ystep) {
        double y = ax_y(&a, yv);
        bf_rep_printf(&b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#dddddd\"/>"
                   "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#000000\"/>\n",
                   a.px0, y, a.px0 + a.pw, y, a.px0 - 6, y, a.px0, y);
        char l[32];
        snprintf(l, sizeof l, "%g", yv);
        text(&b, a.px0 - 9, y + 4.5, "end", 13, "class=\"tick\"", l);
    }
    bf_rep_printf(&b, "<text x=\"20\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"14\" "
               "transform=\"rotate(-90 20 %.1f)\">distance [m]</text>\n</g>\n",
               a.py0 + a.ph / 2, a.py0 + a.ph / 2);
    time_axis(&b, &a);
    /* crossings as faint vertical lines */
    for (size_t c = 0; c < r->n_cr; c++) {
        double x = ax_x(&a, r->cr[c].t_s);
        bf_rep_printf(&b, "<line class=\"crossing\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                   "stroke=\"#999999\" stroke-dasharray=\"2 4\"/>\n", x, a.py0, x, a.py0 + a.ph);
    }
    struct series {
        const char *name, *colour, *dash;
        double width;
        int shape;   /* -1: no markers */
    } ser[] = {
        {"GOSPA", "#000000", NULL, 2.5, SH_CIRCLE},
        {"localisation part", "#1f77b4", "8 4", 2, -1},
        {"missed part", "#ff7f0e", "2 3", 2.5, -1},
        {"false part", "#d62728", "10 3 2 3", 2, -1},
        {"OSPA", "#9467bd", NULL, 1.5, SH_SQUARE},
    };
    bool markers = sm->n_series <= 150;
    for (size_t k = 0; k < 5; k++) {
        if (sm->n_series == 0)
            break;
        bf_rep_printf(&b, "<polyline class=\"series series-%zu\" fill=\"none\" stroke=\"%s\" "
                   "stroke-width=\"%.1f\"%s%s%s points=\"", k, ser[k].colour, ser[k].width,
                   ser[k].dash ? " stroke-dasharray=\"" : "", ser[k].dash ? ser[k].dash : "",
                   ser[k].dash ? "\"" : "");
        for (size_t i = 0; i < sm->n_series; i++) {
            const struct bf_sim_metric *m = &sm->metric[i];
            double val = k == 0 ? m->gospa : k == 1 ? m->gospa_loc : k == 2 ? m->gospa_missed
                       : k == 3 ? m->gospa_false : m->ospa;
            bf_rep_printf(&b, "%s%.1f,%.1f", i ? " " : "", ax_x(&a, sm->t_s[i]), ax_y(&a, val));
        }
        bf_rep_printf(&b, "\"/>\n");
        if (markers && ser[k].shape >= 0)
            for (size_t i = 0; i < sm->n_series; i++) {
                const struct bf_sim_metric *m = &sm->metric[i];
                double val = k == 0 ? m->gospa : m->ospa;
                marker(&b, (enum shape)ser[k].shape, ax_x(&a, sm->t_s[i]), ax_y(&a, val), 3.2,
                       "#ffffff", ser[k].colour, "point");
            }
    }
    if (sm->n_series == 0)
        text(&b, a.px0 + a.pw / 2, a.py0 + a.ph / 2, "middle", 16, NULL,
             "no track picture was received during the run");
    double lx = 682, ly = 62;
    legend_box(&b, lx, ly, 210, 34 + 6 * 22);
    double y = ly + 40;
    for (size_t k = 0; k < 5; k++) {
        legend_line(&b, lx + 10, y, ser[k].colour, ser[k].width, ser[k].dash, ser[k].name);
        if (ser[k].shape >= 0)
            marker(&b, (enum shape)ser[k].shape, lx + 27, y, 3.2, "#ffffff", ser[k].colour,
                   "legend-point");
        y += 22;
    }
    legend_line(&b, lx + 10, y, "#999999", 1, "2 4", "true crossing");
    char l[80];
    snprintf(l, sizeof l, "%zu pictures scored", sm->n_series);
    text(&b, lx, ly + 34 + 6 * 22 + 22, "start", 13, NULL, l);
    return finish_doc(&b);
}

/* ---- the alert timeline ------------------------------------------------------------ */

#define MAX_LANES 8

char *bf_rep_svg_alerts(const struct bf_sim_report *r)
{
    struct rep_buf b = {0};
    open_doc(&b, "Alert timeline");
    text(&b, 20, 26, "start", 17, "font-weight=\"bold\"",
         "Alert timeline: each alert id at its first time");
    /* lanes: INCURSION and APPROACH always, then the other types seen */
    const char *lanes[MAX_LANES] = {"INCURSION", "APPROACH"};
    size_t nl = 2;
    for (size_t i = 0; i < r->n_alerts; i++) {
        size_t k = 0;
        while (k < nl && strcmp(lanes[k], r->alerts[i].type) != 0)
            k++;
        if (k == nl && nl < MAX_LANES)
            lanes[nl++] = r->alerts[i].type;
    }
    struct axes a = {.px0 = 132, .py0 = 90, .pw = 540, .ph = 420, .t0 = 0,
                     .t1 = r->ri.duration_s > 0 ? r->ri.duration_s : 1};
    double lane_h = a.ph / (double)nl;
    bf_rep_printf(&b, "<defs><clipPath id=\"alerts-clip\"><rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
               "height=\"%.1f\"/></clipPath></defs>\n", a.px0 - 10, a.py0 - 60, a.pw + 20,
               a.ph + 60);
    for (size_t k = 0; k < nl; k++) {
        double y0 = a.py0 + (double)k * lane_h;
        bf_rep_printf(&b, "<rect class=\"lane\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
                   "fill=\"%s\" stroke=\"#bbbbbb\"/>\n", a.px0, y0, a.pw, lane_h,
                   k % 2 ? "#f4f4f4" : "#fbfbfb");
        text(&b, a.px0 - 10, y0 + lane_h / 2 + 5, "end", 13, "class=\"lane-label\"", lanes[k]);
    }
    time_axis(&b, &a);
    bf_rep_printf(&b, "<g clip-path=\"url(#alerts-clip)\">\n");
    /* crossings: dashed verticals, labels staggered over three rows above */
    for (size_t c = 0; c < r->n_cr; c++) {
        double x = ax_x(&a, r->cr[c].t_s);
        bf_rep_printf(&b, "<line class=\"crossing\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                   "stroke=\"#000000\" stroke-width=\"1.5\" stroke-dasharray=\"6 4\"/>\n", x,
                   a.py0 - 12 - (double)(c % 3) * 15, x, a.py0 + a.ph);
        text(&b, x, a.py0 - 16 - (double)(c % 3) * 15, "middle", 12, "class=\"crossing-label\" "
             "stroke=\"#ffffff\" stroke-width=\"3\" paint-order=\"stroke\"", r->cr[c].key);
    }
    for (size_t i = 0; i < r->n_alerts; i++) {
        const struct rep_alert *al = &r->alerts[i];
        size_t k = 0;
        while (k < nl && strcmp(lanes[k], al->type) != 0)
            k++;
        if (k == nl || !isfinite(al->t_s))
            continue;
        double y = a.py0 + ((double)k + 0.5) * lane_h + ((double)(i % 3) - 1) * lane_h * 0.22;
        alert_marker(&b, style_of(al->type), ax_x(&a, al->t_s), y, 6.5,
                     al->judged && al->nuisance, false);
    }
    bf_rep_printf(&b, "</g>\n");
    /* legend */
    double lx = 684, ly = 90;
    legend_box(&b, lx, ly, 208, 34 + (double)(nl + 3) * 22);
    double y = ly + 40;
    for (size_t k = 0; k < nl; k++) {
        bf_rep_printf(&b, "<g class=\"legend\">");
        alert_marker(&b, style_of(lanes[k]), lx + 27, y, 6.5, false, true);
        text(&b, lx + 52, y + 4.5, "start", 13, NULL, lanes[k]);
        bf_rep_printf(&b, "</g>\n");
        y += 22;
    }
    bf_rep_printf(&b, "<g class=\"legend\">");
    alert_marker(&b, style_of("INCURSION"), lx + 27, y, 6.5, true, true);
    text(&b, lx + 52, y + 4.5, "start", 13, NULL, "hollow: nuisance alert");
    bf_rep_printf(&b, "</g>\n");
    y += 22;
    legend_line(&b, lx + 10, y, "#000000", 1.5, "6 4", "true crossing");
    y += 22;
    char l[80];
    snprintf(l, sizeof l, "%zu alert ids", r->n_alerts);
    text(&b, lx + 10, y + 4, "start", 13, NULL, l);
    return finish_doc(&b);
}
