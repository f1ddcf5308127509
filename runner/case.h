/* case: conformance cases as data. case_load.c parses one file into a case_def (errors are
 * "file:line: message"); case_run.c plays a case_def against a target and fills a case_result.
 *
 * The format is described in cases/FORMAT.md. In short: header lines (id, title, require, rfc,
 * level, modes, default, about), then steps in order:
 *   > TEXT          send TEXT + CRLF      >| TEXT   send TEXT as is (bodies)
 *   expect ALT [| ALT ...] [within|for DUR] [strict] [as NAME] [require ID]
 *     on ALT done|skip|fail|note ["text"] | on ALT check ...
 *   check [NAME] header FIELD present|absent|has TOKEN|is VALUE [require ID]
 *   collect interim [CODES] until final [CODES] ...   bound METRIC OP VALUE
 *   pause DUR   open   close   shutdown   note "text"
 * Consecutive send lines make one write. Escapes \r \n \t \0 \\ \$ \xHH and ${variables} are
 * resolved when the case runs. */
#ifndef H1XX_CASE_H
#define H1XX_CASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conn.h"
#include "result.h"
#include "wire.h"

/* ---- requirements catalogue (cases/requirements.tsv) ---------------------------------------- */

/* PRACTICE: not an RFC requirement but what interoperability asks (a gateway dropping a 1xx,
 * a bound on 102 gaps): a warning labelled as such, a failure only under --strict. */
typedef enum req_level { LEVEL_MUST, LEVEL_SHOULD, LEVEL_MAY, LEVEL_INFO, LEVEL_PRACTICE } req_level;

/* The role the target plays, from the mode: origin, gateway (reverse proxy), proxy (forward). */
typedef enum req_role { ROLE_ORIGIN, ROLE_GATEWAY, ROLE_PROXY, ROLE_COUNT } req_role;

typedef struct requirement {
    char *id;      /* "EXP-1" */
    req_level level;                /* the base level (first word of the LEVEL column) */
    req_level by_role[ROLE_COUNT];  /* with the column's ROLE=LEVEL overrides applied */
    char *role;
    char *rfc;     /* "RFC 9110 §10.1.1" */
    char *summary; /* one line */
} requirement;

typedef struct req_catalog {
    requirement *reqs;
    size_t n, cap;
} req_catalog;

int req_catalog_load(req_catalog *cat, const char *path, char *err, size_t errsz);
const requirement *req_find(const req_catalog *cat, const char *id);
void req_catalog_free(req_catalog *cat);
const char *req_level_name(req_level l);
/* The level q has for the role a mode gives the target (catalog.c). */
req_level req_level_for(const requirement *q, unsigned mode);
req_role req_role_of_mode(unsigned mode);
const char *req_role_name(req_role r);

/* ---- case definitions ---------------------------------------------------------------------- */

enum { MODE_ORIGIN = 1, MODE_REVERSE_PROXY = 2, MODE_FORWARD_PROXY = 4, MODE_CLIENT = 8 };

typedef enum alt_kind { ALT_INTERIM, ALT_FINAL, ALT_CLOSE, ALT_NOTHING, ALT_REQUEST } alt_kind;

/* A status code set: empty means any; otherwise codes in any range, or (negated) none of them. */
typedef struct code_set {
    struct { short lo, hi; } r[8];
    int n;
    bool negated;
} code_set;

typedef struct alt {
    alt_kind kind;
    code_set codes;
} alt;

typedef enum check_op {
    CHECK_PRESENT, CHECK_ABSENT, CHECK_HAS, CHECK_IS,
    CHECK_COUNT,  /* the field appears exactly N times */
    CHECK_WITHIN, /* every token of every instance is in the given comma list (absent passes) */
} check_op;

typedef struct check {
    char *msg_name; /* NULL: the message the last expect matched */
    char *field;
    check_op op;
    char *value;    /* template, for HAS / IS */
    char *require;  /* NULL: the case's first requirement */
    bool on_origin; /* "origin check": the request the embedded origin received */
    char *else_skip; /* "else skip TEXT": end the case as skip instead of failing, or NULL */
    bool else_done;  /* "else done TEXT" instead: the case ends there as it stands (a pass unless
                      * something failed), for a condition under which the rule cannot be broken */
} check;

typedef enum action_kind { ACT_DONE, ACT_SKIP, ACT_FAIL, ACT_NOTE, ACT_CHECK } action_kind;

typedef struct action {
    alt_kind on;
    code_set codes; /* only when the matched status is in this set (empty: any) */
    action_kind kind;
    char *text;     /* template, may be NULL */
    check chk;      /* ACT_CHECK */
    int line;
} action;

typedef enum step_kind {
    STEP_SEND, STEP_EXPECT, STEP_CHECK, STEP_PAUSE, STEP_OPEN, STEP_CLOSE, STEP_SHUTDOWN,
    STEP_NOTE,
    STEP_WS_SEND,   /* ws-send OPCODE [TEXT]: one masked client frame after a 101 */
    STEP_WS_EXPECT, /* ws-expect OPCODE [TEXT]: the next server frame */
    STEP_COLLECT,   /* collect interim [CODES] until final: the series and its timing metrics */
    STEP_BOUND,     /* bound METRIC OP VALUE: judge a metric */
    STEP_CURL,      /* curl-upload METHOD PATH BYTES [expect]: what libcurl experiences */
    STEP_ORIGIN_SEND,   /* '<' lines: the embedded origin writes (proxy modes) */
    STEP_ORIGIN_ACCEPT, /* origin accept [| final]: the proxy's request reached the origin */
    STEP_ORIGIN_READ,   /* origin read: the request's content reached the origin */
    STEP_ORIGIN_CLOSE,  /* origin close */
    STEP_CLIENT_RUN,    /* client run METHOD PATH ...: start the driver (client mode) */
    STEP_CLIENT_EXPECT, /* client expect-body | expect-error: judge what the driver did */
    STEP_ORIGIN_CONTENT, /* origin content-starts | content-withheld: the client's content */
    STEP_CLIENT_REQUEST, /* client request: the client's request reaches the embedded origin */
    STEP_ORIGIN_QUIET,   /* origin quiet for DUR: no further request for the case reaches the
                          * embedded origin (proxy modes) */
} step_kind;

