/* preflight: one plain request before the cases run. A target that is not an HTTP/1.x server
 * (an SSH banner, TLS on a plain port) or a proxy that does not forward to the embedded origin
 * would otherwise turn into a report of failures that all blame HTTP requirements; instead the
 * run stops with one line on stderr and exit 3, and writes no report.
 *
 * Origin mode: GET of the target's path on a fresh connection; the first bytes must start like
 * a status line ("HTTP/1." in any letter case, after optional empty lines). Any status passes.
 * Silence within the wait, or a close without a byte, proves nothing: a note, and the run goes
 * on. Proxy modes: GET ${base}/preflight through the proxy; the embedded origin must receive it
 * within the wait (it answers 200); the proxy's own answer, a close, bytes that are not HTTP or
 * silence stop the run, naming what came back. */
#ifndef H1XX_PREFLIGHT_H
#define H1XX_PREFLIGHT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "case.h"

typedef enum preflight_kind {
    PREFLIGHT_NEED_MORE, /* a prefix of a status line, or nothing yet */
    PREFLIGHT_HTTP,      /* starts like an HTTP/1.x status line */
    PREFLIGHT_TLS,       /* a TLS record: handshake (0x16) or alert (0x15), version 3.x */
    PREFLIGHT_NOT_HTTP,  /* anything else */
} preflight_kind;

/* What the first n bytes of a response stream are. Pure; for the unit tests too. */
preflight_kind preflight_classify(const char *p, size_t n);

/* The first bytes as one printable line in out (at most about 40 of them; NUL-terminated):
 * printable ASCII as is, backslash and others as \r, \n, \t, \xHH; "..." when cut. */
void preflight_quote(const char *p, size_t n, char *out, size_t outsz);

/* Runs the pre-flight for ctx's mode, waiting at most wait_ns for each answer. Returns 0 to
 * go on (a note may have been printed on stderr), -1 after printing the one line that stops
 * the run, 1 when the run was interrupted. */
int preflight_run(const run_ctx *ctx, int64_t wait_ns);

/* After a run whose upload cases could not decide at the default upload_path: tries a few
 * likely upload paths (/upload, /uploads, /api/upload, /post), each with one "POST PATH" with
 * Expect: 100-continue and Content-Length: 5 on a fresh connection, and closes without sending
 * the content. Returns the first path that answered 100 Continue (malloc'd), or NULL; wait_ns
 * bounds all the probes together. A hint for the summary only: nothing is judged from it. */
char *preflight_upload_hint(const run_ctx *ctx, int64_t wait_ns);

#endif
