/*
 * registry.c - the table of built-in sensor plugins and the names of the
 * fault kinds every plugin counts.
 *
 * The engine looks a sensor's "type" up here and refuses an ops struct whose
 * abi_version it does not know, naming both versions (docs/plugins.md).
 */
#include <string.h>

#include "sensors/sensor.h"
#include "sensors/sensors_int.h"

static const struct bf_sensor_ops *const builtins[] = {
    &bf_sensor_json_ops,
    &bf_sensor_ugs_ops,
    &bf_sensor_gps_ops,
    &bf_sensor_asterix_ops,
    &bf_sensor_camera_ops,
};

static const char *const builtin_names[] = {
    "json",
    "ugs",
    "gps",
    "asterix",
    "camera",
    NULL,
};

const struct bf_sensor_ops *bf_sensor_builtin(const char *name)
{
    for (size_t i = 0; i < sizeof builtins / sizeof builtins[0]; i++)
        if (name && strcmp(builtins[i]->name, name) == 0)
            return builtins[i];
    return NULL;
}

const char *const *bf_sensor_builtin_names(void) { return builtin_names; }

const char *bf_sensor_fault_name(enum bf_sensor_fault_kind k)
{
    static const char *const names[BF_FAULT_KIND_COUNT] = {
        [BF_FAULT_SYNTAX] = "syntax",       [BF_FAULT_SCHEMA] = "schema",
        [BF_FAULT_RANGE] = "range",         [BF_FAULT_TIME] = "time",
        [BF_FAULT_IDENTITY] = "identity",   [BF_FAULT_OVERFLOW] = "overflow",
        [BF_FAULT_QUEUE_FULL] = "queue_full", [BF_FAULT_AUTH] = "auth",
        [BF_FAULT_UNSUPPORTED] = "unsupported",
    };
    return (unsigned)k < BF_FAULT_KIND_COUNT ? names[k] : "unknown";
}
