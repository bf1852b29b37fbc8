/*
 * zones.c - the site's zones: read from GeoJSON, checked, projected to the
 * local frame, and prepared for fast queries.
 *
 * A zone file is written by hand or exported from a GIS, and a wrong one
 * silently breaks incursion detection, so the loader checks every feature
 * and reports every mistake it finds (not only the first) with the zone's
 * id, the line and column, the JSON path and the reason; any mistake fails
 * the load.  The file is read with bf_json rather than GEOS's GeoJSON reader
 * because that reader drops feature properties and knows no positions.
 *
 * Coordinates are projected with the site frame and built into GEOS
 * geometries with the reentrant API.  Polygons are prepared and their
 * envelopes, grown by the exit hysteresis, go into an STRtree, which GEOS
 * 3.11 builds lazily on the first query, so one warm-up query is run here
 * rather than on a track's first update.  Border lines keep their local
 * vertices and a segment hierarchy for the exact side and crossing maths in
 * query.c.  After the load the zone set never changes.
 */
#include <assert.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/bf_error.h"
#include "core/bf_json.h"
#include "core/bf_log.h"
#include "geo/geo_int.h"

#define DEFAULT_HYSTERESIS_M 10.0
#define DEFAULT_MAX_TTL_S 3600.0
#define DEFAULT_SEVERITY 2

/* Ids checked for duplicates (a file with more features fails anyway). */
#define MAX_ID_CHECKS (16 * BF_GEO_MAX_ZONES)

/* A polygon zone smaller than this (m2), or thinner on average (m), is degenerate: refused
 * (corners on one line enclose no area, bar the projection's curvature of a long edge). */
#define MIN_AREA_M2 1.0
#define MIN_WIDTH_M 0.5

/* Distinct unknown property names listed in the start-up log line. */
#define MAX_UNKNOWN_LISTED 12

/* Coordinate mistakes reported per feature before the rest are summarised. */
#define MAX_COORD_ERRORS 5

static const char *const kind_names[] = {"border_line", "buffer", "restricted", "no_alert",
                                         "crossing_point", NULL};
static const char *const known_props[] = {"id", "name", "kind", "severity", "our_side",
                                          "description", NULL};

const char *bf_zone_kind_name(enum bf_zone_kind k)
{
    if ((unsigned)k < sizeof kind_names / sizeof kind_names[0] - 1)
        return kind_names[k];
    return "unknown";
}

/* ---- the loader's state ---------------------------------------------- */

/* A growable list of GEOS geometries (rings of a polygon, polygons of a multi). */
struct geom_list {
    GEOSGeometry **g;
    size_t n, cap;
};

struct loader {
    const struct bf_json_doc *doc;
    struct bf_diag *diag;
    struct bf_geo_zones *z;
    char label[96];              /* zone "east" or features[3], opening every message */
    unsigned feature_errors0;    /* diag->n_errors when this feature started */
    unsigned coord_errors;       /* coordinate mistakes in this feature */
    double *buf;                 /* local x y of the positions being read */
    size_t buf_n, buf_cap;       /* in points */
    const cJSON **id_nodes;      /* ids of earlier features, for duplicates */
    int *id_features;
    size_t n_ids;
    const char *unknown[MAX_UNKNOWN_LISTED];   /* property names the engine does not read */
    size_t n_unknown;            /* distinct names seen (may exceed the list) */
    unsigned unknown_features;   /* features that have any */
};

static void ferr(struct loader *ld, const cJSON *node, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Report a mistake in the current feature, located at node. */
static void ferr(struct loader *ld, const cJSON *node, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    bf_json_errorf(ld->doc, ld->diag, node, "%s: %s", ld->label, msg);
}

static bool feature_failed(const struct loader *ld)
{
    return ld->diag->n_errors != ld->feature_errors0;
}

static void geos_error(const char *message, void *userdata)
{
    struct bf_geo_zones *z = userdata;
    snprintf(z->geos_msg, sizeof z->geos_msg, "%s", message);
}

static int geom_list_push(struct geom_list *l, GEOSGeometry *g)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 4;
        GEOSGeometry **ng = realloc(l->g, cap * sizeof *ng);
        if (!ng)
            return BF_ENOMEM;
        l->g = ng;
        l->cap = cap;
    }
    l->g[l->n++] = g;
    return 0;
}

static void geom_list_free(GEOSContextHandle_t gctx, struct geom_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        GEOSGeom_destroy_r(gctx, l->g[i]);
    free(l->g);
    memset(l, 0, sizeof *l);
}

/* ---- positions -------------------------------------------------------- */

