/* preflight: see preflight.h. */
#include "preflight.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "fates.h"
#include "origin.h"
#include "util.h"
#include "wire.h"

#define QUOTE_MAX 40 /* bytes of a server's answer quoted in the one line */

/* ---- what the first bytes are -------------------------------------------------------------- */

preflight_kind preflight_classify(const char *p, size_t n)
{
    static const char want[] = "HTTP/1.";
    size_t i = 0;
    while (i < n && i < 4 && (p[i] == '\r' || p[i] == '\n')) /* stray empty lines, tolerated */
        i++;
    if (i == n)
        return PREFLIGHT_NEED_MORE;
    unsigned char b0 = (unsigned char)p[i];
    if (b0 == 0x15 || b0 == 0x16) { /* TLS record: alert or handshake, then version 3.x */
        if (n - i < 2)
            return PREFLIGHT_NEED_MORE;
        return (unsigned char)p[i + 1] == 0x03 ? PREFLIGHT_TLS : PREFLIGHT_NOT_HTTP;
    }
    for (size_t k = 0; k < sizeof want - 1; k++) {
        if (i + k == n)
            return PREFLIGHT_NEED_MORE;
        char ch = p[i + k];
        if (ch >= 'a' && ch <= 'z')
            ch = (char)(ch - 'a' + 'A');
        if (ch != want[k])
            return PREFLIGHT_NOT_HTTP;
    }
    i += sizeof want - 1;
    if (i == n)
        return PREFLIGHT_NEED_MORE;
    return p[i] >= '0' && p[i] <= '9' ? PREFLIGHT_HTTP : PREFLIGHT_NOT_HTTP;
}

void preflight_quote(const char *p, size_t n, char *out, size_t outsz)
{
    size_t o = 0, i = 0;
    if (!outsz)
        return;
    for (; i < n && i < QUOTE_MAX; i++) {
        unsigned char c = (unsigned char)p[i];
        char e[8];
        if (c == '\r' || c == '\n' || c == '\t')
            snprintf(e, sizeof e, "\\%c", c == '\r' ? 'r' : c == '\n' ? 'n' : 't');
        else if (c < 0x20 || c >= 0x7f || c == '\\' || c == '`')
            snprintf(e, sizeof e, "\\x%02X", c);
        else
            e[0] = (char)c, e[1] = '\0';
        size_t len = strlen(e);
        if (o + len + 4 >= outsz) /* room for "..." and the NUL */
            break;
        memcpy(out + o, e, len);
        o += len;
    }
    if (i < n && o + 4 <= outsz)
        memcpy(out + o, "...", 3), o += 3;
    out[o] = '\0';
}

/* ---- one request, one answer --------------------------------------------------------------- */

/* The plain request: GET target, Host, the user's -H lines (a Host among them replaces ours). */
static char *build_request(const run_ctx *ctx, const char *tgt, const char *host)
{
    buf_t b;
    buf_init(&b, 0);
    bool user_host = false;
    for (size_t i = 0; i < ctx->nheaders; i++)
        user_host |= ascii_ncasecmp(ctx->headers[i], "host:", 5) == 0;
    buf_printf(&b, "GET %s HTTP/1.1\r\n", tgt);
    if (!user_host)
        buf_printf(&b, "Host: %s\r\n", host);
    for (size_t i = 0; i < ctx->nheaders; i++)
        buf_printf(&b, "%s\r\n", ctx->headers[i]);
    buf_printf(&b, "User-Agent: h1xx/pre-flight\r\nConnection: close\r\n\r\n");
    return buf_steal(&b);
}

/* The client side of the pre-flight: the connection and how its reading ended so far. */
typedef struct side {
    conn c;
    conn_status end; /* CONN_OK while open; else EOF, ERROR, FULL, INTR */
} side;

/* The status of the first final response in the stream: >0 the code, 0 not complete yet,
 * -1 not an HTTP response. */
static int first_final(const char *p, size_t n)
{
    wire_msg *m = xmalloc(sizeof *m);
    wire_finding f[16];
    size_t pos = 0, nf = 0;
    int status = 0;
    while (pos < n) {
        nf = 0;
        long k = wire_parse_head(p + pos, n - pos, pos, WIRE_MAX_FIELDS, m, f, 16, &nf);
        if (k == -2)
            break;
        if (k < 0) {
            status = -1;
            break;
        }
        pos += (size_t)k;
        if (!m->interim) {
            status = m->status;
            break;
        }
    }
    free(m);
    return status;
}

