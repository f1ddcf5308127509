/* fwd_stats: the forwarding-delay distribution of a run in the proxy modes.
 *
 * Each case that measures forwarding records one sample per interim status the embedded origin
 * wrote (case_result.fwd: the status and the delay until the client read it, or dropped). This
 * unit groups them by interim code (100, 101, 102, 103, and every other 1xx together) and gives,
 * per group, the count, the 50th and 99th percentiles and the maximum of the delays, and how
 * many were dropped; over a set of cases, over the run, or per case id (the --repeat copies of
 * one case together). Percentiles are nearest rank: the k-th smallest of n delays, k = ceil(p/100
 * * n), so each figure is a delay that was measured (with n = 1 all three are that one delay).
 * Every reporter and `h1xx matrix` read the figures from here. */
#ifndef H1XX_FWD_STATS_H
#define H1XX_FWD_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "result.h"
#include "util.h"

#define FWD_GROUPS 5

typedef struct fwd_group {
    const char *name; /* "100", "101", "102", "103", "other-1xx" (static storage) */
    size_t n;         /* delays measured */
    size_t dropped;   /* written by the origin, not read by the client while the case ran
                       * (dropped, or held past the case's end) */
    int64_t p50_ns, p99_ns, max_ns; /* nearest rank over the n delays; 0 when n is 0 */
} fwd_group;

typedef struct fwd_stats {
    fwd_group g[FWD_GROUPS]; /* in the order above; a group with n + dropped == 0 is empty */
    size_t samples;          /* n + dropped over every group */
} fwd_stats;

/* One case id's figures: its --repeat copies together. */
typedef struct fwd_case_stats {
    const char *id; /* the run's own string */
    size_t first;   /* index in r->cases of its first copy */
    size_t copies;  /* cases of this id in the run (with samples or not) */
    fwd_stats s;
} fwd_case_stats;

/* The group name of an interim status ("other-1xx" for 104..199). */
const char *fwd_group_name(int status);
/* Aggregates the samples of n cases. */
void fwd_stats_of(const case_result *const *cases, size_t n, fwd_stats *out);
/* Over every case of the run. */
void fwd_stats_run(const run_result *r, fwd_stats *out);
/* Per case id that has samples, in the order the ids first appear in the run; returns how many
 * and sets *out (malloc'd, the caller frees it; NULL when none). */
size_t fwd_stats_by_id(const run_result *r, fwd_case_stats **out);
/* "n=1000 p50=0.120ms p99=0.410ms max=1.300ms dropped=0" */
void fwd_group_text(buf_t *b, const fwd_group *g);

#endif
