/* conn: see conn.h. */
#include "conn.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "loop.h"

/* ---- targets ------------------------------------------------------------------------------- */

/* Room for an error message: allocated at a connection's first error, since 10,000
 * connections at once mostly have none. */
#define ERRMSG_MAX 512
static char no_error[1];

static char *err_buf(conn *c)
{
    if (!c->errmsg || c->errmsg == no_error)
        c->errmsg = xcalloc(1, ERRMSG_MAX);
    return c->errmsg;
}

#define PEER_MAX 128
static char no_peer[1];

static void set_peer(conn *c, const char *text)
{
    if (c->peer != no_peer)
        free(c->peer);
    c->peer = xstrdup(text);
}

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

/* ---- interruption (loop.c keeps the state) ------------------------------------------------- */

void conn_set_interrupt_fd(int fd)
{
    loop_set_interrupt_fd(fd);
}

bool conn_interrupted(void)
{
    return loop_interrupted();
}

/* Waits until fd is ready for writing (out) or reading, the deadline passes, or the run is
 * interrupted; inside a task the wait parks the task and the loop runs the others. */
static conn_status wait_fd(int fd, bool out, int64_t deadline_ns)
{
    loop_status s = loop_wait_fd(fd, out, deadline_ns);
    return s == LOOP_READY ? CONN_OK : s == LOOP_TIMEOUT ? CONN_TIMEOUT : CONN_INTR;
}

/* ---- plain TCP and unix sockets: connected here, without blocking ---------------------------- */

static void fmt_addr(const struct sockaddr *sa, char *out, size_t n)
{
    char ip[INET6_ADDRSTRLEN] = "?";
    int port = 0;
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
        inet_ntop(AF_INET6, &s6->sin6_addr, ip, sizeof ip);
        port = ntohs(s6->sin6_port);
        snprintf(out, n, "[%s]:%d", ip, port);
        return;
    }
    const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
    inet_ntop(AF_INET, &s4->sin_addr, ip, sizeof ip);
    port = ntohs(s4->sin_port);
    snprintf(out, n, "%s:%d", ip, port);
}

/* "address:port from local-address:port": the local end names this connection in the server's
 * own logs (make bench pairs them). */
static void describe_socket(conn *c)
{
    struct sockaddr_storage peer, self;
    socklen_t pl = sizeof peer, sl = sizeof self;
    if (getpeername(c->fd, (struct sockaddr *)&peer, &pl) != 0)
        return;
    char a[80], b[80] = "", text[PEER_MAX];
    fmt_addr((struct sockaddr *)&peer, a, sizeof a);
    if (getsockname(c->fd, (struct sockaddr *)&self, &sl) == 0)
        fmt_addr((struct sockaddr *)&self, b, sizeof b);
    snprintf(text, sizeof text, b[0] ? "%s from %s" : "%s", a, b);
    set_peer(c, text);
}

/* Name resolution may block (DNS): it runs on a helper thread (loop_blocking), its arguments
 * on the heap. Numeric addresses, the usual case, are resolved right here. */
typedef struct resolve_job {
    char *host, port[16];
    struct addrinfo *ai;
    int rc;
} resolve_job;

static void resolve_run(void *arg)
{
    resolve_job *j = arg;
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    j->rc = getaddrinfo(j->host, j->port, &hints, &j->ai);
}

static int resolve(const target *t, struct addrinfo **out)
{
    char port[16];
    snprintf(port, sizeof port, "%d", t->port);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV};
    if (getaddrinfo(t->host, port, &hints, out) == 0)
        return 0;
    resolve_job *j = xcalloc(1, sizeof *j);
    j->host = xstrdup(t->host);
    memcpy(j->port, port, sizeof port);
    loop_blocking(resolve_run, j);
    int rc = j->rc;
    *out = rc == 0 ? j->ai : NULL;
    free(j->host);
    free(j);
    return rc;
}

/* One connect(2) without blocking: CONN_OK, or why not (*err for CONN_ERROR). */
static conn_status connect_one(conn *c, int family, const struct sockaddr *sa, socklen_t len,
                               int64_t deadline_ns, int *err)
{
    *err = 0;
    c->fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0) {
        *err = errno;
        return CONN_ERROR;
    }
    while (family == AF_UNIX) { /* done at once, or EAGAIN: the listener's backlog is full */
        if (connect(c->fd, sa, len) == 0)
            return CONN_OK;
        if (errno != EAGAIN) {
            *err = errno;
            return CONN_ERROR;
        }
        int64_t retry = clock_ns() + 10000000; /* a socket that is not connected polls ready */
        if (loop_sleep_until(retry < deadline_ns ? retry : deadline_ns) == LOOP_INTR)
            return CONN_INTR;
        if (clock_ns() >= deadline_ns)
            return CONN_TIMEOUT;
    }
    if (connect(c->fd, sa, len) == 0)
        return CONN_OK;
    if (errno != EINPROGRESS) {
        *err = errno;
        return CONN_ERROR;
    }
    conn_status w = wait_fd(c->fd, true, deadline_ns);
    if (w != CONN_OK)
        return w;
    socklen_t el = sizeof *err;
    if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, err, &el) != 0)
        *err = errno;
    return *err ? CONN_ERROR : CONN_OK;
}

