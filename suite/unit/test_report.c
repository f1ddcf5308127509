/* Unit tests of the reporters: the escapers on hostile bytes (every byte value and pair, invalid
 * and overlong UTF-8, surrogates, "]]>", quotes, 3 MiB of random bytes), number and time
 * formatting, and JUnit/JSON/console output built from a run whose every string is hostile.
 * The checkers here are written independently of runner/report_util.c on purpose.
 *
 * Random runs (fixed seeds) are written and their JUnit checked with `xmllint --schema` against
 * the project's schema (suite/junit/h1xx-junit.xsd, also with junit_file_line), against the
 * xunit schema at ../shared/junit/junit-10.xsd when a checkout has one beside it (default output
 * only: that schema rejects file/line), and against $H1XX_JUNIT_XSD when set: report validity as
 * a property.
 *
 * With H1XX_HOSTILE_JUNIT (and/or H1XX_HOSTILE_JSON) set, the hostile run's reports are also
 * written to those paths, so a shell step can run xmllint and suite/check_reports.py on them. */
#include <CUnit/CUnit.h>
#include <ctype.h>
#include <dirent.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "report.h"
#include "report_util.h"
#include "result.h"
#include "testutil.h"
#include "util.h"

/* Every kind of trouble in one NUL-terminated string: controls, ESC sequences, markup, quotes,
 * CR/LF/TAB, "]]>", invalid and overlong UTF-8, a surrogate, U+FFFE, a bidi override, valid
 * multi-byte characters, DEL, a C1 control and a literal "\x00". */
static const char HOSTILE[] = "h\x01\x1b[31m<b>&amp;\"'\t\r\n]]>\xff\xfe\xc0\x80\xed\xa0\x80"
                              "\xef\xbf\xbe\xe2\x80\xae\xe2\x82\xac\xf0\x9f\x98\x80\x7f\xc2\x85"
                              "\\x00 &#0; end";

/* ---- independent checkers ------------------------------------------------------------------ */

/* Strict UTF-8 decode after Unicode's table of well-formed byte sequences (not shared with
 * the code under test). Returns the length or 0. */
static size_t dec(const unsigned char *s, size_t len, unsigned *cp)
{
    unsigned c = s[0], lo = 0x80, hi = 0xBF;
    size_t n;
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        lo = c == 0xE0 ? 0xA0 : 0x80;
        hi = c == 0xED ? 0x9F : 0xBF;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        lo = c == 0xF0 ? 0x90 : 0x80;
        hi = c == 0xF4 ? 0x8F : 0xBF;
    } else {
        return 0;
    }
    if (len < n || s[1] < lo || s[1] > hi)
        return 0;
    unsigned v = c & (0xFFu >> (n + 1));
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        v = (v << 6) | (s[i] & 0x3F);
    }
    *cp = v;
    return n;
}

static bool utf8_ok(const char *s, size_t len)
{
    size_t i = 0;
    unsigned cp;
    while (i < len) {
        size_t n = dec((const unsigned char *)s + i, len - i, &cp);
        if (!n)
            return false;
        i += n;
    }
    return true;
}

static bool is_xml_char(unsigned cp)
{
    return cp == 9 || cp == 10 || cp == 13 || (cp >= 0x20 && cp <= 0xD7FF) ||
           (cp >= 0xE000 && cp <= 0xFFFD) || (cp >= 0x10000 && cp <= 0x10FFFF);
}

/* Every character is one XML 1.0 can carry. */
static bool xml_chars_ok(const char *s, size_t len)
{
    size_t i = 0;
    unsigned cp;
    while (i < len) {
        size_t n = dec((const unsigned char *)s + i, len - i, &cp);
        if (!n || !is_xml_char(cp))
            return false;
        i += n;
    }
    return true;
}

/* Escaped output of report_xml_escape: legal characters, no markup, only known entities. */
static bool xml_escaped_ok(const char *s, size_t len, bool attribute)
{
    static const char *const ents[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&apos;",
                                       "&#9;",  "&#10;", "&#13;"};
    if (!xml_chars_ok(s, len))
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == '<' || c == '>' || c == '\r')
            return false;
        if (attribute && (c == '"' || c == '\'' || c == '\t' || c == '\n'))
            return false;
        if (c != '&')
            continue;
        bool known = false;
        for (size_t k = 0; k < sizeof ents / sizeof *ents; k++)
            known |= len - i >= strlen(ents[k]) && !memcmp(s + i, ents[k], strlen(ents[k]));
        if (!known)
            return false;
    }
    return true;
}

/* Escaped output of report_json_escape: the inside of a valid JSON string. */
static bool json_escaped_ok(const char *s, size_t len)
{
    if (!utf8_ok(s, len))
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == '"')
            return false;
        if (c != '\\')
            continue;
        if (++i >= len)
            return false;
        if (s[i] == 'u') {
            for (int k = 1; k <= 4; k++)
                if (i + k >= len || !isxdigit((unsigned char)s[i + k]))
                    return false;
            i += 4;
        } else if (!s[i] || !strchr("\"\\/bfnrt", s[i])) {
            return false;
        }
    }
    return true;
}

/* ---- a minimal JSON syntax checker --------------------------------------------------------- */

typedef struct jp {
    const char *s, *e;
    int depth;
} jp;

static bool jvalue(jp *p);

static void jws(jp *p)
{
    while (p->s < p->e && (*p->s == ' ' || *p->s == '\n' || *p->s == '\r' || *p->s == '\t'))
        p->s++;
}

static bool jstring(jp *p)
{
    if (p->s >= p->e || *p->s != '"')
        return false;
    const char *start = ++p->s;
    while (p->s < p->e && *p->s != '"')
        p->s += *p->s == '\\' ? 2 : 1;
    if (p->s >= p->e)
        return false;
    bool ok = json_escaped_ok(start, (size_t)(p->s - start));
    p->s++;
    return ok;
}

static bool jnumber(jp *p)
{
    const char *start = p->s;
    if (p->s < p->e && *p->s == '-')
        p->s++;
    const char *digits = p->s;
    while (p->s < p->e && isdigit((unsigned char)*p->s))
        p->s++;
    if (p->s == digits)
        return false;
    if (p->s < p->e && *p->s == '.') {
        const char *frac = ++p->s;
        while (p->s < p->e && isdigit((unsigned char)*p->s))
            p->s++;
        if (p->s == frac)
            return false;
    }
    return p->s > start;
}

