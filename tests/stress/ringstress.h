/* Shared helpers of the ring stress tests: records carry a sequence number
 * and a checksum of their payload, so loss, reorder and torn reads all show. */
#ifndef RS_RINGSTRESS_H
#define RS_RINGSTRESS_H

#include <stdint.h>
#include <string.h>

#include "ringside/ring.h"

typedef struct {
    uint32_t len;
    uint16_t type;
    uint16_t pad;
    uint64_t seq;
    uint64_t sum;
} stress_hdr;

static inline uint64_t stress_sum(const uint8_t *p, size_t n, uint64_t seq)
{
    uint64_t h = 1469598103934665603ull ^ seq;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 1099511628211ull;
    }
    return h;
}

static inline uint32_t stress_len(uint64_t *rng)
{
    *rng ^= *rng << 13;
    *rng ^= *rng >> 7;
    *rng ^= *rng << 17;
    uint64_t r = *rng;
    /* mostly small, sometimes large: exercises wrap padding */
    if ((r & 15) == 0)
        return (uint32_t)(sizeof(stress_hdr) + (r >> 8) % 2000);
    return (uint32_t)(sizeof(stress_hdr) + (r >> 8) % 240);
}

/* Fill a claimed record. */
static inline void stress_fill(uint8_t *r, uint32_t len, uint64_t seq)
{
    stress_hdr *h = (stress_hdr *)r;
    h->len = len;
    h->type = 9;
    h->pad = 0;
    h->seq = seq;
    uint8_t *pl = r + sizeof *h;
    size_t n = len - sizeof *h;
    for (size_t i = 0; i < n; i++)
        pl[i] = (uint8_t)(seq * 31 + i);
    h->sum = stress_sum(pl, n, seq);
}

/* 0 if the record is intact and has sequence `seq`. */
static inline int stress_check(const uint8_t *r, uint64_t seq)
{
    const stress_hdr *h = (const stress_hdr *)r;
    if (h->type != 9 || h->seq != seq || h->len < sizeof *h)
        return -1;
    return stress_sum(r + sizeof *h, h->len - sizeof *h, seq) == h->sum ? 0 : -2;
}

#endif
