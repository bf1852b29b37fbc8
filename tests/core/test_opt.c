/*
 * test_opt.c - the programs' option values (core/bf_opt.h): what each helper
 * accepts, what it refuses, and the one line it prints then (program,
 * option, expected range, the argument given); *out untouched on refusal.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bf_test.h"
#include "core/bf_opt.h"

/* stderr goes to a temporary file between capture_start and capture_end. */
static FILE *cap;
static int saved_fd = -1;
static char said[1024];

static void capture_start(void)
{
    fflush(stderr);
    cap = tmpfile();
    CU_ASSERT_PTR_NOT_NULL_FATAL(cap);
    saved_fd = dup(STDERR_FILENO);
    dup2(fileno(cap), STDERR_FILENO);
}

static const char *capture_end(void)
{
    fflush(stderr);
    dup2(saved_fd, STDERR_FILENO);
    close(saved_fd);
    rewind(cap);
    size_t n = fread(said, 1, sizeof said - 1, cap);
    said[n] = '\0';
    fclose(cap);
    return said;
}

static void test_double(void)
{
    double v = -1;
    CU_ASSERT_TRUE(bf_opt_double("prog", "--x", "2.5", 0, 10, NULL, &v));
    BF_ASSERT_NEAR(v, 2.5, 0);
    CU_ASSERT_TRUE(bf_opt_double("prog", "--x", "1e1", 0, 10, NULL, &v));
    BF_ASSERT_NEAR(v, 10, 0);
    static const char *const bad[] = {"", "abc", "3x", "10.5", "-0.1", "nan", "inf", "1e999"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        v = 7;
        capture_start();
        CU_ASSERT_FALSE(bf_opt_double("prog", "--x", bad[i], 0, 10, "(seconds)", &v));
        capture_end();
        BF_ASSERT_NEAR(v, 7, 0);   /* untouched */
    }
    capture_start();
    CU_ASSERT_FALSE(bf_opt_double("borderfuse-sim", "--settle-s", "soon", 0, 3600, "(seconds)", &v));
    CU_ASSERT_STRING_EQUAL(capture_end(), "borderfuse-sim: --settle-s: expected a number in "
                                          "[0, 3600] (seconds), got \"soon\"\n");
}

static void test_int(void)
{
    int64_t v = 0;
    CU_ASSERT_TRUE(bf_opt_int("p", "--n", "42", 1, 100, NULL, &v));
    CU_ASSERT_EQUAL(v, 42);
    CU_ASSERT_TRUE(bf_opt_int("p", "--seed", "9007199254740993", 0, INT64_MAX, NULL, &v));
    CU_ASSERT_EQUAL(v, INT64_C(9007199254740993));   /* exact, not through a double */
    static const char *const bad[] = {"", "4.0", "0", "101", "12a", "99999999999999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        v = 5;
        capture_start();
        CU_ASSERT_FALSE(bf_opt_int("p", "--n", bad[i], 1, 100, NULL, &v));
        capture_end();
        CU_ASSERT_EQUAL(v, 5);
    }
    capture_start();
    CU_ASSERT_FALSE(bf_opt_int("p", "--seed", "-1", 0, INT64_MAX, NULL, &v));
    CU_ASSERT_STRING_EQUAL(capture_end(), "p: --seed: expected an integer >= 0, got \"-1\"\n");
    capture_start();
    CU_ASSERT_FALSE(bf_opt_int("p", "--blobs", "17", 1, 16, NULL, &v));
    CU_ASSERT_STRING_EQUAL(capture_end(), "p: --blobs: expected an integer in [1, 16], got \"17\"\n");
}

static void test_pair_and_choice(void)
{
    double a = 0, b = 0;
    CU_ASSERT_TRUE(bf_opt_pair("p", "--our-side", "46.8,8.22", "LAT,LON", -180, 180, false, NULL,
                               &a, &b));
    BF_ASSERT_NEAR(a, 46.8, 0);
    BF_ASSERT_NEAR(b, 8.22, 0);
    CU_ASSERT_TRUE(bf_opt_pair("p", "--speed", "2:12", "MIN:MAX", 0, 1e4, true, NULL, &a, &b));
    BF_ASSERT_NEAR(a, 2, 0);
    BF_ASSERT_NEAR(b, 12, 0);
    static const char *const bad[] = {"12:2", "2,12", "2:", ":3", "2:3:4", "-1:3"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        capture_start();
        CU_ASSERT_FALSE(bf_opt_pair("p", "--speed", bad[i], "MIN:MAX", 0, 1e4, true, NULL, &a, &b));
        capture_end();
    }
    BF_ASSERT_NEAR(a, 2, 0);
    capture_start();
    CU_ASSERT_FALSE(bf_opt_pair("p", "--our-side", "north", "LAT,LON", -180, 180, false,
                                "(degrees)", &a, &b));
    CU_ASSERT_STRING_EQUAL(capture_end(), "p: --our-side: expected LAT,LON, two numbers in "
                                          "[-180, 180] (degrees), got \"north\"\n");

    static const char *const names[] = {"gnn", "jpda", NULL};
    int k = -1;
    CU_ASSERT_TRUE(bf_opt_choice("p", "--assoc", "jpda", names, &k));
    CU_ASSERT_EQUAL(k, 1);
    capture_start();
    CU_ASSERT_FALSE(bf_opt_choice("p", "--assoc", "JPDA", names, &k));
    CU_ASSERT_STRING_EQUAL(capture_end(), "p: --assoc: expected one of gnn, jpda, got \"JPDA\"\n");
    CU_ASSERT_EQUAL(k, 1);
}

static CU_TestInfo opt_tests[] = {
    {"numbers: whole argument, range, message", test_double},
    {"integers: exact, range, message", test_int},
    {"pairs and choices", test_pair_and_choice},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"opt", NULL, NULL, NULL, NULL, opt_tests},
    CU_SUITE_INFO_NULL,
};

int main(void) { return bf_test_main(suites); }
