/*
 * zones_import.c - turn a border from real GIS data into the zones GeoJSON
 * the engine reads (the library behind borderfuse-zones).
 *
 * National borders come as Shapefiles, GeoPackages, KML or OSM extracts, in
 * a national CRS, with dozens of attributes and thousands of vertices, often
 * cut into parts.  The engine wants one WGS84 LineString per border line, an
 * "our_side" relative to its direction, and only the properties it reads.
 * This file bridges the two: OGR reads and reprojects (traditional lon/lat
 * order), the features are picked by an attribute filter or a name, their
 * line parts (or polygon rings) are projected to the engine's own frame - an
 * azimuthal equidistant frame at the border's centre - and merged with GEOS
 * (or kept one zone per part), simplified topology-preservingly to a
 * tolerance in metres, and buffered.  Our side is decided by the engine's
 * own side-of-line maths: the lines are loaded with bf_geo_zones_load() and
 * bf_geo_line_side() is asked about the user's point, and the finished file
 * is loaded once more, so nothing is written that the engine would refuse.
 * Polygons are written in RFC 7946 winding.
 */
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <cpl_conv.h>
#include <cpl_error.h>
#include <gdal.h>
#include <geos_c.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

#include "core/bf_error.h"
#include "core/bf_log.h"
#include "geo/geo.h"
#include "geo/zones_import.h"

/* Attribute names listed in a "nothing matched" message. */
#define MAX_FIELDS_LISTED 40

/* One line part in WGS84: lon lat lon lat ... */
struct part {
    double *ll;
    size_t n;
};

struct importer {
    const struct bf_zones_import_options *o;
    char *err;
    size_t errlen;
    GEOSContextHandle_t gctx;
    char geos_msg[256];
    struct bf_geo_frame *frame;
    struct part *parts;
    size_t n_parts, cap_parts;
    size_t vertices_in;
    OGRFeatureH first;           /* first matched feature (owned): its attributes */
    char layer[128];
    size_t n_features;
    size_t n_empty;              /* features that matched but had no line or polygon */
};

static int fail(struct importer *im, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(struct importer *im, int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(im->err, im->errlen, fmt, ap);
    va_end(ap);
    return rc;
}

static void geos_msg(const char *message, void *userdata)
{
    struct importer *im = userdata;
    snprintf(im->geos_msg, sizeof im->geos_msg, "%s", message);
}

/* ---- picking the features --------------------------------------------- */

static bool is_name_field(const char *f)
{
    return strncasecmp(f, "name", 4) == 0;
}

/* "a, b, c" of a layer's attribute names. */
static void list_fields(OGRLayerH layer, char *out, size_t len)
{
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(layer);
    int n = OGR_FD_GetFieldCount(defn);
    size_t at = 0;
    out[0] = '\0';
    for (int i = 0; i < n && i < MAX_FIELDS_LISTED && at < len; i++) {
        int w = snprintf(out + at, len - at, "%s%s", i ? ", " : "",
                         OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(defn, i)));
        if (w < 0)
            break;
        at += (size_t)w;
    }
    if (n > MAX_FIELDS_LISTED && at < len)
        snprintf(out + at, len - at, ", ... (%d in all)", n);
    if (n == 0)
        snprintf(out, len, "(none)");
}

static bool feature_matches(const struct bf_zones_import_options *o, OGRFeatureH f)
{
    if (o->attr) {
        const char *eq = strchr(o->attr, '=');
        char field[128];
        snprintf(field, sizeof field, "%.*s", (int)(eq - o->attr), o->attr);
        int idx = OGR_F_GetFieldIndex(f, field);
        if (idx < 0 || !OGR_F_IsFieldSetAndNotNull(f, idx) ||
            strcmp(OGR_F_GetFieldAsString(f, idx), eq + 1) != 0)
            return false;
    }
    if (o->name) {
        OGRFeatureDefnH defn = OGR_F_GetDefnRef(f);
        bool hit = false;
        for (int i = 0; i < OGR_FD_GetFieldCount(defn) && !hit; i++)
            hit = is_name_field(OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(defn, i))) &&
                  OGR_F_IsFieldSetAndNotNull(f, i) &&
                  strcasecmp(OGR_F_GetFieldAsString(f, i), o->name) == 0;
        if (!hit)
            return false;
    }
    return true;
}

static int push_part(struct importer *im, OGRGeometryH g)
{
    int n = OGR_G_GetPointCount(g);
    if (n <= 0)
        return 0;
    if (im->n_parts == im->cap_parts) {
        size_t cap = im->cap_parts ? 2 * im->cap_parts : 8;
        struct part *np = realloc(im->parts, cap * sizeof *np);
        if (!np)
            return fail(im, BF_ENOMEM, "out of memory");
        im->parts = np;
        im->cap_parts = cap;
    }
    struct part *p = &im->parts[im->n_parts];
    p->ll = malloc(2 * (size_t)n * sizeof *p->ll);
    if (!p->ll)
        return fail(im, BF_ENOMEM, "out of memory");
    p->n = 0;
    for (int i = 0; i < n; i++) {
        double x = OGR_G_GetX(g, i), y = OGR_G_GetY(g, i);
        if (!(x >= -180 && x <= 180 && y >= -90 && y <= 90)) {
            free(p->ll);
            return fail(im, BF_EINVAL, "a point (%g, %g) is not longitude/latitude after "
                        "reprojection: the layer has no (or a wrong) coordinate system; give the "
                        "data its CRS (ogr2ogr -a_srs EPSG:...)", x, y);
        }
        if (p->n > 0 && p->ll[2 * p->n - 2] == x && p->ll[2 * p->n - 1] == y)
            continue;   /* repeated point */
        p->ll[2 * p->n] = x;
        p->ll[2 * p->n + 1] = y;
        p->n++;
    }
    im->vertices_in += (size_t)n;
    if (p->n < 2) {
        free(p->ll);
        return 0;
    }
    im->n_parts++;
    return 0;
}

