/* Unit tests for h2.c, h2_check.c and h2_io.c: an h2 client session against canned server
 * frames. The server side is nghttp2's own server session with its HTTP rules off, so it sends
 * what a broken proxy would (a 1xx with END_STREAM, a 1xx after the final, connection-specific
 * fields in a 103); its bytes are fed to the client in chunks with made-up receive times, or
 * through a socketpair for the I/O binding. */
#include <CUnit/CUnit.h>
#include <nghttp2/nghttp2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conn.h"
#include "h2.h"
#include "h2_io.h"
#include "loop.h"
#include "util.h"

/* ---- a scripted server ----------------------------------------------------------------------- */

typedef struct srv {
    nghttp2_session *ng;
    buf_t body;         /* request content received */
    int32_t last_id;    /* the last request stream */
    bool got_rst;
    uint32_t rst_code;
} srv;

typedef struct srv_data {
    const char *p;
    size_t n, off;
} srv_data;

static int srv_frame(nghttp2_session *ng, const nghttp2_frame *f, void *ud)
{
    (void)ng;
    srv *v = ud;
    if (f->hd.type == NGHTTP2_HEADERS)
        v->last_id = f->hd.stream_id;
    if (f->hd.type == NGHTTP2_RST_STREAM) {
        v->got_rst = true;
        v->rst_code = f->rst_stream.error_code;
    }
    return 0;
}

static int srv_chunk(nghttp2_session *ng, uint8_t flags, int32_t id, const uint8_t *d, size_t n,
                     void *ud)
{
    (void)ng, (void)flags, (void)id;
    buf_append(&((srv *)ud)->body, d, n);
    return 0;
}

static srv *srv_new(void)
{
    srv *v = xcalloc(1, sizeof *v);
    buf_init(&v->body, 0);
    nghttp2_session_callbacks *cb;
    nghttp2_session_callbacks_new(&cb);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cb, srv_frame);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, srv_chunk);
    nghttp2_option *opt;
    nghttp2_option_new(&opt);
    nghttp2_option_set_no_http_messaging(opt, 1);
    nghttp2_session_server_new2(&v->ng, cb, v, opt);
    nghttp2_option_del(opt);
    nghttp2_session_callbacks_del(cb);
    nghttp2_submit_settings(v->ng, NGHTTP2_FLAG_NONE, NULL, 0);
    return v;
}

static void srv_free(srv *v)
{
    nghttp2_session_del(v->ng);
    buf_free(&v->body);
    free(v);
}

/* HEADERS from a NULL-ended list of name, value pairs (static strings: sent as they are;
 * nghttp2 lowercases the names it copies). */
static void srv_headers(srv *v, int32_t id, bool end_stream, const char *const *nv)
{
    nghttp2_nv a[64];
    size_t n = 0;
    for (; nv[2 * n] && n < 64; n++)
        a[n] = (nghttp2_nv){(uint8_t *)nv[2 * n], (uint8_t *)nv[2 * n + 1], strlen(nv[2 * n]),
                            strlen(nv[2 * n + 1]),
                            NGHTTP2_NV_FLAG_NO_COPY_NAME | NGHTTP2_NV_FLAG_NO_COPY_VALUE};
    int rc = nghttp2_submit_headers(v->ng, end_stream ? NGHTTP2_FLAG_END_STREAM : 0, id, NULL, a,
                                    n, NULL);
    CU_ASSERT_EQUAL(rc, 0);
}

static ssize_t srv_read(nghttp2_session *ng, int32_t id, uint8_t *buf, size_t len,
                        uint32_t *flags, nghttp2_data_source *src, void *ud)
{
    (void)ng, (void)id, (void)ud;
    srv_data *d = src->ptr;
    size_t n = d->n - d->off < len ? d->n - d->off : len;
    memcpy(buf, d->p + d->off, n);
    d->off += n;
    if (d->off == d->n) {
        *flags |= NGHTTP2_DATA_FLAG_EOF;
        free(d);
    }
    return (ssize_t)n;
}

static void srv_body(srv *v, int32_t id, const char *text, bool end_stream)
{
    srv_data *d = xcalloc(1, sizeof *d);
    d->p = text;
    d->n = strlen(text);
    nghttp2_data_provider prd = {.source.ptr = d, .read_callback = srv_read};
    CU_ASSERT_EQUAL(nghttp2_submit_data(v->ng, end_stream ? NGHTTP2_FLAG_END_STREAM : 0, id,
                                        &prd), 0);
}

