/*
 * test_timers.c - the engine loop's table of periodic tasks (engine/timers.c):
 * the order due tasks run in, the two clocks kept apart, a period changed,
 * a late task run once, period 0, and the loop's wait computed from the
 * nearest wall task.  Times are made up: no clock is read.
 */
#include <string.h>

#include "bf_test.h"
#include "core/bf_error.h"
#include "engine/timers.h"

#define MS(x) ((bf_time_us)(x) * BF_US_PER_MS)
#define S(x) ((bf_time_us)(x) * BF_US_PER_S)

/* What the tasks did: each appends its letter and the time it ran at. */
struct log {
    char order[64];
    bf_time_us at[64];
    size_t n;
};

struct probe {
    struct log *log;
    char letter;
};

static void note(void *ctx, bf_time_us now)
{
    struct probe *p = ctx;
    if (p->log->n + 1 < sizeof p->log->order) {
        p->log->at[p->log->n] = now;
        p->log->order[p->log->n++] = p->letter;
        p->log->order[p->log->n] = '\0';
    }
}

static void test_due_order(void)
{
    struct bf_eng_timers *t;
    CU_ASSERT_EQUAL_FATAL(bf_eng_timers_create(8, &t), 0);
    struct log log = {0};
    struct probe a = {&log, 'a'}, b = {&log, 'b'}, c = {&log, 'c'}, d = {&log, 'd'};
    /* added a, b, c, d; due c (100), a (200), b = d (300) */
    CU_ASSERT_EQUAL(bf_eng_timers_add(t, "a", BF_ENG_CLOCK_WALL, S(1), MS(200), note, &a), 0);
    CU_ASSERT_EQUAL(bf_eng_timers_add(t, "b", BF_ENG_CLOCK_WALL, S(1), MS(300), note, &b), 1);
    CU_ASSERT_EQUAL(bf_eng_timers_add(t, "c", BF_ENG_CLOCK_WALL, S(1), MS(100), note, &c), 2);
    CU_ASSERT_EQUAL(bf_eng_timers_add(t, "d", BF_ENG_CLOCK_WALL, S(1), MS(300), note, &d), 3);
    CU_ASSERT_STRING_EQUAL(bf_eng_timers_name(t, 2), "c");
    CU_ASSERT_PTR_NULL(bf_eng_timers_name(t, 4));

    CU_ASSERT_EQUAL(bf_eng_timers_run(t, BF_ENG_CLOCK_WALL, MS(99)), 0);   /* none due yet */
    CU_ASSERT_EQUAL(bf_eng_timers_run(t, BF_ENG_CLOCK_WALL, MS(250)), 2);
    CU_ASSERT_STRING_EQUAL(log.order, "ca");
    CU_ASSERT_EQUAL(log.at[0], MS(250));   /* a task runs at the run's time */
    /* all four due: b, d (300 ms, in the order added), then a, c (both 1250 ms) */
    CU_ASSERT_EQUAL(bf_eng_timers_run(t, BF_ENG_CLOCK_WALL, S(2)), 4);
    CU_ASSERT_STRING_EQUAL(log.order, "cabdac");
    CU_ASSERT_EQUAL(bf_eng_timers_runs(t, 0), 2);
    CU_ASSERT_EQUAL(bf_eng_timers_runs(t, 1), 1);
    bf_eng_timers_destroy(t);
}

static void test_late_task_runs_once(void)
{
    struct bf_eng_timers *t;
    CU_ASSERT_EQUAL_FATAL(bf_eng_timers_create(2, &t), 0);
    struct log log = {0};
    struct probe a = {&log, 'a'};
    CU_ASSERT_EQUAL(bf_eng_timers_add(t, "a", BF_ENG_CLOCK_WALL, S(1), BF_TIME_NONE, note, &a), 0);
    CU_ASSERT_EQUAL(bf_eng_timers_run(t, BF_ENG_CLOCK_WALL, S(10)), 1);   /* first run: at once */
    /* five periods late: once, and next due a period after that run */
    CU_ASSERT_EQUAL(bf_eng_timers_run(t, BF_ENG_CLOCK_WALL, S(15)), 1);
    CU_ASSERT_EQUAL(bf_eng_timers_run(t, BF_ENG_CLOCK_WALL, S(15) + MS(999)), 0);
    CU_ASSERT_EQUAL(bf_eng_timers_run(t, BF_ENG_CLOCK_WALL, S(16)), 1);
    CU_ASSERT_STRING_EQUAL(log.order, "aaa");
    bf_eng_timers_destroy(t);
}

