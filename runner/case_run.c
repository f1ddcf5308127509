/* case_run: plays one case against the target (see case.h) and decides its verdict from what
 * arrived on the wire. A failed expectation ends the case; generic findings never do. When the
 * case cannot decide (a variable unset, the target answered in a way that leaves the rule
 * untested), it skips with the reason; it never guesses a pass. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alive.h"
#include "case_int.h"
#include "util.h"
#include "ws.h"

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

/* Bounds on one expansion: defaults may use other defaults, so a few lines of a case file could
 * otherwise ask for 40^8 copies of a value (or as many references to an empty one). */
#define EXPAND_MAX_BYTES (4 * 1024 * 1024)
#define EXPAND_MAX_REFS 10000
#define EXPAND_TOO_BIG (-2)

static int expand_into(const case_def *c, const run_ctx *ctx, const runner *R, const char *t,
                       buf_t *out, char **missing, int depth, size_t *refs);
static const char *const local_names[] = {"status", "ws_key", "ws_accept", "ws_sample_key",
                                          "ws_sample_accept", "base", "token",
                                          "reply", "reply_length", "client_ws_accept", "reply2"}; /* client */

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

static cconn *open_conn(runner *R)
{
    if (R->nconns == MAX_CONNS) {
        runner_end(R, VERDICT_ERROR, "a case may open %d connections at most", MAX_CONNS);
        return NULL;
    }
    cconn *cc = &R->conns[R->nconns++];
    memset(cc, 0, sizeof *cc);
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
        return open_conn(R);
    return &R->conns[R->cur];
}

/* ---- sending ------------------------------------------------------------------------------- */

static bool tchar(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           (ch && strchr("!#$%&'*+-.^_`|~", ch));
}

/* Recognises "METHOD SP target SP HTTP/d.d" so that requests are counted (for one final
 * response per request), HEAD is known (no body), and HTTP/1.0 is known (no 1xx). */
static bool request_line(const char *s, size_t n, bool *is_head, bool *http10)
{
    size_t i = 0;
    while (i < n && tchar(s[i]))
        i++;
    if (i == 0 || i == n || s[i] != ' ')
        return false;
    size_t m_end = i++;
    size_t t_start = i;
    while (i < n && s[i] != ' ')
        i++;
    if (i == t_start || n - i != 9 || memcmp(s + i, " HTTP/", 6) != 0)
        return false;
    if (s[i + 6] < '0' || s[i + 6] > '9' || s[i + 7] != '.' || s[i + 8] < '0' || s[i + 8] > '9')
        return false;
    *is_head = m_end == 4 && memcmp(s, "HEAD", 4) == 0;
    *http10 = s[i + 6] == '1' && s[i + 8] == '0';
    return true;
}

void runner_build(runner *R, const step *st, buf_t *out_, cconn *cc)
{
    buf_t *out = out_;
    for (size_t i = 0; i < st->nlines; i++) {
        size_t n;
        char *text = runner_expand(R, st->lines[i].text, &n);
        buf_append(out, text, n);
        bool head = false, v10 = false;
        if (st->lines[i].crlf) {
            buf_append(out, "\r\n", 2);
            if (cc && request_line(text, n, &head, &v10)) {
                stream_note_request(cc, head, v10);
                for (size_t h = 0; h < R->ctx->nheaders; h++)
                    buf_printf(out, "%s\r\n", R->ctx->headers[h]);
            } else if (cc) {
                stream_note_request_line(cc, text, n);
            }
        }
        free(text);
    }
}

/* Whether the step's first line is a request line (a new request, not more content). */
static bool starts_request(runner *R, const step *st)
{
    if (!st->nlines || !st->lines[0].crlf)
        return false;
    size_t n;
    char *text = runner_expand(R, st->lines[0].text, &n);
    bool head, v10, is_req = request_line(text, n, &head, &v10);
    free(text);
    return is_req;
}

/* A connection the server closed, or said it would close, is never written a new request: the
 * request goes on a new connection, and the transcript says why. */
