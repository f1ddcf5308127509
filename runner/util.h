/* util: growable byte buffers with a hard cap, the monotonic clock, checked number parsing and
 * allocation helpers that abort on out-of-memory (a conformance runner cannot do anything useful
 * without memory, and every server-controlled size is capped before it reaches malloc). */
#ifndef H1XX_UTIL_H
#define H1XX_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A byte buffer that never grows past `max` bytes. `data` is always NUL-terminated (the NUL is
 * not counted in `len`), so text can be read from it directly. */
typedef struct buf {
    char *data;
    size_t len;
    size_t cap;
    size_t max;     /* hard cap on len; 0 means SIZE_MAX/2 */
    bool truncated; /* an append did not fit and was cut */
} buf_t;

void buf_init(buf_t *b, size_t max);
/* Appends what fits under the cap. Returns 0 when everything fitted, -1 when the append was cut
 * (b->truncated is then set). */
int buf_append(buf_t *b, const void *p, size_t n);
int buf_printf(buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_reset(buf_t *b);
/* Hands the data to the caller (who frees it) and leaves b empty. Never NULL. */
char *buf_steal(buf_t *b);
void buf_free(buf_t *b);

/* Nanoseconds on CLOCK_MONOTONIC. */
int64_t clock_ns(void);

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* Returns a malloc'd formatted string; the caller frees it. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap);

/* Grows *arr (of *cap elements of size `size`) by half again until index `need` fits. */
void grow_array(void **arr, size_t *cap, size_t need, size_t size);

/* Parses a whole decimal integer in [min, max]. Returns 0 on success, -1 otherwise. */
int parse_long(const char *s, long min, long max, long *out);
/* Parses a duration: "250ms", "2s", "1.5s", "3m" or a bare number of seconds, at most
 * DURATION_MAX_NS (about three years). Returns 0 / -1. */
#define DURATION_MAX_NS (100000000LL * 1000000000LL)
int parse_duration_ns(const char *s, int64_t *out_ns);

/* ASCII case-insensitive comparisons (locale-independent). */
int ascii_casecmp(const char *a, const char *b);
int ascii_ncasecmp(const char *a, const char *b, size_t n);
bool ascii_memeq_nocase(const char *a, size_t alen, const char *b, size_t blen);
/* True when the comma-separated list value [v, v+vlen) contains `token` (case-insensitive,
 * optional whitespace around elements). */
bool list_has_token(const char *v, size_t vlen, const char *token);
/* The next element of a comma-separated list value at *v (before end), whitespace trimmed:
 * returns its start and sets *len, advancing *v past it; NULL when the list is done. Empty
 * elements are skipped. */
const char *list_next(const char **v, const char *end, size_t *len);

#endif
