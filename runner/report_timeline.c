/* report_timeline: see report_timeline.h. Coordinates are computed in integer tenths of a pixel
 * and printed as "123.4" (no floating point, no locale). */
#include "report_timeline.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "report_util.h"

/* Geometry, in pixels. Labels sit above a lane's baseline, in up to LABEL_LEVELS rows. */
enum {
    W = 960,          /* viewBox width */
    LEFT = 128,       /* lane names end here, the axis starts */
    RIGHT = 34,       /* room for the last label */
    AXIS_H = 26,      /* tick labels */
    LANE_H = 58,      /* one lane */
    BASE = 42,        /* baseline within a lane */
    NOTE_H = 16,      /* the "not drawn" note */
    LABEL_LEVELS = 3,
    CHAR_W10 = 66,    /* estimated width of one label character, tenths of a pixel */
};

/* ---- the model: lanes of marks ------------------------------------------------------------- */

/* MK_LOST: proxy modes, where an origin message was lost (on the origin's lane, at its write)
 * or where a message another case's origin wrote arrived (on the client's lane). */
typedef enum mark_kind { MK_SENT, MK_CHUNK, MK_INTERIM, MK_FINAL, MK_EVENT, MK_LOST } mark_kind;

typedef struct tl_mark {
    mark_kind kind;
    int64_t t, t_end;       /* ns from the case start; t_end: end of a final's body */
    const char *event;      /* MK_EVENT: "open", "eof", "reset", "close" */
    size_t bytes;           /* MK_SENT, MK_CHUNK */
    const msg_record *msg;  /* MK_INTERIM, MK_FINAL */
    const fate_record *fate; /* MK_LOST */
    int link_lane;          /* lane of the mark this one was forwarded from, or -1 */
    int64_t link_t;         /* time of that mark */
} tl_mark;

typedef struct tl_lane {
    char name[48];
    tl_mark *marks;
    size_t n, cap;
    size_t dropped; /* marks past TIMELINE_MAX_MARKS */
} tl_lane;

#define MAX_LANES (3 * TIMELINE_MAX_CONNS)

typedef struct timeline {
    const case_result *c;
    tl_lane lanes[MAX_LANES];
    size_t nlanes;
    int64_t span;          /* ns the axis covers (> 0) */
    size_t conns_dropped;  /* connections past TIMELINE_MAX_CONNS */
} timeline;

static int64_t rel(const timeline *tl, int64_t t_ns)
{
    int64_t r = t_ns - tl->c->start_ns;
    return r < 0 ? 0 : r;
}

static tl_lane *lane_new(timeline *tl, const char *fmt, int conn)
{
    tl_lane *l = &tl->lanes[tl->nlanes++];
    memset(l, 0, sizeof *l);
    snprintf(l->name, sizeof l->name, fmt, conn);
    return l;
}

static tl_mark *mark_add(tl_lane *l, mark_kind k, int64_t t)
{
    if (l->n >= TIMELINE_MAX_MARKS) {
        l->dropped++;
        return NULL;
    }
    grow_array((void **)&l->marks, &l->cap, l->n, sizeof *l->marks);
    tl_mark *m = &l->marks[l->n++];
    memset(m, 0, sizeof *m);
    m->kind = k;
    m->t = m->t_end = t;
    m->link_lane = -1;
    return m;
}

static void mark_event(tl_lane *l, int64_t t, const char *name)
{
    tl_mark *m = mark_add(l, MK_EVENT, t);
    if (m)
        m->event = name;
}

/* What the client sent on conn, and when it opened and closed the connection. */
static void lane_sent(timeline *tl, int conn)
{
    const case_result *c = tl->c;
    tl_lane *l = lane_new(tl, conn > 100 ? "origin %d wrote" : "conn %d sent", conn);
    for (size_t i = 0; i < c->ntx; i++) {
        const tx_entry *e = &c->tx[i];
        if (e->conn != conn)
            continue;
        if (e->kind == TX_SENT) {
            tl_mark *m = mark_add(l, MK_SENT, rel(tl, e->t_ns));
            if (m)
                m->bytes = e->len;
        } else if (e->kind == TX_OPEN || e->kind == TX_CLOSE) {
            mark_event(l, rel(tl, e->t_ns), tx_kind_name(e->kind));
        }
    }
}

