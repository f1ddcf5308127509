/* wire: the incremental HTTP/1.1 response reader.
 *
 * The reader never copies or allocates: the caller keeps the whole received stream of one
 * connection in one buffer (capped by the caller) and the reader walks it, remembering offsets.
 * Each call to wire_next() looks at stream[0, len) from where the previous call stopped and
 * returns at most one event. The contract follows picohttpparser:
 *
 *   WIRE_MSG        a whole message (head, and body if any) ended; *out describes it
 *   WIRE_NEED_MORE  nothing complete yet; call again when more bytes (or EOF) arrived
 *   WIRE_DONE       EOF at a message boundary: the stream ended cleanly
 *   WIRE_RAW        the stream switched protocols after a 101: bytes from wire_raw_offset() on
 *                   are not HTTP (returned again on every later call)
 *   WIRE_ERROR      the stream cannot be parsed further (the last finding says why and where)
 *
 * It does not give up on syntax a lenient client would accept: bare LF line ends, obs-fold,
 * whitespace before a colon, a missing SP after the status code, Content-Length or
 * Transfer-Encoding in a 1xx, and content after a 1xx head are reported as findings (stable
 * code + stream offset) and parsing goes on. wire_parse_head() is the head parser alone, usable
 * on any buffer: bytes consumed, -1 error, -2 need more.
 */
#ifndef H1XX_WIRE_H
#define H1XX_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Finding codes are stable: reports and users may rely on the numbers. Never renumber. */
typedef enum wire_code {
    WIRE_F_BARE_LF = 1,           /* a line of the head ends in LF without CR */
    WIRE_F_OBS_FOLD = 2,          /* a field line starts with SP/HTAB (obsolete line folding) */
    WIRE_F_WS_BEFORE_COLON = 3,   /* whitespace between field name and colon */
    WIRE_F_NO_SP_AFTER_CODE = 4,  /* status line "HTTP/1.1 100" + CRLF, SP missing */
    WIRE_F_CL_IN_1XX = 5,         /* Content-Length field in a 1xx */
    WIRE_F_TE_IN_1XX = 6,         /* Transfer-Encoding field in a 1xx */
    WIRE_F_CONTENT_AFTER_1XX = 7, /* bytes after a 1xx head that do not start a status line */
    WIRE_F_BAD_STATUS_LINE = 8,   /* not HTTP-version SP 3DIGIT ...; fatal for the stream */
    WIRE_F_BAD_VERSION = 9,       /* version is not HTTP/1.0 or HTTP/1.1 (e.g. HTTP/2, HTTP/1.2) */
    WIRE_F_BAD_FIELD = 10,        /* field line without colon, empty name, or bad name char */
    WIRE_F_HEAD_TOO_LARGE = 11,   /* head longer than limits.max_head; fatal */
    WIRE_F_TOO_MANY_FIELDS = 12,  /* more fields than limits.max_fields; extra ones not kept */
    WIRE_F_TOO_MANY_INTERIM = 13, /* more 1xx than limits.max_interim before a final; fatal */
    WIRE_F_BAD_CONTENT_LENGTH = 14, /* not digits, conflicting values, or overflow; fatal */
    WIRE_F_BAD_CHUNK = 15,        /* malformed chunk size line or missing CRLF after data; fatal */
    WIRE_F_CL_AND_TE = 16,        /* both Content-Length and Transfer-Encoding in a final */
    WIRE_F_CTL_IN_FIELD = 17,     /* NUL or other control byte (not HTAB) in a field value or reason */
    WIRE_F_TRUNCATED = 18,        /* EOF in the middle of a head or a framed body; fatal */
    WIRE_F_BARE_CR = 19,          /* CR not followed by LF inside the head */
    WIRE_F_STATUS_CODE = 20,      /* status code outside 100..599 (still parsed) */
} wire_code;

const char *wire_code_name(wire_code c);   /* "bare-lf", "obs-fold", ... (stable) */
const char *wire_code_reason(wire_code c); /* one line of prose for reports */

typedef struct wire_finding {
    wire_code code;
    size_t offset; /* stream offset of the offending byte */
} wire_finding;

typedef struct wire_limits {
    size_t max_head;    /* bytes in one message head; default 65536 */
    size_t max_fields;  /* fields kept per message (<= WIRE_MAX_FIELDS); default 100 */
    size_t max_interim; /* 1xx before a final response; default 1000 */
} wire_limits;

#define WIRE_MAX_FIELDS 100

typedef struct wire_field {
    uint32_t name_off, name_len;   /* stream offsets (streams are capped at 1 GiB) */
    uint32_t value_off, value_len; /* value without leading/trailing whitespace */
} wire_field;

