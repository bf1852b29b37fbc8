/*
 * it_util.h - helpers for integration tests: a private mosquitto on a free
 * loopback port, child processes with time limits, files.
 */
#ifndef BF_IT_UTIL_H
#define BF_IT_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <cjson/cJSON.h>

/* A TCP port on 127.0.0.1 that was free a moment ago. */
int it_free_port(void);

/* Start mosquitto on 127.0.0.1:port with its config in dir; wait until it listens. */
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

/* SIGTERM, then SIGKILL after 3 s. Returns the exit status or -1. */
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

#endif
