/*
 * test_reorder.c - the reorder window and the ingest queue: order, window,
 * late data, capacity, and that shuffled input comes out the same; the
 * per-sensor watermarks (quorum), the queue's per-sensor shares, and the
 * clutter map (engine/clutter.c).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bf_test.h"
#include "core/bf_error.h"
#include "engine/ingest.h"

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

#define S_US(x) ((bf_time_us)((x) * 1e6))

/*
 * Per-sensor watermarks: three sensors, one of them 25 s ahead.  Without the
 * quorum the fast one's time is the site's and the others are late; with it
 * the site time is the quorum's (the second newest of three), nothing of the
 * others is late, and the fast one's detections wait in the window.
 */
static void test_quorum_watermark(void)
{
    int late[2] = {0, 0};
    for (int quorum = 0; quorum < 2; quorum++) {
        struct bf_reorder *r;
        CU_ASSERT_EQUAL_FATAL(bf_reorder_create(1024, 500000, &r), 0);
        if (quorum)
            CU_ASSERT_EQUAL(bf_reorder_set_quorum(r, S_US(2)), 0);
        struct bf_detection out[1024];
        size_t released = 0;
        uint32_t seq = 0;
        for (int k = 0; k < 20; k++) {
            struct bf_detection d[3] = {det(S_US(k), 0, seq), det(S_US(k) + 1000, 1, seq + 1),
                                        det(S_US(k + 25), 2, seq + 2)};
            seq += 3;
            for (int i = 0; i < 3; i++)
                late[quorum] += bf_reorder_push(r, &d[i]) == BF_ELATE;
            released += bf_reorder_pop(r, false, out, 1024);
        }
        if (quorum) {
            /* the quorum of {44, 19.001, 19} is the second newest, 19.001 s; released:
             * what is older than 18.501 s */
            CU_ASSERT_EQUAL(bf_reorder_site_time(r), S_US(19) + 1000);
            CU_ASSERT_EQUAL(bf_reorder_watermark(r), S_US(18.5) + 1000);
            CU_ASSERT_EQUAL(bf_reorder_newest(r), S_US(44));
            CU_ASSERT_EQUAL(released, 19 * 2);   /* sensors 0 and 1 up to 18 s; sensor 2 waits */
            /* how far each may be ahead is judged against the others: for sensor 2, the
             * quorum of {19, 19.001} (two: the newer); for sensor 0, of {19.001, 44} */
            CU_ASSERT_EQUAL(bf_reorder_quorum_others(r, 2), S_US(19) + 1000);
            CU_ASSERT_EQUAL(bf_reorder_quorum_others(r, 0), S_US(44));
            CU_ASSERT_EQUAL(bf_reorder_set_quorum(r, S_US(2)), BF_EINVAL);   /* too late */
        } else {
            CU_ASSERT_EQUAL(bf_reorder_site_time(r), S_US(44));
            CU_ASSERT_EQUAL(bf_reorder_quorum_others(r, 0), BF_TIME_NONE);
        }
        bf_reorder_destroy(r);
    }
    printf("\n    one sensor 25 s ahead of two: late %d (newest rule), %d (quorum)\n", late[0],
           late[1]);
    CU_ASSERT_EQUAL(late[0], 19 * 2);   /* every one of theirs after the first push */
    CU_ASSERT_EQUAL(late[1], 0);
}

/*
 * A silent sensor leaves the quorum after idle_us of receipt time, so it does
 * not hold the site back; a sensor heard again rejoins.
 */
static void test_quorum_silent_sensor(void)
{
    struct bf_reorder *r;
    CU_ASSERT_EQUAL_FATAL(bf_reorder_create(1024, 500000, &r), 0);
    CU_ASSERT_EQUAL(bf_reorder_set_quorum(r, S_US(2)), 0);
    struct bf_detection out[1024];
    uint32_t seq = 0;
    bf_time_us rx0 = S_US(1000000);
    for (int k = 0; k < 30; k++) {
        for (uint32_t s = 0; s < 3; s++) {
            if (s == 2 && k >= 5)
                continue;   /* sensor 2 falls silent at 5 s */
            struct bf_detection d = det(S_US(k), s, seq++);
            d.rx_us = rx0 + S_US(k) + 100000;
            CU_ASSERT_EQUAL(bf_reorder_push(r, &d), 0);
        }
        bf_reorder_pop(r, false, out, 1024);
    }
    /* two current sensors at 29 s: the site follows them, not the silent one at 4 s */
    CU_ASSERT_EQUAL(bf_reorder_site_time(r), S_US(29));
    CU_ASSERT_EQUAL(bf_reorder_released(r), S_US(28));
    /* heard again, at its true time: not late, and back in the quorum */
    struct bf_detection back = det(S_US(29.2), 2, seq++);
    back.rx_us = rx0 + S_US(29.3);
    CU_ASSERT_EQUAL(bf_reorder_push(r, &back), 0);
    CU_ASSERT_EQUAL(bf_reorder_quorum_others(r, 0), S_US(29.2));   /* of {29, 29.2} */
    /* one from before what was released: late, quorum or not */
    struct bf_detection old = det(S_US(20), 2, seq++);
    old.rx_us = rx0 + S_US(29.4);
    CU_ASSERT_EQUAL(bf_reorder_push(r, &old), BF_ELATE);
    bf_reorder_destroy(r);
}

