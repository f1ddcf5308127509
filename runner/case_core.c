/* case_core: the runner's core, which every step module and the dispatcher above them use:
 * variables and template expansion, durations, the case's and the run's deadlines, the case's
 * connections (opened on first use), status code sets and the description of what a step
 * waits for. Verdicts and findings are case_verdict.c's, one floor below. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alive.h"
#include "case_int.h"
#include "util.h"

/* ---- variables ----------------------------------------------------------------------------- */

static const char *ctx_var(const run_ctx *ctx, const char *name, size_t len)
{
    for (size_t i = ctx->nvars; i-- > 0;) /* later --set wins */
        if (strlen(ctx->vars[i].name) == len && memcmp(ctx->vars[i].name, name, len) == 0)
            return ctx->vars[i].value;
    return NULL;
}

static const char *default_var(const case_def *c, const char *name, size_t len)
{
    for (size_t i = 0; i < c->ndefaults; i++)
        if (strlen(c->defaults[i].name) == len && memcmp(c->defaults[i].name, name, len) == 0)
            return c->defaults[i].value;
    return NULL;
}

/* What expand_into returns past EXPAND_MAX_BYTES or EXPAND_MAX_REFS (case_int.h). */
#define EXPAND_TOO_BIG (-2)

static int expand_into(const case_def *c, const run_ctx *ctx, const runner *R, const char *t,
                       buf_t *out, char **missing, int depth, size_t *refs);
static const char *const local_names[] = {"status", "status_after", "ws_key", "ws_accept", "ws_sample_key",
                                          "ws_sample_accept", "base", "token",
                                          "reply", "reply_length", "client_ws_accept",
                                          "reply2"}; /* client */

bool runner_local_name(const char *name)
{
    for (size_t i = 0; i < sizeof local_names / sizeof *local_names; i++)
        if (strcmp(name, local_names[i]) == 0)
            return true;
    return false;
}

static const char *local_var(const runner *R, const char *n, size_t len)
{
    for (size_t i = 0; R && i < R->nlocals; i++)
        if (strlen(R->locals[i].name) == len && memcmp(R->locals[i].name, n, len) == 0)
            return R->locals[i].value;
    return NULL;
}

/* Returns 0, -1 for an unset variable (named in *missing), or EXPAND_TOO_BIG. */
static int expand_var(const case_def *c, const run_ctx *ctx, const runner *R, const char *n,
                      size_t len, buf_t *out, char **missing, int depth, size_t *refs)
{
    if (++*refs > EXPAND_MAX_REFS)
        return EXPAND_TOO_BIG;
    const char *v = ctx_var(ctx, n, len);
    if (!v)
        v = local_var(R, n, len);
    if (v) {
        buf_append(out, v, strlen(v));
        return 0;
    }
    const char *d = default_var(c, n, len);
    if (d && depth < 8)
        return expand_into(c, ctx, R, d, out, missing, depth + 1, refs);
    if (missing && !*missing)
        *missing = xstrndup(n, len);
    return -1;
}

static int expand_into(const case_def *c, const run_ctx *ctx, const runner *R, const char *t,
                       buf_t *out, char **missing, int depth, size_t *refs)
{
    for (const char *s = t; *s; s++) {
        if (out->truncated)
            return EXPAND_TOO_BIG;
        if (*s == '\\' && s[1]) {
            char ch = *++s;
            if (ch == 'x' && s[1] && s[2]) {
                char hex[3] = {s[1], s[2], 0};
                ch = (char)strtol(hex, NULL, 16);
                s += 2;
            } else {
                ch = ch == 'r' ? '\r' : ch == 'n' ? '\n' : ch == 't' ? '\t' : ch == '0' ? '\0' : ch;
            }
            buf_append(out, &ch, 1);
        } else if (*s == '$' && s[1] == '{') {
            const char *n = s + 2, *e = strchr(n, '}');
            int rc = e ? expand_var(c, ctx, R, n, (size_t)(e - n), out, missing, depth, refs)
                       : -1;
            if (rc)
                return rc;
            s = e;
        } else {
            buf_append(out, s, 1);
        }
    }
    return out->truncated ? EXPAND_TOO_BIG : 0;
}

