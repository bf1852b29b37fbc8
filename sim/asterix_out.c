/*
 * asterix_out.c - a radar scan as the real radar would send it: ASTERIX
 * CAT048 over UDP (docs/asterix.md), with the radar plugin's own encoder.
 *
 * Each plot becomes one target report: 010 (SAC/SIC), 140 (time of day of the
 * scan), 020 (TYP = PSR, SIM set for an exercise, so the engine marks what
 * it makes of them as exercise) and 040 (RHO, THETA from true north - the
 * radar is aligned to true north).  The radar has no class items: class hints
 * do not travel over ASTERIX, the engine classifies from kinematics.
 * A scan with no plot sends nothing (there is no time to put in it).
 */
#include <math.h>
#include <string.h>

#include "core/bf_error.h"
#include "sensors/asterix.h"
#include "sim/sim.h"

#define TYP_PSR 1   /* 020 TYP: single primary surveillance radar detection */

int bf_sim_asterix_scan(const struct bf_sim_radar *r, const struct bf_sim_plot *plots, size_t n,
                        bf_time_us t_us, bool exercise, struct bf_asterix_report *scratch,
                        uint8_t *buf, size_t cap, size_t *len)
{
    if (!r || (n > 0 && (!plots || !scratch)) || !buf || !len)
        return BF_EINVAL;
    *len = 0;
    if (n == 0)
        return 0;
    bf_time_us day = t_us - t_us % (INT64_C(86400) * BF_US_PER_S);
    double tod = bf_time_to_s(t_us - day);
    for (size_t i = 0; i < n; i++) {
        struct bf_asterix_report *a = &scratch[i];
        memset(a, 0, sizeof *a);
        a->category = BF_ASTERIX_CAT048;
        a->sac = (uint8_t)r->asterix_sac;
        a->sic = (uint8_t)r->asterix_sic;
        a->items = BF_ASTERIX_I010 | BF_ASTERIX_I140 | BF_ASTERIX_I020 | BF_ASTERIX_I040;
        a->typ = TYP_PSR;
        a->flags = exercise ? BF_ASTERIX_F_SIM : 0;
        a->tod_s = tod;
        a->range_m = plots[i].range_m;
        a->theta_deg = plots[i].bearing_deg;
    }
    return bf_asterix_encode(BF_ASTERIX_CAT048, scratch, n, buf, cap, len);
}
