/*
 * it_util.h - helpers for integration tests: a private mosquitto on a free
 * loopback port, child processes with time limits, files, the engine as a
 * process, a collecting MQTT subscriber and a radar's JSON detections, and
 * the schema check of everything published on a broker they started.
 *
 * None of these asserts: they return what happened and the test asserts on
 * it, so that a failure points at the test's own line.
 */
#ifndef BF_IT_UTIL_H
#define BF_IT_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <cjson/cJSON.h>

#include "mqtt/mqtt.h"
#include "core/bf_time.h"

/* A TCP port on 127.0.0.1 that was free a moment ago. */
int it_free_port(void);

/* The mosquitto executable (/usr/sbin, /usr/local/sbin or /usr/bin), or NULL. */
const char *it_mosquitto_bin(void);

/*
 * Start mosquitto on 127.0.0.1:port with its config in dir; wait until it listens.
 * With it a subscriber on borderfuse/# logs every message for the schema check
 * (below), which it_stop() of this pid runs.
 */
pid_t it_start_mosquitto(const char *dir, int port);

/*
 * The same with extra config lines (each ending in "\n") instead of
 * "persistence false", e.g. "persistence true\nautosave_interval 1\n
 * persistence_location <dir>/\n"; started again on the same dir and port it
 * reads the same persistence file.  As root the broker stays root.
 */
pid_t it_start_mosquitto_ex(const char *dir, int port, const char *extra);

/* Start argv[0] (a path) with stdout+stderr to log_path (NULL: inherit). */
pid_t it_spawn(char *const argv[], const char *log_path);

/*
 * gpsfake (which starts its own gpsd; /usr/sbin must be on PATH) serving
 * 127.0.0.1:port, playing the NMEA log once with cycle_s between sentences,
 * under `timeout -k 3 limit_s` so that a hanging gpsfake is bounded.  timeout
 * makes its own process group (stop it with it_stop_group); TMPDIR is
 * workdir, where gpsfake leaves its control socket; output goes to log_path.
 * gpsd drops the first second or so of sentences while it probes the device.
 */
pid_t it_start_gpsfake(const char *workdir, int port, const char *nmea, double cycle_s,
                       int limit_s, const char *log_path);

/* A process group led by pid: SIGTERM, then SIGKILL after 3 s; reaps pid. */
void it_stop_group(pid_t pid);

/* Wait for pid up to timeout_s; returns its exit status, or -1 (killed after the timeout). */
int it_wait(pid_t pid, double timeout_s);

/*
 * SIGTERM, then SIGKILL after 10 s. Returns the exit status or -1.  For a
 * broker of it_start_mosquitto(_ex), first every message it delivered is
 * checked against its schema (it_schemas_check).
 */
int it_stop(pid_t pid);

/* Wait until tcp 127.0.0.1:port accepts, up to timeout_s. */
bool it_wait_port(int port, double timeout_s);

/* A JSON member: the string (or "" when absent or not a string), the number (or NAN). */
const char *it_jstr(const cJSON *o, const char *k);
double it_jnum(const cJSON *o, const char *k);

/* $BF_BINARY_DIR/rel into a static buffer (second buffer rotates between 4). */
const char *it_bin(const char *rel);

/* Sleep for ms milliseconds. */
void it_sleep_ms(int ms);

/* ---- files ------------------------------------------------------------------------------ */

/* Write the formatted text to path (created or truncated), then chmod it to mode. 0 or -1. */
__attribute__((format(printf, 3, 4)))
int it_write_file(const char *path, mode_t mode, const char *fmt, ...);
/* Run a shell command in dir; 0 on success (its output goes to dir/setup.log, a failure is
 * named on stderr). */
__attribute__((format(printf, 2, 3))) int it_sh(const char *dir, const char *fmt, ...);
/* A CA in dir: name.key, name.crt (EC P-256, valid 2 days); 0 on success. */
int it_make_ca(const char *dir, const char *name);
/* A certificate name.crt/name.key in dir signed by ca, with the X.509 extensions in ext. */
int it_make_leaf(const char *dir, const char *name, const char *ca, const char *ext);

