/*
 * test_retention.c - the purge of JSON Lines files (delivery/retention.c), the
 * retention of the journal (bf_journal_purge) and of the audit log
 * (bf_audit_purge), and the outbox's recovery from the journal and its
 * watermark file (delivery/outbox.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "alerts/alerts_int.h"
#include "delivery/delivery_int.h"
#include "bf_test.h"
#include "core/bf_error.h"

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fputs(text, f);
    fclose(f);
}

static bf_time_us iso(const char *s)
{
    bf_time_us t = BF_TIME_NONE;
    CU_ASSERT_EQUAL(bf_time_parse_iso(s, &t), 0);
    return t;
}

/* keep: lines whose "a" is 3 */
static bool keep_a3(void *ctx, const cJSON *obj, bf_time_us t_us)
{
    (void)t_us;
    (*(int *)ctx)++;
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(obj, "a");
    return cJSON_IsNumber(a) && a->valuedouble == 3;
}

static void test_jsonl_purge(void)
{
    char path[512];
    snprintf(path, sizeof path, "%s/audit.jsonl", bf_test_tmpdir());
    write_file(path,
               "{\"time\":\"2026-01-01T00:00:00.000Z\",\"a\":1}\n"
               "{\"time\":\"2026-06-01T00:00:00.000Z\",\"a\":2}\n"
               "not json at all\n"
               "{\"time\":1700000000000000,\"a\":3}\n"
               "{\"a\":4}\n"
               "{\"time\":\"2026-02-28T23:59:59.999Z\",\"a\":5}\n"
               "{\"time\":\"2026-03-01T00:00:00.000Z\",\"a\":6}\n");
    int asked = 0;
    struct bf_purge_stats st;
    CU_ASSERT_EQUAL(bf_jsonl_purge(path, iso("2026-03-01T00:00:00Z"), "time", keep_a3, &asked, &st),
                    0);
    CU_ASSERT_EQUAL(asked, 3);              /* a=1, a=3, a=5: the old readable lines */
    CU_ASSERT_EQUAL(st.lines_purged, 2);    /* a=1, a=5 */
    CU_ASSERT_EQUAL(st.lines_kept, 5);
    CU_ASSERT_EQUAL(st.lines_unreadable, 2);
    CU_ASSERT_EQUAL(st.bytes_before - st.bytes_after, 2 * 42);
    char *text = bf_test_read_file(path, NULL);
    CU_ASSERT_STRING_EQUAL(text, "{\"time\":\"2026-06-01T00:00:00.000Z\",\"a\":2}\n"
                                 "not json at all\n"
                                 "{\"time\":1700000000000000,\"a\":3}\n"
                                 "{\"a\":4}\n"
                                 "{\"time\":\"2026-03-01T00:00:00.000Z\",\"a\":6}\n");
    free(text);
    char tmp[600];
    snprintf(tmp, sizeof tmp, "%s.purge-tmp", path);
    CU_ASSERT_NOT_EQUAL(access(tmp, F_OK), 0);   /* renamed, nothing left behind */

    /* nothing older: the file is not rewritten (same inode) */
    struct stat a, b;
    CU_ASSERT_EQUAL(stat(path, &a), 0);
    CU_ASSERT_EQUAL(bf_jsonl_purge(path, iso("2026-03-01T00:00:00Z"), "time", keep_a3, &asked, &st),
                    0);
    CU_ASSERT_EQUAL(st.lines_purged, 0);
    CU_ASSERT_EQUAL(stat(path, &b), 0);
    CU_ASSERT_EQUAL(a.st_ino, b.st_ino);
    /* no keep function: everything old goes; an absent file is fine */
    CU_ASSERT_EQUAL(bf_jsonl_purge(path, iso("2027-01-01T00:00:00Z"), "time", NULL, NULL, &st), 0);
    CU_ASSERT_EQUAL(st.lines_purged, 3);
    CU_ASSERT_EQUAL(st.lines_kept, 2);
    unlink(path);
    CU_ASSERT_EQUAL(bf_jsonl_purge(path, 0, "time", NULL, NULL, &st), 0);
    CU_ASSERT_EQUAL(st.lines_kept + st.lines_purged, 0);
}

static bool live_d(void *ctx, const char *id)
{
    (void)ctx;
    return strcmp(id, "d") == 0;
}

static void append(struct bf_journal *j, const char *line)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", line);
    CU_ASSERT_EQUAL(bf_journal_append(j, buf, strlen(buf)), 0);
}

