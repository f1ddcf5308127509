/* main: h1xx's entry point. Loads the cases, checks the target answers, runs the cases on the
 * scheduler, and writes the reports. "h1xx merge ..." is merge.c's. Exit statuses are in cli.h. */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "baseline.h"
#include "case.h"
#include "cli.h"
#include "fates.h"
#include "conn.h"
#include "fdlimit.h"
#include "origin.h"
#include "preflight.h"
#include "matrix.h"
#include "merge.h"
#include "report.h"
#include "report_areas.h"
#include "sched.h"
#include "util.h"
#include "vars.h"

/* ---- interrupts ---------------------------------------------------------------------------- */

static int intr_pipe[2] = {-1, -1};
/* The first signal that interrupted the run: SIGTERM exits 143, SIGINT 130 (128 + signal). */
static volatile sig_atomic_t interrupt_signal;

static void on_signal(int sig)
{
    if (!interrupt_signal)
        interrupt_signal = sig;
    char b = 1;
    ssize_t rc = write(intr_pipe[1], &b, 1);
    (void)rc;
}

static void setup_signals(void)
{
    if (pipe(intr_pipe) == 0) {
        fcntl(intr_pipe[1], F_SETFL, O_NONBLOCK);
        conn_set_interrupt_fd(intr_pipe[0]);
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

/* ---- finding the cases --------------------------------------------------------------------- */

static bool is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* --cases, then $H1XX_CASES, then cases/ beside the binary, then ../share/h1xx/cases. */
static char *find_cases_dir(const char *given)
{
    if (given)
        return xstrdup(given);
    const char *env = getenv("H1XX_CASES");
    if (env && *env)
        return xstrdup(env);
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash)
            *slash = '\0';
        char *a = xasprintf("%s/cases", exe);
        if (is_dir(a))
            return a;
        free(a);
        a = xasprintf("%s/../share/h1xx/cases", exe);
        if (is_dir(a))
            return a;
        free(a);
    }
    return xstrdup("cases");
}

static unsigned mode_bit(const char *mode)
{
    return strcmp(mode, "reverse-proxy") == 0   ? MODE_REVERSE_PROXY
           : strcmp(mode, "forward-proxy") == 0 ? MODE_FORWARD_PROXY
           : strcmp(mode, "client") == 0        ? MODE_CLIENT
                                                : MODE_ORIGIN;
}

static bool selected(const case_def *c, const options *o)
{
    if (!(c->modes & mode_bit(o->mode)))
        return false;
    for (size_t i = 0; i < o->nexcludes; i++)
        if (fnmatch(o->excludes[i], c->id, 0) == 0 || fnmatch(o->excludes[i], c->area, 0) == 0)
            return false;
    if (!o->nfilters)
        return true;
    for (size_t i = 0; i < o->nfilters; i++)
        if (fnmatch(o->filters[i], c->id, 0) == 0 || fnmatch(o->filters[i], c->area, 0) == 0)
            return true;
    return false;
}

/* Selected cases in id order; with --shard I/N every N-th of them from the I-th. *matched is
 * the number the filters selected before sharding. */
static const case_def **select_cases(case_def *all, size_t n, const options *o, size_t *out_n,
                                     size_t *matched)
{
    const case_def **sel = xcalloc(n ? n : 1, sizeof *sel);
    size_t k = 0, seen = 0;
    for (size_t i = 0; i < n; i++) {
        if (!selected(&all[i], o))
            continue;
        if (o->shard_n && (int)(seen++ % (size_t)o->shard_n) != o->shard_i - 1)
            continue;
        sel[k++] = &all[i];
    }
    if (o->repeat > 1 && k) { /* each case repeat times, the copies side by side */
        const case_def **rep = xcalloc(k * (size_t)o->repeat, sizeof *rep);
        for (size_t i = 0; i < k; i++)
            for (long r = 0; r < o->repeat; r++)
                rep[i * (size_t)o->repeat + (size_t)r] = sel[i];
        free(sel);
        sel = rep;
        k *= (size_t)o->repeat;
    }
    *out_n = k;
    *matched = o->shard_n ? seen : k;
    return sel;
}

