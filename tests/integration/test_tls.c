/*
 * test_tls.c - MQTT over TLS for real (docs/security.md): the test makes its
 * own certificate authority with the openssl command, a server certificate
 * (subjectAltName IP:127.0.0.1, DNS:localhost) and client certificates, plus
 * a second, "rogue" CA with a client certificate of its own; mosquitto runs
 * with a TLS listener that requires a client certificate, a password file
 * made by mosquitto_passwd, and the repository's config/mosquitto/acl.example
 * as its ACL, so the example is tested as shipped.
 *
 * Asserted: the engine process (TLS config with relative paths, an encrypted
 * client key whose password is in a chmod 600 credentials file) connects and
 * its retained status reaches a TLS subscriber; the broker refuses a client
 * with the rogue CA's certificate and one with no certificate; a client that
 * trusts the rogue CA refuses the broker, so does one that reaches the broker
 * under an address its certificate does not name (unless told not to check
 * the name), and one that meets a server offering only TLS 1.1; the ACL lets
 * sensor ugs-1 publish on its own topics and not on ugs-2's, and operator
 * alice acknowledge in her own name, not in bob's, nor publish alerts; an engine trusting the wrong CA logs OpenSSL's
 * reason and what to check; no engine log holds a password.
 */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "bf_test.h"
#include "core/bf_error.h"
#include "mqtt/mqtt.h"
#include "core/bf_time.h"
#include "it_util.h"

#define SITE "ittls"
#define ENGINE_PASS "eng-Pw-7781qz"
#define KEY_PASS "key-Pw-5519xv"
#define USER_PASS "user-Pw-2290"

static char dir[256];      /* certificates, password file, configs, logs */
static int port, port_alt; /* TLS listeners on 127.0.0.1 and 127.0.0.2 */
static pid_t broker = -1;
static char url[64], url_alt[64];

/* dir/name in one of 8 rotating buffers. */
static const char *tf(const char *name)
{
    static char bufs[8][512];
    static int k;
    char *b = bufs[k++ % 8];
    snprintf(b, sizeof bufs[0], "%s/%s", dir, name);
    return b;
}


static double now_s(void) { return bf_time_to_s(bf_clock_monotonic(NULL)); }

static int suite_init(void)
{
    snprintf(dir, sizeof dir, "%s/tls", bf_test_tmpdir());
    if (mkdir(dir, 0700) != 0)
        return 1;
    static const char *const server_ext =
        "basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n"
        "subjectAltName=IP:127.0.0.1,DNS:localhost\n";
    static const char *const client_ext = "basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n";
    double t0 = now_s();
    if (it_make_ca(dir, "ca") || it_make_ca(dir, "rogue-ca") ||
        it_make_leaf(dir, "server", "ca", server_ext) ||
        it_make_leaf(dir, "client", "ca", client_ext) ||
        it_make_leaf(dir, "rogue-client", "rogue-ca", client_ext))
        return 1;
    /* The engine's key, encrypted: its password comes from the credentials file. */
    if (it_sh(dir, "openssl pkey -in client.key -aes256 -passout pass:%s -out engine.key", KEY_PASS))
        return 1;
    if (it_sh(dir, "mosquitto_passwd -b -c passwd borderfuse %s && mosquitto_passwd -b passwd ugs-1 %s && "
           "mosquitto_passwd -b passwd ugs-2 %s && mosquitto_passwd -b passwd alice %s && "
           "mosquitto_passwd -b passwd bob %s", ENGINE_PASS, USER_PASS, USER_PASS, USER_PASS,
           USER_PASS))
        return 1;
    double t1 = now_s();

    port = it_free_port();
    port_alt = it_free_port();
    while (port_alt == port)
        port_alt = it_free_port();
    snprintf(url, sizeof url, "ssl://127.0.0.1:%d", port);
    snprintf(url_alt, sizeof url_alt, "ssl://127.0.0.2:%d", port_alt);
    char conf[4096], tls[1024];
    snprintf(tls, sizeof tls,
             "cafile %s\ncertfile %s\nkeyfile %s\nrequire_certificate true\n"
             "use_identity_as_username false\ntls_version tlsv1.2\n",
             tf("ca.crt"), tf("server.crt"), tf("server.key"));
    snprintf(conf, sizeof conf,
             "per_listener_settings false\nallow_anonymous false\npassword_file %s\n"
             "acl_file %s\npersistence false\nmax_queued_messages 100000\n"
             "log_dest stdout\nlog_type all\nuser root\n"
             "listener %d 127.0.0.1\n%s"
             "listener %d 127.0.0.2\n%s",
             tf("passwd"), bf_test_src("config/mosquitto/acl.example"), port, tls, port_alt, tls);
    if (it_write_file(tf("mosquitto.conf"), 0600, "%s", conf) != 0)
        return 1;
    const char *bin = it_mosquitto_bin();
    if (!bin)
        return 1;
    char *argv[] = {(char *)bin, "-c", (char *)tf("mosquitto.conf"), NULL};
    broker = it_spawn(argv, tf("mosquitto.log"));
    if (broker <= 0 || !it_wait_port(port, 5.0))
        return 1;
    printf("\n  figure: CA, server and 3 client certificates, password file: %.2f s\n", t1 - t0);
    return 0;
}

