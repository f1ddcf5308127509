/* cli: see cli.h. Every number and duration is checked; nothing is parsed with atoi. */
#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

enum {
    O_LIST = 256, O_STRICT, O_SET, O_TIMEOUT, O_LONG, O_QUIET, O_CASE_DEADLINE, O_DEADLINE,
    O_LINGER, O_JUNIT, O_JSON, O_REPORT_DIR, O_NO_REPORTS, O_FILE_LINE, O_CASES, O_INSECURE,
    O_CACERT, O_MAX_HEAD, O_MAX_INTERIM, O_MAX_BYTES, O_COLOR, O_VERSION, O_HELP, O_ORIGIN,
    O_SHARD, O_REPEAT, O_HTML, O_LABEL, O_VARS, O_LIST_VARS, O_BASELINE, O_STRICT_BASELINE,
    O_FILE_ROOT, O_NO_PREFLIGHT, O_SERVE, O_FAIL_UNTESTED,
};

static const struct option longopts[] = {
    {"mode", required_argument, 0, 'm'},
    {"origin-listen", required_argument, 0, O_ORIGIN},
    {"listen", required_argument, 0, O_ORIGIN}, /* client mode's name for it */
    {"serve", no_argument, 0, O_SERVE},
    {"filter", required_argument, 0, 'k'},
    {"exclude", required_argument, 0, 'x'},
    {"baseline", required_argument, 0, O_BASELINE},
    {"strict-baseline", no_argument, 0, O_STRICT_BASELINE},
    {"junit-file-root", required_argument, 0, O_FILE_ROOT},
    {"list", no_argument, 0, O_LIST},
    {"jobs", required_argument, 0, 'j'},
    {"strict", no_argument, 0, O_STRICT},
    {"fail-untested", no_argument, 0, O_FAIL_UNTESTED},
    {"set", required_argument, 0, O_SET},
    {"vars", required_argument, 0, O_VARS},
    {"list-vars", no_argument, 0, O_LIST_VARS},
    {"header", required_argument, 0, 'H'},
    {"timeout", required_argument, 0, O_TIMEOUT},
    {"long-timeout", required_argument, 0, O_LONG},
    {"quiet-time", required_argument, 0, O_QUIET},
    {"case-deadline", required_argument, 0, O_CASE_DEADLINE},
    {"deadline", required_argument, 0, O_DEADLINE},
    {"linger", required_argument, 0, O_LINGER},
    {"junit", required_argument, 0, O_JUNIT},
    {"json", required_argument, 0, O_JSON},
    {"html", required_argument, 0, O_HTML},
    {"report-dir", required_argument, 0, O_REPORT_DIR},
    {"no-reports", no_argument, 0, O_NO_REPORTS},
    {"no-preflight", no_argument, 0, O_NO_PREFLIGHT},
    {"junit-file-line", no_argument, 0, O_FILE_LINE},
    {"cases", required_argument, 0, O_CASES},
    {"shard", required_argument, 0, O_SHARD},
    {"repeat", required_argument, 0, O_REPEAT},
    {"label", required_argument, 0, O_LABEL},
    {"insecure", no_argument, 0, O_INSECURE},
    {"cacert", required_argument, 0, O_CACERT},
    {"max-head", required_argument, 0, O_MAX_HEAD},
    {"max-interim", required_argument, 0, O_MAX_INTERIM},
    {"max-bytes", required_argument, 0, O_MAX_BYTES},
    {"color", required_argument, 0, O_COLOR},
    {"verbose", no_argument, 0, 'v'},
    {"version", no_argument, 0, O_VERSION},
    {"help", no_argument, 0, O_HELP},
    {0, 0, 0, 0},
};

/* Prints "h1xx: " and fmt with arg, the user's text shown with control bytes as \xHH so that
 * the message stays one line and cannot drive the terminal. */
static int usage_error(const char *fmt, const char *arg)
{
    buf_t b;
    buf_init(&b, 4096);
    for (const char *p = arg ? arg : ""; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c < 0x20 || c == 0x7f)
            buf_printf(&b, "\\x%02X", c);
        else
            buf_append(&b, p, 1);
    }
    fputs("h1xx: ", stderr);
    fprintf(stderr, fmt, b.data ? b.data : "");
    fputs("\nTry 'h1xx --help'.\n", stderr);
    buf_free(&b);
    return -1;
}

static void push(const char ***arr, size_t *n, const char *v)
{
    *arr = xrealloc(*arr, (*n + 1) * sizeof **arr);
    (*arr)[(*n)++] = v;
}

