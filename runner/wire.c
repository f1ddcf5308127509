/* wire: see wire.h.
 *
 * Two layers. The head parser (wire_parse_head) is a pure function of the bytes it is given:
 * it re-reads a head from its first byte on every call until the head is complete, which keeps
 * it free of state; a head is capped by limits.max_head, so the cost stays bounded. The stream
 * reader (wire_next) is a small state machine over offsets into the caller's buffer; body
 * states remember how far they got, so a body is read once however it is fed.
 *
 * Every verdict depends only on the bytes, never on how they were split into calls: an early
 * error is reported at the same offset as the late one would be, and caps are checked on a
 * fixed-size window. The unit tests check this by feeding streams in different chunk sizes.
 */
#include "wire.h"

#include <stddef.h>
#include <string.h>

#include "util.h"

/* ---- names and defaults --------------------------------------------------------------------- */

static const struct {
    const char *name, *reason;
} codes[] = {
    {"?", "unknown finding"},
    {"bare-lf", "a line of the head ends in LF without CR"},
    {"obs-fold", "a field line starts with whitespace (obsolete line folding)"},
    {"ws-before-colon", "whitespace between a field name and its colon"},
    {"no-sp-after-code", "the status code is not followed by SP"},
    {"cl-in-1xx", "a 1xx response carries Content-Length"},
    {"te-in-1xx", "a 1xx response carries Transfer-Encoding"},
    {"content-after-1xx", "bytes after a 1xx head do not start a status line"},
    {"bad-status-line", "the bytes are not a status line"},
    {"bad-version", "the HTTP version is not HTTP/1.0 or HTTP/1.1"},
    {"bad-field", "a field line has no colon, an empty name or a bad name character"},
    {"head-too-large", "the head is longer than the limit"},
    {"too-many-fields", "the head has more fields than the limit"},
    {"too-many-interim", "more 1xx responses than the limit before a final response"},
    {"bad-content-length", "Content-Length is not a number or its values disagree"},
    {"bad-chunk", "malformed chunked framing"},
    {"cl-and-te", "a final response carries both Content-Length and Transfer-Encoding"},
    {"ctl-in-field", "a control character in a field value or the reason phrase"},
    {"truncated", "the stream ended inside a head or a framed body"},
    {"bare-cr", "a CR not followed by LF in the head"},
    {"status-code", "the status code is outside 100..599"},
};

#define NCODES (sizeof codes / sizeof codes[0])

const char *wire_code_name(wire_code c)
{
    return codes[(size_t)c < NCODES ? c : 0].name;
}

const char *wire_code_reason(wire_code c)
{
    return codes[(size_t)c < NCODES ? c : 0].reason;
}

void wire_limits_default(wire_limits *lim)
{
    lim->max_head = 65536;
    lim->max_fields = 100;
    lim->max_interim = 1000;
}

/* ---- bytes ---------------------------------------------------------------------------------- */

static bool is_digit(char c) { return c >= '0' && c <= '9'; }
static bool is_ows(char c) { return c == ' ' || c == '\t'; }