/* Everything the server has queued, appended to out. */
static void srv_out(srv *v, buf_t *out)
{
    const uint8_t *d;
    ssize_t n;
    while ((n = nghttp2_session_mem_send(v->ng, &d)) > 0)
        buf_append(out, d, (size_t)n);
}

/* The client's queued bytes to the server. */
static void to_server(h2 *c, srv *v, int64_t t)
{
    buf_t out;
    buf_init(&out, 0);
    CU_ASSERT(h2_take_output(c, &out, t) >= 0);
    CU_ASSERT_EQUAL(nghttp2_session_mem_recv(v->ng, (const uint8_t *)out.data, out.len),
                    (ssize_t)out.len);
    buf_free(&out);
}

/* The server's queued bytes to the client, in one feed at time t. */
static int to_client(srv *v, h2 *c, int64_t t)
{
    buf_t in;
    buf_init(&in, 0);
    srv_out(v, &in);
    int rc = in.len ? h2_feed(c, in.data, in.len, t) : 0;
    buf_free(&in);
    return rc;
}

static const h2_nv GET[] = {{":method", "GET"}, {":scheme", "http"},
                            {":authority", "127.0.0.1"}, {":path", "/h1xx"}};

/* A client (opts o, or the defaults) with one GET sent and taken by a fresh server. */
static h2 *start(const h2_opts *o, srv **v, int32_t *id)
{
    h2 *c = h2_new(o);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    *v = srv_new();
    *id = h2_request(c, GET, 4, true);
    CU_ASSERT_EQUAL(*id, 1);
    to_server(c, *v, 1);
    CU_ASSERT_EQUAL((*v)->last_id, *id);
    to_client(*v, c, 2); /* the server's SETTINGS (and its ACK of ours) */
    return c;
}

/* The n-th received event of a stream (0-based), or NULL. */
static const h2_event *nth_in(const h2_stream *st, size_t n)
{
    for (const h2_event *e = st->head; e; e = e->next)
        if (!e->sent && n-- == 0)
            return e;
    return NULL;
}

static const h2_event *first_sent(const h2_stream *st, h2_kind k)
{
    for (const h2_event *e = st->head; e; e = e->next)
        if (e->sent && e->kind == k)
            return e;
    return NULL;
}

static bool has(const h2_event *e, h2_code c)
{
    return e && (e->findings & (1u << c));
}

static const char *const S100[] = {":status", "100", NULL};
static const char *const S103[] = {":status", "103", "link", "</s.css>; rel=preload", NULL};
static const char *const S150[] = {":status", "150", "x-seq", "3", NULL};
static const char *const S200[] = {":status", "200", "content-type", "text/plain", NULL};
static const char *const S103_CONN_SHORT[] = {":status", "103", "connection", "x-hop", "x-hop",
                                              "1", NULL};

/* ---- interim responses in order --------------------------------------------------------------- */

static void test_1xx_in_order(void)
{
    srv *v;
    int32_t id;
    h2 *c = start(NULL, &v, &id);
    /* each frame in its own read, 10 ns apart */
    srv_headers(v, id, false, S100);
    CU_ASSERT_EQUAL(to_client(v, c, 100), 0);
    srv_headers(v, id, false, S103);
    CU_ASSERT_EQUAL(to_client(v, c, 110), 0);
    srv_headers(v, id, false, S150);
    CU_ASSERT_EQUAL(to_client(v, c, 120), 0);
    srv_headers(v, id, false, S200);
    srv_body(v, id, "hello", true);
    CU_ASSERT_EQUAL(to_client(v, c, 130), 0);

    const h2_stream *st = h2_stream_get(c, id);
    CU_ASSERT_PTR_NOT_NULL_FATAL(st);
    const h2_event *req = st->head;
    CU_ASSERT(req->sent && req->kind == H2_HEADERS && req->end_stream && req->t_ns == 1);
    CU_ASSERT_EQUAL(req->nfields, 4);
    int want[] = {100, 103, 150, 200};
    int64_t when[] = {100, 110, 120, 130};
    for (size_t i = 0; i < 4; i++) {
        const h2_event *e = nth_in(st, i);
        CU_ASSERT_PTR_NOT_NULL_FATAL(e);
        CU_ASSERT_EQUAL(e->kind, H2_HEADERS);
        CU_ASSERT_EQUAL(e->status, want[i]);
        CU_ASSERT_FALSE(e->end_stream);
        CU_ASSERT_EQUAL(e->t_ns, when[i]);
        CU_ASSERT_EQUAL(e->findings, 0);
    }
    const h2_field *link = h2_field_find(nth_in(st, 1), "link");
    CU_ASSERT(link && strcmp(link->value, "</s.css>; rel=preload") == 0);
    const h2_event *data = nth_in(st, 4);
    CU_ASSERT(data && data->kind == H2_DATA && data->length == 5 && data->end_stream);
    CU_ASSERT_EQUAL(st->ninterim, 3);
    CU_ASSERT_EQUAL(st->final_status, 200);
    CU_ASSERT_PTR_EQUAL(h2_final(st), nth_in(st, 3));
    CU_ASSERT(st->body.len == 5 && memcmp(st->body.data, "hello", 5) == 0);
    CU_ASSERT_TRUE(h2_stream_done(c, st));
    CU_ASSERT_FALSE(st->malformed);
    h2_free(c);
    srv_free(v);
}

