/* test_wire: the wire reader, tested the picohttpparser way.
 *
 * Every input is copied so that its last byte sits right before a PROT_NONE page: a read past
 * the end the reader was given faults at once (ASan catches the rest). Streams are fed whole and
 * in 1, 2, 3, 7 and 64-byte pieces; the events and findings must not depend on the split.
 */
#include <CUnit/CUnit.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "wire.h"

/* ---- guard page ----------------------------------------------------------------------------- */

#define GUARD_BYTES (128 * 1024) /* the largest input any test places */

static char *guard_base;   /* start of the usable region */
static size_t guard_size;  /* usable bytes; the page after them is PROT_NONE */
static size_t guard_total; /* mapped bytes */

static int guard_init(void)
{
    size_t pg = (size_t)sysconf(_SC_PAGESIZE);
    guard_size = (GUARD_BYTES + pg - 1) / pg * pg;
    guard_total = guard_size + pg;
    void *p = mmap(NULL, guard_total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return -1;
    guard_base = p;
    return mprotect(guard_base + guard_size, pg, PROT_NONE);
}

static int guard_clean(void)
{
    return munmap(guard_base, guard_total);
}

/* Copies n bytes so that they end at the guard page; returns the copy. */
static const char *guarded(const void *data, size_t n)
{
    char *dst = guard_base + guard_size - n;
    if (n > 0)
        memmove(dst, data, n);
    return dst;
}

/* ---- traces --------------------------------------------------------------------------------- */

#define MAXEV 64
#define MAXF 64

typedef struct ev {
    int kind, status, minor;
    size_t start, head_end, end, nfields;
    uint64_t body_len;
    wire_framing framing;
    bool interim, eof_ended;
} ev;

typedef struct trace {
    ev ev[MAXEV];
    size_t nev;
    wire_finding f[MAXF];
    size_t nf;
    size_t raw_off;
} trace;

static void record(trace *t, int rc, const wire_msg *m)
{
    if (t->nev >= MAXEV)
        return;
    ev *e = &t->ev[t->nev++];
    memset(e, 0, sizeof *e);
    e->kind = rc;
    if (rc != WIRE_MSG)
        return;
    *e = (ev){rc, m->status, m->minor, m->start, m->head_end, m->end, m->nfields,
              m->body_len, m->framing, m->interim, m->eof_ended};
}

/* Properties every returned message has, whatever the input. */
static void check_msg(const wire_msg *m, size_t len, size_t prev_end, const wire_limits *lim)
{
    CU_ASSERT(m->start >= prev_end);
    CU_ASSERT(m->start < m->head_end);
    CU_ASSERT(m->head_end <= m->end);
    CU_ASSERT(m->end <= len);
    CU_ASSERT(m->interim == (m->status >= 100 && m->status <= 199));
    CU_ASSERT(m->nfields <= lim->max_fields && m->nfields <= WIRE_MAX_FIELDS);
    if (m->framing == WIRE_BODY_NONE)
        CU_ASSERT(m->body_len == 0 && m->end == m->head_end);
    if (m->framing == WIRE_BODY_LENGTH || m->framing == WIRE_BODY_CLOSE)
        CU_ASSERT(m->body_len == m->end - m->head_end);
    if (m->framing == WIRE_BODY_CHUNKED)
        CU_ASSERT(m->body_len < m->end - m->head_end);
}

static int next(wire_reader *r, const char *s, size_t len, bool eof, trace *t, size_t *prev_end)
{
    wire_msg m;
    wire_finding f[16];
    size_t nf = 99;
    int rc = wire_next(r, guarded(s, len), len, eof, &m, f, 16, &nf);
    CU_ASSERT(nf <= 16);
    for (size_t i = 0; i < nf && t->nf < MAXF; i++)
        t->f[t->nf++] = f[i];
    if (rc == WIRE_MSG) {
        check_msg(&m, len, *prev_end, &r->lim);
        *prev_end = m.end;
    }
    if (rc != WIRE_NEED_MORE)
        record(t, rc, &m);
    return rc;
}

/* Feeds s in `step`-byte pieces (0: all at once), EOF with the last piece, and records events
 * until DONE, ERROR or RAW. reqs has one letter per request sent: 'H' for HEAD. */
static void run(const char *s, size_t n, size_t step, const char *reqs, const wire_limits *lim,
                trace *t)
{
    wire_reader r;
    wire_limits dl;
    size_t len = 0, prev_end = 0;
    int rc;
    wire_limits_default(&dl);
    wire_init(&r, lim ? lim : &dl);
    for (; reqs != NULL && *reqs != '\0'; reqs++)
        wire_note_request(&r, *reqs == 'H');
    memset(t, 0, sizeof *t);
    for (;;) {
        len = (step == 0 || n - len <= step) ? n : len + step;
        do
            rc = next(&r, s, len, len == n, t, &prev_end);
        while (rc == WIRE_MSG);
        if (rc != WIRE_NEED_MORE)
            break;
        if (len == n) {
            CU_FAIL("need-more at EOF");
            return;
        }
    }
    t->raw_off = wire_raw_offset(&r);
    /* terminal results are sticky and report nothing new */
    wire_msg m;
    wire_finding f[4];
    size_t nf = 99;
    CU_ASSERT_EQUAL(wire_next(&r, guarded(s, n), n, true, &m, f, 4, &nf), rc);
    CU_ASSERT_EQUAL(nf, 0);
}

static bool same_ev(const ev *a, const ev *b)
{
    return a->kind == b->kind && a->status == b->status && a->minor == b->minor &&
           a->start == b->start && a->head_end == b->head_end && a->end == b->end &&
           a->nfields == b->nfields && a->body_len == b->body_len && a->framing == b->framing &&
           a->interim == b->interim && a->eof_ended == b->eof_ended;
}

static bool same_trace(const trace *a, const trace *b, size_t step)
{
    bool same = a->nev == b->nev && a->nf == b->nf && a->raw_off == b->raw_off;
    for (size_t i = 0; same && i < a->nev; i++)
        same = same_ev(&a->ev[i], &b->ev[i]);
    for (size_t i = 0; same && i < a->nf; i++)
        same = a->f[i].code == b->f[i].code && a->f[i].offset == b->f[i].offset;
    if (!same)
        fprintf(stderr, "\n  trace differs with %zu-byte feeding\n", step);
    return same;
}

/* Runs s whole into *t, then in every piece size, and checks they all agree. */
static void run_all(const char *s, size_t n, const char *reqs, const wire_limits *lim, trace *t)
{
    static const size_t steps[] = {1, 2, 3, 7, 64};
    static trace other; /* large: keep it off the stack */
    run(s, n, 0, reqs, lim, t);
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        run(s, n, steps[i], reqs, lim, &other);
        CU_ASSERT(same_trace(t, &other, steps[i]));
    }
}

