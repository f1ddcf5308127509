/* case_proxy: the embedded origin's side of a proxy case. The case's token puts its requests in
 * its hands (see origin.h); "<" lines are what the origin writes, timestamped so that each
 * interim response's forwarding delay (origin wrote at t0, client read at t1) is exact. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "case_int.h"
#include "fates.h"
#include "origin.h"
#include "util.h"
#include "ws.h"

#define ORIGIN_WS_MAX (1024 * 1024)
/* After the proxy's own interim: how long the origin may still see the request head */
#define ORIGIN_GRACE_NS (100 * 1000000LL)

static unsigned long token_counter;

/* ---- the case's token and variables ---------------------------------------------------------- */

void proxy_case_start(runner *R)
{
    char key[25];
    ws_random_key(key); /* 16 random bytes: take a few as the nonce */
    unsigned long n = __atomic_add_fetch(&token_counter, 1, __ATOMIC_RELAXED);
    snprintf(R->token, sizeof R->token, "c%lu-", n);
    for (size_t i = 0, k = strlen(R->token); i < 24 && k < 20; i++)
        if ((key[i] >= 'a' && key[i] <= 'z') || (key[i] >= '0' && key[i] <= '9'))
            R->token[k++] = key[i], R->token[k] = '\0';
    const char *path = R->ctx->tgt->path;
    size_t plen = strlen(path);
    while (plen && path[plen - 1] == '/')
        plen--;
    if (R->ctx->mode == MODE_FORWARD_PROXY) /* absolute-form, to the embedded origin */
        R->base = xasprintf("http://%s/h1xx/%s", origin_authority(R->ctx->org), R->token);
    else
        R->base = xasprintf("%.*s/h1xx/%s", (int)plen, path, R->token);
    R->locals[R->nlocals++] = (var){"base", R->base};
    R->locals[R->nlocals++] = (var){"token", R->token};
    origin_register(R->ctx->org, R->token);
    fates_case_start(R);
}

/* The origin closes a connection: in the transcript, and for the fates (a proxy's own 502 that
 * follows may come from reusing it). */
static void origin_closing(runner *R, int id)
{
    int64_t t = runner_rel(R, clock_ns());
    result_tx(R->r, TX_CLOSE, id, t, NULL, 0);
    fates_origin_closed(t);
}

void proxy_case_end(runner *R)
{
    fates_case_end(R);
    proxy_forwarding_samples(R);
    if (R->oc) {
        origin_closing(R, R->oc->id);
        origin_release(R->ctx->org, R->oc, false);
        R->oc = NULL;
    }
    origin_unregister(R->ctx->org, R->token);
    free(R->base);
    R->base = NULL;
    free(R->oreq);
    free(R->oreq_stream);
    R->oreq = NULL;
    R->oreq_stream = NULL;
    fates_sort_transcript(R);
}

/* Keeps the request the origin holds, so checks still work once the connection is handed back. */
static void keep_request(runner *R, const origin_conn *oc)
{
    free(R->oreq_stream);
    R->oreq_stream = xstrndup(oc->rx.data, oc->req.head_end);
    if (!R->oreq)
        R->oreq = xmalloc(sizeof *R->oreq);
    *R->oreq = oc->req;
}

static long body_end(const origin_conn *oc);

/* The exchange on R->oc is over (request read whole, final written): the proxy may send any
 * case's next request on this connection, so the dispatcher takes it back at once, unless the
 * request asked for the connection to close, which the origin then does. */
static void release_if_done(runner *R)
{
    origin_conn *oc = R->oc;
    long end = body_end(oc);
    if (!R->oc_final_sent || end < 0 || oc->pos < (size_t)end || R->ctx->mode == MODE_CLIENT)
        return; /* (client mode: one driver, one exchange; the case keeps the connection) */
    keep_request(R, oc);
    bool closing = oc->srv.closing; /* srv_conn.h: the request or the final ends it */
    result_tx_note(R->r, oc->id, runner_rel(R, clock_ns()),
                   closing ? "exchange complete: the request or the final response ends the "
                             "connection, so the origin closes it (RFC 9112 §9.6)"
                           : "exchange complete: the connection goes back to the embedded "
                             "origin for the proxy's next request");
    if (closing)
        origin_closing(R, oc->id);
    origin_release(R->ctx->org, oc, !closing);
    R->oc = NULL;
}