/* Plain TCP and unix sockets are h1xx's own; libcurl serves TLS and the curl-upload steps. */
static bool needs_curl(const options *o, const case_def *const *cases, size_t n)
{
    if (o->url && ascii_ncasecmp(o->url, "https://", 8) == 0)
        return true;
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < cases[i]->nsteps; k++)
            if (cases[i]->steps[k].kind == STEP_CURL)
                return true;
    return false;
}

/* One line a case; a case that skips unless a variable is set ends with "[needs --set X]". */
static void list_cases(const case_def *const *cases, size_t n, const var_table *vt)
{
    for (size_t i = 0; i < n; i++) {
        const case_def *c = cases[i];
        printf("%-44s %-6s ", c->id, c->level);
        for (size_t r = 0; r < c->nrequire; r++)
            printf("%s%s", r ? "," : "", c->require[r]);
        printf("  %s", c->title);
        buf_t b;
        buf_init(&b, 0);
        if (vars_needed(c, vt, &b))
            printf("  [needs --set %s]", b.data);
        buf_free(&b);
        putchar('\n');
    }
    printf("%zu cases\n", n);
}

/* ---- variables ----------------------------------------------------------------------------- */

static void add_var(run_ctx *ctx, const char *name, const char *value)
{
    ctx->vars = xrealloc(ctx->vars, (ctx->nvars + 1) * sizeof *ctx->vars);
    ctx->vars[ctx->nvars++] = (var){xstrdup(name), xstrdup(value)};
}

static char *fmt_duration(int64_t ns)
{
    return xasprintf("%lldms", (long long)(ns / 1000000));
}

static void build_vars(run_ctx *ctx, const target *t, const options *o, const var_settings *vs)
{
    char port[16];
    snprintf(port, sizeof port, "%d", t->port);
    add_var(ctx, "host", t->host);
    add_var(ctx, "port", port);
    /* Through a forward proxy the request names the embedded origin, so Host does too. */
    add_var(ctx, "authority", ctx->mode == MODE_FORWARD_PROXY ? origin_authority(ctx->org)
                                                              : t->authority);
    if (ctx->org)
        add_var(ctx, "origin_authority", origin_authority(ctx->org));
    add_var(ctx, "path", t->path);
    char *d = fmt_duration(o->timeout_ns);
    add_var(ctx, "timeout", d);
    free(d);
    d = fmt_duration(o->long_ns);
    add_var(ctx, "long", d);
    free(d);
    d = fmt_duration(o->quiet_ns);
    add_var(ctx, "quiet", d);
    free(d);
    for (size_t i = 0; i < vs->n; i++) /* in order: later files, then --set, win */
        add_var(ctx, vs->v[i].name, vs->v[i].value);
}

/* The --vars files in order, then every --set; checked against the known variables. */
static int load_settings(const options *o, const var_table *vt, var_settings *vs)
{
    char err[512];
    for (size_t i = 0; i < o->nvar_files; i++)
        if (vars_load_file(o->var_files[i], vs, err, sizeof err)) {
            fprintf(stderr, "%s\n", err);
            return -1;
        }
    for (size_t i = 0; i < o->nsets; i++)
        vars_add_set(vs, o->sets[i]);
    return vars_check_known(vt, vs);
}

static void free_vars(run_ctx *ctx)
{
    for (size_t i = 0; i < ctx->nvars; i++) {
        free(ctx->vars[i].name);
        free(ctx->vars[i].value);
    }
    free(ctx->vars);
}

/* ---- reports ------------------------------------------------------------------------------- */

/* mkdir -p: dir and every missing parent (reports/1 in a fresh CI checkout). */
static int make_dirs(char *dir)
{
    if (is_dir(dir))
        return 0;
    for (char *p = dir + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        int rc = is_dir(dir) || mkdir(dir, 0777) == 0 ? 0 : -1;
        *p = '/';
        if (rc)
            return -1;
    }
    return mkdir(dir, 0777) == 0 || is_dir(dir) ? 0 : -1; /* a file there is no folder */
}

/* Makes sure a report can be written there before spending time on the run. */
static int check_report_path(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *dir = !slash ? xstrdup(".") : slash == path ? xstrdup("/")
                                      : xstrndup(path, (size_t)(slash - path));
    int rc = 0;
    if (make_dirs(dir) != 0) {
        fprintf(stderr, "h1xx: cannot create report folder %s: %s\n", dir, strerror(errno));
        rc = -1;
    } else if (access(dir, W_OK) != 0) {
        fprintf(stderr, "h1xx: cannot write reports in %s: %s\n", dir, strerror(errno));
        rc = -1;
    }
    free(dir);
    return rc;
}