static void test_two_clocks(void)
{
    struct bf_eng_timers *t;
    CU_ASSERT_EQUAL_FATAL(bf_eng_timers_create(4, &t), 0);
    struct log log = {0};
    struct probe ev = {&log, 'e'}, wa = {&log, 'w'};
    const bf_time_us T0 = S(1700000000);   /* event time: epoch microseconds */
    CU_ASSERT_EQUAL(bf_eng_timers_add(t, "ev", BF_ENG_CLOCK_EVENT, S(5), T0, note, &ev), 0);
    CU_ASSERT_EQUAL(bf_eng_timers_add(t, "wall", BF_ENG_CLOCK_WALL, S(1), S(3), note, &wa), 1);
    /* a wall run at an event-sized time runs the wall task only */
    CU_ASSERT_EQUAL(bf_eng_timers_run(t, BF_ENG_CLOCK_WALL, T0 + S(100)), 1);
    CU_ASSERT_STRING_EQUAL(log.order, "w");
    /* an event run at a small time runs nothing: the event task is not due */
    CU_ASSERT_EQUAL(bf_eng_timers_run(t, BF_ENG_CLOCK_EVENT, S(4)), 0);
    CU_ASSERT_EQUAL(bf_eng_timers_run(t, BF_ENG_CLOCK_EVENT, T0 + S(2)), 1);
    CU_ASSERT_EQUAL(bf_eng_timers_run(t, BF_ENG_CLOCK_EVENT, T0 + S(6)), 0);
    CU_ASSERT_EQUAL(bf_eng_timers_run(t, BF_ENG_CLOCK_EVENT, T0 + S(7)), 1);
    CU_ASSERT_STRING_EQUAL(log.order, "wee");
    CU_ASSERT_EQUAL(log.at[2], T0 + S(7));
    bf_time_us due;
    CU_ASSERT_TRUE(bf_eng_timers_next(t, BF_ENG_CLOCK_EVENT, &due));
    CU_ASSERT_EQUAL(due, T0 + S(12));
    CU_ASSERT_TRUE(bf_eng_timers_next(t, BF_ENG_CLOCK_WALL, &due));
    CU_ASSERT_EQUAL(due, T0 + S(101));
    bf_eng_timers_destroy(t);
}

/* Period 0: every run of its clock, also at an event time that went back. */
static void test_period_zero(void)
{
    struct bf_eng_timers *t;
    CU_ASSERT_EQUAL_FATAL(bf_eng_timers_create(2, &t), 0);
    struct log log = {0};
    struct probe s = {&log, 's'};
    CU_ASSERT_EQUAL(bf_eng_timers_add(t, "silence", BF_ENG_CLOCK_EVENT, 0, BF_TIME_NONE, note,
                                      &s), 0);
    CU_ASSERT_EQUAL(bf_eng_timers_run(t, BF_ENG_CLOCK_EVENT, S(10)), 1);
    CU_ASSERT_EQUAL(bf_eng_timers_run(t, BF_ENG_CLOCK_EVENT, S(10)), 1);
    CU_ASSERT_EQUAL(bf_eng_timers_run(t, BF_ENG_CLOCK_EVENT, S(9)), 1);
    CU_ASSERT_EQUAL(bf_eng_timers_run(t, BF_ENG_CLOCK_WALL, S(9)), 0);
    CU_ASSERT_STRING_EQUAL(log.order, "sss");
    CU_ASSERT_EQUAL(log.at[2], S(9));
    bf_eng_timers_destroy(t);
}

