/* report_junit: the JUnit XML report, shaped for what CI consumers read: one root
 * <testsuites>, one flat <testsuite> per area in order of first appearance with exact counts,
 * one <testcase> per case with at most one failure/error/skipped element carrying a one-line
 * message and a non-empty text, then the transcript in <system-out>. The elements follow the
 * one summary (result_outcome): a case counted failed is an <error> when it could not run or
 * was cut short (not-run), else a <failure>; skip and expected failures of a baseline are
 * <skipped>; so failures + errors match the console's failed count and the exit status. A
 * warning that passed is named "ID [warn]" with its text in <system-err>.
 * With junit_file_line each testcase also gets file/line attributes and <properties> (verdict,
 * baseline mark, requirement ids, level, RFC section), which CI systems read but the xunit XSD
 * rejects. Both validate against suite/junit/h1xx-junit.xsd, the default also against the xunit
 * XSD; every byte a server sent is escaped or replaced by a visible placeholder, so the file is
 * always well-formed XML 1.0. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fwd_stats.h"
#include "report.h"
#include "report_util.h"

#define SYSOUT_CAP (256 * 1024) /* bytes of escaped <system-out> text per testcase */
#define DETAIL_CAP (64 * 1024)  /* bytes of escaped failure/error/skipped text */
#define MESSAGE_MAX 512         /* bytes of a one-line message attribute before escaping */

/* ---- escaping ------------------------------------------------------------------------------ */

/* The Char production of XML 1.0, minus DEL and the C1 controls: legal but invisible. */
static bool xml_char(uint32_t cp)
{
    return cp == 0x9 || cp == 0xA || cp == 0xD || (cp >= 0x20 && cp < 0x7F) ||
           (cp > 0x9F && cp <= 0xD7FF) || (cp >= 0xE000 && cp <= 0xFFFD) ||
           (cp >= 0x10000 && cp <= 0x10FFFF);
}

/* The entity for cp, or NULL when cp is written as itself. CR is always a reference (a literal
 * one would be normalised away by parsers); TAB and LF only in attributes (where they would be
 * normalised to spaces). */
static const char *xml_entity(uint32_t cp, bool attribute)
{
    switch (cp) {
    case '&': return "&amp;";
    case '<': return "&lt;";
    case '>': return "&gt;";
    case '\r': return "&#13;";
    case '"': return attribute ? "&quot;" : NULL;
    case '\'': return attribute ? "&apos;" : NULL;
    case '\t': return attribute ? "&#9;" : NULL;
    case '\n': return attribute ? "&#10;" : NULL;
    default: return NULL;
    }
}

void report_xml_escape(buf_t *out, const char *s, size_t len, bool attribute)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, run = 0;
    while (i < len) {
        uint32_t cp = 0;
        size_t n = report_utf8_decode(p + i, len - i, &cp);
        bool ok = n && xml_char(cp);
        const char *ent = ok ? xml_entity(cp, attribute) : NULL;
        if (ok && !ent) {
            i += n;
            continue;
        }
        buf_append(out, p + run, i - run);
        if (ent)
            buf_append(out, ent, strlen(ent));
        else
            report_hex_bytes(out, p + i, n ? n : 1);
        i += n ? n : 1;
        run = i;
    }
    buf_append(out, p + run, len - run);
}

/* Appends ` name="value"` with value escaped for an attribute. */
static void attr(buf_t *b, const char *name, const char *value)
{
    value = report_str(value);
    buf_printf(b, " %s=\"", name);
    report_xml_escape(b, value, strlen(value), true);
    REPORT_PUT(b, "\"");
}

static void attr_size(buf_t *b, const char *name, size_t n)
{
    buf_printf(b, " %s=\"%zu\"", name, n);
}

static void attr_time(buf_t *b, int64_t ns)
{
    REPORT_PUT(b, " time=\"");
    report_secs(b, ns < 0 ? 0 : ns, 3);
    REPORT_PUT(b, "\"");
}

/* ---- capping ------------------------------------------------------------------------------- */

/* Moves a cut point in escaped text back so it splits neither a UTF-8 sequence nor an entity. */
static size_t cut_back(const char *s, size_t pos)
{
    while (pos > 0 && ((unsigned char)s[pos] & 0xC0) == 0x80)
        pos--;
    for (size_t k = pos; k > 0 && pos - k < 10; k--) {
        if (s[k - 1] == ';')
            break;
        if (s[k - 1] == '&')
            return k - 1;
    }
    return pos;
}

