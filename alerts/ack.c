/*
 * ack.c - reading an operator's request (borderfuse/<site>/alerts/ack) and
 * writing the engine's reply (borderfuse/<site>/alerts/result).
 *
 * The problem: the request comes from outside - a browser page, a script,
 * somebody's test tool - over MQTT, so it may be anything: not JSON, JSON of
 * the wrong shape, an action nobody knows, an id that is not an id, a name
 * long enough to overflow a buffer, bytes that are not UTF-8, a name in the
 * topic and another in the payload.  None of that may crash or confuse the
 * engine, and every refusal must say in words what was wrong, because a
 * person is waiting for the answer and the audit log keeps it.  So the
 * parser is a pure function (bytes and topic suffix in, a fixed-size struct
 * out, no I/O, no clock, no state: libFuzzer runs it in tests/fuzz/fuzz_ack.c)
 * that checks every field it knows against its bound, fills in whatever was
 * valid even when it refuses (the reply and the audit line echo it), and
 * names the first problem it found.
 *
 * Who acts: with a broker ACL (`pattern write borderfuse/+/alerts/ack/%u`)
 * the topic suffix is vouched for by the broker, so it wins over the
 * payload's "operator"; the payload's name is kept apart
 * (payload_operator) for the audit line when the two differ.
 */
#include "alerts/alerts_int.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "core/bf_error.h"

#define ACTIONS_TEXT "acknowledge, assign, resolve, false_alarm"

const char *bf_ack_action_name(enum bf_ack_action a)
{
    switch (a) {
    case BF_ACK_ACKNOWLEDGE: return "acknowledge";
    case BF_ACK_ASSIGN: return "assign";
    case BF_ACK_RESOLVE: return "resolve";
    case BF_ACK_FALSE_ALARM: return "false_alarm";
    case BF_ACK_NONE: break;
    }
    return NULL;
}

/* ---- text checks ----------------------------------------------------------- */

/* Well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates, <= U+10FFFF). */
static bool utf8_ok(const unsigned char *s, size_t n)
{
    uint32_t cp;
    for (size_t i = 0, k; i < n; i += k)
        if ((k = bf_utf8_next(s + i, n - i, &cp)) == 0)
            return false;
    return true;
}

enum text_kind {
    TEXT_NAME,   /* an operator: no control characters, none of / + # (a topic level) */
    TEXT_ID,     /* request id, unit id: no control characters */
    TEXT_NOTE,   /* free text: tab and line breaks allowed */
};

static bool text_ok(const char *s, size_t n, enum text_kind kind)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == 0x7f || (c < 0x20 && !(kind == TEXT_NOTE && (c == '\t' || c == '\n' || c == '\r'))))
            return false;
        if (kind == TEXT_NAME && (c == '/' || c == '+' || c == '#'))
            return false;
    }
    return utf8_ok((const unsigned char *)s, n);
}

/* Copy s (n < cap bytes) with its NUL. */
static void put(char *dst, size_t cap, const char *s, size_t n)
{
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, s, n);
    dst[n] = '\0';
}

/* The first problem found is the one reported. */
__attribute__((format(printf, 2, 3))) static void refuse(struct bf_ack_request *r, const char *fmt,
                                                           ...)
{
    if (r->error[0])
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->error, sizeof r->error, fmt, ap);
    va_end(ap);
}

enum member { ABSENT, GOOD, BAD };

/*
 * Member key of root as text of 1 .. cap-1 bytes (min_len 0 allows "") of
 * the given kind: GOOD (copied to dst), ABSENT (missing or null), or BAD.
 */
static enum member text_member(const cJSON *root, const char *key, enum text_kind kind,
                               size_t min_len, char *dst, size_t cap)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, key);
    if (!v || cJSON_IsNull(v))
        return ABSENT;
    if (!cJSON_IsString(v) || !v->valuestring)
        return BAD;
    size_t n = strlen(v->valuestring);
    if (n < min_len || n >= cap || !text_ok(v->valuestring, n, kind))
        return BAD;
    put(dst, cap, v->valuestring, n);
    return GOOD;
}

/* A UUID in its text form (8-4-4-4-12 hex digits), any case; written lower-case,
 * and only when it is one (out is untouched otherwise). */
