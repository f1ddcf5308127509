/* report_skips: see report_skips.h. */
#include "report_skips.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_util.h"

static skip_group *group_of(skip_group **g, size_t *n, const char *var)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp((*g)[i].var, var) == 0)
            return &(*g)[i];
    *g = xrealloc(*g, (*n + 1) * sizeof **g);
    (*g)[*n] = (skip_group){var, NULL, 0};
    return &(*g)[(*n)++];
}

static int most_first(const void *a, const void *b)
{
    const skip_group *x = a, *y = b;
    if (x->n != y->n)
        return x->n > y->n ? -1 : 1;
    return strcmp(x->var, y->var);
}

size_t report_skip_groups(const run_result *r, skip_group **out)
{
    skip_group *g = NULL;
    size_t n = 0;
    for (size_t i = 0; i < r->ncases; i++) {
        const case_result *c = &r->cases[i];
        if (c->verdict != VERDICT_SKIP || !c->missing_var)
            continue;
        skip_group *s = group_of(&g, &n, c->missing_var);
        s->ids = xrealloc(s->ids, (s->n + 1) * sizeof *s->ids);
        s->ids[s->n++] = report_str(c->id);
    }
    if (n > 1)
        qsort(g, n, sizeof *g, most_first);
    *out = g;
    return n;
}

void report_skip_groups_free(skip_group *g, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(g[i].ids);
    free(g);
}

void report_skip_hint(buf_t *b, const run_result *r, const skip_group *g, size_t n)
{
    if (!n)
        return;
    size_t skipped = 0;
    for (size_t i = 0; i < r->ncases; i++)
        skipped += r->cases[i].verdict == VERDICT_SKIP;
    buf_printf(b, "%zu skipped: --set ", skipped);
    for (size_t i = 0; i < n && i < REPORT_SKIP_HINT_MAX; i++) {
        buf_printf(b, "%s", i ? ", " : "");
        report_readable_str(b, g[i].var);
        buf_printf(b, " (%zu%s)", g[i].n, i ? "" : g[i].n == 1 ? " case" : " cases");
    }
    if (n > REPORT_SKIP_HINT_MAX)
        REPORT_PUT(b, " ...");
}

void report_skip_ids(buf_t *b, const skip_group *g, const char *indent, size_t col, size_t width)
{
    /* --repeat lays the copies of a case side by side: one name for them, with their count */
    for (size_t i = 0, k; i < g->n; i = k) {
        for (k = i + 1; k < g->n && !strcmp(g->ids[k], g->ids[i]); k++)
            ;
        char times[32] = "";
        if (k - i > 1)
            snprintf(times, sizeof times, " (x%zu)", k - i);
        size_t len = strlen(g->ids[i]) + strlen(times);
        if (i && col + len + 2 > width) {
            buf_printf(b, ",\n%s", indent);
            col = strlen(indent);
        } else if (i) {
            REPORT_PUT(b, ", ");
            col += 2;
        }
        report_readable_str(b, g->ids[i]);
        buf_printf(b, "%s", times);
        col += len;
    }
}
