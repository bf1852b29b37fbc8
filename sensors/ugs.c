/*
 * ugs.c - the unattended-ground-sensor message codec (docs/ugs.md).
 *
 * Ground sensors are small battery boxes on a radio link: what they send must
 * be cheap to build (a printf and one HMAC) and unambiguous to verify.  The
 * signed form is therefore defined on bytes, not on parsed JSON:
 *
 *     prefix = the message without its hmac member and without the final '}'
 *     message = prefix + ",\"hmac\":\"" + hex(HMAC-SHA256(key, prefix)) + "\"}"
 *
 * The verifier insists on exactly that tail (75 bytes: the member, 64
 * lowercase hex digits, the closing brace, nothing after), so the prefix it
 * hashes is the prefix the sender hashed, with no canonicalisation of JSON
 * (which no two languages agree on).  The tag is compared in constant time.
 *
 * The parsed object must also agree with the tail: its last member is that
 * "hmac", no member name appears twice (a duplicate could be read one way by
 * the sender and another way here).  Only then is any other member trusted.
 *
 * The counter is returned, not judged: "above the last accepted one" needs
 * state, which the plugin keeps in a struct bf_ugs_replay (helpers below, pure
 * too).  Everything is bytes in, values out: no I/O, no clock.
 */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "core/bf_error.h"
#include "sensors/ugs.h"

#define TAG_LEN 32                              /* SHA-256 */
#define TAG_HEX (2 * TAG_LEN)
static const char tail_head[] = ",\"hmac\":\"";   /* 9 bytes */
#define TAIL_HEAD_LEN (sizeof tail_head - 1)
#define TAIL_LEN (TAIL_HEAD_LEN + TAG_HEX + 2)   /* + "\"}" = 75 */
/* the times ISO 8601 text with a four-digit year can hold: 0000-01-01 .. 9999-12-31 */
#define T_MIN_US INT64_C(-62167219200000000)
#define T_MAX_US INT64_C(253402300799999999)

static const char *const type_names[BF_UGS_TYPE_COUNT] = {
    [BF_UGS_SEISMIC] = "seismic",
    [BF_UGS_ACOUSTIC] = "acoustic",
    [BF_UGS_PIR] = "pir",
    [BF_UGS_MAGNETIC] = "magnetic",
};

const char *bf_ugs_type_name(enum bf_ugs_type t)
{
    return (unsigned)t < BF_UGS_TYPE_COUNT ? type_names[t] : "unknown";
}

int bf_ugs_type_from_name(const char *s)
{
    for (int i = 0; s && i < BF_UGS_TYPE_COUNT; i++)
        if (strcmp(type_names[i], s) == 0)
            return i;
    return -1;
}

static int fail(struct bf_ugs_error *err, enum bf_sensor_fault_kind kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(struct bf_ugs_error *err, enum bf_sensor_fault_kind kind, const char *fmt, ...)
{
    if (err) {
        err->kind = kind;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->detail, sizeof err->detail, fmt, ap);
        va_end(ap);
    }
    return BF_EPARSE;
}

static int hex_val(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static bool is_lower_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return true;
}

static void to_hex(const unsigned char *b, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[b[i] >> 4];
        out[2 * i + 1] = digits[b[i] & 15];
    }
    out[2 * n] = '\0';
}

static bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

/* HMAC-SHA256 of data under key into tag; false if OpenSSL failed. */
static bool mac(const unsigned char *key, size_t key_len, const void *data, size_t len,
                unsigned char tag[TAG_LEN])
{
    unsigned int n = 0;
    if (key_len > INT32_MAX)
        return false;
    return HMAC(EVP_sha256(), key, (int)key_len, data, len, tag, &n) != NULL && n == TAG_LEN;
}

/* ---- decoding ------------------------------------------------------------ */

/*
 * Check the hmac of root (parsed from buf[0..len)) against ctx.  0 with
 * *authenticated set, or BF_EPARSE with an AUTH error.
 */
