/* Unit tests of the strict JSON reader (runner/json_read.c), of rebuilding a run from
 * results.json (runner/result_load.c) and of merging runs (runner/merge.c): valid and invalid
 * documents with the place of the error, bounds on depth and size, every prefix and random
 * mutations of a document, exact seconds, and a hostile run that must survive
 * JSON -> run -> JSON byte for byte. */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_read.h"
#include "merge.h"
#include "report.h"
#include "result.h"
#include "result_load.h"
#include "testutil.h"
#include "util.h"

#define S(x) x, sizeof(x) - 1

static int parse(const char *s, size_t len, json_value *v, char *err, size_t errsz)
{
    json_limits lim = {0, 0};
    return json_parse(s, len, &lim, v, err, errsz);
}

/* ---- valid documents ----------------------------------------------------------------------- */

static void test_values(void)
{
    json_value v;
    char err[256] = "";
    const char doc[] = " {\"a\": [1, -2.5e3, true, false, null, \"x\\u00e9\\ud83d\\ude00\\n\\/\"],"
                       "\"b\": {}, \"c\": [], \"\": \"\\u0000z\"} ";
    CU_ASSERT_EQUAL_FATAL(parse(S(doc), &v, err, sizeof err), 0);
    CU_ASSERT_EQUAL(v.type, JSON_OBJECT);
    CU_ASSERT_EQUAL(v.n, 4);
    const json_value *a = json_get(&v, "a");
    CU_ASSERT_FATAL(a && a->type == JSON_ARRAY && a->n == 6);
    CU_ASSERT_STRING_EQUAL(a->items[0].str, "1");
    CU_ASSERT_STRING_EQUAL(a->items[1].str, "-2.5e3");
    CU_ASSERT_TRUE(a->items[2].type == JSON_BOOL && a->items[2].boolean);
    CU_ASSERT_TRUE(a->items[3].type == JSON_BOOL && !a->items[3].boolean);
    CU_ASSERT_EQUAL(a->items[4].type, JSON_NULL);
    CU_ASSERT_STRING_EQUAL(a->items[5].str, "x\xc3\xa9\xf0\x9f\x98\x80\n/");
    const json_value *e = json_get(&v, "");
    CU_ASSERT_FATAL(e != NULL);
    CU_ASSERT_EQUAL(e->len, 2);
    CU_ASSERT_EQUAL(memcmp(e->str, "\0z", 2), 0);
    CU_ASSERT_PTR_NULL(json_text(e)); /* holds NUL */
    CU_ASSERT_EQUAL(json_get(&v, "b")->type, JSON_OBJECT);
    CU_ASSERT_PTR_NULL(json_get(&v, "missing"));
    CU_ASSERT_PTR_NULL(json_get(a, "a")); /* not an object */
    json_free(&v);
    CU_ASSERT_EQUAL(parse(S("\"\xe2\x82\xac\xf4\x8f\xbf\xbf\""), &v, err, sizeof err), 0);
    json_free(&v);
    CU_ASSERT_EQUAL(parse(S("0"), &v, err, sizeof err), 0);
    CU_ASSERT_EQUAL(v.type, JSON_NUMBER);
    json_free(&v);
}

/* ---- invalid documents --------------------------------------------------------------------- */

typedef struct bad_doc {
    const char *doc;
    size_t len;
    const char *why; /* a part of the message */
} bad_doc;

