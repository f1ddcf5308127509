/* cli_doc: the one table of h1xx's options, their defaults and their descriptions. `h1xx --help`
 * prints it as text; the hidden `h1xx --man-options` prints it as the roff OPTIONS and VARIABLES
 * sections that `make man` puts into h1xx.1 (from h1xx.1.in), so the two cannot disagree. The
 * getopt table that parses the options is cli.c's; suite/packaging_test.py checks that both
 * name the same options and that h1xx.1 is what the binary generates. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "vars.h"

typedef struct cli_doc {
    const char *section; /* man page subsection this option opens, or NULL: the previous one */
    const char *shrt;    /* "-k", or NULL */
    const char *lng;     /* "--filter"; NULL: a man-only paragraph (man) after the options */
    const char *arg;     /* "GLOB", or NULL */
    const char *help;    /* one line for --help (wrapped there); the man text when man is NULL */
    const char *dflt;    /* the default, said by both, or NULL */
    const char *man;     /* roff for the man page, or NULL */
} cli_doc;

static const cli_doc docs[] = {
    {"Choosing cases", "-k", "--filter", "GLOB", "run the cases whose id or area matches "
     "(repeatable)", NULL,
     "Run the cases whose id (for example\n.BR continue/exp1\\-chunked )\nor area (for example\n"
     ".BR continue )\nmatches the shell pattern\n.IR GLOB .\nRepeatable; a case matching any "
     "pattern runs."},
    {NULL, "-x", "--exclude", "GLOB", "drop the cases whose id or area matches (repeatable; after -k)",
     NULL,
     "Drop the cases whose id or area matches\n.IR GLOB ,\nafter\n.BR \\-k .\nRepeatable."},
    {NULL, NULL, "--list", NULL, "print the cases, and the variables each needs, and exit", NULL,
     "Print the selected cases (id, level, requirements, title) and exit. A case that skips "
     "unless a variable is set ends with\n.RI \"[needs \\-\\-set \" NAME ]."},
    {NULL, NULL, "--shard", "I/N", "run the I-th of N slices of the cases", NULL,
     "Run only every\n.IR N \\-th\nselected case starting with the\n.IR I \\-th,\nfor the\n.I N\n"
     "jobs of a CI matrix. The split is deterministic (cases in id order). A shard left without "
     "a\ncase writes empty reports and exits 0. Combine the shards' results with\n"
     ".BR \"h1xx merge\" ."},
    {NULL, NULL, "--repeat", "N", "run each selected case N times, concurrently (load)", NULL,
     "Run each selected case\n.I N\ntimes at once, each copy with its own connections (load: for "
     "example many long 102 requests\nin flight through a proxy)."},
    {NULL, NULL, "--label", "TEXT", "what is tested, e.g. 'nginx 1.22.1 reverse-proxy', kept in "
     "the reports (h1xx matrix heads its columns with it)", NULL,
     "What is being tested, for example\n.IR \"nginx 1.22.1 reverse\\-proxy\" ,\nkept in the "
     "reports (the JSON's\n.BR label );\n.B h1xx matrix\nheads its columns with it."},
    {NULL, NULL, "--cases", "DIR", "the cases folder (default: $H1XX_CASES, else the installed "
     "one, found next to h1xx)", NULL,
     "The cases folder, instead of the one\n.B h1xx\nfinds itself (see\n.BR FILES )."},
    {NULL, "-m", "--mode", "MODE", "origin, reverse-proxy or forward-proxy", "origin",
     ".BR origin :\nthe target is an origin server.\n.B reverse\\-proxy\nand\n"
     ".BR forward\\-proxy :\nthe target is a proxy; h1xx also plays the origin behind it (see\n"
     ".BR \\-\\-origin\\-listen ),\nscripts what it sends, and measures each interim response's "
     "forwarding delay. Through a\nforward proxy the requests use the absolute form and name the "
     "embedded origin."},
    {NULL, NULL, "--origin-listen", "ADDR", "the embedded origin of the proxy modes (the proxy "
     "under test forwards to it)", "127.0.0.1:8081",
     "The address of the origin embedded in h1xx for the proxy modes;\n.B 0\nfor any free "
     "loopback port. Configure the reverse proxy under test to forward to it."},
    {NULL, NULL, "--listen", "ADDR", "client mode: where h1xx serves the client cases",
     "127.0.0.1:0",
     "Client mode\n.RB ( \"h1xx client\" ):\nthe address h1xx serves the client cases on;\n"
     ".B 127.0.0.1:0\n(the default) takes a free loopback port. The driver command after\n"
     ".B \\-\\-\nruns once a case, with\n.BR {url} \", \" {method} \", \" {body} \" and \" "
     "{upgrade}\nfilled in, and prints the final response's body."},
    {NULL, NULL, "--serve", NULL, "client mode without a driver: print each case's URL and "
     "wait for clients to come and post what they got", NULL,
     "Client mode without a driver, for clients that live inside a test framework: every case "
     "starts at once and prints one JSON line on stdout\n(case, url, method, upload, body, "
     "upgrade, result); the client makes the request and POSTs the body it got to the\n"
     ".B result\nURL (with an\n.B X\\-H1xx\\-Error\nfield when it failed instead, and the final "
     "response's fields as\n.B X\\-H1xx\\-Header\nfields). The run ends "
     "when every case has its result, at its bound\n(\\-\\-long\\-timeout plus \\-\\-timeout), or "
     "at\n.BR \\-\\-deadline ."},
    {"Running", "-j", "--jobs", "N", "cases in parallel", "16",
     "Cases in parallel, each with its own connections; any number the open-file limit allows "
     "(h1xx raises its soft limit to the hard one, and refuses a run that would not fit)."},
    {NULL, NULL, "--strict", NULL, "SHOULD violations fail", NULL,
     "A broken SHOULD (verdict\n.BR warn )\ncounts as a failure."},
    {NULL, NULL, "--fail-untested", NULL, "exit 1 when a selected area has no conclusive case "
     "(the summary says why, per area)", NULL,
     "Exit with status 1 when an area the run selected has no conclusive case (none passed, "
     "warned or failed: every one skipped, inconclusive or not run). The summary has one line "
     "per area saying whether it was tested and, if not, which premise failed or which\n"
     ".B \\-\\-set\nwould test it."},
    {NULL, NULL, "--baseline", "FILE", "known failures (a results.json, or 'ID VERDICT [REQ]' "
     "lines): reported, not failing; new failures fail", NULL,
     "Known failures, from a previous\n.B results.json\nor a text file of\n.I \"ID VERDICT "
     "[REQ]\"\nlines (see\n.BR \"h1xx baseline\" ).\nA case that fails as the baseline says is "
     "reported as an expected failure and does not fail the run;\nany other failure does, and "
     "the summary names it."},
    {NULL, NULL, "--strict-baseline", NULL, "a known failure that now passes fails the run too",
     NULL,
     "A known failure that now passes fails the run too (so that the baseline gets updated)."},
    {NULL, NULL, "--set", "NAME=VALUE", "case variable, e.g. upload_path=/upload (repeatable; "
     "wins over --vars)", NULL,
     "Set a case variable, for example\n.B upload_path=/upload\n(a URL that accepts uploads) or\n"
     ".B reject_path=/admin/upload\n(a URL that refuses uploads before reading them; the "
     "early-refusal cases skip without it).\nRepeatable; a later one wins, and every\n"
     ".B \\-\\-set\nwins over every\n.BR \\-\\-vars .\nA name no loaded case uses and h1xx does "
     "not set is a usage error that names the closest known one (see\n.BR VARIABLES )."},
    {NULL, NULL, "--vars", "FILE", "NAME=VALUE lines, # comments (repeatable; a later file wins)",
     NULL,
     "Read variables from\n.IR FILE :\none\n.IB NAME = VALUE\na line, blank lines and lines "
     "starting with\n.B #\nignored, spaces around the name and the value dropped, the value taken "
     "as written (no quotes).\nRepeatable; a later file wins over an earlier one. A bad line is a "
     "usage error given as\n.IR FILE : LINE : \" message\" ."},
    {NULL, NULL, "--list-vars", NULL, "print every variable, its default and the cases using it, "
     "and exit (also: h1xx vars)", NULL,
     "Print every variable: its name, where it comes from (built in, set by the run, or a "
     "case's), its default (or that the cases using it skip without it), what\n.B \\-\\-set\n"
     "or\n.B \\-\\-vars\nset it to, and the cases that use it; then exit.\n.B h1xx vars\n"
     "does the same."},
    {NULL, "-H", "--header", "'NAME: value'", "extra header in every request (repeatable)", NULL,
     "An extra header in every request (authentication, host routing). Repeatable."},
    {NULL, NULL, "--timeout", "DUR", "wait for an answer expected at once", "3s",
     "How long an answer expected at once may take."},
    {NULL, NULL, "--long-timeout", "DUR", "wait for an answer expected eventually", "10s",
     "How long an answer expected eventually may take."},
    {NULL, NULL, "--quiet-time", "DUR", "how long silence must last to count", "500ms",
     "How long silence must last to count as silence."},
    {NULL, NULL, "--case-deadline", "DUR", "bound on one case", "120s",
     "Bound on one case: past it the case ends as\n.BR error ."},
    {NULL, NULL, "--deadline", "DUR", "bound on the whole run", "none",
     "Bound on the whole run. Cases not finished by then are reported as\n.BR not\\-run ."},
    {NULL, NULL, "--linger", "DUR", "keep reading after a case's last step", "50ms",
     "How long to keep reading after a case's last step, to see anything a server sends late."},
    {NULL, NULL, NULL, NULL, NULL, NULL,
     ".PP\n.I DUR\nis a number with a unit:\n.BR 500ms \", \" 2s \", \" 1.5s \", \" 1m ;\n"
     "a bare number is seconds."},
    {"Reports", NULL, "--report-dir", "DIR", "where reports go", "reports",
     "Where the report files go."},
    {NULL, NULL, "--junit", "FILE", "JUnit XML report", "DIR/junit.xml",
     "The JUnit XML report. Valid against the xunit schema Jenkins uses; one\n.B testsuite\n"
     "per area; the transcript in\n.BR system\\-out ."},
    {NULL, NULL, "--json", "FILE", "JSON report", "DIR/results.json",
     "The JSON report: everything, with each message's arrival times and the exact bytes of the "
     "transcript. It is\nwhat\n.B h1xx merge\nreads."},
    {NULL, NULL, "--html", "FILE", "HTML report", "DIR/report.html",
     "The HTML report: one self-contained file that loads nothing from anywhere. A summary per "
     "area (and which\n.B \\-\\-set\nwould run the most skipped cases), filters by verdict and "
     "area, and for each case its facts, a timeline of when each interim and final\nresponse "
     "arrived, and the escaped wire transcript."},
    {NULL, NULL, "--no-reports", NULL, "write no report files but those named by --junit/--json/"
     "--html", NULL,
     "Write no report files but those named by\n.BR \\-\\-junit \", \" \\-\\-json \" or \" "
     "\\-\\-html ."},
    {NULL, NULL, "--junit-file-line", NULL, "add file, line and properties to JUnit test cases "
     "(for GitLab, GitHub annotations; no longer valid against the xunit XSD)", NULL,
     "Add\n.B file\nand\n.B line\nattributes (the case file) and\n.B properties\n(requirement "
     "ids, level, RFC section) to each JUnit test case, for the CI systems that read\nthem "
     "(GitLab, GitHub annotations). The report is then no longer valid against the xunit\n"
     "schema."},
    {NULL, NULL, "--junit-file-root", "DIR", "file attributes as DIR/AREA/NAME.case (default: the "
     "cases folder's name)", NULL,
     "With\n.BR \\-\\-junit\\-file\\-line ,\nwrite each\n.B file\nattribute as\n"
     ".IR DIR / AREA / NAME .case\n(default: the cases folder's name, for example\n"
     ".BR cases/continue/x.case ),\nso that annotations land on the repository's files."},
    {"Transport", NULL, "--no-preflight", NULL, "skip the pre-flight request that stops a run "
     "against a target that does not speak HTTP/1.x (exit 3)", NULL,
     "Skip the pre-flight: one plain request before the cases, which stops the run with one "
     "line and exit status 3 when the target plainly does not speak HTTP/1.x (an SSH banner, "
     "TLS on an\n.B http://\nURL) or, in the proxy modes, when the request does not reach the "
     "embedded origin."},
    {NULL, NULL, "--insecure", NULL, "do not verify TLS certificates", NULL, NULL},
    {NULL, NULL, "--cacert", "FILE", "CA certificates for TLS", NULL,
     "Trust the CA certificates in\n.I FILE\nfor TLS."},
    {"Limits", NULL, "--max-head", "N", "bytes in one response head", "65536", NULL},
    {NULL, NULL, "--max-interim", "N", "1xx responses before a final", "1000", NULL},
    {NULL, NULL, "--max-bytes", "N", "bytes kept per connection", "4194304", NULL},
    {"Output", NULL, "--color", "WHEN", "auto, always or never (NO_COLOR is honoured)", "auto",
     ".BR auto \" (colour on a terminal, unless \" NO_COLOR \" is set), \" always \" or \" "
     "never ."},
    {NULL, "-v", "--verbose", NULL, "transcripts of failing cases; -vv: of all cases", NULL,
     "Wire transcripts of failing cases;\n.B \\-vv\nof all cases."},
    {NULL, NULL, "--version", NULL, "print the version and exit", NULL, NULL},
    {NULL, NULL, "--help", NULL, "print the options and exit", NULL, NULL},
};

