/* report_skips: the cases that skipped because a variable was not set, grouped by that variable
 * (case_result.missing_var), for the console and the HTML summary. One place computes the hint
 * "32 skipped: --set ws_path (21 cases), slow_path (6), hints_path (3)" so the reports agree. */
#ifndef H1XX_REPORT_SKIPS_H
#define H1XX_REPORT_SKIPS_H

#include <stddef.h>

#include "result.h"
#include "util.h"

typedef struct skip_group {
    const char *var;  /* borrowed from the results */
    const char **ids; /* the ids of the cases it would let run, in result order */
    size_t n;
} skip_group;

/* Groups r's skipped cases that name a missing variable: the variable that would run the most
 * cases first, ties in name order. Returns the number of groups; *out is malloc'd (NULL when
 * none) and freed with report_skip_groups_free. The strings stay r's. */
size_t report_skip_groups(const run_result *r, skip_group **out);
void report_skip_groups_free(skip_group *g, size_t n);

/* How many groups the hint names before "...". */
#define REPORT_SKIP_HINT_MAX 5

/* Appends the one-line hint, "N skipped: --set A (x cases), B (y), C (z) ..." (N counts every
 * skip; "..." when more variables than REPORT_SKIP_HINT_MAX). Appends nothing without a group. */
void report_skip_hint(buf_t *b, const run_result *r, const skip_group *g, size_t n);

/* Appends "A, B (x3), C" (the --repeat copies of a case named once, with their count) wrapped
 * under `width` columns, each continuation line starting with indent; `col` is the column the
 * first id starts at. */
void report_skip_ids(buf_t *b, const skip_group *g, const char *indent, size_t col, size_t width);

#endif
