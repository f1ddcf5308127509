/* Unit tests of vars: the edit distance and the closest-name choice behind "did you mean", the
 * vars-file parser (good lines, each kind of bad line with its FILE:LINE message, nothing kept
 * from a bad file), the order in which files and --set override, the table of known variables
 * built from cases, and the grouping of skipped cases behind the summary's hint line. */
#include <CUnit/CUnit.h>
#include <stdlib.h>
#include <string.h>

#include "case.h"
#include "report_areas.h"
#include "report_skips.h"
#include "vars.h"

/* ---- spelling ------------------------------------------------------------------------------ */

static void test_distance(void)
{
    CU_ASSERT_EQUAL(vars_distance("", ""), 0);
    CU_ASSERT_EQUAL(vars_distance("ws_path", "ws_path"), 0);
    CU_ASSERT_EQUAL(vars_distance("uplod_path", "upload_path"), 1);  /* insertion */
    CU_ASSERT_EQUAL(vars_distance("upload_pathx", "upload_path"), 1); /* deletion */
    CU_ASSERT_EQUAL(vars_distance("slow_pith", "slow_path"), 1);     /* substitution */
    CU_ASSERT_EQUAL(vars_distance("ws_ptah", "ws_path"), 1);         /* swap */
    CU_ASSERT_EQUAL(vars_distance("abc", ""), 3);
    CU_ASSERT_EQUAL(vars_distance("", "abcd"), 4);
    CU_ASSERT_EQUAL(vars_distance("kitten", "sitting"), 3);
    CU_ASSERT_EQUAL(vars_distance("ab", "ba"), 1);
    CU_ASSERT_EQUAL(vars_distance("Port", "port"), 1); /* case counts */
    /* symmetric */
    CU_ASSERT_EQUAL(vars_distance("hints_path", "interims_path"),
                    vars_distance("interims_path", "hints_path"));
    /* names past the cap still compare, and stay finite */
    char a[300], b[301];
    memset(a, 'x', sizeof a - 1);
    a[sizeof a - 1] = '\0';
    memset(b, 'x', sizeof b - 1);
    b[sizeof b - 1] = '\0';
    CU_ASSERT_EQUAL(vars_distance(a, b), 1);
    CU_ASSERT_EQUAL(vars_distance(a, a), 0);
}

static void test_closest(void)
{
    const char *known[] = {"host", "port", "path", "upload_path", "ws_path", "ws_echo_path",
                           "slow_path", "hints_path", "interims_path", "reject_path"};
    size_t n = sizeof known / sizeof *known;
    CU_ASSERT_STRING_EQUAL(vars_closest("uplod_path", known, n), "upload_path");
    CU_ASSERT_STRING_EQUAL(vars_closest("ws_pth", known, n), "ws_path");
    CU_ASSERT_STRING_EQUAL(vars_closest("WS_PATH", known, n) ? "?" : "none", "none");
    CU_ASSERT_STRING_EQUAL(vars_closest("rejectpath", known, n), "reject_path");
    CU_ASSERT_STRING_EQUAL(vars_closest("prot", known, n), "port"); /* a swap in a short name */
    CU_ASSERT_PTR_NULL(vars_closest("zzz", known, n));
    CU_ASSERT_PTR_NULL(vars_closest("completely_else", known, n));
    CU_ASSERT_PTR_NULL(vars_closest("x", known, 0));
    /* one substitution from host */
    CU_ASSERT_STRING_EQUAL(vars_closest("hast", known, n), "host");
}

/* ---- the vars file ------------------------------------------------------------------------- */

static int parse(const char *text, var_settings *s, char *err, size_t errsz)
{
    return vars_parse("ci.vars", text, strlen(text), s, err, errsz);
}

