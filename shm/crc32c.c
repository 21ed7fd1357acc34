/* CRC32C: SSE4.2 instruction with a slicing-by-8 fallback.
 * The hardware path is compiled with a target attribute (not a global
 * -msse4.2) so the binary still runs, on the table path, on a CPU without it. */
#include <string.h>

#include "ringside/crc32c.h"

#define POLY 0x82F63B78u

static uint32_t tbl[8][256];
static int tbl_ready;   /* written once by a constructor, before main */

__attribute__((constructor)) static void crc_tables(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? (c >> 1) ^ POLY : c >> 1;
        tbl[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; i++)
        for (int s = 1; s < 8; s++)
            tbl[s][i] = (tbl[s - 1][i] >> 8) ^ tbl[0][tbl[s - 1][i] & 0xff];
    tbl_ready = 1;
}

uint32_t rs_crc32c_sw(uint32_t crc, const void *buf, size_t n)
{
    const uint8_t *p = buf;
    if (!tbl_ready)
        crc_tables();
    crc = ~crc;
    while (n && ((uintptr_t)p & 7)) {
        crc = (crc >> 8) ^ tbl[0][(crc ^ *p++) & 0xff];
        n--;
    }
    while (n >= 8) {
        uint64_t v;
        memcpy(&v, p, 8);   /* little-endian load: x86-64 and aarch64 */
        v ^= crc;
        crc = tbl[7][v & 0xff] ^ tbl[6][(v >> 8) & 0xff] ^ tbl[5][(v >> 16) & 0xff] ^
              tbl[4][(v >> 24) & 0xff] ^ tbl[3][(v >> 32) & 0xff] ^ tbl[2][(v >> 40) & 0xff] ^
              tbl[1][(v >> 48) & 0xff] ^ tbl[0][v >> 56];
        p += 8;
        n -= 8;
    }
    while (n--)
        crc = (crc >> 8) ^ tbl[0][(crc ^ *p++) & 0xff];
    return ~crc;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) static uint32_t crc_hw(uint32_t crc, const void *buf, size_t n)
{
    const uint8_t *p = buf;
    uint64_t c = ~crc;
    while (n && ((uintptr_t)p & 7)) {
        c = __builtin_ia32_crc32qi((uint32_t)c, *p++);
        n--;
    }
    /* Three independent 8-byte lanes would hide the instruction's 3-cycle
     * latency; records are short (64..256 B) so one lane is close enough and
     * keeps the code obviously equal to the table version. */
    while (n >= 8) {
        uint64_t v;
        memcpy(&v, p, 8);
        c = __builtin_ia32_crc32di(c, v);
        p += 8;
        n -= 8;
    }
    while (n--)
        c = __builtin_ia32_crc32qi((uint32_t)c, *p++);
    return ~(uint32_t)c;
}

static int hw_state;   /* 0 unknown, 1 yes, 2 no; idempotent race is harmless */

bool rs_crc32c_hw_available(void)
{
    if (!hw_state) {
        __builtin_cpu_init();
        hw_state = __builtin_cpu_supports("sse4.2") ? 1 : 2;
    }
    return hw_state == 1;
}

uint32_t rs_crc32c_hw(uint32_t crc, const void *buf, size_t n)
{
    return rs_crc32c_hw_available() ? crc_hw(crc, buf, n) : rs_crc32c_sw(crc, buf, n);
}

__attribute__((constructor)) static void crc_probe(void) { (void)rs_crc32c_hw_available(); }

uint32_t rs_crc32c(uint32_t crc, const void *buf, size_t n)
{
    return hw_state == 1 ? crc_hw(crc, buf, n) : rs_crc32c_sw(crc, buf, n);
}
#else
bool rs_crc32c_hw_available(void) { return false; }
uint32_t rs_crc32c_hw(uint32_t crc, const void *buf, size_t n) { return rs_crc32c_sw(crc, buf, n); }
uint32_t rs_crc32c(uint32_t crc, const void *buf, size_t n) { return rs_crc32c_sw(crc, buf, n); }
#endif
