/* case_expect: what steps send and what they expect, shared by the dispatcher (case_run.c) and
 * the step modules: the bytes of a send step, the judgement of each message a wait reads
 * (match, tolerate, mismatch, with what arrived meanwhile), the "on" actions and the header
 * checks, and what the embedded origin saw (proxy modes) for the messages that cite it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "case_int.h"
#include "origin.h"
#include "util.h"
#include "ws.h"


static bool tchar(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           (ch && strchr("!#$%&'*+-.^_`|~", ch));
}

/* Recognises "METHOD SP target SP HTTP/d.d" so that requests are counted (for one final
 * response per request), HEAD is known (no body), and HTTP/1.0 is known (no 1xx). */
bool runner_request_line(const char *s, size_t n, bool *is_head, bool *http10)
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
            if (cc && runner_request_line(text, n, &head, &v10)) {
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


void run_actions_for(runner *R, const step *st, alt_kind k)
{
    for (size_t i = 0; i < st->nacts && !R->stop; i++) {
        const action *a = &st->acts[i];
        int status = R->last ? R->last->status : 0;
        if (a->on != k || (a->codes.n && !codes_match(&a->codes, status)))
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
            runner_check(R, &a->chk);
            break;
        }
        free(text);
    }
}

void runner_remember(runner *R, const step *st, const wire_msg *m, int conn_id)
{
    free(R->last);
    R->last = wire_msg_keep(m); /* a case in flight keeps only the fields it has */
    R->last_conn = conn_id;
    R->have_last = true;
    snprintf(R->status_text, sizeof R->status_text, "%d", m->status);
    R->locals[0] = (var){"status", R->status_text};
    snprintf(R->after_text, sizeof R->after_text, "(time unknown)");
    for (int i = 0; i < R->nconns; i++) {
        const cconn *cc = R->conns[i];
        if (cc && cc->id == conn_id && cc->last_send_ns)
            snprintf(R->after_text, sizeof R->after_text, "+%.1f ms",
                     (double)(stream_time_at(cc, m->start) - cc->last_send_ns) / 1e6);
    }
    if (st->as && !R->named)
        R->named = xcalloc(MAX_NAMED, sizeof *R->named);
    if (st->as && R->nnamed < MAX_NAMED) {
        named_msg *n = &R->named[R->nnamed++];
        n->name = st->as;
        n->conn = conn_id;
        wire_msg_copy(&n->m, m); /* m may be sized to its fields */
    }
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
    char *at_origin = proxy_side(R);
    buf_append(&b, at_origin, strlen(at_origin));
    free(at_origin);
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
                        "own, not the forwarded one%s", m->interim ? "interim" : "final",
                        m->status, (double)(runner_rel(R, t_read) - R->r->start_ns) / 1e6,
                        m->status == 100 ? " (EXP-7: a proxy may send its own 100; the "
                                           "origin's must still be forwarded, PXY-1)" : "");
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
        if (step_names(st, ALT_CLOSE) && !stream_pending(cc)) {
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
        if (step_names(st, ALT_NOTHING) && !stream_pending(cc)) {
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

/* "Connection has close" on an HTTP/1.0 response without keep-alive: the version announces
 * the close as the field would (RFC 9112 §9.3); noted. */
static bool closes_by_version(runner *R, const wire_msg *m, const char *stream, const check *ck,
                              const char *value)
{
    if (m->minor != 0 || ascii_casecmp(ck->field, "Connection") || ascii_casecmp(value, "close") ||
        wire_has_token(m, stream, "Connection", "keep-alive") || ck->on_origin)
        return false;
    result_note(R->r, "the %d response is HTTP/1.0 without keep-alive: its version announces the "
                "close (RFC 9112 §9.3)", m->status);
    return true;
}

void runner_check(runner *R, const check *ck)
{
    const wire_msg *m = R->have_last ? R->last : NULL;
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
        stream = R->conns[conn_id - 1]->c.rx.data;
    /* the failure dates from the message checked, for the headline (case_verdict.c) */
    int64_t t_ev = ck->on_origin ? R->o_req_t
                   : R->conns[conn_id - 1]->c.rx.data
                       ? stream_time_at(R->conns[conn_id - 1], m->head_end - 1)
                       : clock_ns();
    char *value = ck->value ? runner_expand(R, ck->value, NULL) : NULL;
    bool present = wire_find(m, stream, ck->field, NULL) != NULL;
    bool ok = ck->op == CHECK_PRESENT ? present
              : ck->op == CHECK_ABSENT ? !present
              : ck->op == CHECK_HAS    ? wire_has_token(m, stream, ck->field, value) ||
                                         closes_by_version(R, m, stream, ck, value)
              : ck->op == CHECK_IS     ? field_is(m, stream, ck->field, value)
              : ck->op == CHECK_COUNT  ? field_count(m, stream, ck->field) == strtol(value, NULL, 10)
                                       : tokens_within(m, stream, ck->field, value);
    if (!ok && ck->else_skip) {
        char *why = runner_expand(R, ck->else_skip, NULL);
        if (ck->else_done) { /* as "on ... done": noted, and the case ends as it stands */
            result_note(R->r, "%s", why);
            R->stop = true;
        } else
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

/* ---- the send step, and a request sent again -------------------------------------------------- */

/* Whether the step's first line is a request line (a new request, not more content). */
static bool starts_request(runner *R, const step *st)
{
    if (!st->nlines || !st->lines[0].crlf)
        return false;
    size_t n;
    char *text = runner_expand(R, st->lines[0].text, &n);
    bool head, v10, is_req = runner_request_line(text, n, &head, &v10);
    free(text);
    return is_req;
}

/* A connection the server closed, or said it would close, is never written a new request: the
 * request goes on a new connection, and the transcript says why. */
static cconn *connection_for_request(runner *R, cconn *cc)
{
    if (cc->we_closed) /* the case closed it itself ("close"): a request opens the next one */
        return runner_open_conn(R);
    if (!cc->eof && !cc->said_close)
        return cc;
    char *why = cc->said_close ? xasprintf("the server said it would close this connection "
                                           "(%s in its %d), so the next request goes on a new "
                                           "connection", cc->close_why, cc->close_status)
                               : xstrdup("the server closed this connection, so the next "
                                         "request goes on a new connection");
    result_tx_note(R->r, cc->id, runner_rel(R, clock_ns()), why);
    free(why);
    return runner_open_conn(R);
}

void step_send(runner *R, const step *st)
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
    conn_status s = conn_is_open(&cc->c)
                        ? conn_send(&cc->c, out.data, out.len, runner_bounded(R, want), &sent)
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
                              conn_is_open(&cc->c) ? cc->c.errmsg : "connection closed");
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
    result_tx_note(R->r, R->conns[R->cur]->id, runner_rel(R, clock_ns()),
                   "the server closed this reused connection without answering the request: it "
                   "goes again on a new connection (RFC 9112 §9.3.1)");
    if (!runner_open_conn(R))
        return false;
    step_send(R, st);
    return !R->stop;
}

/* ---- the embedded origin's side, as checks and messages cite it ---------------------------- */

const wire_msg *proxy_request(const runner *R, const char **stream)
{
    if (R->oc) {
        *stream = R->oc->rx.data;
        return &R->oc->req;
    }
    *stream = R->oreq_stream;
    return R->oreq;
}

bool proxy_predates_origin(const runner *R, int64_t t_abs)
{
    return R->ctx->org && R->c->uses_origin && (!R->nosent || t_abs < R->osent[R->nosent - 1].t0);
}

char *proxy_side(runner *R)
{
    if (!R->ctx->org || !R->c->uses_origin)
        return xstrdup("");
    buf_t b;
    buf_init(&b, 1024);
    if (!R->o_nreq) {
        buf_printf(&b, "; the request never reached the origin");
        return buf_steal(&b);
    }
    buf_printf(&b, "; at the origin: the request arrived (%s) at +%.3fms", R->o_version,
               (double)(runner_rel(R, R->o_req_t) - R->r->start_ns) / 1e6);
    for (size_t i = 0, k = 0; i < R->nosent; i++)
        if (!R->osent[i].failed)
            buf_printf(&b, "%s%d", k++ ? ", " : ", and the origin wrote ", R->osent[i].status);
    return buf_steal(&b);
}

/* ---- WebSocket frames a step sends ---------------------------------------------------------- */

void step_ws_frame(runner *R, const step *st, buf_t *frame, bool masked)
{
    size_t n = 0;
    char *text = st->arg ? runner_expand(R, st->arg, &n) : xstrdup("");
    buf_init(frame, 0);
    ws_frame_text(frame, st->opcode, text, n, masked);
    free(text);
}