enum { NDOCS = sizeof docs / sizeof *docs, HELP_COL = 27, HELP_WIDTH = 90 };

const char *cli_doc_default(const char *lng)
{
    for (size_t i = 0; i < NDOCS; i++)
        if (docs[i].lng && strcmp(docs[i].lng, lng) == 0)
            return docs[i].dflt;
    return NULL;
}

/* ---- --help -------------------------------------------------------------------------------- */

/* Writes text from column col, wrapped at word boundaries under HELP_WIDTH, continuation lines
 * starting at HELP_COL. Returns the column it ended at. */
static size_t wrap(FILE *out, const char *text, size_t col)
{
    const char *p = text;
    while (*p) {
        size_t w = strcspn(p, " ");
        if (col > HELP_COL && col + 1 + w > HELP_WIDTH) {
            fprintf(out, "\n%*s", HELP_COL, "");
            col = HELP_COL;
        } else if (col > HELP_COL) {
            fputc(' ', out);
            col++;
        }
        fwrite(p, 1, w, out);
        col += w;
        p += w;
        p += strspn(p, " ");
    }
    return col;
}

static void help_option(FILE *out, const cli_doc *d)
{
    char left[64];
    snprintf(left, sizeof left, "  %s%s%s%s%s", d->shrt ? d->shrt : "  ", d->shrt ? ", " : "  ",
             d->lng, d->arg ? " " : "", d->arg ? d->arg : "");
    fputs(left, out);
    size_t col = strlen(left);
    if (col + 1 >= HELP_COL) {
        fprintf(out, "\n%*s", HELP_COL, "");
    } else {
        fprintf(out, "%*s", (int)(HELP_COL - col), "");
    }
    char text[256];
    size_t hl = strlen(d->help);
    if (!d->dflt) /* "...)" takes the default inside its parentheses: "...; default X)" */
        snprintf(text, sizeof text, "%s", d->help);
    else if (hl && d->help[hl - 1] == ')')
        snprintf(text, sizeof text, "%.*s; default %s)", (int)(hl - 1), d->help, d->dflt);
    else
        snprintf(text, sizeof text, "%s (default %s)", d->help, d->dflt);
    wrap(out, text, HELP_COL); /* the padding above ends at HELP_COL */
    fputc('\n', out);
}