static cconn *connection_for_request(runner *R, cconn *cc)
{
    if (cc->we_closed) /* the case closed it itself ("close"): a request opens the next one */
        return open_conn(R);
    if (!cc->eof && !cc->said_close)
        return cc;
    char *why = cc->said_close ? xasprintf("the server said it would close this connection "
                                           "(%s), so the next request goes on a new connection",
                                           cc->close_reason)
                               : xstrdup("the server closed this connection, so the next "
                                         "request goes on a new connection");
    result_tx_note(R->r, cc->id, runner_rel(R, clock_ns()), why);
    free(why);
    return open_conn(R);
}

static void step_send(runner *R, const step *st)
{
    cconn *cc = runner_current(R);
    bool request = cc && starts_request(R, st);
    if (request)
        cc = connection_for_request(R, cc);
    if (!cc)
        return;
    if (request) { /* kept in case the server closes a reused connection without answering */
        R->last_request = st;
        R->last_request_reused = cc->finals > 0;
    }
    buf_t out;
    buf_init(&out, 0);
    runner_build(R, st, &out, cc);
    size_t sent = 0;
    int64_t want = clock_ns() + runner_duration(R, NULL, "${timeout}");
    conn_status s = cc->c.curl ? conn_send(&cc->c, out.data, out.len, runner_bounded(R, want), &sent)
                               : CONN_ERROR;
    cc->last_send_ns = clock_ns();
    int64_t t = runner_rel(R, cc->last_send_ns);
    if (sent)
        result_tx(R->r, TX_SENT, cc->id, t, out.data, sent);
    if (s == CONN_INTR)
        runner_end(R, VERDICT_NOTRUN, "interrupted");
    else if (s == CONN_TIMEOUT && !runner_cut(R, want))
        result_tx_note(R->r, cc->id, t, "send stalled: the peer is not reading");
    else if (s == CONN_ERROR) {
        /* The peer may have closed already; what it sent before is still judged. */
        char *why = xasprintf("send failed after %zu of %zu bytes: %s", sent, out.len,
                              cc->c.curl ? cc->c.errmsg : "connection closed");
        result_tx(R->r, TX_NOTE, cc->id, t, why, strlen(why));
        free(why);
    }
    buf_free(&out);
}

/* Sends the last request again on a new connection, once per case, when the server closed the
 * reused connection it went on without answering (RFC 9112 §9.3.1: a client may retry an
 * idempotent request then; a server may close an idle connection at any time, §9.5). Returns
 * whether it was sent. */
bool runner_retry_request(runner *R)
{
    const step *st = R->last_request;
    if (!st || !R->last_request_reused || R->retried || R->cur < 0)
        return false;
    char *line = runner_expand(R, st->lines[0].text, NULL);
    bool idempotent = !strncmp(line, "GET ", 4) || !strncmp(line, "HEAD ", 5);
    free(line);
    if (!idempotent)
        return false;
    R->retried = true;
    result_tx_note(R->r, R->conns[R->cur].id, runner_rel(R, clock_ns()),
                   "the server closed this reused connection without answering the request: it "
                   "goes again on a new connection (RFC 9112 §9.3.1)");
    if (!open_conn(R))
        return false;
    step_send(R, st);
    return !R->stop;
}

/* ---- expectations -------------------------------------------------------------------------- */

bool codes_match(const code_set *cs, int status)
{
    if (cs->n == 0)
        return true;
    bool in = false;
    for (int i = 0; i < cs->n; i++)
        in |= status >= cs->r[i].lo && status <= cs->r[i].hi;
    return in != cs->negated;
}

static int match_alt(const step *st, const wire_msg *m)
{
    for (int i = 0; i < st->nalts; i++) {
        const alt *a = &st->alts[i];
        if ((a->kind == ALT_INTERIM && m->interim) || (a->kind == ALT_FINAL && !m->interim))
            if (codes_match(&a->codes, m->status))
                return i;
    }
    return -1;
}

static bool names_kind(const step *st, alt_kind k)
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
    buf_printf(&b, " %s %lld.%03llds", names_kind(st, ALT_NOTHING) ? "for" : "within",
               (long long)(ns / 1000000000), (long long)(ns % 1000000000 / 1000000));
    describe_bound_origin(&b, st->within);
    return buf_steal(&b);
}

