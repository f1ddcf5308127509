/* Fuzz harness for the wire reader (libFuzzer; also built with suite/fuzz/replay.c to replay
 * the corpus and the regressions without clang).
 *
 * Input: byte 0 picks a split point, byte 1 the limits, the HEAD requests and a chunk size;
 * the rest is the stream a server sent. The stream is read three ways: whole, in two parts
 * split at the chosen byte, and in chunks of 1 to 16 bytes. The three traces (every message
 * with all its fields, every finding, the final status) must be identical: a verdict may depend
 * on the bytes only, never on how they arrived. Each message and finding is checked against
 * the stream's bounds. wire_parse_head() alone is run on the same bytes and checked against its
 * contract (bytes consumed / -1 / -2, no findings on -2, a head's prefix is -2). Any violation
 * aborts, which libFuzzer reports as a crash. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static void die(const char *what, size_t a, size_t b)
{
    fprintf(stderr, "fuzz_wire: %s (%zu, %zu)\n", what, a, b);
    abort();
}

/* ---- one reading of the stream ------------------------------------------------------------- */

typedef struct trace {
    buf_t b;      /* serialised events */
    size_t nmsgs; /* messages seen */
} trace;

static void put(trace *t, const void *p, size_t n)
{
    buf_append(&t->b, p, n);
}

static void check_msg(const wire_msg *m, size_t len)
{
    if (!(m->start < m->head_end && m->head_end <= m->end && m->end <= len))
        die("message bounds", m->start, m->end);
    if (m->status < 0 || m->status > 999 || m->nfields > WIRE_MAX_FIELDS)
        die("status or field count", (size_t)m->status, m->nfields);
    if (m->reason_off < m->start || m->reason_off + m->reason_len > m->head_end)
        die("reason bounds", m->reason_off, m->reason_len);
    for (size_t i = 0; i < m->nfields; i++) {
        const wire_field *f = &m->fields[i];
        if (f->name_off < m->start || f->name_off + f->name_len > m->head_end ||
            f->value_off < m->start || f->value_off + f->value_len > m->head_end)
            die("field bounds", f->name_off, f->value_off);
    }
    if (m->interim != (m->status >= 100 && m->status <= 199))
        die("interim flag", (size_t)m->status, m->interim);
}

static void put_msg(trace *t, const wire_msg *m)
{
    /* field by field: the struct has padding and unused field slots */
    size_t v[] = {m->start, m->head_end, m->end, (size_t)m->minor, (size_t)m->status,
                  m->interim, m->reason_off, m->reason_len, m->nfields, m->framing,
                  (size_t)m->body_len, m->eof_ended};
    put(t, "M", 1);
    put(t, v, sizeof v);
    for (size_t i = 0; i < m->nfields; i++) {
        const wire_field *f = &m->fields[i];
        size_t w[] = {f->name_off, f->name_len, f->value_off, f->value_len};
        put(t, w, sizeof w);
    }
    t->nmsgs++;
}

/* Calls wire_next on stream[0, len) until it wants more; returns the last status. */
static int pump(wire_reader *r, trace *t, const char *s, size_t len, size_t full, bool eof)
{
    for (;;) {
        wire_msg m;
        wire_finding f[16];
        size_t nf = 0;
        int rc = wire_next(r, s, len, eof, &m, f, 16, &nf);
        for (size_t i = 0; i < nf; i++) {
            if (f[i].offset > full)
                die("finding offset past the stream", f[i].offset, full);
            size_t w[] = {f[i].code, f[i].offset};
            put(t, "F", 1);
            put(t, w, sizeof w);
        }
        if (rc != WIRE_MSG)
            return rc;
        check_msg(&m, len);
        put_msg(t, &m);
        if (t->nmsgs > full + 1)
            die("more messages than bytes", t->nmsgs, full);
    }
}

static void finish(trace *t, const wire_reader *r, int rc)
{
    size_t w[] = {(size_t)(rc + 8), rc == WIRE_RAW ? wire_raw_offset(r) : 0};
    put(t, "E", 1);
    put(t, w, sizeof w);
}

static bool terminal(int rc)
{
    return rc == WIRE_ERROR || rc == WIRE_RAW || rc == WIRE_DONE;
}

static void start(wire_reader *r, const wire_limits *lim, unsigned heads)
{
    wire_init(r, lim);
    for (int i = 0; i < 3; i++)
        wire_note_request(r, (heads >> i) & 1);
}

