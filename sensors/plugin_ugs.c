/*
 * plugin_ugs.c - the "ugs" sensor plugin: one unattended ground sensor
 * (seismic, acoustic, PIR, magnetic) publishing JSON over MQTT (docs/ugs.md).
 *
 * One instance per ground sensor.  It subscribes to
 * borderfuse/<site>/sensors/<id>/ugs on the engine's ingest connection and
 * hands each message to the pure codec (ugs.c), which authenticates it (an
 * optional per-sensor HMAC-SHA256) and decodes it.  What this file adds is
 * the state and the meaning:
 *
 *  - replay: the last accepted counter; a message whose counter is not above
 *    it is refused (auth).  Only a message that proves its origin moves the
 *    counter: a signed one, or any message of a sensor without a key (so an
 *    unsigned message on a keyed sensor cannot lock the real sensor out by
 *    jumping the counter).
 *  - an EVENT becomes one detection at the sensor's configured position: a
 *    PRESENCE (z = the radius of its type, radius_m) or, when the sensor
 *    gives a bearing, a BEARING (true -> grid through the convergence at the
 *    sensor), with the class hints of its type weighted by its confidence,
 *    then a scan marker: each message is one look.
 *  - a HEARTBEAT is a sign of life: a BF_MEAS_HEARTBEAT marker for the engine
 *    (which raises SENSOR_FAULT when a sensor falls silent), bf_sensor_good
 *    and its health figures (battery_pct, temperature_c, rssi_dbm).
 *
 * Every refused message is counted by kind through bf_sensor_fault and
 * skipped; nothing else is lost.  The key is never logged.
 *
 * Threads: open/close on the engine's main thread; on_message on Paho's
 * thread, one message at a time (the replay state is touched only there).
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "core/bf_error.h"
#include "core/bf_log.h"
#include "geo/geo.h"
#include "sensors/options.h"
#include "sensors/sensor.h"
#include "sensors/sensors_int.h"
#include "sensors/ugs.h"

#define LOG "sensor"
#define DEG (M_PI / 180.0)
#define KEY_FILE_MAX 1024      /* bytes read from a key file */
#define RADIUS_MAX_M 10000.0

/* Default presence radius per type (m). */
static const double default_radius_m[BF_UGS_TYPE_COUNT] = {
    [BF_UGS_SEISMIC] = 30, [BF_UGS_ACOUSTIC] = 50, [BF_UGS_PIR] = 15, [BF_UGS_MAGNETIC] = 10,
};

/* Default class hints per type: person, vehicle, animal, vessel, aircraft, unknown. */
static const float default_hints[BF_UGS_TYPE_COUNT][BF_CLASS_COUNT] = {
    [BF_UGS_SEISMIC] = {1.0f, 1.0f, 0.7f, 0.1f, 0.1f, 0.5f},
    [BF_UGS_ACOUSTIC] = {0.8f, 1.0f, 0.6f, 0.3f, 0.6f, 0.5f},
    [BF_UGS_PIR] = {1.0f, 0.6f, 0.9f, 0.1f, 0.1f, 0.5f},
    [BF_UGS_MAGNETIC] = {0.2f, 1.0f, 0.05f, 0.3f, 0.05f, 0.3f},
};

struct ugs_state {
    struct bf_sensor_host *host;
    struct bf_ugs_ctx ctx;
    unsigned char key[BF_UGS_KEY_MAX];
    struct bf_ugs_replay replay;
    char id[BF_UGS_ID_MAX + 1];
    uint32_t index;
    uint32_t seq;
    double e_m, n_m, height_m;
    double gamma_rad;                 /* true -> grid at the sensor */
    double sigma_bearing_deg;         /* configured bearing accuracy */
    double radius_m[BF_UGS_TYPE_COUNT];
    float hints[BF_UGS_TYPE_COUNT][BF_CLASS_COUNT];
    struct {                          /* options read at open (borrowed, open only) */
        const char *hmac_key_file;
        bool require_hmac;
    } opt;
};

/* ---- messages (Paho's thread) ------------------------------------------ */

