/* report_util: see report_util.h. */
#include "report_util.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- text ---------------------------------------------------------------------------------- */

const char *report_str(const char *s)
{
    return s ? s : "";
}

size_t report_utf8_decode(const unsigned char *s, size_t len, uint32_t *cp)
{
    unsigned char c = s[0];
    size_t n;
    uint32_t v, min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF)
        n = 2, v = c & 0x1F, min = 0x80;
    else if (c >= 0xE0 && c <= 0xEF)
        n = 3, v = c & 0x0F, min = 0x800;
    else if (c >= 0xF0 && c <= 0xF4)
        n = 4, v = c & 0x07, min = 0x10000;
    else
        return 0;
    if (len < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        v = (v << 6) | (s[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    *cp = v;
    return n;
}

void report_hex_bytes(buf_t *out, const unsigned char *p, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        char e[4] = {'\\', 'x', hex[p[i] >> 4], hex[p[i] & 15]};
        buf_append(out, e, 4);
    }
}

/* Characters that print as nothing or reorder text on a terminal: controls, bidi overrides,
 * zero-width and other format characters. They are shown as bytes instead. */
static bool invisible(uint32_t cp)
{
    return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0xAD || (cp >= 0x200B && cp <= 0x200F) ||
           (cp >= 0x2028 && cp <= 0x202E) || (cp >= 0x2060 && cp <= 0x206F) || cp == 0xFEFF ||
           cp == 0xFFFE || cp == 0xFFFF;
}

static const char *text_escape(uint32_t cp)
{
    switch (cp) {
    case '\t': return "\\t";
    case '\r': return "\\r";
    case '\n': return "\\n";
    default: return NULL;
    }
}

void report_readable_text(buf_t *out, const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, run = 0;
    while (i < len) {
        uint32_t cp = 0;
        size_t n = report_utf8_decode(p + i, len - i, &cp);
        if (n && !invisible(cp)) {
            i += n;
            continue;
        }
        buf_append(out, p + run, i - run);
        const char *e = n ? text_escape(cp) : NULL;
        if (e)
            buf_append(out, e, strlen(e));
        else
            report_hex_bytes(out, p + i, n ? n : 1);
        i += n ? n : 1;
        run = i;
    }
    buf_append(out, p + run, len - run);
}

void report_readable_str(buf_t *out, const char *s)
{
    s = report_str(s);
    report_readable_text(out, s, strlen(s));
}

void report_html_escape(buf_t *out, const char *s, size_t len)
{
    buf_t r;
    buf_init(&r, 0);
    report_readable_text(&r, s, len);
    size_t run = 0;
    for (size_t i = 0; i < r.len; i++) {
        const char *ref;
        switch (r.data[i]) {
        case '&': ref = "&amp;"; break;
        case '<': ref = "&lt;"; break;
        case '>': ref = "&gt;"; break;
        case '"': ref = "&quot;"; break;
        case '\'': ref = "&#39;"; break;
        default: continue;
        }
        buf_append(out, r.data + run, i - run);
        buf_append(out, ref, strlen(ref));
        run = i + 1;
    }
    buf_append(out, r.data + run, r.len - run);
    buf_free(&r);
}

void report_html_str(buf_t *out, const char *s)
{
    s = report_str(s);
    report_html_escape(out, s, strlen(s));
}

/* Length of a prefix of s no longer than max that does not end inside a UTF-8 sequence. */
static size_t char_boundary(const char *s, size_t len, size_t max)
{
    if (len <= max)
        return len;
    while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
        max--;
    return max;
}

void report_one_line(buf_t *out, const char *s, size_t max)
{
    s = report_str(s);
    size_t len = strlen(s), cut = char_boundary(s, len, max);
    size_t i = 0;
    while (i < cut) {
        size_t j = i;
        while (j < cut && s[j] != '\r' && s[j] != '\n' && s[j] != '\t')
            j++;
        report_readable_text(out, s + i, j - i);
        if (j == cut)
            break;
        REPORT_PUT(out, " ");
        while (j < cut && (s[j] == '\r' || s[j] == '\n' || s[j] == '\t'))
            j++;
        i = j;
    }
    if (cut < len)
        REPORT_PUT(out, "...");
}

/* ---- numbers and times --------------------------------------------------------------------- */

void report_secs(buf_t *out, int64_t ns, int decimals)
{
    if (decimals < 1)
        decimals = 1;
    if (decimals > 9)
        decimals = 9;
    uint64_t unit = 1, mag = ns < 0 ? (uint64_t)0 - (uint64_t)ns : (uint64_t)ns;
    for (int i = decimals; i < 9; i++)
        unit *= 10;
    uint64_t q = (mag + unit / 2) / unit; /* in units of 10^-decimals s */
    uint64_t scale = 1000000000 / unit;
    buf_printf(out, "%s%" PRIu64 ".%0*" PRIu64, ns < 0 && q ? "-" : "", q / scale, decimals,
               q % scale);
}

void report_ms(buf_t *out, int64_t ns)
{
    uint64_t mag = ns < 0 ? (uint64_t)0 - (uint64_t)ns : (uint64_t)ns;
    uint64_t us = mag / 1000;
    buf_printf(out, "%s%" PRIu64 ".%03" PRIu64, ns < 0 ? "-" : "", us / 1000, us % 1000);
}

void report_utc(buf_t *out, time_t t, bool zulu)
{
    struct tm tm;
    char s[64];
    if (!gmtime_r(&t, &tm) || strftime(s, sizeof s, "%Y-%m-%dT%H:%M:%S", &tm) == 0) {
        buf_printf(out, "1970-01-01T00:00:00%s", zulu ? "Z" : "");
        return;
    }
    buf_printf(out, "%s%s", s, zulu ? "Z" : "");
}

void report_base64(buf_t *out, const void *data, size_t len)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const unsigned char *p = data;
    char q[4];
    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16;
        if (i + 1 < len)
            v |= (uint32_t)p[i + 1] << 8;
        if (i + 2 < len)
            v |= p[i + 2];
        q[0] = tab[v >> 18];
        q[1] = tab[(v >> 12) & 63];
        q[2] = i + 1 < len ? tab[(v >> 6) & 63] : '=';
        q[3] = i + 2 < len ? tab[v & 63] : '=';
        buf_append(out, q, 4);
    }
}

