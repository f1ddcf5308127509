/* report_html: the report a person opens in a browser. One self-contained file: inline style
 * and script (report_html_assets.c), inline SVG timelines (report_timeline.c), no external
 * reference of any kind, and a Content-Security-Policy that forbids the page to load anything.
 *
 * Layout: the run's facts; a summary (counts per verdict, a table per area); filters by verdict
 * and area and a search box; the table of cases (verdict, id and title, requirement ids, level,
 * RFC section, time, message), each expandable to its facts, findings, notes, timeline,
 * messages and wire transcript. Without script everything is shown expanded.
 *
 * Every string from a case or a server goes through report_html_escape (readable text, then
 * character references), and transcript bytes through tx_bytes (printable ASCII kept, everything
 * else spelled "\xHH"), so nothing a server sends can become markup or script. */
#include <stdlib.h>
#include <string.h>

#include "baseline.h"
#include "report.h"
#include "report_areas.h"
#include "report_html.h"
#include "report_skips.h"
#include "report_timeline.h"
#include "fwd_stats.h"
#include "report_util.h"

#define MESSAGE_COLUMN 300 /* bytes of the message shown in the table row */

/* ---- small pieces -------------------------------------------------------------------------- */

static void esc(buf_t *b, const char *s)
{
    report_html_str(b, s);
}

/* Percent-encodes the readable form of s, for a URL fragment the page's script decodes. */
static void url_part(buf_t *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    buf_t r;
    buf_init(&r, 0);
    report_readable_str(&r, s);
    for (size_t i = 0; i < r.len; i++) {
        unsigned char c = (unsigned char)r.data[i];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '_' || c == '.' || c == '~' || c == '/') {
            buf_append(b, &c, 1);
        } else {
            char e[3] = {'%', hex[c >> 4], hex[c & 15]};
            buf_append(b, e, 3);
        }
    }
    buf_free(&r);
}

static const char *upper_verdict(verdict_t v)
{
    static const char *const names[VERDICT_COUNT] = {"PASS", "WARN", "FAIL",
                                                     "SKIP", "ERROR", "NOT-RUN"};
    return (v >= 0 && v < VERDICT_COUNT) ? names[v] : "?";
}

static bool same_area(const case_result *a, const case_result *b)
{
    return strcmp(report_str(a->area), report_str(b->area)) == 0;
}

static bool first_of_area(const run_result *r, size_t i)
{
    for (size_t j = 0; j < i; j++)
        if (same_area(&r->cases[i], &r->cases[j]))
            return false;
    return true;
}

static void count_verdicts(const run_result *r, const char *area, size_t n[VERDICT_COUNT])
{
    memset(n, 0, VERDICT_COUNT * sizeof *n);
    for (size_t i = 0; i < r->ncases; i++) {
        const case_result *c = &r->cases[i];
        if ((!area || !strcmp(report_str(c->area), area)) && c->verdict >= 0 &&
            c->verdict < VERDICT_COUNT)
            n[c->verdict]++;
    }
}

/* ---- transcript ---------------------------------------------------------------------------- */

/* The transcript as lines of HTML, each complete (every span closed), so that capping can cut
 * between any two lines. */
typedef struct lines {
    buf_t text;
    size_t *end; /* offset in text just past line i */
    size_t n, cap;
} lines;

static void line_done(lines *L)
{
    REPORT_PUT(&L->text, "\n");
    grow_array((void **)&L->end, &L->cap, L->n, sizeof *L->end);
    L->end[L->n++] = L->text.len;
}

/* Styles of data bytes: plain text, a structural escape (\r \n \t \\), a hostile byte (\xHH). */
typedef enum { ST_PLAIN, ST_ESC, ST_HEX } byte_style;