static int write_reports(const run_result *rr, const char *junit, const char *json,
                         const char *html, const options *o)
{
    report_opts ro = {.junit_file_line = o->junit_file_line, .strict = o->strict,
                      .junit_file_root = o->junit_file_root};
    char err[512];
    int rc = 0;
    if (junit && report_junit_write(rr, junit, &ro, err, sizeof err)) {
        fprintf(stderr, "h1xx: %s\n", err);
        rc = -1;
    }
    if (json && report_json_write(rr, json, &ro, err, sizeof err)) {
        fprintf(stderr, "h1xx: %s\n", err);
        rc = -1;
    }
    if (html && report_html_write(rr, html, &ro, err, sizeof err)) {
        fprintf(stderr, "h1xx: %s\n", err);
        rc = -1;
    }
    return rc;
}

/* ---- the run ------------------------------------------------------------------------------- */

static void on_case_done(void *arg, const case_result *r)
{
    console_case_done(arg, r);
}

/* Client mode's "target" in the reports: the driver command. */
static char *client_command(const options *o)
{
    if (o->serve)
        return xstrdup("(--serve: the clients came to h1xx)");
    buf_t b;
    buf_init(&b, 4096);
    for (size_t i = 0; i < o->ndriver; i++)
        buf_printf(&b, "%s%s", i ? " " : "", o->driver[i]);
    buf_append(&b, "", 0);
    return buf_steal(&b);
}

/* Connects once before the run: an unreachable target is exit 3, not forty errors. */
static int probe(const run_ctx *ctx, const options *o)
{
    conn c;
    conn_status s = conn_open(&c, ctx->tgt, &ctx->copts, clock_ns() + o->timeout_ns);
    if (s != CONN_OK && s != CONN_INTR) {
        /* the reverse of the pre-flight's "this port speaks TLS", on the same line: a TLS
         * library that read bytes that are not a TLS record says so in these words (OpenSSL,
         * GnuTLS) */
        const char *e = c.errmsg ? c.errmsg : "";
        bool plain = ascii_ncasecmp(ctx->tgt->url, "https://", 8) == 0 &&
                     (strstr(e, "wrong version number") || strstr(e, "packet length too long") ||
                      strstr(e, "unexpected TLS packet") || strstr(e, "record layer failure"));
        fprintf(stderr, "h1xx: cannot reach %s: %s%s\n", ctx->tgt->url, e,
                plain ? " (this port answered without TLS, plain HTTP?: use http://)" : "");
    }
    conn_close(&c);
    return s == CONN_OK ? 0 : s == CONN_INTR ? 1 : -1;
}

/* 1 when the summary's last line counts a failure (result_tally), or under --fail-untested
 * when an area has no conclusive case (report_areas.h). */
static int exit_status(const run_result *rr, const options *o)
{
    if (rr->interrupted)
        return interrupt_signal == SIGTERM ? EXIT_TERMINATED : EXIT_INTERRUPTED;
    run_tally t;
    result_tally(rr, o->strict, &t);
    if (t.failed)
        return EXIT_FAILURES;
    return o->fail_untested && report_any_untested(rr) ? EXIT_FAILURES : EXIT_OK;
}

/* The upload cases could not decide at the default upload_path (the URL's path): worth a few
 * probes for a path that sends 100 Continue (origin mode, upload_path not set, not interrupted). */
static bool wants_upload_hint(const run_result *rr, const options *o, const run_ctx *ctx)
{
    if (ctx->mode != MODE_ORIGIN || rr->interrupted || rr->deadline_hit)
        return false;
    for (size_t i = 0; i < ctx->nvars; i++)
        if (strcmp(ctx->vars[i].name, "upload_path") == 0)
            return false;
    (void)o;
    for (size_t i = 0; i < rr->ncases; i++)
        if (rr->cases[i].premise_var && strcmp(rr->cases[i].premise_var, "upload_path") == 0)
            return true;
    return false;
}