static origin_conn *need_oc(runner *R, const char *what)
{
    if (!R->oc)
        runner_end(R, VERDICT_ERROR, "%s: the origin holds no request (origin accept first)", what);
    return R->oc;
}

/* Records the bytes the origin read from `from` on, chunk by chunk with their arrival times. */
static void record_origin_reads(runner *R, origin_conn *oc, size_t from)
{
    for (size_t i = 0; i < oc->nchunks; i++) {
        size_t start = i ? oc->chunks[i - 1].end : 0, end = oc->chunks[i].end;
        if (end <= from)
            continue;
        if (start < from)
            start = from;
        result_tx(R->r, TX_RECV, oc->id, runner_rel(R, oc->chunks[i].t), oc->rx.data + start,
                  end - start);
    }
}

/* ---- writing ------------------------------------------------------------------------------- */

/* Notes every status line at a message start in what the origin wrote, with the write's window
 * [t0, t1]: the client may read the bytes before the write call returns. */
static void note_statuses(runner *R, const char *p, size_t n, int64_t t0, int64_t t1,
                          int conn_id, bool failed)
{
    for (size_t i = 0; i + 12 <= n && !R->o_switched; i++) {
        bool at_start = i == 0 || (i >= 4 && memcmp(p + i - 4, "\r\n\r\n", 4) == 0);
        if (!at_start || memcmp(p + i, "HTTP/1.", 7) != 0 || p[i + 8] != ' ')
            continue;
        const char *d = p + i + 9;
        if (d[0] < '1' || d[0] > '9' || d[1] < '0' || d[1] > '9' || d[2] < '0' || d[2] > '9')
            continue; /* not a status the proxy could read either (e.g. "1x0") */
        int code = (d[0] - '0') * 100 + (d[1] - '0') * 10 + (d[2] - '0');
        if (code >= 200 && !failed)
            R->oc_final_sent = true;
        if (!R->osent)
            R->osent = xcalloc(MAX_OSENT, sizeof *R->osent);
        const char *end = memmem(p + i, n - i, "\r\n\r\n", 4);
        size_t hlen = end ? (size_t)(end - (p + i)) + 4 : n - i;
        char tok[FATES_TOKEN_MAX];
        int seq = 0;
        if (!fates_trace_parse(p + i, hlen, tok, sizeof tok, &seq) || strcmp(tok, R->token))
            seq = ++R->o_seq;
        if (R->nosent < MAX_OSENT)
            R->osent[R->nosent++] = (struct osent){code, t0, t1, conn_id, seq, R->o_nreq,
                                                   xstrndup(p + i, hlen < 2048 ? hlen : 2048),
                                                   failed};
        R->o_switched = code == 101 && !failed; /* what follows is the new protocol's */
    }
}

/* Another case's token in a request that came on this case's origin connection after its own
 * request, before its final was written: the proxy sent another client's request on a
 * connection whose response was still coming (the fates judge it, case_fates.c). */
static void poll_foreign(runner *R, origin_conn *oc)
{
    size_t before = oc->rx.len, n;
    int64_t t;
    while (!oc->eof && origin_read(oc, clock_ns(), &t, &n) == 1)
        ;
    record_origin_reads(R, oc, before);
    long end = body_end(oc);
    if (R->o_foreign || R->oc_final_sent || end < 0 || (size_t)end >= oc->rx.len)
        return;
    const char *s = oc->rx.data + end, *hit = memmem(s, oc->rx.len - (size_t)end, "/h1xx/", 6);
    if (!hit)
        return;
    hit += 6;
    size_t k = 0, left = oc->rx.len - (size_t)(hit - oc->rx.data);
    while (k < left && k < FATES_TOKEN_MAX - 1 && hit[k] != '/' && hit[k] != ' ')
        k++;
    char *tok = xstrndup(hit, k);
    if (strcmp(tok, R->token) == 0) {
        free(tok);
        return;
    }
    R->o_foreign = tok;
    R->o_foreign_t = origin_time_at(oc, (size_t)(hit - oc->rx.data));
}

