/* srv_conn: see srv_conn.h. The response stream is followed byte by byte: a line at a time in
 * heads (a prefix of a long line is enough: only the status line and a few field names
 * matter), by count or by the last chunk in bodies. */
#include "srv_conn.h"

#include <stdlib.h>
#include <string.h>

static const char close_field[] = "Connection: close\r\n";

bool srv_conn_request_closes(const char *version, bool conn_close, bool conn_keep_alive)
{
    if (conn_close)
        return true;
    return strcmp(version, "HTTP/1.0") == 0 && !conn_keep_alive;
}

void srv_conn_begin(srv_conn *s, const char *method, const char *version, bool conn_close,
                    bool conn_keep_alive)
{
    memset(s, 0, sizeof *s);
    s->http10 = strcmp(version, "HTTP/1.0") == 0;
    s->head_request = strcmp(method, "HEAD") == 0;
    s->req_close = srv_conn_request_closes(version, conn_close, conn_keep_alive);
    s->closing = s->req_close;
    s->state = SRV_HEAD;
}

const char *srv_conn_forbidden(const srv_conn *s, const char *p, size_t n)
{
    if (!s->http10)
        return NULL;
    for (size_t i = 0; i + 10 <= n; i++) {
        bool at_line = i == 0 || p[i - 1] == '\n';
        bool at_msg = i == 0 || (i >= 4 && memcmp(p + i - 4, "\r\n\r\n", 4) == 0);
        if (at_msg && memcmp(p + i, "HTTP/1.", 7) == 0 && p[i + 8] == ' ' && p[i + 9] == '1')
            return "a 1xx response (RFC 9110 §15.2)";
        if (at_line && n - i >= 18 && ascii_memeq_nocase(p + i, 18, "Transfer-Encoding:", 18))
            return "Transfer-Encoding (RFC 9112 §6.1)";
    }
    return NULL;
}

/* ---- heads --------------------------------------------------------------------------------- */

/* "HTTP/1.x NNN ...": the status code, or 0. */
static int status_of(const char *l, size_t n)
{
    if (n < 12 || memcmp(l, "HTTP/1.", 7) != 0 || l[8] != ' ')
        return 0;
    const char *d = l + 9;
    for (int i = 0; i < 3; i++)
        if (d[i] < '0' || d[i] > '9')
            return 0;
    return (d[0] - '0') * 100 + (d[1] - '0') * 10 + (d[2] - '0');
}

/* The value of a field line "Name: value" when its name is `name`, else NULL. */
static const char *field_value(const char *l, size_t n, const char *name, size_t *vlen)
{
    size_t k = strlen(name);
    if (n <= k || l[k] != ':' || !ascii_memeq_nocase(l, k, name, k))
        return NULL;
    const char *v = l + k + 1;
    *vlen = n - k - 1;
    return v;
}

/* Whether the rest of the head that starts at p[0,n) (up to its empty line, or the end of p)
 * has a Connection field listing close. */
static bool rest_says_close(const char *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        const char *e = memchr(p + i, '\n', n - i);
        size_t len = e ? (size_t)(e - (p + i)) : n - i;
        size_t l = len && p[i + len - 1] == '\r' ? len - 1 : len;
        if (e && l == 0)
            return false; /* the empty line: the head ended */
        size_t vl;
        const char *v = field_value(p + i, l, "Connection", &vl);
        if (v && list_has_token(v, vl, "close"))
            return true;
        i += len + 1;
    }
    return false;
}

static void head_ended(srv_conn *s)
{
    if (s->status < 200) {
        s->state = s->status == 101 ? SRV_TUNNEL : SRV_HEAD;
        s->status = 0;
        s->chunked = s->has_length = s->conn_close = false;
        return;
    }
    s->resp_close = s->conn_close || s->added_close;
    s->closing = s->req_close || s->resp_close;
    if (s->head_request || s->status == 204 || s->status == 304 ||
        (s->has_length && !s->chunked && s->left == 0)) {
        s->state = SRV_DONE;
    } else if (s->chunked) {
        s->state = SRV_BODY;
        s->left = 1;
    } else if (s->has_length) {
        s->state = SRV_BODY;
    } else {
        s->state = SRV_TO_CLOSE;
        s->closing = true;
    }
}