static int authenticate(const struct bf_ugs_ctx *ctx, const cJSON *root, const char *buf,
                        size_t len, bool *authenticated, struct bf_ugs_error *err)
{
    *authenticated = false;
    const cJSON *h = cJSON_GetObjectItemCaseSensitive(root, "hmac");
    bool has_key = ctx->key && ctx->key_len > 0;
    if (!h) {
        if (has_key && ctx->require_hmac)
            return fail(err, BF_FAULT_AUTH, "no hmac: this sensor requires signed messages");
        return 0;
    }
    if (!has_key)
        return fail(err, BF_FAULT_AUTH, "message carries an hmac but no key is configured for "
                    "this sensor (options.hmac_key_file)");
    const cJSON *last = root->child;
    while (last && last->next)
        last = last->next;
    const char *tail = len >= TAIL_LEN ? buf + len - TAIL_LEN : NULL;
    const char *hex = tail ? tail + TAIL_HEAD_LEN : NULL;
    if (h != last || !cJSON_IsString(h) || !tail || memcmp(tail, tail_head, TAIL_HEAD_LEN) != 0 ||
        !is_lower_hex(hex, TAG_HEX) || buf[len - 2] != '"' || buf[len - 1] != '}' ||
        strlen(h->valuestring) != TAG_HEX || memcmp(h->valuestring, hex, TAG_HEX) != 0 ||
        root->child == h)
        return fail(err, BF_FAULT_AUTH, "hmac must be the last member, written exactly as "
                    ",\"hmac\":\"<64 lowercase hex digits>\"} with nothing after");
    unsigned char want[TAG_LEN], got[TAG_LEN];
    for (size_t i = 0; i < TAG_LEN; i++)
        got[i] = (unsigned char)(hex_val(hex[2 * i]) << 4 | hex_val(hex[2 * i + 1]));
    if (!mac(ctx->key, ctx->key_len, buf, len - TAIL_LEN, want))
        return fail(err, BF_FAULT_AUTH, "HMAC-SHA256 could not be computed");
    if (CRYPTO_memcmp(want, got, TAG_LEN) != 0)
        return fail(err, BF_FAULT_AUTH, "hmac does not match: the message was altered, forged "
                    "or signed with another key");
    *authenticated = true;
    return 0;
}

/* Optional number: 1 absent (or null), 0 read within [min, max], <0 refused. */
static int opt_number(const cJSON *obj, const char *key, double min, double max, double *out,
                      struct bf_ugs_error *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!v || cJSON_IsNull(v))
        return 1;
    if (!cJSON_IsNumber(v))
        return fail(err, BF_FAULT_SCHEMA, "%s: expected a number", key);
    if (!isfinite(v->valuedouble) || v->valuedouble < min || v->valuedouble > max)
        return fail(err, BF_FAULT_RANGE, "%s: %g is outside [%g, %g]", key, v->valuedouble, min,
                    max);
    *out = v->valuedouble;
    return 0;
}

static int req_number(const cJSON *obj, const char *key, double min, double max, double *out,
                      struct bf_ugs_error *err)
{
    int rc = opt_number(obj, key, min, max, out, err);
    if (rc == 1)
        return fail(err, BF_FAULT_SCHEMA, "%s: missing (a number in [%g, %g])", key, min, max);
    return rc;
}

static const char *req_string(const cJSON *obj, const char *key, struct bf_ugs_error *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!cJSON_IsString(v)) {
        fail(err, BF_FAULT_SCHEMA, "%s: %s", key, v ? "expected a string" : "missing");
        return NULL;
    }
    return v->valuestring;
}