static bool jword(jp *p, const char *w)
{
    size_t n = strlen(w);
    if ((size_t)(p->e - p->s) < n || memcmp(p->s, w, n))
        return false;
    p->s += n;
    return true;
}

static bool jlist(jp *p, char close, bool object)
{
    p->s++;
    jws(p);
    if (p->s < p->e && *p->s == close)
        return p->s++, true;
    for (;;) {
        jws(p);
        if (object) {
            if (!jstring(p))
                return false;
            jws(p);
            if (p->s >= p->e || *p->s++ != ':')
                return false;
        }
        if (!jvalue(p))
            return false;
        jws(p);
        if (p->s >= p->e)
            return false;
        char c = *p->s++;
        if (c == close)
            return true;
        if (c != ',')
            return false;
    }
}

static bool jvalue(jp *p)
{
    jws(p);
    if (p->s >= p->e || ++p->depth > 64)
        return false;
    bool ok;
    switch (*p->s) {
    case '{': ok = jlist(p, '}', true); break;
    case '[': ok = jlist(p, ']', false); break;
    case '"': ok = jstring(p); break;
    case 't': ok = jword(p, "true"); break;
    case 'f': ok = jword(p, "false"); break;
    case 'n': ok = jword(p, "null"); break;
    default: ok = jnumber(p); break;
    }
    p->depth--;
    return ok;
}

static bool json_doc_ok(const char *s, size_t len)
{
    jp p = {s, s + len, 0};
    if (!jvalue(&p))
        return false;
    jws(&p);
    return p.s == p.e;
}

/* ---- helpers ------------------------------------------------------------------------------- */

static char *xml_esc(const char *s, size_t len, bool attribute)
{
    buf_t b;
    buf_init(&b, 0);
    report_xml_escape(&b, s, len, attribute);
    return buf_steal(&b);
}

static char *json_esc(const char *s, size_t len)
{
    buf_t b;
    buf_init(&b, 0);
    report_json_escape(&b, s, len);
    return buf_steal(&b);
}

/* Checks the three escapes of s. */
static bool all_escapes_ok(const char *s, size_t len)
{
    char *x = xml_esc(s, len, false), *a = xml_esc(s, len, true), *j = json_esc(s, len);
    bool ok = xml_escaped_ok(x, strlen(x), false) && xml_escaped_ok(a, strlen(a), true) &&
              json_escaped_ok(j, strlen(j));
    free(x);
    free(a);
    free(j);
    return ok;
}

static void remove_tree(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    for (struct dirent *e; (e = readdir(d));) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        char *p = xasprintf("%s/%s", dir, e->d_name);
        if (remove(p) != 0)
            remove_tree(p), rmdir(p);
        free(p);
    }
    closedir(d);
    rmdir(dir);
}

