/* h2: one HTTP/2 client connection, as a recorder. libnghttp2 does the framing and HPACK; this
 * unit keeps, for every stream, the ordered list of what came and what went: HEADERS (every
 * field, :status, END_STREAM), DATA (length, END_STREAM), RST_STREAM (error code) and GOAWAY,
 * each with h1xx's own receive time.
 *
 * No I/O here (h2_io.h binds a session to a connection): the caller feeds received bytes with
 * the CLOCK_MONOTONIC time of the read that brought them (h2_feed), and takes the bytes to send
 * (h2_take_output). A received frame's time is that of the read holding its last byte; its
 * first time is that of the read that completed its 9-octet frame header. So tests can replay
 * canned server bytes with made-up times.
 *
 * Two ways to check responses (h2_opts.library_checks):
 *  - false (default): nghttp2's HTTP messaging rules are off (nghttp2_option_set_no_http_messaging),
 *    so every HEADERS is decoded and kept whole, even a malformed one; h1xx checks it against
 *    RFC 9113 itself (h2_check.c, findings below) and, when reset_malformed is set, answers a
 *    malformed response with RST_STREAM(PROTOCOL_ERROR), as RFC 9113 §8.1.1 asks of a client.
 *  - true: nghttp2 enforces its own rules, as in curl and most clients built on it; it resets
 *    what it rejects (that RST_STREAM is recorded as sent) and withholds the fields it refused;
 *    the received event says which library error it met (lib_error) and h2_note nghttp2's
 *    words. This shows what a common HTTP/2 client experiences; h1xx's own findings are left
 *    out for a frame nghttp2 refused (its fields were withheld).
 *
 * Every list a server can grow has a cap (h2_opts); what went beyond is counted, not kept. */
#ifndef H1XX_H2_H
#define H1XX_H2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

/* Finding codes are stable (bits of h2_event.findings). Never renumber. */
typedef enum h2_code {
    H2_F_1XX_END_STREAM = 1,      /* an interim (1xx) HEADERS carries END_STREAM (RFC 9113 §8.1) */
    H2_F_1XX_AFTER_FINAL = 2,     /* a 1xx HEADERS after the final HEADERS (§8.1) */
    H2_F_CONN_FIELD = 3,          /* Connection, Keep-Alive, Proxy-Connection, Transfer-Encoding,
                                   * Upgrade or TE in a response (§8.2.2) */
    H2_F_STATUS_101 = 4,          /* :status 101, which HTTP/2 removed (§8.6) */
    H2_F_BAD_STATUS = 5,          /* :status missing, repeated or not 3 digits (§8.3.2) */
    H2_F_UPPERCASE_NAME = 6,      /* a field name with an uppercase letter (§8.2.1) */
    H2_F_BAD_PSEUDO = 7,          /* a pseudo-header after a regular field, or one a response
                                   * must not carry (§8.3) */
    H2_F_TRAILERS_NO_END = 8,     /* HEADERS after the final without END_STREAM (§8.1) */
    H2_F_PSEUDO_IN_TRAILERS = 9,  /* a final-like HEADERS (a :status >= 200) after the final */
    H2_F_DATA_BEFORE_FINAL = 10,  /* DATA before the final HEADERS (§8.1) */
    H2_F_CODE_MAX = 10
} h2_code;

const char *h2_code_name(h2_code c);   /* "1xx-end-stream", ... (stable) */
const char *h2_code_reason(h2_code c); /* one line of prose for reports */

typedef enum h2_kind {
    H2_HEADERS = 1,
    H2_DATA = 2,
    H2_RST_STREAM = 3,
    H2_GOAWAY = 4,
} h2_kind;

typedef struct h2_field {
    char *name, *value; /* NUL-terminated copies (a field may hold NUL: use the lengths) */
    size_t name_len, value_len;
} h2_field;

typedef struct h2_event {
    h2_kind kind;
    bool sent;          /* h1xx sent it; otherwise it was received */
    int32_t stream_id;  /* 0 for GOAWAY in the connection's list */
    int64_t t_ns;       /* received: the read holding its last byte; sent: when serialized */
    int64_t t_first_ns; /* received: the read completing its frame header (== t_ns if sent) */
    uint8_t flags;      /* the frame's flags as they came (HEADERS: of the HEADERS frame) */
    bool end_stream;
    /* HEADERS */
    int status;         /* :status as a number; -1 when absent or not 3 digits */
    h2_field *fields;   /* in order, pseudo-headers included */
    size_t nfields;
    size_t fields_dropped; /* fields beyond the caps, counted only */
    /* DATA: payload bytes (padding excluded); RST_STREAM, GOAWAY: the error code */
    size_t length;
    uint32_t error_code;
    int32_t last_stream_id; /* GOAWAY */
    /* received only */
    uint32_t findings;  /* bit (1u << h2_code) per finding */
    int lib_error;      /* nghttp2 rejected the frame: its error code (nghttp2_strerror) */
    bool ignored;       /* nghttp2 dropped the frame without a word (e.g. on a closed stream) */
    struct h2_event *next;
} h2_event;

