/* Unit tests of the HTML report (runner/report_html.c) and its timelines
 * (runner/report_timeline.c): a run whose every string tries to break out of the markup, the
 * transcript cap, a 102 series drawn as a rhythm, the caps on marks and connections, duration
 * labels, an empty run, and unwritable paths; and the JUnit testcase properties that
 * --junit-file-line adds. suite/html_test.py checks the page in a browser. */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "report.h"
#include "report_timeline.h"
#include "result.h"
#include "testutil.h"
#include "util.h"

/* Markup, script, attributes, entities, controls, invalid UTF-8, bidi override. */
static const char EVIL[] = "<script>alert(1)</script><img src=x onerror=alert(2)></pre></svg>"
                           "</table><xss-tag a='1' b=\"2\">&lt;&#60;\x1b[31m\x01\x7f\xff\xc0\xaf"
                           "\xed\xa0\x80\xe2\x80\xae\r\n\t javascript:alert(3)";

static void evil_case(case_result *c, const char *id, const char *area, verdict_t v)
{
    memset(c, 0, sizeof *c);
    c->id = xstrdup(id);
    c->area = xstrdup(area);
    c->title = xstrdup(EVIL);
    c->file = xstrdup(EVIL);
    c->line = 1;
    c->require = xstrdup("EXP-1 <b>x</b>");
    c->rfc = xstrdup(EVIL);
    c->level = xstrdup(EVIL);
    c->verdict = v;
    c->message = xstrdup(EVIL);
    c->failed_require = xstrdup(EVIL);
    c->start_ns = 1000000;
    c->duration_ns = 50000000;
    result_tx(c, TX_OPEN, 1, 1000000, EVIL, sizeof EVIL - 1);
    result_tx(c, TX_SENT, 1, 2000000, EVIL, sizeof EVIL - 1);
    result_tx(c, TX_RECV, 1, 3000000, EVIL, sizeof EVIL - 1);
    result_tx(c, TX_NOTE, 0, 3500000, EVIL, sizeof EVIL - 1);
    msg_record *m = result_msg(c);
    *m = (msg_record){.conn = 1, .status = 103, .interim = true, .t_first_ns = 3000000,
                      .t_head_ns = 3000000, .t_end_ns = 3000000};
    m->head = xstrndup(EVIL, sizeof EVIL - 1);
    m->head_len = sizeof EVIL - 1;
    m = result_msg(c);
    *m = (msg_record){.conn = 1, .status = 200, .t_first_ns = 4000000, .t_head_ns = 4000000,
                      .t_end_ns = 9000000, .body_len = 5};
    m->head = xstrdup("HTTP/1.1 200 OK\r\n\r\n");
    m->head_len = strlen(m->head);
    finding_record *f = result_finding(c);
    *f = (finding_record){.name = EVIL, .require = EVIL, .verdict = VERDICT_FAIL, .conn = 1};
    f->text = xstrdup(EVIL);
    result_note(c, "%s", EVIL);
}

static void evil_run(run_result *r)
{
    memset(r, 0, sizeof *r);
    r->target = xstrdup(EVIL);
    r->mode = xstrdup(EVIL);
    r->version = xstrdup(EVIL);
    r->hostname = xstrdup(EVIL);
    r->started_wall = 1700000000;
    r->duration_ns = 2000000000;
    r->interrupted = true;
    r->ncases = VERDICT_COUNT + 1;
    r->cases = xcalloc(r->ncases, sizeof *r->cases);
    for (size_t i = 0; i < r->ncases; i++)
        evil_case(&r->cases[i], i ? EVIL : "plain/id", i % 2 ? EVIL : "continue",
                  (verdict_t)(i % VERDICT_COUNT));
    result_count(r);
}

/* Writes r as HTML in a fresh folder and returns the page (caller frees). */
static char *html_of(const run_result *r, size_t *len)
{
    char *dir = tu_tmpdir(), *doc = NULL, err[256] = "";
    if (!dir)
        return xstrdup("");
    char *path = xasprintf("%s/report.html", dir);
    report_opts o = {0};
    if (report_html_write(r, path, &o, err, sizeof err) == 0)
        doc = tu_slurp(path, len);
    CU_ASSERT_EQUAL(tu_temp_files(dir), 0);
    tu_rmtree(dir);
    free(path);
    free(dir);
    return doc ? doc : xstrdup("");
}

/* The page without its closing inline script (the one place a '<' may stand for "less"). */
static char *markup_of(const char *doc)
{
    const char *s = strstr(doc, "<script>\n(function()");
    return s ? xstrndup(doc, (size_t)(s - doc)) : xstrdup(doc);
}

