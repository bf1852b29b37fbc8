/*
 * config.c - the engine configuration: one JSON file read once at start-up.
 *
 * The problem: the person who writes a site's configuration is usually not a
 * programmer, and an engine that dies on the first typo, or silently ignores
 * a misspelt key and runs with a default, costs a night's surveillance.  So
 * the loader reads every section, reports EVERY mistake it finds with
 * file:line:col, JSON path, what was expected and how to fix it, treats
 * unknown keys as errors (with "did you mean"), and only then fails.  On
 * success the result is a read-only struct bf_config that every module takes
 * (docs/architecture.md: configuration is the only global); nothing else reads the file.
 *
 * Ownership: the config keeps its bf_json_doc alive, so strings read from the
 * file and each sensor's "options" object (the plugin's business, passed
 * through unchecked) are borrowed from it.  Strings the loader makes itself
 * (paths resolved against the config file's folder, the default MQTT client
 * id) are kept in a list and freed by bf_config_destroy().
 *
 * The defaults of the "tracker" and "alerts" sections are the modules' own,
 * bf_tracker_params_default() and bf_alert_params_default(), so they are
 * written down once; only the journal differs: "journal.jsonl" beside the
 * configuration (and the operator audit log, when not named, goes beside
 * the journal as "audit.jsonl": the engine works that out).
 */
#include "engine/config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <math.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <glib.h>

#include "cot/cot.h"
#include "core/bf_error.h"
#include "mqtt/mqtt.h"

/* struct bf_config with what the loader owns besides the doc. */
struct config_priv {
    struct bf_config cfg;   /* first: bf_config_destroy casts back */
    GPtrArray *owned;       /* strings made by the loader (g_free) */
};

/* What one load needs to report errors. */
struct loader {
    struct bf_json_doc *doc;
    struct bf_diag *diag;
    struct config_priv *priv;
    char *dir;   /* the config file's folder, "" when it has none */
};

/* ---- defaults ------------------------------------------------------------- */

static void engine_defaults(struct bf_engine_params *p)
{
    *p = (struct bf_engine_params){
        .reorder_window_us = 500 * BF_US_PER_MS,
        .queue_capacity = 65536,
        .status_period_s = 5.0,
        .idle_flush_s = 2.0,
        .max_future_skew_s = 30.0,
        .new_tracks_per_s = 100.0,
        .clutter_cell_m = 500.0,
        .clutter_memory_s = 300.0,
        .clutter_factor = 20.0,
        .step_max_detections = 8192,
        .step_budget_ms = 200.0,
    };
}

#define SENSOR_RANGE_M_DEFAULT 10000.0
#define SENSOR_SIGMA_M_DEFAULT 10.0
#define SENSOR_SIGMA_RANGE_M_DEFAULT 10.0
#define SENSOR_SIGMA_BEARING_DEG_DEFAULT 0.5
#define MQTT_URL_DEFAULT "tcp://127.0.0.1:1883"
#define MQTT_KEEPALIVE_S_DEFAULT 20
#define FRAME_DEFAULT "aeqd"
#define JOURNAL_DEFAULT "journal.jsonl"

/* ---- typed reads with the expectation spelled out ------------------------------ */

/* "got ..." text: numbers as written, other values described. */
static void got_text(const cJSON *it, char *buf, size_t len)
{
    if (cJSON_IsNumber(it)) {
        for (int prec = 6; prec <= 17; prec++) {
            snprintf(buf, len, "%.*g", prec, it->valuedouble);
            if (strtod(buf, NULL) == it->valuedouble)
                return;
        }
        return;
    }
    bf_json_describe(it, buf, len);
}

/*
 * Look key up in obj.  Returns the item, or NULL when it is absent (reported
 * with expect when required) or obj is not an object (already reported).
 */
static const cJSON *member(struct loader *L, const cJSON *obj, const char *key, bool required,
                           const char *expect)
{
    if (!obj || !cJSON_IsObject(obj))
        return NULL;
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!it && required)
        bf_json_errorf(L->doc, L->diag, obj, "missing required key \"%s\": expected %s", key, expect);
    return it;
}

/*
 * A number in [lo, hi] (lo excluded when lo_open), described by expect in
 * messages ("a number > 0 (metres)").  *out is set only when valid.
 * Returns true when a valid value was read.
 */
static bool num(struct loader *L, const cJSON *obj, const char *key, bool required, double lo,
                bool lo_open, double hi, const char *expect, double *out)
{
    const cJSON *it = member(L, obj, key, required, expect);
    if (!it)
        return false;
    char got[96];
    got_text(it, got, sizeof got);
    if (!cJSON_IsNumber(it) || !isfinite(it->valuedouble)) {
        bf_json_errorf(L->doc, L->diag, it, "expected %s, got %s", expect, got);
        return false;
    }
    double v = it->valuedouble;
    if (v < lo || v > hi || (lo_open && v == lo)) {
        bf_json_errorf(L->doc, L->diag, it, "expected %s, got %s", expect, got);
        return false;
    }
    *out = v;
    return true;
}

/* An integer in [lo, hi]; same conventions as num(). */
static bool integer(struct loader *L, const cJSON *obj, const char *key, bool required, int64_t lo,
                    int64_t hi, const char *expect, int64_t *out)
{
    const cJSON *it = member(L, obj, key, required, expect);
    if (!it)
        return false;
    char got[96];
    got_text(it, got, sizeof got);
    double v = cJSON_IsNumber(it) ? it->valuedouble : NAN;
    if (!isfinite(v) || v != floor(v) || v < (double)lo || v > (double)hi) {
        bf_json_errorf(L->doc, L->diag, it, "expected %s, got %s", expect, got);
        return false;
    }
    *out = (int64_t)v;
    return true;
}

/* A non-empty string (bf_json's messages); true when read. */
static bool str(struct loader *L, const cJSON *obj, const char *key, bool required, const char **out)
{
    if (!obj || !cJSON_IsObject(obj))
        return false;
    return bf_json_get_string(L->doc, L->diag, obj, key, required, out) == 0;
}

/* A string whose every byte is in [A-Za-z0-9] or extra, 1..max bytes. */
static bool name_ok(const char *s, const char *extra, size_t max)
{
    size_t n = strlen(s);
    if (n == 0 || n > max)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && !strchr(extra, s[i]))
            return false;
    return true;
}

/* Keep a loader-made string until bf_config_destroy. */
static const char *own(struct loader *L, char *s)
{
    g_ptr_array_add(L->priv->owned, s);
    return s;
}

/* p relative to the config file's folder (absolute paths kept). */
static const char *resolve(struct loader *L, const char *p)
{
    if (g_path_is_absolute(p) || L->dir[0] == '\0')
        return own(L, g_strdup(p));
    return own(L, g_build_filename(L->dir, p, NULL));
}

