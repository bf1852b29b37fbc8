/*
 * cot.c - tracks and alerts as Cursor-on-Target events, the XML that TAK
 * (ATAK, WinTAK, iTAK, TAK server) reads.
 *
 * The problem: patrols in the field carry TAK devices, not our operator
 * page.  They should see what the centre sees - every confirmed track where
 * it is, what it probably is, how sure we are; every alert with its
 * explanation - in the symbology they know, with nothing claimed that we do
 * not know.  So:
 *
 *   - a track is an "atom" of unknown affiliation (a-u-...): the engine
 *     never knows friend from foe; its battle dimension and function come
 *     from the most likely class only (ground, ground vehicle, sea surface,
 *     air; MITRE CoTtypes.xml, derived from MIL-STD-2525);
 *   - how is "m-f", machine fused: a track is fused from several sensors;
 *   - time and start are the event time of the data (docs/architecture.md, threads and time),
 *     stale a fixed number of track picture periods later, so a track whose
 *     updates stop fades out of TAK by itself;
 *   - ce is a 90% circular error from the track's position covariance, so a
 *     coasting track's growing uncertainty shows;
 *   - exercise data carry opex="e", the CoT schema's exercise marker;
 *   - every string that comes from configuration (zone names, sensor ids,
 *     the site) is XML-escaped, and bytes that are not UTF-8 are replaced, so
 *     the output is always well-formed XML.
 *
 * The full mapping, attribute by attribute, is docs/cot.md.  Everything here
 * is pure: no allocation, no clock, no I/O.
 */
#include "cot/cot.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "alerts/alerts_int.h"
#include "core/bf_error.h"

#define COT_UNKNOWN 9999999.0      /* CoT's "not known" for hae, ce and le */
#define CE90_PER_SIGMA 2.1459660   /* sqrt(-2 ln 0.1): 90% radius of a circular Gaussian */
#define COT_CE_MAX 9999999.0

void bf_cot_params_default(struct bf_cot_params *p)
{
    *p = (struct bf_cot_params){.stale_s = BF_COT_STALE_S_DEFAULT, .alert_stale_s = 120.0};
    snprintf(p->alert_type, sizeof p->alert_type, "%s", BF_COT_ALERT_TYPE_DEFAULT);
}

const char *bf_cot_track_type(enum bf_class c)
{
    switch (c) {
    case BF_CLASS_VEHICLE: return "a-u-G-E-V";   /* ground, equipment, vehicle */
    case BF_CLASS_VESSEL: return "a-u-S";        /* sea surface */
    case BF_CLASS_AIRCRAFT: return "a-u-A";      /* air */
    case BF_CLASS_PERSON:                        /* ground (a dismount) */
    case BF_CLASS_ANIMAL:                        /* ground: 2525 has no animal; still unknown */
    case BF_CLASS_UNKNOWN:
    default: return "a-u-G";
    }
}

int bf_cot_track_uid(const char *site, uint32_t id, char *out, size_t cap)
{
    int n = snprintf(out, cap, "borderfuse.%s.track.%" PRIu32, site ? site : "", id);
    return (n < 0 || (size_t)n >= cap) ? BF_ERANGE : n;
}

/* ---- XML pieces on the bounded text writer (struct bf_tw, text.c) -------- */

/* Length of the UTF-8 sequence at p (n bytes left) if it is an XML character, else 0. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
    uint32_t cp;
    size_t k = bf_utf8_next(p, n, &cp);
    return cp == 0xfffe || cp == 0xffff ? 0 : k;   /* not XML characters */
}

/* s escaped for an attribute value or element text. */
static void xw_esc(struct bf_tw *w, const char *s)
{
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    size_t n = strlen((const char *)p);
    while (n > 0) {
        switch (*p) {
        case '&': bf_tw_lit(w, "&amp;"); break;
        case '<': bf_tw_lit(w, "&lt;"); break;
        case '>': bf_tw_lit(w, "&gt;"); break;
        case '"': bf_tw_lit(w, "&quot;"); break;
        case '\'': bf_tw_lit(w, "&apos;"); break;
        default:
            if (*p < 0x20 || *p == 0x7f) {
                bf_tw_lit(w, " ");   /* XML 1.0 has no way to carry them; \t \n would be normalised */
            } else {
                size_t k = utf8_len(p, n);
                if (k == 0) {
                    bf_tw_lit(w, "?");
                } else {
                    bf_tw_raw(w, (const char *)p, k);
                    p += k;
                    n -= k;
                    continue;
                }
            }
        }
        p++;
        n--;
    }
}

