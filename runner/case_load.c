/* case_load: parses case files (format: cases/FORMAT.md): header lines, steps, and the checks
 * a whole case must pass. Every error names the file and line; nothing is skipped silently.
 * Tokens, templates and the small checks are the lexer's (case_lex.c); folders of case files
 * are case_dir.c's. */
#include "case.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "case_lex.h"
#include "util.h"

#define CASE_FILE_MAX (1024 * 1024)

/* ---- header lines -------------------------------------------------------------------------- */

static int set_once(parser *p, char **field, const char *key, const char *value)
{
    if (*field)
        return perr(p, "'%s' given twice", key);
    if (!*value)
        return perr(p, "'%s' needs a value", key);
    *field = xstrdup(value);
    return 0;
}

static int parse_require(parser *p, const char *s)
{
    bool bad = false;
    char *tok;
    while ((tok = next_token(&s, &bad))) {
        if (p->cat && !req_find(p->cat, tok)) {
            perr(p, "unknown requirement id '%s' (see cases/requirements.tsv)", tok);
            free(tok);
            return -1;
        }
        case_def *c = p->c;
        c->require = xrealloc(c->require, (c->nrequire + 1) * sizeof *c->require);
        c->require[c->nrequire++] = tok;
    }
    return p->c->nrequire ? 0 : perr(p, "'require' needs at least one id");
}

static int parse_modes(parser *p, const char *s)
{
    bool bad = false;
    char *tok;
    while ((tok = next_token(&s, &bad))) {
        unsigned m = strcmp(tok, "origin") == 0          ? MODE_ORIGIN
                     : strcmp(tok, "reverse-proxy") == 0 ? MODE_REVERSE_PROXY
                     : strcmp(tok, "forward-proxy") == 0 ? MODE_FORWARD_PROXY
                     : strcmp(tok, "client") == 0        ? MODE_CLIENT
                                                         : 0;
        if (!m) {
            perr(p, "unknown mode '%s' (origin, reverse-proxy, forward-proxy, client)", tok);
            free(tok);
            return -1;
        }
        free(tok);
        p->c->modes |= m;
    }
    return p->c->modes ? 0 : perr(p, "'modes' needs at least one mode");
}

static int parse_default(parser *p, const char *s)
{
    bool bad = false;
    char *name = next_token(&s, &bad);
    char *value = name ? rest_text(p, s) : NULL;
    if (!name || !value || !*value) {
        free(name);
        free(value);
        return perr(p, "'default' needs a variable name and a value");
    }
    for (const char *q = name; *q; q++)
        if (!var_char(*q)) {
            free(name);
            free(value);
            return perr(p, "bad variable name in 'default'");
        }
    case_def *c = p->c;
    c->defaults = xrealloc(c->defaults, (c->ndefaults + 1) * sizeof *c->defaults);
    c->defaults[c->ndefaults++] = (var_default){name, value};
    return check_template(p, value);
}

static int parse_about(parser *p, const char *s)
{
    case_def *c = p->c;
    char *old = c->about;
    c->about = old ? xasprintf("%s %s", old, skip_ws(s)) : xstrdup(skip_ws(s));
    free(old);
    return 0;
}

static int parse_id(parser *p, const char *s)
{
    if (set_once(p, &p->c->id, "id", skip_ws(s)))
        return -1;
    const char *id = p->c->id, *slash = strchr(id, '/');
    if (!slash || slash == id || !slash[1] || strchr(slash + 1, '/'))
        return perr(p, "id must be AREA/NAME");
    for (const char *q = id; *q; q++)
        if (!var_char(*q) && *q != '-' && *q != '/' && *q != '.')
            return perr(p, "id may hold letters, digits, '-', '_', '.' and one '/'");
    p->c->area = xstrndup(id, (size_t)(slash - id));
    p->c->line = p->line;
    return 0;
}

/* ---- steps --------------------------------------------------------------------------------- */

static step *new_step(parser *p, step_kind k)
{
    case_def *c = p->c;
    grow_array((void **)&c->steps, &c->steps_cap, c->nsteps, sizeof *c->steps);
    step *st = &c->steps[c->nsteps++];
    memset(st, 0, sizeof *st);
    st->kind = k;
    st->line = p->line;
    return st;
}

