/*
 * engine_outputs.c - what the engine shows of itself (docs/engine.md):
 * the retained status (engine and per sensor), the track picture (QoS 0, at
 * most once a second), the zones as GeoJSON (retained, once at start, for
 * displays: docs/web.md); the picture goes to TAK through the CoT seam (engine_cot.c).
 * Headings are degrees clockwise from true north, [0, 360); a radar's test
 * targets are marked ("test": true) or left out (engine.test_tracks).
 * Every function runs on the engine thread and only reads the pipeline's
 * state; each counter it shows is kept where it is counted.  The seam owns
 * its topics, its picture buffer and whether the picture changed
 * (struct bf_eng_outputs); the engine's "status" and "track picture" tasks
 * (engine/timers.h) say when they go out.
 */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/bf_error.h"
#include "engine/engine_int.h"

struct bf_eng_outputs {
    char topic_status[160];           /* borderfuse/<site>/status */
    char topic_tracks[160];           /* borderfuse/<site>/tracks */
    char topic_zones[160];            /* borderfuse/<site>/zones */
    bf_time_us started;               /* wall clock at start (live), for the status */
    const struct bf_track **trackbuf; /* max_tracks: the picture being made */
    size_t track_cap;
    bool changed;                     /* released since the last track picture */
};

int bf_eng_outputs_create(const struct bf_config *cfg, bool live, struct bf_eng_outputs **out)
{
    *out = NULL;
    struct bf_eng_outputs *o = calloc(1, sizeof *o);
    if (!o)
        return BF_ENOMEM;
    o->track_cap = cfg->tracker.max_tracks;
    o->trackbuf = calloc(o->track_cap ? o->track_cap : 1, sizeof *o->trackbuf);
    if (!o->trackbuf) {
        free(o);
        return BF_ENOMEM;
    }
    snprintf(o->topic_status, sizeof o->topic_status, "borderfuse/%s/status", cfg->site);
    snprintf(o->topic_tracks, sizeof o->topic_tracks, "borderfuse/%s/tracks", cfg->site);
    snprintf(o->topic_zones, sizeof o->topic_zones, "borderfuse/%s/zones", cfg->site);
    if (live)   /* no clock at all without MQTT */
        o->started = bf_clock_realtime(NULL);
    *out = o;
    return 0;
}

void bf_eng_outputs_destroy(struct bf_eng_outputs *o)
{
    if (!o)
        return;
    free(o->trackbuf);
    free(o);
}

const char *bf_eng_outputs_status_topic(const struct bf_eng_outputs *o) { return o->topic_status; }

void bf_eng_outputs_changed(struct bf_eng_outputs *o) { o->changed = true; }

/* ---- status and track picture ----------------------------------------- */

/* One sensor's health: open, counters of good and bad input, last data, its
 * own figures (battery, ...), and whether it is silent (SENSOR_FAULT). */
static cJSON *sensor_status(struct bf_engine *e, size_t i)
{
    struct sensor_slot *s = bf_eng_sensor(e, i);
    char ts[BF_TIME_ISO_LEN];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "id", s->id);
    cJSON_AddStringToObject(o, "type", s->sc->type);
    cJSON_AddBoolToObject(o, "open", s->open);
    cJSON_AddNumberToObject(o, "messages", (double)atomic_load(&s->messages));
    cJSON_AddNumberToObject(o, "detections", (double)atomic_load(&s->detections));
    cJSON_AddNumberToObject(o, "shed", (double)atomic_load(&s->shed));
    cJSON *f = cJSON_AddObjectToObject(o, "malformed");
    for (int k = 0; k < BF_FAULT_KIND_COUNT; k++)
        if (k != BF_FAULT_QUEUE_FULL)
            cJSON_AddNumberToObject(f, bf_sensor_fault_name(k), (double)atomic_load(&s->faults[k]));
    int64_t last = atomic_load(&s->last_data_us);
    if (last != BF_TIME_NONE) {
        bf_time_format_iso(last, ts, sizeof ts);
        cJSON_AddStringToObject(o, "last_data", ts);
    } else {
        cJSON_AddNullToObject(o, "last_data");
    }
    if (s->sc->heartbeat_timeout_s > 0)
        cJSON_AddBoolToObject(o, "fault", s->faulty);
    if (s->plat) {
        cJSON_AddStringToObject(o, "platform", s->plat->id);
        cJSON_AddNumberToObject(o, "no_platform_fix", (double)s->no_platform_fix);
    }
    bf_eng_status_sensor_ingest(e, i, o);   /* budgets, clock fault (engine_sensors.c) */
    bf_eng_status_sensor_health(e, i, o);
    return o;
}

