/* RFC 6455 framing and handshake helpers (see ws.h). */
#include <ctype.h>
#include <errno.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ringside/ws.h"

static const char *const ws_errs[] = {
    [RS_WS_ERR_NONE] = "no error",
    [RS_WS_ERR_RSV] = "reserved bits RSV1-3 set without a negotiated extension",
    [RS_WS_ERR_OPCODE] = "reserved opcode",
    [RS_WS_ERR_CTRL_FRAG] = "fragmented control frame",
    [RS_WS_ERR_CTRL_LEN] = "control frame payload longer than 125 bytes",
    [RS_WS_ERR_LEN_ENCODING] = "invalid payload length encoding",
    [RS_WS_ERR_TOO_BIG] = "frame payload above the maximum frame size",
    [RS_WS_ERR_MASK] = "wrong masking (server frames must be unmasked, client frames masked)",
};

const char *rs_ws_err_str(int err)
{
    if (err < 0 || (size_t)err >= RS_ARRAY_LEN(ws_errs))
        return "unknown error";
    return ws_errs[err];
}

int rs_ws_frame_parse(const uint8_t *buf, size_t n, uint64_t max_payload, bool from_client,
                      rs_ws_frame *f, size_t *consumed)
{
    *consumed = 0;
    f->err = RS_WS_ERR_NONE;
    if (n < 2)
        return RS_AGAIN;
    uint8_t b0 = buf[0], b1 = buf[1];
    f->fin = (b0 & 0x80) != 0;
    f->opcode = b0 & 0x0f;
    f->masked = (b1 & 0x80) != 0;
    if (b0 & 0x70) {
        f->err = RS_WS_ERR_RSV;
        return RS_BAD;
    }
    switch (f->opcode) {
    case RS_WS_CONT: case RS_WS_TEXT: case RS_WS_BINARY:
        break;
    case RS_WS_CLOSE: case RS_WS_PING: case RS_WS_PONG:
        if (!f->fin) {
            f->err = RS_WS_ERR_CTRL_FRAG;
            return RS_BAD;
        }
        if ((b1 & 0x7f) > 125) {
            f->err = RS_WS_ERR_CTRL_LEN;
            return RS_BAD;
        }
        break;
    default:
        f->err = RS_WS_ERR_OPCODE;
        return RS_BAD;
    }
    if (f->masked != from_client) {
        f->err = RS_WS_ERR_MASK;
        return RS_BAD;
    }
    uint64_t len = b1 & 0x7f;
    size_t h = 2;
    if (len == 126) {
        if (n < 4)
            return RS_AGAIN;
        len = ((uint64_t)buf[2] << 8) | buf[3];
        h = 4;
        if (len < 126) {
            f->err = RS_WS_ERR_LEN_ENCODING;
            return RS_BAD;
        }
    } else if (len == 127) {
        if (n < 10)
            return RS_AGAIN;
        len = 0;
        for (int i = 0; i < 8; i++)
            len = (len << 8) | buf[2 + i];
        h = 10;
        if ((len >> 63) || len <= 0xffff) {
            f->err = RS_WS_ERR_LEN_ENCODING;
            return RS_BAD;
        }
    }
    if (len > max_payload) {
        f->err = RS_WS_ERR_TOO_BIG;
        f->len = len;
        return RS_BAD;
    }
    if (f->masked) {
        if (n < h + 4)
            return RS_AGAIN;
        memcpy(&f->mask, buf + h, 4);
        h += 4;
    } else {
        f->mask = 0;
    }
    f->hdr_len = (uint32_t)h;
    f->len = len;
    if (n - h < len) {
        *consumed = h + (size_t)len;   /* total needed: lets callers size reads */
        return RS_AGAIN;
    }
    f->payload = buf + h;
    *consumed = h + (size_t)len;
    return RS_OK;
}

void rs_ws_mask(uint8_t *p, size_t n, uint32_t mask, uint64_t off)
{
    uint8_t k[4];
    memcpy(k, &mask, 4);
    size_t i = 0;
    /* Rotate the key so that the word loop starts at key index 0. */
    while (i < n && ((off + i) & 3)) {
        p[i] ^= k[(off + i) & 3];
        i++;
    }
    for (; i + 8 <= n; i += 8) {
        uint64_t w, m64 = (uint64_t)mask | ((uint64_t)mask << 32);
        memcpy(&w, p + i, 8);
        w ^= m64;
        memcpy(p + i, &w, 8);
    }
    for (; i < n; i++)
        p[i] ^= k[(off + i) & 3];
}