const char *runner_require(const runner *R, const char *req)
{
    return req ? req : R->c->require[0];
}

static void run_check(runner *R, const check *ck);

void run_actions_for(runner *R, const step *st, alt_kind k)
{
    for (size_t i = 0; i < st->nacts && !R->stop; i++) {
        const action *a = &st->acts[i];
        if (a->on != k || (a->codes.n && !codes_match(&a->codes, R->last.status)))
            continue;
        char *text = a->text ? runner_expand(R, a->text, NULL) : NULL;
        switch (a->kind) {
        case ACT_DONE:
            if (text)
                result_note(R->r, "%s", text);
            R->stop = true;
            break;
        case ACT_SKIP:
            runner_end(R, VERDICT_SKIP, "inconclusive: %s", text);
            break;
        case ACT_FAIL:
            runner_fail(R, true, runner_require(R, a->chk.require ? a->chk.require : st->require),
                        "%s", text);
            R->stop = true;
            break;
        case ACT_NOTE:
            result_note(R->r, "%s", text);
            break;
        case ACT_CHECK:
            run_check(R, &a->chk);
            break;
        }
        free(text);
    }
}

void runner_remember(runner *R, const step *st, const wire_msg *m, int conn_id)
{
    R->last = *m;
    R->last_conn = conn_id;
    R->have_last = true;
    snprintf(R->status_text, sizeof R->status_text, "%d", m->status);
    R->locals[0] = (var){"status", R->status_text};
    if (st->as && R->nnamed < MAX_NAMED)
        R->named[R->nnamed++] = (named_msg){st->as, conn_id, *m};
}

static void matched(runner *R, const step *st, alt_kind k)
{
    run_actions_for(R, st, k);
}

/* "interim 100, interim 102 x3, then final 404": the messages this wait read on cc so far. */
static void describe_msgs(const runner *R, const cconn *cc, buf_t *b)
{
    const case_result *r = R->r;
    for (size_t i = R->wait_msg0; i < r->nmsgs; i++) {
        const msg_record *mr = &r->msgs[i];
        if (mr->conn != cc->id)
            continue;
        size_t k = i + 1; /* a run of the same status counts as one "x N" */
        while (k < r->nmsgs && r->msgs[k].conn == cc->id && r->msgs[k].status == mr->status)
            k++;
        buf_printf(b, "%s%s %d", b->len ? ", " : "", mr->interim ? "interim" : "final",
                   mr->status);
        if (k - i > 1)
            buf_printf(b, " x%zu", k - i);
        i = k - 1;
    }
}

/* What arrived on cc during the wait: the messages read, then how it ended (nothing more for
 * how long, an incomplete message, a close or a reset), and in the proxy modes what the
 * embedded origin saw meanwhile. "nothing" only when nothing came at all. */
static char *describe_arrivals(runner *R, const cconn *cc, next_status s)
{
    buf_t b;
    buf_init(&b, 4096);
    describe_msgs(R, cc, &b);
    size_t pend = stream_pending(cc);
    bool any = b.len > 0;
    int64_t now = clock_ns();
    if (pend)
        buf_printf(&b, "%san incomplete message (%zu bytes)", any ? ", then " : "", pend);
    if (s == NEXT_CLOSED)
        buf_printf(&b, "%s%s", any || pend ? ", then " : "",
                   cc->reset ? "the connection reset" : "the connection closed");
    else if (s == NEXT_TIMEOUT && (any || pend))
        buf_printf(&b, ", then nothing more for %.3fs",
                   (double)(now - (cc->nchunks ? cc->chunks[cc->nchunks - 1].t_ns : now)) / 1e9);
    else if (s == NEXT_TIMEOUT)
        buf_printf(&b, "nothing");
    char *origin = proxy_side(R);
    buf_append(&b, origin, strlen(origin));
    free(origin);
    return buf_steal(&b);
}

/* A wait that did not get what the step expects ends the case. Citing a rule that is only
 * recorded for this role (MAY, INFO), it leaves the case undecided: inconclusive, not a pass. */
