/*
 * alerts_int.h - internals shared by the files of alerts/ (and its tests):
 * identity (UUIDv5), confidence, the alerter's state and the helpers its rule
 * files share, the sorted-array and text helpers (which delivery/ and cot/ use too).
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

/* t as "HH:MM:SSZ" (UTC) into out; "?" for BF_TIME_NONE or a time that cannot be written. */
void bf_alert_clock_text(bf_time_us t, char out[16]);

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

/* ---- the alerter's state (rules.c, rules_ugs.c) ----------------------------------------- */

/* One live alert of the alerter (struct bf_alerter's v[], sorted by key). */
struct bf_live {
    uint64_t key;
    struct bf_alert a;           /* current content: last publication + later updates */
    bf_time_us last_pub_us;      /* event time of the last publication */
    bf_time_us last_update_us;   /* event time of the last update (published or not) */
    uint64_t touched;            /* step_no of the step that last handled it */
    bool force_pub;              /* reacquired: the next update is published at once */
};

#define BF_LOITER_SAMPLES 8

/* What the alerter remembers of a track between its steps. */
struct bf_trk_rec {
    uint32_t track_id;
    char episode[BF_ALERT_ID_LEN];  /* "" until its first alert (or a covered UGS_TRIGGER) */
    int loiter_line;                /* the line it dwells near */
    bf_time_us near_since_us;       /* first time within loiter_distance_m; BF_TIME_NONE: not near */
    bf_time_us last_us;             /* its latest step */
    /* LOITER progress: (time, signed distance to the line) every loiter_time_s / 4
     * since near_since_us, oldest first (BF_LOITER_SAMPLES cover twice loiter_time_s) */
    bf_time_us smp_t[BF_LOITER_SAMPLES];
    double smp_d[BF_LOITER_SAMPLES];
    double smp_e[BF_LOITER_SAMPLES], smp_n_m[BF_LOITER_SAMPLES];   /* where it was then */
    unsigned smp_n;
    /* class persistence: the class alerting decisions use (docs/alerts.md) */
    uint8_t cls;                    /* the held class; BF_CLASS_COUNT: not set yet */
    uint8_t cand_cls;               /* another most likely class seen lately; BF_CLASS_COUNT: none */
    uint32_t cand_n;                /* ... its updates in a row */
    bf_time_us cand_since_us;       /* ... since when */
    bool may_alert;                 /* passed status and min_hits once: changes must hold */
    /* APPROACH: the last time its hold condition held (hysteresis, min dwell) */
    bf_time_us appr_hold_us;
    /* crossing points: the last time inside a crossing_point zone; BF_TIME_NONE never */
    bf_time_us cp_us;
    /* track end and continuation */
    bool lost;                      /* the track ended: the record waits for a successor */
    uint32_t joined_from;           /* the predecessor taken over; 0 none */
    double last_e, last_n;          /* latest position */
    int theirs_line;                /* when it ended, its last sighting was on their side of this */
    bf_time_us theirs_t;            /* line (-1: not), at this time and place */
    double theirs_e, theirs_n;
    /* joined history: the predecessor's last point on their side of join_line (-1: none) */
    int join_line;
    bf_time_us join_t;
    double join_e, join_n;
    bool ugs_checked;               /* the ground-sensor join was decided */
};

/* A ground sensor's recent uncovered trips and the geometry of its latest one. */
struct bf_ugs_rec {
    bf_time_us t_us[BF_UGS_EVENTS_MAX];   /* oldest first */
    uint32_t sig[BF_UGS_EVENTS_MAX];      /* channel signature of each trip */
    double z0[BF_UGS_EVENTS_MAX];         /* each trip's radius (PRESENCE) or bearing (BEARING) */
    uint8_t cls[BF_UGS_EVENTS_MAX];       /* each trip's hinted class; BF_CLASS_UNKNOWN: none */
    float top_mps[BF_UGS_EVENTS_MAX];     /* the fastest speed each trip's hints leave plausible */
    unsigned n;
    uint16_t kind;                        /* BF_MEAS_PRESENCE or BF_MEAS_BEARING */
    double e_m, n_m;                      /* the sensor */
    double radius_m;                      /* PRESENCE: "something within radius_m" */
    double range_m, bearing_rad, sigma_rad;   /* BEARING: reach, direction, its std */
    bool line_known;
    int line;                             /* nearest border line, -1 none */
    double line_dist_m;
    /* the live sequence INCURSION keyed by this sensor (its B; docs/alerts.md, "Ground-sensor
     * sequence"), while it is live: the trip of sensor seq_a at seq_a_us it was paired with */
    uint32_t seq_a;
    bf_time_us seq_a_us;
};

struct bf_alerter {
    struct bf_alert_params p;
    char *site;
    struct bf_geo_zones *zones;     /* borrowed */
    struct bf_geo_frame *frame;     /* borrowed */
    const char **sensor_ids;        /* array copied, strings borrowed */
    size_t n_sensors;
    struct bf_alert_sink sink;
    uint64_t seq;                   /* last sequence number handed out */
    struct bf_alerter_stats st;
    size_t n_zones;
    uint64_t mask_no_alert, mask_restricted, mask_cp;
    struct bf_live *v;
    size_t n, cap;
    uint64_t step_no;
    uint64_t *closed;               /* keys closed by an operator, ascending (7) */
    size_t n_closed, cap_closed;
    char *json;
    size_t json_cap;
    /* dispatch + cueing: a pure step fills an alert's units, interception and camera */
    bf_alert_enrich_fn enrich;
    const void *enrich_view;
    /* dwell and ground-sensor rules */
    uint8_t kind_of[64];            /* sensor i's kind (bf_alerter_set_sensor_kinds) */
    struct bf_trk_rec *tr;             /* per-track records, sorted by track id (9) */
    size_t n_tr, cap_tr;
    struct bf_ugs_rec *ugs;            /* one per sensor (10) */
    bf_time_us purged_us;           /* event time records were last purged (tick) */
};

