/*
 * test_authority.c - who may act on alerts (bf_ack_authorize,
 * bf_ack_operator_name_ok) and the promise that no published text is
 * invalid UTF-8 (bf_tw_json_str, bf_utf8_clean, bf_alert_to_json, the reply
 * and the audit line fed bytes that are not UTF-8).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "alerts/alerts.h"
#include "alerts/alerts_int.h"
#include "delivery/delivery.h"
#include "bf_test.h"
#include "core/bf_error.h"

#define ID "9cf1bec8-9072-51e8-824b-e6e246ec9741"

/* Whole text well-formed UTF-8 (by the module's own decoder, itself tested in test_lifecycle). */
static bool utf8_ok(const char *s)
{
    size_t n = strlen(s);
    uint32_t cp;
    for (size_t i = 0, k; i < n; i += k)
        if ((k = bf_utf8_next((const unsigned char *)s + i, n - i, &cp)) == 0)
            return false;
    return true;
}

static const char *const names[] = {"alice", "bob"};
static const char *const sensors[] = {"radar-a", "ugs-1"};

/* Parse a false_alarm request from topic_op (NULL: the bare topic, the payload naming
 * payload_op) and authorize it under auth; the return code, the error in err. */
static int decide(const char *topic_op, const char *payload_op, const struct bf_ack_authority *auth,
                  char *err, size_t cap)
{
    char json[256];
    snprintf(json, sizeof json, "{\"alert_id\": \"" ID "\", \"action\": \"false_alarm\"%s%s%s}",
             payload_op ? ", \"operator\": \"" : "", payload_op ? payload_op : "",
             payload_op ? "\"" : "");
    struct bf_ack_request r;
    CU_ASSERT_EQUAL(bf_ack_parse(json, strlen(json), topic_op, &r), 0);
    int rc = bf_ack_authorize(&r, auth);
    snprintf(err, cap, "%s", r.error);
    CU_ASSERT_EQUAL(rc == 0, r.error[0] == '\0');
    return rc;
}

static void test_authorize(void)
{
    struct bf_ack_authority a = {.names = names, .n_names = 2, .sensor_ids = sensors,
                                 .n_sensor_ids = 2};
    char err[128];
    CU_ASSERT_EQUAL(decide("alice", NULL, &a, err, sizeof err), 0);
    CU_ASSERT_EQUAL(decide(NULL, "bob", &a, err, sizeof err), 0);   /* bare topic allowed here */
    CU_ASSERT_EQUAL(decide("ugs-1", NULL, &a, err, sizeof err), BF_EINVAL);
    CU_ASSERT_STRING_EQUAL(err, "\"ugs-1\" is a sensor, not an operator: sensors may not act on "
                                "alerts");
    CU_ASSERT_EQUAL(decide(NULL, "radar-a", &a, err, sizeof err), BF_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "is a sensor"));
    CU_ASSERT_EQUAL(decide("mallory", NULL, &a, err, sizeof err), BF_EINVAL);
    CU_ASSERT_STRING_EQUAL(err, "\"mallory\" is not an operator of this engine (operators.names)");
    CU_ASSERT_EQUAL(decide("Alice", NULL, &a, err, sizeof err), BF_EINVAL);   /* exact names */

    a.require_topic_name = true;
    CU_ASSERT_EQUAL(decide("alice", "bob", &a, err, sizeof err), 0);   /* the topic wins */
    CU_ASSERT_EQUAL(decide(NULL, "alice", &a, err, sizeof err), BF_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "bare alerts/ack topic, refused here"));

    /* no names: anybody but a sensor */
    struct bf_ack_authority open = {.sensor_ids = sensors, .n_sensor_ids = 2};
    CU_ASSERT_EQUAL(decide("mallory", NULL, &open, err, sizeof err), 0);
    CU_ASSERT_EQUAL(decide("ugs-1", NULL, &open, err, sizeof err), BF_EINVAL);
    CU_ASSERT_EQUAL(decide("ugs-1", NULL, NULL, err, sizeof err), 0);   /* no authority: as before */

    /* a request already refused by the parser keeps its reason */
    struct bf_ack_request r;
    CU_ASSERT_EQUAL(bf_ack_parse("{}", 2, "mallory", &r), BF_EPARSE);
    char before[128];
    snprintf(before, sizeof before, "%s", r.error);
    CU_ASSERT_EQUAL(bf_ack_authorize(&r, &a), BF_EPARSE);
    CU_ASSERT_STRING_EQUAL(r.error, before);
    CU_ASSERT_EQUAL(bf_ack_authorize(NULL, &a), BF_EINVAL);
}

static void test_operator_names(void)
{
    CU_ASSERT_TRUE(bf_ack_operator_name_ok("alice"));
    CU_ASSERT_TRUE(bf_ack_operator_name_ok("Jos\xc3\xa9"));
    CU_ASSERT_FALSE(bf_ack_operator_name_ok(""));
    CU_ASSERT_FALSE(bf_ack_operator_name_ok(NULL));
    CU_ASSERT_FALSE(bf_ack_operator_name_ok("a/b"));
    CU_ASSERT_FALSE(bf_ack_operator_name_ok("a+"));
    CU_ASSERT_FALSE(bf_ack_operator_name_ok("#"));
    CU_ASSERT_FALSE(bf_ack_operator_name_ok("tab\there"));
    CU_ASSERT_FALSE(bf_ack_operator_name_ok("Jos\xe9"));   /* Latin-1 */
    char longname[BF_OPERATOR_MAX + 1];
    memset(longname, 'a', BF_OPERATOR_MAX);
    longname[BF_OPERATOR_MAX] = '\0';
    CU_ASSERT_FALSE(bf_ack_operator_name_ok(longname));
    longname[BF_OPERATOR_MAX - 1] = '\0';
    CU_ASSERT_TRUE(bf_ack_operator_name_ok(longname));
}

