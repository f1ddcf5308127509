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

extern char **environ;

#define ERR_MAX 2048        /* what is kept of the driver's stderr, for the report */
#define NPH 6 /* placeholders: {url} {method} {body} {upgrade} {headers} {url2} */
#define EXIT_NO_REUSE 77 /* a driver's exit status: it cannot make two requests on one connection */

/* ---- the driver's process ------------------------------------------------------------------ */

static int temp_file(char *path, size_t n)
{
    const char *dir = getenv("TMPDIR");
    snprintf(path, n, "%s/h1xx-client-XXXXXX", dir && *dir ? dir : "/tmp");
    return mkostemp(path, O_CLOEXEC);
}

/* An unlinked temporary file for the driver's output; -1 on failure. */
static int output_file(void)
{
    char path[96];
    int fd = temp_file(path, sizeof path);
    if (fd >= 0)
        unlink(path);
    return fd;
}

/* The file behind {body}: `bytes` bytes of a recognisable pattern (empty without an upload). */
static int write_body(client_state *cl, long bytes)
{
    int fd = temp_file(cl->body_path, sizeof cl->body_path);
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

/* s with every {url}, {method}, {body} and {upgrade} replaced; malloc'd. */
static char *fill_placeholders(const char *s, const char *const keys[NPH],
                               const char *const vals[NPH])
{
    buf_t b;
    buf_init(&b, 0);
    while (*s) {
        int k = 0;
        while (k < NPH && strncmp(s, keys[k], strlen(keys[k])) != 0)
            k++;
        if (k < NPH) {
            buf_append(&b, vals[k], strlen(vals[k]));
            s += strlen(keys[k]);
        } else {
            buf_append(&b, s++, 1);
        }
    }
    buf_append(&b, "", 0);
    return b.data ? buf_steal(&b) : xstrdup("");
}

/* The environment of the driver: ours, plus H1XX_URL, H1XX_METHOD, H1XX_BODY, H1XX_UPGRADE and
 * H1XX_CASE. The strings are malloc'd; free_strv frees them. */
static char **driver_env(const char *const vals[NPH], const char *case_id)
{
    size_t n = 0;
    while (environ && environ[n])
        n++;
    char **env = xcalloc(n + NPH + 2, sizeof *env);
    static const char *const names[NPH] = {"H1XX_URL", "H1XX_METHOD", "H1XX_BODY", "H1XX_UPGRADE",
                                           "H1XX_HEADERS", "H1XX_URL2"};
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (strncmp(environ[i], "H1XX_", 5) != 0)
            env[k++] = xstrdup(environ[i]);
    for (int i = 0; i < NPH; i++)
        env[k++] = xasprintf("%s=%s", names[i], vals[i]);
    env[k++] = xasprintf("H1XX_CASE=%s", case_id);
    return env;
}

static void free_strv(char **v)
{
    for (size_t i = 0; v && v[i]; i++)
        free(v[i]);
    free(v);
}

/* Starts argv in a new process group, stdin from /dev/null, stdout and stderr to the files.
 * Signals h1xx ignores (SIGPIPE) are set back to their defaults for the driver. */
static int spawn_driver(client_state *cl, char **argv, char **env)
{
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, cl->out_fd, 1);
    posix_spawn_file_actions_adddup2(&fa, cl->err_fd, 2);
    posix_spawnattr_init(&at);
    sigset_t def;
    sigemptyset(&def);
    sigaddset(&def, SIGPIPE);
    sigaddset(&def, SIGINT);
    sigaddset(&def, SIGTERM);
    posix_spawnattr_setsigdefault(&at, &def);
    posix_spawnattr_setpgroup(&at, 0);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF);
    int rc = posix_spawnp(&cl->pid, argv[0], &fa, &at, argv, env);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    if (rc != 0)
        cl->pid = 0;
    return rc;
}

static bool result_poll(client_state *cl);