/* The ingest queue partitioned between two sensors: one flooding fills only its share. */
static void test_queue_share(void)
{
    struct bf_ingest_queue *q;
    CU_ASSERT_EQUAL_FATAL(bf_ingest_queue_create(8, &q), 0);
    CU_ASSERT_EQUAL(bf_ingest_queue_set_share(q, 0), BF_EINVAL);
    CU_ASSERT_EQUAL(bf_ingest_queue_set_share(q, 2), 0);
    int shed0 = 0, shed1 = 0;
    for (uint32_t i = 0; i < 100; i++) {
        struct bf_detection d = det(i, 0, i);
        shed0 += bf_ingest_queue_push(q, &d) == BF_EFULL;
    }
    for (uint32_t i = 0; i < 4; i++) {
        struct bf_detection d = det(i, 1, i);
        shed1 += bf_ingest_queue_push(q, &d) == BF_EFULL;
    }
    CU_ASSERT_EQUAL(shed0, 96);
    CU_ASSERT_EQUAL(shed1, 0);
    CU_ASSERT_EQUAL(bf_ingest_queue_held(q, 0), 4);
    CU_ASSERT_EQUAL(bf_ingest_queue_held(q, 1), 4);
    struct bf_detection out[8];
    CU_ASSERT_EQUAL(bf_ingest_queue_pop(q, out, 3, 0), 3);   /* three of sensor 0 out */
    CU_ASSERT_EQUAL(bf_ingest_queue_held(q, 0), 1);
    struct bf_detection d = det(200, 0, 200);
    CU_ASSERT_EQUAL(bf_ingest_queue_push(q, &d), 0);   /* room in its share again */
    bf_ingest_queue_destroy(q);
}

/*
 * The clutter map learns a persistent dense patch (and not a walker, nor
 * sparse clutter), and forgets it once it stops.
 */
static void test_clutter_map(void)
{
    struct bf_clutter_map *m;
    struct bf_clutter_sensor s = {.e_m = 0, .n_m = 0, .range_m = 5000};
    CU_ASSERT_EQUAL(bf_clutter_create(&s, 1, 0, 60, &m), BF_EINVAL);
    CU_ASSERT_EQUAL_FATAL(bf_clutter_create(&s, 1, 500, 60, &m), 0);
    srand(3);
    for (int k = 0; k < 30; k++) {   /* 30 scans a second apart */
        bf_time_us t = S_US(k);
        bf_clutter_scan(m, 0, t);
        for (int i = 0; i < 50; i++)   /* 50 a scan in the cell [1000, 1500) x [1000, 1500) */
            bf_clutter_add(m, 0, t, 1000 + 500.0 * rand() / RAND_MAX * 0.999,
                           1000 + 500.0 * rand() / RAND_MAX * 0.999);
        if (k % 10 == 0)   /* sparse: one every ten scans */
            bf_clutter_add(m, 0, t, -2200, -2200);
        if (k < 2)         /* a walker: two detections before his track takes the rest */
            bf_clutter_add(m, 0, t, 3100 + 1.4 * k, 0);
    }
    bf_time_us t = S_US(29);
    double dense = bf_clutter_density(m, 0, t, 1200, 1300);
    printf("\n    clutter map: dense patch %.3g /m^2/scan (50 per scan per 0.25 km^2: 2e-4), "
           "sparse %.3g, walker %.3g\n", dense, bf_clutter_density(m, 0, t, -2200, -2200),
           bf_clutter_density(m, 0, t, 3100, 0));
    CU_ASSERT(fabs(dense - 50.0 / (500 * 500)) < 0.1 * 50.0 / (500 * 500));
    CU_ASSERT_EQUAL(bf_clutter_density(m, 0, t, -2200, -2200), 0.0);   /* too little to learn */
    CU_ASSERT_EQUAL(bf_clutter_density(m, 0, t, 3100, 0), 0.0);
    CU_ASSERT_EQUAL(bf_clutter_density(m, 0, t, 9000, 0), 0.0);        /* outside the grid */
    CU_ASSERT_EQUAL(bf_clutter_density(m, 1, t, 1200, 1300), 0.0);     /* no such sensor */
    /* the patch stops; the sensor keeps scanning: after a few memory times it is gone */
    double at60 = 0, at270 = 0;
    for (int k = 30; k < 900; k++) {
        bf_clutter_scan(m, 0, S_US(k));
        if (k == 89)
            at60 = bf_clutter_density(m, 0, S_US(k), 1200, 1300);
        if (k == 299)
            at270 = bf_clutter_density(m, 0, S_US(k), 1200, 1300);
    }
    double at870 = bf_clutter_density(m, 0, S_US(899), 1200, 1300);
    printf("    after it stopped: 1 min %.3g, 4.5 min %.3g, 14.5 min %.3g\n", at60, at270, at870);
    CU_ASSERT(at60 > 0 && at60 < 0.5 * dense);
    CU_ASSERT(at270 < 0.01 * dense);
    CU_ASSERT_EQUAL(at870, 0.0);   /* below the evidence a cell needs: forgotten */
    bf_clutter_destroy(m);
}

static CU_TestInfo tests[] = {
    {"canonical order within a scan", test_canonical_order},
    {"release independent of how often it is polled", test_release_independent_of_polling},
    {"release in (t, sensor, content) order after the window; late data", test_order_and_window},
    {"bounded capacity", test_capacity},
    {"shuffled input, same output", test_shuffle_invariant},
    {"ingest queue: bounded ring, FIFO, wrap", test_queue},
    {"per-sensor watermarks: one sensor ahead makes none of the others late",
     test_quorum_watermark},
    {"per-sensor watermarks: a silent sensor leaves the quorum", test_quorum_silent_sensor},
    {"ingest queue: a flooding sensor fills only its share", test_queue_share},
    {"clutter map: learns a persistent dense patch, forgets it", test_clutter_map},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"fusion/reorder", NULL, NULL, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

int main(void) { return bf_test_main(suites); }
