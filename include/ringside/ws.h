/* ringside/ws.h -- RFC 6455 WebSocket framing and handshake helpers.
 *
 * Pure functions over caller buffers: no allocation, no I/O. The connection
 * logic (TLS, reconnect, rotation) lives in ws_client.h.
 *
 * Frame parser: rs_ws_frame_parse looks at the bytes it is given and
 * reports one of
 *   RS_OK    a whole frame is present: *f describes it (payload borrowed from
 *            the input), *consumed = header + payload bytes;
 *   RS_AGAIN more bytes are needed: *consumed = total bytes needed so far
 *            when known (header complete), else 0;
 *   RS_BAD   protocol violation: f->err names it (rs_ws_err_str), nothing
 *            consumed. The caller fails the connection (close code 1002, or
 *            1009 for RS_WS_ERR_TOO_BIG).
 * It never reads past buf[n-1].
 */
#ifndef RINGSIDE_WS_H
#define RINGSIDE_WS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ringside/common.h"

enum rs_ws_opcode {
    RS_WS_CONT = 0x0,
    RS_WS_TEXT = 0x1,
    RS_WS_BINARY = 0x2,
    RS_WS_CLOSE = 0x8,
    RS_WS_PING = 0x9,
    RS_WS_PONG = 0xA,
};

enum rs_ws_err {
    RS_WS_ERR_NONE = 0,
    RS_WS_ERR_RSV,           /* RSV1-3 set without a negotiated extension */
    RS_WS_ERR_OPCODE,        /* reserved opcode */
    RS_WS_ERR_CTRL_FRAG,     /* control frame with FIN=0 */
    RS_WS_ERR_CTRL_LEN,      /* control frame payload > 125 */
    RS_WS_ERR_LEN_ENCODING,  /* 64-bit length with MSB set, or not minimal */
    RS_WS_ERR_TOO_BIG,       /* payload above the configured maximum */
    RS_WS_ERR_MASK,          /* masked frame from a server / unmasked from a client */
};

/* Human-readable reason for an rs_ws_err (static string). */
const char *rs_ws_err_str(int err);

typedef struct rs_ws_frame {
    uint8_t opcode;          /* enum rs_ws_opcode */
    bool fin;
    bool masked;
    uint8_t err;             /* enum rs_ws_err when RS_BAD */
    uint32_t mask;           /* masking key as the 4 wire bytes (little-endian load) */
    uint32_t hdr_len;
    uint64_t len;            /* payload length */
    const uint8_t *payload;  /* borrowed: points into the parsed buffer */
} rs_ws_frame;

/* Parse one frame. max_payload bounds the payload (RS_WS_ERR_TOO_BIG above
 * it). from_client: true when parsing frames sent by a client (server side:
 * they must be masked), false on the client side (they must not be).
 * Hot path. */
int rs_ws_frame_parse(const uint8_t *buf, size_t n, uint64_t max_payload, bool from_client,
                      rs_ws_frame *f, size_t *consumed);

/* XOR p[0..n) with the 4-byte mask starting at byte offset `off` of the
 * payload (so a payload can be unmasked in pieces). In place. */
void rs_ws_mask(uint8_t *p, size_t n, uint32_t mask, uint64_t off);

/* Write a frame header + payload into out (cap bytes). mask != 0 masks the
 * payload with that key (client frames); mask == 0 and masked == false
 * writes an unmasked frame (server frames). Returns bytes written, or 0 if
 * it does not fit. */
size_t rs_ws_frame_write(uint8_t *out, size_t cap, int opcode, bool fin, const uint8_t *payload,
                         size_t n, bool masked, uint32_t mask);

/* Header length a frame of payload n needs (masked adds 4). */
size_t rs_ws_header_len(uint64_t n, bool masked);

/* Sec-WebSocket-Accept for a key: base64(SHA-1(key + GUID)); out gets a
 * NUL-terminated 28-char string (cap >= 29). Returns 0 or -EINVAL. */
int rs_ws_accept_key(const char *key, char *out, size_t cap);

/* Client upgrade request for host[:port]/path with a fresh 16-byte nonce
 * (raw bytes); key_b64 receives the base64 key (cap >= 25). Returns bytes
 * written to out or -ENOSPC with rs_err. */
int rs_ws_client_request(char *out, size_t cap, const char *host, uint16_t port, const char *path,
                         const uint8_t nonce[16], char *key_b64, size_t key_cap);

/* Check a server's upgrade response (the bytes up to and including the
 * blank line). Returns the header length (> 0) when valid, 0 when the blank
 * line has not arrived yet, or -RS_EPROTO with rs_err naming what is wrong
 * (status line, missing Upgrade/Connection, wrong Sec-WebSocket-Accept). */
int rs_ws_check_response(const char *buf, size_t n, const char *key_b64);

/* Reconnect delay after `failures` consecutive failures (>= 1): capped
 * exponential backoff with jitter from the caller's PRNG state (xorshift64*,
 * seeded from config, never from a clock):
 *   d = min(max_ns, min_ns * 2^(failures-1));  delay = d * (0.5 + 0.5*u),
 * u uniform in [0,1). Same seed -> same delays. *rng must be non-zero. */
int64_t rs_ws_backoff_ns(uint64_t *rng, uint32_t failures, int64_t min_ns, int64_t max_ns);

/* Next value of the xorshift64* PRNG used for jitter and masking keys. */
uint64_t rs_ws_rng_next(uint64_t *rng);

/* Validate UTF-8 (text frames and close reasons must be UTF-8). */
bool rs_ws_utf8_valid(const uint8_t *p, size_t n);

#endif