static void mismatch_at(runner *R, const step *st, int64_t t, const char *want, const char *got)
{
    const char *req = runner_require(R, st->require);
    if (level_verdict(R, req) == VERDICT_PASS) {
        runner_end(R, VERDICT_SKIP, "inconclusive: expected %s, got %s (%s is only recorded, so "
                   "nothing is judged)", want, got, req);
        return;
    }
    runner_fail_at(R, t, true, req, "expected %s, got %s", want, got);
    R->stop = true;
}

static void mismatch(runner *R, const step *st, const char *want, const char *got)
{
    mismatch_at(R, st, clock_ns(), want, got);
}

static void expect_bad(runner *R, const step *st, const char *desc)
{
    const char *req = stream_bad_require(R->bad_code);
    runner_fail(R, true, req ? req : runner_require(R, st->require),
                "expected %s, got bytes h1xx cannot parse as a response (%s: %s)", desc,
                wire_code_name(R->bad_code), wire_code_reason(R->bad_code));
    R->stop = true;
}

/* Handles one outcome of reading; returns true when the step is over. */
bool runner_outcome(runner *R, const step *st, cconn *cc, next_status s, const wire_msg *m,
                    const char *desc, int64_t want)
{
    char *g;
    switch (s) {
    case NEXT_MSG: {
        int i = match_alt(st, m);
        int64_t t_read = stream_time_at(cc, m->head_end - 1);
        if (i >= 0 && st->forwarded && proxy_predates_origin(R, t_read)) {
            result_note(R->r, "%s %d read at +%.3fms came before the origin wrote it: the proxy's "
                        "own, not the forwarded one", m->interim ? "interim" : "final",
                        m->status, (double)(runner_rel(R, t_read) - R->r->start_ns) / 1e6);
            return false;
        }
        if (i >= 0) {
            runner_remember(R, st, m, cc->id);
            matched(R, st, st->alts[i].kind);
            return true;
        }
        if (m->interim && !st->strict)
            return false; /* an interim the step does not name is tolerated (and still checked) */
        g = describe_arrivals(R, cc, NEXT_MSG);
        mismatch_at(R, st, t_read, desc, g);
        free(g);
        return true;
    }
    case NEXT_CLOSED:
        if (names_kind(st, ALT_CLOSE) && !stream_pending(cc)) {
            matched(R, st, ALT_CLOSE);
            return true;
        }
        g = describe_arrivals(R, cc, NEXT_CLOSED);
        mismatch(R, st, desc, g);
        free(g);
        return true;
    case NEXT_TIMEOUT:
        if (runner_cut(R, want))
            return true;
        if (names_kind(st, ALT_NOTHING) && !stream_pending(cc)) {
            matched(R, st, ALT_NOTHING);
            return true;
        }
        g = describe_arrivals(R, cc, NEXT_TIMEOUT);
        mismatch(R, st, desc, g);
        free(g);
        return true;
    case NEXT_BAD:
        expect_bad(R, st, desc);
        return true;
    case NEXT_RAW:
        mismatch(R, st, desc, "raw bytes after a 101 (the connection switched protocols)");
        return true;
    case NEXT_INTR:
        runner_end(R, VERDICT_NOTRUN, "interrupted");
        return true;
    case NEXT_FULL:
        runner_end(R, VERDICT_ERROR, "the responses exceeded --max-bytes (%zu bytes kept)",
                   cc->c.rx.len);
        return true;
    }
    return true;
}

void runner_wait_begin(runner *R, const cconn *cc)
{
    R->wait_msg0 = R->r->nmsgs > cc->npeeked ? R->r->nmsgs - cc->npeeked : 0;
}

static void step_expect(runner *R, const step *st)
{
    cconn *cc = runner_current(R);
    int64_t ns = runner_duration(R, st->within, "${timeout}");
    if (!cc || R->stop)
        return;
    int64_t want = clock_ns() + ns;
    char *desc = runner_describe(R, st, ns);
    wire_msg *m = xmalloc(sizeof *m);
    runner_wait_begin(R, cc);
    for (;;) {
        next_status s = stream_next(R, cc, runner_bounded(R, want), m);
        if (R->stop || runner_outcome(R, st, cc, s, m, desc, want))
            break;
    }
    free(m);
    free(desc);
}

/* ---- checks -------------------------------------------------------------------------------- */