/* The line parts of a geometry: lines as they are, polygons by their rings. */
static int collect_parts(struct importer *im, OGRGeometryH g)
{
    OGRwkbGeometryType t = wkbFlatten(OGR_G_GetGeometryType(g));
    int rc = 0;
    switch (t) {
    case wkbLineString:
    case wkbLinearRing:
        return push_part(im, g);
    case wkbPolygon:
    case wkbMultiLineString:
    case wkbMultiPolygon:
    case wkbGeometryCollection:
        for (int i = 0; i < OGR_G_GetGeometryCount(g) && rc == 0; i++)
            rc = collect_parts(im, OGR_G_GetGeometryRef(g, i));
        return rc;
    default:
        return 0;   /* points carry no line */
    }
}

/*
 * Read the matching features of one layer into im->parts.  Returns the
 * number of matching features (>= 0) or a negative BF_E*.
 */
static int read_layer(struct importer *im, OGRLayerH layer, bool only_layer)
{
    const struct bf_zones_import_options *o = im->o;
    char fields[1024];
    OGR_L_SetAttributeFilter(layer, NULL);
    if (o->where) {
        CPLErrorReset();
        if (OGR_L_SetAttributeFilter(layer, o->where) != OGRERR_NONE) {
            if (!only_layer)
                return 0;   /* another layer may have these attributes */
            list_fields(layer, fields, sizeof fields);
            char why[512];
            snprintf(why, sizeof why, "%s", CPLGetLastErrorMsg());
            size_t wl = strlen(why);
            while (wl > 0 && (why[wl - 1] == '.' || why[wl - 1] == '\n'))
                why[--wl] = '\0';
            return fail(im, BF_EINVAL, "--where \"%s\" is not a valid filter for layer \"%s\": "
                        "%s; its attributes: %s", o->where, OGR_L_GetName(layer), why, fields);
        }
    }
    OGRSpatialReferenceH wgs84 = OSRNewSpatialReference(NULL);
    OSRImportFromEPSG(wgs84, 4326);
    OSRSetAxisMappingStrategy(wgs84, OAMS_TRADITIONAL_GIS_ORDER);
    OGRSpatialReferenceH src = OGR_L_GetSpatialRef(layer);
    OGRSpatialReferenceH srcc = src ? OSRClone(src) : NULL;
    OGRCoordinateTransformationH ct = NULL;
    if (srcc) {
        OSRSetAxisMappingStrategy(srcc, OAMS_TRADITIONAL_GIS_ORDER);
        ct = OCTNewCoordinateTransformation(srcc, wgs84);
    }
    int matched = 0, rc = 0;
    if (srcc && !ct) {
        rc = fail(im, BF_EPROJ, "cannot transform layer \"%s\" to WGS84: %s", OGR_L_GetName(layer),
                  CPLGetLastErrorMsg());
        goto out;
    }
    OGR_L_ResetReading(layer);
    OGRFeatureH f;
    while (rc == 0 && (f = OGR_L_GetNextFeature(layer)) != NULL) {
        OGRGeometryH g0 = OGR_F_GetGeometryRef(f);
        if (!feature_matches(o, f)) {
            OGR_F_Destroy(f);
            continue;
        }
        if (!g0) {
            im->n_empty++;
            OGR_F_Destroy(f);
            continue;
        }
        OGRGeometryH g = OGR_G_GetLinearGeometry(g0, 0, NULL);   /* curves to lines, a copy */
        if (g && ct && OGR_G_Transform(g, ct) != OGRERR_NONE)
            rc = fail(im, BF_EPROJ, "cannot transform a feature of layer \"%s\" to WGS84: %s",
                      OGR_L_GetName(layer), CPLGetLastErrorMsg());
        if (g && rc == 0) {
            OGR_G_FlattenTo2D(g);
            size_t before = im->n_parts;
            rc = collect_parts(im, g);
            im->n_empty += rc == 0 && im->n_parts == before;
            if (rc == 0 && im->n_parts > before) {
                matched++;
                if (!im->first) {
                    im->first = f;
                    f = NULL;
                }
            }
        }
        if (g)
            OGR_G_DestroyGeometry(g);
        if (f)
            OGR_F_Destroy(f);
    }
out:
    if (ct)
        OCTDestroyCoordinateTransformation(ct);
    if (srcc)
        OSRDestroySpatialReference(srcc);
    OSRDestroySpatialReference(wgs84);
    return rc < 0 ? rc : matched;
}

