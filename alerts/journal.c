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
#include <libgen.h>
#include <math.h>
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

static int read_at(int fd, char *buf, size_t n, off_t off)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = pread(fd, buf + got, n - got, off + (off_t)got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return BF_EIO;
        got += (size_t)r;
    }
    return 0;
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
        if (read_at(fd, buf, n, start) < 0) {
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

static int write_all(int fd, const char *p, size_t n, bool *partial)
{
    size_t done = 0;
    while (done < n) {
        ssize_t w = write(fd, p + done, n - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            *partial = done > 0;
            return BF_EIO;
        }
        done += (size_t)w;
    }
    return 0;
}

static int sync_fd(struct bf_journal *j)
{
    if (j->policy == BF_FSYNC_ALWAYS && fdatasync(j->fd) < 0)
        return BF_EIO;
    return 0;
}

/* Make a newly created file's directory entry durable too. */
static void sync_dir_of(const char *path)
{
    char *copy = strdup(path);
    if (!copy)
        return;
    int dfd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    free(copy);
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
    j->fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (j->fd < 0) {
        BF_LOGE("alerts/journal", "%s: cannot open: %s", path, strerror(errno));
        free(j);
        return BF_EIO;
    }
    int rc = last_seq_fd(j->fd, path, last_seq);
    if (rc < 0)
        goto out_close;
    struct stat sb;
    if (fstat(j->fd, &sb) < 0) {
        rc = BF_EIO;
        goto out_close;
    }
    if (sb.st_size == 0) {
        if (policy == BF_FSYNC_ALWAYS)
            sync_dir_of(path);
    } else {
        char last;
        if (read_at(j->fd, &last, 1, sb.st_size - 1) < 0) {
            rc = BF_EIO;
            goto out_close;
        }
        if (last != '\n') {
            BF_LOGW("alerts/journal", "%s: torn last line (crash?) left as is and skipped", path);
            bool partial = false;
            if (write_all(j->fd, "\n", 1, &partial) < 0 || sync_fd(j) < 0) {
                rc = BF_EIO;
                goto out_close;
            }
        }
    }
    *out = j;
    return 0;

out_close:
    close(j->fd);
    free(j);
    return rc;
}

int bf_journal_append(struct bf_journal *j, char *line, size_t len)
{
    bool partial = false;
    if (j->torn_tail) {
        if (write_all(j->fd, "\n", 1, &partial) < 0)
            return BF_EIO;
        j->torn_tail = false;
    }
    char saved = line[len];
    line[len] = '\n';
    int rc = write_all(j->fd, line, len + 1, &partial);
    line[len] = saved;
    if (rc < 0) {
        j->torn_tail = partial;
        return rc;
    }
    return sync_fd(j);
}

void bf_journal_close(struct bf_journal *j)
{
    if (!j)
        return;
    if (j->policy == BF_FSYNC_ALWAYS)
        fdatasync(j->fd);
    close(j->fd);
    free(j);
}
