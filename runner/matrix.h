/* matrix: the "h1xx matrix" subcommand. Reads the results.json files of runs against different
 * implementations (or roles of one) and writes one comparison table: a row per case, grouped by
 * area, with its requirement ids and level; a column per run, headed by its --label (else
 * "target (mode)"); in each cell the verdict and, for a fail or warn, the requirement broken.
 *
 *   h1xx matrix [--md FILE] [--html FILE] RESULTS.json...
 *
 * Markdown: cells link to a numbered list of the messages below the tables. HTML: a cell's
 * message is shown under its verdict and in its title, and the cell links to the run's own
 * report (report.html#open=ID) when a report.html lies beside that results.json. A case a run
 * did not have (another mode) gets "n/a". Runs in the proxy modes that measured forwarding add a
 * "Forwarding delay" table: p50 / p99 / max per interim code, run-wide and per case id, a column
 * per run (fwd_stats.h). Without --md or --html the markdown goes to stdout.
 * Exit status: 0 written, 2 usage error, unreadable input or a report not written. */
#ifndef H1XX_MATRIX_H
#define H1XX_MATRIX_H

#include <stdio.h>

/* argv[0] is "matrix". Returns the exit status. */
int matrix_main(int argc, char **argv);
void matrix_usage(FILE *out);

#endif