static void coord_err(struct loader *ld, const cJSON *node, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Report a coordinate mistake; after MAX_COORD_ERRORS, one summary only. */
static void coord_err(struct loader *ld, const cJSON *node, const char *fmt, ...)
{
    ld->coord_errors++;
    if (ld->coord_errors > MAX_COORD_ERRORS + 1)
        return;
    if (ld->coord_errors == MAX_COORD_ERRORS + 1) {
        ferr(ld, node, "more bad coordinates in this zone (not shown)");
        return;
    }
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    ferr(ld, node, "%s", msg);
}

/*
 * Read one GeoJSON position [lon, lat(, alt)] and append its local
 * coordinates to ld->buf; lonlat (if given) receives the raw degrees.
 * Returns 0, BF_EPARSE (reported) or BF_ENOMEM.
 */
static int read_position(struct loader *ld, const cJSON *pos, double lonlat[2])
{
    char what[96];
    if (!cJSON_IsArray(pos) || cJSON_GetArraySize(pos) < 2) {
        bf_json_describe(pos, what, sizeof what);
        coord_err(ld, pos, "expected a position [longitude, latitude], got %s", what);
        return BF_EPARSE;
    }
    const cJSON *lon = cJSON_GetArrayItem(pos, 0), *lat = cJSON_GetArrayItem(pos, 1);
    if (!cJSON_IsNumber(lon) || !cJSON_IsNumber(lat)) {
        const cJSON *bad = cJSON_IsNumber(lon) ? lat : lon;
        bf_json_describe(bad, what, sizeof what);
        coord_err(ld, bad, "%s must be a number, got %s", bad == lon ? "longitude" : "latitude",
                  what);
        return BF_EPARSE;
    }
    double lon_deg = lon->valuedouble, lat_deg = lat->valuedouble;
    if (!(lon_deg >= -180.0 && lon_deg <= 180.0)) {
        coord_err(ld, lon, "longitude %g out of range -180..180", lon_deg);
        return BF_EPARSE;
    }
    if (!(lat_deg >= -90.0 && lat_deg <= 90.0)) {
        coord_err(ld, lat, "latitude %g out of range -90..90", lat_deg);
        return BF_EPARSE;
    }
    if (lonlat) {
        lonlat[0] = lon_deg;
        lonlat[1] = lat_deg;
    }
    double x, y;
    if (bf_geo_to_local(ld->z->frame, lat_deg, lon_deg, &x, &y) < 0) {
        coord_err(ld, pos, "position (lat %g, lon %g) cannot be projected to the site frame",
                  lat_deg, lon_deg);
        return BF_EPARSE;
    }
    if (ld->buf_n == ld->buf_cap) {
        size_t cap = ld->buf_cap ? 2 * ld->buf_cap : 64;
        double *nb = realloc(ld->buf, 2 * cap * sizeof *nb);
        if (!nb)
            return BF_ENOMEM;
        ld->buf = nb;
        ld->buf_cap = cap;
    }
    ld->buf[2 * ld->buf_n] = x;
    ld->buf[2 * ld->buf_n + 1] = y;
    ld->buf_n++;
    return 0;
}

/* ---- properties ------------------------------------------------------- */

struct props {
    const char *id;
    const char *name;
    int kind;           /* enum bf_zone_kind, or -1 if missing/unknown */
    int severity;
    int our_side;       /* +1 left, -1 right, 0 none */
};

static const cJSON *member(const cJSON *obj, const char *key)
{
    return cJSON_GetObjectItemCaseSensitive(obj, key);
}

/*
 * Text that goes into every alert, journal line and display: well-formed
 * UTF-8 (RFC 3629: no overlong form, no surrogate, at most U+10FFFF) without
 * control characters.  NULL when it is; else the reason, with the byte
 * offset of the first bad byte in *at.
 */
static const char *text_problem(const char *s, size_t *at)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s);
    for (size_t i = 0; i < n;) {
        unsigned char c = p[i];
        *at = i;
        if (c < 0x20 || c == 0x7f)
            return "a control character";
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t k = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3
                 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
        if (k == 0 || i + k > n)
            return "bytes that are not UTF-8";
        uint32_t cp = c & (k == 2 ? 0x1fu : k == 3 ? 0x0fu : 0x07u);
        for (size_t j = 1; j < k; j++) {
            if ((p[i + j] & 0xc0) != 0x80)
                return "bytes that are not UTF-8";
            cp = (cp << 6) | (p[i + j] & 0x3fu);
        }
        static const uint32_t min_cp[5] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < min_cp[k] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return "bytes that are not UTF-8";
        i += k;
    }
    return NULL;
}

/* Report key's text at node when it is not clean UTF-8 (text_problem). */
static bool text_checked(struct loader *ld, const cJSON *node, const char *key, const char *s)
{
    size_t at = 0;
    const char *why = text_problem(s, &at);
    if (!why)
        return true;
    ferr(ld, node, "\"%s\" holds %s at byte %zu: it would go into every alert and display; "
         "save the file as UTF-8 (in a GIS: export with encoding UTF-8) and remove control "
         "characters", key, why, at);
    return false;
}

/* The id (from properties, else the Feature's own "id"), checked for duplicates. */
static void read_id(struct loader *ld, int idx, const cJSON *f, const cJSON *props, struct props *p)
{
    char what[96];
    const cJSON *id = member(props, "id");
    if (!id && cJSON_IsString(member(f, "id")))
        id = member(f, "id");
    if (!id) {
        ferr(ld, props, "missing \"id\" (a unique string)");
        return;
    }
    if (!cJSON_IsString(id) || id->valuestring[0] == '\0') {
        bf_json_describe(id, what, sizeof what);
        ferr(ld, id, "\"id\" must be a non-empty string, got %s", what);
        return;
    }
    if (!text_checked(ld, id, "id", id->valuestring))
        return;
    p->id = id->valuestring;
    snprintf(ld->label, sizeof ld->label, "zone \"%.80s\"", p->id);
    if (ld->n_ids >= MAX_ID_CHECKS)
        return;   /* the file already fails for having too many zones */
    for (size_t i = 0; i < ld->n_ids; i++) {
        if (strcmp(ld->id_nodes[i]->valuestring, p->id) == 0) {
            struct bf_json_where w;
            int line = bf_json_doc_where(ld->doc, ld->id_nodes[i], &w) ? w.line : 0;
            ferr(ld, id, "duplicate id (already used by features[%d], line %d)",
                 ld->id_features[i], line);
            return;
        }
    }
    ld->id_nodes[ld->n_ids] = id;
    ld->id_features[ld->n_ids] = idx;
    ld->n_ids++;
}

static void read_props(struct loader *ld, const cJSON *props, struct props *p)
{
    char what[96];
    const cJSON *v;

    /* properties exported from a GIS (ISO codes, names in other languages, ...) are kept in
     * the file and ignored; their names are listed once when the load ends */
    bool any_unknown = false;
    for (const cJSON *c = props->child; c; c = c->next) {
        bool known = false;
        for (const char *const *k = known_props; *k; k++)
            known = known || strcmp(c->string, *k) == 0;
        if (known)
            continue;
        any_unknown = true;
        bool seen = false;
        size_t listed = ld->n_unknown < MAX_UNKNOWN_LISTED ? ld->n_unknown : MAX_UNKNOWN_LISTED;
        for (size_t i = 0; i < listed && !seen; i++)
            seen = strcmp(ld->unknown[i], c->string) == 0;
        if (seen)
            continue;
        if (ld->n_unknown < MAX_UNKNOWN_LISTED)
            ld->unknown[ld->n_unknown] = c->string;
        ld->n_unknown++;
    }
    ld->unknown_features += any_unknown;

    p->name = p->id;
    if ((v = member(props, "name")) != NULL) {
        if (cJSON_IsString(v) && v->valuestring[0] != '\0') {
            if (text_checked(ld, v, "name", v->valuestring))
                p->name = v->valuestring;
        } else {
            bf_json_describe(v, what, sizeof what);
            ferr(ld, v, "\"name\" must be a non-empty string, got %s", what);
        }
    }

    p->kind = -1;
    if ((v = member(props, "kind")) == NULL) {
        ferr(ld, props, "missing \"kind\" (border_line, buffer, restricted, no_alert or crossing_point)");
    } else if (!cJSON_IsString(v)) {
        bf_json_describe(v, what, sizeof what);
        ferr(ld, v, "\"kind\" must be a string (border_line, buffer, restricted, no_alert or crossing_point), got %s",
             what);
    } else {
        for (int k = 0; kind_names[k]; k++)
            if (strcmp(v->valuestring, kind_names[k]) == 0)
                p->kind = k;
        if (p->kind < 0)
            ferr(ld, v, "unknown kind \"%s\" (expected border_line, buffer, restricted, no_alert or crossing_point)",
                 v->valuestring);
    }

    p->severity = DEFAULT_SEVERITY;
    if ((v = member(props, "severity")) != NULL) {
        if (cJSON_IsNumber(v) && v->valuedouble >= 1 && v->valuedouble <= 4 &&
            v->valuedouble == floor(v->valuedouble)) {
            p->severity = (int)v->valuedouble;
        } else {
            bf_json_describe(v, what, sizeof what);
            ferr(ld, v, "\"severity\" must be an integer 1..4, got %s", what);
        }
    }

    p->our_side = 0;
    v = member(props, "our_side");
    if (p->kind == BF_ZONE_BORDER_LINE) {
        if (!v) {
            ferr(ld, props, "missing \"our_side\" (\"left\" or \"right\" of the line, looking from "
                            "its first vertex to its last)");
        } else if (cJSON_IsString(v) && strcmp(v->valuestring, "left") == 0) {
            p->our_side = 1;
        } else if (cJSON_IsString(v) && strcmp(v->valuestring, "right") == 0) {
            p->our_side = -1;
        } else {
            bf_json_describe(v, what, sizeof what);
            ferr(ld, v, "\"our_side\" must be \"left\" or \"right\", got %s", what);
        }
    } else if (v && p->kind >= 0) {
        ferr(ld, v, "\"our_side\" applies to border_line zones only, not %s", kind_names[p->kind]);
    }
}

