/*
 * test_mqtt.c - the MQTT wrapper against a real mosquitto: wildcard routing,
 * QoS 1 delivery once the broker answered the subscriptions, retained messages, the last will when a client dies, and a
 * first connect made before the broker is up (buffered publishes included).
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bf_test.h"
#include "core/bf_error.h"
#include "mqtt/mqtt.h"
#include "it_util.h"

static int port;
static pid_t broker;
static char url[64];

struct inbox {
    pthread_mutex_t lock;
    int n;
    char topics[64][128];
    char payloads[64][256];
};

static void collect(void *ctx, const char *topic, const void *payload, size_t len)
{
    struct inbox *in = ctx;
    pthread_mutex_lock(&in->lock);
    if (in->n < 64) {
        snprintf(in->topics[in->n], 128, "%s", topic);
        snprintf(in->payloads[in->n], 256, "%.*s", (int)len, (const char *)payload);
        in->n++;
    }
    pthread_mutex_unlock(&in->lock);
}

static int inbox_count(struct inbox *in)
{
    pthread_mutex_lock(&in->lock);
    int n = in->n;
    pthread_mutex_unlock(&in->lock);
    return n;
}

static bool wait_count(struct inbox *in, int n, int ms)
{
    for (int i = 0; i < ms / 20; i++) {
        if (inbox_count(in) >= n)
            return true;
        it_sleep_ms(20);
    }
    return inbox_count(in) >= n;
}

static int setup(void)
{
    port = it_free_port();
    it_schemas_skip("the MQTT layer's own test: placeholder payloads, a forked client");
    broker = it_start_mosquitto(bf_test_tmpdir(), port);
    snprintf(url, sizeof url, "tcp://127.0.0.1:%d", port);
    return broker > 0 ? 0 : 1;
}

static int teardown(void)
{
    it_stop(broker);
    return 0;
}

static void test_routing_and_qos1(void)
{
    static struct inbox a = {.lock = PTHREAD_MUTEX_INITIALIZER};
    static struct inbox b = {.lock = PTHREAD_MUTEX_INITIALIZER};
    struct bf_mqtt *sub, *pub;
    struct bf_mqtt_options so = {.url = url, .client_id = "it-sub", .clean_session = true};
    struct bf_mqtt_options po = {.url = url, .client_id = "it-pub", .clean_session = true};
    CU_ASSERT_EQUAL_FATAL(bf_mqtt_create(&so, &sub), 0);
    /* one subscription made before the connection (sent on connect), one after */
    CU_ASSERT_EQUAL(bf_mqtt_subscribe(sub, "borderfuse/+/sensors/+/detections", 1, collect, &a), 0);
    CU_ASSERT_EQUAL_FATAL(bf_mqtt_wait_connected(sub, 5000), 0);
    CU_ASSERT_EQUAL(bf_mqtt_subscribe(sub, "borderfuse/x/#", 1, collect, &b), 0);
    CU_ASSERT_EQUAL_FATAL(bf_mqtt_create(&po, &pub), 0);
    CU_ASSERT_EQUAL_FATAL(bf_mqtt_wait_connected(pub, 5000), 0);
    /* the broker answered both: what is published now reaches them (no sleep) */
    CU_ASSERT_EQUAL_FATAL(bf_mqtt_wait_subscribed(sub, 5000), 0);
    CU_ASSERT_EQUAL(bf_mqtt_publish(pub, "borderfuse/x/sensors/r1/detections", "one", 3, 1, false), 0);
    CU_ASSERT_EQUAL(bf_mqtt_publish(pub, "borderfuse/x/status", "two", 3, 1, false), 0);
    CU_ASSERT_EQUAL(bf_mqtt_publish(pub, "borderfuse/y/sensors/r2/detections", "three", 5, 0, false), 0);
    CU_ASSERT_EQUAL(bf_mqtt_publish(pub, "borderfuse/y/sensors/r2/status", "four", 4, 0, false), 0);
    CU_ASSERT_EQUAL(bf_mqtt_flush(pub, 5000), 0);
    CU_ASSERT_TRUE(wait_count(&a, 2, 3000));
    CU_ASSERT_TRUE(wait_count(&b, 2, 3000));
    it_sleep_ms(200);
    CU_ASSERT_EQUAL(inbox_count(&a), 2);   /* "one", "three" */
    CU_ASSERT_EQUAL(inbox_count(&b), 2);   /* "one", "two" */
    CU_ASSERT_STRING_EQUAL(a.payloads[0], "one");
    CU_ASSERT_STRING_EQUAL(a.payloads[1], "three");
    CU_ASSERT_STRING_EQUAL(a.topics[1], "borderfuse/y/sensors/r2/detections");
    CU_ASSERT_STRING_EQUAL(b.payloads[0], "one");
    CU_ASSERT_STRING_EQUAL(b.payloads[1], "two");
    struct bf_mqtt_stats st;
    bf_mqtt_get_stats(pub, &st);
    CU_ASSERT_EQUAL(st.published, 4);
    CU_ASSERT_EQUAL(st.delivered, 2);   /* the two QoS 1 messages */
    bf_mqtt_destroy(pub);
    bf_mqtt_destroy(sub);
}

