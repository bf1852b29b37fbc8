/*
 * test_log.c - the log line formats (docs/engine.md, "Logs"): the text line
 * unchanged, the journal's (no time, "<N>" priority, one line per entry)
 * chosen by itself when stderr is the journal (JOURNAL_STREAM naming a pipe
 * put on fd 2 here), and JSON objects that parse back to what was logged.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "bf_test.h"
#include "core/bf_error.h"
#include "core/bf_log.h"
#include "core/bf_time.h"

#define T1 INT64_C(1772330401250000)   /* 2026-03-01T02:00:01.250Z */

static void test_text_unchanged(void)
{
    char buf[1024];
    size_t n = bf_log_format_line(buf, sizeof buf, BF_LOG_FORMAT_TEXT, T1, BF_LOG_WARN, "engine",
                                  "queue full");
    CU_ASSERT_STRING_EQUAL(buf, "2026-03-01T02:00:01.250Z WARN  [engine] queue full\n");
    CU_ASSERT_EQUAL(n, strlen(buf));
    bf_log_format_line(buf, sizeof buf, BF_LOG_FORMAT_TEXT, T1, BF_LOG_DEBUG, NULL, "x");
    CU_ASSERT_STRING_EQUAL(buf, "2026-03-01T02:00:01.250Z DEBUG [-] x\n");
    /* a long message is cut, the line kept whole */
    char big[3000];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    n = bf_log_format_line(buf, sizeof buf, BF_LOG_FORMAT_TEXT, T1, BF_LOG_INFO, "c", big);
    CU_ASSERT_EQUAL(n, sizeof buf - 1);
    CU_ASSERT_EQUAL(buf[n - 1], '\n');
}

static void test_journal_prefixes(void)
{
    char buf[256];
    const char *want[] = {"<3>ERROR [alerts] m\n", "<4>WARN  [alerts] m\n", "<6>INFO  [alerts] m\n",
                          "<7>DEBUG [alerts] m\n"};
    for (int lv = 0; lv < 4; lv++) {
        bf_log_format_line(buf, sizeof buf, BF_LOG_FORMAT_JOURNAL, T1, (enum bf_log_level)lv,
                           "alerts", "m");
        CU_ASSERT_STRING_EQUAL(buf, want[lv]);
    }
    /* one journal entry per event: the message's own line breaks become spaces */
    bf_log_format_line(buf, sizeof buf, BF_LOG_FORMAT_JOURNAL, T1, BF_LOG_ERROR, "cfg",
                       "two\nlines\r");
    CU_ASSERT_STRING_EQUAL(buf, "<3>ERROR [cfg] two lines \n");
}

static void test_json_fields(void)
{
    char buf[512];
    const char *msg = "a \"quoted\" path C:\\x, tab\there\nand \x01 control";
    size_t n = bf_log_format_line(buf, sizeof buf, BF_LOG_FORMAT_JSON, T1, BF_LOG_INFO,
                                  "sensor/radar-1", msg);
    CU_ASSERT_EQUAL(buf[n - 1], '\n');
    CU_ASSERT_PTR_NULL(memchr(buf, '\n', n - 1));   /* one line */
    cJSON *j = cJSON_Parse(buf);
    CU_ASSERT_PTR_NOT_NULL_FATAL(j);
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(j, "time")->valuestring, "2026-03-01T02:00:01.250Z");
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(j, "level")->valuestring, "info");
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(j, "component")->valuestring, "sensor/radar-1");
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(j, "msg")->valuestring, msg);
    cJSON_Delete(j);
    /* cut, still an object */
    char big[3000];
    memset(big, '"', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    n = bf_log_format_line(buf, sizeof buf, BF_LOG_FORMAT_JSON, T1, BF_LOG_ERROR, "c", big);
    CU_ASSERT(n < sizeof buf);
    j = cJSON_Parse(buf);
    CU_ASSERT_PTR_NOT_NULL(j);
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(j, "level")->valuestring, "error");
    cJSON_Delete(j);
    enum bf_log_format f;
    CU_ASSERT_EQUAL(bf_log_format_parse("json", &f), 0);
    CU_ASSERT_EQUAL(f, BF_LOG_FORMAT_JSON);
    CU_ASSERT_EQUAL(bf_log_format_parse("text", &f), 0);
    CU_ASSERT_EQUAL(f, BF_LOG_FORMAT_TEXT);
    CU_ASSERT_EQUAL(bf_log_format_parse("xml", &f), BF_EINVAL);
}

