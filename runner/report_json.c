/* report_json: the machine-readable report the self-tests read. Its shape is a contract:
 *
 *   {"h1xx", "target", "mode", "started", "hostname", "duration_s", "interrupted",
 *    "deadline_hit", "strict", "shard" ("I/N" or null),
 *    "summary": {"pass","warn","fail","skip","error","not-run","total",
 *                "passed","failed","skipped"},
 *    "baseline": null or {"strict","expected","new","fixed"},
 *    "forwarding": null (no samples) or {"percentiles":"nearest-rank","run":[group...],
 *                  "cases":[{"id","copies","groups":[group...]}]},
 *    "cases": [{"id","area","title","file","line","require":[...],"rfc","level","verdict",
 *               "baseline" (null, "expected", "new", "fixed"),
 *               "message","failed_require","missing_var","start_s","duration_s","messages":[...],
 *               "findings":[...],"notes":[...],"forwarding":[...],"fates":[...],
 *               "transcript":[...],"transcript_truncated"}]}
 *   messages: {"conn","status","interim","t_first_s","t_head_s","t_end_s","head","head_b64",
 *              "body_len"}; findings: {"code","name","text","require","verdict","conn","offset"};
 *   transcript: {"kind","conn","t_s","data","b64"}
 *   forwarding (a case's samples, proxy modes): {"status","delay_ns" (null: dropped)};
 *   fates (proxy modes, docs/fates.md): {"seq","kind","status","got_status","oconn","cconn",
 *          "t_write_s","t_read_s","delay_ns" (each null when there is none),"other","detail"};
 *   group (fwd_stats.h, non-empty groups only): {"code" ("100".."103", "other-1xx"),"n",
 *          "p50_ns","p99_ns","max_ns","dropped"}
 *
 * "passed", "failed" and "skipped" are the console's last line (result_tally in result.h says
 * how each verdict and baseline mark counts into them).
 * Times are seconds with six decimals formatted from integer nanoseconds. Strings are valid
 * JSON whatever bytes they came from: invalid UTF-8 is shown as the text "\xHH"; transcript
 * entries and message heads also carry their exact bytes in base64 ("b64", "head_b64"), so
 * runner/result_load.c can rebuild the run from this file (h1xx merge). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "fwd_stats.h"
#include "report_util.h"

/* ---- escaping ------------------------------------------------------------------------------ */

/* The JSON escape for cp, or NULL when cp is written as itself (as its UTF-8 bytes). */
static const char *json_short_escape(uint32_t cp)
{
    switch (cp) {
    case '"': return "\\\"";
    case '\\': return "\\\\";
    case '\n': return "\\n";
    case '\r': return "\\r";
    case '\t': return "\\t";
    default: return NULL;
    }
}

/* Controls (C0, DEL, C1) and the two line separators JavaScript rejects in string literals. */
static bool json_needs_u(uint32_t cp)
{
    return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0x2028 || cp == 0x2029;
}

void report_json_escape(buf_t *out, const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, run = 0;
    while (i < len) {
        uint32_t cp = 0;
        size_t n = report_utf8_decode(p + i, len - i, &cp);
        const char *e = n ? json_short_escape(cp) : NULL;
        if (n && !e && !json_needs_u(cp)) {
            i += n;
            continue;
        }
        buf_append(out, p + run, i - run);
        if (e) {
            buf_append(out, e, strlen(e));
        } else if (n) {
            buf_printf(out, "\\u%04x", (unsigned)cp);
        } else {
            /* the text \xHH, its backslash escaped for JSON */
            buf_printf(out, "\\\\x%02X", (unsigned)p[i]);
        }
        i += n ? n : 1;
        run = i;
    }
    buf_append(out, p + run, len - run);
}

/* ---- values -------------------------------------------------------------------------------- */

static void jstr_n(buf_t *b, const char *s, size_t len)
{
    REPORT_PUT(b, "\"");
    report_json_escape(b, s, len);
    REPORT_PUT(b, "\"");
}

static void jstr(buf_t *b, const char *s)
{
    s = report_str(s);
    jstr_n(b, s, strlen(s));
}

/* A string, or null when s is NULL. */
static void jstr_or_null(buf_t *b, const char *s)
{
    if (s)
        jstr(b, s);
    else
        REPORT_PUT(b, "null");
}

static void jbool(buf_t *b, bool v)
{
    if (v)
        REPORT_PUT(b, "true");
    else
        REPORT_PUT(b, "false");
}

/* Writes `,"key":`. Keys are literals, never escaped. */
static void jkey(buf_t *b, const char *key)
{
    buf_printf(b, ",\"%s\":", key);
}