static int decode_event(const cJSON *root, struct bf_ugs_msg *m, struct bf_ugs_error *err)
{
    const char *type = req_string(root, "type", err);
    if (!type)
        return BF_EPARSE;
    int t = bf_ugs_type_from_name(type);
    if (t < 0)
        return fail(err, BF_FAULT_SCHEMA, "type: \"%.32s\" is not seismic, acoustic, pir or "
                    "magnetic", type);
    m->type = (enum bf_ugs_type)t;
    if (req_number(root, "confidence", 0, 1, &m->confidence, err) < 0)
        return BF_EPARSE;
    int has_b = opt_number(root, "bearing_deg", 0, 360, &m->bearing_deg, err);
    if (has_b < 0)
        return BF_EPARSE;
    if (has_b == 0 && m->bearing_deg >= 360)
        return fail(err, BF_FAULT_RANGE, "bearing_deg: 360 is outside [0, 360)");
    int has_s = opt_number(root, "sigma_bearing_deg", 1e-6, 90, &m->sigma_bearing_deg, err);
    if (has_s < 0)
        return BF_EPARSE;
    if (has_s == 0 && has_b != 0)
        return fail(err, BF_FAULT_SCHEMA, "sigma_bearing_deg without bearing_deg");
    return 0;
}

static int decode_heartbeat(const cJSON *root, struct bf_ugs_msg *m, struct bf_ugs_error *err)
{
    if (req_number(root, "battery_pct", 0, 100, &m->battery_pct, err) < 0 ||
        opt_number(root, "temperature_c", -80, 100, &m->temperature_c, err) < 0 ||
        opt_number(root, "rssi_dbm", -200, 0, &m->rssi_dbm, err) < 0)
        return BF_EPARSE;
    return 0;
}

static int decode_fields(const struct bf_ugs_ctx *ctx, const cJSON *root, struct bf_ugs_msg *m,
                         struct bf_ugs_error *err)
{
    const char *sensor = req_string(root, "sensor", err);
    if (!sensor)
        return BF_EPARSE;
    if (strcmp(sensor, ctx->sensor_id) != 0)
        return fail(err, BF_FAULT_IDENTITY, "\"sensor\" is \"%.64s\", not %.64s, the sensor of "
                    "this topic", sensor, ctx->sensor_id);
    snprintf(m->sensor, sizeof m->sensor, "%s", sensor);

    const char *kind = req_string(root, "kind", err);
    if (!kind)
        return BF_EPARSE;
    if (strcmp(kind, "event") == 0)
        m->kind = BF_UGS_EVENT;
    else if (strcmp(kind, "heartbeat") == 0)
        m->kind = BF_UGS_HEARTBEAT;
    else
        return fail(err, BF_FAULT_SCHEMA, "kind: \"%.32s\" is neither \"event\" nor \"heartbeat\"",
                    kind);

    double c = 0;
    if (req_number(root, "counter", 0, BF_UGS_COUNTER_MAX, &c, err) < 0)
        return BF_EPARSE;
    if (floor(c) != c)
        return fail(err, BF_FAULT_RANGE, "counter: %g is not a whole number", c);
    m->counter = (uint64_t)c;

    const cJSON *t = cJSON_GetObjectItemCaseSensitive(root, "t");
    if (!cJSON_IsString(t) || bf_time_parse_iso(t->valuestring, &m->t_us) < 0)
        return fail(err, BF_FAULT_TIME, "t: %s", t ? "expected ISO 8601 UTC text like "
                    "\"2026-03-01T02:00:01.250Z\"" : "missing (the event time, ISO 8601 UTC)");

    const cJSON *ex = cJSON_GetObjectItemCaseSensitive(root, "exercise");
    if (ex && !cJSON_IsBool(ex))
        return fail(err, BF_FAULT_SCHEMA, "exercise: expected true or false");
    m->exercise = cJSON_IsTrue(ex);

    return m->kind == BF_UGS_EVENT ? decode_event(root, m, err) : decode_heartbeat(root, m, err);
}

