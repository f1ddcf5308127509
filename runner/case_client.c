/* case_client: client mode. h1xx is the scripted origin and the client under test is driven by
 * a command the user gives (the driver): for each case h1xx runs it once with {url}, {method},
 * {body}, {upgrade} and {headers} filled in, in its own process group, stdout and stderr going to
 * unlinked temporary files. The driver makes one request with the client and prints the final
 * response's body, which is a fresh random token per case (${reply}): a client that delivers a
 * 1xx, or nothing, instead of the final response is caught. Every driver run is bounded; a driver
 * still running at its bound is killed with its whole process group, and that is a verdict.
 * What the client sent is judged by the origin's steps (case_proxy.c) and case_client_wire.c;
 * --serve (no driver: the client posts what it got to a result URL) is here too. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <unistd.h>

#include "case_client.h"
#include "origin.h"
#include "util.h"
#include "ws.h"


/* The file behind {body}: `bytes` bytes of a recognisable pattern (empty without an upload). */
static int write_body(client_state *cl, long bytes)
{
    int fd = client_temp_file(cl->body_path, sizeof cl->body_path);
    if (fd < 0)
        return -1;
    static const char pat[] = "h1xx client-mode upload content, line of 64 bytes ..........\r\n";
    int rc = 0;
    for (long left = bytes; left > 0 && rc == 0;) {
        size_t k = left < (long)sizeof pat - 1 ? (size_t)left : sizeof pat - 1;
        rc = write(fd, pat, k) == (ssize_t)k ? 0 : -1;
        left -= (long)k;
    }
    close(fd);
    return rc;
}

/* ---- client run ---------------------------------------------------------------------------- */

/* The case's reply: "h1xx" and 28 random hex digits, fresh for every case. */
static void make_token(char out[40])
{
    unsigned char r[14] = {0};
    if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r)
        for (size_t i = 0; i < sizeof r; i++)
            r[i] = (unsigned char)(clock_ns() >> (i % 8));
    memcpy(out, "h1xx", 4);
    for (size_t i = 0; i < sizeof r; i++)
        snprintf(out + 4 + 2 * i, 3, "%02x", r[i]);
}

/* ${reply}, and ${reply2} for a second request: fresh tokens of the same length. The driver
 * must print `want`: the one, or both in order. */
static void make_reply(client_state *cl, bool second)
{
    make_token(cl->reply);
    make_token(cl->reply2);
    snprintf(cl->reply_len, sizeof cl->reply_len, "%zu", strlen(cl->reply));
    snprintf(cl->want, sizeof cl->want, "%s%s", cl->reply, second ? cl->reply2 : "");
}

static char *quoted_command(char **argv)
{
    buf_t b;
    buf_init(&b, 4096);
    for (size_t i = 0; argv[i]; i++) {
        bool plain = argv[i][0] && !strpbrk(argv[i], " \t'\"\\$&|;<>(){}*?`!#~");
        buf_printf(&b, plain ? "%s%s" : "%s'%s'", i ? " " : "", argv[i]);
    }
    buf_append(&b, "", 0);
    return buf_steal(&b);
}

/* Builds the driver's argv and environment and starts it. */
static void start_driver(runner *R, const step *st, client_state *cl, const char *url,
                         const char *upgrade, const char *url2)
{
    const char *const keys[NPH] = {"{url}", "{method}", "{body}", "{upgrade}", "{headers}",
                                   "{url2}"};
    const char *const vals[NPH] = {url, st->method, cl->body_path, upgrade, cl->headers_path,
                                   url2};
    char **argv = xcalloc(R->ctx->ndriver + 1, sizeof *argv);
    for (size_t i = 0; i < R->ctx->ndriver; i++)
        argv[i] = client_fill(R->ctx->driver[i], keys, vals);
    char **env = client_driver_env(vals, R->c->id);
    char *cmd = quoted_command(argv);
    cl->t_start = clock_ns();
    int rc = client_spawn(cl, argv, env);
    cl->started = rc == 0;
    if (rc)
        runner_end(R, VERDICT_ERROR, "cannot start the driver %s: %s", argv[0], strerror(rc));
    else
        result_note(R->r, "driver: %s", cmd);
    free(cmd);
    client_free_strv(env);
    client_free_strv(argv);
}

