/* case_lex: the case file lexer (see case_lex.h). */
#include "case_lex.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* ---- errors and tokens --------------------------------------------------------------------- */

int perr(parser *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = xvasprintf(fmt, ap);
    va_end(ap);
    snprintf(p->err, p->errsz, "%s:%d: %s", p->name, p->line, msg);
    free(msg);
    return -1;
}

const char *skip_ws(const char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    return s;
}

/* Reads one token: a quoted string (with \" and \\) or a run of non-blanks. Returns a malloc'd
 * token, or NULL at end of line; sets *bad on an unterminated quote. */
char *next_token(const char **sp, bool *bad)
{
    const char *s = skip_ws(*sp);
    if (!*s)
        return NULL;
    buf_t b;
    buf_init(&b, 0);
    if (*s == '"') {
        s++;
        while (*s && *s != '"') {
            if (*s == '\\' && (s[1] == '"' || s[1] == '\\'))
                s++;
            buf_append(&b, s++, 1);
        }
        if (*s != '"')
            *bad = true;
        else
            s++;
    } else {
        while (*s && *s != ' ' && *s != '\t')
            buf_append(&b, s++, 1);
    }
    *sp = s;
    return buf_steal(&b);
}

/* The rest of the line as text: a single quoted string, or the bare remainder. */
char *rest_text(parser *p, const char *s)
{
    s = skip_ws(s);
    if (*s != '"')
        return xstrdup(s);
    bool bad = false;
    char *t = next_token(&s, &bad);
    if (bad || *skip_ws(s)) {
        free(t);
        perr(p, bad ? "unterminated quoted text" : "text after the closing quote");
        return NULL;
    }
    return t;
}

/* ---- templates: escapes and ${variables} ---------------------------------------------------- */

bool var_char(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '_';
}

static void note_var(case_def *c, const char *name, size_t len)
{
    for (size_t i = 0; i < c->nvars; i++)
        if (strlen(c->vars[i]) == len && memcmp(c->vars[i], name, len) == 0)
            return;
    c->vars = xrealloc(c->vars, (c->nvars + 1) * sizeof *c->vars);
    c->vars[c->nvars++] = xstrndup(name, len);
}

static int hexval(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

/* Checks a template's escapes and variable references, recording the variables used. */
int check_template(parser *p, const char *t)
{
    for (const char *s = t; *s; s++) {
        if (*s == '\\') {
            s++;
            if (*s == 'x') {
                if (hexval(s[1]) < 0 || hexval(s[2]) < 0)
                    return perr(p, "\\x needs two hex digits");
                s += 2;
            } else if (!*s || !strchr("rnt0\\$", *s)) {
                return perr(p, "unknown escape '\\%c' (use \\r \\n \\t \\0 \\\\ \\$ \\xHH)",
                            *s ? *s : ' ');
            }
        } else if (*s == '$' && s[1] == '{') {
            const char *n = s + 2, *e = n;
            while (var_char(*e))
                e++;
            if (*e != '}' || e == n)
                return perr(p, "bad variable reference (expected ${name})");
            note_var(p->c, n, (size_t)(e - n));
            s = e;
        }
    }
    return 0;
}

/* ---- status codes, alternatives, durations, requirement ids ------------------------------- */

int parse_codes(parser *p, const char *tok, code_set *cs)
{
    const char *s = tok;
    if (*s == '!')
        cs->negated = true, s++;
    while (*s) {
        if (cs->n == 8)
            return perr(p, "too many status code ranges (8 at most)");
        int lo = 0, hi = 0;
        if (s[0] >= '1' && s[0] <= '9' && s[1] == 'x' && s[2] == 'x') {
            lo = (s[0] - '0') * 100, hi = lo + 99, s += 3;
        } else {
            char *end;
            long a = strtol(s, &end, 10), b = a;
            if (end == s || a < 100 || a > 999)
                return perr(p, "bad status code '%s' (e.g. 100, 1xx, 200-299, !417)", tok);
            s = end;
            if (*s == '-') {
                b = strtol(s + 1, &end, 10);
                if (end == s + 1 || b < a || b > 999)
                    return perr(p, "bad status code range '%s'", tok);
                s = end;
            }
            lo = (int)a, hi = (int)b;
        }
        cs->r[cs->n].lo = (short)lo;
        cs->r[cs->n].hi = (short)hi;
        cs->n++;
        if (*s == ',')
            s++;
        else if (*s)
            return perr(p, "bad status code list '%s'", tok);
    }
    return cs->n ? 0 : perr(p, "empty status code list");
}

int alt_of(const char *w, alt_kind *k)
{
    static const char *const names[] = {"interim", "final", "close", "nothing", "request"};
    for (int i = 0; i < 5; i++)
        if (strcmp(w, names[i]) == 0) {
            *k = (alt_kind)i;
            return 0;
        }
    return -1;
}

bool is_code_token(const char *t)
{
    return t[0] == '!' || (t[0] >= '1' && t[0] <= '9');
}

int check_duration(parser *p, const char *t)
{
    int64_t ns;
    if (strchr(t, '$'))
        return check_template(p, t);
    if (parse_duration_ns(t, &ns))
        return perr(p, "bad duration '%s' (e.g. 500ms, 2s, 1.5s, ${timeout})", t);
    return 0;
}

int check_require_id(parser *p, const char *id)
{
    if (p->cat && !req_find(p->cat, id))
        return perr(p, "unknown requirement id '%s'", id);
    return 0;
}