static void run_str(const char *s, const char *reqs, const wire_limits *lim, trace *t)
{
    run_all(s, strlen(s), reqs, lim, t);
}

static size_t at(const char *s, const char *needle)
{
    const char *p = strstr(s, needle);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    return (size_t)(p - s);
}

static bool has(const trace *t, wire_code code, size_t off)
{
    for (size_t i = 0; i < t->nf; i++)
        if (t->f[i].code == code && t->f[i].offset == off)
            return true;
    fprintf(stderr, "\n  missing finding %s at %zu\n", wire_code_name(code), off);
    return false;
}

static void ev_is(const ev *e, int status, size_t start, size_t head_end, size_t end,
                  uint64_t body_len, wire_framing framing)
{
    CU_ASSERT_EQUAL(e->kind, WIRE_MSG);
    CU_ASSERT_EQUAL(e->status, status);
    CU_ASSERT_EQUAL(e->start, start);
    CU_ASSERT_EQUAL(e->head_end, head_end);
    CU_ASSERT_EQUAL(e->end, end);
    CU_ASSERT_EQUAL(e->body_len, body_len);
    CU_ASSERT_EQUAL(e->framing, framing);
}

static trace T; /* the trace under test */

/* ---- head parser ---------------------------------------------------------------------------- */

static const char *const heads[] = {
    "HTTP/1.1 100 Continue\r\n\r\n",
    "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n",
    "HTTP/1.0 103 Early Hints\r\nLink: </a.css>; rel=preload\r\nLink: </b.js>\r\n\r\n",
    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
    "HTTP/1.1 204 \r\n\r\n",
    "HTTP/1.1 100\r\n\r\n",
    "HTTP/1.1 200 OK\nA: b\n\n",
    "HTTP/1.1 200 OK\r\nA: b\r\n  c\r\n\td\r\n\r\n",
    "HTTP/1.1 200 OK\r\nA : b\r\nnocolon\r\n: x\r\nB:\r\n\r\n",
    "HTTP/2.0 599 X\r\nA: b\rc\r\n\r\n",
};

static void test_prefixes(void)
{
    for (size_t h = 0; h < sizeof heads / sizeof heads[0]; h++) {
        size_t n = strlen(heads[h]), nf;
        wire_finding f[32];
        wire_msg m;
        for (size_t k = 0; k < n; k++) {
            nf = 0;
            CU_ASSERT_EQUAL(wire_parse_head(guarded(heads[h], k), k, 0, 100, &m, f, 32, &nf), -2);
            CU_ASSERT_EQUAL(nf, 0);
        }
        nf = 0;
        CU_ASSERT_EQUAL(wire_parse_head(guarded(heads[h], n), n, 0, 100, &m, f, 32, &nf),
                        (long)n);
    }
}

static void test_parse_values(void)
{
    static const char s[] = "HTTP/1.0 103 Early Hints\r\nLink:  </a.css> \r\nX-Y:\r\n"
                            "Fold: a\r\n  b \r\n\r\n";
    wire_msg m;
    wire_finding f[8];
    size_t nf = 0, n = sizeof s - 1;
    const char *p = guarded(s, n);
    CU_ASSERT_EQUAL(wire_parse_head(p, n, 1000, 100, &m, f, 8, &nf), (long)n);
    CU_ASSERT_EQUAL(m.start, 1000);
    CU_ASSERT_EQUAL(m.head_end, 1000 + n);
    CU_ASSERT_EQUAL(m.minor, 0);
    CU_ASSERT_EQUAL(m.status, 103);
    CU_ASSERT(m.interim);
    CU_ASSERT_EQUAL(m.reason_off, 1000 + 13);
    CU_ASSERT_EQUAL(m.reason_len, 11);
    CU_ASSERT_EQUAL_FATAL(m.nfields, 3);
    CU_ASSERT_EQUAL(m.fields[0].name_off, 1000 + at(s, "Link"));
    CU_ASSERT_EQUAL(m.fields[0].name_len, 4);
    CU_ASSERT_EQUAL(m.fields[0].value_off, 1000 + at(s, "</a"));
    CU_ASSERT_EQUAL(m.fields[0].value_len, 8);
    CU_ASSERT_EQUAL(m.fields[1].value_len, 0);
    CU_ASSERT_EQUAL(m.fields[2].value_off, 1000 + at(s, "a\r\n  b"));
    CU_ASSERT_EQUAL(m.fields[2].value_len, 6);
    CU_ASSERT_EQUAL(nf, 1);
    CU_ASSERT_EQUAL(f[0].code, WIRE_F_OBS_FOLD);
    CU_ASSERT_EQUAL(f[0].offset, 1000 + at(s, "  b"));
}

typedef struct fcase {
    const char *in;
    size_t len; /* 0: strlen */
    wire_code code;
    size_t off;
    int ok; /* 1: head parses, 0: -1 */
} fcase;

