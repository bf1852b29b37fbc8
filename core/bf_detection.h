/*
 * bf_detection.h - the detection: what every sensor plugin produces and every
 * tracker stage consumes (docs/architecture.md, the data model).
 *
 * All positions are in the site's local frame: metres east and north of the
 * origin (geo/ builds the frame with PROJ).  Bearings are radians clockwise
 * from local grid north, in [0, 2*pi); the plugin that decodes a true bearing
 * corrects it for grid convergence at the sensor.
 */
#ifndef BF_DETECTION_H
#define BF_DETECTION_H

#include <stdint.h>

#include "core/bf_time.h"

enum bf_meas_kind {
    BF_MEAS_POSITION      = 1,  /* z = (east_m, north_m) */
    BF_MEAS_RANGE_BEARING = 2,  /* z = (range_m, bearing_rad[, radial_mps]) from the sensor */
    BF_MEAS_BEARING       = 3,  /* z = (bearing_rad[, elevation_rad]) from the sensor;
                                   elevation is negative looking down, see sensor_height_m */
    BF_MEAS_PRESENCE      = 4,  /* z = (radius_m): something within radius of the sensor; R is
                                   not used (the updater derives it from the radius) */
    BF_MEAS_SCAN          = 5,  /* no measurement: the sensor completed a look at t_us. Plugins
                                   emit one per scan message so that an empty scan still counts
                                   misses; the engine never hands it to the tracker. */
    BF_MEAS_HEARTBEAT     = 6,  /* no measurement: the sensor is alive at t_us (a UGS heartbeat).
                                   Keeps SENSOR_FAULT away (heartbeat_timeout_s); never tracked,
                                   never opens a scan. */
};

enum bf_class {
    BF_CLASS_PERSON = 0,
    BF_CLASS_VEHICLE,
    BF_CLASS_ANIMAL,
    BF_CLASS_VESSEL,
    BF_CLASS_AIRCRAFT,
    BF_CLASS_UNKNOWN,
    BF_CLASS_COUNT
};

/* Lower-case names ("person", ...) indexed by enum bf_class. */
extern const char *const bf_class_names[BF_CLASS_COUNT];

/* flags */
#define BF_DET_F_EXERCISE   0x0001u  /* injected by an exercise or simulation */
#define BF_DET_F_TEST       0x0002u  /* sensor test target: never raise real alerts */
#define BF_DET_F_RADIAL     0x0004u  /* RANGE_BEARING carries z[2], radial speed */
#define BF_DET_F_ELEVATION  0x0008u  /* BEARING carries z[1], elevation */
#define BF_DET_F_CLASS      0x0010u  /* class_lik holds class hints */
#define BF_DET_F_TARGET_ID  0x0020u  /* sensor_target_id is valid */
#define BF_DET_F_TRACK_END  0x0040u  /* the sensor ended its track sensor_target_id with this report */

struct bf_detection {
    bf_time_us t_us;            /* event time of the measurement */
    bf_time_us rx_us;           /* wall clock at receipt (latency only) */
    uint32_t sensor_idx;        /* index of the sensor in the configuration */
    uint32_t seq;               /* per-sensor sequence number (tie-break) */
    uint32_t sensor_target_id;  /* the sensor's own target id, if BF_DET_F_TARGET_ID */
    uint16_t kind;              /* enum bf_meas_kind */
    uint16_t flags;             /* BF_DET_F_* */
    double z[3];                /* measurement vector, see enum bf_meas_kind */
    double R[3][3];             /* measurement covariance, in z's units squared */
    double sensor_e_m;          /* sensor position at t_us, local frame */
    double sensor_n_m;
    float class_lik[BF_CLASS_COUNT]; /* class likelihoods if BF_DET_F_CLASS */
    float snr_db;               /* amplitude / SNR, 0 if unknown */
    float sensor_height_m;      /* sensor height above the (flat) ground at t_us, 0 if unknown;
                                   BEARING with BF_DET_F_ELEVATION needs it > 0: with the
                                   elevation it gives the ground range (docs/measurements.md) */
};

/*
 * Dimension of z for a kind and flags (2 for POSITION, 2 or 3 for RANGE_BEARING, ...).
 * Note: the PRESENCE updater compares positions, so its innovation has dimension 2.
 */
static inline int bf_detection_dim(const struct bf_detection *d)
{
    switch (d->kind) {
    case BF_MEAS_POSITION: return 2;
    case BF_MEAS_RANGE_BEARING: return (d->flags & BF_DET_F_RADIAL) ? 3 : 2;
    case BF_MEAS_BEARING: return (d->flags & BF_DET_F_ELEVATION) ? 2 : 1;
    case BF_MEAS_PRESENCE: return 1;
    default: return 0;
    }
}

#endif