static void drop_fd(conn *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
}

static conn_status open_unix(conn *c, const target *t, int64_t deadline_ns)
{
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    if (strlen(t->unix_path) >= sizeof sun.sun_path) {
        snprintf(err_buf(c), ERRMSG_MAX, "unix socket path too long: %.200s", t->unix_path);
        return CONN_ERROR;
    }
    memcpy(sun.sun_path, t->unix_path, strlen(t->unix_path) + 1);
    int err;
    conn_status s = connect_one(c, AF_UNIX, (struct sockaddr *)&sun, sizeof sun, deadline_ns, &err);
    if (s == CONN_ERROR && err == ENOENT)
        snprintf(err_buf(c), ERRMSG_MAX, "no unix socket at %.200s", t->unix_path);
    else if (s == CONN_ERROR)
        snprintf(err_buf(c), ERRMSG_MAX, "cannot connect to unix socket %.200s: %s",
                 t->unix_path, strerror(err));
    else if (s == CONN_TIMEOUT)
        snprintf(err_buf(c), ERRMSG_MAX, "Timeout was reached: connecting to unix socket "
                 "%.200s", t->unix_path);
    if (s != CONN_OK)
        drop_fd(c);
    else {
        char text[PEER_MAX];
        snprintf(text, sizeof text, "unix:%s", t->unix_path);
        set_peer(c, text);
    }
    return s;
}

static conn_status open_tcp(conn *c, const target *t, int64_t deadline_ns)
{
    int64_t t0 = clock_ns();
    struct addrinfo *ai = NULL;
    int rc = resolve(t, &ai);
    if (rc != 0) {
        snprintf(err_buf(c), ERRMSG_MAX, "Couldn't resolve host name: %.200s (%s)", t->host,
                 gai_strerror(rc));
        return loop_interrupted() ? CONN_INTR : CONN_ERROR;
    }
    size_t left = 0;
    for (struct addrinfo *a = ai; a; a = a->ai_next)
        left++;
    conn_status s = CONN_ERROR;
    int err = ECONNREFUSED;
    for (struct addrinfo *a = ai; a && s != CONN_OK && s != CONN_INTR; a = a->ai_next, left--) {
        /* each address its share of the time left, the last all of it (IPv6 and IPv4 both) */
        int64_t now = clock_ns(), share = left > 1 ? (deadline_ns - now) / (int64_t)left : 0;
        s = connect_one(c, a->ai_family, a->ai_addr, a->ai_addrlen,
                        left > 1 ? now + share : deadline_ns, &err);
        if (s != CONN_OK)
            drop_fd(c);
    }
    freeaddrinfo(ai);
    if (s == CONN_ERROR)
        snprintf(err_buf(c), ERRMSG_MAX, "Couldn't connect to server: Failed to connect to "
                 "%.100s port %d: %s", t->host, t->port, strerror(err));
    else if (s == CONN_TIMEOUT)
        snprintf(err_buf(c), ERRMSG_MAX, "Timeout was reached: Connection timed out after "
                 "%lld milliseconds", (long long)((clock_ns() - t0) / 1000000));
    else if (s == CONN_INTR)
        snprintf(err_buf(c), ERRMSG_MAX, "interrupted");
    if (s != CONN_OK)
        return s;
    int on = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    c->kstamp = setsockopt(c->fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on) == 0;
    describe_socket(c);
    return CONN_OK;
}

/* ---- TLS: libcurl's connect-only mode ------------------------------------------------------ */

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
    char text[PEER_MAX];
    int n = snprintf(text, sizeof text, strchr(ip, ':') ? "[%s]:%ld" : "%s:%ld", ip, port);
    char *lip = NULL;
    long lport = 0;
    curl_easy_getinfo(h, CURLINFO_LOCAL_IP, &lip);
    curl_easy_getinfo(h, CURLINFO_LOCAL_PORT, &lport);
    if (lip && *lip && n > 0 && (size_t)n < sizeof text)
        snprintf(text + n, sizeof text - (size_t)n,
                 strchr(lip, ':') ? " from [%s]:%ld" : " from %s:%ld", lip, lport);
    set_peer(c, text);
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
    char *url = xasprintf("https://%s%s%s:%d/", strchr(t->host, ':') ? "[" : "", t->host,
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
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, o->insecure ? 0L : 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, o->insecure ? 0L : 2L);
    if (o->cacert)
        curl_easy_setopt(h, CURLOPT_CAINFO, o->cacert);
    /* HTTP/1.1 is what we speak on the raw stream: offer nothing else in ALPN. */
    curl_easy_setopt(h, CURLOPT_SSL_ENABLE_ALPN, 0L);
}

