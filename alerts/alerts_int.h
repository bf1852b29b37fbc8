/*
 * alerts_int.h - internals shared by the files of alerts/ (and its tests):
 * identity (UUIDv5), confidence, the sorted-array and text helpers (which
 * delivery/ and cot/ use too).
 * Not for other modules.
 */
#ifndef BF_ALERTS_INT_H
#define BF_ALERTS_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <sys/types.h>
#include <unistd.h>

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
    bool not_closing;       /* APPROACH: not closing on the line (no vehicle step up) */
};

/*
 * Severity from type, zone, class and confidence: a base per type, +1 for a
 * vehicle (class_p >= BF_SEV_VEHICLE_P) at a border line (INCURSION,
 * APPROACH unless not_closing, LOITER), -1 when confidence
 * is below BF_SEV_LOW_CONFIDENCE (track alerts), clamped to low..critical.
 * SENSOR_FAULT is always medium.
 */
enum bf_severity bf_alert_severity(const struct bf_sev_in *in);

/* Check the alerter's invariants (debug builds assert; false if broken). */
bool bf_alerter_check(const struct bf_alerter *a);

/* ---- arrays sorted by a key (sorted.c) ---------------------------------------- */

/*
 * base[0..n) are records of size bytes in increasing order of the unsigned
 * key key_of reads from a record.  The index of the first whose key is >=
 * key (n when none).
 */
size_t bf_sorted_lower(const void *base, size_t n, size_t size, uint64_t key,
                       uint64_t (*key_of)(const void *rec));

/* key_of for records whose first member is their uint64_t / uint32_t key. */
uint64_t bf_key_u64(const void *rec);
uint64_t bf_key_u32(const void *rec);

/*
 * Open a zeroed slot at index i (<= *n) of base[0..*n) (records of size
 * bytes, *cap allocated; base may be NULL when *cap is 0), growing the array
 * when full (to cap0 records first, then twice as many).  Returns the array,
 * which may have moved (the caller stores it), with *n one more; or NULL
 * when memory runs out (base, *n and *cap unchanged and still valid).
 */
void *bf_sorted_open(void *base, size_t *n, size_t *cap, size_t size, size_t i, size_t cap0);

/* Remove the count records at index i of base[0..*n) (*n -= count). */
void bf_sorted_close(void *base, size_t *n, size_t size, size_t i, size_t count);

/* ---- text: the bounded writer, UTF-8, cJSON habits (text.c) ----------------- */

/*
 * A bounded text writer into the caller's buf (len bytes, len >= 1, buf[0]
 * NUL at start): pieces are appended with their NUL; the first piece that
 * does not fit sets overflow, is not written, and nothing is written after
 * it (buf then holds the whole pieces before it).
 */
struct bf_tw {
    char *buf;
    size_t len;    /* capacity, including the NUL */
    size_t pos;    /* bytes written (excluding the NUL) */
    bool overflow;
};

void bf_tw_raw(struct bf_tw *w, const char *s, size_t n);
void bf_tw_lit(struct bf_tw *w, const char *s);
__attribute__((format(printf, 2, 3))) void bf_tw_printf(struct bf_tw *w, const char *fmt, ...);

/*
 * The well-formed UTF-8 sequence at p (n bytes left; RFC 3629: no overlong
 * form, no surrogate, at most U+10FFFF): its length 1..4 with its code point
 * in *cp, or 0 when it is not one (or n is 0).
 */
size_t bf_utf8_next(const unsigned char *p, size_t n, uint32_t *cp);

/*
 * A JSON string of s (NULL: "") into the writer: quotes, backslash and
 * control characters escaped, well-formed UTF-8 as it is, every other byte
 * replaced by U+FFFD, so the output is always UTF-8.
 */
void bf_tw_json_str(struct bf_tw *w, const char *s);

/*
 * s (NULL: "") into out (cap >= 1 bytes with the NUL) with every byte that
 * is not part of well-formed UTF-8 replaced by U+FFFD; whole characters
 * only (a longer text is cut before the first that does not fit).
 * Returns the length written.
 */
size_t bf_utf8_clean(const char *s, char *out, size_t cap);

struct cJSON;

/* Add s (NULL: "") as a string member key of o, bytes that are not UTF-8
 * replaced by U+FFFD (at most 1023 bytes then). */
void bf_json_add_text(struct cJSON *o, const char *key, const char *s);

/* The same, or null when s is NULL or "". */
void bf_json_add_text_or_null(struct cJSON *o, const char *key, const char *s);

/*
 * Print o compactly into buf (len bytes, 1 .. INT32_MAX, with the NUL) and
 * delete o.  Returns the length, or BF_ERANGE with buf "".
 */
int bf_json_print_free(struct cJSON *o, char *buf, size_t len);

#endif
