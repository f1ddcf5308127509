/* merge: the "h1xx merge" subcommand. Combines the results.json files of several runs (the
 * shards of a CI matrix, or runs of different areas against one target) into one run: the cases
 * of all of them in id order, the summary recounted, and the reports written from that.
 *
 *   h1xx merge [--junit FILE] [--html FILE] [--junit-file-line] [--strict] OUT.json IN.json...
 *
 * Refused (exit 2): an input that cannot be read or has not the results.json shape, inputs
 * against different targets or modes, a case id in two inputs, shards of different counts, a
 * shard given twice or missing. Otherwise the exit status is the one the merged run would have
 * had: 0 no failure, 1 failures (fail, error, warn under --strict, or cases not run). */
#ifndef H1XX_MERGE_H
#define H1XX_MERGE_H

#include <stdio.h>

#include "result.h"

/* argv[0] is "merge". Returns the exit status. */
int merge_main(int argc, char **argv);
void merge_usage(FILE *out);

/* Moves the cases of the n runs into *out (the runs are left without cases; free them with
 * result_free). Returns 0, or -1 with a reason in err; `names` label the runs in messages. */
int merge_runs(run_result *runs, const char *const *names, size_t n, run_result *out, char *err,
               size_t errsz);

#endif