/* The journal at path as published: each line with its crc32 member dropped (corrupt: "!"). */
static char *journal_payloads(const char *path)
{
    size_t n = 0;
    char *text = bf_test_read_file(path, &n);
    if (!text)
        return NULL;
    char *out = malloc(n + 2);
    size_t k = 0;
    for (size_t b = 0; b < n;) {
        char *nl = memchr(text + b, '\n', n - b);
        size_t e = nl ? (size_t)(nl - text) : n, plen;
        if (bf_journal_line_payload(text + b, e - b, &plen)) {
            memcpy(out + k, text + b, plen);
            k += plen;
        } else {
            out[k++] = '!';
        }
        out[k++] = '\n';
        b = e + 1;
    }
    out[k] = '\0';
    free(text);
    return out;
}

static void test_journal_purge(void)
{
    char path[512];
    snprintf(path, sizeof path, "%s/journal.jsonl", bf_test_tmpdir());
    unlink(path);
    uint64_t last;
    struct bf_journal *j;
    CU_ASSERT_EQUAL_FATAL(bf_journal_open(path, BF_FSYNC_NEVER, &last, &j), 0);
    /* a: closed long ago; b: old lines but its last line is recent; c: old but
     * above the delivered seq; d: old but live */
    append(j, "{\"id\":\"a\",\"seq\":1,\"state\":\"NEW\",\"time\":\"2026-01-01T00:00:00.000Z\"}");
    append(j, "{\"id\":\"b\",\"seq\":2,\"state\":\"NEW\",\"time\":\"2026-01-01T00:00:01.000Z\"}");
    append(j, "{\"id\":\"d\",\"seq\":3,\"state\":\"NEW\",\"time\":\"2026-01-01T00:00:02.000Z\"}");
    append(j, "{\"id\":\"a\",\"seq\":4,\"state\":\"RESOLVED\",\"time\":\"2026-01-02T00:00:00.000Z\"}");
    append(j, "{\"id\":\"b\",\"seq\":5,\"state\":\"RESOLVED\",\"time\":\"2026-05-01T00:00:00.000Z\"}");
    append(j, "{\"id\":\"c\",\"seq\":6,\"state\":\"RESOLVED\",\"time\":\"2026-01-03T00:00:00.000Z\"}");
    struct bf_purge_stats st;
    CU_ASSERT_EQUAL(bf_journal_purge(j, iso("2026-03-01T00:00:00Z"), 5, live_d, NULL, &st), 0);
    CU_ASSERT_EQUAL(st.lines_purged, 2);   /* a's two lines */
    CU_ASSERT_EQUAL(st.lines_kept, 4);
    append(j, "{\"id\":\"e\",\"seq\":7,\"state\":\"NEW\",\"time\":\"2026-05-02T00:00:00.000Z\"}");
    bf_journal_close(j);
    char *text = journal_payloads(path);
    CU_ASSERT_STRING_EQUAL(
        text, "{\"id\":\"b\",\"seq\":2,\"state\":\"NEW\",\"time\":\"2026-01-01T00:00:01.000Z\"}\n"
              "{\"id\":\"d\",\"seq\":3,\"state\":\"NEW\",\"time\":\"2026-01-01T00:00:02.000Z\"}\n"
              "{\"id\":\"b\",\"seq\":5,\"state\":\"RESOLVED\",\"time\":\"2026-05-01T00:00:00.000Z\"}\n"
              "{\"id\":\"c\",\"seq\":6,\"state\":\"RESOLVED\",\"time\":\"2026-01-03T00:00:00.000Z\"}\n"
              "{\"id\":\"e\",\"seq\":7,\"state\":\"NEW\",\"time\":\"2026-05-02T00:00:00.000Z\"}\n");
    free(text);
    CU_ASSERT_EQUAL(bf_journal_last_seq(path, &last), 0);
    CU_ASSERT_EQUAL(last, 7);   /* the append after the purge went to the new file */
    unlink(path);
}

/* One audit line of a request from op on alert id at wall time t. */
static void audit(struct bf_audit *au, bf_time_us t, const char *op, const char *req_id)
{
    struct bf_ack_request r = {.action = BF_ACK_ACKNOWLEDGE, .has_request_id = true};
    snprintf(r.request_id, sizeof r.request_id, "%s", req_id);
    snprintf(r.operator_id, sizeof r.operator_id, "%s", op);
    snprintf(r.alert_id, sizeof r.alert_id, "%s", "462d2f70-d8f4-5bd2-830f-525b27b13e39");
    struct bf_ack_result res = {.ok = true, .state = BF_ALERT_ACKNOWLEDGED, .seq = 9,
                                .t_us = t};
    CU_ASSERT_EQUAL(bf_audit_write(au, t, &r, &res), 0);
}

