/*
 * alerts_int.h - internals shared by the files of alerts/ (and its tests):
 * identity (UUIDv5), confidence, the journal.  Not for other modules.
 */
#ifndef BF_ALERTS_INT_H
#define BF_ALERTS_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alerts/alerts.h"

/* ---- identity (alert.c) ---------------------------------------------- */

/* The namespace of every alert id (a fixed random UUID, docs/alerts.md). */
extern const uint8_t bf_alert_uuid_ns[16];

/*
 * RFC 4122 / RFC 9562 name-based UUID, version 5: SHA-1 (OpenSSL EVP) over
 * the 16 namespace bytes followed by the name's len bytes; writes the
 * lower-case text form with its NUL into out.  Returns 0, or BF_ENOMEM /
 * BF_EINVAL if the digest could not be computed (out is then "").
 */
int bf_alert_uuid5(const uint8_t ns[16], const char *name, size_t len, char out[BF_ALERT_ID_LEN]);

/*
 * The alert's id from its identity: uuid5(bf_alert_uuid_ns,
 * "<site>/<TYPE>/<track_id>/<zone_id>/<first_us>") (zone_id "" when none,
 * first_us in decimal microseconds).  Same contract as bf_alert_uuid5.
 */
int bf_alert_make_id(const char *site, enum bf_alert_type type, uint32_t track_id,
                     const char *zone_id, bf_time_us first_us, char out[BF_ALERT_ID_LEN]);

/*
 * The explanation sentence of a (the JSON's "explanation") into buf (len
 * bytes, NUL-terminated; cut between whole pieces when it does not fit).
 * Returns its length, or BF_EINVAL.  For other views of an alert (CoT).
 */
int bf_alert_explain(const struct bf_alert *a, const char *const *sensor_ids, size_t n_sensors,
                     char *buf, size_t len);

/* ---- confidence (rules.c) ------------------------------------------- */

/* The terms of the confidence of a track, each 0..1 (docs/alerts.md). */
struct bf_alert_conf {
    double quality;      /* (1 - exp(-hits/4)) * hit ratio */
    double support;      /* 1 - 0.5^(distinct sensors) */
    double class_term;   /* probability of the most likely class */
    double confidence;   /* 0.45 quality + 0.35 support + 0.20 class_term */
    enum bf_class cls;   /* argmax of class_p (lowest index on ties) */
};

void bf_alert_confidence(const struct bf_track *trk, struct bf_alert_conf *out);

/*
 * The same with sensor kinds: kind_of[i] (i < 64) is the kind of sensor i.
 * support = 1 - 0.5^k_eff, k_eff = sum over the kinds present of
 * 1 + BF_SAME_KIND_WEIGHT * (sensors of that kind - 1): a second sensor of a
 * kind already counted adds less than a sensor of a new kind.  kind_of NULL:
 * every sensor a kind of its own (then it equals bf_alert_confidence).
 */
#define BF_SAME_KIND_WEIGHT 0.5
void bf_alert_confidence_kinds(const struct bf_track *trk, const uint8_t *kind_of,
                               struct bf_alert_conf *out);

/* ---- severity (rules.c; the table is in docs/alerts.md) -------------- */

#define BF_SEV_LOW_CONFIDENCE 0.65   /* below it: one step lower */
#define BF_SEV_VEHICLE_P 0.75        /* a vehicle this sure: one step higher at a line */

struct bf_sev_in {
    enum bf_alert_type type;
    int zone_severity;      /* the alert's zone severity 1..4; 0 when none */
    int line_side;          /* LOITER: +1 our side, -1 theirs, 0 on the line */
    unsigned modalities;    /* UGS_TRIGGER: distinct channels among the trips in the window */
    enum bf_class cls;      /* most likely class */
    double confidence;      /* 0..1 */
    double class_p;         /* probability of cls */
};

/*
 * Severity from type, zone, class and confidence: a base per type, +1 for a
 * vehicle (class_p >= BF_SEV_VEHICLE_P) at a border line (INCURSION,
 * APPROACH, LOITER), -1 when confidence
 * is below BF_SEV_LOW_CONFIDENCE (track alerts), clamped to low..critical.
 * SENSOR_FAULT is always medium.
 */
enum bf_severity bf_alert_severity(const struct bf_sev_in *in);

/* Check the alerter's invariants (debug builds assert; false if broken). */
bool bf_alerter_check(const struct bf_alerter *a);

/* ---- journal (journal.c) -------------------------------------------- */

struct bf_journal;   /* opaque */

/*
 * Open (create if absent) the journal at path for appending.  *last_seq is
 * the seq of the last complete line that parses as an alert (0 if none; a
 * truncated last line, as a crash leaves it, is skipped).  If the file does
 * not end with a newline one is appended first, so the next line starts
 * clean.  Returns 0, BF_EIO (cannot open/read/write) or BF_ENOMEM, with
 * *out NULL on failure.
 */
int bf_journal_open(const char *path, enum bf_fsync_policy policy, uint64_t *last_seq,
                    struct bf_journal **out);

/*
 * Append one line: line[0..len) must hold no newline; the '\n' is added in
 * the same write(2).  line[len] must be writable (it is used for the '\n'
 * and restored).  fsync per the policy.  Returns 0 or BF_EIO (errno kept).
 */
int bf_journal_append(struct bf_journal *j, char *line, size_t len);

void bf_journal_close(struct bf_journal *j);   /* accepts NULL */

/*
 * Purge the journal (docs/retention.md): drop every line of an alert whose
 * lines are all older than cutoff_us ("time"), unless its seq is above
 * keep_above_seq or is_live(live_ctx, id) (may be NULL) says the alert is
 * live; then append to the new file.  No append may run meanwhile.  Returns
 * 0 or BF_E* (on failure the file is unchanged, or could not be reopened:
 * BF_EIO, logged).
 */
int bf_journal_purge(struct bf_journal *j, bf_time_us cutoff_us, uint64_t keep_above_seq,
                     bool (*is_live)(void *ctx, const char *alert_id), void *live_ctx,
                     struct bf_purge_stats *st);

/*
 * seq of the last complete, parseable alert line of the file at path;
 * 0 if the file is absent or holds none.  Returns 0 or BF_EIO.
 */
int bf_journal_last_seq(const char *path, uint64_t *seq);

#endif