static const named_msg *find_named(const runner *R, const char *name)
{
    for (int i = 0; i < R->nnamed; i++)
        if (strcmp(R->named[i].name, name) == 0)
            return &R->named[i];
    return NULL;
}

static char *field_values(const wire_msg *m, const char *stream, const char *field)
{
    buf_t b;
    buf_init(&b, 4096);
    const wire_field *f = NULL;
    while ((f = wire_find(m, stream, field, f)))
        buf_printf(&b, "%s%s: %.*s", b.len ? ", " : "", field, (int)f->value_len,
                   stream + f->value_off);
    if (!b.len)
        buf_printf(&b, "no %s field", field);
    return buf_steal(&b);
}

static bool field_is(const wire_msg *m, const char *stream, const char *field, const char *v)
{
    const wire_field *f = NULL;
    while ((f = wire_find(m, stream, field, f)))
        if (f->value_len == strlen(v) && memcmp(stream + f->value_off, v, f->value_len) == 0)
            return true;
    return false;
}

static int field_count(const wire_msg *m, const char *stream, const char *field)
{
    int n = 0;
    const wire_field *f = NULL;
    while ((f = wire_find(m, stream, field, f)))
        n++;
    return n;
}

/* Every comma-separated token of every instance of the field is one of the list's. */
static bool tokens_within(const wire_msg *m, const char *stream, const char *field,
                          const char *list)
{
    const wire_field *f = NULL;
    while ((f = wire_find(m, stream, field, f))) {
        const char *v = stream + f->value_off, *end = v + f->value_len, *t;
        size_t n;
        while ((t = list_next(&v, end, &n))) {
            char *tok = xstrndup(t, n);
            bool in = list_has_token(list, strlen(list), tok);
            free(tok);
            if (!in)
                return false;
        }
    }
    return true;
}

static void run_check(runner *R, const check *ck)
{
    const wire_msg *m = R->have_last ? &R->last : NULL;
    int conn_id = R->last_conn;
    const char *stream = NULL;
    if (ck->on_origin) {
        m = proxy_request(R, &stream);
        if (!m) {
            runner_end(R, VERDICT_ERROR, "origin check: the origin holds no request");
            return;
        }
    } else if (ck->msg_name) {
        const named_msg *nm = find_named(R, ck->msg_name);
        m = nm ? &nm->m : NULL;
        conn_id = nm ? nm->conn : 0;
    }
    if (!m && !ck->on_origin) {
        runner_end(R, VERDICT_ERROR, "check refers to message '%s', which was never matched",
                   ck->msg_name ? ck->msg_name : "(last)");
        return;
    }
    if (!stream)
        stream = R->conns[conn_id - 1].c.rx.data;
    /* the failure dates from the message checked, for the headline (case_verdict.c) */
    int64_t t_ev = ck->on_origin ? R->o_req_t
                   : R->conns[conn_id - 1].c.rx.data
                       ? stream_time_at(&R->conns[conn_id - 1], m->head_end - 1)
                       : clock_ns();
    char *value = ck->value ? runner_expand(R, ck->value, NULL) : NULL;
    bool present = wire_find(m, stream, ck->field, NULL) != NULL;
    bool ok = ck->op == CHECK_PRESENT ? present
              : ck->op == CHECK_ABSENT ? !present
              : ck->op == CHECK_HAS    ? wire_has_token(m, stream, ck->field, value)
              : ck->op == CHECK_IS     ? field_is(m, stream, ck->field, value)
              : ck->op == CHECK_COUNT  ? field_count(m, stream, ck->field) == strtol(value, NULL, 10)
                                       : tokens_within(m, stream, ck->field, value);
    if (!ok && ck->else_skip) {
        char *why = runner_expand(R, ck->else_skip, NULL);
        runner_end(R, VERDICT_SKIP, "inconclusive: %s", why);
        free(why);
    } else if (!ok) {
        char *got = field_values(m, stream, ck->field);
        const char *req = runner_require(R, ck->require);
        char what[64];
        if (ck->on_origin)
            snprintf(what, sizeof what, "request the origin received");
        else
            snprintf(what, sizeof what, "%d response", m->status);
        if (ck->op == CHECK_PRESENT)
            runner_fail_at(R, t_ev, true, req, "expected %s %s field in the %s, got none",
                           strchr("AEIOUaeiou", ck->field[0]) ? "an" : "a", ck->field, what);
        else if (ck->op == CHECK_ABSENT)
            runner_fail_at(R, t_ev, true, req, "expected no %s field in the %s, got %s", ck->field,
                        what, got);
        else if (ck->op == CHECK_COUNT)
            runner_fail_at(R, t_ev, true, req, "expected the %s field exactly %s time(s) in the %s, "
                        "got %d: %s", ck->field, value, what, field_count(m, stream, ck->field),
                        got);
        else if (ck->op == CHECK_WITHIN)
            runner_fail_at(R, t_ev, true, req, "expected %s to name only '%s' in the %s, got %s",
                        ck->field, value, what, got);
        else
            runner_fail_at(R, t_ev, true, req, "expected %s %s '%s' in the %s, got %s", ck->field,
                        ck->op == CHECK_HAS ? "listing" : "equal to", value, what, got);
        free(got);
    }
    free(value);
}

