/*
 * frame.c - the local metric frame: WGS84 degrees <-> east/north metres.
 *
 * All fusion and geofence maths runs in a flat frame about the site origin;
 * WGS84 appears only at the edges (decoding inputs, writing alerts).  PROJ
 * does the work.  The default frame is an azimuthal equidistant projection
 * centred on the origin (distances and bearings from the origin are exact,
 * distortion stays below 1e-4 within ~60 km); a site with a long border may
 * name any projected CRS PROJ knows instead ("EPSG:32633"), and local
 * coordinates are then that CRS's easting/northing minus the origin's.
 *
 * Two traps are handled here once so no caller meets them: EPSG:4326 is
 * latitude-first, so the transformation is normalised to lon/lat (and
 * easting/northing) order; and a PJ with its PJ_CONTEXT is not thread-safe,
 * so every frame owns its own context and a clone builds a fresh pair.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <proj.h>

#include "core/bf_error.h"
#include "geo/geo.h"

struct bf_geo_frame {
    PJ_CONTEXT *ctx;    /* owned: one per frame, never shared between threads */
    PJ *pj;             /* WGS84 lon/lat degrees -> CRS easting/northing metres */
    double lat0_deg;
    double lon0_deg;
    double e0_m;        /* the origin in CRS coordinates (0 for the default frame) */
    double n0_m;
    char *crs;          /* NULL for the default frame, else the caller's string */
    char proj_msg[256]; /* PROJ's last error message on this context */
};

/* Half the latitude step used to trace a meridian for the convergence (~1.1 m). */
#define CONVERGENCE_DLAT_DEG 1e-5

static bool is_default_crs(const char *crs)
{
    return crs == NULL || crs[0] == '\0' || strcmp(crs, "aeqd") == 0;
}

static void set_err(char *err, size_t errlen, const char *fmt, const char *crs, const char *why)
{
    if (err && errlen > 0)
        snprintf(err, errlen, fmt, crs, why);
}

/* PROJ reports the detail of an error ("crs not found") only through its log. */
static void proj_capture(void *app_data, int level, const char *msg)
{
    struct bf_geo_frame *f = app_data;
    if (level == PJ_LOG_ERROR && msg)
        snprintf(f->proj_msg, sizeof f->proj_msg, "%s", msg);
}

static const char *proj_reason(const struct bf_geo_frame *f)
{
    if (f->proj_msg[0])
        return f->proj_msg;
    int e = proj_context_errno(f->ctx);
    const char *s = e ? proj_context_errno_string(f->ctx, e) : NULL;
    return s ? s : "not understood by PROJ";
}

/*
 * Check that crs (a CRS object) is projected with metre axes; 0 or
 * BF_EINVAL with err filled.  A BoundCRS (a proj string with +towgs84) is
 * judged by its base CRS.
 */
static int check_projected_metres(PJ_CONTEXT *ctx, const PJ *crs, const char *name, char *err,
                                  size_t errlen)
{
    PJ *base = NULL;
    const PJ *c = crs;
    int rc = BF_EINVAL;

    if (proj_get_type(crs) == PJ_TYPE_BOUND_CRS) {
        base = proj_get_source_crs(ctx, crs);
        if (!base) {
            set_err(err, errlen, "CRS \"%s\": %s", name, "cannot read its base CRS");
            return BF_EINVAL;
        }
        c = base;
    }
    if (proj_get_type(c) != PJ_TYPE_PROJECTED_CRS) {
        set_err(err, errlen, "CRS \"%s\" %s", name,
                "is not a projected CRS (the local frame needs metres, not degrees)");
        goto out_free_base;
    }
    PJ *cs = proj_crs_get_coordinate_system(ctx, c);
    if (!cs) {
        set_err(err, errlen, "CRS \"%s\": %s", name, "cannot read its coordinate system");
        goto out_free_base;
    }
    int n_axes = proj_cs_get_axis_count(ctx, cs);
    rc = 0;
    for (int i = 0; i < n_axes && i < 2; i++) {
        double factor = 0;
        const char *unit = NULL;
        if (!proj_cs_get_axis_info(ctx, cs, i, NULL, NULL, NULL, &factor, &unit, NULL, NULL) ||
            fabs(factor - 1.0) > 1e-12) {
            set_err(err, errlen, "CRS \"%s\" has axes in %s, not metres", name,
                    unit ? unit : "an unknown unit");
            rc = BF_EINVAL;
            break;
        }
    }
    proj_destroy(cs);
out_free_base:
    proj_destroy(base);
    return rc;
}

