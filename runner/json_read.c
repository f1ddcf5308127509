/* json_read: see json_read.h. A recursive-descent parser; the recursion is bounded by
 * max_depth. Every allocation is bounded by the input's size. */
#include "json_read.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

typedef struct parser {
    const unsigned char *s, *p, *e;
    int depth, max_depth;
    char *err;
    size_t errsz;
} parser;

static int parse_value(parser *ps, json_value *v);

/* ---- errors -------------------------------------------------------------------------------- */

/* Writes "line L, column C: reason" for the current position; returns -1. */
static int fail(parser *ps, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(parser *ps, const char *fmt, ...)
{
    size_t line = 1;
    const unsigned char *bol = ps->s;
    for (const unsigned char *q = ps->s; q < ps->p; q++)
        if (*q == '\n')
            line++, bol = q + 1;
    char reason[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    if (ps->err && ps->errsz)
        snprintf(ps->err, ps->errsz, "line %zu, column %zu: %s", line,
                 (size_t)(ps->p - bol) + 1, reason);
    return -1;
}

/* The character at the current position, for a message: 'x', or \xHH, or end of input. */
static int fail_here(parser *ps, const char *expected)
{
    if (ps->p >= ps->e)
        return fail(ps, "expected %s, got the end of the input", expected);
    unsigned char c = *ps->p;
    if (c > 0x20 && c < 0x7F)
        return fail(ps, "expected %s, got '%c'", expected, c);
    return fail(ps, "expected %s, got byte \\x%02X", expected, c);
}

/* ---- lexical pieces ------------------------------------------------------------------------ */

static void skip_ws(parser *ps)
{
    while (ps->p < ps->e && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
        ps->p++;
}

static bool literal(parser *ps, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(ps->e - ps->p) < n || memcmp(ps->p, word, n) != 0)
        return false;
    ps->p += n;
    return true;
}

/* Length of the well-formed UTF-8 sequence at p (shortest form, no surrogates, at most
 * U+10FFFF), or 0. */
static size_t utf8_len(const unsigned char *p, size_t avail)
{
    unsigned c = p[0], lo = 0x80, hi = 0xBF;
    size_t n;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        lo = c == 0xE0 ? 0xA0 : 0x80;
        hi = c == 0xED ? 0x9F : 0xBF;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        lo = c == 0xF0 ? 0x90 : 0x80;
        hi = c == 0xF4 ? 0x8F : 0xBF;
    } else {
        return 0;
    }
    if (avail < n || p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if ((p[i] & 0xC0) != 0x80)
            return 0;
    return n;
}

static void put_utf8(buf_t *b, uint32_t cp)
{
    unsigned char u[4];
    size_t n;
    if (cp < 0x80) {
        u[0] = (unsigned char)cp, n = 1;
    } else if (cp < 0x800) {
        u[0] = (unsigned char)(0xC0 | cp >> 6), u[1] = (unsigned char)(0x80 | (cp & 0x3F)), n = 2;
    } else if (cp < 0x10000) {
        u[0] = (unsigned char)(0xE0 | cp >> 12), u[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (unsigned char)(0x80 | (cp & 0x3F)), n = 3;
    } else {
        u[0] = (unsigned char)(0xF0 | cp >> 18), u[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F)), u[3] = (unsigned char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    buf_append(b, u, n);
}

/* Four hex digits after "\u". */
static int hex4(parser *ps, uint32_t *out)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++, ps->p++) {
        if (ps->p >= ps->e)
            return fail_here(ps, "four hex digits after \\u");
        unsigned c = *ps->p;
        int d = c >= '0' && c <= '9' ? (int)c - '0' : c >= 'a' && c <= 'f' ? (int)c - 'a' + 10
              : c >= 'A' && c <= 'F' ? (int)c - 'A' + 10 : -1;
        if (d < 0)
            return fail_here(ps, "four hex digits after \\u");
        v = v << 4 | (uint32_t)d;
    }
    *out = v;
    return 0;
}

/* After "\u": one code point, a surrogate pair joined. */
static int unicode_escape(parser *ps, buf_t *b)
{
    uint32_t cp, lo;
    if (hex4(ps, &cp))
        return -1;
    if (cp >= 0xDC00 && cp <= 0xDFFF)
        return fail(ps, "lone low surrogate \\u%04X", (unsigned)cp);
    if (cp >= 0xD800 && cp <= 0xDBFF) {
        if (!literal(ps, "\\u"))
            return fail(ps, "high surrogate \\u%04X not followed by a low one", (unsigned)cp);
        if (hex4(ps, &lo))
            return -1;
        if (lo < 0xDC00 || lo > 0xDFFF)
            return fail(ps, "high surrogate \\u%04X not followed by a low one", (unsigned)cp);
        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
    }
    put_utf8(b, cp);
    return 0;
}

static int escape(parser *ps, buf_t *b)
{
    static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
    if (ps->p >= ps->e)
        return fail_here(ps, "an escape");
    const char *k = *ps->p ? strchr(from, *ps->p) : NULL;
    if (k) {
        buf_append(b, &to[k - from], 1);
        ps->p++;
        return 0;
    }
    if (*ps->p != 'u')
        return fail_here(ps, "one of \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u");
    ps->p++;
    return unicode_escape(ps, b);
}

/* A string at the opening quote; the decoded bytes go into b. */
static int string_into(parser *ps, buf_t *b)
{
    ps->p++;
    for (;;) {
        if (ps->p >= ps->e)
            return fail(ps, "unterminated string");
        unsigned char c = *ps->p;
        if (c == '"') {
            ps->p++;
            return 0;
        }
        if (c < 0x20)
            return fail(ps, "control character \\x%02X in a string (must be escaped)", c);
        if (c == '\\') {
            ps->p++;
            if (escape(ps, b))
                return -1;
            continue;
        }
        size_t n = c < 0x80 ? 1 : utf8_len(ps->p, (size_t)(ps->e - ps->p));
        if (!n)
            return fail(ps, "invalid UTF-8 in a string");
        buf_append(b, ps->p, n);
        ps->p += n;
    }
}

static int parse_string(parser *ps, json_value *v)
{
    buf_t b;
    buf_init(&b, 0);
    if (string_into(ps, &b)) {
        buf_free(&b);
        return -1;
    }
    v->type = JSON_STRING;
    v->len = b.len;
    v->str = buf_steal(&b);
    return 0;
}

static bool digit(const parser *ps)
{
    return ps->p < ps->e && *ps->p >= '0' && *ps->p <= '9';
}

static int parse_number(parser *ps, json_value *v)
{
    const unsigned char *start = ps->p;
    if (*ps->p == '-')
        ps->p++;
    if (!digit(ps))
        return fail_here(ps, "a digit");
    if (*ps->p == '0' && ps->p + 1 < ps->e && ps->p[1] >= '0' && ps->p[1] <= '9')
        return fail(ps, "leading zero in a number");
    while (digit(ps))
        ps->p++;
    if (ps->p < ps->e && *ps->p == '.') {
        ps->p++;
        if (!digit(ps))
            return fail_here(ps, "a digit after the decimal point");
        while (digit(ps))
            ps->p++;
    }
    if (ps->p < ps->e && (*ps->p == 'e' || *ps->p == 'E')) {
        ps->p++;
        if (ps->p < ps->e && (*ps->p == '+' || *ps->p == '-'))
            ps->p++;
        if (!digit(ps))
            return fail_here(ps, "a digit in the exponent");
        while (digit(ps))
            ps->p++;
    }
    v->type = JSON_NUMBER;
    v->len = (size_t)(ps->p - start);
    v->str = xstrndup((const char *)start, v->len);
    return 0;
}

/* ---- containers ---------------------------------------------------------------------------- */

static int enter(parser *ps)
{
    if (++ps->depth > ps->max_depth)
        return fail(ps, "nesting deeper than %d", ps->max_depth);
    ps->p++;
    skip_ws(ps);
    return 0;
}

/* Adds an empty element to an array or object and returns it. */
static json_value *add_item(json_value *v, size_t *cap)
{
    grow_array((void **)&v->items, cap, v->n, sizeof *v->items);
    json_value *it = &v->items[v->n++];
    memset(it, 0, sizeof *it);
    return it;
}

/* After an element: ',' (returns 1, go on) or the closing character (returns 0). */
static int next_or_close(parser *ps, char close, const char *expected)
{
    skip_ws(ps);
    if (ps->p < ps->e && *ps->p == ',') {
        ps->p++;
        skip_ws(ps);
        return 1;
    }
    if (ps->p < ps->e && *ps->p == (unsigned char)close) {
        ps->p++;
        ps->depth--;
        return 0;
    }
    return fail_here(ps, expected);
}

static int parse_array(parser *ps, json_value *v)
{
    size_t cap = 0;
    v->type = JSON_ARRAY;
    if (enter(ps))
        return -1;
    if (ps->p < ps->e && *ps->p == ']') {
        ps->p++;
        ps->depth--;
        return 0;
    }
    for (;;) {
        if (parse_value(ps, add_item(v, &cap)))
            return -1;
        int r = next_or_close(ps, ']', "',' or ']'");
        if (r <= 0)
            return r;
    }
}

static int cmp_key(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorts a copy of the keys: a repeated key is a neighbour of itself. */
static int check_duplicates(parser *ps, const json_value *v)
{
    if (v->n < 2)
        return 0;
    char **k = xmalloc(v->n * sizeof *k);
    memcpy(k, v->keys, v->n * sizeof *k);
    qsort(k, v->n, sizeof *k, cmp_key);
    const char *dup = NULL;
    for (size_t i = 1; i < v->n && !dup; i++)
        if (!strcmp(k[i - 1], k[i]))
            dup = k[i];
    char shown[48];
    size_t j = 0;
    for (; dup && dup[j] && j < sizeof shown - 1; j++)
        shown[j] = dup[j] > 0x20 && dup[j] < 0x7F ? dup[j] : '?';
    shown[j] = '\0';
    free(k);
    return dup ? fail(ps, "key \"%s\" repeated in an object", shown) : 0;
}

static int member(parser *ps, json_value *v, size_t *cap, size_t *kcap)
{
    if (ps->p >= ps->e || *ps->p != '"')
        return fail_here(ps, "a string key");
    buf_t k;
    buf_init(&k, 0);
    if (string_into(ps, &k)) {
        buf_free(&k);
        return -1;
    }
    if (k.len && memchr(k.data, '\0', k.len)) {
        buf_free(&k);
        return fail(ps, "key holds a NUL character");
    }
    grow_array((void **)&v->keys, kcap, v->n, sizeof *v->keys);
    v->keys[v->n] = buf_steal(&k);
    json_value *val = add_item(v, cap);
    skip_ws(ps);
    if (ps->p >= ps->e || *ps->p != ':')
        return fail_here(ps, "':'");
    ps->p++;
    return parse_value(ps, val);
}

static int parse_object(parser *ps, json_value *v)
{
    size_t cap = 0, kcap = 0;
    v->type = JSON_OBJECT;
    if (enter(ps))
        return -1;
    if (ps->p < ps->e && *ps->p == '}') {
        ps->p++;
        ps->depth--;
        return 0;
    }
    for (;;) {
        if (member(ps, v, &cap, &kcap))
            return -1;
        int r = next_or_close(ps, '}', "',' or '}'");
        if (r < 0)
            return r;
        if (r == 0)
            return check_duplicates(ps, v);
    }
}

static int parse_value(parser *ps, json_value *v)
{
    skip_ws(ps);
    if (ps->p >= ps->e)
        return fail_here(ps, "a value");
    switch (*ps->p) {
    case '{': return parse_object(ps, v);
    case '[': return parse_array(ps, v);
    case '"': return parse_string(ps, v);
    case 't':
    case 'f':
        v->boolean = *ps->p == 't';
        if (!literal(ps, v->boolean ? "true" : "false"))
            return fail_here(ps, "a value");
        v->type = JSON_BOOL;
        return 0;
    case 'n':
        if (!literal(ps, "null"))
            return fail_here(ps, "a value");
        v->type = JSON_NULL;
        return 0;
    default:
        if (*ps->p == '-' || (*ps->p >= '0' && *ps->p <= '9'))
            return parse_number(ps, v);
        return fail_here(ps, "a value");
    }
}

/* ---- documents ----------------------------------------------------------------------------- */

int json_parse(const char *s, size_t len, const json_limits *lim, json_value *out, char *err,
               size_t errsz)
{
    size_t max_bytes = lim && lim->max_bytes ? lim->max_bytes : JSON_DEFAULT_MAX_BYTES;
    int max_depth = lim && lim->max_depth > 0 ? lim->max_depth : JSON_DEFAULT_MAX_DEPTH;
    memset(out, 0, sizeof *out);
    parser ps = {(const unsigned char *)s, (const unsigned char *)s,
                 (const unsigned char *)s + len, 0, max_depth, err, errsz};
    if (len > max_bytes) {
        snprintf(err, errsz, "document of %zu bytes is over the limit of %zu", len, max_bytes);
        return -1;
    }
    int rc = parse_value(&ps, out);
    if (rc == 0) {
        skip_ws(&ps);
        if (ps.p != ps.e)
            rc = fail_here(&ps, "the end of the document");
    }
    if (rc)
        json_free(out);
    return rc;
}

int json_parse_file(const char *path, const json_limits *lim, json_value *out, char *err,
                    size_t errsz)
{
    size_t max_bytes = lim && lim->max_bytes ? lim->max_bytes : JSON_DEFAULT_MAX_BYTES;
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errsz, "cannot open: %s", strerror(errno));
        return -1;
    }
    buf_t b;
    buf_init(&b, max_bytes + 1);
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0 && !b.truncated)
        buf_append(&b, chunk, n);
    int rd_err = ferror(f);
    fclose(f);
    int rc = -1;
    if (rd_err)
        snprintf(err, errsz, "cannot read: %s", strerror(EIO));
    else if (b.truncated || b.len > max_bytes)
        snprintf(err, errsz, "file is over the limit of %zu bytes", max_bytes);
    else
        rc = json_parse(b.data, b.len, lim, out, err, errsz);
    buf_free(&b);
    return rc;
}

