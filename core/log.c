/*
 * log.c - log lines for people: time, level, component, message.
 *
 * Each line is formatted into a local buffer and written with one fwrite
 * under the stream's lock, so lines from Paho's, GStreamer's and the engine's
 * threads never interleave.  The level, format and stream are process
 * configuration, set at start-up (the only mutable statics in core/).
 *
 * Under systemd the journal stamps every line and reads its priority from an
 * sd-daemon "<N>" prefix, so when stderr is the journal (JOURNAL_STREAM) the
 * text format drops its own time and leads with the priority; a line is one
 * journal entry, so a message's own line breaks become spaces there.  The
 * JSON format is for collectors that want fields, one object a line.
 */
#include "core/bf_log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/bf_error.h"
#include "core/bf_time.h"

static _Atomic int log_level = BF_LOG_INFO;
static FILE *_Atomic log_stream;
static _Atomic int log_format = BF_LOG_FORMAT_TEXT;

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

int bf_log_format_parse(const char *name, enum bf_log_format *out)
{
    if (name && strcmp(name, "text") == 0)
        *out = BF_LOG_FORMAT_TEXT;
    else if (name && strcmp(name, "json") == 0)
        *out = BF_LOG_FORMAT_JSON;
    else
        return BF_EINVAL;
    return 0;
}

bool bf_log_stderr_is_journal(void)
{
    const char *js = getenv("JOURNAL_STREAM");
    unsigned long long dev, ino;
    struct stat st;
    if (!js || sscanf(js, "%llu:%llu", &dev, &ino) != 2 || fstat(2, &st) != 0)
        return false;
    return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

void bf_log_set_format(enum bf_log_format format)
{
    if (format == BF_LOG_FORMAT_TEXT && !atomic_load(&log_stream) && bf_log_stderr_is_journal())
        format = BF_LOG_FORMAT_JOURNAL;
    atomic_store(&log_format, (int)format);
}

enum bf_log_format bf_log_get_format(void) { return (enum bf_log_format)atomic_load(&log_format); }

/* Append s to buf[*n] as JSON string content (without quotes), leaving room for tail bytes. */
static void json_escape(char *buf, size_t cap, size_t *n, const char *s, size_t tail)
{
    static const char hex[] = "0123456789abcdef";
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        char esc[7];
        size_t k = 0;
        if (c == '"' || c == '\\') {
            esc[k++] = '\\';
            esc[k++] = (char)c;
        } else if (c == '\n' || c == '\t' || c == '\r') {
            esc[k++] = '\\';
            esc[k++] = c == '\n' ? 'n' : c == '\t' ? 't' : 'r';
        } else if (c < 0x20 || c == 0x7f) {
            memcpy(esc, "\\u00", 4);
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            k = 6;
        } else {
            esc[k++] = (char)c;
        }
        if (*n + k + tail >= cap)
            return;   /* cut: the line stays whole */
        memcpy(buf + *n, esc, k);
        *n += k;
    }
}

size_t bf_log_format_line(char *buf, size_t cap, enum bf_log_format format, int64_t t_us,
                          enum bf_log_level level, const char *component, const char *msg)
{
    static const char *const tags[] = {"ERROR", "WARN ", "INFO ", "DEBUG"};
    static const char *const names[] = {"error", "warn", "info", "debug"};
    static const char prio[] = {'3', '4', '6', '7'};   /* sd-daemon: err, warning, info, debug */
    if (cap < 8)
        return 0;
    int lv = (int)level < 0 || (int)level > 3 ? 2 : (int)level;
    const char *comp = component ? component : "-";
    char ts[BF_TIME_ISO_LEN] = "";
    if (format != BF_LOG_FORMAT_JOURNAL)
        bf_time_format_iso(t_us, ts, sizeof ts);
    size_t n = 0;
    if (format == BF_LOG_FORMAT_JSON) {
        int h = snprintf(buf, cap, "{\"time\":\"%s\",\"level\":\"%s\",\"component\":\"", ts,
                         names[lv]);
        n = h < 0 ? 0 : (size_t)h < cap ? (size_t)h : cap - 1;
        json_escape(buf, cap, &n, comp, 12);
        if (n + 12 < cap) {
            memcpy(buf + n, "\",\"msg\":\"", 9);
            n += 9;
        }
        json_escape(buf, cap, &n, msg ? msg : "", 4);
        memcpy(buf + n, "\"}\n", 4);   /* json_escape left room */
        n += 3;
        buf[n] = '\0';
        return n;
    }
    int h = format == BF_LOG_FORMAT_JOURNAL
                ? snprintf(buf, cap, "<%c>%s [%s] ", prio[lv], tags[lv], comp)
                : snprintf(buf, cap, "%s %s [%s] ", ts, tags[lv], comp);
    n = h < 0 ? 0 : (size_t)h < cap - 2 ? (size_t)h : cap - 2;
    for (const char *m = msg ? msg : ""; *m && n < cap - 2; m++)
        buf[n++] = format == BF_LOG_FORMAT_JOURNAL && (*m == '\n' || *m == '\r') ? ' ' : *m;
    buf[n++] = '\n';   /* truncated: still one line */
    buf[n] = '\0';
    return n;
}

void bf_log(enum bf_log_level level, const char *component, const char *fmt, ...)
{
    if ((int)level > atomic_load(&log_level))
        return;
    char msg[1024], line[2048];
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (m < 0)
        msg[0] = '\0';
    enum bf_log_format format = bf_log_get_format();
    size_t len = bf_log_format_line(line, format == BF_LOG_FORMAT_JSON ? sizeof line : 1024,
                                    format, bf_clock_realtime(NULL), level, component, msg);
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