static int parse_send(parser *p, const char *s)
{
    bool raw = s[1] == '|';
    step_kind kind = s[0] == '<' ? STEP_ORIGIN_SEND : STEP_SEND;
    const char *text = s + (raw ? 2 : 1);
    if (*text == ' ')
        text++;
    else if (*text)
        return perr(p, "put a space after '>', '>|', '<' or '<|'");
    if (check_template(p, text))
        return -1;
    case_def *c = p->c;
    step *st = (c->nsteps && c->steps[c->nsteps - 1].kind == kind)
                   ? &c->steps[c->nsteps - 1]
                   : new_step(p, kind);
    grow_array((void **)&st->lines, &st->lines_cap, st->nlines, sizeof *st->lines);
    st->lines[st->nlines++] = (send_line){xstrdup(text), !raw};
    p->last_expect = NULL;
    return 0;
}

/* Parses the keywords after the alternatives of an expect line. */
static int expect_option(parser *p, step *st, const char *w, const char **s)
{
    bool bad = false;
    if (strcmp(w, "strict") == 0) {
        st->strict = true;
        return 0;
    }
    if (strcmp(w, "forwarded") == 0) {
        st->forwarded = true;
        return 0;
    }
    char **slot = (strcmp(w, "within") == 0 || strcmp(w, "for") == 0) ? &st->within
                  : strcmp(w, "as") == 0                              ? &st->as
                  : strcmp(w, "require") == 0                         ? &st->require
                                                                      : NULL;
    if (!slot)
        return perr(p, "unknown word '%s' in expect", w);
    if (*slot)
        return perr(p, "'%s' given twice", w);
    *slot = next_token(s, &bad);
    if (!*slot || bad)
        return perr(p, "'%s' needs a value", w);
    if (slot == &st->within)
        return check_duration(p, *slot);
    if (slot == &st->require)
        return check_require_id(p, *slot);
    return 0;
}

static int parse_expect(parser *p, const char *s)
{
    step *st = new_step(p, STEP_EXPECT);
    bool bad = false, want_alt = true;
    char *w;
    int rc = 0;
    while (rc == 0 && (w = next_token(&s, &bad))) {
        alt_kind k;
        if (strcmp(w, "|") == 0 || strcmp(w, "or") == 0) {
            rc = want_alt ? perr(p, "'%s' without an alternative before it", w) : 0;
            want_alt = true;
        } else if (want_alt && alt_of(w, &k) == 0 && k != ALT_REQUEST) {
            if (st->nalts == 4)
                rc = perr(p, "4 alternatives at most");
            else
                st->alts[st->nalts++].kind = k;
            want_alt = false;
        } else if (!want_alt && st->nalts && is_code_token(w)) {
            alt *a = &st->alts[st->nalts - 1];
            if (a->kind != ALT_INTERIM && a->kind != ALT_FINAL)
                rc = perr(p, "status codes only follow 'interim' or 'final'");
            else if (a->codes.n)
                rc = perr(p, "one status code list per alternative (use commas)");
            else
                rc = parse_codes(p, w, &a->codes);
        } else if (want_alt) {
            rc = perr(p, "expected interim, final, close or nothing, got '%s'", w);
        } else {
            rc = expect_option(p, st, w, &s);
        }
        free(w);
    }
    if (rc)
        return rc;
    if (bad)
        return perr(p, "unterminated quote");
    if (!st->nalts || want_alt)
        return perr(p, "expect needs alternatives: interim [CODES], final [CODES], close, nothing");
    p->last_expect = st;
    return 0;
}

