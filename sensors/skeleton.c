/*
 * skeleton.c - a copy-me sensor plugin that compiles and does nothing.
 *
 * To write a plugin: copy this file, rename "skeleton", fill in open() and
 * close(), and either add the ops struct to registry.c (a built-in) or build
 * it as a shared object - as CMake builds this very file into
 * bf_sensor_skeleton.so with BF_SENSOR_SHARED_OBJECT defined, so that the
 * ops struct is exported as BF_SENSOR_PLUGIN_SYMBOL - and name it in the
 * sensor's config: {"type": "skeleton", "plugin": "path/to/the.so"}
 * (docs/plugins.md).  Keep designated initializers: positional ones shift
 * silently when the ABI gains a member.  In open(): read cfg->options with
 * the plugin's option table (sensors/options.h: unknown keys, types and
 * ranges are refused with the config's line and column), start the I/O (subscribe through the host, or start a reader
 * thread), and from the I/O thread call bf_sensor_emit() for each decoded
 * detection, bf_sensor_fault() for each malformed input and bf_sensor_good()
 * for each good one.  Decode in a pure function (bytes in, detections out) so
 * it can be fuzzed.
 */
#include <stddef.h>

#include "core/bf_error.h"
#include "sensors/options.h"
#include "sensors/sensor.h"
#include "sensors/sensors_int.h"

struct skeleton_state {
    struct bf_sensor_host *host;
    uint32_t index;
    bool report_abi;   /* option "report_abi" */
};

/* The options, one line each: key, type, flags, destination, range/default, meaning. */
static const struct bf_sensor_opt skeleton_opt[] = {
    {"report_abi", BF_OPT_BOOL, 0, offsetof(struct skeleton_state, report_abi), .def = 1,
     .help = "publish the host's ABI as the health figure \"skeleton_abi\""},
};
static const struct bf_sensor_opts skeleton_opts =
    BF_SENSOR_OPTS("skeleton", "docs/plugins.md", skeleton_opt);

static int skeleton_open(void *state, const struct bf_sensor_config *cfg, struct bf_sensor_host *host)
{
    struct skeleton_state *s = state;
    if (cfg->abi_version < 1)
        return BF_EVERSION;
    if (bf_sensor_opts_read(cfg, &skeleton_opts, s) < 0)
        return BF_EINVAL;
    s->host = host;
    s->index = cfg->index;
    /* an ABI 2 service, guarded by the wrapper: shows up in the sensor's status */
    if (s->report_abi)
        bf_sensor_health(host, cfg->index, "skeleton_abi", BF_SENSOR_ABI);
    return 0;
}

static void skeleton_close(void *state)
{
    (void)state;
}

#ifdef BF_SENSOR_SHARED_OBJECT
#define SKELETON_OPS bf_sensor_plugin   /* BF_SENSOR_PLUGIN_SYMBOL: what the host looks up */
extern const struct bf_sensor_ops SKELETON_OPS;
#else
#define SKELETON_OPS bf_sensor_skeleton_ops
#endif

const struct bf_sensor_ops SKELETON_OPS = {
    .abi_version = BF_SENSOR_ABI,
    .name = "skeleton",
    .summary = "copy-me example: produces nothing",
    .state_size = sizeof(struct skeleton_state),
    .open = skeleton_open,
    .close = skeleton_close,
};