static const fcase head_findings[] = {
    {"HTTP/1.1 200 OK\nA: b\r\n\r\n", 0, WIRE_F_BARE_LF, 15, 1},
    {"HTTP/1.1 200 OK\r\nA: b\r\n\n", 0, WIRE_F_BARE_LF, 23, 1},
    {"HTTP/1.1 200 OK\r\nA: b\rc\r\n\r\n", 0, WIRE_F_BARE_CR, 21, 1},
    {"HTTP/1.1 200 OK\r\nA: b\r\n c\r\n\r\n", 0, WIRE_F_OBS_FOLD, 23, 1},
    {"HTTP/1.1 200 OK\r\n c\r\n\r\n", 0, WIRE_F_OBS_FOLD, 17, 1},
    {"HTTP/1.1 200 OK\r\nA : b\r\n\r\n", 0, WIRE_F_WS_BEFORE_COLON, 18, 1},
    {"HTTP/1.1 100\r\n\r\n", 0, WIRE_F_NO_SP_AFTER_CODE, 12, 1},
    {"HTTP/1.1 100\n\n", 0, WIRE_F_NO_SP_AFTER_CODE, 12, 1},
    {"XTTP/1.1 200 OK\r\n\r\n", 0, WIRE_F_BAD_STATUS_LINE, 0, 0},
    {"X", 0, WIRE_F_BAD_STATUS_LINE, 0, 0},
    {"HTTP/1.1 20x", 0, WIRE_F_BAD_STATUS_LINE, 11, 0},
    {"HTTP/1.1  200 OK\r\n\r\n", 0, WIRE_F_BAD_STATUS_LINE, 9, 0},
    {"HTTP/1.1 2000 OK\r\n\r\n", 0, WIRE_F_BAD_STATUS_LINE, 12, 0},
    {"HTTP/1.1 200\rX\r\n\r\n", 0, WIRE_F_BAD_STATUS_LINE, 12, 0},
    {"HTTP/11 200 OK\r\n\r\n", 0, WIRE_F_BAD_STATUS_LINE, 6, 0},
    {"\r\nHTTP/1.1 200 OK\r\n\r\n", 0, WIRE_F_BAD_STATUS_LINE, 0, 0},
    {"HTTP/1.2 200 OK\r\n\r\n", 0, WIRE_F_BAD_VERSION, 5, 1},
    {"HTTP/2.0 200 OK\r\n\r\n", 0, WIRE_F_BAD_VERSION, 5, 1},
    {"HTTP/1.1 099 Low\r\n\r\n", 0, WIRE_F_STATUS_CODE, 9, 1},
    {"HTTP/1.1 600 High\r\n\r\n", 0, WIRE_F_STATUS_CODE, 9, 1},
    {"HTTP/1.1 200 OK\r\nnocolon\r\n\r\n", 0, WIRE_F_BAD_FIELD, 24, 1},
    {"HTTP/1.1 200 OK\r\n: empty\r\n\r\n", 0, WIRE_F_BAD_FIELD, 17, 1},
    {"HTTP/1.1 200 OK\r\nA@b: c\r\n\r\n", 0, WIRE_F_BAD_FIELD, 18, 1},
    {"HTTP/1.1 200 OK\r\nA b: c\r\n\r\n", 0, WIRE_F_BAD_FIELD, 19, 1},
    {"HTTP/1.1 200 OK\r\nA: b\x01" "c\r\n\r\n", 0, WIRE_F_CTL_IN_FIELD, 21, 1},
    {"HTTP/1.1 200 OK\r\nA: b\x7f\r\n\r\n", 0, WIRE_F_CTL_IN_FIELD, 21, 1},
    {"HTTP/1.1 200 O\0K\r\n\r\n", 20, WIRE_F_CTL_IN_FIELD, 14, 1},
    {"HTTP/1.1 200 OK\r\nA: \0\r\n\r\n", 25, WIRE_F_CTL_IN_FIELD, 20, 1},
    {"HTTP/1.1 200 OK\r\nA: b\r\n \x02\r\n\r\n", 0, WIRE_F_CTL_IN_FIELD, 24, 1},
};

static bool finds(const wire_finding *f, size_t nf, wire_code code, size_t off)
{
    for (size_t i = 0; i < nf; i++)
        if (f[i].code == code && f[i].offset == off)
            return true;
    return false;
}

static void test_head_findings(void)
{
    for (size_t i = 0; i < sizeof head_findings / sizeof head_findings[0]; i++) {
        const fcase *c = &head_findings[i];
        size_t n = c->len ? c->len : strlen(c->in), nf = 0;
        wire_finding f[32];
        wire_msg m;
        long rc = wire_parse_head(guarded(c->in, n), n, 7, 100, &m, f, 32, &nf);
        CU_ASSERT_EQUAL(rc, c->ok ? (long)n : -1);
        if (!finds(f, nf, c->code, 7 + c->off))
            fprintf(stderr, "\n  case %zu: no %s at %zu\n", i, wire_code_name(c->code), c->off);
        CU_ASSERT(finds(f, nf, c->code, 7 + c->off));
        if (!c->ok)
            CU_ASSERT(nf > 0 && f[nf - 1].code == WIRE_F_BAD_STATUS_LINE);
    }
}

static void test_head_clean(void)
{
    for (size_t h = 0; h < 5; h++) { /* the first heads have no defect */
        size_t n = strlen(heads[h]), nf = 0;
        wire_finding f[8];
        wire_msg m;
        CU_ASSERT_EQUAL(wire_parse_head(guarded(heads[h], n), n, 0, 100, &m, f, 8, &nf), (long)n);
        CU_ASSERT_EQUAL(nf, 0);
    }
}

static void test_head_fcap(void)
{
    static const char s[] = "HTTP/2.0 099 X\x01\nA : b\r\n c\nnocolon\r\n\r\n";
    wire_finding f[3] = {{0, 0}, {0, 0}, {0, 0}};
    wire_msg m;
    size_t nf = 1, n = sizeof s - 1;
    CU_ASSERT_EQUAL(wire_parse_head(guarded(s, n), n, 0, 100, &m, f, 3, &nf), (long)n);
    CU_ASSERT_EQUAL(nf, 3); /* appended after the one already there, capped */
    CU_ASSERT_EQUAL(f[1].code, WIRE_F_BAD_VERSION);
    CU_ASSERT_EQUAL(f[2].code, WIRE_F_STATUS_CODE);
    nf = 0;
    CU_ASSERT_EQUAL(wire_parse_head(guarded(s, n), n, 0, 100, &m, f, 0, &nf), (long)n);
    CU_ASSERT_EQUAL(nf, 0);
}

/* ---- sample streams ------------------------------------------------------------------------- */

static void test_continue_then_200(void)
{
    static const char s[] = "HTTP/1.1 100 Continue\r\n\r\n"
                            "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
    size_t b = at(s, "HTTP/1.1 200"), n = sizeof s - 1;
    run_str(s, "G", NULL, &T);
    CU_ASSERT_EQUAL_FATAL(T.nev, 3);
    ev_is(&T.ev[0], 100, 0, b, b, 0, WIRE_BODY_NONE);
    CU_ASSERT(T.ev[0].interim);
    ev_is(&T.ev[1], 200, b, n - 5, n, 5, WIRE_BODY_LENGTH);
    CU_ASSERT_EQUAL(T.ev[1].minor, 1);
    CU_ASSERT_EQUAL(T.ev[1].nfields, 1);
    CU_ASSERT_EQUAL(T.ev[2].kind, WIRE_DONE);
    CU_ASSERT_EQUAL(T.nf, 0);
}

