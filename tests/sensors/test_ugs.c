/*
 * test_ugs.c - the ground-sensor codec and plugin.
 *
 * Codec: events of each type and heartbeats decode to the right values; a
 * message signed over a hand-written prefix (the HMAC computed here with
 * OpenSSL's one-shot HMAC(), not with the codec) is accepted, and every way of
 * breaking it - a body byte, a tag byte, another key, no hmac, a tail that is
 * not exactly the hmac member - is refused as auth; replays, another sensor's
 * name, bad times, out-of-range values and malformed JSON are refused with
 * their own fault kinds.  The encoder's bytes are checked literally.
 *
 * Plugin: the real "ugs" plugin opened on the recording host, its
 * subscription callback fed directly: what it emits (presence with the type's
 * radius and class hints, grid bearing, scan marker, heartbeat marker,
 * health), what it refuses (replay, auth) and which options it refuses.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "bf_test.h"
#include "core/bf_error.h"
#include "fake_host.h"
#include "geo/geo.h"
#include "integration/it_util.h"
#include "sensors/sensor.h"
#include "sensors/ugs.h"

#define KEY_HEX "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
#define T0 "2026-03-01T02:00:01.250Z"
#define T0_US INT64_C(1772330401250000)

static unsigned char key[32];
static struct bf_ugs_ctx open_ctx = {.sensor_id = "ugs-7"};               /* no key */
static struct bf_ugs_ctx keyed_ctx = {.sensor_id = "ugs-7", .key = key, .key_len = 32,
                                      .require_hmac = true};
static struct bf_ugs_ctx optional_ctx = {.sensor_id = "ugs-7", .key = key, .key_len = 32,
                                         .require_hmac = false};

static int setup(void)
{
    for (int i = 0; i < 32; i++)
        key[i] = (unsigned char)i;
    return 0;
}

static int decode(const struct bf_ugs_ctx *ctx, const char *msg, struct bf_ugs_msg *m,
                  struct bf_ugs_error *err)
{
    return bf_ugs_decode(ctx, msg, strlen(msg), m, err);
}

/* The sender's recipe, done independently: prefix + ,"hmac":"<hex>"} */
static void sign(const char *prefix, const unsigned char *k, size_t klen, char *out, size_t cap)
{
    unsigned char tag[32];
    unsigned int n = 0;
    HMAC(EVP_sha256(), k, (int)klen, (const unsigned char *)prefix, strlen(prefix), tag, &n);
    CU_ASSERT_EQUAL(n, 32);
    char hex[65];
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", tag[i]);
    snprintf(out, cap, "%s,\"hmac\":\"%s\"}", prefix, hex);
}

/* Expect a refusal of kind k. */
static void refused(const struct bf_ugs_ctx *ctx, const char *msg, enum bf_sensor_fault_kind k)
{
    struct bf_ugs_msg m;
    struct bf_ugs_error err = {.kind = BF_FAULT_KIND_COUNT};
    int rc = decode(ctx, msg, &m, &err);
    CU_ASSERT_EQUAL(rc, BF_EPARSE);
    CU_ASSERT_EQUAL(err.kind, k);
    if (rc != BF_EPARSE || err.kind != k)
        fprintf(stderr, "\n  %s\n  -> rc %d kind %s (%s), expected %s\n", msg, rc,
                bf_sensor_fault_name(err.kind), err.detail, bf_sensor_fault_name(k));
    CU_ASSERT_PTR_NULL(strstr(err.detail, KEY_HEX));
}

/* ---- codec ------------------------------------------------------------- */

static void test_events_each_type(void)
{
    static const char *const types[] = {"seismic", "acoustic", "pir", "magnetic"};
    for (int i = 0; i < 4; i++) {
        char msg[256];
        snprintf(msg, sizeof msg, "{\"sensor\":\"ugs-7\",\"kind\":\"event\",\"counter\":%d,"
                 "\"t\":\"" T0 "\",\"type\":\"%s\",\"confidence\":0.%d5}", 10 + i, types[i], i);
        struct bf_ugs_msg m;
        struct bf_ugs_error err;
        CU_ASSERT_EQUAL_FATAL(decode(&open_ctx, msg, &m, &err), 0);
        CU_ASSERT_EQUAL(m.kind, BF_UGS_EVENT);
        CU_ASSERT_EQUAL(m.type, (enum bf_ugs_type)i);
        CU_ASSERT_STRING_EQUAL(bf_ugs_type_name(m.type), types[i]);
        CU_ASSERT_EQUAL(m.counter, (uint64_t)(10 + i));
        CU_ASSERT_EQUAL(m.t_us, T0_US);
        BF_ASSERT_NEAR(m.confidence, i * 0.1 + 0.05, 1e-12);
        CU_ASSERT_STRING_EQUAL(m.sensor, "ugs-7");
        CU_ASSERT_TRUE(isnan(m.bearing_deg));
        CU_ASSERT_FALSE(m.authenticated);
        CU_ASSERT_FALSE(m.exercise);
    }
    struct bf_ugs_msg m;
    struct bf_ugs_error err;
    /* a bearing, its accuracy, exercise, an unknown member (ignored), white space */
    CU_ASSERT_EQUAL_FATAL(decode(&open_ctx, " {\"sensor\": \"ugs-7\", \"kind\": \"event\", "
                                 "\"counter\": 9007199254740991, \"t\": \"2026-03-01T02:00:01Z\", "
                                 "\"type\": \"acoustic\", \"confidence\": 1, \"bearing_deg\": 271.5, "
                                 "\"sigma_bearing_deg\": 4, \"exercise\": true, \"fw\": \"1.2\"}\n",
                                 &m, &err), 0);
    CU_ASSERT_EQUAL(m.counter, UINT64_C(9007199254740991));
    BF_ASSERT_NEAR(m.bearing_deg, 271.5, 0);
    BF_ASSERT_NEAR(m.sigma_bearing_deg, 4, 0);
    CU_ASSERT_TRUE(m.exercise);
    CU_ASSERT_EQUAL(m.t_us, T0_US - 250000);
}

