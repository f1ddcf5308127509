/* case_fates: the interpreter's side of the fates (fates.h, docs/fates.md). A proxy case
 * observes to the end: a step that misses is set aside while the origin's script plays on and
 * the client's side is read until every final the origin wrote arrived, a close, or the bound.
 * Then each origin message gets its fate, and the verdict comes from the fates, graded by the
 * role the target plays: dropped is PXY-1 (PRC-4 for a 102 in a PRC-4 case), late or held is
 * FWD-1 (practice), a 1xx made the final or a final lost after a 1xx is FWD-2 (PXY-2 for an
 * unknown code), another case's message is FWD-3. A miss that no fate explains is put back. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "case_int.h"
#include "fates.h"
#include "util.h"

/* ---- setting up and observing ------------------------------------------------------------ */

void fates_case_start(runner *R)
{
    fates_register(R->token, R->c->id);
}

bool fates_trace_on(runner *R)
{
    if (!(R->ctx->mode & (MODE_REVERSE_PROXY | MODE_FORWARD_PROXY)) || R->cl)
        return false;
    for (size_t i = 0; i < R->c->ndefaults; i++)
        if (strcmp(R->c->defaults[i].name, "trace") == 0 &&
            strcmp(R->c->defaults[i].value, "off") == 0)
            return false;
    return true;
}

static bool proxy_case(const runner *R)
{
    return R->ctx->org && !R->cl && (R->ctx->mode & (MODE_REVERSE_PROXY | MODE_FORWARD_PROXY));
}

void fates_snap_take(const runner *R, fates_snap *s)
{
    memset(s, 0, sizeof *s);
    if (!proxy_case(R) || R->observing) /* only a proxy case's first miss is set aside */
        return;
    s->v = R->r->verdict;
    s->msg = R->r->message ? xstrdup(R->r->message) : NULL;
    s->req = R->r->failed_require ? xstrdup(R->r->failed_require) : NULL;
    s->head_t = R->head_t;
    s->head_own = R->head_own;
    s->step_failed = R->step_failed;
}

