/*
 * alert.c - what an alert is once raised: its names, its identity and its
 * JSON form.
 *
 * The problem: a consumer (situation centre, a replay, the simulator's
 * scorer) must recognise the same alert across its updates, across an
 * engine restart and across a replay of the same input, and must be able to
 * drop a message it has already seen.  So the id is not a counter nor a
 * random UUID but a name-based UUID (version 5, SHA-1) of what makes the
 * alert itself: site, type, track id, zone id and the event time it was
 * first raised.  The JSON is written by hand into the caller's buffer (no
 * allocation), in the field order of docs/alerts.md, with every non-finite
 * number written as null so the output is always valid JSON; the
 * explanation sentence is built from the alert alone, so a journal line
 * explains itself without the zones or the tracks at hand.
 */
#include "alerts/alerts_int.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "core/bf_error.h"

/* The borderfuse alert namespace: 462d2f70-d8f4-4bd2-830f-525b27b13e39 (random, fixed forever). */
const uint8_t bf_alert_uuid_ns[16] = {0x46, 0x2d, 0x2f, 0x70, 0xd8, 0xf4, 0x4b, 0xd2,
                                      0x83, 0x0f, 0x52, 0x5b, 0x27, 0xb1, 0x3e, 0x39};

const char *bf_alert_type_name(enum bf_alert_type t)
{
    switch (t) {
    case BF_ALERT_INCURSION: return "INCURSION";
    case BF_ALERT_ZONE_ENTRY: return "ZONE_ENTRY";
    case BF_ALERT_APPROACH: return "APPROACH";
    case BF_ALERT_LOITER: return "LOITER";
    case BF_ALERT_UGS_TRIGGER: return "UGS_TRIGGER";
    case BF_ALERT_SENSOR_FAULT: return "SENSOR_FAULT";
    case BF_ALERT_SYSTEM: return "SYSTEM";
    }
    return "UNKNOWN";
}

const char *bf_alert_state_name(enum bf_alert_state s)
{
    switch (s) {
    case BF_ALERT_NEW: return "NEW";
    case BF_ALERT_UPDATED: return "UPDATED";
    case BF_ALERT_ACKNOWLEDGED: return "ACKNOWLEDGED";
    case BF_ALERT_RESOLVED: return "RESOLVED";
    case BF_ALERT_FALSE_ALARM: return "FALSE_ALARM";
    case BF_ALERT_LOST: return "LOST";
    }
    return "UNKNOWN";
}

const char *bf_severity_name(enum bf_severity s)
{
    switch (s) {
    case BF_SEV_LOW: return "low";
    case BF_SEV_MEDIUM: return "medium";
    case BF_SEV_HIGH: return "high";
    case BF_SEV_CRITICAL: return "critical";
    }
    return "unknown";
}

void bf_alert_params_default(struct bf_alert_params *p)
{
    *p = (struct bf_alert_params){
        .approach_distance_m = 300,
        .approach_time_s = 120,
        .rearm_distance_m = 50,
        .min_hits = 5,
        .min_confidence = 0.5,
        .resolve_after_s = 120,
        .update_min_interval_s = 5,
        .journal_path = NULL,
        .journal_fsync = BF_FSYNC_ALWAYS,
        .exercise = false,
        .loiter_distance_m = 150,
        .loiter_time_s = 90,
        .loiter_progress_m = 60,
        .ugs_cover_m = 50,
        .ugs_min_events = 2,
        .ugs_window_s = 60,
        .suppress_classes = 1u << BF_CLASS_ANIMAL,
        .resend_window_s = 60,
        .retention_days = 30,
        .approach_min_closing_mps = 0.3,
        .approach_clear_factor = 1.5,
        .approach_min_dwell_s = 10,
        .class_hold_s = 15,
        .class_hold_updates = 5,
        .lost_radius_m = 50,
        .ugs_join_s = 120,
        .ugs_line_m = 100,
        .crossing_point_window_s = 300,
        .crossing_point_events = false,
    };
}

/* ---- identity --------------------------------------------------------- */

