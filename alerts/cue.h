/*
 * cue.h - camera cueing (docs/cueing.md): point the camera that covers a
 * confirmed track or an alert best at it, follow the track as it moves,
 * release the camera when the target is gone.
 *
 * Two layers:
 *  - pure geometry: bf_cue_aim() turns a camera mount and a ground point into
 *    pan, tilt, zoom, range; bf_cue_covers() says whether the camera may take
 *    the point (range, pan limits);
 *  - the cuer: which camera serves which target (one target per camera, by
 *    priority then distance), rate-limited updates, releases.  It reads no
 *    clock (event time only) and emits commands through a sink; engine
 *    thread only.
 *
 * Bearings: "true" bearings are from true north, clockwise, degrees; pan is
 * relative to the mount's zero (the true bearing of pan 0), clockwise,
 * in (-180, 180].  Tilt is negative below the horizon.
 */
#ifndef BF_CUE_H
#define BF_CUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alerts/alerts.h"
#include "core/bf_time.h"
#include "geo/geo.h"
#include "tracks/tracks.h"

/* The config's "cueing" section: defaults for every camera. */
struct bf_cue_params {
    bool enabled;             /* default true */
    double max_range_m;       /* a camera takes targets up to this ground range; default 3000 */
    double target_width_m;    /* zoom so that this width fills the picture; default 20 */
    double fov_min_deg;       /* narrowest horizontal field of view of the lens; default 2 */
    double fov_max_deg;       /* widest; default 60 */
    double min_interval_s;    /* at most one update per camera this often (event time); default 1 */
    double min_move_deg;      /* an update needs pan or tilt to move more than this; default 0.5 */
};

void bf_cue_params_default(struct bf_cue_params *p);

/* Per-camera overrides ("cueing.cameras.<id>"): NAN means "the section's value". */
struct bf_cue_camera_cfg {
    const char *id;           /* a sensor of type "camera" (borrowed) */
    double zero_deg;          /* true bearing of pan 0; NAN: the camera's heading_deg option, else 0 */
    double pan_min_deg, pan_max_deg;   /* NAN: no limit */
    double max_range_m, fov_min_deg, fov_max_deg;
};

#define BF_CUE_ID_LEN 65   /* a camera's id: at most 64 characters (a sensor's id) */

/* One camera as the cuer sees it. */
struct bf_cue_camera {
    const char *id;           /* the sensor's id, used in the topic; the cuer keeps a copy */
    uint32_t sensor_idx;      /* index among the sensors (struct bf_alert.camera_idx) */
    double e_m, n_m;          /* position, local frame */
    double height_m;          /* above the flat ground it looks at; 0: tilt 0 */
    double convergence_rad;   /* grid bearing = true bearing + this, at the camera */
    double zero_deg;          /* true bearing of pan 0 */
    bool pan_limited;
    double pan_min_deg, pan_max_deg;   /* relative to zero, pan_min <= pan_max, within [-180, 180] */
    double max_range_m;
    double fov_min_deg, fov_max_deg;   /* 0 < min <= max < 180 */
};

/* Where to point. */
struct bf_cue_aim {
    double bearing_deg;       /* true bearing to the target, [0, 360) */
    double pan_deg;           /* bearing - zero, (-180, 180] */
    double tilt_deg;          /* -atan(height / range): negative, below the horizon */
    double range_m;           /* ground distance camera -> target */
    double fov_deg;           /* horizontal field of view: 2 atan(width / 2 / range), clamped */
    double zoom;              /* tan(fov_max / 2) / tan(fov / 2): 1 at the widest */
};

/*
 * Aim cam at the ground point (e_m, n_m) of the local frame so that a target
 * target_width_m wide fills the picture (flat ground; earth curvature and
 * refraction ignored: at 3 km they move the tilt by about 0.01 degree).
 * A target at the camera's foot gives range 0, tilt -90 (or 0 without
 * height), the widest field of view.
 */
void bf_cue_aim(const struct bf_cue_camera *cam, double e_m, double n_m, double target_width_m,
                struct bf_cue_aim *out);

/* May cam take a target aimed at by aim: within max_range_m and, if limited, its pan limits. */
bool bf_cue_covers(const struct bf_cue_camera *cam, const struct bf_cue_aim *aim);

/* ---- the cuer ----------------------------------------------------------- */

/* Priorities: a confirmed track 1; a track or point with an alert 1 + its severity (2..5). */
#define BF_CUE_PRIO_TRACK 1

