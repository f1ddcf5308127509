/* case_client_wire: client mode's reading of what the client handed over: the final response's
 * fields it delivered (client check header), the driver's output, and the origin's reads as a
 * transcript. The driver and the judgements of when the content came are case_client.c's,
 * which calls down into this file and never the other way. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "case_client.h"
#include "util.h"

/* ---- client check header: the fields the client delivered ------------------------------------ */

/* The value of the next "FIELD: value" line of text (from *pos on) naming field, or NULL;
 * *vlen its length. */
static const char *next_field(const char *text, size_t *pos, const char *field, size_t *vlen)
{
    size_t fl = strlen(field);
    while (text[*pos]) {
        const char *line = text + *pos, *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        *pos += len + (nl ? 1 : 0);
        while (len && (line[len - 1] == '\r' || line[len - 1] == ' '))
            len--;
        if (len > fl && line[fl] == ':' && ascii_ncasecmp(line, field, fl) == 0) {
            const char *v = line + fl + 1;
            while (*v == ' ' || *v == '\t')
                v++;
            *vlen = len - (size_t)(v - line);
            return v;
        }
    }
    return NULL;
}

static bool fields_hold(const char *text, const check *ck, const char *value)
{
    size_t pos = 0, vl;
    const char *v;
    bool any = false;
    while ((v = next_field(text, &pos, ck->field, &vl))) {
        any = true;
        if (ck->op == CHECK_HAS && list_has_token(v, vl, value))
            return true;
        if (ck->op == CHECK_IS && vl == strlen(value) && memcmp(v, value, vl) == 0)
            return true;
    }
    return ck->op == CHECK_PRESENT ? any : ck->op == CHECK_ABSENT ? !any : false;
}

/* Judges the header fields the driver wrote to {headers} (the final response's, "Name: value"
 * a line). A driver that wrote none leaves the rule untested: skip. */
void client_check(runner *R, const step *st)
{
    client_state *cl = R->cl;
    if (R->stop)
        return;
    if (!cl || !cl->started || !cl->exited) {
        runner_end(R, VERDICT_ERROR, "client check: the driver has not finished (client "
                   "expect-body first)");
        return;
    }
    int fd = open(cl->headers_path, O_RDONLY | O_CLOEXEC);
    size_t n;
    char *text = client_read_output(fd, OUT_MAX, &n);
    if (fd >= 0)
        close(fd);
    const check *ck = &st->chk;
    char *value = ck->value ? runner_expand(R, ck->value, NULL) : NULL;
    if (!n || ck->op == CHECK_COUNT || ck->op == CHECK_WITHIN)
        runner_end(R, VERDICT_SKIP, "inconclusive: %s", n ? "client check supports present, "
                   "absent, has and is" : "the driver wrote no header fields to {headers} (a "
                   "driver that can should write the final response's fields there)");
    else if (!fields_hold(text, ck, value)) {
        char *got = client_printable(text, n, 300);
        runner_fail(R, true, runner_require(R, ck->require), "expected the final response the "
                    "client delivered to have %s %s%s%s, got the fields '%s'",
                    ck->op == CHECK_ABSENT ? "no" : "a", ck->field,
                    ck->op == CHECK_HAS ? " listing " : ck->op == CHECK_IS ? " equal to " : "",
                    value && ck->op != CHECK_ABSENT && ck->op != CHECK_PRESENT ? value : "", got);
        free(got);
        R->stop = true;
    }
    free(value);
    free(text);
}

/* ---- the content the client sends ----------------------------------------------------------- */

void client_record_reads(runner *R, origin_conn *oc, size_t from)
{
    for (size_t i = 0; i < oc->nchunks; i++) {
        size_t start = i ? oc->chunks[i - 1].end : 0, end = oc->chunks[i].end;
        if (end <= from)
            continue;
        result_tx(R->r, TX_RECV, oc->id, runner_rel(R, oc->chunks[i].t),
                  oc->rx.data + (start < from ? from : start), end - (start < from ? from : start));
    }
}

/* ---- the driver's output ------------------------------------------------------------------- */

/* Up to max bytes of an output file; malloc'd and NUL-terminated, *n its length. */
char *client_read_output(int fd, size_t max, size_t *n)
{
    char *s = xmalloc(max + 1);
    ssize_t k = fd >= 0 ? pread(fd, s, max, 0) : -1;
    *n = k > 0 ? (size_t)k : 0;
    s[*n] = '\0';
    return s;
}

/* s as one printable line of at most max characters (control bytes as \xHH). */
char *client_printable(const char *s, size_t n, size_t max)
{
    buf_t b;
    buf_init(&b, 0);
    for (size_t i = 0; i < n && b.len < max; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c >= 0x7f || c == '\'')
            buf_printf(&b, c == '\n' ? "\\n" : c == '\r' ? "\\r" : "\\x%02X", c);
        else
            buf_append(&b, s + i, 1);
    }
    if (b.len >= max)
        buf_printf(&b, "...");
    buf_append(&b, "", 0);
    return buf_steal(&b);
}
