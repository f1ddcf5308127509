/* case_int: the case interpreter's shared state (private to case_*.c), in layers whose calls go
 * one way, down: case_verdict.c (verdicts, findings) at the floor; case_core.c (variables,
 * durations, deadlines, connections); case_stream.c (bytes into messages, the generic checks
 * that hold for every response: GEN-*, V10-1); case_expect.c (what steps send and expect, the
 * checks); the step modules (case_steps.c, case_curl.c, case_proxy.c); and case_run.c on top,
 * which plays the steps and decides the verdict. */
#ifndef H1XX_CASE_INT_H
#define H1XX_CASE_INT_H

#include "case.h"

#define MAX_CONNS 8
#define MAX_NAMED 4
#define MAX_CHUNKS 65536
#define MAX_OSENT 256
#define MAX_OFFERS 16

typedef struct chunk_time {
    size_t end;   /* rx offset just past this read */
    int64_t t_ns; /* absolute monotonic time of the read */
} chunk_time;

typedef struct cconn {
    conn c;
    int id;
    bool opened;
    bool eof;      /* peer closed or reset: no more bytes */
    bool reset;
    bool we_closed;
    wire_reader rd;
    chunk_time *chunks;
    size_t nchunks, chunks_cap;
    int outstanding;    /* requests sent that have no final response yet */
    int finals;         /* final responses read on this connection */
    size_t ws_pos;
    int64_t last_send_ns; /* when the last write on this connection finished */
    wire_msg *peeked;   /* messages read ahead (already recorded and checked), oldest first */
    size_t npeeked, peek_cap;      /* after a 101: offset of the next WebSocket frame in rx */
    bool said_close;    /* a final said the server will close (Connection: close, HTTP/1.0) */
    int close_status;   /* the response that said so */
    const char *close_why; /* what in it said so (static text) */
    uint64_t v10_bits;  /* FIFO of outstanding requests: bit set = HTTP/1.0 */
    /* FIFO of outstanding requests (at most MAX_OFFERS): the Upgrade each offered, or NULL;
     * the array itself is NULL until a request offers one (every entry NULL till then) */
    char **offers;
    int noffers;
    bool in_head;       /* the last request line sent has not had its empty line yet */
    int nv10;
} cconn;

typedef struct named_msg {
    const char *name;
    int conn;
    wire_msg m;
} named_msg;

/* What reading the next message produced. */
typedef enum next_status {
    NEXT_MSG, NEXT_CLOSED, NEXT_TIMEOUT, NEXT_BAD, NEXT_RAW, NEXT_INTR, NEXT_FULL,
} next_status;

typedef struct runner {
    const case_def *c;
    const run_ctx *ctx;
    case_result *r;
    int nconns;
    int cur; /* index of the current connection, -1 before the first */
    int64_t case_end_ns;
    wire_msg *last;     /* sized to its fields (wire_msg_keep) */
    int last_conn;
    bool have_last;
    int nnamed;
    bool stop;          /* no more steps */
    bool step_failed;   /* the verdict came from a step, not a generic check */
    char status_text[8]; /* ${status} of the last matched message */
    char after_text[40]; /* ${status_after}: "+5.0 ms" from the last write to that message */
    var locals[14];      /* variables the case run sets: status, ws_key, ws_accept, ... */
    size_t nlocals;
    char ws_key[25], ws_accept_s[29], ws_sample_accept[29];
    /* proxy modes: the case's token, its request base, and the embedded origin's side */
    char token[48];
    char *base;
    struct origin_conn *oc;  /* the origin connection the case owns now */
    bool oc_final_sent;      /* a final response was written on it */
    size_t o_ws_pos;         /* after a 101 on oc: the next client frame */
    wire_msg *oreq;          /* the last request the origin received, kept after release */
    char *oreq_stream;       /* its bytes (offsets in oreq point into this) */
    size_t nosent;
    const struct step *waiting; /* the origin accept step waiting now (for its stop check) */
    int o_nreq;              /* requests the origin received in this case */
    size_t o_sent_from;      /* osent index where the current exchange's writes begin */
    int64_t o_req_t;         /* when the last one's head arrived */
    char o_version[16];      /* and its HTTP version */
    wire_code bad_code; /* the fatal finding behind the last NEXT_BAD */
    int64_t head_t;     /* wire time of the failure behind the headline (case_verdict.c) */
    bool head_own;      /* it cites one of the case's own requirements */
    size_t wait_msg0;   /* the first result message the current wait read (for "got ...") */
    struct client_state *cl; /* client mode: the driver run of this case (case_client.c) */
    const struct step *last_request; /* the last send step that began a request */
    bool last_request_reused;        /* it went on a connection that had answered before */
    bool retried;                    /* runner_retry_request was used */
    /* Allocated as they are needed: a case in flight costs what it uses (10,000 at once). */
    cconn *conns[MAX_CONNS];
    named_msg *named; /* MAX_NAMED of them, from the first "as NAME" */
    /* statuses the origin wrote, with the write call's window [t0, t1]; MAX_OSENT of them */
    struct osent { int status; int64_t t0, t1; int conn; int seq, exch; char *head; bool failed; }
        *osent; /* failed: the write did not go through (the proxy had closed) */
    /* fates (case_fates.c): the origin's message count, and a step miss being observed past */
    int o_seq;
    bool o_switched;         /* the origin wrote a 101: what follows is not HTTP/1.1 */
    bool observing;          /* a step missed: origin steps go on, client steps are skipped */
    bool observed_all;       /* observing met the next request's accept: no more origin writes */
    char *miss_msg, *miss_req; /* the miss, put back when no fate explains it */
    verdict_t miss_verdict;
    int64_t miss_t;
    char *o_foreign;         /* another case's token seen in a request on this case's origin
                              * connection before its final was written, or NULL */
    int64_t o_foreign_t;
} runner;

