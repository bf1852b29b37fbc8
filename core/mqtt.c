/*
 * mqtt.c - one thin wrapper over Paho MQTTAsync for every part that talks MQTT.
 *
 * The problem: Paho's asynchronous client is easy to misuse (PLATFORM.md).
 * setCallbacks fails silently without a message callback; the offline buffer
 * defaults to 100 messages and then refuses publishes with -12; an initial
 * connect that fails is not retried by automaticReconnect; subscriptions are
 * not renewed after a reconnect with a clean session; and one client serves
 * many topics while Paho hands over only the topic name.  This file solves
 * those once:
 *
 *  - a subscription table (filter, qos, callback) routes each message to the
 *    callbacks whose filter matches (MQTT '+' and '#' wildcards), and is
 *    re-subscribed on every (re)connect;
 *  - the first connect is retried with back-off until it succeeds, after
 *    which Paho's automatic reconnect takes over;
 *  - publishes are buffered while disconnected (sendWhileDisconnected) up to
 *    max_buffered; a full buffer is BF_EFULL for the caller to count;
 *  - counters for received / published / delivered / failed / reconnects.
 *
 * Threads: Paho calls us on its own thread; the table and counters are under
 * one mutex, never held while user callbacks run.
 */
#include "core/bf_mqtt.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <MQTTAsync.h>
#include <cjson/cJSON.h>

#include "core/bf_error.h"
#include "core/bf_log.h"
#include "core/bf_time.h"

#define MQTT_LOG "mqtt"
#define MAX_SUBS 64

struct sub {
    char *filter;
    int qos;
    bf_mqtt_msg_fn fn;
    void *ctx;
};

struct bf_mqtt {
    MQTTAsync client;
    char *url;
    char *client_id;
    char *username;
    char *password;
    char *will_topic;
    char *will_payload;
    struct bf_mqtt_options opt;   /* strings above replace the borrowed ones */

    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool connected;
    bool ever_connected;
    bool stopping;
    int retry_ms;
    struct sub subs[MAX_SUBS];
    size_t n_subs;

    _Atomic uint64_t received, published, delivered, publish_failed, reconnects;
    _Atomic uint64_t outstanding;   /* QoS>0 publishes not yet acknowledged */
};

static char *dup_or_null(const char *s) { return s ? strdup(s) : NULL; }

/*
 * Does topic match filter?  '+' matches one level, '#' (last) the rest,
 * including the parent level itself ("a/#" matches "a").
 */
static bool topic_matches(const char *filter, const char *topic)
{
    const char *f = filter, *t = topic;
    for (;;) {
        if (*f == '#')
            return true;
        if (*f == '+') {
            while (*t && *t != '/')
                t++;
            f++;
        } else {
            while (*f && *f != '/' && *f != '+' && *f != '#') {
                if (*f != *t)
                    return false;
                f++;
                t++;
            }
            if (*f == '+' || *f == '#')
                return false;   /* wildcard inside a level: not a valid filter */
        }
        if (*f == '\0' && *t == '\0')
            return true;
        if (*f == '/' && *t == '/') {
            f++;
            t++;
            continue;
        }
        if (*f == '/' && f[1] == '#' && *t == '\0')
            return true;
        return false;
    }
}

static void subscribe_all_locked(struct bf_mqtt *m)
{
    if (m->n_subs == 0)
        return;
    char *filters[MAX_SUBS];
    int qos[MAX_SUBS];
    for (size_t i = 0; i < m->n_subs; i++) {
        filters[i] = m->subs[i].filter;
        qos[i] = m->subs[i].qos;
    }
    MQTTAsync_responseOptions ro = MQTTAsync_responseOptions_initializer;
    int rc = MQTTAsync_subscribeMany(m->client, (int)m->n_subs, filters, qos, &ro);
    if (rc != MQTTASYNC_SUCCESS)
        BF_LOGW(MQTT_LOG, "%s: subscribe failed (Paho %d); retried on reconnect", m->client_id, rc);
}

static void on_connected(void *ctx, char *cause)
{
    (void)cause;
    struct bf_mqtt *m = ctx;
    pthread_mutex_lock(&m->lock);
    bool again = m->ever_connected;
    m->connected = true;
    m->ever_connected = true;
    m->retry_ms = 100;
    subscribe_all_locked(m);
    pthread_cond_broadcast(&m->cond);
    pthread_mutex_unlock(&m->lock);
    if (again)
        atomic_fetch_add(&m->reconnects, 1);
    BF_LOGI(MQTT_LOG, "%s: connected to %s%s", m->client_id, m->url, again ? " (reconnected)" : "");
    if (m->opt.on_connection)
        m->opt.on_connection(m->opt.ctx, true);
}