static size_t count_of(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

/* The text of the opening tag that starts at the n-th occurrence of `open` (malloc'd). */
static char *nth_tag(const char *doc, const char *open, size_t n)
{
    const char *p = doc;
    for (size_t i = 0; p && (p = strstr(p, open)); i++, p += strlen(open))
        if (i == n)
            return xstrndup(p, strcspn(p, ">") + 1);
    return xstrdup("");
}

/* ---- building runs ------------------------------------------------------------------------- */

static void fill_case(case_result *c, const char *id, const char *area, verdict_t v)
{
    memset(c, 0, sizeof *c);
    c->id = xstrdup(id);
    c->area = xstrdup(area);
    c->title = xstrdup("A title");
    c->file = xstrdup("cases/x.case");
    c->line = 3;
    c->require = xstrdup("EXP-1 GEN-4");
    c->rfc = xstrdup("RFC 9110 \xc2\xa7" "10.1.1");
    c->level = xstrdup(v == VERDICT_WARN ? "SHOULD" : "MUST");
    c->verdict = v;
    c->message = xstrdup(v == VERDICT_PASS ? "" : "expected interim 100, got nothing");
    c->failed_require = v == VERDICT_FAIL || v == VERDICT_WARN ? xstrdup("EXP-1") : NULL;
    c->start_ns = 1000000;
    c->duration_ns = 123456789;
}

static void run_init(run_result *r, size_t n)
{
    memset(r, 0, sizeof *r);
    r->target = xstrdup("http://127.0.0.1:8080/");
    r->mode = xstrdup("origin");
    r->version = xstrdup("0.1");
    r->hostname = xstrdup("ci-host");
    r->started_wall = 1700000000;
    r->duration_ns = 2500000000;
    r->cases = xcalloc(n, sizeof *r->cases);
    r->ncases = n;
}

static void replace(char **field, const char *s)
{
    free(*field);
    *field = xstrdup(s);
}

/* A transcript with every byte value, CRLFs, NULs, and a message head holding NULs. */
static void hostile_evidence(case_result *c)
{
    char all[256];
    for (int i = 0; i < 256; i++)
        all[i] = (char)i;
    result_tx(c, TX_OPEN, 1, 1000000, HOSTILE, strlen(HOSTILE));
    result_tx(c, TX_SENT, 1, 1100000, "POST / HTTP/1.1\r\nExpect: 100-continue\r\n\r\n", 41);
    result_tx(c, TX_RECV, 1, 2345678, all, sizeof all);
    result_tx(c, TX_RECV, 1, 2400000, "foo", 3);
    result_tx(c, TX_NOTE, 0, 2500000, HOSTILE, sizeof HOSTILE);
    result_tx(c, TX_RESET, 1, 2600000, "Connection reset by peer", 24);
    msg_record *m = result_msg(c);
    m->conn = 1;
    m->status = 100;
    m->interim = true;
    m->head = xstrndup("HTTP/1.1 100 \0\x1b\r\n\r\n", 19);
    m->head_len = 19;
    finding_record *f = result_finding(c);
    f->code = 17;
    f->name = HOSTILE;
    f->text = xstrdup(HOSTILE);
    f->require = HOSTILE;
    f->verdict = VERDICT_FAIL;
    f->conn = 1;
    f->offset = 13;
    result_note(c, "%s", HOSTILE);
}

/* Every verdict, in a hostile area and in "continue", every string field hostile, plus
 * duplicate ids. The caller frees with result_free. */
static void hostile_run(run_result *r)
{
    run_init(r, VERDICT_COUNT + 2);
    replace(&r->target, HOSTILE);
    replace(&r->mode, HOSTILE);
    replace(&r->version, HOSTILE);
    replace(&r->hostname, HOSTILE);
    for (size_t i = 0; i < r->ncases; i++) {
        case_result *c = &r->cases[i];
        fill_case(c, HOSTILE, i % 2 ? HOSTILE : "continue", (verdict_t)(i % VERDICT_COUNT));
        replace(&c->title, HOSTILE);
        replace(&c->file, HOSTILE);
        replace(&c->require, HOSTILE);
        replace(&c->rfc, HOSTILE);
        replace(&c->level, HOSTILE);
        replace(&c->message, HOSTILE);
        replace(&c->failed_require, HOSTILE);
        hostile_evidence(c);
    }
    result_count(r);
}

/* ---- escaper tests ------------------------------------------------------------------------- */

static void test_every_byte_and_pair(void)
{
    int bad = 0;
    for (int a = 0; a < 256; a++) {
        char one[1] = {(char)a};
        bad += !all_escapes_ok(one, 1);
        for (int b = 0; b < 256; b++) {
            char two[2] = {(char)a, (char)b};
            bad += !all_escapes_ok(two, 2);
        }
    }
    char all[256];
    for (int i = 0; i < 256; i++)
        all[i] = (char)i;
    bad += !all_escapes_ok(all, sizeof all);
    CU_ASSERT_EQUAL(bad, 0);
}

typedef struct esc_case {
    const char *in;
    size_t len;
    const char *text, *attr, *json;
} esc_case;

#define S(x) x, sizeof(x) - 1

static const esc_case esc_cases[] = {
    {S("a<b>&c"), "a&lt;b&gt;&amp;c", "a&lt;b&gt;&amp;c", "a<b>&c"},
    {S("]]>"), "]]&gt;", "]]&gt;", "]]>"},
    {S("\"'"), "\"'", "&quot;&apos;", "\\\"'"},
    {S("\t\n\r"), "\t\n&#13;", "&#9;&#10;&#13;", "\\t\\n\\r"},
    {S("\\"), "\\", "\\", "\\\\"},
    {S("\0x"), "\\x00x", "\\x00x", "\\u0000x"},
    {S("\x1b[0m"), "\\x1B[0m", "\\x1B[0m", "\\u001b[0m"},
    {S("\x7f"), "\\x7F", "\\x7F", "\\u007f"},
    {S("\xc2\x85"), "\\xC2\\x85", "\\xC2\\x85", "\\u0085"},
    {S("\xc0\x80"), "\\xC0\\x80", "\\xC0\\x80", "\\\\xC0\\\\x80"},             /* overlong NUL */
    {S("\xe0\x80\xaf"), "\\xE0\\x80\\xAF", "\\xE0\\x80\\xAF", "\\\\xE0\\\\x80\\\\xAF"}, /* '/' */
    {S("\xf0\x80\x80\xaf"), "\\xF0\\x80\\x80\\xAF", "\\xF0\\x80\\x80\\xAF",
     "\\\\xF0\\\\x80\\\\x80\\\\xAF"},
    {S("\xed\xa0\x80"), "\\xED\\xA0\\x80", "\\xED\\xA0\\x80", "\\\\xED\\\\xA0\\\\x80"}, /* D800 */
    {S("\xed\xbf\xbf"), "\\xED\\xBF\\xBF", "\\xED\\xBF\\xBF", "\\\\xED\\\\xBF\\\\xBF"}, /* DFFF */
    {S("\xf4\x90\x80\x80"), "\\xF4\\x90\\x80\\x80", "\\xF4\\x90\\x80\\x80",
     "\\\\xF4\\\\x90\\\\x80\\\\x80"},                                           /* > 10FFFF */
    {S("\xef\xbf\xbe"), "\\xEF\\xBF\\xBE", "\\xEF\\xBF\\xBE", "\xef\xbf\xbe"},  /* U+FFFE */
    {S("\xe2\x82x"), "\\xE2\\x82x", "\\xE2\\x82x", "\\\\xE2\\\\x82x"},         /* truncated */
    {S("\x80"), "\\x80", "\\x80", "\\\\x80"},                                   /* lone */
    {S("\xff\xfe"), "\\xFF\\xFE", "\\xFF\\xFE", "\\\\xFF\\\\xFE"},
    {S("\xe2\x80\xa8"), "\xe2\x80\xa8", "\xe2\x80\xa8", "\\u2028"},
    {S("h\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"), "h\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
     "h\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "h\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"},
};

static void test_escape_table(void)
{
    for (size_t i = 0; i < sizeof esc_cases / sizeof *esc_cases; i++) {
        const esc_case *e = &esc_cases[i];
        char *x = xml_esc(e->in, e->len, false), *a = xml_esc(e->in, e->len, true);
        char *j = json_esc(e->in, e->len);
        CU_ASSERT_STRING_EQUAL(x, e->text);
        CU_ASSERT_STRING_EQUAL(a, e->attr);
        CU_ASSERT_STRING_EQUAL(j, e->json);
        if (strcmp(x, e->text) || strcmp(a, e->attr) || strcmp(j, e->json))
            fprintf(stderr, "\nescape case %zu: text [%s] attr [%s] json [%s]\n", i, x, a, j);
        free(x);
        free(a);
        free(j);
    }
}

static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;

static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* 3 MiB mixing random bytes, valid multi-byte characters and markup. */
static void test_random_3mib(void)
{
    static const char *const pieces[] = {"\xe2\x82\xac", "\xf0\x9f\x98\x80", "]]>", "&",
                                         "\r\n", "\xed\xa0\x80", "\xc0\xaf", "\""};
    size_t len = 3u << 20;
    char *s = xmalloc(len);
    size_t i = 0;
    while (i < len) {
        uint64_t r = rng();
        const char *p = pieces[(r >> 8) % 8];
        if ((r & 3) == 0 && i + strlen(p) <= len) {
            memcpy(s + i, p, strlen(p));
            i += strlen(p);
        } else {
            s[i++] = (char)(r >> 32);
        }
    }
    CU_ASSERT_TRUE(all_escapes_ok(s, len));
    free(s);
}

static void test_readable_text(void)
{
    buf_t b;
    buf_init(&b, 0);
    report_readable_text(&b, S("a\x1b[2J\r\n\t\xe2\x80\xae\xff\xc3\xa9"));
    CU_ASSERT_STRING_EQUAL(b.data, "a\\x1B[2J\\r\\n\\t\\xE2\\x80\\xAE\\xFF\xc3\xa9");
    buf_reset(&b);
    report_one_line(&b, "one\r\ntwo\tthree", 100);
    CU_ASSERT_STRING_EQUAL(b.data, "one two three");
    buf_reset(&b);
    report_one_line(&b, "ab\xe2\x82\xac", 3); /* never cut inside the euro sign */
    CU_ASSERT_STRING_EQUAL(b.data, "ab...");
    buf_free(&b);
}

/* ---- formatting tests ---------------------------------------------------------------------- */

static void secs_is(int64_t ns, int decimals, const char *want)
{
    buf_t b;
    buf_init(&b, 0);
    report_secs(&b, ns, decimals);
    CU_ASSERT_STRING_EQUAL(b.data, want);
    buf_free(&b);
}

static void test_numbers(void)
{
    /* a locale with a decimal comma must not matter */
    setlocale(LC_NUMERIC, "de_DE.UTF-8");
    secs_is(0, 3, "0.000");
    secs_is(123456789, 3, "0.123");
    secs_is(1999999999, 3, "2.000");
    secs_is(1234567, 6, "0.001235");
    secs_is(5000000001LL, 6, "5.000000");
    secs_is(-1500000, 3, "-0.002");
    secs_is(INT64_MAX, 3, "9223372036.855");
    setlocale(LC_NUMERIC, "C");
    buf_t b;
    buf_init(&b, 0);
    report_ms(&b, 12345678);
    CU_ASSERT_STRING_EQUAL(b.data, "12.345");
    buf_reset(&b);
    report_utc(&b, 1700000000, false);
    CU_ASSERT_STRING_EQUAL(b.data, "2023-11-14T22:13:20");
    buf_reset(&b);
    report_utc(&b, 0, true);
    CU_ASSERT_STRING_EQUAL(b.data, "1970-01-01T00:00:00Z");
    static const char *const b64[][2] = {{"", ""},         {"f", "Zg=="},     {"fo", "Zm8="},
                                         {"foo", "Zm9v"},  {"foob", "Zm9vYg=="},
                                         {"foobar", "Zm9vYmFy"}};
    for (size_t i = 0; i < sizeof b64 / sizeof *b64; i++) {
        buf_reset(&b);
        report_base64(&b, b64[i][0], strlen(b64[i][0]));
        CU_ASSERT_STRING_EQUAL(b.data, b64[i][1]);
    }
    buf_free(&b);
}

/* ---- file writer tests --------------------------------------------------------------------- */

static void write_hostile_env(const run_result *r)
{
    report_opts o = {0};
    char err[256] = "";
    const char *junit = getenv("H1XX_HOSTILE_JUNIT"), *json = getenv("H1XX_HOSTILE_JSON");
    if (junit && *junit)
        CU_ASSERT_EQUAL(report_junit_write(r, junit, &o, err, sizeof err), 0);
    if (json && *json)
        CU_ASSERT_EQUAL(report_json_write(r, json, &o, err, sizeof err), 0);
}

static void check_hostile_junit(const char *doc, size_t len, const run_result *r)
{
    CU_ASSERT_TRUE(xml_chars_ok(doc, len));
    CU_ASSERT_EQUAL(count_of(doc, "<testcase "), r->ncases);
    CU_ASSERT_EQUAL(count_of(doc, "<testsuite "), 2);
    CU_ASSERT_EQUAL(count_of(doc, "<![CDATA["), 0);
    CU_ASSERT_EQUAL(count_of(doc, " file=\""), 0);
    CU_ASSERT_EQUAL(count_of(doc, "\x1b"), 0);
    char *root = nth_tag(doc, "<testsuites", 0);
    CU_ASSERT_PTR_NULL(strstr(root, "skipped"));
    free(root);
    /* the escaped hostile text appears as intended in an attribute */
    CU_ASSERT_PTR_NOT_NULL(strstr(doc, "h\\x01\\x1B[31m&lt;b&gt;&amp;amp;&quot;&apos;&#9;&#13;"
                                       "&#10;]]&gt;\\xFF\\xFE\\xC0\\x80\\xED\\xA0\\x80"));
    /* the transcript shows CRLF readably */
    CU_ASSERT_PTR_NOT_NULL(strstr(doc, "&gt; POST / HTTP/1.1\\r\\n\n&gt; Expect: 100-continue"));
}

static void check_hostile_json(const char *doc, size_t len, const run_result *r)
{
    CU_ASSERT_TRUE(utf8_ok(doc, len));
    CU_ASSERT_TRUE(json_doc_ok(doc, len));
    char *want = xasprintf("\"total\":%zu,", r->ncases);
    CU_ASSERT_PTR_NOT_NULL(strstr(doc, want));
    free(want);
    CU_ASSERT_PTR_NOT_NULL(strstr(doc, "\"b64\":\"Zm9v\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(doc, "\\\\xFF\\\\xFE\\\\xC0\\\\x80"));
    CU_ASSERT_PTR_NOT_NULL(strstr(doc, "\"started\": \"2023-11-14T22:13:20Z\""));
}

static void test_hostile_files(void)
{
    run_result r;
    hostile_run(&r);
    char *dir = tu_tmpdir();
    CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
    char *xml = xasprintf("%s/junit.xml", dir), *json = xasprintf("%s/results.json", dir);
    report_opts o = {0};
    char err[256] = "";
    CU_ASSERT_EQUAL(report_junit_write(&r, xml, &o, err, sizeof err), 0);
    CU_ASSERT_EQUAL(report_json_write(&r, json, &o, err, sizeof err), 0);
    CU_ASSERT_EQUAL(tu_temp_files(dir), 0);
    size_t len = 0;
    char *doc = tu_slurp(xml, &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
    check_hostile_junit(doc, len, &r);
    free(doc);
    doc = tu_slurp(json, &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
    check_hostile_json(doc, len, &r);
    free(doc);
    write_hostile_env(&r);
    remove_tree(dir);
    free(xml);
    free(json);
    free(dir);
    result_free(&r);
}

static void test_unwritable(void)
{
    run_result r;
    hostile_run(&r);
    report_opts o = {0};
    char err[256] = "";
    CU_ASSERT_EQUAL(report_junit_write(&r, "/nonexistent-dir/x.xml", &o, err, sizeof err), -1);
    CU_ASSERT_TRUE(err[0] != '\0');
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "/nonexistent-dir/x.xml"));
    err[0] = '\0';
    CU_ASSERT_EQUAL(report_json_write(&r, "/nonexistent-dir/x.json", &o, err, sizeof err), -1);
    CU_ASSERT_TRUE(err[0] != '\0');
    CU_ASSERT_NOT_EQUAL(access("/nonexistent-dir/x.xml", F_OK), 0);
    /* the temporary file is created, then the rename over a directory fails: it must go */
    char *dir = tu_tmpdir();
    CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
    char *sub = xasprintf("%s/sub", dir);
    CU_ASSERT_EQUAL(mkdir(sub, 0700), 0);
    err[0] = '\0';
    CU_ASSERT_EQUAL(report_junit_write(&r, sub, &o, err, sizeof err), -1);
    CU_ASSERT_TRUE(err[0] != '\0');
    CU_ASSERT_EQUAL(report_json_write(&r, sub, &o, err, sizeof err), -1);
    CU_ASSERT_EQUAL(tu_temp_files(dir), 0);
    CU_ASSERT_EQUAL(report_junit_write(&r, "", &o, err, sizeof err), -1);
    remove_tree(dir);
    free(sub);
    free(dir);
    result_free(&r);
}

/* Writes r as JUnit into a fresh directory and returns the document (caller frees). */
static char *junit_of(const run_result *r, const report_opts *o)
{
    char *dir = tu_tmpdir(), *doc = NULL;
    if (!dir)
        return xstrdup("");
    char *path = xasprintf("%s/j.xml", dir), err[256];
    size_t len;
    if (report_junit_write(r, path, o, err, sizeof err) == 0)
        doc = tu_slurp(path, &len);
    remove_tree(dir);
    free(path);
    free(dir);
    return doc ? doc : xstrdup("");
}

/* area a: one case of each verdict; area b: pass and fail. */
static void counted_run(run_result *r)
{
    run_init(r, VERDICT_COUNT + 2);
    char id[32];
    for (int v = 0; v < VERDICT_COUNT; v++) {
        snprintf(id, sizeof id, "a/%s", verdict_name((verdict_t)v));
        fill_case(&r->cases[v], id, "a", (verdict_t)v);
    }
    fill_case(&r->cases[VERDICT_COUNT], "b/pass", "b", VERDICT_PASS);
    fill_case(&r->cases[VERDICT_COUNT + 1], "b/fail", "b", VERDICT_FAIL);
    result_count(r);
}

static void test_junit_counts(void)
{
    run_result r;
    counted_run(&r);
    report_opts o = {0};
    char *doc = junit_of(&r, &o);
    char *root = nth_tag(doc, "<testsuites", 0), *a = nth_tag(doc, "<testsuite ", 0);
    char *b = nth_tag(doc, "<testsuite ", 1);
    /* not-run is an <error> (a run cut short fails, so CI's counts match the exit status) */
    CU_ASSERT_PTR_NOT_NULL(strstr(root, "tests=\"8\" failures=\"2\" errors=\"2\" time=\"2.500\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(a, "name=\"a\" tests=\"6\" failures=\"1\" errors=\"2\" "
                                     "skipped=\"1\" timestamp=\"2023-11-14T22:13:20\""));
    CU_ASSERT_EQUAL(count_of(doc, "type=\"not-run\""), 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(b, "tests=\"2\" failures=\"1\" errors=\"0\" skipped=\"0\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(doc, "classname=\"h1xx.a\" name=\"a/pass\" time=\"0.123\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(doc, "<failure message=\"expected interim 100, got nothing "
                                       "[EXP-1]\" type=\"MUST\">"));
    CU_ASSERT_PTR_NOT_NULL(strstr(doc, "<error message=\"expected interim 100, got nothing\" "
                                       "type=\"harness\">"));
    CU_ASSERT_EQUAL(count_of(doc, "<skipped message="), 1);
    /* a warning that passed shows in its name (all consumers) and in system-err (Jenkins) */
    CU_ASSERT_PTR_NOT_NULL(strstr(doc, "name=\"a/warn [warn]\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(doc, "<system-err>WARN: expected interim 100"));
    CU_ASSERT_EQUAL(count_of(doc, "type=\"SHOULD\""), 0);
    free(doc), free(root), free(a), free(b);
    o.strict = true;
    doc = junit_of(&r, &o);
    root = nth_tag(doc, "<testsuites", 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(root, "tests=\"8\" failures=\"3\" errors=\"2\""));
    CU_ASSERT_PTR_NULL(strstr(doc, "[warn]"));
    CU_ASSERT_EQUAL(count_of(doc, "type=\"SHOULD\""), 1);
    CU_ASSERT_EQUAL(count_of(doc, "WARN: "), 0);
    free(doc), free(root);
    o = (report_opts){.junit_file_line = true};
    doc = junit_of(&r, &o);
    CU_ASSERT_EQUAL(count_of(doc, " file=\"cases/x.case\" line=\"3\""), r.ncases);
    free(doc);
    result_free(&r);
}

static void test_junit_unique_names(void)
{
    run_result r;
    run_init(&r, 4);
    fill_case(&r.cases[0], "x", "a", VERDICT_PASS);
    fill_case(&r.cases[1], "x #2", "a", VERDICT_PASS);
    fill_case(&r.cases[2], "x", "a", VERDICT_PASS);
    fill_case(&r.cases[3], "x", "b", VERDICT_PASS);
    report_opts o = {0};
    char *doc = junit_of(&r, &o);
    CU_ASSERT_EQUAL(count_of(doc, "name=\"x\" "), 2); /* once in a, once in b */
    CU_ASSERT_EQUAL(count_of(doc, "name=\"x #2\" "), 1);
    CU_ASSERT_EQUAL(count_of(doc, "name=\"x #3\" "), 1);
    free(doc);
    result_free(&r);
}

static void test_junit_sysout_cap(void)
{
    run_result r;
    run_init(&r, 1);
    fill_case(&r.cases[0], "big", "a", VERDICT_FAIL);
    char *blob = xmalloc(RESULT_TX_MAX);
    for (size_t i = 0; i < RESULT_TX_MAX; i++)
        blob[i] = "<&\r\n\xff"[i % 5];
    result_tx(&r.cases[0], TX_RECV, 1, 0, blob, RESULT_TX_MAX);
    result_tx(&r.cases[0], TX_RECV, 1, 0, "late", 4); /* past the cap: truncated */
    free(blob);
    report_opts o = {0};
    char *doc = junit_of(&r, &o);
    const char *s = strstr(doc, "<system-out>"), *e = strstr(doc, "</system-out>");
    CU_ASSERT_FATAL(s && e && e > s);
    s += strlen("<system-out>");
    CU_ASSERT_TRUE((size_t)(e - s) <= 256 * 1024);
    CU_ASSERT_TRUE((size_t)(e - s) > 200 * 1024);
    CU_ASSERT_PTR_NOT_NULL(strstr(doc, " bytes elided ..."));
    CU_ASSERT_PTR_NOT_NULL(strstr(doc, "transcript truncated"));
    CU_ASSERT_TRUE(xml_escaped_ok(s, (size_t)(e - s), false));
    free(doc);
    result_free(&r);
}

static void test_json_fields(void)
{
    run_result r;
    counted_run(&r);
    char *dir = tu_tmpdir();
    CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
    char *path = xasprintf("%s/r.json", dir), err[256];
    report_opts o = {0};
    CU_ASSERT_EQUAL(report_json_write(&r, path, &o, err, sizeof err), 0);
    size_t len = 0;
    char *doc = tu_slurp(path, &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
    CU_ASSERT_TRUE(json_doc_ok(doc, len));
    CU_ASSERT_PTR_NOT_NULL(strstr(doc, "\"summary\": {\"pass\":2,\"warn\":1,\"fail\":2,\"skip\":1,"
                                       "\"error\":1,\"not-run\":1,\"total\":8,"
                                       "\"passed\":3,\"failed\":4,\"skipped\":1}"));
    CU_ASSERT_PTR_NOT_NULL(strstr(doc, "\"baseline\": null"));
    CU_ASSERT_PTR_NOT_NULL(strstr(doc, "{\"id\":\"a/pass\",\"area\":\"a\",\"title\":\"A title\","
                                       "\"file\":\"cases/x.case\",\"line\":3,"
                                       "\"require\":[\"EXP-1\",\"GEN-4\"],"));
    CU_ASSERT_PTR_NOT_NULL(strstr(doc, "\"failed_require\":null,\"missing_var\":null,"
                                       "\"start_s\":0.001000,\"duration_s\":0.123457,"));
    CU_ASSERT_PTR_NOT_NULL(strstr(doc, "\"duration_s\": 2.500000"));
    CU_ASSERT_PTR_NOT_NULL(strstr(doc, "\"strict\": false"));
    CU_ASSERT_PTR_NOT_NULL(strstr(doc, "\"transcript\":[],\n     \"transcript_truncated\":false}"));
    free(doc);
    remove_tree(dir);
    free(path);
    free(dir);
    result_free(&r);
}

/* ---- console tests ------------------------------------------------------------------------- */

/* Runs the console over r into a temporary file and returns what it printed. */
static char *console_of(const run_result *r, int color, int verbosity, bool strict)
{
    FILE *f = tmpfile();
    if (!f)
        return xstrdup("");
    console c;
    console_init(&c, f, color, verbosity, strict, r->ncases);
    for (size_t i = 0; i < r->ncases; i++)
        console_case_done(&c, &r->cases[i]);
    console_summary(&c, r);
    rewind(f);
    buf_t b;
    buf_init(&b, 0);
    char tmp[4096];
    size_t n;
    while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
        buf_append(&b, tmp, n);
    fclose(f);
    return buf_steal(&b);
}

static const char *last_line(const char *s)
{
    size_t n = strlen(s);
    if (n && s[n - 1] == '\n')
        n--;
    while (n && s[n - 1] != '\n')
        n--;
    return s + n;
}

static void test_console(void)
{
    run_result r;
    counted_run(&r);
    replace(&r.cases[VERDICT_FAIL].title, HOSTILE);
    hostile_evidence(&r.cases[VERDICT_FAIL]);
    char *out = console_of(&r, 0, 0, false);
    /* not-run counts as failed: the last line agrees with the exit status */
    CU_ASSERT_STRING_EQUAL(last_line(out), "3 passed, 4 failed, 1 skipped\n");
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "pass 2, warn 1, fail 2, skip 1, error 1, not-run 1 in "));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "PASS a/pass (0.123s)\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "FAIL a/fail (0.123s)\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "  message: expected interim 100, got nothing\n"));
    CU_ASSERT_PTR_NULL(strchr(out, '\x1b'));
    CU_ASSERT_PTR_NULL(strchr(out, '\r'));
    CU_ASSERT_PTR_NULL(strstr(out, "transcript:"));
    free(out);
    out = console_of(&r, 1, 1, true);
    CU_ASSERT_STRING_EQUAL(last_line(out), "2 passed, 5 failed, 1 skipped\n");
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "\x1b[1;31mFAIL\x1b[0m a/fail"));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "  transcript:\n    [+0.000ms] conn 1 open h\\x01\\x1B"));
    CU_ASSERT_PTR_NULL(strstr(out, "\x1b[31m<b>")); /* the hostile ESC never reaches a tty */
    free(out);
    result_free(&r);
}

