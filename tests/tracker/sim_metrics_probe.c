/*
 * sim_metrics_probe.c - a program that uses the simulator's metrics library
 * (OSPA between two small point sets) so that test_tracker_links can check
 * with ldd what that library drags in.  It prints the distance and fails if
 * the computation does; the values themselves are asserted in
 * tests/sim/test_metrics.c.
 */
#include <stdio.h>

#include "sim/sim.h"

int main(void)
{
    const struct bf_sim_xy truth[2] = {{0.0, 0.0}, {100.0, 0.0}};
    const struct bf_sim_xy est[1] = {{3.0, 4.0}};
    struct bf_sim_metric_ws *ws = NULL;
    struct bf_sim_metric m;
    if (bf_sim_metric_ws_create(4, 0, &ws) != 0)
        return 1;
    int rc = bf_sim_metric_compute(ws, est, 1, truth, 2, 50.0, 1.0, &m);
    bf_sim_metric_ws_destroy(ws);
    if (rc != 0)
        return 1;
    printf("ospa %.3f m, gospa %.3f m\n", m.ospa, m.gospa);
    return 0;
}