/*
 * An engine configuration at path: {"site": site, "origin": 46.80 N 8.20 E,
 * "zones": zones, then the members formatted from fmt (each test's sensors,
 * alerts, engine ... sections, without the closing brace)}.  0 or -1.
 */
__attribute__((format(printf, 4, 5)))
int it_write_engine_config(const char *path, const char *site, const char *zones,
                           const char *fmt, ...);

/* Remove dir and what is in it, down to three levels of subdirectories (Paho's persistence). */
void it_rm_tree(const char *dir);

/* Print a log file to stderr (its last 12000 bytes), headed by its path; for failures. */
void it_show_log(const char *path);

/* ---- the engine --------------------------------------------------------------------------- */

/*
 * Start apps/borderfuse --config conf, with --mqtt-url url and --log-level
 * level when not NULL, stdout+stderr to log_path.  The pid, or -1.
 */
pid_t it_start_engine(const char *conf, const char *url, const char *level, const char *log_path);

/* ---- a scene: a broker, the engine, a centre and a field client ---------------------------- */

struct it_collector;

/* What a test of the engine as a process stands on (it_scene_broker, it_scene_start). */
struct it_scene {
    char url[64];                  /* tcp://127.0.0.1:<free port> */
    char conf[512], elog[512];     /* <dir>/engine.json (the test writes it), <dir>/engine.log */
    pid_t broker, engine;          /* 0: not started */
    struct it_collector *centre;   /* what the centre's client received */
    struct bf_mqtt *sub, *pub;     /* the centre's client; the field's (the sensors) */
};

/* A private broker for dir on a free port; url, conf and elog filled.  0 or -1. */
int it_scene_broker(struct it_scene *sc, const char *dir);

/*
 * Once the test wrote sc->conf: the centre's client "<name>-centre"
 * subscribed (QoS 1) to <root>status, <root>alerts and <root><t> for each t of
 * extra (NULL-terminated, or NULL), the field's client "<name>-field", then
 * the engine on conf (log level info, to elog), online on <root>status (its
 * log shown when not), and half a second for its subscriptions to land.  0,
 * or -1 at the first step that failed (it_scene_close releases the rest).
 */
int it_scene_start(struct it_scene *sc, const char *name, const char *root,
                   const char *const *extra);

/* The clients, the collector and the broker; the engine is the test's to stop. */
void it_scene_close(struct it_scene *sc);

/* ---- a collecting subscriber --------------------------------------------------------------- */

/*
 * Every message a subscription delivers, topic and payload (NUL-terminated
 * copies), in arrival order; safe between Paho's thread and the test's.
 * Subscribe with bf_mqtt_subscribe(m, filter, qos, it_collector_on_msg, c),
 * from any number of clients.  Queries take an exact topic, or NULL for any;
 * an index i < 0 counts from the end (-1: the latest).
 */
/* A new, empty collector (NULL when out of memory); it_collector_free it after the clients. */
struct it_collector *it_collector_new(void);
void it_collector_free(struct it_collector *c);

/* The bf_mqtt_msg_fn that stores a message in the collector ctx. */
void it_collector_on_msg(void *ctx, const char *topic, const void *payload, size_t len);

/* How many messages arrived on topic. */
int it_collector_count(struct it_collector *c, const char *topic);

/* A malloc'd copy of the i-th message on topic, or NULL. */
char *it_collector_text(struct it_collector *c, const char *topic, int i);

/* The i-th message on topic parsed (cJSON_Delete it), or NULL (none, or not JSON). */
cJSON *it_collector_json(struct it_collector *c, const char *topic, int i);

/* Wait up to timeout_s (0: look once) for a message on topic holding has (NULL: any). */
bool it_collector_wait(struct it_collector *c, const char *topic, const char *has, double timeout_s);

/* A test on a parsed message; arg is the caller's. */
typedef bool (*it_match_fn)(const cJSON *j, const void *arg);

/* How many messages on topic parse and match. */
int it_collector_count_json(struct it_collector *c, const char *topic, it_match_fn match,
                            const void *arg);

/*
 * The first message on topic, in arrival order, that parses and matches,
 * polled every 50 ms up to timeout_s (0: look once); cJSON_Delete it.  NULL
 * when none did.
 */
