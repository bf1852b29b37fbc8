/*
 * sensors_int.h - cross-file internals of sensors/: the built-in ops structs.
 */
#ifndef BF_SENSORS_INT_H
#define BF_SENSORS_INT_H

#include <stdbool.h>

#include "sensors/sensor.h"

/*
 * Every member of options (an object, or NULL) is one of known
 * (NULL-terminated)?  If not, logs the first unknown key with the known ones
 * for sensor id of plugin and returns false (sensors/options.c).
 */
bool bf_sensor_options_known(const char *id, const char *plugin, const cJSON *options,
                             const char *const *known);

extern const struct bf_sensor_ops bf_sensor_json_ops;
extern const struct bf_sensor_ops bf_sensor_skeleton_ops;
extern const struct bf_sensor_ops bf_sensor_ugs_ops;
extern const struct bf_sensor_ops bf_sensor_gps_ops;
extern const struct bf_sensor_ops bf_sensor_asterix_ops;
extern const struct bf_sensor_ops bf_sensor_camera_ops;

#endif