/* ---- geometry ----------------------------------------------------------- */

/*
 * Append a LineString's positions (local metres) to ld->buf, dropping a point
 * equal to its predecessor (segments have non-zero length).  what is "" or
 * "part 2 " for messages.  0, BF_EPARSE (reported) or BF_ENOMEM.
 */
static int read_line_positions(struct loader *ld, const cJSON *coords, const char *what)
{
    if (!cJSON_IsArray(coords) || cJSON_GetArraySize(coords) < 2) {
        char desc[96];
        bf_json_describe(coords, desc, sizeof desc);
        ferr(ld, coords, "%sa border_line needs at least 2 points, got %s", what, desc);
        return BF_EPARSE;
    }
    size_t start = ld->buf_n;
    const cJSON *pos;
    cJSON_ArrayForEach(pos, coords)
    {
        size_t before = ld->buf_n;
        int rc = read_position(ld, pos, NULL);
        if (rc == BF_ENOMEM)
            return rc;
        if (rc == 0 && before > start && ld->buf[2 * before] == ld->buf[2 * before - 2] &&
            ld->buf[2 * before + 1] == ld->buf[2 * before - 1])
            ld->buf_n = before;
    }
    return feature_failed(ld) ? BF_EPARSE : 0;
}

/*
 * A MultiLineString border: its parts, read to local metres, are merged
 * (GEOSLineMerge) into the one line the side and crossing maths need, in the
 * direction of the first part (our_side is "left"/"right" of that direction).
 * Parts that do not join end to end into a single line are refused: such a
 * border is several lines, one zone each (borderfuse-zones --split-parts).
 * On success ld->buf holds the merged line.  0, BF_EPARSE or BF_ENOMEM.
 */
static int read_multiline(struct loader *ld, const cJSON *geom, const cJSON *coords)
{
    GEOSContextHandle_t gctx = ld->z->gctx;
    struct geom_list parts = {0};
    GEOSGeometry *multi = NULL, *merged = NULL;
    double first_xy[4] = {0};
    int rc = 0, k = 0, n = cJSON_GetArraySize(coords);

    if (n < 1) {
        ferr(ld, coords, "a MultiLineString needs at least one line");
        return BF_EPARSE;
    }
    const cJSON *part;
    cJSON_ArrayForEach(part, coords)
    {
        char what[32];
        snprintf(what, sizeof what, "part %d: ", k);
        ld->buf_n = 0;
        rc = read_line_positions(ld, part, what);
        if (rc == BF_ENOMEM)
            goto out;
        if (rc < 0 || ld->buf_n < 2) {
            if (rc == 0)
                ferr(ld, part, "%sneeds at least 2 distinct points, got %zu", what, ld->buf_n);
            rc = 0;
            k++;
            continue;
        }
        if (k == 0)
            memcpy(first_xy, ld->buf, sizeof first_xy);
        GEOSCoordSequence *seq = GEOSCoordSeq_copyFromBuffer_r(gctx, ld->buf, (unsigned)ld->buf_n,
                                                               0, 0);
        GEOSGeometry *g = seq ? GEOSGeom_createLineString_r(gctx, seq) : NULL;
        if (!g || geom_list_push(&parts, g) < 0) {
            if (g)
                GEOSGeom_destroy_r(gctx, g);
            rc = g ? BF_ENOMEM : BF_EPARSE;
            if (!g)
                ferr(ld, part, "%sGEOS cannot build it: %s", what, ld->z->geos_msg);
            goto out;
        }
        k++;
    }
    if (feature_failed(ld)) {
        rc = BF_EPARSE;
        goto out;
    }
    multi = GEOSGeom_createCollection_r(gctx, GEOS_MULTILINESTRING, parts.g, (unsigned)parts.n);
    if (multi) {
        free(parts.g);
        memset(&parts, 0, sizeof parts);
    }
    merged = multi ? GEOSLineMerge_r(gctx, multi) : NULL;
    if (!merged) {
        ferr(ld, geom, "GEOS cannot merge the MultiLineString: %s", ld->z->geos_msg);
        rc = BF_EPARSE;
        goto out;
    }
    if (GEOSGeomTypeId_r(gctx, merged) != GEOS_LINESTRING) {
        int lines = GEOSGetNumGeometries_r(gctx, merged);
        ferr(ld, geom, "the %d parts of the MultiLineString do not join end to end into one line "
             "(they make %d separate lines): make each part a border_line of its own (one zone "
             "per part: borderfuse-zones --split-parts)", n, lines);
        rc = BF_EPARSE;
        goto out;
    }
    const GEOSCoordSequence *cs = GEOSGeom_getCoordSeq_r(gctx, merged);
    unsigned m = 0;
    if (!cs || !GEOSCoordSeq_getSize_r(gctx, cs, &m) || m < 2) {
        ferr(ld, geom, "GEOS cannot read the merged line: %s", ld->z->geos_msg);
        rc = BF_EPARSE;
        goto out;
    }
    if (m > ld->buf_cap) {
        double *nb = realloc(ld->buf, 2 * (size_t)m * sizeof *nb);
        if (!nb) {
            rc = BF_ENOMEM;
            goto out;
        }
        ld->buf = nb;
        ld->buf_cap = m;
    }
    if (!GEOSCoordSeq_copyToBuffer_r(gctx, cs, ld->buf, 0, 0)) {
        ferr(ld, geom, "GEOS cannot read the merged line: %s", ld->z->geos_msg);
        rc = BF_EPARSE;
        goto out;
    }
    ld->buf_n = m;
    /* the first part's first segment appears in the merged line forwards or backwards */
    bool reverse = false;
    for (unsigned i = 0; i + 1 < m; i++) {
        const double *a = &ld->buf[2 * i];
        if (a[0] == first_xy[2] && a[1] == first_xy[3] && a[2] == first_xy[0] &&
            a[3] == first_xy[1]) {
            reverse = true;
            break;
        }
    }
    for (unsigned i = 0; reverse && i < m / 2; i++) {
        double *a = &ld->buf[2 * i], *b = &ld->buf[2 * (m - 1 - i)];
        double t0 = a[0], t1 = a[1];
        a[0] = b[0];
        a[1] = b[1];
        b[0] = t0;
        b[1] = t1;
    }
out:
    geom_list_free(gctx, &parts);
    if (multi)
        GEOSGeom_destroy_r(gctx, multi);
    if (merged)
        GEOSGeom_destroy_r(gctx, merged);
    return rc;
}

