/*
 * test_options.c - the typed reader of a sensor plugin's options
 * (sensors/options.h): values stored by offset, defaults, every mistake
 * reported with the config's line, column and path (or "options.<key>"
 * without a document), "did you mean", ranges with open and closed ends,
 * parse hooks, and the log form a plugin's own finding takes.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bf_test.h"
#include "core/bf_error.h"
#include "core/bf_json.h"
#include "core/bf_log.h"
#include "sensors/options.h"

struct opts {
    bool flag;
    int count;
    double gain, ratio;
    const char *name;
    int mode;
    const cJSON *extra;
    int kept;
    int even;
};

static const char *const modes[] = {"fast", "slow", NULL};

static int parse_even(const cJSON *v, void *field, char *why, size_t why_len)
{
    int x = (int)v->valuedouble;
    if (x % 2) {
        snprintf(why, why_len, "expected an even number, got %d", x);
        return -1;
    }
    *(int *)field = x;
    return 0;
}

#define O(f) offsetof(struct opts, f)
static const struct bf_sensor_opt test_opt[] = {
    {"flag", BF_OPT_BOOL, 0, O(flag), .def = 1, .help = "a switch"},
    {"count", BF_OPT_INT, BF_OPT_REQUIRED, O(count), 1, 10, .help = "how many"},
    {"gain", BF_OPT_DOUBLE, 0, O(gain), -3, 3, .def = 0.5},
    {"ratio", BF_OPT_DOUBLE, BF_OPT_MIN_OPEN, O(ratio), 0, 1, .def = 1},
    {"name", BF_OPT_STRING, 0, O(name), .def_str = "anon"},
    {"mode", BF_OPT_ENUM, 0, O(mode), .def = 1, .choices = modes},
    {"extra", BF_OPT_OBJECT, 0, O(extra), .help = "anything"},
    {"kept", BF_OPT_INT, BF_OPT_KEEP, O(kept), 0, 100, .help = "left alone"},
    {"even", BF_OPT_INT, 0, O(even), .parse = parse_even, .help = "an even count"},
};
#undef O
static const struct bf_sensor_opts spec =
    BF_SENSOR_OPTS("probe", "docs/plugins.md", test_opt);

/* ---- collecting diagnostics ------------------------------------------------ */

#define MAX_MSGS 16

struct seen {
    int n;
    int line[MAX_MSGS], col[MAX_MSGS];
    char path[MAX_MSGS][128];
    char msg[MAX_MSGS][512];
};

static void collect(void *ctx, const char *file, int line, int col, const char *path,
                    const char *msg)
{
    (void)file;
    struct seen *s = ctx;
    if (s->n == MAX_MSGS)
        return;
    s->line[s->n] = line;
    s->col[s->n] = col;
    snprintf(s->path[s->n], sizeof s->path[0], "%s", path ? path : "");
    snprintf(s->msg[s->n], sizeof s->msg[0], "%s", msg);
    s->n++;
}

/* Parse a config text and read sensors[0].options of it into o. */
static int read_doc(const char *text, struct opts *o, struct seen *seen)
{
    struct bf_diag d = {.report = collect, .ctx = seen};
    struct bf_json_doc *doc = NULL;
    CU_ASSERT_EQUAL_FATAL(bf_json_doc_parse(text, strlen(text), "site.json", &doc, &d), 0);
    const cJSON *sensors = cJSON_GetObjectItemCaseSensitive(bf_json_doc_root(doc), "sensors");
    const cJSON *options = cJSON_GetObjectItemCaseSensitive(sensors->child, "options");
    int rc = bf_sensor_opts_check(doc, &d, options, &spec, o);
    if (o->name)   /* borrowed from the doc: keep a copy to look at after it goes */
        o->name = strcmp(o->name, "anon") == 0 ? "anon" : "(from the doc)";
    bf_json_doc_destroy(doc);
    return rc;
}

/* ---- tests ---------------------------------------------------------------- */

