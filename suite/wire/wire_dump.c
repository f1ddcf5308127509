/* wire-dump: the runner's wire reader on one byte stream, for the differential check against a
 * second parser (suite/wire_diff.py, docs/wire-differential.md).
 *
 *   wire-dump [--requests N] [--head-bits B] < STREAM
 *
 * Reads the whole stream from stdin, then reads it with wire_next() as a client that sent N
 * requests (default 8; bit i of B set: request i was HEAD), with the default limits and EOF at
 * the end. Prints one JSON object: every message (status, version, fields in order, framing,
 * body length, offsets), the findings (stable name and offset), and how the stream ended
 * ("done", "need-more", "raw" after a 101, "error"). Exit 0, or 2 on bad usage or input. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "wire.h"

#define STREAM_MAX (64 * 1024 * 1024)

/* s[0,n) as a JSON string: bytes outside printable ASCII as \u00XX (latin-1, as h11 gives). */
static void json_str(const char *s, size_t n)
{
    putchar('"');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c < 0x20 || c >= 0x7f)
            printf("\\u%04x", c);
        else
            putchar(c);
    }
    putchar('"');
}

static const char *framing_name(wire_framing f)
{
    return f == WIRE_BODY_LENGTH ? "length" : f == WIRE_BODY_CHUNKED ? "chunked"
           : f == WIRE_BODY_CLOSE ? "close" : "none";
}

static void print_msg(const char *s, const wire_msg *m, bool first)
{
    printf("%s{\"status\": %d, \"minor\": %d, \"start\": %zu, \"head_end\": %zu, \"end\": %zu, "
           "\"framing\": \"%s\", \"body_len\": %llu, \"fields\": [", first ? "" : ", ", m->status,
           m->minor, m->start, m->head_end, m->end, framing_name(m->framing),
           (unsigned long long)m->body_len);
    for (size_t i = 0; i < m->nfields; i++) {
        const wire_field *f = &m->fields[i];
        printf("%s[", i ? ", " : "");
        json_str(s + f->name_off, f->name_len);
        printf(", ");
        json_str(s + f->value_off, f->value_len);
        printf("]");
    }
    printf("]}");
}

static int read_all(buf_t *b)
{
    char tmp[65536];
    size_t n;
    while ((n = fread(tmp, 1, sizeof tmp, stdin)) > 0)
        buf_append(b, tmp, n);
    return ferror(stdin) || b->truncated ? -1 : 0;
}

int main(int argc, char **argv)
{
    long nreq = 8, bits = 0;
    for (int i = 1; i < argc; i++) {
        long *to = !strcmp(argv[i], "--requests") ? &nreq : !strcmp(argv[i], "--head-bits") ? &bits
                                                                                         : NULL;
        if (!to || i + 1 >= argc || parse_long(argv[++i], 0, 63, to)) {
            fprintf(stderr, "usage: wire-dump [--requests N] [--head-bits B] < STREAM\n");
            return 2;
        }
    }
    buf_t b;
    buf_init(&b, STREAM_MAX);
    if (read_all(&b)) {
        fprintf(stderr, "wire-dump: cannot read the stream (or it is over 64 MiB)\n");
        return 2;
    }
    const char *s = b.data ? b.data : "";
    wire_reader r;
    wire_init(&r, NULL);
    for (long i = 0; i < nreq; i++)
        wire_note_request(&r, (bits >> i) & 1);
    wire_msg *m = xmalloc(sizeof *m);
    wire_finding f[16];
    buf_t fb;
    buf_init(&fb, 0);
    printf("{\"messages\": [");
    int rc;
    size_t nmsg = 0;
    for (;;) {
        size_t nf = 0;
        rc = wire_next(&r, s, b.len, true, m, f, 16, &nf);
        for (size_t i = 0; i < nf; i++)
            buf_printf(&fb, "%s[\"%s\", %zu]", fb.len ? ", " : "", wire_code_name(f[i].code),
                       f[i].offset);
        if (rc != WIRE_MSG)
            break;
        print_msg(s, m, nmsg++ == 0);
    }
    printf("], \"findings\": [%.*s], \"end\": \"%s\"", (int)fb.len, fb.data ? fb.data : "",
           rc == WIRE_DONE ? "done" : rc == WIRE_RAW ? "raw" : rc == WIRE_ERROR ? "error"
                                                                            : "need-more");
    if (rc == WIRE_RAW)
        printf(", \"raw_offset\": %zu", wire_raw_offset(&r));
    printf("}\n");
    free(m);
    buf_free(&fb);
    buf_free(&b);
    return 0;
}
