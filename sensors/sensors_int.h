/*
 * sensors_int.h - cross-file internals of sensors/: the built-in ops structs.
 */
#ifndef BF_SENSORS_INT_H
#define BF_SENSORS_INT_H

#include "sensors/sensor.h"

extern const struct bf_sensor_ops bf_sensor_json_ops;
extern const struct bf_sensor_ops bf_sensor_skeleton_ops;
extern const struct bf_sensor_ops bf_sensor_ugs_ops;
extern const struct bf_sensor_ops bf_sensor_gps_ops;
extern const struct bf_sensor_ops bf_sensor_asterix_ops;
extern const struct bf_sensor_ops bf_sensor_camera_ops;

#endif
