/* Unit tests for the case loader: good files parse into the expected steps; every bad file in
 * the corpus is refused with the right line number and a message that says what is wrong. */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "case.h"
#include "util.h"

#define HEAD "id a/b\ntitle t\nrequire EXP-1\nlevel MUST\n"

static req_catalog cat;

static int load(const char *text, case_def *c, char *err, size_t errsz)
{
    return case_load_buffer("t.case", text, strlen(text), &cat, c, err, errsz);
}

static void test_good_case(void)
{
    const char *text = HEAD "default p ${path}\n"
                            "> POST ${p} HTTP/1.1\n> Host: x\n>\n>| body\\r\\n\n"
                            "expect interim 100,103 | final !417 within 2s strict as first require EXP-2\n"
                            "  on final done \"early\"\n  on interim check header X-A has b\n"
                            "pause 100ms\ncheck first header Connection absent\nnote hi\n";
    case_def c;
    char err[256] = "";
    CU_ASSERT_EQUAL_FATAL(load(text, &c, err, sizeof err), 0);
    CU_ASSERT_STRING_EQUAL(c.area, "a");
    CU_ASSERT_EQUAL(c.nsteps, 5);
    CU_ASSERT_EQUAL(c.steps[0].kind, STEP_SEND);
    CU_ASSERT_EQUAL(c.steps[0].nlines, 4);
    CU_ASSERT_FALSE(c.steps[0].lines[3].crlf);
    const step *e = &c.steps[1];
    CU_ASSERT_EQUAL(e->kind, STEP_EXPECT);
    CU_ASSERT_EQUAL(e->nalts, 2);
    CU_ASSERT_EQUAL(e->alts[0].codes.n, 2);
    CU_ASSERT_TRUE(e->alts[1].codes.negated);
    CU_ASSERT_TRUE(e->strict);
    CU_ASSERT_STRING_EQUAL(e->as, "first");
    CU_ASSERT_STRING_EQUAL(e->require, "EXP-2");
    CU_ASSERT_EQUAL(e->nacts, 2);
    CU_ASSERT_EQUAL(e->acts[1].kind, ACT_CHECK);
    CU_ASSERT_EQUAL(c.nvars, 2); /* path, p */
    case_free(&c);
}

static void test_new_steps(void)
{
    const char *text = HEAD "curl-upload PUT ${p} 1024 expect within 5s require EXP-2\n"
                            "> GET / HTTP/1.1\n"
                            "expect final\n  on final 426,4xx check header Upgrade within websocket\n"
                            "collect interim 102 until final within 9s as s require PRC-2\n"
                            "bound max-gap <= ${g} require PRC-3\n"
                            "ws-send close 1000\nws-expect text \"a b\" within 1s require WS-7\n";
    case_def c;
    char err[256] = "";
    CU_ASSERT_EQUAL_FATAL(load(text, &c, err, sizeof err), 0);
    CU_ASSERT_EQUAL(c.steps[0].kind, STEP_CURL);
    CU_ASSERT_EQUAL(c.steps[0].bytes, 1024);
    CU_ASSERT_TRUE(c.steps[0].expect100);
    CU_ASSERT_EQUAL(c.steps[2].acts[0].codes.n, 2);
    CU_ASSERT_EQUAL(c.steps[2].acts[0].chk.op, CHECK_WITHIN);
    CU_ASSERT_EQUAL(c.steps[3].kind, STEP_COLLECT);
    CU_ASSERT_EQUAL(c.steps[3].alts[0].codes.n, 1);
    CU_ASSERT_EQUAL(c.steps[4].kind, STEP_BOUND);
    CU_ASSERT_EQUAL(c.steps[4].bop, BOUND_LE);
    CU_ASSERT_EQUAL(c.steps[5].opcode, 8);
    CU_ASSERT_STRING_EQUAL(c.steps[6].arg, "a b");
    CU_ASSERT_STRING_EQUAL(c.steps[6].require, "WS-7");
    case_free(&c);
}

/* Issue 18: "origin quiet for DUR" (no further request reaches the origin) and "else done"
 * (a check whose condition fails ends the case as it stands). */