int bf_ugs_decode(const struct bf_ugs_ctx *ctx, const char *buf, size_t len,
                  struct bf_ugs_msg *out, struct bf_ugs_error *err)
{
    if (!ctx || !ctx->sensor_id || !buf || !out)
        return BF_EINVAL;
    memset(out, 0, sizeof *out);
    out->bearing_deg = out->sigma_bearing_deg = NAN;
    out->temperature_c = out->rssi_dbm = NAN;
    if (len > BF_UGS_MSG_MAX)
        return fail(err, BF_FAULT_SYNTAX, "message of %zu bytes, at most %d accepted", len,
                    BF_UGS_MSG_MAX);
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(buf, len, &end, false);
    if (!root)
        return fail(err, BF_FAULT_SYNTAX, "not valid JSON (%zu bytes)", len);
    int rc = 0;
    for (const char *p = end; p && p < buf + len; p++)
        if (!is_space(*p)) {
            rc = fail(err, BF_FAULT_SYNTAX, "bytes after the JSON object (at offset %zu)",
                      (size_t)(p - buf));
            goto out;
        }
    if (!cJSON_IsObject(root)) {
        rc = fail(err, BF_FAULT_SCHEMA, "expected a JSON object");
        goto out;
    }
    for (const cJSON *a = root->child; a; a = a->next)
        for (const cJSON *b = root->child; b != a; b = b->next)
            if (strcmp(a->string, b->string) == 0) {
                rc = fail(err, BF_FAULT_SCHEMA, "member \"%.40s\" appears twice", a->string);
                goto out;
            }
    rc = authenticate(ctx, root, buf, len, &out->authenticated, err);
    if (rc == 0)
        rc = decode_fields(ctx, root, out, err);
out:
    cJSON_Delete(root);
    return rc;
}

/* ---- encoding ------------------------------------------------------------ */

struct wbuf {
    char *p;
    size_t cap, len;
    bool overflow;
};

static void put(struct wbuf *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct wbuf *w, const char *fmt, ...)
{
    if (w->overflow)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(w->p + w->len, w->cap - w->len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= w->cap - w->len) {
        w->overflow = true;
        return;
    }
    w->len += (size_t)n;
}