static void on_connection_lost(void *ctx, char *cause)
{
    struct bf_mqtt *m = ctx;
    pthread_mutex_lock(&m->lock);
    m->connected = false;
    bool stopping = m->stopping;
    pthread_mutex_unlock(&m->lock);
    if (!stopping)
        BF_LOGW(MQTT_LOG, "%s: connection to %s lost (%s); reconnecting", m->client_id, m->url,
                cause ? cause : "no reason given");
    if (m->opt.on_connection)
        m->opt.on_connection(m->opt.ctx, false);
}

static int on_message(void *ctx, char *topic_name, int topic_len, MQTTAsync_message *msg)
{
    struct bf_mqtt *m = ctx;
    char stack_topic[256];
    char *topic = topic_name;
    if (topic_len > 0) {   /* Paho: not NUL-terminated when topic_len > 0 */
        topic = (size_t)topic_len < sizeof stack_topic ? stack_topic : malloc((size_t)topic_len + 1);
        if (topic) {
            memcpy(topic, topic_name, (size_t)topic_len);
            topic[topic_len] = '\0';
        }
    }
    if (topic) {
        struct sub matched[MAX_SUBS];
        size_t n = 0;
        pthread_mutex_lock(&m->lock);
        for (size_t i = 0; i < m->n_subs; i++)
            if (topic_matches(m->subs[i].filter, topic))
                matched[n++] = m->subs[i];
        pthread_mutex_unlock(&m->lock);
        atomic_fetch_add(&m->received, 1);
        for (size_t i = 0; i < n; i++)
            matched[i].fn(matched[i].ctx, topic, msg->payload, (size_t)msg->payloadlen);
        if (topic != topic_name && topic != stack_topic)
            free(topic);
    }
    MQTTAsync_freeMessage(&msg);
    MQTTAsync_free(topic_name);
    return 1;
}

static void on_delivered(void *ctx, MQTTAsync_token token)
{
    (void)token;
    struct bf_mqtt *m = ctx;
    atomic_fetch_add(&m->delivered, 1);
    pthread_mutex_lock(&m->lock);
    if (atomic_load(&m->outstanding) > 0)
        atomic_fetch_sub(&m->outstanding, 1);
    pthread_cond_broadcast(&m->cond);
    pthread_mutex_unlock(&m->lock);
}

static int start_connect(struct bf_mqtt *m);

static void on_connect_failure(void *ctx, MQTTAsync_failureData *resp)
{
    struct bf_mqtt *m = ctx;
    pthread_mutex_lock(&m->lock);
    bool stopping = m->stopping;
    int delay = m->retry_ms;
    m->retry_ms = m->retry_ms < 2000 ? m->retry_ms * 2 : 2000;
    pthread_mutex_unlock(&m->lock);
    if (stopping)
        return;
    if (delay >= 800)
        BF_LOGW(MQTT_LOG, "%s: cannot connect to %s (%s); retrying", m->client_id, m->url,
                resp && resp->message ? resp->message : "no answer");
    /* Paho retries only after a first success: retry the first connect ourselves. */
    struct timespec ts = {.tv_sec = delay / 1000, .tv_nsec = (long)(delay % 1000) * 1000000L};
    nanosleep(&ts, NULL);
    start_connect(m);
}

static int start_connect(struct bf_mqtt *m)
{
    MQTTAsync_connectOptions co = MQTTAsync_connectOptions_initializer;
    MQTTAsync_willOptions wo = MQTTAsync_willOptions_initializer;
    co.keepAliveInterval = m->opt.keepalive_s > 0 ? m->opt.keepalive_s : 20;
    co.cleansession = m->opt.clean_session ? 1 : 0;
    co.automaticReconnect = 1;
    co.minRetryInterval = 1;
    co.maxRetryInterval = 8;
    co.connectTimeout = 5;
    co.username = m->username;
    co.password = m->password;
    co.onFailure = on_connect_failure;
    co.context = m;
    if (m->will_topic) {
        wo.topicName = m->will_topic;
        wo.message = m->will_payload ? m->will_payload : "";
        wo.qos = m->opt.will_qos;
        wo.retained = m->opt.will_retain ? 1 : 0;
        co.will = &wo;
    }
    int rc = MQTTAsync_connect(m->client, &co);
    if (rc != MQTTASYNC_SUCCESS) {
        BF_LOGE(MQTT_LOG, "%s: connect to %s refused locally (Paho %d)", m->client_id, m->url, rc);
        return BF_ECONN;
    }
    return 0;
}