static void test_retained_and_will(void)
{
    static struct inbox in = {.lock = PTHREAD_MUTEX_INITIALIZER};
    /* A child process connects with a will and dies without disconnecting. */
    pid_t child = fork();
    if (child == 0) {
        struct bf_mqtt *m;
        struct bf_mqtt_options o = {.url = url, .client_id = "it-dying", .clean_session = true,
                                    .will_topic = "borderfuse/w/status",
                                    .will_payload = "{\"state\":\"offline\"}", .will_qos = 1,
                                    .will_retain = true};
        if (bf_mqtt_create(&o, &m) != 0 || bf_mqtt_wait_connected(m, 5000) != 0)
            _exit(1);
        bf_mqtt_publish(m, "borderfuse/w/status", "{\"state\":\"online\"}", 18, 1, true);
        bf_mqtt_flush(m, 3000);
        _exit(0);   /* no disconnect: the broker must send the will */
    }
    int st;
    waitpid(child, &st, 0);
    CU_ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    it_sleep_ms(300);
    struct bf_mqtt *sub;
    struct bf_mqtt_options so = {.url = url, .client_id = "it-late", .clean_session = true};
    CU_ASSERT_EQUAL_FATAL(bf_mqtt_create(&so, &sub), 0);
    CU_ASSERT_EQUAL(bf_mqtt_subscribe(sub, "borderfuse/w/status", 1, collect, &in), 0);
    CU_ASSERT_TRUE(wait_count(&in, 1, 5000));
    CU_ASSERT_STRING_EQUAL(in.payloads[0], "{\"state\":\"offline\"}");   /* retained will */
    bf_mqtt_destroy(sub);
}

static void test_connect_before_broker(void)
{
    static struct inbox in = {.lock = PTHREAD_MUTEX_INITIALIZER};
    int p2 = it_free_port();
    char url2[64];
    snprintf(url2, sizeof url2, "tcp://127.0.0.1:%d", p2);
    struct bf_mqtt *pub, *sub;
    struct bf_mqtt_options po = {.url = url2, .client_id = "it-early", .clean_session = true};
    CU_ASSERT_EQUAL_FATAL(bf_mqtt_create(&po, &pub), 0);
    CU_ASSERT_EQUAL(bf_mqtt_wait_connected(pub, 300), BF_ECONN);
    CU_ASSERT_FALSE(bf_mqtt_is_connected(pub));
    char dir[512];
    snprintf(dir, sizeof dir, "%s/b2", bf_test_tmpdir());
    CU_ASSERT_EQUAL(mkdir(dir, 0755), 0);
    pid_t b2 = it_start_mosquitto(dir, p2);
    CU_ASSERT_FATAL(b2 > 0);
    struct bf_mqtt_options so = {.url = url2, .client_id = "it-sub2", .clean_session = true};
    CU_ASSERT_EQUAL_FATAL(bf_mqtt_create(&so, &sub), 0);
    CU_ASSERT_EQUAL(bf_mqtt_subscribe(sub, "t/#", 1, collect, &in), 0);
    CU_ASSERT_EQUAL(bf_mqtt_wait_connected(sub, 5000), 0);
    it_sleep_ms(200);
    CU_ASSERT_EQUAL(bf_mqtt_wait_connected(pub, 8000), 0);   /* the retry found the broker */
    CU_ASSERT_EQUAL(bf_mqtt_publish(pub, "t/a", "late", 4, 1, false), 0);
    CU_ASSERT_TRUE(wait_count(&in, 1, 5000));
    CU_ASSERT_STRING_EQUAL(in.payloads[0], "late");
    bf_mqtt_destroy(pub);
    bf_mqtt_destroy(sub);
    it_stop(b2);
}

static void test_credentials_file(void)
{
    char path[512], err[256];
    char *u, *p;
    snprintf(path, sizeof path, "%s/cred.json", bf_test_tmpdir());
    FILE *f = fopen(path, "w");
    fputs("{\"username\":\"ops\",\"password\":\"s3cret\"}", f);
    fclose(f);
    chmod(path, 0644);
    CU_ASSERT_EQUAL(bf_mqtt_read_credentials(path, &u, &p, err, sizeof err), BF_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "chmod 600"));
    CU_ASSERT_PTR_NULL(strstr(err, "s3cret"));
    chmod(path, 0600);
    CU_ASSERT_EQUAL_FATAL(bf_mqtt_read_credentials(path, &u, &p, err, sizeof err), 0);
    CU_ASSERT_STRING_EQUAL(u, "ops");
    CU_ASSERT_STRING_EQUAL(p, "s3cret");
    free(u);
    free(p);
}

static CU_TestInfo tests[] = {
    {"wildcard routing and QoS 1 delivery", test_routing_and_qos1},
    {"retained status and last will", test_retained_and_will},
    {"first connect before the broker is up", test_connect_before_broker},
    {"credentials file", test_credentials_file},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"integration/mqtt", setup, teardown, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    return bf_test_main(suites);
}
