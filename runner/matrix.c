/* matrix: see matrix.h. */
#include "matrix.h"

#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "fwd_stats.h"
#include "report_util.h"
#include "result_load.h"
#include "util.h"

typedef struct column {
    run_result run;
    char *name;            /* label, else "target (mode)" */
    char *report;          /* report.html beside the JSON, as a link from the HTML, or NULL */
    const case_result **by_id; /* the run's cases sorted by id (first of repeats kept) */
    size_t n;
    fwd_stats fwd;             /* forwarding delays of the whole run (proxy modes) */
    fwd_case_stats *fwd_ids;   /* and per case id */
    size_t nfwd_ids;
} column;

typedef struct matrix {
    column *cols;
    size_t ncols;
    const case_result **rows; /* one case per id, from the first run that has it */
    size_t nrows;
} matrix;

/* ---- building ------------------------------------------------------------------------------ */

static int cmp_id(const void *a, const void *b)
{
    const case_result *x = *(const case_result *const *)a, *y = *(const case_result *const *)b;
    return strcmp(x->id, y->id);
}

static int cmp_row(const void *a, const void *b)
{
    const case_result *x = *(const case_result *const *)a, *y = *(const case_result *const *)b;
    int d = strcmp(x->area, y->area);
    return d ? d : strcmp(x->id, y->id);
}

/* Sorts the cases of c by id into c->by_id, dropping repeats of one id. */
static void index_column(column *c)
{
    c->by_id = xcalloc(c->run.ncases ? c->run.ncases : 1, sizeof *c->by_id);
    for (size_t i = 0; i < c->run.ncases; i++)
        c->by_id[i] = &c->run.cases[i];
    qsort(c->by_id, c->run.ncases, sizeof *c->by_id, cmp_id);
    size_t k = 0;
    for (size_t i = 0; i < c->run.ncases; i++)
        if (!k || strcmp(c->by_id[k - 1]->id, c->by_id[i]->id))
            c->by_id[k++] = c->by_id[i];
    c->n = k;
}

static const case_result *find_case(const column *c, const char *id)
{
    case_result key = {.id = (char *)id};
    const case_result *kp = &key;
    const case_result **hit = bsearch(&kp, c->by_id, c->n, sizeof *c->by_id, cmp_id);
    return hit ? *hit : NULL;
}

static void build_rows(matrix *m)
{
    size_t total = 0;
    for (size_t i = 0; i < m->ncols; i++)
        total += m->cols[i].n;
    m->rows = xcalloc(total ? total : 1, sizeof *m->rows);
    for (size_t i = 0; i < m->ncols; i++)
        for (size_t j = 0; j < m->cols[i].n; j++)
            m->rows[m->nrows++] = m->cols[i].by_id[j];
    qsort(m->rows, m->nrows, sizeof *m->rows, cmp_row);
    size_t k = 0;
    for (size_t i = 0; i < m->nrows; i++)
        if (!k || strcmp(m->rows[k - 1]->id, m->rows[i]->id))
            m->rows[k++] = m->rows[i];
    m->nrows = k;
}

/* ---- links to the per-run reports ---------------------------------------------------------- */

/* The directory part of path ("." when it has none); malloc'd. */
static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return xstrdup(".");
    return slash == path ? xstrdup("/") : xstrndup(path, (size_t)(slash - path));
}

/* Length of the path component at p (up to '/' or the end). */
static size_t comp_len(const char *p)
{
    return strcspn(p, "/");
}

/* The path of file `to` as seen from directory `from`, both absolute and canonical, as a
 * relative URL; malloc'd. */
static char *relative_to(const char *from, const char *to)
{
    const char *f = from + 1, *t = to + 1;
    for (;;) { /* skip the common directories; `to`'s last component is the file */
        size_t fl = comp_len(f), tl = comp_len(t);
        if (!fl || !t[tl] || fl != tl || strncmp(f, t, fl))
            break;
        f += fl + (f[fl] == '/');
        t += tl + 1;
    }
    buf_t b;
    buf_init(&b, 0);
    for (; *f; f += comp_len(f) + (f[comp_len(f)] == '/'))
        REPORT_PUT(&b, "../");
    for (; *t; t++) /* percent-encoded, so '#', '?', '%' or a space in a folder name stay */
        if (strchr("-._~/", *t) || (*t >= 'a' && *t <= 'z') || (*t >= 'A' && *t <= 'Z') ||
            (*t >= '0' && *t <= '9'))
            buf_append(&b, t, 1);
        else
            buf_printf(&b, "%%%02X", (unsigned char)*t);
    return buf_steal(&b);
}