/* Whether the driver has exited; reaps it then, after killing what it left in its group. */
static bool driver_done(client_state *cl)
{
    if (!cl->started || cl->exited)
        return true;
    if (cl->external)
        return result_poll(cl);
    siginfo_t si;
    memset(&si, 0, sizeof si);
    if (waitid(P_PID, cl->pid, &si, WEXITED | WNOHANG | WNOWAIT) != 0 || si.si_pid != cl->pid)
        return false;
    kill(-cl->pid, SIGKILL); /* the group still exists until the leader is reaped */
    waitpid(cl->pid, &cl->status, 0);
    cl->exited = true;
    cl->t_exit = clock_ns();
    return true;
}

static void driver_kill(client_state *cl)
{
    if (!cl->started || cl->exited)
        return;
    if (!cl->external) {
        kill(-cl->pid, SIGKILL);
        waitpid(cl->pid, &cl->status, 0);
    }
    cl->exited = cl->killed = true;
    cl->t_exit = clock_ns();
}

/* Waits until the driver exits or until deadline (absolute); -1 when interrupted. */
static int driver_wait(client_state *cl, int64_t deadline)
{
    while (!driver_done(cl)) {
        int64_t now = clock_ns(), until = now + 5000000;
        if (now >= deadline)
            return 0;
        if (conn_sleep_until(until < deadline ? until : deadline) == CONN_INTR)
            return -1;
    }
    return 0;
}

