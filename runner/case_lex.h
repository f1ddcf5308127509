/* case_lex: the case file lexer, private to the case loader (case_load.c): the parser's state
 * and errors ("file:line: message"), tokens, templates (escapes and ${variables}, each variable
 * noted on the case), status code sets, alternatives, durations and requirement ids. */
#ifndef H1XX_CASE_LEX_H
#define H1XX_CASE_LEX_H

#include <stdbool.h>
#include <stddef.h>

#include "case.h"

typedef struct parser {
    const char *name;
    int line;
    char *err;
    size_t errsz;
    const req_catalog *cat;
    case_def *c;
    step *last_expect; /* where "on" lines attach */
} parser;

/* Sets the error (with file and line) and returns -1. */
int perr(parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
const char *skip_ws(const char *s);
/* The next word, or a "quoted string" (\" and \\ inside); NULL at the end of the line. *bad
 * says an opening quote was never closed. */
char *next_token(const char **sp, bool *bad);
/* The rest of the line as text: a quoted string, or the words as written. */
char *rest_text(parser *p, const char *s);
/* A letter, digit or '_' (variable names). */
bool var_char(char ch);
/* Checks a template's escapes and ${names}, noting each variable on the case. */
int check_template(parser *p, const char *t);
/* "100", "1xx", "200-299", "!417", comma lists. */
int parse_codes(parser *p, const char *tok, code_set *cs);
/* interim, final, close, nothing, request: 0 and *k, or -1. */
int alt_of(const char *w, alt_kind *k);
bool is_code_token(const char *t);
/* A duration, or a template that expands to one when the case runs. */
int check_duration(parser *p, const char *t);
int check_require_id(parser *p, const char *id);

#endif
