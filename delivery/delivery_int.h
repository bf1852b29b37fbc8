/*
 * delivery_int.h - internals of delivery/ (and its tests): the wrappers every
 * write, sync and rename of its files goes through, with the fault injection
 * the tests arm, and the line-file helpers.  Not for other modules.
 */
#ifndef BF_DELIVERY_INT_H
#define BF_DELIVERY_INT_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <unistd.h>

#include "delivery/delivery.h"

/* ---- the append-only files: journal, audit log, purge (fileio.c) ---------- */

/*
 * Every write(2), fdatasync(2)/fsync(2) and rename(2) of the files of delivery/
 * (journal, its seq and watermark files, audit log, purge) goes through the
 * wrappers below.  A test arms a fault (bf_fileio_fault_set): the chosen
 * calls then fail with its errno, as a full or failing disk makes them fail.
 * Unarmed, a wrapper costs one relaxed atomic load.
 */
enum bf_fileio_op {
    BF_IO_WRITE = 1u << 0,
    BF_IO_FSYNC = 1u << 1,
    BF_IO_RENAME = 1u << 2,
};

/*
 * Tests only: from now on, after `after` more calls of the operations in ops
 * (a mask of enum bf_fileio_op) succeed, the next `count` of them (0: all)
 * fail with err.  ops 0 disarms.  Not thread-safe against itself (one test
 * arms at a time); the wrappers may run on any thread.
 */
void bf_fileio_fault_set(unsigned ops, int err, unsigned after, unsigned count);

/* Calls failed by the armed fault since it was set. */
unsigned bf_fileio_fault_hits(void);

extern unsigned bf_fileio_fault_ops;   /* the armed mask (atomic builtins); 0 nearly always */

/* The errno the armed fault makes this call of op fail with, or 0 (perform it). */
int bf_fileio_fault_take(unsigned op);

static inline ssize_t bf_io_write(int fd, const void *p, size_t n)
{
    int err;
    if (__atomic_load_n(&bf_fileio_fault_ops, __ATOMIC_RELAXED) & BF_IO_WRITE &&
        (err = bf_fileio_fault_take(BF_IO_WRITE)) != 0) {
        errno = err;
        return -1;
    }
    return write(fd, p, n);
}

static inline int bf_io_fdatasync(int fd)
{
    int err;
    if (__atomic_load_n(&bf_fileio_fault_ops, __ATOMIC_RELAXED) & BF_IO_FSYNC &&
        (err = bf_fileio_fault_take(BF_IO_FSYNC)) != 0) {
        errno = err;
        return -1;
    }
    return fdatasync(fd);
}

static inline int bf_io_rename(const char *from, const char *to)
{
    int err;
    if (__atomic_load_n(&bf_fileio_fault_ops, __ATOMIC_RELAXED) & BF_IO_RENAME &&
        (err = bf_fileio_fault_take(BF_IO_RENAME)) != 0) {
        errno = err;
        return -1;
    }
    return rename(from, to);
}

/*
 * Write text[0..n) to path atomically: path.tmp written, fdatasync'd,
 * renamed over path, the directory synced.  Returns 0, or BF_EIO with errno
 * kept (the old file stays; the temporary is removed).
 */
int bf_write_file_atomic(const char *path, const char *text, size_t n);

/* CRC-32 (IEEE 802.3, the zlib one) of p[0..n), continuing from crc (0 to start). */
uint32_t bf_crc32(uint32_t crc, const void *p, size_t n);

/*
 * write(2) all n bytes of p to fd, retrying interrupted and short writes.
 * Returns 0, or BF_EIO (errno kept) with *partial (may be NULL) true when
 * some of the bytes were written.
 */
int bf_write_all(int fd, const void *p, size_t n, bool *partial);

/* pread(2) exactly n bytes at off (retrying).  Returns 0, or BF_EIO (also at end of file). */
int bf_read_at(int fd, void *buf, size_t n, off_t off);

/* fsync the directory holding path, so a created or renamed entry is durable (best effort). */
void bf_sync_dir_of(const char *path);

/*
 * A line file just opened on fd (O_APPEND) at path: if empty, its directory
 * is synced (durable); if its last byte is not a newline (a torn line, as a
 * crash leaves it) a warning tagged log_comp is logged and a newline is
 * appended (fdatasync'd when durable), so the torn line stays a line of its
 * own that readers skip.  Returns 0 or BF_EIO.
 */
int bf_line_file_settle(int fd, const char *path, bool durable, const char *log_comp);

/*
 * Append line[0..n) (ending with its newline) in one write(2).  *torn_tail
 * (the file's state, false at first): when set, a newline is written first
 * to close the partial line a failed append left; a failed append sets it
 * when part of the line went out.  No fsync.  Returns 0 or BF_EIO.
 */
int bf_append_line(int fd, const char *line, size_t n, bool *torn_tail);

/*
 * After a purge replaced the file at path: open path for appending and put
 * that descriptor in *fd, closing the old one.  Returns 0, or BF_EIO (logged
 * with log_comp; *fd unchanged).
 */
int bf_reopen_append(const char *path, int *fd, const char *log_comp);

#endif