static int suite_clean(void)
{
    if (broker > 0)
        it_stop(broker);
    if (dir[0])
        it_sh(dir, "cd / && rm -rf '%s'", dir);
    rmdir(bf_test_tmpdir());   /* when empty */
    return 0;
}

/* A TLS client; ca/cert/key are file names in dir (NULL: none). */
static struct bf_mqtt *client(const char *id, const char *u, const char *user, const char *ca,
                              const char *cert, const char *key, bool no_hostname_check)
{
    struct bf_mqtt_options o = {
        .url = u, .client_id = id, .username = user, .password = user ? USER_PASS : NULL,
        .clean_session = true,
        .tls = {.ca_file = ca ? tf(ca) : NULL, .cert_file = cert ? tf(cert) : NULL,
                .key_file = key ? tf(key) : NULL, .no_hostname_check = no_hostname_check},
    };
    struct bf_mqtt *m = NULL;
    CU_ASSERT_EQUAL(bf_mqtt_create(&o, &m), 0);
    return m;
}

/* Wait for a connection that must come, and report how long the TLS connect took. */
static bool connects(struct bf_mqtt *m, const char *what)
{
    double t0 = now_s();
    bool ok = m && bf_mqtt_wait_connected(m, 5000) == 0;
    if (ok)
        printf("  figure: %s connected over TLS in %.0f ms\n", what,
               (now_s() - t0) * 1000.0);
    return ok;
}

static void write_engine_config(const char *name, const char *ca_file)
{
    char file[64];
    snprintf(file, sizeof file, "%s.json", name);
    CU_ASSERT_EQUAL_FATAL(it_write_engine_config(tf(file), SITE,
            bf_test_src("tests/data/straight/zones.geojson"),
            " \"log_level\": \"debug\",\n"
            " \"mqtt\": {\"url\": \"%s\", \"client_id\": \"%s\",\n"
            "   \"credentials\": \"engine-credentials.json\",\n"
            "   \"tls\": {\"ca_file\": \"%s\", \"cert_file\": \"client.crt\",\n"
            "           \"key_file\": \"engine.key\", \"verify_hostname\": true}},\n"
            " \"sensors\": [{\"id\": \"radar-1\", \"type\": \"json\", \"lat\": 46.799, "
            "\"lon\": 8.201}],\n"
            " \"alerts\": {\"journal\": \"%s.jsonl\", \"journal_fsync\": \"never\"},\n"
            " \"engine\": {\"status_period_s\": 0.25}", url, name, ca_file, name), 0);
    CU_ASSERT_EQUAL(chmod(tf(file), 0600), 0);
}