static void test_origin_quiet_else_done(void)
{
    const char *text = HEAD "modes reverse-proxy\n> POST / HTTP/1.1\norigin accept\n"
                            "origin check header Upgrade has websocket else done \"no upgrade\"\n"
                            "origin close\norigin quiet for 400ms require RTY-1\n";
    case_def c;
    char err[256] = "";
    CU_ASSERT_EQUAL_FATAL(load(text, &c, err, sizeof err), 0);
    CU_ASSERT_EQUAL_FATAL(c.nsteps, 5);
    CU_ASSERT_TRUE(c.steps[2].chk.on_origin);
    CU_ASSERT_TRUE(c.steps[2].chk.else_done);
    CU_ASSERT_STRING_EQUAL(c.steps[2].chk.else_skip, "no upgrade");
    CU_ASSERT_EQUAL(c.steps[4].kind, STEP_ORIGIN_QUIET);
    CU_ASSERT_STRING_EQUAL(c.steps[4].within, "400ms");
    CU_ASSERT_STRING_EQUAL(c.steps[4].require, "RTY-1");
    case_free(&c);
    const char *bad = HEAD "modes reverse-proxy\n> GET / HTTP/1.1\norigin accept\n"
                           "origin check header X present else later \"x\"\n";
    CU_ASSERT_EQUAL(load(bad, &c, err, sizeof err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "t.case:8:"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "done"));
    case_free(&c);
    bad = HEAD "modes reverse-proxy\n> GET / HTTP/1.1\norigin quiet soon\n";
    CU_ASSERT_EQUAL(load(bad, &c, err, sizeof err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "t.case:7:"));
    case_free(&c);
}

static void test_crlf_file_and_comments(void)
{
    const char *text = "# comment\r\nid a/b\r\ntitle t\r\nrequire EXP-1\r\nlevel MUST\r\n"
                       "> GET / HTTP/1.1\r\nexpect final\r\n";
    case_def c;
    char err[256] = "";
    CU_ASSERT_EQUAL_FATAL(load(text, &c, err, sizeof err), 0);
    CU_ASSERT_STRING_EQUAL(c.steps[0].lines[0].text, "GET / HTTP/1.1");
    case_free(&c);
}

/* Each bad file, the line its error must name, and a word the message must hold. */
static const struct bad {
    const char *text;
    int line;
    const char *word;
} bad_files[] = {
    {"title t\n", 0, "no 'id'"},
    {"id nope\n", 1, "AREA/NAME"},
    {"id a/b/c\n", 1, "AREA/NAME"},
    {"id a/b\nid a/c\n", 2, "twice"},
    {"id a/b\ntitle t\nrequire NOPE-1\n", 3, "unknown requirement"},
    {"id a/b\ntitle t\nrequire EXP-1\nlevel OFTEN\n", 4, "level must"},
    {HEAD "modes sideways\n", 5, "unknown mode"},
    {HEAD "frobnicate\n", 5, "unknown keyword"},
    {HEAD ">GET / HTTP/1.1\n", 5, "space after"},
    {HEAD "> GET \\q HTTP/1.1\n", 5, "unknown escape"},
    {HEAD "> GET \\x4 HTTP/1.1\n", 5, "two hex"},
    {HEAD "> GET ${ HTTP/1.1\n", 5, "variable reference"},
    {HEAD "> GET ${a-b} HTTP/1.1\n", 5, "variable reference"},
    {HEAD "> x\nexpect\n", 6, "alternatives"},
    {HEAD "> x\nexpect sideways\n", 6, "expected interim"},
    {HEAD "> x\nexpect final |\n", 6, "alternatives"},
    {HEAD "> x\nexpect | final\n", 6, "without an alternative"},
    {HEAD "> x\nexpect final 99\n", 6, "bad status code"},
    {HEAD "> x\nexpect final 200-100\n", 6, "range"},
    {HEAD "> x\nexpect close 200\n", 6, "only follow"},
    {HEAD "> x\nexpect final within soon\n", 6, "bad duration"},
    {HEAD "> x\nexpect final within\n", 6, "needs a value"},
    {HEAD "> x\nexpect final require NOPE-9\n", 6, "unknown requirement"},
    {HEAD "> x\nexpect final within 1s within 2s\n", 6, "twice"},
    {HEAD "> x\nexpect final sideways\n", 6, "unknown word"},
    {HEAD "> x\non final done\n", 6, "must follow an expect"},
    {HEAD "> x\nexpect final\non close done\n", 7, "no 'close' alternative"},
    {HEAD "> x\nexpect final\non final explode\n", 7, "action must be"},
    {HEAD "> x\nexpect final\non final skip\n", 7, "needs a text"},
    {HEAD "> x\nexpect final\non final note \"open\n", 7, "unterminated"},
    {HEAD "> x\ncheck header\n", 6, "field name"},
    {HEAD "> x\ncheck header X wobbles\n", 6, "unknown check"},
    {HEAD "> x\ncheck header X has\n", 6, "needs a value"},
    {HEAD "> x\npause\n", 6, "needs a duration"},
    {HEAD "> x\npause forever\n", 6, "bad duration"},
    {HEAD "> x\nopen now\n", 6, "takes no argument"},
    {HEAD "default 1-x y\n", 5, "bad variable name"},
    {HEAD "default x\n", 5, "needs a variable name"},
    {HEAD "expect final\n", 5, "sends nothing"},
    {"id a/b\ntitle t\nlevel MUST\n> x\n", 4, "no 'require'"},
    {HEAD "> x\nexpect final\non close 200 done\n", 7, "no 'close' alternative"},
    {HEAD "> x\nexpect close\non close 200 done\n", 7, "only follow"},
    {HEAD "> x\ncheck header X count many\n", 6, "needs a number"},
    {HEAD "> x\nws-send shout\n", 6, "ws-send needs"},
    {HEAD "> x\nws-expect ping\n", 6, "ws-expect needs"},
    {HEAD "> x\nws-expect text \"a\" sideways\n", 6, "unexpected"},
    {HEAD "> x\ncollect final\n", 6, "collect needs"},
    {HEAD "> x\ncollect interim 102 until\n", 6, "until final"},
    {HEAD "> x\nbound speed <= 1s\n", 6, "unknown metric"},
    {HEAD "> x\nbound max-gap ~ 1s\n", 6, "<=, <, >= or >"},
    {HEAD "> x\nbound max-gap <=\n", 6, "bound needs"},
    {HEAD "curl-upload POST /\n", 5, "curl-upload needs"},
    {HEAD "curl-upload POST / lots\n", 5, "curl-upload needs"},
};

