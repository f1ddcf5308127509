/* fwd_stats: see fwd_stats.h. */
#include "fwd_stats.h"

#include <stdlib.h>
#include <string.h>

#include "report_util.h"

static const char *const group_names[FWD_GROUPS] = {"100", "101", "102", "103", "other-1xx"};

static int group_of(int status)
{
    return status >= 100 && status <= 103 ? status - 100 : FWD_GROUPS - 1;
}

const char *fwd_group_name(int status)
{
    return group_names[group_of(status)];
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* The nearest-rank p-th percentile of n sorted delays (n > 0). */
static int64_t rank(const int64_t *sorted, size_t n, unsigned p)
{
    size_t k = (n * p + 99) / 100; /* ceil(p/100 * n), at least 1 for n > 0 */
    return sorted[(k ? k : 1) - 1];
}

void fwd_stats_of(const case_result *const *cases, size_t n, fwd_stats *out)
{
    memset(out, 0, sizeof *out);
    for (int g = 0; g < FWD_GROUPS; g++)
        out->g[g].name = group_names[g];
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < cases[i]->nfwd; k++) {
            const fwd_sample *s = &cases[i]->fwd[k];
            fwd_group *g = &out->g[group_of(s->status)];
            if (s->delay_ns < 0)
                g->dropped++;
            else
                g->n++;
            out->samples++;
        }
    for (int g = 0; g < FWD_GROUPS; g++) {
        fwd_group *G = &out->g[g];
        if (!G->n)
            continue;
        int64_t *d = xcalloc(G->n, sizeof *d);
        size_t m = 0;
        for (size_t i = 0; i < n; i++)
            for (size_t k = 0; k < cases[i]->nfwd; k++)
                if (group_of(cases[i]->fwd[k].status) == g && cases[i]->fwd[k].delay_ns >= 0)
                    d[m++] = cases[i]->fwd[k].delay_ns;
        qsort(d, m, sizeof *d, cmp_i64);
        G->p50_ns = rank(d, m, 50);
        G->p99_ns = rank(d, m, 99);
        G->max_ns = d[m - 1];
        free(d);
    }
}

void fwd_stats_run(const run_result *r, fwd_stats *out)
{
    const case_result **all = xcalloc(r->ncases ? r->ncases : 1, sizeof *all);
    for (size_t i = 0; i < r->ncases; i++)
        all[i] = &r->cases[i];
    fwd_stats_of(all, r->ncases, out);
    free(all);
}

/* Orders cases by id, then by their place in the run (so a group's first is its first). */
static int cmp_id_place(const void *a, const void *b)
{
    const case_result *x = *(const case_result *const *)a, *y = *(const case_result *const *)b;
    int d = strcmp(report_str(x->id), report_str(y->id));
    return d ? d : (x > y) - (x < y);
}

static bool same_id(const case_result *x, const case_result *y)
{
    return strcmp(report_str(x->id), report_str(y->id)) == 0;
}

static int cmp_first(const void *a, const void *b)
{
    const fwd_case_stats *x = a, *y = b;
    return (x->first > y->first) - (x->first < y->first);
}

size_t fwd_stats_by_id(const run_result *r, fwd_case_stats **out)
{
    *out = NULL;
    const case_result **by = xcalloc(r->ncases ? r->ncases : 1, sizeof *by);
    for (size_t i = 0; i < r->ncases; i++)
        by[i] = &r->cases[i];
    qsort(by, r->ncases, sizeof *by, cmp_id_place);
    size_t nout = 0, cap = 0;
    for (size_t i = 0, j; i < r->ncases; i = j) {
        bool any = false;
        for (j = i; j < r->ncases && same_id(by[i], by[j]); j++)
            any = any || by[j]->nfwd;
        if (!any)
            continue;
        grow_array((void **)out, &cap, nout, sizeof **out);
        fwd_case_stats *c = &(*out)[nout++];
        c->id = report_str(by[i]->id);
        c->first = (size_t)(by[i] - r->cases);
        c->copies = j - i;
        fwd_stats_of(by + i, j - i, &c->s);
    }
    free(by);
    qsort(*out, nout, sizeof **out, cmp_first);
    return nout;
}

void fwd_group_text(buf_t *b, const fwd_group *g)
{
    if (!g->n) { /* nothing arrived to measure: no figure that looks like one */
        buf_printf(b, "n=0 p50=- p99=- max=- dropped=%zu", g->dropped);
        return;
    }
    buf_printf(b, "n=%zu p50=", g->n);
    report_ms(b, g->p50_ns);
    REPORT_PUT(b, "ms p99=");
    report_ms(b, g->p99_ns);
    REPORT_PUT(b, "ms max=");
    report_ms(b, g->max_ns);
    buf_printf(b, "ms dropped=%zu", g->dropped);
}
