/* report_console: what a person watching the run sees. On a terminal: one live progress line,
 * overwritten in place, and a block of evidence for every case that did not pass. Elsewhere
 * (CI logs, pipes): one plain line per case, then the evidence of failures. Colour only when
 * asked for or on a terminal without NO_COLOR. Every string that came from a case or a server is
 * shown through report_readable_text, so no byte it sent can drive the terminal. Cases skipped
 * for want of a variable get no block each: the summary lists them in one block per variable,
 * and the line above the last says which --set would run the most of them. The summary's last
 * line is always "N passed, N failed, N skipped", counted as result_tally says (see
 * console_summary), and nothing follows it. */
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "baseline.h"
#include "fwd_stats.h"
#include "report.h"
#include "report_areas.h"
#include "report_skips.h"
#include "report_util.h"


/* ---- labels and colour --------------------------------------------------------------------- */

static const char *label(verdict_t v)
{
    static const char *const names[VERDICT_COUNT] = {"PASS", "WARN",  "FAIL",
                                                     "SKIP", "ERROR", "NOT-RUN"};
    return (v >= 0 && v < VERDICT_COUNT) ? names[v] : "?";
}

static const char *colour(verdict_t v)
{
    static const char *const sgr[VERDICT_COUNT] = {"\033[32m",   "\033[33m", "\033[1;31m",
                                                   "\033[36m",   "\033[1;35m", "\033[2m"};
    return (v >= 0 && v < VERDICT_COUNT) ? sgr[v] : "";
}

static void put_label(buf_t *b, const console *c, verdict_t v)
{
    if (c->color)
        buf_printf(b, "%s%s\033[0m", colour(v), label(v));
    else
        buf_printf(b, "%s", label(v));
}

static void flush(console *c, buf_t *b)
{
    if (b->len)
        fwrite(b->data, 1, b->len, c->out);
    fflush(c->out);
    buf_reset(b);
}

/* ---- init ---------------------------------------------------------------------------------- */