/* Proxy modes: connections numbered above 100 are the embedded origin's. Each status line the
 * origin wrote (at a message start in a "sent" chunk) is paired, in order and by status, with
 * the client's next received message of that status; the pair is drawn as a dashed link, the
 * forwarding delay. */
typedef struct origin_write {
    int status;
    int64_t t;
    int lane;
} origin_write;

static size_t origin_writes(timeline *tl, origin_write *w, size_t cap)
{
    const case_result *c = tl->c;
    size_t n = 0;
    for (size_t i = 0; i < c->ntx && n < cap; i++) {
        const tx_entry *e = &c->tx[i];
        if (e->conn <= 100 || e->kind != TX_SENT)
            continue;
        int lane = -1;
        char want[48];
        snprintf(want, sizeof want, "origin %d wrote", e->conn);
        for (size_t l = 0; l < tl->nlanes; l++)
            if (strcmp(tl->lanes[l].name, want) == 0)
                lane = (int)l;
        for (size_t k = 0; k + 12 <= e->len && n < cap; k++) {
            bool start = k == 0 || (k >= 4 && memcmp(e->data + k - 4, "\r\n\r\n", 4) == 0);
            if (!start || memcmp(e->data + k, "HTTP/1.", 7) != 0 || e->data[k + 8] != ' ')
                continue;
            const char *d = e->data + k + 9;
            if (d[0] < '1' || d[0] > '9' || d[1] < '0' || d[1] > '9' || d[2] < '0' || d[2] > '9')
                continue;
            w[n++] = (origin_write){(d[0] - '0') * 100 + (d[1] - '0') * 10 + (d[2] - '0'),
                                    rel(tl, e->t_ns), lane};
        }
    }
    return n;
}

static int cmp_mark(const void *a, const void *b);

static int lane_named(const timeline *tl, const char *fmt, int conn)
{
    char want[48];
    snprintf(want, sizeof want, fmt, conn);
    for (size_t l = 0; l < tl->nlanes; l++)
        if (strcmp(tl->lanes[l].name, want) == 0)
            return (int)l;
    return -1;
}

/* A fate's client mark: the message read on its connection with that head time. */
static tl_mark *fate_mark(timeline *tl, const fate_record *f)
{
    int l = lane_named(tl, "conn %d received", f->cconn);
    for (size_t j = 0; l >= 0 && j < tl->lanes[l].n; j++) {
        tl_mark *m = &tl->lanes[l].marks[j];
        if ((m->kind == MK_INTERIM || m->kind == MK_FINAL) && m->msg->t_head_ns == f->t_read_ns)
            return m;
    }
    return NULL;
}

static void lost_mark(timeline *tl, int lane, int64_t t, const fate_record *f)
{
    tl_mark *m = lane >= 0 ? mark_add(&tl->lanes[lane], MK_LOST, t) : NULL;
    if (m) {
        m->fate = f;
        m->event = f->kind == FATE_FROM_OTHER ? "other case" : fate_kind_name(f->kind);
    }
}

/* Proxy modes with fates (docs/fates.md): each origin message is drawn from its write to the
 * client's read, or to a mark where it was lost; a message written for another case is marked
 * on the client's lane. */
static void link_fates(timeline *tl)
{
    const case_result *c = tl->c;
    for (size_t i = 0; i < c->nfates; i++) {
        const fate_record *f = &c->fates[i];
        int ol = f->seq && f->oconn ? lane_named(tl, "origin %d wrote", f->oconn) : -1;
        tl_mark *m = f->t_read_ns >= 0 && f->cconn ? fate_mark(tl, f) : NULL;
        if (f->kind == FATE_FROM_OTHER || f->kind == FATE_UNWRITTEN) {
            if (f->kind == FATE_FROM_OTHER)
                lost_mark(tl, lane_named(tl, "conn %d received", f->cconn),
                          rel(tl, f->t_read_ns), f);
        } else if (m && ol >= 0) {
            m->link_lane = ol;
            m->link_t = rel(tl, f->t_write_ns);
        } else if (ol >= 0 && f->t_write_ns >= 0) {
            lost_mark(tl, ol, rel(tl, f->t_write_ns), f);
        }
    }
    for (size_t i = 0; i < tl->nlanes; i++) /* lost marks were added last */
        if (tl->lanes[i].n > 1)
            qsort(tl->lanes[i].marks, tl->lanes[i].n, sizeof(tl_mark), cmp_mark);
}