int bf_cot_escape(const char *s, char *out, size_t cap)
{
    if (!out || cap == 0)
        return BF_ERANGE;
    struct bf_tw w = {.buf = out, .len = cap};
    out[0] = '\0';
    xw_esc(&w, s);
    return w.overflow ? BF_ERANGE : (int)w.pos;
}

/* name="value", value escaped */
static void xw_attr(struct bf_tw *w, const char *name, const char *value)
{
    bf_tw_printf(w, " %s=\"", name);
    xw_esc(w, value);
    bf_tw_lit(w, "\"");
}

static void xw_time_attr(struct bf_tw *w, const char *name, bf_time_us t)
{
    char iso[BF_TIME_ISO_LEN];
    if (bf_time_format_iso(t, iso, sizeof iso) < 0) {
        w->overflow = true;
        return;
    }
    bf_tw_printf(w, " %s=\"%s\"", name, iso);
}

/* A number with decimals; non-finite values as the CoT "unknown" value. */
static void xw_num_attr(struct bf_tw *w, const char *name, double v, int decimals)
{
    if (!isfinite(v))
        v = COT_UNKNOWN;
    bf_tw_printf(w, " %s=\"%.*f\"", name, decimals, v);
}

/* The <event ...> opening tag. */
static void event_open(struct bf_tw *w, const char *uid, const char *type, bf_time_us t,
                       bf_time_us stale, bool exercise)
{
    bf_tw_lit(w, "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<event version=\"2.0\"");
    xw_attr(w, "uid", uid);
    xw_attr(w, "type", type);
    bf_tw_lit(w, " how=\"m-f\"");
    xw_time_attr(w, "time", t);
    xw_time_attr(w, "start", t);
    xw_time_attr(w, "stale", stale);
    if (exercise)
        bf_tw_lit(w, " opex=\"e\"");
    bf_tw_lit(w, ">");
}

static void point(struct bf_tw *w, double lat, double lon, double ce)
{
    bf_tw_lit(w, "<point");
    xw_num_attr(w, "lat", lat, 7);
    xw_num_attr(w, "lon", lon, 7);
    xw_num_attr(w, "hae", COT_UNKNOWN, 1);
    xw_num_attr(w, "ce", ce, 1);
    xw_num_attr(w, "le", COT_UNKNOWN, 1);
    bf_tw_lit(w, "/>");
}

/* Name of sensor bit i: its id, or "sensor-<i>". */
static const char *sensor_name(const char *const *ids, size_t n, unsigned i, char tmp[24])
{
    if (ids && i < n && ids[i] && ids[i][0])
        return ids[i];
    snprintf(tmp, 24, "sensor-%u", i);
    return tmp;
}

/* "radar-a,ugs-1" (comma-separated, in sensor order) escaped into the writer. */
static void sensors_list(struct bf_tw *w, uint64_t mask, const char *const *ids, size_t n)
{
    unsigned k = 0;
    for (unsigned i = 0; i < 64; i++) {
        if (!(mask & (UINT64_C(1) << i)))
            continue;
        char tmp[24];
        if (k++)
            bf_tw_lit(w, ",");
        xw_esc(w, sensor_name(ids, n, i, tmp));
    }
}

static const char *class_name(enum bf_class c)
{
    return ((int)c >= 0 && (int)c < BF_CLASS_COUNT) ? bf_class_names[c] : "unknown";
}

static int percent(double p)
{
    if (!isfinite(p))
        return 0;
    return (int)lround(fmin(fmax(p, 0.0), 1.0) * 100.0);
}

static int finish(struct bf_tw *w, char *buf)
{
    if (w->overflow) {
        buf[0] = '\0';
        return BF_ERANGE;
    }
    return (int)w->pos;
}

/* ---- tracks ---------------------------------------------------------------- */

/* 90% circular error (m) from the 2x2 position block of P: CE90 of a circular
 * Gaussian with the larger principal standard deviation (an upper bound). */
static double ce90(const double P[16])
{
    double a = P[0], b = 0.5 * (P[1] + P[4]), d = P[5];
    if (!isfinite(a) || !isfinite(b) || !isfinite(d))
        return COT_UNKNOWN;
    double half_tr = 0.5 * (a + d), disc = sqrt(fmax(0.25 * (a - d) * (a - d) + b * b, 0.0));
    double lmax = half_tr + disc;
    if (!(lmax >= 0.0))
        return COT_UNKNOWN;
    return fmin(CE90_PER_SIGMA * sqrt(lmax), COT_CE_MAX);
}