static bool is_file(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* A path key: read and resolve it; when must_exist, check the file is there
 * (files the engine writes, like the journal, are not checked: their writer
 * reports what goes wrong when it opens them).  Returns the path or NULL. */
static const char *path_key(struct loader *L, const cJSON *obj, const char *key, bool required,
                            const char *what, bool must_exist)
{
    const char *raw = NULL;
    if (!str(L, obj, key, required, &raw))
        return NULL;
    const char *res = resolve(L, raw);
    if (must_exist && !is_file(res)) {
        bf_json_errorf(L->doc, L->diag, cJSON_GetObjectItemCaseSensitive(obj, key),
                       "%s \"%s\" not found (resolved to %s): check the path, relative to the "
                       "config file", what, raw, res);
        return NULL;
    }
    return res;
}

/* An optional section: the object, or NULL when absent or not an object (reported). */
static const cJSON *section(struct loader *L, const cJSON *root, const char *key, bool required)
{
    const cJSON *o = NULL;
    if (bf_json_get_object(L->doc, L->diag, root, key, required, &o) != 0)
        return NULL;
    return o;
}

/* ---- sections --------------------------------------------------------------- */

static void load_origin(struct loader *L, const cJSON *root, struct bf_config *c)
{
    static const char *const keys[] = {"lat", "lon", NULL};
    const cJSON *o = section(L, root, "origin", true);
    if (!o)
        return;
    bf_json_check_keys(L->doc, L->diag, o, keys);
    num(L, o, "lat", true, -90, false, 90, "a latitude between -90 and 90 (degrees north, WGS84)",
        &c->origin_lat_deg);
    num(L, o, "lon", true, -180, false, 180, "a longitude between -180 and 180 (degrees east, WGS84)",
        &c->origin_lon_deg);
}

int bf_config_check_mqtt_url(const char *url, char *err, size_t errlen)
{
    static const char *const schemes[] = {"tcp://", "ssl://", "mqtt://", "mqtts://", "ws://", "wss://",
                                          NULL};
    if (!url || !err || errlen == 0)
        return BF_EINVAL;
    err[0] = '\0';
    if (strchr(url, '@')) {
        snprintf(err, errlen, "the broker URL holds a '@': put the user name and password in the "
                 "\"credentials\" file, never in the URL");
        return BF_EINVAL;
    }
    const char *rest = NULL;
    for (size_t i = 0; schemes[i] && !rest; i++)
        if (!strncmp(url, schemes[i], strlen(schemes[i])))
            rest = url + strlen(schemes[i]);
    if (!rest || rest[0] == '\0' || rest[0] == ':' || rest[0] == '/') {
        snprintf(err, errlen, "expected a broker URL such as \"tcp://127.0.0.1:1883\" (schemes tcp, "
                 "ssl, mqtt, mqtts, ws, wss, then the host), got \"%s\"", url);
        return BF_EINVAL;
    }
    /* the port: after the host ("[v6]" in brackets), before any path */
    const char *host_end = rest;
    if (rest[0] == '[') {
        host_end = strchr(rest, ']');
        if (!host_end) {
            snprintf(err, errlen, "the broker URL \"%s\" opens an IPv6 address with '[' but does "
                     "not close it: write \"tcp://[::1]:1883\"", url);
            return BF_EINVAL;
        }
    }
    const char *colon = strchr(host_end, ':');
    const char *slash = strchr(host_end, '/');
    if (colon && (!slash || colon < slash)) {
        const char *p = colon + 1;
        long port = 0;
        size_t digits = 0;
        for (; *p >= '0' && *p <= '9' && digits < 6; p++, digits++)
            port = port * 10 + (*p - '0');
        if (digits == 0 || (*p != '\0' && *p != '/') || port < 1 || port > 65535) {
            snprintf(err, errlen, "the broker URL \"%s\" has port \"%.*s\": expected a port "
                     "between 1 and 65535 (1883 for MQTT, 8883 for MQTT over TLS)", url,
                     (int)(slash ? slash - colon - 1 : (ptrdiff_t)strlen(colon + 1)), colon + 1);
            return BF_EINVAL;
        }
    }
    return 0;
}

/* The TLS files of a "tls" object (mqtt.tls, cot.tcp_tls): each must exist; a key needs its
 * certificate. */
static void tls_files(struct loader *L, const cJSON *o, const char **ca, const char **cert,
                      const char **key, bool *verify_hostname)
{
    *ca = path_key(L, o, "ca_file", false, "CA certificate file", true);
    *cert = path_key(L, o, "cert_file", false, "client certificate file", true);
    *key = path_key(L, o, "key_file", false, "client key file", true);
    bf_json_get_bool(L->doc, L->diag, o, "verify_hostname", false, verify_hostname);
    if (cJSON_GetObjectItemCaseSensitive(o, "key_file") &&
        !cJSON_GetObjectItemCaseSensitive(o, "cert_file"))
        bf_json_errorf(L->doc, L->diag, cJSON_GetObjectItemCaseSensitive(o, "key_file"),
                       "a client key without a certificate: set \"cert_file\" too (or drop "
                       "\"key_file\")");
}

/* mqtt.tls: the files must exist, and TLS needs a TLS URL (else it would silently be clear text). */
static void load_mqtt_tls(struct loader *L, const cJSON *mqtt, struct bf_config *c)
{
    static const char *const keys[] = {"ca_file", "cert_file", "key_file", "verify_hostname", NULL};
    const cJSON *o = section(L, mqtt, "tls", false);
    if (!o)
        return;
    bf_json_check_keys(L->doc, L->diag, o, keys);
    struct bf_mqtt_tls_cfg *t = &c->mqtt.tls;
    tls_files(L, o, &t->ca_file, &t->cert_file, &t->key_file, &t->verify_hostname);
    const cJSON *u = cJSON_GetObjectItemCaseSensitive(mqtt, "url");
    const char *url = c->mqtt.url;
    bool url_reported = u && !(cJSON_IsString(u) && u->valuestring == url);
    if (!url_reported && !bf_mqtt_url_is_tls(url))
        bf_json_errorf(L->doc, L->diag, o, "\"tls\" is set but the broker URL \"%s\" is not "
                       "TLS: set \"url\" to \"ssl://HOST:8883\" (or mqtts://)", url);
}

static void load_mqtt(struct loader *L, const cJSON *root, struct bf_config *c)
{
    static const char *const keys[] = {"url", "client_id", "credentials", "keepalive_s", "tls", NULL};
    const cJSON *o = section(L, root, "mqtt", false);
    if (!o)
        return;
    bf_json_check_keys(L->doc, L->diag, o, keys);
    const char *s;
    if (str(L, o, "url", false, &s)) {
        char why[512];
        if (bf_config_check_mqtt_url(s, why, sizeof why) == 0)
            c->mqtt.url = s;
        else
            bf_json_errorf(L->doc, L->diag, cJSON_GetObjectItemCaseSensitive(o, "url"), "%s", why);
    }
    if (str(L, o, "client_id", false, &s)) {
        if (name_ok(s, "_-.:/@", 128))
            c->mqtt.client_id = s;
        else
            bf_json_errorf(L->doc, L->diag, cJSON_GetObjectItemCaseSensitive(o, "client_id"),
                           "expected a client id of 1 to 128 letters, digits and _ - . : / @, got \"%s\"",
                           s);
    }
    c->mqtt.credentials_path = path_key(L, o, "credentials", false, "credentials file", true);
    int64_t v;
    if (integer(L, o, "keepalive_s", false, 1, 65535, "an integer between 1 and 65535 (seconds)", &v))
        c->mqtt.keepalive_s = (int)v;
    load_mqtt_tls(L, o, c);
}

/*
 * sensors[i].class_confusion: BF_CLASS_COUNT rows (true class, in the order
 * of bf_class_names) of BF_CLASS_COUNT numbers (P(reported class | true
 * class)), each in [0, 1], each row summing to 1 within 1e-6
 * (docs/tracking.md, "Classification").
 */
static void load_class_confusion(struct loader *L, const cJSON *so, struct bf_sensor_cfg *s)
{
    const cJSON *arr = NULL;
    if (bf_json_get_array(L->doc, L->diag, so, "class_confusion", false, &arr) != 0 || !arr)
        return;
    const char *shape = "6 rows (true class person, vehicle, animal, vessel, aircraft, unknown) "
                        "of 6 probabilities of the reported class in the same order";
    char got[96];
    if (cJSON_GetArraySize(arr) != BF_CLASS_COUNT) {
        bf_json_errorf(L->doc, L->diag, arr, "expected %s, got %d rows", shape,
                       cJSON_GetArraySize(arr));
        return;
    }
    bool ok = true;
    int r = 0;
    for (const cJSON *row = arr->child; row; row = row->next, r++) {
        if (!cJSON_IsArray(row) || cJSON_GetArraySize(row) != BF_CLASS_COUNT) {
            bf_json_describe(row, got, sizeof got);
            bf_json_errorf(L->doc, L->diag, row, "expected a row of 6 probabilities (true class "
                           "%s), got %s", bf_class_names[r], got);
            ok = false;
            continue;
        }
        double sum = 0;
        int c = 0;
        bool row_ok = true;
        for (const cJSON *v = row->child; v; v = v->next, c++) {
            if (!cJSON_IsNumber(v) || !(v->valuedouble >= 0 && v->valuedouble <= 1)) {
                got_text(v, got, sizeof got);
                bf_json_errorf(L->doc, L->diag, v, "expected a probability between 0 and 1 (%s "
                               "reported as %s), got %s", bf_class_names[r], bf_class_names[c],
                               got);
                row_ok = false;
                continue;
            }
            s->class_confusion[r * BF_CLASS_COUNT + c] = v->valuedouble;
            sum += v->valuedouble;
        }
        if (row_ok && !(fabs(sum - 1.0) <= 1e-6)) {
            bf_json_errorf(L->doc, L->diag, row, "the row of true class %s sums to %.9g: each "
                           "row gives P(reported class | true class) and must sum to 1",
                           bf_class_names[r], sum);
            row_ok = false;
        }
        ok = ok && row_ok;
    }
    s->has_class_confusion = ok;
}

/*
 * A pair of numbers [a, b], each in [lo, hi]; what describes the pair in
 * messages.  true when both were read.
 */
static bool num_pair(struct loader *L, const cJSON *it, double lo, double hi, const char *what,
                     double out[2])
{
    if (!cJSON_IsArray(it) || cJSON_GetArraySize(it) != 2 ||
        !cJSON_IsNumber(cJSON_GetArrayItem(it, 0)) || !cJSON_IsNumber(cJSON_GetArrayItem(it, 1))) {
        char got[96];
        got_text(it, got, sizeof got);
        bf_json_errorf(L->doc, L->diag, it, "expected %s, got %s", what, got);
        return false;
    }
    double a = cJSON_GetArrayItem(it, 0)->valuedouble, b = cJSON_GetArrayItem(it, 1)->valuedouble;
    if (!isfinite(a) || !isfinite(b) || a < lo || a > hi || b < lo || b > hi) {
        bf_json_errorf(L->doc, L->diag, it, "expected %s, got [%g, %g]", what, a, b);
        return false;
    }
    out[0] = a;
    out[1] = b;
    return true;
}

/* A camera's field of view from its plugin options (the plugin reports what is wrong there). */
static void camera_fov(const struct bf_sensor_cfg *s, struct bf_sensor_coverage_cfg *cv)
{
    cv->heading_deg = cv->hfov_deg = NAN;
    if (!s->type || strcmp(s->type, "camera") != 0 || !s->options)
        return;
    const cJSON *h = cJSON_GetObjectItemCaseSensitive(s->options, "heading_deg");
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(s->options, "hfov_deg");
    if (cJSON_IsNumber(h) && isfinite(h->valuedouble) && cJSON_IsNumber(f) &&
        f->valuedouble > 0 && f->valuedouble < 360) {
        cv->heading_deg = h->valuedouble;
        cv->hfov_deg = f->valuedouble;
    }
}

/* sensors[i].coverage (docs/coverage.md). */
static void load_sensor_coverage(struct loader *L, const cJSON *so, struct bf_sensor_cfg *s)
{
    static const char *const keys[] = {"min_range_m", "sectors_deg", "pd", "pd_by_range", NULL};
    struct bf_sensor_coverage_cfg *cv = &s->coverage;
    *cv = (struct bf_sensor_coverage_cfg){.pd = NAN};
    camera_fov(s, cv);
    const cJSON *o = NULL;
    if (bf_json_get_object(L->doc, L->diag, so, "coverage", false, &o) != 0 || !o)
        return;
    bf_json_check_keys(L->doc, L->diag, o, keys);
    if (num(L, o, "min_range_m", false, 0, false, 1e6, "a number >= 0 (metres)", &cv->min_range_m) &&
        cv->min_range_m >= s->range_m)
        bf_json_errorf(L->doc, L->diag, cJSON_GetObjectItemCaseSensitive(o, "min_range_m"),
                       "min_range_m (%g) must be less than the sensor's range_m (%g)",
                       cv->min_range_m, s->range_m);
    num(L, o, "pd", false, 0, true, 1, "a number > 0 and <= 1 (probability of detection)", &cv->pd);
    const cJSON *sec = cJSON_GetObjectItemCaseSensitive(o, "sectors_deg");
    if (sec) {
        int n = cJSON_IsArray(sec) ? cJSON_GetArraySize(sec) : -1;
        if (n < 1 || n > BF_COVERAGE_MAX_SECTORS) {
            char got[96];
            got_text(sec, got, sizeof got);
            bf_json_errorf(L->doc, L->diag, sec, "expected 1 to %d sectors [[from_deg, to_deg], "
                           "...] (true bearings, clockwise from -> to), got %s",
                           BF_COVERAGE_MAX_SECTORS, got);
        } else if (s->type && !strcmp(s->type, "camera")) {
            bf_json_errorf(L->doc, L->diag, sec, "a camera's region is its field of view "
                           "(options heading_deg and hfov_deg): remove \"sectors_deg\"");
        } else {
            for (const cJSON *it = sec->child; it; it = it->next) {
                double pr[2];
                if (!num_pair(L, it, -360, 360, "a sector [from_deg, to_deg] of two bearings "
                              "between -360 and 360 (degrees true, clockwise from -> to)", pr))
                    continue;
                if (pr[0] == pr[1]) {
                    bf_json_errorf(L->doc, L->diag, it, "an empty sector [%g, %g]: from and to "
                                   "must differ (use [0, 360] for all round)", pr[0], pr[1]);
                    continue;
                }
                memcpy(cv->sectors_deg[cv->n_sectors++], pr, sizeof pr);
            }
        }
    }
    const cJSON *tab = cJSON_GetObjectItemCaseSensitive(o, "pd_by_range");
    if (tab) {
        int n = cJSON_IsArray(tab) ? cJSON_GetArraySize(tab) : -1;
        if (n < 1 || n > BF_COVERAGE_MAX_PD_POINTS) {
            char got[96];
            got_text(tab, got, sizeof got);
            bf_json_errorf(L->doc, L->diag, tab, "expected 1 to %d points [[range_m, pd], ...] "
                           "with increasing ranges, got %s", BF_COVERAGE_MAX_PD_POINTS, got);
        } else if (cJSON_GetObjectItemCaseSensitive(o, "pd")) {
            bf_json_errorf(L->doc, L->diag, tab, "give \"pd\" (flat) or \"pd_by_range\", not "
                           "both");
        } else {
            for (const cJSON *it = tab->child; it; it = it->next) {
                double pr[2];
                if (!num_pair(L, it, 0, 1e6, "a point [range_m, pd] (range 0 to 1e6 metres, pd "
                              "0 to 1)", pr))
                    continue;
                if (pr[1] > 1) {
                    bf_json_errorf(L->doc, L->diag, it, "expected a pd between 0 and 1, got %g",
                                   pr[1]);
                    continue;
                }
                if (cv->n_pd_points > 0 && pr[0] <= cv->pd_by_range[cv->n_pd_points - 1][0]) {
                    bf_json_errorf(L->doc, L->diag, it, "ranges must increase: %g m after %g m",
                                   pr[0], cv->pd_by_range[cv->n_pd_points - 1][0]);
                    continue;
                }
                memcpy(cv->pd_by_range[cv->n_pd_points++], pr, sizeof pr);
            }
        }
    }
}

static void load_sensor(struct loader *L, const cJSON *so, struct bf_sensor_cfg *s)
{
    static const char *const keys[] = {"id", "type", "lat", "lon", "alt_m", "height_m", "range_m",
                                       "sigma_m", "sigma_range_m", "sigma_bearing_deg", "options",
                                       "plugin", "platform", "heartbeat_timeout_s",
                                       "class_confusion", "coverage", "max_detections_per_s", NULL};
    bf_json_check_keys(L->doc, L->diag, so, keys);
    const char *id;
    if (str(L, so, "id", true, &id)) {
        if (name_ok(id, "_.-", 64))
            s->id = id;
        else
            bf_json_errorf(L->doc, L->diag, cJSON_GetObjectItemCaseSensitive(so, "id"),
                           "expected a sensor id of 1 to 64 letters, digits, '_', '.' or '-' (it is "
                           "used in MQTT topics), got \"%s\"", id);
    }
    str(L, so, "type", true, &s->type);
    num(L, so, "lat", true, -90, false, 90, "a latitude between -90 and 90 (degrees north, WGS84)",
        &s->lat_deg);
    num(L, so, "lon", true, -180, false, 180, "a longitude between -180 and 180 (degrees east, WGS84)",
        &s->lon_deg);
    num(L, so, "alt_m", false, -1000, false, 20000, "a number between -1000 and 20000 (metres)", &s->alt_m);
    num(L, so, "height_m", false, 0, false, 1e4,
        "a number between 0 and 10000 (metres above the ground)", &s->height_m);
    num(L, so, "range_m", false, 0, true, 1e6, "a number > 0 and <= 1e6 (metres)", &s->range_m);
    num(L, so, "sigma_m", false, 0, true, 1e5, "a number > 0 (metres, one standard deviation)",
        &s->sigma_m);
    num(L, so, "sigma_range_m", false, 0, true, 1e5,
        "a number > 0 (metres, one standard deviation)", &s->sigma_range_m);
    num(L, so, "sigma_bearing_deg", false, 0, true, 180,
        "a number > 0 and <= 180 (degrees, one standard deviation)", &s->sigma_bearing_deg);
    const cJSON *opt = NULL;
    if (bf_json_get_object(L->doc, L->diag, so, "options", false, &opt) == 0)
        s->options = opt;
    /* a third-party plugin: a shared object exporting BF_SENSOR_PLUGIN_SYMBOL */
    s->plugin_path = path_key(L, so, "plugin", false, "plugin shared object", true);
    const char *pf;
    if (str(L, so, "platform", false, &pf)) {
        if (name_ok(pf, "_.-", 64))
            s->platform = pf;
        else
            bf_json_errorf(L->doc, L->diag, cJSON_GetObjectItemCaseSensitive(so, "platform"),
                           "expected the id of a platform (1 to 64 letters, digits, '_', '.' or "
                           "'-') whose position fixes move this sensor, got \"%s\"", pf);
    }
    num(L, so, "heartbeat_timeout_s", false, 0, true, 86400,
        "a number > 0 and <= 86400 (seconds of event time without a good message before "
        "SENSOR_FAULT)", &s->heartbeat_timeout_s);
    load_class_confusion(L, so, s);
    load_sensor_coverage(L, so, s);
    num(L, so, "max_detections_per_s", false, 0, true, 1e7,
        "a number > 0 and <= 1e7 (detections per second of event time this sensor may feed; "
        "leave it out for its type's default)", &s->max_detections_per_s);
}

static void load_sensors(struct loader *L, const cJSON *root, struct bf_config *c)
{
    const cJSON *arr = NULL;
    if (bf_json_get_array(L->doc, L->diag, root, "sensors", true, &arr) != 0)
        return;
    int n = cJSON_GetArraySize(arr);
    if (n == 0) {
        bf_json_errorf(L->doc, L->diag, arr,
                       "expected at least one sensor: {\"id\": ..., \"type\": ..., \"lat\": ..., \"lon\": ...}");
        return;
    }
    if (n > BF_MAX_SENSORS)
        bf_json_errorf(L->doc, L->diag, arr, "expected at most %d sensors, got %d: split the site "
                       "between several engines", BF_MAX_SENSORS, n);
    c->sensors = calloc((size_t)n, sizeof *c->sensors);
    if (!c->sensors) {
        bf_json_errorf(L->doc, L->diag, arr, "out of memory");
        return;
    }
    c->n_sensors = (size_t)n;
    size_t i = 0;
    for (const cJSON *so = arr->child; so; so = so->next, i++) {
        struct bf_sensor_cfg *s = &c->sensors[i];
        *s = (struct bf_sensor_cfg){
            .range_m = SENSOR_RANGE_M_DEFAULT,
            .sigma_m = SENSOR_SIGMA_M_DEFAULT,
            .sigma_range_m = SENSOR_SIGMA_RANGE_M_DEFAULT,
            .sigma_bearing_deg = SENSOR_SIGMA_BEARING_DEG_DEFAULT,
        };
        if (!cJSON_IsObject(so)) {
            char got[96];
            bf_json_describe(so, got, sizeof got);
            bf_json_errorf(L->doc, L->diag, so,
                           "expected a sensor object {\"id\": ..., \"type\": ..., \"lat\": ..., "
                           "\"lon\": ...}, got %s", got);
            continue;
        }
        load_sensor(L, so, s);
        if (!s->id)
            continue;
        for (size_t j = 0; j < i; j++) {
            if (c->sensors[j].id && !strcmp(c->sensors[j].id, s->id)) {
                const cJSON *first = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(arr, (int)j), "id");
                struct bf_json_where w = {0, 0, ""};
                bf_json_doc_where(L->doc, first, &w);
                bf_json_errorf(L->doc, L->diag, cJSON_GetObjectItemCaseSensitive(so, "id"),
                               "duplicate sensor id \"%s\" (first at line %d): sensor ids must be "
                               "unique; rename one", s->id, w.line);
                break;
            }
        }
    }
}