/* report.html beside json, as a link from the directory of html_out; NULL when there is none. */
static char *report_link(const char *json, const char *html_out)
{
    char *jdir = dir_of(json), *odir = dir_of(html_out);
    char *rep = xasprintf("%s/report.html", jdir);
    char a[PATH_MAX], o[PATH_MAX];
    char *link = NULL;
    if (access(rep, R_OK) == 0 && realpath(rep, a) && realpath(odir, o))
        link = relative_to(o, a);
    free(jdir);
    free(odir);
    free(rep);
    return link;
}

/* ---- shared pieces ------------------------------------------------------------------------- */

static const char *cell_word(const case_result *c)
{
    return c ? verdict_name(c->verdict) : "n/a";
}

static bool has_message(const case_result *c)
{
    return c && c->verdict != VERDICT_PASS && c->message && *c->message;
}

static const verdict_t summary_order[] = {VERDICT_PASS, VERDICT_FAIL, VERDICT_WARN, VERDICT_SKIP,
                                          VERDICT_ERROR, VERDICT_NOTRUN};
#define NSUMMARY (sizeof summary_order / sizeof *summary_order)

/* ---- forwarding delays (proxy modes) ------------------------------------------------------ */

/* The stats of case id in column c (the whole run when id is NULL), or NULL. */
static const fwd_stats *col_fwd(const column *c, const char *id)
{
    if (!id)
        return &c->fwd;
    for (size_t i = 0; i < c->nfwd_ids; i++)
        if (!strcmp(c->fwd_ids[i].id, id))
            return &c->fwd_ids[i].s;
    return NULL;
}

static bool group_used(const fwd_stats *s, int g)
{
    return s && (s->g[g].n || s->g[g].dropped);
}

/* Whether any column has group g for id (NULL: the run). */
static bool fwd_row_used(const matrix *m, const char *id, int g)
{
    for (size_t i = 0; i < m->ncols; i++)
        if (group_used(col_fwd(&m->cols[i], id), g))
            return true;
    return false;
}

static bool fwd_any(const matrix *m)
{
    for (size_t i = 0; i < m->ncols; i++)
        if (m->cols[i].fwd.samples)
            return true;
    return false;
}

/* "0.120 / 0.410 / 1.300 (n=1000)", ", 2 dropped" added when some were; "-" without samples. */
static void fwd_cell_text(buf_t *b, const fwd_stats *s, int g)
{
    if (!group_used(s, g)) {
        REPORT_PUT(b, "-");
        return;
    }
    const fwd_group *G = &s->g[g];
    if (G->n) {
        report_ms(b, G->p50_ns);
        REPORT_PUT(b, " / ");
        report_ms(b, G->p99_ns);
        REPORT_PUT(b, " / ");
        report_ms(b, G->max_ns);
        buf_printf(b, " (n=%zu", G->n);
    } else {
        REPORT_PUT(b, "none forwarded (n=0");
    }
    buf_printf(b, G->dropped ? ", %zu dropped)" : ")", G->dropped);
}

typedef void (*fwd_row_fn)(buf_t *b, const matrix *m, const char *id, int g);

/* Calls row for the run's groups, then each case id's (in the table's order of cases). */
static void fwd_each_row(buf_t *b, const matrix *m, fwd_row_fn row)
{
    for (int g = 0; g < FWD_GROUPS; g++)
        if (fwd_row_used(m, NULL, g))
            row(b, m, NULL, g);
    for (size_t r = 0; r < m->nrows; r++)
        for (int g = 0; g < FWD_GROUPS; g++)
            if (fwd_row_used(m, m->rows[r]->id, g))
                row(b, m, m->rows[r]->id, g);
}

static const char fwd_intro[] =
    "From the embedded origin's write to the client's read, per interim code: p50 / p99 / max "
    "in ms, nearest-rank percentiles, n delays measured (--repeat copies of a case together); "
    "- where the run has none.";