static bool uuid_text(const char *s, char out[BF_ALERT_ID_LEN])
{
    char tmp[BF_ALERT_ID_LEN];
    if (strlen(s) != BF_ALERT_ID_LEN - 1)
        return false;
    for (size_t i = 0; i < BF_ALERT_ID_LEN - 1; i++) {
        char c = s[i];
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-')
                return false;
        } else if (c >= '0' && c <= '9') {
        } else if (c >= 'a' && c <= 'f') {
        } else if (c >= 'A' && c <= 'F') {
            c = (char)(c - 'A' + 'a');
        } else {
            return false;
        }
        tmp[i] = c;
    }
    tmp[BF_ALERT_ID_LEN - 1] = '\0';
    memcpy(out, tmp, sizeof tmp);
    return true;
}

/* ---- the request ---------------------------------------------------------- */

static void read_fields(const cJSON *root, const char *topic_operator, struct bf_ack_request *r)
{
    /* request_id: optional, echoed in the reply */
    switch (text_member(root, "request_id", TEXT_ID, 0, r->request_id, sizeof r->request_id)) {
    case GOOD: r->has_request_id = true; break;
    case BAD:
        refuse(r, "request_id must be text of at most %d bytes", BF_ACK_REQUEST_ID_MAX - 1);
        break;
    case ABSENT: break;
    }

    /* alert_id */
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(root, "alert_id");
    if (!id || cJSON_IsNull(id))
        refuse(r, "alert_id missing: the \"id\" of the alert to act on");
    else if (!cJSON_IsString(id) || !id->valuestring || !uuid_text(id->valuestring, r->alert_id))
        refuse(r, "alert_id is not an alert id (a UUID such as "
               "9cf1bec8-9072-51e8-824b-e6e246ec9741)");

    /* action */
    const cJSON *act = cJSON_GetObjectItemCaseSensitive(root, "action");
    if (!act || cJSON_IsNull(act)) {
        refuse(r, "action missing: one of " ACTIONS_TEXT);
    } else if (!cJSON_IsString(act) || !act->valuestring) {
        refuse(r, "action must be a string: one of " ACTIONS_TEXT);
    } else {
        const char *s = act->valuestring;
        size_t n = strlen(s);
        for (enum bf_ack_action k = BF_ACK_ACKNOWLEDGE; k <= BF_ACK_FALSE_ALARM; k++)
            if (strcmp(s, bf_ack_action_name(k)) == 0)
                r->action = k;
        if (n < sizeof r->action_text && text_ok(s, n, TEXT_ID))
            put(r->action_text, sizeof r->action_text, s, n);
        if (r->action == BF_ACK_NONE) {
            if (r->action_text[0])
                refuse(r, "unknown action \"%s\": one of " ACTIONS_TEXT, r->action_text);
            else
                refuse(r, "unknown action: one of " ACTIONS_TEXT);
        }
    }

    /* operator: the topic's suffix wins over the payload's */
    enum member pm = text_member(root, "operator", TEXT_NAME, 1, r->payload_operator,
                                 sizeof r->payload_operator);
    if (topic_operator) {
        size_t n = strlen(topic_operator);
        if (n == 0)
            refuse(r, "empty operator name in the topic: publish on alerts/ack/<operator> "
                   "or on alerts/ack");
        else if (n >= sizeof r->operator_id || !text_ok(topic_operator, n, TEXT_NAME))
            refuse(r, "operator name in the topic must be 1 to %d bytes of text",
                   BF_OPERATOR_MAX - 1);
        else {
            put(r->operator_id, sizeof r->operator_id, topic_operator, n);
            r->operator_from_topic = true;
        }
    } else if (pm == GOOD) {
        memcpy(r->operator_id, r->payload_operator, sizeof r->operator_id);
    } else if (pm == ABSENT) {
        refuse(r, "operator missing: name who acts in \"operator\" (or publish on "
               "alerts/ack/<operator>)");
    }
    if (pm == BAD)
        refuse(r, "operator must be 1 to %d bytes of text without control characters, "
               "'/', '+' or '#'", BF_OPERATOR_MAX - 1);

    /* unit: assign needs one; the other actions take none */
    char unit[BF_UNIT_ID_MAX];
    enum member um = text_member(root, "unit", TEXT_ID, 0, unit, sizeof unit);
    if (um == BAD)
        refuse(r, "unit must be text of 1 to %d bytes", BF_UNIT_ID_MAX - 1);
    else if (um == GOOD && unit[0]) {
        if (r->action == BF_ACK_ASSIGN || r->action == BF_ACK_NONE)
            memcpy(r->unit, unit, sizeof r->unit);
        else
            refuse(r, "unit is only for assign, not for %s", bf_ack_action_name(r->action));
    }
    if (r->action == BF_ACK_ASSIGN && !r->unit[0])
        refuse(r, "unit missing: assign needs the unit's id in \"unit\"");

    /* note: optional free text */
    if (text_member(root, "note", TEXT_NOTE, 0, r->note, sizeof r->note) == BAD)
        refuse(r, "note must be text of at most %d bytes", BF_ACK_NOTE_MAX - 1);
}

