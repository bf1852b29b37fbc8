/*
 * events.c - a scenario's scripted events, asked about by time.
 *
 * The events (parsed in features.c, sorted by time) change what the sensors
 * do while the scenario plays: a sensor that is down sends nothing (no
 * detections, no heartbeats, no frames) from its sensor_down until its next
 * sensor_up; weather multiplies the Pd of a radar for a target inside its
 * disc while it lasts; a broker outage is played by the application (it
 * needs the broker's process id).  These queries are pure functions of the
 * scenario and the simulated time, so every emulator (radars here, ground
 * sensors and cameras in their own files) asks the same question and gets
 * the same answer, whatever order it asks in.
 */
#include "sim/sim.h"

#include <math.h>
#include <string.h>

const struct bf_sim_event *bf_sim_events(const struct bf_sim_scenario *s, size_t *n)
{
    if (!s || !s->features || s->features->n_events == 0) {
        *n = 0;
        return NULL;
    }
    *n = s->features->n_events;
    return s->features->events;
}

bool bf_sim_events_sensor_down(const struct bf_sim_scenario *s, const char *sensor_id, double t_s)
{
    size_t n;
    const struct bf_sim_event *ev = bf_sim_events(s, &n);
    bool down = false;
    /* the last down/up event for this sensor at or before t_s decides */
    for (size_t i = 0; i < n && ev[i].at_s <= t_s; i++) {
        if ((ev[i].type == BF_SIM_EVENT_SENSOR_DOWN || ev[i].type == BF_SIM_EVENT_SENSOR_UP) &&
            ev[i].sensor && sensor_id && strcmp(ev[i].sensor, sensor_id) == 0)
            down = ev[i].type == BF_SIM_EVENT_SENSOR_DOWN;
    }
    return down;
}

double bf_sim_events_pd_factor(const struct bf_sim_scenario *s, double e_m, double n_m, double t_s)
{
    size_t n;
    const struct bf_sim_event *ev = bf_sim_events(s, &n);
    double f = 1.0;
    for (size_t i = 0; i < n && ev[i].at_s <= t_s; i++) {
        if (ev[i].type != BF_SIM_EVENT_WEATHER || t_s >= ev[i].at_s + ev[i].duration_s)
            continue;
        if (hypot(e_m - ev[i].e_m, n_m - ev[i].n_m) <= ev[i].radius_m)
            f *= ev[i].pd_factor;
    }
    return f;
}

size_t bf_sim_event_describe(const struct bf_sim_event *ev, char *buf, size_t len)
{
    int n = 0;
    switch (ev->type) {
    case BF_SIM_EVENT_SENSOR_DOWN:
        n = snprintf(buf, len, "sensor %s down: it sends nothing until it is up", ev->sensor);
        break;
    case BF_SIM_EVENT_SENSOR_UP:
        n = snprintf(buf, len, "sensor %s up again", ev->sensor);
        break;
    case BF_SIM_EVENT_WEATHER:
        n = snprintf(buf, len, "weather for %.0f s: radar Pd x%.2f within %.0f m of %.5f %.5f",
                     ev->duration_s, ev->pd_factor, ev->radius_m, ev->lat_deg, ev->lon_deg);
        break;
    case BF_SIM_EVENT_BROKER_OUTAGE:
        n = snprintf(buf, len, "broker outage for %.0f s of simulated time", ev->duration_s);
        break;
    }
    return n < 0 ? 0 : ((size_t)n < len ? (size_t)n : (len ? len - 1 : 0));
}