static bool is_hex(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static unsigned hex_val(char c)
{
    return is_digit(c) ? (unsigned)(c - '0') : (unsigned)((c | 0x20) - 'a' + 10);
}

/* Control bytes other than HTAB; CR is left to the bare-CR check, which reports it already. */
static bool is_ctl(char c)
{
    unsigned char u = (unsigned char)c;
    return (u < 0x20 && u != '\t' && u != '\r') || u == 0x7f;
}

static bool is_tchar(char c)
{
    unsigned char u = (unsigned char)c;
    if ((u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || is_digit(c))
        return true;
    return u != 0 && strchr("!#$%&'*+-.^_`|~", u) != NULL;
}

/* ---- head parser ---------------------------------------------------------------------------- */

typedef struct hp {
    const char *buf;
    size_t len, base, max_fields;
    wire_msg *m;
    wire_finding *f;
    size_t fcap, *nf, nf0; /* findings of this head are f[nf0, *nf) */
    wire_field *last;      /* field an obs-fold line continues, NULL if none was kept */
} hp;

/* Each code is recorded once per head, at its first occurrence, so that a head with a
 * repeated defect cannot crowd the other findings out of a small array. */
static void hp_add(hp *h, wire_code code, size_t i)
{
    for (size_t k = h->nf0; k < *h->nf; k++)
        if (h->f[k].code == code)
            return;
    if (*h->nf < h->fcap)
        h->f[(*h->nf)++] = (wire_finding){code, h->base + i};
}

static void hp_ctl(hp *h, size_t i, size_t end)
{
    for (; i < end; i++)
        if (is_ctl(h->buf[i])) {
            hp_add(h, WIRE_F_CTL_IN_FIELD, i);
            return;
        }
}

/* Finds the line starting at `from`. Sets *eol to where its content ends (the CR of CRLF or the
 * LF) and *next past the LF; reports bare CRs in the content. Returns 0, or -2 without an LF. */
static int hp_line(hp *h, size_t from, size_t *eol, size_t *next)
{
    const char *lf = memchr(h->buf + from, '\n', h->len - from);
    if (lf == NULL)
        return -2;
    size_t i = (size_t)(lf - h->buf);
    *next = i + 1;
    *eol = (i > from && h->buf[i - 1] == '\r') ? i - 1 : i;
    for (size_t k = from; k < *eol; k++)
        if (h->buf[k] == '\r')
            hp_add(h, WIRE_F_BARE_CR, k);
    return 0;
}

static void hp_bare_lf(hp *h, size_t eol, size_t next)
{
    if (eol == next - 1)
        hp_add(h, WIRE_F_BARE_LF, eol);
}

/* Status line: "HTTP/" DIGIT "." DIGIT SP 3DIGIT, then SP reason or the line end. A byte that
 * cannot continue this is an error at once, so "XTTP" fails without waiting for a line end.
 * Returns 0 with the line end set (see hp_line), -1 or -2. */
static long hp_status_line(hp *h, size_t *eol, size_t *next)
{
    static const char pat[] = "HTTP/#.# ###";
    size_t i;
    for (i = 0; pat[i] != '\0'; i++) {
        if (i >= h->len)
            return -2;
        char c = h->buf[i];
        if (pat[i] == '#' ? !is_digit(c) : c != pat[i])
            break;
    }
    if (pat[i] == '\0' && i >= h->len)
        return -2;
    if (pat[i] == '\0' && (h->buf[i] == ' ' || h->buf[i] == '\r' || h->buf[i] == '\n')) {
        if (hp_line(h, i, eol, next) != 0)
            return -2;
        if (h->buf[i] == ' ' || *eol == i)
            return 0;
        /* "100" CR followed by more than LF: falls through to the error */
    }
    hp_add(h, WIRE_F_BAD_STATUS_LINE, i);
    return -1;
}

static long hp_status(hp *h, size_t *next)
{
    const size_t i = 12; /* after "HTTP/1.1 200" */
    size_t eol, r0;
    long rc = hp_status_line(h, &eol, next);
    if (rc != 0)
        return rc;
    wire_msg *m = h->m;
    m->minor = h->buf[7] - '0';
    m->status = (h->buf[9] - '0') * 100 + (h->buf[10] - '0') * 10 + (h->buf[11] - '0');
    m->interim = m->status >= 100 && m->status <= 199;
    if (h->buf[5] != '1' || m->minor > 1)
        hp_add(h, WIRE_F_BAD_VERSION, 5);
    if (m->status < 100 || m->status > 599)
        hp_add(h, WIRE_F_STATUS_CODE, 9);
    if (h->buf[i] != ' ')
        hp_add(h, WIRE_F_NO_SP_AFTER_CODE, i);
    r0 = (h->buf[i] == ' ') ? i + 1 : i;
    m->reason_off = h->base + r0;
    m->reason_len = eol - r0;
    hp_ctl(h, r0, eol);
    hp_bare_lf(h, eol, *next);
    return 0;
}

static void hp_store(hp *h, size_t name, size_t name_end, size_t v, size_t v_end)
{
    wire_msg *m = h->m;
    h->last = NULL;
    if (m->nfields >= h->max_fields) {
        hp_add(h, WIRE_F_TOO_MANY_FIELDS, name);
        return;
    }
    h->last = &m->fields[m->nfields++];
    *h->last = (wire_field){h->base + name, name_end - name, h->base + v, v_end - v};
}

/* Value bounds without surrounding whitespace. */
static void hp_trim(hp *h, size_t *i, size_t *end)
{
    while (*i < *end && is_ows(h->buf[*i]))
        (*i)++;
    while (*end > *i && is_ows(h->buf[*end - 1]))
        (*end)--;
}

static void hp_field(hp *h, size_t i, size_t eol)
{
    size_t name = i, name_end, v_end = eol;
    while (i < eol && is_tchar(h->buf[i]))
        i++;
    name_end = i;
    while (i < eol && is_ows(h->buf[i]))
        i++;
    if (i == eol || h->buf[i] != ':' || name_end == name) {
        h->last = NULL;
        hp_add(h, WIRE_F_BAD_FIELD, (i < eol && h->buf[i] == ':') ? name : i);
        return;
    }
    if (i > name_end)
        hp_add(h, WIRE_F_WS_BEFORE_COLON, name_end);
    i++;
    hp_trim(h, &i, &v_end);
    hp_ctl(h, i, v_end);
    hp_store(h, name, name_end, i, v_end);
}

/* obs-fold: the line continues the previous field's value. The value then spans the fold in
 * the stream (CRLF and leading whitespace included); readers of folded values see that. */
static void hp_fold(hp *h, size_t i, size_t eol)
{
    size_t v_end = eol;
    hp_add(h, WIRE_F_OBS_FOLD, i);
    hp_trim(h, &i, &v_end);
    hp_ctl(h, i, v_end);
    if (h->last == NULL || i == v_end)
        return;
    if (h->last->value_len == 0)
        h->last->value_off = h->base + i;
    h->last->value_len = h->base + v_end - h->last->value_off;
}

static long hp_parse(hp *h)
{
    size_t pos, eol, next;
    long rc = hp_status(h, &pos);
    if (rc != 0)
        return rc;
    for (;;) {
        if (hp_line(h, pos, &eol, &next) != 0)
            return -2;
        if (eol == pos) {
            hp_bare_lf(h, eol, next);
            return (long)next;
        }
        if (is_ows(h->buf[pos]))
            hp_fold(h, pos, eol);
        else
            hp_field(h, pos, eol);
        hp_bare_lf(h, eol, next);
        pos = next;
    }
}

/* Like wire_parse_head, but the findings of a partial head are kept: the stream reader reports
 * them when the partial head turns out to be fatal (too large, truncated). */
static long parse_head(const char *buf, size_t len, size_t base, size_t max_fields, wire_msg *m,
                       wire_finding *f, size_t fcap, size_t *nf)
{
    hp h = {buf, len, base, max_fields < WIRE_MAX_FIELDS ? max_fields : WIRE_MAX_FIELDS,
            m, f, fcap, nf, *nf, NULL};
    m->start = base;
    m->nfields = 0;
    m->framing = WIRE_BODY_NONE;
    m->body_len = 0;
    m->eof_ended = false;
    long n = hp_parse(&h);
    if (n > 0)
        m->head_end = m->end = base + (size_t)n;
    return n;
}

/* On -2 no findings are appended (a prefix is not yet a head); on -1 the last one appended is
 * WIRE_F_BAD_STATUS_LINE. Each code is appended at most once per head (its first offset). */
long wire_parse_head(const char *buf, size_t len, size_t base, size_t max_fields, wire_msg *m,
                     wire_finding *f, size_t fcap, size_t *nf)
{
    size_t nf0 = *nf;
    long n = parse_head(buf, len, base, max_fields, m, f, fcap, nf);
    if (n == -2)
        *nf = nf0;
    return n;
}

/* ---- field helpers -------------------------------------------------------------------------- */

wire_msg *wire_msg_keep(const wire_msg *m)
{
    size_t n = offsetof(wire_msg, fields) + m->nfields * sizeof *m->fields;
    wire_msg *k = xmalloc(n);
    memcpy(k, m, n);
    return k;
}

void wire_msg_copy(wire_msg *to, const wire_msg *m)
{
    memcpy(to, m, offsetof(wire_msg, fields) + m->nfields * sizeof *m->fields);
}

const wire_field *wire_find(const wire_msg *m, const char *stream, const char *name,
                            const wire_field *after)
{
    size_t nlen = strlen(name);
    size_t i = (after == NULL) ? 0 : (size_t)(after - m->fields) + 1;
    for (; i < m->nfields; i++) {
        const wire_field *fl = &m->fields[i];
        if (ascii_memeq_nocase(stream + fl->name_off, fl->name_len, name, nlen))
            return fl;
    }
    return NULL;
}

bool wire_has_token(const wire_msg *m, const char *stream, const char *name, const char *token)
{
    for (const wire_field *fl = wire_find(m, stream, name, NULL); fl != NULL;
         fl = wire_find(m, stream, name, fl))
        if (list_has_token(stream + fl->value_off, fl->value_len, token))
            return true;
    return false;
}

/* True when the last coding of the last Transfer-Encoding field is "chunked" (RFC 9112 §6.3
 * rule 4); empty list elements are skipped. */
static bool te_chunked(const wire_msg *m, const char *s)
{
    const wire_field *te = NULL;
    for (const wire_field *fl = wire_find(m, s, "transfer-encoding", NULL); fl != NULL;
         fl = wire_find(m, s, "transfer-encoding", fl))
        te = fl;
    const char *v = s + te->value_off;
    size_t end = te->value_len;
    while (end > 0 && (is_ows(v[end - 1]) || v[end - 1] == ','))
        end--;
    size_t b = end;
    while (b > 0 && v[b - 1] != ',' && !is_ows(v[b - 1]))
        b--;
    return ascii_memeq_nocase(v + b, end - b, "chunked", 7);
}

/* One comma-separated Content-Length value: every element digits only and equal to *val
 * (*have says *val was set by an earlier element). Returns 0, or -1 with *bad at the culprit. */
static int cl_value(const char *v, size_t n, size_t off, uint64_t *val, bool *have, size_t *bad)
{
    for (size_t i = 0;; i++) { /* i: start of an element, after its comma */
        while (i < n && is_ows(v[i]))
            i++;
        size_t d0 = i;
        uint64_t x = 0;
        for (; i < n && is_digit(v[i]) && x <= (UINT64_MAX - 9) / 10; i++)
            x = x * 10 + (uint64_t)(v[i] - '0');
        *bad = off + d0;
        if (i == d0 || (*have && x != *val))
            return -1;
        while (i < n && is_ows(v[i]))
            i++;
        *bad = off + i;
        if (i < n && v[i] != ',')
            return -1; /* a non-digit, or digits past the overflow bound */
        *val = x;
        *have = true;
        if (i == n)
            return 0;
    }
}

static int content_length(const wire_msg *m, const char *s, uint64_t *val, size_t *bad)
{
    bool have = false;
    for (const wire_field *fl = wire_find(m, s, "content-length", NULL); fl != NULL;
         fl = wire_find(m, s, "content-length", fl))
        if (cl_value(s + fl->value_off, fl->value_len, fl->value_off, val, &have, bad) != 0)
            return -1;
    return 0;
}

/* ---- stream reader -------------------------------------------------------------------------- */

enum { ST_HEAD, ST_SKIP, ST_LENGTH, ST_CHUNK_SIZE, ST_CHUNK_DATA, ST_CHUNK_CRLF, ST_TRAILER,
       ST_CLOSE };

#define AGAIN 3              /* internal: the state changed, keep going in this call */
#define CHUNK_LINE_MAX 4096  /* chunk-size line with extensions */
#define NPENDING 16 /* findings returned by one wire_next() call, at most */

void wire_init(wire_reader *r, const wire_limits *lim)
{
    memset(r, 0, sizeof *r);
    if (lim != NULL)
        r->lim = *lim;
    else
        wire_limits_default(&r->lim);
    if (r->lim.max_fields > WIRE_MAX_FIELDS)
        r->lim.max_fields = WIRE_MAX_FIELDS;
    r->state = ST_HEAD;
}

/* Up to 64 requests are remembered; later ones are taken as non-HEAD. */
void wire_note_request(wire_reader *r, bool is_head)
{
    if (r->nreq >= 64)
        return;
    if (is_head)
        r->head_bits |= (uint64_t)1 << r->nreq;
    r->nreq++;
}

static bool pop_request(wire_reader *r)
{
    if (r->nreq == 0)
        return false;
    bool is_head = r->head_bits & 1;
    r->head_bits >>= 1;
    r->nreq--;
    return is_head;
}

size_t wire_raw_offset(const wire_reader *r)
{
    return r->raw_off;
}

static void add(wire_reader *r, wire_code code, size_t off)
{
    if (r->npending < r->pcap)
        r->pending[r->npending++] = (wire_finding){code, off};
}

static int fatal(wire_reader *r, wire_code code, size_t off)
{
    add(r, code, off);
    r->failed = true;
    return WIRE_ERROR;
}

static int finish(wire_reader *r, const char *s)
{
    if (r->reparse) { /* the head came in an earlier call: its fields again, findings once */
        size_t nf = 0;
        memcpy(r->held, r->cur, sizeof r->held); /* framing and body as read since */
        parse_head(s + r->cur->start, r->cur->head_end - r->cur->start, r->cur->start,
                   r->lim.max_fields, r->cur, NULL, 0, &nf);
        memcpy(r->cur, r->held, sizeof r->held);
        r->reparse = false;
    }
    r->cur->end = r->pos;
    r->state = ST_HEAD;
    return WIRE_MSG;
}

/* Finds the LF of the line at r->pos within `cap` bytes, resuming at r->scan. Returns 0 with
 * *lf set, -2 when more bytes may still bring it, -1 when the line is longer than cap. */
static int find_lf(wire_reader *r, const char *s, size_t len, size_t cap, size_t *lf)
{
    size_t lim = (len - r->pos > cap) ? r->pos + cap : len;
    const char *p = (lim > r->scan) ? memchr(s + r->scan, '\n', lim - r->scan) : NULL;
    if (p != NULL) {
        *lf = (size_t)(p - s);
        return 0;
    }
    r->scan = lim;
    return (lim - r->pos >= cap) ? -1 : -2;
}

static int need(wire_reader *r, size_t len, bool eof)
{
    return eof ? fatal(r, WIRE_F_TRUNCATED, len) : WIRE_NEED_MORE;
}

static int on_interim(wire_reader *r, const char *s)
{
    const wire_field *fl;
    if (++r->ninterim > r->lim.max_interim)
        return fatal(r, WIRE_F_TOO_MANY_INTERIM, r->cur->start);
    if ((fl = wire_find(r->cur, s, "content-length", NULL)) != NULL)
        add(r, WIRE_F_CL_IN_1XX, fl->name_off);
    if ((fl = wire_find(r->cur, s, "transfer-encoding", NULL)) != NULL)
        add(r, WIRE_F_TE_IN_1XX, fl->name_off);
    if (r->cur->status == 101) {
        r->switched = true;
        r->raw_off = r->pos;
    } else {
        r->after_interim = true;
    }
    return finish(r, s);
}

/* Body framing of a final response, RFC 9112 §6.3 in order. */
static int on_final(wire_reader *r, const char *s)
{
    wire_msg *m = r->cur;
    const wire_field *te = wire_find(m, s, "transfer-encoding", NULL);
    bool has_cl = wire_find(m, s, "content-length", NULL) != NULL, is_head = pop_request(r);
    uint64_t n = 0;
    size_t bad = 0;
    r->ninterim = 0;
    r->after_interim = false;
    if (te != NULL && has_cl)
        add(r, WIRE_F_CL_AND_TE, te->name_off);
    if (is_head || m->status == 204 || m->status == 304)
        return finish(r, s);
    if (te != NULL && te_chunked(m, s)) {
        m->framing = WIRE_BODY_CHUNKED;
        r->state = ST_CHUNK_SIZE;
        r->scan = r->pos;
    } else if (te == NULL && has_cl) {
        if (content_length(m, s, &n, &bad) != 0)
            return fatal(r, WIRE_F_BAD_CONTENT_LENGTH, bad);
        if (n == 0)
            return finish(r, s);
        m->framing = WIRE_BODY_LENGTH;
        r->state = ST_LENGTH;
        r->remaining = n;
    } else {
        m->framing = WIRE_BODY_CLOSE;
        r->state = ST_CLOSE;
    }
    return AGAIN;
}

static bool maybe_status(const char *p, size_t n)
{
    return memcmp(p, "HTTP/", n < 5 ? n : 5) == 0;
}

/* True when s[r->pos, end) may hold a whole head: an LF followed by LF or CRLF (an empty line).
 * The search resumes where the previous call for the same head stopped. */
static bool head_may_end(wire_reader *r, const char *s, size_t end)
{
    if (r->hs_pos != r->pos || r->hs_scan < r->pos) {
        r->hs_pos = r->hs_scan = r->pos;
        r->hs_ok = false;
    }
    while (r->hs_scan < end) {
        const char *lf = memchr(s + r->hs_scan, '\n', end - r->hs_scan);
        if (lf == NULL) {
            r->hs_scan = end;
            return false;
        }
        size_t k = (size_t)(lf - s);
        if (k + 1 < end && s[k + 1] == '\n')
            return true;
        if (k + 2 < end && s[k + 1] == '\r' && s[k + 2] == '\n')
            return true;
        if (k + 2 >= end && (k + 1 == end || s[k + 1] == '\r')) {
            r->hs_scan = k; /* undecided until more bytes come */
            return false;
        }
        r->hs_scan = k + 1;
    }
    return false;
}

static int on_head(wire_reader *r, const char *s, size_t len, bool eof)
{
    if (r->pos == len)
        return eof ? WIRE_DONE : WIRE_NEED_MORE;
    if (r->after_interim && !maybe_status(s + r->pos, len - r->pos)) {
        add(r, WIRE_F_CONTENT_AFTER_1XX, r->pos);
        r->state = ST_SKIP;
        r->scan = r->pos;
        return AGAIN;
    }
    /* The window is capped, so "too large" is decided on the same bytes however they came. */
    size_t avail = len - r->pos, cap = r->lim.max_head;
    size_t view = avail < cap ? avail : cap, np0 = r->npending;
    /* Once the status line is known good, parsing can only say "need more" until an empty
     * line arrives: skip it till then, so a head fed byte by byte costs linear time, not
     * quadratic. At EOF or at the cap the partial head is parsed for its findings. */
    bool may_end = head_may_end(r, s, r->pos + view);
    if (r->hs_ok && !may_end && !eof && view < cap)
        return WIRE_NEED_MORE;
    long n = parse_head(s + r->pos, view, r->pos, r->lim.max_fields, r->cur, r->pending,
                        r->pcap, &r->npending);
    if (n == -2 && memchr(s + r->pos, '\n', view) != NULL)
        r->hs_ok = true; /* the status line is whole and good: only -2 or a head from now on */
    if (n == -1) {
        r->failed = true;
        return WIRE_ERROR;
    }
    if (n == -2 && view == cap)
        return fatal(r, WIRE_F_HEAD_TOO_LARGE, r->pos + cap);
    if (n == -2 && !eof)
        r->npending = np0; /* reported once, when the head is whole or fatal */
    if (n == -2)
        return need(r, len, eof);
    r->pos += (size_t)n;
    return r->cur->interim ? on_interim(r, s) : on_final(r, s);
}

/* After content following a 1xx: skips to the next "HTTP/1." at the start of a line. */
static int on_skip(wire_reader *r, const char *s, size_t len, bool eof)
{
    static const char want[] = "\nHTTP/1.";
    const size_t wlen = sizeof want - 1;
    while (r->scan < len) {
        const char *p = memchr(s + r->scan, '\n', len - r->scan);
        if (p == NULL) {
            r->scan = len;
            break;
        }
        size_t i = (size_t)(p - s), n = len - i < wlen ? len - i : wlen;
        if (memcmp(p, want, n) != 0) {
            r->scan = i + 1;
            continue;
        }
        r->scan = i; /* a match so far; complete or waiting for its end */
        if (n == wlen) {
            r->pos = i + 1;
            r->state = ST_HEAD;
            return AGAIN;
        }
        break;
    }
    r->pos = r->scan;
    return eof ? WIRE_DONE : WIRE_NEED_MORE;
}

/* Takes up to r->remaining body bytes; true when they are all there. */
static bool take(wire_reader *r, size_t len)
{
    size_t avail = len - r->pos;
    size_t n = (r->remaining < avail) ? (size_t)r->remaining : avail;
    r->pos += n;
    r->remaining -= n;
    r->cur->body_len += n;
    return r->remaining == 0;
}

static int on_length(wire_reader *r, const char *s, size_t len, bool eof)
{
    return take(r, len) ? finish(r, s) : need(r, len, eof);
}

static int on_close(wire_reader *r, const char *s, size_t len, bool eof)
{
    r->cur->body_len += len - r->pos;
    r->pos = len;
    if (!eof)
        return WIRE_NEED_MORE;
    r->cur->eof_ended = true;
    return finish(r, s);
}

/* chunk-size [ BWS ";" chunk-ext ] CRLF, the line being s[i, end) without its CRLF. Extensions
 * are not interpreted, only checked for control bytes. Returns 0, or -1 with *bad set. */
static int chunk_line(const char *s, size_t i, size_t end, uint64_t *size, size_t *bad)
{
    size_t d0 = i;
    uint64_t v = 0;
    for (; i < end && is_hex(s[i]) && (v >> 60) == 0; i++)
        v = v << 4 | hex_val(s[i]);
    while (i < end && is_ows(s[i]))
        i++;
    if (i < end && s[i] == ';')
        while (i < end && !is_ctl(s[i]) && s[i] != '\r')
            i++;
    *bad = i;
    *size = v;
    return (i == d0 || i < end) ? -1 : 0;
}

static int on_chunk_size(wire_reader *r, const char *s, size_t len, bool eof)
{
    size_t lf, bad;
    uint64_t size = 0;
    if (r->pos < len && !is_hex(s[r->pos]))
        return fatal(r, WIRE_F_BAD_CHUNK, r->pos);
    int rc = find_lf(r, s, len, CHUNK_LINE_MAX, &lf);
    if (rc == -1)
        return fatal(r, WIRE_F_BAD_CHUNK, r->pos + CHUNK_LINE_MAX);
    if (rc == -2)
        return need(r, len, eof);
    if (lf == r->pos || s[lf - 1] != '\r')
        return fatal(r, WIRE_F_BAD_CHUNK, lf);
    if (chunk_line(s, r->pos, lf - 1, &size, &bad) != 0)
        return fatal(r, WIRE_F_BAD_CHUNK, bad);
    r->pos = r->scan = lf + 1;
    r->remaining = size;
    r->state = ST_CHUNK_DATA;
    if (size == 0) {
        r->state = ST_TRAILER;
        r->remaining = r->lim.max_head; /* budget for the trailer section */
    }
    return AGAIN;
}

static int on_chunk_data(wire_reader *r, size_t len, bool eof)
{
    if (!take(r, len))
        return need(r, len, eof);
    r->state = ST_CHUNK_CRLF;
    return AGAIN;
}

static int on_chunk_crlf(wire_reader *r, const char *s, size_t len, bool eof)
{
    if (r->pos < len && s[r->pos] != '\r')
        return fatal(r, WIRE_F_BAD_CHUNK, r->pos);
    if (r->pos + 1 < len && s[r->pos + 1] != '\n')
        return fatal(r, WIRE_F_BAD_CHUNK, r->pos + 1);
    if (len - r->pos < 2)
        return need(r, len, eof);
    r->pos = r->scan = r->pos + 2;
    r->state = ST_CHUNK_SIZE;
    return AGAIN;
}

/* Trailer lines are skipped (not kept as fields) until the empty line. */
static int on_trailer(wire_reader *r, const char *s, size_t len, bool eof)
{
    for (;;) {
        size_t lf;
        int rc = find_lf(r, s, len, (size_t)r->remaining, &lf);
        if (rc == -1)
            return fatal(r, WIRE_F_HEAD_TOO_LARGE, r->pos + (size_t)r->remaining);
        if (rc == -2)
            return need(r, len, eof);
        if (lf == r->pos || s[lf - 1] != '\r')
            return fatal(r, WIRE_F_BAD_CHUNK, lf);
        bool empty = (lf == r->pos + 1);
        r->remaining -= lf + 1 - r->pos;
        r->pos = r->scan = lf + 1;
        if (empty)
            return finish(r, s);
    }
}

static int step(wire_reader *r, const char *s, size_t len, bool eof)
{
    switch (r->state) {
    case ST_HEAD: return on_head(r, s, len, eof);
    case ST_SKIP: return on_skip(r, s, len, eof);
    case ST_LENGTH: return on_length(r, s, len, eof);
    case ST_CHUNK_SIZE: return on_chunk_size(r, s, len, eof);
    case ST_CHUNK_DATA: return on_chunk_data(r, len, eof);
    case ST_CHUNK_CRLF: return on_chunk_crlf(r, s, len, eof);
    case ST_TRAILER: return on_trailer(r, s, len, eof);
    case ST_CLOSE: return on_close(r, s, len, eof);
    default: return fatal(r, WIRE_F_TRUNCATED, r->pos);
    }
}

int wire_next(wire_reader *r, const char *stream, size_t len, bool eof, wire_msg *out,
              wire_finding *f, size_t fcap, size_t *nf)
{
    int rc;
    r->pending = f;
    r->pcap = fcap < NPENDING ? fcap : NPENDING;
    r->npending = 0;
    r->cur = out;
    if (r->reparse)
        memcpy(out, r->held, sizeof r->held);
    if (r->failed)
        rc = WIRE_ERROR;
    else if (r->switched)
        rc = WIRE_RAW;
    else if (len < r->pos)
        rc = fatal(r, WIRE_F_TRUNCATED, len); /* the caller's stream shrank: misuse */
    else
        do
            rc = step(r, stream, len, eof);
        while (rc == AGAIN);
    if (rc == WIRE_MSG)
        r->nmsgs++;
    else if (r->state != ST_HEAD && r->state != ST_SKIP) {
        memcpy(r->held, out, sizeof r->held); /* a body goes on in a later call */
        r->reparse = true;
    }
    r->cur = NULL;
    if (nf != NULL)
        *nf = r->npending;
    r->pending = NULL;
    return rc;
}