/* Moves a start point in escaped text forward past a split UTF-8 sequence or entity. */
static size_t cut_forward(const char *s, size_t len, size_t pos)
{
    while (pos < len && ((unsigned char)s[pos] & 0xC0) == 0x80)
        pos++;
    for (size_t k = pos; k > 0 && pos - k < 10; k--) {
        if (s[k - 1] == ';')
            break;
        if (s[k - 1] == '&') {
            while (pos < len && s[pos - 1] != ';')
                pos++;
            break;
        }
    }
    return pos;
}

/* Prefers a line end within 4 KiB before `pos` (head) or after it (tail). */
static size_t head_end(const char *s, size_t pos)
{
    for (size_t k = pos; k > 0 && pos - k < 4096; k--)
        if (s[k - 1] == '\n')
            return k;
    return cut_back(s, pos);
}

static size_t tail_start(const char *s, size_t len, size_t pos)
{
    for (size_t k = pos; k < len && k - pos < 4096; k++)
        if (s[k] == '\n')
            return k + 1;
    return cut_forward(s, len, pos);
}

/* Appends s escaped as XML text; when that exceeds cap bytes, keeps the head and the tail and
 * puts a "... N bytes elided ..." line between them. */
static void escape_capped(buf_t *out, const char *s, size_t len, size_t cap)
{
    buf_t e;
    buf_init(&e, 0);
    report_xml_escape(&e, s, len, false);
    if (e.len <= cap) {
        buf_append(out, e.data, e.len);
        buf_free(&e);
        return;
    }
    size_t half = cap / 2 - 64;
    size_t h = head_end(e.data, half);
    size_t t = tail_start(e.data, e.len, e.len - half);
    buf_append(out, e.data, h);
    buf_printf(out, "\n... %zu bytes elided ...\n", t - h);
    buf_append(out, e.data + t, e.len - t);
    buf_free(&e);
}

/* ---- counting ------------------------------------------------------------------------------ */

typedef struct tally {
    size_t tests, failures, errors, skipped;
    int64_t ns;
} tally;

/* The element a case gets, from the one summary's rule (result_outcome): a failed case is an
 * <error> when it could not run or was cut short, else a <failure>; a skipped one (skip, or an
 * expected failure of the baseline) is <skipped>; a passed one has none. */
typedef enum junit_kind { JK_NONE, JK_FAILURE, JK_ERROR, JK_SKIPPED } junit_kind;

static junit_kind case_kind(const run_result *r, const case_result *c, bool strict)
{
    switch (result_outcome(c, strict, r->strict_baseline)) {
    case OUTCOME_FAILED:
        return c->verdict == VERDICT_ERROR || c->verdict == VERDICT_NOTRUN ? JK_ERROR
                                                                           : JK_FAILURE;
    case OUTCOME_SKIPPED: return JK_SKIPPED;
    default: return JK_NONE;
    }
}

static void tally_case(tally *t, const run_result *r, const case_result *c, bool strict)
{
    junit_kind k = case_kind(r, c, strict);
    t->tests++;
    t->failures += k == JK_FAILURE;
    t->errors += k == JK_ERROR;
    t->skipped += k == JK_SKIPPED;
    if (c->duration_ns > 0)
        t->ns += c->duration_ns;
}

static bool same_area(const case_result *a, const case_result *b)
{
    return strcmp(report_str(a->area), report_str(b->area)) == 0;
}

/* ---- names --------------------------------------------------------------------------------- */

/* s, or `fallback` when s is empty: readers key suites and cases on a non-empty name. */
static const char *nonempty(const char *s, const char *fallback)
{
    return *report_str(s) ? s : fallback;
}

/* Returns testcase names unique within each area: the case id, with " #2", " #3", ... added to
 * repeats, and " [warn]" added to a warning that passed: GitLab and the GitHub reporters show a
 * passing testcase's name and nothing else of it (neither system-out, system-err nor
 * properties), so the name is the one place a warning is seen everywhere. The caller frees the
 * array and each name. */
