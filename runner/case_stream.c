/* case_stream: turns a connection's bytes into messages, with arrival times, and applies the
 * checks that hold for every response of every case: the wire reader's findings (GEN-1, GEN-2,
 * GEN-3, GEN-5, GEN-6), one final response per request and no 1xx after it (GEN-4), and no 1xx
 * to an HTTP/1.0 request (V10-1). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "case_int.h"
#include "util.h"

/* ---- arrival times ------------------------------------------------------------------------- */

static void note_chunk(cconn *cc, int64_t t_ns)
{
    if (cc->nchunks == MAX_CHUNKS) { /* keep the newest end; the time of the last read wins */
        cc->chunks[cc->nchunks - 1] = (chunk_time){cc->c.rx.len, t_ns};
        return;
    }
    if (cc->nchunks == cc->chunks_cap) { /* by half again: 10,000 streams carry less slack */
        size_t more = cc->chunks_cap / 2 > 4 ? cc->chunks_cap / 2 : 4;
        cc->chunks = xrealloc(cc->chunks, (cc->chunks_cap + more) * sizeof *cc->chunks);
        cc->chunks_cap += more;
    }
    cc->chunks[cc->nchunks++] = (chunk_time){cc->c.rx.len, t_ns};
}

size_t stream_pending(const cconn *cc)
{
    size_t pos = cc->rd.switched ? cc->rd.raw_off : cc->rd.pos;
    return cc->c.rx.len > pos ? cc->c.rx.len - pos : 0;
}

bool stream_peek_final(runner *R, cconn *cc)
{
    for (size_t i = 0; i < cc->npeeked; i++)
        if (!cc->peeked[i].interim)
            return true;
    wire_msg *m = xmalloc(sizeof *m);
    bool final = false;
    size_t keep = cc->npeeked;
    cc->npeeked = 0; /* read past the queue, then put it back in front */
    while (!final && conn_is_open(&cc->c) && stream_next(R, cc, clock_ns(), m) == NEXT_MSG) {
        grow_array((void **)&cc->peeked, &cc->peek_cap, keep, sizeof *cc->peeked);
        cc->peeked[keep++] = *m;
        final = !m->interim;
    }
    cc->npeeked = keep;
    free(m);
    return final;
}

bool stream_take_final(cconn *cc, wire_msg *m)
{
    for (size_t i = 0; i < cc->npeeked; i++)
        if (!cc->peeked[i].interim) {
            *m = cc->peeked[i];
            cc->npeeked -= i + 1;
            memmove(cc->peeked, cc->peeked + i + 1, cc->npeeked * sizeof *cc->peeked);
            return true;
        }
    return false;
}

static void pop_offer(cconn *cc);

void stream_free(cconn *cc)
{
    while (cc->noffers)
        pop_offer(cc);
    free(cc->offers);
    cc->offers = NULL;
    free(cc->peeked);
    cc->peeked = NULL;
    conn_close(&cc->c);
    free(cc->chunks);
    cc->chunks = NULL;
}

/* ---- requests and the generic checks ------------------------------------------------------- */

void stream_note_request(cconn *cc, bool is_head, bool http10)
{
    wire_note_request(&cc->rd, is_head);
    if (cc->nv10 < 64) {
        if (http10)
            cc->v10_bits |= 1ULL << cc->nv10;
        cc->nv10++;
    }
    cc->outstanding++;
    if (cc->noffers < MAX_OFFERS) {
        if (cc->offers)
            cc->offers[cc->noffers] = NULL;
        cc->noffers++;
    }
    cc->in_head = true;
}

void stream_note_request_line(cconn *cc, const char *line, size_t n)
{
    if (!cc->in_head || !cc->noffers)
        return;
    if (n == 0) {
        cc->in_head = false;
        return;
    }
    if (n < 8 || !ascii_memeq_nocase(line, 8, "Upgrade:", 8))
        return;
    const char *v = line + 8, *end = line + n;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    if (!cc->offers) /* the first offer on this connection */
        cc->offers = xcalloc(MAX_OFFERS, sizeof *cc->offers);
    char **o = &cc->offers[cc->noffers - 1];
    char *joined = *o ? xasprintf("%s, %.*s", *o, (int)(end - v), v)
                      : xstrndup(v, (size_t)(end - v));
    free(*o);
    *o = joined;
}