/*
 * tracker.<key>: {"vehicle": 2.0, ...}, an object keyed by the class names of
 * bf_class_names, each a number in [0, max] (help says what it means); a class
 * given replaces out[class].
 */
static void load_by_class(struct loader *L, const cJSON *o, const char *key, double max,
                          const char *help, double out[BF_CLASS_COUNT])
{
    const cJSON *qc = NULL;
    if (bf_json_get_object(L->doc, L->diag, o, key, false, &qc) != 0 || !qc)
        return;
    const char *names[BF_CLASS_COUNT + 1];
    for (int c = 0; c < BF_CLASS_COUNT; c++)
        names[c] = bf_class_names[c];
    names[BF_CLASS_COUNT] = NULL;
    bf_json_check_keys(L->doc, L->diag, qc, names);
    for (int c = 0; c < BF_CLASS_COUNT; c++)
        num(L, qc, names[c], false, 0, false, max, help, &out[c]);
}

/* tracker.q_accel_by_class and tracker.max_coast_by_class_s. */
static void load_q_by_class(struct loader *L, const cJSON *o, struct bf_tracker_params *t)
{
    load_by_class(L, o, "q_accel_by_class", 100,
                  "a number between 0 and 100 (m/s^2, white-acceleration standard deviation for "
                  "the class; 0: q_accel_mps2)", t->q_by_class);
}