void json_free(json_value *v)
{
    for (size_t i = 0; i < v->n; i++) {
        if (v->items)
            json_free(&v->items[i]);
        if (v->keys)
            free(v->keys[i]);
    }
    free(v->items);
    free(v->keys);
    free(v->str);
    memset(v, 0, sizeof *v);
}

/* ---- reading the tree ---------------------------------------------------------------------- */

const json_value *json_get(const json_value *v, const char *key)
{
    if (!v || v->type != JSON_OBJECT)
        return NULL;
    for (size_t i = 0; i < v->n; i++)
        if (!strcmp(v->keys[i], key))
            return &v->items[i];
    return NULL;
}

const char *json_text(const json_value *v)
{
    if (!v || v->type != JSON_STRING || memchr(v->str, '\0', v->len))
        return NULL;
    return v->str;
}

int json_int(const json_value *v, int64_t min, int64_t max, int64_t *out)
{
    if (!v || v->type != JSON_NUMBER || strpbrk(v->str, ".eE"))
        return -1;
    const char *p = v->str;
    bool neg = *p == '-';
    p += neg;
    uint64_t mag = 0;
    for (; *p; p++) {
        if (mag > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
            return -1;
        mag = mag * 10 + (uint64_t)(*p - '0');
    }
    if (neg ? mag > (uint64_t)INT64_MAX + 1 : mag > (uint64_t)INT64_MAX)
        return -1;
    int64_t val = neg ? (int64_t)(0 - mag) : (int64_t)mag;
    if (val < min || val > max)
        return -1;
    *out = val;
    return 0;
}

/* The digits of a number without sign, point and leading zeros, and the power of ten of the
 * first one ("0.004597" -> "4597", -3). Returns false when the exponent is absurd. */
static bool significand(const char *s, char *digits, size_t cap, size_t *nd, long *first_pow)
{
    const char *p = s + (*s == '-'), *point = NULL;
    long int_digits = 0, exp = 0;
    bool seen_nonzero = false;
    size_t n = 0;
    for (; *p && *p != 'e' && *p != 'E'; p++) {
        if (*p == '.') {
            point = p;
            continue;
        }
        if (!point)
            int_digits++;
        if (*p == '0' && !seen_nonzero) {
            int_digits--; /* a leading zero: the first significant digit is one place lower */
            continue;
        }
        seen_nonzero = true;
        if (n < cap)
            digits[n++] = *p;
    }
    if (*p == 'e' || *p == 'E') {
        char *end;
        errno = 0;
        exp = strtol(p + 1, &end, 10);
        if (errno || exp > 100000 || exp < -100000)
            return false;
    }
    *nd = n;
    *first_pow = int_digits - 1 + exp;
    return true;
}

int json_seconds_ns(const json_value *v, int64_t *out_ns)
{
    if (!v || v->type != JSON_NUMBER)
        return -1;
    char d[64];
    size_t nd;
    long pow;
    if (!significand(v->str, d, sizeof d, &nd, &pow))
        return -1;
    int64_t acc = 0;
    if (nd == 0 || pow + 9 < -1) {
        *out_ns = 0;
        return 0;
    }
    if (pow + 9 > 18)
        return -1;
    size_t i = 0;
    for (long p = pow + 9; p >= 0; p--, i++) {
        int dig = i < nd ? d[i] - '0' : 0;
        if (acc > (INT64_MAX - dig) / 10)
            return -1;
        acc = acc * 10 + dig;
    }
    if (i < nd && d[i] >= '5' && acc < INT64_MAX)
        acc++;
    *out_ns = v->str[0] == '-' ? -acc : acc;
    return 0;
}

const char *json_type_name(json_type t)
{
    static const char *const names[] = {"null", "boolean", "number", "string", "array", "object"};
    return t <= JSON_OBJECT ? names[t] : "?";
}
