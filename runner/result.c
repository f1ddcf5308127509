/* result: see result.h. */
#include "result.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static const char *const verdict_names[VERDICT_COUNT] = {
    "pass", "warn", "fail", "skip", "error", "not-run",
};

const char *verdict_name(verdict_t v)
{
    return (v >= 0 && v < VERDICT_COUNT) ? verdict_names[v] : "?";
}

int verdict_rank(verdict_t v)
{
    static const int rank[VERDICT_COUNT] = {0, 2, 3, 1, 4, 5};
    return (v >= 0 && v < VERDICT_COUNT) ? rank[v] : 0;
}

const char *tx_kind_name(tx_kind k)
{
    static const char *const names[] = {"open", "sent", "recv", "eof", "reset", "close", "note"};
    return (k >= TX_OPEN && k <= TX_NOTE) ? names[k] : "?";
}

const char *baseline_mark_name(baseline_mark m)
{
    static const char *const names[] = {NULL, "expected", "new", "fixed"};
    return (m >= BASELINE_NONE && m <= BASELINE_FIXED) ? names[m] : NULL;
}

outcome_t result_outcome(const case_result *c, bool strict, bool strict_baseline)
{
    if (c->baseline == BASELINE_EXPECTED)
        return OUTCOME_SKIPPED;
    if (c->baseline == BASELINE_FIXED && strict_baseline)
        return OUTCOME_FAILED;
    switch (c->verdict) {
    case VERDICT_PASS: return OUTCOME_PASSED;
    case VERDICT_WARN: return strict ? OUTCOME_FAILED : OUTCOME_PASSED;
    case VERDICT_SKIP: return OUTCOME_SKIPPED;
    default: return OUTCOME_FAILED; /* fail, error, not-run */
    }
}

void result_tally(const run_result *r, bool strict, run_tally *t)
{
    memset(t, 0, sizeof *t);
    strict = strict || r->strict;
    for (size_t i = 0; i < r->ncases; i++) {
        const case_result *c = &r->cases[i];
        if (c->verdict >= 0 && c->verdict < VERDICT_COUNT)
            t->verdicts[c->verdict]++;
        outcome_t o = result_outcome(c, strict, r->strict_baseline);
        t->passed += o == OUTCOME_PASSED;
        t->failed += o == OUTCOME_FAILED;
        t->skipped += o == OUTCOME_SKIPPED;
        t->expected += c->baseline == BASELINE_EXPECTED;
        t->new_failures += c->baseline == BASELINE_NEW;
        t->fixed += c->baseline == BASELINE_FIXED;
    }
}

void result_count(run_result *r)
{
    memset(r->counts, 0, sizeof r->counts);
    for (size_t i = 0; i < r->ncases; i++)
        r->counts[r->cases[i].verdict]++;
}

/* ---- the case's strings --------------------------------------------------------------------- */

/* A block of strings. The first is small: a case in flight holds little more than the start
 * of its transcript (its description is the case's own), and 10,000 may be in flight at once.
 * Later ones double up to 64 KiB, so a big transcript needs few blocks and the walk in
 * free_str() stays short. */
typedef struct result_block {
    struct result_block *next;
    size_t used, cap;
    char data[];
} result_block;

#define BLOCK_FIRST 256
#define BLOCK_MAX (64 * 1024)

char *result_bytes(case_result *c, const void *data, size_t len)
{
    const tx_entry *e = c->ntx ? &c->tx[c->ntx - 1] : NULL;
    if (e && e->len >= len && len && c->blocks &&
        memcmp(e->data + e->len - len, data, len) == 0) {
        for (const result_block *b = c->blocks; b; b = b->next)
            if (e->data >= b->data && e->data < b->data + b->used)
                return e->data + e->len - len; /* NUL-terminated too: it ends the entry */
    }
    result_block *b = c->blocks;
    if (!b || b->cap - b->used < len + 1) {
        size_t cap = b ? (b->cap < BLOCK_MAX / 2 ? 2 * b->cap : BLOCK_MAX) : BLOCK_FIRST;
        if (cap < len + 1)
            cap = len + 1;
        result_block *nb = xmalloc(sizeof *nb + cap);
        nb->next = b;
        nb->used = 0;
        nb->cap = cap;
        c->blocks = b = nb;
    }
    char *p = b->data + b->used;
    if (len)
        memcpy(p, data, len);
    p[len] = '\0';
    b->used += len + 1;
    return p;
}