static void style_to(buf_t *b, byte_style *cur, byte_style want)
{
    if (*cur == want)
        return;
    if (*cur != ST_PLAIN)
        REPORT_PUT(b, "</span>");
    if (want == ST_ESC)
        REPORT_PUT(b, "<span class=\"e\">");
    else if (want == ST_HEX)
        REPORT_PUT(b, "<span class=\"x\">");
    *cur = want;
}

static void tx_byte(buf_t *b, byte_style *cur, unsigned char c)
{
    const char *e = c == '\r' ? "\\r" : c == '\n' ? "\\n" : c == '\t' ? "\\t" : c == '\\' ? "\\\\"
                                                                                           : NULL;
    if (e) {
        style_to(b, cur, ST_ESC);
        buf_append(b, e, 2);
    } else if (c < 0x20 || c >= 0x7F) {
        style_to(b, cur, ST_HEX);
        report_hex_bytes(b, &c, 1);
    } else {
        style_to(b, cur, ST_PLAIN);
        const char *ref = c == '&' ? "&amp;" : c == '<' ? "&lt;" : c == '>' ? "&gt;"
                        : c == '"' ? "&quot;" : c == '\'' ? "&#39;" : NULL;
        if (ref)
            buf_append(b, ref, strlen(ref));
        else
            buf_append(b, &c, 1);
    }
}

/* One line per line of data (and per HTML_TX_LINE bytes), prefixed "> " or "< ". */
static void tx_bytes(lines *L, const unsigned char *p, size_t len, bool sent)
{
    const char *open = sent ? "<span class=\"s\">&gt; " : "<span class=\"r\">&lt; ";
    size_t i = 0;
    while (i < len) {
        byte_style cur = ST_PLAIN;
        buf_printf(&L->text, "%s", open);
        size_t start = i;
        while (i < len && i - start < HTML_TX_LINE) {
            tx_byte(&L->text, &cur, p[i]);
            if (p[i++] == '\n')
                break;
        }
        style_to(&L->text, &cur, ST_PLAIN);
        REPORT_PUT(&L->text, "</span>");
        line_done(L);
    }
}

static void tx_line_entry(lines *L, const case_result *c, const tx_entry *e)
{
    buf_t *b = &L->text;
    REPORT_PUT(b, "<span class=\"h\">[+");
    report_ms(b, e->t_ns - c->start_ns);
    REPORT_PUT(b, "ms] ");
    if (e->conn > 0)
        buf_printf(b, "conn %d ", e->conn);
    buf_printf(b, "%s", tx_kind_name(e->kind));
    bool data = e->kind == TX_SENT || e->kind == TX_RECV;
    if (data && e->len == 0 && c->tx_truncated)
        REPORT_PUT(b, " (bytes not kept: transcript cap reached)");
    else if (data)
        buf_printf(b, " %zu byte%s", e->len, e->len == 1 ? "" : "s");
    else if (e->len) {
        REPORT_PUT(b, " ");
        report_html_escape(b, e->data, e->len);
    }
    REPORT_PUT(b, "</span>");
    line_done(L);
    if (data)
        tx_bytes(L, (const unsigned char *)e->data, e->len, e->kind == TX_SENT);
}

/* Appends the lines; past HTML_TX_CAP bytes only whole lines of the head and the tail. */
static void lines_put(buf_t *out, const lines *L)
{
    if (L->text.len <= HTML_TX_CAP) {
        buf_append(out, L->text.data, L->text.len);
        return;
    }
    size_t h = 0, t = L->n;
    while (h < L->n && L->end[h] <= HTML_TX_CAP / 2)
        h++;
    size_t head_end = h ? L->end[h - 1] : 0;
    while (t > h && L->text.len - (t >= 2 ? L->end[t - 2] : 0) <= HTML_TX_CAP / 2)
        t--;
    size_t tail_start = t ? L->end[t - 1] : 0;
    if (tail_start < head_end)
        tail_start = head_end;
    buf_append(out, L->text.data, head_end);
    buf_printf(out, "<span class=\"cut\">... %zu lines (%zu bytes of HTML) elided: see "
                    "results.json ...</span>\n",
               t > h ? t - h : 0, tail_start - head_end);
    buf_append(out, L->text.data + tail_start, L->text.len - tail_start);
}