char *case_expand(const case_def *c, const run_ctx *ctx, const char *tmpl, size_t *len,
                  char **missing)
{
    buf_t b;
    buf_init(&b, EXPAND_MAX_BYTES);
    size_t refs = 0;
    if (missing)
        *missing = NULL;
    if (expand_into(c, ctx, NULL, tmpl, &b, missing, 0, &refs)) {
        buf_free(&b);
        return NULL;
    }
    if (len)
        *len = b.len;
    return buf_steal(&b);
}

/* Expands a template at run time, with ${status} of the last matched message. */
char *runner_expand(runner *R, const char *tmpl, size_t *len)
{
    buf_t b;
    buf_init(&b, EXPAND_MAX_BYTES);
    char *missing = NULL;
    size_t refs = 0;
    int rc = expand_into(R->c, R->ctx, R, tmpl, &b, &missing, 0, &refs);
    free(missing);
    if (rc) { /* variables were checked before the first step; keep the text as written */
        buf_reset(&b);
        buf_append(&b, tmpl, strlen(tmpl));
    }
    if (len)
        *len = b.len;
    return buf_steal(&b);
}

int64_t runner_duration(runner *R, const char *tmpl, const char *fallback)
{
    char *s = runner_expand(R, tmpl ? tmpl : fallback, NULL);
    int64_t ns = 0;
    if (parse_duration_ns(s, &ns)) {
        runner_end(R, VERDICT_ERROR, "%s:%d: '%s' is not a duration", R->c->file, R->c->line, s);
        ns = 0;
    }
    free(s);
    return ns;
}

/* ---- deadlines ----------------------------------------------------------------------------- */

/* The deadline for a wait of `ns` from now, bounded by the case's and the run's deadlines. */
int64_t runner_bounded(const runner *R, int64_t want_abs)
{
    int64_t d = want_abs;
    if (R->case_end_ns < d)
        d = R->case_end_ns;
    if (R->ctx->run_deadline_ns && R->ctx->run_deadline_ns < d)
        d = R->ctx->run_deadline_ns;
    return d;
}

/* After a wait timed out: true (and the case ended) when a global bound cut it, not the step. */
bool runner_cut(runner *R, int64_t want_abs)
{
    if (R->ctx->run_deadline_ns && R->ctx->run_deadline_ns < want_abs &&
        clock_ns() >= R->ctx->run_deadline_ns) {
        runner_end(R, VERDICT_NOTRUN, "the run deadline (--deadline) was reached");
        return true;
    }
    if (R->case_end_ns < want_abs && clock_ns() >= R->case_end_ns) {
        runner_end(R, VERDICT_ERROR, "the case deadline (--case-deadline) was reached");
        return true;
    }
    return false;
}

/* ---- connections --------------------------------------------------------------------------- */

cconn *runner_open_conn(runner *R)
{
    if (R->nconns == MAX_CONNS) {
        runner_end(R, VERDICT_ERROR, "a case may open %d connections at most", MAX_CONNS);
        return NULL;
    }
    cconn *cc = R->conns[R->nconns++] = xcalloc(1, sizeof *cc);
    cc->id = R->nconns;
    wire_init(&cc->rd, &R->ctx->limits);
    R->cur = R->nconns - 1;
    int64_t want = clock_ns() + runner_duration(R, NULL, "${timeout}");
    conn_status s = conn_open(&cc->c, R->ctx->tgt, &R->ctx->copts, runner_bounded(R, want));
    if (s == CONN_INTR) {
        runner_end(R, VERDICT_NOTRUN, "interrupted");
        return NULL;
    }
    if (s != CONN_OK) {
        char gone[512];
        if (runner_cut(R, want))
            return NULL;
        if (alive_refused(cc->c.errmsg, R->ctx->run_start_ns, gone, sizeof gone))
            runner_end(R, VERDICT_ERROR, "%s", gone);
        else
            runner_end(R, VERDICT_ERROR, "cannot connect to %s: %s", R->ctx->tgt->url,
                       cc->c.errmsg);
        return NULL;
    }
    alive_connected(R->c->id);
    cc->opened = true;
    result_tx(R->r, TX_OPEN, cc->id, runner_rel(R, clock_ns()), cc->c.peer, strlen(cc->c.peer));
    return cc;
}