static const bad_doc bad_docs[] = {
    {S(""), "got the end of the input"},
    {S("   "), "got the end of the input"},
    {S("[1,]"), "expected a value, got ']'"},
    {S("{\"a\":1,}"), "expected a string key, got '}'"},
    {S("{\"a\" 1}"), "expected ':'"},
    {S("{a:1}"), "expected a string key"},
    {S("[1 2]"), "expected ',' or ']'"},
    {S("01"), "leading zero"},
    {S("-01"), "leading zero"},
    {S("+1"), "expected a value, got '+'"},
    {S(".5"), "expected a value"},
    {S("1."), "after the decimal point"},
    {S("1e"), "in the exponent"},
    {S("-"), "expected a digit"},
    {S("NaN"), "expected a value"},
    {S("Infinity"), "expected a value"},
    {S("'a'"), "expected a value, got '''"},
    {S("[1] // c"), "expected the end of the document"},
    {S("/* c */ 1"), "expected a value"},
    {S("tru"), "expected a value"},
    {S("nul"), "expected a value"},
    {S("1 2"), "expected the end of the document, got '2'"},
    {S("\"abc"), "unterminated string"},
    {S("\"a\nb\""), "control character \\x0A"},
    {S("\"a\tb\""), "control character \\x09"},
    {S("\"\\x41\""), "one of"},
    {S("\"\\u12\""), "four hex digits"},
    {S("\"\\ud800\""), "not followed by a low one"},
    {S("\"\\ud800\\u0041\""), "not followed by a low one"},
    {S("\"\\udc00\""), "lone low surrogate"},
    {S("\"\xff\""), "invalid UTF-8"},
    {S("\"\xc0\x80\""), "invalid UTF-8"},
    {S("\"\xed\xa0\x80\""), "invalid UTF-8"},
    {S("\"\xf4\x90\x80\x80\""), "invalid UTF-8"},
    {S("\"\xe2\x82\""), "invalid UTF-8"},
    {S("\xef\xbb\xbf{}"), "expected a value, got byte \\xEF"},
    {S("{\"a\":1,\"b\":2,\"a\":3}"), "key \"a\" repeated"},
    {S("{\"k\\u0000\":1}"), "key holds a NUL"},
    {S("[\x01]"), "got byte \\x01"},
};

static void test_errors(void)
{
    for (size_t i = 0; i < sizeof bad_docs / sizeof *bad_docs; i++) {
        json_value v;
        char err[256] = "";
        int rc = parse(bad_docs[i].doc, bad_docs[i].len, &v, err, sizeof err);
        CU_ASSERT_EQUAL(rc, -1);
        CU_ASSERT_PTR_NOT_NULL(strstr(err, bad_docs[i].why));
        CU_ASSERT_PTR_NOT_NULL(strstr(err, "line "));
        CU_ASSERT_EQUAL(v.type, JSON_NULL);
        if (rc != -1 || !strstr(err, bad_docs[i].why))
            fprintf(stderr, "\nbad doc %zu: rc %d err [%s]\n", i, rc, err);
        if (rc == 0)
            json_free(&v);
    }
}

static void test_error_position(void)
{
    json_value v;
    char err[256] = "";
    CU_ASSERT_EQUAL(parse(S("{\n  \"a\": 1,\n  \"b\": [1, 2,,]\n}"), &v, err, sizeof err), -1);
    CU_ASSERT_STRING_EQUAL(err, "line 3, column 14: expected a value, got ','");
}

static void test_bounds(void)
{
    json_value v;
    char err[256] = "";
    json_limits lim = {0, 4};
    CU_ASSERT_EQUAL(json_parse(S("[[[[1]]]]"), &lim, &v, err, sizeof err), 0);
    json_free(&v);
    CU_ASSERT_EQUAL(json_parse(S("[[[[[1]]]]]"), &lim, &v, err, sizeof err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "nesting deeper than 4"));
    /* a million brackets: refused at the default depth, without exhausting the stack */
    size_t n = 1000000;
    char *deep = xmalloc(n);
    memset(deep, '[', n);
    CU_ASSERT_EQUAL(json_parse(deep, n, NULL, &v, err, sizeof err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "nesting deeper than 32"));
    free(deep);
    lim = (json_limits){8, 0};
    CU_ASSERT_EQUAL(json_parse(S("[1,2,3,4]"), &lim, &v, err, sizeof err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "over the limit of 8"));
    CU_ASSERT_EQUAL(json_parse_file("/nonexistent/x.json", NULL, &v, err, sizeof err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "cannot open"));
}

