/*
 * motion.h - motion detection over GRAY8 frames: moving blobs out of a fixed
 * camera's video (docs/camera.md, "The motion pipeline").
 *
 * Pure: frames in, blobs out; no I/O, no clock, no GStreamer, no allocation
 * after bf_motion_create().  One detector serves one stream of frames of one
 * fixed size; a stream of another size needs a new detector.  Not
 * thread-safe: one thread feeds one detector.
 */
#ifndef BF_MOTION_H
#define BF_MOTION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bf_motion;   /* opaque */

struct bf_motion_params {
    int width, height;        /* frame size in pixels, 8 ... 16384 each */
    int downscale;            /* 1: full resolution; 2: 2x2 binning before everything else */
    int threshold;            /* |frame - background| above this (grey levels, 1 ... 254)
                                 is foreground */
    double learning_rate;     /* background update weight per frame, (0, 1]; foreground
                                 pixels learn 4 times slower */
    int min_area_px;          /* blobs smaller than this (input pixels) are dropped, >= 1 */
    int warmup_frames;        /* frames that only build the background, >= 1 */
    double max_fg_fraction;   /* more foreground than this (0, 1] is a global change
                                 (camera moved, lights): background reseeded, no blobs */
};

/* Defaults: downscale 2, threshold 25, learning_rate 0.02, min_area_px 24,
   warmup_frames 25, max_fg_fraction 0.25; width and height left 0. */
void bf_motion_params_default(struct bf_motion_params *p);

/* A moving blob, in input pixel coordinates: pixel (i, j) is column i, row j,
   its centre at (i, j); row 0 is the top of the frame. */
struct bf_motion_blob {
    int x0, y0, x1, y1;       /* bounding box, inclusive */
    int area_px;              /* foreground pixels (input pixels) */
    double cx, cy;            /* centroid */
};

/* What one frame did besides its blobs. */
struct bf_motion_result {
    bool warming_up;          /* the frame only built the background: no blobs */
    bool global_change;       /* too much foreground: background reseeded, no blobs */
    int fg_pixels;            /* foreground after the opening (detector pixels) */
    int components;           /* connected components before the area filter */
    int dropped_small;        /* components below min_area_px */
    int dropped_over_max;     /* blobs beyond the caller's max (the smallest go) */
};

/*
 * Create a detector for frames of p->width x p->height; every buffer is
 * allocated here.  0, BF_EINVAL (a parameter out of its range; nothing
 * allocated) or BF_ENOMEM.  *out = NULL on failure.
 */
int bf_motion_create(const struct bf_motion_params *p, struct bf_motion **out);
void bf_motion_destroy(struct bf_motion *m);   /* accepts NULL */

/*
 * Feed one frame: gray is height rows of width bytes, rows stride bytes apart
 * (stride >= width), borrowed for the call.  Writes at most max blobs into
 * out (the largest first) and returns their number, or BF_EINVAL (stride
 * below width).  res may be NULL.
 */
int bf_motion_process(struct bf_motion *m, const uint8_t *gray, size_t stride,
                      struct bf_motion_blob *out, size_t max, struct bf_motion_result *res);

/* Forget the background: the next frames warm up again (a new stream). */
void bf_motion_reset(struct bf_motion *m);

/* The detector's own parameters (as given to create). */
const struct bf_motion_params *bf_motion_params(const struct bf_motion *m);

#endif