static int duration_arg(const char *v, int64_t *out)
{
    if (parse_duration_ns(v, out) || *out <= 0)
        return usage_error("bad duration '%s' (e.g. 500ms, 2s, 1.5s, 1m)", v);
    return 0;
}

static int number_arg(const char *v, long min, long max, long *out)
{
    if (parse_long(v, min, max, out))
        return usage_error("bad number '%s'", v);
    return 0;
}

static int check_set(const char *v)
{
    const char *eq = strchr(v, '=');
    if (!eq || eq == v)
        return usage_error("--set needs NAME=VALUE, got '%s'", v);
    for (const char *p = v; p < eq; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '_'))
            return usage_error("bad variable name in --set '%s' (letters, digits, _)", v);
    return 0;
}

static int check_header(const char *v)
{
    const char *colon = strchr(v, ':');
    if (!colon || colon == v || strpbrk(v, "\r\n"))
        return usage_error("--header needs 'Name: value' on one line, got '%s'", v);
    return 0;
}

static int parse_shard(const char *v, options *o)
{
    long i, n;
    char *slash = strchr(v, '/');
    if (!slash)
        return usage_error("--shard needs I/N, got '%s'", v);
    char *a = xstrndup(v, (size_t)(slash - v));
    int bad = parse_long(a, 1, 100000, &i) || parse_long(slash + 1, 1, 100000, &n) || i > n;
    free(a);
    if (bad)
        return usage_error("--shard needs I/N with 1 <= I <= N, got '%s'", v);
    o->shard_i = (int)i;
    o->shard_n = (int)n;
    return 0;
}

static void defaults(options *o)
{
    memset(o, 0, sizeof *o);
    o->mode = "origin";
    o->jobs = 16;
    o->timeout_ns = 3000000000LL;
    o->long_ns = 10000000000LL;
    o->quiet_ns = 500000000LL;
    o->case_deadline_ns = 120000000000LL;
    o->linger_ns = 50000000LL;
    o->report_dir = "reports";
    o->max_head = 65536;
    o->max_interim = 1000;
    o->max_bytes = 4194304;
    o->color = -1;
    o->repeat = 1;
}

static int one_option(int ch, const char *arg, options *o)
{
    long v;
    switch (ch) {
    case 'm': o->mode = arg; return 0;
    case O_ORIGIN: o->origin_listen = arg; return 0;
    case 'k': push(&o->filters, &o->nfilters, arg); return 0;
    case 'x': push(&o->excludes, &o->nexcludes, arg); return 0;
    case O_BASELINE: o->baseline = arg; return 0;
    case O_STRICT_BASELINE: o->strict_baseline = true; return 0;
    case O_FILE_ROOT: o->junit_file_root = arg; return 0;
    case O_SERVE: o->serve = true; return 0;
    case O_LIST: o->list = true; return 0;
    case 'j':
        if (number_arg(arg, 1, 1000000, &v)) /* fdlimit.c checks what fits */
            return -1;
        o->jobs = (int)v;
        return 0;
    case O_STRICT: o->strict = true; return 0;
    case O_FAIL_UNTESTED: o->fail_untested = true; return 0;
    case O_SET:
        if (check_set(arg))
            return -1;
        push(&o->sets, &o->nsets, arg);
        return 0;
    case O_VARS: push(&o->var_files, &o->nvar_files, arg); return 0;
    case O_LIST_VARS: o->list_vars = true; return 0;
    case 'H':
        if (check_header(arg))
            return -1;
        push(&o->headers, &o->nheaders, arg);
        return 0;
    case O_TIMEOUT: return duration_arg(arg, &o->timeout_ns);
    case O_LONG: return duration_arg(arg, &o->long_ns);
    case O_QUIET: return duration_arg(arg, &o->quiet_ns);
    case O_CASE_DEADLINE: return duration_arg(arg, &o->case_deadline_ns);
    case O_DEADLINE: return duration_arg(arg, &o->deadline_ns);
    case O_LINGER: return duration_arg(arg, &o->linger_ns);
    case O_JUNIT: o->junit = arg; return 0;
    case O_JSON: o->json = arg; return 0;
    case O_HTML: o->html = arg; return 0;
    case O_REPORT_DIR: o->report_dir = arg; return 0;
    case O_NO_REPORTS: o->no_reports = true; return 0;
    case O_NO_PREFLIGHT: o->no_preflight = true; return 0;
    case O_FILE_LINE: o->junit_file_line = true; return 0;
    case O_CASES: o->cases_dir = arg; return 0;
    case O_SHARD: return parse_shard(arg, o);
    case O_REPEAT: return number_arg(arg, 1, 100000, &o->repeat);
    case O_LABEL: o->label = arg; return 0;
    case O_INSECURE: o->insecure = true; return 0;
    case O_CACERT: o->cacert = arg; return 0;
    case O_MAX_HEAD: return number_arg(arg, 256, 64L << 20, &o->max_head);
    case O_MAX_INTERIM: return number_arg(arg, 1, 10000000, &o->max_interim);
    case O_MAX_BYTES: return number_arg(arg, 4096, 1L << 30, &o->max_bytes);
    case O_COLOR:
        o->color = !strcmp(arg, "always") ? 1 : !strcmp(arg, "never") ? 0 : !strcmp(arg, "auto") ? -1 : -2;
        return o->color == -2 ? usage_error("--color takes auto, always or never, got '%s'", arg) : 0;
    case 'v': o->verbosity++; return 0;
    default: return usage_error("%s", "unknown option");
    }
}

