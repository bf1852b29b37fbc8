/*
 * sensor.h - the sensor plugin ABI (version 2; version 1 plugins still load).
 *
 * A plugin turns what one kind of sensor says into struct bf_detection.  It
 * is a versioned ops struct (after sqlite3_vfs and gpsd's driver table):
 * abi_version first, members only ever appended, the host checks the version
 * before touching a member, unknown versions are refused with both numbers
 * logged.  The host allocates state_size bytes, zeroed, per sensor instance.
 *
 * Threads: open() and close() run on the engine's main thread.  A plugin's
 * input callbacks run on an I/O thread (Paho's, its own reader, a GStreamer
 * streaming thread); from there it calls bf_sensor_emit() and
 * bf_sensor_fault(), which are thread-safe and never block.
 *
 * Copy sensors/skeleton.c to start a new plugin.
 */
#ifndef BF_SENSOR_H
#define BF_SENSOR_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "core/bf_detection.h"
#include "core/bf_error.h"
#include "core/bf_time.h"

#define BF_SENSOR_ABI 2       /* what this host speaks */
#define BF_SENSOR_ABI_MIN 1   /* the oldest plugin ABI it still loads */

/*
 * A plugin built as a shared object (loaded with "plugin": "path.so" in the
 * sensor's config) exports its ops struct under this name:
 *     const struct bf_sensor_ops bf_sensor_plugin = { .abi_version = ..., };
 * The host refuses an abi_version outside [BF_SENSOR_ABI_MIN, BF_SENSOR_ABI].
 */
#define BF_SENSOR_PLUGIN_SYMBOL "bf_sensor_plugin"

struct bf_geo_frame;
struct bf_json_doc;
struct bf_sensor_host;

/* What a plugin instance is told about its sensor. Borrowed for the instance's life. */
struct bf_sensor_config {
    uint32_t abi_version;       /* BF_SENSOR_ABI of the host */
    const char *site;
    const char *id;
    uint32_t index;             /* sensor_idx to put in every detection */
    double lat_deg, lon_deg, alt_m;
    double e_m, n_m;            /* position in the local frame */
    double range_m;
    double sigma_m, sigma_range_m, sigma_bearing_deg;  /* default accuracies */
    const cJSON *options;       /* plugin-specific options or NULL */
    const struct bf_geo_frame *frame;  /* clone it (bf_geo_frame_clone) for use on I/O threads */
    /* the config document options come from, so that option errors carry the file's line
     * and column (sensors/options.h); NULL when the host has none.  It took the first of
     * four reserved pointers, so a host that predates it passes NULL. */
    const struct bf_json_doc *doc;
    void *future[3];            /* reserved, NULL */
    double height_m;            /* height above the ground (m), 0: unknown (ABI v1 addition) */
};

/* Fault kinds counted per sensor (bf_sensor_fault). */
enum bf_sensor_fault_kind {
    BF_FAULT_SYNTAX = 0,      /* not parseable at all (bad JSON, bad framing) */
    BF_FAULT_SCHEMA,          /* parseable, but a field is missing or of the wrong type */
    BF_FAULT_RANGE,           /* a value out of its range (latitude 123, negative sigma) */
    BF_FAULT_TIME,            /* event time missing or unparseable */
    BF_FAULT_IDENTITY,        /* message names another sensor than its topic */
    BF_FAULT_OVERFLOW,        /* too many detections in one message */
    BF_FAULT_QUEUE_FULL,      /* the engine's ingest queue was full: detection shed */
    BF_FAULT_AUTH,            /* authentication failed: bad or missing HMAC, replayed counter */
    BF_FAULT_UNSUPPORTED,     /* well-formed but not something we decode (an ASTERIX category) */
    BF_FAULT_KIND_COUNT
};

/* "syntax", "schema", ... */
const char *bf_sensor_fault_name(enum bf_sensor_fault_kind k);

struct bf_sensor_ops {
    uint32_t abi_version;   /* first member, always: BF_SENSOR_ABI the plugin was built for */
    const char *name;       /* "json" */
    const char *summary;    /* one line for --help and logs */
    size_t state_size;      /* the host allocates it, zeroed */
    /* Start the instance; 0 or BF_E* (the sensor is then reported down). */
    int (*open)(void *state, const struct bf_sensor_config *cfg, struct bf_sensor_host *host);
    /* Stop and release everything open() took. No callbacks run after it returns. */
    void (*close)(void *state);
    /* v2 members are appended here; never reorder or remove. */
};

/*
 * Services the host offers plugins.  Members only appended; a plugin checks
 * host->abi_version before using a member newer than its own version.
 */
typedef void (*bf_sensor_msg_fn)(void *state, const char *topic, const void *payload, size_t len);

/* A position fix of a platform or response unit (ABI 2, host->position). */
struct bf_position_fix {
    const char *id;          /* platform or unit id, as named in the config */
    bf_time_us t_us;         /* event time of the fix */
    double lat_deg, lon_deg;
    double alt_m;            /* NAN if unknown */
    double speed_mps;        /* NAN if unknown */
    double track_deg;        /* course over ground, degrees true; NAN if unknown */
    int mode;                /* 2 = 2D fix, 3 = 3D fix */
};