static void jsecs(buf_t *b, int64_t ns)
{
    report_secs(b, ns, 6);
}

/* `,"key":"string"` and `,"key":seconds` */
static void jf_str(buf_t *b, const char *key, const char *s)
{
    jkey(b, key);
    jstr(b, s);
}

static void jf_secs(buf_t *b, const char *key, int64_t ns)
{
    jkey(b, key);
    jsecs(b, ns);
}

/* Splits the space-separated requirement ids into a JSON array. */
static void jrequire(buf_t *b, const char *s)
{
    s = report_str(s);
    REPORT_PUT(b, "[");
    bool first = true;
    while (*s) {
        while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
            s++;
        size_t n = strcspn(s, " \t\r\n");
        if (n) {
            if (!first)
                REPORT_PUT(b, ",");
            jstr_n(b, s, n);
            first = false;
        }
        s += n;
    }
    REPORT_PUT(b, "]");
}

/* ---- case ---------------------------------------------------------------------------------- */

static void jmessages(buf_t *b, const case_result *c)
{
    REPORT_PUT(b, "[");
    for (size_t i = 0; i < c->nmsgs; i++) {
        const msg_record *m = &c->msgs[i];
        buf_printf(b, "%s{\"conn\":%d,\"status\":%d,\"interim\":", i ? "," : "", m->conn,
                   m->status);
        jbool(b, m->interim);
        jf_secs(b, "t_first_s", m->t_first_ns);
        jf_secs(b, "t_head_s", m->t_head_ns);
        jf_secs(b, "t_end_s", m->t_end_ns);
        jkey(b, "head");
        jstr_n(b, m->head ? m->head : "", m->head ? m->head_len : 0);
        REPORT_PUT(b, ",\"head_b64\":\"");
        report_base64(b, m->head ? m->head : "", m->head ? m->head_len : 0);
        buf_printf(b, "\",\"body_len\":%" PRIu64 "}", m->body_len);
    }
    REPORT_PUT(b, "]");
}

static void jfindings(buf_t *b, const case_result *c)
{
    REPORT_PUT(b, "[");
    for (size_t i = 0; i < c->nfindings; i++) {
        const finding_record *f = &c->findings[i];
        buf_printf(b, "%s{\"code\":%d", i ? "," : "", f->code);
        jf_str(b, "name", f->name);
        jf_str(b, "text", f->text);
        jkey(b, "require");
        jstr_or_null(b, f->require);
        jf_str(b, "verdict", verdict_name(f->verdict));
        buf_printf(b, ",\"conn\":%d,\"offset\":%zu}", f->conn, f->offset);
    }
    REPORT_PUT(b, "]");
}

/* Times in seconds (6 decimals), counts as integers. */
static void jmetrics(buf_t *b, const case_result *c)
{
    REPORT_PUT(b, "{");
    for (size_t i = 0; i < c->nmetrics; i++) {
        const metric_record *m = &c->metrics[i];
        if (i)
            REPORT_PUT(b, ",");
        jstr(b, m->name);
        REPORT_PUT(b, ":");
        if (m->is_time)
            jsecs(b, m->value);
        else
            buf_printf(b, "%lld", (long long)m->value);
    }
    REPORT_PUT(b, "}");
}

static void jnotes(buf_t *b, const case_result *c)
{
    REPORT_PUT(b, "[");
    for (size_t i = 0; i < c->nnotes; i++) {
        if (i)
            REPORT_PUT(b, ",");
        jstr(b, c->notes[i]);
    }
    REPORT_PUT(b, "]");
}

/* The case's forwarding samples; a dropped interim has a null delay. */
static void jfwd_samples(buf_t *b, const case_result *c)
{
    REPORT_PUT(b, "[");
    for (size_t i = 0; i < c->nfwd; i++) {
        buf_printf(b, "%s{\"status\":%d,\"delay_ns\":", i ? "," : "", c->fwd[i].status);
        if (c->fwd[i].delay_ns < 0)
            REPORT_PUT(b, "null}");
        else
            buf_printf(b, "%lld}", (long long)c->fwd[i].delay_ns);
    }
    REPORT_PUT(b, "]");
}

/* ,"key":seconds or null (a time of -1: none) */
static void jf_secs_or_null(buf_t *b, const char *key, int64_t ns)
{
    if (ns >= 0)
        return jf_secs(b, key, ns);
    jkey(b, key);
    REPORT_PUT(b, "null");
}