/*
 * Read a LineString (or a MultiLineString, merged) into zz->line.
 * 0, BF_EPARSE (reported) or BF_ENOMEM.
 */
static int read_line(struct loader *ld, const cJSON *geom, const cJSON *coords, bool multi,
                     struct geo_zone *zz)
{
    ld->buf_n = 0;
    int rc = multi ? read_multiline(ld, geom, coords) : read_line_positions(ld, coords, "");
    if (rc < 0)
        return rc;
    if (feature_failed(ld))
        return BF_EPARSE;
    if (ld->buf_n < 2) {
        ferr(ld, coords, "a border_line needs at least 2 distinct points, got %zu", ld->buf_n);
        return BF_EPARSE;
    }

    struct geo_line *l = &zz->line;
    l->n = ld->buf_n;
    l->xy = malloc(2 * l->n * sizeof *l->xy);
    if (!l->xy)
        return BF_ENOMEM;
    memcpy(l->xy, ld->buf, 2 * l->n * sizeof *l->xy);
    l->closed = l->n >= 4 && l->xy[0] == l->xy[2 * l->n - 2] && l->xy[1] == l->xy[2 * l->n - 1];

    /* a line that crosses itself has no consistent sides */
    GEOSContextHandle_t gctx = ld->z->gctx;
    GEOSCoordSequence *seq = GEOSCoordSeq_copyFromBuffer_r(gctx, l->xy, (unsigned)l->n, 0, 0);
    GEOSGeometry *g = seq ? GEOSGeom_createLineString_r(gctx, seq) : NULL;
    if (!g) {
        ferr(ld, geom, "GEOS cannot build the line: %s", ld->z->geos_msg);
        return BF_EPARSE;
    }
    char simple = GEOSisSimple_r(gctx, g);
    GEOSGeom_destroy_r(gctx, g);
    if (simple != 1) {
        ferr(ld, geom, "the border_line crosses or overlaps itself");
        return BF_EPARSE;
    }

    double len = 0;
    zz->x0 = zz->x1 = l->xy[0];
    zz->y0 = zz->y1 = l->xy[1];
    for (size_t i = 1; i < l->n; i++) {
        len += hypot(l->xy[2 * i] - l->xy[2 * i - 2], l->xy[2 * i + 1] - l->xy[2 * i - 1]);
        zz->x0 = fmin(zz->x0, l->xy[2 * i]);
        zz->x1 = fmax(zz->x1, l->xy[2 * i]);
        zz->y0 = fmin(zz->y0, l->xy[2 * i + 1]);
        zz->y1 = fmax(zz->y1, l->xy[2 * i + 1]);
    }
    zz->info.length_m = len;
    return bf_geo_line_index(l);
}

/*
 * Read one GeoJSON polygon (an array of rings); what is "" or "polygon 2 "
 * for messages.  On success *out is the GEOS polygon (caller owns); if the
 * feature already failed, rings are still checked but nothing is built.
 */
static int read_polygon(struct loader *ld, const cJSON *poly, const char *what,
                        GEOSGeometry **out)
{
    GEOSContextHandle_t gctx = ld->z->gctx;
    struct geom_list rings = {0};
    char desc[96];
    int rc = 0, r = 0;

    *out = NULL;
    if (!cJSON_IsArray(poly) || cJSON_GetArraySize(poly) < 1) {
        bf_json_describe(poly, desc, sizeof desc);
        ferr(ld, poly, "%sexpected an array of rings, got %s", what, desc);
        return BF_EPARSE;
    }
    const cJSON *ring;
    cJSON_ArrayForEach(ring, poly)
    {
        int n = cJSON_GetArraySize(ring);
        if (!cJSON_IsArray(ring) || n < 4) {
            bf_json_describe(ring, desc, sizeof desc);
            ferr(ld, ring, "%sring %d: a closed ring needs at least 4 positions, got %s", what, r,
                 desc);
            r++;
            continue;
        }
        ld->buf_n = 0;
        double first[2] = {0, 0}, last[2] = {0, 0};
        int i = 0;
        bool ok = true;
        const cJSON *pos;
        cJSON_ArrayForEach(pos, ring)
        {
            int prc = read_position(ld, pos, i == 0 ? first : last);
            if (prc == BF_ENOMEM) {
                rc = prc;
                goto out_free_rings;
            }
            ok = ok && prc == 0;
            i++;
        }
        if (ok && (first[0] != last[0] || first[1] != last[1]))
            ferr(ld, ring, "%sring %d is not closed (its last position must repeat the first)",
                 what, r);
        r++;
        if (feature_failed(ld))
            continue;
        GEOSCoordSequence *seq =
            GEOSCoordSeq_copyFromBuffer_r(gctx, ld->buf, (unsigned)ld->buf_n, 0, 0);
        GEOSGeometry *g = seq ? GEOSGeom_createLinearRing_r(gctx, seq) : NULL;
        if (!g) {
            ferr(ld, ring, "%sring %d: GEOS cannot build it: %s", what, r - 1, ld->z->geos_msg);
            continue;
        }
        if (geom_list_push(&rings, g) < 0) {
            GEOSGeom_destroy_r(gctx, g);
            rc = BF_ENOMEM;
            goto out_free_rings;
        }
    }
    if (feature_failed(ld)) {
        rc = BF_EPARSE;
        goto out_free_rings;
    }
    /* the polygon takes ownership of the rings, not of the array */
    *out = GEOSGeom_createPolygon_r(gctx, rings.g[0], rings.g + 1, (unsigned)(rings.n - 1));
    free(rings.g);
    if (!*out) {
        ferr(ld, poly, "%sGEOS cannot build it: %s", what, ld->z->geos_msg);
        return BF_EPARSE;
    }
    return 0;

out_free_rings:
    geom_list_free(gctx, &rings);
    return rc;
}

