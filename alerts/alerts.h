/*
 * alerts.h - the alert model: alert rules, one live alert per (track, zone,
 * type), operator requests, and the JSON form published on
 * borderfuse/<site>/alerts.
 *
 * Alert lifecycle (docs/alerts.md):
 *
 *     rule fires            rule fires again / track moves
 *   ------------> [NEW] ------------------------------> [UPDATED] --+
 *                   |                                      ^   |     | (more updates)
 *                   | acknowledge / assign (an operator)   +---+-----+
 *                   +-----------------> [ACKNOWLEDGED] <-------+
 *                                         (kept by later updates)
 *   from any live state:
 *     track deleted (INCURSION, ZONE_ENTRY, acknowledged) --> [LOST] --reacquired--> UPDATED /
 *                                                             ACKNOWLEDGED (same id, episode)
 *     condition over, track deleted, idle resolve_after_s --> [RESOLVED]
 *     an operator's resolve                               --> [RESOLVED] (closed_by)
 *     an operator's false_alarm                           --> [FALSE_ALARM] (closed_by)
 *
 * Every change of an alert is numbered, enriched (dispatch proposals, camera:
 * a pure step over a snapshot, bf_alerter_set_enrich) and handed to the sink:
 * delivery (delivery/delivery.h: the journal, then the outbox).  The id is a
 * UUID derived from (site, type, track id, zone id, first time), so it is
 * stable across updates and across a replay of the same input; seq is a
 * per-site sequence number that only grows (on start it continues after the
 * journal's last: bf_alerter_continue_after).
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
    BF_ALERT_SYSTEM,         /* the engine itself is degraded (disk, track pool, ...) */
};

enum bf_alert_state {
    BF_ALERT_NEW = 1,
    BF_ALERT_UPDATED,
    BF_ALERT_ACKNOWLEDGED,   /* an operator took it (acknowledge / assign a unit) */
    BF_ALERT_RESOLVED,
    BF_ALERT_FALSE_ALARM,    /* an operator's verdict: closed, nothing was there */
    BF_ALERT_LOST,           /* its track ended: last seen, open until resolved or reacquired */
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

/* The confidence (0..1, docs/alerts.md "Confidence") of a track now: what an
 * alert on it would carry; the track picture shows it per track. */
double bf_alert_track_confidence(const struct bf_track *trk);

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
    const char *journal_path;    /* delivery's (the alerter ignores it); NULL: no journal */
    enum bf_fsync_policy journal_fsync;
    bool exercise;               /* mark every alert as exercise */
    const char *audit_path;      /* operator audit log (the engine writes it); NULL: none */
    /* appended: LOITER, UGS_TRIGGER, suppression by class */
    double loiter_distance_m;    /* LOITER band: within this of a border line, either side; 0: off. default 150 */
    double loiter_time_s;        /* ... for this long (event time) raises LOITER; default 90 */
    double loiter_progress_m;    /* ... unless it moved this much to or from the line over loiter_time_s; default 60 */
    double ugs_cover_m;          /* a track covers a ground sensor within its radius + this; default 50 */
    uint32_t ugs_min_events;     /* uncovered trips needed ... default 2 (1..BF_UGS_EVENTS_MAX) */
    double ugs_window_s;         /* ... within this window to raise UGS_TRIGGER; default 60 */
    uint32_t suppress_classes;   /* bit c: tracks of most likely class c raise nothing; default animal */
    /* appended, delivery and retention: docs/alerts.md, docs/retention.md */
    double resend_window_s;      /* after a lost connection, resend what was acked this long before; default 60 */
    double retention_days;       /* closed alerts older than this leave the journal; 0: keep for ever. default 30 */
    /* appended: rules in the field (docs/alerts.md: APPROACH, Class persistence, LOST,
     * Joined history, Crossing points) */
    double approach_min_closing_mps; /* APPROACH needs at least this speed towards the line; default 0.3 */
    double approach_clear_factor;    /* ... and clears only beyond factor x its thresholds (>= 1); default 1.5 */
    double approach_min_dwell_s;     /* ... and after this long without its hold condition; default 10 */
    double class_hold_s;             /* a track's class for alerting changes when the new one held this long ... */
    uint32_t class_hold_updates;     /* ... and for this many updates in a row; defaults 15 s, 5 */
    double lost_radius_m;            /* LOST: radius of the predicted area at the last sighting; default 50 */
    double ugs_join_s;               /* a track may start this long after a ground sensor tripped ... default 120 */
    double ugs_line_m;               /* ... at a sensor this close to the line, to join it; default 100 */
    double crossing_point_window_s;  /* inside a crossing_point zone this long before: no INCURSION; default 300 */
    bool crossing_point_events;      /* a passage raises a low ZONE_ENTRY on the crossing point; default false */
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
    /* appended: SENSOR_FAULT, UGS_TRIGGER and an INCURSION of ground sensors alone (track_id
     * is then 0 and shown as null) */
    int sensor_idx;                   /* the sensor it is keyed by, -1 for track alerts */
    char reason[128];                 /* why, for people */
    /* appended: grouping, LOITER, the operator's side, dispatch, cueing */
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
    /* appended: LOST (its track ended; docs/alerts.md) and the engine's reason for a change */
    bf_time_us lost_us;               /* last seen, while LOST; BF_TIME_NONE otherwise */
    double lost_radius_m;             /* the predicted area at lost_us, centred on lat/lon_deg */
    double lost_growth_mps;           /* ... whose radius grows this fast (the class's speed) */
    char cause[64];                   /* "track lost", "reacquired by track 17", "reclassified
                                       * animal"; "" none.  Shown as "reason" on track alerts */
};