void cli_usage(FILE *out)
{
    fputs("usage: h1xx [options] URL\n"
          "       h1xx --list [options]\n"
          "       h1xx client [options] -- COMMAND ARGS...   (an HTTP client: {url} {method} ...)\n"
          "       h1xx vars [options]                        (= h1xx --list-vars)\n"
          "       h1xx merge [options] OUT.json IN.json...   (see h1xx merge --help)\n"
          "       h1xx matrix [options] RESULTS.json...      (see h1xx matrix --help)\n"
          "       h1xx baseline RESULTS.json > known.txt     (known failures, for --baseline)\n"
          "Tests how an HTTP/1.1 server handles interim (1xx) responses.\n"
          "URL: http://host[:port][/path], https://..., unix:/socket/path[:/path]\n\n",
          out);
    for (size_t i = 0; i < NDOCS; i++)
        if (docs[i].lng)
            help_option(out, &docs[i]);
    fputs("Variables: h1xx vars lists every one, its default and the cases using it. h1xx's own:\n",
          out);
    size_t col = 0;
    for (const var_doc *v = vars_own; v->name; v++) {
        if (col + strlen(v->name) + 2 > HELP_WIDTH) {
            fputc('\n', out);
            col = 0;
        }
        col += (size_t)fprintf(out, "%s%s", col ? " " : "  ", v->name);
    }
    fputs("\nDUR: 500ms, 2s, 1.5s, 1m. Exit status: 0 no failure, 1 failures, 2 usage or case\n"
          "file error, 3 target unreachable, 130 interrupted (SIGINT), 143 (SIGTERM).\n",
          out);
}