/* The oldest outstanding request is answered: its offer leaves the queue. */
static void pop_offer(cconn *cc)
{
    if (!cc->noffers)
        return;
    cc->noffers--;
    if (!cc->offers)
        return;
    free(cc->offers[0]);
    memmove(cc->offers, cc->offers + 1, (size_t)cc->noffers * sizeof *cc->offers);
}

static bool oldest_is_http10(const cconn *cc)
{
    return cc->nv10 > 0 && (cc->v10_bits & 1);
}

static void pop_request(cconn *cc)
{
    cc->outstanding--;
    pop_offer(cc);
    if (cc->nv10 > 0) {
        cc->v10_bits >>= 1;
        cc->nv10--;
    }
}

/* Which requirement a reader finding breaks; NULL for h1xx's own limits. */
const char *stream_bad_require(wire_code code)
{
    switch (code) {
    case WIRE_F_CONTENT_AFTER_1XX:
        return "GEN-1";
    case WIRE_F_CL_IN_1XX:
    case WIRE_F_TE_IN_1XX:
        return "GEN-2";
    case WIRE_F_NO_SP_AFTER_CODE:
    case WIRE_F_BAD_STATUS_LINE:
    case WIRE_F_BAD_VERSION:
    case WIRE_F_STATUS_CODE:
        return "GEN-3";
    case WIRE_F_BARE_LF:
    case WIRE_F_BARE_CR:
    case WIRE_F_OBS_FOLD:
    case WIRE_F_WS_BEFORE_COLON:
    case WIRE_F_BAD_FIELD:
    case WIRE_F_CTL_IN_FIELD:
        return "GEN-5";
    case WIRE_F_BAD_CONTENT_LENGTH:
    case WIRE_F_BAD_CHUNK:
    case WIRE_F_CL_AND_TE:
    case WIRE_F_TRUNCATED:
        return "GEN-6";
    default:
        return NULL;
    }
}

static void report_findings(runner *R, cconn *cc, const wire_finding *f, size_t nf)
{
    for (size_t i = 0; i < nf; i++) {
        const char *req = stream_bad_require(f[i].code);
        runner_finding(R, cc->id, f[i].code, wire_code_name(f[i].code), req, f[i].offset,
                       "%s: %s (connection %d, byte %zu)", wire_code_name(f[i].code),
                       wire_code_reason(f[i].code), cc->id, f[i].offset);
        if (!req && f[i].code != WIRE_F_TOO_MANY_FIELDS)
            runner_end(R, VERDICT_ERROR, "h1xx limit reached: %s (raise it with an option)",
                       wire_code_reason(f[i].code));
        R->bad_code = f[i].code;
    }
}

static void record_msg(runner *R, cconn *cc, const wire_msg *m)
{
    msg_record *mr = result_msg(R->r);
    if (!mr)
        return; /* past the cap: still judged, not recorded */
    mr->conn = cc->id;
    mr->status = m->status;
    mr->interim = m->interim;
    mr->t_first_ns = runner_rel(R, stream_time_at(cc, m->start));
    mr->t_head_ns = runner_rel(R, stream_time_at(cc, m->head_end - 1));
    mr->t_end_ns = runner_rel(R, stream_time_at(cc, m->end ? m->end - 1 : m->head_end - 1));
    mr->head = result_bytes(R->r, cc->c.rx.data + m->start, m->head_end - m->start);
    mr->head_len = m->head_end - m->start;
    mr->body_len = m->body_len;
}

/* A 101 switches only to a protocol its request offered in Upgrade (UPG-2, RFC 9110 §7.8):
 * every protocol it names must be in the offer, and a request with no Upgrade gets no 101. */