/* Writes p[0, n) on the origin's side, each message marked with the trace field (fates.h),
 * recorded, and its statuses noted. Returns origin_write's result. */
static int origin_emit(runner *R, origin_conn *oc, const char *p, size_t n, int64_t deadline)
{
    buf_t traced;
    buf_init(&traced, 0);
    if (fates_trace_on(R) && !R->o_switched &&
        fates_trace_insert(p, n, R->token, &R->o_seq, &traced) > 0) {
        p = traced.data;
        n = traced.len;
    }
    if (fates_trace_on(R))
        poll_foreign(R, oc);
    int64_t t0 = clock_ns();
    buf_t sent; /* the script's bytes under the connection policy (srv_conn.h) */
    buf_init(&sent, 0);
    int rc = origin_send(oc, p, n, deadline, &sent);
    int64_t t1 = clock_ns();
    result_tx(R->r, TX_SENT, oc->id, runner_rel(R, t0), sent.data ? sent.data : p,
              rc ? 0 : sent.len);
    /* a failed write: never reached anyone */
    note_statuses(R, rc ? p : sent.data, rc ? n : sent.len, t0, t1, oc->id, rc != 0);
    if (rc == 0 && oc->closed_write)
        result_tx_note(R->r, oc->id, runner_rel(R, t1), "the final response ends the "
                       "connection: the server shuts its side (RFC 9112 §9.6)");
    buf_free(&sent);
    buf_free(&traced);
    return rc;
}

void step_origin_send(runner *R, const step *st)
{
    origin_conn *oc = need_oc(R, "'<'");
    if (!oc)
        return;
    buf_t out;
    buf_init(&out, 0);
    runner_build(R, st, &out, NULL);
    const char *forbidden = srv_conn_forbidden(&oc->srv, out.data, out.len);
    if (forbidden && R->ctx->mode == MODE_CLIENT) { /* h1xx would break the rule itself */
        runner_end(R, VERDICT_SKIP, "inconclusive: the client sent %s %s %s, and a server must "
                   "not answer an HTTP/1.0 request with %s: this case needs an HTTP/1.1 request",
                   oc->method, oc->target, oc->version, forbidden);
        buf_free(&out);
        return;
    }
    if (forbidden) { /* the origin may not play the case: it would break the rule itself */
        runner_end(R, VERDICT_SKIP, "inconclusive: the proxy forwarded the request as HTTP/1.0 "
                   "(%s %s %s), and an origin must not answer an HTTP/1.0 request with %s: how "
                   "the proxy handles it cannot be tested (RFC 9112 §2.3: an intermediary MUST send "
                   "its own HTTP version in forwarded messages, unless it downgrades on purpose "
                   "as a workaround for an upstream problem, which is allowed and cannot be told "
                   "apart from outside: noted, not judged)",
                   oc->method, oc->target, oc->version, forbidden);
        buf_free(&out);
        return;
    }
    int64_t want = clock_ns() + runner_duration(R, NULL, "${timeout}");
    int rc = origin_emit(R, oc, out.data ? out.data : "", out.len, runner_bounded(R, want));
    if (rc == 0)
        release_if_done(R);
    else
        result_tx_note(R->r, oc->id, runner_rel(R, clock_ns()), R->ctx->mode == MODE_CLIENT
                       ? "write failed: the client closed the connection"
                       : "origin write failed: the proxy closed its upstream connection");
    buf_free(&out);
}

/* ---- accepting and reading ----------------------------------------------------------------- */

/* A read-ahead interim on the client side that an "interim" alternative of st names, or -1. */
static int peeked_interim(const runner *R, const step *st)
{
    const cconn *cc = R->conns[R->cur];
    for (int a = 0; st && a < st->nalts; a++)
        for (size_t i = 0; st->alts[a].kind == ALT_INTERIM && i < cc->npeeked; i++)
            if (cc->peeked[i].interim && codes_match(&st->alts[a].codes, cc->peeked[i].status))
                return (int)i;
    return -1;
}

/* The client side has its answer: a final response from the proxy, or a close or reset, or an
 * interim the accepting step names. */
