/*
 * test_json.c - positions, paths, syntax errors and typed getters of
 * bf_json, and the diagnostic format of bf_diag.
 *
 * Every expectation (line, column, path, message) was counted by hand from
 * the texts below; diagnostics are collected through a report callback and
 * compared as the full "name:line:col: path: message" string.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bf_test.h"
#include "core/bf_error.h"
#include "core/bf_json.h"

/* ---- collecting diagnostics ------------------------------------------------ */

#define MAX_MSGS 16

struct collect {
    int n;
    char msg[MAX_MSGS][512];
};

static void collect_report(void *ctx, const char *file, int line, int col, const char *path,
                           const char *msg)
{
    struct collect *c = ctx;
    if (c->n < MAX_MSGS)
        bf_diag_format(c->msg[c->n], sizeof c->msg[0], file, line, col, path, msg);
    c->n++;
}

static struct collect col;
static struct bf_diag diag;

static void reset(void)
{
    memset(&col, 0, sizeof col);
    diag = (struct bf_diag){.report = collect_report, .ctx = &col, .n_errors = 0};
}

static struct bf_json_doc *parse_ok(const char *text)
{
    struct bf_json_doc *doc = NULL;
    int r = bf_json_doc_parse(text, strlen(text), "t.json", &doc, &diag);
    CU_ASSERT_EQUAL(r, 0);
    CU_ASSERT_PTR_NOT_NULL(doc);
    return doc;
}

static void expect_exact(int i, const char *want)
{
    CU_ASSERT_FATAL(i < col.n && i < MAX_MSGS);
    if (strcmp(col.msg[i], want) != 0)
        printf("\n  diagnostic %d: [%s]\n  wanted        [%s]\n", i, col.msg[i], want);
    CU_ASSERT_STRING_EQUAL(col.msg[i], want);
}

/* Depth-first search for the node whose path is path. */
static const cJSON *find_path(const struct bf_json_doc *doc, const cJSON *node, const char *path)
{
    struct bf_json_where w;
    if (bf_json_doc_where(doc, node, &w) && strcmp(w.path, path) == 0)
        return node;
    for (const cJSON *c = node->child; c; c = c->next) {
        const cJSON *f = find_path(doc, c, path);
        if (f)
            return f;
    }
    return NULL;
}

struct pos_case {
    const char *path;
    int line, col;
    const char *describe;   /* bf_json_describe of the node */
};

static void check_positions(const char *text, const struct pos_case *cases, size_t n)
{
    reset();
    struct bf_json_doc *doc = parse_ok(text);
    CU_ASSERT_FATAL(doc != NULL);
    CU_ASSERT_EQUAL(diag.n_errors, 0);
    for (size_t i = 0; i < n; i++) {
        const cJSON *node = find_path(doc, bf_json_doc_root(doc), cases[i].path);
        if (!node)
            printf("\n  no node with path [%s]\n", cases[i].path);
        CU_ASSERT_PTR_NOT_NULL(node);
        if (!node)
            continue;
        struct bf_json_where w;
        CU_ASSERT_TRUE(bf_json_doc_where(doc, node, &w));
        if (w.line != cases[i].line || w.col != cases[i].col)
            printf("\n  [%s] at %d:%d, wanted %d:%d\n", cases[i].path, w.line, w.col, cases[i].line,
                   cases[i].col);
        CU_ASSERT_EQUAL(w.line, cases[i].line);
        CU_ASSERT_EQUAL(w.col, cases[i].col);
        char d[128];
        bf_json_describe(node, d, sizeof d);
        if (strcmp(d, cases[i].describe) != 0)
            printf("\n  [%s] is [%s], wanted [%s]\n", cases[i].path, d, cases[i].describe);
        CU_ASSERT_STRING_EQUAL(d, cases[i].describe);
    }
    bf_json_doc_destroy(doc);
}

/* ---- positions and paths ----------------------------------------------------- */