static int parse_check_body(parser *p, const char *s, check *ck)
{
    bool bad = false;
    char *w = next_token(&s, &bad);
    if (w && strcmp(w, "header") != 0) {
        ck->msg_name = w;
        w = next_token(&s, &bad);
    }
    if (!w || strcmp(w, "header") != 0) {
        free(w);
        return perr(p, "check needs: [NAME] header FIELD present|absent|has TOKEN|is VALUE|"
                       "count N|within LIST");
    }
    free(w);
    ck->field = next_token(&s, &bad);
    char *op = next_token(&s, &bad);
    int rc = 0;
    if (!ck->field || !op)
        rc = perr(p, "check needs a field name and present, absent, has or is");
    else if (strcmp(op, "present") == 0)
        ck->op = CHECK_PRESENT;
    else if (strcmp(op, "absent") == 0)
        ck->op = CHECK_ABSENT;
    else if (!strcmp(op, "has") || !strcmp(op, "is") || !strcmp(op, "count") ||
             !strcmp(op, "within")) {
        ck->op = op[0] == 'h' ? CHECK_HAS : op[0] == 'i' ? CHECK_IS
                 : op[0] == 'c' ? CHECK_COUNT : CHECK_WITHIN;
        ck->value = next_token(&s, &bad);
        rc = ck->value ? check_template(p, ck->value) : perr(p, "'%s' needs a value", op);
        long n;
        if (rc == 0 && ck->op == CHECK_COUNT && parse_long(ck->value, 0, 1000, &n))
            rc = perr(p, "'count' needs a number");
    } else
        rc = perr(p, "unknown check '%s' (present, absent, has, is, count, within)", op);
    free(op);
    while (rc == 0 && (w = next_token(&s, &bad))) {
        if (strcmp(w, "require") == 0 && !ck->require) {
            ck->require = next_token(&s, &bad);
            rc = ck->require ? check_require_id(p, ck->require) : perr(p, "require needs an id");
        } else if (strcmp(w, "else") == 0 && !ck->else_skip) {
            char *k = next_token(&s, &bad);
            ck->else_done = k && !strcmp(k, "done");
            ck->else_skip = k && (ck->else_done || !strcmp(k, "skip")) ? next_token(&s, &bad) : NULL;
            rc = ck->else_skip ? check_template(p, ck->else_skip)
                               : perr(p, "'else' needs: skip \"reason\" or done \"text\"");
            free(k);
        } else {
            rc = perr(p, "unexpected '%s' in check", w);
        }
        free(w);
    }
    return (rc == 0 && bad) ? perr(p, "unterminated quote") : rc;
}

/* fail "text" [require ID]: the requirement the failure cites, when not the step's. */
static int parse_fail_action(parser *p, const char *s, action *a)
{
    bool bad = false;
    a->text = next_token(&s, &bad);
    if (bad || !a->text)
        return perr(p, "unterminated quoted text");
    char *w = next_token(&s, &bad);
    int rc = 0;
    if (w && strcmp(w, "require") == 0) {
        a->chk.require = next_token(&s, &bad);
        rc = a->chk.require ? check_require_id(p, a->chk.require) : perr(p, "'require' needs an id");
    } else if (w) {
        rc = perr(p, "text after the closing quote");
    }
    free(w);
    return rc ? rc : check_template(p, a->text);
}

static int parse_on(parser *p, const char *s)
{
    step *st = p->last_expect;
    if (!st)
        return perr(p, "'on' must follow an expect line");
    bool bad = false;
    char *w = next_token(&s, &bad), *act = next_token(&s, &bad);
    alt_kind k = ALT_FINAL;
    int rc = 0;
    if (!w || alt_of(w, &k))
        rc = perr(p, "'on' needs interim, final, close or nothing");
    else {
        bool found = false;
        for (int i = 0; i < st->nalts; i++)
            found |= st->alts[i].kind == k;
        if (!found)
            rc = perr(p, "'on %s': the expect above has no '%s' alternative", w, w);
    }
    free(w);
    code_set codes = {0};
    if (rc == 0 && act && is_code_token(act)) {
        if (k != ALT_INTERIM && k != ALT_FINAL)
            rc = perr(p, "status codes only follow 'interim' or 'final'");
        else
            rc = parse_codes(p, act, &codes);
        free(act);
        act = next_token(&s, &bad);
    }
    if (rc) {
        free(act);
        return rc;
    }
    grow_array((void **)&st->acts, &st->acts_cap, st->nacts, sizeof *st->acts);
    action *a = &st->acts[st->nacts];
    memset(a, 0, sizeof *a);
    a->on = k;
    a->codes = codes;
    a->line = p->line;
    static const char *const names[] = {"done", "skip", "fail", "note", "check"};
    int i = 0;
    while (act && i < 5 && strcmp(act, names[i]) != 0)
        i++;
    free(act);
    if (i == 5)
        return perr(p, "'on' action must be done, skip, fail, note or check");
    a->kind = (action_kind)i;
    st->nacts++;
    if (a->kind == ACT_CHECK)
        return parse_check_body(p, s, &a->chk);
    if (!*skip_ws(s))
        return (a->kind == ACT_DONE) ? 0 : perr(p, "'%s' needs a text", names[i]);
    if (a->kind == ACT_FAIL && *skip_ws(s) == '"') /* fail "text" [require ID] */
        return parse_fail_action(p, s, a);
    a->text = rest_text(p, s);
    return a->text ? check_template(p, a->text) : -1;
}