/* ---- numbers ------------------------------------------------------------------------------- */

static int secs_of(const char *text, int64_t *ns)
{
    json_value v;
    char err[128];
    if (parse(text, strlen(text), &v, err, sizeof err))
        return -2;
    int rc = json_seconds_ns(&v, ns);
    json_free(&v);
    return rc;
}

static void test_numbers(void)
{
    static const struct {
        const char *text;
        int64_t ns;
    } ok[] = {
        {"0", 0},
        {"-0.0", 0},
        {"0.004597", 4597000},
        {"1.5", 1500000000},
        {"12", 12000000000LL},
        {"0.000000001", 1},
        {"1e-9", 1},
        {"4e-10", 0},
        {"5e-10", 1},
        {"1.0000000005", 1000000001},
        {"1.0000000004999", 1000000000},
        {"-0.000001", -1000},
        {"2.5E+2", 250000000000LL},
        {"1e9", 1000000000000000000LL},
        {"123456789012345678901234567890e-30", 123456789},
        {"0.000000000000000000000000000001", 0},
        {"9.223372036854775807", 9223372037LL},
    };
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
        int64_t ns = -42;
        CU_ASSERT_EQUAL(secs_of(ok[i].text, &ns), 0);
        CU_ASSERT_EQUAL(ns, ok[i].ns);
        if (ns != ok[i].ns)
            fprintf(stderr, "\nseconds %s: got %lld\n", ok[i].text, (long long)ns);
    }
    int64_t ns;
    CU_ASSERT_EQUAL(secs_of("1e10", &ns), -1);
    CU_ASSERT_EQUAL(secs_of("9300000000", &ns), -1);
    CU_ASSERT_EQUAL(secs_of("1e999999999999", &ns), -1);
    CU_ASSERT_EQUAL(secs_of("\"1\"", &ns), -1);
    json_value v;
    char err[64];
    int64_t x;
    CU_ASSERT_EQUAL(parse(S("[-9223372036854775808, 9223372036854775807, 9223372036854775808,"
                            "1.0, 1e2, 7]"),
                          &v, err, sizeof err),
                    0);
    CU_ASSERT_EQUAL(json_int(&v.items[0], INT64_MIN, INT64_MAX, &x), 0);
    CU_ASSERT_EQUAL(x, INT64_MIN);
    CU_ASSERT_EQUAL(json_int(&v.items[1], INT64_MIN, INT64_MAX, &x), 0);
    CU_ASSERT_EQUAL(x, INT64_MAX);
    CU_ASSERT_EQUAL(json_int(&v.items[2], INT64_MIN, INT64_MAX, &x), -1);
    CU_ASSERT_EQUAL(json_int(&v.items[3], 0, 10, &x), -1);
    CU_ASSERT_EQUAL(json_int(&v.items[4], 0, 1000, &x), -1);
    CU_ASSERT_EQUAL(json_int(&v.items[5], 0, 6, &x), -1);
    CU_ASSERT_EQUAL(json_int(&v.items[5], 7, 7, &x), 0);
    json_free(&v);
}

/* ---- robustness ---------------------------------------------------------------------------- */

static const char SAMPLE[] = "{\"h1xx\":\"0.1\",\"cases\":[{\"id\":\"a/b\",\"n\":[1,2.5,-3e2],"
                             "\"s\":\"\\u00e9\\ud83d\\ude00\\\\x\",\"t\":true,\"f\":false,"
                             "\"z\":null,\"o\":{}}],\"e\":[]}";

