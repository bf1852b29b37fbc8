/*
 * mqtt.h - a thin MQTT client over Eclipse Paho MQTTAsync.
 *
 * Sensors (subscribe), alerts (publish with a journal behind it) and the
 * simulator (both) all talk MQTT; this wrapper is the one place that knows
 * Paho's traps, solved here: a message callback is always installed, the
 * offline buffer is sized, -12 (buffer full) is reported as BF_EFULL,
 * reconnects are automatic and subscriptions are restored after each one.
 *
 * Threads: callbacks run on Paho's thread.  bf_mqtt_publish() may be called
 * from any thread.
 */
#ifndef BF_MQTT_H
#define BF_MQTT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bf_mqtt;   /* opaque */

/* Called on Paho's thread for every message on a subscribed topic. payload is borrowed. */
typedef void (*bf_mqtt_msg_fn)(void *ctx, const char *topic, const void *payload, size_t len);

struct bf_mqtt_options {
    const char *url;          /* "tcp://127.0.0.1:1883", "ssl://..." */
    const char *client_id;
    const char *username;     /* NULL: none */
    const char *password;     /* NULL: none; never logged */
    /*
     * TLS, used when url is ssl://, mqtts:// or wss://: the server certificate
     * must chain to ca_file (NULL: the system's trusted CAs) and, unless
     * no_hostname_check, name the URL's host (DNS or IP subjectAltName).
     * Protocol TLS 1.2 or later.  Files are checked at create time.
     */
    struct bf_mqtt_tls {
        const char *ca_file;      /* PEM CA certificate(s); NULL: system store */
        const char *cert_file;    /* PEM client certificate (chain); NULL: none */
        const char *key_file;     /* PEM private key of cert_file; NULL: in cert_file */
        const char *key_password; /* NULL: the key is not encrypted; never logged */
        bool no_hostname_check;   /* true skips the host name check (never in production) */
    } tls;
    int keepalive_s;          /* 0: 20 s */
    bool clean_session;       /* false keeps a persistent session on the broker */
    const char *persist_dir;  /* NULL: in memory; else Paho file persistence here (Paho
                               * crashes when that file system is full: the engine uses NULL) */
    int max_buffered;         /* messages held while disconnected; 0: 100000 */
    /* Last will; NULL topic: none. */
    const char *will_topic;
    const char *will_payload;
    int will_qos;
    bool will_retain;
    /* Called (on Paho's thread) when the connection comes up or is lost. */
    void (*on_connection)(void *ctx, bool up);
    void *ctx;
    /*
     * Called (on Paho's thread, with ctx) when the broker acknowledged a QoS>0
     * publish (ok true; topic and payload are that message's, borrowed for
     * the call), or when one failed (ok false; Paho does not say which, so
     * topic and payload are NULL).  Messages restored from persist_dir after
     * a restart are not reported.  NULL: not told.
     */
    void (*on_acked)(void *ctx, const char *topic, const void *payload, size_t len, bool ok);
};

/* Create a client and start connecting (asynchronously, retrying for ever). */
int bf_mqtt_create(const struct bf_mqtt_options *opt, struct bf_mqtt **out);

/* Stop: disconnect cleanly (the will is not sent) and free. Accepts NULL. */
void bf_mqtt_destroy(struct bf_mqtt *m);

/*
 * Subscribe to a topic filter; the subscription is remembered and renewed on
 * every reconnect.  May be called before the connection is up.  fn runs on
 * Paho's thread.
 */
int bf_mqtt_subscribe(struct bf_mqtt *m, const char *filter, int qos, bf_mqtt_msg_fn fn, void *ctx);

/*
 * Forget the subscription made with (filter, fn, ctx); the broker is told
 * when no other subscription has that filter.  A message being delivered on
 * Paho's thread when this returns may still reach fn(ctx): the caller keeps
 * ctx valid (and ignores late calls) until the client is destroyed.
 * 0, or BF_ENOTFOUND.
 */
int bf_mqtt_unsubscribe(struct bf_mqtt *m, const char *filter, bf_mqtt_msg_fn fn, void *ctx);

/*
 * Publish.  While disconnected the message is buffered (up to max_buffered).
 * Returns 0, BF_EFULL when the buffer is full, BF_ECONN/BF_EINVAL otherwise.
 */
int bf_mqtt_publish(struct bf_mqtt *m, const char *topic, const void *payload, size_t len, int qos,
                    bool retain);

/* Wait up to timeout_ms for the first connection. Returns 0 or BF_ECONN. */
int bf_mqtt_wait_connected(struct bf_mqtt *m, int timeout_ms);
/*
 * Wait up to timeout_ms until connected with every subscription made so far
 * answered by the broker (its SUBACK, or a refusal, logged): what is then
 * published on a subscribed topic reaches the callbacks.  Returns 0, or
 * BF_ECONN when not connected or still waiting at the deadline.
 */
int bf_mqtt_wait_subscribed(struct bf_mqtt *m, int timeout_ms);

bool bf_mqtt_is_connected(const struct bf_mqtt *m);

/* Wait until all QoS>0 publishes so far are acknowledged, up to timeout_ms. 0 or BF_ECONN. */
int bf_mqtt_flush(struct bf_mqtt *m, int timeout_ms);

struct bf_mqtt_stats {
    uint64_t received;        /* messages delivered to callbacks */
    uint64_t published;       /* publish calls accepted */
    uint64_t delivered;       /* QoS>0 publishes acknowledged by the broker */
    uint64_t publish_failed;  /* rejected (buffer full, error) */
    uint64_t reconnects;
};
void bf_mqtt_get_stats(const struct bf_mqtt *m, struct bf_mqtt_stats *out);

/* True when url asks for TLS (ssl://, mqtts://, wss://). */
bool bf_mqtt_url_is_tls(const char *url);

/*
 * Secrets from a credentials file (JSON, mode 600):
 * {"username": "...", "password": "...", "key_password": "..."}; username and
 * password come together or not at all, key_password (of an encrypted TLS
 * client key) is optional, at least one of them is present.
 */
struct bf_mqtt_credentials {
    char *username;       /* NULL: none */
    char *password;       /* NULL: none */
    char *key_password;   /* NULL: none */
};

/*
 * Read path into *out (malloc'd strings; free with bf_mqtt_credentials_clear).
 * Refuses (BF_EINVAL) a file readable by group or others; BF_EIO when it
 * cannot be read, BF_EPARSE when the JSON is wrong; the message goes to err
 * and never contains a secret.  On failure *out is all NULL.
 */
int bf_mqtt_credentials_read(const char *path, struct bf_mqtt_credentials *out, char *err,
                             size_t errlen);

/* Wipe and free the strings of c (which may be all NULL). */
void bf_mqtt_credentials_clear(struct bf_mqtt_credentials *c);

/*
 * Read credentials from a JSON file {"username": "...", "password": "..."}.
 * Refuses (BF_EINVAL, with a message in err) a file readable by group or
 * others.  *user and *pass are malloc'd; the caller frees them.
 */
int bf_mqtt_read_credentials(const char *path, char **user, char **pass, char *err, size_t errlen);

#endif