static void load_coast_by_class(struct loader *L, const cJSON *o, struct bf_tracker_params *t)
{
    load_by_class(L, o, "max_coast_by_class_s", 86400,
                  "a number between 0 and 86400 (seconds without a hit before a track of this "
                  "class is deleted; 0: max_coast_s)", t->max_coast_by_class_s);
}

static void load_tracker(struct loader *L, const cJSON *root, struct bf_tracker_params *t)
{
    static const char *const keys[] = {"q_accel_mps2", "gate_sigma", "confirm_m", "confirm_n",
                                       "delete_misses", "delete_misses_tentative",
                                       "init_speed_sigma_mps", "max_speed_mps", "max_pos_sigma_m",
                                       "max_tracks", "clutter_density", "motion",
                                       "ct_turn_rate_dps", "imm_p_stay", "q_accel_by_class",
                                       "associator", "confirm", "pd", "confirm_llr",
                                       "delete_llr_drop", "max_cluster", "max_coast_s",
                                       "max_coast_by_class_s", "continue_window_s", NULL};
    const cJSON *o = section(L, root, "tracker", false);
    if (!o)
        return;
    bf_json_check_keys(L->doc, L->diag, o, keys);
    int64_t v;
    num(L, o, "q_accel_mps2", false, 0, true, 100,
        "a number > 0 and <= 100 (m/s^2, white-acceleration standard deviation)", &t->q_accel_mps2);
    num(L, o, "gate_sigma", false, 1, false, 10, "a number between 1 and 10 (standard deviations)",
        &t->gate_sigma);
    bool m_ok = integer(L, o, "confirm_m", false, 1, 32, "an integer between 1 and 32 (hits)", &v);
    if (m_ok)
        t->confirm_m = (uint8_t)v;
    bool n_ok = integer(L, o, "confirm_n", false, 1, 32, "an integer between 1 and 32 (scans)", &v);
    if (n_ok)
        t->confirm_n = (uint8_t)v;
    const cJSON *cm = cJSON_GetObjectItemCaseSensitive(o, "confirm_m");
    const cJSON *cn = cJSON_GetObjectItemCaseSensitive(o, "confirm_n");
    bool m_bad = cm && !m_ok, n_bad = cn && !n_ok;
    if (!m_bad && !n_bad && t->confirm_m > t->confirm_n)
        bf_json_errorf(L->doc, L->diag, cm ? cm : cn,
                       "confirm_m (%u) must not exceed confirm_n (%u): a track is confirmed after "
                       "confirm_m hits in the last confirm_n scans", t->confirm_m, t->confirm_n);
    if (integer(L, o, "delete_misses", false, 1, 255, "an integer between 1 and 255 (misses in a row)", &v))
        t->delete_misses = (uint8_t)v;
    if (integer(L, o, "delete_misses_tentative", false, 1, 255,
                "an integer between 1 and 255 (misses in a row)", &v))
        t->delete_misses_tentative = (uint8_t)v;
    num(L, o, "init_speed_sigma_mps", false, 0, true, 1000, "a number > 0 and <= 1000 (m/s)",
        &t->init_speed_sigma_mps);
    num(L, o, "max_speed_mps", false, 0, true, 1000, "a number > 0 and <= 1000 (m/s)", &t->max_speed_mps);
    num(L, o, "max_pos_sigma_m", false, 0, true, 1e6, "a number > 0 and <= 1e6 (metres)",
        &t->max_pos_sigma_m);
    if (integer(L, o, "max_tracks", false, 1, 1000000, "an integer between 1 and 1000000 (tracks)", &v))
        t->max_tracks = (uint32_t)v;
    num(L, o, "clutter_density", false, 0, false, 1,
        "a number between 0 and 1 (false detections per square metre per scan)", &t->clutter_density);
    /* associator and track management (docs/tracking.md) */
    static const char *const assoc_names[] = {"gnn", "jpda", NULL};
    static const char *const confirm_names[] = {"m_of_n", "score", NULL};
    int ai;
    if (bf_json_get_enum(L->doc, L->diag, o, "associator", false, assoc_names, &ai) == 0)
        t->associator = ai == 0 ? BF_ASSOC_GNN : BF_ASSOC_JPDA;
    if (bf_json_get_enum(L->doc, L->diag, o, "confirm", false, confirm_names, &ai) == 0)
        t->confirm = ai == 0 ? BF_CONFIRM_M_OF_N : BF_CONFIRM_SCORE;
    num(L, o, "pd", false, 0, true, 1, "a number > 0 and <= 1 (detection probability)", &t->pd);
    num(L, o, "confirm_llr", false, 0, true, 100,
        "a number > 0 and <= 100 (track score, natural log of a likelihood ratio)", &t->confirm_llr);
    num(L, o, "delete_llr_drop", false, 0, true, 100,
        "a number > 0 and <= 100 (fall of the track score below its peak)", &t->delete_llr_drop);
    if (integer(L, o, "max_cluster", false, 16, 1000000,
                "an integer between 16 and 1000000 (tracks + detections per exact cluster solve)", &v))
        t->max_cluster = (uint32_t)v;
    /* motion model (docs/motion.md) */
    static const char *const motion_names[] = {"cv", "ct", "imm", NULL};
    static const enum bf_motion_model motions[] = {BF_MOTION_CV, BF_MOTION_CT, BF_MOTION_IMM};
    int mi;
    if (bf_json_get_enum(L->doc, L->diag, o, "motion", false, motion_names, &mi) == 0)
        t->motion = motions[mi];
    num(L, o, "ct_turn_rate_dps", false, 0, true, 90,
        "a number > 0 and <= 90 (degrees per second, the coordinated-turn rate)", &t->ct_turn_rate_dps);
    num(L, o, "imm_p_stay", false, 0.5, false, nextafter(1.0, 0.0),
        "a number >= 0.5 and < 1 (probability of keeping the motion mode over one second)",
        &t->imm_p_stay);
    load_q_by_class(L, o, t);
    /* track end and continuation (docs/tracking.md) */
    num(L, o, "max_coast_s", false, 0, false, 86400,
        "a number between 0 and 86400 (seconds of event time without a hit before a track is "
        "deleted; 0: no limit)", &t->max_coast_s);
    load_coast_by_class(L, o, t);
    num(L, o, "continue_window_s", false, 0, false, 3600,
        "a number between 0 and 3600 (seconds after a confirmed track is lost in which a new "
        "track may continue it; 0: off)", &t->continue_window_s);
}