/* ---- case_verdict.c (the floor): verdicts, findings, times ----------------------------------- */

/* level_verdict() gives the verdict for breaking a requirement in this mode's role (MUST: fail,
 * SHOULD and PRACTICE: warn, MAY/INFO: none, i.e. VERDICT_PASS). runner_fail dates the failure
 * now; runner_fail_at at t_abs, the wire time of its evidence (the message checked, the byte
 * found). */
verdict_t level_verdict(const runner *R, const char *require);
void runner_fail(runner *R, bool from_step, const char *require, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void runner_fail_at(runner *R, int64_t t_abs, bool from_step, const char *require,
                    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Raises the verdict to v with msg (malloc'd, taken) as runner_fail would, the message already
 * worded (a miss put back, case_fates.c). */
void runner_raise(runner *R, verdict_t v, int64_t t_abs, bool from_step, const char *require,
                  char *msg);
void runner_finding(runner *R, int conn, int code, const char *name, const char *require,
                    size_t offset, const char *fmt, ...) __attribute__((format(printf, 7, 8)));
void runner_end(runner *R, verdict_t v, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int64_t runner_rel(const runner *R, int64_t t_abs);
/* When the byte at `offset` of cc's stream arrived. */
int64_t stream_time_at(const cconn *cc, size_t offset);

/* ---- case_core.c: the core every step module uses -------------------------------------------- */

/* Names of the variables a case run sets itself (not user variables). */
bool runner_local_name(const char *name);
/* Bounds on one expansion: defaults may use other defaults, so a few lines of a case file could
 * otherwise ask for 40^8 copies of a value (or as many references to an empty one). */
#define EXPAND_MAX_BYTES (4 * 1024 * 1024)
#define EXPAND_MAX_REFS 10000
/* A template expanded with every variable; malloc'd. */
char *runner_expand(runner *R, const char *tmpl, size_t *len);
/* A duration template (or the fallback template) in ns; ends the case on a bad value. */
int64_t runner_duration(runner *R, const char *tmpl, const char *fallback);
/* A wanted absolute deadline bounded by the case's and the run's. */
int64_t runner_bounded(const runner *R, int64_t want_abs);
/* After a timed-out wait: true (case ended) when the case or run deadline cut it short. */
bool runner_cut(runner *R, int64_t want_abs);
/* Opens the case's next connection (NULL, and the case ended, when that fails). */
cconn *runner_open_conn(runner *R);
/* The current connection, opened on first use (NULL and the case ended when that fails). */
cconn *runner_current(runner *R);
const char *runner_require(const runner *R, const char *req);
/* Whether status is in the set (an empty set holds every status). */
bool codes_match(const code_set *cs, int status);
/* Whether one of the step's alternatives is of kind k. */
bool step_names(const step *st, alt_kind k);
/* "interim 100 or final within 3.000s" */
char *runner_describe(runner *R, const step *st, int64_t ns);

/* ---- case_stream.c: bytes into messages, and the generic checks ------------------------------ */

next_status stream_next(runner *R, cconn *cc, int64_t deadline_ns, wire_msg *m);
/* The same, for a wait that may last: *m (NULL or a copy from an earlier call) is freed first,
 * and on NEXT_MSG set to a copy sized to its fields (else NULL), so a waiting case holds no
 * 100-slot table. */
next_status stream_next_kept(runner *R, cconn *cc, int64_t deadline_ns, wire_msg **m);
void stream_note_request(cconn *cc, bool is_head, bool http10);
/* A head line sent after a request line (the empty line ends the head): Upgrade is noted. */
void stream_note_request_line(cconn *cc, const char *line, size_t n);
/* One read into cc->rx (recorded in the transcript); NEXT_MSG means "bytes or EOF arrived". */
next_status stream_read(runner *R, cconn *cc, int64_t deadline_ns);
void stream_linger(runner *R, int64_t until_ns);
/* Reads what has already arrived, without waiting, keeping messages for later steps. Returns
 * true when a final response is among them. */
bool stream_peek_final(runner *R, cconn *cc);
/* Drops the first final among the read-ahead messages (and what came before it) into *m. */
bool stream_take_final(cconn *cc, wire_msg *m);
size_t stream_pending(const cconn *cc);
void stream_free(cconn *cc);
/* The requirement a fatal reader finding breaks, or NULL for h1xx's own limits. */
const char *stream_bad_require(wire_code code);

/* ---- case_expect.c: what steps send and expect ----------------------------------------------- */

/* "METHOD SP target SP HTTP/d.d": a request line (HEAD and HTTP/1.0 noted). */
bool runner_request_line(const char *s, size_t n, bool *is_head, bool *http10);
/* Builds the bytes of a send step: templates expanded, CRLF added to '>'/'<' lines; with cc,
 * request lines are counted on cc and -H headers added after them. */
void runner_build(runner *R, const step *st, buf_t *out, cconn *cc);
/* The frame a ws-send step writes (its text expanded; masked on the client's side). */
void step_ws_frame(runner *R, const step *st, buf_t *frame, bool masked);
/* Judges what a wait for a message produced (see expect); true when the step is over. */
bool runner_outcome(runner *R, const step *st, cconn *cc, next_status s, const wire_msg *m,
                    const char *desc, int64_t want);
void runner_remember(runner *R, const step *st, const wire_msg *m, int conn_id);
/* A send step ('>' lines): a request goes on a connection the server has not closed. */
void step_send(runner *R, const step *st);
/* Sends the last request again on a new connection (once per case, idempotent requests only)
 * when the server closed the reused connection it went on without answering. */
bool runner_retry_request(runner *R);
/* Marks the start of a wait on cc, so that a failed wait can say what arrived during it. */
void runner_wait_begin(runner *R, const cconn *cc);
/* Runs the step's "on" actions for the alternative that matched. */
void run_actions_for(runner *R, const step *st, alt_kind k);
/* Runs a header check (a check step, or an action's). */
void runner_check(runner *R, const check *ck);
/* "; at the origin: ..." what the embedded origin saw during the case (proxy modes), or "". */
char *proxy_side(runner *R);
/* Proxy modes: whether a client message read at t_abs came before the origin's latest write
 * began (so it cannot be that write, forwarded). */
bool proxy_predates_origin(const runner *R, int64_t t_abs);
/* The request the origin holds now, for checks (NULL without one). */
const wire_msg *proxy_request(const runner *R, const char **stream);

/* ---- the step modules: calls go down only (case_steps.c may use case_proxy.c) ---------------- */

/* case_proxy.c: the embedded origin's side of a proxy case. */
void proxy_case_start(runner *R);
void proxy_case_end(runner *R);
void step_origin_send(runner *R, const step *st);
void step_origin_accept(runner *R, const step *st);
void step_origin_read(runner *R, const step *st);
void step_origin_close(runner *R);
void step_origin_quiet(runner *R, const step *st); /* case_steps.c */
void origin_ws_send(runner *R, const step *st);
void origin_ws_expect(runner *R, const step *st);
/* Forwarding metrics (fwd-count, fwd-dropped, fwd-median, fwd-max) and per-message notes. */
void proxy_forwarding(runner *R);
/* At the case's end: the samples alone (case_result.fwd), when the case bounds a forwarding
 * metric but ended before proxy_forwarding ran. */
void proxy_forwarding_samples(runner *R);

/* case_fates.c: the fate of every origin message (fates.h, docs/fates.md). */
void fates_case_start(runner *R);
/* Whether the origin marks its messages with the trace field (a case opts out with
 * "default trace off"). */
bool fates_trace_on(runner *R);
/* After a step of a proxy case: a miss (a failed expectation, accept or read) is set aside and
 * the case observes on; snap is the verdict state from before the step. */
typedef struct fates_snap { verdict_t v; char *msg, *req; int64_t head_t; bool head_own, step_failed; } fates_snap;
void fates_snap_take(const runner *R, fates_snap *s);
void fates_after_step(runner *R, const step *st, fates_snap *s);
/* In observing mode, whether a step still runs (the origin's side, pauses as reads). */
bool fates_step_runs(runner *R, const step *st);
/* At the case's end: read on until every final the origin wrote arrived, a close, or the bound;
 * classify, record (case_result.fates), grade; put back a miss no fate explains. */
void fates_case_end(runner *R);
void fates_case_free(runner *R);
/* Both sides' transcript lines in time order on the one clock (stable: a line keeps its place
 * among lines of the same time). */
void fates_sort_transcript(runner *R);

/* case_steps.c: WebSocket frames, interim series, bounds; case_curl.c: libcurl uploads. */
void step_ws_send(runner *R, const step *st);
void step_ws_expect(runner *R, const step *st);
void step_collect(runner *R, const step *st);
void step_bound(runner *R, const step *st);
void step_curl(runner *R, const step *st);

/* case_client.c: client mode (the driver, what it printed, the content it sent). */
void client_step(runner *R, const step *st);
/* Before each scripted write ('<') in client mode: when the client has given up (its driver
 * exited, or it closed the connection), records how many interim responses had been written
 * on its connection by then (the tolerance a failure states). */
void client_before_send(runner *R);
void client_case_end(runner *R);
/* origin read in client mode (R->cl set): the whole content, with the driver's state on failure */
void client_origin_read(runner *R, const step *st);

#endif
