/* h2get: one HTTP/2 request through runner/h2.c and h2_io.c, every frame of its stream printed
 * with its receive time; a tool for looking at a real HTTP/2 front by hand (docs/http2.md).
 *
 *   h2get [--library] [--insecure] [--post TEXT [--expect]] URL
 *
 * http:// speaks HTTP/2 with prior knowledge (https:// is not there yet, h2_io.h). --library keeps
 * nghttp2's own HTTP rules (h2.h). --post sends TEXT as content; with --expect the request
 * carries expect: 100-continue and the content waits for a 100 (or 1 s). Exit status: 0 a
 * final response came, 1 none came, 2 usage, 3 no connection. */
#include <stdio.h>
#include <string.h>

#include "conn.h"
#include "h2.h"
#include "h2_io.h"
#include "util.h"

#define WAIT_NS 5000000000LL

static void print_event(const h2_event *e, int64_t t0)
{
    printf("%+9.3f ms %s %s", (double)(e->t_ns - t0) / 1e6, e->sent ? "sent" : "recv",
           h2_kind_name(e->kind));
    if (e->kind == H2_HEADERS)
        for (size_t i = 0; i < e->nfields; i++)
            printf(" %s: %s;", e->fields[i].name, e->fields[i].value);
    if (e->kind == H2_DATA)
        printf(" %zu bytes", e->length);
    if (e->kind == H2_RST_STREAM || e->kind == H2_GOAWAY)
        printf(" %s", h2_error_name(e->error_code));
    if (e->end_stream)
        printf(" END_STREAM");
    for (int c = 1; c <= H2_F_CODE_MAX; c++)
        if (e->findings & (1u << c))
            printf(" [%s]", h2_code_name((h2_code)c));
    if (e->lib_error)
        printf(" [nghttp2 refused it: %d]", e->lib_error);
    printf("\n");
}

static bool got_interim(const h2 *s, void *arg)
{
    const h2_stream *st = h2_stream_get(s, *(int32_t *)arg);
    return !st || st->ninterim > 0 || st->final_status || h2_stream_done(s, st);
}

static int run(const target *t, h2_opts *ho, bool insecure, const char *post, bool expect)
{
    conn c;
    conn_opts co = {.insecure = insecure, .max_rx = 1 << 20};
    int64_t t0 = clock_ns();
    if (conn_open(&c, t, &co, t0 + WAIT_NS) != CONN_OK) {
        fprintf(stderr, "h2get: %s\n", c.errmsg);
        conn_close(&c);
        return 3;
    }
    h2 *s = h2_new(ho);
    char len[32];
    snprintf(len, sizeof len, "%zu", post ? strlen(post) : 0);
    h2_nv nv[] = {{":method", post ? "POST" : "GET"}, {":scheme", t->scheme == TARGET_HTTPS ? "https" : "http"},
                  {":authority", t->authority}, {":path", t->path}, {"content-length", len},
                  {"expect", "100-continue"}};
    int32_t id = h2_request(s, nv, post ? (expect ? 6 : 5) : 4, post == NULL);
    if (post) {
        if (expect)
            h2_io_wait(s, &c, clock_ns() + 1000000000LL, got_interim, &id);
        h2_send_data(s, id, post, strlen(post), true);
    }
    conn_status st = CONN_OK;
    while (st == CONN_OK) {
        const h2_stream *hs = h2_stream_get(s, id);
        if (hs && h2_stream_done(s, hs))
            break;
        st = h2_io_wait_stream(s, &c, id, hs ? hs->nevents : 0, clock_ns() + WAIT_NS);
    }
    if (st == CONN_ERROR && c.errmsg[0])
        printf("connection: %s\n", c.errmsg);
    else if (st == CONN_TIMEOUT)
        printf("connection: nothing more for %lld s\n", WAIT_NS / 1000000000);
    const h2_stream *hs = h2_stream_get(s, id);
    for (const h2_event *e = hs ? hs->head : NULL; e; e = e->next)
        print_event(e, t0);
    if (hs)
        printf("body: %zu bytes: %.*s\n", hs->body_len, (int)(hs->body.len < 200 ? hs->body.len : 200),
               hs->body.data);
    if (h2_note(s)[0])
        printf("nghttp2: %s\n", h2_note(s));
    if (h2_error(s)[0])
        printf("connection: %s\n", h2_error(s));
    int rc = hs && hs->final_status ? 0 : 1;
    h2_free(s);
    conn_close(&c);
    return rc;
}

int main(int argc, char **argv)
{
    h2_opts ho;
    h2_opts_default(&ho);
    bool insecure = false, expect = false;
    const char *post = NULL, *url = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--library") == 0)
            ho.library_checks = true;
        else if (strcmp(argv[i], "--insecure") == 0)
            insecure = true;
        else if (strcmp(argv[i], "--expect") == 0)
            expect = true;
        else if (strcmp(argv[i], "--post") == 0 && i + 1 < argc)
            post = argv[++i];
        else if (argv[i][0] != '-' && !url)
            url = argv[i];
        else {
            fprintf(stderr, "usage: h2get [--library] [--insecure] [--post TEXT [--expect]] URL\n");
            return 2;
        }
    }
    if (!url) {
        fprintf(stderr, "h2get: no URL\n");
        return 2;
    }
    target t;
    char err[256];
    int bad = target_parse(url, &t, err, sizeof err);
    if (!bad && t.scheme != TARGET_HTTP)
        snprintf(err, sizeof err, "http:// only (h2c; TLS is not there yet)");
    if (bad || t.scheme != TARGET_HTTP) {
        fprintf(stderr, "h2get: %s\n", err);
        target_free(&t);
        return 2;
    }
    int rc = run(&t, &ho, insecure, post, expect);
    target_free(&t);
    return rc;
}