static int b64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/* Decodes one group of four characters; pad is how many of them are '=' (0 to 2). */
static int b64_group(const unsigned char *q, size_t pad, buf_t *b)
{
    uint32_t v = 0;
    for (size_t k = 0; k < 4; k++) {
        int d = k < 4 - pad ? b64_value(q[k]) : 0;
        if (d < 0 || (k >= 4 - pad && q[k] != '='))
            return -1;
        v = v << 6 | (uint32_t)d;
    }
    if ((pad == 1 && (v & 0xFF)) || (pad == 2 && (v & 0xFFFF)))
        return -1; /* bits past the data must be zero */
    unsigned char o[3] = {(unsigned char)(v >> 16), (unsigned char)(v >> 8), (unsigned char)v};
    buf_append(b, o, 3 - pad);
    return 0;
}

int report_base64_decode(const char *s, size_t len, char **out, size_t *outlen)
{
    const unsigned char *p = (const unsigned char *)s;
    if (len % 4)
        return -1;
    buf_t b;
    buf_init(&b, 0);
    for (size_t i = 0; i < len; i += 4) {
        size_t pad = 0;
        if (i + 4 == len)
            pad = p[i + 3] == '=' ? (p[i + 2] == '=' ? 2 : 1) : 0;
        if (b64_group(p + i, pad, &b)) {
            buf_free(&b);
            return -1;
        }
    }
    *outlen = b.len;
    *out = buf_steal(&b);
    return 0;
}

/* ---- verdicts ------------------------------------------------------------------------------ */

bool report_is_failure(verdict_t v, bool strict)
{
    return v == VERDICT_FAIL || v == VERDICT_ERROR || (strict && v == VERDICT_WARN);
}

bool report_is_skip(verdict_t v)
{
    return v == VERDICT_SKIP || v == VERDICT_NOTRUN;
}

/* The start of the n-th path component from the end of s (n >= 1), or NULL when s has fewer. */
static const char *last_components(const char *s, size_t len, int n)
{
    while (len && s[len - 1] == '/')
        len--;
    for (size_t i = len; i > 0; i--)
        if (s[i - 1] == '/' && --n == 0)
            return s + i;
    return n == 1 ? s : NULL;
}

char *report_case_path(const char *file, const char *root)
{
    file = report_str(file);
    const char *tail = last_components(file, strlen(file), 2);
    if (!tail || tail == file)
        return xstrdup(file);
    if (root)
        return *root && strcmp(root, ".") ? xasprintf("%s/%s", root, tail) : xstrdup(tail);
    const char *dir = last_components(file, (size_t)(tail - file), 1);
    if (!dir || dir == tail)
        return xstrdup(tail);
    return xasprintf("%.*s%s", (int)(tail - dir), dir, tail);
}

/* ---- transcript ---------------------------------------------------------------------------- */

/* Appends the bytes of one sent/received chunk, one output line per line of data. */
static void transcript_bytes(buf_t *out, const unsigned char *p, size_t len, const char *mark)
{
    bool bol = true;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = p[i];
        if (bol)
            buf_append(out, mark, 2);
        bol = false;
        if (c == '\n') {
            REPORT_PUT(out, "\\n\n");
            bol = true;
        } else if (c == '\r') {
            REPORT_PUT(out, "\\r");
        } else if (c == '\t') {
            REPORT_PUT(out, "\\t");
        } else if (c == '\\') {
            REPORT_PUT(out, "\\\\");
        } else if (c >= 0x20 && c < 0x7F) {
            buf_append(out, &c, 1);
        } else {
            report_hex_bytes(out, &c, 1);
        }
    }
    if (!bol)
        REPORT_PUT(out, "\n");
}

