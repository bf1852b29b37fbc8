/*
 * audit.c - the operator audit log: one JSON line per operator request,
 * accepted or refused, with who and when.
 *
 * The problem: after an incident somebody asks who acknowledged the alert,
 * when, which unit was sent, and who declared it a false alarm - and also
 * who tried something that was refused.  The answer must survive a crash of
 * the engine a moment later and must not be rewritable by the engine
 * itself.  So the log is append-only: the file is opened with O_APPEND
 * (never truncated; only the retention purge, bf_audit_purge, replaces it
 * by a copy without its lines older than the retention period, under the
 * same lock as the writes; docs/retention.md), each request is one line
 * written with a single write(2) (lines never interleave, even from two
 * threads), and the
 * line is made durable with fdatasync(2) before the operator gets the
 * answer.  A torn last line (a crash mid-write) is closed with a newline on
 * open, so it stays a line of its own that readers skip.
 *
 * The time of a line is the wall clock (UTC, ms) handed in by the caller:
 * this is a record of what people did, when they did it.  The event time
 * the action was given in the alert is in "event_time".
 */
#include "delivery/delivery_int.h"
#include "alerts/alerts_int.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "core/bf_error.h"
#include "core/bf_log.h"

#define LOG_COMP "alerts/audit"
#define AUDIT_LINE_MAX 8192   /* the longest line is about 2.5 kB (a note full of escapes) */

struct bf_audit {
    int fd;
    char *path;            /* to purge and reopen */
    pthread_mutex_t mu;    /* one line at a time, the torn-tail flag, the purge */
    bool torn_tail;        /* a failed write left part of a line: start the next one clean */
};

int bf_audit_open(const char *path, struct bf_audit **out)
{
    *out = NULL;
    if (!path || !*path)
        return BF_EINVAL;
    struct bf_audit *au = calloc(1, sizeof *au);
    if (!au)
        return BF_ENOMEM;
    au->path = strdup(path);
    if (!au->path) {
        free(au);
        return BF_ENOMEM;
    }
    au->fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (au->fd < 0) {
        BF_LOGE(LOG_COMP, "%s: cannot open: %s", path, strerror(errno));
        goto out_free;
    }
    if (bf_line_file_settle(au->fd, path, true, LOG_COMP) < 0) {
        BF_LOGE(LOG_COMP, "%s: cannot read or write: %s", path, strerror(errno));
        close(au->fd);
        goto out_free;
    }
    pthread_mutex_init(&au->mu, NULL);
    *out = au;
    return 0;

out_free:
    free(au->path);
    free(au);
    return BF_EIO;
}

static void add_time_or_null(cJSON *o, const char *key, bf_time_us t)
{
    char iso[BF_TIME_ISO_LEN];
    if (t != BF_TIME_NONE && bf_time_format_iso(t, iso, sizeof iso) >= 0)
        cJSON_AddStringToObject(o, key, iso);
    else
        cJSON_AddNullToObject(o, key);
}

int bf_audit_format(bf_time_us wall_us, const struct bf_ack_request *req,
                    const struct bf_ack_result *res, char *buf, size_t len)
{
    if (!req || !buf || len == 0 || len > INT32_MAX)
        return BF_EINVAL;
    bool ok = res && res->ok && !req->error[0];
    const char *err = req->error[0] ? req->error : (res && res->error[0]) ? res->error : "refused";
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return BF_ENOMEM;
    add_time_or_null(o, "time", wall_us);
    bf_json_add_text_or_null(o, "operator", req->operator_id);
    bf_json_add_text_or_null(o, "action", req->action != BF_ACK_NONE
                                              ? bf_ack_action_name(req->action)
                                              : req->action_text);
    bf_json_add_text_or_null(o, "alert_id", req->alert_id);
    bf_json_add_text_or_null(o, "unit", req->unit);
    bf_json_add_text_or_null(o, "note", req->note);
    if (req->has_request_id)
        bf_json_add_text(o, "request_id", req->request_id);
    else
        cJSON_AddNullToObject(o, "request_id");
    bf_json_add_text_or_null(o, "result", ok ? "ok" : err);
    bf_json_add_text_or_null(o, "state", res && res->state ? bf_alert_state_name(res->state) : NULL);
    if (res && res->seq)
        cJSON_AddNumberToObject(o, "seq", (double)res->seq);
    else
        cJSON_AddNullToObject(o, "seq");
    add_time_or_null(o, "event_time", res ? res->t_us : BF_TIME_NONE);
    cJSON_AddStringToObject(o, "operator_source", !req->operator_id[0] ? "none"
                                                  : req->operator_from_topic ? "topic" : "payload");
    /* somebody wrote another name than the one the broker vouches for: keep it */
    if (req->operator_from_topic && req->payload_operator[0] &&
        strcmp(req->payload_operator, req->operator_id) != 0)
        bf_json_add_text(o, "payload_operator", req->payload_operator);
    return bf_json_print_free(o, buf, len);
}

int bf_audit_write(struct bf_audit *au, bf_time_us wall_us, const struct bf_ack_request *req,
                   const struct bf_ack_result *res)
{
    if (!au || !req)
        return BF_EINVAL;
    char line[AUDIT_LINE_MAX];
    int n = bf_audit_format(wall_us, req, res, line, sizeof line - 1);
    if (n < 0)
        return n;
    line[n] = '\n';
    pthread_mutex_lock(&au->mu);
    int rc = bf_append_line(au->fd, line, (size_t)n + 1, &au->torn_tail);
    if (rc == 0 && bf_io_fdatasync(au->fd) < 0)
        rc = BF_EIO;
    pthread_mutex_unlock(&au->mu);
    return rc;
}

int bf_audit_purge(struct bf_audit *au, bf_time_us cutoff_us, struct bf_purge_stats *st)
{
    struct bf_purge_stats local;
    if (!st)
        st = &local;
    if (!au) {
        memset(st, 0, sizeof *st);
        return BF_EINVAL;
    }
    pthread_mutex_lock(&au->mu);
    int rc = bf_jsonl_purge(au->path, cutoff_us, "time", NULL, NULL, st);
    if (rc == 0 && st->lines_purged > 0)   /* the path is a new file: append to that one */
        rc = bf_reopen_append(au->path, &au->fd, LOG_COMP);
    pthread_mutex_unlock(&au->mu);
    return rc;
}

void bf_audit_close(struct bf_audit *au)
{
    if (!au)
        return;
    fdatasync(au->fd);
    close(au->fd);
    pthread_mutex_destroy(&au->mu);
    free(au->path);
    free(au);
}