/* Free what create() copied (the password wiped first), the locks and m. */
static void free_client(struct bf_mqtt *m)
{
    if (m->password)
        memset(m->password, 0, strlen(m->password));
    free(m->url);
    free(m->client_id);
    free(m->username);
    free(m->password);
    free(m->will_topic);
    free(m->will_payload);
    pthread_mutex_destroy(&m->lock);
    pthread_cond_destroy(&m->cond);
    free(m);
}

int bf_mqtt_create(const struct bf_mqtt_options *opt, struct bf_mqtt **out)
{
    *out = NULL;
    if (!opt || !opt->url || !opt->client_id)
        return BF_EINVAL;
    struct bf_mqtt *m = calloc(1, sizeof *m);
    if (!m)
        return BF_ENOMEM;
    m->opt = *opt;
    m->url = strdup(opt->url);
    m->client_id = strdup(opt->client_id);
    m->username = dup_or_null(opt->username);
    m->password = dup_or_null(opt->password);
    m->will_topic = dup_or_null(opt->will_topic);
    m->will_payload = dup_or_null(opt->will_payload);
    m->retry_ms = 100;
    pthread_mutex_init(&m->lock, NULL);
    pthread_cond_init(&m->cond, NULL);
    if (!m->url || !m->client_id)
        goto out_free;

    MQTTAsync_createOptions cro = MQTTAsync_createOptions_initializer;
    cro.sendWhileDisconnected = 1;
    cro.maxBufferedMessages = opt->max_buffered > 0 ? opt->max_buffered : 100000;
    cro.deleteOldestMessages = 0;
    int ptype = opt->persist_dir ? MQTTCLIENT_PERSISTENCE_DEFAULT : MQTTCLIENT_PERSISTENCE_NONE;
    int rc = MQTTAsync_createWithOptions(&m->client, m->url, m->client_id, ptype,
                                         (void *)opt->persist_dir, &cro);
    if (rc != MQTTASYNC_SUCCESS) {
        BF_LOGE(MQTT_LOG, "%s: cannot create client for %s (Paho %d): check the URL "
                "(tcp://host:port or ssl://host:port)", opt->client_id, opt->url, rc);
        goto out_free;
    }
    rc = MQTTAsync_setCallbacks(m->client, m, on_connection_lost, on_message, on_delivered);
    if (rc != MQTTASYNC_SUCCESS)
        goto out_destroy;
    rc = MQTTAsync_setConnected(m->client, m, on_connected);
    if (rc != MQTTASYNC_SUCCESS)
        goto out_destroy;
    if (start_connect(m) < 0)
        goto out_destroy;
    *out = m;
    return 0;

out_destroy:
    MQTTAsync_destroy(&m->client);
out_free:
    free_client(m);
    return BF_ECONN;
}

void bf_mqtt_destroy(struct bf_mqtt *m)
{
    if (!m)
        return;
    pthread_mutex_lock(&m->lock);
    m->stopping = true;
    bool connected = m->connected;
    pthread_mutex_unlock(&m->lock);
    if (connected) {
        MQTTAsync_disconnectOptions dopt = MQTTAsync_disconnectOptions_initializer;
        dopt.timeout = 2000;
        MQTTAsync_disconnect(m->client, &dopt);
        for (int i = 0; i < 40 && MQTTAsync_isConnected(m->client); i++)
            usleep(50000);
    }
    MQTTAsync_destroy(&m->client);
    for (size_t i = 0; i < m->n_subs; i++)
        free(m->subs[i].filter);
    free_client(m);
}

int bf_mqtt_subscribe(struct bf_mqtt *m, const char *filter, int qos, bf_mqtt_msg_fn fn, void *ctx)
{
    if (!m || !filter || !fn || qos < 0 || qos > 2)
        return BF_EINVAL;
    pthread_mutex_lock(&m->lock);
    if (m->n_subs == MAX_SUBS) {
        pthread_mutex_unlock(&m->lock);
        return BF_EFULL;
    }
    char *f = strdup(filter);
    if (!f) {
        pthread_mutex_unlock(&m->lock);
        return BF_ENOMEM;
    }
    m->subs[m->n_subs++] = (struct sub){.filter = f, .qos = qos, .fn = fn, .ctx = ctx};
    if (m->connected) {
        MQTTAsync_responseOptions ro = MQTTAsync_responseOptions_initializer;
        int rc = MQTTAsync_subscribe(m->client, f, qos, &ro);
        if (rc != MQTTASYNC_SUCCESS)
            BF_LOGW(MQTT_LOG, "%s: subscribe %s failed (Paho %d); retried on reconnect",
                    m->client_id, f, rc);
    }
    pthread_mutex_unlock(&m->lock);
    return 0;
}