static void test_parse_good(void)
{
    var_settings s = {0};
    char err[256] = "";
    const char *text = "# endpoints\n"
                       "\n"
                       "reject_path=/reject\n"
                       "  ws_path = /ws  \r\n"
                       "slow_path=/slow?count=5&interval=100\n"
                       "empty=\n"
                       "\t# indented comment\n"
                       "hash=/a#b\n"
                       "last=no newline";
    CU_ASSERT_EQUAL_FATAL(parse(text, &s, err, sizeof err), 0);
    CU_ASSERT_EQUAL_FATAL(s.n, 6);
    CU_ASSERT_STRING_EQUAL(s.v[0].name, "reject_path");
    CU_ASSERT_STRING_EQUAL(s.v[0].value, "/reject");
    CU_ASSERT_EQUAL(s.v[0].line, 3);
    CU_ASSERT_STRING_EQUAL(s.v[0].from, "ci.vars");
    CU_ASSERT_STRING_EQUAL(s.v[1].name, "ws_path");
    CU_ASSERT_STRING_EQUAL(s.v[1].value, "/ws");
    CU_ASSERT_EQUAL(s.v[1].line, 4);
    CU_ASSERT_STRING_EQUAL(s.v[2].value, "/slow?count=5&interval=100");
    CU_ASSERT_STRING_EQUAL(s.v[3].value, "");
    CU_ASSERT_STRING_EQUAL(s.v[4].value, "/a#b"); /* '#' starts a comment only at a line's start */
    CU_ASSERT_STRING_EQUAL(s.v[5].value, "no newline");
    CU_ASSERT_EQUAL(s.v[5].line, 9);
    vars_settings_free(&s);
    CU_ASSERT_EQUAL(parse("", &s, err, sizeof err), 0);
    CU_ASSERT_EQUAL(s.n, 0);
    vars_settings_free(&s);
}

/* Parses text, expects failure with exactly msg, and that nothing of the file was kept. */
static void bad(const char *text, const char *msg)
{
    var_settings s = {0};
    vars_add_set(&s, "kept=1");
    char err[256] = "";
    CU_ASSERT_EQUAL(vars_parse("ci.vars", text, strlen(text), &s, err, sizeof err), -1);
    CU_ASSERT_STRING_EQUAL(err, msg);
    if (strcmp(err, msg) != 0)
        fprintf(stderr, "\n    got: %s\n    want: %s\n", err, msg);
    CU_ASSERT_EQUAL(s.n, 1);
    vars_settings_free(&s);
}

static void test_parse_bad(void)
{
    bad("a=1\nws_path /ws\n", "ci.vars:2: expected NAME=VALUE, got 'ws_path /ws'");
    bad("=x\n", "ci.vars:1: no variable name before '='");
    bad("  = x\n", "ci.vars:1: no variable name before '='");
    bad("ws-path=/ws\n", "ci.vars:1: bad variable name 'ws-path' (letters, digits and _ only)");
    bad("ws path=/ws\n", "ci.vars:1: bad variable name 'ws path' (letters, digits and _ only)");
    bad("ws_path=\"/ws\"\n",
        "ci.vars:1: values are taken as written, without quotes: write ws_path=/ws");
    bad("ws_path='/ws'\n",
        "ci.vars:1: values are taken as written, without quotes: write ws_path=/ws");
    bad("a=1\n\nb=2\na=3\n", "ci.vars:4: a is already set on line 1");
    /* a NUL byte: bad() measures with strlen, so give the length here */
    var_settings s = {0};
    char err[256] = "";
    static const char nul[] = "a=1\nb=x\0y\n";
    CU_ASSERT_EQUAL(vars_parse("ci.vars", nul, sizeof nul - 1, &s, err, sizeof err), -1);
    CU_ASSERT_STRING_EQUAL(err, "ci.vars:2: a NUL byte (is this a text file?)");
    CU_ASSERT_EQUAL(s.n, 0);
    vars_settings_free(&s);
}

static void test_override_order(void)
{
    var_settings s = {0};
    char err[256];
    CU_ASSERT_EQUAL(vars_parse("a.vars", "ws_path=/a\nslow_path=/a", 22, &s, err, sizeof err), 0);
    CU_ASSERT_EQUAL(vars_parse("b.vars", "ws_path=/b\n", 11, &s, err, sizeof err), 0);
    vars_add_set(&s, "slow_path=/set=with=equals");
    CU_ASSERT_STRING_EQUAL(vars_get(&s, "ws_path")->value, "/b");
    CU_ASSERT_STRING_EQUAL(vars_get(&s, "ws_path")->from, "b.vars");
    CU_ASSERT_STRING_EQUAL(vars_get(&s, "slow_path")->value, "/set=with=equals");
    CU_ASSERT_EQUAL(vars_get(&s, "slow_path")->line, 0);
    CU_ASSERT_PTR_NULL(vars_get(&s, "hints_path"));
    vars_settings_free(&s);
    CU_ASSERT_EQUAL(vars_load_file("/nonexistent/h1xx.vars", &s, err, sizeof err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "cannot read vars file /nonexistent/h1xx.vars"));
}

/* ---- the table ----------------------------------------------------------------------------- */

static void load(const char *text, case_def *c)
{
    char err[256] = "";
    int rc = case_load_buffer("t.case", text, strlen(text), NULL, c, err, sizeof err);
    CU_ASSERT_EQUAL(rc, 0);
    if (rc)
        fprintf(stderr, "\n    %s\n", err);
}

