/* Unit tests for preflight.c's pure parts (what the first bytes are, how they are quoted) and
 * for alive.c (a refusal after a success names the last case, once). */
#include <CUnit/CUnit.h>
#include <string.h>

#include "alive.h"
#include "preflight.h"
#include "util.h"

static preflight_kind kind(const char *s)
{
    return preflight_classify(s, strlen(s));
}

static void test_classify(void)
{
    CU_ASSERT_EQUAL(kind("HTTP/1.1 200 OK\r\n"), PREFLIGHT_HTTP);
    CU_ASSERT_EQUAL(kind("HTTP/1.0 404 Not Found\r\n"), PREFLIGHT_HTTP);
    CU_ASSERT_EQUAL(kind("http/1.1 200 OK\r\n"), PREFLIGHT_HTTP); /* broken, but HTTP: cases judge */
    CU_ASSERT_EQUAL(kind("\r\nHTTP/1.1 200 OK\r\n"), PREFLIGHT_HTTP);
    CU_ASSERT_EQUAL(kind("SSH-2.0-OpenSSH_9.2p1\r\n"), PREFLIGHT_NOT_HTTP);
    CU_ASSERT_EQUAL(kind("HTTP/2 200\r\n"), PREFLIGHT_NOT_HTTP);
    CU_ASSERT_EQUAL(kind("HTTP/1.x 200\r\n"), PREFLIGHT_NOT_HTTP);
    CU_ASSERT_EQUAL(kind("<html>"), PREFLIGHT_NOT_HTTP);
    CU_ASSERT_EQUAL(preflight_classify("\x15\x03\x03\x00\x02\x02\x28", 7), PREFLIGHT_TLS);
    CU_ASSERT_EQUAL(preflight_classify("\x16\x03\x01", 3), PREFLIGHT_TLS);
    CU_ASSERT_EQUAL(preflight_classify("\x16\x07", 2), PREFLIGHT_NOT_HTTP);
    CU_ASSERT_EQUAL(preflight_classify("\0\0\0", 3), PREFLIGHT_NOT_HTTP);
    /* every prefix of a status line needs more; so does one TLS byte, or nothing */
    const char *line = "HTTP/1.1";
    for (size_t n = 0; n < strlen(line); n++)
        CU_ASSERT_EQUAL(preflight_classify(line, n), PREFLIGHT_NEED_MORE);
    CU_ASSERT_EQUAL(preflight_classify("\x16", 1), PREFLIGHT_NEED_MORE);
    CU_ASSERT_EQUAL(preflight_classify("\r\n\r\n", 4), PREFLIGHT_NEED_MORE);
    CU_ASSERT_EQUAL(preflight_classify("\r\n\r\n\r\n", 6), PREFLIGHT_NOT_HTTP);
}

static void test_quote(void)
{
    char q[200];
    preflight_quote("SSH-2.0-X\r\n", 11, q, sizeof q);
    CU_ASSERT_STRING_EQUAL(q, "SSH-2.0-X\\r\\n");
    preflight_quote("\x15\x03`\\", 4, q, sizeof q);
    CU_ASSERT_STRING_EQUAL(q, "\\x15\\x03\\x60\\x5C");
    char long_in[100];
    memset(long_in, 'a', sizeof long_in);
    preflight_quote(long_in, sizeof long_in, q, sizeof q);
    CU_ASSERT_EQUAL(strlen(q), 43); /* 40 bytes and "..." */
    CU_ASSERT_STRING_EQUAL(q + 40, "...");
    char small[10];
    preflight_quote(long_in, sizeof long_in, small, sizeof small);
    CU_ASSERT(strlen(small) < sizeof small);
    preflight_quote("", 0, q, sizeof q);
    CU_ASSERT_STRING_EQUAL(q, "");
}

static void test_alive(void)
{
    char why[256] = "";
    const char *refused = "Failed to connect to 127.0.0.1 port 9: Couldn't connect to server";
    alive_reset();
    CU_ASSERT_FALSE(alive_refused(refused, clock_ns(), why, sizeof why)); /* no case connected yet */
    alive_connected("a/one");
    alive_connected("a/two");
    CU_ASSERT_FALSE(alive_refused("Timeout was reached", 0, why, sizeof why));
    CU_ASSERT_TRUE(alive_refused(refused, clock_ns(), why, sizeof why));
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "not run against a live server"));
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "after a/two"));
    alive_connected("a/three"); /* it came back */
    CU_ASSERT_TRUE(alive_refused(refused, clock_ns(), why, sizeof why));
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "after a/three"));
    alive_reset();
}

void register_preflight_tests(void)
{
    CU_pSuite s = CU_add_suite("preflight", NULL, NULL);
    CU_add_test(s, "first bytes: HTTP/1.x, TLS, other, need more", test_classify);
    CU_add_test(s, "first bytes quoted on one printable line, at most 40", test_quote);
    CU_add_test(s, "a refusal after a success names the last case", test_alive);
}