static void test_heartbeats(void)
{
    struct bf_ugs_msg m;
    struct bf_ugs_error err;
    CU_ASSERT_EQUAL_FATAL(decode(&open_ctx, "{\"sensor\":\"ugs-7\",\"kind\":\"heartbeat\","
                                 "\"counter\":0,\"t\":\"" T0 "\",\"battery_pct\":87.5,"
                                 "\"temperature_c\":-12.25,\"rssi_dbm\":-97}", &m, &err), 0);
    CU_ASSERT_EQUAL(m.kind, BF_UGS_HEARTBEAT);
    CU_ASSERT_EQUAL(m.counter, 0);
    CU_ASSERT_EQUAL(m.t_us, T0_US);
    BF_ASSERT_NEAR(m.battery_pct, 87.5, 0);
    BF_ASSERT_NEAR(m.temperature_c, -12.25, 0);
    BF_ASSERT_NEAR(m.rssi_dbm, -97, 0);
    CU_ASSERT_EQUAL_FATAL(decode(&open_ctx, "{\"sensor\":\"ugs-7\",\"kind\":\"heartbeat\","
                                 "\"counter\":5,\"t\":\"" T0 "\",\"battery_pct\":0}", &m, &err), 0);
    BF_ASSERT_NEAR(m.battery_pct, 0, 0);
    CU_ASSERT_TRUE(isnan(m.temperature_c));
    CU_ASSERT_TRUE(isnan(m.rssi_dbm));
}

#define PREFIX "{\"sensor\":\"ugs-7\",\"kind\":\"event\",\"counter\":42,\"t\":\"" T0 "\"," \
               "\"type\":\"seismic\",\"confidence\":0.8"

static void test_good_hmac(void)
{
    char msg[512];
    sign(PREFIX, key, 32, msg, sizeof msg);
    struct bf_ugs_msg m;
    struct bf_ugs_error err;
    CU_ASSERT_EQUAL_FATAL(decode(&keyed_ctx, msg, &m, &err), 0);
    CU_ASSERT_TRUE(m.authenticated);
    CU_ASSERT_EQUAL(m.counter, 42);
    CU_ASSERT_EQUAL(m.type, BF_UGS_SEISMIC);
    BF_ASSERT_NEAR(m.confidence, 0.8, 1e-12);
    /* a key that is only optional checks it all the same */
    CU_ASSERT_EQUAL_FATAL(decode(&optional_ctx, msg, &m, &err), 0);
    CU_ASSERT_TRUE(m.authenticated);
    /* a heartbeat, signed */
    sign("{\"sensor\":\"ugs-7\",\"kind\":\"heartbeat\",\"counter\":43,\"t\":\"" T0 "\","
         "\"battery_pct\":55", key, 32, msg, sizeof msg);
    CU_ASSERT_EQUAL_FATAL(decode(&keyed_ctx, msg, &m, &err), 0);
    CU_ASSERT_TRUE(m.authenticated);
    BF_ASSERT_NEAR(m.battery_pct, 55, 0);
}

static void test_forged_hmac(void)
{
    char msg[512];
    sign(PREFIX, key, 32, msg, sizeof msg);
    /* one byte of the body: confidence 0.8 -> 0.9 */
    char *p = strstr(msg, "0.8");
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    p[2] = '9';
    refused(&keyed_ctx, msg, BF_FAULT_AUTH);
    p[2] = '8';
    /* one byte of the tag (still lowercase hex) */
    char *tag = strstr(msg, "\"hmac\":\"") + 8;
    tag[10] = tag[10] == 'a' ? 'b' : 'a';
    refused(&keyed_ctx, msg, BF_FAULT_AUTH);
    /* signed with another key */
    unsigned char other[32];
    memcpy(other, key, 32);
    other[31] ^= 1;
    sign(PREFIX, other, 32, msg, sizeof msg);
    refused(&keyed_ctx, msg, BF_FAULT_AUTH);
    refused(&optional_ctx, msg, BF_FAULT_AUTH);
    /* the counter bumped by someone without the key */
    sign(PREFIX, key, 32, msg, sizeof msg);
    p = strstr(msg, "42");
    p[0] = '9';
    refused(&keyed_ctx, msg, BF_FAULT_AUTH);
}