static void test_table(void)
{
    case_def c[2];
    memset(c, 0, sizeof c);
    load("id a/one\ntitle t\nrequire EXP-1\nlevel MUST\ndefault upload_path ${path}\n"
         "> POST ${upload_path} HTTP/1.1\n> Host: ${authority}\n> X: ${ws_path}\n>\n"
         "expect final\n", &c[0]);
    load("id a/two\ntitle t\nrequire EXP-1\nlevel MUST\n"
         "> GET ${upload_path} HTTP/1.1\n> Host: ${authority}\n>\nexpect final\n", &c[1]);
    var_table t;
    vars_table_build(&t, c, 2);
    const var_info *v = vars_table_find(&t, "upload_path");
    CU_ASSERT_PTR_NOT_NULL_FATAL(v);
    CU_ASSERT_EQUAL(v->source, VAR_CASE);
    CU_ASSERT_EQUAL(v->ncases, 2);
    CU_ASSERT_EQUAL(v->ndefaulted, 1);
    CU_ASSERT_STRING_EQUAL(v->dflt, "${path}");
    v = vars_table_find(&t, "ws_path");
    CU_ASSERT_PTR_NOT_NULL_FATAL(v);
    CU_ASSERT_EQUAL(v->ncases, 1);
    CU_ASSERT_PTR_NULL(v->dflt);
    v = vars_table_find(&t, "authority");
    CU_ASSERT_PTR_NOT_NULL_FATAL(v);
    CU_ASSERT_EQUAL(v->source, VAR_BUILTIN);
    CU_ASSERT_EQUAL(v->ncases, 2);
    CU_ASSERT_EQUAL(vars_table_find(&t, "ws_key")->source, VAR_RUN);
    CU_ASSERT_PTR_NULL(vars_table_find(&t, "uplod_path"));
    /* what --list shows */
    buf_t b;
    buf_init(&b, 0);
    CU_ASSERT_EQUAL(vars_needed(&c[0], &t, &b), 1);
    CU_ASSERT_STRING_EQUAL(b.data, "ws_path");
    buf_reset(&b);
    CU_ASSERT_EQUAL(vars_needed(&c[1], &t, &b), 1);
    CU_ASSERT_STRING_EQUAL(b.data, "upload_path"); /* no default in this case */
    buf_free(&b);
    /* the check behind the usage error */
    var_settings s = {0};
    vars_add_set(&s, "ws_path=/ws");
    CU_ASSERT_EQUAL(vars_check_known(&t, &s), 0);
    vars_settings_free(&s);
    vars_table_free(&t);
    case_free(&c[0]);
    case_free(&c[1]);
}

/* ---- the skip hint ------------------------------------------------------------------------- */

static void test_skip_hint(void)
{
    static const char *const ids[] = {"u/a", "u/b", "p/c", "u/d", "h/e", "x/f", "x/g"};
    static const char *const miss[] = {"ws_path", "ws_path", "slow_path", "ws_path", "hints_path",
                                       NULL, NULL};
    run_result r = {0};
    case_result cr[7];
    memset(cr, 0, sizeof cr);
    for (int i = 0; i < 7; i++) {
        cr[i].id = (char *)ids[i];
        cr[i].missing_var = (char *)miss[i];
        cr[i].verdict = i == 6 ? VERDICT_PASS : VERDICT_SKIP; /* x/f: skipped, inconclusive */
    }
    r.cases = cr;
    r.ncases = 7;
    skip_group *g;
    size_t n = report_skip_groups(&r, &g);
    CU_ASSERT_EQUAL_FATAL(n, 3);
    CU_ASSERT_STRING_EQUAL(g[0].var, "ws_path");
    CU_ASSERT_EQUAL(g[0].n, 3);
    CU_ASSERT_STRING_EQUAL(g[0].ids[2], "u/d");
    CU_ASSERT_STRING_EQUAL(g[1].var, "hints_path"); /* ties in name order */
    CU_ASSERT_STRING_EQUAL(g[2].var, "slow_path");
    buf_t b;
    buf_init(&b, 0);
    report_skip_hint(&b, &r, g, n);
    CU_ASSERT_STRING_EQUAL(b.data, "6 skipped: --set ws_path (3 cases), hints_path (1), "
                                   "slow_path (1)");
    buf_reset(&b);
    report_skip_ids(&b, &g[0], "  ", 0, 12);
    CU_ASSERT_STRING_EQUAL(b.data, "u/a, u/b,\n  u/d");
    buf_free(&b);
    report_skip_groups_free(g, n);
    /* --repeat: the copies of one case, side by side, are named once with their count */
    cr[1].id = (char *)ids[0];
    cr[4].missing_var = (char *)miss[0];
    n = report_skip_groups(&r, &g);
    CU_ASSERT_EQUAL_FATAL(g[0].n, 4);
    buf_init(&b, 0);
    report_skip_ids(&b, &g[0], "  ", 0, 100);
    CU_ASSERT_STRING_EQUAL(b.data, "u/a (x2), u/d, h/e");
    buf_free(&b);
    report_skip_groups_free(g, n);
    r.ncases = 0;
    CU_ASSERT_EQUAL(report_skip_groups(&r, &g), 0);
    buf_init(&b, 0);
    report_skip_hint(&b, &r, g, 0);
    CU_ASSERT_EQUAL(b.len, 0);
    buf_free(&b);
    report_skip_groups_free(g, 0);
}