size_t rs_ws_header_len(uint64_t n, bool masked)
{
    return (n < 126 ? 2 : n <= 0xffff ? 4 : 10) + (masked ? 4 : 0);
}

size_t rs_ws_frame_write(uint8_t *out, size_t cap, int opcode, bool fin, const uint8_t *payload,
                         size_t n, bool masked, uint32_t mask)
{
    size_t h = rs_ws_header_len(n, masked);
    if (cap < h || cap - h < n)
        return 0;
    out[0] = (uint8_t)((fin ? 0x80 : 0) | (opcode & 0x0f));
    uint8_t mb = masked ? 0x80 : 0;
    size_t o;
    if (n < 126) {
        out[1] = (uint8_t)(mb | n);
        o = 2;
    } else if (n <= 0xffff) {
        out[1] = mb | 126;
        out[2] = (uint8_t)(n >> 8);
        out[3] = (uint8_t)n;
        o = 4;
    } else {
        out[1] = mb | 127;
        for (int i = 0; i < 8; i++)
            out[2 + i] = (uint8_t)((uint64_t)n >> (56 - 8 * i));
        o = 10;
    }
    if (masked) {
        memcpy(out + o, &mask, 4);
        o += 4;
    }
    if (n)
        memcpy(out + o, payload, n);
    if (masked)
        rs_ws_mask(out + o, n, mask, 0);
    return o + n;
}

static const char ws_guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

int rs_ws_accept_key(const char *key, char *out, size_t cap)
{
    char cat[128];
    size_t kl = strlen(key);
    if (kl > 64 || cap < 29)
        return -EINVAL;
    memcpy(cat, key, kl);
    memcpy(cat + kl, ws_guid, sizeof ws_guid - 1);
    unsigned char md[SHA_DIGEST_LENGTH];
    SHA1((const unsigned char *)cat, kl + sizeof ws_guid - 1, md);
    EVP_EncodeBlock((unsigned char *)out, md, SHA_DIGEST_LENGTH);
    return 0;
}

int rs_ws_client_request(char *out, size_t cap, const char *host, uint16_t port, const char *path,
                         const uint8_t nonce[16], char *key_b64, size_t key_cap)
{
    if (key_cap < 25)
        return rs_err_set(ENOSPC, "ws: key buffer too small");
    EVP_EncodeBlock((unsigned char *)key_b64, nonce, 16);
    char hostport[300];
    if (port == 443 || port == 0)
        snprintf(hostport, sizeof hostport, "%s", host);
    else
        snprintf(hostport, sizeof hostport, "%s:%u", host, port);
    int w = snprintf(out, cap,
                     "GET %s HTTP/1.1\r\n"
                     "Host: %s\r\n"
                     "Upgrade: websocket\r\n"
                     "Connection: Upgrade\r\n"
                     "Sec-WebSocket-Key: %s\r\n"
                     "Sec-WebSocket-Version: 13\r\n"
                     "User-Agent: ringside\r\n"
                     "\r\n",
                     path && *path ? path : "/", hostport, key_b64);
    if (w < 0 || (size_t)w >= cap)
        return rs_err_set(ENOSPC, "ws: upgrade request for %s%s does not fit %zu bytes", host, path, cap);
    return w;
}

