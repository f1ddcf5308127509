/* report_areas: what a run tested, area by area, for the console and the HTML summary and for
 * --fail-untested. An area is tested when every selected case of it was conclusive (pass, warn
 * or fail), partly tested when some were, untested when none was. An inconclusive case says why:
 * a variable nobody set (missing_var), a premise that failed where a *_path variable held its
 * default (premise_var: "upload_path (/) left 2 cases inconclusive: ..."), or another reason
 * (its message). The hint line names the --set that would test the most: first the defaulted
 * paths whose premise failed (the user believes those cases ran), then the missing variables,
 * the one that would run the most cases first. */
#ifndef H1XX_REPORT_AREAS_H
#define H1XX_REPORT_AREAS_H

#include <stdbool.h>
#include <stddef.h>

#include "result.h"
#include "util.h"

#define AREA_VARS_MAX 4

typedef struct area_cov {
    const char *area; /* borrowed from the results, in the order areas first appear */
    size_t n, conclusive, missing, premise, other;
    const char *missing_vars[AREA_VARS_MAX]; /* distinct, in the order met */
    size_t nmissing_vars;
    const case_result *premise_case; /* the first case left inconclusive by a defaulted path */
    const case_result *other_case;   /* the first inconclusive for another reason */
} area_cov;

/* The areas of r's cases; *out is malloc'd (free() it). Returns how many. */
size_t report_areas(const run_result *r, area_cov **out);

/* True when some area has no conclusive case (what --fail-untested exits 1 on). */
bool report_any_untested(const run_result *r);

/* Appends "tested: all 4 cases conclusive", "partly tested: 8 of 11 cases conclusive; ..." or
 * "untested: ..." with the reasons, on one line (no newline). */
void report_area_text(buf_t *b, const area_cov *a);

/* What a *_path variable should point at: "PATH where the server reads the body"; "VALUE" for
 * a variable it does not know. */
const char *report_var_wants(const char *var);

/* Appends the hint "N skipped: --set upload_path=PATH where the server reads the body (2 cases
 * inconclusive at /), ws_path (20 cases), slow_path (5) ..." (no newline); nothing when no
 * skip names a variable. */
void report_gain_hint(buf_t *b, const run_result *r);

/* Appends "of the P passed, W are warnings (a SHOULD or practice rule broken; --strict fails
 * them)" or "of the P passed, none is a warning" (no newline); under strict, how many failed
 * as warnings. */
void report_warn_line(buf_t *b, const run_result *r, bool strict);

#endif