/* Where alert changes go: delivery (journal, outbox), or a test. */
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
    uint64_t publish_errors;
    uint32_t live;
    uint64_t operator_actions;      /* bf_alerter_act requests applied (published) */
    uint64_t false_alarms;          /* closed by an operator as FALSE_ALARM */
    uint64_t reraise_blocked;       /* triggers of a key an operator closed, track still alive */
    uint32_t closed_keys;           /* keys closed by an operator now */
    uint64_t suppressed_class;      /* most likely class in suppress_classes (tracks, UGS hints) */
    uint64_t ugs_trips;             /* ground-sensor trips examined (bf_alerter_on_ugs) */
    uint64_t ugs_covered;           /* ... of which a track covered the sensor */
    /* appended: rules in the field */
    uint64_t lost;                  /* alerts made LOST (their track ended) */
    uint64_t reacquired;            /* LOST alerts taken over by a continuing track */
    uint64_t withdrawn_class;       /* alerts RESOLVED "reclassified <class>" */
    uint64_t crossing_point;        /* crossings (or arrivals on our side) through a crossing point */
    uint64_t joined_incursions;     /* INCURSIONs from joined history (predecessor, ground sensor) */
};

struct bf_alerter;   /* opaque */

/*
 * Create the alerter.  zones and frame are borrowed (engine thread only);
 * sensor_ids[i] names sensor i (borrowed); site is copied.  Numbering starts
 * after 0 (bf_alerter_continue_after: after the journal's last seq).
 */
int bf_alerter_create(const struct bf_alert_params *p, const char *site, struct bf_geo_zones *zones,
                      struct bf_geo_frame *frame, const char *const *sensor_ids, size_t n_sensors,
                      const struct bf_alert_sink *sink, struct bf_alerter **out);
void bf_alerter_destroy(struct bf_alerter *a);   /* accepts NULL */

/*
 * Take new parameters and zones in place (a configuration reload), keeping
 * the live alerts, the per-track records and the closed keys.  The zones
 * must keep every zone of the current ones at its index with its id and
 * kind (geometry, name and severity may change); new zones follow them.
 * zones is borrowed from then on (the old ones may be freed after); the
 * journal is delivery's (p->journal_path ignored).  Returns 0, or BF_EINVAL with
 * the reason in err (nothing changed).
 */