static bool id_ok(const char *id)
{
    size_t n = strlen(id);
    if (n == 0 || n > BF_UGS_ID_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = id[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-'))
            return false;
    }
    return true;
}

static bool in(double v, double lo, double hi) { return isfinite(v) && v >= lo && v <= hi; }

/* An optional figure: left out when NAN, else within [lo, hi]. */
static bool opt_ok(double v, double lo, double hi) { return isnan(v) || in(v, lo, hi); }

int bf_ugs_encode(const struct bf_ugs_msg *m, const unsigned char *key, size_t key_len,
                  char *buf, size_t cap)
{
    if (!m || !buf || cap == 0 || !id_ok(m->sensor) || (key && key_len == 0) ||
        (double)m->counter > BF_UGS_COUNTER_MAX || m->t_us < T_MIN_US || m->t_us > T_MAX_US)
        return BF_EINVAL;
    char t[BF_TIME_ISO_LEN];
    if (bf_time_format_iso(m->t_us, t, sizeof t) < 0)
        return BF_EINVAL;
    struct wbuf w = {.p = buf, .cap = cap};
    buf[0] = '\0';
    if (m->kind == BF_UGS_EVENT) {
        if ((unsigned)m->type >= BF_UGS_TYPE_COUNT || !in(m->confidence, 0, 1) ||
            !opt_ok(m->bearing_deg, -1e6, 1e6) || !opt_ok(m->sigma_bearing_deg, 1e-6, 90) ||
            (!isnan(m->sigma_bearing_deg) && isnan(m->bearing_deg)))
            return BF_EINVAL;
        put(&w, "{\"sensor\":\"%s\",\"kind\":\"event\",\"counter\":%" PRIu64 ",\"t\":\"%s\"",
            m->sensor, m->counter, t);
        if (m->exercise)
            put(&w, ",\"exercise\":true");
        put(&w, ",\"type\":\"%s\",\"confidence\":%.10g", type_names[m->type], m->confidence);
        if (!isnan(m->bearing_deg)) {
            /* into [0, 360) at the precision written, so that 359.9999999 does not print 360 */
            double b = fmod(m->bearing_deg, 360.0);
            b = round((b < 0 ? b + 360.0 : b) * 1e6) / 1e6;
            put(&w, ",\"bearing_deg\":%.10g", b >= 360.0 ? 0.0 : b);
        }
        if (!isnan(m->sigma_bearing_deg))
            put(&w, ",\"sigma_bearing_deg\":%.10g", m->sigma_bearing_deg);
    } else if (m->kind == BF_UGS_HEARTBEAT) {
        if (!in(m->battery_pct, 0, 100) || !opt_ok(m->temperature_c, -80, 100) ||
            !opt_ok(m->rssi_dbm, -200, 0))
            return BF_EINVAL;
        put(&w, "{\"sensor\":\"%s\",\"kind\":\"heartbeat\",\"counter\":%" PRIu64 ",\"t\":\"%s\"",
            m->sensor, m->counter, t);
        if (m->exercise)
            put(&w, ",\"exercise\":true");
        put(&w, ",\"battery_pct\":%.10g", m->battery_pct);
        if (!isnan(m->temperature_c))
            put(&w, ",\"temperature_c\":%.10g", m->temperature_c);
        if (!isnan(m->rssi_dbm))
            put(&w, ",\"rssi_dbm\":%.10g", m->rssi_dbm);
    } else {
        return BF_EINVAL;
    }
    if (key && !w.overflow) {
        unsigned char tag[TAG_LEN];
        char hex[TAG_HEX + 1];
        if (!mac(key, key_len, buf, w.len, tag))
            return BF_EINVAL;
        to_hex(tag, TAG_LEN, hex);
        put(&w, "%s%s\"}", tail_head, hex);
    } else {
        put(&w, "}");
    }
    return w.overflow ? BF_ERANGE : (int)w.len;
}

/* ---- keys and replay ----------------------------------------------------- */

int bf_ugs_key_from_hex(const char *text, size_t len, unsigned char key[BF_UGS_KEY_MAX],
                        size_t *key_len, char *err, size_t errlen)
{
    if (!text || !key || !key_len)
        return BF_EINVAL;
    size_t a = 0, b = len;
    while (a < b && is_space(text[a]))
        a++;
    while (b > a && is_space(text[b - 1]))
        b--;
    size_t n = b - a;
    for (size_t i = a; i < b; i++)
        if (hex_val((unsigned char)text[i]) < 0) {
            if (err)
                snprintf(err, errlen, "the key must be hex digits only (a character at offset "
                         "%zu is not)", i);
            return BF_EINVAL;
        }
    if (n % 2 != 0 || n < 2 * BF_UGS_KEY_MIN || n > 2 * BF_UGS_KEY_MAX) {
        if (err)
            snprintf(err, errlen, "the key must be an even number of hex digits, %d to %d "
                     "(16 to 64 bytes; %zu found): make one with openssl rand -hex 32",
                     2 * BF_UGS_KEY_MIN, 2 * BF_UGS_KEY_MAX, n);
        return BF_EINVAL;
    }
    for (size_t i = 0; i < n / 2; i++)
        key[i] = (unsigned char)(hex_val((unsigned char)text[a + 2 * i]) << 4 |
                                 hex_val((unsigned char)text[a + 2 * i + 1]));
    *key_len = n / 2;
    return 0;
}

int bf_ugs_replay_check(const struct bf_ugs_replay *r, uint64_t counter, struct bf_ugs_error *err)
{
    if (r->seen && counter <= r->last)
        return fail(err, BF_FAULT_AUTH, "counter %" PRIu64 " is not above %" PRIu64 ", the last "
                    "accepted: a replayed or repeated message", counter, r->last);
    return 0;
}

void bf_ugs_replay_accept(struct bf_ugs_replay *r, uint64_t counter)
{
    r->seen = true;
    r->last = counter;
}