/* borderfuse/<site>/sensors/<id>/status, retained. */
void bf_eng_publish_sensor_status(struct bf_engine *e, size_t i)
{
    if (!e->mqtt_out || !bf_eng_sensor(e, i))
        return;
    cJSON *o = sensor_status(e, i);
    char *txt = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (txt) {
        bf_mqtt_publish(e->mqtt_out, bf_eng_sensor(e, i)->topic_status, txt, strlen(txt), 1,
                        true);
        free(txt);
    }
}

void bf_eng_publish_status(struct bf_engine *e, const char *state)
{
    if (!e->mqtt_out)
        return;
    cJSON *root = cJSON_CreateObject();
    char ts[BF_TIME_ISO_LEN];
    bf_time_us now = bf_clock_realtime(NULL);
    cJSON_AddStringToObject(root, "state", state);
    cJSON_AddStringToObject(root, "site", e->cfg->site);
    bf_time_format_iso(now, ts, sizeof ts);
    cJSON_AddStringToObject(root, "time", ts);
    bf_time_format_iso(e->outputs->started, ts, sizeof ts);
    cJSON_AddStringToObject(root, "started", ts);
    bf_time_us released = bf_reorder_released(e->reorder);
    if (released != BF_TIME_NONE) {
        bf_time_format_iso(released, ts, sizeof ts);
        cJSON_AddStringToObject(root, "event_time", ts);
    } else {
        cJSON_AddNullToObject(root, "event_time");
    }
    bf_eng_status_ingest(e, root);   /* site time, future, shedding (engine_sensors.c) */
    struct bf_engine_stats st;
    bf_engine_get_stats(e, &st);
    cJSON *det = cJSON_AddObjectToObject(root, "detections");
    cJSON_AddNumberToObject(det, "received", (double)st.received);
    cJSON_AddNumberToObject(det, "processed", (double)st.processed);
    cJSON_AddNumberToObject(det, "shed", (double)st.shed);
    cJSON_AddNumberToObject(det, "late", (double)st.late);
    cJSON_AddNumberToObject(det, "malformed_messages", (double)st.malformed);
    cJSON_AddNumberToObject(det, "queue_depth", (double)bf_ingest_queue_depth(e->queue));
    struct bf_tracker_stats ts_;
    bf_tracker_get_stats(e->tracker, &ts_);
    cJSON *trk = cJSON_AddObjectToObject(root, "tracks");
    cJSON_AddNumberToObject(trk, "live", ts_.live);
    cJSON_AddNumberToObject(trk, "confirmed", ts_.live_confirmed);
    cJSON_AddNumberToObject(trk, "initiated", (double)ts_.initiated);
    cJSON_AddNumberToObject(trk, "pool_full", (double)ts_.pool_full);
    struct bf_alerter_stats as;
    bf_alerter_get_stats(e->alerter, &as);
    cJSON *al = cJSON_AddObjectToObject(root, "alerts");
    cJSON_AddNumberToObject(al, "live", as.live);
    cJSON_AddNumberToObject(al, "raised", (double)as.raised);
    cJSON_AddNumberToObject(al, "published", (double)st.alerts_published);
    cJSON_AddNumberToObject(al, "publish_failed", (double)st.alerts_publish_failed);
    cJSON_AddNumberToObject(al, "suppressed_no_alert", (double)as.suppressed_no_alert);
    cJSON_AddNumberToObject(al, "suppressed_confidence", (double)as.suppressed_confidence);
    cJSON_AddNumberToObject(al, "suppressed_test", (double)as.suppressed_test);
    cJSON_AddNumberToObject(al, "suppressed_class", (double)as.suppressed_class);
    cJSON_AddNumberToObject(al, "ugs_trips", (double)as.ugs_trips);
    cJSON_AddNumberToObject(al, "ugs_covered", (double)as.ugs_covered);
    cJSON_AddNumberToObject(al, "lost", (double)as.lost);
    cJSON_AddNumberToObject(al, "reacquired", (double)as.reacquired);
    cJSON_AddNumberToObject(al, "withdrawn_class", (double)as.withdrawn_class);
    cJSON_AddNumberToObject(al, "crossing_point", (double)as.crossing_point);
    cJSON_AddNumberToObject(al, "joined_incursions", (double)as.joined_incursions);
    struct bf_journal_stats js;
    bool jfailing;
    uint64_t jerrors;
    bool journal = bf_eng_alerts_journal(e, &js, &jfailing, &jerrors);
    cJSON_AddNumberToObject(al, "journal_errors", (double)jerrors);
    if (journal) {   /* docs/alerts.md, Journal */
        cJSON *jo = cJSON_AddObjectToObject(al, "journal");
        int err = js.last_errno;
        cJSON_AddBoolToObject(jo, "failing", jfailing);
        cJSON_AddStringToObject(jo, "last_error", err ? strerror(err) : "");
        cJSON_AddNumberToObject(jo, "append_errors", (double)js.append_errors);
        cJSON_AddNumberToObject(jo, "gaps", (double)js.gaps);
        cJSON_AddNumberToObject(jo, "corrupt_lines", (double)js.corrupt_lines);
        cJSON_AddNumberToObject(jo, "torn_bytes", (double)js.torn_bytes);
        cJSON_AddNumberToObject(jo, "closed_at_start", (double)js.closed_at_start);
        cJSON_AddNumberToObject(jo, "seq_errors", (double)js.seq_errors);
    }
    struct bf_outbox_stats os;
    if (bf_eng_alerts_outbox(e, &os)) {
        cJSON *ob = cJSON_AddObjectToObject(al, "outbox");
        cJSON_AddNumberToObject(ob, "backlog", (double)os.backlog);
        cJSON_AddNumberToObject(ob, "delivered_seq", (double)os.delivered_seq);
        cJSON_AddNumberToObject(ob, "recovered", (double)os.recovered);
        cJSON_AddNumberToObject(ob, "sent", (double)os.sent);
        cJSON_AddNumberToObject(ob, "resent", (double)os.resent);
        cJSON_AddNumberToObject(ob, "acked", (double)os.acked);
        cJSON_AddNumberToObject(ob, "refused", (double)os.refused);
        cJSON_AddNumberToObject(ob, "read_errors", (double)os.read_errors);
        cJSON_AddNumberToObject(ob, "corrupt", (double)os.corrupt);
        cJSON_AddNumberToObject(ob, "mark_errors", (double)os.mark_errors);
    }
    bf_eng_status_cue_dispatch(e, root);
    bf_eng_cot_status(e->cot, root);
    if (e->reloads || e->reloads_refused) {   /* docs/engine.md, "Reload" */
        cJSON *rl = cJSON_AddObjectToObject(root, "reload");
        cJSON_AddNumberToObject(rl, "applied", (double)e->reloads);
        cJSON_AddNumberToObject(rl, "refused", (double)e->reloads_refused);
    }
    bf_eng_operators_status(e->operators, root, &as);
    cJSON *sens = cJSON_AddArrayToObject(root, "sensors");
    for (size_t i = 0; i < bf_eng_sensor_count(e); i++)
        if (bf_eng_sensor(e, i))
            cJSON_AddItemToArray(sens, sensor_status(e, i));
    char *txt = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    if (txt) {
        bf_mqtt_publish(e->mqtt_out, e->outputs->topic_status, txt, strlen(txt), 1, true);
        free(txt);
    }
    for (size_t i = 0; i < bf_eng_sensor_count(e); i++)
        bf_eng_publish_sensor_status(e, i);
}

