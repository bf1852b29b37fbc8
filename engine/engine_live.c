/*
 * engine_live.c - the retained snapshot of the live alerts on alerts/live
 * (docs/alerts.md, "Topics"); live engines only.
 *
 * Alerts are not retained on alerts (each message is one change), so a
 * display that connects late would see an alert only at its next change.
 * The live snapshot fixes that: the alerter's sink hands it every change
 * (bf_eng_live_note), it keeps the latest JSON of every live alert (NEW,
 * UPDATED, ACKNOWLEDGED, LOST; a RESOLVED or FALSE_ALARM drops it), and the
 * engine's "live snapshot" task (once a second, engine/timers.h) publishes
 * them together, retained, when something changed - and at start, empty,
 * which also replaces the snapshot a previous run left.  The snapshot is a
 * convenience for displays; the journal and alerts stay the record.
 *
 * Invariants (engine thread only):
 *  (1) n <= cap; v[0 .. n) hold distinct ids, each the latest change noted
 *      of an alert whose state is live;
 *  (2) dirty is set whenever (1)'s set or one of its JSONs changed after the
 *      last snapshot was published.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "core/bf_error.h"
#include "core/bf_log.h"
#include "engine/engine_int.h"

#define LIVE_MAX 500                    /* alerts in one snapshot; the rest are counted */

/* One live alert: its latest change, as published. */
struct live_alert {
    char id[BF_ALERT_ID_LEN];
    uint64_t seq;
    enum bf_severity severity;
    bf_time_us first_us;
    char *json;                         /* NUL-terminated, owned; cap bytes */
    size_t len, cap;
};

struct bf_eng_live {
    const char *site;
    struct bf_mqtt *out;
    char topic[160];                    /* borderfuse/<site>/alerts/live */
    struct live_alert *v;               /* cap entries, n in use, in no order */
    size_t n, cap;
    const struct live_alert **order;    /* cap: the snapshot's order */
    char *buf;                          /* the snapshot being formatted, buf_cap bytes */
    size_t buf_cap;
    bool dirty;                         /* changed since the last snapshot published */
    uint64_t published, failed, nomem, truncated;
};

static bool live_state(enum bf_alert_state st)
{
    return st == BF_ALERT_NEW || st == BF_ALERT_UPDATED || st == BF_ALERT_ACKNOWLEDGED ||
           st == BF_ALERT_LOST;   /* LOST stays on the map until resolved or reacquired */
}

void bf_eng_live_note(struct bf_eng_live *l, const struct bf_alert *a, const char *json,
                      size_t len)
{
    if (!l)
        return;
    size_t i = 0;
    while (i < l->n && strcmp(l->v[i].id, a->id) != 0)
        i++;
    if (!live_state(a->state)) {
        if (i < l->n) {   /* swap the last one in; the order is made per snapshot */
            struct live_alert gone = l->v[i];
            l->v[i] = l->v[--l->n];
            l->v[l->n] = gone;   /* keeps its buffer for the next alert */
            l->dirty = true;
        }
        return;
    }
    if (i == l->n && l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 64;
        struct live_alert *v = realloc(l->v, cap * sizeof *v);
        if (v)
            l->v = v;
        const struct live_alert **o = v ? realloc(l->order, cap * sizeof *o) : NULL;
        if (o)
            l->order = o;
        if (!v || !o)
            goto out_nomem;
        memset(v + l->cap, 0, (cap - l->cap) * sizeof *v);
        l->cap = cap;
    }
    struct live_alert *la = &l->v[i];
    if (len + 1 > la->cap) {
        size_t cap = len + 1 > 2 * la->cap ? len + 1 : 2 * la->cap;
        char *j = realloc(la->json, cap);
        if (!j)
            goto out_nomem;
        la->json = j;
        la->cap = cap;
    }
    memcpy(la->json, json, len);
    la->json[len] = '\0';
    la->len = len;
    snprintf(la->id, sizeof la->id, "%s", a->id);
    la->seq = a->seq;
    la->severity = a->severity;
    la->first_us = a->first_us;
    if (i == l->n)
        l->n++;
    l->dirty = true;
    return;

out_nomem:
    if (l->nomem++ == 0)
        BF_LOGE(ENGINE_LOG, "out of memory: alert %s is missing from %s (the alert itself is "
                "journaled and published)", a->id, l->topic);
}