static void test_period_change(void)
{
    struct bf_eng_timers *t;
    CU_ASSERT_EQUAL_FATAL(bf_eng_timers_create(2, &t), 0);
    struct log log = {0};
    struct probe a = {&log, 'a'}, b = {&log, 'b'};
    CU_ASSERT_EQUAL(bf_eng_timers_add(t, "a", BF_ENG_CLOCK_WALL, S(5), S(1), note, &a), 0);
    CU_ASSERT_EQUAL(bf_eng_timers_add(t, "b", BF_ENG_CLOCK_WALL, S(5), S(20), note, &b), 1);
    /* not run yet: counted from its first due time less the old period (20 - 5 + 2) */
    CU_ASSERT_EQUAL(bf_eng_timers_set_period(t, 1, S(2)), 0);
    bf_time_us due;
    CU_ASSERT_TRUE(bf_eng_timers_next(t, BF_ENG_CLOCK_WALL, &due));
    CU_ASSERT_EQUAL(due, S(1));
    CU_ASSERT_EQUAL(bf_eng_timers_run(t, BF_ENG_CLOCK_WALL, S(1)), 1);   /* a; next at 6 */
    /* shorter: due at the last run + the new period */
    CU_ASSERT_EQUAL(bf_eng_timers_set_period(t, 0, S(2)), 0);
    CU_ASSERT_EQUAL(bf_eng_timers_run(t, BF_ENG_CLOCK_WALL, S(3) - 1), 0);
    CU_ASSERT_EQUAL(bf_eng_timers_run(t, BF_ENG_CLOCK_WALL, S(3)), 1);
    /* longer */
    CU_ASSERT_EQUAL(bf_eng_timers_set_period(t, 0, S(10)), 0);
    CU_ASSERT_EQUAL(bf_eng_timers_run(t, BF_ENG_CLOCK_WALL, S(12)), 0);
    CU_ASSERT_EQUAL(bf_eng_timers_run(t, BF_ENG_CLOCK_WALL, S(13)), 1);
    CU_ASSERT_STRING_EQUAL(log.order, "aaa");
    CU_ASSERT_EQUAL(log.at[2], S(13));
    /* b at 17, then every 2 s */
    CU_ASSERT_EQUAL(bf_eng_timers_run(t, BF_ENG_CLOCK_WALL, S(17) - 1), 0);
    CU_ASSERT_EQUAL(bf_eng_timers_run(t, BF_ENG_CLOCK_WALL, S(17)), 1);
    CU_ASSERT_EQUAL(bf_eng_timers_run(t, BF_ENG_CLOCK_WALL, S(19)), 1);
    CU_ASSERT_STRING_EQUAL(log.order, "aaabb");
    CU_ASSERT_EQUAL(log.at[4], S(19));

    /* bad ids and periods refused */
    CU_ASSERT_EQUAL(bf_eng_timers_set_period(t, 2, S(1)), BF_EINVAL);
    CU_ASSERT_EQUAL(bf_eng_timers_set_period(t, -1, S(1)), BF_EINVAL);
    CU_ASSERT_EQUAL(bf_eng_timers_set_period(t, 0, -1), BF_EINVAL);
    bf_eng_timers_destroy(t);
}