static int frame_build(double lat0_deg, double lon0_deg, const char *crs, struct bf_geo_frame **out,
                       char *err, size_t errlen)
{
    char def[256];
    const char *target_def;
    int rc;

    *out = NULL;
    if (!isfinite(lat0_deg) || !isfinite(lon0_deg) || fabs(lat0_deg) > 90.0 ||
        fabs(lon0_deg) > 180.0) {
        if (err && errlen > 0)
            snprintf(err, errlen, "origin (lat %g, lon %g) out of range", lat0_deg, lon0_deg);
        return BF_EINVAL;
    }
    struct bf_geo_frame *f = calloc(1, sizeof *f);
    if (!f)
        return BF_ENOMEM;
    f->lat0_deg = lat0_deg;
    f->lon0_deg = lon0_deg;
    if (!is_default_crs(crs)) {
        f->crs = strdup(crs);
        if (!f->crs) {
            rc = BF_ENOMEM;
            goto out_free_frame;
        }
        target_def = crs;
    } else {
        snprintf(def, sizeof def,
                 "+proj=aeqd +lat_0=%.17g +lon_0=%.17g +datum=WGS84 +units=m +type=crs", lat0_deg,
                 lon0_deg);
        target_def = def;
    }

    f->ctx = proj_context_create();
    if (!f->ctx) {
        rc = BF_ENOMEM;
        goto out_free_frame;
    }
    proj_log_func(f->ctx, f, proj_capture);   /* errors are returned, not printed */
    proj_log_level(f->ctx, PJ_LOG_ERROR);

    PJ *target = proj_create(f->ctx, target_def);
    if (!target) {
        set_err(err, errlen, "unknown CRS \"%s\": %s", f->crs ? f->crs : target_def,
                proj_reason(f));
        rc = BF_EPROJ;
        goto out_free_frame;
    }
    rc = check_projected_metres(f->ctx, target, f->crs ? f->crs : target_def, err, errlen);
    if (rc < 0)
        goto out_free_target;

    PJ *src = proj_create(f->ctx, "EPSG:4326");
    if (!src) {
        set_err(err, errlen, "CRS \"%s\": %s", "EPSG:4326", proj_reason(f));
        rc = BF_EPROJ;
        goto out_free_target;
    }
    PJ *op = proj_create_crs_to_crs_from_pj(f->ctx, src, target, NULL, NULL);
    proj_destroy(src);
    if (!op) {
        set_err(err, errlen, "no transformation from WGS84 to \"%s\": %s",
                f->crs ? f->crs : target_def, proj_reason(f));
        rc = BF_EPROJ;
        goto out_free_target;
    }
    f->pj = proj_normalize_for_visualization(f->ctx, op);   /* lon/lat in, east/north out */
    proj_destroy(op);
    if (!f->pj) {
        set_err(err, errlen, "CRS \"%s\": %s", f->crs ? f->crs : target_def, proj_reason(f));
        rc = BF_EPROJ;
        goto out_free_target;
    }

    PJ_COORD o = proj_trans(f->pj, PJ_FWD, proj_coord(lon0_deg, lat0_deg, 0, 0));
    if (!isfinite(o.xy.x) || !isfinite(o.xy.y)) {
        if (err && errlen > 0)
            snprintf(err, errlen, "origin (lat %g, lon %g) cannot be projected to \"%s\"",
                     lat0_deg, lon0_deg, f->crs ? f->crs : target_def);
        rc = BF_EPROJ;
        goto out_free_target;
    }
    f->e0_m = o.xy.x;
    f->n0_m = o.xy.y;
    proj_destroy(target);
    *out = f;
    return 0;

out_free_target:
    proj_destroy(target);
out_free_frame:
    bf_geo_frame_destroy(f);
    return rc;
}

int bf_geo_frame_create(double lat0_deg, double lon0_deg, const char *crs,
                        struct bf_geo_frame **out, char *err, size_t errlen)
{
    if (!out)
        return BF_EINVAL;
    if (err && errlen > 0)
        err[0] = '\0';
    return frame_build(lat0_deg, lon0_deg, crs, out, err, errlen);
}

int bf_geo_frame_clone(const struct bf_geo_frame *f, struct bf_geo_frame **out)
{
    if (!out)
        return BF_EINVAL;
    *out = NULL;
    if (!f)
        return BF_EINVAL;
    return frame_build(f->lat0_deg, f->lon0_deg, f->crs, out, NULL, 0);
}

void bf_geo_frame_destroy(struct bf_geo_frame *f)
{
    if (!f)
        return;
    proj_destroy(f->pj);
    if (f->ctx)
        proj_context_destroy(f->ctx);
    free(f->crs);
    free(f);
}