/* Client mode: what follows the options (after "--") is the driver command; it needs no URL. */
static int cli_client_rest(int argc, char **argv, options *o)
{
    o->driver = argv + optind;
    o->ndriver = (size_t)(argc - optind);
    if (o->serve && o->ndriver)
        return usage_error("%s", "--serve takes no driver: the clients come to h1xx");
    if (!o->ndriver && !o->serve && !o->list && !o->list_vars)
        return usage_error("%s", "client mode needs a driver: h1xx client [options] -- COMMAND "
                                 "ARGS... ({url} {method} {body} {upgrade} {headers} {url2} "
                                 "are filled in)");
    if (o->strict_baseline && !o->baseline)
        return usage_error("%s", "--strict-baseline goes with --baseline FILE");
    return 0;
}

int cli_parse(int argc, char **argv, options *o)
{
    defaults(o);
    opterr = 0;
    optind = 1;
    if (argc > 1 && strcmp(argv[1], "--man-options") == 0) { /* hidden: for make man */
        cli_man_options(stdout);
        return 1;
    }
    if (argc > 1 && strcmp(argv[1], "--markdown-options") == 0) { /* hidden: README's table */
        cli_markdown_options(stdout);
        return 1;
    }
    if (argc > 1 && strcmp(argv[1], "vars") == 0) { /* h1xx vars [options] = --list-vars */
        o->list_vars = true;
        optind = 2;
    }
    bool client = argc > 1 && strcmp(argv[1], "client") == 0; /* h1xx client [opts] -- CMD */
    if (client) {
        o->mode = "client";
        optind = 2;
    }
    int ch; /* "+": in client mode the driver's own options after "--" stay the driver's */
    while ((ch = getopt_long(argc, argv, client ? "+m:k:x:j:H:v" : "m:k:x:j:H:v", longopts,
                             NULL)) != -1) {
        if (ch == O_HELP) {
            cli_usage(stdout);
            return 1;
        }
        if (ch == O_VERSION) {
            printf("h1xx %s\n", H1XX_VERSION);
            return 1;
        }
        if (ch == '?' || ch == ':')
            return usage_error("bad or incomplete option '%s'", argv[optind - 1]);
        if (one_option(ch, optarg, o))
            return -1;
    }
    if (strcmp(o->mode, "origin") && strcmp(o->mode, "reverse-proxy") &&
        strcmp(o->mode, "forward-proxy") && strcmp(o->mode, "client"))
        return usage_error("unknown mode '%s' (origin, reverse-proxy, forward-proxy, client)",
                           o->mode);
    if (strcmp(o->mode, "client") == 0)
        return cli_client_rest(argc, argv, o);
    if (o->serve)
        return usage_error("%s", "--serve goes with h1xx client");
    if (o->origin_listen && strcmp(o->mode, "origin") == 0)
        return usage_error("%s", "--origin-listen goes with --mode reverse-proxy or forward-proxy");
    if (optind < argc)
        o->url = argv[optind++];
    if (optind < argc)
        return usage_error("one URL only; unexpected '%s'", argv[optind]);
    if (!o->url && !o->list && !o->list_vars)
        return usage_error("%s", "no target URL given");
    if (o->strict_baseline && !o->baseline)
        return usage_error("%s", "--strict-baseline goes with --baseline FILE");
    if (o->max_head > 0 && o->max_bytes < o->max_head)
        return usage_error("%s", "--max-bytes must be at least --max-head");
    return 0;
}

void cli_free(options *o)
{
    free(o->filters);
    free(o->excludes);
    free(o->sets);
    free(o->var_files);
    free(o->headers);
}
