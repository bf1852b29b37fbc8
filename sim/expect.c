/*
 * expect.c - a scenario's expected outcome, checked against what the engine
 * did (docs/scenario.md, "Expected outcome").
 *
 * The problem: a scenario library is only worth something if each scenario
 * says what must happen and the run says whether it did - for the test suite
 * (every library scenario is played against the real engine and its
 * expectations asserted) and for trainers (a run that did not go as planned
 * says so, and exits non-zero).  The expectation is written in the terms of
 * the scorecard:
 *
 *   "expect": {
 *     "alerted":     ["walker-1", "group-1"],   each of their crossings must draw an INCURSION
 *     "not_alerted": ["deer", "turn-back"],      targets that must draw none
 *     "max_false_alerts": 0,                     INCURSIONs matching no crossing
 *     "alert_types": {"SENSOR_FAULT": {"min": 1, "max": 2}}   distinct alert ids by type
 *   }
 *
 * Each expectation gives one line of the result: what was asked, what
 * happened, met or not.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/bf_json.h"
#include "sim/sim.h"

void bf_sim_expect_validate(const struct bf_json_doc *doc, struct bf_diag *diag,
                            const cJSON *expect, const struct bf_sim_scenario *s)
{
    static const char *const keys[] = {"alerted", "not_alerted", "max_false_alerts",
                                       "alert_types", NULL};
    if (!cJSON_IsObject(expect)) {
        char got[96];
        bf_json_describe(expect, got, sizeof got);
        bf_json_errorf(doc, diag, expect, "expected an object {\"alerted\": [...], \"not_alerted\": "
                       "[...], \"max_false_alerts\": n, \"alert_types\": {...}}, got %s", got);
        return;
    }
    bf_json_check_keys(doc, diag, expect, keys);
    static const char *const lists[] = {"alerted", "not_alerted"};
    for (int k = 0; k < 2; k++) {
        const cJSON *arr = NULL;
        if (bf_json_get_array(doc, diag, expect, lists[k], false, &arr) != 0 || !arr)
            continue;
        const cJSON *it;
        cJSON_ArrayForEach(it, arr)
        {
            bool known = false;
            for (size_t i = 0; cJSON_IsString(it) && i < s->n_targets && !known; i++)
                known = (s->targets[i].id && strcmp(s->targets[i].id, it->valuestring) == 0) ||
                        (s->targets[i].group && strcmp(s->targets[i].group, it->valuestring) == 0);
            if (!known)
                bf_json_errorf(doc, diag, it, "expected the id of a target or group of this "
                               "scenario");
        }
    }
    int64_t v;
    bf_json_get_int(doc, diag, expect, "max_false_alerts", false, 0, 1000000, &v);
    const cJSON *types = NULL;
    if (bf_json_get_object(doc, diag, expect, "alert_types", false, &types) == 0 && types) {
        static const char *const tkeys[] = {"min", "max", NULL};
        const cJSON *t;
        cJSON_ArrayForEach(t, types)
        {
            static const char *const names[] = {"INCURSION", "ZONE_ENTRY", "APPROACH", "LOITER",
                                                "UGS_TRIGGER", "SENSOR_FAULT", NULL};
            bool ok = false;
            for (int i = 0; names[i] && !ok; i++)
                ok = strcmp(names[i], t->string) == 0;
            if (!ok)
                bf_json_errorf(doc, diag, t, "unknown alert type \"%s\" (INCURSION, ZONE_ENTRY, "
                               "APPROACH, LOITER, UGS_TRIGGER or SENSOR_FAULT)", t->string);
            if (!cJSON_IsObject(t)) {
                bf_json_errorf(doc, diag, t, "expected {\"min\": n, \"max\": n}");
                continue;
            }
            bf_json_check_keys(doc, diag, t, tkeys);
            bf_json_get_int(doc, diag, t, "min", false, 0, 1000000, &v);
            bf_json_get_int(doc, diag, t, "max", false, 0, 1000000, &v);
        }
    }
}

/* One result line: printed, and kept in the JSON. */
static void outcome(cJSON *res, FILE *out, bool met, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void outcome(cJSON *res, FILE *out, bool met, const char *fmt, ...)
{
    char text[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    if (out)
        fprintf(out, "  %-4s %s\n", met ? "ok" : "FAIL", text);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddBoolToObject(o, "met", met);
    cJSON_AddStringToObject(o, "what", text);
    cJSON_AddItemToArray(cJSON_GetObjectItem(res, "results"), o);
    if (!met) {
        cJSON *f = cJSON_GetObjectItem(res, "failed");
        cJSON_SetNumberValue(f, f->valuedouble + 1);
    }
}

static const struct bf_sim_target_verdict *verdict_of(const struct bf_sim_score *sc,
                                                      const char *key)
{
    for (size_t i = 0; i < sc->n_targets; i++)
        if (strcmp(sc->targets[i].key, key) == 0)
            return &sc->targets[i];
    return NULL;
}

cJSON *bf_sim_expect_check(const struct bf_sim_scenario *s, const struct bf_sim_crossing *cr,
                           size_t n_cr, const struct bf_sim_scored_alert *al, size_t n_al,
                           const struct bf_sim_score *sc, FILE *out)
{
    if (!s || !s->expect)
        return NULL;
    cJSON *res = cJSON_CreateObject();
    if (!res)
        return NULL;
    cJSON_AddNumberToObject(res, "failed", 0);
    cJSON_AddArrayToObject(res, "results");
    if (out)
        fprintf(out, "expected outcome:\n");
    const cJSON *it;
    cJSON_ArrayForEach(it, cJSON_GetObjectItem(s->expect, "alerted"))
    {
        /* every crossing of the target (or group) that owes an alert, not only its first */
        const char *key = it->valuestring;
        size_t n = 0, ok = 0, animal = 0, lawful = 0, first_missed = SIZE_MAX;
        char lags[160] = "";
        size_t pos = 0;
        for (size_t i = 0; i < n_cr; i++) {
            if (strcmp(cr[i].key, key) != 0)
                continue;
            if (!sc->per_crossing[i].owed) {
                if (cr[i].at_crossing_point)
                    lawful++;
                else
                    animal++;
                continue;
            }
            n++;
            if (sc->per_crossing[i].alerted) {
                ok++;
                int w = snprintf(lags + pos, sizeof lags - pos, "%s%+.1f s", pos ? ", " : "",
                                 sc->per_crossing[i].lag_s);
                if (w > 0 && (size_t)w < sizeof lags - pos)
                    pos += (size_t)w;
            } else if (first_missed == SIZE_MAX) {
                first_missed = n;
            }
        }
        if (n == 0 && animal > 0)
            outcome(res, out, false, "%s alerted: it is an animal, whose crossing owes no "
                    "INCURSION", key);
        else if (n == 0 && lawful > 0)
            outcome(res, out, false, "%s alerted: it crossed only at an official crossing point, "
                    "which owes no INCURSION", key);
        else if (n == 0)
            outcome(res, out, false, "%s alerted: it never crossed the line in the truth", key);
        else if (n == 1 && ok == 0)
            outcome(res, out, false, "%s alerted: its crossing drew no INCURSION", key);
        else if (n == 1)
            outcome(res, out, true, "%s alerted (lag %s)", key, lags);
        else if (ok < n)
            outcome(res, out, false, "%s alerted: %zu of its %zu crossings drew no INCURSION "
                    "(the first: crossing %zu)", key, n - ok, n, first_missed);
        else
            outcome(res, out, true, "%s alerted at each of its %zu crossings (lags %s)", key, n,
                    lags);
    }
    cJSON_ArrayForEach(it, cJSON_GetObjectItem(s->expect, "not_alerted"))
    {
        const struct bf_sim_target_verdict *v = verdict_of(sc, it->valuestring);
        unsigned n = v ? v->incursions : 0;
        outcome(res, out, n == 0, "%s not alerted: %u INCURSION%s", it->valuestring, n,
                n == 1 ? "" : "s");
    }
    const cJSON *mf = cJSON_GetObjectItem(s->expect, "max_false_alerts");
    if (cJSON_IsNumber(mf))
        outcome(res, out, sc->false_alerts <= (size_t)mf->valuedouble,
                "at most %.0f false alerts: %zu", mf->valuedouble, sc->false_alerts);
    const cJSON *t;
    cJSON_ArrayForEach(t, cJSON_GetObjectItem(s->expect, "alert_types"))
    {
        size_t n = 0;
        for (size_t i = 0; i < n_al; i++)
            n += strcmp(al[i].type, t->string) == 0;
        const cJSON *mn = cJSON_GetObjectItem(t, "min"), *mx = cJSON_GetObjectItem(t, "max");
        bool met = (!cJSON_IsNumber(mn) || n >= (size_t)mn->valuedouble) &&
                   (!cJSON_IsNumber(mx) || n <= (size_t)mx->valuedouble);
        char range[64];
        if (cJSON_IsNumber(mx))
            snprintf(range, sizeof range, "%.0f to %.0f",
                     cJSON_IsNumber(mn) ? mn->valuedouble : 0.0, mx->valuedouble);
        else
            snprintf(range, sizeof range, "at least %.0f",
                     cJSON_IsNumber(mn) ? mn->valuedouble : 0.0);
        outcome(res, out, met, "%s alerts, %s: %zu", t->string, range, n);
    }
    if (out) {
        int failed = (int)cJSON_GetObjectItem(res, "failed")->valuedouble;
        fprintf(out, "%s\n", failed ? "expected outcome NOT met" : "expected outcome met");
    }
    return res;
}