static int parse_simple_step(parser *p, const char *kw, const char *s)
{
    step_kind k = strcmp(kw, "pause") == 0      ? STEP_PAUSE
                  : strcmp(kw, "open") == 0     ? STEP_OPEN
                  : strcmp(kw, "close") == 0    ? STEP_CLOSE
                  : strcmp(kw, "shutdown") == 0 ? STEP_SHUTDOWN
                                                : STEP_NOTE;
    s = skip_ws(s);
    bool takes_arg = k == STEP_PAUSE || k == STEP_NOTE;
    if (!takes_arg && *s)
        return perr(p, "'%s' takes no argument", kw);
    if (takes_arg && !*s)
        return perr(p, "'%s' needs %s", kw, k == STEP_PAUSE ? "a duration" : "a text");
    step *st = new_step(p, k);
    p->last_expect = NULL;
    if (!takes_arg)
        return 0;
    st->arg = (k == STEP_NOTE) ? rest_text(p, s) : xstrdup(s);
    if (!st->arg)
        return -1;
    return k == STEP_PAUSE ? check_duration(p, st->arg) : check_template(p, st->arg);
}

/* ---- WebSocket, series, bounds and libcurl steps ------------------------------------------- */

static int opcode_of(const char *w)
{
    static const struct { const char *name; int op; } ops[] = {
        {"text", 1}, {"binary", 2}, {"close", 8}, {"ping", 9}, {"pong", 10},
    };
    for (size_t i = 0; i < sizeof ops / sizeof *ops; i++)
        if (strcmp(w, ops[i].name) == 0)
            return ops[i].op;
    return -1;
}

/* Options shared by steps that wait: within DUR, require ID, as NAME. */
static int wait_option(parser *p, step *st, const char *w, const char **s)
{
    if (strcmp(w, "within") && strcmp(w, "for") && strcmp(w, "require") && strcmp(w, "as"))
        return perr(p, "unexpected '%s'", w);
    return expect_option(p, st, w, s);
}

/* ws-send OPCODE [TEXT] / ws-expect OPCODE [TEXT] [within DUR] [require ID] */
static int parse_ws(parser *p, const char *s, bool send)
{
    step *st = new_step(p, send ? STEP_WS_SEND : STEP_WS_EXPECT);
    p->last_expect = NULL;
    bool bad = false;
    char *w = next_token(&s, &bad);
    st->opcode = w ? opcode_of(w) : -1;
    free(w);
    if (st->opcode < 0 || (send && st->opcode == 10) || (!send && st->opcode == 9))
        return perr(p, send ? "ws-send needs text, binary, ping or close"
                            : "ws-expect needs text, binary, pong or close");
    int rc = 0;
    while (rc == 0 && (w = next_token(&s, &bad))) {
        if (!st->arg && strcmp(w, "within") && strcmp(w, "require")) {
            st->arg = w;
            rc = check_template(p, st->arg);
            continue;
        }
        rc = send ? perr(p, "unexpected '%s' in ws-send", w) : wait_option(p, st, w, &s);
        free(w);
    }
    return (rc == 0 && bad) ? perr(p, "unterminated quote") : rc;
}

/* collect interim [CODES] until final [within DUR] [as NAME] [require ID] */
static int parse_collect(parser *p, const char *s)
{
    step *st = new_step(p, STEP_COLLECT);
    p->last_expect = NULL;
    bool bad = false;
    char *w = next_token(&s, &bad);
    int rc = (!w || strcmp(w, "interim")) ? perr(p, "collect needs: interim [CODES] until final") : 0;
    free(w);
    st->alts[0].kind = ALT_INTERIM;
    st->alts[1].kind = ALT_FINAL;
    st->nalts = 2;
    w = rc ? NULL : next_token(&s, &bad);
    if (w && is_code_token(w)) {
        rc = parse_codes(p, w, &st->alts[0].codes);
        free(w);
        w = rc ? NULL : next_token(&s, &bad);
    }
    if (rc == 0 && (!w || strcmp(w, "until") != 0))
        rc = perr(p, "collect needs 'until final'");
    free(w);
    w = rc ? NULL : next_token(&s, &bad);
    if (rc == 0 && (!w || strcmp(w, "final") != 0))
        rc = perr(p, "collect needs 'until final'");
    free(w);
    while (rc == 0 && (w = next_token(&s, &bad))) {
        if (is_code_token(w) && st->alts[1].codes.n == 0)
            rc = parse_codes(p, w, &st->alts[1].codes);
        else
            rc = wait_option(p, st, w, &s);
        free(w);
    }
    return rc;
}