static bool same_text(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

void fates_after_step(runner *R, const step *st, fates_snap *s)
{
    case_result *r = R->r;
    bool miss = proxy_case(R) && !R->observing && R->stop && R->step_failed &&
                (st->kind == STEP_EXPECT || st->kind == STEP_ORIGIN_ACCEPT ||
                 st->kind == STEP_ORIGIN_READ) &&
                (r->verdict == VERDICT_FAIL || r->verdict == VERDICT_WARN) &&
                !same_text(r->message, s->msg) && !conn_interrupted();
    if (miss) {
        R->miss_msg = r->message;
        R->miss_req = r->failed_require;
        R->miss_verdict = r->verdict;
        R->miss_t = R->head_t;
        r->message = s->msg;
        r->failed_require = s->req;
        r->verdict = s->v;
        R->head_t = s->head_t;
        R->head_own = s->head_own;
        R->step_failed = s->step_failed;
        s->msg = s->req = NULL;
        R->stop = false;
        R->observing = true;
        result_note(r, "line %d missed (%s); the case observes on until the final, a close or "
                    "its bound, so that every message's fate is known", st->line, R->miss_msg);
    }
    free(s->msg);
    free(s->req);
    s->msg = s->req = NULL;
}

/* Reads the current client connection until until_abs (a pause, while observing). */
static void read_until(runner *R, int64_t until_abs)
{
    if (R->cur < 0)
        return;
    cconn *cc = R->conns[R->cur];
    wire_msg *m = NULL;
    while ((conn_is_open(&cc->c) || stream_pending(cc)) && clock_ns() < until_abs &&
           !conn_interrupted())
        if (stream_next_kept(R, cc, until_abs, &m) != NEXT_MSG)
            break;
    free(m);
}

bool fates_step_runs(runner *R, const step *st)
{
    if (!R->observing)
        return true;
    switch (st->kind) {
    case STEP_ORIGIN_ACCEPT: /* the next exchange's request is not sent while observing */
        R->observed_all = true;
        return false;
    case STEP_ORIGIN_SEND: /* the exchange that missed, on its own connection only */
        return R->oc != NULL && !R->observed_all;
    case STEP_ORIGIN_CLOSE: case STEP_NOTE:
        return true;
    case STEP_PAUSE: {
        int64_t want = clock_ns() + runner_duration(R, st->arg, NULL);
        read_until(R, runner_bounded(R, want));
        return false;
    }
    default:
        return false;
    }
}

/* ---- reading to the end ------------------------------------------------------------------- */

static int origin_finals(const runner *R)
{
    int n = 0;
    for (size_t i = 0; i < R->nosent; i++)
        n += R->osent[i].status >= 200 || R->osent[i].status == 101;
    return n;
}

static int client_finals(const runner *R)
{
    int n = 0;
    for (size_t i = 0; i < R->r->nmsgs; i++)
        n += R->r->msgs[i].conn <= 100 && !R->r->msgs[i].interim;
    return n;
}

/* Until every final the origin wrote reached the client, the connection ended, or the bound. */
static void read_to_end(runner *R)
{
    if (R->cur < 0 || !R->nosent)
        return;
    cconn *cc = R->conns[R->cur];
    int64_t until = runner_bounded(R, clock_ns() + runner_duration(R, NULL, "${timeout}"));
    wire_msg *m = NULL;
    while (client_finals(R) < origin_finals(R) && (conn_is_open(&cc->c) || stream_pending(cc)) &&
           clock_ns() < until && !conn_interrupted())
        if (stream_next_kept(R, cc, until, &m) != NEXT_MSG)
            break;
    free(m);
}

/* ---- classifying ----------------------------------------------------------------------------- */

static int64_t fwd_max(runner *R)
{
    for (size_t i = 0; i < R->c->nvars; i++)
        if (strcmp(R->c->vars[i], "fwd_max") == 0)
            return runner_duration(R, "${fwd_max}", NULL);
    return 0;
}

/* malloc'd: the fates of the case's messages (*n of them), with its reads in *rd. */
static fate_out *classify(runner *R, size_t *n, fate_read **rd_out)
{
    case_result *r = R->r;
    fate_write *w = xcalloc(R->nosent + 1, sizeof *w);
    fate_read *rd = xcalloc(r->nmsgs + 1, sizeof *rd);
    bool closed[MAX_CONNS + 2] = {false};
    size_t nr = 0;
    for (size_t i = 0; i < R->nosent; i++) {
        const struct osent *o = &R->osent[i];
        w[i] = (fate_write){o->seq, o->status, o->exch, o->conn, runner_rel(R, o->t0), o->head,
                            o->head ? strlen(o->head) : 0, o->failed};
    }
    for (size_t i = 0; i < r->nmsgs; i++)
        if (r->msgs[i].conn <= 100)
            rd[nr++] = (fate_read){r->msgs[i].status, r->msgs[i].interim, r->msgs[i].conn,
                                   r->msgs[i].t_head_ns, r->msgs[i].head, r->msgs[i].head_len};
    for (int i = 0; i < R->nconns; i++)
        if (R->conns[i]->id <= MAX_CONNS + 1)
            closed[R->conns[i]->id] = R->conns[i]->eof && !R->conns[i]->we_closed;
    fate_input in = {R->token, w, R->nosent, rd, nr, fwd_max(R), closed, MAX_CONNS + 2};
    fate_out *out = xcalloc(R->nosent + nr + 1, sizeof *out);
    *n = fates_classify(&in, out);
    free(w);
    *rd_out = rd;
    return out;
}

/* ---- grading ------------------------------------------------------------------------------- */

typedef struct grader {
    runner *R;
    const fate_out *f;
    size_t n;
    int64_t first;   /* run-relative time of the earliest graded fate's message */
    int64_t explain; /* the message being graded: written (or read, when no write) */
    bool v10;      /* an HTTP/1.0 request was sent: a 1xx not forwarded is right */
    int64_t grace; /* fwd_max, or 250 ms: a message written this soon before the proxy's own
                    * final may have found the proxy gone already */
    bool final_unexplained; /* a final the client never got, with no fate graded for it */
} grader;

static double ms(const runner *R, int64_t rel)
{
    return (double)(rel - R->r->start_ns) / 1e6;
}

static void grade(grader *G, int64_t t_rel, const char *req, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void grade(grader *G, int64_t t_rel, const char *req, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *body = xvasprintf(fmt, ap);
    va_end(ap);
    runner_fail_at(G->R, t_rel + G->R->ctx->run_start_ns, false, req, "%s", body);
    free(body);
    if (G->explain < G->first) /* the message behind it was on its way since then */
        G->first = G->explain;
}

static bool own_require(const runner *R, const char *id)
{
    for (size_t i = 0; i < R->c->nrequire; i++)
        if (strcmp(R->c->require[i], id) == 0)
            return true;
    return false;
}

/* Whether the exchange of f had a 1xx made the final before f (f is its consequence). */
static bool after_made_final(const grader *G, const fate_out *f)
{
    for (const fate_out *g = G->f; g < f; g++)
        if (g->seq && g->exchange == f->exchange && g->kind == FATE_MADE_FINAL)
            return true;
    return false;
}

static const char *final_fate_text(const grader *G, const fate_out *f, char *buf, size_t n)
{
    for (const fate_out *g = f + 1; g < G->f + G->n && g->seq; g++)
        if (g->exchange == f->exchange && g->status >= 200)
            return snprintf(buf, n, "; the origin's final %d, written at +%.3fms, %s", g->status,
                            ms(G->R, g->t_write), g->kind == FATE_DROPPED ? "never reached the "
                            "client" : "came after it"), buf;
    return "";
}

static void grade_made_final(grader *G, const fate_out *f)
{
    char tail[160];
    bool unknown = f->status > 103;
    grade(G, f->t_read, unknown ? "PXY-2" : FATES_FINAL_REQ,
          "the proxy took the origin's %d (written at +%.3fms) as the final response: the client "
          "got %s %d%s%s%s (RFC 9110 §15.2: the intermediary's inbound side is a client, which "
          "MUST parse 1xx responses before the final)", f->status, ms(G->R, f->t_write),
          f->got_status == f->status ? "it as" : "a final", f->got_status,
          f->detail[0] && f->got_status == f->status ? ", then " : "",
          f->got_status == f->status ? f->detail : "", final_fate_text(G, f, tail, sizeof tail));
}

/* The client had a final response nobody wrote (the proxy's own: a 504, a 502) before f was
 * written, or so soon after that the proxy had given up before f reached it. */
static bool proxy_answered_before(const grader *G, const fate_out *f)
{
    for (size_t i = 0; i < G->n; i++)
        if (G->f[i].kind == FATE_UNWRITTEN && G->f[i].got_status >= 200 &&
            G->f[i].t_read <= f->t_write + G->grace)
            return true;
    return false;
}

/* The client got another case's message: this case's own are lost as a consequence. */
static bool got_other(const grader *G)
{
    for (size_t i = 0; i < G->n; i++)
        if (G->f[i].kind == FATE_FROM_OTHER)
            return true;
    return false;
}

/* The client had closed its connection (a case's own close) when f was written: the latest
 * client open or close before the write is a close. */
static bool client_closed_before(const grader *G, const fate_out *f)
{
    const case_result *r = G->R->r;
    bool closed = false;
    int64_t latest = INT64_MIN; /* (the transcript is sorted only at the case's end) */
    for (size_t i = 0; i < r->ntx; i++) {
        const tx_entry *e = &r->tx[i];
        if (e->conn <= 100 && (e->kind == TX_OPEN || e->kind == TX_CLOSE) &&
            e->t_ns <= f->t_write && e->t_ns >= latest) {
            latest = e->t_ns;
            closed = e->kind == TX_CLOSE;
        }
    }
    return closed;
}

static void grade_dropped(grader *G, const fate_out *f)
{
    bool final = f->status >= 200 || f->status == 101;
    if (after_made_final(G, f) || got_other(G))
        return;
    if (proxy_answered_before(G, f) || client_closed_before(G, f)) {
        G->final_unexplained |= final;
        return;
    }
    if (final) {
        G->final_unexplained |= !f->after_1xx;
        if (f->after_1xx)
            grade(G, f->t_write, FATES_FINAL_REQ, "the origin's final %d (written at +%.3fms) "
                  "never reached the client, after the 1xx before it did (RFC 9110 §15.2: the "
                  "intermediary's inbound side MUST parse 1xx responses before the final)",
                  f->status, ms(G->R, f->t_write));
        return;
    }
    if (G->v10)
        return;
    if (f->unsettled) { /* not provably dropped: §15.2 sets no time, so practice */
        grade(G, f->t_write, FATES_LATE_REQ, "the %d the origin wrote at +%.3fms had not reached "
              "the client when the case ended, its connection still open: late past the case's "
              "bound, or dropped (RFC 9110 §15.2 requires forwarding but sets no time)",
              f->status, ms(G->R, f->t_write));
        return;
    }
    const char *req = f->status == 102 && own_require(G->R, "PRC-4") ? "PRC-4" : "PXY-1";
    grade(G, f->t_write, req, "the %d the origin wrote at +%.3fms never reached the client "
          "(dropped)", f->status, ms(G->R, f->t_write));
}

static void grade_one(grader *G, const fate_out *f, const fate_read *rd)
{
    (void)rd;
    runner *R = G->R;
    G->explain = f->t_write >= 0 ? f->t_write : f->t_read;
    switch (f->kind) {
    case FATE_DROPPED:
        grade_dropped(G, f);
        break;
    case FATE_LATE: case FATE_HELD:
        grade(G, f->t_read, FATES_LATE_REQ, "the %d the origin wrote at +%.3fms reached the "
              "client %.3fms later%s (h1xx's bound fwd_max; RFC 9110 §15.2 sets no time)",
              f->status, ms(R, f->t_write), (double)(f->t_read - f->t_write) / 1e6,
              f->kind == FATE_HELD ? ", held until the origin's final was written" : "");
        break;
    case FATE_MADE_FINAL:
        grade_made_final(G, f);
        break;
    case FATE_ALTERED:
        if (f->status < 200 && f->got_status < 200)
            grade(G, f->t_read, "PXY-1", "the %d the origin wrote at +%.3fms reached the client "
                  "as %d", f->status, ms(R, f->t_write), f->got_status);
        break;
    case FATE_FROM_OTHER: {
        const char *other = fates_case_of(f->other_token);
        grade(G, f->t_read, FATES_CROSS_REQ, "got a %d that the origin wrote for %s%s%s: the "
              "proxy reused that upstream connection while that response was still coming",
              f->got_status, other ? other : "another exchange (token ", other ? "" : f->other_token,
              other ? "" : ")");
        break;
    }
    default:
        break;
    }
    if (f->reordered)
        grade(G, f->t_read, "PXY-1", "the %d the origin wrote at +%.3fms reached the client "
              "before a message the origin wrote earlier (reordered)", f->status,
              ms(R, f->t_write));
}

/* This case's origin connection carried another case's request before this case's final was
 * written (case_proxy.c saw it): the proxy reused the connection mid-response. */
static void grade_foreign_request(grader *G)
{
    runner *R = G->R;
    bool ended = false; /* this case's client exchange ended before its final: proof enough */
    for (size_t i = 0; i < G->n; i++)
        ended |= G->f[i].kind == FATE_MADE_FINAL ||
                 (G->f[i].kind == FATE_DROPPED && G->f[i].status >= 200);
    if (!R->o_foreign || !ended) /* else a pipelined request (legal): not judged */
        return;
    const char *other = fates_case_of(R->o_foreign);
    G->explain = runner_rel(R, R->o_foreign_t);
    grade(G, runner_rel(R, R->o_foreign_t), FATES_CROSS_REQ, "the proxy sent the request of %s%s "
          "on this case's origin connection while this case's response was still coming: what "
          "the origin wrote after it went to that client", other ? other : "another case, token ",
          other ? "" : R->o_foreign);
}

/* ---- recording ----------------------------------------------------------------------------- */

static void record(runner *R, const fate_out *f)
{
    const char *other = f->kind == FATE_FROM_OTHER ? fates_case_of(f->other_token) : NULL;
    fate_record rec = {f->kind, f->kind == FATE_FROM_OTHER ? f->other_seq : f->seq, f->status,
                       f->got_status, f->oconn, f->cconn, f->t_write, f->t_read,
                       (char *)(f->kind == FATE_FROM_OTHER ? (other ? other : f->other_token)
                                                          : NULL),
                       f->detail[0] ? (char *)f->detail : NULL};
    result_fate(R->r, &rec);
    if (f->kind == FATE_FORWARDED || !f->seq)
        return;
    char when[64] = "";
    if (f->t_read >= 0)
        snprintf(when, sizeof when, ", read at +%.3fms", ms(R, f->t_read));
    result_note(R->r, "fate of the origin's message %d (%d, written at +%.3fms): %s%s%s%s",
                f->seq, f->status, ms(R, f->t_write), fate_kind_name(f->kind), when,
                f->detail[0] ? ": " : "", f->detail);
}

void fates_case_end(runner *R)
{
    if (!proxy_case(R))
        return;
    bool observing = R->observing;
    R->observing = false;
    verdict_t v = R->r->verdict;
    if (observing || (v != VERDICT_ERROR && v != VERDICT_NOTRUN && !conn_interrupted()))
        read_to_end(R);
    size_t n = 0;
    fate_read *rd = NULL;
    fate_out *f = classify(R, &n, &rd);
    int64_t bound = fwd_max(R);
    grader G = {R, f, n, INT64_MAX, INT64_MAX, false, bound > 0 ? bound : 250 * 1000000LL,
                false};
    for (size_t i = 0; i < R->r->ntx; i++) { /* an HTTP/1.0 request gets no 1xx: not dropped */
        const tx_entry *e = &R->r->tx[i];
        G.v10 |= e->kind == TX_SENT && e->conn <= 100 && e->data &&
                 memmem(e->data, e->len, " HTTP/1.0\r\n", 11) != NULL;
    }
    bool judge = R->r->verdict != VERDICT_ERROR && R->r->verdict != VERDICT_NOTRUN;
    for (size_t i = 0; i < n && G.v10; i++)
        if (f[i].kind == FATE_DROPPED && f[i].status < 200 && f[i].status != 101 && f[i].seq &&
            !f[i].detail[0])
            snprintf(f[i].detail, sizeof f[i].detail, "not forwarded to an HTTP/1.0 client, as "
                     "RFC 9110 §15.2 requires");
    for (size_t i = 0; i < n; i++) {
        record(R, &f[i]);
        if (judge)
            grade_one(&G, &f[i], f[i].read_index >= 0 ? &rd[f[i].read_index] : NULL);
    }
    if (judge)
        grade_foreign_request(&G);
    if (R->miss_msg) {
        int64_t miss_rel = runner_rel(R, R->miss_t);
        /* explained by a fate on its way by then, unless a final the origin wrote was lost
         * without a fate that grades it: a dropped 1xx (practice for a gateway) does not
         * explain a final that never came */
        if (G.first <= miss_rel && !G.final_unexplained)
            result_note(R->r, "the miss is explained by the fates: %s", R->miss_msg);
        else {
            runner_raise(R, R->miss_verdict, R->miss_t, true, R->miss_req, R->miss_msg);
            R->miss_msg = NULL;
        }
    }
    free(f);
    free(rd);
}

/* ---- one transcript ------------------------------------------------------------------------ */

typedef struct tx_at { tx_entry e; size_t i; } tx_at;

static int cmp_tx(const void *a, const void *b)
{
    const tx_at *x = a, *y = b;
    if (x->e.t_ns != y->e.t_ns)
        return x->e.t_ns < y->e.t_ns ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

void fates_sort_transcript(runner *R)
{
    case_result *r = R->r;
    if (r->ntx < 2 || !(R->ctx->mode & (MODE_REVERSE_PROXY | MODE_FORWARD_PROXY)))
        return;
    tx_at *a = xmalloc(r->ntx * sizeof *a);
    for (size_t i = 0; i < r->ntx; i++)
        a[i] = (tx_at){r->tx[i], i};
    qsort(a, r->ntx, sizeof *a, cmp_tx); /* stable: the index breaks ties */
    for (size_t i = 0; i < r->ntx; i++)
        r->tx[i] = a[i].e;
    free(a);
}

void fates_case_free(runner *R)
{
    for (size_t i = 0; R->osent && i < R->nosent; i++)
        free(R->osent[i].head);
    free(R->miss_msg);
    free(R->miss_req);
    free(R->o_foreign);
    R->miss_msg = R->miss_req = R->o_foreign = NULL;
}