static void test_nested_positions(void)
{
    const char *text =
        "{\n"                                       /* 1 */
        "  \"site\": \"demo\",\n"                   /* 2 */
        "  \"sensors\": [\n"                        /* 3 */
        "    {\"id\": \"a\", \"range_m\": 100},\n"  /* 4 */
        "    {\"id\": \"b\",\n"                     /* 5 */
        "     \"range_m\": 2.5e3}\n"                /* 6 */
        "  ],\n"                                    /* 7 */
        "  \"odd key\": {\"a\\\"b\": [true, [null, -1]]}\n" /* 8 */
        "}\n";
    static const struct pos_case cases[] = {
        {"", 1, 1, "an object"},
        {"site", 2, 11, "a string \"demo\""},
        {"sensors", 3, 14, "an array"},
        {"sensors[0]", 4, 5, "an object"},
        {"sensors[0].id", 4, 12, "a string \"a\""},
        {"sensors[0].range_m", 4, 28, "a number 100"},
        {"sensors[1]", 5, 5, "an object"},
        {"sensors[1].id", 5, 12, "a string \"b\""},
        {"sensors[1].range_m", 6, 17, "a number 2500"},
        {"[\"odd key\"]", 8, 14, "an object"},
        {"[\"odd key\"][\"a\\\"b\"]", 8, 23, "an array"},
        {"[\"odd key\"][\"a\\\"b\"][0]", 8, 24, "true"},
        {"[\"odd key\"][\"a\\\"b\"][1]", 8, 30, "an array"},
        {"[\"odd key\"][\"a\\\"b\"][1][0]", 8, 31, "null"},
        {"[\"odd key\"][\"a\\\"b\"][1][1]", 8, 37, "a number -1"},
    };
    check_positions(text, cases, sizeof cases / sizeof cases[0]);
}

static void test_after_long_string(void)
{
    /* Escapes and multi-byte UTF-8 inside strings; columns count bytes. */
    const char *text =
        "{\"note\": \"line one\\nline \\\"two\\\"\\n\\u00e9t\xc3\xa9 \\\\ end\",\n" /* 1 */
        " \"n\": [1,\n"                                                       /* 2 */
        "\t2], \"after\": \"x\"}";                                            /* 3 */
    static const struct pos_case cases[] = {
        {"note", 1, 10, "a string \"line one\\u000aline \\\"two\\\"\\u000a\xc3\xa9t\xc3\xa9 \\\\ end\""},
        {"n", 2, 7, "an array"},
        {"n[0]", 2, 8, "a number 1"},
        {"n[1]", 3, 2, "a number 2"},
        {"after", 3, 15, "a string \"x\""},
    };
    check_positions(text, cases, sizeof cases / sizeof cases[0]);
}

static void test_crlf(void)
{
    const char *text = "{\r\n  \"a\": 1,\r\n\r\n  \"b\": {\"c\": [10,\r\n 20]}\r\n}\r\n";
    static const struct pos_case cases[] = {
        {"", 1, 1, "an object"},
        {"a", 2, 8, "a number 1"},
        {"b", 4, 8, "an object"},
        {"b.c", 4, 14, "an array"},
        {"b.c[0]", 4, 15, "a number 10"},
        {"b.c[1]", 5, 2, "a number 20"},
    };
    check_positions(text, cases, sizeof cases / sizeof cases[0]);
}

static void test_scalar_root_and_bom(void)
{
    static const struct pos_case c1[] = {{"", 2, 3, "a number 42"}};
    check_positions("\n  42  \n", c1, 1);
    static const struct pos_case c2[] = {{"", 1, 4, "an object"}, {"k", 1, 10, "false"}};
    check_positions("\xEF\xBB\xBF{\"k\": false}", c2, 2);
}

static void test_where_foreign_node(void)
{
    reset();
    struct bf_json_doc *doc = parse_ok("{\"a\": 1}");
    cJSON *other = cJSON_CreateNumber(1);
    struct bf_json_where w = {7, 7, "x"};
    CU_ASSERT_FALSE(bf_json_doc_where(doc, other, &w));
    CU_ASSERT_FALSE(bf_json_doc_where(doc, NULL, &w));
    CU_ASSERT_STRING_EQUAL(bf_json_doc_name(doc), "t.json");
    cJSON_Delete(other);
    bf_json_doc_destroy(doc);
    bf_json_doc_destroy(NULL);
}

static void test_not_nul_terminated(void)
{
    /* Only len bytes count: the rest of the buffer is not part of the document. */
    reset();
    const char buf[] = "{\"a\": [1, 2]}GARBAGE";
    struct bf_json_doc *doc = NULL;
    CU_ASSERT_EQUAL(bf_json_doc_parse(buf, 13, "t.json", &doc, &diag), 0);
    CU_ASSERT_FATAL(doc != NULL);
    CU_ASSERT_EQUAL(cJSON_GetArraySize(cJSON_GetObjectItem(bf_json_doc_root(doc), "a")), 2);
    bf_json_doc_destroy(doc);
    CU_ASSERT_EQUAL(bf_json_doc_parse(buf, 14, "t.json", &doc, &diag), BF_EPARSE);
    expect_exact(0, "t.json:1:14: syntax error: unexpected text after the end of the JSON document");
}