/* What one call knows about its track. */
struct bf_step_ctx {
    const struct bf_track *trk;
    const struct bf_geo_step *step;
    bf_time_us now;
    struct bf_alert_conf conf;
    uint32_t what;      /* BF_CHANGE_* of this step */
    bool base_ok;       /* CONFIRMED/COASTING with min_hits */
    bool have_geo;      /* lat/lon/velocity below computed */
    double dwell_s;     /* LOITER: time near the line so far; NAN if not near */
    double lat, lon, ve, vn, speed, heading;
    enum bf_class cls;  /* the held class (class persistence) and its probability now */
    double cls_p;
    double closing_mps; /* nearest line, their side: speed towards it; NAN otherwise */
    double closing_min_mps; /* ... the least that counts as closing (approach_metrics) */
    double ttl_s;       /* ... time to it at that speed (INFINITY when not closing) */
    bool appr_hold;     /* APPROACH's hold condition for the nearest line holds now */
    bool cp_recent;     /* inside a crossing_point zone now or within crossing_point_window_s */
    struct bf_trk_rec *r;  /* the track's record (valid until the next bf_rules_rec_get of another track) */
};

/* Key of a live alert: (track id, zone index, type); sensor alerts use UINT32_MAX - sensor. */
uint64_t bf_rules_key_of(uint32_t track_id, int zone_idx, enum bf_alert_type type);

/* First index of a->v whose key is >= key. */
size_t bf_rules_lower_bound(const struct bf_alerter *a, uint64_t key);

/* The live alert of key, or NULL. */
struct bf_live *bf_rules_live_find(struct bf_alerter *a, uint64_t key);

/* A zeroed live alert for key (absent before), or NULL when memory runs out. */
struct bf_live *bf_rules_live_insert(struct bf_alerter *a, uint64_t key);

/* First index of a->closed whose key is >= key. */
size_t bf_rules_closed_lower_bound(const struct bf_alerter *a, uint64_t key);

/* The track's record, created at now if absent; NULL when memory runs out.  Moves the other
 * records: a record pointer is good until the next call. */
struct bf_trk_rec *bf_rules_rec_get(struct bf_alerter *a, uint32_t track_id, bf_time_us now);

/* src (NULL: "") into dst (cap >= 1 bytes with the NUL), cut between whole UTF-8 characters. */
void bf_rules_copy_utf8(char *dst, size_t cap, const char *src);

/* Is zone z a border line? (false for an index out of range) */
bool bf_rules_is_line(const struct bf_alerter *a, int z);

/* Number, journal, then hand l to the sink; failures are counted, never fatal. */
void bf_rules_publish(struct bf_alerter *a, struct bf_live *l);

/* Resolve v[i] at event time t_us (not earlier than its last change), publish, drop it. */
void bf_rules_resolve_at(struct bf_alerter *a, size_t i, bf_time_us t_us);

/* A rule fired for (type, zone z) of the step's track: update its live alert, or raise a new
 * one when the track passes the gates (crossing_us: the INCURSION's crossing time). */
void bf_rules_trigger(struct bf_alerter *a, struct bf_step_ctx *c, enum bf_alert_type type, int z,
                      enum bf_severity sev, bf_time_us crossing_us);

/* The severity of a track alert of type on zone z now (bf_alert_severity). */
enum bf_severity bf_rules_track_sev(struct bf_alerter *a, const struct bf_step_ctx *c,
                                    enum bf_alert_type type, int z);

/* The i-th point of the track's position history, oldest first (i < hist_len). */
const struct bf_track_point *bf_rules_hist_at(const struct bf_track *trk, unsigned i);

/* A plausible top speed of a class (m/s): how fast a LOST area grows, how far a walker from a
 * ground sensor may have come. */
double bf_rules_class_speed_mps(enum bf_class c);

/* ---- ground sensors (rules_ugs.c; docs/alerts.md, UGS_TRIGGER and Joined history) ------- */

/* A CONFIRMED/COASTING track stepped: resolve every live UGS_TRIGGER whose sensor it now covers
 * ("covered by track N"; the track joins the trigger's episode). */
void bf_rules_ugs_cover_by_track(struct bf_alerter *a, const struct bf_track *t);

/* Ground sensor at the line, radar inside: a track that starts on our side within reach of a
 * sensor near the line that tripped shortly before takes over that sensor's sequence
 * INCURSION, or raises INCURSION (decided once). */
void bf_rules_ugs_join(struct bf_alerter *a, struct bf_step_ctx *c);


/* Move the live alert v[i] to key nk (absent): returns it there, or NULL when memory runs out
 * (then it is gone, counted). */
struct bf_live *bf_rules_live_rekey(struct bf_alerter *a, size_t i, uint64_t nk);

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
 * Make *buf (*cap bytes, NULL when 0) hold at least need bytes: 4096 first,
 * then doubled.  0, or BF_ENOMEM (*buf and *cap unchanged and still valid).
 */
int bf_buf_reserve(char **buf, size_t *cap, size_t need);

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