/* Check a built polygon zone with GEOS, then prepare it. */
static int finish_polygon(struct loader *ld, const cJSON *geom_node, struct geo_zone *zz)
{
    GEOSContextHandle_t gctx = ld->z->gctx;
    char *reason = NULL;
    GEOSGeometry *where = NULL;

    char valid = GEOSisValidDetail_r(gctx, zz->geom, 0, &reason, &where);
    if (valid != 1) {
        double x = 0, y = 0, lat = 0, lon = 0;
        bool located = where && GEOSGeomGetX_r(gctx, where, &x) == 1 &&
                       GEOSGeomGetY_r(gctx, where, &y) == 1 &&
                       bf_geo_to_wgs84(ld->z->frame, x, y, &lat, &lon) == 0;
        const char *why = valid == 0 && reason ? reason : ld->z->geos_msg;
        if (located)
            ferr(ld, geom_node, "invalid polygon: %s near lat %.7f, lon %.7f", why, lat, lon);
        else
            ferr(ld, geom_node, "invalid polygon: %s", why);
        if (reason)
            GEOSFree_r(gctx, reason);
        if (where)
            GEOSGeom_destroy_r(gctx, where);
        return BF_EPARSE;
    }
    if (reason)
        GEOSFree_r(gctx, reason);
    if (where)
        GEOSGeom_destroy_r(gctx, where);

    if (GEOSArea_r(gctx, zz->geom, &zz->info.area_m2) != 1 ||
        GEOSLength_r(gctx, zz->geom, &zz->info.length_m) != 1 ||
        GEOSGeom_getXMin_r(gctx, zz->geom, &zz->x0) != 1 ||
        GEOSGeom_getYMin_r(gctx, zz->geom, &zz->y0) != 1 ||
        GEOSGeom_getXMax_r(gctx, zz->geom, &zz->x1) != 1 ||
        GEOSGeom_getYMax_r(gctx, zz->geom, &zz->y1) != 1) {
        ferr(ld, geom_node, "GEOS cannot measure the polygon: %s", ld->z->geos_msg);
        return BF_EPARSE;
    }
    /* mean width: area over half the perimeter (a w x l rectangle: about w when thin) */
    double width_m = zz->info.length_m > 0 ? 2.0 * zz->info.area_m2 / zz->info.length_m : 0;
    if (!(zz->info.area_m2 >= MIN_AREA_M2) || !(width_m >= MIN_WIDTH_M)) {
        ferr(ld, geom_node, "the polygon has %s area (%.3g m2 over a perimeter of %.0f m, a mean "
             "width of %.3g m): its corners are repeated or on one line, so nothing can ever be "
             "inside it; draw it with at least 3 distinct corners that enclose the area",
             zz->info.area_m2 > 0 ? "almost no" : "zero", zz->info.area_m2, zz->info.length_m,
             width_m);
        return BF_EPARSE;
    }
    zz->prep = GEOSPrepare_r(gctx, zz->geom);
    if (!zz->prep) {
        ferr(ld, geom_node, "GEOS cannot prepare the polygon: %s", ld->z->geos_msg);
        return BF_EPARSE;
    }
    return 0;
}

static int read_polygons(struct loader *ld, const cJSON *geom, const cJSON *coords, bool multi,
                         struct geo_zone *zz)
{
    GEOSContextHandle_t gctx = ld->z->gctx;
    int rc;

    if (!multi) {
        rc = read_polygon(ld, coords, "", &zz->geom);
        return rc < 0 ? rc : finish_polygon(ld, geom, zz);
    }
    if (cJSON_GetArraySize(coords) < 1) {
        ferr(ld, coords, "a MultiPolygon needs at least one polygon");
        return BF_EPARSE;
    }
    struct geom_list polys = {0};
    const cJSON *poly;
    int k = 0;
    rc = 0;
    cJSON_ArrayForEach(poly, coords)
    {
        char what[32];
        snprintf(what, sizeof what, "polygon %d ", k++);
        GEOSGeometry *g;
        int prc = read_polygon(ld, poly, what, &g);
        if (prc == BF_ENOMEM) {
            rc = prc;
            goto out_free_polys;
        }
        if (prc == 0 && geom_list_push(&polys, g) < 0) {
            GEOSGeom_destroy_r(gctx, g);
            rc = BF_ENOMEM;
            goto out_free_polys;
        }
    }
    if (feature_failed(ld)) {
        rc = BF_EPARSE;
        goto out_free_polys;
    }
    zz->geom = GEOSGeom_createCollection_r(gctx, GEOS_MULTIPOLYGON, polys.g, (unsigned)polys.n);
    free(polys.g);
    if (!zz->geom) {
        ferr(ld, geom, "GEOS cannot build the MultiPolygon: %s", ld->z->geos_msg);
        return BF_EPARSE;
    }
    return finish_polygon(ld, geom, zz);

out_free_polys:
    geom_list_free(gctx, &polys);
    return rc;
}

static void zone_free(GEOSContextHandle_t gctx, struct geo_zone *zz)
{
    if (zz->prep)
        GEOSPreparedGeom_destroy_r(gctx, zz->prep);
    if (zz->geom)
        GEOSGeom_destroy_r(gctx, zz->geom);
    if (zz->tree_env)
        GEOSGeom_destroy_r(gctx, zz->tree_env);
    bf_geo_line_free(&zz->line);
    free(zz->id);
    free(zz->name);
    memset(zz, 0, sizeof *zz);
}

/*
 * Check one feature and, if it is valid, append it to z->zones.
 * Returns 0 (valid or reported), or BF_ENOMEM.
 */
