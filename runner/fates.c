/* fates: pairing what the origin wrote with what the client read (see fates.h). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fates.h"

/* ---- the trace field ----------------------------------------------------------------------- */

static bool is_token_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '_';
}

bool fates_trace_parse(const char *head, size_t len, char *token, size_t tsz, int *seq)
{
    static const char name[] = FATES_TRACE_FIELD ":";
    const size_t nl = sizeof name - 1;
    for (size_t i = 0; i + nl < len; i++) {
        if ((i && head[i - 1] != '\n') || !ascii_memeq_nocase(head + i, nl, name, nl))
            continue;
        size_t j = i + nl, k = 0;
        while (j < len && (head[j] == ' ' || head[j] == '\t'))
            j++;
        while (j < len && is_token_char(head[j]) && k + 1 < tsz)
            token[k++] = head[j++];
        token[k] = '\0';
        if (!k || j >= len || head[j] != '.')
            return false;
        long n = 0;
        for (j++; j < len && head[j] >= '0' && head[j] <= '9' && n < 1000000; j++)
            n = n * 10 + (head[j] - '0');
        *seq = (int)n;
        return n > 0;
    }
    return false;
}

/* Whether p[i] starts a status line the trace may follow: at a message start, "HTTP/1.x NNN". */
static bool status_at(const char *p, size_t n, size_t i)
{
    bool at_start = i == 0 || (i >= 4 && memcmp(p + i - 4, "\r\n\r\n", 4) == 0);
    return at_start && i + 12 <= n && memcmp(p + i, "HTTP/1.", 7) == 0 && p[i + 8] == ' ' &&
           p[i + 9] >= '1' && p[i + 9] <= '5';
}

int fates_trace_insert(const char *p, size_t n, const char *token, int *seq, buf_t *out)
{
    int marked = 0;
    size_t from = 0;
    for (size_t i = 0; i < n; i++) {
        if (!status_at(p, n, i))
            continue;
        const char *eol = memchr(p + i, '\n', n - i);
        size_t end = eol ? (size_t)(eol - p) + 1 : 0;
        if (!eol || eol == p + i || eol[-1] != '\r')
            continue; /* split or bare LF: left as written (the fates fall back to order) */
        buf_append(out, p + from, end - from);
        buf_printf(out, FATES_TRACE_FIELD ": %s.%d\r\n", token, ++*seq);
        marked++;
        from = end;
        if (memcmp(p + i + 9, "101", 3) == 0)
            break; /* after a 101 the bytes are another protocol's: left as written */
        i = end - 1;
    }
    buf_append(out, p + from, n - from);
    return marked;
}

/* ---- field names ----------------------------------------------------------------------------- */

/* The next field name in a head from *pos (past the status line): its length, 0 at the end. */
static size_t next_name(const char *h, size_t len, size_t *pos, const char **name)
{
    while (*pos < len) {
        const char *nl = memchr(h + *pos, '\n', len - *pos);
        size_t start = *pos, end = nl ? (size_t)(nl - h) : len;
        *pos = nl ? end + 1 : len;
        const char *colon = memchr(h + start, ':', end - start);
        if (start == 0 || !colon || colon == h + start)
            continue; /* the status line, the empty line, or no field */
        *name = h + start;
        return (size_t)(colon - (h + start));
    }
    return 0;
}

static bool has_name(const char *h, size_t len, const char *name, size_t nlen)
{
    size_t pos = 0, k;
    const char *f;
    while ((k = next_name(h, len, &pos, &f)))
        if (ascii_memeq_nocase(f, k, name, nlen))
            return true;
    return false;
}

static void list_missing(const char *a, size_t alen, const char *b, size_t blen, const char *what,
                         buf_t *out)
{
    size_t pos = 0, k;
    const char *f;
    bool first = true;
    while ((k = next_name(a, alen, &pos, &f))) {
        if (ascii_memeq_nocase(f, k, FATES_TRACE_FIELD, sizeof FATES_TRACE_FIELD - 1) ||
            has_name(b, blen, f, k))
            continue;
        buf_printf(out, "%s%s%.*s", first ? (out->len ? "; " : "") : ", ", first ? what : "",
                   (int)k, f);
        first = false;
    }
}

void fates_field_diff(const char *wrote, size_t wlen, const char *got, size_t glen, char *out,
                      size_t outsz)
{
    buf_t b;
    buf_init(&b, 128);
    if (wrote && got) {
        list_missing(got, glen, wrote, wlen, "added ", &b);
        list_missing(wrote, wlen, got, glen, "removed ", &b);
    }
    snprintf(out, outsz, "%s", b.len ? b.data : "");
    buf_free(&b);
}

