/*
 * it_util.c - process and broker plumbing for the integration tests, and
 * what several of them do alike: write an engine config, start the engine,
 * collect what it publishes, publish a radar's detections.  Every broker it
 * starts is watched on borderfuse/#, and what was published there is checked
 * against docs/schemas/ when the broker stops, so that each test checks the
 * shape of every message it made the engine send, not only the fields it
 * asserts on.
 */
#include "it_util.h"

#include <CUnit/CUnit.h>

#include <arpa/inet.h>
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

void it_sleep_ms(int ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

int it_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    close(fd);
    return ntohs(a.sin_port);
}

bool it_wait_port(int port, double timeout_s)
{
    for (int i = 0; i < (int)(timeout_s * 20); i++) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        int ok = connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
        close(fd);
        if (ok)
            return true;
        it_sleep_ms(50);
    }
    return false;
}

pid_t it_start_gpsfake(const char *workdir, int port, const char *nmea, double cycle_s,
                       int limit_s, const char *log_path)
{
    char port_s[16], cycle[32], limit[16];
    snprintf(port_s, sizeof port_s, "%d", port);
    snprintf(cycle, sizeof cycle, "%g", cycle_s);
    snprintf(limit, sizeof limit, "%d", limit_s);
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        setenv("TMPDIR", workdir, 1);
        const char *path = getenv("PATH");
        char newpath[4096];
        snprintf(newpath, sizeof newpath, "%s:/usr/sbin:/sbin", path ? path : "/usr/bin:/bin");
        setenv("PATH", newpath, 1);
        char *argv[] = {"timeout", "-k", "3", limit, "gpsfake", "-1", "-q", "-P", port_s,
                        "-c", cycle, (char *)nmea, NULL};
        execvp(argv[0], argv);
        fprintf(stderr, "cannot run timeout/gpsfake: %s\n", strerror(errno));
        _exit(127);
    }
    return pid;
}

void it_stop_group(pid_t pid)
{
    if (pid <= 0)
        return;
    kill(-pid, SIGTERM);
    kill(pid, SIGTERM);
    for (int i = 0; i < 150; i++) {
        if (waitpid(pid, NULL, WNOHANG) == pid) {
            kill(-pid, SIGKILL);   /* a gpsd left behind in the group */
            return;
        }
        it_sleep_ms(20);
    }
    kill(-pid, SIGKILL);
    waitpid(pid, NULL, 0);
}