static char **unique_names(const run_result *r, bool strict)
{
    char **names = xcalloc(r->ncases, sizeof *names);
    for (size_t i = 0; i < r->ncases; i++) {
        const char *id = nonempty(r->cases[i].id, "(no id)");
        char *name = xstrdup(id);
        for (int n = 2;; n++) {
            size_t j = 0;
            while (j < i && !(same_area(&r->cases[i], &r->cases[j]) && !strcmp(names[j], name)))
                j++;
            if (j == i)
                break;
            free(name);
            name = xasprintf("%s #%d", id, n);
        }
        names[i] = name;
    }
    for (size_t i = 0; i < r->ncases; i++)
        if (r->cases[i].verdict == VERDICT_WARN && !strict &&
            r->cases[i].baseline != BASELINE_EXPECTED) {
            char *w = xasprintf("%s [warn]", names[i]);
            free(names[i]);
            names[i] = w;
        }
    return names;
}

/* ---- testcase ------------------------------------------------------------------------------ */

static void message_attr(buf_t *b, const run_result *r, const case_result *c)
{
    buf_t m;
    buf_init(&m, 0);
    if (c->baseline == BASELINE_EXPECTED)
        REPORT_PUT(&m, "expected failure (baseline): ");
    if (c->baseline == BASELINE_FIXED && r->strict_baseline)
        REPORT_PUT(&m, "known failure now passes (--strict-baseline): update the baseline");
    else if (c->message && *c->message)
        report_one_line(&m, c->message, MESSAGE_MAX);
    else if (c->verdict == VERDICT_NOTRUN)
        buf_printf(&m, "not run%s", r->interrupted    ? ": interrupted"
                                    : r->deadline_hit ? ": run deadline reached"
                                                      : "");
    else
        buf_printf(&m, "%s", verdict_name(c->verdict));
    if (c->verdict != VERDICT_SKIP && c->verdict != VERDICT_NOTRUN && c->failed_require &&
        *c->failed_require) {
        REPORT_PUT(&m, " [");
        report_one_line(&m, c->failed_require, 64);
        REPORT_PUT(&m, "]");
    }
    attr(b, "message", m.data);
    buf_free(&m);
}

/* The failure type: the case's level when it is a plain RFC 2119 level, else one implied by the
 * verdict. Consumers read `type` as a hint, so free text never goes there. */
static const char *failure_type(const case_result *c)
{
    static const char *const levels[] = {"MUST", "MUST NOT", "SHOULD", "SHOULD NOT", "MAY"};
    for (size_t i = 0; i < sizeof levels / sizeof *levels; i++)
        if (c->level && !strcmp(c->level, levels[i]))
            return levels[i];
    return c->verdict == VERDICT_WARN ? "SHOULD" : "MUST";
}

static void result_element(buf_t *b, const run_result *r, const case_result *c, bool strict)
{
    static const char *const tags[] = {NULL, "failure", "error", "skipped"};
    junit_kind k = case_kind(r, c, strict);
    const char *tag = tags[k];
    if (!tag)
        return;
    buf_printf(b, "      <%s", tag);
    message_attr(b, r, c);
    if (k == JK_ERROR)
        attr(b, "type", c->verdict == VERDICT_NOTRUN ? "not-run" : "harness");
    else if (k == JK_FAILURE)
        attr(b, "type", c->verdict == VERDICT_PASS ? "baseline" : failure_type(c));
    REPORT_PUT(b, ">");
    buf_t d;
    buf_init(&d, 0);
    report_case_detail(&d, c, "", true);
    escape_capped(b, d.data, d.len, DETAIL_CAP);
    buf_free(&d);
    buf_printf(b, "</%s>\n", tag);
}

/* The raw (unescaped) system-err text: what a passing case still has to say, a warning (with
 * its requirement) or a known failure of the baseline that now passes. Jenkins shows it on the
 * case's page. */
static void syserr_text(buf_t *t, const run_result *r, const case_result *c, bool strict)
{
    if (c->verdict == VERDICT_WARN && !strict && c->baseline != BASELINE_EXPECTED) {
        REPORT_PUT(t, "WARN: ");
        report_one_line(t, c->message && *c->message ? c->message : "SHOULD broken", MESSAGE_MAX);
        if (c->failed_require && *c->failed_require)
            buf_printf(t, " [%s]", c->failed_require);
        REPORT_PUT(t, "\n");
        report_case_detail(t, c, "  ", true);
    }
    if (c->baseline == BASELINE_FIXED && !r->strict_baseline)
        REPORT_PUT(t, "known failure now passes (baseline): update the baseline\n");
}

/* The raw (unescaped) system-out text: findings of a pass, then the transcript, messages and
 * notes. */
