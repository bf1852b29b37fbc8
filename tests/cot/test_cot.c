/*
 * test_cot.c - Cursor-on-Target: the formatters checked by parsing their
 * output as XML (GLib's GMarkup) against the mapping of docs/cot.md, the
 * escaping of names from configuration, and the sender over real loopback
 * sockets (UDP unicast and multicast, TCP with a server that goes away).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <glib.h>

#include "alerts/alerts_int.h"
#include "cot/cot.h"
#include "bf_test.h"
#include "core/bf_error.h"

#define SITE "it-site"
#define T0 INT64_C(1772330400000000)   /* 2026-03-01T02:00:00Z */

/* ---- a parsed event: every element with its attributes and text ------------ */

#define MAX_EL 16

struct el {
    char name[32];
    GHashTable *attrs;   /* name -> value (owned) */
    GString *text;
};

struct doc {
    struct el el[MAX_EL];
    int n;
    int depth;
    int stack[MAX_EL];
};

static void on_start(GMarkupParseContext *ctx, const gchar *name, const gchar **an,
                     const gchar **av, gpointer data, GError **error)
{
    (void)ctx;
    (void)error;
    struct doc *d = data;
    if (d->n >= MAX_EL)
        return;
    struct el *e = &d->el[d->n];
    snprintf(e->name, sizeof e->name, "%s", name);
    e->attrs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    e->text = g_string_new("");
    for (int i = 0; an[i]; i++)
        g_hash_table_insert(e->attrs, g_strdup(an[i]), g_strdup(av[i]));
    d->stack[d->depth++] = d->n++;
}

static void on_end(GMarkupParseContext *ctx, const gchar *name, gpointer data, GError **error)
{
    (void)ctx;
    (void)name;
    (void)error;
    struct doc *d = data;
    if (d->depth > 0)
        d->depth--;
}

static void on_text(GMarkupParseContext *ctx, const gchar *text, gsize len, gpointer data,
                    GError **error)
{
    (void)ctx;
    (void)error;
    struct doc *d = data;
    if (d->depth > 0)
        g_string_append_len(d->el[d->stack[d->depth - 1]].text, text, (gssize)len);
}

static const GMarkupParser parser = {.start_element = on_start, .end_element = on_end,
                                     .text = on_text};

static void doc_free(struct doc *d)
{
    for (int i = 0; i < d->n; i++) {
        g_hash_table_destroy(d->el[i].attrs);
        g_string_free(d->el[i].text, TRUE);
    }
    d->n = 0;
}

/* Parse xml; false (and the error printed) if it is not well-formed. */
static bool parse(const char *xml, size_t len, struct doc *d)
{
    memset(d, 0, sizeof *d);
    GMarkupParseContext *ctx = g_markup_parse_context_new(&parser, 0, d, NULL);
    GError *err = NULL;
    bool ok = g_markup_parse_context_parse(ctx, xml, (gssize)len, &err) &&
              g_markup_parse_context_end_parse(ctx, &err);
    if (!ok) {
        fprintf(stderr, "\n  XML error: %s\n  in: %.*s\n", err ? err->message : "?", (int)len, xml);
        g_clear_error(&err);
    }
    g_markup_parse_context_free(ctx);
    return ok;
}

static const struct el *find(const struct doc *d, const char *name)
{
    for (int i = 0; i < d->n; i++)
        if (strcmp(d->el[i].name, name) == 0)
            return &d->el[i];
    return NULL;
}

/* The attribute, or "" when the element or the attribute is absent. */
static const char *attr(const struct doc *d, const char *el, const char *name)
{
    const struct el *e = find(d, el);
    const char *v = e ? g_hash_table_lookup(e->attrs, name) : NULL;
    return v ? v : "";
}

static double attr_num(const struct doc *d, const char *el, const char *name)
{
    const char *v = attr(d, el, name);
    char *end;
    double x = strtod(v, &end);
    return (*v && *end == '\0') ? x : NAN;
}

static bf_time_us attr_time(const struct doc *d, const char *name)
{
    bf_time_us t = BF_TIME_NONE;
    if (bf_time_parse_iso(attr(d, "event", name), &t) < 0)
        return BF_TIME_NONE;
    return t;
}

/* ---- fixtures ------------------------------------------------------------ */

static struct bf_geo_frame *frame;
static const char *const sensor_ids[] = {"radar-a", "ugs-1", "cam&1"};

static int setup(void)
{
    char err[256];
    return bf_geo_frame_create(46.80, 8.20, "aeqd", &frame, err, sizeof err) == 0 ? 0 : -1;
}

static int teardown(void)
{
    bf_geo_frame_destroy(frame);
    return 0;
}