int bf_alert_uuid5(const uint8_t ns[16], const char *name, size_t len, char out[BF_ALERT_ID_LEN])
{
    out[0] = '\0';
    if (!ns || (!name && len > 0))
        return BF_EINVAL;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (!ctx)
        return BF_ENOMEM;
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    int ok = EVP_DigestInit_ex(ctx, EVP_sha1(), NULL) == 1 && EVP_DigestUpdate(ctx, ns, 16) == 1 &&
             (len == 0 || EVP_DigestUpdate(ctx, name, len) == 1) &&
             EVP_DigestFinal_ex(ctx, md, &md_len) == 1 && md_len >= 16;
    EVP_MD_CTX_free(ctx);
    if (!ok)
        return BF_EINVAL;
    md[6] = (unsigned char)((md[6] & 0x0f) | 0x50);   /* version 5 */
    md[8] = (unsigned char)((md[8] & 0x3f) | 0x80);   /* RFC 4122 variant */
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[o++] = '-';
        out[o++] = hex[md[i] >> 4];
        out[o++] = hex[md[i] & 15];
    }
    out[o] = '\0';
    return 0;
}

int bf_alert_make_id(const char *site, enum bf_alert_type type, uint32_t track_id,
                     const char *zone_id, bf_time_us first_us, char out[BF_ALERT_ID_LEN])
{
    char name[512];
    int n = snprintf(name, sizeof name, "%s/%s/%" PRIu32 "/%s/%" PRId64, site ? site : "",
                     bf_alert_type_name(type), track_id, zone_id ? zone_id : "", first_us);
    if (n < 0 || (size_t)n >= sizeof name) {
        out[0] = '\0';
        return BF_EINVAL;
    }
    return bf_alert_uuid5(bf_alert_uuid_ns, name, (size_t)n, out);
}

/* ---- JSON pieces on the bounded text writer (struct bf_tw, text.c) ---- */

/* A JSON string, always UTF-8 (bf_tw_json_str: bad bytes become U+FFFD). */
static void jw_str(struct bf_tw *w, const char *s)
{
    bf_tw_json_str(w, s);
}

/* A string, or null when it is empty. */
static void jw_str_or_null(struct bf_tw *w, const char *s)
{
    if (s && s[0])
        jw_str(w, s);
    else
        bf_tw_lit(w, "null");
}

/* A number with a fixed number of decimals, or null when not finite. */
static void jw_num(struct bf_tw *w, double v, int decimals)
{
    if (!isfinite(v))
        bf_tw_lit(w, "null");
    else
        bf_tw_printf(w, "%.*f", decimals, v);
}

static void jw_time(struct bf_tw *w, bf_time_us t)
{
    char iso[BF_TIME_ISO_LEN];
    if (t == BF_TIME_NONE || bf_time_format_iso(t, iso, sizeof iso) < 0)
        bf_tw_lit(w, "null");
    else
        jw_str(w, iso);
}

/* ---- explanation ------------------------------------------------------ */

/* "HH:MM:SSZ" of t, or "?" */
void bf_alert_clock_text(bf_time_us t, char out[16])
{
    char iso[BF_TIME_ISO_LEN];
    if (t == BF_TIME_NONE || bf_time_format_iso(t, iso, sizeof iso) < 0 || strlen(iso) < 19) {
        strcpy(out, "?");
        return;
    }
    memcpy(out, iso + 11, 8);
    out[8] = 'Z';
    out[9] = '\0';
}

static int percent(double p)
{
    if (!isfinite(p))
        return 0;
    return (int)lround(fmin(fmax(p, 0.0), 1.0) * 100.0);
}

/* Name of sensor bit i: its configured id, or "sensor-<i>" when unnamed. */
static const char *sensor_name(const char *const *ids, size_t n, unsigned i, char tmp[24])
{
    if (ids && i < n && ids[i] && ids[i][0])
        return ids[i];
    snprintf(tmp, 24, "sensor-%u", i);
    return tmp;
}

static const char *class_name(enum bf_class c)
{
    return ((int)c >= 0 && (int)c < BF_CLASS_COUNT) ? bf_class_names[c] : "unknown";
}

#define EXPLAIN_MAX_SENSORS 6   /* named in the sentence; the rest are counted */

/* What operators did, in the order they did it (closing by the engine is
 * told by the callers): " Acknowledged by alice at 01:55:02Z; unit patrol-1
 * assigned.", " Resolved by bob at 01:58:10Z.", " Marked a false alarm by bob
 * at 01:58:10Z." */
