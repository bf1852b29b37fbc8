/*
 * timers.h - the engine loop's table of periodic tasks (docs/engine.md,
 * "The loop and its timers").
 *
 * A task has a name, a clock, a period, the time it is next due and a
 * function.  Two clocks, never mixed:
 *
 *   BF_ENG_CLOCK_EVENT  event time: tasks about the picture (a sensor silent
 *                       for so long of event time).  The pipeline runs them
 *                       at the event times it reaches, so a replay runs them
 *                       at the same points as the live run did.
 *   BF_ENG_CLOCK_WALL   the monotonic wall clock: tasks about the outside
 *                       world (the status, retention, the watchdog).  Only a
 *                       live engine has them.
 *
 * bf_eng_timers_run(clock, now) runs every task of that clock due at now
 * (next_due <= now), each once, in the order they fell due (ties: the order
 * they were added), and sets each one's next due time to now + period: a
 * task late by several periods runs once, not once per period missed.  A
 * period of 0 means every run of its clock, whatever now (an EVENT task that
 * follows every event time the pipeline reaches, even one that goes back).
 * The loop's wait for input is bf_eng_timers_timeout_ms(): until the nearest
 * WALL task falls due, so nothing waits on a sleep.
 *
 * Not thread-safe: the engine thread alone owns its table.
 */
#ifndef BF_ENG_TIMERS_H
#define BF_ENG_TIMERS_H

#include <stdbool.h>
#include <stddef.h>

#include "core/bf_time.h"

enum bf_eng_clock {
    BF_ENG_CLOCK_EVENT,   /* event time */
    BF_ENG_CLOCK_WALL,    /* the monotonic wall clock */
};

/* A task's function: now is the time of its clock it runs at. */
typedef void (*bf_eng_timer_fn)(void *ctx, bf_time_us now);

struct bf_eng_timers;

/* An empty table for at most cap tasks.  0, BF_EINVAL (cap 0) or BF_ENOMEM. */
int bf_eng_timers_create(size_t cap, struct bf_eng_timers **out);
/* Accepts NULL. */
void bf_eng_timers_destroy(struct bf_eng_timers *t);

/*
 * Add a task: name (kept as given, a static string), clock, period (>= 0),
 * the time it is first due (BF_TIME_NONE: at the first run of its clock),
 * fn(ctx, now).  Returns its id (>= 0), or BF_EINVAL (no name or fn, a
 * negative period) or BF_EFULL (cap tasks already).
 */
int bf_eng_timers_add(struct bf_eng_timers *t, const char *name, enum bf_eng_clock clock,
                      bf_time_us period, bf_time_us first_due, bf_eng_timer_fn fn, void *ctx);

/*
 * Change task id's period (>= 0).  A task that has run is next due at its
 * last run + the new period (at once if that is past).  One that has not
 * counts from its first due time less the old period (a task first due one
 * period after a start - the status after the one published at start - is
 * then due one new period after that start); one first due at the first run
 * (BF_TIME_NONE) stays so.  0 or BF_EINVAL (no such task, a negative period).
 */
int bf_eng_timers_set_period(struct bf_eng_timers *t, int id, bf_time_us period);

/* Run every task of clock due at now (see above).  Returns how many ran. */
size_t bf_eng_timers_run(struct bf_eng_timers *t, enum bf_eng_clock clock, bf_time_us now);

/*
 * When the nearest task of clock is due, into *due (BF_TIME_NONE: at the
 * next run; a period-0 task that has run is due at its last run); false when
 * the table has no task on that clock.
 */
bool bf_eng_timers_next(const struct bf_eng_timers *t, enum bf_eng_clock clock, bf_time_us *due);

/*
 * How long the loop may wait for input at wall time now: the milliseconds
 * until the nearest WALL task is due, rounded up, within [0, max_ms]; max_ms
 * when there is no WALL task.
 */
int bf_eng_timers_timeout_ms(const struct bf_eng_timers *t, bf_time_us now, int max_ms);

/* Task id's name, or NULL; how many times it ran (for status and tests). */
const char *bf_eng_timers_name(const struct bf_eng_timers *t, int id);
unsigned long long bf_eng_timers_runs(const struct bf_eng_timers *t, int id);

#endif
