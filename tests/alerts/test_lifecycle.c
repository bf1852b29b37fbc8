/*
 * test_lifecycle.c - what operators do to alerts: the request parser
 * (bf_ack_parse, a table of good and bad requests), the alerter's actions
 * (acknowledge, assign, resolve, false_alarm; refusals), the closed key that
 * keeps a resolved alert from being raised again while its track lives, the
 * ACKNOWLEDGED state surviving later updates, sequence numbers and journal
 * lines, the reply JSON and the audit log.
 *
 * Geometry: the fixture of fixture.h (a border line along the meridian
 * through the origin, our side east; steps made by hand consistent with it).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "alerts/alerts.h"
#include "alerts/alerts_int.h"
#include "bf_test.h"
#include "core/bf_error.h"
#include "core/bf_time.h"
#include "fixture.h"
#include "geo/geo.h"

#define ID_A "9cf1bec8-9072-51e8-824b-e6e246ec9741"

/* ---- alerters and tracks ----------------------------------------------------------- */

static void fsync_never(struct bf_alert_params *p) { p->journal_fsync = BF_FSYNC_NEVER; }

/* An alerter publishing into s; with a journal, s checks that each change was journaled first. */
static struct bf_alerter *mk_alerter(struct fx_sink *s, const char *journal)
{
    struct bf_alerter *a = fx_alerter(s, 3, journal, fx_zones, fsync_never);
    s->journal = journal;
    return a;
}

/* Track id crosses at now: INCURSION NEW (t stays the caller's to move on). */
static void cross(struct bf_alerter *a, struct bf_track *t, uint32_t id, bf_time_us now)
{
    fx_track_init(t, id, now, 4, 100, 1, 0);
    struct bf_geo_step s = fx_step(t, 0);
    fx_add_crossing(&s, +1, 0.6);
    CU_ASSERT_EQUAL(bf_alerter_on_track(a, t, BF_CHANGE_UPDATED, &s), 0);
}

/* One more step dt_s later, with a (re)crossing in it when crossing. */
static void step(struct bf_alerter *a, struct bf_track *t, double dt_s, bool crossing)
{
    fx_track_move(t, dt_s);
    struct bf_geo_step s = fx_step(t, 0);
    if (crossing)
        fx_add_crossing(&s, +1, 0.6);
    CU_ASSERT_EQUAL(bf_alerter_on_track(a, t, BF_CHANGE_UPDATED, &s), 0);
}

/* A valid request (parsed from JSON, so the parser is on the path too). */
static struct bf_ack_request req(const char *json, const char *topic_op)
{
    struct bf_ack_request r;
    int rc = bf_ack_parse(json, strlen(json), topic_op, &r);
    CU_ASSERT_EQUAL(rc, 0);
    if (rc != 0)
        fprintf(stderr, "\n  refused: %s: %s\n", json, r.error);
    return r;
}

static struct bf_ack_request req_for(const char *action, const char *id, const char *op,
                                     const char *unit)
{
    char json[512];
    snprintf(json, sizeof json, "{\"request_id\":\"r-1\",\"alert_id\":\"%s\",\"action\":\"%s\","
             "\"operator\":\"%s\"%s%s%s}", id, action, op, unit ? ",\"unit\":\"" : "",
             unit ? unit : "", unit ? "\"" : "");
    return req(json, NULL);
}

static cJSON *parse_rec(const struct fx_rec *r)
{
    cJSON *j = cJSON_Parse(r->json);
    CU_ASSERT_PTR_NOT_NULL_FATAL(j);
    return j;
}

static const char *jstr(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : cJSON_IsNull(v) ? "<null>" : "<missing>";
}

/* ---- the parser ----------------------------------------------------------------------- */

struct bad_case {
    const char *payload;
    const char *topic_op;
    const char *error_has;   /* a piece of the expected error text */
};

static void test_parse_good(void)
{
    struct bf_ack_request r;
    const char *j = "{\"request_id\": \"r-17\", \"alert_id\": \"" ID_A "\", \"action\": "
                    "\"acknowledge\", \"operator\": \"alice\", \"note\": \"on it\\nline 2\"}";
    CU_ASSERT_EQUAL(bf_ack_parse(j, strlen(j), NULL, &r), 0);
    CU_ASSERT_STRING_EQUAL(r.error, "");
    CU_ASSERT_STRING_EQUAL(r.request_id, "r-17");
    CU_ASSERT_TRUE(r.has_request_id);
    CU_ASSERT_STRING_EQUAL(r.alert_id, ID_A);
    CU_ASSERT_EQUAL(r.action, BF_ACK_ACKNOWLEDGE);
    CU_ASSERT_STRING_EQUAL(r.operator_id, "alice");
    CU_ASSERT_FALSE(r.operator_from_topic);
    CU_ASSERT_STRING_EQUAL(r.note, "on it\nline 2");
    CU_ASSERT_STRING_EQUAL(r.unit, "");

    j = "{\"alert_id\": \"9CF1BEC8-9072-51E8-824B-E6E246EC9741\", \"action\": \"assign\","
        " \"operator\": \"alice\", \"unit\": \"patrol-1\", \"future_field\": [1, 2]}";
    CU_ASSERT_EQUAL(bf_ack_parse(j, strlen(j), NULL, &r), 0);
    CU_ASSERT_STRING_EQUAL(r.alert_id, ID_A);   /* upper case taken, written lower case */
    CU_ASSERT_EQUAL(r.action, BF_ACK_ASSIGN);
    CU_ASSERT_STRING_EQUAL(r.unit, "patrol-1");
    CU_ASSERT_FALSE(r.has_request_id);

    /* the topic's name wins; the payload's is kept for the audit */
    j = "{\"alert_id\": \"" ID_A "\", \"action\": \"resolve\", \"operator\": \"mallory\"}";
    CU_ASSERT_EQUAL(bf_ack_parse(j, strlen(j), "bob", &r), 0);
    CU_ASSERT_STRING_EQUAL(r.operator_id, "bob");
    CU_ASSERT_TRUE(r.operator_from_topic);
    CU_ASSERT_STRING_EQUAL(r.payload_operator, "mallory");
    /* no operator in the payload: the topic's is enough */
    j = "{\"alert_id\": \"" ID_A "\", \"action\": \"false_alarm\", \"unit\": null, \"note\": null}";
    CU_ASSERT_EQUAL(bf_ack_parse(j, strlen(j), "bob", &r), 0);
    CU_ASSERT_EQUAL(r.action, BF_ACK_FALSE_ALARM);
    CU_ASSERT_STRING_EQUAL(r.operator_id, "bob");
    /* UTF-8 names; not NUL-terminated input */
    char buf[256];
    j = "{\"alert_id\": \"" ID_A "\", \"action\": \"acknowledge\", \"operator\": \"J\xc3\xb6rg\"}XXXX";
    size_t n = strlen(j) - 4;
    memcpy(buf, j, strlen(j));
    CU_ASSERT_EQUAL(bf_ack_parse(buf, n, NULL, &r), 0);
    CU_ASSERT_STRING_EQUAL(r.operator_id, "J\xc3\xb6rg");
    for (enum bf_ack_action k = BF_ACK_ACKNOWLEDGE; k <= BF_ACK_FALSE_ALARM; k++)
        CU_ASSERT_PTR_NOT_NULL(bf_ack_action_name(k));
    CU_ASSERT_PTR_NULL(bf_ack_action_name(BF_ACK_NONE));
}