/* What bf_log wrote to fd 2 (a pipe here), NUL-terminated. */
static void read_pipe(int fd, char *buf, size_t cap)
{
    ssize_t n = read(fd, buf, cap - 1);
    buf[n > 0 ? n : 0] = '\0';
}

static void test_journal_detected(void)
{
    int p[2];
    CU_ASSERT_EQUAL_FATAL(pipe(p), 0);
    fflush(stderr);
    int saved = dup(2);
    CU_ASSERT_FATAL(saved >= 0);
    CU_ASSERT_FATAL(dup2(p[1], 2) == 2);
    bf_log_set_stream(NULL);
    bf_log_set_level(BF_LOG_INFO);

    unsetenv("JOURNAL_STREAM");   /* not under systemd: text */
    bf_log_set_format(BF_LOG_FORMAT_TEXT);
    CU_ASSERT_EQUAL(bf_log_get_format(), BF_LOG_FORMAT_TEXT);
    BF_LOGW("engine", "plain %d", 1);
    char out[512];
    read_pipe(p[0], out, sizeof out);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "Z WARN  [engine] plain 1\n"));
    CU_ASSERT_EQUAL(out[4], '-');   /* a time first */

    setenv("JOURNAL_STREAM", "1:2", 1);   /* another stream's: still text */
    bf_log_set_format(BF_LOG_FORMAT_TEXT);
    CU_ASSERT_EQUAL(bf_log_get_format(), BF_LOG_FORMAT_TEXT);

    struct stat st;
    CU_ASSERT_EQUAL_FATAL(fstat(2, &st), 0);
    char js[64];
    snprintf(js, sizeof js, "%llu:%llu", (unsigned long long)st.st_dev,
             (unsigned long long)st.st_ino);
    setenv("JOURNAL_STREAM", js, 1);
    CU_ASSERT_TRUE(bf_log_stderr_is_journal());
    bf_log_set_format(BF_LOG_FORMAT_TEXT);
    CU_ASSERT_EQUAL(bf_log_get_format(), BF_LOG_FORMAT_JOURNAL);
    BF_LOGE("alerts", "journal %s", "failing");
    BF_LOGD("alerts", "not at info");
    read_pipe(p[0], out, sizeof out);
    CU_ASSERT_STRING_EQUAL(out, "<3>ERROR [alerts] journal failing\n");

    bf_log_set_format(BF_LOG_FORMAT_JSON);   /* asked for: JSON even to the journal */
    CU_ASSERT_EQUAL(bf_log_get_format(), BF_LOG_FORMAT_JSON);
    BF_LOGI("reload", "zones %d -> %d", 2, 3);
    read_pipe(p[0], out, sizeof out);
    cJSON *j = cJSON_Parse(out);
    CU_ASSERT_PTR_NOT_NULL(j);
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(j, "msg")->valuestring, "zones 2 -> 3");
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(j, "component")->valuestring, "reload");
    cJSON_Delete(j);

    dup2(saved, 2);
    close(saved);
    close(p[0]);
    close(p[1]);
    unsetenv("JOURNAL_STREAM");
    bf_log_set_format(BF_LOG_FORMAT_TEXT);
    printf("\n  journal line: <3>ERROR [alerts] journal failing\n");
}

static CU_TestInfo tests[] = {
    {"the text line is unchanged, cut long lines stay one line", test_text_unchanged},
    {"journal: sd-daemon priorities, no time, one line per entry", test_journal_prefixes},
    {"JSON lines parse back to time, level, component, msg", test_json_fields},
    {"stderr on the journal (JOURNAL_STREAM) switches text to the journal's form",
     test_journal_detected},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"core/log", NULL, NULL, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

int main(void) { return bf_test_main(suites); }
