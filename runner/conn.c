/* conn: see conn.h. */
#include "conn.h"

#include <curl/curl.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

/* ---- targets ------------------------------------------------------------------------------- */

static int bad_target(char *err, size_t errsz, const char *url, const char *why)
{
    snprintf(err, errsz, "bad target URL '%s': %s", url, why);
    return -1;
}

/* RFC 3986 reg-name: unreserved, pct-encoded and sub-delims; an IPv6 literal: hex digits, ':',
 * '.' and a zone after '%'. Anything else (a space, a control byte, '<', a non-ASCII byte) makes
 * a host no resolver would find, so it is a bad URL rather than an unreachable target. */
static bool host_char(unsigned char ch, bool v6)
{
    if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9'))
        return true;
    if (v6)
        return ch == ':' || ch == '.' || ch == '%';
    return ch && strchr("-._~!$&'()*+,;=", ch) != NULL;
}

static int check_host(const char *host, bool v6, const char *url, char *err, size_t errsz)
{
    for (const unsigned char *p = (const unsigned char *)host; *p; p++) {
        if (host_char(*p, v6))
            continue;
        if (*p <= ' ' || *p == 0x7f)
            return bad_target(err, errsz, url, "spaces or control characters in the host");
        if (*p >= 0x80)
            return bad_target(err, errsz, url,
                              "non-ASCII host: give its ASCII (punycode, xn--...) form");
        char why[64];
        snprintf(why, sizeof why, "'%c' is not allowed in a host name", *p);
        return bad_target(err, errsz, url, why);
    }
    return 0;
}

static int parse_hostport(const char *hp, size_t len, target *t, int defport, const char *url,
                          char *err, size_t errsz)
{
    const char *colon = NULL;
    if (len && hp[0] == '[') {
        const char *close = memchr(hp, ']', len);
        if (!close)
            return bad_target(err, errsz, url, "unterminated IPv6 address");
        t->host = xstrndup(hp + 1, (size_t)(close - hp - 1));
        if (close + 1 < hp + len) {
            if (close[1] != ':')
                return bad_target(err, errsz, url, "junk after IPv6 address");
            colon = close + 1;
        }
    } else {
        colon = memchr(hp, ':', len);
        t->host = xstrndup(hp, colon ? (size_t)(colon - hp) : len);
    }
    if (!*t->host)
        return bad_target(err, errsz, url, "no host");
    if (check_host(t->host, len && hp[0] == '[', url, err, errsz))
        return -1;
    t->port = defport;
    if (colon) {
        char *ps = xstrndup(colon + 1, (size_t)(hp + len - colon - 1));
        long p;
        int rc = parse_long(ps, 1, 65535, &p);
        free(ps);
        if (rc)
            return bad_target(err, errsz, url, "port must be 1-65535");
        t->port = (int)p;
    }
    bool v6 = strchr(t->host, ':') != NULL;
    if (t->port == defport)
        t->authority = xasprintf(v6 ? "[%s]" : "%s", t->host);
    else
        t->authority = xasprintf(v6 ? "[%s]:%d" : "%s:%d", t->host, t->port);
    return 0;
}

int target_parse(const char *url, target *t, char *err, size_t errsz)
{
    memset(t, 0, sizeof *t);
    t->url = xstrdup(url);
    if (strncmp(url, "unix:", 5) == 0) {
        t->scheme = TARGET_UNIX;
        const char *p = url + 5, *sep = strstr(p, ":/");
        t->unix_path = sep ? xstrndup(p, (size_t)(sep - p)) : xstrdup(p);
        t->path = xstrdup(sep ? sep + 1 : "/");
        t->host = xstrdup("localhost");
        t->authority = xstrdup("localhost");
        t->port = 80;
        if (!*t->unix_path)
            return bad_target(err, errsz, url, "no socket path");
        for (const char *q = url; *q; q++)
            if ((unsigned char)*q < ' ' || *q == 0x7f)
                return bad_target(err, errsz, url, "control characters in the URL");
        return 0;
    }
    int defport;
    const char *rest;
    if (ascii_ncasecmp(url, "http://", 7) == 0) {
        t->scheme = TARGET_HTTP, defport = 80, rest = url + 7;
    } else if (ascii_ncasecmp(url, "https://", 8) == 0) {
        t->scheme = TARGET_HTTPS, defport = 443, rest = url + 8;
    } else {
        return bad_target(err, errsz, url, "scheme must be http://, https:// or unix:");
    }
    size_t hplen = strcspn(rest, "/?#");
    if (memchr(rest, '@', hplen))
        return bad_target(err, errsz, url, "user info is not supported");
    if (parse_hostport(rest, hplen, t, defport, url, err, errsz))
        return -1;
    const char *path = rest + hplen;
    size_t plen = strcspn(path, "#");
    t->path = (plen == 0) ? xstrdup("/")
              : (path[0] == '?') ? xasprintf("/%.*s", (int)plen, path)
                                 : xstrndup(path, plen);
    for (const char *q = t->path; *q; q++)
        if ((unsigned char)*q <= ' ' || *q == 0x7f)
            return bad_target(err, errsz, url, "spaces or control characters in path");
    return 0;
}