/* A confirmed track of class cls at (e, n) moving (ve, vn), P diag(var_e, var_n, 1, 1). */
static void make_track(struct bf_track *t, enum bf_class cls, double e, double n, double ve,
                       double vn, double var_e, double var_n)
{
    memset(t, 0, sizeof *t);
    t->id = 17;
    t->status = BF_TRACK_CONFIRMED;
    t->t_us = T0 + 1234567;   /* not a whole millisecond: the ISO text truncates */
    t->first_us = T0;
    t->x[0] = e;
    t->x[1] = n;
    t->x[2] = ve;
    t->x[3] = vn;
    t->P[0] = var_e;
    t->P[5] = var_n;
    t->P[10] = 1;
    t->P[15] = 1;
    t->n_hits = 12;
    t->hit_bits = 0xfff;
    t->sensors = 0x3;   /* radar-a, ugs-1 */
    for (int c = 0; c < BF_CLASS_COUNT; c++)
        t->class_p[c] = c == (int)cls ? 0.8f : 0.2f / (BF_CLASS_COUNT - 1);
}

/* ---- tracks ---------------------------------------------------------------- */

static void test_track_mapping(void)
{
    struct bf_cot_params p;
    bf_cot_params_default(&p);
    struct bf_track t;
    make_track(&t, BF_CLASS_PERSON, 120.0, -340.0, 1.0, -1.0, 16.0, 9.0);
    char buf[BF_COT_EVENT_MAX];
    int n = bf_cot_track(&t, SITE, frame, sensor_ids, 3, &p, buf, sizeof buf);
    CU_ASSERT_TRUE_FATAL(n > 0);
    CU_ASSERT_EQUAL((size_t)n, strlen(buf));
    struct doc d;
    CU_ASSERT_TRUE_FATAL(parse(buf, (size_t)n, &d));
    CU_ASSERT_STRING_EQUAL(d.el[0].name, "event");
    CU_ASSERT_STRING_EQUAL(attr(&d, "event", "version"), "2.0");
    CU_ASSERT_STRING_EQUAL(attr(&d, "event", "uid"), "borderfuse." SITE ".track.17");
    CU_ASSERT_STRING_EQUAL(attr(&d, "event", "type"), "a-u-G");
    CU_ASSERT_STRING_EQUAL(attr(&d, "event", "how"), "m-f");
    CU_ASSERT_STRING_EQUAL(attr(&d, "event", "opex"), "");   /* not exercise: no opex */
    bf_time_us tm = attr_time(&d, "time"), st = attr_time(&d, "start"), sl = attr_time(&d, "stale");
    CU_ASSERT_EQUAL(tm, T0 + 1234000);                       /* milliseconds */
    CU_ASSERT_EQUAL(st, tm);
    CU_ASSERT_TRUE(tm < sl);
    CU_ASSERT_EQUAL(sl - tm, bf_time_from_s(BF_COT_STALE_S_DEFAULT));
    double lat, lon;
    CU_ASSERT_EQUAL_FATAL(bf_geo_to_wgs84(frame, 120.0, -340.0, &lat, &lon), 0);
    BF_ASSERT_NEAR(attr_num(&d, "point", "lat"), lat, 1e-7);
    BF_ASSERT_NEAR(attr_num(&d, "point", "lon"), lon, 1e-7);
    CU_ASSERT_TRUE(lat < 46.80 && lon > 8.20);
    BF_ASSERT_NEAR(attr_num(&d, "point", "ce"), 2.1459660 * 4.0, 0.05);   /* sigma_max 4 m */
    CU_ASSERT_STRING_EQUAL(attr(&d, "point", "hae"), "9999999.0");
    CU_ASSERT_STRING_EQUAL(attr(&d, "point", "le"), "9999999.0");
    /* south-east at sqrt(2) m/s: course 135 degrees true (aeqd: no convergence at the origin
     * meridian, a little at 120 m east) */
    BF_ASSERT_NEAR(attr_num(&d, "track", "course"), 135.0, 0.1);
    BF_ASSERT_NEAR(attr_num(&d, "track", "speed"), sqrt(2.0), 0.005);
    CU_ASSERT_STRING_EQUAL(attr(&d, "contact", "callsign"), "T17 person");
    const struct el *rm = find(&d, "remarks");
    CU_ASSERT_PTR_NOT_NULL_FATAL(rm);
    CU_ASSERT_PTR_NOT_NULL(strstr(rm->text->str, "person 80%"));
    CU_ASSERT_PTR_NOT_NULL(strstr(rm->text->str, "seen by radar-a,ugs-1"));
    struct bf_alert_conf conf;
    bf_alert_confidence(&t, &conf);
    char want[64];
    snprintf(want, sizeof want, "confidence %d%%", (int)lround(conf.confidence * 100));
    CU_ASSERT_PTR_NOT_NULL(strstr(rm->text->str, want));
    CU_ASSERT_STRING_EQUAL(attr(&d, "__borderfuse", "kind"), "track");
    CU_ASSERT_STRING_EQUAL(attr(&d, "__borderfuse", "site"), SITE);
    CU_ASSERT_STRING_EQUAL(attr(&d, "__borderfuse", "track"), "17");
    CU_ASSERT_STRING_EQUAL(attr(&d, "__borderfuse", "status"), "confirmed");
    CU_ASSERT_STRING_EQUAL(attr(&d, "__borderfuse", "class"), "person");
    BF_ASSERT_NEAR(attr_num(&d, "__borderfuse", "class_p"), 0.8, 1e-3);
    BF_ASSERT_NEAR(attr_num(&d, "__borderfuse", "confidence"), conf.confidence, 1e-3);
    CU_ASSERT_STRING_EQUAL(attr(&d, "__borderfuse", "hits"), "12");
    CU_ASSERT_STRING_EQUAL(attr(&d, "__borderfuse", "sensors"), "radar-a,ugs-1");
    CU_ASSERT_STRING_EQUAL(attr(&d, "__borderfuse", "exercise"), "false");
    CU_ASSERT_PTR_NOT_NULL(find(&d, "detail"));
    doc_free(&d);
}