static void emit_event(struct ugs_state *s, const struct bf_ugs_msg *m, bf_time_us rx)
{
    struct bf_detection d;
    memset(&d, 0, sizeof d);
    d.t_us = m->t_us;
    d.rx_us = rx;
    d.sensor_idx = s->index;
    d.seq = s->seq++;
    d.sensor_e_m = s->e_m;
    d.sensor_n_m = s->n_m;
    d.sensor_height_m = (float)s->height_m;
    d.flags = BF_DET_F_CLASS | (m->exercise ? BF_DET_F_EXERCISE : 0);
    /* confidence c blends the type's hints with "no information": 1 - c (1 - hint) */
    for (int k = 0; k < BF_CLASS_COUNT; k++)
        d.class_lik[k] = (float)(1.0 - m->confidence * (1.0 - s->hints[m->type][k]));
    if (!isnan(m->bearing_deg)) {
        double sb = isnan(m->sigma_bearing_deg) ? s->sigma_bearing_deg : m->sigma_bearing_deg;
        double b = fmod(m->bearing_deg * DEG + s->gamma_rad, 2 * M_PI);
        if (b < 0)
            b += 2 * M_PI;
        if (b >= 2 * M_PI)
            b = 0;
        d.kind = BF_MEAS_BEARING;
        d.z[0] = b;
        d.R[0][0] = (sb * DEG) * (sb * DEG);
    } else {
        d.kind = BF_MEAS_PRESENCE;   /* the updater derives R from the radius */
        d.z[0] = s->radius_m[m->type];
    }
    bf_sensor_emit(s->host, &d);   /* BF_EFULL is counted by the host */

    struct bf_detection mk;
    memset(&mk, 0, sizeof mk);
    mk.kind = BF_MEAS_SCAN;
    mk.t_us = m->t_us;
    mk.rx_us = rx;
    mk.sensor_idx = s->index;
    mk.seq = s->seq++;
    mk.flags = m->exercise ? BF_DET_F_EXERCISE : 0;
    mk.sensor_e_m = s->e_m;
    mk.sensor_n_m = s->n_m;
    bf_sensor_emit(s->host, &mk);
}

static void take_heartbeat(struct ugs_state *s, const struct bf_ugs_msg *m, bf_time_us rx)
{
    struct bf_detection hb;
    memset(&hb, 0, sizeof hb);
    hb.kind = BF_MEAS_HEARTBEAT;
    hb.t_us = m->t_us;
    hb.rx_us = rx;
    hb.sensor_idx = s->index;
    hb.seq = s->seq++;
    hb.flags = m->exercise ? BF_DET_F_EXERCISE : 0;
    hb.sensor_e_m = s->e_m;
    hb.sensor_n_m = s->n_m;
    bf_sensor_emit(s->host, &hb);
    bf_sensor_health(s->host, s->index, "battery_pct", m->battery_pct);
    if (!isnan(m->temperature_c))
        bf_sensor_health(s->host, s->index, "temperature_c", m->temperature_c);
    if (!isnan(m->rssi_dbm))
        bf_sensor_health(s->host, s->index, "rssi_dbm", m->rssi_dbm);
}

static void ugs_on_message(void *state, const char *topic, const void *payload, size_t len)
{
    (void)topic;
    struct ugs_state *s = state;
    struct bf_ugs_msg m;
    struct bf_ugs_error err;
    if (bf_ugs_decode(&s->ctx, payload, len, &m, &err) < 0 ||
        bf_ugs_replay_check(&s->replay, m.counter, &err) < 0) {
        bf_sensor_fault(s->host, s->index, err.kind, err.detail);
        return;
    }
    if (m.authenticated || !s->ctx.key)
        bf_ugs_replay_accept(&s->replay, m.counter);
    bf_time_us rx = bf_clock_realtime(NULL);   /* receipt stamp: latency only */
    if (m.kind == BF_UGS_EVENT)
        emit_event(s, &m, rx);
    else
        take_heartbeat(s, &m, rx);
    bf_sensor_good(s->host, s->index, m.t_us);
}

/* ---- options (main thread) --------------------------------------------- */

/* The sensor type named by m's key, or -1 with why filled in. */
static int type_key(const cJSON *m, char *why, size_t why_len)
{
    int t = bf_ugs_type_from_name(m->string);
    if (t < 0)
        snprintf(why, why_len, "\"%s\": unknown type; use seismic, acoustic, pir or magnetic",
                 m->string);
    return t;
}

/* "radius_m": {"seismic": 30, ...} into the double[BF_UGS_TYPE_COUNT] at field. */
static int parse_radius(const cJSON *o, void *field, char *why, size_t why_len)
{
    double *radius = field;
    const cJSON *m;
    cJSON_ArrayForEach(m, o) {
        int t = type_key(m, why, why_len);
        if (t < 0)
            return -1;
        if (!cJSON_IsNumber(m) || !(m->valuedouble > 0 && m->valuedouble <= RADIUS_MAX_M)) {
            snprintf(why, why_len, "\"%s\": expected a number > 0 and <= %g (metres)",
                     m->string, RADIUS_MAX_M);
            return -1;
        }
        radius[t] = m->valuedouble;
    }
    return 0;
}