/* Nothing usable matched: say whether features matched with no line, or none matched at all. */
static int no_match(struct importer *im, const char *src, const char *what, const char *fields)
{
    const struct bf_zones_import_options *o = im->o;
    if (im->n_empty > 0)
        return fail(im, BF_EINVAL, "%s: %zu feature%s matched but %s empty geometry (no line or "
                    "polygon, or fewer than 2 distinct points)", src, im->n_empty,
                    im->n_empty == 1 ? "" : "s", im->n_empty == 1 ? "has" : "have");
    return fail(im, BF_EINVAL, "%s: no feature matched%s%s%s%s%s; attributes available: %s", src,
                o->where ? " --where" : "", o->attr ? " --attr" : "", o->name ? " --name" : "",
                what[0] ? " in " : "", what, fields);
}

static int read_source(struct importer *im, GDALDatasetH ds, const char *src)
{
    const struct bf_zones_import_options *o = im->o;
    int n_layers = GDALDatasetGetLayerCount(ds);
    char names[1024] = "", fields[1024];
    size_t at = 0;
    for (int i = 0; i < n_layers && at < sizeof names; i++) {
        int w = snprintf(names + at, sizeof names - at, "%s%s", i ? ", " : "",
                         OGR_L_GetName(GDALDatasetGetLayer(ds, i)));
        at += w > 0 ? (size_t)w : 0;
    }
    if (o->layer) {
        OGRLayerH layer = GDALDatasetGetLayerByName(ds, o->layer);
        if (!layer)
            return fail(im, BF_EINVAL, "%s: no layer \"%s\" (layers: %s)", src, o->layer, names);
        int rc = read_layer(im, layer, true);
        if (rc < 0)
            return rc;
        snprintf(im->layer, sizeof im->layer, "%s", o->layer);
        im->n_features = (size_t)rc;
        if (rc == 0) {
            char what[160];
            snprintf(what, sizeof what, "layer \"%s\"", o->layer);
            list_fields(layer, fields, sizeof fields);
            return no_match(im, src, what, fields);
        }
        return 0;
    }
    char tried[2048] = "";
    at = 0;
    for (int i = 0; i < n_layers; i++) {
        OGRLayerH layer = GDALDatasetGetLayer(ds, i);
        int rc = read_layer(im, layer, n_layers == 1);
        if (rc < 0)
            return rc;
        if (rc > 0) {
            snprintf(im->layer, sizeof im->layer, "%s", OGR_L_GetName(layer));
            im->n_features = (size_t)rc;
            return 0;
        }
        list_fields(layer, fields, sizeof fields);
        if (at < sizeof tried) {
            int w = snprintf(tried + at, sizeof tried - at, "%slayer \"%s\": %s", i ? "; " : "",
                             OGR_L_GetName(layer), fields);
            at += w > 0 ? (size_t)w : 0;
        }
    }
    if (n_layers == 0)
        return fail(im, BF_EINVAL, "%s: no vector layers", src);
    return no_match(im, src, "", tried);
}

/* ---- geometry in the metric frame ------------------------------------- */

static GEOSGeometry *part_line(struct importer *im, const struct part *p)
{
    double *xy = malloc(2 * p->n * sizeof *xy);
    if (!xy)
        return NULL;
    size_t m = 0;
    for (size_t i = 0; i < p->n; i++) {
        if (bf_geo_to_local(im->frame, p->ll[2 * i + 1], p->ll[2 * i], &xy[2 * m],
                            &xy[2 * m + 1]) < 0) {
            free(xy);
            return NULL;
        }
        if (m > 0 && xy[2 * m] == xy[2 * m - 2] && xy[2 * m + 1] == xy[2 * m - 1])
            continue;
        m++;
    }
    GEOSCoordSequence *seq = m >= 2 ? GEOSCoordSeq_copyFromBuffer_r(im->gctx, xy, (unsigned)m, 0, 0)
                                    : NULL;
    free(xy);
    return seq ? GEOSGeom_createLineString_r(im->gctx, seq) : NULL;
}

