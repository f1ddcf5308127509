/* merge: see merge.h. */
#include "merge.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "report.h"
#include "result_load.h"
#include "util.h"

/* ---- checks -------------------------------------------------------------------------------- */

static int same_run(const run_result *runs, const char *const *names, size_t n, char *err,
                    size_t errsz)
{
    for (size_t i = 1; i < n; i++) {
        if (strcmp(runs[i].target, runs[0].target) != 0) {
            snprintf(err, errsz, "%s and %s are runs against different targets", names[0],
                     names[i]);
            return -1;
        }
        if (strcmp(runs[i].mode, runs[0].mode) != 0) {
            snprintf(err, errsz, "%s and %s are runs in different modes", names[0], names[i]);
            return -1;
        }
    }
    return 0;
}

/* Shards must all be of one count N, each of 1..N given once; or no input is a shard. */
static int check_shards(const run_result *runs, const char *const *names, size_t n, char *err,
                        size_t errsz)
{
    int count = runs[0].shard_n;
    for (size_t i = 0; i < n; i++)
        if (runs[i].shard_n != count) {
            snprintf(err, errsz, "%s and %s are not shards of one split (--shard I/N with the "
                                 "same N)", names[0], names[i]);
            return -1;
        }
    if (count == 0)
        return 0;
    const char **seen = xcalloc((size_t)count + 1, sizeof *seen);
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        int k = runs[i].shard_i;
        if (seen[k]) {
            snprintf(err, errsz, "shard %d/%d given twice: %s and %s", k, count, seen[k],
                     names[i]);
            rc = -1;
        }
        seen[k] = names[i];
    }
    for (int k = 1; k <= count && !rc; k++)
        if (!seen[k]) {
            snprintf(err, errsz, "shard %d/%d is missing: give the results.json of every shard",
                     k, count);
            rc = -1;
        }
    free(seen);
    return rc;
}

/* ---- merging ------------------------------------------------------------------------------- */

typedef struct entry {
    case_result *c;
    size_t run;
} entry;

static int cmp_entry(const void *a, const void *b)
{
    const entry *x = a, *y = b;
    int d = strcmp(x->c->id, y->c->id);
    if (!d)
        d = (x->run > y->run) - (x->run < y->run);
    return d ? d : (x->c > y->c) - (x->c < y->c); /* --repeat copies keep their order */
}

/* The merged run's own fields: the earliest start, the span to the latest end, any flag set. */
static void merge_header(const run_result *runs, size_t n, run_result *out)
{
    out->version = xstrdup(runs[0].version);
    out->target = xstrdup(runs[0].target);
    out->mode = xstrdup(runs[0].mode);
    out->label = runs[0].label ? xstrdup(runs[0].label) : NULL;
    out->hostname = xstrdup(runs[0].hostname ? runs[0].hostname : "");
    time_t start = runs[0].started_wall;
    for (size_t i = 0; i < n; i++)
        if (runs[i].started_wall < start)
            start = runs[i].started_wall;
    int64_t end = 0;
    for (size_t i = 0; i < n; i++) {
        int64_t e = (int64_t)(runs[i].started_wall - start) * 1000000000 + runs[i].duration_ns;
        end = e > end ? e : end;
        out->interrupted |= runs[i].interrupted;
        out->deadline_hit |= runs[i].deadline_hit;
        out->strict |= runs[i].strict;
        out->has_baseline |= runs[i].has_baseline; /* each shard ran with --baseline */
        out->strict_baseline |= runs[i].strict_baseline;
    }
    out->started_wall = start;
    out->duration_ns = end;
}

int merge_runs(run_result *runs, const char *const *names, size_t n, run_result *out, char *err,
               size_t errsz)
{
    memset(out, 0, sizeof *out);
    if (n == 0 || same_run(runs, names, n, err, errsz) || check_shards(runs, names, n, err, errsz))
        return -1;
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += runs[i].ncases;
    entry *e = xcalloc(total ? total : 1, sizeof *e);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < runs[i].ncases; j++)
            e[k++] = (entry){&runs[i].cases[j], i};
    qsort(e, total, sizeof *e, cmp_entry);
    /* one id in two runs is an error; in one run, it is --repeat's copies */
    for (size_t j = 1; j < total; j++)
        if (!strcmp(e[j - 1].c->id, e[j].c->id) && e[j - 1].run != e[j].run) {
            snprintf(err, errsz, "case %s is in both %s and %s", e[j].c->id, names[e[j - 1].run],
                     names[e[j].run]);
            free(e);
            return -1;
        }
    merge_header(runs, n, out);
    out->cases = xcalloc(total ? total : 1, sizeof *out->cases);
    for (size_t j = 0; j < total; j++)
        out->cases[j] = *e[j].c; /* moved: the source runs give up their cases below */
    out->ncases = total;
    for (size_t i = 0; i < n; i++)
        runs[i].ncases = 0;
    free(e);
    result_count(out);
    return 0;
}

/* ---- the subcommand ------------------------------------------------------------------------ */

void merge_usage(FILE *out)
{
    fputs("usage: h1xx merge [options] OUT.json IN.json...\n"
          "Combines the results.json files of several runs (e.g. --shard 1/N ... N/N) into one.\n"
          "\n"
          "      --junit FILE         also write the merged JUnit XML report\n"
          "      --html FILE          also write the merged HTML report\n"
          "      --junit-file-line    add file, line and properties to JUnit test cases\n"
          "      --junit-file-root DIR  file attributes as DIR/AREA/NAME.case\n"
          "      --strict             SHOULD violations fail\n"
          "      --help\n"
          "Exit status: 0 no failure, 1 failures (or cases not run), 2 inputs that do not make\n"
          "one run (unreadable, other target, case twice, shard missing) or a report not\n"
          "written.\n",
          out);
}