/* ---- --man-options ------------------------------------------------------------------------- */

/* Writes s for roff: '-' as "\-", '\' as "\e", and "\&" before a '.' or '\'' opening a line. */
static void roff(FILE *out, const char *s)
{
    for (const char *p = s; *p; p++) {
        if ((p == s || p[-1] == '\n') && (*p == '.' || *p == '\''))
            fputs("\\&", out);
        if (*p == '-')
            fputs("\\-", out);
        else if (*p == '\\')
            fputs("\\e", out);
        else
            fputc(*p, out);
    }
}

static void man_option(FILE *out, const cli_doc *d)
{
    fputs(".TP\n", out);
    if (d->shrt) {
        fputs("\\fB", out);
        roff(out, d->shrt);
        fputs("\\fR, ", out);
    }
    fputs("\\fB", out);
    roff(out, d->lng);
    fputs("\\fR", out);
    if (d->arg) {
        fputs(" \\fI", out);
        roff(out, d->arg);
        fputs("\\fR", out);
    }
    fputc('\n', out);
    if (d->man) {
        fputs(d->man, out);
    } else { /* the --help line as a sentence */
        char first[2] = {d->help[0] >= 'a' && d->help[0] <= 'z' ? (char)(d->help[0] - 32)
                                                                  : d->help[0], 0};
        roff(out, first);
        roff(out, d->help + 1);
        fputc('.', out);
    }
    fputc('\n', out);
    if (d->dflt) {
        fputs("Default:\n.BR ", out);
        roff(out, d->dflt);
        fputs(" .\n", out);
    }
}