static void test_prefixes(void)
{
    size_t len = sizeof SAMPLE - 1;
    int accepted = 0;
    for (size_t n = 0; n <= len; n++) {
        json_value v;
        char err[256];
        char *copy = xmalloc(n ? n : 1); /* exact size: ASan sees any over-read */
        memcpy(copy, SAMPLE, n);
        if (parse(copy, n, &v, err, sizeof err) == 0) {
            accepted++;
            json_free(&v);
        }
        free(copy);
    }
    CU_ASSERT_EQUAL(accepted, 1); /* only the whole document */
}

static uint64_t rng_state = 0x2545F4914F6CDD1DULL;

static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static void test_mutations(void)
{
    static const char bytes[] = "{}[],:\"\\u0123456789eE.-+ tfn\x80\xff\xc3\xed\x00";
    size_t len = sizeof SAMPLE - 1;
    int parsed = 0;
    for (int i = 0; i < 20000; i++) {
        char *copy = xmalloc(len);
        memcpy(copy, SAMPLE, len);
        for (int k = 0, edits = 1 + (int)(rng() % 3); k < edits; k++)
            copy[rng() % len] = bytes[rng() % (sizeof bytes - 1)];
        json_value v;
        char err[256];
        if (parse(copy, len, &v, err, sizeof err) == 0) {
            parsed++;
            json_free(&v);
        } else {
            CU_ASSERT_PTR_NOT_NULL(strstr(err, "line 1, column "));
        }
        free(copy);
    }
    CU_ASSERT_TRUE(parsed > 0 && parsed < 20000);
}

/* ---- results.json back to a run ------------------------------------------------------------ */

static const char HOSTILE[] = "h\x01\x1b[31m<b>&amp;\"'\t\r\n]]>\xff\xfe\xc0\x80\xed\xa0\x80"
                              "\xef\xbf\xbe\xe2\x80\xae\xe2\x82\xac\xf0\x9f\x98\x80\x7f\xc2\x85"
                              "\\x00 \\u0000 end";

static void hostile_case(case_result *c, const char *id, verdict_t v)
{
    memset(c, 0, sizeof *c);
    c->id = xstrdup(id);
    c->area = xstrdup(v % 2 ? "continue" : HOSTILE);
    c->title = xstrdup(HOSTILE);
    c->file = xstrdup(HOSTILE);
    c->line = 7;
    c->require = xstrdup("EXP-1 GEN-4");
    c->rfc = xstrdup(HOSTILE);
    c->level = xstrdup("MUST");
    c->verdict = v;
    c->message = xstrdup(HOSTILE);
    c->failed_require = v == VERDICT_PASS ? NULL : xstrdup(HOSTILE);
    c->start_ns = 1234000;
    c->duration_ns = 98765000;
    char all[256];
    for (int i = 0; i < 256; i++)
        all[i] = (char)i;
    result_tx(c, TX_OPEN, 1, 1000000, "127.0.0.1:8080", 14);
    result_tx(c, TX_SENT, 1, 1100000, "POST / HTTP/1.1\r\n\r\n", 19);
    result_tx(c, TX_RECV, 1, 2345000, all, sizeof all);
    result_tx(c, TX_NOTE, 0, 2500000, HOSTILE, sizeof HOSTILE - 1);
    result_tx(c, TX_EOF, 1, 2600000, NULL, 0);
    msg_record *m = result_msg(c);
    *m = (msg_record){.conn = 1, .status = 100, .interim = true, .t_first_ns = 2345000,
                      .t_head_ns = 2345000, .t_end_ns = 2346000};
    m->head = xstrndup("HTTP/1.1 100 \0\xff\x1b\r\n\r\n", 19);
    m->head_len = 19;
    finding_record *f = result_finding(c);
    *f = (finding_record){.code = 17, .name = "bare-lf", .require = "GEN-5",
                          .verdict = VERDICT_FAIL, .conn = 1, .offset = 13};
    f->text = xstrdup(HOSTILE);
    result_note(c, "%s", HOSTILE);
}

