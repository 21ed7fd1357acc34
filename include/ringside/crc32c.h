/* ringside/crc32c.h -- CRC32C (Castagnoli, reflected polynomial 0x82F63B78),
 * the checksum of every journal record.
 *
 * Two implementations with identical results: the SSE4.2 `crc32` instruction
 * (chosen at run time when the CPU has it) and a portable slicing-by-8 table.
 * Conventions match iSCSI / ext4 / RFC 3720: crc32c("123456789") = 0xE3069283.
 */
#ifndef RINGSIDE_CRC32C_H
#define RINGSIDE_CRC32C_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Extend a CRC32C over n more bytes. Start with crc = 0; the result of one
 * call can seed the next (crc32c(a||b) = rs_crc32c(rs_crc32c(0, a), b)).
 * Pure function: no allocation, no state; safe from any thread. */
uint32_t rs_crc32c(uint32_t crc, const void *buf, size_t n);

/* The same CRC with the portable table code only (tests compare both). */
uint32_t rs_crc32c_sw(uint32_t crc, const void *buf, size_t n);

/* The same CRC with the SSE4.2 instruction only. Call only when
 * rs_crc32c_hw_available() is true (otherwise it returns the table result). */
uint32_t rs_crc32c_hw(uint32_t crc, const void *buf, size_t n);

/* True if the CPU has SSE4.2 and rs_crc32c uses it. */
bool rs_crc32c_hw_available(void);

#endif