/* ---- classification ------------------------------------------------------------------------ */

static bool is_final_status(int status)
{
    return status >= 200 || status == 101; /* a 101 ends the exchange as HTTP/1.1 */
}

/* The read each traced write got: match[w] = read index or -1; traced[r] set for reads whose
 * trace names any case. */
static void pair_traced(const fate_input *in, int *match, int *seq_of, char (*tok)[FATES_TOKEN_MAX])
{
    for (size_t j = 0; j < in->nr; j++) {
        int seq = 0;
        tok[j][0] = '\0';
        seq_of[j] = 0;
        if (!fates_trace_parse(in->r[j].head, in->r[j].head_len, tok[j], FATES_TOKEN_MAX, &seq))
            continue;
        seq_of[j] = seq;
        if (strcmp(tok[j], in->token) != 0)
            continue;
        for (size_t i = 0; i < in->nw; i++)
            if (in->w[i].seq == seq && match[i] < 0 && !in->w[i].failed) {
                match[i] = (int)j;
                break;
            }
    }
}

/* Where a proxy stripped the trace: each unmatched write takes the next untraced read of its
 * status, in order (what h1xx did before traces). */
static void pair_by_order(const fate_input *in, int *match, const int *seq_of, bool *used)
{
    size_t next = 0;
    for (size_t i = 0; i < in->nw; i++) {
        if (match[i] >= 0) {
            next = (size_t)match[i] + 1;
            continue;
        }
        if (in->w[i].failed)
            continue;
        for (size_t j = next; j < in->nr; j++)
            if (!used[j] && !seq_of[j] && in->r[j].status == in->w[i].status) {
                match[i] = (int)j;
                used[j] = true;
                next = j + 1;
                break;
            }
    }
}

static void classify_matched(const fate_input *in, size_t i, const fate_read *rd, fate_out *o)
{
    const fate_write *w = &in->w[i];
    int64_t delay = o->t_read - o->t_write;
    fates_field_diff(w->head, w->head_len, rd->head, rd->head_len, o->detail, sizeof o->detail);
    if (!is_final_status(w->status) && !rd->interim) {
        o->kind = FATE_MADE_FINAL;
        return;
    }
    if (rd->status != w->status) {
        o->kind = FATE_ALTERED;
        return;
    }
    if (is_final_status(w->status) || in->fwd_max_ns <= 0 || delay <= in->fwd_max_ns) {
        o->kind = FATE_FORWARDED;
        return;
    }
    o->kind = FATE_LATE;
}

/* A late 1xx that reached the client together with its exchange's final (within HELD_SLACK_NS
 * of it), the final written more than fwd_max after the 1xx: held until the final. */
#define HELD_SLACK_NS (10 * 1000000LL)
static void mark_held(const fate_input *in, fate_out *out)
{
    for (size_t i = 0; i < in->nw; i++) {
        if (out[i].kind != FATE_LATE)
            continue;
        for (size_t k = i + 1; k < in->nw; k++)
            if (in->w[k].exchange == in->w[i].exchange && is_final_status(in->w[k].status) &&
                out[k].read_index >= 0 && out[k].t_read - out[i].t_read <= HELD_SLACK_NS &&
                in->w[k].t0 - in->w[i].t0 > in->fwd_max_ns)
                out[i].kind = FATE_HELD;
    }
}

/* A final the client never got, after a 1xx the client did get as its last message on a
 * connection that then ended: the proxy took that 1xx as the final (status kept). */