static void test_track_types_and_exercise(void)
{
    static const struct {
        enum bf_class cls;
        const char *type;
    } table[] = {
        {BF_CLASS_PERSON, "a-u-G"},     {BF_CLASS_VEHICLE, "a-u-G-E-V"},
        {BF_CLASS_ANIMAL, "a-u-G"},     {BF_CLASS_VESSEL, "a-u-S"},
        {BF_CLASS_AIRCRAFT, "a-u-A"},   {BF_CLASS_UNKNOWN, "a-u-G"},
    };
    struct bf_cot_params p;
    bf_cot_params_default(&p);
    p.stale_s = 7.5;
    char buf[BF_COT_EVENT_MAX];
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        CU_ASSERT_STRING_EQUAL(bf_cot_track_type(table[i].cls), table[i].type);
        struct bf_track t;
        make_track(&t, table[i].cls, -50, 75, 0, 0, 4, 4);
        t.status = i % 2 ? BF_TRACK_COASTING : BF_TRACK_CONFIRMED;
        t.flags = BF_DET_F_EXERCISE;
        int n = bf_cot_track(&t, SITE, frame, sensor_ids, 3, &p, buf, sizeof buf);
        CU_ASSERT_TRUE_FATAL(n > 0);
        struct doc d;
        CU_ASSERT_TRUE_FATAL(parse(buf, (size_t)n, &d));
        CU_ASSERT_STRING_EQUAL(attr(&d, "event", "type"), table[i].type);
        CU_ASSERT_STRING_EQUAL(attr(&d, "event", "opex"), "e");
        CU_ASSERT_STRING_EQUAL(attr(&d, "__borderfuse", "exercise"), "true");
        CU_ASSERT_STRING_EQUAL(attr(&d, "__borderfuse", "status"),
                               i % 2 ? "coasting" : "confirmed");
        CU_ASSERT_EQUAL(attr_time(&d, "stale") - attr_time(&d, "time"), 7500000);
        CU_ASSERT_PTR_NOT_NULL(strstr(find(&d, "remarks")->text->str, "EXERCISE"));
        CU_ASSERT_STRING_EQUAL(attr(&d, "__borderfuse", "class"), bf_class_names[table[i].cls]);
        doc_free(&d);
    }
    /* tentative and deleted tracks are not sent; a short buffer is an error, not a cut event */
    struct bf_track t;
    make_track(&t, BF_CLASS_PERSON, 0, 0, 0, 0, 1, 1);
    t.status = BF_TRACK_TENTATIVE;
    CU_ASSERT_EQUAL(bf_cot_track(&t, SITE, frame, sensor_ids, 3, &p, buf, sizeof buf), BF_EINVAL);
    t.status = BF_TRACK_DELETED;
    CU_ASSERT_EQUAL(bf_cot_track(&t, SITE, frame, sensor_ids, 3, &p, buf, sizeof buf), BF_EINVAL);
    t.status = BF_TRACK_CONFIRMED;
    CU_ASSERT_EQUAL(bf_cot_track(&t, SITE, frame, sensor_ids, 3, &p, buf, 200), BF_ERANGE);
    CU_ASSERT_EQUAL(buf[0], '\0');
    /* an unknown covariance gives CoT's "unknown" circular error */
    t.P[0] = NAN;
    int n = bf_cot_track(&t, SITE, frame, sensor_ids, 3, &p, buf, sizeof buf);
    struct doc d;
    CU_ASSERT_TRUE_FATAL(n > 0 && parse(buf, (size_t)n, &d));
    CU_ASSERT_STRING_EQUAL(attr(&d, "point", "ce"), "9999999.0");
    doc_free(&d);
}

/* A figure, printed (never asserted on time): formatting cost per track event. */
static void test_track_cost(void)
{
    struct bf_cot_params p;
    bf_cot_params_default(&p);
    struct bf_track t;
    make_track(&t, BF_CLASS_VEHICLE, 1500, -2500, 8, 3, 25, 16);
    char buf[BF_COT_EVENT_MAX];
    enum { N = 20000 };
    size_t bytes = 0;
    bf_time_us t0 = bf_clock_monotonic(NULL);
    for (int i = 0; i < N; i++) {
        t.id = (uint32_t)i;
        int n = bf_cot_track(&t, SITE, frame, sensor_ids, 3, &p, buf, sizeof buf);
        CU_ASSERT_TRUE_FATAL(n > 0);
        bytes += (size_t)n;
    }
    double us = (double)(bf_clock_monotonic(NULL) - t0) / N;
    printf("\n  %d track events formatted: %.2f us each, %zu bytes each\n", N, us, bytes / N);
}