static void transcript(buf_t *out, const case_result *c)
{
    lines L;
    memset(&L, 0, sizeof L);
    buf_init(&L.text, 0);
    for (size_t i = 0; i < c->ntx; i++)
        tx_line_entry(&L, c, &c->tx[i]);
    if (c->tx_truncated) {
        buf_printf(&L.text, "<span class=\"cut\">... transcript truncated: bytes past %d were "
                            "counted, not kept ...</span>",
                   RESULT_TX_MAX);
        line_done(&L);
    }
    REPORT_PUT(out, "<h3>Transcript</h3><pre class=\"tx\">");
    lines_put(out, &L);
    REPORT_PUT(out, "</pre>");
    buf_free(&L.text);
    free(L.end);
}

/* ---- case detail --------------------------------------------------------------------------- */

static void fact(buf_t *b, const char *name, const char *value)
{
    if (!value || !*value)
        return;
    buf_printf(b, "<dt>%s</dt><dd>", name);
    esc(b, value);
    REPORT_PUT(b, "</dd>");
}

static void facts(buf_t *b, const case_result *c)
{
    REPORT_PUT(b, "<dl class=\"facts\">");
    fact(b, "title", c->title);
    fact(b, "requirement", c->require);
    fact(b, "broken", c->failed_require);
    fact(b, "level", c->level);
    fact(b, "RFC", c->rfc);
    if (c->file && *c->file) {
        REPORT_PUT(b, "<dt>case file</dt><dd><code>");
        esc(b, c->file);
        buf_printf(b, ":%d</code></dd>", c->line);
    }
    fact(b, "message", c->message);
    REPORT_PUT(b, "<dt>time</dt><dd>started +");
    report_ms(b, c->start_ns);
    REPORT_PUT(b, "ms into the run, took ");
    report_ms(b, c->duration_ns < 0 ? 0 : c->duration_ns);
    REPORT_PUT(b, "ms</dd></dl>");
}

static void findings(buf_t *b, const case_result *c)
{
    if (!c->nfindings)
        return;
    REPORT_PUT(b, "<h3>Findings</h3><ul class=\"list\">");
    for (size_t i = 0; i < c->nfindings; i++) {
        const finding_record *f = &c->findings[i];
        buf_printf(b, "<li><span class=\"badge v-%s\">%s</span> <code>", verdict_name(f->verdict),
                   upper_verdict(f->verdict));
        esc(b, f->name);
        REPORT_PUT(b, "</code>");
        if (f->code)
            buf_printf(b, " (code %d)", f->code);
        if (f->require && *f->require) {
            REPORT_PUT(b, " breaks <b>");
            esc(b, f->require);
            REPORT_PUT(b, "</b>");
        }
        if (f->conn > 0)
            buf_printf(b, ", conn %d offset %zu", f->conn, f->offset);
        REPORT_PUT(b, ": ");
        esc(b, f->text);
        REPORT_PUT(b, "</li>");
    }
    REPORT_PUT(b, "</ul>");
}

static void notes(buf_t *b, const case_result *c)
{
    if (!c->nnotes)
        return;
    REPORT_PUT(b, "<h3>Notes</h3><ul class=\"list\">");
    for (size_t i = 0; i < c->nnotes; i++) {
        REPORT_PUT(b, "<li>");
        esc(b, c->notes[i]);
        REPORT_PUT(b, "</li>");
    }
    REPORT_PUT(b, "</ul>");
}

