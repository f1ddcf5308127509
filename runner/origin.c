/* origin: see origin.h. The dispatcher thread owns listening, accepting and reading heads on
 * idle connections (an epoll set, so thousands of proxy connections cost nothing to watch); a case thread owns a connection from the moment origin_wait() hands it over
 * until origin_release(). Slots (token -> queue of handed-over connections) and the release
 * list are shared under one mutex. */
#include "origin.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/epoll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conn.h"
#include "loop.h"


typedef struct slot {
    char token[64];
    origin_conn *head, *tail;
    task *waiter; /* the case's task while it waits in origin_wait (under mu) */
    struct slot *next;
} slot;

struct origin {
    int lfd;
    int wake[2];
    int ep; /* the dispatcher's epoll set: listener, wake pipe, idle connections */
    pthread_t thread;
    bool stop;
    pthread_mutex_t mu;
    slot *slots;
    origin_conn *idle;     /* dispatcher's own */
    origin_conn *released; /* handed back by cases, under mu */
    char authority[96];
    size_t max_rx;
    int next_id;
};

/* ---- connections --------------------------------------------------------------------------- */

static void conn_free(origin_conn *c)
{
    if (c->fd >= 0)
        close(c->fd);
    buf_free(&c->rx);
    free(c->chunks);
    free(c->target);
    free(c);
}

static void note_read(origin_conn *c, int64_t t)
{
    if (c->nchunks >= 65536) { /* keep the newest end; the last read's time wins */
        c->chunks[c->nchunks - 1] = (origin_chunk){c->rx.len, t};
        return;
    }
    grow_array((void **)&c->chunks, &c->chunks_cap, c->nchunks, sizeof *c->chunks);
    c->chunks[c->nchunks++] = (origin_chunk){c->rx.len, t};
}

int64_t origin_time_at(const origin_conn *c, size_t offset)
{
    for (size_t i = 0; i < c->nchunks; i++)
        if (c->chunks[i].end > offset)
            return c->chunks[i].t;
    return c->nchunks ? c->chunks[c->nchunks - 1].t : 0;
}

/* One non-blocking read: 1 bytes, 0 nothing now, -1 EOF or error. Never inlined: its buffer
 * would sit in origin_read's frame, which a parked case keeps (coro.h). */
static __attribute__((noinline)) int read_now(origin_conn *c, int64_t *t_ns, size_t *n)
{
    char tmp[16384];
    size_t room = c->rx.max - c->rx.len;
    if (room == 0)
        return -1;
    ssize_t k = recv(c->fd, tmp, room < sizeof tmp ? room : sizeof tmp, 0);
    *t_ns = clock_ns();
    if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return 0;
    if (k <= 0) {
        c->eof = true;
        return -1;
    }
    buf_append(&c->rx, tmp, (size_t)k);
    note_read(c, *t_ns);
    *n = (size_t)k;
    return 1;
}

int origin_read(origin_conn *c, int64_t deadline_ns, int64_t *t_ns, size_t *n)
{
    *n = 0;
    loop_share();
    for (;;) {
        if (c->eof)
            return -1;
        int r = read_now(c, t_ns, n);
        if (r != 0)
            return r;
        loop_status w = loop_wait_fd(c->fd, false, deadline_ns);
        if (w == LOOP_INTR)
            return -2;
        if (w == LOOP_TIMEOUT)
            return 0;
    }
}

