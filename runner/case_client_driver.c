/* case_client_driver: client mode's driver process (started in its own process group, stdout
 * and stderr to unlinked temporary files, reaped, killed at its bound), what it reported, and
 * --serve's posted result, which stands in for a driver's exit. Below case_client.c and
 * case_client_body.c: it calls neither. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "case_client.h"
#include "origin.h"
#include "util.h"

extern char **environ;

#define ERR_MAX 2048        /* what is kept of the driver's stderr, for the report */
#define EXIT_DECLINE 77 /* a driver's exit status: this client cannot do this case */

/* ---- the driver's process ------------------------------------------------------------------ */

int client_temp_file(char *path, size_t n)
{
    const char *dir = getenv("TMPDIR");
    snprintf(path, n, "%s/h1xx-client-XXXXXX", dir && *dir ? dir : "/tmp");
    return mkostemp(path, O_CLOEXEC);
}

/* An unlinked temporary file for the driver's output; -1 on failure. */
int client_output_file(void)
{
    char path[96];
    int fd = client_temp_file(path, sizeof path);
    if (fd >= 0)
        unlink(path);
    return fd;
}

/* s with every {url}, {method}, {body} and {upgrade} replaced; malloc'd. */
char *client_fill(const char *s, const char *const keys[NPH],
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
 * H1XX_CASE. The strings are malloc'd; client_free_strv frees them. */
char **client_driver_env(const char *const vals[NPH], const char *case_id)
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

void client_free_strv(char **v)
{
    for (size_t i = 0; v && v[i]; i++)
        free(v[i]);
    free(v);
}

/* Starts argv in a new process group, stdin from /dev/null, stdout and stderr to the files.
 * Signals h1xx ignores (SIGPIPE) are set back to their defaults for the driver. */
int client_spawn(client_state *cl, char **argv, char **env)
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
bool client_driver_done(client_state *cl)
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

void client_driver_kill(client_state *cl)
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
int client_driver_wait(client_state *cl, int64_t deadline)
{
    while (!client_driver_done(cl)) {
        int64_t now = clock_ns(), until = now + 5000000;
        if (now >= deadline)
            return 0;
        if (conn_sleep_until(until < deadline ? until : deadline) == CONN_INTR)
            return -1;
    }
    return 0;
}

/* "exit status 1", "killed by signal 9", or "killed at its bound". */
char *client_exit_text(const client_state *cl)
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

/* "; stderr: '...'" or "" */
char *client_stderr_text(const client_state *cl)
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

char *client_driver_state(runner *R, int64_t grace_ns)
{
    client_state *cl = R->cl;
    if (!cl || !cl->started)
        return xstrdup("");
    if (grace_ns > 0)
        client_driver_wait(cl, runner_bounded(R, clock_ns() + grace_ns));
    if (!client_driver_done(cl))
        return xstrdup(cl->external ? "; no result posted yet" : "; the driver is still running");
    char *ex = client_exit_text(cl), *err = client_stderr_text(cl);
    char *s = xasprintf("; the driver ended: %s%s", ex, err);
    free(ex);
    free(err);
    return s;
}

bool client_declined(runner *R)
{
    client_state *cl = R->cl;
    if (!cl || !cl->started || cl->external || !client_driver_done(cl) || cl->killed ||
        !WIFEXITED(cl->status) || WEXITSTATUS(cl->status) != EXIT_DECLINE)
        return false;
    size_t n;
    char *e = client_read_output(cl->err_fd, ERR_MAX, &n);
    while (n && (e[n - 1] == '\n' || e[n - 1] == '\r'))
        n--;
    size_t from = n; /* the last line it wrote */
    while (from && e[from - 1] != '\n')
        from--;
    char *line = client_printable(e + from, n - from, 200);
    runner_end(R, VERDICT_SKIP, "inconclusive: the driver cannot do this case with its client "
               "(exit status 77)%s%s%s", n ? ": '" : "", n ? line : "", n ? "'" : "");
    free(line);
    free(e);
    return true;
}
