/* baseline: see baseline.h. */
#include "baseline.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "result_load.h"
#include "util.h"

#define NAMES_SHOWN 20 /* cases named in one summary line before "... N more" */

/* ---- entries ------------------------------------------------------------------------------- */

static void add_entry(baseline *b, const char *id, size_t idlen, verdict_t v, const char *req,
                      size_t reqlen, int line)
{
    grow_array((void **)&b->e, &b->cap, b->n, sizeof *b->e);
    baseline_entry *e = &b->e[b->n++];
    e->id = xstrndup(id, idlen);
    e->verdict = v;
    e->require = req && reqlen ? xstrndup(req, reqlen) : NULL;
    e->line = line;
}

const baseline_entry *baseline_find(const baseline *b, const char *id)
{
    for (size_t i = 0; id && i < b->n; i++)
        if (strcmp(b->e[i].id, id) == 0)
            return &b->e[i];
    return NULL;
}

void baseline_free(baseline *b)
{
    for (size_t i = 0; i < b->n; i++) {
        free(b->e[i].id);
        free(b->e[i].require);
    }
    free(b->e);
    memset(b, 0, sizeof *b);
}

/* ---- the text form ------------------------------------------------------------------------- */

static int verdict_parse(const char *s, size_t n, verdict_t *out)
{
    for (int v = 0; v < VERDICT_COUNT; v++) {
        const char *name = verdict_name((verdict_t)v);
        if (strlen(name) == n && ascii_ncasecmp(s, name, n) == 0) {
            *out = (verdict_t)v;
            return 0;
        }
    }
    return -1;
}

typedef struct span {
    const char *p;
    size_t n;
} span;

/* Splits a line into at most 4 blank-separated words; returns how many it found (4: too many). */
static size_t words(const char *s, size_t len, span w[4])
{
    size_t k = 0, i = 0;
    while (i < len && k < 4) {
        while (i < len && (s[i] == ' ' || s[i] == '\t'))
            i++;
        if (i == len)
            break;
        size_t start = i;
        while (i < len && s[i] != ' ' && s[i] != '\t')
            i++;
        w[k++] = (span){s + start, i - start};
    }
    return k;
}

static int line_error(char *err, size_t errsz, const char *name, int line, const char *why,
                      const span *w)
{
    if (w)
        snprintf(err, errsz, "%s:%d: %s '%.*s'", name, line, why, (int)(w->n > 80 ? 80 : w->n),
                 w->p);
    else
        snprintf(err, errsz, "%s:%d: %s", name, line, why);
    return -1;
}

static bool printable(const span *w)
{
    for (size_t i = 0; i < w->n; i++)
        if ((unsigned char)w->p[i] < 0x21 || w->p[i] == 0x7f)
            return false;
    return true;
}

static int parse_line(baseline *b, const char *s, size_t len, const char *name, int line,
                      char *err, size_t errsz)
{
    const char *hash = memchr(s, '#', len);
    if (hash)
        len = (size_t)(hash - s);
    span w[4];
    size_t k = words(s, len, w);
    if (k == 0)
        return 0;
    if (k < 2 || k > 3)
        return line_error(err, errsz, name, line, "expected `CASE-ID VERDICT [REQ]`", NULL);
    verdict_t v;
    if (!printable(&w[0]))
        return line_error(err, errsz, name, line, "control bytes in the case id", NULL);
    if (verdict_parse(w[1].p, w[1].n, &v))
        return line_error(err, errsz, name, line,
                          "unknown verdict (pass, warn, fail, skip, error, not-run):", &w[1]);
    char *id = xstrndup(w[0].p, w[0].n);
    bool dup = baseline_find(b, id) != NULL;
    free(id);
    if (dup)
        return line_error(err, errsz, name, line, "case given twice:", &w[0]);
    if (b->n >= BASELINE_MAX_ENTRIES)
        return line_error(err, errsz, name, line, "too many cases", NULL);
    add_entry(b, w[0].p, w[0].n, v, k == 3 ? w[2].p : NULL, k == 3 ? w[2].n : 0, line);
    return 0;
}