static void offered_check(runner *R, cconn *cc, const wire_msg *m)
{
    const char *stream = cc->c.rx.data, *offer = cc->noffers && cc->offers ? cc->offers[0] : NULL;
    if (!offer) {
        runner_finding(R, cc->id, 0, "101-not-offered", "UPG-2", m->start,
                       "a 101 answered a request that offered no Upgrade (connection %d, byte %zu)",
                       cc->id, m->start);
        return;
    }
    const wire_field *f = NULL;
    while ((f = wire_find(m, stream, "Upgrade", f))) {
        const char *v = stream + f->value_off, *end = v + f->value_len, *t;
        size_t n;
        while ((t = list_next(&v, end, &n))) {
            char *tok = xstrndup(t, n);
            if (!list_has_token(offer, strlen(offer), tok))
                runner_finding(R, cc->id, 0, "101-not-offered", "UPG-2", m->start,
                               "the 101 switches to '%s', which its request did not offer "
                               "(Upgrade: %s) (connection %d, byte %zu)", tok, offer, cc->id,
                               m->start);
            free(tok);
        }
    }
}

/* A 101 names what it switches to (UPG-1); whoever sends Upgrade in a response also lists
 * "upgrade" in Connection (UPG-3). */
static void upgrade_checks(runner *R, cconn *cc, const wire_msg *m)
{
    const char *stream = cc->c.rx.data;
    bool has_upgrade = wire_find(m, stream, "Upgrade", NULL) != NULL;
    if (m->status == 101 && has_upgrade && !oldest_is_http10(cc))
        offered_check(R, cc, m);
    if (m->status == 101 && !has_upgrade)
        runner_finding(R, cc->id, 0, "101-without-upgrade", "UPG-1", m->start,
                       "the 101 response has no Upgrade field naming the protocol switched to "
                       "(connection %d, byte %zu)", cc->id, m->start);
    if (has_upgrade && !wire_has_token(m, stream, "Connection", "upgrade"))
        runner_finding(R, cc->id, 0, "upgrade-without-connection", "UPG-3", m->start,
                       "the %d response carries Upgrade but its Connection field does not list "
                       "\"upgrade\" (connection %d, byte %zu)", m->status, cc->id, m->start);
}

/* Whether a response ends the connection (RFC 9112 §9.3, §9.6): Connection: close, or a final
 * in HTTP/1.0 without keep-alive, or a body ended by the close. */
static void note_persistence(cconn *cc, const wire_msg *m)
{
    const char *stream = cc->c.rx.data;
    if (cc->said_close || m->status == 101)
        return;
    /* Connection: close counts even on a 1xx: some proxies take the first head they get as the
     * response and close after it */
    const char *why = wire_has_token(m, stream, "Connection", "close") ? "Connection: close"
                      : m->interim ? NULL
                      : m->minor == 0 && !wire_has_token(m, stream, "Connection", "keep-alive")
                          ? "an HTTP/1.0 response without keep-alive"
                      : m->eof_ended ? "a body ended by closing"
                                     : NULL;
    if (!why)
        return;
    cc->said_close = true;
    cc->close_why = why;
    cc->close_status = m->status;
}

/* One final response per request, no 1xx without a request waiting, no 1xx to HTTP/1.0. */
static void generic_checks(runner *R, cconn *cc, const wire_msg *m)
{
    if (m->interim && cc->outstanding <= 0) {
        runner_finding(R, cc->id, 0, "interim-after-final", "GEN-4", m->start,
                       "interim %d arrived after the final response, with no request waiting "
                       "(connection %d, byte %zu)", m->status, cc->id, m->start);
    } else if (m->interim && oldest_is_http10(cc)) {
        runner_finding(R, cc->id, 0, "interim-to-http10", "V10-1", m->start,
                       "interim %d sent in answer to an HTTP/1.0 request (connection %d, byte %zu)",
                       m->status, cc->id, m->start);
    } else if (!m->interim && cc->outstanding <= 0) {
        runner_finding(R, cc->id, 0, "extra-final", "GEN-4", m->start,
                       "final %d arrived with no request waiting: more responses than requests "
                       "(connection %d, byte %zu)", m->status, cc->id, m->start);
    }
    if (!m->interim) {
        pop_request(cc);
        cc->finals++;
    }
    note_persistence(cc, m);
    upgrade_checks(R, cc, m);
}

/* ---- reading ------------------------------------------------------------------------------- */

