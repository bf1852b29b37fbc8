/*
 * retention.c - purging old lines from the JSON Lines files the engine keeps
 * (the alert journal, the operator audit log), for data minimisation
 * (docs/retention.md).
 *
 * The problem: those files are append-only and written while the engine
 * runs, yet what is older than the retention period must go, and a crash in
 * the middle of a purge must leave either the old file or the new one, never
 * half of each.  So a purge never edits in place: the lines to keep are
 * copied to a temporary file beside the original (same directory, so the
 * rename cannot cross file systems), that file is made durable with fsync,
 * renamed over the original, and the directory is synced.  A writer that
 * holds the old file open must reopen the path afterwards (the journal does,
 * bf_journal_purge); the purge and the appends must not run at the same time.
 *
 * What is old is decided per line by a time member (ISO 8601 text or whole
 * microseconds): lines at or after the cutoff are kept; older ones are
 * dropped unless the caller's keep function says otherwise.  A line that
 * cannot be read (not JSON, no time) is kept: a purge destroys only what it
 * has understood.
 */
#include "delivery/delivery_int.h"
#include "alerts/alerts_int.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "core/bf_error.h"
#include "core/bf_log.h"

#define RET_LOG "retention"

/* The time of obj's member key, or BF_TIME_NONE if absent or unreadable. */
static bf_time_us line_time(const cJSON *obj, const char *key)
{
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(obj, key);
    bf_time_us us;
    if (cJSON_IsString(t) && bf_time_parse_iso(t->valuestring, &us) == 0)
        return us;
    if (cJSON_IsNumber(t) && isfinite(t->valuedouble) && fabs(t->valuedouble) < 9.2e18)
        return (bf_time_us)t->valuedouble;
    return BF_TIME_NONE;
}

int bf_jsonl_foreach(const char *path, bf_jsonl_line_fn fn, void *ctx)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return errno == ENOENT ? 0 : BF_EIO;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int rc = 0;
    while (rc == 0 && (n = getline(&line, &cap, f)) > 0) {
        size_t len = (size_t)n;
        if (line[len - 1] == '\n')
            len--;
        cJSON *obj = len ? cJSON_ParseWithLength(line, len) : NULL;
        rc = fn(ctx, cJSON_IsObject(obj) ? obj : NULL, line, len);
        cJSON_Delete(obj);
    }
    if (rc == 0 && ferror(f))
        rc = BF_EIO;
    free(line);
    fclose(f);
    return rc;
}

int bf_jsonl_purge(const char *path, bf_time_us cutoff_us, const char *time_key,
                   bf_jsonl_keep_fn keep, void *ctx, struct bf_purge_stats *st)
{
    struct bf_purge_stats local;
    if (!st)
        st = &local;
    memset(st, 0, sizeof *st);
    if (!path || !time_key)
        return BF_EINVAL;
    FILE *in = fopen(path, "rb");
    if (!in)
        return errno == ENOENT ? 0 : BF_EIO;
    struct stat sb;
    if (fstat(fileno(in), &sb) < 0) {
        fclose(in);
        return BF_EIO;
    }
    size_t plen = strlen(path);
    char *tmp = malloc(plen + sizeof ".purge-tmp");
    if (!tmp) {
        fclose(in);
        return BF_ENOMEM;
    }
    memcpy(tmp, path, plen);
    memcpy(tmp + plen, ".purge-tmp", sizeof ".purge-tmp");
    int out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, sb.st_mode & 0777);
    int rc = 0;
    if (out < 0) {
        BF_LOGE(RET_LOG, "%s: cannot create %s for the purge: %s", path, tmp, strerror(errno));
        rc = BF_EIO;
        goto out_free;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while (rc == 0 && (n = getline(&line, &cap, in)) > 0) {
        size_t len = (size_t)n;
        st->bytes_before += len;
        size_t body = line[len - 1] == '\n' ? len - 1 : len;
        cJSON *obj = body ? cJSON_ParseWithLength(line, body) : NULL;
        bf_time_us t = cJSON_IsObject(obj) ? line_time(obj, time_key) : BF_TIME_NONE;
        bool kept = true;
        if (t == BF_TIME_NONE)
            st->lines_unreadable++;
        else if (t < cutoff_us)
            kept = keep && keep(ctx, obj, t);
        cJSON_Delete(obj);
        if (kept) {
            st->lines_kept++;
            st->bytes_after += len;
            rc = bf_write_all(out, line, len, NULL);
        } else {
            st->lines_purged++;
        }
    }
    if (rc == 0 && ferror(in))
        rc = BF_EIO;
    free(line);
    if (rc == 0 && st->lines_purged > 0 && bf_io_fdatasync(out) < 0)
        rc = BF_EIO;
    if (close(out) < 0 && rc == 0)
        rc = BF_EIO;
    if (rc == 0 && st->lines_purged > 0) {
        if (bf_io_rename(tmp, path) < 0) {
            rc = BF_EIO;
        } else {
            bf_sync_dir_of(path);
            goto out_free;   /* tmp is the file now */
        }
    }
    unlink(tmp);   /* nothing purged, or failed: the original stays untouched */
    if (rc < 0) {
        BF_LOGE(RET_LOG, "%s: purge failed (%s); the file is unchanged", path, strerror(errno));
        st->lines_purged = 0;
        st->bytes_after = st->bytes_before;
    }
out_free:
    fclose(in);
    free(tmp);
    return rc;
}