static bool client_answered(void *arg)
{
    runner *R = arg;
    if (R->cur < 0)
        return false;
    cconn *cc = R->conns[R->cur];
    return stream_peek_final(R, cc) || cc->eof || peeked_interim(R, R->waiting) >= 0;
}

/* What the proxy's request looks like from the origin, for the report. */
static void note_request(runner *R, origin_conn *oc)
{
    result_note(R->r, "the origin received %s %s %s on connection %d", oc->method, oc->target,
                oc->version, oc->id);
    R->o_nreq++;
    R->o_req_t = oc->t_head;
    R->o_sent_from = R->nosent;
    snprintf(R->o_version, sizeof R->o_version, "%s", oc->version);
    const cconn *cc = R->cur >= 0 ? R->conns[R->cur] : NULL;
    for (size_t i = 0; cc && i < cc->npeeked; i++)
        if (cc->peeked[i].interim)
            result_note(R->r, "before the request reached the origin, the client got interim %d "
                        "from the proxy itself (EXP-7: a proxy may send its own 100)",
                        cc->peeked[i].status);
}

/* What the client got from the proxy so far, as "interim 100, final 404" (peeked included). */
static void client_got(runner *R, buf_t *b)
{
    if (R->cur < 0) /* client mode: h1xx reads no responses; the driver's run is in the notes */
        return (void)buf_printf(b, "nothing (client mode: see the driver's notes)");
    const cconn *cc = R->conns[R->cur];
    size_t n0 = b->len;
    for (size_t i = R->wait_msg0; i < R->r->nmsgs; i++)
        if (R->r->msgs[i].conn == cc->id)
            buf_printf(b, "%s%s %d", b->len > n0 ? ", " : "",
                       R->r->msgs[i].interim ? "interim" : "final", R->r->msgs[i].status);
    if (cc->eof)
        buf_printf(b, "%s%s", b->len > n0 ? ", then " : "",
                   cc->reset ? "the connection reset" : "the connection closed");
    if (b->len == n0)
        buf_printf(b, "nothing");
}

/* The client connection closed with nothing read since the request went out. */
static bool closed_unanswered(runner *R)
{
    const cconn *cc = R->conns[R->cur];
    if (!cc->eof || cc->npeeked || stream_pending(cc))
        return false;
    for (size_t i = R->wait_msg0; i < R->r->nmsgs; i++)
        if (R->r->msgs[i].conn == cc->id)
            return false;
    return true;
}

/* The proxy answered the client itself (a final) or closed, before the request reached the
 * origin: a case about forwarding cannot judge forwarding then. A final is the proxy's own
 * answer (it does not route the request here: inconclusive); a close or reset with no answer
 * fails the step. */
static void answered_without_origin(runner *R, const step *st, int64_t ns)
{
    cconn *cc = R->conns[R->cur];
    wire_msg *m = xmalloc(sizeof *m);
    buf_t got;
    buf_init(&got, 1024);
    client_got(R, &got);
    int64_t closed = fates_last_origin_close(), now = runner_rel(R, clock_ns());
    bool fin = stream_take_final(cc, m);
    if (fin && m->status >= 502 && m->status <= 504 && closed >= 0 &&
        now - closed < 10 * 1000000000LL) {
        runner_remember(R, st, m, cc->id);
        runner_end(R, VERDICT_SKIP, "inconclusive: the proxy answered %d itself (the client got "
                   "%s) and the request never reached the origin, %.3fms after the embedded "
                   "origin closed a connection: the proxy most likely sent this request on that "
                   "closed upstream connection (reusing a connection the origin closed), not a "
                   "routing problem", m->status, got.data, (double)(now - closed) / 1e6);
    } else if (fin) {
        runner_remember(R, st, m, cc->id);
        runner_end(R, VERDICT_SKIP, "inconclusive: the proxy answered %d itself (the client got "
                   "%s) and the request never reached the origin: the proxy may not be "
                   "configured to route this request to h1xx's origin (some proxies need a "
                   "separate rule for WebSocket or for this method)", m->status, got.data);
    } else {
        runner_fail(R, true, runner_require(R, st->require),
                    "expected the request at the origin within %lldms, got at the client: %s, "
                    "and the request never reached the origin", (long long)(ns / 1000000),
                    got.data);
        R->stop = true;
    }
    buf_free(&got);
    free(m);
}

