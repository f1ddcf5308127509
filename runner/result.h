/* result: the one result tree that every reporter walks (console, JUnit XML, JSON).
 *
 * A run_result owns its case_results; a case_result owns every string and array in it. All
 * strings are NUL-terminated and may hold any byte a server sent (reporters escape them). Byte
 * strings that may hold NUL (transcript data) carry an explicit length. Times are nanoseconds
 * on the monotonic clock relative to the start of the run (run_result.start_ns is 0 there), so
 * they can be compared across cases and connections. result_free() frees everything. */
#ifndef H1XX_RESULT_H
#define H1XX_RESULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

typedef enum verdict {
    VERDICT_PASS,
    VERDICT_WARN,   /* a SHOULD broken (a failure under --strict) */
    VERDICT_FAIL,   /* a MUST broken */
    VERDICT_SKIP,   /* a prerequisite missing or the case inconclusive; message says why */
    VERDICT_ERROR,  /* the case could not run (refused, reset before any byte, harness fault) */
    VERDICT_NOTRUN, /* not started: run deadline reached or interrupted */
    VERDICT_COUNT
} verdict_t;

const char *verdict_name(verdict_t v); /* "pass", "warn", "fail", "skip", "error", "not-run" */
/* Orders verdicts by severity for combining checks: pass < skip < warn < fail < error. */
int verdict_rank(verdict_t v);

/* What a --baseline said of a case (see baseline.h): nothing; a known failure seen again (it
 * does not fail the run); a failure the baseline does not know (it does); a known failure that
 * now passes (the baseline wants updating; it fails the run under --strict-baseline). */
typedef enum baseline_mark {
    BASELINE_NONE,
    BASELINE_EXPECTED,
    BASELINE_NEW,
    BASELINE_FIXED,
} baseline_mark;

/* NULL for BASELINE_NONE, else "expected", "new", "fixed". */
const char *baseline_mark_name(baseline_mark m);

/* How a case counts in the one summary every reporter prints (see result_outcome). */
typedef enum outcome { OUTCOME_PASSED, OUTCOME_FAILED, OUTCOME_SKIPPED } outcome_t;

typedef enum tx_kind {
    TX_OPEN,  /* connection opened (data: the peer address as text) */
    TX_SENT,  /* bytes written */
    TX_RECV,  /* bytes read (one entry per read, so timestamps are per chunk) */
    TX_EOF,   /* peer closed */
    TX_RESET, /* connection reset or other read/write error (data: the error text) */
    TX_CLOSE, /* we closed */
    TX_NOTE,  /* interpreter note (data: text) */
} tx_kind;

const char *tx_kind_name(tx_kind k); /* "open", "sent", "recv", "eof", "reset", "close", "note" */

typedef struct tx_entry {
    tx_kind kind;
    int conn;     /* connection number within the case, from 1 */
    int64_t t_ns; /* relative to the run start */
    char *data;   /* may hold NUL bytes; NUL-terminated after len */
    size_t len;
} tx_entry;

typedef struct msg_record {
    int conn;
    int status;
    bool interim;
    int64_t t_first_ns; /* arrival of the chunk holding its first byte */
    int64_t t_head_ns;  /* arrival of the chunk that completed the head */
    int64_t t_end_ns;   /* arrival of the chunk that completed the message */
    char *head;         /* the raw head bytes (NUL-terminated, may hold any byte) */
    size_t head_len;
    uint64_t body_len;
} msg_record;

typedef struct finding_record {
    int code;            /* wire_code, or 0 for an interpreter-level finding */
    const char *name;    /* stable name, static storage */
    char *text;          /* one line: what was found */
    const char *require; /* requirement id it breaks, static storage, or NULL */
    verdict_t verdict;   /* what it did to the case */
    int conn;
    size_t offset;       /* stream offset on that connection */
} finding_record;

/* A measured quantity: a time (ns) or a count. Cases judge them with "bound" steps. */
typedef struct metric_record {
    char *name;    /* "first-interim", "max-gap", "interim-count", ... */
    int64_t value; /* ns when is_time, else a count */
    bool is_time;
} metric_record;

/* Proxy modes: one interim status the embedded origin wrote, and how long the proxy took to hand
 * it to the client (read at the client minus the start of the origin's write), or -1 when it
 * did not reach the client while the case ran (dropped or held). fwd_stats.h aggregates them. */
typedef struct fwd_sample {
    int status;       /* 100..199 */
    int64_t delay_ns; /* >= 0, or -1: dropped */
} fwd_sample;