static int load_feature(struct loader *ld, int idx, const cJSON *f)
{
    struct bf_geo_zones *z = ld->z;
    char what[96];
    struct props p = {0};
    int rc = 0;

    snprintf(ld->label, sizeof ld->label, "features[%d]", idx);
    ld->feature_errors0 = ld->diag->n_errors;
    ld->coord_errors = 0;

    if (!cJSON_IsObject(f)) {
        bf_json_describe(f, what, sizeof what);
        ferr(ld, f, "expected a GeoJSON Feature object, got %s", what);
        return 0;
    }
    const cJSON *type = member(f, "type");
    if (!cJSON_IsString(type) || strcmp(type->valuestring, "Feature") != 0) {
        bf_json_describe(type, what, sizeof what);
        ferr(ld, type ? type : f, "\"type\" must be \"Feature\", got %s", what);
    }
    const cJSON *props = member(f, "properties");
    if (!cJSON_IsObject(props)) {
        bf_json_describe(props, what, sizeof what);
        ferr(ld, props ? props : f, "expected \"properties\" with id, kind, ..., got %s", what);
        return 0;
    }
    read_id(ld, idx, f, props, &p);
    read_props(ld, props, &p);
    if (idx == BF_GEO_MAX_ZONES)
        ferr(ld, f, "more than %d zones (BF_GEO_MAX_ZONES): merge zones or split the site",
             BF_GEO_MAX_ZONES);
    if (p.kind < 0)
        return 0;   /* without a kind the geometry cannot be judged */

    const cJSON *geom = member(f, "geometry");
    if (!cJSON_IsObject(geom)) {
        bf_json_describe(geom, what, sizeof what);
        ferr(ld, geom ? geom : f, "expected a \"geometry\" object, got %s", what);
        return 0;
    }
    const cJSON *gtype = member(geom, "type");
    const char *gt = cJSON_IsString(gtype) ? gtype->valuestring : "";
    bool is_line = p.kind == BF_ZONE_BORDER_LINE;
    bool multi = strcmp(gt, is_line ? "MultiLineString" : "MultiPolygon") == 0;
    bool type_ok = multi || strcmp(gt, is_line ? "LineString" : "Polygon") == 0;
    if (!type_ok) {
        bf_json_describe(gtype, what, sizeof what);
        ferr(ld, gtype ? gtype : geom, "a %s zone must be a %s, got %s", kind_names[p.kind],
             is_line ? "LineString or MultiLineString" : "Polygon or MultiPolygon", what);
        return 0;
    }
    const cJSON *coords = member(geom, "coordinates");
    if (!cJSON_IsArray(coords)) {
        bf_json_describe(coords, what, sizeof what);
        ferr(ld, coords ? coords : geom, "expected \"coordinates\" as an array, got %s", what);
        return 0;
    }

    struct geo_zone *zz = &z->zones[z->n];
    memset(zz, 0, sizeof *zz);
    rc = is_line ? read_line(ld, geom, coords, multi, zz) : read_polygons(ld, geom, coords, multi, zz);
    if (rc == BF_ENOMEM)
        goto out_free_zone;
    if (rc < 0 || feature_failed(ld)) {
        rc = 0;
        goto out_free_zone;
    }
    zz->id = strdup(p.id);
    zz->name = strdup(p.name);
    if (!zz->id || !zz->name) {
        rc = BF_ENOMEM;
        goto out_free_zone;
    }
    zz->info.id = zz->id;
    zz->info.name = zz->name;
    zz->info.kind = (enum bf_zone_kind)p.kind;
    zz->info.severity = p.severity;
    zz->info.our_side = p.our_side;
    z->n++;
    return 0;

out_free_zone:
    zone_free(z->gctx, zz);
    return rc;
}

/* ---- the zone set ----------------------------------------------------- */

static void warm_up(void *item, void *userdata)
{
    (void)item;
    (void)userdata;
}

/* Masks, grown envelopes, the STRtree and its warm-up query. */
static int build_index(struct bf_geo_zones *z)
{
    double h = z->opt.hysteresis_m;
    bool first = true;

    for (size_t i = 0; i < z->n; i++) {
        struct geo_zone *zz = &z->zones[i];
        uint64_t bit = UINT64_C(1) << i;
        if (zz->info.kind == BF_ZONE_BORDER_LINE) {
            z->line_mask |= bit;
            continue;
        }
        z->poly_mask |= bit;
        if (!z->tree) {
            z->tree = GEOSSTRtree_create_r(z->gctx, 10);
            if (!z->tree)
                return BF_EGEOS;
        }
        zz->tree_env = GEOSGeom_createRectangle_r(z->gctx, zz->x0 - h, zz->y0 - h, zz->x1 + h,
                                                  zz->y1 + h);
        if (!zz->tree_env)
            return BF_EGEOS;
        GEOSSTRtree_insert_r(z->gctx, z->tree, zz->tree_env, zz);
        if (first) {
            z->px0 = zz->x0 - h;
            z->py0 = zz->y0 - h;
            z->px1 = zz->x1 + h;
            z->py1 = zz->y1 + h;
            first = false;
        } else {
            z->px0 = fmin(z->px0, zz->x0 - h);
            z->py0 = fmin(z->py0, zz->y0 - h);
            z->px1 = fmax(z->px1, zz->x1 + h);
            z->py1 = fmax(z->py1, zz->y1 + h);
        }
    }
    if (z->tree) {
        /* GEOS 3.11 builds the tree on its first query: do it now, not on a track's update */
        GEOSGeometry *pt = GEOSGeom_createPointFromXY_r(z->gctx, z->px0, z->py0);
        if (!pt)
            return BF_EGEOS;
        GEOSSTRtree_query_r(z->gctx, z->tree, pt, warm_up, NULL);
        GEOSGeom_destroy_r(z->gctx, pt);
    }
    return 0;
}

#ifndef NDEBUG
/* The invariants listed with struct bf_geo_zones in geo_int.h. */
static void zones_check(const struct bf_geo_zones *z)
{
    assert(z->n <= BF_GEO_MAX_ZONES);                                         /* (1) */
    uint64_t all = z->n == 64 ? UINT64_MAX : (UINT64_C(1) << z->n) - 1;
    assert((z->poly_mask & z->line_mask) == 0);                               /* (2) */
    assert((z->poly_mask | z->line_mask) == all);
    assert((z->tree == NULL) == (z->poly_mask == 0));                          /* (3) */
    for (size_t i = 0; i < z->n; i++) {
        const struct geo_zone *zz = &z->zones[i];
        if (z->poly_mask & (UINT64_C(1) << i)) {
            assert(zz->geom && zz->prep && zz->tree_env);
            assert(zz->x0 - z->opt.hysteresis_m >= z->px0 &&                   /* (4) */
                   zz->x1 + z->opt.hysteresis_m <= z->px1 &&
                   zz->y0 - z->opt.hysteresis_m >= z->py0 &&
                   zz->y1 + z->opt.hysteresis_m <= z->py1);
            continue;
        }
        const struct geo_line *l = &zz->line;
        assert(l->n >= 2 && l->nodes && l->n_nodes > 0);
        for (size_t k = 0; k < l->n_nodes; k++) {                              /* (5) */
            const struct geo_seg_node *nd = &l->nodes[k];
            for (uint32_t v = nd->lo; v <= nd->hi; v++)
                assert(l->xy[2 * v] >= nd->x0 && l->xy[2 * v] <= nd->x1 &&
                       l->xy[2 * v + 1] >= nd->y0 && l->xy[2 * v + 1] <= nd->y1);
            if (nd->left >= 0)
                assert(l->nodes[nd->left].lo == nd->lo && l->nodes[nd->right].hi == nd->hi &&
                       l->nodes[nd->left].hi == l->nodes[nd->right].lo);
        }
    }
}
#endif