static void test_parse_refusals(void)
{
    char long_op[200], long_note[400], long_rid[200], big[BF_ACK_PAYLOAD_MAX + 100];
    snprintf(long_op, sizeof long_op, "{\"alert_id\":\"" ID_A "\",\"action\":\"acknowledge\","
             "\"operator\":\"%064d\"}", 7);
    snprintf(long_note, sizeof long_note, "{\"alert_id\":\"" ID_A "\",\"action\":\"acknowledge\","
             "\"operator\":\"al\",\"note\":\"%0257d\"}", 7);
    snprintf(long_rid, sizeof long_rid, "{\"request_id\":\"%065d\",\"alert_id\":\"" ID_A
             "\",\"action\":\"acknowledge\",\"operator\":\"al\"}", 7);
    memset(big, ' ', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    big[0] = '{';
    big[sizeof big - 2] = '}';
    const struct bad_case cases[] = {
        {"", NULL, "empty request"},
        {"hello", NULL, "not JSON"},
        {"{\"alert_id\":", NULL, "not JSON"},
        {"{} trailing", NULL, "not JSON"},
        {"[1,2]", NULL, "not a JSON object"},
        {"\"acknowledge\"", NULL, "not a JSON object"},
        {big, NULL, "request too long"},
        {"{\"action\":\"acknowledge\",\"operator\":\"al\"}", NULL, "alert_id missing"},
        {"{\"alert_id\":42,\"action\":\"acknowledge\",\"operator\":\"al\"}", NULL,
         "alert_id is not an alert id"},
        {"{\"alert_id\":\"9cf1bec8-9072-51e8-824b-e6e246ec974\",\"action\":\"resolve\","
         "\"operator\":\"al\"}", NULL, "alert_id is not an alert id"},
        {"{\"alert_id\":\"9cf1bec8x9072-51e8-824b-e6e246ec9741\",\"action\":\"resolve\","
         "\"operator\":\"al\"}", NULL, "alert_id is not an alert id"},
        {"{\"alert_id\":\"" ID_A "\",\"operator\":\"al\"}", NULL, "action missing"},
        {"{\"alert_id\":\"" ID_A "\",\"action\":\"ack\",\"operator\":\"al\"}", NULL,
         "unknown action \"ack\""},
        {"{\"alert_id\":\"" ID_A "\",\"action\":7,\"operator\":\"al\"}", NULL,
         "action must be a string"},
        {"{\"alert_id\":\"" ID_A "\",\"action\":\"acknowledge\"}", NULL, "operator missing"},
        {"{\"alert_id\":\"" ID_A "\",\"action\":\"acknowledge\",\"operator\":\"\"}", NULL,
         "operator must be"},
        {"{\"alert_id\":\"" ID_A "\",\"action\":\"acknowledge\",\"operator\":\"a/b\"}", NULL,
         "operator must be"},
        {"{\"alert_id\":\"" ID_A "\",\"action\":\"acknowledge\",\"operator\":\"a\\u0001\"}", NULL,
         "operator must be"},
        {"{\"alert_id\":\"" ID_A "\",\"action\":\"acknowledge\",\"operator\":\"\xff\xfe\"}", NULL,
         "operator must be"},
        {"{\"alert_id\":\"" ID_A "\",\"action\":\"acknowledge\",\"operator\":\"\xed\xa0\x80\"}", NULL,
         "operator must be"},   /* an encoded surrogate is not UTF-8 */
        {long_op, NULL, "operator must be 1 to 63 bytes"},
        {"{\"alert_id\":\"" ID_A "\",\"action\":\"acknowledge\"}", "", "empty operator name in the topic"},
        {"{\"alert_id\":\"" ID_A "\",\"action\":\"acknowledge\"}", "a+b", "operator name in the topic"},
        {"{\"alert_id\":\"" ID_A "\",\"action\":\"assign\",\"operator\":\"al\"}", NULL,
         "unit missing"},
        {"{\"alert_id\":\"" ID_A "\",\"action\":\"assign\",\"operator\":\"al\",\"unit\":5}", NULL,
         "unit must be text"},
        {"{\"alert_id\":\"" ID_A "\",\"action\":\"resolve\",\"operator\":\"al\",\"unit\":\"p-1\"}",
         NULL, "unit is only for assign"},
        {long_note, NULL, "note must be text of at most 256 bytes"},
        {long_rid, NULL, "request_id must be text of at most 64 bytes"},
        {"{\"request_id\":17,\"alert_id\":\"" ID_A "\",\"action\":\"resolve\",\"operator\":\"al\"}",
         NULL, "request_id must be text"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct bf_ack_request r;
        int rc = bf_ack_parse(cases[i].payload, strlen(cases[i].payload), cases[i].topic_op, &r);
        CU_ASSERT_EQUAL(rc, BF_EPARSE);
        bool has = strstr(r.error, cases[i].error_has) != NULL;
        CU_ASSERT_TRUE(has);
        if (rc != BF_EPARSE || !has)
            fprintf(stderr, "\n  case %zu: rc %d error \"%s\", expected \"%s\"\n", i, rc, r.error,
                    cases[i].error_has);
        if (strstr(cases[i].error_has, "alert_id"))
            CU_ASSERT_STRING_EQUAL(r.alert_id, "");   /* never a part of an id */
        /* an alerter never acts on it */
        struct bf_ack_result res;
        CU_ASSERT_EQUAL(bf_alerter_act(NULL, &r, T0, &res), BF_EINVAL);
    }
    /* a NUL byte inside */
    struct bf_ack_request r;
    CU_ASSERT_EQUAL(bf_ack_parse("{\"a\":\"x\0\"}", 10, NULL, &r), BF_EPARSE);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.error, "NUL"));
    /* what was valid is kept for the reply and the audit, with the first problem named */
    const char *j = "{\"request_id\":\"r-9\",\"alert_id\":\"" ID_A "\",\"action\":\"explode\"}";
    CU_ASSERT_EQUAL(bf_ack_parse(j, strlen(j), "carol", &r), BF_EPARSE);
    CU_ASSERT_STRING_EQUAL(r.request_id, "r-9");
    CU_ASSERT_STRING_EQUAL(r.alert_id, ID_A);
    CU_ASSERT_STRING_EQUAL(r.action_text, "explode");
    CU_ASSERT_STRING_EQUAL(r.operator_id, "carol");
    CU_ASSERT_PTR_NOT_NULL(strstr(r.error, "unknown action \"explode\""));
    /* garbage on a named topic still says who sent it */
    CU_ASSERT_EQUAL(bf_ack_parse("garbage", 7, "carol", &r), BF_EPARSE);
    CU_ASSERT_STRING_EQUAL(r.operator_id, "carol");
}

