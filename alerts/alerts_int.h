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
 * seq of the last complete, parseable alert line of the file at path;
 * 0 if the file is absent or holds none.  Returns 0 or BF_EIO.
 */
int bf_journal_last_seq(const char *path, uint64_t *seq);

#endif