/* "class_hints": {"magnetic": {"vehicle": 1}, ...} into the hints table at field. */
static int parse_hints(const cJSON *o, void *field, char *why, size_t why_len)
{
    float(*hints)[BF_CLASS_COUNT] = field;
    const cJSON *m;
    cJSON_ArrayForEach(m, o) {
        int t = type_key(m, why, why_len);
        if (t < 0)
            return -1;
        if (!cJSON_IsObject(m)) {
            snprintf(why, why_len, "\"%s\": expected an object of class -> number in [0, 1], "
                     "like {\"vehicle\": 1, \"person\": 0.2}", m->string);
            return -1;
        }
        float h[BF_CLASS_COUNT] = {0};
        bool any = false;
        const cJSON *c;
        cJSON_ArrayForEach(c, m) {
            int k = 0;
            while (k < BF_CLASS_COUNT && strcmp(bf_class_names[k], c->string) != 0)
                k++;
            if (k == BF_CLASS_COUNT) {
                snprintf(why, why_len, "\"%s\".\"%s\": unknown class; use person, vehicle, "
                         "animal, vessel, aircraft or unknown", m->string, c->string);
                return -1;
            }
            if (!cJSON_IsNumber(c) || !(c->valuedouble >= 0 && c->valuedouble <= 1)) {
                snprintf(why, why_len, "\"%s\".\"%s\": expected a number in [0, 1]",
                         m->string, c->string);
                return -1;
            }
            h[k] = (float)c->valuedouble;
            any = any || c->valuedouble > 0;
        }
        if (!any) {
            snprintf(why, why_len, "\"%s\": give at least one class a hint above 0", m->string);
            return -1;
        }
        memcpy(hints[t], h, sizeof h);
    }
    return 0;
}

#define UO(f) offsetof(struct ugs_state, f)
static const struct bf_sensor_opt ugs_opt[] = {
    {"hmac_key_file", BF_OPT_STRING, 0, UO(opt.hmac_key_file),
     .help = "the path of the sensor's key file (hex text, chmod 600)"},
    {"require_hmac", BF_OPT_BOOL, 0, UO(opt.require_hmac), .def = 1,
     .help = "refuse messages without a valid HMAC (default true when there is a key)"},
    {"radius_m", BF_OPT_OBJECT, 0, UO(radius_m), .parse = parse_radius,
     .help = "metres per type, like {\"seismic\": 30, \"pir\": 15}"},
    {"class_hints", BF_OPT_OBJECT, 0, UO(hints), .parse = parse_hints,
     .help = "class hints per type, like {\"magnetic\": {\"vehicle\": 1, \"person\": 0.2}}"},
};
#undef UO
static const struct bf_sensor_opts ugs_opts =
    BF_SENSOR_OPTS("ugs", "docs/ugs.md", ugs_opt);

/*
 * Read the key file at path into s->key.  The file must be a regular file
 * that neither group nor others may read or write.  The key is never logged.
 */
static int load_key(struct ugs_state *s, const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        BF_LOGE(LOG, "%s: options.hmac_key_file: cannot open %s: %s", s->id, path, strerror(errno));
        return BF_EIO;
    }
    int rc = BF_EINVAL;
    char text[KEY_FILE_MAX + 1];
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        BF_LOGE(LOG, "%s: options.hmac_key_file: %s is not a regular file", s->id, path);
        goto out_close;
    }
    if (st.st_mode & (S_IRWXG | S_IRWXO)) {
        BF_LOGE(LOG, "%s: options.hmac_key_file: %s is open to group or others (mode %03o); "
                "a key must be private: chmod 600 %s", s->id, path,
                (unsigned)(st.st_mode & 0777), path);
        goto out_close;
    }
    size_t n = 0;
    for (;;) {
        ssize_t r = read(fd, text + n, sizeof text - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            BF_LOGE(LOG, "%s: options.hmac_key_file: reading %s: %s", s->id, path,
                    strerror(errno));
            rc = BF_EIO;
            goto out_clean;
        }
        if (r == 0)
            break;
        n += (size_t)r;
        if (n == sizeof text)
            break;
    }
    if (n > KEY_FILE_MAX) {
        BF_LOGE(LOG, "%s: options.hmac_key_file: %s is longer than %d bytes; it should hold "
                "only the key as hex digits (openssl rand -hex 32)", s->id, path, KEY_FILE_MAX);
        goto out_clean;
    }
    char why[160];
    size_t key_len = 0;
    if (bf_ugs_key_from_hex(text, n, s->key, &key_len, why, sizeof why) < 0) {
        BF_LOGE(LOG, "%s: options.hmac_key_file: %s: %s", s->id, path, why);
        goto out_clean;
    }
    s->ctx.key = s->key;
    s->ctx.key_len = key_len;
    rc = 0;