/* Merge the parts into one line, in the direction of the first part. */
static int merge_parts(struct importer *im, GEOSGeometry **lines, size_t n, GEOSGeometry **out)
{
    GEOSContextHandle_t g = im->gctx;
    *out = NULL;
    double a[2], b[2];
    const GEOSCoordSequence *cs0 = GEOSGeom_getCoordSeq_r(g, lines[0]);
    GEOSCoordSeq_getXY_r(g, cs0, 0, &a[0], &a[1]);
    GEOSCoordSeq_getXY_r(g, cs0, 1, &b[0], &b[1]);
    GEOSGeometry *multi = GEOSGeom_createCollection_r(g, GEOS_MULTILINESTRING, lines, (unsigned)n);
    if (!multi)
        return fail(im, BF_EGEOS, "GEOS cannot collect the parts: %s", im->geos_msg);
    GEOSGeometry *merged = GEOSLineMerge_r(g, multi);
    GEOSGeom_destroy_r(g, multi);
    if (!merged)
        return fail(im, BF_EGEOS, "GEOS cannot merge the parts: %s", im->geos_msg);
    if (GEOSGeomTypeId_r(g, merged) != GEOS_LINESTRING) {
        int k = GEOSGetNumGeometries_r(g, merged);
        GEOSGeom_destroy_r(g, merged);
        return fail(im, BF_EINVAL, "the %zu parts do not join end to end into one line (they make "
                    "%d separate lines): give --split-parts for one border_line zone per part, or "
                    "pick fewer features", n, k);
    }
    const GEOSCoordSequence *cs = GEOSGeom_getCoordSeq_r(g, merged);
    unsigned m = 0;
    GEOSCoordSeq_getSize_r(g, cs, &m);
    bool reverse = false;
    for (unsigned i = 0; i + 1 < m && !reverse; i++) {
        double p[2], q[2];
        GEOSCoordSeq_getXY_r(g, cs, i, &p[0], &p[1]);
        GEOSCoordSeq_getXY_r(g, cs, i + 1, &q[0], &q[1]);
        reverse = p[0] == b[0] && p[1] == b[1] && q[0] == a[0] && q[1] == a[1];
    }
    if (reverse) {
        GEOSGeometry *r = GEOSReverse_r(g, merged);
        GEOSGeom_destroy_r(g, merged);
        merged = r;
        if (!merged)
            return fail(im, BF_EGEOS, "GEOS cannot reverse the line: %s", im->geos_msg);
    }
    *out = merged;
    return 0;
}

/* A GeoJSON coordinate array of a GEOS line or ring, in WGS84. */
static cJSON *coords_json(struct importer *im, const GEOSGeometry *line, size_t *n_out)
{
    const GEOSCoordSequence *cs = GEOSGeom_getCoordSeq_r(im->gctx, line);
    unsigned m = 0;
    if (!cs || !GEOSCoordSeq_getSize_r(im->gctx, cs, &m))
        return NULL;
    cJSON *arr = cJSON_CreateArray();
    for (unsigned i = 0; arr && i < m; i++) {
        double x, y, lat, lon;
        GEOSCoordSeq_getXY_r(im->gctx, cs, i, &x, &y);
        if (bf_geo_to_wgs84(im->frame, x, y, &lat, &lon) < 0) {
            cJSON_Delete(arr);
            return NULL;
        }
        cJSON *pos = cJSON_CreateArray();
        cJSON_AddItemToArray(pos, cJSON_CreateNumber(lon));
        cJSON_AddItemToArray(pos, cJSON_CreateNumber(lat));
        cJSON_AddItemToArray(arr, pos);
    }
    if (n_out)
        *n_out = m;
    return arr;
}

/* A GeoJSON Polygon / MultiPolygon of a polygonal GEOS geometry, NULL if it is not polygonal. */
static cJSON *polygon_json(struct importer *im, const GEOSGeometry *geom)
{
    GEOSContextHandle_t g = im->gctx;
    int t = GEOSGeomTypeId_r(g, geom);
    if (t != GEOS_POLYGON && t != GEOS_MULTIPOLYGON)
        return NULL;
    cJSON *obj = cJSON_CreateObject();
    cJSON_AddStringToObject(obj, "type", t == GEOS_POLYGON ? "Polygon" : "MultiPolygon");
    cJSON *coords = cJSON_AddArrayToObject(obj, "coordinates");
    int np = t == GEOS_POLYGON ? 1 : GEOSGetNumGeometries_r(g, geom);
    for (int i = 0; i < np; i++) {
        const GEOSGeometry *poly = t == GEOS_POLYGON ? geom : GEOSGetGeometryN_r(g, geom, i);
        cJSON *rings = t == GEOS_POLYGON ? coords : cJSON_CreateArray();
        cJSON *ring = coords_json(im, GEOSGetExteriorRing_r(g, poly), NULL);
        if (!ring) {
            cJSON_Delete(obj);
            return NULL;
        }
        cJSON_AddItemToArray(rings, ring);
        for (int k = 0; k < GEOSGetNumInteriorRings_r(g, poly); k++) {
            ring = coords_json(im, GEOSGetInteriorRingN_r(g, poly, k), NULL);
            if (!ring) {
                cJSON_Delete(obj);
                return NULL;
            }
            cJSON_AddItemToArray(rings, ring);
        }
        if (t != GEOS_POLYGON)
            cJSON_AddItemToArray(coords, rings);
    }
    bf_geo_geojson_rewind(obj);
    return obj;
}

/* The buffer on our side (or both): single-sided buffers are to the left for d > 0. */
static GEOSGeometry *buffer_line(struct importer *im, const GEOSGeometry *line, int our_side)
{
    GEOSContextHandle_t g = im->gctx;
    GEOSBufferParams *bp = GEOSBufferParams_create_r(g);
    if (!bp)
        return NULL;
    GEOSBufferParams_setEndCapStyle_r(g, bp, GEOSBUF_CAP_FLAT);
    GEOSBufferParams_setJoinStyle_r(g, bp, GEOSBUF_JOIN_ROUND);
    GEOSBufferParams_setQuadrantSegments_r(g, bp, 8);
    double d = im->o->buffer_m;
    if (!im->o->buffer_both_sides) {
        GEOSBufferParams_setSingleSided_r(g, bp, 1);
        d = our_side > 0 ? d : -d;
    }
    GEOSGeometry *b = GEOSBufferWithParams_r(g, line, bp, d);
    GEOSBufferParams_destroy_r(g, bp);
    if (!b)
        return NULL;
    GEOSGeometry *v = GEOSMakeValid_r(g, b);
    GEOSGeom_destroy_r(g, b);
    return v;
}

