/* h2: see h2.h. nghttp2's callbacks build one event per frame: it is opened when the frame's
 * header has come (on_begin_frame, at the time of that read), filled as the header block is
 * decoded (on_header), and closed when nghttp2 has the whole frame (on_frame_recv, or
 * on_invalid_frame_recv when it rejected it), at the time of the read holding its last byte. */
#include "h2.h"

#include <nghttp2/nghttp2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_STREAMS 4096 /* stream records per connection (h1xx opens a few; a server may name more) */
#define FIRST_MAX 64
#define ERR_MAX 256

struct h2 {
    nghttp2_session *ng;
    h2_opts o;
    int64_t now_ns; /* the read being fed */
    int64_t out_ns; /* the output being taken */
    h2_event *cur;  /* the received frame in progress */
    size_t cur_bytes;
    h2_stream **streams;
    size_t nstreams, streams_cap;
    h2_event *conn_head, *conn_tail;
    size_t kept, dropped;
    bool broken, closed, goaway_seen, leaving;
    int32_t goaway_last_id;
    char first[FIRST_MAX + 1];
    size_t nfirst;
    char err[ERR_MAX];
    char note[ERR_MAX]; /* nghttp2's last word on a frame it refused */
};

/* ---- names --------------------------------------------------------------------------------- */

const char *h2_kind_name(h2_kind k)
{
    switch (k) {
    case H2_HEADERS: return "HEADERS";
    case H2_DATA: return "DATA";
    case H2_RST_STREAM: return "RST_STREAM";
    case H2_GOAWAY: return "GOAWAY";
    }
    return "?";
}

const char *h2_error_name(uint32_t code)
{
    static const char *const names[] = {
        "NO_ERROR", "PROTOCOL_ERROR", "INTERNAL_ERROR", "FLOW_CONTROL_ERROR", "SETTINGS_TIMEOUT",
        "STREAM_CLOSED", "FRAME_SIZE_ERROR", "REFUSED_STREAM", "CANCEL", "COMPRESSION_ERROR",
        "CONNECT_ERROR", "ENHANCE_YOUR_CALM", "INADEQUATE_SECURITY", "HTTP_1_1_REQUIRED"};
    return code < sizeof names / sizeof names[0] ? names[code] : "unknown error code";
}

/* ---- events and streams -------------------------------------------------------------------- */

static void event_free(h2_event *e)
{
    for (size_t i = 0; i < e->nfields; i++) {
        free(e->fields[i].name);
        free(e->fields[i].value);
    }
    free(e->fields);
    free(e);
}

static h2_event *event_new(h2_kind kind, int32_t id, bool sent, int64_t t)
{
    h2_event *e = xcalloc(1, sizeof *e);
    e->kind = kind;
    e->stream_id = id;
    e->sent = sent;
    e->t_ns = e->t_first_ns = t;
    e->status = -1;
    return e;
}

static h2_stream *stream_find(const h2 *s, int32_t id)
{
    for (size_t i = 0; i < s->nstreams; i++)
        if (s->streams[i]->id == id)
            return s->streams[i];
    return NULL;
}

/* The stream's record, made on first use; NULL beyond MAX_STREAMS. */
static h2_stream *stream_get(h2 *s, int32_t id)
{
    h2_stream *st = stream_find(s, id);
    if (st || s->nstreams >= MAX_STREAMS)
        return st;
    grow_array((void **)&s->streams, &s->streams_cap, s->nstreams, sizeof *s->streams);
    st = xcalloc(1, sizeof *st);
    st->id = id;
    buf_init(&st->body, s->o.max_body);
    buf_init(&st->out, 0);
    s->streams[s->nstreams++] = st;
    return st;
}

/* Appends e to st's list (or the connection's when st is NULL), or frees it past the cap. */
static void keep(h2 *s, h2_stream *st, h2_event *e)
{
    if (s->kept >= s->o.max_events) {
        s->dropped++;
        event_free(e);
        return;
    }
    s->kept++;
    h2_event **head = st ? &st->head : &s->conn_head, **tail = st ? &st->tail : &s->conn_tail;
    if (*tail)
        (*tail)->next = e;
    else
        *head = e;
    *tail = e;
    if (st)
        st->nevents++;
}