void target_free(target *t)
{
    free(t->url);
    free(t->host);
    free(t->path);
    free(t->authority);
    free(t->unix_path);
    memset(t, 0, sizeof *t);
}

/* ---- interruption -------------------------------------------------------------------------- */

static int interrupt_fd = -1;
static volatile sig_atomic_t interrupted_flag;

void conn_set_interrupt_fd(int fd)
{
    interrupt_fd = fd;
}

bool conn_interrupted(void)
{
    if (interrupt_fd < 0)
        return false;
    struct pollfd p = {.fd = interrupt_fd, .events = POLLIN};
    if (interrupted_flag || poll(&p, 1, 0) > 0) {
        interrupted_flag = 1;
        return true;
    }
    return false;
}

/* Waits until fd is ready for `events`, the deadline passes, or the run is interrupted. */
static conn_status wait_fd(int fd, short events, int64_t deadline_ns)
{
    for (;;) {
        if (conn_interrupted())
            return CONN_INTR;
        int64_t left = deadline_ns - clock_ns();
        if (left <= 0)
            return CONN_TIMEOUT;
        struct pollfd p[2] = {{.fd = fd, .events = events}, {.fd = interrupt_fd, .events = POLLIN}};
        int ms = (int)((left + 999999) / 1000000);
        int rc = poll(p, interrupt_fd >= 0 ? 2 : 1, ms);
        if (rc < 0 && errno != EINTR)
            return CONN_ERROR;
        if (rc > 0 && p[0].revents)
            return CONN_OK;
    }
}

/* ---- connections --------------------------------------------------------------------------- */

static long ms_left(int64_t deadline_ns)
{
    int64_t left = (deadline_ns - clock_ns()) / 1000000;
    return left < 1 ? 1 : (long)left;
}

static void describe_peer(conn *c)
{
    CURL *h = c->curl;
    char *ip = NULL;
    long port = 0;
    curl_easy_getinfo(h, CURLINFO_PRIMARY_IP, &ip);
    curl_easy_getinfo(h, CURLINFO_PRIMARY_PORT, &port);
    if (!ip || !*ip)
        return;
    int n = snprintf(c->peer, sizeof c->peer, strchr(ip, ':') ? "[%s]:%ld" : "%s:%ld", ip, port);
    /* The local end names this connection in the server's own logs (make bench pairs them). */
    char *lip = NULL;
    long lport = 0;
    curl_easy_getinfo(h, CURLINFO_LOCAL_IP, &lip);
    curl_easy_getinfo(h, CURLINFO_LOCAL_PORT, &lport);
    if (lip && *lip && n > 0 && (size_t)n < sizeof c->peer)
        snprintf(c->peer + n, sizeof c->peer - (size_t)n,
                 strchr(lip, ':') ? " from [%s]:%ld" : " from %s:%ld", lip, lport);
}

/* libcurl calls this while it connects (and shakes hands); non-zero aborts the connect, so an
 * interrupt does not wait for the connect timeout. */
static int on_progress(void *arg, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
    (void)arg, (void)a, (void)b, (void)c, (void)d;
    return conn_interrupted() ? 1 : 0;
}

static void set_options(CURL *h, const target *t, const conn_opts *o, int64_t deadline_ns)
{
    char *url = (t->scheme == TARGET_UNIX) ? xstrdup("http://localhost/")
                : xasprintf("%s://%s%s%s:%d/", t->scheme == TARGET_HTTPS ? "https" : "http",
                            strchr(t->host, ':') ? "[" : "", t->host,
                            strchr(t->host, ':') ? "]" : "", t->port);
    curl_easy_setopt(h, CURLOPT_URL, url);
    free(url);
    curl_easy_setopt(h, CURLOPT_CONNECT_ONLY, 1L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, ms_left(deadline_ns));
    curl_easy_setopt(h, CURLOPT_PROXY, "");  /* never take a proxy from the environment */
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
    if (t->scheme == TARGET_UNIX)
        curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, t->unix_path);
    if (t->scheme == TARGET_HTTPS) {
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, o->insecure ? 0L : 1L);
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, o->insecure ? 0L : 2L);
        if (o->cacert)
            curl_easy_setopt(h, CURLOPT_CAINFO, o->cacert);
        /* HTTP/1.1 is what we speak on the raw stream: offer nothing else in ALPN. */
        curl_easy_setopt(h, CURLOPT_SSL_ENABLE_ALPN, 0L);
    }
}

