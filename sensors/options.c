/*
 * options.c - the typed reader of a sensor plugin's "options" (options.h).
 *
 * A typo in a sensor's options must stop that sensor with a message that
 * says where (file:line:col and the JSON path, when the host passed the
 * config document), what was expected and what the option is for, instead of
 * being ignored.  The checks and the "did you mean" are core/bf_json.h's;
 * this file walks a plugin's table, stores the values by offset, and wraps
 * the diagnostics so that each one names the option (also without a
 * document), the option's meaning and the plugin's page.
 */
#include "sensors/options.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/bf_error.h"
#include "core/bf_log.h"

/* What the wrapping diagnostic callback adds to every report. */
struct wrap {
    struct bf_diag *out;                /* the caller's (NULL: stderr) */
    const struct bf_sensor_opts *spec;
    const struct bf_sensor_opt *cur;    /* the entry being read, NULL for the whole object */
};

static void wrap_report(void *ctx, const char *file, int line, int col, const char *path,
                        const char *msg)
{
    const struct wrap *w = ctx;
    char own[160];
    if (!path || !path[0]) {   /* no document: name the option by its place in the sensor */
        snprintf(own, sizeof own, "options%s%s", w->cur ? "." : "", w->cur ? w->cur->key : "");
        path = own;
    }
    const char *help = w->cur && w->cur->help ? w->cur->help : NULL;
    bf_diag_errorf(w->out, file, line, col, path, "%s%s%s (plugin \"%s\", %s)", msg,
                   help ? " - " : "", help ? help : "", w->spec->plugin,
                   w->spec->doc ? w->spec->doc : "docs/plugins.md");
}

/* "between 1 and 65535", "> 0 and <= 170", ">= 0" */
static void range_text(const struct bf_sensor_opt *o, char *buf, size_t len)
{
    const char *lo = (o->flags & BF_OPT_MIN_OPEN) ? ">" : ">=";
    if (isinf(o->max))
        snprintf(buf, len, "%s %g", lo, o->min);
    else if (isinf(o->min))
        snprintf(buf, len, "<= %g", o->max);
    else if (o->flags & BF_OPT_MIN_OPEN)
        snprintf(buf, len, "> %g and <= %g", o->min, o->max);
    else
        snprintf(buf, len, "between %g and %g", o->min, o->max);
}

static bool bounded(const struct bf_sensor_opt *o) { return o->min != 0 || o->max != 0; }

static bool in_range(const struct bf_sensor_opt *o, double x)
{
    if (!bounded(o))
        return true;
    bool lo = (o->flags & BF_OPT_MIN_OPEN) ? x > o->min : x >= o->min;
    return lo && x <= o->max;
}

/* A number of the entry's kind (INT or DOUBLE) in its range; false after reporting. */
static bool read_number(const struct bf_json_doc *doc, struct bf_diag *d,
                        const struct bf_sensor_opt *o, const cJSON *v, double *x)
{
    bool is_int = o->type == BF_OPT_INT;
    char got[96], want[80] = "";
    bf_json_describe(v, got, sizeof got);
    if (bounded(o))
        range_text(o, want, sizeof want);
    const char *kind = is_int ? "an integer" : "a number";
    bool ok = cJSON_IsNumber(v) && isfinite(v->valuedouble);
    if (ok && is_int)
        ok = v->valuedouble == floor(v->valuedouble) && fabs(v->valuedouble) <= INT32_MAX;
    if (!ok || !in_range(o, v->valuedouble)) {
        bf_json_errorf(doc, d, v, "expected %s%s%s, got %s", kind, want[0] ? " " : "", want, got);
        return false;
    }
    *x = v->valuedouble;
    return true;
}

/* Store a present value (of any type) into field; false after reporting. */
static bool read_value(const struct bf_json_doc *doc, struct bf_diag *d,
                       const struct bf_sensor_opt *o, const cJSON *options, const cJSON *v,
                       void *field)
{
    static const char *const type_name[] = {
        [BF_OPT_BOOL] = "true or false", [BF_OPT_STRING] = "a non-empty string",
        [BF_OPT_OBJECT] = "an object {...}", [BF_OPT_ARRAY] = "an array [...]",
    };
    bool ok = true;
    double x = 0;
    int idx = 0;
    switch (o->type) {
    case BF_OPT_BOOL:
        ok = cJSON_IsBool(v);
        break;
    case BF_OPT_INT:
    case BF_OPT_DOUBLE:
        if (!read_number(doc, d, o, v, &x))
            return false;
        break;
    case BF_OPT_STRING:
        ok = cJSON_IsString(v) && v->valuestring && v->valuestring[0];
        break;
    case BF_OPT_ENUM:
        if (bf_json_get_enum(doc, d, options, o->key, false, o->choices, &idx) != 0)
            return false;
        break;
    case BF_OPT_OBJECT:
        ok = cJSON_IsObject(v);
        break;
    case BF_OPT_ARRAY:
        ok = cJSON_IsArray(v);
        break;
    }
    if (!ok) {
        char got[96];
        bf_json_describe(v, got, sizeof got);
        bf_json_errorf(doc, d, v, "expected %s, got %s", type_name[o->type], got);
        return false;
    }
    if (o->parse) {
        char why[256] = "";
        if (o->parse(v, field, why, sizeof why) != 0) {
            bf_json_errorf(doc, d, v, "%s", why[0] ? why : "not a valid value");
            return false;
        }
        return true;
    }
    switch (o->type) {
    case BF_OPT_BOOL: *(bool *)field = cJSON_IsTrue(v); break;
    case BF_OPT_INT: *(int *)field = (int)x; break;
    case BF_OPT_DOUBLE: *(double *)field = x; break;
    case BF_OPT_STRING: *(const char **)field = v->valuestring; break;
    case BF_OPT_ENUM: *(int *)field = idx; break;
    case BF_OPT_OBJECT:
    case BF_OPT_ARRAY: *(const cJSON **)field = v; break;
    }
    return true;
}

