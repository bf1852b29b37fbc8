/*
 * mqtt.c - one thin wrapper over Paho MQTTAsync for every part that talks MQTT.
 *
 * The problem: Paho's asynchronous client is easy to misuse (mqtt/mqtt.h lists the traps this wrapper solves).
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
 *  - counters for received / published / delivered / failed / reconnects;
 *  - TLS (ssl://, mqtts://, wss://): the broker's certificate is verified
 *    against the CA file and the URL's host, TLS 1.2 or later, an optional
 *    client certificate; OpenSSL's reason for a failed handshake is logged
 *    with what to check.  Passwords never reach a log line.
 *
 * Threads: Paho calls us on its own thread; the table and counters are under
 * one mutex, never held while user callbacks run.
 */
#include "mqtt/mqtt.h"

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
/* TLS 1.2 suites with forward secrecy and AEAD only: a TLS 1.0/1.1 server finds none in
 * common (Paho 1.3.12 ignores sslVersion with OpenSSL >= 1.1); TLS 1.3 suites are apart. */
#define TLS12_CIPHERS "ECDHE+AESGCM:ECDHE+CHACHA20:DHE+AESGCM:DHE+CHACHA20"
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
    char *ca_file, *cert_file, *key_file, *key_password;   /* TLS, copied */
    bool tls;                       /* the URL is ssl://, mqtts:// or wss:// */
    char tls_error[256];            /* last OpenSSL error of a connect, under lock */
    bool retrying;                  /* on_connect_failure() waits to retry, under lock */
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
    /* subscribe requests the broker has not answered; its own lock, never held across a
     * call into Paho (Paho's thread answers them while a subscribe may hold `lock`) */
    pthread_mutex_t sub_mu;
    pthread_cond_t sub_cond;
    unsigned subs_pending;

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

/* The broker answered a subscribe request (SUBACK, or Paho gave up on it). */
static void on_sub_answer(struct bf_mqtt *m)
{
    pthread_mutex_lock(&m->sub_mu);
    if (m->subs_pending > 0)
        m->subs_pending--;
    pthread_cond_broadcast(&m->sub_cond);
    pthread_mutex_unlock(&m->sub_mu);
}

/* One more request waits for its answer (up), one less (a request Paho refused at once), or
 * none at all (reset: the connection is gone, its requests with it). */
enum sub_count { SUB_UP, SUB_DOWN, SUB_RESET };

static void subs_pending_count(struct bf_mqtt *m, enum sub_count c)
{
    pthread_mutex_lock(&m->sub_mu);
    if (c == SUB_UP)
        m->subs_pending++;
    else if (c == SUB_DOWN && m->subs_pending > 0)
        m->subs_pending--;
    else if (c == SUB_RESET)
        m->subs_pending = 0;
    pthread_cond_broadcast(&m->sub_cond);
    pthread_mutex_unlock(&m->sub_mu);
}

static void on_sub_ok(void *ctx, MQTTAsync_successData *resp)
{
    (void)resp;
    on_sub_answer(ctx);
}

static void on_sub_failed(void *ctx, MQTTAsync_failureData *resp)
{
    struct bf_mqtt *m = ctx;
    BF_LOGW(MQTT_LOG, "%s: the broker refused a subscription (code %d)", m->client_id,
            resp ? resp->code : 0);
    on_sub_answer(m);
}

