/*
 * timers.c - the engine loop's table of periodic tasks (timers.h).
 *
 * A handful of tasks (a dozen at most): a flat array, scanned at each run.
 * A run first picks the tasks that are due, then sorts them by due time
 * (ties: their index, the order they were added) and runs each once, so a
 * task rescheduled by its own run never runs twice in one run.
 */
#include <stdlib.h>

#include "core/bf_error.h"
#include "engine/timers.h"

struct task {
    const char *name;
    enum bf_eng_clock clock;
    bf_time_us period;
    bf_time_us next_due;   /* BF_TIME_NONE: at the next run */
    bf_time_us last_run;   /* BF_TIME_NONE: never ran */
    bf_eng_timer_fn fn;
    void *ctx;
    unsigned long long runs;
};

struct bf_eng_timers {
    struct task *v;
    size_t n, cap;
    int *due;              /* cap: the ids due in the run under way */
};

int bf_eng_timers_create(size_t cap, struct bf_eng_timers **out)
{
    *out = NULL;
    if (cap == 0)
        return BF_EINVAL;
    struct bf_eng_timers *t = calloc(1, sizeof *t);
    if (!t)
        return BF_ENOMEM;
    t->v = calloc(cap, sizeof *t->v);
    t->due = calloc(cap, sizeof *t->due);
    if (!t->v || !t->due) {
        bf_eng_timers_destroy(t);
        return BF_ENOMEM;
    }
    t->cap = cap;
    *out = t;
    return 0;
}

void bf_eng_timers_destroy(struct bf_eng_timers *t)
{
    if (!t)
        return;
    free(t->v);
    free(t->due);
    free(t);
}

int bf_eng_timers_add(struct bf_eng_timers *t, const char *name, enum bf_eng_clock clock,
                      bf_time_us period, bf_time_us first_due, bf_eng_timer_fn fn, void *ctx)
{
    if (!t || !name || !fn || period < 0 ||
        (clock != BF_ENG_CLOCK_EVENT && clock != BF_ENG_CLOCK_WALL))
        return BF_EINVAL;
    if (t->n == t->cap)
        return BF_EFULL;
    t->v[t->n] = (struct task){
        .name = name, .clock = clock, .period = period, .next_due = first_due,
        .last_run = BF_TIME_NONE, .fn = fn, .ctx = ctx,
    };
    return (int)t->n++;
}

static struct task *task_of(const struct bf_eng_timers *t, int id)
{
    return t && id >= 0 && (size_t)id < t->n ? &t->v[id] : NULL;
}

int bf_eng_timers_set_period(struct bf_eng_timers *t, int id, bf_time_us period)
{
    struct task *k = task_of(t, id);
    if (!k || period < 0)
        return BF_EINVAL;
    if (k->last_run != BF_TIME_NONE)
        k->next_due = k->last_run + period;
    else if (k->next_due != BF_TIME_NONE)   /* counted from its first due time less a period */
        k->next_due += period - k->period;
    k->period = period;
    return 0;
}

static bool is_due(const struct task *k, bf_time_us now)
{
    return k->period == 0 || k->next_due <= now;   /* BF_TIME_NONE is below every time */
}

/* a before b in a run: the earlier due time, then the one added first */
static bool runs_before(const struct bf_eng_timers *t, int a, int b)
{
    const struct task *x = &t->v[a], *y = &t->v[b];
    return x->next_due != y->next_due ? x->next_due < y->next_due : a < b;
}

size_t bf_eng_timers_run(struct bf_eng_timers *t, enum bf_eng_clock clock, bf_time_us now)
{
    if (!t)
        return 0;
    size_t n = 0;
    for (size_t i = 0; i < t->n; i++) {
        if (t->v[i].clock != clock || !is_due(&t->v[i], now))
            continue;
        size_t j = n++;   /* insertion sort: a dozen tasks at most */
        for (; j > 0 && runs_before(t, (int)i, t->due[j - 1]); j--)
            t->due[j] = t->due[j - 1];
        t->due[j] = (int)i;
    }
    for (size_t j = 0; j < n; j++) {
        struct task *k = &t->v[t->due[j]];
        k->last_run = now;
        k->next_due = now + k->period;
        k->runs++;
        k->fn(k->ctx, now);
    }
    return n;
}

bool bf_eng_timers_next(const struct bf_eng_timers *t, enum bf_eng_clock clock, bf_time_us *due)
{
    bool any = false;
    for (size_t i = 0; t && i < t->n; i++) {
        if (t->v[i].clock != clock)
            continue;
        if (!any || t->v[i].next_due < *due)
            *due = t->v[i].next_due;
        any = true;
    }
    return any;
}

int bf_eng_timers_timeout_ms(const struct bf_eng_timers *t, bf_time_us now, int max_ms)
{
    bf_time_us due = BF_TIME_NONE;
    if (max_ms < 0)
        max_ms = 0;
    if (!bf_eng_timers_next(t, BF_ENG_CLOCK_WALL, &due))
        return max_ms;
    if (due <= now)   /* BF_TIME_NONE included */
        return 0;
    bf_time_us ms = (due - now + BF_US_PER_MS - 1) / BF_US_PER_MS;
    return ms < max_ms ? (int)ms : max_ms;
}

const char *bf_eng_timers_name(const struct bf_eng_timers *t, int id)
{
    const struct task *k = task_of(t, id);
    return k ? k->name : NULL;
}

unsigned long long bf_eng_timers_runs(const struct bf_eng_timers *t, int id)
{
    const struct task *k = task_of(t, id);
    return k ? k->runs : 0;
}