/* ---- writing ---------------------------------------------------------- */

static void add_field(cJSON *props, const char *dst, OGRFeatureH f, int idx)
{
    cJSON_DeleteItemFromObjectCaseSensitive(props, dst);
    if (!OGR_F_IsFieldSetAndNotNull(f, idx))
        return;
    OGRFieldType t = OGR_Fld_GetType(OGR_F_GetFieldDefnRef(f, idx));
    if (t == OFTInteger || t == OFTInteger64)
        cJSON_AddNumberToObject(props, dst, (double)OGR_F_GetFieldAsInteger64(f, idx));
    else if (t == OFTReal)
        cJSON_AddNumberToObject(props, dst, OGR_F_GetFieldAsDouble(f, idx));
    else
        cJSON_AddStringToObject(props, dst, OGR_F_GetFieldAsString(f, idx));
}

/* Kept and mapped source properties onto a border line's properties. */
static int copy_props(struct importer *im, cJSON *props)
{
    const struct bf_zones_import_options *o = im->o;
    OGRFeatureH f = im->first;
    for (size_t i = 0; i < o->n_keep_props; i++) {
        int idx = OGR_F_GetFieldIndex(f, o->keep_props[i]);
        if (idx < 0)
            return fail(im, BF_EINVAL, "--keep-prop: no attribute \"%s\"", o->keep_props[i]);
        add_field(props, o->keep_props[i], f, idx);
    }
    for (size_t i = 0; i < o->n_map_props; i++) {
        const char *eq = strchr(o->map_props[i], '=');
        char srcf[128];
        snprintf(srcf, sizeof srcf, "%.*s", eq ? (int)(eq - o->map_props[i]) : 0, o->map_props[i]);
        int idx = eq && eq[1] ? OGR_F_GetFieldIndex(f, srcf) : -1;
        if (idx < 0)
            return fail(im, BF_EINVAL, "--map-prop \"%s\": %s", o->map_props[i],
                        eq && eq[1] ? "no such attribute" : "expected SRC=DST");
        if (strcmp(eq + 1, "kind") == 0 || strcmp(eq + 1, "our_side") == 0 ||
            strcmp(eq + 1, "id") == 0)
            return fail(im, BF_EINVAL, "--map-prop \"%s\": \"%s\" is set by the importer (use "
                        "--id for the id)", o->map_props[i], eq + 1);
        add_field(props, eq + 1, f, idx);
    }
    return 0;
}

/* The file text: one feature per line, so that the loader's line numbers point at a zone. */
static char *print_collection(cJSON *features)
{
    size_t cap = 256, len = 0;
    char *out = malloc(cap);
    if (!out)
        return NULL;
    len = (size_t)snprintf(out, cap, "{\"type\": \"FeatureCollection\", \"features\": [\n");
    cJSON *f;
    cJSON_ArrayForEach(f, features)
    {
        char *txt = cJSON_PrintUnformatted(f);
        if (!txt) {
            free(out);
            return NULL;
        }
        size_t tl = strlen(txt);
        if (len + tl + 16 > cap) {
            cap = 2 * (len + tl + 16);
            char *no = realloc(out, cap);
            if (!no) {
                free(txt);
                free(out);
                return NULL;
            }
            out = no;
        }
        len += (size_t)snprintf(out + len, cap - len, "%s%s\n", txt, f->next ? "," : "");
        free(txt);
    }
    if (len + 8 > cap) {
        char *no = realloc(out, len + 8);
        if (!no) {
            free(out);
            return NULL;
        }
        out = no;
    }
    snprintf(out + len, 8, "]}\n");
    return out;
}

struct check_diag {
    char *err;
    size_t errlen;
    bool any;
};

static void check_report(void *ctx, const char *file, int line, int col, const char *path,
                         const char *msg)
{
    struct check_diag *c = ctx;
    (void)file;
    if (c->any)
        return;
    c->any = true;
    snprintf(c->err, c->errlen, "the engine would refuse the result (line %d:%d, %s): %s", line,
             col, path ? path : "", msg);
}