/* ---- --serve: the client lives elsewhere and posts what it got ------------------------------- */

/* --serve: the case's line of the manifest on stdout (one JSON object a line), and the result
 * URL registered with the origin under a token of its own. */
static void announce(runner *R, const step *st, client_state *cl, const char *url,
                     const char *upgrade, const char *url2)
{
    cl->external = cl->started = true;
    cl->org = R->ctx->org;
    snprintf(cl->rtoken, sizeof cl->rtoken, "%s-result", R->token);
    origin_register(cl->org, cl->rtoken);
    cl->t_start = clock_ns();
    char *result = xasprintf("http://%s/h1xx/%s/", origin_authority(cl->org), cl->rtoken);
    buf_t b;
    buf_init(&b, 0);
    buf_printf(&b, "{\"case\": \"%s\", \"url\": \"%s\", \"method\": \"%s\", \"upload\": %ld, "
               "\"body\": \"%s\", \"upgrade\": \"%s\", \"url2\": \"%s\", \"result\": \"%s\"}\n",
               R->c->id, url, st->method, st->bytes, cl->body_path, upgrade, url2, result);
    fwrite(b.data, 1, b.len, stdout); /* one write: lines of cases starting together stay whole */
    fflush(stdout);
    result_note(R->r, "served at %s; the result goes to %s", url, result);
    buf_free(&b);
    free(result);
}

static void run_end(runner *R, client_state *cl);

/* A second `client run` in a case (after a control run): the first run's driver is over, its
 * connection handed back; the state starts afresh at the same place, so ${reply} and the other
 * variables bound to it stay bound. */
static client_state *rerun(runner *R)
{
    client_state *cl = R->cl;
    run_end(R, cl);
    if (R->oc) {
        origin_release(R->ctx->org, R->oc, R->oc_final_sent);
        R->oc = NULL;
    }
    int judged = cl->judged;
    memset(cl, 0, sizeof *cl);
    cl->judged = judged;
    return cl;
}

static void client_run(runner *R, const step *st)
{
    int64_t life = runner_duration(R, st->within, "${long}");
    if (!st->within) /* by default the driver outlives every wait of the case */
        life += runner_duration(R, NULL, "${timeout}");
    if (R->stop)
        return;
    if ((!R->ctx->ndriver && !R->ctx->serve) || !R->ctx->org ||
        (!R->cl && R->nlocals + 4 > 14)) {
        runner_end(R, VERDICT_ERROR, "client run: %s", !R->ctx->ndriver
                   ? "no driver command (h1xx client [options] -- COMMAND ARGS...)"
                   : "client runs are for client mode");
        return;
    }
    bool first = !R->cl;
    client_state *cl = first ? (R->cl = xcalloc(1, sizeof *R->cl)) : rerun(R);
    cl->gave_up = -1;
    cl->out_fd = client_output_file();
    cl->err_fd = client_output_file();
    make_reply(cl, st->second != NULL);
    cl->second = st->second != NULL;
    cl->upgrade = st->upgrade != NULL;
    if (first) {
        R->locals[R->nlocals++] = (var){"reply", cl->reply};
        R->locals[R->nlocals++] = (var){"reply2", cl->reply2};
        R->locals[R->nlocals++] = (var){"reply_length", cl->reply_len};
        R->locals[R->nlocals++] = (var){"client_ws_accept", cl->ws_accept};
    }
    int hfd = client_temp_file(cl->headers_path, sizeof cl->headers_path);
    if (hfd >= 0)
        close(hfd);
    if (cl->out_fd < 0 || cl->err_fd < 0 || hfd < 0 || write_body(cl, st->bytes)) {
        runner_end(R, VERDICT_ERROR, "client run: cannot write temporary files: %s",
                   strerror(errno));
        return;
    }
    char *path = runner_expand(R, st->arg, NULL);
    char *url = xasprintf("http://%s%s", origin_authority(R->ctx->org), path);
    char *upgrade = st->upgrade ? runner_expand(R, st->upgrade, NULL) : xstrdup("");
    char *path2 = st->second ? runner_expand(R, st->second, NULL) : NULL;
    char *url2 = path2 ? xasprintf("http://%s%s", origin_authority(R->ctx->org), path2)
                       : xstrdup("");
    if (R->ctx->serve)
        announce(R, st, cl, url, upgrade, url2);
    else
        start_driver(R, st, cl, url, upgrade, url2);
    cl->deadline = cl->t_start + life;
    free(url2);
    free(path2);
    free(upgrade);
    free(url);
    free(path);
}