cconn *runner_current(runner *R)
{
    if (R->cur < 0)
        return runner_open_conn(R);
    return R->conns[R->cur];
}
/* ---- what a step waits for ---------------------------------------------------------------- */

bool codes_match(const code_set *cs, int status)
{
    if (cs->n == 0)
        return true;
    bool in = false;
    for (int i = 0; i < cs->n; i++)
        in |= status >= cs->r[i].lo && status <= cs->r[i].hi;
    return in != cs->negated;
}

bool step_names(const step *st, alt_kind k)
{
    for (int i = 0; i < st->nalts; i++)
        if (st->alts[i].kind == k)
            return true;
    return false;
}

static void describe_codes(buf_t *b, const code_set *cs)
{
    if (!cs->n)
        return;
    buf_append(b, cs->negated ? " other than " : " ", cs->negated ? 12 : 1);
    for (int i = 0; i < cs->n; i++) {
        int lo = cs->r[i].lo, hi = cs->r[i].hi;
        const char *sep = i ? "," : "";
        if (lo == hi)
            buf_printf(b, "%s%d", sep, lo);
        else if (lo % 100 == 0 && hi == lo + 99)
            buf_printf(b, "%s%dxx", sep, lo / 100);
        else
            buf_printf(b, "%s%d-%d", sep, lo, hi);
    }
}

/* Where a wait's bound comes from when it is not one of h1xx's own timeouts: a bound such as
 * fwd_max (250 ms, "forwarded promptly") is this suite's practice, not an RFC number, and a
 * verdict it decides says so. */
static void describe_bound_origin(buf_t *b, const char *within)
{
    const char *v = within ? strstr(within, "${") : NULL;
    const char *e = v ? strchr(v, '}') : NULL;
    if (!e)
        return;
    size_t n = (size_t)(e - v - 2);
    static const char *const own[] = {"timeout", "long", "quiet"};
    for (size_t i = 0; i < sizeof own / sizeof *own; i++)
        if (strlen(own[i]) == n && memcmp(v + 2, own[i], n) == 0)
            return;
    buf_printf(b, " (%.*s: a bound of h1xx's or the user's, not an RFC's; --set %.*s= changes "
               "it)", (int)n, v + 2, (int)n, v + 2);
}

/* "interim 100 or final within 3s" */
char *runner_describe(runner *R, const step *st, int64_t ns)
{
    static const char *const names[] = {"interim", "final", "connection closed", "nothing",
                                        "the request at the origin"};
    buf_t b;
    buf_init(&b, 0);
    for (int i = 0; i < st->nalts; i++) {
        buf_printf(&b, "%s%s", i ? " or " : "", names[st->alts[i].kind]);
        describe_codes(&b, &st->alts[i].codes);
    }
    (void)R;
    buf_printf(&b, " %s %lld.%03llds", step_names(st, ALT_NOTHING) ? "for" : "within",
               (long long)(ns / 1000000000), (long long)(ns % 1000000000 / 1000000));
    describe_bound_origin(&b, st->within);
    char *s = xstrndup(b.data, b.len); /* kept through the wait: not the buffer's 256 bytes */
    buf_free(&b);
    return s;
}

const char *runner_require(const runner *R, const char *req)
{
    return req ? req : R->c->require[0];
}
