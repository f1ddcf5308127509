/* Fuzz harness for the case loader (libFuzzer; also built with suite/fuzz/replay.c).
 *
 * The input is a case file. It is loaded with the real requirements catalogue (read once from
 * H1XX_CATALOG, default cases/requirements.tsv under the repository the harness was built
 * in). A file that does not load must say why as "fuzz.case:LINE: message"; a file that loads
 * has every template expanded (sends, durations, texts, check values, defaults) against a
 * context holding the built-in variables, as the interpreter would. Everything is freed, so
 * LeakSanitizer sees any leak on either path. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "case.h"
#include "util.h"

#ifndef H1XX_CATALOG
#define H1XX_CATALOG "cases/requirements.tsv"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static req_catalog cat;

static var vars[] = {
    {"host", "127.0.0.1"}, {"port", "8080"}, {"authority", "127.0.0.1:8080"},
    {"path", "/"},         {"timeout", "1000ms"}, {"long", "2000ms"}, {"quiet", "300ms"},
    {"upload_path", "/upload"},
};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    const char *path = getenv("H1XX_CATALOG");
    char err[512];
    if (req_catalog_load(&cat, path && *path ? path : H1XX_CATALOG, err, sizeof err)) {
        fprintf(stderr, "fuzz_case: %s\n", err);
        exit(2);
    }
    return 0;
}

static void expand(const case_def *c, const run_ctx *ctx, const char *tmpl)
{
    if (!tmpl)
        return;
    size_t len = 0;
    char *missing = NULL;
    char *s = case_expand(c, ctx, tmpl, &len, &missing);
    if (s && strlen(s) > len)
        abort(); /* the NUL must come at len or earlier (\0 escapes) */
    free(s);
    free(missing);
}

static void expand_all(const case_def *c)
{
    run_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.cat = &cat;
    ctx.vars = vars;
    ctx.nvars = sizeof vars / sizeof vars[0];
    for (size_t i = 0; i < c->ndefaults; i++)
        expand(c, &ctx, c->defaults[i].value);
    for (size_t i = 0; i < c->nsteps; i++) {
        const step *st = &c->steps[i];
        for (size_t j = 0; j < st->nlines; j++)
            expand(c, &ctx, st->lines[j].text);
        expand(c, &ctx, st->within);
        expand(c, &ctx, st->arg);
        expand(c, &ctx, st->chk.value);
        for (size_t j = 0; j < st->nacts; j++) {
            expand(c, &ctx, st->acts[j].text);
            expand(c, &ctx, st->acts[j].chk.value);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* copies exactly size bytes: any read past the text is caught by ASan */
    char *text = xmalloc(size ? size : 1);
    memcpy(text, data, size);
    case_def c;
    char err[512] = "";
    if (case_load_buffer("fuzz.case", text, size, &cat, &c, err, sizeof err) == 0) {
        if (!c.id || !c.title || !c.level || !c.nrequire || !c.nsteps)
            abort(); /* a loaded case has what finish_case promises */
        expand_all(&c);
    } else if (strncmp(err, "fuzz.case:", 10) != 0) {
        fprintf(stderr, "fuzz_case: error without file:line: '%s'\n", err);
        abort();
    }
    case_free(&c);
    free(text);
    return 0;
}
