/* cli: command-line options. cli_parse() fills an options struct or says what is wrong. */
#ifndef H1XX_CLI_H
#define H1XX_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define H1XX_VERSION "0.1.0"

enum { EXIT_OK = 0, EXIT_FAILURES = 1, EXIT_USAGE = 2, EXIT_UNREACHABLE = 3, EXIT_INTERRUPTED = 130,
       EXIT_TERMINATED = 143 };

typedef struct options {
    const char *url;
    const char *mode;
    const char *label; /* --label, recorded in the reports */
    const char *origin_listen;
    const char **filters;
    size_t nfilters;
    const char **excludes; /* -x/--exclude: applied after the filters */
    size_t nexcludes;
    const char *baseline;  /* --baseline FILE */
    bool strict_baseline;
    bool list;
    int jobs;
    bool strict;
    bool fail_untested; /* exit 1 when an area has no conclusive case (report_areas.h) */
    const char **sets; /* NAME=VALUE */
    size_t nsets;
    const char **var_files; /* --vars FILE, in order (read by main.c with vars.c) */
    size_t nvar_files;
    bool list_vars;         /* --list-vars or `h1xx vars` */
    const char **headers;
    size_t nheaders;
    int64_t timeout_ns, long_ns, quiet_ns, case_deadline_ns, deadline_ns, linger_ns;
    const char *junit, *json, *html, *report_dir;
    bool no_reports;
    bool no_preflight; /* skip the one plain request before the run (preflight.h) */
    bool junit_file_line;
    const char *junit_file_root; /* --junit-file-root DIR, or NULL */
    const char *cases_dir;
    bool insecure;
    const char *cacert;
    long max_head, max_interim, max_bytes;
    int color; /* -1 auto, 0 never, 1 always */
    int verbosity;
    int shard_i, shard_n; /* 1-based shard; 0/0 for all */
    long repeat;          /* run each selected case this many times (load) */
    char **driver;        /* client mode: the driver command (points into argv), or NULL */
    bool serve;           /* client mode: no driver, serve the cases to clients (--serve) */
    size_t ndriver;
} options;

/* Returns -1 (message printed) on a usage error, 1 when --help/--version was handled, 0 to
 * go on. The options point into argv; the arrays are malloc'd (cli_free). */
int cli_parse(int argc, char **argv, options *o);
void cli_free(options *o);
/* cli_doc.c: --help, and the roff OPTIONS and VARIABLES sections of h1xx.1 (make man), both
 * from one table of options with their defaults. */
void cli_usage(FILE *out);
void cli_man_options(FILE *out);
/* The same table as Markdown rows, for README.md's options table (a test holds them equal). */
void cli_markdown_options(FILE *out);
/* The default the table gives the long option lng ("--timeout" -> "3s"), or NULL; for the
 * test that keeps it equal to what cli_parse sets. */
const char *cli_doc_default(const char *lng);

#endif
