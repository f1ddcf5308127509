/* json_read: a small strict JSON reader (RFC 8259), for reading h1xx's own results.json back
 * (h1xx merge). It builds a tree; nothing in it is shared with the input buffer.
 *
 * Strict: the RFC's grammar only (no comments, trailing commas, single quotes, NaN, leading
 * zeros, leading "+"); strings must be well-formed UTF-8 without raw control characters; "\u"
 * escapes must pair surrogates; an object may not repeat a key; one value per document. Bounded:
 * the input size and the nesting depth have limits, so a hostile file can neither exhaust memory
 * nor the stack. Errors say where: "line 3, column 14: expected ',' or '}'". */
#ifndef H1XX_JSON_READ_H
#define H1XX_JSON_READ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum json_type {
    JSON_NULL,
    JSON_BOOL,
    JSON_NUMBER,
    JSON_STRING,
    JSON_ARRAY,
    JSON_OBJECT,
} json_type;

typedef struct json_value {
    json_type type;
    bool boolean;              /* JSON_BOOL */
    char *str;                 /* JSON_STRING: the decoded bytes; JSON_NUMBER: its text. Both
                                * NUL-terminated after len (a string may also hold NUL). */
    size_t len;
    struct json_value *items;  /* JSON_ARRAY: the elements; JSON_OBJECT: the values */
    char **keys;               /* JSON_OBJECT: the decoded keys (never holding NUL) */
    size_t n;                  /* elements or members */
} json_value;

typedef struct json_limits {
    size_t max_bytes; /* longest document accepted */
    int max_depth;    /* deepest nesting of arrays and objects (the top value is depth 1) */
} json_limits;

#define JSON_DEFAULT_MAX_BYTES ((size_t)512 << 20)
#define JSON_DEFAULT_MAX_DEPTH 32

/* Parses the document [s, s+len). Returns 0 and fills *out (free it with json_free), or -1 with
 * the reason in err (errsz bytes) and *out left empty. lim may be NULL for the defaults. */
int json_parse(const char *s, size_t len, const json_limits *lim, json_value *out, char *err,
               size_t errsz);
/* Reads the file at path (refused past lim->max_bytes) and parses it; as json_parse. */
int json_parse_file(const char *path, const json_limits *lim, json_value *out, char *err,
                    size_t errsz);
/* Frees everything under v and leaves it JSON_NULL. */
void json_free(json_value *v);

/* ---- reading the tree ---------------------------------------------------------------------- */

/* The member `key` of an object, or NULL (absent, or v is not an object). */
const json_value *json_get(const json_value *v, const char *key);
/* The string, or NULL when v is not a string or holds a NUL byte. */
const char *json_text(const json_value *v);
/* An integer number (no fraction, no exponent) in [min, max]: 0, or -1. */
int json_int(const json_value *v, int64_t min, int64_t max, int64_t *out);
/* A number of seconds as nanoseconds, exact to the nanosecond (rounded half up past it, without
 * floating point): "0.004597" -> 4597000. Returns 0, or -1 (not a number, or out of range). */
int json_seconds_ns(const json_value *v, int64_t *out_ns);
/* A name of JSON types for messages: "null", "boolean", "number", "string", "array", "object". */
const char *json_type_name(json_type t);

#endif