/* Case-insensitive search for a comma-separated token in a header value. */
static bool has_token(const char *v, size_t vl, const char *tok)
{
    size_t tl = strlen(tok);
    size_t i = 0;
    while (i < vl) {
        while (i < vl && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
            i++;
        size_t s = i;
        while (i < vl && v[i] != ',')
            i++;
        size_t e = i;
        while (e > s && (v[e - 1] == ' ' || v[e - 1] == '\t'))
            e--;
        if (e - s == tl && !strncasecmp(v + s, tok, tl))
            return true;
    }
    return false;
}

int rs_ws_check_response(const char *buf, size_t n, const char *key_b64)
{
    const char *end = memmem(buf, n, "\r\n\r\n", 4);
    if (!end)
        return 0;
    size_t hl = (size_t)(end - buf) + 4;
    const char *eol = memmem(buf, hl, "\r\n", 2);
    /* the status code by hand: buf is not NUL-terminated, so no sscanf
     * (it runs strlen first: an over-read the fuzzer found) */
    int status = -1;
    if (hl >= 13 && buf[9] >= '0' && buf[9] <= '9' && buf[10] >= '0' && buf[10] <= '9' && buf[11] >= '0' &&
        buf[11] <= '9' && (buf[12] == ' ' || buf[12] == '\r'))
        status = (buf[9] - '0') * 100 + (buf[10] - '0') * 10 + (buf[11] - '0');
    if (status != 101 || memcmp(buf, "HTTP/1.1 ", 9)) {
        int ll = (int)(eol - buf);
        return rs_err_set(RS_EPROTO, "ws: upgrade refused: status line '%.*s' (want 101)", ll > 200 ? 200 : ll, buf);
    }
    bool up = false, conn = false, acc = false;
    char want[32];
    rs_ws_accept_key(key_b64, want, sizeof want);
    const char *p = eol + 2;
    while (p < buf + hl - 2) {
        const char *le = memmem(p, (size_t)(buf + hl - p), "\r\n", 2);
        const char *colon = memchr(p, ':', (size_t)(le - p));
        if (colon) {
            size_t nl = (size_t)(colon - p);
            const char *v = colon + 1;
            while (v < le && (*v == ' ' || *v == '\t'))
                v++;
            size_t vl = (size_t)(le - v);
            while (vl && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
                vl--;
            if (nl == 7 && !strncasecmp(p, "Upgrade", 7))
                up = has_token(v, vl, "websocket");
            else if (nl == 10 && !strncasecmp(p, "Connection", 10))
                conn = has_token(v, vl, "upgrade");
            else if (nl == 20 && !strncasecmp(p, "Sec-WebSocket-Accept", 20)) {
                if (vl != strlen(want) || memcmp(v, want, vl))
                    return rs_err_set(RS_EPROTO, "ws: Sec-WebSocket-Accept '%.*s' does not match the key (want '%s')",
                                      (int)(vl > 64 ? 64 : vl), v, want);
                acc = true;
            } else if (nl == 24 && !strncasecmp(p, "Sec-WebSocket-Extensions", 24) && vl) {
                return rs_err_set(RS_EPROTO, "ws: server selected extension '%.*s' that was not offered",
                                  (int)(vl > 64 ? 64 : vl), v);
            }
        }
        p = le + 2;
    }
    if (!up)
        return rs_err_set(RS_EPROTO, "ws: upgrade response lacks 'Upgrade: websocket'");
    if (!conn)
        return rs_err_set(RS_EPROTO, "ws: upgrade response lacks 'Connection: Upgrade'");
    if (!acc)
        return rs_err_set(RS_EPROTO, "ws: upgrade response lacks Sec-WebSocket-Accept");
    return (int)hl;
}

bool rs_ws_utf8_valid(const uint8_t *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint8_t c = p[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t k;
        uint32_t cp;
        if ((c & 0xe0) == 0xc0) { k = 1; cp = c & 0x1f; }
        else if ((c & 0xf0) == 0xe0) { k = 2; cp = c & 0x0f; }
        else if ((c & 0xf8) == 0xf0) { k = 3; cp = c & 0x07; }
        else return false;
        if (n - i <= k)
            return false;
        for (size_t j = 1; j <= k; j++) {
            if ((p[i + j] & 0xc0) != 0x80)
                return false;
            cp = (cp << 6) | (p[i + j] & 0x3f);
        }
        if ((k == 1 && cp < 0x80) || (k == 2 && cp < 0x800) || (k == 3 && cp < 0x10000) ||
            cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += k + 1;
    }
    return true;
}

uint64_t rs_ws_rng_next(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545F4914F6CDD1Dull;
}

int64_t rs_ws_backoff_ns(uint64_t *rng, uint32_t failures, int64_t min_ns, int64_t max_ns)
{
    int64_t d = min_ns;
    for (uint32_t i = 1; i < failures && d < max_ns; i++)
        d *= 2;
    if (d > max_ns)
        d = max_ns;
    double u = (double)(rs_ws_rng_next(rng) >> 11) * (1.0 / 9007199254740992.0);
    return (int64_t)((double)d * (0.5 + 0.5 * u));
}