void step_origin_accept(runner *R, const step *st)
{
    int64_t ns = runner_duration(R, st->within, "${timeout}");
    if (R->stop)
        return;
    if (R->oc) { /* the previous exchange is over: the proxy may reuse the connection */
        origin_release(R->ctx->org, R->oc, R->oc_final_sent && R->oc->pos <= R->oc->rx.len &&
                                               !R->oc->srv.closing);
        R->oc = NULL;
    }
    R->oc_final_sent = false;
    if (R->cur >= 0)
        runner_wait_begin(R, R->conns[R->cur]);
    int64_t want = clock_ns() + ns;
    origin_conn *oc = NULL;
    R->waiting = st;
    int rc = origin_wait(R->ctx->org, R->token, runner_bounded(R, want), &oc, client_answered, R);
    R->waiting = NULL;
    /* The premise comes from what the origin saw: an interim the proxy sent itself means "the
     * proxy holds the request" only when the origin saw nothing; a proxy that sends its own 100
     * and forwards the head at once is on the request path (the 100 stays read ahead). */
    if (rc == 2 && peeked_interim(R, st) >= 0 && origin_wait(R->ctx->org, R->token,
            runner_bounded(R, clock_ns() + ORIGIN_GRACE_NS), &oc, NULL, NULL) == 1)
        rc = 1;
    int early = rc == 2 ? peeked_interim(R, st) : -1;
    if (rc == 1) {
        R->oc = oc;
        R->o_ws_pos = 0;
        record_origin_reads(R, oc, oc->req.start);
        oc->pos = oc->body_start;
        note_request(R, oc);
        run_actions_for(R, st, ALT_REQUEST);
    } else if (rc == 2 && step_names(st, ALT_FINAL) && stream_peek_final(R, R->conns[R->cur])) {
        wire_msg *m = xmalloc(sizeof *m);
        cconn *cc = R->conns[R->cur];
        if (stream_take_final(cc, m)) {
            runner_remember(R, st, m, cc->id);
            run_actions_for(R, st, ALT_FINAL);
        }
        free(m);
    } else if (early >= 0) { /* an interim the step names, from the proxy itself */
        cconn *cc = R->conns[R->cur];
        wire_msg *m = xmalloc(sizeof *m);
        for (int i = 0; i <= early; i++)
            stream_next(R, cc, clock_ns(), m);
        runner_remember(R, st, m, cc->id);
        run_actions_for(R, st, ALT_INTERIM);
        free(m);
    } else if (rc == 2 && closed_unanswered(R) && runner_retry_request(R)) {
        step_origin_accept(R, st); /* wait again, for the request sent anew */
    } else if (rc == 2) {
        answered_without_origin(R, st, ns);
    } else if (rc == -1) {
        runner_end(R, VERDICT_NOTRUN, "interrupted");
    } else if (!runner_cut(R, want)) {
        buf_t got;
        buf_init(&got, 1024);
        if (R->cur >= 0)
            client_got(R, &got);
        runner_fail(R, true, runner_require(R, st->require),
                    "expected the request at the origin%s within %lldms, got nothing at the "
                    "origin; meanwhile the client got %s from the proxy",
                    step_names(st, ALT_FINAL) ? " (or a final response at the client)" : "",
                    (long long)(ns / 1000000), got.len ? got.data : "nothing");
        buf_free(&got);
        R->stop = true;
    }
}

