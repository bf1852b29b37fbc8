/*
 * alerts.h - alert rules, one live alert per (track, zone, type), the alert
 * journal, and the JSON form published on borderfuse/<site>/alerts.
 *
 * Alert lifecycle (issue 2 implements NEW, UPDATED, RESOLVED; operators add
 * ACKNOWLEDGED later):
 *
 *     rule fires            rule fires again / track moves
 *   ------------> [NEW] ------------------------------> [UPDATED] --+
 *                   |                                      ^   |     | (more updates)
 *                   |                                      +---+-----+
 *                   | track deleted or no update for resolve_after_s
 *                   +--------------------------------------> [RESOLVED]
 *
 * Every change of an alert is appended to the journal, then handed to the
 * sink (the MQTT publisher).  The id is a UUID derived from (site, type,
 * track id, zone id, first time), so it is stable across updates and across
 * a replay of the same input; seq is a per-site sequence number that only
 * grows (restored from the journal on start).
 */
#ifndef BF_ALERTS_H
#define BF_ALERTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/bf_detection.h"
#include "core/bf_time.h"
#include "geo/geo.h"
#include "tracks/tracks.h"

enum bf_alert_type {
    BF_ALERT_INCURSION = 1,  /* a confirmed track crossed a border line onto our side */
    BF_ALERT_ZONE_ENTRY,     /* entered a restricted zone */
    BF_ALERT_APPROACH,       /* within a distance of, or a predicted time to, the line */
    BF_ALERT_LOITER,
    BF_ALERT_UGS_TRIGGER,
    BF_ALERT_SENSOR_FAULT,
};

enum bf_alert_state {
    BF_ALERT_NEW = 1,
    BF_ALERT_UPDATED,
    BF_ALERT_ACKNOWLEDGED,   /* an operator took it (acknowledge / assign a unit) */
    BF_ALERT_RESOLVED,
    BF_ALERT_FALSE_ALARM,    /* an operator's verdict: closed, nothing was there */
};

enum bf_severity {
    BF_SEV_LOW = 1,
    BF_SEV_MEDIUM = 2,
    BF_SEV_HIGH = 3,
    BF_SEV_CRITICAL = 4,
};

/* "INCURSION", ...; "NEW", ...; "low", "medium", "high", "critical" */
const char *bf_alert_type_name(enum bf_alert_type t);
const char *bf_alert_state_name(enum bf_alert_state s);
const char *bf_severity_name(enum bf_severity s);

enum bf_fsync_policy {
    BF_FSYNC_ALWAYS = 0,   /* fsync after every journal append (default) */
    BF_FSYNC_NEVER,        /* leave it to the OS */
};

/* Alert rule parameters (the config's "alerts" section). */
struct bf_alert_params {
    double approach_distance_m;  /* APPROACH when on their side within this of the line; 0: off. default 300 */
    double approach_time_s;      /* ... or predicted to reach it within this; 0: off. default 120 */
    double rearm_distance_m;     /* INCURSION ends only this far back on their side; default 50 */
    uint32_t min_hits;           /* a track needs this many hits before it may alert; default 5 */
    double min_confidence;       /* below it no alert is raised; default 0.5 */
    double resolve_after_s;      /* live alert without update for this long is RESOLVED; default 120 */
    double update_min_interval_s;/* do not republish an UPDATED alert more often; default 5 */
    const char *journal_path;    /* NULL: no journal (tests only) */
    enum bf_fsync_policy journal_fsync;
    bool exercise;               /* mark every alert as exercise */
};

void bf_alert_params_default(struct bf_alert_params *p);

#define BF_ALERT_ID_LEN 37   /* UUID text + NUL */
#define BF_OPERATOR_MAX 64   /* operator name + NUL */
#define BF_UNIT_ID_MAX 65    /* response unit id + NUL */
#define BF_ALERT_UNITS 3     /* units proposed per alert */

/* A response unit proposed for an alert (docs/dispatch.md). */
struct bf_alert_unit {
    char id[BF_UNIT_ID_MAX];
    double distance_m;        /* straight line, unit to the track now */
    double eta_s;             /* to the interception point at the unit's speed */
};
#define BF_ZONE_ID_MAX 64
#define BF_ZONE_NAME_MAX 128

