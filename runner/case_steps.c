/* case_steps: the named step kinds that need computation: WebSocket frames after a 101, the
 * series of interim responses before a final (with its timing metrics), and bounds that judge
 * a metric. Each is written once here; cases only name them. */
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "case_int.h"
#include "origin.h"
#include "util.h"
#include "ws.h"

#define WS_MAX_PAYLOAD (1024 * 1024)

/* ---- WebSocket ----------------------------------------------------------------------------- */

static cconn *switched_conn(runner *R, const char *what)
{
    cconn *cc = runner_current(R);
    if (cc && !cc->rd.switched) {
        runner_end(R, VERDICT_ERROR, "%s: the connection did not switch protocols (no 101)", what);
        return NULL;
    }
    if (cc && cc->ws_pos == 0)
        cc->ws_pos = wire_raw_offset(&cc->rd);
    return cc;
}

void step_ws_send(runner *R, const step *st)
{
    if (st->on_origin) {
        origin_ws_send(R, st);
        return;
    }
    cconn *cc = switched_conn(R, "ws-send");
    if (!cc)
        return;
    buf_t frame;
    step_ws_frame(R, st, &frame, true);
    size_t sent = 0;
    int64_t want = clock_ns() + runner_duration(R, NULL, "${timeout}");
    conn_status s = conn_is_open(&cc->c) ? conn_send(&cc->c, frame.data, frame.len,
                                           runner_bounded(R, want), &sent)
                               : CONN_ERROR;
    cc->last_send_ns = clock_ns();
    if (sent)
        result_tx(R->r, TX_SENT, cc->id, runner_rel(R, cc->last_send_ns), frame.data, sent);
    if (s == CONN_INTR)
        runner_end(R, VERDICT_NOTRUN, "interrupted");
    else if (s != CONN_OK)
        result_tx_note(R->r, cc->id, runner_rel(R, clock_ns()), "frame not sent");
    buf_free(&frame);
}

static char *describe_frame(const uint8_t *p, const ws_frame *f)
{
    const uint8_t *pl = p + f->payload_off;
    if (f->opcode == WS_CLOSE && f->payload_len >= 2)
        return xasprintf("a close frame with code %d", pl[0] << 8 | pl[1]);
    if (f->opcode == WS_TEXT && f->payload_len <= 64)
        return xasprintf("a text frame '%.*s'", (int)f->payload_len, (const char *)pl);
    return xasprintf("a %s frame of %llu bytes", ws_opcode_name(f->opcode),
                     (unsigned long long)f->payload_len);
}

/* Does the frame carry what the step wants (payload text, or close code)? */
static bool frame_matches(runner *R, const step *st, const uint8_t *p, const ws_frame *f)
{
    if (f->opcode != st->opcode)
        return false;
    if (!st->arg)
        return true;
    size_t n = 0;
    char *want = runner_expand(R, st->arg, &n);
    const uint8_t *pl = p + f->payload_off;
    bool ok;
    if (st->opcode == WS_CLOSE)
        ok = f->payload_len >= 2 && (pl[0] << 8 | pl[1]) == strtol(want, NULL, 10);
    else
        ok = f->payload_len == n && memcmp(pl, want, n) == 0;
    free(want);
    return ok;
}

/* Looks at the frame at cc->ws_pos: 1 judged (step over), 0 skipped (a ping), -2 need more. */
static int judge_frame(runner *R, const step *st, cconn *cc, const char *want_desc)
{
    const uint8_t *p = (const uint8_t *)cc->c.rx.data + cc->ws_pos;
    size_t avail = cc->c.rx.len - cc->ws_pos;
    ws_frame f;
    long n = ws_frame_parse(p, avail, WS_MAX_PAYLOAD, &f);
    if (n == -2)
        return -2;
    const char *req = runner_require(R, st->require);
    if (n < 0) {
        runner_fail(R, true, req, "expected %s, got a malformed WebSocket frame (byte %zu)",
                    want_desc, cc->ws_pos);
        R->stop = true;
        return 1;
    }
    cc->ws_pos += (size_t)n;
    if (f.masked)
        runner_fail(R, true, req, "expected unmasked server frames (RFC 6455 §5.1), got a "
                                  "masked %s frame", ws_opcode_name(f.opcode));
    if (f.opcode == WS_PING && st->opcode != WS_PING)
        return 0;
    if (!frame_matches(R, st, p, &f)) {
        char *got = describe_frame(p, &f);
        runner_fail(R, true, req, "expected %s, got %s", want_desc, got);
        free(got);
        R->stop = true;
    }
    return 1;
}