/* "exit status 1", "killed by signal 9", or "killed at its bound". */
static char *exit_text(const client_state *cl)
{
    if (cl->killed && cl->external)
        return xstrdup(cl->ended ? "no result posted before the case ended"
                                 : "no result posted within the bound");
    if (cl->killed)
        return xstrdup(cl->ended ? "no exit before the case ended (its process group was killed)"
                                 : "no exit within the driver's bound (its process group was "
                                   "killed)");
    if (WIFEXITED(cl->status))
        return xasprintf("exit status %d", WEXITSTATUS(cl->status));
    return xasprintf("death by signal %d", WTERMSIG(cl->status));
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
        argv[i] = fill_placeholders(R->ctx->driver[i], keys, vals);
    char **env = driver_env(vals, R->c->id);
    char *cmd = quoted_command(argv);
    cl->t_start = clock_ns();
    int rc = spawn_driver(cl, argv, env);
    cl->started = rc == 0;
    if (rc)
        runner_end(R, VERDICT_ERROR, "cannot start the driver %s: %s", argv[0], strerror(rc));
    else
        result_note(R->r, "driver: %s", cmd);
    free(cmd);
    free_strv(env);
    free_strv(argv);
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

/* --serve: each X-H1xx-Header field of the posted result ("Name: value", one a field of the
 * final response the client delivered) goes to the {headers} file, as a driver writes it. */
static void save_posted_fields(client_state *cl, origin_conn *oc)
{
    FILE *f = fopen(cl->headers_path, "w");
    const wire_field *h = NULL;
    while (f && (h = wire_find(&oc->req, oc->rx.data, "X-H1xx-Header", h)))
        fprintf(f, "%.*s\n", (int)h->value_len, oc->rx.data + h->value_off);
    if (f)
        fclose(f);
}

/* --serve: a result posted to the case's result URL (the body the client delivered; an
 * X-H1xx-Error field when the client reported an error) ends the client's run, as a driver's
 * exit does. Never waits for a result, only for the rest of one that has begun. */
static bool result_poll(client_state *cl)
{
    origin_conn *oc = NULL;
    if (origin_wait(cl->org, cl->rtoken, clock_ns(), &oc, NULL, NULL) != 1)
        return false;
    const wire_field *f = wire_find(&oc->req, oc->rx.data, "Content-Length", NULL);
    long n = f ? strtol(oc->rx.data + f->value_off, NULL, 10) : 0;
    if (n < 0 || n > OUT_MAX)
        n = OUT_MAX;
    int64_t t, dl = clock_ns() + 2000000000LL;
    size_t got;
    while (oc->rx.len - oc->body_start < (size_t)n && origin_read(oc, dl, &t, &got) == 1)
        ;
    const char *s = oc->rx.data; /* only now: reading may have moved the buffer */
    size_t have = oc->rx.len - oc->body_start;
    if (pwrite(cl->out_fd, s + oc->body_start, have < (size_t)n ? have : (size_t)n, 0) < 0)
        cl->status = 2 << 8;
    save_posted_fields(cl, oc);
    const wire_field *e = wire_find(&oc->req, s, "X-H1xx-Error", NULL);
    if (e) {
        cl->status = 1 << 8; /* as a driver's exit status 1 */
        if (pwrite(cl->err_fd, s + e->value_off, e->value_len, 0) < 0)
            cl->status = 2 << 8;
    }
    static const char ok[] = "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n";
    origin_write(oc, ok, sizeof ok - 1, clock_ns() + 1000000000LL);
    origin_release(cl->org, oc, false);
    cl->exited = true;
    cl->t_exit = clock_ns();
    return true;
}

static void client_run(runner *R, const step *st)
{
    int64_t life = runner_duration(R, st->within, "${long}");
    if (!st->within) /* by default the driver outlives every wait of the case */
        life += runner_duration(R, NULL, "${timeout}");
    if (R->stop)
        return;
    if ((!R->ctx->ndriver && !R->ctx->serve) || !R->ctx->org || R->cl || R->nlocals + 3 > 10) {
        runner_end(R, VERDICT_ERROR, "client run: %s", !R->ctx->ndriver
                   ? "no driver command (h1xx client [options] -- COMMAND ARGS...)"
                   : "one client run a case, in client mode");
        return;
    }
    client_state *cl = R->cl = xcalloc(1, sizeof *cl);
    cl->out_fd = output_file();
    cl->err_fd = output_file();
    make_reply(cl, st->second != NULL);
    cl->second = st->second != NULL;
    R->locals[R->nlocals++] = (var){"reply", cl->reply};
    R->locals[R->nlocals++] = (var){"reply2", cl->reply2};
    R->locals[R->nlocals++] = (var){"reply_length", cl->reply_len};
    R->locals[R->nlocals++] = (var){"client_ws_accept", cl->ws_accept};
    int hfd = temp_file(cl->headers_path, sizeof cl->headers_path);
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

/* "; stderr: '...'" or "" */
static char *stderr_text(const client_state *cl)
{
    size_t n;
    char *e = client_read_output(cl->err_fd, ERR_MAX, &n);
    while (n && (e[n - 1] == '\n' || e[n - 1] == '\r'))
        n--;
    char *p = client_printable(e, n, 300);
    char *s = n ? xasprintf("; stderr: '%s'", p) : xstrdup("");
    free(p);
    free(e);
    return s;
}

static void judge_body(runner *R, const step *st, client_state *cl, const char *out, size_t n)
{
    const char *req = runner_require(R, st->require);
    char *ex = exit_text(cl), *err = stderr_text(cl), *got = client_printable(out, n, 200);
    const char *both = cl->second ? " (of both requests, in order)" : "";
    bool ok_exit = !cl->killed && WIFEXITED(cl->status) && WEXITSTATUS(cl->status) == 0;
    if (ok_exit && is_reply(cl, out, n))
        result_note(R->r, "the driver printed the final body after %.3fs",
                    (double)(cl->t_exit - cl->t_start) / 1e9);
    else if (!ok_exit)
        runner_fail(R, true, req, "expected the client to deliver the final response's body%s "
                    "'%s', got %s%s%s%s%s", both, cl->want, ex, n ? " after printing '" : "",
                    n ? got : "", n ? "'" : "", err);
    else if (!n)
        runner_fail(R, true, req, "expected the client to deliver the final response's body%s "
                    "'%s' (%zu bytes), got an empty body and exit status 0%s", both, cl->want,
                    strlen(cl->want), err);
    else
        runner_fail(R, true, req, "expected the client to deliver the final response's body%s "
                    "'%s' (%zu bytes), got '%s' (%zu bytes) and exit status 0%s", both, cl->want,
                    strlen(cl->want), got, n, err);
    free(ex);
    free(err);
    free(got);
}

static void judge_error(runner *R, const step *st, client_state *cl, const char *out, size_t n)
{
    const char *req = runner_require(R, st->require);
    char *ex = exit_text(cl), *err = stderr_text(cl), *got = client_printable(out, n, 200);
    if (!cl->killed && !(WIFEXITED(cl->status) && WEXITSTATUS(cl->status) == 0))
        result_note(R->r, "the client reported an error: %s%s", ex, err);
    else if (cl->killed)
        runner_fail(R, true, req, "expected the client to report an error, got %s%s%s%s", ex,
                    n ? " after printing '" : "", n ? got : "", n ? "'" : "");
    else
        runner_fail(R, true, req, "expected the client to report an error, got exit status 0 "
                    "(success) with %s%s%s%s", n ? "the body '" : "an empty body", n ? got : "",
                    n ? "'" : "", is_reply(cl, out, n) ? " (the bytes after the 101, read as "
                    "HTTP/1.1)" : "");
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
    if (driver_wait(cl, runner_bounded(R, want)) < 0) {
        runner_end(R, VERDICT_NOTRUN, "interrupted");
        return;
    }
    if (!cl->exited && runner_cut(R, want))
        return;
    driver_kill(cl);
    size_t n;
    char *out = client_read_output(cl->out_fd, OUT_MAX, &n);
    if (st->opcode)
        judge_error(R, st, cl, out, n);
    else
        judge_body(R, st, cl, out, n);
    free(out);
    R->stop |= R->r->verdict != VERDICT_PASS;
}

char *client_driver_state(runner *R, int64_t grace_ns)
{
    client_state *cl = R->cl;
    if (!cl || !cl->started)
        return xstrdup("");
    if (grace_ns > 0)
        driver_wait(cl, runner_bounded(R, clock_ns() + grace_ns));
    if (!driver_done(cl))
        return xstrdup(cl->external ? "; no result posted yet" : "; the driver is still running");
    char *ex = exit_text(cl), *err = stderr_text(cl);
    char *s = xasprintf("; the driver ended: %s%s", ex, err);
    free(ex);
    free(err);
    return s;
}

/* ---- client request ------------------------------------------------------------------------ */

static bool driver_exited(void *arg)
{
    runner *R = arg;
    return R->cl && driver_done(R->cl);
}

/* Why a case with {url2} is inconclusive when the driver ended without another request: it
 * said it cannot make two requests on one connection (EXIT_NO_REUSE), or it succeeded after one
 * request (it does not use {url2}); NULL otherwise. */
static const char *driver_no_reuse(runner *R)
{
    client_state *cl = R->cl;
    if (!cl || !cl->second || !driver_done(cl) || cl->killed || !WIFEXITED(cl->status))
        return NULL;
    if (WEXITSTATUS(cl->status) == EXIT_NO_REUSE)
        return "the driver cannot make two requests on one connection (exit status 77)";
    if (WEXITSTATUS(cl->status) == 0 && R->o_nreq == 1)
        return "the driver made one request and exited 0: it does not use {url2}";
    return NULL;
}

/* client request reused: the request came on the connection of the one before. (Whether it
 * came too early, before that one's final response, is `client quiet`'s question: the origin
 * does not read a connection the case holds, so arrival times here are after the release.) */
static void judge_reuse(runner *R, const step *st, const origin_conn *oc)
{
    const client_state *cl = R->cl;
    if (cl->last_req_close)
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

/* Kills a driver still running (the case ended before judging it), records what it did, and
 * removes the temporary files. */
void client_case_end(runner *R)
{
    client_state *cl = R->cl;
    if (!cl)
        return;
    if (cl->started && !driver_done(cl)) {
        cl->ended = true;
        driver_kill(cl);
    }
    if (cl->external)
        origin_unregister(cl->org, cl->rtoken);
    if (cl->started) {
        size_t n;
        char *out = client_read_output(cl->out_fd, OUT_MAX, &n);
        char *ex = exit_text(cl), *err = stderr_text(cl), *p = client_printable(out, n, 200);
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
    free(cl);
    R->cl = NULL;
}

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