static void explain_operator(struct bf_tw *w, const struct bf_alert *a)
{
    char hhmmss[16];
    if (a->ack_by[0]) {
        bf_alert_clock_text(a->ack_us, hhmmss);
        bf_tw_printf(w, " Acknowledged by %s at %s", a->ack_by, hhmmss);
        if (a->assigned_unit[0])
            bf_tw_printf(w, "; unit %s assigned", a->assigned_unit);
        bf_tw_lit(w, ".");
    }
    if (a->closed_by[0] && (a->state == BF_ALERT_RESOLVED || a->state == BF_ALERT_FALSE_ALARM)) {
        bf_alert_clock_text(a->last_us, hhmmss);
        bf_tw_printf(w, a->state == BF_ALERT_RESOLVED ? " Resolved by %s at %s."
                                                   : " Marked a false alarm by %s at %s.",
                  a->closed_by, hhmmss);
    }
}

/* " Resolved at HH:MM:SSZ[: cause]." when the engine closed it. */
static void explain_resolved(struct bf_tw *w, const struct bf_alert *a)
{
    char hhmmss[16];
    if (a->state == BF_ALERT_RESOLVED && !a->closed_by[0]) {
        bf_alert_clock_text(a->last_us, hhmmss);
        if (a->cause[0])
            bf_tw_printf(w, " Resolved at %s: %s.", hhmmss, a->cause);
        else
            bf_tw_printf(w, " Resolved at %s.", hhmmss);
    }
}

static void explain_fault(struct bf_tw *w, const struct bf_alert *a, const char *const *ids,
                          size_t n_ids)
{
    char tmp[24], hhmmss[16];
    const char *name = a->sensor_idx >= 0 ? sensor_name(ids, n_ids, (unsigned)a->sensor_idx, tmp)
                                          : "a sensor";
    bf_alert_clock_text(a->first_us, hhmmss);
    bf_tw_printf(w, "Sensor %s is silent since %s", name, hhmmss);
    if (a->reason[0])
        bf_tw_printf(w, " (%s)", a->reason);
    bf_tw_lit(w, ".");
    explain_operator(w, a);
    if (a->state == BF_ALERT_RESOLVED && !a->closed_by[0]) {
        bf_alert_clock_text(a->last_us, hhmmss);
        bf_tw_printf(w, " Back at %s.", hhmmss);
    }
}

/* "Ground sensor ugs-1 tripped 2 times since 01:53:20Z with no track covering it, 120 m
 * from State border; class hint person (45%); confidence 75%." */
static void explain_ugs(struct bf_tw *w, const struct bf_alert *a, const char *const *ids,
                        size_t n_ids)
{
    char tmp[24], hhmmss[16];
    const char *name = a->sensor_idx >= 0 ? sensor_name(ids, n_ids, (unsigned)a->sensor_idx, tmp)
                                          : "a ground sensor";
    const char *zone = a->zone_name[0] ? a->zone_name : a->zone_id[0] ? a->zone_id : NULL;
    bf_alert_clock_text(a->first_us, hhmmss);
    bf_tw_printf(w, "Ground sensor %s tripped %" PRIu32 " time%s since %s with no track covering it",
                 name, a->n_hits, a->n_hits == 1 ? "" : "s", hhmmss);
    if (zone && isfinite(a->dist_to_line_m))
        bf_tw_printf(w, ", %.0f m from %s", a->dist_to_line_m, zone);
    else
        bf_tw_lit(w, ", away from any border line");
    if (isfinite(a->class_p))
        bf_tw_printf(w, "; class hint %s (%d%%)", class_name(a->cls), percent(a->class_p));
    else
        bf_tw_lit(w, "; no class hint");
    bf_tw_printf(w, "; confidence %d%%.", percent(a->confidence));
    explain_operator(w, a);
    if (a->state == BF_ALERT_RESOLVED && !a->closed_by[0]) {
        bf_alert_clock_text(a->last_us, hhmmss);
        if (strncmp(a->reason, "covered by", 10) == 0)
            bf_tw_printf(w, " Resolved at %s: %s.", hhmmss, a->reason);
        else
            bf_tw_printf(w, " Resolved at %s.", hhmmss);
    }
}