/* The root must be a WGS84 FeatureCollection; returns its features or NULL (reported). */
static const cJSON *read_root(const struct bf_json_doc *doc, struct bf_diag *diag)
{
    char what[96];
    const cJSON *root = bf_json_doc_root(doc);
    const cJSON *type = cJSON_IsObject(root) ? member(root, "type") : NULL;
    if (!cJSON_IsString(type) || strcmp(type->valuestring, "FeatureCollection") != 0) {
        bf_json_describe(type ? type : root, what, sizeof what);
        bf_json_errorf(doc, diag, type ? type : root,
                       "expected a GeoJSON FeatureCollection (\"type\": \"FeatureCollection\"), got %s",
                       what);
        return NULL;
    }
    /* old-style GeoJSON may name its CRS: only WGS84 longitude/latitude is accepted */
    const cJSON *crs = member(root, "crs");
    const cJSON *crs_props = cJSON_IsObject(crs) ? member(crs, "properties") : NULL;
    const cJSON *crs_name = cJSON_IsObject(crs_props) ? member(crs_props, "name") : NULL;
    if (crs) {
        const char *nm = cJSON_IsString(crs_name) ? crs_name->valuestring : "";
        if (strcmp(nm, "urn:ogc:def:crs:OGC:1.3:CRS84") != 0 && strcmp(nm, "EPSG:4326") != 0 &&
            strcmp(nm, "urn:ogc:def:crs:EPSG::4326") != 0) {
            bf_json_errorf(doc, diag, crs_name ? crs_name : crs,
                           "zones must be in WGS84 longitude/latitude (CRS84), not \"%s\"", nm);
            return NULL;
        }
    }
    const cJSON *features = member(root, "features");
    if (!cJSON_IsArray(features)) {
        bf_json_describe(features, what, sizeof what);
        bf_json_errorf(doc, diag, features ? features : root,
                       "expected \"features\" as an array, got %s", what);
        return NULL;
    }
    return features;
}

/* Edit distance between short names (for a did-you-mean), capped at 9. */
static int name_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 30 || lb > 30)
        return 9;
    int row[32];
    for (size_t j = 0; j <= lb; j++)
        row[j] = (int)j;
    for (size_t i = 1; i <= la; i++) {
        int diag = row[0];
        row[0] = (int)i;
        for (size_t j = 1; j <= lb; j++) {
            int up = row[j];
            int sub = diag + (a[i - 1] != b[j - 1]);
            int best = up + 1 < row[j - 1] + 1 ? up + 1 : row[j - 1] + 1;
            row[j] = sub < best ? sub : best;
            diag = up;
        }
    }
    return row[lb] < 9 ? row[lb] : 9;
}

/*
 * The one log line listing the properties the engine ignored, with a
 * did-you-mean for a name one or two letters from a property it reads (a
 * misspelt "sevrity" leaves the default severity).
 */
static void log_unknown_props(const struct loader *ld, const char *path)
{
    if (ld->n_unknown == 0)
        return;
    char list[768];
    size_t len = 0;
    size_t listed = ld->n_unknown < MAX_UNKNOWN_LISTED ? ld->n_unknown : MAX_UNKNOWN_LISTED;
    for (size_t i = 0; i < listed && len < sizeof list; i++) {
        const char *hint = NULL;
        for (const char *const *k = known_props; *k && !hint; k++)
            if (name_distance(ld->unknown[i], *k) <= 2)
                hint = *k;
        int w = snprintf(list + len, sizeof list - len, "%s\"%.40s\"%s%s%s", i ? ", " : "",
                         ld->unknown[i], hint ? " (did you mean \"" : "", hint ? hint : "",
                         hint ? "\"?)" : "");
        if (w < 0)
            break;
        len += (size_t)w;
    }
    if (len >= sizeof list)
        len = sizeof list - 1;
    char line[1200];
    snprintf(line, sizeof line, "%s: ignoring %zu propert%s the engine does not read, in %u "
             "feature%s: %.*s%s (it reads id, name, kind, severity, our_side, description)",
             path, ld->n_unknown, ld->n_unknown == 1 ? "y" : "ies", ld->unknown_features,
             ld->unknown_features == 1 ? "" : "s", (int)len, list,
             ld->n_unknown > listed ? ", ..." : "");
    /* the engine loads its zones twice at start (the start-up checks, then for use): the
     * same line for the same file is logged once per process */
    static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
    static char last[sizeof line];
    pthread_mutex_lock(&mu);
    bool repeat = strcmp(last, line) == 0;
    if (!repeat)
        memcpy(last, line, sizeof last);
    pthread_mutex_unlock(&mu);
    if (!repeat)
        BF_LOGW("zones", "%s", line);
}

int bf_geo_zones_load(const char *path, struct bf_geo_frame *frame,
                      const struct bf_geo_zones_options *opt, struct bf_geo_zones **out,
                      struct bf_diag *diag)
{
    struct bf_diag stderr_diag = {0};
    struct bf_json_doc *doc = NULL;
    struct loader ld = {0};
    int rc;

    if (!out)
        return BF_EINVAL;
    *out = NULL;
    if (!diag)
        diag = &stderr_diag;
    if (!path || !frame) {
        bf_diag_errorf(diag, path, 0, 0, NULL, "zones: no %s given", path ? "frame" : "file");
        return BF_EINVAL;
    }
    struct bf_geo_zones_options o = {.hysteresis_m = DEFAULT_HYSTERESIS_M,
                                     .max_ttl_s = DEFAULT_MAX_TTL_S};
    if (opt) {
        o = *opt;
        if (o.max_ttl_s == 0)
            o.max_ttl_s = DEFAULT_MAX_TTL_S;
        if (!(o.hysteresis_m >= 0 && isfinite(o.hysteresis_m)) ||
            !(o.max_ttl_s > 0 && isfinite(o.max_ttl_s))) {
            bf_diag_errorf(diag, path, 0, 0, NULL,
                           "zone options: hysteresis_m (%g) must be >= 0 and max_ttl_s (%g) > 0",
                           o.hysteresis_m, o.max_ttl_s);
            return BF_EINVAL;
        }
    }
    unsigned errors0 = diag->n_errors;

