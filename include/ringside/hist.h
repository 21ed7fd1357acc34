/* ringside/hist.h -- fixed-size log-linear latency histogram (no allocation).
 *
 * Values are unsigned 64-bit (ns, ticks, ...). Buckets: exact below 128,
 * then 64 sub-buckets per power of two (relative error < 1/64 ~ 1.6%).
 * Percentiles return the bucket's upper bound (never under-reports).
 * Not thread-safe: one writer; merge per-thread histograms with rs_hist_merge.
 */
#ifndef RINGSIDE_HIST_H
#define RINGSIDE_HIST_H

#include <stdint.h>

#define RS_HIST_SUB 64
#define RS_HIST_BUCKETS (64 * RS_HIST_SUB)

typedef struct rs_hist {
    uint64_t count;
    uint64_t min, max;
    double sum;
    uint64_t b[RS_HIST_BUCKETS];
} rs_hist;

void rs_hist_init(rs_hist *h);
void rs_hist_add(rs_hist *h, uint64_t v);
void rs_hist_merge(rs_hist *dst, const rs_hist *src);
/* p in [0,100]. Returns 0 for an empty histogram. */
uint64_t rs_hist_pct(const rs_hist *h, double p);
double rs_hist_mean(const rs_hist *h);

#endif
