/* report_timeline: one case's timeline as inline SVG, for the HTML report.
 *
 * A horizontal time axis from the case's start; one lane per connection and direction: a mark
 * for every chunk sent, every chunk received, every interim response (labelled with its status,
 * at msg_record.t_first_ns), every final response (with a bar to the end of its body), and the
 * connection events (eof, reset, close). Gaps between successive interim responses on one
 * connection are labelled, so a 102 series reads as a rhythm. Every string is escaped; the output
 * holds no script and references nothing outside itself.
 *
 * Lanes are data (a name and marks), drawn by one function: the proxy modes add a lane "origin
 * sent" per connection and link each of its marks to the mark of the message the client got
 * (see lanes_origin in report_timeline.c). */
#ifndef H1XX_REPORT_TIMELINE_H
#define H1XX_REPORT_TIMELINE_H

#include "result.h"
#include "util.h"

/* Caps on what one timeline draws; past them marks are counted in a note under the axis. */
#define TIMELINE_MAX_MARKS 400  /* marks per lane */
#define TIMELINE_MAX_LABELS 120 /* labelled marks per lane */
#define TIMELINE_MAX_CONNS 16   /* connections drawn (later ones are counted) */

/* Appends <svg ...>...</svg> for c, or nothing when c has no transcript and no messages. */
void report_timeline_svg(buf_t *out, const case_result *c);

/* Appends a duration for an axis label: "0", "250us", "12.5ms", "1.5s" (no locale, no %f). */
void report_timeline_dur(buf_t *out, int64_t ns);

#endif
