/* Unit tests for baseline.c: the text form's parser, classification against a baseline, the
 * one summary's tally, the text writer, and the case path used for JUnit annotations. */
#include <CUnit/CUnit.h>
#include <stdlib.h>
#include <string.h>

#include "baseline.h"
#include "report.h"
#include "report_util.h"
#include "testutil.h"
#include "util.h"

static int parse(baseline *b, const char *text, char *err, size_t errsz)
{
    memset(b, 0, sizeof *b);
    err[0] = '\0';
    return baseline_parse_text(b, text, strlen(text), "known.txt", err, errsz);
}

static void test_parse_ok(void)
{
    baseline b;
    char err[256];
    const char *text = "# known failures\n"
                       "\n"
                       "continue/exp1-chunked fail EXP-1\r\n"
                       "  upgrade/x   WARN   # a comment after\n"
                       "http10/y error V10-1 # why\n"
                       "a/pass pass";
    CU_ASSERT_EQUAL(parse(&b, text, err, sizeof err), 0);
    CU_ASSERT_EQUAL(b.n, 4);
    const baseline_entry *e = baseline_find(&b, "continue/exp1-chunked");
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    CU_ASSERT_EQUAL(e->verdict, VERDICT_FAIL);
    CU_ASSERT_STRING_EQUAL(e->require, "EXP-1");
    CU_ASSERT_EQUAL(e->line, 3);
    e = baseline_find(&b, "upgrade/x");
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    CU_ASSERT_EQUAL(e->verdict, VERDICT_WARN);
    CU_ASSERT_PTR_NULL(e->require);
    CU_ASSERT_EQUAL(baseline_find(&b, "http10/y")->verdict, VERDICT_ERROR);
    CU_ASSERT_EQUAL(baseline_find(&b, "a/pass")->verdict, VERDICT_PASS);
    CU_ASSERT_PTR_NULL(baseline_find(&b, "nope"));
    baseline_free(&b);
    CU_ASSERT_EQUAL(parse(&b, "", err, sizeof err), 0);
    CU_ASSERT_EQUAL(b.n, 0);
    baseline_free(&b);
}

static void expect_error(const char *text, const char *want)
{
    baseline b;
    char err[256];
    CU_ASSERT_EQUAL(parse(&b, text, err, sizeof err), -1);
    if (!strstr(err, want))
        fprintf(stderr, "\nerror '%s' lacks '%s'\n", err, want);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, want));
    baseline_free(&b);
}

static void test_parse_errors(void)
{
    expect_error("a/b fial EXP-1\n", "known.txt:1: unknown verdict");
    expect_error("a/b fial EXP-1\n", "'fial'");
    expect_error("# c\na/b\n", "known.txt:2: expected `CASE-ID VERDICT [REQ]`");
    expect_error("a/b fail EXP-1 extra\n", "known.txt:1: expected");
    expect_error("a/b fail\nc/d pass\na/b warn\n", "known.txt:3: case given twice");
    expect_error("a\x01/b fail\n", "control bytes");
    char *long_line = xcalloc(BASELINE_MAX_LINE + 10, 1);
    memset(long_line, 'a', BASELINE_MAX_LINE + 5);
    expect_error(long_line, "line too long");
    free(long_line);
    baseline b = {0};
    char err[64];
    CU_ASSERT_EQUAL(baseline_parse_text(&b, "a/b fail\0x", 10, "k", err, sizeof err), -1);
    baseline_free(&b);
}

static case_result mk(const char *id, verdict_t v, const char *req)
{
    case_result c;
    memset(&c, 0, sizeof c);
    c.id = (char *)id;
    c.verdict = v;
    c.failed_require = (char *)req;
    return c;
}