static void add_field(h2 *s, h2_event *e, size_t *bytes, const uint8_t *name, size_t nlen,
                      const uint8_t *value, size_t vlen)
{
    if (e->nfields >= s->o.max_fields || *bytes + nlen + vlen > s->o.max_field_bytes) {
        e->fields_dropped++;
        return;
    }
    size_t cap = e->nfields;
    if ((cap & (cap - 1)) == 0) /* a power of two (or 0): full, double it */
        e->fields = xrealloc(e->fields, (cap ? 2 * cap : 8) * sizeof *e->fields);
    h2_field *f = &e->fields[e->nfields++];
    f->name = xmalloc(nlen + 1); /* every byte, NUL included: a server may send one */
    memcpy(f->name, name, nlen);
    f->name[nlen] = 0;
    f->value = xmalloc(vlen + 1);
    memcpy(f->value, value, vlen);
    f->value[vlen] = 0;
    f->name_len = nlen;
    f->value_len = vlen;
    *bytes += nlen + vlen;
}

static int parse_status(const h2_event *e)
{
    const h2_field *f = h2_field_find(e, ":status");
    if (!f || f->value_len != 3)
        return -1;
    int v = 0;
    for (size_t i = 0; i < 3; i++) {
        if (f->value[i] < '0' || f->value[i] > '9')
            return -1;
        v = v * 10 + (f->value[i] - '0');
    }
    return v;
}

/* ---- what came ------------------------------------------------------------------------------ */

/* A frame nghttp2 dropped without a callback: kept, marked ignored. */
static void flush_cur(h2 *s)
{
    if (!s->cur)
        return;
    h2_event *e = s->cur;
    s->cur = NULL;
    e->ignored = true;
    keep(s, e->stream_id ? stream_get(s, e->stream_id) : NULL, e);
}

static int on_begin_frame(nghttp2_session *ng, const nghttp2_frame_hd *hd, void *ud)
{
    (void)ng;
    h2 *s = ud;
    if (hd->type == NGHTTP2_CONTINUATION)
        return 0;
    flush_cur(s);
    if (hd->type != NGHTTP2_HEADERS && hd->type != NGHTTP2_DATA &&
        hd->type != NGHTTP2_RST_STREAM && hd->type != NGHTTP2_GOAWAY)
        return 0;
    h2_kind k = hd->type == NGHTTP2_HEADERS ? H2_HEADERS
                : hd->type == NGHTTP2_DATA  ? H2_DATA
                : hd->type == NGHTTP2_RST_STREAM ? H2_RST_STREAM
                                                 : H2_GOAWAY;
    s->cur = event_new(k, hd->stream_id, false, s->now_ns);
    s->cur->flags = hd->flags;
    s->cur->end_stream = (hd->flags & NGHTTP2_FLAG_END_STREAM) && k <= H2_DATA;
    s->cur->length = k == H2_DATA ? hd->length : 0;
    s->cur_bytes = 0;
    return 0;
}

static int on_header(nghttp2_session *ng, const nghttp2_frame *frame, const uint8_t *name,
                     size_t nlen, const uint8_t *value, size_t vlen, uint8_t flags, void *ud)
{
    (void)ng, (void)flags;
    h2 *s = ud;
    if (s->cur && s->cur->kind == H2_HEADERS && s->cur->stream_id == frame->hd.stream_id)
        add_field(s, s->cur, &s->cur_bytes, name, nlen, value, vlen);
    return 0;
}

static int on_data_chunk(nghttp2_session *ng, uint8_t flags, int32_t id, const uint8_t *data,
                         size_t len, void *ud)
{
    (void)ng, (void)flags;
    h2 *s = ud;
    h2_stream *st = stream_get(s, id);
    if (st) {
        buf_append(&st->body, data, len);
        st->body_len += len;
    }
    return 0;
}

/* Own checks on a received frame; a malformed response is reset when asked (§8.1.1). */
static void judge(h2 *s, h2_stream *st, h2_event *e)
{
    if (e->lib_error)
        return; /* nghttp2 refused it and withheld fields: nothing sound to judge */
    if (e->kind == H2_HEADERS)
        e->findings = h2_check_headers(st, e);
    else if (e->kind == H2_DATA)
        e->findings = h2_check_data(st, e);
    if (!e->findings)
        return;
    st->malformed = true;
    if (!s->o.library_checks && s->o.reset_malformed && !st->reset)
        nghttp2_submit_rst_stream(s->ng, NGHTTP2_FLAG_NONE, st->id, NGHTTP2_PROTOCOL_ERROR);
}

static void update(h2_stream *st, const h2_event *e)
{
    if (e->kind == H2_HEADERS && e->status >= 100 && e->status <= 199)
        st->ninterim++;
    else if (e->kind == H2_HEADERS && e->status >= 200 && st->final_status == 0)
        st->final_status = e->status;
    if (e->end_stream)
        st->remote_end = true;
    if (e->kind == H2_RST_STREAM)
        st->reset = true;
}