static void lost_finals(const fate_input *in, fate_out *out)
{
    for (size_t i = 0; i < in->nw; i++) {
        if (!is_final_status(in->w[i].status) || out[i].kind != FATE_DROPPED)
            continue;
        int last = -1; /* the last 1xx of the exchange that reached the client */
        bool switched = false; /* a 101 reached it: what follows is not HTTP/1.1 there */
        bool made_final = false;
        for (size_t k = 0; k < i; k++)
            if (in->w[k].exchange == in->w[i].exchange && out[k].read_index >= 0) {
                switched |= in->w[k].status == 101;
                if (out[k].kind == FATE_MADE_FINAL)
                    made_final = true;
                else
                    last = (int)k;
            }
        if (switched) /* the switch is judged by the case (UPG-2), not as a lost final */
            continue;
        if (made_final) { /* the client has its "final" already: this one cannot follow */
            out[i].after_1xx = true;
            continue;
        }
        if (last < 0)
            continue;
        int cc = out[last].cconn;
        bool later_final = false;
        for (size_t j = (size_t)out[last].read_index + 1; j < in->nr; j++)
            later_final |= in->r[j].cconn == cc && !in->r[j].interim;
        bool closed = cc >= 0 && (size_t)cc < in->nconn_closed && in->conn_closed[cc];
        /* lost only when it can no longer come: the client's connection ended, or another
         * final took its place; one still open at the case's bound is late, not lost */
        out[i].after_1xx = closed || later_final;
        if (!later_final && closed && out[last].kind != FATE_ALTERED) {
            out[last].kind = FATE_MADE_FINAL;
            snprintf(out[last].detail, sizeof out[last].detail,
                     "the connection closed after it, with no final response");
        }
    }
}

static void mark_unsettled(const fate_input *in, fate_out *out)
{
    for (size_t i = 0; i < in->nw; i++) {
        if (out[i].kind != FATE_DROPPED || is_final_status(in->w[i].status) || in->w[i].failed)
            continue;
        bool later = false;
        int cc = -1;
        for (size_t k = 0; k < in->nw; k++) {
            if (in->w[k].exchange != in->w[i].exchange || out[k].read_index < 0)
                continue;
            later |= k > i;
            cc = out[k].cconn;
        }
        if (later)
            continue; /* something after it came through: it was dropped */
        bool closed = false;
        for (size_t c = 0; c < in->nconn_closed; c++)
            closed |= in->conn_closed[c] && (cc < 0 || (size_t)cc == c);
        if (!closed) {
            out[i].unsettled = true;
            snprintf(out[i].detail, sizeof out[i].detail, "not read when the case ended, the "
                     "connection still open: late past the case's bound, or dropped");
        }
    }
}

static void mark_reordered(const fate_input *in, fate_out *out)
{
    int last = -1;
    for (size_t i = 0; i < in->nw; i++) {
        if (out[i].read_index < 0)
            continue;
        if (out[i].read_index < last)
            out[i].reordered = true;
        else
            last = out[i].read_index;
    }
}

static void fill_write(const fate_input *in, size_t i, int j, fate_out *o)
{
    const fate_write *w = &in->w[i];
    memset(o, 0, sizeof *o);
    o->seq = w->seq;
    o->status = w->status;
    o->exchange = w->exchange;
    o->oconn = w->oconn;
    o->t_write = w->t0;
    o->t_read = -1;
    o->read_index = j;
    o->kind = FATE_DROPPED;
    if (w->failed)
        snprintf(o->detail, sizeof o->detail, "the origin's write failed: the proxy had closed "
                 "the upstream connection");
    if (j < 0)
        return;
    const fate_read *rd = &in->r[j];
    o->got_status = rd->status;
    o->cconn = rd->cconn;
    o->t_read = rd->t < o->t_write ? o->t_write : rd->t; /* one clock: never negative */
    classify_matched(in, i, rd, o);
}

size_t fates_classify(const fate_input *in, fate_out *out)
{
    size_t n = 0, nr1 = in->nr + 1, nw1 = in->nw + 1;
    int *match = xmalloc(nw1 * sizeof *match), *seq_of = xcalloc(nr1, sizeof *seq_of);
    bool *used = xcalloc(nr1, sizeof *used);
    char (*tok)[FATES_TOKEN_MAX] = xcalloc(nr1, sizeof *tok);
    for (size_t i = 0; i < in->nw; i++)
        match[i] = -1;
    pair_traced(in, match, seq_of, tok);
    for (size_t i = 0; i < in->nw; i++)
        if (match[i] >= 0)
            used[match[i]] = true;
    pair_by_order(in, match, seq_of, used);
    for (size_t i = 0; i < in->nw; i++)
        fill_write(in, i, match[i], &out[n++]);
    lost_finals(in, out);
    mark_unsettled(in, out);
    mark_held(in, out);
    mark_reordered(in, out);
    for (size_t j = 0; j < in->nr; j++) {
        if (used[j])
            continue;
        fate_out *o = &out[n++];
        memset(o, 0, sizeof *o);
        bool other = seq_of[j] && strcmp(tok[j], in->token) != 0;
        o->kind = other ? FATE_FROM_OTHER : FATE_UNWRITTEN;
        o->got_status = in->r[j].status;
        o->cconn = in->r[j].cconn;
        o->t_write = -1;
        o->t_read = in->r[j].t;
        o->read_index = (int)j;
        o->other_seq = seq_of[j];
        snprintf(o->other_token, sizeof o->other_token, "%s", other ? tok[j] : "");
    }
    free(match);
    free(seq_of);
    free(used);
    free(tok);
    return n;
}