/* The request ids of the lines of the file at path, space-separated ("?" a line without). */
static void request_ids(const char *path, char *out, size_t cap)
{
    char *text = bf_test_read_file(path, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    size_t pos = 0;
    out[0] = '\0';
    for (char *line = strtok(text, "\n"); line && pos < cap; line = strtok(NULL, "\n")) {
        cJSON *o = cJSON_Parse(line);
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(o, "request_id");
        int n = snprintf(out + pos, cap - pos, "%s%s", pos ? " " : "",
                         cJSON_IsString(id) ? id->valuestring : "?");
        pos += n > 0 ? (size_t)n : 0;
        cJSON_Delete(o);
    }
    free(text);
}

static void test_audit_purge(void)
{
    char path[512];
    snprintf(path, sizeof path, "%s/audit-purge.jsonl", bf_test_tmpdir());
    /* a line from before (kept: no time to judge it by) and a torn one, as a crash leaves it */
    write_file(path, "{\"note\":\"no time\"}\n{\"time\":\"2026-01-0");
    struct bf_audit *au = NULL;
    CU_ASSERT_EQUAL_FATAL(bf_audit_open(path, &au), 0);
    audit(au, iso("2026-01-01T08:00:00Z"), "alice", "r-1");
    audit(au, iso("2026-02-28T23:59:59.999Z"), "bob", "r-2");
    audit(au, iso("2026-03-01T00:00:00Z"), "alice", "r-3");
    audit(au, iso("2026-06-01T12:00:00Z"), "carol", "r-4");
    char ids[256];
    request_ids(path, ids, sizeof ids);
    CU_ASSERT_STRING_EQUAL(ids, "? ? r-1 r-2 r-3 r-4");
    struct stat before, after;
    CU_ASSERT_EQUAL(stat(path, &before), 0);

    struct bf_purge_stats st;
    CU_ASSERT_EQUAL(bf_audit_purge(au, iso("2026-03-01T00:00:00Z"), &st), 0);
    CU_ASSERT_EQUAL(st.lines_purged, 2);       /* r-1, r-2 */
    CU_ASSERT_EQUAL(st.lines_kept, 4);         /* the two without a time, r-3, r-4 */
    CU_ASSERT_EQUAL(st.lines_unreadable, 2);
    CU_ASSERT(st.bytes_after < st.bytes_before);
    request_ids(path, ids, sizeof ids);
    CU_ASSERT_STRING_EQUAL(ids, "? ? r-3 r-4");
    CU_ASSERT_EQUAL(stat(path, &after), 0);
    CU_ASSERT_NOT_EQUAL(before.st_ino, after.st_ino);   /* a new file took the path */
    CU_ASSERT_EQUAL((uint64_t)after.st_size, st.bytes_after);

    /* appending still works, and goes to the new file */
    audit(au, iso("2026-06-02T00:00:00Z"), "dave", "r-5");
    request_ids(path, ids, sizeof ids);
    CU_ASSERT_STRING_EQUAL(ids, "? ? r-3 r-4 r-5");
    char *text = bf_test_read_file(path, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    const char *last = strstr(text, "\"request_id\":\"r-5\"");
    CU_ASSERT_PTR_NOT_NULL(last);
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "\"operator\":\"dave\""));
    CU_ASSERT(text[0] != '\0' && text[strlen(text) - 1] == '\n');
    free(text);

    /* nothing older: not rewritten; the writer keeps its file */
    CU_ASSERT_EQUAL(stat(path, &before), 0);
    CU_ASSERT_EQUAL(bf_audit_purge(au, iso("2026-03-01T00:00:00Z"), &st), 0);
    CU_ASSERT_EQUAL(st.lines_purged, 0);
    CU_ASSERT_EQUAL(st.lines_kept, 5);
    CU_ASSERT_EQUAL(stat(path, &after), 0);
    CU_ASSERT_EQUAL(before.st_ino, after.st_ino);
    /* everything with a time goes; the next line still lands */
    CU_ASSERT_EQUAL(bf_audit_purge(au, iso("2027-01-01T00:00:00Z"), NULL), 0);
    audit(au, iso("2027-01-02T00:00:00Z"), "erin", "r-6");
    request_ids(path, ids, sizeof ids);
    CU_ASSERT_STRING_EQUAL(ids, "? ? r-6");
    bf_audit_close(au);
    CU_ASSERT_EQUAL(bf_audit_purge(NULL, 0, &st), BF_EINVAL);
    char tmp[600];
    snprintf(tmp, sizeof tmp, "%s.purge-tmp", path);
    CU_ASSERT_NOT_EQUAL(access(tmp, F_OK), 0);
    unlink(path);
}