void step_ws_expect(runner *R, const step *st)
{
    if (st->on_origin) {
        origin_ws_expect(R, st);
        return;
    }
    cconn *cc = switched_conn(R, "ws-expect");
    int64_t ns = runner_duration(R, st->within, "${timeout}");
    if (!cc || R->stop)
        return;
    int64_t want = clock_ns() + ns;
    char *arg = st->arg ? runner_expand(R, st->arg, NULL) : NULL;
    char *desc = arg ? xasprintf("a %s frame '%s' within %lldms", ws_opcode_name(st->opcode), arg,
                                 (long long)(ns / 1000000))
                     : xasprintf("a %s frame within %lldms", ws_opcode_name(st->opcode),
                                 (long long)(ns / 1000000));
    for (;;) {
        int j = judge_frame(R, st, cc, desc);
        if (j == 1 || R->stop)
            break;
        if (j == 0)
            continue;
        if (cc->eof || !conn_is_open(&cc->c)) {
            runner_fail(R, true, runner_require(R, st->require), "expected %s, got %s", desc,
                        cc->reset ? "the connection reset" : "the connection closed");
            R->stop = true;
            break;
        }
        next_status s = stream_read(R, cc, runner_bounded(R, want));
        if (s == NEXT_TIMEOUT) {
            if (!runner_cut(R, want)) {
                runner_fail(R, true, runner_require(R, st->require), "expected %s, got %s",
                            desc, cc->c.rx.len > cc->ws_pos ? "part of a frame" : "nothing");
                R->stop = true;
            }
            break;
        }
        if (s == NEXT_INTR) {
            runner_end(R, VERDICT_NOTRUN, "interrupted");
            break;
        }
        if (s == NEXT_FULL) {
            runner_end(R, VERDICT_ERROR, "the stream exceeded --max-bytes");
            break;
        }
    }
    free(arg);
    free(desc);
}

/* ---- series of interim responses ----------------------------------------------------------- */

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static void ms_text(buf_t *b, int64_t ns)
{
    buf_printf(b, "%lld.%03lldms", (long long)(ns / 1000000), (long long)(ns % 1000000 / 1000));
}

/* Metrics over the sequence [request sent, each interim, final]: the gaps a client (or a
 * CDN's idle timer) sees. Not inlined: its locals would sit in step_collect's frame, which a
 * waiting case keeps (coro.h). */
static __attribute__((noinline)) void series_metrics(runner *R, int64_t t_ref, const int64_t *t,
                                                      size_t n, int64_t t_final, int code_hint)
{
    case_result *r = R->r;
    size_t ng = n + 1;
    int64_t *gaps = xcalloc(ng, sizeof *gaps);
    int64_t prev = t_ref;
    for (size_t i = 0; i < n; i++)
        gaps[i] = t[i] - prev, prev = t[i];
    gaps[n] = t_final - prev;
    result_metric(r, "interim-count", (int64_t)n, false);
    if (n) {
        result_metric(r, "first-interim", t[0] - t_ref, true);
        result_metric(r, "hint-lead", t_final - t[0], true);
    }
    result_metric(r, "final-after", t_final - t_ref, true);
    result_metric(r, "first-response", (n ? t[0] : t_final) - t_ref, true);
    buf_t b;
    buf_init(&b, 64 * 1024);
    buf_printf(&b, "%zu interim%s", n, n == 1 ? "" : "s");
    if (code_hint)
        buf_printf(&b, " %d", code_hint);
    buf_printf(&b, " at (after the request):");
    for (size_t i = 0; i < n && i < 200; i++) {
        buf_printf(&b, " +");
        ms_text(&b, t[i] - t_ref);
    }
    buf_printf(&b, "%s; final at +", n > 200 ? " ..." : "");
    ms_text(&b, t_final - t_ref);
    qsort(gaps, ng, sizeof *gaps, cmp_i64);
    result_metric(r, "min-gap", gaps[0], true);
    result_metric(r, "median-gap", gaps[ng / 2], true);
    result_metric(r, "max-gap", gaps[ng - 1], true);
    buf_printf(&b, "; gaps min/median/max ");
    ms_text(&b, gaps[0]);
    buf_printf(&b, " / ");
    ms_text(&b, gaps[ng / 2]);
    buf_printf(&b, " / ");
    ms_text(&b, gaps[ng - 1]);
    result_note(r, "%s", b.data);
    buf_free(&b);
    free(gaps);
}

void step_collect(runner *R, const step *st)
{
    cconn *cc = runner_current(R);
    int64_t ns = runner_duration(R, st->within, "${long}");
    if (!cc || R->stop)
        return;
    int64_t want = clock_ns() + ns, t_ref = cc->last_send_ns ? cc->last_send_ns : clock_ns();
    char *desc = runner_describe(R, st, ns);
    wire_msg *m = NULL;
    int64_t *t = NULL;
    size_t n = 0, cap = 0;
    int code = 0;
    runner_wait_begin(R, cc);
    for (;;) {
        next_status s = stream_next_kept(R, cc, runner_bounded(R, want), &m);
        if (R->stop)
            break;
        if (s == NEXT_MSG && m->interim) {
            if (codes_match(&st->alts[0].codes, m->status)) {
                grow_array((void **)&t, &cap, n, sizeof *t);
                t[n++] = stream_time_at(cc, m->head_end - 1);
                code = (n == 1 || code == m->status) ? m->status : 0;
            }
            continue;
        }
        if (s == NEXT_MSG && codes_match(&st->alts[1].codes, m->status))
            series_metrics(R, t_ref, t, n, stream_time_at(cc, m->head_end - 1), code);
        if (runner_outcome(R, st, cc, s, m, desc, want))
            break;
    }
    free(t);
    free(m);
    free(desc);
}