static void timeline(buf_t *b, const case_result *c)
{
    if (!c->ntx && !c->nmsgs)
        return;
    REPORT_PUT(b, "<h3>Timeline</h3><div class=\"tlbox\">");
    report_timeline_svg(b, c);
    REPORT_PUT(b, "</div><p class=\"legend\">from the case's start;<i>&#9650;</i>sent"
                  "<i>|</i>chunk received<i class=\"k-int\">&#9679;</i>interim response"
                  "<i class=\"k-fin\">&#9670;</i>final response (bar: its body)"
                  "<i>&#166;</i>open, close, eof, reset. Hover a mark for its times.</p>");
}

static void ms_cell(buf_t *b, const case_result *c, int64_t t)
{
    REPORT_PUT(b, "<td class=\"mono\">+");
    report_ms(b, t - c->start_ns);
    REPORT_PUT(b, "ms</td>");
}

static void messages(buf_t *b, const case_result *c)
{
    if (!c->nmsgs)
        return;
    REPORT_PUT(b, "<h3>Messages</h3><table class=\"msgs\"><thead><tr><th>conn</th><th>kind</th>"
                  "<th>first byte</th><th>head done</th><th>end</th><th>body bytes</th>"
                  "<th>status line</th></tr></thead><tbody>");
    for (size_t i = 0; i < c->nmsgs; i++) {
        const msg_record *m = &c->msgs[i];
        buf_printf(b, "<tr><td>%d</td><td>%s %d</td>", m->conn, m->interim ? "interim" : "final",
                   m->status);
        ms_cell(b, c, m->t_first_ns);
        ms_cell(b, c, m->t_head_ns);
        ms_cell(b, c, m->t_end_ns);
        buf_printf(b, "<td class=\"mono\">%llu</td><td><code>", (unsigned long long)m->body_len);
        size_t line = m->head ? strcspn(m->head, "\r\n") : 0;
        report_html_escape(b, m->head ? m->head : "", line < 300 ? line : 300);
        REPORT_PUT(b, "</code></td></tr>");
    }
    REPORT_PUT(b, "</tbody></table>");
}

static void detail(buf_t *b, const case_result *c)
{
    REPORT_PUT(b, "<tr class=\"detail\"><td colspan=\"7\">");
    facts(b, c);
    findings(b, c);
    notes(b, c);
    timeline(b, c);
    messages(b, c);
    if (c->ntx)
        transcript(b, c);
    REPORT_PUT(b, "</td></tr>");
}

/* ---- case row ------------------------------------------------------------------------------ */

/* The requirement ids, the one the verdict cites in bold (added when the case does not list it:
 * a generic check broke another rule). */
static void require_cell(buf_t *b, const case_result *c)
{
    const char *s = report_str(c->require);
    bool cited = false;
    REPORT_PUT(b, "<td class=\"mono\">");
    while (*s) {
        size_t sp = strspn(s, " \t\r\n"), n = strcspn(s + sp, " \t\r\n");
        if (!n)
            break;
        char *id = xstrndup(s + sp, n);
        bool broken = c->failed_require && !strcmp(id, c->failed_require);
        cited |= broken;
        buf_printf(b, "%s", broken ? "<span class=\"broken\">" : "<span>");
        esc(b, id);
        REPORT_PUT(b, "</span> ");
        free(id);
        s += sp + n;
    }
    if (c->failed_require && *c->failed_require && !cited) {
        REPORT_PUT(b, "<span class=\"broken\">");
        esc(b, c->failed_require);
        REPORT_PUT(b, "</span>");
    }
    REPORT_PUT(b, "</td>");
}

