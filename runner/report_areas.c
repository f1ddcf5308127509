/* report_areas: see report_areas.h. */
#include "report_areas.h"

#include <stdlib.h>
#include <string.h>

#include "report_skips.h"
#include "report_util.h"

static bool conclusive(verdict_t v)
{
    return v == VERDICT_PASS || v == VERDICT_WARN || v == VERDICT_FAIL;
}

static area_cov *area_of(area_cov **a, size_t *n, const char *area)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp((*a)[i].area, area) == 0)
            return &(*a)[i];
    *a = xrealloc(*a, (*n + 1) * sizeof **a);
    memset(&(*a)[*n], 0, sizeof **a);
    (*a)[*n].area = area;
    return &(*a)[(*n)++];
}

static void add_missing(area_cov *a, const char *var)
{
    for (size_t i = 0; i < a->nmissing_vars; i++)
        if (strcmp(a->missing_vars[i], var) == 0)
            return;
    if (a->nmissing_vars < AREA_VARS_MAX)
        a->missing_vars[a->nmissing_vars++] = var;
}

size_t report_areas(const run_result *r, area_cov **out)
{
    area_cov *a = NULL;
    size_t n = 0;
    for (size_t i = 0; i < r->ncases; i++) {
        const case_result *c = &r->cases[i];
        area_cov *x = area_of(&a, &n, c->area ? c->area : "");
        x->n++;
        if (conclusive(c->verdict)) {
            x->conclusive++;
        } else if (c->verdict == VERDICT_SKIP && c->missing_var) {
            x->missing++;
            add_missing(x, c->missing_var);
        } else if (c->verdict == VERDICT_SKIP && c->premise_var) {
            if (!x->premise++)
                x->premise_case = c;
        } else if (!x->other++) {
            x->other_case = c;
        }
    }
    *out = a;
    return n;
}

bool report_any_untested(const run_result *r)
{
    area_cov *a;
    size_t n = report_areas(r, &a);
    bool any = false;
    for (size_t i = 0; i < n; i++)
        any |= a[i].conclusive == 0;
    free(a);
    return any;
}

const char *report_var_wants(const char *var)
{
    static const char *const wants[][2] = {
        {"upload_path", "PATH where the server reads the body"},
        {"reject_path", "PATH that refuses uploads before reading them"},
        {"stream_path", "PATH of a resource the server streams"},
        {"interims_path", "PATH that sends several 1xx"},
        {"ws_path", "PATH of a WebSocket endpoint"},
        {"ws_echo_path", "PATH of a WebSocket endpoint that echoes"},
        {"slow_path", "PATH that works long and sends 102 Processing"},
        {"hints_path", "PATH that sends 103 Early Hints"},
    };
    for (size_t i = 0; i < sizeof wants / sizeof *wants; i++)
        if (strcmp(wants[i][0], var) == 0)
            return wants[i][1];
    return "VALUE";
}

/* A case's message without the "inconclusive: " it may start with, on one short line. */
static void reason(buf_t *b, const case_result *c)
{
    const char *m = c->message ? c->message : "";
    if (strncmp(m, "inconclusive: ", 14) == 0)
        m += 14;
    report_one_line(b, m, 140);
}

static const char *plural(size_t n)
{
    return n == 1 ? "" : "s";
}