/* Frees p unless it lives in one of c's blocks. */
static void free_str(const case_result *c, void *p)
{
    if (!p)
        return;
    for (const result_block *b = c->blocks; b; b = b->next)
        if ((char *)p >= b->data && (char *)p < b->data + b->cap)
            return;
    free(p);
}

static void trim(void **arr, size_t *cap, size_t n, size_t size)
{
    if (*arr && n < *cap) {
        *arr = n ? xrealloc(*arr, n * size) : (free(*arr), NULL);
        *cap = n;
    }
}

void result_trim(case_result *c)
{
    trim((void **)&c->tx, &c->tx_cap, c->ntx, sizeof *c->tx);
    trim((void **)&c->msgs, &c->msgs_cap, c->nmsgs, sizeof *c->msgs);
    trim((void **)&c->notes, &c->notes_cap, c->nnotes, sizeof *c->notes);
    trim((void **)&c->findings, &c->findings_cap, c->nfindings, sizeof *c->findings);
    trim((void **)&c->metrics, &c->metrics_cap, c->nmetrics, sizeof *c->metrics);
    trim((void **)&c->fwd, &c->fwd_cap, c->nfwd, sizeof *c->fwd);
    trim((void **)&c->fates, &c->fates_cap, c->nfates, sizeof *c->fates);
}

void case_result_free(case_result *c)
{
    if (!c->borrowed) {
        free_str(c, c->id);
        free_str(c, c->area);
        free_str(c, c->title);
        free_str(c, c->file);
        free_str(c, c->rfc);
        free_str(c, c->level);
    }
    free_str(c, c->require);
    free(c->message);
    free(c->failed_require);
    free(c->missing_var);
    free(c->premise_var);
    free(c->premise_value);
    for (size_t i = 0; i < c->ntx; i++)
        free_str(c, c->tx[i].data);
    free(c->tx);
    for (size_t i = 0; i < c->nmsgs; i++)
        free_str(c, c->msgs[i].head);
    free(c->msgs);
    for (size_t i = 0; i < c->nnotes; i++)
        free_str(c, c->notes[i]);
    free(c->notes);
    for (size_t i = 0; i < c->nfindings; i++)
        free_str(c, c->findings[i].text);
    free(c->findings);
    for (size_t i = 0; i < c->nmetrics; i++)
        free_str(c, c->metrics[i].name);
    free(c->metrics);
    for (size_t i = 0; i < c->nowned; i++)
        free(c->owned[i]);
    free(c->owned);
    free(c->fwd);
    for (size_t i = 0; i < c->nfates; i++) {
        free_str(c, c->fates[i].other);
        free_str(c, c->fates[i].detail);
    }
    free(c->fates);
    while (c->blocks) {
        result_block *b = c->blocks;
        c->blocks = b->next;
        free(b);
    }
    memset(c, 0, sizeof *c);
}

void result_free(run_result *r)
{
    for (size_t i = 0; i < r->ncases; i++)
        case_result_free(&r->cases[i]);
    free(r->cases);
    free(r->target);
    free(r->mode);
    free(r->label);
    free(r->version);
    free(r->hostname);
    free(r->upload_hint);
    memset(r, 0, sizeof *r);
}

void result_tx(case_result *c, tx_kind k, int conn, int64_t t_ns, const void *data, size_t len)
{
    bool bytes = k == TX_SENT || k == TX_RECV;
    if (bytes && c->ntx >= RESULT_TX_ENTRIES) {
        c->tx_truncated = true;
        return;
    }
    if (bytes && (c->tx_truncated || c->tx_bytes + len > RESULT_TX_MAX)) {
        c->tx_truncated = true;
        len = 0;
    }
    size_t n = data ? len : 0;
    char *copy = result_bytes(c, data ? data : "", n);
    grow_array((void **)&c->tx, &c->tx_cap, c->ntx, sizeof *c->tx);
    tx_entry *e = &c->tx[c->ntx++];
    e->kind = k;
    e->conn = conn;
    e->t_ns = t_ns;
    e->data = copy;
    e->len = n;
    c->tx_bytes += e->len;
}