static void sysout_text(buf_t *t, const case_result *c)
{
    if (c->verdict == VERDICT_PASS && c->nfindings) {
        report_case_detail(t, c, "  ", true);
    }
    if (c->ntx) {
        REPORT_PUT(t, "transcript:\n");
        report_transcript(t, c);
    }
    if (c->nmsgs) {
        REPORT_PUT(t, "messages:\n");
        report_messages(t, c, "  ");
    }
    if (c->nnotes)
        REPORT_PUT(t, "notes:\n");
    for (size_t i = 0; i < c->nnotes; i++) {
        REPORT_PUT(t, "  - ");
        report_readable_str(t, c->notes[i]);
        REPORT_PUT(t, "\n");
    }
}

static void property(buf_t *b, const char *name, const char *value);

/* The case's requirement ids, level, RFC section and the id its verdict cites, for consumers
 * that read testcase properties (junitparser, pytest-style readers); outside the xunit XSD. */
static void testcase_properties(buf_t *b, const case_result *c)
{
    REPORT_PUT(b, "      <properties>\n  ");
    property(b, "h1xx.verdict", verdict_name(c->verdict));
    if (c->baseline != BASELINE_NONE) {
        REPORT_PUT(b, "  ");
        property(b, "h1xx.baseline", baseline_mark_name(c->baseline));
    }
    REPORT_PUT(b, "  ");
    property(b, "h1xx.require", report_str(c->require));
    REPORT_PUT(b, "  ");
    property(b, "h1xx.level", report_str(c->level));
    REPORT_PUT(b, "  ");
    property(b, "h1xx.rfc", report_str(c->rfc));
    if (c->failed_require && *c->failed_require) {
        REPORT_PUT(b, "  ");
        property(b, "h1xx.failed_require", c->failed_require);
    }
    REPORT_PUT(b, "      </properties>\n");
}

static void testcase_write(buf_t *b, const run_result *r, size_t i, const char *name,
                           const report_opts *o, bool strict)
{
    const case_result *c = &r->cases[i];
    REPORT_PUT(b, "    <testcase");
    buf_t cls;
    buf_init(&cls, 0);
    buf_printf(&cls, "h1xx.%s", report_str(c->area));
    attr(b, "classname", cls.data);
    buf_free(&cls);
    attr(b, "name", name);
    attr_time(b, c->duration_ns);
    if (o && o->junit_file_line) {
        char *rel = report_case_path(c->file, o->junit_file_root);
        attr(b, "file", rel);
        free(rel);
        buf_printf(b, " line=\"%d\"", c->line > 0 ? c->line : 0);
    }
    REPORT_PUT(b, ">\n");
    if (o && o->junit_file_line)
        testcase_properties(b, c);
    result_element(b, r, c, strict);
    buf_t t;
    buf_init(&t, 0);
    sysout_text(&t, c);
    if (t.len) {
        REPORT_PUT(b, "      <system-out>");
        escape_capped(b, t.data, t.len, SYSOUT_CAP);
        REPORT_PUT(b, "</system-out>\n");
    }
    buf_reset(&t);
    syserr_text(&t, r, c, strict);
    if (t.len) {
        REPORT_PUT(b, "      <system-err>");
        escape_capped(b, t.data, t.len, SYSOUT_CAP);
        REPORT_PUT(b, "</system-err>\n");
    }
    buf_free(&t);
    REPORT_PUT(b, "    </testcase>\n");
}

/* ---- suites -------------------------------------------------------------------------------- */

static void property(buf_t *b, const char *name, const char *value)
{
    REPORT_PUT(b, "      <property");
    attr(b, "name", name);
    attr(b, "value", value);
    REPORT_PUT(b, "/>\n");
}

/* "h1xx.fwd.PREFIX.CODE" = "n=.. p50=..ms p99=..ms max=..ms dropped=.." per non-empty group. */
static void fwd_properties(buf_t *b, const char *prefix, const fwd_stats *s)
{
    buf_t name, value;
    buf_init(&name, 0);
    buf_init(&value, 0);
    for (int g = 0; g < FWD_GROUPS; g++) {
        if (!s->g[g].n && !s->g[g].dropped)
            continue;
        buf_reset(&name);
        buf_reset(&value);
        buf_printf(&name, "h1xx.fwd.%s.%s", prefix, s->g[g].name);
        fwd_group_text(&value, &s->g[g]);
        property(b, name.data, value.data);
    }
    buf_free(&name);
    buf_free(&value);
}

/* Proxy modes: the forwarding-delay distribution (nearest rank) of the whole run, then of each
 * case id of this suite's area (its --repeat copies together). */