int origin_write(origin_conn *c, const void *p, size_t n, int64_t deadline_ns)
{
    size_t done = 0;
    while (done < n) {
        ssize_t k = send(c->fd, (const char *)p + done, n - done, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (k > 0) {
            done += (size_t)k;
            continue;
        }
        if (k < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            return -1;
        if (loop_wait_fd(c->fd, true, deadline_ns) != LOOP_READY)
            return -1;
    }
    return 0;
}

int origin_send(origin_conn *c, const void *p, size_t n, int64_t deadline_ns, buf_t *sent)
{
    size_t from = sent->len;
    srv_conn_out(&c->srv, p, n, sent);
    if (origin_write(c, sent->data + from, sent->len - from, deadline_ns) != 0)
        return -1;
    if (srv_conn_must_close(&c->srv) && !c->closed_write) {
        shutdown(c->fd, SHUT_WR);
        c->closed_write = true;
    }
    return 0;
}

/* ---- request heads ------------------------------------------------------------------------- */

static const char *find_head_end(const char *buf, size_t len, size_t *hlen)
{
    for (size_t i = 0; i + 1 < len; i++) {
        if (buf[i] == '\n' && buf[i + 1] == '\n') {
            *hlen = i + 2;
            return buf + i;
        }
        if (i + 3 < len && memcmp(buf + i, "\r\n\r\n", 4) == 0) {
            *hlen = i + 4;
            return buf + i;
        }
    }
    return NULL;
}

static void add_field(wire_msg *m, const char *buf, size_t base, size_t ls, size_t le)
{
    const char *colon = memchr(buf + ls, ':', le - ls);
    if (!colon || m->nfields == WIRE_MAX_FIELDS)
        return;
    size_t name_end = (size_t)(colon - buf), v = name_end + 1;
    while (v < le && (buf[v] == ' ' || buf[v] == '\t'))
        v++;
    size_t ve = le;
    while (ve > v && (buf[ve - 1] == ' ' || buf[ve - 1] == '\t'))
        ve--;
    m->fields[m->nfields++] =
        (wire_field){base + ls, name_end - ls, base + v, ve - v};
}

long origin_parse_request(const char *buf, size_t len, size_t base, wire_msg *m, char *method,
                          size_t msz, char *version, size_t vsz, char **rtarget)
{
    size_t hlen = 0;
    if (!find_head_end(buf, len, &hlen))
        return len > 65536 ? -1 : -2;
    memset(m, 0, sizeof *m);
    size_t l1 = 0;
    while (l1 < hlen && buf[l1] != '\r' && buf[l1] != '\n')
        l1++;
    const char *sp1 = memchr(buf, ' ', l1);
    const char *sp2 = sp1 ? memchr(sp1 + 1, ' ', (size_t)(buf + l1 - sp1 - 1)) : NULL;
    if (!sp1 || !sp2 || (size_t)(sp1 - buf) >= msz || (size_t)(buf + l1 - sp2 - 1) >= vsz)
        return -1;
    snprintf(method, msz, "%.*s", (int)(sp1 - buf), buf);
    snprintf(version, vsz, "%.*s", (int)(buf + l1 - sp2 - 1), sp2 + 1);
    *rtarget = xstrndup(sp1 + 1, (size_t)(sp2 - sp1 - 1));
    size_t ls = l1;
    while (ls < hlen) {
        while (ls < hlen && (buf[ls] == '\r' || buf[ls] == '\n'))
            ls++;
        size_t le = ls;
        while (le < hlen && buf[le] != '\r' && buf[le] != '\n')
            le++;
        if (le > ls)
            add_field(m, buf, base, ls, le);
        ls = le;
    }
    m->start = base;
    m->head_end = base + hlen;
    m->end = m->head_end;
    return (long)hlen;
}

/* TOKEN from ".../h1xx/TOKEN/..." or ".../h1xx/TOKEN". */
static bool target_token(const char *tgt, char *tok, size_t sz)
{
    const char *p = strstr(tgt, "/h1xx/");
    if (!p)
        return false;
    p += 6;
    size_t n = strcspn(p, "/?# ");
    if (n == 0 || n >= sz)
        return false;
    memcpy(tok, p, n);
    tok[n] = '\0';
    return true;
}

/* ---- the dispatcher ------------------------------------------------------------------------ */

static slot *find_slot(origin *o, const char *token)
{
    for (slot *s = o->slots; s; s = s->next)
        if (strcmp(s->token, token) == 0)
            return s;
    return NULL;
}

/* Idle connections: on the dispatcher's list (for origin_stop) and in its epoll set. */
static void idle_add(origin *o, origin_conn *c)
{
    c->prev = NULL;
    c->next = o->idle;
    if (o->idle)
        o->idle->prev = c;
    o->idle = c;
    struct epoll_event e = {.events = EPOLLIN, .data.ptr = c};
    epoll_ctl(o->ep, EPOLL_CTL_ADD, c->fd, &e);
}

/* Off the list, and out of the epoll set: a case's task waits on it in its own loop now. */
static void idle_remove(origin *o, origin_conn *c)
{
    epoll_ctl(o->ep, EPOLL_CTL_DEL, c->fd, NULL);
    if (c->prev)
        c->prev->next = c->next;
    else
        o->idle = c->next;
    if (c->next)
        c->next->prev = c->prev;
    c->next = c->prev = NULL;
}

/* A head is complete on an idle connection: hand it to its case, or answer 404. Returns true
 * when the connection left the idle list. */
static bool dispatch_head(origin *o, origin_conn *c)
{
    char *tgt = NULL;
    long h = origin_parse_request(c->rx.data + c->pos, c->rx.len - c->pos, c->pos, &c->req,
                                  c->method, sizeof c->method, c->version, sizeof c->version,
                                  &tgt);
    if (h == -2)
        return false;
    if (h < 0) {
        free(tgt);
        idle_remove(o, c);
        conn_free(c);
        return true;
    }
    free(c->target);
    c->target = tgt;
    c->t_head = origin_time_at(c, c->pos + (size_t)h - 1);
    c->body_start = c->pos + (size_t)h;
    bool cclose = wire_has_token(&c->req, c->rx.data, "Connection", "close");
    srv_conn_begin(&c->srv, c->method, c->version, cclose,
                   wire_has_token(&c->req, c->rx.data, "Connection", "keep-alive"));
    char tok[64];
    pthread_mutex_lock(&o->mu);
    slot *s = target_token(tgt, tok, sizeof tok) ? find_slot(o, tok) : NULL;
    if (s) {
        idle_remove(o, c);
        if (s->tail)
            s->tail->next = c;
        else
            s->head = c;
        s->tail = c;
        if (s->waiter)
            loop_wake(s->waiter);
    }
    pthread_mutex_unlock(&o->mu);
    if (s)
        return true;
    /* Not a case's request (a proxy's health check, or a case already over). */
    static const char nf[] = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";
    static const char nfc[] = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n"
                              "Connection: close\r\n\r\n";
    c->pos = c->body_start;
    bool closes = c->srv.req_close; /* RFC 9112 §9.6: say so, then close */
    origin_write(c, closes ? nfc : nf, closes ? sizeof nfc - 1 : sizeof nf - 1,
                 clock_ns() + 1000000000);
    if (closes) {
        idle_remove(o, c);
        conn_free(c);
        return true;
    }
    return false;
}

static bool accept_one(origin *o)
{
    int fd = accept4(o->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0)
        return false;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    origin_conn *c = xcalloc(1, sizeof *c);
    c->fd = fd;
    buf_init(&c->rx, o->max_rx);
    pthread_mutex_lock(&o->mu);
    c->id = o->next_id++;
    pthread_mutex_unlock(&o->mu);
    idle_add(o, c);
    return true;
}

static void take_released(origin *o)
{
    pthread_mutex_lock(&o->mu);
    origin_conn *r = o->released;
    o->released = NULL;
    pthread_mutex_unlock(&o->mu);
    while (r) {
        origin_conn *next = r->next;
        idle_add(o, r);
        if (r->pos < r->rx.len) /* a pipelined request may already be here */
            dispatch_head(o, r);
        r = next;
    }
}

static void read_idle(origin *o, origin_conn *c)
{
    int64_t t;
    size_t n;
    int r = read_now(c, &t, &n);
    if (r < 0) {
        idle_remove(o, c);
        conn_free(c);
    } else if (r > 0) {
        dispatch_head(o, c);
    }
}

static void *dispatcher(void *arg)
{
    origin *o = arg;
    struct epoll_event ev[256];
    while (!o->stop) {
        take_released(o);
        int n = epoll_wait(o->ep, ev, 256, 100);
        for (int i = 0; i < n; i++) {
            void *p = ev[i].data.ptr;
            if (p == &o->wake) {
                char drain[64];
                while (read(o->wake[0], drain, sizeof drain) > 0)
                    ;
            } else if (p == &o->lfd) {
                for (int k = 0; k < 256 && accept_one(o); k++) /* a burst of connections */
                    ;
            } else {
                read_idle(o, p);
            }
        }
    }
    return NULL;
}

/* ---- the API ------------------------------------------------------------------------------- */

static int bind_listener(origin *o, const char *addr, char *err, size_t errsz)
{
    char host[80] = "127.0.0.1", port[16] = "0";
    const char *colon = strrchr(addr, ':');
    if (strcmp(addr, "0") == 0) {
        /* an ephemeral loopback port */
    } else if (addr[0] == '[') {
        const char *close = strchr(addr, ']');
        if (!close || close[1] != ':' || (size_t)(close - addr - 1) >= sizeof host) {
            snprintf(err, errsz, "bad --origin-listen '%s' (e.g. 127.0.0.1:8081, [::1]:8081)", addr);
            return -1;
        }
        snprintf(host, sizeof host, "%.*s", (int)(close - addr - 1), addr + 1);
        snprintf(port, sizeof port, "%s", close + 2);
    } else if (colon && (size_t)(colon - addr) < sizeof host) {
        snprintf(host, sizeof host, "%.*s", (int)(colon - addr), addr);
        snprintf(port, sizeof port, "%s", colon + 1);
    } else {
        snprintf(err, errsz, "bad --origin-listen '%s' (e.g. 127.0.0.1:8081, [::1]:8081)", addr);
        return -1;
    }
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV};
    struct addrinfo *ai = NULL;
    if (getaddrinfo(host, port, &hints, &ai) != 0 || !ai) {
        snprintf(err, errsz, "bad --origin-listen '%s': need a numeric address and port", addr);
        return -1;
    }
    o->lfd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(o->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    int rc = (o->lfd < 0 || bind(o->lfd, ai->ai_addr, ai->ai_addrlen) != 0 ||
              listen(o->lfd, 4096) != 0) ? -1 : 0; /* the kernel caps it (somaxconn) */
    if (rc)
        snprintf(err, errsz, "embedded origin cannot listen on %s: %s", addr, strerror(errno));
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    char ip[64] = "";
    if (rc == 0 && getsockname(o->lfd, (struct sockaddr *)&ss, &sl) == 0) {
        int p = ss.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port)
                                         : ntohs(((struct sockaddr_in *)&ss)->sin_port);
        bool v6 = ss.ss_family == AF_INET6;
        inet_ntop(ss.ss_family, v6 ? (void *)&((struct sockaddr_in6 *)&ss)->sin6_addr
                                   : (void *)&((struct sockaddr_in *)&ss)->sin_addr,
                  ip, sizeof ip);
        snprintf(o->authority, sizeof o->authority, v6 ? "[%s]:%d" : "%s:%d", ip, p);
    }
    freeaddrinfo(ai);
    return rc;
}

int origin_start(origin **out, const char *addr, size_t max_rx, char *err, size_t errsz)
{
    origin *o = xcalloc(1, sizeof *o);
    o->lfd = -1;
    o->max_rx = max_rx;
    o->next_id = 101;
    pthread_mutex_init(&o->mu, NULL);
    o->ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event lev = {.events = EPOLLIN, .data.ptr = &o->lfd};
    struct epoll_event wev = {.events = EPOLLIN, .data.ptr = &o->wake};
    if (o->ep < 0 || pipe2(o->wake, O_NONBLOCK | O_CLOEXEC) != 0 ||
        bind_listener(o, addr, err, errsz) ||
        epoll_ctl(o->ep, EPOLL_CTL_ADD, o->lfd, &lev) != 0 ||
        epoll_ctl(o->ep, EPOLL_CTL_ADD, o->wake[0], &wev) != 0 ||
        pthread_create(&o->thread, NULL, dispatcher, o) != 0) {
        if (!*err)
            snprintf(err, errsz, "embedded origin could not start");
        if (o->lfd >= 0)
            close(o->lfd);
        if (o->ep >= 0)
            close(o->ep);
        free(o);
        return -1;
    }
    *out = o;
    return 0;
}

void origin_stop(origin *o)
{
    if (!o)
        return;
    o->stop = true;
    ssize_t w = write(o->wake[1], "x", 1);
    (void)w;
    pthread_join(o->thread, NULL);
    take_released(o);
    while (o->idle) {
        origin_conn *c = o->idle;
        o->idle = c->next;
        conn_free(c);
    }
    while (o->slots) {
        slot *s = o->slots;
        o->slots = s->next;
        while (s->head) {
            origin_conn *c = s->head;
            s->head = c->next;
            conn_free(c);
        }
        free(s);
    }
    close(o->lfd);
    close(o->ep);
    close(o->wake[0]);
    close(o->wake[1]);
    pthread_mutex_destroy(&o->mu);
    free(o);
}

const char *origin_authority(const origin *o)
{
    return o->authority;
}

void origin_register(origin *o, const char *token)
{
    slot *s = xcalloc(1, sizeof *s);
    snprintf(s->token, sizeof s->token, "%s", token);
    pthread_mutex_lock(&o->mu);
    s->next = o->slots;
    o->slots = s;
    pthread_mutex_unlock(&o->mu);
}

void origin_unregister(origin *o, const char *token)
{
    pthread_mutex_lock(&o->mu);
    for (slot **p = &o->slots; *p; p = &(*p)->next)
        if (strcmp((*p)->token, token) == 0) {
            slot *s = *p;
            *p = s->next;
            while (s->head) { /* requests nobody took: close them */
                origin_conn *c = s->head;
                s->head = c->next;
                conn_free(c);
            }
            free(s);
            break;
        }
    pthread_mutex_unlock(&o->mu);
}

int origin_wait(origin *o, const char *token, int64_t deadline_ns, origin_conn **out,
                bool (*stop_check)(void *), void *arg)
{
    for (;;) {
        pthread_mutex_lock(&o->mu);
        slot *s = find_slot(o, token);
        origin_conn *c = s ? s->head : NULL;
        if (c) {
            s->head = c->next;
            if (!s->head)
                s->tail = NULL;
            c->next = NULL;
        }
        if (s)
            s->waiter = c ? NULL : loop_self();
        pthread_mutex_unlock(&o->mu);
        if (c) {
            *out = c;
            return 1;
        }
        /* the dispatcher wakes the task when the request comes; the stop check needs a look
         * now and then (the client side may have its answer first) */
        int64_t until = clock_ns() + 20000000;
        loop_status w = loop_wait_wake(until < deadline_ns ? until : deadline_ns);
        pthread_mutex_lock(&o->mu);
        if ((s = find_slot(o, token)))
            s->waiter = NULL;
        pthread_mutex_unlock(&o->mu);
        if (w == LOOP_INTR || conn_interrupted())
            return -1;
        if (w == LOOP_READY)
            continue;
        if (stop_check && stop_check(arg))
            return 2;
        if (clock_ns() >= deadline_ns)
            return 0;
    }
}

void origin_release(origin *o, origin_conn *c, bool reusable)
{
    if (!c)
        return;
    if (!reusable || c->eof || c->fd < 0 || c->closed_write) {
        conn_free(c);
        return;
    }
    pthread_mutex_lock(&o->mu);
    c->next = o->released;
    o->released = c;
    pthread_mutex_unlock(&o->mu);
    ssize_t w = write(o->wake[1], "x", 1);
    (void)w;
}
