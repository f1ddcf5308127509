/* case_client_body: client mode's steps on what the client sends after its request head: its
 * content (origin read, origin content-starts, origin content-withheld) and silence (client
 * quiet). A driver that declined (exit 77) makes a step that waited in vain skip. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "case_client.h"
#include "origin.h"
#include "util.h"

/* ---- the content the client sends (origin read, content-starts, content-withheld) ------------ */

/* Whether the request's whole content is in: Content-Length bytes, or a chunked body's last
 * chunk and the empty line after it. */
static bool content_complete(const origin_conn *oc)
{
    const char *s = oc->rx.data;
    size_t have = oc->rx.len - oc->body_start;
    const wire_field *te = wire_find(&oc->req, s, "Transfer-Encoding", NULL);
    if (te && list_has_token(s + te->value_off, te->value_len, "chunked"))
        return have >= 5 && memcmp(s + oc->rx.len - 5, "0\r\n\r\n", 5) == 0;
    const wire_field *cl = wire_find(&oc->req, s, "Content-Length", NULL);
    long n = cl ? strtol(s + cl->value_off, NULL, 10) : 0;
    return have >= (size_t)(n > 0 ? n : 0);
}

/* Reads until cond(oc) holds, EOF, or the deadline: 1 cond, 0 deadline, -1 EOF, -2 interrupted */
static int read_until(runner *R, origin_conn *oc, bool (*cond)(const origin_conn *), int64_t dl)
{
    for (;;) {
        if (cond(oc))
            return 1;
        int64_t t;
        size_t n;
        int rc = origin_read(oc, runner_bounded(R, dl), &t, &n);
        if (rc == 1)
            continue;
        return rc == 0 ? 0 : rc == -2 ? -2 : -1;
    }
}

/* What the request announced: "1048577 bytes" or "a chunked body". */
static char *announced(const origin_conn *oc)
{
    const wire_field *cl = wire_find(&oc->req, oc->rx.data, "Content-Length", NULL);
    return cl ? xasprintf("%.*s bytes", (int)cl->value_len, oc->rx.data + cl->value_off)
              : xstrdup("a chunked body");
}

void client_origin_read(runner *R, const step *st)
{
    origin_conn *oc = R->oc;
    int64_t ns = runner_duration(R, st->within, "${timeout}");
    if (R->stop)
        return;
    if (!oc) {
        runner_end(R, VERDICT_ERROR, "origin read: the origin holds no request (client request "
                   "first)");
        return;
    }
    size_t from = oc->rx.len;
    int64_t want = clock_ns() + ns;
    int rc = read_until(R, oc, content_complete, want);
    client_record_reads(R, oc, from);
    if (rc == 1) {
        oc->pos = oc->rx.len;
    } else if (rc == -2) {
        runner_end(R, VERDICT_NOTRUN, "interrupted");
    } else if (!(rc == 0 && runner_cut(R, want))) {
        char *what = announced(oc), *drv = client_driver_state(R, rc < 0 ? 500000000 : 0);
        if (client_declined(R)) {
            free(what);
            free(drv);
            return;
        }
        runner_fail(R, true, runner_require(R, st->require), "expected the client's content "
                    "(%s) within %.3fs, got %zu bytes of it%s%s", what, (double)ns / 1e9,
                    oc->rx.len - oc->body_start, rc < 0 ? ", then the client closed the "
                    "connection" : "", drv);
        free(what);
        free(drv);
        R->stop = true;
    }
}

static bool content_begun(const origin_conn *oc)
{
    return oc->rx.len > oc->body_start;
}

/* content-starts: a client waiting for a 100 that does not come sends its content anyway
 * (RFC 9110 §10.1.1); how long it waited is the metric content-wait. */
static void content_starts(runner *R, const step *st, origin_conn *oc, int64_t ns)
{
    int64_t want = clock_ns() + ns;
    int rc = read_until(R, oc, content_begun, want);
    if (rc == 1) {
        int64_t t = origin_time_at(oc, oc->body_start);
        result_metric(R->r, "content-wait", t - oc->t_head, true);
        result_note(R->r, "the client sent its content %.3fs after its request head, with no "
                    "100 Continue", (double)(t - oc->t_head) / 1e9);
    } else if (rc == -2) {
        runner_end(R, VERDICT_NOTRUN, "interrupted");
    } else if (!(rc == 0 && runner_cut(R, want))) {
        char *drv = client_driver_state(R, rc < 0 ? 500000000 : 0);
        if (client_declined(R)) {
            free(drv);
            return;
        }
        runner_fail(R, true, runner_require(R, st->require), "expected the client to send its "
                    "content within %.3fs without a 100 Continue, got %s%s", (double)ns / 1e9,
                    rc < 0 ? "the connection closed and no content" : "no content", drv);
        free(drv);
        R->stop = true;
    }
}