static void test_console_transcript(void)
{
    case_result c;
    fill_case(&c, "t", "a", VERDICT_FAIL);
    result_tx(&c, TX_SENT, 1, 13345000, "GET / HTTP/1.1\r\n\r\n", 18);
    result_tx(&c, TX_RECV, 1, 14000000, "HTTP/1.1 100 Continue\r\n\r\nX\0\\", 28);
    result_tx(&c, TX_EOF, 1, 15000000, NULL, 0);
    FILE *f = tmpfile();
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    console_transcript(f, &c);
    rewind(f);
    char got[1024] = "";
    size_t n = fread(got, 1, sizeof got - 1, f);
    got[n] = '\0';
    fclose(f);
    CU_ASSERT_STRING_EQUAL(got, "[+12.345ms] conn 1 sent 18 bytes\n"
                                "> GET / HTTP/1.1\\r\\n\n"
                                "> \\r\\n\n"
                                "[+13.000ms] conn 1 recv 28 bytes\n"
                                "< HTTP/1.1 100 Continue\\r\\n\n"
                                "< \\r\\n\n"
                                "< X\\x00\\\\\n"
                                "[+14.000ms] conn 1 eof\n");
    case_result_free(&c);
}

/* ---- report validity as a property --------------------------------------------------------- */