static void link_forwarding(timeline *tl)
{
    if (tl->c->nfates)
        return link_fates(tl);
    origin_write w[256];
    size_t nw = origin_writes(tl, w, 256), next = 0;
    if (!nw)
        return;
    for (size_t l = 0; l < tl->nlanes; l++) {
        tl_lane *lane = &tl->lanes[l];
        if (strncmp(lane->name, "conn ", 5) != 0 || !strstr(lane->name, "received"))
            continue;
        for (size_t j = 0; j < lane->n; j++) {
            tl_mark *m = &lane->marks[j];
            if (m->kind != MK_INTERIM && m->kind != MK_FINAL)
                continue;
            size_t k = next;
            while (k < nw && w[k].status != m->msg->status)
                k++;
            if (k == nw || w[k].lane < 0)
                continue;
            m->link_lane = w[k].lane;
            m->link_t = w[k].t;
            next = k + 1;
        }
    }
}

static void received_messages(timeline *tl, tl_lane *l, int conn)
{
    const case_result *c = tl->c;
    for (size_t i = 0; i < c->nmsgs; i++) {
        const msg_record *msg = &c->msgs[i];
        if (msg->conn != conn)
            continue;
        tl_mark *m = mark_add(l, msg->interim ? MK_INTERIM : MK_FINAL, rel(tl, msg->t_first_ns));
        if (!m)
            continue;
        m->msg = msg;
        int64_t end = rel(tl, msg->t_end_ns);
        m->t_end = end > m->t ? end : m->t;
    }
}