next_status stream_read(runner *R, cconn *cc, int64_t deadline_ns)
{
    int64_t t;
    size_t n;
    conn_status s = conn_read(&cc->c, deadline_ns, &t, &n);
    switch (s) {
    case CONN_OK:
        note_chunk(cc, t);
        result_tx(R->r, TX_RECV, cc->id, runner_rel(R, t), cc->c.rx.data + cc->c.rx.len - n, n);
        return NEXT_MSG;
    case CONN_EOF:
        cc->eof = true;
        result_tx(R->r, TX_EOF, cc->id, runner_rel(R, clock_ns()), NULL, 0);
        return NEXT_MSG;
    case CONN_ERROR:
        cc->eof = cc->reset = true;
        result_tx(R->r, TX_RESET, cc->id, runner_rel(R, clock_ns()), cc->c.errmsg,
                  strlen(cc->c.errmsg));
        return NEXT_MSG;
    case CONN_TIMEOUT:
        return NEXT_TIMEOUT;
    case CONN_INTR:
        return NEXT_INTR;
    case CONN_FULL:
        return NEXT_FULL;
    }
    return NEXT_TIMEOUT;
}

/* One event from the reader, its findings reported. A function of its own, so that the
 * findings array is not on the stack while the case waits (a waiting case's stack is kept). */
static __attribute__((noinline)) int next_event(runner *R, cconn *cc, wire_msg *m)
{
    wire_finding f[16];
    size_t nf = 0;
    int rc = wire_next(&cc->rd, cc->c.rx.data ? cc->c.rx.data : "", cc->c.rx.len, cc->eof, m,
                       f, 16, &nf);
    report_findings(R, cc, f, nf);
    if (rc == WIRE_MSG) {
        record_msg(R, cc, m);
        generic_checks(R, cc, m);
    }
    return rc;
}

/* Returns the next message on cc, reading until the deadline. NEXT_MSG fills *m. */
next_status stream_next(runner *R, cconn *cc, int64_t deadline_ns, wire_msg *m)
{
    if (cc->npeeked) {
        *m = cc->peeked[0];
        memmove(cc->peeked, cc->peeked + 1, --cc->npeeked * sizeof *cc->peeked);
        return NEXT_MSG;
    }
    for (;;) {
        int rc = next_event(R, cc, m);
        if (rc == WIRE_MSG)
            return NEXT_MSG;
        if (rc == WIRE_DONE)
            return NEXT_CLOSED;
        if (rc == WIRE_ERROR)
            return NEXT_BAD;
        if (rc == WIRE_RAW)
            return NEXT_RAW;
        if (cc->eof) /* the reader wants more but none will come */
            return NEXT_CLOSED;
        if (!conn_is_open(&cc->c))
            return NEXT_CLOSED;
        next_status s = stream_read(R, cc, deadline_ns);
        if (s != NEXT_MSG)
            return s;
    }
}

next_status stream_next_kept(runner *R, cconn *cc, int64_t deadline_ns, wire_msg **m)
{
    /* the worker thread's one whole message: the reader parses into it, and nothing in it
     * outlives this call (other cases on the thread use it while this one waits) */
    static _Thread_local wire_msg scratch;
    free(*m); /* not kept through the wait */
    *m = NULL;
    next_status s = stream_next(R, cc, deadline_ns, &scratch);
    if (s == NEXT_MSG)
        *m = wire_msg_keep(&scratch);
    return s;
}

/* After the last step: reads what is still arriving until `until`, so late bytes (a 1xx after
 * the final response, an extra response) are seen and checked. The bound also holds for bytes
 * already buffered: a flood of small responses is checked only until `until`. */
void stream_linger(runner *R, int64_t until_ns)
{
    for (int i = 0; i < R->nconns; i++) {
        cconn *cc = R->conns[i];
        wire_msg *m = NULL;
        while ((conn_is_open(&cc->c) || stream_pending(cc)) && clock_ns() < until_ns &&
               !conn_interrupted()) {
            next_status s = stream_next_kept(R, cc, until_ns, &m);
            if (s != NEXT_MSG)
                break;
        }
        free(m);
    }
}