int bf_alerter_reconfigure(struct bf_alerter *a, const struct bf_alert_params *p,
                           struct bf_geo_zones *zones, char *err, size_t errlen);

/*
 * Evaluate the rules after a track changed (what: BF_CHANGE_* from the
 * tracker) with the geofence step just computed for it.  Raises, updates or
 * resolves alerts; each change is handed to the sink.  step may be
 * NULL only with BF_CHANGE_DELETED (the track's INCURSION, ZONE_ENTRY and
 * acknowledged alerts become LOST, the others are resolved).  A track whose
 * continues_id names a lost track takes over that track's alerts (LOST ones
 * reacquired: same id and episode), dwell and side history and closed keys.
 */
int bf_alerter_on_track(struct bf_alerter *a, const struct bf_track *trk, uint32_t what,
                        const struct bf_geo_step *step);

/* Advance event time: resolve alerts idle for resolve_after_s (never SENSOR_FAULT, SYSTEM,
 * LOST, nor an acknowledged INCURSION; an idle INCURSION or ZONE_ENTRY becomes LOST). */
int bf_alerter_tick(struct bf_alerter *a, bf_time_us now_us);

/*
 * A sensor went silent (faulty) or came back (!faulty) at event time t_us:
 * raises a SENSOR_FAULT alert at the sensor's position (lat/lon), or resolves
 * the live one.  One live SENSOR_FAULT per sensor; repeated calls in the same
 * state do nothing.  reason is copied; on a resolve, a reason given (not NULL,
 * not "") replaces the live one's ("sensor removed").
 */
int bf_alerter_sensor_fault(struct bf_alerter *a, uint32_t sensor_idx, bool faulty, bf_time_us t_us,
                            double lat_deg, double lon_deg, const char *reason);

/* What a SYSTEM alert is about: the engine itself is degraded (docs/alerts.md). */
enum bf_system_fault {
    BF_SYSTEM_STORAGE = 0,     /* journal / audit writes failing (disk full, I/O error) */
    BF_SYSTEM_TRACK_POOL,      /* the track pool is full: new targets cannot start tracks */
    BF_SYSTEM_INGEST,          /* detections are being shed (ingest overload) */
    BF_SYSTEM_FAULT_COUNT
};

/* "storage", "track_pool", "ingest" */
const char *bf_system_fault_name(enum bf_system_fault f);

/*
 * The engine became degraded (active) or recovered (!active) at event time
 * t_us: raises a SYSTEM alert (severity high, no position, reason copied) or
 * resolves the live one.  One live SYSTEM alert per kind; repeated calls in
 * the same state do nothing (the reason of a live one is not changed).
 * Returns 0, BF_EINVAL or BF_ENOMEM.
 */
int bf_alerter_system_fault(struct bf_alerter *a, enum bf_system_fault kind, bool active,
                            bf_time_us t_us, const char *reason);

#define BF_UGS_EVENTS_MAX 8   /* largest ugs_min_events */

/*
 * Sensor kinds for the confidence's independence term (docs/alerts.md):
 * kinds[i] names the kind of sensor i (the configured "type": "asterix",
 * "camera", "ugs", "json" ...); sensors with equal strings are one kind.
 * Strings are compared here and not kept.  Until this is called every sensor
 * is a kind of its own.  Returns 0 or BF_EINVAL.
 */
int bf_alerter_set_sensor_kinds(struct bf_alerter *a, const char *const *kinds, size_t n);

/*
 * A ground sensor tripped: d is one PRESENCE or BEARING detection of sensor
 * d->sensor_idx (a "ugs" sensor), already handed to the tracker; range_m the
 * sensor's coverage (bearings); tracks[0..n_tracks) the live tracks after
 * that scan (borrowed for the call).  When no CONFIRMED/COASTING track covers
 * the sensor the trip counts towards UGS_TRIGGER (ugs_min_events within
 * ugs_window_s); a track that covers it resolves the live UGS_TRIGGER.  An
 * uncovered trip that follows one of a sensor on the line's other side
 * raises a sequence INCURSION without a track (docs/alerts.md).
 * Other kinds are ignored.  Returns 0 or BF_EINVAL.
 */