/* ---- the other steps ----------------------------------------------------------------------- */

static void step_pause(runner *R, const step *st)
{
    int64_t want = clock_ns() + runner_duration(R, st->arg, NULL);
    if (R->stop)
        return;
    if (conn_sleep_until(runner_bounded(R, want)) == CONN_INTR)
        runner_end(R, VERDICT_NOTRUN, "interrupted");
    else
        runner_cut(R, want);
}

static void step_close(runner *R, bool half)
{
    if (R->cur < 0)
        return;
    cconn *cc = &R->conns[R->cur];
    if (!cc->c.curl)
        return;
    if (half) {
        conn_shutdown_write(&cc->c);
        result_tx_note(R->r, cc->id, runner_rel(R, clock_ns()), "shutdown (write side)");
        return;
    }
    conn_disconnect(&cc->c);
    cc->we_closed = true;
    result_tx(R->r, TX_CLOSE, cc->id, runner_rel(R, clock_ns()), NULL, 0);
}

static void run_step(runner *R, const step *st)
{
    switch (st->kind) {
    case STEP_SEND:
        step_send(R, st);
        break;
    case STEP_EXPECT:
        step_expect(R, st);
        break;
    case STEP_CHECK:
        run_check(R, &st->chk);
        break;
    case STEP_PAUSE:
        step_pause(R, st);
        break;
    case STEP_OPEN:
        open_conn(R);
        break;
    case STEP_CLOSE:
    case STEP_SHUTDOWN:
        step_close(R, st->kind == STEP_SHUTDOWN);
        break;
    case STEP_WS_SEND:
        step_ws_send(R, st);
        break;
    case STEP_WS_EXPECT:
        step_ws_expect(R, st);
        break;
    case STEP_COLLECT:
        step_collect(R, st);
        break;
    case STEP_BOUND:
        step_bound(R, st);
        break;
    case STEP_CURL:
        step_curl(R, st);
        break;
    case STEP_ORIGIN_SEND:
        step_origin_send(R, st);
        break;
    case STEP_ORIGIN_ACCEPT:
        step_origin_accept(R, st);
        break;
    case STEP_ORIGIN_READ:
        R->cl ? client_origin_read(R, st) : step_origin_read(R, st); /* client mode: its own */
        break;
    case STEP_ORIGIN_CLOSE:
        step_origin_close(R);
        break;
    case STEP_CLIENT_RUN: case STEP_CLIENT_EXPECT: case STEP_ORIGIN_CONTENT: /* case_client.c */
    case STEP_CLIENT_REQUEST:
        client_step(R, st);
        break;
    case STEP_NOTE: {
        char *t = runner_expand(R, st->arg, NULL);
        result_note(R->r, "%s", t);
        free(t);
        break;
    }
    }
}

/* ---- the case ------------------------------------------------------------------------------ */