static void transcript_entry(buf_t *out, const case_result *c, const tx_entry *e)
{
    REPORT_PUT(out, "[+");
    report_ms(out, e->t_ns - c->start_ns);
    REPORT_PUT(out, "ms] ");
    if (e->conn > 0)
        buf_printf(out, "conn %d ", e->conn);
    buf_printf(out, "%s", tx_kind_name(e->kind));
    if (e->kind == TX_SENT || e->kind == TX_RECV) {
        if (e->len == 0 && c->tx_truncated)
            buf_printf(out, " (bytes not kept: transcript cap reached)\n");
        else
            buf_printf(out, " %zu byte%s\n", e->len, e->len == 1 ? "" : "s");
        transcript_bytes(out, (const unsigned char *)e->data, e->len,
                         e->kind == TX_SENT ? "> " : "< ");
        return;
    }
    if (e->len) {
        REPORT_PUT(out, " ");
        report_readable_text(out, e->data, e->len);
    }
    REPORT_PUT(out, "\n");
}

void report_transcript(buf_t *out, const case_result *c)
{
    for (size_t i = 0; i < c->ntx; i++)
        transcript_entry(out, c, &c->tx[i]);
    if (c->tx_truncated)
        buf_printf(out, "... transcript truncated: bytes past %d (or reads past %d) were not "
                   "kept ...\n", RESULT_TX_MAX, RESULT_TX_ENTRIES);
}

/* ---- detail block -------------------------------------------------------------------------- */

/* Appends indent, label and the readable form of s, then a newline; nothing when s is empty. */
static void detail_line(buf_t *out, const char *indent, const char *label, const char *s)
{
    if (!s || !*s)
        return;
    buf_printf(out, "%s%s", indent, label);
    report_readable_str(out, s);
    REPORT_PUT(out, "\n");
}

static void detail_findings(buf_t *out, const case_result *c, const char *indent)
{
    for (size_t i = 0; i < c->nfindings; i++) {
        const finding_record *f = &c->findings[i];
        buf_printf(out, "%sfinding [%s] ", indent, verdict_name(f->verdict));
        report_readable_str(out, f->name);
        if (f->code)
            buf_printf(out, " (code %d)", f->code);
        if (f->require && *f->require) {
            REPORT_PUT(out, " breaks ");
            report_readable_str(out, f->require);
        }
        if (f->conn > 0)
            buf_printf(out, " conn %d offset %zu", f->conn, f->offset);
        REPORT_PUT(out, ": ");
        report_readable_str(out, f->text);
        REPORT_PUT(out, "\n");
    }
}

static void detail_header(buf_t *out, const case_result *c, const char *indent)
{
    buf_printf(out, "%s", indent);
    report_readable_str(out, c->id);
    buf_printf(out, ": %s", verdict_name(c->verdict));
    if (c->level && *c->level) {
        REPORT_PUT(out, " (");
        report_readable_str(out, c->level);
        REPORT_PUT(out, ")");
    }
    REPORT_PUT(out, "\n");
}

/* One fate as "102 made-final (+0.2ms)" or "got 103 from-other-case ID". */
static void fate_text(buf_t *out, const fate_record *f)
{
    if (f->kind == FATE_FROM_OTHER)
        buf_printf(out, "got %d written for", f->got_status);
    else if (!f->seq || f->kind == FATE_UNWRITTEN)
        buf_printf(out, "got %d %s", f->got_status, fate_kind_name(f->kind));
    else if (f->kind == FATE_TO_OTHER)
        buf_printf(out, "%d went to the client of", f->status);
    else
        buf_printf(out, "%d %s", f->status, fate_kind_name(f->kind));
    if (f->got_status && f->got_status != f->status && f->seq && f->kind != FATE_FROM_OTHER)
        buf_printf(out, " as %d", f->got_status);
    if (f->t_write_ns >= 0 && f->t_read_ns >= 0 && f->kind != FATE_TO_OTHER) {
        REPORT_PUT(out, " ");
        report_ms(out, f->t_read_ns - f->t_write_ns);
        REPORT_PUT(out, "ms");
    }
    if (f->other) {
        REPORT_PUT(out, " ");
        report_readable_str(out, f->other);
    }
}

