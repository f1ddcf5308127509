/* sched: runs cases on worker threads, one per core, each an event loop on which every case
 * in flight is a task (loop.h): -j N means N cases at once, whatever the core count. Each case
 * has its own connections and deadline; results land in the caller's array at the case's own
 * index, so the report order is the cases' order whatever order they finish in. */
#ifndef H1XX_SCHED_H
#define H1XX_SCHED_H

#include <stddef.h>

#include "case.h"
#include "result.h"

/* Called under the scheduler's lock as each case ends (progress reporting). */
typedef void (*sched_done_fn)(void *arg, const case_result *r);

/* Runs cases[0..n) with `jobs` workers, filling results[0..n). Cases not started because the
 * run was interrupted or its deadline passed get VERDICT_NOTRUN with the reason. */
void sched_run(const case_def *const *cases, size_t n, const run_ctx *ctx, int jobs,
               case_result *results, sched_done_fn done, void *arg);
/* How many worker threads sched_run uses for `jobs` cases at once. */
int sched_workers(int jobs);

#endif