/* Proxy modes: what became of one message (see fates.h and docs/fates.md). A record is either
 * a message the case's origin wrote (seq >= 1) or a message the case's client read that its
 * origin never wrote (seq 0: FATE_FROM_OTHER, FATE_UNWRITTEN). */
typedef enum fate_kind {
    FATE_FORWARDED,  /* reached the client, within fwd_max (or the case bounds no delay) */
    FATE_LATE,       /* reached the client past fwd_max */
    FATE_HELD,       /* reached the client only once the origin's final was written */
    FATE_DROPPED,    /* never reached the client */
    FATE_MADE_FINAL, /* a 1xx the proxy made the final response (status kept or rewritten) */
    FATE_ALTERED,    /* reached the client with another status code */
    FATE_TO_OTHER,   /* delivered to another case's client (other names the case) */
    FATE_FROM_OTHER, /* the client got a message the origin wrote for another case */
    FATE_UNWRITTEN,  /* the client got a message no origin wrote (the proxy's own) */
    FATE_COUNT
} fate_kind;

/* "forwarded", "late", "held", "dropped", "made-final", "altered", "to-other-case",
 * "from-other-case", "unwritten"; fate_kind_parse gives -1 for another name. */
const char *fate_kind_name(fate_kind k);
int fate_kind_parse(const char *s);

typedef struct fate_record {
    fate_kind kind;
    int seq;            /* the origin's message number in the case (1, 2, ...), 0: none */
    int status;         /* the status the origin wrote, 0: none */
    int got_status;     /* the status the client read, 0: nothing */
    int oconn, cconn;   /* origin (101...) and client (1...) connection, 0: none */
    int64_t t_write_ns; /* start of the origin's write (run-relative), -1: none */
    int64_t t_read_ns;  /* the client's read of its head (run-relative), -1: none */
    char *other;        /* the other case's id (TO_OTHER, FROM_OTHER), or NULL */
    char *detail;       /* one line (fields added or removed, why), or NULL */
} fate_record;

typedef struct case_result {
    char *id;      /* "continue/exp1-content-length" */
    char *area;    /* "continue" */
    char *title;
    char *file;    /* case file path as given to the loader */
    int line;      /* line of the case's id */
    char *require; /* space-separated requirement ids, e.g. "EXP-1 GEN-4" */
    char *rfc;     /* e.g. "RFC 9110 §10.1.1" */
    char *level;   /* "MUST", "SHOULD", "MAY" */
    verdict_t verdict;
    char *message; /* one line, e.g. "expected interim 100 or final within 3s, got nothing" */
    char *failed_require; /* requirement id behind the verdict (fail/warn), or NULL */
    char *missing_var;    /* skip: the variable nobody set that the case needs, or NULL */
    /* skip on a premise that did not hold (missing_var NULL): the *_path variable the case
     * took its default for (nobody set it) and the value it had, e.g. "upload_path" and "/":
     * the --set that would point the case somewhere its premise may hold. Malloc'd or NULL. */
    char *premise_var, *premise_value;
    baseline_mark baseline; /* set by baseline_apply; BASELINE_NONE without --baseline */
    int64_t start_ns, duration_ns;
    tx_entry *tx;
    size_t ntx;
    bool tx_truncated; /* the transcript hit its cap; later bytes were counted, not kept */
    msg_record *msgs;
    size_t nmsgs;
    char **notes; /* recorded observations (MAY-level facts, timings) */
    size_t nnotes;
    finding_record *findings;
    size_t nfindings;
    metric_record *metrics;
    size_t nmetrics;
    /* Strings the case owns that no field frees by itself: finding names and requirement ids
     * read back from a results.json (see result_own). */
    char **owned;
    size_t nowned;
    size_t msgs_dropped, findings_dropped; /* past their caps: checked, not recorded */
    /* private growth capacities */
    size_t tx_cap, msgs_cap, notes_cap, findings_cap, metrics_cap, owned_cap;
    size_t tx_bytes;
    fwd_sample *fwd; /* forwarding samples, in the order the origin wrote (result_fwd) */
    size_t nfwd, fwd_cap;
    fate_record *fates; /* proxy modes: one per origin message and per unwritten one read */
    size_t nfates, fates_cap;
    /* private: blocks holding the strings the builders copied (result_bytes); a case's strings
     * live together instead of in a malloc each, and case_result_free frees them as a whole */
    struct result_block *blocks;
    /* private: id, area, title, file, rfc and level point into the case definition, which
     * outlives the result (case_describe); case_result_free leaves them alone */
    bool borrowed;
} case_result;

