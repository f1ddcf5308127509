/* srv_conn: the connection policy of h1xx's own server side (the embedded origin of the proxy
 * modes and the server of client mode), written once. h1xx judges others by RFC 9112 §9.3 and
 * §9.6, so its own servers keep them:
 *   - after answering a request with "Connection: close", or an HTTP/1.0 request without
 *     keep-alive, the server closes the connection (§9.6 MUST, §9.3);
 *   - a final response after which the server closes says so: "Connection: close" (§9.6
 *     SHOULD); one the script already marked close makes the server close after it (§9.6 MUST);
 *   - an HTTP/1.0 request never gets a 1xx (RFC 9110 §15.2) or chunked coding (RFC 9112 §6.1).
 * The scripted bytes a case writes pass through srv_conn_out(), which follows the response
 * stream across writes (status lines, heads, bodies by their framing) so that it knows where
 * the final response's head ends and when its body is complete. No I/O, no allocation beyond
 * the caller's output buffer. */
#ifndef H1XX_SRV_CONN_H
#define H1XX_SRV_CONN_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

typedef enum srv_state {
    SRV_HEAD,    /* at a message start, or inside a head */
    SRV_BODY,    /* inside the final response's body (framed by length or chunked) */
    SRV_TO_CLOSE, /* the final's body runs until the server closes */
    SRV_DONE,    /* the final response is complete */
    SRV_TUNNEL,  /* after a 101: the bytes are another protocol's */
} srv_state;

typedef struct srv_conn {
    bool http10;        /* the request was HTTP/1.0 */
    bool head_request;  /* HEAD: the final has no body */
    bool req_close;     /* the request ends the connection (close, or 1.0 without keep-alive) */
    bool resp_close;    /* the final response said Connection: close */
    bool added_close;   /* srv_conn_out added "Connection: close" to the final's head */
    bool closing;       /* the server closes once the final response is complete */
    srv_state state;
    int status;         /* of the head being read (0 before its status line ends) */
    char line[256];     /* the head line being read (a prefix when longer) */
    size_t line_len;
    bool line_cr;       /* the last byte was CR */
    bool chunked, has_length, conn_close;
    unsigned long long left; /* body bytes still to come (length), or 1 while chunked */
    unsigned tail;      /* chunked: how much of "0\r\n\r\n" was seen last (0..5) */
} srv_conn;

/* Starts a new exchange: the request's method and version, and whether its Connection field
 * lists "close" or "keep-alive". */
void srv_conn_begin(srv_conn *s, const char *method, const char *version, bool conn_close,
                    bool conn_keep_alive);

/* Whether the request itself ends the connection (RFC 9112 §9.6, §9.3). */
bool srv_conn_request_closes(const char *version, bool conn_close, bool conn_keep_alive);

/* What h1xx's server may not send in answer to an HTTP/1.0 request, found in p[0,n): "a 1xx
 * response (RFC 9110 §15.2)" or "Transfer-Encoding (RFC 9112 §6.1)"; NULL when none, or when
 * the request was HTTP/1.1. */
const char *srv_conn_forbidden(const srv_conn *s, const char *p, size_t n);

/* Appends to out the bytes to write for the scripted bytes p[0,n): the same bytes, with
 * "Connection: close" added right after the final response's status line when the request
 * ended the connection and the head (as far as p shows it) does not already say close.
 * Updates the stream state. */
void srv_conn_out(srv_conn *s, const char *p, size_t n, buf_t *out);

/* Whether the final response has been written whole (its body complete by its framing; a body
 * that runs to the close counts as complete once written) and the server must now close. */
bool srv_conn_must_close(const srv_conn *s);

/* Whether the final response has been written whole. */
bool srv_conn_final_done(const srv_conn *s);

#endif