static bool balanced(const char *doc, const char *open, const char *close)
{
    size_t o = tu_count(doc, open), c = tu_count(doc, close);
    if (o != c)
        fprintf(stderr, "\n%s: %zu, %s: %zu\n", open, o, close, c);
    return o == c && o > 0;
}

/* Every '<' opens a tag, an end tag or the doctype. */
static bool no_stray_lt(const char *s)
{
    for (const char *p = strchr(s, '<'); p; p = strchr(p + 1, '<'))
        if (!((p[1] >= 'a' && p[1] <= 'z') || p[1] == '/' || p[1] == '!'))
            return false;
    return true;
}

static bool controls_free(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (((unsigned char)s[i] < 0x20 && s[i] != '\n') || s[i] == 0x7f)
            return false;
    return true;
}

static void test_evil_run(void)
{
    run_result r;
    evil_run(&r);
    size_t len = 0;
    char *doc = html_of(&r, &len);
    char *m = markup_of(doc);
    CU_ASSERT_TRUE(len > 1000);
    CU_ASSERT_TRUE(tu_utf8_ok(doc, len));
    CU_ASSERT_TRUE(controls_free(doc, len));
    CU_ASSERT_EQUAL(tu_count(doc, "<script"), 2);
    CU_ASSERT_EQUAL(tu_count(doc, "</script>"), 2);
    CU_ASSERT_EQUAL(tu_count(doc, "<img"), 0);
    CU_ASSERT_EQUAL(tu_count(doc, "<xss"), 0);
    CU_ASSERT_EQUAL(tu_count(doc, " src=\""), 0);
    CU_ASSERT_EQUAL(tu_count(doc, "href=\"#"), tu_count(doc, "href="));
    CU_ASSERT_EQUAL(tu_count(doc, "<tbody class=\"case\""), r.ncases);
    CU_ASSERT_TRUE(no_stray_lt(m));
    CU_ASSERT_TRUE(balanced(m, "<tbody", "</tbody>"));
    CU_ASSERT_TRUE(balanced(m, "<tr", "</tr>"));
    CU_ASSERT_TRUE(balanced(m, "<td", "</td>"));
    CU_ASSERT_TRUE(balanced(m, "<span", "</span>"));
    CU_ASSERT_TRUE(balanced(m, "<svg", "</svg>"));
    CU_ASSERT_TRUE(balanced(m, "<pre", "</pre>"));
    CU_ASSERT_TRUE(balanced(m, "<text", "</text>"));
    CU_ASSERT_TRUE(balanced(m, "<g", "</g>"));
    CU_ASSERT_TRUE(balanced(m, "<title>", "</title>"));
    CU_ASSERT_PTR_NOT_NULL(strstr(doc, "Content-Security-Policy\" content=\"default-src 'none'"));
    /* the text is there, escaped and readable */
    CU_ASSERT_PTR_NOT_NULL(strstr(doc, "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x "
                                       "onerror=alert(2)&gt;"));
    CU_ASSERT_PTR_NOT_NULL(strstr(doc, "&lt;xss-tag a=&#39;1&#39; b=&quot;2&quot;&gt;"
                                       "&amp;lt;&amp;#60;\\x1B[31m\\x01\\x7F\\xFF\\xC0\\xAF"
                                       "\\xED\\xA0\\x80\\xE2\\x80\\xAE\\r\\n\\t"));
    /* in the transcript, every byte outside printable ASCII is spelled out */
    CU_ASSERT_PTR_NOT_NULL(strstr(doc, "<span class=\"x\">\\x1B</span>[31m<span class=\"x\">"
                                       "\\x01\\x7F\\xFF\\xC0\\xAF\\xED\\xA0\\x80\\xE2\\x80\\xAE"
                                       "</span>"));
    CU_ASSERT_PTR_NOT_NULL(strstr(doc, "Interrupted: cases not finished"));
    free(m);
    free(doc);
    result_free(&r);
}

