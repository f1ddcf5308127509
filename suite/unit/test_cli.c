/* Unit tests of the options table (runner/cli_doc.c): the defaults that --help and the man page
 * state are the ones cli_parse sets, so the two documents cannot drift from the code either. */
#include <CUnit/CUnit.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "util.h"

static int64_t doc_duration(const char *lng)
{
    const char *d = cli_doc_default(lng);
    int64_t ns = -1;
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    CU_ASSERT_EQUAL(parse_duration_ns(d, &ns), 0);
    return ns;
}

static long doc_number(const char *lng)
{
    const char *d = cli_doc_default(lng);
    long v = -1;
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    CU_ASSERT_EQUAL(parse_long(d, 0, 1L << 40, &v), 0);
    return v;
}

static void test_defaults(void)
{
    char *argv[] = {"h1xx", "--list", NULL};
    options o;
    CU_ASSERT_EQUAL_FATAL(cli_parse(2, argv, &o), 0);
    CU_ASSERT_EQUAL(doc_duration("--timeout"), o.timeout_ns);
    CU_ASSERT_EQUAL(doc_duration("--long-timeout"), o.long_ns);
    CU_ASSERT_EQUAL(doc_duration("--quiet-time"), o.quiet_ns);
    CU_ASSERT_EQUAL(doc_duration("--case-deadline"), o.case_deadline_ns);
    CU_ASSERT_EQUAL(doc_duration("--linger"), o.linger_ns);
    CU_ASSERT_STRING_EQUAL(cli_doc_default("--deadline"), "none");
    CU_ASSERT_EQUAL(o.deadline_ns, 0);
    CU_ASSERT_EQUAL(doc_number("--jobs"), o.jobs);
    CU_ASSERT_EQUAL(doc_number("--max-head"), o.max_head);
    CU_ASSERT_EQUAL(doc_number("--max-interim"), o.max_interim);
    CU_ASSERT_EQUAL(doc_number("--max-bytes"), o.max_bytes);
    CU_ASSERT_STRING_EQUAL(cli_doc_default("--mode"), o.mode);
    CU_ASSERT_STRING_EQUAL(cli_doc_default("--report-dir"), o.report_dir);
    CU_ASSERT_STRING_EQUAL(cli_doc_default("--color"), "auto");
    CU_ASSERT_EQUAL(o.color, -1);
    CU_ASSERT_PTR_NULL(cli_doc_default("--no-such-option"));
    cli_free(&o);
}

static void test_vars_subcommand(void)
{
    char *argv[] = {"h1xx", "vars", "--vars", "a.vars", "--vars", "b.vars", NULL};
    options o;
    CU_ASSERT_EQUAL_FATAL(cli_parse(6, argv, &o), 0);
    CU_ASSERT_TRUE(o.list_vars);
    CU_ASSERT_EQUAL_FATAL(o.nvar_files, 2);
    CU_ASSERT_STRING_EQUAL(o.var_files[1], "b.vars");
    CU_ASSERT_PTR_NULL(o.url);
    cli_free(&o);
}

void register_cli_tests(void)
{
    CU_pSuite s = CU_add_suite("cli", NULL, NULL);
    if (!s)
        return;
    CU_add_test(s, "the defaults --help and h1xx.1 state are cli_parse's", test_defaults);
    CU_add_test(s, "h1xx vars --vars A --vars B", test_vars_subcommand);
}