int bf_mqtt_publish(struct bf_mqtt *m, const char *topic, const void *payload, size_t len, int qos,
                    bool retain)
{
    if (!m || !topic || qos < 0 || qos > 2 || len > (size_t)INT32_MAX)
        return BF_EINVAL;
    MQTTAsync_message msg = MQTTAsync_message_initializer;
    msg.payload = (void *)payload;
    msg.payloadlen = (int)len;
    msg.qos = qos;
    msg.retained = retain ? 1 : 0;
    MQTTAsync_responseOptions ro = MQTTAsync_responseOptions_initializer;
    if (qos > 0)
        atomic_fetch_add(&m->outstanding, 1);
    int rc = MQTTAsync_sendMessage(m->client, topic, &msg, &ro);
    if (rc != MQTTASYNC_SUCCESS) {
        if (qos > 0)
            atomic_fetch_sub(&m->outstanding, 1);
        atomic_fetch_add(&m->publish_failed, 1);
        return rc == MQTTASYNC_MAX_BUFFERED_MESSAGES ? BF_EFULL : BF_ECONN;
    }
    atomic_fetch_add(&m->published, 1);
    return 0;
}

/* Absolute CLOCK_REALTIME deadline timeout_ms from now, for pthread_cond_timedwait. */
static struct timespec deadline_after(int timeout_ms)
{
    struct timespec ts;
    bf_deadline_after_ms(timeout_ms, &ts);
    return ts;
}

int bf_mqtt_wait_connected(struct bf_mqtt *m, int timeout_ms)
{
    struct timespec dl = deadline_after(timeout_ms);
    pthread_mutex_lock(&m->lock);
    int rc = 0;
    while (!m->connected && rc == 0)
        rc = pthread_cond_timedwait(&m->cond, &m->lock, &dl);
    bool ok = m->connected;
    pthread_mutex_unlock(&m->lock);
    return ok ? 0 : BF_ECONN;
}

bool bf_mqtt_is_connected(const struct bf_mqtt *m)
{
    return m && MQTTAsync_isConnected(m->client);
}

int bf_mqtt_flush(struct bf_mqtt *m, int timeout_ms)
{
    struct timespec dl = deadline_after(timeout_ms);
    pthread_mutex_lock(&m->lock);
    int rc = 0;
    while (atomic_load(&m->outstanding) > 0 && rc == 0)
        rc = pthread_cond_timedwait(&m->cond, &m->lock, &dl);
    bool done = atomic_load(&m->outstanding) == 0;
    pthread_mutex_unlock(&m->lock);
    return done ? 0 : BF_ECONN;
}

void bf_mqtt_get_stats(const struct bf_mqtt *m, struct bf_mqtt_stats *out)
{
    struct bf_mqtt *mm = (struct bf_mqtt *)m;
    out->received = atomic_load(&mm->received);
    out->published = atomic_load(&mm->published);
    out->delivered = atomic_load(&mm->delivered);
    out->publish_failed = atomic_load(&mm->publish_failed);
    out->reconnects = atomic_load(&mm->reconnects);
}

int bf_mqtt_read_credentials(const char *path, char **user, char **pass, char *err, size_t errlen)
{
    *user = *pass = NULL;
    struct stat st;
    if (stat(path, &st) != 0) {
        snprintf(err, errlen, "cannot read credentials file %s: %s", path, strerror(errno));
        return BF_EIO;
    }
    if (st.st_mode & (S_IRWXG | S_IRWXO)) {
        snprintf(err, errlen, "credentials file %s is readable by group or others (mode %03o): "
                 "run chmod 600 %s", path, (unsigned)(st.st_mode & 0777), path);
        return BF_EINVAL;
    }
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "cannot open credentials file %s: %s", path, strerror(errno));
        return BF_EIO;
    }
    char buf[4096];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    cJSON *root = cJSON_Parse(buf);
    memset(buf, 0, sizeof buf);
    const cJSON *u = cJSON_GetObjectItemCaseSensitive(root, "username");
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(root, "password");
    int rc = 0;
    if (!cJSON_IsString(u) || !cJSON_IsString(p)) {
        snprintf(err, errlen, "credentials file %s: expected {\"username\": \"...\", "
                 "\"password\": \"...\"}", path);
        rc = BF_EPARSE;
    } else {
        *user = strdup(u->valuestring);
        *pass = strdup(p->valuestring);
        if (!*user || !*pass) {
            free(*user);
            free(*pass);
            *user = *pass = NULL;
            rc = BF_ENOMEM;
        }
        memset(p->valuestring, 0, strlen(p->valuestring));
    }
    cJSON_Delete(root);
    return rc;
}