/* Load text with the engine's loader (through a temporary file). */
static int engine_load(struct importer *im, const char *text, struct bf_geo_zones **z)
{
    const char *tmp = getenv("TMPDIR");
    char path[512];
    snprintf(path, sizeof path, "%s/bf-zones-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    int fd = mkstemp(path);
    if (fd < 0)
        return fail(im, BF_EIO, "cannot create a temporary file in %s", tmp ? tmp : "/tmp");
    FILE *fp = fdopen(fd, "w");
    bool ok = fp && fputs(text, fp) >= 0;
    ok = fp && fclose(fp) == 0 && ok;
    if (!fp)
        close(fd);
    struct check_diag cd = {.err = im->err, .errlen = im->errlen};
    struct bf_diag d = {.report = check_report, .ctx = &cd};
    /* the loader's warning about the properties kept on purpose is not news here */
    enum bf_log_level level = bf_log_get_level();
    if (level > BF_LOG_ERROR)
        bf_log_set_level(BF_LOG_ERROR);
    int rc = ok ? bf_geo_zones_load(path, im->frame, NULL, z, &d) : BF_EIO;
    bf_log_set_level(level);
    unlink(path);
    if (!ok)
        return fail(im, BF_EIO, "cannot write a temporary file");
    if (rc < 0 && !cd.any)
        fail(im, rc, "the engine cannot load the result (error %d)", rc);
    return rc < 0 ? BF_EINVAL : 0;
}

static cJSON *zone_feature(const char *id, const char *name, const char *kind, int severity,
                           cJSON *geometry)
{
    cJSON *f = cJSON_CreateObject();
    cJSON_AddStringToObject(f, "type", "Feature");
    cJSON *p = cJSON_AddObjectToObject(f, "properties");
    cJSON_AddStringToObject(p, "id", id);
    cJSON_AddStringToObject(p, "name", name);
    cJSON_AddStringToObject(p, "kind", kind);
    if (severity > 0)
        cJSON_AddNumberToObject(p, "severity", severity);
    cJSON_AddItemToObject(f, "geometry", geometry);
    return f;
}

static int check_options(struct importer *im)
{
    const struct bf_zones_import_options *o = im->o;
    if (o->attr && (!strchr(o->attr, '=') || o->attr[0] == '='))
        return fail(im, BF_EINVAL, "--attr \"%s\": expected NAME=VALUE", o->attr);
    if (o->attr && strchr(o->attr, '=') - o->attr >= 127)
        return fail(im, BF_EINVAL, "--attr: attribute name too long");
    if (!(o->simplify_m >= 0 && isfinite(o->simplify_m)))
        return fail(im, BF_EINVAL, "--simplify-m must be >= 0 metres, got %g", o->simplify_m);
    if (!(o->buffer_m >= 0 && isfinite(o->buffer_m)))
        return fail(im, BF_EINVAL, "--buffer-m must be >= 0 metres, got %g", o->buffer_m);
    if (o->severity < 0 || o->severity > 4)
        return fail(im, BF_EINVAL, "--severity must be 1..4, got %d", o->severity);
    if (!o->have_our_side)
        return fail(im, BF_EINVAL, "--our-side LAT,LON is required: a point you know is on our "
                    "side of the border (which side is ours cannot be guessed from the data)");
    if (!(fabs(o->our_lat_deg) <= 90 && fabs(o->our_lon_deg) <= 180))
        return fail(im, BF_EINVAL, "--our-side %g,%g: latitude must be -90..90 and longitude "
                    "-180..180 (LAT,LON in that order)", o->our_lat_deg, o->our_lon_deg);
    return 0;
}

/* A name from the first matched feature's name field, or NULL. */
static const char *feature_name(const struct importer *im)
{
    OGRFeatureDefnH defn = OGR_F_GetDefnRef(im->first);
    for (int i = 0; i < OGR_FD_GetFieldCount(defn); i++) {
        if (strcasecmp(OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(defn, i)), "name") == 0 &&
            OGR_F_IsFieldSetAndNotNull(im->first, i) && OGR_F_GetFieldAsString(im->first, i)[0])
            return OGR_F_GetFieldAsString(im->first, i);
    }
    return NULL;
}

/* The metric frame: the engine's default (aeqd) at the centre of the parts' box. */
static int make_frame(struct importer *im)
{
    double lon0 = im->parts[0].ll[0], lon1 = lon0, lat0 = im->parts[0].ll[1], lat1 = lat0;
    for (size_t i = 0; i < im->n_parts; i++)
        for (size_t k = 0; k < im->parts[i].n; k++) {
            lon0 = fmin(lon0, im->parts[i].ll[2 * k]);
            lon1 = fmax(lon1, im->parts[i].ll[2 * k]);
            lat0 = fmin(lat0, im->parts[i].ll[2 * k + 1]);
            lat1 = fmax(lat1, im->parts[i].ll[2 * k + 1]);
        }
    char ferr[256];
    if (bf_geo_frame_create((lat0 + lat1) / 2, (lon0 + lon1) / 2, NULL, &im->frame, ferr,
                            sizeof ferr) < 0)
        return fail(im, BF_EPROJ, "cannot build a metric frame at the border: %s", ferr);
    return 0;
}

/*
 * The parts as lines in the metric frame, merged into one unless
 * --split-parts, simplified with --simplify-m.  *lines_out and *n_out are
 * set from the start: the caller frees those lines, also after an error.
 */
