/*
 * plugin_badabi.c - two shared objects the engine must refuse: built with
 * BADABI_VERSION it exports an ops struct for an ABI the host does not know;
 * built with BADABI_NO_SYMBOL it exports nothing under BF_SENSOR_PLUGIN_SYMBOL.
 */
#include "sensors/sensor.h"

static int badabi_open(void *state, const struct bf_sensor_config *cfg, struct bf_sensor_host *host)
{
    (void)state, (void)cfg, (void)host;
    return 0;
}

static void badabi_close(void *state)
{
    (void)state;
}

#ifdef BADABI_NO_SYMBOL
#define BADABI_OPS bf_sensor_misnamed
#else
#define BADABI_OPS bf_sensor_plugin
#endif
extern const struct bf_sensor_ops BADABI_OPS;

const struct bf_sensor_ops BADABI_OPS = {
#ifdef BADABI_VERSION
    .abi_version = BADABI_VERSION,
#else
    .abi_version = BF_SENSOR_ABI,
#endif
    .name = "badabi",
    .summary = "a plugin the engine refuses (tests)",
    .state_size = 1,
    .open = badabi_open,
    .close = badabi_close,
};