/* The engine log must never hold a password; it is printed when check fails. */
static char *engine_log(const char *name, bool show)
{
    char file[64];
    snprintf(file, sizeof file, "%s.log", name);
    char *log = bf_test_read_file(tf(file), NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(log);
    CU_ASSERT_PTR_NULL(strstr(log, ENGINE_PASS));
    CU_ASSERT_PTR_NULL(strstr(log, KEY_PASS));
    if (show)
        fprintf(stderr, "\n--- %s ---\n%s\n", file, log);
    return log;
}

static pid_t start_engine(const char *name)
{
    char conf[64], log[64];
    snprintf(conf, sizeof conf, "%s.json", name);
    snprintf(log, sizeof log, "%s.log", name);
    char conf_path[512], log_path[512];
    snprintf(conf_path, sizeof conf_path, "%s", tf(conf));
    snprintf(log_path, sizeof log_path, "%s", tf(log));
    return it_start_engine(conf_path, NULL, NULL, log_path);
}

static void test_engine_over_tls(void)
{
    char cred[256];
    snprintf(cred, sizeof cred, "{\"username\": \"borderfuse\", \"password\": \"%s\", "
             "\"key_password\": \"%s\"}\n", ENGINE_PASS, KEY_PASS);
    CU_ASSERT_EQUAL_FATAL(it_write_file(tf("engine-credentials.json"), 0600, "%s", cred), 0);
    write_engine_config("engine", "ca.crt");
    pid_t engine = start_engine("engine");
    CU_ASSERT_TRUE_FATAL(engine > 0);

    /* Operator bob, over mqtts://, reads the engine's retained status. */
    struct it_collector *in = it_collector_new();
    CU_ASSERT_PTR_NOT_NULL_FATAL(in);
    char bob_url[64];
    snprintf(bob_url, sizeof bob_url, "mqtts://127.0.0.1:%d", port);
    struct bf_mqtt *bob = client("it-tls-bob", bob_url, "bob", "ca.crt", "client.crt", "client.key",
                                 false);
    CU_ASSERT_TRUE(connects(bob, "operator bob"));
    CU_ASSERT_EQUAL(bf_mqtt_subscribe(bob, "borderfuse/" SITE "/status", 1, it_collector_on_msg, in),
                    0);
    cJSON *on = it_collector_wait_json(in, "borderfuse/" SITE "/status", it_match_online, SITE, 15);
    bool online = on != NULL;
    cJSON_Delete(on);
    CU_ASSERT_TRUE(online);
    char *log = engine_log("engine", !online);
    CU_ASSERT_PTR_NOT_NULL(strstr(log, "connected to ssl://127.0.0.1"));
    free(log);
    CU_ASSERT_EQUAL(it_stop(engine), 0);   /* clean exit, also under the sanitizers */
    log = engine_log("engine", false);   /* shutdown lines too */
    free(log);
    bf_mqtt_destroy(bob);
    it_collector_free(in);
}

static void test_refusals(void)
{
    /* Controls first (the refused clients' retries share Paho's threads): the settings that
     * are right connect, also to the address the certificate does not name when told not to
     * check the name. */
    struct bf_mqtt *good = client("it-tls-good", url, "alice", "ca.crt", "client.crt", "client.key",
                                  false);
    struct bf_mqtt *nocheck = client("it-tls-nocheck", url_alt, "alice", "ca.crt", "client.crt",
                                     "client.key", true);
    CU_ASSERT_TRUE(connects(good, "operator alice"));
    CU_ASSERT_TRUE(connects(nocheck, "a client not checking the host name"));
    /* Started together, so the waits overlap. */
    struct bf_mqtt *rogue = client("it-tls-rogue", url, "alice", "ca.crt", "rogue-client.crt",
                                   "rogue-client.key", false);
    struct bf_mqtt *nocert = client("it-tls-nocert", url, "alice", "ca.crt", NULL, NULL, false);
    struct bf_mqtt *wrongca = client("it-tls-wrongca", url, "alice", "rogue-ca.crt", "client.crt",
                                     "client.key", false);
    struct bf_mqtt *wrongname = client("it-tls-wrongname", url_alt, "alice", "ca.crt", "client.crt",
                                       "client.key", false);
    struct bf_mqtt *wrongpass = NULL;
    struct bf_mqtt_options wp = {
        .url = url, .client_id = "it-tls-wrongpass", .username = "alice", .password = "nope",
        .clean_session = true,
        .tls = {.ca_file = tf("ca.crt"), .cert_file = tf("client.crt"), .key_file = tf("client.key")},
    };
    CU_ASSERT_EQUAL(bf_mqtt_create(&wp, &wrongpass), 0);
    CU_ASSERT_EQUAL(bf_mqtt_wait_connected(rogue, 2500), BF_ECONN);
    CU_ASSERT_FALSE(bf_mqtt_is_connected(rogue));
    CU_ASSERT_FALSE(bf_mqtt_is_connected(nocert));
    CU_ASSERT_FALSE(bf_mqtt_is_connected(wrongca));
    CU_ASSERT_FALSE(bf_mqtt_is_connected(wrongname));
    CU_ASSERT_FALSE(bf_mqtt_is_connected(wrongpass));
    bf_mqtt_destroy(rogue);
    bf_mqtt_destroy(nocert);
    bf_mqtt_destroy(wrongca);
    bf_mqtt_destroy(wrongname);
    bf_mqtt_destroy(wrongpass);
    bf_mqtt_destroy(good);
    bf_mqtt_destroy(nocheck);

    /* TLS files on a plain URL, or missing, are refused at create time. */
    struct bf_mqtt *m = NULL;
    struct bf_mqtt_options plain = {.url = "tcp://127.0.0.1:1", .client_id = "it-tls-plain",
                                    .tls = {.ca_file = tf("ca.crt")}};
    CU_ASSERT_EQUAL(bf_mqtt_create(&plain, &m), BF_EINVAL);
    CU_ASSERT_PTR_NULL(m);
    struct bf_mqtt_options missing = {.url = url, .client_id = "it-tls-missing",
                                      .tls = {.ca_file = tf("no-such-ca.crt")}};
    CU_ASSERT_EQUAL(bf_mqtt_create(&missing, &m), BF_EINVAL);
    CU_ASSERT_PTR_NULL(m);
}

/* Publish on a, then on b, from one connection: once b has arrived, a would have. */
static void publish_pair(struct bf_mqtt *m, const char *a, const char *b, const char *payload)
{
    CU_ASSERT_EQUAL(bf_mqtt_publish(m, a, payload, strlen(payload), 1, false), 0);
    CU_ASSERT_EQUAL(bf_mqtt_publish(m, b, payload, strlen(payload), 1, false), 0);
    CU_ASSERT_EQUAL(bf_mqtt_flush(m, 3000), 0);
}

static void test_acl_sensor(void)
{
    struct it_collector *in = it_collector_new();
    CU_ASSERT_PTR_NOT_NULL_FATAL(in);
    /* The engine's account reads every sensor. */
    struct bf_mqtt_options eo = {
        .url = url, .client_id = "it-tls-engine-acct", .username = "borderfuse",
        .password = ENGINE_PASS, .clean_session = true,
        .tls = {.ca_file = tf("ca.crt"), .cert_file = tf("client.crt"), .key_file = tf("engine.key"),
                .key_password = KEY_PASS},
    };
    struct bf_mqtt *eng = NULL;
    CU_ASSERT_EQUAL_FATAL(bf_mqtt_create(&eo, &eng), 0);
    CU_ASSERT_TRUE_FATAL(connects(eng, "the engine's account (encrypted key)"));
    CU_ASSERT_EQUAL(bf_mqtt_subscribe(eng, "borderfuse/+/sensors/+/ugs", 1, it_collector_on_msg, in), 0);
    it_sleep_ms(200);   /* the subscription lands */

    struct bf_mqtt *ugs1 = client("it-tls-ugs-1", url, "ugs-1", "ca.crt", "client.crt", "client.key",
                                  false);
    CU_ASSERT_TRUE_FATAL(connects(ugs1, "sensor ugs-1"));
    const char *other = "borderfuse/" SITE "/sensors/ugs-2/ugs";
    const char *own = "borderfuse/" SITE "/sensors/ugs-1/ugs";
    publish_pair(ugs1, other, own, "{\"sensor\":\"ugs-1\",\"kind\":\"heartbeat\"}");
    CU_ASSERT_TRUE(it_collector_wait(in, own, NULL, 3));
    it_sleep_ms(300);
    CU_ASSERT_EQUAL(it_collector_count(in, other), 0);
    CU_ASSERT_EQUAL(it_collector_count(in, NULL), 1);
    bf_mqtt_destroy(ugs1);
    bf_mqtt_destroy(eng);
    it_collector_free(in);
}

static void test_acl_operator(void)
{
    struct it_collector *acks = it_collector_new(), *seen = it_collector_new();
    CU_ASSERT_TRUE_FATAL(acks && seen);
    const char *alerts = "borderfuse/" SITE "/alerts";
    const char *ack_alice = "borderfuse/" SITE "/alerts/ack/alice";
    const char *ack_bob = "borderfuse/" SITE "/alerts/ack/bob";
    struct bf_mqtt_options eo = {
        .url = url, .client_id = "it-tls-engine-acct2", .username = "borderfuse",
        .password = ENGINE_PASS, .clean_session = true,
        .tls = {.ca_file = tf("ca.crt"), .cert_file = tf("client.crt"), .key_file = tf("engine.key"),
                .key_password = KEY_PASS},
    };
    struct bf_mqtt *eng = NULL;
    CU_ASSERT_EQUAL_FATAL(bf_mqtt_create(&eo, &eng), 0);
    CU_ASSERT_TRUE_FATAL(connects(eng, "the engine's account"));
    CU_ASSERT_EQUAL(bf_mqtt_subscribe(eng, "borderfuse/" SITE "/alerts/ack/#", 1, it_collector_on_msg,
                                      acks), 0);
    struct bf_mqtt *bob = client("it-tls-bob2", url, "bob", "ca.crt", "client.crt", "client.key",
                                 false);
    CU_ASSERT_TRUE_FATAL(connects(bob, "operator bob"));
    CU_ASSERT_EQUAL(bf_mqtt_subscribe(bob, alerts, 1, it_collector_on_msg, seen), 0);
    it_sleep_ms(200);

    /* Control: the engine's account may write alerts, and bob sees them. */
    const char *real = "{\"id\":\"from-engine\"}";
    CU_ASSERT_EQUAL(bf_mqtt_publish(eng, alerts, real, strlen(real), 1, false), 0);
    CU_ASSERT_TRUE(it_collector_wait(seen, alerts, real, 3));

    struct bf_mqtt *alice = client("it-tls-alice", url, "alice", "ca.crt", "client.crt",
                                   "client.key", false);
    CU_ASSERT_TRUE_FATAL(connects(alice, "operator alice"));
    const char *forged = "{\"id\":\"forged-by-alice\"}";
    const char *ack = "{\"request_id\":\"r-1\",\"alert_id\":\"x\",\"action\":\"acknowledge\"}";
    CU_ASSERT_EQUAL(bf_mqtt_publish(alice, alerts, forged, strlen(forged), 1, false), 0);
    publish_pair(alice, ack_bob, ack_alice, ack);
    CU_ASSERT_TRUE(it_collector_wait(acks, ack_alice, ack, 3));
    it_sleep_ms(300);
    CU_ASSERT_EQUAL(it_collector_count(acks, ack_bob), 0);
    CU_ASSERT_FALSE(it_collector_wait(seen, alerts, forged, 0));
    CU_ASSERT_EQUAL(it_collector_count(acks, NULL), 1);
    CU_ASSERT_EQUAL(it_collector_count(seen, NULL), 1);
    bf_mqtt_destroy(alice);
    bf_mqtt_destroy(bob);
    bf_mqtt_destroy(eng);
    it_collector_free(acks);
    it_collector_free(seen);
}

static void test_engine_wrong_ca(void)
{
    write_engine_config("engine-wrongca", "rogue-ca.crt");
    pid_t engine = start_engine("engine-wrongca");
    CU_ASSERT_TRUE_FATAL(engine > 0);
    char *log = NULL;
    bool said = false, running = false;
    /* The engine waits up to 5 s for the broker before it runs (and handles SIGTERM). */
    for (int i = 0; i < 200 && !(said && running); i++) {
        it_sleep_ms(50);
        free(log);
        log = bf_test_read_file(tf("engine-wrongca.log"), NULL);
        said = log && strstr(log, "certificate verify failed") && strstr(log, "wrong CA");
        running = log && strstr(log, "running:");
    }
    CU_ASSERT_TRUE(said);
    CU_ASSERT_TRUE(running);
    int st = it_stop(engine);
    CU_ASSERT_EQUAL(st, 0);   /* clean exit, also under the sanitizers */
    free(log);
    log = engine_log("engine-wrongca", !said || st != 0);
    free(log);
}

/* borderfuse --check-config on a config whose "mqtt" is mqtt_json: exit 2 and said in the log. */
static void check_config_refuses(const char *mqtt_json, const char *expect)
{
    char conf[1024];
    snprintf(conf, sizeof conf,
             "{\"site\": \"" SITE "\", \"origin\": {\"lat\": 46.80, \"lon\": 8.20},\n"
             " \"zones\": \"%s\",\n \"mqtt\": %s,\n"
             " \"sensors\": [{\"id\": \"radar-1\", \"type\": \"json\", \"lat\": 46.799, "
             "\"lon\": 8.201}]}\n", bf_test_src("tests/data/straight/zones.geojson"), mqtt_json);
    CU_ASSERT_EQUAL_FATAL(it_write_file(tf("bad.json"), 0600, "%s", conf), 0);
    char conf_path[512], log_path[512];
    snprintf(conf_path, sizeof conf_path, "%s", tf("bad.json"));
    snprintf(log_path, sizeof log_path, "%s", tf("bad.log"));
    char *argv[] = {(char *)it_bin("apps/borderfuse"), "--check-config", conf_path, NULL};
    pid_t p = it_spawn(argv, log_path);
    CU_ASSERT_EQUAL(it_wait(p, 10.0), 2);
    char *log = bf_test_read_file(log_path, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(log);
    if (!strstr(log, expect))
        fprintf(stderr, "\n  expected \"%s\" in:\n%s\n", expect, log);
    CU_ASSERT_PTR_NOT_NULL(strstr(log, expect));
    CU_ASSERT_PTR_NULL(strstr(log, "s3cret"));
    free(log);
    unlink(log_path);
}

static void test_config_mistakes(void)
{
    check_config_refuses("{\"url\": \"tcp://127.0.0.1:1883\", \"tls\": {\"ca_file\": \"ca.crt\"}}",
                         "mqtt.tls: \"tls\" is set but the broker URL \"tcp://127.0.0.1:1883\" is "
                         "not TLS");
    check_config_refuses("{\"url\": \"ssl://127.0.0.1:8883\", \"tls\": {\"ca_file\": \"nope.crt\"}}",
                         "mqtt.tls.ca_file: CA certificate file \"nope.crt\" not found");
    check_config_refuses("{\"url\": \"ssl://127.0.0.1:8883\", \"tls\": {\"key_file\": \"client.key\"}}",
                         "a client key without a certificate");
    check_config_refuses("{\"url\": \"ssl://127.0.0.1:8883\", \"tls\": {\"verify_hostname\": 1}}",
                         "mqtt.tls.verify_hostname: ");
    check_config_refuses("{\"url\": \"ssl://ops:s3cret@127.0.0.1:8883\"}",
                         "put the user name and password in the \"credentials\" file");
}

/* A server that speaks only TLS 1.1 (allowed on its side) finds no suite in common. */
static void test_tls11_refused(void)
{
    int p11 = it_free_port();
    char port_s[16], log_path[512];
    snprintf(port_s, sizeof port_s, "%d", p11);
    snprintf(log_path, sizeof log_path, "%s", tf("s_server.log"));
    char *argv[] = {"/usr/bin/openssl", "s_server", "-accept", port_s, "-cert", (char *)tf("server.crt"),
                    "-key", (char *)tf("server.key"), "-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0",
                    "-quiet", NULL};
    pid_t srv = it_spawn(argv, log_path);
    CU_ASSERT_TRUE_FATAL(srv > 0);
    CU_ASSERT_TRUE_FATAL(it_wait_port(p11, 5.0));
    char u[64];
    snprintf(u, sizeof u, "ssl://127.0.0.1:%d", p11);
    struct bf_mqtt *m = client("it-tls-tls11", u, "alice", "ca.crt", "client.crt", "client.key",
                               false);
    CU_ASSERT_EQUAL(bf_mqtt_wait_connected(m, 1500), BF_ECONN);
    bf_mqtt_destroy(m);
    it_stop(srv);
    char *log = bf_test_read_file(log_path, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(log);
    CU_ASSERT_PTR_NOT_NULL(strstr(log, "no shared cipher"));
    free(log);
}

static CU_TestInfo tests[] = {
    {"configuration mistakes about TLS are reported", test_config_mistakes},
    {"the engine over TLS: client certificate, encrypted key, retained status", test_engine_over_tls},
    {"refused: rogue certificate, none, wrong CA, wrong host name, wrong password", test_refusals},
    {"TLS 1.1 is refused", test_tls11_refused},
    {"ACL: a sensor publishes only its own topics", test_acl_sensor},
    {"ACL: an operator acknowledges only in his own name", test_acl_operator},
    {"an engine trusting the wrong CA says why", test_engine_wrong_ca},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"integration/tls", suite_init, suite_clean, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    return bf_test_main(suites);
}
