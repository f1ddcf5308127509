/* Unit tests for h1xx's own server-side connection policy (srv_conn.c): when the server closes,
 * how it says so, what it never sends to HTTP/1.0, whatever way the script splits its writes. */
#include <CUnit/CUnit.h>
#include <stdlib.h>
#include <string.h>

#include "srv_conn.h"

/* Feeds p in pieces of `step` bytes (0: whole); returns what went out, malloc'd. */
static char *feed(srv_conn *s, const char *p, size_t step)
{
    buf_t out;
    buf_init(&out, 0);
    size_t n = strlen(p);
    for (size_t i = 0; i < n;) {
        size_t k = step && n - i > step ? step : n - i;
        srv_conn_out(s, p + i, k, &out);
        i += k;
    }
    buf_append(&out, "", 0);
    return buf_steal(&out);
}

static void test_request_closes(void)
{
    CU_ASSERT_TRUE(srv_conn_request_closes("HTTP/1.1", true, false));
    CU_ASSERT_FALSE(srv_conn_request_closes("HTTP/1.1", false, false));
    CU_ASSERT_TRUE(srv_conn_request_closes("HTTP/1.0", false, false));
    CU_ASSERT_FALSE(srv_conn_request_closes("HTTP/1.0", false, true));
    CU_ASSERT_TRUE(srv_conn_request_closes("HTTP/1.0", true, true));
}

static void test_close_added(void)
{
    static const char resp[] = "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
                               "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
    static const char want[] = "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
                               "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 5\r\n"
                               "\r\nhello";
    for (size_t step = 0; step < 12; step++) {
        srv_conn s;
        srv_conn_begin(&s, "GET", "HTTP/1.1", true, false);
        char *out = feed(&s, resp, step);
        CU_ASSERT_STRING_EQUAL(out, want);
        CU_ASSERT_TRUE(srv_conn_must_close(&s));
        free(out);
    }
    srv_conn s; /* not before the body is whole */
    srv_conn_begin(&s, "GET", "HTTP/1.1", true, false);
    char *out = feed(&s, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhel", 0);
    CU_ASSERT_TRUE(srv_conn_final_done(&s) == false);
    CU_ASSERT_FALSE(srv_conn_must_close(&s));
    free(out);
}

static void test_close_kept(void)
{
    srv_conn s; /* the script says close already: no second field, and the server closes */
    srv_conn_begin(&s, "PUT", "HTTP/1.1", false, false);
    static const char r[] = "HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 2\r\n"
                            "\r\nno";
    char *out = feed(&s, r, 0);
    CU_ASSERT_STRING_EQUAL(out, r);
    CU_ASSERT_TRUE(srv_conn_must_close(&s));
    free(out);
    srv_conn_begin(&s, "GET", "HTTP/1.1", true, false);
    out = feed(&s, r, 0);
    CU_ASSERT_STRING_EQUAL(out, r);
    free(out);
    /* a persistent exchange stays open, bytes untouched */
    srv_conn_begin(&s, "GET", "HTTP/1.1", false, false);
    static const char k[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n";
    out = feed(&s, k, 3);
    CU_ASSERT_STRING_EQUAL(out, k);
    CU_ASSERT_TRUE(srv_conn_final_done(&s));
    CU_ASSERT_FALSE(srv_conn_must_close(&s));
    free(out);
}

static void test_close_delimited_and_tunnel(void)
{
    srv_conn s;
    srv_conn_begin(&s, "GET", "HTTP/1.1", false, false);
    char *out = feed(&s, "HTTP/1.1 200 OK\r\n\r\nuntil the close", 0);
    CU_ASSERT_TRUE(srv_conn_must_close(&s)); /* a body ended by the close */
    free(out);
    srv_conn_begin(&s, "HEAD", "HTTP/1.1", false, false);
    out = feed(&s, "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n", 0);
    CU_ASSERT_TRUE(srv_conn_final_done(&s));
    CU_ASSERT_FALSE(srv_conn_must_close(&s));
    free(out);
    srv_conn_begin(&s, "GET", "HTTP/1.1", true, false);
    out = feed(&s, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\nHTTP/1.1 200 OK\r\n\r\n", 0);
    CU_ASSERT_PTR_NULL(strstr(out, "Connection: close")); /* after a 101: not HTTP */
    CU_ASSERT_FALSE(srv_conn_final_done(&s));
    free(out);
}

static void test_http10(void)
{
    srv_conn s;
    srv_conn_begin(&s, "GET", "HTTP/1.0", false, false);
    CU_ASSERT_PTR_NOT_NULL(srv_conn_forbidden(&s, "HTTP/1.1 103 Early Hints\r\n\r\n", 28));
    static const char te[] = "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n";
    CU_ASSERT_PTR_NOT_NULL(srv_conn_forbidden(&s, te, strlen(te)));
    CU_ASSERT_PTR_NULL(srv_conn_forbidden(&s, "HTTP/1.1 200 OK\r\n\r\n", 19));
    srv_conn_begin(&s, "GET", "HTTP/1.1", false, false);
    CU_ASSERT_PTR_NULL(srv_conn_forbidden(&s, te, strlen(te)));
}

void register_srv_conn_tests(void)
{
    CU_pSuite s = CU_add_suite("server connection policy", NULL, NULL);
    CU_add_test(s, "which requests end the connection", test_request_closes);
    CU_add_test(s, "Connection: close added to the final, at every split", test_close_added);
    CU_add_test(s, "a close the script says is kept; persistent stays open", test_close_kept);
    CU_add_test(s, "close-delimited bodies, HEAD, after a 101", test_close_delimited_and_tunnel);
    CU_add_test(s, "no 1xx, no chunked to HTTP/1.0", test_http10);
}
