/* conn: one client connection to the target. Plain TCP and unix sockets are connected here
 * without blocking (names resolved by getaddrinfo, IPv6 and IPv4 tried in turn); TLS goes
 * through libcurl's connect-only mode (certificate checks; we keep raw send/recv). Every call
 * that waits parks the calling task on its event loop (loop.h), or blocks outside one. Every
 * call that waits takes an absolute deadline on the monotonic clock, and every wait also
 * wakes when the run is interrupted (see conn_set_interrupt_fd). Received bytes are appended to
 * c->rx, which is capped; each read is timestamped with the kernel's receive time of its last
 * segment on plain TCP (SO_TIMESTAMPNS), and as soon as recv returns under TLS and on unix
 * sockets. */
#ifndef H1XX_CONN_H
#define H1XX_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

typedef enum target_scheme { TARGET_HTTP, TARGET_HTTPS, TARGET_UNIX } target_scheme;

typedef struct target {
    char *url;       /* as given */
    target_scheme scheme;
    char *host;      /* without brackets; "localhost" for unix targets */
    int port;
    char *path;      /* request path, at least "/" */
    char *authority; /* Host header value: host[:port], IPv6 in brackets */
    char *unix_path; /* unix: socket path */
} target;

/* Parses http://host[:port][/path], https://..., unix:/socket/path[:/request/path].
 * Returns 0, or -1 with a message in err. target_free() releases the strings. */
int target_parse(const char *url, target *t, char *err, size_t errsz);
void target_free(target *t);

typedef struct conn_opts {
    bool insecure;      /* do not verify the server certificate */
    const char *cacert; /* CA bundle file, or NULL for the system's */
    size_t max_rx;      /* cap on bytes kept per connection */
} conn_opts;

typedef enum conn_status {
    CONN_OK = 0,      /* bytes moved */
    CONN_TIMEOUT = 1, /* the deadline passed */
    CONN_EOF = 2,     /* the peer closed */
    CONN_ERROR = 3,   /* reset or other error; c->errmsg says which */
    CONN_INTR = 4,    /* the run was interrupted */
    CONN_FULL = 5,    /* c->rx reached its cap */
} conn_status;

typedef struct conn {
    void *curl; /* CURL *, TLS only */
    int fd;
    bool connected;
    bool tls;
    bool eof;
    bool kstamp;       /* plain TCP: reads are stamped with the kernel's receive time */
    int64_t last_t_ns; /* time of the last read (stamps never go back) */
    buf_t rx;
    char *errmsg;   /* "" until an error says what (allocated then, freed by conn_close) */
    char *peer;     /* "address:port from local-address:port" ("" till known; conn_close frees) */
} conn;

/* Process-wide: the read end of a pipe that becomes readable when the run is interrupted. */
void conn_set_interrupt_fd(int fd);
bool conn_interrupted(void);

/* Opens a connection. Returns CONN_OK, or CONN_ERROR/CONN_TIMEOUT/CONN_INTR with c->errmsg
 * set; conn_close() must be called either way. */
conn_status conn_open(conn *c, const target *t, const conn_opts *o, int64_t deadline_ns);
/* Sends all n bytes unless the deadline passes or the connection fails (*sent says how many). */
conn_status conn_send(conn *c, const void *p, size_t n, int64_t deadline_ns, size_t *sent);
/* Waits for bytes until the deadline and appends what is there to c->rx, in one read. On
 * CONN_OK *t_ns is when the read returned and *n how many bytes it appended. */
conn_status conn_read(conn *c, int64_t deadline_ns, int64_t *t_ns, size_t *n);
/* Whether the connection is open (conn_open succeeded and conn_disconnect was not called). */
bool conn_is_open(const conn *c);
/* Half-closes the write side (plain TCP and unix only; a no-op under TLS). */
void conn_shutdown_write(conn *c);
/* Releases the socket but keeps c->rx (checks may still read received bytes). */
void conn_disconnect(conn *c);
/* Releases everything, c->rx included. */
void conn_close(conn *c);
/* Sleeps until the deadline; returns CONN_INTR early when the run is interrupted. */
conn_status conn_sleep_until(int64_t deadline_ns);

#endif