/* ---- markdown ------------------------------------------------------------------------------ */

/* s on one line, cut at max, with the characters that would break a table cell or open
 * markup escaped. */
static void md_text(buf_t *out, const char *s, size_t max)
{
    buf_t t;
    buf_init(&t, 0);
    report_one_line(&t, s, max);
    for (size_t i = 0; i < t.len; i++) {
        char ch = t.data[i];
        if (strchr("|\\`*_[]<>#!", ch))
            buf_printf(out, "&#%d;", ch);
        else
            buf_append(out, &ch, 1);
    }
    buf_free(&t);
}

static void md_summary(buf_t *b, const matrix *m)
{
    REPORT_PUT(b, "| implementation | mode | cases |");
    for (size_t v = 0; v < NSUMMARY; v++)
        buf_printf(b, " %s |", verdict_name(summary_order[v]));
    REPORT_PUT(b, "\n| --- | --- | ---: |");
    for (size_t v = 0; v < NSUMMARY; v++)
        REPORT_PUT(b, " ---: |");
    REPORT_PUT(b, "\n");
    for (size_t i = 0; i < m->ncols; i++) {
        const column *c = &m->cols[i];
        REPORT_PUT(b, "| ");
        md_text(b, c->name, 200);
        buf_printf(b, " | %s | %zu |", c->run.mode, c->n);
        for (size_t v = 0; v < NSUMMARY; v++)
            buf_printf(b, " %zu |", c->run.counts[summary_order[v]]);
        REPORT_PUT(b, "\n");
    }
}

static void md_area_head(buf_t *b, const matrix *m, const char *area)
{
    REPORT_PUT(b, "\n### ");
    md_text(b, area, 100);
    REPORT_PUT(b, "\n\n| case | requirement | level |");
    for (size_t i = 0; i < m->ncols; i++) {
        REPORT_PUT(b, " ");
        md_text(b, m->cols[i].name, 200);
        REPORT_PUT(b, " |");
    }
    REPORT_PUT(b, "\n| --- | --- | --- |");
    for (size_t i = 0; i < m->ncols; i++)
        REPORT_PUT(b, " --- |");
    REPORT_PUT(b, "\n");
}

/* One row; every message gets the next number, listed in notes. */
static void md_row(buf_t *b, buf_t *notes, size_t *nnotes, const matrix *m, const case_result *r)
{
    REPORT_PUT(b, "| ");
    md_text(b, r->id, 200);
    REPORT_PUT(b, " | ");
    md_text(b, r->require, 200);
    REPORT_PUT(b, " | ");
    md_text(b, r->level, 20);
    REPORT_PUT(b, " |");
    for (size_t i = 0; i < m->ncols; i++) {
        const case_result *c = find_case(&m->cols[i], r->id);
        bool bad = c && (c->verdict == VERDICT_FAIL || c->verdict == VERDICT_WARN ||
                         c->verdict == VERDICT_ERROR);
        buf_printf(b, bad ? " **%s**" : " %s", cell_word(c));
        if (c && c->failed_require && bad)
            buf_printf(b, " %s", c->failed_require);
        if (has_message(c)) {
            size_t k = ++*nnotes;
            buf_printf(b, " [%zu](#m%zu)", k, k);
            buf_printf(notes, "%zu. <a id=\"m%zu\"></a>", k, k);
            md_text(notes, m->cols[i].name, 200);
            REPORT_PUT(notes, ", ");
            md_text(notes, r->id, 200);
            buf_printf(notes, ": %s: ", cell_word(c));
            md_text(notes, c->message, 600);
            REPORT_PUT(notes, "\n");
        }
        REPORT_PUT(b, " |");
    }
    REPORT_PUT(b, "\n");
}

static void md_fwd_row(buf_t *b, const matrix *m, const char *id, int g)
{
    REPORT_PUT(b, "| ");
    if (id)
        md_text(b, id, 200);
    else
        REPORT_PUT(b, "all cases");
    buf_printf(b, " | %s |", m->cols[0].fwd.g[g].name);
    for (size_t i = 0; i < m->ncols; i++) {
        REPORT_PUT(b, " ");
        fwd_cell_text(b, col_fwd(&m->cols[i], id), g);
        REPORT_PUT(b, " |");
    }
    REPORT_PUT(b, "\n");
}

