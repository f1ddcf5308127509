/* baseline: known failures (--baseline FILE). A baseline says, per case id, which verdict a run
 * gave and which requirement that verdict cited. Against it, each case of a new run is marked
 * (result.h, baseline_mark): a failure seen again is "expected" (reported, not failing the run),
 * a failure the baseline does not know (absent, passing there, or citing another requirement)
 * is "new", a known failure that now passes is "fixed".
 *
 * Two file forms, told apart by their first non-blank byte ('{' is a results.json):
 * - a results.json of an earlier run: every case in it, passes included;
 * - text, one case a line: `CASE-ID VERDICT [REQ]`, blank lines and `#` comments ignored;
 *   VERDICT is a verdict name (pass, warn, fail, skip, error, not-run); REQ, when given, is the
 *   requirement the failure must cite to stay expected. `h1xx baseline results.json` writes it. */
#ifndef H1XX_BASELINE_H
#define H1XX_BASELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "result.h"

#define BASELINE_MAX_ENTRIES 100000
#define BASELINE_MAX_LINE 1024 /* bytes in one text line */
#define BASELINE_MAX_FILE (16L * 1024 * 1024)

typedef struct baseline_entry {
    char *id;
    verdict_t verdict;
    char *require; /* NULL: any requirement */
    int line;      /* text line (0 from a results.json) */
} baseline_entry;

typedef struct baseline {
    baseline_entry *e;
    size_t n, cap;
} baseline;

/* Parses the text form. name is used in messages ("known.txt:3: unknown verdict 'fial'").
 * Returns 0, or -1 with one line in err (the baseline then holds the lines before). A case id
 * given twice is an error. */
int baseline_parse_text(baseline *b, const char *text, size_t len, const char *name, char *err,
                        size_t errsz);
/* Adds every case of a run (its verdict and failed_require). */
void baseline_from_run(baseline *b, const run_result *r);
/* Reads path in either form. Returns 0, or -1 with a reason in err. */
int baseline_load(baseline *b, const char *path, char *err, size_t errsz);
void baseline_free(baseline *b);

const baseline_entry *baseline_find(const baseline *b, const char *id);
/* The mark of one case (strict: warn counts as a failure). */
baseline_mark baseline_classify(const baseline *b, const case_result *c, bool strict);
/* Marks every case of r and sets r->has_baseline. */
void baseline_apply(const baseline *b, run_result *r, bool strict);

/* Writes the text form of r's fail, warn and error cases: `ID VERDICT REQ`, with a header. */
void baseline_write_text(FILE *out, const run_result *r);
/* Appends the console lines about the marks (new failures named, expected and fixed counted);
 * nothing when r has no baseline. */
struct buf;
void baseline_summary(struct buf *out, const run_result *r);

/* h1xx baseline RESULTS.json: prints the text form to stdout. Returns an exit status. */
int baseline_main(int argc, char **argv);

#endif