static void test_missing_hmac(void)
{
    refused(&keyed_ctx, PREFIX "}", BF_FAULT_AUTH);
    /* a key that is only optional accepts it, unauthenticated */
    struct bf_ugs_msg m;
    struct bf_ugs_error err;
    CU_ASSERT_EQUAL(decode(&optional_ctx, PREFIX "}", &m, &err), 0);
    CU_ASSERT_FALSE(m.authenticated);
    /* a sensor without a key cannot check an hmac: refused, not ignored */
    char msg[512];
    sign(PREFIX, key, 32, msg, sizeof msg);
    refused(&open_ctx, msg, BF_FAULT_AUTH);
}

static void test_tail_not_exact(void)
{
    char good[512], msg[600];
    sign(PREFIX, key, 32, good, sizeof good);
    const char *hex = strstr(good, "\"hmac\":\"") + 8;
    /* a newline after the brace */
    snprintf(msg, sizeof msg, "%s\n", good);
    refused(&keyed_ctx, msg, BF_FAULT_AUTH);
    /* upper-case hex */
    snprintf(msg, sizeof msg, "%s", good);
    for (char *q = strstr(msg, "\"hmac\":\"") + 8; *q != '"'; q++)
        if (*q >= 'a' && *q <= 'f')
            *q = (char)(*q - 'a' + 'A');
    refused(&keyed_ctx, msg, BF_FAULT_AUTH);
    /* a space before the member, or around the colon */
    snprintf(msg, sizeof msg, PREFIX ", \"hmac\":\"%.64s\"}", hex);
    refused(&keyed_ctx, msg, BF_FAULT_AUTH);
    snprintf(msg, sizeof msg, PREFIX ",\"hmac\" : \"%.64s\"}", hex);
    refused(&keyed_ctx, msg, BF_FAULT_AUTH);
    /* the hmac first, then the rest */
    snprintf(msg, sizeof msg, "{\"hmac\":\"%.64s\",%s}", hex, &PREFIX[1]);   /* after the opening brace */
    refused(&keyed_ctx, msg, BF_FAULT_AUTH);
    /* a short tag, a long one */
    snprintf(msg, sizeof msg, PREFIX ",\"hmac\":\"%.62s\"}", hex);
    refused(&keyed_ctx, msg, BF_FAULT_AUTH);
    snprintf(msg, sizeof msg, PREFIX ",\"hmac\":\"%.64s00\"}", hex);
    refused(&keyed_ctx, msg, BF_FAULT_AUTH);
    /* the hmac as a number, or an object */
    refused(&keyed_ctx, PREFIX ",\"hmac\":12}", BF_FAULT_AUTH);
    /* the hmac alone */
    snprintf(msg, sizeof msg, "{\"hmac\":\"%.64s\"}", hex);
    refused(&keyed_ctx, msg, BF_FAULT_AUTH);
    /* two hmac members: a duplicate is a schema fault before anything is checked */
    snprintf(msg, sizeof msg, PREFIX ",\"hmac\":\"x\",\"hmac\":\"%.64s\"}", hex);
    refused(&keyed_ctx, msg, BF_FAULT_SCHEMA);
}

static void test_replay(void)
{
    struct bf_ugs_replay r = {0};
    struct bf_ugs_error err;
    CU_ASSERT_EQUAL(bf_ugs_replay_check(&r, 0, &err), 0);   /* the first counter: anything */
    bf_ugs_replay_accept(&r, 7);
    CU_ASSERT_EQUAL(bf_ugs_replay_check(&r, 8, &err), 0);
    CU_ASSERT_EQUAL(bf_ugs_replay_check(&r, 100, &err), 0);
    err.kind = BF_FAULT_KIND_COUNT;
    CU_ASSERT_EQUAL(bf_ugs_replay_check(&r, 7, &err), BF_EPARSE);    /* equal: a replay */
    CU_ASSERT_EQUAL(err.kind, BF_FAULT_AUTH);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.detail, "counter 7 is not above 7"));
    err.kind = BF_FAULT_KIND_COUNT;
    CU_ASSERT_EQUAL(bf_ugs_replay_check(&r, 3, &err), BF_EPARSE);    /* older */
    CU_ASSERT_EQUAL(err.kind, BF_FAULT_AUTH);
    bf_ugs_replay_accept(&r, 100);
    CU_ASSERT_EQUAL(bf_ugs_replay_check(&r, 8, &err), BF_EPARSE);
    CU_ASSERT_EQUAL(bf_ugs_replay_check(&r, 101, &err), 0);
}