/* Runs `xmllint --noout --schema xsd file`; its exit status, or -1 when it cannot run. Its
 * output is discarded unless `show` (used to explain a failure). */
static int xmllint_schema(const char *xsd, const char *file, bool show)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        if (!show) {
            int fd = open("/dev/null", O_WRONLY);
            dup2(fd, 1);
            dup2(fd, 2);
        }
        execlp("xmllint", "xmllint", "--noout", "--schema", xsd, file, (char *)NULL);
        _exit(127);
    }
    int st;
    if (waitpid(pid, &st, 0) != pid)
        return -1;
    return WIFEXITED(st) && WEXITSTATUS(st) != 127 ? WEXITSTATUS(st) : -1;
}

/* The schemas every JUnit report is checked against, relative to the repository root (where
 * `make test` runs the unit tests): the project's own, which knows --junit-file-line's output. */
#define JUNIT_XSD "suite/junit/h1xx-junit.xsd"
/* The xunit schema CI plugins use, when a sibling checkout provides it; default output only. */
#define XUNIT_XSD "../shared/junit/junit-10.xsd"

/* $H1XX_JUNIT_XSD (an extra schema for the default output), or NULL. */
static const char *extra_xsd(void)
{
    const char *env = getenv("H1XX_JUNIT_XSD");
    return env && *env ? env : NULL;
}

