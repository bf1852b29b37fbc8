/*
 * engine_operators.c - operators acting on alerts (docs/alerts.md,
 * "Operators"): requests in on alerts/ack and alerts/ack/<operator>, answers
 * out on alerts/result, every request in the audit log.
 *
 * Requests arrive on Paho's thread, are parsed and checked there by pure
 * functions (bf_ack_parse; bf_ack_authorize: a name the "operators" section
 * does not list, a sensor's id, the bare alerts/ack topic when the site
 * requires the broker-vouched form - all refused) and queued in a bounded
 * inbox; the engine thread takes them
 * after each release of detections, so an operator acts on the alerts as
 * they stand, and the alerter stays single-threaded.  A full inbox, a
 * malformed request or a refusal by the alerter is answered, audited and
 * counted, never fatal; what is still queued at stop is audited as refused.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/bf_error.h"
#include "core/bf_log.h"
#include "engine/engine_int.h"

/* ---- operators: alerts/ack in, alerts/result out (docs/alerts.md) -------- */

#define ACK_INBOX 64            /* requests waiting for the engine thread */
#define ACK_LOG_FIRST 16        /* refusals logged one by one; then at powers of two */

/* Log a refusal readably, without flooding: the first ACK_LOG_FIRST, then 32, 64, ... */
static bool ack_log_refusal(uint64_t n)
{
    return n <= ACK_LOG_FIRST || (n & (n - 1)) == 0;
}

/* The reply on alerts/result and the audit line of one request (any thread). */
static void ack_answer(struct bf_engine *e, const struct bf_ack_request *req,
                       const struct bf_ack_result *res)
{
    char buf[2048];
    int n = bf_ack_reply_json(req, res, buf, sizeof buf);
    if (n > 0 && e->mqtt_out)
        bf_mqtt_publish(e->mqtt_out, e->topic_result, buf, (size_t)n, 1, false);
    if (e->audit && bf_audit_write(e->audit, bf_clock_realtime(NULL), req, res) < 0) {
        uint64_t k = atomic_fetch_add(&e->audit_errors, 1) + 1;
        if ((k & (k - 1)) == 0)
            BF_LOGE("operator", "audit log write failed (%" PRIu64 " so far): %s %s of alert %s "
                    "is not in the audit log", k, req->operator_id[0] ? req->operator_id : "?",
                    req->action_text[0] ? req->action_text : "?",
                    req->alert_id[0] ? req->alert_id : "?");
    }
}

/* A refused request: counted, logged (bounded), answered and audited. */
static void ack_refuse(struct bf_engine *e, const struct bf_ack_request *req,
                       const struct bf_ack_result *res, const char *why)
{
    uint64_t k = atomic_fetch_add(&e->ack_refused, 1) + 1;
    if (ack_log_refusal(k))
        BF_LOGW("operator", "refused %s of alert %s by %s (request %s): %s%s",
                req->action_text[0] ? req->action_text : "(no action)",
                req->alert_id[0] ? req->alert_id : "(no id)",
                req->operator_id[0] ? req->operator_id : "(nobody)",
                req->has_request_id ? req->request_id : "-", why,
                k == ACK_LOG_FIRST ? "; further refusals are counted in status and logged at "
                                     "powers of two" : "");
    ack_answer(e, req, res);
}

/* Paho's thread: a request on alerts/ack or alerts/ack/<operator>.  Parsed here (pure),
 * acted on by the engine thread; a full inbox is refused at once. */
static void on_ack(void *ctx, const char *topic, const void *payload, size_t len)
{
    struct bf_engine *e = ctx;
    size_t blen = strlen(e->topic_ack);
    if (strncmp(topic, e->topic_ack, blen) != 0 || (topic[blen] != '\0' && topic[blen] != '/'))
        return;   /* not ours (cannot happen with our two filters) */
    const char *suffix = topic[blen] == '/' ? topic + blen + 1 : NULL;
    atomic_fetch_add(&e->ack_requests, 1);
    struct bf_ack_request req;
    if (bf_ack_parse(payload, len, suffix, &req) == 0)
        bf_ack_authorize(&req, &e->ack_auth);   /* a refusal is answered and audited below */
    pthread_mutex_lock(&e->ack_mu);
    bool queued = e->ack_n < ACK_INBOX;
    if (queued) {
        e->ack_inbox[(e->ack_head + e->ack_n) % ACK_INBOX] = req;
        e->ack_n++;
    }
    pthread_mutex_unlock(&e->ack_mu);
    if (!queued) {
        atomic_fetch_add(&e->ack_overflow, 1);
        struct bf_ack_result res = {.ok = false, .t_us = BF_TIME_NONE};
        snprintf(res.error, sizeof res.error, "engine busy: %d operator requests waiting; "
                 "send it again", ACK_INBOX);
        ack_refuse(e, &req, &res, res.error);
    }
}

