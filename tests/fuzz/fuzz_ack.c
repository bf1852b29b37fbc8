/*
 * fuzz_ack.c - libFuzzer harness for the operator request parser
 * (bf_ack_parse): any bytes, on alerts/ack or on alerts/ack/<operator> with
 * a good, an empty or a fuzzed suffix, must be read or refused with a reason,
 * never crash or read out of bounds.  What is accepted must hold the
 * documented values (a lower-case UUID, a known action, a name without
 * topic characters, a unit exactly for assign), every string field must be
 * terminated within its buffer, and the reply and the audit line written
 * from the outcome must be JSON objects that say the same thing.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "alerts/alerts.h"
#include "delivery/delivery.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define TERMINATED(f) (memchr((f), '\0', sizeof(f)) != NULL)

static void check_name(const char *s)
{
    if (!s[0])
        abort();
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7f || *p == '/' || *p == '+' || *p == '#')
            abort();
}

static void check_uuid(const char *s)
{
    if (strlen(s) != 36)
        abort();
    for (int i = 0; i < 36; i++) {
        char c = s[i];
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? c != '-' : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            abort();
    }
}

/* A JSON object whose "ok" (or "result" == "ok") is ok. */
static void check_json(const char *text, const char *key, bool ok)
{
    cJSON *j = cJSON_Parse(text);
    if (!cJSON_IsObject(j))
        abort();
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);
    bool said = cJSON_IsBool(v) ? cJSON_IsTrue(v)
                                : cJSON_IsString(v) && strcmp(v->valuestring, "ok") == 0;
    if (said != ok)
        abort();
    cJSON_Delete(j);
}

static void one(const uint8_t *data, size_t size, const char *topic_op)
{
    struct bf_ack_request r;
    memset(&r, 0xa5, sizeof r);   /* the parser must set every field */
    int rc = bf_ack_parse(data, size, topic_op, &r);
    if (!TERMINATED(r.request_id) || !TERMINATED(r.alert_id) || !TERMINATED(r.action_text) ||
        !TERMINATED(r.operator_id) || !TERMINATED(r.payload_operator) || !TERMINATED(r.unit) ||
        !TERMINATED(r.note) || !TERMINATED(r.error))
        abort();
    if ((rc == 0) != (r.error[0] == '\0') || (rc != 0 && rc != -4 /* BF_EPARSE */))
        abort();
    if (r.alert_id[0])
        check_uuid(r.alert_id);
    if (r.operator_id[0])
        check_name(r.operator_id);
    if (rc == 0) {
        if (r.action < BF_ACK_ACKNOWLEDGE || r.action > BF_ACK_FALSE_ALARM)
            abort();
        check_uuid(r.alert_id);
        check_name(r.operator_id);
        if ((r.action == BF_ACK_ASSIGN) != (r.unit[0] != '\0'))
            abort();
        if (topic_op && (!r.operator_from_topic || strcmp(r.operator_id, topic_op) != 0))
            abort();
    }
    /* the outcome as the engine writes it: refused here, or accepted by an alerter */
    struct bf_ack_result res = {.ok = rc == 0, .state = rc == 0 ? BF_ALERT_ACKNOWLEDGED : 0,
                                .seq = 1, .t_us = 1772330000000000};
    char buf[8192];
    if (bf_ack_reply_json(&r, rc == 0 ? &res : NULL, buf, sizeof buf) <= 0)
        abort();
    check_json(buf, "ok", rc == 0);
    if (bf_audit_format(1772330000000000, &r, rc == 0 ? &res : NULL, buf, sizeof buf) <= 0)
        abort();
    check_json(buf, "result", rc == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    one(data, size, NULL);
    one(data, size, "alice");
    one(data, size, "");
    /* the first line of the input as the topic suffix, the rest as the payload */
    const uint8_t *nl = memchr(data, '\n', size < 80 ? size : 80);
    if (nl) {
        size_t k = (size_t)(nl - data);
        char suffix[81];
        memcpy(suffix, data, k);
        suffix[k] = '\0';
        if (strlen(suffix) == k)
            one(nl + 1, size - k - 1, suffix);
    }
    return 0;
}