static const char *const NASTY_PIECES[] = {
    "\x01", "\x1b[31m", "\x7f", "\xc2\x85", "\xff", "\xfe", "\xc0\x80", "\xed\xa0\x80",
    "\xef\xbf\xbe", "\xef\xbf\xbf", "\xe2\x80\xae", "\xe2\x80\xa8", "]]>", "<![CDATA[", "\"",
    "'", "&", "&amp;", "&#0;", "<", ">", "\r", "\n", "\t", "\r\n", "\xf0\x9f\x98\x80",
    "\xf4\x90\x80\x80", "\xe2\x82\xac", "\\x00", "\\u0000", "%s%n", "--", "-->", "\x0b\x0c",
};

/* n bytes of random trouble (malloc'd, NUL-terminated after n); with `nul` NUL bytes may occur
 * inside, otherwise they are replaced by 0x01. */
static char *nasty_bytes(size_t n, bool nul)
{
    char *s = xmalloc(n + 1);
    size_t i = 0;
    const size_t npieces = sizeof NASTY_PIECES / sizeof *NASTY_PIECES;
    while (i < n) {
        uint64_t r = rng();
        const char *p = NASTY_PIECES[(r >> 8) % npieces];
        size_t pl = strlen(p);
        if ((r & 1) && i + pl <= n) {
            memcpy(s + i, p, pl);
            i += pl;
        } else {
            char c = (char)(r >> 40);
            s[i++] = (c || nul) ? c : '\x01';
        }
    }
    s[n] = '\0';
    return s;
}