int bf_alerter_on_ugs(struct bf_alerter *a, const struct bf_detection *d, double range_m,
                      const struct bf_track *const *tracks, size_t n_tracks);

void bf_alerter_get_stats(const struct bf_alerter *a, struct bf_alerter_stats *out);

/*
 * Does the alert follow a track (track_id set)?  False for SENSOR_FAULT,
 * UGS_TRIGGER, SYSTEM and an INCURSION raised from a ground-sensor sequence
 * until a track takes it over: their track_id is null in the JSON.
 */
bool bf_alert_has_track(const struct bf_alert *a);

/*
 * The alert as JSON (docs/alerts.md): writes at most len bytes with NUL;
 * returns the length, or BF_ERANGE if it did not fit.  sensor_ids names the
 * bits of a->sensors.
 */
int bf_alert_to_json(const struct bf_alert *a, const char *site, const char *const *sensor_ids,
                     size_t n_sensors, char *buf, size_t len);

/* ---- operators: requests on borderfuse/<site>/alerts/ack (docs/alerts.md) ---- */

enum bf_ack_action {
    BF_ACK_NONE = 0,          /* missing or unknown (the request is refused) */
    BF_ACK_ACKNOWLEDGE,       /* "acknowledge": NEW/UPDATED -> ACKNOWLEDGED */
    BF_ACK_ASSIGN,            /* "assign": a unit takes it; ACKNOWLEDGED */
    BF_ACK_RESOLVE,           /* "resolve": RESOLVED, leaves the live set */
    BF_ACK_FALSE_ALARM,       /* "false_alarm": FALSE_ALARM, leaves the live set */
};

/* "acknowledge", "assign", "resolve", "false_alarm"; NULL for BF_ACK_NONE. */
const char *bf_ack_action_name(enum bf_ack_action a);

#define BF_ACK_PAYLOAD_MAX 4096     /* longer requests are refused unread */
#define BF_ACK_REQUEST_ID_MAX 65    /* request id + NUL */
#define BF_ACK_NOTE_MAX 257         /* note + NUL */
#define BF_ACK_ACTION_TEXT_MAX 24   /* the action as written, for the reply and the audit */

/* An operator's request, as far as it could be read: the fields of a refused
 * request hold whatever was valid ("" where absent or bad). */
struct bf_ack_request {
    char request_id[BF_ACK_REQUEST_ID_MAX];
    char alert_id[BF_ALERT_ID_LEN];          /* lower-case UUID text */
    enum bf_ack_action action;
    char action_text[BF_ACK_ACTION_TEXT_MAX];/* as written (truncated), "" if absent */
    char operator_id[BF_OPERATOR_MAX];       /* who: the topic suffix, else the payload's */
    char payload_operator[BF_OPERATOR_MAX];  /* the payload's "operator" ("" if none) */
    char unit[BF_UNIT_ID_MAX];               /* assign only */
    char note[BF_ACK_NOTE_MAX];
    bool has_request_id;                     /* request_id given (it may be "") */
    bool operator_from_topic;                /* operator_id is the topic suffix */
    char error[128];                         /* why it is refused; "" when valid */
};

/*
 * Read an operator request: payload[0..len) (need not be NUL-terminated) as
 * it arrived on borderfuse/<site>/alerts/ack (topic_operator NULL) or on
 * .../alerts/ack/<operator> (topic_operator the suffix, which wins over the
 * payload's "operator").  Pure: no I/O, no clock, no state.  Returns 0, or
 * BF_EPARSE with out->error saying why (out is always filled as far as it
 * could be read).
 */
int bf_ack_parse(const void *payload, size_t len, const char *topic_operator,
                 struct bf_ack_request *out);

