/*
 * fake_host.h - a sensor host for plugin tests: the plugin under test runs
 * for real (its sockets, threads, GStreamer pipeline, gpsd connection); this
 * host only records what the plugin hands it, thread-safely, so the test can
 * wait for it and assert on it.
 */
#ifndef BF_FAKE_HOST_H
#define BF_FAKE_HOST_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "sensors/sensor.h"

#define FAKE_MAX_DETS 4096
#define FAKE_MAX_FIXES 1024
#define FAKE_MAX_PUBS 256
#define FAKE_MAX_HEALTH 32

struct fake_pub {
    char topic[160];
    char payload[1024];
    int qos, retain;
};

struct fake_health {
    uint32_t index;
    char key[32];
    double value;
};

struct fake_host {
    struct bf_sensor_host host;       /* hand &fake.host to the plugin's open() */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct bf_detection dets[FAKE_MAX_DETS];
    size_t n_dets;                    /* scan markers included */
    struct bf_position_fix fixes[FAKE_MAX_FIXES];
    char fix_ids[FAKE_MAX_FIXES][64];
    size_t n_fixes;
    struct fake_pub pubs[FAKE_MAX_PUBS];
    size_t n_pubs;
    struct fake_health health[FAKE_MAX_HEALTH];
    size_t n_health;
    unsigned faults[BF_FAULT_KIND_COUNT];
    char last_fault[160];
    unsigned good;
    bf_time_us last_good_t;
};

/* Initialise (ABI 2 host, every service recorded); subscribe() is refused. */
void fake_host_init(struct fake_host *f);
void fake_host_destroy(struct fake_host *f);

/* Wait until pred(f, arg) holds (checked under the lock) or timeout_ms passes. */
bool fake_host_wait(struct fake_host *f, bool (*pred)(const struct fake_host *, const void *),
                    const void *arg, int timeout_ms);

/* Ready-made predicates: at least *(size_t *)arg detections (markers excluded) / fixes / faults. */
bool fake_has_dets(const struct fake_host *f, const void *arg);
bool fake_has_fixes(const struct fake_host *f, const void *arg);
bool fake_has_faults(const struct fake_host *f, const void *arg);

/* Detections other than scan markers, copied out under the lock; returns the count. */
size_t fake_host_dets(struct fake_host *f, struct bf_detection *out, size_t max);

/* Latest value of a health figure, or NAN. */
double fake_host_health(struct fake_host *f, uint32_t index, const char *key);

#endif