/* Says why the connection could not be made; an untrusted certificate needs the options that
 * fix it named. */
static void open_error(conn *c, CURLcode rc, const char *detail)
{
    /* curl's detail names the cause (e.g. "wrong version number" for TLS to a plain port) */
    const char *what = curl_easy_strerror(rc);
    if (!detail[0] || strstr(detail, what))
        snprintf(err_buf(c), ERRMSG_MAX, "%.250s", detail[0] ? detail : what);
    else
        snprintf(err_buf(c), ERRMSG_MAX, "%s: %.200s", what, detail);
    if (rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CACERT_BADFILE) {
        size_t n = strlen(c->errmsg);
        snprintf(c->errmsg + n, ERRMSG_MAX - n,
                 " (the server's certificate is not trusted: give its CA with --cacert FILE, "
                 "or skip verification with --insecure)");
    }
}

/* The handshake blocks inside libcurl: it runs on a helper thread (loop_blocking). */
typedef struct tls_job {
    CURL *h;
    CURLcode rc;
    char detail[CURL_ERROR_SIZE];
} tls_job;

static void tls_run(void *arg)
{
    tls_job *j = arg;
    curl_easy_setopt(j->h, CURLOPT_ERRORBUFFER, j->detail);
    j->rc = curl_easy_perform(j->h);
    curl_easy_setopt(j->h, CURLOPT_ERRORBUFFER, NULL);
}

static conn_status open_tls(conn *c, const target *t, const conn_opts *o, int64_t deadline_ns)
{
    CURL *h = curl_easy_init();
    if (!h) {
        snprintf(err_buf(c), ERRMSG_MAX, "libcurl could not make a handle");
        return CONN_ERROR;
    }
    c->curl = h;
    set_options(h, t, o, deadline_ns);
    tls_job *j = xcalloc(1, sizeof *j);
    j->h = h;
    loop_blocking(tls_run, j);
    CURLcode rc = j->rc;
    conn_status s = CONN_OK;
    if (rc == CURLE_ABORTED_BY_CALLBACK || (rc != CURLE_OK && conn_interrupted())) {
        snprintf(err_buf(c), ERRMSG_MAX, "interrupted");
        s = CONN_INTR;
    } else if (rc != CURLE_OK) {
        open_error(c, rc, j->detail);
        s = rc == CURLE_OPERATION_TIMEDOUT ? CONN_TIMEOUT : CONN_ERROR;
    }
    free(j);
    if (s != CONN_OK)
        return s;
    curl_socket_t sock = CURL_SOCKET_BAD;
    curl_easy_getinfo(h, CURLINFO_ACTIVESOCKET, &sock);
    if (sock == CURL_SOCKET_BAD) {
        snprintf(err_buf(c), ERRMSG_MAX, "libcurl gave no socket");
        return CONN_ERROR;
    }
    c->fd = (int)sock;
    fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
    describe_peer(c);
    return CONN_OK;
}

/* ---- connections --------------------------------------------------------------------------- */

conn_status conn_open(conn *c, const target *t, const conn_opts *o, int64_t deadline_ns)
{
    memset(c, 0, sizeof *c);
    c->fd = -1;
    c->errmsg = no_error;
    c->peer = no_peer;
    buf_init(&c->rx, o->max_rx);
    if (conn_interrupted())
        return CONN_INTR;
    c->tls = t->scheme == TARGET_HTTPS;
    conn_status s = c->tls ? open_tls(c, t, o, deadline_ns)
                    : t->scheme == TARGET_UNIX ? open_unix(c, t, deadline_ns)
                                               : open_tcp(c, t, deadline_ns);
    c->connected = s == CONN_OK;
    return s;
}

bool conn_is_open(const conn *c)
{
    return c->connected;
}