static void hostile_run(run_result *r)
{
    memset(r, 0, sizeof *r);
    r->target = xstrdup(HOSTILE);
    r->mode = xstrdup("origin");
    r->version = xstrdup(HOSTILE);
    r->hostname = xstrdup(HOSTILE);
    r->started_wall = 1700000000;
    r->duration_ns = 2500000000;
    r->deadline_hit = true;
    r->shard_i = 2;
    r->shard_n = 3;
    r->ncases = VERDICT_COUNT;
    r->cases = xcalloc(r->ncases, sizeof *r->cases);
    for (int v = 0; v < VERDICT_COUNT; v++) {
        char id[32];
        snprintf(id, sizeof id, "x/%s", verdict_name((verdict_t)v));
        hostile_case(&r->cases[v], id, (verdict_t)v);
    }
    result_count(r);
}

static char *json_of(const run_result *r, const char *dir, const char *name, size_t *len)
{
    char *path = xasprintf("%s/%s", dir, name), err[256];
    report_opts o = {0};
    char *doc = NULL;
    if (report_json_write(r, path, &o, err, sizeof err) == 0)
        doc = tu_slurp(path, len);
    free(path);
    return doc ? doc : xstrdup("");
}

static void test_roundtrip(void)
{
    char *dir = tu_tmpdir();
    CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
    run_result r, back;
    hostile_run(&r);
    size_t len1 = 0, len2 = 0;
    char *doc1 = json_of(&r, dir, "a.json", &len1);
    char *path = xasprintf("%s/a.json", dir), err[512] = "";
    CU_ASSERT_EQUAL_FATAL(result_load_json(path, &back, err, sizeof err), 0);
    char *doc2 = json_of(&back, dir, "b.json", &len2);
    CU_ASSERT_TRUE(len1 > 1000 && len1 == len2 && !memcmp(doc1, doc2, len1));
    /* exact bytes where the file has them: transcript and heads */
    const case_result *c = &back.cases[VERDICT_FAIL];
    CU_ASSERT_EQUAL(back.ncases, (size_t)VERDICT_COUNT);
    CU_ASSERT_EQUAL(c->ntx, 5);
    CU_ASSERT_EQUAL(c->tx[2].len, 256);
    for (int i = 0; i < 256 && c->tx[2].len == 256; i++)
        CU_ASSERT_EQUAL((unsigned char)c->tx[2].data[i], i);
    CU_ASSERT_EQUAL(c->msgs[0].head_len, 19);
    CU_ASSERT_EQUAL(memcmp(c->msgs[0].head, "HTTP/1.1 100 \0\xff\x1b\r\n\r\n", 19), 0);
    CU_ASSERT_STRING_EQUAL(c->findings[0].name, "bare-lf");
    CU_ASSERT_STRING_EQUAL(c->findings[0].require, "GEN-5");
    CU_ASSERT_EQUAL(c->start_ns, 1234000);
    CU_ASSERT_TRUE(back.deadline_hit && back.shard_i == 2 && back.shard_n == 3);
    CU_ASSERT_EQUAL(back.counts[VERDICT_WARN], 1);
    CU_ASSERT_EQUAL(back.started_wall, 1700000000);
    free(doc1);
    free(doc2);
    free(path);
    result_free(&r);
    result_free(&back);
    tu_rmtree(dir);
    free(dir);
}

/* Parses doc and rebuilds a run from it; returns the error ("" when it loaded). */
static const char *load_err(const char *doc)
{
    static char err[512];
    json_value v;
    run_result r;
    err[0] = '\0';
    if (parse(doc, strlen(doc), &v, err, sizeof err))
        return err;
    if (result_from_json(&v, &r, err, sizeof err) == 0)
        result_free(&r);
    json_free(&v);
    return err;
}

#define HEAD "{\"h1xx\":\"0.1\",\"target\":\"t\",\"mode\":\"origin\",\"started\":" \
             "\"2023-11-14T22:13:20Z\",\"duration_s\":1.5,\"interrupted\":false,"   \
             "\"deadline_hit\":false,\"strict\":false,\"shard\":null,\"summary\":{},"
