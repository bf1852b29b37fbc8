/*
 * bf_test.h - the small harness every CUnit suite uses.
 *
 * A test file defines its suites as a table and calls bf_test_main():
 *
 *   static CU_TestInfo geo_tests[] = { {"crossing at a vertex", test_vertex}, CU_TEST_INFO_NULL };
 *   static CU_SuiteInfo suites[] = { {"geo", NULL, NULL, NULL, NULL, geo_tests}, CU_SUITE_INFO_NULL };
 *   int main(void) { return bf_test_main(suites); }
 *
 * It runs them in verbose mode, prints CUnit's summary, and exits non-zero
 * when any assertion failed (CU_basic_run_tests alone returns 0 even then).
 */
#ifndef BF_TEST_H
#define BF_TEST_H

#include <CUnit/Basic.h>
#include <CUnit/CUnit.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/bf_detection.h"

int bf_test_main(CU_SuiteInfo *suites);

/* $BF_SOURCE_DIR/rel (or ./rel when unset) into a static buffer. */
const char *bf_test_src(const char *rel);
/* A fresh temporary directory for this test run (created once per process). */
const char *bf_test_tmpdir(void);

/* Read a whole file (malloc'd, NUL-terminated; *len its length if len) or NULL. */
char *bf_test_read_file(const char *path, size_t *len);

/* splitmix64: the next seeded draw from *state (every run sees the same draws). */
uint64_t bf_test_rng(uint64_t *state);

/* A draw in [0, 1) from *state (53 bits). */
double bf_test_urand(uint64_t *state);

/*
 * Shuffle (Fisher-Yates, draws from *state) each run of consecutive
 * detections of d[0..n) that same_run() puts together (the first of the run
 * against each next one), then number each run again in its new order with
 * the seqs it had, as a sensor would.  Returns how many detections moved
 * (got another seq), or SIZE_MAX when out of memory.
 */
size_t bf_test_shuffle_runs(struct bf_detection *d, size_t n,
                            bool (*same_run)(const struct bf_detection *a,
                                             const struct bf_detection *b),
                            uint64_t *state);

/* Assert two doubles within tol, printing both on failure. */
#define BF_ASSERT_NEAR(a, b, tol) CU_ASSERT_DOUBLE_EQUAL((a), (b), (tol))

#endif