static void md_fwd(buf_t *b, const matrix *m)
{
    if (!fwd_any(m))
        return;
    buf_printf(b, "\n## Forwarding delay\n\n%s\n\n| cases | code |", fwd_intro);
    for (size_t i = 0; i < m->ncols; i++) {
        REPORT_PUT(b, " ");
        md_text(b, m->cols[i].name, 200);
        REPORT_PUT(b, " |");
    }
    REPORT_PUT(b, "\n| --- | --- |");
    for (size_t i = 0; i < m->ncols; i++)
        REPORT_PUT(b, " ---: |");
    REPORT_PUT(b, "\n");
    fwd_each_row(b, m, md_fwd_row);
}

static void md_write(buf_t *b, const matrix *m)
{
    REPORT_PUT(b, "# h1xx interop matrix\n\nOne column per run (its `--label`, else target and "
                  "mode); a cell is the verdict, the requirement broken for a fail or warn, and "
                  "a link to the message. n/a: the run did not have the case (another mode).\n\n");
    md_summary(b, m);
    md_fwd(b, m);
    buf_t notes;
    buf_init(&notes, 0);
    size_t nnotes = 0;
    for (size_t i = 0; i < m->nrows; i++) {
        if (!i || strcmp(m->rows[i - 1]->area, m->rows[i]->area))
            md_area_head(b, m, m->rows[i]->area);
        md_row(b, &notes, &nnotes, m, m->rows[i]);
    }
    if (nnotes) {
        REPORT_PUT(b, "\n## Messages\n\n");
        buf_append(b, notes.data, notes.len);
    }
    buf_free(&notes);
}

/* ---- HTML ---------------------------------------------------------------------------------- */

static const char html_head[] =
    "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
    "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
    "style-src 'unsafe-inline'\">\n"
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
    "<title>h1xx interop matrix</title>\n<style>\n"
    "body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}\n"
    "table{border-collapse:collapse;margin:.5em 0 1.5em}\n"
    "th,td{border:1px solid #ccc;padding:3px 6px;vertical-align:top;text-align:left}\n"
    "th{background:#f3f3f3}td.n{text-align:right}td code{white-space:nowrap}\n"
    "table.grid td,table.grid th{padding:1px 4px;font-size:12px;line-height:16px;"
    "white-space:nowrap;vertical-align:middle}\n"
    "table.grid th.col{vertical-align:bottom;height:14em;width:4.6em;max-width:4.6em;"
    "padding:2px 0}\n"
    "table.grid th.col span{writing-mode:vertical-rl;transform:rotate(180deg);"
    "display:inline-block;max-height:14em;overflow:hidden;text-overflow:ellipsis}\n"
    "table.grid tr.area th{background:#e8e8e8;text-align:left;font-size:13px}\n"
    "table.grid td.v{text-align:center;width:4.6em;max-width:4.6em;overflow:hidden}\n"
    "table.grid td.v a{display:block;text-decoration:none;color:inherit}\n"
    "table.grid td.id{max-width:24em;overflow:hidden;text-overflow:ellipsis}\n"
    ".pass{background:#c9ecc4}.fail,.error{background:#f6b8b8}.warn{background:#ffe08a}\n"
    ".skip{background:#dfe3f5;color:#556}.not-run{background:#e4e4e4;color:#666}"
    ".na{background:#fff;color:#bbb}a{color:inherit}\n"
    ".legend span{display:inline-block;padding:0 .6em;margin-right:.3em;border:1px solid #ccc}\n"
    "</style></head><body>\n<h1>h1xx interop matrix</h1>\n";