int bf_geo_to_local(struct bf_geo_frame *f, double lat_deg, double lon_deg, double *e_m, double *n_m)
{
    if (!f || !e_m || !n_m)
        return BF_EINVAL;
    if (!isfinite(lat_deg) || !isfinite(lon_deg) || fabs(lat_deg) > 90.0 || fabs(lon_deg) > 180.0)
        return BF_EPROJ;
    PJ_COORD c = proj_trans(f->pj, PJ_FWD, proj_coord(lon_deg, lat_deg, 0, 0));
    if (!isfinite(c.xy.x) || !isfinite(c.xy.y)) {
        proj_errno_reset(f->pj);
        return BF_EPROJ;
    }
    *e_m = c.xy.x - f->e0_m;
    *n_m = c.xy.y - f->n0_m;
    return 0;
}

int bf_geo_to_wgs84(struct bf_geo_frame *f, double e_m, double n_m, double *lat_deg, double *lon_deg)
{
    if (!f || !lat_deg || !lon_deg)
        return BF_EINVAL;
    if (!isfinite(e_m) || !isfinite(n_m))
        return BF_EPROJ;
    PJ_COORD c = proj_trans(f->pj, PJ_INV, proj_coord(e_m + f->e0_m, n_m + f->n0_m, 0, 0));
    if (!isfinite(c.lp.lam) || !isfinite(c.lp.phi)) {
        proj_errno_reset(f->pj);
        return BF_EPROJ;
    }
    *lon_deg = c.lp.lam;
    *lat_deg = c.lp.phi;
    return 0;
}

/*
 * The meridian through the point is traced a short way north and south
 * (one way only near a pole); its direction in the grid, measured clockwise
 * from grid north, is the grid bearing of true north, which is the angle to
 * add to any true bearing.
 */
int bf_geo_convergence(struct bf_geo_frame *f, double lat_deg, double lon_deg, double *gamma_rad)
{
    if (!f || !gamma_rad)
        return BF_EINVAL;
    double lat_s = lat_deg - CONVERGENCE_DLAT_DEG;
    double lat_n = lat_deg + CONVERGENCE_DLAT_DEG;
    if (lat_n > 90.0)
        lat_n = lat_deg;
    if (lat_s < -90.0)
        lat_s = lat_deg;
    double es, ns, en, nn;
    int rc = bf_geo_to_local(f, lat_s, lon_deg, &es, &ns);
    if (rc < 0)
        return rc;
    rc = bf_geo_to_local(f, lat_n, lon_deg, &en, &nn);
    if (rc < 0)
        return rc;
    double de = en - es, dn = nn - ns;
    if (de == 0.0 && dn == 0.0)
        return BF_EPROJ;
    *gamma_rad = atan2(de, dn);
    return 0;
}

int bf_geo_true_velocity(struct bf_geo_frame *f, double lat_deg, double lon_deg, double vx_mps,
                         double vy_mps, double *ve_mps, double *vn_mps)
{
    if (!ve_mps || !vn_mps)
        return BF_EINVAL;
    *ve_mps = vx_mps;
    *vn_mps = vy_mps;
    double gamma = 0.0;
    int rc = bf_geo_convergence(f, lat_deg, lon_deg, &gamma);
    if (rc < 0)
        return rc;
    if (!isfinite(gamma))
        return BF_EPROJ;
    /* grid bearing = true bearing + gamma: turn the grid vector by -gamma */
    double c = cos(gamma), s = sin(gamma);
    *ve_mps = vx_mps * c - vy_mps * s;
    *vn_mps = vx_mps * s + vy_mps * c;
    return 0;
}

double bf_geo_angle_round(double deg, int decimals)
{
    if (!isfinite(deg))
        return deg;
    if (decimals < 0)
        decimals = 0;
    if (decimals > 9)
        decimals = 9;
    double scale = pow(10.0, decimals);
    double full = 360.0 * scale;
    double u = fmod(round(deg * scale), full);   /* whole units of 10^-decimals degree */
    if (u < 0)
        u += full;
    if (u >= full)
        u = 0;
    return u / scale + 0.0;   /* + 0.0: never -0 */
}

double bf_geo_heading_deg(double ve_mps, double vn_mps, int decimals)
{
    if (ve_mps == 0.0 && vn_mps == 0.0)
        return 0.0;
    return bf_geo_angle_round(atan2(ve_mps, vn_mps) * (180.0 / M_PI), decimals);
}
