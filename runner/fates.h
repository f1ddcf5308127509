/* fates: what became of each message the embedded origin wrote in a proxy case (docs/fates.md).
 *
 * The origin marks every 1xx and final it writes with an end-to-end field, "H1xx-Trace:
 * TOKEN.SEQ" (the case's token, the message's number in the case), so the client side can tell
 * which case's exchange a message belongs to even when a proxy hands it to the wrong client.
 * fates_classify pairs what the origin wrote with what the client read (by the trace, or by
 * order where a proxy strips the field) and gives each a fate (result.h, fate_kind). It is pure:
 * no I/O, no clock; the interpreter (case_fates.c) feeds it and grades the fates.
 *
 * A process-wide registry maps tokens to case ids, so a case can name the case whose message it
 * got; fates_link then marks, after the run, each writer case whose message another case's
 * client got. */
#ifndef H1XX_FATES_H
#define H1XX_FATES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "result.h"
#include "util.h"

#define FATES_TRACE_FIELD "H1xx-Trace"
#define FATES_TOKEN_MAX 48

/* One message the origin wrote. */
typedef struct fate_write {
    int seq;          /* 1, 2, ... in the case */
    int status;
    int exchange;     /* which request of the case it answers (1, 2, ...) */
    int oconn;
    int64_t t0;       /* start of the write (run-relative ns) */
    const char *head; /* its head as written (may be NULL) */
    size_t head_len;
    bool failed;      /* the write did not go through (the proxy had closed the connection) */
} fate_write;

/* One message the client read. */
typedef struct fate_read {
    int status;
    bool interim;
    int cconn;
    int64_t t;        /* when its head was complete (run-relative ns) */
    const char *head;
    size_t head_len;
} fate_read;

typedef struct fate_input {
    const char *token;       /* the case's own token */
    const fate_write *w;
    size_t nw;
    const fate_read *r;
    size_t nr;
    int64_t fwd_max_ns;      /* > 0: a 1xx slower than this is late (the case bounds delay) */
    const bool *conn_closed; /* by client connection id (index), whether it ended unanswered */
    size_t nconn_closed;
} fate_input;

/* One fate, before the interpreter turns it into a result (fate_record). */
typedef struct fate_out {
    fate_kind kind;
    int seq, status, got_status, oconn, cconn, exchange;
    int64_t t_write, t_read;         /* -1: none */
    int read_index;                  /* index in the input's reads, -1: none */
    bool reordered;                  /* reached the client before an earlier message */
    bool after_1xx;                  /* a final written after a 1xx of its exchange that reached
                                      * the client, and that can no longer come */
    bool unsettled;                  /* a 1xx not read by the end, with nothing of its exchange
                                      * after it read and the connection still open: late past
                                      * the case's bound, or dropped; h1xx cannot tell */
    char other_token[FATES_TOKEN_MAX]; /* FROM_OTHER: the writer's token */
    int other_seq;
    char detail[200];
} fate_out;

/* Classifies every write and every read no write explains. out holds in->nw + in->nr entries;
 * returns how many were filled (writes first, in order, then the unexplained reads). */
size_t fates_classify(const fate_input *in, fate_out *out);

/* Reads the trace field of a message head: true with the token and the sequence number. */
bool fates_trace_parse(const char *head, size_t len, char *token, size_t tsz, int *seq);

/* Copies p[0, n) to out, with "H1xx-Trace: TOKEN.SEQ" added after the status line of every
 * message that starts in it (at 0 or after an empty line) and whose status line ends with CRLF
 * within p; *seq counts them (the first gets *seq + 1). Returns how many were marked. */
int fates_trace_insert(const char *p, size_t n, const char *token, int *seq, buf_t *out);

/* "added Via; removed X-Foo" for the field names of a client head against the origin's (the
 * trace field left out), or "" when the same names came. */
void fates_field_diff(const char *wrote, size_t wlen, const char *got, size_t glen, char *out,
                      size_t outsz);

/* ---- the run-wide registry ---------------------------------------------------------------- */

/* A case's token and id (the id string must outlive the run: the case definition's). */
void fates_register(const char *token, const char *case_id);
/* The case id a token names, or NULL. */
const char *fates_case_of(const char *token);
/* The embedded origin closed a connection at t (run-relative ns); the latest such time. */
void fates_origin_closed(int64_t t);
int64_t fates_last_origin_close(void);
/* After the run: every FROM_OTHER fate of one case marks the writer's record (the case with that
 * id whose token matches) as TO_OTHER naming the reader, and fails the writer citing
 * FATES_CROSS_REQ. Returns how many writer records changed. */
size_t fates_link(run_result *r);
/* Frees the registry (at exit; tests). */
void fates_reset(void);

#define FATES_LATE_REQ "FWD-1"
#define FATES_FINAL_REQ "FWD-2"
#define FATES_CROSS_REQ "FWD-3"

#endif
