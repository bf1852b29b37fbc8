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
 *
 * A disk fills up or fails: every write, sync and rename of those files goes
 * through the bf_io_* wrappers (alerts_int.h), and a unit test arms a fault
 * here (bf_fileio_fault_set) to make the chosen calls fail with the errno of
 * a full or failing disk, after so many calls, so that each caller's way out
 * of ENOSPC, EIO or EFBIG is exercised without filling a real disk.
 */
#include "delivery/delivery_int.h"
#include "alerts/alerts_int.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/bf_error.h"
#include "core/bf_log.h"

/* ---- fault injection (tests) -------------------------------------------- */

unsigned bf_fileio_fault_ops;
static pthread_mutex_t fault_mu = PTHREAD_MUTEX_INITIALIZER;
static int fault_err;
static unsigned fault_after, fault_count, fault_hits;

void bf_fileio_fault_set(unsigned ops, int err, unsigned after, unsigned count)
{
    pthread_mutex_lock(&fault_mu);
    fault_err = err;
    fault_after = after;
    fault_count = count;
    fault_hits = 0;
    __atomic_store_n(&bf_fileio_fault_ops, err ? ops : 0, __ATOMIC_RELAXED);
    pthread_mutex_unlock(&fault_mu);
}

unsigned bf_fileio_fault_hits(void)
{
    pthread_mutex_lock(&fault_mu);
    unsigned h = fault_hits;
    pthread_mutex_unlock(&fault_mu);
    return h;
}

int bf_fileio_fault_take(unsigned op)
{
    int err = 0;
    pthread_mutex_lock(&fault_mu);
    if (__atomic_load_n(&bf_fileio_fault_ops, __ATOMIC_RELAXED) & op) {
        if (fault_after > 0) {
            fault_after--;
        } else {
            err = fault_err;
            fault_hits++;
            if (fault_count > 0 && --fault_count == 0)
                __atomic_store_n(&bf_fileio_fault_ops, 0u, __ATOMIC_RELAXED);
        }
    }
    pthread_mutex_unlock(&fault_mu);
    return err;
}

/* ---- the loops ------------------------------------------------------------ */

static uint32_t crc_table[256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

static void make_crc_table(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
        crc_table[i] = c;
    }
}

uint32_t bf_crc32(uint32_t crc, const void *p, size_t n)
{
    pthread_once(&crc_once, make_crc_table);
    const unsigned char *c = p;
    crc = ~crc;
    for (size_t i = 0; i < n; i++)
        crc = crc_table[(crc ^ c[i]) & 0xffu] ^ (crc >> 8);
    return ~crc;
}

int bf_write_all(int fd, const void *p, size_t n, bool *partial)
{
    const char *c = p;
    size_t done = 0;
    if (partial)
        *partial = false;
    while (done < n) {
        ssize_t w = bf_io_write(fd, c + done, n - done);
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
    if (bf_write_all(fd, "\n", 1, NULL) < 0 || (durable && bf_io_fdatasync(fd) < 0))
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

int bf_write_file_atomic(const char *path, const char *text, size_t n)
{
    size_t pl = strlen(path);
    char *tmp = malloc(pl + sizeof ".tmp");
    if (!tmp)
        return BF_ENOMEM;
    memcpy(tmp, path, pl);
    memcpy(tmp + pl, ".tmp", sizeof ".tmp");
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    bool ok = fd >= 0 && bf_write_all(fd, text, n, NULL) == 0 && bf_io_fdatasync(fd) == 0;
    int err = errno;
    if (fd >= 0)
        close(fd);
    ok = ok && bf_io_rename(tmp, path) == 0;
    if (!ok) {
        err = errno ? errno : err;
        unlink(tmp);
        free(tmp);
        errno = err;
        return BF_EIO;
    }
    free(tmp);
    bf_sync_dir_of(path);
    return 0;
}