/* Where the request's content ends, from its framing: -2 not yet known (chunked, incomplete). */
static long body_end(const origin_conn *oc)
{
    const char *s = oc->rx.data;
    const wire_field *te = wire_find(&oc->req, s, "Transfer-Encoding", NULL);
    if (te && list_has_token(s + te->value_off, te->value_len, "chunked")) {
        size_t i = oc->body_start;
        for (;;) { /* chunk-size [ext] CRLF data CRLF ... 0 CRLF [trailers] CRLF */
            const char *nl = memchr(s + i, '\n', oc->rx.len - i);
            if (!nl)
                return -2;
            unsigned long size = strtoul(s + i, NULL, 16);
            i = (size_t)(nl - s) + 1;
            if (size == 0) {
                for (;;) {
                    const char *e = memchr(s + i, '\n', oc->rx.len - i);
                    if (!e)
                        return -2;
                    size_t len = (size_t)(e - (s + i));
                    i = (size_t)(e - s) + 1;
                    if (len == 0 || (len == 1 && s[i - 2] == '\r'))
                        return (long)i;
                }
            }
            if (oc->rx.len - i < size + 2)
                return -2;
            i += size + 2;
        }
    }
    const wire_field *cl = wire_find(&oc->req, s, "Content-Length", NULL);
    long n = cl ? strtol(s + cl->value_off, NULL, 10) : 0;
    return (long)oc->body_start + (n > 0 ? n : 0);
}

/* The embedded origin is a conforming origin: a forwarded HTTP/1.1 request that expects
 * 100-continue gets its 100 before the origin waits for the content (RFC 9110 §10.1.1), unless
 * the case's script wrote one already. A proxy that passed an expectation upstream then meets
 * the 100 it asked for (and must not hand it to an HTTP/1.0 client). */
static void answer_expectation(runner *R, origin_conn *oc)
{
    for (size_t i = R->o_sent_from; i < R->nosent; i++)
        if (R->osent[i].status == 100)
            return;
    if (strcmp(oc->version, "HTTP/1.1") != 0 || R->ctx->mode == MODE_CLIENT || /* scripted */
        !wire_has_token(&oc->req, oc->rx.data, "Expect", "100-continue"))
        return;
    static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
    origin_emit(R, oc, cont, sizeof cont - 1, runner_bounded(R, clock_ns() + 1000000000));
    result_tx_note(R->r, oc->id, runner_rel(R, clock_ns()), "the forwarded request expects "
                   "100-continue: the origin answers 100 before reading the content, as an "
                   "origin must (RFC 9110 §10.1.1)");
}

void step_origin_read(runner *R, const step *st)
{
    origin_conn *oc = need_oc(R, "origin read");
    int64_t ns = runner_duration(R, st->within, "${timeout}");
    if (!oc || R->stop)
        return;
    answer_expectation(R, oc);
    int64_t want = clock_ns() + ns;
    size_t recorded = oc->rx.len;
    long end;
    if (R->cur >= 0)
        runner_wait_begin(R, R->conns[R->cur]);
    while ((end = body_end(oc)) < 0 || (size_t)end > oc->rx.len) {
        int64_t t, slice = clock_ns() + 20000000;
        size_t n;
        int rc = origin_read(oc, runner_bounded(R, slice < want ? slice : want), &t, &n);
        if (rc == 1)
            continue;
        if (rc == 0 && client_answered(R)) { /* the proxy answered the client meanwhile */
            buf_t got;
            buf_init(&got, 1024);
            client_got(R, &got);
            runner_fail(R, true, runner_require(R, st->require),
                        "expected the request's content at the origin, got %zu bytes of it "
                        "there; meanwhile the client got %s from the proxy",
                        oc->rx.len - oc->body_start, got.data);
            buf_free(&got);
            R->stop = true;
            break;
        }
        if (rc == 0 && runner_cut(R, want))
            break; /* the case or run deadline ended it */
        if (rc == 0 && clock_ns() < want)
            continue;
        if (rc == -2) {
            runner_end(R, VERDICT_NOTRUN, "interrupted");
        } else {
            buf_t got;
            buf_init(&got, 1024);
            client_got(R, &got);
            runner_fail(R, true, runner_require(R, st->require),
                        "expected the request's content at the origin within %lldms, got %zu "
                        "bytes of it%s; meanwhile the client got %s from the proxy",
                        (long long)(ns / 1000000), oc->rx.len - oc->body_start,
                        rc < 0 ? ", then the proxy closed the upstream connection" : "",
                        got.data);
            buf_free(&got);
            R->stop = true;
        }
        break;
    }
    record_origin_reads(R, oc, recorded);
    if (end >= 0 && (size_t)end <= oc->rx.len) {
        oc->pos = (size_t)end;
        release_if_done(R);
    }
}

