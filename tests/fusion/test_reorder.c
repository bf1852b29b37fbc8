/*
 * test_reorder.c - the reorder window and the ingest queue: order, window,
 * late data, capacity, and that shuffled input comes out the same.
 */
#include <stdlib.h>
#include <string.h>

#include "bf_test.h"
#include "core/bf_error.h"
#include "fusion/ingest.h"

static struct bf_detection det(bf_time_us t, uint32_t sensor, uint32_t seq)
{
    struct bf_detection d;
    memset(&d, 0, sizeof d);
    d.t_us = t;
    d.sensor_idx = sensor;
    d.seq = seq;
    d.kind = BF_MEAS_POSITION;
    return d;
}

static void test_order_and_window(void)
{
    struct bf_reorder *r;
    CU_ASSERT_EQUAL_FATAL(bf_reorder_create(16, 500000, &r), 0);
    struct bf_detection out[16];
    CU_ASSERT_EQUAL(bf_reorder_push(r, &(struct bf_detection){0}), 0);
    bf_reorder_pop(r, true, out, 16);   /* release t=0 so time starts */
    struct bf_detection in[] = {det(1200000, 1, 0), det(1000000, 0, 5), det(1000000, 0, 2),
                                det(1000000, 1, 0), det(1400000, 0, 9)};
    for (size_t i = 0; i < 5; i++)
        CU_ASSERT_EQUAL(bf_reorder_push(r, &in[i]), 0);
    CU_ASSERT_EQUAL(bf_reorder_newest(r), 1400000);
    /* newest 1.4 s, window 0.5 s: release t <= 0.9 s -> nothing */
    CU_ASSERT_EQUAL(bf_reorder_pop(r, false, out, 16), 0);
    struct bf_detection late = det(1600000, 2, 0);
    CU_ASSERT_EQUAL(bf_reorder_push(r, &late), 0);
    /* newest 1.6: release t <= 1.1 -> the three at 1.0 in (sensor, seq) order */
    size_t n = bf_reorder_pop(r, false, out, 16);
    CU_ASSERT_EQUAL_FATAL(n, 3);
    CU_ASSERT(out[0].sensor_idx == 0 && out[0].seq == 2);
    CU_ASSERT(out[1].sensor_idx == 0 && out[1].seq == 5);
    CU_ASSERT(out[2].sensor_idx == 1 && out[2].seq == 0);
    CU_ASSERT_EQUAL(bf_reorder_released(r), 1000000);
    /* older than released: refused */
    struct bf_detection old = det(999999, 0, 1);
    CU_ASSERT_EQUAL(bf_reorder_push(r, &old), BF_ELATE);
    /* equal to released: still in order, accepted */
    struct bf_detection same = det(1000000, 3, 0);
    CU_ASSERT_EQUAL(bf_reorder_push(r, &same), 0);
    n = bf_reorder_pop(r, true, out, 16);
    CU_ASSERT_EQUAL_FATAL(n, 4);
    CU_ASSERT_EQUAL(out[0].t_us, 1000000);
    CU_ASSERT_EQUAL(out[1].t_us, 1200000);
    CU_ASSERT_EQUAL(out[2].t_us, 1400000);
    CU_ASSERT_EQUAL(out[3].t_us, 1600000);
    CU_ASSERT_EQUAL(bf_reorder_count(r), 0);
    bf_reorder_destroy(r);
}

static void test_capacity(void)
{
    struct bf_reorder *r;
    CU_ASSERT_EQUAL_FATAL(bf_reorder_create(2, 0, &r), 0);
    struct bf_detection a = det(5, 0, 0), b = det(6, 0, 1), c = det(7, 0, 2);
    CU_ASSERT_EQUAL(bf_reorder_push(r, &a), 0);
    CU_ASSERT_EQUAL(bf_reorder_push(r, &b), 0);
    CU_ASSERT_EQUAL(bf_reorder_push(r, &c), BF_EFULL);
    bf_reorder_destroy(r);
    CU_ASSERT_EQUAL(bf_reorder_create(0, 0, &r), BF_EINVAL);
    CU_ASSERT_PTR_NULL(r);
}

/* Any permutation of the input gives the same output sequence. */
static void test_shuffle_invariant(void)
{
    enum { N = 500 };
    static struct bf_detection in[N], out1[N], out2[N];
    srand(7);
    for (int i = 0; i < N; i++)
        in[i] = det((bf_time_us)(rand() % 50) * 100000, (uint32_t)(rand() % 3), (uint32_t)i);
    for (int pass = 0; pass < 2; pass++) {
        struct bf_reorder *r;
        CU_ASSERT_EQUAL_FATAL(bf_reorder_create(N, INT64_C(10000000), &r), 0);
        if (pass == 1)
            for (int i = N - 1; i > 0; i--) {
                int j = rand() % (i + 1);
                struct bf_detection t = in[i];
                in[i] = in[j];
                in[j] = t;
            }
        for (int i = 0; i < N; i++)
            CU_ASSERT_EQUAL(bf_reorder_push(r, &in[i]), 0);
        size_t n = bf_reorder_pop(r, true, pass ? out2 : out1, N);
        CU_ASSERT_EQUAL(n, N);
        bf_reorder_destroy(r);
    }
    CU_ASSERT_EQUAL(memcmp(out1, out2, sizeof out1), 0);
    for (int i = 1; i < N; i++)
        CU_ASSERT(out1[i - 1].t_us <= out1[i].t_us);
}

static void test_queue(void)
{
    struct bf_ingest_queue *q;
    CU_ASSERT_EQUAL_FATAL(bf_ingest_queue_create(3, &q), 0);
    for (uint32_t i = 0; i < 3; i++) {
        struct bf_detection d = det(i, 0, i);
        CU_ASSERT_EQUAL(bf_ingest_queue_push(q, &d), 0);
    }
    struct bf_detection d = det(9, 0, 9);
    CU_ASSERT_EQUAL(bf_ingest_queue_push(q, &d), BF_EFULL);
    CU_ASSERT_EQUAL(bf_ingest_queue_depth(q), 3);
    struct bf_detection out[8];
    CU_ASSERT_EQUAL(bf_ingest_queue_pop(q, out, 2, 0), 2);
    CU_ASSERT_EQUAL(out[0].seq, 0);
    CU_ASSERT_EQUAL(out[1].seq, 1);
    CU_ASSERT_EQUAL(bf_ingest_queue_push(q, &d), 0);   /* wraps around the ring */
    CU_ASSERT_EQUAL(bf_ingest_queue_pop(q, out, 8, 0), 2);
    CU_ASSERT_EQUAL(out[0].seq, 2);
    CU_ASSERT_EQUAL(out[1].seq, 9);
    CU_ASSERT_EQUAL(bf_ingest_queue_pop(q, out, 8, 20), 0);   /* times out empty */
    bf_ingest_queue_destroy(q);
}

static CU_TestInfo tests[] = {
    {"release in (t, sensor, seq) order after the window", test_order_and_window},
    {"bounded capacity", test_capacity},
    {"shuffled input, same output", test_shuffle_invariant},
    {"ingest queue: bounded ring, FIFO, wrap", test_queue},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"fusion/reorder", NULL, NULL, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

int main(void) { return bf_test_main(suites); }