int bf_cot_track(const struct bf_track *t, const char *site, struct bf_geo_frame *frame,
                 const char *const *sensor_ids, size_t n_sensors, const struct bf_cot_params *p,
                 char *buf, size_t len)
{
    if (!t || !frame || !p || !buf || len == 0)
        return BF_EINVAL;
    buf[0] = '\0';
    if (t->status != BF_TRACK_CONFIRMED && t->status != BF_TRACK_COASTING)
        return BF_EINVAL;
    double lat, lon, ve, vn;
    if (bf_geo_to_wgs84(frame, t->x[0], t->x[1], &lat, &lon) < 0)
        return BF_EPROJ;
    /* course over ground, degrees clockwise from true north, [0, 360) as printed */
    bf_geo_true_velocity(frame, lat, lon, t->x[2], t->x[3], &ve, &vn);
    double speed = hypot(ve, vn);
    double course = bf_geo_heading_deg(ve, vn, 1);
    bool test = (t->flags & BF_DET_F_TEST) != 0;
    struct bf_alert_conf conf;
    bf_alert_confidence(t, &conf);
    const char *cls = class_name(conf.cls);
    bool exercise = (t->flags & BF_DET_F_EXERCISE) != 0;
    char uid[160];
    if (bf_cot_track_uid(site, t->id, uid, sizeof uid) < 0)
        return BF_ERANGE;

    struct bf_tw w = {.buf = buf, .len = len};
    event_open(&w, uid, bf_cot_track_type(conf.cls), t->t_us,
               t->t_us + bf_time_from_s(p->stale_s), exercise);
    point(&w, lat, lon, ce90(t->P));
    bf_tw_lit(&w, "<detail>");
    bf_tw_printf(&w, "<contact callsign=\"T%" PRIu32 " %s%s\"/>", t->id, cls, test ? " TEST" : "");
    bf_tw_lit(&w, "<track");
    xw_num_attr(&w, "course", course, 1);
    xw_num_attr(&w, "speed", speed, 2);
    bf_tw_lit(&w, "/>");
    bf_tw_printf(&w, "<remarks>%s%sTrack %" PRIu32 " (%s): %s %d%%, confidence %d%%; seen by ",
                 exercise ? "EXERCISE. " : "", test ? "TEST TARGET (radar test, never alerted). " : "",
                 t->id, bf_track_status_name(t->status), cls,
                 percent(conf.class_term), percent(conf.confidence));
    if (t->sensors)
        sensors_list(&w, t->sensors, sensor_ids, n_sensors);
    else
        bf_tw_lit(&w, "no recorded sensor");
    bf_tw_lit(&w, ".</remarks>");
    bf_tw_lit(&w, "<__borderfuse kind=\"track\"");
    xw_attr(&w, "site", site);
    bf_tw_printf(&w, " track=\"%" PRIu32 "\"", t->id);
    xw_attr(&w, "status", bf_track_status_name(t->status));
    xw_attr(&w, "class", cls);
    bf_tw_printf(&w, " class_p=\"%.3f\" confidence=\"%.3f\" hits=\"%" PRIu32 "\" sensors=\"",
                 isfinite(conf.class_term) ? conf.class_term : 0.0, conf.confidence, t->n_hits);
    sensors_list(&w, t->sensors, sensor_ids, n_sensors);
    bf_tw_printf(&w, "\" exercise=\"%s\"%s/>", exercise ? "true" : "false",
                 test ? " test=\"true\"" : "");
    if (test)
        bf_tw_lit(&w, "<__borderfuse_test/>");
    bf_tw_lit(&w, "</detail></event>\n");
    return finish(&w, buf);
}

/* ---- alerts ---------------------------------------------------------------- */

static bool alert_closed(enum bf_alert_state s)
{
    return s == BF_ALERT_RESOLVED || s == BF_ALERT_FALSE_ALARM;
}