static void field_line(srv_conn *s, const char *l, size_t n)
{
    size_t vl;
    const char *v;
    if ((v = field_value(l, n, "Connection", &vl)) && list_has_token(v, vl, "close"))
        s->conn_close = true;
    if ((v = field_value(l, n, "Transfer-Encoding", &vl)) && list_has_token(v, vl, "chunked"))
        s->chunked = true;
    if ((v = field_value(l, n, "Content-Length", &vl))) {
        char num[24];
        while (vl && (*v == ' ' || *v == '\t'))
            v++, vl--;
        size_t k = vl < sizeof num - 1 ? vl : sizeof num - 1;
        memcpy(num, v, k);
        num[k] = '\0';
        s->has_length = true;
        s->left = strtoull(num, NULL, 10);
    }
}

/* One byte of a head; returns true when "Connection: close" goes right after it. */
static bool head_byte(srv_conn *s, char c, const char *rest, size_t nrest)
{
    if (c != '\n') {
        if (s->line_len < sizeof s->line)
            s->line[s->line_len++] = c;
        return false;
    }
    size_t n = s->line_len && s->line[s->line_len - 1] == '\r' ? s->line_len - 1 : s->line_len;
    s->line_len = 0;
    if (s->status == 0) {
        s->status = status_of(s->line, n);
        if (s->status == 0) { /* not a status line: the script plays something else */
            s->state = SRV_TUNNEL;
            return false;
        }
        bool add = s->status >= 200 && s->req_close && !rest_says_close(rest, nrest);
        s->added_close |= add;
        return add;
    }
    if (n == 0)
        head_ended(s);
    else
        field_line(s, s->line, n);
    return false;
}

/* ---- bodies -------------------------------------------------------------------------------- */

/* Chunked: the body ends at "0\r\n\r\n" (the last chunk with no trailers; enough for what
 * h1xx's scripts write). Returns the bytes of p[0,n) that belong to the body. */
static size_t chunked_bytes(srv_conn *s, const char *p, size_t n)
{
    static const char end[] = "0\r\n\r\n";
    for (size_t i = 0; i < n; i++) {
        s->tail = p[i] == end[s->tail] ? s->tail + 1 : p[i] == '0' ? 1 : 0;
        if (s->tail == 5) {
            s->state = SRV_DONE;
            return i + 1;
        }
    }
    return n;
}

void srv_conn_out(srv_conn *s, const char *p, size_t n, buf_t *out)
{
    size_t i = 0, from = 0;
    while (i < n) {
        if (s->state == SRV_HEAD) {
            bool add = head_byte(s, p[i], p + i + 1, n - i - 1);
            i++;
            if (add) {
                buf_append(out, p + from, i - from);
                buf_append(out, close_field, sizeof close_field - 1);
                from = i;
            }
        } else if (s->state == SRV_BODY && s->chunked) {
            i += chunked_bytes(s, p + i, n - i);
        } else if (s->state == SRV_BODY) {
            unsigned long long k = n - i < s->left ? n - i : s->left;
            i += (size_t)k;
            s->left -= k;
            if (s->left == 0)
                s->state = SRV_DONE;
        } else {
            i = n; /* to the close, done, or another protocol: passed on as is */
        }
    }
    buf_append(out, p + from, n - from);
}

bool srv_conn_final_done(const srv_conn *s)
{
    return s->state == SRV_DONE || s->state == SRV_TO_CLOSE;
}

bool srv_conn_must_close(const srv_conn *s)
{
    return s->closing && srv_conn_final_done(s);
}
