/*
 * config.h - the engine configuration: one JSON file (docs/config.md).
 *
 * Parsed once at start-up into a struct bf_config that is passed down,
 * read-only, to every module (docs/architecture.md).  Every mistake is reported
 * with file, line, column, JSON path and what was expected; unknown keys are
 * errors, with a "did you mean" hint.
 */
#ifndef BF_CONFIG_H
#define BF_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "alerts/alerts.h"
#include "alerts/cue.h"
#include "alerts/dispatch.h"
#include "core/bf_diag.h"
#include "core/bf_json.h"
#include "core/bf_log.h"
#include "geo/coverage.h"
#include "tracks/tracks.h"

#define BF_MAX_SENSORS 64   /* a track's contributing sensors are a 64-bit mask */

/* A sensor's "coverage" object (docs/coverage.md): where it detects, how well. */
struct bf_sensor_coverage_cfg {
    double min_range_m;        /* default 0 */
    size_t n_sectors;          /* "sectors_deg": [[from, to], ...] true; 0: all round */
    double sectors_deg[BF_COVERAGE_MAX_SECTORS][2];
    double pd;                 /* NAN: the tracker's "pd" */
    size_t n_pd_points;        /* "pd_by_range": [[range_m, pd], ...], ranges increasing */
    double pd_by_range[BF_COVERAGE_MAX_PD_POINTS][2];
    /* a camera's field of view, from its plugin options "heading_deg" and "hfov_deg"
     * (docs/camera.md); NAN for other sensors or when they are missing */
    double heading_deg, hfov_deg;
};

struct bf_sensor_cfg {
    const char *id;            /* unique, [A-Za-z0-9_.-]+ */
    const char *type;          /* plugin name: "json" */
    double lat_deg, lon_deg;   /* position */
    double alt_m;
    double height_m;           /* height above the ground (cameras: elevation gives range); 0 unknown */
    double e_m, n_m;           /* position in the local frame (filled by the engine) */
    double range_m;            /* coverage radius */
    double sigma_m;            /* default position std for POSITION detections */
    double sigma_range_m;      /* default range std for RANGE_BEARING */
    double sigma_bearing_deg;  /* default bearing std */
    const cJSON *options;      /* plugin-specific "options" object, or NULL (borrowed from doc) */
    const char *plugin_path;   /* a third-party plugin (.so), resolved; NULL: built-in "type" */
    const char *platform;      /* id of the platform whose position fixes move it; NULL: fixed */
    double heartbeat_timeout_s;/* SENSOR_FAULT after this much event time without a good message; 0 off */
    /* "class_confusion": P(reported | true class), row-major (docs/tracking.md); valid only
     * when has_class_confusion, else the default of the sensor's type */
    double class_confusion[BF_CLASS_COUNT * BF_CLASS_COUNT];
    bool has_class_confusion;
    struct bf_sensor_coverage_cfg coverage;
    double max_detections_per_s; /* ingest budget, detections per second of event time; 0: by type
                                  * (docs/engine.md, "Fairness under flood") */
};

/* The "terrain" section (docs/coverage.md): a DEM masks every sensor's coverage. */
struct bf_terrain_cfg {
    const char *dem_path;      /* resolved relative to the config file; NULL: no terrain */
    double target_height_m;    /* default 1.5 */
    double cell_m;             /* raster cell; default 25 */
};

/* engine.test_tracks: what the track picture and CoT do with a radar's test targets. */
enum bf_test_tracks {
    BF_TEST_TRACKS_MARK = 0,    /* shown, marked as test ("test": true; CoT remarks and detail) */
    BF_TEST_TRACKS_OMIT,        /* left out of the picture and of CoT */
};

struct bf_engine_params {
    int64_t reorder_window_us;  /* default 500 ms */
    uint32_t queue_capacity;    /* ingest queue, detections; default 65536 */
    double status_period_s;     /* status publication period (wall); default 5 */
    double idle_flush_s;        /* release the reorder window after this much wall-clock silence; default 2 */
    enum bf_test_tracks test_tracks;   /* default BF_TEST_TRACKS_MARK */
    /* time you can trust and fairness under flood (docs/engine.md) */
    double max_future_skew_s;   /* refuse event times this far ahead of the reference clock; default 30, 0 off */
    double new_tracks_per_s;    /* tracks one sensor may start per second of event time; default 100, 0 no limit */
    double clutter_cell_m;      /* clutter map cell side; default 500 */
    double clutter_memory_s;    /* clutter map forgetting time constant (event time); default 300 */
    double clutter_factor;      /* no track starts where clutter > this x tracker.clutter_density; default 20, 0 off */
    uint32_t step_max_detections; /* detections released per main-loop turn at most; default 8192 */
    double step_budget_ms;      /* wall time one main-loop turn may spend releasing; default 200 */
};

struct bf_mqtt_cfg {
    const char *url;              /* default "tcp://127.0.0.1:1883" */
    const char *client_id;        /* default "borderfuse-<site>" */
    bool client_id_default;       /* not configured: the engine adds -<host>-<pid> */
    const char *credentials_path; /* NULL: anonymous; resolved relative to the config file */
    int keepalive_s;              /* default 20 */
    struct bf_mqtt_tls_cfg {      /* "tls": only with an ssl:// or mqtts:// url (docs/security.md) */
        const char *ca_file;      /* NULL: the system's CAs; paths resolved like credentials */
        const char *cert_file;    /* client certificate, NULL: none */
        const char *key_file;     /* its key, NULL: in cert_file; an encrypted key's password
                                   * is "key_password" in the credentials file */
        bool verify_hostname;     /* default true */
    } tls;
};