int bf_cot_alert(const struct bf_alert *a, const char *site, const char *const *sensor_ids,
                 size_t n_sensors, const struct bf_cot_params *p, char *buf, size_t len)
{
    if (!a || !p || !buf || len == 0)
        return BF_EINVAL;
    buf[0] = '\0';
    if (a->last_us == BF_TIME_NONE || !a->id[0] || a->type == BF_ALERT_SYSTEM)
        return BF_EINVAL;   /* SYSTEM has no place on a map */
    bool track_alert = bf_alert_has_track(a);   /* SENSOR_FAULT, UGS_TRIGGER, a sequence INCURSION: none */
    /* a live alert stays on the map until the engine would resolve it for want of
     * updates; a closed one fades after one track stale period */
    double stale_s = alert_closed(a->state) ? p->stale_s : p->alert_stale_s;
    struct bf_tw w = {.buf = buf, .len = len};
    event_open(&w, a->id, p->alert_type[0] ? p->alert_type : BF_COT_ALERT_TYPE_DEFAULT,
               a->last_us, a->last_us + bf_time_from_s(stale_s), a->exercise);
    point(&w, a->lat_deg, a->lon_deg, COT_UNKNOWN);
    bf_tw_lit(&w, "<detail>");
    bf_tw_lit(&w, "<contact callsign=\"");
    xw_esc(&w, bf_alert_type_name(a->type));
    if (track_alert)
        bf_tw_printf(&w, " T%" PRIu32, a->track_id);
    bf_tw_printf(&w, " %s %s\"/>", bf_severity_name(a->severity), bf_alert_state_name(a->state));
    if (track_alert) {
        char uid[160];
        if (bf_cot_track_uid(site, a->track_id, uid, sizeof uid) < 0)
            return BF_ERANGE;
        bf_tw_lit(&w, "<link");
        xw_attr(&w, "uid", uid);
        xw_attr(&w, "type", bf_cot_track_type(a->cls));
        bf_tw_lit(&w, " relation=\"p-p\"/>");
    }
    char text[2048];
    bf_alert_explain(a, sensor_ids, n_sensors, text, sizeof text);
    bf_tw_lit(&w, "<remarks>");
    if (a->exercise)
        bf_tw_lit(&w, "EXERCISE. ");
    bf_tw_printf(&w, "%s %s (%s): ", bf_alert_type_name(a->type), bf_alert_state_name(a->state),
                 bf_severity_name(a->severity));
    xw_esc(&w, text);
    bf_tw_lit(&w, "</remarks>");
    bf_tw_lit(&w, "<__borderfuse kind=\"alert\"");
    xw_attr(&w, "site", site);
    xw_attr(&w, "id", a->id);
    bf_tw_printf(&w, " seq=\"%" PRIu64 "\"", a->seq);
    xw_attr(&w, "alert_type", bf_alert_type_name(a->type));
    xw_attr(&w, "state", bf_alert_state_name(a->state));
    xw_attr(&w, "severity", bf_severity_name(a->severity));
    if (track_alert)
        bf_tw_printf(&w, " track=\"%" PRIu32 "\"", a->track_id);
    if (a->zone_idx >= 0) {
        xw_attr(&w, "zone_id", a->zone_id);
        xw_attr(&w, "zone_name", a->zone_name[0] ? a->zone_name : a->zone_id);
    }
    if (a->episode[0])
        xw_attr(&w, "episode", a->episode);
    xw_attr(&w, "class", class_name(a->cls));
    bf_tw_printf(&w, " confidence=\"%.3f\" sensors=\"", isfinite(a->confidence) ? a->confidence : 0.0);
    sensors_list(&w, a->sensors, sensor_ids, n_sensors);
    bf_tw_printf(&w, "\" exercise=\"%s\"/>", a->exercise ? "true" : "false");
    bf_tw_lit(&w, "</detail></event>\n");
    return finish(&w, buf);
}

/* ---- our own units ----------------------------------------------------------- */

int bf_cot_unit(const char *site, const char *unit_id, double lat_deg, double lon_deg,
                bf_time_us t_us, const struct bf_cot_params *p, char *buf, size_t len)
{
    if (!unit_id || !unit_id[0] || !p || !buf || len == 0)
        return BF_EINVAL;
    buf[0] = '\0';
    if (t_us == BF_TIME_NONE || !isfinite(lat_deg) || !isfinite(lon_deg))
        return BF_EINVAL;
    struct bf_tw w = {.buf = buf, .len = len};
    bf_tw_lit(&w, "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<event version=\"2.0\"");
    bf_tw_lit(&w, " uid=\"borderfuse.");
    xw_esc(&w, site);
    bf_tw_lit(&w, ".unit.");
    xw_esc(&w, unit_id);
    bf_tw_lit(&w, "\" type=\"a-f-G-U-C\" how=\"m-g\"");
    xw_time_attr(&w, "time", t_us);
    xw_time_attr(&w, "start", t_us);
    xw_time_attr(&w, "stale", t_us + bf_time_from_s(p->stale_s));
    bf_tw_lit(&w, ">");
    point(&w, lat_deg, lon_deg, COT_UNKNOWN);
    bf_tw_lit(&w, "<detail>");
    bf_tw_lit(&w, "<contact callsign=\"");
    xw_esc(&w, unit_id);
    bf_tw_lit(&w, "\"/><remarks>Response unit ");
    xw_esc(&w, unit_id);
    bf_tw_lit(&w, " (its own GPS fix).</remarks><__borderfuse kind=\"unit\"");
    xw_attr(&w, "site", site);
    xw_attr(&w, "unit", unit_id);
    bf_tw_lit(&w, "/></detail></event>\n");
    return finish(&w, buf);
}