static void man_variables(FILE *out)
{
    fputs(".SH VARIABLES\n"
          "Cases use variables as\n.BI ${ NAME }\n(see\n.BR cases/FORMAT.md ).\n"
          "A case that uses a variable that is neither set nor given a default by the case skips, "
          "with the message\n.RI \"needs \\-\\-set \" NAME =VALUE;\n"
          "the console and HTML summaries end with the\n.B \\-\\-set\n"
          "that would run the most skipped cases.\n.B h1xx vars\nlists every variable the "
          "installed cases use, with its default and the cases that use it. h1xx sets these "
          "itself:\n",
          out);
    for (const var_doc *v = vars_own; v->name; v++) {
        fputs(".TP\n.B ", out);
        roff(out, v->name);
        fputc('\n', out);
        roff(out, v->what);
        fputs(v->source == VAR_RUN ? " (set by the run, as a case plays).\n" : ".\n", out);
    }
}

void cli_man_options(FILE *out)
{
    fputs(".\\\" Generated by h1xx --man-options from runner/cli_doc.c: edit that table, then run\n"
          ".\\\" make man.\n.SH OPTIONS\n",
          out);
    for (size_t i = 0; i < NDOCS; i++) {
        const cli_doc *d = &docs[i];
        if (d->section)
            fprintf(out, ".SS \"%s\"\n", d->section);
        if (d->lng)
            man_option(out, d);
        else
            fprintf(out, "%s\n", d->man);
    }
    man_variables(out);
}

/* ---- --markdown-options -------------------------------------------------------------------- */

/* Writes s with '|' escaped for a Markdown table cell. */
static void md(FILE *out, const char *s)
{
    for (; *s; s++) {
        if (*s == '|')
            fputc('\\', out);
        fputc(*s, out);
    }
}

void cli_markdown_options(FILE *out)
{
    fputs("| option | meaning |\n| --- | --- |\n", out);
    for (size_t i = 0; i < NDOCS; i++) {
        const cli_doc *d = &docs[i];
        if (!d->lng)
            continue;
        fputs("| `", out);
        if (d->shrt)
            fprintf(out, "%s, ", d->shrt);
        md(out, d->lng);
        if (d->arg) {
            fputc(' ', out);
            md(out, d->arg);
        }
        fputs("` | ", out);
        md(out, d->help);
        if (d->dflt)
            fprintf(out, " (default `%s`)", d->dflt);
        fputs(" |\n", out);
    }
}