static char *nasty(size_t max)
{
    return nasty_bytes(max ? rng() % (max + 1) : 0, false);
}

static const char *const FINDING_NAMES[] = {"bare-lf", "\xff]]>\"&<x>", "", "ctl\x01"};

static void random_evidence(case_result *c, bool huge)
{
    size_t ntx = rng() % 12;
    for (size_t i = 0; i < ntx; i++) {
        size_t len = huge && i == 0 ? (3u << 20) : rng() % 3000;
        char *d = nasty_bytes(len, true);
        result_tx(c, (tx_kind)(rng() % (TX_NOTE + 1)), (int)(rng() % 9), (int64_t)(rng() % 9000000000ULL),
                  d, len);
        free(d);
    }
    size_t nmsgs = rng() % 6;
    for (size_t i = 0; i < nmsgs; i++) {
        msg_record *m = result_msg(c);
        m->conn = 1 + (int)(rng() % 8);
        m->status = (int)(rng() % 1000);
        m->interim = m->status / 100 == 1;
        m->t_first_ns = (int64_t)(rng() % 5000000000ULL);
        m->head_len = rng() % 400;
        m->head = nasty_bytes(m->head_len, true);
        m->body_len = rng();
    }
    size_t nf = rng() % 5;
    for (size_t i = 0; i < nf; i++) {
        finding_record *f = result_finding(c);
        f->code = (int)(rng() % 25);
        f->name = FINDING_NAMES[rng() % 4];
        f->text = nasty(200);
        f->require = rng() % 2 ? "GEN-5" : NULL;
        f->verdict = (verdict_t)(rng() % VERDICT_COUNT);
        f->conn = (int)(rng() % 9);
        f->offset = rng();
    }
    size_t nn = rng() % 4;
    for (size_t i = 0; i < nn; i++) {
        char *t = huge && i == 0 ? nasty_bytes(2u << 20, false) : nasty(300);
        result_note(c, "%s", t);
        free(t);
    }
}

/* A run whose every string is random trouble; `huge` adds multi-megabyte strings. */
static void random_run(run_result *r, bool huge)
{
    size_t n = 1 + rng() % 8;
    run_init(r, n);
    replace(&r->target, "");
    free(r->target), r->target = nasty(100);
    free(r->hostname), r->hostname = nasty(50);
    r->strict = rng() % 2;
    r->interrupted = rng() % 4 == 0;
    r->deadline_hit = rng() % 4 == 0;
    for (size_t i = 0; i < n; i++) {
        case_result *c = &r->cases[i];
        char *id = nasty(40), *area = rng() % 3 ? xstrdup("continue") : nasty(20);
        fill_case(c, id, area, (verdict_t)(rng() % VERDICT_COUNT));
        free(id);
        free(area);
        free(c->title), c->title = huge && i == 0 ? nasty_bytes(2u << 20, false) : nasty(200);
        free(c->message), c->message = huge && i == 0 ? nasty_bytes(3u << 20, false) : nasty(300);
        free(c->file), c->file = nasty(60);
        free(c->rfc), c->rfc = nasty(40);
        if (c->failed_require)
            free(c->failed_require), c->failed_require = nasty(10);
        c->duration_ns = (int64_t)(rng() % 100000000000ULL);
        random_evidence(c, huge && i == 0);
    }
    result_count(r);
}

static void check_schema(const char *xsd, const char *xml, int seed)
{
    int rc = xmllint_schema(xsd, xml, false);
    if (rc != 0) {
        fprintf(stderr, "\nrandom run %d: xmllint --schema %s %s: exit %d\n", seed, xsd, xml, rc);
        if (rc > 0)
            xmllint_schema(xsd, xml, true);
    }
    CU_ASSERT_EQUAL(rc, 0);
}

