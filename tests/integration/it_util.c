/*
 * it_util.c - process and broker plumbing for the integration tests.
 */
#include "it_util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
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
    const char *candidates[] = {"/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto",
                                "/usr/bin/mosquitto"};
    const char *bin = NULL;
    for (size_t i = 0; i < 3 && !bin; i++)
        if (access(candidates[i], X_OK) == 0)
            bin = candidates[i];
    if (!bin)
        return -1;
    char *argv[] = {(char *)bin, "-c", conf, NULL};
    pid_t pid = it_spawn(argv, log);
    if (pid > 0 && !it_wait_port(port, 5.0)) {
        it_stop(pid);
        return -1;
    }
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
    kill(pid, SIGTERM);
    int rc = it_wait(pid, 3.0);
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