/* One command for one camera (borrowed by the sink for the call). */
struct bf_cue_cmd {
    const struct bf_cue_camera *cam;
    bool release;             /* "release": the target is gone, the camera is free */
    uint32_t track_id;        /* 0: an alert without a track (UGS_TRIGGER) */
    const char *alert_id;     /* "" when the target has no alert */
    int priority;
    enum bf_severity severity;/* of the alert; 0 without */
    bf_time_us t_us;          /* event time of the target's position */
    double lat_deg, lon_deg;  /* the target */
    struct bf_cue_aim aim;    /* the last aim for a release */
    const char *reason;       /* release: "track ended", "out of coverage", "alert closed",
                               * "camera removed" */
};

/*
 * The command as JSON (docs/cueing.md); NUL-terminated.  Returns the length
 * or BF_ERANGE when len is too small (512 bytes always suffice).
 */
int bf_cue_cmd_to_json(const struct bf_cue_cmd *c, char *buf, size_t len);

struct bf_cue_sink {
    void (*publish)(void *ctx, const struct bf_cue_cmd *c);
    void *ctx;
};

struct bf_cuer_stats {
    uint64_t cues;            /* cue commands sent (first and updates) */
    uint64_t releases;
    uint64_t held;            /* updates not sent: too soon or too small a move */
    uint64_t preempted;       /* targets that lost their camera to a higher priority */
    uint64_t uncovered;       /* targets no camera could take when they asked */
    unsigned busy;            /* cameras serving a target now */
};

struct bf_cuer;   /* opaque */

/*
 * Create the cuer for n cameras (copied, their ids too; n may be 0).  frame
 * is borrowed (engine thread).  0, BF_EINVAL or BF_ENOMEM; *out NULL on failure.
 */
int bf_cuer_create(const struct bf_cue_params *p, const struct bf_cue_camera *cams, size_t n,
                   struct bf_geo_frame *frame, const struct bf_cue_sink *sink, struct bf_cuer **out);
void bf_cuer_destroy(struct bf_cuer *c);   /* accepts NULL */

/*
 * The cameras change while the cuer runs (a reload adds, removes or changes
 * sensors: docs/cueing.md).  A camera is known by its sensor index.
 *
 * set: a camera of a sensor index the cuer does not have is added (free,
 *   last in the order of choice); one it has takes cam's id, pose and limits
 *   and keeps its target, aimed anew from the new pose: a cue sent at once,
 *   or, when the camera no longer covers the target, a release ("out of
 *   coverage") and the target asks for another camera; the same settings
 *   change nothing.  0, BF_EINVAL (a bad
 *   camera, as bf_cuer_create refuses) or BF_ENOMEM (nothing changed).
 * remove: the camera's target, if any, is released ("camera removed": the
 *   camera's last command), the camera leaves the cuer and the target asks
 *   for another camera at once.  0 or BF_ENOTFOUND.
 * camera: the camera of sensor_idx as the cuer has it (its id the cuer's
 *   copy), or NULL when none; valid until the cuer's cameras change.
 */
int bf_cuer_set_camera(struct bf_cuer *c, const struct bf_cue_camera *cam);
int bf_cuer_remove_camera(struct bf_cuer *c, uint32_t sensor_idx);
const struct bf_cue_camera *bf_cuer_camera(const struct bf_cuer *c, uint32_t sensor_idx);
/* Same id, sensor index, pose and limits (NAN equals NAN)?  Setting such a camera does nothing. */
bool bf_cue_camera_same(const struct bf_cue_camera *a, const struct bf_cue_camera *b);

/*
 * A track changed (what: BF_CHANGE_* of the scan).  A confirmed (or coasting)
 * track updated by a detection keeps its camera pointed at it, or asks for
 * one; a deleted track releases its camera.  Call after the alerter saw the
 * change (its alerts set the track's priority).
 */
void bf_cuer_on_track(struct bf_cuer *c, const struct bf_track *trk, uint32_t what);

/*
 * An alert was delivered: its severity becomes its target's
 * priority (a track's, or for an alert without a track its own position),
 * which may take a camera now.  A closed alert (RESOLVED, FALSE_ALARM) drops
 * the priority; a trackless alert's camera is released.  Returns the sensor
 * index of the camera serving the alert's target, or -1.
 */
int bf_cuer_on_alert(struct bf_cuer *c, const struct bf_alert *a);

/*
 * The camera bf_cuer_on_alert(c, a) would give a, as c stands now: a pure
 * read (nothing changes, nothing is sent).  Enrichment fills the alert's
 * camera with it before delivery; the cuer then takes the delivered alert.
 */
int bf_cuer_pick(const struct bf_cuer *c, const struct bf_alert *a);

/* Sensor index of the camera serving track_id, or -1. */
int bf_cuer_camera_of(const struct bf_cuer *c, uint32_t track_id);

void bf_cuer_get_stats(const struct bf_cuer *c, struct bf_cuer_stats *out);

#endif
