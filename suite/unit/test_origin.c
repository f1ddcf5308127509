/* Unit tests for the embedded origin's request-head parser (origin.c): heads are found whole
 * or reported incomplete at every prefix, fields are offsets into the stream, garbage is
 * refused. */
#include <CUnit/CUnit.h>
#include <stdlib.h>
#include <string.h>

#include "origin.h"

static void test_request_head(void)
{
    const char *req = "POST /h1xx/c1-ab/up HTTP/1.1\r\nHost: x\r\nExpect:  100-continue \r\n"
                      "Content-Length: 5\r\n\r\nhello";
    size_t head = strlen(req) - 5;
    wire_msg m;
    char method[16], version[16], *target = NULL;
    long n = origin_parse_request(req, strlen(req), 7, &m, method, sizeof method, version,
                                  sizeof version, &target);
    CU_ASSERT_EQUAL_FATAL(n, (long)head);
    CU_ASSERT_STRING_EQUAL(method, "POST");
    CU_ASSERT_STRING_EQUAL(version, "HTTP/1.1");
    CU_ASSERT_STRING_EQUAL(target, "/h1xx/c1-ab/up");
    CU_ASSERT_EQUAL(m.nfields, 3);
    CU_ASSERT_EQUAL(m.start, 7);
    CU_ASSERT_EQUAL(m.head_end, 7 + head);
    /* offsets are relative to the stream, which here starts 7 bytes before req */
    const wire_field *f = &m.fields[1];
    CU_ASSERT_EQUAL(f->value_len, strlen("100-continue"));
    CU_ASSERT_EQUAL(memcmp(req + f->value_off - 7, "100-continue", f->value_len), 0);
    free(target);
    for (size_t k = 0; k < head; k++) {
        target = NULL;
        CU_ASSERT_EQUAL(origin_parse_request(req, k, 0, &m, method, sizeof method, version,
                                             sizeof version, &target), -2);
        free(target);
    }
}

static void test_request_garbage(void)
{
    wire_msg m;
    char method[16], version[16], *target = NULL;
    const char *bad = "NOSPACESHERE\r\n\r\n";
    CU_ASSERT_EQUAL(origin_parse_request(bad, strlen(bad), 0, &m, method, sizeof method, version,
                                         sizeof version, &target), -1);
    free(target);
    target = NULL;
    const char *lf = "GET / HTTP/1.0\nHost: y\n\n";
    CU_ASSERT_EQUAL(origin_parse_request(lf, strlen(lf), 0, &m, method, sizeof method, version,
                                         sizeof version, &target), (long)strlen(lf));
    CU_ASSERT_STRING_EQUAL(version, "HTTP/1.0");
    free(target);
}

void register_origin_tests(void)
{
    CU_pSuite s = CU_add_suite("embedded origin", NULL, NULL);
    CU_add_test(s, "request heads: fields, offsets, every prefix incomplete", test_request_head);
    CU_add_test(s, "garbage refused, bare LF heads read", test_request_garbage);
}