/* ---- alerts ---------------------------------------------------------------- */

static void make_alert(struct bf_alert *a)
{
    memset(a, 0, sizeof *a);
    snprintf(a->id, sizeof a->id, "6f1c2e8a-9b7d-5053-a1f2-e3d4c5b6a798");
    snprintf(a->episode, sizeof a->episode, "%s", a->id);
    a->seq = 42;
    a->type = BF_ALERT_INCURSION;
    a->severity = BF_SEV_HIGH;
    a->state = BF_ALERT_NEW;
    a->track_id = 17;
    a->zone_idx = 0;
    snprintf(a->zone_id, sizeof a->zone_id, "border");
    snprintf(a->zone_name, sizeof a->zone_name, "A&B <\"x\">");
    a->zone_kind = BF_ZONE_BORDER_LINE;
    a->first_us = T0;
    a->last_us = T0 + 5000000;
    a->lat_deg = 46.7991234;
    a->lon_deg = 8.1700001;
    a->cls = BF_CLASS_PERSON;
    a->class_p = 0.8;
    a->confidence = 0.812;
    a->time_to_line_s = INFINITY;
    a->dist_to_line_m = NAN;
    a->crossing_us = T0 + 2000000;
    a->sensors = 0x5;   /* radar-a, cam&1 */
    a->n_hits = 9;
    a->sensor_idx = -1;
    a->dwell_s = NAN;
    a->ack_us = BF_TIME_NONE;
    a->intercept_lat = a->intercept_lon = NAN;
    a->camera_idx = -1;
}

