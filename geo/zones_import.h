/*
 * zones_import.h - the zones GeoJSON from real GIS data (borderfuse-zones).
 *
 * A site engineer has the border as GIS data: a Shapefile, GeoPackage,
 * GeoJSON, KML or OSM extract, in whatever CRS it came in.  This reads it
 * through GDAL/OGR, picks the border feature(s), reprojects them to WGS84
 * lon/lat, merges or splits the parts, simplifies and buffers in a metric
 * frame, works out our_side from a point the user knows is ours, and writes
 * the zones file bf_geo_zones_load() reads - loaded once by that loader
 * before it is returned, so what comes out is what the engine accepts.
 */
#ifndef BF_ZONES_IMPORT_H
#define BF_ZONES_IMPORT_H

#include <stdbool.h>
#include <stddef.h>

struct bf_zones_import_options {
    const char *layer;        /* layer name; NULL: every layer, the first with a match is used */
    const char *where;        /* OGR SQL attribute filter ("ISO_A2 = 'CH'"), or NULL */
    const char *attr;         /* "FIELD=VALUE": exact match of the field as text, or NULL */
    const char *name;         /* a feature whose name field (name, NAME, name_en, ...) equals this,
                                 case-insensitively, or NULL */
    bool split_parts;         /* one border_line per part instead of merging them into one */
    double simplify_m;        /* topology-preserving simplification tolerance; 0: none */
    double buffer_m;          /* > 0: also a "buffer" zone this wide on our side */
    bool buffer_both_sides;   /* ... on both sides of the line */
    bool have_our_side;       /* our_lat_deg / our_lon_deg given (required) */
    double our_lat_deg, our_lon_deg;   /* a point on our side of the border */
    const char *id;           /* zone id; NULL: "border" */
    const char *zone_name;    /* zone name; NULL: the feature's name field, else the id */
    int severity;             /* 1..4, 0: leave the engine's default */
    const char *const *keep_props;   /* source fields copied under their own name */
    size_t n_keep_props;
    const char *const *map_props;    /* "SRC=DST": source field SRC written as property DST */
    size_t n_map_props;
};

struct bf_zones_import_report {
    char layer[128];          /* the layer the features came from */
    size_t n_features;        /* features matched */
    size_t n_parts;           /* line parts read from them */
    size_t n_lines;           /* border lines written (1 unless split_parts) */
    size_t n_zones;           /* zones written (lines + buffers) */
    size_t vertices_in;       /* vertices of the parts as read */
    size_t vertices_out;      /* vertices of the border lines written */
    char our_side[8];         /* "left" / "right" of the (first) line */
};

/*
 * Import the border from the OGR data source src with options o and return
 * the zones GeoJSON text in *geojson (caller frees with free()); rep (may be
 * NULL) gets the figures.  Returns 0, or BF_EINVAL (bad options, nothing
 * matched, our-side point on the line, ...), BF_EIO (cannot open src),
 * BF_EGEOS / BF_EPROJ / BF_ENOMEM, with a readable reason in err.
 */
int bf_zones_import(const char *src, const struct bf_zones_import_options *o, char **geojson,
                    struct bf_zones_import_report *rep, char *err, size_t errlen);

#endif