static void case_row(buf_t *b, const case_result *c)
{
    const char *v = verdict_name(c->verdict);
    buf_printf(b, "<tr class=\"row\"><td><button class=\"tog\" type=\"button\" "
                  "aria-expanded=\"false\" aria-label=\"details\">&#9656;</button>"
                  "<span class=\"badge v-%s\">%s</span></td><td><code>",
               v, upper_verdict(c->verdict));
    esc(b, c->id);
    REPORT_PUT(b, "</code><span class=\"title\">");
    esc(b, c->title);
    REPORT_PUT(b, "</span></td>");
    require_cell(b, c);
    REPORT_PUT(b, "<td>");
    esc(b, c->level);
    REPORT_PUT(b, "</td><td>");
    esc(b, c->rfc);
    REPORT_PUT(b, "</td><td class=\"mono\">");
    report_secs(b, c->duration_ns < 0 ? 0 : c->duration_ns, 3);
    REPORT_PUT(b, "s</td><td class=\"msg\">");
    buf_t m;
    buf_init(&m, 0);
    static const char *const marks[] = {"", "expected failure (baseline): ", "new failure: ",
                                        "known failure now passes (baseline) "};
    buf_printf(&m, "%s", c->baseline <= BASELINE_FIXED ? marks[c->baseline] : "");
    report_one_line(&m, c->message, MESSAGE_COLUMN);
    report_html_escape(b, m.data, m.len);
    buf_free(&m);
    REPORT_PUT(b, "</td></tr>");
}

static void case_body(buf_t *b, const case_result *c, size_t i)
{
    buf_printf(b, "<tbody class=\"case\" id=\"case-%zu\" data-verdict=\"%s\" data-area=\"", i + 1,
               verdict_name(c->verdict));
    esc(b, c->area);
    REPORT_PUT(b, "\" data-id=\"");
    esc(b, c->id);
    REPORT_PUT(b, "\">");
    case_row(b, c);
    detail(b, c);
    REPORT_PUT(b, "</tbody>\n");
}

/* ---- page ---------------------------------------------------------------------------------- */

static void meta_item(buf_t *b, const char *name, const char *value)
{
    buf_printf(b, "<span>%s <b>", name);
    esc(b, value);
    REPORT_PUT(b, "</b></span>");
}

static void page_head(buf_t *b, const run_result *r)
{
    REPORT_PUT(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
                  "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
                  "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n"
                  "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                  "<meta name=\"generator\" content=\"h1xx\">\n<title>h1xx report: ");
    esc(b, r->target);
    REPORT_PUT(b, "</title>\n<script>document.documentElement.className='js'</script>\n<style>\n");
    buf_append(b, report_html_css, strlen(report_html_css));
    REPORT_PUT(b, "</style></head>\n<body>\n");
}

static void page_header(buf_t *b, const run_result *r, bool strict)
{
    REPORT_PUT(b, "<header><h1>h1xx report</h1><div class=\"meta\">");
    meta_item(b, "target", r->target);
    meta_item(b, "mode", r->mode);
    buf_t t;
    buf_init(&t, 0);
    report_utc(&t, r->started_wall, true);
    meta_item(b, "started", t.data);
    buf_reset(&t);
    report_secs(&t, r->duration_ns < 0 ? 0 : r->duration_ns, 3);
    REPORT_PUT(&t, "s");
    meta_item(b, "duration", t.data);
    buf_reset(&t);
    if (r->shard_n > 0) {
        buf_printf(&t, "%d/%d", r->shard_i, r->shard_n);
        meta_item(b, "shard", t.data);
    }
    buf_free(&t);
    meta_item(b, "strict", strict ? "yes" : "no");
    meta_item(b, "host", r->hostname);
    meta_item(b, "h1xx", r->version);
    REPORT_PUT(b, "</div>");
    if (r->interrupted)
        REPORT_PUT(b, "<p class=\"banner\">Interrupted: cases not finished are reported as "
                      "not-run.</p>");
    if (r->deadline_hit)
        REPORT_PUT(b, "<p class=\"banner\">Run deadline reached: cases not finished are reported "
                      "as not-run.</p>");
    REPORT_PUT(b, "</header>\n");
}