struct bf_alert {
    char id[BF_ALERT_ID_LEN];
    uint64_t seq;                 /* per-site, grows with every published change */
    enum bf_alert_type type;
    enum bf_severity severity;
    enum bf_alert_state state;
    uint32_t track_id;
    int zone_idx;                 /* -1 if none */
    char zone_id[BF_ZONE_ID_MAX];
    bf_time_us first_us;          /* event time the alert was raised */
    bf_time_us last_us;           /* event time of the latest change */
    double lat_deg, lon_deg;      /* track position at last_us */
    double ve_mps, vn_mps;
    double speed_mps, heading_deg;/* heading clockwise from true north */
    enum bf_class cls;            /* most likely class */
    double class_p;               /* its probability */
    double confidence;            /* 0..1 */
    double time_to_line_s;        /* INFINITY if not approaching */
    double dist_to_line_m;        /* NAN if the site has no border line */
    bf_time_us crossing_us;       /* INCURSION: estimated crossing time, else BF_TIME_NONE */
    uint64_t sensors;             /* bit i: sensor i contributed */
    uint32_t n_hits;
    bool exercise;
    /* appended: the zone as the JSON shows it, so bf_alert_to_json needs no zones */
    char zone_name[BF_ZONE_NAME_MAX]; /* copied (truncated on a UTF-8 boundary); "" if none */
    enum bf_zone_kind zone_kind;      /* valid when zone_idx >= 0 */
    /* appended: SENSOR_FAULT only (track_id is then 0 and shown as null) */
    int sensor_idx;                   /* the faulty sensor, -1 for track alerts */
    char reason[128];                 /* why, for people */
    /* appended (issue 6): grouping, LOITER, the operator's side, dispatch, cueing */
    char episode[BF_ALERT_ID_LEN];    /* id of the first alert of this incursion episode */
    double dwell_s;                   /* LOITER: time spent near the line; else NAN */
    bf_time_us ack_us;                /* when an operator acknowledged it; BF_TIME_NONE if not */
    char ack_by[BF_OPERATOR_MAX];     /* who acknowledged it ("" if nobody) */
    char closed_by[BF_OPERATOR_MAX];  /* who resolved it / marked it a false alarm ("": the engine) */
    char assigned_unit[BF_UNIT_ID_MAX]; /* unit an operator assigned ("" none) */
    struct bf_alert_unit units[BF_ALERT_UNITS];  /* nearest available units, nearest ETA first */
    unsigned n_units;
    double intercept_lat, intercept_lon; /* predicted interception point (NAN if none) */
    int camera_idx;                   /* sensor index of the camera cued to it, -1 none */
};

/* Where alert changes go after the journal: the MQTT publisher, or a test. */
struct bf_alert_sink {
    /* json is the alert's JSON (NUL-terminated, borrowed). Return 0 or BF_E*. */
    int (*publish)(void *ctx, const struct bf_alert *a, const char *json, size_t len);
    void *ctx;
};

struct bf_alerter_stats {
    uint64_t raised;        /* NEW alerts */
    uint64_t updated;
    uint64_t resolved;
    uint64_t suppressed_no_alert;   /* inside a no_alert zone */
    uint64_t suppressed_confidence; /* below min_confidence */
    uint64_t suppressed_test;       /* from TEST-flagged detections */
    uint64_t journal_errors;
    uint64_t publish_errors;
    uint32_t live;
};

struct bf_alerter;   /* opaque */

/*
 * Create the alerter.  zones and frame are borrowed (engine thread only);
 * sensor_ids[i] names sensor i (borrowed); site is copied.  If the journal
 * exists its last seq is read so numbering continues.
 */
int bf_alerter_create(const struct bf_alert_params *p, const char *site, struct bf_geo_zones *zones,
                      struct bf_geo_frame *frame, const char *const *sensor_ids, size_t n_sensors,
                      const struct bf_alert_sink *sink, struct bf_alerter **out);
void bf_alerter_destroy(struct bf_alerter *a);   /* accepts NULL */

/*
 * Evaluate the rules after a track changed (what: BF_CHANGE_* from the
 * tracker) with the geofence step just computed for it.  Raises, updates or
 * resolves alerts; each change is journaled then published.  step may be
 * NULL only with BF_CHANGE_DELETED (the track's alerts are resolved).
 */
int bf_alerter_on_track(struct bf_alerter *a, const struct bf_track *trk, uint32_t what,
                        const struct bf_geo_step *step);

/* Advance event time: resolve alerts idle for resolve_after_s (never SENSOR_FAULT). */
int bf_alerter_tick(struct bf_alerter *a, bf_time_us now_us);

/*
 * A sensor went silent (faulty) or came back (!faulty) at event time t_us:
 * raises a SENSOR_FAULT alert at the sensor's position (lat/lon), or resolves
 * the live one.  One live SENSOR_FAULT per sensor; repeated calls in the same
 * state do nothing.  reason is copied.
 */
int bf_alerter_sensor_fault(struct bf_alerter *a, uint32_t sensor_idx, bool faulty, bf_time_us t_us,
                            double lat_deg, double lon_deg, const char *reason);

void bf_alerter_get_stats(const struct bf_alerter *a, struct bf_alerter_stats *out);

/*
 * The alert as JSON (docs/alerts.md): writes at most len bytes with NUL;
 * returns the length, or BF_ERANGE if it did not fit.  sensor_ids names the
 * bits of a->sensors.
 */
int bf_alert_to_json(const struct bf_alert *a, const char *site, const char *const *sensor_ids,
                     size_t n_sensors, char *buf, size_t len);

#endif