/* What arrived on conn: every chunk, every message, and eof or reset. */
static void lane_received(timeline *tl, int conn)
{
    const case_result *c = tl->c;
    tl_lane *l = lane_new(tl, conn > 100 ? "origin %d read" : "conn %d received", conn);
    for (size_t i = 0; i < c->ntx; i++) {
        const tx_entry *e = &c->tx[i];
        if (e->conn != conn)
            continue;
        if (e->kind == TX_RECV) {
            tl_mark *m = mark_add(l, MK_CHUNK, rel(tl, e->t_ns));
            if (m)
                m->bytes = e->len;
        } else if (e->kind == TX_EOF || e->kind == TX_RESET) {
            mark_event(l, rel(tl, e->t_ns), tx_kind_name(e->kind));
        }
    }
    received_messages(tl, l, conn);
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

/* The distinct connection numbers (> 0) of c, ascending, at most TIMELINE_MAX_CONNS. */
static size_t conns_of(timeline *tl, int *out)
{
    const case_result *c = tl->c;
    size_t n = 0, total = c->ntx + c->nmsgs;
    int *all = xcalloc(total ? total : 1, sizeof *all);
    for (size_t i = 0; i < c->ntx; i++)
        all[n++] = c->tx[i].conn;
    for (size_t i = 0; i < c->nmsgs; i++)
        all[n++] = c->msgs[i].conn;
    qsort(all, n, sizeof *all, cmp_int);
    size_t k = 0, distinct = 0;
    for (size_t i = 0; i < n; i++) {
        if (all[i] <= 0 || (i && all[i] == all[i - 1]))
            continue;
        distinct++;
        if (k < TIMELINE_MAX_CONNS)
            out[k++] = all[i];
    }
    tl->conns_dropped = distinct - k;
    free(all);
    return k;
}

static int cmp_mark(const void *a, const void *b)
{
    const tl_mark *x = a, *y = b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    return (x->kind > y->kind) - (x->kind < y->kind);
}

static void span_of(timeline *tl)
{
    int64_t span = tl->c->duration_ns > 0 ? tl->c->duration_ns : 0;
    for (size_t i = 0; i < tl->nlanes; i++)
        for (size_t j = 0; j < tl->lanes[i].n; j++)
            if (tl->lanes[i].marks[j].t_end > span)
                span = tl->lanes[i].marks[j].t_end;
    tl->span = span < 1000 ? 1000 : span;
}

static void build(timeline *tl, const case_result *c)
{
    memset(tl, 0, sizeof *tl);
    tl->c = c;
    int conns[TIMELINE_MAX_CONNS];
    size_t n = conns_of(tl, conns);
    for (size_t i = 0; i < n; i++) {
        lane_sent(tl, conns[i]);
        lane_received(tl, conns[i]);
    }
    for (size_t i = 0; i < tl->nlanes; i++)
        if (tl->lanes[i].n > 1)
            qsort(tl->lanes[i].marks, tl->lanes[i].n, sizeof(tl_mark), cmp_mark);
    link_forwarding(tl);
    span_of(tl);
}

static void release(timeline *tl)
{
    for (size_t i = 0; i < tl->nlanes; i++)
        free(tl->lanes[i].marks);
}

/* ---- numbers ------------------------------------------------------------------------------- */

/* Appends v/1000 with up to three decimals, trailing zeros dropped, then suffix. */
static void thousandths(buf_t *out, int64_t v, const char *suffix)
{
    buf_printf(out, "%" PRId64, v / 1000);
    int frac = (int)(v % 1000);
    if (frac) {
        char d[8];
        snprintf(d, sizeof d, ".%03d", frac);
        size_t n = strlen(d);
        while (d[n - 1] == '0')
            d[--n] = '\0';
        buf_printf(out, "%s", d);
    }
    buf_printf(out, "%s", suffix);
}

void report_timeline_dur(buf_t *out, int64_t ns)
{
    if (ns < 0) {
        REPORT_PUT(out, "-");
        ns = -ns;
    }
    if (ns == 0)
        REPORT_PUT(out, "0");
    else if (ns < 1000000)
        thousandths(out, ns, "\xc2\xb5s"); /* µs */
    else if (ns < 1000000000)
        thousandths(out, ns / 1000, "ms");
    else
        thousandths(out, ns / 1000000, "s");
}

/* Tenths of a pixel, printed as "123.4". */
static void px(buf_t *out, int64_t tenths)
{
    if (tenths < 0) {
        REPORT_PUT(out, "-");
        tenths = -tenths;
    }
    buf_printf(out, "%" PRId64 ".%d", tenths / 10, (int)(tenths % 10));
}

static int64_t x_of(const timeline *tl, int64_t t)
{
    const int64_t plot10 = (int64_t)(W - LEFT - RIGHT) * 10;
    int64_t span = tl->span;
    if (t > span)
        t = span;
    while (span > INT64_MAX / plot10) { /* spans of weeks: keep the product in range */
        span /= 1000;
        t /= 1000;
    }
    return (int64_t)LEFT * 10 + t * plot10 / (span ? span : 1);
}

static int64_t base_of(size_t lane)
{
    return (int64_t)(AXIS_H + (int)lane * LANE_H + BASE) * 10;
}

/* The axis step: 1, 2 or 5 times a power of ten, about six ticks over the span. */
static int64_t tick_step(int64_t span)
{
    int64_t raw = span / 6, p = 1;
    if (raw < 1)
        return 1;
    while (p <= raw / 10)
        p *= 10;
    return p * (raw / p >= 5 ? 5 : raw / p >= 2 ? 2 : 1);
}

/* ---- drawing ------------------------------------------------------------------------------- */

static void text_at(buf_t *out, const char *cls, int64_t x10, int64_t y10, const char *anchor)
{
    buf_printf(out, "<text class=\"%s\" x=\"", cls);
    px(out, x10);
    REPORT_PUT(out, "\" y=\"");
    px(out, y10);
    buf_printf(out, "\" text-anchor=\"%s\">", anchor);
}

static void line_at(buf_t *out, const char *cls, int64_t x1, int64_t y1, int64_t x2, int64_t y2)
{
    buf_printf(out, "<line class=\"%s\" x1=\"", cls);
    px(out, x1);
    REPORT_PUT(out, "\" y1=\"");
    px(out, y1);
    REPORT_PUT(out, "\" x2=\"");
    px(out, x2);
    REPORT_PUT(out, "\" y2=\"");
    px(out, y2);
    REPORT_PUT(out, "\"/>");
}

static void axis(buf_t *out, const timeline *tl, int64_t height10)
{
    int64_t step = tick_step(tl->span);
    REPORT_PUT(out, "<g class=\"axis\">");
    for (int64_t t = 0; t <= tl->span; t += step) {
        int64_t x = x_of(tl, t);
        line_at(out, "grid", x, (AXIS_H - 6) * 10, x, height10);
        text_at(out, "tick", x, 150, t == 0 ? "start" : "middle");
        report_timeline_dur(out, t);
        REPORT_PUT(out, "</text>");
        if (tl->span / step > 40)
            break;
    }
    REPORT_PUT(out, "</g>");
}

static void lane_frame(buf_t *out, const tl_lane *l, size_t i)
{
    int64_t b = base_of(i);
    text_at(out, "lane", (LEFT - 10) * 10, b + 40, "end");
    report_html_str(out, l->name);
    REPORT_PUT(out, "</text>");
    line_at(out, "base", LEFT * 10, b, (W - RIGHT) * 10, b);
}

/* The tooltip of a mark: what it is and its times from the case start. */
static void tooltip(buf_t *out, const tl_mark *m)
{
    REPORT_PUT(out, "<title>");
    if (m->kind == MK_SENT || m->kind == MK_CHUNK) {
        buf_printf(out, "%s %zu byte%s at +", m->kind == MK_SENT ? "sent" : "received", m->bytes,
                   m->bytes == 1 ? "" : "s");
        report_ms(out, m->t);
        REPORT_PUT(out, "ms");
    } else if (m->kind == MK_LOST) {
        const fate_record *f = m->fate;
        if (f->kind == FATE_FROM_OTHER) {
            buf_printf(out, "%d written by the origin for ", f->got_status);
            report_html_str(out, f->other ? f->other : "another case");
        } else {
            buf_printf(out, "the origin's %d (message %d): %s", f->status, f->seq,
                       fate_kind_name(f->kind));
            if (f->other) {
                REPORT_PUT(out, ", to the client of ");
                report_html_str(out, f->other);
            }
        }
        if (f->detail) {
            REPORT_PUT(out, "; ");
            report_html_str(out, f->detail);
        }
        REPORT_PUT(out, " at +");
        report_ms(out, m->t);
        REPORT_PUT(out, "ms");
    } else if (m->kind == MK_EVENT) {
        report_html_str(out, m->event);
        REPORT_PUT(out, " at +");
        report_ms(out, m->t);
        REPORT_PUT(out, "ms");
    } else {
        const msg_record *g = m->msg;
        size_t line = g->head ? strcspn(g->head, "\r\n") : 0;
        buf_printf(out, "%s %d: ", g->interim ? "interim" : "final", g->status);
        report_html_escape(out, g->head ? g->head : "", line < 200 ? line : 200);
        REPORT_PUT(out, "\nfirst byte +");
        report_ms(out, m->t);
        REPORT_PUT(out, "ms, end +");
        report_ms(out, m->t_end);
        buf_printf(out, "ms, body %" PRIu64 " bytes", g->body_len);
    }
    REPORT_PUT(out, "</title>");
}

/* Where labels already are, per level: the right edge of the last one (tenths of a pixel). */
typedef struct label_rows {
    int64_t end[LABEL_LEVELS];
    size_t count;
} label_rows;

/* Picks the lowest free level for a label of `chars` characters centred at x; -1 when the lane
 * has had TIMELINE_MAX_LABELS labels already. */
static int label_level(label_rows *r, int64_t x, size_t chars)
{
    if (r->count >= TIMELINE_MAX_LABELS)
        return -1;
    int64_t w = (int64_t)chars * CHAR_W10 + 30, left = x - w / 2;
    int best = 0;
    for (int k = LABEL_LEVELS - 1; k >= 0; k--) /* the lowest free level, else the least full */
        if (r->end[k] <= left || (r->end[best] > left && r->end[k] < r->end[best]))
            best = k;
    r->end[best] = left + w;
    r->count++;
    return best;
}

static void label(buf_t *out, label_rows *rows, const char *cls, int64_t x, int64_t b,
                  const char *text)
{
    int level = label_level(rows, x, strlen(text));
    if (level < 0)
        return;
    text_at(out, cls, x, b - 100 - level * 110, "middle");
    report_html_str(out, text);
    REPORT_PUT(out, "</text>");
}

static const char *final_class(int status)
{
    return status >= 500 ? "m-fin s5" : status >= 400 ? "m-fin s4" : status >= 300 ? "m-fin s3"
                                                                    : "m-fin s2";
}

static void draw_message(buf_t *out, const timeline *tl, const tl_mark *m, int64_t b)
{
    int64_t x = x_of(tl, m->t);
    if (m->kind == MK_FINAL && x_of(tl, m->t_end) - x >= 10) {
        REPORT_PUT(out, "<rect class=\"m-body\" x=\"");
        px(out, x);
        REPORT_PUT(out, "\" y=\"");
        px(out, b - 30);
        REPORT_PUT(out, "\" width=\"");
        px(out, x_of(tl, m->t_end) - x);
        REPORT_PUT(out, "\" height=\"6\"/>");
    }
    if (m->kind == MK_INTERIM) {
        REPORT_PUT(out, "<circle class=\"m-int\" cx=\"");
        px(out, x);
        REPORT_PUT(out, "\" cy=\"");
        px(out, b);
        REPORT_PUT(out, "\" r=\"4.5\"/>");
        return;
    }
    /* larger than an interim dot, so that one drawn over it (same chunk) leaves its tips seen */
    buf_printf(out, "<path class=\"%s\" d=\"M", final_class(m->msg->status));
    px(out, x);
    REPORT_PUT(out, ",");
    px(out, b - 90);
    REPORT_PUT(out, " l9,9 l-9,9 l-9,-9 z\"/>");
}

static void draw_mark(buf_t *out, const timeline *tl, const tl_mark *m, int64_t b)
{
    int64_t x = x_of(tl, m->t);
    if (m->link_lane >= 0) { /* proxy modes: forwarded from the origin lane's mark */
        line_at(out, "link", x_of(tl, m->link_t), base_of((size_t)m->link_lane), x, b);
    }
    switch (m->kind) {
    case MK_SENT:
        REPORT_PUT(out, "<path class=\"m-sent\" d=\"M");
        px(out, x);
        REPORT_PUT(out, ",");
        px(out, b);
        REPORT_PUT(out, " l5,9 h-10 z\"/>");
        break;
    case MK_CHUNK: line_at(out, "m-chunk", x, b - 60, x, b + 60); break;
    case MK_EVENT: line_at(out, "m-ev", x, b - 80, x, b + 80); break;
    case MK_LOST: /* a cross */
        line_at(out, "m-lost", x - 50, b - 50, x + 50, b + 50);
        line_at(out, "m-lost", x - 50, b + 50, x + 50, b - 50);
        break;
    case MK_INTERIM:
    case MK_FINAL: draw_message(out, tl, m, b); break;
    }
}

static void mark_label(buf_t *out, label_rows *rows, const timeline *tl, const tl_mark *m,
                       int64_t b)
{
    char text[24];
    int64_t x = x_of(tl, m->t);
    if (m->kind == MK_EVENT) {
        label(out, rows, "lb-ev", x, b, m->event);
    } else if (m->kind == MK_LOST) {
        label(out, rows, "lb-lost", x, b, m->event);
    } else if (m->kind == MK_INTERIM || m->kind == MK_FINAL) {
        snprintf(text, sizeof text, "%d", m->msg->status);
        label(out, rows, m->kind == MK_INTERIM ? "lb-int" : "lb-fin", x, b, text);
    }
}

/* The gaps between successive interim responses, under the baseline: a 102 series' rhythm.
 * HOOK: when a case carries the user's bound on the interval, draw gaps over it as "rh over". */
static void rhythm(buf_t *out, const timeline *tl, const tl_lane *l, int64_t b)
{
    const tl_mark *prev = NULL;
    for (size_t j = 0; j < l->n; j++) {
        const tl_mark *m = &l->marks[j];
        if (m->kind != MK_INTERIM)
            continue;
        if (prev) {
            int64_t x1 = x_of(tl, prev->t), x2 = x_of(tl, m->t);
            if (x2 - x1 >= 400) {
                buf_printf(out, "<path class=\"rh\" d=\"M");
                px(out, x1 + 20);
                REPORT_PUT(out, ",");
                px(out, b + 60);
                REPORT_PUT(out, " v30 H");
                px(out, x2 - 20);
                REPORT_PUT(out, " v-30\"/>");
                text_at(out, "lb-rh", (x1 + x2) / 2, b + 130, "middle");
                REPORT_PUT(out, "+");
                report_timeline_dur(out, m->t - prev->t);
                REPORT_PUT(out, "</text>");
            }
        }
        prev = m;
    }
}

static void draw_lane(buf_t *out, const timeline *tl, size_t i)
{
    const tl_lane *l = &tl->lanes[i];
    int64_t b = base_of(i);
    label_rows rows = {{0}, 0};
    for (int k = 0; k < LABEL_LEVELS; k++)
        rows.end[k] = INT64_MIN / 2;
    buf_printf(out, "<g class=\"lane\">");
    lane_frame(out, l, i);
    rhythm(out, tl, l, b);
    /* interim marks last, on top: one that came in the same chunk as the final stays seen */
    for (int pass = 0; pass < 2; pass++)
        for (size_t j = 0; j < l->n; j++) {
            const tl_mark *m = &l->marks[j];
            if ((m->kind == MK_INTERIM) != (pass == 1))
                continue;
            REPORT_PUT(out, "<g>");
            tooltip(out, m);
            draw_mark(out, tl, m, b);
            REPORT_PUT(out, "</g>");
        }
    for (size_t j = 0; j < l->n; j++)
        mark_label(out, &rows, tl, &l->marks[j], b);
    REPORT_PUT(out, "</g>");
}

static size_t dropped_marks(const timeline *tl)
{
    size_t n = 0;
    for (size_t i = 0; i < tl->nlanes; i++)
        n += tl->lanes[i].dropped;
    return n;
}

void report_timeline_svg(buf_t *out, const case_result *c)
{
    timeline tl;
    build(&tl, c);
    if (tl.nlanes == 0) {
        release(&tl);
        return;
    }
    size_t dropped = dropped_marks(&tl);
    bool note = dropped || tl.conns_dropped;
    int height = AXIS_H + (int)tl.nlanes * LANE_H + (note ? NOTE_H : 0) + 4;
    buf_printf(out, "<svg class=\"tl\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" "
                    "width=\"%d\" height=\"%d\" role=\"img\" aria-label=\"timeline\">",
               W, height, W, height);
    axis(out, &tl, (int64_t)(AXIS_H + (int)tl.nlanes * LANE_H) * 10);
    for (size_t i = 0; i < tl.nlanes; i++)
        draw_lane(out, &tl, i);
    if (note) {
        text_at(out, "note", LEFT * 10, (int64_t)(height - 6) * 10, "start");
        buf_printf(out, "not drawn: %zu marks past %d per lane, %zu connections past %d", dropped,
                   TIMELINE_MAX_MARKS, tl.conns_dropped, TIMELINE_MAX_CONNS);
        REPORT_PUT(out, "</text>");
    }
    REPORT_PUT(out, "</svg>");
    release(&tl);
}