static void test_interims_then_chunked(void)
{
    static const char s[] = "HTTP/1.1 102 Processing\r\n\r\n"
                            "HTTP/1.1 102 Processing\r\n\r\n"
                            "HTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n\r\n"
                            "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
                            "5;ext=1\r\nhello\r\n6 ; a=\"b\"\r\n world\r\nA\r\n0123456789\r\n"
                            "0\r\nX-Trailer: 1\r\nY: 2\r\n\r\n"
                            "HTTP/1.1 204 No Content\r\n\r\n";
    size_t b2 = at(s, "HTTP/1.1 102") + 27, b3 = at(s, "HTTP/1.1 103"),
           b4 = at(s, "HTTP/1.1 200"), b5 = at(s, "HTTP/1.1 204"), n = sizeof s - 1;
    run_str(s, NULL, NULL, &T);
    CU_ASSERT_EQUAL_FATAL(T.nev, 6);
    ev_is(&T.ev[0], 102, 0, b2, b2, 0, WIRE_BODY_NONE);
    ev_is(&T.ev[1], 102, b2, b3, b3, 0, WIRE_BODY_NONE);
    ev_is(&T.ev[2], 103, b3, b4, b4, 0, WIRE_BODY_NONE);
    CU_ASSERT_EQUAL(T.ev[2].nfields, 1);
    ev_is(&T.ev[3], 200, b4, at(s, "5;ext"), b5, 21, WIRE_BODY_CHUNKED);
    ev_is(&T.ev[4], 204, b5, n, n, 0, WIRE_BODY_NONE);
    CU_ASSERT_EQUAL(T.ev[5].kind, WIRE_DONE);
    CU_ASSERT_EQUAL(T.nf, 0);
}

static void test_switching(void)
{
    static const char s[] = "HTTP/1.1 100 Continue\r\n\r\n"
                            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                            "Connection: Upgrade\r\n\r\n\x81\x05hello"
                            "HTTP/1.1 200 OK\r\n\r\n";
    size_t b = at(s, "HTTP/1.1 101"), raw = at(s, "\x81");
    run_str(s, "G", NULL, &T);
    CU_ASSERT_EQUAL_FATAL(T.nev, 3);
    ev_is(&T.ev[0], 100, 0, b, b, 0, WIRE_BODY_NONE);
    ev_is(&T.ev[1], 101, b, raw, raw, 0, WIRE_BODY_NONE);
    CU_ASSERT(T.ev[1].interim);
    CU_ASSERT_EQUAL(T.ev[2].kind, WIRE_RAW);
    CU_ASSERT_EQUAL(T.raw_off, raw);
}

static void test_head_request(void)
{
    static const char s[] = "HTTP/1.1 100 Continue\r\n\r\n"
                            "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n"
                            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                            "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi";
    size_t b1 = at(s, "HTTP/1.1 200"), b2 = at(s, "HTTP/1.1 200 OK\r\nT"),
           b3 = at(s, "HTTP/1.1 200 OK\r\nContent-Length: 2"), n = sizeof s - 1;
    run_str(s, "HHG", NULL, &T);
    CU_ASSERT_EQUAL_FATAL(T.nev, 5);
    ev_is(&T.ev[0], 100, 0, b1, b1, 0, WIRE_BODY_NONE);
    ev_is(&T.ev[1], 200, b1, b2, b2, 0, WIRE_BODY_NONE);
    ev_is(&T.ev[2], 200, b2, b3, b3, 0, WIRE_BODY_NONE);
    ev_is(&T.ev[3], 200, b3, n - 2, n, 2, WIRE_BODY_LENGTH);
    CU_ASSERT_EQUAL(T.ev[4].kind, WIRE_DONE);
    /* without the queue the first response's Content-Length is a body */
    run_str(s, NULL, NULL, &T);
    CU_ASSERT_EQUAL_FATAL(T.nev, 2);
    CU_ASSERT_EQUAL(T.ev[1].kind, WIRE_ERROR);
    CU_ASSERT(has(&T, WIRE_F_TRUNCATED, n));
}

static void test_204_304(void)
{
    static const char s[] = "HTTP/1.1 204 No Content\r\nContent-Length: 7\r\n\r\n"
                            "HTTP/1.1 304 Not Modified\r\nContent-Length: 42\r\n\r\n"
                            "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
    size_t b1 = at(s, "HTTP/1.1 304"), b2 = at(s, "HTTP/1.1 200"), n = sizeof s - 1;
    run_str(s, "GGG", NULL, &T);
    CU_ASSERT_EQUAL_FATAL(T.nev, 4);
    ev_is(&T.ev[0], 204, 0, b1, b1, 0, WIRE_BODY_NONE);
    ev_is(&T.ev[1], 304, b1, b2, b2, 0, WIRE_BODY_NONE);
    ev_is(&T.ev[2], 200, b2, n, n, 0, WIRE_BODY_NONE);
    CU_ASSERT_EQUAL(T.ev[3].kind, WIRE_DONE);
}