cJSON *bf_engine_track_json(const struct bf_track *t, struct bf_geo_frame *frame, bool omit_test)
{
    if (!t || !frame || (t->status != BF_TRACK_CONFIRMED && t->status != BF_TRACK_COASTING))
        return NULL;
    bool test = (t->flags & BF_DET_F_TEST) != 0;
    if (test && omit_test)
        return NULL;
    double lat, lon;
    if (bf_geo_to_wgs84(frame, t->x[0], t->x[1], &lat, &lon) < 0)
        return NULL;
    int best = 0;
    for (int k = 1; k < BF_CLASS_COUNT; k++)
        if (t->class_p[k] > t->class_p[best])
            best = k;
    /* the state's velocity is along the local grid; the picture says true north, as alerts and
     * CoT do (a grid frame far from its central meridian differs by a degree or more) */
    double ve, vn;
    bf_geo_true_velocity(frame, lat, lon, t->x[2], t->x[3], &ve, &vn);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "id", t->id);
    cJSON_AddStringToObject(o, "status", bf_track_status_name(t->status));
    cJSON_AddNumberToObject(o, "lat", round(lat * 1e7) / 1e7);
    cJSON_AddNumberToObject(o, "lon", round(lon * 1e7) / 1e7);
    cJSON_AddNumberToObject(o, "speed_mps", round(hypot(ve, vn) * 100) / 100);
    cJSON_AddNumberToObject(o, "heading_deg", bf_geo_heading_deg(ve, vn, 1));
    cJSON_AddStringToObject(o, "class", bf_class_names[best]);
    cJSON_AddNumberToObject(o, "class_p", round(t->class_p[best] * 100) / 100);
    double conf = bf_alert_track_confidence(t);
    cJSON_AddNumberToObject(o, "confidence", round(conf * 1000) / 1000);
    cJSON_AddBoolToObject(o, "exercise", (t->flags & BF_DET_F_EXERCISE) != 0);
    if (test)
        cJSON_AddBoolToObject(o, "test", true);
    return o;
}