/* ---- what the client tolerated ----------------------------------------------------------- */

static bool peer_closed(int fd)
{
    struct pollfd p = {.fd = fd, .events = POLLRDHUP};
    return poll(&p, 1, 0) == 1 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR));
}

void client_before_send(runner *R)
{
    client_state *cl = R->cl;
    if (!cl || !R->oc)
        return;
    size_t from = R->oc->rx.len, got; /* what the client sent so far, timed before the write */
    int64_t t;
    while (!R->oc->eof && origin_read(R->oc, clock_ns(), &t, &got) == 1)
        ;
    client_record_reads(R, R->oc, from);
    if (cl->gave_up >= 0 || cl->external)
        return;
    if (!client_driver_done(cl) && !R->oc->eof && !peer_closed(R->oc->fd))
        return;
    int n = 0;
    for (size_t i = 0; i < R->nosent; i++) /* on this run's connection */
        n += R->osent[i].status < 200 && R->osent[i].conn == R->oc->id;
    cl->gave_up = n;
}

/* "; it gave up when h1xx had written 6 interim responses" (a measured tolerance), or "". */
static char *tolerance_text(const client_state *cl)
{
    if (cl->gave_up < 0)
        return xstrdup("");
    int n = cl->gave_up;
    const char *th = n % 100 >= 11 && n % 100 <= 13 ? "th" : n % 10 == 1 ? "st"
                     : n % 10 == 2 ? "nd" : n % 10 == 3 ? "rd" : "th";
    return xasprintf("; it gave up after the %d%s interim response (h1xx had written %d when "
                     "its driver exited or it closed the connection)", n, th, n);
}

/* ---- client expect-body / expect-error ----------------------------------------------------- */

/* Whether the driver printed exactly the reply (one trailing newline allowed: print()); with a
 * second request, both replies in order, each may be followed by a newline. */
static bool is_reply(const client_state *cl, const char *out, size_t n)
{
    size_t r = strlen(cl->reply);
    if (n < r || memcmp(out, cl->reply, r) != 0)
        return false;
    out += r;
    n -= r;
    if (cl->second) {
        if (n && out[0] == '\n') {
            out++;
            n--;
        }
        r = strlen(cl->reply2);
        if (n < r || memcmp(out, cl->reply2, r) != 0)
            return false;
        out += r;
        n -= r;
    }
    return n == 0 || (n == 1 && out[0] == '\n');
}

/* A control run (client expect-body control "TEXT") that fails: the client fails the same
 * exchange without the 1xx, so the case cannot blame its 1xx handling: inconclusive. */
static void judge_control(runner *R, const step *st, const char *msg)
{
    char *what = runner_expand(R, st->arg, NULL);
    if (R->cl->judged) { /* what the runs before tested stands; the rest is untested */
        result_note(R->r, "the rest of the case is untested: %s: %s", what, msg);
        R->stop = true;
    } else {
        runner_end(R, VERDICT_SKIP, "inconclusive: %s: %s", what, msg);
    }
    free(what);
}