static int make_lines(struct importer *im, GEOSGeometry ***lines_out, size_t *n_out)
{
    const struct bf_zones_import_options *o = im->o;
    GEOSContextHandle_t g = im->gctx;
    GEOSGeometry **lines = calloc(im->n_parts, sizeof *lines);
    *lines_out = lines;
    *n_out = 0;
    if (!lines)
        return fail(im, BF_ENOMEM, "out of memory");
    for (size_t i = 0; i < im->n_parts; i++) {
        lines[*n_out] = part_line(im, &im->parts[i]);
        if (!lines[*n_out])
            return fail(im, BF_EGEOS, "part %zu: cannot build the line in the metric frame: %s",
                        i, im->geos_msg);
        (*n_out)++;
    }
    if (!o->split_parts && *n_out > 1) {
        GEOSGeometry *merged;
        int rc = merge_parts(im, lines, *n_out, &merged);
        if (rc < 0) {
            if (rc == BF_EGEOS || rc == BF_EINVAL)
                *n_out = 0;   /* the collection took the lines whether or not the merge worked */
            return rc;
        }
        lines[0] = merged;
        *n_out = 1;
    }
    size_t n_lines = *n_out, n_zones = n_lines * (o->buffer_m > 0 ? 2 : 1);
    if (n_zones > BF_GEO_MAX_ZONES)
        return fail(im, BF_EINVAL, "%zu zones (%zu lines) is more than the engine's %d: merge "
                    "the parts (no --split-parts) or pick fewer features", n_zones, n_lines,
                    BF_GEO_MAX_ZONES);
    for (size_t i = 0; o->simplify_m > 0 && i < n_lines; i++) {
        GEOSGeometry *s = GEOSTopologyPreserveSimplify_r(g, lines[i], o->simplify_m);
        if (!s)
            return fail(im, BF_EGEOS, "GEOS cannot simplify: %s", im->geos_msg);
        GEOSGeom_destroy_r(g, lines[i]);
        lines[i] = s;
    }
    return 0;
}

/* One border_line feature per line into features, our_side "left" for now; *vertices counts
 * their vertices. */
static int add_border_lines(struct importer *im, GEOSGeometry **lines, size_t n_lines,
                            const char *id, const char *name, cJSON *features, size_t *vertices)
{
    for (size_t i = 0; i < n_lines; i++) {
        char zid[160], zname[300];
        snprintf(zid, sizeof zid, n_lines > 1 ? "%s-%zu" : "%s", id, i + 1);
        snprintf(zname, sizeof zname, n_lines > 1 ? "%s (part %zu)" : "%s", name, i + 1);
        size_t nv = 0;
        cJSON *coords = coords_json(im, lines[i], &nv);
        if (!coords)
            return fail(im, BF_EPROJ, "cannot project the line back to WGS84");
        *vertices += nv;
        cJSON *geom = cJSON_CreateObject();
        cJSON_AddStringToObject(geom, "type", "LineString");
        cJSON_AddItemToObject(geom, "coordinates", coords);
        cJSON *f = zone_feature(zid, zname, "border_line", im->o->severity, geom);
        cJSON_AddStringToObject(cJSON_GetObjectItem(f, "properties"), "our_side", "left");
        cJSON_AddItemToArray(features, f);
    }
    return 0;
}

/*
 * Which side of each border line of features is ours, by the engine's own
 * side-of-line maths: side[i] +1 (left) or -1 (right), written into the
 * feature's our_side, with the kept and mapped properties copied.
 */
static int our_sides(struct importer *im, cJSON *features, size_t n_lines, int *side)
{
    const struct bf_zones_import_options *o = im->o;
    struct bf_geo_zones *z = NULL;
    char *text = print_collection(features);
    if (!text)
        return fail(im, BF_ENOMEM, "out of memory");
    int rc = engine_load(im, text, &z);
    free(text);
    if (rc < 0)
        return rc;
    double pe, pn;
    if (bf_geo_to_local(im->frame, o->our_lat_deg, o->our_lon_deg, &pe, &pn) < 0) {
        rc = fail(im, BF_EPROJ, "--our-side %g,%g cannot be projected", o->our_lat_deg,
                  o->our_lon_deg);
        goto out;
    }
    for (size_t i = 0; i < n_lines; i++) {
        side[i] = bf_geo_line_side(z, i, pe, pn);   /* +1: left is ours */
        if (side[i] == 0) {
            rc = fail(im, BF_EINVAL, "--our-side %.7f,%.7f lies on the border line%s: give a "
                      "point clearly on our side", o->our_lat_deg, o->our_lon_deg,
                      n_lines > 1 ? " (a part of it)" : "");
            goto out;
        }
        cJSON *props = cJSON_GetObjectItem(cJSON_GetArrayItem(features, (int)i), "properties");
        cJSON_ReplaceItemInObjectCaseSensitive(props, "our_side",
                                               cJSON_CreateString(side[i] > 0 ? "left" : "right"));
        rc = copy_props(im, props);
        if (rc < 0)
            goto out;
    }
out:
    bf_geo_zones_destroy(z);
    return rc;
}