/* ---- origin mode --------------------------------------------------------------------------- */

static bool decided(const side *s)
{
    return preflight_classify(s->c.rx.data, s->c.rx.len) != PREFLIGHT_NEED_MORE;
}

/* Reads until the deadline (now: only what already arrived), EOF or an error, or until done(s)
 * says the bytes are enough (done NULL: never). */
static void read_until(side *s, int64_t deadline_ns, bool (*done)(const side *))
{
    while (s->end == CONN_OK && !(done && done(s))) {
        int64_t t;
        size_t n;
        conn_status st = conn_read(&s->c, deadline_ns, &t, &n);
        if (st == CONN_TIMEOUT)
            return;
        if (st != CONN_OK)
            s->end = st;
    }
}

static int judge_origin(const run_ctx *ctx, const side *s, int64_t wait_ns)
{
    const char *p = s->c.rx.data;
    size_t n = s->c.rx.len;
    char q[QUOTE_MAX * 4 + 8];
    preflight_kind k = preflight_classify(p, n);
    if (k == PREFLIGHT_HTTP)
        return 0;
    if (k == PREFLIGHT_TLS && ctx->tgt->scheme == TARGET_HTTP) {
        fprintf(stderr, "h1xx: this port speaks TLS: use https://\n");
        return -1;
    }
    if (k != PREFLIGHT_NEED_MORE) { /* TLS bytes inside TLS or on a unix socket: not HTTP either */
        preflight_quote(p, n, q, sizeof q);
        fprintf(stderr, "h1xx: not an HTTP/1.x server: first bytes `%s`\n", q);
        return -1;
    }
    /* Nothing decisive: a slow or silent origin, or a close, proves nothing about the cases. */
    if (s->end == CONN_INTR)
        return 1;
    const char *path = ctx->tgt->path;
    char *what = s->end == CONN_EOF
                     ? xasprintf("the server closed the connection without answering GET %s", path)
                 : s->end == CONN_ERROR
                     ? xasprintf("the connection failed before an answer to GET %s (%s)", path,
                                 s->c.errmsg)
                     : xasprintf("no answer to GET %s within %lldms", path,
                                 (long long)(wait_ns / 1000000));
    fprintf(stderr, "h1xx: pre-flight: %s%s; running the cases anyway%s\n", what,
            n ? " (only the start of a status line)" : "",
            ctx->tgt->scheme == TARGET_HTTP ? " (if this port speaks TLS, use https://)" : "");
    free(what);
    return 0;
}

static int origin_preflight(const run_ctx *ctx, int64_t wait_ns)
{
    side s = {.end = CONN_OK};
    int64_t deadline = clock_ns() + wait_ns;
    conn_status st = conn_open(&s.c, ctx->tgt, &ctx->copts, deadline);
    int rc = 0;
    if (st != CONN_OK) { /* the probe connected a moment ago: let the cases meet this */
        if (st == CONN_INTR)
            rc = 1;
        else
            fprintf(stderr, "h1xx: pre-flight: cannot connect: %s; running the cases anyway\n",
                    s.c.errmsg);
        goto out;
    }
    char *req = build_request(ctx, ctx->tgt->path, ctx->tgt->authority);
    size_t sent;
    st = conn_send(&s.c, req, strlen(req), deadline, &sent);
    free(req);
    if (st == CONN_INTR) {
        rc = 1;
        goto out;
    }
    /* a failed send still leaves what the server said first (a banner) to be read */
    read_until(&s, deadline, decided);
    rc = judge_origin(ctx, &s, wait_ns);
out:
    conn_close(&s.c);
    return rc;
}

/* ---- proxy modes --------------------------------------------------------------------------- */

#define PREFLIGHT_BODY "h1xx pre-flight\n"

/* origin_wait's stop check: the proxy's side already answered (a final response, bytes that are
 * not HTTP, a close or a reset) before the request reached the embedded origin. */
static bool client_answered(void *arg)
{
    side *s = arg;
    read_until(s, clock_ns(), NULL);
    if (s->end != CONN_OK)
        return true;
    return s->c.rx.len && first_final(s->c.rx.data, s->c.rx.len) != 0;
}