int bf_ack_parse(const void *payload, size_t len, const char *topic_operator,
                 struct bf_ack_request *out)
{
    memset(out, 0, sizeof *out);
    if (!payload && len > 0) {
        refuse(out, "no request");
        return BF_EPARSE;
    }
    if (len > BF_ACK_PAYLOAD_MAX) {
        refuse(out, "request too long (%zu bytes; at most %d)", len, BF_ACK_PAYLOAD_MAX);
    } else if (len == 0) {
        refuse(out, "empty request: expected a JSON object");
    } else if (memchr(payload, '\0', len)) {
        refuse(out, "not JSON: the request holds a NUL byte");
    } else {
        char text[BF_ACK_PAYLOAD_MAX + 1];
        memcpy(text, payload, len);
        text[len] = '\0';
        cJSON *root = cJSON_ParseWithOpts(text, NULL, true);
        if (!root)
            refuse(out, "not JSON: expected an object such as {\"alert_id\": \"...\", "
                   "\"action\": \"acknowledge\", \"operator\": \"alice\"}");
        else if (!cJSON_IsObject(root))
            refuse(out, "not a JSON object");
        else
            read_fields(root, topic_operator, out);
        cJSON_Delete(root);
    }
    /* a name the topic vouches for is known even when the payload is not readable */
    if (!out->operator_id[0] && topic_operator) {
        size_t n = strlen(topic_operator);
        if (n > 0 && n < sizeof out->operator_id && text_ok(topic_operator, n, TEXT_NAME)) {
            put(out->operator_id, sizeof out->operator_id, topic_operator, n);
            out->operator_from_topic = true;
        }
    }
    return out->error[0] ? BF_EPARSE : 0;
}

/* ---- authority ---------------------------------------------------------- */

bool bf_ack_operator_name_ok(const char *s)
{
    if (!s)
        return false;
    size_t n = strlen(s);
    return n > 0 && n < BF_OPERATOR_MAX && text_ok(s, n, TEXT_NAME);
}

int bf_ack_authorize(struct bf_ack_request *req, const struct bf_ack_authority *auth)
{
    if (!req)
        return BF_EINVAL;
    if (req->error[0])
        return BF_EPARSE;
    if (!auth)
        return 0;
    const char *who = req->operator_id;
    if (auth->require_topic_name && !req->operator_from_topic) {
        refuse(req, "\"%s\" on the bare alerts/ack topic, refused here: publish on "
               "alerts/ack/<name>", who);
        return BF_EINVAL;
    }
    for (size_t i = 0; i < auth->n_sensor_ids; i++)
        if (auth->sensor_ids[i] && strcmp(auth->sensor_ids[i], who) == 0) {
            refuse(req, "\"%s\" is a sensor, not an operator: sensors may not act on alerts",
                   who);
            return BF_EINVAL;
        }
    if (auth->n_names == 0)
        return 0;
    for (size_t i = 0; i < auth->n_names; i++)
        if (auth->names[i] && strcmp(auth->names[i], who) == 0)
            return 0;
    refuse(req, "\"%s\" is not an operator of this engine (operators.names)", who);
    return BF_EINVAL;
}

/* ---- the reply ---------------------------------------------------------------- */

int bf_ack_reply_json(const struct bf_ack_request *req, const struct bf_ack_result *res, char *buf,
                      size_t len)
{
    if (!req || !buf || len == 0 || len > INT32_MAX)
        return BF_EINVAL;
    bool ok = res && res->ok && !req->error[0];
    const char *err = req->error[0] ? req->error : res ? res->error : "refused";
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return BF_ENOMEM;
    if (req->has_request_id)
        bf_json_add_text(o, "request_id", req->request_id);
    else
        cJSON_AddNullToObject(o, "request_id");
    bf_json_add_text_or_null(o, "alert_id", req->alert_id);
    bf_json_add_text_or_null(o, "action", req->action != BF_ACK_NONE
                                              ? bf_ack_action_name(req->action)
                                              : req->action_text);
    cJSON_AddBoolToObject(o, "ok", ok);
    bf_json_add_text_or_null(o, "state", res && res->state ? bf_alert_state_name(res->state) : NULL);
    bf_json_add_text_or_null(o, "error", ok ? NULL : err[0] ? err : "refused");
    return bf_json_print_free(o, buf, len);
}