/* The console's summary: the baseline's lines and "N passed, N failed, N skipped". */
static void outcome(buf_t *b, const run_result *r, bool strict)
{
    run_tally t;
    result_tally(r, strict, &t);
    buf_t s;
    buf_init(&s, 0);
    baseline_summary(&s, r);
    report_warn_line(&s, r, strict);
    REPORT_PUT(&s, "\n");
    buf_printf(&s, "%zu passed, %zu failed, %zu skipped", t.passed, t.failed, t.skipped);
    REPORT_PUT(b, "<p class=\"outcome\">");
    for (size_t i = 0; i < s.len;) {
        const char *nl = memchr(s.data + i, '\n', s.len - i);
        size_t n = nl ? (size_t)(nl - (s.data + i)) : s.len - i;
        report_html_escape(b, s.data + i, n);
        if (nl)
            REPORT_PUT(b, "<br>");
        i += n + (nl ? 1 : 0);
    }
    REPORT_PUT(b, "</p>\n");
    buf_free(&s);
}

/* One card per verdict, named as everywhere else (pass, warn, fail, skip, error, not-run). */
static void cards(buf_t *b, const run_result *r, bool strict)
{
    size_t n[VERDICT_COUNT];
    count_verdicts(r, NULL, n);
    REPORT_PUT(b, "<h2>Summary</h2><div class=\"cards\">");
    buf_printf(b, "<a class=\"card\" href=\"#\"><span class=\"n\">%zu</span>cases</a>", r->ncases);
    for (int v = 0; v < VERDICT_COUNT; v++)
        buf_printf(b, "<a class=\"card v-%s%s\" href=\"#verdict=%s\"><span class=\"n\">%zu</span>"
                      "%s</a>",
                   verdict_name((verdict_t)v), n[v] ? "" : " zero", verdict_name((verdict_t)v),
                   n[v], verdict_name((verdict_t)v));
    REPORT_PUT(b, "</div>\n");
    outcome(b, r, strict);
}

/* What the run tested, one line per area, as the console says it (report_areas.h). */
static void tested(buf_t *b, const run_result *r)
{
    area_cov *a;
    size_t n = report_areas(r, &a);
    buf_t t;
    buf_init(&t, 0);
    REPORT_PUT(b, "<ul class=\"tested\">");
    for (size_t i = 0; i < n; i++) {
        buf_reset(&t);
        report_area_text(&t, &a[i]);
        buf_printf(b, "<li class=\"%s\"><b>", a[i].conclusive == a[i].n ? "t-yes"
                                             : a[i].conclusive ? "t-part" : "t-no");
        esc(b, a[i].area);
        REPORT_PUT(b, "</b> ");
        esc(b, t.data ? t.data : "");
        REPORT_PUT(b, "</li>");
    }
    REPORT_PUT(b, "</ul>\n");
    buf_free(&t);
    free(a);
}

/* The console's hint line, then the cases each missing variable would let run. */
static void skip_hint(buf_t *b, const run_result *r)
{
    tested(b, r);
    skip_group *g;
    size_t n = report_skip_groups(r, &g);
    buf_t t;
    buf_init(&t, 0);
    report_gain_hint(&t, r);
    if (t.len) {
        REPORT_PUT(b, "<details class=\"skiphint\"><summary>");
        esc(b, t.data);
        REPORT_PUT(b, "</summary><ul>");
        for (size_t i = 0; i < n; i++) {
            buf_reset(&t);
            report_skip_ids(&t, &g[i], "", 0, (size_t)-1);
            REPORT_PUT(b, "<li><code>--set ");
            esc(b, g[i].var);
            buf_printf(b, "=VALUE</code> (%zu): ", g[i].n);
            esc(b, t.data);
            REPORT_PUT(b, "</li>");
        }
        REPORT_PUT(b, "</ul><p><code>h1xx vars</code> lists every variable, its default and the "
                      "cases using it; <code>--vars FILE</code> sets many.</p></details>\n");
    }
    buf_free(&t);
    report_skip_groups_free(g, n);
}

