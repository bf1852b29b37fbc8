/*
 * test_time.c - event time text round trips, known epochs, refused forms,
 * and the log-once filter.
 */
#include <string.h>

#include "bf_test.h"
#include "core/bf_error.h"
#include "core/bf_log.h"
#include "core/bf_time.h"

static void test_parse_known(void)
{
    bf_time_us t = 0;
    CU_ASSERT_EQUAL(bf_time_parse_iso("1970-01-01T00:00:00Z", &t), 0);
    CU_ASSERT_EQUAL(t, 0);
    CU_ASSERT_EQUAL(bf_time_parse_iso("2026-03-01T02:00:01.250Z", &t), 0);
    CU_ASSERT_EQUAL(t, INT64_C(1772330401250000));
    CU_ASSERT_EQUAL(bf_time_parse_iso("2000-02-29T23:59:59.000001+00:00", &t), 0);
    CU_ASSERT_EQUAL(t, INT64_C(951868799000001));
    CU_ASSERT_EQUAL(bf_time_parse_iso("1969-12-31T23:59:59.5Z", &t), 0);
    CU_ASSERT_EQUAL(t, -500000);
}

static void test_format_round_trip(void)
{
    char buf[BF_TIME_ISO_LEN];
    CU_ASSERT_EQUAL(bf_time_format_iso(INT64_C(1772330401250000), buf, sizeof buf), 0);
    CU_ASSERT_STRING_EQUAL(buf, "2026-03-01T02:00:01.250Z");
    CU_ASSERT_EQUAL(bf_time_format_iso(-500000, buf, sizeof buf), 0);
    CU_ASSERT_STRING_EQUAL(buf, "1969-12-31T23:59:59.500Z");
    for (bf_time_us t = INT64_C(946684800000000); t < INT64_C(4102444800000000);
         t += INT64_C(86399123000) * 37) {
        bf_time_us back;
        CU_ASSERT_EQUAL(bf_time_format_iso(t, buf, sizeof buf), 0);
        CU_ASSERT_EQUAL(bf_time_parse_iso(buf, &back), 0);
        CU_ASSERT_EQUAL(back, t - (t % 1000));   /* text keeps milliseconds */
    }
    CU_ASSERT_EQUAL(bf_time_format_iso(0, buf, 10), BF_ERANGE);
}

static void test_parse_refused(void)
{
    static const char *const bad[] = {
        "", "2026-03-01", "2026-03-01T02:00:01", "2026-13-01T00:00:00Z", "2026-02-30T00:00:00Z",
        "2026-03-01T24:00:00Z", "2026-03-01T02:00:01.Z", "2026-03-01T02:00:01+01:00",
        "2026-03-01T02:00:01Zjunk", "20260301T020001Z", "2026-03-01T02:0:01Z",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        bf_time_us t = 42;
        CU_ASSERT_EQUAL(bf_time_parse_iso(bad[i], &t), BF_EPARSE);
        CU_ASSERT_EQUAL(t, 42);
    }
    bf_time_us t;
    CU_ASSERT_EQUAL(bf_time_parse_iso(NULL, &t), BF_EPARSE);
}

static void test_log_once(void)
{
    struct bf_log_once once = {0};
    CU_ASSERT_TRUE(bf_log_once_first(&once, 3));
    CU_ASSERT_FALSE(bf_log_once_first(&once, 3));
    CU_ASSERT_TRUE(bf_log_once_first(&once, 4));
    CU_ASSERT_FALSE(bf_log_once_first(&once, 3));
    enum bf_log_level l;
    CU_ASSERT_EQUAL(bf_log_level_parse("debug", &l), 0);
    CU_ASSERT_EQUAL(l, BF_LOG_DEBUG);
    CU_ASSERT_EQUAL(bf_log_level_parse("loud", &l), BF_EINVAL);
}

static void test_strerror(void)
{
    CU_ASSERT_STRING_EQUAL(bf_strerror(BF_EFULL), "full: item shed");
    CU_ASSERT_STRING_EQUAL(bf_strerror(-999), "unknown error");
}

static CU_TestInfo tests[] = {
    {"parse known instants", test_parse_known},
    {"format and round trip", test_format_round_trip},
    {"refuse malformed times", test_parse_refused},
    {"log once per kind", test_log_once},
    {"error strings", test_strerror},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"core/time", NULL, NULL, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

int main(void) { return bf_test_main(suites); }
