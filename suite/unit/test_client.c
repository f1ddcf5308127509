/* Unit tests of client mode's parsing: `h1xx client [options] -- COMMAND` (cli.c) and the client
 * steps of the case language (case_load.c). Running drivers is proved by suite/client_test.py. */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <string.h>

#include "case.h"
#include "cli.h"

#define CLIENT_HEAD "id client/x\ntitle t\nrequire CLI-1\nlevel MUST\nmodes client\n"

static void test_cli_driver(void)
{
    char *argv[] = {"h1xx", "client", "-k", "client/*", "-j", "2", "--listen", "127.0.0.1:0",
                    "--", "curl", "-sS", "-T", "{body}", "{url}", NULL};
    options o;
    CU_ASSERT_EQUAL_FATAL(cli_parse(14, argv, &o), 0);
    CU_ASSERT_STRING_EQUAL(o.mode, "client");
    CU_ASSERT_EQUAL(o.jobs, 2);
    CU_ASSERT_EQUAL(o.nfilters, 1);
    CU_ASSERT_STRING_EQUAL(o.origin_listen, "127.0.0.1:0");
    CU_ASSERT_EQUAL_FATAL(o.ndriver, 5);
    CU_ASSERT_STRING_EQUAL(o.driver[0], "curl");
    CU_ASSERT_STRING_EQUAL(o.driver[1], "-sS"); /* the driver's option, not h1xx's */
    CU_ASSERT_STRING_EQUAL(o.driver[4], "{url}");
    CU_ASSERT_PTR_NULL(o.url);
    cli_free(&o);
}

static void test_cli_needs_driver(void)
{
    char *none[] = {"h1xx", "client", NULL};
    char *list[] = {"h1xx", "client", "--list", NULL};
    options o;
    FILE *saved = stderr;
    stderr = fopen("/dev/null", "w"); /* the usage message */
    CU_ASSERT_EQUAL(cli_parse(2, none, &o), -1);
    fclose(stderr);
    stderr = saved;
    cli_free(&o);
    CU_ASSERT_EQUAL(cli_parse(3, list, &o), 0);
    CU_ASSERT_TRUE(o.list);
    CU_ASSERT_EQUAL(o.ndriver, 0);
    cli_free(&o);
}

static int load(const char *text, case_def *c, char *err, size_t n)
{
    return case_load_buffer("t.case", text, strlen(text), NULL, c, err, n);
}

static void test_client_steps(void)
{
    const char *text = CLIENT_HEAD
        "client run PUT ${base}/u upload 1048577 upgrade h1xx-test within 5s\n"
        "client request within 1s\norigin content-starts within ${long} require CLI-3\n"
        "origin content-withheld for 400ms\n< HTTP/1.1 200 OK\n<\nclient expect-body\n"
        "client expect-error within 2s require CLI-9\n"
        "client check header X-A absent require CLI-5\n";
    case_def c;
    char err[256] = "";
    CU_ASSERT_EQUAL_FATAL(load(text, &c, err, sizeof err), 0);
    CU_ASSERT_EQUAL(c.modes, MODE_CLIENT);
    CU_ASSERT_TRUE(c.uses_client);
    CU_ASSERT_EQUAL_FATAL(c.nsteps, 8);
    CU_ASSERT_EQUAL(c.steps[0].kind, STEP_CLIENT_RUN);
    CU_ASSERT_STRING_EQUAL(c.steps[0].method, "PUT");
    CU_ASSERT_EQUAL(c.steps[0].bytes, 1048577);
    CU_ASSERT_STRING_EQUAL(c.steps[0].upgrade, "h1xx-test");
    CU_ASSERT_STRING_EQUAL(c.steps[0].within, "5s");
    CU_ASSERT_EQUAL(c.steps[2].kind, STEP_ORIGIN_CONTENT);
    CU_ASSERT_EQUAL(c.steps[2].opcode, 0); /* content-starts */
    CU_ASSERT_STRING_EQUAL(c.steps[2].require, "CLI-3");
    CU_ASSERT_EQUAL(c.steps[3].opcode, 1); /* content-withheld */
    CU_ASSERT_EQUAL(c.steps[5].kind, STEP_CLIENT_EXPECT);
    CU_ASSERT_EQUAL(c.steps[5].opcode, 0); /* expect-body */
    CU_ASSERT_EQUAL(c.steps[6].opcode, 1); /* expect-error */
    CU_ASSERT_EQUAL(c.steps[7].kind, STEP_CLIENT_EXPECT);
    CU_ASSERT_EQUAL(c.steps[7].opcode, 2); /* check header */
    CU_ASSERT_STRING_EQUAL(c.steps[7].chk.field, "X-A");
    CU_ASSERT_EQUAL(c.steps[7].chk.op, CHECK_ABSENT);
    CU_ASSERT_STRING_EQUAL(c.steps[7].chk.require, "CLI-5");
    case_free(&c);
}