static void test_timeout(void)
{
    struct bf_eng_timers *t;
    CU_ASSERT_EQUAL_FATAL(bf_eng_timers_create(4, &t), 0);
    struct log log = {0};
    struct probe a = {&log, 'a'}, e = {&log, 'e'};
    bf_time_us due;
    CU_ASSERT_FALSE(bf_eng_timers_next(t, BF_ENG_CLOCK_WALL, &due));
    CU_ASSERT_EQUAL(bf_eng_timers_timeout_ms(t, S(1), 100), 100);   /* no task: the cap */
    /* an event task never shortens the wait */
    CU_ASSERT_EQUAL(bf_eng_timers_add(t, "e", BF_ENG_CLOCK_EVENT, S(1), 0, note, &e), 0);
    CU_ASSERT_EQUAL(bf_eng_timers_timeout_ms(t, S(1), 100), 100);
    CU_ASSERT_EQUAL(bf_eng_timers_add(t, "a", BF_ENG_CLOCK_WALL, S(1), S(10), note, &a), 1);
    CU_ASSERT_EQUAL(bf_eng_timers_timeout_ms(t, S(9), 100), 100);             /* 1 s away */
    CU_ASSERT_EQUAL(bf_eng_timers_timeout_ms(t, S(10) - MS(40), 100), 40);
    CU_ASSERT_EQUAL(bf_eng_timers_timeout_ms(t, S(10) - MS(40) - 1, 100), 41);   /* rounded up */
    CU_ASSERT_EQUAL(bf_eng_timers_timeout_ms(t, S(10) - 1, 100), 1);
    CU_ASSERT_EQUAL(bf_eng_timers_timeout_ms(t, S(10), 100), 0);               /* due: no wait */
    CU_ASSERT_EQUAL(bf_eng_timers_timeout_ms(t, S(11), 100), 0);
    CU_ASSERT_EQUAL(bf_eng_timers_timeout_ms(t, S(9), -5), 0);
    /* after it ran, the next period counts */
    CU_ASSERT_EQUAL(bf_eng_timers_run(t, BF_ENG_CLOCK_WALL, S(11)), 1);
    CU_ASSERT_EQUAL(bf_eng_timers_timeout_ms(t, S(11) + MS(930), 100), 70);
    /* the nearest of several */
    struct probe b = {&log, 'b'};
    CU_ASSERT_EQUAL(bf_eng_timers_add(t, "b", BF_ENG_CLOCK_WALL, S(1), S(11) + MS(950), note,
                                      &b), 2);
    CU_ASSERT_EQUAL(bf_eng_timers_timeout_ms(t, S(11) + MS(930), 100), 20);
    /* a task due at the first run: no wait */
    struct probe c = {&log, 'c'};
    CU_ASSERT_EQUAL(bf_eng_timers_add(t, "c", BF_ENG_CLOCK_WALL, S(1), BF_TIME_NONE, note, &c),
                    3);
    CU_ASSERT_EQUAL(bf_eng_timers_timeout_ms(t, S(11) + MS(930), 100), 0);
    bf_eng_timers_destroy(t);
}

static void test_bad_use(void)
{
    struct bf_eng_timers *t;
    CU_ASSERT_EQUAL(bf_eng_timers_create(0, &t), BF_EINVAL);
    CU_ASSERT_PTR_NULL(t);
    CU_ASSERT_EQUAL_FATAL(bf_eng_timers_create(1, &t), 0);
    struct log log = {0};
    struct probe a = {&log, 'a'};
    CU_ASSERT_EQUAL(bf_eng_timers_add(t, NULL, BF_ENG_CLOCK_WALL, S(1), 0, note, &a), BF_EINVAL);
    CU_ASSERT_EQUAL(bf_eng_timers_add(t, "a", BF_ENG_CLOCK_WALL, S(1), 0, NULL, &a), BF_EINVAL);
    CU_ASSERT_EQUAL(bf_eng_timers_add(t, "a", BF_ENG_CLOCK_WALL, -1, 0, note, &a), BF_EINVAL);
    CU_ASSERT_EQUAL(bf_eng_timers_add(t, "a", (enum bf_eng_clock)7, S(1), 0, note, &a),
                    BF_EINVAL);
    CU_ASSERT_EQUAL(bf_eng_timers_add(t, "a", BF_ENG_CLOCK_WALL, S(1), 0, note, &a), 0);
    CU_ASSERT_EQUAL(bf_eng_timers_add(t, "b", BF_ENG_CLOCK_WALL, S(1), 0, note, &a), BF_EFULL);
    CU_ASSERT_EQUAL(bf_eng_timers_runs(t, 1), 0);
    CU_ASSERT_EQUAL(bf_eng_timers_run(NULL, BF_ENG_CLOCK_WALL, S(1)), 0);
    bf_eng_timers_destroy(t);
    bf_eng_timers_destroy(NULL);
}

static CU_TestInfo tests[] = {
    {"due tasks run by due time, ties in the order added", test_due_order},
    {"a task late by several periods runs once", test_late_task_runs_once},
    {"event and wall clocks are kept apart", test_two_clocks},
    {"period 0: every run of its clock", test_period_zero},
    {"a period changed: next due from the last run", test_period_change},
    {"the loop's wait: until the nearest wall task", test_timeout},
    {"bad arguments refused, a full table refused", test_bad_use},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"engine/timers", NULL, NULL, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

int main(void) { return bf_test_main(suites); }