static const char *const metric_names[] = {
    "interim-count", "first-interim", "first-response", "min-gap", "median-gap", "max-gap", "final-after",
    "hint-lead", "body-stall", "curl-total", "curl-status", "fwd-count", "fwd-dropped",
    "fwd-median", "fwd-max",
};

/* bound METRIC <=|<|>=|> VALUE [require ID] */
static int parse_bound(parser *p, const char *s)
{
    step *st = new_step(p, STEP_BOUND);
    p->last_expect = NULL;
    bool bad = false;
    st->metric = next_token(&s, &bad);
    char *op = next_token(&s, &bad);
    st->arg = next_token(&s, &bad);
    int rc = 0;
    bool known = false;
    for (size_t i = 0; st->metric && i < sizeof metric_names / sizeof *metric_names; i++)
        known |= strcmp(st->metric, metric_names[i]) == 0;
    if (!st->metric || !op || !st->arg)
        rc = perr(p, "bound needs: METRIC <=|<|>=|> VALUE");
    else if (!known)
        rc = perr(p, "unknown metric '%s' (interim-count, first-interim, first-response, min-gap, median-gap, "
                     "max-gap, final-after, hint-lead, body-stall, curl-total, curl-status, fwd-count, "
                     "fwd-dropped, fwd-median, fwd-max)",
                  st->metric);
    else if (!strcmp(op, "<=") || !strcmp(op, "<") || !strcmp(op, ">=") || !strcmp(op, ">"))
        st->bop = op[0] == '<' ? (op[1] ? BOUND_LE : BOUND_LT) : (op[1] ? BOUND_GE : BOUND_GT);
    else
        rc = perr(p, "bound needs <=, <, >= or >, got '%s'", op);
    free(op);
    if (rc == 0)
        rc = check_template(p, st->arg);
    char *w;
    while (rc == 0 && (w = next_token(&s, &bad))) {
        rc = strcmp(w, "require") ? perr(p, "unexpected '%s' in bound", w)
                                  : expect_option(p, st, w, &s);
        free(w);
    }
    return rc;
}

/* curl-upload METHOD PATH BYTES [expect] [within DUR] [require ID] */
static int parse_curl(parser *p, const char *s)
{
    step *st = new_step(p, STEP_CURL);
    p->last_expect = NULL;
    bool bad = false;
    st->method = next_token(&s, &bad);
    st->arg = next_token(&s, &bad);
    char *n = next_token(&s, &bad);
    int rc = 0;
    if (!st->method || !st->arg || !n || parse_long(n, 0, 1L << 30, &st->bytes))
        rc = perr(p, "curl-upload needs: METHOD PATH BYTES [expect] [within DUR] [require ID]");
    free(n);
    if (rc == 0)
        rc = check_template(p, st->arg);
    char *w;
    while (rc == 0 && (w = next_token(&s, &bad))) {
        if (strcmp(w, "expect") == 0)
            st->expect100 = true;
        else
            rc = wait_option(p, st, w, &s);
        free(w);
    }
    return rc;
}

/* ---- client mode: the driver, and the content the client sends -------------------------- */

/* client run METHOD PATH [upload BYTES] [upgrade PROTO] [second PATH] [within DUR] */
static int parse_client_run(parser *p, const char *s)
{
    step *st = new_step(p, STEP_CLIENT_RUN);
    bool bad = false;
    st->method = next_token(&s, &bad);
    st->arg = next_token(&s, &bad);
    int rc = (!st->method || !st->arg)
                 ? perr(p, "client run needs: METHOD PATH [upload BYTES] [upgrade PROTO] "
                           "[second PATH] [within DUR]")
                 : check_template(p, st->arg);
    char *w;
    while (rc == 0 && (w = next_token(&s, &bad))) {
        if (strcmp(w, "upload") == 0) {
            char *n = next_token(&s, &bad);
            if (!n || parse_long(n, 1, 64L << 20, &st->bytes))
                rc = perr(p, "'upload' needs a byte count (1 to 64 MiB)");
            free(n);
        } else if (strcmp(w, "upgrade") == 0 && !st->upgrade) {
            st->upgrade = next_token(&s, &bad);
            rc = st->upgrade ? check_template(p, st->upgrade) : perr(p, "'upgrade' needs a token");
        } else if (strcmp(w, "second") == 0 && !st->second) {
            st->second = next_token(&s, &bad);
            rc = st->second ? check_template(p, st->second) : perr(p, "'second' needs a path");
        } else {
            rc = wait_option(p, st, w, &s);
        }
        free(w);
    }
    return rc;
}