static void html_summary(buf_t *b, const matrix *m)
{
    REPORT_PUT(b, "<table id=\"summary\"><tr><th>implementation</th><th>mode</th><th>cases</th>");
    for (size_t v = 0; v < NSUMMARY; v++)
        buf_printf(b, "<th>%s</th>", verdict_name(summary_order[v]));
    REPORT_PUT(b, "</tr>\n");
    for (size_t i = 0; i < m->ncols; i++) {
        const column *c = &m->cols[i];
        REPORT_PUT(b, "<tr><td>");
        if (c->report) {
            REPORT_PUT(b, "<a href=\"");
            report_html_str(b, c->report);
            REPORT_PUT(b, "\">");
        }
        report_html_str(b, c->name);
        if (c->report)
            REPORT_PUT(b, "</a>");
        REPORT_PUT(b, "</td><td>");
        report_html_str(b, c->run.mode);
        buf_printf(b, "</td><td class=\"n\">%zu</td>", c->n);
        for (size_t v = 0; v < NSUMMARY; v++)
            buf_printf(b, "<td class=\"n\">%zu</td>", c->run.counts[summary_order[v]]);
        REPORT_PUT(b, "</tr>\n");
    }
    REPORT_PUT(b, "</table>\n");
}

static void html_fwd_row(buf_t *b, const matrix *m, const char *id, int g)
{
    REPORT_PUT(b, "<tr class=\"fwd\"><td>");
    if (id) {
        REPORT_PUT(b, "<code>");
        report_html_str(b, id);
        REPORT_PUT(b, "</code>");
    } else {
        REPORT_PUT(b, "all cases");
    }
    buf_printf(b, "</td><td>%s</td>", m->cols[0].fwd.g[g].name);
    for (size_t i = 0; i < m->ncols; i++) {
        REPORT_PUT(b, "<td class=\"n\">");
        fwd_cell_text(b, col_fwd(&m->cols[i], id), g);
        REPORT_PUT(b, "</td>");
    }
    REPORT_PUT(b, "</tr>\n");
}

/* The forwarding delays of the columns of m (the proxies' grid only). */
static void html_fwd(buf_t *b, const matrix *m)
{
    if (!fwd_any(m))
        return;
    buf_printf(b, "<h3>Forwarding delay</h3>\n<p>%s</p>\n<table id=\"fwd\"><tr><th>cases</th>"
                  "<th>code</th>", fwd_intro);
    for (size_t i = 0; i < m->ncols; i++) {
        REPORT_PUT(b, "<th>");
        report_html_str(b, m->cols[i].name);
        REPORT_PUT(b, "</th>");
    }
    REPORT_PUT(b, "</tr>\n");
    fwd_each_row(b, m, html_fwd_row);
    REPORT_PUT(b, "</table>\n");
}

/* What a cell shows: the requirement behind a fail or warn, else the case's first. */
static void cell_require(buf_t *b, const case_result *c)
{
    if (c->failed_require && (c->verdict == VERDICT_FAIL || c->verdict == VERDICT_WARN)) {
        report_html_str(b, c->failed_require);
        return;
    }
    const char *r = c->require ? c->require : "";
    size_t n = strcspn(r, " ");
    if (!n) {
        buf_printf(b, "%s", verdict_name(c->verdict));
        return;
    }
    char *first = xstrndup(r, n);
    report_html_str(b, first);
    free(first);
}

/* One coloured cell: the verdict as its class and in data-verdict, the requirement id as its
 * text, "verdict: message" on hover (title), a link to the case in the run's own report. */
static void html_cell(buf_t *b, const column *col, const case_result *c)
{
    if (!c) {
        REPORT_PUT(b, "<td class=\"v na\" data-verdict=\"n/a\" title=\"not in this run\"></td>");
        return;
    }
    const char *v = verdict_name(c->verdict);
    buf_printf(b, "<td class=\"v %s\" data-verdict=\"%s\" title=\"%s", v, v, v);
    buf_t t;
    buf_init(&t, 0);
    report_one_line(&t, c->message, 400);
    if (t.len) {
        REPORT_PUT(b, ": ");
        report_html_escape(b, t.data, t.len);
    }
    buf_free(&t);
    REPORT_PUT(b, "\">");
    if (col->report) {
        REPORT_PUT(b, "<a href=\"");
        report_html_str(b, col->report);
        REPORT_PUT(b, "#open=");
        report_html_str(b, c->id);
        REPORT_PUT(b, "\">");
    }
    cell_require(b, c);
    if (col->report)
        REPORT_PUT(b, "</a>");
    REPORT_PUT(b, "</td>");
}