/* borderfuse/<site>/tracks: the confirmed and coasting tracks (QoS 0). */
static void publish_tracks(struct bf_engine *e, struct bf_eng_outputs *o, size_t n)
{
    cJSON *root = cJSON_CreateObject();
    char ts[BF_TIME_ISO_LEN];
    bf_time_us released = bf_reorder_released(e->reorder);
    bf_time_format_iso(released == BF_TIME_NONE ? 0 : released, ts, sizeof ts);
    cJSON_AddStringToObject(root, "site", e->cfg->site);
    cJSON_AddStringToObject(root, "time", ts);
    bf_time_format_iso(bf_clock_realtime(NULL), ts, sizeof ts);
    cJSON_AddStringToObject(root, "published", ts);   /* wall time: the picture's age */
    cJSON *arr = cJSON_AddArrayToObject(root, "tracks");
    bool omit_test = e->cfg->engine.test_tracks == BF_TEST_TRACKS_OMIT;
    for (size_t i = 0; i < n; i++) {
        cJSON *t = bf_engine_track_json(o->trackbuf[i], e->frame, omit_test);
        if (t)
            cJSON_AddItemToArray(arr, t);
    }
    char *txt = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    if (txt) {
        bf_mqtt_publish(e->mqtt_out, o->topic_tracks, txt, strlen(txt), 0, false);
        free(txt);
    }
}

/*
 * borderfuse/<site>/zones, retained: the configured zones as a GeoJSON
 * FeatureCollection for displays (the operator page), each feature with the
 * properties id, name, kind, severity and, for a border line, our_side
 * ("left"/"right").  Read from the zones file, which bf_geo_zones_load() has
 * already checked; a feature the loader does not know is left out, and so
 * are properties the engine does not read.  Polygons are rewound to RFC 7946
 * (exterior rings counter-clockwise), and a MultiLineString border is
 * published as the one LineString the engine merged it into (our_side is
 * relative to that line's direction).
 */