static void test_transcript_cap(void)
{
    run_result r;
    memset(&r, 0, sizeof r);
    r.ncases = 2;
    r.cases = xcalloc(2, sizeof *r.cases);
    evil_case(&r.cases[0], "a/lines", "a", VERDICT_FAIL);
    evil_case(&r.cases[1], "a/one-line", "a", VERDICT_FAIL);
    char *blob = xmalloc(RESULT_TX_MAX);
    for (size_t i = 0; i < RESULT_TX_MAX; i++)
        blob[i] = "<&\r\n\xff"[i % 5];
    result_tx(&r.cases[0], TX_RECV, 1, 0, blob, RESULT_TX_MAX - 8192);
    result_tx(&r.cases[0], TX_RECV, 1, 0, blob, 16384); /* past the cap: not kept */
    memset(blob, 'A', RESULT_TX_MAX);
    result_tx(&r.cases[1], TX_RECV, 1, 0, blob, RESULT_TX_MAX / 2);
    free(blob);
    result_count(&r);
    size_t len = 0;
    char *doc = html_of(&r, &len);
    CU_ASSERT_TRUE(tu_utf8_ok(doc, len));
    CU_ASSERT_EQUAL(tu_count(doc, " elided: see results.json ...</span>"), 2);
    CU_ASSERT_EQUAL(tu_count(doc, "transcript truncated"), 1);
    const char *p = doc;
    for (int k = 0; k < 2; k++) {
        const char *s = strstr(p, "<pre class=\"tx\">"), *e = s ? strstr(s, "</pre>") : NULL;
        CU_ASSERT_FATAL(s && e);
        CU_ASSERT_TRUE((size_t)(e - s) <= 256 * 1024 + 1024);
        CU_ASSERT_TRUE((size_t)(e - s) > 100 * 1024);
        char *t = xstrndup(s, (size_t)(e - s));
        CU_ASSERT_TRUE(balanced(t, "<span", "</span>"));
        free(t);
        p = e;
    }
    CU_ASSERT_TRUE(len < 700 * 1024);
    free(doc);
    result_free(&r);
}

/* ---- timelines ----------------------------------------------------------------------------- */

static char *svg_of(const case_result *c)
{
    buf_t b;
    buf_init(&b, 0);
    report_timeline_svg(&b, c);
    return buf_steal(&b);
}

static void add_msg(case_result *c, int conn, int status, int64_t t, int64_t end)
{
    msg_record *m = result_msg(c);
    *m = (msg_record){.conn = conn, .status = status, .interim = status < 200, .t_first_ns = t,
                      .t_head_ns = t, .t_end_ns = end};
    m->head = xstrdup("HTTP/1.1 102 Processing\r\n\r\n");
    m->head_len = strlen(m->head);
}

static void test_rhythm(void)
{
    case_result c;
    memset(&c, 0, sizeof c);
    c.start_ns = 1000000000;
    c.duration_ns = 4700000000LL;
    result_tx(&c, TX_SENT, 1, c.start_ns + 1000, "GET / HTTP/1.1\r\n\r\n", 18);
    for (int i = 0; i < 5; i++)
        add_msg(&c, 1, 102, c.start_ns + i * 1000000000LL, c.start_ns + i * 1000000000LL);
    add_msg(&c, 1, 200, c.start_ns + 4500000000LL, c.start_ns + 4600000000LL);
    char *svg = svg_of(&c);
    CU_ASSERT_EQUAL(tu_count(svg, "<circle class=\"m-int\""), 5);
    CU_ASSERT_EQUAL(tu_count(svg, "class=\"lb-int\""), 5);
    CU_ASSERT_EQUAL(tu_count(svg, ">102</text>"), 5);
    CU_ASSERT_EQUAL(tu_count(svg, ">200</text>"), 1);
    CU_ASSERT_EQUAL(tu_count(svg, "class=\"lb-rh\""), 4);
    CU_ASSERT_EQUAL(tu_count(svg, ">+1s</text>"), 4);
    CU_ASSERT_EQUAL(tu_count(svg, "<rect class=\"m-body\""), 1);
    CU_ASSERT_EQUAL(tu_count(svg, "<path class=\"m-sent\""), 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(svg, ">4s</text>"));
    CU_ASSERT_PTR_NOT_NULL(strstr(svg, ">conn 1 received</text>"));
    CU_ASSERT_PTR_NOT_NULL(strstr(svg, "<title>interim 102: HTTP/1.1 102 Processing\nfirst byte "
                                       "+1000.000ms"));
    CU_ASSERT_PTR_NULL(strstr(svg, "not drawn"));
    free(svg);
    case_result_free(&c);
}

static void test_timeline_caps(void)
{
    case_result c;
    memset(&c, 0, sizeof c);
    c.duration_ns = 2000000000;
    for (int i = 0; i < 1000; i++)
        add_msg(&c, 1, 100, (int64_t)i * 1000000, (int64_t)i * 1000000);
    for (int k = 2; k <= TIMELINE_MAX_CONNS + 4; k++)
        result_tx(&c, TX_SENT, k, 1000, "x", 1);
    char *svg = svg_of(&c);
    CU_ASSERT_EQUAL(tu_count(svg, "<circle class=\"m-int\""), TIMELINE_MAX_MARKS);
    CU_ASSERT_EQUAL(tu_count(svg, "class=\"lb-int\""), TIMELINE_MAX_LABELS);
    CU_ASSERT_EQUAL(tu_count(svg, " sent</text>"), TIMELINE_MAX_CONNS);
    CU_ASSERT_PTR_NOT_NULL(strstr(svg, "not drawn: 600 marks past 400 per lane, 4 connections "
                                       "past 16"));
    free(svg);
    case_result_free(&c);
    memset(&c, 0, sizeof c);
    svg = svg_of(&c);
    CU_ASSERT_STRING_EQUAL(svg, ""); /* nothing to draw */
    free(svg);
}

