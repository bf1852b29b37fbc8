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
    /* newer than released but older than the watermark (1.6 - 0.5 = 1.1 s): refused */
    struct bf_detection behind = det(1099999, 3, 0);
    CU_ASSERT_TRUE(bf_reorder_is_late(r, 1099999));
    CU_ASSERT_EQUAL(bf_reorder_push(r, &behind), BF_ELATE);
    /* at the watermark: accepted, but not released (only what is strictly older is) */
    struct bf_detection edge = det(1100000, 3, 0);
    CU_ASSERT_FALSE(bf_reorder_is_late(r, 1100000));
    CU_ASSERT_EQUAL(bf_reorder_push(r, &edge), 0);
    CU_ASSERT_EQUAL(bf_reorder_pop(r, false, out, 16), 0);
    n = bf_reorder_pop(r, true, out, 16);
    CU_ASSERT_EQUAL_FATAL(n, 4);
    CU_ASSERT_EQUAL(out[0].t_us, 1100000);
    CU_ASSERT_EQUAL(out[1].t_us, 1200000);
    CU_ASSERT_EQUAL(out[2].t_us, 1400000);
    CU_ASSERT_EQUAL(out[3].t_us, 1600000);
    CU_ASSERT_EQUAL(bf_reorder_count(r), 0);
    /* after a flush, nothing older than what it released comes in */
    CU_ASSERT_EQUAL(bf_reorder_push(r, &edge), BF_ELATE);
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

/*
 * Same time, same sensor: ordered by the measurement, not by seq, so a
 * sensor that numbers the same scan in another order gives the same output.
 */
static void test_canonical_order(void)
{
    struct bf_detection a = det(1000, 0, 7), b = det(1000, 0, 3), c = det(1000, 0, 5);
    a.z[0] = 10.0;   /* range 10 m */
    b.z[0] = 30.0;
    c.z[0] = 20.0;
    struct bf_detection m = det(1000, 0, 0);
    m.kind = BF_MEAS_SCAN;
    struct bf_detection neg = det(1000, 0, 9), pos = det(1000, 0, 1);
    neg.z[0] = -0.0;
    pos.z[0] = 0.0;
    CU_ASSERT(bf_reorder_compare(&neg, &pos) < 0);   /* -0 before +0: a total order */
    struct bf_detection dup = a;
    dup.seq = 8;
    CU_ASSERT(bf_reorder_compare(&a, &dup) < 0);      /* exact duplicates: by seq */
    CU_ASSERT_EQUAL(bf_reorder_compare(&a, &a), 0);
    struct bf_detection in1[] = {m, a, b, c}, in2[] = {c, m, b, a};
    struct bf_detection out1[4], out2[4];
    for (int pass = 0; pass < 2; pass++) {
        struct bf_reorder *r;
        CU_ASSERT_EQUAL_FATAL(bf_reorder_create(8, 0, &r), 0);
        for (int i = 0; i < 4; i++)
            CU_ASSERT_EQUAL(bf_reorder_push(r, pass ? &in2[i] : &in1[i]), 0);
        CU_ASSERT_EQUAL(bf_reorder_pop(r, true, pass ? out2 : out1, 4), 4);
        bf_reorder_destroy(r);
    }
    CU_ASSERT_EQUAL(memcmp(out1, out2, sizeof out1), 0);
    CU_ASSERT_EQUAL(out1[0].z[0], 10.0);
    CU_ASSERT_EQUAL(out1[1].z[0], 20.0);
    CU_ASSERT_EQUAL(out1[2].z[0], 30.0);
    CU_ASSERT_EQUAL(out1[3].kind, BF_MEAS_SCAN);   /* the marker ends its scan */
}

/*
 * Release does not depend on how often pop is called: popping after every
 * push or once at the end gives the same sequence, and the same refusals.
 */
static void test_release_independent_of_polling(void)
{
    enum { N = 400 };
    static struct bf_detection in[N], out1[N], out2[N];
    srand(11);
    bf_time_us t = 0;
    for (int i = 0; i < N; i++) {
        t += rand() % 3 == 0 ? 100000 : 0;
        /* jitter up to 0.6 s back: some fall behind the 0.5 s window */
        in[i] = det(t - (bf_time_us)(rand() % 7) * 100000, (uint32_t)(rand() % 2), (uint32_t)i);
    }
    size_t n1 = 0, n2 = 0;
    int late1 = 0, late2 = 0;
    for (int pass = 0; pass < 2; pass++) {
        struct bf_reorder *r;
        CU_ASSERT_EQUAL_FATAL(bf_reorder_create(N, 500000, &r), 0);
        for (int i = 0; i < N; i++) {
            if (bf_reorder_push(r, &in[i]) == BF_ELATE)
                *(pass ? &late2 : &late1) += 1;
            if (pass == 0)
                n1 += bf_reorder_pop(r, false, out1 + n1, N - n1);
        }
        if (pass == 0)
            n1 += bf_reorder_pop(r, true, out1 + n1, N - n1);
        else
            n2 = bf_reorder_pop(r, true, out2, N);
        bf_reorder_destroy(r);
    }
    CU_ASSERT(late1 > 0);
    CU_ASSERT_EQUAL(late1, late2);
    CU_ASSERT_EQUAL_FATAL(n1, n2);
    CU_ASSERT_EQUAL(n1 + (size_t)late1, N);
    CU_ASSERT_EQUAL(memcmp(out1, out2, n1 * sizeof *out1), 0);
    for (size_t i = 1; i < n1; i++)
        CU_ASSERT(bf_reorder_compare(&out1[i - 1], &out1[i]) < 0);
}

static CU_TestInfo tests[] = {
    {"canonical order within a scan", test_canonical_order},
    {"release independent of how often it is polled", test_release_independent_of_polling},
    {"release in (t, sensor, content) order after the window; late data", test_order_and_window},
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
