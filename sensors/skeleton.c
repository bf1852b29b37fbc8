/*
 * skeleton.c - a copy-me sensor plugin that compiles and does nothing.
 *
 * To write a plugin: copy this file, rename "skeleton", fill in open() and
 * close(), and add the ops struct to registry.c (or build it as a shared
 * object).  Keep designated initializers: positional ones shift silently when
 * the ABI gains a member.  In open(): validate cfg->options (refuse unknown
 * keys), start the I/O (subscribe through the host, or start a reader
 * thread), and from the I/O thread call bf_sensor_emit() for each decoded
 * detection, bf_sensor_fault() for each malformed input and bf_sensor_good()
 * for each good one.  Decode in a pure function (bytes in, detections out) so
 * it can be fuzzed.
 */
#include "core/bf_error.h"
#include "sensors/sensor.h"
#include "sensors/sensors_int.h"

struct skeleton_state {
    struct bf_sensor_host *host;
    uint32_t index;
};

static int skeleton_open(void *state, const struct bf_sensor_config *cfg, struct bf_sensor_host *host)
{
    struct skeleton_state *s = state;
    s->host = host;
    s->index = cfg->index;
    return 0;
}

static void skeleton_close(void *state)
{
    (void)state;
}

const struct bf_sensor_ops bf_sensor_skeleton_ops = {
    .abi_version = BF_SENSOR_ABI,
    .name = "skeleton",
    .summary = "copy-me example: produces nothing",
    .state_size = sizeof(struct skeleton_state),
    .open = skeleton_open,
    .close = skeleton_close,
};