/* ---- the actions ------------------------------------------------------------------------- */

static void test_acknowledge(void)
{
    const char *jpath = fx_tmp_path("lc_ack.jsonl");
    unlink(jpath);
    struct fx_sink s;
    struct bf_alerter *a = mk_alerter(&s, jpath);
    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    struct bf_track t;
    cross(a, &t, 42, T0);
    CU_ASSERT_EQUAL_FATAL(s.n, 1);
    CU_ASSERT_STRING_EQUAL(s.r[0].a.id, ID_A);
    cJSON *j0 = parse_rec(&s.r[0]);
    const cJSON *op0 = cJSON_GetObjectItemCaseSensitive(j0, "operator");
    CU_ASSERT_TRUE(cJSON_IsObject(op0));
    CU_ASSERT_STRING_EQUAL(jstr(op0, "acknowledged_by"), "<null>");
    CU_ASSERT_STRING_EQUAL(jstr(op0, "acknowledged_time"), "<null>");
    CU_ASSERT_STRING_EQUAL(jstr(op0, "assigned_unit"), "<null>");
    CU_ASSERT_STRING_EQUAL(jstr(op0, "closed_by"), "<null>");
    cJSON_Delete(j0);

    struct bf_ack_request r = req_for("acknowledge", ID_A, "alice", NULL);
    struct bf_ack_result res;
    CU_ASSERT_EQUAL(bf_alerter_act(a, &r, T0 + S(2), &res), 0);
    CU_ASSERT_TRUE(res.ok);
    CU_ASSERT_STRING_EQUAL(res.error, "");
    CU_ASSERT_EQUAL(res.state, BF_ALERT_ACKNOWLEDGED);
    CU_ASSERT_EQUAL(res.type, BF_ALERT_INCURSION);
    CU_ASSERT_EQUAL(res.track_id, 42);
    CU_ASSERT_EQUAL(res.seq, 2);
    CU_ASSERT_EQUAL(res.t_us, T0 + S(2));
    CU_ASSERT_EQUAL_FATAL(s.n, 2);
    const struct bf_alert *ak = &s.r[1].a;
    CU_ASSERT_STRING_EQUAL(ak->id, ID_A);
    CU_ASSERT_EQUAL(ak->state, BF_ALERT_ACKNOWLEDGED);
    CU_ASSERT_EQUAL(ak->seq, 2);
    CU_ASSERT_EQUAL(ak->last_us, T0 + S(2));
    CU_ASSERT_EQUAL(ak->ack_us, T0 + S(2));
    CU_ASSERT_EQUAL(ak->first_us, T0);
    CU_ASSERT_STRING_EQUAL(ak->ack_by, "alice");
    CU_ASSERT_TRUE(s.r[1].journal_first);   /* journaled before the sink, like any change */
    cJSON *j = parse_rec(&s.r[1]);
    CU_ASSERT_STRING_EQUAL(jstr(j, "state"), "ACKNOWLEDGED");
    CU_ASSERT_STRING_EQUAL(jstr(j, "time"), "2026-03-01T01:53:22.000Z");
    const cJSON *op = cJSON_GetObjectItemCaseSensitive(j, "operator");
    CU_ASSERT_STRING_EQUAL(jstr(op, "acknowledged_by"), "alice");
    CU_ASSERT_STRING_EQUAL(jstr(op, "acknowledged_time"), "2026-03-01T01:53:22.000Z");
    CU_ASSERT_STRING_EQUAL(jstr(op, "assigned_unit"), "<null>");
    CU_ASSERT_STRING_EQUAL(jstr(op, "closed_by"), "<null>");
    CU_ASSERT_PTR_NOT_NULL(strstr(jstr(j, "explanation"), " Acknowledged by alice at 01:53:22Z."));
    /* the operator object comes before the explanation, which stays last */
    CU_ASSERT_TRUE(strstr(s.r[1].json, "\"operator\":") < strstr(s.r[1].json, "\"explanation\":"));
    cJSON_Delete(j);

    /* twice: refused, nothing published */
    r = req_for("acknowledge", ID_A, "bob", NULL);
    CU_ASSERT_EQUAL(bf_alerter_act(a, &r, T0 + S(3), &res), 0);
    CU_ASSERT_FALSE(res.ok);
    CU_ASSERT_STRING_EQUAL(res.error, "already acknowledged by alice");
    CU_ASSERT_EQUAL(res.state, BF_ALERT_ACKNOWLEDGED);
    CU_ASSERT_EQUAL(res.seq, 0);
    CU_ASSERT_EQUAL(s.n, 2);

    struct bf_alerter_stats st;
    bf_alerter_get_stats(a, &st);
    CU_ASSERT_EQUAL(st.operator_actions, 1);
    CU_ASSERT_EQUAL(st.live, 1);
    CU_ASSERT_TRUE(bf_alerter_check(a));
    fx_done(&s, a);
    uint64_t seq = 0;
    CU_ASSERT_EQUAL(bf_journal_last_seq(jpath, &seq), 0);
    CU_ASSERT_EQUAL(seq, 2);
    /* the journal holds both lines, NEW then ACKNOWLEDGED */
    char *txt = bf_test_read_file(jpath, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(txt);
    char *nl = strchr(txt, '\n');
    CU_ASSERT_PTR_NOT_NULL_FATAL(nl);
    CU_ASSERT_PTR_NOT_NULL(strstr(txt, "\"state\":\"NEW\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(nl, "\"state\":\"ACKNOWLEDGED\""));
    free(txt);
}

static void test_acknowledged_survives_updates(void)
{
    struct fx_sink s;
    struct bf_alerter *a = mk_alerter(&s, NULL);
    struct bf_track t;
    cross(a, &t, 42, T0);
    struct bf_ack_request r = req_for("acknowledge", ID_A, "alice", NULL);
    struct bf_ack_result res;
    CU_ASSERT_EQUAL(bf_alerter_act(a, &r, T0 + S(1), &res), 0);
    CU_ASSERT_TRUE(res.ok);
    for (int k = 0; k < 12; k++)
        step(a, &t, 1.0, false);
    /* UPDATED publications (every 5 s of event time after the ack) keep ACKNOWLEDGED */
    CU_ASSERT_EQUAL_FATAL(s.n, 4);
    for (int i = 2; i < 4; i++) {
        CU_ASSERT_EQUAL(s.r[i].a.state, BF_ALERT_ACKNOWLEDGED);
        CU_ASSERT_STRING_EQUAL(s.r[i].a.ack_by, "alice");
        CU_ASSERT_EQUAL(s.r[i].a.ack_us, T0 + S(1));
        CU_ASSERT_EQUAL(s.r[i].a.seq, (uint64_t)i + 1);
    }
    CU_ASSERT_EQUAL(s.r[2].a.last_us, T0 + S(6));
    CU_ASSERT_EQUAL(s.r[3].a.last_us, T0 + S(11));
    BF_ASSERT_NEAR(s.r[3].a.dist_to_line_m, 15.0, 1e-9);   /* it still follows its track */
    CU_ASSERT_TRUE(bf_alerter_check(a));
    /* the track ends: the alert goes LOST, still acknowledged, and waits for the operator */
    t.t_us += S(1);
    t.status = BF_TRACK_DELETED;
    CU_ASSERT_EQUAL(bf_alerter_on_track(a, &t, BF_CHANGE_DELETED, NULL), 0);
    CU_ASSERT_EQUAL_FATAL(s.n, 5);
    CU_ASSERT_EQUAL(s.r[4].a.state, BF_ALERT_LOST);
    CU_ASSERT_STRING_EQUAL(s.r[4].a.closed_by, "");
    CU_ASSERT_STRING_EQUAL(s.r[4].a.ack_by, "alice");
    cJSON *j = parse_rec(&s.r[4]);
    const char *ex = jstr(j, "explanation");
    CU_ASSERT_PTR_NOT_NULL(strstr(ex, " Acknowledged by alice at 01:53:21Z. Track lost, last seen at 01:53:32Z"));
    cJSON_Delete(j);
    fx_done(&s, a);
}

static void test_assign(void)
{
    struct fx_sink s;
    struct bf_alerter *a = mk_alerter(&s, NULL);
    struct bf_track t;
    cross(a, &t, 42, T0);
    CU_ASSERT_FALSE(bf_alerter_unit_assigned(a, "patrol-1"));
    /* assign on a NEW alert acknowledges it too */
    struct bf_ack_request r = req_for("assign", ID_A, "alice", "patrol-1");
    struct bf_ack_result res;
    CU_ASSERT_EQUAL(bf_alerter_act(a, &r, T0 + S(2), &res), 0);
    CU_ASSERT_TRUE(res.ok);
    CU_ASSERT_EQUAL(res.state, BF_ALERT_ACKNOWLEDGED);
    CU_ASSERT_EQUAL_FATAL(s.n, 2);
    CU_ASSERT_STRING_EQUAL(s.r[1].a.ack_by, "alice");
    CU_ASSERT_STRING_EQUAL(s.r[1].a.assigned_unit, "patrol-1");
    CU_ASSERT_TRUE(bf_alerter_unit_assigned(a, "patrol-1"));
    CU_ASSERT_FALSE(bf_alerter_unit_assigned(a, "patrol-2"));
    cJSON *j = parse_rec(&s.r[1]);
    const cJSON *op = cJSON_GetObjectItemCaseSensitive(j, "operator");
    CU_ASSERT_STRING_EQUAL(jstr(op, "assigned_unit"), "patrol-1");
    CU_ASSERT_PTR_NOT_NULL(strstr(jstr(j, "explanation"),
                                  " Acknowledged by alice at 01:53:22Z; unit patrol-1 assigned."));
    cJSON_Delete(j);
    /* the same unit again: refused; another unit (by bob): replaces it, ack_by stays alice */
    CU_ASSERT_EQUAL(bf_alerter_act(a, &r, T0 + S(3), &res), 0);
    CU_ASSERT_FALSE(res.ok);
    CU_ASSERT_STRING_EQUAL(res.error, "unit patrol-1 is already assigned");
    r = req_for("assign", ID_A, "bob", "patrol-2");
    CU_ASSERT_EQUAL(bf_alerter_act(a, &r, T0 + S(4), &res), 0);
    CU_ASSERT_TRUE(res.ok);
    CU_ASSERT_EQUAL_FATAL(s.n, 3);
    CU_ASSERT_STRING_EQUAL(s.r[2].a.assigned_unit, "patrol-2");
    CU_ASSERT_STRING_EQUAL(s.r[2].a.ack_by, "alice");
    CU_ASSERT_EQUAL(s.r[2].a.ack_us, T0 + S(2));
    CU_ASSERT_EQUAL(s.r[2].a.seq, 3);
    CU_ASSERT_FALSE(bf_alerter_unit_assigned(a, "patrol-1"));
    CU_ASSERT_TRUE(bf_alerter_unit_assigned(a, "patrol-2"));
    CU_ASSERT_TRUE(bf_alerter_check(a));
    /* resolved: the unit is free again */
    r = req_for("resolve", ID_A, "bob", NULL);
    CU_ASSERT_EQUAL(bf_alerter_act(a, &r, T0 + S(5), &res), 0);
    CU_ASSERT_TRUE(res.ok);
    CU_ASSERT_FALSE(bf_alerter_unit_assigned(a, "patrol-2"));
    fx_done(&s, a);
}

static void test_resolve_closes_key(void)
{
    struct fx_sink s;
    struct bf_alerter *a = mk_alerter(&s, NULL);
    struct bf_track t, u;
    cross(a, &t, 42, T0);
    cross(a, &u, 43, T0);
    CU_ASSERT_EQUAL_FATAL(s.n, 2);
    char id_u[BF_ALERT_ID_LEN];
    memcpy(id_u, s.r[1].a.id, sizeof id_u);
    struct bf_ack_request r = req_for("resolve", ID_A, "bob", NULL);
    r.note[0] = '\0';
    struct bf_ack_result res;
    /* an engine time before the alert's last change: the action takes the alert's time */
    CU_ASSERT_EQUAL(bf_alerter_act(a, &r, T0 - S(30), &res), 0);
    CU_ASSERT_TRUE(res.ok);
    CU_ASSERT_EQUAL(res.state, BF_ALERT_RESOLVED);
    CU_ASSERT_EQUAL(res.t_us, T0);
    CU_ASSERT_EQUAL_FATAL(s.n, 3);
    CU_ASSERT_EQUAL(s.r[2].a.state, BF_ALERT_RESOLVED);
    CU_ASSERT_STRING_EQUAL(s.r[2].a.closed_by, "bob");
    CU_ASSERT_STRING_EQUAL(s.r[2].a.ack_by, "");
    CU_ASSERT_EQUAL(s.r[2].a.seq, 3);
    cJSON *j = parse_rec(&s.r[2]);
    CU_ASSERT_STRING_EQUAL(jstr(cJSON_GetObjectItemCaseSensitive(j, "operator"), "closed_by"), "bob");
    const char *ex = jstr(j, "explanation");
    CU_ASSERT_PTR_NOT_NULL(strstr(ex, " Resolved by bob at 01:53:20Z."));
    CU_ASSERT_PTR_NULL(strstr(ex, "Acknowledged"));
    cJSON_Delete(j);
    struct bf_alerter_stats st;
    bf_alerter_get_stats(a, &st);
    CU_ASSERT_EQUAL(st.live, 1);
    CU_ASSERT_EQUAL(st.closed_keys, 1);
    CU_ASSERT_EQUAL(st.resolved, 1);
    /* no longer live: a second resolve is refused */
    CU_ASSERT_EQUAL(bf_alerter_act(a, &r, T0 + S(1), &res), 0);
    CU_ASSERT_FALSE(res.ok);
    CU_ASSERT_STRING_EQUAL(res.error, "no live alert with that id");
    CU_ASSERT_EQUAL(res.state, 0);

    /* the track goes on, crosses again (wobble): nothing raised for it, counted */
    int before = s.n;
    for (int k = 0; k < 6; k++)
        step(a, &t, 1.0, k == 2);
    for (int i = before; i < s.n; i++)
        CU_ASSERT_NOT_EQUAL(s.r[i].a.track_id, 42);
    bf_alerter_get_stats(a, &st);
    CU_ASSERT_TRUE(st.reraise_blocked >= 1);
    CU_ASSERT_EQUAL(st.raised, 2);
    CU_ASSERT_TRUE(bf_alerter_check(a));
    /* the other track's alert is not affected */
    step(a, &u, 6.0, false);
    CU_ASSERT_STRING_EQUAL(s.r[s.n - 1].a.id, id_u);
    CU_ASSERT_EQUAL(s.r[s.n - 1].a.state, BF_ALERT_UPDATED);

    /* the track is deleted: its key waits for a continuing track, then is forgotten with the
     * track's record (2 x resolve_after_s unseen) */
    t.t_us += S(1);
    t.status = BF_TRACK_DELETED;
    CU_ASSERT_EQUAL(bf_alerter_on_track(a, &t, BF_CHANGE_DELETED, NULL), 0);
    bf_alerter_get_stats(a, &st);
    CU_ASSERT_EQUAL(st.closed_keys, 1);
    CU_ASSERT_EQUAL(bf_alerter_tick(a, t.t_us + S(241)), 0);
    bf_alerter_get_stats(a, &st);
    CU_ASSERT_EQUAL(st.closed_keys, 0);
    CU_ASSERT_TRUE(bf_alerter_check(a));
    fx_done(&s, a);
}

static void test_false_alarm(void)
{
    struct fx_sink s;
    struct bf_alerter *a = mk_alerter(&s, NULL);
    struct bf_track t;
    cross(a, &t, 42, T0);
    struct bf_ack_request r = req_for("acknowledge", ID_A, "alice", NULL);
    struct bf_ack_result res;
    bf_alerter_act(a, &r, T0 + S(1), &res);
    r = req_for("false_alarm", ID_A, "bob", NULL);
    CU_ASSERT_EQUAL(bf_alerter_act(a, &r, T0 + S(2), &res), 0);
    CU_ASSERT_TRUE(res.ok);
    CU_ASSERT_EQUAL(res.state, BF_ALERT_FALSE_ALARM);
    CU_ASSERT_EQUAL(res.seq, 3);
    CU_ASSERT_EQUAL_FATAL(s.n, 3);
    CU_ASSERT_EQUAL(s.r[2].a.state, BF_ALERT_FALSE_ALARM);
    cJSON *j = parse_rec(&s.r[2]);
    CU_ASSERT_STRING_EQUAL(jstr(j, "state"), "FALSE_ALARM");
    const cJSON *op = cJSON_GetObjectItemCaseSensitive(j, "operator");
    CU_ASSERT_STRING_EQUAL(jstr(op, "acknowledged_by"), "alice");
    CU_ASSERT_STRING_EQUAL(jstr(op, "closed_by"), "bob");
    CU_ASSERT_PTR_NOT_NULL(strstr(jstr(j, "explanation"), " Acknowledged by alice at 01:53:21Z. "
                                                          "Marked a false alarm by bob at 01:53:22Z."));
    cJSON_Delete(j);
    struct bf_alerter_stats st;
    bf_alerter_get_stats(a, &st);
    CU_ASSERT_EQUAL(st.false_alarms, 1);
    CU_ASSERT_EQUAL(st.resolved, 0);
    CU_ASSERT_EQUAL(st.live, 0);
    CU_ASSERT_EQUAL(st.operator_actions, 2);
    CU_ASSERT_EQUAL(st.closed_keys, 1);
    step(a, &t, 1.0, true);
    CU_ASSERT_EQUAL(s.n, 3);   /* the rabbit does not come back as a new incursion */
    fx_done(&s, a);
}

static void test_refusals(void)
{
    struct fx_sink s;
    struct bf_alerter *a = mk_alerter(&s, NULL);
    struct bf_track t;
    cross(a, &t, 42, T0);
    struct bf_ack_result res;
    struct bf_ack_request r = req_for("acknowledge", "00000000-0000-5000-8000-000000000000", "al", NULL);
    CU_ASSERT_EQUAL(bf_alerter_act(a, &r, T0, &res), 0);
    CU_ASSERT_FALSE(res.ok);
    CU_ASSERT_STRING_EQUAL(res.error, "no live alert with that id");
    CU_ASSERT_EQUAL(res.seq, 0);
    CU_ASSERT_EQUAL(res.t_us, BF_TIME_NONE);
    /* a request the parser refused is refused with its reason */
    struct bf_ack_request bad;
    const char *bj = "{\"alert_id\":\"" ID_A "\",\"action\":\"assign\",\"operator\":\"al\"}";
    CU_ASSERT_EQUAL(bf_ack_parse(bj, strlen(bj), NULL, &bad), BF_EPARSE);
    CU_ASSERT_EQUAL(bf_alerter_act(a, &bad, T0, &res), 0);
    CU_ASSERT_FALSE(res.ok);
    CU_ASSERT_STRING_EQUAL(res.error, bad.error);
    CU_ASSERT_EQUAL(s.n, 1);   /* nothing published */
    struct bf_alerter_stats st;
    bf_alerter_get_stats(a, &st);
    CU_ASSERT_EQUAL(st.operator_actions, 0);
    CU_ASSERT_EQUAL(bf_alerter_act(a, NULL, T0, &res), BF_EINVAL);
    CU_ASSERT_EQUAL(bf_alerter_act(a, &r, T0, NULL), BF_EINVAL);
    CU_ASSERT_FALSE(bf_alerter_unit_assigned(NULL, "x"));
    CU_ASSERT_FALSE(bf_alerter_unit_assigned(a, ""));
    fx_done(&s, a);
}

static void test_sensor_fault(void)
{
    struct fx_sink s;
    struct bf_alerter *a = mk_alerter(&s, NULL);
    CU_ASSERT_EQUAL(bf_alerter_sensor_fault(a, 2, true, T0, 46.79, 8.19, "silent"), 0);
    CU_ASSERT_EQUAL_FATAL(s.n, 1);
    char id[BF_ALERT_ID_LEN];
    memcpy(id, s.r[0].a.id, sizeof id);
    struct bf_ack_request r = req_for("acknowledge", id, "alice", NULL);
    struct bf_ack_result res;
    CU_ASSERT_EQUAL(bf_alerter_act(a, &r, BF_TIME_NONE, &res), 0);   /* no engine time: alert's */
    CU_ASSERT_TRUE(res.ok);
    CU_ASSERT_EQUAL(res.type, BF_ALERT_SENSOR_FAULT);
    CU_ASSERT_EQUAL(res.t_us, T0);
    CU_ASSERT_EQUAL_FATAL(s.n, 2);
    CU_ASSERT_EQUAL(s.r[1].a.state, BF_ALERT_ACKNOWLEDGED);
    cJSON *j = parse_rec(&s.r[1]);
    CU_ASSERT_PTR_NOT_NULL(strstr(jstr(j, "explanation"), "Sensor ugs-1 is silent since 01:53:20Z "
                                                          "(silent). Acknowledged by alice at "
                                                          "01:53:20Z."));
    cJSON_Delete(j);
    /* resolved by an operator: gone; no key closed (there is no track to wait for) */
    r = req_for("resolve", id, "alice", NULL);
    CU_ASSERT_EQUAL(bf_alerter_act(a, &r, T0 + S(5), &res), 0);
    CU_ASSERT_TRUE(res.ok);
    struct bf_alerter_stats st;
    bf_alerter_get_stats(a, &st);
    CU_ASSERT_EQUAL(st.live, 0);
    CU_ASSERT_EQUAL(st.closed_keys, 0);
    /* the sensor comes back (nothing to resolve), then falls silent again: a new alert */
    CU_ASSERT_EQUAL(bf_alerter_sensor_fault(a, 2, false, T0 + S(10), 46.79, 8.19, NULL), 0);
    CU_ASSERT_EQUAL(s.n, 3);
    CU_ASSERT_EQUAL(bf_alerter_sensor_fault(a, 2, true, T0 + S(20), 46.79, 8.19, "silent"), 0);
    CU_ASSERT_EQUAL_FATAL(s.n, 4);
    CU_ASSERT_EQUAL(s.r[3].a.state, BF_ALERT_NEW);
    CU_ASSERT_STRING_NOT_EQUAL(s.r[3].a.id, id);
    CU_ASSERT_TRUE(bf_alerter_check(a));
    fx_done(&s, a);
}

static void test_system_fault(void)
{
    struct fx_sink s;
    struct bf_alerter *a = mk_alerter(&s, NULL);
    CU_ASSERT_EQUAL(bf_alerter_system_fault(a, BF_SYSTEM_FAULT_COUNT, true, T0, "x"), BF_EINVAL);
    CU_ASSERT_EQUAL(bf_alerter_system_fault(a, BF_SYSTEM_STORAGE, true, BF_TIME_NONE, "x"), BF_EINVAL);
    CU_ASSERT_EQUAL(bf_alerter_system_fault(a, BF_SYSTEM_STORAGE, false, T0, NULL), 0);
    CU_ASSERT_EQUAL(s.n, 0);   /* nothing live: nothing to resolve */
    CU_ASSERT_EQUAL(bf_alerter_system_fault(a, BF_SYSTEM_STORAGE, true, T0,
                                            "journal writes fail (No space left on device)"), 0);
    CU_ASSERT_EQUAL(bf_alerter_system_fault(a, BF_SYSTEM_STORAGE, true, T0 + S(1), "again"), 0);
    CU_ASSERT_EQUAL(bf_alerter_system_fault(a, BF_SYSTEM_TRACK_POOL, true, T0 + S(2),
                                            "track pool full"), 0);
    CU_ASSERT_EQUAL_FATAL(s.n, 2);   /* one live alert per kind */
    CU_ASSERT_EQUAL(s.r[0].a.type, BF_ALERT_SYSTEM);
    CU_ASSERT_EQUAL(s.r[0].a.severity, BF_SEV_HIGH);
    CU_ASSERT_STRING_NOT_EQUAL(s.r[0].a.id, s.r[1].a.id);
    cJSON *j = parse_rec(&s.r[0]);
    CU_ASSERT_STRING_EQUAL(jstr(j, "type"), "SYSTEM");
    CU_ASSERT_STRING_EQUAL(jstr(j, "reason"), "journal writes fail (No space left on device)");
    CU_ASSERT_TRUE(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(j, "track_id")));
    CU_ASSERT_PTR_NOT_NULL(strstr(jstr(j, "explanation"),
                                  "The engine is degraded since 01:53:20Z: journal writes fail"));
    cJSON_Delete(j);
    /* idle ticks never resolve it; recovery does */
    CU_ASSERT_EQUAL(bf_alerter_tick(a, T0 + S(3600)), 0);
    CU_ASSERT_EQUAL(s.n, 2);
    CU_ASSERT_EQUAL(bf_alerter_system_fault(a, BF_SYSTEM_STORAGE, false, T0 + S(3601), NULL), 0);
    CU_ASSERT_EQUAL_FATAL(s.n, 3);
    CU_ASSERT_EQUAL(s.r[2].a.state, BF_ALERT_RESOLVED);
    CU_ASSERT_STRING_EQUAL(s.r[2].a.id, s.r[0].a.id);
    CU_ASSERT_STRING_EQUAL(bf_system_fault_name(BF_SYSTEM_TRACK_POOL), "track_pool");
    struct bf_alerter_stats st;
    bf_alerter_get_stats(a, &st);
    CU_ASSERT_EQUAL(st.live, 1);
    CU_ASSERT_TRUE(bf_alerter_check(a));
    fx_done(&s, a);
}