/* Feeds the stream in the given part ends (the last is len), then EOF. */
static void read_parts(trace *t, const wire_limits *lim, unsigned heads, const char *s,
                       size_t len, const size_t *ends, size_t nends)
{
    wire_reader r;
    start(&r, lim, heads);
    int rc = WIRE_NEED_MORE;
    for (size_t i = 0; i < nends && !terminal(rc); i++)
        rc = pump(&r, t, s, ends[i], len, false);
    if (!terminal(rc))
        rc = pump(&r, t, s, len, len, true);
    if (!terminal(rc))
        die("no final status after EOF", (size_t)(rc + 8), len);
    finish(t, &r, rc);
}

/* ---- wire_parse_head alone ------------------------------------------------------------------ */

static void check_parse_head(const char *s, size_t len)
{
    static wire_msg m, m2;
    wire_finding f[64];
    size_t nf = 0;
    long n = wire_parse_head(s, len, 7, WIRE_MAX_FIELDS, &m, f, 64, &nf);
    if (n == -2 && nf != 0)
        die("findings on need-more", nf, len);
    if (n == -1 && (nf == 0 || f[nf - 1].code != WIRE_F_BAD_STATUS_LINE))
        die("error without bad-status-line last", nf, len);
    if (n < -2 || n == 0 || n > (long)len)
        die("head length out of range", (size_t)n, len);
    if (n <= 0)
        return;
    m.start -= 7, m.head_end -= 7, m.end -= 7, m.reason_off -= 7;
    for (size_t i = 0; i < m.nfields; i++)
        m.fields[i].name_off -= 7, m.fields[i].value_off -= 7;
    check_msg(&m, (size_t)n);
    if (m.head_end != (size_t)n)
        die("head_end differs from the length returned", m.head_end, (size_t)n);
    size_t nf2 = 0;
    if (wire_parse_head(s, (size_t)n, 0, WIRE_MAX_FIELDS, &m2, f, 64, &nf2) != n || nf2 != nf)
        die("the head alone parses differently", (size_t)n, nf2);
    nf2 = 0;
    if (wire_parse_head(s, (size_t)n - 1, 0, WIRE_MAX_FIELDS, &m2, f, 64, &nf2) != -2)
        die("a head's prefix is not need-more", (size_t)n, len);
}

/* ---- entry point ---------------------------------------------------------------------------- */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    const char *s = (const char *)data + 2;
    size_t len = size - 2;
    size_t split = len * data[0] / 255;
    unsigned ctl = data[1];
    static const size_t heads[] = {256, 1024, 65536, 300};
    wire_limits lim = {heads[ctl & 3], (ctl & 4) ? 4 : 100, (ctl & 8) ? 3 : 1000};
    unsigned head_reqs = (ctl >> 4) & 7;
    size_t chunk = 1 + ((ctl >> 4) ^ data[0]) % 16;

    /* copies exactly len bytes: any read past the stream is caught by ASan */
    char *copy = xmalloc(len ? len : 1);
    memcpy(copy, s, len);

    trace whole, parts, chunks;
    buf_init(&whole.b, 0), buf_init(&parts.b, 0), buf_init(&chunks.b, 0);
    whole.nmsgs = parts.nmsgs = chunks.nmsgs = 0;
    size_t one[] = {len}, two[] = {split, len};
    read_parts(&whole, &lim, head_reqs, copy, len, one, 1);
    read_parts(&parts, &lim, head_reqs, copy, len, two, 2);
    size_t nends = len / chunk + 1;
    size_t *ends = xmalloc(nends * sizeof *ends);
    for (size_t i = 0; i < nends; i++)
        ends[i] = (i + 1) * chunk < len ? (i + 1) * chunk : len;
    read_parts(&chunks, &lim, head_reqs, copy, len, ends, nends);
    free(ends);
    if (whole.b.len != parts.b.len || memcmp(whole.b.data, parts.b.data, whole.b.len) != 0)
        die("whole and split readings differ (split at)", split, len);
    if (whole.b.len != chunks.b.len || memcmp(whole.b.data, chunks.b.data, whole.b.len) != 0)
        die("whole and chunked readings differ (chunk size)", chunk, len);
    buf_free(&whole.b), buf_free(&parts.b), buf_free(&chunks.b);

    check_parse_head(copy, len);
    free(copy);
    return 0;
}
