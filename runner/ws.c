/* ws: see ws.h. SHA-1 follows FIPS 180-4 (the message schedule and the four rounds). */
#include "ws.h"

#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

/* ---- SHA-1 --------------------------------------------------------------------------------- */

static uint32_t rol(uint32_t x, int n)
{
    return (x << n) | (x >> (32 - n));
}

static void sha1_block(uint32_t h[5], const uint8_t *p)
{
    uint32_t w[80];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
               (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
    for (int i = 16; i < 80; i++)
        w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
    for (int i = 0; i < 80; i++) {
        uint32_t f, k;
        if (i < 20)
            f = (b & c) | (~b & d), k = 0x5A827999;
        else if (i < 40)
            f = b ^ c ^ d, k = 0x6ED9EBA1;
        else if (i < 60)
            f = (b & c) | (b & d) | (c & d), k = 0x8F1BBCDC;
        else
            f = b ^ c ^ d, k = 0xCA62C1D6;
        uint32_t t = rol(a, 5) + f + e + k + w[i];
        e = d, d = c, c = rol(b, 30), b = a, a = t;
    }
    h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e;
}

void ws_sha1(const void *data, size_t len, uint8_t out[20])
{
    uint32_t h[5] = {0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0};
    const uint8_t *p = data;
    size_t left = len;
    for (; left >= 64; p += 64, left -= 64)
        sha1_block(h, p);
    uint8_t tail[128] = {0};
    memcpy(tail, p, left);
    tail[left] = 0x80;
    size_t tlen = left < 56 ? 64 : 128;
    uint64_t bits = (uint64_t)len * 8;
    for (int i = 0; i < 8; i++)
        tail[tlen - 1 - i] = (uint8_t)(bits >> (8 * i));
    sha1_block(h, tail);
    if (tlen == 128)
        sha1_block(h, tail + 64);
    for (int i = 0; i < 5; i++)
        for (int j = 0; j < 4; j++)
            out[4 * i + j] = (uint8_t)(h[i] >> (24 - 8 * j));
}

/* ---- base64 and keys ----------------------------------------------------------------------- */

void ws_base64(buf_t *out, const void *data, size_t len)
{
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const uint8_t *p = data;
    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < len ? (uint32_t)p[i + 1] << 8 : 0) |
                     (i + 2 < len ? p[i + 2] : 0);
        char q[4] = {tbl[v >> 18 & 63], tbl[v >> 12 & 63], i + 1 < len ? tbl[v >> 6 & 63] : '=',
                     i + 2 < len ? tbl[v & 63] : '='};
        buf_append(out, q, 4);
    }
}

void ws_accept(const char *key, size_t keylen, char out[29])
{
    static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    buf_t in, b64;
    buf_init(&in, 0);
    buf_init(&b64, 0);
    buf_append(&in, key, keylen);
    buf_append(&in, guid, sizeof guid - 1);
    uint8_t digest[20];
    ws_sha1(in.data, in.len, digest);
    ws_base64(&b64, digest, sizeof digest);
    memcpy(out, b64.data, 28);
    out[28] = '\0';
    buf_free(&in);
    buf_free(&b64);
}

static void random_bytes(void *p, size_t n)
{
    if (getrandom(p, n, 0) == (ssize_t)n)
        return;
    /* No entropy source: still different per call, which is all a handshake key needs. */
    static uint64_t x = 0x9E3779B97F4A7C15ULL;
    x ^= (uint64_t)clock_ns();
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        ((uint8_t *)p)[i] = (uint8_t)x;
    }
}

void ws_random_key(char out[25])
{
    uint8_t raw[16];
    random_bytes(raw, sizeof raw);
    buf_t b;
    buf_init(&b, 0);
    ws_base64(&b, raw, sizeof raw);
    memcpy(out, b.data, 24);
    out[24] = '\0';
    buf_free(&b);
}

/* ---- frames -------------------------------------------------------------------------------- */

static void frame(buf_t *out, int opcode, const void *payload, size_t len, bool masked);

void ws_frame_client(buf_t *out, int opcode, const void *payload, size_t len)
{
    frame(out, opcode, payload, len, true);
}

void ws_frame_server(buf_t *out, int opcode, const void *payload, size_t len)
{
    frame(out, opcode, payload, len, false);
}

void ws_frame_text(buf_t *out, int opcode, const char *text, size_t n, bool masked)
{
    if (opcode == WS_CLOSE && n) {
        long code = strtol(text, NULL, 10);
        unsigned char c2[2] = {(unsigned char)(code >> 8), (unsigned char)code};
        frame(out, opcode, c2, 2, masked);
    } else {
        frame(out, opcode, text, n, masked);
    }
}

static void frame(buf_t *out, int opcode, const void *payload, size_t len, bool masked)
{
    uint8_t mbit = masked ? 0x80 : 0;
    uint8_t h[14];
    size_t n = 0;
    h[n++] = (uint8_t)(0x80 | (opcode & 0x0f));
    if (len < 126) {
        h[n++] = (uint8_t)(mbit | len);
    } else if (len <= 0xffff) {
        h[n++] = mbit | 126;
        h[n++] = (uint8_t)(len >> 8), h[n++] = (uint8_t)len;
    } else {
        h[n++] = mbit | 127;
        for (int i = 7; i >= 0; i--)
            h[n++] = (uint8_t)((uint64_t)len >> (8 * i));
    }
    uint8_t mask[4] = {0, 0, 0, 0};
    if (masked) {
        random_bytes(mask, 4);
        memcpy(h + n, mask, 4);
        n += 4;
    }
    buf_append(out, h, n);
    const uint8_t *p = payload;
    for (size_t i = 0; i < len; i++) {
        uint8_t c = p[i] ^ mask[i % 4];
        buf_append(out, &c, 1);
    }
}

long ws_frame_parse(const uint8_t *buf, size_t len, uint64_t max, ws_frame *f)
{
    if (len < 2)
        return -2;
    memset(f, 0, sizeof *f);
    f->fin = buf[0] >> 7;
    f->opcode = buf[0] & 0x0f;
    f->masked = buf[1] >> 7;
    if (buf[0] & 0x70)
        return -1; /* reserved bits without a negotiated extension */
    uint64_t plen = buf[1] & 0x7f;
    size_t off = 2;
    int ext = plen == 126 ? 2 : plen == 127 ? 8 : 0;
    if (len < off + (size_t)ext)
        return -2;
    if (ext) {
        plen = 0;
        for (int i = 0; i < ext; i++)
            plen = plen << 8 | buf[off + (size_t)i];
        off += (size_t)ext;
    }
    if ((f->opcode & 0x08) && (plen > 125 || !f->fin))
        return -1;
    if (plen > max)
        return -1;
    if (f->masked)
        off += 4;
    if (len < off || len - off < plen)
        return -2;
    f->payload_off = off;
    f->payload_len = plen;
    return (long)(off + plen);
}

const char *ws_opcode_name(int opcode)
{
    switch (opcode) {
    case WS_CONT: return "continuation";
    case WS_TEXT: return "text";
    case WS_BINARY: return "binary";
    case WS_CLOSE: return "close";
    case WS_PING: return "ping";
    case WS_PONG: return "pong";
    default: return "reserved";
    }
}
