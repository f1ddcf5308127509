/* h2_io: see h2_io.h. */
#include "h2_io.h"

#include "util.h"

conn_status h2_io_flush(h2 *s, conn *c, int64_t deadline_ns)
{
    buf_t out;
    buf_init(&out, 0);
    long n = h2_take_output(s, &out, clock_ns());
    conn_status st = CONN_OK;
    if (n > 0) {
        size_t sent;
        st = conn_send(c, out.data, out.len, deadline_ns, &sent);
    }
    buf_free(&out);
    return n < 0 ? CONN_ERROR : st;
}

conn_status h2_io_wait(h2 *s, conn *c, int64_t deadline_ns, bool (*done)(const h2 *, void *),
                       void *arg)
{
    for (;;) {
        conn_status st = h2_io_flush(s, c, deadline_ns);
        if (st != CONN_OK)
            return st;
        if (done(s, arg))
            return CONN_OK;
        if (h2_broken(s))
            return CONN_ERROR;
        int64_t t;
        size_t n;
        st = conn_read(c, deadline_ns, &t, &n);
        if (st == CONN_EOF) {
            h2_closed(s, "the server closed the connection");
            return done(s, arg) ? CONN_OK : CONN_EOF;
        }
        if (st != CONN_OK)
            return st;
        int rc = h2_feed(s, c->rx.data + c->rx.len - n, n, t);
        buf_reset(&c->rx);
        if (rc != 0) {
            h2_io_flush(s, c, deadline_ns); /* the GOAWAY saying why */
            return done(s, arg) ? CONN_OK : CONN_ERROR;
        }
    }
}

typedef struct stream_wait {
    int32_t id;
    size_t seen;
} stream_wait;

static bool stream_moved(const h2 *s, void *arg)
{
    const stream_wait *w = arg;
    const h2_stream *st = h2_stream_get(s, w->id);
    return !st || st->nevents > w->seen || h2_stream_done(s, st);
}

conn_status h2_io_wait_stream(h2 *s, conn *c, int32_t id, size_t seen, int64_t deadline_ns)
{
    stream_wait w = {id, seen}; /* read only by this task (coro.h) */
    return h2_io_wait(s, c, deadline_ns, stream_moved, &w);
}
