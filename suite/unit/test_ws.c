/* Unit tests for ws.c: SHA-1 against FIPS 180 vectors, base64 padding, the accept key from
 * RFC 6455's own example, and frames written by ws_frame_client read back by ws_frame_parse. */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <string.h>

#include "ws.h"

static void hex(const uint8_t *d, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static void test_sha1_vectors(void)
{
    static const struct { const char *in; const char *want; } v[] = {
        {"", "da39a3ee5e6b4b0d3255bfef95601890afd80709"},
        {"abc", "a9993e364706816aba3e25717850c26c9cd0d89d"},
        {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "84983e441c3bd26ebaae4aa1f95129e5e54670f1"},
    };
    for (size_t i = 0; i < sizeof v / sizeof *v; i++) {
        uint8_t d[20];
        char h[41];
        ws_sha1(v[i].in, strlen(v[i].in), d);
        hex(d, 20, h);
        CU_ASSERT_STRING_EQUAL(h, v[i].want);
    }
    /* a million 'a's crosses many blocks */
    static char big[1000000];
    memset(big, 'a', sizeof big);
    uint8_t d[20];
    char h[41];
    ws_sha1(big, sizeof big, d);
    hex(d, 20, h);
    CU_ASSERT_STRING_EQUAL(h, "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
}

static void test_base64(void)
{
    static const struct { const char *in, *want; } v[] = {
        {"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"}, {"foob", "Zm9vYg=="},
    };
    for (size_t i = 0; i < sizeof v / sizeof *v; i++) {
        buf_t b;
        buf_init(&b, 0);
        ws_base64(&b, v[i].in, strlen(v[i].in));
        CU_ASSERT_STRING_EQUAL(b.data ? b.data : "", v[i].want);
        buf_free(&b);
    }
}

static void test_accept_rfc_example(void)
{
    char out[29];
    ws_accept("dGhlIHNhbXBsZSBub25jZQ==", 24, out);
    CU_ASSERT_STRING_EQUAL(out, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    char k1[25], k2[25];
    ws_random_key(k1);
    ws_random_key(k2);
    CU_ASSERT_EQUAL(strlen(k1), 24);
    CU_ASSERT_STRING_NOT_EQUAL(k1, k2);
}

static void test_frames_round_trip(void)
{
    size_t sizes[] = {0, 5, 125, 126, 65535, 65536};
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        static char payload[70000];
        memset(payload, 'p', sizeof payload);
        buf_t b;
        buf_init(&b, 0);
        ws_frame_client(&b, WS_TEXT, payload, sizes[i]);
        ws_frame f;
        long n = ws_frame_parse((const uint8_t *)b.data, b.len, 1 << 20, &f);
        CU_ASSERT_EQUAL(n, (long)b.len);
        CU_ASSERT_EQUAL(f.payload_len, sizes[i]);
        CU_ASSERT_TRUE(f.masked && f.fin && f.opcode == WS_TEXT);
        for (size_t k = 0; k < b.len; k++) /* every prefix is incomplete */
            if (ws_frame_parse((const uint8_t *)b.data, k, 1 << 20, &f) != -2) {
                CU_FAIL("a prefix of a frame did not say 'need more'");
                break;
            }
        buf_free(&b);
    }
    const uint8_t bad_rsv[] = {0xC1, 0x00};
    const uint8_t big_ping[] = {0x89, 0x7E, 0x00, 0x80};
    ws_frame f;
    CU_ASSERT_EQUAL(ws_frame_parse(bad_rsv, 2, 100, &f), -1);
    CU_ASSERT_EQUAL(ws_frame_parse(big_ping, 4, 1000, &f), -1);
    const uint8_t server_text[] = {0x81, 0x02, 'h', 'i'};
    CU_ASSERT_EQUAL(ws_frame_parse(server_text, 4, 100, &f), 4);
    CU_ASSERT_FALSE(f.masked);
    CU_ASSERT_EQUAL(f.payload_off, 2);
}

void register_ws_tests(void)
{
    CU_pSuite s = CU_add_suite("websocket", NULL, NULL);
    CU_add_test(s, "SHA-1 test vectors", test_sha1_vectors);
    CU_add_test(s, "base64 padding", test_base64);
    CU_add_test(s, "accept key of RFC 6455's example; random keys differ", test_accept_rfc_example);
    CU_add_test(s, "client frames parse back; prefixes need more; bad frames refused",
                test_frames_round_trip);
}