/* The "cot" section (docs/cot.md): tracks and alerts as Cursor-on-Target for TAK. */
struct bf_cot_cfg {
    bool enabled;                 /* the section is present */
    const char *udp;              /* "host:port"; default "239.2.3.1:6969"; NULL (null): no UDP */
    const char *tcp;              /* "host:port" of a TAK server; default NULL */
    struct bf_cot_tls_cfg {       /* "tcp_tls": TLS on the tcp stream (docs/cot.md) */
        bool enabled;             /* the object is present */
        const char *ca_file;      /* NULL: the system's CAs; paths resolved like mqtt.tls */
        const char *cert_file;    /* client certificate, NULL: none */
        const char *key_file;     /* its key, NULL: in cert_file */
        const char *credentials_path; /* "credentials": a file with "key_password" for an
                                       * encrypted key (the mqtt credentials' form); NULL: none */
        bool verify_hostname;     /* default true */
    } tcp_tls;
    int ttl;                      /* multicast TTL; default 1 */
    bool loopback;                /* multicast loopback; default true */
    bool tracks, alerts;          /* what is sent; default both */
    bool units;                   /* our response units (dispatch) as friendly; default true */
    double stale_s;               /* track events stale after this; default 5 (track periods of 1 s) */
    const char *alert_type;       /* CoT type of alert events; default "b-l" */
};

/* The "operators" section (docs/operators.md): who may act on alerts. */
struct bf_operators_cfg {
    const char **names;           /* the operators allowed; NULL with n_names 0: any name that
                                   * is not a sensor id (logged as a warning at start) */
    size_t n_names;
    bool require_topic_name;      /* refuse requests on the bare alerts/ack topic; default false */
};

/*
 * The "metrics" section (docs/deploy.md, "Watch the metrics"): a Prometheus /
 * OpenMetrics endpoint with /healthz and /readyz over HTTP.  Off when absent.
 */
struct bf_metrics_cfg {
    bool enabled;                 /* the section is present */
    const char *listen;           /* "host:port" (IPv6 as "[addr]:port"); default "127.0.0.1:9464" */
    bool allow_remote;            /* a non-loopback listen address is refused unless true
                                   * (the endpoint has no authentication); default false */
};

#define BF_METRICS_LISTEN_DEFAULT "127.0.0.1:9464"

#define BF_ZONES_MAX_DISTANCE_M_DEFAULT 50000.0

struct bf_config {
    const char *path;           /* the file it came from */
    const char *site;           /* [A-Za-z0-9_-]+, used in topics */
    double origin_lat_deg, origin_lon_deg;
    const char *crs;            /* "aeqd" (default) or a PROJ CRS */
    const char *zones_path;     /* resolved relative to the config file's folder */
    bool zones_require_border;  /* at least one border_line zone; default true */
    double zones_max_distance_m;/* every zone within this of a sensor; default 50 km */
    struct bf_operators_cfg operators;
    struct bf_mqtt_cfg mqtt;
    struct bf_sensor_cfg *sensors;
    size_t n_sensors;
    struct bf_tracker_params tracker;
    struct bf_alert_params alerts;   /* alerts.journal_path resolved relative to the config */
    struct bf_engine_params engine;
    struct bf_cot_cfg cot;           /* "cot": TAK output, off when absent */
    struct bf_metrics_cfg metrics;   /* "metrics": the monitoring endpoint, off when absent */
    struct bf_cue_params cueing;     /* "cueing": camera cueing (docs/cueing.md) */
    struct bf_cue_camera_cfg *cue_cameras;   /* "cueing.cameras": per-camera overrides */
    size_t n_cue_cameras;
    struct bf_dispatch_params dispatch;      /* "dispatch" (docs/dispatch.md); speeds owned */
    struct bf_terrain_cfg terrain;   /* "terrain": DEM for coverage (docs/coverage.md) */
    enum bf_log_level log_level;     /* default info */
    enum bf_log_format log_format;   /* "log_format": "text" (default) or "json" (docs/engine.md) */
    struct bf_json_doc *doc;         /* owns every string above */
};

/*
 * Load and validate path.  All errors go through diag (every one found, not
 * only the first); returns 0, or BF_EPARSE/BF_EIO/BF_EINVAL with *out NULL.
 */
int bf_config_load(const char *path, struct bf_config **out, struct bf_diag *diag);
void bf_config_destroy(struct bf_config *cfg);   /* accepts NULL */

/*
 * Check a broker URL: a known scheme (tcp, ssl, mqtt, mqtts, ws, wss), a
 * host, no user information ('@'), and a port, when given, of 1..65535.
 * Returns 0, or BF_EINVAL with the reason and the fix in err.  The loader
 * checks mqtt.url with it; the program checks --mqtt-url with it.
 */
int bf_config_check_mqtt_url(const char *url, char *err, size_t errlen);

/*
 * Whether host (an address or "localhost", as in a "host:port" listen
 * address; IPv6 without brackets) is a loopback address: 127.0.0.0/8, ::1,
 * localhost.  Pure.
 */
bool bf_config_host_is_loopback(const char *host);

/* Index of the sensor with this id, or -1. */
int bf_config_sensor_find(const struct bf_config *cfg, const char *id);

#endif