static void got_goaway(h2 *s, h2_event *e)
{
    s->goaway_seen = true;
    s->goaway_last_id = e->last_stream_id;
    for (size_t i = 0; i < s->nstreams; i++) {
        h2_stream *st = s->streams[i];
        if (st->remote_end || st->reset)
            continue;
        st->goaway = true;
        h2_event *copy = event_new(H2_GOAWAY, st->id, false, e->t_ns);
        copy->t_first_ns = e->t_first_ns;
        copy->error_code = e->error_code;
        copy->last_stream_id = e->last_stream_id;
        keep(s, st, copy);
    }
    keep(s, NULL, e);
}

/* Closes the frame in progress with what nghttp2 decoded. */
static void finish(h2 *s, const nghttp2_frame *frame, int lib_error)
{
    h2_event *e = s->cur;
    if (!e || e->stream_id != frame->hd.stream_id) {
        flush_cur(s);
        return;
    }
    s->cur = NULL;
    e->t_ns = s->now_ns;
    e->lib_error = lib_error;
    if (e->kind == H2_HEADERS) {
        e->status = parse_status(e);
    } else if (e->kind == H2_DATA) {
        size_t pad = frame->data.padlen;
        e->length = frame->hd.length > pad ? frame->hd.length - pad : 0;
    } else if (e->kind == H2_RST_STREAM) {
        e->error_code = frame->rst_stream.error_code;
    } else {
        e->error_code = frame->goaway.error_code;
        e->last_stream_id = frame->goaway.last_stream_id;
        got_goaway(s, e);
        return;
    }
    h2_stream *st = stream_get(s, e->stream_id);
    if (!st) {
        s->dropped++;
        event_free(e);
        return;
    }
    judge(s, st, e);
    update(st, e);
    keep(s, st, e);
}

static int on_frame_recv(nghttp2_session *ng, const nghttp2_frame *frame, void *ud)
{
    (void)ng;
    finish(ud, frame, 0);
    return 0;
}

static int on_invalid_frame(nghttp2_session *ng, const nghttp2_frame *frame, int lib_error,
                            void *ud)
{
    (void)ng;
    finish(ud, frame, lib_error ? lib_error : -1);
    return 0;
}

static int on_error(nghttp2_session *ng, int lib_error, const char *msg, size_t len, void *ud)
{
    (void)ng;
    h2 *s = ud;
    snprintf(s->note, sizeof s->note, "%.*s", (int)len, msg);
    /* the server's first frame is not SETTINGS: it does not speak HTTP/2 (other connection
     * errors show as the GOAWAY h1xx sends, on_frame_send) */
    if (lib_error == NGHTTP2_ERR_SETTINGS_EXPECTED) {
        s->broken = true;
        snprintf(s->err, sizeof s->err, "%s", s->note);
    }
    return 0;
}

/* ---- what went ------------------------------------------------------------------------------ */

static int on_frame_send(nghttp2_session *ng, const nghttp2_frame *frame, void *ud)
{
    (void)ng;
    h2 *s = ud;
    int32_t id = frame->hd.stream_id;
    h2_event *e;
    switch (frame->hd.type) {
    case NGHTTP2_HEADERS:
        e = event_new(H2_HEADERS, id, true, s->out_ns);
        size_t bytes = 0;
        for (size_t i = 0; i < frame->headers.nvlen; i++) {
            const nghttp2_nv *nv = &frame->headers.nva[i];
            add_field(s, e, &bytes, nv->name, nv->namelen, nv->value, nv->valuelen);
        }
        break;
    case NGHTTP2_DATA:
        e = event_new(H2_DATA, id, true, s->out_ns);
        e->length = frame->hd.length - frame->data.padlen;
        break;
    case NGHTTP2_RST_STREAM:
        e = event_new(H2_RST_STREAM, id, true, s->out_ns);
        e->error_code = frame->rst_stream.error_code;
        break;
    case NGHTTP2_GOAWAY:
        e = event_new(H2_GOAWAY, 0, true, s->out_ns);
        e->error_code = frame->goaway.error_code;
        e->last_stream_id = frame->goaway.last_stream_id;
        if (e->error_code != NGHTTP2_NO_ERROR && !s->broken) {
            s->broken = true;
            if (!s->err[0])
                snprintf(s->err, sizeof s->err, "h1xx ended the connection with %s%s%.150s",
                         h2_error_name(e->error_code), s->note[0] ? ": " : "", s->note);
        }
        keep(s, NULL, e);
        return 0;
    default:
        return 0;
    }
    e->flags = frame->hd.flags;
    e->end_stream = e->kind != H2_RST_STREAM && (frame->hd.flags & NGHTTP2_FLAG_END_STREAM);
    h2_stream *st = stream_get(s, id);
    if (!st) {
        event_free(e);
        return 0;
    }
    if (e->end_stream)
        st->local_end = true;
    if (e->kind == H2_RST_STREAM)
        st->reset = true;
    keep(s, st, e);
    return 0;
}