void console_init(console *c, FILE *out, int color_mode, int verbosity, bool strict, size_t total)
{
    memset(c, 0, sizeof *c);
    c->out = out;
    c->tty = out && isatty(fileno(out));
    const char *no_color = getenv("NO_COLOR");
    bool env_ok = !no_color || !*no_color;
    c->color = color_mode > 0 || (color_mode < 0 && c->tty && env_ok);
    c->verbosity = verbosity;
    c->strict = strict;
    c->total = total;
    c->width = 80;
    struct winsize ws;
    if (c->tty && ioctl(fileno(out), TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20)
        c->width = ws.ws_col;
}

/* ---- per case ------------------------------------------------------------------------------ */

/* Appends each line of text with indent in front. */
static void indented(buf_t *b, const char *text, size_t len, const char *indent)
{
    size_t i = 0;
    while (i < len) {
        const char *nl = memchr(text + i, '\n', len - i);
        size_t n = nl ? (size_t)(nl - (text + i)) + 1 : len - i;
        buf_printf(b, "%s", indent);
        buf_append(b, text + i, n);
        i += n;
    }
    if (len && text[len - 1] != '\n')
        REPORT_PUT(b, "\n");
}

/* "FAIL continue/exp1-content-length (0.012s)", with what the baseline says of it. */
static void case_line(buf_t *b, const console *c, const case_result *cr, baseline_mark m)
{
    static const char *const says[] = {"", " expected failure (baseline)", " new failure",
                                       " known failure now passes (baseline)"};
    put_label(b, c, cr->verdict);
    REPORT_PUT(b, " ");
    report_readable_str(b, cr->id);
    REPORT_PUT(b, " (");
    report_secs(b, cr->duration_ns < 0 ? 0 : cr->duration_ns, 3);
    buf_printf(b, "s)%s\n", m <= BASELINE_FIXED ? says[m] : "");
}

static bool wants_transcript(const console *c, const case_result *cr)
{
    if (c->verbosity >= 2)
        return true;
    bool bad = cr->verdict == VERDICT_FAIL || cr->verdict == VERDICT_WARN ||
               cr->verdict == VERDICT_ERROR;
    return c->verbosity >= 1 && bad;
}

/* The evidence under the case line: details, then the transcript when verbose. */
static void case_block(buf_t *b, const console *c, const case_result *cr)
{
    report_case_detail(b, cr, "  ", false);
    if (!wants_transcript(c, cr) || cr->ntx == 0)
        return;
    buf_t t;
    buf_init(&t, 0);
    report_transcript(&t, cr);
    REPORT_PUT(b, "  transcript:\n");
    indented(b, t.data, t.len, "    ");
    buf_free(&t);
}

/* "\r[ 12/40] 1 failed  continue/exp1-content-length", left on the line to be overwritten; kept
 * shorter than the terminal so that it never wraps (a wrapped line cannot be overwritten). */
static void progress(buf_t *b, console *c, const case_result *cr)
{
    int digits = 1;
    for (size_t n = c->total; n >= 10; n /= 10)
        digits++;
    buf_t p, id;
    buf_init(&p, 0);
    buf_init(&id, 0);
    buf_printf(&p, "[%*zu/%zu] %zu failed  ", digits, c->done, c->total, c->failed);
    report_readable_str(&id, cr->id);
    size_t room = (size_t)c->width > p.len + 14 ? (size_t)c->width - p.len - 4 : 10;
    buf_printf(b, "\r[%*zu/%zu] ", digits, c->done, c->total);
    if (c->failed && c->color)
        buf_printf(b, "\033[31m%zu failed\033[0m  ", c->failed);
    else
        buf_printf(b, "%zu failed  ", c->failed);
    report_one_line(b, id.data, room);
    REPORT_PUT(b, "\033[K");
    c->progress_shown = true;
    buf_free(&p);
    buf_free(&id);
}

static void clear_progress(buf_t *b, console *c)
{
    if (c->progress_shown)
        REPORT_PUT(b, "\r\033[K");
    c->progress_shown = false;
}

void console_case_done(console *c, const case_result *cr)
{
    c->done++;
    baseline_mark m = c->baseline ? baseline_classify(c->baseline, cr, c->strict)
                                  : BASELINE_NONE;
    if (report_is_failure(cr->verdict, c->strict) && m != BASELINE_EXPECTED)
        c->failed++;
    bool grouped = cr->verdict == VERDICT_SKIP && cr->missing_var; /* in the summary */
    bool block = (cr->verdict != VERDICT_PASS && !grouped) || c->verbosity >= 2;
    buf_t b;
    buf_init(&b, 0);
    clear_progress(&b, c);
    if (!c->tty || block)
        case_line(&b, c, cr, m);
    if (block)
        case_block(&b, c, cr);
    if (c->tty)
        progress(&b, c, cr);
    flush(c, &b);
    buf_free(&b);
}

/* ---- summary ------------------------------------------------------------------------------- */

/* "skipped, needs --set ws_path=VALUE (19 cases):" and the ids, for each missing variable. */
static void skip_blocks(buf_t *b, const console *c, const skip_group *g, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        put_label(b, c, VERDICT_SKIP);
        REPORT_PUT(b, " needs --set ");
        report_readable_str(b, g[i].var);
        buf_printf(b, "=VALUE (%zu case%s):\n    ", g[i].n, g[i].n == 1 ? "" : "s");
        report_skip_ids(b, &g[i], "    ", 4, 100);
        REPORT_PUT(b, "\n");
    }
    if (n)
        REPORT_PUT(b, "(h1xx vars lists every variable, its default and the cases using it; "
                      "--vars FILE sets many)\n");
}

#define FWD_CONSOLE_LINES 12 /* per-case lines shown; the rest are in the file reports */

/* `head` on a line, then one line per non-empty group of s. Returns the group lines written. */
static size_t fwd_lines(buf_t *b, const char *head, const fwd_stats *s)
{
    size_t lines = 0;
    buf_printf(b, "  %s:\n", head);
    for (int g = 0; g < FWD_GROUPS; g++) {
        if (!s->g[g].n && !s->g[g].dropped)
            continue;
        buf_printf(b, "    %-9s ", s->g[g].name);
        fwd_group_text(b, &s->g[g]);
        REPORT_PUT(b, "\n");
        lines++;
    }
    return lines;
}

/* Proxy modes: the forwarding-delay distribution, run-wide and per case id (--repeat copies
 * together), before the summary; nothing when no case measured forwarding. */