static void judge_body(runner *R, const step *st, client_state *cl, const char *out, size_t n)
{
    const char *req = runner_require(R, st->require);
    char *ex = client_exit_text(cl), *err = client_stderr_text(cl);
    char *got = client_printable(out, n, 200), *msg = NULL, *tol = tolerance_text(cl);
    const char *both = cl->second ? " (of both requests, in order)" : "";
    bool ok_exit = !cl->killed && WIFEXITED(cl->status) && WEXITSTATUS(cl->status) == 0;
    if (ok_exit && is_reply(cl, out, n)) {
        result_note(R->r, "the driver printed the final body after %.3fs%s",
                    (double)(cl->t_exit - cl->t_start) / 1e9, st->strict ? " (control)" : "");
        cl->judged += !st->strict;
    }
    else if (!ok_exit)
        msg = xasprintf("expected the client to deliver the final response's body%s '%s', got "
                        "%s%s%s%s%s%s", both, cl->want, ex, n ? " after printing '" : "",
                        n ? got : "", n ? "'" : "", err, tol);
    else if (!n)
        msg = xasprintf("expected the client to deliver the final response's body%s '%s' (%zu "
                        "bytes), got an empty body and exit status 0%s%s", both, cl->want,
                        strlen(cl->want), err, tol);
    else
        msg = xasprintf("expected the client to deliver the final response's body%s '%s' (%zu "
                        "bytes), got '%s' (%zu bytes) and exit status 0%s%s", both, cl->want,
                        strlen(cl->want), got, n, err, tol);
    if (msg && st->strict)
        judge_control(R, st, msg);
    else if (msg)
        runner_fail(R, true, req, "%s", msg);
    free(msg);
    free(tol);
    free(ex);
    free(err);
    free(got);
}

/* After a 101 the client did not ask for (the run offered no upgrade), what a driver reports
 * depends on whether it checks the status code; what does not is whether the client read the
 * bytes after the 101 as HTTP/1.1 (printed ${reply}) or waited on them (killed at its bound):
 * those are failures, an error or a 101 handed over as the answer are not. */
static void judge_unsolicited(runner *R, const char *req, client_state *cl, const char *out,
                              size_t n, const char *ex, const char *err)
{
    bool ok_exit = !cl->killed && WIFEXITED(cl->status) && WEXITSTATUS(cl->status) == 0;
    if (cl->killed || (n && is_reply(cl, out, n)))
        runner_fail(R, true, req, "expected the client not to go on after the 101 it did not "
                    "ask for, got %s%s", cl->killed ? ex : "the bytes after the 101 read as "
                    "HTTP/1.1 (it printed the 200's body)", err);
    else if (ok_exit)
        result_note(R->r, "the client handed the 101 over as its answer (exit status 0, %zu "
                    "bytes printed): it did not read on", n);
    else
        result_note(R->r, "the client reported an error: %s%s", ex, err);
}

static void judge_error(runner *R, const step *st, client_state *cl, const char *out, size_t n)
{
    const char *req = runner_require(R, st->require);
    char *ex = client_exit_text(cl), *err = client_stderr_text(cl), *got = client_printable(out, n, 200);
    if (!cl->upgrade)
        judge_unsolicited(R, req, cl, out, n, ex, err);
    else if (!cl->killed && !(WIFEXITED(cl->status) && WEXITSTATUS(cl->status) == 0))
        result_note(R->r, "the client reported an error: %s%s", ex, err);
    else if (cl->killed)
        runner_fail(R, true, req, "expected the client to report an error, got %s%s%s%s", ex,
                    n ? " after printing '" : "", n ? got : "", n ? "'" : "");
    else
        runner_fail(R, true, req, "expected the client to report an error, got exit status 0 "
                    "(success) with %s%s%s%s", n ? "the body '" : "an empty body", n ? got : "",
                    n ? "'" : "", is_reply(cl, out, n) ? " (the message sent after the answer: "
                    "it took the connection as switched)" : "");
    free(ex);
    free(err);
    free(got);
}

