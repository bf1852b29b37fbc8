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
 * The seam owns all of it (struct bf_eng_operators): the topics, the inbox,
 * the authority, the audit log and the counters the status shows.
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

struct bf_eng_operators {
    struct bf_mqtt *out;              /* answers go out here */
    struct bf_alerter *alerter;       /* acts on the requests (engine thread) */
    char topic_ack[160];              /* borderfuse/<site>/alerts/ack (and .../ack/+) */
    char topic_result[160];           /* borderfuse/<site>/alerts/result */
    struct bf_audit *audit;           /* NULL: no audit log */
    struct bf_ack_authority auth;     /* who may act (read on Paho's thread) */
    pthread_mutex_t mu;               /* guards the inbox */
    struct bf_ack_request inbox[ACK_INBOX];   /* a ring */
    size_t head, n;
    _Atomic uint64_t requests, accepted, refused, overflow, audit_errors;
};

/* Log a refusal readably, without flooding: the first ACK_LOG_FIRST, then 32, 64, ... */
static bool ack_log_refusal(uint64_t n)
{
    return n <= ACK_LOG_FIRST || (n & (n - 1)) == 0;
}

/* The reply on alerts/result and the audit line of one request (any thread). */
static void ack_answer(struct bf_eng_operators *o, const struct bf_ack_request *req,
                       const struct bf_ack_result *res)
{
    char buf[2048];
    int n = bf_ack_reply_json(req, res, buf, sizeof buf);
    if (n > 0 && o->out)
        bf_mqtt_publish(o->out, o->topic_result, buf, (size_t)n, 1, false);
    if (o->audit && bf_audit_write(o->audit, bf_clock_realtime(NULL), req, res) < 0) {
        uint64_t k = atomic_fetch_add(&o->audit_errors, 1) + 1;
        if ((k & (k - 1)) == 0)
            BF_LOGE("operator", "audit log write failed (%" PRIu64 " so far): %s %s of alert %s "
                    "is not in the audit log", k, req->operator_id[0] ? req->operator_id : "?",
                    req->action_text[0] ? req->action_text : "?",
                    req->alert_id[0] ? req->alert_id : "?");
    }
}

/* A refused request: counted, logged (bounded), answered and audited. */
static void ack_refuse(struct bf_eng_operators *o, const struct bf_ack_request *req,
                       const struct bf_ack_result *res, const char *why)
{
    uint64_t k = atomic_fetch_add(&o->refused, 1) + 1;
    if (ack_log_refusal(k))
        BF_LOGW("operator", "refused %s of alert %s by %s (request %s): %s%s",
                req->action_text[0] ? req->action_text : "(no action)",
                req->alert_id[0] ? req->alert_id : "(no id)",
                req->operator_id[0] ? req->operator_id : "(nobody)",
                req->has_request_id ? req->request_id : "-", why,
                k == ACK_LOG_FIRST ? "; further refusals are counted in status and logged at "
                                     "powers of two" : "");
    ack_answer(o, req, res);
}

/* Paho's thread: a request on alerts/ack or alerts/ack/<operator>.  Parsed here (pure),
 * acted on by the engine thread; a full inbox is refused at once. */
static void on_ack(void *ctx, const char *topic, const void *payload, size_t len)
{
    struct bf_eng_operators *o = ctx;
    size_t blen = strlen(o->topic_ack);
    if (strncmp(topic, o->topic_ack, blen) != 0 || (topic[blen] != '\0' && topic[blen] != '/'))
        return;   /* not ours (cannot happen with our two filters) */
    const char *suffix = topic[blen] == '/' ? topic + blen + 1 : NULL;
    atomic_fetch_add(&o->requests, 1);
    struct bf_ack_request req;
    if (bf_ack_parse(payload, len, suffix, &req) == 0)
        bf_ack_authorize(&req, &o->auth);   /* a refusal is answered and audited below */
    pthread_mutex_lock(&o->mu);
    bool queued = o->n < ACK_INBOX;
    if (queued) {
        o->inbox[(o->head + o->n) % ACK_INBOX] = req;
        o->n++;
    }
    pthread_mutex_unlock(&o->mu);
    if (!queued) {
        atomic_fetch_add(&o->overflow, 1);
        struct bf_ack_result res = {.ok = false, .t_us = BF_TIME_NONE};
        snprintf(res.error, sizeof res.error, "engine busy: %d operator requests waiting; "
                 "send it again", ACK_INBOX);
        ack_refuse(o, &req, &res, res.error);
    }
}

/* Engine thread: act on what the inbox holds. */
void bf_eng_operators_step(struct bf_eng_operators *o, bf_time_us t_evt)
{
    if (!o)
        return;
    for (;;) {
        struct bf_ack_request req;
        pthread_mutex_lock(&o->mu);
        bool have = o->n > 0;
        if (have) {
            req = o->inbox[o->head];
            o->head = (o->head + 1) % ACK_INBOX;
            o->n--;
        }
        pthread_mutex_unlock(&o->mu);
        if (!have)
            return;
        if (req.error[0]) {
            ack_refuse(o, &req, NULL, req.error);
            continue;
        }
        /* the action's event time: the alert's last change or the engine's time, the later */
        struct bf_ack_result res;
        bf_alerter_act(o->alerter, &req, t_evt, &res);
        if (!res.ok) {
            ack_refuse(o, &req, &res, res.error);
            continue;
        }
        atomic_fetch_add(&o->accepted, 1);
        /* (the note, free text, is in the audit log, not in this one) */
        BF_LOGI("operator", "%s: %s %s alert %s (track %" PRIu32 ")%s%s -> %s, seq %" PRIu64,
                req.operator_id, bf_ack_action_name(req.action), bf_alert_type_name(res.type),
                req.alert_id, res.track_id, req.unit[0] ? ", unit " : "", req.unit,
                bf_alert_state_name(res.state), res.seq);
        ack_answer(o, &req, &res);
    }
}

