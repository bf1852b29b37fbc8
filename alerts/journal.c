/*
 * journal.c - the alert journal: one JSON line per alert change, appended
 * before the change is published.
 *
 * The problem: after a crash, a broker outage or a restart we must know
 * what was raised and continue the per-site sequence where it stopped, and
 * an operator or an auditor must be able to read back every alert change
 * exactly as it went out.  So each change is appended as the very JSON that
 * is published, one line each, with a single write(2) on an O_APPEND
 * descriptor (a line is never interleaved with another), then made durable
 * with fdatasync(2) when the policy says "always".
 *
 * A crash can leave a last line without its newline.  Reading back for the
 * sequence number therefore only trusts complete lines that parse, walking
 * backwards from the end of the file; and before appending to such a file a
 * newline is written first, so the torn line stays a line of its own
 * (readers skip it) instead of swallowing the next alert.
 */
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

#define JOURNAL_WINDOW0 (64 * 1024)         /* first tail window read back */
#define JOURNAL_WINDOW_MAX (16 * 1024 * 1024) /* give up looking further back than this */

struct bf_journal {
    int fd;
    char *path;       /* to reopen after a purge */
    enum bf_fsync_policy policy;
    bool torn_tail;   /* a failed append may have left a partial line */
};

/* seq of one line if it is an alert JSON object with an integral seq >= 1. */
static bool line_seq(const char *p, size_t n, uint64_t *seq)
{
    cJSON *root = cJSON_ParseWithLength(p, n);
    if (!root)
        return false;
    bool ok = false;
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(root, "seq");
    if (cJSON_IsObject(root) && cJSON_IsNumber(s) && s->valuedouble >= 1 &&
        s->valuedouble < 9007199254740992.0 && floor(s->valuedouble) == s->valuedouble) {
        *seq = (uint64_t)s->valuedouble;
        ok = true;
    }
    cJSON_Delete(root);
    return ok;
}

/*
 * Last seq in the file open on fd, reading growing tail windows.  0 when no
 * complete line is an alert but every line looks like a (torn) JSON object;
 * BF_EPARSE when no alert was found within the last JOURNAL_WINDOW_MAX bytes
 * and some line is not JSON at all (not a journal: do not append to it).
 */
static int last_seq_fd(int fd, const char *path, uint64_t *seq)
{
    *seq = 0;
    struct stat sb;
    if (fstat(fd, &sb) < 0)
        return BF_EIO;
    off_t size = sb.st_size;
    if (size <= 0)
        return 0;
    off_t unchecked = size;   /* lines ending at or before this offset are still to try */
    bool foreign = false;   /* a non-empty line that is not even a torn JSON object */
    size_t window = JOURNAL_WINDOW0;
    char *buf = NULL;
    int rc = 0;
    for (;;) {
        off_t start = size > (off_t)window ? size - (off_t)window : 0;
        size_t n = (size_t)(size - start);
        char *nb = realloc(buf, n ? n : 1);
        if (!nb) {
            rc = BF_ENOMEM;
            goto out_free_buf;
        }
        buf = nb;
        if (bf_read_at(fd, buf, n, start) < 0) {
            rc = BF_EIO;
            goto out_free_buf;
        }
        /* e: index one past a '\n' that ends a line; walk lines backwards */
        size_t e = (size_t)(unchecked - start);
        while (e > 0 && buf[e - 1] != '\n')
            e--;   /* the part after the last newline is torn: skip it */
        while (e > 0) {
            size_t b = e - 1;   /* buf[b] == '\n' */
            while (b > 0 && buf[b - 1] != '\n')
                b--;
            if (b == 0 && start > 0)
                break;   /* this line starts before the window */
            if (e - 1 > b && buf[b] != '{')
                foreign = true;
            if (line_seq(buf + b, e - 1 - b, seq))
                goto out_free_buf;
            e = b;
            unchecked = start + (off_t)b;
        }
        if (start == 0 || window >= JOURNAL_WINDOW_MAX)
            break;
        window *= 4;
    }
    if (foreign) {
        BF_LOGE("alerts/journal", "%s: no alert line found at its end: not an alert journal?", path);
        rc = BF_EPARSE;
    }
out_free_buf:
    free(buf);
    return rc;
}

int bf_journal_last_seq(const char *path, uint64_t *seq)
{
    *seq = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? 0 : BF_EIO;
    int rc = last_seq_fd(fd, path, seq);
    close(fd);
    return rc;
}

static int sync_fd(struct bf_journal *j)
{
    if (j->policy == BF_FSYNC_ALWAYS && fdatasync(j->fd) < 0)
        return BF_EIO;
    return 0;
}