/* What the proxy gave the client instead of forwarding, as the start of the one line. */
static char *proxy_answer(const side *s, int64_t wait_ns)
{
    const char *p = s->c.rx.data;
    size_t n = s->c.rx.len;
    int status = n ? first_final(p, n) : 0;
    if (status > 0)
        return xasprintf("the proxy answered %d itself", status);
    preflight_kind k = preflight_classify(p, n);
    if (k == PREFLIGHT_TLS)
        return xasprintf("the proxy answered with TLS bytes (for an https:// proxy, use "
                         "https://)");
    if (n && (k == PREFLIGHT_NOT_HTTP || status < 0)) {
        char q[QUOTE_MAX * 4 + 8];
        preflight_quote(p, n, q, sizeof q);
        return xasprintf("the proxy answered `%s`, not HTTP/1.x", q);
    }
    const char *part = n ? " after part of a response" : "";
    if (n && s->end == CONN_OK) {
        char q[QUOTE_MAX * 4 + 8];
        preflight_quote(p, n, q, sizeof q);
        return xasprintf("got only `%s` in %gs", q, (double)wait_ns / 1e9);
    }
    if (s->end == CONN_EOF)
        return xasprintf("the proxy closed the connection%s", part);
    if (s->end == CONN_ERROR)
        return xasprintf("the connection to the proxy failed%s (%s)", part, s->c.errmsg);
    return xasprintf("got nothing in %gs", (double)wait_ns / 1e9);
}

static void stop_proxy(const run_ctx *ctx, const side *s, int64_t wait_ns)
{
    char *what = proxy_answer(s, wait_ns);
    const char *org = origin_authority(ctx->org);
    if (ctx->mode == MODE_FORWARD_PROXY)
        fprintf(stderr, "h1xx: %s; the request never reached the embedded origin at %s: is this "
                "a forward proxy? (h1xx sends absolute-form requests, GET http://%s/...)\n",
                what, org, org);
    else
        fprintf(stderr, "h1xx: %s; the request never reached the embedded origin at %s: is the "
                "proxy configured to forward to it?\n", what, org);
    free(what);
}

static bool has_final(const side *s)
{
    return first_final(s->c.rx.data, s->c.rx.len) != 0;
}

/* The request reached the embedded origin: answer 200 and see the answer come back. Whatever
 * the client gets, the run goes on: forwarding the response is what the cases judge. */
static void answer_through(const run_ctx *ctx, side *s, origin_conn *oc, int64_t wait_ns)
{
    static const char resp[] = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                               "Content-Length: 16\r\nConnection: close\r\n\r\n" PREFLIGHT_BODY;
    int64_t deadline = clock_ns() + wait_ns;
    if (origin_write(oc, resp, sizeof resp - 1, deadline) == 0)
        read_until(s, deadline, has_final);
    int status = first_final(s->c.rx.data, s->c.rx.len);
    if (status != 200 && s->end != CONN_INTR)
        fprintf(stderr, "h1xx: pre-flight: the request reached the embedded origin at %s, but "
                "its 200 did not come back through the proxy (%s); running the cases anyway\n",
                origin_authority(ctx->org),
                status > 0 ? "the client got another status" : "the client got no response");
    origin_release(ctx->org, oc, false);
    fates_origin_closed(0); /* before the run's clock: a proxy that reuses it answers 502 */
}

static char *proxy_target(const run_ctx *ctx, const char *token)
{
    if (ctx->mode == MODE_FORWARD_PROXY) /* absolute-form, to the embedded origin */
        return xasprintf("http://%s/h1xx/%s/preflight", origin_authority(ctx->org), token);
    const char *path = ctx->tgt->path;
    size_t plen = strlen(path);
    while (plen && path[plen - 1] == '/')
        plen--;
    return xasprintf("%.*s/h1xx/%s/preflight", (int)plen, path, token);
}

static int proxy_preflight(const run_ctx *ctx, int64_t wait_ns)
{
    char token[48];
    snprintf(token, sizeof token, "preflight-%llx",
             (unsigned long long)(clock_ns() & 0xffffffffffffULL));
    origin_register(ctx->org, token);
    side s = {.end = CONN_OK};
    int64_t deadline = clock_ns() + wait_ns;
    int rc = 0;
    conn_status st = conn_open(&s.c, ctx->tgt, &ctx->copts, deadline);
    if (st != CONN_OK) {
        if (st == CONN_INTR)
            rc = 1;
        else
            fprintf(stderr, "h1xx: pre-flight: cannot connect: %s; running the cases anyway\n",
                    s.c.errmsg);
        goto out;
    }
    char *tgt = proxy_target(ctx, token);
    char *req = build_request(ctx, tgt, ctx->mode == MODE_FORWARD_PROXY
                                            ? origin_authority(ctx->org) : ctx->tgt->authority);
    size_t sent;
    st = conn_send(&s.c, req, strlen(req), deadline, &sent);
    free(req);
    free(tgt);
    origin_conn *oc = NULL;
    int w = st == CONN_INTR ? -1 : origin_wait(ctx->org, token, deadline, &oc, client_answered, &s);
    if (w == 2) /* the client side ended first: one last look at the origin before judging */
        w = origin_wait(ctx->org, token, clock_ns(), &oc, NULL, NULL);
    if (w == 1)
        answer_through(ctx, &s, oc, wait_ns);
    else if (w == -1 || s.end == CONN_INTR)
        rc = 1;
    else {
        stop_proxy(ctx, &s, wait_ns);
        rc = -1;
    }
out:
    conn_close(&s.c);
    origin_unregister(ctx->org, token);
    return rc;
}

