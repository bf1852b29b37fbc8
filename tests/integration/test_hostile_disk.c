/*
 * test_hostile_disk.c - the alert journal on a full file system, for real
 * (docs/alerts.md, "Journal"): a 256 KiB tmpfs holding the journal, filled
 * to the last byte before the engine starts; a private mosquitto, the engine
 * as a process with one "json" radar, this test as the radar and the
 * situation centre.  Needs root (mount); otherwise it prints SKIP and
 * returns 77, which CMake counts as skipped.
 *
 * Asserted: the engine starts and keeps running on the full disk; a
 * crossing's INCURSION reaches the centre all the same; a SYSTEM alert
 * (storage, "journal writes fail (No space left on device)") arrives; once
 * space is freed the SYSTEM alert is resolved, the journal holds a
 * journal_gap line naming the seqs that went out without their line, and a
 * later alert is journaled again.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "bf_test.h"
#include "mqtt/mqtt.h"
#include "core/bf_time.h"
#include "it_util.h"

#define SITE "ithd"
#define ROOT "borderfuse/" SITE "/"
#define SKIP_CODE 77

static char mounted[512];   /* unmounted by the suite's cleanup, even after a failed assertion */

static int unmount_disk(void)
{
    if (mounted[0])
        umount2(mounted, MNT_DETACH);
    mounted[0] = '\0';
    return 0;
}

static bool is_system(const cJSON *a, const void *state)
{
    return !strcmp(it_jstr(a, "type"), "SYSTEM") && !strcmp(it_jstr(a, "state"), state);
}

/* Fill the file system holding dir with one file until a write fails; its size. */
static long fill(const char *path)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    static char block[4096];
    long n = 0;
    setvbuf(f, NULL, _IONBF, 0);
    while (fwrite(block, 1, sizeof block, f) == sizeof block)
        n += (long)sizeof block;
    while (fwrite(block, 1, 1, f) == 1)   /* the last bytes of the last page */
        n++;
    fclose(f);
    return n;
}

