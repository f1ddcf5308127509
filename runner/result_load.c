/* result_load: see result_load.h. Each reader below takes the object that holds the field, the
 * field's name, and the place of the object for messages ("cases[3]"). */
#include "result_load.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "report_util.h"
#include "util.h"

typedef struct loader {
    char *err;
    size_t errsz;
} loader;

/* ---- fields -------------------------------------------------------------------------------- */

static int bad(loader *L, const char *where, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int bad(loader *L, const char *where, const char *key, const char *fmt, ...)
{
    char what[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    if (L->err && L->errsz)
        snprintf(L->err, L->errsz, "%s%s%s: %s", where, *where && key ? "." : "",
                 key ? key : "", what);
    return -1;
}

static const json_value *field(loader *L, const json_value *obj, const char *key,
                               const char *where, json_type want)
{
    const json_value *v = json_get(obj, key);
    if (!v)
        bad(L, where, key, "missing");
    else if (v->type != want)
        bad(L, where, key, "expected %s %s, got %s", want == JSON_ARRAY || want == JSON_OBJECT
                                                          ? "an" : "a",
            json_type_name(want), json_type_name(v->type));
    else
        return v;
    return NULL;
}

/* A string without NUL, copied into *out. With nullable, null gives NULL. */
static int get_text(loader *L, const json_value *obj, const char *key, const char *where,
                    bool nullable, char **out)
{
    const json_value *v = json_get(obj, key);
    if (nullable && v && v->type == JSON_NULL) {
        *out = NULL;
        return 0;
    }
    if (!(v = field(L, obj, key, where, JSON_STRING)))
        return -1;
    if (!json_text(v))
        return bad(L, where, key, "holds a NUL character");
    *out = xstrdup(v->str);
    return 0;
}

/* A key later versions added: absent or null gives NULL, so older results.json files load. */
static int get_optional_text(loader *L, const json_value *obj, const char *key,
                             const char *where, char **out)
{
    *out = NULL;
    return json_get(obj, key) ? get_text(L, obj, key, where, true, out) : 0;
}

static int get_bool(loader *L, const json_value *obj, const char *key, const char *where,
                    bool *out)
{
    const json_value *v = field(L, obj, key, where, JSON_BOOL);
    if (!v)
        return -1;
    *out = v->boolean;
    return 0;
}

static int get_int(loader *L, const json_value *obj, const char *key, const char *where,
                   int64_t min, int64_t max, int64_t *out)
{
    const json_value *v = field(L, obj, key, where, JSON_NUMBER);
    if (!v)
        return -1;
    if (json_int(v, min, max, out))
        return bad(L, where, key, "expected an integer from %lld to %lld", (long long)min,
                   (long long)max);
    return 0;
}

static int get_int32(loader *L, const json_value *obj, const char *key, const char *where,
                     int min, int *out)
{
    int64_t v;
    if (get_int(L, obj, key, where, min, INT_MAX, &v))
        return -1;
    *out = (int)v;
    return 0;
}

static int get_secs(loader *L, const json_value *obj, const char *key, const char *where,
                    int64_t *out)
{
    const json_value *v = field(L, obj, key, where, JSON_NUMBER);
    if (!v)
        return -1;
    if (json_seconds_ns(v, out))
        return bad(L, where, key, "seconds out of range");
    return 0;
}

/* Bytes from a base64 field. */
static int get_b64(loader *L, const json_value *obj, const char *key, const char *where,
                   char **out, size_t *len)
{
    const json_value *v = field(L, obj, key, where, JSON_STRING);
    if (!v)
        return -1;
    if (report_base64_decode(v->str, v->len, out, len))
        return bad(L, where, key, "not valid base64");
    return 0;
}

static int get_verdict(loader *L, const json_value *obj, const char *where, verdict_t *out)
{
    const json_value *v = field(L, obj, "verdict", where, JSON_STRING);
    if (!v)
        return -1;
    for (int k = 0; k < VERDICT_COUNT; k++)
        if (!strcmp(v->str, verdict_name((verdict_t)k))) {
            *out = (verdict_t)k;
            return 0;
        }
    return bad(L, where, "verdict", "unknown verdict");
}

/* ---- case parts ---------------------------------------------------------------------------- */

static int load_require(loader *L, const json_value *obj, const char *where, case_result *c)
{
    const json_value *a = field(L, obj, "require", where, JSON_ARRAY);
    if (!a)
        return -1;
    buf_t b;
    buf_init(&b, 0);
    for (size_t i = 0; i < a->n; i++) {
        const char *id = json_text(&a->items[i]);
        if (!id || !*id || strpbrk(id, " \t\r\n")) {
            buf_free(&b);
            return bad(L, where, "require", "element %zu is not a requirement id", i);
        }
        buf_printf(&b, "%s%s", i ? " " : "", id);
    }
    c->require = buf_steal(&b);
    return 0;
}

static int load_message(loader *L, const json_value *o, const char *where, case_result *c)
{
    msg_record *m = result_msg(c);
    if (!m) /* more than a run records: the rest is dropped, as the run would */
        return 0;
    int64_t body;
    bool interim;
    if (get_int32(L, o, "conn", where, 0, &m->conn) || get_int32(L, o, "status", where, 0,
                                                                   &m->status) ||
        get_bool(L, o, "interim", where, &interim) ||
        get_secs(L, o, "t_first_s", where, &m->t_first_ns) ||
        get_secs(L, o, "t_head_s", where, &m->t_head_ns) ||
        get_secs(L, o, "t_end_s", where, &m->t_end_ns) ||
        get_int(L, o, "body_len", where, 0, INT64_MAX, &body))
        return -1;
    m->interim = interim;
    m->body_len = (uint64_t)body;
    if (json_get(o, "head_b64"))
        return get_b64(L, o, "head_b64", where, &m->head, &m->head_len);
    const json_value *h = field(L, o, "head", where, JSON_STRING);
    if (!h)
        return -1;
    m->head = xstrndup(h->str, h->len);
    m->head_len = h->len;
    return 0;
}

static int load_finding(loader *L, const json_value *o, const char *where, case_result *c)
{
    finding_record *f = result_finding(c);
    if (!f)
        return 0;
    int64_t code, offset;
    char *name = NULL, *require = NULL;
    if (get_int(L, o, "code", where, 0, INT_MAX, &code) ||
        get_text(L, o, "name", where, false, &name) ||
        get_text(L, o, "require", where, true, &require) ||
        get_text(L, o, "text", where, false, &f->text) || get_verdict(L, o, where, &f->verdict) ||
        get_int32(L, o, "conn", where, 0, &f->conn) ||
        get_int(L, o, "offset", where, 0, INT64_MAX, &offset)) {
        free(name);
        free(require);
        return -1;
    }
    f->code = (int)code;
    f->offset = (size_t)offset;
    f->name = result_own(c, name);
    f->require = require ? result_own(c, require) : NULL;
    return 0;
}

static int load_note(loader *L, const json_value *v, const char *where, case_result *c)
{
    const char *s = json_text(v);
    if (!s)
        return bad(L, where, NULL, "expected a string without NUL");
    result_note(c, "%s", s);
    return 0;
}

static int tx_kind_of(const char *name, tx_kind *out)
{
    for (int k = TX_OPEN; k <= TX_NOTE; k++)
        if (!strcmp(name, tx_kind_name((tx_kind)k))) {
            *out = (tx_kind)k;
            return 0;
        }
    return -1;
}

static int load_tx(loader *L, const json_value *o, const char *where, case_result *c)
{
    const json_value *k = field(L, o, "kind", where, JSON_STRING);
    tx_kind kind;
    if (!k)
        return -1;
    if (tx_kind_of(k->str, &kind))
        return bad(L, where, "kind", "unknown transcript entry kind");
    grow_array((void **)&c->tx, &c->tx_cap, c->ntx, sizeof *c->tx);
    tx_entry *e = &c->tx[c->ntx];
    memset(e, 0, sizeof *e);
    e->kind = kind;
    if (get_int32(L, o, "conn", where, 0, &e->conn) || get_secs(L, o, "t_s", where, &e->t_ns) ||
        get_b64(L, o, "b64", where, &e->data, &e->len))
        return -1;
    c->ntx++;
    c->tx_bytes += e->len;
    return 0;
}

/* A forwarding sample: {"status": 100..199, "delay_ns": integer or null (dropped)}. */
static int load_fwd(loader *L, const json_value *o, const char *where, case_result *c)
{
    int64_t status, delay = -1;
    const json_value *d = json_get(o, "delay_ns");
    if (get_int(L, o, "status", where, 100, 199, &status))
        return -1;
    if (!d || d->type != JSON_NULL)
        if (get_int(L, o, "delay_ns", where, 0, INT64_MAX, &delay))
            return -1;
    result_fwd(c, (int)status, delay);
    return 0;
}

/* A time in seconds or null (-1: none). */
static int get_secs_or_null(loader *L, const json_value *o, const char *key, const char *where,
                            int64_t *out)
{
    const json_value *v = json_get(o, key);
    *out = -1;
    return v && v->type == JSON_NULL ? 0 : get_secs(L, o, key, where, out);
}

/* A fate (report_json.c): its kind by name, times or null, other and detail or null. */
static int load_fate(loader *L, const json_value *o, const char *where, case_result *c)
{
    fate_record f = {0};
    int64_t seq, status, got, oconn, cconn;
    char *kind = NULL;
    int rc = get_text(L, o, "kind", where, false, &kind) ||
             get_int(L, o, "seq", where, 0, INT_MAX, &seq) ||
             get_int(L, o, "status", where, 0, 999, &status) ||
             get_int(L, o, "got_status", where, 0, 999, &got) ||
             get_int(L, o, "oconn", where, 0, INT_MAX, &oconn) ||
             get_int(L, o, "cconn", where, 0, INT_MAX, &cconn) ||
             get_secs_or_null(L, o, "t_write_s", where, &f.t_write_ns) ||
             get_secs_or_null(L, o, "t_read_s", where, &f.t_read_ns) ||
             get_optional_text(L, o, "other", where, &f.other) ||
             get_optional_text(L, o, "detail", where, &f.detail);
    int k = rc ? -1 : fate_kind_parse(kind);
    if (!rc && k < 0)
        rc = bad(L, where, "kind", "not a fate this h1xx knows");
    if (!rc) {
        f.kind = (fate_kind)k;
        f.seq = (int)seq;
        f.status = (int)status;
        f.got_status = (int)got;
        f.oconn = (int)oconn;
        f.cconn = (int)cconn;
        result_fate(c, &f);
    }
    free(kind);
    free(f.other);
    free(f.detail);
    return rc ? -1 : 0;
}

typedef int (*item_loader)(loader *L, const json_value *v, const char *where, case_result *c);

/* Loads every element of the array obj.key with fn; elements of arrays of objects must be
 * objects. */
static int load_list(loader *L, const json_value *obj, const char *key, const char *where,
                     case_result *c, item_loader fn, bool objects)
{
    const json_value *a = field(L, obj, key, where, JSON_ARRAY);
    if (!a)
        return -1;
    for (size_t i = 0; i < a->n; i++) {
        char *w = xasprintf("%s.%s[%zu]", where, key, i);
        int rc = objects && a->items[i].type != JSON_OBJECT
                     ? bad(L, w, NULL, "expected an object")
                     : fn(L, &a->items[i], w, c);
        free(w);
        if (rc)
            return -1;
    }
    return 0;
}

/* "baseline": null or absent (no --baseline), "expected", "new" or "fixed". */
static int get_baseline(loader *L, const json_value *o, const char *where, case_result *c)
{
    const json_value *v = json_get(o, "baseline");
    c->baseline = BASELINE_NONE;
    if (!v || v->type == JSON_NULL)
        return 0;
    for (int m = BASELINE_EXPECTED; m <= BASELINE_FIXED; m++)
        if (v->type == JSON_STRING && json_text(v) &&
            !strcmp(v->str, baseline_mark_name((baseline_mark)m))) {
            c->baseline = (baseline_mark)m;
            return 0;
        }
    return bad(L, where, "baseline", "expected null, \"expected\", \"new\" or \"fixed\"");
}

static int load_case(loader *L, const json_value *o, const char *where, case_result *c)
{
    if (o->type != JSON_OBJECT)
        return bad(L, where, NULL, "expected an object");
    return get_text(L, o, "id", where, false, &c->id) ||
                   get_text(L, o, "area", where, false, &c->area) ||
                   get_text(L, o, "title", where, false, &c->title) ||
                   get_text(L, o, "file", where, false, &c->file) ||
                   get_int32(L, o, "line", where, 0, &c->line) || load_require(L, o, where, c) ||
                   get_text(L, o, "rfc", where, false, &c->rfc) ||
                   get_text(L, o, "level", where, false, &c->level) ||
                   get_verdict(L, o, where, &c->verdict) ||
                   get_text(L, o, "message", where, false, &c->message) ||
                   get_text(L, o, "failed_require", where, true, &c->failed_require) ||
                   get_optional_text(L, o, "missing_var", where, &c->missing_var) ||
                   get_optional_text(L, o, "premise_var", where, &c->premise_var) ||
                   get_optional_text(L, o, "premise_value", where, &c->premise_value) ||
                   get_secs(L, o, "start_s", where, &c->start_ns) ||
                   get_secs(L, o, "duration_s", where, &c->duration_ns) ||
                   load_list(L, o, "messages", where, c, load_message, true) ||
                   load_list(L, o, "findings", where, c, load_finding, true) ||
                   load_list(L, o, "notes", where, c, load_note, false) ||
                   (json_get(o, "forwarding") && /* absent before samples were recorded */
                    load_list(L, o, "forwarding", where, c, load_fwd, true)) ||
                   (json_get(o, "fates") && /* absent before issue 18 */
                    load_list(L, o, "fates", where, c, load_fate, true)) ||
                   load_list(L, o, "transcript", where, c, load_tx, true) ||
                   get_bool(L, o, "transcript_truncated", where, &c->tx_truncated) ||
                   get_baseline(L, o, where, c)
               ? -1
               : 0;
}

/* ---- run ----------------------------------------------------------------------------------- */

static int load_started(loader *L, const json_value *doc, run_result *r)
{
    char *s = NULL;
    if (get_text(L, doc, "started", "", false, &s))
        return -1;
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    const char *end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);
    bool ok = end && !*end;
    free(s);
    if (!ok)
        return bad(L, "", "started", "expected YYYY-MM-DDTHH:MM:SSZ");
    r->started_wall = timegm(&tm);
    return 0;
}

static int load_shard(loader *L, const json_value *doc, run_result *r)
{
    const json_value *v = json_get(doc, "shard");
    if (!v || v->type == JSON_NULL)
        return 0; /* absent in files from before sharding was recorded */
    const char *s = json_text(v), *slash = s ? strchr(s, '/') : NULL;
    long i, n;
    char *a = slash ? xstrndup(s, (size_t)(slash - s)) : NULL;
    bool ok = a && !parse_long(a, 1, 100000, &i) && !parse_long(slash + 1, 1, 100000, &n) &&
              i <= n;
    free(a);
    if (!ok)
        return bad(L, "", "shard", "expected \"I/N\" or null");
    r->shard_i = (int)i;
    r->shard_n = (int)n;
    return 0;
}

static int load_header(loader *L, const json_value *doc, run_result *r)
{
    const json_value *h = json_get(doc, "hostname");
    if (get_text(L, doc, "h1xx", "", false, &r->version) ||
        get_text(L, doc, "target", "", false, &r->target) ||
        get_text(L, doc, "mode", "", false, &r->mode) || load_started(L, doc, r) ||
        get_secs(L, doc, "duration_s", "", &r->duration_ns) ||
        get_bool(L, doc, "interrupted", "", &r->interrupted) ||
        get_bool(L, doc, "deadline_hit", "", &r->deadline_hit) ||
        get_bool(L, doc, "strict", "", &r->strict) || load_shard(L, doc, r))
        return -1;
    if (h && get_text(L, doc, "hostname", "", false, &r->hostname))
        return -1;
    if (json_get(doc, "label") && get_text(L, doc, "label", "", true, &r->label))
        return -1; /* absent in files from before labels were recorded */
    const json_value *b = json_get(doc, "baseline");
    r->has_baseline = b && b->type == JSON_OBJECT; /* absent before baselines existed */
    if (r->has_baseline && json_get(b, "strict") &&
        get_bool(L, b, "strict", "baseline", &r->strict_baseline))
        return -1;
    return 0;
}

int result_from_json(const json_value *doc, run_result *out, char *err, size_t errsz)
{
    loader L = {err, errsz};
    memset(out, 0, sizeof *out);
    if (doc->type != JSON_OBJECT)
        return bad(&L, "document", NULL, "expected an object");
    const json_value *cases = field(&L, doc, "cases", "", JSON_ARRAY);
    if (!cases || load_header(&L, doc, out))
        goto fail;
    out->cases = xcalloc(cases->n ? cases->n : 1, sizeof *out->cases);
    for (size_t i = 0; i < cases->n; i++) {
        char *w = xasprintf("cases[%zu]", i);
        out->ncases = i + 1;
        int rc = load_case(&L, &cases->items[i], w, &out->cases[i]);
        free(w);
        if (rc)
            goto fail;
    }
    result_count(out);
    return 0;
fail:
    result_free(out);
    return -1;
}

int result_load_json(const char *path, run_result *out, char *err, size_t errsz)
{
    json_value doc;
    char why[256];
    memset(out, 0, sizeof *out);
    if (json_parse_file(path, NULL, &doc, why, sizeof why)) {
        snprintf(err, errsz, "%s: %s", path, why);
        return -1;
    }
    int rc = result_from_json(&doc, out, why, sizeof why);
    if (rc)
        snprintf(err, errsz, "%s: %s", path, why);
    json_free(&doc);
    return rc;
}