static void test_identity_time_range(void)
{
#define EV(body) "{\"sensor\":\"ugs-7\",\"kind\":\"event\"," body "}"
    refused(&open_ctx, "{\"sensor\":\"ugs-8\",\"kind\":\"event\",\"counter\":1,\"t\":\"" T0 "\","
            "\"type\":\"pir\",\"confidence\":0.5}", BF_FAULT_IDENTITY);
    /* signed correctly by whoever holds the key, but naming another sensor */
    char msg[512];
    sign("{\"sensor\":\"ugs-8\",\"kind\":\"event\",\"counter\":1,\"t\":\"" T0 "\","
         "\"type\":\"pir\",\"confidence\":0.5", key, 32, msg, sizeof msg);
    refused(&keyed_ctx, msg, BF_FAULT_IDENTITY);
    refused(&open_ctx, EV("\"counter\":1,\"t\":\"yesterday\",\"type\":\"pir\",\"confidence\":0.5"),
            BF_FAULT_TIME);
    refused(&open_ctx, EV("\"counter\":1,\"type\":\"pir\",\"confidence\":0.5"), BF_FAULT_TIME);
    refused(&open_ctx, EV("\"counter\":1,\"t\":\"2026-13-01T00:00:00Z\",\"type\":\"pir\","
                          "\"confidence\":0.5"), BF_FAULT_TIME);
    refused(&open_ctx, EV("\"counter\":1,\"t\":1772330401,\"type\":\"pir\",\"confidence\":0.5"),
            BF_FAULT_TIME);
    refused(&open_ctx, EV("\"counter\":1,\"t\":\"" T0 "\",\"type\":\"pir\",\"confidence\":1.5"),
            BF_FAULT_RANGE);
    refused(&open_ctx, EV("\"counter\":1,\"t\":\"" T0 "\",\"type\":\"pir\",\"confidence\":-0.1"),
            BF_FAULT_RANGE);
    refused(&open_ctx, EV("\"counter\":1,\"t\":\"" T0 "\",\"type\":\"pir\",\"confidence\":0.5,"
                          "\"bearing_deg\":360"), BF_FAULT_RANGE);
    refused(&open_ctx, EV("\"counter\":1,\"t\":\"" T0 "\",\"type\":\"pir\",\"confidence\":0.5,"
                          "\"bearing_deg\":-1"), BF_FAULT_RANGE);
    refused(&open_ctx, EV("\"counter\":-1,\"t\":\"" T0 "\",\"type\":\"pir\",\"confidence\":0.5"),
            BF_FAULT_RANGE);
    refused(&open_ctx, EV("\"counter\":1.5,\"t\":\"" T0 "\",\"type\":\"pir\",\"confidence\":0.5"),
            BF_FAULT_RANGE);
    refused(&open_ctx, EV("\"counter\":9007199254740993,\"t\":\"" T0 "\",\"type\":\"pir\","
                          "\"confidence\":0.5"), BF_FAULT_RANGE);
    refused(&open_ctx, "{\"sensor\":\"ugs-7\",\"kind\":\"heartbeat\",\"counter\":1,\"t\":\"" T0
            "\",\"battery_pct\":101}", BF_FAULT_RANGE);
    refused(&open_ctx, "{\"sensor\":\"ugs-7\",\"kind\":\"heartbeat\",\"counter\":1,\"t\":\"" T0
            "\",\"battery_pct\":-3}", BF_FAULT_RANGE);
    refused(&open_ctx, "{\"sensor\":\"ugs-7\",\"kind\":\"heartbeat\",\"counter\":1,\"t\":\"" T0
            "\",\"battery_pct\":50,\"temperature_c\":150}", BF_FAULT_RANGE);
#undef EV
}