/* ---- reply and audit ------------------------------------------------------------------- */

static void test_reply_json(void)
{
    struct bf_ack_request r = req("{\"request_id\":\"r-17\",\"alert_id\":\"" ID_A "\","
                                  "\"action\":\"acknowledge\",\"operator\":\"alice\"}", NULL);
    struct bf_ack_result res = {.ok = true, .state = BF_ALERT_ACKNOWLEDGED, .seq = 4};
    char buf[1024];
    int n = bf_ack_reply_json(&r, &res, buf, sizeof buf);
    CU_ASSERT_TRUE_FATAL(n > 0);
    CU_ASSERT_STRING_EQUAL(buf, "{\"request_id\":\"r-17\",\"alert_id\":\"" ID_A "\",\"action\":"
                                "\"acknowledge\",\"ok\":true,\"state\":\"ACKNOWLEDGED\",\"error\":null}");
    /* refused by the parser: no result */
    struct bf_ack_request bad;
    const char *bj = "{\"request_id\":\"r-18\",\"action\":\"hug\"}";
    CU_ASSERT_EQUAL(bf_ack_parse(bj, strlen(bj), "bob", &bad), BF_EPARSE);
    n = bf_ack_reply_json(&bad, NULL, buf, sizeof buf);
    CU_ASSERT_TRUE_FATAL(n > 0);
    cJSON *j = cJSON_Parse(buf);
    CU_ASSERT_PTR_NOT_NULL_FATAL(j);
    CU_ASSERT_STRING_EQUAL(jstr(j, "request_id"), "r-18");
    CU_ASSERT_STRING_EQUAL(jstr(j, "alert_id"), "<null>");
    CU_ASSERT_STRING_EQUAL(jstr(j, "action"), "hug");
    CU_ASSERT_TRUE(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(j, "ok")));
    CU_ASSERT_STRING_EQUAL(jstr(j, "state"), "<null>");
    CU_ASSERT_STRING_EQUAL(jstr(j, "error"), bad.error);
    cJSON_Delete(j);
    /* refused by the alerter */
    struct bf_ack_result no = {.ok = false};
    snprintf(no.error, sizeof no.error, "no live alert with that id");
    n = bf_ack_reply_json(&r, &no, buf, sizeof buf);
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\"ok\":false,\"state\":null,\"error\":\"no live alert with "
                                       "that id\""));
    CU_ASSERT_EQUAL(bf_ack_reply_json(&r, &res, buf, 20), BF_ERANGE);
}