typedef struct h2_stream {
    int32_t id;
    h2_event *head, *tail; /* received and sent, in the order they happened */
    size_t nevents;
    size_t ninterim;       /* 1xx HEADERS received */
    int final_status;      /* the first non-1xx :status received; 0 before */
    bool remote_end;       /* END_STREAM received */
    bool local_end;        /* END_STREAM sent */
    bool reset;            /* RST_STREAM sent or received */
    bool goaway;           /* a GOAWAY came while the stream was open */
    bool malformed;        /* a finding marked a received frame as malformed */
    buf_t body;            /* DATA received, up to h2_opts.max_body */
    size_t body_len;       /* all DATA payload received (kept or not) */
    /* the request's content waiting to be sent (h2_send_data) */
    buf_t out;
    size_t out_off;
    bool out_end, out_deferred, has_provider;
} h2_stream;

typedef struct h2_opts {
    bool library_checks;  /* keep nghttp2's HTTP rules (see above); default false */
    bool reset_malformed; /* own checks: RST_STREAM(PROTOCOL_ERROR) a malformed response */
    size_t max_events;    /* per connection; default 4096 */
    size_t max_fields;    /* per HEADERS; default 256 */
    size_t max_field_bytes; /* names and values of one HEADERS; default 256 KiB */
    size_t max_body;      /* DATA kept per stream; default 1 MiB */
} h2_opts;

void h2_opts_default(h2_opts *o); /* the defaults above, reset_malformed true */

typedef struct h2 h2;

/* A client session (the connection preface and a SETTINGS frame are queued at once).
 * NULL when nghttp2 refuses (out of memory). h2_free releases it and everything it recorded. */
h2 *h2_new(const h2_opts *o);
void h2_free(h2 *s);

/* Received bytes, with the time of the read that brought them. Returns 0, or -1 once the
 * connection is broken (a connection error: h2_error says what; GOAWAY may be queued). */
int h2_feed(h2 *s, const void *p, size_t n, int64_t t_ns);
/* Appends every byte nghttp2 has to send to out; sent events are stamped t_ns. Returns the
 * count appended, or -1 on a fatal error. */
long h2_take_output(h2 *s, buf_t *out, int64_t t_ns);
/* Whether a connection error ended the session (h2_error says what). */
bool h2_broken(const h2 *s);
/* Whether the session still wants to read or has something to write. */
bool h2_want_read(const h2 *s);
bool h2_want_write(const h2 *s);

typedef struct h2_nv {
    const char *name, *value; /* NUL-terminated */
} h2_nv;

/* Queues a request's HEADERS (fields in order, pseudo-headers included; nghttp2 copies them
 * and lowercases the names).
 * end_stream: no content follows; otherwise content comes through h2_send_data. Returns the
 * stream id, or -1 (no more stream ids, or the session is broken). */
int32_t h2_request(h2 *s, const h2_nv *fields, size_t n, bool end_stream);
/* Queues content on a request stream; end_stream ends it. 0, or -1 (no such open stream). */
int h2_send_data(h2 *s, int32_t id, const void *p, size_t n, bool end_stream);
/* Queues RST_STREAM. 0, or -1. */
int h2_reset(h2 *s, int32_t id, uint32_t error_code);
/* Queues GOAWAY (NO_ERROR) after the streams in flight. */
void h2_goaway(h2 *s);
/* The peer closed the connection (why: for h2_error when nothing else was said). */
void h2_closed(h2 *s, const char *why);

/* The stream's record, or NULL when the id was never used. */
const h2_stream *h2_stream_get(const h2 *s, int32_t id);
/* Connection-level events (GOAWAY received and sent), in order. */
const h2_event *h2_conn_events(const h2 *s);
/* The first field named name (lowercase compare) in a HEADERS event, or NULL. */
const h2_field *h2_field_find(const h2_event *e, const char *name);
/* The final HEADERS received on a stream (the first with :status >= 200), or NULL. */
const h2_event *h2_final(const h2_stream *st);
/* Whether nothing more will come on the stream (END_STREAM, a reset, a GOAWAY that excluded it,
 * or a broken connection). */
bool h2_stream_done(const h2 *s, const h2_stream *st);
/* "" or what broke the connection ("the server answered 'HTTP/1.1 400 ...'", ...). */
const char *h2_error(const h2 *s);
/* "" or nghttp2's last message about a frame it refused (library_checks). */
const char *h2_note(const h2 *s);
/* Events not kept because of max_events. */
size_t h2_events_dropped(const h2 *s);
/* Up to 64 first bytes the server sent (to tell an HTTP/1.x answer from HTTP/2). */
const char *h2_first_bytes(const h2 *s, size_t *len);

/* Names for reports: "HEADERS", ...; an RFC 9113 error code's name ("PROTOCOL_ERROR"). */
const char *h2_kind_name(h2_kind k);
const char *h2_error_name(uint32_t code);

/* ---- checks (h2_check.c) ---------------------------------------------------------------- */

/* The findings of a received HEADERS event on st (st's state as before the event): a bit
 * per h2_code. */
uint32_t h2_check_headers(const h2_stream *st, const h2_event *e);
/* The findings of a received DATA event on st. */
uint32_t h2_check_data(const h2_stream *st, const h2_event *e);
/* Whether a field name is connection-specific in an HTTP/2 response (RFC 9113 §8.2.2). */
bool h2_conn_specific(const char *name, size_t len, const char *value, size_t vlen);

#endif
