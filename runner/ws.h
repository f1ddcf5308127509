/* ws: what the WebSocket cases compute in C (RFC 6455): the accept key (SHA-1 + base64, written
 * here: a few dozen lines do not justify a crypto dependency), client frames (masked) and a
 * frame reader with the picohttpparser contract. */
#ifndef H1XX_WS_H
#define H1XX_WS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

void ws_sha1(const void *data, size_t len, uint8_t out[20]);
/* Appends the base64 of data to out. */
void ws_base64(buf_t *out, const void *data, size_t len);
/* Sec-WebSocket-Accept for a key: base64(SHA-1(key + GUID)); out must hold 29 bytes. */
void ws_accept(const char *key, size_t keylen, char out[29]);
/* A fresh Sec-WebSocket-Key: base64 of 16 random bytes; out must hold 25 bytes. */
void ws_random_key(char out[25]);

enum { WS_CONT = 0, WS_TEXT = 1, WS_BINARY = 2, WS_CLOSE = 8, WS_PING = 9, WS_PONG = 10 };

/* Appends one final, masked client frame (random mask) to out. */
void ws_frame_client(buf_t *out, int opcode, const void *payload, size_t len);
/* Appends one final, unmasked server frame to out (the embedded origin's side). */
void ws_frame_server(buf_t *out, int opcode, const void *payload, size_t len);
/* A frame from a case's text: for close, the text is the status code ("1000"); masked for the
 * client's side, unmasked for the origin's. */
void ws_frame_text(buf_t *out, int opcode, const char *text, size_t n, bool masked);

typedef struct ws_frame {
    int fin, opcode, masked;
    size_t payload_off; /* offset of the payload in the buffer given to ws_frame_parse */
    uint64_t payload_len;
} ws_frame;

/* Parses one frame at buf[0, len): returns its total length, -2 when incomplete, -1 when the
 * frame is malformed (reserved bits, control frame over 125 bytes, or longer than max). */
long ws_frame_parse(const uint8_t *buf, size_t len, uint64_t max, ws_frame *f);

const char *ws_opcode_name(int opcode);

#endif