/* Byte at a time: a frame's time is that of the byte completing it, its first time that of
 * the byte completing its 9-octet header; the events are those of one big feed. */
static void test_byte_at_a_time(void)
{
    srv *v;
    int32_t id;
    h2 *c = start(NULL, &v, &id);
    srv_headers(v, id, false, S103);
    srv_headers(v, id, false, S200);
    srv_body(v, id, "hi", true);
    buf_t in;
    buf_init(&in, 0);
    srv_out(v, &in);
    for (size_t i = 0; i < in.len; i++)
        CU_ASSERT_EQUAL(h2_feed(c, in.data + i, 1, 1000 + (int64_t)i), 0);
    const h2_stream *st = h2_stream_get(c, id);
    const h2_event *e103 = nth_in(st, 0), *e200 = nth_in(st, 1), *d = nth_in(st, 2);
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    CU_ASSERT_EQUAL(e103->status, 103);
    CU_ASSERT_EQUAL(e103->t_first_ns, 1000 + 8);
    CU_ASSERT_EQUAL(e200->t_first_ns, e103->t_ns + 9);
    CU_ASSERT_EQUAL(d->t_ns, 1000 + (int64_t)in.len - 1);
    CU_ASSERT_EQUAL(d->length, 2);
    CU_ASSERT_EQUAL(h2_field_find(e103, "link")->value_len, strlen("</s.css>; rel=preload"));
    buf_free(&in);
    h2_free(c);
    srv_free(v);
}

/* A summary of a stream's received events: kinds, statuses, END_STREAM, field counts. */
static void summary(const h2_stream *st, char *out, size_t n)
{
    size_t k = 0;
    out[0] = 0;
    for (const h2_event *e = st ? st->head : NULL; e && k + 40 < n; e = e->next)
        if (!e->sent)
            k += (size_t)snprintf(out + k, n - k, "%d/%d/%d/%zu/%u ", (int)e->kind, e->status,
                                  e->end_stream, e->nfields + e->length, e->findings);
}

/* Every split of the stream into two reads gives the events of one read (and never crashes);
 * garbage after it breaks the connection with a word, never more. */
static void test_every_split(void)
{
    srv *v;
    int32_t id;
    h2 *c = start(NULL, &v, &id);
    srv_headers(v, id, false, S100);
    srv_headers(v, id, false, S103_CONN_SHORT);
    srv_headers(v, id, false, S200);
    srv_body(v, id, "split", true);
    buf_t in;
    buf_init(&in, 0);
    srv_out(v, &in);
    CU_ASSERT_EQUAL(h2_feed(c, in.data, in.len, 10), 0);
    char want[512], got[512];
    summary(h2_stream_get(c, id), want, sizeof want);
    h2_free(c);
    srv_free(v);
    for (size_t cut = 1; cut < in.len; cut++) {
        h2 *c2 = start(NULL, &v, &id);
        CU_ASSERT_EQUAL(h2_feed(c2, in.data, cut, 10), 0);
        CU_ASSERT_EQUAL(h2_feed(c2, in.data + cut, in.len - cut, 11), 0);
        summary(h2_stream_get(c2, id), got, sizeof got);
        CU_ASSERT_STRING_EQUAL(got, want);
        h2_free(c2);
        srv_free(v);
    }
    buf_free(&in);
    c = start(NULL, &v, &id);
    unsigned char junk[4096];
    unsigned x = 12345;
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = (unsigned char)((x = x * 1103515245u + 12345u) >> 16);
    int rc = 0;
    for (size_t i = 0; i < sizeof junk && rc == 0; i += 512)
        rc = h2_feed(c, junk + i, 512, 20);
    buf_t out;
    buf_init(&out, 0);
    h2_take_output(c, &out, 21); /* the GOAWAY saying why */
    CU_ASSERT_TRUE(h2_broken(c));
    CU_ASSERT_NOT_EQUAL(h2_error(c)[0], 0);
    buf_free(&out);
    h2_free(c);
    srv_free(v);
}