static void test_values_and_defaults(void)
{
    struct opts o = {.kept = 42, .even = 8};
    struct seen seen = {0};
    const char *text = "{\"sensors\": [{\"id\": \"p\", \"options\": {\"count\": 3, \"ratio\": 0.25,\n"
                       "  \"mode\": \"fast\", \"extra\": {\"a\": 1}, \"flag\": false, \"even\": 4}}]}";
    CU_ASSERT_EQUAL(read_doc(text, &o, &seen), 0);
    CU_ASSERT_EQUAL(seen.n, 0);
    CU_ASSERT_EQUAL(o.count, 3);
    CU_ASSERT_FALSE(o.flag);
    BF_ASSERT_NEAR(o.gain, 0.5, 0);      /* default */
    BF_ASSERT_NEAR(o.ratio, 0.25, 0);
    CU_ASSERT_STRING_EQUAL(o.name, "anon");   /* default string */
    CU_ASSERT_EQUAL(o.mode, 0);
    CU_ASSERT_PTR_NOT_NULL(o.extra);
    CU_ASSERT_EQUAL(o.kept, 42);         /* BF_OPT_KEEP: left as it was */
    CU_ASSERT_EQUAL(o.even, 4);          /* through the parse hook */

    /* absent: a hook's field is left alone (it is of the hook's type, not the table's) */
    o.even = 6;
    CU_ASSERT_EQUAL(read_doc("{\"sensors\": [{\"options\": {\"count\": 2}}]}", &o, &seen), 0);
    CU_ASSERT_EQUAL(o.even, 6);
    CU_ASSERT_TRUE(o.flag);              /* default true */
    CU_ASSERT_EQUAL(o.mode, 1);          /* default index: "slow" */

    /* no options at all: a required key makes that an error naming it */
    struct bf_diag d = {.report = collect, .ctx = &seen};
    CU_ASSERT_EQUAL(bf_sensor_opts_check(NULL, &d, NULL, &spec, &o), BF_EINVAL);
    CU_ASSERT_EQUAL(seen.n, 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(seen.msg[0], "needs \"options\" with \"count\""));
}