static void html_row(buf_t *b, const matrix *m, const case_result *r)
{
    REPORT_PUT(b, "<tr data-id=\"");
    report_html_str(b, r->id);
    REPORT_PUT(b, "\"><td class=\"id\" title=\"");
    report_html_str(b, r->title);
    REPORT_PUT(b, " (");
    report_html_str(b, r->require);
    REPORT_PUT(b, ", ");
    report_html_str(b, r->level);
    REPORT_PUT(b, ")\"><code>");
    report_html_str(b, r->id);
    REPORT_PUT(b, "</code></td>");
    for (size_t i = 0; i < m->ncols; i++)
        html_cell(b, &m->cols[i], find_case(&m->cols[i], r->id));
    REPORT_PUT(b, "</tr>\n");
}

/* The roles a run can play, each with a grid of its own. */
static const char *const role_names[] = {"Origins", "Proxies", "Clients"};
static const char *const role_ids[] = {"origins", "proxies", "clients"};

static int role_of(const column *c)
{
    const char *mode = c->run.mode ? c->run.mode : "";
    return !strcmp(mode, "client") ? 2 : strstr(mode, "proxy") ? 1 : 0;
}

/* The columns of role, and the cases any of them has, as a matrix of their own (shallow
 * copies: free only sub->cols and sub->rows). */
static void role_matrix(const matrix *m, int role, matrix *sub)
{
    memset(sub, 0, sizeof *sub);
    sub->cols = xcalloc(m->ncols ? m->ncols : 1, sizeof *sub->cols);
    for (size_t i = 0; i < m->ncols; i++)
        if (role_of(&m->cols[i]) == role)
            sub->cols[sub->ncols++] = m->cols[i];
    sub->rows = xcalloc(m->nrows ? m->nrows : 1, sizeof *sub->rows);
    for (size_t r = 0; r < m->nrows; r++)
        for (size_t i = 0; i < sub->ncols; i++)
            if (find_case(&sub->cols[i], m->rows[r]->id)) {
                sub->rows[sub->nrows++] = m->rows[r];
                break;
            }
}

static void html_grid(buf_t *b, const matrix *m, int role)
{
    buf_printf(b, "<h2 id=\"%s\">%s</h2>\n<table class=\"grid\" data-role=\"%s\"><thead><tr>"
                  "<th>case</th>", role_ids[role], role_names[role], role_ids[role]);
    for (size_t i = 0; i < m->ncols; i++) {
        REPORT_PUT(b, "<th class=\"col\" title=\"");
        report_html_str(b, m->cols[i].name);
        REPORT_PUT(b, "\"><span>");
        report_html_str(b, m->cols[i].name);
        REPORT_PUT(b, "</span></th>");
    }
    REPORT_PUT(b, "</tr></thead>\n<tbody>\n");
    for (size_t i = 0; i < m->nrows; i++) {
        if (!i || strcmp(m->rows[i - 1]->area, m->rows[i]->area)) {
            buf_printf(b, "<tr class=\"area\"><th colspan=\"%zu\">", m->ncols + 1);
            report_html_str(b, m->rows[i]->area);
            REPORT_PUT(b, "</th></tr>\n");
        }
        html_row(b, m, m->rows[i]);
    }
    REPORT_PUT(b, "</tbody></table>\n");
    if (role == 1)
        html_fwd(b, m);
}

static void html_write(buf_t *b, const matrix *m)
{
    buf_append(b, html_head, sizeof html_head - 1);
    REPORT_PUT(b, "<p>One grid per role: a column per run (its <code>--label</code>, else target "
                  "and mode), a row per case. A cell's colour is the verdict; its text is the "
                  "requirement (the one broken, for a fail or warn); hover for the message, "
                  "click for the case in the run's own report. An empty cell: the run did not "
                  "have the case.</p>\n<p class=\"legend\">");
    for (size_t v = 0; v < NSUMMARY; v++)
        buf_printf(b, "<span class=\"%s\">%s</span>", verdict_name(summary_order[v]),
                   verdict_name(summary_order[v]));
    REPORT_PUT(b, "</p>\n");
    html_summary(b, m);
    for (int role = 0; role < 3; role++) {
        matrix sub;
        role_matrix(m, role, &sub);
        if (sub.ncols)
            html_grid(b, &sub, role);
        free(sub.cols);
        free(sub.rows);
    }
    REPORT_PUT(b, "</body></html>\n");
}