int preflight_run(const run_ctx *ctx, int64_t wait_ns)
{
    return ctx->mode == MODE_ORIGIN ? origin_preflight(ctx, wait_ns)
                                    : proxy_preflight(ctx, wait_ns);
}

/* ---- a hint for upload_path ---------------------------------------------------------------- */

/* 1 when the first message in p[0, n) is a 100 (interim), 0 when it is something else, -1 when
 * it is not complete yet. */
static int starts_with_100(const char *p, size_t n)
{
    wire_msg *m = xmalloc(sizeof *m);
    wire_finding f[16];
    size_t nf = 0;
    long k = wire_parse_head(p, n, 0, WIRE_MAX_FIELDS, m, f, 16, &nf);
    int rc = k == -2 ? -1 : k < 0 ? 0 : m->interim && m->status == 100;
    free(m);
    return rc;
}

/* Enough read: the first message is complete, or past HINT_HEAD_MAX bytes (a 100 is short). */
#define HINT_HEAD_MAX 16384
static bool head_read(const side *s)
{
    return s->c.rx.len > HINT_HEAD_MAX || starts_with_100(s->c.rx.data, s->c.rx.len) >= 0;
}

/* Whether POST path with Expect: 100-continue gets a 100 first, before the absolute deadline. */
static bool answers_100(const run_ctx *ctx, const char *path, int64_t deadline)
{
    side s = {.end = CONN_OK};
    bool yes = false;
    if (conn_open(&s.c, ctx->tgt, &ctx->copts, deadline) != CONN_OK)
        goto out;
    bool user_host = false;
    for (size_t i = 0; i < ctx->nheaders; i++)
        user_host |= ascii_ncasecmp(ctx->headers[i], "host:", 5) == 0;
    buf_t b;
    buf_init(&b, 0);
    buf_printf(&b, "POST %s HTTP/1.1\r\n", path);
    if (!user_host)
        buf_printf(&b, "Host: %s\r\n", ctx->tgt->authority);
    for (size_t i = 0; i < ctx->nheaders; i++)
        buf_printf(&b, "%s\r\n", ctx->headers[i]);
    buf_printf(&b, "User-Agent: h1xx/upload-hint\r\nExpect: 100-continue\r\n"
                   "Content-Type: text/plain\r\nContent-Length: 5\r\nConnection: close\r\n\r\n");
    size_t sent;
    conn_status st = conn_send(&s.c, b.data, b.len, deadline, &sent);
    buf_free(&b);
    if (st != CONN_OK)
        goto out;
    /* a server that streams without end keeps conn_read busy: the deadline is checked here */
    while (s.end == CONN_OK && !head_read(&s) && clock_ns() < deadline) {
        int64_t t;
        size_t n;
        conn_status rs = conn_read(&s.c, deadline, &t, &n);
        if (rs == CONN_TIMEOUT)
            break;
        if (rs != CONN_OK)
            s.end = rs;
    }
    yes = s.c.rx.len <= HINT_HEAD_MAX && starts_with_100(s.c.rx.data, s.c.rx.len) == 1;
out:
    conn_close(&s.c);
    return yes;
}

char *preflight_upload_hint(const run_ctx *ctx, int64_t wait_ns)
{
    static const char *const likely[] = {"/upload", "/uploads", "/api/upload", "/post"};
    int64_t deadline = clock_ns() + wait_ns; /* for all of them together */
    for (size_t i = 0; i < sizeof likely / sizeof *likely && !conn_interrupted() &&
                       clock_ns() < deadline; i++)
        if (strcmp(likely[i], ctx->tgt->path) != 0 && answers_100(ctx, likely[i], deadline))
            return xstrdup(likely[i]);
    return NULL;
}