static void test_malformed(void)
{
    refused(&open_ctx, "this is not JSON {", BF_FAULT_SYNTAX);
    refused(&open_ctx, "", BF_FAULT_SYNTAX);
    refused(&open_ctx, "{\"sensor\":\"ugs-7\",\"kind\":\"event\",\"counter\":1,\"t\":\"" T0 "\","
            "\"type\":\"pir\",\"confid", BF_FAULT_SYNTAX);                         /* truncated */
    refused(&open_ctx, PREFIX "} trailing", BF_FAULT_SYNTAX);
    refused(&open_ctx, PREFIX "}{}", BF_FAULT_SYNTAX);
    refused(&open_ctx, "[1,2,3]", BF_FAULT_SCHEMA);
    refused(&open_ctx, "\"event\"", BF_FAULT_SCHEMA);
    refused(&open_ctx, "{\"kind\":\"event\",\"counter\":1,\"t\":\"" T0 "\",\"type\":\"pir\","
            "\"confidence\":0.5}", BF_FAULT_SCHEMA);                             /* no sensor */
    refused(&open_ctx, "{\"sensor\":7,\"kind\":\"event\"}", BF_FAULT_SCHEMA);
    refused(&open_ctx, "{\"sensor\":\"ugs-7\",\"counter\":1,\"t\":\"" T0 "\"}", BF_FAULT_SCHEMA);
    refused(&open_ctx, "{\"sensor\":\"ugs-7\",\"kind\":\"alarm\",\"counter\":1,\"t\":\"" T0 "\"}",
            BF_FAULT_SCHEMA);
    refused(&open_ctx, "{\"sensor\":\"ugs-7\",\"kind\":\"event\",\"t\":\"" T0 "\","
            "\"type\":\"pir\",\"confidence\":0.5}", BF_FAULT_SCHEMA);             /* no counter */
    refused(&open_ctx, "{\"sensor\":\"ugs-7\",\"kind\":\"event\",\"counter\":\"1\",\"t\":\"" T0
            "\",\"type\":\"pir\",\"confidence\":0.5}", BF_FAULT_SCHEMA);
    refused(&open_ctx, "{\"sensor\":\"ugs-7\",\"kind\":\"event\",\"counter\":1,\"t\":\"" T0 "\","
            "\"type\":\"radar\",\"confidence\":0.5}", BF_FAULT_SCHEMA);
    refused(&open_ctx, "{\"sensor\":\"ugs-7\",\"kind\":\"event\",\"counter\":1,\"t\":\"" T0 "\","
            "\"type\":\"pir\",\"confidence\":\"high\"}", BF_FAULT_SCHEMA);
    refused(&open_ctx, "{\"sensor\":\"ugs-7\",\"kind\":\"event\",\"counter\":1,\"t\":\"" T0 "\","
            "\"type\":\"pir\"}", BF_FAULT_SCHEMA);                               /* no confidence */
    refused(&open_ctx, "{\"sensor\":\"ugs-7\",\"kind\":\"event\",\"counter\":1,\"t\":\"" T0 "\","
            "\"type\":\"pir\",\"confidence\":0.5,\"sigma_bearing_deg\":3}", BF_FAULT_SCHEMA);
    refused(&open_ctx, "{\"sensor\":\"ugs-7\",\"kind\":\"event\",\"counter\":1,\"t\":\"" T0 "\","
            "\"type\":\"pir\",\"confidence\":0.5,\"exercise\":1}", BF_FAULT_SCHEMA);
    refused(&open_ctx, "{\"sensor\":\"ugs-7\",\"kind\":\"heartbeat\",\"counter\":1,\"t\":\"" T0
            "\"}", BF_FAULT_SCHEMA);                                             /* no battery */
    refused(&open_ctx, "{\"sensor\":\"ugs-7\",\"sensor\":\"ugs-7\",\"kind\":\"heartbeat\","
            "\"counter\":1,\"t\":\"" T0 "\",\"battery_pct\":5}", BF_FAULT_SCHEMA); /* duplicate */
    /* longer than BF_UGS_MSG_MAX */
    static char big[BF_UGS_MSG_MAX + 64];
    int n = snprintf(big, sizeof big, "{\"sensor\":\"ugs-7\",\"pad\":\"");
    memset(big + n, 'x', sizeof big - (size_t)n - 3);
    memcpy(big + sizeof big - 3, "\"}", 3);
    refused(&open_ctx, big, BF_FAULT_SYNTAX);
    /* a NUL inside the declared length is not JSON text */
    struct bf_ugs_msg m;
    struct bf_ugs_error err;
    CU_ASSERT_EQUAL(bf_ugs_decode(&open_ctx, "{}\0{}", 5, &m, &err), BF_EPARSE);
    CU_ASSERT_EQUAL(err.kind, BF_FAULT_SYNTAX);
}

static void test_encoder(void)
{
    struct bf_ugs_msg m = {.kind = BF_UGS_HEARTBEAT, .counter = 12, .t_us = T0_US,
                           .battery_pct = 87.5, .temperature_c = NAN, .rssi_dbm = -97};
    snprintf(m.sensor, sizeof m.sensor, "ugs-7");
    char buf[512];
    int n = bf_ugs_encode(&m, NULL, 0, buf, sizeof buf);
    CU_ASSERT_STRING_EQUAL(buf, "{\"sensor\":\"ugs-7\",\"kind\":\"heartbeat\",\"counter\":12,"
                           "\"t\":\"" T0 "\",\"battery_pct\":87.5,\"rssi_dbm\":-97}");
    CU_ASSERT_EQUAL(n, (int)strlen(buf));
    /* signed: the bytes of the hand-written prefix, signed by the test's own HMAC */
    struct bf_ugs_msg e = {.kind = BF_UGS_EVENT, .counter = 42, .t_us = T0_US,
                           .type = BF_UGS_SEISMIC, .confidence = 0.8, .bearing_deg = NAN,
                           .sigma_bearing_deg = NAN};
    snprintf(e.sensor, sizeof e.sensor, "ugs-7");
    char want[512];
    sign(PREFIX, key, 32, want, sizeof want);
    n = bf_ugs_encode(&e, key, 32, buf, sizeof buf);
    CU_ASSERT_STRING_EQUAL(buf, want);
    CU_ASSERT_EQUAL(n, (int)strlen(want));
    /* round trip with every optional member */
    e.bearing_deg = 359.99999999;   /* written as 0, not 360 */
    e.sigma_bearing_deg = 3.5;
    e.exercise = true;
    e.counter = 43;
    CU_ASSERT_TRUE_FATAL(bf_ugs_encode(&e, key, 32, buf, sizeof buf) > 0);
    struct bf_ugs_msg d;
    struct bf_ugs_error err;
    CU_ASSERT_EQUAL_FATAL(decode(&keyed_ctx, buf, &d, &err), 0);
    CU_ASSERT_TRUE(d.authenticated);
    CU_ASSERT_TRUE(d.exercise);
    BF_ASSERT_NEAR(d.bearing_deg, 0, 0);
    BF_ASSERT_NEAR(d.sigma_bearing_deg, 3.5, 0);
    CU_ASSERT_EQUAL(d.counter, 43);
    /* refusals: does not fit, bad id, out of range */
    CU_ASSERT_EQUAL(bf_ugs_encode(&e, key, 32, buf, 40), BF_ERANGE);
    CU_ASSERT_EQUAL(bf_ugs_encode(&e, key, 32, buf, strlen(want)), BF_ERANGE);
    e.confidence = 1.01;
    CU_ASSERT_EQUAL(bf_ugs_encode(&e, key, 32, buf, sizeof buf), BF_EINVAL);
    e.confidence = 0.5;
    snprintf(e.sensor, sizeof e.sensor, "ugs\"7");
    CU_ASSERT_EQUAL(bf_ugs_encode(&e, key, 32, buf, sizeof buf), BF_EINVAL);
}