/*
 * The audit log is --audit, else alerts.audit_log, else "audit.jsonl" beside
 * the journal in effect (so a --journal elsewhere takes it along); none
 * without a journal (tests).
 */
int bf_eng_operators_create(struct bf_engine *e, struct bf_eng_operators **out)
{
    *out = NULL;
    const char *path = e->opt.audit_path ? e->opt.audit_path : e->alert_params.audit_path;
    char beside[1024];
    const char *jp = e->alert_params.journal_path;
    if (!path && jp) {
        const char *slash = strrchr(jp, '/');
        int dl = slash ? (int)(slash - jp + 1) : 0;
        if (snprintf(beside, sizeof beside, "%.*saudit.jsonl", dl, jp) < (int)sizeof beside)
            path = beside;
    }
    struct bf_eng_operators *o = calloc(1, sizeof *o);
    if (!o)
        return BF_ENOMEM;
    pthread_mutex_init(&o->mu, NULL);
    o->out = e->mqtt_out;
    o->alerter = e->alerter;
    snprintf(o->topic_ack, sizeof o->topic_ack, "borderfuse/%s/alerts/ack", e->cfg->site);
    snprintf(o->topic_result, sizeof o->topic_result, "borderfuse/%s/alerts/result",
             e->cfg->site);
    const struct bf_operators_cfg *oc = &e->cfg->operators;
    o->auth = (struct bf_ack_authority){
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
    if (path) {
        int rc = bf_audit_open(path, &o->audit);
        if (rc < 0) {
            BF_LOGE(ENGINE_LOG, "operator audit log %s cannot be opened (%s): check "
                    "alerts.audit_log or --audit", path, bf_strerror(rc));
            bf_eng_operators_destroy(o);
            return rc;
        }
        BF_LOGI(ENGINE_LOG, "operator actions: %s and %s/+ answered on %s, audited in %s",
                o->topic_ack, o->topic_ack, o->topic_result, path);
    }
    *out = o;
    return 0;
}

int bf_eng_operators_subscribe(struct bf_eng_operators *o, struct bf_mqtt *in)
{
    char filter[200];
    snprintf(filter, sizeof filter, "%s/+", o->topic_ack);
    int rc = bf_mqtt_subscribe(in, o->topic_ack, 1, on_ack, o);
    if (rc == 0)
        rc = bf_mqtt_subscribe(in, filter, 1, on_ack, o);
    if (rc < 0)
        BF_LOGE(ENGINE_LOG, "cannot subscribe to %s (%s)", o->topic_ack, bf_strerror(rc));
    return rc;
}

/* After the MQTT connections are gone (no on_ack any more): what the inbox still holds
 * was not acted on; it is audited as refused (nobody can be answered now). */
void bf_eng_operators_destroy(struct bf_eng_operators *o)
{
    if (!o)
        return;
    for (; o->n > 0; o->n--, o->head = (o->head + 1) % ACK_INBOX) {
        struct bf_ack_result res = {.ok = false, .t_us = BF_TIME_NONE};
        snprintf(res.error, sizeof res.error, "engine stopped before acting on it; send it again");
        if (o->audit)
            bf_audit_write(o->audit, bf_clock_realtime(NULL), &o->inbox[o->head], &res);
    }
    bf_audit_close(o->audit);
    pthread_mutex_destroy(&o->mu);
    free(o);
}

struct bf_audit *bf_eng_operators_audit(const struct bf_eng_operators *o)
{
    return o ? o->audit : NULL;
}

/* Status: "operators": requests, accepted, refused, ... */
void bf_eng_operators_status(const struct bf_eng_operators *o, cJSON *root,
                             const struct bf_alerter_stats *as)
{
    struct bf_eng_operators *m = (struct bf_eng_operators *)o;   /* atomics: loads only */
    cJSON *j = cJSON_AddObjectToObject(root, "operators");
    cJSON_AddNumberToObject(j, "requests", m ? (double)atomic_load(&m->requests) : 0);
    cJSON_AddNumberToObject(j, "accepted", m ? (double)atomic_load(&m->accepted) : 0);
    cJSON_AddNumberToObject(j, "refused", m ? (double)atomic_load(&m->refused) : 0);
    cJSON_AddNumberToObject(j, "inbox_overflow", m ? (double)atomic_load(&m->overflow) : 0);
    cJSON_AddNumberToObject(j, "audit_errors", m ? (double)atomic_load(&m->audit_errors) : 0);
    cJSON_AddNumberToObject(j, "false_alarms", (double)as->false_alarms);
    cJSON_AddNumberToObject(j, "closed_keys", as->closed_keys);
    cJSON_AddNumberToObject(j, "reraise_blocked", (double)as->reraise_blocked);
}
