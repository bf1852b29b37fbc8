/*
 * tracks_fixture.c - see tracks_fixture.h.
 */
#include "tracks_fixture.h"

#include "bf_test.h"

#include <math.h>
#include <string.h>

struct bf_detection fx_det(uint16_t kind, double se, double sn)
{
    struct bf_detection d;
    memset(&d, 0, sizeof d);
    d.kind = kind;
    d.sensor_e_m = se;
    d.sensor_n_m = sn;
    return d;
}

struct bf_detection fx_pos_det(double e, double n, double r00, double r01, double r11)
{
    struct bf_detection d = fx_det(BF_MEAS_POSITION, 0, 0);
    d.z[0] = e;
    d.z[1] = n;
    d.R[0][0] = r00;
    d.R[0][1] = r01;
    d.R[1][0] = r01;
    d.R[1][1] = r11;
    return d;
}

struct bf_detection fx_rb_det(double se, double sn, double r, double b, double var_r, double var_b)
{
    struct bf_detection d = fx_det(BF_MEAS_RANGE_BEARING, se, sn);
    d.z[0] = r;
    d.z[1] = b;
    d.R[0][0] = var_r;
    d.R[1][1] = var_b;
    return d;
}

void fx_diag4(double P[16], double a, double b, double c, double d)
{
    memset(P, 0, 16 * sizeof *P);
    P[0] = a;
    P[5] = b;
    P[10] = c;
    P[15] = d;
}

uint64_t fx_rng_next(uint64_t *s)
{
    return bf_test_rng(s);   /* splitmix64 */
}

double fx_rng_unit(uint64_t *s)
{
    return ((double)(fx_rng_next(s) >> 11) + 0.5) / 9007199254740992.0;
}

double fx_rng_normal(uint64_t *s)
{
    double u1 = fx_rng_unit(s), u2 = fx_rng_unit(s);
    return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}