static void test_key_from_hex(void)
{
    unsigned char k[BF_UGS_KEY_MAX];
    size_t n = 0;
    char err[160];
    CU_ASSERT_EQUAL(bf_ugs_key_from_hex(KEY_HEX "\n", strlen(KEY_HEX) + 1, k, &n, err,
                                        sizeof err), 0);
    CU_ASSERT_EQUAL(n, 32);
    CU_ASSERT_EQUAL(memcmp(k, key, 32), 0);
    CU_ASSERT_EQUAL(bf_ugs_key_from_hex("  0A0b0C0d0E0f10111213141516171819\r\n", 36, k, &n, err,
                                        sizeof err), 0);
    CU_ASSERT_EQUAL(n, 16);
    CU_ASSERT_EQUAL(k[0], 0x0a);
    CU_ASSERT_EQUAL(k[15], 0x19);
    CU_ASSERT_EQUAL(bf_ugs_key_from_hex("0a0b0c", 6, k, &n, err, sizeof err), BF_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "openssl rand -hex 32"));
    CU_ASSERT_EQUAL(bf_ugs_key_from_hex(KEY_HEX "0", strlen(KEY_HEX) + 1, k, &n, err, sizeof err),
                    BF_EINVAL);
    CU_ASSERT_EQUAL(bf_ugs_key_from_hex("secret password that is long enough!", 36, k, &n, err,
                                        sizeof err), BF_EINVAL);
    CU_ASSERT_PTR_NULL(strstr(err, "secret"));
}

/* ---- the plugin on the recording host ----------------------------------- */

static struct fake_host fake;
static bf_sensor_msg_fn sub_fn;
static void *sub_state;
static char sub_topic[160];
static struct bf_geo_frame *frame;
static _Alignas(16) unsigned char plugin_state[4096];

static int rec_subscribe(void *ctx, const char *filter, bf_sensor_msg_fn fn, void *state)
{
    (void)ctx;
    snprintf(sub_topic, sizeof sub_topic, "%s", filter);
    sub_fn = fn;
    sub_state = state;
    return 0;
}

static int plugin_setup(void)
{
    setup();
    return bf_geo_frame_create(46.80, 8.20, NULL, &frame, NULL, 0) < 0;
}

static int plugin_teardown(void)
{
    bf_geo_frame_destroy(frame);
    it_rm_tree(bf_test_tmpdir());   /* the key files */
    return 0;
}

/* Open the real plugin with options (JSON text or NULL) and range_m; returns open()'s code. */
static int open_plugin(const char *options, double range_m, cJSON **opt_out)
{
    const struct bf_sensor_ops *ops = bf_sensor_builtin("ugs");
    CU_ASSERT_PTR_NOT_NULL_FATAL(ops);
    CU_ASSERT_TRUE_FATAL(ops->state_size <= sizeof plugin_state);
    fake_host_init(&fake);
    fake.host.subscribe = rec_subscribe;
    sub_fn = NULL;
    memset(plugin_state, 0, sizeof plugin_state);
    *opt_out = options ? cJSON_Parse(options) : NULL;
    struct bf_sensor_config cfg = {
        .abi_version = BF_SENSOR_ABI, .site = "it", .id = "ugs-7", .index = 2,
        .lat_deg = 46.80, .lon_deg = 8.21, .e_m = 762.5, .n_m = 3.5, .range_m = range_m,
        .sigma_bearing_deg = 6, .options = *opt_out, .frame = frame,
    };
    return ops->open(plugin_state, &cfg, &fake.host);
}

static void close_plugin(cJSON *opt)
{
    bf_sensor_builtin("ugs")->close(plugin_state);
    cJSON_Delete(opt);
    fake_host_destroy(&fake);
}

static void feed(const char *msg)
{
    sub_fn(sub_state, sub_topic, msg, strlen(msg));
}

static const char *write_key(const char *name, mode_t mode)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", bf_test_tmpdir(), name);
    FILE *f = fopen(path, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fputs(KEY_HEX "\n", f);
    fclose(f);
    chmod(path, mode);
    return path;
}