cJSON *it_collector_wait_json(struct it_collector *c, const char *topic, it_match_fn match,
                              const void *arg, double timeout_s);

/*
 * The latest message on topic (a status), polled until it matches or
 * timeout_s passed: then the latest as it is (NULL when none came).  Check
 * it again; cJSON_Delete it.
 */
cJSON *it_collector_wait_latest(struct it_collector *c, const char *topic, it_match_fn match,
                                const void *arg, double timeout_s);

/* it_match_fn: a status whose "state" is "online" (and whose "site" is arg, when not NULL). */
bool it_match_online(const cJSON *status, const void *site);

/* Wait up to timeout_s until the latest message on status_topic is it_match_online(site). */
bool it_wait_online(struct it_collector *c, const char *status_topic, const char *site,
                    double timeout_s);

/* What an alert must carry to match (NULL: any); its "seq" must exceed min_seq. */
struct it_alert_want {
    const char *type, *state, *id, *sensor;
    double min_seq;
};

/* it_match_fn over a struct it_alert_want. */
bool it_match_alert(const cJSON *alert, const void *want);

/* ---- a radar's JSON detections ------------------------------------------------------------- */

/*
 * Publish (QoS 1, not retained) one batch of the JSON detection format:
 * {"sensor": sensor, "t": ISO time of t_us, ("exercise": true,) "detections":
 * [{"lat", "lon" (8 decimals), "sigma_m": 5 (, "class": {"person": 0.9})}]},
 * or an empty list when lat is NAN.  bf_mqtt_publish's code.
 */
int it_publish_detection(struct bf_mqtt *pub, const char *topic, const char *sensor,
                         bf_time_us t_us, double lat, double lon, bool person, bool exercise);

/* A person walking due south (speed_mps < 0: north) along a meridian, one scan a second. */
struct it_walker {
    struct bf_mqtt *pub;
    const char *topic, *sensor;
    bf_time_us t0_us;           /* event time of scan 0 */
    double lat0, north0_m;      /* scan k is at lat0 + (north0_m - speed_mps k) / m_per_deg */
    double lon;
    double speed_mps, m_per_deg;
    bool exercise;              /* "exercise": true in every batch */
    int pause_every, pause_ms;  /* sleep pause_ms after every pause_every-th scan (0: never) */
};

/* Publish scans k0 .. k1-1 of the walker (with its person hint); 0, or the first error. */
int it_publish_walker(const struct it_walker *w, int k0, int k1);

/* ---- the schema check of what is published -------------------------------------------------- */

/*
 * Every broker that it_start_mosquitto(_ex) starts gets a subscriber on
 * borderfuse/# (QoS 1) that appends each message, {"topic", "payload"} on a
 * line, to a log in $TMPDIR (or /tmp).  it_stop() of the broker (else the end
 * of the process) runs tests/schemas/validate.mjs ($BF_NODE, the schemas of
 * $BF_SOURCE_DIR/docs/schemas) over it: it prints "schema: N messages valid
 * (alert 12, ...)" and every failure, and a failure fails the running CUnit
 * test (outside one: the process exits 1).  The log is removed when valid.
 * Without $BF_NODE nothing is logged and it says so once.  A broker started
 * again on the same dir (a restart) goes on with the same log.
 */

/*
 * Messages on topics matching the MQTT filter (+, #) may fail their schema:
 * a test that sends malformed input on purpose.  They are listed, not failed.
 * Up to 16 filters, copied, for the rest of the process.
 */
void it_schemas_allow_invalid(const char *filter);

/*
 * No watcher on the brokers started from now on, for a test whose messages are
 * not borderfuse's (the MQTT layer's own tests: placeholder payloads, and a
 * forked child that must not inherit the watcher's threads); why is printed.
 */
void it_schemas_skip(const char *why);

/*
 * Check the messages the broker pid delivered so far (its subscriber is
 * stopped first, after a round trip so that nothing in flight is missed).
 * 0 when valid, not checked (no $BF_NODE) or pid is no broker of ours; -1
 * when a message failed (the CUnit test has failed).  it_stop() calls it.
 */
int it_schemas_check(pid_t pid);

#endif