/* With --buffer-m: a buffer zone per line, on our side (or both), into features. */
static int add_buffers(struct importer *im, GEOSGeometry **lines, size_t n_lines,
                       const int *side, const char *id, const char *name, cJSON *features)
{
    const struct bf_zones_import_options *o = im->o;
    for (size_t i = 0; o->buffer_m > 0 && i < n_lines; i++) {
        GEOSGeometry *b = buffer_line(im, lines[i], side[i]);
        cJSON *geom = b ? polygon_json(im, b) : NULL;
        if (b)
            GEOSGeom_destroy_r(im->gctx, b);
        if (!geom)
            return fail(im, BF_EGEOS, "cannot buffer the line by %g m into a polygon: %s",
                        o->buffer_m, im->geos_msg);
        char zid[200], zname[400];
        snprintf(zid, sizeof zid, n_lines > 1 ? "%s-%zu-buffer" : "%s-buffer", id, i + 1);
        snprintf(zname, sizeof zname, "%s: %g m %s", name, o->buffer_m,
                 o->buffer_both_sides ? "either side" : "on our side");
        cJSON_AddItemToArray(features, zone_feature(zid, zname, "buffer", 0, geom));
    }
    return 0;
}

static int build(struct importer *im, char **geojson, struct bf_zones_import_report *rep)
{
    const struct bf_zones_import_options *o = im->o;
    GEOSGeometry **lines = NULL;
    size_t n_lines = 0, vertices_out = 0;
    cJSON *features = NULL;
    char *text = NULL;
    int *side = NULL;
    struct bf_geo_zones *z = NULL;
    int rc = make_frame(im);
    if (rc < 0)
        return rc;
    rc = make_lines(im, &lines, &n_lines);
    if (rc < 0)
        goto out;
    const char *id = o->id ? o->id : "border";
    const char *name = o->zone_name ? o->zone_name : feature_name(im);
    name = name ? name : id;
    features = cJSON_CreateArray();
    side = calloc(n_lines ? n_lines : 1, sizeof *side);
    if (!features || !side) {
        rc = fail(im, BF_ENOMEM, "out of memory");
        goto out;
    }
    rc = add_border_lines(im, lines, n_lines, id, name, features, &vertices_out);
    if (rc == 0)
        rc = our_sides(im, features, n_lines, side);
    if (rc < 0)
        goto out;
    if (rep)
        snprintf(rep->our_side, sizeof rep->our_side, "%s", side[0] > 0 ? "left" : "right");
    rc = add_buffers(im, lines, n_lines, side, id, name, features);
    if (rc < 0)
        goto out;
    text = print_collection(features);
    if (!text) {
        rc = fail(im, BF_ENOMEM, "out of memory");
        goto out;
    }
    rc = engine_load(im, text, &z);   /* the final check: exactly what the engine will do */
    if (rc < 0)
        goto out;
    if (rep) {
        rep->n_lines = n_lines;
        rep->n_zones = bf_geo_zones_count(z);
        rep->vertices_out = vertices_out;
    }
    *geojson = text;
    text = NULL;
out:
    bf_geo_zones_destroy(z);
    free(text);
    free(side);
    cJSON_Delete(features);
    for (size_t i = 0; i < n_lines; i++)
        GEOSGeom_destroy_r(im->gctx, lines[i]);
    free(lines);
    return rc;
}

int bf_zones_import(const char *src, const struct bf_zones_import_options *o, char **geojson,
                    struct bf_zones_import_report *rep, char *err, size_t errlen)
{
    char errbuf[8];
    struct importer im = {.o = o, .err = err ? err : errbuf,
                          .errlen = err ? errlen : sizeof errbuf};
    if (errlen && err)
        err[0] = '\0';
    if (rep)
        memset(rep, 0, sizeof *rep);
    if (!src || !o || !geojson)
        return fail(&im, BF_EINVAL, "no source, options or output given");
    *geojson = NULL;
    int rc = check_options(&im);
    if (rc < 0)
        return rc;

    GDALAllRegister();
    CPLPushErrorHandler(CPLQuietErrorHandler);
    GDALDatasetH ds = GDALOpenEx(src, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, NULL, NULL);
    if (!ds) {
        rc = fail(&im, BF_EIO, "cannot open \"%s\" as vector GIS data: %s", src,
                  CPLGetLastErrorMsg()[0] ? CPLGetLastErrorMsg() : "unknown format");
        CPLPopErrorHandler();
        return rc;
    }
    im.gctx = GEOS_init_r();
    if (!im.gctx) {
        rc = fail(&im, BF_ENOMEM, "cannot start GEOS");
        goto out;
    }
    GEOSContext_setErrorMessageHandler_r(im.gctx, geos_msg, &im);
    rc = read_source(&im, ds, src);
    if (rc < 0)
        goto out;
    if (im.n_parts == 0) {
        rc = fail(&im, BF_EINVAL, "%s: the matched features have empty geometry", src);
        goto out;
    }
    if (rep) {
        snprintf(rep->layer, sizeof rep->layer, "%s", im.layer);
        rep->n_features = im.n_features;
        rep->n_parts = im.n_parts;
        rep->vertices_in = im.vertices_in;
    }
    rc = build(&im, geojson, rep);
out:
    CPLPopErrorHandler();
    for (size_t i = 0; i < im.n_parts; i++)
        free(im.parts[i].ll);
    free(im.parts);
    if (im.first)
        OGR_F_Destroy(im.first);
    bf_geo_frame_destroy(im.frame);
    if (im.gctx)
        GEOS_finish_r(im.gctx);
    GDALClose(ds);
    return rc;
}