static void fwd_block(buf_t *b, const run_result *r)
{
    fwd_stats run;
    fwd_stats_run(r, &run);
    if (!run.samples)
        return;
    fwd_case_stats *ids;
    size_t n = fwd_stats_by_id(r, &ids), shown = 0, more = 0;
    REPORT_PUT(b, "forwarding delay per interim code (origin wrote -> client read; nearest-rank "
                  "percentiles):\n");
    fwd_lines(b, "all cases", &run);
    for (size_t i = 0; i < n; i++) {
        if (shown >= FWD_CONSOLE_LINES) {
            more++;
            continue;
        }
        char *head = xasprintf("%s (%zu run%s)", ids[i].id, ids[i].copies,
                               ids[i].copies == 1 ? "" : "s");
        shown += fwd_lines(b, head, &ids[i].s);
        free(head);
    }
    if (more)
        buf_printf(b, "  (%zu more case%s in the JSON, JUnit and HTML reports)\n", more,
                   more == 1 ? "" : "s");
    free(ids);
}

/* One line per area: tested, partly tested or untested, and why (report_areas.h); under
 * --fail-untested, which areas make the run exit 1. */
static void area_block(buf_t *b, const console *c, const run_result *r)
{
    area_cov *a;
    size_t n = report_areas(r, &a), w = 0;
    for (size_t i = 0; i < n; i++)
        w = strlen(a[i].area) > w ? strlen(a[i].area) : w;
    if (n)
        REPORT_PUT(b, "what this run tested, per area:\n");
    for (size_t i = 0; i < n; i++) {
        REPORT_PUT(b, "  ");
        report_readable_str(b, a[i].area);
        buf_printf(b, "%*s  ", (int)(w - strlen(a[i].area)), "");
        report_area_text(b, &a[i]);
        REPORT_PUT(b, "\n");
    }
    size_t untested = 0;
    for (size_t i = 0; i < n && c->fail_untested; i++) {
        if (a[i].conclusive)
            continue;
        buf_printf(b, "%s", untested++ ? ", " : "--fail-untested: no conclusive case in ");
        report_readable_str(b, a[i].area);
    }
    if (untested)
        REPORT_PUT(b, " (exit status 1)\n");
    free(a);
}

/* "pass 13, warn 1, fail 0, skip 30, error 0, not-run 0 in 1.234s", then what cut the run
 * short, the baseline's findings, the --set that would test the most, how many passes were
 * warnings, and last the line CI parses: "N passed, N failed, N skipped",
 * counted as result_tally says (result.h), so that it agrees with the exit status. */
void console_summary(console *c, const run_result *r)
{
    run_tally t;
    result_tally(r, c->strict, &t);
    buf_t b;
    buf_init(&b, 0);
    clear_progress(&b, c);
    fwd_block(&b, r);
    skip_group *g;
    size_t ng = report_skip_groups(r, &g);
    skip_blocks(&b, c, g, ng);
    report_skip_groups_free(g, ng);
    area_block(&b, c, r);
    for (int v = 0; v < VERDICT_COUNT; v++) {
        buf_printf(&b, "%s", v ? ", " : "");
        if (c->color && t.verdicts[v])
            buf_printf(&b, "%s%s\033[0m", colour((verdict_t)v), verdict_name((verdict_t)v));
        else
            buf_printf(&b, "%s", verdict_name((verdict_t)v));
        buf_printf(&b, " %zu", t.verdicts[v]);
    }
    REPORT_PUT(&b, " in ");
    report_secs(&b, r->duration_ns < 0 ? 0 : r->duration_ns, 3);
    REPORT_PUT(&b, "s\n");
    if (r->interrupted)
        REPORT_PUT(&b, "interrupted: cases not finished are reported as not-run\n");
    if (r->deadline_hit)
        REPORT_PUT(&b, "run deadline reached: cases not finished are reported as not-run "
                       "(counted as failed)\n");
    baseline_summary(&b, r);
    size_t hint = b.len;
    report_gain_hint(&b, r);
    if (b.len > hint)
        REPORT_PUT(&b, "\n");
    report_warn_line(&b, r, c->strict);
    REPORT_PUT(&b, "\n");
    buf_printf(&b, "%zu passed, %zu failed, %zu skipped\n", t.passed, t.failed, t.skipped);
    flush(c, &b);
    buf_free(&b);
}

void console_transcript(FILE *out, const case_result *cr)
{
    buf_t b;
    buf_init(&b, 0);
    report_transcript(&b, cr);
    if (b.len)
        fwrite(b.data, 1, b.len, out);
    buf_free(&b);
}
