/* h2_io: an HTTP/2 session (h2.h) on a connection (conn.h), in the runner's event model: every
 * call that waits takes an absolute deadline on the monotonic clock and parks the calling task
 * on its loop (loop.h) through conn_read/conn_send, as HTTP/1.1 cases do.
 *
 * Starting: on a plain connection (http://) HTTP/2 starts with prior knowledge ("h2c": the
 * client preface and SETTINGS are the first bytes sent). Under TLS (https://) the connection
 * must have been opened with conn_opts.alpn_h2, so that the handshake offered only "h2"; a
 * server that did not take it answers the preface as HTTP/1.x, which h2_error names.
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