out_clean:
    OPENSSL_cleanse(text, sizeof text);
out_close:
    close(fd);
    return rc;
}

static int parse_options(struct ugs_state *s, const struct bf_sensor_config *cfg)
{
    if (bf_sensor_opts_read(cfg, &ugs_opts, s) < 0)
        return BF_EINVAL;
    const char *key_file = s->opt.hmac_key_file;
    bool require_given = cfg->options &&
                         cJSON_GetObjectItemCaseSensitive(cfg->options, "require_hmac");
    if (require_given && s->opt.require_hmac && !key_file) {
        bf_sensor_opt_errorf(cfg, &ugs_opts, "require_hmac", "is true but there is no key: add "
                             "options.hmac_key_file");
        return BF_EINVAL;
    }
    if (key_file) {
        int rc = load_key(s, key_file);
        if (rc < 0)
            return rc;
    }
    s->ctx.require_hmac = key_file && s->opt.require_hmac;
    return 0;
}

/* ---- open / close ------------------------------------------------------ */

static int ugs_open(void *state, const struct bf_sensor_config *cfg, struct bf_sensor_host *host)
{
    struct ugs_state *s = state;
    s->host = host;
    s->index = cfg->index;
    snprintf(s->id, sizeof s->id, "%s", cfg->id);
    memcpy(s->radius_m, default_radius_m, sizeof s->radius_m);
    memcpy(s->hints, default_hints, sizeof s->hints);
    s->ctx = (struct bf_ugs_ctx){.sensor_id = s->id};
    int rc = parse_options(s, cfg);
    if (rc < 0)
        goto out_wipe;

    /* each message is one look: tracks within range_m that it does not report count a miss */
    double rmax = 0;
    for (int t = 0; t < BF_UGS_TYPE_COUNT; t++)
        rmax = fmax(rmax, s->radius_m[t]);
    if (cfg->range_m > rmax) {
        BF_LOGE(LOG, "%s: range_m is %g m, beyond what this ground sensor senses (its largest "
                "radius_m is %g m): set \"range_m\": %g in the sensor's config, or raise "
                "options.radius_m; each message is one look and tracks within range_m that it "
                "does not report count a miss", s->id, cfg->range_m, rmax, rmax);
        rc = BF_EINVAL;
        goto out_wipe;
    }
    s->e_m = cfg->e_m;
    s->n_m = cfg->n_m;
    s->height_m = cfg->height_m;
    s->sigma_bearing_deg = cfg->sigma_bearing_deg > 0 ? cfg->sigma_bearing_deg : 5.0;
    struct bf_geo_frame *frame = NULL;
    rc = bf_geo_frame_clone(cfg->frame, &frame);
    if (rc < 0)
        goto out_wipe;
    rc = bf_geo_convergence(frame, cfg->lat_deg, cfg->lon_deg, &s->gamma_rad);
    bf_geo_frame_destroy(frame);
    if (rc < 0)
        goto out_wipe;

    char topic[256];
    snprintf(topic, sizeof topic, "borderfuse/%s/sensors/%s/ugs", cfg->site, cfg->id);
    rc = bf_sensor_subscribe(host, topic, ugs_on_message, s);
    if (rc < 0) {
        BF_LOGE(LOG, "%s: cannot subscribe to %s: %s", s->id, topic, bf_strerror(rc));
        goto out_wipe;
    }
    BF_LOGI(LOG, "%s: listening for ground-sensor messages on %s (%s; radius seismic %g m, "
            "acoustic %g m, pir %g m, magnetic %g m)", s->id, topic,
            s->ctx.require_hmac ? "HMAC required"
            : s->ctx.key        ? "HMAC checked when present, unsigned accepted"
                                : "no HMAC key",
            s->radius_m[0], s->radius_m[1], s->radius_m[2], s->radius_m[3]);
    return 0;

out_wipe:
    OPENSSL_cleanse(s->key, sizeof s->key);
    s->ctx.key = NULL;
    s->ctx.key_len = 0;
    return rc;
}

static void ugs_close(void *state)
{
    struct ugs_state *s = state;
    OPENSSL_cleanse(s->key, sizeof s->key);
    s->ctx.key = NULL;
    s->ctx.key_len = 0;
}

const struct bf_sensor_ops bf_sensor_ugs_ops = {
    .abi_version = BF_SENSOR_ABI,
    .name = "ugs",
    .summary = "unattended ground sensor: JSON events and heartbeats over MQTT on "
               "borderfuse/<site>/sensors/<id>/ugs, optional HMAC-SHA256",
    .state_size = sizeof(struct ugs_state),
    .open = ugs_open,
    .close = ugs_close,
};