static void test_close_delimited(void)
{
    static const char s[] = "HTTP/1.0 200 OK\r\nServer: x\r\n\r\nabc\r\nHTTP/1.1 200 OK\r\n";
    size_t h = at(s, "abc"), n = sizeof s - 1;
    run_str(s, NULL, NULL, &T);
    CU_ASSERT_EQUAL_FATAL(T.nev, 2);
    ev_is(&T.ev[0], 200, 0, h, n, n - h, WIRE_BODY_CLOSE);
    CU_ASSERT(T.ev[0].eof_ended);
    CU_ASSERT_EQUAL(T.ev[0].minor, 0);
    CU_ASSERT_EQUAL(T.ev[1].kind, WIRE_DONE);
    /* Transfer-Encoding without chunked last: also read to EOF */
    static const char s2[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\nxyz";
    run_str(s2, NULL, NULL, &T);
    CU_ASSERT_EQUAL_FATAL(T.nev, 2);
    ev_is(&T.ev[0], 200, 0, at(s2, "xyz"), sizeof s2 - 1, 3, WIRE_BODY_CLOSE);
}

static void test_content_length_lists(void)
{
    static const char s[] = "HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\ncontent-length: 5\r\n\r\n"
                            "helloHTTP/1.1 204 X\r\n\r\n";
    run_str(s, NULL, NULL, &T);
    CU_ASSERT_EQUAL_FATAL(T.nev, 3);
    ev_is(&T.ev[0], 200, 0, at(s, "hello"), at(s, "HTTP/1.1 204"), 5, WIRE_BODY_LENGTH);
    CU_ASSERT_EQUAL(T.nf, 0);
}

/* ---- stream findings ------------------------------------------------------------------------ */

typedef struct scase {
    const char *in;
    const char *needle; /* the finding is at the first occurrence of this */
    size_t plus;        /* ... plus this many bytes; needle NULL: at the stream's end */
    wire_code code;
    int last;           /* expected last event */
} scase;

static const scase stream_findings[] = {
    {"HTTP/1.1 100 Continue\r\nContent-Length: 5\r\n\r\nHTTP/1.1 204 X\r\n\r\n",
     "Content-Length", 0, WIRE_F_CL_IN_1XX, WIRE_DONE},
    {"HTTP/1.1 103 Hints\r\nA: b\r\nTransfer-Encoding: chunked\r\n\r\nHTTP/1.1 204 X\r\n\r\n",
     "Transfer", 0, WIRE_F_TE_IN_1XX, WIRE_DONE},
    {"HTTP/1.1 100 Continue\r\n\r\nhello\r\nHTTP/1.1 204 X\r\n\r\n", "hello", 0,
     WIRE_F_CONTENT_AFTER_1XX, WIRE_DONE},
    {"HTTP/1.1 100 Continue\r\n\r\n\r\nHTTP/1.1 204 X\r\n\r\n", "\r\nHTTP/1.1 204", 0,
     WIRE_F_CONTENT_AFTER_1XX, WIRE_DONE},
    {"HTTP/1.1 100 Continue\r\n\r\nHTTPX\r\nxHTTP/1.1 200\r\n", "HTTPX", 0,
     WIRE_F_CONTENT_AFTER_1XX, WIRE_DONE},
    {"HTTP/1.1 200 OK\r\nContent-Length: 5x\r\n\r\nhello", "5x", 1,
     WIRE_F_BAD_CONTENT_LENGTH, WIRE_ERROR},
    {"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello", "6", 0,
     WIRE_F_BAD_CONTENT_LENGTH, WIRE_ERROR},
    {"HTTP/1.1 200 OK\r\nContent-Length: 5 , 6\r\n\r\nhello", "6", 0,
     WIRE_F_BAD_CONTENT_LENGTH, WIRE_ERROR},
    {"HTTP/1.1 200 OK\r\nContent-Length: 5,,5\r\n\r\nhello", ",5", 0,
     WIRE_F_BAD_CONTENT_LENGTH, WIRE_ERROR},
    {"HTTP/1.1 200 OK\r\nContent-Length: \r\n\r\n", "\r\n\r\n", 0, WIRE_F_BAD_CONTENT_LENGTH,
     WIRE_ERROR},
    {"HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n", "999", 19,
     WIRE_F_BAD_CONTENT_LENGTH, WIRE_ERROR},
    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "zz", 0, WIRE_F_BAD_CHUNK,
     WIRE_ERROR},
    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloX\r\n", "X", 0,
     WIRE_F_BAD_CHUNK, WIRE_ERROR},
    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\rX", "X", 0,
     WIRE_F_BAD_CHUNK, WIRE_ERROR},
    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\n", "5\n", 1, WIRE_F_BAD_CHUNK,
     WIRE_ERROR},
    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5 x\r\n", "5 x", 2, WIRE_F_BAD_CHUNK,
     WIRE_ERROR},
    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;a\x01\r\n", "\x01", 0,
     WIRE_F_BAD_CHUNK, WIRE_ERROR},
    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n11111111111111111\r\n", "\r\n1", 18,
     WIRE_F_BAD_CHUNK, WIRE_ERROR},
    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nT: 1\n\r\n", "1\n", 1,
     WIRE_F_BAD_CHUNK, WIRE_ERROR},
    {"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
     "Transfer", 0, WIRE_F_CL_AND_TE, WIRE_DONE},
    {"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", NULL, 0, WIRE_F_TRUNCATED, WIRE_ERROR},
    {"HTTP/1.1 200 OK\r\nA: b", NULL, 0, WIRE_F_TRUNCATED, WIRE_ERROR},
    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel", NULL, 0, WIRE_F_TRUNCATED,
     WIRE_ERROR},
    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nT: 1\r\n", NULL, 0,
     WIRE_F_TRUNCATED, WIRE_ERROR},
    {"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n\r", NULL, 0, WIRE_F_TRUNCATED,
     WIRE_ERROR},
    {"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 2", NULL, 0, WIRE_F_TRUNCATED, WIRE_ERROR},
    {"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\nJUNK", "JUNK", 0, WIRE_F_BAD_STATUS_LINE,
     WIRE_ERROR},
    {"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 20x\r\n\r\n", "x", 0, WIRE_F_BAD_STATUS_LINE,
     WIRE_ERROR},
    {"HTTP/1.1 100 Continue\r\nA: b\n\r\n", "\n\r\n", 0, WIRE_F_BARE_LF, WIRE_DONE},
};

static void test_stream_findings(void)
{
    for (size_t i = 0; i < sizeof stream_findings / sizeof stream_findings[0]; i++) {
        const scase *c = &stream_findings[i];
        size_t n = strlen(c->in);
        size_t off = c->needle ? at(c->in, c->needle) + c->plus : n;
        run_all(c->in, n, NULL, NULL, &T);
        bool ok = has(&T, c->code, off);
        if (!ok)
            fprintf(stderr, "  (stream case %zu)\n", i);
        CU_ASSERT(ok);
        CU_ASSERT(T.nev > 0 && T.ev[T.nev - 1].kind == c->last);
    }
}

static void test_content_after_1xx_details(void)
{
    static const char s[] = "HTTP/1.1 100 Continue\r\n\r\nhello\r\nHTTP/1.1 200 OK\r\n"
                            "Content-Length: 0\r\n\r\n";
    run_str(s, NULL, NULL, &T);
    CU_ASSERT_EQUAL_FATAL(T.nev, 3);
    CU_ASSERT_EQUAL(T.nf, 1);
    ev_is(&T.ev[1], 200, at(s, "HTTP/1.1 200"), sizeof s - 1, sizeof s - 1, 0, WIRE_BODY_NONE);
    /* garbage and then EOF: the stream is over, the garbage was reported once */
    static const char s2[] = "HTTP/1.1 100 Continue\r\n\r\nno status line follows\r\nHTTP/1";
    run_str(s2, NULL, NULL, &T);
    CU_ASSERT_EQUAL_FATAL(T.nev, 2);
    CU_ASSERT_EQUAL(T.ev[1].kind, WIRE_DONE);
    CU_ASSERT_EQUAL(T.nf, 1);
}