int baseline_parse_text(baseline *b, const char *text, size_t len, const char *name, char *err,
                        size_t errsz)
{
    size_t i = 0;
    for (int line = 1; i < len; line++) {
        const char *nl = memchr(text + i, '\n', len - i);
        size_t n = nl ? (size_t)(nl - (text + i)) : len - i;
        size_t end = n;
        if (end && text[i + end - 1] == '\r')
            end--;
        if (end > BASELINE_MAX_LINE)
            return line_error(err, errsz, name, line, "line too long", NULL);
        if (memchr(text + i, '\0', end))
            return line_error(err, errsz, name, line, "NUL byte", NULL);
        if (parse_line(b, text + i, end, name, line, err, errsz))
            return -1;
        i += n + (nl ? 1 : 0);
    }
    return 0;
}

/* ---- loading ------------------------------------------------------------------------------- */

void baseline_from_run(baseline *b, const run_result *r)
{
    for (size_t i = 0; i < r->ncases && b->n < BASELINE_MAX_ENTRIES; i++) {
        const case_result *c = &r->cases[i];
        if (!c->id || baseline_find(b, c->id)) /* --repeat: the first copy speaks */
            continue;
        const char *req = c->failed_require;
        add_entry(b, c->id, strlen(c->id), c->verdict, req, req ? strlen(req) : 0, 0);
    }
}

/* Reads at most BASELINE_MAX_FILE bytes of path into a malloc'd, NUL-terminated buffer. */
static char *read_file(const char *path, size_t *len, char *err, size_t errsz)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errsz, "cannot read baseline %s: %s", path, strerror(errno));
        return NULL;
    }
    buf_t b;
    buf_init(&b, (size_t)BASELINE_MAX_FILE + 1);
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0 && !b.truncated)
        buf_append(&b, chunk, n);
    bool bad = ferror(f) || b.truncated;
    fclose(f);
    if (bad) {
        snprintf(err, errsz, "cannot read baseline %s: %s", path,
                 b.truncated ? "larger than 16 MiB" : "read error");
        buf_free(&b);
        return NULL;
    }
    *len = b.len;
    return buf_steal(&b);
}

int baseline_load(baseline *b, const char *path, char *err, size_t errsz)
{
    size_t len = 0;
    char *text = read_file(path, &len, err, errsz);
    if (!text)
        return -1;
    size_t i = strspn(text, " \t\r\n");
    int rc;
    if (i < len && text[i] == '{') {
        run_result r;
        char why[512];
        rc = result_load_json(path, &r, why, sizeof why);
        if (rc)
            snprintf(err, errsz, "baseline: %s", why);
        else
            baseline_from_run(b, &r);
        result_free(&r);
    } else {
        rc = baseline_parse_text(b, text, len, path, err, errsz);
    }
    free(text);
    return rc;
}

/* ---- classification ------------------------------------------------------------------------ */

static bool failing(verdict_t v, bool strict)
{
    return v == VERDICT_FAIL || v == VERDICT_ERROR || (strict && v == VERDICT_WARN);
}

static bool known_bad(verdict_t v)
{
    return v == VERDICT_FAIL || v == VERDICT_ERROR || v == VERDICT_WARN;
}

/* A known failure covers the same verdict, and a known fail also covers a milder warn. */
static bool covers(verdict_t known, verdict_t now)
{
    return known == now || (known == VERDICT_FAIL && now == VERDICT_WARN);
}

baseline_mark baseline_classify(const baseline *b, const case_result *c, bool strict)
{
    const baseline_entry *e = baseline_find(b, c->id);
    if (failing(c->verdict, strict)) {
        if (!e || !known_bad(e->verdict) || !covers(e->verdict, c->verdict))
            return BASELINE_NEW;
        bool cites = c->failed_require && *c->failed_require;
        if (e->require && cites && strcmp(e->require, c->failed_require) != 0)
            return BASELINE_NEW;
        return BASELINE_EXPECTED;
    }
    if (!e || !known_bad(e->verdict))
        return BASELINE_NONE;
    if (c->verdict == VERDICT_PASS || (c->verdict == VERDICT_WARN && e->verdict != VERDICT_WARN))
        return BASELINE_FIXED;
    return BASELINE_NONE;
}