/* ---- malformed interim responses -------------------------------------------------------------- */

/* A reset the client queued: the server gets it, and it is in the stream's list as sent. */
static void expect_reset(h2 *c, srv *v, int32_t id, uint32_t code)
{
    to_server(c, v, 500);
    CU_ASSERT_TRUE(v->got_rst);
    CU_ASSERT_EQUAL(v->rst_code, code);
    const h2_event *rst = first_sent(h2_stream_get(c, id), H2_RST_STREAM);
    CU_ASSERT(rst && rst->error_code == code && rst->t_ns == 500);
}

static void test_1xx_end_stream(void)
{
    srv *v;
    int32_t id;
    h2 *c = start(NULL, &v, &id);
    srv_headers(v, id, true, S103);
    CU_ASSERT_EQUAL(to_client(v, c, 100), 0);
    const h2_stream *st = h2_stream_get(c, id);
    const h2_event *e = nth_in(st, 0);
    CU_ASSERT(e && e->status == 103 && e->end_stream);
    CU_ASSERT_TRUE(has(e, H2_F_1XX_END_STREAM));
    CU_ASSERT_PTR_NOT_NULL(h2_field_find(e, "link"));
    CU_ASSERT_PTR_NULL(h2_final(st));
    CU_ASSERT_TRUE(h2_stream_done(c, st));
    expect_reset(c, v, id, NGHTTP2_PROTOCOL_ERROR);
    h2_free(c);
    srv_free(v);
}

/* nghttp2's own rules: it rejects the frame (lib_error) and resets the stream itself. */
static void test_1xx_end_stream_library(void)
{
    h2_opts o;
    h2_opts_default(&o);
    o.library_checks = true;
    srv *v;
    int32_t id;
    h2 *c = start(&o, &v, &id);
    srv_headers(v, id, true, S103);
    CU_ASSERT_EQUAL(to_client(v, c, 100), 0);
    const h2_stream *st = h2_stream_get(c, id);
    const h2_event *e = nth_in(st, 0);
    CU_ASSERT(e && e->status == 103 && e->end_stream);
    CU_ASSERT_EQUAL(e->lib_error, NGHTTP2_ERR_HTTP_MESSAGING);
    CU_ASSERT_EQUAL(e->findings, 0); /* refused by nghttp2: not judged again */
    CU_ASSERT_STRING_EQUAL(h2_error(c), "");
    expect_reset(c, v, id, NGHTTP2_PROTOCOL_ERROR);
    h2_free(c);
    srv_free(v);
}

static void after_final(const h2_opts *o, bool library)
{
    srv *v;
    int32_t id;
    h2 *c = start(o, &v, &id);
    srv_headers(v, id, false, S200);
    srv_headers(v, id, false, S103);
    srv_body(v, id, "late", true);
    CU_ASSERT_EQUAL(to_client(v, c, 100), 0);
    const h2_stream *st = h2_stream_get(c, id);
    const h2_event *f = nth_in(st, 0), *e = nth_in(st, 1), *d = nth_in(st, 2);
    CU_ASSERT(f && f->status == 200 && !f->findings);
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    CU_ASSERT_EQUAL(e->kind, H2_HEADERS);
    CU_ASSERT_EQUAL(st->final_status, 200);
    if (library) {
        /* nghttp2 takes it for trailers, refuses the :status in them and withholds the block */
        CU_ASSERT_EQUAL(e->lib_error, NGHTTP2_ERR_HTTP_HEADER);
        CU_ASSERT_EQUAL(e->nfields, 0);
    } else {
        CU_ASSERT_EQUAL(e->status, 103);
        CU_ASSERT_TRUE(has(e, H2_F_1XX_AFTER_FINAL));
        CU_ASSERT_TRUE(has(e, H2_F_TRAILERS_NO_END));
        CU_ASSERT_EQUAL(st->ninterim, 1);
    }
    if (o && !o->reset_malformed) {
        CU_ASSERT(d && d->kind == H2_DATA && d->length == 4 && d->end_stream);
        to_server(c, v, 500);
        CU_ASSERT_FALSE(v->got_rst);
    } else {
        expect_reset(c, v, id, NGHTTP2_PROTOCOL_ERROR);
    }
    h2_free(c);
    srv_free(v);
}