static void test_audit_log(void)
{
    const char *path = fx_tmp_path("audit.jsonl");
    unlink(path);
    struct bf_audit *au = NULL;
    CU_ASSERT_EQUAL_FATAL(bf_audit_open(path, &au), 0);
    struct bf_ack_request r = req("{\"request_id\":\"r-1\",\"alert_id\":\"" ID_A "\",\"action\":"
                                  "\"assign\",\"operator\":\"mallory\",\"unit\":\"patrol-1\","
                                  "\"note\":\"north gate \\\"B\\\"\"}", "alice");
    struct bf_ack_result res = {.ok = true, .state = BF_ALERT_ACKNOWLEDGED, .seq = 7,
                                .t_us = T0 + S(2)};
    CU_ASSERT_EQUAL(bf_audit_write(au, T0 + S(100) + 123000, &r, &res), 0);
    struct bf_ack_request bad;
    bf_ack_parse("not json", 8, NULL, &bad);
    CU_ASSERT_EQUAL(bf_audit_write(au, T0 + S(101), &bad, NULL), 0);
    bf_audit_close(au);

    size_t n = 0;
    char *txt = bf_test_read_file(path, &n);
    CU_ASSERT_PTR_NOT_NULL_FATAL(txt);
    CU_ASSERT_TRUE(n > 0 && txt[n - 1] == '\n');
    char *l2 = strchr(txt, '\n');
    CU_ASSERT_PTR_NOT_NULL_FATAL(l2);
    *l2++ = '\0';
    cJSON *a1 = cJSON_Parse(txt), *a2 = cJSON_Parse(l2);
    CU_ASSERT_PTR_NOT_NULL_FATAL(a1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(a2);
    CU_ASSERT_STRING_EQUAL(jstr(a1, "time"), "2026-03-01T01:55:00.123Z");
    CU_ASSERT_STRING_EQUAL(jstr(a1, "operator"), "alice");
    CU_ASSERT_STRING_EQUAL(jstr(a1, "operator_source"), "topic");
    CU_ASSERT_STRING_EQUAL(jstr(a1, "payload_operator"), "mallory");
    CU_ASSERT_STRING_EQUAL(jstr(a1, "action"), "assign");
    CU_ASSERT_STRING_EQUAL(jstr(a1, "alert_id"), ID_A);
    CU_ASSERT_STRING_EQUAL(jstr(a1, "unit"), "patrol-1");
    CU_ASSERT_STRING_EQUAL(jstr(a1, "note"), "north gate \"B\"");
    CU_ASSERT_STRING_EQUAL(jstr(a1, "request_id"), "r-1");
    CU_ASSERT_STRING_EQUAL(jstr(a1, "result"), "ok");
    CU_ASSERT_STRING_EQUAL(jstr(a1, "state"), "ACKNOWLEDGED");
    CU_ASSERT_EQUAL(cJSON_GetObjectItemCaseSensitive(a1, "seq")->valuedouble, 7);
    CU_ASSERT_STRING_EQUAL(jstr(a1, "event_time"), "2026-03-01T01:53:22.000Z");
    CU_ASSERT_STRING_EQUAL(jstr(a2, "operator"), "<null>");
    CU_ASSERT_STRING_EQUAL(jstr(a2, "operator_source"), "none");
    CU_ASSERT_STRING_EQUAL(jstr(a2, "result"), bad.error);
    CU_ASSERT_PTR_NOT_NULL(strstr(jstr(a2, "result"), "not JSON"));
    CU_ASSERT_STRING_EQUAL(jstr(a2, "alert_id"), "<null>");
    CU_ASSERT_STRING_EQUAL(jstr(a2, "seq"), "<null>");
    cJSON_Delete(a1);
    cJSON_Delete(a2);
    free(txt);

    /* reopened after a crash mid-line: the torn line stays apart, appends go after it */
    int fd = open(path, O_WRONLY | O_APPEND);
    CU_ASSERT_TRUE_FATAL(fd >= 0);
    CU_ASSERT_EQUAL(write(fd, "{\"time\":\"2026", 13), 13);
    close(fd);
    CU_ASSERT_EQUAL_FATAL(bf_audit_open(path, &au), 0);
    CU_ASSERT_EQUAL(bf_audit_write(au, T0, &r, &res), 0);
    bf_audit_close(au);
    txt = bf_test_read_file(path, &n);
    CU_ASSERT_PTR_NOT_NULL_FATAL(txt);
    int lines = 0, good = 0;
    for (char *line = strtok(txt, "\n"); line; line = strtok(NULL, "\n")) {
        lines++;
        cJSON *j = cJSON_Parse(line);
        good += j != NULL;
        cJSON_Delete(j);
    }
    CU_ASSERT_EQUAL(lines, 4);
    CU_ASSERT_EQUAL(good, 3);
    free(txt);
    struct stat sb;
    CU_ASSERT_EQUAL(stat(path, &sb), 0);
    CU_ASSERT_EQUAL(sb.st_mode & 0077 & ~(unsigned)S_IRGRP, 0);   /* not writable by others */
    CU_ASSERT_EQUAL(bf_audit_open(fx_tmp_path("no-such-dir/audit.jsonl"), &au), BF_EIO);
    CU_ASSERT_PTR_NULL(au);
    bf_audit_close(NULL);
}

static CU_TestInfo tests[] = {
    {"parse good requests", test_parse_good},
    {"parse refusals", test_parse_refusals},
    {"acknowledge", test_acknowledge},
    {"ACKNOWLEDGED survives updates", test_acknowledged_survives_updates},
    {"assign a unit", test_assign},
    {"resolve closes the key", test_resolve_closes_key},
    {"false alarm", test_false_alarm},
    {"refusals by the alerter", test_refusals},
    {"sensor fault acknowledged and resolved", test_sensor_fault},
    {"system fault raised once per kind, never idle-resolved", test_system_fault},
    {"reply JSON", test_reply_json},
    {"audit log", test_audit_log},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"lifecycle", fx_init, fx_clean, NULL, NULL, tests},
    CU_SUITE_INFO_NULL,
};

int main(void) { return bf_test_main(suites); }