static void area_bar(buf_t *b, const size_t n[VERDICT_COUNT], size_t total)
{
    REPORT_PUT(b, "<div class=\"bar\">");
    for (int v = 0; v < VERDICT_COUNT && total; v++)
        if (n[v])
            buf_printf(b, "<span class=\"v-%s\" style=\"width:%zu.%zu%%\"></span>",
                       verdict_name((verdict_t)v), n[v] * 100 / total,
                       n[v] * 1000 / total % 10);
    REPORT_PUT(b, "</div>");
}

static void area_table(buf_t *b, const run_result *r)
{
    REPORT_PUT(b, "<table class=\"areas\"><thead><tr><th>area</th><th>cases</th>");
    for (int v = 0; v < VERDICT_COUNT; v++)
        buf_printf(b, "<th>%s</th>", verdict_name((verdict_t)v));
    REPORT_PUT(b, "<th></th></tr></thead><tbody>");
    for (size_t i = 0; i < r->ncases; i++) {
        if (!first_of_area(r, i))
            continue;
        const char *area = report_str(r->cases[i].area);
        size_t n[VERDICT_COUNT], total = 0;
        count_verdicts(r, area, n);
        for (int v = 0; v < VERDICT_COUNT; v++)
            total += n[v];
        REPORT_PUT(b, "<tr><td><a href=\"#area=");
        url_part(b, area);
        REPORT_PUT(b, "\">");
        esc(b, area);
        buf_printf(b, "</a></td><td class=\"num\">%zu</td>", total);
        for (int v = 0; v < VERDICT_COUNT; v++)
            buf_printf(b, "<td class=\"num\">%zu</td>", n[v]);
        REPORT_PUT(b, "<td>");
        area_bar(b, n, total);
        REPORT_PUT(b, "</td></tr>");
    }
    REPORT_PUT(b, "</tbody></table>\n");
}

/* The rows of one scope ("all cases", or a case id and its copies): one per non-empty group. */
static void fwd_rows(buf_t *b, const char *scope, size_t copies, const fwd_stats *s)
{
    for (int g = 0; g < FWD_GROUPS; g++) {
        const fwd_group *G = &s->g[g];
        if (!G->n && !G->dropped)
            continue;
        REPORT_PUT(b, "<tr><td>");
        esc(b, scope);
        if (copies)
            buf_printf(b, " &times;%zu", copies);
        buf_printf(b, "</td><td>%s</td><td class=\"num\">%zu</td><td class=\"num\">", G->name,
                   G->n);
        if (!G->n) /* nothing arrived to measure: no figure that looks like one */
            REPORT_PUT(b, "-</td><td class=\"num\">-</td><td class=\"num\">-");
        if (G->n) {
            report_ms(b, G->p50_ns);
            REPORT_PUT(b, "</td><td class=\"num\">");
            report_ms(b, G->p99_ns);
            REPORT_PUT(b, "</td><td class=\"num\">");
            report_ms(b, G->max_ns);
        }
        buf_printf(b, "</td><td class=\"num\">%zu</td></tr>", G->dropped);
    }
}

/* Proxy modes: the forwarding-delay distribution per interim code, run-wide and per case id
 * (--repeat copies together); nothing when no case measured forwarding. */
static void fwd_table(buf_t *b, const run_result *r)
{
    fwd_stats run;
    fwd_stats_run(r, &run);
    if (!run.samples)
        return;
    REPORT_PUT(b, "<h2>Forwarding delay</h2><p>From the origin's write to the client's read, "
                  "per interim code; percentiles are nearest rank (each is a measured delay); "
                  "times in ms.</p><table class=\"areas\" id=\"fwd\"><thead><tr><th>cases"
                  "</th><th>code</th><th>n</th><th>p50</th><th>p99</th><th>max</th>"
                  "<th>dropped</th></tr></thead><tbody>");
    fwd_rows(b, "all cases", 0, &run);
    fwd_case_stats *ids;
    size_t n = fwd_stats_by_id(r, &ids);
    for (size_t i = 0; i < n; i++)
        fwd_rows(b, ids[i].id, ids[i].copies, &ids[i].s);
    free(ids);
    REPORT_PUT(b, "</tbody></table>\n");
}