static void client_expect(runner *R, const step *st)
{
    client_state *cl = R->cl;
    int64_t want = st->within ? clock_ns() + runner_duration(R, st->within, NULL) : 0;
    if (R->stop)
        return;
    if (!cl || !cl->started) {
        runner_end(R, VERDICT_ERROR, "client expect: no driver is running (client run first)");
        return;
    }
    if (!want || want > cl->deadline)
        want = cl->deadline;
    if (client_driver_wait(cl, runner_bounded(R, want)) < 0) {
        runner_end(R, VERDICT_NOTRUN, "interrupted");
        return;
    }
    if (!cl->exited && runner_cut(R, want))
        return;
    client_driver_kill(cl);
    if (client_declined(R))
        return;
    size_t n;
    char *out = client_read_output(cl->out_fd, OUT_MAX, &n);
    if (st->opcode)
        judge_error(R, st, cl, out, n);
    else
        judge_body(R, st, cl, out, n);
    free(out);
    R->stop |= R->r->verdict != VERDICT_PASS;
}

/* ---- client request ------------------------------------------------------------------------ */

static bool driver_exited(void *arg)
{
    runner *R = arg;
    return R->cl && client_driver_done(R->cl);
}

/* Why a case with {url2} is inconclusive when the driver ended without another request: it
 * succeeded after one request (it does not use {url2}); NULL otherwise. */
static const char *driver_no_reuse(runner *R)
{
    client_state *cl = R->cl;
    if (!cl || !cl->second || !client_driver_done(cl) || cl->killed || !WIFEXITED(cl->status))
        return NULL;
    if (WEXITSTATUS(cl->status) == 0 && R->o_nreq == 1)
        return "the driver made one request and exited 0: it does not use {url2}";
    return NULL;
}

/* client request reused (announced): the request came on the connection of the one before
 * (or, announced, the one before said Connection: close). (Whether it
 * came too early, before that one's final response, is `client quiet`'s question: the origin
 * does not read a connection the case holds, so arrival times here are after the release.) */
static void judge_reuse(runner *R, const step *st, const origin_conn *oc)
{
    const client_state *cl = R->cl;
    bool announced = st->opcode == 3; /* client request announced: a new connection is fine
                                       * after a request that said close (RFC 9112 §9.3) */
    if (cl->last_req_close && announced)
        result_note(R->r, "the client's first request said it would not keep the connection "
                    "(Connection: close, or HTTP/1.0 without keep-alive); its next request "
                    "came on connection %d", oc->id);
    else if (oc->id != cl->last_conn && announced)
        runner_fail(R, true, runner_require(R, st->require), "expected the next request on "
                    "connection %d, kept open after the final response, or Connection: close "
                    "on the first request, got a first request without close and the next on "
                    "connection %d", cl->last_conn, oc->id);
    else if (cl->last_req_close)
        runner_end(R, VERDICT_SKIP, "inconclusive: the client's first request ended its "
                   "connection (Connection: close, or HTTP/1.0 without keep-alive: a client "
                   "without persistent connections, RFC 9112 §9.3), so h1xx closed it after the "
                   "final response and reuse cannot be tested");
    else if (oc->id != cl->last_conn)
        runner_fail(R, true, runner_require(R, st->require), "expected the next request on "
                    "connection %d, kept open after the final response, got it on connection %d",
                    cl->last_conn, oc->id);
    else
        result_note(R->r, "the client reused connection %d, %.3fs after the final response",
                    oc->id, (double)(oc->t_head - cl->t_released) / 1e9);
}

/* The request the origin got now belongs to the case, as after an "origin accept". */
static void take_request(runner *R, origin_conn *oc)
{
    R->oc = oc;
    R->oc_final_sent = false;
    R->o_ws_pos = 0;
    oc->pos = oc->body_start;
    R->o_nreq++;
    R->o_req_t = oc->t_head;
    snprintf(R->o_version, sizeof R->o_version, "%s", oc->version);
    client_record_reads(R, oc, oc->req.start);
    result_note(R->r, "the client sent %s %s %s on connection %d", oc->method, oc->target,
                oc->version, oc->id);
    const wire_field *k = wire_find(&oc->req, oc->rx.data, "Sec-WebSocket-Key", NULL);
    if (k && R->cl) /* what a WebSocket server would answer: RFC 6455 §4.2.2 */
        ws_accept(oc->rx.data + k->value_off, k->value_len, R->cl->ws_accept);
}