static void test_json_str_utf8(void)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"plain", "\"plain\""},
        {"Gr\xc3\xa9nze", "\"Gr\xc3\xa9nze\""},                 /* UTF-8 kept */
        {"Gr\xe9nze", "\"Gr\xef\xbf\xbdnze\""},                 /* Latin-1 byte replaced */
        {"cut \xe2\x82", "\"cut \xef\xbf\xbd\xef\xbf\xbd\""},   /* a character cut short */
        {"\xc0\xaf", "\"\xef\xbf\xbd\xef\xbf\xbd\""},           /* overlong '/' */
        {"\xed\xa0\x80", "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\""},   /* a surrogate */
        {"q\"b\\\n\x01", "\"q\\\"b\\\\\\n\\u0001\""},
        {"\xf0\x9f\x98\x80", "\"\xf0\x9f\x98\x80\""},           /* 4 bytes kept */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[64];
        struct bf_tw w = {.buf = buf, .len = sizeof buf};
        buf[0] = '\0';
        bf_tw_json_str(&w, cases[i].in);
        CU_ASSERT_FALSE(w.overflow);
        CU_ASSERT_STRING_EQUAL(buf, cases[i].out);
        CU_ASSERT_TRUE(utf8_ok(buf));
    }
    char out[16];
    CU_ASSERT_EQUAL(bf_utf8_clean("a\xff" "b", out, sizeof out), 5);
    CU_ASSERT_STRING_EQUAL(out, "a\xef\xbf\xbd" "b");
    CU_ASSERT_EQUAL(bf_utf8_clean("ab\xff", out, 4), 2);   /* whole characters only */
    CU_ASSERT_STRING_EQUAL(out, "ab");
    CU_ASSERT_EQUAL(bf_utf8_clean(NULL, out, sizeof out), 0);
    CU_ASSERT_STRING_EQUAL(out, "");
}

/* Every published format, fed a zone name and operator texts that are not UTF-8. */
static void test_outputs_never_invalid(void)
{
    struct bf_alert a = {
        .id = ID, .seq = 7, .type = BF_ALERT_INCURSION, .severity = BF_SEV_HIGH,
        .state = BF_ALERT_NEW, .track_id = 42, .zone_idx = 0, .zone_id = "border",
        .first_us = 1700000000 * BF_US_PER_S, .last_us = 1700000001 * BF_US_PER_S,
        .lat_deg = 46.8, .lon_deg = 8.2, .cls = BF_CLASS_PERSON, .class_p = 0.9,
        .confidence = 0.8, .time_to_line_s = INFINITY, .dist_to_line_m = 3,
        .crossing_us = BF_TIME_NONE, .zone_kind = BF_ZONE_BORDER_LINE, .sensor_idx = -1,
        .dwell_s = NAN, .ack_us = BF_TIME_NONE, .intercept_lat = NAN, .intercept_lon = NAN,
        .camera_idx = -1,
    };
    snprintf(a.zone_name, sizeof a.zone_name, "Gr\xe9nze \xff");
    snprintf(a.reason, sizeof a.reason, "near Gr\xe9nze");
    static const char *const ids[] = {"radar-a"};
    char buf[8192];
    int n = bf_alert_to_json(&a, "demo", ids, 1, buf, sizeof buf);
    CU_ASSERT_TRUE_FATAL(n > 0);
    CU_ASSERT_TRUE(utf8_ok(buf));
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\"Gr\xef\xbf\xbdnze \xef\xbf\xbd\""));
    cJSON *j = cJSON_Parse(buf);
    CU_ASSERT_PTR_NOT_NULL(j);
    cJSON_Delete(j);

    /* a reply and an audit line whose fields hold bad bytes (set directly: the parser
     * would refuse them) come out as UTF-8 too */
    struct bf_ack_request r = {.alert_id = ID, .action = BF_ACK_RESOLVE, .has_request_id = true};
    snprintf(r.operator_id, sizeof r.operator_id, "al\xe9" "ce");
    snprintf(r.note, sizeof r.note, "note \xfe");
    snprintf(r.request_id, sizeof r.request_id, "r\xff");
    snprintf(r.error, sizeof r.error, "refused: \xe9");
    n = bf_ack_reply_json(&r, NULL, buf, sizeof buf);
    CU_ASSERT_TRUE(n > 0);
    CU_ASSERT_TRUE(utf8_ok(buf));
    n = bf_audit_format(1700000000 * BF_US_PER_S, &r, NULL, buf, sizeof buf);
    CU_ASSERT_TRUE(n > 0);
    CU_ASSERT_TRUE(utf8_ok(buf));
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\"al\xef\xbf\xbd" "ce\""));
    printf("\n  figure: audit line with replaced bytes: %s\n", buf);
}

static CU_TestInfo tests[] = {
    {"authorize: names, sensors' ids, the bare topic", test_authorize},
    {"operator names", test_operator_names},
    {"JSON strings are always UTF-8", test_json_str_utf8},
    {"alert, reply and audit line never invalid UTF-8", test_outputs_never_invalid},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"alerts/authority", NULL, NULL, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

int main(void) { return bf_test_main(suites); }