static void test_alert_mapping(void)
{
    struct bf_cot_params p;
    bf_cot_params_default(&p);
    p.alert_stale_s = 120;
    struct bf_alert a;
    make_alert(&a);
    char buf[BF_COT_EVENT_MAX];
    int n = bf_cot_alert(&a, SITE, sensor_ids, 3, &p, buf, sizeof buf);
    CU_ASSERT_TRUE_FATAL(n > 0);
    CU_ASSERT_PTR_NULL(strstr(buf, "A&B"));   /* escaped on the wire */
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "A&amp;B &lt;&quot;x&quot;&gt;"));
    struct doc d;
    CU_ASSERT_TRUE_FATAL(parse(buf, (size_t)n, &d));
    CU_ASSERT_STRING_EQUAL(attr(&d, "event", "version"), "2.0");
    CU_ASSERT_STRING_EQUAL(attr(&d, "event", "uid"), a.id);
    CU_ASSERT_STRING_EQUAL(attr(&d, "event", "type"), "b-l");
    CU_ASSERT_STRING_EQUAL(attr(&d, "event", "how"), "m-f");
    CU_ASSERT_STRING_EQUAL(attr(&d, "event", "opex"), "");
    bf_time_us tm = attr_time(&d, "time"), sl = attr_time(&d, "stale");
    CU_ASSERT_EQUAL(tm, a.last_us);
    CU_ASSERT_EQUAL(attr_time(&d, "start"), a.last_us);
    CU_ASSERT_TRUE(tm < sl);
    CU_ASSERT_EQUAL(sl - tm, bf_time_from_s(120));
    BF_ASSERT_NEAR(attr_num(&d, "point", "lat"), 46.7991234, 1e-7);
    BF_ASSERT_NEAR(attr_num(&d, "point", "lon"), 8.1700001, 1e-7);
    CU_ASSERT_STRING_EQUAL(attr(&d, "point", "ce"), "9999999.0");
    CU_ASSERT_STRING_EQUAL(attr(&d, "contact", "callsign"), "INCURSION T17 high NEW");
    CU_ASSERT_STRING_EQUAL(attr(&d, "link", "uid"), "borderfuse." SITE ".track.17");
    CU_ASSERT_STRING_EQUAL(attr(&d, "link", "type"), "a-u-G");
    CU_ASSERT_STRING_EQUAL(attr(&d, "link", "relation"), "p-p");
    char expl[2048];
    CU_ASSERT_TRUE(bf_alert_explain(&a, sensor_ids, 3, expl, sizeof expl) > 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(expl, "A&B <\"x\">"));
    const struct el *rm = find(&d, "remarks");
    CU_ASSERT_PTR_NOT_NULL_FATAL(rm);
    char want[2300];
    snprintf(want, sizeof want, "INCURSION NEW (high): %s", expl);
    CU_ASSERT_STRING_EQUAL(rm->text->str, want);
    CU_ASSERT_PTR_NOT_NULL(strstr(rm->text->str, "crossed A&B <\"x\"> onto our side"));
    CU_ASSERT_PTR_NOT_NULL(strstr(rm->text->str, "radar-a, cam&1"));
    CU_ASSERT_STRING_EQUAL(attr(&d, "__borderfuse", "kind"), "alert");
    CU_ASSERT_STRING_EQUAL(attr(&d, "__borderfuse", "id"), a.id);
    CU_ASSERT_STRING_EQUAL(attr(&d, "__borderfuse", "seq"), "42");
    CU_ASSERT_STRING_EQUAL(attr(&d, "__borderfuse", "alert_type"), "INCURSION");
    CU_ASSERT_STRING_EQUAL(attr(&d, "__borderfuse", "state"), "NEW");
    CU_ASSERT_STRING_EQUAL(attr(&d, "__borderfuse", "severity"), "high");
    CU_ASSERT_STRING_EQUAL(attr(&d, "__borderfuse", "track"), "17");
    CU_ASSERT_STRING_EQUAL(attr(&d, "__borderfuse", "zone_id"), "border");
    CU_ASSERT_STRING_EQUAL(attr(&d, "__borderfuse", "zone_name"), "A&B <\"x\">");
    CU_ASSERT_STRING_EQUAL(attr(&d, "__borderfuse", "episode"), a.id);
    CU_ASSERT_STRING_EQUAL(attr(&d, "__borderfuse", "sensors"), "radar-a,cam&1");
    CU_ASSERT_STRING_EQUAL(attr(&d, "__borderfuse", "confidence"), "0.812");
    CU_ASSERT_STRING_EQUAL(attr(&d, "__borderfuse", "exercise"), "false");
    doc_free(&d);

    /* resolved, exercise, another CoT type: fades after the track stale time, opex="e" */
    a.state = BF_ALERT_RESOLVED;
    a.exercise = true;
    snprintf(p.alert_type, sizeof p.alert_type, "b-m-p-s-m");
    n = bf_cot_alert(&a, SITE, sensor_ids, 3, &p, buf, sizeof buf);
    CU_ASSERT_TRUE_FATAL(n > 0 && parse(buf, (size_t)n, &d));
    CU_ASSERT_STRING_EQUAL(attr(&d, "event", "type"), "b-m-p-s-m");
    CU_ASSERT_STRING_EQUAL(attr(&d, "event", "opex"), "e");
    CU_ASSERT_EQUAL(attr_time(&d, "stale") - attr_time(&d, "time"),
                    bf_time_from_s(BF_COT_STALE_S_DEFAULT));
    CU_ASSERT_STRING_EQUAL(attr(&d, "__borderfuse", "state"), "RESOLVED");
    CU_ASSERT_PTR_NOT_NULL(strstr(find(&d, "remarks")->text->str, "EXERCISE. INCURSION RESOLVED"));
    doc_free(&d);

    /* SENSOR_FAULT, an INCURSION of ground sensors alone (track_id 0), UGS_TRIGGER: no track,
     * no link */
    const enum bf_alert_type trackless[3] = {BF_ALERT_SENSOR_FAULT, BF_ALERT_INCURSION,
                                             BF_ALERT_UGS_TRIGGER};
    const char *callsign[3] = {"SENSOR_FAULT high NEW", "INCURSION high NEW", "UGS_TRIGGER high NEW"};
    for (int k = 0; k < 3; k++) {
        make_alert(&a);
        a.type = trackless[k];
        a.track_id = 0;
        a.zone_idx = k ? 0 : -1;
        a.sensor_idx = 2;
        snprintf(a.reason, sizeof a.reason, k ? "ugs-a at 02:00:01Z, then ugs-b at 02:00:05Z"
                                              : "no heartbeat <3 s>");
        n = bf_cot_alert(&a, SITE, sensor_ids, 3, &p, buf, sizeof buf);
        CU_ASSERT_TRUE_FATAL(n > 0 && parse(buf, (size_t)n, &d));
        CU_ASSERT_PTR_NULL(find(&d, "link"));
        CU_ASSERT_STRING_EQUAL(attr(&d, "__borderfuse", "track"), "");
        CU_ASSERT_STRING_EQUAL(attr(&d, "contact", "callsign"), callsign[k]);
        if (k == 0) {
            CU_ASSERT_PTR_NOT_NULL(strstr(find(&d, "remarks")->text->str, "Sensor cam&1 is silent"));
            CU_ASSERT_PTR_NOT_NULL(strstr(find(&d, "remarks")->text->str, "(no heartbeat <3 s>)"));
        } else if (k == 1) {
            CU_ASSERT_PTR_NOT_NULL(strstr(find(&d, "remarks")->text->str, "no track yet"));
        }
        doc_free(&d);
    }

    /* no id or no time: refused */
    a.id[0] = '\0';
    CU_ASSERT_EQUAL(bf_cot_alert(&a, SITE, sensor_ids, 3, &p, buf, sizeof buf), BF_EINVAL);
    CU_ASSERT_EQUAL(bf_cot_alert(&a, SITE, sensor_ids, 3, &p, buf, 0), BF_EINVAL);
}