/* client request: waits for the client's (next) request, or for the driver to exit without
 * sending one, whichever comes first; a connection the case held is handed back first. */
static void client_request(runner *R, const step *st)
{
    if (st->opcode == 2) {
        client_quiet(R, st);
        return;
    }
    int64_t ns = st->within ? runner_duration(R, st->within, NULL) : 0;
    if (R->stop)
        return;
    if (!st->within) /* by default, as long as the driver may run: its start is not the client's */
        ns = R->cl && R->cl->deadline > clock_ns() ? R->cl->deadline - clock_ns() : 0;
    if (R->oc) {
        if (R->cl) {
            R->cl->last_conn = R->oc->id;
            R->cl->t_released = clock_ns();
            R->cl->last_req_close = R->oc->srv.req_close;
        }
        origin_release(R->ctx->org, R->oc, R->oc_final_sent);
        R->oc = NULL;
    }
    int64_t want = clock_ns() + ns;
    origin_conn *oc = NULL;
    int rc = origin_wait(R->ctx->org, R->token, runner_bounded(R, want), &oc, driver_exited, R);
    if (rc == 1) {
        take_request(R, oc);
        if (st->opcode && R->cl && R->cl->last_conn)
            judge_reuse(R, st, oc);
    } else if (rc == -1) {
        runner_end(R, VERDICT_NOTRUN, "interrupted");
    } else if (rc == 2 && client_declined(R)) {
        R->stop = true;
    } else if (rc == 2 && driver_no_reuse(R)) {
        runner_end(R, VERDICT_SKIP, "inconclusive: %s", driver_no_reuse(R));
    } else if (rc == 2 || !runner_cut(R, want)) {
        char *drv = client_driver_state(R, 0), *within = rc == 2 ? xstrdup("")
                    : xasprintf(" within %.3fs", (double)ns / 1e9);
        runner_fail(R, true, runner_require(R, st->require), "expected a%s request from the "
                    "client%s, got none%s", R->o_nreq ? "nother" : "", within, drv);
        free(within);
        free(drv);
        R->stop = true;
    }
}

/* ---- dispatch and cleanup ------------------------------------------------------------------ */

void client_step(runner *R, const step *st)
{
    if (st->kind == STEP_CLIENT_RUN)
        client_run(R, st);
    else if (st->kind == STEP_CLIENT_EXPECT && st->opcode == 2)
        client_check(R, st);
    else if (st->kind == STEP_CLIENT_EXPECT)
        client_expect(R, st);
    else if (st->kind == STEP_ORIGIN_CONTENT)
        client_origin_content(R, st);
    else if (st->kind == STEP_CLIENT_REQUEST)
        client_request(R, st);
}

/* Ends a driver's run: kills it if still running, records what it did, removes its files. */
static void run_end(runner *R, client_state *cl)
{
    if (cl->started && !client_driver_done(cl)) {
        cl->ended = true;
        client_driver_kill(cl);
    }
    if (cl->external)
        origin_unregister(cl->org, cl->rtoken);
    if (cl->started) {
        size_t n;
        char *out = client_read_output(cl->out_fd, OUT_MAX, &n);
        char *ex = client_exit_text(cl), *err = client_stderr_text(cl), *p = client_printable(out, n, 200);
        result_note(R->r, "the driver ran %.3fs: %s; stdout: '%s' (%zu bytes)%s",
                    (double)(cl->t_exit - cl->t_start) / 1e9, ex, p, n, err);
        free(out);
        free(ex);
        free(err);
        free(p);
    }
    if (cl->out_fd >= 0)
        close(cl->out_fd);
    if (cl->err_fd >= 0)
        close(cl->err_fd);
    if (cl->body_path[0])
        unlink(cl->body_path);
    if (cl->headers_path[0])
        unlink(cl->headers_path);
}

/* Kills a driver still running (the case ended before judging it), records what it did, and
 * removes the temporary files. */
void client_case_end(runner *R)
{
    if (!R->cl)
        return;
    run_end(R, R->cl);
    free(R->cl);
    R->cl = NULL;
}
