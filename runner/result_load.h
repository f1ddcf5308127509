/* result_load: rebuilds a run_result from a results.json written by report_json.c, for
 * h1xx merge. Every field is checked for its type and range; a file that does not have the
 * documented shape is refused with the place and the reason ("cases[3].verdict: unknown verdict").
 *
 * What comes back exactly: every case field, verdicts, findings, notes, message records, and
 * the transcript's bytes (from "b64") and heads (from "head_b64"). What comes back rounded: times,
 * to the microsecond (the file's precision). Strings that held invalid UTF-8 come back as the
 * readable "\xHH" text the file has. The summary is not read: result_count() recounts it. */
#ifndef H1XX_RESULT_LOAD_H
#define H1XX_RESULT_LOAD_H

#include <stddef.h>

#include "json_read.h"
#include "result.h"

/* Reads path. Returns 0 and fills *out (free with result_free), or -1 with a reason in err
 * and *out empty. */
int result_load_json(const char *path, run_result *out, char *err, size_t errsz);
/* The same from a parsed document. */
int result_from_json(const json_value *doc, run_result *out, char *err, size_t errsz);

#endif