static void test_unit_mapping(void)
{
    struct bf_cot_params p;
    bf_cot_params_default(&p);
    char buf[BF_COT_EVENT_MAX];
    int n = bf_cot_unit(SITE, "patrol-1 <a&b>", 46.7912345, 8.1812345, T0 + 3000, &p, buf,
                        sizeof buf);
    CU_ASSERT_TRUE_FATAL(n > 0);
    struct doc d;
    CU_ASSERT_TRUE_FATAL(parse(buf, (size_t)n, &d));
    CU_ASSERT_STRING_EQUAL(attr(&d, "event", "version"), "2.0");
    CU_ASSERT_STRING_EQUAL(attr(&d, "event", "uid"), "borderfuse." SITE ".unit.patrol-1 <a&b>");
    CU_ASSERT_STRING_EQUAL(attr(&d, "event", "type"), "a-f-G-U-C");
    CU_ASSERT_STRING_EQUAL(attr(&d, "event", "how"), "m-g");
    CU_ASSERT_STRING_EQUAL(attr(&d, "event", "opex"), "");
    CU_ASSERT_EQUAL(attr_time(&d, "time"), T0 + 3000 - 3000 % 1000);
    CU_ASSERT_EQUAL(attr_time(&d, "stale") - attr_time(&d, "time"),
                    bf_time_from_s(BF_COT_STALE_S_DEFAULT));
    BF_ASSERT_NEAR(attr_num(&d, "point", "lat"), 46.7912345, 1e-7);
    BF_ASSERT_NEAR(attr_num(&d, "point", "lon"), 8.1812345, 1e-7);
    CU_ASSERT_STRING_EQUAL(attr(&d, "contact", "callsign"), "patrol-1 <a&b>");
    CU_ASSERT_STRING_EQUAL(attr(&d, "__borderfuse", "kind"), "unit");
    CU_ASSERT_STRING_EQUAL(attr(&d, "__borderfuse", "unit"), "patrol-1 <a&b>");
    doc_free(&d);
    CU_ASSERT_EQUAL(bf_cot_unit(SITE, "", 46.8, 8.2, T0, &p, buf, sizeof buf), BF_EINVAL);
    CU_ASSERT_EQUAL(bf_cot_unit(SITE, "u", 46.8, 8.2, BF_TIME_NONE, &p, buf, sizeof buf), BF_EINVAL);
    CU_ASSERT_EQUAL(bf_cot_unit(SITE, "u", NAN, 8.2, T0, &p, buf, sizeof buf), BF_EINVAL);
    CU_ASSERT_EQUAL(bf_cot_unit(SITE, "u", 46.8, 8.2, T0, &p, buf, 100), BF_ERANGE);
}

/* Names that would break the XML: every one survives a parse unchanged or replaced. */
static void test_escape(void)
{
    static const struct {
        const char *in, *out;
    } table[] = {
        {"plain", "plain"},
        {"A&B <\"x\">", "A&amp;B &lt;&quot;x&quot;&gt;"},
        {"it's", "it&apos;s"},
        {"tab\there\nnl\x01", "tab here nl "},
        {"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\x87", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\x87"},
        {"bad \xff\xfe end", "bad ?? end"},
        {"cut \xe2\x82", "cut ??"},
        {"overlong \xc0\xaf", "overlong ??"},
        {"surrogate \xed\xa0\x80", "surrogate ???"},
        {"", ""},
    };
    char out[256];
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        int n = bf_cot_escape(table[i].in, out, sizeof out);
        CU_ASSERT_EQUAL(n, (int)strlen(table[i].out));
        CU_ASSERT_STRING_EQUAL(out, table[i].out);
        /* and it is valid XML text */
        char xml[600];
        snprintf(xml, sizeof xml, "<a v=\"%s\">%s</a>", out, out);
        struct doc d;
        CU_ASSERT_TRUE(parse(xml, strlen(xml), &d));
        doc_free(&d);
    }
    CU_ASSERT_EQUAL(bf_cot_escape("A&B", out, 4), BF_ERANGE);
    CU_ASSERT_EQUAL(bf_cot_escape("AB", out, 3), 2);
}

static void test_hostport(void)
{
    static const struct {
        const char *in;
        int rc;
        const char *host;
        int port;
    } table[] = {
        {"239.2.3.1:6969", 0, "239.2.3.1", 6969},
        {"tak.example.org:8087", 0, "tak.example.org", 8087},
        {"[::1]:4242", 0, "::1", 4242},
        {"127.0.0.1:65535", 0, "127.0.0.1", 65535},
        {"127.0.0.1:65536", BF_EINVAL, NULL, 0},
        {"127.0.0.1:0", BF_EINVAL, NULL, 0},
        {"127.0.0.1:", BF_EINVAL, NULL, 0},
        {":6969", BF_EINVAL, NULL, 0},
        {"host", BF_EINVAL, NULL, 0},
        {"::1:80", BF_EINVAL, NULL, 0},
        {"a b:80", BF_EINVAL, NULL, 0},
        {"host:80x", BF_EINVAL, NULL, 0},
        {"host:-80", BF_EINVAL, NULL, 0},
        {"[::1]4242", BF_EINVAL, NULL, 0},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        char host[64] = "";
        int port = -1;
        int rc = bf_cot_parse_hostport(table[i].in, host, sizeof host, &port);
        CU_ASSERT_EQUAL(rc, table[i].rc);
        if (rc != table[i].rc)
            fprintf(stderr, "\n  hostport \"%s\": %d\n", table[i].in, rc);
        if (table[i].rc == 0) {
            CU_ASSERT_STRING_EQUAL(host, table[i].host);
            CU_ASSERT_EQUAL(port, table[i].port);
        }
    }
}