/* `file_line`: the report was written with junit_file_line, which only our schema accepts. */
static void check_random_files(const char *xml, const char *json, int seed, bool file_line)
{
    size_t len = 0;
    char *doc = tu_slurp(json, &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
    bool ok = utf8_ok(doc, len) && json_doc_ok(doc, len);
    if (!ok)
        fprintf(stderr, "\nrandom run %d: %s is not valid JSON\n", seed, json);
    CU_ASSERT_TRUE(ok);
    free(doc);
    doc = tu_slurp(xml, &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
    CU_ASSERT_TRUE(xml_chars_ok(doc, len));
    free(doc);
    check_schema(JUNIT_XSD, xml, seed);
    if (file_line)
        return;
    if (access(XUNIT_XSD, R_OK) == 0)
        check_schema(XUNIT_XSD, xml, seed);
    if (extra_xsd())
        check_schema(extra_xsd(), xml, seed);
}

/* For random runs (controls, invalid UTF-8, "]]>", quotes, entities, multi-megabyte strings),
 * the JUnit file validates against the schemas (xmllint) and the JSON file is valid UTF-8 JSON.
 * Every third run adds file/line and properties. Reproducible: the seeds are fixed. */
static void test_random_runs_validate(void)
{
    if (access(JUNIT_XSD, R_OK) != 0) {
        fprintf(stderr, "\nschema %s not found (run from the repository root)\n", JUNIT_XSD);
        CU_FAIL_FATAL("JUnit schema not found");
    }
    if (access(XUNIT_XSD, R_OK) != 0)
        fprintf(stderr, "\nreport: %s absent: JUnit checked against %s only\n", XUNIT_XSD,
                JUNIT_XSD);
    char *dir = tu_tmpdir();
    CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
    char *xml = xasprintf("%s/junit.xml", dir), *json = xasprintf("%s/results.json", dir);
    for (int seed = 1; seed <= 24; seed++) {
        rng_state = 0x9E3779B97F4A7C15ULL * (uint64_t)seed;
        run_result r;
        random_run(&r, seed <= 2);
        report_opts o = {.strict = r.strict, .junit_file_line = seed % 3 == 0};
        char err[256] = "";
        CU_ASSERT_EQUAL(report_junit_write(&r, xml, &o, err, sizeof err), 0);
        CU_ASSERT_EQUAL(report_json_write(&r, json, &o, err, sizeof err), 0);
        check_random_files(xml, json, seed, o.junit_file_line);
        result_free(&r);
    }
    CU_ASSERT_EQUAL(tu_temp_files(dir), 0);
    remove_tree(dir);
    free(xml);
    free(json);
    free(dir);
}

/* ---- caps on what a case records ----------------------------------------------------------- */

static void test_result_caps(void)
{
    case_result c;
    memset(&c, 0, sizeof c);
    char *big = xmalloc(RESULT_TX_MAX);
    memset(big, 'a', RESULT_TX_MAX);
    result_tx(&c, TX_RECV, 1, 0, big, RESULT_TX_MAX - 10);
    result_tx(&c, TX_RECV, 1, 1, "0123456789AB", 12); /* does not fit: not kept */
    result_tx(&c, TX_RECV, 1, 2, "xyz", 3);           /* would fit, but would leave a hole */
    result_tx(&c, TX_RESET, 1, 3, "Connection reset", 16);
    free(big);
    CU_ASSERT_TRUE(c.tx_truncated);
    CU_ASSERT_EQUAL(c.ntx, 4);
    CU_ASSERT_EQUAL(c.tx[1].len, 0);
    CU_ASSERT_EQUAL(c.tx[2].len, 0);
    CU_ASSERT_EQUAL(c.tx[3].len, 16); /* events keep their text */
    CU_ASSERT_STRING_EQUAL(c.tx[3].data, "Connection reset");
    case_result_free(&c);

    memset(&c, 0, sizeof c);
    for (size_t i = 0; i < RESULT_TX_ENTRIES + 5; i++)
        result_tx(&c, TX_RECV, 1, (int64_t)i, "b", 1);
    CU_ASSERT_EQUAL(c.ntx, RESULT_TX_ENTRIES);
    CU_ASSERT_TRUE(c.tx_truncated);
    for (size_t i = 0; i < RESULT_MSGS_MAX; i++)
        CU_ASSERT_PTR_NOT_NULL(result_msg(&c));
    CU_ASSERT_PTR_NULL(result_msg(&c));
    CU_ASSERT_PTR_NULL(result_msg(&c));
    CU_ASSERT_EQUAL(c.nmsgs, RESULT_MSGS_MAX);
    CU_ASSERT_EQUAL(c.msgs_dropped, 2);
    for (size_t i = 0; i < RESULT_FINDINGS_MAX; i++)
        CU_ASSERT_PTR_NOT_NULL(result_finding(&c));
    CU_ASSERT_PTR_NULL(result_finding(&c));
    CU_ASSERT_EQUAL(c.findings_dropped, 1);
    for (size_t i = 0; i < RESULT_NOTES_MAX + 3; i++)
        result_note(&c, "note %zu", i);
    CU_ASSERT_EQUAL(c.nnotes, RESULT_NOTES_MAX);
    case_result_free(&c);
}

/* ---- registration -------------------------------------------------------------------------- */

void register_report_tests(void)
{
    CU_pSuite s = CU_add_suite("report", NULL, NULL);
    if (!s)
        return;
    CU_add_test(s, "escapers: every byte and byte pair", test_every_byte_and_pair);
    CU_add_test(s, "escapers: hostile table", test_escape_table);
    CU_add_test(s, "escapers: 3 MiB random", test_random_3mib);
    CU_add_test(s, "readable text", test_readable_text);
    CU_add_test(s, "numbers, times, base64", test_numbers);
    CU_add_test(s, "hostile run: JUnit and JSON files", test_hostile_files);
    CU_add_test(s, "unwritable paths leave nothing", test_unwritable);
    CU_add_test(s, "JUnit counts and elements", test_junit_counts);
    CU_add_test(s, "JUnit names unique per class", test_junit_unique_names);
    CU_add_test(s, "JUnit system-out cap", test_junit_sysout_cap);
    CU_add_test(s, "JSON fields", test_json_fields);
    CU_add_test(s, "console lines and summary", test_console);
    CU_add_test(s, "console transcript", test_console_transcript);
    CU_add_test(s, "random runs: JUnit valid (xmllint --schema), JSON valid", test_random_runs_validate);
    CU_add_test(s, "caps on transcript, messages, findings, notes", test_result_caps);
}