static void chip(buf_t *b, const char *kind, const char *value, size_t count)
{
    buf_printf(b, "<button class=\"chip\" type=\"button\" data-kind=\"%s\" data-value=\"", kind);
    esc(b, value);
    REPORT_PUT(b, "\" aria-pressed=\"false\">");
    esc(b, value);
    buf_printf(b, "<span class=\"c\">%zu</span></button>", count);
}

static void filters(buf_t *b, const run_result *r)
{
    size_t n[VERDICT_COUNT];
    count_verdicts(r, NULL, n);
    REPORT_PUT(b, "<h2>Cases</h2><div class=\"filters\"><div class=\"group\"><span>verdict</span>");
    for (int v = 0; v < VERDICT_COUNT; v++)
        chip(b, "verdict", verdict_name((verdict_t)v), n[v]);
    REPORT_PUT(b, "</div><div class=\"group\"><span>area</span>");
    for (size_t i = 0; i < r->ncases; i++) {
        if (!first_of_area(r, i))
            continue;
        size_t a[VERDICT_COUNT], total = 0;
        count_verdicts(r, report_str(r->cases[i].area), a);
        for (int v = 0; v < VERDICT_COUNT; v++)
            total += a[v];
        chip(b, "area", report_str(r->cases[i].area), total);
    }
    buf_printf(b, "</div><input type=\"search\" id=\"q\" placeholder=\"search id, requirement, "
                  "message\" aria-label=\"search\"><button class=\"btn\" type=\"button\" "
                  "id=\"expand\">expand all</button><button class=\"btn\" type=\"button\" "
                  "id=\"collapse\">collapse all</button><button class=\"btn\" type=\"button\" "
                  "id=\"clear\">clear filters</button><span id=\"shown\">%zu case%s</span></div>\n",
               r->ncases, r->ncases == 1 ? "" : "s");
}

static void table_open(buf_t *b, const run_result *r)
{
    REPORT_PUT(b, "<table class=\"cases\"><thead><tr><th>verdict</th><th>case</th>"
                  "<th>requirement</th><th>level</th><th>RFC</th><th>time</th><th>message</th>"
                  "</tr></thead>\n");
    buf_printf(b, "<tbody id=\"none\"%s><tr><td colspan=\"7\">No case matches the filters."
                  "</td></tr></tbody>\n",
               r->ncases ? " hidden" : "");
}

static void page_end(buf_t *b, const run_result *r)
{
    REPORT_PUT(b, "</table>\n</main>\n<footer>Generated by h1xx ");
    esc(b, r->version);
    REPORT_PUT(b, ". This file is self-contained and loads nothing. Times in a case are from "
                  "its start; results.json holds the exact bytes of every transcript.</footer>\n"
                  "<script>\n");
    buf_append(b, report_html_js, strlen(report_html_js));
    REPORT_PUT(b, "</script>\n</body></html>\n");
}

int report_html_write(const run_result *r, const char *path, const report_opts *o, char *err,
                      size_t errsz)
{
    report_file f;
    if (report_file_open(&f, path, err, errsz) != 0)
        return -1;
    bool strict = r->strict || (o && o->strict);
    buf_t b;
    buf_init(&b, 0);
    page_head(&b, r);
    page_header(&b, r, strict);
    REPORT_PUT(&b, "<main>\n");
    cards(&b, r, strict);
    skip_hint(&b, r);
    area_table(&b, r);
    fwd_table(&b, r);
    filters(&b, r);
    table_open(&b, r);
    report_file_put(&f, &b);
    for (size_t i = 0; i < r->ncases; i++) {
        case_body(&b, &r->cases[i], i);
        report_file_put(&f, &b);
    }
    page_end(&b, r);
    report_file_put(&f, &b);
    buf_free(&b);
    return report_file_commit(&f, err, errsz);
}