void step_origin_close(runner *R)
{
    if (!R->oc)
        return;
    origin_closing(R, R->oc->id);
    origin_release(R->ctx->org, R->oc, false);
    R->oc = NULL;
}

/* ---- WebSocket on the origin's side -------------------------------------------------------- */

void origin_ws_send(runner *R, const step *st)
{
    origin_conn *oc = need_oc(R, "origin ws-send");
    if (!oc)
        return;
    buf_t frame;
    step_ws_frame(R, st, &frame, false);
    int64_t want = clock_ns() + runner_duration(R, NULL, "${timeout}");
    int rc = origin_write(oc, frame.data, frame.len, runner_bounded(R, want));
    result_tx(R->r, TX_SENT, oc->id, runner_rel(R, clock_ns()), frame.data, rc ? 0 : frame.len);
    buf_free(&frame);
}

/* The client's frame as the origin got it (masked, as RFC 6455 §5.1 requires of clients). */
static bool origin_frame_matches(runner *R, const step *st, const uint8_t *p, const ws_frame *f)
{
    if (f->opcode != st->opcode)
        return false;
    if (!st->arg)
        return true;
    size_t n = 0;
    char *want = runner_expand(R, st->arg, &n);
    const uint8_t *mask = p + f->payload_off - 4, *pl = p + f->payload_off;
    bool ok = f->masked && f->payload_len == (st->opcode == WS_CLOSE ? 2 : n);
    if (ok && st->opcode == WS_CLOSE)
        ok = (((pl[0] ^ mask[0]) << 8) | (pl[1] ^ mask[1])) == strtol(want, NULL, 10);
    for (size_t i = 0; ok && st->opcode != WS_CLOSE && i < n; i++)
        ok = (uint8_t)(pl[i] ^ mask[i % 4]) == (uint8_t)want[i];
    free(want);
    return ok;
}

void origin_ws_expect(runner *R, const step *st)
{
    origin_conn *oc = need_oc(R, "origin ws-expect");
    int64_t ns = runner_duration(R, st->within, "${timeout}");
    if (!oc || R->stop)
        return;
    if (!R->o_ws_pos)
        R->o_ws_pos = oc->pos;
    int64_t want = clock_ns() + ns;
    size_t recorded = oc->rx.len;
    const char *req = runner_require(R, st->require);
    for (;;) {
        ws_frame f;
        const uint8_t *p = (const uint8_t *)oc->rx.data + R->o_ws_pos;
        long n = oc->rx.len > R->o_ws_pos
                     ? ws_frame_parse(p, oc->rx.len - R->o_ws_pos, ORIGIN_WS_MAX, &f) : -2;
        if (n > 0) {
            R->o_ws_pos += (size_t)n;
            if (f.opcode == WS_PING && st->opcode != WS_PING)
                continue;
            if (!origin_frame_matches(R, st, p, &f)) {
                runner_fail(R, true, req, "expected the origin to receive a masked %s frame%s%s, "
                            "got a %s%s frame of %llu bytes", ws_opcode_name(st->opcode),
                            st->arg ? " carrying " : "", st->arg ? st->arg : "",
                            f.masked ? "masked " : "unmasked ", ws_opcode_name(f.opcode),
                            (unsigned long long)f.payload_len);
                R->stop = true;
            }
            break;
        }
        int64_t t;
        size_t got;
        int rc = n == -1 ? -3 : origin_read(oc, runner_bounded(R, want), &t, &got);
        if (rc == 1)
            continue;
        if (rc == -2)
            runner_end(R, VERDICT_NOTRUN, "interrupted");
        else if (!(rc == 0 && runner_cut(R, want))) {
            runner_fail(R, true, req, "expected the origin to receive a %s frame within %lldms, "
                        "got %s", ws_opcode_name(st->opcode), (long long)(ns / 1000000),
                        rc == -3 ? "a malformed frame" : rc < 0 ? "the connection closed"
                                                               : "nothing");
            R->stop = true;
        }
        break;
    }
    record_origin_reads(R, oc, recorded);
}

/* ---- forwarding ---------------------------------------------------------------------------- */

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* For each status the origin wrote, the index of the client message it became: the next
 * message of that status the client read, in order; r->nmsgs when none came (dropped).
 * malloc'd, R->nosent entries (at least one). */
