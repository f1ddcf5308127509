/* case_run: plays one case against the target (see case.h) and decides its verdict from what
 * arrived on the wire. A failed expectation ends the case; generic findings never do. When the
 * case cannot decide (a variable unset, the target answered in a way that leaves the rule
 * untested), it skips with the reason; it never guesses a pass. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "case_int.h"
#include "util.h"
#include "ws.h"

/* ---- expectations -------------------------------------------------------------------------- */

static void step_expect(runner *R, const step *st)
{
    cconn *cc = runner_current(R);
    int64_t ns = runner_duration(R, st->within, "${timeout}");
    if (!cc || R->stop)
        return;
    int64_t want = clock_ns() + ns;
    char *desc = runner_describe(R, st, ns);
    wire_msg *m = NULL;
    runner_wait_begin(R, cc);
    for (;;) {
        next_status s = stream_next_kept(R, cc, runner_bounded(R, want), &m);
        if (R->stop || runner_outcome(R, st, cc, s, m, desc, want))
            break;
    }
    free(m);
    free(desc);
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
    cconn *cc = R->conns[R->cur];
    if (!conn_is_open(&cc->c))
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
        runner_check(R, &st->chk);
        break;
    case STEP_PAUSE:
        step_pause(R, st);
        break;
    case STEP_OPEN:
        runner_open_conn(R);
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
        if (R->cl) /* client mode: notes when the client gave up, and after how many 1xx */
            client_before_send(R);
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
    case STEP_ORIGIN_QUIET:
        step_origin_quiet(R, st);
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

/* Plays the steps in order until one ends the case. In a proxy case a step that misses does not
 * end it: the case observes on (case_fates.c), the origin's steps still playing. */
static void run_steps(runner *R)
{
    for (size_t i = 0; i < R->c->nsteps && !R->stop; i++) {
        const step *st = &R->c->steps[i];
        if (!fates_step_runs(R, st))
            continue;
        fates_snap snap;
        fates_snap_take(R, &snap);
        run_step(R, st);
        fates_after_step(R, st, &snap);
    }
}

/* ---- the case ------------------------------------------------------------------------------ */

void case_describe(const case_def *c, const req_catalog *cat, case_result *r)
{
    (void)cat;
    /* the case definitions outlive the run's results (main.c): 10,000 repeats of a case share
     * its strings instead of copying them */
    r->borrowed = true;
    r->id = c->id;
    r->area = c->area;
    r->title = c->title;
    r->file = c->file;
    r->line = c->line;
    r->rfc = c->rfc ? c->rfc : (char *)"";
    r->level = c->level;
    buf_t b;
    buf_init(&b, 0);
    for (size_t i = 0; i < c->nrequire; i++)
        buf_printf(&b, "%s%s", i ? " " : "", c->require[i]);
    r->require = result_bytes(r, b.data ? b.data : "", b.len);
    buf_free(&b);
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

/* A case that ended inconclusive on a premise (no variable missing) names the first *_path
 * variable it gives a default (its own default, or what the user set): "upload_path (/) left 2
 * inconclusive: the origin answered 200 without 100 Continue" points at the --set that can make
 * the premise hold. */
static void note_premise(runner *R)
{
    case_result *r = R->r;
    if (r->verdict != VERDICT_SKIP || r->missing_var)
        return;
    for (size_t i = 0; i < R->c->ndefaults; i++) {
        const char *name = R->c->defaults[i].name;
        size_t n = strlen(name);
        if (n < 5 || strcmp(name + n - 5, "_path") != 0)
            continue;
        char *ref = xasprintf("${%s}", name), *missing = NULL;
        char *v = case_expand(R->c, R->ctx, ref, NULL, &missing);
        free(ref);
        free(missing);
        if (!v)
            continue;
        r->premise_var = xstrdup(name);
        r->premise_value = v;
        return;
    }
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
    R->locals[5] = (var){"status_after", R->after_text};
    R->nlocals = 6;
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
        run_steps(R);
    note_premise(R);
    if (r->verdict != VERDICT_ERROR && r->verdict != VERDICT_NOTRUN && !conn_interrupted())
        stream_linger(R, runner_bounded(R, clock_ns() + ctx->linger_ns));
    client_case_end(R);
    if (ctx->org)
        proxy_case_end(R);
    for (int i = 0; i < R->nconns; i++) {
        stream_free(R->conns[i]);
        free(R->conns[i]);
    }
    free(R->last);
    free(R->named);
    fates_case_free(R);
    free(R->osent);
    if (r->msgs_dropped || r->findings_dropped)
        result_note(r, "%zu more messages and %zu more findings were checked but not recorded "
                    "(caps: %d messages, %d findings a case)", r->msgs_dropped,
                    r->findings_dropped, RESULT_MSGS_MAX, RESULT_FINDINGS_MAX);
    r->duration_ns = clock_ns() - start;
    free(R);
    result_trim(r);
}