static void fill_run(run_result *rr, const options *o, const char *url)
{
    char host[256] = "localhost";
    gethostname(host, sizeof host - 1);
    host[sizeof host - 1] = '\0';
    rr->target = xstrdup(url);
    rr->mode = xstrdup(o->mode);
    rr->label = o->label ? xstrdup(o->label) : NULL;
    rr->version = xstrdup(H1XX_VERSION);
    rr->hostname = xstrdup(host);
    rr->started_wall = time(NULL);
    rr->strict = o->strict;
    rr->shard_i = o->shard_i;
    rr->shard_n = o->shard_n;
}

static int run(const options *o, const case_def *const *sel, size_t nsel, const req_catalog *cat,
               const var_settings *vs, const baseline *base)
{
    target t;
    char err[512];
    /* client mode has no target: the cases' URLs are the embedded origin's */
    if (target_parse(o->url ? o->url : "http://127.0.0.1/", &t, err, sizeof err)) {
        fprintf(stderr, "h1xx: %s\n", err);
        target_free(&t);
        return EXIT_USAGE;
    }
    /* --no-reports drops the default files; a file named with --junit, --json or --html is
     * written. */
    char *junit = o->junit ? xstrdup(o->junit)
                  : o->no_reports ? NULL : xasprintf("%s/junit.xml", o->report_dir);
    char *json = o->json ? xstrdup(o->json)
                 : o->no_reports ? NULL : xasprintf("%s/results.json", o->report_dir);
    char *html = o->html ? xstrdup(o->html)
                 : o->no_reports ? NULL : xasprintf("%s/report.html", o->report_dir);
    run_ctx ctx = {.tgt = &t, .cat = cat, .headers = (char **)o->headers,
                   .nheaders = o->nheaders, .case_deadline_ns = o->case_deadline_ns,
                   .linger_ns = o->linger_ns};
    ctx.copts = (conn_opts){.insecure = o->insecure, .cacert = o->cacert,
                            .max_rx = (size_t)o->max_bytes};
    ctx.limits = (wire_limits){(size_t)o->max_head, 100, (size_t)o->max_interim};
    ctx.mode = mode_bit(o->mode);
    int status = EXIT_USAGE;
    if (ctx.mode != MODE_ORIGIN) {
        const char *listen = o->origin_listen ? o->origin_listen
                             : ctx.mode == MODE_CLIENT ? "127.0.0.1:0" : "127.0.0.1:8081";
        if (origin_start(&ctx.org, listen, (size_t)o->max_bytes, err, sizeof err)) {
            fprintf(stderr, "h1xx: %s\n", err);
            goto out;
        }
        fprintf(stderr, ctx.mode == MODE_CLIENT ? "h1xx: serving the client cases on http://%s/\n"
                                                : "h1xx: embedded origin listening on %s\n",
                origin_authority(ctx.org));
    }
    build_vars(&ctx, &t, o, vs);
    if ((junit && check_report_path(junit)) || (json && check_report_path(json)) ||
        (html && check_report_path(html)))
        goto out;
    status = EXIT_UNREACHABLE;
    ctx.driver = o->driver;
    ctx.ndriver = o->ndriver;
    ctx.serve = o->serve;
    int p = ctx.mode == MODE_CLIENT ? 0 : probe(&ctx, o);
    if (p == 0 && !o->no_preflight && ctx.mode != MODE_CLIENT)
        p = preflight_run(&ctx, o->timeout_ns); /* not HTTP, or a proxy that does not forward */
    if (p < 0)
        goto out;
    run_result rr = {0};
    char *driver = o->url ? NULL : client_command(o);
    fill_run(&rr, o, o->url ? o->url : driver);
    free(driver);
    ctx.run_start_ns = clock_ns();
    rr.start_mono_ns = ctx.run_start_ns;
    ctx.run_deadline_ns = o->deadline_ns ? ctx.run_start_ns + o->deadline_ns : 0;
    rr.cases = xcalloc(nsel ? nsel : 1, sizeof *rr.cases);
    rr.ncases = nsel;
    console con;
    console_init(&con, stdout, o->color, o->verbosity, o->strict, nsel);
    con.baseline = base;
    con.fail_untested = o->fail_untested;
    /* --serve: every case waits for its client at once, whatever order the clients come in */
    sched_run(sel, nsel, &ctx, o->serve ? (int)nsel : o->jobs, rr.cases, on_case_done, &con);
    rr.duration_ns = clock_ns() - ctx.run_start_ns;
    rr.interrupted = conn_interrupted();
    rr.deadline_hit = ctx.run_deadline_ns && clock_ns() >= ctx.run_deadline_ns;
    result_count(&rr);
    fates_link(&rr); /* a message one case's client got marks the case that wrote it */
    if (wants_upload_hint(&rr, o, &ctx))
        rr.upload_hint = preflight_upload_hint(&ctx, o->timeout_ns < 1000000000 ? o->timeout_ns
                                                                                : 1000000000);
    if (base) {
        rr.strict_baseline = o->strict_baseline;
        baseline_apply(base, &rr, o->strict);
    }
    int wrc = write_reports(&rr, junit, json, html, o);
    console_summary(&con, &rr);
    status = wrc ? EXIT_USAGE : exit_status(&rr, o);
    result_free(&rr);
out:
    origin_stop(ctx.org);
    free(junit);
    free(json);
    free(html);
    free_vars(&ctx);
    target_free(&t);
    return status;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "merge") == 0)
        return merge_main(argc - 1, argv + 1);
    if (argc > 1 && strcmp(argv[1], "matrix") == 0)
        return matrix_main(argc - 1, argv + 1);
    if (argc > 1 && strcmp(argv[1], "baseline") == 0)
        return baseline_main(argc - 1, argv + 1);
    options o;
    int rc = cli_parse(argc, argv, &o);
    if (rc) {
        cli_free(&o);
        return rc > 0 ? EXIT_OK : EXIT_USAGE;
    }
    char *dir = find_cases_dir(o.cases_dir);
    char *catpath = xasprintf("%s/requirements.tsv", dir);
    req_catalog cat;
    char err[512];
    case_def *all = NULL;
    size_t nall = 0, nsel = 0;
    const case_def **sel = NULL;
    var_table vt = {0};
    var_settings vs = {0};
    baseline base = {0};
    int status = EXIT_USAGE;
    if (req_catalog_load(&cat, catpath, err, sizeof err)) {
        fprintf(stderr, "h1xx: %s\n", err);
        goto out;
    }
    if (case_load_dir(dir, &cat, &all, &nall)) {
        fprintf(stderr, "h1xx: the case files above have errors\n");
        goto out;
    }
    /* Every loaded case counts, not only the selected ones: one vars file serves every -k. */
    vars_table_build(&vt, all, nall);
    if (load_settings(&o, &vt, &vs))
        goto out;
    if (o.list_vars) {
        vars_print(stdout, &vt, &vs);
        status = EXIT_OK;
        goto out;
    }
    size_t matched = 0;
    sel = select_cases(all, nall, &o, &nsel, &matched);
    if (o.list) {
        list_cases(sel, nsel, &vt);
        status = EXIT_OK;
        goto out;
    }
    if (matched == 0) { /* an empty shard of a non-empty selection runs, and reports nothing */
        fprintf(stderr, "h1xx: no case matches the filters\n");
        goto out;
    }
    fdlimit_raise();
    if (fdlimit_check(sel, nsel, o.jobs, mode_bit(o.mode), err, sizeof err)) {
        fprintf(stderr, "h1xx: %s\n", err);
        goto out;
    }
    if (o.baseline && baseline_load(&base, o.baseline, err, sizeof err)) {
        fprintf(stderr, "h1xx: %s\n", err);
        goto out;
    }
    /* libcurl (and its TLS library, 2 MiB) only when a TLS target or an upload step needs it */
    bool curl = needs_curl(&o, sel, nsel);
    if (curl)
        curl_global_init(CURL_GLOBAL_DEFAULT);
    setup_signals();
    status = run(&o, sel, nsel, &cat, &vs, o.baseline ? &base : NULL);
    if (curl)
        curl_global_cleanup();
out:
    baseline_free(&base);
    free(sel);
    vars_settings_free(&vs);
    vars_table_free(&vt);
    case_list_free(all, nall);
    req_catalog_free(&cat);
    free(catpath);
    free(dir);
    cli_free(&o);
    return status;
}