/* The "alerts" keys of LOITER, UGS_TRIGGER and suppression by class (docs/alerts.md). */
static void load_alert_dwell_ugs(struct loader *L, const cJSON *o, struct bf_alert_params *a)
{
    int64_t v;
    num(L, o, "loiter_distance_m", false, 0, false, 1e4,
        "a number between 0 and 10000 (metres either side of a border line; 0 turns LOITER off)",
        &a->loiter_distance_m);
    num(L, o, "loiter_time_s", false, 0, false, 86400,
        "a number between 0 and 86400 (seconds of dwell near the line before LOITER)",
        &a->loiter_time_s);
    num(L, o, "loiter_progress_m", false, 0, false, 1e4,
        "a number between 0 and 10000 (metres a track may move to or from the line over "
        "loiter_time_s and still be loitering)",
        &a->loiter_progress_m);
    num(L, o, "ugs_cover_m", false, 0, false, 1e4,
        "a number between 0 and 10000 (metres beyond a ground sensor's radius a track covers it)",
        &a->ugs_cover_m);
    if (integer(L, o, "ugs_min_events", false, 1, BF_UGS_EVENTS_MAX,
                "an integer between 1 and 8 (uncovered ground-sensor trips before UGS_TRIGGER)", &v))
        a->ugs_min_events = (uint32_t)v;
    num(L, o, "ugs_window_s", false, 0, true, 86400,
        "a number > 0 and <= 86400 (seconds within which ugs_min_events trips must fall)",
        &a->ugs_window_s);
    const cJSON *arr = NULL;
    if (bf_json_get_array(L->doc, L->diag, o, "suppress_classes", false, &arr) != 0 || !arr)
        return;
    uint32_t mask = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, arr) {
        int c = -1;
        for (int k = 0; cJSON_IsString(it) && k < BF_CLASS_COUNT; k++)
            if (strcmp(it->valuestring, bf_class_names[k]) == 0)
                c = k;
        if (c < 0) {
            char got[96];
            got_text(it, got, sizeof got);
            bf_json_errorf(L->doc, L->diag, it,
                           "expected a class name in suppress_classes (person, vehicle, animal, "
                           "vessel, aircraft, unknown), got %s; use [] to suppress none", got);
            continue;
        }
        mask |= 1u << c;
    }
    a->suppress_classes = mask;
}

/* The "alerts" keys of APPROACH's hysteresis, class persistence, LOST, joined history and
 * crossing points (docs/alerts.md). */
static void load_alert_field(struct loader *L, const cJSON *o, struct bf_alert_params *a)
{
    int64_t v;
    num(L, o, "approach_min_closing_mps", false, 0, true, 100,
        "a number > 0 and <= 100 (m/s towards the line an APPROACH needs)", &a->approach_min_closing_mps);
    num(L, o, "approach_clear_factor", false, 1, false, 10,
        "a number between 1 and 10 (APPROACH clears only beyond this times its thresholds)",
        &a->approach_clear_factor);
    num(L, o, "approach_min_dwell_s", false, 0, false, 3600,
        "a number between 0 and 3600 (seconds an APPROACH stays after its condition last held)",
        &a->approach_min_dwell_s);
    num(L, o, "class_hold_s", false, 0, false, 3600,
        "a number between 0 and 3600 (seconds a new class must hold before alerting follows it)",
        &a->class_hold_s);
    if (integer(L, o, "class_hold_updates", false, 0, 1000,
                "an integer between 0 and 1000 (updates in a row a new class must hold)", &v))
        a->class_hold_updates = (uint32_t)v;
    num(L, o, "lost_radius_m", false, 0, false, 1e5,
        "a number between 0 and 100000 (metres: a LOST alert's area at the last sighting)",
        &a->lost_radius_m);
    num(L, o, "ugs_join_s", false, 0, false, 3600,
        "a number between 0 and 3600 (seconds from a ground sensor's trip to a track it joins)",
        &a->ugs_join_s);
    num(L, o, "ugs_line_m", false, 0, false, 1e4,
        "a number between 0 and 10000 (metres from the line a joining ground sensor may be)",
        &a->ugs_line_m);
    num(L, o, "crossing_point_window_s", false, 0, false, 86400,
        "a number between 0 and 86400 (seconds after a crossing point a track raises no INCURSION)",
        &a->crossing_point_window_s);
    bf_json_get_bool(L->doc, L->diag, o, "crossing_point_events", false, &a->crossing_point_events);
}

static void load_alerts(struct loader *L, const cJSON *root, struct bf_alert_params *a)
{
    static const char *const keys[] = {"approach_distance_m", "approach_time_s", "rearm_distance_m", "min_hits",
                                       "min_confidence", "resolve_after_s", "update_min_interval_s",
                                       "journal", "journal_fsync", "exercise", "audit_log",
                                       "loiter_distance_m", "loiter_time_s", "loiter_progress_m",
                                       "ugs_cover_m", "ugs_min_events", "ugs_window_s", "suppress_classes",
                                       "resend_window_s", "retention_days", "approach_min_closing_mps",
                                       "approach_clear_factor", "approach_min_dwell_s", "class_hold_s",
                                       "class_hold_updates", "lost_radius_m", "ugs_join_s", "ugs_line_m",
                                       "crossing_point_window_s", "crossing_point_events", NULL};
    static const char *const fsync_names[] = {"always", "never", NULL};
    const cJSON *o = section(L, root, "alerts", false);
    if (!o)
        return;
    bf_json_check_keys(L->doc, L->diag, o, keys);
    int64_t v;
    num(L, o, "approach_distance_m", false, 0, false, 1e5,
        "a number between 0 and 100000 (metres; 0 turns distance alerts off)", &a->approach_distance_m);
    num(L, o, "approach_time_s", false, 0, false, 86400,
        "a number between 0 and 86400 (seconds; 0 turns time-to-line alerts off)", &a->approach_time_s);
    num(L, o, "rearm_distance_m", false, 0, false, 1e4,
        "a number between 0 and 10000 (metres back on their side before an INCURSION ends)",
        &a->rearm_distance_m);
    if (integer(L, o, "min_hits", false, 1, 1000000, "an integer between 1 and 1000000 (hits)", &v))
        a->min_hits = (uint32_t)v;
    num(L, o, "min_confidence", false, 0, false, 1, "a number between 0 and 1", &a->min_confidence);
    num(L, o, "resolve_after_s", false, 0, true, 604800,
        "a number > 0 and <= 604800 (seconds)", &a->resolve_after_s);
    num(L, o, "update_min_interval_s", false, 0, false, 3600,
        "a number between 0 and 3600 (seconds)", &a->update_min_interval_s);
    const char *j = path_key(L, o, "journal", false, "alert journal", false);
    if (j)
        a->journal_path = j;
    const char *au = path_key(L, o, "audit_log", false, "operator audit log", false);
    if (au)
        a->audit_path = au;
    int idx;
    if (bf_json_get_enum(L->doc, L->diag, o, "journal_fsync", false, fsync_names, &idx) == 0)
        a->journal_fsync = idx == 0 ? BF_FSYNC_ALWAYS : BF_FSYNC_NEVER;
    bf_json_get_bool(L->doc, L->diag, o, "exercise", false, &a->exercise);
    num(L, o, "resend_window_s", false, 0, false, 86400,
        "a number between 0 and 86400 (seconds; more than the broker's autosave_interval, "
        "docs/alerts.md)", &a->resend_window_s);
    num(L, o, "retention_days", false, 0, false, 36500,
        "a number between 0 and 36500 (days; 0 keeps the journal for ever)", &a->retention_days);
    load_alert_dwell_ugs(L, o, a);
    load_alert_field(L, o, a);
}