    rc = bf_json_doc_load(path, &doc, diag);
    if (rc < 0)
        return rc;
    struct bf_geo_zones *z = calloc(1, sizeof *z);
    if (!z) {
        rc = BF_ENOMEM;
        goto out_free_doc;
    }
    z->frame = frame;
    z->opt = o;
    z->gctx = GEOS_init_r();
    if (!z->gctx) {
        rc = BF_ENOMEM;
        goto out_free_zones;
    }
    GEOSContext_setErrorMessageHandler_r(z->gctx, geos_error, z);

    const cJSON *features = read_root(doc, diag);
    if (!features) {
        rc = BF_EPARSE;
        goto out_free_zones;
    }
    int n_features = cJSON_GetArraySize(features);
    size_t cap = n_features > 0 ? (size_t)n_features : 1;
    z->zones = calloc(cap, sizeof *z->zones);
    ld.id_nodes = calloc(cap, sizeof *ld.id_nodes);
    ld.id_features = calloc(cap, sizeof *ld.id_features);
    if (!z->zones || !ld.id_nodes || !ld.id_features) {
        rc = BF_ENOMEM;
        goto out_free_loader;
    }
    ld.doc = doc;
    ld.diag = diag;
    ld.z = z;

    const cJSON *f;
    int idx = 0;
    cJSON_ArrayForEach(f, features)
    {
        rc = load_feature(&ld, idx++, f);
        if (rc < 0)
            goto out_free_loader;
    }
    log_unknown_props(&ld, path);
    if (diag->n_errors != errors0) {
        rc = BF_EPARSE;
        goto out_free_loader;
    }
    rc = build_index(z);
    if (rc < 0) {
        bf_json_errorf(doc, diag, NULL, "cannot index the zones: %s", z->geos_msg);
        goto out_free_loader;
    }
#ifndef NDEBUG
    zones_check(z);
#endif
    free(ld.buf);
    free(ld.id_nodes);
    free(ld.id_features);
    bf_json_doc_destroy(doc);
    *out = z;
    return 0;

out_free_loader:
    free(ld.buf);
    free(ld.id_nodes);
    free(ld.id_features);
out_free_zones:
    bf_geo_zones_destroy(z);
out_free_doc:
    bf_json_doc_destroy(doc);
    return rc;
}

void bf_geo_zones_destroy(struct bf_geo_zones *z)
{
    if (!z)
        return;
    if (z->tree)
        GEOSSTRtree_destroy_r(z->gctx, z->tree);
    for (size_t i = 0; i < z->n; i++)
        zone_free(z->gctx, &z->zones[i]);
    free(z->zones);
    if (z->gctx)
        GEOS_finish_r(z->gctx);
    free(z);
}

size_t bf_geo_zones_count(const struct bf_geo_zones *z)
{
    return z ? z->n : 0;
}

const struct bf_zone_info *bf_geo_zone_info(const struct bf_geo_zones *z, size_t idx)
{
    return z && idx < z->n ? &z->zones[idx].info : NULL;
}

int bf_geo_zone_find(const struct bf_geo_zones *z, const char *id)
{
    if (!z || !id)
        return -1;
    for (size_t i = 0; i < z->n; i++)
        if (strcmp(z->zones[i].id, id) == 0)
            return (int)i;
    return -1;
}

/* ---- RFC 7946 winding ------------------------------------------------- */

/* Twice the signed area of a GeoJSON ring in degrees (> 0: counter-clockwise); NAN if malformed. */
static double ring_signed_area2(const cJSON *ring)
{
    double sum = 0, x0 = 0, y0 = 0, px = 0, py = 0;
    int i = 0;
    const cJSON *pos;
    cJSON_ArrayForEach(pos, ring)
    {
        const cJSON *x = cJSON_GetArrayItem(pos, 0), *y = cJSON_GetArrayItem(pos, 1);
        if (!cJSON_IsNumber(x) || !cJSON_IsNumber(y))
            return NAN;
        /* about the first point, so large coordinates do not swamp the sum */
        double cx = x->valuedouble - x0, cy = y->valuedouble - y0;
        if (i == 0) {
            x0 = x->valuedouble;
            y0 = y->valuedouble;
            cx = cy = 0;
        } else {
            sum += px * cy - cx * py;
        }
        px = cx;
        py = cy;
        i++;
    }
    return sum;
}

static void reverse_array(cJSON *arr)
{
    cJSON *head = arr->child, *prev = NULL;
    if (!head)
        return;
    for (cJSON *c = head, *next; c; c = next) {
        next = c->next;
        c->next = prev;
        c->prev = next;   /* fixed below for the new head */
        prev = c;
    }
    /* cJSON: child->prev is the last item, last->next is NULL */
    arr->child = prev;
    prev->prev = head;
    head->next = NULL;
}

static int rewind_polygon(cJSON *poly)
{
    int n = 0, r = 0;
    cJSON *ring;
    cJSON_ArrayForEach(ring, poly)
    {
        double a = ring_signed_area2(ring);
        if (!isfinite(a))
            return BF_EINVAL;
        /* exterior counter-clockwise (a > 0), holes clockwise */
        if ((r == 0 && a < 0) || (r > 0 && a > 0)) {
            reverse_array(ring);
            n++;
        }
        r++;
    }
    return n;
}

int bf_geo_geojson_rewind(struct cJSON *geometry)
{
    const cJSON *type = cJSON_IsObject(geometry) ? member(geometry, "type") : NULL;
    cJSON *coords = cJSON_IsObject(geometry)
                        ? cJSON_GetObjectItemCaseSensitive(geometry, "coordinates") : NULL;
    if (!cJSON_IsString(type))
        return BF_EINVAL;
    bool multi = strcmp(type->valuestring, "MultiPolygon") == 0;
    if (!multi && strcmp(type->valuestring, "Polygon") != 0)
        return 0;
    if (!cJSON_IsArray(coords))
        return BF_EINVAL;
    if (!multi)
        return rewind_polygon(coords);
    int n = 0;
    cJSON *poly;
    cJSON_ArrayForEach(poly, coords)
    {
        int k = rewind_polygon(poly);
        if (k < 0)
            return k;
        n += k;
    }
    return n;
}