typedef struct merge_opts {
    const char *junit, *html, *out, *file_root;
    bool file_line, strict;
    char **inputs;
    size_t ninputs;
} merge_opts;

enum { M_JUNIT = 300, M_HTML, M_FILE_LINE, M_STRICT, M_HELP, M_FILE_ROOT };

/* Returns -1 on a usage error (message printed), 1 after --help, 0 to go on. */
static int merge_parse(int argc, char **argv, merge_opts *m)
{
    static const struct option longopts[] = {
        {"junit", required_argument, 0, M_JUNIT},
        {"html", required_argument, 0, M_HTML},
        {"junit-file-line", no_argument, 0, M_FILE_LINE},
        {"junit-file-root", required_argument, 0, M_FILE_ROOT},
        {"strict", no_argument, 0, M_STRICT},
        {"help", no_argument, 0, M_HELP},
        {0, 0, 0, 0},
    };
    memset(m, 0, sizeof *m);
    opterr = 0;
    optind = 1;
    int ch;
    while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (ch) {
        case M_JUNIT: m->junit = optarg; break;
        case M_HTML: m->html = optarg; break;
        case M_FILE_LINE: m->file_line = true; break;
        case M_FILE_ROOT: m->file_root = optarg; break;
        case M_STRICT: m->strict = true; break;
        case M_HELP: merge_usage(stdout); return 1;
        default:
            fprintf(stderr, "h1xx merge: bad or incomplete option '%s'\nTry 'h1xx merge "
                            "--help'.\n", argv[optind - 1]);
            return -1;
        }
    }
    if (argc - optind < 2) {
        fputs("h1xx merge: need OUT.json and at least one IN.json\nTry 'h1xx merge --help'.\n",
              stderr);
        return -1;
    }
    m->out = argv[optind];
    m->inputs = argv + optind + 1;
    m->ninputs = (size_t)(argc - optind - 1);
    return 0;
}

static int write_all(const run_result *r, const merge_opts *m)
{
    report_opts ro = {.junit_file_line = m->file_line, .strict = m->strict,
                      .junit_file_root = m->file_root};
    char err[512];
    int rc = 0;
    if (report_json_write(r, m->out, &ro, err, sizeof err))
        rc = -1, fprintf(stderr, "h1xx merge: %s\n", err);
    if (m->junit && report_junit_write(r, m->junit, &ro, err, sizeof err))
        rc = -1, fprintf(stderr, "h1xx merge: %s\n", err);
    if (m->html && report_html_write(r, m->html, &ro, err, sizeof err))
        rc = -1, fprintf(stderr, "h1xx merge: %s\n", err);
    return rc;
}

/* 1 exactly when the summary's last line counts a failure (result_tally). */
static int merged_status(const run_result *r, bool strict)
{
    run_tally t;
    result_tally(r, strict, &t);
    return t.failed ? EXIT_FAILURES : EXIT_OK;
}

/* "h1xx merge s1.json s2.json s3.json" forgot OUT.json: the first file would be overwritten
 * and its shard reported missing. A shard's results are never an output (a merge writes
 * shard null), so an OUT.json that already holds one is a usage error. */
static int check_out(const merge_opts *m)
{
    run_result r;
    char err[512];
    FILE *f = fopen(m->out, "rb");
    if (!f)
        return 0;
    fclose(f);
    int rc = 0;
    if (result_load_json(m->out, &r, err, sizeof err) == 0 && r.shard_n > 0) {
        fprintf(stderr, "h1xx merge: no OUT.json given: the first file, %s, is the results of "
                        "shard %d/%d, not an output\nusage: h1xx merge [options] OUT.json "
                        "IN.json...\n", m->out, r.shard_i, r.shard_n);
        rc = -1;
    }
    result_free(&r);
    return rc;
}

static int load_inputs(const merge_opts *m, run_result *runs)
{
    char err[512];
    for (size_t i = 0; i < m->ninputs; i++)
        if (result_load_json(m->inputs[i], &runs[i], err, sizeof err)) {
            fprintf(stderr, "h1xx merge: %s\n", err);
            return -1;
        }
    return 0;
}

int merge_main(int argc, char **argv)
{
    merge_opts m;
    int p = merge_parse(argc, argv, &m);
    if (p)
        return p > 0 ? EXIT_OK : EXIT_USAGE;
    run_result *runs = xcalloc(m.ninputs, sizeof *runs), merged = {0};
    char err[512];
    int status = EXIT_USAGE;
    if (check_out(&m) || load_inputs(&m, runs))
        goto out;
    if (merge_runs(runs, (const char *const *)m.inputs, m.ninputs, &merged, err, sizeof err)) {
        fprintf(stderr, "h1xx merge: %s\n", err);
        goto out;
    }
    merged.strict |= m.strict;
    if (write_all(&merged, &m))
        goto out;
    console con;
    console_init(&con, stdout, -1, 0, merged.strict, merged.ncases);
    printf("h1xx merge: %zu file%s, %zu cases -> %s\n", m.ninputs, m.ninputs == 1 ? "" : "s",
           merged.ncases, m.out);
    console_summary(&con, &merged);
    status = merged_status(&merged, merged.strict);
out:
    for (size_t i = 0; i < m.ninputs; i++)
        result_free(&runs[i]);
    free(runs);
    result_free(&merged);
    return status;
}
