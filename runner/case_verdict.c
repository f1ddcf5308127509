/* case_verdict: how a case's verdict is raised. Every broken requirement is graded by the level
 * it has for the role the target plays (catalog.c); the worst grade decides the verdict, and
 * among equally bad ones the headline is the one seen earliest on the wire (a generic finding
 * at byte 0 before a step that timed out later), at equal time the case's own requirement.
 * Failures that do not make the headline stay listed: findings in the findings list, step
 * failures as notes. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "case_int.h"
#include "util.h"

int64_t runner_rel(const runner *R, int64_t t_abs)
{
    return t_abs - R->ctx->run_start_ns;
}

static const requirement *find_req(const runner *R, const char *require)
{
    return require ? req_find(R->ctx->cat, require) : NULL;
}

verdict_t level_verdict(const runner *R, const char *require)
{
    const requirement *q = find_req(R, require);
    if (!q)
        return VERDICT_FAIL;
    req_level l = req_level_for(q, R->ctx->mode);
    return l == LEVEL_MUST                             ? VERDICT_FAIL
           : l == LEVEL_SHOULD || l == LEVEL_PRACTICE ? VERDICT_WARN
                                                      : VERDICT_PASS;
}

/* " (gateway: interoperability practice, not an RFC requirement)" where the role's level is not
 * the requirement's base level, so a reader sees why a MUST row only warned; else "". */
static const char *level_label(const runner *R, const char *require, char *buf, size_t n)
{
    const requirement *q = find_req(R, require);
    buf[0] = '\0';
    if (!q)
        return buf;
    req_level l = req_level_for(q, R->ctx->mode);
    const char *role = R->ctx->mode == MODE_CLIENT ? "client"
                       : req_role_name(req_role_of_mode(R->ctx->mode));
    if (l == LEVEL_PRACTICE)
        snprintf(buf, n, " (%s: interoperability practice, not an RFC requirement)", role);
    else if (l != q->level)
        snprintf(buf, n, " (%s for a %s)", req_level_name(l), role);
    return buf;
}

static bool own_require(const runner *R, const char *require)
{
    for (size_t i = 0; require && i < R->c->nrequire; i++)
        if (strcmp(R->c->require[i], require) == 0)
            return true;
    return false;
}

/* Raises the case's verdict to v with this message at wire time t, or keeps the current one
 * (see the file's comment). A step failure that loses is kept as a note. */
static void raise_verdict(runner *R, verdict_t v, int64_t t, bool from_step, const char *require,
                          char *msg)
{
    case_result *r = R->r;
    int have = verdict_rank(r->verdict), want = verdict_rank(v);
    bool own = own_require(R, require);
    bool replace = want > have || r->message == NULL ||
                   (want == have && (t < R->head_t || (t == R->head_t && own && !R->head_own)));
    if (!replace) {
        if (from_step)
            result_note(r, "also broken: %s", msg);
        free(msg);
        return;
    }
    if (R->step_failed && r->message)
        result_note(r, "also broken: %s", r->message);
    r->verdict = v;
    free(r->message);
    r->message = msg;
    free(r->failed_require);
    r->failed_require = require ? xstrdup(require) : NULL;
    R->step_failed = from_step;
    R->head_t = t;
    R->head_own = own;
}

void runner_raise(runner *R, verdict_t v, int64_t t_abs, bool from_step, const char *require,
                  char *msg)
{
    raise_verdict(R, v, t_abs, from_step, require, msg);
}

static void fail_text(runner *R, int64_t t, bool from_step, const char *require, char *body)
{
    if (R->observing) { /* past a miss, only the fates judge (case_fates.c) */
        result_note(R->r, "while observing: %s%s%s", require ? require : "", require ? ": " : "",
                    body);
        free(body);
        return;
    }
    verdict_t v = level_verdict(R, require);
    char label[128];
    level_label(R, require, label, sizeof label);
    if (v == VERDICT_PASS) { /* MAY or INFO (for this role): recorded, not judged */
        const requirement *q = find_req(R, require);
        result_note(R->r, "%s (%s, %s for a %s: recorded only)", body, require,
                    req_level_name(req_level_for(q, R->ctx->mode)),
                    req_role_name(req_role_of_mode(R->ctx->mode)));
        free(body);
        return;
    }
    char *msg = require ? xasprintf("%s: %s%s", require, body, label) : xstrdup(body);
    free(body);
    raise_verdict(R, v, t, from_step, require, msg);
}

void runner_fail_at(runner *R, int64_t t_abs, bool from_step, const char *require,
                    const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *body = xvasprintf(fmt, ap);
    va_end(ap);
    fail_text(R, t_abs, from_step, require, body);
}

void runner_fail(runner *R, bool from_step, const char *require, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *body = xvasprintf(fmt, ap);
    va_end(ap);
    fail_text(R, clock_ns(), from_step, require, body);
}

void runner_finding(runner *R, int conn_id, int code, const char *name, const char *require,
                    size_t offset, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *text = xvasprintf(fmt, ap);
    va_end(ap);
    int64_t t = conn_id >= 1 && conn_id <= R->nconns ? stream_time_at(R->conns[conn_id - 1], offset)
                                                      : clock_ns();
    if (require)
        fail_text(R, t, false, require, xstrdup(text));
    finding_record *f = result_finding(R->r);
    if (!f) { /* past the cap: judged above, not recorded */
        free(text);
        return;
    }
    f->code = code;
    f->name = name;
    f->require = require;
    f->conn = conn_id;
    f->offset = offset;
    f->verdict = require ? level_verdict(R, require) : VERDICT_PASS;
    f->text = text;
}

void runner_end(runner *R, verdict_t v, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = xvasprintf(fmt, ap);
    va_end(ap);
    R->stop = true;
    case_result *r = R->r;
    if (R->observing) { /* ends the observing; the miss or the fates decide */
        result_note(r, "while observing: %s", msg);
        free(msg);
        return;
    }
    /* A skip or not-run never hides a failure already seen on the wire. */
    if ((v == VERDICT_SKIP || v == VERDICT_NOTRUN) &&
        (r->verdict == VERDICT_FAIL || r->verdict == VERDICT_WARN)) {
        result_note(r, "%s", msg);
        free(msg);
        return;
    }
    if (v == VERDICT_ERROR && r->verdict == VERDICT_FAIL) {
        result_note(r, "%s", msg);
        free(msg);
        return;
    }
    r->verdict = v;
    free(r->message);
    r->message = msg;
}

/* When the byte at `offset` arrived: the first read whose end lies past it. */
int64_t stream_time_at(const cconn *cc, size_t offset)
{
    size_t lo = 0, hi = cc->nchunks;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (cc->chunks[mid].end > offset)
            hi = mid;
        else
            lo = mid + 1;
    }
    if (lo < cc->nchunks)
        return cc->chunks[lo].t_ns;
    return cc->nchunks ? cc->chunks[cc->nchunks - 1].t_ns : 0;
}
