/*
 * fixture.h - what the alerter tests share (test_alerts.c, test_lifecycle.c,
 * test_rules_dwell_ugs.c): the zones fixture, hand-made tracks and the geofence steps
 * geo would give them, and a sink that journals (as delivery does: the journal
 * first) and records every alert.
 *
 * tests/alerts/zones.geojson, on an aeqd frame at 46.80 N 8.20 E, has a
 * straight border line along the meridian through the origin (local e = 0;
 * our side east, e > 0), a restricted polygon, a buffer polygon and a
 * no_alert farm.  fx_step() makes the step consistent with that line
 * (dist = |e|, side = sign(e)), so the rules are exercised exactly.
 */
#ifndef BF_TESTS_ALERTS_FIXTURE_H
#define BF_TESTS_ALERTS_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alerts/alerts.h"
#include "core/bf_time.h"
#include "delivery/delivery.h"
#include "geo/geo.h"

#define T0 INT64_C(1772330000000000)   /* 2026-03-01T01:53:20Z */
#define S(x) ((bf_time_us)((x) * 1e6))

/* The frame, the zones and the index of the "border" line; set by fx_init(). */
extern struct bf_geo_frame *fx_frame;
extern struct bf_geo_zones *fx_zones;
extern int fx_border;

/* Sensors by index: "radar-west", "radar-east", "ugs-1", "ugs-2" (alerters take the first n). */
extern const char *const fx_sensor_ids[4];

/* Load the frame and tests/alerts/zones.geojson: 0, or 1 (a CUnit suite init's answer). */
int fx_init(void);
/* Free what fx_init() made: 0 (a CUnit suite cleanup's answer). */
int fx_clean(void);

/* bf_test_tmpdir()/name, in one of 4 rotating static buffers. */
const char *fx_tmp_path(const char *name);

/* ---- a sink that records --------------------------------------------------------------- */

#define FX_MAX_REC 256

struct fx_rec {
    struct bf_alert a;
    char json[4096];
    bool journal_first;   /* the journal's last line was this JSON when the sink ran */
};

struct fx_sink {
    struct fx_rec r[FX_MAX_REC];   /* the first FX_MAX_REC alerts, in order */
    int n;
    const char *journal;           /* when set: check, in the callback, that it ends with the JSON */
    int fail_rc;                   /* what the sink answers (0: published) */
    struct bf_journal *jn;         /* the journal fx_alerter opened; NULL: none */
    uint64_t journal_errors;       /* appends to it that failed */
};

/* The bf_alert_sink publish function over a struct fx_sink; asserts len == strlen(json). */
int fx_sink_publish(void *ctx, const struct bf_alert *a, const char *json, size_t len);

/*
 * An alerter for site "demo" over zones with the first n_sensors of
 * fx_sensor_ids, default parameters with journal_path = journal and then
 * tweak (when not NULL), publishing into s (zeroed first; s->journal is left
 * unset).  With a journal, s journals every change before recording it and
 * the alerter's numbering continues after the journal's.  NULL on failure,
 * which is asserted.
 */
struct bf_alerter *fx_alerter(struct fx_sink *s, size_t n_sensors, const char *journal,
                              struct bf_geo_zones *zones,
                              void (*tweak)(struct bf_alert_params *));

/* Destroy a (may be NULL) and close the journal of s (the engine's order). */
void fx_done(struct fx_sink *s, struct bf_alerter *a);

/* How many records have type t and state st. */
int fx_count(const struct fx_sink *s, enum bf_alert_type t, enum bf_alert_state st);

/* Does the file end with exactly json + "\n" (and is that a whole line)? */
bool fx_file_ends_with_line(const char *path, const char *json);

/* ---- tracks and steps --------------------------------------------------------------------- */

/* A ground sensor's PRESENCE trip: sensor si at (e, n), "within radius m", at t; class
 * likelihoods lik (BF_CLASS_COUNT of them; NULL: the trip carries no hints). */
struct bf_detection fx_ugs_trip(uint32_t si, bf_time_us t, double e, double n, double radius,
                                const float *lik);

/* Append a point to the track's history ring. */
void fx_hist_push(struct bf_track *t, bf_time_us t_us, double e, double n);

/*
 * A confirmed track: 8 hits in 8, one sensor (bit 0), person 0.7 / animal
 * 0.3, at (e, n) moving (ve, vn) m/s, first seen 10 s ago, confirmed 5 s ago;
 * its history holds where it was 1 s ago and now.
 */
void fx_track_init(struct bf_track *t, uint32_t id, bf_time_us now, double e, double n, double ve,
                   double vn);

/* Move the track by its velocity for dt_s: one more hit, one more history point. */
void fx_track_move(struct bf_track *t, double dt_s);

/* The step geo would give for the fixture's border, inside the zones of the bit mask inside. */
struct bf_geo_step fx_step(const struct bf_track *t, uint64_t inside);

/* Add a crossing of the border (dir +1: onto our side) at fraction frac of the step. */
void fx_add_crossing(struct bf_geo_step *s, int dir, double frac);

#endif
