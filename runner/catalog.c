/* catalog: the requirements catalogue (cases/requirements.tsv) and the level a requirement has
 * for the role the target plays. RFC 9110 §3.7 binds a gateway (h1xx's reverse-proxy mode) as
 * an origin toward the client and as a user agent inbound, and a proxy (forward-proxy mode) by
 * the proxy rules, so one sentence can be a MUST for a proxy and a practice for a gateway:
 * the LEVEL column says so with overrides, "MUST,gateway=PRACTICE". */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "case.h"
#include "util.h"

static const char *const level_names[] = {"MUST", "SHOULD", "MAY", "INFO", "PRACTICE"};
static const char *const role_names[] = {"origin", "gateway", "proxy"};

const char *req_level_name(req_level l)
{
    return level_names[l];
}

req_role req_role_of_mode(unsigned mode)
{
    return mode == MODE_REVERSE_PROXY ? ROLE_GATEWAY
           : mode == MODE_FORWARD_PROXY ? ROLE_PROXY
                                        : ROLE_ORIGIN;
}

const char *req_role_name(req_role r)
{
    return role_names[r];
}

req_level req_level_for(const requirement *q, unsigned mode)
{
    return q->by_role[req_role_of_mode(mode)];
}

static int level_word(const char *s, size_t n, req_level *l)
{
    for (size_t i = 0; i < sizeof level_names / sizeof *level_names; i++)
        if (strlen(level_names[i]) == n && memcmp(s, level_names[i], n) == 0) {
            *l = (req_level)i;
            return 0;
        }
    return -1;
}

/* "MUST" or "MUST,gateway=PRACTICE,proxy=SHOULD": the base level for every role, then
 * overrides. Returns 0, or -1 with the reason in *why. */
static int parse_levels(const char *s, requirement *q, const char **why)
{
    const char *comma = strchr(s, ',');
    size_t n = comma ? (size_t)(comma - s) : strlen(s);
    if (level_word(s, n, &q->level)) {
        *why = "LEVEL must be MUST, SHOULD, PRACTICE, MAY or INFO";
        return -1;
    }
    for (int r = 0; r < ROLE_COUNT; r++)
        q->by_role[r] = q->level;
    while (comma) {
        s = comma + 1;
        comma = strchr(s, ',');
        n = comma ? (size_t)(comma - s) : strlen(s);
        const char *eq = memchr(s, '=', n);
        int role = -1;
        for (int r = 0; eq && r < ROLE_COUNT; r++)
            if (strlen(role_names[r]) == (size_t)(eq - s) && !memcmp(s, role_names[r], eq - s))
                role = r;
        if (role < 0 || level_word(eq + 1, n - (size_t)(eq + 1 - s), &q->by_role[role])) {
            *why = "a level override is ROLE=LEVEL with ROLE origin, gateway or proxy";
            return -1;
        }
    }
    return 0;
}

/* One requirement a line: ID TAB LEVEL TAB ROLE TAB RFC TAB SUMMARY; '#' lines are comments. */
static int catalog_line(req_catalog *cat, char *line, const char *path, int ln, char *err,
                        size_t errsz)
{
    char *cols[5];
    int nc = 0;
    char *s = line;
    while (nc < 5) {
        cols[nc++] = s;
        char *tab = strchr(s, '\t');
        if (!tab)
            break;
        *tab = '\0';
        s = tab + 1;
    }
    requirement q = {0};
    const char *why = "expected ID, LEVEL, ROLE, RFC, SUMMARY separated by tabs";
    if (nc != 5 || parse_levels(cols[1], &q, &why)) {
        snprintf(err, errsz, "%s:%d: %s", path, ln, why);
        return -1;
    }
    if (req_find(cat, cols[0])) {
        snprintf(err, errsz, "%s:%d: requirement id %s given twice", path, ln, cols[0]);
        return -1;
    }
    q.id = xstrdup(cols[0]);
    q.role = xstrdup(cols[2]);
    q.rfc = xstrdup(cols[3]);
    q.summary = xstrdup(cols[4]);
    grow_array((void **)&cat->reqs, &cat->cap, cat->n, sizeof *cat->reqs);
    cat->reqs[cat->n++] = q;
    return 0;
}

int req_catalog_load(req_catalog *cat, const char *path, char *err, size_t errsz)
{
    memset(cat, 0, sizeof *cat);
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errsz, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    char line[2048];
    int ln = 0, rc = 0;
    while (rc == 0 && fgets(line, sizeof line, f)) {
        ln++;
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] && line[0] != '#')
            rc = catalog_line(cat, line, path, ln, err, errsz);
    }
    fclose(f);
    return rc;
}

const requirement *req_find(const req_catalog *cat, const char *id)
{
    for (size_t i = 0; cat && i < cat->n; i++)
        if (strcmp(cat->reqs[i].id, id) == 0)
            return &cat->reqs[i];
    return NULL;
}

void req_catalog_free(req_catalog *cat)
{
    for (size_t i = 0; i < cat->n; i++) {
        free(cat->reqs[i].id);
        free(cat->reqs[i].role);
        free(cat->reqs[i].rfc);
        free(cat->reqs[i].summary);
    }
    free(cat->reqs);
    memset(cat, 0, sizeof *cat);
}
