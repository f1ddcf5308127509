/* vars: see vars.h. */
#include "vars.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* ---- spelling ------------------------------------------------------------------------------ */

static size_t min3(size_t a, size_t b, size_t c)
{
    size_t m = a < b ? a : b;
    return m < c ? m : c;
}

size_t vars_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), extra = 0;
    if (la > VARS_NAME_MAX || lb > VARS_NAME_MAX) {
        extra = la > lb ? la - lb : lb - la;
        la = la > VARS_NAME_MAX ? VARS_NAME_MAX : la;
        lb = lb > VARS_NAME_MAX ? VARS_NAME_MAX : lb;
    }
    /* Three rows of the dynamic-programming table: two back (for swaps), one back, this one. */
    size_t rows[3][VARS_NAME_MAX + 1];
    size_t *pp = rows[0], *p = rows[1], *cur = rows[2];
    for (size_t j = 0; j <= lb; j++)
        p[j] = j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t cost = a[i - 1] != b[j - 1];
            cur[j] = min3(p[j] + 1, cur[j - 1] + 1, p[j - 1] + cost);
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                pp[j - 2] + 1 < cur[j])
                cur[j] = pp[j - 2] + 1;
        }
        size_t *t = pp;
        pp = p;
        p = cur;
        cur = t;
    }
    return p[lb] + extra;
}

const char *vars_closest(const char *name, const char *const *known, size_t n)
{
    size_t len = strlen(name);
    size_t limit = len <= 4 ? 1 : len / 3 < 2 ? 2 : len / 3;
    const char *best = NULL;
    size_t best_d = limit + 1;
    for (size_t i = 0; i < n; i++) {
        size_t d = vars_distance(name, known[i]);
        if (d < best_d) {
            best_d = d;
            best = known[i];
        }
    }
    return best;
}

/* ---- settings ------------------------------------------------------------------------------ */

static void settings_push(var_settings *s, char *name, char *value, const char *from, int line)
{
    grow_array((void **)&s->v, &s->cap, s->n, sizeof *s->v);
    s->v[s->n++] = (var_setting){name, value, xstrdup(from), line};
}

static bool name_char(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '_';
}

static bool is_space(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\v' || ch == '\f';
}

/* [*b, *e) without the spaces at both ends. */
static void trim(const char **b, const char **e)
{
    while (*b < *e && is_space(**b))
        (*b)++;
    while (*e > *b && is_space((*e)[-1]))
        (*e)--;
}