static void suite_fwd(buf_t *b, const run_result *r, const case_result *area)
{
    fwd_stats run;
    fwd_stats_run(r, &run);
    if (!run.samples)
        return;
    property(b, "h1xx.fwd.percentiles", "nearest-rank");
    fwd_properties(b, "run", &run);
    fwd_case_stats *ids;
    size_t n = fwd_stats_by_id(r, &ids);
    for (size_t i = 0; i < n; i++)
        if (same_area(area, &r->cases[ids[i].first]))
            fwd_properties(b, ids[i].id, &ids[i].s);
    free(ids);
}

static void suite_properties(buf_t *b, const run_result *r, const case_result *area, bool strict)
{
    REPORT_PUT(b, "    <properties>\n");
    property(b, "h1xx.version", r->version);
    property(b, "h1xx.target", r->target);
    property(b, "h1xx.mode", r->mode);
    property(b, "h1xx.strict", strict ? "true" : "false");
    property(b, "h1xx.interrupted", r->interrupted ? "true" : "false");
    property(b, "h1xx.deadline_hit", r->deadline_hit ? "true" : "false");
    suite_fwd(b, r, area);
    REPORT_PUT(b, "    </properties>\n");
}

/* The run's hostname, else this machine's, else "localhost". */
static void hostname_attr(buf_t *b, const run_result *r)
{
    char host[256] = "";
    if (r->hostname && *r->hostname) {
        attr(b, "hostname", r->hostname);
        return;
    }
    if (gethostname(host, sizeof host - 1) != 0)
        host[0] = '\0';
    host[sizeof host - 1] = '\0';
    attr(b, "hostname", host[0] ? host : "localhost");
}

/* Writes the <testsuite> of the area of case `first` (its first case). */
static void suite_write(report_file *f, buf_t *b, const run_result *r, size_t first,
                        char **names, const report_opts *o, bool strict)
{
    tally t = {0};
    for (size_t i = first; i < r->ncases; i++)
        if (same_area(&r->cases[first], &r->cases[i]))
            tally_case(&t, r, &r->cases[i], strict);
    REPORT_PUT(b, "  <testsuite");
    attr(b, "name", nonempty(r->cases[first].area, "(no area)"));
    attr_size(b, "tests", t.tests);
    attr_size(b, "failures", t.failures);
    attr_size(b, "errors", t.errors);
    attr_size(b, "skipped", t.skipped);
    REPORT_PUT(b, " timestamp=\"");
    report_utc(b, r->started_wall, false);
    REPORT_PUT(b, "\"");
    hostname_attr(b, r);
    attr_time(b, t.ns);
    REPORT_PUT(b, ">\n");
    suite_properties(b, r, &r->cases[first], strict);
    for (size_t i = first; i < r->ncases; i++) {
        if (!same_area(&r->cases[first], &r->cases[i]))
            continue;
        testcase_write(b, r, i, names[i], o, strict);
        report_file_put(f, b);
    }
    REPORT_PUT(b, "  </testsuite>\n");
}

static bool first_of_area(const run_result *r, size_t i)
{
    for (size_t j = 0; j < i; j++)
        if (same_area(&r->cases[i], &r->cases[j]))
            return false;
    return true;
}

static void root_open(buf_t *b, const run_result *r, bool strict)
{
    tally t = {0};
    for (size_t i = 0; i < r->ncases; i++)
        tally_case(&t, r, &r->cases[i], strict);
    REPORT_PUT(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"h1xx\"");
    attr_size(b, "tests", t.tests);
    attr_size(b, "failures", t.failures);
    attr_size(b, "errors", t.errors);
    attr_time(b, r->duration_ns);
    REPORT_PUT(b, ">\n");
}

int report_junit_write(const run_result *r, const char *path, const report_opts *o, char *err,
                       size_t errsz)
{
    report_file f;
    if (report_file_open(&f, path, err, errsz) != 0)
        return -1;
    bool strict = r->strict || (o && o->strict);
    char **names = unique_names(r, strict);
    buf_t b;
    buf_init(&b, 0);
    root_open(&b, r, strict);
    for (size_t i = 0; i < r->ncases; i++)
        if (first_of_area(r, i))
            suite_write(&f, &b, r, i, names, o, strict);
    REPORT_PUT(&b, "</testsuites>\n");
    report_file_put(&f, &b);
    buf_free(&b);
    for (size_t i = 0; i < r->ncases; i++)
        free(names[i]);
    free(names);
    return report_file_commit(&f, err, errsz);
}