static void test_classify(void)
{
    baseline b;
    char err[256];
    CU_ASSERT_EQUAL_FATAL(parse(&b, "k/fail fail EXP-1\nk/any fail\nk/warn warn GEN-5\n"
                                    "k/pass pass\nk/err error\n", err, sizeof err), 0);
    struct {
        const char *id;
        verdict_t v;
        const char *req;
        bool strict;
        baseline_mark want;
    } t[] = {
        {"k/fail", VERDICT_FAIL, "EXP-1", false, BASELINE_EXPECTED},
        {"k/fail", VERDICT_FAIL, "V10-1", false, BASELINE_NEW}, /* another requirement */
        {"k/fail", VERDICT_FAIL, NULL, false, BASELINE_EXPECTED},
        {"k/fail", VERDICT_WARN, "EXP-1", true, BASELINE_EXPECTED}, /* milder than known */
        {"k/fail", VERDICT_PASS, NULL, false, BASELINE_FIXED},
        {"k/fail", VERDICT_WARN, "EXP-1", false, BASELINE_FIXED}, /* no longer failing */
        {"k/fail", VERDICT_SKIP, NULL, false, BASELINE_NONE},    /* cannot tell */
        {"k/fail", VERDICT_ERROR, NULL, false, BASELINE_NEW},
        {"k/any", VERDICT_FAIL, "GEN-1", false, BASELINE_EXPECTED}, /* no REQ: any */
        {"k/warn", VERDICT_WARN, "GEN-5", false, BASELINE_NONE}, /* a warn passes */
        {"k/warn", VERDICT_WARN, "GEN-5", true, BASELINE_EXPECTED},
        {"k/warn", VERDICT_FAIL, "GEN-5", false, BASELINE_NEW}, /* worse than known */
        {"k/warn", VERDICT_PASS, NULL, false, BASELINE_FIXED},
        {"k/pass", VERDICT_FAIL, "EXP-1", false, BASELINE_NEW},
        {"k/pass", VERDICT_PASS, NULL, false, BASELINE_NONE},
        {"k/absent", VERDICT_FAIL, "EXP-1", false, BASELINE_NEW},
        {"k/absent", VERDICT_WARN, "EXP-1", false, BASELINE_NONE},
        {"k/absent", VERDICT_WARN, "EXP-1", true, BASELINE_NEW},
        {"k/absent", VERDICT_NOTRUN, NULL, false, BASELINE_NONE},
        {"k/err", VERDICT_ERROR, NULL, false, BASELINE_EXPECTED},
    };
    for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
        case_result c = mk(t[i].id, t[i].v, t[i].req);
        baseline_mark got = baseline_classify(&b, &c, t[i].strict);
        if (got != t[i].want)
            fprintf(stderr, "\nrow %zu: %s %s: got %d, want %d\n", i, t[i].id,
                    verdict_name(t[i].v), got, t[i].want);
        CU_ASSERT_EQUAL(got, t[i].want);
    }
    baseline_free(&b);
}

/* A run of cases by verdict, baseline marks applied from text. */
static void tally_run(run_result *r, case_result *cases, size_t n)
{
    memset(r, 0, sizeof *r);
    r->cases = cases;
    r->ncases = n;
}

static void test_tally(void)
{
    case_result cs[] = {
        mk("a/p", VERDICT_PASS, NULL),   mk("a/w", VERDICT_WARN, "GEN-5"),
        mk("a/f", VERDICT_FAIL, "EXP-1"), mk("a/s", VERDICT_SKIP, NULL),
        mk("a/e", VERDICT_ERROR, NULL),  mk("a/n", VERDICT_NOTRUN, NULL),
        mk("a/g", VERDICT_FAIL, "EXP-2"), mk("a/x", VERDICT_PASS, NULL),
    };
    run_result r;
    tally_run(&r, cs, sizeof cs / sizeof *cs);
    run_tally t;
    result_tally(&r, false, &t);
    CU_ASSERT_EQUAL(t.passed, 3);  /* pass, warn, pass */
    CU_ASSERT_EQUAL(t.failed, 4);  /* 2 fail, error, not-run */
    CU_ASSERT_EQUAL(t.skipped, 1);
    result_tally(&r, true, &t);
    CU_ASSERT_EQUAL(t.passed, 2);
    CU_ASSERT_EQUAL(t.failed, 5);
    baseline b;
    char err[128];
    CU_ASSERT_EQUAL_FATAL(parse(&b, "a/f fail EXP-1\na/x fail EXP-3\n", err, sizeof err), 0);
    baseline_apply(&b, &r, false);
    CU_ASSERT_TRUE(r.has_baseline);
    result_tally(&r, false, &t);
    CU_ASSERT_EQUAL(t.expected, 1);
    CU_ASSERT_EQUAL(t.new_failures, 2); /* a/g and a/e */
    CU_ASSERT_EQUAL(t.fixed, 1);        /* a/x */
    CU_ASSERT_EQUAL(t.passed, 3);
    CU_ASSERT_EQUAL(t.failed, 3); /* a/g, error, not-run */
    CU_ASSERT_EQUAL(t.skipped, 2); /* skip and the expected failure */
    r.strict_baseline = true;
    result_tally(&r, false, &t);
    CU_ASSERT_EQUAL(t.passed, 2);
    CU_ASSERT_EQUAL(t.failed, 4);
    buf_t s;
    buf_init(&s, 0);
    baseline_summary(&s, &r);
    CU_ASSERT_PTR_NOT_NULL(strstr(s.data, "1 expected failure (baseline): a/f;"));
    CU_ASSERT_PTR_NOT_NULL(strstr(s.data, "2 new failures: a/e (error), a/g (EXP-2)\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(s.data, "1 known failure now passes: a/x; update the baseline"));
    buf_free(&s);
    baseline_free(&b);
}

static void test_write_and_reread(void)
{
    case_result cs[] = {mk("a/f", VERDICT_FAIL, "EXP-1"), mk("a/w", VERDICT_WARN, NULL),
                        mk("a/p", VERDICT_PASS, NULL), mk("a/e", VERDICT_ERROR, NULL)};
    run_result r;
    tally_run(&r, cs, 4);
    r.target = "http://t/";
    r.mode = "origin";
    char *dir = tu_tmpdir();
    CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
    char *path = xasprintf("%s/known.txt", dir), err[256];
    FILE *f = fopen(path, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    baseline_write_text(f, &r);
    fclose(f);
    size_t len = 0;
    char *text = tu_slurp(path, &len);
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "\na/f fail EXP-1\na/w warn\n"));
    CU_ASSERT_PTR_NULL(strstr(text, "a/p"));
    baseline b = {0};
    CU_ASSERT_EQUAL(baseline_load(&b, path, err, sizeof err), 0);
    CU_ASSERT_EQUAL(b.n, 2);
    baseline_free(&b);
    CU_ASSERT_EQUAL(baseline_load(&b, "/nonexistent/known.txt", err, sizeof err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "cannot read baseline"));
    baseline_free(&b);
    free(text);
    free(path);
    tu_rmtree(dir);
    free(dir);
}

static void test_case_path(void)
{
    struct {
        const char *file, *root, *want;
    } t[] = {
        {"/usr/share/h1xx/cases/continue/x.case", NULL, "cases/continue/x.case"},
        {"cases/continue/x.case", NULL, "cases/continue/x.case"},
        {"/opt/h1xx/cases/continue/x.case", "test/h1xx", "test/h1xx/continue/x.case"},
        {"/opt/h1xx/cases/continue/x.case", ".", "continue/x.case"},
        {"/opt/h1xx/cases/continue/x.case", "", "continue/x.case"},
        {"continue/x.case", NULL, "continue/x.case"},
        {"x.case", "r", "x.case"},
        {NULL, NULL, ""},
    };
    for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
        char *got = report_case_path(t[i].file, t[i].root);
        CU_ASSERT_STRING_EQUAL(got, t[i].want);
        free(got);
    }
}

