/*
 * camera_pose.h - where a fixed camera looks: a pinhole model that turns an
 * image point into a grid bearing and an elevation, and a blob into a
 * bearing (+ elevation) measurement with class hints (docs/camera.md,
 * "Pose").  Pure maths: no I/O, no allocation.
 */
#ifndef BF_CAMERA_POSE_H
#define BF_CAMERA_POSE_H

#include <stdbool.h>

#include "core/bf_detection.h"
#include "sensors/motion.h"

struct bf_camera_pose {
    /* given */
    double heading_rad;       /* azimuth of the optical axis, from true north, clockwise */
    double tilt_rad;          /* elevation of the optical axis, negative looking down */
    double hfov_rad;          /* horizontal field of view, (0, pi) */
    double vfov_rad;          /* vertical field of view, (0, pi); 0: square pixels */
    double convergence_rad;   /* true -> grid (bf_geo_convergence at the camera) */
    double height_m;          /* camera height above the flat ground; 0: unknown */
    /* derived by bf_camera_pose_set_size() */
    int width, height;        /* image size, pixels */
    double fx, fy;            /* focal lengths, pixels */
    double cx, cy;            /* principal point (the image centre), image coordinates */
};

/*
 * Fix the image size: derives fx, fy and, when vfov_rad is 0, the vertical
 * field of view 2 atan(tan(hfov / 2) height / width).  0, or BF_EINVAL (a
 * size below 1, a field of view outside (0, pi)).
 */
int bf_camera_pose_set_size(struct bf_camera_pose *p, int width, int height);

/*
 * The ray through image point (u, v): image coordinates are continuous, (0, 0)
 * the top-left corner of the image, (width, height) the bottom-right; the
 * centre of pixel (i, j) is (i + 0.5, j + 0.5).  Gives the grid bearing in
 * [0, 2 pi) and the elevation (negative below the horizon), radians.
 */
void bf_camera_pose_ray(const struct bf_camera_pose *p, double u, double v, double *bearing_rad,
                        double *elevation_rad);

/* What one blob says (bf_camera_pose_measure). */
struct bf_camera_meas {
    double bearing_rad;       /* grid bearing of the ground point, [0, 2 pi) */
    double elevation_rad;     /* elevation of the ground point */
    bool has_elevation;       /* below the horizon, height known, not cut by the image's
                                 bottom edge: elevation gives ground range */
    double range_m;           /* ground range from the elevation, NAN without */
    double object_height_m;   /* size of the object at that range, NAN when unknown */
    double object_width_m;
    bool has_class;           /* class_lik valid (range known, blob not cut by an edge) */
    float class_lik[BF_CLASS_COUNT];
};

/*
 * Measure blob b (input pixel coordinates, motion.h) seen with pose p (size
 * set): its ground point is the centroid's column at the bounding box's bottom
 * edge.  Class likelihoods from its size in metres (docs/camera.md,
 * "Class hints").
 */
void bf_camera_pose_measure(const struct bf_camera_pose *p, const struct bf_motion_blob *b,
                            struct bf_camera_meas *out);

/* Class likelihoods of an upright object height_m tall and width_m wide on the ground. */
void bf_camera_class_hint(double height_m, double width_m, float lik[BF_CLASS_COUNT]);

#endif