/* A finding of a head that arrives in pieces is reported once, with the message. */
static void test_findings_once(void)
{
    static const char s[] = "HTTP/1.1 100\nA : b\r\n c\r\n\r\nHTTP/1.1 204 X\r\n\r\n";
    run_str(s, NULL, NULL, &T);
    CU_ASSERT_EQUAL(T.nf, 4);
    CU_ASSERT(has(&T, WIRE_F_NO_SP_AFTER_CODE, 12));
    CU_ASSERT(has(&T, WIRE_F_BARE_LF, 12));
    CU_ASSERT(has(&T, WIRE_F_WS_BEFORE_COLON, 14));
    CU_ASSERT(has(&T, WIRE_F_OBS_FOLD, 20));
}

/* ---- caps and fatal errors ------------------------------------------------------------------ */

static void test_head_too_large(void)
{
    static const char s[] = "HTTP/1.1 200 OK\r\nX-Long: aaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n";
    wire_limits lim = {32, 100, 1000};
    run_str(s, NULL, &lim, &T);
    CU_ASSERT_EQUAL_FATAL(T.nev, 1);
    CU_ASSERT_EQUAL(T.ev[0].kind, WIRE_ERROR);
    CU_ASSERT(has(&T, WIRE_F_HEAD_TOO_LARGE, 32));
    /* a head of exactly max_head bytes fits */
    lim.max_head = sizeof s - 1;
    run_str(s, NULL, &lim, &T);
    CU_ASSERT_EQUAL_FATAL(T.nev, 2);
    CU_ASSERT_EQUAL(T.ev[0].kind, WIRE_MSG);
    /* a status line that never ends, under the default limit */
    static char big[70000];
    memcpy(big, "HTTP/1.1 200 ", 13);
    memset(big + 13, 'a', sizeof big - 13);
    run(big, sizeof big, 0, NULL, NULL, &T);
    CU_ASSERT(T.nev == 1 && T.ev[0].kind == WIRE_ERROR && has(&T, WIRE_F_HEAD_TOO_LARGE, 65536));
    run(big, sizeof big, 4096, NULL, NULL, &T);
    CU_ASSERT(T.nev == 1 && T.ev[0].kind == WIRE_ERROR && has(&T, WIRE_F_HEAD_TOO_LARGE, 65536));
}

static void test_too_many_interim(void)
{
    static const char s[] = "HTTP/1.1 100 A\r\n\r\nHTTP/1.1 102 B\r\n\r\n"
                            "HTTP/1.1 204 C\r\n\r\n"
                            "HTTP/1.1 100 D\r\n\r\nHTTP/1.1 100 E\r\n\r\nHTTP/1.1 103 F\r\n\r\n"
                            "HTTP/1.1 200 G\r\n\r\n";
    wire_limits lim = {1024, 10, 2};
    run_str(s, NULL, &lim, &T);
    CU_ASSERT_EQUAL_FATAL(T.nev, 6); /* 100 102 204 100 100 error */
    CU_ASSERT_EQUAL(T.ev[2].status, 204);
    CU_ASSERT_EQUAL(T.ev[5].kind, WIRE_ERROR);
    CU_ASSERT(has(&T, WIRE_F_TOO_MANY_INTERIM, at(s, "HTTP/1.1 103")));
}

static void test_too_many_fields(void)
{
    static const char s[] = "HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nC: 3\r\n D\r\nE: 4\r\n"
                            "Content-Length: 0\r\n\r\n";
    wire_limits lim = {1024, 2, 10};
    wire_msg m;
    wire_finding f[8];
    size_t nf = 0, n = sizeof s - 1;
    CU_ASSERT_EQUAL(wire_parse_head(guarded(s, n), n, 0, 2, &m, f, 8, &nf), (long)n);
    CU_ASSERT_EQUAL(m.nfields, 2);
    CU_ASSERT(finds(f, nf, WIRE_F_TOO_MANY_FIELDS, at(s, "C: 3")));
    CU_ASSERT(finds(f, nf, WIRE_F_OBS_FOLD, at(s, " D")));
    CU_ASSERT_EQUAL(nf, 2); /* once, however many fields are dropped */
    CU_ASSERT_EQUAL(m.fields[1].value_len, 1); /* the fold of a dropped field is dropped too */
    /* Content-Length was dropped, so the reader sees a close-delimited body */
    run_str(s, NULL, &lim, &T);
    CU_ASSERT_EQUAL_FATAL(T.nev, 2);
    CU_ASSERT_EQUAL(T.ev[0].nfields, 2);
    CU_ASSERT_EQUAL(T.ev[0].framing, WIRE_BODY_CLOSE);
    /* the per-message cap cannot exceed WIRE_MAX_FIELDS */
    static char many[8192];
    size_t len = 0;
    len += (size_t)snprintf(many, sizeof many, "HTTP/1.1 204 X\r\n");
    for (int i = 0; i < 200; i++)
        len += (size_t)snprintf(many + len, sizeof many - len, "F%d: v\r\n", i);
    len += (size_t)snprintf(many + len, sizeof many - len, "\r\n");
    nf = 0;
    CU_ASSERT_EQUAL(wire_parse_head(guarded(many, len), len, 0, 1000, &m, f, 8, &nf), (long)len);
    CU_ASSERT_EQUAL(m.nfields, WIRE_MAX_FIELDS);
    lim.max_fields = 1000;
    lim.max_head = sizeof many;
    run(many, len, 0, NULL, &lim, &T);
    CU_ASSERT(T.nev == 2 && T.ev[0].nfields == WIRE_MAX_FIELDS);
    run(many, len, 0, NULL, NULL, &T);
    CU_ASSERT(T.nev == 2 && T.ev[0].nfields == 100);
}

/* wire_next copies at most fcap findings. */
static void test_next_fcap(void)
{
    static const char s[] = "HTTP/1.2 100\nA : b\r\n\r\n";
    wire_reader r;
    wire_msg m;
    wire_finding f[2];
    size_t nf = 99;
    wire_init(&r, NULL);
    CU_ASSERT_EQUAL(wire_next(&r, s, sizeof s - 1, false, &m, f, 2, &nf), WIRE_MSG);
    CU_ASSERT_EQUAL(nf, 2);
    CU_ASSERT(f[0].code == WIRE_F_BAD_VERSION && f[1].code == WIRE_F_NO_SP_AFTER_CODE);
    CU_ASSERT_EQUAL(wire_next(&r, s, sizeof s - 1, false, &m, f, 2, &nf), WIRE_NEED_MORE);
    CU_ASSERT_EQUAL(nf, 0);
}