void case_describe(const case_def *c, const req_catalog *cat, case_result *r)
{
    (void)cat;
    r->id = xstrdup(c->id);
    r->area = xstrdup(c->area);
    r->title = xstrdup(c->title);
    r->file = xstrdup(c->file);
    r->line = c->line;
    r->rfc = xstrdup(c->rfc ? c->rfc : "");
    r->level = xstrdup(c->level);
    buf_t b;
    buf_init(&b, 0);
    for (size_t i = 0; i < c->nrequire; i++)
        buf_printf(&b, "%s%s", i ? " " : "", c->require[i]);
    r->require = buf_steal(&b);
}

/* A case that uses a variable nobody set cannot run: it says which --set would enable it. */
static bool variables_missing(runner *R)
{
    for (size_t i = 0; i < R->c->nvars; i++) {
        if (runner_local_name(R->c->vars[i])) /* set as the case runs */
            continue;
        char *ref = xasprintf("${%s}", R->c->vars[i]), *missing = NULL;
        char *v = case_expand(R->c, R->ctx, ref, NULL, &missing);
        free(ref);
        free(v);
        if (!v && !missing) {
            runner_end(R, VERDICT_ERROR, "%s:%d: ${%s} expands to more than %d bytes or through "
                       "more than %d variable references", R->c->file, R->c->line,
                       R->c->vars[i], EXPAND_MAX_BYTES, EXPAND_MAX_REFS);
            return true;
        }
        if (!v) {
            runner_end(R, VERDICT_SKIP, "needs --set %s=VALUE (h1xx vars lists the variables)",
                       missing);
            R->r->missing_var = missing; /* for the reporters, which group skips by it */
            return true;
        }
    }
    return false;
}

/* The variables a run sets itself: a fresh WebSocket key (and its accept value) per case, and
 * the key from RFC 6455's example with its accept value. */
static void init_locals(runner *R)
{
    static const char sample[] = "dGhlIHNhbXBsZSBub25jZQ==";
    ws_random_key(R->ws_key);
    ws_accept(R->ws_key, strlen(R->ws_key), R->ws_accept_s);
    ws_accept(sample, sizeof sample - 1, R->ws_sample_accept);
    R->locals[1] = (var){"ws_key", R->ws_key};
    R->locals[2] = (var){"ws_accept", R->ws_accept_s};
    R->locals[3] = (var){"ws_sample_key", (char *)sample};
    R->locals[4] = (var){"ws_sample_accept", R->ws_sample_accept};
    R->nlocals = 5;
    R->locals[0] = (var){"status", R->status_text};
}

void case_run(const case_def *c, const run_ctx *ctx, case_result *r)
{
    memset(r, 0, sizeof *r);
    case_describe(c, ctx->cat, r);
    runner *R = xcalloc(1, sizeof *R);
    R->c = c;
    R->ctx = ctx;
    R->r = r;
    R->cur = -1;
    int64_t start = clock_ns();
    r->start_ns = runner_rel(R, start);
    R->case_end_ns = start + ctx->case_deadline_ns;
    r->verdict = VERDICT_PASS;
    init_locals(R);
    if (ctx->org)
        proxy_case_start(R);
    if (conn_interrupted())
        runner_end(R, VERDICT_NOTRUN, "interrupted");
    else if (ctx->run_deadline_ns && start >= ctx->run_deadline_ns)
        runner_end(R, VERDICT_NOTRUN, "the run deadline (--deadline) was reached");
    else if (!variables_missing(R))
        for (size_t i = 0; i < c->nsteps && !R->stop; i++)
            run_step(R, &c->steps[i]);
    if (r->verdict != VERDICT_ERROR && r->verdict != VERDICT_NOTRUN && !conn_interrupted())
        stream_linger(R, runner_bounded(R, clock_ns() + ctx->linger_ns));
    client_case_end(R);
    if (ctx->org)
        proxy_case_end(R);
    for (int i = 0; i < R->nconns; i++)
        stream_free(&R->conns[i]);
    if (r->msgs_dropped || r->findings_dropped)
        result_note(r, "%zu more messages and %zu more findings were checked but not recorded "
                    "(caps: %d messages, %d findings a case)", r->msgs_dropped,
                    r->findings_dropped, RESULT_MSGS_MAX, RESULT_FINDINGS_MAX);
    r->duration_ns = clock_ns() - start;
    free(R);
}