static void load_engine(struct loader *L, const cJSON *root, struct bf_engine_params *e)
{
    static const char *const keys[] = {"reorder_window_ms", "queue_capacity", "status_period_s",
                                       "idle_flush_s", "test_tracks", "max_future_skew_s",
                                       "new_tracks_per_s", "clutter_cell_m", "clutter_memory_s",
                                       "clutter_factor", "step_max_detections", "step_budget_ms",
                                       NULL};
    static const char *const test_modes[] = {"mark", "omit", NULL};
    const cJSON *o = section(L, root, "engine", false);
    if (!o)
        return;
    bf_json_check_keys(L->doc, L->diag, o, keys);
    int64_t v;
    if (integer(L, o, "reorder_window_ms", false, 0, 60000,
                "an integer between 0 and 60000 (milliseconds of event time)", &v))
        e->reorder_window_us = v * BF_US_PER_MS;
    if (integer(L, o, "queue_capacity", false, 16, 16777216,
                "an integer between 16 and 16777216 (detections)", &v))
        e->queue_capacity = (uint32_t)v;
    num(L, o, "status_period_s", false, 0.1, false, 3600, "a number between 0.1 and 3600 (seconds)",
        &e->status_period_s);
    num(L, o, "idle_flush_s", false, 0.01, false, 3600, "a number between 0.01 and 3600 (seconds)",
        &e->idle_flush_s);
    int mode = 0;
    if (bf_json_get_enum(L->doc, L->diag, o, "test_tracks", false, test_modes, &mode) == 0)
        e->test_tracks = mode == 1 ? BF_TEST_TRACKS_OMIT : BF_TEST_TRACKS_MARK;
    num(L, o, "max_future_skew_s", false, 0, false, 86400,
        "a number between 0 and 86400 (seconds an event time may be ahead of the reference "
        "clock; 0: no check)", &e->max_future_skew_s);
    num(L, o, "new_tracks_per_s", false, 0, false, 1e6,
        "a number between 0 and 1e6 (tracks one sensor may start per second of event time; "
        "0: no limit)", &e->new_tracks_per_s);
    num(L, o, "clutter_cell_m", false, 10, false, 100000,
        "a number between 10 and 100000 (metres, side of a clutter map cell)", &e->clutter_cell_m);
    num(L, o, "clutter_memory_s", false, 1, false, 86400,
        "a number between 1 and 86400 (seconds of event time the clutter map remembers)",
        &e->clutter_memory_s);
    num(L, o, "clutter_factor", false, 0, false, 1e6,
        "a number between 0 and 1e6 (no track starts where the learnt clutter density is above "
        "this many times tracker.clutter_density; 0: no clutter map)", &e->clutter_factor);
    if (integer(L, o, "step_max_detections", false, 64, 16777216,
                "an integer between 64 and 16777216 (detections per main-loop turn)", &v))
        e->step_max_detections = (uint32_t)v;
    num(L, o, "step_budget_ms", false, 1, false, 60000,
        "a number between 1 and 60000 (milliseconds of wall time per main-loop turn)",
        &e->step_budget_ms);
}

/* cot.udp / cot.tcp: "host:port", or null to turn that transport off. */
static const char *cot_endpoint(struct loader *L, const cJSON *o, const char *key, const char *dflt)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!it)
        return dflt;
    if (cJSON_IsNull(it))
        return NULL;
    char host[256];
    int port;
    if (!cJSON_IsString(it) ||
        bf_cot_parse_hostport(it->valuestring, host, sizeof host, &port) < 0) {
        char got[96];
        got_text(it, got, sizeof got);
        bf_json_errorf(L->doc, L->diag, it, "expected \"host:port\" (a port 1-65535; IPv6 as "
                       "\"[addr]:port\") or null to turn %s output off, got %s", key, got);
        return NULL;
    }
    return it->valuestring;
}

/* cot.tcp_tls: TLS to a TAK server's 8089 with a client certificate (docs/cot.md). */
static void load_cot_tls(struct loader *L, const cJSON *cot, struct bf_cot_cfg *c)
{
    static const char *const keys[] = {"ca_file", "cert_file", "key_file", "credentials",
                                       "verify_hostname", NULL};
    const cJSON *o = section(L, cot, "tcp_tls", false);
    if (!o)
        return;
    bf_json_check_keys(L->doc, L->diag, o, keys);
    struct bf_cot_tls_cfg *t = &c->tcp_tls;
    t->enabled = true;
    tls_files(L, o, &t->ca_file, &t->cert_file, &t->key_file, &t->verify_hostname);
    t->credentials_path = path_key(L, o, "credentials", false, "credentials file", true);
    const cJSON *tcp = cJSON_GetObjectItemCaseSensitive(cot, "tcp");
    if (!tcp || cJSON_IsNull(tcp))
        bf_json_errorf(L->doc, L->diag, o, "\"tcp_tls\" is set but \"tcp\" is not: set \"tcp\" "
                       "to the TAK server's TLS input, such as \"tak.example.org:8089\"");
}

static void load_cot(struct loader *L, const cJSON *root, struct bf_cot_cfg *t)
{
    static const char *const keys[] = {"udp", "tcp", "tcp_tls", "ttl", "loopback", "tracks",
                                       "alerts", "units", "stale_s", "alert_type", NULL};
    *t = (struct bf_cot_cfg){.udp = BF_COT_UDP_DEFAULT, .ttl = 1, .loopback = true,
                             .tracks = true, .alerts = true, .units = true, .stale_s = BF_COT_STALE_S_DEFAULT,
                             .alert_type = BF_COT_ALERT_TYPE_DEFAULT,
                             .tcp_tls = {.verify_hostname = true}};
    const cJSON *o = section(L, root, "cot", false);
    if (!o)
        return;
    t->enabled = true;
    bf_json_check_keys(L->doc, L->diag, o, keys);
    t->udp = cot_endpoint(L, o, "udp", BF_COT_UDP_DEFAULT);
    t->tcp = cot_endpoint(L, o, "tcp", NULL);
    load_cot_tls(L, o, t);
    int64_t v;
    if (integer(L, o, "ttl", false, 0, 255, "an integer between 0 and 255 (multicast hops)", &v))
        t->ttl = (int)v;
    bf_json_get_bool(L->doc, L->diag, o, "loopback", false, &t->loopback);
    bf_json_get_bool(L->doc, L->diag, o, "tracks", false, &t->tracks);
    bf_json_get_bool(L->doc, L->diag, o, "alerts", false, &t->alerts);
    bf_json_get_bool(L->doc, L->diag, o, "units", false, &t->units);
    num(L, o, "stale_s", false, BF_COT_TRACK_PERIOD_S, false, 86400,
        "a number between 1 and 86400 (seconds; at least one track picture period of 1 s, "
        "default 5)", &t->stale_s);
    const char *ty;
    if (str(L, o, "alert_type", false, &ty)) {
        if (name_ok(ty, "-", BF_COT_TYPE_MAX - 1) && isalpha((unsigned char)ty[0]))
            t->alert_type = ty;
        else
            bf_json_errorf(L->doc, L->diag, cJSON_GetObjectItemCaseSensitive(o, "alert_type"),
                           "expected a CoT type such as \"b-l\" (letters and digits separated "
                           "by '-', at most %d characters), got \"%s\"", BF_COT_TYPE_MAX - 1, ty);
    }
    const cJSON *u = cJSON_GetObjectItemCaseSensitive(o, "udp");
    const cJSON *tc = cJSON_GetObjectItemCaseSensitive(o, "tcp");
    if (cJSON_IsNull(u) && (!tc || cJSON_IsNull(tc)))   /* not when one was merely invalid */
        bf_json_errorf(L->doc, L->diag, o, "both \"udp\" and \"tcp\" are null: give at least "
                       "one, or remove the \"cot\" section to turn CoT output off");
}

bool bf_config_host_is_loopback(const char *host)
{
    struct in_addr a4;
    struct in6_addr a6;
    if (strcmp(host, "localhost") == 0)
        return true;
    if (inet_pton(AF_INET, host, &a4) == 1)
        return (ntohl(a4.s_addr) >> 24) == 127;
    if (inet_pton(AF_INET6, host, &a6) == 1)
        return IN6_IS_ADDR_LOOPBACK(&a6);
    return false;
}

/* "metrics": the monitoring endpoint; a non-loopback address only with allow_remote. */
static void load_metrics(struct loader *L, const cJSON *root, struct bf_metrics_cfg *m)
{
    static const char *const keys[] = {"listen", "allow_remote", NULL};
    *m = (struct bf_metrics_cfg){.listen = BF_METRICS_LISTEN_DEFAULT};
    const cJSON *o = section(L, root, "metrics", false);
    if (!o)
        return;
    m->enabled = true;
    bf_json_check_keys(L->doc, L->diag, o, keys);
    bf_json_get_bool(L->doc, L->diag, o, "allow_remote", false, &m->allow_remote);
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, "listen");
    if (!it)
        return;
    char host[256];
    int port;
    if (!cJSON_IsString(it) ||
        bf_cot_parse_hostport(it->valuestring, host, sizeof host, &port) < 0) {
        char got[96];
        got_text(it, got, sizeof got);
        bf_json_errorf(L->doc, L->diag, it, "expected \"host:port\" (a port 1-65535; IPv6 as "
                       "\"[addr]:port\"), e.g. \"%s\", got %s", BF_METRICS_LISTEN_DEFAULT, got);
        return;
    }
    m->listen = it->valuestring;
    if (!m->allow_remote && !bf_config_host_is_loopback(host))
        bf_json_errorf(L->doc, L->diag, it, "%s is not a loopback address and the metrics "
                       "endpoint has no authentication: listen on 127.0.0.1 (and let the "
                       "monitoring system reach it through a proxy or tunnel), or set "
                       "\"allow_remote\": true if the network is trusted", host);
}

