/*
 * bf_log.h - logging with levels and a component tag, for people to read.
 *
 *   2026-11-23T09:15:02.123Z WARN  [sensor/radar-north] malformed detection: ...
 *
 * Lines go to stderr (or the stream given to bf_log_set_stream()), one write
 * per line, so lines from several threads do not interleave.  The level,
 * format and stream are process configuration, set once at start-up.
 *
 * Formats (bf_log_set_format, docs/engine.md "Logs"): the line above (text);
 * under systemd, when stderr is the journal, the same without the time (the
 * journal stamps each line) and with the sd-daemon priority prefix:
 *
 *   <4>WARN  [sensor/radar-north] malformed detection: ...
 *
 * or one JSON object a line for log collectors:
 *
 *   {"time":"2026-11-23T09:15:02.123Z","level":"warn","component":"sensor/radar-north","msg":"..."}
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

enum bf_log_format {
    BF_LOG_FORMAT_TEXT = 0,    /* time, level, [component], message */
    BF_LOG_FORMAT_JOURNAL,     /* "<N>" priority, level, [component], message: no time */
    BF_LOG_FORMAT_JSON,        /* {"time","level","component","msg"} */
};

/*
 * Set the format.  BF_LOG_FORMAT_TEXT becomes BF_LOG_FORMAT_JOURNAL when
 * stderr is the journal (bf_log_stderr_is_journal) and no other stream is
 * set; JSON stays JSON.
 */
void bf_log_set_format(enum bf_log_format format);
/* The format lines are written in now (after the journal's check). */
enum bf_log_format bf_log_get_format(void);
/* "text", "json" -> format; returns 0 or BF_EINVAL. */
int bf_log_format_parse(const char *name, enum bf_log_format *out);
/*
 * Is stderr connected to the journal?  JOURNAL_STREAM ("<device>:<inode>",
 * set by systemd) names stderr's device and inode.
 */
bool bf_log_stderr_is_journal(void);
/*
 * One line as bf_log writes it, into buf (cap bytes, NUL-terminated, ends
 * with '\n'; a long message is cut, the line kept whole): t_us stamps the
 * text and JSON formats.  Returns the length written (without the NUL).
 */
size_t bf_log_format_line(char *buf, size_t cap, enum bf_log_format format, int64_t t_us,
                          enum bf_log_level level, const char *component, const char *msg);

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