/* ---- the sender over loopback sockets ------------------------------------------- */

static int bound_socket(int type, int *port)
{
    int fd = socket(AF_INET, type, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t l = sizeof a;
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) < 0 ||
        getsockname(fd, (struct sockaddr *)&a, &l) < 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    *port = ntohs(a.sin_port);
    return fd;
}

/* Receive up to cap-1 bytes on fd within timeout_ms; returns the count (0 on timeout). */
static ssize_t recv_wait(int fd, char *buf, size_t cap, int timeout_ms)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (poll(&p, 1, timeout_ms) <= 0)
        return 0;
    ssize_t n = recv(fd, buf, cap - 1, 0);
    if (n >= 0)
        buf[n] = '\0';
    return n;
}

static void test_sender_udp_tcp(void)
{
    int uport = 0, tport = 0;   /* set by bound_socket on success */
    int ufd = bound_socket(SOCK_DGRAM, &uport);
    int lfd = bound_socket(SOCK_STREAM, &tport);
    CU_ASSERT_TRUE_FATAL(ufd >= 0 && lfd >= 0);
    CU_ASSERT_EQUAL_FATAL(listen(lfd, 4), 0);
    char udp[64], tcp[64], err[256];
    snprintf(udp, sizeof udp, "127.0.0.1:%d", uport);
    snprintf(tcp, sizeof tcp, "127.0.0.1:%d", tport);
    struct bf_cot_out_options o = {.udp = udp, .tcp = tcp, .ttl = 1, .loopback = true,
                                   .reconnect_min_s = 0.05, .reconnect_max_s = 0.2};
    struct bf_cot_out *c = NULL;
    CU_ASSERT_EQUAL_FATAL(bf_cot_out_create(&o, &c, err, sizeof err), 0);
    bf_time_us now = bf_clock_monotonic(NULL);
    bf_cot_out_poll(c, now);
    int afd = -1;
    struct pollfd pl = {.fd = lfd, .events = POLLIN};
    if (poll(&pl, 1, 2000) == 1)
        afd = accept(lfd, NULL, NULL);
    CU_ASSERT_TRUE_FATAL(afd >= 0);
    for (int i = 0; i < 50; i++) {
        struct bf_cot_out_stats st;
        bf_cot_out_poll(c, bf_clock_monotonic(NULL));
        bf_cot_out_get_stats(c, &st);
        if (st.tcp_connected)
            break;
        usleep(10000);
    }
    const char *ev1 = "<event uid=\"1\"/>\n", *ev2 = "<event uid=\"2\"/>\n";
    bf_cot_out_send(c, ev1, strlen(ev1), bf_clock_monotonic(NULL));
    bf_cot_out_send(c, ev2, strlen(ev2), bf_clock_monotonic(NULL));
    char buf[256];
    CU_ASSERT_EQUAL(recv_wait(ufd, buf, sizeof buf, 1000), (ssize_t)strlen(ev1));
    CU_ASSERT_STRING_EQUAL(buf, ev1);
    CU_ASSERT_EQUAL(recv_wait(ufd, buf, sizeof buf, 1000), (ssize_t)strlen(ev2));
    CU_ASSERT_STRING_EQUAL(buf, ev2);
    char stream[256] = "";
    size_t got = 0;
    while (got < strlen(ev1) + strlen(ev2)) {
        ssize_t n = recv_wait(afd, stream + got, sizeof stream - got, 1000);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    CU_ASSERT_STRING_EQUAL(stream, "<event uid=\"1\"/>\n<event uid=\"2\"/>\n");
    struct bf_cot_out_stats st;
    bf_cot_out_get_stats(c, &st);
    CU_ASSERT_EQUAL(st.udp_sent, 2);
    CU_ASSERT_EQUAL(st.udp_dropped, 0);
    CU_ASSERT_EQUAL(st.tcp_sent, 2);
    CU_ASSERT_EQUAL(st.tcp_dropped, 0);
    CU_ASSERT_EQUAL(st.tcp_connects, 1);
    CU_ASSERT_TRUE(st.tcp_connected);

    /* the server goes away: the close is noticed, events are dropped (never blocked on),
     * and the sender reconnects once the server is back */
    close(afd);
    for (int i = 0; i < 100; i++) {
        bf_cot_out_poll(c, bf_clock_monotonic(NULL));
        bf_cot_out_get_stats(c, &st);
        if (!st.tcp_connected)
            break;
        usleep(10000);
    }
    CU_ASSERT_FALSE(st.tcp_connected);
    CU_ASSERT_EQUAL(st.tcp_disconnects, 1);
    bf_cot_out_send(c, ev1, strlen(ev1), bf_clock_monotonic(NULL));
    bf_cot_out_get_stats(c, &st);
    CU_ASSERT_EQUAL(st.tcp_dropped, 1);
    CU_ASSERT_EQUAL(st.udp_sent, 3);
    afd = -1;
    for (int i = 0; i < 200 && afd < 0; i++) {   /* back-off 50..200 ms */
        bf_cot_out_poll(c, bf_clock_monotonic(NULL));
        struct pollfd p2 = {.fd = lfd, .events = POLLIN};
        if (poll(&p2, 1, 10) == 1)
            afd = accept(lfd, NULL, NULL);
    }
    CU_ASSERT_TRUE(afd >= 0);
    for (int i = 0; i < 100; i++) {
        bf_cot_out_poll(c, bf_clock_monotonic(NULL));
        bf_cot_out_get_stats(c, &st);
        if (st.tcp_connected)
            break;
        usleep(10000);
    }
    CU_ASSERT_TRUE(st.tcp_connected);
    CU_ASSERT_TRUE(st.tcp_connects >= 2);
    bf_cot_out_send(c, ev2, strlen(ev2), bf_clock_monotonic(NULL));
    CU_ASSERT_EQUAL(afd >= 0 ? recv_wait(afd, buf, sizeof buf, 1000) : 0, (ssize_t)strlen(ev2));
    CU_ASSERT_STRING_EQUAL(buf, ev2);

    /* a server that does not read: the queue fills, then events are dropped whole */
    char big[8192];
    memset(big, 'x', sizeof big);
    bf_cot_out_get_stats(c, &st);
    uint64_t sent0 = st.tcp_sent;
    for (int i = 0; i < 2000; i++)
        bf_cot_out_send(c, big, sizeof big, bf_clock_monotonic(NULL));
    bf_cot_out_get_stats(c, &st);
    CU_ASSERT_TRUE(st.tcp_dropped > 1);
    CU_ASSERT_EQUAL(st.tcp_sent - sent0 + (st.tcp_dropped - 1), 2000);
    printf("\n  TCP: %llu of 2000 8 KiB events queued before the server's window and the "
           "256 KiB queue filled; the rest dropped\n",
           (unsigned long long)(st.tcp_sent - sent0));
    bf_cot_out_destroy(c);
    if (afd >= 0)
        close(afd);
    close(lfd);
    close(ufd);
}

/* Multicast looped back on this host (TTL 0: nothing leaves it), when the host routes
 * multicast at all. */
static void test_sender_multicast(void)
{
    int port;
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    CU_ASSERT_TRUE_FATAL(fd >= 0);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_ANY)};
    socklen_t l = sizeof a;
    CU_ASSERT_EQUAL_FATAL(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    getsockname(fd, (struct sockaddr *)&a, &l);
    port = ntohs(a.sin_port);
    struct ip_mreq m = {.imr_interface.s_addr = htonl(INADDR_ANY)};   /* the route the sender takes */
    inet_pton(AF_INET, "239.2.3.1", &m.imr_multiaddr);
    if (setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &m, sizeof m) < 0) {
        printf("\n  multicast: cannot join 239.2.3.1 here (%s); not checked\n",
               strerror(errno));
        close(fd);
        return;
    }
    char udp[64], err[256];
    snprintf(udp, sizeof udp, "239.2.3.1:%d", port);
    struct bf_cot_out_options o = {.udp = udp, .ttl = 0, .loopback = true};
    struct bf_cot_out *c = NULL;
    CU_ASSERT_EQUAL_FATAL(bf_cot_out_create(&o, &c, err, sizeof err), 0);
    const char *ev = "<event uid=\"m\"/>";
    bf_cot_out_send(c, ev, strlen(ev), 0);
    struct bf_cot_out_stats st;
    bf_cot_out_get_stats(c, &st);
    if (st.udp_sent == 1) {
        char buf[128];
        CU_ASSERT_EQUAL(recv_wait(fd, buf, sizeof buf, 1000), (ssize_t)strlen(ev));
        CU_ASSERT_STRING_EQUAL(buf, ev);
    } else {
        printf("\n  multicast: no route for 239.2.3.1 here (dropped %llu); not checked\n",
               (unsigned long long)st.udp_dropped);
        CU_ASSERT_EQUAL(st.udp_dropped, 1);   /* counted, not fatal */
    }
    bf_cot_out_destroy(c);
    close(fd);
    /* a bad address is refused with a message */
    o.udp = "239.2.3.1";
    CU_ASSERT_EQUAL(bf_cot_out_create(&o, &c, err, sizeof err), BF_EINVAL);
    CU_ASSERT_PTR_NULL(c);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "host:port"));
}

static CU_TestInfo cot_tests[] = {
    {"track -> CoT event, every attribute", test_track_mapping},
    {"track types by class, exercise opex, refusals", test_track_types_and_exercise},
    {"track event formatting cost (printed)", test_track_cost},
    {"alert -> CoT event, escaping, link, states", test_alert_mapping},
    {"our unit -> friendly CoT event", test_unit_mapping},
    {"XML escaping table", test_escape},
    {"host:port table", test_hostport},
    {"sender: UDP and TCP over loopback, reconnect, drops", test_sender_udp_tcp},
    {"sender: multicast loopback", test_sender_multicast},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"cot", setup, teardown, NULL, NULL, cot_tests},
    CU_SUITE_INFO_NULL,
};

int main(void)
{
    return bf_test_main(suites);
}