static void test_outbox_recovery(void)
{
    char path[512], mark[600];
    snprintf(path, sizeof path, "%s/ob.jsonl", bf_test_tmpdir());
    snprintf(mark, sizeof mark, "%s.delivered", path);
    write_file(path, "{\"id\":\"a\",\"seq\":1}\n{\"id\":\"b\",\"seq\":2}\n{\"id\":\"c\",\"seq\":3}\n"
                     "{\"id\":\"d\",\"seq\":4}\n{\"id\":\"e\",\"seq\":5}\n{\"id\":\"f\",\"se");
    unlink(mark);
    struct bf_outbox *o;
    struct bf_outbox_stats st;
    /* no watermark: every complete line is owed (the torn one is not a line) */
    CU_ASSERT_EQUAL_FATAL(bf_outbox_open(path, 60, &o), 0);
    bf_outbox_get_stats(o, &st);
    CU_ASSERT_EQUAL(st.recovered, 5);
    CU_ASSERT_EQUAL(st.backlog, 5);
    CU_ASSERT_EQUAL(st.delivered_seq, 0);
    bf_outbox_close(o);
    /* delivered up to 3: lines 4 and 5 are owed */
    write_file(mark, "{\"delivered_seq\":3,\"journal_offset\":0,\"journal_inode\":0}\n");
    CU_ASSERT_EQUAL_FATAL(bf_outbox_open(path, 60, &o), 0);
    bf_outbox_get_stats(o, &st);
    CU_ASSERT_EQUAL(st.recovered, 2);
    CU_ASSERT_EQUAL(st.backlog, 2);
    CU_ASSERT_EQUAL(st.delivered_seq, 3);
    /* acknowledgements (as Paho reports them) move the watermark, in order only */
    const char *l5 = "{\"id\":\"e\",\"seq\":5}";
    const char *l4 = "{\"id\":\"d\",\"seq\":4}";
    bf_outbox_on_acked(o, NULL, NULL, 0, true);   /* not ours: ignored */
    bf_outbox_pump(o, 1000000);
    bf_outbox_get_stats(o, &st);
    CU_ASSERT_EQUAL(st.acked, 0);
    bf_outbox_attach(o, NULL, "t/alerts");
    bf_outbox_on_acked(o, "t/alerts", l5, strlen(l5), true);
    bf_outbox_pump(o, 2000000);
    bf_outbox_get_stats(o, &st);
    CU_ASSERT_EQUAL(st.delivered_seq, 3);   /* 4 still owed */
    CU_ASSERT_EQUAL(st.backlog, 1);
    bf_outbox_on_acked(o, "t/alerts", l4, strlen(l4), true);
    bf_outbox_pump(o, 3000000);
    bf_outbox_get_stats(o, &st);
    CU_ASSERT_EQUAL(st.delivered_seq, 5);
    CU_ASSERT_EQUAL(st.backlog, 0);
    bf_outbox_close(o);
    char *m = bf_test_read_file(mark, NULL);
    cJSON *mj = cJSON_Parse(m);
    CU_ASSERT_EQUAL(cJSON_GetObjectItem(mj, "delivered_seq")->valuedouble, 5);
    CU_ASSERT_EQUAL(cJSON_GetObjectItem(mj, "journal_offset")->valuedouble, 5 * 19);
    cJSON_Delete(mj);
    free(m);
    /* started again: nothing owed, read from the saved offset on */
    CU_ASSERT_EQUAL_FATAL(bf_outbox_open(path, 60, &o), 0);
    bf_outbox_get_stats(o, &st);
    CU_ASSERT_EQUAL(st.recovered, 0);
    CU_ASSERT_EQUAL(st.delivered_seq, 5);
    bf_outbox_close(o);
    /* the journal removed and begun again (numbering from 1) beside the old watermark:
     * the watermark is not this journal's, every line is owed */
    write_file(path, "{\"id\":\"g\",\"seq\":1}\n{\"id\":\"h\",\"seq\":2}\n");
    CU_ASSERT_EQUAL_FATAL(bf_outbox_open(path, 60, &o), 0);
    bf_outbox_get_stats(o, &st);
    CU_ASSERT_EQUAL(st.recovered, 2);
    CU_ASSERT_EQUAL(st.delivered_seq, 0);
    bf_outbox_close(o);
    unlink(path);
    unlink(mark);
}

static CU_TestInfo tests[] = {
    {"jsonl purge: old lines go, unreadable and kept ones stay, byte for byte", test_jsonl_purge},
    {"journal purge: closed alerts older than the cutoff, not live or owed ones", test_journal_purge},
    {"audit purge: old lines go, newer and timeless stay, appends go on", test_audit_purge},
    {"outbox: lines above the watermark are owed; acks move it in order", test_outbox_recovery},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"retention", NULL, NULL, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

int main(void) { return bf_test_main(suites); }