/*
 * Who may act on alerts (docs/operators.md, "Who may act"): the configured
 * operators' names (n_names 0: any name), the sensors' ids (never an
 * operator: a captured sensor account must not close an alert), and whether
 * only the broker-vouched alerts/ack/<operator> topic is taken.  Borrowed
 * arrays; nothing is copied.
 */
struct bf_ack_authority {
    const char *const *names;        /* allowed operators; NULL when n_names is 0 */
    size_t n_names;
    const char *const *sensor_ids;   /* refused as operators */
    size_t n_sensor_ids;
    bool require_topic_name;         /* refuse requests on the bare alerts/ack topic */
};

/*
 * Check a parsed, valid request's operator against auth.  Pure.  Returns 0,
 * or BF_EINVAL with req->error saying who was refused and why (a request
 * already refused is left as it is and returns BF_EPARSE).
 */
int bf_ack_authorize(struct bf_ack_request *req, const struct bf_ack_authority *auth);

/* True when s is a usable operator name: 1 .. BF_OPERATOR_MAX-1 bytes of
 * UTF-8 without control characters, '/', '+' or '#' (one MQTT topic level). */
bool bf_ack_operator_name_ok(const char *s);

/* What bf_alerter_act did. */
struct bf_ack_result {
    bool ok;
    enum bf_alert_state state;  /* the alert's state after the request; 0 if no such alert */
    enum bf_alert_type type;    /* the alert's type; 0 if no such alert */
    uint32_t track_id;
    uint64_t seq;               /* seq of the change published; 0 if none */
    bf_time_us t_us;            /* event time given to the action; BF_TIME_NONE if none */
    char error[128];            /* why it was refused; "" when ok */
};

/*
 * The reply on borderfuse/<site>/alerts/result: {"request_id", "alert_id",
 * "action", "ok", "state", "error"}.  res NULL: refused before it reached the
 * alerter, with req->error.  Writes at most len bytes with NUL; returns the
 * length or BF_ERANGE.
 */
int bf_ack_reply_json(const struct bf_ack_request *req, const struct bf_ack_result *res, char *buf,
                      size_t len);

/*
 * Apply a valid operator request (engine thread only) at event time
 * max(alert's last change, now_us): acknowledge / assign make the live alert
 * ACKNOWLEDGED (and it stays so through later updates), resolve / false_alarm
 * close it and close its key (track, zone, type) while the track lives.  The
 * change is published like any other (new seq, sink).  Refused -
 * out->ok false with the reason, nothing changed - when no live alert has
 * that id, or the action does not fit its state.  Returns 0 (out says what
 * happened) or BF_EINVAL for bad arguments.
 */
int bf_alerter_act(struct bf_alerter *a, const struct bf_ack_request *req, bf_time_us now_us,
                   struct bf_ack_result *out);

/* True if a live alert has unit_id assigned by an operator (dispatch). */
bool bf_alerter_unit_assigned(const struct bf_alerter *a, const char *unit_id);

/*
 * Enrichment (docs/dispatch.md, docs/cueing.md): a pure step over view (a
 * snapshot of units and cameras its owner refreshes, borrowed) that sets an
 * alert's units[], n_units, intercept_lat/lon and camera_idx.  It reads the
 * view and the alert only: it must not call into the alerter, publish or
 * change the view.
 */
typedef void (*bf_alert_enrich_fn)(const void *view, struct bf_alert *al);

/*
 * fn(view, alert) runs on the engine thread just before every publication of
 * an alert is formatted (the alert keeps what it set until the next call).
 * fn NULL: none.
 */
void bf_alerter_set_enrich(struct bf_alerter *a, bf_alert_enrich_fn fn, const void *view);

/*
 * Numbering continues after seq (delivery's journal: the highest seq it ever
 * handed out), when seq is above the last handed out.  Before the first alert.
 */
void bf_alerter_continue_after(struct bf_alerter *a, uint64_t seq);

/* True if a live alert (NEW, UPDATED, ACKNOWLEDGED, LOST) has this id. */
bool bf_alerter_is_live(const struct bf_alerter *a, const char *alert_id);

#endif