/* cueing.cameras.<id>: overrides for one camera, which must be a sensor of type "camera". */
static void load_cue_camera(struct loader *L, const cJSON *o, const struct bf_config *c,
                            const struct bf_cue_params *d, struct bf_cue_camera_cfg *cc)
{
    static const char *const keys[] = {"zero_deg", "pan_min_deg", "pan_max_deg", "max_range_m",
                                       "fov_min_deg", "fov_max_deg", NULL};
    *cc = (struct bf_cue_camera_cfg){
        .id = o->string, .zero_deg = NAN, .pan_min_deg = NAN, .pan_max_deg = NAN,
        .max_range_m = NAN, .fov_min_deg = NAN, .fov_max_deg = NAN,
    };
    int si = bf_config_sensor_find(c, o->string);
    if (si < 0 || strcmp(c->sensors[si].type ? c->sensors[si].type : "", "camera") != 0) {
        char names[256] = "";
        for (size_t i = 0; i < c->n_sensors; i++)
            if (c->sensors[i].id && c->sensors[i].type && !strcmp(c->sensors[i].type, "camera"))
                snprintf(names + strlen(names), sizeof names - strlen(names), "%s\"%s\"",
                         names[0] ? ", " : "", c->sensors[i].id);
        bf_json_errorf(L->doc, L->diag, o, "\"%s\" is not the id of a sensor of type \"camera\" "
                       "(cameras here: %s): name a camera sensor, or remove this entry",
                       o->string, names[0] ? names : "none");
    }
    if (!cJSON_IsObject(o)) {
        char got[96];
        bf_json_describe(o, got, sizeof got);
        bf_json_errorf(L->doc, L->diag, o, "expected an object of per-camera cueing options "
                       "{\"pan_min_deg\": ..., ...}, got %s", got);
        return;
    }
    bf_json_check_keys(L->doc, L->diag, o, keys);
    num(L, o, "zero_deg", false, -360, false, 360,
        "a number between -360 and 360 (true bearing of the mount's pan 0, degrees clockwise "
        "from north)", &cc->zero_deg);
    bool a = num(L, o, "pan_min_deg", false, -180, false, 180,
                 "a number between -180 and 180 (degrees from the mount's zero)", &cc->pan_min_deg);
    bool b = num(L, o, "pan_max_deg", false, -180, false, 180,
                 "a number between -180 and 180 (degrees from the mount's zero)", &cc->pan_max_deg);
    const cJSON *pmin = cJSON_GetObjectItemCaseSensitive(o, "pan_min_deg");
    const cJSON *pmax = cJSON_GetObjectItemCaseSensitive(o, "pan_max_deg");
    if ((pmin != NULL) != (pmax != NULL))
        bf_json_errorf(L->doc, L->diag, pmin ? pmin : pmax, "pan limits come in pairs: give both "
                       "\"pan_min_deg\" and \"pan_max_deg\" (or neither: no limit)");
    else if (a && b && cc->pan_min_deg > cc->pan_max_deg)
        bf_json_errorf(L->doc, L->diag, pmin, "pan_min_deg (%g) must not exceed pan_max_deg (%g): "
                       "the camera pans from the one to the other through its zero",
                       cc->pan_min_deg, cc->pan_max_deg);
    num(L, o, "max_range_m", false, 0, true, 1e5, "a number > 0 and <= 100000 (metres)",
        &cc->max_range_m);
    bool fa = num(L, o, "fov_min_deg", false, 0, true, 179,
                  "a number > 0 and <= 179 (degrees, the lens's narrowest horizontal field of view)",
                  &cc->fov_min_deg);
    bool fb = num(L, o, "fov_max_deg", false, 0, true, 179,
                  "a number > 0 and <= 179 (degrees, the lens's widest horizontal field of view)",
                  &cc->fov_max_deg);
    double lo = isnan(cc->fov_min_deg) ? d->fov_min_deg : cc->fov_min_deg;
    double hi = isnan(cc->fov_max_deg) ? d->fov_max_deg : cc->fov_max_deg;
    if ((fa || fb) && lo > hi)
        bf_json_errorf(L->doc, L->diag, o, "this camera's narrowest field of view (%g) is wider "
                       "than its widest (%g): fix fov_min_deg / fov_max_deg", lo, hi);
}

static void load_cueing(struct loader *L, const cJSON *root, struct bf_config *c)
{
    static const char *const keys[] = {"enabled", "max_range_m", "target_width_m", "fov_min_deg",
                                       "fov_max_deg", "min_interval_s", "min_move_deg", "cameras",
                                       NULL};
    struct bf_cue_params *p = &c->cueing;
    const cJSON *o = section(L, root, "cueing", false);
    if (!o)
        return;
    bf_json_check_keys(L->doc, L->diag, o, keys);
    bf_json_get_bool(L->doc, L->diag, o, "enabled", false, &p->enabled);
    num(L, o, "max_range_m", false, 0, true, 1e5, "a number > 0 and <= 100000 (metres)",
        &p->max_range_m);
    num(L, o, "target_width_m", false, 0, true, 1000,
        "a number > 0 and <= 1000 (metres that fill the picture)", &p->target_width_m);
    bool fa = num(L, o, "fov_min_deg", false, 0, true, 179,
                  "a number > 0 and <= 179 (degrees, the narrowest horizontal field of view)",
                  &p->fov_min_deg);
    bool fb = num(L, o, "fov_max_deg", false, 0, true, 179,
                  "a number > 0 and <= 179 (degrees, the widest horizontal field of view)",
                  &p->fov_max_deg);
    if ((fa || fb) && p->fov_min_deg > p->fov_max_deg)
        bf_json_errorf(L->doc, L->diag, cJSON_GetObjectItemCaseSensitive(o, fa ? "fov_min_deg" : "fov_max_deg"),
                       "fov_min_deg (%g) must not exceed fov_max_deg (%g): the zoom runs from "
                       "the widest to the narrowest field of view", p->fov_min_deg, p->fov_max_deg);
    num(L, o, "min_interval_s", false, 0, false, 3600,
        "a number between 0 and 3600 (seconds of event time between updates of one camera)",
        &p->min_interval_s);
    num(L, o, "min_move_deg", false, 0, false, 90,
        "a number between 0 and 90 (degrees of pan or tilt that warrant an update)",
        &p->min_move_deg);
    const cJSON *cams = NULL;
    if (bf_json_get_object(L->doc, L->diag, o, "cameras", false, &cams) != 0 || !cams)
        return;
    int n = cJSON_GetArraySize(cams);
    if (n <= 0)
        return;
    struct bf_cue_camera_cfg *cc = g_new0(struct bf_cue_camera_cfg, (size_t)n);
    own(L, (char *)cc);
    size_t i = 0;
    for (const cJSON *it = cams->child; it; it = it->next)
        load_cue_camera(L, it, c, p, &cc[i++]);
    c->cue_cameras = cc;
    c->n_cue_cameras = i;
}

static void load_dispatch(struct loader *L, const cJSON *root, struct bf_config *c)
{
    static const char *const keys[] = {"enabled", "unit_speed_mps", "unit_speeds", "unit_stale_s",
                                       "max_units", NULL};
    struct bf_dispatch_params *p = &c->dispatch;
    const cJSON *o = section(L, root, "dispatch", false);
    if (!o)
        return;
    bf_json_check_keys(L->doc, L->diag, o, keys);
    bf_json_get_bool(L->doc, L->diag, o, "enabled", false, &p->enabled);
    num(L, o, "unit_speed_mps", false, 0, true, 1000,
        "a number > 0 and <= 1000 (m/s, how fast a response unit travels to a target)",
        &p->unit_speed_mps);
    num(L, o, "unit_stale_s", false, 0, true, 86400,
        "a number > 0 and <= 86400 (seconds between a unit's last fix and an alert beyond which "
        "the unit is not proposed)", &p->unit_stale_s);
    int64_t v;
    if (integer(L, o, "max_units", false, 1, 100000, "an integer between 1 and 100000 (units "
                "remembered)", &v))
        p->max_units = (uint32_t)v;
    const cJSON *sp = NULL;
    if (bf_json_get_object(L->doc, L->diag, o, "unit_speeds", false, &sp) != 0 || !sp)
        return;
    int n = cJSON_GetArraySize(sp);
    if (n <= 0)
        return;
    struct bf_dispatch_speed *s = g_new0(struct bf_dispatch_speed, (size_t)n);
    own(L, (char *)s);
    size_t k = 0;
    for (const cJSON *it = sp->child; it; it = it->next) {
        if (!name_ok(it->string, "_.-", 64)) {
            bf_json_errorf(L->doc, L->diag, it, "expected a unit id of 1 to 64 letters, digits, "
                           "'_', '.' or '-' (as in borderfuse/<site>/units/<id>), got \"%s\"",
                           it->string);
            continue;
        }
        double mps;
        if (num(L, sp, it->string, true, 0, true, 1000,
                "a number > 0 and <= 1000 (m/s, this unit's speed)", &mps))
            s[k++] = (struct bf_dispatch_speed){.id = it->string, .speed_mps = mps};
    }
    p->speeds = s;
    p->n_speeds = k;
}