/* ---- bounds -------------------------------------------------------------------------------- */

static char *metric_text(int64_t v, bool is_time)
{
    if (!is_time)
        return xasprintf("%lld", (long long)v);
    return xasprintf("%lld.%06llds", (long long)(v / 1000000000),
                     (long long)(v % 1000000000 / 1000));
}

/* A bound's duration: one duration, or a sum "20s+3s" (a guideline plus the slack a reader's
 * own wait adds, e.g. ${first_102_max}+${timeout}). */
static int parse_duration_sum(const char *s, int64_t *ns)
{
    *ns = 0;
    for (;;) {
        const char *plus = strchr(s, '+');
        char *part = plus ? xstrndup(s, (size_t)(plus - s)) : xstrdup(s);
        int64_t v = 0;
        int rc = parse_duration_ns(part, &v);
        free(part);
        if (rc || v > INT64_MAX / 4 - *ns)
            return -1;
        *ns += v;
        if (!plus)
            return 0;
        s = plus + 1;
    }
}

void step_bound(runner *R, const step *st)
{
    if (strncmp(st->metric, "fwd-", 4) == 0)
        proxy_forwarding(R);
    const metric_record *m = result_get_metric(R->r, st->metric);
    char *limit_s = runner_expand(R, st->arg, NULL);
    if (!m) {
        result_note(R->r, "%s not measured: nothing to bound by %s", st->metric, limit_s);
        free(limit_s);
        return;
    }
    int64_t limit = 0;
    long count = 0;
    if (m->is_time ? parse_duration_sum(limit_s, &limit)
                   : parse_long(limit_s, -1000000000, 1000000000, &count)) {
        runner_end(R, VERDICT_ERROR, "%s:%d: bound: '%s' is not a %s", R->c->file, st->line,
                   limit_s, m->is_time ? "duration" : "number");
        free(limit_s);
        return;
    }
    if (!m->is_time)
        limit = count;
    bool ok = st->bop == BOUND_LE ? m->value <= limit
              : st->bop == BOUND_LT ? m->value < limit
              : st->bop == BOUND_GE ? m->value >= limit
                                    : m->value > limit;
    static const char *const ops[] = {"<=", "<", ">=", ">"};
    char *got = metric_text(m->value, m->is_time);
    /* a delay bound is h1xx's (or the user's), never an RFC's: RFC 9110 §15.2 requires
     * forwarding and sets no time, so a forwarding delay is judged as practice (FWD-1) */
    bool delay = !st->require && (!strcmp(st->metric, "fwd-max") || !strcmp(st->metric, "fwd-median"));
    if (!ok)
        runner_fail(R, true, delay ? "FWD-1" : runner_require(R, st->require),
                    "expected %s %s %s, got %s", st->metric, ops[st->bop], limit_s, got);
    else
        result_note(R->r, "%s = %s (bound %s %s)", st->metric, got, ops[st->bop], limit_s);
    free(got);
    free(limit_s);
}

/* ---- the embedded origin: no further request ----------------------------------------------- */

/* origin quiet for DUR [require ID]: no further request for the case reaches the embedded origin
 * within DUR (a proxy must not retry a non-idempotent request on its own, RFC 9110 §9.2.2). A
 * request that comes fails the step, named with its arrival; its connection is closed unanswered
 * (the connection the case holds, if any, is left as it is). */
void step_origin_quiet(runner *R, const step *st)
{
    int64_t ns = runner_duration(R, st->within, "${timeout}");
    if (R->stop)
        return;
    if (R->cl || !R->ctx->org) {
        runner_end(R, VERDICT_ERROR, "origin quiet: a step of the proxy modes only");
        return;
    }
    int64_t want = clock_ns() + ns;
    origin_conn *oc = NULL;
    int rc = origin_wait(R->ctx->org, R->token, runner_bounded(R, want), &oc, NULL, NULL);
    if (rc == 1) {
        int64_t t = runner_rel(R, oc->t_head);
        result_tx(R->r, TX_RECV, oc->id, t, oc->rx.data, oc->req.head_end);
        runner_fail_at(R, oc->t_head, true, runner_require(R, st->require),
                       "expected no further request at the origin for %lldms, got %s %s %s on "
                       "connection %d at +%.3fms: the proxy sent the request again",
                       (long long)(ns / 1000000), oc->method, oc->target, oc->version, oc->id,
                       (double)(t - R->r->start_ns) / 1e6);
        result_tx(R->r, TX_CLOSE, oc->id, runner_rel(R, clock_ns()), NULL, 0);
        origin_release(R->ctx->org, oc, false);
        R->stop = true;
    } else if (rc == -1) {
        runner_end(R, VERDICT_NOTRUN, "interrupted");
    } else if (!runner_cut(R, want)) {
        result_note(R->r, "no further request reached the origin within %lldms",
                    (long long)(ns / 1000000));
    }
}
