/* report: writers over one run_result (console, JUnit XML, JSON, HTML). File writers write to "PATH.tmp.PID" in the same
 * directory and rename it over PATH, so a crash or an interrupt never leaves half a report.
 * They return 0, or -1 with a one-line reason in err (errsz bytes). */
#ifndef H1XX_REPORT_H
#define H1XX_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "result.h"

typedef struct report_opts {
    bool junit_file_line; /* add testcase@file and @line (not valid against the xunit XSD) */
    const char *junit_file_root; /* --junit-file-root: file attributes are ROOT/AREA/NAME.case;
                                  * NULL: the cases folder's own name */
    bool strict;          /* warn counts as failure */
} report_opts;

int report_junit_write(const run_result *r, const char *path, const report_opts *o, char *err,
                       size_t errsz);
int report_json_write(const run_result *r, const char *path, const report_opts *o, char *err,
                      size_t errsz);
/* The self-contained HTML report: summary, filters, cases with timelines and transcripts. */
int report_html_write(const run_result *r, const char *path, const report_opts *o, char *err,
                      size_t errsz);

/* JSON string escaping and XML text escaping are exposed for the tests. They append to buf
 * (see util.h). Any byte is accepted; invalid UTF-8 and characters XML 1.0 cannot carry become
 * a visible placeholder ("\xHH" spelled out) so the output stays valid. */
struct buf;
void report_xml_escape(struct buf *out, const char *s, size_t len, bool attribute);
void report_json_escape(struct buf *out, const char *s, size_t len);

/* Console: progress on a TTY, plain lines otherwise; summary last. verbosity 0: failures with
 * evidence; 1 (-v): wire transcripts of failing cases; 2 (-vv): transcripts of all cases. */
struct baseline;

typedef struct console {
    FILE *out;
    /* --baseline, or NULL: case lines say "expected failure (baseline)" or "new failure", and
     * the progress line counts only failures that fail the run. Set after console_init. */
    const struct baseline *baseline;
    bool tty;
    bool color;
    int verbosity;
    bool strict;
    bool fail_untested; /* --fail-untested: the summary names the untested areas */
    size_t total, done, failed;
    bool progress_shown;
    int width; /* terminal columns (80 when unknown); the progress line stays shorter */
} console;

void console_init(console *c, FILE *out, int color_mode /* -1 auto, 0 never, 1 always */,
                  int verbosity, bool strict, size_t total);
void console_case_done(console *c, const case_result *cr); /* thread-safe to call under a lock */
void console_summary(console *c, const run_result *r);
/* Prints a transcript (sent/received bytes with timestamps) in a readable, escaped form. */
void console_transcript(FILE *out, const case_result *cr);

#endif