/* ---- syntax errors ------------------------------------------------------------ */

struct syntax_case {
    const char *text;
    const char *want;   /* the whole diagnostic */
};

static void test_syntax_errors(void)
{
    static const struct syntax_case cases[] = {
        {"{\n  \"a\": 1\n  \"b\": 2\n}",
         "t.json:3:3: syntax error: expected ',' or '}' after an object member; is a ',' missing "
         "before this key?"},
        {"{\"a\": 1,\n}",
         "t.json:1:8: syntax error: trailing ',' after the last member of an object: remove it"},
        {"[1, 2, ]", "t.json:1:6: syntax error: trailing ',' after the last element of an array: remove it"},
        {"[1 2]", "t.json:1:4: syntax error: expected ',' or ']' after an array element (is a ',' missing?), got '2'"},
        {"{\"a\": \"abc\n}",
         "t.json:1:7: syntax error: unterminated string: add the closing '\"' before the end of the line"},
        {"{\"a\": \"abc",
         "t.json:1:7: syntax error: unterminated string: add the closing '\"' before the end of the input"},
        {"", "t.json:1:1: syntax error: empty input: expected a JSON value (a configuration is an object: {...})"},
        {"  \n ", "t.json:2:2: syntax error: empty input: expected a JSON value (a configuration is an object: {...})"},
        {"{\"a\": 1",
         "t.json:1:8: syntax error: unexpected end of input: the object opened at line 1, col 1 is not "
         "closed; add '}'"},
        {"{\"a\": [1,\n 2\n",
         "t.json:3:1: syntax error: unexpected end of input: the array opened at line 1, col 7 is not "
         "closed; add ']'"},
        {"{\"a\" 1}", "t.json:1:6: syntax error: expected ':' after the key \"a\", got '1'"},
        {"{a: 1}", "t.json:1:2: syntax error: object keys must be strings in double quotes: write \"a\""},
        {"{'a': 1}", "t.json:1:2: syntax error: object keys must be in double quotes, not single quotes"},
        {"{\"a\": 'x'}", "t.json:1:7: syntax error: strings must be in double quotes, not single quotes"},
        {"{\"a\": 1 // metres\n}", "t.json:1:9: syntax error: comments are not allowed in JSON"},
        {"{\"a\": True}", "t.json:1:7: syntax error: invalid literal 'True': write true, false and null in lower case"},
        {"{\"a\": far}", "t.json:1:7: syntax error: unexpected 'far': strings must be in double quotes (\"far\")"},
        {"{\"a\": 012}", "t.json:1:7: syntax error: invalid number '012': leading zeros are not allowed"},
        {"{\"a\": 12m}",
         "t.json:1:7: syntax error: invalid number '12m' (units belong in the key name, not in the value)"},
        {"{\"a\": 1.}", "t.json:1:7: syntax error: invalid number '1.': expected a digit after '.'"},
        {"{\"a\": +1}", "t.json:1:7: syntax error: invalid number: a number may not start with '+'"},
        {"{\"a\": \"x\\qy\"}",
         "t.json:1:9: syntax error: invalid escape '\\' followed by 'q' in string; valid escapes are "
         "\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX (write a backslash as \\\\)"},
        {"{\"a\": [1,,2]}", "t.json:1:10: syntax error: expected a value before ','"},
        {"{} {}", "t.json:1:4: syntax error: unexpected text after the end of the JSON document"},
        {"x{}", "t.json:1:1: syntax error: unexpected 'x': strings must be in double quotes (\"x\")"},
        {"{\"a\":\t\"tab\there\"}",
         "t.json:1:11: syntax error: control character (byte 0x09) inside a string; write it escaped "
         "(\\t, \\n, \\u0009)"},
        {"\r\n{\r\n\"a\": 1,\r\n}", "t.json:3:7: syntax error: trailing ',' after the last member of an object: remove it"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        reset();
        struct bf_json_doc *doc = (struct bf_json_doc *)&col;   /* must be reset to NULL */
        int r = bf_json_doc_parse(cases[i].text, strlen(cases[i].text), "t.json", &doc, &diag);
        CU_ASSERT_EQUAL(r, BF_EPARSE);
        CU_ASSERT_PTR_NULL(doc);
        CU_ASSERT_EQUAL(diag.n_errors, 1);
        CU_ASSERT_EQUAL(col.n, 1);
        if (col.n >= 1)
            expect_exact(0, cases[i].want);
    }
}

static void test_duplicate_keys(void)
{
    reset();
    const char *text = "{\"s\": [{\"range_m\": 1,\n  \"id\": \"x\",\n  \"range_m\": 2}],\n \"s\": 3}";
    struct bf_json_doc *doc = parse_ok(text);
    CU_ASSERT_FATAL(doc != NULL);
    CU_ASSERT_EQUAL(diag.n_errors, 2);
    /* Reported in document order of the objects: the root first. */
    expect_exact(0, "t.json:4:2: s: duplicate key \"s\" (first at line 1, col 2): a key may appear "
                    "only once in an object; remove one");
    expect_exact(1, "t.json:3:3: s[0].range_m: duplicate key \"range_m\" (first at line 1, col 9): a key "
                    "may appear only once in an object; remove one");
    /* Lookups see the first occurrence. */
    double v = 0;
    const cJSON *s0 = cJSON_GetArrayItem(cJSON_GetObjectItem(bf_json_doc_root(doc), "s"), 0);
    CU_ASSERT_EQUAL(bf_json_get_number(doc, &diag, s0, "range_m", true, 0, 10, &v), 0);
    BF_ASSERT_NEAR(v, 1.0, 0);
    bf_json_doc_destroy(doc);

    /* A large object (the other way of finding duplicates). */
    reset();
    doc = parse_ok("{\"a\": 1, \"b\": 2, \"c\": 3, \"d\": 4, \"e\": 5, \"f\": 6, \"g\": 7, \"h\": 8,\n"
                   " \"i\": 9, \"c\": 10, \"j\": 11, \"a\": 12}");
    CU_ASSERT_EQUAL(diag.n_errors, 2);
    expect_exact(0, "t.json:2:10: c: duplicate key \"c\" (first at line 1, col 18): a key may appear "
                    "only once in an object; remove one");
    expect_exact(1, "t.json:2:28: a: duplicate key \"a\" (first at line 1, col 2): a key may appear "
                    "only once in an object; remove one");
    bf_json_doc_destroy(doc);
}

static void test_load_missing_file(void)
{
    reset();
    struct bf_json_doc *doc = NULL;
    char path[512];
    snprintf(path, sizeof path, "%s/no-such-file.json", bf_test_tmpdir());
    CU_ASSERT_EQUAL(bf_json_doc_load(path, &doc, &diag), BF_EIO);
    CU_ASSERT_PTR_NULL(doc);
    char want[600];
    snprintf(want, sizeof want, "%s: cannot open the file: No such file or directory", path);
    expect_exact(0, want);
}

static void test_load_file(void)
{
    reset();
    char path[512];
    snprintf(path, sizeof path, "%s/ok.json", bf_test_tmpdir());
    FILE *f = fopen(path, "w");
    CU_ASSERT_FATAL(f != NULL);
    fputs("{\n\t\"a\": [1, 2,\n\t3 4]}\n", f);
    fclose(f);
    struct bf_json_doc *doc = NULL;
    CU_ASSERT_EQUAL(bf_json_doc_load(path, &doc, &diag), BF_EPARSE);
    char want[700];
    snprintf(want, sizeof want, "%s:3:4: syntax error: expected ',' or ']' after an array element "
                                "(is a ',' missing?), got '4'", path);
    expect_exact(0, want);
}

/* ---- getters ----------------------------------------------------------------- */

static const char *getter_text =
    "{\n"
    "  \"range_m\": 8000, \"far\": \"far\", \"zero\": 0, \"inf\": 1e999,\n" /* 2 */
    "  \"n\": 12, \"frac\": 3.5, \"big\": 9223372036854775807, \"huge\": 9223372036854775808,\n" /* 3 */
    "  \"sci\": 1e3, \"neg\": -40,\n" /* 4 */
    "  \"flag\": true, \"yes\": \"yes\", \"name\": \"demo\", \"empty\": \"\",\n" /* 5 */
    "  \"fsync\": \"sometimes\", \"fsync2\": \"Never\", \"fsync3\": 1, \"ok\": \"never\",\n" /* 6 */
    "  \"obj\": {\"x\": 1}, \"arr\": [1], \"nul\": null\n" /* 7 */
    "}";

static struct bf_json_doc *getter_doc(void)
{
    reset();
    return parse_ok(getter_text);
}

static void test_get_number(void)
{
    struct bf_json_doc *doc = getter_doc();
    const cJSON *root = bf_json_doc_root(doc);
    double v = -1;
    CU_ASSERT_EQUAL(bf_json_get_number(doc, &diag, root, "range_m", true, 1, 1e6, &v), 0);
    BF_ASSERT_NEAR(v, 8000, 0);
    v = -1;
    CU_ASSERT_EQUAL(bf_json_get_number(doc, &diag, root, "absent", false, 1, 1e6, &v), 1);
    BF_ASSERT_NEAR(v, -1, 0);   /* untouched */
    CU_ASSERT_EQUAL(diag.n_errors, 0);

    CU_ASSERT_EQUAL(bf_json_get_number(doc, &diag, root, "absent", true, 1, 1e6, &v), BF_ENOTFOUND);
    CU_ASSERT_EQUAL(bf_json_get_number(doc, &diag, root, "far", true, 1, 1e6, &v), BF_EINVAL);
    CU_ASSERT_EQUAL(bf_json_get_number(doc, &diag, root, "zero", false, 1, 1e6, &v), BF_ERANGE);
    CU_ASSERT_EQUAL(bf_json_get_number(doc, &diag, root, "inf", false, -INFINITY, INFINITY, &v), BF_ERANGE);
    CU_ASSERT_EQUAL(bf_json_get_number(doc, &diag, root, "neg", false, 0, INFINITY, &v), BF_ERANGE);
    CU_ASSERT_EQUAL(bf_json_get_number(doc, &diag, root, "n", false, -INFINITY, 10, &v), BF_ERANGE);
    CU_ASSERT_EQUAL(bf_json_get_number(doc, &diag, root, "nul", false, 0, 1, &v), BF_EINVAL);
    BF_ASSERT_NEAR(v, -1, 0);
    CU_ASSERT_EQUAL(diag.n_errors, 7);
    expect_exact(0, "t.json:1:1: missing required key \"absent\"");
    expect_exact(1, "t.json:2:27: far: expected a number, got a string \"far\"");
    expect_exact(2, "t.json:2:42: zero: expected a number between 1 and 1e+06, got 0");
    expect_exact(3, "t.json:2:52: inf: expected a finite number, got 1e999");
    expect_exact(4, "t.json:4:22: neg: expected a number >= 0, got -40");
    expect_exact(5, "t.json:3:8: n: expected a number <= 10, got 12");
    expect_exact(6, "t.json:7:39: nul: expected a number, got null");
    bf_json_doc_destroy(doc);
}

static void test_get_number_nested_missing(void)
{
    reset();
    struct bf_json_doc *doc = parse_ok("{\"sensors\": [{},\n   {\"id\": \"b\"}]}");
    const cJSON *s1 = cJSON_GetArrayItem(cJSON_GetObjectItem(bf_json_doc_root(doc), "sensors"), 1);
    double v;
    CU_ASSERT_EQUAL(bf_json_get_number(doc, &diag, s1, "range_m", true, 1, 2, &v), BF_ENOTFOUND);
    expect_exact(0, "t.json:2:4: sensors[1]: missing required key \"range_m\"");
    /* Not an object: no report (the caller reported the section already). */
    CU_ASSERT_EQUAL(bf_json_get_number(doc, &diag, NULL, "range_m", false, 1, 2, &v), 1);
    CU_ASSERT_EQUAL(diag.n_errors, 1);
    bf_json_doc_destroy(doc);
}

static void test_get_int(void)
{
    struct bf_json_doc *doc = getter_doc();
    const cJSON *root = bf_json_doc_root(doc);
    int64_t v = -7;
    CU_ASSERT_EQUAL(bf_json_get_int(doc, &diag, root, "n", true, 1, 32, &v), 0);
    CU_ASSERT_EQUAL(v, 12);
    CU_ASSERT_EQUAL(bf_json_get_int(doc, &diag, root, "sci", true, 0, INT64_MAX, &v), 0);
    CU_ASSERT_EQUAL(v, 1000);
    CU_ASSERT_EQUAL(bf_json_get_int(doc, &diag, root, "big", true, INT64_MIN, INT64_MAX, &v), 0);
    CU_ASSERT_EQUAL(v, INT64_MAX);   /* exact, not through a double */
    CU_ASSERT_EQUAL(bf_json_get_int(doc, &diag, root, "neg", true, INT64_MIN, 0, &v), 0);
    CU_ASSERT_EQUAL(v, -40);
    v = -7;
    CU_ASSERT_EQUAL(bf_json_get_int(doc, &diag, root, "absent", false, 0, 1, &v), 1);
    CU_ASSERT_EQUAL(v, -7);
    CU_ASSERT_EQUAL(diag.n_errors, 0);

    CU_ASSERT_EQUAL(bf_json_get_int(doc, &diag, root, "frac", true, 0, 10, &v), BF_EINVAL);
    CU_ASSERT_EQUAL(bf_json_get_int(doc, &diag, root, "huge", true, INT64_MIN, INT64_MAX, &v), BF_ERANGE);
    CU_ASSERT_EQUAL(bf_json_get_int(doc, &diag, root, "n", true, 1, 8, &v), BF_ERANGE);
    CU_ASSERT_EQUAL(bf_json_get_int(doc, &diag, root, "neg", true, 0, INT64_MAX, &v), BF_ERANGE);
    CU_ASSERT_EQUAL(bf_json_get_int(doc, &diag, root, "inf", true, INT64_MIN, INT64_MAX, &v), BF_EINVAL);
    CU_ASSERT_EQUAL(bf_json_get_int(doc, &diag, root, "name", true, 0, 1, &v), BF_EINVAL);
    CU_ASSERT_EQUAL(v, -7);
    CU_ASSERT_EQUAL(diag.n_errors, 6);
    expect_exact(0, "t.json:3:20: frac: expected an integer (no fraction), got 3.5");
    expect_exact(1, "t.json:3:61: huge: expected an integer between -9223372036854775808 and "
                    "9223372036854775807, got 9223372036854775808");
    expect_exact(2, "t.json:3:8: n: expected an integer between 1 and 8, got 12");
    expect_exact(3, "t.json:4:22: neg: expected an integer >= 0, got -40");
    expect_exact(4, "t.json:2:52: inf: expected an integer (no fraction), got 1e999");
    expect_exact(5, "t.json:5:39: name: expected an integer, got a string \"demo\"");
    bf_json_doc_destroy(doc);
}

static void test_get_bool_string(void)
{
    struct bf_json_doc *doc = getter_doc();
    const cJSON *root = bf_json_doc_root(doc);
    bool b = false;
    CU_ASSERT_EQUAL(bf_json_get_bool(doc, &diag, root, "flag", true, &b), 0);
    CU_ASSERT_TRUE(b);
    b = false;
    CU_ASSERT_EQUAL(bf_json_get_bool(doc, &diag, root, "absent", false, &b), 1);
    CU_ASSERT_FALSE(b);
    const char *s = "untouched";
    CU_ASSERT_EQUAL(bf_json_get_string(doc, &diag, root, "name", true, &s), 0);
    CU_ASSERT_STRING_EQUAL(s, "demo");
    s = "untouched";
    CU_ASSERT_EQUAL(bf_json_get_string(doc, &diag, root, "absent", false, &s), 1);
    CU_ASSERT_STRING_EQUAL(s, "untouched");
    CU_ASSERT_EQUAL(diag.n_errors, 0);

    CU_ASSERT_EQUAL(bf_json_get_bool(doc, &diag, root, "yes", true, &b), BF_EINVAL);
    CU_ASSERT_EQUAL(bf_json_get_string(doc, &diag, root, "empty", true, &s), BF_EINVAL);
    CU_ASSERT_EQUAL(bf_json_get_string(doc, &diag, root, "n", true, &s), BF_EINVAL);
    CU_ASSERT_EQUAL(bf_json_get_string(doc, &diag, root, "absent", true, &s), BF_ENOTFOUND);
    CU_ASSERT_STRING_EQUAL(s, "untouched");
    CU_ASSERT_EQUAL(diag.n_errors, 4);
    expect_exact(0, "t.json:5:24: yes: expected true or false, got a string \"yes\"");
    expect_exact(1, "t.json:5:56: empty: expected a non-empty string, got \"\"");
    expect_exact(2, "t.json:3:8: n: expected a string, got a number 12");
    expect_exact(3, "t.json:1:1: missing required key \"absent\"");
    bf_json_doc_destroy(doc);
}

static void test_get_enum(void)
{
    struct bf_json_doc *doc = getter_doc();
    const cJSON *root = bf_json_doc_root(doc);
    static const char *const choices[] = {"always", "never", NULL};
    int idx = -1;
    CU_ASSERT_EQUAL(bf_json_get_enum(doc, &diag, root, "ok", true, choices, &idx), 0);
    CU_ASSERT_EQUAL(idx, 1);
    idx = -1;
    CU_ASSERT_EQUAL(bf_json_get_enum(doc, &diag, root, "absent", false, choices, &idx), 1);
    CU_ASSERT_EQUAL(idx, -1);
    CU_ASSERT_EQUAL(bf_json_get_enum(doc, &diag, root, "fsync", true, choices, &idx), BF_EINVAL);
    CU_ASSERT_EQUAL(bf_json_get_enum(doc, &diag, root, "fsync2", true, choices, &idx), BF_EINVAL);
    CU_ASSERT_EQUAL(bf_json_get_enum(doc, &diag, root, "fsync3", true, choices, &idx), BF_EINVAL);
    CU_ASSERT_EQUAL(idx, -1);
    CU_ASSERT_EQUAL(diag.n_errors, 3);
    expect_exact(0, "t.json:6:12: fsync: expected one of \"always\", \"never\", got \"sometimes\"");
    expect_exact(1, "t.json:6:35: fsync2: expected one of \"always\", \"never\", got \"Never\"; "
                    "did you mean \"never\"?");
    expect_exact(2, "t.json:6:54: fsync3: expected one of \"always\", \"never\", got a number 1");
    bf_json_doc_destroy(doc);
}

static void test_get_object_array(void)
{
    struct bf_json_doc *doc = getter_doc();
    const cJSON *root = bf_json_doc_root(doc);
    const cJSON *o = NULL;
    CU_ASSERT_EQUAL(bf_json_get_object(doc, &diag, root, "obj", true, &o), 0);
    CU_ASSERT_PTR_EQUAL(o, cJSON_GetObjectItem(root, "obj"));
    CU_ASSERT_EQUAL(bf_json_get_array(doc, &diag, root, "arr", true, &o), 0);
    CU_ASSERT_PTR_EQUAL(o, cJSON_GetObjectItem(root, "arr"));
    o = NULL;
    CU_ASSERT_EQUAL(bf_json_get_object(doc, &diag, root, "absent", false, &o), 1);
    CU_ASSERT_PTR_NULL(o);
    CU_ASSERT_EQUAL(bf_json_get_object(doc, &diag, root, "arr", true, &o), BF_EINVAL);
    CU_ASSERT_EQUAL(bf_json_get_array(doc, &diag, root, "obj", true, &o), BF_EINVAL);
    CU_ASSERT_PTR_NULL(o);
    expect_exact(0, "t.json:7:27: arr: expected an object {...}, got an array");
    expect_exact(1, "t.json:7:10: obj: expected an array [...], got an object");
    bf_json_doc_destroy(doc);
}

/* ---- unknown keys ------------------------------------------------------------ */

static void test_check_keys(void)
{
    reset();
    struct bf_json_doc *doc =
        parse_ok("{\"sensors\": [{\"id\": \"a\",\n"
                 "  \"rnage_m\": 1, \"RANGE_M\": 2, \"colour\": 3, \"sigma_m\": 4}]}");
    static const char *const allowed[] = {"id", "range_m", "sigma_m", NULL};
    const cJSON *s0 = cJSON_GetArrayItem(cJSON_GetObjectItem(bf_json_doc_root(doc), "sensors"), 0);
    CU_ASSERT_EQUAL(bf_json_check_keys(doc, &diag, s0, allowed), 3);
    CU_ASSERT_EQUAL(diag.n_errors, 3);
    expect_exact(0, "t.json:2:3: sensors[0].rnage_m: unknown key \"rnage_m\"; did you mean \"range_m\"?");
    expect_exact(1, "t.json:2:17: sensors[0].RANGE_M: unknown key \"RANGE_M\"; did you mean \"range_m\"?");
    expect_exact(2, "t.json:2:31: sensors[0].colour: unknown key \"colour\"; the keys allowed here are "
                    "\"id\", \"range_m\", \"sigma_m\"");
    static const char *const root_allowed[] = {"sensors", NULL};
    CU_ASSERT_EQUAL(bf_json_check_keys(doc, &diag, bf_json_doc_root(doc), root_allowed), 0);
    CU_ASSERT_EQUAL(diag.n_errors, 3);
    bf_json_doc_destroy(doc);
}

/* ---- describing, diag format -------------------------------------------------- */

static void test_describe(void)
{
    char buf[128];
    cJSON *n = cJSON_CreateNumber(0.1);
    bf_json_describe(n, buf, sizeof buf);
    CU_ASSERT_STRING_EQUAL(buf, "a number 0.1");
    cJSON_Delete(n);
    n = cJSON_CreateNumber(1234567);
    bf_json_describe(n, buf, sizeof buf);
    CU_ASSERT_STRING_EQUAL(buf, "a number 1234567");
    cJSON_Delete(n);
    n = cJSON_CreateString("a\"b");
    bf_json_describe(n, buf, sizeof buf);
    CU_ASSERT_STRING_EQUAL(buf, "a string \"a\\\"b\"");
    cJSON_Delete(n);
    n = cJSON_CreateString("0123456789012345678901234567890123456789012345678901234567890123456789");
    bf_json_describe(n, buf, sizeof buf);
    CU_ASSERT_STRING_EQUAL(buf, "a string \"012345678901234567890123456789012345678901234567890123456789...\"");
    cJSON_Delete(n);
    bf_json_describe(NULL, buf, sizeof buf);
    CU_ASSERT_STRING_EQUAL(buf, "nothing");
    n = cJSON_CreateFalse();
    bf_json_describe(n, buf, 4);   /* truncated, still terminated */
    CU_ASSERT_STRING_EQUAL(buf, "fal");
    cJSON_Delete(n);
}

static size_t last_len;

static void length_report(void *ctx, const char *file, int line, int col_, const char *path,
                          const char *msg)
{
    (void)ctx, (void)file, (void)line, (void)col_, (void)path;
    last_len = strlen(msg);
}

static void test_diag_format(void)
{
    char buf[256];
    bf_diag_format(buf, sizeof buf, "c.json", 14, 19, "sensors[1].range_m", "bad");
    CU_ASSERT_STRING_EQUAL(buf, "c.json:14:19: sensors[1].range_m: bad");
    bf_diag_format(buf, sizeof buf, "c.json", 0, 0, "site", "bad");
    CU_ASSERT_STRING_EQUAL(buf, "c.json: site: bad");
    bf_diag_format(buf, sizeof buf, "c.json", 3, 4, "", "bad");
    CU_ASSERT_STRING_EQUAL(buf, "c.json:3:4: bad");
    bf_diag_format(buf, sizeof buf, "c.json", 3, 4, NULL, "bad");
    CU_ASSERT_STRING_EQUAL(buf, "c.json:3:4: bad");
    bf_diag_format(buf, sizeof buf, NULL, 0, 0, NULL, "bad");
    CU_ASSERT_STRING_EQUAL(buf, "bad");
    bf_diag_format(buf, 8, "c.json", 3, 4, "", "bad");
    CU_ASSERT_STRING_EQUAL(buf, "c.json:");

    /* errorf formats and counts; a long message is not cut. */
    reset();
    char longmsg[1000];
    memset(longmsg, 'x', sizeof longmsg - 1);
    longmsg[sizeof longmsg - 1] = '\0';
    bf_diag_errorf(&diag, "f", 1, 2, "p", "%d %s", 42, "x");
    CU_ASSERT_EQUAL(diag.n_errors, 1);
    expect_exact(0, "f:1:2: p: 42 x");
    struct bf_diag d2 = {.report = length_report, .ctx = NULL, .n_errors = 5};
    bf_diag_errorf(&d2, "f", 1, 2, "p", "<%s>", longmsg);
    CU_ASSERT_EQUAL(d2.n_errors, 6);
    CU_ASSERT_EQUAL(last_len, 1001);
    bf_diag_errorf(&diag, "f", 1, 2, "p", "second");

    /* bf_json_errorf with no node points at the whole file. */
    struct bf_json_doc *doc = parse_ok("{}");
    bf_json_errorf(doc, &diag, NULL, "no sensors in %s", "here");
    expect_exact(2, "t.json: no sensors in here");
    bf_json_doc_destroy(doc);
}

static CU_TestInfo json_tests[] = {
    {"nested positions and paths", test_nested_positions},
    {"value after a long escaped string", test_after_long_string},
    {"CRLF line ends", test_crlf},
    {"scalar root, byte order mark", test_scalar_root_and_bom},
    {"where of a foreign node", test_where_foreign_node},
    {"length-bounded text", test_not_nul_terminated},
    {"syntax errors", test_syntax_errors},
    {"duplicate keys", test_duplicate_keys},
    {"load: missing file", test_load_missing_file},
    {"load: syntax error in a file", test_load_file},
    {"get_number", test_get_number},
    {"get_number: missing in nested object", test_get_number_nested_missing},
    {"get_int", test_get_int},
    {"get_bool, get_string", test_get_bool_string},
    {"get_enum", test_get_enum},
    {"get_object, get_array", test_get_object_array},
    {"check_keys", test_check_keys},
    {"describe", test_describe},
    {"diag format", test_diag_format},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"json", NULL, NULL, NULL, NULL, json_tests},
    CU_SUITE_INFO_NULL,
};

int main(void)
{
    return bf_test_main(suites);
}