static void test_plugin_events(void)
{
    cJSON *opt;
    CU_ASSERT_EQUAL_FATAL(open_plugin("{\"radius_m\":{\"pir\":12},\"class_hints\":{\"pir\":"
                                      "{\"person\":1,\"animal\":0.5}}}", 30, &opt), 0);
    CU_ASSERT_STRING_EQUAL(sub_topic, "borderfuse/it/sensors/ugs-7/ugs");
    CU_ASSERT_PTR_NOT_NULL_FATAL(sub_fn);
    feed("{\"sensor\":\"ugs-7\",\"kind\":\"event\",\"counter\":1,\"t\":\"" T0 "\","
         "\"type\":\"pir\",\"confidence\":0.5}");
    feed("{\"sensor\":\"ugs-7\",\"kind\":\"event\",\"counter\":2,\"t\":\"" T0 "\","
         "\"type\":\"seismic\",\"confidence\":1}");
    feed("{\"sensor\":\"ugs-7\",\"kind\":\"event\",\"counter\":3,\"t\":\"" T0 "\","
         "\"type\":\"acoustic\",\"confidence\":1,\"bearing_deg\":90}");
    feed("{\"sensor\":\"ugs-7\",\"kind\":\"heartbeat\",\"counter\":4,\"t\":\"" T0 "\","
         "\"battery_pct\":64,\"temperature_c\":3}");
    feed("{\"sensor\":\"ugs-7\",\"kind\":\"heartbeat\",\"counter\":4,\"t\":\"" T0 "\","
         "\"battery_pct\":10}");                                   /* replayed counter */
    feed("{\"sensor\":\"ugs-8\",\"kind\":\"heartbeat\",\"counter\":5,\"t\":\"" T0 "\","
         "\"battery_pct\":10}");                                   /* another sensor */
    CU_ASSERT_EQUAL_FATAL(fake.n_dets, 7);   /* 3 x (detection + marker) + heartbeat */
    const struct bf_detection *d = fake.dets;
    CU_ASSERT_EQUAL(d[0].kind, BF_MEAS_PRESENCE);
    BF_ASSERT_NEAR(d[0].z[0], 12, 0);                            /* option radius */
    CU_ASSERT_EQUAL(d[0].t_us, T0_US);
    CU_ASSERT_EQUAL(d[0].sensor_idx, 2);
    BF_ASSERT_NEAR(d[0].sensor_e_m, 762.5, 0);
    BF_ASSERT_NEAR(d[0].sensor_n_m, 3.5, 0);
    CU_ASSERT(d[0].flags & BF_DET_F_CLASS);
    BF_ASSERT_NEAR(d[0].class_lik[BF_CLASS_PERSON], 1.0, 1e-6);    /* 1 - 0.5 (1 - 1) */
    BF_ASSERT_NEAR(d[0].class_lik[BF_CLASS_ANIMAL], 0.75, 1e-6);   /* 1 - 0.5 (1 - 0.5) */
    BF_ASSERT_NEAR(d[0].class_lik[BF_CLASS_VEHICLE], 0.5, 1e-6);   /* 1 - 0.5 (1 - 0) */
    CU_ASSERT_EQUAL(d[1].kind, BF_MEAS_SCAN);
    CU_ASSERT_EQUAL(d[1].t_us, T0_US);
    CU_ASSERT_EQUAL(d[1].seq, d[0].seq + 1);
    CU_ASSERT_EQUAL(d[2].kind, BF_MEAS_PRESENCE);
    BF_ASSERT_NEAR(d[2].z[0], 30, 0);                            /* default seismic radius */
    BF_ASSERT_NEAR(d[2].class_lik[BF_CLASS_ANIMAL], 0.7, 1e-6);  /* default seismic hints */
    BF_ASSERT_NEAR(d[2].class_lik[BF_CLASS_VESSEL], 0.1, 1e-6);
    CU_ASSERT_EQUAL(d[4].kind, BF_MEAS_BEARING);
    double gamma;
    CU_ASSERT_EQUAL(bf_geo_convergence(frame, 46.80, 8.21, &gamma), 0);
    CU_ASSERT_TRUE(fabs(gamma) > 1e-5);                          /* east of the origin: not 0 */
    BF_ASSERT_NEAR(d[4].z[0], M_PI / 2 + gamma, 1e-12);
    BF_ASSERT_NEAR(d[4].R[0][0], pow(6 * M_PI / 180, 2), 1e-15);  /* the sensor's sigma */
    CU_ASSERT_EQUAL(d[5].kind, BF_MEAS_SCAN);
    CU_ASSERT_EQUAL(d[6].kind, BF_MEAS_HEARTBEAT);
    CU_ASSERT_EQUAL(d[6].t_us, T0_US);
    BF_ASSERT_NEAR(fake_host_health(&fake, 2, "battery_pct"), 64, 0);
    BF_ASSERT_NEAR(fake_host_health(&fake, 2, "temperature_c"), 3, 0);
    CU_ASSERT_TRUE(isnan(fake_host_health(&fake, 2, "rssi_dbm")));
    CU_ASSERT_EQUAL(fake.good, 4);
    CU_ASSERT_EQUAL(fake.last_good_t, T0_US);
    CU_ASSERT_EQUAL(fake.faults[BF_FAULT_AUTH], 1);
    CU_ASSERT_EQUAL(fake.faults[BF_FAULT_IDENTITY], 1);
    close_plugin(opt);
}