#define CASE "{\"id\":\"a/b\",\"area\":\"a\",\"title\":\"t\",\"file\":\"f\",\"line\":1,"      \
             "\"require\":[\"EXP-1\"],\"rfc\":\"r\",\"level\":\"MUST\",\"message\":\"\","     \
             "\"failed_require\":null,\"start_s\":0.1,\"duration_s\":0.2,\"messages\":[],"    \
             "\"findings\":[],\"notes\":[],\"transcript_truncated\":false,"

static void test_shape_errors(void)
{
    CU_ASSERT_STRING_EQUAL(load_err(HEAD "\"cases\":[" CASE "\"verdict\":\"pass\","
                                         "\"transcript\":[]}]}"), "");
    CU_ASSERT_STRING_EQUAL(load_err(HEAD "\"cases\":[" CASE "\"verdict\":\"great\","
                                         "\"transcript\":[]}]}"),
                           "cases[0].verdict: unknown verdict");
    CU_ASSERT_STRING_EQUAL(load_err(HEAD "\"cases\":[" CASE "\"verdict\":\"pass\"}]}"),
                           "cases[0].transcript: missing");
    CU_ASSERT_STRING_EQUAL(load_err(HEAD "\"cases\":[" CASE "\"verdict\":\"pass\",\"transcript\":"
                                         "[{\"kind\":\"recv\",\"conn\":1,\"t_s\":0,"
                                         "\"b64\":\"Zm9v!\"}]}]}"),
                           "cases[0].transcript[0].b64: not valid base64");
    CU_ASSERT_STRING_EQUAL(load_err(HEAD "\"cases\":[" CASE "\"verdict\":\"pass\",\"transcript\":"
                                         "[{\"kind\":\"sideways\"}]}]}"),
                           "cases[0].transcript[0].kind: unknown transcript entry kind");
    CU_ASSERT_STRING_EQUAL(load_err(HEAD "\"cases\":[" CASE "\"verdict\":\"pass\",\"transcript\":"
                                         "[], \"line\":-1}]}"),
                           "line 1, column 463: key \"line\" repeated in an object");
    CU_ASSERT_STRING_EQUAL(load_err(HEAD "\"cases\":[7]}"), "cases[0]: expected an object");
    CU_ASSERT_STRING_EQUAL(load_err(HEAD "\"cases\":{}}"), "cases: expected an array, got object");
    CU_ASSERT_STRING_EQUAL(load_err("[]"), "document: expected an object");
    CU_ASSERT_STRING_EQUAL(load_err("{\"h1xx\":\"1\",\"target\":\"t\",\"mode\":\"o\",\"started\":"
                                    "\"yesterday\",\"cases\":[]}"),
                           "started: expected YYYY-MM-DDTHH:MM:SSZ");
}

/* ---- merging ------------------------------------------------------------------------------- */

static void shard_run(run_result *r, int i, int n, const char *const *ids, size_t k)
{
    memset(r, 0, sizeof *r);
    r->target = xstrdup("http://t/");
    r->mode = xstrdup("origin");
    r->version = xstrdup("0.1");
    r->hostname = xstrdup("h");
    r->started_wall = 1700000000 + i;
    r->duration_ns = 1500000000;
    r->shard_i = i;
    r->shard_n = n;
    r->ncases = k;
    r->cases = xcalloc(k, sizeof *r->cases);
    for (size_t j = 0; j < k; j++)
        hostile_case(&r->cases[j], ids[j], j % 2 ? VERDICT_FAIL : VERDICT_PASS);
    result_count(r);
}

static void free_runs(run_result *runs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        result_free(&runs[i]);
}