/* Says why the connection could not be made, in the target's terms: curl speaks of
 * "localhost port 80" for a unix socket, and an untrusted certificate needs the options that
 * fix it named. */
static void open_error(conn *c, CURL *h, const target *t, CURLcode rc, const char *detail)
{
    long os_errno = 0;
    curl_easy_getinfo(h, CURLINFO_OS_ERRNO, &os_errno);
    if (t->scheme == TARGET_UNIX && rc == CURLE_COULDNT_CONNECT) {
        if (os_errno == ENOENT)
            snprintf(c->errmsg, sizeof c->errmsg, "no unix socket at %.200s", t->unix_path);
        else
            snprintf(c->errmsg, sizeof c->errmsg, "cannot connect to unix socket %.200s: %s",
                     t->unix_path, os_errno ? strerror((int)os_errno) : "refused");
        return;
    }
    /* curl's detail names the cause (e.g. "wrong version number" for TLS to a plain port) */
    const char *what = curl_easy_strerror(rc);
    if (!detail[0] || strstr(detail, what))
        snprintf(c->errmsg, sizeof c->errmsg, "%.250s", detail[0] ? detail : what);
    else
        snprintf(c->errmsg, sizeof c->errmsg, "%s: %.200s", what, detail);
    if (rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CACERT_BADFILE) {
        size_t n = strlen(c->errmsg);
        snprintf(c->errmsg + n, sizeof c->errmsg - n,
                 " (the server's certificate is not trusted: give its CA with --cacert FILE, "
                 "or skip verification with --insecure)");
    }
}

conn_status conn_open(conn *c, const target *t, const conn_opts *o, int64_t deadline_ns)
{
    memset(c, 0, sizeof *c);
    c->fd = -1;
    buf_init(&c->rx, o->max_rx);
    if (conn_interrupted())
        return CONN_INTR;
    CURL *h = curl_easy_init();
    if (!h) {
        snprintf(c->errmsg, sizeof c->errmsg, "libcurl could not make a handle");
        return CONN_ERROR;
    }
    c->curl = h;
    c->tls = t->scheme == TARGET_HTTPS;
    set_options(h, t, o, deadline_ns);
    char detail[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, detail);
    CURLcode rc = curl_easy_perform(h);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, NULL);
    if (rc == CURLE_ABORTED_BY_CALLBACK || (rc != CURLE_OK && conn_interrupted())) {
        snprintf(c->errmsg, sizeof c->errmsg, "interrupted");
        return CONN_INTR;
    }
    if (rc != CURLE_OK) {
        open_error(c, h, t, rc, detail);
        return rc == CURLE_OPERATION_TIMEDOUT ? CONN_TIMEOUT : CONN_ERROR;
    }
    curl_socket_t s = CURL_SOCKET_BAD;
    curl_easy_getinfo(h, CURLINFO_ACTIVESOCKET, &s);
    if (s == CURL_SOCKET_BAD) {
        snprintf(c->errmsg, sizeof c->errmsg, "libcurl gave no socket");
        return CONN_ERROR;
    }
    c->fd = (int)s;
    describe_peer(c);
    int on = 1;
    c->kstamp = t->scheme == TARGET_HTTP &&
                setsockopt(c->fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on) == 0;
    if (t->scheme == TARGET_UNIX)
        snprintf(c->peer, sizeof c->peer, "unix:%s", t->unix_path);
    return CONN_OK;
}

conn_status conn_send(conn *c, const void *p, size_t n, int64_t deadline_ns, size_t *sent)
{
    *sent = 0;
    while (*sent < n) {
        size_t k = 0;
        CURLcode rc = curl_easy_send(c->curl, (const char *)p + *sent, n - *sent, &k);
        if (rc == CURLE_OK) {
            *sent += k;
            continue;
        }
        if (rc != CURLE_AGAIN) {
            snprintf(c->errmsg, sizeof c->errmsg, "send: %s", curl_easy_strerror(rc));
            return CONN_ERROR;
        }
        conn_status w = wait_fd(c->fd, POLLOUT, deadline_ns);
        if (w != CONN_OK)
            return w;
    }
    return CONN_OK;
}

/* The kernel's receive time of a segment (CLOCK_REALTIME) on the monotonic clock, kept between
 * the previous read's time and now (`now`, taken as the read returned). */