typedef struct run_result {
    char *target;       /* URL as given */
    char *mode;         /* "origin", ... */
    char *label;        /* --label: what was tested, e.g. "nginx 1.22.1 reverse-proxy"; or NULL */
    char *version;      /* h1xx version */
    char *hostname;
    time_t started_wall; /* wall clock at start (UTC when formatted) */
    int64_t start_mono_ns; /* CLOCK_MONOTONIC at the run start: every *_ns time is after it */
    int64_t duration_ns;
    bool interrupted;    /* SIGINT/SIGTERM */
    bool deadline_hit;   /* --deadline reached */
    bool strict;
    bool has_baseline;    /* --baseline was given: cases carry their baseline mark */
    bool strict_baseline; /* --strict-baseline: a known failure that now passes fails the run */
    int shard_i, shard_n; /* --shard I/N of this run, 0/0 when it ran every selected case */
    case_result *cases;
    size_t ncases;
    size_t counts[VERDICT_COUNT];
    /* A path that answered "POST ... Expect: 100-continue" with 100 Continue, found when the
     * upload cases could not decide at the default upload_path (preflight_upload_hint): a hint
     * for the summary, never a verdict. Malloc'd or NULL. */
    char *upload_hint;
} run_result;

/* The one summary of a run, shared by the console, JUnit, JSON, HTML and the exit status:
 * passed  = pass + warn (a warn is failed under strict),
 * failed  = fail + error + not-run (+ warn under strict) - expected failures
 *           (+ known failures that now pass, under strict_baseline),
 * skipped = skip + expected failures (baseline).
 * The exit status is 1 exactly when failed > 0 (130 when interrupted). */
outcome_t result_outcome(const case_result *c, bool strict, bool strict_baseline);

typedef struct run_tally {
    size_t verdicts[VERDICT_COUNT];
    size_t passed, failed, skipped;
    size_t expected, new_failures, fixed; /* baseline marks */
} run_tally;

/* Tallies r's cases; strict is r->strict or the caller's --strict. */
void result_tally(const run_result *r, bool strict, run_tally *t);

/* Recounts counts[] from the cases. */
void result_count(run_result *r);
void case_result_free(case_result *c);
void result_free(run_result *r);

/* Builders used by the interpreter. Data is copied. Everything a server can make grow has a cap
 * per case, so a hostile server cannot make h1xx (or its reports) grow without bound:
 * - the transcript keeps the first RESULT_TX_MAX bytes sent and received; once a sent/recv
 *   entry does not fit, it and every later one are recorded with len 0 and tx_truncated is set
 *   (so the bytes kept are an exact prefix of each connection's stream, with no holes); past
 *   RESULT_TX_ENTRIES sent/recv entries are not recorded at all (tx_truncated too);
 * - result_msg and result_finding return NULL past RESULT_MSGS_MAX / RESULT_FINDINGS_MAX and
 *   count what they dropped (the caller still judges those messages; case_run notes the count);
 * - past RESULT_NOTES_MAX notes, later notes are dropped. */
#define RESULT_TX_MAX (1024 * 1024)
#define RESULT_TX_ENTRIES 20000
#define RESULT_MSGS_MAX 2000
#define RESULT_FINDINGS_MAX 1000
#define RESULT_NOTES_MAX 1000
void result_tx(case_result *c, tx_kind k, int conn, int64_t t_ns, const void *data, size_t len);
void result_note(case_result *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A transcript note (TX_NOTE) of plain text. */
void result_tx_note(case_result *c, int conn, int64_t t_ns, const char *text);
msg_record *result_msg(case_result *c);         /* NULL past the cap */
finding_record *result_finding(case_result *c); /* NULL past the cap */
/* Adds a forwarding sample; past RESULT_FWD_MAX they are dropped (the case's notes still
 * name each one). */
#define RESULT_FWD_MAX 2000
void result_fwd(case_result *c, int status, int64_t delay_ns);
/* Adds a fate (its strings copied); past RESULT_FATES_MAX they are dropped. */
#define RESULT_FATES_MAX 2000
void result_fate(case_result *c, const fate_record *f);
/* Sets (or replaces) a metric. */
void result_metric(case_result *c, const char *name, int64_t value, bool is_time);
const metric_record *result_get_metric(const case_result *c, const char *name);
/* A copy of data[0, len), NUL-terminated, that c owns (freed with it; never free() it). When
 * the last transcript entry ends with the same bytes (a message head read in one piece), that
 * entry's copy is shared. */
char *result_bytes(case_result *c, const void *data, size_t len);
/* At the end of a case: its arrays shrink to what they hold (10,000 results kept at once). */
void result_trim(case_result *c);
/* Hands s (malloc'd) to c, which frees it with the case; returns s. For fields documented as
 * static storage when the result is rebuilt from a file. */
const char *result_own(case_result *c, char *s);

#endif