/* Engine thread: act on what the inbox holds. */
void bf_eng_drain_acks(struct bf_engine *e)
{
    if (!e->ack_inbox)
        return;
    for (;;) {
        struct bf_ack_request req;
        pthread_mutex_lock(&e->ack_mu);
        bool have = e->ack_n > 0;
        if (have) {
            req = e->ack_inbox[e->ack_head];
            e->ack_head = (e->ack_head + 1) % ACK_INBOX;
            e->ack_n--;
        }
        pthread_mutex_unlock(&e->ack_mu);
        if (!have)
            return;
        if (req.error[0]) {
            ack_refuse(e, &req, NULL, req.error);
            continue;
        }
        /* the action's event time: the alert's last change or the engine's time, the later */
        struct bf_ack_result res;
        bf_alerter_act(e->alerter, &req, bf_reorder_released(e->reorder), &res);
        if (!res.ok) {
            ack_refuse(e, &req, &res, res.error);
            continue;
        }
        atomic_fetch_add(&e->ack_accepted, 1);
        /* (the note, free text, is in the audit log, not in this one) */
        BF_LOGI("operator", "%s: %s %s alert %s (track %" PRIu32 ")%s%s -> %s, seq %" PRIu64,
                req.operator_id, bf_ack_action_name(req.action), bf_alert_type_name(res.type),
                req.alert_id, res.track_id, req.unit[0] ? ", unit " : "", req.unit,
                bf_alert_state_name(res.state), res.seq);
        ack_answer(e, &req, &res);
    }
}

/*
 * Open the audit log and subscribe to the operators' topics (live engine
 * only).  The log is --audit, else alerts.audit_log, else "audit.jsonl"
 * beside the journal in effect (so a --journal elsewhere takes it along);
 * none without a journal (tests).
 */
int bf_eng_open_operators(struct bf_engine *e)
{
    const char *path = e->opt.audit_path ? e->opt.audit_path : e->alert_params.audit_path;
    char beside[1024];
    const char *jp = e->alert_params.journal_path;
    if (!path && jp) {
        const char *slash = strrchr(jp, '/');
        int dl = slash ? (int)(slash - jp + 1) : 0;
        if (snprintf(beside, sizeof beside, "%.*saudit.jsonl", dl, jp) < (int)sizeof beside)
            path = beside;
    }
    const struct bf_operators_cfg *oc = &e->cfg->operators;
    e->ack_auth = (struct bf_ack_authority){
        .names = oc->names, .n_names = oc->n_names,
        .sensor_ids = bf_eng_sensor_ids(e), .n_sensor_ids = BF_MAX_SENSORS,
        .require_topic_name = oc->require_topic_name,
    };
    if (oc->n_names == 0)
        BF_LOGW(ENGINE_LOG, "operators.names is not set: any name but a sensor's may act on "
                "alerts; name the operators in the configuration (docs/operators.md)");
    else
        BF_LOGI(ENGINE_LOG, "%zu operator%s may act on alerts%s", oc->n_names,
                oc->n_names == 1 ? "" : "s", oc->require_topic_name
                ? ", on alerts/ack/<name> only" : "");
    e->ack_inbox = calloc(ACK_INBOX, sizeof *e->ack_inbox);
    if (!e->ack_inbox)
        return BF_ENOMEM;
    pthread_mutex_init(&e->ack_mu, NULL);
    if (path) {
        int rc = bf_audit_open(path, &e->audit);
        if (rc < 0) {
            BF_LOGE(ENGINE_LOG, "operator audit log %s cannot be opened (%s): check "
                    "alerts.audit_log or --audit", path, bf_strerror(rc));
            return rc;
        }
        BF_LOGI(ENGINE_LOG, "operator actions: %s and %s/+ answered on %s, audited in %s",
                e->topic_ack, e->topic_ack, e->topic_result, path);
    }
    char filter[200];
    snprintf(filter, sizeof filter, "%s/+", e->topic_ack);
    int rc = bf_mqtt_subscribe(e->mqtt_in, e->topic_ack, 1, on_ack, e);
    if (rc == 0)
        rc = bf_mqtt_subscribe(e->mqtt_in, filter, 1, on_ack, e);
    if (rc < 0)
        BF_LOGE(ENGINE_LOG, "cannot subscribe to %s (%s)", e->topic_ack, bf_strerror(rc));
    return rc;
}

/* After the MQTT connections are gone (no on_ack any more): what the inbox still holds
 * was not acted on; it is audited as refused (nobody can be answered now). */
void bf_eng_close_operators(struct bf_engine *e)
{
    if (!e->ack_inbox)
        return;
    for (; e->ack_n > 0; e->ack_n--, e->ack_head = (e->ack_head + 1) % ACK_INBOX) {
        struct bf_ack_result res = {.ok = false, .t_us = BF_TIME_NONE};
        snprintf(res.error, sizeof res.error, "engine stopped before acting on it; send it again");
        if (e->audit)
            bf_audit_write(e->audit, bf_clock_realtime(NULL), &e->ack_inbox[e->ack_head], &res);
    }
    bf_audit_close(e->audit);
    e->audit = NULL;
    pthread_mutex_destroy(&e->ack_mu);
    free(e->ack_inbox);
    e->ack_inbox = NULL;
}

/* Status: "operators": requests, accepted, refused, ... */
void bf_eng_status_operators(struct bf_engine *e, cJSON *root, const struct bf_alerter_stats *as)
{
    cJSON *o = cJSON_AddObjectToObject(root, "operators");
    cJSON_AddNumberToObject(o, "requests", (double)atomic_load(&e->ack_requests));
    cJSON_AddNumberToObject(o, "accepted", (double)atomic_load(&e->ack_accepted));
    cJSON_AddNumberToObject(o, "refused", (double)atomic_load(&e->ack_refused));
    cJSON_AddNumberToObject(o, "inbox_overflow", (double)atomic_load(&e->ack_overflow));
    cJSON_AddNumberToObject(o, "audit_errors", (double)atomic_load(&e->audit_errors));
    cJSON_AddNumberToObject(o, "false_alarms", (double)as->false_alarms);
    cJSON_AddNumberToObject(o, "closed_keys", as->closed_keys);
    cJSON_AddNumberToObject(o, "reraise_blocked", (double)as->reraise_blocked);
}
