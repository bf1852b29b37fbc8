/*
 * bf_test.c - runs a table of CUnit suites and turns failures into an exit
 * code; small path helpers for tests that read fixtures or write files;
 * seeded draws and the same-time shuffle of the metamorphic tests.
 */
#include "bf_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int bf_test_main(CU_SuiteInfo *suites)
{
    if (CU_initialize_registry() != CUE_SUCCESS) {
        fprintf(stderr, "CUnit: %s\n", CU_get_error_msg());
        return 2;
    }
    if (CU_register_suites(suites) != CUE_SUCCESS) {
        fprintf(stderr, "CUnit: %s\n", CU_get_error_msg());
        CU_cleanup_registry();
        return 2;
    }
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failures = CU_get_number_of_failures();
    unsigned failed_tests = CU_get_run_summary()->nTestsFailed;
    unsigned ran = CU_get_run_summary()->nTestsRun;
    CU_cleanup_registry();
    printf("\n");
    if (ran == 0) {
        fprintf(stderr, "no test ran\n");
        return 1;
    }
    return (failures || failed_tests) ? 1 : 0;
}

const char *bf_test_src(const char *rel)
{
    static char buf[4096];
    const char *root = getenv("BF_SOURCE_DIR");
    snprintf(buf, sizeof buf, "%s/%s", root ? root : ".", rel);
    return buf;
}

const char *bf_test_tmpdir(void)
{
    static char dir[256];
    if (dir[0] == '\0') {
        const char *base = getenv("TMPDIR");
        snprintf(dir, sizeof dir, "%s/bftest.XXXXXX", base ? base : "/tmp");
        if (!mkdtemp(dir)) {
            perror("mkdtemp");
            abort();
        }
    }
    return dir;
}

char *bf_test_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    long n = -1;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0)
        buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (buf) {
        buf[n] = '\0';
        if (len)
            *len = (size_t)n;
    }
    return buf;
}

uint64_t bf_test_rng(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

double bf_test_urand(uint64_t *state)
{
    return (double)(bf_test_rng(state) >> 11) / 9007199254740992.0;
}

size_t bf_test_shuffle_runs(struct bf_detection *d, size_t n,
                            bool (*same_run)(const struct bf_detection *a,
                                             const struct bf_detection *b),
                            uint64_t *state)
{
    uint32_t *seq = malloc((n ? n : 1) * sizeof *seq);
    if (!seq)
        return SIZE_MAX;
    for (size_t i = 0; i < n; i++)
        seq[i] = d[i].seq;
    size_t moved = 0;
    for (size_t base = 0; base < n;) {
        size_t end = base + 1;
        while (end < n && same_run(&d[base], &d[end]))
            end++;
        for (size_t k = end - base; k > 1; k--) {   /* Fisher-Yates over [base, end) */
            size_t i = k - 1, j = (size_t)(bf_test_urand(state) * (double)k);
            struct bf_detection t = d[base + i];
            d[base + i] = d[base + j];
            d[base + j] = t;
        }
        for (size_t i = base; i < end; i++) {
            moved += d[i].seq != seq[i];
            d[i].seq = seq[i];
        }
        base = end;
    }
    free(seq);
    return moved;
}