static void test_plugin_keyed(void)
{
    char opts[700];
    snprintf(opts, sizeof opts, "{\"hmac_key_file\":\"%s\",\"require_hmac\":false}",
             write_key("optional.key", 0600));
    cJSON *opt;
    CU_ASSERT_EQUAL_FATAL(open_plugin(opts, 50, &opt), 0);
    char msg[512];
    /* unsigned messages are accepted but do not move the counter ... */
    feed("{\"sensor\":\"ugs-7\",\"kind\":\"heartbeat\",\"counter\":1000,\"t\":\"" T0 "\","
         "\"battery_pct\":50}");
    /* ... so a signed one below it still gets through */
    sign("{\"sensor\":\"ugs-7\",\"kind\":\"heartbeat\",\"counter\":10,\"t\":\"" T0 "\","
         "\"battery_pct\":51", key, 32, msg, sizeof msg);
    feed(msg);
    feed(msg);                                               /* the same again: replay */
    msg[strlen(msg) - 3] ^= 1;                               /* a tag byte */
    feed(msg);
    /* an unsigned one at or below the signed counter is a replay too */
    feed("{\"sensor\":\"ugs-7\",\"kind\":\"heartbeat\",\"counter\":10,\"t\":\"" T0 "\","
         "\"battery_pct\":50}");
    CU_ASSERT_EQUAL(fake.good, 2);
    CU_ASSERT_EQUAL(fake.faults[BF_FAULT_AUTH], 3);
    BF_ASSERT_NEAR(fake_host_health(&fake, 2, "battery_pct"), 51, 0);
    close_plugin(opt);

    /* required: unsigned refused */
    snprintf(opts, sizeof opts, "{\"hmac_key_file\":\"%s\"}", write_key("required.key", 0600));
    CU_ASSERT_EQUAL_FATAL(open_plugin(opts, 50, &opt), 0);
    feed("{\"sensor\":\"ugs-7\",\"kind\":\"heartbeat\",\"counter\":1,\"t\":\"" T0 "\","
         "\"battery_pct\":50}");
    CU_ASSERT_EQUAL(fake.good, 0);
    CU_ASSERT_EQUAL(fake.faults[BF_FAULT_AUTH], 1);
    CU_ASSERT_EQUAL(fake.n_dets, 0);
    close_plugin(opt);
}

static void test_plugin_options(void)
{
    static const char *const bad[] = {
        "{\"hmac_keyfile\":\"x\"}",
        "{\"require_hmac\":true}",
        "{\"require_hmac\":\"yes\"}",
        "{\"radius_m\":{\"radar\":10}}",
        "{\"radius_m\":{\"pir\":0}}",
        "{\"radius_m\":30}",
        "{\"class_hints\":{\"pir\":{\"ghost\":1}}}",
        "{\"class_hints\":{\"pir\":{\"person\":2}}}",
        "{\"class_hints\":{\"pir\":{\"person\":0}}}",
        "{\"hmac_key_file\":\"/nonexistent/ugs.key\"}",
    };
    cJSON *opt;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CU_ASSERT_EQUAL(open_plugin(bad[i], 50, &opt) < 0, true);
        CU_ASSERT_PTR_NULL(sub_fn);
        close_plugin(opt);
    }
    /* a key file others can read is refused; the same file chmod 600 is fine */
    char opts[700];
    const char *path = write_key("loose.key", 0640);
    snprintf(opts, sizeof opts, "{\"hmac_key_file\":\"%s\"}", path);
    CU_ASSERT_EQUAL(open_plugin(opts, 50, &opt), BF_EINVAL);
    close_plugin(opt);
    chmod(path, 0600);
    CU_ASSERT_EQUAL(open_plugin(opts, 50, &opt), 0);
    close_plugin(opt);
    /* a key that is not hex */
    snprintf(opts, sizeof opts, "%s/text.key", bf_test_tmpdir());
    FILE *f = fopen(opts, "w");
    fputs("correct horse battery staple", f);
    fclose(f);
    chmod(opts, 0600);
    char o2[800];
    snprintf(o2, sizeof o2, "{\"hmac_key_file\":\"%s\"}", opts);
    CU_ASSERT_EQUAL(open_plugin(o2, 50, &opt), BF_EINVAL);
    close_plugin(opt);
    /* coverage wider than the sensor senses (the engine's 10 km default) */
    CU_ASSERT_EQUAL(open_plugin(NULL, 10000, &opt), BF_EINVAL);
    close_plugin(opt);
    CU_ASSERT_EQUAL(open_plugin("{\"radius_m\":{\"acoustic\":400}}", 400, &opt), 0);
    close_plugin(opt);
}

static CU_TestInfo codec_tests[] = {
    {"events of each type", test_events_each_type},
    {"heartbeats", test_heartbeats},
    {"good hmac over a hand-written prefix", test_good_hmac},
    {"forged hmac: body byte, tag byte, other key", test_forged_hmac},
    {"missing hmac", test_missing_hmac},
    {"tail not exactly the hmac member", test_tail_not_exact},
    {"replayed and equal counters", test_replay},
    {"identity, time, range", test_identity_time_range},
    {"malformed", test_malformed},
    {"encoder", test_encoder},
    {"key from hex", test_key_from_hex},
    CU_TEST_INFO_NULL,
};

static CU_TestInfo plugin_tests[] = {
    {"events, heartbeats, replay, identity", test_plugin_events},
    {"keyed sensor: optional and required", test_plugin_keyed},
    {"options refused", test_plugin_options},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"sensors/ugs codec", setup, NULL, NULL, NULL, codec_tests},
    {"sensors/ugs plugin", plugin_setup, plugin_teardown, NULL, NULL, plugin_tests},
    CU_SUITE_INFO_NULL,
};

int main(void)
{
    return bf_test_main(suites);
}