/* The geometry of zone idx as published: polygons in RFC 7946 winding, a border as one line. */
static cJSON *published_geometry(struct bf_engine *e, size_t idx, const cJSON *geom)
{
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(geom, "type");
    const double *xy = NULL;
    size_t n = bf_geo_line_vertices(e->zones, idx, &xy);
    if (n >= 2 && cJSON_IsString(type) && strcmp(type->valuestring, "MultiLineString") == 0) {
        cJSON *g = cJSON_CreateObject();
        cJSON_AddStringToObject(g, "type", "LineString");
        cJSON *coords = cJSON_AddArrayToObject(g, "coordinates");
        for (size_t i = 0; i < n; i++) {
            double lat, lon;
            if (bf_geo_to_wgs84(e->frame, xy[2 * i], xy[2 * i + 1], &lat, &lon) < 0)
                break;
            cJSON *pos = cJSON_CreateArray();
            cJSON_AddItemToArray(pos, cJSON_CreateNumber(lon));
            cJSON_AddItemToArray(pos, cJSON_CreateNumber(lat));
            cJSON_AddItemToArray(coords, pos);
        }
        return g;
    }
    cJSON *g = cJSON_Duplicate(geom, true);
    (void)bf_geo_geojson_rewind(g);   /* the loader has checked it: cannot be malformed */
    return g;
}

void bf_eng_publish_zones(struct bf_engine *e)
{
    struct bf_diag diag = {0};
    struct bf_json_doc *doc = NULL;
    if (!e->mqtt_out || bf_json_doc_load(e->reload_cfg ? e->reload_cfg->zones_path : e->cfg->zones_path, &doc,
                                                 &diag) < 0) {
        bf_json_doc_destroy(doc);
        return;
    }
    const cJSON *features = cJSON_GetObjectItemCaseSensitive(bf_json_doc_root(doc), "features");
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "type", "FeatureCollection");
    cJSON_AddStringToObject(root, "site", e->cfg->site);
    cJSON *out = cJSON_AddArrayToObject(root, "features");
    const cJSON *f;
    cJSON_ArrayForEach(f, features) {
        const cJSON *props = cJSON_GetObjectItemCaseSensitive(f, "properties");
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(props, "id");
        if (!cJSON_IsString(id))
            id = cJSON_GetObjectItemCaseSensitive(f, "id");
        int idx = cJSON_IsString(id) ? bf_geo_zone_find(e->zones, id->valuestring) : -1;
        const cJSON *geom = cJSON_GetObjectItemCaseSensitive(f, "geometry");
        if (idx < 0 || !cJSON_IsObject(geom))
            continue;
        const struct bf_zone_info *zi = bf_geo_zone_info(e->zones, (size_t)idx);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "type", "Feature");
        cJSON *p = cJSON_AddObjectToObject(o, "properties");
        cJSON_AddStringToObject(p, "id", zi->id);
        cJSON_AddStringToObject(p, "name", zi->name);
        cJSON_AddStringToObject(p, "kind", bf_zone_kind_name(zi->kind));
        cJSON_AddNumberToObject(p, "severity", zi->severity);
        if (zi->kind == BF_ZONE_BORDER_LINE)
            cJSON_AddStringToObject(p, "our_side", zi->our_side > 0 ? "left" : "right");
        cJSON_AddItemToObject(o, "geometry", published_geometry(e, (size_t)idx, geom));
        cJSON_AddItemToArray(out, o);
    }
    bf_json_doc_destroy(doc);
    char *txt = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    if (txt) {
        bf_mqtt_publish(e->mqtt_out, e->outputs->topic_zones, txt, strlen(txt), 1, true);
        free(txt);
    }
}

/* At most once a second (the engine's task), and once more after the last change: what the
 * operator sees is never more than a second older than the last detection. */
void bf_eng_outputs_step(struct bf_engine *e, bf_time_us now)
{
    struct bf_eng_outputs *o = e->outputs;
    if (!o->changed || !e->mqtt_out)
        return;
    o->changed = false;
    size_t n = bf_tracker_tracks(e->tracker, o->trackbuf, o->track_cap);
    if (n > o->track_cap)
        n = o->track_cap;
    publish_tracks(e, o, n);
    bf_eng_cot_tracks(e, o->trackbuf, n, now);   /* the picture to TAK (docs/cot.md) */
}
