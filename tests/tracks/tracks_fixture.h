/*
 * tracks_fixture.h - helpers shared by the tracks/ suites: detections built
 * by hand, diagonal covariances, and a seeded normal source (splitmix64 and
 * Box-Muller) for consistency checks.
 */
#ifndef TRACKS_FIXTURE_H
#define TRACKS_FIXTURE_H

#include <stdint.h>

#include "core/bf_detection.h"

/* POSITION at (e, n) with R = | r00 r01 ; r01 r11 |. */
struct bf_detection fx_pos_det(double e, double n, double r00, double r01, double r11);
/* RANGE_BEARING (r, b radians) from a sensor at (se, sn), R = diag(var_r, var_b). */
struct bf_detection fx_rb_det(double se, double sn, double r, double b, double var_r, double var_b);
/* A zeroed detection of this kind from a sensor at (se, sn). */
struct bf_detection fx_det(uint16_t kind, double se, double sn);
/* P = diag(a, b, c, d). */
void fx_diag4(double P[16], double a, double b, double c, double d);

uint64_t fx_rng_next(uint64_t *s);
double fx_rng_unit(uint64_t *s);     /* (0, 1) */
double fx_rng_normal(uint64_t *s);   /* N(0, 1) */

#endif