static int64_t kernel_time(const conn *c, const struct timespec *ts, int64_t now)
{
    struct timespec rt;
    clock_gettime(CLOCK_REALTIME, &rt);
    int64_t offset = ((int64_t)rt.tv_sec * 1000000000 + rt.tv_nsec) - now;
    int64_t when = (int64_t)ts->tv_sec * 1000000000 + ts->tv_nsec - offset;
    if (when > now)
        return now;
    return when < c->last_t_ns ? c->last_t_ns : when;
}

/* Plain TCP: one recvmsg on the socket, which libcurl's connect-only mode leaves to us, so the
 * kernel says when the bytes arrived (SO_TIMESTAMPNS) and a late wake-up of this thread does
 * not count as lateness of the server. Returns what curl_easy_recv would. */
static CURLcode recv_stamped(conn *c, char *p, size_t len, size_t *k, int64_t *t_ns)
{
    struct iovec iov = {.iov_base = p, .iov_len = len};
    union {
        char buf[CMSG_SPACE(sizeof(struct timespec))];
        struct cmsghdr align;
    } ctl;
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
                       .msg_controllen = sizeof ctl.buf};
    ssize_t r = recvmsg(c->fd, &m, MSG_DONTWAIT);
    *t_ns = clock_ns();
    if (r < 0)
        return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? CURLE_AGAIN
                                                                          : CURLE_RECV_ERROR;
    *k = (size_t)r;
    for (struct cmsghdr *h = CMSG_FIRSTHDR(&m); r > 0 && h; h = CMSG_NXTHDR(&m, h))
        if (h->cmsg_level == SOL_SOCKET && h->cmsg_type == SCM_TIMESTAMPNS) {
            struct timespec ts;
            memcpy(&ts, CMSG_DATA(h), sizeof ts);
            *t_ns = kernel_time(c, &ts, *t_ns);
        }
    return CURLE_OK;
}

/* One recv: through libcurl (TLS may hold decrypted bytes the socket does not show), or on
 * plain TCP straight from the socket with the kernel's receive time. */
static conn_status read_once(conn *c, int64_t *t_ns, size_t *n)
{
    char tmp[16384];
    size_t room = c->rx.max - c->rx.len;
    if (room == 0)
        return CONN_FULL;
    size_t k = 0, want = room < sizeof tmp ? room : sizeof tmp;
    CURLcode rc;
    if (c->kstamp) {
        rc = recv_stamped(c, tmp, want, &k, t_ns);
    } else {
        rc = curl_easy_recv(c->curl, tmp, want, &k);
        *t_ns = clock_ns();
    }
    if (rc == CURLE_AGAIN)
        return CONN_TIMEOUT; /* nothing yet; caller waits */
    if (rc != CURLE_OK) {
        if (c->kstamp)
            snprintf(c->errmsg, sizeof c->errmsg, "recv: %s", strerror(errno));
        else
            snprintf(c->errmsg, sizeof c->errmsg, "recv: %s", curl_easy_strerror(rc));
        return CONN_ERROR;
    }
    c->last_t_ns = *t_ns;
    if (k == 0) {
        c->eof = true;
        return CONN_EOF;
    }
    buf_append(&c->rx, tmp, k);
    *n = k;
    return CONN_OK;
}

conn_status conn_read(conn *c, int64_t deadline_ns, int64_t *t_ns, size_t *n)
{
    *n = 0;
    if (c->eof)
        return CONN_EOF;
    for (;;) {
        conn_status s = read_once(c, t_ns, n);
        if (s != CONN_TIMEOUT)
            return s;
        s = wait_fd(c->fd, POLLIN, deadline_ns);
        if (s != CONN_OK)
            return s;
    }
}

void conn_shutdown_write(conn *c)
{
    if (!c->tls && c->fd >= 0)
        shutdown(c->fd, SHUT_WR);
}

void conn_disconnect(conn *c)
{
    if (c->curl)
        curl_easy_cleanup(c->curl);
    c->curl = NULL;
    c->fd = -1;
}

void conn_close(conn *c)
{
    conn_disconnect(c);
    buf_free(&c->rx);
}

conn_status conn_sleep_until(int64_t deadline_ns)
{
    for (;;) {
        if (conn_interrupted())
            return CONN_INTR;
        int64_t left = deadline_ns - clock_ns();
        if (left <= 0)
            return CONN_OK;
        struct pollfd p = {.fd = interrupt_fd, .events = POLLIN};
        int ms = (int)((left + 999999) / 1000000);
        if (interrupt_fd >= 0)
            poll(&p, 1, ms);
        else
            poll(NULL, 0, ms);
    }
}