/* client run ... | client request [reused] | quiet | expect-body | expect-error [within DUR]
 * [require ID] */
static int parse_client(parser *p, const char *s)
{
    bool bad = false;
    char *w = next_token(&s, &bad);
    int rc = 0;
    p->last_expect = NULL;
    p->c->uses_client = true;
    if (w && strcmp(w, "run") == 0) {
        rc = parse_client_run(p, s);
    } else if (w && (strcmp(w, "expect-body") == 0 || strcmp(w, "expect-error") == 0 ||
                     strcmp(w, "request") == 0 || strcmp(w, "quiet") == 0)) {
        step *st = new_step(p, w[0] == 'r' || w[0] == 'q' ? STEP_CLIENT_REQUEST
                                                         : STEP_CLIENT_EXPECT);
        st->opcode = w[0] == 'q' ? 2 : w[7] == 'e'; /* 1: expect-error; 2: quiet */
        char *o;
        while (rc == 0 && (o = next_token(&s, &bad))) {
            if (w[0] == 'r' && (!strcmp(o, "reused") || !strcmp(o, "announced"))) /* 1, 3 */
                st->opcode = o[0] == 'r' ? 1 : 3;
            else if (w[0] == 'e' && strcmp(o, "control") == 0 && !st->arg) /* strict: control */
                rc = (st->strict = (st->arg = next_token(&s, &bad)) != NULL) ? 0
                     : perr(p, "'control' needs a text: what the control run shows");
            else
                rc = wait_option(p, st, o, &s);
            free(o);
        }
    } else if (w && strcmp(w, "check") == 0) { /* the fields the driver wrote to {headers} */
        step *st = new_step(p, STEP_CLIENT_EXPECT);
        st->opcode = 2;
        rc = parse_check_body(p, s, &st->chk);
    } else {
        rc = perr(p, "client needs run, request, quiet, expect-body, expect-error or check "
                     "header");
    }
    free(w);
    return rc;
}

/* origin content-starts within DUR | origin content-withheld for DUR [require ID] */
static int parse_origin_content(parser *p, const char *s, bool withheld)
{
    step *st = new_step(p, STEP_ORIGIN_CONTENT);
    p->last_expect = NULL;
    st->opcode = withheld;
    bool bad = false;
    char *w;
    int rc = 0;
    while (rc == 0 && (w = next_token(&s, &bad))) {
        rc = wait_option(p, st, w, &s);
        free(w);
    }
    return rc;
}

/* Client steps belong to client-mode cases, and a client case starts its driver. */
static int check_client_case(parser *p)
{
    case_def *c = p->c;
    if (!c->uses_client && !(c->modes & MODE_CLIENT))
        return 0;
    if (c->modes != MODE_CLIENT)
        return perr(p, "a case with client steps runs in client mode only (modes client)");
    if (!c->uses_client || c->steps[0].kind != STEP_CLIENT_RUN)
        return perr(p, "a client-mode case starts with 'client run'");
    return 0;
}

/* ---- the embedded origin's steps (proxy modes) --------------------------------------------- */

/* origin accept [| final] [| interim [CODES]] [within DUR] [require ID] */
static int parse_origin_accept(parser *p, const char *s)
{
    step *st = new_step(p, STEP_ORIGIN_ACCEPT);
    st->alts[st->nalts++].kind = ALT_REQUEST;
    bool bad = false;
    char *w;
    int rc = 0;
    while (rc == 0 && (w = next_token(&s, &bad))) {
        if (strcmp(w, "|") == 0 || strcmp(w, "or") == 0) {
            free(w);
            w = next_token(&s, &bad);
            alt_kind k;
            if (!w || alt_of(w, &k) || (k != ALT_FINAL && k != ALT_INTERIM) || st->nalts == 3) {
                rc = perr(p, "origin accept takes the alternatives | final and | interim [CODES]");
            } else {
                st->alts[st->nalts++].kind = k;
                if (k == ALT_INTERIM && is_code_token(s ? skip_ws(s) : "")) {
                    free(w);
                    w = next_token(&s, &bad);
                    rc = parse_codes(p, w, &st->alts[st->nalts - 1].codes);
                }
            }
        } else {
            rc = wait_option(p, st, w, &s);
        }
        free(w);
    }
    p->last_expect = st;
    return rc;
}