/* A body that ends in a later call: the message comes back whole, fields included, in
 * whatever message the caller passes then, and the head's findings are reported once. */
static void test_body_across_calls(void)
{
    static const char s[] = "HTTP/1.1 200 OK\r\nX-A : 1\r\nContent-Length: 10\r\n\r\n12345"
                            "67890";
    size_t part = sizeof s - 1 - 5;
    wire_reader r;
    wire_init(&r, NULL);
    wire_msg *a = calloc(1, sizeof *a), *b = calloc(1, sizeof *b);
    wire_finding f[16];
    size_t nf = 0;
    CU_ASSERT_EQUAL(wire_next(&r, s, part, false, a, f, 16, &nf), WIRE_NEED_MORE);
    CU_ASSERT_EQUAL(nf, 1);
    memset(a, 0xa5, sizeof *a); /* the first message may be reused by anyone meanwhile */
    CU_ASSERT_EQUAL(wire_next(&r, s, sizeof s - 1, false, b, f, 16, &nf), WIRE_MSG);
    CU_ASSERT_EQUAL(nf, 0);
    CU_ASSERT_EQUAL(b->status, 200);
    CU_ASSERT_EQUAL(b->framing, WIRE_BODY_LENGTH);
    CU_ASSERT_EQUAL(b->body_len, 10);
    CU_ASSERT_EQUAL(b->end, sizeof s - 1);
    CU_ASSERT_EQUAL(b->nfields, 2);
    const wire_field *cl = wire_find(b, s, "content-length", NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(cl);
    CU_ASSERT_EQUAL(cl->value_len, 2);
    CU_ASSERT(wire_find(b, s, "x-a", NULL) == &b->fields[0]);
    free(a);
    free(b);
}

static void test_fatal_is_sticky(void)
{
    static const char bad[] = "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n";
    static const char good[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
    wire_reader r;
    wire_msg m;
    wire_finding f[4];
    size_t nf;
    wire_init(&r, NULL);
    CU_ASSERT_EQUAL(wire_next(&r, bad, sizeof bad - 1, false, &m, f, 4, &nf), WIRE_ERROR);
    CU_ASSERT(nf == 1 && f[0].code == WIRE_F_BAD_CONTENT_LENGTH);
    CU_ASSERT(r.failed);
    for (int i = 0; i < 3; i++) {
        nf = 99;
        CU_ASSERT_EQUAL(wire_next(&r, good, sizeof good - 1, i == 2, &m, f, 4, &nf), WIRE_ERROR);
        CU_ASSERT_EQUAL(nf, 0);
    }
}

/* ---- small API ------------------------------------------------------------------------------ */

static void test_names(void)
{
    static const char *const names[] = {
        "bare-lf", "obs-fold", "ws-before-colon", "no-sp-after-code", "cl-in-1xx", "te-in-1xx",
        "content-after-1xx", "bad-status-line", "bad-version", "bad-field", "head-too-large",
        "too-many-fields", "too-many-interim", "bad-content-length", "bad-chunk", "cl-and-te",
        "ctl-in-field", "truncated", "bare-cr", "status-code",
    };
    for (int c = WIRE_F_BARE_LF; c <= WIRE_F_STATUS_CODE; c++) {
        CU_ASSERT_STRING_EQUAL(wire_code_name((wire_code)c), names[c - 1]);
        const char *why = wire_code_reason((wire_code)c);
        CU_ASSERT(why != NULL && strlen(why) > 10 && strchr(why, '\n') == NULL);
    }
    CU_ASSERT_PTR_NOT_NULL(wire_code_name((wire_code)0));
    CU_ASSERT_PTR_NOT_NULL(wire_code_name((wire_code)999));
    CU_ASSERT_PTR_NOT_NULL(wire_code_reason((wire_code)999));
    wire_limits lim;
    wire_limits_default(&lim);
    CU_ASSERT(lim.max_head == 65536 && lim.max_fields == 100 && lim.max_interim == 1000);
}

static void test_find_and_tokens(void)
{
    static const char s[] = "HTTP/1.1 101 Switching\r\nConnection: keep-alive\r\n"
                            "connection: foo, Upgrade\r\nUPGRADE: h2c,  WebSocket \r\n\r\n";
    wire_msg m;
    wire_finding f[4];
    size_t nf = 0, n = sizeof s - 1;
    CU_ASSERT_EQUAL_FATAL(wire_parse_head(s, n, 0, 100, &m, f, 4, &nf), (long)n);
    const wire_field *a = wire_find(&m, s, "CONNECTION", NULL);
    CU_ASSERT_PTR_EQUAL(a, &m.fields[0]);
    const wire_field *b = wire_find(&m, s, "connection", a);
    CU_ASSERT_PTR_EQUAL(b, &m.fields[1]);
    CU_ASSERT_PTR_NULL(wire_find(&m, s, "connection", b));
    CU_ASSERT_PTR_NULL(wire_find(&m, s, "connectio", NULL));
    CU_ASSERT(wire_has_token(&m, s, "Connection", "upgrade"));
    CU_ASSERT(wire_has_token(&m, s, "upgrade", "websocket"));
    CU_ASSERT(!wire_has_token(&m, s, "upgrade", "web"));
    CU_ASSERT(!wire_has_token(&m, s, "x-none", "upgrade"));
}

/* 70 requests noted, the 64th and 65th HEAD: the queue keeps 64, so only the 64th response
 * goes without a body; the 65th is taken as answering a GET. */
static void test_request_queue(void)
{
    static const char with[] = "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx";
    static char s[66 * sizeof with];
    size_t n = 0, nf, ends[66];
    for (int i = 0; i < 66; i++) {
        size_t l = sizeof with - (i == 63 ? 2 : 1);
        memcpy(s + n, with, l);
        ends[i] = n += l;
    }
    wire_reader r;
    wire_msg m;
    wire_init(&r, NULL);
    for (int i = 0; i < 70; i++)
        wire_note_request(&r, i == 63 || i == 64);
    for (int i = 0; i < 66; i++) {
        CU_ASSERT_EQUAL_FATAL(wire_next(&r, s, n, true, &m, NULL, 0, &nf), WIRE_MSG);
        CU_ASSERT_EQUAL(m.framing, i == 63 ? WIRE_BODY_NONE : WIRE_BODY_LENGTH);
        CU_ASSERT_EQUAL(m.end, ends[i]);
    }
    CU_ASSERT_EQUAL(wire_next(&r, s, n, true, &m, NULL, 0, &nf), WIRE_DONE);
}

/* ---- garbage -------------------------------------------------------------------------------- */

static void test_garbage(void)
{
    static const struct { const char *s; size_t n; } inputs[] = {
        {"\0\0\0", 3}, {"HTTP/1.1 2", 10}, {"", 0}, {"\r\n\r\n", 4}, {"HTTP/", 5},
        {"HTTP/1.1 200 OK\r\n\r\n", 19}, {"HTTP/1.1 100 C\r\n\r\n\0", 19},
        {"HTTP/1.1 101 S\r\n\r\n", 18}, {"\xff\xfe\xfd", 3}, {"H\0TTP", 5},
    };
    for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
        run_all(inputs[i].s, inputs[i].n, NULL, NULL, &T);
        CU_ASSERT(T.nev >= 1);
    }
}

static uint32_t rnd_state = 2463534242u;

static uint32_t rnd(void)
{
    rnd_state ^= rnd_state << 13;
    rnd_state ^= rnd_state >> 17;
    rnd_state ^= rnd_state << 5;
    return rnd_state;
}

static const char *pick(const char *const *v, size_t n)
{
    return v[rnd() % n];
}

#define PICK(v) pick(v, sizeof v / sizeof v[0])

static void put(char *out, size_t cap, size_t *n, const char *s)
{
    size_t l = strlen(s);
    if (*n + l <= cap) {
        memcpy(out + *n, s, l);
        *n += l;
    }
}

/* One message from pieces of HTTP, mostly well-formed so that the reader gets deep. */
static void random_msg(char *out, size_t cap, size_t *n)
{
    static const char *const vers[] = {"HTTP/1.1 ", "HTTP/1.1 ", "HTTP/1.0 ", "HTTP/2.0 ",
                                       "HTTP/1."};
    static const char *const codes[] = {"100", "100", "101", "102", "103", "200", "200", "204",
                                        "304", "099", "600", "20"};
    static const char *const reasons[] = {" OK", " ", "", " Continue", " \x01x"};
    static const char *const eols[] = {"\r\n", "\r\n", "\r\n", "\r\n", "\r\n", "\n", "\r"};
    static const char *const names[] = {"Content-Length", "Transfer-Encoding", "Link", "X",
                                        " fold", "bad name", "", "A "};
    static const char *const values[] = {"0", "3", "5", "5, 5", "x", "chunked", "gzip, chunked",
                                         "chunked, gzip", "", " v\t"};
    static const char *const bodies[] = {"", "abc", "hello", "3\r\nabc\r\n0\r\n\r\n",
                                         "5;e=1\r\nhello\r\n0\r\nT: 1\r\n\r\n", "0\r\n\r\n",
                                         "zz\r\n", "\r\n"};
    put(out, cap, n, PICK(vers));
    put(out, cap, n, PICK(codes));
    put(out, cap, n, PICK(reasons));
    put(out, cap, n, PICK(eols));
    for (uint32_t f = rnd() % 4; f > 0; f--) {
        put(out, cap, n, PICK(names));
        put(out, cap, n, ": ");
        put(out, cap, n, PICK(values));
        put(out, cap, n, PICK(eols));
    }
    put(out, cap, n, PICK(eols));
    put(out, cap, n, PICK(bodies));
}

/* A few messages, then a few random byte changes. */
static size_t random_stream(char *out, size_t cap)
{
    size_t n = 0;
    for (uint32_t m = 1 + rnd() % 4; m > 0; m--)
        random_msg(out, cap, &n);
    for (uint32_t k = rnd() % 3; k > 0 && n > 0; k--) {
        size_t i = rnd() % n;
        if (rnd() % 2)
            out[i] = (char)rnd();
        else
            memmove(out + i, out + i + 1, --n - i);
    }
    return n;
}

static void test_random(void)
{
    static const wire_limits lims[] = {{65536, 100, 1000}, {48, 1, 1}, {160, 2, 2}};
    static trace whole, other;
    char buf[1024];
    for (int i = 0; i < 2000; i++) {
        size_t n = random_stream(buf, sizeof buf);
        const wire_limits *lim = &lims[i % 3];
        const char *reqs = (i % 5 == 0) ? "HGH" : NULL;
        run(buf, n, 0, reqs, lim, &whole);
        run(buf, n, 1, reqs, lim, &other);
        CU_ASSERT(same_trace(&whole, &other, 1));
        run(buf, n, 5, reqs, lim, &other);
        CU_ASSERT(same_trace(&whole, &other, 5));
    }
}

/* ---- registration --------------------------------------------------------------------------- */

void register_wire_tests(void)
{
    static const struct { const char *name; CU_TestFunc fn; } tests[] = {
        {"every prefix of a head needs more", test_prefixes},
        {"head fields and values", test_parse_values},
        {"head findings and offsets", test_head_findings},
        {"clean heads have no findings", test_head_clean},
        {"findings stop at fcap", test_head_fcap},
        {"100 then 200 with Content-Length", test_continue_then_200},
        {"102 102 103 then chunked with trailers", test_interims_then_chunked},
        {"101 then raw bytes", test_switching},
        {"responses to HEAD have no body", test_head_request},
        {"204 and 304 have no body", test_204_304},
        {"close-delimited body", test_close_delimited},
        {"Content-Length lists", test_content_length_lists},
        {"stream findings and offsets", test_stream_findings},
        {"content after a 1xx is skipped", test_content_after_1xx_details},
        {"findings of a split head reported once", test_findings_once},
        {"head too large", test_head_too_large},
        {"too many interim responses", test_too_many_interim},
        {"too many fields", test_too_many_fields},
        {"wire_next findings stop at fcap", test_next_fcap},
        {"fatal errors stay fatal", test_fatal_is_sticky},
        {"a body across calls keeps its fields", test_body_across_calls},
        {"code names and limits", test_names},
        {"wire_find and wire_has_token", test_find_and_tokens},
        {"request queue of 64", test_request_queue},
        {"garbage inputs", test_garbage},
        {"random streams, any split", test_random},
    };
    CU_pSuite s = CU_add_suite("wire", guard_init, guard_clean);
    if (s == NULL)
        return;
    for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++)
        CU_add_test(s, tests[i].name, tests[i].fn);
}