/* One send: through libcurl under TLS, straight to the socket otherwise. */
static CURLcode send_once(conn *c, const char *p, size_t n, size_t *k)
{
    if (c->curl)
        return curl_easy_send(c->curl, p, n, k);
    ssize_t r = send(c->fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (r >= 0) {
        *k = (size_t)r;
        return CURLE_OK;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
        return CURLE_AGAIN;
    snprintf(err_buf(c), ERRMSG_MAX, "send: %s", strerror(errno));
    return CURLE_SEND_ERROR;
}

conn_status conn_send(conn *c, const void *p, size_t n, int64_t deadline_ns, size_t *sent)
{
    *sent = 0;
    if (!c->connected) {
        snprintf(err_buf(c), ERRMSG_MAX, "send: not connected");
        return CONN_ERROR;
    }
    loop_share();
    while (*sent < n) {
        size_t k = 0;
        CURLcode rc = send_once(c, (const char *)p + *sent, n - *sent, &k);
        if (rc == CURLE_OK) {
            *sent += k;
            continue;
        }
        if (rc != CURLE_AGAIN) {
            if (c->curl)
                snprintf(err_buf(c), ERRMSG_MAX, "send: %s", curl_easy_strerror(rc));
            return CONN_ERROR;
        }
        conn_status w = wait_fd(c->fd, true, deadline_ns);
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

/* Plain TCP and unix: one recvmsg on the socket; on TCP the kernel says when the bytes arrived
 * (SO_TIMESTAMPNS), so a late wake-up of this task does not count as lateness of the server.
 * Returns what curl_easy_recv would. */
static CURLcode recv_stamped(conn *c, char *p, size_t len, size_t *k, int64_t *t_ns)
{
    struct iovec iov = {.iov_base = p, .iov_len = len};
    union {
        char buf[CMSG_SPACE(sizeof(struct timespec))];
        struct cmsghdr align;
    } ctl;
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
                       .msg_controllen = c->kstamp ? sizeof ctl.buf : 0};
    ssize_t r = recvmsg(c->fd, &m, MSG_DONTWAIT);
    *t_ns = clock_ns();
    if (r < 0)
        return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? CURLE_AGAIN
                                                                          : CURLE_RECV_ERROR;
    *k = (size_t)r;
    for (struct cmsghdr *h = c->kstamp ? CMSG_FIRSTHDR(&m) : NULL; r > 0 && h;
         h = CMSG_NXTHDR(&m, h))
        if (h->cmsg_level == SOL_SOCKET && h->cmsg_type == SCM_TIMESTAMPNS) {
            struct timespec ts;
            memcpy(&ts, CMSG_DATA(h), sizeof ts);
            *t_ns = kernel_time(c, &ts, *t_ns);
        }
    return CURLE_OK;
}

/* One recv: through libcurl under TLS (it may hold decrypted bytes the socket does not show),
 * or straight from the socket. Never inlined: its 16 KiB buffer would sit in conn_read's frame,
 * which a case waiting for bytes keeps (coro.h copies a parked stack). */
static __attribute__((noinline)) conn_status read_once(conn *c, int64_t *t_ns, size_t *n)
{
    char tmp[16384];
    size_t room = c->rx.max - c->rx.len;
    if (room == 0)
        return CONN_FULL;
    size_t k = 0, want = room < sizeof tmp ? room : sizeof tmp;
    CURLcode rc;
    if (!c->curl) {
        rc = recv_stamped(c, tmp, want, &k, t_ns);
    } else {
        rc = curl_easy_recv(c->curl, tmp, want, &k);
        *t_ns = clock_ns();
    }
    if (rc == CURLE_AGAIN)
        return CONN_TIMEOUT; /* nothing yet; caller waits */
    if (rc != CURLE_OK) {
        if (!c->curl)
            snprintf(err_buf(c), ERRMSG_MAX, "recv: %s", strerror(errno));
        else
            snprintf(err_buf(c), ERRMSG_MAX, "recv: %s", curl_easy_strerror(rc));
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
    if (!c->connected) {
        snprintf(err_buf(c), ERRMSG_MAX, "recv: not connected");
        return CONN_ERROR;
    }
    loop_share();
    for (;;) {
        conn_status s = read_once(c, t_ns, n);
        if (s != CONN_TIMEOUT)
            return s;
        s = wait_fd(c->fd, false, deadline_ns);
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
        curl_easy_cleanup(c->curl); /* closes its socket */
    else if (c->fd >= 0)
        close(c->fd);
    c->curl = NULL;
    c->fd = -1;
    c->connected = false;
}

void conn_close(conn *c)
{
    conn_disconnect(c);
    buf_free(&c->rx);
    if (c->errmsg != no_error)
        free(c->errmsg);
    c->errmsg = no_error;
    if (c->peer != no_peer)
        free(c->peer);
    c->peer = no_peer;
}

conn_status conn_sleep_until(int64_t deadline_ns)
{
    return loop_sleep_until(deadline_ns) == LOOP_INTR ? CONN_INTR : CONN_OK;
}