void report_area_text(buf_t *b, const area_cov *a)
{
    if (a->conclusive == a->n) {
        buf_printf(b, "tested: %s %zu case%s conclusive", a->n == 1 ? "its" : "all", a->n,
                   plural(a->n));
        return;
    }
    if (a->conclusive)
        buf_printf(b, "partly tested: %zu of %zu cases conclusive", a->conclusive, a->n);
    else
        buf_printf(b, "untested: none of %zu case%s conclusive", a->n, plural(a->n));
    if (a->premise) {
        const case_result *c = a->premise_case;
        REPORT_PUT(b, "; ");
        report_readable_str(b, c->premise_var);
        REPORT_PUT(b, " (");
        report_readable_str(b, c->premise_value ? c->premise_value : "");
        buf_printf(b, ") left %zu inconclusive: ", a->premise);
        reason(b, c);
        char *said = xasprintf("--set %s=", c->premise_var);
        if (!c->message || !strstr(c->message, said)) { /* the case's own hint, else ours */
            REPORT_PUT(b, "; --set ");
            report_readable_str(b, c->premise_var);
            buf_printf(b, "=%s", report_var_wants(c->premise_var));
        }
        free(said);
    }
    if (a->missing) {
        buf_printf(b, "; %zu need%s --set ", a->missing, a->missing == 1 ? "s" : "");
        for (size_t i = 0; i < a->nmissing_vars; i++) {
            buf_printf(b, "%s", i ? " or " : "");
            report_readable_str(b, a->missing_vars[i]);
        }
    }
    if (a->other) {
        buf_printf(b, "; %zu %s: ", a->other,
                   a->other_case->verdict == VERDICT_SKIP ? "inconclusive" : "did not run");
        report_readable_str(b, a->other_case->id);
        REPORT_PUT(b, " ");
        reason(b, a->other_case);
    }
}

/* ---- the hint: which --set tests the most -------------------------------------------------- */

typedef struct premise_group {
    const char *var, *value;
    size_t n;
} premise_group;

static size_t premise_groups(const run_result *r, premise_group **out)
{
    premise_group *g = NULL;
    size_t n = 0;
    for (size_t i = 0; i < r->ncases; i++) {
        const case_result *c = &r->cases[i];
        if (c->verdict != VERDICT_SKIP || c->missing_var || !c->premise_var)
            continue;
        size_t k = 0;
        while (k < n && strcmp(g[k].var, c->premise_var) != 0)
            k++;
        if (k == n) {
            g = xrealloc(g, (n + 1) * sizeof *g);
            g[n++] = (premise_group){c->premise_var, c->premise_value ? c->premise_value : "", 0};
        }
        g[k].n++;
    }
    *out = g;
    return n;
}

void report_gain_hint(buf_t *b, const run_result *r)
{
    premise_group *p;
    size_t np = premise_groups(r, &p);
    skip_group *g;
    size_t ng = report_skip_groups(r, &g);
    if (np || ng) {
        size_t skipped = 0;
        for (size_t i = 0; i < r->ncases; i++)
            skipped += r->cases[i].verdict == VERDICT_SKIP;
        buf_printf(b, "%zu skipped: --set ", skipped);
        for (size_t i = 0; i < np; i++) {
            report_readable_str(b, p[i].var);
            buf_printf(b, "=%s (%zu case%s inconclusive at ", report_var_wants(p[i].var), p[i].n,
                       plural(p[i].n));
            report_readable_str(b, p[i].value);
            REPORT_PUT(b, "), ");
        }
        if (np && !ng)
            b->len -= 2;
        for (size_t i = 0; i < ng && i < REPORT_SKIP_HINT_MAX; i++) {
            buf_printf(b, "%s", i ? ", " : "");
            report_readable_str(b, g[i].var);
            buf_printf(b, " (%zu%s)", g[i].n, i ? "" : g[i].n == 1 ? " case" : " cases");
        }
        if (ng > REPORT_SKIP_HINT_MAX)
            REPORT_PUT(b, " ...");
    }
    if (r->upload_hint) {
        buf_printf(b, "%shint: POST ", np || ng ? "\n" : "");
        report_readable_str(b, r->upload_hint);
        REPORT_PUT(b, " with Expect: 100-continue got 100 Continue (h1xx sent no content): "
                      "--set upload_path=");
        report_readable_str(b, r->upload_hint);
        REPORT_PUT(b, " may test what / could not (a hint; nothing was judged from it)");
    }
    free(p);
    report_skip_groups_free(g, ng);
}

void report_warn_line(buf_t *b, const run_result *r, bool strict)
{
    run_tally t;
    result_tally(r, strict, &t);
    size_t w = t.verdicts[VERDICT_WARN];
    if (strict)
        buf_printf(b, "warnings: %zu, counted as failed (--strict)", w);
    else if (!w)
        buf_printf(b, "of the %zu passed, none is a warning", t.passed);
    else
        buf_printf(b, "of the %zu passed, %zu %s (a SHOULD or practice rule broken; --strict "
                      "fails them)", t.passed, w, w == 1 ? "is a warning" : "are warnings");
}
