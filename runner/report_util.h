/* report_util: private helpers shared by the reporters (JUnit, JSON, console): strict UTF-8
 * decoding, readable renderings of hostile bytes, numbers and times formatted from integers
 * (never through printf's %f or the locale), base64, the wire transcript as text, and atomic
 * report files. Not for use outside runner/report_*.c and their tests. */
#ifndef H1XX_REPORT_UTIL_H
#define H1XX_REPORT_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "result.h"
#include "util.h"

/* Appends a string literal without counting its length by hand. */
#define REPORT_PUT(b, lit) buf_append((b), "" lit, sizeof(lit) - 1)

/* ---- text ---------------------------------------------------------------------------------- */

/* s, or "" when s is NULL. */
const char *report_str(const char *s);

/* Decodes one UTF-8 scalar value at s (len > 0). Returns its length (1 to 4) and sets *cp, or
 * returns 0 when s does not start a well-formed sequence: shortest form only, no surrogates,
 * nothing above U+10FFFF, no truncated sequence. */
size_t report_utf8_decode(const unsigned char *s, size_t len, uint32_t *cp);

/* Appends "\xHH" (upper-case hex) for each of the n bytes at p. */
void report_hex_bytes(buf_t *out, const unsigned char *p, size_t n);

/* Appends s as one readable line: well-formed, printable UTF-8 is kept; TAB, CR and LF become
 * "\t", "\r", "\n"; every other control character (C0, DEL, C1, bidi and invisible format
 * characters) and every byte of invalid UTF-8 becomes "\xHH". The output is safe to print on a
 * terminal and carries no byte XML 1.0 or JSON rejects. */
void report_readable_text(buf_t *out, const char *s, size_t len);
/* The same for a NUL-terminated string (NULL reads as ""). */
void report_readable_str(buf_t *out, const char *s);

/* Appends s readable (as report_readable_text) and escaped for HTML text and attribute values:
 * & < > " ' become character references. The output is valid UTF-8 without control characters
 * and can never open or close markup. */
void report_html_escape(buf_t *out, const char *s, size_t len);
/* The same for a NUL-terminated string (NULL reads as ""). */
void report_html_str(buf_t *out, const char *s);

/* Appends s as one line for a summary attribute: like report_readable_text, except that runs of
 * CR/LF/TAB become one space, and the text is cut at about `max` bytes (on a character
 * boundary) with "..." added. */
void report_one_line(buf_t *out, const char *s, size_t max);

/* ---- numbers and times --------------------------------------------------------------------- */

/* Appends ns as seconds with `decimals` (1 to 9) digits after a dot, rounded to nearest:
 * 123456789 ns, 3 decimals -> "0.123". A negative value keeps its "-" sign. */
void report_secs(buf_t *out, int64_t ns, int decimals);
/* Appends ns as milliseconds with three decimals (truncated to the microsecond): "12.345". */
void report_ms(buf_t *out, int64_t ns);
/* Appends t as UTC "YYYY-MM-DDTHH:MM:SS", with a trailing "Z" when zulu. */
void report_utc(buf_t *out, time_t t, bool zulu);
/* Appends the standard base64 encoding (with padding) of len bytes. */
void report_base64(buf_t *out, const void *data, size_t len);
/* Decodes standard base64 strictly (padded to a multiple of 4, no whitespace, unused bits
 * zero). Returns 0 and the bytes (malloc'd, NUL-terminated after *outlen; the caller frees),
 * or -1. */
int report_base64_decode(const char *s, size_t len, char **out, size_t *outlen);

/* ---- verdicts ------------------------------------------------------------------------------ */

/* True when the verdict counts as a failure: fail, error, and warn under strict. */
bool report_is_failure(verdict_t v, bool strict);
/* True for skip and not-run. */
bool report_is_skip(verdict_t v);

/* A case file's path for annotations, relative to the repository CI checks out rather than to
 * where h1xx is installed: ROOT/AREA/NAME.case from the file's last two components. root NULL:
 * the cases folder's own name (the component before those, e.g. "cases"); "" or ".": no prefix.
 * A path of fewer components is returned as it is. The caller frees the result. */
char *report_case_path(const char *file, const char *root);

/* ---- evidence as text ---------------------------------------------------------------------- */

/* Appends the transcript of c: one header line per entry, "[+12.345ms] conn 1 sent 57 bytes"
 * (times relative to the case start), then for sent/received bytes one line per line of data
 * prefixed "> " (sent) or "< " (received), with CR, LF, TAB, backslash and every byte outside
 * printable ASCII escaped ("\r\n" is followed by a real newline). Output is printable ASCII. */
void report_transcript(buf_t *out, const case_result *c);
/* Appends the detail block of c: when `header`, a first line "id: verdict (level)"; then title,
 * requirements, RFC, case file, message, findings and notes, one a line, each prefixed by
 * `indent`. Never empty when `header`. Readable text only (safe on a terminal and in XML). */
void report_case_detail(buf_t *out, const case_result *c, const char *indent, bool header);
/* Proxy modes: "fates: 100 forwarded 0.3ms, 102 made-final 0.2ms, 200 to-other-case ID", one
 * line (no newline), or nothing when every message was simply forwarded. */
void report_fates_line(buf_t *out, const case_result *c);
/* Appends one line per recorded message: "conn 1 interim 100 first +1.000ms head ... body 0". */
void report_messages(buf_t *out, const case_result *c, const char *indent);

/* ---- atomic report files ------------------------------------------------------------------- */

/* A report being written to "PATH.tmp.PID" in PATH's directory. */
typedef struct report_file {
    FILE *fp;
    char *path;
    char *tmp;
    int err_no; /* first write error, or 0 */
} report_file;

/* Creates the temporary file. Returns 0, or -1 with a reason in err (nothing is left behind). */
int report_file_open(report_file *f, const char *path, char *err, size_t errsz);
/* Writes b's bytes and empties b. A write error is remembered and reported by commit. */
void report_file_put(report_file *f, buf_t *b);
/* Flushes, fsyncs, closes and renames the temporary file over PATH. Returns 0, or -1 with a
 * reason in err after removing the temporary file. Frees f's memory either way. */
int report_file_commit(report_file *f, char *err, size_t errsz);
/* Closes and removes the temporary file and frees f's memory. */
void report_file_abort(report_file *f);

#endif
