/* util: see util.h. */
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- allocation ---------------------------------------------------------------------------- */

static void oom(void)
{
    fputs("h1xx: out of memory\n", stderr);
    abort();
}

void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        oom();
    return p;
}

void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        oom();
    return p;
}

void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p)
        oom();
    return p;
}

char *xstrdup(const char *s)
{
    return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
    char *p = xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *xvasprintf(const char *fmt, va_list ap)
{
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) < 0)
        oom();
    return s;
}

char *xasprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = xvasprintf(fmt, ap);
    va_end(ap);
    return s;
}

void grow_array(void **arr, size_t *cap, size_t need, size_t size)
{
    if (need < *cap)
        return;
    size_t n = *cap ? *cap : 4;
    while (n <= need)
        n += n / 2; /* by half, not double: 10,000 results in flight carry a third of the slack */
    *arr = xrealloc(*arr, n * size);
    *cap = n;
}

/* ---- buffers ------------------------------------------------------------------------------- */

void buf_init(buf_t *b, size_t max)
{
    memset(b, 0, sizeof *b);
    b->max = max ? max : SIZE_MAX / 2;
}

static void buf_reserve(buf_t *b, size_t need)
{
    if (need + 1 <= b->cap)
        return;
    size_t n = b->cap ? b->cap : 256;
    while (n < need + 1) /* by half again: a connection's stream is kept whole, 10,000 at once */
        n += n / 2;
    b->data = xrealloc(b->data, n);
    b->cap = n;
}

int buf_append(buf_t *b, const void *p, size_t n)
{
    if (b->max == 0)
        b->max = SIZE_MAX / 2;
    size_t room = b->max - b->len;
    int rc = 0;
    if (n > room) {
        n = room;
        b->truncated = true;
        rc = -1;
    }
    buf_reserve(b, b->len + n);
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return rc;
}

/* Formats straight into the spare room (reports print a great many small pieces: a malloc
 * per piece was a third of a run's instructions); grows and formats again when it did not fit,
 * and goes through buf_append only when the cap cuts the text. */
int buf_printf(buf_t *b, const char *fmt, ...)
{
    if (b->max == 0)
        b->max = SIZE_MAX / 2;
    va_list ap, again;
    va_start(ap, fmt);
    va_copy(again, ap);
    size_t room = b->data ? b->cap - b->len : 0;
    int n = vsnprintf(room ? b->data + b->len : NULL, room, fmt, ap);
    va_end(ap);
    int rc = 0;
    if (n < 0) {
        rc = -1;
    } else if ((size_t)n > b->max - b->len) {
        char *s = xvasprintf(fmt, again);
        rc = buf_append(b, s, strlen(s));
        free(s);
    } else {
        if ((size_t)n >= room) {
            buf_reserve(b, b->len + (size_t)n);
            vsnprintf(b->data + b->len, (size_t)n + 1, fmt, again);
        }
        b->len += (size_t)n;
    }
    va_end(again);
    if (b->data)
        b->data[b->len] = '\0';
    return rc;
}

void buf_reset(buf_t *b)
{
    b->len = 0;
    b->truncated = false;
    if (b->data)
        b->data[0] = '\0';
}

char *buf_steal(buf_t *b)
{
    char *p = b->data ? b->data : xstrdup("");
    size_t max = b->max;
    memset(b, 0, sizeof *b);
    b->max = max;
    return p;
}

void buf_free(buf_t *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

/* ---- clock and numbers --------------------------------------------------------------------- */

int64_t clock_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int parse_long(const char *s, long min, long max, long *out)
{
    if (!s || !*s)
        return -1;
    char *end = NULL;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || end == s || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

/* Durations are parsed by hand (integer and up to nine fraction digits) so that the locale's
 * decimal separator never matters. */
int parse_duration_ns(const char *s, int64_t *out_ns)
{
    if (!s || !*s)
        return -1;
    int64_t whole = 0, frac = 0, scale = 1000000000;
    const char *p = s;
    int digits = 0;
    while (*p >= '0' && *p <= '9') {
        if (whole > 100000000)
            return -1;
        whole = whole * 10 + (*p++ - '0');
        digits++;
    }
    int64_t fscale = 1;
    if (*p == '.') {
        p++;
        while (*p >= '0' && *p <= '9') {
            if (fscale < 1000000000) {
                frac = frac * 10 + (*p - '0');
                fscale *= 10;
            }
            p++;
            digits++;
        }
    }
    if (!digits)
        return -1;
    if (strcmp(p, "ms") == 0)
        scale = 1000000;
    else if (strcmp(p, "us") == 0)
        scale = 1000;
    else if (strcmp(p, "s") == 0 || *p == '\0')
        scale = 1000000000;
    else if (strcmp(p, "m") == 0)
        scale = 60LL * 1000000000;
    else
        return -1;
    /* scale and fscale are 6e10 or powers of ten: one divides the other, so no product
     * overflows; a duration is at most DURATION_MAX_NS, so adding it to a clock reading
     * cannot overflow either */
    int64_t part = (scale >= fscale) ? frac * (scale / fscale) : frac / (fscale / scale);
    if (whole > (DURATION_MAX_NS - part) / scale)
        return -1;
    *out_ns = whole * scale + part;
    return 0;
}

static int lower(int c)
{
    return (c >= 'A' && c <= 'Z') ? c + 32 : c;
}

int ascii_casecmp(const char *a, const char *b)
{
    for (;; a++, b++) {
        int d = lower((unsigned char)*a) - lower((unsigned char)*b);
        if (d || !*a)
            return d;
    }
}

int ascii_ncasecmp(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int d = lower((unsigned char)a[i]) - lower((unsigned char)b[i]);
        if (d || !a[i])
            return d;
    }
    return 0;
}

bool ascii_memeq_nocase(const char *a, size_t alen, const char *b, size_t blen)
{
    if (alen != blen)
        return false;
    for (size_t i = 0; i < alen; i++)
        if (lower((unsigned char)a[i]) != lower((unsigned char)b[i]))
            return false;
    return true;
}

const char *list_next(const char **v, const char *end, size_t *len)
{
    const char *p = *v;
    for (;;) {
        while (p < end && (*p == ' ' || *p == '\t' || *p == ','))
            p++;
        if (p >= end) {
            *v = p;
            return NULL;
        }
        const char *t = p;
        while (p < end && *p != ',')
            p++;
        const char *te = p;
        while (te > t && (te[-1] == ' ' || te[-1] == '\t'))
            te--;
        if (te > t) {
            *v = p;
            *len = (size_t)(te - t);
            return t;
        }
    }
}

bool list_has_token(const char *v, size_t vlen, const char *token)
{
    size_t tlen = strlen(token), i = 0;
    while (i < vlen) {
        while (i < vlen && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
            i++;
        size_t start = i;
        while (i < vlen && v[i] != ',')
            i++;
        size_t end = i;
        while (end > start && (v[end - 1] == ' ' || v[end - 1] == '\t'))
            end--;
        if (end > start && ascii_memeq_nocase(v + start, end - start, token, tlen))
            return true;
    }
    return false;
}
