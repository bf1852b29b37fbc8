/*
 * bf_log.h - logging with levels and a component tag, for people to read.
 *
 *   2026-11-23T09:15:02.123Z WARN  [sensor/radar-north] malformed detection: ...
 *
 * Lines go to stderr (or the stream given to bf_log_set_stream()), one write
 * per line, so lines from several threads do not interleave.  The level and
 * stream are process configuration, set once at start-up.
 *
 * bf_log_once: a caller-held set of fault kinds already reported, so a fault
 * that repeats on every message is logged once per kind, not once per message
 * (the count lives in the caller's counters).
 */
#ifndef BF_LOG_H
#define BF_LOG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

enum bf_log_level {
    BF_LOG_ERROR = 0,
    BF_LOG_WARN  = 1,
    BF_LOG_INFO  = 2,
    BF_LOG_DEBUG = 3,
};

void bf_log_set_level(enum bf_log_level level);
enum bf_log_level bf_log_get_level(void);
void bf_log_set_stream(FILE *stream);       /* NULL: back to stderr */

/* "error", "warn", "info", "debug" -> level; returns 0 or BF_EINVAL. */
int bf_log_level_parse(const char *name, enum bf_log_level *out);

void bf_log(enum bf_log_level level, const char *component, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define BF_LOGE(comp, ...) bf_log(BF_LOG_ERROR, (comp), __VA_ARGS__)
#define BF_LOGW(comp, ...) bf_log(BF_LOG_WARN, (comp), __VA_ARGS__)
#define BF_LOGI(comp, ...) bf_log(BF_LOG_INFO, (comp), __VA_ARGS__)
#define BF_LOGD(comp, ...) bf_log(BF_LOG_DEBUG, (comp), __VA_ARGS__)

/* Fault kinds 0..63 already logged by one source. Zero-initialise. */
struct bf_log_once {
    uint64_t seen;
};

/* True the first time kind is seen by this source (then it should log). */
bool bf_log_once_first(struct bf_log_once *once, unsigned kind);

#endif