/* ---- the run-wide registry ------------------------------------------------------------------ */

typedef struct reg_entry {
    char token[FATES_TOKEN_MAX];
    const char *case_id;
} reg_entry;

#define REG_MAX 200000

static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static reg_entry *reg;
static size_t nreg, reg_cap;
static int64_t last_close = -1;

void fates_register(const char *token, const char *case_id)
{
    pthread_mutex_lock(&reg_lock);
    if (nreg < REG_MAX) {
        grow_array((void **)&reg, &reg_cap, nreg, sizeof *reg);
        snprintf(reg[nreg].token, sizeof reg[nreg].token, "%s", token);
        reg[nreg++].case_id = case_id;
    }
    pthread_mutex_unlock(&reg_lock);
}

const char *fates_case_of(const char *token)
{
    const char *id = NULL;
    pthread_mutex_lock(&reg_lock);
    for (size_t i = nreg; i-- > 0 && !id;)
        if (strcmp(reg[i].token, token) == 0)
            id = reg[i].case_id;
    pthread_mutex_unlock(&reg_lock);
    return id;
}

void fates_origin_closed(int64_t t)
{
    pthread_mutex_lock(&reg_lock);
    if (t > last_close)
        last_close = t;
    pthread_mutex_unlock(&reg_lock);
}

int64_t fates_last_origin_close(void)
{
    pthread_mutex_lock(&reg_lock);
    int64_t t = last_close;
    pthread_mutex_unlock(&reg_lock);
    return t;
}

void fates_reset(void)
{
    pthread_mutex_lock(&reg_lock);
    free(reg);
    reg = NULL;
    nreg = reg_cap = 0;
    last_close = -1;
    pthread_mutex_unlock(&reg_lock);
}

/* ---- after the run ------------------------------------------------------------------------- */

/* The writer's record of message seq in the case with this id that no reader claimed yet. */
static fate_record *writer_record(run_result *r, const char *id, int seq, case_result **wc)
{
    for (size_t i = 0; i < r->ncases; i++) {
        case_result *c = &r->cases[i];
        if (!c->id || strcmp(c->id, id) != 0)
            continue;
        for (size_t k = 0; k < c->nfates; k++)
            if (c->fates[k].seq == seq && c->fates[k].kind != FATE_FROM_OTHER &&
                c->fates[k].kind != FATE_UNWRITTEN && c->fates[k].kind != FATE_TO_OTHER &&
                c->fates[k].kind != FATE_FORWARDED) {
                *wc = c;
                return &c->fates[k];
            }
    }
    return NULL;
}

static void fail_writer(case_result *w, const fate_record *f, const char *reader)
{
    char *msg = xasprintf(FATES_CROSS_REQ ": the %d the origin wrote for this case (message %d) "
                          "went to the client of %s: the proxy reused this case's upstream "
                          "connection while the response was still coming", f->status, f->seq,
                          reader);
    if (verdict_rank(w->verdict) < verdict_rank(VERDICT_FAIL)) {
        w->verdict = VERDICT_FAIL;
        free(w->message);
        w->message = msg;
        free(w->failed_require);
        w->failed_require = xstrdup(FATES_CROSS_REQ);
        return;
    }
    result_note(w, "also broken: %s", msg);
    free(msg);
}

size_t fates_link(run_result *r)
{
    size_t changed = 0;
    for (size_t i = 0; i < r->ncases; i++) {
        case_result *c = &r->cases[i], *last = NULL; /* one verdict line per writer */
        for (size_t k = 0; k < c->nfates; k++) {
            const fate_record *f = &c->fates[k];
            case_result *w = NULL;
            fate_record *wf;
            if (f->kind != FATE_FROM_OTHER || !f->other ||
                !(wf = writer_record(r, f->other, f->seq, &w)) || w == c)
                continue;
            wf->kind = FATE_TO_OTHER;
            wf->other = result_bytes(w, c->id, strlen(c->id));
            wf->got_status = f->got_status;
            wf->t_read_ns = f->t_read_ns;
            if (w != last)
                fail_writer(w, wf, c->id);
            last = w;
            changed++;
        }
    }
    if (changed)
        result_count(r);
    return changed;
}
