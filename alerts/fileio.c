/*
 * fileio.c - the file handling the append-only files of alerts/ share: the
 * alert journal (journal.c), the operator audit log (audit.c), the purge of
 * both (retention.c) and the outbox's reading back of the journal
 * (outbox.c).
 *
 * The problem: each of those files must survive a crash with whole lines
 * only and must never glue a new line onto a torn one, and each of them
 * needs the same few system-call loops to get there (a write that may be
 * short or interrupted, a pread that may be short, a directory entry made
 * durable, a torn last line closed, a path reopened after a purge replaced
 * the file).  They are written once, here, with one contract each in
 * alerts_int.h.
 */
#include "alerts/alerts_int.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/bf_error.h"
#include "core/bf_log.h"

int bf_write_all(int fd, const void *p, size_t n, bool *partial)
{
    const char *c = p;
    size_t done = 0;
    if (partial)
        *partial = false;
    while (done < n) {
        ssize_t w = write(fd, c + done, n - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            if (partial)
                *partial = done > 0;
            return BF_EIO;
        }
        done += (size_t)w;
    }
    return 0;
}

int bf_read_at(int fd, void *buf, size_t n, off_t off)
{
    char *c = buf;
    size_t got = 0;
    while (got < n) {
        ssize_t r = pread(fd, c + got, n - got, off + (off_t)got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return BF_EIO;
        got += (size_t)r;
    }
    return 0;
}

void bf_sync_dir_of(const char *path)
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

int bf_line_file_settle(int fd, const char *path, bool durable, const char *log_comp)
{
    struct stat sb;
    if (fstat(fd, &sb) < 0)
        return BF_EIO;
    if (sb.st_size == 0) {
        if (durable)
            bf_sync_dir_of(path);
        return 0;
    }
    char last;
    if (bf_read_at(fd, &last, 1, sb.st_size - 1) < 0)
        return BF_EIO;
    if (last == '\n')
        return 0;
    BF_LOGW(log_comp, "%s: torn last line (crash?) left as is and skipped", path);
    if (bf_write_all(fd, "\n", 1, NULL) < 0 || (durable && fdatasync(fd) < 0))
        return BF_EIO;
    return 0;
}

int bf_append_line(int fd, const char *line, size_t n, bool *torn_tail)
{
    if (*torn_tail) {
        if (bf_write_all(fd, "\n", 1, NULL) < 0)
            return BF_EIO;
        *torn_tail = false;
    }
    bool partial;
    int rc = bf_write_all(fd, line, n, &partial);
    if (rc < 0)
        *torn_tail = partial;
    return rc;
}

int bf_reopen_append(const char *path, int *fd, const char *log_comp)
{
    int nfd = open(path, O_RDWR | O_APPEND | O_CLOEXEC);
    if (nfd < 0) {
        BF_LOGE(log_comp, "%s: cannot reopen after the purge: %s", path, strerror(errno));
        return BF_EIO;
    }
    close(*fd);
    *fd = nfd;
    return 0;
}