struct bf_sensor_host {
    uint32_t abi_version;
    void *ctx;
    /* Hand a decoded detection to the engine (copied). 0 or BF_EFULL (shed and counted). */
    int (*emit)(void *ctx, const struct bf_detection *d);
    /* Count a malformed input for sensor `index`; logged once per kind. */
    void (*fault)(void *ctx, uint32_t index, enum bf_sensor_fault_kind kind, const char *detail);
    /* Subscribe to an MQTT topic filter on the engine's ingest connection. */
    int (*subscribe)(void *ctx, const char *filter, bf_sensor_msg_fn fn, void *state);
    /* Count a good message for sensor `index` (health: last data, counters). */
    void (*good)(void *ctx, uint32_t index, bf_time_us t_us);
    void *future_v1[4];   /* ABI 1 padding, never used */
    /* ---- ABI 2: check host->abi_version >= 2 first ---- */
    /* Publish on the engine's output connection. 0, or BF_ESTATE without MQTT. */
    int (*publish)(void *ctx, const char *topic, const void *payload, size_t len, int qos,
                   int retain);
    /* A numeric health figure of sensor `index`, shown in its status ("battery_pct"). */
    void (*health)(void *ctx, uint32_t index, const char *key, double value);
    /* A position fix: moves the sensors whose "platform" is fix->id (docs/plugins.md). */
    void (*position)(void *ctx, const struct bf_position_fix *fix);
    void *future[4];
};

/* Callers go through these wrappers, never host->x directly. */
static inline int bf_sensor_emit(struct bf_sensor_host *h, const struct bf_detection *d)
{
    return h->emit(h->ctx, d);
}

static inline void bf_sensor_fault(struct bf_sensor_host *h, uint32_t index,
                                   enum bf_sensor_fault_kind kind, const char *detail)
{
    h->fault(h->ctx, index, kind, detail);
}

static inline int bf_sensor_subscribe(struct bf_sensor_host *h, const char *filter,
                                      bf_sensor_msg_fn fn, void *state)
{
    return h->subscribe(h->ctx, filter, fn, state);
}

static inline void bf_sensor_good(struct bf_sensor_host *h, uint32_t index, bf_time_us t_us)
{
    h->good(h->ctx, index, t_us);
}

/* ABI 2 wrappers: BF_EVERSION (or nothing) from a host older than ABI 2. */
static inline int bf_sensor_publish(struct bf_sensor_host *h, const char *topic,
                                    const void *payload, size_t len, int qos, int retain)
{
    if (h->abi_version < 2 || !h->publish)
        return BF_EVERSION;
    return h->publish(h->ctx, topic, payload, len, qos, retain);
}

static inline void bf_sensor_health(struct bf_sensor_host *h, uint32_t index, const char *key,
                                    double value)
{
    if (h->abi_version >= 2 && h->health)
        h->health(h->ctx, index, key, value);
}

static inline void bf_sensor_position(struct bf_sensor_host *h, const struct bf_position_fix *fix)
{
    if (h->abi_version >= 2 && h->position)
        h->position(h->ctx, fix);
}

/* Built-in plugins, by name; NULL if unknown. */
const struct bf_sensor_ops *bf_sensor_builtin(const char *name);
/* Names of the built-ins, NULL-terminated (for --help). */
const char *const *bf_sensor_builtin_names(void);

/* ---- the JSON detection codec (docs/detections.md) ---------------------- */

/* What the codec needs to know about the sensor; pure data, no I/O. */
struct bf_detjson_ctx {
    const char *sensor_id;
    uint32_t sensor_idx;
    double sensor_lat_deg, sensor_lon_deg;   /* default sensor position */
    double sensor_e_m, sensor_n_m;
    double convergence_rad;                  /* true -> grid bearing at the sensor */
    double sigma_m, sigma_range_m, sigma_bearing_deg;
    struct bf_geo_frame *frame;              /* for lat/lon -> local; caller's thread only */
    double sensor_height_m;                  /* default height above ground (cameras), 0: unknown */
};

struct bf_detjson_error {
    enum bf_sensor_fault_kind kind;
    char detail[160];
};

#define BF_DETJSON_MAX_BATCH 2048   /* detections per message, marker included */

/*
 * Decode one message (one detection or a batch) into out[0..max).  On
 * success returns the number of detections written (>= 0); a batch with a
 * message-level time ends with one BF_MEAS_SCAN marker (it is one scan).  On a malformed message
 * returns BF_EPARSE and fills err: the whole message is refused, nothing is
 * emitted from it (a batch is all-or-nothing).  seq_base numbers the output.
 */
int bf_detjson_decode(const struct bf_detjson_ctx *ctx, const char *buf, size_t len,
                      uint32_t seq_base, struct bf_detection *out, size_t max,
                      struct bf_detjson_error *err);

#endif
