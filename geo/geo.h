/*
 * geo.h - frames and zones: where things are and what they are near.
 *
 * Frame: WGS84 <-> a local metric frame (east, north in metres about the site
 * origin), built with PROJ.  Default: azimuthal equidistant centred on the
 * origin; any PROJ CRS string ("EPSG:32633") may be given instead, in which
 * case local coordinates are that CRS's easting/northing minus the origin's.
 * A frame is NOT thread-safe: a thread that needs one makes its own with
 * bf_geo_frame_clone().
 *
 * Zones: a GeoJSON FeatureCollection (WGS84) of features with properties
 *   id        string, unique
 *   name      string (optional, defaults to id)
 *   kind      "border_line" | "buffer" | "restricted" | "no_alert" | "crossing_point"
 *   severity  integer 1..4 (optional, default 2)
 *   our_side  "left" | "right"  (border_line only, required): which side of
 *             the line is ours, looking along the line from its first vertex
 *             towards its last.
 * A border_line is a LineString, or a MultiLineString whose parts join end to
 * end into one line (merged, in the direction of its first part); the other
 * kinds are Polygon or MultiPolygon.  Other properties (a GIS export's ISO
 * codes, ...) are ignored and listed in one warning log line (once per
 * process for the same file and names).
 * Geometry is projected to the local frame and prepared (GEOS reentrant API,
 * prepared geometries, an STRtree over all zones).  GEOS objects are kept on
 * the thread that loaded the zones (the engine thread).
 *
 * Per track step, bf_geo_track_step() answers: which zones contain the point
 * now (enter/exit with hysteresis), did the segment from the previous
 * position cross a border line and in which direction, the distance to the
 * nearest border line and which side of it we are on, and the predicted time
 * to reach it at the current velocity.
 */
#ifndef BF_GEO_H
#define BF_GEO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/bf_diag.h"
#include "core/bf_time.h"

/* ---- frame ---------------------------------------------------------- */

struct bf_geo_frame;   /* opaque */

/*
 * Build the frame about (lat0, lon0) degrees.  crs NULL or "" or "aeqd":
 * azimuthal equidistant at the origin; otherwise any CRS PROJ understands.
 * On failure *out is NULL and err (if given) says why.
 */
int bf_geo_frame_create(double lat0_deg, double lon0_deg, const char *crs,
                        struct bf_geo_frame **out, char *err, size_t errlen);
/* An independent copy for use on another thread. */
int bf_geo_frame_clone(const struct bf_geo_frame *f, struct bf_geo_frame **out);
void bf_geo_frame_destroy(struct bf_geo_frame *f);   /* accepts NULL */

/* WGS84 degrees -> local metres; 0 or BF_EPROJ. */
int bf_geo_to_local(struct bf_geo_frame *f, double lat_deg, double lon_deg, double *e_m, double *n_m);
/* local metres -> WGS84 degrees; 0 or BF_EPROJ. */
int bf_geo_to_wgs84(struct bf_geo_frame *f, double e_m, double n_m, double *lat_deg, double *lon_deg);
/*
 * Grid convergence at a WGS84 point: the angle (radians, clockwise positive)
 * to add to a true bearing to get a bearing from local grid north.
 */
int bf_geo_convergence(struct bf_geo_frame *f, double lat_deg, double lon_deg, double *gamma_rad);
/*
 * A local-frame (grid) velocity (vx east, vy north of the grid) at a WGS84
 * point as TRUE east / north components: the grid vector turned by minus the
 * grid convergence there (bf_geo_convergence).  Every output that states a
 * heading (alerts, the track picture, CoT) uses this, so a heading is always
 * from true north.  0, or BF_EPROJ / BF_EINVAL with the grid components
 * copied to *ve_mps, *vn_mps.
 */
int bf_geo_true_velocity(struct bf_geo_frame *f, double lat_deg, double lon_deg, double vx_mps,
                         double vy_mps, double *ve_mps, double *vn_mps);
/*
 * An angle in degrees rounded to `decimals` (0..9) and then wrapped to
 * [0, 360), so that what is printed with that many decimals is never 360:
 * 359.96 at one decimal is 0.0, -0.01 is 0.0, 725 is 5.  NAN stays NAN.
 */
double bf_geo_angle_round(double deg, int decimals);
/*
 * Heading of the velocity (ve east, vn north), degrees clockwise from north,
 * rounded as bf_geo_angle_round(): [0, 360).  0 for a zero velocity.
 */
double bf_geo_heading_deg(double ve_mps, double vn_mps, int decimals);

/* ---- zones ---------------------------------------------------------- */

enum bf_zone_kind {
    BF_ZONE_BORDER_LINE = 0,
    BF_ZONE_BUFFER,
    BF_ZONE_RESTRICTED,
    BF_ZONE_NO_ALERT,
    BF_ZONE_CROSSING_POINT,  /* an official crossing point: passing through is normal traffic */
};

/* "border_line", "buffer", "restricted", "no_alert", "crossing_point" */
const char *bf_zone_kind_name(enum bf_zone_kind k);