static void dur_is(int64_t ns, const char *want)
{
    buf_t b;
    buf_init(&b, 0);
    report_timeline_dur(&b, ns);
    CU_ASSERT_STRING_EQUAL(b.data, want);
    buf_free(&b);
}

static void test_durations(void)
{
    dur_is(0, "0");
    dur_is(1500, "1.5\xc2\xb5s");
    dur_is(250000, "250\xc2\xb5s");
    dur_is(1000000, "1ms");
    dur_is(12500000, "12.5ms");
    dur_is(999999999, "999.999ms");
    dur_is(1500000000, "1.5s");
    dur_is(60000000000LL, "60s");
    dur_is(-2000000, "-2ms");
}

static void test_empty_and_unwritable(void)
{
    run_result r;
    memset(&r, 0, sizeof r);
    size_t len = 0;
    char *doc = html_of(&r, &len);
    CU_ASSERT_PTR_NOT_NULL(strstr(doc, "<tbody id=\"none\"><tr><td colspan=\"7\">No case matches"));
    CU_ASSERT_PTR_NOT_NULL(strstr(doc, "</html>\n"));
    free(doc);
    char err[256] = "";
    report_opts o = {0};
    CU_ASSERT_EQUAL(report_html_write(&r, "/nonexistent-dir/r.html", &o, err, sizeof err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "/nonexistent-dir/r.html"));
    char *dir = tu_tmpdir();
    CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
    char *sub = xasprintf("%s/sub", dir);
    CU_ASSERT_EQUAL(mkdir(sub, 0700), 0);
    CU_ASSERT_EQUAL(report_html_write(&r, sub, &o, err, sizeof err), -1); /* rename over a dir */
    CU_ASSERT_EQUAL(tu_temp_files(dir), 0);
    free(sub);
    tu_rmtree(dir);
    free(dir);
}

/* Not HTML, but the other reporter option this work added: --junit-file-line puts the case's
 * requirement ids, level and RFC section in testcase properties, escaped like any attribute. */
static void test_junit_properties(void)
{
    run_result r;
    evil_run(&r);
    char *dir = tu_tmpdir(), err[256] = "";
    CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
    char *path = xasprintf("%s/j.xml", dir);
    report_opts o = {.junit_file_line = true};
    CU_ASSERT_EQUAL(report_junit_write(&r, path, &o, err, sizeof err), 0);
    size_t len = 0;
    char *doc = tu_slurp(path, &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
    CU_ASSERT_EQUAL(tu_count(doc, "<property name=\"h1xx.require\" value=\"EXP-1 &lt;b&gt;x&lt;/b&gt;"
                                  "\"/>"), r.ncases);
    CU_ASSERT_EQUAL(tu_count(doc, "<property name=\"h1xx.level\""), r.ncases);
    CU_ASSERT_EQUAL(tu_count(doc, "<property name=\"h1xx.failed_require\""), r.ncases);
    CU_ASSERT_EQUAL(tu_count(doc, "<property name=\"h1xx.rfc\" value=\"&lt;script&gt;"), r.ncases);
    free(doc);
    o.junit_file_line = false;
    CU_ASSERT_EQUAL(report_junit_write(&r, path, &o, err, sizeof err), 0);
    doc = tu_slurp(path, &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
    CU_ASSERT_EQUAL(tu_count(doc, "h1xx.require"), 0); /* the default stays XSD-valid */
    free(doc);
    free(path);
    tu_rmtree(dir);
    free(dir);
    result_free(&r);
}

void register_html_tests(void)
{
    CU_pSuite s = CU_add_suite("html", NULL, NULL);
    if (!s)
        return;
    CU_add_test(s, "hostile run: nothing escapes the markup", test_evil_run);
    CU_add_test(s, "transcript cap", test_transcript_cap);
    CU_add_test(s, "timeline: a 102 series as a rhythm", test_rhythm);
    CU_add_test(s, "timeline: caps on marks, labels, connections", test_timeline_caps);
    CU_add_test(s, "timeline: duration labels", test_durations);
    CU_add_test(s, "empty run, unwritable paths", test_empty_and_unwritable);
    CU_add_test(s, "JUnit testcase properties with --junit-file-line", test_junit_properties);
}