static void test_hostile_disk(void)
{
    const char *tmp = bf_test_tmpdir();
    char disk[512];
    snprintf(disk, sizeof disk, "%s/disk", tmp);
    CU_ASSERT_EQUAL_FATAL(mkdir(disk, 0700), 0);
    if (mount("tmpfs", disk, "tmpfs", 0, "size=256k") != 0) {
        printf("\n  SKIP: cannot mount a tmpfs (%s)\n", strerror(errno));
        CU_FAIL("mount");
        return;
    }
    snprintf(mounted, sizeof mounted, "%s", disk);
    struct it_scene sc;
    CU_ASSERT_EQUAL_FATAL(it_scene_broker(&sc, tmp), 0);
    char journal[600], filler[600];
    snprintf(journal, sizeof journal, "%s/journal.jsonl", disk);
    snprintf(filler, sizeof filler, "%s/filler", disk);
    const char *zones = bf_test_src("tests/data/straight/zones.geojson");
    CU_ASSERT_EQUAL_FATAL(it_write_engine_config(sc.conf, SITE, zones,
            " \"sensors\": [{\"id\": \"radar-a\", \"type\": \"json\", \"lat\": 46.78, \"lon\": 8.20,"
            " \"range_m\": 9000, \"sigma_m\": 5}],\n"
            " \"alerts\": {\"journal\": \"%s\", \"journal_fsync\": \"always\"},\n"
            " \"engine\": {\"reorder_window_ms\": 200, \"status_period_s\": 0.25,"
            " \"idle_flush_s\": 0.3}", journal), 0);
    long filled = fill(filler);
    CU_ASSERT_TRUE(filled > 0);
    CU_ASSERT_EQUAL_FATAL(it_scene_start(&sc, "it-hd", ROOT, NULL), 0);
    struct it_collector *centre = sc.centre;
    struct bf_mqtt *pub = sc.pub;
    pid_t engine = sc.engine;
    const char *elog = sc.elog;

    /* ---- a crossing on the full disk: published all the same, and the SYSTEM alert ---- */
    struct it_walker w = {.pub = pub, .topic = ROOT "sensors/radar-a/detections",
                          .sensor = "radar-a", .lat0 = 46.80, .north0_m = 30.0, .lon = 8.205,
                          .speed_mps = 2.0, .m_per_deg = 111200.0};
    w.t0_us = (bf_clock_realtime(NULL) / BF_US_PER_S - 120) * BF_US_PER_S;
    bf_time_us t_start = bf_clock_monotonic(NULL);
    CU_ASSERT_EQUAL(it_publish_walker(&w, 0, 30), 0);
    struct it_alert_want want_inc = {.type = "INCURSION", .state = "NEW"};
    cJSON *inc = it_collector_wait_json(centre, ROOT "alerts", it_match_alert, &want_inc, 15);
    CU_ASSERT_PTR_NOT_NULL(inc);
    cJSON_Delete(inc);
    cJSON *sys = it_collector_wait_json(centre, ROOT "alerts", is_system, "NEW", 10);
    CU_ASSERT_PTR_NOT_NULL(sys);
    double raise_s = bf_time_to_s(bf_clock_monotonic(NULL) - t_start);
    if (sys) {
        CU_ASSERT_STRING_EQUAL(it_jstr(sys, "reason"),
                               "journal writes fail (No space left on device)");
        CU_ASSERT_STRING_EQUAL(it_jstr(sys, "severity"), "high");
    } else {
        it_show_log(elog);
    }
    cJSON_Delete(sys);
    it_sleep_ms(1000);
    CU_ASSERT_EQUAL(kill(engine, 0), 0);   /* still running */
    int sent_full = it_collector_count(centre, ROOT "alerts");
    char *jt = bf_test_read_file(journal, NULL);
    CU_ASSERT_TRUE(!jt || !strstr(jt, "INCURSION"));   /* nothing could be journaled */
    free(jt);

    /* ---- space again: resolved, the gap recorded, journaling resumes ---- */
    CU_ASSERT_EQUAL(unlink(filler), 0);
    bf_time_us t_free = bf_clock_monotonic(NULL);
    cJSON *res = it_collector_wait_json(centre, ROOT "alerts", is_system, "RESOLVED", 10);
    CU_ASSERT_PTR_NOT_NULL(res);
    double resolve_s = bf_time_to_s(bf_clock_monotonic(NULL) - t_free);
    cJSON_Delete(res);
    w.t0_us += 30 * BF_US_PER_S;
    w.north0_m = -30.0;   /* walks on, deeper on our side: updates */
    CU_ASSERT_EQUAL(it_publish_walker(&w, 0, 10), 0);
    it_sleep_ms(2000);
    jt = bf_test_read_file(journal, NULL);
    CU_ASSERT_PTR_NOT_NULL(jt);
    CU_ASSERT_PTR_NOT_NULL(jt ? strstr(jt, "\"journal_gap\":{\"first_seq\":1,") : NULL);
    CU_ASSERT_PTR_NOT_NULL(jt ? strstr(jt, "No space left on device") : NULL);
    CU_ASSERT_PTR_NOT_NULL(jt ? strstr(jt, "\"type\":\"SYSTEM\"") : NULL);   /* its RESOLVED line */
    free(jt);
    char *log = bf_test_read_file(elog, NULL);
    int fail_logs = 0;
    for (const char *p = log; p && (p = strstr(p, "journal writes fail")); p++)
        fail_logs++;
    CU_ASSERT_EQUAL(fail_logs, 1);   /* logged once, not per alert */
    free(log);
    CU_ASSERT_EQUAL(kill(engine, 0), 0);
    printf("\n  hostile disk: tmpfs of 256 KiB filled with %ld bytes; %d alert messages published "
           "on the full disk, SYSTEM raised %.1f s after the first detection; space freed: "
           "SYSTEM resolved after %.1f s, journal_gap line written\n", filled, sent_full,
           raise_s, resolve_s);
    CU_ASSERT_EQUAL(it_stop(engine), 0);
    it_scene_close(&sc);
    unmount_disk();
}

static CU_TestInfo tests[] = {
    {"the journal on a full file system: published, SYSTEM alert, gap line", test_hostile_disk},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"hostile disk", NULL, unmount_disk, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

int main(void)
{
    if (geteuid() != 0) {
        printf("SKIP: test_it_hostile_disk mounts a small tmpfs and needs root\n");
        return SKIP_CODE;
    }
    return bf_test_main(suites);
}
