/* libFuzzer target: the RFC 6455 frame parser (both directions), the
 * unmasker and the upgrade-response checker. Input byte 0 picks the mode;
 * the rest is parsed as a stream of frames. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ringside/ws.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t mode = data[0];
    data++;
    size--;
    if (mode == 0xff) {
        /* upgrade response path */
        (void)rs_ws_check_response((const char *)data, size, "dGhlIHNhbXBsZSBub25jZQ==");
        (void)rs_ws_utf8_valid(data, size);
        return 0;
    }
    /* Copy into an exact-size heap buffer so ASan catches any over-read. */
    uint8_t *buf = malloc(size ? size : 1);
    if (!buf)
        return 0;
    memcpy(buf, data, size);
    bool from_client = mode & 1;
    uint64_t max = (mode & 2) ? 125 : (1u << 20);
    size_t pos = 0;
    while (pos < size) {
        rs_ws_frame f;
        size_t used = 0;
        int rc = rs_ws_frame_parse(buf + pos, size - pos, max, from_client, &f, &used);
        if (rc != RS_OK)
            break;
        if (used == 0 || used > size - pos || f.payload + f.len != buf + pos + used)
            abort();
        if (f.masked)
            rs_ws_mask((uint8_t *)f.payload, f.len, f.mask, 0);
        if (f.opcode == RS_WS_TEXT)
            (void)rs_ws_utf8_valid(f.payload, f.len);
        /* re-encode and re-parse: must round-trip */
        uint8_t out[300];
        if (f.len <= 256) {
            size_t n = rs_ws_frame_write(out, sizeof out, f.opcode, f.fin, f.payload, f.len, false, 0);
            rs_ws_frame g;
            size_t u2;
            if (n == 0 || rs_ws_frame_parse(out, n, max, false, &g, &u2) != RS_OK || u2 != n || g.len != f.len ||
                memcmp(g.payload, f.payload, f.len))
                abort();
        }
        pos += used;
    }
    free(buf);
    return 0;
}
