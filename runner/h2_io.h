/* h2_io: an HTTP/2 session (h2.h) on a connection (conn.h), in the runner's event model: every
 * call that waits takes an absolute deadline on the monotonic clock and parks the calling task
 * on its loop (loop.h) through conn_read/conn_send, as HTTP/1.1 cases do.
 *
 * Starting: on a plain connection (http://) or a unix socket HTTP/2 starts with prior knowledge
 * ("h2c": the client preface and SETTINGS are the first bytes sent). TLS (https://) is not
 * there yet: conn.c's TLS is libcurl's connect-only mode, and libcurl 7.88 puts its own HTTP/2
 * layer on a connection whose ALPN chose "h2", after which curl_easy_send refuses raw bytes
 * (CURLE_SEND_ERROR; tried against nghttpx, docs/http2.md). ALPN h2 needs a TLS layer of
 * h1xx's own (OpenSSL) under conn.c.
 *
 * Each read is fed to the session at once with its receive time (conn_read's stamp, taken when
 * the bytes arrived, before nghttp2 parses them); the connection's rx buffer is emptied after
 * each feed, so a long stream never fills it: the decoded events are what is kept. */
#ifndef H1XX_H2_IO_H
#define H1XX_H2_IO_H

#include <stdbool.h>
#include <stdint.h>

#include "conn.h"
#include "h2.h"

/* Sends everything the session has queued (preface, SETTINGS, requests, content, resets). */
conn_status h2_io_flush(h2 *s, conn *c, int64_t deadline_ns);

/* Flushes, then reads and feeds until done(s, arg) holds (CONN_OK), the deadline passes
 * (CONN_TIMEOUT), the peer closes (CONN_EOF: h2_closed was called), the session breaks
 * (CONN_ERROR: h2_error says why) or the run is interrupted (CONN_INTR). What the session
 * answers on its own (SETTINGS ACK, WINDOW_UPDATE, RST_STREAM) is sent as it arises. */
conn_status h2_io_wait(h2 *s, conn *c, int64_t deadline_ns, bool (*done)(const h2 *, void *),
                       void *arg);

/* h2_io_wait until stream id has more than `seen` events, or nothing more can come on it. */
conn_status h2_io_wait_stream(h2 *s, conn *c, int32_t id, size_t seen, int64_t deadline_ns);

#endif