pid_t it_spawn(char *const argv[], const char *log_path)
{
    pid_t pid = fork();
    if (pid == 0) {
        if (log_path) {
            int fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
            if (fd >= 0) {
                dup2(fd, 1);
                dup2(fd, 2);
                close(fd);
            }
        }
        execv(argv[0], argv);
        fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    return pid;
}

const char *it_mosquitto_bin(void)
{
    static const char *const candidates[] = {"/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto",
                                             "/usr/bin/mosquitto"};
    for (size_t i = 0; i < 3; i++)
        if (access(candidates[i], X_OK) == 0)
            return candidates[i];
    return NULL;
}

/* ---- the schema check of what is published -------------------------------------------------- */

#define SCHEMA_BROKERS 16
#define SCHEMA_FILTERS 16
#define SCHEMA_PROBE "it-schemas/probe"

/* One broker's watcher: its subscriber and the messages log. */
struct schema_log {
    pid_t pid;             /* 0: free */
    char dir[512];
    int port;
    struct bf_mqtt *sub;
    FILE *f;               /* under schema_mu */
    char path[600];
    atomic_int probes;     /* probes received */
    bool checked;
};

static struct schema_log schema_logs[SCHEMA_BROKERS];
static pthread_mutex_t schema_mu = PTHREAD_MUTEX_INITIALIZER;
static char *schema_allowed[SCHEMA_FILTERS];
static int n_schema_allowed;
static bool schema_failed_outside_test;   /* a failure no CUnit test took */
static bool schema_exit_hooked;
static const char *schema_skip_why;   /* it_schemas_skip */

void it_schemas_skip(const char *why)
{
    schema_skip_why = why ? why : "skipped";
}

void it_schemas_allow_invalid(const char *filter)
{
    if (filter && n_schema_allowed < SCHEMA_FILTERS)
        schema_allowed[n_schema_allowed++] = strdup(filter);
}

/* $BF_NODE when set and not empty, else NULL. */
static const char *schema_node(void)
{
    const char *node = getenv("BF_NODE");
    return node && node[0] ? node : NULL;
}

/* The subscriber's callback: one line {"topic", "payload" (as text)} per message. */
static void schema_on_msg(void *ctx, const char *topic, const void *payload, size_t len)
{
    struct schema_log *l = ctx;
    if (strcmp(topic, SCHEMA_PROBE) == 0) {
        atomic_fetch_add(&l->probes, 1);
        return;
    }
    char *text = malloc(len + 1);
    cJSON *o = cJSON_CreateObject();
    char *line = NULL;
    if (text && o) {
        memcpy(text, payload, len);
        text[len] = '\0';
        cJSON_AddStringToObject(o, "topic", topic);
        cJSON_AddStringToObject(o, "payload", text);
        line = cJSON_PrintUnformatted(o);
    }
    pthread_mutex_lock(&schema_mu);
    if (l->f)
        fprintf(l->f, "%s\n", line ? line : "{\"topic\": \"(out of memory)\"}");
    pthread_mutex_unlock(&schema_mu);
    free(line);
    cJSON_Delete(o);
    free(text);
}

/* A round trip through the broker: when the probe is back, every message published
 * before it has been delivered to the subscriber (one connection, in order). */
static bool schema_sync(struct schema_log *l, double timeout_s)
{
    int before = atomic_load(&l->probes);
    if (bf_mqtt_publish(l->sub, SCHEMA_PROBE, "p", 1, 1, false) != 0)
        return false;
    for (int i = 0; i < (int)(timeout_s * 50); i++) {
        if (atomic_load(&l->probes) > before)
            return true;
        it_sleep_ms(20);
    }
    return false;
}

static void schema_at_exit(void);

static void schema_log_start(pid_t pid, const char *dir, int port)
{
    static bool said;
    if (schema_skip_why) {
        printf("schema: broker on port %d not checked (%s)\n", port, schema_skip_why);
        return;
    }
    if (!schema_node()) {
        if (!said)
            printf("schema: not checked (BF_NODE is not set: node was not found at configure time)\n");
        said = true;
        return;
    }
    struct schema_log *l = NULL;
    for (int i = 0; i < SCHEMA_BROKERS && !l; i++)   /* a restart on the same dir goes on */
        if (schema_logs[i].pid && !schema_logs[i].checked && schema_logs[i].port == port &&
            strcmp(schema_logs[i].dir, dir) == 0)
            l = &schema_logs[i];
    if (l) {
        bf_mqtt_destroy(l->sub);
        l->sub = NULL;
    } else {
        for (int i = 0; i < SCHEMA_BROKERS && !l; i++)
            if (!schema_logs[i].pid || schema_logs[i].checked)
                l = &schema_logs[i];
        if (!l) {
            printf("schema: more than %d brokers in one test: broker on port %d not checked\n",
                   SCHEMA_BROKERS, port);
            return;
        }
        const char *tmp = getenv("TMPDIR");
        *l = (struct schema_log){.port = port};
        snprintf(l->dir, sizeof l->dir, "%s", dir);
        snprintf(l->path, sizeof l->path, "%s/bf-it-messages-%d-%d.jsonl",
                 tmp && tmp[0] ? tmp : "/tmp", (int)getpid(), port);
        pthread_mutex_lock(&schema_mu);
        l->f = fopen(l->path, "w");
        pthread_mutex_unlock(&schema_mu);
        if (!l->f) {
            printf("schema: cannot write %s (%s): broker on port %d not checked\n", l->path,
                   strerror(errno), port);
            return;
        }
    }
    l->pid = pid;
    if (!schema_exit_hooked) {
        atexit(schema_at_exit);
        schema_exit_hooked = true;
    }
    char url[64], id[64];
    snprintf(url, sizeof url, "tcp://127.0.0.1:%d", port);
    snprintf(id, sizeof id, "it-schemas-%d-%d", (int)getpid(), port);
    struct bf_mqtt_options o = {.url = url, .client_id = id, .clean_session = true};
    if (bf_mqtt_create(&o, &l->sub) != 0 || bf_mqtt_subscribe(l->sub, "borderfuse/#", 1,
                                                              schema_on_msg, l) != 0 ||
        bf_mqtt_subscribe(l->sub, SCHEMA_PROBE, 1, schema_on_msg, l) != 0 ||
        bf_mqtt_wait_connected(l->sub, 5000) != 0 || !schema_sync(l, 5.0))
        printf("schema: the subscriber on port %d did not come up: messages may be missing\n",
               port);
}

/* Run the validator over l's log; true when every message was valid. */
static bool schema_validate(struct schema_log *l)
{
    const char *node = schema_node();
    const char *src = getenv("BF_SOURCE_DIR");
    char script[1024], schemas[1024];
    snprintf(script, sizeof script, "%s/tests/schemas/validate.mjs", src ? src : ".");
    snprintf(schemas, sizeof schemas, "%s/docs/schemas", src ? src : ".");
    char *argv[8 + 2 * SCHEMA_FILTERS];
    int n = 0;
    argv[n++] = (char *)node;
    argv[n++] = script;
    argv[n++] = schemas;
    argv[n++] = l->path;
    for (int i = 0; i < n_schema_allowed; i++) {
        argv[n++] = "--allow-invalid";
        argv[n++] = schema_allowed[i];
    }
    argv[n] = NULL;
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
        execvp(argv[0], argv);
        fprintf(stderr, "schema: cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    int st = 0;
    bool ok = pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0;
    if (ok)
        unlink(l->path);
    else
        printf("schema: messages of the broker on port %d kept in %s\n", l->port, l->path);
    return ok;
}

int it_schemas_check(pid_t pid)
{
    struct schema_log *l = NULL;
    for (int i = 0; i < SCHEMA_BROKERS && !l; i++)
        if (pid > 0 && schema_logs[i].pid == pid && !schema_logs[i].checked)
            l = &schema_logs[i];
    if (!l)
        return 0;
    l->checked = true;
    if (l->sub) {
        if (bf_mqtt_is_connected(l->sub) && !schema_sync(l, 5.0))
            printf("schema: no round trip through the broker on port %d: the last messages "
                   "may be missing\n", l->port);
        bf_mqtt_destroy(l->sub);
        l->sub = NULL;
    }
    pthread_mutex_lock(&schema_mu);
    FILE *f = l->f;
    l->f = NULL;
    pthread_mutex_unlock(&schema_mu);
    if (!f)
        return 0;
    fclose(f);
    printf("schema check of the broker on port %d:\n", l->port);
    if (schema_validate(l))
        return 0;
    if (CU_get_current_test())
        CU_assertImplementation(CU_FALSE, __LINE__, "every message published matches its schema "
                                "(docs/schemas/; failures printed above)", __FILE__, "", CU_FALSE);
    else
        schema_failed_outside_test = true;
    return -1;
}

/* Brokers never stopped through it_stop are checked at exit. */
static void schema_at_exit(void)
{
    for (int i = 0; i < SCHEMA_BROKERS; i++)
        if (schema_logs[i].pid && !schema_logs[i].checked)
            it_schemas_check(schema_logs[i].pid);
    if (schema_failed_outside_test) {
        fflush(stdout);
        _exit(1);
    }
}

pid_t it_start_mosquitto(const char *dir, int port)
{
    return it_start_mosquitto_ex(dir, port, NULL);
}

pid_t it_start_mosquitto_ex(const char *dir, int port, const char *extra)
{
    char conf[512], log[512];
    snprintf(conf, sizeof conf, "%s/mosquitto.conf", dir);
    snprintf(log, sizeof log, "%s/mosquitto.log", dir);
    FILE *f = fopen(conf, "w");
    if (!f)
        return -1;
    fprintf(f, "listener %d 127.0.0.1\nallow_anonymous true\n%s"
               "max_queued_messages 100000\nlog_dest stdout\n%s%s", port,
            extra ? "" : "persistence false\n", extra ? extra : "",
            extra && geteuid() == 0 ? "user root\n" : "");
    fclose(f);
    const char *bin = it_mosquitto_bin();
    if (!bin)
        return -1;
    char *argv[] = {(char *)bin, "-c", conf, NULL};
    pid_t pid = it_spawn(argv, log);
    if (pid > 0 && !it_wait_port(port, 5.0)) {
        it_stop(pid);
        return -1;
    }
    if (pid > 0)
        schema_log_start(pid, dir, port);
    return pid;
}

int it_wait(pid_t pid, double timeout_s)
{
    for (int i = 0; i < (int)(timeout_s * 50); i++) {
        int st;
        pid_t r = waitpid(pid, &st, WNOHANG);
        if (r == pid)
            return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        it_sleep_ms(20);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    return -1;
}

int it_stop(pid_t pid)
{
    if (pid <= 0)
        return -1;
    it_schemas_check(pid);
    kill(pid, SIGTERM);
    /* An engine's clean stop may wait up to 2 s for the broker to confirm alerts and 2 s
     * more for its offline status; under the sanitizers on a busy machine, longer. */
    int rc = it_wait(pid, 10.0);
    return rc;
}

const char *it_jstr(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : "";
}

double it_jnum(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

const char *it_bin(const char *rel)
{
    static char bufs[4][1024];
    static int k;
    char *b = bufs[k++ % 4];
    const char *root = getenv("BF_BINARY_DIR");
    snprintf(b, 1024, "%s/%s", root ? root : ".", rel);
    return b;
}

/* ---- files ------------------------------------------------------------------------------ */

static int write_va(const char *path, mode_t mode, const char *head, const char *fmt, va_list ap,
                    const char *tail)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    int ok = fputs(head, f) >= 0 && vfprintf(f, fmt, ap) >= 0 && fputs(tail, f) >= 0;
    ok = (fclose(f) == 0) && ok;
    return ok && chmod(path, mode) == 0 ? 0 : -1;
}

int it_write_file(const char *path, mode_t mode, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = write_va(path, mode, "", fmt, ap, "");
    va_end(ap);
    return rc;
}

int it_write_engine_config(const char *path, const char *site, const char *zones,
                           const char *fmt, ...)
{
    char head[1400];
    int n = snprintf(head, sizeof head,
                     "{\"site\": \"%s\", \"origin\": {\"lat\": 46.80, \"lon\": 8.20},\n"
                     " \"zones\": \"%s\",\n", site, zones);
    if (n < 0 || (size_t)n >= sizeof head)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    int rc = write_va(path, 0644, head, fmt, ap, "}\n");
    va_end(ap);
    return rc;
}

static void rm_tree(const char *dir, int depth)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat sb;
        if (depth < 3 && lstat(path, &sb) == 0 && S_ISDIR(sb.st_mode))
            rm_tree(path, depth + 1);
        else
            unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

void it_rm_tree(const char *dir) { rm_tree(dir, 0); }

void it_show_log(const char *path)
{
    FILE *f = fopen(path, "rb");
    static char buf[12001];
    size_t n = 0;
    if (f) {
        if (fseek(f, 0, SEEK_END) == 0 && ftell(f) > 12000)
            fseek(f, -12000, SEEK_END);
        else
            rewind(f);
        n = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
    }
    buf[n] = '\0';
    fprintf(stderr, "\n--- %s (tail) ---\n%s\n", path, f ? buf : "(none)");
}

/* ---- the engine --------------------------------------------------------------------------- */

pid_t it_start_engine(const char *conf, const char *url, const char *level, const char *log_path)
{
    char *argv[8];
    int n = 0;
    argv[n++] = (char *)it_bin("apps/borderfuse");
    argv[n++] = "--config";
    argv[n++] = (char *)conf;
    if (url) {
        argv[n++] = "--mqtt-url";
        argv[n++] = (char *)url;
    }
    if (level) {
        argv[n++] = "--log-level";
        argv[n++] = (char *)level;
    }
    argv[n] = NULL;
    return it_spawn(argv, log_path);
}

/* ---- a collecting subscriber --------------------------------------------------------------- */

struct it_msg {
    char *topic, *payload;
};

struct it_collector {
    pthread_mutex_t lock;
    struct it_msg *m;
    int n, cap;
    int dropped;   /* out of memory */
};

struct it_collector *it_collector_new(void)
{
    struct it_collector *c = calloc(1, sizeof *c);
    if (c)
        pthread_mutex_init(&c->lock, NULL);
    return c;
}

void it_collector_free(struct it_collector *c)
{
    if (!c)
        return;
    for (int i = 0; i < c->n; i++) {
        free(c->m[i].topic);
        free(c->m[i].payload);
    }
    free(c->m);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

void it_collector_on_msg(void *ctx, const char *topic, const void *payload, size_t len)
{
    struct it_collector *c = ctx;
    char *p = malloc(len + 1), *t = strdup(topic);
    if (p) {
        memcpy(p, payload, len);
        p[len] = '\0';
    }
    pthread_mutex_lock(&c->lock);
    if (c->n == c->cap && p && t) {
        int cap = c->cap ? 2 * c->cap : 64;
        struct it_msg *m = realloc(c->m, (size_t)cap * sizeof *m);
        if (m) {
            c->m = m;
            c->cap = cap;
        }
    }
    if (p && t && c->n < c->cap) {
        c->m[c->n++] = (struct it_msg){.topic = t, .payload = p};
        p = t = NULL;
    } else {
        c->dropped++;
    }
    pthread_mutex_unlock(&c->lock);
    free(p);
    free(t);
}

/* Index in c->m of the i-th message on topic (i < 0: from the end), or -1.  Locked. */
static int nth(const struct it_collector *c, const char *topic, int i)
{
    if (i >= 0) {
        for (int k = 0; k < c->n; k++)
            if ((!topic || strcmp(c->m[k].topic, topic) == 0) && i-- == 0)
                return k;
    } else {
        for (int k = c->n - 1; k >= 0; k--)
            if ((!topic || strcmp(c->m[k].topic, topic) == 0) && ++i == 0)
                return k;
    }
    return -1;
}

int it_collector_count(struct it_collector *c, const char *topic)
{
    int k = 0;
    pthread_mutex_lock(&c->lock);
    for (int i = 0; i < c->n; i++)
        k += !topic || strcmp(c->m[i].topic, topic) == 0;
    pthread_mutex_unlock(&c->lock);
    return k;
}

char *it_collector_text(struct it_collector *c, const char *topic, int i)
{
    pthread_mutex_lock(&c->lock);
    int k = nth(c, topic, i);
    char *copy = k >= 0 ? strdup(c->m[k].payload) : NULL;
    pthread_mutex_unlock(&c->lock);
    return copy;
}

cJSON *it_collector_json(struct it_collector *c, const char *topic, int i)
{
    pthread_mutex_lock(&c->lock);
    int k = nth(c, topic, i);
    cJSON *j = k >= 0 ? cJSON_Parse(c->m[k].payload) : NULL;
    pthread_mutex_unlock(&c->lock);
    return j;
}

bool it_collector_wait(struct it_collector *c, const char *topic, const char *has, double timeout_s)
{
    for (int tries = 0; tries <= (int)(timeout_s * 20); tries++) {
        bool found = false;
        pthread_mutex_lock(&c->lock);
        for (int i = 0; i < c->n && !found; i++)
            found = (!topic || strcmp(c->m[i].topic, topic) == 0) &&
                    (!has || strstr(c->m[i].payload, has));
        pthread_mutex_unlock(&c->lock);
        if (found)
            return true;
        if (tries < (int)(timeout_s * 20))
            it_sleep_ms(50);
    }
    return false;
}

/* The first message from index *from on topic that matches (parsed), or NULL.  Locked. */
static cJSON *first_match(const struct it_collector *c, const char *topic, it_match_fn match,
                          const void *arg, int *from)
{
    for (; *from < c->n; (*from)++) {
        if (topic && strcmp(c->m[*from].topic, topic) != 0)
            continue;
        cJSON *j = cJSON_Parse(c->m[*from].payload);
        if (j && match(j, arg)) {
            (*from)++;
            return j;
        }
        cJSON_Delete(j);
    }
    return NULL;
}

int it_collector_count_json(struct it_collector *c, const char *topic, it_match_fn match,
                            const void *arg)
{
    int k = 0, from = 0;
    pthread_mutex_lock(&c->lock);
    for (cJSON *j; (j = first_match(c, topic, match, arg, &from)) != NULL; k++)
        cJSON_Delete(j);
    pthread_mutex_unlock(&c->lock);
    return k;
}

cJSON *it_collector_wait_json(struct it_collector *c, const char *topic, it_match_fn match,
                              const void *arg, double timeout_s)
{
    for (int tries = 0; tries <= (int)(timeout_s * 20); tries++) {
        int from = 0;
        pthread_mutex_lock(&c->lock);
        cJSON *j = first_match(c, topic, match, arg, &from);
        pthread_mutex_unlock(&c->lock);
        if (j)
            return j;
        if (tries < (int)(timeout_s * 20))
            it_sleep_ms(50);
    }
    return NULL;
}

cJSON *it_collector_wait_latest(struct it_collector *c, const char *topic, it_match_fn match,
                                const void *arg, double timeout_s)
{
    cJSON *j = NULL;
    for (int tries = 0; tries <= (int)(timeout_s * 20); tries++) {
        cJSON_Delete(j);
        j = it_collector_json(c, topic, -1);
        if (j && match(j, arg))
            break;
        if (tries < (int)(timeout_s * 20))
            it_sleep_ms(50);
    }
    return j;
}

bool it_match_online(const cJSON *status, const void *site)
{
    return strcmp(it_jstr(status, "state"), "online") == 0 &&
           (!site || strcmp(it_jstr(status, "site"), site) == 0);
}

bool it_wait_online(struct it_collector *c, const char *status_topic, const char *site,
                    double timeout_s)
{
    cJSON *st = it_collector_wait_latest(c, status_topic, it_match_online, site, timeout_s);
    bool online = st && it_match_online(st, site);
    cJSON_Delete(st);
    return online;
}

bool it_match_alert(const cJSON *alert, const void *want)
{
    const struct it_alert_want *w = want;
    return (!w->type || strcmp(it_jstr(alert, "type"), w->type) == 0) &&
           (!w->state || strcmp(it_jstr(alert, "state"), w->state) == 0) &&
           (!w->id || strcmp(it_jstr(alert, "id"), w->id) == 0) &&
           (!w->sensor || strcmp(it_jstr(alert, "sensor"), w->sensor) == 0) &&
           it_jnum(alert, "seq") > w->min_seq;
}

/* ---- a radar's JSON detections ------------------------------------------------------------- */

int it_publish_detection(struct bf_mqtt *pub, const char *topic, const char *sensor,
                         bf_time_us t_us, double lat, double lon, bool person, bool exercise)
{
    char t[BF_TIME_ISO_LEN], det[160] = "", msg[512];
    if (bf_time_format_iso(t_us, t, sizeof t) != 0)
        return -1;
    if (!isnan(lat))
        snprintf(det, sizeof det, "{\"lat\":%.8f,\"lon\":%.8f,\"sigma_m\":5%s}", lat, lon,
                 person ? ",\"class\":{\"person\":0.9}" : "");
    int n = snprintf(msg, sizeof msg, "{\"sensor\":\"%s\",\"t\":\"%s\"%s,\"detections\":[%s]}",
                     sensor, t, exercise ? ",\"exercise\":true" : "", det);
    if (n < 0 || (size_t)n >= sizeof msg)
        return -1;
    return bf_mqtt_publish(pub, topic, msg, (size_t)n, 1, false);
}

int it_publish_walker(const struct it_walker *w, int k0, int k1)
{
    int rc = 0;
    for (int k = k0; k < k1; k++) {
        double lat = w->lat0 + (w->north0_m - w->speed_mps * k) / w->m_per_deg;
        int r = it_publish_detection(w->pub, w->topic, w->sensor, w->t0_us + (bf_time_us)k * BF_US_PER_S,
                                     lat, w->lon, true, w->exercise);
        if (rc == 0)
            rc = r;
        if (w->pause_every > 0 && k % w->pause_every == w->pause_every - 1)
            it_sleep_ms(w->pause_ms);
    }
    return rc;
}

int it_sh(const char *dir, const char *fmt, ...)
{
    char cmd[2048], full[2600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    snprintf(full, sizeof full, "cd '%s' && { %s ; } >>setup.log 2>&1", dir, cmd);
    int rc = system(full);
    if (rc != 0)
        fprintf(stderr, "\n  command failed (%d): %s (see %s/setup.log)\n", rc, cmd, dir);
    return rc;
}

int it_make_ca(const char *dir, const char *name)
{
    return it_sh(dir, "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
                 "-keyout %s.key -out %s.crt -days 2 -subj /CN=%s "
                 "-addext basicConstraints=critical,CA:TRUE "
                 "-addext keyUsage=critical,keyCertSign,cRLSign", name, name, name);
}

int it_make_leaf(const char *dir, const char *name, const char *ca, const char *ext)
{
    char extfile[600];
    snprintf(extfile, sizeof extfile, "%s/%s.ext", dir, name);
    if (it_write_file(extfile, 0600, "%s", ext) != 0)
        return -1;
    return it_sh(dir, "openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
                 "-keyout %s.key -out %s.csr -subj /CN=%s && "
                 "openssl x509 -req -in %s.csr -CA %s.crt -CAkey %s.key -CAcreateserial -days 2 "
                 "-out %s.crt -extfile %s.ext", name, name, name, name, ca, ca, name, name);
}

/* ---- a scene ------------------------------------------------------------------------------ */

int it_scene_broker(struct it_scene *sc, const char *dir)
{
    *sc = (struct it_scene){0};
    int port = it_free_port();
    snprintf(sc->url, sizeof sc->url, "tcp://127.0.0.1:%d", port);
    snprintf(sc->conf, sizeof sc->conf, "%s/engine.json", dir);
    snprintf(sc->elog, sizeof sc->elog, "%s/engine.log", dir);
    sc->broker = it_start_mosquitto(dir, port);
    if (sc->broker <= 0) {
        sc->broker = 0;
        return -1;
    }
    return 0;
}

int it_scene_start(struct it_scene *sc, const char *name, const char *root,
                   const char *const *extra)
{
    char id[96], topic[256];
    sc->centre = it_collector_new();
    if (!sc->centre)
        return -1;
    snprintf(id, sizeof id, "%s-centre", name);
    struct bf_mqtt_options so = {.url = sc->url, .client_id = id, .clean_session = true};
    if (bf_mqtt_create(&so, &sc->sub) != 0)
        return -1;
    static const char *const own[] = {"status", "alerts", NULL};
    for (int list = 0; list < 2; list++) {
        for (const char *const *t = list ? extra : own; t && *t; t++) {
            snprintf(topic, sizeof topic, "%s%s", root, *t);
            if (bf_mqtt_subscribe(sc->sub, topic, 1, it_collector_on_msg, sc->centre) != 0)
                return -1;
        }
    }
    if (bf_mqtt_wait_connected(sc->sub, 5000) != 0)
        return -1;
    snprintf(id, sizeof id, "%s-field", name);
    struct bf_mqtt_options po = {.url = sc->url, .client_id = id, .clean_session = true};
    if (bf_mqtt_create(&po, &sc->pub) != 0 || bf_mqtt_wait_connected(sc->pub, 5000) != 0)
        return -1;
    sc->engine = it_start_engine(sc->conf, sc->url, "info", sc->elog);
    if (sc->engine <= 0) {
        sc->engine = 0;
        return -1;
    }
    snprintf(topic, sizeof topic, "%sstatus", root);
    if (!it_wait_online(sc->centre, topic, NULL, 15)) {
        it_show_log(sc->elog);
        return -1;
    }
    it_sleep_ms(500);   /* the engine's subscriptions land */
    return 0;
}

void it_scene_close(struct it_scene *sc)
{
    bf_mqtt_destroy(sc->pub);
    bf_mqtt_destroy(sc->sub);
    sc->pub = sc->sub = NULL;
    it_collector_free(sc->centre);
    sc->centre = NULL;
    if (sc->broker > 0)
        it_stop(sc->broker);
    sc->broker = 0;
}