/* Response options that count the request until the broker answers it (under lock). */
static MQTTAsync_responseOptions sub_request_locked(struct bf_mqtt *m)
{
    MQTTAsync_responseOptions ro = MQTTAsync_responseOptions_initializer;
    ro.onSuccess = on_sub_ok;
    ro.onFailure = on_sub_failed;
    ro.context = m;
    subs_pending_count(m, SUB_UP);
    return ro;
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
    MQTTAsync_responseOptions ro = sub_request_locked(m);
    int rc = MQTTAsync_subscribeMany(m->client, (int)m->n_subs, filters, qos, &ro);
    if (rc != MQTTASYNC_SUCCESS) {
        subs_pending_count(m, SUB_DOWN);
        BF_LOGW(MQTT_LOG, "%s: subscribe failed (Paho %d); retried on reconnect", m->client_id, rc);
    }
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
    subs_pending_count(m, SUB_RESET);   /* none: the reconnect subscribes everything again */
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

/* A QoS>0 publish acknowledged (PUBACK/PUBCOMP): tell the owner which. */
static void on_pub_success(void *ctx, MQTTAsync_successData *d)
{
    struct bf_mqtt *m = ctx;
    if (m->opt.on_acked && d && d->alt.pub.message.payloadlen >= 0)
        m->opt.on_acked(m->opt.ctx, d->alt.pub.destinationName, d->alt.pub.message.payload,
                        (size_t)d->alt.pub.message.payloadlen, true);
}

static void on_pub_failure(void *ctx, MQTTAsync_failureData *d)
{
    (void)d;
    struct bf_mqtt *m = ctx;
    if (m->opt.on_acked)
        m->opt.on_acked(m->opt.ctx, NULL, NULL, 0, false);
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

/* Paho's OpenSSL error hook (one line per queued error): keep the last for the log. */
static int on_tls_error(const char *str, size_t len, void *ctx)
{
    struct bf_mqtt *m = ctx;
    while (len > 0 && (str[len - 1] == '\n' || str[len - 1] == '\r'))
        len--;
    /* OpenSSL 3: "<thread>:error:<code>:<library>:<function>:<reason>:<file>:<line>:": keep
     * "<reason> (<function>)"; anything else whole. */
    const char *f[6] = {0};
    size_t flen[6] = {0};
    const char *p = NULL;
    for (size_t i = 0; i + 7 <= len && !p; i++)
        if (!memcmp(str + i, ":error:", 7))
            p = str + i;
    if (p) {
        p += 7;
        for (int i = 0; i < 6 && p < str + len; i++) {
            const char *q = memchr(p, ':', (size_t)(str + len - p));
            f[i] = p;
            flen[i] = q ? (size_t)(q - p) : (size_t)(str + len - p);
            p = q ? q + 1 : str + len;
        }
    }
    pthread_mutex_lock(&m->lock);
    if (f[3] && flen[3] > 0)
        snprintf(m->tls_error, sizeof m->tls_error, "%.*s (%.*s)", (int)flen[3], f[3],
                 (int)flen[2], f[2]);
    else
        snprintf(m->tls_error, sizeof m->tls_error, "%.*s", (int)len, str);
    pthread_mutex_unlock(&m->lock);
    return 1;
}

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
    char tls_error[sizeof m->tls_error];
    pthread_mutex_lock(&m->lock);
    memcpy(tls_error, m->tls_error, sizeof tls_error);
    m->tls_error[0] = '\0';
    pthread_mutex_unlock(&m->lock);
    /* A TLS failure is a configuration problem more often than a broker still starting: say it
     * at once (the plain-text first connect stays quiet while a broker comes up). */
    bool refused = resp && resp->message && !strcmp(resp->message, "CONNACK return code");
    if (delay >= 800 && refused)
        BF_LOGW(MQTT_LOG, "%s: %s refused the connection (CONNACK %d: %s); retrying", m->client_id,
                m->url, resp->code, resp->code == 4 ? "bad user name or password" :
                resp->code == 5 ? "not authorized" : resp->code == 2 ? "client id rejected" :
                "see the broker's log");
    else if ((delay >= 800 || delay == 100) && m->tls)
        BF_LOGW(MQTT_LOG, "%s: cannot connect to %s over TLS (%s%s%s); retrying. Check: wrong "
                "CA (the CA file must hold the CA that signed the broker's certificate)? host name "
                "mismatch (the URL's host must be a DNS or IP subjectAltName of that certificate)? "
                "client certificate refused (not signed by a CA the broker trusts) or its key or "
                "key password wrong? is the port a TLS listener?", m->client_id, m->url,
                resp && resp->message ? resp->message : "no answer",
                tls_error[0] ? "; OpenSSL: " : "", tls_error);
    else if (delay >= 800)
        BF_LOGW(MQTT_LOG, "%s: cannot connect to %s (%s); retrying", m->client_id, m->url,
                resp && resp->message ? resp->message : "no answer");
    /* Paho retries only after a first success: retry the first connect ourselves, unless
     * bf_mqtt_destroy() comes meanwhile (it wakes us, and waits for !retrying). */
    struct timespec dl;
    bf_deadline_after_ms(delay, &dl);
    pthread_mutex_lock(&m->lock);
    m->retrying = true;
    int rc = 0;
    while (!m->stopping && rc == 0)
        rc = pthread_cond_timedwait(&m->cond, &m->lock, &dl);
    stopping = m->stopping;
    pthread_mutex_unlock(&m->lock);
    if (!stopping)
        start_connect(m);
    pthread_mutex_lock(&m->lock);
    m->retrying = false;
    pthread_cond_broadcast(&m->cond);
    pthread_mutex_unlock(&m->lock);
}

static int start_connect(struct bf_mqtt *m)
{
    MQTTAsync_connectOptions co = MQTTAsync_connectOptions_initializer;
    MQTTAsync_willOptions wo = MQTTAsync_willOptions_initializer;
    MQTTAsync_SSLOptions so = MQTTAsync_SSLOptions_initializer;
    if (m->tls) {
        so.trustStore = m->ca_file;
        so.keyStore = m->cert_file;
        so.privateKey = m->key_file;
        so.privateKeyPassword = m->key_password;
        so.enableServerCertAuth = 1;                          /* chain to a trusted CA */
        so.verify = m->opt.tls.no_hostname_check ? 0 : 1;     /* and name the host */
        so.sslVersion = MQTT_SSL_VERSION_TLS_1_2;
        so.enabledCipherSuites = TLS12_CIPHERS;
        so.ssl_error_cb = on_tls_error;
        so.ssl_error_context = m;
        co.ssl = &so;
        co.MQTTVersion = MQTTVERSION_3_1_1;   /* no second handshake to retry with MQTT 3.1 */
    }
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

bool bf_mqtt_url_is_tls(const char *url)
{
    return url && (!strncmp(url, "ssl://", 6) || !strncmp(url, "mqtts://", 8) ||
                   !strncmp(url, "wss://", 6));
}

/*
 * Refuse a URL with user information (it would reach the log).
 * Copy the TLS options into m and check that each file can be read, so that
 * a wrong path is one clear message at start-up rather than a handshake that
 * fails for ever.  TLS options with a plain-text URL are refused: that
 * mistake would send the password in clear.  Returns 0 or BF_EINVAL (logged).
 */
static int setup_tls(struct bf_mqtt *m, const struct bf_mqtt_options *opt)
{
    const struct bf_mqtt_tls *t = &opt->tls;
    if (strchr(opt->url, '@')) {   /* user:password@host would be logged with the URL */
        BF_LOGE(MQTT_LOG, "%s: the broker URL holds a '@': put the user name and password in the "
                "credentials file, never in the URL", opt->client_id);
        return BF_EINVAL;
    }
    m->tls = bf_mqtt_url_is_tls(opt->url);
    if (!m->tls) {
        if (t->ca_file || t->cert_file || t->key_file) {
            BF_LOGE(MQTT_LOG, "%s: TLS files are configured but %s is not a TLS URL: use "
                    "ssl://HOST:8883 (or mqtts://)", opt->client_id, opt->url);
            return BF_EINVAL;
        }
        return 0;
    }
    if (t->key_file && !t->cert_file) {
        BF_LOGE(MQTT_LOG, "%s: a TLS key file without a certificate file: set both",
                opt->client_id);
        return BF_EINVAL;
    }
    const char *paths[3] = {t->ca_file, t->cert_file, t->key_file};
    static const char *const what[3] = {"CA file", "client certificate", "client key"};
    for (int i = 0; i < 3; i++) {
        if (!paths[i])
            continue;
        FILE *f = fopen(paths[i], "r");
        if (!f) {
            BF_LOGE(MQTT_LOG, "%s: cannot read the TLS %s %s: %s", opt->client_id, what[i],
                    paths[i], strerror(errno));
            return BF_EINVAL;
        }
        fclose(f);
    }
    m->ca_file = dup_or_null(t->ca_file);
    m->cert_file = dup_or_null(t->cert_file);
    m->key_file = dup_or_null(t->key_file);
    m->key_password = dup_or_null(t->key_password);
    if ((t->ca_file && !m->ca_file) || (t->cert_file && !m->cert_file) ||
        (t->key_file && !m->key_file) || (t->key_password && !m->key_password))
        return BF_EINVAL;
    return 0;
}

/* Free what create() copied (the passwords wiped first, with explicit_bzero, which the
 * compiler may not drop as a dead store before free), the locks and m.  Paho keeps
 * copies of its own from MQTTAsync_connect (user name, password, key password) for
 * the client's life and frees them in MQTTAsync_destroy without wiping them. */
static void free_client(struct bf_mqtt *m)
{
    if (m->password)
        explicit_bzero(m->password, strlen(m->password));
    if (m->key_password)
        explicit_bzero(m->key_password, strlen(m->key_password));
    free(m->ca_file);
    free(m->cert_file);
    free(m->key_file);
    free(m->key_password);
    free(m->url);
    free(m->client_id);
    free(m->username);
    free(m->password);
    free(m->will_topic);
    free(m->will_payload);
    pthread_mutex_destroy(&m->lock);
    pthread_cond_destroy(&m->cond);
    pthread_mutex_destroy(&m->sub_mu);
    pthread_cond_destroy(&m->sub_cond);
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
    pthread_mutex_init(&m->sub_mu, NULL);
    pthread_cond_init(&m->sub_cond, NULL);
    if (!m->url || !m->client_id)
        goto out_free;
    if (setup_tls(m, opt) < 0) {
        free_client(m);
        return BF_EINVAL;
    }

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
    pthread_cond_broadcast(&m->cond);
    while (m->retrying)   /* a first-connect retry in on_connect_failure() still uses m */
        pthread_cond_wait(&m->cond, &m->lock);
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
        MQTTAsync_responseOptions ro = sub_request_locked(m);
        int rc = MQTTAsync_subscribe(m->client, f, qos, &ro);
        if (rc != MQTTASYNC_SUCCESS) {
            subs_pending_count(m, SUB_DOWN);
            BF_LOGW(MQTT_LOG, "%s: subscribe %s failed (Paho %d); retried on reconnect",
                    m->client_id, f, rc);
        }
    }
    pthread_mutex_unlock(&m->lock);
    return 0;
}

int bf_mqtt_unsubscribe(struct bf_mqtt *m, const char *filter, bf_mqtt_msg_fn fn, void *ctx)
{
    if (!m || !filter)
        return BF_EINVAL;
    pthread_mutex_lock(&m->lock);
    size_t i = 0;
    while (i < m->n_subs && !(m->subs[i].fn == fn && m->subs[i].ctx == ctx &&
                              strcmp(m->subs[i].filter, filter) == 0))
        i++;
    if (i == m->n_subs) {
        pthread_mutex_unlock(&m->lock);
        return BF_ENOTFOUND;
    }
    char *f = m->subs[i].filter;
    memmove(&m->subs[i], &m->subs[i + 1], (m->n_subs - i - 1) * sizeof m->subs[0]);
    m->n_subs--;
    bool shared = false;
    for (size_t k = 0; k < m->n_subs; k++)
        shared = shared || strcmp(m->subs[k].filter, f) == 0;
    if (!shared && m->connected) {
        MQTTAsync_responseOptions ro = MQTTAsync_responseOptions_initializer;
        int rc = MQTTAsync_unsubscribe(m->client, f, &ro);
        if (rc != MQTTASYNC_SUCCESS)
            BF_LOGW(MQTT_LOG, "%s: unsubscribe %s failed (Paho %d)", m->client_id, f, rc);
    }
    pthread_mutex_unlock(&m->lock);
    free(f);
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
    if (qos > 0 && m->opt.on_acked) {
        ro.onSuccess = on_pub_success;
        ro.onFailure = on_pub_failure;
        ro.context = m;
    }
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

int bf_mqtt_wait_subscribed(struct bf_mqtt *m, int timeout_ms)
{
    if (bf_mqtt_wait_connected(m, timeout_ms) < 0)
        return BF_ECONN;
    struct timespec dl = deadline_after(timeout_ms);
    pthread_mutex_lock(&m->sub_mu);
    int rc = 0;
    while (m->subs_pending > 0 && rc == 0)
        rc = pthread_cond_timedwait(&m->sub_cond, &m->sub_mu, &dl);
    bool ok = m->subs_pending == 0;
    pthread_mutex_unlock(&m->sub_mu);
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

/* Strdup a string member (NULL when absent); false when it is present but not a string. */
static bool secret_member(const cJSON *root, const char *key, char **out)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(root, key);
    *out = NULL;
    if (!it)
        return true;
    if (!cJSON_IsString(it))
        return false;
    *out = strdup(it->valuestring);
    explicit_bzero(it->valuestring, strlen(it->valuestring));
    return *out != NULL;
}

static void wipe_free(char **s)
{
    if (*s)
        explicit_bzero(*s, strlen(*s));
    free(*s);
    *s = NULL;
}

void bf_mqtt_credentials_clear(struct bf_mqtt_credentials *c)
{
    if (!c)
        return;
    wipe_free(&c->username);
    wipe_free(&c->password);
    wipe_free(&c->key_password);
}

int bf_mqtt_credentials_read(const char *path, struct bf_mqtt_credentials *out, char *err,
                             size_t errlen)
{
    *out = (struct bf_mqtt_credentials){0};
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
    explicit_bzero(buf, sizeof buf);
    int rc = 0;
    if (!cJSON_IsObject(root) || !secret_member(root, "username", &out->username) ||
        !secret_member(root, "password", &out->password) ||
        !secret_member(root, "key_password", &out->key_password) ||
        !out->username != !out->password || (!out->username && !out->key_password)) {
        snprintf(err, errlen, "credentials file %s: expected {\"username\": \"...\", "
                 "\"password\": \"...\"} and/or {\"key_password\": \"...\"} (strings)", path);
        rc = BF_EPARSE;
        bf_mqtt_credentials_clear(out);
    }
    const cJSON *it;
    cJSON_ArrayForEach(it, root)   /* wipe what was not taken (a refused file) */
        if (cJSON_IsString(it))
            explicit_bzero(it->valuestring, strlen(it->valuestring));
    cJSON_Delete(root);
    return rc;
}

int bf_mqtt_read_credentials(const char *path, char **user, char **pass, char *err, size_t errlen)
{
    *user = *pass = NULL;
    struct bf_mqtt_credentials c;
    int rc = bf_mqtt_credentials_read(path, &c, err, errlen);
    if (rc < 0)
        return rc;
    if (!c.username) {
        snprintf(err, errlen, "credentials file %s: expected {\"username\": \"...\", "
                 "\"password\": \"...\"}", path);
        bf_mqtt_credentials_clear(&c);
        return BF_EPARSE;
    }
    *user = c.username;
    *pass = c.password;
    c.username = c.password = NULL;
    bf_mqtt_credentials_clear(&c);
    return 0;
}