void report_fates_line(buf_t *out, const case_result *c)
{
    bool plain = true;
    for (size_t i = 0; i < c->nfates; i++)
        plain &= c->fates[i].kind == FATE_FORWARDED;
    if (plain)
        return;
    REPORT_PUT(out, "fates: ");
    for (size_t i = 0; i < c->nfates; i++) {
        if (i)
            REPORT_PUT(out, ", ");
        fate_text(out, &c->fates[i]);
    }
}

void report_case_detail(buf_t *out, const case_result *c, const char *indent, bool header)
{
    if (header)
        detail_header(out, c, indent);
    detail_line(out, indent, "title: ", c->title);
    if ((c->require && *c->require) || (c->level && *c->level)) {
        buf_printf(out, "%srequirement: ", indent);
        report_readable_str(out, c->require);
        if (c->level && *c->level) {
            REPORT_PUT(out, " (level ");
            report_readable_str(out, c->level);
            REPORT_PUT(out, ")");
        }
        REPORT_PUT(out, "\n");
    }
    detail_line(out, indent, "broken: ", c->failed_require);
    detail_line(out, indent, "rfc: ", c->rfc);
    if (c->file && *c->file) {
        buf_printf(out, "%scase: ", indent);
        report_readable_str(out, c->file);
        buf_printf(out, ":%d\n", c->line);
    }
    detail_line(out, indent, "message: ", c->message);
    buf_t f;
    buf_init(&f, 0);
    report_fates_line(&f, c);
    if (f.len)
        buf_printf(out, "%s%s\n", indent, f.data);
    buf_free(&f);
    detail_findings(out, c, indent);
    for (size_t i = 0; i < c->nnotes; i++)
        detail_line(out, indent, "note: ", report_str(c->notes[i]));
}

void report_messages(buf_t *out, const case_result *c, const char *indent)
{
    for (size_t i = 0; i < c->nmsgs; i++) {
        const msg_record *m = &c->msgs[i];
        buf_printf(out, "%sconn %d %s %d first +", indent, m->conn,
                   m->interim ? "interim" : "final", m->status);
        report_ms(out, m->t_first_ns - c->start_ns);
        REPORT_PUT(out, "ms head +");
        report_ms(out, m->t_head_ns - c->start_ns);
        REPORT_PUT(out, "ms end +");
        report_ms(out, m->t_end_ns - c->start_ns);
        buf_printf(out, "ms body %" PRIu64 " bytes\n", m->body_len);
    }
}

/* ---- atomic report files ------------------------------------------------------------------- */

static void set_err(char *err, size_t errsz, const char *what, const char *path, int e)
{
    if (err && errsz)
        snprintf(err, errsz, "%s %s: %s", what, path, strerror(e));
}

static void file_free(report_file *f)
{
    free(f->path);
    free(f->tmp);
    memset(f, 0, sizeof *f);
}

int report_file_open(report_file *f, const char *path, char *err, size_t errsz)
{
    memset(f, 0, sizeof *f);
    if (!path || !*path) {
        set_err(err, errsz, "cannot write", "report", EINVAL);
        return -1;
    }
    f->path = xstrdup(path);
    f->tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
    int fd = open(f->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0) {
        set_err(err, errsz, "cannot create", f->tmp, errno);
        file_free(f);
        return -1;
    }
    f->fp = fdopen(fd, "w");
    if (!f->fp) {
        set_err(err, errsz, "cannot open", f->tmp, errno);
        close(fd);
        unlink(f->tmp);
        file_free(f);
        return -1;
    }
    return 0;
}

void report_file_put(report_file *f, buf_t *b)
{
    if (b->len && !f->err_no && fwrite(b->data, 1, b->len, f->fp) != b->len)
        f->err_no = errno ? errno : EIO;
    if (b->truncated && !f->err_no)
        f->err_no = EFBIG;
    buf_reset(b);
}

void report_file_abort(report_file *f)
{
    if (f->fp)
        fclose(f->fp);
    if (f->tmp)
        unlink(f->tmp);
    file_free(f);
}

/* Makes the rename durable; best effort (some file systems refuse fsync on a directory). */
static void sync_dir(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *dir = slash ? xstrndup(path, slash == path ? 1 : (size_t)(slash - path)) : xstrdup(".");
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
    free(dir);
}

int report_file_commit(report_file *f, char *err, size_t errsz)
{
    int e = f->err_no;
    if (!e && fflush(f->fp) != 0)
        e = errno;
    if (!e && fsync(fileno(f->fp)) != 0)
        e = errno;
    int rc = fclose(f->fp);
    f->fp = NULL;
    if (!e && rc != 0)
        e = errno;
    if (e) {
        set_err(err, errsz, "cannot write", f->tmp, e);
        report_file_abort(f);
        return -1;
    }
    if (rename(f->tmp, f->path) != 0) {
        e = errno;
        set_err(err, errsz, "cannot rename to", f->path, e);
        report_file_abort(f);
        return -1;
    }
    sync_dir(f->path);
    file_free(f);
    return 0;
}
