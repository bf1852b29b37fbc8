/*
 * fake_host.c - the recording sensor host of fake_host.h.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "fake_host.h"

static int fh_emit(void *ctx, const struct bf_detection *d)
{
    struct fake_host *f = ctx;
    pthread_mutex_lock(&f->mu);
    int rc = 0;
    if (f->n_dets < FAKE_MAX_DETS)
        f->dets[f->n_dets++] = *d;
    else
        rc = BF_EFULL;
    pthread_cond_broadcast(&f->cv);
    pthread_mutex_unlock(&f->mu);
    return rc;
}

static void fh_fault(void *ctx, uint32_t index, enum bf_sensor_fault_kind kind, const char *detail)
{
    (void)index;
    struct fake_host *f = ctx;
    pthread_mutex_lock(&f->mu);
    if ((unsigned)kind < BF_FAULT_KIND_COUNT)
        f->faults[kind]++;
    snprintf(f->last_fault, sizeof f->last_fault, "%s: %s", bf_sensor_fault_name(kind),
             detail ? detail : "");
    pthread_cond_broadcast(&f->cv);
    pthread_mutex_unlock(&f->mu);
}

static int fh_subscribe(void *ctx, const char *filter, bf_sensor_msg_fn fn, void *state)
{
    (void)ctx, (void)filter, (void)fn, (void)state;
    return BF_ESTATE;   /* no broker here: MQTT plugins are tested against a real mosquitto */
}

static void fh_good(void *ctx, uint32_t index, bf_time_us t_us)
{
    (void)index;
    struct fake_host *f = ctx;
    pthread_mutex_lock(&f->mu);
    f->good++;
    f->last_good_t = t_us;
    pthread_cond_broadcast(&f->cv);
    pthread_mutex_unlock(&f->mu);
}

static int fh_publish(void *ctx, const char *topic, const void *payload, size_t len, int qos,
                      int retain)
{
    struct fake_host *f = ctx;
    pthread_mutex_lock(&f->mu);
    if (f->n_pubs < FAKE_MAX_PUBS) {
        struct fake_pub *p = &f->pubs[f->n_pubs++];
        snprintf(p->topic, sizeof p->topic, "%s", topic);
        size_t n = len < sizeof p->payload - 1 ? len : sizeof p->payload - 1;
        memcpy(p->payload, payload, n);
        p->payload[n] = '\0';
        p->qos = qos;
        p->retain = retain;
    }
    pthread_cond_broadcast(&f->cv);
    pthread_mutex_unlock(&f->mu);
    return 0;
}

static void fh_health(void *ctx, uint32_t index, const char *key, double value)
{
    struct fake_host *f = ctx;
    pthread_mutex_lock(&f->mu);
    size_t i = 0;
    while (i < f->n_health && !(f->health[i].index == index && strcmp(f->health[i].key, key) == 0))
        i++;
    if (i < FAKE_MAX_HEALTH) {
        if (i == f->n_health) {
            f->n_health++;
            f->health[i].index = index;
            snprintf(f->health[i].key, sizeof f->health[i].key, "%s", key);
        }
        f->health[i].value = value;
    }
    pthread_cond_broadcast(&f->cv);
    pthread_mutex_unlock(&f->mu);
}

static void fh_position(void *ctx, const struct bf_position_fix *fix)
{
    struct fake_host *f = ctx;
    pthread_mutex_lock(&f->mu);
    if (f->n_fixes < FAKE_MAX_FIXES) {
        size_t k = f->n_fixes++;
        f->fixes[k] = *fix;
        snprintf(f->fix_ids[k], sizeof f->fix_ids[k], "%s", fix->id ? fix->id : "");
        f->fixes[k].id = f->fix_ids[k];
    }
    pthread_cond_broadcast(&f->cv);
    pthread_mutex_unlock(&f->mu);
}

void fake_host_init(struct fake_host *f)
{
    memset(f, 0, sizeof *f);
    pthread_mutex_init(&f->mu, NULL);
    pthread_cond_init(&f->cv, NULL);
    f->last_good_t = BF_TIME_NONE;
    f->host = (struct bf_sensor_host){
        .abi_version = BF_SENSOR_ABI, .ctx = f, .emit = fh_emit, .fault = fh_fault,
        .subscribe = fh_subscribe, .good = fh_good, .publish = fh_publish, .health = fh_health,
        .position = fh_position,
    };
}

void fake_host_destroy(struct fake_host *f)
{
    pthread_mutex_destroy(&f->mu);
    pthread_cond_destroy(&f->cv);
}

bool fake_host_wait(struct fake_host *f, bool (*pred)(const struct fake_host *, const void *),
                    const void *arg, int timeout_ms)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += timeout_ms / 1000;
    until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&f->mu);
    bool ok;
    while (!(ok = pred(f, arg))) {
        if (pthread_cond_timedwait(&f->cv, &f->mu, &until) == ETIMEDOUT) {
            ok = pred(f, arg);
            break;
        }
    }
    pthread_mutex_unlock(&f->mu);
    return ok;
}

static size_t count_dets(const struct fake_host *f)
{
    size_t n = 0;
    for (size_t i = 0; i < f->n_dets; i++)
        n += f->dets[i].kind != BF_MEAS_SCAN;
    return n;
}

bool fake_has_dets(const struct fake_host *f, const void *arg)
{
    return count_dets(f) >= *(const size_t *)arg;
}

bool fake_has_fixes(const struct fake_host *f, const void *arg)
{
    return f->n_fixes >= *(const size_t *)arg;
}

bool fake_has_faults(const struct fake_host *f, const void *arg)
{
    size_t n = 0;
    for (int k = 0; k < BF_FAULT_KIND_COUNT; k++)
        n += f->faults[k];
    return n >= *(const size_t *)arg;
}

size_t fake_host_dets(struct fake_host *f, struct bf_detection *out, size_t max)
{
    pthread_mutex_lock(&f->mu);
    size_t n = 0;
    for (size_t i = 0; i < f->n_dets && n < max; i++)
        if (f->dets[i].kind != BF_MEAS_SCAN)
            out[n++] = f->dets[i];
    pthread_mutex_unlock(&f->mu);
    return n;
}

double fake_host_health(struct fake_host *f, uint32_t index, const char *key)
{
    pthread_mutex_lock(&f->mu);
    double v = NAN;
    for (size_t i = 0; i < f->n_health; i++)
        if (f->health[i].index == index && strcmp(f->health[i].key, key) == 0)
            v = f->health[i].value;
    pthread_mutex_unlock(&f->mu);
    return v;
}