static int line_error(char *err, size_t errsz, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static int line_error(char *err, size_t errsz, const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = xvasprintf(fmt, ap);
    va_end(ap);
    snprintf(err, errsz, "%s:%d: %s", file, line, msg);
    free(msg);
    return -1;
}

/* One line, without its newline and not blank or a comment. Appends the setting or fails. */
static int parse_line(const char *file, int ln, const char *b, const char *e, var_settings *s,
                      size_t first, char *err, size_t errsz)
{
    const char *eq = memchr(b, '=', (size_t)(e - b));
    if (!eq)
        return line_error(err, errsz, file, ln, "expected NAME=VALUE, got '%.*s'",
                          (int)(e - b > 60 ? 60 : e - b), b);
    const char *nb = b, *ne = eq, *vb = eq + 1, *ve = e;
    trim(&nb, &ne);
    trim(&vb, &ve);
    if (nb == ne)
        return line_error(err, errsz, file, ln, "no variable name before '='");
    for (const char *p = nb; p < ne; p++)
        if (!name_char(*p))
            return line_error(err, errsz, file, ln,
                              "bad variable name '%.*s' (letters, digits and _ only)",
                              (int)(ne - nb > 60 ? 60 : ne - nb), nb);
    size_t vlen = (size_t)(ve - vb);
    if (vlen >= 2 && (*vb == '"' || *vb == '\'') && ve[-1] == *vb)
        return line_error(err, errsz, file, ln,
                          "values are taken as written, without quotes: write %.*s=%.*s",
                          (int)(ne - nb), nb, (int)(vlen - 2 > 60 ? 60 : vlen - 2), vb + 1);
    char *name = xstrndup(nb, (size_t)(ne - nb));
    for (size_t i = first; i < s->n; i++)
        if (strcmp(s->v[i].name, name) == 0) {
            line_error(err, errsz, file, ln, "%s is already set on line %d", name, s->v[i].line);
            free(name);
            return -1;
        }
    settings_push(s, name, xstrndup(vb, vlen), file, ln);
    return 0;
}

static void settings_truncate(var_settings *s, size_t n)
{
    while (s->n > n) {
        var_setting *v = &s->v[--s->n];
        free(v->name);
        free(v->value);
        free(v->from);
    }
}

int vars_parse(const char *name, const char *text, size_t len, var_settings *s, char *err,
               size_t errsz)
{
    size_t first = s->n;
    const char *p = text, *end = text + len;
    for (int ln = 1; p < end; ln++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *e = nl ? nl : end, *b = p;
        p = nl ? nl + 1 : end;
        if (memchr(b, '\0', (size_t)(e - b))) {
            settings_truncate(s, first);
            return line_error(err, errsz, name, ln, "a NUL byte (is this a text file?)");
        }
        trim(&b, &e);
        if (b == e || *b == '#')
            continue;
        if (parse_line(name, ln, b, e, s, first, err, errsz)) {
            settings_truncate(s, first);
            return -1;
        }
    }
    return 0;
}

int vars_load_file(const char *path, var_settings *s, char *err, size_t errsz)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errsz, "h1xx: cannot read vars file %s: %s", path, strerror(errno));
        return -1;
    }
    char *text = xmalloc(VARS_FILE_MAX + 1);
    size_t len = fread(text, 1, VARS_FILE_MAX + 1, f);
    int rc = -1;
    if (ferror(f))
        snprintf(err, errsz, "h1xx: cannot read vars file %s", path);
    else if (len > VARS_FILE_MAX)
        snprintf(err, errsz, "h1xx: %s: larger than %d bytes; is it a vars file?", path,
                 VARS_FILE_MAX);
    else
        rc = vars_parse(path, text, len, s, err, errsz);
    fclose(f);
    free(text);
    return rc;
}

void vars_add_set(var_settings *s, const char *name_eq_value)
{
    const char *eq = strchr(name_eq_value, '=');
    settings_push(s, xstrndup(name_eq_value, (size_t)(eq - name_eq_value)), xstrdup(eq + 1),
                  "--set", 0);
}

const var_setting *vars_get(const var_settings *s, const char *name)
{
    for (size_t i = s->n; i-- > 0;)
        if (strcmp(s->v[i].name, name) == 0)
            return &s->v[i];
    return NULL;
}

void vars_settings_free(var_settings *s)
{
    settings_truncate(s, 0);
    free(s->v);
    memset(s, 0, sizeof *s);
}

/* ---- the table of known variables ---------------------------------------------------------- */