/* The snapshot's order: most severe first, then the oldest, then by id (a total order). */
static int live_cmp(const void *pa, const void *pb)
{
    const struct live_alert *a = *(const struct live_alert *const *)pa;
    const struct live_alert *b = *(const struct live_alert *const *)pb;
    if (a->severity != b->severity)
        return a->severity > b->severity ? -1 : 1;
    if (a->first_us != b->first_us)
        return a->first_us < b->first_us ? -1 : 1;
    return strcmp(a->id, b->id);
}

/*
 * {"site", "time" (wall), "seq" (the highest seq included, 0 when none),
 *  "alerts": [the alerts' JSON, verbatim, in live_cmp order], "left_out": n}
 */
static void publish(struct bf_eng_live *l)
{
    size_t n = l->n < LIVE_MAX ? l->n : LIVE_MAX;
    for (size_t i = 0; i < l->n; i++)
        l->order[i] = &l->v[i];
    if (l->n > 1)
        qsort(l->order, l->n, sizeof *l->order, live_cmp);
    uint64_t seq = 0;
    size_t need = 1024;   /* the head and the tail */
    for (size_t i = 0; i < n; i++) {
        need += l->order[i]->len + 1;
        if (l->order[i]->seq > seq)
            seq = l->order[i]->seq;
    }
    /* the head through cJSON: the site is written as JSON wants it */
    char ts[BF_TIME_ISO_LEN];
    bf_time_format_iso(bf_clock_realtime(NULL), ts, sizeof ts);
    cJSON *head = cJSON_CreateObject();
    cJSON_AddStringToObject(head, "site", l->site);
    cJSON_AddStringToObject(head, "time", ts);
    cJSON_AddNumberToObject(head, "seq", (double)seq);
    char *htxt = cJSON_PrintUnformatted(head);
    cJSON_Delete(head);
    size_t hlen = htxt ? strlen(htxt) : 0;
    need += hlen;
    if (htxt && need > l->buf_cap) {
        char *b = realloc(l->buf, need);
        if (b) {
            l->buf = b;
            l->buf_cap = need;
        }
    }
    if (!htxt || need > l->buf_cap) {
        free(htxt);
        if (l->nomem++ == 0)
            BF_LOGE(ENGINE_LOG, "out of memory: %s not published", l->topic);
        return;   /* still dirty: tried again in a second */
    }
    char *p = l->buf;
    memcpy(p, htxt, hlen - 1);   /* without its closing brace */
    p += hlen - 1;
    free(htxt);
    p += sprintf(p, ",\"alerts\":[");
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            *p++ = ',';
        memcpy(p, l->order[i]->json, l->order[i]->len);
        p += l->order[i]->len;
    }
    p += sprintf(p, "],\"left_out\":%zu}", l->n - n);
    int rc = bf_mqtt_publish(l->out, l->topic, l->buf, (size_t)(p - l->buf), 1, true);
    if (rc < 0) {
        uint64_t f = ++l->failed;
        if ((f & (f - 1)) == 0)   /* the 1st, 2nd, 4th, ... failure */
            BF_LOGW(ENGINE_LOG, "%s not published (%s; %" PRIu64 " so far): sent again in a "
                    "second", l->topic, bf_strerror(rc), f);
        return;   /* still dirty */
    }
    l->published++;
    l->dirty = false;
    uint64_t k = n < l->n ? ++l->truncated : 0;
    if (k > 0 && (k & (k - 1)) == 0)   /* the 1st, 2nd, 4th, ... cut snapshot */
        BF_LOGW(ENGINE_LOG, "%s holds the first %d of %zu live alerts (\"left_out\": %zu)",
                l->topic, LIVE_MAX, l->n, l->n - n);
}

int bf_eng_live_create(const char *site, struct bf_mqtt *out, struct bf_eng_live **live)
{
    *live = NULL;
    struct bf_eng_live *l = calloc(1, sizeof *l);
    if (!l)
        return BF_ENOMEM;
    l->site = site;
    l->out = out;
    snprintf(l->topic, sizeof l->topic, "borderfuse/%s/alerts/live", site);
    publish(l);   /* empty: replaces what a previous run left */
    *live = l;
    return 0;
}

void bf_eng_live_step(struct bf_eng_live *l)
{
    if (l && l->dirty)
        publish(l);
}

void bf_eng_live_destroy(struct bf_eng_live *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->cap; i++)
        free(l->v[i].json);
    free(l->v);
    free(l->order);
    free(l->buf);
    free(l);
}