static void test_merge(void)
{
    static const char *const a[] = {"c/3", "a/1"}, *const b[] = {"b/2", "a/0"}, *const c[] = {"d"};
    static const char *const names[] = {"one.json", "two.json", "three.json"};
    run_result runs[3], out;
    char err[256] = "";
    shard_run(&runs[0], 2, 3, a, 2);
    shard_run(&runs[1], 1, 3, b, 2);
    shard_run(&runs[2], 3, 3, c, 1);
    CU_ASSERT_EQUAL_FATAL(merge_runs(runs, names, 3, &out, err, sizeof err), 0);
    CU_ASSERT_EQUAL(out.ncases, 5);
    static const char *const want[] = {"a/0", "a/1", "b/2", "c/3", "d"};
    for (size_t i = 0; i < 5 && out.ncases == 5; i++)
        CU_ASSERT_STRING_EQUAL(out.cases[i].id, want[i]);
    CU_ASSERT_EQUAL(out.counts[VERDICT_PASS], 3);
    CU_ASSERT_EQUAL(out.counts[VERDICT_FAIL], 2);
    CU_ASSERT_EQUAL(out.started_wall, 1700000001);
    CU_ASSERT_EQUAL(out.duration_ns, 3500000000LL); /* from the first start to the last end */
    CU_ASSERT_EQUAL(out.shard_n, 0);
    CU_ASSERT_EQUAL(runs[0].ncases, 0);
    free_runs(runs, 3);
    result_free(&out);

    shard_run(&runs[0], 1, 3, a, 2);
    shard_run(&runs[1], 2, 3, b, 2);
    CU_ASSERT_EQUAL(merge_runs(runs, names, 2, &out, err, sizeof err), -1);
    CU_ASSERT_STRING_EQUAL(err, "shard 3/3 is missing: give the results.json of every shard");
    free_runs(runs, 2);

    shard_run(&runs[0], 1, 2, a, 2);
    shard_run(&runs[1], 2, 2, a, 1);
    CU_ASSERT_EQUAL(merge_runs(runs, names, 2, &out, err, sizeof err), -1);
    CU_ASSERT_STRING_EQUAL(err, "case c/3 is in both one.json and two.json");
    CU_ASSERT_EQUAL(runs[0].ncases, 2); /* nothing moved on a refusal */
    free_runs(runs, 2);

    shard_run(&runs[0], 1, 2, a, 2);
    shard_run(&runs[1], 2, 2, b, 2);
    free(runs[1].target);
    runs[1].target = xstrdup("http://other/");
    CU_ASSERT_EQUAL(merge_runs(runs, names, 2, &out, err, sizeof err), -1);
    CU_ASSERT_STRING_EQUAL(err, "one.json and two.json are runs against different targets");
    free_runs(runs, 2);

    shard_run(&runs[0], 1, 2, a, 2);
    shard_run(&runs[1], 1, 2, b, 2);
    CU_ASSERT_EQUAL(merge_runs(runs, names, 2, &out, err, sizeof err), -1);
    CU_ASSERT_STRING_EQUAL(err, "shard 1/2 given twice: one.json and two.json");
    free_runs(runs, 2);
}

/* ---- registration -------------------------------------------------------------------------- */

void register_json_read_tests(void)
{
    CU_pSuite s = CU_add_suite("json_read", NULL, NULL);
    if (!s)
        return;
    CU_add_test(s, "values", test_values);
    CU_add_test(s, "invalid documents", test_errors);
    CU_add_test(s, "error position", test_error_position);
    CU_add_test(s, "depth and size bounds", test_bounds);
    CU_add_test(s, "seconds and integers", test_numbers);
    CU_add_test(s, "every prefix", test_prefixes);
    CU_add_test(s, "random mutations", test_mutations);
    CU_add_test(s, "results.json -> run -> results.json, byte for byte", test_roundtrip);
    CU_add_test(s, "results.json shape errors", test_shape_errors);
    CU_add_test(s, "merging runs", test_merge);
}