/* As main.c's build_vars and case_run.c's and case_proxy.c's locals set them. */
const var_doc vars_own[] = {
    {"host", "the URL's host", VAR_BUILTIN},
    {"port", "the URL's port (80 or 443 when it names none)", VAR_BUILTIN},
    {"authority", "host[:port] for Host (through a forward proxy: the embedded origin's)",
     VAR_BUILTIN},
    {"origin_authority", "proxy modes: the embedded origin's host:port", VAR_BUILTIN},
    {"path", "the URL's path (/ when it names none)", VAR_BUILTIN},
    {"timeout", "--timeout (default 3s)", VAR_BUILTIN},
    {"long", "--long-timeout (default 10s)", VAR_BUILTIN},
    {"quiet", "--quiet-time (default 500ms)", VAR_BUILTIN},
    {"status", "the status code of the last message an expect matched", VAR_RUN},
    {"status_after", "when that message began, after the last write on its connection "
     "(\"+5.0 ms\")", VAR_RUN},
    {"ws_key", "a fresh random Sec-WebSocket-Key for each case", VAR_RUN},
    {"ws_accept", "the Sec-WebSocket-Accept value for ${ws_key}", VAR_RUN},
    {"ws_sample_key", "RFC 6455's example Sec-WebSocket-Key", VAR_RUN},
    {"ws_sample_accept", "the Sec-WebSocket-Accept value for ${ws_sample_key}", VAR_RUN},
    {"base", "proxy modes: the path the embedded origin answers this case under", VAR_RUN},
    {"token", "proxy modes: the case's token in ${base}", VAR_RUN},
    {"reply", "client mode: the final body the driver must print (fresh and random per case)",
     VAR_RUN},
    {"reply_length", "client mode: the length of ${reply}", VAR_RUN},
    {"reply2", "client mode: the second request's final body (a 'client run ... second PATH')",
     VAR_RUN},
    {"client_ws_accept", "client mode: the Sec-WebSocket-Accept for the key of the client's "
     "last request (empty without one)", VAR_RUN},
    {NULL, NULL, VAR_BUILTIN},
};

static var_info *table_add(var_table *t, const char *name, var_source src, const char *dflt)
{
    grow_array((void **)&t->v, &t->cap, t->n, sizeof *t->v);
    var_info *v = &t->v[t->n++];
    memset(v, 0, sizeof *v);
    v->name = name;
    v->source = src;
    v->dflt = dflt;
    return v;
}

static var_info *table_get(var_table *t, const char *name)
{
    for (size_t i = 0; i < t->n; i++)
        if (strcmp(t->v[i].name, name) == 0)
            return &t->v[i];
    return NULL;
}

static const char *case_default(const case_def *c, const char *name)
{
    for (size_t i = 0; i < c->ndefaults; i++)
        if (strcmp(c->defaults[i].name, name) == 0)
            return c->defaults[i].value;
    return NULL;
}

static void note_use(var_info *v, const case_def *c)
{
    if (v->ncases && v->cases[v->ncases - 1] == c->id)
        return; /* a case naming it both in `default` and in a step */
    v->cases = xrealloc(v->cases, (v->ncases + 1) * sizeof *v->cases);
    v->cases[v->ncases++] = c->id;
    const char *d = v->source == VAR_CASE ? case_default(c, v->name) : NULL;
    if (!d)
        return;
    if (v->ndefaulted++ == 0)
        v->dflt = d;
    else if (strcmp(v->dflt, d) != 0)
        v->dflt_differs = true;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const var_info *)a)->name, ((const var_info *)b)->name);
}

static void add_case_name(var_table *t, const case_def *c, const char *name)
{
    var_info *v = table_get(t, name);
    if (!v)
        v = table_add(t, name, VAR_CASE, NULL);
    note_use(v, c);
}

void vars_table_build(var_table *t, const case_def *cases, size_t n)
{
    memset(t, 0, sizeof *t);
    for (const var_doc *d = vars_own; d->name; d++)
        table_add(t, d->name, d->source, d->what);
    size_t fixed = t->n;
    for (size_t i = 0; i < n; i++) {
        for (size_t k = 0; k < cases[i].nvars; k++)
            add_case_name(t, &cases[i], cases[i].vars[k]);
        for (size_t k = 0; k < cases[i].ndefaults; k++)
            add_case_name(t, &cases[i], cases[i].defaults[k].name);
    }
    if (t->n > fixed)
        qsort(t->v + fixed, t->n - fixed, sizeof *t->v, by_name);
}

const var_info *vars_table_find(const var_table *t, const char *name)
{
    return table_get((var_table *)t, name);
}

void vars_table_free(var_table *t)
{
    for (size_t i = 0; i < t->n; i++)
        free(t->v[i].cases);
    free(t->v);
    memset(t, 0, sizeof *t);
}

