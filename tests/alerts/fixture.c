/*
 * fixture.c - the alerter tests' shared fixture: zones, a recording sink,
 * hand-made tracks and steps (see fixture.h).
 */
#include "fixture.h"

#include "alerts/alerts_int.h"
#include "delivery/delivery_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bf_test.h"

struct bf_geo_frame *fx_frame;
struct bf_geo_zones *fx_zones;
int fx_border = -1;
const char *const fx_sensor_ids[4] = {"radar-west", "radar-east", "ugs-1", "ugs-2"};

int fx_init(void)
{
    char err[256];
    if (bf_geo_frame_create(46.80, 8.20, "aeqd", &fx_frame, err, sizeof err) < 0) {
        fprintf(stderr, "frame: %s\n", err);
        return 1;
    }
    if (bf_geo_zones_load(bf_test_src("tests/alerts/zones.geojson"), fx_frame, NULL, &fx_zones,
                          NULL) < 0)
        return 1;
    fx_border = bf_geo_zone_find(fx_zones, "border");
    return fx_border < 0;
}

int fx_clean(void)
{
    bf_geo_zones_destroy(fx_zones);
    bf_geo_frame_destroy(fx_frame);
    fx_zones = NULL;
    fx_frame = NULL;
    return 0;
}

const char *fx_tmp_path(const char *name)
{
    static char buf[4][512];
    static int k;
    char *b = buf[k++ & 3];
    snprintf(b, 512, "%s/%s", bf_test_tmpdir(), name);
    return b;
}

/* ---- a sink that records --------------------------------------------------------------- */

bool fx_file_ends_with_line(const char *path, const char *json)
{
    /* the journal's last line, its crc32 member dropped, is json */
    size_t n = 0;
    char *buf = bf_test_read_file(path, &n);
    size_t m = strlen(json), b = n > 0 ? n - 1 : 0, plen = 0;
    while (b > 0 && buf[b - 1] != '\n')
        b--;
    bool ok = buf && n >= m + 1 && buf[n - 1] == '\n' &&
              bf_journal_line_payload(buf + b, n - 1 - b, &plen) && plen == m &&
              memcmp(buf + b, json, m) == 0;
    free(buf);
    return ok;
}

int fx_sink_publish(void *ctx, const struct bf_alert *a, const char *json, size_t len)
{
    struct fx_sink *s = ctx;
    CU_ASSERT_EQUAL(strlen(json), len);
    if (s->jn && bf_journal_append(s->jn, json, len) < 0)
        s->journal_errors++;   /* published all the same, as the engine does */
    if (s->n < FX_MAX_REC) {
        struct fx_rec *r = &s->r[s->n++];
        r->a = *a;
        snprintf(r->json, sizeof r->json, "%s", json);
        r->journal_first = s->journal ? fx_file_ends_with_line(s->journal, json) : false;
    }
    return s->fail_rc;
}

struct bf_alerter *fx_alerter(struct fx_sink *s, size_t n_sensors, const char *journal,
                              struct bf_geo_zones *zones, void (*tweak)(struct bf_alert_params *))
{
    struct bf_alert_params p;
    bf_alert_params_default(&p);
    p.journal_path = journal;
    if (tweak)
        tweak(&p);
    memset(s, 0, sizeof *s);
    uint64_t last = 0;
    if (journal)
        CU_ASSERT_EQUAL(bf_journal_open(journal, p.journal_fsync, &last, &s->jn), 0);
    struct bf_alert_sink sk = {.publish = fx_sink_publish, .ctx = s};
    struct bf_alerter *a = NULL;
    CU_ASSERT_EQUAL(bf_alerter_create(&p, "demo", zones, fx_frame, fx_sensor_ids, n_sensors, &sk,
                                      &a), 0);
    bf_alerter_continue_after(a, last);
    return a;
}

void fx_done(struct fx_sink *s, struct bf_alerter *a)
{
    bf_alerter_destroy(a);
    bf_journal_close(s->jn);
    s->jn = NULL;
}

int fx_count(const struct fx_sink *s, enum bf_alert_type t, enum bf_alert_state st)
{
    int k = 0;
    for (int i = 0; i < s->n; i++)
        k += s->r[i].a.type == t && s->r[i].a.state == st;
    return k;
}

/* ---- tracks and steps --------------------------------------------------------------------- */

void fx_hist_push(struct bf_track *t, bf_time_us t_us, double e, double n)
{
    struct bf_track_point p = {.t_us = t_us, .e_m = e, .n_m = n};
    if (t->hist_len < BF_TRACK_HIST) {
        t->hist[(t->hist_head + t->hist_len) % BF_TRACK_HIST] = p;
        t->hist_len++;
    } else {
        t->hist[t->hist_head] = p;
        t->hist_head = (uint8_t)((t->hist_head + 1) % BF_TRACK_HIST);
    }
}

struct bf_detection fx_ugs_trip(uint32_t si, bf_time_us t, double e, double n, double radius,
                                const float *lik)
{
    struct bf_detection d;
    memset(&d, 0, sizeof d);
    d.t_us = t;
    d.sensor_idx = si;
    d.kind = BF_MEAS_PRESENCE;
    d.z[0] = radius;
    d.sensor_e_m = e;
    d.sensor_n_m = n;
    if (lik) {
        d.flags = BF_DET_F_CLASS;
        memcpy(d.class_lik, lik, sizeof d.class_lik);
    }
    return d;
}

void fx_track_init(struct bf_track *t, uint32_t id, bf_time_us now, double e, double n, double ve,
                   double vn)
{
    memset(t, 0, sizeof *t);
    t->id = id;
    t->status = BF_TRACK_CONFIRMED;
    t->hit_bits = 0xff;
    t->n_hits = 8;
    t->t_us = now;
    t->first_us = now - S(10);
    t->last_hit_us = now;
    t->confirmed_us = now - S(5);
    t->x[0] = e;
    t->x[1] = n;
    t->x[2] = ve;
    t->x[3] = vn;
    for (int i = 0; i < 4; i++)
        t->P[i * 5] = 25;
    t->sensors = 1;
    t->class_p[BF_CLASS_PERSON] = 0.7f;
    t->class_p[BF_CLASS_ANIMAL] = 0.3f;
    fx_hist_push(t, now - S(1), e - ve, n - vn);
    fx_hist_push(t, now, e, n);
}

void fx_track_move(struct bf_track *t, double dt_s)
{
    t->t_us += S(dt_s);
    t->x[0] += t->x[2] * dt_s;
    t->x[1] += t->x[3] * dt_s;
    t->n_hits++;
    t->last_hit_us = t->t_us;
    fx_hist_push(t, t->t_us, t->x[0], t->x[1]);
}

struct bf_geo_step fx_step(const struct bf_track *t, uint64_t inside)
{
    struct bf_geo_step s;
    memset(&s, 0, sizeof s);
    double e = t->x[0], ve = t->x[2];
    s.inside = inside;
    s.nearest_line = fx_border;
    s.dist_to_line_m = fabs(e);
    s.line_side = e > 0 ? 1 : e < 0 ? -1 : 0;
    s.time_to_line_s = (e < 0 && ve > 0) ? -e / ve : (e > 0 && ve < 0) ? e / -ve : INFINITY;
    return s;
}

void fx_add_crossing(struct bf_geo_step *s, int dir, double frac)
{
    struct bf_geo_crossing *c = &s->crossings[s->n_crossings++];
    c->zone = (uint16_t)fx_border;
    c->dir = (int8_t)dir;
    c->e_m = 0;
    c->frac = frac;
}