void baseline_apply(const baseline *b, run_result *r, bool strict)
{
    strict = strict || r->strict;
    for (size_t i = 0; i < r->ncases; i++)
        r->cases[i].baseline = baseline_classify(b, &r->cases[i], strict);
    r->has_baseline = true;
}

/* ---- writing ------------------------------------------------------------------------------- */

void baseline_write_text(FILE *out, const run_result *r)
{
    char when[32] = "";
    struct tm tm;
    if (gmtime_r(&r->started_wall, &tm))
        strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    fprintf(out, "# h1xx baseline: known failures of %s (%s), run at %s\n",
            r->target ? r->target : "?", r->mode ? r->mode : "?", when);
    fputs("# CASE-ID VERDICT REQUIREMENT; a case not listed is expected to pass or skip\n", out);
    for (size_t i = 0; i < r->ncases; i++) {
        const case_result *c = &r->cases[i];
        if (c->verdict != VERDICT_FAIL && c->verdict != VERDICT_WARN)
            continue;
        if (i && r->cases[i - 1].id && !strcmp(r->cases[i - 1].id, c->id))
            continue; /* --repeat copies */
        fprintf(out, "%s %s", c->id, verdict_name(c->verdict));
        if (c->failed_require && *c->failed_require && !strpbrk(c->failed_require, " \t#"))
            fprintf(out, " %s", c->failed_require);
        fputc('\n', out);
    }
}

/* Appends "N WHAT: id (REQ), id (REQ)" for the cases with mark m. */
static void mark_line(buf_t *out, const run_result *r, baseline_mark m, size_t n,
                      const char *one, const char *many, const char *tail)
{
    if (!n)
        return;
    buf_printf(out, "%zu %s: ", n, n == 1 ? one : many);
    size_t shown = 0;
    for (size_t i = 0; i < r->ncases; i++) {
        const case_result *c = &r->cases[i];
        if (c->baseline != m)
            continue;
        if (shown == NAMES_SHOWN) {
            buf_printf(out, ", ... %zu more", n - shown);
            break;
        }
        buf_printf(out, "%s%s", shown++ ? ", " : "", c->id);
        if (m == BASELINE_NEW)
            buf_printf(out, " (%s)", c->failed_require && *c->failed_require
                                         ? c->failed_require : verdict_name(c->verdict));
    }
    buf_printf(out, "%s\n", tail);
}

void baseline_summary(buf_t *out, const run_result *r)
{
    if (!r->has_baseline)
        return;
    run_tally t;
    result_tally(r, r->strict, &t);
    mark_line(out, r, BASELINE_EXPECTED, t.expected, "expected failure (baseline)",
              "expected failures (baseline)", "; reported, not failing the run");
    mark_line(out, r, BASELINE_NEW, t.new_failures, "new failure", "new failures", "");
    mark_line(out, r, BASELINE_FIXED, t.fixed, "known failure now passes",
              "known failures now pass",
              r->strict_baseline ? "; update the baseline (--strict-baseline: this fails the run)"
                                 : "; update the baseline");
}

/* ---- the subcommand ------------------------------------------------------------------------ */

static void baseline_usage(FILE *out)
{
    fputs("usage: h1xx baseline RESULTS.json > known.txt\n"
          "Writes the known failures (fail and warn cases, with the requirement each cites) of\n"
          "a run, for h1xx --baseline known.txt. Exit status: 0, or 2 when RESULTS.json cannot\n"
          "be read.\n",
          out);
}

int baseline_main(int argc, char **argv)
{
    if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        baseline_usage(stdout);
        return EXIT_OK;
    }
    if (argc != 2 || argv[1][0] == '-') {
        fputs("h1xx baseline: need one RESULTS.json (a results.json of an earlier run)\n"
              "Try 'h1xx baseline --help'.\n", stderr);
        return EXIT_USAGE;
    }
    run_result r;
    char err[512];
    if (result_load_json(argv[1], &r, err, sizeof err)) {
        fprintf(stderr, "h1xx baseline: %s\n", err);
        result_free(&r);
        return EXIT_USAGE;
    }
    baseline_write_text(stdout, &r);
    result_free(&r);
    return fflush(stdout) == 0 ? EXIT_OK : EXIT_USAGE;
}