static void test_1xx_after_final(void)
{
    after_final(NULL, false);
    h2_opts o;
    h2_opts_default(&o);
    o.reset_malformed = false; /* observe on: the rest of the stream is recorded */
    after_final(&o, false);
    o.library_checks = true;
    o.reset_malformed = true;
    after_final(&o, true);
}

static const char *const S103_CONN[] = {
    ":status", "103", "link", "</s.css>; rel=preload", "connection", "keep-alive, x-hop",
    "keep-alive", "timeout=5", "proxy-connection", "keep-alive", "transfer-encoding", "chunked",
    "upgrade", "h2c", "x-hop", "1", NULL};

static void test_conn_fields_in_1xx(void)
{
    srv *v;
    int32_t id;
    h2 *c = start(NULL, &v, &id);
    srv_headers(v, id, false, S103_CONN);
    CU_ASSERT_EQUAL(to_client(v, c, 100), 0);
    const h2_stream *st = h2_stream_get(c, id);
    const h2_event *e = nth_in(st, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    CU_ASSERT_EQUAL(e->nfields, 8); /* every field kept, as sent */
    CU_ASSERT_TRUE(has(e, H2_F_CONN_FIELD));
    CU_ASSERT_FALSE(has(e, H2_F_1XX_END_STREAM));
    CU_ASSERT_PTR_NOT_NULL(h2_field_find(e, "x-hop"));
    CU_ASSERT_TRUE(st->malformed);
    expect_reset(c, v, id, NGHTTP2_PROTOCOL_ERROR);
    h2_free(c);
    srv_free(v);

    /* nghttp2's rules: the block stops at "connection" and the stream is reset */
    h2_opts o;
    h2_opts_default(&o);
    o.library_checks = true;
    c = start(&o, &v, &id);
    srv_headers(v, id, false, S103_CONN);
    CU_ASSERT_EQUAL(to_client(v, c, 100), 0);
    e = nth_in(h2_stream_get(c, id), 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    CU_ASSERT_EQUAL(e->lib_error, NGHTTP2_ERR_HTTP_HEADER);
    CU_ASSERT_EQUAL(e->nfields, 2);
    expect_reset(c, v, id, NGHTTP2_PROTOCOL_ERROR);
    h2_free(c);
    srv_free(v);
}

static void test_other_findings(void)
{
    static const char *const s101[] = {":status", "101", "upgrade", "websocket", NULL},
        *const late_pseudo[] = {"x-a", "1", ":status", "200", NULL},
        *const req_pseudo[] = {":status", "200", ":path", "/", NULL}, *const short_status[] = {":status", "20", NULL},
        *const no_status[] = {"x-a", "1", NULL}, *const upper[] = {":status", "200", "X-Big", "1", NULL},
        *const te[] = {":status", "200", "te", "trailers", NULL};
    const struct {
        const char *const *nv;
        h2_code code;
    } t[] = {
        {s101, H2_F_STATUS_101},  {late_pseudo, H2_F_BAD_PSEUDO}, {req_pseudo, H2_F_BAD_PSEUDO},
        {short_status, H2_F_BAD_STATUS}, {no_status, H2_F_BAD_STATUS},
        {upper, H2_F_UPPERCASE_NAME}, {te, H2_F_CONN_FIELD},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        srv *v;
        int32_t id;
        h2 *c = start(NULL, &v, &id);
        srv_headers(v, id, true, t[i].nv);
        CU_ASSERT_EQUAL(to_client(v, c, 100), 0);
        CU_ASSERT_TRUE(has(nth_in(h2_stream_get(c, id), 0), t[i].code));
        h2_free(c);
        srv_free(v);
    }
    /* DATA before any final */
    srv *v;
    int32_t id;
    h2 *c = start(NULL, &v, &id);
    srv_headers(v, id, false, S100);
    srv_body(v, id, "x", true);
    CU_ASSERT_EQUAL(to_client(v, c, 100), 0);
    CU_ASSERT_TRUE(has(nth_in(h2_stream_get(c, id), 1), H2_F_DATA_BEFORE_FINAL));
    CU_ASSERT_STRING_EQUAL(h2_code_name(H2_F_DATA_BEFORE_FINAL), "data-before-final");
    h2_free(c);
    srv_free(v);
}

/* ---- sending: expect: 100-continue, an early final, GOAWAY -------------------------------- */

static const h2_nv POST[] = {{":method", "POST"}, {":scheme", "http"},
                             {":authority", "127.0.0.1"}, {":path", "/up"},
                             {"expect", "100-continue"}, {"content-length", "5"}};

static void test_expect_continue(void)
{
    h2 *c = h2_new(NULL);
    srv *v = srv_new();
    int32_t id = h2_request(c, POST, 6, false);
    CU_ASSERT_EQUAL(id, 1);
    to_server(c, v, 1);
    CU_ASSERT_EQUAL(v->body.len, 0); /* the content waits */
    srv_headers(v, id, false, S100);
    to_client(v, c, 10);
    CU_ASSERT_EQUAL(h2_send_data(c, id, "hel", 3, false), 0);
    CU_ASSERT_EQUAL(h2_send_data(c, id, "lo", 2, true), 0);
    CU_ASSERT_EQUAL(h2_send_data(c, id, "!", 1, false), -1); /* ended */
    to_server(c, v, 20);
    CU_ASSERT(v->body.len == 5 && memcmp(v->body.data, "hello", 5) == 0);
    srv_headers(v, id, true, S200);
    to_client(v, c, 30);
    const h2_stream *st = h2_stream_get(c, id);
    /* sent HEADERS, 100, sent DATA..., 200: the content follows the 100 */
    const h2_event *e = st->head;
    CU_ASSERT(e->sent && e->kind == H2_HEADERS && !e->end_stream);
    CU_ASSERT(h2_field_find(e, "expect") != NULL);
    e = e->next;
    CU_ASSERT(!e->sent && e->status == 100 && e->t_ns == 10);
    size_t sent = 0;
    bool ended = false;
    for (e = e->next; e && e->sent; e = e->next) {
        CU_ASSERT(e->kind == H2_DATA && e->t_ns == 20);
        sent += e->length;
        ended = e->end_stream;
    }
    CU_ASSERT_EQUAL(sent, 5);
    CU_ASSERT_TRUE(ended);
    CU_ASSERT(e && e->status == 200 && e->end_stream);
    CU_ASSERT_TRUE(st->local_end && st->remote_end);
    h2_free(c);
    srv_free(v);
}

static void test_early_final(void)
{
    h2 *c = h2_new(NULL);
    srv *v = srv_new();
    int32_t id = h2_request(c, POST, 6, false);
    to_server(c, v, 1);
    static const char *const S413[] = {":status", "413", NULL};
    srv_headers(v, id, true, S413);
    to_client(v, c, 10); /* nghttp2 drops a queued HEADERS once RST_STREAM is queued behind it */
    nghttp2_submit_rst_stream(v->ng, NGHTTP2_FLAG_NONE, id, NGHTTP2_NO_ERROR);
    to_client(v, c, 11);
    const h2_stream *st = h2_stream_get(c, id);
    CU_ASSERT_EQUAL(st->final_status, 413);
    CU_ASSERT_TRUE(st->reset);
    const h2_event *rst = nth_in(st, 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(rst);
    CU_ASSERT(rst->kind == H2_RST_STREAM && rst->error_code == NGHTTP2_NO_ERROR);
    CU_ASSERT_EQUAL(h2_send_data(c, id, "hello", 5, true), -1);
    to_server(c, v, 20);
    CU_ASSERT_EQUAL(v->body.len, 0);
    CU_ASSERT_PTR_NULL(first_sent(st, H2_DATA));
    CU_ASSERT_STRING_EQUAL(h2_error_name(rst->error_code), "NO_ERROR");
    h2_free(c);
    srv_free(v);
}

static void test_goaway(void)
{
    srv *v;
    int32_t id;
    h2 *c = start(NULL, &v, &id);
    nghttp2_submit_goaway(v->ng, NGHTTP2_FLAG_NONE, 0, NGHTTP2_INTERNAL_ERROR, NULL, 0);
    to_client(v, c, 50);
    const h2_stream *st = h2_stream_get(c, id);
    const h2_event *g = nth_in(st, 0);
    CU_ASSERT(g && g->kind == H2_GOAWAY && g->error_code == NGHTTP2_INTERNAL_ERROR &&
              g->last_stream_id == 0 && g->t_ns == 50);
    CU_ASSERT_TRUE(h2_stream_done(c, st));
    const h2_event *ce = h2_conn_events(c);
    CU_ASSERT(ce && ce->kind == H2_GOAWAY && !ce->sent);
    h2_free(c);
    srv_free(v);
}

static void test_not_http2(void)
{
    h2 *c = h2_new(NULL);
    buf_t out;
    buf_init(&out, 0);
    CU_ASSERT(h2_take_output(c, &out, 1) > 24);
    CU_ASSERT(memcmp(out.data, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 24) == 0);
    buf_free(&out);
    const char *h1 = "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n";
    CU_ASSERT_EQUAL(h2_feed(c, h1, strlen(h1), 5), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(h2_error(c), "HTTP/1.1 400 Bad Request"));
    size_t n;
    CU_ASSERT(memcmp(h2_first_bytes(c, &n), "HTTP/1.1", 8) == 0 && n == strlen(h1));
    CU_ASSERT_EQUAL(h2_request(c, GET, 4, true), -1);
    h2_free(c);
}

static void test_caps(void)
{
    h2_opts o;
    h2_opts_default(&o);
    o.max_fields = 3;
    o.max_events = 4;
    srv *v;
    int32_t id;
    h2 *c = start(&o, &v, &id); /* event 1: the request */
    static const char *const many[] = {":status", "103", "a", "1", "b", "2", "c", "3", NULL};
    for (int i = 0; i < 5; i++)
        srv_headers(v, id, false, many);
    srv_headers(v, id, true, S200);
    CU_ASSERT_EQUAL(to_client(v, c, 100), 0);
    const h2_stream *st = h2_stream_get(c, id);
    CU_ASSERT_EQUAL(st->nevents, 4);
    CU_ASSERT_EQUAL(h2_events_dropped(c), 3);
    CU_ASSERT_EQUAL(nth_in(st, 0)->nfields, 3);
    CU_ASSERT_EQUAL(nth_in(st, 0)->fields_dropped, 1);
    CU_ASSERT_EQUAL(st->ninterim, 5); /* counted though not kept */
    CU_ASSERT_EQUAL(st->final_status, 200);
    h2_free(c);
    srv_free(v);
}

/* ---- the I/O binding on a socketpair -------------------------------------------------------- */

static void test_io_socketpair(void)
{
    int sv[2];
    CU_ASSERT_FATAL(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) == 0);
    conn cn;
    memset(&cn, 0, sizeof cn);
    cn.fd = sv[0];
    cn.connected = true;
    cn.errmsg = NULL; /* conn.c allocates one at an error */
    buf_init(&cn.rx, 1 << 16);
    h2 *c = h2_new(NULL);
    srv *v = srv_new();
    int32_t id = h2_request(c, GET, 4, true);
    int64_t deadline = clock_ns() + 2000000000LL;
    CU_ASSERT_EQUAL(h2_io_flush(c, &cn, deadline), CONN_OK);
    char tmp[4096];
    ssize_t n = read(sv[1], tmp, sizeof tmp);
    CU_ASSERT_FATAL(n > 0);
    CU_ASSERT_EQUAL(nghttp2_session_mem_recv(v->ng, (uint8_t *)tmp, (size_t)n), n);
    srv_headers(v, id, false, S103);
    srv_headers(v, id, false, S200);
    srv_body(v, id, "ok", true);
    buf_t out;
    buf_init(&out, 0);
    srv_out(v, &out);
    int64_t before = clock_ns();
    CU_ASSERT_EQUAL(write(sv[1], out.data, out.len), (ssize_t)out.len);
    buf_free(&out);
    size_t seen = 1;
    while (h2_io_wait_stream(c, &cn, id, seen, deadline) == CONN_OK) {
        const h2_stream *st = h2_stream_get(c, id);
        seen = st->nevents;
        if (h2_stream_done(c, st))
            break;
    }
    const h2_stream *st = h2_stream_get(c, id);
    CU_ASSERT_EQUAL(st->final_status, 200);
    CU_ASSERT_EQUAL(st->ninterim, 1);
    CU_ASSERT(nth_in(st, 0)->t_ns >= before && nth_in(st, 0)->t_ns <= clock_ns());
    CU_ASSERT_EQUAL(cn.rx.len, 0); /* fed and emptied */
    /* the client's SETTINGS ACK went out while it waited */
    n = read(sv[1], tmp, sizeof tmp);
    CU_ASSERT(n > 0);
    /* the peer closes: the wait says so */
    close(sv[1]);
    CU_ASSERT_EQUAL(h2_io_wait_stream(c, &cn, 3, 0, deadline), CONN_OK); /* no such stream */
    h2_free(c);
    srv_free(v);
    buf_free(&cn.rx);
    free(cn.errmsg);
    close(sv[0]);
}

/* Inside the event loop: the client task parks in h2_io_wait_stream while a server task, on
 * the same thread, sleeps and then writes the response; the client sees it before its
 * deadline (a wait that blocked the thread would starve the server task). Shared state lives
 * on the heap (coro.h). */
typedef struct loop_pair {
    int fd[2];
    srv *v;
    h2 *c;
    conn *cn;
    int32_t id;
    int64_t deadline, wrote_ns;
    conn_status st;
    bool server_ran;
} loop_pair;

static void client_task(void *arg)
{
    loop_pair *p = arg;
    p->st = h2_io_flush(p->c, p->cn, p->deadline);
    const h2_stream *hs = h2_stream_get(p->c, p->id);
    while (p->st == CONN_OK && !h2_stream_done(p->c, hs))
        p->st = h2_io_wait_stream(p->c, p->cn, p->id, hs->nevents, p->deadline);
}

static void server_task(void *arg)
{
    loop_pair *p = arg;
    loop_sleep_until(clock_ns() + 20000000); /* 20 ms: the client is parked by then */
    char tmp[4096];
    ssize_t n = read(p->fd[1], tmp, sizeof tmp);
    if (n > 0)
        nghttp2_session_mem_recv(p->v->ng, (uint8_t *)tmp, (size_t)n);
    srv_headers(p->v, p->id, false, S103);
    srv_headers(p->v, p->id, true, S200);
    buf_t out;
    buf_init(&out, 0);
    srv_out(p->v, &out);
    p->wrote_ns = clock_ns();
    p->server_ran = write(p->fd[1], out.data, out.len) == (ssize_t)out.len;
    buf_free(&out);
}

static void test_io_in_loop(void)
{
    loop_pair *p = xcalloc(1, sizeof *p);
    CU_ASSERT_FATAL(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, p->fd) == 0);
    p->cn = xcalloc(1, sizeof *p->cn);
    p->cn->fd = p->fd[0];
    p->cn->connected = true;
    buf_init(&p->cn->rx, 1 << 16);
    p->c = h2_new(NULL);
    p->v = srv_new();
    p->id = h2_request(p->c, GET, 4, true);
    p->deadline = clock_ns() + 3000000000LL;
    loop *l = loop_new();
    CU_ASSERT_PTR_NOT_NULL_FATAL(l);
    loop_spawn(l, client_task, p);
    loop_spawn(l, server_task, p);
    loop_run(l);
    loop_free(l);
    CU_ASSERT_TRUE(p->server_ran);
    CU_ASSERT_EQUAL(p->st, CONN_OK);
    const h2_stream *st = h2_stream_get(p->c, p->id);
    CU_ASSERT_EQUAL(st->final_status, 200);
    const h2_event *e = nth_in(st, 0);
    CU_ASSERT(e && e->status == 103 && e->t_ns >= p->wrote_ns);
    h2_free(p->c);
    srv_free(p->v);
    buf_free(&p->cn->rx);
    free(p->cn->errmsg);
    free(p->cn);
    close(p->fd[0]);
    close(p->fd[1]);
    free(p);
}

void register_h2_tests(void)
{
    CU_pSuite s = CU_add_suite("h2", NULL, NULL);
    CU_add_test(s, "100, 103, 150 before the final, in order, each with its read's time",
                test_1xx_in_order);
    CU_add_test(s, "byte at a time: frame times from the bytes completing them",
                test_byte_at_a_time);
    CU_add_test(s, "every split into two reads; garbage breaks the connection with a word",
                test_every_split);
    CU_add_test(s, "1xx with END_STREAM: finding, stream reset", test_1xx_end_stream);
    CU_add_test(s, "1xx with END_STREAM under nghttp2's rules", test_1xx_end_stream_library);
    CU_add_test(s, "1xx after the final: own checks, observe on, nghttp2's rules",
                test_1xx_after_final);
    CU_add_test(s, "connection-specific fields in a 103, both ways", test_conn_fields_in_1xx);
    CU_add_test(s, "101, pseudo-headers, :status, uppercase, TE, DATA before final",
                test_other_findings);
    CU_add_test(s, "expect: 100-continue: content sent after the 100", test_expect_continue);
    CU_add_test(s, "early final and RST_STREAM(NO_ERROR): no content sent", test_early_final);
    CU_add_test(s, "GOAWAY reaches the open streams", test_goaway);
    CU_add_test(s, "an HTTP/1.1 answer to the preface is named", test_not_http2);
    CU_add_test(s, "caps on events and fields", test_caps);
    CU_add_test(s, "h2_io over a socketpair", test_io_socketpair);
    CU_add_test(s, "h2_io parks its task in the event loop", test_io_in_loop);
}