/* content-withheld: after a final response that says the connection will close, a client
 * stops sending its content (RFC 9112 §9.5): the whole of it never arrives. */
static void content_withheld(runner *R, const step *st, origin_conn *oc, int64_t ns)
{
    int64_t t0 = clock_ns(), want = t0 + ns;
    size_t before = oc->rx.len - oc->body_start; /* read before the final was written */
    if (before) { /* it did not have the final before writing: nothing to judge */
        runner_end(R, VERDICT_SKIP, "inconclusive: the client had sent %zu bytes of its content "
                   "before the final response was written (its head and content went out "
                   "before the refusal came), so whether it stops sending after an early "
                   "final cannot be told", before);
        return;
    }
    int rc = read_until(R, oc, content_complete, want);
    size_t got = oc->rx.len - oc->body_start;
    if (rc == 1 && got > before) {
        runner_fail(R, true, runner_require(R, st->require), "expected the client to stop "
                    "sending its content after the final response, got all of it (%zu bytes, "
                    "%zu of them after the final) within %.3fs", got, got - before,
                    (double)(clock_ns() - t0) / 1e9);
        R->stop = true;
    } else if (rc == -2) {
        runner_end(R, VERDICT_NOTRUN, "interrupted");
    } else if (!(rc == 0 && runner_cut(R, want))) {
        result_note(R->r, "after the final response the client sent %zu bytes of content%s",
                    got - before, rc < 0 ? " and closed the connection" : ", then stopped");
    }
}

void client_origin_content(runner *R, const step *st)
{
    origin_conn *oc = R->oc;
    int64_t ns = runner_duration(R, st->within, "${timeout}");
    if (R->stop)
        return;
    if (!oc) {
        runner_end(R, VERDICT_ERROR, "origin content: the origin holds no request (origin "
                   "accept first)");
        return;
    }
    size_t from = oc->rx.len;
    if (st->opcode)
        content_withheld(R, st, oc, ns);
    else
        content_starts(R, st, oc, ns);
    client_record_reads(R, oc, from);
}

/* ---- client quiet -------------------------------------------------------------------------- */

static bool more_bytes(const origin_conn *oc)
{
    return oc->rx.len > oc->pos;
}

/* client quiet for DUR: nothing more comes from the client on the case's connection (no next
 * request, no stray bytes, no close) while the origin is between an interim and the final: a
 * client that sends its next request now took an interim response as the end of the exchange. */
void client_quiet(runner *R, const step *st)
{
    origin_conn *oc = R->oc;
    int64_t ns = runner_duration(R, st->within, "${timeout}");
    if (R->stop)
        return;
    if (!oc) {
        runner_end(R, VERDICT_ERROR, "client quiet: the origin holds no request (client request "
                   "first)");
        return;
    }
    size_t from = oc->rx.len;
    int64_t t0 = clock_ns();
    int rc = read_until(R, oc, more_bytes, t0 + ns);
    client_record_reads(R, oc, from);
    if (rc == -2) {
        runner_end(R, VERDICT_NOTRUN, "interrupted");
    } else if (rc == 1) {
        size_t n = oc->rx.len - oc->pos;
        char *got = client_printable(oc->rx.data + oc->pos, n, 80);
        runner_fail(R, true, runner_require(R, st->require), "expected nothing more from the "
                    "client before the final response, got '%s' (%zu bytes) %.3fs after the last "
                    "interim response", got, n, (double)(clock_ns() - t0) / 1e9);
        free(got);
        R->stop = true;
    } else if (rc == -1) {
        char *drv = client_driver_state(R, 500000000);
        if (client_declined(R)) {
            free(drv);
            return;
        }
        runner_fail(R, true, runner_require(R, st->require), "expected the client to wait for "
                    "the final response, got the connection closed %.3fs after the last interim "
                    "response%s", (double)(clock_ns() - t0) / 1e9, drv);
        free(drv);
        R->stop = true;
    } else if (!runner_cut(R, t0 + ns)) {
        result_note(R->r, "the client sent nothing for %.3fs before the final response",
                    (double)ns / 1e9);
    }
}
