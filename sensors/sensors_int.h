/*
 * sensors_int.h - cross-file internals of sensors/: the built-in ops structs.
 */
#ifndef BF_SENSORS_INT_H
#define BF_SENSORS_INT_H

#include "sensors/sensor.h"

extern const struct bf_sensor_ops bf_sensor_json_ops;
extern const struct bf_sensor_ops bf_sensor_skeleton_ops;

#endif