/* What became of each message the origin wrote (and of each the client got unwritten). */
static void jfates(buf_t *b, const case_result *c)
{
    REPORT_PUT(b, "[");
    for (size_t i = 0; i < c->nfates; i++) {
        const fate_record *f = &c->fates[i];
        buf_printf(b, "%s\n      {\"seq\":%d", i ? "," : "", f->seq);
        jf_str(b, "kind", fate_kind_name(f->kind));
        buf_printf(b, ",\"status\":%d,\"got_status\":%d,\"oconn\":%d,\"cconn\":%d", f->status,
                   f->got_status, f->oconn, f->cconn);
        jf_secs_or_null(b, "t_write_s", f->t_write_ns);
        jf_secs_or_null(b, "t_read_s", f->t_read_ns);
        if (f->t_write_ns >= 0 && f->t_read_ns >= 0)
            buf_printf(b, ",\"delay_ns\":%lld", (long long)(f->t_read_ns - f->t_write_ns));
        else
            REPORT_PUT(b, ",\"delay_ns\":null");
        jkey(b, "other");
        jstr_or_null(b, f->other);
        jkey(b, "detail");
        jstr_or_null(b, f->detail);
        REPORT_PUT(b, "}");
    }
    REPORT_PUT(b, "]");
}

/* One transcript entry a line; "data" readable, "b64" exact. */
static void jtranscript(buf_t *b, const case_result *c)
{
    REPORT_PUT(b, "[");
    for (size_t i = 0; i < c->ntx; i++) {
        const tx_entry *e = &c->tx[i];
        const char *data = e->data ? e->data : "";
        size_t len = e->data ? e->len : 0;
        buf_printf(b, "%s\n      {\"kind\":", i ? "," : "");
        jstr(b, tx_kind_name(e->kind));
        buf_printf(b, ",\"conn\":%d", e->conn);
        jf_secs(b, "t_s", e->t_ns);
        jkey(b, "data");
        jstr_n(b, data, len);
        REPORT_PUT(b, ",\"b64\":\"");
        report_base64(b, data, len);
        REPORT_PUT(b, "\"}");
    }
    REPORT_PUT(b, "]");
}

static void jcase_head(buf_t *b, const case_result *c)
{
    REPORT_PUT(b, "{\"id\":");
    jstr(b, c->id);
    jf_str(b, "area", c->area);
    jf_str(b, "title", c->title);
    jf_str(b, "file", c->file);
    buf_printf(b, ",\"line\":%d", c->line);
    jkey(b, "require");
    jrequire(b, c->require);
    jf_str(b, "rfc", c->rfc);
    jf_str(b, "level", c->level);
    jf_str(b, "verdict", verdict_name(c->verdict));
    jkey(b, "baseline");
    jstr_or_null(b, baseline_mark_name(c->baseline));
    jf_str(b, "message", c->message);
    jkey(b, "failed_require");
    jstr_or_null(b, c->failed_require);
    jkey(b, "missing_var");
    jstr_or_null(b, c->missing_var);
    if (c->premise_var) { /* absent unless a defaulted path left the case inconclusive */
        jf_str(b, "premise_var", c->premise_var);
        jf_str(b, "premise_value", c->premise_value ? c->premise_value : "");
    }
    jf_secs(b, "start_s", c->start_ns);
    jf_secs(b, "duration_s", c->duration_ns);
}

static void jcase(buf_t *b, const case_result *c)
{
    jcase_head(b, c);
    REPORT_PUT(b, ",\n     \"messages\":");
    jmessages(b, c);
    REPORT_PUT(b, ",\n     \"findings\":");
    jfindings(b, c);
    REPORT_PUT(b, ",\n     \"notes\":");
    jnotes(b, c);
    REPORT_PUT(b, ",\n     \"metrics\":");
    jmetrics(b, c);
    REPORT_PUT(b, ",\n     \"forwarding\":");
    jfwd_samples(b, c);
    REPORT_PUT(b, ",\n     \"fates\":");
    jfates(b, c);
    REPORT_PUT(b, ",\n     \"transcript\":");
    jtranscript(b, c);
    REPORT_PUT(b, ",\n     \"transcript_truncated\":");
    jbool(b, c->tx_truncated);
    REPORT_PUT(b, "}");
}

/* ---- run ----------------------------------------------------------------------------------- */

static void jsummary(buf_t *b, const run_result *r, bool strict)
{
    run_tally t;
    result_tally(r, strict, &t);
    REPORT_PUT(b, ",\n  \"summary\": {");
    for (int v = 0; v < VERDICT_COUNT; v++)
        buf_printf(b, "\"%s\":%zu,", verdict_name((verdict_t)v), t.verdicts[v]);
    buf_printf(b, "\"total\":%zu,\"passed\":%zu,\"failed\":%zu,\"skipped\":%zu}", r->ncases,
               t.passed, t.failed, t.skipped);
    REPORT_PUT(b, ",\n  \"baseline\": ");
    if (!r->has_baseline) {
        REPORT_PUT(b, "null");
        return;
    }
    buf_printf(b, "{\"strict\":%s,\"expected\":%zu,\"new\":%zu,\"fixed\":%zu}",
               r->strict_baseline ? "true" : "false", t.expected, t.new_failures, t.fixed);
}