/* ---- the subcommand ------------------------------------------------------------------------ */

void matrix_usage(FILE *out)
{
    fputs("usage: h1xx matrix [options] RESULTS.json...\n"
          "Compares runs against different implementations: a row per case, a column per run\n"
          "(headed by its --label, else target and mode), the verdict in each cell.\n"
          "\n"
          "      --md FILE     write the table as Markdown (default: to stdout)\n"
          "      --html FILE   write the table as HTML; cells link to report.html#open=ID when\n"
          "                    a report.html lies beside the results.json\n"
          "      --help\n"
          "Exit status: 0 written, 2 usage error, unreadable input, or a file not written.\n",
          out);
}

static int write_file(const char *path, buf_t *b)
{
    report_file f;
    char err[512];
    if (report_file_open(&f, path, err, sizeof err) == 0) {
        report_file_put(&f, b);
        if (report_file_commit(&f, err, sizeof err) == 0)
            return 0;
    }
    fprintf(stderr, "h1xx matrix: %s\n", err);
    return -1;
}

static int load_columns(matrix *m, char **inputs, const char *html)
{
    char err[512];
    for (size_t i = 0; i < m->ncols; i++) {
        column *c = &m->cols[i];
        if (result_load_json(inputs[i], &c->run, err, sizeof err)) {
            fprintf(stderr, "h1xx matrix: %s\n", err);
            return -1;
        }
        c->name = c->run.label && *c->run.label
                      ? xstrdup(c->run.label)
                      : xasprintf("%s (%s)", c->run.target, c->run.mode);
        c->report = html ? report_link(inputs[i], html) : NULL;
        index_column(c);
        fwd_stats_run(&c->run, &c->fwd);
        c->nfwd_ids = fwd_stats_by_id(&c->run, &c->fwd_ids);
    }
    return 0;
}

enum { X_MD = 400, X_HTML, X_HELP };

int matrix_main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"md", required_argument, 0, X_MD},
        {"html", required_argument, 0, X_HTML},
        {"help", no_argument, 0, X_HELP},
        {0, 0, 0, 0},
    };
    const char *md = NULL, *html = NULL;
    opterr = 0;
    optind = 1;
    int ch;
    while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        if (ch == X_MD)
            md = optarg;
        else if (ch == X_HTML)
            html = optarg;
        else if (ch == X_HELP) {
            matrix_usage(stdout);
            return EXIT_OK;
        } else {
            fprintf(stderr, "h1xx matrix: bad or incomplete option '%s'\nTry 'h1xx matrix "
                            "--help'.\n", argv[optind - 1]);
            return EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        fputs("h1xx matrix: need at least one RESULTS.json\nTry 'h1xx matrix --help'.\n", stderr);
        return EXIT_USAGE;
    }
    matrix m = {0};
    m.ncols = (size_t)(argc - optind);
    m.cols = xcalloc(m.ncols, sizeof *m.cols);
    int status = EXIT_USAGE;
    buf_t b;
    buf_init(&b, 0);
    if (load_columns(&m, argv + optind, html))
        goto out;
    build_rows(&m);
    md_write(&b, &m);
    if (md ? write_file(md, &b) : (fwrite(b.data, 1, b.len, stdout) != b.len))
        goto out;
    buf_reset(&b);
    if (html) {
        html_write(&b, &m);
        if (write_file(html, &b))
            goto out;
    }
    if (md || html)
        printf("h1xx matrix: %zu runs, %zu cases%s%s%s%s\n", m.ncols, m.nrows, md ? " -> " : "",
               md ? md : "", html ? " -> " : "", html ? html : "");
    status = EXIT_OK;
out:
    buf_free(&b);
    for (size_t i = 0; i < m.ncols; i++) {
        result_free(&m.cols[i].run);
        free(m.cols[i].name);
        free(m.cols[i].report);
        free(m.cols[i].by_id);
        free(m.cols[i].fwd_ids);
    }
    free(m.cols);
    free(m.rows);
    return status;
}