/* Two requests on one connection: run ... second PATH, request reused, quiet for DUR. */
static void test_client_reuse_steps(void)
{
    const char *text = CLIENT_HEAD
        "client run GET ${base}/a second ${base}/b\nclient request\n"
        "< HTTP/1.1 103 Early Hints\n<\nclient quiet for 300ms require CLI-1\n"
        "< HTTP/1.1 200 OK\n<\nclient request reused require CLI-12\nclient expect-body\n";
    case_def c;
    char err[256] = "";
    CU_ASSERT_EQUAL_FATAL(load(text, &c, err, sizeof err), 0);
    CU_ASSERT_EQUAL_FATAL(c.nsteps, 7);
    CU_ASSERT_STRING_EQUAL(c.steps[0].second, "${base}/b");
    CU_ASSERT_EQUAL(c.steps[1].kind, STEP_CLIENT_REQUEST);
    CU_ASSERT_EQUAL(c.steps[1].opcode, 0); /* any connection */
    CU_ASSERT_EQUAL(c.steps[3].kind, STEP_CLIENT_REQUEST);
    CU_ASSERT_EQUAL(c.steps[3].opcode, 2); /* quiet */
    CU_ASSERT_STRING_EQUAL(c.steps[3].within, "300ms");
    CU_ASSERT_EQUAL(c.steps[5].opcode, 1); /* reused */
    CU_ASSERT_STRING_EQUAL(c.steps[5].require, "CLI-12");
    case_free(&c);
}

static void refused(const char *text, int line, const char *words)
{
    case_def c;
    char err[256] = "", want[32];
    CU_ASSERT_EQUAL(load(text, &c, err, sizeof err), -1);
    snprintf(want, sizeof want, "t.case:%d:", line);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, want));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, words));
    case_free(&c);
}

static void test_client_errors(void)
{
    refused("id client/x\ntitle t\nrequire CLI-1\nlevel MUST\nclient run GET /\n", 5,
            "client mode only");
    refused(CLIENT_HEAD "origin accept\nclient run GET /\n", 7, "starts with 'client run'");
    refused(CLIENT_HEAD "client run GET / upload lots\n", 6, "byte count");
    refused(CLIENT_HEAD "client run GET\n", 6, "client run needs");
    refused(CLIENT_HEAD "client run GET /\nclient expect-nothing\n", 7, "expect-body");
    refused(CLIENT_HEAD "client run GET /\norigin content-starts soon\n", 7, "unexpected");
    refused(CLIENT_HEAD "client run GET / second\n", 6, "'second' needs a path");
}

void register_client_tests(void)
{
    CU_pSuite s = CU_add_suite("client", NULL, NULL);
    if (!s)
        return;
    CU_add_test(s, "h1xx client [options] -- COMMAND keeps the driver's options", test_cli_driver);
    CU_add_test(s, "h1xx client needs a driver, but not for --list", test_cli_needs_driver);
    CU_add_test(s, "client run, expect-body/-error, origin content-starts/-withheld parse",
                test_client_steps);
    CU_add_test(s, "client run ... second, client request reused, client quiet parse",
                test_client_reuse_steps);
    CU_add_test(s, "client steps are refused outside client cases, with the line",
                test_client_errors);
}