static int parse_origin(parser *p, const char *s)
{
    bool bad = false;
    char *w = next_token(&s, &bad);
    int rc = 0;
    p->c->uses_origin = true;
    if (!w)
        rc = perr(p, "origin needs accept, read, quiet, close, check, ws-send or ws-expect");
    else if (strcmp(w, "accept") == 0)
        rc = parse_origin_accept(p, s);
    else if (!strcmp(w, "read") || !strcmp(w, "close") || !strcmp(w, "quiet")) {
        step *st = new_step(p, w[0] == 'r'   ? STEP_ORIGIN_READ
                               : w[0] == 'q' ? STEP_ORIGIN_QUIET : STEP_ORIGIN_CLOSE);
        p->last_expect = NULL;
        char *o;
        while (rc == 0 && (o = next_token(&s, &bad))) {
            rc = st->kind == STEP_ORIGIN_CLOSE ? perr(p, "'origin close' takes no argument")
                                               : wait_option(p, st, o, &s);
            free(o);
        }
    } else if (strcmp(w, "check") == 0) {
        step *st = new_step(p, STEP_CHECK);
        p->last_expect = NULL;
        st->chk.on_origin = true;
        rc = parse_check_body(p, s, &st->chk);
    } else if (strcmp(w, "ws-send") == 0 || strcmp(w, "ws-expect") == 0) {
        rc = parse_ws(p, s, w[3] == 's');
        if (rc == 0)
            p->c->steps[p->c->nsteps - 1].on_origin = true;
    } else if (strcmp(w, "content-starts") == 0 || strcmp(w, "content-withheld") == 0) {
        rc = parse_origin_content(p, s, w[8] == 'w');
    } else
        rc = perr(p, "unknown origin step '%s' (accept, read, quiet, close, check, ws-send, ws-expect, "
                     "content-starts, content-withheld)", w);
    free(w);
    return rc;
}

/* ---- lines and files ----------------------------------------------------------------------- */

static int parse_line(parser *p, const char *line)
{
    const char *s = skip_ws(line);
    if ((*s == '>' || *s == '<') && s == line)
        return parse_send(p, s);
    if (!*s || *s == '#')
        return 0;
    const char *e = s;
    while (*e && *e != ' ' && *e != '\t')
        e++;
    char *kw = xstrndup(s, (size_t)(e - s));
    int rc;
    case_def *c = p->c;
    if (strcmp(kw, "id") == 0)
        rc = parse_id(p, e);
    else if (strcmp(kw, "title") == 0)
        rc = set_once(p, &c->title, kw, skip_ws(e));
    else if (strcmp(kw, "rfc") == 0)
        rc = set_once(p, &c->rfc, kw, skip_ws(e));
    else if (strcmp(kw, "level") == 0) {
        rc = set_once(p, &c->level, kw, skip_ws(e));
        if (!rc && strcmp(c->level, "MUST") && strcmp(c->level, "SHOULD") &&
            strcmp(c->level, "MAY") && strcmp(c->level, "PRACTICE"))
            rc = perr(p, "level must be MUST, SHOULD, PRACTICE or MAY");
    } else if (strcmp(kw, "require") == 0)
        rc = parse_require(p, e);
    else if (strcmp(kw, "modes") == 0)
        rc = parse_modes(p, e);
    else if (strcmp(kw, "default") == 0)
        rc = parse_default(p, e);
    else if (strcmp(kw, "about") == 0)
        rc = parse_about(p, e);
    else if (strcmp(kw, "expect") == 0)
        rc = parse_expect(p, e);
    else if (strcmp(kw, "on") == 0)
        rc = parse_on(p, e);
    else if (strcmp(kw, "check") == 0) {
        step *st = new_step(p, STEP_CHECK);
        rc = parse_check_body(p, e, &st->chk);
    } else if (!strcmp(kw, "ws-send") || !strcmp(kw, "ws-expect"))
        rc = parse_ws(p, e, kw[3] == 's');
    else if (strcmp(kw, "origin") == 0)
        rc = parse_origin(p, e);
    else if (strcmp(kw, "collect") == 0)
        rc = parse_collect(p, e);
    else if (strcmp(kw, "bound") == 0)
        rc = parse_bound(p, e);
    else if (strcmp(kw, "curl-upload") == 0)
        rc = parse_curl(p, e);
    else if (strcmp(kw, "client") == 0)
        rc = parse_client(p, e);
    else if (!strcmp(kw, "pause") || !strcmp(kw, "open") || !strcmp(kw, "close") ||
               !strcmp(kw, "shutdown") || !strcmp(kw, "note"))
        rc = parse_simple_step(p, kw, e);
    else
        rc = perr(p, "unknown keyword '%s'", kw);
    free(kw);
    return rc;
}