/* "operators": the names allowed to act on alerts (docs/operators.md, "Who may act"). */
static void load_operators(struct loader *L, const cJSON *root, struct bf_config *c)
{
    static const char *const keys[] = {"names", "require_topic_name", NULL};
    struct bf_operators_cfg *p = &c->operators;
    const cJSON *o = section(L, root, "operators", false);
    if (!o)
        return;
    bf_json_check_keys(L->doc, L->diag, o, keys);
    bf_json_get_bool(L->doc, L->diag, o, "require_topic_name", false, &p->require_topic_name);
    const cJSON *arr = NULL;
    if (bf_json_get_array(L->doc, L->diag, o, "names", false, &arr) != 0 || !arr)
        return;
    int n = cJSON_GetArraySize(arr);
    if (n == 0) {
        bf_json_errorf(L->doc, L->diag, arr, "an empty list would let nobody act on alerts: name "
                       "the operators (\"names\": [\"alice\", \"bob\"]), or remove \"names\" to "
                       "accept any name that is not a sensor's");
        return;
    }
    const char **names = g_new0(const char *, (size_t)n);
    own(L, (char *)names);
    size_t k = 0;
    for (const cJSON *it = arr->child; it; it = it->next) {
        char got[96];
        got_text(it, got, sizeof got);
        if (!cJSON_IsString(it) || !bf_ack_operator_name_ok(it->valuestring)) {
            bf_json_errorf(L->doc, L->diag, it, "expected an operator name (his broker user name: "
                           "1 to %d bytes of UTF-8 without control characters, '/', '+' or '#'), "
                           "got %s", BF_OPERATOR_MAX - 1, got);
            continue;
        }
        const char *nm = it->valuestring;
        if (bf_config_sensor_find(c, nm) >= 0) {
            bf_json_errorf(L->doc, L->diag, it, "operator \"%s\" has a sensor's id: sensor ids "
                           "and operator names share the broker's user names, and a sensor may "
                           "never act on alerts; rename the operator or the sensor", nm);
            continue;
        }
        bool dup = false;
        for (size_t j = 0; j < k && !dup; j++)
            dup = strcmp(names[j], nm) == 0;
        if (dup) {
            bf_json_errorf(L->doc, L->diag, it, "operator \"%s\" is listed twice: remove one", nm);
            continue;
        }
        names[k++] = nm;
    }
    p->names = names;
    p->n_names = k;
}

/* "terrain" (docs/coverage.md): the DEM that masks the sensors' coverage. */
static void load_terrain(struct loader *L, const cJSON *root, struct bf_terrain_cfg *t)
{
    static const char *const keys[] = {"dem", "target_height_m", "cell_m", NULL};
    struct bf_coverage_params d;
    bf_coverage_params_default(&d);
    *t = (struct bf_terrain_cfg){.target_height_m = d.target_height_m, .cell_m = d.cell_m};
    const cJSON *o = section(L, root, "terrain", false);
    if (!o)
        return;
    bf_json_check_keys(L->doc, L->diag, o, keys);
    t->dem_path = path_key(L, o, "dem", true, "DEM (elevation raster)", true);
    num(L, o, "target_height_m", false, 0, false, 100,
        "a number between 0 and 100 (metres of a target above the ground)", &t->target_height_m);
    num(L, o, "cell_m", false, 1, false, 1000,
        "a number between 1 and 1000 (metres, the coverage raster's cell)", &t->cell_m);
}

/* ---- the whole file ------------------------------------------------------------ */

static void load_root(struct loader *L, const cJSON *root, struct bf_config *c)
{
    /* "$schema": the JSON Schema an editor checks the file against
     * (docs/schemas/config.schema.json); accepted and ignored */
    static const char *const keys[] = {"$schema", "site", "origin", "frame", "zones",
                                       "zones_require_border", "zones_max_distance_m", "log_level",
                                       "log_format", "mqtt", "sensors", "tracker", "alerts",
                                       "engine", "cot", "cueing", "dispatch", "operators",
                                       "terrain", "metrics", NULL};
    static const char *const levels[] = {"error", "warn", "info", "debug", NULL};

    bf_json_check_keys(L->doc, L->diag, root, keys);

    const char *site;
    if (str(L, root, "site", true, &site)) {
        if (name_ok(site, "_-", 64))
            c->site = site;
        else
            bf_json_errorf(L->doc, L->diag, cJSON_GetObjectItemCaseSensitive(root, "site"),
                           "expected a site name of 1 to 64 letters, digits, '_' or '-' (it is used "
                           "in MQTT topics), got \"%s\"", site);
    }
    load_origin(L, root, c);
    str(L, root, "frame", false, &c->crs);
    c->zones_path = path_key(L, root, "zones", true, "zones file", true);
    bf_json_get_bool(L->doc, L->diag, root, "zones_require_border", false,
                     &c->zones_require_border);
    num(L, root, "zones_max_distance_m", false, 0, true, 2e7,
        "a number > 0 (metres: every zone must lie this close to a sensor; default 50000)",
        &c->zones_max_distance_m);
    int lvl;
    if (bf_json_get_enum(L->doc, L->diag, root, "log_level", false, levels, &lvl) == 0)
        c->log_level = (enum bf_log_level)lvl;
    static const char *const formats[] = {"text", "json", NULL};
    int fmt;
    if (bf_json_get_enum(L->doc, L->diag, root, "log_format", false, formats, &fmt) == 0)
        c->log_format = fmt == 1 ? BF_LOG_FORMAT_JSON : BF_LOG_FORMAT_TEXT;
    load_mqtt(L, root, c);
    load_sensors(L, root, c);
    load_tracker(L, root, &c->tracker);
    load_alerts(L, root, &c->alerts);
    load_engine(L, root, &c->engine);
    load_cot(L, root, &c->cot);
    load_cueing(L, root, c);
    load_dispatch(L, root, c);
    load_operators(L, root, c);
    load_terrain(L, root, &c->terrain);
    load_metrics(L, root, &c->metrics);
}

void bf_config_destroy(struct bf_config *cfg)
{
    if (!cfg)
        return;
    struct config_priv *p = (struct config_priv *)cfg;
    if (p->owned)
        g_ptr_array_free(p->owned, TRUE);
    free(cfg->sensors);
    bf_json_doc_destroy(cfg->doc);
    free(p);
}

int bf_config_load(const char *path, struct bf_config **out, struct bf_diag *diag)
{
    struct bf_diag own_diag = {0};
    *out = NULL;
    if (!diag)
        diag = &own_diag;
    unsigned errors_before = diag->n_errors;

    struct config_priv *p = calloc(1, sizeof *p);
    if (!p) {
        bf_diag_errorf(diag, path, 0, 0, "", "out of memory");
        return BF_ENOMEM;
    }
    p->owned = g_ptr_array_new_with_free_func(g_free);
    struct bf_config *c = &p->cfg;

    int err = bf_json_doc_load(path, &c->doc, diag);
    if (err < 0)
        goto out_destroy;

    struct loader L = {
        .doc = c->doc, .diag = diag, .priv = p, .dir = g_path_get_dirname(path),
    };
    if (!strcmp(L.dir, ".")) {
        g_free(L.dir);
        L.dir = g_strdup("");
    }
    c->path = bf_json_doc_name(c->doc);
    c->crs = FRAME_DEFAULT;
    c->log_level = BF_LOG_INFO;
    c->mqtt.url = MQTT_URL_DEFAULT;
    c->mqtt.keepalive_s = MQTT_KEEPALIVE_S_DEFAULT;
    c->mqtt.tls.verify_hostname = true;
    c->zones_require_border = true;
    c->zones_max_distance_m = BF_ZONES_MAX_DISTANCE_M_DEFAULT;
    bf_tracker_params_default(&c->tracker);
    bf_alert_params_default(&c->alerts);
    c->alerts.journal_path = resolve(&L, JOURNAL_DEFAULT);
    engine_defaults(&c->engine);
    bf_cue_params_default(&c->cueing);
    bf_dispatch_params_default(&c->dispatch);

    const cJSON *root = bf_json_doc_root(c->doc);
    if (!cJSON_IsObject(root)) {
        char got[96];
        bf_json_describe(root, got, sizeof got);
        bf_json_errorf(c->doc, diag, root, "expected the configuration to be an object {...}, got %s",
                       got);
    } else {
        load_root(&L, root, c);
    }
    if (!c->mqtt.client_id && c->site) {
        c->mqtt.client_id = own(&L, g_strdup_printf("borderfuse-%s", c->site));
        c->mqtt.client_id_default = true;   /* the engine makes it its own (docs/config.md) */
    }
    g_free(L.dir);

    if (diag->n_errors != errors_before) {
        err = BF_EINVAL;
        goto out_destroy;
    }
    *out = c;
    return 0;

out_destroy:
    bf_config_destroy(c);
    return err;
}

int bf_config_sensor_find(const struct bf_config *cfg, const char *id)
{
    if (!cfg || !id)
        return -1;
    for (size_t i = 0; i < cfg->n_sensors; i++)
        if (cfg->sensors[i].id && !strcmp(cfg->sensors[i].id, id))
            return (int)i;
    return -1;
}