/* JUnit of a baseline run: expected failures skipped with the reason, a new one a failure, a
 * fixed one a failure only under --strict-baseline; counts agree with the summary. */
static char *junit_doc(run_result *r)
{
    char *dir = tu_tmpdir();
    if (!dir)
        return NULL;
    char *path = xasprintf("%s/j.xml", dir), err[256];
    size_t len = 0;
    report_opts o = {0};
    char *doc = report_junit_write(r, path, &o, err, sizeof err) == 0 ? tu_slurp(path, &len)
                                                                       : NULL;
    tu_rmtree(dir);
    free(dir);
    free(path);
    return doc;
}

static void test_junit_marks(void)
{
    case_result cs[] = {mk("a/f", VERDICT_FAIL, "EXP-1"), mk("a/g", VERDICT_FAIL, "EXP-2"),
                        mk("a/x", VERDICT_PASS, NULL), mk("a/w", VERDICT_WARN, "GEN-5")};
    for (size_t i = 0; i < 4; i++) {
        cs[i].area = "a";
        cs[i].message = cs[i].verdict == VERDICT_PASS ? "" : "expected 100, got nothing";
    }
    run_result r;
    tally_run(&r, cs, 4);
    baseline b;
    char err[128];
    CU_ASSERT_EQUAL_FATAL(parse(&b, "a/f fail EXP-1\na/x fail\n", err, sizeof err), 0);
    baseline_apply(&b, &r, false);
    char *doc = junit_doc(&r);
    CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
    CU_ASSERT_PTR_NOT_NULL(strstr(doc, "tests=\"4\" failures=\"1\" errors=\"0\" skipped=\"1\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(doc, "<skipped message=\"expected failure (baseline): "
                                       "expected 100, got nothing [EXP-1]\">"));
    CU_ASSERT_PTR_NOT_NULL(strstr(doc, "known failure now passes (baseline)"));
    CU_ASSERT_PTR_NOT_NULL(strstr(doc, "name=\"a/w [warn]\""));
    free(doc);
    r.strict_baseline = true;
    doc = junit_doc(&r);
    CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
    CU_ASSERT_PTR_NOT_NULL(strstr(doc, "tests=\"4\" failures=\"2\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(doc, "type=\"baseline\""));
    free(doc);
    baseline_free(&b);
}

void register_baseline_tests(void);
void register_baseline_tests(void)
{
    CU_pSuite s = CU_add_suite("baseline", NULL, NULL);
    CU_add_test(s, "text form: verdicts, requirements, comments, CRLF", test_parse_ok);
    CU_add_test(s, "text form: errors name file, line and the bad word", test_parse_errors);
    CU_add_test(s, "classification: expected, new, fixed", test_classify);
    CU_add_test(s, "one summary: passed, failed, skipped with a baseline", test_tally);
    CU_add_test(s, "h1xx baseline text form reads back", test_write_and_reread);
    CU_add_test(s, "JUnit file paths relative to --junit-file-root", test_case_path);
    CU_add_test(s, "JUnit: expected skipped, new failed, fixed under --strict-baseline",
                test_junit_marks);
}