/* "Ground sensors ugs-south at 01:53:20Z, then ugs-north at 01:53:28Z: at least 1.3 m/s; crossed
 * State border onto our side at about 01:53:24Z; no track yet; class hint person (26%);
 * confidence 60%." */
static void explain_sequence(struct bf_tw *w, const struct bf_alert *a, const char *const *ids,
                             size_t n_ids)
{
    char tmp[24], hhmmss[16];
    const char *zone = a->zone_name[0] ? a->zone_name : a->zone_id[0] ? a->zone_id : NULL;
    bf_tw_printf(w, "Ground sensors %s; crossed %s onto our side", a->reason,
                 zone ? zone : "the border line");
    if (a->crossing_us != BF_TIME_NONE) {
        bf_alert_clock_text(a->crossing_us, hhmmss);
        bf_tw_printf(w, " at about %s", hhmmss);
    }
    bf_tw_lit(w, "; no track yet");
    if (isfinite(a->class_p))
        bf_tw_printf(w, "; class hint %s (%d%%)", class_name(a->cls), percent(a->class_p));
    bf_tw_printf(w, "; confidence %d%%.", percent(a->confidence));
    explain_operator(w, a);
    const char *name = a->sensor_idx >= 0 ? sensor_name(ids, n_ids, (unsigned)a->sensor_idx, tmp)
                                          : "the sensor";
    if (a->state == BF_ALERT_LOST && a->lost_us != BF_TIME_NONE) {
        bf_alert_clock_text(a->lost_us, hhmmss);
        bf_tw_printf(w, " Nothing since %s; search within %.0f m of %s, growing %.1f m/s.", hhmmss,
                     a->lost_radius_m, name, a->lost_growth_mps);
    }
    explain_resolved(w, a);
}

/* "The engine is degraded: journal writes fail (No space left on device)." */
static void explain_system(struct bf_tw *w, const struct bf_alert *a)
{
    char hhmmss[16];
    bf_alert_clock_text(a->first_us, hhmmss);
    bf_tw_printf(w, "The engine is degraded since %s: %s.", hhmmss, a->reason);
    explain_operator(w, a);
    if (a->state == BF_ALERT_RESOLVED && !a->closed_by[0]) {
        bf_alert_clock_text(a->last_us, hhmmss);
        bf_tw_printf(w, " Recovered at %s.", hhmmss);
    }
}

