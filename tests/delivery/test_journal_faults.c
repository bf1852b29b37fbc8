/*
 * test_journal_faults.c - the alert journal and its outbox against a full or
 * failing disk, crashes and a second engine (docs/alerts.md, "Journal" and
 * "Delivery").  Faults are injected through the file wrappers of alerts/
 * (bf_fileio_fault_set): ENOSPC on append, EIO on fsync, a rename that fails
 * in a purge; then recovery, and no sequence number ever handed out twice.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "alerts/alerts_int.h"
#include "delivery/delivery_int.h"
#include "bf_test.h"
#include "alerts/fixture.h"
#include "core/bf_error.h"

static void jpath(char *buf, size_t len, const char *name)
{
    snprintf(buf, len, "%s/%s", bf_test_tmpdir(), name);
    char side[700];
    unlink(buf);
    snprintf(side, sizeof side, "%s.seq", buf);
    unlink(side);
    snprintf(side, sizeof side, "%s.delivered", buf);
    unlink(side);
}

static int append_seq(struct bf_journal *j, const char *id, uint64_t seq, const char *state)
{
    char line[256];
    int n = snprintf(line, sizeof line,
                     "{\"id\":\"%s\",\"seq\":%llu,\"state\":\"%s\",\"time\":\"2026-01-01T00:00:00.000Z\"}",
                     id, (unsigned long long)seq, state);
    return bf_journal_append(j, line, (size_t)n);
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fputs(text, f);
    fclose(f);
}

/* Count the lines of path holding needle. */
static int count_lines(const char *path, const char *needle)
{
    char *text = bf_test_read_file(path, NULL);
    if (!text)
        return -1;
    int n = 0;
    for (char *save = NULL, *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
        n += strstr(l, needle) != NULL;
    free(text);
    return n;
}

static void test_enospc_on_append(void)
{
    char path[512];
    jpath(path, sizeof path, "full.jsonl");
    uint64_t last;
    struct bf_journal *j;
    CU_ASSERT_EQUAL_FATAL(bf_journal_open(path, BF_FSYNC_ALWAYS, &last, &j), 0);
    CU_ASSERT_EQUAL(last, 0);
    CU_ASSERT_EQUAL(append_seq(j, "a", 1, "RESOLVED"), 0);
    CU_ASSERT_FALSE(bf_journal_failing(j, NULL));
    bf_fileio_fault_set(BF_IO_WRITE, ENOSPC, 0, 0);   /* every write fails from now on */
    CU_ASSERT_EQUAL(append_seq(j, "b", 2, "RESOLVED"), BF_EIO);
    CU_ASSERT_EQUAL(append_seq(j, "c", 3, "RESOLVED"), BF_EIO);
    int err = 0;
    CU_ASSERT_TRUE(bf_journal_failing(j, &err));
    CU_ASSERT_EQUAL(err, ENOSPC);
    CU_ASSERT_EQUAL(bf_journal_retry(j), BF_EIO);   /* still full */
    struct bf_journal_stats st;
    bf_journal_get_stats(j, &st);
    CU_ASSERT_EQUAL(st.append_errors, 2);
    CU_ASSERT_EQUAL(st.last_errno, ENOSPC);
    CU_ASSERT_EQUAL(st.issued_seq, 3);
    CU_ASSERT_TRUE(bf_fileio_fault_hits() >= 3);
    bf_fileio_fault_set(0, 0, 0, 0);                  /* space again */
    CU_ASSERT_EQUAL(bf_journal_retry(j), 0);
    CU_ASSERT_FALSE(bf_journal_failing(j, NULL));
    CU_ASSERT_EQUAL(append_seq(j, "d", 4, "RESOLVED"), 0);
    bf_journal_get_stats(j, &st);
    CU_ASSERT_EQUAL(st.gaps, 1);
    bf_journal_close(j);
    /* the gap line says which seqs went out without their line */
    CU_ASSERT_EQUAL(count_lines(path, "\"journal_gap\":{\"first_seq\":2,\"last_seq\":3,\"lines\":2"), 1);
    CU_ASSERT_EQUAL(count_lines(path, "No space left on device"), 1);
    CU_ASSERT_EQUAL(count_lines(path, "\"crc32\":\""), 3);   /* a, gap, d */
    /* restarted: continues after 4, nothing reused */
    CU_ASSERT_EQUAL_FATAL(bf_journal_open(path, BF_FSYNC_ALWAYS, &last, &j), 0);
    CU_ASSERT_EQUAL(last, 4);
    bf_journal_close(j);
    printf("\n    ENOSPC: 2 appends failed, gap line seq 2..3, restart continues after %llu\n",
           (unsigned long long)last);
}

static void test_eio_on_fsync(void)
{
    char path[512];
    jpath(path, sizeof path, "fsync.jsonl");
    uint64_t last;
    struct bf_journal *j;
    CU_ASSERT_EQUAL_FATAL(bf_journal_open(path, BF_FSYNC_ALWAYS, &last, &j), 0);
    CU_ASSERT_EQUAL(append_seq(j, "a", 1, "RESOLVED"), 0);
    bf_fileio_fault_set(BF_IO_FSYNC, EIO, 0, 1);      /* the next fsync fails, once */
    CU_ASSERT_EQUAL(append_seq(j, "b", 2, "RESOLVED"), BF_EIO);
    int err = 0;
    CU_ASSERT_TRUE(bf_journal_failing(j, &err));
    CU_ASSERT_EQUAL(err, EIO);
    CU_ASSERT_EQUAL(bf_fileio_fault_hits(), 1);
    CU_ASSERT_EQUAL(append_seq(j, "c", 3, "RESOLVED"), 0);   /* the gap line first, then c */
    CU_ASSERT_FALSE(bf_journal_failing(j, NULL));
    /* a file grown past its limit (EFBIG): the next write passes, the one after fails */
    bf_fileio_fault_set(BF_IO_WRITE, EFBIG, 1, 1);
    CU_ASSERT_EQUAL(append_seq(j, "d", 4, "RESOLVED"), 0);
    CU_ASSERT_EQUAL(append_seq(j, "e", 5, "RESOLVED"), BF_EIO);
    CU_ASSERT_TRUE(bf_journal_failing(j, &err));
    CU_ASSERT_EQUAL(err, EFBIG);
    CU_ASSERT_EQUAL(bf_journal_retry(j), 0);
    bf_journal_close(j);
    CU_ASSERT_EQUAL(count_lines(path, "\"first_seq\":5,\"last_seq\":5"), 1);
    CU_ASSERT_EQUAL(count_lines(path, "File too large"), 1);
    CU_ASSERT_EQUAL(count_lines(path, "\"first_seq\":2,\"last_seq\":2"), 1);
    CU_ASSERT_EQUAL(count_lines(path, "Input/output error"), 1);
    uint64_t seq = 0;
    CU_ASSERT_EQUAL(bf_journal_last_seq(path, &seq), 0);
    CU_ASSERT_EQUAL(seq, 4);
}

static void test_rename_fails_in_purge(void)
{
    char path[512];
    jpath(path, sizeof path, "purge.jsonl");
    uint64_t last;
    struct bf_journal *j;
    CU_ASSERT_EQUAL_FATAL(bf_journal_open(path, BF_FSYNC_NEVER, &last, &j), 0);
    for (uint64_t s = 1; s <= 4; s++)
        CU_ASSERT_EQUAL(append_seq(j, s % 2 ? "old" : "other", s, "RESOLVED"), 0);
    struct stat before, after;
    CU_ASSERT_EQUAL(stat(path, &before), 0);
    bf_fileio_fault_set(BF_IO_RENAME, EIO, 0, 0);
    struct bf_purge_stats ps;
    bf_time_us cutoff;
    CU_ASSERT_EQUAL(bf_time_parse_iso("2026-06-01T00:00:00Z", &cutoff), 0);
    CU_ASSERT_EQUAL(bf_journal_purge(j, cutoff, 10, NULL, NULL, &ps), BF_EIO);
    CU_ASSERT_EQUAL(ps.lines_purged, 0);
    bf_fileio_fault_set(0, 0, 0, 0);
    CU_ASSERT_EQUAL(stat(path, &after), 0);
    CU_ASSERT_EQUAL(before.st_ino, after.st_ino);   /* the file is untouched */
    CU_ASSERT_EQUAL(before.st_size, after.st_size);
    char tmp[600];
    snprintf(tmp, sizeof tmp, "%s.purge-tmp", path);
    CU_ASSERT_NOT_EQUAL(access(tmp, F_OK), 0);
    CU_ASSERT_EQUAL(append_seq(j, "new", 5, "RESOLVED"), 0);   /* appends go on */
    /* and the purge works once rename does */
    CU_ASSERT_EQUAL(bf_journal_purge(j, cutoff, 10, NULL, NULL, &ps), 0);
    CU_ASSERT_EQUAL(ps.lines_purged, 5);
    CU_ASSERT_EQUAL(append_seq(j, "newer", 6, "RESOLVED"), 0);
    bf_journal_close(j);
    CU_ASSERT_EQUAL(count_lines(path, "\"seq\":6"), 1);
    CU_ASSERT_EQUAL_FATAL(bf_journal_open(path, BF_FSYNC_NEVER, &last, &j), 0);
    CU_ASSERT_EQUAL(last, 6);
    bf_journal_close(j);
}

/* A child opens the journal, appends n lines (the last k failing), and dies without closing. */
static void crash_after(const char *path, uint64_t n, uint64_t k)
{
    pid_t pid = fork();
    CU_ASSERT_FATAL(pid >= 0);
    if (pid == 0) {
        uint64_t last;
        struct bf_journal *j;
        if (bf_journal_open(path, BF_FSYNC_NEVER, &last, &j) < 0)
            _exit(2);
        for (uint64_t i = 1; i <= n; i++) {
            if (i == n - k + 1)
                bf_fileio_fault_set(BF_IO_WRITE, ENOSPC, 0, 0);
            append_seq(j, "x", last + i, "RESOLVED");
        }
        _exit(0);   /* no close: a crash */
    }
    int status = 0;
    waitpid(pid, &status, 0);
    CU_ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void test_no_seq_reused_after_crash(void)
{
    char path[512];
    jpath(path, sizeof path, "crash.jsonl");
    /* 10 lines, the last 3 failed (ENOSPC), then the engine died: 8..10 went out unjournaled */
    crash_after(path, 10, 3);
    uint64_t in_journal = 0, last;
    CU_ASSERT_EQUAL(bf_journal_last_seq(path, &in_journal), 0);
    CU_ASSERT_EQUAL(in_journal, 7);
    struct bf_journal *j;
    CU_ASSERT_EQUAL_FATAL(bf_journal_open(path, BF_FSYNC_NEVER, &last, &j), 0);
    CU_ASSERT_TRUE(last >= 10);   /* the reservation: never 8 again */
    uint64_t after_crash = last;
    bf_journal_close(j);
    /* the journal zeroed (same length, all NUL bytes, as a file system may leave it) */
    struct stat sb;
    CU_ASSERT_EQUAL(stat(path, &sb), 0);
    char *zeros = calloc(1, (size_t)sb.st_size);
    FILE *f = fopen(path, "wb");
    fwrite(zeros, 1, (size_t)sb.st_size, f);
    fclose(f);
    free(zeros);
    CU_ASSERT_EQUAL_FATAL(bf_journal_open(path, BF_FSYNC_NEVER, &last, &j), 0);
    CU_ASSERT_EQUAL(last, after_crash);
    struct bf_journal_stats st;
    bf_journal_get_stats(j, &st);
    CU_ASSERT_EQUAL(st.torn_bytes, (uint64_t)sb.st_size);   /* moved aside, not read as alerts */
    bf_journal_close(j);
    /* truncated to nothing, then removed: the seq file still carries the numbering */
    CU_ASSERT_EQUAL(truncate(path, 0), 0);
    CU_ASSERT_EQUAL_FATAL(bf_journal_open(path, BF_FSYNC_NEVER, &last, &j), 0);
    CU_ASSERT_EQUAL(last, after_crash);
    bf_journal_close(j);
    unlink(path);
    CU_ASSERT_EQUAL_FATAL(bf_journal_open(path, BF_FSYNC_NEVER, &last, &j), 0);
    CU_ASSERT_EQUAL(last, after_crash);
    CU_ASSERT_EQUAL(append_seq(j, "y", last + 1, "RESOLVED"), 0);
    bf_journal_close(j);
    printf("\n    crash with 3 failed appends: journal's last seq 7, restart continues after %llu\n",
           (unsigned long long)after_crash);
}

static void test_torn_and_corrupt(void)
{
    char path[512];
    jpath(path, sizeof path, "corrupt.jsonl");
    uint64_t last;
    struct bf_journal *j;
    CU_ASSERT_EQUAL_FATAL(bf_journal_open(path, BF_FSYNC_NEVER, &last, &j), 0);
    for (uint64_t s = 1; s <= 4; s++)
        CU_ASSERT_EQUAL(append_seq(j, "a", s, "RESOLVED"), 0);
    bf_journal_close(j);
    /* a flipped byte in line 2 (its crc no longer matches), a torn line at the end */
    char *text = bf_test_read_file(path, NULL);
    char *l2 = strchr(text, '\n') + 1;
    char *at = strstr(l2, "RESOLVED");
    at[0] = 'X';
    FILE *f = fopen(path, "wb");
    fputs(text, f);
    fputs("{\"id\":\"a\",\"seq\":5,\"sta", f);
    fclose(f);
    free(text);
    struct bf_outbox *o;
    CU_ASSERT_EQUAL_FATAL(bf_journal_open(path, BF_FSYNC_NEVER, &last, &j), 0);
    struct bf_journal_stats st;
    bf_journal_get_stats(j, &st);
    CU_ASSERT_EQUAL(st.corrupt_lines, 1);
    CU_ASSERT_EQUAL(st.torn_bytes, strlen("{\"id\":\"a\",\"seq\":5,\"sta"));
    CU_ASSERT_EQUAL(last, 4);
    /* the outbox owes the intact lines only */
    CU_ASSERT_EQUAL_FATAL(bf_outbox_open(path, 60, &o), 0);
    struct bf_outbox_stats os;
    bf_outbox_get_stats(o, &os);
    CU_ASSERT_EQUAL(os.recovered, 3);
    CU_ASSERT_EQUAL(os.corrupt, 1);
    bf_outbox_close(o);
    bf_journal_close(j);
    CU_ASSERT_EQUAL(count_lines(path, "\"seq\":5"), 0);
}

static void test_watermark_above_last_line(void)
{
    char path[512];
    jpath(path, sizeof path, "mark.jsonl");
    uint64_t last;
    struct bf_journal *j;
    CU_ASSERT_EQUAL_FATAL(bf_journal_open(path, BF_FSYNC_NEVER, &last, &j), 0);
    for (uint64_t s = 1; s <= 3; s++)
        CU_ASSERT_EQUAL(append_seq(j, "a", s, "RESOLVED"), 0);
    /* seq 4 went out and was acknowledged, but its append failed */
    bf_fileio_fault_set(BF_IO_WRITE, ENOSPC, 0, 1);
    CU_ASSERT_EQUAL(append_seq(j, "a", 4, "RESOLVED"), BF_EIO);
    bf_journal_close(j);   /* the gap line goes in at close */
    struct stat sb;
    CU_ASSERT_EQUAL(stat(path, &sb), 0);
    char mark[600], txt[200];
    snprintf(mark, sizeof mark, "%s.delivered", path);
    snprintf(txt, sizeof txt, "{\"delivered_seq\":4,\"journal_offset\":%lld,\"journal_inode\":%llu}\n",
             (long long)sb.st_size, (unsigned long long)sb.st_ino);
    write_text(mark, txt);
    struct bf_outbox *o;
    CU_ASSERT_EQUAL_FATAL(bf_outbox_open(path, 60, &o), 0);
    struct bf_outbox_stats os;
    bf_outbox_get_stats(o, &os);
    CU_ASSERT_EQUAL(os.recovered, 0);   /* nothing owed: not the whole history again */
    CU_ASSERT_EQUAL(os.delivered_seq, 4);
    bf_outbox_close(o);
    /* the same watermark without the inode: still at or below the numbering (<journal>.seq) */
    write_text(mark, "{\"delivered_seq\":4,\"journal_offset\":0,\"journal_inode\":0}\n");
    CU_ASSERT_EQUAL_FATAL(bf_outbox_open(path, 60, &o), 0);
    bf_outbox_get_stats(o, &os);
    CU_ASSERT_EQUAL(os.recovered, 0);
    bf_outbox_close(o);
    /* far above anything this journal numbered: another journal's, every line owed */
    write_text(mark, "{\"delivered_seq\":900,\"journal_offset\":0,\"journal_inode\":0}\n");
    CU_ASSERT_EQUAL_FATAL(bf_outbox_open(path, 60, &o), 0);
    bf_outbox_get_stats(o, &os);
    CU_ASSERT_EQUAL(os.recovered, 3);
    CU_ASSERT_EQUAL(os.delivered_seq, 0);
    bf_outbox_close(o);
}

static void test_one_engine_per_journal(void)
{
    char path[512];
    jpath(path, sizeof path, "locked.jsonl");
    uint64_t last;
    struct bf_journal *j, *j2 = NULL;
    CU_ASSERT_EQUAL_FATAL(bf_journal_open(path, BF_FSYNC_NEVER, &last, &j), 0);
    CU_ASSERT_EQUAL(bf_journal_open(path, BF_FSYNC_NEVER, &last, &j2), BF_ESTATE);
    CU_ASSERT_PTR_NULL(j2);
    char lock[600], want[32];
    snprintf(lock, sizeof lock, "%s.lock", path);
    snprintf(want, sizeof want, "%ld\n", (long)getpid());
    char *pid = bf_test_read_file(lock, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(pid);
    CU_ASSERT_STRING_EQUAL(pid, want);
    free(pid);
    bf_journal_close(j);
    /* the lock file stays behind; it does not block */
    CU_ASSERT_EQUAL(access(lock, F_OK), 0);
    CU_ASSERT_EQUAL_FATAL(bf_journal_open(path, BF_FSYNC_NEVER, &last, &j), 0);
    bf_journal_close(j);
}

static void test_open_alerts_closed_at_restart(void)
{
    char path[512];
    jpath(path, sizeof path, "live.jsonl");
    uint64_t last;
    struct bf_journal *j;
    CU_ASSERT_EQUAL_FATAL(bf_journal_open(path, BF_FSYNC_NEVER, &last, &j), 0);
    CU_ASSERT_EQUAL(append_seq(j, "open", 1, "NEW"), 0);
    CU_ASSERT_EQUAL(append_seq(j, "done", 2, "NEW"), 0);
    CU_ASSERT_EQUAL(append_seq(j, "open", 3, "ACKNOWLEDGED"), 0);
    CU_ASSERT_EQUAL(append_seq(j, "done", 4, "RESOLVED"), 0);
    bf_journal_close(j);
    CU_ASSERT_EQUAL_FATAL(bf_journal_open(path, BF_FSYNC_NEVER, &last, &j), 0);
    CU_ASSERT_EQUAL(last, 5);   /* 5: the closing line of "open" */
    struct bf_journal_stats st;
    bf_journal_get_stats(j, &st);
    CU_ASSERT_EQUAL(st.closed_at_start, 1);
    bf_journal_close(j);
    CU_ASSERT_EQUAL(count_lines(path, "\"id\":\"open\",\"seq\":5,\"state\":\"RESOLVED\""), 1);
    CU_ASSERT_EQUAL(count_lines(path, "\"reason\":\"engine restarted\""), 1);
    /* closed now: the next start closes nothing */
    CU_ASSERT_EQUAL_FATAL(bf_journal_open(path, BF_FSYNC_NEVER, &last, &j), 0);
    CU_ASSERT_EQUAL(last, 5);
    bf_journal_close(j);
}

/* The rules: a failing journal raises the SYSTEM storage alert, published; recovery resolves it. */
static void test_system_alert_from_journal(void)
{
    char path[512];
    jpath(path, sizeof path, "sys.jsonl");
    struct fx_sink s;
    struct bf_alerter *a = fx_alerter(&s, 3, path, fx_zones, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    s.journal = path;
    CU_ASSERT_EQUAL(bf_journal_watch(s.jn, a, T0, true), 0);
    CU_ASSERT_EQUAL(s.n, 0);
    bf_fileio_fault_set(BF_IO_WRITE, ENOSPC, 0, 0);
    CU_ASSERT_EQUAL(bf_alerter_sensor_fault(a, 0, true, T0, 46.8, 8.2, "test"), 0);
    CU_ASSERT_EQUAL(s.n, 1);   /* published without its journal line */
    CU_ASSERT_FALSE(s.r[0].journal_first);
    CU_ASSERT_EQUAL(bf_journal_watch(s.jn, a, T0 + S(1), true), 1);
    CU_ASSERT_EQUAL(bf_journal_watch(s.jn, a, T0 + S(2), true), 1);   /* once, not again */
    CU_ASSERT_EQUAL(fx_count(&s, BF_ALERT_SYSTEM, BF_ALERT_NEW), 1);
    CU_ASSERT_STRING_EQUAL(s.r[1].a.reason, "journal writes fail (No space left on device)");
    CU_ASSERT_EQUAL(s.journal_errors, 2);   /* the SENSOR_FAULT and the SYSTEM alert */
    bf_fileio_fault_set(0, 0, 0, 0);
    CU_ASSERT_EQUAL(bf_journal_watch(s.jn, a, T0 + S(3), true), 0);
    CU_ASSERT_EQUAL(fx_count(&s, BF_ALERT_SYSTEM, BF_ALERT_RESOLVED), 1);
    CU_ASSERT_TRUE(s.r[s.n - 1].journal_first);   /* journaled again */
    struct bf_journal_stats js;
    bf_journal_get_stats(s.jn, &js);
    CU_ASSERT_EQUAL(js.gaps, 1);
    CU_ASSERT_EQUAL(js.append_errors, 2);
    fx_done(&s, a);
    CU_ASSERT_EQUAL(count_lines(path, "\"first_seq\":1,\"last_seq\":2,\"lines\":2"), 1);
    /* the next start closes the SENSOR_FAULT that was live (its NEW line is not in the
     * journal: nothing to close) and continues after seq 3 */
    uint64_t last;
    struct bf_journal *j;
    CU_ASSERT_EQUAL_FATAL(bf_journal_open(path, BF_FSYNC_ALWAYS, &last, &j), 0);
    CU_ASSERT_EQUAL(last, 3);
    bf_journal_close(j);
}

static CU_TestInfo tests[] = {
    {"alerter: SYSTEM storage alert raised once, resolved on recovery", test_system_alert_from_journal},
    {"ENOSPC on append: published, counted, gap line on recovery", test_enospc_on_append},
    {"EIO on fsync: the line counts as not journaled", test_eio_on_fsync},
    {"rename fails in a purge: file untouched, appends go on", test_rename_fails_in_purge},
    {"no seq reused: crash after failed appends, zeroed, truncated, removed", test_no_seq_reused_after_crash},
    {"torn tail aside, corrupt line reported and never owed", test_torn_and_corrupt},
    {"a watermark above the last line: nothing resent", test_watermark_above_last_line},
    {"one engine per journal: the lock names the pid", test_one_engine_per_journal},
    {"open alerts closed at restart", test_open_alerts_closed_at_restart},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"journal faults", fx_init, fx_clean, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

int main(void) { return bf_test_main(suites); }
