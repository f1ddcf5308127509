/* h2_check: what RFC 9113 §8 says a client must find malformed in a response, checked on the
 * recorded events (h2.h). Pure functions: no session, no I/O. */
#include <string.h>

#include "h2.h"

static const struct {
    const char *name, *reason;
} codes[H2_F_CODE_MAX + 1] = {
    [H2_F_1XX_END_STREAM] = {"1xx-end-stream",
                             "an interim (1xx) HEADERS frame carries END_STREAM"},
    [H2_F_1XX_AFTER_FINAL] = {"1xx-after-final", "an interim (1xx) HEADERS after the final"},
    [H2_F_CONN_FIELD] = {"connection-specific-field",
                         "a connection-specific field (Connection, Keep-Alive, Proxy-Connection, "
                         "Transfer-Encoding, Upgrade, TE) in a response"},
    [H2_F_STATUS_101] = {"status-101", "a 101 (Switching Protocols), which HTTP/2 removed"},
    [H2_F_BAD_STATUS] = {"bad-status", ":status missing, repeated or not three digits"},
    [H2_F_UPPERCASE_NAME] = {"uppercase-field-name", "a field name with an uppercase letter"},
    [H2_F_BAD_PSEUDO] = {"bad-pseudo-header",
                         "a pseudo-header after a regular field, or one a response must not carry"},
    [H2_F_TRAILERS_NO_END] = {"trailers-without-end-stream",
                              "HEADERS after the final response without END_STREAM"},
    [H2_F_PSEUDO_IN_TRAILERS] = {"second-final",
                                 "a HEADERS with a final :status after the final response"},
    [H2_F_DATA_BEFORE_FINAL] = {"data-before-final", "DATA before the final response's HEADERS"},
};

const char *h2_code_name(h2_code c)
{
    return c >= 1 && c <= H2_F_CODE_MAX ? codes[c].name : "unknown";
}

const char *h2_code_reason(h2_code c)
{
    return c >= 1 && c <= H2_F_CODE_MAX ? codes[c].reason : "unknown finding";
}

static bool name_is(const char *name, size_t len, const char *lower)
{
    size_t n = strlen(lower);
    if (len != n)
        return false;
    for (size_t i = 0; i < n; i++) {
        char ch = name[i];
        if (ch >= 'A' && ch <= 'Z')
            ch = (char)(ch - 'A' + 'a');
        if (ch != lower[i])
            return false;
    }
    return true;
}

bool h2_conn_specific(const char *name, size_t len, const char *value, size_t vlen)
{
    static const char *const fixed[] = {"connection", "keep-alive", "proxy-connection",
                                        "transfer-encoding", "upgrade"};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        if (name_is(name, len, fixed[i]))
            return true;
    /* TE: only "trailers", and only in a request (§8.2.2); a response has no use for it */
    (void)value, (void)vlen;
    return name_is(name, len, "te");
}

static bool has_upper(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] >= 'A' && s[i] <= 'Z')
            return true;
    return false;
}

static bool three_digits(const char *v, size_t n)
{
    return n == 3 && v[0] >= '0' && v[0] <= '9' && v[1] >= '0' && v[1] <= '9' && v[2] >= '0' &&
           v[2] <= '9';
}

/* Field-level findings of one HEADERS: pseudo-header order and names, :status, field names. */
static uint32_t check_fields(const h2_event *e, bool trailers)
{
    uint32_t f = 0;
    bool regular_seen = false;
    int nstatus = 0;
    for (size_t i = 0; i < e->nfields; i++) {
        const h2_field *fl = &e->fields[i];
        if (fl->name_len && fl->name[0] == ':') {
            if (regular_seen || !name_is(fl->name, fl->name_len, ":status"))
                f |= 1u << H2_F_BAD_PSEUDO;
            else if (nstatus++ || !three_digits(fl->value, fl->value_len))
                f |= 1u << H2_F_BAD_STATUS;
            continue;
        }
        regular_seen = true;
        if (has_upper(fl->name, fl->name_len))
            f |= 1u << H2_F_UPPERCASE_NAME;
        if (h2_conn_specific(fl->name, fl->name_len, fl->value, fl->value_len))
            f |= 1u << H2_F_CONN_FIELD;
    }
    if (nstatus == 0 && !trailers)
        f |= 1u << H2_F_BAD_STATUS;
    return f;
}

const h2_field *h2_field_find(const h2_event *e, const char *name)
{
    for (size_t i = 0; i < e->nfields; i++)
        if (name_is(e->fields[i].name, e->fields[i].name_len, name))
            return &e->fields[i];
    return NULL;
}

const h2_event *h2_final(const h2_stream *st)
{
    for (const h2_event *e = st->head; e; e = e->next)
        if (!e->sent && e->kind == H2_HEADERS && e->status >= 200)
            return e;
    return NULL;
}

uint32_t h2_check_headers(const h2_stream *st, const h2_event *e)
{
    bool after_final = st->final_status != 0;
    bool has_status = h2_field_find(e, ":status") != NULL;
    /* after the final, a HEADERS without :status is a trailer section */
    uint32_t f = check_fields(e, after_final && !has_status);
    bool interim = e->status >= 100 && e->status <= 199;
    if (e->status == 101)
        f |= 1u << H2_F_STATUS_101;
    if (interim && e->end_stream)
        f |= 1u << H2_F_1XX_END_STREAM;
    if (after_final) {
        if (interim)
            f |= 1u << H2_F_1XX_AFTER_FINAL;
        else if (has_status)
            f |= 1u << H2_F_PSEUDO_IN_TRAILERS;
        if (!e->end_stream)
            f |= 1u << H2_F_TRAILERS_NO_END;
    }
    return f;
}

uint32_t h2_check_data(const h2_stream *st, const h2_event *e)
{
    (void)e;
    return st->final_status == 0 ? 1u << H2_F_DATA_BEFORE_FINAL : 0;
}