static void explain(struct bf_tw *w, const struct bf_alert *a, const char *const *ids, size_t n_ids)
{
    if (a->type == BF_ALERT_SYSTEM) {
        explain_system(w, a);
        return;
    }
    if (a->type == BF_ALERT_SENSOR_FAULT) {
        explain_fault(w, a, ids, n_ids);
        return;
    }
    if (a->type == BF_ALERT_UGS_TRIGGER) {
        explain_ugs(w, a, ids, n_ids);
        return;
    }
    if (a->type == BF_ALERT_INCURSION && !bf_alert_has_track(a)) {
        explain_sequence(w, a, ids, n_ids);
        return;
    }
    const char *cls = class_name(a->cls);
    const char *zone = a->zone_name[0] ? a->zone_name : a->zone_id[0] ? a->zone_id : NULL;
    char hhmmss[16];
    bf_tw_printf(w, "Confirmed track %" PRIu32 " (%s, %d%%)", a->track_id, cls, percent(a->class_p));
    switch (a->type) {
    case BF_ALERT_INCURSION:
        bf_tw_printf(w, " crossed %s onto our side", zone ? zone : "the border line");
        if (a->crossing_us != BF_TIME_NONE) {
            bf_alert_clock_text(a->crossing_us, hhmmss);
            bf_tw_printf(w, " at %s", hhmmss);
        }
        break;
    case BF_ALERT_ZONE_ENTRY:
        bf_alert_clock_text(a->first_us, hhmmss);
        bf_tw_printf(w, " entered %s at %s", zone ? zone : "a restricted zone", hhmmss);
        break;
    case BF_ALERT_APPROACH:
        if (isfinite(a->dist_to_line_m))
            bf_tw_printf(w, " is %.0f m from %s on their side", a->dist_to_line_m,
                         zone ? zone : "the border line");
        else
            bf_tw_printf(w, " is approaching %s on their side", zone ? zone : "the border line");
        if (isfinite(a->time_to_line_s) && a->time_to_line_s >= 0 && a->last_us != BF_TIME_NONE) {
            bf_alert_clock_text(a->last_us + bf_time_from_s(a->time_to_line_s), hhmmss);
            bf_tw_printf(w, ", expected to reach it in %.0f s (%s)", a->time_to_line_s, hhmmss);
        }
        break;
    case BF_ALERT_LOITER:
        bf_tw_printf(w, " has stayed near %s %s", zone ? zone : "the border line",
                     a->reason[0] ? a->reason : "");
        if (isfinite(a->dwell_s) && a->last_us != BF_TIME_NONE) {
            bf_alert_clock_text(a->last_us - bf_time_from_s(a->dwell_s), hhmmss);
            bf_tw_printf(w, " for %.0f s (since %s)", a->dwell_s, hhmmss);
        }
        if (isfinite(a->dist_to_line_m))
            bf_tw_printf(w, ", now %.0f m from it", a->dist_to_line_m);
        break;
    default:
        bf_tw_printf(w, " raised %s", bf_alert_type_name(a->type));
        if (zone)
            bf_tw_printf(w, " for %s", zone);
        break;
    }
    bf_tw_lit(w, "; seen by ");
    unsigned named = 0, more = 0;
    for (unsigned i = 0; i < 64; i++) {
        if (!(a->sensors & (UINT64_C(1) << i)))
            continue;
        if (named == EXPLAIN_MAX_SENSORS) {
            more++;
            continue;
        }
        char tmp[24];
        bf_tw_printf(w, "%s%s", named ? ", " : "", sensor_name(ids, n_ids, i, tmp));
        named++;
    }
    if (named == 0)
        bf_tw_lit(w, "no recorded sensor");
    if (more)
        bf_tw_printf(w, " and %u more", more);
    bf_tw_printf(w, "; confidence %d%%.", percent(a->confidence));
    explain_operator(w, a);
    if (a->state == BF_ALERT_LOST && a->lost_us != BF_TIME_NONE) {
        bf_alert_clock_text(a->lost_us, hhmmss);
        bf_tw_printf(w, " Track lost, last seen at %s; search within %.0f m of it, growing %.1f m/s.",
                     hhmmss, a->lost_radius_m, a->lost_growth_mps);
    } else if (a->cause[0] && a->state != BF_ALERT_RESOLVED) {
        bf_tw_printf(w, " %c%s.", a->cause[0] >= 'a' && a->cause[0] <= 'z' ? a->cause[0] - 32 : a->cause[0],
                     a->cause + 1);
    }
    explain_resolved(w, a);
}

int bf_alert_explain(const struct bf_alert *a, const char *const *sensor_ids, size_t n_sensors,
                     char *buf, size_t len)
{
    if (!a || !buf || len == 0)
        return BF_EINVAL;
    struct bf_tw w = {.buf = buf, .len = len, .pos = 0, .overflow = false};
    buf[0] = '\0';
    explain(&w, a, sensor_ids, n_sensors);
    return (int)w.pos;   /* on overflow: the whole pieces that fitted */
}

/* ---- JSON --------------------------------------------------------------- */

bool bf_alert_has_track(const struct bf_alert *a)
{
    return a && a->track_id != 0 && a->type != BF_ALERT_SENSOR_FAULT &&
           a->type != BF_ALERT_UGS_TRIGGER && a->type != BF_ALERT_SYSTEM;
}