int vars_check_known(const var_table *t, const var_settings *s)
{
    for (size_t i = 0; i < s->n; i++) {
        const var_setting *v = &s->v[i];
        if (vars_table_find(t, v->name))
            continue;
        const char **names = xcalloc(t->n ? t->n : 1, sizeof *names);
        for (size_t k = 0; k < t->n; k++)
            names[k] = t->v[k].name;
        const char *near = vars_closest(v->name, names, t->n);
        if (v->line)
            fprintf(stderr, "%s:%d: ", v->from, v->line);
        else
            fputs("h1xx: ", stderr);
        fprintf(stderr, "unknown variable '%s'", v->name);
        if (near)
            fprintf(stderr, " (did you mean %s?)", near);
        fputs("; h1xx vars lists them\n", stderr);
        free(names);
        return -1;
    }
    return 0;
}

/* ---- printing ------------------------------------------------------------------------------ */

static const char *source_name(var_source s)
{
    return s == VAR_BUILTIN ? "built-in" : s == VAR_RUN ? "set by the run" : "case";
}

/* The default column: what the variable holds when nobody sets it. */
static void default_text(buf_t *b, const var_info *v)
{
    if (v->source != VAR_CASE) {
        buf_printf(b, "%s", v->dflt);
    } else if (!v->ndefaulted) {
        buf_printf(b, "(none: cases using it skip)");
    } else {
        buf_printf(b, "%s%s", v->dflt, v->dflt_differs ? " (differs by case)" : "");
        if (v->ndefaulted < v->ncases)
            buf_printf(b, " in %zu of %zu cases; the others skip", v->ndefaulted, v->ncases);
    }
}

/* "  used by 3 cases: a, b, c" wrapped under 100 columns. */
static void print_cases(FILE *out, const var_info *v)
{
    if (!v->ncases) {
        fputs("  used by no case\n", out);
        return;
    }
    fprintf(out, "  used by %zu case%s", v->ncases, v->ncases == 1 ? "" : "s");
    if (v->source != VAR_CASE) { /* always provided: the list would say nothing */
        fputc('\n', out);
        return;
    }
    size_t col = 100;
    for (size_t i = 0; i < v->ncases; i++) {
        size_t len = strlen(v->cases[i]);
        if (col + len + 2 > 100) {
            fputs(i ? ",\n    " : ":\n    ", out);
            col = 4;
        } else {
            fputs(", ", out);
            col += 2;
        }
        fputs(v->cases[i], out);
        col += len;
    }
    fputc('\n', out);
}

void vars_print(FILE *out, const var_table *t, const var_settings *s)
{
    fprintf(out, "%-20s %-15s %s\n", "VARIABLE", "FROM", "DEFAULT");
    for (size_t i = 0; i < t->n; i++) {
        const var_info *v = &t->v[i];
        buf_t b;
        buf_init(&b, 0);
        default_text(&b, v);
        fprintf(out, "%-20s %-15s %s\n", v->name, source_name(v->source), b.data ? b.data : "");
        buf_free(&b);
        const var_setting *set = vars_get(s, v->name);
        if (set && set->line)
            fprintf(out, "  set to '%s' by %s:%d\n", set->value, set->from, set->line);
        else if (set)
            fprintf(out, "  set to '%s' by --set\n", set->value);
        print_cases(out, v);
    }
    fputs("Set one with --set NAME=VALUE, or many with --vars FILE (NAME=VALUE lines).\n", out);
}

size_t vars_needed(const case_def *c, const var_table *t, buf_t *out)
{
    size_t k = 0;
    for (size_t i = 0; i < c->nvars; i++) {
        const var_info *v = vars_table_find(t, c->vars[i]);
        if ((v && v->source != VAR_CASE) || case_default(c, c->vars[i]))
            continue;
        buf_printf(out, "%s%s", k++ ? ", " : "", c->vars[i]);
    }
    return k;
}