int bf_journal_open(const char *path, enum bf_fsync_policy policy, uint64_t *last_seq,
                    struct bf_journal **out)
{
    *out = NULL;
    *last_seq = 0;
    if (!path || !*path)
        return BF_EINVAL;
    struct bf_journal *j = calloc(1, sizeof *j);
    if (!j)
        return BF_ENOMEM;
    j->policy = policy;
    j->path = strdup(path);
    j->fd = j->path ? open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0640) : -1;
    if (j->fd < 0) {
        BF_LOGE("alerts/journal", "%s: cannot open: %s", path, strerror(errno));
        free(j->path);
        free(j);
        return BF_EIO;
    }
    int rc = last_seq_fd(j->fd, path, last_seq);
    if (rc == 0)
        rc = bf_line_file_settle(j->fd, path, policy == BF_FSYNC_ALWAYS, "alerts/journal");
    if (rc < 0)
        goto out_close;
    *out = j;
    return 0;

out_close:
    close(j->fd);
    free(j->path);
    free(j);
    return rc;
}

int bf_journal_append(struct bf_journal *j, char *line, size_t len)
{
    char saved = line[len];
    line[len] = '\n';
    int rc = bf_append_line(j->fd, line, len + 1, &j->torn_tail);
    line[len] = saved;
    return rc < 0 ? rc : sync_fd(j);
}

void bf_journal_close(struct bf_journal *j)
{
    if (!j)
        return;
    if (j->policy == BF_FSYNC_ALWAYS)
        fdatasync(j->fd);
    close(j->fd);
    free(j->path);
    free(j);
}

/* ---- retention (docs/retention.md) ------------------------------------- */

/* Ids of the alerts that have a line at or after the cutoff: sorted, for bsearch. */
struct recent_ids {
    char (*id)[BF_ALERT_ID_LEN];
    size_t n, cap;
    bf_time_us cutoff_us;
    int err;
};

static int collect_recent(void *ctx, const cJSON *obj, const char *line, size_t len)
{
    (void)line;
    (void)len;
    struct recent_ids *r = ctx;
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(obj, "id");
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(obj, "time");
    bf_time_us us;
    if (!cJSON_IsString(id) || strlen(id->valuestring) >= BF_ALERT_ID_LEN || !cJSON_IsString(t) ||
        bf_time_parse_iso(t->valuestring, &us) < 0 || us < r->cutoff_us)
        return 0;
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 256;
        void *nv = realloc(r->id, cap * sizeof *r->id);
        if (!nv)
            return r->err = BF_ENOMEM;
        r->id = nv;
        r->cap = cap;
    }
    snprintf(r->id[r->n++], BF_ALERT_ID_LEN, "%s", id->valuestring);
    return 0;
}

static int cmp_id(const void *a, const void *b) { return strcmp(a, b); }

struct keep_ctx {
    struct recent_ids *recent;
    uint64_t keep_above_seq;
    bool (*is_live)(void *ctx, const char *alert_id);
    void *live_ctx;
};

static bool keep_line(void *ctx, const cJSON *obj, bf_time_us t_us)
{
    (void)t_us;
    struct keep_ctx *k = ctx;
    const cJSON *seq = cJSON_GetObjectItemCaseSensitive(obj, "seq");
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(obj, "id");
    if (cJSON_IsNumber(seq) && seq->valuedouble > (double)k->keep_above_seq)
        return true;   /* not yet known delivered */
    if (!cJSON_IsString(id))
        return true;   /* not an alert line: not ours to judge */
    if (k->recent->n && bsearch(id->valuestring, k->recent->id, k->recent->n,
                                sizeof *k->recent->id, cmp_id))
        return true;   /* the alert has a newer line */
    return k->is_live && k->is_live(k->live_ctx, id->valuestring);
}

int bf_journal_purge(struct bf_journal *j, bf_time_us cutoff_us, uint64_t keep_above_seq,
                     bool (*is_live)(void *ctx, const char *alert_id), void *live_ctx,
                     struct bf_purge_stats *st)
{
    struct recent_ids r = {.cutoff_us = cutoff_us};
    int rc = bf_jsonl_foreach(j->path, collect_recent, &r);
    if (rc == 0)
        rc = r.err;
    if (rc < 0) {
        free(r.id);
        return rc;
    }
    if (r.n)
        qsort(r.id, r.n, sizeof *r.id, cmp_id);
    struct keep_ctx k = {.recent = &r, .keep_above_seq = keep_above_seq, .is_live = is_live,
                         .live_ctx = live_ctx};
    struct bf_purge_stats local;
    if (!st)
        st = &local;
    rc = bf_jsonl_purge(j->path, cutoff_us, "time", keep_line, &k, st);
    free(r.id);
    if (rc < 0 || st->lines_purged == 0)
        return rc;
    /* the path is a new file now: append to it, not to the old one */
    return bf_reopen_append(j->path, &j->fd, "alerts/journal");
}