/* ---- what a run tested, per area ----------------------------------------------------------- */

static void test_areas(void)
{
    /* continue: 1 pass, 2 left inconclusive by upload_path (/), 1 missing reject_path;
     * hints: 1 missing; http10: 1 warn */
    static const char *const area[] = {"continue", "continue", "continue", "continue", "hints",
                                       "http10"};
    static const verdict_t v[] = {VERDICT_PASS, VERDICT_SKIP, VERDICT_SKIP, VERDICT_SKIP,
                                  VERDICT_SKIP, VERDICT_WARN};
    run_result r = {0};
    case_result cr[6];
    memset(cr, 0, sizeof cr);
    for (int i = 0; i < 6; i++) {
        cr[i].id = (char *)"x/y";
        cr[i].area = (char *)area[i];
        cr[i].verdict = v[i];
        cr[i].message = (char *)"inconclusive: the origin answered 200 without 100 Continue";
    }
    cr[1].premise_var = cr[2].premise_var = (char *)"upload_path";
    cr[1].premise_value = cr[2].premise_value = (char *)"/";
    cr[3].missing_var = (char *)"reject_path";
    cr[4].missing_var = (char *)"hints_path";
    r.cases = cr;
    r.ncases = 6;
    area_cov *a;
    size_t n = report_areas(&r, &a);
    CU_ASSERT_EQUAL_FATAL(n, 3);
    buf_t b;
    buf_init(&b, 0);
    report_area_text(&b, &a[0]);
    CU_ASSERT_STRING_EQUAL(b.data, "partly tested: 1 of 4 cases conclusive; upload_path (/) left 2 "
                                   "inconclusive: the origin answered 200 without 100 Continue; "
                                   "--set upload_path=PATH where the server reads the body; 1 "
                                   "needs --set reject_path");
    buf_reset(&b);
    report_area_text(&b, &a[1]);
    CU_ASSERT_STRING_EQUAL(b.data, "untested: none of 1 case conclusive; 1 needs --set hints_path");
    buf_reset(&b);
    report_area_text(&b, &a[2]);
    CU_ASSERT_STRING_EQUAL(b.data, "tested: its 1 case conclusive");
    CU_ASSERT_TRUE(report_any_untested(&r));
    buf_reset(&b);
    report_gain_hint(&b, &r);
    CU_ASSERT_STRING_EQUAL(b.data, "4 skipped: --set upload_path=PATH where the server reads the "
                                   "body (2 cases inconclusive at /), hints_path (1 case), "
                                   "reject_path (1)");
    buf_reset(&b);
    report_warn_line(&b, &r, false);
    CU_ASSERT_STRING_EQUAL(b.data, "of the 2 passed, 1 is a warning (a SHOULD or practice rule "
                                   "broken; --strict fails them)");
    buf_free(&b);
    free(a);
    r.ncases = 1; /* the pass alone: every area tested */
    CU_ASSERT_FALSE(report_any_untested(&r));
}

void register_vars_tests(void)
{
    CU_pSuite s = CU_add_suite("vars", NULL, NULL);
    if (!s)
        return;
    CU_add_test(s, "edit distance: insert, delete, substitute, swap, long names", test_distance);
    CU_add_test(s, "closest known name, or none when nothing is close", test_closest);
    CU_add_test(s, "vars file: comments, blanks, spaces, CRLF, no final newline", test_parse_good);
    CU_add_test(s, "vars file: each bad line gives FILE:LINE and keeps nothing", test_parse_bad);
    CU_add_test(s, "later files win, --set wins over every file", test_override_order);
    CU_add_test(s, "known variables from cases: defaults, uses, what --list needs",
                test_table);
    CU_add_test(s, "skips grouped by missing variable, and the hint line", test_skip_hint);
    CU_add_test(s, "per area: tested, partly, untested and why; the --set hint; warnings",
                test_areas);
}