/* The request's content: what h2_send_data queued, or "later" (DEFERRED) until more comes. */
static ssize_t read_content(nghttp2_session *ng, int32_t id, uint8_t *buf, size_t len,
                            uint32_t *flags, nghttp2_data_source *src, void *ud)
{
    (void)ng, (void)src;
    h2_stream *st = stream_find(ud, id);
    if (!st)
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    size_t left = st->out.len - st->out_off;
    if (left == 0 && !st->out_end) {
        st->out_deferred = true;
        return NGHTTP2_ERR_DEFERRED;
    }
    size_t n = left < len ? left : len;
    memcpy(buf, st->out.data + st->out_off, n);
    st->out_off += n;
    if (st->out_off == st->out.len) {
        buf_reset(&st->out);
        st->out_off = 0;
        if (st->out_end)
            *flags |= NGHTTP2_DATA_FLAG_EOF;
    }
    return (ssize_t)n;
}

/* ---- the session ---------------------------------------------------------------------------- */

void h2_opts_default(h2_opts *o)
{
    memset(o, 0, sizeof *o);
    o->reset_malformed = true;
    o->max_events = 4096;
    o->max_fields = 256;
    o->max_field_bytes = 256 * 1024;
    o->max_body = 1024 * 1024;
}

static nghttp2_session_callbacks *callbacks(void)
{
    nghttp2_session_callbacks *cb;
    if (nghttp2_session_callbacks_new(&cb) != 0)
        return NULL;
    nghttp2_session_callbacks_set_on_begin_frame_callback(cb, on_begin_frame);
    nghttp2_session_callbacks_set_on_header_callback(cb, on_header);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, on_data_chunk);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cb, on_frame_recv);
    nghttp2_session_callbacks_set_on_invalid_frame_recv_callback(cb, on_invalid_frame);
    nghttp2_session_callbacks_set_on_frame_send_callback(cb, on_frame_send);
    nghttp2_session_callbacks_set_error_callback2(cb, on_error);
    return cb;
}