void result_tx_note(case_result *c, int conn, int64_t t_ns, const char *text)
{
    result_tx(c, TX_NOTE, conn, t_ns, text, strlen(text));
}

void result_note(case_result *c, const char *fmt, ...)
{
    if (c->nnotes >= RESULT_NOTES_MAX)
        return;
    va_list ap;
    va_start(ap, fmt);
    char *s = xvasprintf(fmt, ap);
    va_end(ap);
    grow_array((void **)&c->notes, &c->notes_cap, c->nnotes, sizeof *c->notes);
    c->notes[c->nnotes++] = result_bytes(c, s, strlen(s));
    free(s);
}

msg_record *result_msg(case_result *c)
{
    if (c->nmsgs >= RESULT_MSGS_MAX) {
        c->msgs_dropped++;
        return NULL;
    }
    grow_array((void **)&c->msgs, &c->msgs_cap, c->nmsgs, sizeof *c->msgs);
    msg_record *m = &c->msgs[c->nmsgs++];
    memset(m, 0, sizeof *m);
    return m;
}

finding_record *result_finding(case_result *c)
{
    if (c->nfindings >= RESULT_FINDINGS_MAX) {
        c->findings_dropped++;
        return NULL;
    }
    grow_array((void **)&c->findings, &c->findings_cap, c->nfindings, sizeof *c->findings);
    finding_record *f = &c->findings[c->nfindings++];
    memset(f, 0, sizeof *f);
    return f;
}

void result_metric(case_result *c, const char *name, int64_t value, bool is_time)
{
    for (size_t i = 0; i < c->nmetrics; i++)
        if (strcmp(c->metrics[i].name, name) == 0) {
            c->metrics[i].value = value;
            c->metrics[i].is_time = is_time;
            return;
        }
    grow_array((void **)&c->metrics, &c->metrics_cap, c->nmetrics, sizeof *c->metrics);
    c->metrics[c->nmetrics++] = (metric_record){result_bytes(c, name, strlen(name)), value,
                                                is_time};
}

const metric_record *result_get_metric(const case_result *c, const char *name)
{
    for (size_t i = 0; i < c->nmetrics; i++)
        if (strcmp(c->metrics[i].name, name) == 0)
            return &c->metrics[i];
    return NULL;
}

const char *result_own(case_result *c, char *s)
{
    grow_array((void **)&c->owned, &c->owned_cap, c->nowned, sizeof *c->owned);
    c->owned[c->nowned++] = s;
    return s;
}

void result_fwd(case_result *c, int status, int64_t delay_ns)
{
    if (c->nfwd >= RESULT_FWD_MAX)
        return;
    grow_array((void **)&c->fwd, &c->fwd_cap, c->nfwd, sizeof *c->fwd);
    c->fwd[c->nfwd++] = (fwd_sample){status, delay_ns < 0 ? -1 : delay_ns};
}

void result_fate(case_result *c, const fate_record *f)
{
    if (c->nfates >= RESULT_FATES_MAX)
        return;
    grow_array((void **)&c->fates, &c->fates_cap, c->nfates, sizeof *c->fates);
    fate_record *d = &c->fates[c->nfates++];
    *d = *f;
    d->other = f->other ? result_bytes(c, f->other, strlen(f->other)) : NULL;
    d->detail = f->detail ? result_bytes(c, f->detail, strlen(f->detail)) : NULL;
}

static const char *const fate_names[FATE_COUNT] = {
    "forwarded", "late", "held", "dropped", "made-final", "altered", "to-other-case",
    "from-other-case", "unwritten",
};

const char *fate_kind_name(fate_kind k)
{
    return k < FATE_COUNT ? fate_names[k] : "?";
}

int fate_kind_parse(const char *s)
{
    for (int k = 0; k < FATE_COUNT; k++)
        if (strcmp(s, fate_names[k]) == 0)
            return k;
    return -1;
}
