/* vars: the case variables a user sets. Three jobs, all before a run starts:
 * - settings: NAME=VALUE pairs from --vars files and --set, in the order they apply (files in
 *   the order given, then every --set, so a later one wins and --set wins over every file);
 * - the table of known variables: h1xx's built-ins, the ones a run sets itself, and every
 *   variable a loaded case uses or defaults, with its default and the cases that use it;
 * - spelling: an unknown name is refused with the closest known one (edit distance).
 * `h1xx vars` prints the table. */
#ifndef H1XX_VARS_H
#define H1XX_VARS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "case.h"
#include "util.h"

/* ---- spelling ------------------------------------------------------------------------------ */

/* The optimal-string-alignment distance between a and b: insertions, deletions, substitutions
 * and swaps of two neighbours each cost 1 ("uplod_path" is 1 from "upload_path"). Names longer
 * than VARS_NAME_MAX bytes are compared on their first VARS_NAME_MAX bytes plus the difference
 * in length. */
#define VARS_NAME_MAX 128
size_t vars_distance(const char *a, const char *b);

/* The name among known[0..n) closest to name, or NULL when none is close enough to be a likely
 * typo (distance 1 for names of up to 4 bytes, else at most a third of the length, at least 2).
 * Ties go to the earlier entry. */
const char *vars_closest(const char *name, const char *const *known, size_t n);

/* ---- settings ------------------------------------------------------------------------------ */

typedef struct var_setting {
    char *name, *value;
    char *from; /* the vars file's path, or "--set" */
    int line;   /* line in that file; 0 for --set */
} var_setting;

typedef struct var_settings {
    var_setting *v;
    size_t n, cap;
} var_settings;

/* Parses vars-file text (name is used in messages) and appends its settings to s. The format
 * is fixtures/reference.vars: one NAME=VALUE a line; blank lines and lines starting with '#'
 * are ignored; spaces around the name and the value are dropped; the value is taken as written
 * (no quotes, no escapes). Returns 0, or -1 with "NAME:LINE: message" in err (nothing of the
 * file is kept then). A name given twice in one file is an error; across files the later wins. */
#define VARS_FILE_MAX (1024 * 1024)
int vars_parse(const char *name, const char *text, size_t len, var_settings *s, char *err,
               size_t errsz);
/* Reads and parses a vars file (at most VARS_FILE_MAX bytes). A file that cannot be read gives
 * "h1xx: cannot read vars file PATH: reason" in err. */
int vars_load_file(const char *path, var_settings *s, char *err, size_t errsz);
/* Appends a --set NAME=VALUE (already checked to have a '=' after a non-empty name). */
void vars_add_set(var_settings *s, const char *name_eq_value);
/* The setting in effect for name (the last one), or NULL. */
const var_setting *vars_get(const var_settings *s, const char *name);
void vars_settings_free(var_settings *s);

/* ---- the table of known variables ---------------------------------------------------------- */

typedef enum var_source { VAR_BUILTIN, VAR_RUN, VAR_CASE } var_source;

typedef struct var_info {
    const char *name;   /* static storage or a case's (the cases outlive the table) */
    var_source source;
    const char *dflt;   /* built-in: what it holds; case: the first case default; else NULL */
    bool dflt_differs;  /* cases give it different defaults */
    size_t ndefaulted;  /* cases that give it a default */
    const char **cases; /* ids of the cases that use it */
    size_t ncases;
} var_info;

typedef struct var_table {
    var_info *v;
    size_t n, cap;
} var_table;

/* h1xx's own variables: the built-ins main.c sets from the URL and the options, then the ones a
 * run sets itself as a case plays; each with what it holds (for `h1xx vars` and the man page).
 * A NULL name ends the list. */
typedef struct var_doc {
    const char *name, *what;
    var_source source;
} var_doc;
extern const var_doc vars_own[];

/* Builds the table: vars_own first, then every variable of cases[0..n) in name order. Case
 * strings are borrowed: the cases must outlive the table. */
void vars_table_build(var_table *t, const case_def *cases, size_t n);
const var_info *vars_table_find(const var_table *t, const char *name);
void vars_table_free(var_table *t);

/* Checks every setting's name against the table. Returns 0, or -1 after printing to stderr
 * "h1xx: unknown variable 'uplod_path' (did you mean upload_path?); h1xx vars lists them" (for a
 * file setting, "FILE:LINE: " in front) for the first unknown one. */
int vars_check_known(const var_table *t, const var_settings *s);

/* `h1xx vars`: every variable, its default, where it comes from, what it is set to (if set),
 * and the cases that use it. */
void vars_print(FILE *out, const var_table *t, const var_settings *s);

/* The variables c needs that nothing provides by default (not built in, not set by the run,
 * no default in the case): appends their names to out, separated by ", ". Returns how many. */
size_t vars_needed(const case_def *c, const var_table *t, buf_t *out);

#endif