static void store_default(const struct bf_sensor_opt *o, void *field)
{
    if ((o->flags & BF_OPT_KEEP) || o->parse)   /* a hook's field is of the hook's type */
        return;
    switch (o->type) {
    case BF_OPT_BOOL: *(bool *)field = o->def != 0; break;
    case BF_OPT_INT:
    case BF_OPT_ENUM: *(int *)field = (int)o->def; break;
    case BF_OPT_DOUBLE: *(double *)field = o->def; break;
    case BF_OPT_STRING: *(const char **)field = o->def_str; break;
    case BF_OPT_OBJECT:
    case BF_OPT_ARRAY: *(const cJSON **)field = NULL; break;
    }
}

/* The keys of spec, NULL-terminated (freed by the caller). */
static const char **key_list(const struct bf_sensor_opts *spec)
{
    const char **keys = calloc(spec->n + 1, sizeof *keys);
    for (size_t i = 0; keys && i < spec->n; i++)
        keys[i] = spec->opt[i].key;
    return keys;
}

/* "\"port\", \"sac\" and \"sic\"": the required keys, for a missing options object. */
static void required_list(const struct bf_sensor_opts *spec, char *buf, size_t len)
{
    size_t n = 0, total = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < spec->n; i++)
        total += (spec->opt[i].flags & BF_OPT_REQUIRED) != 0;
    for (size_t i = 0; i < spec->n; i++) {
        if (!(spec->opt[i].flags & BF_OPT_REQUIRED))
            continue;
        size_t at = strlen(buf);
        snprintf(buf + at, len - at, "%s\"%s\"", n == 0 ? "" : n + 1 == total ? " and " : ", ",
                 spec->opt[i].key);
        n++;
    }
}

int bf_sensor_opts_check(const struct bf_json_doc *doc, struct bf_diag *diag,
                         const cJSON *options, const struct bf_sensor_opts *spec, void *dst)
{
    struct wrap w = {.out = diag, .spec = spec};
    struct bf_diag d = {.report = wrap_report, .ctx = &w};
    if (options && !cJSON_IsObject(options)) {
        char got[96];
        bf_json_describe(options, got, sizeof got);
        bf_json_errorf(doc, &d, options, "expected an object of options {...}, got %s", got);
        return BF_EINVAL;
    }
    char req[256];
    required_list(spec, req, sizeof req);
    if (!options && req[0]) {
        bf_json_errorf(doc, &d, NULL, "the sensor needs \"options\" with %s", req);
        return BF_EINVAL;
    }
    if (options && options->child && spec->n == 0) {
        bf_json_errorf(doc, &d, options->child, "unknown key \"%s\": this plugin takes no "
                       "options; remove \"options\"", options->child->string);
        return BF_EINVAL;
    }
    if (options) {
        const char **keys = key_list(spec);
        if (!keys)
            return BF_ENOMEM;
        bf_json_check_keys(doc, &d, options, keys);
        free(keys);
    }
    for (size_t i = 0; i < spec->n; i++) {
        const struct bf_sensor_opt *o = &spec->opt[i];
        void *field = (char *)dst + o->offset;
        const cJSON *v = options ? cJSON_GetObjectItemCaseSensitive(options, o->key) : NULL;
        w.cur = o;
        if (v)
            read_value(doc, &d, o, options, v, field);
        else if (o->flags & BF_OPT_REQUIRED)
            bf_json_errorf(doc, &d, options, "missing required key \"%s\"", o->key);
        else
            store_default(o, field);
    }
    return d.n_errors ? BF_EINVAL : 0;
}

/* The diagnostics of a sensor's options go to the log, behind the sensor's id. */
static void log_report(void *ctx, const char *file, int line, int col, const char *path,
                       const char *msg)
{
    char buf[1024];
    bf_diag_format(buf, sizeof buf, file, line, col, path, msg);
    BF_LOGE("sensor", "%s: %s", (const char *)ctx, buf);
}

int bf_sensor_opts_read(const struct bf_sensor_config *cfg, const struct bf_sensor_opts *spec,
                        void *dst)
{
    struct bf_diag d = {.report = log_report, .ctx = (void *)(cfg->id ? cfg->id : "?")};
    return bf_sensor_opts_check(cfg->doc, &d, cfg->options, spec, dst);
}

void bf_sensor_opt_errorf(const struct bf_sensor_config *cfg, const struct bf_sensor_opts *spec,
                          const char *key, const char *fmt, ...)
{
    struct bf_diag log = {.report = log_report, .ctx = (void *)(cfg->id ? cfg->id : "?")};
    struct wrap w = {.out = &log, .spec = spec};
    for (size_t i = 0; key && i < spec->n; i++)
        if (strcmp(spec->opt[i].key, key) == 0)
            w.cur = &spec->opt[i];
    struct bf_diag d = {.report = wrap_report, .ctx = &w};
    const cJSON *node = cfg->options;
    if (key && cfg->options)
        node = cJSON_GetObjectItemCaseSensitive(cfg->options, key);
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    bf_json_errorf(cfg->doc, &d, node, "%s", msg);
}