static void test_errors_located(void)
{
    struct opts o = {0};
    struct seen seen = {0};
    /* line 2: a typo; line 3: out of range, a fraction, an open bound; line 4: types */
    const char *text = "{\"sensors\": [{\"id\": \"p\", \"options\": {\n"
                       "  \"cuont\": 3,\n"
                       "  \"count\": 11, \"gain\": 2.5, \"ratio\": 0,\n"
                       "  \"flag\": \"yes\", \"name\": \"\", \"mode\": \"slwo\", \"even\": 3}}]}";
    CU_ASSERT_EQUAL(read_doc(text, &o, &seen), BF_EINVAL);
    CU_ASSERT_EQUAL_FATAL(seen.n, 7);
    /* the typo, at its key, with a suggestion */
    CU_ASSERT_EQUAL(seen.line[0], 2);
    CU_ASSERT_EQUAL(seen.col[0], 3);
    CU_ASSERT_STRING_EQUAL(seen.path[0], "sensors[0].options.cuont");
    CU_ASSERT_PTR_NOT_NULL(strstr(seen.msg[0], "did you mean \"count\"?"));
    CU_ASSERT_PTR_NOT_NULL(strstr(seen.msg[0], "(plugin \"probe\", docs/plugins.md)"));
    /* reports come in table order: flag, count, ratio, name, mode, even */
    CU_ASSERT_EQUAL(seen.line[1], 4);
    CU_ASSERT_STRING_EQUAL(seen.path[1], "sensors[0].options.flag");
    CU_ASSERT_PTR_NOT_NULL(strstr(seen.msg[1], "expected true or false, got a string \"yes\" - a switch"));
    CU_ASSERT_EQUAL(seen.line[2], 3);
    CU_ASSERT_EQUAL(seen.col[2], 12);
    CU_ASSERT_PTR_NOT_NULL(strstr(seen.msg[2], "expected an integer between 1 and 10, got a number 11 - how many"));
    CU_ASSERT_STRING_EQUAL(seen.path[3], "sensors[0].options.ratio");
    CU_ASSERT_PTR_NOT_NULL(strstr(seen.msg[3], "expected a number > 0 and <= 1, got a number 0"));
    CU_ASSERT_PTR_NOT_NULL(strstr(seen.msg[4], "expected a non-empty string"));
    CU_ASSERT_PTR_NOT_NULL(strstr(seen.msg[5], "did you mean \"slow\"?"));
    CU_ASSERT_STRING_EQUAL(seen.path[6], "sensors[0].options.even");
    CU_ASSERT_PTR_NOT_NULL(strstr(seen.msg[6], "expected an even number, got 3 - an even count"));
    /* gain 2.5 is within [-3, 3]: stored although other keys failed */
    BF_ASSERT_NEAR(o.gain, 2.5, 0);

    /* an integer with a fraction, a required key missing */
    memset(&seen, 0, sizeof seen);
    text = "{\"sensors\": [{\"id\": \"p\", \"options\": {\"kept\": 2.5}}]}";
    CU_ASSERT_EQUAL(read_doc(text, &o, &seen), BF_EINVAL);
    CU_ASSERT_EQUAL_FATAL(seen.n, 2);
    CU_ASSERT_STRING_EQUAL(seen.path[0], "sensors[0].options");
    CU_ASSERT_PTR_NOT_NULL(strstr(seen.msg[0], "missing required key \"count\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(seen.msg[1], "expected an integer between 0 and 100, got a number 2.5"));
}

static void test_without_doc(void)
{
    struct opts o = {0};
    struct seen seen = {0};
    struct bf_diag d = {.report = collect, .ctx = &seen};
    cJSON *opt = cJSON_Parse("{\"count\": 0, \"gian\": 1}");
    CU_ASSERT_EQUAL(bf_sensor_opts_check(NULL, &d, opt, &spec, &o), BF_EINVAL);
    CU_ASSERT_EQUAL_FATAL(seen.n, 2);
    CU_ASSERT_EQUAL(seen.line[0], 0);
    CU_ASSERT_STRING_EQUAL(seen.path[0], "options");
    CU_ASSERT_PTR_NOT_NULL(strstr(seen.msg[0], "did you mean \"gain\"?"));
    CU_ASSERT_STRING_EQUAL(seen.path[1], "options.count");
    cJSON_Delete(opt);

    /* not an object; a table without options refuses any key */
    memset(&seen, 0, sizeof seen);
    opt = cJSON_Parse("[1]");
    CU_ASSERT_EQUAL(bf_sensor_opts_check(NULL, &d, opt, &spec, &o), BF_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(seen.msg[0], "expected an object of options"));
    cJSON_Delete(opt);
    static const struct bf_sensor_opts none = {"bare", NULL, NULL, 0};
    opt = cJSON_Parse("{\"x\": 1}");
    CU_ASSERT_EQUAL(bf_sensor_opts_check(NULL, &d, opt, &none, NULL), BF_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(seen.msg[1], "takes no options"));
    cJSON_Delete(opt);
    opt = cJSON_Parse("{}");
    CU_ASSERT_EQUAL(bf_sensor_opts_check(NULL, &d, opt, &none, NULL), 0);
    CU_ASSERT_EQUAL(bf_sensor_opts_check(NULL, &d, NULL, &none, NULL), 0);
    CU_ASSERT_EQUAL(seen.n, 2);
    cJSON_Delete(opt);
}

/* bf_sensor_opts_read and bf_sensor_opt_errorf log behind the sensor id, with the position. */
static void test_logged_with_position(void)
{
    const char *text = "{\"sensors\": [{\"id\": \"r1\",\n \"options\": {\"count\": 4,\n"
                       "  \"gain\": 9}}]}";
    struct bf_json_doc *doc = NULL;
    CU_ASSERT_EQUAL_FATAL(bf_json_doc_parse(text, strlen(text), "site.json", &doc, NULL), 0);
    const cJSON *sensors = cJSON_GetObjectItemCaseSensitive(bf_json_doc_root(doc), "sensors");
    struct bf_sensor_config cfg = {
        .abi_version = BF_SENSOR_ABI, .id = "r1", .doc = doc,
        .options = cJSON_GetObjectItemCaseSensitive(sensors->child, "options"),
    };
    FILE *log = tmpfile();
    CU_ASSERT_PTR_NOT_NULL_FATAL(log);
    bf_log_set_stream(log);
    struct opts o = {0};
    CU_ASSERT_EQUAL(bf_sensor_opts_read(&cfg, &spec, &o), BF_EINVAL);
    bf_sensor_opt_errorf(&cfg, &spec, "count", "%d is too many for %s", 4, "this site");
    bf_log_set_stream(NULL);
    char buf[2048] = "";
    rewind(log);
    size_t n = fread(buf, 1, sizeof buf - 1, log);
    buf[n] = '\0';
    fclose(log);
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "r1: site.json:3:11: sensors[0].options.gain: expected a "
                                       "number between -3 and 3, got a number 9"));
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "r1: site.json:2:23: sensors[0].options.count: 4 is too "
                                       "many for this site - how many (plugin \"probe\""));
    bf_json_doc_destroy(doc);
}

static CU_TestInfo option_tests[] = {
    {"values, defaults, kept fields, parse hooks", test_values_and_defaults},
    {"every mistake located with line, column and path", test_errors_located},
    {"without a document: options.<key>", test_without_doc},
    {"logged behind the sensor id", test_logged_with_position},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"sensor_options", NULL, NULL, NULL, NULL, option_tests},
    CU_SUITE_INFO_NULL,
};

int main(void) { return bf_test_main(suites); }