/* The non-empty groups of s. */
static void jfwd_groups(buf_t *b, const fwd_stats *s)
{
    REPORT_PUT(b, "[");
    bool first = true;
    for (int g = 0; g < FWD_GROUPS; g++) {
        const fwd_group *G = &s->g[g];
        if (!G->n && !G->dropped)
            continue;
        buf_printf(b, "%s{\"code\":\"%s\",\"n\":%zu,\"p50_ns\":%lld,\"p99_ns\":%lld,"
                      "\"max_ns\":%lld,\"dropped\":%zu}", first ? "" : ",", G->name, G->n,
                   (long long)G->p50_ns, (long long)G->p99_ns, (long long)G->max_ns, G->dropped);
        first = false;
    }
    REPORT_PUT(b, "]");
}

/* The forwarding-delay distribution, run-wide and per case id (null without samples). */
static void jforwarding(buf_t *b, const run_result *r)
{
    fwd_stats run;
    fwd_stats_run(r, &run);
    REPORT_PUT(b, ",\n  \"forwarding\": ");
    if (!run.samples) {
        REPORT_PUT(b, "null");
        return;
    }
    REPORT_PUT(b, "{\"percentiles\":\"nearest-rank\",\"run\":");
    jfwd_groups(b, &run);
    REPORT_PUT(b, ",\"cases\":[");
    fwd_case_stats *ids;
    size_t n = fwd_stats_by_id(r, &ids);
    for (size_t i = 0; i < n; i++) {
        buf_printf(b, "%s\n    {\"id\":", i ? "," : "");
        jstr(b, ids[i].id);
        buf_printf(b, ",\"copies\":%zu,\"groups\":", ids[i].copies);
        jfwd_groups(b, &ids[i].s);
        REPORT_PUT(b, "}");
    }
    free(ids);
    REPORT_PUT(b, "]}");
}

/* `,\n  "key": ` (the first key has no comma) */
static void jtop(buf_t *b, const char *key)
{
    buf_printf(b, "%s\n  \"%s\": ", strcmp(key, "h1xx") ? "," : "", key);
}

static void jheader(buf_t *b, const run_result *r, bool strict)
{
    REPORT_PUT(b, "{");
    jtop(b, "h1xx");
    jstr(b, r->version);
    jtop(b, "target");
    jstr(b, r->target);
    jtop(b, "mode");
    jstr(b, r->mode);
    jtop(b, "label");
    if (r->label)
        jstr(b, r->label);
    else
        REPORT_PUT(b, "null");
    jtop(b, "started");
    REPORT_PUT(b, "\"");
    report_utc(b, r->started_wall, true);
    REPORT_PUT(b, "\"");
    jtop(b, "hostname");
    jstr(b, r->hostname);
    jtop(b, "duration_s");
    jsecs(b, r->duration_ns);
    jtop(b, "monotonic_start_s");
    jsecs(b, r->start_mono_ns);
    jtop(b, "interrupted");
    jbool(b, r->interrupted);
    jtop(b, "deadline_hit");
    jbool(b, r->deadline_hit);
    jtop(b, "strict");
    jbool(b, strict);
    jtop(b, "shard");
    if (r->shard_n > 0)
        buf_printf(b, "\"%d/%d\"", r->shard_i, r->shard_n);
    else
        REPORT_PUT(b, "null");
}

int report_json_write(const run_result *r, const char *path, const report_opts *o, char *err,
                      size_t errsz)
{
    report_file f;
    if (report_file_open(&f, path, err, errsz) != 0)
        return -1;
    buf_t b;
    buf_init(&b, 0);
    bool strict = r->strict || (o && o->strict);
    jheader(&b, r, strict);
    jsummary(&b, r, strict);
    jforwarding(&b, r);
    jtop(&b, "cases");
    REPORT_PUT(&b, "[");
    for (size_t i = 0; i < r->ncases; i++) {
        buf_printf(&b, "%s\n    ", i ? "," : "");
        jcase(&b, &r->cases[i]);
        report_file_put(&f, &b);
    }
    buf_printf(&b, "%s]\n}\n", r->ncases ? "\n  " : "");
    report_file_put(&f, &b);
    buf_free(&b);
    return report_file_commit(&f, err, errsz);
}