typedef enum wire_framing {
    WIRE_BODY_NONE,    /* 1xx, 204, 304, response to HEAD, Content-Length: 0 */
    WIRE_BODY_LENGTH,  /* Content-Length */
    WIRE_BODY_CHUNKED, /* Transfer-Encoding ending in chunked */
    WIRE_BODY_CLOSE,   /* read until EOF */
} wire_framing;

typedef struct wire_msg {
    size_t start;      /* stream offset of the first byte of the status line */
    size_t head_end;   /* offset just past the empty line ending the head */
    size_t end;        /* offset just past the body (== head_end without body) */
    int minor;         /* 0 or 1 for HTTP/1.0, HTTP/1.1 (other versions: finding + best guess) */
    int status;        /* 100..999 */
    bool interim;      /* 100 <= status <= 199 */
    size_t reason_off, reason_len;
    size_t nfields;
    wire_framing framing;
    uint64_t body_len; /* payload bytes (chunked: decoded size) */
    bool eof_ended;    /* the body was ended by EOF (close-delimited) */
    wire_field fields[WIRE_MAX_FIELDS]; /* last: wire_msg_keep copies only the used ones */
} wire_msg;

typedef struct wire_reader {
    wire_limits lim;
    size_t pos;          /* next stream offset to look at */
    size_t ninterim;     /* 1xx seen since the last final response */
    size_t nmsgs;        /* messages returned so far */
    bool after_interim;  /* the previous message was a 1xx: the next bytes must be a status line */
    bool switched;       /* a 101 was returned; everything after it is raw */
    bool failed;         /* WIRE_ERROR was returned; it is returned again */
    size_t raw_off;      /* where raw bytes start once switched */
    /* Requests the caller sent, oldest first, for body rules: bit set = that request was HEAD.
     * Responses beyond the queue are taken as answering a non-HEAD request. */
    uint64_t head_bits;
    unsigned nreq;
    /* an incomplete head (private): how far it was searched for its end, and whether its
     * status line is already known good, so that it is not re-parsed before it can end */
    size_t hs_pos, hs_scan;
    bool hs_ok;
    /* in-progress body state (private). The message is parsed into the caller's *out, which
     * serves as scratch during a call; a body that spans calls keeps only the message without
     * its field table (held), and the fields are parsed again from the head when it ends, so
     * a reader costs a few hundred bytes, not a 100-slot table (10,000 streams at once). */
    int state;
    wire_msg *cur;
    bool reparse;
    unsigned char held[offsetof(wire_msg, fields)];
    uint64_t remaining;
    size_t scan;
    /* findings of the current wire_next() call (private): the caller's array, at most 16 */
    wire_finding *pending;
    size_t npending, pcap;
} wire_reader;

enum { WIRE_ERROR = -1, WIRE_NEED_MORE = -2, WIRE_DONE = 0, WIRE_MSG = 1, WIRE_RAW = 2 };

void wire_limits_default(wire_limits *lim);
void wire_init(wire_reader *r, const wire_limits *lim); /* lim NULL: defaults */

/* Tells the reader a request was sent; is_head selects HEAD's no-body rule for its response.
 * A 1xx does not consume a queued request; a final response does. */
void wire_note_request(wire_reader *r, bool is_head);

/* Looks for the next event in stream[0, len). eof: the peer closed (no more bytes will come).
 * Findings met on the way are appended to f (at most fcap; *nf is set to the count written).
 * *out (a whole wire_msg, not a wire_msg_keep copy) is the reader's scratch during the call:
 * it describes a message only when WIRE_MSG is returned, and need not be the same one from
 * call to call. */
int wire_next(wire_reader *r, const char *stream, size_t len, bool eof, wire_msg *out,
              wire_finding *f, size_t fcap, size_t *nf);

size_t wire_raw_offset(const wire_reader *r);

/* Parses one response head starting at buf[0] (buf is stream+base; base is added to every
 * offset stored in *m and in findings). Returns the head's length in bytes (through the empty
 * line), -2 when buf holds only a prefix of a head, -1 when it is not a response head.
 * Findings are appended to f[*nf..fcap). Fields beyond max_fields are counted in a
 * WIRE_F_TOO_MANY_FIELDS finding and not stored. */
long wire_parse_head(const char *buf, size_t len, size_t base, size_t max_fields, wire_msg *m,
                     wire_finding *f, size_t fcap, size_t *nf);

/* Field lookup helpers on a parsed message in its stream. */
/* A copy of m sized to its fields (malloc'd; free() it). Read it, never copy it by value: its
 * field table ends after the fields it has. */
wire_msg *wire_msg_keep(const wire_msg *m);
/* Copies m (a whole message or a wire_msg_keep copy) into the whole message *to. */
void wire_msg_copy(wire_msg *to, const wire_msg *m);
const wire_field *wire_find(const wire_msg *m, const char *stream, const char *name,
                            const wire_field *after);
bool wire_has_token(const wire_msg *m, const char *stream, const char *name, const char *token);

#endif
