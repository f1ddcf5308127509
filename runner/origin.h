/* origin: the embedded origin server of the proxy modes. The proxy under test forwards h1xx's
 * requests to it; every request target carries "/h1xx/TOKEN/", and TOKEN names the case that
 * scripts the answer. One dispatcher thread accepts connections and reads request heads; a
 * complete head is handed to the case waiting for its token, which then owns the connection
 * until it releases it (a proxy may reuse the connection for later requests). Reads are
 * timestamped on the same monotonic clock as the client side, so forwarding delays are exact. */
#ifndef H1XX_ORIGIN_H
#define H1XX_ORIGIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "srv_conn.h"
#include "util.h"
#include "wire.h"

typedef struct origin origin;

typedef struct origin_chunk {
    size_t end;
    int64_t t;
} origin_chunk;

typedef struct origin_conn {
    int fd;
    int id;          /* 101, 102, ... in transcripts */
    buf_t rx;        /* every byte received on this connection */
    size_t pos;      /* next byte not yet consumed by a request */
    bool eof;
    origin_chunk *chunks; /* arrival time of each read (private) */
    size_t nchunks, chunks_cap;
    /* the request head handed over (offsets in rx) */
    wire_msg req;    /* status unused; fields/start/head_end describe the request head */
    char method[16];
    char version[16]; /* "HTTP/1.1" */
    char *target;
    int64_t t_head;  /* when the head's last byte arrived */
    size_t body_start;
    srv_conn srv;    /* the connection policy for the exchange of this request (srv_conn.h) */
    bool closed_write; /* the server half-closed after a final that ends the connection */
    bool in_queue;
    struct origin_conn *next, *prev; /* prev: the dispatcher's idle list only */
} origin_conn;

/* Binds ADDR ("127.0.0.1:8081", "[::1]:0", "0" for an ephemeral loopback port) and starts the
 * dispatcher. Returns 0, or -1 with a message in err. */
int origin_start(origin **out, const char *addr, size_t max_rx, char *err, size_t errsz);
void origin_stop(origin *o);
/* "127.0.0.1:PORT" as bound (for Host and absolute-form targets). */
const char *origin_authority(const origin *o);

/* A case announces its token before sending, and withdraws it when done. */
void origin_register(origin *o, const char *token);
void origin_unregister(origin *o, const char *token);

/* Waits until a request for token has arrived, until the deadline, or until the run is
 * interrupted, or until *stop_check(arg) says the case has its answer otherwise. Returns 1 with
 * *out owned by the caller, 0 on timeout, -1 when interrupted, 2 when stop_check fired. */
int origin_wait(origin *o, const char *token, int64_t deadline_ns, origin_conn **out,
                bool (*stop_check)(void *), void *arg);
/* Gives a connection back: reusable (the request was read whole) goes back to the dispatcher
 * for the proxy's next request; otherwise, or when the policy ended it, it is closed. */
void origin_release(origin *o, origin_conn *c, bool reusable);

/* Reads more bytes into c->rx until the deadline: 1 bytes, 0 timeout, -1 EOF or error,
 * -2 interrupted. *t_ns is the arrival time. */
int origin_read(origin_conn *c, int64_t deadline_ns, int64_t *t_ns, size_t *n);
/* Writes all bytes (bounded by the deadline); returns 0, or -1. */
int origin_write(origin_conn *c, const void *p, size_t n, int64_t deadline_ns);
/* Writes a case's scripted response bytes under the connection policy (srv_conn.h):
 * "Connection: close" added to a final that ends the connection, and once such a final is
 * complete, the write side shut (RFC 9112 §9.6: the server closes; it keeps reading, so the
 * case still sees what the peer sends). What went out is appended to sent. 0, or -1. */
int origin_send(origin_conn *c, const void *p, size_t n, int64_t deadline_ns, buf_t *sent);
/* When the byte at offset arrived. */
int64_t origin_time_at(const origin_conn *c, size_t offset);

/* Parses a request head at buf[0,len): returns its length, -2 incomplete, -1 not a request. */
long origin_parse_request(const char *buf, size_t len, size_t base, wire_msg *m, char *method,
                          size_t msz, char *version, size_t vsz, char **target);

#endif