/* At most this many zones per site: per-track zone state is a 64-bit mask. */
#define BF_GEO_MAX_ZONES 64

struct bf_zone_info {
    const char *id;
    const char *name;
    enum bf_zone_kind kind;
    int severity;          /* 1 (low) .. 4 (critical) */
    int our_side;          /* border_line: +1 left, -1 right; 0 otherwise */
    double length_m;       /* border_line: length; others: perimeter */
    double area_m2;        /* polygons: area; border_line: 0 */
};

struct bf_geo_zones;   /* opaque */

struct bf_geo_zones_options {
    double hysteresis_m;   /* leave a polygon only once this far outside it; default 10 */
    double max_ttl_s;      /* time-to-line look-ahead; beyond it time_to_line_s = INFINITY; default 3600 */
};

/*
 * Load zones from a GeoJSON file, projecting with frame (borrowed for the
 * life of the zones; same thread).  Every invalid feature is reported through
 * diag with its id (or index), position in the file and the reason; any
 * error fails the load.  opt may be NULL for defaults.
 */
int bf_geo_zones_load(const char *path, struct bf_geo_frame *frame,
                      const struct bf_geo_zones_options *opt, struct bf_geo_zones **out,
                      struct bf_diag *diag);
void bf_geo_zones_destroy(struct bf_geo_zones *z);   /* accepts NULL */

size_t bf_geo_zones_count(const struct bf_geo_zones *z);
const struct bf_zone_info *bf_geo_zone_info(const struct bf_geo_zones *z, size_t idx);
/* Index of the zone with this id, or -1. */
int bf_geo_zone_find(const struct bf_geo_zones *z, const char *id);

/* Per-track geofence memory, kept by the caller (zero-initialise). */
struct bf_geo_track_state {
    bool valid;            /* a previous position is known */
    double e_m, n_m;       /* previous position */
    uint64_t inside;       /* bit i: inside polygon zone i (with hysteresis) */
    uint64_t side_known;   /* bit i: border line i: a definite side has been seen */
    uint64_t side_ours;    /* bit i: ... and the last definite side was ours */
};

#define BF_GEO_MAX_CROSSINGS 4

struct bf_geo_crossing {
    uint16_t zone;         /* border_line zone index */
    int8_t dir;            /* +1: from their side onto ours (incursion); -1: ours -> theirs */
    double e_m, n_m;       /* where the segment meets the line */
    double frac;           /* 0..1 along the segment prev -> now */
};

struct bf_geo_step {
    uint64_t inside;       /* polygon zones containing the point now (with hysteresis) */
    uint64_t entered;      /* newly inside since the previous step */
    uint64_t exited;       /* newly outside */
    int n_crossings;
    struct bf_geo_crossing crossings[BF_GEO_MAX_CROSSINGS];
    int nearest_line;      /* border_line zone index, -1 if the site has none */
    double dist_to_line_m; /* distance to nearest_line */
    int line_side;         /* +1 our side, -1 their side, 0 on the line */
    double time_to_line_s; /* at the current velocity along a straight path; INFINITY if it never reaches it */
};

/*
 * One track step: the track is now at (e_m, n_m) with velocity (ve, vn) m/s.
 * Updates st (prev position, memberships) and fills out.  Crossing a line
 * exactly at a vertex, or running along a segment and leaving it, counts
 * once, by the last definite side before and the first after.
 * Returns 0 or BF_EGEOS.
 */
int bf_geo_track_step(struct bf_geo_zones *z, struct bf_geo_track_state *st, double e_m, double n_m,
                      double ve_mps, double vn_mps, struct bf_geo_step *out);

/* Is (e_m, n_m) inside polygon zone idx (no hysteresis)? */
bool bf_geo_zone_contains(struct bf_geo_zones *z, size_t idx, double e_m, double n_m);

/* Side of border line idx: +1 ours, -1 theirs, 0 on it (within 1e-6 m). */
int bf_geo_line_side(const struct bf_geo_zones *z, size_t idx, double e_m, double n_m);

/* Distance in metres from a point to zone idx (0 inside a polygon). */
double bf_geo_zone_distance(struct bf_geo_zones *z, size_t idx, double e_m, double n_m);

/*
 * Local-frame vertices of border line idx (borrowed): xy[2*i], xy[2*i+1].
 * Returns the number of vertices, 0 if idx is not a border line.
 */
size_t bf_geo_line_vertices(const struct bf_geo_zones *z, size_t idx, const double **xy);

/*
 * Rewind a GeoJSON geometry (a cJSON object, modified in place) to RFC 7946
 * winding: every polygon's exterior ring counter-clockwise, its holes
 * clockwise.  Geometries other than Polygon / MultiPolygon are left alone.
 * Returns the number of rings reversed (>= 0), or BF_EINVAL for a malformed
 * polygon (left partly rewound).
 */
struct cJSON;
int bf_geo_geojson_rewind(struct cJSON *geometry);

#endif
