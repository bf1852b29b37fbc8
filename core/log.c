/*
 * log.c - log lines for people: time, level, component, message.
 *
 * Each line is formatted into a local buffer and written with one fwrite
 * under the stream's lock, so lines from Paho's, GStreamer's and the engine's
 * threads never interleave.  The level and stream are process configuration,
 * set at start-up (the only mutable statics in core/).
 */
#include "core/bf_log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <string.h>

#include "core/bf_error.h"
#include "core/bf_time.h"

static _Atomic int log_level = BF_LOG_INFO;
static FILE *_Atomic log_stream;

void bf_log_set_level(enum bf_log_level level) { atomic_store(&log_level, (int)level); }
enum bf_log_level bf_log_get_level(void) { return (enum bf_log_level)atomic_load(&log_level); }
void bf_log_set_stream(FILE *stream) { atomic_store(&log_stream, stream); }

int bf_log_level_parse(const char *name, enum bf_log_level *out)
{
    static const char *const names[] = {"error", "warn", "info", "debug"};
    for (int i = 0; i < 4; i++) {
        if (name && strcmp(name, names[i]) == 0) {
            *out = (enum bf_log_level)i;
            return 0;
        }
    }
    return BF_EINVAL;
}

void bf_log(enum bf_log_level level, const char *component, const char *fmt, ...)
{
    if ((int)level > atomic_load(&log_level))
        return;
    static const char *const tags[] = {"ERROR", "WARN ", "INFO ", "DEBUG"};
    char line[1024];
    char ts[BF_TIME_ISO_LEN];
    bf_time_format_iso(bf_clock_realtime(NULL), ts, sizeof ts);
    int n = snprintf(line, sizeof line, "%s %s [%s] ", ts, tags[level], component ? component : "-");
    if (n < 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
    va_end(ap);
    size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
    if (len > sizeof line - 2)
        len = sizeof line - 2;   /* truncated: still one line */
    line[len++] = '\n';
    FILE *f = atomic_load(&log_stream);
    if (!f)
        f = stderr;
    flockfile(f);
    fwrite(line, 1, len, f);
    fflush(f);
    funlockfile(f);
}

bool bf_log_once_first(struct bf_log_once *once, unsigned kind)
{
    uint64_t bit = UINT64_C(1) << (kind & 63u);
    if (once->seen & bit)
        return false;
    once->seen |= bit;
    return true;
}