h2 *h2_new(const h2_opts *o)
{
    h2 *s = xcalloc(1, sizeof *s);
    if (o)
        s->o = *o;
    else
        h2_opts_default(&s->o);
    nghttp2_session_callbacks *cb = callbacks();
    nghttp2_option *opt = NULL;
    int rc = cb ? nghttp2_option_new(&opt) : -1;
    if (rc == 0) {
        nghttp2_option_set_no_http_messaging(opt, s->o.library_checks ? 0 : 1);
        rc = nghttp2_session_client_new2(&s->ng, cb, s, opt);
    }
    nghttp2_option_del(opt);
    nghttp2_session_callbacks_del(cb);
    /* no server push; room for h1xx's streams */
    nghttp2_settings_entry iv[] = {{NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
                                   {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, 100}};
    if (rc == 0)
        rc = nghttp2_submit_settings(s->ng, NGHTTP2_FLAG_NONE, iv, 2);
    if (rc != 0) {
        h2_free(s);
        return NULL;
    }
    return s;
}

void h2_free(h2 *s)
{
    if (!s)
        return;
    if (s->ng)
        nghttp2_session_del(s->ng);
    if (s->cur)
        event_free(s->cur);
    for (size_t i = 0; i < s->nstreams; i++) {
        h2_stream *st = s->streams[i];
        for (h2_event *e = st->head, *n; e; e = n) {
            n = e->next;
            event_free(e);
        }
        buf_free(&st->body);
        buf_free(&st->out);
        free(st);
    }
    free(s->streams);
    for (h2_event *e = s->conn_head, *n; e; e = n) {
        n = e->next;
        event_free(e);
    }
    free(s);
}

/* What broke the connection, in the server's terms when it did not speak HTTP/2 at all. */
static void say_broken(h2 *s, int rc)
{
    s->broken = true;
    if (s->nfirst >= 5 && memcmp(s->first, "HTTP/", 5) == 0) {
        size_t n = strcspn(s->first, "\r\n");
        snprintf(s->err, sizeof s->err, "the server answered '%.*s' (HTTP/1.x, not HTTP/2)",
                 (int)n, s->first);
    } else if (!s->err[0] || rc < 0) {
        snprintf(s->err, sizeof s->err, "HTTP/2 connection error: %s",
                 rc < 0 ? nghttp2_strerror(rc) : "the session ended");
    }
}

int h2_feed(h2 *s, const void *p, size_t n, int64_t t_ns)
{
    if (s->broken)
        return -1;
    size_t take = FIRST_MAX - s->nfirst < n ? FIRST_MAX - s->nfirst : n;
    memcpy(s->first + s->nfirst, p, take);
    s->nfirst += take;
    s->now_ns = t_ns;
    ssize_t r = nghttp2_session_mem_recv(s->ng, p, n);
    if (r < 0) {
        say_broken(s, (int)r);
        return -1;
    }
    /* a connection error ends reading at once (the GOAWAY saying why is queued) */
    if (!nghttp2_session_want_read(s->ng) && !s->goaway_seen && !s->leaving) {
        say_broken(s, 0);
        return -1;
    }
    if (s->broken) {
        say_broken(s, 0);
        return -1;
    }
    return 0;
}

long h2_take_output(h2 *s, buf_t *out, int64_t t_ns)
{
    s->out_ns = t_ns;
    long total = 0;
    for (;;) {
        const uint8_t *d;
        ssize_t n = nghttp2_session_mem_send(s->ng, &d);
        if (n < 0) {
            say_broken(s, (int)n);
            return -1;
        }
        if (n == 0)
            return total;
        buf_append(out, d, (size_t)n);
        total += n;
    }
}

bool h2_broken(const h2 *s)
{
    return s->broken;
}

bool h2_want_read(const h2 *s)
{
    return !s->closed && nghttp2_session_want_read(s->ng);
}

bool h2_want_write(const h2 *s)
{
    return nghttp2_session_want_write(s->ng);
}

int32_t h2_request(h2 *s, const h2_nv *fields, size_t n, bool end_stream)
{
    if (s->broken || s->closed)
        return -1;
    nghttp2_nv *nva = xcalloc(n ? n : 1, sizeof *nva);
    for (size_t i = 0; i < n; i++)
        nva[i] = (nghttp2_nv){(uint8_t *)fields[i].name, (uint8_t *)fields[i].value,
                              strlen(fields[i].name), strlen(fields[i].value), NGHTTP2_NV_FLAG_NONE};
    nghttp2_data_provider prd = {.read_callback = read_content};
    int32_t id = nghttp2_submit_request(s->ng, NULL, nva, n, end_stream ? NULL : &prd, NULL);
    free(nva);
    if (id < 0)
        return -1;
    h2_stream *st = stream_get(s, id);
    if (st)
        st->has_provider = !end_stream;
    return st ? id : -1;
}

int h2_send_data(h2 *s, int32_t id, const void *p, size_t n, bool end_stream)
{
    h2_stream *st = stream_find(s, id);
    if (!st || !st->has_provider || st->out_end || st->reset || s->broken)
        return -1;
    buf_append(&st->out, p, n);
    st->out_end = end_stream;
    if (st->out_deferred) {
        st->out_deferred = false;
        if (nghttp2_session_resume_data(s->ng, id) != 0)
            return -1;
    }
    return 0;
}

int h2_reset(h2 *s, int32_t id, uint32_t error_code)
{
    return nghttp2_submit_rst_stream(s->ng, NGHTTP2_FLAG_NONE, id, error_code) == 0 ? 0 : -1;
}

void h2_goaway(h2 *s)
{
    s->leaving = true;
    nghttp2_session_terminate_session(s->ng, NGHTTP2_NO_ERROR);
}

void h2_closed(h2 *s, const char *why)
{
    flush_cur(s);
    s->closed = true;
    if (!s->err[0] && why)
        snprintf(s->err, sizeof s->err, "%s", why);
}

/* ---- reading the record ---------------------------------------------------------------------- */

const h2_stream *h2_stream_get(const h2 *s, int32_t id)
{
    return stream_find(s, id);
}

const h2_event *h2_conn_events(const h2 *s)
{
    return s->conn_head;
}

bool h2_stream_done(const h2 *s, const h2_stream *st)
{
    return st->remote_end || st->reset || s->broken || s->closed ||
           (st->goaway && st->id > s->goaway_last_id);
}

const char *h2_error(const h2 *s)
{
    return s->err;
}

const char *h2_note(const h2 *s)
{
    return s->note;
}

size_t h2_events_dropped(const h2 *s)
{
    return s->dropped;
}

const char *h2_first_bytes(const h2 *s, size_t *len)
{
    *len = s->nfirst;
    return s->first;
}