int bf_alert_to_json(const struct bf_alert *a, const char *site, const char *const *sensor_ids,
                     size_t n_sensors, char *buf, size_t len)
{
    if (!a || !buf)
        return BF_EINVAL;
    if (len == 0)
        return BF_ERANGE;
    struct bf_tw w = {.buf = buf, .len = len, .pos = 0, .overflow = false};
    buf[0] = '\0';

    bf_tw_lit(&w, "{\"id\":");
    jw_str(&w, a->id);
    bf_tw_printf(&w, ",\"seq\":%" PRIu64 ",\"site\":", a->seq);
    jw_str(&w, site);
    bf_tw_lit(&w, ",\"type\":");
    jw_str(&w, bf_alert_type_name(a->type));
    bf_tw_lit(&w, ",\"state\":");
    jw_str(&w, bf_alert_state_name(a->state));
    bf_tw_lit(&w, ",\"severity\":");
    jw_str(&w, bf_severity_name(a->severity));
    bf_tw_printf(&w, ",\"exercise\":%s,\"track_id\":", a->exercise ? "true" : "false");
    bool track_alert = bf_alert_has_track(a);
    if (track_alert)
        bf_tw_printf(&w, "%" PRIu32, a->track_id);
    else
        bf_tw_lit(&w, "null");
    bf_tw_lit(&w, ",\"zone\":");
    if (a->zone_idx >= 0) {
        bf_tw_lit(&w, "{\"id\":");
        jw_str(&w, a->zone_id);
        bf_tw_lit(&w, ",\"name\":");
        jw_str(&w, a->zone_name[0] ? a->zone_name : a->zone_id);
        bf_tw_lit(&w, ",\"kind\":");
        jw_str(&w, bf_zone_kind_name(a->zone_kind));
        bf_tw_lit(&w, "}");
    } else {
        bf_tw_lit(&w, "null");
    }
    bf_tw_lit(&w, ",\"first_time\":");
    jw_time(&w, a->first_us);
    bf_tw_lit(&w, ",\"time\":");
    jw_time(&w, a->last_us);
    bf_tw_lit(&w, ",\"position\":{\"lat\":");
    jw_num(&w, a->lat_deg, 7);
    bf_tw_lit(&w, ",\"lon\":");
    jw_num(&w, a->lon_deg, 7);
    bf_tw_lit(&w, "},\"velocity\":{\"east_mps\":");
    jw_num(&w, a->ve_mps, 2);
    bf_tw_lit(&w, ",\"north_mps\":");
    jw_num(&w, a->vn_mps, 2);
    bf_tw_lit(&w, ",\"speed_mps\":");
    jw_num(&w, a->speed_mps, 2);
    bf_tw_lit(&w, ",\"heading_deg\":");
    jw_num(&w, bf_geo_angle_round(a->heading_deg, 1), 1);   /* [0, 360) as printed */
    bf_tw_lit(&w, "},\"class\":");
    jw_str(&w, class_name(a->cls));
    bf_tw_lit(&w, ",\"class_p\":");
    jw_num(&w, a->class_p, 3);
    bf_tw_lit(&w, ",\"confidence\":");
    jw_num(&w, a->confidence, 3);
    bf_tw_lit(&w, ",\"time_to_line_s\":");
    jw_num(&w, a->time_to_line_s, 1);
    bf_tw_lit(&w, ",\"distance_to_line_m\":");
    jw_num(&w, a->dist_to_line_m, 1);
    bf_tw_lit(&w, ",\"crossing_time\":");
    jw_time(&w, a->crossing_us);
    bf_tw_lit(&w, ",\"sensors\":[");
    unsigned k = 0;
    for (unsigned i = 0; i < 64; i++) {
        if (!(a->sensors & (UINT64_C(1) << i)))
            continue;
        char tmp[24];
        if (k++)
            bf_tw_lit(&w, ",");
        jw_str(&w, sensor_name(sensor_ids, n_sensors, i, tmp));
    }
    bf_tw_printf(&w, "],\"hits\":%" PRIu32, a->n_hits);
    if (a->type == BF_ALERT_SYSTEM) {
        bf_tw_lit(&w, ",\"reason\":");
        jw_str(&w, a->reason);
    }
    if (a->type == BF_ALERT_SENSOR_FAULT || a->type == BF_ALERT_UGS_TRIGGER ||
        (a->type == BF_ALERT_INCURSION && !track_alert)) {
        char tmp[24];
        bf_tw_lit(&w, ",\"sensor\":");
        jw_str(&w, a->sensor_idx >= 0 ? sensor_name(sensor_ids, n_sensors, (unsigned)a->sensor_idx, tmp)
                                      : "");
        bf_tw_lit(&w, ",\"reason\":");
        jw_str(&w, a->reason);
    }
    if (track_alert && a->cause[0]) {   /* why the engine made this change (docs/alerts.md) */
        bf_tw_lit(&w, ",\"reason\":");
        jw_str(&w, a->cause);
    }
    if (a->state == BF_ALERT_LOST) {   /* the predicted area: centre, radius now and its growth */
        bf_tw_lit(&w, ",\"lost\":{\"last_seen_time\":");
        jw_time(&w, a->lost_us);
        bf_tw_lit(&w, ",\"center\":{\"lat\":");
        jw_num(&w, a->lat_deg, 7);
        bf_tw_lit(&w, ",\"lon\":");
        jw_num(&w, a->lon_deg, 7);
        bf_tw_lit(&w, "},\"radius_m\":");
        double r = a->lost_radius_m;
        if (a->lost_us != BF_TIME_NONE && a->last_us > a->lost_us)
            r += a->lost_growth_mps * bf_time_to_s(a->last_us - a->lost_us);
        jw_num(&w, r, 1);
        bf_tw_lit(&w, ",\"growth_mps\":");
        jw_num(&w, a->lost_growth_mps, 1);
        bf_tw_lit(&w, "}");
    }
    /* [rules] episode, dwell_s */
    bf_tw_lit(&w, ",\"episode\":");
    if (a->episode[0])
        jw_str(&w, a->episode);
    else
        bf_tw_lit(&w, "null");
    bf_tw_lit(&w, ",\"dwell_s\":");
    jw_num(&w, a->type == BF_ALERT_LOITER ? a->dwell_s : NAN, 1);
    /* [lifecycle] operator */
    bf_tw_lit(&w, ",\"operator\":{\"acknowledged_by\":");
    jw_str_or_null(&w, a->ack_by);
    bf_tw_lit(&w, ",\"acknowledged_time\":");
    jw_time(&w, a->ack_by[0] ? a->ack_us : BF_TIME_NONE);
    bf_tw_lit(&w, ",\"assigned_unit\":");
    jw_str_or_null(&w, a->assigned_unit);
    bf_tw_lit(&w, ",\"closed_by\":");
    jw_str_or_null(&w, a->closed_by);
    bf_tw_lit(&w, "}");
    /* [dispatch] dispatch, camera */
    bf_tw_lit(&w, ",\"dispatch\":{\"intercept\":");
    if (isfinite(a->intercept_lat) && isfinite(a->intercept_lon)) {
        bf_tw_lit(&w, "{\"lat\":");
        jw_num(&w, a->intercept_lat, 7);
        bf_tw_lit(&w, ",\"lon\":");
        jw_num(&w, a->intercept_lon, 7);
        bf_tw_lit(&w, "}");
    } else {
        bf_tw_lit(&w, "null");
    }
    bf_tw_lit(&w, ",\"units\":[");
    for (unsigned u = 0; u < a->n_units && u < BF_ALERT_UNITS; u++) {
        bf_tw_lit(&w, u ? ",{\"id\":" : "{\"id\":");
        jw_str(&w, a->units[u].id);
        bf_tw_lit(&w, ",\"distance_m\":");
        jw_num(&w, a->units[u].distance_m, 1);
        bf_tw_lit(&w, ",\"eta_s\":");
        jw_num(&w, a->units[u].eta_s, 1);
        bf_tw_lit(&w, "}");
    }
    bf_tw_lit(&w, "]},\"camera\":");
    if (a->camera_idx >= 0) {
        char tmp[24];
        jw_str(&w, sensor_name(sensor_ids, n_sensors, (unsigned)a->camera_idx, tmp));
    } else {
        bf_tw_lit(&w, "null");
    }
    bf_tw_lit(&w, ",\"explanation\":");

    char text[2048];
    struct bf_tw e = {.buf = text, .len = sizeof text, .pos = 0, .overflow = false};
    text[0] = '\0';
    explain(&e, a, sensor_ids, n_sensors);
    /* On overflow text holds the whole pieces written so far (never a split
     * character): an explanation is for people, never worth failing for. */
    jw_str(&w, text);
    bf_tw_lit(&w, "}");
    if (w.overflow) {
        buf[0] = '\0';
        return BF_ERANGE;
    }
    return (int)w.pos;
}