static size_t *pair_statuses(const runner *R)
{
    const case_result *r = R->r;
    size_t *to = xcalloc(R->nosent + 1, sizeof *to);
    for (size_t i = 0, next = 0; i < R->nosent; i++) {
        size_t j = next;
        if (R->osent[i].failed) { /* never left the origin */
            to[i] = r->nmsgs;
            continue;
        }
        while (j < r->nmsgs && (r->msgs[j].conn > 100 || r->msgs[j].status != R->osent[i].status))
            j++;
        to[i] = j;
        if (j < r->nmsgs)
            next = j + 1;
    }
    return to;
}

/* The forwarding delay of status i paired with message j; never negative (one host's clock:
 * only a stamp taken before the write could make it so). */
static int64_t delay_of(const runner *R, size_t i, size_t j)
{
    int64_t d = R->r->msgs[j].t_head_ns - runner_rel(R, R->osent[i].t0);
    return d < 0 ? 0 : d;
}

/* The interim statuses as structured samples (case_result.fwd), replacing any recorded. */
static void record_samples(runner *R, const size_t *to)
{
    case_result *r = R->r;
    r->nfwd = 0;
    for (size_t i = 0; i < R->nosent; i++)
        if (R->osent[i].status < 200 && !R->osent[i].failed)
            result_fwd(r, R->osent[i].status, to[i] == r->nmsgs ? -1 : delay_of(R, i, to[i]));
}

/* Whether the case bounds a forwarding metric: its samples are recorded even when a step
 * ended it before the bound (a proxy that holds 1xx fails the expect first). */
static bool measures_forwarding(const case_def *c)
{
    for (size_t i = 0; i < c->nsteps; i++)
        if (c->steps[i].kind == STEP_BOUND && strncmp(c->steps[i].metric, "fwd-", 4) == 0)
            return true;
    return false;
}

void proxy_forwarding_samples(runner *R)
{
    if (R->r->nfwd || !R->nosent || !measures_forwarding(R->c))
        return;
    size_t *to = pair_statuses(R);
    record_samples(R, to);
    free(to);
}

/* Pairs every status the origin wrote with the next message of that status the client read
 * (in order), and records each delay: forwarded, held, or dropped is then plain to see. The
 * delay is measured from the start of the origin's write call (the client can read the bytes
 * before the call returns), so it is an upper bound and never negative; the note gives the
 * write's window too. */
void proxy_forwarding(runner *R)
{
    case_result *r = R->r;
    int64_t *delays = xcalloc(R->nosent + 1, sizeof *delays);
    size_t *to = pair_statuses(R);
    size_t nd = 0, dropped = 0;
    for (size_t i = 0; i < R->nosent; i++) {
        int status = R->osent[i].status;
        if (R->osent[i].failed)
            continue;
        /* notes count from the case's start */
        int64_t t0 = runner_rel(R, R->osent[i].t0), t1 = runner_rel(R, R->osent[i].t1);
        if (to[i] == r->nmsgs) {
            result_note(r, "%d written by the origin at +%.3fms: never reached the client "
                        "(dropped)", status, (double)(t0 - r->start_ns) / 1e6);
            dropped += status < 200;
            continue;
        }
        int64_t d = delay_of(R, i, to[i]);
        result_note(r, "%d written by the origin at +%.3fms (the write returned at +%.3fms), "
                    "read by the client at +%.3fms: forwarding delay %.3fms", status,
                    (double)(t0 - r->start_ns) / 1e6, (double)(t1 - r->start_ns) / 1e6,
                    (double)(r->msgs[to[i]].t_head_ns - r->start_ns) / 1e6, (double)d / 1e6);
        if (status < 200)
            delays[nd++] = d;
    }
    record_samples(R, to);
    free(to);
    result_metric(r, "fwd-count", (int64_t)nd, false);
    result_metric(r, "fwd-dropped", (int64_t)dropped, false);
    if (nd) {
        qsort(delays, nd, sizeof *delays, cmp_i64);
        result_metric(r, "fwd-median", delays[nd / 2], true);
        result_metric(r, "fwd-max", delays[nd - 1], true);
    }
    free(delays);
}
