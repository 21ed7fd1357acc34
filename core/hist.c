#include <string.h>

#include "ringside/hist.h"

/* Bucket index: values < 2*SUB are exact; above, the exponent picks a group
 * of SUB buckets and the SUB next-highest bits pick one of them. */
static inline unsigned hist_index(uint64_t v)
{
    if (v < 2 * RS_HIST_SUB)
        return (unsigned)v;
    unsigned msb = 63u - (unsigned)__builtin_clzll(v);   /* >= 7 */
    unsigned shift = msb - 6u;                          /* keep 7 bits: 1xxxxxx */
    unsigned sub = (unsigned)(v >> shift) - RS_HIST_SUB; /* 0..63 */
    unsigned idx = (shift + 1u) * RS_HIST_SUB + sub;
    return idx < RS_HIST_BUCKETS ? idx : RS_HIST_BUCKETS - 1;
}

static inline uint64_t hist_upper(unsigned idx)
{
    if (idx < 2 * RS_HIST_SUB)
        return idx;
    unsigned shift = idx / RS_HIST_SUB - 1u;
    uint64_t sub = idx % RS_HIST_SUB;
    return ((RS_HIST_SUB + sub + 1) << shift) - 1;
}

void rs_hist_init(rs_hist *h)
{
    memset(h, 0, sizeof *h);
    h->min = UINT64_MAX;
}

void rs_hist_add(rs_hist *h, uint64_t v)
{
    h->b[hist_index(v)]++;
    h->count++;
    h->sum += (double)v;
    if (v < h->min) h->min = v;
    if (v > h->max) h->max = v;
}

void rs_hist_merge(rs_hist *dst, const rs_hist *src)
{
    for (unsigned i = 0; i < RS_HIST_BUCKETS; i++)
        dst->b[i] += src->b[i];
    dst->count += src->count;
    dst->sum += src->sum;
    if (src->min < dst->min) dst->min = src->min;
    if (src->max > dst->max) dst->max = src->max;
}

uint64_t rs_hist_pct(const rs_hist *h, double p)
{
    if (h->count == 0)
        return 0;
    if (p >= 100.0)
        return h->max;
    uint64_t rank = (uint64_t)((p / 100.0) * (double)h->count);
    if (rank >= h->count) rank = h->count - 1;
    uint64_t seen = 0;
    for (unsigned i = 0; i < RS_HIST_BUCKETS; i++) {
        seen += h->b[i];
        if (seen > rank) {
            uint64_t u = hist_upper(i);
            return u > h->max ? h->max : u < h->min ? h->min : u;
        }
    }
    return h->max;
}

double rs_hist_mean(const rs_hist *h) { return h->count ? h->sum / (double)h->count : 0.0; }