static void test_bad_corpus(void)
{
    for (size_t i = 0; i < sizeof bad_files / sizeof *bad_files; i++) {
        case_def c;
        char err[512] = "";
        int rc = load(bad_files[i].text, &c, err, sizeof err);
        CU_ASSERT_EQUAL(rc, -1);
        char where[32];
        snprintf(where, sizeof where, "t.case:%d:", bad_files[i].line);
        bool ok = rc == -1 && (bad_files[i].line == 0 || strstr(err, where)) &&
                  strstr(err, bad_files[i].word);
        if (!ok)
            fprintf(stderr, "\nbad case %zu: got '%s', want line %d and '%s'\n", i, err,
                    bad_files[i].line, bad_files[i].word);
        CU_ASSERT_TRUE(ok);
        case_free(&c);
    }
}

static void test_nul_byte_refused(void)
{
    const char text[] = "id a/b\ntitle t\0x\n";
    case_def c;
    char err[256] = "";
    CU_ASSERT_EQUAL(case_load_buffer("t.case", text, sizeof text - 1, &cat, &c, err, sizeof err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "t.case:2: NUL"));
    case_free(&c);
}

static void test_expand(void)
{
    const char *text = HEAD "default up ${path}x\n> ${up}\\x41\\$\\r\n";
    case_def c;
    char err[256] = "";
    CU_ASSERT_EQUAL_FATAL(load(text, &c, err, sizeof err), 0);
    var vars[] = {{"path", "/p"}};
    run_ctx ctx = {.vars = vars, .nvars = 1};
    size_t n = 0;
    char *missing = NULL;
    char *s = case_expand(&c, &ctx, c.steps[0].lines[0].text, &n, &missing);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_EQUAL(n, 6);
    CU_ASSERT_EQUAL(memcmp(s, "/pxA$\r", 6), 0);
    free(s);
    s = case_expand(&c, &ctx, "${nope}", &n, &missing);
    CU_ASSERT_PTR_NULL(s);
    CU_ASSERT_STRING_EQUAL(missing, "nope");
    free(missing);
    case_free(&c);
}

static void test_shipped_cases_load(void)
{
    case_def *all = NULL;
    size_t n = 0;
    CU_ASSERT_EQUAL(case_load_dir("cases", &cat, &all, &n), 0);
    CU_ASSERT_TRUE(n >= 46);
    case_list_free(all, n);
}

static int setup(void)
{
    char err[256];
    return req_catalog_load(&cat, "cases/requirements.tsv", err, sizeof err) ? -1 : 0;
}

static int teardown(void)
{
    req_catalog_free(&cat);
    return 0;
}

void register_case_tests(void)
{
    CU_pSuite s = CU_add_suite("case loader", setup, teardown);
    CU_add_test(s, "a good case parses into its steps", test_good_case);
    CU_add_test(s, "CRLF files and comments", test_crlf_file_and_comments);
    CU_add_test(s, "libcurl, code-filtered actions, collect, bound and ws steps", test_new_steps);
    CU_add_test(s, "origin quiet and else done (issue 18)", test_origin_quiet_else_done);
    CU_add_test(s, "every bad file is refused with file:line: message", test_bad_corpus);
    CU_add_test(s, "a NUL byte in a case file is refused", test_nul_byte_refused);
    CU_add_test(s, "escapes and variables expand", test_expand);
    CU_add_test(s, "the shipped cases all load", test_shipped_cases_load);
}
