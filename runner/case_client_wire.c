/* case_client_wire: client mode's judgements of what the client sent and handed over: when its
 * content came (origin content-starts, content-withheld) and the final response's fields it
 * delivered (client check header). The driver itself is case_client.c's. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "case_client.h"
#include "util.h"

/* ---- client check header: the fields the client delivered ------------------------------------ */

/* The value of the next "FIELD: value" line of text (from *pos on) naming field, or NULL;
 * *vlen its length. */
static const char *next_field(const char *text, size_t *pos, const char *field, size_t *vlen)
{
    size_t fl = strlen(field);
    while (text[*pos]) {
        const char *line = text + *pos, *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        *pos += len + (nl ? 1 : 0);
        while (len && (line[len - 1] == '\r' || line[len - 1] == ' '))
            len--;
        if (len > fl && line[fl] == ':' && ascii_ncasecmp(line, field, fl) == 0) {
            const char *v = line + fl + 1;
            while (*v == ' ' || *v == '\t')
                v++;
            *vlen = len - (size_t)(v - line);
            return v;
        }
    }
    return NULL;
}

static bool fields_hold(const char *text, const check *ck, const char *value)
{
    size_t pos = 0, vl;
    const char *v;
    bool any = false;
    while ((v = next_field(text, &pos, ck->field, &vl))) {
        any = true;
        if (ck->op == CHECK_HAS && list_has_token(v, vl, value))
            return true;
        if (ck->op == CHECK_IS && vl == strlen(value) && memcmp(v, value, vl) == 0)
            return true;
    }
    return ck->op == CHECK_PRESENT ? any : ck->op == CHECK_ABSENT ? !any : false;
}

/* Judges the header fields the driver wrote to {headers} (the final response's, "Name: value"
 * a line). A driver that wrote none leaves the rule untested: skip. */
void client_check(runner *R, const step *st)
{
    client_state *cl = R->cl;
    if (R->stop)
        return;
    if (!cl || !cl->started || !cl->exited) {
        runner_end(R, VERDICT_ERROR, "client check: the driver has not finished (client "
                   "expect-body first)");
        return;
    }
    int fd = open(cl->headers_path, O_RDONLY | O_CLOEXEC);
    size_t n;
    char *text = client_read_output(fd, OUT_MAX, &n);
    if (fd >= 0)
        close(fd);
    const check *ck = &st->chk;
    char *value = ck->value ? runner_expand(R, ck->value, NULL) : NULL;
    if (!n || ck->op == CHECK_COUNT || ck->op == CHECK_WITHIN)
        runner_end(R, VERDICT_SKIP, "inconclusive: %s", n ? "client check supports present, "
                   "absent, has and is" : "the driver wrote no header fields to {headers} (a "
                   "driver that can should write the final response's fields there)");
    else if (!fields_hold(text, ck, value)) {
        char *got = client_printable(text, n, 300);
        runner_fail(R, true, runner_require(R, ck->require), "expected the final response the "
                    "client delivered to have %s %s%s%s, got the fields '%s'",
                    ck->op == CHECK_ABSENT ? "no" : "a", ck->field,
                    ck->op == CHECK_HAS ? " listing " : ck->op == CHECK_IS ? " equal to " : "",
                    value && ck->op != CHECK_ABSENT && ck->op != CHECK_PRESENT ? value : "", got);
        free(got);
        R->stop = true;
    }
    free(value);
    free(text);
}

/* ---- the content the client sends ----------------------------------------------------------- */

void client_record_reads(runner *R, origin_conn *oc, size_t from)
{
    for (size_t i = 0; i < oc->nchunks; i++) {
        size_t start = i ? oc->chunks[i - 1].end : 0, end = oc->chunks[i].end;
        if (end <= from)
            continue;
        result_tx(R->r, TX_RECV, oc->id, runner_rel(R, oc->chunks[i].t),
                  oc->rx.data + (start < from ? from : start), end - (start < from ? from : start));
    }
}

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
    size_t before = oc->rx.len - oc->body_start;
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