typedef enum bound_op { BOUND_LE, BOUND_LT, BOUND_GE, BOUND_GT } bound_op;

typedef struct send_line {
    char *text;  /* template: escapes and ${vars} unresolved */
    bool crlf;   /* '>' lines end in CRLF; '>|' lines do not */
} send_line;

typedef struct step {
    step_kind kind;
    int line;
    /* STEP_SEND */
    send_line *lines;
    size_t nlines, lines_cap;
    /* STEP_EXPECT */
    alt alts[4];
    int nalts;
    char *within;   /* duration template; NULL: ${timeout} */
    bool strict;    /* an interim no alternative names is a mismatch, not tolerated */
    bool forwarded; /* proxy modes: a message that arrived before the origin's latest write is
                     * the proxy's own, not the forwarded one (tolerated and noted) */
    char *as;       /* name the matched message */
    char *require;  /* NULL: the case's first requirement */
    action *acts;
    size_t nacts, acts_cap;
    /* STEP_CHECK */
    check chk;
    /* STEP_PAUSE: duration template; STEP_NOTE: text template; STEP_WS_*: payload template;
     * STEP_BOUND: value template; STEP_CURL: path template */
    char *arg;
    int opcode;      /* STEP_WS_* */
    char *metric;    /* STEP_BOUND */
    bound_op bop;    /* STEP_BOUND */
    char *method;    /* STEP_CURL */
    long bytes;      /* STEP_CURL */
    bool expect100;  /* STEP_CURL */
    bool on_origin;  /* STEP_WS_*: the origin's side of the connection */
    char *upgrade;   /* STEP_CLIENT_RUN: the protocol the driver is asked to offer, or NULL */
    char *second;    /* STEP_CLIENT_RUN: the path of a second request on the same connection */
} step;

typedef struct var_default {
    char *name;
    char *value; /* template */
} var_default;

typedef struct case_def {
    char *file;
    int line;   /* line of the id */
    char *id, *area, *title, *rfc, *level, *about;
    char **require; /* ids */
    size_t nrequire;
    unsigned modes;
    bool uses_origin; /* has '<' lines or origin steps (proxy and client modes) */
    bool uses_client; /* has client steps (client mode only) */
    var_default *defaults;
    size_t ndefaults;
    char **vars;    /* every variable the case uses */
    size_t nvars;
    step *steps;
    size_t nsteps, steps_cap;
} case_def;

/* Parses one case file. Returns 0, or -1 with "file:line: message" in err. cat may be NULL
 * (requirement ids are then not checked). */
int case_load_file(const char *path, const req_catalog *cat, case_def *c, char *err,
                   size_t errsz);
/* The same from a buffer (name is used in messages); for tests and the fuzzer. */
int case_load_buffer(const char *name, const char *text, size_t len, const req_catalog *cat,
                     case_def *c, char *err, size_t errsz);
void case_free(case_def *c);

/* Loads every *.case under dir (one level of area folders), sorted by id. Errors for every bad
 * file are printed to stderr; returns -1 if any file failed. The caller frees with
 * case_list_free. */
int case_load_dir(const char *dir, const req_catalog *cat, case_def **out, size_t *n);
void case_list_free(case_def *cases, size_t n);

/* ---- running ------------------------------------------------------------------------------- */

typedef struct var {
    char *name, *value;
} var;

struct origin;

typedef struct run_ctx {
    const target *tgt;
    conn_opts copts;
    wire_limits limits;
    const req_catalog *cat;
    var *vars;          /* built-in and --set variables */
    size_t nvars;
    char **headers;     /* -H lines, added after each request line */
    size_t nheaders;
    int64_t run_start_ns;
    int64_t run_deadline_ns; /* absolute; 0: none */
    int64_t case_deadline_ns; /* relative bound per case */
    int64_t linger_ns;  /* how long to keep reading after the last step for late bytes */
    unsigned mode;      /* MODE_ORIGIN, MODE_REVERSE_PROXY or MODE_FORWARD_PROXY */
    struct origin *org; /* the embedded origin (proxy and client modes), else NULL */
    char *const *driver; /* client mode: the driver command and its arguments (templates) */
    size_t ndriver;
    bool serve;         /* client mode --serve: no driver; clients post their results */
} run_ctx;

/* Plays c and fills r (r is zeroed first; r's strings are allocated; the caller frees with
 * case_result_free). Never blocks past the case deadline or the run deadline. */
void case_run(const case_def *c, const run_ctx *ctx, case_result *r);

/* Resolves a template against the case's defaults and the context's variables. Returns a
 * malloc'd byte string (*len bytes, NUL-terminated), or NULL when a variable is unset (its name
 * is then in *missing, malloc'd), or NULL with *missing NULL when the expansion would pass 4 MiB
 * or 10,000 variable references (defaults that use defaults can nest). */
char *case_expand(const case_def *c, const run_ctx *ctx, const char *tmpl, size_t *len,
                  char **missing);

/* Fills the result's descriptive fields (id, title, requirement...) from the case. */
void case_describe(const case_def *c, const req_catalog *cat, case_result *r);

#endif
