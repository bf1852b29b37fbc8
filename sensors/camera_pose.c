/*
 * camera_pose.c - a fixed camera's pinhole model: image points to bearings
 * and elevations, blobs to measurements with class hints.
 *
 * Frames: the camera sits height_m above flat ground and looks along
 * heading (true azimuth) tilted by tilt (negative down), with no roll.  In
 * the camera, a ray through image point (u, v) is (x, y, 1) with
 * x = (u - cx) / fx to the right and y = (v - cy) / fy downwards.  Rotated
 * into the level frame of the heading (forward f, right r, up z):
 *
 *     d = (cos t + y sin t) f + x r + (sin t - y cos t) z
 *
 * so the bearing is heading + atan2(x, cos t + y sin t) and the elevation
 * atan2(sin t - y cos t, hypot(cos t + y sin t, x)).  The true bearing is
 * turned into a grid bearing by adding the convergence.  A blob's ground
 * point is where it touches the ground: its centroid's column at its
 * bounding box's bottom edge; with the camera's height its elevation gives
 * the ground range g = h / tan(-el) (docs/measurements.md), and g turns the
 * blob's pixel extent into metres: height = h + g tan(el_top) (exact for an
 * upright object), width = g * (bearing span of the box at the ground point).
 */
#include <math.h>

#include "core/bf_error.h"
#include "sensors/camera_pose.h"

static double wrap_2pi(double a)
{
    a = fmod(a, 2 * M_PI);
    if (a < 0)
        a += 2 * M_PI;
    if (a >= 2 * M_PI)   /* fmod of a tiny negative */
        a = 0;
    return a;
}

static double wrap_pi(double a)
{
    a = wrap_2pi(a);
    return a > M_PI ? a - 2 * M_PI : a;
}

int bf_camera_pose_set_size(struct bf_camera_pose *p, int width, int height)
{
    if (width < 1 || height < 1 || !(p->hfov_rad > 0 && p->hfov_rad < M_PI) ||
        !(p->vfov_rad >= 0 && p->vfov_rad < M_PI))
        return BF_EINVAL;
    p->width = width;
    p->height = height;
    double th = tan(p->hfov_rad / 2);
    double tv = p->vfov_rad > 0 ? tan(p->vfov_rad / 2) : th * height / width;
    p->fx = (width / 2.0) / th;
    p->fy = (height / 2.0) / tv;
    p->cx = width / 2.0;
    p->cy = height / 2.0;
    return 0;
}

void bf_camera_pose_ray(const struct bf_camera_pose *p, double u, double v, double *bearing_rad,
                        double *elevation_rad)
{
    double x = (u - p->cx) / p->fx, y = (v - p->cy) / p->fy;
    double ct = cos(p->tilt_rad), st = sin(p->tilt_rad);
    double fwd = ct + y * st, up = st - y * ct;
    *bearing_rad = wrap_2pi(p->heading_rad + atan2(x, fwd) + p->convergence_rad);
    *elevation_rad = atan2(up, hypot(fwd, x));
}

/* Trapezoid membership: 0 up to a, 1 from b to c, 0 from d. */
static double trap(double x, double a, double b, double c, double d)
{
    if (!(x > a) || !(x < d))
        return 0;
    if (x < b)
        return (x - a) / (b - a);
    if (x > c)
        return (d - x) / (d - c);
    return 1;
}

void bf_camera_class_hint(double height_m, double width_m, float lik[BF_CLASS_COUNT])
{
    double aspect = width_m > 0 ? height_m / width_m : 0;
    double person = trap(height_m, 0.9, 1.3, 2.1, 2.6) * trap(width_m, 0.15, 0.3, 1.0, 1.6) *
                    trap(aspect, 1.1, 1.6, 1e9, 2e9);
    double vehicle = trap(height_m, 0.9, 1.3, 3.5, 4.5) * trap(width_m, 1.2, 2.0, 12, 20) *
                     trap(aspect, -1, 0, 0.9, 1.3);
    double animal = trap(height_m, 0.25, 0.5, 1.4, 1.9) * trap(width_m, 0.4, 0.8, 2.5, 3.2) *
                    trap(aspect, -1, 0, 1.0, 1.4);
    for (int k = 0; k < BF_CLASS_COUNT; k++)
        lik[k] = 0.02f;
    lik[BF_CLASS_PERSON] = (float)(0.05 + 0.95 * person);
    lik[BF_CLASS_VEHICLE] = (float)(0.05 + 0.95 * vehicle);
    lik[BF_CLASS_ANIMAL] = (float)(0.05 + 0.95 * animal);
    lik[BF_CLASS_UNKNOWN] = 0.25f;
}

void bf_camera_pose_measure(const struct bf_camera_pose *p, const struct bf_motion_blob *b,
                            struct bf_camera_meas *out)
{
    *out = (struct bf_camera_meas){.range_m = NAN, .object_height_m = NAN,
                                   .object_width_m = NAN};
    double u = b->cx + 0.5, v_foot = b->y1 + 1.0;
    bf_camera_pose_ray(p, u, v_foot, &out->bearing_rad, &out->elevation_rad);
    bool cut_bottom = b->y1 >= p->height - 2;
    if (!(p->height_m > 0) || !(out->elevation_rad < 0) || cut_bottom)
        return;
    out->has_elevation = true;
    double g = p->height_m / tan(-out->elevation_rad);
    out->range_m = g;
    double b_top, el_top, b_left, b_right, el_unused;
    bf_camera_pose_ray(p, u, (double)b->y0, &b_top, &el_top);
    bf_camera_pose_ray(p, (double)b->x0, v_foot, &b_left, &el_unused);
    bf_camera_pose_ray(p, b->x1 + 1.0, v_foot, &b_right, &el_unused);
    out->object_height_m = p->height_m + g * tan(el_top);
    out->object_width_m = g * fabs(wrap_pi(b_right - b_left));
    bool cut = b->y0 <= 1 || b->x0 <= 1 || b->x1 >= p->width - 2;
    if (cut)
        return;
    out->has_class = true;
    bf_camera_class_hint(out->object_height_m, out->object_width_m, out->class_lik);
}