static int finish_case(parser *p)
{
    case_def *c = p->c;
    if (!c->id)
        return perr(p, "no 'id' line");
    if (!c->title)
        return perr(p, "no 'title' line");
    if (!c->nrequire)
        return perr(p, "no 'require' line");
    if (!c->level)
        return perr(p, "no 'level' line");
    if (!c->modes)
        c->modes = MODE_ORIGIN;
    if (c->uses_origin && (c->modes & MODE_ORIGIN))
        return perr(p, "a case with origin steps runs in reverse-proxy or forward-proxy mode only");
    if (check_client_case(p))
        return -1;
    if (!c->rfc) {
        const requirement *r = p->cat ? req_find(p->cat, c->require[0]) : NULL;
        c->rfc = xstrdup(r ? r->rfc : "");
    }
    bool sends = false;
    for (size_t i = 0; i < c->nsteps; i++)
        sends |= c->steps[i].kind == STEP_SEND || c->steps[i].kind == STEP_CURL ||
                 c->steps[i].kind == STEP_CLIENT_RUN;
    if (!sends)
        return perr(p, "the case sends nothing (no '>' lines)");
    return 0;
}

int case_load_buffer(const char *name, const char *text, size_t len, const req_catalog *cat,
                     case_def *c, char *err, size_t errsz)
{
    memset(c, 0, sizeof *c);
    c->file = xstrdup(name);
    parser p = {.name = name, .err = err, .errsz = errsz, .cat = cat, .c = c};
    size_t i = 0;
    while (i < len) {
        p.line++;
        size_t j = i;
        while (j < len && text[j] != '\n')
            j++;
        size_t n = j - i;
        if (n && text[i + n - 1] == '\r')
            n--;
        if (memchr(text + i, '\0', n)) {
            perr(&p, "NUL byte in the case file (write bytes as \\0 or \\x00)");
            return -1;
        }
        char *line = xstrndup(text + i, n);
        int rc = parse_line(&p, line);
        free(line);
        if (rc)
            return -1;
        i = j + 1;
    }
    return finish_case(&p);
}

int case_load_file(const char *path, const req_catalog *cat, case_def *c, char *err,
                   size_t errsz)
{
    memset(c, 0, sizeof *c);
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errsz, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    buf_t b;
    buf_init(&b, CASE_FILE_MAX);
    char tmp[8192];
    size_t n;
    while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
        buf_append(&b, tmp, n);
    bool rerr = ferror(f);
    fclose(f);
    int rc;
    if (rerr || b.truncated) {
        snprintf(err, errsz, "%s: %s", path, rerr ? "read error" : "larger than 1 MiB");
        rc = -1;
    } else {
        rc = case_load_buffer(path, b.data ? b.data : "", b.len, cat, c, err, errsz);
    }
    buf_free(&b);
    return rc;
}

static void free_check(check *ck)
{
    free(ck->msg_name);
    free(ck->field);
    free(ck->value);
    free(ck->require);
    free(ck->else_skip);
}

static void free_step(step *st)
{
    for (size_t i = 0; i < st->nlines; i++)
        free(st->lines[i].text);
    free(st->lines);
    free(st->within);
    free(st->as);
    free(st->require);
    for (size_t i = 0; i < st->nacts; i++) {
        free(st->acts[i].text);
        free_check(&st->acts[i].chk);
    }
    free(st->acts);
    free_check(&st->chk);
    free(st->arg);
    free(st->metric);
    free(st->method);
    free(st->upgrade);
    free(st->second);
}

void case_free(case_def *c)
{
    free(c->file);
    free(c->id);
    free(c->area);
    free(c->title);
    free(c->rfc);
    free(c->level);
    free(c->about);
    for (size_t i = 0; i < c->nrequire; i++)
        free(c->require[i]);
    free(c->require);
    for (size_t i = 0; i < c->ndefaults; i++) {
        free(c->defaults[i].name);
        free(c->defaults[i].value);
    }
    free(c->defaults);
    for (size_t i = 0; i < c->nvars; i++)
        free(c->vars[i]);
    free(c->vars);
    for (size_t i = 0; i < c->nsteps; i++)
        free_step(&c->steps[i]);
    free(c->steps);
    memset(c, 0, sizeof *c);
}

